"""(1) One sequence CNN for IMDB (2 classes) and Rotten Tomatoes phrases (5 classes).

The classic report: a sequence CNN, written with the text classification guide's switch
on ``num_classes``, trains on IMDB with a ``Dense(1, 'sigmoid')`` head and
``binary_crossentropy``; the same script, pointed at the 5-class Rotten Tomatoes phrases,
keeps the binary head (the switch's ``num_classes`` is not updated). Keras trains it without a word: the loss goes negative,
and the accuracy it prints counts only the phrases labelled 0 or 1.

safeheads builds the head from the labels, so the same lines serve both datasets.

Run: ``python examples/ex1_text_cnn_binary_vs_5class.py [--quick] [--data DIR]``
(default: a few minutes on 2 CPU cores).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _data
import keras
import numpy as np

import safeheads

ORIGINAL = """
def _get_last_layer_units_and_activation(num_classes):
    if num_classes == 2:
        activation = 'sigmoid'
        units = 1
    else:
        activation = 'softmax'
        units = num_classes
    return units, activation

num_classes = 2                      # set for IMDB, left as is for the 5-class phrases
units, activation = _get_last_layer_units_and_activation(num_classes)
model.add(Dense(units=units, activation=activation))
loss = 'binary_crossentropy' if num_classes == 2 else 'sparse_categorical_crossentropy'
model.compile(optimizer=Adam(lr=1e-3), loss=loss, metrics=['acc'])
"""

SAFEHEADS = """
head = safeheads.Head.from_labels(train_labels)   # binary for IMDB, 5 classes for phrases
model.add(head.layer)
model.compile(optimizer=Adam(1e-3), loss=head.loss, metrics=head.metrics)
model.fit(x_train, head.encode(train_labels), ...)
predicted = head.decode(model.predict(x_test))
"""


def sequence_cnn(output: keras.layers.Layer, vocabulary: int, length: int) -> keras.Model:
    """A small sequence CNN (as Keras' IMDB CNN example): Embedding, Conv1D, max pooling."""
    return keras.Sequential([
        keras.Input((length,), dtype="int32"),
        keras.layers.Embedding(vocabulary, 64),
        keras.layers.Dropout(0.2),
        keras.layers.Conv1D(64, 5, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dropout(0.2),
        output,
    ])  # fmt: skip


def sequences(train: list[str], test: list[str], length: int) -> tuple[np.ndarray, np.ndarray]:
    vectorize = keras.layers.TextVectorization(20000, output_sequence_length=length)
    vectorize.adapt(train, batch_size=1024)
    return np.asarray(vectorize(train)), np.asarray(vectorize(test))


def run(name, data, output, loss, metrics, encode, decide, epochs):  # type: ignore[no-untyped-def]
    """Train one setup; print what Keras reports and the accuracy computed from predict."""
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(0)
    model = sequence_cnn(output, 20000, x_train.shape[1])
    model.compile(keras.optimizers.Adam(1e-3), loss=loss, metrics=metrics)
    history = model.fit(x_train, encode(y_train), epochs=epochs, batch_size=128, verbose=0)
    reported = model.evaluate(x_test, encode(y_test), verbose=0, return_dict=True)
    true = float((decide(model.predict(x_test, verbose=0)) == y_test).mean())
    shown = ", ".join(f"{k} {v:.4f}" for k, v in reported.items() if k != "loss")
    losses = history.history["loss"]
    print(f"  {name}")
    print(f"      train loss {losses[0]:.4g} -> {losses[-1]:.4g}; Keras reports (test): {shown}")
    print(f"      true accuracy from predict (test): {true:.4f}")
    return model, reported, true


def main(argv: list[str] | None = None) -> int:
    args = _data.parser(__doc__.splitlines()[0]).parse_args(argv)
    _data.require(
        args.data,
        "imdb/aclImdb_v1_labeled.jsonl.xz",
        "rotten_tomatoes_phrases/train_prefix_40681.tsv.gz",
    )
    epochs = 1 if args.quick else 3
    imdb = _data.load_imdb(args.data)
    rows = [_data.subsample(25000, 300 if args.quick else 10000, seed) for seed in (1, 2)]
    texts_train = [imdb["train"][0][i] for i in rows[0]]
    texts_test = [imdb["test"][0][i] for i in rows[1]]
    x_train, x_test = sequences(texts_train, texts_test, 60 if args.quick else 250)
    imdb_data = ((x_train, imdb["train"][1][rows[0]]), (x_test, imdb["test"][1][rows[1]]))

    phrases, sentiment, sentence = _data.load_rt_phrases(args.data)
    test_rows = np.flatnonzero(sentence % 5 == 0)  # split by sentence: no phrase leaks
    train_rows = np.flatnonzero(sentence % 5 != 0)
    if args.quick:
        train_rows, test_rows = train_rows[::40], test_rows[::40]
    x_train, x_test = sequences(
        [phrases[i] for i in train_rows], [phrases[i] for i in test_rows], 30
    )
    rt_data = ((x_train, sentiment[train_rows]), (x_test, sentiment[test_rows]))
    print(
        f"IMDB: {len(imdb_data[0][1])} train / {len(imdb_data[1][1])} test reviews; "
        f"RT phrases: {len(train_rows)} train / {len(test_rows)} test phrases "
        f"(labels 0..4: {np.bincount(sentiment[train_rows], minlength=5).tolist()})"
    )

    _data.section("The original lines (the guide's switch on num_classes)")
    _data.code(ORIGINAL)

    _data.section("What goes wrong")
    one_unit = lambda out: (out[:, 0] > 0.5).astype("int64")  # noqa: E731
    same = lambda y: y  # noqa: E731
    run("IMDB, Dense(1, sigmoid) + BCE", imdb_data, _data.seeded(lambda: keras.layers.Dense(1, "sigmoid")),
        "binary_crossentropy", ["acc"], same, one_unit, epochs)  # fmt: skip
    model, _, _ = run(
        "RT phrases, the same binary lines", rt_data, _data.seeded(lambda: keras.layers.Dense(1, "sigmoid")),
        "binary_crossentropy", ["acc"], same, one_unit, epochs,
    )  # fmt: skip
    share = float(np.isin(rt_data[1][1], (0, 1)).mean())
    _data.say(
        f"On the 5-class phrases the binary head trains on class ids 0..4 as if they were 0/1 "
        f"targets: binary crossentropy with a target of 2, 3 or 4 has no minimum, so the loss "
        f"falls without bound (below zero once the outputs saturate). Keras' 'acc' is "
        f"BinaryAccuracy here (one output unit): it can only be right on the {share:.0%} of "
        f"test phrases labelled 0 or 1. What safeheads.check says:"
    )
    _data.doctor(model, rt_data[0][1])
    run("RT phrases, switch updated: Dense(5, softmax)", rt_data,
        _data.seeded(lambda: keras.layers.Dense(5, "softmax")), "sparse_categorical_crossentropy", ["acc"], same,
        lambda out: out.argmax(axis=1), epochs)  # fmt: skip

    _data.section("The safeheads lines (one code path for both datasets)")
    _data.code(SAFEHEADS)
    for name, data in (("IMDB", imdb_data), ("RT phrases", rt_data)):
        head = _data.seeded(lambda: safeheads.Head.from_labels(data[0][1]))  # noqa: B023
        run(f"{name}, safeheads {head.task.value} head", data, head.layer, head.loss, head.metrics, head.encode,
            head.decode, epochs)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
