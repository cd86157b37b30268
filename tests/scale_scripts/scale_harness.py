"""Every safeheads head in one multi-output model: build, train, measure, save, reload.

Shared by the scale checks: ``check_mirrored.py`` and ``check_jax.py`` run it in a fresh
process (after the doc snippet has set up the devices) and write what they measured to a
folder; ``tests/test_scale.py`` runs it in-process under mixed precision policies. Nothing
here compares against a truth: the test computes the numpy truth from the saved labels and
``predict`` outputs, so a wrong metric cannot agree with itself.

One model holds every head (one output per head, on a shared hidden layer) so that each
backend / strategy / policy traces ``fit``, ``evaluate`` and ``predict`` once, not once per
head: that keeps the whole scale suite within CI's time budget on two cores.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import safeheads

N_FEATURES = 6
N_CLASSES = 3
N_LABELS = 3

#: (id, classification_head keyword arguments). Every valid task x labels x from_logits
#: combination, with thresholds other than 0.5 (one global, one per label) so that the
#: threshold's conversion to logit space is exercised under every strategy and policy.
BASE_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("binary_probs", {"task": "binary"}),
    ("binary_logits", {"task": "binary", "from_logits": True, "threshold": 0.3}),
    ("multiclass_sparse_probs", {"task": "multiclass", "n": N_CLASSES}),
    ("multiclass_sparse_logits", {"task": "multiclass", "n": N_CLASSES, "from_logits": True}),
    ("multiclass_one_hot_probs", {"task": "multiclass", "n": N_CLASSES, "labels": "one_hot"}),
    (
        "multiclass_one_hot_logits",
        {"task": "multiclass", "n": N_CLASSES, "labels": "one_hot", "from_logits": True},
    ),
    ("multilabel_probs", {"task": "multilabel", "n": N_LABELS, "threshold": [0.3, 0.5, 0.7]}),
    (
        "multilabel_logits",
        {"task": "multilabel", "n": N_LABELS, "from_logits": True, "threshold": 0.4},
    ),
]

#: Imbalance options (label priors, logit adjustment, tuned thresholds, pos_weight, focal
#: loss, label smoothing, top-k metrics), used only when `classification_head` accepts them.
#: ``"prior": True`` stands for the training labels; ``"tune": True`` tunes the head with
#: ``head.tune_thresholds`` on the predictions after training (under the strategy).
EXTRA_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    (
        "binary_logits_prior_tuned",
        {"task": "binary", "from_logits": True, "prior": True, "tune": True},
    ),
    (
        "binary_probs_balanced_pos_weight",
        {"task": "binary", "prior": True, "pos_weight": "balanced"},
    ),
    (
        "multiclass_sparse_probs_adjusted",
        {"task": "multiclass", "n": N_CLASSES, "prior": True, "logit_adjustment": 0.8},
    ),
    (
        "multiclass_one_hot_logits_tuned",
        {
            "task": "multiclass",
            "n": N_CLASSES,
            "labels": "one_hot",
            "from_logits": True,
            "prior": True,
            "tune": True,
        },
    ),
    (
        "multiclass_sparse_logits_smoothing_focal",
        {
            "task": "multiclass",
            "n": N_CLASSES,
            "from_logits": True,
            "label_smoothing": 0.1,
            "focal_gamma": 1.0,
        },
    ),
    (
        "multilabel_logits_prior_tuned",
        {"task": "multilabel", "n": N_LABELS, "from_logits": True, "prior": True, "tune": True},
    ),
    (
        "multilabel_probs_pos_weight_top_k",
        {"task": "multilabel", "n": N_LABELS, "pos_weight": [2.0, 1.0, 3.0], "top_k": 2},
    ),
    (
        "multilabel_logits_focal_smoothing",
        {
            "task": "multilabel",
            "n": N_LABELS,
            "from_logits": True,
            "focal_gamma": 2.0,
            "label_smoothing": 0.1,
        },
    ),
]

_NOT_ARGUMENTS = {"task", "n", "tune"}


def head_configs() -> list[tuple[str, dict[str, Any]]]:
    """The head configurations the installed safeheads supports, each with an id."""
    accepted = set(inspect.signature(safeheads.classification_head).parameters)
    extras = [
        (cid, kwargs)
        for cid, kwargs in EXTRA_CONFIGS
        if set(kwargs) - _NOT_ARGUMENTS <= accepted
        and (not kwargs.get("tune") or hasattr(safeheads.Head, "tune_thresholds"))
    ]
    return BASE_CONFIGS + extras


def make_head(kwargs: dict[str, Any], name: str, labels: Any = None) -> safeheads.Head:
    """Build the head of one configuration (``labels`` stand in for ``prior=True``)."""
    options = {key: value for key, value in kwargs.items() if key not in _NOT_ARGUMENTS}
    if options.get("prior") is True:
        options["prior"] = labels
    return safeheads.classification_head(kwargs["task"], kwargs.get("n"), name=name, **options)


def make_data(
    configs: list[tuple[str, dict[str, Any]]], n_samples: int, seed: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, Any]]:
    """Inputs, raw labels per configuration (learnable from x), and out-of-range labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, N_FEATURES)).astype("float32")
    raw: dict[str, np.ndarray] = {}
    bad: dict[str, Any] = {}
    for cid, kwargs in configs:
        task = kwargs["task"]
        noise = rng.normal(scale=0.5, size=(n_samples, 1 if task == "binary" else 3))
        scores = x @ rng.normal(size=(N_FEATURES, noise.shape[1])) + noise
        if task == "binary":
            raw[cid] = (scores[:, 0] > 0.3).astype("int64")
            bad[cid] = [0, 1, 2, 1]
        elif task == "multiclass":
            raw[cid] = scores.argmax(axis=1).astype("int64")
            bad[cid] = [0, 1, N_CLASSES, 2]
        else:
            raw[cid] = (scores > 0.5).astype("int64")
            bad[cid] = [[0], [1, N_LABELS], [2]]
    return x, raw, bad


def build_model(heads: dict[str, safeheads.Head]) -> keras.Model:
    """A tiny functional model with one output per head (call inside a strategy scope)."""
    inputs = keras.Input((N_FEATURES,), name="x")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = {cid: head.layer(hidden) for cid, head in heads.items()}
    model = keras.Model(inputs, outputs, name="all_heads")
    compile_heads(model, heads)
    return model


def compile_heads(
    model: keras.Model, heads: dict[str, safeheads.Head], optimizer: Any = None
) -> None:
    """Compile ``model`` with each head's loss and metrics (inside the strategy scope)."""
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(0.01),
        loss={cid: head.loss for cid, head in heads.items()},
        metrics={cid: head.metrics for cid, head in heads.items()},
    )


def _metric_state(head: safeheads.Head) -> dict[str, dict[str, np.ndarray]]:
    """Every metric variable after evaluate, read as numpy (replicas summed on read)."""
    state: dict[str, dict[str, np.ndarray]] = {}
    for metric in head.metrics:
        if type(metric).__module__.startswith("safeheads"):
            state[metric.name] = {
                variable.name: keras.ops.convert_to_numpy(keras.ops.convert_to_tensor(variable))
                for variable in metric.variables
            }
    return state


def _dtype(value: Any) -> str:
    return keras.backend.standardize_dtype(keras.ops.convert_to_tensor(value).dtype)


def run(
    configs: list[tuple[str, dict[str, Any]]],
    *,
    n_samples: int,
    batch_size: int,
    epochs: int,
    scope: Callable[[], Any] | None = None,
    outside: Callable[[], Any] | None = None,
    save_dir: str | None = None,
) -> dict[str, Any]:
    """Build, train, predict, evaluate, save and reload every head; return what was seen.

    Training uses whole batches only (a partial batch would trace ``fit`` twice); predict
    and evaluate see all ``n_samples`` rows, so their last batch is split unevenly
    across replicas when ``n_samples % batch_size`` is odd.

    Args:
        configs: From `head_configs`.
        n_samples: Rows of data.
        batch_size: Global batch size (split across replicas by the strategy).
        epochs: Training epochs.
        scope: ``strategy.scope`` (or ``None``): heads, model and reload are built in it.
        outside: A context with no distribution at all, for the out-of-range label
            message to compare against (default: plainly outside ``scope``).
        save_dir: Folder for the ``.keras`` file (a temporary one when ``None``).

    Returns:
        ``{"arrays": {name: ndarray}, "facts": {...}, "model": ..., "heads": ...}``;
        arrays and facts (JSON-able) are what `dump` writes.
    """
    seconds: dict[str, list[float]] = {}
    clock = (time.perf_counter(), time.process_time())

    def lap(phase: str) -> None:
        """Record the wall and CPU seconds of a phase (the CPU is shared in CI)."""
        nonlocal clock
        now = (time.perf_counter(), time.process_time())
        seconds[phase] = [round(now[0] - clock[0], 2), round(now[1] - clock[1], 2)]
        clock = now

    x, raw, bad = make_data(configs, n_samples)
    with (scope or _null)():
        heads = {cid: make_head(kwargs, cid, raw[cid]) for cid, kwargs in configs}
        model = build_model(heads)
    y = {cid: heads[cid].encode(raw[cid]) for cid, _ in configs}
    lap("build")
    rows = n_samples - n_samples % batch_size
    guard_warnings: list[str] = []
    guard = safeheads.HeadGuard() if hasattr(safeheads, "HeadGuard") else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(
            x[:rows],
            {cid: labels[:rows] for cid, labels in y.items()},
            batch_size=batch_size,
            epochs=epochs,
            verbose=0,
            shuffle=False,
            callbacks=[] if guard is None else [guard],
        )
    guard_warnings = [str(w.message) for w in caught if "safeheads" in type(w.message).__module__]
    lap("fit")
    predicted = model.predict(x, batch_size=batch_size, verbose=0)
    outputs = {cid: np.asarray(out) for cid, out in predicted.items()}
    lap("predict")
    if any(kwargs.get("tune") for _, kwargs in configs):
        # Recompile with the tuned heads' metrics. Every head gets fresh metric objects:
        # Keras' evaluate does not reset metrics that a previous compile used in fit
        # (measured with Keras 3.15), so reused ones would add the fit counts.
        with (scope or _null)():
            for cid, kwargs in configs:
                if kwargs.get("tune"):
                    heads[cid] = heads[cid].tune_thresholds(raw[cid], outputs[cid])
                else:
                    heads[cid] = safeheads.Head(heads[cid].layer)
            compile_heads(model, heads, model.optimizer)  # keeps the trained state
    evaluated = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    lap("evaluate")
    arrays: dict[str, np.ndarray] = {"x": x}
    facts: dict[str, Any] = {
        "history_loss": [float(v) for v in history.history["loss"]],
        "evaluate": {key: float(value) for key, value in evaluated.items()},
        "hidden_compute_dtype": model.get_layer("hidden").compute_dtype,
        "n_samples": n_samples,
        "batch_size": batch_size,
        "guard": None
        if guard is None
        else {"ok": guard.report.ok, "codes": list(guard.report.codes), "warnings": guard_warnings},
        "phase_seconds": seconds,
        "heads": {},
    }
    for cid, head in heads.items():
        arrays[f"y__{cid}"] = np.asarray(y[cid])
        arrays[f"out__{cid}"] = outputs[cid]
        arrays[f"decode__{cid}"] = np.asarray(head.decode(outputs[cid]))
        for metric_name, variables in _metric_state(head).items():
            for variable_name, value in variables.items():
                arrays[f"state__{cid}__{metric_name}__{variable_name}"] = value
        loss_on_outputs = head.loss(y[cid], outputs[cid])
        loss_on_half = head.loss(y[cid], keras.ops.cast(outputs[cid], "float16"))
        threshold = head.threshold
        facts["heads"][cid] = {
            "threshold": list(threshold) if isinstance(threshold, tuple) else threshold,
            "prior": _optional_list(getattr(head.layer, "prior", None)),
            "logit_adjustment": getattr(head.layer, "logit_adjustment", None),
            "pos_weight": _optional_list(getattr(head.layer, "pos_weight", None)),
            "focal_gamma": getattr(head.layer, "focal_gamma", 0.0),
            "label_smoothing": getattr(head.layer, "label_smoothing", 0.0),
            "loss_class": type(head.loss).__name__,
            "metric_names": [metric.name for metric in head.metrics],
            "layer_policy": head.layer.dtype_policy.name,
            "layer_compute_dtype": head.layer.compute_dtype,
            "layer_variable_dtype": head.layer.variable_dtype,
            "kernel_dtype": _dtype(head.layer.kernel.value),
            "symbolic_output_dtype": str(head.layer.output.dtype),
            "predict_dtype": str(outputs[cid].dtype),
            "loss_dtype": str(head.loss.dtype),
            "loss_value_dtype": _dtype(loss_on_outputs),
            "loss_value": float(keras.ops.convert_to_numpy(loss_on_outputs)),
            "loss_on_float16_dtype": _dtype(loss_on_half),
            "metric_dtypes": {metric.name: str(metric.dtype) for metric in head.metrics},
            "encode_error": {
                "outside": _encode_error(head, bad[cid], outside or _null),
                "inside": _encode_error(head, bad[cid], scope or _null),
            },
            "repr": repr(head),
        }
    lap("checks")
    folder = pathlib.Path(save_dir or tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "all_heads.keras")
    with (scope or _null)():
        loaded = keras.saving.load_model(folder / "all_heads.keras")
    reloaded_outputs = loaded.predict(x, batch_size=batch_size, verbose=0)
    for cid in heads:
        arrays[f"reload_out__{cid}"] = np.asarray(reloaded_outputs[cid])
        reloaded_layer = loaded.get_layer(cid)
        facts["heads"][cid]["reload_repr"] = repr(safeheads.Head(reloaded_layer))
        facts["heads"][cid]["reload_compute_dtype"] = reloaded_layer.compute_dtype
    lap("save_load_predict")
    return {"arrays": arrays, "facts": facts, "model": model, "heads": heads}


def guard_stops(
    *, scope: Callable[[], Any] | None = None, outside: Callable[[], Any] | None = None
) -> dict[str, str]:
    """What ``fit`` raises for out-of-range class ids, outside and inside the distribution.

    With `safeheads.HeadGuard` (when it exists) and without it: the guard must stop the
    labels with the same message under the strategy; without it the record shows what
    Keras does on this backend (informative only).
    """
    x = np.zeros((8, N_FEATURES), "float32")
    y = np.array([0, 1, 2, N_CLASSES] * 2)  # N_CLASSES is one past the last class id
    messages: dict[str, str] = {}
    guards = ["guard", "no_guard"] if hasattr(safeheads, "HeadGuard") else ["no_guard"]
    for guarded in guards:
        for where, context in (("outside", outside or _null), ("inside", scope or _null)):
            with context():
                head = safeheads.classification_head("multiclass", N_CLASSES, name="guarded_head")
                model = keras.Sequential([keras.Input((N_FEATURES,)), head.layer], name="guarded")
                model.compile("adam", loss=head.loss, metrics=head.metrics)
                callbacks = [safeheads.HeadGuard()] if guarded == "guard" else []
                try:
                    history = model.fit(
                        x, y, batch_size=4, epochs=1, verbose=0, callbacks=callbacks
                    )
                except Exception as error:
                    text = str(error).strip().splitlines()
                    messages[f"{guarded}_{where}"] = (
                        f"{type(error).__name__}: {chr(10).join(text) if guarded == 'guard' else text[0]}"
                    )
                else:
                    messages[f"{guarded}_{where}"] = f"no error, loss {history.history['loss']}"
    return messages


def _optional_list(value: Any) -> Any:
    """A tuple as a list (JSON), anything else as it is."""
    return list(value) if isinstance(value, tuple) else value


def _encode_error(head: safeheads.Head, labels: Any, context: Callable[[], Any]) -> str:
    """``"ErrorType: message"`` raised by ``head.encode(labels)`` inside ``context``."""
    with context():
        try:
            head.encode(labels)
        except Exception as error:
            return f"{type(error).__name__}: {error}"
    return "no error"


class _null:
    """A do-nothing context manager (``contextlib.nullcontext`` without arguments)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def dump(results: dict[str, Any], out_dir: str) -> None:
    """Write ``results`` as ``arrays.npz`` and ``facts.json`` under ``out_dir``."""
    folder = pathlib.Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "arrays.npz", **results["arrays"])
    (folder / "facts.json").write_text(json.dumps(results["facts"], indent=1, sort_keys=True))
