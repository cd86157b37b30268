"""safeheads.plot_history, plot_confusion and plot_label_f1, rendered to PNG with Agg."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

import safeheads

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"
LOGS = {
    "loss": [0.7, 0.5, 0.4, 0.35],
    "accuracy": [0.6, 0.7, 0.8, 0.85],
    "val_loss": [0.72, 0.6, 0.55, 0.58],
    "val_accuracy": [0.58, 0.66, 0.74, 0.73],
    "learning_rate": [0.001] * 4,
}


def _png(fig: object, path: pathlib.Path) -> bytes:
    fig.savefig(path, dpi=50)  # type: ignore[attr-defined]
    return path.read_bytes()


def test_plot_history_of_a_real_fit(tmp_path: pathlib.Path) -> None:
    head = safeheads.classification_head("binary")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    model = keras.Sequential([keras.Input((3,)), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    history = model.fit(x, y, validation_split=0.25, epochs=2, verbose=0)
    fig = safeheads.plot_history(history)
    assert [ax.get_title().split(" (")[0] for ax in fig.axes] == [
        "loss",
        "accuracy",
        "auc",
        "precision",
        "recall",
    ]
    for ax in fig.axes:  # training solid, validation dashed, both per epoch
        lines = ax.get_lines()
        assert [line.get_label() for line in lines[:2]] == ["training", "validation"]
        assert list(lines[0].get_xdata()) == [1, 2]
    assert _png(fig, tmp_path / "history.png").startswith(PNG)


@pytest.mark.parametrize(
    ("metrics", "titles"),
    [
        (None, ["loss (best validation: epoch 3)", "accuracy (best validation: epoch 3)"]),
        (["accuracy"], ["accuracy (best validation: epoch 3)"]),
        (["learning_rate"], ["learning_rate"]),
    ],
    ids=["default-loss-first-no-lr", "chosen", "no-validation-curve"],
)
def test_plot_history_panels(
    metrics: list[str] | None, titles: list[str], tmp_path: pathlib.Path
) -> None:
    fig = safeheads.plot_history(LOGS, metrics=metrics)
    assert [ax.get_title() for ax in fig.axes] == titles
    assert _png(fig, tmp_path / "h.png").startswith(PNG)


@pytest.mark.parametrize(
    ("history", "error", "message"),
    [
        (
            [0.1, 0.2],
            TypeError,
            "Expected `history` to be the History that model.fit returns, or its .history "
            "dict. Received: history=[0.1, 0.2] of type list. Pass history = model.fit(...).",
        ),
        (
            {},
            ValueError,
            "Expected a history with at least one epoch. Received: an empty history. Plot it "
            "after model.fit has run.",
        ),
        (
            {"loss": [1.0, None]},
            ValueError,
            "Expected numbers per epoch in `history`. Received: loss=[1.0, None] of type list. "
            "Pass the History of model.fit, or drop that entry.",
        ),
    ],
    ids=["not-a-history", "empty", "not-numbers"],
)
def test_plot_history_rejects(history: object, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        safeheads.plot_history(history)
    assert str(caught.value) == message


def test_plot_history_skips_nan_for_the_best_epoch() -> None:
    fig = safeheads.plot_history({"loss": [1.0, 0.8, 0.7], "val_loss": [0.9, np.nan, 0.5]})
    assert fig.axes[0].get_title() == "loss (best validation: epoch 3)"
    fig = safeheads.plot_history({"loss": [1.0, 0.8], "val_loss": [np.nan, np.nan]})
    assert fig.axes[0].get_title() == "loss"  # no best epoch to mark


def test_plot_history_marks_the_lowest_error_and_the_highest_score() -> None:
    # Losses, errors, crossentropy metrics and false counts: lowest is best.
    down, up = [0.6, 0.5, 0.55], [0.5, 0.7, 0.6]  # best: epoch 2 either way
    worst = [0.6, 0.7, 0.65]  # the highest at epoch 2: best is epoch 1 when lower is better
    logs = {"mae": [0.4] * 3, "val_mae": down, "auc": [0.5] * 3, "val_auc": up}
    logs |= {"binary_crossentropy": [0.5] * 3, "val_binary_crossentropy": worst}
    logs |= {"false_positives": [9, 5, 3], "val_false_positives": [8, 4, 6]}
    titles = [ax.get_title() for ax in safeheads.plot_history(logs).axes]
    assert titles == [
        "mae (best validation: epoch 2)",
        "auc (best validation: epoch 2)",
        "binary_crossentropy (best validation: epoch 1)",
        "false_positives (best validation: epoch 2)",
    ]
    # One name is a name, not a sequence of characters.
    assert [ax.get_title() for ax in safeheads.plot_history(logs, metrics="auc").axes] == [
        "auc (best validation: epoch 2)"
    ]


def test_plot_history_with_validation_freq() -> None:
    logs = {"loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], "val_loss": [0.4, 0.45]}
    fig = safeheads.plot_history(logs, validation_freq=3)
    assert fig.axes[0].get_title() == "loss (best validation: epoch 3)"
    validation = fig.axes[0].get_lines()[1]
    assert validation.get_xdata().tolist() == [3, 6]
    assert safeheads.plot_history(logs).axes[0].get_lines()[1].get_xdata().tolist() == [1, 2]
    # fit(initial_epoch=5, epochs=10, validation_freq=2): 5 epochs logged, 3 validations
    resumed = {"loss": [0.9, 0.8, 0.7, 0.6, 0.5], "val_loss": [0.7, 0.6, 0.65]}
    fig = safeheads.plot_history(resumed, validation_freq=2)
    assert fig.axes[0].get_lines()[1].get_xdata().tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match=r"^Expected `validation_freq` >= 1\. Received: "):
        safeheads.plot_history(logs, validation_freq=0)


@pytest.mark.parametrize(
    ("history", "metrics", "message"),
    [
        (
            {"loss": [1.0]},
            [],
            "metrics=[] with logged names ['loss']. Leave `metrics` out to plot every "
            "logged quantity.",
        ),
        (
            {"val_loss": [1.0]},
            None,
            "metrics=None with logged names ['val_loss']. Pass the History of a fit() "
            "that ran at least one epoch.",
        ),
    ],
    ids=["empty-metrics", "validation-only"],
)
def test_plot_history_needs_a_training_quantity(
    history: dict, metrics: list[str] | None, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        safeheads.plot_history(history, metrics=metrics)
    assert (
        str(caught.value) == f"Expected at least one training quantity to plot. Received: {message}"
    )


def test_plot_history_refuses_val_names() -> None:
    # metrics=["val_loss"] drew the validation series labelled "training".
    logs = {"loss": [0.6, 0.4], "val_loss": [0.62, 0.5]}
    with pytest.raises(ValueError) as caught:
        safeheads.plot_history(logs, metrics=["val_loss"])
    assert str(caught.value) == (
        "Expected `metrics` without the val_ prefix: each panel draws a quantity and its val_ "
        "series. Received: ['val_loss']. Pass ['loss']."
    )


def test_plot_history_unknown_metric() -> None:
    with pytest.raises(ValueError) as caught:
        safeheads.plot_history(LOGS, metrics=["auc"])
    assert str(caught.value) == (
        "Expected `metrics` among the logged names ['loss', 'accuracy']. Received: unknown ['auc']. Pass names from that list, or leave `metrics` out for all of them."
    )


def test_plot_confusion_counts_and_png(tmp_path: pathlib.Path) -> None:
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0])
    fig = safeheads.plot_confusion(y_true, y_pred, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert ax.get_title() == "confusion matrix: accuracy 0.667 (4 of 6)"
    cells = [text.get_text() for text in ax.texts]
    assert cells == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]  # row by row
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert _png(fig, tmp_path / "c.png").startswith(PNG)


def test_plot_confusion_sorts_float_ids_by_value() -> None:
    fig = safeheads.plot_confusion([0.0, 2.0, 10.0], [0.0, 10.0, 2.0])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.0", "2.0", "10.0"]


def test_plot_confusion_fractional_classes_with_class_names() -> None:
    fig = safeheads.plot_confusion([0.5, 1.5], [0.5, 0.5], class_names=[0.5, 1.5])
    assert [t.get_text() for t in fig.axes[0].texts] == ["1", "0", "1", "0"]


def test_plot_confusion_integer_class_names_are_names() -> None:
    fig = safeheads.plot_confusion([1, 2, 3, 3], [1, 2, 3, 1], class_names=[1, 2, 3])
    cells = [text.get_text() for text in fig.axes[0].texts]
    assert cells == ["1", "0", "0", "0", "1", "0", "1", "0", "1"]
    with pytest.raises(ValueError) as caught:
        safeheads.plot_confusion([0, 1], [0, 1], class_names=[1, 2])
    assert str(caught.value) == (
        "Expected every class in `y_true` to be one of class_names [1, 2]. Received: 0 (integer "
        "class names: pass names, e.g. head.decode(..., names=True))."
    )


def test_plot_confusion_normalized_names_and_decode(tmp_path: pathlib.Path) -> None:
    head = safeheads.classification_head("multiclass", 3, class_names=["x", "y", "z"])
    decided = head.decode(np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]), names=True)
    fig = safeheads.plot_confusion(np.array(["x", "y"]), decided, normalize=True)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in ax.texts][:3] == ["1.00", "0.00", "0.00"]
    assert _png(fig, tmp_path / "n.png").startswith(PNG)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "message"),
    [
        (
            np.zeros((3, 2)),
            np.zeros((3, 2)),
            {},
            "Expected `y_true` to hold one class per sample, shape (N,). Received: shape "
            "(3, 2). Pass decisions, head.decode(model.predict(x)), not scores; for "
            "multilabel 0/1 matrices use safeheads.plot_label_f1.",
        ),
        (
            [0, 1, 1],
            np.array([[0.2], [0.8], [0.6]], "float32"),  # model.predict of a binary head
            {},
            "Expected decided classes in `y_pred`. Received: y_pred[0]=0.2, not a whole number "
            "(3 of 3 values): these look like scores. Pass head.decode(model.predict(x)), or "
            "pass class_names if the classes are such numbers.",
        ),
        (
            [0, 1],
            [0, 1, 1],
            {},
            "Expected `y_true` and `y_pred` to have the same number of samples. Received: 2 and 3. Pass the labels and the decisions of the same samples.",
        ),
        (
            ["a", "b"],
            ["a", "c"],
            {"class_names": ["a", "b"]},
            "Expected every class in `y_pred` to be one of class_names ['a', 'b']. Received: 'c' "
            "(add it to class_names).",  # names already: "or pass them as names" was no fix
        ),
        (
            [0, 5],
            [0, 1],
            {"class_names": ["a", "b"]},
            "Expected every class in `y_true` to be one of class_names ['a', 'b']. Received: 5 "
            "(add it to class_names, or pass the labels and decisions as names).",
        ),
        (
            [],
            [],
            {},
            "Expected at least one sample. Received: empty `y_true` and `y_pred`. Pass the labels and decisions of at least one sample.",
        ),
        (
            np.array([0.0, np.nan, np.nan]),
            np.array([0.0, 1.0, 1.0]),
            {},
            "Expected a class for every sample in `y_true`. Received: y_true[1]=nan (2 of 3 "
            "values NaN). Drop or fix those samples; head.decode never returns NaN.",
        ),
        (
            ["a", "b", "a"],
            ["a", "b", "b"],
            {"class_names": ["a", "a", "b"]},  # drew every "a" in row 1
            "Expected distinct `class_names`. Received: ['a', 'a', 'b'], with 'a' more than "
            "once. Pass each class once, in the order of its id.",
        ),
        (
            [0, 1],
            ["0", "1"],  # drew a 4 x 4 matrix, "accuracy 0.000"
            {},
            "Expected class ids or class names, not both. Received: `y_true` of dtype int64 and "
            "`y_pred` of dtype <U1. Pass both as head.decode(...) gives them, or both with "
            "names=True.",
        ),
        (
            np.array([True, False]),
            np.array([True, True]),
            {"class_names": ["no", "yes"]},
            "Expected every class in `y_true` to be one of class_names ['no', 'yes']. Received: "
            "True (bool values: pass class ids as ints, or names).",
        ),
        (
            [-1, 0, 1],
            [0, 0, 1],
            {},
            "Expected class ids >= 0 in `y_true`. Received: y_true[0]=-1. Pass class_names if "
            "the classes are such numbers.",
        ),
        (
            [0, -1, -3],  # named y_true[1]=-3: the smallest id, at the first negative's place
            [0, 0, 0],
            {},
            "Expected class ids >= 0 in `y_true`. Received: y_true[1]=-1. Pass class_names if "
            "the classes are such numbers.",
        ),
        (
            [-1, 0],  # named y_true[0]=-5, a value of y_pred
            [-5, 0],
            {},
            "Expected class ids >= 0 in `y_true`. Received: y_true[0]=-1. Pass class_names if "
            "the classes are such numbers.",
        ),
    ],
    ids=[
        "multilabel-matrix",
        "binary-scores",
        "lengths",
        "unknown-name",
        "unknown-id",
        "empty",
        "nan",
        "repeated-names",
        "ids-and-names",
        "bools-with-names",
        "negative-id",
        "negative-ids-first-one",
        "negative-ids-in-both",
    ],
)
def test_plot_confusion_rejects(
    y_true: object, y_pred: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        safeheads.plot_confusion(y_true, y_pred, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_plot_confusion_normalize_must_be_a_bool() -> None:
    # normalize="pred" (scikit-learn's column normalisation) used to normalise rows.
    with pytest.raises(TypeError) as caught:
        safeheads.plot_confusion([0, 1], [0, 1], normalize="pred")  # type: ignore[arg-type]
    assert (
        str(caught.value)
        == "Expected `normalize` to be a bool. Received: normalize='pred'. Pass True or False."
    )


def test_plot_label_f1_matches_scikit_learn(tmp_path: pathlib.Path) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true = (rng.random((200, 12)) < 0.2).astype(int)
    y_pred = (rng.random((200, 12)) < 0.25).astype(int)
    y_true[:, 11] = 0  # a label with no positives
    fig = safeheads.plot_label_f1(y_true, y_pred, class_names=[f"l{i}" for i in range(12)], top=5)
    micro = metrics.f1_score(y_true, y_pred, average="micro", zero_division=0)
    macro = metrics.f1_score(y_true, y_pred, average="macro", zero_division=0)
    ax = fig.axes[0]
    assert ax.get_title() == f"per-label F1: micro {micro:.3f}, macro {macro:.3f} (12 labels)"
    per_label = metrics.f1_score(y_true, y_pred, average=None, zero_division=0)
    order = np.argsort(-y_true.sum(0), kind="stable")[:5]
    np.testing.assert_allclose([bar.get_width() for bar in ax.patches], per_label[order])
    assert _png(fig, tmp_path / "f1.png").startswith(PNG)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "message"),
    [
        (
            np.zeros((3, 2)),
            np.zeros((3, 3)),
            {},
            "Expected `y_true` and `y_pred` to be 0/1 matrices of one shape (N, n). Received: "
            "shapes (3, 2) and (3, 3). Pass multi-hot labels and head.decode(scores) of the same samples.",
        ),
        (
            np.zeros((2, 2)),
            np.array([[0.0, 0.7], [1.0, 0.0]]),
            {},
            "Expected `y_pred` to hold only 0 and 1. Received: y_pred[0, 1]=np.float64(0.7). "
            "Pass decisions (head.decode), not scores.",
        ),
        (
            np.zeros((2, 2)),
            np.zeros((2, 2)),
            {"class_names": ["a"]},
            "Expected 2 `class_names`, one per label. Received: 1 names. Pass 2 names, the name of label i at position i.",
        ),
        (
            np.eye(2),
            np.eye(2),
            {"top": 0},
            "Expected `top` >= 1. Received: top=0. Pass top=1 or more.",
        ),
        (
            [["a"], ["a", "b"]],
            [["a"], []],
            {},
            "Expected `y_true` to hold a 0/1 matrix (N, n). Received: rows of different lengths "
            "(label lists?). Encode label lists with head.encode(y) or "
            "safeheads.to_multi_hot(y, n).",
        ),
        (
            np.zeros((3, 0)),
            np.zeros((3, 0)),
            {},
            "Expected at least one sample and one label. Received: shape (3, 0). Pass the multi-hot labels of at least one sample.",
        ),
        (
            np.zeros((0, 3)),
            np.zeros((0, 3)),
            {},
            "Expected at least one sample and one label. Received: shape (0, 3). Pass the multi-hot labels of at least one sample.",
        ),
    ],
    ids=[
        "shapes",
        "scores-not-decisions",
        "class-names",
        "top-0",
        "label-lists",
        "no-labels",
        "no-samples",
    ],
)
def test_plot_label_f1_rejects(
    y_true: object, y_pred: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        safeheads.plot_label_f1(y_true, y_pred, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (safeheads.plot_history, (LOGS,)),
        (safeheads.plot_confusion, ([0], [0])),
        (safeheads.plot_label_f1, ([[0, 1]], [[0, 1]])),
    ],
    ids=["history", "confusion", "label-f1"],
)
def test_clear_error_without_matplotlib(
    function: object, args: tuple[object, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError) as caught:
        function(*args)  # type: ignore[operator]
    name = function.__name__  # type: ignore[attr-defined]
    assert str(caught.value) == (
        f'{name} needs matplotlib, which is not installed. Install it with: pip install "safeheads[plot]"'
    )


def test_safeheads_imports_without_matplotlib() -> None:
    # Keras itself imports matplotlib when it is installed; safeheads must not need it.
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import safeheads\n"
        "print(callable(safeheads.plot_history))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_plot_history_numbers_the_epochs_of_a_resumed_fit() -> None:
    # fit(initial_epoch=1, epochs=5): History.epoch is [1, 2, 3, 4]; the plot drew 1..4
    # and named the best validation epoch in that count.
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    layer, loss, metrics = safeheads.classification_head("binary")
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile("adam", loss=loss, metrics=metrics)
    history = model.fit(
        x, y, initial_epoch=1, epochs=5, validation_split=0.25, validation_freq=2, verbose=0
    )
    assert history.epoch == [1, 2, 3, 4]
    training, validation = (
        safeheads.plot_history(history, validation_freq=2).axes[0].get_lines()[:2]
    )
    assert training.get_xdata().tolist() == [2, 3, 4, 5]
    assert validation.get_xdata().tolist() == [2, 4]  # Keras validates after epochs 2 and 4


def test_plot_confusion_refuses_ids_that_are_not_class_ids() -> None:
    # Allocated a 1e7 x 1e7 matrix (MemoryError) for sample ids passed by mistake.
    message = (
        "Expected class ids 0..n-1 (one row and column each). Received: y_true holds id "
        "10000000 among 3 distinct values. Map the labels to 0..n-1, or pass "
        "class_names=sorted(set(y_true) | set(y_pred))."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        safeheads.plot_confusion([0, 10**7], [0, 1])
    fig = safeheads.plot_confusion([0, 10**7], [0, 10**7], class_names=[0, 10**7])
    assert fig.axes[0].get_title() == "confusion matrix: accuracy 1.000 (2 of 2)"
