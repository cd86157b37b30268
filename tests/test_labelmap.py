"""LabelMap: order, encode/decode, label lists, errors, and class names on heads."""

from __future__ import annotations

import re
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import safeheads
from safeheads import LabelFormatError, LabelMap


def raises(error: type[Exception], message: str) -> Any:
    """``pytest.raises`` that matches the whole message."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


ANIMALS = LabelMap(["bird", "cat", "dog"])
NAMES_TEXT = "LabelMap's 3 names ['bird', 'cat', 'dog']"

# ----------------------------------------------------------------------------- order

ORDER_CASES = [
    pytest.param(LabelMap(["dog", "cat", "bird"]), ("dog", "cat", "bird"), id="given-order-kept"),
    pytest.param(
        LabelMap.from_labels(["dog", "cat", "bird", "cat"]),
        ("bird", "cat", "dog"),
        id="from-labels-sorted",
    ),
    pytest.param(LabelMap.from_labels(np.array(["b", "a", "b"])), ("a", "b"), id="from-numpy-str"),
    pytest.param(
        LabelMap.from_labels(np.array([[b"b"], [b"a"]])), ("a", "b"), id="from-bytes-column"
    ),
    pytest.param(
        LabelMap.from_labels(tf.constant(["b", "a"])), ("a", "b"), id="from-string-tensor"
    ),
    pytest.param(LabelMap.from_labels([10, 3, 3, 7]), (3, 7, 10), id="ints-numeric-order"),
    pytest.param(LabelMap.from_labels(np.array([10, 3], dtype=np.int32)), (3, 10), id="numpy-ints"),
    pytest.param(
        LabelMap.from_labels([["sports", "politics"], [], ["sports"]]),
        ("politics", "sports"),
        id="label-lists",
    ),
    pytest.param(
        LabelMap.from_labels([{"y", "x"}, ("z",), np.array(["w"])]),
        ("w", "x", "y", "z"),
        id="mixed-row-types",
    ),
    pytest.param(
        LabelMap.from_labels(np.array([["b", "a"], ["c", "a"]])),
        ("a", "b", "c"),
        id="equal-length-rows-array",
    ),
    pytest.param(
        LabelMap.from_labels([np.str_("b"), np.str_("a")]), ("a", "b"), id="numpy-scalars"
    ),
    pytest.param(LabelMap.from_labels([1.5, 0.5]), (0.5, 1.5), id="floats-any-hashable"),
    pytest.param(LabelMap([np.int64(2), np.str_("x")]), (2, "x"), id="numpy-scalars-become-python"),
    pytest.param(
        LabelMap(["Zebra", "apple", "Äpfel"]), ("Zebra", "apple", "Äpfel"), id="unicode-given"
    ),
    pytest.param(
        LabelMap.from_labels(["apple", "Äpfel", "Zebra"]),
        ("Zebra", "apple", "Äpfel"),
        id="unicode-code-point-order",
    ),
]


@pytest.mark.parametrize(("label_map", "expected"), ORDER_CASES)
def test_order(label_map: LabelMap, expected: tuple[Any, ...]) -> None:
    assert label_map.class_names == expected
    assert [type(name) for name in label_map.class_names] == [type(name) for name in expected]
    assert label_map.n == len(label_map) == len(expected)


@pytest.mark.parametrize(
    "y",
    [
        pytest.param(["dog", "cat", "bird", "cat"], id="names"),
        pytest.param([["sports", "politics"], [], ["sports"]], id="label-lists"),
        pytest.param([3, 1, 2, 0, 2, 3, 1, 0], id="ids"),
    ],
)
def test_from_labels_matches_describe_labels_and_head(y: Any) -> None:
    """The same sorted order everywhere: LabelMap, describe_labels, Head.from_labels."""
    label_map = LabelMap.from_labels(y)
    info = safeheads.describe_labels(y)
    if info.class_names is not None:
        assert label_map.class_names == info.class_names
        assert label_map.class_names == safeheads.Head.from_labels(y).class_names
    else:
        assert label_map.class_names == tuple(sorted(set(y)))


def test_order_never_depends_on_sample_order() -> None:
    rng = np.random.default_rng(0)
    y = np.array(["c", "a", "b"] * 10)
    assert LabelMap.from_labels(y) == LabelMap.from_labels(rng.permutation(y))


# ----------------------------------------------------------------------------- encode

ENCODE_CASES = [
    pytest.param(ANIMALS, ["cat", "dog", "bird"], {}, [1, 2, 0], id="list"),
    pytest.param(ANIMALS, ("cat",), {}, [1], id="tuple"),
    pytest.param(ANIMALS, np.array(["dog", "cat"]), {}, [2, 1], id="numpy"),
    pytest.param(ANIMALS, np.array([["dog"], ["cat"]]), {}, [2, 1], id="column-n-1"),
    pytest.param(ANIMALS, np.array([b"dog", b"cat"]), {}, [2, 1], id="numpy-bytes"),
    pytest.param(ANIMALS, tf.constant(["dog", "bird"]), {}, [2, 0], id="string-tensor"),
    pytest.param(ANIMALS, [np.str_("cat"), "dog"], {}, [1, 2], id="numpy-scalar-and-str"),
    pytest.param(ANIMALS, np.array(["cat", "dog"], dtype=object), {}, [1, 2], id="object-array"),
    pytest.param(LabelMap(["dog", "cat"]), ["cat", "dog"], {}, [1, 0], id="given-order-ids"),
    pytest.param(LabelMap([10, 3, 7]), [3, 10, 7], {}, [1, 0, 2], id="int-names"),
    pytest.param(
        LabelMap([10, 3]), np.array([3, 10], dtype=np.uint8), {}, [1, 0], id="int-names-uint8"
    ),
    pytest.param(LabelMap([10, 3]), [3.0, 10.0], {}, [1, 0], id="python-equality-float"),
    pytest.param(LabelMap([("a", 1), ("b", 2), 3]), [3, ("b", 2)], {}, [2, 1], id="tuple-names"),
    pytest.param(LabelMap(["a", 1]), [1, "a", 1], {}, [1, 0, 1], id="mixed-names"),
    pytest.param(LabelMap(["a\x00", "a"]), ["a", "a\x00"], {}, [1, 0], id="trailing-nul-names"),
    pytest.param(LabelMap([2**70, 1]), [1, 2**70], {}, [1, 0], id="huge-int-names"),
    pytest.param(LabelMap([10**12, 1]), np.array([1, 10**12]), {}, [1, 0], id="wide-int-names"),
    pytest.param(LabelMap(["a", 1]), np.array([1, 1]), {}, [1, 1], id="numpy-ids-object-names"),
    pytest.param(
        LabelMap(["neg", "pos", "other"]),
        ["pos", "neutral"],
        {"default": "other"},
        [1, 2],
        id="default",
    ),
    pytest.param(
        LabelMap(["neg", "pos", "other"]),
        ["pos", "neg"],
        {"default": "other"},
        [1, 0],
        id="default-unused",
    ),
    pytest.param(
        LabelMap([1, 2, 0]), ["x", 2], {"default": np.int64(0)}, [2, 1], id="default-numpy-scalar"
    ),
]


@pytest.mark.parametrize(("label_map", "y", "options", "expected"), ENCODE_CASES)
def test_encode(label_map: LabelMap, y: Any, options: dict[str, Any], expected: list[int]) -> None:
    ids = label_map.encode(y, **options)
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, expected)


ENCODE_ERRORS = [
    pytest.param(
        ANIMALS,
        ["cow", "cat", "emu"],
        {},
        LabelFormatError,
        f"Expected class names among the {NAMES_TEXT}. Received: y[0]='cow' (2 of 3 values "
        "unknown). Add the missing names to the LabelMap, drop those samples, or pass "
        "default=<a class name> to map them to one class (e.g. 'other').",
        id="unknown",
    ),
    pytest.param(
        ANIMALS,
        ["cat", 1],
        {},
        LabelFormatError,
        f"Expected class names among the {NAMES_TEXT}. Received: y[1]=1 (1 of 2 values "
        "unknown). The labels are ints but the names are strings. Add the missing names to "
        "the LabelMap, drop those samples, or pass default=<a class name> to map them to one "
        "class (e.g. 'other').",
        id="int-among-str-is-not-its-string",
    ),
    pytest.param(
        ANIMALS,
        ["cat", "cat\x00"],
        {},
        LabelFormatError,
        f"Expected class names among the {NAMES_TEXT}. Received: y[1]='cat\\x00' (1 of 2 "
        "values unknown). Add the missing names to the LabelMap, drop those samples, or pass "
        "default=<a class name> to map them to one class (e.g. 'other').",
        id="trailing-nul-is-not-dropped",
    ),
    pytest.param(
        ANIMALS,
        np.array([0, 1]),
        {},
        LabelFormatError,
        f"Expected class names among the {NAMES_TEXT}. Received: y[0]=0 (2 of 2 values "
        "unknown). The labels are ints but the names are strings. Add the missing names to "
        "the LabelMap, drop those samples, or pass default=<a class name> to map them to one "
        "class (e.g. 'other').",
        id="ids-for-names",
    ),
    pytest.param(
        LabelMap(range(12)),
        ["3"],
        {},
        LabelFormatError,
        "Expected class names among the LabelMap's 12 names [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] + 2 "
        "more. Received: y[0]='3' (1 of 1 values unknown). The labels are strings but the "
        "names are ints. Add the missing names to the LabelMap, drop those samples, or pass "
        "default=<a class name> to map them to one class (e.g. 'other').",
        id="long-map-names-shortened",
    ),
    pytest.param(
        ANIMALS,
        [],
        {},
        LabelFormatError,
        "Expected at least one label. Received: no labels.",
        id="empty",
    ),
    pytest.param(
        LabelMap([1, 2]),
        np.array([2, 2**63 + 5], dtype=np.uint64),
        {},
        LabelFormatError,
        "Expected class names among the LabelMap's 2 names [1, 2]. Received: "
        "y[1]=9223372036854775813 (1 of 2 values unknown). Add the missing names to the "
        "LabelMap, drop those samples, or pass default=<a class name> to map them to one class "
        "(e.g. 'other').",
        id="uint64-beyond-int64",
    ),
    pytest.param(
        ANIMALS,
        "cat",
        {},
        LabelFormatError,
        "Expected a sequence of labels, one per sample, for LabelMap.encode. Received: "
        "y='cat'. Wrap a single label in a list: [y].",
        id="bare-string",
    ),
    pytest.param(
        ANIMALS,
        np.array(["cat", "dog"]).reshape(1, 2),
        {},
        LabelFormatError,
        "Expected one label per sample, shape (N,) or (N, 1), for LabelMap.encode. Received: "
        "shape (1, 2). For several labels per sample use label_map.to_multi_hot(label_lists).",
        id="matrix",
    ),
    pytest.param(
        ANIMALS,
        np.array("cat"),
        {},
        LabelFormatError,
        "Expected one label per sample, shape (N,) or (N, 1), for LabelMap.encode. Received: "
        "shape (). For several labels per sample use label_map.to_multi_hot(label_lists).",
        id="scalar-array",
    ),
    pytest.param(
        ANIMALS,
        ["cat", ["dog", "cat"]],
        {},
        LabelFormatError,
        "Expected one class name per sample for LabelMap.encode. Received: y[1]=['dog', 'cat'] "
        "of type list, several labels. For one list of labels per sample use "
        "label_map.to_multi_hot(label_lists).",
        id="label-lists",
    ),
    pytest.param(
        ANIMALS,
        [{"a": 1}],
        {},
        TypeError,
        "Expected hashable labels. Received: y[0]={'a': 1} of type dict.",
        id="unhashable",
    ),
    pytest.param(
        ANIMALS,
        ["cat"],
        {"default": "cow"},
        LabelFormatError,
        f"Expected `default` to be one of the {NAMES_TEXT}. Received: default='cow'. Add it to "
        "the names first, e.g. LabelMap([*names, 'other']).",
        id="default-not-a-name",
    ),
    pytest.param(
        ANIMALS,
        ["cat"],
        {"default": ["cat"]},
        LabelFormatError,
        f"Expected `default` to be one of the {NAMES_TEXT}. Received: default=['cat'] of type "
        "list. Add it to the names first, e.g. LabelMap([*names, 'other']).",
        id="default-unhashable",
    ),
    pytest.param(
        ANIMALS,
        {"dog", "cat"},
        {},
        LabelFormatError,
        "Expected a sequence of labels, one per sample, for LabelMap.encode. Received: a set of "
        "2 labels, which has no order: the ids would not line up with the samples. Pass a list.",
        id="set",
    ),
    pytest.param(
        ANIMALS,
        {"dog": 0},
        {},
        LabelFormatError,
        "Expected a sequence of labels, one per sample, for LabelMap.encode. Received: a dict of "
        "1 labels, which has no order: the ids would not line up with the samples. Pass a list.",
        id="dict",
    ),
    pytest.param(
        ANIMALS,
        np.array([b"cat", b"\xff"]),
        {},
        LabelFormatError,
        "Expected class names as str or UTF-8 bytes. Received: y[1]=b'\\xff'. Decode them "
        "first, e.g. name.decode('latin-1').",
        id="not-utf8-array",
    ),
]


@pytest.mark.parametrize(("label_map", "y", "options", "error", "message"), ENCODE_ERRORS)
def test_encode_errors(
    label_map: LabelMap, y: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with raises(error, message):
        label_map.encode(y, **options)


def test_encode_uint64_ids_of_far_apart_int_names() -> None:
    # searchsorted compared int64 names with uint64 labels as floats: a known name was
    # reported unknown.
    label_map = LabelMap([0, 2**62 + 1, 2**62 + 2])
    assert label_map.encode(np.array([2**62 + 2, 0], dtype=np.uint64)).tolist() == [2, 0]


def test_from_labels_reads_equal_int_and_float_names_as_the_int() -> None:
    # The name kept used to be the first one seen: 1.0 or 1, by sample order.
    for y in ([1.0, 1, 0], [1, 1.0, 0], [1.0, 1], [1, 1.0]):
        names = LabelMap.from_labels(y).class_names
        assert names[-1] == 1 and all(type(name) is int for name in names)


def test_encode_ragged_tensor_is_refused() -> None:
    with raises(
        LabelFormatError,
        "Expected a dense label array. Received: a RaggedTensor. For lists of labels per sample "
        "pass y.to_list(); for a sparse indicator matrix pass tf.sparse.to_dense(y).",
    ):
        ANIMALS.encode(tf.ragged.constant([["cat"], ["dog", "cat"]]))


def test_encode_is_vectorised_for_many_samples() -> None:
    """1e5 names in one call: the fast path, checked against a dict lookup."""
    names = np.array([f"class_{i:03d}" for i in range(300)])
    label_map = LabelMap(names[::-1])
    y = np.random.default_rng(0).choice(names, 100_000)
    lookup = {name: i for i, name in enumerate(label_map.class_names)}
    np.testing.assert_array_equal(label_map.encode(y), [lookup[v] for v in y.tolist()])


# ----------------------------------------------------------------------------- decode

DECODE_CASES = [
    pytest.param(ANIMALS, [2, 0, 0], np.array(["dog", "bird", "bird"]), id="ids"),
    pytest.param(ANIMALS, np.array([[1], [2]]), np.array(["cat", "dog"]), id="column-n-1"),
    pytest.param(ANIMALS, np.array([1.0, 2.0]), np.array(["cat", "dog"]), id="integral-floats"),
    pytest.param(ANIMALS, np.array([True, False]), np.array(["cat", "bird"]), id="bools"),
    pytest.param(ANIMALS, tf.constant([2, 1]), np.array(["dog", "cat"]), id="tensor"),
    pytest.param(ANIMALS, [], np.array([], dtype=str), id="empty"),
    pytest.param(LabelMap([10, 3]), [1, 0], np.array([3, 10]), id="int-names"),
]


@pytest.mark.parametrize(("label_map", "ids", "expected"), DECODE_CASES)
def test_decode(label_map: LabelMap, ids: Any, expected: np.ndarray) -> None:
    names = label_map.decode(ids)
    np.testing.assert_array_equal(names, expected)
    assert names.dtype.kind == expected.dtype.kind


def test_decode_object_names_keeps_tuples_whole() -> None:
    label_map = LabelMap([("a", 1), 3])
    names = label_map.decode([0, 1, 0])
    assert names.dtype == object and names.shape == (3,)
    assert names.tolist() == [("a", 1), 3, ("a", 1)]
    assert label_map.decode([]).shape == (0,)


DECODE_ERRORS = [
    pytest.param(
        [0, -1, 3],
        "Expected class ids in [0, 3). Received: y[1]=-1 (2 of 3 values out of range). The "
        "LabelMap has 3 names; check that it is the map the model was trained with.",
        id="negative",
    ),
    pytest.param(
        [0, 3],
        "Expected class ids in [0, 3). Received: y[1]=3 (1 of 2 values out of range). The "
        "LabelMap has 3 names; check that it is the map the model was trained with.",
        id="out-of-range",
    ),
    pytest.param(
        [0.5, 1.0],
        "Expected finite, integral class ids. Received: y[0]=0.5 (1 of 2 values not integral "
        "or not finite). For scores or probabilities take argmax(axis=1) or use head.decode "
        "first.",
        id="non-integral",
    ),
    pytest.param(
        [1.0, np.nan, np.inf],
        "Expected finite, integral class ids. Received: y[1]=nan (2 of 3 values not integral "
        "or not finite). For scores or probabilities take argmax(axis=1) or use head.decode "
        "first.",
        id="nan-inf",
    ),
    pytest.param(
        ["cat"],
        "Expected numeric class ids. Received: dtype <U3, y[0]='cat'. To map names to ids use "
        "label_map.encode(y).",
        id="names",
    ),
    pytest.param(
        np.zeros((2, 3)),
        "Expected class ids of shape (N,) or (N, 1). Received: shape (2, 3). For a 0/1 matrix "
        "use label_map.decode_multi_hot(y); for scores take argmax(axis=1) first.",
        id="matrix",
    ),
]


@pytest.mark.parametrize(("ids", "message"), DECODE_ERRORS)
def test_decode_errors(ids: Any, message: str) -> None:
    with raises(LabelFormatError, message):
        ANIMALS.decode(ids)


# ----------------------------------------------------------------------------- label lists

MULTI_HOT_CASES = [
    pytest.param([["cat", "dog"], [], ["bird"]], {}, [[0, 1, 1], [0, 0, 0], [1, 0, 0]], id="lists"),
    pytest.param(
        (("dog",), ("dog", "dog")), {}, [[0, 0, 1], [0, 0, 1]], id="tuples-duplicates-once"
    ),
    pytest.param([{"cat", "bird"}, frozenset()], {}, [[1, 1, 0], [0, 0, 0]], id="sets"),
    pytest.param(
        [np.array(["cat"]), np.array([], dtype=str)], {}, [[0, 1, 0], [0, 0, 0]], id="arrays"
    ),
    pytest.param(
        np.array([["cat", "dog"], ["bird", "cat"]]), {}, [[0, 1, 1], [1, 1, 0]], id="2d-array"
    ),
    pytest.param([[], []], {}, [[0, 0, 0], [0, 0, 0]], id="all-empty"),
    pytest.param(iter([["dog"]]), {}, [[0, 0, 1]], id="iterator"),
    pytest.param(
        [["cat", "cow"], ["emu"]], {"unknown": "ignore"}, [[0, 1, 0], [0, 0, 0]], id="ignore"
    ),
    pytest.param(
        [[b"cat"], [np.str_("dog")]], {}, [[0, 1, 0], [0, 0, 1]], id="bytes-and-numpy-str"
    ),
]


@pytest.mark.parametrize(("label_lists", "options", "expected"), MULTI_HOT_CASES)
def test_to_multi_hot(label_lists: Any, options: dict[str, Any], expected: list[list[int]]) -> None:
    out = ANIMALS.to_multi_hot(label_lists, **options)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def test_to_multi_hot_int_names_matches_to_multi_hot_of_ids() -> None:
    label_map = LabelMap(range(5))
    lists = [[0, 4], [], [2, 2, 1]]
    np.testing.assert_array_equal(label_map.to_multi_hot(lists), safeheads.to_multi_hot(lists, 5))


MULTI_HOT_ERRORS = [
    pytest.param(
        [["cat"], ["dog", "cow"], ["emu"]],
        {},
        LabelFormatError,
        f"Expected labels among the {NAMES_TEXT}. Received: y[1][1]='cow' (2 of 4 labels "
        "unknown). Add the missing names to the LabelMap, or pass unknown='ignore' to drop them.",
        id="unknown",
    ),
    pytest.param(
        [["cat"], "dog"],
        {},
        LabelFormatError,
        "Expected one list of labels per sample. Received: y[1]='dog'. Wrap single labels in a "
        "list, e.g. ['sports'], or [] for no label.",
        id="bare-string-row",
    ),
    pytest.param(
        ["cat", "dog"],
        {},
        LabelFormatError,
        "Expected one list of labels per sample. Received: y[0]='cat'. Wrap single labels in a "
        "list, e.g. ['sports'], or [] for no label.",
        id="single-labels",
    ),
    pytest.param(
        "cat",
        {},
        LabelFormatError,
        "Expected one list of labels per sample. Received: label_lists='cat'. Pass a list of lists, e.g. [['news'], ['news', 'tech'], []].",
        id="bare-string",
    ),
    pytest.param(
        [],
        {},
        LabelFormatError,
        "Expected at least one sample. Received: no label lists. Pass one list per sample ([] for a sample with no label).",
        id="empty",
    ),
    pytest.param(
        [["cat"]],
        {"unknown": "drop"},
        LabelFormatError,
        "Expected `unknown` to be one of 'error', 'ignore'. Received: unknown='drop'. Pass "
        "unknown='ignore' to skip names not in the map, or leave it out to refuse them.",
        id="bad-unknown-option",
    ),
    pytest.param(
        [["bird"], ["cat", ["dog"]]],
        {},
        TypeError,
        "Expected hashable labels. Received: y[1][1]=['dog'] of type list.",
        id="nested-lists",
    ),
    pytest.param(
        {("cat",), ("dog",), ("bird",)},
        {},
        LabelFormatError,
        "Expected one list of labels per sample. Received: a set of 3 rows, which has no "
        "order: the rows would not line up with the samples. Pass a list.",
        id="set-of-rows",  # rows came back in hash order
    ),
    pytest.param(
        np.array("cat"),
        {},
        LabelFormatError,
        "Expected one list of labels per sample. Received: label_lists=array('cat', "
        "dtype='<U3') of type ndarray. Pass a list of lists, e.g. [['news'], ['news', 'tech'], "
        "[]].",
        id="0-d-array",
    ),
]


@pytest.mark.parametrize(("label_lists", "options", "error", "message"), MULTI_HOT_ERRORS)
def test_to_multi_hot_errors(
    label_lists: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with raises(error, message):
        ANIMALS.to_multi_hot(label_lists, **options)


def test_decode_multi_hot_round_trip() -> None:
    lists = [["cat", "dog"], [], ["bird"], ["dog", "bird", "cat"]]
    matrix = ANIMALS.to_multi_hot(lists)
    assert ANIMALS.decode_multi_hot(matrix) == [sorted(row) for row in lists]
    assert ANIMALS.decode_multi_hot(matrix.astype(bool)) == [sorted(row) for row in lists]
    assert LabelMap([5, 7]).decode_multi_hot(np.array([[0, 1], [1, 1]])) == [[7], [5, 7]]
    assert ANIMALS.decode_multi_hot(np.zeros((0, ANIMALS.n))) == []  # no samples


@pytest.mark.parametrize(
    ("y", "message"),
    [
        pytest.param(
            np.zeros((2, 2)),
            "Expected a 0/1 matrix of shape (N, 3) for the 3 names. Received: shape (2, 2). Pass one row per sample with one column per name, as head.decode or to_multi_hot returns them.",
            id="width",
        ),
        pytest.param(
            [1, 0, 1],
            "Expected a 0/1 matrix of shape (N, 3) for the 3 names. Received: shape (3,). Pass one row per sample with one column per name, as head.decode or to_multi_hot returns them.",
            id="rank",
        ),
        pytest.param(
            [[1, 0, 2]],
            "Expected 0/1 cells in a one-hot or multi-hot matrix. Received: y[0, 2]=2 (1 of 3 "
            "cells not 0 or 1). If each row lists class ids, use safeheads.to_multi_hot(y, n); "
            "for one class id per sample pass a 1-D array.",
            id="cell-not-0-1",
        ),
        pytest.param(
            np.array([["1", "0", "1"]]),
            "Expected a numeric 0/1 matrix. Received: dtype <U1 with shape (1, 3), y[0, 0]='1'. "
            "Convert the cells to ints, e.g. y.astype(int).",
            id="strings",
        ),
    ],
)
def test_decode_multi_hot_errors(y: Any, message: str) -> None:
    with raises(LabelFormatError, message):
        ANIMALS.decode_multi_hot(y)


# ----------------------------------------------------------------------------- construction

CONSTRUCTION_ERRORS = [
    pytest.param(
        "abc",
        TypeError,
        "Expected `class_names` to be a sequence of class names. Received: class_names='abc'. "
        "A string is a sequence of characters: pass [class_names].",
        id="string",
    ),
    pytest.param(
        5,
        TypeError,
        "Expected `class_names` to be a sequence of class names. Received: class_names=5.",
        id="not-iterable",
    ),
    pytest.param(
        [],
        LabelFormatError,
        "Expected at least one class name. Received: class_names=[]. Use "
        "LabelMap.from_labels(y) to collect the names from the labels.",
        id="empty",
    ),
    pytest.param(
        ["a", "b", "a", "b"],
        LabelFormatError,
        "Expected distinct class names. Received: class_names[2]='a' equals class_names[0]='a' "
        "(2 of 4 names repeat). Remove the duplicates; for names collected from labels use "
        "LabelMap.from_labels(y).",
        id="duplicates",
    ),
    pytest.param(
        ["a", ["b"]],
        TypeError,
        "Expected hashable class names. Received: class_names[1]=['b'] of type list. Use a str, "
        "int or tuple instead.",
        id="unhashable",
    ),
    pytest.param(
        [1.0, float("nan")],
        LabelFormatError,
        "Expected finite class names. Received: class_names[1]=nan. NaN equals no label and "
        "inf is no class: use a str name for that class.",
        id="nan",
    ),
    pytest.param(
        ["a", b"\xff"],
        LabelFormatError,
        "Expected class names as str or UTF-8 bytes. Received: class_names[1]=b'\\xff'. "
        "Decode them first, e.g. name.decode('latin-1').",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("class_names", "error", "message"), CONSTRUCTION_ERRORS)
def test_construction_errors(class_names: Any, error: type[Exception], message: str) -> None:
    with raises(error, message):
        LabelMap(class_names)


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        pytest.param(
            [], LabelFormatError, "Expected at least one label. Received: no labels.", id="empty"
        ),
        pytest.param(
            [[], []],
            LabelFormatError,
            "Expected at least one label. Received: no labels.",
            id="empty-lists",
        ),
        pytest.param(
            np.array([], dtype=str),
            LabelFormatError,
            "Expected at least one label. Received: no labels.",
            id="empty-array",
        ),
        pytest.param(
            set(),
            LabelFormatError,
            "Expected at least one label. Received: no labels.",
            id="empty-set",
        ),
        pytest.param(
            "abc",
            LabelFormatError,
            "Expected a sequence of labels, one per sample, for LabelMap.from_labels. Received: "
            "y='abc'. Wrap a single label in a list: [y].",
            id="bare-string",
        ),
        pytest.param(
            [{"a": 1}],
            TypeError,
            "Expected hashable labels. Received: y[0]={'a': 1} of type dict.",
            id="unhashable",
        ),
        pytest.param(
            [["a"], "b"],
            LabelFormatError,
            "Expected one list of labels per sample. Received: y[1]='b'. Wrap single labels in "
            "a list, e.g. ['sports'], or [] for no label.",
            id="lists-mixed-with-single-labels",
        ),
        pytest.param(
            [["a"], ["b", ["c"]], []],
            TypeError,
            "Expected hashable labels. Received: y[1][1]=['c'] of type list.",
            id="nested-lists",
        ),
        pytest.param(
            ["a", 1],
            TypeError,
            "Expected class names that can be sorted. Received: names of types ['int', 'str']. "
            "Pass the names in the order you want to LabelMap(class_names).",
            id="unsortable",
        ),
        pytest.param(
            np.eye(5),
            LabelFormatError,
            "Expected class names, one per sample, or one list of names per sample for "
            "LabelMap.from_labels. Received: a 0/1 matrix of shape (5, 5) (one-hot or multi-hot "
            "rows), whose columns already are the class ids. Pass the names of the 5 columns in "
            "order: LabelMap(class_names).",
            id="one-hot-array",
        ),
        pytest.param(
            [[0, 1, 0], [1, 1, 0]],
            LabelFormatError,
            "Expected class names, one per sample, or one list of names per sample for "
            "LabelMap.from_labels. Received: a 0/1 matrix of shape (2, 3) (one-hot or multi-hot "
            "rows), whose columns already are the class ids. Pass the names of the 3 columns in "
            "order: LabelMap(class_names).",
            id="multi-hot-lists",
        ),
        pytest.param(
            [["a"], ["b", b"\xff"]],
            LabelFormatError,
            "Expected class names as str or UTF-8 bytes. Received: y[1][1]=b'\\xff'. Decode "
            "them first, e.g. name.decode('latin-1').",
            id="not-utf8",
        ),
        pytest.param(
            np.array([[b"a", b"b"], [b"c", b"\xff"]]),
            LabelFormatError,
            "Expected class names as str or UTF-8 bytes. Received: y[1][1]=b'\\xff'. Decode "
            "them first, e.g. name.decode('latin-1').",
            id="not-utf8-2d-array",
        ),
        pytest.param(
            np.zeros((2, 1, 2)),
            LabelFormatError,
            "Expected labels one per sample (1-D) or k per sample (2-D) for "
            "LabelMap.from_labels. Received: an array of shape (2, 1, 2). Pass one row of labels "
            "per sample.",
            id="3-d",
        ),
        pytest.param(
            {"main": ["cat", "dog"], "aux": ["x", "y"]},
            LabelFormatError,
            "Expected a sequence of labels, one per sample, for LabelMap.from_labels. Received: "
            "a dict with keys ['main', 'aux']. Pass one output's labels, y[key].",
            id="dict-of-outputs",  # built a map of the keys before
        ),
    ],
)
def test_from_labels_errors(y: Any, error: type[Exception], message: str) -> None:
    with raises(error, message):
        LabelMap.from_labels(y)


# ----------------------------------------------------------------------------- dunder methods


def test_equality_and_hash() -> None:
    assert LabelMap(["a", "b"]) == LabelMap.from_labels(["b", "a"])
    assert LabelMap(["a", "b"]) != LabelMap(["b", "a"])  # order is part of the map
    assert LabelMap([1, 2]) != LabelMap(["1", "2"])
    assert LabelMap(["a"]) != ("a",)
    assert len({LabelMap(["a", "b"]), LabelMap.from_labels(["a", "b"])}) == 1


@pytest.mark.parametrize(
    ("label_map", "text"),
    [
        pytest.param(LabelMap(["b", "a"]), "LabelMap(['b', 'a'])", id="short"),
        pytest.param(LabelMap([("x", 1), 2]), "LabelMap([('x', 1), 2])", id="objects"),
        pytest.param(LabelMap(range(10)), "LabelMap([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])", id="ten"),
        pytest.param(
            LabelMap([f"c{i}" for i in range(1000)]),
            "LabelMap(['c0', 'c1', 'c2', 'c3', 'c4', ..., 'c999'], n=1000)",
            id="long",
        ),
    ],
)
def test_repr(label_map: LabelMap, text: str) -> None:
    assert repr(label_map) == text


def test_repr_round_trips_for_short_maps() -> None:
    label_map = LabelMap(["b", "a", "c"])
    assert eval(repr(label_map), {"LabelMap": LabelMap}) == label_map


# ----------------------------------------------------------------------------- heads


def test_class_names_on_a_multiclass_head() -> None:
    y = ["dog", "cat", "bird", "cat", "dog"]
    label_map = LabelMap.from_labels(y)
    head = safeheads.classification_head(
        "multiclass", label_map.n, class_names=label_map.class_names
    )
    np.testing.assert_array_equal(head.encode(y), label_map.encode(y))
    outputs = np.eye(label_map.n, dtype=np.float32)[label_map.encode(y)]
    np.testing.assert_array_equal(
        head.decode(outputs, names=True), label_map.decode(head.decode(outputs))
    )
    np.testing.assert_array_equal(head.decode(outputs, names=True), y)


def test_class_names_on_a_multilabel_head() -> None:
    lists = [["news", "tech"], [], ["sports"]]
    label_map = LabelMap.from_labels(lists)
    head = safeheads.classification_head(
        "multilabel", label_map.n, class_names=label_map.class_names
    )
    np.testing.assert_array_equal(head.encode(lists), label_map.to_multi_hot(lists))
    decided = head.decode(label_map.to_multi_hot(lists))
    assert head.decode(label_map.to_multi_hot(lists), names=True) == label_map.decode_multi_hot(
        decided
    )


def test_int_class_names_on_a_head() -> None:
    label_map = LabelMap.from_labels([5, 1, 3])
    head = safeheads.classification_head("multiclass", 3, class_names=label_map.class_names)
    assert head.class_names == (1, 3, 5)


def test_class_names_survive_keras_save_and_load(tmp_path: Any) -> None:
    label_map = LabelMap(["negative", "neutral", "positive"])
    head = safeheads.classification_head(
        "multiclass", label_map.n, class_names=label_map.class_names
    )
    model = keras.Sequential([keras.Input((4,)), head.layer])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = safeheads.Head.from_model(keras.models.load_model(path))
    assert LabelMap(loaded.class_names) == label_map


def test_tuple_names_are_refused_by_heads_with_the_heads_message() -> None:
    label_map = LabelMap([("a", 1), ("b", 2)])
    with pytest.raises(TypeError, match=r"^Expected `class_names` to hold str or int"):
        safeheads.classification_head("multiclass", 2, class_names=label_map.class_names)


@pytest.mark.parametrize(
    ("y", "where"),
    [
        pytest.param(np.array([1.0, np.nan, 2.0]), "y[1]=nan", id="array"),
        pytest.param([3.0, float("nan"), 1.0], "y[1]=nan", id="list"),
        pytest.param([np.float64(1.0), np.float64("inf")], "y[1]=inf", id="list-numpy-inf"),
        pytest.param([[1.0], [2.0, float("nan")]], "y[1][1]=nan", id="label-lists"),
        pytest.param(np.array([[1.0, 2.0], [3.0, np.nan]]), "y[1][1]=nan", id="2-d-array"),
    ],
)
def test_from_labels_refuses_nan(y: object, where: str) -> None:
    message = (
        f"Expected finite labels for LabelMap.from_labels. Received: {where}. Drop or fix "
        "those samples; NaN and inf are no class names."
    )
    with pytest.raises(safeheads.LabelFormatError, match=f"^{re.escape(message)}$"):
        safeheads.LabelMap.from_labels(y)


# ----------------------------------------------------------------------------- tensors


def _jax_array(values: Any) -> Any:
    jnp = pytest.importorskip("jax.numpy")
    return jnp.asarray(values)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda: LabelMap.from_labels(_jax_array([3, 1, 3])).class_names, (1, 3), id="jax-ids"
        ),
        pytest.param(
            lambda: LabelMap([0, 1, 2]).encode(_jax_array([0, 2])), [0, 2], id="jax-encode"
        ),
        pytest.param(
            lambda: LabelMap([0, 1, 2]).encode([tf.constant(0), tf.constant(2)]),
            [0, 2],
            id="tf-items",
        ),
        pytest.param(
            lambda: LabelMap([0, 1, 2]).encode([np.array(0), np.array(2)]), [0, 2], id="0d-arrays"
        ),
        pytest.param(
            lambda: LabelMap.from_labels([np.array(1), np.array(2)]).class_names,
            (1, 2),
            id="from-labels-0d-arrays",
        ),
        pytest.param(
            lambda: LabelMap.from_labels([tf.constant(["a", "b"]), tf.constant(["c"])]).class_names,
            ("a", "b", "c"),
            id="from-labels-tf-rows",
        ),
        pytest.param(
            lambda: LabelMap([0, 1, 2]).to_multi_hot([tf.constant([0, 2]), tf.constant([1])]),
            [[1, 0, 1], [0, 1, 0]],
            id="to-multi-hot-tf-rows",
        ),
    ],
)
def test_label_map_reads_tensor_items_and_rows(call: Any, expected: Any) -> None:
    # Tensor items were "unknown" or "not hashable", jax arrays "not hashable": each
    # sibling (head.encode, safeheads.to_multi_hot) read them.
    result = call()
    if isinstance(expected, tuple):
        assert result == expected
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: LabelMap.from_labels(np.array("cat")),
            "Expected a sequence of labels, one per sample, for LabelMap.from_labels. Received: "
            "a 0-d array, y=array('cat', dtype='<U3') of type ndarray. Wrap a single label in a "
            "list: [y].",
            id="from-labels-0d-array",
        ),
        pytest.param(
            lambda: ANIMALS.decode([[1], [1, 2]]),
            "Expected class ids of shape (N,) or (N, 1). Received: rows of different lengths. "
            "Give one class id per sample.",
            id="decode-ragged",
        ),
        pytest.param(
            lambda: ANIMALS.decode([1, None]),
            "Expected numeric class ids. Received: dtype object, y[1]=None. To map names to "
            "ids use label_map.encode(y).",
            id="decode-names-the-bad-item",
        ),
        pytest.param(
            lambda: ANIMALS.decode([1, 2**70]),
            "Expected class ids in [0, 3). Received: y[1]=1180591620717411303424 (1 of 2 values "
            "out of range). The LabelMap has 3 names; check that it is the map the model was "
            "trained with.",
            id="decode-int-beyond-int64",
        ),
        pytest.param(
            lambda: ANIMALS.decode(np.array([1, 0.5], dtype=object)),
            "Expected finite, integral class ids. Received: y[1]=0.5 (1 of 2 values not "
            "integral or not finite). For scores or probabilities take argmax(axis=1) or use "
            "head.decode first.",
            id="decode-fraction-in-object-array",
        ),
    ],
)
def test_label_map_input_errors(call: Any, message: str) -> None:
    # A 0-d array was taken as a whole label set; decode raised numpy's ValueError on
    # ragged ids and named y[0] for any bad item.
    with raises(LabelFormatError, message):
        call()


@pytest.mark.parametrize(
    ("class_names", "rows", "fix", "convert", "converted"),
    [
        pytest.param(
            [1, 2, 3],
            [[1, 2], [1, 2]],
            "class names, use safeheads.LabelMap(head.class_names).to_multi_hot(y)",
            lambda rows: LabelMap([1, 2, 3]).to_multi_hot(rows),
            [[1, 1, 0], [1, 1, 0]],
            id="int-names",
        ),
        pytest.param(
            ["a", "b", "c"],
            [[0, 2], [1, 2]],
            "class ids, use safeheads.to_multi_hot(y, n)",
            lambda rows: safeheads.to_multi_hot(rows, 3),
            [[1, 0, 1], [0, 1, 1]],
            id="string-names",
        ),
    ],
)
def test_multilabel_hint_for_rows_of_ints_follows_the_class_names(
    class_names: list[Any], rows: list[list[int]], fix: str, convert: Any, converted: Any
) -> None:
    # The hint said safeheads.to_multi_hot(y, n) for int names too, which reads names 1, 2
    # as ids 1, 2; rows of ints on a head named by strings are ids. The fix given works.
    head = safeheads.classification_head("multilabel", 3, class_names=class_names)
    with raises(
        LabelFormatError,
        "Expected 0/1 cells in a one-hot or multi-hot matrix. Received: y[0, 1]=2 (2 of 4 "
        f"cells not 0 or 1). If each row lists {fix}; for one class id per sample pass a "
        "1-D array.",
    ):
        head.encode(rows)
    np.testing.assert_array_equal(convert(rows), converted)


def test_int_named_multilabel_head_width_error_hints_at_its_names() -> None:
    head = safeheads.classification_head("multilabel", 3, class_names=[1, 2, 3])
    with raises(
        LabelFormatError,
        "Expected 3 columns (labels) to match the head's n=3. Received: one-hot labels of "
        "shape (2, 2). Build the head with n=2, fix the labels, or, if each row lists class "
        "names, use safeheads.LabelMap(head.class_names).to_multi_hot(y).",
    ):
        head.encode([[1, 0], [0, 1]])
