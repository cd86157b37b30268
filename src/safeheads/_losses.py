"""Imbalance-aware cross-entropies: per-label positive weights, focal loss, label smoothing.

Keras' own losses cover part of this: ``BinaryCrossentropy`` has no per-label
``pos_weight``, and ``SparseCategoricalCrossentropy`` has no ``label_smoothing``
(a ``TypeError``). The two losses here are written with ``keras.ops`` only, so
they run on every backend, and read logits with a stable log-sigmoid /
log-softmax when ``from_logits=True``. On probabilities they do what Keras' own
cross-entropies do on TensorFlow: inside a graph (``fit``, ``evaluate``) they read the
logits that Keras' sigmoid or softmax keeps on its output, and elsewhere they clip to
``[epsilon, 1 - epsilon]`` (``keras.config.epsilon()``). A clipped loss has no gradient
for a confidently wrong output.

`classification_head` uses them only when ``pos_weight``, ``focal_gamma`` or
``label_smoothing`` is set; otherwise the head keeps Keras' losses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from safeheads._messages import check_bool, check_number, describe_value
from safeheads.errors import HeadConfigError, LabelFormatError

__all__ = [
    "PosWeight",
    "SigmoidCrossentropy",
    "SoftmaxCrossentropy",
    "check_focal_gamma",
    "check_label_smoothing",
    "check_pos_weight_values",
]

#: A positive-class weight: one for all outputs, or one per output.
PosWeight = float | Sequence[float]


def kept_logits(y_pred: Any, activation: str) -> Any:
    """The logits of a ``"Sigmoid"`` or ``"Softmax"`` output, where Keras keeps them.

    Keras' ``sigmoid`` and ``softmax`` on TensorFlow store their input on the output
    as ``_keras_logits``, and Keras' own cross-entropies read it. Used only when the
    output tensor was made by that op, inside a graph (``fit``, ``evaluate``, a
    ``tf.function``); None elsewhere (eager tensors, other backends, other ops).
    """
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is not None and getattr(getattr(y_pred, "op", None), "type", None) == activation:
        return logits
    return None


def check_focal_gamma(focal_gamma: object) -> float:
    """Validate ``focal_gamma``: a finite float >= 0 (0 turns the focal factor off)."""
    gamma = check_number(focal_gamma, "focal_gamma", accept=lambda g: g >= 0.0)
    if not (math.isfinite(gamma) and gamma >= 0.0):
        raise HeadConfigError(
            f"Expected `focal_gamma` >= 0 and finite (0 turns focal loss off; 2 is the usual "
            f"value). Received: focal_gamma={describe_value(focal_gamma)}. Pass a float >= 0, "
            "e.g. focal_gamma=2.0."
        )
    return gamma


def check_label_smoothing(label_smoothing: object) -> float:
    """Validate ``label_smoothing``: a float in [0, 1)."""
    smoothing = check_number(label_smoothing, "label_smoothing", accept=lambda s: 0.0 <= s < 1.0)
    if not 0.0 <= smoothing < 1.0:
        raise HeadConfigError(
            "Expected `label_smoothing` in [0, 1) (0.1 is the usual value). Received: "
            f"label_smoothing={smoothing!r}. Pass a float in [0, 1), e.g. label_smoothing=0.1."
        )
    return smoothing


def check_pos_weight_values(
    pos_weight: object, units: int | None = None
) -> float | tuple[float, ...]:
    """Validate numeric positive-class weights: a float > 0, or one per output.

    Args:
        pos_weight: A positive finite number, or a sequence of them.
        units: The number of outputs a sequence must match, when known.

    Returns:
        A float, or a tuple of floats.

    Raises:
        TypeError: If a value is not a number.
        HeadConfigError: If a value is not finite and > 0, or the length is wrong.
    """
    if isinstance(pos_weight, np.ndarray) and pos_weight.ndim == 0:
        pos_weight = pos_weight.item()
    # classification_head resolves 'balanced' from its prior before it gets here
    expected = "a float or a sequence of floats" if units is None else _HEAD_POS_WEIGHT
    if isinstance(pos_weight, str) and pos_weight == "balanced" and units is None:
        raise TypeError(
            f"Expected `pos_weight` to be {expected}. Received: pos_weight='balanced', which "
            "only classification_head(..., prior=y) resolves. Pass the weights: "
            "pos_weight=safeheads.label_pos_weight(y) for multi-hot labels; for a binary "
            "column, weigh the classes in fit(class_weight=safeheads.class_weight(y))."
        )
    if isinstance(pos_weight, (Sequence, np.ndarray)) and not isinstance(pos_weight, str):
        values = tuple(
            _check_weight(value, f"pos_weight[{i}]", expected) for i, value in enumerate(pos_weight)
        )
        if not values:
            raise HeadConfigError(
                "Expected at least one `pos_weight`. Received: an empty sequence. Pass one "
                "float for every output, or one per output."
            )
        if units is not None and len(values) != units:
            raise HeadConfigError(
                f"Expected one `pos_weight` per output ({units}). Received: {len(values)} weights. "
                f"Pass {units} weights, or one float for every output."
            )
        return values
    return _check_weight(pos_weight, "pos_weight", expected)


_HEAD_POS_WEIGHT = "'balanced', a float or a sequence of floats"


def _check_weight(value: object, where: str, expected: str) -> float:
    number = check_number(
        value, "pos_weight", expected=expected, where=where, accept=lambda w: w > 0.0
    )
    if not (math.isfinite(number) and number > 0.0):
        raise HeadConfigError(
            f"Expected `pos_weight` > 0 and finite. Received: {where}={number!r}. Pass a "
            "positive weight (1.0 leaves the positives as they are)."
        )
    return number


def _focal_factor(miss: Any, gamma: float) -> Any:
    """``miss ** gamma`` (``miss`` is ``1 - p_t``) with a finite gradient everywhere.

    A confidently right output gives ``miss`` exactly 0 in floating point, where the
    gradient of ``miss ** gamma`` is infinite for ``gamma < 1`` (a NaN after one
    step). Clamping ``miss`` to the dtype's smallest normal number keeps the value
    (to below 1e-19 for float32) and gives a zero gradient at the clamp.
    """
    dtype = keras.backend.standardize_dtype(miss.dtype)
    # bfloat16 has float32's exponent range, and numpy's finfo does not know it
    tiny = float(np.finfo("float32" if dtype == "bfloat16" else dtype).tiny)
    return ops.power(ops.maximum(miss, tiny), gamma)


def _check_label_shape(
    y_true: Any, y_pred: Any, expected: tuple[Any, ...], hint: str, given: tuple[Any, ...]
) -> None:
    """LabelFormatError unless ``y_true``'s static shape fits ``expected`` (None: any size).

    ``given`` is the labels' shape as passed, before a rank alignment made ``y_true``.

    Broadcasting would otherwise pair each label with every output: one-hot rows on a
    binary head, or a column on a multilabel head, train on a meaningless loss.
    """
    shape = tuple(y_true.shape)
    if len(shape) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(shape, expected, strict=True)
    ):
        return
    raise LabelFormatError(
        f"Expected labels of shape {expected} for outputs of shape {tuple(y_pred.shape)}. "
        f"Received: labels of shape {given}. {hint}"
    )


def _refuse_out_of_range(ids: Any, n: Any, picked: Any) -> Any:
    """``picked`` where the class id is in ``[0, n)``; an error for any other id.

    ``take_along_axis`` reads id -1 as the last class (and larger ids as backends
    please), where Keras' sparse cross-entropy refuses them. On TensorFlow (outside
    XLA) the step stops with "class ids in [0, n)"; elsewhere, and under XLA, the
    loss of such a sample is NaN rather than a silent value.
    """
    inside = ops.logical_and(ops.greater_equal(ids, 0), ops.less(ids, n))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.debugging.Assert(
            tf.reduce_all(inside),
            ["Expected class ids in [0, n) for SoftmaxCrossentropy (n: the output width). "
             "Received (the first ids):", ids, "n =", n],
            summarize=10,
        )  # fmt: skip
    return ops.where(inside, picked, ops.full_like(picked, float("nan")))


@keras.saving.register_keras_serializable(package="safeheads")
class SigmoidCrossentropy(keras.losses.Loss):  # type: ignore[misc]
    """Binary cross-entropy for sigmoid outputs, with ``pos_weight``, focal and smoothing.

    For a target ``t`` in {0, 1} and a predicted probability ``p`` (the sigmoid of the
    logit ``z`` when ``from_logits=True``), each output cell costs::

        t' = t * (1 - label_smoothing) + label_smoothing / 2
        ce = -(w * t' * log(p) + (1 - t') * log(1 - p))
        loss = (1 - p_t) ** focal_gamma * ce,  p_t = t' * p + (1 - t') * (1 - p)

    with ``w`` the output's ``pos_weight`` (1 when ``None``), and the loss of a
    sample is the mean over its outputs (as Keras' ``BinaryCrossentropy``). With
    ``from_logits=True``, ``log(p) = -softplus(-z)`` and ``log(1 - p) = -softplus(z)``
    (no overflow, no clipping); the same on the output of a sigmoid inside a
    TensorFlow graph, from the logits Keras keeps there. With all options off it
    equals Keras' ``BinaryCrossentropy``; with ``pos_weight`` alone it equals PyTorch's
    ``BCEWithLogitsLoss(pos_weight=...)``; with ``focal_gamma`` alone it equals
    Keras' ``BinaryFocalCrossentropy`` (no class balancing).

    Args:
        pos_weight: Weight of the positive term, one float for every output or
            one per output (e.g. ``n_negative / n_positive`` per label); ``None``
            for 1.
        focal_gamma: Focusing parameter of the focal loss (Lin et al., 2017);
            0 turns it off.
        label_smoothing: Moves targets towards 0.5 by this amount, in [0, 1).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        reduction: As in ``keras.losses.Loss``.
        name: Loss name.
        dtype: As in ``keras.losses.Loss``.

    Returns:
        A Keras loss. Targets: 0/1, shaped like ``y_pred`` (a binary head's
        ``(N,)`` column is also accepted for ``(N, 1)`` outputs).

    Raises:
        TypeError: If an argument has the wrong type (``pos_weight="balanced"`` is
            resolved by ``classification_head(..., prior=y)`` only).
        HeadConfigError: If ``pos_weight`` is not > 0 or an empty sequence,
            ``focal_gamma`` < 0 or ``label_smoothing`` outside [0, 1); when called,
            if the number of weights is not the outputs' width.
        LabelFormatError: When called, for labels whose shape is not the outputs'
            (e.g. one-hot rows for one output).

    Example:
        >>> import numpy as np
        >>> from safeheads import SigmoidCrossentropy
        >>> loss = SigmoidCrossentropy(pos_weight=[3.0, 1.0], from_logits=True)
        >>> y_true = np.array([[1.0, 0.0]])
        >>> y_pred = np.array([[0.0, 0.0]])
        >>> round(float(loss(y_true, y_pred)), 4)  # (3 * log 2 + log 2) / 2
        1.3863
    """

    def __init__(
        self,
        *,
        pos_weight: PosWeight | None = None,
        focal_gamma: float = 0.0,
        label_smoothing: float = 0.0,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sigmoid_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.pos_weight = None if pos_weight is None else check_pos_weight_values(pos_weight)
        self.focal_gamma = check_focal_gamma(focal_gamma)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.from_logits = check_bool(from_logits, "from_logits")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
        given = tuple(y_true.shape)
        if len(y_true.shape) == len(y_pred.shape) - 1:
            y_true = ops.expand_dims(y_true, -1)
        elif len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)  # (N, 1) labels of a flat (N,) output
        _check_label_shape(
            y_true,
            y_pred,
            tuple(y_pred.shape),
            "A sigmoid output takes one 0/1 label per output: a (N, 1) column for one "
            "output, a (N, n) 0/1 matrix for n; encode the labels with head.encode(y).",
            given,
        )
        target = ops.cast(y_true, y_pred.dtype)
        if self.label_smoothing:
            target = target * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        logits = y_pred if self.from_logits else kept_logits(y_pred, "Sigmoid")
        if logits is not None:
            log_p = -ops.softplus(-logits)
            log_q = -ops.softplus(logits)
        else:
            eps = keras.config.epsilon()
            clipped = ops.clip(y_pred, eps, 1.0 - eps)
            log_p = ops.log(clipped)
            log_q = ops.log(1.0 - clipped)
        positive = target * log_p
        if self.pos_weight is not None:
            units = y_pred.shape[-1] if len(y_pred.shape) > 1 else 1
            if isinstance(self.pos_weight, tuple) and units not in (None, len(self.pos_weight)):
                raise HeadConfigError(
                    f"Expected one `pos_weight` per output ({units}). Received: "
                    f"{len(self.pos_weight)} weights for outputs of shape {tuple(y_pred.shape)}. "
                    f"Build the loss with {units} weights, or one float for every output."
                )
            positive = positive * ops.convert_to_tensor(
                np.asarray(self.pos_weight), dtype=y_pred.dtype
            )
        cross_entropy = -(positive + (1.0 - target) * log_q)
        if self.focal_gamma:
            p = ops.exp(log_p)
            p_t = target * p + (1.0 - target) * (1.0 - p)
            cross_entropy = _focal_factor(1.0 - p_t, self.focal_gamma) * cross_entropy
        return ops.mean(cross_entropy, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        pos_weight = self.pos_weight
        config.update(
            pos_weight=list(pos_weight) if isinstance(pos_weight, tuple) else pos_weight,
            focal_gamma=self.focal_gamma,
            label_smoothing=self.label_smoothing,
            from_logits=self.from_logits,
            dtype=self.dtype,
        )
        return config


@keras.saving.register_keras_serializable(package="safeheads")
class SoftmaxCrossentropy(keras.losses.Loss):  # type: ignore[misc]
    """Categorical cross-entropy for softmax outputs, sparse or one-hot, with smoothing.

    For ``n`` classes, predicted probabilities ``p`` (the softmax of the logits
    when ``from_logits=True``) and a one-hot target ``t``, the loss of a sample is::

        t' = t * (1 - label_smoothing) + label_smoothing / n
        loss = -sum_c t'_c * (1 - p_c) ** focal_gamma * log(p_c)

    With ``sparse=True`` the target is a class id ``y`` and the same value is
    computed without building a one-hot row:
    ``-((1 - label_smoothing) * m_y + label_smoothing * mean_c m_c)`` with
    ``m_c = (1 - p_c) ** focal_gamma * log(p_c)``, so sparse and one-hot labels
    give the same loss (Keras' ``SparseCategoricalCrossentropy`` has no
    ``label_smoothing``). ``from_logits=True`` uses a stable log-softmax, as does
    the output of a softmax inside a TensorFlow graph (from the logits Keras keeps
    there); other probabilities are renormalised and clipped to
    ``[epsilon, 1 - epsilon]``, as in Keras. With all options off it equals Keras' (sparse) categorical
    cross-entropy; with ``focal_gamma`` it equals Keras'
    ``CategoricalFocalCrossentropy(alpha=1.0)`` wherever Keras' clipping does not bite
    (Keras clips the probabilities at epsilon even for logits: logits [100, -100, 0]
    with label 1 give 200.0 here, the exact value, and 16.1 there). A class id outside ``[0, n)``
    stops the step on TensorFlow (as Keras' sparse loss does); under XLA and on
    the other backends its sample's loss is NaN, never another class's loss.

    Args:
        sparse: Targets are class ids of shape ``(N,)`` or ``(N, 1)``
            (``True``) or one-hot rows ``(N, n)`` (``False``).
        focal_gamma: Focusing parameter of the focal loss; 0 turns it off.
        label_smoothing: Share of the target mass spread evenly over the ``n``
            classes, in [0, 1).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        reduction: As in ``keras.losses.Loss``.
        name: Loss name.
        dtype: As in ``keras.losses.Loss``.

    Returns:
        A Keras loss.

    Raises:
        TypeError: If an argument has the wrong type.
        HeadConfigError: If ``focal_gamma`` < 0 or ``label_smoothing`` is outside
            [0, 1).
        LabelFormatError: When called, for labels of another shape than ``sparse``
            says (class ids ``(N,)`` or one-hot rows ``(N, n)``).

    Example:
        >>> import numpy as np
        >>> from safeheads import SoftmaxCrossentropy
        >>> logits = np.array([[2.0, 0.0, -1.0]])
        >>> sparse = SoftmaxCrossentropy(label_smoothing=0.1, from_logits=True)
        >>> one_hot = SoftmaxCrossentropy(sparse=False, label_smoothing=0.1, from_logits=True)
        >>> round(float(sparse(np.array([0]), logits)), 4)
        0.3365
        >>> round(float(one_hot(np.array([[1.0, 0.0, 0.0]]), logits)), 4)
        0.3365
    """

    def __init__(
        self,
        *,
        sparse: bool = True,
        focal_gamma: float = 0.0,
        label_smoothing: float = 0.0,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str = "softmax_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.sparse = check_bool(sparse, "sparse")
        self.focal_gamma = check_focal_gamma(focal_gamma)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.from_logits = check_bool(from_logits, "from_logits")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
        logits = y_pred if self.from_logits else kept_logits(y_pred, "Softmax")
        if logits is not None:
            log_p = ops.log_softmax(logits, axis=-1)
        else:
            eps = keras.config.epsilon()
            p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
            log_p = ops.log(ops.clip(p, eps, 1.0 - eps))
        terms = log_p
        if self.focal_gamma:
            terms = _focal_factor(1.0 - ops.exp(log_p), self.focal_gamma) * log_p
        smoothing = self.label_smoothing
        given = tuple(y_true.shape)
        if self.sparse:
            if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] in (1, None):
                y_true = ops.squeeze(y_true, axis=-1)
            _check_label_shape(
                y_true,
                y_pred,
                tuple(y_pred.shape)[:-1],
                "sparse=True takes one class id per sample; for one-hot rows use "
                "sparse=False, or safeheads.to_sparse(y).",
                given,
            )
            ids = ops.cast(y_true, "int32")
            picked = ops.squeeze(
                ops.take_along_axis(terms, ops.expand_dims(ids, -1), axis=-1), axis=-1
            )
            picked = _refuse_out_of_range(ids, ops.shape(y_pred)[-1], picked)
            if not smoothing:
                return -picked
            return -((1.0 - smoothing) * picked + smoothing * ops.mean(terms, axis=-1))
        _check_label_shape(
            y_true,
            y_pred,
            tuple(y_pred.shape),
            "sparse=False takes one-hot rows; for class ids use sparse=True, or "
            "safeheads.to_categorical(y, n).",
            given,
        )
        target = ops.cast(y_true, y_pred.dtype)
        if smoothing:
            n = ops.cast(ops.shape(y_pred)[-1], y_pred.dtype)
            target = target * (1.0 - smoothing) + smoothing / n
        return -ops.sum(target * terms, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(
            sparse=self.sparse,
            focal_gamma=self.focal_gamma,
            label_smoothing=self.label_smoothing,
            from_logits=self.from_logits,
            dtype=self.dtype,
        )
        return config
