"""Every head on every Keras backend: TensorFlow, JAX and PyTorch (issue 7).

A process cannot switch Keras backends, so tests/backend_scripts/check_backend.py
runs once in this process (on its backend, TensorFlow by default) and once in a
subprocess per other installed backend (``KERAS_BACKEND=jax`` / ``torch``). Each
run builds, fits, evaluates, predicts, encodes and decodes every head of
``configs.CONFIGS``, saves it as ``.keras``, loads what the earlier runs saved,
and records what happens to out-of-range sparse labels with and without
safeheads. A backend that is not installed is skipped (``pip install -e
".[jax]"`` / ``".[torch]"``). The runs happen once per session (about a minute
for the two subprocesses with nothing else running; see docs/backends.md); the
tests below only read their reports.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import pathlib
import subprocess
import sys
from typing import Any

import keras
import numpy as np
import pytest

from tests.backend_scripts import check_backend
from tests.backend_scripts.configs import BACKEND_MODULES, BACKENDS, CONFIG_IDS, CONFIGS

SCRIPT = pathlib.Path(check_backend.__file__)
HERE = keras.backend.backend()
#: This process' backend first, then the others in a fixed order: each run loads
#: what the runs before it saved, and this process finally loads the others' files.
ORDER = [HERE] + [backend for backend in BACKENDS if backend != HERE]
pytestmark = pytest.mark.skipif(
    HERE not in BACKENDS, reason=f"KERAS_BACKEND={HERE} is not one of {', '.join(BACKENDS)}"
)

# The metrics that count decisions: equal to the numpy truth up to float32 rounding.
COUNT_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "top_5_accuracy",
    "exact_match",
    "label_accuracy",
    "micro_f1",
    "macro_f1",
)
OUT_OF_RANGE = (
    "Expected class ids in [0, 3). Received: y[3]=5 (1 of 8 values out of range). "
    "Build the head with n=6, or fix those labels."
)


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(BACKEND_MODULES[backend]) is not None


def _run_subprocess(backend: str, out_dir: pathlib.Path, load_dirs: list[pathlib.Path]) -> Any:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, str(SCRIPT), str(out_dir), *map(str, load_dirs)]
    done = subprocess.run(
        command, cwd=SCRIPT.parent, env=env, capture_output=True, text=True, timeout=900
    )
    report_path = out_dir / f"{backend}.json"
    if done.returncode != 0 or not report_path.exists():
        return {"failed": f"exit code {done.returncode}\n{done.stderr[-4000:]}"}
    return json.loads(report_path.read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """backend -> report of check_backend.run_backend, for every installed backend."""
    out_dir = tmp_path_factory.mktemp("backends")
    ran: list[pathlib.Path] = []
    result: dict[str, Any] = {}
    for backend in ORDER:
        if not _installed(backend):
            continue
        if backend == HERE:
            # round-trip through JSON, as the subprocesses' reports do
            report = check_backend.run_backend(out_dir, [], fresh=False)
            result[backend] = json.loads(json.dumps(report))
        else:
            result[backend] = _run_subprocess(backend, out_dir, ran)
        ran.append(out_dir / backend)
    loads = {path.name: check_backend.load_all(path) for path in ran[1:]}
    result[HERE]["loads"].update(json.loads(json.dumps(loads)))
    return result


def _report(reports: dict[str, Any], backend: str) -> dict[str, Any]:
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed: pip install -e '.[{backend}]'")
    report = reports[backend]
    assert "failed" not in report, report.get("failed")
    return report  # type: ignore[no-any-return]


def _no_crash(record: dict[str, Any]) -> dict[str, Any]:
    assert "crashed" not in record, record.get("crashed")
    return record


# --------------------------------------------------------------------------- the runs


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_runs(reports: dict[str, Any], backend: str) -> None:
    report = _report(reports, backend)
    assert report["backend"] == backend
    assert report["keras_version"] == keras.__version__
    if report["fresh"]:
        # safeheads itself never imports TensorFlow; on JAX and torch Keras doesn't either
        assert report["tensorflow_imported_by_safeheads"] is False
        assert report["tensorflow_imported_by_keras"] is (backend == "tensorflow")
        # nor do heads, encode, decode, check and HeadGuard (Keras itself does in
        # keras.utils.set_random_seed and model.save, when TensorFlow is installed)
        assert report["runs_without_tensorflow"] is (backend != "tensorflow")


# --------------------------------------------------------------------------- every head


def _head_params() -> list[Any]:
    return [
        pytest.param(backend, config, id=f"{backend}-{config['id']}")
        for backend in BACKENDS
        for config in CONFIGS
    ]


@pytest.mark.parametrize(("backend", "config"), _head_params())
def test_head(reports: dict[str, Any], backend: str, config: dict[str, Any]) -> None:
    record = _no_crash(_report(reports, backend)["heads"][config["id"]])
    losses = record["fit_loss"]
    assert all(math.isfinite(loss) for loss in losses) and losses[-1] < losses[0], losses
    got, truth = record["keras"], record["numpy"]
    assert set(got) == set(truth)
    for name in COUNT_METRICS:
        if name in truth:
            assert got[name] == pytest.approx(truth[name], abs=1e-6), name
    assert got["loss"] == pytest.approx(truth["loss"], rel=1e-5, abs=1e-6)
    if "auc" in truth:  # the ROC curve is binned at 200 logit thresholds
        assert got["auc"] == pytest.approx(truth["auc"], abs=0.01)
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    assert record["native_label_type"].startswith(module)
    assert record["output_type"].startswith(module)
    # torch's model(x) output carries a gradient; decode must still read it
    assert record["output_requires_grad"] is (backend == "torch")
    checks = [
        "encode_native_equal",
        "encode_ids_equal",
        "decode_native_equal",
        "decode_equal_truth",
    ]
    if "class_names" in config["options"]:
        checks += ["encode_names_equal", "decode_names_equal"]
    assert {name: record[name] for name in checks} == dict.fromkeys(checks, True)
    assert record["check_codes"] == []


# --------------------------------------------------------------------------- save / load


def _load_params() -> list[Any]:
    pairs = [(saver, loader) for i, loader in enumerate(ORDER) for saver in ORDER[:i]]
    pairs += [(saver, HERE) for saver in ORDER[1:]]
    return [
        pytest.param(saver, loader, config_id, id=f"{saver}-to-{loader}-{config_id}")
        for saver, loader in pairs
        for config_id in CONFIG_IDS
    ]


@pytest.mark.parametrize(("saver", "loader", "config_id"), _load_params())
def test_save_on_one_backend_load_on_another(
    reports: dict[str, Any], saver: str, loader: str, config_id: str
) -> None:
    saved = _no_crash(_report(reports, saver)["heads"][config_id])
    record = _no_crash(_report(reports, loader)["loads"][saver][config_id])
    assert record["repr"] == saved["repr"]
    assert record["max_abs_diff"] <= 1e-6
    assert record["decode_equal"] is True
    # the loaded model's compiled metrics came back with their names and config
    got, truth = record["keras"], record["numpy"]
    assert set(got) == set(truth)
    for name in COUNT_METRICS:
        if name in truth:
            assert got[name] == pytest.approx(truth[name], abs=1e-6), name
    assert got["loss"] == pytest.approx(truth["loss"], rel=1e-5, abs=1e-6)
    # what JAX saves asks for jit_compile, which on torch means torch.compile
    assert record["saved_jit_compile"] is (saver == "jax")


# --------------------------------------------------------------------------- bad labels


@pytest.mark.parametrize("backend", BACKENDS)
def test_encode_stops_out_of_range_labels_on_every_backend(
    reports: dict[str, Any], backend: str
) -> None:
    record = _no_crash(_report(reports, backend)["out_of_range"])
    for key in ("encode", "encode_native"):
        assert record[key]["raised"] == "LabelFormatError"
        assert record[key]["message"] == OUT_OF_RANGE


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_alone_with_out_of_range_labels(reports: dict[str, Any], backend: str) -> None:
    """What each backend does without safeheads, as docs/backends.md reports it.

    If this fails after a Keras or backend upgrade, update the table in
    docs/backends.md (and this test) to the new behaviour.
    """
    record = _no_crash(_report(reports, backend)["out_of_range"])
    per_sample, fit = record["loss_per_sample"], record["fit"]
    if backend == "tensorflow":
        expected = "Received a label value of 5 which is outside the valid range of [0, 3)."
        for outcome in (per_sample, fit):
            assert outcome["raised"] == "InvalidArgumentError"
            assert expected in outcome["message"]
        assert math.isnan(record["fit_xla"]["value"])  # jit_compile=True: NaN, no error
    elif backend == "jax":
        # no error: the bad sample's loss is 0 and the mean over the batch stays finite
        losses = np.asarray(per_sample["value"])
        np.testing.assert_allclose(np.delete(losses, 3), math.log(3), rtol=1e-6)
        assert losses[3] == 0.0
        assert math.isfinite(fit["value"])
    else:
        for outcome in (per_sample, fit):
            assert outcome == {"raised": "IndexError", "message": "Target 5 is out of bounds."}


@pytest.mark.parametrize("backend", BACKENDS)
def test_doctor_stops_out_of_range_labels_on_every_backend(
    reports: dict[str, Any], backend: str
) -> None:
    record = _no_crash(_report(reports, backend)["out_of_range"])
    assert record["check_codes"] == ["SH403"]
    first = record["check_messages"][0]
    assert first.startswith(
        "The output has 3 units, so class ids must be in [0, 3), but y[3]=5 (1 of 8 values "
        "out of range)"
    )
    for key in ("guard", "guard_native"):
        assert record[key]["raised"] == "HeadMismatchError"
        message = record[key]["message"]
        assert message.startswith("safeheads check of model 'clf': 1 error\n")
        assert "error SH403: " in message
        assert message.endswith("safeheads.HeadGuard stopped training before the first batch.")
    assert math.isfinite(record["guard_valid"]["value"][0])
    assert math.isfinite(record["guard_valid_graph"]["value"][0])


def test_doctor_messages_are_the_same_on_every_backend(reports: dict[str, Any]) -> None:
    installed = [backend for backend in BACKENDS if _installed(backend)]
    if len(installed) < 2:
        pytest.skip("fewer than two backends installed")
    records = [_no_crash(_report(reports, backend)["out_of_range"]) for backend in installed]
    for key in ("encode", "check_messages"):
        assert all(record[key] == records[0][key] for record in records), key
    # the guard's report names the layer, whose uid differs per process: compare the finding
    findings = [record["guard"]["message"].split("error SH403: ")[1] for record in records]
    assert findings == [findings[0]] * len(findings)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ranking_ties_and_out_of_range_loss_ids(reports: dict[str, Any], backend: str) -> None:
    # torch.topk ordered ties arbitrarily: a constant output scored precision@2 1.0 there.
    record = _no_crash(_report(reports, backend)["ranking_ties"])
    assert (record["precision_at_2"], record["recall_at_2"]) == (0.0, 0.0)
    for name in ("min_labels_ties", "min_labels_zeros", "min_labels_subnormal"):
        assert record[name] == [True, 1.0], name  # decode and exact_match: the same labels
    expected = "InvalidArgumentError" if backend == "tensorflow" else "nan"
    assert record["loss_of_id_minus_1"] == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_decode_reads_subnormal_outputs_as_the_metrics_do(
    reports: dict[str, Any], backend: str
) -> None:
    # TensorFlow's and XLA's kernels read float32 subnormals as 0, numpy does not:
    # decode called 1e-40 positive at a logit cut of 0 where the metrics saw 0.
    record = _no_crash(_report(reports, backend)["subnormal_outputs"])
    assert (record["default_agreement"], record["tuned_agreement"]) == (1.0, 1.0)
    flushed = [[0, 0, 0, 0], [0, 0, 0, 1]]
    exact = [[1, 0, 1, 0], [0, 0, 0, 1]]
    assert record["default"] == (exact if backend == "torch" else flushed)


@pytest.mark.parametrize("backend", BACKENDS)
def test_doctor_finds_a_mismatched_head(reports: dict[str, Any], backend: str) -> None:
    record = _no_crash(_report(reports, backend)["doctor_mismatch"])
    assert record["check_codes"] == ["SH101"]
    message = record["check_messages"][0]
    assert message.startswith(
        "Softmax over 1 unit always outputs 1.0, so the model can never predict the "
        "negative class; "
    )
    # only the TensorFlow backend reuses the logit under the softmax (DECISIONS.md)
    assert ("on the TensorFlow backend the loss still falls" in message) is (
        backend == "tensorflow"
    )
    assert record["guard"]["raised"] == "HeadMismatchError"
    assert "error SH101: " in record["guard"]["message"]


# --------------------------------------------------------------------------- foreign tensors
# A label or output tensor of any backend is read in this process too, whatever its
# backend: a torch tensor that requires grad, a jax.Array.


def _torch_tensor(value: np.ndarray) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(value, dtype=torch.float32, requires_grad=True)


def _torch_bfloat16(value: np.ndarray) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(value, dtype=torch.bfloat16)  # numpy has no bfloat16


def _jax_array(value: np.ndarray) -> Any:
    jnp = pytest.importorskip("jax.numpy")
    return jnp.asarray(value)


FOREIGN = [
    pytest.param(_torch_tensor, id="torch-requires-grad"),
    pytest.param(_torch_bfloat16, id="torch-bfloat16"),
    pytest.param(_jax_array, id="jax"),
]


@pytest.mark.parametrize("convert", FOREIGN)
@pytest.mark.parametrize(
    ("task", "n", "labels"),
    [
        pytest.param("binary", None, [[0.0], [1.0], [1.0]], id="binary"),
        pytest.param("multiclass", 3, [2.0, 0.0, 1.0], id="multiclass"),
        pytest.param("multilabel", 3, [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]], id="multilabel"),
    ],
)
def test_encode_and_decode_read_foreign_tensors(
    convert: Any, task: str, n: int | None, labels: list[Any]
) -> None:
    import safeheads

    head = safeheads.classification_head(task, n)
    y = np.asarray(labels, dtype="float32")
    encoded = head.encode(convert(y))
    np.testing.assert_array_equal(encoded, head.encode(y))
    assert encoded.dtype == head.encode(y).dtype
    scores = np.linspace(0.05, 0.95, len(labels) * head.units, dtype="float32")
    scores = scores.reshape(len(labels), head.units)
    np.testing.assert_array_equal(head.decode(convert(scores)), head.decode(scores))
    if task != "multiclass":  # thresholds: tuned on the same values (bfloat16-rounded ones)
        foreign = convert(scores)
        same = foreign.detach().float().numpy() if hasattr(foreign, "detach") else scores
        tuned = head.tune_thresholds(head.encode(y), foreign)
        assert tuned.threshold == head.tune_thresholds(head.encode(y), same).threshold


def test_out_of_range_torch_labels_raise_the_same_error() -> None:
    import safeheads

    head = safeheads.classification_head("multiclass", 3)
    with pytest.raises(safeheads.LabelFormatError) as info:
        head.encode(_torch_tensor(np.asarray([0, 1, 2, 5, 1, 0, 2, 1], dtype="float32")))
    assert str(info.value) == OUT_OF_RANGE
