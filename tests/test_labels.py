"""describe_labels, head.encode and the converters: formats, exact errors, warnings."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import safeheads
from safeheads import LabelFormatError, SafeheadsWarning, classification_head

from tests.cases import INVALID_LABELS, VALID_LABELS, Invalid, Valid


@pytest.mark.parametrize("case", VALID_LABELS)
def test_describe_valid(case: Valid) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SafeheadsWarning)
        info = safeheads.describe_labels(case.y)
    assert (info.task, info.format, info.n, info.class_names) == (
        case.task,
        case.format,
        case.n,
        case.class_names,
    )
    assert info.n_samples == len(case.y)
    assert info.format in safeheads.FORMATS


@pytest.mark.parametrize("case", INVALID_LABELS)
def test_describe_invalid(case: Invalid) -> None:
    with pytest.raises(LabelFormatError, match=f"^{re.escape(case.message)}$"):
        safeheads.describe_labels(case.y)


def test_label_format_error_is_value_error() -> None:
    assert issubclass(LabelFormatError, ValueError)


def test_describe_accepts_tensors() -> None:
    info = safeheads.describe_labels(tf.constant([[0.0, 1.0], [1.0, 0.0]]))
    assert (info.format, info.n) == ("one-hot", 2)


def test_describe_refuses_ragged_tensor() -> None:
    message = (
        "Expected a dense label array. Received: a RaggedTensor. For lists of labels per sample "
        "pass y.to_list(); for a sparse indicator matrix pass tf.sparse.to_dense(y)."
    )
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        safeheads.describe_labels(tf.ragged.constant([[1, 2], [3]]))


def test_describe_refuses_scipy_sparse_matrix() -> None:
    scipy_sparse = pytest.importorskip("scipy.sparse")
    message = (
        "Expected a dense label array. Received: a scipy.sparse csr_matrix of shape (2, 3). For "
        "a sparse indicator matrix pass y.toarray()."
    )
    y = scipy_sparse.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]]))
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        safeheads.describe_labels(y)
    assert safeheads.describe_labels(y.toarray()).format == "multi-hot"


def test_label_info_is_frozen() -> None:
    info = safeheads.describe_labels([0, 1])
    with pytest.raises(AttributeError):
        info.n = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- warnings

WARNINGS = [
    pytest.param(
        [1, 1, 1],
        "Binary labels hold a single value (1) in all 3 samples: the model cannot learn the "
        "other class from them.",
        id="single-value",
    ),
    pytest.param(
        [1, 2, 3, 1, 2, 3],
        "1 of 4 classes have no examples (class ids 0): the head cannot learn them from these "
        "labels. Labels seem to start at 1: subtract 1.",
        id="start-at-one",
    ),
    pytest.param(
        [0, 0, 4, 4],
        "3 of 5 classes have no examples (class ids 1, 2, 3): the head cannot learn them from "
        "these labels.",
        id="gap",
    ),
    pytest.param(
        [[1, 0, 0], [1, 1, 0]],
        "1 of 3 labels have no examples (label ids 2): the head cannot learn them from these "
        "labels.",
        id="multi-hot-empty-label",
    ),
    pytest.param(
        [0, 1, 2, 3, 4, 5, 0],
        "5 of 7 samples have a class that no other sample has: are these ids or a continuous "
        "target rather than class labels?",
        id="unique",
    ),
]


@pytest.mark.parametrize(("y", "message"), WARNINGS)
def test_describe_warns(y: object, message: str) -> None:
    with pytest.warns(SafeheadsWarning, match=f"^{re.escape(message)}$") as record:
        safeheads.describe_labels(y)
    assert len(record) == 1


@pytest.mark.parametrize("case", VALID_LABELS[:12])
def test_encode_never_warns(case: Valid) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        head = classification_head(case.task, case.n)
        head.encode(case.y)


def test_clean_labels_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        safeheads.describe_labels([0, 1, 2, 0, 1, 2])


# --------------------------------------------------------------------------- encode

ENCODE = [
    pytest.param(("binary", None, {}), [0, 1, 1], np.array([[0.0], [1.0], [1.0]]), id="binary"),
    pytest.param(
        ("binary", None, {}), [[1, 0], [0, 1]], np.array([[0.0], [1.0]]), id="binary-one-hot"
    ),
    pytest.param(
        ("binary", None, {"class_names": ["neg", "pos"]}),
        ["pos", "neg"],
        np.array([[1.0], [0.0]]),
        id="binary-names",
    ),
    pytest.param(("multiclass", 3, {}), [2, 0], np.array([2, 0]), id="sparse"),
    pytest.param(
        ("multiclass", 3, {}), [[0, 0, 1], [1, 0, 0]], np.array([2, 0]), id="onehot>sparse"
    ),
    pytest.param(
        ("multiclass", 3, {"labels": "one_hot"}),
        [2, 0],
        np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
        id="sparse>onehot",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": ["c", "b", "a"]}),
        ["a", "c"],
        np.array([2, 0]),
        id="names-given-order",
    ),
    pytest.param(("multiclass", 3, {}), [0, 1], np.array([0, 1]), id="binary-column-as-sparse"),
    pytest.param(
        ("multilabel", 3, {}), [[0, 2], []], np.array([[1.0, 0, 1], [0, 0, 0]]), id="lists"
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[1, 0, 1], [0, 1, 0]],
        np.array([[1.0, 0, 1], [0, 1, 0]]),
        id="multi-hot",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[1, 0, 0], [0, 1, 0]],
        np.array([[1.0, 0, 0], [0, 1, 0]]),
        id="one-hot-rows-are-valid-multi-hot",
    ),
    pytest.param(
        ("multilabel", 2, {"class_names": ["x", "y"]}),
        [["y"], ["x", "y"]],
        np.array([[0.0, 1], [1, 1]]),
        id="lists-of-names",
    ),
    pytest.param(
        ("multilabel", 3, {"class_names": ["a", "b", "c"]}),
        [["a", "c"], ["b", "c"]],
        np.array([[1.0, 0, 1], [0, 1, 1]]),
        id="equal-length-lists-of-names",
    ),
    pytest.param(
        ("multilabel", 3, {"class_names": ["a", "b", "z"]}),
        [["z"], ["a"]],
        np.array([[0.0, 0, 1], [1, 0, 0]]),
        id="one-name-per-list",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [(0,), (2,)],
        np.array([[1.0, 0, 0], [0, 0, 1]]),
        id="one-id-per-tuple",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": [1, 2, 3]}),
        [1, 2, 1],
        np.array([0, 1, 0]),
        id="int-names-map-to-ids",
    ),
    pytest.param(
        ("multilabel", 3, {"class_names": [10, 20, 30]}),
        [[10], [20, 30]],
        np.array([[1.0, 0, 0], [0, 1, 1]]),
        id="lists-of-int-names",
    ),
    pytest.param(
        ("multiclass", 2, {"class_names": ["cat", "dog"]}),
        np.array([b"dog", b"cat"]),
        np.array([1, 0]),
        id="bytes-names",
    ),
]


@pytest.mark.parametrize(("config", "y", "expected"), ENCODE)
def test_encode(config: tuple, y: object, expected: np.ndarray) -> None:
    task, n, options = config
    head = classification_head(task, n, **options)
    encoded = head.encode(y)
    np.testing.assert_array_equal(encoded, expected)
    expected_dtype = np.int32 if encoded.ndim == 1 else np.float32
    assert encoded.dtype == expected_dtype


ENCODE_ERRORS = [
    pytest.param(
        ("multiclass", 3, {}),
        [1, 2, 3],
        "Expected class ids in [0, 3). Received: y[2]=3 (1 of 3 values out of range). Labels "
        "seem to start at 1: subtract 1, or build the head with class_names=[1, 2, 3].",
        id="start-at-one",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        [0, 7, 7, 1],
        "Expected class ids in [0, 3). Received: y[1]=7 (2 of 4 values out of range). Build the "
        "head with n=8, or fix those labels.",
        id="out-of-range",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        [[0, 1, 0, 0], [1, 0, 0, 0]],
        "Expected 3 columns (classes) to match the head's n=3. Received: one-hot labels of shape "
        "(2, 4). Build the head with n=4, or fix the labels.",
        id="one-hot-width",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        [[1, 1, 0], [0, 0, 1]],
        "Expected labels for task='multiclass'. Received: multi-hot labels (shape (2, 3)). Labels "
        "look multi-hot (rows with no 1 or several 1s): use task='multilabel'.",
        id="multi-hot-to-multiclass",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        ["a", "b"],
        "Expected class ids for a head without class names. Received: class names ['a', 'b']. "
        "Pass class_names=... to classification_head (or build the head with "
        "safeheads.Head.from_labels(y)).",
        id="names-without-class-names",
    ),
    pytest.param(
        ("multiclass", 2, {"class_names": ["a", "b"]}),
        ["a", "zebra", "b", "zebra"],
        "Expected labels among the head's class names ['a', 'b']. Received: y[1]='zebra' (2 of 4 "
        "labels unknown). Add the missing names to class_names, or drop those samples.",
        id="unknown-name",
    ),
    pytest.param(
        ("binary", None, {}),
        [0, 1, 2],
        "Expected labels for task='binary'. Received: sparse labels (3 values, n=3). A binary "
        "head takes 0/1 labels; these hold 3 classes: use task='multiclass' with n=3.",
        id="ids-to-binary",
    ),
    pytest.param(
        ("binary", None, {}),
        [1, 2, 2, 1],
        "Expected labels for task='binary'. Received: sparse labels (4 values, n=3). A binary "
        "head takes 0/1 labels; these hold the two values 1 and 2: map them to 0/1 (y == 2), "
        "or build the head with class_names=[1, 2].",
        id="one-two-to-binary",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": ["a", "b", "c"]}),
        [1, 2, 3],
        "Expected class ids in [0, 3). Received: y[2]=3 (1 of 3 values out of range). Labels "
        "seem to start at 1: subtract 1.",
        id="start-at-one-with-class-names",
    ),
    pytest.param(
        ("binary", None, {}),
        [[1, 0, 0], [0, 0, 1]],
        "Expected labels for task='binary'. Received: one-hot labels (shape (2, 3)). A binary "
        "head takes 0/1 labels or (N, 2) one-hot rows: use task='multiclass' with n=3.",
        id="one-hot-3-to-binary",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [0, 2, 1],
        "Expected labels for task='multilabel'. Received: sparse labels (3 values, n=3). A "
        "multilabel head needs a multi-hot (N, n) matrix or one list of labels per sample: wrap "
        "each label in a list, or use task='multiclass'.",
        id="sparse-to-multilabel",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[1, 0, 1, 1]],
        "Expected 3 columns (labels) to match the head's n=3. Received: multi-hot labels of "
        "shape (1, 4). Build the head with n=4, or fix the labels.",
        id="multi-hot-width",
    ),
    pytest.param(
        ("multilabel", 4, {}),
        [[0, 1], [1, 0]],
        "Expected 4 columns (labels) to match the head's n=4. Received: one-hot labels of "
        "shape (2, 2). Build the head with n=2, fix the labels, or, if each row lists class "
        "ids, use safeheads.to_multi_hot(y, 4).",
        id="id-pairs-to-multilabel",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[0], [5, 1]],
        "Expected class ids in [0, 3). Received: y[1][0]=5 (1 of 3 labels out of range). Build "
        "the head with n=6, or fix those labels.",
        id="lists-out-of-range",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": [1, 2, 3]}),
        [1, 4],
        "Expected labels among the head's class names [1, 2, 3]. Received: y[1]=4 (1 of 2 "
        "labels unknown). Add the missing names to class_names, or drop those samples.",
        id="int-names-unknown",
    ),
    pytest.param(
        ("multilabel", 3, {"class_names": [10, 20, 30]}),
        [[10], [40, 20]],
        "Expected labels among the head's class names [10, 20, 30]. Received: y[1][0]=40 (1 of "
        "3 labels unknown). Add the missing names to class_names, or drop those samples.",
        id="lists-int-names-unknown",
    ),
    pytest.param(
        ("multilabel", 3, {"class_names": ["a", "b", "c"]}),
        [["a", "b"], ["c", "z"]],
        "Expected labels among the head's class names ['a', 'b', 'c']. Received: y[1][1]='z' (1 "
        "of 4 labels unknown). Add the missing names to class_names, or drop those samples.",
        id="lists-names-unknown",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        np.array([[1], [2]]),
        "Expected labels for task='multilabel'. Received: sparse labels (2 values, n=3). A "
        "multilabel head needs a multi-hot (N, n) matrix or one list of labels per sample: wrap "
        "each label in a list, or use task='multiclass'.",
        id="column-array-is-not-label-lists",
    ),
    pytest.param(
        ("multilabel", 2, {}),
        [[0], [1], [1], [0]],
        "Expected labels for task='multilabel'. Received: binary-column labels (4 values, n=2). "
        "These one-label lists hold only 0 and 1, as a binary column does: for a binary task "
        "use task='binary'; if they are label lists, pass safeheads.to_multi_hot(y, 2).",
        id="binary-column-lists-are-not-label-lists",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        np.array([0.0, 1e20]),
        "Expected class ids below 2**53. Received: y[1]=1e+20 (1 of 2 values too large). These "
        "are not class ids; fix those samples, or map the labels to 0..n-1.",
        id="huge-float-ids",
    ),
    pytest.param(
        ("binary", 2, {"class_names": [-1, 1]}),
        np.array([2**64 - 1, 1], dtype=np.uint64),
        "Expected class ids below 2**63. Received: y[0]=18446744073709551615 (1 of 2 values too "
        "large). These are not class ids (a -1 stored as an unsigned int?); fix those samples, "
        "or map the labels to 0..n-1.",
        id="uint64-minus-one-with-negative-names",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": ["a", "b", "1"]}),
        [["a"], [1]],
        "Expected labels of one type. Received: y[0][0]='a' is str but y[1][0]=1 is int (1 of "
        "2 values differ). Convert all labels to ints, or all to strings.",
        id="mixed-one-label-rows",
    ),
    pytest.param(
        ("multilabel", 4, {"class_names": ["a", "b", "1", "2"]}),
        [["a", 1], ["b", 2]],
        "Expected labels of one type. Received: y[0][0]='a' is str but y[0][1]=1 is int (2 of "
        "4 values differ). Convert all labels to ints, or all to strings.",
        id="mixed-label-rows",
    ),
    pytest.param(
        ("multiclass", 2, {"class_names": ["a", "b"]}),
        [b"a", b"\xff"],
        "Expected class names as str or UTF-8 bytes. Received: y[1]=b'\\xff'. Decode them "
        "first, e.g. name.decode('latin-1').",
        id="non-utf8-bytes",
    ),
    pytest.param(
        ("binary", None, {}),
        None,
        "Expected labels of shape (N,), (N, 1) or (N, n). Received: None. Pass the labels, "
        "e.g. y_train.",
        id="none",
    ),
    pytest.param(
        ("binary", None, {}),
        {"out": [0, 1]},
        "Expected labels of shape (N,), (N, 1) or (N, n). Received: a dict with keys ['out']. "
        "Pass one output's labels, y[key]; safeheads.check(model, y) reads labels keyed by "
        "output name.",
        id="dict",
    ),
    pytest.param(
        ("binary", None, {}),
        tf.data.Dataset.from_tensor_slices(([[0.0], [1.0]], [0, 1])).batch(2),
        "Expected labels of shape (N,), (N, 1) or (N, n). Received: a tf.data.Dataset of "
        "batches, not an array of labels. Pass the labels themselves (for (x, y) batches: "
        "np.concatenate([y for _, y in dataset])), or let model.fit(..., "
        "callbacks=[safeheads.HeadGuard()]) check its first batch.",
        id="tf-data",
    ),
    pytest.param(
        ("binary", None, {}),
        iter(tf.data.Dataset.from_tensor_slices(([[0.0], [1.0]], [0, 1])).batch(2)),
        "Expected labels of shape (N,), (N, 1) or (N, n). Received: a tf.data iterator of "
        "batches, not an array of labels. Pass the labels themselves (for (x, y) batches: "
        "np.concatenate([y for _, y in dataset])), or let model.fit(..., "
        "callbacks=[safeheads.HeadGuard()]) check its first batch.",
        id="tf-data-iterator",
    ),
    pytest.param(
        ("binary", None, {}),
        tf.data.Dataset.from_tensor_slices([0, 1]).as_numpy_iterator(),
        "Expected labels of shape (N,), (N, 1) or (N, n). Received: a tf.data iterator of "
        "batches, not an array of labels. Pass the labels themselves (for (x, y) batches: "
        "np.concatenate([y for _, y in dataset])), or let model.fit(..., "
        "callbacks=[safeheads.HeadGuard()]) check its first batch.",
        id="tf-data-numpy-iterator",
    ),
    pytest.param(
        ("multiclass", 3, {}),
        (1, np.True_),
        "Expected labels of one type. Received: y[0]=1 is int but y[1]=True is bool (1 of 2 "
        "values differ). Convert all labels to ints, or all to strings.",
        id="numpy-bool-among-ids",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[True, 0], [1, 0]],
        "Expected labels of one type. Received: y[0][0]=True is bool but y[0][1]=0 is int (3 "
        "of 4 values differ). Convert all labels to ints, or all to strings.",
        id="bools-among-ints-in-rows",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[0, 2], [True]],
        "Expected labels of one type. Received: y[0][0]=0 is int but y[1][0]=True is bool (1 "
        "of 3 labels differ). Convert all labels to ints, or all to strings.",
        id="bool-among-label-lists",
    ),
    pytest.param(
        ("multilabel", 3, {}),
        [[True], [False]],
        "Expected class ids or names in label lists. Received: y[0][0]=True is a bool. Rows of "
        "True/False are a multi-hot matrix: pass them as one 2-D array of shape (N, n).",
        id="bool-label-lists",
    ),
]


@pytest.mark.parametrize(("config", "y", "message"), ENCODE_ERRORS)
def test_encode_errors(config: tuple, y: object, message: str) -> None:
    task, n, options = config
    head = classification_head(task, n, **options)
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        head.encode(y)


def test_array_subclasses_are_labels_whatever_their_bases_are_called() -> None:
    class Dataset:  # e.g. a mixin named like a dataset class
        pass

    class Labels(np.ndarray, Dataset):
        pass

    y = np.array([0, 1, 1, 0]).view(Labels)
    assert classification_head("binary").encode(y).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_lists_of_scalar_tensors_are_one_label_per_sample() -> None:
    y = [tf.constant(0), tf.constant(2), tf.constant(1), tf.constant(2)]
    np.testing.assert_array_equal(safeheads.to_categorical(y), np.eye(3)[[0, 2, 1, 2]])
    assert safeheads.describe_labels(y).format == "sparse"


def test_negative_int_names_with_ids_beyond_int64_are_refused() -> None:
    head = classification_head("multilabel", 3, class_names=[-1, 0, 5])
    with pytest.raises(LabelFormatError, match=r"^Expected class ids below 2\*\*53\."):
        head.encode([[2**63], [0]])


def test_multilabel_int_names_one_label_rows_are_names_whatever_the_batch() -> None:
    # Names [1, 2]: [[1], [1]] holds only 1 and could read as a 0/1 column; it is name 1.
    head = classification_head("multilabel", 2, class_names=[1, 2])
    assert head.encode([[1], [1]]).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert head.encode([[1], [2]]).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_negative_int_names_in_sets_and_tensor_rows() -> None:
    head = classification_head("multilabel", 3, class_names=[-1, 0, 5])
    expected = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
    assert head.encode([{-1, 5}, {0, 5}]).tolist() == expected  # sets of equal length
    rows = [tf.constant([-1, 5]), tf.constant([0])]
    assert head.encode(rows).tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def test_sparse_path_never_builds_a_matrix() -> None:
    head = classification_head("multiclass", 1000)
    encoded = head.encode(np.arange(1000))
    assert encoded.shape == (1000,)


# --------------------------------------------------------------------------- converters


@pytest.mark.parametrize(
    ("y", "num_classes"),
    [([0, 2, 1], None), ([0, 2, 1], 5), (np.array([[1], [0]]), None), ([1, 1], 2)],
    ids=["infer", "given", "column", "binary"],
)
def test_to_categorical_matches_keras(y: object, num_classes: int | None) -> None:
    theirs = keras.utils.to_categorical(y, num_classes)
    ours = safeheads.to_categorical(y, num_classes)
    assert ours.dtype == np.float32  # tf.keras 2.x's default; Keras 3 gives float64
    np.testing.assert_array_equal(ours, theirs)
    exact = safeheads.to_categorical(y, num_classes, dtype="float64")
    assert exact.dtype == theirs.dtype == np.float64
    np.testing.assert_array_equal(exact, theirs)


@pytest.mark.parametrize("dtype", ["int8", np.uint8, "float16", bool])
def test_to_categorical_dtype(dtype: object) -> None:
    out = safeheads.to_categorical([2, 0], 3, dtype)
    assert out.dtype == np.dtype(dtype)  # type: ignore[call-overload]
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "dtype", ["str", object, "no-such-dtype"], ids=["str", "object", "unknown"]
)
def test_to_categorical_refuses_non_numeric_dtype(dtype: object) -> None:
    shown = repr(dtype) if isinstance(dtype, str) else f"{dtype!r} of type type"
    message = (
        f"Expected `dtype` to be a numeric dtype such as 'float32'. Received: dtype={shown}. "
        "Pass dtype='float32' (or an int dtype)."
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        safeheads.to_categorical([0, 1], 2, dtype)


TO_CATEGORICAL_ERRORS = [
    pytest.param(
        [1, 2, 3],
        3,
        LabelFormatError,
        "Expected class ids in [0, 3). Received: y[2]=3 (1 of 3 values out of range). Labels "
        "seem to start at 1: subtract 1.",
        id="start-at-one",
    ),
    pytest.param(
        [0, -1],
        None,
        LabelFormatError,
        "Expected class ids >= 0. Received: y[1]=-1 (1 of 2 values negative). Negative ids "
        "would wrap to the last class in keras.utils.to_categorical; remove or relabel them.",
        id="minus-one",
    ),
    pytest.param(
        [0, 1.7],
        None,
        LabelFormatError,
        "Expected integral class labels. Received: y[1]=1.7 (1 of 2 values not integral). These "
        "look like a continuous (regression) target, not class labels; use a regression head, "
        "or bin the values into classes first.",
        id="one-point-seven",
    ),
    pytest.param(
        [0, 3],
        3,
        LabelFormatError,
        "Expected class ids in [0, 3). Received: y[1]=3 (1 of 2 values out of range). Pass "
        "num_classes=4, or fix those labels.",
        id="out-of-range",
    ),
    pytest.param(
        [0, 2**60],
        3,
        LabelFormatError,
        "Expected class ids in [0, 3). Received: y[1]=1152921504606846976 (1 of 2 values out of "
        "range). These are not class ids; fix those samples, or map the labels to 0..n-1.",
        id="far-out-of-range",
    ),
    pytest.param(
        [[0, 1], [1, 0]],
        None,
        LabelFormatError,
        "Expected one class id per sample. Received: one-hot labels (shape (2, 2)). They are "
        "one-hot already.",
        id="already-one-hot",
    ),
    pytest.param(
        ["a", "b"],
        None,
        LabelFormatError,
        "Expected one class id per sample. Received: class-names labels (2 values, n=2). Use "
        "safeheads.LabelMap for class names, or safeheads.to_multi_hot for label lists.",
        id="names",
    ),
    pytest.param(
        [0, 1],
        2.0,
        TypeError,
        "Expected `num_classes` to be an int. Received: num_classes=2.0. Pass num_classes=2.",
        id="float-n",
    ),
    pytest.param(
        [0, 1],
        0,
        LabelFormatError,
        "Expected `num_classes` >= 1. Received: num_classes=0. Pass num_classes=1 or more.",
        id="zero-n",
    ),
    pytest.param(
        [0, 2**40],
        None,
        LabelFormatError,
        "Expected class ids below 16777216 for to_categorical: it makes a column for every id "
        "in [0, n). Received: ids up to 1099511627776 in 2 samples. Map the labels to 0..n-1 "
        "first, e.g. with safeheads.LabelMap.",
        id="ids-too-far-apart",
    ),
    pytest.param(
        [True, 2],
        None,
        LabelFormatError,
        "Expected labels of one type. Received: y[0]=True is bool but y[1]=2 is int (1 of 2 "
        "values differ). Convert all labels to ints, or all to strings.",
        id="bool-among-ids",
    ),
    pytest.param(
        [1, 2**70],
        None,
        LabelFormatError,
        "Expected class ids that fit in int64. Received: y[1]=1180591620717411303424 (1 of 2 "
        "values too large). These are not class ids; fix those samples, or map the labels "
        "to 0..n-1.",
        id="id-beyond-int64",
    ),
]


@pytest.mark.parametrize(("y", "num_classes", "error", "message"), TO_CATEGORICAL_ERRORS)
def test_to_categorical_errors(y: object, num_classes: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        safeheads.to_categorical(y, num_classes)  # type: ignore[arg-type]


def test_to_sparse() -> None:
    result = safeheads.to_sparse(np.array([[0, 0, 1], [1, 0, 0]], dtype=np.float32))
    np.testing.assert_array_equal(result, [2, 0])
    assert result.dtype == np.int64


@pytest.mark.parametrize(
    ("y", "message"),
    [
        pytest.param(
            [[1, 1, 0], [0, 1, 0]],
            "Expected one-hot rows (exactly one 1 per row). Received: row y[0] holds 2 ones (1 of "
            "2 rows). Rows with no 1 or several 1s are multi-hot and have no single class id: "
            "train them with a multilabel head, classification_head('multilabel', n).",
            id="multi-hot",
        ),
        pytest.param(
            [0, 2, 1],
            "Expected one-hot rows of shape (N, n). Received: sparse labels (3 values, n=3). They "
            "are class ids already: pass them as they are.",
            id="sparse",
        ),
        pytest.param(
            [[0], [1, 2]],
            "Expected one-hot rows of shape (N, n). Received: label-lists labels (2 lists). Pass one row per sample with exactly one 1.",
            id="lists",
        ),
    ],
)
def test_to_sparse_errors(y: object, message: str) -> None:
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        safeheads.to_sparse(y)


def test_to_multi_hot() -> None:
    result = safeheads.to_multi_hot([[0, 2, 2], [], (1,), np.array([0])], 3)
    np.testing.assert_array_equal(result, [[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 0, 0]])
    assert result.dtype == np.float32
    np.testing.assert_array_equal(safeheads.to_multi_hot([[], []], 2), np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("lists", "n", "error", "message"),
    [
        pytest.param(
            [[0, 3], [1]],
            3,
            LabelFormatError,
            "Expected class ids in [0, 3). Received: y[0][1]=3 (1 of 3 labels out of range). "
            "Pass n=4, or fix those labels.",
            id="out-of-range",
        ),
        pytest.param(
            [[0], [-1]],
            3,
            LabelFormatError,
            "Expected class ids >= 0. Received: y[1][0]=-1 (1 of 2 labels negative). Negative "
            "ids would wrap to the last class in keras.utils.to_categorical; remove or relabel "
            "them.",
            id="negative",
        ),
        pytest.param(
            [["a"], [1]],
            3,
            LabelFormatError,
            "Expected label ids. Received: y[0][0]='a' is a name. Use "
            "safeheads.LabelMap(class_names).to_multi_hot(label_lists).",
            id="names",
        ),
        pytest.param(
            [[0, 1], ["a"]],
            3,
            LabelFormatError,
            "Expected label ids. Received: y[1][0]='a' is a name. Use "
            "safeheads.LabelMap(class_names).to_multi_hot(label_lists).",
            id="name-after-ids",
        ),
        pytest.param(
            [[0, None]],
            3,
            LabelFormatError,
            "Expected label ids (ints). Received: y[0][1]=None of type NoneType. Drop it, or "
            "map the labels to ints first.",
            id="none",
        ),
        pytest.param(
            [[True], [False, True]],
            3,
            LabelFormatError,
            "Expected label ids (ints). Received: y[0][0]=True is a bool: rows of True/False "
            "are a multi-hot matrix already; use it as it is, as float32.",
            id="bools",
        ),
        pytest.param(
            np.array([[True, False, True]]),
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: a 0/1 array of shape (1, 3), "
            "which already is a multi-hot matrix (its columns are the labels). Use it as it is, "
            "as float32: y.astype('float32').",
            id="bool-matrix",
        ),
        pytest.param(
            np.array([[1, 0, 1], [0, 1, 0]]),
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: a 0/1 array of shape (2, 3), "
            "which already is a multi-hot matrix (its columns are the labels). Use it as it is, "
            "as float32: y.astype('float32').",
            id="multi-hot-array",
        ),
        pytest.param(
            5,
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: y=5. Pass a list of lists, "
            "e.g. [[0, 2], [], [1]].",
            id="scalar",
        ),
        pytest.param(
            tf.ragged.constant([[0, 1], [2]]),
            3,
            LabelFormatError,
            "Expected a dense label array. Received: a RaggedTensor. For lists of labels per "
            "sample pass y.to_list(); for a sparse indicator matrix pass tf.sparse.to_dense(y).",
            id="ragged-tensor",
        ),
        pytest.param(
            [1, 2],
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: y[0]=1. Wrap single labels in "
            "a list, e.g. [3] or [] for no label.",
            id="not-lists",
        ),
        pytest.param(
            [],
            3,
            LabelFormatError,
            "Expected at least one sample. Received: no label lists. Pass one list per sample ([] for a sample with no label).",
            id="empty",
        ),
        pytest.param(
            [[True], [2]],
            3,
            LabelFormatError,
            "Expected label ids (ints). Received: y[0][0]=True is a bool among ids. Write the id "
            "it stands for, e.g. 1 for True.",
            id="bool-among-ids",
        ),
        pytest.param(
            [[0, [1]], [2]],
            3,
            LabelFormatError,
            "Expected labels (ids or names) in each sample's list. Received: y[0][1]=[1] of type "
            "list, a list inside the list. Give each sample one flat list of its labels, e.g. "
            "[0, 1], not [[0], [1]] or [[0, 1]].",
            id="nested-list",
        ),
        pytest.param(
            [[[0], [1]], [[2]]],
            3,
            LabelFormatError,
            "Expected labels (ids or names) in each sample's list. Received: y[0][0]=[0] of type "
            "list, a list inside the list. Give each sample one flat list of its labels, e.g. "
            "[0, 1], not [[0], [1]] or [[0, 1]].",
            id="every-label-wrapped",  # numpy made a (3, 1) matrix: all-ones rows before
        ),
        pytest.param(
            {(0,), (9,), (3,)},
            10,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: a set of 3 rows, which has no "
            "order: the rows would not line up with the samples. Pass a list.",
            id="set-of-rows",
        ),
        pytest.param(
            {"main": [[0]]},
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: a dict with keys ['main']. "
            "Pass one output's labels, y[key].",
            id="dict",
        ),
        pytest.param(
            np.array(0),
            3,
            LabelFormatError,
            "Expected one list of label ids per sample. Received: y=array(0). Pass a list of "
            "lists, e.g. [[0, 2], [], [1]].",
            id="0-d-array",
        ),
        pytest.param(
            [[0]],
            "3",
            TypeError,
            "Expected `n` to be an int. Received: n='3'. Pass n=3.",
            id="n-str",
        ),
    ],
)
def test_to_multi_hot_errors(lists: object, n: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        safeheads.to_multi_hot(lists, n)  # type: ignore[arg-type]


def test_to_multi_hot_reads_tensor_rows_as_lists_of_ids() -> None:
    multi_hot = safeheads.to_multi_hot([tf.constant([0, 1]), tf.constant([2])], 3)
    np.testing.assert_array_equal(multi_hot, [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_tensor_rows_are_read_wherever_they_are_in_the_list() -> None:
    # Only a tensor in y[0] was recognised: [[0, 1], tf.constant([2])] was refused with
    # "y[1] ... while y[0] is a list", and a 0-d array after y[0] read as a label list.
    head = safeheads.classification_head("multilabel", 3)
    np.testing.assert_array_equal(
        head.encode([[0, 1], tf.constant([2])]), [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    )
    ids = safeheads.classification_head("multiclass", 3).encode([0, np.array(1), tf.constant(2)])
    np.testing.assert_array_equal(ids, [0, 1, 2])


def test_string_tensor_labels_read_as_names() -> None:
    y = tf.constant(["cat", "dog", "cat"])
    head = safeheads.Head.from_labels(y)
    assert head.class_names == ("cat", "dog")
    np.testing.assert_array_equal(head.encode(y), np.array([[0.0], [1.0], [0.0]]))


def test_from_labels_warns_about_one_based_ids() -> None:
    with pytest.warns(SafeheadsWarning, match=r"^1 of 4 classes have no examples \(class ids 0\)"):
        head = safeheads.Head.from_labels([1, 2, 3, 2, 1])
    assert head.n == 4


def test_int_class_names_prior_counts_by_name() -> None:
    head = classification_head("multiclass", 3, class_names=[1, 2, 3], prior=[1, 2, 2, 1])
    assert head.prior == (0.5, 0.5, 0.0)


_UINT64_MINUS_ONE = np.array([0, 1, 2**64 - 1], dtype=np.uint64)


@pytest.mark.parametrize(
    "convert",
    [
        lambda: safeheads.classification_head("multiclass", 3).encode(_UINT64_MINUS_ONE),
        lambda: safeheads.classification_head("multiclass", 3, labels="one_hot").encode(
            _UINT64_MINUS_ONE
        ),
        lambda: safeheads.classification_head("binary").encode(_UINT64_MINUS_ONE),
        lambda: safeheads.to_categorical(_UINT64_MINUS_ONE),
        lambda: safeheads.to_multi_hot([_UINT64_MINUS_ONE], 3),
    ],
    ids=["sparse", "one-hot", "binary", "to_categorical", "to_multi_hot"],
)
def test_unsigned_ids_beyond_int64_are_refused_not_wrapped(convert) -> None:
    # The cast to int64 used to turn 2**64 - 1 into -1: a silent last class / -1 label.
    with pytest.raises(LabelFormatError, match=re.escape("Expected class ids below 2**63.")):
        convert()


class _ArrayLike:
    """A container numpy reads through ``__array__``, as it reads a pandas Series."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = np.empty(len(self.items), dtype=object)
        array[:] = self.items
        return array


def test_an_array_like_of_label_lists_is_read_as_label_lists() -> None:
    tags = _ArrayLike([["sports", "politics"], [], ["sports"]])
    info = safeheads.describe_labels(tags)
    assert (info.format, info.n, info.class_names) == ("label-lists", 2, ("politics", "sports"))
    weights = safeheads.label_pos_weight(tags, class_names=["politics", "sports"])
    np.testing.assert_allclose(weights, [2.0, 0.5])


def test_label_lists_for_a_multiclass_head_are_named_as_such() -> None:
    head = classification_head("multiclass", 3, class_names=["a", "b", "c"])
    with pytest.raises(
        LabelFormatError,
        match="^"
        + re.escape(
            "Expected labels for task='multiclass'. Received: label-lists labels (2 lists). "
            "Labels are lists of labels per sample: use task='multilabel'."
        ),
    ):
        head.encode([["a", "b"], ["c"]])


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        pytest.param([[], []], [[0, 0, 0], [0, 0, 0]], id="no-sample-has-a-label"),
        pytest.param([[1], [0]], [[0, 1, 0], [1, 0, 0]], id="one-label-lists-of-0-and-1"),
        pytest.param([[2], [0]], [[0, 0, 1], [1, 0, 0]], id="one-label-lists"),
    ],
)
def test_multilabel_encode_does_not_depend_on_which_labels_a_batch_holds(
    y: list[list[int]], expected: list[list[int]]
) -> None:
    # encode runs on every batch: a 3-label head reads these as label lists whatever
    # ids they hold, including none (only a 2-label head sees 0/1 lists as a column).
    encoded = classification_head("multilabel", 3).encode(y)
    np.testing.assert_array_equal(encoded, np.asarray(expected, dtype=np.float32))


@pytest.mark.parametrize("y", [["a", "a"], [["a"], []]], ids=["class-names", "label-lists"])
@pytest.mark.parametrize(
    ("call", "message"),
    [
        # It used to blame `class_names` the user never passed ("Expected 2 `class_names`").
        pytest.param(
            safeheads.Head.from_labels,
            "Expected labels of at least 2 classes to build a head from. Received: one class "
            "name ['a'] in 2 samples. Pass labels that hold every class, or build the head "
            "with classification_head(task, n, class_names=[...]).",
            id="Head.from_labels",
        ),
        # It used to describe them as n=2 classes (labels) with the single name ("a",).
        pytest.param(
            safeheads.describe_labels,
            "Expected labels of at least 2 classes to describe them. Received: one class name "
            "['a'] in 2 samples. Pass labels that hold every class: a single name does not "
            "say what the other classes are.",
            id="describe_labels",
        ),
    ],
)
def test_a_single_class_name_is_refused(
    call: Callable[[Any], object], message: str, y: list[Any]
) -> None:
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        call(y)


def test_label_lists_of_tensors_are_label_lists() -> None:
    rows = [tf.constant([0, 2]), tf.constant([1])]
    assert safeheads.describe_labels(rows).format == "label-lists"
    encoded = classification_head("multilabel", 3).encode(rows)
    np.testing.assert_array_equal(encoded, [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_an_object_array_of_empty_label_lists_is_samples_with_no_label() -> None:
    rows = np.empty(2, dtype=object)
    rows[0], rows[1] = [], []
    encoded = classification_head("multilabel", 3).encode(rows)
    np.testing.assert_array_equal(encoded, np.zeros((2, 3), np.float32))


def _bfloat16_labels() -> list[Any]:
    import ml_dtypes
    import tensorflow as tf

    values = [0.0, 2.0, 1.0, 2.0]
    labels = [tf.constant(values, tf.bfloat16), np.array(values, ml_dtypes.bfloat16)]
    try:
        import torch
    except ImportError:
        return labels
    return [*labels, torch.tensor(values, dtype=torch.bfloat16)]


def test_bfloat16_and_float16_labels_are_read_as_their_values() -> None:
    # numpy has no bfloat16: TensorFlow and JAX give ml_dtypes arrays (refused as "not
    # numeric" before), PyTorch none (its TypeError before). float16 warned of an overflow.
    import tensorflow as tf

    head = classification_head("multiclass", 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for y in [*_bfloat16_labels(), tf.constant([0.0, 2.0, 1.0, 2.0], tf.float16)]:
            np.testing.assert_array_equal(head.encode(y), [0, 2, 1, 2])
            assert safeheads.describe_labels(y).format == "sparse"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda y: safeheads.describe_labels(y).n, id="describe_labels"),
        pytest.param(lambda y: safeheads.to_categorical(y).argmax(axis=1), id="to_categorical"),
        pytest.param(
            lambda y: safeheads.classification_head("multiclass", 3).encode(y), id="head.encode"
        ),
    ],
)
def test_lists_of_0d_arrays_are_single_labels(call: Any) -> None:
    # np.ndarray rows skipped the unwrapping 0-d tensors get: TypeError "len() of unsized object".
    result = call([np.array(0), np.array(1), np.array(1), np.array(0)])
    np.testing.assert_array_equal(result, 2 if np.ndim(result) == 0 else [0, 1, 1, 0])


def test_jax_label_lists_are_read() -> None:
    jnp = pytest.importorskip("jax.numpy")
    # jax arrays have no .numpy(): rows were refused as "not a list", arrays as "ragged".
    np.testing.assert_array_equal(
        safeheads.to_multi_hot([jnp.array([0, 2]), jnp.array([1])], 3), [[1, 0, 1], [0, 1, 0]]
    )
    assert safeheads.describe_labels([jnp.array([0, 2]), jnp.array([1])]).format == "label-lists"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda: safeheads.to_multi_hot([np.array(0), np.array(2)], 3),
            LabelFormatError,
            "Expected one list of label ids per sample. Received: y[0]=0. Wrap single labels "
            "in a list, e.g. [3] or [] for no label.",
            id="to-multi-hot-0d-rows",
        ),
        pytest.param(
            lambda: safeheads.to_multi_hot([[1, 2**70]], 3),
            LabelFormatError,
            "Expected label ids that fit in int64. Received: y[0][1]=1180591620717411303424. "
            "These are not label ids; fix those samples, or map the labels to 0..n-1.",
            id="to-multi-hot-int-beyond-int64",
        ),
        pytest.param(
            lambda: safeheads.to_categorical([0], 2**40),
            LabelFormatError,
            "Expected `num_classes` <= 16777216, a number of classes (one column each). "
            "Received: num_classes=1099511627776. Map the labels to 0..n-1 first, e.g. with "
            "safeheads.LabelMap.",
            id="to-categorical-huge-num-classes",
        ),
        pytest.param(
            lambda: safeheads.to_multi_hot([[0]], 2**40),
            LabelFormatError,
            "Expected `n` <= 16777216, a number of classes (one column each). Received: "
            "n=1099511627776. Map the labels to 0..n-1 first, e.g. with safeheads.LabelMap.",
            id="to-multi-hot-huge-n",
        ),
        pytest.param(
            lambda: safeheads.Head.from_labels([0, 2**33]),
            LabelFormatError,
            "Expected class ids below 16777216 for Head.from_labels: it has one output per id "
            "in [0, n). Received: ids up to 8589934592 in 2 samples. Map the labels to 0..n-1 "
            "first, e.g. with safeheads.LabelMap.",
            id="head-from-labels-huge-ids",
        ),
        pytest.param(
            lambda: safeheads.classification_head("multiclass", 2**33),
            safeheads.HeadConfigError,
            "Expected `n` <= 16777216 for task='multiclass': the head has one output per class. "
            "Received: n=8589934592. Map the labels to 0..n-1 first, e.g. with "
            "safeheads.LabelMap.",
            id="head-huge-n",
        ),
    ],
)
def test_sizes_and_rows_refused_before_any_work(
    call: Any, error: type[Exception], message: str
) -> None:
    # Were: TypeError on 0-d rows, "Expected ints ... of type int", a MemoryError, and a
    # head of 2**33 outputs whose encode wrapped id 2**31 to -2**31.
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_equal_length_empty_lists_are_empty_label_lists() -> None:
    # Read as an empty (2, 0) array: "Expected at least one label. Received: an empty
    # array of shape (2, 0)", without the to_multi_hot fix that label lists get.
    message = (
        "Expected at least one label in some sample. Received: 2 empty label lists. Pass n "
        "to safeheads.to_multi_hot(y, n) to build an all-zero matrix."
    )
    with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
        safeheads.describe_labels([[], []])


def test_empty_tensor_rows_are_samples_with_no_label() -> None:
    # Empty numpy or list rows gave the all-zero matrix; empty tensor rows an error.
    head = classification_head("multilabel", 3)
    np.testing.assert_array_equal(head.encode([tf.constant([], tf.int32)] * 2), np.zeros((2, 3)))
