"""ROC AUC from per-output score histograms: cheap enough for a thousand labels.

``keras.metrics.AUC(multi_label=True, num_labels=n)`` keeps four (thresholds, n)
confusion matrices and fills them with one segment sum per label: on CPU its update
alone took about a third of a whole 1000-label train step here. The same curve is
determined by two histograms per output, the positives and the negatives whose
score falls between two consecutive thresholds, which one scatter-add per batch
fills. The AUC is the trapezoid rule over the same evenly spaced thresholds as
Keras, so on outputs where Keras' AUC is defined the two agree to float32
rounding. ``spacing="logit"`` spaces the thresholds evenly in logit space
instead, so that rare labels, whose scores sit near 0, keep their resolution.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import keras
import numpy as np
from keras import ops

from safeheads._losses import kept_logits
from safeheads._messages import (
    check_bool,
    check_choice,
    check_int,
    check_num_labels,
    check_output_rank,
)
from safeheads.errors import HeadConfigError

__all__ = ["RocAUC"]

_ONE_BLOCK = 200 * 200 * 256
#: Up to this many outputs `RocAUC.result` takes the positives above each bucket from
#: a cumulative sum: 33 against 152 us for one output, 69 against 88 us for 20 (a
#: (T, T) matmul), 233 against 201 us for 50, on a 2-core CPU with TensorFlow.
_CUMSUM_MAX_LABELS = 20
#: ``spacing="logit"``: the inner thresholds span the logits [-_LOGIT_SPAN, _LOGIT_SPAN].
_LOGIT_SPAN = 10.0
SPACINGS = ("linear", "logit")
#: From this many outputs on, the update runs as one XLA cluster in a graph (`_use_xla`).
_XLA_MIN_LABELS = 100


def _use_xla(labels: int) -> bool:
    """Whether this update runs as one XLA cluster: many outputs, in a TensorFlow graph.

    ``fit`` and ``evaluate`` trace their steps into a graph. There, from
    `_XLA_MIN_LABELS` outputs on, the bucket arithmetic and the scatter-add of
    `_bucket_counts` compiled together took 0.96 against 2.8 ms for 256 x 1000
    scores on a 2-core CPU (below 100 outputs the two cost the same). Eager
    calls and the other backends run it as is.
    """
    if labels < _XLA_MIN_LABELS or keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return bool(tf.inside_function() and tf.test.is_built_with_xla())


@functools.cache
def _xla_bucket_counts() -> Any:
    import tensorflow as tf

    return tf.function(_bucket_counts, jit_compile=True)


def _bucket_counts(
    scores: Any,
    positive: Any,
    weight: Any,
    scale: float,
    shift: float,
    steps: int,
    num_segments: Any,
) -> Any:
    """The weight of one batch's scores per histogram cell, flattened (see `RocAUC`).

    ``scores`` (float32, (rows, labels)) are probabilities or logits as the
    spacing reads them, ``positive`` their labels as bools, ``weight`` one
    float32 per score, flattened, or None for ones. Returns ``num_segments``
    sums, cells beyond ``2 * (steps + 1) * labels`` empty.
    """
    labels = scores.shape[-1]
    # Keras' bucket of a score s is max(ceil(s * steps) - 1, 0) for s clipped to
    # [0, 1]; here it is kept one higher, in [1, steps], and the 1 is taken off below.
    # A logit x is above the inner thresholds -span + k * gap with k < (x + span) / gap.
    scaled = scores * scale
    if shift:
        scaled = scaled + shift
    bucket = ops.ceil(scaled)
    # A NaN score is above no threshold (as in Keras): its own label's lowest bucket.
    bucket = ops.clip(ops.where(ops.isnan(bucket), 1.0, bucket), 1.0, float(steps))
    # The flat index of histogram[positive, bucket - 1, label], in int32 (float32 holds
    # every integer only up to 2**24 cells, and a larger histogram is a valid one).
    column = ops.arange(labels, dtype="int32") - labels
    offset = ops.where(positive, column + (steps + 1) * labels, column)
    index = ops.reshape(ops.cast(bucket, "int32") * labels + offset, (-1,))
    if weight is None:
        weight = ops.ones_like(index, dtype="float32")
    return ops.segment_sum(weight, index, num_segments=num_segments)


@keras.saving.register_keras_serializable(package="safeheads")
class RocAUC(keras.metrics.Metric):  # type: ignore[misc]
    """Area under the ROC curve, per output, averaged over outputs (macro).

    The scores are binned at ``num_thresholds`` thresholds and the curve
    through those points is integrated with the trapezoid rule, as
    ``keras.metrics.AUC`` does (``summation_method="interpolation"``). Scores
    are accumulated over all batches. With ``spacing="linear"`` the thresholds
    are Keras' own: evenly spaced in [0, 1]. With ``spacing="logit"`` they are
    0, 1 and, between them, ``num_thresholds - 2`` probabilities whose logits
    are evenly spaced in [-10, 10] (``sigmoid(-10)`` is 4.5e-5): a label whose
    scores all lie below 0.005, as a rare label's do, falls into one bucket of
    Keras' thresholds and scores about 0.5, but spans about a quarter of the
    logit thresholds.

    Unlike ``keras.metrics.AUC(multi_label=True)``, an output whose labels
    seen so far are all positive or all negative has no ROC curve and is left
    out of the mean instead of counted as 0 (Keras' mean falls toward 0 when
    rare labels are absent from the evaluated data). With every output
    defined, the two agree; with none defined, the result is 0. A NaN score
    counts as above no threshold. A score within float32 rounding of a
    threshold may land on either side of it, and XLA (``jit_compile=True``)
    may round it differently from eager and graph execution, so scores placed
    exactly on thresholds can give results that differ in the fourth decimal.
    With 100 outputs or more, TensorFlow graphs (``fit``, ``evaluate``) run
    the histogram update compiled with XLA, whatever ``jit_compile`` says: on
    a CPU it costs a third of the uncompiled update for 256 x 1000 scores.

    Args:
        num_labels: Number of outputs (1 for a binary head).
        num_thresholds: Number of thresholds, >= 3 (Keras' default 200).
        spacing: ``"linear"`` (Keras' thresholds) or ``"logit"``.
        from_logits: Whether outputs are logits (for ``spacing="linear"`` a
            sigmoid is applied first).
        name: Metric name.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``num_labels`` or ``num_thresholds`` is not an int, or
            ``spacing`` not a str.
        HeadConfigError: If ``num_labels`` < 1, ``num_thresholds`` < 3 or
            ``spacing`` is unknown.

    Example:
        >>> import numpy as np
        >>> from safeheads import RocAUC
        >>> metric = RocAUC(num_labels=2)
        >>> y = np.array([[1, 0], [0, 0], [1, 0]])
        >>> scores = np.array([[0.9, 0.3], [0.2, 0.6], [0.4, 0.1]])
        >>> metric.update_state(y, scores)
        >>> float(metric.result())  # label 1 has no positive: only label 0 counts
        1.0
        >>> rare = RocAUC(spacing="logit")  # scores near 0 keep their order
        >>> rare.update_state([1, 0, 0], [0.004, 0.001, 0.002])
        >>> float(rare.result())
        1.0
    """

    def __init__(
        self,
        num_labels: int = 1,
        *,
        num_thresholds: int = 200,
        spacing: str = "linear",
        from_logits: bool = False,
        name: str = "auc",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_labels = check_int(num_labels, "num_labels")
        self.num_thresholds = check_int(num_thresholds, "num_thresholds", minimum=3)
        self.spacing = check_choice(spacing, "spacing", SPACINGS)
        self.from_logits = check_bool(from_logits, "from_logits")
        if 2 * self.num_thresholds * self.num_labels >= 2**31:
            most = (2**31 - 1) // (2 * self.num_labels)
            fix = (
                f"Pass num_thresholds <= {most}."
                if most >= 3
                else f"Even 3 thresholds need too many: score at most {(2**31 - 1) // 6} labels "
                "per metric."
            )
            raise HeadConfigError(
                "Expected 2 * num_thresholds * num_labels < 2**31 (the histogram's cells). "
                f"Received: num_thresholds={self.num_thresholds}, num_labels={self.num_labels}. "
                + fix
            )
        # The bucket of a score x (a probability for "linear", a logit for "logit") is
        # ceil(x * scale + shift), clipped to [1, num_thresholds - 1]; see _bucket_counts.
        steps = self.num_thresholds - 1
        if self.spacing == "linear":
            self._scale, self._shift = float(steps), 0.0
        else:  # inner thresholds at -span + k * gap, k = 0 .. num_thresholds - 3
            gap = 2.0 * _LOGIT_SPAN / max(self.num_thresholds - 3, 1)
            self._scale, self._shift = 1.0 / gap, _LOGIT_SPAN / gap + 1.0
        # histogram[y, bucket, label]: the weight of the outputs of that label and class
        # whose score is in (t[bucket], t[bucket + 1]] (bucket 0 also holds scores <= 0).
        self.histogram = self.add_variable(
            shape=(2, self.num_thresholds, self.num_labels),
            initializer="zeros",
            dtype="float32",
            name="histogram",
        )
        # The area sum in `result`: up to _CUMSUM_MAX_LABELS outputs, a cumulative sum
        # (no blocks). Above, the buckets in blocks of `size`: pairs[b, c] says how a
        # negative in bucket b and a positive in bucket c of the same block count (1 when
        # c > b, 1/2 when c == b), above[q, r] whether block r lies above block q. Up to
        # _ONE_BLOCK multiply-adds, one block: a single (T, T) by (T, L) matmul (measured
        # cheapest from about 20 up to about 200 labels); above it, blocks of a divisor of
        # num_thresholds near its square root.
        self._blocks: tuple[int, int] | None = None
        if self.num_labels > _CUMSUM_MAX_LABELS:
            size = self.num_thresholds
            if size * size * self.num_labels > _ONE_BLOCK:
                size = max(d for d in range(1, math.isqrt(size) + 1) if size % d == 0)
            self._blocks = (self.num_thresholds // size, size)
            self._pairs = (
                np.triu(np.ones((size, size), "float32"), 1) + np.eye(size, dtype="float32") / 2
            )
            self._above = np.triu(np.ones((self._blocks[0],) * 2, "float32"), 1)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        check_output_rank(y_pred, self.name)
        labels, steps = self.num_labels, self.num_thresholds - 1
        check_num_labels(y_pred, labels, self.name)
        to_logit = self.spacing == "logit" and not self.from_logits
        kept = kept_logits(y_pred, "Sigmoid") if to_logit else None
        scores = y_pred if kept is None else kept
        scores = ops.reshape(ops.cast(ops.convert_to_tensor(scores), "float32"), (-1, labels))
        if self.spacing == "linear" and self.from_logits:
            scores = ops.sigmoid(scores)
        elif to_logit and kept is None:
            scores = ops.log(scores / (1.0 - scores))  # 0 and 1 give -inf and inf
        positive = ops.not_equal(ops.reshape(ops.convert_to_tensor(y_true), (-1, labels)), 0)
        if sample_weight is None:
            weight = None
        else:
            weight = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
            weight = ops.reshape(weight, (-1, 1)) if len(weight.shape) <= 1 else weight
            weight = ops.reshape(ops.broadcast_to(weight, ops.shape(scores)), (-1,))
        segments = 2 * (steps + 1) * labels
        if _use_xla(labels):
            counts = _xla_bucket_counts()(
                scores, positive, weight, self._scale, self._shift, steps, segments
            )
        else:
            # At least one segment more than there are scores: TensorFlow's CPU kernel
            # then sums in one pass; with fewer segments it splits them into shards that
            # each read every score (measured 3.6 against 1.2 ms for 256 x 1000 scores).
            rows = scores.shape[0]
            padded = (
                ops.maximum(segments, ops.size(scores) + 1)
                if rows is None
                else max(segments, rows * labels + 1)
            )
            counts = _bucket_counts(
                scores, positive, weight, self._scale, self._shift, steps, padded
            )[:segments]
        self.histogram.assign_add(ops.reshape(counts, self.histogram.shape))

    def result(self) -> Any:
        negatives, positives = self.histogram[0], self.histogram[1]
        # The trapezoid over the ROC points at the thresholds is, per label,
        # sum_b negatives[b] * (positives above b + positives[b] / 2) / (P * N).
        if self._blocks is None:
            total_negatives = ops.sum(negatives, axis=0)
            total_positives = ops.sum(positives, axis=0)
            # The positives above bucket b: the reversed cumulative sum from bucket b + 1.
            from_top = ops.flip(ops.cumsum(ops.flip(positives, axis=0), axis=0), axis=0)
            above = ops.concatenate([from_top[1:], ops.zeros_like(from_top[:1])], axis=0)
            area = ops.sum(negatives * (above + 0.5 * positives), axis=0)
        elif self._blocks[0] == 1:
            total_negatives = ops.sum(negatives, axis=0)
            total_positives = ops.sum(positives, axis=0)
            area = ops.sum(negatives * ops.matmul(self._pairs, positives), axis=0)
        else:
            # Within a block through `_pairs`; between blocks by the blocks' sums, which
            # also give the totals (one pass over the histogram fewer: 0.60 against
            # 0.66 ms for 2 x 200 x 1000 counts on a 2-core CPU).
            blocks = (*self._blocks, self.num_labels)
            positives_by_block = ops.reshape(positives, blocks)
            negatives_by_block = ops.reshape(negatives, blocks)
            block_positives = ops.sum(positives_by_block, axis=1)
            block_negatives = ops.sum(negatives_by_block, axis=1)
            total_negatives = ops.sum(block_negatives, axis=0)
            total_positives = ops.sum(block_positives, axis=0)
            within = ops.sum(
                negatives_by_block * ops.matmul(self._pairs, positives_by_block), axis=(0, 1)
            )
            between = ops.sum(block_negatives * ops.matmul(self._above, block_positives), axis=0)
            area = within + between
        defined = ops.cast(
            ops.logical_and(ops.greater(total_positives, 0), ops.greater(total_negatives, 0)),
            "float32",
        )
        per_label = ops.divide_no_nan(area, total_positives * total_negatives)
        return ops.divide_no_nan(ops.sum(per_label * defined), ops.sum(defined))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(
            num_labels=self.num_labels,
            num_thresholds=self.num_thresholds,
            spacing=self.spacing,
            from_logits=self.from_logits,
        )
        return config
