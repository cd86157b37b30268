"""Train a safeheads head under a mixed precision policy."""

import keras
import numpy as np

import safeheads

keras.mixed_precision.set_global_policy("mixed_float16")  # or "mixed_bfloat16"
try:
    head = safeheads.classification_head("multiclass", 3, from_logits=True)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), head.layer]
    )
    model.compile("adam", loss=head.loss, metrics=head.metrics)  # adds loss scaling for float16

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, :3] + 0.1 * rng.normal(size=(256, 3))).argmax(axis=1)  # class ids 0, 1, 2
    model.fit(x, head.encode(y), batch_size=32, epochs=2, verbose=0)
    outputs = model.predict(x, batch_size=32, verbose=0)

    assert model.layers[0].compute_dtype == "float16"  # the body computes in float16
    assert head.layer.compute_dtype == "float32"  # the head does not
    assert outputs.dtype == np.float32 and np.isfinite(outputs).all()
    assert head.loss(head.encode(y), outputs).dtype == "float32"
    print(head, float(np.mean(head.decode(outputs) == y)))
finally:
    keras.mixed_precision.set_global_policy("float32")
