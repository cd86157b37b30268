"""Decision thresholds: validation and conversion to the output's own space."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np

from safeheads._messages import check_int, check_number
from safeheads.errors import HeadConfigError

__all__ = [
    "Threshold",
    "at_least",
    "check_min_labels",
    "check_threshold",
    "cut_points",
    "rank_logits",
]

#: A probability threshold in (0, 1), one for all outputs or one per output.
Threshold: TypeAlias = float | Sequence[float]


def _check_one(value: object, where: str) -> float:
    number = check_number(
        value,
        "threshold",
        expected="a float in (0, 1) or a sequence of them",
        where=where,
        accept=lambda t: 0.0 < t < 1.0,
    )
    if not 0.0 < number < 1.0:
        raise HeadConfigError(
            f"Expected `threshold` in the open interval (0, 1), a probability. "
            f"Received: {where}={number!r}. Pass a probability such as 0.5; with "
            "from_logits=True the threshold is still a probability (safeheads converts it to "
            "a logit)."
        )
    return number


def check_threshold(threshold: object, units: int | None = None) -> float | tuple[float, ...]:
    """Validate a scalar or per-output threshold and return it as float or tuple.

    Args:
        threshold: A probability in (0, 1), or a sequence of them (one per output).
        units: The number of outputs a sequence must match, when known.

    Returns:
        The threshold as a float, or a tuple of floats.

    Raises:
        TypeError: If the threshold is not a number or a sequence of numbers.
        HeadConfigError: If a value is outside (0, 1) or the sequence length is wrong.
    """
    if isinstance(threshold, np.ndarray) and threshold.ndim == 0:
        threshold = threshold.item()
    if isinstance(threshold, (Sequence, np.ndarray)) and not isinstance(threshold, str):
        values = tuple(_check_one(value, f"threshold[{i}]") for i, value in enumerate(threshold))
        if units is not None and len(values) != units:
            raise HeadConfigError(
                f"Expected one `threshold` per output ({units}). "
                f"Received: {len(values)} thresholds. Pass {units} thresholds, or one float "
                "for every output."
            )
        return values
    return _check_one(threshold, "threshold")


def cut_points(threshold: float | tuple[float, ...] | np.ndarray, from_logits: bool) -> np.ndarray:
    """The values that outputs are compared to (``output > cut``), as float32.

    For ``from_logits=True`` the probability threshold ``t`` becomes the logit
    ``log(t / (1 - t))``, so that ``sigmoid(z) > t`` exactly when ``z > cut``
    (``t = 1.0`` gives ``inf``). A tuple or an array gives one cut per threshold.
    """
    values = np.atleast_1d(np.asarray(threshold, dtype=np.float64))
    if from_logits:
        with np.errstate(divide="ignore"):
            values = np.log(values) - np.log1p(-values)
    cut = values.astype(np.float32)
    return cut if np.ndim(threshold) else cut.reshape(())


#: The largest finite float32: margins are clipped to it, so that a label already decided
#: (ranked at -inf) comes after every other one, even one whose output is 0 or -inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: The smallest normal float32: a probability below it ranks as 0 (TensorFlow's kernels
#: read subnormals as 0, numpy and the other backends do not).
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def check_min_labels(min_labels: object, n: int | None = None, count: str = "n") -> int:
    """Validate ``min_labels``: an int from 0 to ``n`` (the number of labels, when known,
    passed as the argument ``count``)."""
    k = check_int(min_labels, "min_labels", minimum=0, maximum=n)
    if n is not None and k > n:
        raise HeadConfigError(
            f"Expected `min_labels` <= {count}={n}, the number of labels. Received: "
            f"min_labels={k}. Pass min_labels={n} or less."
        )
    return k


def rank_logits(scores: np.ndarray, from_logits: bool) -> np.ndarray:
    """The float32 logits `at_least` ranks labels by: the outputs themselves, or
    probabilities through log-odds with subnormals read as 0 (0 and 1 give -inf, inf)."""
    rows = np.asarray(scores, dtype=np.float32)
    if from_logits:
        return rows
    rows = np.where(rows < FLOAT32_TINY, np.float32(0.0), rows)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(rows) - np.log1p(-rows))


def at_least(
    decided: np.ndarray,
    scores: np.ndarray,
    threshold: float | tuple[float, ...],
    from_logits: bool,
    min_labels: int,
) -> np.ndarray:
    """``decided`` (0/1, shape ``(N, L)``) with every row raised to ``min_labels`` labels.

    A row with fewer gets the labels it misses among the undecided ones whose output
    is closest to their own threshold: the largest ``logit(score) - logit(threshold)``
    in float32, as the metrics compute it (ties go to the lower index; a probability
    below the smallest normal float32 counts as 0). The backends' ``log`` may differ
    from numpy's in the last bit, so margins within a float32 step or two of a tie can
    rank the other way in the metrics.
    """
    need = min_labels - decided.sum(axis=1)
    short = np.flatnonzero(need > 0)
    if short.size == 0:
        return decided
    rows = rank_logits(scores[short], from_logits)
    margin = np.clip(rows - cut_points(threshold, True), -FLOAT32_MAX, FLOAT32_MAX)
    key = np.where(decided[short] > 0, -np.inf, margin)
    order = np.argsort(-key, axis=1, kind="stable")[:, :min_labels]
    row, rank = np.nonzero(np.arange(min_labels) < need[short][:, None])
    filled: np.ndarray = decided.copy()
    filled[short[row], order[row, rank]] = 1
    return filled
