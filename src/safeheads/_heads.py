"""`classification_head`: the facade, and `Head`, the matched triple it returns."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import numpy as np

from safeheads._auc import RocAUC
from safeheads._labels import (
    check_class_count,
    check_named_classes,
    encode_labels,
    parse_labels,
    tensor_to_numpy,
    warn_empty_classes,
)
from safeheads._layer import HeadLayer
from safeheads._losses import PosWeight, SigmoidCrossentropy, SoftmaxCrossentropy
from safeheads._messages import check_bool
from safeheads._metrics import (
    ExactMatch,
    ThresholdAccuracy,
    ThresholdF1,
    ThresholdPrecision,
    ThresholdRecall,
)
from safeheads._ranking import PrecisionAtK, RecallAtK, TopKAccuracy
from safeheads._tasks import Task
from safeheads._thresholds import Threshold, at_least, cut_points
from safeheads._tuning import (
    LogitAdjustedAccuracy,
    adjusted_scores,
    balanced_pos_weight,
    check_tuning_args,
    describe_prior,
    logit_offsets,
    tune_columns,
    tune_tau,
)
from safeheads.errors import HeadConfigError, LabelFormatError

__all__ = ["Head", "classification_head"]


#: With n >= this many labels a multilabel head reports precision@5 and recall@5.
RANKING_MIN_LABELS = 20
#: The `auc` of binary and multilabel heads: Keras' 200 thresholds, spaced evenly in
#: logit space. Keras spaces them evenly in [0, 1], which puts every score below 0.005 (a
#: rare label's) in one bucket: on a 1000-label head (median score 0.003) 0.514 to 0.518
#: for an exact macro AUC of 0.524 to 0.528; logit spacing within 0.0006 of it
#: (`benchmarks/auc_accuracy.py`, three runs).
_AUC: dict[str, Any] = {"spacing": "logit", "num_thresholds": 200}


def _build_loss(layer: HeadLayer) -> keras.losses.Loss:
    if layer.pos_weight is not None or layer.focal_gamma or layer.label_smoothing:
        return _build_imbalance_loss(layer)
    if layer.task is Task.MULTICLASS:
        if layer.labels == "one_hot":
            return keras.losses.CategoricalCrossentropy(from_logits=layer.from_logits)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=layer.from_logits)
    return keras.losses.BinaryCrossentropy(from_logits=layer.from_logits)


def _build_imbalance_loss(layer: HeadLayer) -> keras.losses.Loss:
    if layer.task is Task.MULTICLASS:
        return SoftmaxCrossentropy(
            sparse=layer.labels != "one_hot",
            focal_gamma=layer.focal_gamma,
            label_smoothing=layer.label_smoothing,
            from_logits=layer.from_logits,
        )
    pos_weight: PosWeight | None
    if layer.pos_weight == "balanced":
        assert layer.prior is not None  # checked by HeadLayer
        pos_weight = balanced_pos_weight(layer.prior)
    else:
        pos_weight = layer.pos_weight  # type: ignore[assignment]  # never a str here
    return SigmoidCrossentropy(
        pos_weight=pos_weight,
        focal_gamma=layer.focal_gamma,
        label_smoothing=layer.label_smoothing,
        from_logits=layer.from_logits,
    )


def _ranking_k(layer: HeadLayer) -> int | None:
    """The k of precision@k / recall@k: ``top_k``, else 5 when n >= 20."""
    if layer.top_k is not None:
        return layer.top_k
    return 5 if layer.n >= RANKING_MIN_LABELS else None


def _build_metrics(layer: HeadLayer) -> list[keras.metrics.Metric]:
    from_logits = layer.from_logits
    threshold = layer.threshold
    if layer.task is Task.MULTICLASS:
        sparse = layer.labels != "one_hot"
        ks = (1, 5) if layer.n >= 10 else (1,)
        names = {1: "accuracy", 5: "top_5_accuracy"}
        if not layer.logit_adjustment:
            return [TopKAccuracy(k, sparse=sparse, name=names[k]) for k in ks]
        assert layer.prior is not None  # checked by HeadLayer
        offsets = logit_offsets(layer.prior, layer.logit_adjustment).tolist()
        return [
            LogitAdjustedAccuracy(
                offsets, k=k, sparse=sparse, from_logits=from_logits, name=names[k]
            )
            for k in ks
        ]
    assert threshold is not None  # binary and multilabel heads always have one
    if layer.task is Task.BINARY:
        return [
            ThresholdAccuracy(threshold, from_logits=from_logits, name="accuracy"),
            RocAUC(1, **_AUC, from_logits=from_logits),
            ThresholdPrecision(1, threshold, from_logits=from_logits, name="precision"),
            ThresholdRecall(1, threshold, from_logits=from_logits, name="recall"),
        ]
    n = layer.n
    cells = 2 * _AUC["num_thresholds"]  # RocAUC's histogram cells per label, < 2**31 in all
    if cells * n >= 2**31:
        raise HeadConfigError(
            f"Expected `n` <= {(2**31 - 1) // cells} for task='multilabel': its auc metric "
            f"keeps {cells} counts per label, fewer than 2**31 in all. Received: n={n}. Map "
            "the rarest labels out, e.g. keep the most frequent ones with safeheads.LabelMap."
        )
    fewest = layer.min_labels
    metrics = [
        ExactMatch(threshold, from_logits=from_logits, min_labels=fewest, name="exact_match"),
        ThresholdAccuracy(
            threshold, from_logits=from_logits, min_labels=fewest, name="label_accuracy"
        ),
        *(
            ThresholdF1(
                n,
                threshold,
                average=average,
                from_logits=from_logits,
                min_labels=fewest,
                name=f"{average}_f1",
            )
            for average in ("micro", "macro")
        ),
        RocAUC(n, **_AUC, from_logits=from_logits),
    ]
    k = _ranking_k(layer)
    if k is not None:
        metrics += [PrecisionAtK(k), RecallAtK(k)]
    return metrics


class Head:
    """A matched output layer, loss and metrics for one classification task.

    Unpacks as the triple ``layer, loss, metrics`` so it drops into an existing
    script. The layer is the single source of truth: the head's task, ``n``,
    threshold and class names live in its config and survive ``.keras``
    save/load (see `Head.from_model`).

    Attributes:
        layer: The output `HeadLayer` (add it to a model, or call it on a tensor).
        loss: The Keras loss matching the layer's activation and label format.
        metrics: Task-correct Keras metrics with explicit names.

    Example:
        >>> import keras, safeheads
        >>> layer, loss, metrics = safeheads.classification_head("multiclass", 3)
        >>> model = keras.Sequential([keras.Input((4,)), layer])
        >>> model.compile("adam", loss=loss, metrics=metrics)
        >>> [metric.name for metric in metrics]
        ['accuracy']
    """

    __slots__ = ("layer", "loss", "metrics")

    def __init__(self, layer: HeadLayer) -> None:
        """Build the loss and metrics that match ``layer``.

        Args:
            layer: A `HeadLayer`.

        Raises:
            TypeError: If ``layer`` is not a `HeadLayer`.
        """
        if not isinstance(layer, HeadLayer):
            raise TypeError(
                "Expected `layer` to be a safeheads.HeadLayer. Received: "
                f"layer of type {type(layer).__name__}. Use safeheads.classification_head()."
            )
        self.layer: HeadLayer = layer
        self.loss: keras.losses.Loss = _build_loss(layer)
        self.metrics: list[keras.metrics.Metric] = _build_metrics(layer)

    # -- the triple ---------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        return iter((self.layer, self.loss, self.metrics))

    def __repr__(self) -> str:
        options = [f"{self.task.value!r}", f"{self.n}", f"from_logits={self.from_logits}"]
        if self.labels is not None:
            options.append(f"labels={self.labels!r}")
        if self.threshold is not None:
            options.append(f"threshold={self.threshold!r}")
        if self.class_names is not None:
            options.append(f"class_names={list(self.class_names)!r}")
        if self.prior is not None:
            options.append(f"prior={describe_prior(self.prior)}")
        if self.logit_adjustment is not None:
            options.append(f"logit_adjustment={self.logit_adjustment!r}")
        if self.pos_weight is not None:
            weight = self.pos_weight
            shown = f"<{len(weight)} weights>" if isinstance(weight, tuple) else repr(weight)
            options.append(f"pos_weight={shown}")
        if self.focal_gamma:
            options.append(f"focal_gamma={self.focal_gamma!r}")
        if self.label_smoothing:
            options.append(f"label_smoothing={self.label_smoothing!r}")
        if self.top_k is not None:
            options.append(f"top_k={self.top_k!r}")
        if self.min_labels:
            options.append(f"min_labels={self.min_labels!r}")
        return f"Head({', '.join(options)})"

    # -- what the head is ---------------------------------------------------------------

    @property
    def task(self) -> Task:
        """The task: ``Task.BINARY``, ``Task.MULTICLASS`` or ``Task.MULTILABEL``."""
        return self.layer.task

    @property
    def n(self) -> int:
        """Number of classes (2 for binary) or labels."""
        return self.layer.n

    @property
    def units(self) -> int:
        """Width of the output layer (1 for binary)."""
        return self.layer.units  # type: ignore[no-any-return]

    @property
    def from_logits(self) -> bool:
        """Whether the layer outputs logits (linear) instead of probabilities."""
        return self.layer.from_logits

    @property
    def labels(self) -> str | None:
        """Multiclass target format (``"sparse"`` or ``"one_hot"``); ``None`` otherwise."""
        return self.layer.labels

    @property
    def threshold(self) -> float | tuple[float, ...] | None:
        """Decision threshold as a probability; ``None`` for multiclass (argmax)."""
        return self.layer.threshold

    @property
    def class_names(self) -> tuple[str | int, ...] | None:
        """Names of the classes or labels, if given."""
        return self.layer.class_names

    @property
    def prior(self) -> tuple[float, ...] | None:
        """Label frequencies the bias was initialised from (one per output unit)."""
        return self.layer.prior

    @property
    def logit_adjustment(self) -> float | None:
        """Multiclass ``tau``: decisions are the argmax of log-scores - tau * log(prior)."""
        return self.layer.logit_adjustment

    @property
    def pos_weight(self) -> str | float | tuple[float, ...] | None:
        """Positive-class weight of the loss (``"balanced"``, one, or one per output)."""
        return self.layer.pos_weight

    @property
    def focal_gamma(self) -> float:
        """Focal loss focusing parameter (0: plain cross-entropy)."""
        return self.layer.focal_gamma

    @property
    def label_smoothing(self) -> float:
        """Label smoothing of the loss."""
        return self.layer.label_smoothing

    @property
    def top_k(self) -> int | None:
        """The ``k`` of the ranking metrics, when set explicitly."""
        return self.layer.top_k

    @property
    def min_labels(self) -> int:
        """Multilabel: the fewest labels predicted per sample (0: no minimum)."""
        return self.layer.min_labels

    # -- labels in, decisions out -------------------------------------------------------

    def encode(self, y: Any) -> np.ndarray:
        """Validate labels and return them in the form this head's loss expects.

        Accepts every label format that fits the head: a 0/1 column or (N, 2)
        one-hot rows for binary; class ids or one-hot rows for multiclass; a
        multi-hot matrix or one list of labels per sample for multilabel; class
        names when the head has ``class_names``. Never warns, so it can run on
        every batch.

        Args:
            y: Labels (numpy array, list, tuple or tensor).

        Returns:
            binary: float32 ``(N, 1)`` 0/1 column; multiclass: int32 ``(N,)`` ids
            (``labels="sparse"``) or float32 ``(N, n)`` one-hot; multilabel:
            float32 ``(N, n)`` 0/1 matrix.

        Raises:
            LabelFormatError: If the labels are malformed or do not fit the head.

        Example:
            >>> import safeheads
            >>> head = safeheads.classification_head("multiclass", 3, labels="one_hot")
            >>> head.encode([2, 0])
            array([[0., 0., 1.],
                   [1., 0., 0.]], dtype=float32)
        """
        return encode_labels(
            y,
            self.task,
            self.n,
            one_hot=self.labels == "one_hot",
            class_names=self.class_names,
        )

    def decode(self, outputs: Any, *, names: bool = False) -> Any:
        """Turn model outputs into decisions, using the head's threshold.

        A multilabel head with ``min_labels=k`` gives a sample with fewer than
        ``k`` outputs past their thresholds the labels nearest their own
        thresholds (largest ``logit(score) - logit(threshold)``), as its
        metrics do.

        A multiclass head with ``logit_adjustment=tau`` predicts the argmax of
        ``log(probabilities) - tau * log(prior)`` (logits in place of the log
        with ``from_logits=True``), as its accuracy metric does.

        Args:
            outputs: ``model.predict(x)``: shape ``(N, units)`` (or ``(N,)`` for
                binary). With ``from_logits=True`` these are logits and the
                threshold is applied in logit space.
            names: Return class names instead of ids (needs ``class_names``).

        Returns:
            binary and multiclass: int64 class ids of shape ``(N,)`` (or an array
            of names); multilabel: an int64 0/1 matrix ``(N, n)`` (or one list of
            names per sample).

        Raises:
            TypeError: If ``names`` is not a bool.
            HeadConfigError: If ``names=True`` and the head has no class names.
            ValueError: If ``outputs`` has the wrong shape or non-finite values,
                or (``from_logits=False``) values outside [0, 1].

        Example:
            >>> import numpy as np, safeheads
            >>> head = safeheads.classification_head("multilabel", 3, class_names=["a", "b", "c"])
            >>> head.decode(np.array([[0.9, 0.2, 0.7]]))
            array([[1, 0, 1]])
            >>> head.decode(np.array([[0.9, 0.2, 0.7]]), names=True)
            [['a', 'c']]
        """
        if check_bool(names, "names") and self.class_names is None:
            raise HeadConfigError(
                "Expected a head with `class_names` for decode(names=True). Received: "
                "class_names=None. Pass class_names=... to classification_head."
            )
        scores = _check_outputs(outputs, self.units, probabilities=not self.from_logits)
        if self.task is Task.MULTICLASS:
            if self.logit_adjustment:
                offsets = logit_offsets(self.prior, self.logit_adjustment)  # type: ignore[arg-type]
                scores = adjusted_scores(scores, offsets, self.from_logits)
            ids = scores.argmax(axis=1).astype(np.int64)
        else:
            assert self.threshold is not None
            decided = (scores > cut_points(self.threshold, self.from_logits)).astype(np.int64)
            if self.task is Task.MULTILABEL:
                decided = at_least(
                    decided, scores, self.threshold, self.from_logits, self.min_labels
                )
                if not names:
                    return decided
                assert self.class_names is not None
                table = self.class_names
                return [[table[j] for j in np.flatnonzero(row)] for row in decided]
            ids = decided[:, 0]
        if names:
            return np.asarray(self.class_names)[ids]
        return ids

    def tune_thresholds(
        self,
        y: Any,
        scores: Any,
        *,
        metric: str = "f1",
        beta: float = 1.0,
        min_support: int | None = None,
        average: str = "micro",
        prior_slope: float | None = None,
    ) -> Head:
        """Tune the decisions on validation data; return the head that uses them.

        - binary: one threshold, the one that maximises the F-beta of the
          positive class;
        - multilabel: in logit space, label ``j`` gets the cut
          ``c + a * logit(prior_j)``. ``c`` maximises the ``average`` F-beta
          (``"micro"``: pooled over all labels; ``"macro"``: the mean of
          per-label scores; ``"micro+macro"``: the mean of those two).
          With a ``prior`` on the head, the prior slope ``a`` is tuned too
          (0.00, 0.05, ..., 1.50, or fixed by ``prior_slope``): rare labels
          get lower thresholds, in a family with two parameters that does not
          overfit labels with few validation positives. Without a prior, ``a``
          is 0: one global threshold. Then, when ``min_support`` is set, each
          label with at least that many positives in ``y`` gets the threshold
          that maximises its own F-beta instead;
        - multiclass: ``logit_adjustment`` (tau, in 0.00, 0.05, ..., 2.00)
          that maximises macro-F-beta of ``argmax(log-scores - tau * log(prior))``
          (needs a head built with ``prior``).

        Why: measured on Reuters-21578 (90 labels), one global threshold beat
        label-own thresholds on test micro-F1, and label-own thresholds for
        labels with >= 5 validation positives did not raise test macro-F1
        either; the prior slope raised both (see ``docs/imbalance.md``).

        Thresholds are tuned exactly: for each slope, the candidate cuts are
        the midpoints (in logit space) between consecutive distinct (adjusted)
        scores and a cut below the lowest one (every sample positive, where a
        threshold in (0, 1) can express it: not below a probability of exactly
        0), and the best is kept (the highest of equal cuts; the smallest of
        equal taus). Scores are what
        ``model.predict`` returns (float32), logits for ``from_logits=True``;
        the stored thresholds are probabilities that reproduce, on these
        scores, exactly the decisions that were scored (with ``from_logits=True``,
        logits above about 36.7 are positive and at or below about -744.4
        negative at every probability threshold, and the tuning scores them
        so; above about 23, where consecutive thresholds cut more than a
        float32 step apart, logits between two such cuts are scored as one;
        see ``docs/imbalance.md``). A label-own threshold
        whose best F-beta is 0 is not used; a head whose scores are all equal
        (or that no threshold can decide differently) keeps its threshold. Cost: for each slope, a sort of all validation
        cells (plus one pass per label for the macro objectives): measured
        0.3 s (micro) and 2.3 s (micro+macro) of CPU time for 90 labels x 777
        samples.

        The tuned values are written to the shared `HeadLayer` (``threshold``
        or ``logit_adjustment``), so the model that holds the layer saves them
        in its ``.keras`` file and ``decode`` uses them. The returned head
        shares that layer and has fresh metrics built with the tuned values;
        the metrics of this head keep the old ones: compile with the returned
        head's ``loss`` and ``metrics`` to evaluate the tuned decisions.

        A multilabel head with ``min_labels`` keeps it, and ``c`` and the prior
        slope maximise the objective of the decisions it makes: each sample's
        ``min_labels`` highest adjusted scores (logits as ``decode`` reads them,
        less ``a * logit(prior)``) count as predicted at every cut, since the
        rule ranks by the adjusted score less the one cut; those cells do not
        bound their labels' thresholds. Two limits: where float32 rounding puts
        two labels' stored cuts a step apart (adjusted scores tied or one
        float32 step apart), and for subnormal probabilities on backends that
        keep them, ``decode`` may add another label than the one scored. The
        label-own thresholds of ``min_support`` are tuned without the rule.

        Args:
            y: Validation labels, in any format ``encode`` accepts. Never the
                test labels.
            scores: ``model.predict(x_val)``, shape ``(N, units)``.
            metric: ``"f1"`` or ``"fbeta"``.
            beta: The beta of F-beta (recall counts beta times as much as
                precision); only with ``metric="fbeta"``.
            min_support: Multilabel: fewest validation positives for a label's
                own threshold; ``None`` (default) for none.
            average: Multilabel: ``"micro"``, ``"macro"`` or ``"micro+macro"``
                F-beta, the objective of ``c`` and the prior slope.
            prior_slope: Multilabel: a fixed prior slope ``a`` (0 for one
                global threshold); ``None`` tunes it when the head has a prior.

        Returns:
            A new `Head` around the same layer.

        Raises:
            TypeError: If an option has the wrong type.
            HeadConfigError: If an option has a wrong value, a multilabel-only
                option is set for another task, or a multiclass head (or a
                non-zero ``prior_slope``) has no ``prior``.
            LabelFormatError: If ``y`` does not fit the head, or a binary or
                multilabel ``y`` holds no positive label (every cut scores 0).
            ValueError: If ``scores`` has the wrong shape, non-finite values,
                (``from_logits=False``) values outside [0, 1], or another number of
                rows than ``y``.

        Example:
            >>> import numpy as np, safeheads
            >>> head = safeheads.classification_head("binary", from_logits=True)
            >>> y_val = np.array([0, 0, 1, 1, 0, 1])
            >>> logits = np.array([-3.0, -1.0, -0.5, 2.0, -2.0, -0.8])
            >>> tuned = head.tune_thresholds(y_val, logits)
            >>> round(tuned.threshold, 3)  # sigmoid(-0.9): between -1.0 and -0.8
            0.289
            >>> tuned.decode(logits).tolist()
            [0, 0, 1, 1, 0, 1]
        """
        if self.task is not Task.MULTILABEL:  # before their values: any value is refused
            given = [
                f"{name}={value.item() if isinstance(value, np.generic) else value!r}"
                for name, value, default in (
                    ("min_support", min_support, None),
                    ("average", average, "micro"),
                    ("prior_slope", prior_slope, None),
                )
                if value is not default and not (isinstance(value, str) and value == default)
            ]
            if given:
                what = (
                    "one threshold, for the F-beta of the positive class"
                    if self.task is Task.BINARY
                    else "its logit adjustment, for macro-F-beta"
                )
                raise HeadConfigError(
                    f"Expected `min_support`, `average` and `prior_slope` only for "
                    f"task='multilabel': they choose per-label thresholds. Received: "
                    f"{', '.join(given)} for task={self.task.value!r}. A {self.task.value} "
                    f"head tunes {what}: leave them out."
                )
        beta2, support, average, slope = check_tuning_args(
            metric, beta, min_support, average, prior_slope
        )
        if self.task is Task.MULTICLASS and self.prior is None:
            raise HeadConfigError(
                "Expected a multiclass head built with `prior` to tune its logit adjustment. "
                "Received: prior=None. Build it with classification_head(..., prior=y_train)."
            )
        if slope is not None and slope != 0 and self.prior is None:
            raise HeadConfigError(
                "Expected a head built with `prior` for `prior_slope`: it scales the logit "
                f"of each label's prior. Received: prior_slope={slope!r} and prior=None. Build "
                "the head with classification_head(..., prior=y_train), or leave prior_slope "
                "out for one global threshold."
            )
        truth = self.encode(y)
        values = _check_outputs(scores, self.units, probabilities=not self.from_logits)
        if len(truth) != len(values):
            raise ValueError(
                f"Expected one row of scores per label. Received: {len(truth)} labels and "
                f"{len(values)} rows of scores. Pass the labels and model.predict(x) of the same "
                "samples."
            )
        if self.task is not Task.MULTICLASS and not truth.any():
            raise LabelFormatError(
                f"Expected at least one positive label to tune thresholds on. Received: "
                f"{truth.size} labels, all 0. Every threshold scores 0 there: keep the "
                "current threshold, or tune on validation data that has positives."
            )
        layer = self.layer
        if self.task is Task.MULTICLASS:
            ids = truth.argmax(axis=1) if truth.ndim == 2 else truth.astype(np.int64)
            assert self.prior is not None
            layer.logit_adjustment = tune_tau(ids, values, self.prior, self.from_logits, beta2)
            return Head(layer)
        tuned = tune_columns(
            truth,
            values,
            self.from_logits,
            beta2=beta2,
            average=average,
            min_support=support,
            prior=self.prior if self.task is Task.MULTILABEL else None,
            prior_slope=slope,
            min_labels=self.min_labels,
        )
        if tuned is not None:
            if self.task is Task.BINARY or len(set(tuned)) == 1:
                layer.threshold = tuned[0]
            else:
                layer.threshold = tuned
        return Head(layer)

    # -- other ways to get a head -------------------------------------------------------

    @classmethod
    def from_model(cls, model: keras.Model) -> Head:
        """Recover the head of a model built with safeheads, e.g. after ``load_model``.

        Args:
            model: A Keras model whose last `HeadLayer` is the head's layer,
                also inside a nested model (a ``Sequential`` used as a layer).

        Returns:
            A `Head` around that layer (fresh loss and metric objects).

        Raises:
            HeadConfigError: If the model has no `HeadLayer`.

        Example:
            >>> import keras, safeheads
            >>> model = keras.Sequential([keras.Input((2,)), safeheads.classification_head("binary").layer])
            >>> safeheads.Head.from_model(model)
            Head('binary', 2, from_logits=False, threshold=0.5)
        """
        found = _last_head_layer(model)
        if found is not None:
            return cls(found)
        raise HeadConfigError(
            f"Expected a model with a safeheads.HeadLayer. Received: model {model.name!r} "
            "without one. Use safeheads.check(model) to inspect a hand-written head."
        )

    @classmethod
    def from_labels(
        cls,
        y: Any,
        *,
        from_logits: bool = False,
        labels: str | None = None,
        threshold: Threshold | None = None,
        name: str | None = None,
    ) -> Head:
        """Build the head that fits a label array (task, ``n`` and class names).

        Args:
            y: Training labels in any format `describe_labels` accepts.
            from_logits: As in `classification_head`.
            labels: As in `classification_head` (multiclass only).
            threshold: As in `classification_head` (binary and multilabel only).
            name: As in `classification_head`.

        Returns:
            A `Head` whose ``encode`` accepts ``y``.

        Raises:
            LabelFormatError: If ``y`` is malformed, or its class names name only one
                class.
            HeadConfigError: If an option does not fit the task found in ``y``.

        Example:
            >>> import safeheads
            >>> safeheads.Head.from_labels(["cat", "dog", "bird", "dog"])
            Head('multiclass', 3, from_logits=False, labels='sparse', class_names=['bird', 'cat', 'dog'])
        """
        parsed = parse_labels(y)
        check_named_classes(
            parsed,
            "to build a head from",
            "Pass labels that hold every class, or build the head with "
            "classification_head(task, n, class_names=[...]).",
        )
        check_class_count(parsed, "Head.from_labels", "has one output per id in [0, n)")
        warn_empty_classes(parsed)  # 1-based or far-apart ids would become dead classes
        return classification_head(
            parsed.task,
            parsed.n,
            from_logits=from_logits,
            labels=labels,
            threshold=threshold,
            class_names=parsed.class_names,  # type: ignore[arg-type]
            name=name,
        )


def _last_head_layer(model: keras.Model) -> HeadLayer | None:
    """The last `HeadLayer` of ``model``, searching nested models from the end."""
    for layer in reversed(model.layers):
        if isinstance(layer, HeadLayer):
            return layer
        if isinstance(layer, keras.Model):
            found = _last_head_layer(layer)
            if found is not None:
                return found
    return None


@functools.cache
def _flushes_subnormals(backend: str) -> bool:
    """Whether ``backend``'s CPU kernels read float32 subnormals as 0 (flush to zero).

    TensorFlow's and XLA's (JAX) do: a metric compares an output of 1e-40 as 0
    there, PyTorch's compare it exactly. Asked of the backend, not assumed.
    """
    subnormal = np.array([np.finfo(np.float32).tiny / 2], dtype=np.float32)
    above = keras.ops.greater(subnormal, np.float32(0.0))
    return not bool(keras.ops.convert_to_numpy(above)[0])


def _check_outputs(outputs: Any, units: int, *, probabilities: bool) -> np.ndarray:
    """``outputs`` as a finite float32 ``(N, units)`` array (as the metrics read them); in
    [0, 1] when ``probabilities``."""
    try:  # a tensor of any backend; torch's bfloat16 (which numpy lacks) as float32
        scores = np.asarray(tensor_to_numpy(outputs))
    except ValueError:  # numpy: "inhomogeneous shape" for ragged rows
        raise ValueError(
            f"Expected model outputs of shape (N, {units}). Received: rows of different lengths. "
            "Pass model.predict(x), one row per sample."
        ) from None
    if scores.dtype.kind in "USO":  # strings or objects (bfloat16 is kind "V")
        raise ValueError(
            f"Expected numeric model outputs (model.predict(x)). Received: dtype {scores.dtype}. "
            "To turn labels into ids use head.encode."
        )
    if scores.ndim == 1 and units == 1:
        scores = scores.reshape(-1, 1)
    if scores.ndim != 2 or scores.shape[1] != units:
        raise ValueError(
            f"Expected model outputs of shape (N, {units}). Received: shape {scores.shape}. "
            "Pass model.predict(x) of a model with this head's layer as its output."
        )
    finite = np.isfinite(scores)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise ValueError(
            f"Expected finite model outputs. Received: outputs[{bad[0]}, {bad[1]}]="
            f"{float(scores[tuple(bad)])!r} ({int((~finite).sum())} of {scores.size} values not "
            "finite). Training diverged; check the loss and the labels."
        )
    # the head's metrics compare float32 outputs: decide on the same values (beyond
    # float32's range a finite float64 output becomes +-inf there too)
    with np.errstate(over="ignore"):
        scores = scores.astype(np.float32, copy=False)
    # and read float32 subnormals (|x| < 1.2e-38) as 0 where the backend's kernels do
    small = np.abs(scores) < np.finfo(np.float32).tiny  # zeros and subnormals
    if small.any() and _flushes_subnormals(keras.backend.backend()):
        scores = np.where(small, np.float32(0.0), scores)
    if probabilities:
        outside = (scores < 0) | (scores > 1)
        if outside.any():
            bad = np.argwhere(outside)[0]
            raise ValueError(
                f"Expected probabilities in [0, 1] from a head with from_logits=False. "
                f"Received: outputs[{bad[0]}, {bad[1]}]={float(scores[tuple(bad)])!r} "
                f"({int(outside.sum())} of {scores.size} values outside [0, 1]). For logits, "
                "build the head with from_logits=True; else pass model.predict(x) of the "
                "model that holds this head's layer."
            )
    return scores


def classification_head(
    task: Task | str,
    n: int | None = None,
    *,
    from_logits: bool = False,
    labels: str | None = None,
    threshold: Threshold | None = None,
    class_names: Sequence[str | int] | None = None,
    name: str | None = None,
    prior: Any = None,
    logit_adjustment: float | None = None,
    pos_weight: str | PosWeight | None = None,
    focal_gamma: float = 0.0,
    label_smoothing: float = 0.0,
    top_k: int | None = None,
    min_labels: int = 0,
) -> Head:
    """Build a matched output layer, loss and metrics for a classification task.

    =============  =======  ==========  ==================================  ==============
    task           units    activation  loss                                metrics
    =============  =======  ==========  ==================================  ==============
    ``binary``     1        sigmoid     BinaryCrossentropy                  accuracy, auc,
                                                                            precision, recall
    ``multiclass`` n        softmax     SparseCategoricalCrossentropy       accuracy
                                        (CategoricalCrossentropy for        (+ top_5_accuracy
                                        ``labels="one_hot"``)               when n >= 10)
    ``multilabel`` n        sigmoid     BinaryCrossentropy                  exact_match,
                                                                            label_accuracy,
                                                                            micro_f1, macro_f1,
                                                                            auc
    =============  =======  ==========  ==================================  ==============

    A multilabel head with ``n >= 20`` (or ``top_k``) also reports
    ``precision_at_{k}`` and ``recall_at_{k}`` (k = 5 by default).

    With ``from_logits=True`` the layer is linear and the loss and every
    metric read logits (thresholds are applied in logit space). The layer always
    computes and outputs float32.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"multilabel"`` (or a `Task`).
        n: Number of classes or labels. Binary: omit it, or pass 1 or 2.
        from_logits: Output logits from a linear layer (the loss and metrics
            follow).
        labels: Multiclass target format: ``"sparse"`` class ids (default; no
            one-hot matrix is ever built) or ``"one_hot"``. Omit for binary and
            multilabel.
        threshold: Decision threshold as a probability in (0, 1), default 0.5;
            for multilabel also one per label. Omit for multiclass.
        class_names: Names of the ``n`` classes or labels (str or int); used by
            ``encode`` and ``decode(names=True)`` and saved with the model.
        name: Name of the output layer.
        prior: The training labels (any format ``encode`` accepts), or the
            label frequencies: a number for binary (the positive rate), one
            per label for multilabel, one per class summing to 1 for
            multiclass (a 1-D sequence of ``units`` values in [0, 1], not all
            0 or 1, is read as frequencies). Sets the output bias so that the
            untrained head predicts these frequencies: log-odds per output for
            binary and multilabel, log-frequencies for multiclass, clipped to
            [1e-6, 1 - 1e-6]. Rare labels then start at their base rate instead
            of p=0.5, and training does not spend its first epochs pushing them
            down. Recommended for every imbalanced head; saved as frequencies.
        logit_adjustment: Multiclass only, needs ``prior``: decisions (``decode``
            and the accuracy metrics) take the argmax of
            ``log-scores - tau * log(prior)``; tune it with ``tune_thresholds``.
        pos_weight: Binary and multilabel: weight of the positive term of the
            cross-entropy: ``"balanced"`` (``n_negative / n_positive`` per output,
            from ``prior``), a float, or one float per output. Off by default:
            once thresholds are tuned it did not help, and fully balanced
            weights hurt micro-F1 on Reuters.
        focal_gamma: Focal loss focusing parameter ``gamma`` (0: off; 2 is usual).
        label_smoothing: Label smoothing in [0, 1); the same for sparse, one-hot
            and multi-hot labels.
        top_k: Multilabel only: the ``k`` of the ``precision_at_{k}`` and
            ``recall_at_{k}`` metrics; default 5 when ``n >= 20``, none otherwise.
        min_labels: Multilabel only: the fewest labels predicted per sample
            (default 0). A sample with fewer outputs past their thresholds also
            gets the labels whose outputs are nearest their own thresholds
            (largest ``logit(score) - logit(threshold)``), in ``decode`` and in
            every thresholded metric. Pass 1 when every sample has at least one
            label, as in most topic and emotion data.

    With ``pos_weight``, ``focal_gamma`` or ``label_smoothing`` the loss is
    `SigmoidCrossentropy` (binary, multilabel) or `SoftmaxCrossentropy`
    (multiclass); otherwise it is the Keras loss in the table.

    Returns:
        A `Head`, which unpacks as ``layer, loss, metrics``.

    Raises:
        TypeError: If an argument has the wrong type.
        HeadConfigError: If an argument has a wrong value for the task.

    Example:
        >>> import keras
        >>> from safeheads import classification_head
        >>> layer, loss, metrics = classification_head("multilabel", 4)
        >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), layer])
        >>> model.compile("adam", loss=loss, metrics=metrics)
        >>> [metric.name for metric in metrics]
        ['exact_match', 'label_accuracy', 'micro_f1', 'macro_f1', 'auc']
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"Expected `name` to be a str or None. Received: name={name!r} of type "
            f"{type(name).__name__}. Pass a layer name such as name='head', or leave it out."
        )
    layer = HeadLayer(
        task,
        n,
        from_logits=from_logits,
        labels=labels,
        threshold=threshold,
        class_names=class_names,
        name=name,
        prior=prior,
        logit_adjustment=logit_adjustment,
        pos_weight=pos_weight,
        focal_gamma=focal_gamma,
        label_smoothing=label_smoothing,
        top_k=top_k,
        min_labels=min_labels,
    )
    return Head(layer)
