"""`classification_head`: the facade, and `Head`, the matched triple it returns."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import keras
import numpy as np

from safeheads._labels import encode_labels, parse_labels
from safeheads._layer import HeadLayer
from safeheads._metrics import (
    ExactMatch,
    ThresholdAccuracy,
    ThresholdF1,
    ThresholdPrecision,
    ThresholdRecall,
)
from safeheads._tasks import Task
from safeheads._thresholds import Threshold, cut_points
from safeheads.errors import HeadConfigError

__all__ = ["Head", "classification_head"]


def _build_loss(layer: HeadLayer) -> keras.losses.Loss:
    if layer.task is Task.MULTICLASS:
        if layer.labels == "one_hot":
            return keras.losses.CategoricalCrossentropy(from_logits=layer.from_logits)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=layer.from_logits)
    return keras.losses.BinaryCrossentropy(from_logits=layer.from_logits)


def _build_metrics(layer: HeadLayer) -> list[keras.metrics.Metric]:
    from_logits = layer.from_logits
    threshold = layer.threshold
    if layer.task is Task.MULTICLASS:
        if layer.labels == "one_hot":
            metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
            if layer.n >= 10:
                metrics.append(keras.metrics.TopKCategoricalAccuracy(k=5, name="top_5_accuracy"))
        else:
            metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
            if layer.n >= 10:
                metrics.append(
                    keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top_5_accuracy")
                )
        return metrics
    if layer.task is Task.BINARY:
        return [
            ThresholdAccuracy(threshold, from_logits=from_logits, name="accuracy"),
            keras.metrics.AUC(from_logits=from_logits, name="auc"),
            ThresholdPrecision(1, threshold, from_logits=from_logits, name="precision"),
            ThresholdRecall(1, threshold, from_logits=from_logits, name="recall"),
        ]
    n = layer.n
    return [
        ExactMatch(threshold, from_logits=from_logits, name="exact_match"),
        ThresholdAccuracy(threshold, from_logits=from_logits, name="label_accuracy"),
        ThresholdF1(n, threshold, average="micro", from_logits=from_logits, name="micro_f1"),
        ThresholdF1(n, threshold, average="macro", from_logits=from_logits, name="macro_f1"),
        keras.metrics.AUC(multi_label=True, num_labels=n, from_logits=from_logits, name="auc"),
    ]


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
        return f"Head({', '.join(options)})"

    # -- what the head is ---------------------------------------------------------------

    @property
    def task(self) -> Task:
        """The task: ``Task.BINARY``, ``Task.MULTICLASS`` or ``Task.MULTILABEL``."""
        return self.layer.task  # type: ignore[no-any-return]

    @property
    def n(self) -> int:
        """Number of classes (2 for binary) or labels."""
        return self.layer.n  # type: ignore[no-any-return]

    @property
    def units(self) -> int:
        """Width of the output layer (1 for binary)."""
        return self.layer.units  # type: ignore[no-any-return]

    @property
    def from_logits(self) -> bool:
        """Whether the layer outputs logits (linear) instead of probabilities."""
        return self.layer.from_logits  # type: ignore[no-any-return]

    @property
    def labels(self) -> str | None:
        """Multiclass target format (``"sparse"`` or ``"one_hot"``); ``None`` otherwise."""
        return self.layer.labels  # type: ignore[no-any-return]

    @property
    def threshold(self) -> float | tuple[float, ...] | None:
        """Decision threshold as a probability; ``None`` for multiclass (argmax)."""
        return self.layer.threshold  # type: ignore[no-any-return]

    @property
    def class_names(self) -> tuple[str | int, ...] | None:
        """Names of the classes or labels, if given."""
        return self.layer.class_names  # type: ignore[no-any-return]

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
            HeadConfigError: If ``names=True`` and the head has no class names.
            ValueError: If ``outputs`` has the wrong shape or non-finite values.

        Example:
            >>> import numpy as np, safeheads
            >>> head = safeheads.classification_head("multilabel", 3, class_names=["a", "b", "c"])
            >>> head.decode(np.array([[0.9, 0.2, 0.7]]))
            array([[1, 0, 1]])
            >>> head.decode(np.array([[0.9, 0.2, 0.7]]), names=True)
            [['a', 'c']]
        """
        if names and self.class_names is None:
            raise HeadConfigError(
                "Expected a head with `class_names` for decode(names=True). Received: "
                "class_names=None. Pass class_names=... to classification_head."
            )
        scores = _check_outputs(outputs, self.units)
        if self.task is Task.MULTICLASS:
            ids = scores.argmax(axis=1).astype(np.int64)
        else:
            assert self.threshold is not None
            decided = (scores > cut_points(self.threshold, self.from_logits)).astype(np.int64)
            if self.task is Task.MULTILABEL:
                if not names:
                    return decided
                assert self.class_names is not None
                table = self.class_names
                return [[table[j] for j in np.flatnonzero(row)] for row in decided]
            ids = decided[:, 0]
        if names:
            return np.asarray(self.class_names)[ids]
        return ids

    # -- other ways to get a head -------------------------------------------------------

    @classmethod
    def from_model(cls, model: keras.Model) -> Head:
        """Recover the head of a model built with safeheads, e.g. after ``load_model``.

        Args:
            model: A Keras model whose last `HeadLayer` is the head's layer.

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
        for layer in reversed(model.layers):
            if isinstance(layer, HeadLayer):
                return cls(layer)
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
            LabelFormatError: If ``y`` is malformed.
            HeadConfigError: If an option does not fit the task found in ``y``.

        Example:
            >>> import safeheads
            >>> safeheads.Head.from_labels(["cat", "dog", "bird", "dog"])
            Head('multiclass', 3, from_logits=False, labels='sparse', class_names=['bird', 'cat', 'dog'])
        """
        parsed = parse_labels(y)
        return classification_head(
            parsed.task,
            parsed.n,
            from_logits=from_logits,
            labels=labels,
            threshold=threshold,
            class_names=parsed.class_names,  # type: ignore[arg-type]
            name=name,
        )


def _check_outputs(outputs: Any, units: int) -> np.ndarray:
    scores = np.asarray(outputs.numpy() if hasattr(outputs, "numpy") else outputs)
    if scores.ndim == 1 and units == 1:
        scores = scores.reshape(-1, 1)
    if scores.ndim != 2 or scores.shape[1] != units:
        raise ValueError(
            f"Expected model outputs of shape (N, {units}). Received: shape {scores.shape}."
        )
    finite = np.isfinite(scores)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise ValueError(
            f"Expected finite model outputs. Received: outputs[{bad[0]}, {bad[1]}]="
            f"{scores[tuple(bad)]!r} ({int((~finite).sum())} of {scores.size} values not "
            "finite). Training diverged; check the loss and the labels."
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
            f"{type(name).__name__}."
        )
    layer = HeadLayer(
        task,
        n,
        from_logits=from_logits,
        labels=labels,
        threshold=threshold,
        class_names=class_names,
        name=name,
    )
    return Head(layer)
