"""Readers for the real text datasets of a folder laid out like the project's shared data.

One place reads the files; ``python -m safeheads demo --data DIR``, the examples and the
benchmarks build on it. Each reader returns the texts and labels of every split as they
are in the files (no subsampling, no shuffling, no vectorizing); the callers choose
samples and encode labels. Only the standard library and numpy are used, so the installed
package can read the data without optional dependencies.

The folder layout (paths relative to the data folder ``root``; see the data folder's
``README.md`` for where each file comes from and its verified counts):

* ``imdb/aclImdb_v1_labeled.jsonl.xz``: IMDB reviews, 25,000 train / 25,000 test, 0/1.
* ``imdb/imdb_word_index.json.gz``: Keras' IMDB word index (88,584 words).
* ``sst/trainDevTestTrees_PTB.zip``: SST-5 sentences, 8,544 / 1,101 / 2,210, labels 0..4.
* ``rotten_tomatoes_phrases/train_prefix_40681.tsv.gz``: 40,681 Kaggle phrases, 0..4.
* ``reuters21578/reuters21578_modapte.jsonl.xz``: Reuters-21578 ModApte documents.
* ``goemotions/{train,dev,test}.tsv.gz`` and ``goemotions/emotions.txt``: GoEmotions,
  43,410 / 5,426 / 5,427 comments, 28 labels.

Nothing is downloaded: a missing file raises the ``FileNotFoundError`` of ``open``.
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import pathlib
import re
import zipfile
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "GOEMOTIONS_DIR",
    "GOEMOTIONS_SPLITS",
    "IMDB_FILE",
    "IMDB_WORD_INDEX_FILE",
    "REUTERS_FILE",
    "RT_PHRASES_FILE",
    "SST5_NAMES",
    "SST_FILE",
    "SST_SPLITS",
    "IntArray",
    "LabelledSplits",
    "goemotions",
    "imdb_reviews",
    "imdb_word_index",
    "reuters_modapte",
    "rt_phrases",
    "sst_sentences",
]

IMDB_FILE = "imdb/aclImdb_v1_labeled.jsonl.xz"
IMDB_WORD_INDEX_FILE = "imdb/imdb_word_index.json.gz"
SST_FILE = "sst/trainDevTestTrees_PTB.zip"
RT_PHRASES_FILE = "rotten_tomatoes_phrases/train_prefix_40681.tsv.gz"
REUTERS_FILE = "reuters21578/reuters21578_modapte.jsonl.xz"
GOEMOTIONS_DIR = "goemotions"

SST_SPLITS = ("train", "dev", "test")
GOEMOTIONS_SPLITS = ("train", "dev", "test")
# SST root labels 0..4, in id order.
SST5_NAMES = ("very negative", "negative", "neutral", "positive", "very positive")

IntArray = npt.NDArray[np.int64]
# ``{split: (texts, class ids)}`` with an int64 id array of the same length as the texts.
LabelledSplits = dict[str, tuple[list[str], IntArray]]

_SST_LEAF = re.compile(r"\(\d ([^()]+)\)")  # a leaf of a PTB tree: "(label word)"


def _check_splits(splits: Sequence[str], allowed: tuple[str, ...], dataset: str) -> None:
    """Raise when ``splits`` names a split that ``dataset`` does not have."""
    if isinstance(splits, str) or not all(split in allowed for split in splits):
        raise ValueError(
            f"Expected `splits` among {allowed} for {dataset}. Received: splits={splits!r}. "
            "Pass a tuple of split names, e.g. splits=('train', 'test')."
        )


def imdb_reviews(root: pathlib.Path) -> LabelledSplits:
    """IMDB movie reviews with their 0/1 sentiment, in file order.

    Args:
        root: The data folder.

    Returns:
        ``{"train": (texts, labels), "test": (texts, labels)}``: 25,000 reviews per split,
        sorted by label (all 0s, then all 1s) as in the file; texts keep their HTML
        ``<br />`` tags; labels are int64, 1 = positive.
    """
    out: dict[str, tuple[list[str], list[int]]] = {"train": ([], []), "test": ([], [])}
    with lzma.open(root / IMDB_FILE, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            out[row["split"]][0].append(row["text"])
            out[row["split"]][1].append(row["label"])
    return {split: (texts, np.asarray(y, dtype=np.int64)) for split, (texts, y) in out.items()}


def imdb_word_index(root: pathlib.Path) -> dict[str, int]:
    """Keras' IMDB word index: word -> frequency rank (1 = most frequent word).

    Args:
        root: The data folder.

    Returns:
        The 88,584 words of ``keras.datasets.imdb.get_word_index()``; the integer sequences
        of ``keras.datasets.imdb.load_data`` use ``rank + 3`` as word ids.
    """
    with gzip.open(root / IMDB_WORD_INDEX_FILE, "rt", encoding="utf-8") as handle:
        index: dict[str, int] = json.load(handle)
    return index


def sst_sentences(root: pathlib.Path, *, splits: Sequence[str] = SST_SPLITS) -> LabelledSplits:
    """SST-5 sentences (the root node of each treebank tree) and their labels 0..4.

    Args:
        root: The data folder.
        splits: Which of ``"train"``, ``"dev"``, ``"test"`` to read, in the order given.

    Returns:
        ``{split: (texts, labels)}``: 8,544 train / 1,101 dev / 2,210 test sentences, the
        tree's words joined by spaces (PTB tokens such as ``-LRB-`` kept); labels are int64
        root labels, 0 = very negative ... 4 = very positive (``SST5_NAMES``).

    Raises:
        ValueError: If ``splits`` names a split other than train, dev and test, or is a
            single string.
    """
    _check_splits(splits, SST_SPLITS, "SST")
    out: LabelledSplits = {}
    with zipfile.ZipFile(root / SST_FILE) as archive:
        for split in splits:
            lines = archive.read(f"trees/{split}.txt").decode("utf-8").splitlines()
            texts = [" ".join(_SST_LEAF.findall(line)) for line in lines]
            out[split] = (texts, np.asarray([int(line[1]) for line in lines], dtype=np.int64))
    return out


def rt_phrases(root: pathlib.Path) -> tuple[list[str], IntArray, IntArray]:
    """Rotten Tomatoes phrases (the first 40,681 rows of Kaggle's ``train.tsv``).

    The file has no train/test split; split by sentence id, not by row, so that no
    phrase of a test sentence is seen in training.

    Args:
        root: The data folder.

    Returns:
        ``(phrases, sentiment, sentence_ids)`` in file order: 40,681 phrases, their int64
        sentiment 0..4 (negative ... positive) and int64 sentence ids 1..1,949.
    """
    with gzip.open(root / RT_PHRASES_FILE, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return (
        [row[2] for row in rows],
        np.asarray([int(row[3]) for row in rows], dtype=np.int64),
        np.asarray([int(row[1]) for row in rows], dtype=np.int64),
    )


def reuters_modapte(
    root: pathlib.Path,
) -> tuple[dict[str, tuple[list[str], list[list[str]]]], list[str]]:
    """Reuters-21578 ModApte with the standard 90 topics (ApteMod).

    The topics are those with at least one train and one test document; a document is kept
    when it has at least one of them, and its other topics are dropped.

    Args:
        root: The data folder.

    Returns:
        ``({"train": (texts, topic_lists), "test": ...}, topics)``: 7,770 train / 3,019
        test documents in file order, each text the title and body joined by a newline
        (stripped), each topic list the document's kept topics in file order (1 to 15 of
        them); ``topics`` the 90 topic names, sorted.
    """
    with lzma.open(root / REUTERS_FILE, "rt", encoding="utf-8") as lines:
        docs = [json.loads(line) for line in lines]
    counts: dict[str, dict[str, int]] = {"train": {}, "test": {}}
    for doc in docs:
        for topic in doc["topics"]:
            counts[doc["split"]][topic] = counts[doc["split"]].get(topic, 0) + 1
    topics = sorted(t for t in counts["train"] if counts["test"].get(t, 0) >= 1)
    keep = set(topics)
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for split in ("train", "test"):
        kept = [d for d in docs if d["split"] == split and keep.intersection(d["topics"])]
        texts = [(d["title"] + "\n" + d["body"]).strip() for d in kept]
        out[split] = (texts, [[t for t in d["topics"] if t in keep] for d in kept])
    return out, topics


def goemotions(
    root: pathlib.Path, *, splits: Sequence[str] = GOEMOTIONS_SPLITS
) -> tuple[dict[str, tuple[list[str], list[list[int]]]], list[str]]:
    """GoEmotions Reddit comments with their emotion label ids, and the label names.

    Args:
        root: The data folder.
        splits: Which of ``"train"``, ``"dev"``, ``"test"`` to read, in the order given.

    Returns:
        ``({split: (texts, label_id_lists)}, names)``: 43,410 train / 5,426 dev / 5,427
        test comments in file order, each with 1 to 5 label ids in ``0..27``; ``names``
        the 28 label names in id order (27 = ``"neutral"``).

    Raises:
        ValueError: If ``splits`` names a split other than train, dev and test, or is a
            single string.
    """
    _check_splits(splits, GOEMOTIONS_SPLITS, "GoEmotions")
    folder = root / GOEMOTIONS_DIR
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    out: dict[str, tuple[list[str], list[list[int]]]] = {}
    for split in splits:
        with gzip.open(folder / f"{split}.tsv.gz", "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
        out[split] = (
            [row[0] for row in rows],
            [[int(k) for k in row[1].split(",")] for row in rows],
        )
    return out, names
