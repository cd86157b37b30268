"""The model doctor's table: real Keras model setups and the finding codes each must give.

Each `Case` is one setup: output units x activation (and how it is attached) x loss
(string, function or object, with its ``from_logits``) x metrics x label format x
the ``task=`` the user states. ``expected`` lists the finding codes, with
multiplicity, in report order (errors first, then by code). The correct setups
expect ``()``: no finding at all, so the doctor raises no false alarm.

Models are built for real (``build_model``), compiled but never trained.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest

import safeheads

# --------------------------------------------------------------------------- labels
# Twelve samples; every class / label occurs, so no suspicious-label warning (SH409).

_BINARY = np.array([0, 1] * 6)
_SPARSE3 = np.array([0, 1, 2] * 4)
_MULTI_HOT3 = np.array(
    [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]] * 2, dtype="float32"
)

LABELS: dict[str, Any] = {
    "binary": _BINARY,
    "binary-n1": _BINARY.reshape(-1, 1).astype("float32"),
    "sparse3": _SPARSE3,
    "sparse4": np.array([0, 1, 2, 3] * 3),
    "sparse3-from-1": _SPARSE3 + 1,
    "one-hot2": np.eye(2, dtype="float32")[_BINARY],
    "one-hot3": np.eye(3, dtype="float32")[_SPARSE3],
    "multi-hot3": _MULTI_HOT3,
    "names": np.array(["cat", "dog"] * 6),
    "nan": np.array([0.0, 1.0, np.nan, 1.0] * 3),
    "sparse3-ignore-1": np.array([0, 1, 2, -1] * 3),
    "all-ignored": np.full(12, -1),  # e.g. a batch of padding
}


# --------------------------------------------------------------------------- builders

Factory = Callable[[], Any]


def _make(item: Any) -> Any:
    """Strings stay strings; factories (``Obj``) are called for a fresh object."""
    return item() if isinstance(item, Obj) else item


@dataclasses.dataclass(frozen=True)
class Obj:
    """A zero-argument factory, so each test builds fresh loss and metric objects."""

    factory: Factory
    label: str

    def __call__(self) -> Any:
        return self.factory()

    def __repr__(self) -> str:
        return self.label


def obj(label: str, factory: Factory) -> Obj:
    return Obj(factory, label)


@dataclasses.dataclass(frozen=True)
class Case:
    """One model setup and the finding codes it must produce."""

    id: str
    units: int
    activation: str | None
    loss: Any = None  # None: not compiled
    metrics: tuple[Any, ...] = ()
    labels: str | None = None  # a key of LABELS
    task: str | None = None
    expected: tuple[str, ...] = ()
    shape: str = "dense"  # how the activation is attached; see build_model
    compile: bool = True


def _stack(case: Case, inputs: Any) -> Any:
    if case.shape == "dense":
        return keras.layers.Dense(case.units, case.activation, name="out")(inputs)
    logits = keras.layers.Dense(case.units, name="logits")(inputs)
    if case.shape == "activation-layer":
        return keras.layers.Activation(case.activation, name="out")(logits)
    if case.shape == "softmax-layer":
        return keras.layers.Softmax(name="out")(logits)
    if case.shape == "ops-softmax":
        return keras.ops.softmax(logits)
    if case.shape == "ops-sigmoid":
        return keras.ops.sigmoid(logits)
    if case.shape == "log-softmax":
        return keras.activations.log_softmax(logits)
    if case.shape == "then-linear":  # an identity after the activation
        out = keras.layers.Dense(case.units, case.activation)(inputs)
        return keras.layers.Activation("linear", name="out")(out)
    if case.shape == "nested":
        head = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(case.units, case.activation)], name="head"
        )
        return head(keras.layers.Dense(8, "relu")(logits))
    raise ValueError(f"unknown shape {case.shape!r}")


def build_model(case: Case) -> keras.Model:
    """The model of a case, compiled with its loss and metrics unless ``compile=False``."""
    inputs = keras.Input((4,))
    if case.shape == "sequential":
        model = keras.Sequential([inputs, keras.layers.Dense(case.units, case.activation)])
    elif case.shape == "sequential-then-linear":
        model = keras.Sequential([
            inputs, keras.layers.Dense(case.units, case.activation), keras.layers.Activation("linear")
        ])  # fmt: skip
    else:
        model = keras.Model(inputs, _stack(case, inputs))
    if case.compile and case.loss is not None:
        metrics = [_make(m) for m in case.metrics]
        model.compile("adam", loss=_make(case.loss), metrics=metrics or None)
    return model


def labels_of(case: Case) -> Any:
    return None if case.labels is None else LABELS[case.labels]


# --------------------------------------------------------------------------- objects

BCE_LOGITS = obj("BCE(from_logits=True)", lambda: keras.losses.BinaryCrossentropy(from_logits=True))
CCE_LOGITS = obj(
    "CCE(from_logits=True)", lambda: keras.losses.CategoricalCrossentropy(from_logits=True)
)
SCCE_LOGITS = obj(
    "SCCE(from_logits=True)", lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)
BCE_FN = obj("binary_crossentropy function", lambda: keras.losses.binary_crossentropy)
FOCAL = obj("BinaryFocalCrossentropy()", lambda: keras.losses.BinaryFocalCrossentropy())
AUC_LOGITS = obj("AUC(from_logits=True)", lambda: keras.metrics.AUC(from_logits=True))
AUC_MULTI = obj("AUC(multi_label=True)", lambda: keras.metrics.AUC(multi_label=True))
AUC_MULTI_LOGITS = obj(
    "AUC(multi_label, from_logits)",
    lambda: keras.metrics.AUC(multi_label=True, from_logits=True),
)
BINACC_0 = obj("BinaryAccuracy(threshold=0.0)", lambda: keras.metrics.BinaryAccuracy(threshold=0))
CATACC = obj("CategoricalAccuracy()", lambda: keras.metrics.CategoricalAccuracy())
F1_MICRO = obj("F1Score(micro, 0.5)", lambda: keras.metrics.F1Score(average="micro", threshold=0.5))
F1_ARGMAX = obj("F1Score()", lambda: keras.metrics.F1Score())
EXACT_ACCURACY = obj("Accuracy()", lambda: keras.metrics.Accuracy())
PRECISION = obj("Precision()", lambda: keras.metrics.Precision())
PRECISION_0 = obj("Precision(thresholds=0.0)", lambda: keras.metrics.Precision(thresholds=0.0))
RECALL_0 = obj("Recall(thresholds=0.0)", lambda: keras.metrics.Recall(thresholds=0.0))
PRECISION_EVEN = obj(
    "Precision(thresholds=[0, 0.5, 1])", lambda: keras.metrics.Precision(thresholds=[0, 0.5, 1])
)
PRECISION_TOP2 = obj("Precision(top_k=2)", lambda: keras.metrics.Precision(top_k=2))
PRECISION_UNEVEN = obj(
    "Precision(thresholds=[0.3, 0.7])", lambda: keras.metrics.Precision(thresholds=[0.3, 0.7])
)
SCCE_IGNORE = obj(
    "SCCE(ignore_class=-1)", lambda: keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
)
AUC_PLAIN = obj("AUC()", lambda: keras.metrics.AUC())
SH_SIGMOID_CE = obj("SigmoidCrossentropy()", lambda: safeheads.SigmoidCrossentropy())
SH_SOFTMAX_CE = obj("SoftmaxCrossentropy()", lambda: safeheads.SoftmaxCrossentropy())
SH_SOFTMAX_CE_ONE_HOT = obj(
    "SoftmaxCrossentropy(sparse=False)", lambda: safeheads.SoftmaxCrossentropy(sparse=False)
)
SH_ACC_LOGITS = obj(
    "ThresholdAccuracy(from_logits=True)",
    lambda: safeheads.ThresholdAccuracy(from_logits=True),
)


# Safeheads metrics built for a width: on an output of another width fit stops (SH306).
AUC_4 = obj("RocAUC(4)", lambda: safeheads.RocAUC(4))
AUC_3 = obj("RocAUC(3)", lambda: safeheads.RocAUC(3))
F1_5 = obj("ThresholdF1(5)", lambda: safeheads.ThresholdF1(5))
ACC_2_THRESHOLDS = obj(
    "ThresholdAccuracy([0.3, 0.5])", lambda: safeheads.ThresholdAccuracy([0.3, 0.5])
)
PRECISION_AT_5 = obj("PrecisionAtK(5)", lambda: safeheads.PrecisionAtK(5))
AT_LEAST_2 = obj("ExactMatch(min_labels=2)", lambda: safeheads.ExactMatch(min_labels=2))
TOP_5 = obj("TopKAccuracy(5)", lambda: safeheads.TopKAccuracy(5))
TOP_1 = obj("TopKAccuracy(1)", lambda: safeheads.TopKAccuracy(1))
TOP_1_ONE_HOT = obj(
    "TopKAccuracy(1, sparse=False)", lambda: safeheads.TopKAccuracy(1, sparse=False)
)
PRECISION_AT_3 = obj("PrecisionAtK(3)", lambda: safeheads.PrecisionAtK(3))
ADJUSTED_2 = obj(
    "LogitAdjustedAccuracy([0.0, 0.0])", lambda: safeheads.LogitAdjustedAccuracy([0.0, 0.0])
)


def _case(*args: Any, **kwargs: Any) -> Any:
    case = Case(*args, **kwargs)
    return pytest.param(case, id=case.id)


CASES = [
    # ---- correct hand-written heads: no finding at all
    _case("ok-binary-sigmoid-bce", 1, "sigmoid", "binary_crossentropy", ("accuracy",), "binary"),
    _case("ok-binary-n1-labels", 1, "sigmoid", "binary_crossentropy", ("acc",), "binary-n1"),
    _case(
        "ok-binary-logits-bce",
        1,
        None,
        BCE_LOGITS,
        (AUC_LOGITS, BINACC_0, SH_ACC_LOGITS),
        "binary",
        task="binary",
    ),
    _case("ok-binary-bce-function", 1, "sigmoid", BCE_FN, (AUC_PLAIN, PRECISION), "binary"),
    _case("ok-binary-focal", 1, "sigmoid", FOCAL, ("binary_accuracy",), "binary"),
    _case("ok-binary-sequential", 1, "sigmoid", "bce", ("accuracy",), "binary", shape="sequential"),
    _case(
        "ok-binary-sigmoid-then-linear",
        1,
        "sigmoid",
        "binary_crossentropy",
        ("accuracy",),
        "binary",
        shape="then-linear",
    ),
    _case(
        "ok-multiclass-softmax-then-linear-sequential",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("accuracy",),
        "sparse3",
        shape="sequential-then-linear",
    ),
    _case(
        "linear-then-linear-is-logits",
        3,
        None,
        "sparse_categorical_crossentropy",
        ("accuracy",),
        "sparse3",
        expected=("SH201",),
        shape="then-linear",
    ),
    _case(
        "ok-binary-softmax2-scce",
        2,
        "softmax",
        "sparse_categorical_crossentropy",
        ("accuracy",),
        "binary",
        task="binary",
    ),
    _case(
        "ok-multiclass-softmax-scce",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("accuracy",),
        "sparse3",
        task="multiclass",
    ),
    _case(
        "ok-multiclass-softmax-cce",
        3,
        "softmax",
        "categorical_crossentropy",
        ("accuracy",),
        "one-hot3",
    ),
    _case(
        "ok-multiclass-logits-scce",
        3,
        None,
        SCCE_LOGITS,
        ("accuracy",),
        "sparse3",
        task="multiclass",
    ),
    _case("ok-multiclass-logits-cce", 3, None, CCE_LOGITS, (CATACC,), "one-hot3"),
    _case(
        "ok-multiclass-crossentropy-alias", 3, "softmax", "crossentropy", ("accuracy",), "one-hot3"
    ),
    _case(
        "ok-multiclass-activation-layer",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("acc",),
        "sparse3",
        shape="activation-layer",
    ),
    _case(
        "ok-multiclass-ops-softmax",
        3,
        None,
        "sparse_categorical_crossentropy",
        (),
        "sparse3",
        shape="ops-softmax",
    ),
    _case(
        "ok-multiclass-log-softmax-logits", 3, None, CCE_LOGITS, (), "one-hot3", shape="log-softmax"
    ),
    _case(
        "ok-multilabel-sigmoid-bce",
        3,
        "sigmoid",
        "binary_crossentropy",
        (F1_MICRO, AUC_MULTI),
        "multi-hot3",
        task="multilabel",
    ),
    _case("ok-multilabel-logits-bce", 3, None, BCE_LOGITS, (AUC_MULTI_LOGITS,), "multi-hot3"),
    _case(
        "ok-multilabel-ops-sigmoid",
        3,
        None,
        "binary_crossentropy",
        (),
        "multi-hot3",
        shape="ops-sigmoid",
    ),
    _case(
        "ok-sigmoid2-one-hot-accuracy",
        2,
        "sigmoid",
        "binary_crossentropy",
        ("accuracy",),
        "one-hot2",
    ),
    _case("ok-uncompiled-binary", 1, "sigmoid", labels="binary", compile=False),
    _case("ok-uncompiled-multiclass", 3, "softmax", labels="sparse3", compile=False),
    # ---- SH1xx: the output layer
    _case(
        "softmax-one-unit",
        1,
        "softmax",
        "binary_crossentropy",
        ("accuracy",),
        "binary",
        expected=("SH101",),
    ),
    _case("softmax-one-unit-uncompiled", 1, "softmax", compile=False, expected=("SH101",)),
    _case(
        "softmax-layer-one-unit",
        1,
        None,
        "binary_crossentropy",
        labels="binary",
        shape="softmax-layer",
        expected=("SH101",),
    ),
    _case(
        "relu-output-cce",
        3,
        "relu",
        "categorical_crossentropy",
        labels="one-hot3",
        expected=("SH102",),
    ),
    # ---- SH2xx: the loss against the output
    _case(
        "linear-bce-no-logits",
        1,
        None,
        "binary_crossentropy",
        labels="binary",
        expected=("SH201",),
    ),
    _case(
        "linear-scce-no-logits",
        3,
        None,
        "sparse_categorical_crossentropy",
        ("accuracy",),
        "sparse3",
        expected=("SH201",),
    ),
    _case(
        "sigmoid-bce-from-logits", 1, "sigmoid", BCE_LOGITS, labels="binary", expected=("SH202",)
    ),
    _case(
        "softmax-scce-from-logits", 3, "softmax", SCCE_LOGITS, labels="sparse3", expected=("SH202",)
    ),
    _case(
        "sigmoid-cce",
        3,
        "sigmoid",
        "categorical_crossentropy",
        ("accuracy",),
        "one-hot3",
        expected=("SH203",),
    ),
    _case(
        "sigmoid-scce",
        3,
        "sigmoid",
        "sparse_categorical_crossentropy",
        labels="sparse3",
        expected=("SH203",),
    ),
    _case(
        "nested-sigmoid-cce",
        3,
        "sigmoid",
        "categorical_crossentropy",
        labels="one-hot3",
        shape="nested",
        expected=("SH203",),
    ),
    _case(
        "softmax-bce-topics",
        3,
        "softmax",
        "binary_crossentropy",
        ("binary_accuracy",),
        "multi-hot3",
        expected=("SH204", "SH302"),
    ),
    _case(
        "softmax-bce-one-hot",
        3,
        "softmax",
        "binary_crossentropy",
        ("accuracy",),
        "one-hot3",
        expected=("SH204",),
    ),
    _case("softmax-bce-no-labels", 3, "softmax", "binary_crossentropy", expected=("SH204",)),
    _case("cce-one-unit", 1, "sigmoid", "categorical_crossentropy", expected=("SH205",)),
    _case(
        "cce-one-unit-binary-labels",
        1,
        "sigmoid",
        "categorical_crossentropy",
        labels="binary",
        expected=("SH205",),
    ),
    _case("mse-loss", 1, "sigmoid", "mse", ("accuracy",), "binary", expected=("SH206",)),
    _case("unknown-loss-name", 1, "sigmoid", "binary_crosentropy", expected=("SH207",)),
    # safeheads' losses on a hand-written output are checked like Keras' own
    _case("ok-safeheads-sigmoid-ce", 3, "sigmoid", SH_SIGMOID_CE, (), "multi-hot3"),
    _case("ok-safeheads-softmax-ce", 3, "softmax", SH_SOFTMAX_CE, (), "sparse3"),
    _case("safeheads-sigmoid-ce-on-softmax", 3, "softmax", SH_SIGMOID_CE, expected=("SH204",)),
    _case("safeheads-softmax-ce-on-1-unit", 1, "sigmoid", SH_SOFTMAX_CE, expected=("SH205",)),
    _case(
        "safeheads-softmax-ce-on-sigmoid",
        3,
        "sigmoid",
        SH_SOFTMAX_CE,
        (),
        "sparse3",
        expected=("SH203",),
    ),
    _case(
        "safeheads-sparse-ce-with-one-hot",
        3,
        "softmax",
        SH_SOFTMAX_CE,
        (),
        "one-hot3",
        expected=("SH407",),
    ),
    _case(
        "safeheads-one-hot-ce-on-multi-hot",
        3,
        "sigmoid",
        SH_SOFTMAX_CE_ONE_HOT,
        (),
        "multi-hot3",
        expected=("SH203", "SH405"),
    ),
    # ---- SH3xx: metrics as Keras resolves them
    _case(
        "multilabel-accuracy",
        3,
        "sigmoid",
        "binary_crossentropy",
        ("accuracy",),
        "multi-hot3",
        expected=("SH301",),
    ),
    _case(
        "multilabel-acc-no-labels",
        3,
        "sigmoid",
        "binary_crossentropy",
        ("acc",),
        expected=("SH301",),
    ),
    _case(
        "multilabel-logits-categorical-accuracy",
        3,
        None,
        BCE_LOGITS,
        (CATACC,),
        "multi-hot3",
        expected=("SH301",),
    ),
    _case(
        "multilabel-binary-accuracy",
        3,
        "sigmoid",
        "binary_crossentropy",
        ("binary_accuracy",),
        "multi-hot3",
        expected=("SH302",),
    ),
    _case(
        "logits-accuracy-precision",
        1,
        None,
        BCE_LOGITS,
        ("accuracy", PRECISION, AUC_PLAIN),
        "binary",
        expected=("SH303", "SH303", "SH303"),
    ),
    # One threshold is compared with the raw scores (0 is the cut for logits); Keras clips
    # the scores to [0, 1] only for 3 or more evenly spaced thresholds.
    _case("ok-logits-precision-recall-threshold-0", 1, None, BCE_LOGITS, (PRECISION_0, RECALL_0)),
    _case("ok-logits-precision-top-k", 3, None, BCE_LOGITS, (PRECISION_TOP2,), "multi-hot3"),
    _case("ok-probabilities-precision-top-k", 3, "sigmoid", "bce", (PRECISION_TOP2,), "multi-hot3"),
    _case(
        "logits-precision-uneven-thresholds",
        1,
        None,
        BCE_LOGITS,
        (PRECISION_UNEVEN,),
        "binary",
        expected=("SH303",),
    ),
    _case(
        "logits-precision-even-thresholds",
        1,
        None,
        BCE_LOGITS,
        (PRECISION_EVEN,),
        "binary",
        expected=("SH303",),
    ),
    _case(
        "probabilities-precision-threshold-0",
        1,
        "sigmoid",
        "bce",
        (PRECISION_0,),
        "binary",
        expected=("SH303",),
    ),
    _case(
        "probabilities-auc-from-logits",
        1,
        "sigmoid",
        "binary_crossentropy",
        (AUC_LOGITS,),
        "binary",
        expected=("SH303",),
    ),
    _case(
        "probabilities-binary-accuracy-threshold-0",
        1,
        "sigmoid",
        "binary_crossentropy",
        (BINACC_0,),
        "binary",
        expected=("SH303",),
    ),
    _case(
        "logits-f1-threshold-0.5",
        3,
        None,
        BCE_LOGITS,
        (F1_MICRO,),
        "multi-hot3",
        expected=("SH303",),
    ),
    _case("ok-probabilities-f1-threshold-0.5", 3, "sigmoid", "bce", (F1_MICRO,), "multi-hot3"),
    _case(
        "multilabel-f1-argmax",
        3,
        "sigmoid",
        "binary_crossentropy",
        (F1_ARGMAX,),
        "multi-hot3",
        expected=("SH304",),
    ),
    _case(
        "binary-keras-accuracy-object",
        1,
        "sigmoid",
        "binary_crossentropy",
        (EXACT_ACCURACY,),
        "binary",
        expected=("SH305",),
    ),
    _case(
        "multiclass-keras-accuracy-object",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        (EXACT_ACCURACY,),
        "sparse3",
        expected=("SH305",),
    ),
    _case("ok-auc-of-the-width", 3, "sigmoid", "binary_crossentropy", (AUC_3, PRECISION_AT_3)),
    _case("auc-of-4-on-3", 3, "sigmoid", "binary_crossentropy", (AUC_4,), expected=("SH306",)),
    _case("f1-of-5-on-3", 3, "sigmoid", "binary_crossentropy", (F1_5,), expected=("SH306",)),
    _case("ok-at-least-2-of-3", 3, "sigmoid", "binary_crossentropy", (AT_LEAST_2,)),
    _case("at-least-2-of-1", 1, "sigmoid", "bce", (AT_LEAST_2,), "binary", expected=("SH306",)),
    _case(
        "two-thresholds-on-3",
        3,
        "sigmoid",
        "binary_crossentropy",
        (ACC_2_THRESHOLDS,),
        expected=("SH306",),
    ),
    _case(
        "precision-at-5-on-3",
        3,
        "sigmoid",
        "binary_crossentropy",
        (PRECISION_AT_5,),
        expected=("SH306",),
    ),
    _case(
        "adjusted-of-2-on-3",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        (ADJUSTED_2,),
        expected=("SH306",),
    ),
    _case(
        "top-5-accuracy-on-3",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        (TOP_5,),
        "sparse3",
        expected=("SH306",),
    ),
    _case("top-1-accuracy-on-1-unit", 1, "sigmoid", "bce", (TOP_1,), "binary", expected=("SH306",)),
    # Keras' own: top-5 on 3 classes is always 1.0, an argmax of one unit is always class 0.
    _case(
        "keras-top-5-on-3",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("sparse_top_k_categorical_accuracy",),
        "sparse3",
        expected=("SH306",),
    ),
    _case(
        "keras-sparse-accuracy-on-1-unit",
        1,
        "sigmoid",
        "bce",
        ("sparse_categorical_accuracy",),
        "binary",
        expected=("SH306",),
    ),
    _case(
        "keras-top-5-on-10",
        10,
        "softmax",
        "sparse_categorical_crossentropy",
        ("sparse_top_k_categorical_accuracy",),
    ),
    _case(
        "one-hot-top-1-with-ids",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        (TOP_1_ONE_HOT,),
        "sparse3",
        expected=("SH307",),
    ),
    _case(
        "cosine-similarity-metric-with-ids",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("cosine_similarity",),
        "sparse3",
        expected=("SH307",),
    ),
    _case(
        "categorical-accuracy-with-ids",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("categorical_accuracy",),
        "sparse3",
        expected=("SH307",),
    ),
    _case(
        "auc-with-a-sparse-loss",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("auc", "sparse_categorical_accuracy"),
        expected=("SH307",),
    ),
    _case(
        "precision-with-0-1-ids-on-2-units",
        2,
        "softmax",
        "sparse_categorical_crossentropy",
        (PRECISION,),
        "binary",
        expected=("SH307",),
    ),
    _case(
        "ok-sparse-metrics-with-ids",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        ("sparse_categorical_accuracy",),  # a top-5 on 3 classes is SH306
        "sparse3",
    ),
    # ---- SH4xx: labels
    _case("labels-nan", 1, "sigmoid", "binary_crossentropy", labels="nan", expected=("SH401",)),
    # Ids equal to the loss's ignore_class are skipped by the loss, and by the checks.
    _case("ok-scce-ignore-class", 3, "softmax", SCCE_IGNORE, labels="sparse3-ignore-1"),
    _case("ok-scce-all-ignored", 3, "softmax", SCCE_IGNORE, labels="all-ignored"),
    _case(
        "ignored-id-without-ignore-class",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="sparse3-ignore-1",
        expected=("SH401",),
    ),
    _case(
        "bce-class-ids", 1, "sigmoid", "binary_crossentropy", labels="sparse3", expected=("SH402",)
    ),
    _case(
        "scce-out-of-range",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="sparse4",
        expected=("SH403",),
    ),
    _case(
        "scce-ids-from-1",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="sparse3-from-1",
        expected=("SH403",),
    ),
    _case(
        "uncompiled-softmax-out-of-range",
        3,
        "softmax",
        labels="sparse4",
        compile=False,
        expected=("SH403",),
    ),
    _case(
        "cce-width-mismatch",
        4,
        "softmax",
        "categorical_crossentropy",
        labels="one-hot3",
        expected=("SH404",),
    ),
    _case(
        "bce-column-on-3-units",
        3,
        "sigmoid",
        "binary_crossentropy",
        labels="binary",
        expected=("SH404",),
    ),
    _case(
        "bce-one-hot2-on-1-unit",
        1,
        "sigmoid",
        "binary_crossentropy",
        labels="one-hot2",
        expected=("SH404",),
    ),
    _case(
        "cce-multi-hot",
        3,
        "softmax",
        "categorical_crossentropy",
        labels="multi-hot3",
        expected=("SH405",),
    ),
    _case(
        "scce-multi-hot",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="multi-hot3",
        expected=("SH406",),
    ),
    _case(
        "uncompiled-softmax-multi-hot",
        3,
        "softmax",
        labels="multi-hot3",
        compile=False,
        expected=("SH406",),
    ),
    _case(
        "cce-class-ids",
        3,
        "softmax",
        "categorical_crossentropy",
        labels="sparse3",
        expected=("SH407",),
    ),
    _case(
        "scce-one-hot",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="one-hot3",
        expected=("SH407",),
    ),
    _case("class-names", 1, "sigmoid", "binary_crossentropy", labels="names", expected=("SH408",)),
    # ---- SH5xx: the task the user states
    _case(
        "multilabel-task-on-softmax",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        task="multilabel",
        expected=("SH501",),
    ),
    _case(
        "multiclass-task-on-one-unit",
        1,
        "sigmoid",
        "binary_crossentropy",
        task="multiclass",
        expected=("SH501",),
    ),
    _case(
        "binary-task-on-3-classes",
        3,
        "softmax",
        "sparse_categorical_crossentropy",
        labels="sparse3",
        task="binary",
        expected=("SH501", "SH502"),
    ),
    _case(
        "multiclass-task-multi-hot-sigmoid",
        3,
        "sigmoid",
        "binary_crossentropy",
        labels="multi-hot3",
        task="multiclass",
        expected=("SH502", "SH503"),
    ),
    _case(
        "binary-task-bce-class-ids",
        1,
        "sigmoid",
        "binary_crossentropy",
        labels="sparse3",
        task="binary",
        expected=("SH402", "SH502"),
    ),
]
