"""Scaling out: mixed precision, tf.distribute.MirroredStrategy and JAX data parallelism.

Every head (every task x labels x from_logits, plus the imbalance options the installed
safeheads has) is trained in one multi-output model by ``scale_scripts/scale_harness.py``:

- in this process under the ``mixed_float16`` and ``mixed_bfloat16`` global policies
  (restored right after);
- in a fresh process under ``tf.distribute.MirroredStrategy`` on two logical CPU devices
  (``scale_scripts/check_mirrored.py``);
- in a fresh process on the JAX backend with ``keras.distribution.DataParallel`` over two
  XLA host devices (``scale_scripts/check_jax.py``; skipped when jax is not installed).

The two subprocesses start together when the first test of this file runs and work while
the mixed precision tests run here, so the file costs about the CPU time of its slowest
part on a two-core machine. The scripts only measure; every comparison with the numpy
truth (computed here from the labels and ``predict`` outputs they saved) is made below.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import os
import pathlib
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pytest

import safeheads

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scale_scripts"
DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "scaling.md"
sys.path.insert(0, str(SCRIPTS))
import scale_harness  # noqa: E402

CONFIGS = scale_harness.head_configs()
CONFIG = dict(CONFIGS)
IDS = [cid for cid, _ in CONFIGS]
N_SAMPLES = 101  # the last batch of 16 has 5 rows: 3 and 2 on two replicas
BATCH = 16
POLICIES = ["mixed_float16", "mixed_bfloat16"]
HAS_JAX = importlib.util.find_spec("jax") is not None
DISTRIBUTED = [
    "mirrored",
    pytest.param("jax", marks=pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")),
]
#: The heads' AUC is binned (`_binned_auc`); a score within float32 rounding of a threshold
#: may land on either side of it in the graph (which reads the logits a sigmoid keeps).
AUC_TOLERANCE = 1e-3
SUBPROCESS_TIMEOUT_S = 900


# ----------------------------------------------------------------------- subprocesses


class _Run:
    """One check script in a fresh Python process, writing to its own folder."""

    def __init__(self, script: str, env: dict[str, str]) -> None:
        self.script = script
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix=f"safeheads_{script}_"))
        self.log = (self.folder / "log.txt").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPTS / f"{script}.py"), str(self.folder / "out")],
            cwd=SCRIPTS,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._results: dict[str, Any] | None = None

    def results(self) -> dict[str, Any]:
        if self._results is None:
            code = self.process.wait(timeout=SUBPROCESS_TIMEOUT_S)
            self.log.close()
            if code != 0:
                tail = (self.folder / "log.txt").read_text()[-6000:]
                pytest.fail(f"{self.script}.py exited with {code}:\n{tail}")
            out = self.folder / "out"
            with np.load(out / "arrays.npz") as arrays:
                self._results = {
                    "arrays": dict(arrays),
                    "facts": json.loads((out / "facts.json").read_text()),
                }
        return self._results

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


_SCRIPTS = {
    "mirrored": ("check_mirrored", {"KERAS_BACKEND": "tensorflow"}),
    "jax": ("check_jax", {}),  # the documented snippet sets KERAS_BACKEND and XLA_FLAGS
}


@pytest.fixture(scope="module", autouse=True)
def _runs(request: pytest.FixtureRequest) -> Iterator[dict[str, _Run]]:
    """Start the subprocesses that the selected tests need, all at once."""
    selected = " ".join(item.nodeid for item in request.session.items)
    runs = {
        name: _Run(script, env)
        for name, (script, env) in _SCRIPTS.items()
        if (f"test_scale.py::test_{name}" in selected or f"[{name}" in selected)
        and (name != "jax" or HAS_JAX)
    }
    yield runs
    for run in runs.values():
        run.stop()


@pytest.fixture(scope="module", params=DISTRIBUTED)
def distributed(request: pytest.FixtureRequest, _runs: dict[str, _Run]) -> dict[str, Any]:
    """What the check script of one distribution saw."""
    return _runs[request.param].results()


# ----------------------------------------------------------------------- mixed precision


@pytest.fixture(scope="module", params=POLICIES)
def mixed(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every head trained under a global mixed policy; the policy is restored at once."""
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(request.param)
    try:
        results = scale_harness.run(CONFIGS, n_samples=N_SAMPLES, batch_size=BATCH, epochs=2)
        results["edges"] = _threshold_edges()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    results["policy"] = request.param
    return results


def _threshold_edges() -> dict[str, list[int]]:
    """Decisions on the two float32 neighbours of a cut, under the current policy.

    The cut of threshold 0.3 in logit space, log(0.3 / 0.7) ~ -0.847, and its float32
    neighbours are one float16 value: a metric or decode that computed in float16 (or
    bfloat16) would put both on the same side.
    """
    head = safeheads.classification_head("binary", from_logits=True, threshold=0.3)
    cut = np.float32(math.log(0.3 / 0.7))
    outputs = np.array(
        [[np.nextafter(cut, np.float32(1))], [np.nextafter(cut, np.float32(-1))]], np.float32
    )
    assert np.float16(outputs[0, 0]) == np.float16(outputs[1, 0])  # they do collide in float16
    y = np.array([[1.0], [0.0]], np.float32)
    edges = {"decode": head.decode(outputs).tolist()}
    for metric in head.metrics:
        if metric.name in ("accuracy", "precision", "recall"):
            metric.update_state(y, outputs)
            edges[metric.name] = [float(metric.result())]
    return edges


@pytest.mark.parametrize("cid", IDS)
def test_mixed_head_layer_computes_and_outputs_float32(mixed: dict[str, Any], cid: str) -> None:
    facts = mixed["facts"]
    body = "float16" if mixed["policy"] == "mixed_float16" else "bfloat16"
    assert facts["hidden_compute_dtype"] == body  # the policy was in force
    head = facts["heads"][cid]
    assert (head["layer_policy"], head["layer_compute_dtype"], head["layer_variable_dtype"]) == (
        "float32",
        "float32",
        "float32",
    )
    assert head["kernel_dtype"] == "float32"
    assert head["symbolic_output_dtype"] == "float32"
    assert head["predict_dtype"] == "float32"
    assert head["reload_compute_dtype"] == "float32"  # .keras reloaded under the policy
    assert set(head["metric_dtypes"].values()) == {"float32"}


@pytest.mark.parametrize("cid", IDS)
def test_mixed_loss_is_float32_and_equals_numpy(mixed: dict[str, Any], cid: str) -> None:
    head = mixed["facts"]["heads"][cid]
    assert head["loss_dtype"] == "float32"
    assert head["loss_value_dtype"] == "float32"
    assert head["loss_on_float16_dtype"] == "float32"  # float16 outputs are cast up first
    y, outputs = mixed["arrays"][f"y__{cid}"], mixed["arrays"][f"out__{cid}"]
    expected = _reference_loss(CONFIG[cid], head, y, outputs)
    assert head["loss_value"] == pytest.approx(expected, rel=1e-5)
    _check_evaluated_loss(mixed, cid)


@pytest.mark.parametrize("cid", IDS)
def test_mixed_metrics_and_decode_equal_numpy(mixed: dict[str, Any], cid: str) -> None:
    _check_metrics(mixed, cid)


@pytest.mark.parametrize("cid", IDS)
def test_mixed_save_load(mixed: dict[str, Any], cid: str) -> None:
    _check_save_load(mixed, cid)


def test_mixed_total_loss_weighs_every_row_alike(mixed: dict[str, Any]) -> None:
    _check_total_loss(mixed)


def test_mixed_trains_without_nan(mixed: dict[str, Any]) -> None:
    losses = mixed["facts"]["history_loss"]
    assert len(losses) == 2 and all(math.isfinite(loss) for loss in losses), losses
    for cid in IDS:
        assert np.isfinite(mixed["arrays"][f"out__{cid}"]).all(), cid
    guard = mixed["facts"]["guard"]
    if guard is not None:  # HeadGuard ran in fit: a mixed policy is no finding on our heads
        assert guard == {"ok": True, "codes": [], "warnings": []}


def test_mixed_threshold_cut_is_applied_in_float32(mixed: dict[str, Any]) -> None:
    assert mixed["edges"] == {
        "decode": [1, 0],
        "accuracy": [1.0],
        "precision": [1.0],
        "recall": [1.0],
    }


def test_mixed_policy_is_restored(mixed: dict[str, Any]) -> None:
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.fixture
def _float32_after() -> Iterator[None]:
    previous = keras.mixed_precision.global_policy().name
    yield
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.usefixtures("_float32_after")
@pytest.mark.skipif(not hasattr(safeheads, "check"), reason="safeheads.check is not there yet")
def test_mixed_doctor_reports_a_float16_output_layer_with_the_fix() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    hand_written = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(3, activation="softmax")],
        name="hand_written",
    )
    hand_written.compile("adam", loss="sparse_categorical_crossentropy")
    findings = {finding.code: finding for finding in safeheads.check(hand_written).findings}
    assert list(findings) == ["SH103"]
    finding = findings["SH103"]
    assert finding.severity == "warning"
    assert finding.message.startswith(
        f"The output layer {hand_written.layers[-1].name!r} computes in float16 under the "
        "'mixed_float16' dtype policy, so its scores lose precision"
    ), finding.message
    assert finding.fix.startswith(
        "Keep the output layer float32; safeheads heads do: pass `dtype='float32'` to the "
        "output layer"
    ), finding.fix
    layer, loss, metrics = safeheads.classification_head("multiclass", 3)
    ours = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), layer], name="ours")
    ours.compile("adam", loss=loss, metrics=metrics)
    assert ours.layers[0].compute_dtype == "float16"
    assert safeheads.check(ours).findings == ()


@pytest.mark.usefixtures("_float32_after")
def test_mixed_precision_snippet_runs_and_restores_the_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    runpy.run_path(str(SCRIPTS / "mixed_precision.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.startswith("Head('multiclass', 3, from_logits=True, labels='sparse') 0."), (
        printed
    )
    assert keras.mixed_precision.global_policy().name == "float32"


# ------------------------------------------------- tf.distribute and JAX DataParallel


def test_mirrored_runs_on_two_replicas(_runs: dict[str, _Run]) -> None:
    facts = _runs["mirrored"].results()["facts"]
    assert facts["replicas"] == 2
    assert facts["devices"] == [
        "/job:localhost/replica:0/task:0/device:CPU:0",
        "/job:localhost/replica:0/task:0/device:CPU:1",
    ]
    # each batch of 16 is split 8 + 8, the last one of 5 rows 3 + 2
    assert facts["custom_loop_rows_per_replica"] == [[8, 8]] * 6 + [[3, 2]]


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_jax_runs_data_parallel_on_two_devices(_runs: dict[str, _Run]) -> None:
    facts = _runs["jax"].results()["facts"]
    assert facts["backend"] == "jax"
    assert facts["distribution"] == "DataParallel"
    assert len(facts["devices"]) == 2, facts["devices"]
    assert "Mesh('batch': 2" in facts["kernel_sharding"]  # weights replicated on the mesh


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_jax_batches_must_split_evenly_across_devices(_runs: dict[str, _Run]) -> None:
    """What docs/scaling.md warns about: Keras does not pad a batch of 5 rows for 2 devices."""
    facts = _runs["jax"].results()["facts"]
    assert facts["odd_batch"] != "no error"
    assert "divide" in facts["odd_batch"], facts["odd_batch"]


def test_mirrored_custom_loop_metrics_aggregate_across_replicas(_runs: dict[str, _Run]) -> None:
    """safeheads metrics updated inside ``strategy.run`` count the rows of both replicas."""
    results = _runs["mirrored"].results()
    y = results["arrays"]["y__multilabel_probs"]
    decided = results["arrays"]["out__multilabel_probs"] > np.float32([0.3, 0.5, 0.7])
    counts = _counts(y, decided)
    expected = {
        "exact_match": (decided == y).all(axis=1).mean(),
        "accuracy": (decided == y).mean(),
        "precision": _ratio(counts["tp"].sum(), counts["tp"].sum() + counts["fp"].sum()),
        "recall": np.mean(
            [_ratio(tp, tp + fn) for tp, fn in zip(counts["tp"], counts["fn"], strict=True)]
        ),
        "f1": _macro_f1(counts),
    }
    got = results["facts"]["custom_loop"]
    assert got == pytest.approx(expected, abs=1e-6)


def test_mirrored_many_label_auc_counts_both_replicas(_runs: dict[str, _Run]) -> None:
    """120 labels: the XLA histogram update under the strategy scores every row once."""
    results = _runs["mirrored"].results()
    arrays = results["arrays"]
    metric = safeheads.RocAUC(120, spacing="logit")
    metric.update_state(arrays["many_labels_y"], arrays["many_labels_out"])
    assert results["facts"]["many_labels_auc"] == pytest.approx(float(metric.result()), abs=1e-6)


@pytest.mark.parametrize("cid", IDS)
def test_distributed_metrics_and_decode_equal_numpy(distributed: dict[str, Any], cid: str) -> None:
    """Evaluate on 101 rows in batches of 16 split over two devices: whole-data scores."""
    _check_metrics(distributed, cid)


@pytest.mark.parametrize("cid", IDS)
def test_distributed_loss_equals_numpy(distributed: dict[str, Any], cid: str) -> None:
    facts = distributed["facts"]
    y, outputs = distributed["arrays"][f"y__{cid}"], distributed["arrays"][f"out__{cid}"]
    expected = _reference_loss(CONFIG[cid], facts["heads"][cid], y, outputs)
    assert facts["heads"][cid]["loss_value"] == pytest.approx(expected, rel=1e-5)
    _check_evaluated_loss(distributed, cid)


def test_distributed_total_loss_weighs_every_row_alike(distributed: dict[str, Any]) -> None:
    _check_total_loss(distributed)


def test_distributed_trains_with_the_guard(distributed: dict[str, Any]) -> None:
    facts = distributed["facts"]
    losses = facts["history_loss"]
    assert len(losses) == 2 and all(math.isfinite(loss) for loss in losses), losses
    for cid in IDS:
        assert np.isfinite(distributed["arrays"][f"out__{cid}"]).all(), cid
    if hasattr(safeheads, "HeadGuard"):
        assert facts["guard"] == {"ok": True, "codes": [], "warnings": []}


@pytest.mark.parametrize("cid", IDS)
def test_distributed_save_load(distributed: dict[str, Any], cid: str) -> None:
    _check_save_load(distributed, cid)


@pytest.mark.parametrize("cid", IDS)
def test_distributed_encode_stops_out_of_range_labels_with_the_same_message(
    distributed: dict[str, Any], cid: str
) -> None:
    messages = distributed["facts"]["heads"][cid]["encode_error"]
    task = CONFIG[cid]["task"]
    expected = {
        "binary": "LabelFormatError: Expected labels for task='binary'. Received: sparse labels "
        "(4 values, n=3). ",
        "multiclass": "LabelFormatError: Expected class ids in [0, 3). Received: y[2]=3 ",
        "multilabel": "LabelFormatError: Expected class ids in [0, 3). Received: y[1][1]=3 ",
    }[task]
    assert messages["inside"] == messages["outside"]
    assert messages["inside"].startswith(expected), messages["inside"]


@pytest.mark.skipif(not hasattr(safeheads, "HeadGuard"), reason="HeadGuard is not there yet")
def test_distributed_guard_stops_out_of_range_labels_with_the_same_message(
    distributed: dict[str, Any],
) -> None:
    stops = distributed["facts"]["guard_stops"]
    assert stops["guard_inside"] == stops["guard_outside"]
    assert stops["guard_inside"].startswith(
        "HeadMismatchError: safeheads check of model 'guarded': 1 error\n"
    )
    assert (
        "error SH403: The output has 3 units, so class ids must be in [0, 3), but y[3]=3"
        in (stops["guard_inside"])
    )
    assert stops["guard_inside"].endswith(
        "safeheads.HeadGuard stopped training before the first batch."
    )


# ---------------------------------------------------------------------------- the docs


def _doc_snippets() -> dict[str, str]:
    pattern = re.compile(r"<!-- snippet: (\S+) -->\n```python\n(.*?)```\n", re.DOTALL)
    return dict(pattern.findall(DOC.read_text()))


def test_doc_snippets_are_the_scripts_the_tests_run() -> None:
    snippets = _doc_snippets()
    assert sorted(snippets) == [
        "tests/scale_scripts/jax_data_parallel.py",
        "tests/scale_scripts/mirrored.py",
        "tests/scale_scripts/mixed_precision.py",
    ]
    root = DOC.parents[1]
    for path, code in snippets.items():
        assert code == (root / path).read_text(), f"docs/scaling.md differs from {path}"


# ------------------------------------------------------------------ the numpy truth


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _counts(y: np.ndarray, decided: np.ndarray) -> dict[str, np.ndarray]:
    y, decided = y.astype(bool), decided.astype(bool)
    return {
        "tp": (decided & y).sum(axis=0).astype(np.float64),
        "fp": (decided & ~y).sum(axis=0).astype(np.float64),
        "fn": (~decided & y).sum(axis=0).astype(np.float64),
    }


def _macro_f1(counts: dict[str, np.ndarray]) -> float:
    scores = [
        _ratio(2 * tp, 2 * tp + fp + fn)
        for tp, fp, fn in zip(counts["tp"], counts["fp"], counts["fn"], strict=True)
    ]
    return float(np.mean(scores))


def _cut(threshold: Any, from_logits: bool) -> np.ndarray:
    """The threshold in the outputs' own space, in float32 as the heads apply it."""
    t = np.asarray(threshold, dtype=np.float64)
    return (np.log(t / (1 - t)) if from_logits else t).astype(np.float32)


def _decide(config: dict[str, Any], head: dict[str, Any], outputs: np.ndarray) -> np.ndarray:
    """Decisions from the head's parameters: thresholds, or (logit-adjusted) argmax."""
    from_logits = bool(config.get("from_logits"))
    if config["task"] != "multiclass":
        return (outputs > _cut(head["threshold"], from_logits)).astype(np.int64)
    scores = outputs.astype(np.float64)
    if head["logit_adjustment"]:
        if not from_logits:
            scores = np.log(np.maximum(scores, np.finfo(np.float32).tiny))
        prior = np.clip(np.asarray(head["prior"]), 1e-6, 1.0)
        scores = scores - head["logit_adjustment"] * np.log(prior)
    return scores.argmax(axis=1)


def _binned_auc(y: np.ndarray, scores: np.ndarray, from_logits: bool) -> float:
    """`RocAUC`'s documented definition (``spacing="logit"``): the trapezoid over the ROC
    points at probability 0, 1 and 198 thresholds whose logits are evenly spaced in
    [-10, 10]. (Against scikit-learn's exact AUC, 101 samples whose scores share buckets
    differed by up to 0.023: a bound for the binning, not for the distributed sums.)"""
    z = scores.astype(np.float64)
    if not from_logits:
        with np.errstate(divide="ignore"):
            z = np.log(z) - np.log1p(-z)
    cuts = np.concatenate([[-np.inf], np.linspace(-10.0, 10.0, 198), [np.inf]])
    positive = y.astype(bool)
    tpr = np.array([(z[positive] > cut).mean() for cut in cuts])
    fpr = np.array([(z[~positive] > cut).mean() for cut in cuts])
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


def _truth(
    config: dict[str, Any], head: dict[str, Any], y: np.ndarray, outputs: np.ndarray
) -> tuple[dict[str, float], dict[str, dict[str, np.ndarray]]]:
    """(metric name -> score, metric name -> expected variable values) from numpy."""
    task = config["task"]
    decided = _decide(config, head, outputs)
    scores: dict[str, float] = {}
    state: dict[str, dict[str, np.ndarray]] = {}
    if task == "multiclass":
        ids = y.argmax(axis=1) if y.ndim == 2 else y.astype(np.int64)
        correct = float((decided == ids).sum())
        scores["accuracy"] = correct / len(ids)
        if head["logit_adjustment"]:
            state["accuracy"] = {"correct": np.float64(correct), "total": np.float64(len(ids))}
        return scores, state
    counts = _counts(y, decided)
    equal = decided == y
    state_counts = {"tp": counts["tp"], "fp": counts["fp"], "fn": counts["fn"]}
    accuracy_state = {"correct": np.float64(equal.sum()), "total": np.float64(equal.size)}
    tp, fp, fn = (counts[key].sum() for key in ("tp", "fp", "fn"))
    if task == "binary":
        scores.update(
            accuracy=equal.mean(),
            precision=_ratio(tp, tp + fp),
            recall=_ratio(tp, tp + fn),
            auc=_binned_auc(y[:, 0], outputs[:, 0], bool(config.get("from_logits"))),
        )
        state.update(accuracy=accuracy_state, precision=state_counts, recall=state_counts)
        return scores, state
    scores.update(
        exact_match=equal.all(axis=1).mean(),
        label_accuracy=equal.mean(),
        micro_f1=_ratio(2 * tp, 2 * tp + fp + fn),
        macro_f1=_macro_f1(counts),
        auc=np.mean(
            [
                _binned_auc(y[:, j], outputs[:, j], bool(config.get("from_logits")))
                for j in range(y.shape[1])
            ]
        ),
    )
    state.update(
        exact_match={"matches": np.float64(equal.all(axis=1).sum()), "total": np.float64(len(y))},
        label_accuracy=accuracy_state,
        micro_f1=state_counts,
        macro_f1=state_counts,
    )
    k = config.get("top_k")
    if k:
        top = np.argsort(-outputs, axis=1, kind="stable")[:, :k]
        hits = np.take_along_axis(y, top, axis=1).sum(axis=1)
        positives = y.sum(axis=1)
        has = positives > 0
        scores[f"precision_at_{k}"] = float(np.mean(hits / k))
        scores[f"recall_at_{k}"] = float(np.mean(hits[has] / positives[has]))
        state[f"precision_at_{k}"] = {"score": np.sum(hits / k), "count": np.float64(len(y))}
        state[f"recall_at_{k}"] = {
            "score": np.sum(hits[has] / positives[has]),
            "count": np.float64(has.sum()),
        }
    return scores, state


def _check_metrics(results: dict[str, Any], cid: str) -> None:
    """Keras' evaluate scores, the metric variables and decode against the numpy truth."""
    config, head = CONFIG[cid], results["facts"]["heads"][cid]
    arrays, evaluated = results["arrays"], results["facts"]["evaluate"]
    y, outputs = arrays[f"y__{cid}"], arrays[f"out__{cid}"]
    assert len(y) == results["facts"]["n_samples"]
    scores, state = _truth(config, head, y, outputs)
    assert sorted(head["metric_names"]) == sorted(scores), "a metric without a numpy truth"
    for name, expected in scores.items():
        tolerance = AUC_TOLERANCE if name == "auc" else 1e-6
        got = evaluated[f"{cid}_{name}"]
        assert got == pytest.approx(expected, abs=tolerance), (name, got, expected)
    for name, variables in state.items():
        for variable, expected in variables.items():
            got = arrays[f"state__{cid}__{name}__{variable}"]
            np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=f"{name}.{variable}")
    np.testing.assert_array_equal(
        arrays[f"decode__{cid}"],
        _decide(config, head, outputs).reshape(arrays[f"decode__{cid}"].shape),
    )


def _check_save_load(results: dict[str, Any], cid: str) -> None:
    head = results["facts"]["heads"][cid]
    assert head["reload_repr"] == head["repr"]  # task, n, thresholds, prior, options
    np.testing.assert_allclose(
        results["arrays"][f"reload_out__{cid}"], results["arrays"][f"out__{cid}"], atol=1e-6
    )


def _check_total_loss(results: dict[str, Any]) -> None:
    """``evaluate()["loss"]``: the sum of the heads' losses, the partial last batch included."""
    arrays, heads = results["arrays"], results["facts"]["heads"]
    expected = sum(
        _reference_loss(CONFIG[cid], heads[cid], arrays[f"y__{cid}"], arrays[f"out__{cid}"])
        for cid in IDS
    )
    assert results["facts"]["evaluate"]["loss"] == pytest.approx(expected, rel=1e-5)


def _check_evaluated_loss(results: dict[str, Any], cid: str) -> None:
    """The per-head loss that ``evaluate`` reports, against numpy.

    Keras 3.15 weighs each step's per-output loss by the *static* batch size
    (``compile_utils.CompileLoss``), unknown inside a traced TensorFlow step, so the
    per-output losses of a multi-output model come out as plain means of the mean loss
    of each piece a replica computed: the partial last batch, split 3 + 2 over two
    replicas, counts as much as a full one. The value must be that, or the exact mean
    (as on JAX, whose traced shapes are static); the total ``loss`` is checked exactly
    in `_check_total_loss`.
    """
    config, head = CONFIG[cid], results["facts"]["heads"][cid]
    y, outputs = results["arrays"][f"y__{cid}"], results["arrays"][f"out__{cid}"]
    exact = _reference_loss(config, head, y, outputs)
    pieces = results["facts"].get("custom_loop_rows_per_replica") or [
        [min(BATCH, len(y) - start)] for start in range(0, len(y), BATCH)
    ]
    starts = np.cumsum([0] + [rows for batch in pieces for rows in batch])
    assert starts[-1] == len(y)
    piece_means = np.mean(
        [
            _reference_loss(config, head, y[start:stop], outputs[start:stop])
            for start, stop in itertools.pairwise(starts)
        ]
    )
    got = results["facts"]["evaluate"][f"{cid}_loss"]
    assert got == pytest.approx(exact, rel=1e-5) or got == pytest.approx(piece_means, rel=1e-5), (
        got,
        exact,
        piece_means,
    )


def _reference_loss(
    config: dict[str, Any], head: dict[str, Any], y: np.ndarray, outputs: np.ndarray
) -> float:
    """The head's documented loss in float64 numpy: mean over samples of the sample loss."""
    eps = 1e-7  # keras.config.epsilon()
    from_logits = bool(config.get("from_logits"))
    gamma, smoothing = head["focal_gamma"] or 0.0, head["label_smoothing"] or 0.0
    z = outputs.astype(np.float64)
    if config["task"] == "multiclass":
        if from_logits:
            log_p = z - z.max(axis=1, keepdims=True)
            log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        else:
            log_p = np.log(np.clip(z / z.sum(axis=1, keepdims=True), eps, 1 - eps))
        target = y if y.ndim == 2 else np.eye(z.shape[1])[y.astype(np.int64)]
        target = target * (1 - smoothing) + smoothing / z.shape[1]
        terms = (1 - np.exp(log_p)) ** gamma * log_p
        return float(np.mean(-(target * terms).sum(axis=1)))
    target = y.reshape(z.shape) * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        log_p, log_q = -np.logaddexp(0, -z), -np.logaddexp(0, z)
    else:
        p = np.clip(z, eps, 1 - eps)
        log_p, log_q = np.log(p), np.log(1 - p)
    weight = head["pos_weight"]
    if weight == "balanced":
        prior = np.asarray(head["prior"])
        weight = (1 - prior) / prior
    weight = 1.0 if weight is None else np.asarray(weight, dtype=np.float64)
    cross_entropy = -(weight * target * log_p + (1 - target) * log_q)
    if gamma:
        p = np.exp(log_p)
        p_t = target * p + (1 - target) * (1 - p)
        cross_entropy = (1 - p_t) ** gamma * cross_entropy
    return float(np.mean(cross_entropy.mean(axis=1)))
