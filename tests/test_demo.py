"""The demo (`python -m safeheads demo`): tiny runs of each mode, and its exits."""

from __future__ import annotations

import io
import json
import lzma
import pathlib
import re
import sys

import numpy as np
import pytest

from safeheads._cli import main
from safeheads._demo import run_demo

pytest.importorskip("sklearn")

_METRIC = re.compile(r"(accuracy|binary_accuracy|exact_match) (\d\.\d{3})")


def _rows(table: str) -> list[str]:
    """The table's model rows: a hand-written ``Dense(...)`` head or a safeheads head."""
    return [
        line
        for line in table.splitlines()
        if line.startswith(("  Dense(", "  classification_head("))
    ]


def test_cli_demo_bundled_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--epochs", "2", "--limit", "60"]) == 0
    captured = capsys.readouterr()
    # Progress: one line per model on stderr, a dot per epoch.
    assert "Training 9 models on data bundled with scikit-learn, 2 epochs each:" in captured.err
    assert re.search(r"\[9/9\] digit pairs: safeheads head +\.\. +\d+\.\d s", captured.err)
    table = captured.out
    for block in ("breast cancer (binary", "digits (multiclass", "wine (multiclass",
                  "digit pairs (multilabel"):  # fmt: skip
        assert block in table
    rows = _rows(table)
    assert len(rows) == 9
    heads = [row for row in rows if "classification_head(" in row]
    assert [row.split()[0] for row in heads] == [
        "classification_head('binary')",
        "classification_head('multiclass',",
        "classification_head('multiclass',",
        "classification_head('multilabel',",
    ]
    for row in heads:
        # What Keras reports for a safeheads head is the true metric from predict.
        (name_keras, keras_value), (name_true, true_value) = _METRIC.findall(row)
        assert name_keras == name_true
        assert keras_value == true_value
    digits_mistake = next(row for row in rows if "Dense(10, 'softmax')" in row)
    (_, reported), (_, truth) = _METRIC.findall(digits_mistake)
    assert float(reported) > float(truth)  # binary_accuracy over 10 columns flatters
    assert re.search(
        r"Keras trained every setup to the end without an error \(it warned about \d of 9\)", table
    )
    # The doctor flags every hand-written setup and none of the safeheads heads.
    for row in rows:
        doctor = row.split("  ")[-1].strip()
        if "classification_head(" in row:
            assert doctor == "no findings", row
        else:
            assert re.fullmatch(r"SH\d{3}(, SH\d{3})*", doctor), row
    assert "error SH101: Softmax over 1 unit always outputs 1.0" in table


def test_demo_without_scikit_learn(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn -> ImportError
    assert main(["demo"]) == 2
    assert capsys.readouterr().err == (
        "The demo trains on data that ships with scikit-learn, which is not installed.\n"
        'Install it with:  pip install "safeheads[demo]"\n'
        "(or run the demo on the text datasets of a folder: python -m safeheads demo --data DIR)\n"
    )


def test_demo_data_not_a_folder(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["demo", "--data", str(missing)]) == 2
    assert capsys.readouterr().err == f"safeheads demo: --data {str(missing)!r} is not a folder.\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--epochs", "0"],
            "argument --epochs: Expected an int >= 1. Received: 0. Pass 1 or more.",
        ),
        (["--limit", "1"], "argument --limit: Expected an int >= 2. Received: 1. Pass 2 or more."),
        (
            ["--limit", "x"],
            "argument --limit: Expected an int. Received: 'x'. Pass a whole number, e.g. 2.",
        ),
        (
            ["--seed=-1"],
            (
                "argument --seed: Expected an int in [0, 4294967296). Received: -1. Pass 0 to "
                "4294967295."
            ),
        ),
        (
            ["--seed", str(2**32)],
            "argument --seed: Expected an int in [0, 4294967296). Received: 4294967296. Pass 0 "
            "to 4294967295.",
        ),
    ],
    ids=["epochs-0", "limit-1", "limit-not-int", "seed-negative", "seed-too-large"],
)
def test_demo_options_are_validated(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", *argv])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(f"safeheads demo: error: {message}\n")


def test_demo_skips_a_damaged_dataset(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    (folder / "train.tsv.gz").write_bytes(b"not gzip")  # present, but no emotions.txt either
    out = io.StringIO()
    assert run_demo(data=tmp_path, out=out, progress=io.StringIO()) == 2  # nothing left
    assert (
        f"note: skipping GoEmotions: could not read it from {tmp_path} (FileNotFoundError: "
        in out.getvalue()
    )
    (folder / "emotions.txt").write_text("admiration\namusement\n", encoding="utf-8")
    out = io.StringIO()
    assert run_demo(data=tmp_path, out=out, progress=io.StringIO()) == 2  # nothing left
    assert f"note: skipping GoEmotions: could not read it from {tmp_path} (" in out.getvalue()


def test_demo_data_folder_without_datasets(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    assert run_demo(data=tmp_path, out=out, progress=io.StringIO()) == 2
    text = out.getvalue()
    for name, file in (("IMDB", "imdb/aclImdb_v1_labeled.jsonl.xz"),
                       ("SST-5", "sst/trainDevTestTrees_PTB.zip"),
                       ("Reuters-21578", "reuters21578/reuters21578_modapte.jsonl.xz"),
                       ("GoEmotions", "goemotions/train.tsv.gz")):  # fmt: skip
        assert f"note: skipping {name}: {tmp_path / file} not found\n" in text
    assert capsys.readouterr().err == (
        f"safeheads demo: no known dataset found in --data {str(tmp_path)!r} (the notes above "
        "name the files looked for); point --data at a folder laid out like the shared data "
        "folder, or leave it out to run on the bundled data.\n"
    )


def test_demo_text_data_skips_missing(data_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # Only two of the four datasets present: the others are skipped with a note.
    for name in ("sst", "goemotions"):
        (tmp_path / name).symlink_to(data_dir / name)
    out, progress = io.StringIO(), io.StringIO()
    assert run_demo(data=tmp_path, epochs=1, limit=80, out=out, progress=progress) == 0
    text = out.getvalue()
    assert "note: skipping IMDB" in text
    assert "note: skipping Reuters-21578" in text
    assert "SST-5 (multiclass, n=5, 80 train / 80 test samples)" in text
    assert "GoEmotions (multilabel, n=28, 80 train / 80 test samples)" in text
    assert "Dense(28, 'sigmoid'), categorical_crossentropy, ['accuracy']" in text
    assert "warning SH409: " in text and "label warning: " not in text  # said once, not twice
    assert "Training 4 models on text datasets in" in progress.getvalue()


def test_table_rounds_reported_and_true_values_alike() -> None:
    # Keras reports 1 of 400 as float32 0.00249999994; numpy computes 0.0025: one cell text.
    from safeheads._demo import _three

    assert _three(float(np.float32(1 / 400))) == _three(1 / 400) == "0.002"


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        pytest.param(
            [{"split": "train", "text": "good film", "label": 1}] * 4,
            "ValueError: no test samples",
            id="no-test-split",
        ),
        pytest.param(
            [
                {"split": "train", "text": "good film", "label": None},
                {"split": "test", "text": "bad film", "label": 0},
            ],
            "TypeError: ",
            id="null-label",
        ),
    ],
)
def test_demo_skips_a_cut_down_or_malformed_imdb(
    tmp_path: pathlib.Path, rows: list[dict[str, object]], error: str
) -> None:
    # A copy with train rows only died in model.predict (UnboundLocalError), a null label
    # with numpy's TypeError: raw tracebacks instead of the note the other damage gets.
    (tmp_path / "imdb").mkdir()
    with lzma.open(tmp_path / "imdb" / "aclImdb_v1_labeled.jsonl.xz", "wt") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    out = io.StringIO()
    assert run_demo(data=tmp_path, out=out, progress=io.StringIO()) == 2  # nothing left
    assert f"note: skipping IMDB: could not read it from {tmp_path} ({error}" in out.getvalue()
