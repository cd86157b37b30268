"""Priors, tuned thresholds, logit adjustment and imbalance-aware losses."""

from __future__ import annotations

import math
import pathlib
import re
import warnings
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import f1_score, fbeta_score

import safeheads
from safeheads import (
    HeadConfigError,
    LabelFormatError,
    LogitAdjustedAccuracy,
    SigmoidCrossentropy,
    SoftmaxCrossentropy,
    classification_head,
)
from safeheads._tuning import SLOPE_GRID, TAU_GRID, PriorBias

EPS = keras.config.epsilon()


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _bias_outputs(head: safeheads.Head, width: int = 3) -> np.ndarray:
    """Outputs of an untrained model on zero input: the activation of the bias alone."""
    model = keras.Sequential([keras.Input((width,)), head.layer])
    return np.asarray(model.predict(np.zeros((2, width), "float32"), verbose=0))[0]


# --------------------------------------------------------------------------- priors

MULTILABEL_Y = np.array(
    [[1, 0, 0, 1], [0, 0, 0, 1], [1, 1, 0, 1], [0, 0, 0, 1], [1, 0, 1, 0]], dtype="float32"
)
MULTILABEL_FREQ = [0.6, 0.2, 0.2, 0.8]

PRIOR_CASES = [
    pytest.param("binary", None, {}, [0, 1, 1, 0, 0, 0, 0, 1], [0.375], id="binary-column"),
    pytest.param(
        "binary", None, {}, [[1, 0], [0, 1], [1, 0], [1, 0]], [0.25], id="binary-one-hot-rows"
    ),
    pytest.param("binary", None, {}, 0.1, [0.1], id="binary-frequency"),
    pytest.param(
        "binary", None, {"class_names": ["no", "yes"]}, ["yes", "no", "no"], [1 / 3], id="names"
    ),
    pytest.param("multilabel", 4, {}, MULTILABEL_Y, MULTILABEL_FREQ, id="multi-hot"),
    pytest.param(
        "multilabel",
        4,
        {},
        [[0, 3], [3], [0, 1, 3], [3], [0, 2]],
        MULTILABEL_FREQ,
        id="label-lists",
    ),
    pytest.param("multilabel", 4, {}, MULTILABEL_FREQ, MULTILABEL_FREQ, id="ml-frequencies"),
    pytest.param("multiclass", 3, {}, [0, 2, 2, 1, 2, 2], [1 / 6, 1 / 6, 4 / 6], id="sparse"),
    pytest.param(
        "multiclass",
        3,
        {"labels": "one_hot"},
        [[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0]],
        [0.25, 0.25, 0.5],
        id="one-hot",
    ),
    pytest.param("multiclass", 3, {}, np.array([0.5, 0.3, 0.2]), [0.5, 0.3, 0.2], id="mc-freq"),
    pytest.param("multiclass", 3, {}, [0, 1, 0], [2 / 3, 1 / 3, 0.0], id="ids-not-frequencies"),
]


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize(("task", "n", "options", "prior", "expected"), PRIOR_CASES)
def test_prior_bias_predicts_label_frequencies(
    task: str, n: int | None, options: dict, prior: object, expected: list, from_logits: bool
) -> None:
    head = classification_head(task, n, prior=prior, from_logits=from_logits, **options)
    assert head.prior == pytest.approx(expected, abs=1e-12)
    out = _bias_outputs(head)
    if from_logits:
        out = _softmax(out) if task == "multiclass" else _sigmoid(out)
    expected_out = np.clip(expected, 1e-6, 1.0)
    if task == "multiclass":
        expected_out = expected_out / expected_out.sum()
    np.testing.assert_allclose(out, expected_out, rtol=1e-5, atol=1e-7)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def test_prior_frequencies_as_tensors() -> None:
    head = classification_head("multilabel", 3, prior=tf.constant([0.1, 0.2, 0.3]))
    assert head.prior == pytest.approx([0.1, 0.2, 0.3], abs=1e-7)
    assert classification_head("binary", prior=tf.constant(0.25)).prior == (0.25,)
    ids = tf.constant([0, 1, 2, 2])  # labels stay labels
    assert classification_head("multiclass", 3, prior=ids).prior == (0.25, 0.25, 0.5)


def test_prior_frequencies_as_jax_array() -> None:
    jnp = pytest.importorskip("jax.numpy")
    head = classification_head("multiclass", 3, prior=jnp.array([0.5, 0.3, 0.2]))
    assert head.prior == pytest.approx([0.5, 0.3, 0.2], abs=1e-7)


def test_prior_clips_frequencies_zero_and_one() -> None:
    y = np.array([[1, 0, 1], [1, 0, 0]], dtype="float32")  # label 0 always, label 1 never
    head = classification_head("multilabel", 3, prior=y, from_logits=True)
    bias = _bias_outputs(head)
    assert np.isfinite(bias).all()
    np.testing.assert_allclose(_sigmoid(bias), [1 - 1e-6, 1e-6, 0.5], rtol=1e-5)


def test_prior_and_bias_initializer_in_config() -> None:
    head = classification_head("binary", prior=0.2)
    config = head.layer.get_config()
    assert config["prior"] == [0.2]
    assert "bias_initializer" not in config  # derived from the prior
    plain = classification_head("binary").layer.get_config()
    assert plain["prior"] is None and "bias_initializer" in plain


def test_prior_bias_initializer_serializes() -> None:
    initializer = PriorBias([1.0, -2.0])
    clone = keras.initializers.deserialize(keras.initializers.serialize(initializer))
    assert isinstance(clone, PriorBias) and clone.values == [1.0, -2.0]


# --------------------------------------------------------------------------- tuned thresholds


def _candidates(scores: np.ndarray) -> np.ndarray:
    """Every midpoint of the sorted unique scores, and a cut below them all."""
    unique = np.unique(scores.astype(np.float32).astype(np.float64))
    return np.concatenate([unique[:1] - 1.0, (unique[:-1] + unique[1:]) / 2.0])


def _fbeta(y: np.ndarray, predicted: np.ndarray, beta: float) -> float:
    tp = float((y * predicted).sum())
    denominator = beta**2 * float(y.sum()) + float(predicted.sum())
    return 0.0 if denominator == 0 else (1 + beta**2) * tp / denominator


def _brute_force(y: np.ndarray, scores: np.ndarray, beta: float) -> float:
    """The best F-beta of ``scores > cut`` over every candidate cut."""
    return max(_fbeta(y, (scores > cut).astype(float), beta) for cut in _candidates(scores))


def _scores(shape: tuple[int, ...], from_logits: bool, y: np.ndarray, seed: int, ties: bool):
    z = _rng(seed).normal(size=shape) + 1.5 * y
    if ties:
        z = np.round(z, 1)  # many equal scores
    scores = z if from_logits else _sigmoid(z)
    return scores.astype("float32")


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize(
    ("metric", "beta"), [("f1", 1.0), ("fbeta", 2.0), ("fbeta", 0.5)], ids=["f1", "f2", "f05"]
)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_binary_threshold_maximises_objective(
    from_logits: bool, metric: str, beta: float, ties: bool
) -> None:
    y = (_rng(1).random(300) < 0.2).astype("float32")
    scores = _scores((300,), from_logits, y, 2, ties)
    head = classification_head("binary", from_logits=from_logits)
    tuned = head.tune_thresholds(y, scores, metric=metric, beta=beta)
    got = _fbeta(y, tuned.decode(scores).astype(float), beta)
    assert got == pytest.approx(_brute_force(y, scores, beta), abs=1e-12)
    assert isinstance(tuned.threshold, float) and 0.0 < tuned.threshold < 1.0
    assert tuned.layer is head.layer  # shared: the model saves the tuned threshold
    assert head.layer.get_config()["threshold"] == tuned.threshold
    for metric_object in tuned.metrics:
        if hasattr(metric_object, "threshold"):
            assert metric_object.threshold == tuned.threshold
    if metric == "f1":
        assert got == pytest.approx(f1_score(y, tuned.decode(scores)), abs=1e-12)
    else:
        expected = fbeta_score(y, tuned.decode(scores), beta=beta)
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize(("metric", "beta"), [("f1", 1.0), ("fbeta", 2.0)], ids=["f1", "f2"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_multilabel_thresholds_maximise_objective(
    from_logits: bool, metric: str, beta: float, ties: bool
) -> None:
    rng = _rng(3)
    y = (rng.random((200, 6)) < [0.3, 0.1, 0.05, 0.02, 0.01, 0.0]).astype("float32")
    scores = _scores((200, 6), from_logits, y, 4, ties)
    head = classification_head("multilabel", 6, from_logits=from_logits)

    one = head.tune_thresholds(y, scores, metric=metric, beta=beta, min_support=None)
    assert isinstance(one.threshold, float)
    micro = _fbeta(y, one.decode(scores).astype(float), beta)
    assert micro == pytest.approx(_brute_force(y.ravel(), scores.ravel(), beta), abs=1e-12)
    global_threshold = one.threshold

    per_label = head.tune_thresholds(y, scores, metric=metric, beta=beta, min_support=5)
    assert isinstance(per_label.threshold, tuple) and len(per_label.threshold) == 6
    decided = per_label.decode(scores).astype(float)
    support = y.sum(axis=0)
    for j in range(6):
        if support[j] >= 5:
            own = _fbeta(y[:, j], decided[:, j], beta)
            assert own == pytest.approx(_brute_force(y[:, j], scores[:, j], beta), abs=1e-12)
        else:  # too few validation positives: the global threshold
            assert per_label.threshold[j] == global_threshold
    assert (support >= 5).any() and (support < 5).any()
    assert head.layer.get_config()["threshold"] == list(per_label.threshold)
    for metric_object in per_label.metrics[:4]:
        assert metric_object.threshold == per_label.threshold


def _logit64(scores: np.ndarray, from_logits: bool) -> np.ndarray:
    z = scores.astype(np.float32).astype(np.float64)
    return z if from_logits else np.log(z) - np.log1p(-z)


def _objective(y: np.ndarray, predicted: np.ndarray, average: str, beta: float) -> float:
    micro = _fbeta(y.ravel(), predicted.ravel(), beta)
    macro = float(np.mean([_fbeta(y[:, j], predicted[:, j], beta) for j in range(y.shape[1])]))
    return {"micro": micro, "macro": macro, "micro+macro": (micro + macro) / 2}[average]


def _brute_force_adjusted(y, scores, *, from_logits, average, beta, slopes, prior, fixed=None):
    """Best objective of ``logit - a * logit(prior) > c`` over slopes and midpoint cuts;
    ``fixed``: +1 / -1 where a cell is positive / negative at every threshold."""
    p = np.clip(np.asarray(prior, dtype=np.float64), 1e-6, 1 - 1e-6)
    unit = np.log(p) - np.log1p(-p)
    fixed = np.zeros(y.shape) if fixed is None else fixed
    best = 0.0
    for slope in slopes:
        adjusted = _logit64(scores, from_logits) - slope * unit
        for cut in _candidates(adjusted):
            predicted = (fixed > 0) | ((fixed == 0) & (adjusted > cut))
            best = max(best, _objective(y, predicted.astype(float), average, beta))
    return best


@pytest.mark.parametrize("average", ["micro", "macro", "micro+macro"])
@pytest.mark.parametrize("slope", [None, 0.5, 0.0], ids=["tuned-slope", "fixed-slope", "no-slope"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_prior_adjusted_thresholds_maximise_objective(
    from_logits: bool, slope: float | None, average: str
) -> None:
    rng = _rng(15)
    prior = np.array([0.4, 0.2, 0.1, 0.05, 0.02])
    y = (rng.random((60, 5)) < prior * 1.5).astype("float32")
    scores = _scores((60, 5), from_logits, y, 16, False)
    head = classification_head("multilabel", 5, from_logits=from_logits, prior=prior)
    tuned = head.tune_thresholds(y, scores, average=average, prior_slope=slope)
    got = _objective(y, tuned.decode(scores).astype(float), average, 1.0)
    slopes = SLOPE_GRID if slope is None else (slope,)
    expected = _brute_force_adjusted(
        y, scores, from_logits=from_logits, average=average, beta=1.0, slopes=slopes, prior=prior
    )
    assert got == pytest.approx(expected, abs=1e-12)
    if slope == 0.0:  # one global threshold
        assert isinstance(tuned.threshold, float)
    elif slope == 0.5:  # rarer labels get lower thresholds
        assert isinstance(tuned.threshold, tuple)
        assert list(tuned.threshold) == sorted(tuned.threshold, reverse=True)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # sigmoid(-900)
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # logit of 0.0 and 1.0
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_prior_adjusted_thresholds_with_outputs_no_threshold_can_move(from_logits: bool) -> None:
    # Logits above log(2**53 - 1) = 36.74 are positive and logits at or below log(5e-324)
    # = -744.4 negative at every float64 probability threshold; probabilities of exactly
    # 0 are negative at every threshold. The search must score only such decisions, in
    # every column, whatever the column's prior offset.
    rng = _rng(21)
    prior = np.array([0.5, 0.1, 0.001])
    y = (rng.random((40, 3)) < [0.5, 0.2, 0.1]).astype("float32")
    logits = rng.normal(size=(40, 3)) + 2.0 * y
    logits[:6] = [[50.0, 40.0, 38.0], [-800.0, -900.0, -750.0], [45.0, -800.0, 37.0]] * 2
    scores = (logits if from_logits else _sigmoid(logits)).astype("float32")
    high, low = math.log(2.0**53 - 1), math.log(math.ulp(0.0))
    fixed = (
        np.where(logits > high, 1, np.where(logits <= low, -1, 0))
        if from_logits
        else (-(scores == 0.0).astype(int))
    )
    assert (fixed != 0).any()
    head = classification_head("multilabel", 3, from_logits=from_logits, prior=prior)
    tuned = head.tune_thresholds(y, scores, average="micro+macro")
    got = _objective(y, tuned.decode(scores).astype(float), "micro+macro", 1.0)
    expected = _brute_force_adjusted(
        y,
        scores,
        from_logits=from_logits,
        average="micro+macro",
        beta=1.0,
        slopes=SLOPE_GRID,
        prior=prior,
        fixed=fixed,
    )
    assert got == pytest.approx(expected, abs=1e-12)
    assert all(0.0 < t < 1.0 for t in np.atleast_1d(tuned.threshold))


def test_prior_slope_cannot_put_a_column_cut_above_its_highest_logit_cut() -> None:
    # Label 0's logits of 50 are positive at every threshold. With label 1's offset
    # (prior 0.001), a global cut between 40 - offset and 50 - offset would score them
    # negative: no threshold can, and the head would decode a micro-F1 of 0.571.
    y = np.array([[0, 1], [0, 1], [1, 0], [0, 0]])
    logits = np.array([[50.0, 40.0], [50.0, 40.0], [10.0, 0.0], [-5.0, 0.0]], "float32")
    head = classification_head("multilabel", 2, prior=[0.5, 0.001], from_logits=True)
    tuned = head.tune_thresholds(y, logits)
    assert f1_score(y, tuned.decode(logits), average="micro") == pytest.approx(0.75)


def test_prior_slope_lowers_rare_label_thresholds_by_prior_log_odds() -> None:
    prior = np.array([0.5, 0.1, 0.01])
    y = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]], dtype="float32")
    logits = np.array(
        [[2.0, -3.0, -6.0], [-1.0, 0.5, -5.0], [1.0, -2.5, -1.0], [-2.0, -2.0, -5.5]],
        dtype="float32",
    )
    head = classification_head("multilabel", 3, from_logits=True, prior=prior)
    tuned = head.tune_thresholds(y, logits, prior_slope=1.0)
    cuts = np.log(tuned.threshold) - np.log1p(-np.asarray(tuned.threshold))
    log_odds = np.log(prior) - np.log1p(-prior)
    np.testing.assert_allclose(np.diff(cuts), np.diff(log_odds), rtol=1e-6)
    assert tuned.decode(logits).tolist() == y.astype(int).tolist()


def test_tuned_threshold_between_adjacent_float32_scores() -> None:
    low = np.float32(0.3)
    high = np.nextafter(low, np.float32(1.0))
    for from_logits in (False, True):
        scores = np.array([low, high, high, low - 0.1], dtype="float32")
        y = np.array([0, 1, 1, 0])
        tuned = classification_head("binary", from_logits=from_logits).tune_thresholds(y, scores)
        assert tuned.decode(scores).tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_tuned_threshold_can_predict_every_sample_positive(from_logits: bool) -> None:
    # F1 6/7 with every sample positive, 4/6 at the best cut between two scores.
    probabilities = np.array([0.2, 0.5, 0.6, 0.9], dtype="float32")
    scores = _logit64(probabilities, False).astype("float32") if from_logits else probabilities
    y = np.array([1, 1, 0, 1])
    tuned = classification_head("binary", from_logits=from_logits).tune_thresholds(y, scores)
    assert tuned.decode(scores).tolist() == [1, 1, 1, 1]
    assert 0.0 < tuned.threshold < 0.2


def test_every_sample_positive_needs_a_threshold_above_zero() -> None:
    # A probability of exactly 0 is never > a threshold in (0, 1): the best cut between
    # two scores is kept (F1 4/6 above 0, against 6/7 with every sample positive).
    scores = np.array([0.0, 0.5, 0.6, 0.9], dtype="float32")
    tuned = classification_head("binary").tune_thresholds([1, 1, 0, 1], scores)
    assert tuned.decode(scores).tolist() == [0, 1, 1, 1]
    assert 0.0 < tuned.threshold < 0.5


@pytest.mark.parametrize(
    ("logits", "y", "decided", "threshold_range"),
    [
        # 40, 45 and 50 lie above the highest logit cut a float64 probability below 1
        # expresses (about 36.7): positive at every threshold, so they are tied.
        ([-50.0, 40.0, 45.0, 50.0], [0, 0, 1, 1], [0, 1, 1, 1], (0.0, 0.5)),
        ([-50.0, 30.0, 35.0, 50.0], [0, 0, 1, 1], [0, 0, 1, 1], (0.5, 1.0)),
        # -900 and -800 lie below the lowest (about -744.4): negative at every threshold.
        ([-900.0, -800.0, -700.0, 5.0], [0, 1, 1, 1], [0, 0, 1, 1], (0.0, 0.5)),
    ],
    ids=["above-highest-cut", "below-highest-cut", "below-lowest-cut"],
)
def test_tuning_logits_beyond_expressible_cuts(logits, y, decided, threshold_range) -> None:
    head = classification_head("binary", from_logits=True)
    scores = np.array(logits, "float32")
    tuned = head.tune_thresholds(y, scores)
    low, high = threshold_range
    assert low < tuned.threshold < high
    assert tuned.decode(scores).tolist() == decided
    assert safeheads.Head(head.layer).threshold == tuned.threshold  # a valid threshold


def test_label_own_threshold_can_predict_its_column_positive() -> None:
    # Column 0 holds an exact 0.0, column 1 none: label 1's own best cut (F1 6/7) is
    # below all its scores, which an exact 0.0 elsewhere must not rule out.
    y = np.array([[1, 1], [0, 1], [1, 0], [0, 1]])
    scores = np.array([[0.9, 0.1], [0.0, 0.3], [0.8, 0.4], [0.2, 0.2]], "float32")
    tuned = classification_head("multilabel", 2).tune_thresholds(y, scores, min_support=1)
    assert tuned.decode(scores)[:, 1].tolist() == [1, 1, 1, 1]
    assert tuned.threshold[1] < 0.1


def test_tuning_keeps_threshold_when_scores_are_all_equal() -> None:
    head = classification_head("binary", threshold=0.3)
    tuned = head.tune_thresholds([0, 1, 1], np.full((3, 1), 0.7, "float32"))
    assert tuned.threshold == 0.3


def test_tuning_keeps_threshold_when_no_threshold_changes_a_decision() -> None:
    head = classification_head("binary", threshold=0.3, from_logits=True)
    tuned = head.tune_thresholds([1, 0, 1, 0], np.array([50.0, -800.0, 40.0, -900.0], "float32"))
    assert tuned.threshold == 0.3


def test_tuned_metrics_agree_with_decode() -> None:
    rng = _rng(5)
    y = (rng.random((120, 4)) < 0.3).astype("float32")
    logits = _scores((120, 4), True, y, 6, False)
    tuned = classification_head("multilabel", 4, from_logits=True).tune_thresholds(
        y, logits, min_support=3
    )
    micro = next(m for m in tuned.metrics if m.name == "micro_f1")
    macro = next(m for m in tuned.metrics if m.name == "macro_f1")
    for metric in (micro, macro):
        metric.update_state(y, logits)
    decided = tuned.decode(logits)
    assert float(micro.result()) == pytest.approx(f1_score(y, decided, average="micro"), abs=1e-6)
    assert float(macro.result()) == pytest.approx(
        f1_score(y, decided, average="macro", zero_division=0), abs=1e-6
    )


# --------------------------------------------------------------------------- logit adjustment


def _macro_f1(ids: np.ndarray, predicted: np.ndarray, n: int) -> float:
    return float(f1_score(ids, predicted, average="macro", labels=range(n), zero_division=0))


@pytest.mark.parametrize("labels", ["sparse", "one_hot"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_logit_adjustment_tuned_on_grid(from_logits: bool, labels: str) -> None:
    rng = _rng(7)
    prior = np.array([0.6, 0.25, 0.1, 0.05])
    ids = rng.choice(4, size=400, p=prior)
    logits = rng.normal(size=(400, 4)) + 1.2 * np.eye(4)[ids] + np.log(prior)
    scores = (logits if from_logits else _softmax(logits)).astype("float32")
    head = classification_head("multiclass", 4, prior=ids, from_logits=from_logits, labels=labels)
    y = ids if labels == "sparse" else np.eye(4)[ids]
    tuned = head.tune_thresholds(y, scores)
    log_prior = np.log(head.prior)
    base = logits - logits.max(axis=1, keepdims=True) if not from_logits else logits

    def decide(tau: float) -> np.ndarray:
        log_scores = scores.astype(float) if from_logits else np.log(scores.astype(float))
        return np.argmax(log_scores - tau * log_prior, axis=1)

    best = max(_macro_f1(ids, decide(tau), 4) for tau in TAU_GRID)
    assert tuned.logit_adjustment in TAU_GRID and tuned.logit_adjustment > 0
    assert _macro_f1(ids, tuned.decode(scores), 4) == pytest.approx(best, abs=1e-12)
    assert _macro_f1(ids, tuned.decode(scores), 4) > _macro_f1(ids, base.argmax(axis=1), 4)
    assert head.layer.get_config()["logit_adjustment"] == tuned.logit_adjustment
    accuracy = tuned.metrics[0]
    assert isinstance(accuracy, LogitAdjustedAccuracy) and accuracy.name == "accuracy"
    accuracy.update_state(y, scores)
    expected = float((tuned.decode(scores) == ids).mean())
    assert float(accuracy.result()) == pytest.approx(expected, abs=1e-6)


def test_logit_adjustment_metrics_and_top_5() -> None:
    rng = _rng(8)
    ids = rng.integers(0, 12, size=50)
    head = classification_head("multiclass", 12, prior=ids, logit_adjustment=0.5)
    assert [(m.name, type(m).__name__) for m in head.metrics] == [
        ("accuracy", "LogitAdjustedAccuracy"),
        ("top_5_accuracy", "LogitAdjustedAccuracy"),
    ]
    probabilities = _softmax(rng.normal(size=(50, 12))).astype("float32")
    adjusted = np.log(probabilities) - 0.5 * np.log(np.clip(head.prior, 1e-6, 1))
    top5 = np.argsort(-adjusted, axis=1)[:, :5]
    head.metrics[1].update_state(ids, probabilities)
    expected = float(np.mean([ids[i] in top5[i] for i in range(50)]))
    assert float(head.metrics[1].result()) == pytest.approx(expected)
    assert head.decode(probabilities).tolist() == adjusted.argmax(axis=1).tolist()


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_logit_adjustment_near_ties_decode_as_the_metric_counts(from_logits: bool) -> None:
    # Class 1 wins by tau * log(0.7 / 0.3) after adjustment: scores within a few float32
    # steps of that margin are where float64 and float32 arithmetic can disagree.
    head = classification_head(
        "multiclass", 2, prior=[0.3, 0.7], logit_adjustment=1.0, from_logits=from_logits
    )
    margin = np.float32(np.log(0.7 / 0.3))
    steps = [margin]
    for _ in range(4):
        steps = [
            np.nextafter(steps[0], np.float32(0)),
            *steps,
            np.nextafter(steps[-1], np.float32(9)),
        ]
    logits = np.array([[0.0, z] for z in steps], "float32")
    scores = logits if from_logits else _softmax(logits).astype("float32")
    decided = head.decode(scores)
    assert set(decided.tolist()) == {0, 1}  # the steps straddle the tie
    accuracy = head.metrics[0]
    accuracy.update_state(decided, scores)
    assert float(accuracy.result()) == 1.0


def test_zero_logit_adjustment_keeps_plain_accuracy() -> None:
    head = classification_head("multiclass", 3, prior=[0, 1, 2], logit_adjustment=0.0)
    assert type(head.metrics[0]).__name__ == "TopKAccuracy"


# --------------------------------------------------------------------------- losses


def _np_sigmoid_ce(y, out, *, from_logits, pos_weight=None, gamma=0.0, smoothing=0.0):
    y = np.asarray(y, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    t = y * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        p = _sigmoid(out)
        log_p, log_q = -np.logaddexp(0, -out), -np.logaddexp(0, out)
    else:
        p = np.clip(out, EPS, 1 - EPS)
        log_p, log_q = np.log(p), np.log(1 - p)
    w = 1.0 if pos_weight is None else np.asarray(pos_weight)
    ce = -(w * t * log_p + (1 - t) * log_q)
    p_t = t * p + (1 - t) * (1 - p)
    return ((1 - p_t) ** gamma * ce).mean(axis=-1)


def _np_softmax_ce(ids, out, n, *, from_logits, gamma=0.0, smoothing=0.0):
    out = np.asarray(out, dtype=np.float64)
    if from_logits:
        log_p = out - np.log(np.exp(out - out.max(-1, keepdims=True)).sum(-1, keepdims=True))
        log_p -= out.max(-1, keepdims=True)
    else:
        p = np.clip(out / out.sum(-1, keepdims=True), EPS, 1 - EPS)
        log_p = np.log(p)
    t = np.eye(n)[ids] * (1 - smoothing) + smoothing / n
    return -(t * (1 - np.exp(log_p)) ** gamma * log_p).sum(-1)


SIGMOID_OPTIONS = [
    pytest.param({}, id="plain"),
    pytest.param({"pos_weight": [3.0, 1.0, 0.5, 10.0]}, id="pos_weight-vector"),
    pytest.param({"pos_weight": 4.0}, id="pos_weight-float"),
    pytest.param({"gamma": 2.0}, id="focal"),
    pytest.param({"smoothing": 0.2}, id="smoothing"),
    pytest.param({"pos_weight": [2.0, 1.0, 1.0, 5.0], "gamma": 1.5, "smoothing": 0.1}, id="all"),
]


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("options", SIGMOID_OPTIONS)
def test_sigmoid_crossentropy_equals_numpy(options: dict, from_logits: bool) -> None:
    rng = _rng(9)
    y = (rng.random((16, 4)) < 0.3).astype("float32")
    z = rng.normal(scale=3.0, size=(16, 4)).astype("float32")
    out = z if from_logits else _sigmoid(z).astype("float32")
    loss = SigmoidCrossentropy(
        pos_weight=options.get("pos_weight"),
        focal_gamma=options.get("gamma", 0.0),
        label_smoothing=options.get("smoothing", 0.0),
        from_logits=from_logits,
    )
    expected = _np_sigmoid_ce(
        y,
        out,
        from_logits=from_logits,
        pos_weight=options.get("pos_weight"),
        gamma=options.get("gamma", 0.0),
        smoothing=options.get("smoothing", 0.0),
    )
    weight = rng.random(16).astype("float32")
    np.testing.assert_allclose(float(loss(y, out)), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(
        float(loss(y, out, sample_weight=weight)), (expected * weight).mean(), rtol=1e-5
    )


def test_sigmoid_crossentropy_stable_on_large_logits() -> None:
    loss = SigmoidCrossentropy(pos_weight=2.0, from_logits=True)
    value = float(loss(np.array([[1.0, 0.0]]), np.array([[-200.0, 200.0]])))
    assert value == pytest.approx((2.0 * 200.0 + 200.0) / 2)


def test_sigmoid_crossentropy_column_labels_on_a_flat_output() -> None:
    # (N, 1) labels with an (N,) output: it broadcast to (N, N) and gave 1.0532.
    y = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    logits = np.array([3.0, -2.0, -1.0, 0.5], "float32")
    expected = np.mean(np.logaddexp(0, -logits) * y[:, 0] + np.logaddexp(0, logits) * (1 - y[:, 0]))
    assert float(SigmoidCrossentropy(from_logits=True)(y, logits)) == pytest.approx(expected)
    assert expected == pytest.approx(0.6157, abs=1e-4)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        pytest.param({}, keras.losses.BinaryCrossentropy, id="bce"),
        pytest.param(
            {"label_smoothing": 0.1},
            lambda **kw: keras.losses.BinaryCrossentropy(label_smoothing=0.1, **kw),
            id="bce-smoothing",
        ),
        pytest.param(
            {"focal_gamma": 2.0},
            lambda **kw: keras.losses.BinaryFocalCrossentropy(gamma=2.0, **kw),
            id="binary-focal",
        ),
    ],
)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_sigmoid_crossentropy_matches_keras(ours: dict, theirs, from_logits: bool) -> None:
    rng = _rng(10)
    y = (rng.random((8, 3)) < 0.4).astype("float32")
    z = rng.normal(size=(8, 3)).astype("float32")
    out = z if from_logits else _sigmoid(z).astype("float32")
    ours_value = float(SigmoidCrossentropy(from_logits=from_logits, **ours)(y, out))
    keras_value = float(theirs(from_logits=from_logits)(y, out))
    assert ours_value == pytest.approx(keras_value, rel=1e-4)


def test_binary_column_labels_broadcast_to_one_unit() -> None:
    loss = SigmoidCrossentropy(from_logits=True, pos_weight=2.0)
    logits = np.array([[0.3], [-1.2], [2.0]], dtype="float32")
    assert float(loss(np.array([1.0, 0.0, 1.0]), logits)) == pytest.approx(
        float(loss(np.array([[1.0], [0.0], [1.0]]), logits))
    )


SOFTMAX_OPTIONS = [
    pytest.param({}, id="plain"),
    pytest.param({"smoothing": 0.1}, id="smoothing"),
    pytest.param({"gamma": 2.0}, id="focal"),
    pytest.param({"gamma": 1.0, "smoothing": 0.3}, id="both"),
]


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("options", SOFTMAX_OPTIONS)
def test_softmax_crossentropy_sparse_equals_one_hot_equals_numpy(
    options: dict, from_logits: bool
) -> None:
    rng = _rng(11)
    ids = rng.integers(0, 5, size=12)
    z = rng.normal(scale=2.0, size=(12, 5)).astype("float32")
    out = z if from_logits else _softmax(z).astype("float32")
    kwargs = {
        "focal_gamma": options.get("gamma", 0.0),
        "label_smoothing": options.get("smoothing", 0.0),
        "from_logits": from_logits,
    }
    sparse = float(SoftmaxCrossentropy(sparse=True, **kwargs)(ids, out))
    sparse_column = float(SoftmaxCrossentropy(sparse=True, **kwargs)(ids.reshape(-1, 1), out))
    one_hot = float(SoftmaxCrossentropy(sparse=False, **kwargs)(np.eye(5)[ids], out))
    expected = _np_softmax_ce(
        ids,
        out,
        5,
        from_logits=from_logits,
        gamma=options.get("gamma", 0.0),
        smoothing=options.get("smoothing", 0.0),
    ).mean()
    assert sparse == pytest.approx(expected, rel=1e-5)
    assert sparse_column == pytest.approx(expected, rel=1e-5)
    assert one_hot == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_softmax_crossentropy_matches_keras(from_logits: bool) -> None:
    rng = _rng(12)
    ids = rng.integers(0, 4, size=10)
    z = rng.normal(size=(10, 4)).astype("float32")
    out = z if from_logits else _softmax(z).astype("float32")
    one_hot = np.eye(4)[ids]
    pairs = [
        (
            SoftmaxCrossentropy(from_logits=from_logits)(ids, out),
            keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(ids, out),
        ),
        (
            SoftmaxCrossentropy(sparse=False, label_smoothing=0.2, from_logits=from_logits)(
                one_hot, out
            ),
            keras.losses.CategoricalCrossentropy(label_smoothing=0.2, from_logits=from_logits)(
                one_hot, out
            ),
        ),
        (
            SoftmaxCrossentropy(sparse=False, focal_gamma=2.0, from_logits=from_logits)(
                one_hot, out
            ),
            keras.losses.CategoricalFocalCrossentropy(
                alpha=1.0, gamma=2.0, from_logits=from_logits
            )(one_hot, out),
        ),
    ]
    for ours, theirs in pairs:
        assert float(ours) == pytest.approx(float(theirs), rel=1e-4)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
@pytest.mark.parametrize(
    ("loss", "y_true"),
    [
        pytest.param(lambda g: SigmoidCrossentropy(focal_gamma=g, from_logits=True), [[1.0, 0.0]]),
        pytest.param(lambda g: SoftmaxCrossentropy(focal_gamma=g, from_logits=True), [0]),
    ],
    ids=["sigmoid", "softmax"],
)
def test_focal_gradient_is_finite_for_confidently_right_outputs(loss, y_true, gamma) -> None:
    """1 - p_t is exactly 0 in float32 at logit 40: the gradient of its power must stay finite."""
    logits = tf.Variable([[40.0, -40.0]])
    with tf.GradientTape() as tape:
        value = loss(gamma)(np.array(y_true), logits)
    gradient = tape.gradient(value, logits).numpy()
    assert np.isfinite(float(value)) and float(value) == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient, 0.0, atol=1e-12)


# --------------------------------------------------------------------------- head options


def test_head_losses_follow_options() -> None:
    y = MULTILABEL_Y
    plain = classification_head("multilabel", 4, prior=y)
    assert type(plain.loss).__name__ == "BinaryCrossentropy"  # no loss option: Keras' loss
    balanced = classification_head("multilabel", 4, prior=y, pos_weight="balanced")
    assert isinstance(balanced.loss, SigmoidCrossentropy)
    expected = safeheads.label_pos_weight(y)  # the same weights as the public helper
    np.testing.assert_allclose(balanced.loss.pos_weight, expected)
    assert balanced.pos_weight == "balanced"
    vector = classification_head("multilabel", 4, pos_weight=[1.0, 2.0, 3.0, 4.0])
    assert vector.loss.pos_weight == (1.0, 2.0, 3.0, 4.0)
    smooth = classification_head("multiclass", 3, label_smoothing=0.1, from_logits=True)
    assert isinstance(smooth.loss, SoftmaxCrossentropy) and smooth.loss.sparse
    assert smooth.loss.get_config()["from_logits"] is True
    focal = classification_head("multiclass", 3, labels="one_hot", focal_gamma=2.0)
    assert isinstance(focal.loss, SoftmaxCrossentropy) and not focal.loss.sparse
    binary = classification_head("binary", focal_gamma=1.0, label_smoothing=0.05)
    assert isinstance(binary.loss, SigmoidCrossentropy)
    assert (binary.loss.focal_gamma, binary.loss.label_smoothing) == (1.0, 0.05)


def test_repr_shows_options() -> None:
    head = classification_head(
        "multilabel", 3, prior=[0.1, 0.2, 0.3], pos_weight="balanced", focal_gamma=2.0
    )
    assert repr(head) == (
        "Head('multilabel', 3, from_logits=False, threshold=0.5, prior=[0.1, 0.2, 0.3], "
        "pos_weight='balanced', focal_gamma=2.0)"
    )
    head = classification_head(
        "multiclass", 5, prior=[0, 1, 2, 3, 4], logit_adjustment=0.8, label_smoothing=0.1
    )
    assert repr(head) == (
        "Head('multiclass', 5, from_logits=False, labels='sparse', prior=<5 frequencies>, "
        "logit_adjustment=0.8, label_smoothing=0.1)"
    )


ROUND_TRIPS = [
    pytest.param("binary", None, {"prior": 0.3}, id="binary-prior"),
    pytest.param("binary", None, {"pos_weight": 3.0, "from_logits": True}, id="binary-pw"),
    pytest.param(
        "multilabel", 4, {"prior": MULTILABEL_Y, "pos_weight": "balanced"}, id="ml-balanced"
    ),
    pytest.param(
        "multilabel", 4, {"pos_weight": [1.0, 2.0, 3.0, 4.0], "top_k": 2}, id="ml-pw-vector"
    ),
    pytest.param(
        "multilabel",
        4,
        {"prior": MULTILABEL_Y, "threshold": [0.5, 0.3, 0.8, 0.6], "min_labels": 2},
        id="ml-min-labels",
    ),
    pytest.param(
        "multilabel",
        4,
        {"focal_gamma": 2.0, "label_smoothing": 0.1, "from_logits": True},
        id="ml-focal-smoothing",
    ),
    pytest.param(
        "multiclass",
        3,
        {"prior": [0, 1, 2, 2], "logit_adjustment": 0.7, "label_smoothing": 0.1},
        id="mc-adjusted-smoothing",
    ),
    pytest.param(
        "multiclass",
        3,
        {"prior": [1.0, 0.0, 0.0], "labels": "one_hot", "focal_gamma": 1.0},
        id="mc-degenerate-prior-one-hot",
    ),
]

OPTIONS = (
    "prior",
    "logit_adjustment",
    "pos_weight",
    "focal_gamma",
    "label_smoothing",
    "top_k",
    "min_labels",
)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize(("task", "n", "options"), ROUND_TRIPS)
def test_options_survive_keras_round_trip(
    tmp_path: pathlib.Path, task: str, n: int | None, options: dict
) -> None:
    head = classification_head(task, n, **options)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    x = _rng(13).normal(size=(5, 3)).astype("float32")
    before = model.predict(x, verbose=0)
    path = tmp_path / "options.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    again = safeheads.Head.from_model(loaded)
    for option in OPTIONS:
        assert getattr(again, option) == getattr(head, option), option
    assert repr(again) == repr(head)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)
    assert again.decode(before).tolist() == head.decode(before).tolist()
    assert type(loaded.loss) is type(head.loss)
    assert loaded.loss.get_config() == head.loss.get_config()
    assert type(again.loss) is type(head.loss)
    assert again.loss.get_config() == head.loss.get_config()
    assert [m.get_config() for m in again.metrics] == [m.get_config() for m in head.metrics]
    np.testing.assert_allclose(
        loaded.layers[-1].bias.numpy(), model.layers[-1].bias.numpy(), rtol=0
    )


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_tuned_thresholds_survive_keras_round_trip(
    tmp_path: pathlib.Path, from_logits: bool
) -> None:
    rng = _rng(14)
    x = rng.normal(size=(60, 3)).astype("float32")
    y = (rng.random((60, 4)) < [0.5, 0.3, 0.1, 0.05]).astype("float32")
    head = classification_head("multilabel", 4, prior=y, from_logits=from_logits)
    model = keras.Sequential([keras.Input((3,)), head.layer])
    scores = model.predict(x, verbose=0)
    tuned = head.tune_thresholds(y, scores, min_support=5)
    model.compile("adam", loss=tuned.loss, metrics=tuned.metrics)
    path = tmp_path / "tuned.keras"
    model.save(path)
    loaded = safeheads.Head.from_model(keras.models.load_model(path))
    assert loaded.threshold == tuned.threshold
    assert loaded.decode(scores).tolist() == tuned.decode(scores).tolist()


# --------------------------------------------------------------------------- errors

HEAD_ERRORS = [
    pytest.param(
        ("multilabel", 3, {"prior": 0.2}),
        HeadConfigError,
        "Expected `prior` to be training labels or one frequency per label (3 values) for "
        "task='multilabel'. Received: prior=0.2. Pass prior=y_train.",
        id="prior-scalar-multilabel",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": 0.2}),
        HeadConfigError,
        "Expected `prior` to be training labels or one frequency per class (3 values) for "
        "task='multiclass'. Received: prior=0.2. Pass prior=y_train.",
        id="prior-scalar-multiclass",
    ),
    pytest.param(
        ("binary", None, {"prior": 1.5}),
        HeadConfigError,
        "Expected `prior` frequencies in [0, 1]. Received: prior=1.5. Pass prior=y_train, or each label's share of the training samples.",
        id="prior-binary-range",
    ),
    pytest.param(
        ("multilabel", 3, {"prior": [0.1, 0.2, 1.5]}),
        HeadConfigError,
        "Expected `prior` frequencies in [0, 1]. Received: prior[2]=1.5. Pass prior=y_train, or each label's share of the training samples.",
        id="prior-vector-range",  # was read as labels: "a continuous (regression) target"
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [-0.1, 0.6, 0.5]}),
        HeadConfigError,
        "Expected `prior` frequencies in [0, 1]. Received: prior[0]=-0.1. Pass prior=y_train, or each label's share of the training samples.",
        id="prior-vector-negative",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": np.array([0.0, 1.0, 2.5])}),
        LabelFormatError,
        "Expected integral class labels. Received: y[2]=2.5 (1 of 3 values not integral). These "
        "look like a continuous (regression) target, not class labels; use a regression head, "
        "or bin the values into classes first.",
        id="prior-labels-with-a-fraction",  # no value in (0, 1): read as labels
    ),
    pytest.param(
        ("binary", None, {"prior": float("nan")}),
        HeadConfigError,
        "Expected `prior` frequencies in [0, 1]. Received: prior=nan. Pass prior=y_train, or each label's share of the training samples.",
        id="prior-binary-nan",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [0.5, 0.3, 0.3]}),
        HeadConfigError,
        "Expected `prior` class frequencies that sum to 1 for task='multiclass'. Received: 3 "
        "frequencies summing to 1.1. Divide counts by their total, or pass the training labels.",
        id="prior-sum",
    ),
    pytest.param(
        ("multilabel", 3, {"prior": [[0, 1, 2]]}),
        LabelFormatError,
        "Expected 0/1 cells in a one-hot or multi-hot matrix. Received: y[0, 2]=2 (1 of 3 "
        "cells not 0 or 1). If each row lists class ids, use safeheads.to_multi_hot(y, n); "
        "for one class id per sample pass a 1-D array.",
        id="prior-bad-labels",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [10, 20, 30]}),
        LabelFormatError,
        "Expected `prior` as training labels or frequencies. Received: prior=[10, 20, 30]. If "
        "it holds one count per class, pass frequencies, prior=counts / sum(counts). As labels "
        "it is refused: Expected class ids in [0, 3). Received: y[0]=10 (3 of 3 values out of "
        "range). Build the head with n=31, or fix those labels.",
        id="prior-counts-multiclass",
    ),
    pytest.param(
        ("multilabel", 3, {"prior": np.array([10, 20, 30])}),
        LabelFormatError,
        "Expected `prior` as training labels or frequencies. Received: prior=[10, 20, 30]. If "
        "it holds one count per label, pass frequencies, prior=counts / number_of_samples. As "
        "labels it is refused: Expected labels for task='multilabel'. Received: sparse labels "
        "(3 values, n=31). A multilabel head needs a multi-hot (N, n) matrix or one list of "
        "labels per sample: wrap each label in a list, or use task='multiclass'.",
        id="prior-counts-multilabel",
    ),
    pytest.param(
        ("binary", None, {"prior": [900, 100]}),
        LabelFormatError,
        "Expected `prior` as training labels or frequencies. Received: prior=[900, 100]. If it "
        "holds one count per class, pass the positive rate, prior=counts[1] / sum(counts). As "
        "labels it is refused: Expected labels for task='binary'. Received: sparse labels (2 "
        "values, n=901). A binary head takes 0/1 labels; these hold the two values 100 and "
        "900: map them to 0/1 (y == 900), or build the head with class_names=[100, 900].",
        id="prior-counts-binary",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [1, 2, 5, 6]}),
        LabelFormatError,
        "Expected class ids in [0, 3). Received: y[2]=5 (2 of 4 values out of range). Build "
        "the head with n=7, or fix those labels.",
        id="prior-labels-not-counts",
    ),
    pytest.param(
        ("binary", None, {"prior": [0.7, 0.3]}),
        HeadConfigError,
        "Expected `prior` to be the positive rate (one number) or the training labels for "
        "task='binary'. Received: prior=[0.7, 0.3], two class frequencies. Pass prior=0.3, the "
        "frequency of class 1.",
        id="prior-binary-pair",
    ),
    pytest.param(
        ("multilabel", 3, {"prior": [0.2, 0.3]}),
        HeadConfigError,
        "Expected `prior` to be training labels or one frequency per label (3 values) for "
        "task='multilabel'. Received: prior=[0.2, 0.3], 2 frequencies. Pass prior=y_train.",
        id="prior-frequencies-one-short",
    ),
    pytest.param(
        ("binary", None, {"prior": [0.2, 0.3, 0.1]}),
        HeadConfigError,
        "Expected `prior` to be the positive rate (one number) or the training labels for "
        "task='binary'. Received: prior=[0.2, 0.3, 0.1], 3 frequencies. Pass prior=y_train.",
        id="prior-binary-three-frequencies",
    ),
    pytest.param(
        ("multiclass", 3, {"logit_adjustment": 1.0}),
        HeadConfigError,
        "Expected `prior` with `logit_adjustment`: it subtracts tau * log(prior). Received: "
        "logit_adjustment=1.0, prior=None. Pass prior=y_train.",
        id="tau-no-prior",
    ),
    pytest.param(
        ("multilabel", 3, {"logit_adjustment": 1.0}),
        HeadConfigError,
        "Expected `logit_adjustment` to be omitted for task='multilabel': it shifts multiclass "
        "scores. Received: logit_adjustment=1.0. For a multilabel head tune the threshold "
        "instead (head.tune_thresholds).",
        id="tau-multilabel",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [0, 1, 2], "logit_adjustment": -0.5}),
        HeadConfigError,
        "Expected `logit_adjustment` >= 0 and finite (the tau in scores - tau * log(prior); 1 "
        "is the Bayes-balanced value). Received: logit_adjustment=-0.5. Pass a float >= 0, e.g. logit_adjustment=1.0, or leave it out.",
        id="tau-negative",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [0, 1, 2], "logit_adjustment": float("inf")}),
        HeadConfigError,
        "Expected `logit_adjustment` >= 0 and finite (the tau in scores - tau * log(prior); 1 "
        "is the Bayes-balanced value). Received: logit_adjustment=inf. Pass a float >= 0, e.g. logit_adjustment=1.0, or leave it out.",
        id="tau-inf",
    ),
    pytest.param(
        ("multiclass", 3, {"prior": [0, 1, 2], "logit_adjustment": "1"}),
        TypeError,
        "Expected `logit_adjustment` to be a float or None. Received: logit_adjustment='1'. Pass logit_adjustment=1.0, a number.",
        id="tau-type",
    ),
    pytest.param(
        ("multiclass", 3, {"pos_weight": 2.0}),
        HeadConfigError,
        "Expected `pos_weight` to be omitted for task='multiclass': it weighs the positive term "
        "of a sigmoid output. Received: pos_weight=2.0. Pass class_weight=... to model.fit "
        "instead.",
        id="pw-multiclass",
    ),
    pytest.param(
        ("multilabel", 3, {"pos_weight": "balance"}),
        HeadConfigError,
        "Expected `pos_weight` to be 'balanced', a float or one float per output. Received: "
        "pos_weight='balance'. Pass pos_weight='balanced' (with prior=y_train), a float such as 3.0, or a list of floats.",
        id="pw-unknown-str",
    ),
    pytest.param(
        ("multilabel", 3, {"pos_weight": "balanced"}),
        HeadConfigError,
        "Expected `prior` with pos_weight='balanced': the weights are n_negative / n_positive "
        "per output. Received: prior=None. Pass prior=y_train.",
        id="pw-balanced-no-prior",
    ),
    pytest.param(
        ("multilabel", 3, {"pos_weight": [1.0, 0.0, 2.0]}),
        HeadConfigError,
        "Expected `pos_weight` > 0 and finite. Received: pos_weight[1]=0.0. Pass a positive weight (1.0 leaves the positives as they are).",
        id="pw-zero",
    ),
    pytest.param(
        ("binary", None, {"pos_weight": float("inf")}),
        HeadConfigError,
        "Expected `pos_weight` > 0 and finite. Received: pos_weight=inf. Pass a positive weight (1.0 leaves the positives as they are).",
        id="pw-inf",
    ),
    pytest.param(
        ("multilabel", 3, {"pos_weight": [1.0, 2.0]}),
        HeadConfigError,
        "Expected one `pos_weight` per output (3). Received: 2 weights. Pass 3 weights, or one float for every output.",
        id="pw-length",
    ),
    pytest.param(
        ("multilabel", 3, {"pos_weight": [1.0, None, 2.0]}),
        TypeError,
        "Expected `pos_weight` to be 'balanced', a float or a sequence of floats. Received: "
        "pos_weight[1]=None. Pass 'balanced', a float or a sequence of floats.",
        id="pw-type",
    ),
    pytest.param(
        ("binary", None, {"focal_gamma": -1}),
        HeadConfigError,
        "Expected `focal_gamma` >= 0 and finite (0 turns focal loss off; 2 is the usual value). "
        "Received: focal_gamma=-1. Pass a float >= 0, e.g. focal_gamma=2.0.",
        id="focal-negative",
    ),
    pytest.param(
        ("binary", None, {"focal_gamma": float("inf")}),
        HeadConfigError,
        "Expected `focal_gamma` >= 0 and finite (0 turns focal loss off; 2 is the usual value). "
        "Received: focal_gamma=inf. Pass a float >= 0, e.g. focal_gamma=2.0.",
        id="focal-inf",
    ),
    pytest.param(
        ("binary", None, {"focal_gamma": None}),
        TypeError,
        "Expected `focal_gamma` to be a float. Received: focal_gamma=None. Pass a float.",
        id="focal-type",
    ),
    pytest.param(
        ("multiclass", 3, {"label_smoothing": 1.0}),
        HeadConfigError,
        "Expected `label_smoothing` in [0, 1) (0.1 is the usual value). Received: "
        "label_smoothing=1.0. Pass a float in [0, 1), e.g. label_smoothing=0.1.",
        id="smoothing-range",
    ),
    pytest.param(
        ("multiclass", 3, {"label_smoothing": True}),
        TypeError,
        "Expected `label_smoothing` to be a float. Received: label_smoothing=True of type bool. Pass a float.",
        id="smoothing-type",
    ),
]


@pytest.mark.parametrize(("args", "error", "message"), HEAD_ERRORS)
def test_head_option_errors(args: tuple, error: type, message: str) -> None:
    task, n, options = args
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        classification_head(task, n, **options)


LAYER_ERRORS = [
    pytest.param(
        {"bias_initializer": "ones"},
        "Expected `bias_initializer` to be omitted with `prior`: the prior sets the bias. "
        "Received: bias_initializer='ones'. Leave `bias_initializer` out, or leave `prior` out to set the bias yourself.",
        id="prior-bias-initializer",
    ),
    pytest.param(
        {"use_bias": False},
        "Expected use_bias=True with `prior`: the prior sets the bias. Received: use_bias=False. Leave `use_bias` out, or leave `prior` out for an output without a bias.",
        id="prior-no-bias",
    ),
]


@pytest.mark.parametrize(("options", "message"), LAYER_ERRORS)
def test_head_layer_prior_conflicts(options: dict, message: str) -> None:
    with pytest.raises(HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.HeadLayer("binary", prior=[0, 1], **options)


def _binary() -> safeheads.Head:
    return classification_head("binary")


TUNE_ERRORS = [
    pytest.param(
        {"metric": 1},
        TypeError,
        "Expected `metric` to be a str. Received: metric=1. Pass one of 'f1', 'fbeta'.",
        id="metric-type",
    ),
    pytest.param(
        {"metric": "accuracy"},
        HeadConfigError,
        "Expected `metric` to be one of 'f1', 'fbeta'. Received: metric='accuracy'. Pass one of these.",
        id="metric-value",
    ),
    pytest.param(
        {"metric": "fbeta", "beta": "2"},
        TypeError,
        "Expected `beta` to be a float. Received: beta='2'. Pass beta=2.0, a number.",
        id="beta-type",
    ),
    pytest.param(
        {"metric": "fbeta", "beta": 0.0},
        HeadConfigError,
        "Expected `beta` > 0 and finite. Received: beta=0.0. Pass e.g. beta=2.0 to weigh recall "
        "twice as much as precision, or beta=0.5 for the reverse.",
        id="beta-zero",
    ),
    pytest.param(
        {"metric": "fbeta", "beta": float("inf")},
        HeadConfigError,
        "Expected `beta` > 0 and finite. Received: beta=inf. Pass e.g. beta=2.0 to weigh recall "
        "twice as much as precision, or beta=0.5 for the reverse.",
        id="beta-inf",
    ),
    pytest.param(
        {"beta": float("inf")},
        HeadConfigError,
        "Expected `beta` > 0 and finite. Received: beta=inf. Omit `beta` for metric='f1', or "
        "pass metric='fbeta' with e.g. beta=2.0 to weigh recall twice as much as precision, or "
        "beta=0.5 for the reverse.",
        id="beta-inf-with-f1",
    ),
    pytest.param(
        {"beta": 2.0},
        HeadConfigError,
        "Expected `beta` to be omitted (or 1.0) with metric='f1'. Received: beta=2.0. Use "
        "metric='fbeta' to weigh recall beta times as much as precision.",
        id="beta-with-f1",
    ),
    pytest.param(
        {"min_support": 2.5},
        TypeError,
        "Expected `min_support` to be an int or None. Received: min_support=2.5. Pass a whole number >= 1.",
        id="min-support-type",
    ),
    pytest.param(
        {"min_support": 0},
        HeadConfigError,
        "Expected `min_support` >= 1, or None for no label-own thresholds. Received: "
        "min_support=0. Pass min_support=1 or more, or leave it out.",
        id="min-support-zero",
    ),
    pytest.param(
        {"average": None},
        TypeError,
        "Expected `average` to be a str. Received: average=None. Pass one of 'micro', 'macro', 'micro+macro'.",
        id="average-type",
    ),
    pytest.param(
        {"average": "weighted"},
        HeadConfigError,
        "Expected `average` to be one of 'micro', 'macro', 'micro+macro'. Received: "
        "average='weighted'. Pass one of these.",
        id="average-value",
    ),
    pytest.param(
        {"prior_slope": "0.5"},
        TypeError,
        "Expected `prior_slope` to be a float or None. Received: prior_slope='0.5'. Pass prior_slope=0.5, a number.",
        id="prior-slope-type",
    ),
    pytest.param(
        {"prior_slope": float("nan")},
        HeadConfigError,
        "Expected a finite `prior_slope`. Received: prior_slope=nan. Pass a finite float, or leave it out to tune it.",
        id="prior-slope-nan",
    ),
]


@pytest.mark.parametrize(("options", "error", "message"), TUNE_ERRORS)
def test_tune_option_errors(options: dict, error: type, message: str) -> None:
    # on a multilabel head: a binary head refuses its options whatever their values
    head = classification_head("multilabel", 2, prior=[[0, 1], [1, 0]])
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        head.tune_thresholds([[0, 1], [1, 0]], np.array([[0.2, 0.7], [0.8, 0.1]]), **options)


def test_tune_errors_on_data() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Expected one row of scores per label. Received: 3 labels and 2 rows of scores."
        ),
    ):
        _binary().tune_thresholds([0, 1, 1], np.array([[0.2], [0.8]]))
    with pytest.raises(
        HeadConfigError,
        match=re.escape(
            "Expected a multiclass head built with `prior` to tune its logit adjustment. "
            "Received: prior=None. Build it with classification_head(..., prior=y_train)."
        ),
    ):
        classification_head("multiclass", 3).tune_thresholds([0, 1, 2], np.eye(3))
    with pytest.raises(
        HeadConfigError,
        match=re.escape(
            "Expected a head built with `prior` for `prior_slope`: it scales the logit of each "
            "label's prior. Received: prior_slope=0.5 and prior=None. Build the head with "
            "classification_head(..., prior=y_train), or leave prior_slope out for one global "
            "threshold."
        ),
    ):  # it used to be ignored: one global threshold whatever the slope
        classification_head("multilabel", 2).tune_thresholds(
            [[0, 1], [1, 0]], np.array([[0.2, 0.8], [0.9, 0.1]]), prior_slope=0.5
        )


@pytest.mark.parametrize(
    ("task", "options", "message"),
    [
        pytest.param(
            "binary",
            {"average": "macro"},
            "Received: average='macro' for task='binary'. A binary head tunes one threshold, "
            "for the F-beta of the positive class: leave them out.",
            id="binary-average",
        ),
        pytest.param(
            "multiclass",
            {"prior_slope": 0.5, "min_support": 3},
            "Received: min_support=3, prior_slope=0.5 for task='multiclass'. A multiclass head "
            "tunes its logit adjustment, for macro-F-beta: leave them out.",
            id="multiclass-support-slope",
        ),
        pytest.param(
            "binary",
            {"min_support": 0, "prior_slope": float("inf")},
            "Received: min_support=0, prior_slope=inf for task='binary'. A binary head tunes "
            "one threshold, for the F-beta of the positive class: leave them out.",
            id="binary-values-refused-anyway",  # not "Expected `min_support` >= 1"
        ),
        pytest.param(
            "binary",
            {"average": "weighted"},
            "Received: average='weighted' for task='binary'. A binary head tunes one threshold, "
            "for the F-beta of the positive class: leave them out.",
            id="binary-unknown-average",
        ),
    ],
)
def test_tune_refuses_multilabel_options_for_other_tasks(
    task: str, options: dict, message: str
) -> None:
    head = classification_head(task, 3, prior=[0, 1, 2]) if task == "multiclass" else _binary()
    before = head.layer.get_config()
    with pytest.raises(
        HeadConfigError,
        match="^"
        + re.escape(
            "Expected `min_support`, `average` and `prior_slope` only for task='multilabel': "
            "they choose per-label thresholds. " + message
        )
        + "$",
    ):
        scores = np.eye(3)[:, :1] if task == "binary" else np.eye(3)
        head.tune_thresholds([0, 1, 1], scores, **options)
    assert head.layer.get_config() == before  # nothing tuned


LOSS_ERRORS = [
    pytest.param(
        lambda: SoftmaxCrossentropy(sparse="yes"),
        TypeError,
        "Expected `sparse` to be a bool. Received: sparse='yes'. Pass True or False.",
        id="sparse-type",
    ),
    pytest.param(
        lambda: SigmoidCrossentropy(from_logits=1),
        TypeError,
        "Expected `from_logits` to be a bool. Received: from_logits=1. Pass from_logits=True.",
        id="from-logits-type",
    ),
    pytest.param(
        lambda: SigmoidCrossentropy(pos_weight=-2.0),
        HeadConfigError,
        "Expected `pos_weight` > 0 and finite. Received: pos_weight=-2.0. Pass a positive weight (1.0 leaves the positives as they are).",
        id="pos-weight",
    ),
    pytest.param(
        lambda: SigmoidCrossentropy(pos_weight="balanced"),
        TypeError,
        "Expected `pos_weight` to be a float or a sequence of floats. Received: "
        "pos_weight='balanced', which only classification_head(..., prior=y) resolves. Pass "
        "the weights: pos_weight=safeheads.label_pos_weight(y) for multi-hot labels; for a "
        "binary column, weigh the classes in fit(class_weight=safeheads.class_weight(y)).",
        id="pos-weight-balanced-on-the-loss",
    ),
    pytest.param(
        lambda: SigmoidCrossentropy(pos_weight=[]),
        HeadConfigError,
        "Expected at least one `pos_weight`. Received: an empty sequence. Pass one float for "
        "every output, or one per output.",
        id="pos-weight-empty",
    ),
    pytest.param(
        lambda: SigmoidCrossentropy(pos_weight=[1.0, 2.0, 3.0])(
            np.ones((2, 4)), np.full((2, 4), 0.5, "float32")
        ),
        HeadConfigError,
        "Expected one `pos_weight` per output (4). Received: 3 weights for outputs of shape "
        "(2, 4). Build the loss with 4 weights, or one float for every output.",
        id="pos-weight-length-vs-outputs",
    ),
    pytest.param(
        lambda: PriorBias([0.0, 1.0])((3,)),
        ValueError,
        "Expected a bias of shape (2,). Received: shape=(3,). Use this initializer for the bias of the layer it was built for.",
        id="prior-bias-shape",
    ),
]


@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.1}, {"focal_gamma": 2.0}])
def test_sparse_softmax_crossentropy_refuses_ids_outside_the_classes(options: dict) -> None:
    # take_along_axis read id -1 as the last class (0.0134 here, the loss of id 2), where
    # Keras' sparse cross-entropy stops; a head with label_smoothing or focal_gamma uses it.
    logits = np.array([[0.0, 0.0, 5.0], [1.0, 0.0, 0.0]], "float32")
    loss = SoftmaxCrossentropy(from_logits=True, **options)
    assert np.isfinite(float(loss(np.array([2, 0]), logits)))
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"class ids in \[0, n\)"):
            loss(np.array([2, -1]), logits)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
        model.compile("adam", loss=loss, jit_compile=True)  # XLA drops the assertion
        assert np.isnan(model.evaluate(logits, np.array([2, -1]), verbose=0))
    else:
        assert np.isnan(float(loss(np.array([2, -1]), logits)))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float64"])
def test_focal_and_pos_weight_in_other_float_dtypes(dtype: str) -> None:
    # np.finfo does not know bfloat16 (a ValueError before); pos_weight was rounded to float32.
    y, z = np.array([[1.0, 0.0]]), np.array([[-2.0, 1.0]])
    loss = SigmoidCrossentropy(pos_weight=1 / 3, focal_gamma=2.0, from_logits=True, dtype=dtype)
    p = 1 / (1 + np.exp(-z))
    ce = -(y * np.log(p) / 3 + (1 - y) * np.log(1 - p))
    expected = np.mean((1 - (y * p + (1 - y) * (1 - p))) ** 2 * ce)
    tolerance = {"bfloat16": 2e-2, "float16": 2e-3, "float64": 1e-12}[dtype]
    assert float(loss(y, z)) == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize(("make", "error", "message"), LOSS_ERRORS)
def test_loss_errors(make, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()


@pytest.mark.parametrize(
    "loss",
    [
        SigmoidCrossentropy(
            pos_weight=[1.0, 2.0], focal_gamma=2.0, label_smoothing=0.1, from_logits=True
        ),
        SoftmaxCrossentropy(sparse=False, focal_gamma=1.0, label_smoothing=0.2),
    ],
    ids=["sigmoid", "softmax"],
)
def test_losses_serialize(loss: keras.losses.Loss) -> None:
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow graphs only")
@pytest.mark.parametrize(
    ("loss", "activation", "expected"),
    [
        pytest.param(
            safeheads.SigmoidCrossentropy(label_smoothing=0.0, pos_weight=1.0),
            keras.ops.sigmoid,
            20.0 + math.log1p(math.exp(-20.0)),  # softplus(20): -log(sigmoid(-20))
            id="sigmoid",
        ),
        pytest.param(
            safeheads.SoftmaxCrossentropy(label_smoothing=0.0, focal_gamma=0.0),
            lambda z: keras.ops.softmax(z, axis=-1),
            25.0 + math.log(1.0 + math.exp(-25.0) + math.exp(-5.0)),  # -log_softmax(z)[0]
            id="softmax",
        ),
    ],
)
def test_losses_on_probabilities_read_the_logits_keras_keeps_in_a_graph(
    loss: keras.losses.Loss, activation: Any, expected: float
) -> None:
    # A confidently wrong output: clipped to epsilon, the loss stopped at -log(1e-7) = 16.1
    # with no gradient; Keras' own cross-entropies read the logits there, and so do these.
    if "sigmoid" in loss.name:
        target, z = tf.constant([[1.0]]), tf.constant([[-20.0]])
    else:
        target, z = tf.constant([0]), tf.constant([[-20.0, 5.0, 0.0]])

    @tf.function
    def value_and_gradient(z: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = loss(target, activation(z))
        return value, tape.gradient(value, z)

    value, gradient = value_and_gradient(z)
    assert float(value) == pytest.approx(expected, rel=1e-5)
    assert float(tf.reduce_max(tf.abs(gradient))) > 0.99  # the wrong output is pushed back


SIGMOID_HINT = (
    "A sigmoid output takes one 0/1 label per output: a (N, 1) column for one output, a "
    "(N, n) 0/1 matrix for n; encode the labels with head.encode(y)."
)
PROBABILITIES3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]], "float32")


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred", "message"),
    [
        pytest.param(
            safeheads.SigmoidCrossentropy(focal_gamma=2.0),
            [[0.0, 1.0]],
            [[0.99]],
            f"Expected labels of shape (1, 1) for outputs of shape (1, 1). Received: labels of "
            f"shape (1, 2). {SIGMOID_HINT}",
            id="one-hot-on-one-sigmoid",
        ),
        pytest.param(
            safeheads.SigmoidCrossentropy(label_smoothing=0.1),
            np.array([1.0, 0.0, 1.0]),
            PROBABILITIES3,
            f"Expected labels of shape (3, 3) for outputs of shape (3, 3). Received: labels of "
            f"shape (3,). {SIGMOID_HINT}",
            id="column-on-three-sigmoids",
        ),
        pytest.param(
            safeheads.SoftmaxCrossentropy(sparse=False),
            np.array([0, 2, 1]),
            PROBABILITIES3,
            "Expected labels of shape (3, 3) for outputs of shape (3, 3). Received: labels of "
            "shape (3,). sparse=False takes one-hot rows; for class ids use sparse=True, or "
            "safeheads.to_categorical(y, n).",
            id="ids-on-one-hot-softmax",
        ),
        pytest.param(
            safeheads.SoftmaxCrossentropy(label_smoothing=0.1),
            np.eye(3)[[0, 2, 1]],
            PROBABILITIES3,
            "Expected labels of shape (3,) for outputs of shape (3, 3). Received: labels of "
            "shape (3, 3). sparse=True takes one class id per sample; for one-hot rows use "
            "sparse=False, or safeheads.to_sparse(y).",
            id="one-hot-on-sparse-softmax",
        ),
    ],
)
def test_losses_refuse_labels_of_another_shape(
    loss: Any, y_true: Any, y_pred: Any, message: str
) -> None:
    # Broadcasting paired every label with every output: the one-hot "positive" [[0, 1]]
    # at p=0.99 cost 2.26 (the mean of BCE(0, .99) and BCE(1, .99)), class ids fed to a
    # one-hot softmax of 3 rows 4.56; Keras' own losses raise for these shapes.
    with pytest.raises(safeheads.LabelFormatError, match=f"^{re.escape(message)}$"):
        loss(y_true, y_pred)


def test_losses_take_python_lists_as_keras_losses_do() -> None:
    # Keras converts only the leaves of nested lists: `.shape` of a list raised.
    expected = float(keras.losses.BinaryCrossentropy()([[1.0], [0.0]], [[0.9], [0.2]]))
    assert float(safeheads.SigmoidCrossentropy()([[1.0], [0.0]], [[0.9], [0.2]])) == pytest.approx(
        expected, rel=1e-6
    )
    sparse = safeheads.SoftmaxCrossentropy()([0, 2], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert float(sparse) == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2, rel=1e-5)


@pytest.mark.parametrize(
    ("offsets", "error", "message"),
    [
        pytest.param(
            [float("nan"), 0.0, 0.0],
            HeadConfigError,
            "Expected `offsets` to be one finite float per class. Received: offsets[0]=nan. Pass tau * log(prior) per class, as the head computes it.",
            id="nan",
        ),
        pytest.param(
            [],
            HeadConfigError,
            "Expected `offsets` to be one finite float per class. Received: offsets=[]. Pass tau * log(prior) per class, as the head computes it.",
            id="empty",
        ),
        pytest.param(
            ["a", 0.0],
            TypeError,
            "Expected `offsets` to be a sequence of floats. Received: offsets[0]='a'. Pass a sequence of floats.",
            id="not-a-number",
        ),
    ],
)
def test_logit_adjusted_accuracy_refuses_bad_offsets(
    offsets: list[Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        safeheads.LogitAdjustedAccuracy(offsets)


def test_logit_adjusted_accuracy_refuses_outputs_of_another_width() -> None:
    # One offset for three classes was broadcast to all of them (no adjustment at all).
    metric = safeheads.LogitAdjustedAccuracy([5.0])
    message = (
        "Expected outputs of width 1, one per offset, for the metric accuracy. Received: "
        "y_pred of shape (2, 3). Pass one offset per class."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        metric.update_state(np.array([2, 1]), np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]]))


def test_multiclass_prior_comes_back_from_its_config_unchanged() -> None:
    # from_config divided the saved frequencies by their sum again: one ulp off for
    # about a fifth of random priors (0.022334159585999398 came back ...9994).
    rng = np.random.default_rng(0)
    for _ in range(50):
        frequencies = rng.random(25)
        frequencies = (frequencies / frequencies.sum()).tolist()
        layer = safeheads.HeadLayer("multiclass", 25, prior=frequencies, logit_adjustment=1.0)
        again = safeheads.HeadLayer.from_config(layer.get_config())
        assert again.prior == layer.prior


def test_a_frequency_prior_with_nan_is_a_prior_error() -> None:
    # It was read as labels: "Expected finite labels. Received: y[2]=nan".
    message = (
        "Expected `prior` frequencies in [0, 1]. Received: prior[2]=nan. Pass prior=y_train, "
        "or each label's share of the training samples."
    )
    with pytest.raises(HeadConfigError, match=f"^{re.escape(message)}$"):
        safeheads.classification_head("multiclass", 3, prior=[0.2, 0.3, float("nan")])


def test_tuned_logit_thresholds_above_23_score_only_reachable_decisions() -> None:
    # The search chose a cut between 30.0 and 30.0001 (F1 1.0) that no probability
    # threshold reproduces; the stored one then decided [0, 0, 0, 1] (F1 0.667).
    head = safeheads.classification_head("binary", from_logits=True)
    y = np.array([0, 1, 0, 1])
    scores = np.array([30.0, 30.0001, -5.0, 31.0], dtype="float32")
    tuned = head.tune_thresholds(y, scores)
    assert tuned.decode(scores).ravel().tolist() == [1, 1, 0, 1]  # F1 0.8, the best reachable
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.uniform(28.0, 35.0, 16).astype("float32")
        y = (rng.random(16) < 0.5).astype(int)
        y[0] = 1
        decided = head.tune_thresholds(y, scores).decode(scores).ravel()
        # every decision a threshold can make: cuts just at or above each score, and below all
        probabilities = 1.0 / (1.0 + np.exp(-scores.astype(np.float64)))
        candidates = np.concatenate([probabilities, np.nextafter(probabilities, 1.0), [0.5]])
        reachable = [scores > safeheads._thresholds.cut_points(t, True) for t in candidates]
        best = max(f1_score(y, r.astype(int), zero_division=0) for r in reachable)
        assert f1_score(y, decided, zero_division=0) == pytest.approx(best, abs=1e-12)


def test_tuning_logits_above_36_raises_no_numpy_warning() -> None:
    # _reachable took log1p(-1.0) for logits whose probability rounds to 1.0.
    head = safeheads.classification_head("binary", from_logits=True)
    scores = np.array([-3.0, -1.0, 40.0, 2.0, -2.0, 50.0], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tuned = head.tune_thresholds(np.array([0, 0, 1, 1, 0, 1]), scores)
    assert tuned.decode(scores).ravel().tolist() == [0, 0, 1, 1, 0, 1]
