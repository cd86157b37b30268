"""Ranking metrics: top-k accuracy (multiclass), precision@k and recall@k (multilabel).

With dozens of labels and about one positive per sample, a thresholded F1
moves with the threshold; precision@k and recall@k score the ranking of the
outputs alone (the k highest outputs of each sample), so they are the same for
logits and probabilities and need no threshold. All are means over samples,
accumulated in metric variables over all batches.

Ties go to the lower class index everywhere, as ``argmax`` and ``top_k`` break
them. Keras' ``SparseTopKCategoricalAccuracy`` counts every class tied with the
k-th score as in the top k, so a model whose softmax saturates (one class at
1.0, the rest at exactly 0.0) or collapses to a constant output scores 1.0.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from safeheads._messages import check_bool, check_int, check_label_shape, check_output_rank
from safeheads.errors import HeadConfigError

__all__ = [
    "PrecisionAtK",
    "RecallAtK",
    "TopKAccuracy",
    "check_k",
    "row_weights",
]


def check_k(k: object, name: str = "k", n: int | None = None) -> int:
    """Validate a top-k size: an int >= 1, and <= ``n`` when ``n`` is known."""
    k = check_int(k, name, maximum=n)
    if n is not None and k > n:
        raise HeadConfigError(
            f"Expected `{name}` <= n={n}, the number of labels. Received: {name}={int(k)}. "
            f"Pass {name}={n} or less."
        )
    return k


def row_weights(sample_weight: Any, name: str, rows: Any) -> Any:
    """``sample_weight`` as one float32 weight per sample, shape ``(N,)``, ``N = rows``.

    A metric that scores whole samples (rows) has no use for one weight per output:
    a weight of shape ``(N, units)`` with ``units`` > 1 gets a ``ValueError``
    instead of being flattened into ``N * units`` row weights. A scalar (or ``(1,)``)
    weight weighs every row, so the weighted mean is the unweighted one, as in Keras.
    """
    weight = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
    shape = tuple(weight.shape)
    if len(shape) > 2 or (len(shape) == 2 and shape[1] is not None and shape[1] != 1):
        raise ValueError(
            f"Expected `sample_weight` of shape (N,) or (N, 1) for {name}: it scores whole "
            f"samples. Received: sample_weight of shape {shape}. Pass one weight per sample."
        )
    return ops.broadcast_to(ops.reshape(weight, (-1,)), (rows,))


def top_k_hits(ids: Any, scores: Any, k: int) -> Any:
    """1.0 where class ``ids[i]`` is among the ``k`` highest ``scores[i]``, else 0.0.

    A class ranks above the true one when its score is higher, or equal with a
    lower index (the tie-break of ``argmax``), so tied scores never all count.
    A true class outside ``[0, n)`` or with a NaN score is a miss.
    """
    n = scores.shape[-1]
    ids = ops.cast(ops.reshape(ids, (-1, 1)), "int32")
    inside = ops.logical_and(ops.greater_equal(ids, 0), ops.less(ids, n))
    target = ops.take_along_axis(scores, ops.clip(ids, 0, n - 1), axis=-1)
    ahead = ops.logical_or(
        ops.greater(scores, target),
        ops.logical_and(ops.equal(scores, target), ops.less(ops.arange(n, dtype="int32"), ids)),
    )
    rank = ops.sum(ops.cast(ahead, "int32"), axis=-1, keepdims=True)
    hit = ops.logical_and(ops.logical_and(ops.less(rank, k), inside), ops.equal(target, target))
    return ops.cast(ops.reshape(hit, (-1,)), "float32")


@keras.saving.register_keras_serializable(package="safeheads")
class TopKAccuracy(keras.metrics.Metric):  # type: ignore[misc]
    """Multiclass accuracy: the share of samples whose class is among the k highest outputs.

    With ``k=1`` this is the usual accuracy (the argmax of the outputs against
    the label). Ties between outputs go to the lower class index, as ``argmax``
    breaks them: unlike Keras' ``SparseTopKCategoricalAccuracy``, which counts
    every class tied with the k-th output as a hit, a constant or saturated
    output cannot score 1.0. Labels outside ``[0, n)`` count as misses.

    Args:
        k: How many of the highest outputs count, an int >= 1.
        sparse: Labels are class ids (``True``) or one-hot rows (``False``).
        name: Metric name; default ``"accuracy"`` for ``k=1``, else
            ``"top_{k}_accuracy"``.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``k`` is not an int.
        HeadConfigError: If ``k`` < 1.

    Example:
        >>> import numpy as np
        >>> from safeheads import TopKAccuracy
        >>> saturated = np.array([[1.0, 0.0, 0.0, 0.0]] * 4)  # always class 0
        >>> metric = TopKAccuracy(2)
        >>> metric.update_state(np.array([0, 1, 2, 3]), saturated)
        >>> float(metric.result())  # only classes 0 and 1 are in its top 2
        0.5
    """

    def __init__(
        self, k: int = 1, *, sparse: bool = True, name: str | None = None, dtype: Any = None
    ) -> None:
        k = check_k(k)
        super().__init__(name=name or ("accuracy" if k == 1 else f"top_{k}_accuracy"), dtype=dtype)
        self.k = k
        self.sparse = check_bool(sparse, "sparse")
        self.correct = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="correct"
        )
        self.total = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="total")

    def _scores(self, y_pred: Any) -> Any:
        """The scores ranked: the outputs as float32 (subclasses adjust them)."""
        return ops.cast(ops.convert_to_tensor(y_pred), "float32")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        check_output_rank(y_pred, self.name)
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_pred.shape) == 2:
            rows, width = tuple(y_pred.shape)
            check_label_shape(y_true, (rows, 1) if self.sparse else (rows, width), self.name)
        ids = y_true if self.sparse else ops.argmax(y_true, axis=-1)
        hit = top_k_hits(ids, self._scores(y_pred), self.k)
        if sample_weight is None:
            self.correct.assign_add(ops.sum(hit))
            self.total.assign_add(ops.cast(ops.shape(hit)[0], "float32"))
            return
        weight = row_weights(sample_weight, self.name, ops.shape(hit)[0])
        self.correct.assign_add(ops.sum(hit * weight))
        self.total.assign_add(ops.sum(weight))

    def result(self) -> Any:
        return ops.divide_no_nan(self.correct, self.total)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(k=self.k, sparse=self.sparse)
        return config


class _AtK(keras.metrics.Metric):  # type: ignore[misc]
    """Shared state: the sum of per-sample scores and their total weight."""

    def __init__(self, k: int, *, name: str, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.k = k
        self.score = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="score")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="float32", name="count")

    def _hits(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        """Return (hits in the top k, positives, weight), each of shape (N,)."""
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
        check_output_rank(y_pred, self.name)
        y_true = ops.convert_to_tensor(y_true)
        check_label_shape(y_true, tuple(y_pred.shape), self.name)
        y_true = ops.cast(y_true, "float32")
        width = y_pred.shape[-1]
        if width is not None and width < self.k:
            raise ValueError(
                f"Expected outputs with at least k={self.k} labels for {self.name}. "
                f"Received: y_pred of shape {tuple(y_pred.shape)}. Build the metric with "
                f"k <= {width}."
            )
        if keras.backend.backend() == "torch":  # torch.topk orders ties arbitrarily
            top = ops.argsort(-y_pred, axis=-1)[..., : self.k]  # stable: lower index first
        else:
            _, top = ops.top_k(y_pred, self.k, sorted=False)
        hits = ops.sum(ops.take_along_axis(y_true, top, axis=-1), axis=-1)
        positives = ops.sum(y_true, axis=-1)
        if sample_weight is None:
            weight = ops.ones_like(hits)
        else:
            weight = row_weights(sample_weight, self.name, ops.shape(hits)[0])
        return hits, positives, weight

    def result(self) -> Any:
        return ops.divide_no_nan(self.score, self.count)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(k=self.k)
        return config


@keras.saving.register_keras_serializable(package="safeheads")
class PrecisionAtK(_AtK):
    """Precision@k: the share of each sample's ``k`` highest outputs that are true labels.

    Per sample, ``|top_k(outputs) & labels| / k``; the metric is the (sample-
    weighted) mean over all samples seen. A sample with fewer than ``k`` labels
    cannot reach 1. Ties between outputs go to the lower label index. NaN
    outputs have no defined rank (the backend's ``top_k`` places them), and the
    loss is NaN then too: stop such a run (``keras.callbacks.TerminateOnNaN``).

    Args:
        k: How many of the highest outputs count, an int >= 1.
        name: Metric name; default ``"precision_at_{k}"``.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``k`` is not an int.
        HeadConfigError: If ``k`` < 1.

    Example:
        >>> import numpy as np
        >>> from safeheads import PrecisionAtK
        >>> metric = PrecisionAtK(2)
        >>> metric.update_state(np.array([[1, 0, 1, 0]]), np.array([[0.9, 0.8, 0.1, 0.0]]))
        >>> float(metric.result())
        0.5
    """

    def __init__(self, k: int = 5, *, name: str | None = None, dtype: Any = None) -> None:
        k = check_k(k)
        super().__init__(k, name=name or f"precision_at_{k}", dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        hits, _, weight = self._hits(y_true, y_pred, sample_weight)
        self.score.assign_add(ops.sum(hits / float(self.k) * weight))
        self.count.assign_add(ops.sum(weight))


@keras.saving.register_keras_serializable(package="safeheads")
class RecallAtK(_AtK):
    """Recall@k: the share of each sample's true labels found in its ``k`` highest outputs.

    Per sample, ``|top_k(outputs) & labels| / |labels|``; the metric is the
    (sample-weighted) mean over the samples that have at least one true label.
    Samples without any true label are skipped (their recall is undefined), so
    an all-negative batch leaves the result unchanged. Ties between outputs go
    to the lower label index. NaN outputs have no defined rank, as in
    `PrecisionAtK`.

    Args:
        k: How many of the highest outputs count, an int >= 1.
        name: Metric name; default ``"recall_at_{k}"``.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``k`` is not an int.
        HeadConfigError: If ``k`` < 1.

    Example:
        >>> import numpy as np
        >>> from safeheads import RecallAtK
        >>> metric = RecallAtK(1)
        >>> metric.update_state(np.array([[1, 0, 1], [0, 0, 0]]), np.array([[0.9, 0.8, 0.1], [0.3, 0.2, 0.1]]))
        >>> float(metric.result())
        0.5
    """

    def __init__(self, k: int = 5, *, name: str | None = None, dtype: Any = None) -> None:
        k = check_k(k)
        super().__init__(k, name=name or f"recall_at_{k}", dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        hits, positives, weight = self._hits(y_true, y_pred, sample_weight)
        weight = weight * ops.cast(ops.greater(positives, 0.0), "float32")
        self.score.assign_add(ops.sum(ops.divide_no_nan(hits, positives) * weight))
        self.count.assign_add(ops.sum(weight))
