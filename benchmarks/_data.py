"""Loaders for the real datasets of ``benchmarks/real_data.py`` (nothing is downloaded).

The data folder is the project's ``shared/data`` (see its README.md): pass
``--data DIR`` to the benchmark or set ``SAFEHEADS_DATA``; by default it is
``../shared/data`` next to the repository. Only the standard library and numpy
are used here.
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import os
import pathlib
import re
import zipfile
from typing import NamedTuple

import numpy as np

import safeheads

DEFAULT_DATA = pathlib.Path(
    os.environ.get(
        "SAFEHEADS_DATA", pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)


class Split(NamedTuple):
    """Texts and labels of one split: labels are a multi-hot matrix or class ids."""

    texts: list[str]
    labels: np.ndarray


class Dataset(NamedTuple):
    """The train / validation / test splits of one dataset and its label names."""

    name: str
    train: Split
    val: Split
    test: Split
    label_names: list[str]
    val_from: str  # where the validation split comes from


def carve(split: Split, fraction: float, seed: int = 0) -> tuple[Split, Split]:
    """Split ``fraction`` of a training split off as validation data (seeded shuffle)."""
    order = np.random.default_rng(seed).permutation(len(split.texts))
    cut = round(len(order) * fraction)
    val, train = order[:cut], order[cut:]

    def take(index: np.ndarray) -> Split:
        return Split([split.texts[i] for i in index], split.labels[index])

    return take(train), take(val)


def load_reuters(data: pathlib.Path = DEFAULT_DATA, val_fraction: float = 0.1) -> Dataset:
    """Reuters-21578 ModApte, the 90 topics with a train and a test document.

    7,770 train / 3,019 test documents (those with at least one of the 90
    topics), text = title + body, labels a float32 multi-hot (N, 90) matrix;
    ``val_fraction`` of the training documents become the validation split.
    """
    path = data / "reuters21578" / "reuters21578_modapte.jsonl.xz"
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle]
    counts: dict[str, dict[str, int]] = {"train": {}, "test": {}}
    for doc in docs:
        for topic in doc["topics"]:
            counts[doc["split"]][topic] = counts[doc["split"]].get(topic, 0) + 1
    names = sorted(t for t in counts["train"] if counts["test"].get(t, 0) >= 1)
    topics = safeheads.LabelMap(names)
    keep = set(names)
    splits = {}
    for split in ("train", "test"):
        chosen = [d for d in docs if d["split"] == split and keep.intersection(d["topics"])]
        labels = topics.to_multi_hot([d["topics"] for d in chosen], unknown="ignore")
        texts = [(d["title"] + "\n" + d["body"]).strip() for d in chosen]
        splits[split] = Split(texts, labels)
    train, val = carve(splits["train"], val_fraction)
    return Dataset(
        "Reuters-21578", train, val, splits["test"], names, f"{val_fraction:.0%} of train"
    )


def load_goemotions(data: pathlib.Path = DEFAULT_DATA) -> Dataset:
    """GoEmotions, 28 labels (27 emotions + neutral), with its own dev split."""
    folder = data / "goemotions"
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    splits = {}
    for split in ("train", "dev", "test"):
        with gzip.open(folder / f"{split}.tsv.gz", "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
        labels = safeheads.to_multi_hot(
            [[int(k) for k in row[1].split(",")] for row in rows], len(names)
        )
        splits[split] = Split([row[0] for row in rows], labels)
    return Dataset("GoEmotions", splits["train"], splits["dev"], splits["test"], names, "dev")


def load_sst5(data: pathlib.Path = DEFAULT_DATA) -> Dataset:
    """SST-5 sentences (root labels 0-4), with the treebank's own dev split."""
    archive = zipfile.ZipFile(data / "sst" / "trainDevTestTrees_PTB.zip")
    splits = {}
    for split in ("train", "dev", "test"):
        texts, labels = [], []
        for line in archive.read(f"trees/{split}.txt").decode("utf-8").splitlines():
            texts.append(" ".join(re.findall(r"\(\d ([^()]+)\)", line)))
            labels.append(int(line[1]))
        splits[split] = Split(texts, np.asarray(labels, dtype=np.int64))
    names = ["very negative", "negative", "neutral", "positive", "very positive"]
    return Dataset("SST-5", splits["train"], splits["dev"], splits["test"], names, "dev")
