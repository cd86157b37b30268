"""classification_head: the table of heads, argument errors, equivalences, learning, save/load."""

from __future__ import annotations

import pathlib
import re
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

import safeheads
from safeheads import Head, HeadConfigError, LabelFormatError, Task, classification_head

from tests.cases import HEAD_CASES, HEAD_CONFIGS, HeadCase

# --------------------------------------------------------------------------- the table


@pytest.mark.parametrize("case", HEAD_CASES)
def test_head_table(case: HeadCase) -> None:
    head = classification_head(case.task, case.n, **case.options)
    layer, loss, metrics = head
    assert layer is head.layer and loss is head.loss and metrics is head.metrics
    assert layer.units == case.units == head.units
    assert layer.activation.__name__ == case.activation
    assert layer.dtype_policy.name == "float32"
    assert type(loss).__name__ == case.loss
    assert loss.get_config()["from_logits"] is case.options["from_logits"]
    assert [(m.name, type(m).__name__) for m in metrics] == list(case.metrics)
    assert head.task == case.task and isinstance(head.task, Task)
    assert head.n == (2 if case.task == "binary" else case.n)
    assert head.from_logits is case.options["from_logits"]
    for metric in metrics:
        if hasattr(metric, "threshold"):
            assert metric.threshold == 0.5
        config = metric.get_config()
        if "from_logits" in config:
            assert config["from_logits"] is case.options["from_logits"]
    if case.task == "multiclass":
        assert head.threshold is None and head.labels == case.options["labels"]
    else:
        assert head.threshold == 0.5 and head.labels is None


def test_threshold_reaches_metrics() -> None:
    head = classification_head("multilabel", 3, threshold=[0.2, 0.5, 0.9])
    for metric in head.metrics[:4]:
        assert metric.threshold == (0.2, 0.5, 0.9)
    assert head.threshold == (0.2, 0.5, 0.9)


def test_repr() -> None:
    head = classification_head("multiclass", 3, labels="one_hot", class_names=["a", "b", "c"])
    assert repr(head) == (
        "Head('multiclass', 3, from_logits=False, labels='one_hot', class_names=['a', 'b', 'c'])"
    )


def test_name_sets_layer_name() -> None:
    assert classification_head("binary", name="out").layer.name == "out"


# --------------------------------------------------------------------------- errors

CONFIG_ERRORS = [
    pytest.param(
        ("multiclass", 1, {}),
        HeadConfigError,
        "Expected `n` >= 2 for task='multiclass'. Received: n=1. For a single yes/no output use "
        "task='binary'.",
        id="multiclass-n1",
    ),
    pytest.param(
        ("multilabel", 1, {}),
        HeadConfigError,
        "Expected `n` >= 2 for task='multilabel'. Received: n=1. For a single yes/no label use "
        "task='binary'.",
        id="multilabel-n1",
    ),
    pytest.param(
        ("multiclass", None, {}),
        HeadConfigError,
        "Expected `n`, the number of classes, for task='multiclass'. Received: n=None. Pass it, "
        "or build the head from labels with safeheads.Head.from_labels(y).",
        id="multiclass-no-n",
    ),
    pytest.param(
        ("multilabel", None, {}),
        HeadConfigError,
        "Expected `n`, the number of labels, for task='multilabel'. Received: n=None. Pass it, "
        "or build the head from labels with safeheads.Head.from_labels(y).",
        id="multilabel-no-n",
    ),
    pytest.param(
        ("binary", 3, {}),
        HeadConfigError,
        "Expected `n` to be omitted, 1 or 2 for task='binary'. Received: n=3. For 3 classes use "
        "task='multiclass'; for 3 independent yes/no labels use task='multilabel'.",
        id="binary-n3",
    ),
    pytest.param(
        ("binary", 0, {}),
        HeadConfigError,
        "Expected `n` to be omitted, 1 or 2 for task='binary'. Received: n=0. Leave `n` out: a "
        "binary head has one output.",
        id="binary-n0",  # it suggested task='multiclass' for 0 classes
    ),
    pytest.param(
        ("multiclass", 2.0, {}),
        TypeError,
        "Expected `n` to be an int. Received: n=2.0. Pass n=2.",
        id="n-float",
    ),
    # The fix names a value only where the head takes it (1.0 classes, 3.0 binary outputs).
    pytest.param(
        ("multiclass", 1.0, {}),
        TypeError,
        "Expected `n` to be an int. Received: n=1.0. Pass a whole number from 2 to 16777216.",
        id="n-float-below-2",
    ),
    pytest.param(
        ("binary", 3.0, {}),
        TypeError,
        "Expected `n` to be an int. Received: n=3.0. Pass a whole number from 1 to 2.",
        id="binary-n-float-3",
    ),
    pytest.param(
        ("binary", None, {"focal_gamma": "-1"}),
        TypeError,
        "Expected `focal_gamma` to be a float. Received: focal_gamma='-1'. Pass a float.",
        id="focal-gamma-str-negative",  # it suggested focal_gamma=-1.0, refused next
    ),
    pytest.param(
        ("binary", None, {"threshold": "2"}),
        TypeError,
        "Expected `threshold` to be a float in (0, 1) or a sequence of them. Received: "
        "threshold='2'. Pass a float in (0, 1) or a sequence of them.",
        id="threshold-str-out-of-range",
    ),
    pytest.param(
        ("multilabel", 5, {"top_k": 10.0}),
        TypeError,
        "Expected `top_k` to be an int. Received: top_k=10.0. Pass a whole number from 1 to 5.",
        id="top-k-float-above-n",
    ),
    pytest.param(
        ("multiclass", True, {}),
        TypeError,
        "Expected `n` to be an int. Received: n=True of type bool. Pass a whole number from 2 to 16777216.",
        id="n-bool",
    ),
    pytest.param(
        ("multi", 3, {}),
        HeadConfigError,
        "Expected `task` to be one of 'binary', 'multiclass', 'multilabel'. Received: "
        "task='multi'. Pass one of these.",
        id="task-unknown",
    ),
    pytest.param(
        ("multi_label", 3, {}),
        HeadConfigError,
        "Expected `task` to be one of 'binary', 'multiclass', 'multilabel'. Received: "
        "task='multi_label'. Did you mean task='multilabel'?",
        id="task-alias",
    ),
    pytest.param(
        ("categorical", 3, {}),
        HeadConfigError,
        "Expected `task` to be one of 'binary', 'multiclass', 'multilabel'. Received: "
        "task='categorical'. Did you mean task='multiclass'?",
        id="task-categorical",
    ),
    pytest.param(
        (2, 3, {}),
        TypeError,
        "Expected `task` to be a str or safeheads.Task. Received: task=2. Pass task='binary', 'multiclass' or 'multilabel'.",
        id="task-int",
    ),
    pytest.param(
        ("binary", None, {"threshold": 1.0}),
        HeadConfigError,
        "Expected `threshold` in the open interval (0, 1), a probability. Received: "
        "threshold=1.0. Pass a probability such as 0.5; with from_logits=True the "
        "threshold is still a probability (safeheads converts it to a logit).",
        id="threshold-1",
    ),
    pytest.param(
        ("multilabel", 3, {"threshold": [0.5, 0.0, 0.5]}),
        HeadConfigError,
        "Expected `threshold` in the open interval (0, 1), a probability. Received: "
        "threshold[1]=0.0. Pass a probability such as 0.5; with from_logits=True the "
        "threshold is still a probability (safeheads converts it to a logit).",
        id="threshold-item-0",
    ),
    pytest.param(
        ("multilabel", 3, {"threshold": [0.5, 0.5]}),
        HeadConfigError,
        "Expected one `threshold` per output (3). Received: 2 thresholds. Pass 3 thresholds, or one float for every output.",
        id="threshold-length",
    ),
    pytest.param(
        ("binary", None, {"threshold": "0.5"}),
        TypeError,
        "Expected `threshold` to be a float in (0, 1) or a sequence of them. Received: "
        "threshold='0.5'. Pass threshold=0.5, a number.",
        id="threshold-str",
    ),
    pytest.param(
        ("multiclass", 3, {"threshold": 0.3}),
        HeadConfigError,
        "Expected `threshold` to be omitted for task='multiclass': the class with the highest "
        "score is predicted. Received: threshold=0.3.",
        id="threshold-multiclass",
    ),
    pytest.param(
        ("multiclass", 3, {"labels": "one-hot"}),
        HeadConfigError,
        "Expected `labels` to be one of 'sparse', 'one_hot'. Received: labels='one-hot'. Did "
        "you mean labels='one_hot'?",
        id="labels-dash",
    ),
    pytest.param(
        ("multiclass", 3, {"labels": "dense"}),
        HeadConfigError,
        "Expected `labels` to be one of 'sparse', 'one_hot'. Received: labels='dense'. Pass labels='sparse' for class ids or labels='one_hot' for one-hot rows.",
        id="labels-unknown",
    ),
    pytest.param(
        ("multiclass", 3, {"labels": 1}),
        TypeError,
        "Expected `labels` to be a str or None. Received: labels=1. Pass labels='sparse' for class ids or labels='one_hot' for one-hot rows.",
        id="labels-int",
    ),
    pytest.param(
        ("binary", None, {"labels": "one_hot"}),
        HeadConfigError,
        "Expected `labels` to be omitted for task='binary': it chooses the format of multiclass "
        "targets only. Received: labels='one_hot'. A binary head always takes a 0/1 column "
        "(head.encode also accepts (N, 2) one-hot rows): leave `labels` out.",
        id="labels-binary",
    ),
    pytest.param(
        ("multilabel", 3, {"labels": "sparse"}),
        HeadConfigError,
        "Expected `labels` to be omitted for task='multilabel': it chooses the format of "
        "multiclass targets only. Received: labels='sparse'. A multilabel head always takes a "
        "multi-hot (N, n) matrix (head.encode also accepts label lists): leave `labels` out.",
        id="labels-multilabel",
    ),
    pytest.param(
        ("binary", None, {"from_logits": "yes"}),
        TypeError,
        "Expected `from_logits` to be a bool. Received: from_logits='yes'. Pass True or False.",
        id="from-logits-str",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": ["a", "b"]}),
        HeadConfigError,
        "Expected 3 `class_names`, one per class. Received: 2 names ['a', 'b']. Pass 3 names, the name of class id i at position i.",
        id="class-names-count",
    ),
    pytest.param(
        ("multiclass", 3, {"class_names": ["a", "b", "a"]}),
        HeadConfigError,
        "Expected distinct `class_names`. Received: duplicates ['a']. Give every class its own name.",
        id="class-names-duplicate",
    ),
    pytest.param(
        ("multiclass", 2, {"class_names": "ab"}),
        TypeError,
        "Expected `class_names` to be a sequence of str or int. Received: class_names='ab'. Pass one name per class, in class-id order, e.g. class_names=['neg', 'pos'].",
        id="class-names-str",
    ),
    pytest.param(
        ("multiclass", 2, {"class_names": ["a", ("b",)]}),
        TypeError,
        "Expected `class_names` to hold str or int (they are saved in the .keras file). "
        "Received: class_names[1]=('b',) of type tuple. Convert every name to str.",
        id="class-names-tuple",
    ),
    pytest.param(
        ("binary", None, {"class_names": ["neg", 1]}),
        TypeError,
        "Expected `class_names` all str or all int: labels of one type map onto them. "
        "Received: class_names[0]='neg' but class_names[1]=1. Convert every name to str.",
        id="class-names-mixed",
    ),
    pytest.param(
        ("binary", None, {"name": 3}),
        TypeError,
        "Expected `name` to be a str or None. Received: name=3 of type int. Pass a layer name such as name='head', or leave it out.",
        id="name-int",
    ),
    pytest.param(
        ("multilabel", 4, {"min_labels": 5}),
        HeadConfigError,
        "Expected `min_labels` <= n=4, the number of labels. Received: min_labels=5. Pass "
        "min_labels=4 or less.",
        id="min-labels-above-n",
    ),
    pytest.param(
        ("multilabel", 4, {"min_labels": -1}),
        HeadConfigError,
        "Expected `min_labels` >= 0. Received: min_labels=-1. Pass min_labels=0 or more.",
        id="min-labels-negative",
    ),
    pytest.param(
        ("multilabel", 4, {"min_labels": 1.0}),
        TypeError,
        "Expected `min_labels` to be an int. Received: min_labels=1.0. Pass min_labels=1.",
        id="min-labels-float",
    ),
    pytest.param(
        ("multilabel", 4, {"min_labels": True}),
        TypeError,
        "Expected `min_labels` to be an int. Received: min_labels=True of type bool. Pass a "
        "whole number from 0 to 4.",
        id="min-labels-bool",
    ),
    pytest.param(
        ("multiclass", 4, {"min_labels": 1}),
        HeadConfigError,
        "Expected `min_labels` to be omitted for task='multiclass': it is the fewest labels a "
        "multilabel head predicts per sample. Received: min_labels=1. Leave `min_labels` out: "
        "a multiclass head predicts exactly one class.",
        id="min-labels-multiclass",
    ),
    pytest.param(
        ("binary", None, {"min_labels": 1}),
        HeadConfigError,
        "Expected `min_labels` to be omitted for task='binary': it is the fewest labels a "
        "multilabel head predicts per sample. Received: min_labels=1. Leave `min_labels` out; "
        "for one label per sample of several, use task='multiclass'.",
        id="min-labels-binary",
    ),
    pytest.param(
        ("binary", None, {"min_labels": False}),
        HeadConfigError,
        "Expected `min_labels` to be omitted for task='binary': it is the fewest labels a "
        "multilabel head predicts per sample. Received: min_labels=False of type bool. Leave "
        "`min_labels` out; for one label per sample of several, use task='multiclass'.",
        id="min-labels-binary-false",
    ),
    pytest.param(
        ("binary", None, {"min_labels": 0.0}),
        HeadConfigError,
        "Expected `min_labels` to be omitted for task='binary': it is the fewest labels a "
        "multilabel head predicts per sample. Received: min_labels=0.0. Leave "
        "`min_labels` out; for one label per sample of several, use task='multiclass'.",
        id="min-labels-binary-float-zero",
    ),
    pytest.param(
        ("binary", None, {"min_labels": np.int64(1)}),
        HeadConfigError,
        "Expected `min_labels` to be omitted for task='binary': it is the fewest labels a "
        "multilabel head predicts per sample. Received: min_labels=np.int64(1) of type int64. Leave "
        "`min_labels` out; for one label per sample of several, use task='multiclass'.",
        id="min-labels-binary-numpy-int",
    ),
]


@pytest.mark.parametrize(("args", "error", "message"), CONFIG_ERRORS)
def test_config_errors(args: tuple, error: type, message: str) -> None:
    task, n, options = args
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        classification_head(task, n, **options)


def test_head_config_error_is_value_error() -> None:
    assert issubclass(HeadConfigError, ValueError)


def test_head_requires_head_layer() -> None:
    message = (
        "Expected `layer` to be a safeheads.HeadLayer. Received: layer of type Dense. Use "
        "safeheads.classification_head()."
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        safeheads.Head(keras.layers.Dense(3))


def test_from_model_without_head_layer() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="plain")
    message = (
        "Expected a model with a safeheads.HeadLayer. Received: model 'plain' without one. Use "
        "safeheads.check(model) to inspect a hand-written head."
    )
    with pytest.raises(HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.Head.from_model(model)


def test_from_model_finds_the_head_in_a_nested_model(tmp_path: pathlib.Path) -> None:
    head = classification_head("multiclass", 3, class_names=["a", "b", "c"])
    inner = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), head.layer])
    outer = keras.Sequential([keras.Input((2,)), inner, keras.layers.Activation("linear")])
    assert safeheads.Head.from_model(outer).layer is head.layer
    outer.save(tmp_path / "nested.keras")
    loaded = safeheads.Head.from_model(keras.models.load_model(tmp_path / "nested.keras"))
    assert loaded.class_names == ("a", "b", "c")


# --------------------------------------------------------------------------- equivalences


def test_sparse_loss_equals_one_hot_loss() -> None:
    rng = np.random.default_rng(1)
    probs = keras.ops.softmax(rng.normal(size=(32, 5)).astype("float32"))
    y = rng.integers(0, 5, 32)
    sparse = classification_head("multiclass", 5)
    one_hot = classification_head("multiclass", 5, labels="one_hot")
    a = float(sparse.loss(sparse.encode(y), probs))
    b = float(one_hot.loss(one_hot.encode(y), probs))
    assert a == pytest.approx(b, rel=1e-6)


@pytest.mark.parametrize(
    ("task", "n", "options"),
    [c.values[0] for c in HEAD_CONFIGS if not c.values[0][2].get("from_logits")],
)
def test_logits_and_probabilities_agree(task: str, n: int | None, options: dict) -> None:
    """Same pre-activation values: from_logits=True on logits == False on activations."""
    rng = np.random.default_rng(2)
    probs_head = classification_head(task, n, **options)
    logits_head = classification_head(task, n, **{**options, "from_logits": True})
    logits = rng.normal(size=(64, probs_head.units)).astype("float32") * 3
    if task == "multiclass":
        y = rng.integers(0, n, 64)
        activated = keras.ops.softmax(logits)
    else:
        y = (rng.random((64, probs_head.units)) > 0.5).astype(int)
        if task == "binary":
            y = y[:, 0]
        activated = keras.ops.sigmoid(logits)
    target = probs_head.encode(y)
    assert float(probs_head.loss(target, activated)) == pytest.approx(
        float(logits_head.loss(target, logits)), rel=1e-4
    )
    for from_probs, from_logits in zip(probs_head.metrics, logits_head.metrics, strict=True):
        from_probs.update_state(target, activated)
        from_logits.update_state(target, logits)
        assert float(from_probs.result()) == pytest.approx(float(from_logits.result()), abs=1e-6)
    np.testing.assert_array_equal(probs_head.decode(activated), logits_head.decode(logits))


# --------------------------------------------------------------------------- learning


def _problem(task: str, n: int | None, size: int = 384) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(size, 6)).astype("float32")
    width = 1 if task == "binary" else n
    scores = x @ rng.normal(size=(6, width))
    if task == "binary":
        return x, (scores[:, 0] > 0).astype(int)
    if task == "multiclass":
        return x, scores.argmax(axis=1)
    return x, (scores > 0.3).astype(int)


def _numpy_truth(task: str, y: np.ndarray, decided: np.ndarray, scores: np.ndarray) -> dict:
    if task == "binary":
        return {
            "accuracy": (decided == y).mean(),
            "precision": precision_score(y, decided, zero_division=0),
            "recall": recall_score(y, decided, zero_division=0),
            "auc": roc_auc_score(y, scores[:, 0]),
        }
    if task == "multiclass":
        truth = {"accuracy": (decided == y).mean()}
        if scores.shape[1] >= 10:  # ties to the lower index, as a stable sort
            top = np.argsort(-scores, axis=1, kind="stable")[:, :5]
            truth["top_5_accuracy"] = (top == y[:, None]).any(axis=1).mean()
        return truth
    return {
        "exact_match": (decided == y).all(axis=1).mean(),
        "label_accuracy": (decided == y).mean(),
        "micro_f1": f1_score(y, decided, average="micro", zero_division=0),
        "macro_f1": f1_score(y, decided, average="macro", zero_division=0),
        "auc": roc_auc_score(y, scores, average="macro"),
    }


@pytest.mark.parametrize(("task", "n", "options"), [c.values[0] for c in HEAD_CONFIGS])
def test_learns_metrics_true_and_round_trips(
    task: str, n: int | None, options: dict, tmp_path: pathlib.Path
) -> None:
    head = classification_head(task, n, **options)
    x, y = _problem(task, n)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, head.layer(keras.layers.Dense(16, activation="relu")(inputs)))
    model.compile(keras.optimizers.Adam(0.03), loss=head.loss, metrics=head.metrics)
    target = head.encode(y)
    model.fit(x, target, epochs=12, batch_size=64, verbose=0)
    reported = model.evaluate(x, target, batch_size=50, verbose=0, return_dict=True)
    scores = model.predict(x, verbose=0)
    truth = _numpy_truth(task, y, head.decode(scores), scores)
    for name, value in truth.items():
        # AUC is binned at 200 logit thresholds; every count-based metric is exact.
        tolerance = 2e-3 if name == "auc" else 1e-6
        assert reported[name] == pytest.approx(value, abs=tolerance), name
    learned = "exact_match" if task == "multilabel" else "accuracy"
    assert truth[learned] >= (0.75 if task == "multilabel" else 0.9)

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), scores)
    assert loaded.evaluate(x, target, batch_size=50, verbose=0, return_dict=True) == reported
    again = safeheads.Head.from_model(loaded)
    assert repr(again) == repr(head)
    assert again.layer.get_config() == head.layer.get_config()


def test_sequential_with_tf_data_and_jit(tmp_path: pathlib.Path) -> None:
    head = classification_head("multilabel", 4, from_logits=True)
    x, y = _problem("multilabel", 4)
    data = tf.data.Dataset.from_tensor_slices((x, head.encode(y))).batch(64)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, "relu"), head.layer])
    model.compile(
        keras.optimizers.Adam(0.03), loss=head.loss, metrics=head.metrics, jit_compile=True
    )
    model.fit(data, epochs=12, verbose=0)
    reported = model.evaluate(data, verbose=0, return_dict=True)
    decided = head.decode(model.predict(x, verbose=0))
    assert reported["exact_match"] == pytest.approx((decided == y).all(axis=1).mean(), abs=1e-6)
    assert reported["exact_match"] >= 0.75


def test_head_layer_is_float32_under_mixed_precision() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        head = classification_head("multiclass", 3)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), head.layer])
        assert model.layers[0].compute_dtype == "float16"
        outputs = model(np.ones((2, 4), dtype="float32"))
        assert outputs.dtype == tf.float32
        assert head.layer.compute_dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(("task", "n"), [("binary", None), ("multiclass", 3), ("multilabel", 4)])
def test_heads_train_and_score_under_float64_floatx(task: str, n: int | None) -> None:
    keras.config.set_floatx("float64")
    try:
        head = classification_head(task, n)
        x, y = _problem(task, n)
        model = keras.Sequential([keras.Input((6,)), head.layer])
        model.compile("adam", loss=head.loss, metrics=head.metrics)
        model.fit(x, head.encode(y), epochs=1, verbose=0)
        reported = model.evaluate(x, head.encode(y), verbose=0, return_dict=True)
        decided = head.decode(model.predict(x, verbose=0))
    finally:
        keras.config.set_floatx("float32")
    assert {str(v.dtype) for m in head.metrics for v in m.variables} == {"float32"}
    truth = (decided == y).all(axis=1).mean() if task == "multilabel" else (decided == y).mean()
    name = "exact_match" if task == "multilabel" else "accuracy"
    assert reported[name] == pytest.approx(truth, abs=1e-6)


# --------------------------------------------------------------------------- decode

DECODE = [
    pytest.param(("binary", None, {}), [[0.2], [0.5], [0.51]], [0, 0, 1], id="binary-strict"),
    pytest.param(("binary", None, {"from_logits": True}), [-0.1, 0.0, 0.1], [0, 0, 1], id="logits"),
    pytest.param(
        ("binary", None, {"threshold": 0.8, "from_logits": True}),
        [[1.3], [1.5]],  # logit(0.8) = 1.386
        [0, 1],
        id="logit-threshold",
    ),
    pytest.param(("multiclass", 3, {}), [[0.1, 0.7, 0.2], [0.5, 0.4, 0.1]], [1, 0], id="argmax"),
    pytest.param(
        ("multilabel", 3, {"threshold": [0.1, 0.5, 0.9]}),
        [[0.2, 0.2, 0.8], [0.05, 0.6, 0.95]],
        [[1, 0, 0], [0, 1, 1]],
        id="per-label",
    ),
]


@pytest.mark.parametrize(("config", "outputs", "expected"), DECODE)
def test_decode(config: tuple, outputs: list, expected: list) -> None:
    task, n, options = config
    decided = classification_head(task, n, **options).decode(np.array(outputs))
    np.testing.assert_array_equal(decided, expected)
    assert decided.dtype == np.int64


def test_decode_names() -> None:
    head = classification_head("binary", class_names=["ham", "spam"])
    assert head.decode(np.array([[0.9], [0.1]]), names=True).tolist() == ["spam", "ham"]
    with pytest.raises(
        TypeError, match=re.escape("Expected `names` to be a bool. Received: names='no'.")
    ):
        head.decode(np.array([[0.9]]), names="no")  # type: ignore[arg-type]
    multi = classification_head("multiclass", 3, class_names=[10, 20, 30])
    assert multi.decode(np.eye(3)[[2, 0]], names=True).tolist() == [30, 10]


@pytest.mark.parametrize(
    ("outputs", "error", "message"),
    [
        pytest.param(
            np.zeros((2, 4)),
            ValueError,
            "Expected model outputs of shape (N, 3). Received: shape (2, 4). Pass model.predict(x) of a model with this head's layer as its output.",
            id="shape",
        ),
        pytest.param(
            np.array([[0.1, np.nan, 0.2], [0.0, 0.0, np.inf]]),
            ValueError,
            "Expected finite model outputs. Received: outputs[0, 1]=nan (2 of 6 values not "
            "finite). Training diverged; check the loss and the labels.",
            id="nan",
        ),
        pytest.param(
            np.array([["a", "b", "c"]]),
            ValueError,
            "Expected numeric model outputs (model.predict(x)). Received: dtype <U1. To turn "
            "labels into ids use head.encode.",
            id="strings",
        ),
        pytest.param(
            [[0.1, 0.2, 0.3], [0.4]],
            ValueError,
            "Expected model outputs of shape (N, 3). Received: rows of different lengths. Pass model.predict(x), one row per sample.",
            id="ragged",
        ),
        pytest.param(
            np.array([[0.5, 0.2, 1.0], [-1.5, 0.0, 2.0]]),
            ValueError,
            "Expected probabilities in [0, 1] from a head with from_logits=False. Received: "
            "outputs[1, 0]=-1.5 (2 of 6 values outside [0, 1]). For logits, build the head "
            "with from_logits=True; else pass model.predict(x) of the model that holds this "
            "head's layer.",
            id="logits-to-a-probability-head",
        ),
    ],
)
def test_decode_errors(outputs: np.ndarray, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        classification_head("multilabel", 3).decode(outputs)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_tune_thresholds_refuses_logits_on_a_probability_head(task: str) -> None:
    # Log-odds of negative "probabilities" are NaN: the tuned cut used to be silently
    # wrong (binary: F1 0.857 where a cut between -0.5 and 0.5 scores 1.0).
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    logits = np.array([-3.0, -1.0, 0.5, 2.0, -2.0, 1.5, -0.5, 0.7])
    n = None if task == "binary" else 2
    scores = logits[:, None] if task == "binary" else np.stack([-logits, logits], axis=1)
    head = classification_head(task, n, prior=np.eye(2)[y] if task != "binary" else y)
    with pytest.raises(ValueError, match=re.escape("Received: outputs[0, ")):
        head.tune_thresholds(y if task != "multilabel" else np.eye(2)[y], scores)
    tuned = classification_head(task, n, from_logits=True, prior=head.prior).tune_thresholds(
        y if task != "multilabel" else np.eye(2)[y], scores
    )
    if task == "binary":
        assert tuned.decode(scores).tolist() == y.tolist()


def test_decode_reads_bfloat16_outputs() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    outputs = np.array([[0.2], [0.7]], dtype=ml_dtypes.bfloat16)  # predict under mixed_bfloat16
    assert classification_head("binary").decode(outputs).tolist() == [0, 1]


def test_decode_names_needs_class_names() -> None:
    message = (
        "Expected a head with `class_names` for decode(names=True). Received: class_names=None. "
        "Pass class_names=... to classification_head."
    )
    with pytest.raises(HeadConfigError, match=f"^{re.escape(message)}$"):
        classification_head("binary").decode(np.array([[0.3]]), names=True)


def test_from_labels() -> None:
    head = safeheads.Head.from_labels([["a", "b"], ["c"], []], from_logits=True)
    assert repr(head) == (
        "Head('multilabel', 3, from_logits=True, threshold=0.5, class_names=['a', 'b', 'c'])"
    )
    np.testing.assert_array_equal(head.encode([["c"], ["a", "b"]]), [[0, 0, 1], [1, 1, 0]])


@pytest.mark.parametrize(
    ("options", "received"),
    [
        pytest.param({"activation": "linear"}, "units=3, activation='linear'", id="activation"),
        pytest.param({"units": 7}, "units=7, activation='softmax'", id="units"),
    ],
)
def test_head_layer_refuses_units_and_activation(options: dict, received: str) -> None:
    message = (
        "Expected no `units` or `activation` for a HeadLayer: task='multiclass' with n=3 and "
        f"from_logits=False needs 3 units and activation='softmax'. Received: {received}. "
        "Leave both out; for a linear output pass from_logits=True."
    )
    with pytest.raises(safeheads.HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.HeadLayer("multiclass", 3, **options)


@pytest.mark.parametrize("dtype", ["float16", "mixed_float16", "bfloat16"])
def test_head_layer_refuses_a_dtype_other_than_float32(dtype: str) -> None:
    # It was accepted and replaced by float32 silently.
    message = (
        "Expected no `dtype` for a HeadLayer: it computes and keeps its weights in float32 "
        "whatever the dtype policy, since softmax and sigmoid in float16 lose the small "
        f"probabilities. Received: dtype={dtype!r}. Leave it out; the layers before the head "
        "can be float16."
    )
    with pytest.raises(safeheads.HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.HeadLayer("binary", dtype=dtype)
    assert safeheads.HeadLayer("binary", dtype="float32").dtype == "float32"


@pytest.mark.parametrize(
    ("task", "n", "outputs", "y"),
    [
        pytest.param("multilabel", 2, [[0.7, 0.1]], [[0, 0]], id="at-the-threshold"),
        pytest.param("multiclass", 2, [[0.3, 0.30000000001]], [0], id="tie-in-float32"),
        pytest.param("binary", None, np.array([[0.7000000001]]), [[0]], id="float64-above-cut"),
    ],
)
def test_decode_decides_as_the_metrics_on_float64_outputs(task, n, outputs, y) -> None:
    # decode compared float64 outputs with the float32 cut the metrics use on float32
    # outputs: 0.7 > float32(0.7) in float64, not in float32.
    threshold = {"threshold": 0.7} if task != "multiclass" else {}
    head = safeheads.classification_head(task, n, **threshold)
    metric = head.metrics[1 if task == "multilabel" else 0]  # label_accuracy / accuracy
    metric.update_state(np.array(y), np.array(outputs, "float64"))
    decided = head.decode(outputs)
    expected = np.array(y).reshape(decided.shape)
    assert float(metric.result()) == 1.0 and np.array_equal(decided, expected)


def test_decode_takes_finite_float64_outputs_beyond_float32_range() -> None:
    # The float32 cast came before the finiteness check: 1e39 was refused as "inf".
    head = safeheads.classification_head("binary", from_logits=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        np.testing.assert_array_equal(head.decode(np.array([1e39, -1e39])), [1, 0])


def test_zero_d_arrays_read_as_numbers() -> None:
    head = safeheads.classification_head(
        "binary", threshold=np.array(0.3), pos_weight=np.array(2.0)
    )
    assert head.layer.threshold == 0.3
    assert head.loss.pos_weight == 2.0


@pytest.mark.parametrize(
    ("task", "n", "y", "count"),
    [
        pytest.param("binary", None, [0, 0, 0, 0], 4, id="binary"),
        pytest.param("multilabel", 2, [[0, 0], [0, 0]], 4, id="multilabel"),
    ],
)
def test_tune_thresholds_refuses_labels_without_positives(
    task: str, n: int | None, y: list, count: int
) -> None:
    head = classification_head(task, n)
    scores = np.full((4 if task == "binary" else 2, head.units), 0.3, dtype="float32")
    message = (
        f"Expected at least one positive label to tune thresholds on. Received: {count} "
        "labels, all 0. Every threshold scores 0 there: keep the current threshold, or tune "
        "on validation data that has positives."
    )
    with pytest.raises(safeheads.LabelFormatError, match=f"^{re.escape(message)}$"):
        head.tune_thresholds(y, scores)
    assert head.layer.threshold == 0.5


def test_negative_int_class_names_encode_and_decode(tmp_path: pathlib.Path) -> None:
    # -1/+1 labels named as such: encode maps them to ids before the id checks (which
    # refuse -1), decode gives them back, and the names survive save/load.
    head = classification_head("binary", class_names=[-1, 1])
    np.testing.assert_array_equal(head.encode([-1, 1, 1]), [[0.0], [1.0], [1.0]])
    np.testing.assert_array_equal(head.decode(np.array([[0.2], [0.8]]), names=True), [-1, 1])
    with pytest.raises(
        LabelFormatError,
        match=re.escape(
            "Expected labels among the head's class names [-1, 1]. Received: y[1]=0 (1 of 3 "
            "labels unknown)."
        ),
    ):
        head.encode([-1, 0, 1])
    model = keras.Sequential([keras.Input((2,)), head.layer])
    model.save(tmp_path / "m.keras")
    loaded = Head.from_model(keras.saving.load_model(tmp_path / "m.keras"))
    assert loaded.class_names == (-1, 1)
    np.testing.assert_array_equal(
        classification_head("multiclass", 3, class_names=[-1, 0, 1]).encode([-1, 1]), [0, 2]
    )


@pytest.mark.parametrize(
    ("task", "names", "example"),
    [("binary", [-1, 1], "np.where(y, 1, -1)"), ("multiclass", [3, 5, 7], "np.where(y, 7, 3)")],
    ids=["binary-minus-one-one", "multiclass"],
)
def test_booleans_are_not_int_class_names(task: str, names: list[int], example: str) -> None:
    # They were read as 1 and 0: True silently became the name 1 of [1, ...], and False
    # was reported as "y[1]=0".
    head = classification_head(task, None if task == "binary" else 3, class_names=names)
    message = (
        f"Expected labels among the head's class names {names}. Received: booleans in 3 "
        f"samples; True and False are not class names. Pass the names, e.g. {example}."
    )
    for y in (np.array([True, False, True]), [True, False, True]):
        with pytest.raises(LabelFormatError, match=f"^{re.escape(message)}$"):
            head.encode(y)
    # Names 0 .. n-1 are the ids: booleans stay 0/1 labels there.
    np.testing.assert_array_equal(
        classification_head("binary", class_names=[0, 1]).encode(np.array([True, False])),
        [[1.0], [0.0]],
    )


def test_negative_int_class_names_in_label_lists() -> None:
    # Multilabel label lists name negative ints too: they map to ids before the id checks.
    head = classification_head("multilabel", 3, class_names=[-1, 0, 5])
    np.testing.assert_array_equal(
        head.encode([[-1, 5], [], [0]]), [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    )
    np.testing.assert_array_equal(head.encode([[-1], [5]]), [[1, 0, 0], [0, 0, 1]])
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[5, -1], [0]]
    np.testing.assert_array_equal(head.encode(ragged), [[1, 0, 1], [0, 1, 0]])
    prior = classification_head("multilabel", 3, class_names=[-1, 0, 5], prior=[[-1, 5], [5]])
    assert prior.prior == (0.5, 0.0, 1.0)
    with pytest.raises(
        LabelFormatError,
        match=re.escape(
            "Expected labels among the head's class names [-1, 0, 5]. Received: y[1][1]=7 (1 "
            "of 3 labels unknown)."
        ),
    ):
        head.encode([[-1], [0, 7]])
    # Names -1 and 1, n=2: one-label lists are label lists (no 0/1 ambiguity), while
    # numeric rows of equal length stay a multi-hot matrix.
    pair = classification_head("multilabel", 2, class_names=[-1, 1])
    np.testing.assert_array_equal(pair.encode([[-1], [1]]), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(pair.encode([[0, 1], [1, 1]]), [[0, 1], [1, 1]])


def test_multilabel_n_beyond_the_auc_histogram_is_refused_by_the_head() -> None:
    # RocAUC's own message said "Pass fewer num_thresholds", which a head does not take.
    message = (
        "Expected `n` <= 5368709 for task='multilabel': its auc metric keeps 400 counts per "
        "label, fewer than 2**31 in all. Received: n=5368710. Map the rarest labels out, e.g. keep the most frequent ones with safeheads.LabelMap."
    )
    with pytest.raises(safeheads.HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.classification_head("multilabel", 5368710)
