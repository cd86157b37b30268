"""Small helpers that format values the same way in every message."""

from __future__ import annotations

import numpy as np

from safeheads.errors import HeadConfigError

__all__ = ["check_choice", "check_int", "describe_value"]


def describe_value(value: object) -> str:
    """``repr`` for plain ints, floats, strings and None; ``repr`` plus the type otherwise."""
    text = repr(value)
    if type(value) in (int, float, str, type(None)):
        return text
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def check_int(
    value: object, name: str, *, minimum: int = 1, error: type[ValueError] = HeadConfigError
) -> int:
    """An int (not a bool) >= ``minimum``: TypeError for other types, ``error`` below it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"Expected `{name}` to be an int. Received: {name}={describe_value(value)}."
        )
    if value < minimum:
        raise error(f"Expected `{name}` >= {minimum}. Received: {name}={int(value)}.")
    return int(value)


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """One of the strings ``allowed``: TypeError for other types, HeadConfigError otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"Expected `{name}` to be a str. Received: {name}={describe_value(value)}.")
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise HeadConfigError(
            f"Expected `{name}` to be one of {choices}. Received: {name}={value!r}."
        )
    return value
