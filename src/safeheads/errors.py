"""Exceptions and warnings raised by safeheads.

Every error is raised before anything trains, names the argument or the label
position that is wrong, the value received, and the fix.
"""

from __future__ import annotations

__all__ = ["HeadConfigError", "HeadMismatchError", "LabelFormatError", "SafeheadsWarning"]


class HeadConfigError(ValueError):
    """An argument of a head (``task``, ``n``, ``threshold``, ...) has a wrong value.

    Raised when a head, loss or metric is built or an option is given (e.g. to
    ``tune_thresholds``). A loss raises it when first called (so when ``fit``
    traces its first step) if its ``pos_weight`` does not match the outputs'
    width, which is unknown before.

    Example:
        >>> import safeheads
        >>> try:
        ...     safeheads.classification_head("multiclass", 1)
        ... except safeheads.HeadConfigError as err:
        ...     print(err)
        Expected `n` >= 2 for task='multiclass'. Received: n=1. For a single yes/no output use task='binary'.
    """


class LabelFormatError(ValueError):
    """A label array is malformed or does not fit the head it is given to.

    The message names what is wrong, the first offending position and value, how
    many values are affected, and the fix.

    Example:
        >>> import safeheads
        >>> try:
        ...     safeheads.to_categorical([0, 2, -1])
        ... except safeheads.LabelFormatError as err:
        ...     print(err)
        Expected class ids >= 0. Received: y[2]=-1 (1 of 3 values negative). Negative ids would wrap to the last class in keras.utils.to_categorical; remove or relabel them.
    """


class HeadMismatchError(ValueError):
    """A Keras model (compiled or not) has an error-level head/loss/metric/label mismatch.

    Raised by ``Report.raise_for_errors()`` and by the ``HeadGuard`` callback.

    Example:
        >>> import safeheads
        >>> issubclass(safeheads.HeadMismatchError, ValueError)
        True
    """


class SafeheadsWarning(UserWarning):
    """Suspicious but legal input, e.g. a class with no examples.

    Example:
        >>> import warnings, safeheads
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     info = safeheads.describe_labels([1, 1, 1])
        >>> print(caught[0].message)
        Binary labels hold a single value (1) in all 3 samples: the model cannot learn the other class from them.
    """
