"""The quick version (``--quick``) of each example in examples/, on the real shared data.

Each example runs in this process (TensorFlow is imported once) and its printed report
is checked: the original lines, the numbers that show what goes wrong, what
``safeheads.check`` says, and the safeheads lines whose metrics equal the truth.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
from types import ModuleType

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the examples import their `_data` helper
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(
    name: str,
    data_dir: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
) -> str:
    module = _load(name, monkeypatch)
    assert module.main(["--quick", "--data", str(data_dir), *extra]) == 0
    out = capsys.readouterr().out
    for section in ("== The original lines", "== What goes wrong", "== The safeheads lines"):
        assert section in out
    return out


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, pattern
    return float(match.group(1))


def test_ex1_text_cnn_binary_vs_5class(
    data_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("ex1_text_cnn_binary_vs_5class", data_dir, monkeypatch, capsys)
    assert "error SH402: Binary crossentropy expects 0/1 targets" in out
    for name in ("IMDB, safeheads binary head", "RT phrases, safeheads multiclass head"):
        block = out[out.index(name) :]
        reported = _number(r"Keras reports \(test\): accuracy (\d\.\d+)", block)
        assert reported == _number(r"true accuracy from predict \(test\): (\d\.\d+)", block)


def test_ex2_many_tags_accuracy(
    data_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("ex2_many_tags_accuracy", data_dir, monkeypatch, capsys)
    wrong, right = out.split("== The safeheads lines")
    assert "error SH301" in wrong and "warning SH302" in wrong
    # binary_accuracy flatters: it beats the exact match by far, as does predicting nothing.
    assert _number(r"binary_accuracy (\d\.\d+)", wrong) > 0.95
    assert _number(r"true, from predict at 0.5: exact_match (\d\.\d+)", wrong) < 0.9
    assert _number(r"predicts no topic at all: binary_accuracy (\d\.\d+)", wrong) > 0.95
    for metric in ("exact_match", "micro_f1", "macro_f1"):
        reported = _number(rf"Keras reports \(test\):.*\b{metric} (\d\.\d+)", right)
        assert reported == pytest.approx(
            _number(rf"true, from head.decode:.*\b{metric} (\d\.\d+)", right), abs=1.5e-4
        )


def test_ex3_lstm_sigmoid_cce(
    data_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("ex3_lstm_sigmoid_cce", data_dir, monkeypatch, capsys)
    wrong, right = out.split("== The safeheads lines")
    assert "error SH203" in wrong
    assert _number(r"row sums of predict: mean (\d\.\d+)", wrong) != 1.0
    assert "row sums of predict: mean 1.000, min 1.000, max 1.000" in right


def test_ex4_softmax_topics_bce(
    data_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("ex4_softmax_topics_bce", data_dir, monkeypatch, capsys)
    assert "error SH204" in out
    assert "categorical_crossentropy on class ids: ValueError: Arguments `target`" in out
    sparse = _number(r"sparse loss on ids (\d+\.\d+)", out)
    assert sparse == _number(r"categorical loss on to_categorical (\d+\.\d+)", out)
    assert "[[1, 0, 0], [0, 0, 1], [0, 0, 1]]: -1 silently becomes the last class" in out
    assert "LabelFormatError: Expected class ids >= 0. Received: y[2]=-1" in out
    for name in ("no class_weight", "1 / frequency", "safeheads.class_weight (balanced)"):
        assert re.search(rf"  {re.escape(name)} +train loss \d", out)


def test_ex5_imdb_multihot_mlp(
    data_dir: pathlib.Path,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("matplotlib")
    out = _run("ex5_imdb_multihot_mlp", data_dir, monkeypatch, capsys, "--out", str(tmp_path))
    assert "history.history['acc']: KeyError" in out
    assert "np.argmax(model.predict(x_test), axis=1): [0] for every review" in out
    right = out.split("== The safeheads lines")[1]
    reported = _number(r"Keras reports \(test\): accuracy (\d\.\d+)", right)
    assert reported == _number(r"true accuracy from head.decode: (\d\.\d+)", right)
    for png in ("imdb_curves.png", "imdb_confusion.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_examples_exit_without_data(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _load("ex2_many_tags_accuracy", monkeypatch)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--quick", "--data", str(tmp_path)])
    assert exit_info.value.code == (
        f"Missing {tmp_path / 'reuters21578/reuters21578_modapte.jsonl.xz'}: pass --data DIR "
        "(a folder laid out as shared/data)."
    )


def test_every_example_is_tested() -> None:
    scripts = sorted(path.stem for path in EXAMPLES.glob("ex*.py"))
    tested = sorted(name[5:] for name in globals() if re.fullmatch(r"test_ex\d_\w+", name))
    assert scripts == tested
