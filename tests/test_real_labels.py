"""Real label sets (Reuters-21578 topics, GoEmotions) through the converters and LabelMap.

Every expected number below is stated in ../shared/data/README.md; the tests skip when the
data folder is absent.
"""

from __future__ import annotations

import collections
import csv
import functools
import gzip
import json
import lzma
import pathlib
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

import safeheads
from safeheads import LabelMap, SafeheadsWarning

# ----------------------------------------------------------------------------- loading


def need(path: pathlib.Path) -> pathlib.Path:
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@functools.cache
def goemotions(folder: pathlib.Path) -> tuple[list[str], dict[str, list[list[int]]]]:
    """Label names in id order, and one list of label ids per comment for each split."""
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    splits = {}
    for split in ("train", "dev", "test"):
        with gzip.open(folder / f"{split}.tsv.gz", "rt", encoding="utf-8", newline="") as f:
            splits[split] = [
                [int(k) for k in row[1].split(",")] for row in csv.reader(f, delimiter="\t")
            ]
    return names, splits


@functools.cache
def reuters(path: pathlib.Path) -> list[dict[str, Any]]:
    with lzma.open(path, "rt", encoding="utf-8") as f:
        return [{"split": d["split"], "topics": d["topics"]} for d in map(json.loads, f)]


@pytest.fixture
def goemo(data_dir: pathlib.Path) -> tuple[list[str], dict[str, list[list[int]]]]:
    return goemotions(need(data_dir / "goemotions"))


@pytest.fixture
def reuters_docs(data_dir: pathlib.Path) -> list[dict[str, Any]]:
    return reuters(need(data_dir / "reuters21578" / "reuters21578_modapte.jsonl.xz"))


def distinct_rows(y: np.ndarray) -> int:
    return int(np.unique(y, axis=0).shape[0])


def silent(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` and fail on any warning (clean real labels must not warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args, **kwargs)


# ----------------------------------------------------------------------------- GoEmotions

GOEMOTIONS = [
    pytest.param("train", 43_410, 1.177, 711, [36_308, 6_541, 532, 28, 1], id="train"),
    pytest.param("dev", 5_426, 1.176, 296, [4_548, 809, 62, 7, 0], id="dev"),
    pytest.param("test", 5_427, 1.166, 275, [4_590, 774, 61, 2, 0], id="test"),
]


@pytest.mark.parametrize(("split", "n", "cardinality", "label_sets", "per_sample"), GOEMOTIONS)
def test_goemotions_label_lists(
    goemo: Any, split: str, n: int, cardinality: float, label_sets: int, per_sample: list[int]
) -> None:
    names, splits = goemo
    lists = splits[split]
    y = safeheads.to_multi_hot(lists, 28)
    assert y.shape == (n, 28) and y.dtype == np.float32
    assert round(float(y.sum(axis=1).mean()), 3) == cardinality
    assert round(float(y.mean()), 3) == 0.042  # density
    assert distinct_rows(y) == label_sets
    assert np.bincount(y.sum(axis=1).astype(int), minlength=6).tolist() == [0, *per_sample]

    info = silent(safeheads.describe_labels, lists)
    assert (info.task, info.format, info.n, info.n_samples) == ("multilabel", "label-lists", 28, n)
    info = silent(safeheads.describe_labels, y)
    assert (info.task, info.format, info.n, info.n_samples) == ("multilabel", "multi-hot", 28, n)

    label_map = LabelMap(names)  # emotions.txt is in id order
    name_lists = [[names[k] for k in row] for row in lists]
    np.testing.assert_array_equal(label_map.to_multi_hot(name_lists), y)
    assert label_map.decode_multi_hot(y) == [[names[k] for k in sorted(row)] for row in lists]


def test_goemotions_label_counts_and_names(goemo: Any) -> None:
    names, splits = goemo
    assert len(names) == 28 and names[27] == "neutral"
    train = safeheads.to_multi_hot(splits["train"], 28)
    counts = dict(zip(names, train.sum(axis=0).astype(int).tolist(), strict=True))
    assert counts == {
        "neutral": 14_219, "admiration": 4_130, "approval": 2_939, "gratitude": 2_662,
        "annoyance": 2_470, "amusement": 2_328, "curiosity": 2_191, "love": 2_086,
        "disapproval": 2_022, "optimism": 1_581, "anger": 1_567, "joy": 1_452,
        "confusion": 1_368, "sadness": 1_326, "disappointment": 1_269, "realization": 1_110,
        "caring": 1_087, "surprise": 1_060, "excitement": 853, "disgust": 793, "desire": 641,
        "fear": 596, "remorse": 545, "embarrassment": 303, "nervousness": 164, "relief": 153,
        "pride": 111, "grief": 77,
    }  # fmt: skip
    test = safeheads.to_multi_hot(splits["test"], 28).sum(axis=0)
    assert [int(test[names.index(k)]) for k in ("grief", "relief", "pride")] == [6, 11, 16]

    name_lists = [[names[k] for k in row] for row in splits["train"]]
    sorted_map = LabelMap.from_labels(name_lists)
    assert sorted_map.class_names == tuple(sorted(names))  # all 28 occur in train
    assert silent(safeheads.describe_labels, name_lists).class_names == sorted_map.class_names

    pos_weight = silent(safeheads.label_pos_weight, train)
    assert pos_weight[27] == pytest.approx((43_410 - 14_219) / 14_219)
    assert pos_weight[names.index("grief")] == pytest.approx((43_410 - 77) / 77)
    np.testing.assert_allclose(silent(safeheads.label_pos_weight, splits["train"]), pos_weight)


# ----------------------------------------------------------------------------- Reuters-21578


def test_reuters_modapte_counts(reuters_docs: list[dict[str, Any]]) -> None:
    splits = collections.Counter(d["split"] for d in reuters_docs)
    assert (splits["train"], splits["test"]) == (9_603, 3_299)
    assert sum(not d["topics"] for d in reuters_docs) == 2_108
    all_topics = [d["topics"] for d in reuters_docs]
    every = LabelMap.from_labels(all_topics)
    y = every.to_multi_hot(all_topics)
    assert y.shape == (12_902, every.n)
    assert round(float(y.sum(axis=1).mean()), 3) == 1.038  # all ModApte docs, all topics


def reuters_90(docs: list[dict[str, Any]]) -> tuple[LabelMap, dict[str, list[list[str]]]]:
    """The 90 ApteMod topics (>= 1 train and >= 1 test document) and the documents having one."""
    lists = {s: [d["topics"] for d in docs if d["split"] == s] for s in ("train", "test")}
    seen = LabelMap.from_labels(lists["train"] + lists["test"])
    in_train = seen.to_multi_hot(lists["train"]).sum(axis=0) > 0
    in_test = seen.to_multi_hot(lists["test"]).sum(axis=0) > 0
    label_map = LabelMap(np.array(seen.class_names, dtype=object)[in_train & in_test])
    kept = {
        s: [[t for t in row if t in set(label_map.class_names)] for row in rows]
        for s, rows in lists.items()
    }
    return label_map, {s: [row for row in rows if row] for s, rows in kept.items()}


# The README counts topics as listed: one train document lists "corn" twice and one test
# document lists "trade" twice. A 0/1 matrix holds each label once, so its statistics differ
# from the README's by exactly those two duplicates (listed below); the README's test
# cardinality 1.241 is 3745 / 3019 = 1.24048 rounded up.
REUTERS = [
    pytest.param("train", 7_770, 1.234, 0.0137, 365, 9_586, 365, id="train"),
    pytest.param("test", 3_019, 1.241, 0.0138, 228, 3_745, 227, id="test"),
]


@pytest.mark.parametrize(
    ("split", "n", "cardinality", "density", "label_sets", "listed", "label_sets_0_1"), REUTERS
)
def test_reuters_90_topics(
    reuters_docs: list[dict[str, Any]],
    split: str,
    n: int,
    cardinality: float,
    density: float,
    label_sets: int,
    listed: int,
    label_sets_0_1: int,
) -> None:
    label_map, kept = reuters_90(reuters_docs)
    assert label_map.n == 90
    rows = [d["topics"] for d in reuters_docs if d["split"] == split]
    y = label_map.to_multi_hot(rows, unknown="ignore")  # drops the 28 other topics
    y = y[y.sum(axis=1) > 0]  # documents with at least one of the 90 topics
    assert y.shape == (n, 90)
    np.testing.assert_array_equal(y, label_map.to_multi_hot(kept[split]))

    # As the README counts: topics as listed, duplicates included.
    lengths = np.array([len(row) for row in kept[split]])
    assert int(lengths.sum()) == listed
    assert abs(listed / n - cardinality) < 6e-4
    assert round(listed / n / 90, 4) == density
    assert len({tuple(sorted(row)) for row in kept[split]}) == label_sets

    # The 0/1 matrix: each duplicate counted once.
    assert int(y.sum()) == listed - 1
    assert abs(float(y.sum(axis=1).mean()) - cardinality) < 1e-3
    assert round(float(y.mean()), 4) == density
    assert distinct_rows(y) == label_sets_0_1

    info = silent(safeheads.describe_labels, y)  # every one of the 90 occurs in each split
    assert (info.task, info.format, info.n, info.n_samples) == ("multilabel", "multi-hot", 90, n)


def test_reuters_90_topics_in_detail(reuters_docs: list[dict[str, Any]]) -> None:
    label_map, kept = reuters_90(reuters_docs)
    train = label_map.to_multi_hot(kept["train"])
    test = label_map.to_multi_hot(kept["test"])
    all_train = [d["topics"] for d in reuters_docs if d["split"] == "train"]
    with pytest.raises(safeheads.LabelFormatError, match=r"labels unknown\)\. Add the missing"):
        label_map.to_multi_hot(all_train)  # the 28 other topics are unknown names

    listed = np.array([len(row) for rows in kept.values() for row in rows])
    counts = np.bincount(listed)
    assert counts[1:6].tolist() == [9_160, 1_174, 255, 91, 52]  # as the README counts
    assert int(counts[6:].sum()) == 57 and listed.max() <= 15
    per_doc = np.bincount(np.concatenate([train.sum(axis=1), test.sum(axis=1)]).astype(int))
    assert per_doc[1:6].tolist() == [9_161, 1_173, 255, 91, 52]  # "trade" twice is 1 label
    assert int(per_doc[6:].sum()) == 57

    info = silent(safeheads.describe_labels, kept["train"])
    assert (info.format, info.n, info.class_names) == ("label-lists", 90, label_map.class_names)

    listed_counts = collections.Counter(t for row in kept["train"] for t in row)
    assert listed_counts.most_common(10) == [
        ("earn", 2_877), ("acq", 1_650), ("money-fx", 538), ("grain", 433), ("crude", 389),
        ("trade", 369), ("interest", 347), ("wheat", 212), ("ship", 197), ("corn", 182),
    ]  # fmt: skip
    train_counts = dict(
        zip(label_map.class_names, train.sum(axis=0).astype(int).tolist(), strict=True)
    )
    assert {k: v - train_counts[k] for k, v in listed_counts.items() if v != train_counts[k]} == {
        "corn": 1  # listed twice in one document
    }
    assert min(train_counts.values()) == 1
    assert sum(count < 5 for count in train_counts.values()) == 20


def test_reuters_single_label_view(reuters_docs: list[dict[str, Any]]) -> None:
    _, kept = reuters_90(reuters_docs)
    # README: documents listing exactly one of the 90 topics (a topic listed twice is 2).
    single = {s: [row[0] for row in rows if len(row) == 1] for s, rows in kept.items()}
    assert (len(single["train"]), len(single["test"])) == (6_578, 2_582)
    names = single["train"] + single["test"]
    classes = LabelMap.from_labels(names)
    assert classes.n == 65
    assert len(set(single["train"]) & set(single["test"])) == 52
    counts = np.bincount(classes.encode(names), minlength=65)
    assert {k: int(counts[classes.class_names.index(k)]) for k in ("earn", "acq", "crude", "trade", "money-fx")} == {
        "earn": 3_923, "acq": 2_292, "crude": 374, "trade": 326, "money-fx": 309,
    }  # fmt: skip

    info = silent(safeheads.describe_labels, names)
    assert (info.task, info.format, info.n, info.class_names) == (
        "multiclass", "class-names", 65, classes.class_names,
    )  # fmt: skip
    ids = classes.encode(names)
    assert classes.decode(ids).tolist() == names
    weights = silent(safeheads.class_weight, names, class_names=classes.class_names)
    expected = compute_class_weight("balanced", classes=np.arange(65), y=ids)
    np.testing.assert_allclose([weights[i] for i in range(65)], expected, rtol=1e-12)

    # The train split alone lacks some of the 65 classes: weight 0.0 and a warning.
    train_one_hot = safeheads.to_categorical(classes.encode(single["train"]), 65)
    absent = 65 - len(set(single["train"]))
    assert absent > 0
    with pytest.warns(SafeheadsWarning, match=rf"^{absent} of 65 classes have no examples"):
        train_weights = safeheads.class_weight(train_one_hot)
    assert sum(weight == 0.0 for weight in train_weights.values()) == absent
