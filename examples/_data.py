"""Loaders for the real datasets the examples use, and the few helpers they share.

The data folder is laid out as the project's ``shared/data`` (see its README): pass
``--data DIR`` to an example, or set ``SAFEHEADS_DATA``; by default the examples look
for ``../shared/data`` next to the repository. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from safeheads import _datasets

# tf.function retracing notes (each example builds several models) are noise here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"


_Built = TypeVar("_Built")


def seeded(build: Callable[[], _Built]) -> _Built:
    """``build()`` right after ``keras.utils.set_random_seed(0)``.

    A Keras layer draws its initializer's seed when it is made, so an output layer
    made before the model's seed is set starts from different weights on every run.
    Made through this, the hand-written output layer and the safeheads head's layer
    start from the same weights, and every run prints the same numbers.
    """
    import keras

    keras.utils.set_random_seed(0)
    return build()


def parser(description: str) -> argparse.ArgumentParser:
    """The command line every example takes: ``--quick`` and ``--data DIR``."""
    args = argparse.ArgumentParser(description=description)
    args.add_argument("--quick", action="store_true", help="a tiny run (seconds), for tests")
    args.add_argument(
        "--data",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("SAFEHEADS_DATA", DEFAULT_DATA)),
        help="the data folder (default: $SAFEHEADS_DATA or ../shared/data)",
    )
    return args


def require(root: pathlib.Path, *files: str) -> None:
    """Exit with a clear message when a dataset file is missing."""
    for file in files:
        if not (root / file).is_file():
            sys.exit(f"Missing {root / file}: pass --data DIR (a folder laid out as shared/data).")


# ----------------------------------------------------------------------------- printing


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 76 - len(title)))


def code(text: str) -> None:
    """Print source lines, indented, as they appear in the report."""
    print(textwrap.indent(textwrap.dedent(text).strip("\n"), "    "))


def say(text: str) -> None:
    print(textwrap.fill(" ".join(text.split()), 88))


def doctor(model: Any, y: Any) -> None:
    """Print ``safeheads.check(model, y)``; its label warnings are part of the report."""
    import safeheads

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", safeheads.SafeheadsWarning)
        report = safeheads.check(model, y)
    print("  " + str(report).replace("\n", "\n  "))


# ----------------------------------------------------------------------------- datasets


def subsample(n: int, size: int | None, seed: int = 0) -> np.ndarray:
    """``size`` of the row indices ``0..n-1`` (all when None), in a random order.

    The order is shuffled because the files are sorted (IMDB by split and label).
    """
    order = np.random.default_rng(seed).permutation(n)
    return order if size is None else order[:size]


def load_imdb(root: pathlib.Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """IMDB reviews: ``{"train": (texts, labels), "test": ...}``, 25,000 each, 0/1 labels."""
    return _datasets.imdb_reviews(root)


_TOKEN = re.compile(r"[a-z0-9']+")


def imdb_multi_hot(root: pathlib.Path, texts: Sequence[str], num_words: int = 10000) -> np.ndarray:
    """Multi-hot vectors of the ``num_words`` most frequent words, as in Keras' IMDB set.

    Word ids follow Keras' ``imdb_word_index.json`` (1 = most frequent word), so column
    ``i`` is the word of rank ``i``, as in ``keras.datasets.imdb.load_data(num_words=...)``
    followed by the book's ``vectorize_sequences``.
    """
    index = _datasets.imdb_word_index(root)
    x = np.zeros((len(texts), num_words), dtype="float32")
    for row, text in enumerate(texts):
        ids = [index.get(w, num_words) for w in _TOKEN.findall(text.replace("<br />", " ").lower())]
        x[row, [i for i in ids if i < num_words]] = 1.0
    return x


def load_rt_phrases(root: pathlib.Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Rotten Tomatoes phrases (Kaggle ``train.tsv`` prefix): texts, labels 0..4, sentence ids."""
    return _datasets.rt_phrases(root)


def load_sst(root: pathlib.Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """SST-5 sentences: ``{"train"|"dev"|"test": (texts, labels 0..4)}``."""
    return _datasets.sst_sentences(root)


def load_reuters(
    root: pathlib.Path,
) -> tuple[dict[str, tuple[list[str], list[list[str]]]], list[str]]:
    """Reuters-21578 ModApte, the 90 topics with a train and a test document.

    Returns ``({"train": (texts, topic_lists), "test": ...}, topics)``; only documents
    with at least one of the topics are kept (7,770 train / 3,019 test).
    """
    return _datasets.reuters_modapte(root)


def load_goemotions(
    root: pathlib.Path,
) -> tuple[dict[str, tuple[list[str], list[list[int]]]], list[str]]:
    """GoEmotions: ``({"train"|"dev"|"test": (texts, label-id lists)}, 28 names)``."""
    return _datasets.goemotions(root)


def tfidf(
    train: Sequence[str], *others: Sequence[str], max_tokens: int = 10000
) -> list[np.ndarray]:
    """TF-IDF features (Keras ``TextVectorization``) fitted on ``train``."""
    import keras

    layer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="tf_idf")
    layer.adapt(list(train), batch_size=1024)
    return [np.asarray(layer(list(texts)), dtype="float32") for texts in (train, *others)]
