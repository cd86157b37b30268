"""RocAUC: equal to Keras' AUC where it is defined, to numpy binning in logit space,
to scikit-learn per label, errors, save/load."""

from __future__ import annotations

import pathlib
import re

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import safeheads
from safeheads import HeadConfigError, RocAUC

RNG = np.random.default_rng(11)
Y = (RNG.random((400, 5)) < np.linspace(0.05, 0.5, 5)).astype(np.float32)
P = np.clip(Y * 0.35 + RNG.random((400, 5)) * 0.7, 0.0, 1.0).astype(np.float32)
W = RNG.random(400).astype(np.float32)
BATCHES = ((0, 9), (9, 200), (200, 400))


def _batched(metric: keras.metrics.Metric, y: np.ndarray, p: np.ndarray, w=None) -> float:
    """Update in uneven batches: the score must come from all of them."""
    for start, stop in BATCHES:
        metric.update_state(y[start:stop], p[start:stop], None if w is None else w[start:stop])
    return float(metric.result())


SUMMATIONS = {"cumulative": (None, None), "one-matmul": (0, 1), "blocked": (0, 0)}


@pytest.mark.parametrize("summation", SUMMATIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("num_thresholds", [200, 12, 7])
def test_equals_keras_auc_where_every_label_is_defined(
    weighted: bool, num_thresholds: int, summation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few labels sum the area with a cumulative sum, more with one matmul, many in
    # blocks: each is forced here.
    most, one_block = SUMMATIONS[summation]
    if most is not None:
        monkeypatch.setattr(safeheads._auc, "_CUMSUM_MAX_LABELS", most)
        monkeypatch.setattr(safeheads._auc, "_ONE_BLOCK", 10**9 if one_block else 0)
    metric = RocAUC(5, num_thresholds=num_thresholds)
    blocks = metric._blocks
    assert summation == (
        "cumulative" if blocks is None else "one-matmul" if blocks[0] == 1 else "blocked"
    )
    w = W if weighted else None
    ours = _batched(metric, Y, P, w)
    theirs = keras.metrics.AUC(num_thresholds=num_thresholds, multi_label=True, num_labels=5)
    assert ours == pytest.approx(_batched(theirs, Y, P, w), abs=1e-6)


def test_many_labels_are_summed_in_blocks_and_equal_keras() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random((64, 300)) < 0.5).astype(np.float32)
    p = np.clip(y * 0.3 + rng.random((64, 300)) * 0.7, 0.0, 1.0).astype(np.float32)
    metric = RocAUC(300)
    assert metric._blocks == (20, 10)
    theirs = keras.metrics.AUC(multi_label=True, num_labels=300)
    assert _batched(metric, y, p) == pytest.approx(_batched(theirs, y, p), abs=1e-6)


def test_binary_equals_keras_auc_and_scikit_learn() -> None:
    y, p = Y[:, 4:], P[:, 4:]
    ours = _batched(RocAUC(), y, p)
    assert ours == pytest.approx(_batched(keras.metrics.AUC(), y, p), abs=1e-6)
    # Bucketing at 200 thresholds is the only difference from the exact AUC.
    assert ours == pytest.approx(roc_auc_score(y[:, 0], p[:, 0]), abs=2e-3)
    assert ours > 0.8  # the scores carry the labels: the test data is not trivial


def _numpy_logit_auc(y: np.ndarray, logits: np.ndarray, num_thresholds: int, w=None) -> float:
    """Macro trapezoid AUC with inner thresholds at num_thresholds - 2 logits in [-10, 10]."""
    edges = np.linspace(-10.0, 10.0, num_thresholds - 2)
    weight = np.ones(len(y)) if w is None else w
    areas = []
    for j in range(y.shape[1]):
        bucket = np.searchsorted(edges, logits[:, j], side="left")  # edges strictly below
        pos = np.bincount(bucket, weight * (y[:, j] == 1), minlength=num_thresholds)
        neg = np.bincount(bucket, weight * (y[:, j] == 0), minlength=num_thresholds)
        above = np.cumsum(pos[::-1])[::-1] - pos
        areas.append((neg * (above + pos / 2)).sum() / (pos.sum() * neg.sum()))
    return float(np.mean(areas))


with np.errstate(divide="ignore"):  # +-inf at 0 and 1
    LOGITS = np.log(P.astype(np.float64)) - np.log1p(-P.astype(np.float64))


@pytest.mark.parametrize("from_logits", [False, True], ids=["probabilities", "logits"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("num_thresholds", [200, 7])
def test_logit_spacing_equals_numpy_binning(
    from_logits: bool, weighted: bool, num_thresholds: int
) -> None:
    assert np.isinf(LOGITS).any()  # scores of exactly 0 and 1 fall into the end buckets
    metric = RocAUC(5, num_thresholds=num_thresholds, spacing="logit", from_logits=from_logits)
    scores = LOGITS.astype(np.float32) if from_logits else P
    w = W if weighted else None
    expected = _numpy_logit_auc(Y, LOGITS, num_thresholds, w)
    assert _batched(metric, Y, scores, w) == pytest.approx(expected, abs=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow graphs only")
def test_logit_spacing_reads_the_logits_of_a_sigmoid_output_in_a_graph() -> None:
    import tensorflow as tf

    logits = LOGITS[:200].clip(-30, 30).astype(np.float32)
    shifted = logits + 3.0  # what the metric bins if it reads the logits Keras kept

    def update(metric: RocAUC, activation) -> None:
        @tf.function
        def step(z: tf.Tensor) -> None:
            output = activation(z)
            output._keras_logits = z + 3.0  # set by Keras' sigmoid and softmax, here shifted
            metric.update_state(Y[:200], output)

        step(tf.constant(logits))

    sigmoid = RocAUC(5, spacing="logit")
    update(sigmoid, keras.ops.sigmoid)
    expected = _numpy_logit_auc(Y[:200], shifted.astype(np.float64), 200)
    assert float(sigmoid.result()) == pytest.approx(expected, abs=1e-6)
    # Any other op (here a softmax, whose logits do not rank one output) is binned on
    # the logit of its probabilities.
    softmax = RocAUC(5, spacing="logit")
    update(softmax, lambda z: keras.ops.softmax(z, axis=-1))
    p = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1)).astype(np.float64)
    with np.errstate(divide="ignore"):
        expected = _numpy_logit_auc(Y[:200], np.log(p) - np.log1p(-p), 200)
    assert float(softmax.result()) == pytest.approx(expected, abs=1e-6)


def test_logit_spacing_keeps_rare_label_scores_apart() -> None:
    # A many-label head: scores near 0.001, where Keras' 200 thresholds are 0.005 apart.
    rng = np.random.default_rng(5)
    y = (rng.random((400, 4)) < 0.05).astype(np.float32)
    logits = rng.normal(-7.0, 1.0, y.shape) + 1.5 * y
    p = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    exact = roc_auc_score(y, p, average="macro")
    linear = _batched(RocAUC(4), y, p)
    logit = _batched(RocAUC(4, spacing="logit"), y, p)
    assert exact > 0.8
    assert logit == pytest.approx(exact, abs=2e-3)
    assert exact - linear > 0.1  # Keras' thresholds: most scores share the lowest bucket


def test_labels_with_one_class_are_left_out_of_the_mean() -> None:
    y = Y.copy()
    y[:, 0] = 0.0  # no positive
    y[:, 1] = 1.0  # no negative
    per_label = [roc_auc_score(y[:, j], P[:, j]) for j in (2, 3, 4)]
    assert _batched(RocAUC(5), y, P) == pytest.approx(np.mean(per_label), abs=2e-3)
    # Keras counts both undefined labels as 0 and reports 3/5 of the mean.
    keras_auc = _batched(keras.metrics.AUC(multi_label=True, num_labels=5), y, P)
    assert keras_auc == pytest.approx(np.mean(per_label) * 3 / 5, abs=2e-3)


def test_no_label_defined_gives_zero() -> None:
    metric = RocAUC(2)
    metric.update_state(np.zeros((4, 2)), np.full((4, 2), 0.3))
    assert float(metric.result()) == 0.0


def test_logits_give_the_same_score_as_probabilities() -> None:
    logits = np.log(np.clip(P, 1e-6, 1 - 1e-6) / np.clip(1 - P, 1e-6, 1))
    assert _batched(RocAUC(5, from_logits=True), Y, logits) == pytest.approx(
        _batched(RocAUC(5), Y, P), abs=1e-6
    )


def test_reset_state_forgets_batches() -> None:
    metric = RocAUC(5)
    metric.update_state(1 - Y, P)
    metric.reset_state()
    assert _batched(metric, Y, P) == pytest.approx(_batched(RocAUC(5), Y, P), abs=1e-7)


def test_config_round_trip() -> None:
    metric = RocAUC(3, num_thresholds=50, spacing="logit", from_logits=True, name="label_auc")
    config = metric.get_config()
    keys = ("num_labels", "num_thresholds", "spacing", "from_logits", "name")
    assert {k: config[k] for k in keys} == {
        "num_labels": 3,
        "num_thresholds": 50,
        "spacing": "logit",
        "from_logits": True,
        "name": "label_auc",
    }
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is RocAUC and restored.get_config() == config
    assert keras.saving.get_registered_name(RocAUC) == "safeheads>RocAUC"


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_head_auc_survives_keras_save_and_load(tmp_path: pathlib.Path) -> None:
    head = safeheads.classification_head("multilabel", 5, from_logits=True)
    model = keras.Sequential([keras.Input((5,)), head.layer])
    head.layer.set_weights([np.eye(5, dtype=np.float32), np.zeros(5, np.float32)])  # identity
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    logits = np.log(np.clip(P, 1e-6, 1) / np.clip(1 - P, 1e-6, 1))
    before = model.evaluate(logits, Y, verbose=0, return_dict=True)["auc"]
    path = tmp_path / "auc.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    after = loaded.evaluate(logits, Y, verbose=0, return_dict=True)["auc"]
    assert after == pytest.approx(before, abs=1e-7)
    assert before == pytest.approx(roc_auc_score(Y, P, average="macro"), abs=2e-3)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        pytest.param(
            lambda: RocAUC(0),
            HeadConfigError,
            "Expected `num_labels` >= 1. Received: num_labels=0. Pass num_labels=1 or more.",
            id="num-labels-0",
        ),
        pytest.param(
            lambda: RocAUC(2.0),
            TypeError,
            "Expected `num_labels` to be an int. Received: num_labels=2.0. Pass num_labels=2.",
            id="num-labels-float",
        ),
        pytest.param(
            lambda: RocAUC(num_thresholds=2),
            HeadConfigError,
            "Expected `num_thresholds` >= 3. Received: num_thresholds=2. Pass num_thresholds=3 or more.",
            id="num-thresholds-2",
        ),
        pytest.param(
            lambda: RocAUC(num_thresholds="200"),
            TypeError,
            "Expected `num_thresholds` to be an int. Received: num_thresholds='200'. Pass num_thresholds=200.",
            id="num-thresholds-str",
        ),
        pytest.param(
            lambda: RocAUC(spacing=None),
            TypeError,
            "Expected `spacing` to be a str. Received: spacing=None. Pass one of 'linear', 'logit'.",
            id="spacing-none",
        ),
        pytest.param(
            lambda: RocAUC(spacing="log"),
            HeadConfigError,
            "Expected `spacing` to be one of 'linear', 'logit'. Received: spacing='log'. Did you mean spacing='logit'?",
            id="spacing-unknown",
        ),
        pytest.param(
            lambda: RocAUC(2**21, num_thresholds=1024),
            HeadConfigError,
            "Expected 2 * num_thresholds * num_labels < 2**31 (the histogram's cells). Received: "
            "num_thresholds=1024, num_labels=2097152. Pass num_thresholds <= 511.",
            id="too-many-cells",
        ),
        pytest.param(
            lambda: RocAUC(400_000_000, num_thresholds=3),
            HeadConfigError,
            "Expected 2 * num_thresholds * num_labels < 2**31 (the histogram's cells). Received: "
            "num_thresholds=3, num_labels=400000000. Even 3 thresholds need too many: score at "
            "most 357913941 labels per metric.",
            id="too-many-labels",
        ),
        pytest.param(
            lambda: RocAUC(2).update_state(np.zeros((3, 4)), np.zeros((3, 4))),
            ValueError,
            "Expected outputs of width num_labels=2 for the metric auc. Received: y_pred of "
            "shape (3, 4). Build it with num_labels=4.",
            id="width-not-num-labels",  # it was folded into more rows
        ),
    ],
)
def test_errors(make, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow graphs only")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_a_graph_and_xla_count_as_eager_execution_does(weighted: bool, jit_compile: bool) -> None:
    # The same counts whichever way update_state runs, with and without weights.
    import tensorflow as tf

    w = W if weighted else None
    eager = _batched(RocAUC(5, spacing="logit"), Y, P, w)
    metric = RocAUC(5, spacing="logit")
    step = tf.function(metric.update_state, jit_compile=jit_compile)
    for start, stop in BATCHES:
        step(Y[start:stop], P[start:stop], None if w is None else w[start:stop])
    assert float(metric.result()) == pytest.approx(eager, abs=1e-6)
    assert eager == pytest.approx(_numpy_logit_auc(Y, LOGITS, 200, w), abs=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow graphs only")
@pytest.mark.parametrize(
    ("weighted", "jit_compile", "graph"),
    [(False, False, False), (True, False, False), (False, False, True), (False, True, True)],
    ids=["eager", "eager-weighted", "graph", "xla"],
)
def test_a_nan_score_counts_below_every_threshold_of_its_own_label(
    weighted: bool, jit_compile: bool, graph: bool
) -> None:
    # A NaN score used to be dropped eagerly (0.25 here) and counted in the top bucket
    # under XLA (0.625); above no threshold, it is 0.125 on every path.
    import tensorflow as tf

    y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], "float32")
    s = np.array([[0.2, 0.9], [0.6, np.nan], [0.4, np.nan], [0.8, 0.1]], "float32")
    metric = RocAUC(2)
    update = tf.function(metric.update_state, jit_compile=jit_compile) if graph else None
    weight = np.ones(4, "float32") if weighted else None
    (update or metric.update_state)(y, s, weight)
    lowest = np.where(np.isnan(s), -1.0, s)  # above no threshold
    expected = np.mean([roc_auc_score(y[:, j], lowest[:, j]) for j in range(2)])
    assert expected == pytest.approx(0.125)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)


def test_a_score_just_above_a_threshold_is_above_it() -> None:
    # Counting the buckets down from the top lost the last float32 bits (this gave 0.5).
    on = np.float32(1 / 199)
    above = np.nextafter(on, np.float32(1))
    y, p = np.array([[1], [0]], "float32"), np.array([[above], [on]], "float32")
    keras_auc = keras.metrics.AUC(num_thresholds=200)
    keras_auc.update_state(y, p)
    assert _batched(RocAUC(1), y, p) == float(keras_auc.result()) == 1.0


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow graphs only")
@pytest.mark.parametrize(
    ("spacing", "from_logits", "weights"),
    [
        ("logit", False, "none"),
        ("logit", True, "per-sample"),
        ("linear", False, "per-cell"),
        ("linear", True, "none"),
    ],
)
def test_many_labels_in_a_graph_count_in_xla_as_eager_execution_does(
    spacing: str, from_logits: bool, weights: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From 100 labels a graph compiles the histogram update with XLA: the same histogram,
    # NaN, infinite and out-of-range scores included, as the eager update.
    import tensorflow as tf

    rng = np.random.default_rng(5)
    y = (rng.random((300, 120)) < 0.1).astype(np.float32)
    if from_logits:
        s = rng.normal(-2.0, 4.0, (300, 120)).astype(np.float32)
    else:
        s = rng.random((300, 120)).astype(np.float32)
    s[0, :4] = [np.nan, np.inf, -np.inf, 30.0]
    w = {
        "none": None,
        "per-sample": rng.random(300).astype(np.float32),
        "per-cell": rng.random((300, 120)).astype(np.float32),
    }[weights]
    compiled = []
    xla = safeheads._auc._xla_bucket_counts
    monkeypatch.setattr(safeheads._auc, "_xla_bucket_counts", lambda: compiled.append(1) or xla())
    eager = RocAUC(120, spacing=spacing, from_logits=from_logits)
    graph = RocAUC(120, spacing=spacing, from_logits=from_logits)
    step = tf.function(graph.update_state)
    for start, stop in (*BATCHES[:2], (200, 300)):
        part = None if w is None else w[start:stop]
        eager.update_state(y[start:stop], s[start:stop], part)
        step(y[start:stop], s[start:stop], part)
    assert compiled and len(compiled) <= 3  # traced once per batch shape, eager never
    np.testing.assert_array_equal(graph.histogram.numpy(), eager.histogram.numpy())
    assert float(graph.result()) == float(eager.result())


@pytest.mark.parametrize("weight", [None, 0.1], ids=["counts", "weights"])
def test_the_compiled_update_adds_a_batch_once_to_large_counts(weight: float | None) -> None:
    # Scattering each score into the running float32 histogram (tried, reverted) stopped
    # counting at 2**24 (2**24 + 1 rounds to 2**24) and rounded every weight at the cell's
    # size (256 x 0.1 added to 1e6 gave 32.0): the batch is summed first, then added once.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the compiled update is TensorFlow's")
    import tensorflow as tf

    start = 2.0**24 if weight is None else 1e6
    metric = RocAUC(100)
    histogram = np.zeros((2, 200, 100), "float32")
    histogram[0, 0, 0] = start  # negatives of label 0 scored at or below threshold 0
    metric.histogram.assign(histogram)
    y, scores = np.zeros((256, 100), "float32"), np.zeros((256, 100), "float32")
    w = None if weight is None else np.full(256, weight, "float32")
    tf.function(metric.update_state)(y, scores, w)
    added = 256.0 if weight is None else float(np.float32(256 * np.float32(0.1)))
    assert float(metric.histogram[0, 0, 0]) == float(np.float32(start + added))


def test_the_compiled_update_counts_from_zero_again_after_reset_state() -> None:
    # The XLA update adds to the histogram variable: a reset must show.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the compiled update is TensorFlow's")
    import tensorflow as tf

    y = np.tile(Y[:, :1], (1, 120))
    graph, eager = RocAUC(120), RocAUC(120)
    step = tf.function(graph.update_state)
    step(y, np.tile(P[:, :1], (1, 120)))
    graph.reset_state()
    step(y[::-1], np.tile(P[:, :1], (1, 120)))
    eager.update_state(y[::-1], np.tile(P[:, :1], (1, 120)))
    np.testing.assert_array_equal(graph.histogram.numpy(), eager.histogram.numpy())
    assert float(graph.result()) == float(eager.result())


def test_few_labels_and_eager_calls_do_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safeheads._auc, "_xla_bucket_counts", lambda: pytest.fail("compiled"))
    RocAUC(120).update_state(Y[:, :1].repeat(120, 1), P[:, :1].repeat(120, 1))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.function(RocAUC(99).update_state)(Y[:, :1].repeat(99, 1), P[:, :1].repeat(99, 1))


def test_histograms_beyond_two_to_the_24_cells_count_every_label_apart() -> None:
    # The flat index was computed in float32: beyond 2**24 cells odd indices rounded to even
    # ones, and positives landed in a neighbouring label's cells (AUC 0.455 for 0.5 here).
    labels = 45_000  # 2 x 200 x 45 000 = 18e6 cells
    y = np.array([[1], [1], [0], [0]], "float32") * np.ones((1, labels), "float32")
    p = np.random.default_rng(0).random((4, labels)).astype("float32")
    metric = RocAUC(labels)
    metric.update_state(y, p)
    histogram = keras.ops.convert_to_numpy(metric.histogram)
    assert (histogram[1].sum(axis=0) == 2).all() and (histogram[0].sum(axis=0) == 2).all()
    theirs = keras.metrics.AUC(multi_label=True, num_labels=labels)
    theirs.update_state(y, p)
    assert float(metric.result()) == pytest.approx(float(theirs.result()), abs=1e-6)
