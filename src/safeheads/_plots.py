"""Plots of training curves and decisions (the optional ``plot`` extra: matplotlib).

matplotlib is imported only when a plot is drawn, so ``import safeheads`` never loads
it. Every function returns a `matplotlib.figure.Figure` made without pyplot (no global
state): save it with ``fig.savefig("curves.png")``; notebooks display it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from safeheads._messages import check_bool, check_int, describe_value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_confusion", "plot_history", "plot_label_f1"]

#: Parts of a logged name whose lowest value is the best: losses, errors, distances and
#: counts of wrong decisions (Keras' ``mse``, ``binary_crossentropy``, ``false_positives``...).
_LOWER_IS_BETTER = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "mse",
    "mae",
    "mape",
    "msle",
    "logcosh",
    "log_cosh",
    "divergence",
    "kld",
    "poisson",
    "false_positives",
    "false_negatives",
)

_MISSING = (
    "{name} needs matplotlib, which is not installed. Install it with: "
    'pip install "safeheads[plot]"'
)


def _figure(name: str, width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(_MISSING.format(name=name)) from error
    return Figure(figsize=(width, height), layout="constrained")


# ----------------------------------------------------------------------------- history


def _history_dict(history: Any) -> dict[str, list[float]]:
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "Expected `history` to be the History that model.fit returns, or its .history "
            f"dict. Received: history={describe_value(history)}. Pass history = model.fit(...)."
        )
    curves: dict[str, list[float]] = {}
    for key, values in logs.items():
        try:
            curves[str(key)] = [float(v) for v in np.ravel(values)]
        except (TypeError, ValueError):
            raise ValueError(
                f"Expected numbers per epoch in `history`. Received: {key}="
                f"{describe_value(values)}. Pass the History of model.fit, or drop that entry."
            ) from None
    if not curves or not any(curves.values()):
        raise ValueError(
            "Expected a history with at least one epoch. Received: an empty history. Plot it "
            "after model.fit has run."
        )
    return curves


def plot_history(
    history: Any, *, metrics: Sequence[str] | None = None, validation_freq: int = 1
) -> Figure:
    """Plot the loss and each metric per epoch, training and validation side by side.

    One panel per quantity (the loss first, then the head's metrics in the order
    Keras logged them), training as a solid line and validation (``val_*``) dashed,
    with the best validation epoch marked: as the curves of the IMDB tutorial in
    *Deep Learning with Python*, for every metric of the head. The best is the
    lowest value for losses, errors (``mse``, ``mae``, ...), crossentropies and
    counts of false positives or negatives, the highest for everything else.

    Args:
        history: The ``History`` returned by ``model.fit``, or its ``.history``
            dict (``{"loss": [...], "val_loss": [...], ...}``).
        metrics: A name, or names, to plot (without ``val_``), in order.
            Default: ``loss`` and every other logged quantity except the
            learning rate.
        validation_freq: The ``validation_freq`` given to ``fit``: validation
            values are drawn at epochs ``validation_freq``, ``2 * validation_freq``, ...
            (at the first epochs where their count does not match). Epochs are
            numbered as the ``History`` logged them (``fit(initial_epoch=2)`` starts
            at 3); a dict's from 1.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: If matplotlib is not installed.
        TypeError: If ``history`` is neither a ``History`` nor a dict, or
            ``validation_freq`` is not an int.
        ValueError: If the history is empty or holds a value that is not a
            number, no metric is left to plot, a requested metric was not logged
            or has the ``val_`` prefix, or ``validation_freq`` < 1.

    Example:
        >>> import safeheads
        >>> logs = {"loss": [0.6, 0.4, 0.3], "val_loss": [0.62, 0.5, 0.55],
        ...         "accuracy": [0.7, 0.8, 0.9], "val_accuracy": [0.69, 0.78, 0.77]}
        >>> fig = safeheads.plot_history(logs)
        >>> [ax.get_title() for ax in fig.axes]
        ['loss (best validation: epoch 2)', 'accuracy (best validation: epoch 2)']
    """
    curves = _history_dict(history)
    every = check_int(validation_freq, "validation_freq", error=ValueError)
    names = [key for key in curves if not key.startswith("val_") and key != "learning_rate"]
    if isinstance(metrics, str):
        metrics = [metrics]
    if metrics is not None:
        prefixed = [name for name in metrics if name.startswith("val_")]
        if prefixed:
            raise ValueError(
                f"Expected `metrics` without the val_ prefix: each panel draws a quantity and "
                f"its val_ series. Received: {prefixed}. Pass "
                f"{[name[len('val_') :] for name in prefixed]}."
            )
        unknown = [name for name in metrics if name not in curves]
        if unknown:
            raise ValueError(
                f"Expected `metrics` among the logged names {names}. Received: unknown {unknown}. "
                "Pass names from that list, or leave `metrics` out for all of them."
            )
        names = list(metrics)
    elif "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    if not names:
        raise ValueError(
            f"Expected at least one training quantity to plot. Received: metrics="
            f"{None if metrics is None else list(metrics)} with logged names {list(curves)}. "
            + (
                "Pass the History of a fit() that ran at least one epoch."
                if metrics is None
                else "Leave `metrics` out to plot every logged quantity."
            )
        )
    fig = _figure("plot_history", 1.0, 1.0)  # fails with the hint without matplotlib
    from matplotlib.ticker import MaxNLocator

    columns = min(len(names), 3)
    rows = -(-len(names) // columns)
    fig.set_size_inches(4.2 * columns, 3.2 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    logged = getattr(history, "epoch", None)  # a History's 0-based epochs: initial_epoch on
    for ax, name in zip(axes, names, strict=False):
        train = curves[name]
        epochs = np.arange(1, len(train) + 1)
        if isinstance(logged, list) and len(logged) == len(train):
            epochs = np.asarray(logged, dtype=np.int64) + 1
        ax.plot(epochs, train, "-", marker=".", label="training")
        title = name
        validation = np.asarray(curves.get(f"val_{name}", []), dtype=float)
        if validation.size:
            at = epochs[epochs % every == 0]  # Keras validates after epochs k * freq
            if at.size != validation.size:  # e.g. a dict of fit(initial_epoch=...)
                at = epochs[: validation.size]
            ax.plot(at, validation, "--", marker=".", label="validation")
            if not np.isnan(validation).all():
                lower_is_better = any(part in name.lower() for part in _LOWER_IS_BETTER)
                pick = np.nanargmin if lower_is_better else np.nanargmax
                best = int(at[pick(validation)])
                ax.axvline(best, color="grey", linewidth=0.8, linestyle=":")
                title = f"{name} (best validation: epoch {best})"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(names) :]:
        fig.delaxes(ax)
    return fig


# ----------------------------------------------------------------------------- decisions


def _labels_1d(values: Any, name: str, named: bool) -> np.ndarray:
    """One class per sample; scores (fractions, without ``class_names``) are refused."""
    array = _array(values, name, "one class per sample, shape (N,)")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"Expected `{name}` to hold one class per sample, shape (N,). Received: shape "
            f"{array.shape}. Pass decisions, head.decode(model.predict(x)), not scores; for "
            "multilabel 0/1 matrices use safeheads.plot_label_f1."
        )
    if array.dtype.kind == "f" and np.isnan(array).any():
        missing = np.isnan(array)
        raise ValueError(
            f"Expected a class for every sample in `{name}`. Received: {name}"
            f"[{int(np.argmax(missing))}]=nan ({int(missing.sum())} of {array.size} values NaN). "
            "Drop or fix those samples; head.decode never returns NaN."
        )
    if array.dtype.kind == "f" and not named:
        fraction = array != np.round(array)
        if fraction.any():
            first = int(np.argmax(fraction))
            value = np.format_float_positional(array[first], trim="-")  # 0.2, not 0.200000003
            raise ValueError(
                f"Expected decided classes in `{name}`. Received: {name}[{first}]={value}, not "
                f"a whole number ({int(fraction.sum())} of {array.size} values): these look like "
                "scores. Pass head.decode(model.predict(x)), or pass class_names if the classes "
                "are such numbers."
            )
    return array


def _array(values: Any, name: str, expected: str) -> np.ndarray:
    """``values`` as an array; rows of different lengths (label lists) get a clear error."""
    try:
        return np.asarray(values)
    except ValueError:  # numpy: "inhomogeneous shape"
        raise ValueError(
            f"Expected `{name}` to hold {expected}. Received: rows of different lengths (label "
            "lists?). Encode label lists with head.encode(y) or safeheads.to_multi_hot(y, n)."
        ) from None


def _check_lengths(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(
            "Expected `y_true` and `y_pred` to have the same number of samples. Received: "
            f"{len(y_true)} and {len(y_pred)}. Pass the labels and the decisions of the same "
            "samples."
        )


#: From this largest id on, ids that are mostly unused (fewer than one in ten) are refused
#: by `plot_confusion`: an n x n matrix of sample ids or a continuous target.
_MAX_SPARSE_IDS = 1000


def plot_confusion(
    y_true: Any,
    y_pred: Any,
    *,
    class_names: Sequence[str | int] | None = None,
    normalize: bool = False,
) -> Figure:
    """Plot the confusion matrix of binary or multiclass decisions.

    Args:
        y_true: True class ids, shape ``(N,)``, or class names (integers are
            names when ``class_names`` are integers, as ``Head.encode`` reads them).
        y_pred: Decided class ids, e.g. ``head.decode(model.predict(x))``, or names
            (``head.decode(..., names=True)``).
        class_names: The classes in order; row and column ``i`` is ``class_names[i]``.
            Default: ``head.class_names`` style ids ``0..max``, or the sorted names.
        normalize: Show each row as shares of its true class (recall on the
            diagonal) instead of counts.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: If matplotlib is not installed.
        TypeError: If ``normalize`` is not a bool.
        ValueError: If the inputs are empty, not one class per sample, or NaN,
            their lengths differ, mix class ids with names, hold negative ids
            or ids of 1000 and more that are mostly unused (not class ids)
            without ``class_names``, or a class is not in ``class_names``, or
            ``class_names`` repeats a name.

    Example:
        >>> import safeheads
        >>> fig = safeheads.plot_confusion([0, 1, 2, 2], [0, 2, 2, 2], class_names=["a", "b", "c"])
        >>> fig.axes[0].get_title()
        'confusion matrix: accuracy 0.750 (3 of 4)'
    """
    true = _labels_1d(y_true, "y_true", class_names is not None)
    pred = _labels_1d(y_pred, "y_pred", class_names is not None)
    normalize = check_bool(normalize, "normalize")
    _check_lengths(true, pred)
    if not len(true):
        raise ValueError(
            "Expected at least one sample. Received: empty `y_true` and `y_pred`. Pass the "
            "labels and decisions of at least one sample."
        )
    if class_names is None:
        if true.dtype.kind in "iub" and pred.dtype.kind in "iub":
            if min(true.min(), pred.min()) < 0:
                label, array = ("y_true", true) if true.min() < 0 else ("y_pred", pred)
                at = int(np.argmax(array < 0))
                raise ValueError(
                    f"Expected class ids >= 0 in `{label}`. Received: {label}"
                    f"[{at}]={int(array[at])}. Pass class_names if the classes "
                    "are such numbers."
                )
            top = int(max(true.max(initial=0), pred.max(initial=0)))
            distinct = np.union1d(true, pred).size
            if top >= _MAX_SPARSE_IDS and top + 1 > 10 * distinct:  # no class ids 0..n-1
                label = "y_true" if true.max() == top else "y_pred"
                raise ValueError(
                    f"Expected class ids 0..n-1 (one row and column each). Received: {label} "
                    f"holds id {top} among {distinct} distinct values. Map the labels to "
                    "0..n-1, or pass class_names=sorted(set(y_true) | set(y_pred))."
                )
            names: list[str | int] = list(range(top + 1))
        else:
            found = {*true.tolist(), *pred.tolist()}
            numbers = all(isinstance(name, (int, float)) for name in found)
            if not numbers and any(isinstance(name, (int, float)) for name in found):
                raise ValueError(
                    "Expected class ids or class names, not both. Received: "
                    f"`y_true` of dtype {true.dtype} and `y_pred` of dtype {pred.dtype}. "
                    "Pass both as head.decode(...) gives them, or both with names=True."
                )
            names = sorted(found) if numbers else sorted(found, key=str)  # 2.0 before 10.0
    else:
        names = list(class_names)
        repeated = [name for i, name in enumerate(names) if name in names[:i]]
        if repeated:
            raise ValueError(
                f"Expected distinct `class_names`. Received: {names}, with {repeated[0]!r} "
                "more than once. Pass each class once, in the order of its id."
            )
    index = {name: i for i, name in enumerate(names)}
    ids = range(len(names))
    # Integers are ids, except with integer class names: then they are names, as
    # Head.encode reads them (1-based names [1, 2, 3] would otherwise mix with ids).
    int_names = all(isinstance(name, (int, np.integer)) for name in names)
    codes = []
    for array, label in ((true, "y_true"), (pred, "y_pred")):
        values = array.tolist()
        as_ids = array.dtype.kind in "iu" and class_names is not None and not int_names
        try:
            codes.append(np.asarray([v if as_ids and v in ids else index[v] for v in values]))
        except KeyError as error:
            if int_names:
                hint = " (integer class names: pass names, e.g. head.decode(..., names=True))"
            elif array.dtype.kind in "bf":
                hint = f" ({array.dtype} values: pass class ids as ints, or names)"
            elif array.dtype.kind in "iu":
                hint = " (add it to class_names, or pass the labels and decisions as names)"
            else:
                hint = " (add it to class_names)"
            raise ValueError(
                f"Expected every class in `{label}` to be one of class_names {names}. "
                f"Received: {error.args[0]!r}{hint}."
            ) from None
    n = len(names)
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (codes[0], codes[1]), 1)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix

    size = min(3.0 + 0.45 * n, 14.0)
    fig = _figure("plot_confusion", size + 1.2, size)
    ax = fig.add_subplot()
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    labels = [str(name) for name in names]
    ax.set_xticks(range(n), labels, rotation=90 if n > 6 else 0, fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        high = shown.max() / 2 if shown.size else 0
        for i in range(n):
            for j in range(n):
                text = f"{shown[i, j]:.2f}" if normalize else str(matrix[i, j])
                color = "white" if shown[i, j] > high else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)
    correct = int(np.trace(matrix))
    total = int(matrix.sum())
    ax.set_title(f"confusion matrix: accuracy {correct / max(total, 1):.3f} ({correct} of {total})")
    return fig


def plot_label_f1(
    y_true: Any,
    y_pred: Any,
    *,
    class_names: Sequence[str | int] | None = None,
    top: int | None = None,
) -> Figure:
    """Plot the F1 score of each label of a multilabel head, with its support.

    Bars are sorted by support (the number of true positives in ``y_true``), so
    rare labels, where a multilabel head usually fails, are at the bottom. The
    title gives micro- and macro-F1 (a label with no positives and no
    predictions counts as 0, as scikit-learn's ``zero_division=0``).

    Args:
        y_true: True 0/1 matrix, shape ``(N, n)`` (``head.encode(label_lists)``).
        y_pred: Decided 0/1 matrix of the same shape: ``head.decode(model.predict(x))``.
        class_names: Names of the ``n`` labels (default ``0..n-1``).
        top: Show only the ``top`` most frequent labels (the title still counts all).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: If matplotlib is not installed.
        TypeError: If ``top`` is not an int.
        ValueError: If the inputs are not 0/1 matrices of one shape (label
            lists included) or have no sample or no label, ``class_names`` has the
            wrong length, or ``top`` < 1.

    Example:
        >>> import numpy as np, safeheads
        >>> y = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]])
        >>> fig = safeheads.plot_label_f1(y, np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]]))
        >>> fig.axes[0].get_title()
        'per-label F1: micro 0.800, macro 0.667 (3 labels)'
    """
    true = _array(y_true, "y_true", "a 0/1 matrix (N, n)")
    pred = _array(y_pred, "y_pred", "a 0/1 matrix (N, n)")
    if true.ndim != 2 or true.shape != pred.shape:
        raise ValueError(
            "Expected `y_true` and `y_pred` to be 0/1 matrices of one shape (N, n). Received: "
            f"shapes {true.shape} and {pred.shape}. Pass multi-hot labels and "
            "head.decode(scores) of the same samples."
        )
    if not true.size:
        raise ValueError(
            f"Expected at least one sample and one label. Received: shape {true.shape}. Pass "
            "the multi-hot labels of at least one sample."
        )
    for array, label in ((true, "y_true"), (pred, "y_pred")):
        bad = ~np.isin(array, (0, 1))
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"Expected `{label}` to hold only 0 and 1. Received: {label}[{row}, {column}]="
                f"{array[row, column]!r}. Pass decisions (head.decode), not scores."
            )
    if top is not None:
        top = check_int(top, "top", error=ValueError)
    n = true.shape[1]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(
            f"Expected {n} `class_names`, one per label. Received: {len(names)} names. Pass "
            f"{n} names, the name of label i at position i."
        )
    true, pred = true.astype(bool), pred.astype(bool)
    tp = (true & pred).sum(axis=0)
    fp = (~true & pred).sum(axis=0)
    fn = (true & ~pred).sum(axis=0)
    denominator = 2 * tp + fp + fn
    f1 = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
    micro = 2 * tp.sum() / max(int(denominator.sum()), 1)
    support = true.sum(axis=0)
    order = np.argsort(-support, kind="stable")[: top if top is not None else n]

    fig = _figure("plot_label_f1", 7.0, 1.2 + 0.22 * len(order))
    ax = fig.add_subplot()
    positions = np.arange(len(order))
    ax.barh(positions, f1[order], color="tab:blue")
    ax.set_yticks(positions, [f"{names[i]} ({support[i]})" for i in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (label support in brackets)")
    ax.axvline(micro, color="tab:orange", linestyle="--", linewidth=1, label="micro-F1")
    ax.axvline(f1.mean(), color="tab:green", linestyle=":", linewidth=1, label="macro-F1")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"per-label F1: micro {micro:.3f}, macro {f1.mean():.3f} ({n} labels)")
    return fig
