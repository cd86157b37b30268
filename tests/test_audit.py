"""safeheads.check: the case table, every safeheads head, model/loss forms, the report."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import pathlib
import re
import warnings
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import safeheads
from safeheads._audit import CODES, inspect_model

from tests.audit_cases import CASES, Case, build_model, labels_of

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "findings.md"


# --------------------------------------------------------------------------- the table


def test_table_is_large_and_covers_every_code() -> None:
    cases = [param.values[0] for param in CASES]
    assert len(cases) >= 30
    assert len({case.id for case in cases}) == len(cases)
    covered = {code for case in cases for code in case.expected}
    # tested below: a global policy, a warning, fit(class_weight=...), two outputs
    assert covered == set(CODES) - {"SH103", "SH208", "SH209", "SH409", "SH410", "SH411"}
    assert sum(1 for case in cases if not case.expected) >= 15


@pytest.mark.parametrize("case", CASES)
def test_case(case: Case) -> None:
    model = build_model(case)
    report = safeheads.check(model, labels_of(case), task=case.task)
    assert report.codes == case.expected, str(report)
    assert report.ok == (not any(CODES[code][0] == "error" for code in case.expected))
    for finding in report.findings:
        assert finding.severity == CODES[finding.code][0]
        assert finding.message.endswith(".") and finding.fix.endswith((".", ")", "`"))
        assert finding.output == model.output_names[0]
        if finding.code in ("SH101", "SH201", "SH203", "SH204", "SH403", "SH404", "SH501"):
            assert "safeheads.classification_head(" in finding.fix  # the fix is code


# --------------------------------------------------------------------------- no false alarms


def _head_configs() -> list[dict[str, object]]:
    configs: list[dict[str, object]] = []
    for task, n, labels in (
        ("binary", None, None),
        ("multiclass", 3, "sparse"),
        ("multiclass", 3, "one_hot"),
        ("multiclass", 12, "sparse"),
        ("multilabel", 4, None),
    ):
        for from_logits in (False, True):
            for names in (False, True):
                config: dict[str, object] = {"task": task, "n": n, "from_logits": from_logits}
                if labels is not None:
                    config["labels"] = labels
                if names:
                    config["class_names"] = [f"c{i}" for i in range(2 if n is None else n)]
                configs.append(config)
    options = inspect.signature(safeheads.classification_head).parameters
    extras = [
        {"task": "multilabel", "n": 4, "pos_weight": 2.0},
        {"task": "multilabel", "n": 4, "focal_gamma": 2.0, "from_logits": True},
        {"task": "binary", "focal_gamma": 2.0},
        {"task": "multiclass", "n": 3, "label_smoothing": 0.1},
        {"task": "multiclass", "n": 3, "labels": "one_hot", "focal_gamma": 2.0},
        {"task": "multilabel", "n": 4, "top_k": 2},
        {"task": "multilabel", "n": 4, "min_labels": 1, "from_logits": True},
    ]
    configs += [
        c for c in extras if set(c) - {"task", "n", "from_logits", "labels"} <= set(options)
    ]
    return configs


def _head_labels(task: str, n: int | None) -> np.ndarray:
    if task == "binary":
        return np.array([0, 1] * 12)
    if task == "multiclass":
        assert n is not None
        return np.arange(24) % n
    return (np.arange(24)[:, None] % np.arange(2, 6) == 0).astype(int)


def _config_id(config: dict[str, object]) -> str:
    return "-".join(
        f"{key}={len(value) if isinstance(value, list) else value}"  # type: ignore[arg-type]
        for key, value in config.items()
    )


def _head_setup(config: dict[str, object]) -> tuple[safeheads.Head, str, np.ndarray]:
    options = dict(config)
    task, n = str(options.pop("task")), options.pop("n", None)
    head = safeheads.classification_head(task, n, **options)  # type: ignore[arg-type]
    return head, task, head.encode(_head_labels(task, n))  # type: ignore[arg-type]


@pytest.mark.parametrize("config", _head_configs(), ids=_config_id)
def test_every_safeheads_head_passes(config: dict[str, object]) -> None:
    head, task, y = _head_setup(config)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    assert safeheads.check(model, y, task=task).findings == ()
    assert safeheads.check(model).findings == ()


def test_every_safeheads_head_passes_after_load(tmp_path: pathlib.Path) -> None:
    """All heads as the outputs of one model: one .keras save and load, checked per output."""
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(8)(inputs)
    outputs, losses, metrics, labels = {}, {}, {}, {}
    for i, config in enumerate(_head_configs()):
        head, _, y = _head_setup(config)
        name = f"head_{i}"
        head.layer.name = name
        outputs[name] = head.layer(hidden)
        losses[name], metrics[name], labels[name] = head.loss, head.metrics, y
    model = keras.Model(inputs, outputs)
    model.compile("adam", loss=losses, metrics=metrics)
    assert safeheads.check(model, labels).findings == ()
    model.save(tmp_path / "heads.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras: optimizer variables not built
        loaded = keras.models.load_model(tmp_path / "heads.keras")
    report = safeheads.check(loaded, labels)
    assert sum(isinstance(layer, safeheads.HeadLayer) for layer in loaded.layers) == len(labels)
    assert len([line for line in report.inspected if line.startswith("output ")]) == len(labels)
    assert report.findings == (), str(report)


def test_functional_head_with_class_names() -> None:
    head = safeheads.classification_head("multilabel", 3, class_names=["a", "b", "c"])
    inputs = keras.Input((4,))
    model = keras.Model(inputs, head.layer(keras.layers.Dense(6)(inputs)))
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    report = safeheads.check(model, head.encode([["a"], ["b", "c"], [], ["a", "c"]]))
    assert report.ok and report.findings == ()


# --------------------------------------------------------------------------- loss forms


def _softmax_model() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax", name="out")])


@pytest.mark.parametrize(
    "loss",
    [
        pytest.param("binary_crossentropy", id="string"),
        pytest.param("bce", id="alias"),
        pytest.param(keras.losses.binary_crossentropy, id="function"),
        pytest.param(keras.losses.BinaryCrossentropy(), id="object"),
        pytest.param(["binary_crossentropy"], id="list"),
        pytest.param({"out": "binary_crossentropy"}, id="dict"),
        pytest.param(
            functools.partial(keras.losses.binary_crossentropy, label_smoothing=0.1), id="partial"
        ),
    ],
)
def test_loss_forms_resolve_alike(loss: object, tmp_path: pathlib.Path) -> None:
    model = _softmax_model()
    model.compile("adam", loss=loss)
    assert safeheads.check(model).codes == ("SH204",)
    if isinstance(loss, functools.partial):
        return  # a partial cannot be saved in a .keras file
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = keras.models.load_model(tmp_path / "m.keras")
    assert safeheads.check(loaded).codes == ("SH204",)


def test_from_logits_read_from_partial_and_wrapper() -> None:
    from keras.src.losses.losses import LossFunctionWrapper

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile(
        "adam", loss=functools.partial(keras.losses.binary_crossentropy, from_logits=True)
    )
    assert safeheads.check(model).codes == ("SH202",)
    model.compile(
        "adam", loss=LossFunctionWrapper(keras.losses.binary_crossentropy, from_logits=True)
    )
    assert safeheads.check(model).codes == ("SH202",)


def test_head_passed_as_loss_is_an_error_with_the_head_fix() -> None:
    head = safeheads.classification_head("binary")
    model = keras.Sequential([keras.Input((4,)), head.layer])
    model.compile("adam", loss=head)
    finding = safeheads.check(model).findings[0]
    assert (finding.code, finding.severity) == ("SH207", "error")
    assert finding.message == (
        "Keras cannot use the loss Head (not callable), so fit() stops at the first batch "
        "(Could not interpret loss identifier)."
    )
    assert finding.fix.startswith("Pass the head's loss, not the head: ")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        model.fit(np.zeros((4, 4)), np.zeros(4), verbose=0)  # what the finding says


def test_class_weight_findings() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    inverse = {c: 1 / np.sum(y == c) for c in range(3)}
    finding = safeheads.check(model, y, class_weight=inverse).findings[0]
    assert (finding.code, finding.severity) == ("SH411", "warning")
    assert finding.message == (
        "class_weight averages 0.03 per sample of these labels (weights such as 1/count), so "
        "it scales the loss and every gradient by about 0.03: with SGD the steps shrink (or "
        "grow) by that much and training stalls (or diverges); Adam and other adaptive "
        "optimizers mostly undo the scale."
    )
    assert finding.fix.endswith("class_weight=safeheads.class_weight(y))`.")
    assert safeheads.check(model, y, class_weight=safeheads.class_weight(y)).codes == ()
    model.compile("sgd", loss="categorical_crossentropy")
    one_hot = safeheads.to_categorical(y, 3)  # the class of a one-hot row is its argmax
    assert safeheads.check(model, one_hot, class_weight=inverse).codes == ("SH411",)
    # The mean per sample needs the labels: balanced weights for 985 / 10 / 5 samples
    # average 33.5 over the classes, 1 per sample, so without labels nothing is said.
    # Keys that are no class id are never looked up by Keras.
    balanced = safeheads.class_weight(np.array([0] * 985 + [1] * 10 + [2] * 5))
    assert np.mean(list(balanced.values())) > 10
    assert safeheads.check(model, class_weight=balanced).codes == ()
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    strings = {"0": 0.001, "1": 0.001, "2": 0.001}
    assert safeheads.check(model, y, class_weight=strings).codes == ()
    multilabel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "sigmoid")])
    multilabel.compile("adam", loss="binary_crossentropy")
    rows = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0]], "float32")
    (finding,) = safeheads.check(multilabel, rows, class_weight={0: 1.0, 1: 2.0}).findings
    assert finding.code == "SH410"
    assert finding.fix == (  # the head call names n (it said `n`, not runnable as written)
        "Drop class_weight and weigh each label's positives in the loss: `safeheads."
        "classification_head('multilabel', 3, prior=y_train, pos_weight='balanced')` (y_train: "
        "the training labels; or a vector of per-label weights)."
    )
    with pytest.raises(TypeError, match=r"^Expected `class_weight` to be a dict \{class id: "):
        safeheads.check(model, y, class_weight=[1.0, 2.0, 3.0])  # type: ignore[arg-type]


def test_custom_loss_function_is_unrecognised_warning() -> None:
    def my_loss(y_true: object, y_pred: object) -> object:
        return keras.losses.binary_crossentropy(y_true, y_pred)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", loss=my_loss)
    report = safeheads.check(model)
    assert report.codes == ("SH206",) and report.ok
    assert report.findings[0].message.startswith(
        "The loss my_loss is not a classification crossentropy that safeheads recognises, so "
        "it cannot check it against the output layer;"
    )


def test_metric_scale_messages_match_the_metric() -> None:
    softmax = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    softmax.compile(
        "adam",
        loss="sparse_categorical_crossentropy",
        metrics=[keras.metrics.SparseCategoricalCrossentropy(from_logits=True)],
    )
    (finding,) = safeheads.check(softmax).findings
    assert finding.message == (
        "The metric SparseCategoricalCrossentropy has from_logits=True but the output applies "
        "softmax: it applies a softmax to probabilities, which pulls every row toward uniform."
    )
    sigmoid = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    sigmoid.compile("adam", loss="bce", metrics=[keras.metrics.AUC(from_logits=True)])
    (finding,) = safeheads.check(sigmoid).findings
    assert finding.message == (
        "The metric AUC has from_logits=True but the output applies sigmoid: it reads "
        "probabilities as logits: after its sigmoid every score lies in [0.5, 0.73]."
    )
    linear = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    linear.compile(
        "adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryCrossentropy()],
    )
    (finding,) = safeheads.check(linear).findings
    assert finding.message == (
        "The metric BinaryCrossentropy reads the output as probabilities, but the output is "
        "linear (logits): it has from_logits=False, so it reads each logit as a probability."
    )
    sigmoid.compile("adam", loss="bce", metrics=[keras.metrics.BinaryAccuracy(threshold=1.0)])
    (finding,) = safeheads.check(sigmoid).findings
    assert finding.message == (
        "The metric BinaryAccuracy cuts the output at threshold=1, but the output applies "
        "sigmoid (probabilities in [0, 1]): it counts every output as negative."
    )
    assert finding.fix == (
        "Pass a probability threshold in (0, 1), e.g. threshold=0.5 (0 is the matching cut for "
        "logits), or use the metrics of `safeheads.classification_head('binary')`."
    )


def test_safeheads_loss_trusted_on_head_layer_checked_elsewhere() -> None:
    head = safeheads.classification_head("multilabel", 3, pos_weight=2.0)
    model = keras.Sequential([keras.Input((4,)), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    assert safeheads.check(model).findings == ()
    hand = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "sigmoid")])
    hand.compile("adam", loss=type(head.loss)(from_logits=True))
    assert safeheads.check(hand).codes == ("SH202",)


def test_safeheads_loss_of_another_head_is_checked() -> None:
    layer = safeheads.classification_head("binary", pos_weight=3.0).layer  # sigmoid
    loss = safeheads.classification_head("binary", pos_weight=3.0, from_logits=True).loss
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile("adam", loss=loss)
    assert safeheads.check(model).codes == ("SH202",)


def test_keras_loss_on_head_layer_is_still_checked() -> None:
    layer = safeheads.classification_head("multiclass", 3).layer
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile("adam", loss="binary_crossentropy")
    assert safeheads.check(model).codes == ("SH204",)
    assert safeheads.check(model, task="multilabel").codes == ("SH204", "SH501")


@pytest.mark.parametrize(
    ("task", "labels", "head_call"),
    [
        ("multiclass", None, "classification_head('multiclass', n)"),
        ("multilabel", None, "classification_head('multilabel', n)"),
        ("multiclass", np.array([0, 1, 2, 1]), "classification_head('multiclass', 3)"),
    ],
    ids=["multiclass", "multilabel", "multiclass-labels"],
)
def test_one_unit_output_fix_names_a_head_that_exists(task, labels, head_call) -> None:
    # The one-unit model being checked is no fix, and n=1 is refused for these tasks.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy")
    model.compile("adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    report = safeheads.check(model, labels, task=task)
    fix = next(finding.fix for finding in report.findings if finding.code == "SH501")
    for finding in report.findings:  # no fix names a head that cannot be built
        assert "', 1)" not in finding.fix, finding
    assert head_call in fix and "Dense(1," not in fix
    assert ("(>= 2)" in fix and "the task is 'binary'" in fix) == (labels is None)


# --------------------------------------------------------------------------- model forms


def test_unbuilt_sequential_and_subclassed_models() -> None:
    unbuilt = keras.Sequential([keras.layers.Dense(1, activation="softmax")])
    assert safeheads.check(unbuilt).codes == ("SH101",)

    class Classifier(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.hidden = keras.layers.Dense(4)
            self.head = keras.layers.Dense(1, activation="softmax")

        def call(self, x: object) -> object:
            return self.head(self.hidden(x))

    # Not built: its output cannot be traced, and the last layer assigned is no safe
    # guess (see below), so nothing depends on it; built, call() is traced.
    unbuilt_model = Classifier()
    report = safeheads.check(unbuilt_model)
    assert report.codes == ()
    assert report.inspected[0] == (
        "output 'classifier': an unknown layer, ? units, unknown activation (subclassed "
        "model, not built yet)"
    )
    assert any("is not built yet: its call() is traced once it is" in n for n in report.notes)
    unbuilt_model(np.zeros((2, 3), "float32"))
    assert safeheads.check(unbuilt_model).codes == ("SH101",)


class SoftmaxInCall(keras.Model):  # type: ignore[misc]
    """Correct: a linear Dense whose softmax is applied in call()."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(3, name="out")

    def call(self, x: object) -> object:
        return keras.ops.softmax(self.out(self.hidden(x)))


class OutputAssignedFirst(keras.Model):  # type: ignore[misc]
    """Correct: the output layer is assigned before the hidden one."""

    def __init__(self) -> None:
        super().__init__()
        self.out = keras.layers.Dense(3, "softmax", name="out")
        self.hidden = keras.layers.Dense(8, activation="relu")

    def call(self, x: object) -> object:
        return self.out(self.hidden(x))


class LinearOutput(keras.Model):  # type: ignore[misc]
    """Wrong: linear output, from_logits=False loss."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(3, name="out")

    def call(self, x: object) -> object:
        return self.out(self.hidden(x))


class LogitsWhileTraining(keras.Model):  # type: ignore[misc]
    """Correct: logits in fit (from_logits=True loss), probabilities from predict."""

    def __init__(self) -> None:
        super().__init__()
        self.out = keras.layers.Dense(3, name="out")

    def call(self, x: object, training: bool = False) -> object:
        logits = self.out(x)
        return logits if training else keras.ops.softmax(logits)


class TokenIds(keras.Model):  # type: ignore[misc]
    """Wrong: one sigmoid unit with sparse CE, on 1-D token-id inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = keras.layers.Embedding(50, 8)
        self.out = keras.layers.Dense(1, "sigmoid", name="out")

    def call(self, x: object) -> object:
        return self.out(self.embed(x))


def test_subclassed_models_are_traced_as_fit_trains_them() -> None:
    # The training branch of call() (fit's), and 1-D inputs (token ids).
    model = LogitsWhileTraining()
    model.compile("adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.default_rng(0).random((12, 4)).astype("float32"), np.arange(12) % 3
    model.fit(x, y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])
    assert safeheads.check(model, y).codes == ()
    ids = TokenIds()
    ids.compile("adam", loss="sparse_categorical_crossentropy")
    ids(np.arange(2))
    assert safeheads.check(ids, np.arange(10) % 5).codes == ("SH205",)


@pytest.mark.parametrize(
    ("model_class", "codes", "output"),
    [
        pytest.param(
            SoftmaxInCall, (), "Dense 'out', 3 units, softmax (Softmax op", id="softmax-in-call"
        ),
        pytest.param(OutputAssignedFirst, (), "Dense 'out', 3 units, softmax", id="assigned-first"),
        pytest.param(LinearOutput, ("SH201",), "Dense 'out', 3 units, linear", id="linear"),
    ],
)
def test_subclassed_models_are_traced_through_call(
    model_class: type[keras.Model], codes: tuple[str, ...], output: str
) -> None:
    # The guard traces the model with the shape of fit's x before Keras builds it, and
    # check() traces a built model: neither guesses from the order of assignment.
    model = model_class()
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).random((12, 4)).astype("float32"), np.arange(12) % 3
    guard = safeheads.HeadGuard()
    if codes:
        with pytest.raises(safeheads.HeadMismatchError, match=codes[0]):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[guard])
        model(x[:2])
    else:
        model.fit(x, y, epochs=1, verbose=0, callbacks=[guard])
    assert guard.report is not None and guard.report.codes == codes
    report = safeheads.check(model, y)
    assert report.codes == codes
    assert report.inspected[0].startswith(f"output 'out': {output}")
    assert safeheads.check(model, np.arange(12) % 4).codes == (*codes, "SH403")


def test_multi_output_model_reports_each_output() -> None:
    inputs = keras.Input((4,))
    good = keras.layers.Dense(1, "sigmoid", name="good")(inputs)
    bad = keras.layers.Dense(3, "sigmoid", name="bad")(inputs)
    model = keras.Model(inputs, {"good": good, "bad": bad})
    model.compile(
        "adam",
        loss={"good": "binary_crossentropy", "bad": "categorical_crossentropy"},
        metrics={"good": ["accuracy"], "bad": ["accuracy"]},
    )
    y = {"good": np.array([0, 1] * 3), "bad": np.eye(3)[[0, 1, 2] * 2]}
    report = safeheads.check(model, y)
    assert report.codes == ("SH203",)
    assert report.findings[0].output == "bad"
    assert "\n[output 'bad'] error SH203: 3 independent sigmoid units" in str(report)
    assert "output 'good': Dense 'good', 1 unit, sigmoid" in str(report)


def test_dict_outputs_are_paired_by_key_not_layer_name() -> None:
    inputs = keras.Input((4,))
    topic = keras.layers.Dense(5, "softmax", name="dense_out")(inputs)
    flag = keras.layers.Dense(1, "sigmoid", name="zz")(inputs)
    model = keras.Model(inputs, {"topic": topic, "flag": flag})
    model.compile("adam", loss={"topic": "binary_crossentropy", "flag": "binary_crossentropy"})
    y = {"topic": np.eye(5)[[0, 1, 2, 3, 4] * 2], "flag": np.array([0, 1] * 5)}
    report = safeheads.check(model, y)
    assert report.codes == ("SH204",)
    assert report.findings[0].output == "topic"
    assert "output 'topic': Dense 'dense_out', 5 units, softmax" in str(report)
    with pytest.raises(safeheads.HeadMismatchError, match="SH204"):
        model.fit(np.zeros((10, 4)), y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])


class TwoKeyed(keras.Model):  # type: ignore[misc]
    """A subclassed model returning a dict, its keys out of sorted order."""

    def __init__(self) -> None:
        super().__init__()
        self.body = keras.layers.Dense(8, activation="relu")
        self.topic = keras.layers.Dense(3, activation="softmax")
        self.spam = keras.layers.Dense(1, activation="sigmoid")

    def call(self, x: Any) -> Any:
        h = self.body(x)
        return {"topic": self.topic(h), "spam": self.spam(h)}


def test_subclassed_dict_outputs_pair_list_losses_in_sorted_key_order() -> None:
    # Keras pairs a list of losses with the dict's values by sorted key (spam, topic):
    # SH204, SH205 and SH402 were reported in the dict's own order before.
    model = TwoKeyed()
    model.compile(
        "adam",
        loss=["binary_crossentropy", "sparse_categorical_crossentropy"],
        metrics=[["accuracy"], ["accuracy"]],
    )
    x = np.random.default_rng(0).random((12, 4)).astype("float32")
    y = {"topic": np.arange(12) % 3, "spam": np.arange(12) % 2}
    model.fit(x, y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])
    report = safeheads.check(model, y)
    assert report.codes == ()
    outputs = [line.split(":")[0] for line in report.inspected if line.startswith("output")]
    assert outputs == ["output 'spam'", "output 'topic'"]


def test_subclassed_dict_output_left_out_of_the_loss_dict_is_sh209() -> None:
    # A dict output without a loss trains (SH209); SH208 ("outputs are a list") was wrong.
    model = TwoKeyed()
    model.compile("adam", loss={"spam": "binary_crossentropy"}, metrics={"spam": ["accuracy"]})
    model(np.zeros((2, 4), "float32"))
    assert safeheads.check(model).codes == ("SH209",)


def test_unbuilt_sequential_per_step_labels_are_left_unchecked() -> None:
    # Without an Input the output's rank is unknown: check() notes labels that only a
    # per-timestep or per-pixel output takes; HeadGuard reads the rank off fit's x.
    tokens = np.random.default_rng(0).integers(1, 50, (16, 6))
    steps = keras.Sequential([
        keras.layers.Embedding(50, 4),
        keras.layers.LSTM(4, return_sequences=True),
        keras.layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    steps.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    report = safeheads.check(steps, tokens % 3)
    assert report.codes == ()
    assert (
        f"output {steps.layers[-1].name!r} has no known rank (the model is not built) and labels "
        "of shape (16, 6), which fit per-timestep or per-pixel scores: they were not checked. "
        "Build the model (e.g. with keras.Input) to check them."
    ) in report.notes
    steps.fit(tokens, tokens % 3, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])
    pixels = keras.Sequential([keras.layers.Conv2D(1, 1, activation="sigmoid")])
    pixels.compile("adam", "binary_crossentropy")
    masks = (np.random.default_rng(1).random((4, 5, 5, 1)) > 0.5).astype("float32")
    assert safeheads.check(pixels, masks).codes == ()
    pixels.fit(np.zeros((4, 5, 5, 2)), masks, verbose=0, callbacks=[safeheads.HeadGuard()])
    flat = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])  # a real mistake
    flat.compile("adam", "binary_crossentropy")
    (finding,) = safeheads.check(flat, np.eye(4)).findings  # rank unknown: 2-D could be steps
    assert (finding.code, finding.fix[-101:]) == (
        "SH404",
        "If the output scores each timestep, build the model with keras.Input so that the "
        "check sees its rank.",
    )
    with pytest.raises(safeheads.HeadMismatchError, match="SH404"):
        flat.fit(np.zeros((4, 3)), np.eye(4), verbose=0, callbacks=[safeheads.HeadGuard()])


def test_unbuilt_sequential_one_hot_rows_under_a_sparse_loss_are_still_sh407() -> None:
    # One-hot rows as wide as the output are the sparse loss's classic mistake, not steps.
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(5, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert safeheads.check(model, np.eye(5)[np.arange(10) % 5]).codes == ("SH407",)


class DoubledLayer(keras.layers.Layer):  # type: ignore[misc]
    """A custom layer with call() only: compute_output_shape raises."""

    def call(self, x: Any) -> Any:
        return x * 2.0


def test_guard_checks_labels_when_the_output_rank_cannot_be_computed() -> None:
    # compute_output_shape fails on the custom layer: the guard judges the labels as for a
    # rank-2 output (several ids per sample under a sparse loss) instead of skipping them.
    model = keras.Sequential(
        [keras.layers.Dense(4), DoubledLayer(), keras.layers.Dense(5, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(safeheads.HeadMismatchError, match="SH401"):
        model.fit(np.zeros((8, 3)), np.arange(24).reshape(8, 3) % 5, verbose=0,
                  callbacks=[safeheads.HeadGuard()])  # fmt: skip


class IntKeyedOutputs(keras.Model):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.flag = keras.layers.Dense(1, activation="sigmoid")
        self.topic = keras.layers.Dense(4, activation="softmax")

    def call(self, x: Any) -> Any:
        return {1: self.flag(x), 0: self.topic(x)}


def test_int_keyed_losses_and_metrics_match_int_keyed_outputs() -> None:
    # Keys 0 and 1 were compared with the outputs' names '0' and '1': SH208 on a model
    # that trains (subclassed and functional alike).
    inputs = keras.Input((3,))
    functional = keras.Model(
        inputs,
        {0: keras.layers.Dense(4, "softmax")(inputs), 1: keras.layers.Dense(1, "sigmoid")(inputs)},
    )
    x = np.zeros((8, 3), "float32")
    y = {0: np.arange(8) % 4, 1: np.arange(8) % 2}
    for model in (IntKeyedOutputs(), functional):
        model.compile(
            "adam",
            loss={0: "sparse_categorical_crossentropy", 1: "binary_crossentropy"},
            metrics={0: ["accuracy"], 1: ["accuracy"]},
        )
        model.fit(x, y, verbose=0, callbacks=[safeheads.HeadGuard()])
        assert safeheads.check(model, y).codes == ()


def test_top_k_from_sorted_ids_is_not_sh306() -> None:
    # With from_sorted_ids=True the output holds the top ids: k equal to its width is right.
    inputs = keras.Input((4,))
    scores = keras.layers.Dense(20, activation="softmax", name="scores")(inputs)
    top = keras.layers.Lambda(lambda s: keras.ops.top_k(s, 5)[1], name="top_ids")(scores)
    model = keras.Model(inputs, {"scores": scores, "top_ids": top})
    recall = keras.metrics.SparseTopKCategoricalAccuracy(k=5, from_sorted_ids=True)
    model.compile(
        "adam",
        loss={"scores": "sparse_categorical_crossentropy", "top_ids": None},
        metrics={"top_ids": [recall]},
    )
    assert "SH306" not in safeheads.check(model).codes


def test_poisson_regression_is_not_checked_as_a_classifier() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="exponential")])
    model.compile("adam", "poisson", metrics=["mae"])
    report = safeheads.check(model, np.array([0.0, 3.0, 1.0, 5.0]))
    assert report.codes == ()
    assert "trained with the regression loss 'poisson'" in report.notes[-1]


_B, _S = "binary_crossentropy", "sparse_categorical_crossentropy"


def _two_outputs(as_dict: bool) -> keras.Model:
    """Outputs 'spam' (1 unit) and 'topic' (3): a list, or a dict keyed 'out_a', 'out_b'."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8)(inputs)
    spam = keras.layers.Dense(1, "sigmoid", name="spam")(hidden)
    topic = keras.layers.Dense(3, "softmax", name="topic")(hidden)
    return keras.Model(inputs, {"out_a": spam, "out_b": topic} if as_dict else [spam, topic])


STRUCTURE = [
    pytest.param(True, {"loss": {"spam": _B, "topic": _S}}, "SH208", id="dict-loss-layer-names"),
    pytest.param(
        True,
        {"loss": {"out_a": _B, "out_b": _S}, "metrics": {"spam": ["accuracy"]}},
        "SH208",
        id="dict-metrics-layer-names",
    ),
    pytest.param(True, {"loss": [_B, _S, "mse"]}, "SH208", id="dict-loss-list-of-3"),
    pytest.param(True, {"loss": [_B]}, "SH208", id="dict-loss-list-of-1"),
    pytest.param(
        True,
        {"loss": {"out_a": _B, "out_b": _S}, "metrics": ["accuracy"]},
        "SH208",
        id="dict-flat-metrics",
    ),
    pytest.param(False, {"loss": {"spam": _B, "topik": _S}}, "SH208", id="list-loss-unknown-key"),
    pytest.param(False, {"loss": [_B, _S, "mse"]}, "SH208", id="list-loss-list-of-3"),
    pytest.param(
        False, {"loss": [_B, _S], "metrics": ["accuracy"]}, "SH208", id="list-flat-metrics"
    ),
    pytest.param(
        False,
        {"loss": [_B, _S], "weighted_metrics": [["accuracy"]] * 3},
        "SH208",
        id="list-weighted-of-3",
    ),
    pytest.param(True, {"loss": {"out_a": _B}}, "SH209", id="dict-loss-missing-key"),
    pytest.param(False, {"loss": {"spam": _B}}, "SH208", id="list-loss-missing-key"),
    pytest.param(False, {"loss": [_B, None]}, "SH209", id="list-loss-none"),
    pytest.param(True, {"loss": {"out_a": _B, "out_b": None}}, "SH209", id="dict-loss-none"),
    pytest.param(False, {"loss": [_B]}, "SH209", id="list-loss-list-of-1"),
    pytest.param(False, {"loss": [_B, _S], "metrics": ["accuracy"] * 2}, None, id="list-ok"),
    pytest.param(
        True,
        {"loss": {"out_a": _B, "out_b": _S}, "metrics": {"out_a": ["accuracy"]}},
        None,
        id="dict-ok",
    ),
]


@pytest.mark.parametrize(("as_dict", "compiled", "code"), STRUCTURE)
def test_loss_and_metrics_are_checked_against_the_outputs_as_keras_pairs_them(
    as_dict: bool, compiled: dict[str, Any], code: str | None
) -> None:
    # Each finding states what fit() does: SH208, Keras stops at the first step; SH209, the
    # output without a loss keeps its initial weights; no finding, it trains both outputs.
    model = _two_outputs(as_dict)
    model.compile("adam", **compiled)
    assert safeheads.check(model).codes == ((code,) if code else ())
    x = np.random.default_rng(0).normal(size=(12, 4)).astype("float32")
    labels = [np.array([0, 1] * 6), np.array([0, 1, 2] * 4)]
    y = dict(zip(["out_a", "out_b"], labels, strict=True)) if as_dict else labels
    if code == "SH208":
        with pytest.raises((ValueError, KeyError, TypeError)):
            model.fit(x, y, epochs=1, verbose=0)
        with pytest.raises(safeheads.HeadMismatchError, match="SH208"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])
        return
    before = model.get_layer("topic").get_weights()[0].copy()
    model.fit(x, y, epochs=2, verbose=0)
    trained = not np.array_equal(before, model.get_layer("topic").get_weights()[0])
    assert trained == (code is None)


def test_nested_and_unknown_outputs_are_left_to_keras() -> None:
    # The loss structure was checked at the top level of nested outputs (SH208 stopped
    # models that train), and against the one unknown output of an untraced model.
    inputs = keras.Input((4,))
    a, b, c = (keras.layers.Dense(1, "sigmoid", name=name)(inputs) for name in "abc")
    nested = keras.Model(inputs, {"a": a, "bc": {"b": b, "c": c}})
    nested.compile("adam", loss={"a": _B, "bc": {"b": _B, "c": _B}})
    listed = keras.Model(inputs, [a, [b, c]])
    listed.compile("adam", loss=[_B, [_B, _B]])

    class Untraced(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.p, self.q = keras.layers.Dense(1, "sigmoid"), keras.layers.Dense(1, "sigmoid")

        def call(self, x: Any) -> Any:
            x = tf.nn.relu(x)  # a TensorFlow op: no symbolic trace
            return {"p": self.p(x), "q": self.q(x)}

    untraced = Untraced()
    untraced.compile("adam", loss={"p": _B, "q": _B})
    untraced(np.zeros((2, 4), "float32"))
    x, t = np.zeros((4, 4), "float32"), np.array([0, 1, 0, 1])
    for model, y in [
        (nested, {"a": t, "bc": {"b": t, "c": t}}),
        (listed, [t, [t, t]]),
        (untraced, {"p": t, "q": t}),
    ]:
        assert safeheads.check(model).codes == ()
        model.fit(x, y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])


@pytest.mark.parametrize(
    ("outputs", "keys", "hint"),
    [
        pytest.param("dict", ["la", "lb"], True, id="dict-outputs-keyed-by-layer"),
        pytest.param("list", ["x", "z"], False, id="list-outputs-unknown-keys"),
        pytest.param("single", ["foo"], False, id="one-output-unknown-key"),
    ],
)
def test_labels_keyed_by_no_output_are_sh208(outputs: str, keys: list[str], hint: bool) -> None:
    # A note only, and fit then failed at the first batch with "TypeError: Expected float32,
    # but got la of type 'str'" (HeadGuard let it start).
    inputs = keras.Input((4,))
    a = keras.layers.Dense(1, "sigmoid", name="la")(inputs)
    b = keras.layers.Dense(1, "sigmoid", name="lb")(inputs)
    model = keras.Model(inputs, {"dict": {"a": a, "b": b}, "list": [a, b], "single": a}[outputs])
    model.compile("adam", loss="binary_crossentropy")
    t = np.array([0.0, 1.0] * 4)
    y = dict.fromkeys(keys, t)
    report = safeheads.check(model, y)
    assert report.codes == ("SH208",) and not report.ok
    names = {"dict": ["a", "b"], "list": ["la", "lb"], "single": ["la"]}[outputs]  # dict: keys
    finding = report.findings[0]
    assert finding.message == (
        f"The labels are a dict keyed {keys}, which name no output of the model, so fit() "
        f"stops at the first batch (this model's outputs: {names})."
    )
    assert finding.fix.startswith("Key the labels by the outputs: y={")
    assert ("keyed by the dict's keys, not its layers'" in finding.fix) is hint
    assert not any("labels' keys" in note for note in report.notes)
    with pytest.raises(safeheads.HeadMismatchError, match="SH208"):
        model.fit(np.zeros((8, 4)), y, verbose=0, callbacks=[safeheads.HeadGuard()])
    with pytest.raises(TypeError, match="Expected float32"):  # what Keras does unguarded
        model.fit(np.zeros((8, 4)), y, verbose=0)


def test_dict_labels_keyed_as_keras_pairs_them_are_not_sh208() -> None:
    # Keras pairs these labels by the dict key; the doctor names the outputs otherwise
    # (str(key), or a subclassed model's one output after its layer): no finding.
    class Net(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.head = keras.layers.Dense(3, "softmax", name="head")

        def call(self, x: Any) -> Any:
            return {"cls": self.head(x)}

    inputs = keras.Input((4,))
    int_keyed = keras.Model(inputs, {0: keras.layers.Dense(3, "softmax")(inputs)})
    x, t = np.zeros((6, 4), "float32"), np.array([0, 1, 2] * 2)
    for model, y in [(int_keyed, {0: t}), (Net(), {"cls": t})]:
        model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model(x)
        assert "SH208" not in safeheads.check(model, y).codes
        model.fit(x, y, epochs=1, verbose=0, callbacks=[safeheads.HeadGuard()])


def test_a_head_with_a_regression_loss_is_still_checked() -> None:
    head = safeheads.classification_head("multiclass", 3, from_logits=True)
    model = keras.Sequential([keras.Input((4,)), head.layer])
    model.compile("adam", loss="mse", metrics=head.metrics)
    report = safeheads.check(model)
    assert report.codes == ("SH206",)
    assert not any("regression loss" in note for note in report.notes)


def test_structure_messages_name_the_keys_and_the_outputs() -> None:
    model = _two_outputs(as_dict=True)
    model.compile("adam", loss={"spam": _B, "topic": _S})
    (finding,) = safeheads.check(model).findings
    assert finding.message == (
        "`loss` has the keys 'spam', 'topic', which no output has, so fit() stops before the "
        "first step (this model's outputs: 'out_a', 'out_b')."
    )
    assert finding.fix == (
        "Key `loss` by the outputs: loss={'out_a': ..., 'out_b': ...}. 'spam', 'topic' name the "
        "output layers; a model whose outputs are a dict is keyed by the dict's keys."
    )
    model = _two_outputs(as_dict=False)
    model.compile("adam", loss=[_B])
    report = safeheads.check(model)
    (finding,) = report.findings
    assert (finding.output, finding.message) == (
        "topic",
        "Output 'topic' gets no loss (a one-element loss list is applied to the first output "
        "only), so fit() never fits it to its labels: its layer's weights stay as initialised.",
    )
    assert "loss: none for this output" in str(report)  # the first output's is not copied
    model.compile("adam", loss=[_B, None])
    (finding,) = safeheads.check(model).findings
    assert finding.message.startswith("Output 'topic' gets no loss (its loss is None), ")


def test_mixed_precision_output_layer_warns() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
        model.compile("adam", loss="sparse_categorical_crossentropy")
        head = safeheads.classification_head("multiclass", 3)
        fixed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), head.layer])
        fixed.compile("adam", loss=head.loss, metrics=head.metrics)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    report = safeheads.check(model)
    assert report.codes == ("SH103",) and report.ok
    message = report.findings[0].message
    assert "computes in float16 under the 'mixed_float16' dtype policy" in message
    assert "Keep the output layer float32; safeheads heads do" in report.findings[0].fix
    assert safeheads.check(fixed).findings == ()


def test_mixed_precision_float32_activation_layer_is_keras_guide_pattern() -> None:
    # Keras' mixed precision guide: a float16 Dense, then a float32 softmax layer. The
    # softmax computes in float32, so no SH103; a float16 activation (layer or op) warns.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input((4,))
        logits = keras.layers.Dense(10, name="dense_logits")(keras.layers.Dense(8)(inputs))
        guide = keras.Model(
            inputs, keras.layers.Activation("softmax", dtype="float32", name="predictions")(logits)
        )
        on_ops = keras.Model(inputs, keras.ops.softmax(keras.layers.Dense(10)(inputs)))
        stack = [keras.Input((4,)), keras.layers.Dense(10), keras.layers.Activation("softmax")]
        float16 = keras.Sequential(stack)
        stack[-1] = keras.layers.Activation("softmax", dtype="float32")
        sequential_guide = keras.Sequential(stack)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    for model in (guide, on_ops, float16, sequential_guide):
        model.compile("adam", loss="sparse_categorical_crossentropy")
    assert safeheads.check(guide).codes == ()
    assert safeheads.check(sequential_guide).codes == ()
    assert safeheads.check(on_ops).codes == ("SH103",)
    assert safeheads.check(float16).codes == ("SH103",)


def test_mixed_precision_float32_linear_activation_for_logits_is_keras_guide_pattern() -> None:
    # The guide's logits variant: a float16 Dense without activation, then a float32
    # Activation('linear'); the loss reads float32 logits. A float16 softmax under the
    # float32 identity still computes in float16 and warns.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input((4,))
        dense = keras.layers.Dense(5)(inputs)
        functional = keras.Model(inputs, keras.layers.Activation("linear", dtype="float32")(dense))
        sequential = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(5),
                keras.layers.Activation("linear", dtype="float32"),
            ]
        )
        softmax_below = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(5, "softmax"),
                keras.layers.Activation("linear", dtype="float32"),
            ]
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for model in (functional, sequential):
        model.compile("adam", loss=logits_loss)
        assert safeheads.check(model).codes == ()
    softmax_below.compile("adam", loss="sparse_categorical_crossentropy")
    assert safeheads.check(softmax_below).codes == ("SH103",)


def test_float16_layers_between_logits_and_the_float32_identity_are_exempt() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input((4,))
        dropped = keras.layers.Dropout(0.1)(keras.layers.Dense(3)(inputs))
        model = keras.Model(inputs, keras.layers.Activation("linear", dtype="float32")(dropped))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.compile("adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert safeheads.check(model).codes == ()


def test_labels_that_reach_no_output_are_noted() -> None:
    inputs = keras.Input((4,))
    flag = keras.layers.Dense(1, "sigmoid", name="flag")(inputs)
    kind = keras.layers.Dense(3, "softmax", name="kind")(inputs)
    model = keras.Model(inputs, [flag, kind])
    model.compile("adam", loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
    bad = np.array([1, 2, 3] * 2)
    outputs = "the model has 2 outputs ['flag', 'kind'] but the labels are"
    fix = (
        ": they were not checked; pass one array per output, as a list in output order or a "
        "dict keyed by output name."
    )
    assert safeheads.check(model, bad).notes == (f"{outputs} one array of shape (6,){fix}",)
    assert safeheads.check(model, [bad]).notes == (f"{outputs} a list of 1 array{fix}",)
    report = safeheads.check(model, {"flg": bad, "kind": bad})
    assert report.codes == ("SH403",)
    assert report.notes == (
        "the labels' keys ['flg'] name no output of the model (outputs: ['flag', 'kind']): "
        "those labels were not checked; key them by output name.",
    )


def test_accuracy_without_labels_resolves_by_the_loss() -> None:
    # Keras picks the accuracy by the labels' shape; sparse CE means class ids.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert safeheads.check(model).inspected[-1] == "metrics: accuracy -> SparseCategoricalAccuracy"
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert safeheads.check(model).inspected[-1] == "metrics: accuracy -> CategoricalAccuracy"


def test_mixed_precision_reads_the_layers_not_a_wrapping_model() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        head = safeheads.classification_head("multiclass", 3)
        inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), head.layer])
        outer = keras.Sequential([keras.Input((4,)), inner])  # its policy is mixed_float16
        outer.compile("adam", loss=head.loss, metrics=head.metrics)
        # softmax in float16, then a float32 identity: the softmax is still float16
        cast_after = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(3, "softmax", name="out"),
            keras.layers.Activation("linear", dtype="float32"),
        ])  # fmt: skip
        cast_after.compile("adam", loss="sparse_categorical_crossentropy")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    y = np.array([0, 1, 2] * 4)
    assert safeheads.check(outer, y).findings == ()
    report = safeheads.check(cast_after, y)
    assert report.codes == ("SH103",)
    assert "The output layer 'out' computes in float16" in report.findings[0].message


def test_labels_in_a_one_element_list_for_a_single_output() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    y = np.array([0, 1, 2] * 4)
    assert safeheads.check(model, [y]).findings == ()  # fit(x, [y]) trains: Keras unwraps it
    assert safeheads.check(model, (y,)).findings == ()
    guard = safeheads.HeadGuard()
    model.fit(np.zeros((12, 4)), [y], epochs=1, verbose=0, callbacks=[guard])
    assert guard.report is not None and guard.report.findings == ()
    bad = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    bad.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert "SH402" in safeheads.check(bad, [y]).codes  # still read as the labels they are


def test_backend_specific_explanations() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "softmax")])
    model.compile("adam", loss="binary_crossentropy")
    tf_text = inspect_model(model, backend="tensorflow").findings[0].message
    jax_text = inspect_model(model, backend="jax").findings[0].message
    assert "on the TensorFlow backend the loss still falls" in tf_text
    assert jax_text == (
        "Softmax over 1 unit always outputs 1.0, so the model can never predict the negative "
        "class; the loss cannot fall because the output never changes."
    )


# --------------------------------------------------------------------------- metrics


def test_binary_accuracy_trap_shows_the_no_label_score() -> None:
    """The issue's 416-label model: binary_accuracy of predicting nothing is 99.5%."""
    n = 416
    y = np.zeros((n // 2, n), dtype="float32")
    rows = np.arange(n // 2)
    y[rows, 2 * rows] = 1
    y[rows, 2 * rows + 1] = 1
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(n, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    report = safeheads.check(model, y)
    assert report.codes == ("SH302",)
    assert "(99.5% on these labels)" in report.findings[0].message


def test_stale_metrics_of_an_earlier_compile_are_the_ones_checked() -> None:
    """Keras keeps the old metrics when compile() is called again without metrics."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.compile("adam", loss="binary_crossentropy")
    assert safeheads.check(model).codes == ("SH301",)


# --------------------------------------------------------------------------- labels


def test_suspicious_labels_warn_once_and_are_a_finding() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(safeheads.SafeheadsWarning) as record:
        report = safeheads.check(model, np.array([0, 1, 2] * 4))
    assert len(record) == 1
    assert report.codes == ("SH409",) and report.ok
    message = report.findings[0].message
    assert str(record[0].message) == message
    assert message.startswith("2 of 5 class") and "(class ids 3, 4)" in message


def test_the_suspicious_labels_warning_names_the_output_of_a_model_with_several() -> None:
    inputs = keras.Input((4,))
    flag = keras.layers.Dense(1, "sigmoid", name="flag")(inputs)
    genre = keras.layers.Dense(5, "softmax", name="genre")(inputs)
    model = keras.Model(inputs, [flag, genre])
    model.compile("adam", loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
    with pytest.warns(safeheads.SafeheadsWarning) as record:
        report = safeheads.check(model, [np.array([0, 1] * 6), np.array([0, 1, 2] * 4)])
    assert report.codes == ("SH409",)
    assert str(record[0].message) == "[output 'genre'] " + report.findings[0].message


@pytest.mark.parametrize("metric", ["accuracy", "acc"])
def test_per_timestep_class_ids_resolve_accuracy_as_keras_does(metric: str) -> None:
    # Labels (N, T) for an (N, T, C) output are class ids (lower rank than the output): Keras
    # picks SparseCategoricalAccuracy. The doctor read T as the label width, resolved
    # CategoricalAccuracy and raised a false SH307 that stopped a correct model.
    model = keras.Sequential([keras.Input((5, 4)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=[metric])
    y = np.arange(32 * 5).reshape(32, 5) % 3
    report = safeheads.check(model, y)
    assert report.codes == () and f"{metric} -> SparseCategoricalAccuracy" in str(report)
    model.fit(np.zeros((32, 5, 4)), y, verbose=0, callbacks=[safeheads.HeadGuard()])


def test_the_column_metric_fix_leaves_out_one_hot_labels_when_the_loss_ignores_a_class() -> None:
    # to_categorical refuses the ignored id -1, and the categorical loss has no ignore_class.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model.compile("adam", loss=loss, metrics=["categorical_accuracy"])
    finding = safeheads.check(model, np.array([0, 1, 2, -1] * 3)).findings[0]
    assert finding.code == "SH307"
    assert finding.fix == (
        "Use metrics that read class ids: 'sparse_categorical_accuracy', or the metrics of "
        "`safeheads.classification_head('multiclass', 3)`."
    )


def test_no_warning_for_good_labels() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert safeheads.check(model, np.array([0, 1, 2] * 4)).findings == ()


def test_first_batch_labels_skip_the_suspicious_warning() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    report = inspect_model(model, np.array([0, 1, 2] * 4), labels_complete=False)
    assert report.findings == ()


def test_out_of_range_message_in_full() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    finding = safeheads.check(model, np.array([1, 2, 3, 1, 2, 3])).findings[0]
    assert finding.message == (
        "The output has 3 units, so class ids must be in [0, 3), but y[2]=3 (2 of 6 values out "
        "of range): sparse categorical crossentropy raises on CPU TensorFlow and PyTorch, gives "
        "NaN with XLA, and silently adds zero loss on JAX."
    )
    assert finding.fix.startswith(
        "Fix those labels (the labels seem to start at 1: subtract 1), or build the output with "
        "4 units; use `layer, loss, metrics = safeheads.classification_head('multiclass', 4)`"
    )


def test_binary_labels_written_as_one_and_two_get_a_binary_fix() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy")
    finding = safeheads.check(model, np.array([1, 2, 2, 1])).findings[0]
    assert finding.code == "SH402"
    assert finding.fix.startswith(
        "If these are two classes written as 1 and 2, map them to 0/1 (y == 2) or use "
        "safeheads.classification_head('binary', class_names=[1, 2]) and head.encode(y); if "
        "there are more classes, use `layer, loss, metrics = "
        "safeheads.classification_head('multiclass', 3)`"
    )
    head = safeheads.classification_head("binary", class_names=[1, 2])  # the fix works
    assert head.encode([1, 2, 2, 1]).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_malformed_labels_become_a_finding_not_an_exception() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy")
    report = safeheads.check(model, np.array([0, 1, -1]))
    assert report.codes == ("SH401",)
    assert report.findings[0].message == (
        "The labels cannot be trained on: Expected class ids >= 0. Received: y[2]=-1 (1 of 3 "
        "values negative). Negative ids would wrap to the last class in "
        "keras.utils.to_categorical; remove or relabel them."
    )


def test_label_lists_cannot_be_fitted() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "sigmoid")])
    model.compile("adam", loss="binary_crossentropy")
    report = safeheads.check(model, [[0, 2], [1], [], [2]])
    assert report.codes == ("SH408",)
    assert report.findings[0].message.startswith(
        "The labels are one list of labels per sample, which fit() cannot take"
    )


def test_rank_3_outputs_skip_the_labels() -> None:
    model = keras.Sequential([keras.Input((5, 4)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    report = safeheads.check(model, np.zeros((2, 5), dtype=int))
    assert report.findings == ()
    assert any("rank 3" in note for note in report.notes)


# --------------------------------------------------------------------------- the report


def test_report_text_and_properties() -> None:
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, activation=None, name="logit")], name="clf"
    )
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    report = safeheads.check(model)
    assert (report.ok, len(report.errors), len(report.warnings)) == (False, 1, 1)
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "safeheads check of model 'clf': 1 error and 1 warning"
    assert lines[1] == "  output 'logit': Dense 'logit', 1 unit, linear"
    assert lines[2] == "  loss: 'binary_crossentropy' (from_logits=False)"
    assert lines[3] == "  metrics: accuracy -> BinaryAccuracy"
    assert "\nerror SH201: The output is linear (logits)" in text
    assert "\nwarning SH303: The metric accuracy reads the output as probabilities" in text
    assert max(len(line) for line in lines) <= 100
    assert text.index("error SH201") < text.index("warning SH303")


def test_ok_report_text_and_uncompiled_note() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, "softmax")], name="m")
    report = safeheads.check(model)
    assert report.ok and report.findings == ()
    assert str(report).splitlines()[0] == "safeheads check of model 'm': no problems found"
    assert report.notes[0].startswith("the model is not compiled: the loss and metrics were not")
    report.raise_for_errors()  # no error: returns None


def test_raise_for_errors_carries_the_report() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "softmax")])
    report = safeheads.check(model)
    with pytest.raises(safeheads.HeadMismatchError) as info:
        report.raise_for_errors()
    assert str(info.value) == str(report)


def test_finding_is_frozen() -> None:
    finding = safeheads.Finding("SH101", "error", "m.", "f.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.code = "SH102"  # type: ignore[misc]
    assert str(finding) == "error SH101: m.\n    fix: f."


# --------------------------------------------------------------------------- argument errors


def test_not_a_model_is_a_type_error() -> None:
    with pytest.raises(TypeError) as info:
        safeheads.check(keras.layers.Dense(3))  # type: ignore[arg-type]
    assert str(info.value) == (
        "Expected `model` to be a keras.Model (Sequential, functional or loaded with "
        "keras.models.load_model). Received: model of type Dense. Pass the compiled Keras model."
    )


def test_class_weight_not_a_dict_is_a_type_error() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, "sigmoid")])
    message = (
        "Expected `class_weight` to be a dict {class id: weight}, as fit() takes it. Received: "
        "class_weight of type list. Pass a dict, e.g. safeheads.class_weight(y_train)."
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        safeheads.check(model, class_weight=[1.0, 2.0])  # type: ignore[arg-type]
    assert safeheads.class_weight([0, 0, 1]) == {0: 0.75, 1: 1.5}  # the fix runs as written


def test_empty_model_is_a_value_error() -> None:
    with pytest.raises(ValueError) as info:
        safeheads.check(keras.Sequential(name="empty"))
    assert str(info.value) == (
        "Expected a model with an output layer. Received: model 'empty' with no layers. Add the "
        "layers (or call the model on an input) before checking it."
    )


def test_unknown_task_is_a_config_error() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    with pytest.raises(safeheads.HeadConfigError) as info:
        safeheads.check(model, task="multi-label")
    assert str(info.value) == (
        "Expected `task` to be one of 'binary', 'multiclass', 'multilabel'. Received: "
        "task='multi-label'. Did you mean task='multilabel'?"
    )


# --------------------------------------------------------------------------- docs


def test_every_code_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = re.findall(r"^## (SH\d{3})\b", text, flags=re.MULTILINE)
    assert documented == sorted(CODES)
    for code, (severity, _) in CODES.items():
        section = text.split(f"## {code}", 1)[1].split("\n## ", 1)[0]
        assert f"**{severity}**" in section, code
        assert "```python" in section, code


def _sections() -> list[tuple[str, list[str]]]:
    text = DOCS.read_text(encoding="utf-8")
    sections = []
    for chunk in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        code = chunk.split("\n", 1)[0].strip()
        blocks = re.findall(r"```python\n(.*?)```", chunk, flags=re.DOTALL)
        sections.append((code, blocks))
    return sections


@pytest.mark.parametrize(("code", "blocks"), _sections(), ids=[c for c, _ in _sections()])
def test_documented_example_triggers_and_fix_clears(code: str, blocks: list[str]) -> None:
    assert len(blocks) == 2, code
    example: dict[str, object] = {}
    fixed: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", safeheads.SafeheadsWarning)
        exec(blocks[0], example)
        exec(blocks[1], fixed)
    report, after = example["report"], fixed["report"]
    assert isinstance(report, safeheads.Report) and isinstance(after, safeheads.Report)
    assert code in report.codes, str(report)
    assert code not in after.codes and after.ok, str(after)


def _tempered_softmax(logits: Any) -> Any:
    return keras.activations.softmax(logits / 2.0)


@pytest.mark.parametrize(
    ("activation", "units", "loss", "y"),
    [
        pytest.param(
            _tempered_softmax,
            3,
            "sparse_categorical_crossentropy",
            [0, 1, 2, 1] * 16,
            id="custom-softmax",
        ),
        pytest.param(
            "hard_sigmoid", 1, "binary_crossentropy", [0, 1, 1, 0] * 16, id="hard-sigmoid"
        ),
    ],
)
def test_unknown_activations_are_noted_not_refused(
    activation: Any, units: int, loss: str, y: list[int]
) -> None:
    # Any named function other than sigmoid/softmax/linear got SH102 (an error), and
    # HeadGuard stopped these models, which train: the activation is a probability.
    name = getattr(activation, "__name__", activation)
    labels = np.array(y)
    x = np.random.default_rng(0).normal(size=(len(labels), 4)).astype("float32")
    x[:, 0] += labels  # learnable
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation)])
    model.compile(keras.optimizers.Adam(0.05), loss=loss)
    report = safeheads.check(model, labels)
    assert report.codes == ()
    output = model.layers[-1].name
    assert (
        f"output {output!r} has the activation {name!r}, which the doctor does not know: "
        "whether it gives probabilities or logits was not checked."
    ) in report.notes
    history = model.fit(x, labels, epochs=20, verbose=0, callbacks=[safeheads.HeadGuard()])
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


@pytest.mark.parametrize(
    "activation", ["tanh", "softplus", "selu", "swish", tf.nn.crelu, keras.ops.exp]
)
def test_known_activations_without_scores_are_sh102(activation: Any) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation)])
    model.compile("adam", loss="binary_crossentropy")
    assert safeheads.check(model).codes == ("SH102",)


@pytest.mark.parametrize(
    ("metric", "code", "fix"),
    [
        pytest.param(
            "accuracy",
            "SH301",
            "Use exact match and F1: the metrics of `safeheads.classification_head("
            "'multilabel', 4, from_logits=True)` (ExactMatch, ThresholdF1, ...); Keras' "
            "F1Score cuts probabilities only.",
            id="SH301",
        ),
        pytest.param(
            "binary_accuracy",
            "SH302",
            "Report it under an honest name, `safeheads.ThresholdAccuracy(from_logits=True, "
            "name='label_accuracy')`, and judge the model by exact match and F1: the metrics "
            "of `safeheads.classification_head('multilabel', 4, from_logits=True)`.",
            id="SH302",
        ),
        pytest.param(
            keras.metrics.F1Score(average="micro"),
            "SH304",
            "Use the ThresholdF1 metrics of `safeheads.classification_head('multilabel', 4, "
            "from_logits=True)`: Keras' F1Score takes probability thresholds only, and this "
            "output gives logits.",
            id="SH304",
        ),
    ],
)
def test_metric_fixes_on_a_logits_output_read_logits(metric: Any, code: str, fix: str) -> None:
    # The fixes named probability metrics (threshold=0.5, no from_logits) for a linear
    # output: applied, they scored logits cut at 0.5 and drew SH303.
    y = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 1]] * 4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True), metrics=[metric])
    (finding,) = safeheads.check(model, y).findings
    assert (finding.code, finding.fix) == (code, fix)
    fixed = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    fixed.compile(
        "adam",
        keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[
            *(
                m
                for m in safeheads.classification_head("multilabel", 4, from_logits=True).metrics
                if m.name != "label_accuracy"
            ),
            safeheads.ThresholdAccuracy(from_logits=True, name="label_accuracy"),
        ],
    )
    assert safeheads.check(fixed, y).codes == ()


def test_keras_accuracy_object_is_sh305_and_its_fix_reports_the_true_accuracy() -> None:
    # keras.metrics.Accuracy() compares labels with raw scores: 0.0 for a model whose
    # true accuracy is high, and no finding before.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")

    def fitted(metric: Any) -> tuple[keras.Model, dict[str, float]]:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
        model.compile(keras.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=[metric])
        model.fit(x, y, epochs=10, verbose=0)
        return model, model.evaluate(x, y, verbose=0, return_dict=True)

    model, reported = fitted(keras.metrics.Accuracy())
    assert safeheads.check(model, y).codes == ("SH305",)
    truth = float(np.mean((model.predict(x, verbose=0)[:, 0] > 0.5) == y))
    assert truth > 0.9 and reported["accuracy"] == 0.0
    model, reported = fitted("accuracy")  # the fix
    assert safeheads.check(model, y).codes == ()
    truth = float(np.mean((model.predict(x, verbose=0)[:, 0] > 0.5) == y))
    assert reported["accuracy"] == pytest.approx(truth)


def _stacked(sequential: bool, inputs: tuple[int, ...], *layers: keras.layers.Layer) -> Any:
    if sequential:
        return keras.Sequential([keras.Input(inputs), *layers])
    tensor = source = keras.Input(inputs)
    for layer in layers:
        tensor = layer(tensor)
    return keras.Model(source, tensor)


@pytest.mark.parametrize("sequential", [True, False], ids=["sequential", "functional"])
@pytest.mark.parametrize(
    ("inputs", "layers", "codes"),
    [
        pytest.param(
            (10, 6),
            lambda: [keras.layers.Conv1D(1, 3), keras.layers.GlobalMaxPooling1D()],
            ("SH201",),
            id="linear-conv-then-pooling",
        ),
        pytest.param(
            (10, 6),
            lambda: [
                keras.layers.Conv1D(1, 3, activation="sigmoid"),
                keras.layers.GlobalAveragePooling1D(),
            ],
            (),
            id="sigmoid-conv-then-pooling",
        ),
        pytest.param(
            (6,),
            lambda: [keras.layers.Dense(1, "sigmoid"), keras.layers.BatchNormalization()],
            ("SH201",),
            id="sigmoid-then-batchnorm",
        ),
    ],
)
def test_pooling_keeps_and_normalization_frees_the_scale(
    sequential: bool, inputs: tuple[int, ...], layers: Any, codes: tuple[str, ...]
) -> None:
    # No finding, no note: a text CNN's linear Conv1D(1) -> GlobalMaxPooling1D trained
    # with from_logits=False, its predict() outside [0, 1].
    model = _stacked(sequential, inputs, *layers())
    model.compile("adam", loss=keras.losses.BinaryCrossentropy(from_logits=False))
    report = safeheads.check(model, np.array([0, 1] * 10))
    assert report.codes == codes and report.notes == ()


def test_an_unreadable_activation_is_noted() -> None:
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1), keras.layers.Lambda(keras.ops.sigmoid)]
    )
    model.compile("adam", loss="binary_crossentropy")
    report = safeheads.check(model, np.array([0, 1] * 10))
    assert report.codes == ()
    assert report.notes == (
        "the activation of output 'lambda' could not be read (its Lambda layer 'lambda'): "
        "whether it gives probabilities or logits was not checked.",
    )


def test_pooling_above_a_nested_model_gives_the_output_its_shape() -> None:
    # The nested model's (N, 4, 4, 1) shape was kept under Flatten: SH101 "Softmax over 1
    # unit" stopped a 16-way spatial softmax, and a per-pixel note hid label errors.
    inner = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(1, 1)])
    model = keras.Sequential(
        [keras.Input((4, 4, 3)), inner, keras.layers.Flatten(), keras.layers.Softmax()]
    )
    model.compile("adam", loss="sparse_categorical_crossentropy")
    report = safeheads.check(model, np.arange(32) % 16)
    assert report.codes == () and report.notes == ()
    inner = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(5, 1)])
    pooled = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            inner,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Softmax(),
        ]
    )
    pooled.compile("adam", loss="sparse_categorical_crossentropy")
    assert safeheads.check(pooled, np.arange(20) % 10).codes == ("SH403",)
