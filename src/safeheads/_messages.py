"""Small helpers that format values the same way in every message."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from safeheads.errors import HeadConfigError, LabelFormatError

__all__ = [
    "check_bool",
    "check_choice",
    "check_int",
    "check_label_shape",
    "check_num_labels",
    "check_number",
    "check_output_rank",
    "describe_value",
    "int_fix",
    "is_number",
]


def describe_value(value: object) -> str:
    """``repr`` for plain ints, floats, strings and None; ``repr`` plus the type otherwise."""
    text = repr(value)
    if type(value) in (int, float, str, type(None)):
        return text
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def _number_in(value: object) -> float | None:
    """The number a str such as ``"3"`` or a one-element array holds, else None."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return None


def int_fix(value: object, name: str, minimum: int = 1, maximum: int | None = None) -> str:
    """The fix for a non-int ``value``: ``Pass k=3.`` for 3.0 or ``"3"`` where that int is
    accepted (in ``[minimum, maximum]``), else the range."""
    number = float(value) if is_number(value) else _number_in(value)  # type: ignore[arg-type]
    top = 2**31 - 1 if maximum is None else maximum
    if number is not None and number.is_integer() and minimum <= number <= top:
        return f"Pass {name}={int(number)}."
    if maximum is None:
        return f"Pass a whole number >= {minimum}."
    return f"Pass a whole number from {minimum} to {maximum}."


def check_int(
    value: object,
    name: str,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    error: type[ValueError] = HeadConfigError,
) -> int:
    """An int (not a bool) >= ``minimum``: TypeError for other types, ``error`` below it.
    ``maximum`` (checked by the caller) only bounds the value the fix suggests."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"Expected `{name}` to be an int. Received: {name}={describe_value(value)}. "
            + int_fix(value, name, minimum, maximum)
        )
    if value < minimum:
        raise error(
            f"Expected `{name}` >= {minimum}. Received: {name}={int(value)}. "
            f"Pass {name}={minimum} or more."
        )
    return int(value)


def check_bool(value: object, name: str) -> bool:
    """A Python or numpy bool, as ``bool`` (not 0/1, not a string): TypeError otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        spelled = {"true": True, "false": False}.get(str(value).lower())
        if spelled is None and is_number(value) and value in (0, 1):
            spelled = bool(value)
        fix = f"Pass {name}={spelled}." if spelled is not None else "Pass True or False."
        raise TypeError(
            f"Expected `{name}` to be a bool. Received: {name}={describe_value(value)}. {fix}"
        )
    return bool(value)


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """One of the strings ``allowed``: TypeError for other types, HeadConfigError otherwise.

    The fix names the closest choice when there is one (``"logits"`` for ``"logit"``).
    """
    choices = ", ".join(repr(choice) for choice in allowed)
    if not isinstance(value, str):
        raise TypeError(
            f"Expected `{name}` to be a str. Received: {name}={describe_value(value)}. "
            f"Pass one of {choices}."
        )
    if value not in allowed:
        close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
        fix = f"Did you mean {name}={close[0]!r}?" if close else "Pass one of these."
        raise HeadConfigError(
            f"Expected `{name}` to be one of {choices}. Received: {name}={value!r}. {fix}"
        )
    return value


def is_number(value: object) -> bool:
    """A real number: a Python or numpy int or float, not a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def check_number(
    value: object,
    name: str,
    *,
    expected: str = "a float",
    where: str | None = None,
    accept: Callable[[float], bool] = math.isfinite,
) -> float:
    """A real number as float: TypeError ("Expected `name` to be <expected>") otherwise.

    ``where`` names the value received when it is not ``name`` itself, e.g. an item
    ``threshold[2]`` of a sequence. The fix names the number a string such as ``"0.5"``
    holds only where ``accept`` (the caller's range) takes it.
    """
    if not is_number(value):
        number = _number_in(value)
        fix = (
            f"Pass {where or name}={number!r}, a number."
            if number is not None and math.isfinite(number) and accept(number)
            else f"Pass {expected}."
        )
        raise TypeError(
            f"Expected `{name}` to be {expected}. "
            f"Received: {where or name}={describe_value(value)}. {fix}"
        )
    return float(value)  # type: ignore[arg-type]


def check_output_rank(y_pred: object, name: str) -> None:
    """Refuse outputs of rank 3 or more (one score per timestep or pixel): the head's
    metrics score one row per sample and do not read Keras' mask of padded steps."""
    shape = tuple(getattr(y_pred, "shape", ()))
    if len(shape) > 2:
        raise ValueError(
            f"Expected outputs of shape (N, units) for the metric {name}. Received: y_pred of "
            f"shape {shape}, one score per step or pixel. Pool over the steps before the head "
            "(e.g. keras.layers.GlobalMaxPooling1D()), or use Keras' own metrics, which read "
            "the mask of padded steps."
        )


def check_label_shape(y_true: Any, expected: tuple[int | None, ...], name: str) -> None:
    """Refuse labels whose static shape differs from ``expected`` (None: any size; a
    rank-1 ``(N,)`` also fits ``(N, 1)``): a reshape or broadcast would pair labels with
    other samples' outputs, or stop with a backend's shape error."""
    static = getattr(y_true, "shape", None)
    if static is not None and getattr(static, "rank", 0) is None:
        return  # a graph tensor of unknown rank: nothing to compare before it runs
    given = tuple(np.shape(y_true) if static is None else static)
    shape = given
    if len(shape) == 1 and len(expected) == 2 and expected[1] in (1, None):
        shape = (shape[0], 1)  # (N,) labels of a one-column output
    elif len(expected) == 2 and expected[0] == 1 and len(shape) <= 1:
        shape = (1, *shape) if shape else (1, 1)  # one sample: a scalar id or one row
    if len(shape) != len(expected) or any(
        a is not None and b is not None and a != b for a, b in zip(shape, expected, strict=True)
    ):
        shown = tuple("N" if size is None else size for size in expected)
        raise LabelFormatError(
            f"Expected labels of shape {shown} for the metric {name}. Received: labels of shape "
            f"{given}. Pass the labels as head.encode(y) returns them."
        )


def check_num_labels(y_pred: Any, num_labels: int, name: str) -> None:
    """Refuse outputs whose width (1 for rank 1) is not the ``num_labels`` a metric keeps
    one count per output for: its state would not fit them."""
    shape = tuple(getattr(y_pred, "shape", None) or np.shape(y_pred))
    width = shape[-1] if len(shape) == 2 else 1
    if width is not None and width != num_labels:
        raise ValueError(
            f"Expected outputs of width num_labels={num_labels} for the metric {name}. "
            f"Received: y_pred of shape {shape}. Build it with num_labels={width}."
        )
