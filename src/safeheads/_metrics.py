"""Threshold metrics that Keras lacks or gets wrong for logits and multilabel outputs.

Keras' ``Precision``/``Recall`` clip predictions to [0, 1], so a threshold on logits
cannot be passed to them, and ``F1Score(threshold=None)`` marks the argmax of each
row. The metrics here compare outputs to a threshold given as a probability and
converted to a logit when ``from_logits=True``; their state is Keras metric
variables (summed across replicas), and the scores are computed from counts
accumulated over all batches.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from safeheads._messages import (
    check_bool,
    check_choice,
    check_int,
    check_label_shape,
    check_num_labels,
    check_output_rank,
)
from safeheads._ranking import row_weights
from safeheads._thresholds import (
    FLOAT32_MAX,
    FLOAT32_TINY,
    Threshold,
    check_min_labels,
    check_threshold,
    cut_points,
)

__all__ = [
    "ExactMatch",
    "ThresholdAccuracy",
    "ThresholdF1",
    "ThresholdPrecision",
    "ThresholdRecall",
]

_AVERAGES = ("micro", "macro")


class _ThresholdMetric(keras.metrics.Metric):  # type: ignore[misc]
    """Shared threshold handling: ``predicted = output > cut``."""

    def __init__(
        self,
        threshold: Threshold = 0.5,
        *,
        from_logits: bool = False,
        min_labels: int = 0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.threshold = check_threshold(threshold)
        self.from_logits = check_bool(from_logits, "from_logits")
        self.min_labels = check_min_labels(min_labels)
        self._cut = cut_points(self.threshold, self.from_logits)

    def _binarize(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        """Return float32 (true, predicted) shaped like ``y_pred`` as 2-D, and the weight
        of each cell: ``sample_weight`` of shape (N,), (N, 1) or (N, units) broadcast to
        that shape, or ``None`` without sample weights (the unweighted path skips them)."""
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
        check_output_rank(y_pred, self.name)
        given = tuple(y_pred.shape)
        if len(y_pred.shape) == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        width = y_pred.shape[-1]
        if self._cut.ndim and width is not None and width != self._cut.size:
            raise ValueError(
                f"Expected outputs of width {self._cut.size}, one per threshold, for the "
                f"metric {self.name}. Received: y_pred of shape {given}. Pass one threshold "
                "per output, or a single threshold."
            )
        if width == 1 and self.min_labels:
            raise ValueError(
                f"Expected min_labels=0 for the metric {self.name} on one output (a binary "
                f"output): min_labels={self.min_labels} would mark every sample positive. "
                f"Received: y_pred of shape {given}. Leave `min_labels` out."
            )
        if width is not None and self.min_labels > width:
            raise ValueError(
                f"Expected outputs of width >= min_labels={self.min_labels} for the metric "
                f"{self.name}. Received: y_pred of shape {given}. Pass min_labels={width} or "
                "less."
            )
        y_true = ops.convert_to_tensor(y_true)
        check_label_shape(y_true, (y_pred.shape[0], width), self.name)
        y_true = ops.reshape(ops.cast(y_true, "float32"), ops.shape(y_pred))
        predicted = ops.cast(ops.greater(y_pred, self._cut), "float32")
        if self.min_labels:
            predicted = self._at_least(y_pred, predicted)
        if sample_weight is None:
            return y_true, predicted, None
        weight = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
        if len(weight.shape) <= 1:
            weight = ops.reshape(weight, (-1, 1))
        return y_true, predicted, ops.broadcast_to(weight, ops.shape(y_pred))

    def _at_least(self, y_pred: Any, predicted: Any) -> Any:
        """``predicted`` with each row raised to ``min_labels`` labels: those it misses
        are the undecided outputs nearest their threshold (largest logit margin), as
        `safeheads.Head.decode` adds them (ties go to the lower index)."""
        if self.from_logits:
            logits = y_pred
        else:  # subnormal probabilities rank as 0, as decode reads them on every backend
            y_pred = ops.where(ops.less(y_pred, FLOAT32_TINY), 0.0, y_pred)
            logits = ops.log(y_pred) - ops.log1p(-y_pred)
        # ops.subtract, not `-`: numpy would read a torch tensor that needs grad
        margin = ops.subtract(logits, cut_points(self.threshold, True))
        key = ops.where(predicted > 0, float("-inf"), ops.clip(margin, -FLOAT32_MAX, FLOAT32_MAX))
        # Each output's rank in its row, largest key first, ties to the lower index: a
        # stable argsort on every backend (torch.topk orders ties arbitrarily), and no
        # (rows, k, outputs) one-hot.
        rank = ops.argsort(ops.argsort(ops.negative(key)))
        need = self.min_labels - ops.sum(predicted, axis=1, keepdims=True)
        added = ops.cast(ops.less(ops.cast(rank, "float32"), need), "float32")
        return ops.maximum(predicted, added)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        threshold = self.threshold
        config.update(
            threshold=list(threshold) if isinstance(threshold, tuple) else threshold,
            from_logits=self.from_logits,
            min_labels=self.min_labels,
        )
        return config


@keras.saving.register_keras_serializable(package="safeheads")
class ThresholdAccuracy(_ThresholdMetric):
    """Share of output cells whose thresholded prediction equals the label.

    For a binary head (one output) this is the usual accuracy. For a multilabel
    head it is the per-label (Hamming) accuracy, which safeheads names
    ``label_accuracy``: it is high for a model that predicts no label at all.
    ``sample_weight`` may hold one weight per sample or one per output cell.

    Args:
        threshold: Probability threshold in (0, 1), or one per output.
        from_logits: Whether outputs are logits; the threshold is then compared
            in logit space.
        min_labels: The fewest labels predicted per sample (multilabel outputs; 0:
            no minimum). A row with fewer outputs past their thresholds also gets
            the outputs nearest their thresholds (largest logit margin), as
            `Head.decode` does.
        name: Metric name.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``min_labels`` is not an int.
        HeadConfigError: If a threshold is outside (0, 1) or ``min_labels`` < 0.
        ValueError: From ``update_state``, for one threshold per output and
            outputs of another width, or outputs narrower than ``min_labels``.

    Example:
        >>> import numpy as np
        >>> from safeheads import ThresholdAccuracy
        >>> metric = ThresholdAccuracy(from_logits=True)
        >>> metric.update_state(np.array([[1.0], [0.0]]), np.array([[2.0], [0.5]]))
        >>> float(metric.result())
        0.5
    """

    def __init__(
        self,
        threshold: Threshold = 0.5,
        *,
        from_logits: bool = False,
        min_labels: int = 0,
        name: str = "accuracy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            threshold, from_logits=from_logits, min_labels=min_labels, name=name, dtype=dtype
        )
        self.correct = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="correct"
        )
        self.total = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="total")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, predicted, weight = self._binarize(y_true, y_pred, sample_weight)
        equal = ops.cast(ops.equal(y_true, predicted), "float32")
        if weight is None:
            self.correct.assign_add(ops.sum(equal))
            self.total.assign_add(ops.cast(ops.size(equal), "float32"))
        else:
            self.correct.assign_add(ops.sum(equal * weight))
            self.total.assign_add(ops.sum(weight))

    def result(self) -> Any:
        return ops.divide_no_nan(self.correct, self.total)


@keras.saving.register_keras_serializable(package="safeheads")
class ExactMatch(_ThresholdMetric):
    """Share of samples whose whole predicted label set equals the true one.

    Also called subset accuracy: the accuracy a person means for a multilabel task.
    ``sample_weight`` holds one weight per sample (a ``ValueError`` for one per cell).

    Args:
        threshold: Probability threshold in (0, 1), or one per label.
        from_logits: Whether outputs are logits.
        min_labels: The fewest labels predicted per sample (multilabel outputs; 0:
            no minimum). A row with fewer outputs past their thresholds also gets
            the outputs nearest their thresholds (largest logit margin), as
            `Head.decode` does.
        name: Metric name.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``min_labels`` is not an int.
        HeadConfigError: If a threshold is outside (0, 1) or ``min_labels`` < 0.
        ValueError: From ``update_state``, for one threshold per output and
            outputs of another width, or outputs narrower than ``min_labels``.

    Example:
        >>> import numpy as np
        >>> from safeheads import ExactMatch
        >>> metric = ExactMatch()
        >>> metric.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.2], [0.8, 0.1]]))
        >>> float(metric.result())
        0.5
    """

    def __init__(
        self,
        threshold: Threshold = 0.5,
        *,
        from_logits: bool = False,
        min_labels: int = 0,
        name: str = "exact_match",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            threshold, from_logits=from_logits, min_labels=min_labels, name=name, dtype=dtype
        )
        self.matches = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="matches"
        )
        self.total = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="total")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, predicted, _ = self._binarize(y_true, y_pred, None)
        row_match = ops.cast(ops.all(ops.equal(y_true, predicted), axis=1), "float32")
        if sample_weight is None:
            self.matches.assign_add(ops.sum(row_match))
            self.total.assign_add(ops.cast(ops.shape(row_match)[0], "float32"))
        else:
            weight = row_weights(sample_weight, self.name, ops.shape(row_match)[0])
            self.matches.assign_add(ops.sum(row_match * weight))
            self.total.assign_add(ops.sum(weight))

    def result(self) -> Any:
        return ops.divide_no_nan(self.matches, self.total)


class _ConfusionMetric(_ThresholdMetric):
    """Per-output true-positive, false-positive and false-negative counts."""

    def __init__(
        self,
        num_labels: int = 1,
        threshold: Threshold = 0.5,
        *,
        average: str = "micro",
        from_logits: bool = False,
        min_labels: int = 0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        num_labels = check_int(num_labels, "num_labels")
        if isinstance(check_threshold(threshold), tuple):  # in the declared order
            check_threshold(threshold, num_labels)
        check_choice(average, "average", _AVERAGES)
        check_bool(from_logits, "from_logits")
        check_min_labels(min_labels, num_labels, "num_labels")
        super().__init__(
            threshold, from_logits=from_logits, min_labels=min_labels, name=name, dtype=dtype
        )
        self.num_labels = int(num_labels)
        self.average = average
        shape = (self.num_labels,)
        self.true_positives = self.add_variable(
            shape=shape, initializer="zeros", dtype="float32", name="tp"
        )
        self.false_positives = self.add_variable(
            shape=shape, initializer="zeros", dtype="float32", name="fp"
        )
        self.false_negatives = self.add_variable(
            shape=shape, initializer="zeros", dtype="float32", name="fn"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        check_num_labels(ops.convert_to_tensor(y_pred), self.num_labels, self.name)
        y_true, predicted, weight = self._binarize(y_true, y_pred, sample_weight)
        weighted_pred, weighted_true = predicted, y_true
        if weight is not None:
            weighted_pred, weighted_true = predicted * weight, y_true * weight
        true_positive = ops.sum(weighted_pred * y_true, axis=0)
        self.true_positives.assign_add(true_positive)
        self.false_positives.assign_add(ops.sum(weighted_pred, axis=0) - true_positive)
        self.false_negatives.assign_add(ops.sum(weighted_true, axis=0) - true_positive)

    def _score(self, numerator: Any, denominator: Any) -> Any:
        """Micro: ratio of summed counts; macro: mean of per-label ratios (0 when 0/0)."""
        if self.average == "micro":
            return ops.divide_no_nan(ops.sum(numerator), ops.sum(denominator))
        return ops.mean(ops.divide_no_nan(numerator, denominator))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(num_labels=self.num_labels, average=self.average)
        return config


_CONFUSION_DOC = """

    ``sample_weight`` may hold one weight per sample or one per output cell.

    Args:
        num_labels: Number of outputs (1 for a binary head).
        threshold: Probability threshold in (0, 1), or one per output.
        average: ``"micro"`` (pool the counts of all outputs) or ``"macro"``
            (unweighted mean of per-output scores, 0 for an output with no
            positives and no predictions, as scikit-learn's ``zero_division=0``).
        from_logits: Whether outputs are logits.
        min_labels: The fewest labels predicted per sample (multilabel outputs; 0:
            no minimum). A row with fewer outputs past their thresholds also gets
            the outputs nearest their thresholds (largest logit margin), as
            `Head.decode` does.
        name: Metric name.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``num_labels`` or ``min_labels`` is not an int or
            ``average`` not a str.
        HeadConfigError: If ``num_labels`` < 1, ``average`` is unknown, a
            threshold is outside (0, 1) or their number is not ``num_labels``,
            or ``min_labels`` is not in [0, ``num_labels``].
"""


@keras.saving.register_keras_serializable(package="safeheads")
class ThresholdPrecision(_ConfusionMetric):
    def __init__(
        self,
        num_labels: int = 1,
        threshold: Threshold = 0.5,
        *,
        average: str = "micro",
        from_logits: bool = False,
        min_labels: int = 0,
        name: str = "precision",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            num_labels,
            threshold,
            average=average,
            from_logits=from_logits,
            min_labels=min_labels,
            name=name,
            dtype=dtype,
        )

    def result(self) -> Any:
        return self._score(self.true_positives, self.true_positives + self.false_positives)


@keras.saving.register_keras_serializable(package="safeheads")
class ThresholdRecall(_ConfusionMetric):
    def __init__(
        self,
        num_labels: int = 1,
        threshold: Threshold = 0.5,
        *,
        average: str = "micro",
        from_logits: bool = False,
        min_labels: int = 0,
        name: str = "recall",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            num_labels,
            threshold,
            average=average,
            from_logits=from_logits,
            min_labels=min_labels,
            name=name,
            dtype=dtype,
        )

    def result(self) -> Any:
        return self._score(self.true_positives, self.true_positives + self.false_negatives)


@keras.saving.register_keras_serializable(package="safeheads")
class ThresholdF1(_ConfusionMetric):
    def __init__(
        self,
        num_labels: int = 1,
        threshold: Threshold = 0.5,
        *,
        average: str = "micro",
        from_logits: bool = False,
        min_labels: int = 0,
        name: str = "f1",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            num_labels,
            threshold,
            average=average,
            from_logits=from_logits,
            min_labels=min_labels,
            name=name,
            dtype=dtype,
        )

    def result(self) -> Any:
        tp2 = 2.0 * self.true_positives
        return self._score(tp2, tp2 + self.false_positives + self.false_negatives)


ThresholdPrecision.__doc__ = (
    """Precision (TP / (TP + FP)) of thresholded outputs, accumulated over batches."""
    + _CONFUSION_DOC
    + """
    Example:
        >>> import numpy as np
        >>> from safeheads import ThresholdPrecision
        >>> metric = ThresholdPrecision(from_logits=True)
        >>> metric.update_state(np.array([[1.0], [0.0], [1.0]]), np.array([[3.0], [1.0], [-1.0]]))
        >>> float(metric.result())
        0.5
"""
)
ThresholdRecall.__doc__ = (
    """Recall (TP / (TP + FN)) of thresholded outputs, accumulated over batches."""
    + _CONFUSION_DOC
    + """
    Example:
        >>> import numpy as np
        >>> from safeheads import ThresholdRecall
        >>> metric = ThresholdRecall(num_labels=2, average="macro")
        >>> metric.update_state(np.array([[1, 1], [1, 0]]), np.array([[0.9, 0.1], [0.2, 0.3]]))
        >>> float(metric.result())
        0.25
"""
)
ThresholdF1.__doc__ = (
    """F1 score (2TP / (2TP + FP + FN)) of thresholded outputs, over all batches.

    Equal to scikit-learn's ``f1_score(y, y_pred, average=..., zero_division=0)``
    on the same thresholded multilabel predictions. With one output (a binary
    head) it is the F1 of the positive class, scikit-learn's ``average="binary"``,
    whatever ``average`` says: scikit-learn's micro and macro also score the
    negative class there."""
    + _CONFUSION_DOC
    + """
    Example:
        >>> import numpy as np
        >>> from safeheads import ThresholdF1
        >>> metric = ThresholdF1(num_labels=2, average="macro")
        >>> metric.update_state(np.array([[1, 0], [1, 0]]), np.array([[0.9, 0.1], [0.2, 0.3]]))
        >>> round(float(metric.result()), 4)
        0.3333
"""
)
