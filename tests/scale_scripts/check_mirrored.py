"""Every head under tf.distribute.MirroredStrategy on two logical CPU devices.

Usage: ``python check_mirrored.py OUT_DIR``. Runs the documented snippet ``mirrored.py``
first (it splits the CPU into two logical devices, which must happen before TensorFlow
starts), then trains, evaluates, saves and reloads every head under the strategy, and
updates safeheads metrics from a custom ``strategy.run`` loop. Writes what it saw to
OUT_DIR (``arrays.npz``, ``facts.json``) for ``tests/test_scale.py`` to compare with numpy.
"""

from __future__ import annotations

import pathlib
import runpy
import sys
import time

start = time.perf_counter()
HERE = pathlib.Path(__file__).resolve().parent
snippet = runpy.run_path(str(HERE / "mirrored.py"), run_name="__main__")
snippet_s = time.perf_counter() - start

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from scale_harness import N_LABELS, dump, guard_stops, head_configs, run  # noqa: E402

import safeheads  # noqa: E402

out_dir = sys.argv[1]
strategy = snippet["strategy"]
configs = head_configs()
results = run(
    configs, n_samples=101, batch_size=16, epochs=2, scope=strategy.scope, save_dir=out_dir
)
facts = results["facts"]
facts["guard_stops"] = guard_stops(scope=strategy.scope)
facts["replicas"] = strategy.num_replicas_in_sync
facts["devices"] = list(strategy.extended.worker_devices)

# A custom training loop: fresh safeheads metrics updated inside strategy.run, where each
# replica sees half of every batch; result() must still be that of all rows.
y = results["arrays"]["y__multilabel_probs"]
outputs = results["arrays"]["out__multilabel_probs"]
threshold = [0.3, 0.5, 0.7]
with strategy.scope():
    loop_metrics = [
        safeheads.ExactMatch(threshold),
        safeheads.ThresholdAccuracy(threshold),
        safeheads.ThresholdPrecision(N_LABELS, threshold, average="micro"),
        safeheads.ThresholdRecall(N_LABELS, threshold, average="macro"),
        safeheads.ThresholdF1(N_LABELS, threshold, average="macro"),
    ]
dataset = tf.data.Dataset.from_tensor_slices((y, outputs)).batch(16)


@tf.function
def update(y_true: tf.Tensor, y_pred: tf.Tensor) -> None:
    def step(y_true: tf.Tensor, y_pred: tf.Tensor) -> None:
        for metric in loop_metrics:
            metric.update_state(y_true, y_pred)

    strategy.run(step, args=(y_true, y_pred))


rows_per_replica = []
for y_true, y_pred in strategy.experimental_distribute_dataset(dataset):
    rows_per_replica.append([int(t.shape[0]) for t in strategy.experimental_local_results(y_true)])
    update(y_true, y_pred)
facts["custom_loop"] = {metric.name: float(metric.result()) for metric in loop_metrics}

# From 100 labels `RocAUC` runs its histogram update as XLA inside the step: under the
# strategy too, where Keras first builds the step in a scratch graph.
rng = np.random.default_rng(7)
many_x = rng.normal(size=(96, 8)).astype("float32")
many_y = (rng.random((96, 120)) < 0.1).astype("float32")
with strategy.scope():
    many_head = safeheads.classification_head("multilabel", 120)
    many_model = keras.Sequential([keras.Input((8,)), many_head.layer])
    many_model.compile("adam", loss=many_head.loss, metrics=many_head.metrics)
many_model.fit(many_x, many_y, batch_size=32, epochs=1, verbose=0)
facts["many_labels_auc"] = many_model.evaluate(
    many_x, many_y, batch_size=32, verbose=0, return_dict=True
)["auc"]
results["arrays"]["many_labels_y"] = many_y
results["arrays"]["many_labels_out"] = many_model.predict(many_x, batch_size=32, verbose=0)
facts["custom_loop_rows_per_replica"] = rows_per_replica
facts["seconds"] = {"snippet": snippet_s, "total": time.perf_counter() - start}
facts["configs"] = [cid for cid, _ in configs]
dump(results, out_dir)
print(f"check_mirrored: {len(configs)} heads in {facts['seconds']['total']:.1f} s")
