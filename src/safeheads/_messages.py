"""Small helpers that format values the same way in every message."""

from __future__ import annotations

__all__ = ["describe_value"]


def describe_value(value: object) -> str:
    """``repr`` for plain ints, floats, strings and None; ``repr`` plus the type otherwise."""
    text = repr(value)
    if type(value) in (int, float, str, type(None)):
        return text
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"
