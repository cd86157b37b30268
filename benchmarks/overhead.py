"""Train-step overhead of a safeheads head against the equivalent hand-written head.

For each task and output size, the same model (``Input(features) -> Dense(hidden, relu)
-> head``) is compiled twice: with ``classification_head(task, n)`` (its layer, loss and
full metric set) and with the hand-written head a user would otherwise write (a
``Dense`` layer with the same activation, the same Keras loss, ``metrics=['accuracy']``).
Both train on the same cached batches of 256 in one process; the models are timed in
alternation (interleaved repeats).

Two times per model and repeat:

- **step**: the train step itself, Keras' compiled ``model.train_function`` (forward
  pass, loss, gradients, optimizer update, every metric's update and result) called
  ``steps`` times in a plain loop, as ``fit`` calls it once per batch. The targets
  are read on this time.
- **fit**: the time between two batches' ends in ``model.fit(verbose=0)`` with a
  callback that records them: the train step plus what ``fit`` does around it for
  each batch (a callback with batch hooks, as the progress bar of ``verbose=1``, makes
  Keras convert every log to a Python float after every step).

Each ratio printed is the median, over the repeats, of safeheads' time over the
hand-written one's in the same repeat (a slow spell of the machine then slows both
sides of a ratio, not one model's median). A control row times a second, identical
hand-written model the same way: its ratio (1 up to noise) is this run's noise floor.
The quartiles of the per-repeat step ratios, for safeheads and the control, show how
far single repeats spread around those medians in this run.

Targets (issue 6): step ratio <= 1.03 for binary and multiclass, <= 1.10 for multilabel.

A reference row times the hand-written model with Keras' own metrics for what the head
adds (``AUC``, ``Precision``, ``Recall``; ``F1Score``, multi-label ``AUC``...), so the cost
of the metric set itself is visible next to the cost of safeheads' implementation of it.
A floor row times the hand-written model with as many metrics that compute nothing as
the head adds: what Keras itself costs per metric in a step (calling it, returning one
more log), which no implementation of a metric can save.
``--jit-compile`` compiles every model with XLA (Keras' default on a GPU).

``--breakdown`` adds one row per safeheads metric (the hand-written model plus that one
metric), and each metric's update and result timed on their own, to show where the
overhead comes from.

Run: ``python benchmarks/overhead.py [--repeats 30] [--steps 10] [--policy mixed_float16]``.
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
    """Wall time of the training steps of a ``fit`` after the first ``skip`` (warm-up)."""

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


class _Idle(keras.metrics.Metric):  # type: ignore[misc]
    """A metric that computes nothing: its update is empty, its result a variable.

    The hand-written model with one of these per metric the head adds to 'accuracy'
    pays what Keras itself costs per metric in a train step (calling it, returning
    and converting one more log), with no metric work: the floor of that many metrics.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.value = self.add_variable(shape=(), initializer="zeros", name="value")

    def update_state(self, y_true: object, y_pred: object, sample_weight: object = None) -> None:
        pass

    def result(self) -> object:
        return self.value


def _variants(
    task: str, n: int, features: int, hidden: int, breakdown: bool, jit_compile: bool = False
) -> dict[str, keras.Model]:
    """Compiled models by row name: 'hand-written', 'safeheads', 'control', the Keras
    reference, the idle floor and, with breakdown, '  + <metric>'."""
    head = safeheads.classification_head(task, None if task == "binary" else n)
    activation = "softmax" if task == "multiclass" else "sigmoid"
    extra = len(head.metrics) - 1  # the metrics the head adds to 'accuracy'
    rows: dict[str, list[object]] = {
        "hand-written": ["accuracy"],
        "safeheads": head.metrics,
        "control": ["accuracy"],
        "Keras equivalents": ["accuracy", *_keras_equivalents(task, n)],
        "idle": ["accuracy", *(_Idle(f"idle_{i}") for i in range(extra))],
    }
    if breakdown:
        for metric in safeheads.classification_head(task, None if task == "binary" else n).metrics:
            rows[f"  + {metric.name}"] = ["accuracy", metric]
    models = {}
    for name, metrics in rows.items():
        if name == "safeheads":
            model, loss = _model(features, hidden, head.layer), head.loss
        else:
            # The hand-written layer is float32 too, like the head's layer, so that only
            # the head's loss and metrics differ (under a mixed policy a user's Dense
            # would be float16).
            dense = keras.layers.Dense(head.units, activation, dtype="float32")
            model, loss = _model(features, hidden, dense), KERAS_LOSS[task]
        model.compile("adam", loss=loss, metrics=metrics, jit_compile=jit_compile)
        models[name] = model
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
) -> dict[str, dict[str, list[float]]]:
    """Seconds per step of every repeat, {"step": {model: [...]}, "fit": {...}}, the
    models timed in alternation."""
    iterators = {}
    for name, model in models.items():  # trace and warm up every model first
        model.fit(data, steps_per_epoch=5, epochs=1, verbose=0)
        iterators[name] = iter(data)
        model.make_train_function()
    times: dict[str, dict[str, list[float]]] = {
        kind: {name: [] for name in models} for kind in ("step", "fit")
    }
    for repeat in range(repeats):
        order = list(models.items())
        if repeat % 2:
            order.reverse()  # alternate which model runs first
        for name, model in order:
            train_function, iterator = model.train_function, iterators[name]
            train_function(iterator)
            start = time.perf_counter()
            for _ in range(steps):
                logs = train_function(iterator)
            float(logs["loss"])  # the step's outputs are computed (synchronous on CPU)
            times["step"][name].append((time.perf_counter() - start) / steps)
            timer = _StepTimer(skip=2)
            model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[timer])
            times["fit"][name].append(timer.step_time())
    return times


def _paired(times: dict[str, list[float]], name: str) -> list[float]:
    """``name``'s time over the hand-written one's in each repeat."""
    return [a / b for a, b in zip(times[name], times["hand-written"], strict=True)]


def _ratio(times: dict[str, list[float]], name: str) -> tuple[float, float]:
    """``name``'s time over the hand-written one's: the median of the per-repeat ratios,
    and the ratio of the two minima."""
    return statistics.median(_paired(times, name)), min(times[name]) / min(times["hand-written"])


def _quartiles(times: dict[str, list[float]], name: str) -> tuple[float, float]:
    """The first and third quartiles of ``name``'s per-repeat ratios: the spread of the
    median that `_ratio` returns, within this run."""
    ratios = _paired(times, name)
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    first, _, third = statistics.quantiles(ratios, n=4)
    return first, third


def _shown(times: dict[str, list[float]], name: str) -> str:
    """`_ratio` as printed: the median ratio, then the ratio of the minima in parentheses."""
    return "{:.3f} ({:.3f})".format(*_ratio(times, name))


def _spread(times: dict[str, list[float]], name: str) -> str:
    """`_quartiles` as printed."""
    return "quartiles {:.3f}-{:.3f}".format(*_quartiles(times, name))


def _update_cost(metric: keras.metrics.Metric, task: str, n: int, batch: int) -> float:
    """Seconds per ``update_state`` and ``result`` on one batch, compiled as in a train
    step, less the cost of calling an empty compiled function (about 0.2 ms here)."""
    data = next(iter(_data(task, n, 1, batch, 1)))
    y = data[1]
    scores = tf.random.uniform((batch, 1 if task == "binary" else n), seed=0)
    if task == "multiclass":
        scores = scores / tf.reduce_sum(scores, axis=1, keepdims=True)

    def step() -> object:
        metric.update_state(y, scores)
        return metric.result()

    calls = {"metric": tf.function(step), "empty": tf.function(lambda: scores)}
    best = dict.fromkeys(calls, float("inf"))
    for call in calls.values():
        call()
    for _ in range(7):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(20):
                call()
            best[name] = min(best[name], (time.perf_counter() - start) / 20)
    return best["metric"] - best["empty"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--tasks", nargs="+", default=["binary", "multiclass", "multilabel"])
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--policy", default=None, help="Keras dtype policy, e.g. mixed_float16")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time the model with each metric alone, and each metric's update and result",
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
    if args.steps < 4:  # the fit timer skips 2 warm-up steps and needs 2 marks after them
        parser.error(f"--steps must be at least 4, got {args.steps}")
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
    print("ratios: safeheads / hand-written time, the median of the per-repeat ratios (in "
          "parentheses the ratio of the minima; their quartiles below each row); step: the "
          "compiled train step; fit: "
          "the same inside model.fit, timed by a batch callback; control: a second hand-written "
          "model, the noise floor; floor: metrics that compute nothing\n")  # fmt: skip
    print(f"{'task':<11} {'n':>5}  {'hand ms/step':>12} {'safeheads':>10} "
          f"{'step ratio':>15} {'fit ratio':>15}  target (step)")  # fmt: skip
    failed = []
    for task in args.tasks:
        for n in [1] if task == "binary" else args.sizes:
            models = _variants(
                task, n, args.features, args.hidden, args.breakdown, args.jit_compile
            )
            data = _data(task, n, args.features, args.batch, args.steps)
            times = _measure(models, data, args.steps, args.repeats)
            step, fit = times["step"], times["fit"]
            hand = step["hand-written"]
            ratio = _ratio(step, "safeheads")[0]
            ok = ratio <= TARGETS[task]
            if not ok:
                failed.append(f"{task} n={n}: {ratio:.3f}")
            print(f"{task:<11} {n:>5}  {statistics.median(hand) * 1e3:12.3f} "
                  f"{statistics.median(step['safeheads']) * 1e3:10.3f} "
                  f"{_shown(step, 'safeheads'):>15} {_shown(fit, 'safeheads'):>15}  "
                  f"<= {TARGETS[task]:.2f} {'ok' if ok else 'MISSED'}")  # fmt: skip
            head = safeheads.classification_head(task, None if task == "binary" else n)
            extra = len(head.metrics) - 1  # as many idle metrics as _variants gave
            names = ", ".join(m.name for m in _keras_equivalents(task, n)) or "none"
            rows = [
                (f"reference, hand-written + Keras' own {names}", "Keras equivalents"),
                ("control, a second hand-written model", "control"),
                (f"floor, hand-written + {extra} metric{'s' * (extra != 1)} computing nothing",
                 "idle"),
                *((f"hand-written{name[1:]}", name) for name in models if name.startswith(" ")),
            ]  # fmt: skip
            print(f"{'':<11} {'':>5}  step ratio of the repeats: {_spread(step, 'safeheads')} "
                  f"(control: {_spread(step, 'control')})")  # fmt: skip
            for label, name in rows:
                print(f"{'':<11} {'':>5}  {label}: step {_shown(step, name)}, "
                      f"fit {_shown(fit, name)}")  # fmt: skip
            if args.breakdown:
                named = [(metric.name, metric) for metric in head.metrics]
                named.append(("'accuracy' (Keras)", KERAS_ACCURACY[task]()))
                for name, metric in named:
                    cost = _update_cost(metric, task, n, args.batch)
                    print(f"{'':<11} {'':>5}  update and result of {name:<18} {cost * 1e3:6.3f} ms "
                          f"= {cost / min(hand):6.1%} of the hand-written step")  # fmt: skip
            sys.stdout.flush()
    if failed:
        print(f"\nmissed targets: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
