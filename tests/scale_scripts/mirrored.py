"""Train a safeheads head with tf.distribute.MirroredStrategy on two logical CPU devices."""

import tempfile

import keras
import numpy as np
import tensorflow as tf

import safeheads

# With several GPUs, MirroredStrategy() uses them all. Here the CPU is split into two
# logical devices, so that the same code runs (and is tested) on any machine.
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, :4] > 0.5).astype("int64")  # 4 yes/no labels per sample (multi-hot)

with strategy.scope():  # the layer, metric and optimizer variables are created on each replica
    head = safeheads.classification_head("multilabel", 4, from_logits=True)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), head.layer]
    )
    model.compile("adam", loss=head.loss, metrics=head.metrics)

# Each global batch of 32 rows is split into 16 per replica; the metrics' counts are
# Keras variables summed across replicas, so the scores are those of the whole data.
model.fit(x, head.encode(y), batch_size=32, epochs=2, verbose=0)
scores = model.evaluate(x, head.encode(y), batch_size=32, verbose=0, return_dict=True)
decided = head.decode(model.predict(x, batch_size=32, verbose=0))
assert abs(scores["exact_match"] - np.mean((decided == y).all(axis=1))) < 1e-6

path = f"{tempfile.mkdtemp()}/model.keras"
model.save(path)
with strategy.scope():
    restored = keras.saving.load_model(path)  # compiled, with the same loss and metrics
again = restored.evaluate(x, head.encode(y), batch_size=32, verbose=0, return_dict=True)
assert all(abs(again[name] - scores[name]) < 1e-6 for name in scores)
print(safeheads.Head.from_model(restored), {k: round(v, 3) for k, v in scores.items()})
