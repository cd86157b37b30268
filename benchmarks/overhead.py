"""Train-step overhead of a safeheads head against the equivalent hand-written head.

For each task and output size, the same model (``Input(features) -> Dense(hidden, relu)
-> head``) is compiled twice: with ``classification_head(task, n)`` (its layer, loss and
full metric set) and with the hand-written head a user would otherwise write (a
``Dense`` layer with the same activation, the same Keras loss, ``metrics=['accuracy']``).
Both train on the same cached batches of 256 in one process; the two are timed in
alternation (interleaved repeats). The ratio printed is the median, over the repeats,
of safeheads' step time over the hand-written one's in the same repeat (a slow spell of
the machine then slows both sides of a ratio, not one model's median).

A control row times a second, identical hand-written model the same way: its ratio
(1 up to noise) is this run's noise floor, to read the head's ratio against.

Targets (issue 6): ratio <= 1.03 for binary and multiclass, <= 1.10 for multilabel.

A reference row times the hand-written model with Keras' own metrics for what the head
adds (``AUC``, ``Precision``, ``Recall``; ``F1Score``, multi-label ``AUC``...), so the cost
of the metric set itself is visible next to the cost of safeheads' implementation of it.
``--jit-compile`` compiles every model with XLA (Keras' default on a GPU).

``--breakdown`` adds one row per safeheads metric (the hand-written model plus that one
metric) to show where the overhead comes from.

Run: ``python benchmarks/overhead.py [--repeats 7] [--steps 40] [--policy mixed_float16]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

import safeheads

# What metrics=['accuracy'] resolves to for each hand-written head (shapes decide).
KERAS_ACCURACY = {
    "binary": keras.metrics.BinaryAccuracy,
    "multiclass": keras.metrics.SparseCategoricalAccuracy,
    "multilabel": keras.metrics.CategoricalAccuracy,
}
TARGETS = {"binary": 1.03, "multiclass": 1.03, "multilabel": 1.10}
KERAS_LOSS = {
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "multilabel": "binary_crossentropy",
}


class _StepTimer(keras.callbacks.Callback):
    """Wall time of the training steps after the first ``skip`` (tracing, warm-up)."""

    def __init__(self, skip: int) -> None:
        super().__init__()
        self.skip = skip
        self.marks: list[float] = []

    def on_train_batch_end(self, batch: int, logs: object = None) -> None:
        self.marks.append(time.perf_counter())

    def step_time(self) -> float:
        marks = self.marks[self.skip :]
        return (marks[-1] - marks[0]) / (len(marks) - 1)


def _data(task: str, n: int, features: int, batch: int, steps: int) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    rows = batch * steps
    x = rng.normal(size=(rows, features)).astype("float32")
    if task == "binary":
        y = rng.integers(0, 2, size=(rows, 1)).astype("float32")
    elif task == "multiclass":
        y = rng.integers(0, n, size=rows).astype("int32")
    else:
        y = np.zeros((rows, n), dtype="float32")
        picks = rng.integers(0, n, size=(rows, 3))  # about 3 labels per sample
        np.put_along_axis(y, picks, 1.0, axis=1)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache().repeat()


def _model(features: int, hidden: int, output: keras.layers.Layer) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((features,)),
        keras.layers.Dense(hidden, activation="relu"),
        output,
    ])  # fmt: skip


def _variants(
    task: str, n: int, features: int, hidden: int, breakdown: bool, jit_compile: bool = False
) -> dict[str, keras.Model]:
    """Compiled models: 'hand-written', 'safeheads' and, with breakdown, '+ <metric>'."""
    head = safeheads.classification_head(task, None if task == "binary" else n)
    activation = "softmax" if task == "multiclass" else "sigmoid"
    # The hand-written layer is float32 too, like the head's layer, so that only the
    # head's loss and metrics differ (under a mixed policy a user's Dense would be float16).
    hand = _model(features, hidden, keras.layers.Dense(head.units, activation, dtype="float32"))
    hand.compile("adam", loss=KERAS_LOSS[task], metrics=["accuracy"], jit_compile=jit_compile)
    ours = _model(features, hidden, head.layer)
    ours.compile("adam", loss=head.loss, metrics=head.metrics, jit_compile=jit_compile)
    control = _model(features, hidden, keras.layers.Dense(head.units, activation, dtype="float32"))
    control.compile("adam", loss=KERAS_LOSS[task], metrics=["accuracy"], jit_compile=jit_compile)
    models = {"hand-written": hand, "safeheads": ours, "control": control}
    reference = _model(
        features, hidden, keras.layers.Dense(head.units, activation, dtype="float32")
    )
    reference.compile(
        "adam",
        loss=KERAS_LOSS[task],
        metrics=["accuracy", *_keras_equivalents(task, n)],
        jit_compile=jit_compile,
    )
    models["Keras equivalents"] = reference
    if breakdown:
        for metric in safeheads.classification_head(task, None if task == "binary" else n).metrics:
            model = _model(
                features, hidden, keras.layers.Dense(head.units, activation, dtype="float32")
            )
            model.compile(
                "adam",
                loss=KERAS_LOSS[task],
                metrics=["accuracy", metric],
                jit_compile=jit_compile,
            )
            models[f"  + {metric.name}"] = model
    return models


def _keras_equivalents(task: str, n: int) -> list[keras.metrics.Metric]:
    """Keras' own metrics for what the safeheads head adds to 'accuracy', where Keras has
    one (no exact match, no precision@k): the cost of the metric set itself."""
    if task == "binary":
        return [keras.metrics.AUC(), keras.metrics.Precision(), keras.metrics.Recall()]
    if task == "multiclass":
        return [keras.metrics.SparseTopKCategoricalAccuracy(k=5)] if n >= 10 else []
    return [
        keras.metrics.BinaryAccuracy(name="label_accuracy"),
        keras.metrics.F1Score(average="micro", threshold=0.5, name="micro_f1"),
        keras.metrics.F1Score(average="macro", threshold=0.5, name="macro_f1"),
        keras.metrics.AUC(multi_label=True, num_labels=n),
    ]


def _measure(
    models: dict[str, keras.Model], data: tf.data.Dataset, steps: int, repeats: int
) -> dict[str, list[float]]:
    """Step times of every repeat, the models timed in alternation."""
    for model in models.values():  # trace and warm up every model first
        model.fit(data, steps_per_epoch=5, epochs=1, verbose=0)
    times: dict[str, list[float]] = {name: [] for name in models}
    for repeat in range(repeats):
        order = list(models.items())
        if repeat % 2:
            order.reverse()  # alternate which model runs first
        for name, model in order:
            timer = _StepTimer(skip=2)
            model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[timer])
            times[name].append(timer.step_time())
    return times


def _ratio(times: dict[str, list[float]], name: str) -> tuple[float, float]:
    """``name``'s step time over the hand-written one's: the median of the per-repeat
    ratios, and the ratio of the two minima."""
    hand = times["hand-written"]
    paired = statistics.median(a / b for a, b in zip(times[name], hand, strict=True))
    return paired, min(times[name]) / min(hand)


def _update_cost(metric: keras.metrics.Metric, task: str, n: int, batch: int) -> float:
    """Seconds per ``update_state`` call on one batch, compiled as in a train step."""
    data = next(iter(_data(task, n, 1, batch, 1)))
    y = data[1]
    scores = tf.random.uniform((batch, 1 if task == "binary" else n), seed=0)
    if task == "multiclass":
        scores = scores / tf.reduce_sum(scores, axis=1, keepdims=True)
    update = tf.function(lambda: metric.update_state(y, scores))
    update()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            update()
        best = min(best, (time.perf_counter() - start) / 20)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--tasks", nargs="+", default=["binary", "multiclass", "multilabel"])
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--policy", default=None, help="Keras dtype policy, e.g. mixed_float16")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each metric's update alone"
    )
    parser.add_argument(
        "--jit-compile",
        action="store_true",
        help="compile both models with XLA (jit_compile=True; Keras' default on GPU)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="TensorFlow intra-op threads (default: all)"
    )
    args = parser.parse_args(argv)
    if args.policy:
        keras.mixed_precision.set_global_policy(args.policy)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, devices {devices}, "
          f"policy {keras.mixed_precision.global_policy().name}, jit_compile={args.jit_compile}")  # fmt: skip
    print(f"model: Input({args.features}) -> Dense({args.hidden}, relu) -> head; batch "
          f"{args.batch}; median of {args.repeats} interleaved repeats of {args.steps} steps")  # fmt: skip
    print("ratio: safeheads / hand-written step time, the median of the per-repeat ratios "
          "(and the ratio of the minima); control: a second hand-written model, the noise "
          "floor\n")  # fmt: skip
    print(f"{'task':<11} {'n':>5}  {'hand ms/step':>12} {'safeheads':>10} {'ratio':>6} "
          f"{'(min)':>7}  target")  # fmt: skip
    failed = []
    for task in args.tasks:
        for n in [1] if task == "binary" else args.sizes:
            models = _variants(
                task, n, args.features, args.hidden, args.breakdown, args.jit_compile
            )
            data = _data(task, n, args.features, args.batch, args.steps)
            times = _measure(models, data, args.steps, args.repeats)
            hand, ours = times["hand-written"], times["safeheads"]
            ratio, low = _ratio(times, "safeheads")
            ok = ratio <= TARGETS[task]
            if not ok:
                failed.append(f"{task} n={n}: {ratio:.3f}")
            print(f"{task:<11} {n:>5}  {statistics.median(hand) * 1e3:12.3f} "
                  f"{statistics.median(ours) * 1e3:10.3f} {ratio:6.3f} {low:7.3f}  "
                  f"<= {TARGETS[task]:.2f} {'ok' if ok else 'MISSED'}")  # fmt: skip
            names = ", ".join(m.name for m in _keras_equivalents(task, n)) or "none"
            print(f"{'':<11} {'':>5}  reference, hand-written + Keras' own {names}: "
                  "{:.3f} ({:.3f})".format(*_ratio(times, "Keras equivalents")))  # fmt: skip
            print(f"{'':<11} {'':>5}  control, a second hand-written model: "
                  "{:.3f} ({:.3f})".format(*_ratio(times, "control")))  # fmt: skip
            if args.breakdown:
                head = safeheads.classification_head(task, None if task == "binary" else n)
                step = min(hand)
                named = [(metric.name, metric) for metric in head.metrics]
                named.append(("'accuracy' (Keras)", KERAS_ACCURACY[task]()))
                for name, metric in named:
                    cost = _update_cost(metric, task, n, args.batch)
                    print(f"{'':<11} {'':>5}  update_state of {name:<16} {cost * 1e3:8.3f} ms "
                          f"= {cost / step:6.1%} of the hand-written step")  # fmt: skip
            sys.stdout.flush()
    if failed:
        print(f"\nmissed targets: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
