"""Train a safeheads head with JAX data parallelism (keras.distribution) on two CPU devices."""

import os

os.environ["KERAS_BACKEND"] = "jax"
# CPU only: split the host into two XLA devices. On GPUs or TPUs, leave XLA_FLAGS alone.
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"

import tempfile

import keras
import numpy as np

import safeheads

devices = keras.distribution.list_devices()
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, :4] > 0.5).astype("int64")  # 4 yes/no labels per sample (multi-hot)

head = safeheads.classification_head("multilabel", 4, from_logits=True)
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), head.layer])
model.compile("adam", loss=head.loss, metrics=head.metrics)

# Each global batch of 32 rows is sharded into 16 per device; the metrics' counts are
# Keras variables updated from the whole batch, so the scores are those of the whole data.
model.fit(x, head.encode(y), batch_size=32, epochs=2, verbose=0)
scores = model.evaluate(x, head.encode(y), batch_size=32, verbose=0, return_dict=True)
decided = head.decode(model.predict(x, batch_size=32, verbose=0))
assert abs(scores["exact_match"] - np.mean((decided == y).all(axis=1))) < 1e-6

path = f"{tempfile.mkdtemp()}/model.keras"
model.save(path)
restored = keras.saving.load_model(path)  # compiled, with the same loss and metrics
again = restored.evaluate(x, head.encode(y), batch_size=32, verbose=0, return_dict=True)
assert all(abs(again[name] - scores[name]) < 1e-6 for name in scores)
print(safeheads.Head.from_model(restored), {k: round(v, 3) for k, v in scores.items()})
