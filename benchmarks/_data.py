"""Loaders for the real datasets of ``benchmarks/real_data.py`` (nothing is downloaded).

The data folder is the project's ``shared/data`` (see its README.md): pass
``--data DIR`` to the benchmark or set ``SAFEHEADS_DATA``; by default it is
``../shared/data`` next to the repository. The files are read by
``safeheads._datasets``; this module picks the splits and encodes the labels.
"""

from __future__ import annotations

import os
import pathlib
from typing import NamedTuple

import numpy as np

import safeheads
from safeheads import _datasets

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
    docs, names = _datasets.reuters_modapte(data)
    topics = safeheads.LabelMap(names)
    splits = {
        split: Split(texts, topics.to_multi_hot(topic_lists, unknown="ignore"))
        for split, (texts, topic_lists) in docs.items()
    }
    train, val = carve(splits["train"], val_fraction)
    return Dataset(
        "Reuters-21578", train, val, splits["test"], names, f"{val_fraction:.0%} of train"
    )


def load_goemotions(data: pathlib.Path = DEFAULT_DATA) -> Dataset:
    """GoEmotions, 28 labels (27 emotions + neutral), with its own dev split."""
    comments, names = _datasets.goemotions(data)
    splits = {
        split: Split(texts, safeheads.to_multi_hot(ids, len(names)))
        for split, (texts, ids) in comments.items()
    }
    return Dataset("GoEmotions", splits["train"], splits["dev"], splits["test"], names, "dev")


def load_sst5(data: pathlib.Path = DEFAULT_DATA) -> Dataset:
    """SST-5 sentences (root labels 0-4), with the treebank's own dev split."""
    splits = {split: Split(*pair) for split, pair in _datasets.sst_sentences(data).items()}
    names = list(_datasets.SST5_NAMES)
    return Dataset("SST-5", splits["train"], splits["dev"], splits["test"], names, "dev")
