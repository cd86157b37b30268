"""top-k accuracy, precision@k and recall@k: numpy references, ties, batching, sample weights,
errors, save/load."""

from __future__ import annotations

import pathlib
import re

import keras
import numpy as np
import pytest

import safeheads
from safeheads import HeadConfigError, PrecisionAtK, RecallAtK, TopKAccuracy, classification_head


def _reference(y: np.ndarray, scores: np.ndarray, k: int, weight: np.ndarray | None = None):
    """Per-sample precision@k and recall@k in numpy (stable sort: ties to the lower index)."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(y, top, axis=1).sum(axis=1)
    positives = y.sum(axis=1)
    w = np.ones(len(y)) if weight is None else weight
    precision = (hits / k * w).sum() / w.sum()
    has = positives > 0
    recall = (hits[has] / positives[has] * w[has]).sum() / w[has].sum()
    return precision, recall


def _data(n_samples: int = 64, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n_samples, n)) < 0.2).astype("float32")
    y[:3] = 0.0  # samples without labels: skipped by recall@k
    scores = rng.normal(size=(n_samples, n)).astype("float32") + y
    return y, scores


@pytest.mark.parametrize("k", [1, 3, 12], ids=["k1", "k3", "k=n"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_equals_numpy_reference(k: int, weighted: bool) -> None:
    y, scores = _data()
    weight = np.random.default_rng(1).random(len(y)) if weighted else None
    expected_precision, expected_recall = _reference(y, scores, k, weight)
    precision, recall = PrecisionAtK(k), RecallAtK(k)
    for metric in (precision, recall):
        metric.update_state(y, scores, sample_weight=weight)
    np.testing.assert_allclose(float(precision.result()), expected_precision, rtol=1e-6)
    np.testing.assert_allclose(float(recall.result()), expected_recall, rtol=1e-6)


def test_accumulates_over_batches() -> None:
    y, scores = _data(n_samples=100)
    expected = _reference(y, scores, 5)
    precision, recall = PrecisionAtK(5), RecallAtK(5)
    for start in range(0, 100, 7):
        for metric in (precision, recall):
            metric.update_state(y[start : start + 7], scores[start : start + 7])
    np.testing.assert_allclose(
        [float(precision.result()), float(recall.result())], expected, rtol=1e-6
    )
    precision.reset_state()
    assert float(precision.result()) == 0.0


def test_same_for_logits_and_probabilities() -> None:
    y, logits = _data()
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    for cls in (PrecisionAtK, RecallAtK):
        a, b = cls(3), cls(3)
        a.update_state(y, logits)
        b.update_state(y, probabilities)
        assert float(a.result()) == pytest.approx(float(b.result()))


def test_recall_skips_samples_without_labels() -> None:
    metric = RecallAtK(1)
    metric.update_state(np.zeros((4, 3)), np.random.default_rng(0).random((4, 3)))
    assert float(metric.result()) == 0.0
    metric.update_state(np.array([[0.0, 1.0, 0.0]]), np.array([[0.1, 0.9, 0.0]]))
    assert float(metric.result()) == 1.0


def test_names_and_config() -> None:
    assert PrecisionAtK(5).name == "precision_at_5"
    assert RecallAtK(3).name == "recall_at_3"
    assert PrecisionAtK(2, name="p2").name == "p2"
    config = RecallAtK(4).get_config()
    assert config["k"] == 4 and config["name"] == "recall_at_4"
    clone = RecallAtK.from_config(config)
    assert (clone.k, clone.name) == (4, "recall_at_4")


# --------------------------------------------------------------------------- top-k accuracy


def _top_k_reference(ids: np.ndarray, scores: np.ndarray, k: int, weight=None) -> float:
    """Share of samples whose class is in the k first of a stable sort (ties to the lower index)."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hit = (top == ids[:, None]).any(axis=1)
    w = np.ones(len(ids)) if weight is None else weight
    return float((hit * w).sum() / w.sum())


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "one-hot"])
@pytest.mark.parametrize("k", [1, 5], ids=["k1", "k5"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_top_k_accuracy_equals_numpy_and_keras_without_ties(
    k: int, weighted: bool, sparse: bool
) -> None:
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 12, size=90)
    scores = rng.normal(size=(90, 12)).astype("float32")
    scores[np.arange(90), ids] += 1.0
    weight = rng.random(90) if weighted else None
    labels = ids if sparse else keras.utils.to_categorical(ids, 12)
    ours = TopKAccuracy(k, sparse=sparse)
    keras_top_k = (
        keras.metrics.SparseTopKCategoricalAccuracy
        if sparse
        else keras.metrics.TopKCategoricalAccuracy
    )
    theirs = keras_top_k(k)
    for start in range(0, 90, 40):  # uneven batches
        stop = start + 40
        w = None if weight is None else weight[start:stop]
        ours.update_state(labels[start:stop], scores[start:stop], sample_weight=w)
        theirs.update_state(labels[start:stop], scores[start:stop], sample_weight=w)
    expected = _top_k_reference(ids, scores, k, weight)
    assert 0.2 < expected < 1.0  # not a trivial score
    assert float(ours.result()) == pytest.approx(expected, abs=1e-6)
    assert float(theirs.result()) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("scores", "expected", "keras_says"),
    [
        pytest.param(np.eye(10, dtype="float32")[np.zeros(10, int)], 0.5, 1.0, id="saturated"),
        pytest.param(np.full((10, 10), 0.1, "float32"), 0.5, 1.0, id="constant"),
    ],
)
def test_top_k_accuracy_breaks_ties_like_argmax(
    scores: np.ndarray, expected: float, keras_says: float
) -> None:
    # One sample of each class, outputs that say nothing: classes 0..4 are the top 5
    # by the lower-index tie-break, so half the samples hit. Keras counts every tied
    # class as in the top 5 and reports a perfect score.
    ids = np.arange(10)
    metric, keras_metric = TopKAccuracy(5), keras.metrics.SparseTopKCategoricalAccuracy(5)
    metric.update_state(ids, scores)
    keras_metric.update_state(ids, scores)
    assert float(metric.result()) == expected == _top_k_reference(ids, scores, 5)
    assert float(keras_metric.result()) == keras_says
    accuracy = TopKAccuracy(1)
    accuracy.update_state(ids, scores)
    assert float(accuracy.result()) == pytest.approx(0.1)  # argmax: class 0 only


def test_top_k_accuracy_counts_out_of_range_and_nan_as_misses() -> None:
    scores = np.array([[0.2, 0.8], [0.9, 0.1], [np.nan, 0.5], [0.6, 0.4]], "float32")
    metric = TopKAccuracy(1)
    metric.update_state(np.array([1, 2, 0, -1]), scores)
    assert float(metric.result()) == 0.25  # only the first sample: 2 and -1 are no class


def test_top_k_accuracy_names_and_config() -> None:
    assert (TopKAccuracy().name, TopKAccuracy(5).name, TopKAccuracy(3, name="t3").name) == (
        "accuracy",
        "top_5_accuracy",
        "t3",
    )
    config = TopKAccuracy(5, sparse=False).get_config()
    assert (config["k"], config["sparse"], config["name"]) == (5, False, "top_5_accuracy")
    clone = TopKAccuracy.from_config(config)
    assert (clone.k, clone.sparse, clone.name) == (5, False, "top_5_accuracy")


ERRORS = [
    pytest.param(
        lambda: TopKAccuracy(0),
        HeadConfigError,
        "Expected `k` >= 1. Received: k=0. Pass k=1 or more.",
        id="top-k-accuracy-k0",
    ),
    pytest.param(
        lambda: TopKAccuracy("5"),
        TypeError,
        "Expected `k` to be an int. Received: k='5'. Pass k=5.",
        id="top-k-accuracy-k-str",
    ),
    pytest.param(
        lambda: PrecisionAtK(0),
        HeadConfigError,
        "Expected `k` >= 1. Received: k=0. Pass k=1 or more.",
        id="k0",
    ),
    pytest.param(
        lambda: RecallAtK(2.0),
        TypeError,
        "Expected `k` to be an int. Received: k=2.0. Pass k=2.",
        id="k-float",
    ),
    pytest.param(
        lambda: PrecisionAtK(True),
        TypeError,
        "Expected `k` to be an int. Received: k=True of type bool. Pass a whole number >= 1.",
        id="k-bool",
    ),
    pytest.param(
        lambda: PrecisionAtK(4).update_state(np.zeros((2, 3)), np.zeros((2, 3))),
        ValueError,
        "Expected outputs with at least k=4 labels for precision_at_4. Received: y_pred of "
        "shape (2, 3). Build the metric with k <= 3.",
        id="k-above-width",
    ),
    pytest.param(
        lambda: RecallAtK(1).update_state(np.eye(3), np.eye(3), sample_weight=np.ones((3, 3))),
        ValueError,
        "Expected `sample_weight` of shape (N,) or (N, 1) for recall_at_1: it scores whole "
        "samples. Received: sample_weight of shape (3, 3). Pass one weight per sample.",
        id="per-cell-weight",
    ),
    pytest.param(
        lambda: TopKAccuracy(1).update_state([0, 1], np.eye(2), sample_weight=np.ones((2, 1, 1))),
        ValueError,
        "Expected `sample_weight` of shape (N,) or (N, 1) for accuracy: it scores whole "
        "samples. Received: sample_weight of shape (2, 1, 1). Pass one weight per sample.",
        id="top-k-accuracy-rank-3-weight",
    ),
    pytest.param(
        lambda: TopKAccuracy(1).update_state(np.zeros((2, 5)), np.zeros((2, 5, 3))),
        ValueError,
        "Expected outputs of shape (N, units) for the metric accuracy. Received: y_pred of "
        "shape (2, 5, 3), one score per step or pixel. Pool over the steps before the head "
        "(e.g. keras.layers.GlobalMaxPooling1D()), or use Keras' own metrics, which read the "
        "mask of padded steps.",
        id="per-step-outputs",
    ),
    pytest.param(
        lambda: PrecisionAtK(1).update_state(np.zeros((2, 5, 3)), np.zeros((2, 5, 3))),
        ValueError,
        "Expected outputs of shape (N, units) for the metric precision_at_1. Received: y_pred "
        "of shape (2, 5, 3), one score per step or pixel. Pool over the steps before the head "
        "(e.g. keras.layers.GlobalMaxPooling1D()), or use Keras' own metrics, which read the "
        "mask of padded steps.",
        id="per-step-outputs-at-k",
    ),
]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: TopKAccuracy(1), id="top-k-accuracy"),
        pytest.param(lambda: safeheads.ExactMatch(), id="exact-match"),
        pytest.param(lambda: PrecisionAtK(1), id="precision-at-k"),
        pytest.param(lambda: RecallAtK(1), id="recall-at-k"),
    ],
)
@pytest.mark.parametrize("weight", [2.0, [2.0], np.float32(2.0)], ids=["float", "list-1", "numpy"])
def test_one_weight_for_the_batch_weighs_every_row_alike(make, weight: object) -> None:
    # A scalar or (1,) weight: the weighted mean is the unweighted one (as in Keras). It
    # used to be hits / weight: 2.0 for an accuracy of 0.5.
    metric = make()
    ids = [0, 1, 2, 3]
    y_true = ids if isinstance(metric, TopKAccuracy) else np.eye(4)[ids]
    metric.update_state(y_true, np.eye(4)[[0, 1, 0, 0]], sample_weight=weight)
    assert float(metric.result()) == 0.5


@pytest.mark.parametrize(("make", "error", "message"), ERRORS)
def test_errors(make, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()


# --------------------------------------------------------------------------- in heads


@pytest.mark.parametrize(
    ("n", "options", "names"),
    [
        pytest.param(19, {}, [], id="n19-none"),
        pytest.param(20, {}, ["precision_at_5", "recall_at_5"], id="n20-default"),
        pytest.param(6, {"top_k": 2}, ["precision_at_2", "recall_at_2"], id="n6-top_k"),
        pytest.param(30, {"top_k": 3}, ["precision_at_3", "recall_at_3"], id="n30-top_k"),
    ],
)
def test_multilabel_head_ranking_metrics(n: int, options: dict, names: list[str]) -> None:
    head = classification_head("multilabel", n, **options)
    base = ["exact_match", "label_accuracy", "micro_f1", "macro_f1", "auc"]
    assert [metric.name for metric in head.metrics] == base + names
    assert head.top_k == options.get("top_k")


HEAD_ERRORS = [
    pytest.param(
        ("multilabel", 4, {"top_k": 5}),
        HeadConfigError,
        "Expected `top_k` <= n=4, the number of labels. Received: top_k=5. Pass top_k=4 or less.",
        id="above-n",
    ),
    pytest.param(
        ("multilabel", 4, {"top_k": 0}),
        HeadConfigError,
        "Expected `top_k` >= 1. Received: top_k=0. Pass top_k=1 or more.",
        id="zero",
    ),
    pytest.param(
        ("multilabel", 4, {"top_k": "5"}),
        TypeError,
        "Expected `top_k` to be an int. Received: top_k='5'. Pass a whole number from 1 to 4.",
        id="str",
    ),
    pytest.param(
        ("multiclass", 12, {"top_k": 3}),
        HeadConfigError,
        "Expected `top_k` to be omitted for task='multiclass': precision@k and recall@k rank "
        "the labels of a multilabel head. Received: top_k=3. A multiclass head with n >= 10 "
        "already reports top_5_accuracy.",
        id="multiclass",
    ),
    pytest.param(
        ("binary", None, {"top_k": 1}),
        HeadConfigError,
        "Expected `top_k` to be omitted for task='binary': precision@k and recall@k rank the "
        "labels of a multilabel head. Received: top_k=1. Leave `top_k` out.",
        id="binary",
    ),
]


@pytest.mark.parametrize(("args", "error", "message"), HEAD_ERRORS)
def test_head_errors(args: tuple, error: type, message: str) -> None:
    task, n, options = args
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        classification_head(task, n, **options)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize(
    ("n", "jit_compile"),
    [(20, False), (120, False), (120, True)],
    ids=["20-labels", "120-labels", "120-labels-xla"],
)
def test_head_metric_values_in_fit_and_keras_round_trip(
    tmp_path: pathlib.Path, n: int, jit_compile: bool
) -> None:
    y, _ = _data(n_samples=48, n=n)
    x = np.random.default_rng(2).normal(size=(48, 6)).astype("float32")
    head = classification_head("multilabel", n, from_logits=True, top_k=3)
    model = keras.Sequential([keras.Input((6,)), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics, jit_compile=jit_compile)
    logs = model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    expected = _reference(y, model.predict(x, verbose=0), 3)
    np.testing.assert_allclose([logs["precision_at_3"], logs["recall_at_3"]], expected, rtol=1e-5)
    path = tmp_path / "ranking.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert safeheads.Head.from_model(loaded).top_k == 3
    again = loaded.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    assert again["precision_at_3"] == pytest.approx(logs["precision_at_3"])
    assert again["recall_at_3"] == pytest.approx(logs["recall_at_3"])


@pytest.mark.parametrize(
    ("metric", "labels", "expected"),
    [
        pytest.param(TopKAccuracy(2), np.eye(3)[[0, 1, 2, 0]], (4, 1), id="sparse-given-one-hot"),
        pytest.param(
            TopKAccuracy(2, sparse=False), np.array([0, 1, 2, 0]), (4, 3), id="one-hot-given-ids"
        ),
        pytest.param(PrecisionAtK(2), np.array([0, 1, 2, 0]), (4, 3), id="at-k-given-ids"),
    ],
)
def test_ranking_metrics_refuse_labels_of_another_shape(
    metric: keras.metrics.Metric, labels: np.ndarray, expected: tuple[int, int]
) -> None:
    # A broadcast error from inside the metric on JAX and PyTorch before.
    message = (
        f"Expected labels of shape {expected} for the metric {metric.name}. Received: labels of "
        f"shape {labels.shape}. Pass the labels as head.encode(y) returns them."
    )
    with pytest.raises(safeheads.LabelFormatError, match=f"^{re.escape(message)}$"):
        metric.update_state(labels, np.full((4, 3), 0.3))


def test_one_sample_with_a_scalar_class_id() -> None:
    metric = TopKAccuracy(1)
    metric.update_state(1, np.array([[0.1, 0.8, 0.1]]))
    assert float(metric.result()) == 1.0
