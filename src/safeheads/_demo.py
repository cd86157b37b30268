"""The demo: every head trained on a small generated problem, true metrics printed."""

from __future__ import annotations

import sys
from typing import TextIO

import keras
import numpy as np

from safeheads._heads import classification_head

__all__ = ["run_demo"]


def _problem(task: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(2000, 10)).astype("float32")
    scores = x @ rng.normal(size=(10, n))
    if task == "binary":
        return x, (scores[:, 0] > 0).astype(np.int64)
    if task == "multiclass":
        return x, scores.argmax(axis=1)
    return x, (scores > 1.0).astype(np.int64)


def run_demo(*, epochs: int = 30, out: TextIO = sys.stdout) -> int:
    """Train a binary, a multiclass and a multilabel head and print true metrics."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    print(f"{'task':<11} {'metric (keras)':<28} {'value':>7}  {'true (numpy)':>12}", file=out)
    for task, n in (("binary", 1), ("multiclass", 4), ("multilabel", 5)):
        head = classification_head(task, n if task != "binary" else None)
        x, y = _problem(task, n, rng)
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32, "relu"), head.layer])
        model.compile(keras.optimizers.Adam(0.01), loss=head.loss, metrics=head.metrics)
        model.fit(x, head.encode(y), epochs=epochs, batch_size=128, verbose=0)
        reported = model.evaluate(x, head.encode(y), verbose=0, return_dict=True)
        decided = head.decode(model.predict(x, verbose=0))
        if task == "multilabel":
            name, truth = "exact_match", float((decided == y).all(axis=1).mean())
        else:
            name, truth = "accuracy", float((decided == y).mean())
        print(f"{task:<11} {name:<28} {reported[name]:>7.4f}  {truth:>12.4f}", file=out)
    return 0
