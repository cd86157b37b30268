"""Run every safeheads head on the Keras backend that KERAS_BACKEND names; report as JSON.

Usage (tests/test_backends.py runs it once per backend, in a fresh process, since a
process cannot switch Keras backends)::

    KERAS_BACKEND=jax python tests/backend_scripts/check_backend.py OUT_DIR [LOAD_DIR ...]

For each head of ``configs.CONFIGS`` it builds a model, fits a few steps on tiny data,
evaluates, predicts, encodes and decodes, and saves ``OUT_DIR/<backend>/<id>.keras``
with the data beside it (``.npz``). It then loads every model saved by other backends
in ``LOAD_DIR/<id>.keras`` and predicts with it. It also records what each backend
does with out-of-range sparse labels, with and without ``head.encode``. The numbers
go to ``OUT_DIR/<backend>.json``; the assertions live in tests/test_backends.py.
The script only measures: it fails only if it cannot run at all.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time
import traceback
from typing import Any

import numpy as np

try:  # run as a script, from this folder
    from configs import CONFIGS
except ImportError:  # imported by tests/test_backends.py
    from tests.backend_scripts.configs import CONFIGS

N_SAMPLES = 48
N_FEATURES = 6
BATCH = 16
EPOCHS = 3
#: Out-of-range demo: a 3-class head and one label 5 among valid ones.
BAD_LABELS = [0, 1, 2, 5, 1, 0, 2, 1]


# ----------------------------------------------------------------------------- data


def make_data(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic features and labels (ids, or a 0/1 matrix for multilabel)."""
    rng = np.random.RandomState(sum(map(ord, config["id"])))
    x = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype("float32")
    task = config["task"]
    if task == "binary":
        y = (x @ rng.normal(size=N_FEATURES) > 0).astype("int64")
    elif task == "multiclass":
        y = (x @ rng.normal(size=(N_FEATURES, config["n"]))).argmax(axis=1).astype("int64")
        y[: config["n"]] = np.arange(config["n"])  # every class has examples
    else:
        y = (x @ rng.normal(size=(N_FEATURES, config["n"])) > 0.3).astype("int64")
        y[0] = [1] * config["n"]  # several labels in a row: multi-hot, not one-hot
        y[1] = 0  # and a row with none
    return x, y


# ----------------------------------------------------------------------------- numpy truth


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """Exact ROC AUC (ties count half), for one column."""
    pos, neg = s[y == 1], s[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _decided(head: Any, s: np.ndarray) -> np.ndarray:
    """A binary or multilabel head's 0/1 decisions on float64 scores, from the definition:
    a probability above the threshold; with min_labels=1, an empty row gets the label of
    the largest logit(probability) - logit(threshold)."""
    threshold = np.asarray(head.threshold, dtype=np.float64)
    prob = 1 / (1 + np.exp(-s)) if head.from_logits else s
    decided = (prob > threshold).astype(np.int64)
    if getattr(head, "min_labels", 0):
        with np.errstate(divide="ignore"):
            logits = s if head.from_logits else np.log(s) - np.log1p(-s)
        margin = logits - (np.log(threshold) - np.log1p(-threshold))
        empty = np.flatnonzero(decided.sum(axis=1) == 0)
        decided[empty, margin[empty].argmax(axis=1)] = 1
    return decided


def numpy_truth(head: Any, scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The loss and every metric of ``head``, computed in float64 from predict()."""
    s = scores.astype(np.float64)
    eps = 1e-7
    out: dict[str, float] = {}
    if head.task == "multiclass":
        if head.from_logits:
            log_p = s - s.max(axis=1, keepdims=True)
            log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        else:
            p = s / s.sum(axis=1, keepdims=True)
            log_p = np.log(np.clip(p, eps, 1 - eps))
        out["loss"] = float(-log_p[np.arange(y.size), y].mean())
        out["accuracy"] = float((s.argmax(axis=1) == y).mean())
        if head.n >= 10:
            rank = (s > s[np.arange(y.size), y][:, None]).sum(axis=1)
            out["top_5_accuracy"] = float((rank < 5).mean())
        return out
    t = y.reshape(s.shape).astype(np.float64)
    if head.from_logits:
        log_p, log_q = _log_sigmoid(s), _log_sigmoid(-s)
    else:
        clipped = np.clip(s, eps, 1 - eps)
        log_p, log_q = np.log(clipped), np.log(1 - clipped)
    out["loss"] = float(-(t * log_p + (1 - t) * log_q).mean())
    decided = _decided(head, s).astype(np.float64)  # decode() is checked against it too
    tp = (decided * t).sum(axis=0)
    fp = (decided * (1 - t)).sum(axis=0)
    fn = ((1 - decided) * t).sum(axis=0)
    aucs = [_auc(t[:, j], s[:, j]) for j in range(s.shape[1])]
    if head.task == "binary":
        out["accuracy"] = float((decided == t).mean())
        out["precision"] = float(tp.sum() / max(tp.sum() + fp.sum(), 1))
        out["recall"] = float(tp.sum() / max(tp.sum() + fn.sum(), 1))
        out["auc"] = aucs[0]
        return out
    out["exact_match"] = float((decided == t).all(axis=1).mean())
    out["label_accuracy"] = float((decided == t).mean())
    out["micro_f1"] = float(_f1(tp.sum(), fp.sum(), fn.sum()))
    out["macro_f1"] = float(_f1(tp, fp, fn).mean())
    out["auc"] = float(np.mean(aucs))
    return out


# ----------------------------------------------------------------------------- one head


def _labels_as_given(config: dict[str, Any], y: np.ndarray) -> np.ndarray:
    """What a user would pass: ids (one-hot for one_hot heads), or a multi-hot matrix."""
    if config["options"].get("labels") == "one_hot":
        return np.eye(config["n"], dtype="float32")[y]
    return y


def _names(head: Any, y: np.ndarray) -> Any:
    table = np.asarray(head.class_names, dtype=object)
    if head.task == "multilabel":
        return [[table[j] for j in np.flatnonzero(row)] for row in y]
    return table[y].tolist()


def run_head(config: dict[str, Any], save_dir: pathlib.Path) -> dict[str, Any]:
    import keras
    from keras import ops

    import safeheads

    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    head = safeheads.classification_head(config["task"], config["n"], **config["options"])
    x, y = make_data(config)
    given = _labels_as_given(config, y)
    encoded = head.encode(given)
    record: dict[str, Any] = {"repr": repr(head)}

    # encode: backend-native tensors, plain ids and names give what numpy gives
    native = ops.convert_to_tensor(given)
    record["native_label_type"] = f"{type(native).__module__}.{type(native).__name__}"
    from_native = head.encode(native)
    record["encode_native_equal"] = bool(
        from_native.dtype == encoded.dtype and np.array_equal(from_native, encoded)
    )
    record["encode_ids_equal"] = bool(np.array_equal(head.encode(y), encoded))
    if head.class_names is not None:
        record["encode_names_equal"] = bool(np.array_equal(head.encode(_names(head, y)), encoded))

    model = keras.Sequential([keras.Input((N_FEATURES,)), head.layer])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=head.loss, metrics=head.metrics)
    history = model.fit(x, encoded, epochs=EPOCHS, batch_size=BATCH, verbose=0, shuffle=False)
    record["fit_loss"] = [float(v) for v in history.history["loss"]]
    record["keras"] = {
        name: float(value)
        for name, value in model.evaluate(
            x, encoded, batch_size=BATCH, verbose=0, return_dict=True
        ).items()
    }
    scores = model.predict(x, batch_size=BATCH, verbose=0)
    record["numpy"] = numpy_truth(head, scores, y)

    # decode: predict() output, and the backend's own tensor from model(x)
    decoded = head.decode(scores)
    out = model(ops.convert_to_tensor(x))
    record["output_type"] = f"{type(out).__module__}.{type(out).__name__}"
    record["output_requires_grad"] = bool(getattr(out, "requires_grad", False))
    record["decode_native_equal"] = bool(np.array_equal(head.decode(out), decoded))
    if head.task == "multiclass":
        expected = scores.argmax(axis=1)
    else:
        expected = _decided(head, scores.astype(np.float64))
        if head.task == "binary":
            expected = expected[:, 0]
    record["decode_equal_truth"] = bool(np.array_equal(decoded, expected))
    if head.class_names is not None:
        named = head.decode(scores, names=True)
        named = named.tolist() if isinstance(named, np.ndarray) else named
        record["decode_names_equal"] = named == _names(head, decoded)

    # the doctor passes a head safeheads built, with its encoded labels
    report = safeheads.check(model, encoded, task=head.task)
    record["check_codes"] = list(report.codes)

    model.save(save_dir / f"{config['id']}.keras")
    np.savez(save_dir / f"{config['id']}.npz", x=x, y=y, encoded=encoded, scores=scores)
    record["seconds"] = round(time.perf_counter() - start, 2)
    return record


def load_head(config: dict[str, Any], load_dir: pathlib.Path) -> dict[str, Any]:
    """Load a model another backend saved; predict, evaluate and decode with it here."""
    import keras

    import safeheads

    start = time.perf_counter()
    saved = np.load(load_dir / f"{config['id']}.npz")
    model = keras.saving.load_model(load_dir / f"{config['id']}.keras")
    jit_compile = bool(model.jit_compile)
    if keras.backend.backend() == "torch":
        # A model compiled on JAX saves jit_compile=True, which on torch means
        # torch.compile: minutes per function on a CPU (see docs/backends.md).
        model.jit_compile = False
    head = safeheads.Head.from_model(model)
    scores = model.predict(saved["x"], batch_size=BATCH, verbose=0)
    keras_metrics = model.evaluate(
        saved["x"], saved["encoded"], batch_size=BATCH, verbose=0, return_dict=True
    )
    return {
        "repr": repr(head),
        "saved_jit_compile": jit_compile,
        "max_abs_diff": float(np.abs(scores - saved["scores"]).max()),
        "decode_equal": bool(np.array_equal(head.decode(scores), head.decode(saved["scores"]))),
        "keras": {name: float(value) for name, value in keras_metrics.items()},
        "numpy": numpy_truth(head, scores, saved["y"]),
        "seconds": round(time.perf_counter() - start, 2),
    }


def runs_without_tensorflow() -> bool:
    """Whether heads, encode/decode, check and HeadGuard ran without importing TensorFlow.

    Run first, in a fresh process: Keras itself imports TensorFlow (when installed)
    in ``keras.utils.set_random_seed`` and when it serializes a model, on any backend.
    """
    import keras
    from keras import ops

    import safeheads

    rng = np.random.RandomState(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    for task, n, y in (
        ("binary", None, np.asarray([0, 1] * 8)),
        ("multiclass", 3, np.asarray([0, 1, 2, 1] * 4)),
        ("multilabel", 2, np.asarray([[0, 1], [1, 1], [1, 0], [0, 0]] * 4)),
    ):
        head = safeheads.classification_head(task, n)
        model = keras.Sequential([keras.Input((3,)), head.layer])
        model.compile("adam", loss=head.loss, metrics=head.metrics)
        encoded = head.encode(ops.convert_to_tensor(y))
        model.fit(x, encoded, verbose=0, callbacks=[safeheads.HeadGuard()])
        model.evaluate(x, encoded, verbose=0)
        head.decode(model.predict(x, verbose=0))
        head.decode(model(x))
        safeheads.check(model, encoded)
    return "tensorflow" not in sys.modules


# ----------------------------------------------------------------------------- bad labels


def _outcome(call: Any) -> dict[str, Any]:
    """What ``call()`` did: the error it raised (type, first line) or its value."""
    try:
        value = call()
    except Exception as err:  # record whatever the backend raises
        text = str(err).strip()
        if len(text) > 3000:  # TensorFlow adds a traceback of the graph in the middle
            text = text[:1500] + " ... " + text[-1500:]
        return {"raised": type(err).__name__, "message": text}
    return {"value": np.asarray(value, dtype=np.float64).tolist()}


def out_of_range(backend: str) -> dict[str, Any]:
    """Sparse label 5 for a 3-class head: raw Keras per backend, then head.encode."""
    import keras
    from keras import ops

    import safeheads

    keras.utils.set_random_seed(0)
    head = safeheads.classification_head("multiclass", 3)
    y_bad = np.asarray(BAD_LABELS, dtype="int32")
    rng = np.random.RandomState(0)
    x = rng.normal(size=(len(BAD_LABELS), 4)).astype("float32")
    probs = np.full((len(BAD_LABELS), 3), 1 / 3, dtype="float32")
    record: dict[str, Any] = {}
    record["loss_per_sample"] = _outcome(
        lambda: ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(y_bad, probs))
    )

    def fit(jit_compile: Any) -> Any:
        model = keras.Sequential([keras.Input((4,)), head.layer])
        model.compile("sgd", loss=head.loss, jit_compile=jit_compile)
        return model.fit(x, y_bad, batch_size=len(BAD_LABELS), verbose=0).history["loss"][0]

    record["fit"] = _outcome(lambda: fit("auto"))
    if backend == "tensorflow":
        record["fit_xla"] = _outcome(lambda: fit(True))
    record["encode"] = _outcome(lambda: head.encode(y_bad))
    record["encode_native"] = _outcome(lambda: head.encode(ops.convert_to_tensor(y_bad)))

    # the doctor: check() names them, HeadGuard stops fit() before the first batch (a
    # fresh head: XLA's NaN loss above has turned the first one's weights into NaN)
    head = safeheads.classification_head("multiclass", 3)
    model = keras.Sequential([keras.Input((4,)), head.layer], name="clf")
    model.compile("sgd", loss=head.loss)
    report = safeheads.check(model, y_bad)
    record["check_codes"] = list(report.codes)
    record["check_messages"] = [finding.message for finding in report.findings]

    def guarded_fit(y: Any) -> Any:
        guard = safeheads.HeadGuard()
        return model.fit(x, y, epochs=1, verbose=0, callbacks=[guard]).history["loss"]

    record["guard"] = _outcome(lambda: guarded_fit(y_bad))
    record["guard_native"] = _outcome(lambda: guarded_fit(ops.convert_to_tensor(y_bad)))
    record["guard_valid"] = _outcome(lambda: guarded_fit(np.asarray([0, 1, 2, 1, 1, 0, 2, 1])))
    # A label tensor in a graph (PyTorch: one that requires grad) trains as it does without
    # the guard; the guard reads it as encode does.
    valid = ops.convert_to_tensor(np.asarray([0, 1, 2, 1, 1, 0, 2, 1], dtype="float32"))
    if backend == "torch":
        valid = valid.clone().requires_grad_(True)
    record["guard_valid_graph"] = _outcome(lambda: guarded_fit(valid))
    return record


def doctor_mismatch() -> dict[str, Any]:
    """A hand-written mismatched head: one softmax unit trained with binary crossentropy."""
    import keras

    import safeheads

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "softmax")], name="clf")
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.RandomState(0).normal(size=(8, 4)).astype("float32")
    y = np.asarray([0, 1] * 4)
    report = safeheads.check(model, y)
    guard = safeheads.HeadGuard()
    return {
        "check_codes": list(report.codes),
        "check_messages": [finding.message for finding in report.findings],
        "guard": _outcome(lambda: model.fit(x, y, verbose=0, callbacks=[guard])),
    }


# ----------------------------------------------------------------------------- main


def _guarded(call: Any) -> Any:
    try:
        return call()
    except Exception:
        return {"crashed": traceback.format_exc()[-3000:]}


def run_backend(
    out_dir: pathlib.Path, load_dirs: list[pathlib.Path], *, fresh: bool = True
) -> dict[str, Any]:
    """Run everything on the current backend; save under ``out_dir/<backend>``.

    ``fresh`` says whether this process imported Keras and safeheads just now (a
    subprocess), so that which modules safeheads imported can be told.
    """
    started = time.perf_counter()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    tf_before = "tensorflow" in sys.modules
    import safeheads

    backend = keras.backend.backend()
    report: dict[str, Any] = {
        "backend": backend,
        "keras_version": keras.__version__,
        "backend_version": sys.modules[backend].__version__,
        "safeheads_version": safeheads.__version__,
        "fresh": fresh,
        "tensorflow_imported_by_keras": tf_before,
        "tensorflow_imported_by_safeheads": "tensorflow" in sys.modules and not tf_before,
        "import_seconds": round(time.perf_counter() - started, 2),
    }
    if fresh:
        report["runs_without_tensorflow"] = _guarded(runs_without_tensorflow)
    save_dir = out_dir / backend
    save_dir.mkdir(parents=True, exist_ok=True)
    report["heads"] = {c["id"]: _guarded(lambda c=c: run_head(c, save_dir)) for c in CONFIGS}
    report["loads"] = {
        load_dir.name: load_all(load_dir) for load_dir in load_dirs if load_dir.name != backend
    }
    report["out_of_range"] = _guarded(lambda: out_of_range(backend))
    report["doctor_mismatch"] = _guarded(doctor_mismatch)
    report["ranking_ties"] = _guarded(ranking_ties)
    report["subnormal_outputs"] = _guarded(subnormal_outputs)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def ranking_ties() -> dict[str, Any]:
    """precision@2 / recall@2 of a constant output and min_labels on tied, zero and
    subnormal outputs (ties go to the lower label index), and
    the sparse focal loss of id -1 (refused on TensorFlow, NaN elsewhere)."""
    import keras
    import numpy as np

    import safeheads

    y = np.array([[0, 0, 0, 1, 1, 1, 1, 1]], "float32")
    scores = np.full((1, 8), 0.5, "float32")
    result = {}
    for metric in (safeheads.PrecisionAtK(2), safeheads.RecallAtK(2)):
        metric.update_state(y, scores)
        result[metric.name] = float(keras.ops.convert_to_numpy(metric.result()))
    # min_labels: decode adds tied labels from the lowest index, and so must the metrics
    # (torch.topk ordered ties otherwise); subnormal probabilities rank as 0 everywhere.
    for name, labels, outputs, k in (
        ("min_labels_ties", [[1, 1, 0, 0]], np.full((1, 4), 0.5, "float32"), 2),
        ("min_labels_zeros", [[1] * 5 + [0] * 59], np.zeros((1, 64), "float32"), 5),
        ("min_labels_subnormal", [[1, 0, 1]], np.array([[0.0, 1e-40, 0.2]], "float32"), 2),
    ):
        head = safeheads.classification_head(
            "multilabel", len(labels[0]), threshold=0.7, min_labels=k
        )
        exact = head.metrics[0]
        exact.update_state(np.array(labels, "float32"), outputs)
        decided = head.decode(outputs).tolist()
        result[name] = (decided == labels, float(keras.ops.convert_to_numpy(exact.result())))
    loss = safeheads.SoftmaxCrossentropy(focal_gamma=2.0, from_logits=True)
    try:
        value = loss(np.array([2, -1]), np.array([[0.0, 0.0, 5.0], [1.0, 0.0, 0.0]], "float32"))
        result["loss_of_id_minus_1"] = repr(float(keras.ops.convert_to_numpy(value)))
    except Exception as err:  # TensorFlow stops the step
        result["loss_of_id_minus_1"] = type(err).__name__
    return result


def subnormal_outputs() -> dict[str, Any]:
    """decode and the head's metrics on float32 subnormal logits, before and after tuning.

    Each agreement is the label accuracy of the metric against decode's own decisions
    (1.0 when the two decide alike)."""
    import keras
    import numpy as np

    import safeheads

    scores = np.array([[1e-40, -1e-40, 3e-41, -2.0], [0.0, -1.0, -1e-41, 2.0]], "float32")
    y = np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    result: dict[str, Any] = {}
    for name in ("default", "tuned"):
        current = safeheads.classification_head("multilabel", 4, from_logits=True)
        if name == "tuned":
            current = current.tune_thresholds(y, scores)
        decided = current.decode(scores)
        metric = next(m for m in current.metrics if m.name == "label_accuracy")
        metric.update_state(decided, scores)
        result[name] = decided.tolist()
        result[f"{name}_agreement"] = float(keras.ops.convert_to_numpy(metric.result()))
    return result


def load_all(load_dir: pathlib.Path) -> dict[str, Any]:
    """`load_head` for every head saved in ``load_dir``."""
    return {c["id"]: _guarded(lambda c=c: load_head(c, load_dir)) for c in CONFIGS}


def main(argv: list[str]) -> int:
    out_dir = pathlib.Path(argv[0])
    report = run_backend(out_dir, [pathlib.Path(path) for path in argv[1:]])
    (out_dir / f"{report['backend']}.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
