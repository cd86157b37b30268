"""Every head under JAX data parallelism (keras.distribution.DataParallel) on two CPU devices.

Usage: ``python check_jax.py OUT_DIR``. Runs the documented snippet
``jax_data_parallel.py`` first (it selects the JAX backend, splits the host into two XLA
devices and sets the distribution), then trains, evaluates, saves and reloads every head
under that distribution. Writes what it saw to OUT_DIR (``arrays.npz``, ``facts.json``) for
``tests/test_scale.py`` to compare with numpy.
"""

from __future__ import annotations

import contextlib
import pathlib
import runpy
import sys
import time
from collections.abc import Iterator

start = time.perf_counter()
HERE = pathlib.Path(__file__).resolve().parent
runpy.run_path(str(HERE / "jax_data_parallel.py"), run_name="__main__")
snippet_s = time.perf_counter() - start

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from scale_harness import dump, guard_stops, head_configs, run  # noqa: E402

out_dir = sys.argv[1]
distribution = keras.distribution.distribution()


@contextlib.contextmanager
def no_distribution() -> Iterator[None]:
    """Unset the global distribution for a moment (for the out-of-range label message)."""
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


configs = head_configs()
results = run(
    configs, n_samples=100, batch_size=16, epochs=2, outside=no_distribution, save_dir=out_dir
)
facts = results["facts"]
facts["guard_stops"] = guard_stops(outside=no_distribution)
facts["backend"] = keras.backend.backend()
facts["distribution"] = type(distribution).__name__
facts["devices"] = [str(device) for device in jax.devices()]
facts["jax_version"] = jax.__version__
first_head = results["heads"][configs[0][0]]
facts["kernel_sharding"] = str(first_head.layer.kernel.value.sharding)
# Keras shards each batch evenly over the devices: a batch of 5 rows on 2 devices fails.
# (A model whose predict raised here has lost its variables, so use a throwaway one.)
throwaway = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
try:
    throwaway.predict(np.zeros((5, 4), "float32"), batch_size=5, verbose=0)
except Exception as error:
    facts["odd_batch"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
else:
    facts["odd_batch"] = "no error"
facts["seconds"] = {"snippet": snippet_s, "total": time.perf_counter() - start}
facts["configs"] = [cid for cid, _ in configs]
dump(results, out_dir)
print(f"check_jax: {len(configs)} heads in {facts['seconds']['total']:.1f} s")
