"""`LabelMap`: class names (strings or any hashable) <-> class ids, and back."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from safeheads._labels import (
    _first_non_utf8,
    _parse_matrix,
    _raise,
    _to_numpy,
    _utf8_error,
    _value,
    native_items,
    unordered_error,
)
from safeheads._messages import describe_value, is_number
from safeheads.errors import LabelFormatError

__all__ = ["LabelMap"]

# Rows of a label-lists input (the "label-lists" format of safeheads._labels).
_ROW_TYPES = (list, tuple, set, frozenset, np.ndarray)
# Elements that can never be one class name: they mean "several labels per sample".
_UNHASHABLE_ROWS = (list, set, np.ndarray)
_UNKNOWN = ("error", "ignore")
_INT64_MAX = int(np.iinfo(np.int64).max)
_KIND_TEXT = {"str": "strings", "int": "ints"}


def _name_kind(names: tuple[Hashable, ...]) -> str:
    """``"str"`` or ``"int"`` when every name has that exact type, else ``"object"``."""
    types = set(map(type, names))
    strings = [name for name in names if isinstance(name, str)]
    if types == {str} and not any(name.endswith("\x00") for name in strings):
        return "str"  # numpy drops trailing NULs from strings: such names stay objects
    ints = [name for name in names if isinstance(name, int)]
    if types == {int} and all(-_INT64_MAX <= name <= _INT64_MAX for name in ints):
        return "int"
    return "object"


def _plain(value: Any) -> Any:
    """numpy scalars as Python scalars, bytes decoded as UTF-8; anything else unchanged."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _plain_name(value: Any, where: str) -> Any:
    """`_plain`, with a LabelFormatError for bytes that are not UTF-8."""
    try:
        return _plain(value)
    except UnicodeDecodeError:
        raise _utf8_error(value, where) from None


# Items that are labels as they are: no backend tensor, no 0-d array to unwrap.
_PLAIN_ITEMS = (str, bytes, int, float, bool, np.generic, type(None), list, tuple, set, frozenset)


def _native(items: list[Any]) -> list[Any]:
    """``items`` with backend tensors (a label, or a row of labels) as numpy, 0-d as scalars."""
    if all(issubclass(kind, _PLAIN_ITEMS) for kind in set(map(type, items))):
        return items
    return native_items(items)


def _single_labels(y: Any, what: str) -> np.ndarray | list[Any]:
    """One label per sample: a 1-D numpy array of ids or strings, or a list of objects."""
    y = _to_numpy(y)
    if isinstance(y, np.ndarray):
        array = y
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise LabelFormatError(
                f"Expected one label per sample, shape (N,) or (N, 1), for {what}. Received: "
                f"shape {array.shape}. For several labels per sample use "
                "label_map.to_multi_hot(label_lists)."
            )
        if array.dtype.kind == "S":
            try:
                return np.char.decode(array, "utf-8")
            except UnicodeDecodeError:
                bad, raw = _first_non_utf8(array.tolist())
                raise _utf8_error(raw, f"y[{bad}]") from None

        if array.dtype.kind in "iuU":
            return array
        items: list[Any] = array.tolist()  # floats, bools, objects: compared as Python values
        return items
    if isinstance(y, (str, bytes)) or not isinstance(y, Iterable):
        raise LabelFormatError(
            f"Expected a sequence of labels, one per sample, for {what}. Received: "
            f"y={describe_value(y)}. Wrap a single label in a list: [y]."
        )
    if isinstance(y, (set, frozenset, Mapping)):
        raise LabelFormatError(
            f"Expected a sequence of labels, one per sample, for {what}. Received: a "
            f"{type(y).__name__} of {len(y)} labels, which has no order: the ids would not "
            "line up with the samples. Pass a list."
        )
    return _native(list(y))


def _where(k: int, lengths: np.ndarray | None) -> str:
    """``y[k]``, or ``y[i][j]`` for the k-th label of label lists of these ``lengths``."""
    if lengths is None:
        return f"y[{k}]"
    i = int(np.searchsorted(np.cumsum(lengths), k, side="right"))
    return f"y[{i}][{k - int(lengths[:i].sum())}]"


def _non_finite_error(where: str, value: float) -> LabelFormatError:
    return LabelFormatError(
        f"Expected finite labels for LabelMap.from_labels. Received: {where}={value!r}. Drop "
        "or fix those samples; NaN and inf are no class names."
    )


def _first_unhashable(items: list[Any], what: str, lengths: np.ndarray | None = None) -> Exception:
    """The error for the first unhashable label; ``lengths`` of label lists give y[i][j]."""
    k = next(k for k, item in enumerate(items) if not _hashable(item))
    if lengths is not None:
        where = _where(k, lengths)
    elif isinstance(items[k], _UNHASHABLE_ROWS):
        return LabelFormatError(
            f"Expected one class name per sample for {what}. Received: y[{k}]="
            f"{describe_value(items[k])}, several labels. For one list of labels per sample use "
            "label_map.to_multi_hot(label_lists)."
        )
    else:
        where = f"y[{k}]"
    return TypeError(f"Expected hashable labels. Received: {where}={describe_value(items[k])}.")


class LabelMap:
    """A fixed, ordered mapping between class names and class ids ``0 .. n-1``.

    **Order.** ``LabelMap(class_names)`` keeps the order given: the name at
    position ``i`` gets id ``i``. ``LabelMap.from_labels(y)`` uses the *sorted*
    distinct names found in ``y`` (code point order for strings, numeric order
    for ints). For string names this is the order `describe_labels` and
    ``Head.from_labels`` give, so ``LabelMap.from_labels(y).class_names ==
    describe_labels(y).class_names``; integer labels are names here (``[3, 10]``
    gives 2 classes) where those read them as ids (11 classes). The order never
    depends on the order of samples; a float equal to an int name (``1.0`` and
    ``1``) is that int.

    **Names.** Any hashable value can be a name; names are matched by Python
    equality, so ``"1"`` and ``1`` differ while ``1``, ``1.0`` and ``True`` are
    the same name. Bytes (e.g. from string tensors) are decoded as UTF-8. numpy
    arrays of ints or strings are looked up vectorised (a table of ids, or
    ``np.searchsorted``); Python lists through the name dict in C
    (``map(dict.get, labels)``, no Python code per label), which measured faster
    than turning them into a numpy string array first. To store the names on a
    head (``classification_head(..., class_names=m.class_names)``) they must be
    ``str`` or ``int``, since they are saved in the ``.keras`` file.

    **Unknown names.** A name not in the map is an error (`LabelFormatError`
    naming the first position, its value, how many are unknown and the fix),
    unless you opt in:

    - for one label per sample, ``encode(y, default=name)`` gives unknown names
      the id of ``name``, a class of the map (e.g. an ``"other"`` class). There is
      no way to drop samples or to get ``-1``: dropping would misalign ``y`` with
      ``x``, and Keras would read ``-1`` as the last class.
    - for label lists, ``to_multi_hot(label_lists, unknown="ignore")`` drops
      unknown labels from their lists (a sample whose labels are all unknown
      gets an all-zero row).

    Args:
        class_names: The names of the classes, in id order: an iterable of
            distinct hashable values (numpy scalars become Python scalars).

    Attributes:
        class_names: The names as a tuple, in id order.
        n: The number of names (``len(label_map)``).

    Raises:
        TypeError: If ``class_names`` is a string or not iterable, or a name is
            not hashable.
        LabelFormatError: If ``class_names`` is empty or holds duplicates.

    Example:
        >>> import safeheads
        >>> label_map = safeheads.LabelMap.from_labels(["dog", "cat", "bird", "cat"])
        >>> label_map
        LabelMap(['bird', 'cat', 'dog'])
        >>> label_map.encode(["cat", "dog"])
        array([1, 2])
        >>> label_map.decode([2, 0])
        array(['dog', 'bird'], dtype='<U4')
        >>> label_map.to_multi_hot([["cat", "dog"], []])
        array([[0., 1., 1.],
               [0., 0., 0.]], dtype=float32)
    """

    __slots__ = ("_class_names", "_dense", "_kind", "_lookup", "_order", "_sorted", "_table")

    def __init__(self, class_names: Iterable[Hashable]) -> None:
        if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Iterable):
            raise TypeError(
                "Expected `class_names` to be a sequence of class names. Received: "
                f"class_names={describe_value(class_names)}."
                + (
                    " A string is a sequence of characters: pass [class_names]."
                    if isinstance(class_names, str)
                    else ""
                )
            )
        names = tuple(_plain_name(name, f"class_names[{i}]") for i, name in enumerate(class_names))
        if not names:
            raise LabelFormatError(
                "Expected at least one class name. Received: class_names=[]. Use "
                "LabelMap.from_labels(y) to collect the names from the labels."
            )
        for i, name in enumerate(names):
            if not _hashable(name):
                raise TypeError(
                    f"Expected hashable class names. Received: class_names[{i}]="
                    f"{describe_value(name)}. Use a str, int or tuple instead."
                )
            if isinstance(name, float) and not math.isfinite(name):
                raise LabelFormatError(
                    f"Expected finite class names. Received: class_names[{i}]={name!r}. NaN "
                    "equals no label and inf is no class: use a str name for that class."
                )
        lookup: dict[Hashable, int] = {}
        for i, name in enumerate(names):
            first = lookup.setdefault(name, i)
            if first != i:
                count = len(names) - len(set(names))
                raise LabelFormatError(
                    f"Expected distinct class names. Received: class_names[{i}]={name!r} equals "
                    f"class_names[{first}]={names[first]!r} ({count} of {len(names)} names "
                    "repeat). Remove the duplicates; for names collected from labels use "
                    "LabelMap.from_labels(y)."
                )
        self._class_names = names
        self._lookup = lookup
        self._kind = _name_kind(names)
        self._dense: tuple[int, np.ndarray] | None = None
        if self._kind == "object":
            table = np.empty(len(names), dtype=object)
            for i, name in enumerate(names):  # one per class, not per sample
                table[i] = name  # (assigning a list would unpack tuple names)
            self._table = table
            self._sorted = self._order = np.zeros(0, dtype=np.int64)  # unused
        else:
            self._table = np.array(names, dtype=str if self._kind == "str" else np.int64)
            self._order = np.argsort(self._table, kind="stable").astype(np.int64)
            self._sorted = self._table[self._order]
            if self._kind == "int":
                low, high = int(self._sorted[0]), int(self._sorted[-1])
                if high - low < max(4 * len(names), 1 << 16):  # a small table: O(1) per id
                    dense = np.full(high - low + 1, -1, dtype=np.int64)
                    dense[self._table - low] = np.arange(len(names))
                    self._dense = (low, dense)

    @classmethod
    def from_labels(cls, y: Any) -> LabelMap:
        """Build the map of the sorted distinct names found in ``y``.

        Args:
            y: One name per sample (a list, tuple, numpy array or string
                tensor), or one list of names per sample (label lists; rows may be
                lists, tuples, sets or arrays, of any length). Names may be any
                hashable values of one sortable kind. A 0/1 matrix (one-hot or
                multi-hot rows) is refused: its columns already are the ids.

        Returns:
            A `LabelMap` whose class ids are the positions of the sorted names.

        Raises:
            LabelFormatError: If ``y`` holds no label, is a single label or a 0/1
                matrix, mixes label lists with single labels, or holds NaN, inf or
                bytes that are not UTF-8.
            TypeError: If a label is not hashable, or the names cannot be sorted
                (e.g. strings mixed with ints): pass them in your order to
                ``LabelMap(class_names)``.

        Example:
            >>> import safeheads
            >>> safeheads.LabelMap.from_labels([["sports", "politics"], [], ["sports"]])
            LabelMap(['politics', 'sports'])
            >>> safeheads.LabelMap.from_labels([3, 10, 3]).class_names
            (3, 10)
        """
        y = _to_numpy(y)
        _refuse_indicator_matrix(y)
        lengths = None
        if isinstance(y, np.ndarray) and y.ndim == 0:
            raise LabelFormatError(
                "Expected a sequence of labels, one per sample, for LabelMap.from_labels. "
                f"Received: a 0-d array, y={describe_value(y)}. Wrap a single label in a "
                "list: [y]."
            )
        if isinstance(y, np.ndarray) and y.ndim > 2:
            raise LabelFormatError(
                "Expected labels one per sample (1-D) or k per sample (2-D) for "
                f"LabelMap.from_labels. Received: an array of shape {y.shape}. Pass one row "
                "of labels per sample."
            )
        if isinstance(y, np.ndarray) and y.dtype.kind != "O":
            values = y.reshape(-1)  # a (N, k) array is k labels per sample
            if values.size == 0:
                raise _no_labels()
            if y.ndim == 2:  # messages name y[i][j], not a flat position
                lengths = np.full(y.shape[0], y.shape[1], dtype=np.int64)
            if values.dtype.kind in "US":
                items: Iterable[Any] = values.tolist()
            else:
                if values.dtype.kind in "fc" and not np.isfinite(values).all():
                    bad = int(np.flatnonzero(~np.isfinite(values))[0])
                    raise _non_finite_error(_where(bad, lengths), float(values[bad].real))
                return cls(np.unique(values).tolist())
        else:
            if isinstance(y, (str, bytes)) or not isinstance(y, Iterable):
                raise LabelFormatError(
                    "Expected a sequence of labels, one per sample, for LabelMap.from_labels. "
                    f"Received: y={describe_value(y)}. Wrap a single label in a list: [y]."
                )
            if isinstance(y, Mapping):
                raise unordered_error(
                    y, "Expected a sequence of labels, one per sample, for LabelMap.from_labels."
                )
            rows = _native(list(y))
            if any(issubclass(kind, _ROW_TYPES) for kind in set(map(type, rows))):
                lengths = np.fromiter(map(len, _rows(rows)), dtype=np.int64, count=len(rows))
                items = list(itertools.chain.from_iterable(rows))
            else:
                items = rows
        try:
            distinct = set(items)
        except TypeError:
            raise _first_unhashable(list(items), "LabelMap.from_labels", lengths) from None
        try:
            distinct = {_plain(name) for name in distinct}
        except UnicodeDecodeError:
            at, raw = _first_non_utf8(items)
            raise _utf8_error(raw, _where(at, lengths)) from None
        if any(isinstance(name, float) and name.is_integer() for name in distinct) and any(
            type(_plain(item)) is int for item in items
        ):  # 1 and 1.0 are one name, whichever the set kept: the int
            distinct = {
                int(name) if isinstance(name, float) and name.is_integer() else name
                for name in distinct
            }
        if any(isinstance(name, float) and not math.isfinite(name) for name in distinct):
            for k, item in enumerate(items):  # the first one, for the message
                value = _plain(item)
                if isinstance(value, float) and not math.isfinite(value):
                    raise _non_finite_error(_where(k, lengths), value)
        if not distinct:
            raise _no_labels()
        try:
            return cls(sorted(distinct))
        except TypeError:
            kinds = sorted({type(name).__name__ for name in distinct})
            raise TypeError(
                f"Expected class names that can be sorted. Received: names of types {kinds}. "
                "Pass the names in the order you want to LabelMap(class_names)."
            ) from None

    # -- what the map is ----------------------------------------------------------------

    @property
    def class_names(self) -> tuple[Hashable, ...]:
        """The class names in id order: ``class_names[i]`` has id ``i``."""
        return self._class_names

    @property
    def n(self) -> int:
        """Number of classes (the ``n`` of a head built for these names)."""
        return len(self._class_names)

    def __len__(self) -> int:
        return len(self._class_names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelMap):
            return NotImplemented
        return self._class_names == other._class_names

    def __hash__(self) -> int:
        return hash(self._class_names)

    def __repr__(self) -> str:
        names = self._class_names
        if len(names) <= 10:
            return f"LabelMap({list(names)!r})"
        shown = ", ".join(repr(name) for name in names[:5])
        return f"LabelMap([{shown}, ..., {names[-1]!r}], n={len(names)})"

    # -- names to ids -------------------------------------------------------------------

    def _ids(
        self, values: np.ndarray | list[Any], what: str, lengths: np.ndarray | None = None
    ) -> np.ndarray:
        """Class id of each label, -1 where the label is not a name of the map.

        numpy ids and strings are looked up vectorised (a dense table or
        ``np.searchsorted``); Python objects through the name dict in C
        (``map(dict.get, ...)``, no Python code per label), which measured faster
        than building a numpy string array for ``searchsorted``.
        """
        if isinstance(values, np.ndarray):
            kind = "str" if values.dtype.kind == "U" else "int"
            if kind != self._kind:
                if self._kind == "object":
                    return self._ids(values.tolist(), what)
                return np.full(values.size, -1, dtype=np.int64)  # ids for names, or back
            if values.dtype == np.uint64:  # as int64: searchsorted compares mixed as floats
                if int(values.max(initial=0)) > _INT64_MAX:
                    return self._ids(values.tolist(), what)
                values = values.astype(np.int64)
            if self._dense is not None:
                low, dense = self._dense
                offset = values.astype(np.int64) - low
                inside = (offset >= 0) & (offset < dense.size)
                return np.where(inside, dense[np.clip(offset, 0, dense.size - 1)], -1)
            position = np.searchsorted(self._sorted, values)
            np.minimum(position, self._sorted.size - 1, out=position)
            found = self._sorted[position] == values
            return np.where(found, self._order[position], -1)
        get = self._lookup.get
        try:
            ids = np.fromiter(
                map(get, values, itertools.repeat(-1)), dtype=np.int64, count=len(values)
            )
        except TypeError:
            raise _first_unhashable(values, what, lengths) from None
        for k in np.flatnonzero(ids < 0).tolist():  # only misses: bytes, numpy scalars
            try:
                name = _plain(values[k])
            except UnicodeDecodeError:
                continue  # not UTF-8: no name of the map, reported as unknown
            if name is not values[k]:
                ids[k] = get(name, -1)
        return ids

    def encode(self, y: Any, *, default: Hashable | None = None) -> np.ndarray:
        """Map one class name per sample to its class id.

        Args:
            y: Class names, shape ``(N,)`` or ``(N, 1)``: a list, tuple, numpy
                array or string tensor.
            default: ``None`` (unknown names are an error), or a name of the map
                whose id unknown names get, e.g. an ``"other"`` class.

        Returns:
            An int64 array of shape ``(N,)`` with ids in ``[0, n)``.

        Raises:
            LabelFormatError: For a name not in the map (without ``default``),
                empty input, one list of labels per sample, a shape other than
                ``(N,)``/``(N, 1)``, or a ``default`` that is not a name of the map.
            TypeError: For an unhashable label.

        Example:
            >>> import safeheads
            >>> label_map = safeheads.LabelMap(["negative", "positive", "other"])
            >>> label_map.encode(["positive", "negative"])
            array([1, 0])
            >>> label_map.encode(["positive", "neutral"], default="other")
            array([1, 2])
        """
        default_id = self._default_id(default)
        values = _single_labels(y, "LabelMap.encode")
        if len(values) == 0:
            raise _no_labels()
        ids = self._ids(values, "LabelMap.encode")
        unknown = np.flatnonzero(ids < 0)
        if unknown.size:
            if default_id is None:
                k = int(unknown[0])
                raise LabelFormatError(
                    f"Expected class names among the {self._names_text()}. Received: "
                    f"y[{k}]={_value(values[k])} ({unknown.size} of {ids.size} values unknown). "
                    f"{self._kind_hint(values[k])}Add the missing names to the LabelMap, drop "
                    "those samples, or pass default=<a class name> to map them to one class "
                    "(e.g. 'other')."
                )
            ids[unknown] = default_id
        return ids

    def _kind_hint(self, value: Any) -> str:
        kind = (
            "str"
            if isinstance(value, str)
            else "int"
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            else "object"
        )
        if "object" in (kind, self._kind) or kind == self._kind:
            return ""
        return f"The labels are {_KIND_TEXT[kind]} but the names are {_KIND_TEXT[self._kind]}. "

    def _default_id(self, default: Hashable | None) -> int | None:
        if default is None:
            return None
        try:
            found = self._lookup.get(_plain(default))
        except TypeError:
            found = None
        if found is None:
            raise LabelFormatError(
                f"Expected `default` to be one of the {self._names_text()}. Received: "
                f"default={describe_value(default)}. Add it to the names first, e.g. "
                "LabelMap([*names, 'other'])."
            )
        return found

    def _names_text(self) -> str:
        names = list(self._class_names[:10])
        more = f" + {self.n - 10} more" if self.n > 10 else ""
        return f"LabelMap's {self.n} names {names!r}{more}"

    def to_multi_hot(
        self, label_lists: Iterable[Iterable[Hashable]], *, unknown: str = "error"
    ) -> np.ndarray:
        """Map one list of class names per sample to a 0/1 matrix.

        Args:
            label_lists: One list, tuple, set or array of names per sample, each
                of any length (also 0). A name listed twice counts once.
            unknown: ``"error"`` (default): a name not in the map raises.
                ``"ignore"``: such names are dropped from their lists.

        Returns:
            A float32 array of shape ``(N, n)``: ``out[i, j] == 1`` when sample
            ``i`` lists ``class_names[j]``.

        Raises:
            LabelFormatError: For an unknown name (with ``unknown="error"``), a
                sample that is not a list (e.g. a bare string), no samples, or an
                ``unknown`` other than ``"error"``/``"ignore"``.
            TypeError: For an unhashable label.

        Example:
            >>> import safeheads
            >>> label_map = safeheads.LabelMap(["news", "sports", "tech"])
            >>> label_map.to_multi_hot([["tech", "news"], ["sports", "weather"]], unknown="ignore")
            array([[1., 0., 1.],
                   [0., 1., 0.]], dtype=float32)
        """
        if unknown not in _UNKNOWN:
            raise LabelFormatError(
                f"Expected `unknown` to be one of {', '.join(map(repr, _UNKNOWN))}. Received: "
                f"unknown={describe_value(unknown)}. Pass unknown='ignore' to skip names not in "
                "the map, or leave it out to refuse them."
            )
        label_lists = _to_numpy(label_lists)
        if (
            isinstance(label_lists, (str, bytes))
            or not isinstance(label_lists, Iterable)
            or (isinstance(label_lists, np.ndarray) and label_lists.ndim == 0)
        ):
            raise LabelFormatError(
                "Expected one list of labels per sample. Received: "
                f"label_lists={describe_value(label_lists)}. Pass a list of lists, e.g. "
                "[['news'], ['news', 'tech'], []]."
            )
        if isinstance(label_lists, (set, frozenset, Mapping)):
            raise unordered_error(label_lists, "Expected one list of labels per sample.")
        rows = _rows(_native(list(label_lists)))
        if not rows:
            raise LabelFormatError(
                "Expected at least one sample. Received: no label lists. Pass one list per "
                "sample ([] for a sample with no label)."
            )
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        out = np.zeros((len(rows), self.n), dtype=np.float32)
        items = list(itertools.chain.from_iterable(rows))
        if not items:
            return out
        ids = self._ids(items, "LabelMap.to_multi_hot", lengths)
        sample = np.repeat(np.arange(len(rows)), lengths)
        known = ids >= 0
        if not known.all():
            if unknown == "error":
                k = int(np.flatnonzero(~known)[0])
                j = k - int(np.searchsorted(sample, sample[k]))
                raise LabelFormatError(
                    f"Expected labels among the {self._names_text()}. Received: "
                    f"y[{int(sample[k])}][{j}]={_value(items[k])} ({int((~known).sum())} of "
                    f"{ids.size} labels unknown). Add the missing names to the LabelMap, or "
                    "pass unknown='ignore' to drop them."
                )
            sample, ids = sample[known], ids[known]
        out[sample, ids] = 1.0
        return out

    # -- ids to names -------------------------------------------------------------------

    def decode(self, ids: Any) -> np.ndarray:
        """Map class ids back to class names.

        Args:
            ids: Class ids in ``[0, n)``, shape ``(N,)`` or ``(N, 1)``, e.g.
                ``model.predict(x).argmax(axis=1)`` or ``head.decode(outputs)``.

        Returns:
            An array of shape ``(N,)``: of str for string names, int64 for int
            names, else of objects.

        Raises:
            LabelFormatError: For ids that are negative, ``>= n``, non-integral,
                NaN/inf or not numbers, or a shape other than ``(N,)``/``(N, 1)``.

        Example:
            >>> import safeheads
            >>> safeheads.LabelMap(["no", "yes"]).decode([1, 1, 0])
            array(['yes', 'yes', 'no'], dtype='<U3')
        """
        try:
            array = np.asarray(_to_numpy(ids))
        except ValueError:  # numpy: "inhomogeneous shape" for ragged rows
            raise LabelFormatError(
                "Expected class ids of shape (N,) or (N, 1). Received: rows of different "
                "lengths. Give one class id per sample."
            ) from None
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise LabelFormatError(
                f"Expected class ids of shape (N,) or (N, 1). Received: shape {array.shape}. "
                "For a 0/1 matrix use label_map.decode_multi_hot(y); for scores take "
                "argmax(axis=1) first."
            )
        if array.size == 0:
            return self._table[np.zeros(0, dtype=np.int64)]
        if array.dtype.kind not in "biuf":
            items = array.tolist()
            k = next((k for k, item in enumerate(items) if not is_number(item)), None)
            if k is not None:
                raise LabelFormatError(
                    f"Expected numeric class ids. Received: dtype {array.dtype}, "
                    f"y[{k}]={_value(items[k])}. To map names to ids use label_map.encode(y)."
                )
            array = np.array(items, dtype=object)  # numbers: Python ints beyond int64
        if array.dtype.kind in "fO":
            whole = (
                np.isfinite(array) & (np.round(array) == array)
                if array.dtype.kind == "f"
                else np.array([_whole(value) for value in array.tolist()], dtype=bool)
            )
            if not whole.all():
                _raise(
                    "finite, integral class ids",
                    ~whole,
                    array,
                    "values not integral or not finite",
                    "For scores or probabilities take argmax(axis=1) or use head.decode first.",
                )
        bad = (array < 0) | (array >= self.n)
        if bad.any():
            _raise(
                f"class ids in [0, {self.n})",
                bad,
                array,
                "values out of range",
                f"The LabelMap has {self.n} names; check that it is the map the model was "
                "trained with.",
            )
        return self._table[array.astype(np.int64)]

    def decode_multi_hot(self, y: Any) -> list[list[Hashable]]:
        """Map a 0/1 matrix back to one list of class names per sample.

        Args:
            y: A multi-hot (or one-hot) 0/1 matrix of shape ``(N, n)``, e.g. from
                `to_multi_hot` or ``head.decode(outputs)`` of a multilabel head.

        Returns:
            One list of names per sample, in id order.

        Raises:
            LabelFormatError: For a shape other than ``(N, n)`` or cells other
                than 0/1.

        Example:
            >>> import safeheads
            >>> safeheads.LabelMap(["news", "sports", "tech"]).decode_multi_hot([[1, 0, 1], [0, 0, 0]])
            [['news', 'tech'], []]
        """
        array = np.asarray(_to_numpy(y))
        if array.ndim != 2 or array.shape[1] != self.n:
            raise LabelFormatError(
                f"Expected a 0/1 matrix of shape (N, {self.n}) for the {self.n} names. "
                f"Received: shape {array.shape}. Pass one row per sample with one column per "
                "name, as head.decode or to_multi_hot returns them."
            )
        if not array.shape[0]:
            return []  # no samples, as decode([]) gives no names
        cells = _parse_matrix(array).values
        counts = cells.sum(axis=1, dtype=np.int64).tolist()
        names = iter(self._table[np.nonzero(cells)[1]].tolist())
        return [list(itertools.islice(names, count)) for count in counts]


def _rows(rows: list[Any]) -> list[Any]:
    """``rows`` if each is a list, tuple, set or array of labels; else the error for the first."""
    if all(issubclass(kind, _ROW_TYPES) for kind in set(map(type, rows))):
        return rows
    i, row = next((i, row) for i, row in enumerate(rows) if not isinstance(row, _ROW_TYPES))
    raise LabelFormatError(
        f"Expected one list of labels per sample. Received: y[{i}]={describe_value(row)}. "
        "Wrap single labels in a list, e.g. ['sports'], or [] for no label."
    )


def _whole(value: Any) -> bool:
    """Whether a number is a finite integral value (a Python int of any size is)."""
    return isinstance(value, int) or (math.isfinite(value) and float(value).is_integer())


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _equal_length_rows(y: Any) -> bool:
    """Whether ``y`` is a list or tuple of lists or tuples all as long as the first; stops
    at the first row that is not (label lists of different lengths stop at once)."""
    if not isinstance(y, (list, tuple)) or not y or not isinstance(y[0], (list, tuple)):
        return False
    width = len(y[0])
    return all(isinstance(row, (list, tuple)) and len(row) == width for row in y)


def _refuse_indicator_matrix(y: Any) -> None:
    """A 0/1 matrix (one-hot or multi-hot rows, numpy or equal-length numeric lists) is an
    encoding whose columns already are the class ids, not names: refuse it."""
    if isinstance(y, np.ndarray):
        matrix = y if y.ndim == 2 and y.dtype.kind in "biuf" else None
    elif _equal_length_rows(y):
        try:
            matrix = np.asarray(y)
        except ValueError:  # rows holding lists
            return
        if matrix.ndim != 2 or matrix.dtype.kind not in "biuf":
            return
    else:
        return
    if matrix is None or matrix.shape[1] < 2 or not np.isin(matrix, (0, 1)).all():
        return
    raise LabelFormatError(
        f"Expected class names, one per sample, or one list of names per sample for "
        f"LabelMap.from_labels. Received: a 0/1 matrix of shape {matrix.shape} (one-hot or "
        "multi-hot rows), whose columns already are the class ids. Pass the names of the "
        f"{matrix.shape[1]} columns in order: LabelMap(class_names)."
    )


def _no_labels() -> LabelFormatError:
    return LabelFormatError("Expected at least one label. Received: no labels.")
