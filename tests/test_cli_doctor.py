"""``safeheads doctor MODEL.keras [--labels LABELS.npy] [--task TASK]``: output and exit status."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

import safeheads
from safeheads._cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """A good and a bad saved model, labels, and some unusable files."""
    folder = tmp_path_factory.mktemp("doctor")
    layer, loss, metrics = safeheads.classification_head("multiclass", 3, name="head")
    good = keras.Sequential([keras.Input((4,)), layer], name="good")
    good.compile("adam", loss=loss, metrics=metrics)
    good.save(folder / "good.keras")
    bad = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "softmax")], name="bad")
    bad.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    bad.save(folder / "bad.keras")
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")], name="plain")
    plain.save(folder / "uncompiled.keras")
    inputs = keras.Input((4,))
    flag = keras.layers.Dense(1, "sigmoid", name="flag")(inputs)
    kind = keras.layers.Dense(3, "softmax", name="kind")(inputs)
    multi = keras.Model(inputs, [flag, kind], name="multi")
    multi.compile("adam", loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
    multi.save(folder / "multi.keras")
    np.savez(folder / "multi.npz", flag=np.array([0, 1] * 3), kind=np.array([0, 1, 3] * 2))
    np.savez(folder / "kind_only.npz", kind=np.array([0, 1, 3] * 2))
    np.save(folder / "ids.npy", np.array([0, 1, 2] * 4))
    np.save(folder / "ids_from_1.npy", np.array([1, 2, 3] * 4))
    np.savez(folder / "ids.npz", y=np.array([0, 1, 2] * 4))
    np.savez(folder / "two.npz", a=np.zeros(3), b=np.ones(3))
    np.save(folder / "names.npy", np.array(["a", "b", "c"] * 4, dtype=object), allow_pickle=True)
    (folder / "notes.keras").write_text("not a model", encoding="utf-8")
    with zipfile.ZipFile(folder / "archive.keras", "w") as archive:  # a zip, but no model
        archive.writestr("notes.txt", "not a model")
    (folder / "notes.npy").write_text("not labels", encoding="utf-8")
    return {path.name: path for path in folder.iterdir()}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["doctor", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_good_model_exits_0(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run([str(saved["good.keras"]), "--labels", str(saved["ids.npy"])], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "safeheads check of model 'good': no problems found"
    assert lines[-1] == "  labels: sparse, shape (12,), n=3"


def test_npz_of_one_array_per_output(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Arrays named after the outputs are each checked against their output.
    status, out, _ = _run([str(saved["multi.keras"]), "--labels", str(saved["multi.npz"])], capsys)
    assert status == 1
    assert "error SH403: The output has 3 units, so class ids must be in [0, 3)" in out
    assert "  labels: binary-column, shape (6,), n=2" in out


def test_npz_of_one_array_named_after_one_output_checks_that_output(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # A single array was taken for the whole model's labels, not checked, and exit 0.
    status, out, _ = _run(
        [str(saved["multi.keras"]), "--labels", str(saved["kind_only.npz"])], capsys
    )
    assert status == 1
    assert "[output 'kind'] error SH403: The output has 3 units, so class ids must be in" in out


def test_bad_model_exits_1(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run([str(saved["bad.keras"])], capsys)
    assert (status, err) == (1, "")
    assert out.splitlines()[0] == "safeheads check of model 'bad': 1 error"
    assert "\nerror SH101: Softmax over 1 unit always outputs 1.0" in out
    assert "safeheads.classification_head('binary')" in out


def test_bad_labels_exit_1(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(
        [str(saved["good.keras"]), "--labels", str(saved["ids_from_1.npy"])], capsys
    )
    assert status == 1
    assert "error SH403: The output has 3 units, so class ids must be in [0, 3)" in out


def test_npz_labels(saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run([str(saved["good.keras"]), "--labels", str(saved["ids.npz"])], capsys)
    assert status == 0 and "labels: sparse, shape (12,), n=3" in out


def test_task_option(saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run([str(saved["good.keras"]), "--task", "multilabel"], capsys)
    assert status == 1 and "error SH501: task='multilabel' cannot be learned" in out
    status, _, _ = _run([str(saved["good.keras"]), "--task", "multiclass"], capsys)
    assert status == 0


def test_uncompiled_model_notes_the_loss(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run([str(saved["uncompiled.keras"])], capsys)
    assert status == 0
    assert "  note: the model is not compiled: the loss and metrics were not checked" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["missing.keras"],
            "safeheads doctor: error: {dir}/missing.keras: no such file.",
            id="missing",
        ),
        pytest.param(
            ["good.keras", "--labels", "missing.npy"],
            "safeheads doctor: error: {dir}/missing.npy: no such file.",
            id="missing-labels",
        ),
        pytest.param(
            ["."],
            "safeheads doctor: error: {dir} is a directory; expected a .keras file (TensorFlow "
            "SavedModel folders cannot be inspected: re-save with model.save('model.keras')).",
            id="directory",
        ),
        pytest.param(
            ["notes.keras"],
            "safeheads doctor: error: {dir}/notes.keras is not a .keras archive (a zip file "
            "written by model.save('model.keras')).",
            id="not-a-model",
        ),
        pytest.param(
            ["good.keras", "--labels", "."],
            "safeheads doctor: error: {dir} is a directory; expected a .npy or .npz file.",
            id="labels-directory",
        ),
        pytest.param(
            ["good.keras", "--labels", "notes.npy"],
            "safeheads doctor: error: {dir}/notes.npy is not a .npy or .npz file. Save the "
            "labels with numpy.save('labels.npy', y) (class names encoded first: "
            "head.encode(y)).",
            id="not-labels",
        ),
        pytest.param(
            ["good.keras", "--labels", "names.npy"],
            "safeheads doctor: error: {dir}/names.npy could not be read as labels (ValueError: "
            "Object arrays cannot be loaded when allow_pickle=False). Expected a numeric array "
            "saved with numpy.save('labels.npy', y); encode class names first (head.encode(y)).",
            id="object-labels",
        ),
        pytest.param(
            ["good.keras", "--labels", "two.npz"],
            "safeheads doctor: error: {dir}/two.npz could not be read as labels (ValueError: "
            "expected an .npz file holding one array (or an array named 'y'), or one array per "
            "output named after the model's outputs ['head']; found ['a', 'b']). Expected a "
            "numeric array saved with numpy.save('labels.npy', y); encode class names first "
            "(head.encode(y)).",
            id="npz-two-arrays",
        ),
    ],
)
def test_unusable_input_exits_2(
    argv: list[str],
    message: str,
    saved: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = saved["good.keras"].parent
    args = [str(folder / arg) if not arg.startswith("--") else arg for arg in argv]
    status, out, err = _run(args, capsys)
    assert (status, out) == (2, "")
    assert err.startswith(message.format(dir=folder)), err
    assert err.endswith("\n") and err.count("\n") == 1


def test_not_a_model_message_in_full(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved["archive.keras"]
    _, _, err = _run([str(path)], capsys)
    assert err.startswith(f"safeheads doctor: error: {path} could not be loaded as a Keras model (")
    assert err.rstrip("\n").endswith(
        "Expected a file written by model.save('model.keras'); import the modules that define "
        "custom layers or losses first."
    )


def test_lambda_layers_load_only_with_unsafe(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Keras refuses a Lambda's function in safe mode; the advice named safe_mode=False,
    # which the command had no way to pass.
    inputs = keras.Input((4,))
    scaled = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, "softmax")(scaled), name="lam")
    model.compile("adam", loss="binary_crossentropy")
    path = tmp_path / "lambda.keras"
    model.save(path)
    assert _run([str(path)], capsys) == (
        2,
        "",
        f"safeheads doctor: error: {path} holds Python code (e.g. a Lambda layer's function), "
        "which Keras does not load by default since loading runs it. If you trust the file, "
        "pass --unsafe.\n",
    )
    status, out, err = _run([str(path), "--unsafe"], capsys)
    assert (status, err) == (1, "") and "error SH101" in out


def test_unknown_task_is_a_usage_error(
    saved: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["doctor", str(saved["good.keras"]), "--task", "softmax"])
    assert info.value.code == 2
    assert "argument --task: invalid choice: 'softmax'" in capsys.readouterr().err


def test_subprocess(saved: dict[str, pathlib.Path]) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "safeheads", "doctor", str(saved["bad.keras"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "safeheads check of model 'bad': 1 error"
    assert "error SH101" in result.stdout


@pytest.mark.parametrize("name", ["ids_from_1.NPZ", "ids_from_1_labels"])
def test_npz_labels_under_any_file_name(
    saved: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only a name ending in ".npz" was read as an archive: np.load's NpzFile was then taken
    # for per-output labels, none matched, and the doctor exited 0 unchecked.
    path = tmp_path / name
    with open(path, "wb") as handle:
        np.savez(handle, y=np.array([1, 2, 3] * 4))
    status, out, _ = _run([str(saved["good.keras"]), "--labels", str(path)], capsys)
    assert status == 1
    assert "error SH403: The output has 3 units, so class ids must be in [0, 3)" in out


def test_npz_of_per_output_labels_of_different_lengths_exits_2(
    saved: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Exited 0: fit() refuses labels with another number of samples per output.
    path = tmp_path / "uneven.npz"
    np.savez(path, flag=np.array([0, 1] * 3), kind=np.array([0, 1, 2] * 3))
    status, out, err = _run([str(saved["multi.keras"]), "--labels", str(path)], capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"safeheads doctor: error: {path} could not be read as labels (ValueError: expected "
        "one label per sample in every output's array; found lengths {'flag': 6, 'kind': 9}). "
        "Expected a numeric array saved with numpy.save('labels.npy', y); encode class names "
        "first (head.encode(y)).\n"
    )
