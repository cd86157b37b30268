"""Recognise, validate and convert label arrays.

Label formats
-------------
Every label array safeheads accepts has one of these named formats:

``"binary-column"``
    One value per sample, each 0 or 1 (ints, bools, or floats equal to 0.0/1.0),
    shape ``(N,)`` or ``(N, 1)``. Task ``"binary"``, ``n == 2``.
``"sparse"``
    One integer class id per sample in ``[0, n)``, shape ``(N,)`` or ``(N, 1)``,
    with at least one id above 1. Task ``"multiclass"``, ``n = max(y) + 1``.
``"one-hot"``
    A 0/1 matrix of shape ``(N, n)``, ``n >= 2``, in which every row holds exactly
    one 1. Task ``"multiclass"``.
``"multi-hot"``
    A 0/1 matrix of shape ``(N, n)``, ``n >= 2``, in which at least one row holds
    no 1 or several. Task ``"multilabel"``.
``"class-names"``
    One class name (a string) per sample, shape ``(N,)``. Task ``"binary"`` for
    two distinct names, ``"multiclass"`` otherwise; the class ids are the
    positions of the names in sorted order.
``"label-lists"``
    One list (or tuple, set, array) of labels per sample, each a class id or a
    class name, lists of any length including 0. Task ``"multilabel"``.

One-hot and multi-hot are told apart by row sums (scikit-learn's
``type_of_target`` calls both ``"multilabel-indicator"``). A 0/1 matrix whose
rows all hold one label is read as one-hot; a multilabel head still accepts it.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from safeheads._messages import check_int, describe_value, is_number
from safeheads._tasks import Task
from safeheads.errors import LabelFormatError, SafeheadsWarning

__all__ = [
    "FORMATS",
    "LabelInfo",
    "describe_labels",
    "encode_labels",
    "native_items",
    "parse_labels",
    "tensor_to_numpy",
    "to_categorical",
    "to_multi_hot",
    "to_sparse",
    "warn_empty_classes",
]

FORMATS = ("binary-column", "sparse", "one-hot", "multi-hot", "class-names", "label-lists")
"""The label formats safeheads recognises, the values of `LabelInfo.format` (see
`describe_labels` and docs/labels.md)."""

_LIST_TYPES = (list, tuple, set, frozenset, np.ndarray)
#: Rows read as they are; any other row (a tensor) is converted to numpy first.
_PLAIN_ROWS = (*_LIST_TYPES, str, bytes, int, float, bool, np.generic)


@dataclasses.dataclass(frozen=True)
class LabelInfo:
    """What a label array is: its task, format, number of classes and class names.

    Attributes:
        task: The task the labels describe (``Task.BINARY``, ``MULTICLASS`` or
            ``MULTILABEL``; compares equal to the plain string).
        format: One of ``safeheads.FORMATS`` (see `describe_labels`).
        n: Number of classes (2 for binary) or labels, as ``Head.n``.
        n_samples: Number of samples.
        class_names: The sorted class names for ``"class-names"`` and
            ``"label-lists"`` of names, else ``None``.

    Example:
        >>> import safeheads
        >>> info = safeheads.describe_labels([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
        >>> (info.task, info.format, info.n, info.n_samples)
        (<Task.MULTICLASS: 'multiclass'>, 'one-hot', 3, 3)
    """

    task: Task
    format: str
    n: int
    n_samples: int
    class_names: tuple[Hashable, ...] | None = None


@dataclasses.dataclass(frozen=True)
class _Parsed:
    """A validated label array with its format and its values in a canonical form.

    ``values`` is: int64 ids of shape (N,) for binary-column, sparse and
    class-names (ids into ``class_names``); a (N, n) 0/1 array for one-hot and
    multi-hot; flat int64 ids for label-lists, split by ``lengths``.
    """

    format: str
    task: Task
    n: int
    n_samples: int
    values: np.ndarray
    class_names: tuple[Hashable, ...] | None = None
    lengths: np.ndarray | None = None


# ----------------------------------------------------------------------------- errors


def _position(index: tuple[int, ...] | int) -> str:
    if isinstance(index, tuple):
        return "y[" + ", ".join(str(int(i)) for i in index) + "]"
    return f"y[{int(index)}]"


def _value(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _first_bad(bad: np.ndarray, array: np.ndarray) -> tuple[str, int]:
    """Position text 'y[i]=v' of the first True in ``bad`` and how many are True."""
    flat = np.flatnonzero(bad)
    index = np.unravel_index(flat[0], bad.shape)
    position = _position(tuple(int(i) for i in index) if bad.ndim > 1 else int(index[0]))
    return f"{position}={_value(array[index])}", int(flat.size)


_INT64_MAX = int(np.iinfo(np.int64).max)
#: The most class ids a conversion lays out one entry (a weight, a one-hot column) for
#: when it takes the count from the labels: ids beyond are not class ids.
MAX_CLASSES = 2**24


def _raise(what: str, bad: np.ndarray, array: np.ndarray, noun: str, fix: str) -> None:
    where, count = _first_bad(bad, array)
    raise LabelFormatError(
        f"Expected {what}. Received: {where} ({count} of {bad.size} {noun}). {fix}"
    )


def check_named_classes(parsed: _Parsed, what: str, fix: str) -> None:
    """Refuse class names of a single class: nothing to tell apart (or weigh) there."""
    names = parsed.class_names
    if names is not None and len(names) < 2:
        raise LabelFormatError(
            f"Expected labels of at least 2 classes {what}. Received: one class name "
            f"{list(names)} in {parsed.n_samples} samples. {fix}"
        )


def check_class_count(parsed: _Parsed, caller: str, why: str) -> None:
    """Refuse labels whose largest id makes ``n`` larger than `MAX_CLASSES`."""
    if parsed.n > MAX_CLASSES:
        raise LabelFormatError(
            f"Expected class ids below {MAX_CLASSES} for {caller}: it {why}. Received: ids "
            f"up to {parsed.n - 1} in {parsed.n_samples} samples. Map the labels to 0..n-1 "
            "first, e.g. with safeheads.LabelMap."
        )


def check_width(value: object, name: str) -> int:
    """Validate a number of columns to lay out: an int in [1, `MAX_CLASSES`]."""
    width = check_int(value, name, maximum=MAX_CLASSES, error=LabelFormatError)
    if width > MAX_CLASSES:
        raise LabelFormatError(
            f"Expected `{name}` <= {MAX_CLASSES}, a number of classes (one column each). "
            f"Received: {name}={width}. Map the labels to 0..n-1 first, e.g. with "
            "safeheads.LabelMap."
        )
    return width


# ----------------------------------------------------------------------------- parsing


def _to_numpy(y: Any) -> Any:
    """Tensors of every Keras backend to numpy; everything else unchanged.

    TensorFlow tensors have ``.numpy()``; a PyTorch tensor may need its gradient
    detached and a move off the GPU first; JAX arrays go through ``np.asarray``.
    """
    if type(y).__name__ in {"RaggedTensor", "SparseTensor"}:
        raise LabelFormatError(
            f"Expected a dense label array. Received: a {type(y).__name__}. "
            "For lists of labels per sample pass y.to_list(); for a sparse indicator "
            "matrix pass tf.sparse.to_dense(y)."
        )
    if type(y).__module__.startswith("scipy.sparse"):
        raise LabelFormatError(
            f"Expected a dense label array. Received: a scipy.sparse {type(y).__name__} of shape "
            f"{tuple(y.shape)}. For a sparse indicator matrix pass y.toarray()."
        )
    return tensor_to_numpy(y)


def tensor_to_numpy(y: Any) -> Any:
    """A TensorFlow, PyTorch (detached, off the GPU) or JAX array as numpy; else ``y``."""
    if isinstance(y, np.ndarray):
        return y
    if hasattr(y, "detach") and hasattr(y, "cpu"):  # torch.Tensor
        y = y.detach().cpu()
        if str(getattr(y, "dtype", "")) == "torch.bfloat16":  # numpy has no bfloat16
            y = y.float()  # exact
    if hasattr(y, "numpy") and hasattr(y, "shape"):
        return np.asarray(y.numpy())
    if type(y).__module__.startswith(("jax", "jaxlib")) and hasattr(y, "__array__"):
        return np.asarray(y)  # a jax.Array has no .numpy()
    return y


def _is_0d(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 0


def native_items(items: Iterable[Any]) -> list[Any]:
    """``items`` (labels, or rows of labels) with tensors as numpy and 0-d arrays as scalars."""
    converted = [_to_numpy(item) for item in items]
    return [item[()] if _is_0d(item) else item for item in converted]


def _has_tensor_items(y: Sequence[Any]) -> bool:
    """Whether a list of labels (or of rows) holds a tensor or a 0-d array anywhere."""
    kinds = set(map(type, y))
    if any(not issubclass(kind, _PLAIN_ROWS) for kind in kinds):
        return True
    return np.ndarray in kinds and any(_is_0d(item) for item in y if type(item) is np.ndarray)


def _is_label_lists(y: Any) -> bool:
    if isinstance(y, np.ndarray):
        return y.dtype == object and y.ndim == 1 and y.size > 0 and isinstance(y[0], _LIST_TYPES)
    if isinstance(y, (list, tuple)) and len(y) > 0:
        first = y[0]
        if isinstance(first, (set, frozenset)):
            return True
        if isinstance(first, (list, tuple, np.ndarray)):
            length = len(first)
            return length == 0 or any(
                not isinstance(row, (list, tuple, np.ndarray)) or len(row) != length for row in y
            )
    return False


def _refuse_non_labels(y: Any) -> None:
    """None, a dict of outputs' labels, or a dataset of batches: not one label array."""
    expected = "Expected labels of shape (N,), (N, 1) or (N, n)"
    if isinstance(y, (np.ndarray, list, tuple)):
        return
    if y is None:
        raise LabelFormatError(f"{expected}. Received: None. Pass the labels, e.g. y_train.")
    if isinstance(y, Mapping):
        raise LabelFormatError(
            f"{expected}. Received: a dict with keys {list(y)[:5]}. Pass one output's labels, "
            "y[key]; safeheads.check(model, y) reads labels keyed by output name."
        )
    tf_data = hasattr(y, "element_spec") or type(y).__module__.startswith("tensorflow.python.data")
    if tf_data or any(
        cls.__name__ in ("PyDataset", "DataLoader", "Dataset") for cls in type(y).__mro__
    ):
        what = type(y).__name__
        if tf_data:
            what = "tf.data iterator" if isinstance(y, Iterator) else "tf.data.Dataset"
        raise LabelFormatError(
            f"{expected}. Received: a {what} of batches, not an array of labels. Pass the "
            "labels themselves (for (x, y) batches: np.concatenate([y for _, y in dataset])), "
            "or let model.fit(..., callbacks=[safeheads.HeadGuard()]) check its first batch."
        )


def _has_bool(y: Sequence[Any]) -> bool:
    """Whether a list of labels, or of rows of labels, holds a bool (one pass of types)."""
    kinds = set(map(type, y))
    if kinds & {list, tuple}:
        rows = (row for row in y if isinstance(row, (list, tuple)))
        kinds |= set(map(type, itertools.chain.from_iterable(rows)))
    return bool(kinds & {bool, np.bool_})


def _refuse_mixed_rows(cells: np.ndarray) -> None:
    """Rows of equal length (a 2-D object array) must hold labels of one type."""
    if set(map(type, cells.ravel().tolist())) <= {str}:
        return  # the usual case, names only: no per-cell kinds
    kinds = np.vectorize(_object_kind, otypes=[object])(cells)
    bad = kinds != kinds.flat[0]
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise LabelFormatError(
            f"Expected labels of one type. Received: y[0][0]={_value(cells[0, 0])} is "
            f"{kinds[0, 0]} but y[{i}][{j}]={_value(cells[i, j])} is {kinds[i, j]} "
            f"({int(bad.sum())} of {cells.size} values differ). Convert all labels to ints, "
            "or all to strings."
        )


#: The fix for equal-length rows of label ids read as a matrix; a head with int class
#: names other than 0..n-1 gives the map of its names instead.
_LISTS_FIX = "class ids, use safeheads.to_multi_hot(y, n)"
_NAMED_LISTS_FIX = "class names, use safeheads.LabelMap(head.class_names).to_multi_hot(y)"


def parse_labels(y: Any, *, lists_fix: str = _LISTS_FIX) -> _Parsed:
    """Sniff the format of ``y`` and validate it in one vectorised pass.

    ``lists_fix`` is the hint for equal-length rows of ints that are no 0/1 matrix
    (default: rows of class ids; a head with int names gives the map of its names).
    """
    y = _to_numpy(y)
    _refuse_non_labels(y)
    if isinstance(y, (set, frozenset, Iterator)):
        raise LabelFormatError(
            "Expected labels in sample order: an array or a list. Received: a "
            f"{type(y).__name__}. "
            + (
                "A set has no order; pass a list."
                if isinstance(y, (set, frozenset))
                else "Pass list(y)."
            )
        )
    if not isinstance(y, (list, tuple, np.ndarray)) and hasattr(y, "__array__"):
        y = np.asarray(y)  # e.g. a pandas Series, whose items may be label lists
    elif isinstance(y, (list, tuple)) and _has_tensor_items(y):
        y = native_items(y)  # rows given as tensors; scalars unwrapped
    if _is_label_lists(y):
        return _parse_label_lists(y)
    try:
        array = np.asarray(y)
    except ValueError:  # e.g. rows that mix labels and lists: no array shape
        raise LabelFormatError(
            "Expected labels of shape (N,), (N, 1) or (N, n), or one list of labels per "
            "sample. Received: rows that numpy cannot stack into one array, y[0]="
            f"{describe_value(y[0])}. Give every sample one label, or every sample a list "
            "of labels."
        ) from None
    if array.dtype.kind == "U" and not isinstance(y, np.ndarray) and array.ndim == 1:
        # numpy turns [1, "a"] into strings: keep the original objects to catch the mix
        array = np.empty(len(y), dtype=object)
        array[:] = list(y)
    elif array.dtype.kind == "U" and not isinstance(y, np.ndarray) and array.ndim == 2:
        _refuse_mixed_rows(np.array(y, dtype=object))  # the same for [["a"], [1]]
    elif array.dtype.kind in "iuf" and isinstance(y, (list, tuple)) and _has_bool(y):
        # numpy reads [True, 2] as [1, 2]: refuse the mix, as in an object array
        cells = np.array(y, dtype=object)
        if cells.ndim == 1:
            _column_kind(cells)
        elif cells.ndim == 2:
            _refuse_mixed_rows(cells)
    if array.dtype.kind == "V" and array.dtype.name.startswith(("bfloat16", "float8")):
        array = array.astype(np.float32)  # ml_dtypes floats (TensorFlow, JAX): exact
    if array.size == 0:
        raise LabelFormatError(
            f"Expected at least one label. Received: an empty array of shape {array.shape}. "
            "Pass the labels of at least one sample."
        )
    if array.ndim == 0:
        raise LabelFormatError(
            f"Expected labels of shape (N,), (N, 1) or (N, n). Received: a scalar "
            f"y={_value(array[()])}. Wrap it in a list: [y]."
        )
    if array.ndim > 2:
        raise LabelFormatError(
            f"Expected labels of shape (N,), (N, 1) or (N, n). Received: shape {array.shape} "
            f"(rank {array.ndim}). Per-timestep or per-pixel labels are not classification "
            "head labels; flatten them with y.reshape(-1, y.shape[-1]) if that is what you mean."
        )
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 1:
        return _parse_column(array)
    if array.dtype.kind in "US" or (
        array.dtype.kind == "O" and isinstance(array.flat[0], (str, bytes))
    ):  # names are never 0/1 cells: rows of equal length, each a list of labels
        return _parse_label_lists(array.tolist())
    return _parse_matrix(array, lists_fix)


def _utf8_error(value: Any, where: str) -> LabelFormatError:
    return LabelFormatError(
        f"Expected class names as str or UTF-8 bytes. Received: {where}={value!r}. Decode "
        "them first, e.g. name.decode('latin-1')."
    )


def _first_non_utf8(items: Iterable[Any]) -> tuple[int, bytes]:
    """The position and value of the first bytes label that is not UTF-8 (there is one)."""
    for k, value in enumerate(items):
        if isinstance(value, bytes):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return k, value
    raise AssertionError("no bytes label that is not UTF-8")  # pragma: no cover


def _column_kind(array: np.ndarray) -> tuple[str, np.ndarray]:
    """Return ("names" | "numbers", array) for a 1-D array, refusing mixed objects."""
    if array.dtype.kind == "S":  # bytes, as numpy keeps them: read as UTF-8 names
        array = array.astype(object)
    if array.dtype.kind == "U":
        return "names", array
    if array.dtype.kind != "O":
        return "numbers", array
    kinds = np.array([_object_kind(v) for v in array.tolist()])
    bad = kinds != kinds[0]
    if bad.any():
        where, count = _first_bad(bad, array)
        raise LabelFormatError(
            f"Expected labels of one type. Received: y[0]={_value(array[0])} is {kinds[0]} but "
            f"{where} is {_object_kind(array[np.flatnonzero(bad)[0]])} ({count} of "
            f"{array.size} values differ). Convert all labels to ints, or all to strings."
        )
    if kinds[0] == "bytes":  # string tensors and numpy "S" arrays: UTF-8, as LabelMap reads them
        try:
            array = np.array([value.decode("utf-8") for value in array.tolist()], dtype=object)
        except UnicodeDecodeError:
            at, raw = _first_non_utf8(array.tolist())
            raise _utf8_error(raw, f"y[{at}]") from None
        kinds = np.full(kinds.shape, "str")
    if kinds[0] == "str":
        if "\x00" in "".join(array.tolist()):  # numpy strings would drop trailing NULs
            return "names", array  # Python strings: np.unique sorts them exactly
        return "names", array.astype(str)
    if kinds[0] == "other":
        raise LabelFormatError(
            f"Expected class ids (ints) or class names (strings). Received: y[0]="
            f"{describe_value(array[0])}. Map your labels to ints or strings first."
        )
    numbers = np.asarray(array.tolist())
    if numbers.dtype == object:  # Python ints beyond int64
        _raise(
            "class ids that fit in int64",
            np.array([abs(value) > _INT64_MAX for value in array.tolist()]),
            array,
            "values too large",
            "These are not class ids; fix those samples, or map the labels to 0..n-1.",
        )
    return "numbers", numbers


def _object_kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes):
        return "bytes"
    return "other"


def _check_unsigned(array: np.ndarray, top: int) -> None:
    """Refuse unsigned ids that int64 cannot hold (``top`` is their maximum): the cast
    would wrap them to negative ids, e.g. a -1 stored as uint64."""
    if top > _INT64_MAX:
        _raise(
            "class ids below 2**63",
            array > _INT64_MAX,
            array,
            "values too large",
            "These are not class ids (a -1 stored as an unsigned int?); fix those "
            "samples, or map the labels to 0..n-1.",
        )


def _check_numeric_values(array: np.ndarray) -> np.ndarray:
    """Finite, integral, non-negative class ids as int64 (any shape)."""
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.int64)
    if kind == "u" and array.size:
        _check_unsigned(array, int(array.max()))
    if kind not in "iuf":
        raise LabelFormatError(
            f"Expected numeric labels or class names. Received: dtype {array.dtype}. "
            "Convert the labels to ints or strings."
        )
    if kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            _raise(
                "finite labels",
                ~finite,
                array,
                "values NaN or inf",
                "Drop or fix those samples before training; a NaN label gives a NaN loss.",
            )
        rounded = np.round(array)
        integral = rounded == array
        if not integral.all():
            _raise_non_integral(array, integral)
        array = rounded
        # beyond exact float integers the int cast would wrap (float16 cannot get there)
        huge = np.abs(array.astype(np.float64, copy=False)) >= 2.0**53
        if huge.any():
            _raise(
                "class ids below 2**53",
                huge,
                array,
                "values too large",
                "These are not class ids; fix those samples, or map the labels to 0..n-1.",
            )
    if array.min() < 0:
        negative = array < 0
        values = set(np.unique(array).tolist())
        fix = (
            "Labels are -1/+1: use (y > 0).astype(int) for a 0/1 column."
            if values <= {-1, 1}
            else "Negative ids would wrap to the last class in keras.utils.to_categorical; "
            "remove or relabel them."
        )
        _raise("class ids >= 0", negative, array, "values negative", fix)
    return array.astype(np.int64, copy=False)


def _raise_non_integral(array: np.ndarray, integral: np.ndarray) -> None:
    within_unit = bool(array.min() >= 0 and array.max() <= 1)
    if array.ndim == 2 and within_unit and np.allclose(array.sum(axis=1), 1.0):
        fix = (
            "These look like soft labels or predicted probabilities (rows sum to 1): pass "
            "hard labels; for soft targets use the loss's label_smoothing instead."
        )
    elif within_unit:
        fix = (
            "These look like probabilities or scores, not labels: threshold them, e.g. "
            "(y > 0.5).astype(int), if that is what you mean."
        )
    else:
        fix = (
            "These look like a continuous (regression) target, not class labels; "
            "use a regression head, or bin the values into classes first."
        )
    _raise("integral class labels", ~integral, array, "values not integral", fix)


def _parse_column(array: np.ndarray) -> _Parsed:
    kind, array = _column_kind(array)
    if kind == "names":
        names, ids = np.unique(array, return_inverse=True)
        class_names = tuple(names.tolist())
        task = Task.BINARY if len(class_names) == 2 else Task.MULTICLASS
        return _Parsed(
            "class-names",
            task,
            max(len(class_names), 2),
            array.size,
            ids.astype(np.int64),
            class_names,
        )
    top = _nonnegative_max(array)  # one pass over int labels: sign check and max together
    if top is not None:
        _check_unsigned(array, top)
        ids = array.astype(np.int64, copy=False)
    else:
        ids = _check_numeric_values(array)  # floats and bools; raises for negative ids
        top = int(ids.max())
    if top <= 1:
        return _Parsed("binary-column", Task.BINARY, 2, ids.size, ids)
    return _Parsed("sparse", Task.MULTICLASS, top + 1, ids.size, ids)


def _nonnegative_max(array: np.ndarray) -> int | None:
    """``max(array)`` for int arrays without negative values, in one pass; else ``None``.

    Signed ints are read as unsigned of the same width: a negative value becomes
    ``>= 2**(bits - 1)``, so the unsigned maximum tells both the sign and the max.
    """
    if array.dtype.kind == "u":
        return int(array.max())
    if array.dtype.kind != "i":
        return None
    top = int(array.view(array.dtype.str.replace("i", "u")).max())
    return None if top >= 2 ** (8 * array.dtype.itemsize - 1) else top


def _parse_matrix(array: np.ndarray, lists_fix: str = _LISTS_FIX) -> _Parsed:
    if array.dtype.kind in "USV":
        raise LabelFormatError(
            f"Expected a numeric 0/1 matrix. Received: dtype {array.dtype} with shape "
            f"{array.shape}, y[0, 0]={describe_value(array.flat[0].item())}. Convert the cells to "
            "ints, e.g. y.astype(int)."
        )
    if array.dtype.kind == "b":
        cells = array.view(np.uint8)
    else:
        if array.dtype.kind == "O":  # matrices of names were read as label lists
            odd = [
                i
                for i, cell in enumerate(array.flat)
                if not (is_number(cell) or isinstance(cell, (bool, np.bool_)))
            ]
            if odd:
                row, column = divmod(odd[0], array.shape[1])
                raise LabelFormatError(
                    f"Expected a numeric 0/1 matrix or class names. Received: y[{row}, "
                    f"{column}]={describe_value(array[row, column])} in a matrix of dtype "
                    f"object with shape {array.shape}. Convert the labels to ints, or the "
                    "names to strings."
                )
            array = array.astype(np.float64)  # numbers held as objects
        if array.dtype.kind == "f":
            finite = np.isfinite(array)
            if not finite.all():
                _raise(
                    "finite labels",
                    ~finite,
                    array,
                    "values NaN or inf",
                    "Drop or fix those samples before training; a NaN label gives a NaN loss.",
                )
        cells = array
        if not (cells.min() >= 0 and cells.max() <= 1 and _all_binary(cells)):
            binary = (cells == 0) | (cells == 1)
            if array.dtype.kind == "f" and array.min() >= 0 and array.max() <= 1:
                _raise_non_integral(array, binary)
            _raise(
                "0/1 cells in a one-hot or multi-hot matrix",
                ~binary,
                array,
                "cells not 0 or 1",
                f"If each row lists {lists_fix}; for one class id per sample pass a 1-D array.",
            )
    sums = cells.sum(axis=1, dtype=np.int64)
    n = array.shape[1]
    if (sums == 1).all():
        return _Parsed("one-hot", Task.MULTICLASS, n, array.shape[0], cells)
    return _Parsed("multi-hot", Task.MULTILABEL, n, array.shape[0], cells)


def _all_binary(cells: np.ndarray) -> bool:
    if cells.dtype.kind in "iu":
        return True  # min >= 0 and max <= 1 already checked
    return bool(np.array_equal(cells, cells.astype(bool)))


def _parse_label_lists(rows: Sequence[Any]) -> _Parsed:
    for i, row in enumerate(rows):
        if not isinstance(row, _LIST_TYPES):
            raise LabelFormatError(
                f"Expected one list of labels per sample. Received: y[{i}]={_value(row)} "
                f"while y[0] is a {type(rows[0]).__name__}. Wrap single labels in a list, "
                "e.g. [3] or [] for no label."
            )
    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    flat = list(itertools.chain.from_iterable(rows))
    if not flat:
        raise LabelFormatError(
            f"Expected at least one label in some sample. Received: {len(rows)} empty label "
            "lists. Pass n to safeheads.to_multi_hot(y, n) to build an all-zero matrix."
        )
    try:
        array = np.asarray(flat)
    except ValueError:  # rows nested unevenly: no array shape
        array = None
    if array is None or array.ndim != 1:
        if any(isinstance(value, (list, np.ndarray)) for value in flat):
            raise _nested_error(flat, lengths)
        array = np.empty(len(flat), dtype=object)  # e.g. tuples: judged as labels below
        array[:] = flat
    # names, a mix that numpy would turn into strings, or bools it would read as ids
    if array.dtype.kind in "USO" or _has_bool(flat):
        array = np.empty(len(flat), dtype=object)
        array[:] = flat
    try:
        kind, values = _column_kind(array)
        if values.dtype.kind == "b":
            raise LabelFormatError(
                f"Expected class ids or names in label lists. Received: y[0]={_value(values[0])} "
                "is a bool. Rows of True/False are a multi-hot matrix: pass them as one "
                "2-D array of shape (N, n)."
            )
        if kind == "names":
            names, ids = np.unique(values, return_inverse=True)
            return _Parsed(
                "label-lists",
                Task.MULTILABEL,
                max(len(names), 2),
                len(rows),
                ids.astype(np.int64),
                tuple(names.tolist()),
                lengths,
            )
        ids = _check_numeric_values(values)
    except LabelFormatError as err:
        raise LabelFormatError(_in_lists(str(err), lengths)) from None
    return _Parsed(
        "label-lists", Task.MULTILABEL, max(int(ids.max()) + 1, 2), len(rows), ids, None, lengths
    )


def _nested_error(flat: list[Any], lengths: np.ndarray) -> LabelFormatError:
    """The error for a list (or array) inside a sample's list of labels."""
    first = next((i for i, v in enumerate(flat) if not np.isscalar(v) and not _is_0d(v)), 0)
    received = _in_lists(f"y[{first}]=" + describe_value(flat[first]), lengths)
    return LabelFormatError(
        f"Expected labels (ids or names) in each sample's list. Received: {received}, a "
        "list inside the list. Give each sample one flat list of its labels, e.g. [0, 1], "
        "not [[0], [1]] or [[0, 1]]."
    )


def unordered_error(y: Any, expected: str) -> LabelFormatError:
    """The error for label lists given as a set or a dict, which have no sample order."""
    if isinstance(y, Mapping):
        return LabelFormatError(
            f"{expected} Received: a dict with keys {list(y)[:5]}. Pass one output's labels, "
            "y[key]."
        )
    return LabelFormatError(
        f"{expected} Received: a {type(y).__name__} of {len(y)} rows, which has no order: "
        "the rows would not line up with the samples. Pass a list."
    )


def _in_lists(message: str, lengths: np.ndarray) -> str:
    """Rewrite 'y[k]' positions of the flattened labels as 'y[i][j]'."""
    import re

    ends = np.cumsum(lengths)

    def nested(match: re.Match[str]) -> str:
        k = int(match.group(1))
        i = int(np.searchsorted(ends, k, side="right"))
        j = k - (int(ends[i - 1]) if i else 0)
        return f"y[{i}][{j}]"

    return re.sub(r"y\[(\d+)\]", nested, message).replace(" values ", " labels ")


# ----------------------------------------------------------------------------- describe


def describe_labels(y: Any) -> LabelInfo:
    """Recognise the format of a label array, validate it, and describe it.

    The formats are defined once, in ``safeheads._labels``' module docstring and
    in the label formats guide: ``"binary-column"``, ``"sparse"``, ``"one-hot"``,
    ``"multi-hot"``, ``"class-names"`` and ``"label-lists"``.

    Args:
        y: Labels: a numpy array, list, tuple or tensor of shape ``(N,)``,
            ``(N, 1)`` or ``(N, n)``, or a sequence of label lists.

    Returns:
        A frozen `LabelInfo`.

    Raises:
        LabelFormatError: For empty input, rank > 2, NaN/inf, non-integral or
            continuous values, soft labels, negative ids, cells other than 0/1,
            mixed types, or ragged tensors, naming the first bad position; and
            for class names (or lists of them) that hold a single name.

    Warns:
        SafeheadsWarning: For a class or label with no examples, a binary column
            holding a single value, or more than half the samples carrying a class
            no other sample has (ids or a regression target?).

    Example:
        >>> import safeheads
        >>> safeheads.describe_labels([0, 2, 1, 2])
        LabelInfo(task=<Task.MULTICLASS: 'multiclass'>, format='sparse', n=3, n_samples=4, class_names=None)
        >>> safeheads.describe_labels([["sports", "politics"], [], ["sports"]]).class_names
        ('politics', 'sports')
    """
    parsed = parse_labels(y)
    # A single name leaves the second class (or label) without a name, and n unknown.
    check_named_classes(
        parsed,
        "to describe them",
        "Pass labels that hold every class: a single name does not say what the other classes are.",
    )
    _warn_suspicious(parsed)
    return LabelInfo(parsed.task, parsed.format, parsed.n, parsed.n_samples, parsed.class_names)


def _warn_suspicious(parsed: _Parsed) -> None:
    """Warn once for the first suspicious-but-legal property found."""
    message = _suspicious(parsed)
    if message:
        warnings.warn(message, SafeheadsWarning, stacklevel=3)


def _present_counts(parsed: _Parsed) -> tuple[np.ndarray, np.ndarray]:
    """The class (or label) ids that occur, sorted, and how often each occurs."""
    if parsed.format in ("one-hot", "multi-hot"):
        counts = parsed.values.sum(axis=0, dtype=np.int64)
    elif parsed.n > 2 * parsed.n_samples + 1024:
        # Far-apart ids (e.g. [0, 7, 2**62]): count only the ids present, never n bins.
        present, present_counts = np.unique(parsed.values, return_counts=True)
        return present, present_counts
    else:
        counts = np.bincount(parsed.values, minlength=parsed.n)
    present = np.flatnonzero(counts)
    return present, counts[present]


def _every_class_in_prefix(parsed: _Parsed) -> bool:
    """Whether a prefix of the ids already holds every class, so that nothing can warn.

    Singletons can outnumber half the samples only if n > N / 2; otherwise, with every
    class present, no warning applies and the full count (a pass over all labels) is
    skipped. Only ids (binary column, sparse, class names, label lists) qualify.
    """
    if parsed.format in ("one-hot", "multi-hot"):
        return False
    if parsed.format != "label-lists" and parsed.n * 2 > parsed.n_samples:
        return False
    head = parsed.values[: max(64 * parsed.n, 1 << 16)]
    if head.size >= parsed.values.size:
        return False
    return bool(np.bincount(head, minlength=parsed.n).all())


def _suspicious(parsed: _Parsed) -> str | None:
    if _every_class_in_prefix(parsed):
        return None
    present, counts = _present_counts(parsed)
    if parsed.format == "binary-column":
        if present.size == 1:
            return (
                f"Binary labels hold a single value ({int(present[0])}) in all "
                f"{parsed.n_samples} samples: the model cannot learn the other class from them."
            )
        return None
    if parsed.format in ("sparse", "class-names"):
        singletons = int((counts == 1).sum())
        if singletons * 2 > parsed.n_samples:
            return (
                f"{singletons} of {parsed.n_samples} samples have a class that no other sample "
                "has: are these ids or a continuous target rather than class labels?"
            )
    return _empty_classes(parsed, present)


def warn_empty_classes(parsed: _Parsed) -> None:
    """Warn when some of the ``n`` classes (labels) have no example (1-based or far-apart ids)."""
    if _every_class_in_prefix(parsed):
        return
    message = _empty_classes(parsed, _present_counts(parsed)[0])
    if message:
        warnings.warn(message, SafeheadsWarning, stacklevel=3)


def _empty_classes(parsed: _Parsed, present: np.ndarray) -> str | None:
    n_empty = parsed.n - present.size
    if n_empty:
        noun, nouns = (
            ("label", "labels") if parsed.task is Task.MULTILABEL else ("class", "classes")
        )
        first = np.setdiff1d(np.arange(min(parsed.n, present.size + 11)), present)[:11]
        shown = ", ".join(str(int(i)) for i in first[:10]) + (", ..." if n_empty > 10 else "")
        hint = (
            " Labels seem to start at 1: subtract 1."
            if parsed.format == "sparse" and n_empty == 1 and first.tolist() == [0]
            else ""
        )
        return (
            f"{n_empty} of {parsed.n} {nouns} have no examples ({noun} ids {shown}): "
            f"the head cannot learn them from these labels.{hint}"
        )
    return None


# ----------------------------------------------------------------------------- encode


def _mismatch(task: Task, parsed: _Parsed, fix: str) -> LabelFormatError:
    return LabelFormatError(
        f"Expected labels for task={task.value!r}. Received: {parsed.format} labels "
        f"({_shape_text(parsed)}). {fix}"
    )


def _shape_text(parsed: _Parsed) -> str:
    if parsed.format in ("one-hot", "multi-hot"):
        return f"shape {parsed.values.shape}"
    if parsed.format == "label-lists":
        return f"{parsed.n_samples} lists"
    return f"{parsed.n_samples} values, n={parsed.n}"


def _ids_for_names(
    parsed: _Parsed, class_names: Sequence[Hashable] | None, task: Task
) -> np.ndarray:
    """Map a class-names / label-lists-of-names parse onto a head's class names."""
    assert parsed.class_names is not None
    if class_names is None:
        raise LabelFormatError(
            f"Expected class ids for a head without class names. Received: class names "
            f"{list(parsed.class_names)[:5]}. Pass class_names=... to classification_head "
            "(or build the head with safeheads.Head.from_labels(y))."
        )
    lookup = {name: i for i, name in enumerate(class_names)}
    mapping = np.array([lookup.get(name, -1) for name in parsed.class_names], dtype=np.int64)
    ids = np.take(mapping, parsed.values)
    unknown = ids < 0
    if unknown.any():
        names = np.take(np.asarray(parsed.class_names, dtype=object), parsed.values)
        where, count = _first_bad(unknown, names)
        message = (
            f"Expected labels among the head's class names {list(class_names)}. Received: "
            f"{where} ({count} of {unknown.size} labels unknown). Add the missing names to "
            "class_names, or drop those samples."
        )
        raise LabelFormatError(message)  # label lists: the caller names y[i][j]
    return ids


def _map_negative_int_names(y: Any, class_names: Sequence[Hashable]) -> np.ndarray | None:
    """One int label per sample mapped to ids, for a head whose int class names include
    negative ones (``[-1, 1]``), which the checks for ids would refuse; else ``None``."""
    if not any(isinstance(name, int) and name < 0 for name in class_names):
        return None
    array = np.asarray(_to_numpy(y))
    if array.size == 0 or array.dtype.kind not in "iuf" or array.ndim not in (1, 2):
        return None
    if array.ndim == 2 and array.shape[1] != 1:
        return None
    if array.dtype.kind == "f" and not (
        np.isfinite(array).all() and (array == np.round(array)).all()
    ):
        return None  # NaN or fractions: the usual checks name them
    if not ((array >= -(2.0**63)) & (array < 2.0**63)).all():
        return None  # beyond int64 (e.g. a uint64 -1): the usual checks name them
    return _ids_for_int_names(array.reshape(-1).astype(np.int64), class_names).reshape(array.shape)


def _row_sequence(y: Any) -> bool:
    """A list, tuple or 1-D object array: a sequence that may hold one label list per row."""
    return isinstance(y, (list, tuple)) or (
        isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1
    )


def _map_negative_int_lists(y: Any, class_names: Sequence[Hashable]) -> list[Any] | None:
    """Label lists of ints mapped to lists of ids, for a multilabel head whose int class
    names include negative ones (``[-1, 0, 5]``), which the checks for ids would refuse;
    else ``None``."""
    if not any(isinstance(name, int) and name < 0 for name in class_names):
        return None
    if not _row_sequence(y) or not len(y):
        return None
    rows = [_to_numpy(row) for row in y]  # rows given as tensors
    if not all(isinstance(row, _LIST_TYPES) for row in rows):
        return None
    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    unordered = any(isinstance(row, (set, frozenset)) for row in rows)
    if (lengths == lengths[0]).all() and lengths[0] != 1 and not unordered:
        return None  # rows of equal length: a one-hot or multi-hot matrix
    flat = list(itertools.chain.from_iterable(rows))
    if not flat or not all(
        isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        for value in flat
    ):
        return None  # names of other types, or no label: the usual checks apply
    if not all(-(2**63) <= int(value) < 2**63 for value in flat):
        return None  # beyond int64: the usual checks name them
    try:
        ids = _ids_for_int_names(np.asarray(flat, dtype=np.int64), class_names).tolist()
    except LabelFormatError as err:
        raise LabelFormatError(_in_lists(str(err), lengths)) from None
    ends = np.cumsum(lengths).tolist()
    mapped = [ids[end - length : end] for end, length in zip(ends, lengths.tolist(), strict=True)]
    # Sets stay sets: rows of ids of equal length would otherwise read as a 0/1 matrix.
    return [set(row) for row in mapped] if unordered else mapped


def _int_names_not_ids(class_names: Sequence[Hashable] | None) -> list[int] | None:
    """The class names as ints when all are ints other than ``0 .. n-1`` (e.g. ``[1, 2]``):
    int labels are then names, not ids; else ``None``."""
    if class_names is None:
        return None
    names = [
        int(name)
        for name in class_names
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool)
    ]
    if len(names) != len(class_names) or names == list(range(len(names))):
        return None
    return names


def _ids_for_int_names(values: np.ndarray, class_names: Sequence[Hashable] | None) -> np.ndarray:
    """Integer labels of a head whose class names are ints (e.g. ``[1, 2, 3]``): their ids.

    Without such names, or with names ``0 .. n-1``, the labels already are the ids.
    """
    names = _int_names_not_ids(class_names)
    if names is None:
        return values
    order = np.argsort(names)  # vectorised lookup: no Python loop over the labels
    ordered = np.asarray(names, dtype=np.int64)[order]
    where = np.minimum(np.searchsorted(ordered, values), len(names) - 1)
    unknown = ordered[where] != values
    ids = order[where].astype(np.int64)
    if unknown.any():
        _raise(
            f"labels among the head's class names {names}",
            unknown,
            values,
            "labels unknown",
            "Add the missing names to class_names, or drop those samples.",
        )
    return ids


def _check_ids_in_range(
    ids: np.ndarray, n: int, *, head: bool = False, argument: str | None = None
) -> None:
    """Refuse ids >= n; ``head``: the caller is a head's ``encode`` (no class names);
    ``argument``: the caller's own argument for ``n`` (a function's, not a head's)."""
    if ids.size and int(ids.max()) >= n:
        bad = ids >= n
        wider = int(ids.max()) + 1
        if int(ids.min()) >= 1 and int(ids.max()) == n:
            names = ", ".join(str(i) for i in range(1, n + 1)) if n <= 3 else f"1, ..., {n}"
            hint = "Labels seem to start at 1: subtract 1" + (
                f", or build the head with class_names=[{names}]." if head else "."
            )
        elif wider > MAX_CLASSES:  # no width to propose: these are not class ids
            hint = "These are not class ids; fix those samples, or map the labels to 0..n-1."
        elif argument is not None:
            hint = f"Pass {argument}={wider}, or fix those labels."
        else:
            hint = f"Build the head with n={wider}, or fix those labels."
        _raise(f"class ids in [0, {n})", bad, ids, "values out of range", hint)


def _multi_hot(parsed: _Parsed, ids: np.ndarray, n: int) -> np.ndarray:
    assert parsed.lengths is not None
    out = np.zeros((parsed.n_samples, n), dtype=np.float32)
    rows = np.repeat(np.arange(parsed.n_samples), parsed.lengths)
    out[rows, ids] = 1.0
    return out


def _one_label_rows(y: Any) -> list[list[Any]] | None:
    """``y`` as label lists when it is a Python list of 1-element lists or tuples: each
    label wrapped in a list, as the multilabel hint asks. An ``(N, 1)`` array stays a
    column (binary or multiclass labels given to a multilabel head by mistake)."""
    if (
        isinstance(y, (list, tuple))
        and y
        and all(isinstance(row, (list, tuple)) and len(row) == 1 for row in y)
    ):
        return [list(row) for row in y]
    return None


def encode_labels(
    y: Any,
    task: Task,
    n: int,
    *,
    one_hot: bool = False,
    class_names: Sequence[Hashable] | None = None,
) -> np.ndarray:
    """Validate ``y`` against a head and return it in the form the head's loss expects."""
    if task is not Task.MULTILABEL and class_names is not None:
        mapped = _map_negative_int_names(y, class_names)
        if mapped is not None:  # e.g. names [-1, 1]: ids before the checks refuse -1
            y, class_names = mapped, None
    mapped_lists = False
    if task is Task.MULTILABEL:
        y = _to_numpy(y)  # once: parse_labels keeps numpy arrays as they are
        if isinstance(y, (list, tuple)) and _has_tensor_items(y):
            y = native_items(y)  # rows given as tensors
        if class_names is not None:
            lists = _map_negative_int_lists(y, class_names)
            if lists is not None:  # e.g. names [-1, 0, 5]: ids before the checks refuse -1
                y, class_names, mapped_lists = lists, None, True
        if (
            _row_sequence(y)
            and len(y)
            and all(isinstance(row, _LIST_TYPES) and len(row) == 0 for row in y)
        ):
            return np.zeros((len(y), n), dtype=np.float32)  # no sample has a label
    # int names other than 0..n-1: rows of ints list names (else ids, or strings: read as such)
    int_names = _int_names_not_ids(class_names) is not None
    named = task is Task.MULTILABEL and int_names
    parsed = parse_labels(y, lists_fix=_NAMED_LISTS_FIX if named else _LISTS_FIX)
    fmt = parsed.format
    if task is Task.MULTILABEL:
        one_label = _one_label_rows(y) if fmt != "one-hot" else None
        if (
            one_label is not None
            and fmt == "binary-column"
            and n == 2
            and not mapped_lists
            and not int_names  # names such as [1, 2]: one-label rows of them are no 0/1 column
        ):
            raise _mismatch(
                task,
                parsed,
                "These one-label lists hold only 0 and 1, as a binary column does: for a "
                "binary task use task='binary'; if they are label lists, pass "
                "safeheads.to_multi_hot(y, 2).",
            )
        if one_label is not None:  # [[3], [0]]: one list of one label per sample
            parsed = _parse_label_lists(one_label)
            fmt = parsed.format
        if fmt in ("one-hot", "multi-hot"):
            if parsed.n != n:
                raise _width_error(parsed, n, "labels", named=int_names)
            return parsed.values.astype(np.float32, copy=False)
        if fmt == "label-lists":
            assert parsed.lengths is not None
            try:
                ids = (
                    _ids_for_names(parsed, class_names, task)
                    if parsed.class_names is not None
                    else _ids_for_int_names(parsed.values, class_names)
                )
                _check_ids_in_range(ids, n, head=class_names is None)
            except LabelFormatError as err:
                raise LabelFormatError(_in_lists(str(err), parsed.lengths)) from None
            return _multi_hot(parsed, ids, n)
        raise _mismatch(
            task,
            parsed,
            "A multilabel head needs a multi-hot (N, n) matrix or one list of labels per "
            "sample: wrap each label in a list, or use task='multiclass'.",
        )
    if fmt in ("multi-hot", "label-lists"):
        raise _mismatch(
            task,
            parsed,
            "Labels look multi-hot (rows with no 1 or several 1s): use task='multilabel'."
            if fmt == "multi-hot"
            else "Labels are lists of labels per sample: use task='multilabel'.",
        )
    if fmt == "one-hot":
        if task is Task.BINARY and parsed.n != 2:
            raise _mismatch(
                task,
                parsed,
                f"A binary head takes 0/1 labels or (N, 2) one-hot rows: use "
                f"task='multiclass' with n={parsed.n}.",
            )
        if task is Task.MULTICLASS and parsed.n != n:
            raise _width_error(parsed, n, "classes")
        ids = parsed.values.argmax(axis=1)
    elif fmt == "class-names":
        ids = _ids_for_names(parsed, class_names, task)
    else:
        names = _int_names_not_ids(class_names)
        if names is not None and np.asarray(_to_numpy(y)).dtype == np.bool_:
            # True and False would be read as 1 and 0, and reported so ("y[1]=0").
            raise LabelFormatError(
                f"Expected labels among the head's class names {names}. Received: booleans in "
                f"{parsed.n_samples} samples; True and False are not class names. Pass the "
                f"names, e.g. np.where(y, {names[-1]}, {names[0]})."
            )
        ids = _ids_for_int_names(parsed.values, class_names)
    if task is Task.BINARY:
        if int(ids.max()) > 1:
            values = np.unique(ids)
            if values.size == 2 and class_names is None:
                low, high = (int(v) for v in values)
                hint = (
                    f"A binary head takes 0/1 labels; these hold the two values {low} and "
                    f"{high}: map them to 0/1 (y == {high}), or build the head with "
                    f"class_names=[{low}, {high}]."
                )
            else:
                hint = (
                    f"A binary head takes 0/1 labels; these hold {parsed.n} classes: use "
                    f"task='multiclass' with n={parsed.n}."
                )
            raise _mismatch(task, parsed, hint)
        return ids.astype(np.float32).reshape(-1, 1)
    _check_ids_in_range(ids, n, head=class_names is None)
    if one_hot:
        return _one_hot(ids, n, np.float32)
    return ids.astype(np.int32)


def _width_error(parsed: _Parsed, n: int, what: str, named: bool = False) -> LabelFormatError:
    fix = f"Build the head with n={parsed.n}, or fix the labels."
    if what == "labels" and parsed.n < n:  # 0/1 rows narrower than n: lists of label ids?
        lists = _NAMED_LISTS_FIX if named else _LISTS_FIX.replace("n)", f"{n})")
        fix = f"Build the head with n={parsed.n}, fix the labels, or, if each row lists {lists}."
    return LabelFormatError(
        f"Expected {n} columns ({what}) to match the head's n={n}. Received: {parsed.format} "
        f"labels of shape {parsed.values.shape}. {fix}"
    )


def _one_hot(ids: np.ndarray, n: int, dtype: Any) -> np.ndarray:
    out = np.zeros((ids.size, n), dtype=dtype)
    out.reshape(-1)[np.arange(ids.size) * n + ids] = 1
    return out


# ----------------------------------------------------------------------------- converters


def to_categorical(x: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """Convert class ids to a one-hot matrix, validating them first.

    A drop-in for ``keras.utils.to_categorical`` on valid arrays of ids (same
    arguments, the same values, ``(N, 1)`` read as ``(N,)``; a single id must be
    wrapped in a list, where Keras returns one row), except that invalid ids
    raise instead of wrapping: Keras maps -1 to the last class and
    truncates 1.7 to 1. The result is float32 by default, as in ``tf.keras``
    2.x, whose signature (with ``dtype``) this also accepts: Keras 3 returns
    float64, which a model casts to float32 anyway, at twice the memory. Pass
    ``dtype="float64"`` for Keras 3's dtype.

    Args:
        x: Class ids in ``[0, num_classes)``, shape ``(N,)`` or ``(N, 1)``.
        num_classes: Number of classes; ``max(x) + 1`` when ``None``.
        dtype: A numeric dtype for the result (float32 by default).

    Returns:
        An array of shape ``(N, num_classes)`` and dtype ``dtype``.

    Raises:
        LabelFormatError: For negative, non-integral, NaN or out-of-range ids,
            input that is not one id per sample, and ``num_classes`` < 1.
        TypeError: If ``num_classes`` is not an int, or ``dtype`` is not a
            numeric dtype.

    Example:
        >>> import safeheads
        >>> safeheads.to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    dtype = _check_dtype(dtype)
    parsed = parse_labels(x)
    if parsed.format not in ("binary-column", "sparse"):
        raise LabelFormatError(
            f"Expected one class id per sample. Received: {parsed.format} labels "
            f"({_shape_text(parsed)}). "
            + (
                "They are one-hot already."
                if parsed.format == "one-hot"
                else "Use safeheads.LabelMap for class names, or safeheads.to_multi_hot for "
                "label lists."
            )
        )
    ids = parsed.values
    if num_classes is None:
        check_class_count(parsed, "to_categorical", "makes a column for every id in [0, n)")
        num_classes = int(ids.max()) + 1
    else:
        num_classes = check_width(num_classes, "num_classes")
        _check_ids_in_range(ids, num_classes, argument="num_classes")
    return _one_hot(ids, num_classes, dtype)


def _check_dtype(dtype: Any) -> np.dtype[Any]:
    try:
        resolved: np.dtype[Any] = np.dtype(dtype)
    except TypeError:
        resolved = np.dtype(object)
    if resolved.kind not in "biuf":
        raise TypeError(
            "Expected `dtype` to be a numeric dtype such as 'float32'. "
            f"Received: dtype={describe_value(dtype)}. Pass dtype='float32' (or an int dtype)."
        )
    return resolved


def to_sparse(y: Any) -> np.ndarray:
    """Convert one-hot rows to class ids, validating them first.

    Args:
        y: A one-hot matrix of shape ``(N, n)``: every cell 0 or 1 and exactly one
            1 per row.

    Returns:
        An int64 array of shape ``(N,)`` with the column of each row's 1.

    Raises:
        LabelFormatError: If ``y`` is not one-hot (a row without exactly one 1,
            cells other than 0/1, NaN, or one id per sample already).

    Example:
        >>> import safeheads
        >>> safeheads.to_sparse([[0, 1, 0], [1, 0, 0]])
        array([1, 0])
    """
    parsed = parse_labels(y)
    if parsed.format == "one-hot":
        return np.asarray(parsed.values.argmax(axis=1), dtype=np.int64)
    if parsed.format == "multi-hot":
        sums = parsed.values.sum(axis=1, dtype=np.int64)
        bad = np.flatnonzero(sums != 1)
        raise LabelFormatError(
            f"Expected one-hot rows (exactly one 1 per row). Received: row y[{bad[0]}] holds "
            f"{sums[bad[0]]} ones ({bad.size} of {sums.size} rows). Rows with no 1 or several "
            "1s are multi-hot and have no single class id: train them with a multilabel head, "
            "classification_head('multilabel', n)."
        )
    raise LabelFormatError(
        f"Expected one-hot rows of shape (N, n). Received: {parsed.format} labels "
        f"({_shape_text(parsed)})."
        + (
            " They are class ids already: pass them as they are."
            if parsed.format in ("sparse", "binary-column")
            else " Pass one row per sample with exactly one 1."
        )
    )


def to_multi_hot(label_lists: Iterable[Collection[int]], n: int) -> np.ndarray:
    """Convert one list of label ids per sample to a 0/1 matrix.

    The input is always read as lists of label ids (never as rows of 0/1); a
    numpy 0/1 array of shape ``(N, n)``, or any bool array, is refused: it
    already is multi-hot. Duplicate ids in a list count once. Use `LabelMap`
    for names.

    Args:
        label_lists: One iterable of ids in ``[0, n)`` per sample (may be empty).
        n: Number of labels.

    Returns:
        A float32 array of shape ``(N, n)``.

    Raises:
        TypeError: If ``n`` is not an int.
        LabelFormatError: For ids out of range, negative, non-integral or NaN,
            bools or names instead of ids, a sample that is not a list, or
            ``n`` < 1.

    Example:
        >>> import safeheads
        >>> safeheads.to_multi_hot([[0, 2], [], [1]], n=3)
        array([[1., 0., 1.],
               [0., 0., 0.],
               [0., 1., 0.]], dtype=float32)
    """
    n = check_width(n, "n")
    label_lists = _to_numpy(label_lists)  # a RaggedTensor gets its own hint
    if (
        isinstance(label_lists, np.ndarray)
        and label_lists.ndim == 2
        and label_lists.dtype.kind in "biuf"
        and (label_lists.dtype.kind == "b" or label_lists.shape[1] == n >= 2)
        and np.isin(label_lists, (0, 1)).all()
    ):
        raise LabelFormatError(
            "Expected one list of label ids per sample. Received: a 0/1 array of shape "
            f"{label_lists.shape}, which already is a multi-hot matrix (its columns are the "
            "labels). Use it as it is, as float32: y.astype('float32')."
        )
    if (
        not isinstance(label_lists, Iterable)
        or isinstance(label_lists, (str, bytes))
        or _is_0d(label_lists)
    ):
        raise LabelFormatError(
            "Expected one list of label ids per sample. Received: y="
            f"{_value(label_lists)}. Pass a list of lists, e.g. [[0, 2], [], [1]]."
        )
    if isinstance(label_lists, (set, frozenset, Mapping)):
        raise unordered_error(label_lists, "Expected one list of label ids per sample.")
    rows = list(label_lists)
    for i, row in enumerate(rows):
        if not isinstance(row, _LIST_TYPES):
            row = rows[i] = _to_numpy(row)  # a tensor row: an array of ids
        if _is_0d(row):
            row = np.asarray(row)[()]  # a 0-d array is a single label
        if not isinstance(row, _LIST_TYPES):
            raise LabelFormatError(
                f"Expected one list of label ids per sample. Received: y[{i}]={_value(row)}. "
                "Wrap single labels in a list, e.g. [3] or [] for no label."
            )
    if not rows:
        raise LabelFormatError(
            "Expected at least one sample. Received: no label lists. Pass one list per sample "
            "([] for a sample with no label)."
        )
    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    flat = list(itertools.chain.from_iterable(rows))
    out = np.zeros((len(rows), n), dtype=np.float32)
    if not flat:
        return out
    try:
        values = np.asarray(flat)
    except ValueError:  # a nested list inside a row: no array shape
        raise _nested_error(flat, lengths) from None
    if values.ndim != 1:  # [[[0], [1]], ...]: numpy made a matrix of the nested lists
        raise _nested_error(flat, lengths)
    if values.dtype.kind == "b":
        received = _in_lists("y[0]=" + _value(flat[0]), lengths)
        raise LabelFormatError(
            f"Expected label ids (ints). Received: {received} is a bool: rows of True/False "
            "are a multi-hot matrix already; use it as it is, as float32."
        )
    if _has_bool(flat):  # numpy reads [True, 2] as [1, 2]
        first = next(i for i, v in enumerate(flat) if isinstance(v, (bool, np.bool_)))
        received = _in_lists(f"y[{first}]=" + _value(flat[first]), lengths)
        raise LabelFormatError(
            f"Expected label ids (ints). Received: {received} is a bool among ids. Write "
            "the id it stands for, e.g. 1 for True."
        )
    if values.dtype == object and all(is_number(v) for v in flat):  # ints beyond int64
        first = next(i for i, v in enumerate(flat) if abs(v) > _INT64_MAX)
        received = _in_lists(f"y[{first}]=" + _value(flat[first]), lengths)
        raise LabelFormatError(
            f"Expected label ids that fit in int64. Received: {received}. These are not "
            "label ids; fix those samples, or map the labels to 0..n-1."
        )
    if values.dtype.kind in "USO":
        first = next(
            (
                i
                for i, v in enumerate(flat)
                if not (is_number(v) or isinstance(v, (bool, np.bool_)))
            ),
            0,
        )
        received = _in_lists(f"y[{first}]=" + _value(flat[first]), lengths)
        if isinstance(flat[first], (str, bytes)):
            raise LabelFormatError(
                f"Expected label ids. Received: {received} is a name. "
                "Use safeheads.LabelMap(class_names).to_multi_hot(label_lists)."
            )
        raise LabelFormatError(
            f"Expected label ids (ints). Received: {received} of type "
            f"{type(flat[first]).__name__}. Drop it, or map the labels to ints first."
        )
    try:
        ids = _check_numeric_values(values)
        _check_ids_in_range(ids, n, argument="n")
    except LabelFormatError as err:
        raise LabelFormatError(_in_lists(str(err), lengths)) from None
    out[np.repeat(np.arange(len(rows)), lengths), ids] = 1.0
    return out
