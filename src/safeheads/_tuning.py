"""Label priors, decision thresholds and logit adjustment tuned on validation data.

Three things decide whether a head wins on imbalanced data, measured on
Reuters-21578, GoEmotions and SST-5 (see ``docs/imbalance.md``):

- the output bias starts at the label priors (rare labels start near their base
  rate instead of at p=0.5, and the first epochs are not spent pushing them down);
- binary and multilabel decisions use thresholds tuned on validation data, not 0.5;
- multiclass decisions subtract ``tau * log(prior)`` from the scores (logit
  adjustment), with ``tau`` tuned on validation data.

Everything tuned here is stored in the `HeadLayer` (``threshold``, ``prior``,
``logit_adjustment``): the layer is the one source of truth for ``decode``, the
metrics and the saved ``.keras`` file.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from safeheads._labels import _to_numpy, encode_labels
from safeheads._messages import (
    check_bool,
    check_choice,
    check_number,
    describe_value,
    int_fix,
    is_number,
)
from safeheads._ranking import TopKAccuracy
from safeheads._tasks import Task
from safeheads._thresholds import FLOAT32_MAX, cut_points, rank_logits
from safeheads.errors import HeadConfigError, LabelFormatError

__all__ = [
    "AVERAGES",
    "METRICS",
    "PRIOR_EPS",
    "SLOPE_GRID",
    "TAU_GRID",
    "Frequencies",
    "LogitAdjustedAccuracy",
    "PriorBias",
    "adjusted_scores",
    "balanced_pos_weight",
    "check_logit_adjustment",
    "check_tuning_args",
    "describe_prior",
    "logit_offsets",
    "prior_bias",
    "resolve_prior",
    "tune_columns",
    "tune_tau",
]

#: Frequencies are clipped to [PRIOR_EPS, 1 - PRIOR_EPS] before logs: no inf biases.
PRIOR_EPS = 1e-6
#: The values of ``tau`` tried by multiclass tuning: 0.00, 0.05, ..., 2.00.
TAU_GRID = tuple(round(0.05 * i, 2) for i in range(41))
#: Objectives of `Head.tune_thresholds`, in declared order.
METRICS = ("f1", "fbeta")
#: How multilabel thresholds average F-beta over labels, in declared order.
AVERAGES = ("micro", "macro", "micro+macro")
#: Prior slopes tried by multilabel tuning: 0.00, 0.05, ..., 1.50.
SLOPE_GRID = tuple(round(0.05 * i, 2) for i in range(31))

_TINY = float(np.finfo(np.float32).tiny)
#: The lowest and highest probability thresholds (float64, strictly inside (0, 1)).
_LOWEST, _HIGHEST = math.ulp(0.0), 1.0 - 2.0**-53
#: Where `_adjusted` puts outputs whose decision no threshold can change.
_ALWAYS = 1e30


# ----------------------------------------------------------------------------- priors


class Frequencies(tuple):  # type: ignore[type-arg]
    """Label frequencies already resolved (read back from a saved config)."""

    __slots__ = ()


def _number_vector(prior: Any) -> np.ndarray | None:
    """``prior`` as a float64 vector if it is a 1-D sequence or array of numbers, else ``None``."""
    if isinstance(prior, (list, tuple)):
        if not prior or not all(is_number(value) for value in prior):
            return None
        return np.asarray(prior, dtype=np.float64)
    if isinstance(prior, np.ndarray) and prior.ndim == 1 and prior.dtype.kind in "fiu":
        return prior.astype(np.float64)
    return None


def _frequency_vector(values: np.ndarray | None, units: int) -> np.ndarray | None:
    """``values`` (a `_number_vector`) if they read as ``units`` frequencies, else ``None``."""
    if values is None or values.size != units or not np.isfinite(values).all():
        return None
    if values.min() < 0.0 or values.max() > 1.0 or np.isin(values, (0.0, 1.0)).all():
        return None
    return values


def resolve_prior(
    prior: Any,
    task: Task,
    n: int,
    units: int,
    class_names: Sequence[Hashable] | None,
) -> tuple[float, ...] | None:
    """Turn ``prior`` (labels or frequencies) into one frequency per output unit.

    ``prior`` is read as frequencies when it is a number (binary: the positive
    rate) or a 1-D sequence of ``units`` numbers in [0, 1] of which at least one
    lies strictly between 0 and 1 (labels never hold such a value). Anything else
    is read as labels, validated as ``Head.encode`` would, and counted.
    """
    if prior is None:
        return None
    prior = _to_numpy(prior)  # tensors of frequencies read as numpy arrays do
    if hasattr(prior, "__array__") and not isinstance(prior, np.ndarray):
        prior = np.asarray(prior)  # JAX arrays
    if isinstance(prior, Frequencies):
        values = np.asarray(prior, dtype=np.float64)
    elif is_number(prior) or (isinstance(prior, np.ndarray) and prior.ndim == 0):
        if task is not Task.BINARY:
            noun = "class" if task is Task.MULTICLASS else "label"
            raise HeadConfigError(
                f"Expected `prior` to be training labels or one frequency per {noun} "
                f"({n} values) for task={task.value!r}. Received: prior={float(prior)!r}. Pass "
                "prior=y_train."
            )
        values = np.asarray([float(prior)], dtype=np.float64)
    else:
        vector = _number_vector(prior)
        found = _frequency_vector(vector, units)
        pair = _frequency_vector(vector, 2) if task is Task.BINARY else None
        if pair is not None and abs(float(pair.sum()) - 1.0) <= 1e-3:
            raise HeadConfigError(
                f"Expected `prior` to be the positive rate (one number) or the training labels "
                f"for task='binary'. Received: prior={pair.tolist()}, two class frequencies. "
                f"Pass prior={float(pair[1])!r}, the frequency of class 1."
            )
        if (
            found is None
            and vector is not None
            and vector.size == units
            and ((vector > 0.0) & (vector < 1.0)).any()
        ):
            found = vector  # a fraction in (0, 1): frequencies, one out of range or NaN
        if (
            found is None
            and vector is not None
            and vector.size <= 2 * max(units, 2)  # not a long vector of soft labels
            and np.isfinite(vector).all()
            and ((vector > 0.0) & (vector < 1.0)).any()
        ):  # fractions are no labels: frequencies, for the wrong number of outputs
            noun = "class" if task is Task.MULTICLASS else "label"
            expected = (
                "the positive rate (one number) or the training labels"
                if task is Task.BINARY
                else f"training labels or one frequency per {noun} ({units} values)"
            )
            shown = str([round(float(v), 6) for v in vector[:6]])[:-1]
            raise HeadConfigError(
                f"Expected `prior` to be {expected} for task={task.value!r}. Received: prior="
                f"{shown}{', ...]' if vector.size > 6 else ']'}, {vector.size} frequencies. "
                "Pass prior=y_train."
            )
        if found is None:
            try:
                return _prior_from_labels(prior, task, n, class_names)
            except LabelFormatError as error:
                hint = _counts_hint(prior, task, n)
                if hint is None:
                    raise
                raise LabelFormatError(
                    "Expected `prior` as training labels or frequencies. Received: prior="
                    f"{hint[0]}. {hint[1]} As labels it is refused: {error}"
                ) from None
        values = found
    if not (np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0):
        bad = int(np.flatnonzero(~(np.isfinite(values) & (values >= 0) & (values <= 1)))[0])
        where = "prior" if values.size == 1 and task is Task.BINARY else f"prior[{bad}]"
        raise HeadConfigError(
            f"Expected `prior` frequencies in [0, 1]. Received: {where}={float(values[bad])!r}. "
            "Pass prior=y_train, or each label's share of the training samples."
        )
    if task is Task.MULTICLASS and not isinstance(prior, Frequencies):  # saved: kept as is
        total = float(values.sum())
        if abs(total - 1.0) > 1e-3:
            raise HeadConfigError(
                f"Expected `prior` class frequencies that sum to 1 for task='multiclass'. "
                f"Received: {n} frequencies summing to {total:.6g}. Divide counts by their "
                "total, or pass the training labels."
            )
        values = values / total
    return tuple(float(value) for value in values)


def _prior_from_labels(
    y: Any, task: Task, n: int, class_names: Sequence[Hashable] | None
) -> tuple[float, ...]:
    encoded = encode_labels(y, task, n, one_hot=False, class_names=class_names)
    if task is Task.MULTICLASS:
        counts = np.bincount(encoded.astype(np.int64), minlength=n)
        frequencies = counts / counts.sum()
    else:
        frequencies = encoded.mean(axis=0, dtype=np.float64)
    return tuple(float(value) for value in frequencies)


def _counts_hint(prior: Any, task: Task, n: int) -> tuple[str, str] | None:
    """``prior`` as text and a fix, when ``prior``, refused as labels, looks like one
    count per class."""
    values = _number_vector(prior)
    if values is None or values.size != (2 if task is Task.BINARY else n):
        return None
    if not (np.isfinite(values).all() and values.min() >= 0 and (values == np.round(values)).all()):
        return None
    fix = {
        Task.BINARY: "the positive rate, prior=counts[1] / sum(counts)",
        Task.MULTICLASS: "frequencies, prior=counts / sum(counts)",
        Task.MULTILABEL: "frequencies, prior=counts / number_of_samples",
    }[task]
    noun = "label" if task is Task.MULTILABEL else "class"
    shown = [int(v) for v in values[:6]]
    text = str(shown)[:-1] + (", ...]" if values.size > 6 else "]")
    return text, f"If it holds one count per {noun}, pass {fix}."


def prior_bias(prior: Sequence[float], task: Task) -> np.ndarray:
    """The output bias that makes an untrained head predict ``prior`` (float32).

    Binary and multilabel: the log-odds ``log(p / (1 - p))`` of each frequency;
    multiclass: ``log(p)`` (softmax of log-frequencies gives the frequencies).
    Frequencies are clipped to ``[PRIOR_EPS, 1 - PRIOR_EPS]`` first.
    """
    p = np.clip(np.asarray(prior, dtype=np.float64), PRIOR_EPS, 1.0 - PRIOR_EPS)
    if task is Task.MULTICLASS:
        return np.log(p).astype(np.float32)
    return (np.log(p) - np.log1p(-p)).astype(np.float32)


def balanced_pos_weight(prior: Sequence[float]) -> tuple[float, ...]:
    """``n_negative / n_positive`` per output, from frequencies.

    An output whose frequency is 0 or 1 gets 1.0 (unweighted), as in
    `safeheads.label_pos_weight`: its ratio would be infinite or 0.
    """
    p = np.asarray(prior, dtype=np.float64)
    inside = (p > 0.0) & (p < 1.0)
    weights = np.ones_like(p)
    weights[inside] = (1.0 - p[inside]) / p[inside]
    return tuple(float(value) for value in weights)


@keras.saving.register_keras_serializable(package="safeheads")
class PriorBias(keras.initializers.Initializer):  # type: ignore[misc]
    """Bias initializer holding one value per output (the head's prior bias).

    Args:
        values: One float per output unit.

    Returns:
        A Keras initializer.

    Raises:
        ValueError: When called for a shape other than ``(len(values),)``.

    Example:
        >>> import keras
        >>> from safeheads._tuning import PriorBias
        >>> keras.ops.convert_to_numpy(PriorBias([0.5, -1.0])((2,))).tolist()
        [0.5, -1.0]
    """

    def __init__(self, values: Sequence[float]) -> None:
        self.values = [float(value) for value in values]

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        values = np.asarray(self.values, dtype="float32")
        if tuple(shape) != values.shape:
            raise ValueError(
                f"Expected a bias of shape {values.shape}. Received: shape={tuple(shape)}. Use "
                "this initializer for the bias of the layer it was built for."
            )
        return ops.convert_to_tensor(values, dtype=dtype or "float32")

    def get_config(self) -> dict[str, Any]:
        return {"values": list(self.values)}


# ----------------------------------------------------------------------------- logit adjustment


def check_logit_adjustment(value: object) -> float:
    """Validate ``logit_adjustment`` (tau): a finite float >= 0."""
    tau = check_number(
        value, "logit_adjustment", expected="a float or None", accept=lambda t: t >= 0.0
    )
    if not (math.isfinite(tau) and tau >= 0.0):
        raise HeadConfigError(
            "Expected `logit_adjustment` >= 0 and finite (the tau in scores - tau * "
            "log(prior); 1 is the Bayes-balanced value). Received: "
            f"logit_adjustment={describe_value(value)}. Pass a float >= 0, e.g. "
            "logit_adjustment=1.0, or leave it out."
        )
    return tau


def logit_offsets(prior: Sequence[float], tau: float) -> np.ndarray:
    """``tau * log(prior)`` (frequencies clipped at ``PRIOR_EPS``), float64."""
    p = np.clip(np.asarray(prior, dtype=np.float64), PRIOR_EPS, 1.0)
    return float(tau) * np.log(p)


def adjusted_scores(scores: np.ndarray, offsets: np.ndarray, from_logits: bool) -> np.ndarray:
    """Log-scores minus ``offsets``: logits as they are, probabilities through log.

    In float32 and with Keras' ``log``, as `LogitAdjustedAccuracy` computes them, so
    that ``decode``, the metric and `tune_tau` take the same decision on a near tie.
    """
    base = scores.astype(np.float32)
    if not from_logits:
        base = ops.convert_to_numpy(ops.log(ops.maximum(base, _TINY))).astype(np.float32)
    return np.asarray(base - offsets.astype(np.float32))


@keras.saving.register_keras_serializable(package="safeheads")
class LogitAdjustedAccuracy(TopKAccuracy):
    """Multiclass (top-k) accuracy of logit-adjusted scores.

    The predicted class is the argmax of ``log-score - offsets`` (the log of the
    probabilities, or the logits as they are with ``from_logits=True``), where
    ``offsets = tau * log(prior)``: the decision `Head.decode` takes for a head
    with ``logit_adjustment=tau``. With ``k > 1`` a sample counts when its class
    is among the ``k`` highest adjusted scores. Ties go to the lower class index,
    as in `TopKAccuracy`.

    Args:
        offsets: One float per class, subtracted from the log-scores.
        k: How many of the highest adjusted scores count (1 for accuracy).
        sparse: Labels are class ids (``True``) or one-hot rows (``False``).
        from_logits: Whether outputs are logits.
        name: Metric name.
        dtype: Passed to ``keras.metrics.Metric``; state and result are float32.

    Returns:
        A Keras metric whose ``result()`` is a float in [0, 1].

    Raises:
        TypeError: If ``k`` is not an int or an offset is not a number.
        HeadConfigError: If ``k`` < 1, or ``offsets`` is empty or not finite.
        ValueError: From ``update_state``, for outputs of another width than
            ``len(offsets)``.

    Example:
        >>> import numpy as np
        >>> from safeheads import LogitAdjustedAccuracy
        >>> metric = LogitAdjustedAccuracy([0.0, -2.0], from_logits=True)
        >>> metric.update_state(np.array([1]), np.array([[1.0, 0.0]]))
        >>> float(metric.result())  # 1 - 0 < 0 - (-2): class 1 wins after adjustment
        1.0
    """

    def __init__(
        self,
        offsets: Sequence[float],
        *,
        k: int = 1,
        sparse: bool = True,
        from_logits: bool = False,
        name: str = "accuracy",
        dtype: Any = None,
    ) -> None:
        super().__init__(k, sparse=sparse, name=name, dtype=dtype)
        self.offsets = [
            check_number(value, "offsets", expected="a sequence of floats", where=f"offsets[{i}]")
            for i, value in enumerate(offsets)
        ]
        bad = [i for i, value in enumerate(self.offsets) if not math.isfinite(value)]
        if not self.offsets or bad:
            received = f"offsets[{bad[0]}]={self.offsets[bad[0]]!r}" if bad else "offsets=[]"
            raise HeadConfigError(
                f"Expected `offsets` to be one finite float per class. Received: {received}. "
                "Pass tau * log(prior) per class, as the head computes it."
            )
        self.from_logits = check_bool(from_logits, "from_logits")

    def _scores(self, y_pred: Any) -> Any:
        scores = super()._scores(y_pred)
        width = scores.shape[-1]
        if width is not None and width != len(self.offsets):
            raise ValueError(
                f"Expected outputs of width {len(self.offsets)}, one per offset, for the "
                f"metric {self.name}. Received: y_pred of shape {tuple(scores.shape)}. Pass "
                "one offset per class."
            )
        if not self.from_logits:
            scores = ops.log(ops.maximum(scores, _TINY))
        return scores - ops.convert_to_tensor(np.asarray(self.offsets, dtype="float32"))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(offsets=list(self.offsets), from_logits=self.from_logits)
        return config


# ----------------------------------------------------------------------------- tuning


def check_tuning_args(
    metric: object, beta: object, min_support: object, average: object, prior_slope: object
) -> tuple[float, int | None, str, float | None]:
    """Validate `Head.tune_thresholds` options.

    Returns:
        ``(beta ** 2, min_support, average, prior_slope)``.
    """
    check_choice(metric, "metric", METRICS)
    beta_value = check_number(beta, "beta", accept=lambda b: b > 0.0)
    if not (math.isfinite(beta_value) and beta_value > 0.0):
        weigh = "to weigh recall twice as much as precision, or beta=0.5 for the reverse."
        fix = (
            f"Pass e.g. beta=2.0 {weigh}"
            if metric == "fbeta"
            else f"Omit `beta` for metric='f1', or pass metric='fbeta' with e.g. beta=2.0 {weigh}"
        )
        raise HeadConfigError(
            f"Expected `beta` > 0 and finite. Received: beta={beta_value!r}. {fix}"
        )
    if metric == "f1" and beta_value != 1.0:
        raise HeadConfigError(
            f"Expected `beta` to be omitted (or 1.0) with metric='f1'. Received: "
            f"beta={beta_value!r}. Use metric='fbeta' to weigh recall beta times as much as "
            "precision."
        )
    if min_support is not None and (
        isinstance(min_support, bool) or not isinstance(min_support, (int, np.integer))
    ):
        raise TypeError(
            "Expected `min_support` to be an int or None. Received: "
            f"min_support={describe_value(min_support)}. {int_fix(min_support, 'min_support')}"
        )
    if min_support is not None and min_support < 1:
        raise HeadConfigError(
            f"Expected `min_support` >= 1, or None for no label-own thresholds. Received: "
            f"min_support={int(min_support)}. Pass min_support=1 or more, or leave it out."
        )
    average = check_choice(average, "average", AVERAGES)
    slope = None
    if prior_slope is not None:
        slope = check_number(prior_slope, "prior_slope", expected="a float or None")
        if not math.isfinite(slope):
            raise HeadConfigError(
                f"Expected a finite `prior_slope`. Received: prior_slope={slope!r}. Pass a "
                "finite float, or leave it out to tune it."
            )
    return (
        beta_value**2,
        None if min_support is None else int(min_support),
        average,
        slope,
    )


def _probability(logit: float) -> float:
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    return math.exp(logit) / (1.0 + math.exp(logit))


def _threshold_in(lower: float, upper: float, preferred: float, from_logits: bool) -> float:
    """A probability threshold ``t`` with ``lower <= cut_points(t) < upper`` (float32).

    ``lower`` and ``upper`` are output values (or -inf / inf); ``preferred`` is
    the cut wanted, as a logit. Where rounding moves it out of
    ``[lower, upper)``, ``t`` is found by bisection.
    """
    lo, hi = float(np.float32(lower)), float(np.float32(upper))
    t = min(max(_probability(preferred), _LOWEST), _HIGHEST)
    # Rounding moves a cut by a few float64 steps of t: step there first, so that the
    # threshold stays next to the preferred cut (min_labels ranks by the distance to it).
    for _ in range(64):
        got = float(cut_points(t, from_logits))
        if lo <= got < hi:
            return t
        t = min(max(float(np.nextafter(t, 0.0 if got >= hi else 1.0)), _LOWEST), _HIGHEST)
    t = _probability(preferred)
    below, above = 0.0, 1.0
    for _ in range(200):
        t = min(max(t, _LOWEST), _HIGHEST)
        got = float(cut_points(t, from_logits))
        if got >= hi:
            above = t
        elif got < lo:
            below = t
        else:
            break
        t = (below + above) / 2.0
    return min(max(t, _LOWEST), _HIGHEST)  # in (0, 1) even where no t fits exactly


def _fixed_decisions(cells: np.ndarray, from_logits: bool) -> np.ndarray:
    """+1 for outputs positive at every threshold, -1 for outputs negative at every one.

    A threshold is a float64 probability in [`_LOWEST`, `_HIGHEST`], so the cut it
    gives (`cut_points`) lies between two bounds: with ``from_logits=True`` about
    -744.4 and 36.7 as logits; for probabilities 0.0 and 1.0 (float32). An output at
    or below the lowest cut is never positive, one above the highest always is.
    """
    low, high = (float(cut_points(t, from_logits)) for t in (_LOWEST, _HIGHEST))
    return np.where(cells > high, 1, np.where(cells <= low, -1, 0)).astype(np.int8)


def _adjusted(logits: np.ndarray, offsets: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """``logits - offsets``, where no cut of any column can move a fixed decision.

    Outputs with a fixed decision become +-`_ALWAYS`, above or below every candidate
    cut, so that the search only scores decisions that thresholds can make, whatever
    each column's offset.
    """
    values = logits - offsets
    return np.where(fixed > 0, _ALWAYS, np.where(fixed < 0, -_ALWAYS, values))


#: Above this logit, float64 probability thresholds give cuts coarser than float32 steps.
_COARSE_LOGIT = 23.0


def _logit_cut(t: np.ndarray) -> np.ndarray:
    """`cut_points` of float64 probability thresholds ``t`` with ``from_logits=True``, as
    float64 (``t = 1.0``, for logits above about 36.7, cuts at ``inf``)."""
    return np.asarray(cut_points(t, True), dtype=np.float64)


def _reachable(logits: np.ndarray) -> np.ndarray:
    """Each logit raised to the lowest cut a probability threshold can give at or above it.

    Above about logit 23 consecutive float64 probabilities give cuts more than one
    float32 step apart (about 1e-3 apart at 30), so two logits between two such cuts
    are decided alike by every threshold. Raised to that cut they become equal, and
    the search scores only decisions a threshold can make (``x > c`` and the raised
    ``x > c`` agree for every such cut ``c``).
    """
    coarse = (logits > _COARSE_LOGIT) & (logits < _ALWAYS)
    if not coarse.any():
        return logits
    x = logits[coarse]
    t = 1.0 / (1.0 + np.exp(-x))
    cut = _logit_cut(t)
    for _ in range(64):  # up to the first threshold whose cut is at or above x
        low = cut < x
        if not low.any():
            break
        t[low] = np.nextafter(t[low], 1.0)
        cut[low] = _logit_cut(t[low])
    for _ in range(64):  # down while the threshold below still cuts at or above x
        below = np.nextafter(t, 0.0)
        lower = _logit_cut(below)
        down = lower >= x
        if not down.any():
            break
        t[down], cut[down] = below[down], lower[down]
    raised: np.ndarray = logits.copy()
    raised[coarse] = cut
    return raised


def _logit_space(scores: np.ndarray, from_logits: bool) -> np.ndarray:
    """float32 outputs as float64 logits (probabilities through log-odds, kept finite);
    logits raised to the cuts thresholds can reach (`_reachable`)."""
    values = scores.astype(np.float64)
    if from_logits:
        return _reachable(values)
    with np.errstate(divide="ignore"):
        logits = np.log(values) - np.log1p(-values)
    return np.asarray(np.clip(logits, -1e4, 1e4))


class _Cut(NamedTuple):
    """The best global cut on adjusted scores: ``lower < cut < upper``, its objective."""

    lower: float
    upper: float
    score: float


def _forced(
    adjusted: np.ndarray, key: np.ndarray, min_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """``adjusted`` with each row's ``min_labels`` highest cells by ``key`` raised to
    `_ALWAYS`, and the mask of those cells.

    A head with ``min_labels`` predicts them at every cut: `at_least` ranks a row's
    undecided cells by ``logit - cut_j``, and in the prior-adjusted family ``cut_j`` is
    ``c + a * logit(prior_j)``, so the order is that of ``key`` (`rank_logits` less
    ``a * logit(prior_j)``, clipped as `at_least` clips), whatever ``c``: a row's
    decided cells, when fewer than ``min_labels``, are among its highest, and the rule
    tops them up with the next ones (ties to the lower index).
    """
    mask = np.zeros(adjusted.shape, dtype=bool)
    if not min_labels:
        return adjusted, mask
    order = np.clip(key, -FLOAT32_MAX, FLOAT32_MAX)
    top = np.argsort(-order, axis=1, kind="stable")[:, :min_labels]
    np.put_along_axis(mask, top, True, axis=1)
    return np.where(mask, _ALWAYS, adjusted), mask


def _best_global_cut(
    adjusted: np.ndarray, truth: np.ndarray, beta2: float, average: str, all_positive: bool
) -> _Cut | None:
    """Best ``adjusted > cut`` over the midpoints of the sorted unique adjusted values.

    With ``all_positive``, a cut below the lowest value (every cell positive) is a
    candidate too. The objective is micro-F-beta, macro-F-beta, or their mean over
    the columns; of equal values the highest cut wins. ``None`` with fewer than two
    unique values.
    """
    unique = np.unique(adjusted)
    if unique.size < 2:
        return None
    size = unique.size
    first = 0 if all_positive else 1  # candidate k predicts ``adjusted >= unique[k]``

    def counts(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells and true cells predicted positive by each candidate."""
        where = np.searchsorted(unique, values)  # index of each value among the unique ones
        cells = np.cumsum(np.bincount(where, minlength=size)[::-1])[::-1]
        true = np.cumsum(np.bincount(where, weights=weights, minlength=size)[::-1])[::-1]
        return cells[first:].astype(np.float64), true[first:]

    def fbeta(tp: np.ndarray, pp: np.ndarray, positives: float) -> np.ndarray:
        denominator = beta2 * positives + pp
        return np.divide(
            (1.0 + beta2) * tp, denominator, out=np.zeros(tp.size), where=denominator > 0
        )

    predicted, true_positives = counts(adjusted.ravel(), truth.ravel())
    micro = fbeta(true_positives, predicted, float(truth.sum()))
    if average == "micro":
        score = micro
    else:  # the per-column counts, column by column
        macro = np.zeros(size - first)
        for j in range(adjusted.shape[1]):
            pp, tp = counts(adjusted[:, j], truth[:, j])
            macro += fbeta(tp, pp, float(truth[:, j].sum()))
        macro /= adjusted.shape[1]
        score = macro if average == "macro" else (micro + macro) / 2.0
    best = int(np.flatnonzero(score == score.max())[-1]) + first
    lower = float(unique[best - 1]) if best else -math.inf
    return _Cut(lower, float(unique[best]), float(score[best - first]))


def _column_thresholds(
    scores: np.ndarray,
    adjusted: np.ndarray,
    offsets: np.ndarray,
    cut: _Cut,
    from_logits: bool,
    forced: np.ndarray | None = None,
) -> list[float]:
    """Per-column thresholds that reproduce ``adjusted > cut`` on ``scores``, except on
    the ``forced`` cells, which the head predicts whatever their threshold (`_forced`)."""
    # Below the lowest value (every cell positive), or next to outputs whose decision is
    # fixed (+-_ALWAYS), one logit away from the other bound; else the midpoint.
    if cut.lower <= -_ALWAYS:
        middle = cut.upper - 1.0
    elif cut.upper >= _ALWAYS:
        middle = cut.lower + 1.0
    else:
        middle = (cut.lower + cut.upper) / 2.0
    thresholds = []
    free = np.ones(adjusted.shape, dtype=bool) if forced is None else ~forced
    for j in range(scores.shape[1]):
        positive = (adjusted[:, j] >= cut.upper) & free[:, j]
        negative = (adjusted[:, j] < cut.upper) & free[:, j]
        column = scores[:, j]
        lower = float(column[negative].max()) if negative.any() else -math.inf
        upper = float(column[positive].min()) if positive.any() else math.inf
        thresholds.append(_threshold_in(lower, upper, middle + float(offsets[j]), from_logits))
    return thresholds


def tune_columns(
    truth: np.ndarray,
    scores: np.ndarray,
    from_logits: bool,
    *,
    beta2: float,
    average: str,
    min_support: int | None,
    prior: Sequence[float] | None,
    prior_slope: float | None,
    min_labels: int = 0,
) -> tuple[float, ...] | None:
    """Thresholds for binary (one column) and multilabel outputs, one per column.

    In logit space every column ``j`` gets the cut ``c + a * logit(prior_j)``:
    ``a`` (the prior slope) is ``prior_slope``, or the best of `SLOPE_GRID`
    (the smallest of equal ones) when ``None`` (0 without a prior); for each
    ``a``, ``c`` is the exact best
    of the midpoints of the sorted unique adjusted scores (and a cut below them
    all, where a threshold can express it) for the ``average`` F-beta. Then every
    column with at least ``min_support`` positives gets the threshold that maximises
    its own F-beta (if above 0). ``None`` when all scores are equal, or when no
    threshold can change any decision on them. With ``min_labels`` the objective of
    ``a`` and ``c`` scores the decisions with each row's ``min_labels`` highest
    adjusted cells added (`_forced`), as the head decides; the label-own thresholds
    are tuned without it.
    """
    cells = np.asarray(scores, dtype=np.float32)
    truth = truth.astype(np.float64)
    logits = _logit_space(cells, from_logits)
    fixed = _fixed_decisions(cells, from_logits)
    if (fixed != 0).all():
        return None  # no threshold changes any decision on these scores: keep the current one
    if prior is None:
        unit = np.zeros(cells.shape[1])
        slopes: tuple[float, ...] = (0.0,)
    else:
        p = np.clip(np.asarray(prior, dtype=np.float64), PRIOR_EPS, 1.0 - PRIOR_EPS)
        unit = np.log(p) - np.log1p(-p)
        slopes = SLOPE_GRID if prior_slope is None else (prior_slope,)
    # Every cell (of a column) positive is a candidate where no cell is always negative.
    all_positive = bool((fixed >= 0).all())
    ranked = rank_logits(cells, from_logits).astype(np.float64) if min_labels else logits
    best: tuple[_Cut, float, np.ndarray, np.ndarray] | None = None
    for slope in slopes:
        adjusted = _adjusted(logits, slope * unit, fixed)
        scored, forced = _forced(adjusted, ranked - slope * unit, min_labels)
        found = _best_global_cut(scored, truth, beta2, average, all_positive)
        if found is not None and (best is None or found.score > best[0].score):
            best = (found, slope, adjusted, forced)
    if best is None:
        return None
    cut, slope, adjusted, forced = best
    thresholds = _column_thresholds(cells, adjusted, slope * unit, cut, from_logits, forced)
    if min_support is not None:
        for j in range(cells.shape[1]):
            if truth[:, j].sum() < min_support:
                continue
            column = slice(j, j + 1)
            own_adjusted = _adjusted(logits[:, column], np.zeros(1), fixed[:, column])
            column_all_positive = bool((fixed[:, column] >= 0).all())
            own = _best_global_cut(
                own_adjusted, truth[:, column], beta2, "micro", column_all_positive
            )
            if own is not None and own.score > 0.0:
                thresholds[j] = _column_thresholds(
                    cells[:, column], own_adjusted, np.zeros(1), own, from_logits
                )[0]
    return tuple(thresholds)


def _macro_fbeta(ids: np.ndarray, predicted: np.ndarray, n: int, beta2: float) -> float:
    true_positive = np.bincount(ids[ids == predicted], minlength=n).astype(np.float64)
    support = np.bincount(ids, minlength=n)
    predicted_count = np.bincount(predicted, minlength=n)
    denominator = beta2 * support + predicted_count
    score = np.divide(
        (1.0 + beta2) * true_positive,
        denominator,
        out=np.zeros(n),
        where=denominator > 0,
    )
    return float(score.mean())


def tune_tau(
    ids: np.ndarray,
    scores: np.ndarray,
    prior: Sequence[float],
    from_logits: bool,
    beta2: float,
) -> float:
    """The ``tau`` in `TAU_GRID` that maximises macro-F-beta (the smallest of ties)."""
    n = scores.shape[1]
    base = adjusted_scores(scores, np.zeros(n), from_logits)
    best_tau, best_score = 0.0, -1.0
    for tau in TAU_GRID:
        # What adjusted_scores gives for this tau, without a log per tau.
        predicted = np.argmax(base - logit_offsets(prior, tau).astype(np.float32), axis=1)
        score = _macro_fbeta(ids, predicted, n, beta2)
        if score > best_score:
            best_tau, best_score = tau, score
    return best_tau


def describe_prior(prior: tuple[float, ...]) -> str:
    """Short text for ``Head.__repr__``."""
    if len(prior) <= 4:
        return "[" + ", ".join(f"{value:.4g}" for value in prior) + "]"
    return f"<{len(prior)} frequencies>"
