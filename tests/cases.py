"""Shared tables: valid and invalid label arrays, and every valid head configuration."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

# --------------------------------------------------------------------------- labels


@dataclasses.dataclass(frozen=True)
class Valid:
    y: Any
    task: str
    format: str
    n: int
    class_names: tuple[Any, ...] | None = None


VALID_LABELS = [
    pytest.param(Valid([0, 1, 1, 0], "binary", "binary-column", 2), id="binary-list"),
    pytest.param(Valid(np.array([[0], [1], [1]]), "binary", "binary-column", 2), id="binary-n1"),
    pytest.param(Valid(np.array([0.0, 1.0, 1.0]), "binary", "binary-column", 2), id="binary-float"),
    pytest.param(Valid(np.array([True, False]), "binary", "binary-column", 2), id="binary-bool"),
    pytest.param(Valid((0, 1, 0), "binary", "binary-column", 2), id="binary-tuple"),
    pytest.param(Valid([0, 2, 1, 2, 0, 1], "multiclass", "sparse", 3), id="sparse-list"),
    pytest.param(
        Valid(np.array([[2], [0], [1], [1]], dtype=np.uint8), "multiclass", "sparse", 3),
        id="sparse-uint8-n1",
    ),
    pytest.param(
        Valid(np.array([3.0, 0.0, 1.0, 2.0]), "multiclass", "sparse", 4), id="sparse-float"
    ),
    pytest.param(
        Valid([[0, 1, 0], [1, 0, 0], [0, 0, 1]], "multiclass", "one-hot", 3), id="one-hot"
    ),
    pytest.param(
        Valid(np.array([[0.0, 1.0], [1.0, 0.0]]), "multiclass", "one-hot", 2), id="one-hot-2"
    ),
    pytest.param(
        Valid(np.array([[1, 1, 0], [0, 0, 1], [0, 1, 1]]), "multilabel", "multi-hot", 3),
        id="multi-hot",
    ),
    pytest.param(
        Valid(np.array([[True, False], [True, True]]), "multilabel", "multi-hot", 2),
        id="multi-hot-bool",
    ),
    pytest.param(
        Valid([[0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]], "multilabel", "multi-hot", 3),
        id="multi-hot-empty-row",
    ),
    pytest.param(
        Valid(
            ["cat", "dog", "cat", "bird", "dog", "bird"],
            "multiclass",
            "class-names",
            3,
            ("bird", "cat", "dog"),
        ),
        id="names-3",
    ),
    pytest.param(
        Valid(np.array(["no", "yes", "yes", "no"]), "binary", "class-names", 2, ("no", "yes")),
        id="names-2",
    ),
    pytest.param(
        Valid(np.array(["b", "a", "b", "a"], dtype=object), "binary", "class-names", 2, ("a", "b")),
        id="names-object",
    ),
    pytest.param(
        Valid([[0, 2], [1], [], [2, 1, 0]], "multilabel", "label-lists", 3), id="lists-ids"
    ),
    pytest.param(
        Valid([{"x", "y"}, {"y"}, set(), {"x"}], "multilabel", "label-lists", 2, ("x", "y")),
        id="lists-sets-names",
    ),
    pytest.param(
        Valid(
            [("spam",), ("eggs", "spam"), ("eggs",)],
            "multilabel",
            "label-lists",
            2,
            ("eggs", "spam"),
        ),
        id="lists-tuples-names",
    ),
    pytest.param(
        Valid(np.array([[0, 1], [1, 0]], dtype=object), "multiclass", "one-hot", 2),
        id="one-hot-object-dtype",
    ),
    pytest.param(
        Valid([["a", "c"], ["b", "c"]], "multilabel", "label-lists", 3, ("a", "b", "c")),
        id="lists-equal-length-names",
    ),
    pytest.param(
        Valid(np.array([[b"x", b"y"], [b"y", b"y"]]), "multilabel", "label-lists", 2, ("x", "y")),
        id="lists-bytes-matrix",
    ),
]


@dataclasses.dataclass(frozen=True)
class Invalid:
    y: Any
    message: str


INVALID_LABELS = [
    pytest.param(
        Invalid(
            [],
            "Expected at least one label. Received: an empty array of shape (0,). Pass the "
            "labels of at least one sample.",
        ),
        id="empty",
    ),
    pytest.param(
        Invalid(  # each label wrapped in a list: numpy's "object too deep" before
            [[[0], [1]], [[2]]],
            "Expected labels (ids or names) in each sample's list. Received: y[0][0]=[0] of type "
            "list, a list inside the list. Give each sample one flat list of its labels, e.g. "
            "[0, 1], not [[0], [1]] or [[0, 1]].",
        ),
        id="every-label-wrapped",
    ),
    pytest.param(
        Invalid(  # tuples are no nested lists: the message names what labels can be
            [[("x", 1)], [("y", 2), ("z", 3)]],
            "Expected class ids (ints) or class names (strings). Received: y[0][0]=('x', 1) of "
            "type tuple. Map your labels to ints or strings first.",
        ),
        id="tuple-labels-in-lists",
    ),
    pytest.param(
        Invalid(
            7,
            "Expected labels of shape (N,), (N, 1) or (N, n). Received: a scalar y=7. "
            "Wrap it in a list: [y].",
        ),
        id="scalar",
    ),
    pytest.param(
        Invalid(
            {0, 1, 2},
            "Expected labels in sample order: an array or a list. Received: a set. A set has no "
            "order; pass a list.",
        ),
        id="set",
    ),
    pytest.param(
        Invalid(
            (label for label in [0, 1]),
            "Expected labels in sample order: an array or a list. Received: a generator. Pass "
            "list(y).",
        ),
        id="generator",
    ),
    pytest.param(
        Invalid(
            [[0, [1]], [1, 0]],
            "Expected labels of shape (N,), (N, 1) or (N, n), or one list of labels per sample. "
            "Received: rows that numpy cannot stack into one array, y[0]=[0, [1]] of type list. "
            "Give every sample one label, or every sample a list of labels.",
        ),
        id="labels-mixed-with-lists",
    ),
    pytest.param(
        Invalid(
            np.zeros((2, 3, 4)),
            "Expected labels of shape (N,), (N, 1) or (N, n). Received: shape (2, 3, 4) "
            "(rank 3). Per-timestep or per-pixel labels are not classification head labels; "
            "flatten them with y.reshape(-1, y.shape[-1]) if that is what you mean.",
        ),
        id="rank-3",
    ),
    pytest.param(
        Invalid(
            [0, 2, -1, -1],
            "Expected class ids >= 0. Received: y[2]=-1 (2 of 4 values negative). Negative ids "
            "would wrap to the last class in keras.utils.to_categorical; remove or relabel them.",
        ),
        id="negative",
    ),
    pytest.param(
        Invalid(
            [1, -1, 1],
            "Expected class ids >= 0. Received: y[1]=-1 (1 of 3 values negative). Labels are "
            "-1/+1: use (y > 0).astype(int) for a 0/1 column.",
        ),
        id="minus-one-plus-one",
    ),
    pytest.param(
        Invalid(
            np.array([0, 1, 2**64 - 1], dtype=np.uint64),
            "Expected class ids below 2**63. Received: y[2]=18446744073709551615 (1 of 3 values "
            "too large). These are not class ids (a -1 stored as an unsigned int?); fix those "
            "samples, or map the labels to 0..n-1.",
        ),
        id="uint64-minus-one",
    ),
    pytest.param(
        Invalid(
            [0.0, 1.7, 2.0],
            "Expected integral class labels. Received: y[1]=1.7 (1 of 3 values not integral). "
            "These look like a continuous (regression) target, not class labels; use a "
            "regression head, or bin the values into classes first.",
        ),
        id="non-integral",
    ),
    pytest.param(
        Invalid(
            np.array([0.1, 0.9, 0.4]),
            "Expected integral class labels. Received: y[0]=0.1 (3 of 3 values not integral). "
            "These look like probabilities or scores, not labels: threshold them, e.g. "
            "(y > 0.5).astype(int), if that is what you mean.",
        ),
        id="probabilities",
    ),
    pytest.param(
        Invalid(
            [[0.7, 0.3], [0.0, 1.0]],
            "Expected integral class labels. Received: y[0, 0]=0.7 (2 of 4 values not "
            "integral). These look like soft labels or predicted probabilities (rows sum to 1): "
            "pass hard labels; for soft targets use the loss's label_smoothing instead.",
        ),
        id="soft-labels",
    ),
    pytest.param(
        Invalid(
            [1.0, float("nan"), float("inf")],
            "Expected finite labels. Received: y[1]=nan (2 of 3 values NaN or inf). Drop or fix "
            "those samples before training; a NaN label gives a NaN loss.",
        ),
        id="nan-inf",
    ),
    pytest.param(
        Invalid(
            [[0.0, 1.0], [float("nan"), 0.0]],
            "Expected finite labels. Received: y[1, 0]=nan (1 of 4 values NaN or inf). Drop or "
            "fix those samples before training; a NaN label gives a NaN loss.",
        ),
        id="nan-matrix",
    ),
    pytest.param(
        Invalid(
            [[0, 1, 2], [1, 0, 0]],
            "Expected 0/1 cells in a one-hot or multi-hot matrix. Received: y[0, 2]=2 (1 of 6 "
            "cells not 0 or 1). If each row lists class ids, use safeheads.to_multi_hot(y, n); "
            "for one class id per sample pass a 1-D array.",
        ),
        id="cells-not-binary",
    ),
    pytest.param(
        Invalid(
            [1, "a", 2],
            "Expected labels of one type. Received: y[0]=1 is int but y[1]='a' is str (1 of 3 "
            "values differ). Convert all labels to ints, or all to strings.",
        ),
        id="int-str-mix",
    ),
    pytest.param(
        Invalid(
            np.array([True, 1, "x"], dtype=object),
            "Expected labels of one type. Received: y[0]=True is bool but y[1]=1 is int (2 of 3 "
            "values differ). Convert all labels to ints, or all to strings.",
        ),
        id="bool-object-mix",
    ),
    pytest.param(
        Invalid(
            np.array([None, None], dtype=object),
            "Expected class ids (ints) or class names (strings). Received: y[0]=None. Map your "
            "labels to ints or strings first.",
        ),
        id="object-none",
    ),
    pytest.param(
        Invalid(
            np.array([1 + 2j, 0j]),
            "Expected numeric labels or class names. Received: dtype complex128. Convert the "
            "labels to ints or strings.",
        ),
        id="complex",
    ),
    pytest.param(
        Invalid(
            np.array([[None, 1], [0, 1]], dtype=object),
            "Expected a numeric 0/1 matrix or class names. Received: y[0, 0]=None in a matrix "
            "of dtype object with shape (2, 2). Convert the labels to ints, or the names to "
            "strings.",
        ),
        id="object-matrix",
    ),
    pytest.param(
        Invalid(
            [[0, 1], [-3]],
            "Expected class ids >= 0. Received: y[1][0]=-3 (1 of 3 labels negative). Negative "
            "ids would wrap to the last class in keras.utils.to_categorical; remove or relabel "
            "them.",
        ),
        id="lists-negative",
    ),
    pytest.param(
        Invalid(
            [[0], [1, "b"]],
            "Expected labels of one type. Received: y[0][0]=0 is int but y[1][1]='b' is str (1 of "
            "3 labels differ). Convert all labels to ints, or all to strings.",
        ),
        id="lists-mix",
    ),
    pytest.param(
        Invalid(
            [[1, 2], 3],
            "Expected one list of labels per sample. Received: y[1]=3 while y[0] is a list. "
            "Wrap single labels in a list, e.g. [3] or [] for no label.",
        ),
        id="lists-not-list",
    ),
    pytest.param(
        Invalid(
            [set(), set()],
            "Expected at least one label in some sample. Received: 2 empty label lists. Pass n "
            "to safeheads.to_multi_hot(y, n) to build an all-zero matrix.",
        ),
        id="lists-all-empty",
    ),
]

# --------------------------------------------------------------------------- heads


@dataclasses.dataclass(frozen=True)
class HeadCase:
    task: str
    n: int | None
    options: dict[str, Any]
    units: int
    activation: str
    loss: str
    metrics: tuple[tuple[str, str], ...]  # (name, class name)


_BINARY_METRICS = (
    ("accuracy", "ThresholdAccuracy"),
    ("auc", "RocAUC"),
    ("precision", "ThresholdPrecision"),
    ("recall", "ThresholdRecall"),
)
_MULTILABEL_METRICS = (
    ("exact_match", "ExactMatch"),
    ("label_accuracy", "ThresholdAccuracy"),
    ("micro_f1", "ThresholdF1"),
    ("macro_f1", "ThresholdF1"),
    ("auc", "RocAUC"),
)


def _head_cases() -> list[Any]:
    cases = []
    for from_logits in (False, True):
        suffix = "logits" if from_logits else "probs"
        for n in (None, 1, 2):
            cases.append(
                pytest.param(
                    HeadCase(
                        "binary",
                        n,
                        {"from_logits": from_logits},
                        1,
                        "linear" if from_logits else "sigmoid",
                        "BinaryCrossentropy",
                        _BINARY_METRICS,
                    ),
                    id=f"binary-n{n}-{suffix}",
                )
            )
        for labels, loss in (
            ("sparse", "SparseCategoricalCrossentropy"),
            ("one_hot", "CategoricalCrossentropy"),
        ):
            for n in (3, 12):
                metrics: tuple[tuple[str, str], ...] = (("accuracy", "TopKAccuracy"),)
                if n >= 10:
                    metrics += (("top_5_accuracy", "TopKAccuracy"),)
                cases.append(
                    pytest.param(
                        HeadCase(
                            "multiclass",
                            n,
                            {"from_logits": from_logits, "labels": labels},
                            n,
                            "linear" if from_logits else "softmax",
                            loss,
                            metrics,
                        ),
                        id=f"multiclass-{labels}-n{n}-{suffix}",
                    )
                )
        cases.append(
            pytest.param(
                HeadCase(
                    "multilabel",
                    4,
                    {"from_logits": from_logits},
                    4,
                    "linear" if from_logits else "sigmoid",
                    "BinaryCrossentropy",
                    _MULTILABEL_METRICS,
                ),
                id=f"multilabel-{suffix}",
            )
        )
    return cases


HEAD_CASES = _head_cases()

# Every valid (task, n, options) combination, for save/load and learning tests.
HEAD_CONFIGS = [
    pytest.param(("binary", None, {"from_logits": False}), id="binary-probs"),
    pytest.param(("binary", None, {"from_logits": True}), id="binary-logits"),
    pytest.param(("multiclass", 3, {"labels": "sparse"}), id="multiclass-sparse-probs"),
    pytest.param(
        ("multiclass", 3, {"labels": "sparse", "from_logits": True}), id="multiclass-sparse-logits"
    ),
    pytest.param(("multiclass", 3, {"labels": "one_hot"}), id="multiclass-onehot-probs"),
    pytest.param(
        ("multiclass", 3, {"labels": "one_hot", "from_logits": True}),
        id="multiclass-onehot-logits",
    ),
    pytest.param(("multiclass", 12, {"labels": "sparse"}), id="multiclass-12-top-5"),
    pytest.param(("multilabel", 4, {"from_logits": False}), id="multilabel-probs"),
    pytest.param(("multilabel", 4, {"from_logits": True}), id="multilabel-logits"),
]
