"""Balanced class weights for ``fit(class_weight=...)`` and per-label positive weights."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from safeheads._labels import (
    _Parsed,
    _shape_text,
    check_class_count,
    encode_labels,
    parse_labels,
)
from safeheads._layer import check_class_names
from safeheads._tasks import Task
from safeheads.errors import LabelFormatError, SafeheadsWarning

__all__ = ["class_weight", "label_pos_weight"]


def _ids_shown(ids: np.ndarray) -> str:
    return ", ".join(str(int(i)) for i in ids[:10]) + (", ..." if ids.size > 10 else "")


def _refuse_names(parsed: _Parsed, caller: str) -> None:
    """Refuse labels given as names without ``class_names``.

    A head numbers its classes in the order of its own ``class_names``; numbering
    names in any other order (sorted, say) would put each weight on another class.
    """
    if parsed.class_names is not None:
        shown = list(parsed.class_names)[:10]
        per = "class id" if caller == "class_weight" else "label"
        raise LabelFormatError(
            f"Expected `class_names` for labels given as names: {caller} returns one weight "
            f"per {per}, and a head numbers its classes in the order of its own "
            f"class_names. Received: class names {shown} and class_names=None. Pass "
            f"{caller}(y, class_names=head.class_names)."
        )


def _checked_names(class_names: object, caller: str) -> tuple[Hashable, ...] | None:
    """The validated ``class_names`` (at least 2), or None."""
    if class_names is None:
        return None
    names = check_class_names(class_names, None)
    assert names is not None
    if len(names) < 2:
        raise LabelFormatError(
            f"Expected at least 2 `class_names` for {caller}. Received: class_names="
            f"{list(names)!r}. Pass the names of every class the head has."
        )
    return names


def class_weight(y: Any, *, class_names: Sequence[Hashable] | None = None) -> dict[int, float]:
    """Balanced class weights, as the dict ``model.fit(class_weight=...)`` expects.

    The weight of class ``c`` is ``n_samples / (n_classes * count[c])``, like
    scikit-learn's ``compute_class_weight("balanced", ...)``: every class then
    carries the same total weight, and the weights of all samples sum to
    ``n_samples``. Class ids follow the labels' format: the ids themselves for a
    binary column or sparse ids, and the column for one-hot rows. Labels given as
    names need the head's ``class_names``: the id of a name is its position there.

    A class with no examples in ``y`` (an id below ``max(y)``, an all-zero
    one-hot column, or the missing value of a binary column) gets weight 0.0
    and a `SafeheadsWarning`; ``n_classes`` then counts only the classes
    present, so the other weights equal scikit-learn's. The weight of a class
    without samples never multiplies anything in training.

    Multilabel labels are refused. Keras' ``fit(class_weight=...)`` turns each
    row of a 2-D target into the class of its argmax: for multi-hot rows it
    silently weights every sample by its first positive label and ignores the
    others. Weight each label's positives in the loss instead:
    ``classification_head("multilabel", n, prior=y, pos_weight="balanced")`` or
    ``pos_weight=safeheads.label_pos_weight(y)``.

    Args:
        y: Binary or multiclass training labels in any format `describe_labels`
            accepts: a 0/1 column, sparse class ids, one-hot rows, or class names.
        class_names: The head's ``class_names`` (``head.class_names``); required
            for labels given as names. With it, ``n`` is their number and ``y``
            is read as the head's ``encode`` reads it.

    Returns:
        ``{class_id: weight}`` for every class id in ``[0, n)``, Python ints to
        Python floats.

    Raises:
        TypeError: If ``class_names`` is not a sequence of str or int.
        LabelFormatError: For multi-hot labels or label lists (see above),
            class ids of 2**24 or more, labels given as names without
            ``class_names``, fewer than 2 ``class_names``, labels that are not
            among them, and for any malformed label array.
        HeadConfigError: If ``class_names`` holds a name twice.

    Warns:
        SafeheadsWarning: If a class has no examples.

    Example:
        >>> import safeheads
        >>> safeheads.class_weight([0, 0, 0, 1, 2, 2])
        {0: 0.6666666666666666, 1: 2.0, 2: 1.0}
        >>> head = safeheads.classification_head("multiclass", 3, class_names=["low", "mid", "high"])
        >>> safeheads.class_weight(["low", "low", "low", "mid", "high", "high"],
        ...                        class_names=head.class_names)
        {0: 0.6666666666666666, 1: 2.0, 2: 1.0}
    """
    names = _checked_names(class_names, "class_weight")
    if names is None:
        parsed = parse_labels(y)
        _refuse_multilabel(parsed)
        _refuse_names(parsed, "class_weight")
        check_class_count(parsed, "class_weight", "lists a weight for every id in [0, n)")
        counts = _class_counts(parsed)
    else:  # read as the head's encode reads it (negative int names included)
        try:
            ids = encode_labels(y, Task.MULTICLASS, len(names), class_names=names)
        except LabelFormatError as error:
            try:
                sniffed = parse_labels(y)
            except LabelFormatError:
                raise error from None
            _refuse_multilabel(sniffed)
            raise
        counts = np.bincount(ids, minlength=len(names))
    present = counts > 0
    weights = np.zeros(counts.size, dtype=np.float64)
    weights[present] = int(counts.sum()) / (int(present.sum()) * counts[present])
    if not present.all():
        empty = np.flatnonzero(~present)
        kept = int(present.sum())
        hint = (
            " Labels seem to start at 1: subtract 1."
            if names is None and parsed.format == "sparse" and empty.tolist() == [0]
            else ""
        )
        warnings.warn(
            f"{empty.size} of {counts.size} classes have no examples (class ids "
            f"{_ids_shown(empty)}): class_weight gives them weight 0.0 and balances the "
            f"{kept} class{'es' if kept != 1 else ''} present.{hint}",
            SafeheadsWarning,
            stacklevel=2,
        )
    return {i: float(weight) for i, weight in enumerate(weights.tolist())}


def _refuse_multilabel(parsed: _Parsed) -> None:
    if parsed.task is Task.MULTILABEL:
        raise LabelFormatError(
            "Expected binary or multiclass labels for class_weight. Received: "
            f"{parsed.format} labels ({_shape_text(parsed)}). Keras' fit(class_weight=...) "
            "would weight each multi-hot row by the class of its argmax only, silently. For a "
            "multilabel head weight each label's positives in the loss instead: "
            'classification_head("multilabel", n, prior=y, pos_weight="balanced"), or '
            "pos_weight=safeheads.label_pos_weight(y)."
        )


def _class_counts(parsed: _Parsed) -> np.ndarray:
    if parsed.format == "one-hot":
        return parsed.values.sum(axis=0, dtype=np.int64)  # type: ignore[no-any-return]
    return np.bincount(parsed.values, minlength=parsed.n)


def label_pos_weight(y: Any, *, class_names: Sequence[Hashable] | None = None) -> np.ndarray:
    """Per-label positive weights for a multilabel loss: negatives / positives.

    For label ``j``, ``pos_weight[j] = (n_samples - positives[j]) / positives[j]``,
    the ``pos_weight`` of a weighted binary crossentropy (as in PyTorch's
    ``BCEWithLogitsLoss``): the positives of each label then weigh as much as its
    negatives. A label with no positives, or no negatives, gets 1.0
    (unweighted) and a `SafeheadsWarning`: its ratio would be infinite or 0,
    which would turn the loss into NaN or erase the label.

    Label order follows the format: the columns of a multi-hot matrix, or the ids
    of label lists of ids (``n = max id + 1``). Label lists of names need the
    head's ``class_names``, whose order the weights then follow. For a fixed
    width pass ``safeheads.to_multi_hot(label_lists, n)`` or ``class_names``.

    Measured on the shared Reuters data, balanced positive weights lowered
    micro-F1 once thresholds were tuned: offer them, but compare on validation.

    Args:
        y: Multilabel labels: a multi-hot (or one-hot) 0/1 matrix ``(N, n)``, or
            one list of labels per sample (a label listed twice counts once).
        class_names: The head's ``class_names`` (``head.class_names``); required
            for label lists of names. With it, ``n`` is their number and ``y``
            is read as the head's ``encode`` reads it.

    Returns:
        A float64 array of shape ``(n,)``.

    Raises:
        TypeError: If ``class_names`` is not a sequence of str or int.
        LabelFormatError: Without ``class_names``, for one label per sample (use
            `class_weight`, or `to_multi_hot` for lists of one id); for label
            ids of 2**24 or more, label lists of names without ``class_names``,
            fewer than 2 ``class_names``, labels that are not among them, and
            for any malformed label array.
        HeadConfigError: If ``class_names`` holds a name twice.

    Warns:
        SafeheadsWarning: If a label has no positive or no negative example.

    Example:
        >>> import safeheads
        >>> safeheads.label_pos_weight([[1, 0, 1], [0, 0, 1], [0, 1, 0], [0, 0, 0]])
        array([3., 3., 1.])
    """
    names = _checked_names(class_names, "label_pos_weight")
    if names is not None:  # read as the head's encode reads it
        encoded = encode_labels(y, Task.MULTILABEL, len(names), class_names=names)
        positives = encoded.sum(axis=0, dtype=np.int64)
        n_samples = len(encoded)
    else:
        positives, n_samples = _positives(y)
    negatives = n_samples - positives
    weights = np.ones(positives.size, dtype=np.float64)
    usable = (positives > 0) & (negatives > 0)
    weights[usable] = negatives[usable] / positives[usable]
    if not usable.all():
        no_positives = np.flatnonzero(positives == 0)
        no_negatives = np.flatnonzero(negatives == 0)
        parts = [
            f"{ids.size} {'has' if ids.size == 1 else 'have'} no {kind} example "
            f"(label ids {_ids_shown(ids)})"
            for ids, kind in ((no_positives, "positive"), (no_negatives, "negative"))
            if ids.size
        ]
        warnings.warn(
            f"Of {positives.size} labels, {' and '.join(parts)}: label_pos_weight gives them 1.0 "
            "(unweighted), since negatives/positives would be infinite or 0.",
            SafeheadsWarning,
            stacklevel=2,
        )
    return weights


def _positives(y: Any) -> tuple[np.ndarray, int]:
    """Positives per label and the number of samples, for labels without class names."""
    parsed = parse_labels(y)
    if parsed.format not in ("one-hot", "multi-hot", "label-lists"):
        raise LabelFormatError(
            "Expected multilabel labels (a multi-hot matrix or one list of labels per sample) "
            f"for label_pos_weight. Received: {parsed.format} labels ({_shape_text(parsed)}). "
            + (
                "For label lists of one name each pass label_pos_weight(y, "
                "class_names=head.class_names)"
                if parsed.class_names is not None
                else "For label lists of one id each pass "
                "label_pos_weight(safeheads.to_multi_hot(y, n))"
            )
            + "; for binary and multiclass labels use safeheads.class_weight(y) with "
            "fit(class_weight=...)."
        )
    _refuse_names(parsed, "label_pos_weight")
    if parsed.format == "label-lists":
        assert parsed.lengths is not None
        check_class_count(parsed, "label_pos_weight", "returns a weight for every id in [0, n)")
        # One weight per name, or per id up to the largest (one label: n = 1, not 2).
        n = (
            len(parsed.class_names)
            if parsed.class_names is not None
            else int(parsed.values.max()) + 1
        )
        sample = np.repeat(np.arange(parsed.n_samples, dtype=np.int64), parsed.lengths)
        pairs = np.unique(sample * n + parsed.values)  # a label listed twice counts once
        positives = np.bincount(pairs % n, minlength=n)
    else:
        positives = parsed.values.sum(axis=0, dtype=np.int64)
    return positives, parsed.n_samples
