"""class_weight and label_pos_weight: values, scikit-learn cross-checks, Keras facts, errors."""

from __future__ import annotations

import re
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.trainers.data_adapters.data_adapter_utils import class_weight_to_sample_weights
from sklearn.utils.class_weight import compute_class_weight

import safeheads
from safeheads import LabelFormatError, SafeheadsWarning


def raises(error: type[Exception], message: str) -> Any:
    """``pytest.raises`` that matches the whole message."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


def sklearn_balanced(ids: np.ndarray) -> dict[int, float]:
    classes = np.unique(ids)
    weights = compute_class_weight("balanced", classes=classes, y=ids)
    return {int(c): float(w) for c, w in zip(classes, weights, strict=True)}


# ----------------------------------------------------------------------------- class_weight

VALID = [
    pytest.param([0, 0, 0, 1], [0, 0, 0, 1], id="binary-column"),
    pytest.param(np.array([[0.0], [1.0], [1.0]]), [0, 1, 1], id="binary-column-n-1-float"),
    pytest.param(np.array([True, False, False]), [1, 0, 0], id="binary-bool"),
    pytest.param([0, 0, 0, 1, 2, 2], [0, 0, 0, 1, 2, 2], id="sparse"),
    pytest.param(np.array([2, 1, 1, 0], dtype=np.uint8), [2, 1, 1, 0], id="sparse-uint8"),
    pytest.param(tf.constant([2, 1, 1, 0, 0]), [2, 1, 1, 0, 0], id="sparse-tensor"),
    pytest.param([[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]], [2, 0, 2, 1], id="one-hot"),
    pytest.param([[0, 1], [1, 0], [0, 1]], [1, 0, 1], id="binary-one-hot"),
]


@pytest.mark.parametrize(("y", "ids"), VALID)
def test_class_weight_matches_scikit_learn(y: Any, ids: list[int]) -> None:
    weights = safeheads.class_weight(y)
    assert weights == pytest.approx(sklearn_balanced(np.array(ids)), rel=1e-12)
    assert all(type(k) is int and type(v) is float for k, v in weights.items())
    assert list(weights) == list(range(len(weights)))


NAMED = [
    pytest.param(
        "multiclass", 3, ["dog", "cat", "bird"], ["dog", "cat", "cat", "bird"], id="names"
    ),
    pytest.param("binary", None, ["yes", "no"], ["yes", "no", "no"], id="binary-names"),
    pytest.param("multiclass", 3, [30, 10, 20], [10, 10, 20, 30], id="int-names"),
    pytest.param("multiclass", 3, ["dog", "cat", "bird"], [2, 1, 1, 0], id="ids"),
    # Refused as negative class ids before, with a fix that then failed too.
    pytest.param("binary", None, [-1, 1], [-1, 1, 1], id="negative-int-names"),
]


@pytest.mark.parametrize(("task", "n", "names", "y"), NAMED)
def test_class_weight_follows_the_heads_class_names(
    task: str, n: int | None, names: list[Any], y: list[Any]
) -> None:
    # Ids are positions in the head's class_names (not in the sorted names), as encode has them.
    head = safeheads.classification_head(task, n, class_names=names)
    ids = head.encode(y).ravel().astype(int)
    weights = safeheads.class_weight(y, class_names=head.class_names)
    assert weights == pytest.approx(sklearn_balanced(ids), rel=1e-12)
    assert weights == safeheads.class_weight(ids)


def test_class_weight_names_low_medium_high_weigh_the_rare_class_most() -> None:
    y = ["low"] * 80 + ["medium"] * 15 + ["high"] * 5
    weights = safeheads.class_weight(y, class_names=["low", "medium", "high"])
    assert weights == pytest.approx({0: 100 / 240, 1: 100 / 45, 2: 100 / 15}, rel=1e-12)


def test_class_weight_refuses_names_without_class_names() -> None:
    with raises(
        LabelFormatError,
        "Expected `class_names` for labels given as names: class_weight returns one weight per "
        "class id, and a head numbers its classes in the order of its own class_names. "
        "Received: class names ['high', 'low', 'medium'] and class_names=None. Pass "
        "class_weight(y, class_names=head.class_names).",
    ):
        safeheads.class_weight(["low", "medium", "high"])


@pytest.mark.parametrize(
    ("class_names", "error", "message"),
    [
        pytest.param(
            "ab",
            TypeError,
            "Expected `class_names` to be a sequence of str or int. Received: class_names='ab'. Pass one name per class, in class-id order, e.g. class_names=['neg', 'pos'].",
            id="str",
        ),
        pytest.param(
            ["a"],
            LabelFormatError,
            "Expected at least 2 `class_names` for class_weight. Received: class_names=['a']. "
            "Pass the names of every class the head has.",
            id="one-name",
        ),
        pytest.param(
            ["a", "b", "a"],
            safeheads.HeadConfigError,
            "Expected distinct `class_names`. Received: duplicates ['a']. Give every class its own name.",
            id="duplicate",
        ),
        pytest.param(
            ["a", "c"],
            LabelFormatError,
            "Expected labels among the head's class names ['a', 'c']. Received: y[1]='b' (1 of 2 "
            "labels unknown). Add the missing names to class_names, or drop those samples.",
            id="unknown-label",
        ),
    ],
)
def test_class_weight_validates_class_names(
    class_names: Any, error: type[Exception], message: str
) -> None:
    with raises(error, message):
        safeheads.class_weight(["a", "b"], class_names=class_names)


def test_class_weight_known_values() -> None:
    assert safeheads.class_weight([0, 0, 0, 1, 2, 2]) == {0: 6 / 9, 1: 2.0, 2: 1.0}
    assert safeheads.class_weight([1, 1, 0, 0]) == {0: 1.0, 1: 1.0}


def test_class_weight_random_multiclass_matches_scikit_learn() -> None:
    ids = np.random.default_rng(0).integers(0, 17, 5_000)
    ids[:17] = np.arange(17)  # every class present
    assert safeheads.class_weight(ids) == pytest.approx(sklearn_balanced(ids), rel=1e-12)
    one_hot = safeheads.to_categorical(ids)
    assert safeheads.class_weight(one_hot) == safeheads.class_weight(ids)


def test_balanced_weights_sum_to_n_samples_in_keras() -> None:
    """Keras turns the dict into per-sample weights: balanced ones sum to N, equal per class."""
    ids = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    sample_weight = class_weight_to_sample_weights(ids, safeheads.class_weight(ids))
    assert sample_weight.sum() == pytest.approx(ids.size)
    per_class = [sample_weight[ids == c].sum() for c in range(3)]
    assert per_class == pytest.approx([4.0, 4.0, 4.0])


def test_keras_takes_the_argmax_of_multi_hot_rows() -> None:
    """The fact behind refusing multi-hot labels: Keras keeps only the first positive label."""
    multi_hot = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1]])
    sample_weight = class_weight_to_sample_weights(multi_hot, {0: 10.0, 1: 20.0, 2: 30.0})
    np.testing.assert_array_equal(sample_weight, [10.0, 20.0, 30.0])


def test_model_fit_accepts_the_dict() -> None:
    x = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
    layer, loss, metrics = safeheads.classification_head("multiclass", 3)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile("sgd", loss=loss, metrics=metrics)
    history = model.fit(x, y, class_weight=safeheads.class_weight(y), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


ABSENT = [
    pytest.param(
        [0, 0, 2, 2, 2],
        {0: 5 / 4, 1: 0.0, 2: 5 / 6},
        "1 of 3 classes have no examples (class ids 1): class_weight gives them weight 0.0 and "
        "balances the 2 classes present.",
        id="middle-class",
    ),
    pytest.param(
        [1, 2, 2, 3],
        {0: 0.0, 1: 4 / 3, 2: 4 / 6, 3: 4 / 3},
        "1 of 4 classes have no examples (class ids 0): class_weight gives them weight 0.0 and "
        "balances the 3 classes present. Labels seem to start at 1: subtract 1.",
        id="numbered-from-1",
    ),
    pytest.param(
        [1, 1, 1],
        {0: 0.0, 1: 1.0},
        "1 of 2 classes have no examples (class ids 0): class_weight gives them weight 0.0 and "
        "balances the 1 class present.",
        id="binary-single-value",
    ),
    pytest.param(
        [[1, 0, 0, 0], [0, 0, 0, 1]],
        {0: 1.0, 1: 0.0, 2: 0.0, 3: 1.0},
        "2 of 4 classes have no examples (class ids 1, 2): class_weight gives them weight 0.0 "
        "and balances the 2 classes present.",
        id="one-hot-empty-columns",
    ),
    pytest.param(
        list(range(12, 14)) * 3,
        {**{i: 0.0 for i in range(12)}, 12: 1.0, 13: 1.0},
        "12 of 14 classes have no examples (class ids 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...): "
        "class_weight gives them weight 0.0 and balances the 2 classes present.",
        id="many-shown-shortened",
    ),
]


@pytest.mark.parametrize(("y", "expected", "message"), ABSENT)
def test_class_without_examples_gets_zero_and_warns(
    y: Any, expected: dict[int, float], message: str
) -> None:
    with pytest.warns(SafeheadsWarning, match=f"^{re.escape(message)}$") as caught:
        weights = safeheads.class_weight(y)
    assert len(caught) == 1
    assert weights == pytest.approx(expected, rel=1e-12)
    present = {k: v for k, v in weights.items() if v > 0}
    ids = safeheads.to_sparse(y) if np.ndim(y) == 2 else np.asarray(y)
    assert present == pytest.approx(sklearn_balanced(ids), rel=1e-12)


def test_class_weight_is_silent_when_every_class_is_present() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        safeheads.class_weight([0, 1, 2, 2])


MULTILABEL_MESSAGE = (
    "Expected binary or multiclass labels for class_weight. Received: {what}. Keras' "
    "fit(class_weight=...) would weight each multi-hot row by the class of its argmax only, "
    "silently. For a multilabel head weight each label's positives in the loss instead: "
    'classification_head("multilabel", n, prior=y, pos_weight="balanced"), or '
    "pos_weight=safeheads.label_pos_weight(y)."
)


@pytest.mark.parametrize(
    ("y", "what"),
    [
        pytest.param([[1, 0, 1], [0, 1, 0]], "multi-hot labels (shape (2, 3))", id="multi-hot"),
        pytest.param([[1, 0], [0, 0]], "multi-hot labels (shape (2, 2))", id="row-without-label"),
        pytest.param([[0, 2], [1]], "label-lists labels (2 lists)", id="label-lists"),
        pytest.param([["a", "b"], []], "label-lists labels (2 lists)", id="label-lists-names"),
    ],
)
def test_class_weight_refuses_multilabel(y: Any, what: str) -> None:
    with raises(LabelFormatError, MULTILABEL_MESSAGE.format(what=what)):
        safeheads.class_weight(y)
    if what.startswith("multi-hot"):  # with class_names too (read through encode first)
        with raises(LabelFormatError, MULTILABEL_MESSAGE.format(what=what)):
            safeheads.class_weight(y, class_names=[f"c{i}" for i in range(len(y[0]))])


@pytest.mark.parametrize(
    ("y", "message"),
    [
        pytest.param(
            [0, 2, -1],
            "Expected class ids >= 0. Received: y[2]=-1 (1 of 3 values negative). Negative ids "
            "would wrap to the last class in keras.utils.to_categorical; remove or relabel them.",
            id="negative",
        ),
        pytest.param(
            [],
            "Expected at least one label. Received: an empty array of shape (0,). Pass the labels of at least one sample.",
            id="empty",
        ),
        pytest.param(
            [0, 2**62],
            "Expected class ids below 16777216 for class_weight: it lists a weight for every id "
            "in [0, n). Received: ids up to 4611686018427387904 in 2 samples. Map the labels to "
            "0..n-1 first, e.g. with safeheads.LabelMap.",
            id="ids-too-far-apart",
        ),
    ],
)
def test_class_weight_validates_with_parse_labels(y: Any, message: str) -> None:
    with raises(LabelFormatError, message):
        safeheads.class_weight(y)


# ----------------------------------------------------------------------------- label_pos_weight

POS_WEIGHT = [
    pytest.param([[1, 0, 1], [0, 0, 1], [0, 1, 0], [0, 0, 0]], [3.0, 3.0, 1.0], id="multi-hot"),
    pytest.param(np.array([[1, 0], [0, 1], [0, 1]], dtype=bool), [2.0, 0.5], id="one-hot-bool"),
    pytest.param(
        [[0, 2], [2], [1, 2, 2], []], [3.0, 3.0, 1 / 3], id="label-lists-ids-duplicate-once"
    ),
    # One label: one weight (the floor of 2 classes of one-label-per-sample data added a
    # label that no sample and no name has).
    pytest.param([[0], [0], []], [0.5], id="label-lists-one-id"),
    pytest.param(tf.constant([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]), [0.5, 0.5], id="tensor"),
]


@pytest.mark.parametrize(("y", "expected"), POS_WEIGHT)
def test_label_pos_weight(y: Any, expected: list[float]) -> None:
    weights = safeheads.label_pos_weight(y)
    assert weights.dtype == np.float64
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_label_pos_weight_follows_the_heads_class_names() -> None:
    # "sports" is the common label: its positives get the smallest weight, in the head's order.
    y = [["sports", "arts"], ["politics"], ["sports"], ["sports"], [], ["politics", "sports"]]
    head = safeheads.classification_head(
        "multilabel", 3, class_names=["sports", "politics", "arts"]
    )
    weights = safeheads.label_pos_weight(y, class_names=head.class_names)
    np.testing.assert_allclose(weights, [2 / 4, 4 / 2, 5 / 1], rtol=1e-12)
    np.testing.assert_array_equal(weights, safeheads.label_pos_weight(head.encode(y)))
    balanced = safeheads.classification_head(
        "multilabel", 3, class_names=head.class_names, prior=y, pos_weight="balanced"
    )
    np.testing.assert_allclose(balanced.loss.pos_weight, weights, rtol=1e-6)


LISTS_READ_AS_ENCODE = [
    # Refused before: one label per sample read as class ids, negative ids, no label at all.
    pytest.param(["a", "b"], [["a"], ["b"], ["a"]], [0.5, 2.0], id="one-name-per-sample"),
    pytest.param([-1, 0, 5], [[-1, 5], [0], []], [2.0, 2.0, 2.0], id="negative-int-names"),
]


@pytest.mark.parametrize(("names", "y", "expected"), LISTS_READ_AS_ENCODE)
def test_label_pos_weight_reads_labels_as_the_heads_encode(
    names: list[Any], y: list[Any], expected: list[float]
) -> None:
    head = safeheads.classification_head("multilabel", len(names), class_names=names)
    weights = safeheads.label_pos_weight(y, class_names=head.class_names)
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    np.testing.assert_array_equal(weights, safeheads.label_pos_weight(head.encode(y)))


def test_label_pos_weight_of_empty_lists_with_class_names_warns() -> None:
    with pytest.warns(SafeheadsWarning, match="^Of 2 labels, 2 have no positive example"):
        weights = safeheads.label_pos_weight([[], []], class_names=["a", "b"])
    np.testing.assert_array_equal(weights, [1.0, 1.0])


def test_label_pos_weight_refuses_names_without_class_names() -> None:
    with raises(
        LabelFormatError,
        "Expected `class_names` for labels given as names: label_pos_weight returns one weight "
        "per label, and a head numbers its classes in the order of its own class_names. "
        "Received: class names ['a', 'b'] and class_names=None. Pass "
        "label_pos_weight(y, class_names=head.class_names).",
    ):
        safeheads.label_pos_weight([["b"], ["a", "b"], []])


def test_label_pos_weight_is_the_multilabel_heads_balanced_pos_weight() -> None:
    y = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]])
    expected = safeheads.label_pos_weight(y)
    balanced = safeheads.classification_head("multilabel", 3, prior=y, pos_weight="balanced")
    np.testing.assert_allclose(balanced.loss.get_config()["pos_weight"], expected)
    given = safeheads.classification_head("multilabel", 3, pos_weight=expected)
    np.testing.assert_allclose(given.loss.get_config()["pos_weight"], expected)


def test_label_pos_weight_balances_positives_and_negatives() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((500, 12)) < np.linspace(0.02, 0.6, 12)).astype(np.float32)
    weights = safeheads.label_pos_weight(y)
    positives = y.sum(axis=0)
    np.testing.assert_allclose(weights * positives, y.shape[0] - positives, rtol=1e-12)
    lists = [np.flatnonzero(row).tolist() for row in y]
    np.testing.assert_allclose(safeheads.label_pos_weight(lists), weights, rtol=1e-12)


@pytest.mark.parametrize(
    ("y", "expected", "message"),
    [
        pytest.param(
            [[1, 0, 0], [1, 0, 1]],
            [1.0, 1.0, 1.0],
            "Of 3 labels, 1 has no positive example (label ids 1) and 1 has no negative "
            "example (label ids 0): label_pos_weight gives them 1.0 (unweighted), since "
            "negatives/positives would be infinite or 0.",
            id="no-positives-and-no-negatives",
        ),
        pytest.param(
            [[0, 0, 1], [0, 0, 1], [1, 0, 0]],
            [2.0, 1.0, 0.5],
            "Of 3 labels, 1 has no positive example (label ids 1): label_pos_weight gives them "
            "1.0 (unweighted), since negatives/positives would be infinite or 0.",
            id="no-positives",
        ),
        pytest.param(
            [[1, 0, 0], [1, 0, 0]],
            [1.0, 1.0, 1.0],
            "Of 3 labels, 2 have no positive example (label ids 1, 2) and 1 has no negative "
            "example (label ids 0): label_pos_weight gives them 1.0 (unweighted), since "
            "negatives/positives would be infinite or 0.",
            id="plural",
        ),
    ],
)
def test_label_pos_weight_degenerate_labels_get_one_and_warn(
    y: Any, expected: list[float], message: str
) -> None:
    with pytest.warns(SafeheadsWarning, match=f"^{re.escape(message)}$"):
        weights = safeheads.label_pos_weight(y)
    np.testing.assert_allclose(weights, expected)
    assert np.isfinite(weights).all()


@pytest.mark.parametrize(
    ("y", "what"),
    [
        pytest.param([0, 1, 2, 2], "sparse labels (4 values, n=3)", id="sparse"),
        pytest.param([0, 1, 1], "binary-column labels (3 values, n=2)", id="binary-column"),
        pytest.param(["a", "b", "c"], "class-names labels (3 values, n=3)", id="class-names"),
    ],
)
def test_label_pos_weight_refuses_single_labels(y: Any, what: str) -> None:
    fix = (
        "For label lists of one name each pass label_pos_weight(y, class_names=head.class_names)"
        if what.startswith("class-names")
        else "For label lists of one id each pass label_pos_weight(safeheads.to_multi_hot(y, n))"
    )
    with raises(
        LabelFormatError,
        "Expected multilabel labels (a multi-hot matrix or one list of labels per sample) for "
        f"label_pos_weight. Received: {what}. {fix}; for binary and multiclass labels use "
        "safeheads.class_weight(y) with fit(class_weight=...).",
    ):
        safeheads.label_pos_weight(y)


def test_label_pos_weight_validates_with_parse_labels() -> None:
    with raises(
        LabelFormatError,
        "Expected finite labels. Received: y[1, 0]=nan (1 of 4 values NaN or inf). Drop or fix "
        "those samples before training; a NaN label gives a NaN loss.",
    ):
        safeheads.label_pos_weight([[1.0, 0.0], [np.nan, 1.0]])


def test_label_pos_weight_refuses_ids_too_far_apart() -> None:
    # One weight per id in [0, n): an id of 2**40 would allocate terabytes.
    with raises(
        LabelFormatError,
        "Expected class ids below 16777216 for label_pos_weight: it returns a weight for every "
        "id in [0, n). Received: ids up to 1099511627776 in 2 samples. Map the labels to 0..n-1 "
        "first, e.g. with safeheads.LabelMap.",
    ):
        safeheads.label_pos_weight([[0, 2**40], [1]])
