"""How far binned ROC AUC is from the exact value: Keras' thresholds against logit spacing.

For synthetic scores whose logits are normal within each class (negatives around
``neg``, positives around ``pos``), at three positive rates, the script prints the
exact AUC (scikit-learn, on the unbinned scores) and the error of ``safeheads.RocAUC``
with Keras' 200 evenly spaced thresholds (``spacing="linear"``, equal to
``keras.metrics.AUC``) and with 200 thresholds evenly spaced in logit space
(``spacing="logit"``, what the heads' ``auc`` uses). The mean of ``--repeats`` draws.

Then the same for a trained model: the 1000-label multilabel model of
``benchmarks/overhead.py`` after 60 training steps, macro AUC over the labels with
positives and negatives on 1024 of its training samples.

Run: ``python benchmarks/auc_accuracy.py [--samples 50000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.metrics import roc_auc_score

import safeheads

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import overhead

#: (mean logit of negatives, of positives, standard deviation of both)
CASES = [(-8, -6, 1.0), (-6, -4, 1.2), (-4, -2, 1.2), (-1, 1, 1.2), (-0.3, 0.3, 0.5),
         (1, 3, 1.2), (-2, 2, 3.0)]  # fmt: skip
RATES = (0.003, 0.02, 0.3)


def errors(samples: int, rate: float, case: tuple[float, float, float], seed: int) -> list[float]:
    """Exact AUC, then the error of linear and logit spacing, for one draw."""
    rng = np.random.default_rng(seed)
    neg, pos, sd = case
    y = (rng.random(samples) < rate).astype("float32")
    logits = np.where(y == 1, rng.normal(pos, sd, samples), rng.normal(neg, sd, samples))
    scores = (1.0 / (1.0 + np.exp(-logits))).astype("float32")
    exact = float(roc_auc_score(y, scores))
    binned = []
    for spacing in ("linear", "logit"):
        metric = safeheads.RocAUC(spacing=spacing)
        metric.update_state(y[:, None], scores[:, None])
        binned.append(float(metric.result()) - exact)
    return [exact, *binned]


def trained_model(n: int = 1000) -> tuple[float, float, float, float]:
    """Median score, exact macro AUC, and the two binned ones, for the overhead model."""
    head = safeheads.classification_head("multilabel", n)
    model = overhead._model(512, 512, head.layer)
    model.compile("adam", loss=head.loss)
    data = overhead._data("multilabel", n, 512, 256, 40)
    model.fit(data, steps_per_epoch=60, epochs=1, verbose=0)
    x, y = (
        np.concatenate([np.asarray(part) for part in parts])
        for parts in zip(*data.take(4), strict=True)
    )
    scores = model.predict(x, verbose=0)
    defined = [j for j in range(n) if 0 < y[:, j].sum() < len(y)]
    exact = float(np.mean([roc_auc_score(y[:, j], scores[:, j]) for j in defined]))
    binned = []
    for spacing in ("linear", "logit"):
        metric = safeheads.RocAUC(n, spacing=spacing)
        metric.update_state(y, scores)
        binned.append(float(metric.result()))
    return float(np.median(scores)), exact, *binned


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print("| positive rate | logits of negatives / positives (sd) | exact AUC | "
          "error, Keras' thresholds | error, logit thresholds |")  # fmt: skip
    print("|---|---|---|---|---|")
    worst = [0.0, 0.0]
    for rate in RATES:
        for case in CASES:
            draws = [errors(args.samples, rate, case, seed) for seed in range(args.repeats)]
            exact, linear, logit = np.mean(draws, axis=0)
            worst = [max(worst[0], abs(linear)), max(worst[1], abs(logit))]
            print(f"| {rate} | {case[0]} / {case[1]} ({case[2]}) | {exact:.3f} | "
                  f"{linear:+.4f} | {logit:+.4f} |")  # fmt: skip
    print(f"\nlargest error: Keras' thresholds {worst[0]:.4f}, logit thresholds {worst[1]:.4f}")
    median, exact, linear, logit = trained_model()
    print(f"\n1000-label model of benchmarks/overhead.py, 60 steps (median score {median:.4f}): "
          f"exact macro AUC {exact:.4f}, Keras' thresholds {linear:.4f}, "
          f"logit thresholds {logit:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
