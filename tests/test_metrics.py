"""Threshold metrics: exact values against numpy/scikit-learn, logits, configs, errors."""

from __future__ import annotations

import re
from typing import Any

import keras
import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

import safeheads
from safeheads import (
    ExactMatch,
    HeadConfigError,
    ThresholdAccuracy,
    ThresholdF1,
    ThresholdPrecision,
    ThresholdRecall,
)

RNG = np.random.default_rng(7)
Y = (RNG.random((300, 6)) < np.linspace(0.02, 0.5, 6)).astype(np.float32)
Y[:, 0] = 0  # a label with no positives (and, at threshold 0.99, no predictions)
P = np.clip(Y * 0.4 + RNG.random((300, 6)) * 0.7, 1e-4, 1 - 1e-4).astype(np.float32)
W = RNG.random(300).astype(np.float32)


def _batched(metric: keras.metrics.Metric, y: np.ndarray, p: np.ndarray, w=None) -> float:
    """Update in uneven batches: scores must come from counts over all batches."""
    for start, stop in ((0, 7), (7, 150), (150, 300)):
        metric.update_state(y[start:stop], p[start:stop], None if w is None else w[start:stop])
    return float(metric.result())


@pytest.mark.parametrize("threshold", [0.5, 0.3, (0.99, 0.2, 0.4, 0.5, 0.6, 0.7)])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_metrics_equal_numpy_truth(threshold: object, from_logits: bool) -> None:
    outputs = np.log(P) - np.log1p(-P) if from_logits else P
    decided = (P > np.asarray(threshold)).astype(int)
    expected = {
        ExactMatch(threshold, from_logits=from_logits): (decided == Y).all(axis=1).mean(),
        ThresholdAccuracy(threshold, from_logits=from_logits): (decided == Y).mean(),
        ThresholdPrecision(6, threshold, from_logits=from_logits): precision_score(
            Y, decided, average="micro", zero_division=0
        ),
        ThresholdRecall(6, threshold, average="macro", from_logits=from_logits): recall_score(
            Y, decided, average="macro", zero_division=0
        ),
        ThresholdF1(6, threshold, from_logits=from_logits): f1_score(
            Y, decided, average="micro", zero_division=0
        ),
        ThresholdF1(6, threshold, average="macro", from_logits=from_logits): f1_score(
            Y, decided, average="macro", zero_division=0
        ),
    }
    for metric, value in expected.items():
        assert _batched(metric, Y, outputs) == pytest.approx(value, abs=1e-6), metric.name


def test_sample_weights_match_scikit_learn() -> None:
    decided = (P > 0.5).astype(int)
    f1 = ThresholdF1(6, average="macro")
    assert _batched(f1, Y, P, W) == pytest.approx(
        f1_score(Y, decided, average="macro", sample_weight=W, zero_division=0), abs=1e-6
    )
    exact = ExactMatch()
    assert _batched(exact, Y, P, W) == pytest.approx(
        np.average((decided == Y).all(axis=1), weights=W), abs=1e-6
    )
    accuracy = ThresholdAccuracy()
    assert _batched(accuracy, Y, P, W) == pytest.approx(
        np.average((decided == Y).mean(axis=1), weights=W), abs=1e-6
    )


CELL_W = RNG.random((300, 6)).astype(np.float32)


def test_per_cell_sample_weights_weigh_each_output() -> None:
    """Weights of shape (N, units) weigh each cell, as Keras' BinaryAccuracy does."""
    decided = (P > 0.5).astype(np.float32)
    accuracy = ThresholdAccuracy()
    keras_accuracy = keras.metrics.BinaryAccuracy()
    expected = np.average(decided == Y, weights=CELL_W)
    assert _batched(accuracy, Y, P, CELL_W) == pytest.approx(expected, abs=1e-6)
    assert _batched(keras_accuracy, Y, P, CELL_W) == pytest.approx(expected, abs=1e-6)
    tp = (CELL_W * decided * Y).sum(axis=0)
    fp = (CELL_W * decided * (1 - Y)).sum(axis=0)
    fn = (CELL_W * (1 - decided) * Y).sum(axis=0)
    precision = _batched(ThresholdPrecision(6), Y, P, CELL_W)
    assert precision == pytest.approx(tp.sum() / (tp.sum() + fp.sum()), abs=1e-6)
    per_label = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(6), where=2 * tp + fp + fn > 0)
    macro = _batched(ThresholdF1(6, average="macro"), Y, P, CELL_W)
    assert macro == pytest.approx(per_label.mean(), abs=1e-6)
    # (N, 1) weights are row weights, as (N,) ones.
    assert _batched(ThresholdF1(6), Y, P, W[:, None]) == pytest.approx(
        f1_score(Y, decided, average="micro", sample_weight=W, zero_division=0), abs=1e-6
    )


def test_exact_match_refuses_per_cell_sample_weights() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Expected `sample_weight` of shape (N,) or (N, 1) for exact_match: it scores "
            "whole samples. Received: sample_weight of shape (300, 6). Pass one weight per "
            "sample."
        ),
    ):
        ExactMatch().update_state(Y, P, sample_weight=CELL_W)


def test_binary_column_shapes() -> None:
    metric = ThresholdAccuracy()
    metric.update_state(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]]))
    assert float(metric.result()) == pytest.approx(1 / 3)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_no_label_model_is_exposed() -> None:
    """The 416-tag trap: predicting nothing scores 99% per cell but 0 exact match and F1."""
    y = np.zeros((100, 416), dtype=np.float32)
    y[np.arange(100)[:, None], np.arange(3)[None, :] + np.arange(100)[:, None]] = 1.0
    p = np.full_like(y, 0.01)
    assert _batched(ThresholdAccuracy(), y, p) == pytest.approx(1 - 3 / 416, abs=1e-6)
    assert _batched(ExactMatch(), y, p) == 0.0
    assert _batched(ThresholdF1(416), y, p) == 0.0


METRICS = [
    ThresholdAccuracy(0.3, from_logits=True, name="acc"),
    ExactMatch((0.2, 0.7)),
    ThresholdPrecision(2, (0.2, 0.7), average="macro"),
    ThresholdRecall(3, from_logits=True),
    ThresholdF1(4, 0.4, average="macro", name="macro_f1"),
]


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric: keras.metrics.Metric) -> None:
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is type(metric) and restored.get_config() == config
    assert keras.saving.get_registered_name(type(metric)) == f"safeheads>{type(metric).__name__}"


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(
            lambda: ThresholdF1(0),
            HeadConfigError,
            "Expected `num_labels` >= 1. Received: num_labels=0. Pass num_labels=1 or more.",
            id="num-labels-0",
        ),
        pytest.param(
            lambda: ThresholdF1(2.5),
            TypeError,
            "Expected `num_labels` to be an int. Received: num_labels=2.5. Pass a whole number >= 1.",
            id="num-labels-float",
        ),
        pytest.param(
            lambda: ThresholdF1(3, average="weighted"),
            HeadConfigError,
            "Expected `average` to be one of 'micro', 'macro'. Received: average='weighted'. Pass one of these.",
            id="average",
        ),
        pytest.param(
            lambda: ThresholdF1(3, average=None),
            TypeError,
            "Expected `average` to be a str. Received: average=None. Pass one of 'micro', 'macro'.",
            id="average-none",
        ),
        pytest.param(
            lambda: ThresholdRecall(3, (0.5, 0.5)),
            HeadConfigError,
            "Expected one `threshold` per output (3). Received: 2 thresholds. Pass 3 thresholds, or one float for every output.",
            id="threshold-count",
        ),
        pytest.param(
            lambda: ExactMatch(-0.1),
            HeadConfigError,
            "Expected `threshold` in the open interval (0, 1), a probability. Received: "
            "threshold=-0.1. Pass a probability such as 0.5; with from_logits=True the "
            "threshold is still a probability (safeheads converts it to a logit).",
            id="threshold-negative",
        ),
        pytest.param(
            lambda: ThresholdAccuracy(None),
            TypeError,
            "Expected `threshold` to be a float in (0, 1) or a sequence of them. Received: "
            "threshold=None. Pass a float in (0, 1) or a sequence of them.",
            id="threshold-none",
        ),
        pytest.param(
            lambda: ThresholdF1(3, 1.5, average="weighted"),
            HeadConfigError,
            "Expected `threshold` in the open interval (0, 1), a probability. Received: "
            "threshold=1.5. Pass a probability such as 0.5; with from_logits=True the "
            "threshold is still a probability (safeheads converts it to a logit).",
            id="threshold-before-average",  # the declared order
        ),
        pytest.param(
            lambda: ThresholdAccuracy(from_logits="False"),
            TypeError,
            "Expected `from_logits` to be a bool. Received: from_logits='False'. Pass from_logits=False.",
            id="from-logits-str",  # was bool("False"): True, and every prediction flipped
        ),
        pytest.param(
            lambda: safeheads.RocAUC(from_logits="no"),
            TypeError,
            "Expected `from_logits` to be a bool. Received: from_logits='no'. Pass True or False.",
            id="auc-from-logits-str",
        ),
        pytest.param(
            lambda: safeheads.TopKAccuracy(sparse="one_hot"),
            TypeError,
            "Expected `sparse` to be a bool. Received: sparse='one_hot'. Pass True or False.",
            id="top-k-sparse-str",
        ),
        pytest.param(
            lambda: safeheads.LogitAdjustedAccuracy([0.0, 0.0], from_logits=1),
            TypeError,
            "Expected `from_logits` to be a bool. Received: from_logits=1. Pass from_logits=True.",
            id="logit-adjusted-from-logits-int",
        ),
        pytest.param(
            # One score per timestep: the padded steps of a mask were counted (0.525 where
            # Keras' masked accuracy is 0.542); now refused.
            lambda: safeheads.ThresholdAccuracy().update_state(
                np.zeros((2, 5, 1)), np.zeros((2, 5, 1))
            ),
            ValueError,
            "Expected outputs of shape (N, units) for the metric accuracy. Received: y_pred of "
            "shape (2, 5, 1), one score per step or pixel. Pool over the steps before the head "
            "(e.g. keras.layers.GlobalMaxPooling1D()), or use Keras' own metrics, which read "
            "the mask of padded steps.",
            id="per-step-outputs",
        ),
        pytest.param(
            lambda: safeheads.RocAUC(3).update_state(np.zeros((2, 5, 3)), np.zeros((2, 5, 3))),
            ValueError,
            "Expected outputs of shape (N, units) for the metric auc. Received: y_pred of shape "
            "(2, 5, 3), one score per step or pixel. Pool over the steps before the head "
            "(e.g. keras.layers.GlobalMaxPooling1D()), or use Keras' own metrics, which read "
            "the mask of padded steps.",
            id="auc-per-step-outputs",
        ),
    ],
)
def test_metric_errors(build, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        build()


def test_metrics_take_numpy_bools() -> None:
    # bool(...) read them before check_bool; they must still be read, as Python bools.
    assert ThresholdAccuracy(from_logits=np.True_).from_logits is True
    assert safeheads.RocAUC(2, from_logits=np.False_).from_logits is False
    assert safeheads.TopKAccuracy(1, sparse=np.True_).sparse is True


@pytest.mark.parametrize(
    ("metric", "name"),
    [
        pytest.param(safeheads.ThresholdAccuracy((0.3, 0.5, 0.7)), "accuracy", id="accuracy"),
        pytest.param(safeheads.ExactMatch((0.3, 0.5, 0.7)), "exact_match", id="exact-match"),
    ],
)
def test_per_output_thresholds_must_match_the_output_width(metric: Any, name: str) -> None:
    # The three cuts were broadcast against one output: accuracy 0.333, exact match 0.0.
    message = (
        f"Expected outputs of width 3, one per threshold, for the metric {name}. Received: "
        "y_pred of shape (2, 1). Pass one threshold per output, or a single threshold."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        metric.update_state(np.array([[1.0], [0.0]]), np.array([[0.4], [0.6]]))
    metric.update_state(np.array([[1, 0, 1]]), np.array([[0.4, 0.2, 0.8]]))
    assert float(metric.result()) == 1.0


def test_per_output_threshold_message_names_the_shape_given() -> None:
    metric = safeheads.ThresholdAccuracy((0.5, 0.5, 0.5))
    message = (
        "Expected outputs of width 3, one per threshold, for the metric accuracy. Received: "
        "y_pred of shape (2,). Pass one threshold per output, or a single threshold."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        metric.update_state(np.array([1.0, 0.0]), np.array([0.3, 0.7]))


@pytest.mark.parametrize(
    ("metric", "width"),
    [
        pytest.param(ThresholdF1(3, average="macro"), 4, id="f1-3-on-4"),
        pytest.param(ThresholdPrecision(), 4, id="precision-1-on-4"),
        pytest.param(ThresholdRecall(2), 1, id="recall-2-on-1"),
    ],
)
def test_confusion_metrics_refuse_another_output_width(metric: Any, width: int) -> None:
    # A backend's "Incompatible shapes" (or a variable-shape error) before.
    message = (
        f"Expected outputs of width num_labels={metric.num_labels} for the metric {metric.name}. "
        f"Received: y_pred of shape (2, {width}). Build it with num_labels={width}."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        metric.update_state(np.ones((2, width)), np.full((2, width), 0.7))


@pytest.mark.parametrize(
    ("metric", "labels", "outputs", "expected"),
    [
        pytest.param(
            ThresholdPrecision(), np.eye(2)[[0, 1, 1, 0]], (4, 1), (4, 1), id="one-hot-on-binary"
        ),
        pytest.param(ExactMatch(), np.array([0, 2, 1, 0]), (4, 3), (4, 3), id="ids-on-multilabel"),
        pytest.param(ThresholdF1(3), np.ones((3, 4)), (4, 3), (4, 3), id="transposed"),
    ],
)
def test_threshold_metrics_refuse_labels_of_another_shape(
    metric: Any, labels: np.ndarray, outputs: tuple[int, int], expected: tuple[int, int]
) -> None:
    # A raw reshape error on JAX and PyTorch before, and transposed labels of the same
    # size were reshaped and scored silently.
    message = (
        f"Expected labels of shape {expected} for the metric {metric.name}. Received: labels of "
        f"shape {labels.shape}. Pass the labels as head.encode(y) returns them."
    )
    with pytest.raises(safeheads.LabelFormatError, match=f"^{re.escape(message)}$"):
        metric.update_state(labels, np.full(outputs, 0.7))


def test_label_shape_check_lets_through_labels_of_unknown_rank_and_one_sample() -> None:
    # A graph tensor of unknown rank made the check fail ("Cannot iterate over a shape
    # with unknown rank"); one sample given as one row of labels was refused.
    import tensorflow as tf

    metric = ThresholdF1()

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32), tf.TensorSpec((None, 1))])
    def step(y: Any, p: Any) -> None:
        metric.update_state(y, p)

    step(tf.constant([1.0, 0.0, 1.0]), tf.constant([[0.9], [0.2], [0.4]]))
    assert float(metric.result()) == pytest.approx(2 / 3)
    exact = ExactMatch()
    exact.update_state(np.array([0, 1, 0, 1]), np.array([[0.1, 0.8, 0.1, 0.9]]))
    assert float(exact.result()) == 1.0
