"""safeheads._datasets: the readers of the shared data folder, checked against its README."""

from __future__ import annotations

import collections
import pathlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from safeheads import _datasets


def raises(error: type[Exception], message: str) -> Any:
    """``pytest.raises`` that matches the whole message."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


def test_imdb_reviews(data_dir: pathlib.Path) -> None:
    splits = _datasets.imdb_reviews(data_dir)
    assert list(splits) == ["train", "test"]
    for texts, labels in splits.values():
        assert len(texts) == len(labels) == 25000
        assert labels.dtype == np.int64
        assert np.bincount(labels).tolist() == [12500, 12500]
        assert (np.diff(labels) >= 0).all()  # the file is sorted by label within a split
        assert all(isinstance(text, str) and text for text in texts)
    # The texts are the raw reviews: the HTML line breaks are still there.
    assert any("<br />" in text for text in splits["train"][0])
    # 49,582 distinct texts out of 50,000 (the corpus has duplicate reviews).
    assert len(set(splits["train"][0]) | set(splits["test"][0])) == 49582


def test_imdb_word_index(data_dir: pathlib.Path) -> None:
    index = _datasets.imdb_word_index(data_dir)
    assert len(index) == 88584
    assert [index["the"], index["and"], index["a"]] == [1, 2, 3]
    assert sorted(index.values())[:3] == [1, 2, 3]


SST_ROOT_COUNTS = {
    "train": [1092, 2218, 1624, 2322, 1288],
    "dev": [139, 289, 229, 279, 165],
    "test": [279, 633, 389, 510, 399],
}


def test_sst_sentences(data_dir: pathlib.Path) -> None:
    splits = _datasets.sst_sentences(data_dir)
    assert list(splits) == ["train", "dev", "test"]
    for split, (texts, labels) in splits.items():
        assert labels.dtype == np.int64
        assert len(texts) == sum(SST_ROOT_COUNTS[split])
        assert np.bincount(labels, minlength=5).tolist() == SST_ROOT_COUNTS[split]
    texts = splits["train"][0]
    assert texts[0].startswith("The Rock is destined to be the 21st Century 's new `` Conan ''")
    assert not any("(" in text or ")" in text for text in texts)  # only the leaves' words
    assert len(_datasets.SST5_NAMES) == 5


def test_sst_sentences_chosen_splits(data_dir: pathlib.Path) -> None:
    everything = _datasets.sst_sentences(data_dir)
    chosen = _datasets.sst_sentences(data_dir, splits=("test", "train"))
    assert list(chosen) == ["test", "train"]  # in the order asked for
    for split in chosen:
        assert chosen[split][0] == everything[split][0]
        np.testing.assert_array_equal(chosen[split][1], everything[split][1])


def test_rt_phrases(data_dir: pathlib.Path) -> None:
    phrases, sentiment, sentence = _datasets.rt_phrases(data_dir)
    assert len(phrases) == len(sentiment) == len(sentence) == 40681
    assert sentiment.dtype == sentence.dtype == np.int64
    assert np.bincount(sentiment).tolist() == [1599, 6660, 21833, 8390, 2199]
    assert (sentence.min(), sentence.max(), len(np.unique(sentence))) == (1, 1949, 1949)
    assert (np.diff(sentence) >= 0).all()
    # The first row is the first full sentence (the header row is not a phrase).
    assert phrases[0].startswith("A series of escapades demonstrating the adage")


def _cardinality(label_lists: list[list[Any]]) -> float:
    return sum(map(len, label_lists)) / len(label_lists)


def _distinct_sets(label_lists: list[list[Any]]) -> int:
    return len({tuple(sorted(labels)) for labels in label_lists})


def test_reuters_modapte(data_dir: pathlib.Path) -> None:
    splits, topics = _datasets.reuters_modapte(data_dir)
    assert list(splits) == ["train", "test"]
    assert len(topics) == 90
    assert topics == sorted(topics)
    # n, label cardinality (the README rounds it: 9,586 / 7,770 = 1.2337 and
    # 3,745 / 3,019 = 1.2405, given there as 1.234 and 1.241), distinct label sets
    expected = {"train": (7770, 9586, 365), "test": (3019, 3745, 228)}
    for split, (texts, label_lists) in splits.items():
        size, labels, label_sets = expected[split]
        assert len(texts) == len(label_lists) == size
        assert sum(map(len, label_lists)) == labels
        assert _distinct_sets(label_lists) == label_sets
        assert all(labels and set(labels) <= set(topics) for labels in label_lists)
        # Every one of the 90 topics has a document in both splits.
        assert {t for labels in label_lists for t in labels} == set(topics)
    per_document = collections.Counter(len(labels) for s in splits.values() for labels in s[1])
    assert [per_document[k] for k in (1, 2, 3, 4, 5)] == [9160, 1174, 255, 91, 52]
    assert sum(count for k, count in per_document.items() if k >= 6) == 57
    assert max(per_document) == 15
    train_counts = collections.Counter(t for labels in splits["train"][1] for t in labels)
    assert train_counts.most_common(3) == [("earn", 2877), ("acq", 1650), ("money-fx", 538)]
    assert sum(count < 5 for count in train_counts.values()) == 20
    assert all(text == text.strip() and text for text in splits["train"][0])


GOEMOTIONS_EXPECTED = {
    # n, cardinality, distinct label sets, labels per sample 1/2/3/4/5
    "train": (43410, 1.177, 711, [36308, 6541, 532, 28, 1]),
    "dev": (5426, 1.176, 296, [4548, 809, 62, 7, 0]),
    "test": (5427, 1.166, 275, [4590, 774, 61, 2, 0]),
}


def test_goemotions(data_dir: pathlib.Path) -> None:
    splits, names = _datasets.goemotions(data_dir)
    assert list(splits) == ["train", "dev", "test"]
    assert len(names) == 28
    assert (names[0], names[27]) == ("admiration", "neutral")
    for split, (texts, label_lists) in splits.items():
        size, cardinality, label_sets, per_sample = GOEMOTIONS_EXPECTED[split]
        assert len(texts) == len(label_lists) == size
        assert round(_cardinality(label_lists), 3) == cardinality
        assert _distinct_sets(label_lists) == label_sets
        lengths = collections.Counter(map(len, label_lists))
        assert [lengths[k] for k in (1, 2, 3, 4, 5)] == per_sample
        assert all(0 <= i < 28 for labels in label_lists for i in labels)
    train_counts = collections.Counter(i for labels in splits["train"][1] for i in labels)
    assert [(names[i], c) for i, c in train_counts.most_common(2)] == [
        ("neutral", 14219),
        ("admiration", 4130),
    ]
    assert train_counts[names.index("grief")] == 77


def test_goemotions_chosen_splits(data_dir: pathlib.Path) -> None:
    splits, names = _datasets.goemotions(data_dir, splits=("test",))
    assert list(splits) == ["test"]
    assert len(splits["test"][0]) == 5427
    assert len(names) == 28


# ------------------------------------------------------------------------------ errors

READERS_WITH_SPLITS = [
    pytest.param(_datasets.sst_sentences, "SST", id="sst"),
    pytest.param(_datasets.goemotions, "GoEmotions", id="goemotions"),
]

BAD_SPLITS = [
    pytest.param(("train", "val"), "('train', 'val')", id="unknown-split"),
    pytest.param("train", "'train'", id="bare-string"),
    pytest.param(["test", "TRAIN"], "['test', 'TRAIN']", id="wrong-case"),
]


@pytest.mark.parametrize(("read", "dataset"), READERS_WITH_SPLITS)
@pytest.mark.parametrize(("splits", "shown"), BAD_SPLITS)
def test_unknown_split_raises(
    read: Callable[..., Any], dataset: str, splits: Any, shown: str, tmp_path: pathlib.Path
) -> None:
    # The splits are checked before any file is opened: no data folder is needed.
    message = (
        f"Expected `splits` among ('train', 'dev', 'test') for {dataset}. Received: "
        f"splits={shown}. Pass a tuple of split names, e.g. splits=('train', 'test')."
    )
    with raises(ValueError, message):
        read(tmp_path, splits=splits)


MISSING = [
    pytest.param(_datasets.imdb_reviews, _datasets.IMDB_FILE, id="imdb"),
    pytest.param(_datasets.imdb_word_index, _datasets.IMDB_WORD_INDEX_FILE, id="word-index"),
    pytest.param(_datasets.sst_sentences, _datasets.SST_FILE, id="sst"),
    pytest.param(_datasets.rt_phrases, _datasets.RT_PHRASES_FILE, id="rt-phrases"),
    pytest.param(_datasets.reuters_modapte, _datasets.REUTERS_FILE, id="reuters"),
    pytest.param(_datasets.goemotions, "goemotions/emotions.txt", id="goemotions"),
]


@pytest.mark.parametrize(("read", "file"), MISSING)
def test_missing_file_raises_file_not_found(
    read: Callable[[pathlib.Path], Any], file: str, tmp_path: pathlib.Path
) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / file))):
        read(tmp_path)
