"""(3) Embedding + Conv1D + LSTM with ``Dense(3, 'sigmoid')`` and categorical crossentropy.

The classic report: a 3-class sentiment model (negative / neutral / positive) ends in
three sigmoid units and is compiled with ``categorical_crossentropy``. On the TensorFlow
backend Keras quietly computes the loss from the logits under the sigmoid, so training
optimises a softmax that ``predict`` never returns: the three scores do not sum to 1,
and reading them as probabilities (or with a 0.5 threshold) is wrong. On the JAX and
PyTorch backends the same code trains a different model.

Data: Stanford Sentiment Treebank sentences, 5 labels folded into 3
(0-1 negative, 2 neutral, 3-4 positive).

Run: ``python examples/ex3_lstm_sigmoid_cce.py [--quick] [--data DIR]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _data
import keras
import numpy as np

import safeheads

ORIGINAL = """
model = Sequential()
model.add(Embedding(max_features, 128, input_length=maxlen))
model.add(Conv1D(64, 5, activation='relu'))
model.add(MaxPooling1D(2))
model.add(LSTM(64, return_sequences=True))
model.add(GlobalMaxPooling1D())
model.add(Dense(3, activation='sigmoid'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train, to_categorical(y_train), ...)
"""

SAFEHEADS = """
head = safeheads.classification_head("multiclass", 3, class_names=["neg", "neutral", "pos"])
model.add(head.layer)                                  # Dense(3, softmax), float32
model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)
model.fit(x_train, head.encode(y_train), ...)          # class ids; no to_categorical
"""


def conv_lstm(output: keras.layers.Layer, length: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((length,), dtype="int32"),
        keras.layers.Embedding(20000, 128),
        keras.layers.Conv1D(64, 5, activation="relu"),
        keras.layers.MaxPooling1D(2),
        keras.layers.LSTM(64, return_sequences=True),
        keras.layers.GlobalMaxPooling1D(),
        output,
    ])  # fmt: skip


def describe_scores(scores: np.ndarray, y: np.ndarray) -> None:
    sums = scores.sum(axis=1)
    above = (scores > 0.5).sum(axis=1)
    print(f"      accuracy (argmax) {float((scores.argmax(1) == y).mean()):.4f}; "
          f"row sums of predict: mean {sums.mean():.3f}, min {sums.min():.3f}, "
          f"max {sums.max():.3f}")  # fmt: skip
    print(f"      rows with no score > 0.5: {(above == 0).mean():.1%}, "
          f"with 2 or 3 scores > 0.5: {(above >= 2).mean():.1%}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _data.parser(__doc__.splitlines()[0]).parse_args(argv)
    _data.require(args.data, "sst/trainDevTestTrees_PTB.zip")
    sst = _data.load_sst(args.data)
    fold = np.array([0, 0, 1, 2, 2])
    (train_texts, train_y), (test_texts, test_y) = sst["train"], sst["test"]
    train_y, test_y = fold[train_y], fold[test_y]
    if args.quick:
        rows, test_rows = _data.subsample(len(train_y), 600), _data.subsample(len(test_y), 300)
        train_texts, train_y = [train_texts[i] for i in rows], train_y[rows]
        test_texts, test_y = [test_texts[i] for i in test_rows], test_y[test_rows]
    epochs = 1 if args.quick else 4
    length = 40
    vectorize = keras.layers.TextVectorization(20000, output_sequence_length=length)
    vectorize.adapt(train_texts, batch_size=1024)
    x_train, x_test = np.asarray(vectorize(train_texts)), np.asarray(vectorize(test_texts))
    print(f"SST sentences: {len(train_y)} train / {len(test_y)} test, classes "
          f"neg/neutral/pos {np.bincount(train_y).tolist()}")  # fmt: skip

    _data.section("The original lines")
    _data.code(ORIGINAL)

    _data.section("What goes wrong")
    model = conv_lstm(_data.seeded(lambda: keras.layers.Dense(3, activation="sigmoid")), length)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    one_hot = keras.utils.to_categorical
    model.fit(x_train, one_hot(train_y, 3), epochs=epochs, batch_size=64, verbose=0)
    reported = model.evaluate(x_test, one_hot(test_y, 3), verbose=0, return_dict=True)
    print(f"  Dense(3, 'sigmoid') + categorical_crossentropy: Keras reports (test) accuracy "
          f"{reported['accuracy']:.4f}, loss {reported['loss']:.3f}")  # fmt: skip
    scores = model.predict(x_test, verbose=0)
    describe_scores(scores, test_y)
    _data.say(
        "The argmax still ranks the classes, so Keras' accuracy looks fine; but the outputs "
        "are not probabilities: they do not sum to 1, so a threshold, a confidence cut-off "
        "or an average over models reads numbers the loss never trained. The loss that "
        "Keras printed is the softmax crossentropy of the logits, not of these scores. "
        "What safeheads.check says:"
    )
    _data.doctor(model, one_hot(train_y, 3))

    _data.section("The safeheads lines")
    _data.code(SAFEHEADS)
    head = _data.seeded(
        lambda: safeheads.classification_head(
            "multiclass", 3, class_names=["neg", "neutral", "pos"]
        )
    )
    model = conv_lstm(head.layer, length)
    model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)
    model.fit(x_train, head.encode(train_y), epochs=epochs, batch_size=64, verbose=0)
    reported = model.evaluate(x_test, head.encode(test_y), verbose=0, return_dict=True)
    print(f"  safeheads multiclass head: Keras reports (test) accuracy "
          f"{reported['accuracy']:.4f}, loss {reported['loss']:.3f}")  # fmt: skip
    scores = model.predict(x_test, verbose=0)
    describe_scores(scores, test_y)
    decided = head.decode(scores, names=True)
    print(f"      first test sentences: predicted {decided[:4].tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
