"""HeadGuard: stops a fit with a bad head before the first batch, lets a good one run."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import safeheads
from safeheads._guard import _first_batch_labels

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y_BINARY = np.array([0, 1] * 16)
Y_SPARSE4 = np.array([0, 1, 2, 3] * 8)  # 4 classes
Y_SPARSE3 = np.arange(32) % 3


class BatchCounter(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batches += 1


def _model(units: int, activation: str | None, loss: Any, **compile_args: Any) -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation)])
    model.compile("adam", loss=loss, **compile_args)
    return model


def _stopped_message(guard: safeheads.HeadGuard) -> str:
    return f"{guard.report}\n\nsafeheads.HeadGuard stopped training before the first batch."


def test_bad_head_stops_before_the_first_batch() -> None:
    model = _model(1, "softmax", "binary_crossentropy", metrics=["accuracy"])
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    with pytest.raises(safeheads.HeadMismatchError) as info:
        model.fit(X, Y_BINARY, epochs=3, batch_size=8, callbacks=[guard, counter], verbose=0)
    assert counter.batches == 0
    assert guard.report is not None and guard.report.codes == ("SH101",)
    assert str(info.value) == _stopped_message(guard)
    assert "labels: binary-column, shape (32,), n=2" in str(info.value)


def test_good_head_trains() -> None:
    layer, loss, metrics = safeheads.classification_head("binary")
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile("adam", loss=loss, metrics=metrics)
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", safeheads.SafeheadsWarning)
        history = model.fit(X, Y_BINARY, batch_size=8, callbacks=[guard, counter], verbose=0)
    assert counter.batches == 4 and np.isfinite(history.history["loss"][0])
    assert guard.report is not None and guard.report.findings == ()
    assert guard.report.inspected[-1] == "labels: binary-column, shape (32,), n=2"


def test_class_weight_on_a_multilabel_model_stops_before_the_first_batch() -> None:
    model = _model(4, "sigmoid", "binary_crossentropy")
    y = (np.random.default_rng(1).random((32, 4)) < 0.4).astype("float32")
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(X, y, class_weight={0: 1.0, 1: 3.0, 2: 1.0, 3: 1.0}, callbacks=[guard, counter])
    assert counter.batches == 0 and guard.report is not None
    assert guard.report.codes == ("SH410",)


def test_inverse_count_class_weight_warns_and_trains() -> None:
    model = _model(4, "softmax", "sparse_categorical_crossentropy")
    weights = {c: 0.01 for c in range(4)}  # 1/count of 100 samples per class
    guard = safeheads.HeadGuard()
    with pytest.warns(
        safeheads.SafeheadsWarning, match="warning SH411: class_weight averages 0.01 "
    ):
        model.fit(X, Y_SPARSE4, class_weight=weights, callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.codes == ("SH411",)
    model.fit(
        X, Y_SPARSE4, class_weight=safeheads.class_weight(Y_SPARSE4), callbacks=[guard], verbose=0
    )
    assert guard.report.codes == ()


def test_class_weight_mean_needs_every_label() -> None:
    # Balanced weights average 1 over all labels; a first batch rich in the rare class
    # averages far more. From a dataset's first batch the guard does not judge the mean.
    y = np.array([1] * 8 + [0] * 792)
    x = np.random.default_rng(2).normal(size=(800, 4)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    model = _model(1, "sigmoid", "binary_crossentropy")
    guard = safeheads.HeadGuard()
    with warnings.catch_warnings():
        warnings.simplefilter("error", safeheads.SafeheadsWarning)
        model.fit(data, class_weight=safeheads.class_weight(y), callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.codes == ()


def test_out_of_range_labels_stop_instead_of_nan() -> None:
    """Without the guard, XLA turns class id 3 of 3 classes into a NaN loss."""
    unguarded = _model(3, "softmax", "sparse_categorical_crossentropy", jit_compile=True)
    history = unguarded.fit(X, Y_SPARSE4, batch_size=32, verbose=0)
    assert np.isnan(history.history["loss"][0])
    guarded = _model(3, "softmax", "sparse_categorical_crossentropy", jit_compile=True)
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    with pytest.raises(safeheads.HeadMismatchError) as info:
        guarded.fit(X, Y_SPARSE4, batch_size=32, callbacks=[guard, counter], verbose=0)
    assert counter.batches == 0
    assert "error SH403: The output has 3 units, so class ids must be in [0, 3), but y[3]=3" in (
        str(info.value)
    )


def test_out_of_range_validation_labels_stop_before_the_first_batch() -> None:
    model = _model(4, "softmax", "sparse_categorical_crossentropy")
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    validation = (X[:4], np.array([0, 1, 2, 7]))
    with pytest.raises(safeheads.HeadMismatchError) as info:
        model.fit(X, Y_SPARSE4, validation_data=validation, callbacks=[guard, counter], verbose=0)
    assert counter.batches == 0
    text = str(info.value)
    assert text.startswith("The validation_data labels do not fit the model.\n")
    assert "error SH403: The output has 4 units, so class ids must be in [0, 4), but y[3]=7" in text
    # Good validation labels, and fewer classes than the training labels: no error.
    model.fit(X, Y_SPARSE4, validation_data=(X[:2], np.array([0, 1])), verbose=0, callbacks=[guard])
    # A tf.data validation set: its first batch is checked.
    bad = tf.data.Dataset.from_tensor_slices((X[:4], np.array([7, 1, 2, 0]))).batch(2)
    with pytest.raises(safeheads.HeadMismatchError) as info:
        model.fit(X, Y_SPARSE4, validation_data=bad, callbacks=[guard, counter], verbose=0)
    assert counter.batches == 0
    assert "error SH403: The output has 4 units, so class ids must be in [0, 4), but y[0]=7" in (
        str(info.value)
    )


def test_one_hot_first_batch_trains_a_sigmoid_model_as_check_does() -> None:
    """One-hot rows with sigmoid + BCE + 'accuracy' pass `check`; a dataset of the same rows
    must not be stopped on a guess that the task is multilabel."""
    model = _model(4, "sigmoid", "binary_crossentropy", metrics=["accuracy"])
    one_hot = np.eye(4, dtype="float32")[Y_SPARSE4]
    assert safeheads.check(model, one_hot).findings == ()
    data = tf.data.Dataset.from_tensor_slices((X, one_hot)).batch(8)
    guard = safeheads.HeadGuard()
    model.fit(data, epochs=1, verbose=0, shuffle=False, callbacks=[guard])
    assert guard.report is not None and guard.report.ok


def test_explicit_labels_win() -> None:
    model = _model(3, "softmax", "sparse_categorical_crossentropy")
    guard = safeheads.HeadGuard(labels=Y_SPARSE4)
    dataset = tf.data.Dataset.from_tensor_slices((X, Y_SPARSE4 % 3)).batch(8)
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(dataset, callbacks=[guard], shuffle=False, verbose=0)
    assert guard.report is not None and guard.report.codes == ("SH403",)


def test_labels_from_the_first_batch_of_a_dataset() -> None:
    model = _model(3, "softmax", "sparse_categorical_crossentropy")
    dataset = tf.data.Dataset.from_tensor_slices((X, Y_SPARSE4)).batch(8)
    guard = safeheads.HeadGuard()
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(dataset, callbacks=[guard], shuffle=False, verbose=0)
    assert guard.report is not None
    assert guard.report.codes == ("SH403",)
    assert "labels: the first batch of the tf.data.Dataset." in guard.report.notes
    assert "labels: sparse, shape (8,), n=4" in guard.report.inspected


class _Batches(keras.utils.PyDataset):  # type: ignore[misc]
    def __init__(self, y: np.ndarray) -> None:
        super().__init__()
        self.y = y

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return X[index * 8 : (index + 1) * 8], self.y[index * 8 : (index + 1) * 8]


def test_labels_from_the_first_batch_of_a_py_dataset() -> None:
    model = _model(3, "sigmoid", "binary_crossentropy", metrics=["accuracy"])
    multi_hot = (np.arange(32)[:, None] % np.array([2, 3, 5]) == 0).astype("float32")
    guard = safeheads.HeadGuard()
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(_Batches(multi_hot), callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.codes == ("SH301",)
    assert "labels: the first batch of the PyDataset." in guard.report.notes


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
def test_labels_from_a_torch_data_loader(shuffle: bool) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y_SPARSE4))
    loader = DataLoader(dataset, batch_size=8, shuffle=shuffle)
    model = _model(3, "softmax", "sparse_categorical_crossentropy")
    guard = safeheads.HeadGuard()
    torch.manual_seed(0)
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(loader, callbacks=[guard], shuffle=False, verbose=0)
    assert guard.report is not None and guard.report.codes == ("SH403",)
    assert "labels: the first 8 samples of the DataLoader's dataset." in guard.report.notes
    assert "labels: sparse, shape (8,), n=4" in guard.report.inspected
    # The guard reads the dataset, not the loader: its sampler draws no random numbers,
    # so training sees the same shuffled order with or without the guard.
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    labels, _ = _first_batch_labels(loader)
    assert torch.rand(1) == expected
    np.testing.assert_array_equal(labels, Y_SPARSE4[:8])


def test_reading_an_augmenting_data_loader_leaves_the_training_order_alone() -> None:
    # Collating the first samples drew from torch's generator (the augmentation), and the
    # loader's sampler seeds itself from that generator: the guard changed the order.
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, Dataset

    seen: list[int] = []

    class Augmented(Dataset):  # type: ignore[misc, type-arg]
        def __len__(self) -> int:
            return 32

        def __getitem__(self, i: int) -> Any:
            seen.append(i)
            return torch.from_numpy(X[i]) + 0.1 * torch.randn(4), int(Y_SPARSE3[i])

    def order(callbacks: list[Any]) -> list[int]:
        seen.clear()
        torch.manual_seed(0)
        model = _model(3, "softmax", "sparse_categorical_crossentropy")
        loader = DataLoader(Augmented(), batch_size=8, shuffle=True)
        model.fit(loader, epochs=1, callbacks=callbacks, shuffle=False, verbose=0)
        return seen[-32:]

    assert order([safeheads.HeadGuard()]) == order([])


def test_reading_a_py_dataset_keeps_numpy_and_python_random_states() -> None:
    import random

    class Noisy(keras.utils.PyDataset):  # augments with the global generators
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> Any:
            noise = np.random.normal(size=(8, 4)) + random.random()
            return X[i * 8 : (i + 1) * 8] + noise.astype("float32"), Y_SPARSE3[i * 8 : (i + 1) * 8]

    np.random.seed(0)
    random.seed(0)
    expected = (np.random.rand(), random.random())
    np.random.seed(0)
    random.seed(0)
    labels, _ = _first_batch_labels(Noisy())
    assert (np.random.rand(), random.random()) == expected
    np.testing.assert_array_equal(labels, Y_SPARSE3[:8])


class _Unbuilt(keras.Model):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(8, "relu")
        self.out = keras.layers.Dense(1, "softmax")

    def call(self, inputs: Any) -> Any:
        return self.out(self.hidden(inputs))


def test_an_unbuilt_subclassed_model_fed_a_py_dataset_is_traced_with_its_batch() -> None:
    model = _Unbuilt()
    model.compile("adam", loss="binary_crossentropy")
    guard = safeheads.HeadGuard()
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(_Batches(Y_BINARY.astype("float32")), callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.codes[0] == "SH101"


def test_a_regression_output_beside_a_head_trains() -> None:
    # Its targets used to be judged as class labels: SH401 stopped a correct model.
    head = safeheads.classification_head("multiclass", 3, name="cls")
    inputs = keras.Input((4,))
    outputs = {"cls": head.layer(inputs), "age": keras.layers.Dense(1, name="age")(inputs)}
    model = keras.Model(inputs, outputs)
    model.compile("adam", loss={"cls": head.loss, "age": "mse"}, metrics={"age": ["mae"]})
    y = {"cls": Y_SPARSE3, "age": np.linspace(0.0, 80.0, len(Y_SPARSE3))}
    guard = safeheads.HeadGuard()
    model.fit(X, y, callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.findings == ()
    assert guard.report.notes == (
        "output 'age' is trained with the regression loss 'mse': it is not a classification "
        "output, so it was not checked.",
    )


@pytest.mark.parametrize(
    "loss",
    ["cosine_similarity", keras.losses.CosineSimilarity(), "huber", keras.losses.LogCosh()],
    ids=["cosine-string", "cosine-class", "huber-string", "log-cosh-class"],
)
def test_an_embedding_output_beside_a_head_is_not_judged(loss: Any) -> None:
    # CosineSimilarity (one of Keras' regression losses) drew a false SH206 warning.
    head = safeheads.classification_head("multiclass", 3, name="cls")
    inputs = keras.Input((4,))
    outputs = {"cls": head.layer(inputs), "emb": keras.layers.Dense(4, name="emb")(inputs)}
    model = keras.Model(inputs, outputs)
    model.compile("adam", loss={"cls": head.loss, "emb": loss})
    y = {"cls": Y_SPARSE3, "emb": np.random.default_rng(0).normal(size=(len(Y_SPARSE3), 4))}
    guard = safeheads.HeadGuard()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y, callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.findings == ()
    assert "is trained with the regression loss" in guard.report.notes[0]


def test_warnings_name_the_output_of_a_model_with_several() -> None:
    # Only errors (Report.__str__) named the output; the warning text did not say which.
    inputs = keras.Input((4,))
    churn = keras.layers.Dense(1, name="churn")(inputs)
    fraud = keras.layers.Dense(1, name="fraud")(inputs)
    model = keras.Model(inputs, {"churn": churn, "fraud": fraud})
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    model.compile("adam", loss={"churn": loss, "fraud": loss}, metrics={"fraud": ["accuracy"]})
    y = {"churn": Y_SPARSE3 % 2, "fraud": Y_SPARSE3 // 2}
    with pytest.warns(safeheads.SafeheadsWarning) as record:
        model.fit(X, y, callbacks=[safeheads.HeadGuard()], verbose=0)
    assert "\n[output 'fraud'] warning SH303: The metric accuracy" in str(record[0].message)


def test_soft_targets_of_an_unrecognised_loss_are_not_judged_as_class_labels() -> None:
    model = _model(3, "softmax", "kl_divergence")
    teacher = np.exp(np.random.default_rng(0).normal(size=(len(X), 3)))
    teacher /= teacher.sum(axis=1, keepdims=True)
    guard = safeheads.HeadGuard()
    with pytest.warns(safeheads.SafeheadsWarning, match="SH206"):
        model.fit(X, teacher, callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.codes == ("SH206",)
    assert (
        "labels: not checked (the loss is not a classification crossentropy)"
        in guard.report.inspected
    )


def test_class_names_given_to_the_guard_of_a_named_head_get_the_encode_fix() -> None:
    # The fix said to build Head.from_labels and fit on head.encode(y): already done here.
    tags = [["news"], ["sport", "tech"], []] * 10
    head = safeheads.Head.from_labels(tags)
    model = keras.Sequential([keras.Input((4,)), head.layer])
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    guard = safeheads.HeadGuard(labels=tags)
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(X[:30], head.encode(tags), callbacks=[guard], verbose=0)
    assert guard.report is not None
    (finding,) = guard.report.findings
    assert (finding.code, finding.fix) == (
        "SH408",
        "The output's head knows its class names: encode the labels with it for fit, and "
        "check what fit gets: `model.fit(x, head.encode(y))`, "
        "`safeheads.check(model, head.encode(y))`, `HeadGuard(labels=head.encode(y))`.",
    )
    guard = safeheads.HeadGuard(labels=head.encode(tags))
    model.fit(X[:30], head.encode(tags), callbacks=[guard], verbose=0)
    assert guard.report is not None and guard.report.findings == ()


def test_iterable_data_loader_checks_the_model_only() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, IterableDataset

    class Stream(IterableDataset):  # type: ignore[misc, type-arg]
        def __iter__(self) -> Any:
            for i in range(32):
                yield torch.from_numpy(X[i]), torch.tensor(Y_BINARY[i], dtype=torch.float32)

    layer, loss, metrics = safeheads.classification_head("binary")
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile("adam", loss=loss, metrics=metrics)
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    loader = DataLoader(Stream(), batch_size=8)
    model.fit(loader, steps_per_epoch=4, callbacks=[guard, counter], shuffle=False, verbose=0)
    assert counter.batches == 4
    assert guard.report is not None and guard.report.findings == ()
    assert guard.report.notes == (
        "fit() got a DataLoader over an iterable dataset, which cannot be read without "
        "consuming a batch: the labels were not checked; pass HeadGuard(labels=y_train).",
    )


def test_generator_checks_the_model_only() -> None:
    def batches() -> Any:
        while True:
            yield X[:8], Y_BINARY[:8]

    layer, loss, metrics = safeheads.classification_head("binary")
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile("adam", loss=loss, metrics=metrics)
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    model.fit(batches(), steps_per_epoch=2, callbacks=[guard, counter], shuffle=False, verbose=0)
    assert counter.batches == 2
    assert guard.report is not None and guard.report.findings == ()
    assert guard.report.notes == (
        "fit() got a generator, which cannot be read without consuming a batch: the labels "
        "were not checked; pass HeadGuard(labels=y_train).",
    )


def test_warnings_are_emitted_once_and_training_goes_on() -> None:
    model = _model(3, "sigmoid", "binary_crossentropy", metrics=["binary_accuracy"])
    multi_hot = (np.arange(32)[:, None] % np.array([2, 3, 5]) == 0).astype("float32")
    guard, counter = safeheads.HeadGuard(), BatchCounter()
    with pytest.warns(safeheads.SafeheadsWarning) as record:
        model.fit(X, multi_hot, batch_size=16, callbacks=[guard, counter], verbose=0)
    assert len(record) == 1
    assert counter.batches == 2
    text = str(record[0].message)
    assert text.startswith("safeheads.HeadGuard found 1 warning(s) in model ")
    assert "warning SH302: The metric binary_accuracy on a multilabel output" in text


def test_task_option() -> None:
    model = _model(3, "softmax", "sparse_categorical_crossentropy")
    guard = safeheads.HeadGuard(task="multilabel")
    with pytest.raises(safeheads.HeadMismatchError):
        model.fit(X, Y_SPARSE4 % 3, callbacks=[guard], verbose=0)
    assert guard.report is not None and "SH501" in guard.report.codes


def test_unknown_task_fails_at_construction() -> None:
    with pytest.raises(safeheads.HeadConfigError) as info:
        safeheads.HeadGuard(task="softmax")
    assert str(info.value) == (
        "Expected `task` to be one of 'binary', 'multiclass', 'multilabel'. Received: "
        "task='softmax'. Did you mean task='multiclass'?"
    )


def test_outside_fit_the_labels_are_not_found() -> None:
    guard = safeheads.HeadGuard()
    guard.set_model(_model(1, "sigmoid", "binary_crossentropy"))
    guard.on_train_begin()
    assert guard.report is not None and guard.report.findings == ()
    assert guard.report.notes == (
        "the guard found no running fit() call to read labels from: pass "
        "HeadGuard(labels=y_train).",
    )


def test_guard_keeps_numpy_random_state_for_a_tf_data_generator() -> None:
    # Reading the first batch of a Dataset.from_generator whose generator shuffles and
    # augments with np.random drew from numpy's state: fit then saw other batches.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 3, 64)

    def batches() -> Any:
        order = np.random.permutation(64)
        for i in range(0, 64, 8):
            rows = order[i : i + 8]
            yield x[rows] + np.random.normal(size=(8, 4)).astype("float32") * 0.1, y[rows]

    spec = (tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None,), tf.int64))

    def losses(guard: bool) -> list[float]:
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
        model.compile("adam", loss="sparse_categorical_crossentropy")
        data = tf.data.Dataset.from_generator(batches, output_signature=spec)
        callbacks = [safeheads.HeadGuard()] if guard else []
        return model.fit(data, epochs=2, verbose=0, callbacks=callbacks).history["loss"]

    assert losses(guard=True) == losses(guard=False)


class _UnbuiltDense(keras.Model):  # type: ignore[misc]
    def __init__(self, activation: str) -> None:
        super().__init__(name="unbuilt")
        self.out = keras.layers.Dense(1, activation)

    def call(self, inputs: Any) -> Any:
        return self.out(inputs)


def _generator(x: np.ndarray, y: np.ndarray) -> Any:
    while True:
        for i in range(0, len(x), 8):
            yield x[i : i + 8], y[i : i + 8]


def test_guard_checks_an_untraceable_model_once_the_first_batch_built_it() -> None:
    # A subclassed model fed by a generator has no input shape before its first batch:
    # the check found "no problems" and Dense(1, softmax) trained to a constant 1.0.
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _UnbuiltDense("softmax")
    model.compile("adam", loss="binary_crossentropy")
    with pytest.raises(safeheads.HeadMismatchError) as raised:
        model.fit(_generator(x, y), steps_per_epoch=4, epochs=2, verbose=0,
                  callbacks=[safeheads.HeadGuard()])  # fmt: skip
    message = str(raised.value)
    assert "error SH101: Softmax over 1 unit always outputs 1.0" in message
    assert message.endswith(
        "safeheads.HeadGuard stopped training after the first batch, which built the model "
        "(fit's data gave no input shape to trace it with before)."
    )
    fine = _UnbuiltDense("sigmoid")
    fine.compile("adam", loss="binary_crossentropy")
    guard = safeheads.HeadGuard()
    fine.fit(_generator(x, y), steps_per_epoch=4, epochs=2, verbose=0, callbacks=[guard])
    assert guard.report is not None and guard.report.codes == ()


def test_mixup_targets_train_under_a_guard_of_the_hard_labels() -> None:
    # SH401 stops soft targets; its fix now says how to guard a mixup run, which works.
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3, 32)
    one_hot = np.eye(3, dtype="float32")[ids]
    mixed = 0.7 * one_hot + 0.3 * one_hot[::-1]
    x = rng.normal(size=(32, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile("adam", loss="categorical_crossentropy")
    (finding,) = safeheads.check(model, mixed).findings
    assert finding.code == "SH401"
    assert finding.fix.endswith(
        "Soft targets on purpose (mixup, CutMix, distillation) are not judged: guard the hard "
        "labels they are made from instead, in the format the loss takes (e.g. one-hot rows), "
        "`safeheads.HeadGuard(labels=y_hard)`."
    )
    guard = safeheads.HeadGuard(labels=one_hot)
    history = model.fit(x, mixed, epochs=2, verbose=0, callbacks=[guard])
    assert guard.report is not None and guard.report.ok and len(history.history["loss"]) == 2
