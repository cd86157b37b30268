"""(5) The IMDB multi-hot MLP (16-16-1, rmsprop) and its training curves.

The classic report: the book's first text model reads each review as a multi-hot vector
of the 10,000 most frequent words, trains ``Dense(16) - Dense(16) - Dense(1, 'sigmoid')``
with rmsprop for 20 epochs, and plots training and validation loss and accuracy. The
head is right, yet three things go wrong in the copies of it:

* the plotting lines read ``history.history['acc']``: a ``KeyError`` when the model was
  compiled with ``metrics=['accuracy']`` (the key is the name given);
* the curves show overfitting after a few epochs, but the model kept is the one after
  epoch 20;
* the decisions are taken with ``np.argmax(model.predict(x), axis=1)``, as for a softmax
  head: the argmax over one column is always 0.

Data: the IMDB reviews, with Keras' IMDB word index: the 25,000 training reviews (10,000 of them
held out for validation, as in the book) and a seeded 10,000 of the 25,000 test reviews.

Run: ``python examples/ex5_imdb_multihot_mlp.py [--quick] [--data DIR] [--out DIR]``;
the plots are written to ``--out`` (default: a folder in the system's temp dir).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pathlib
import tempfile

import _data
import keras
import numpy as np

import safeheads

ORIGINAL = """
model = models.Sequential()
model.add(layers.Dense(16, activation='relu', input_shape=(10000,)))
model.add(layers.Dense(16, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))
model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(partial_x_train, partial_y_train, epochs=20, batch_size=512,
                    validation_data=(x_val, y_val))
acc = history.history['acc']
val_acc = history.history['val_acc']
plt.plot(epochs, loss, 'bo', label='Training loss') ...
predicted = np.argmax(model.predict(x_test), axis=1)
"""

SAFEHEADS = """
head = safeheads.classification_head("binary")
model.add(head.layer)
model.compile(optimizer="rmsprop", loss=head.loss, metrics=head.metrics)
history = model.fit(partial_x_train, head.encode(partial_y_train), epochs=20, batch_size=512,
                    validation_data=(x_val, head.encode(y_val)),
                    callbacks=[keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)])
safeheads.plot_history(history).savefig("curves.png")      # loss, accuracy, auc, precision, recall
predicted = head.decode(model.predict(x_test))              # 0/1 at the head's threshold
safeheads.plot_confusion(y_test, predicted, class_names=["neg", "pos"]).savefig("confusion.png")
"""


def mlp(output: keras.layers.Layer) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((10000,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        output,
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = _data.parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(tempfile.gettempdir()) / "safeheads-examples",
        help="folder for the PNG plots",
    )
    args = parser.parse_args(argv)
    _data.require(args.data, "imdb/aclImdb_v1_labeled.jsonl.xz", "imdb/imdb_word_index.json.gz")
    imdb = _data.load_imdb(args.data)
    size_train, size_test = (1500, 500) if args.quick else (25000, 10000)
    epochs = 3 if args.quick else 20
    train_rows = _data.subsample(25000, size_train, seed=1)
    test_rows = _data.subsample(25000, size_test, seed=2)
    x = _data.imdb_multi_hot(args.data, [imdb["train"][0][i] for i in train_rows])
    y = imdb["train"][1][train_rows]
    x_test = _data.imdb_multi_hot(args.data, [imdb["test"][0][i] for i in test_rows])
    y_test = imdb["test"][1][test_rows]
    val = len(y) * 2 // 5  # the book: 10,000 of the 25,000 training reviews for validation
    x_val, y_val, x_part, y_part = x[:val], y[:val], x[val:], y[val:]
    print(f"IMDB multi-hot (10,000 words): {len(y_part)} train / {val} validation / "
          f"{len(y_test)} test reviews")  # fmt: skip

    _data.section("The original lines")
    _data.code(ORIGINAL)

    _data.section("What goes wrong")
    model = mlp(_data.seeded(lambda: keras.layers.Dense(1, activation="sigmoid")))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_part, y_part, epochs=epochs, batch_size=512, verbose=0,
                        validation_data=(x_val, y_val))  # fmt: skip
    try:
        history.history["acc"]
    except KeyError:
        print(f"  history.history['acc']: KeyError; the keys are {sorted(history.history)}")
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    print(f"  validation loss: best {val_loss[best]:.3f} at epoch {best + 1}, "
          f"{val_loss[-1]:.3f} at epoch {epochs} (the model kept); training accuracy "
          f"{history.history['accuracy'][-1]:.3f}, validation accuracy "
          f"{history.history['val_accuracy'][-1]:.3f}")  # fmt: skip
    outputs = model.predict(x_test, verbose=0)
    argmax = np.argmax(outputs, axis=1)
    print(f"  np.argmax(model.predict(x_test), axis=1): {np.unique(argmax).tolist()} for every "
          f"review, test accuracy {float((argmax == y_test).mean()):.4f}")  # fmt: skip
    print(f"  thresholded at 0.5 instead: test accuracy "
          f"{float(((outputs[:, 0] > 0.5) == y_test).mean()):.4f}")  # fmt: skip

    _data.section("The safeheads lines")
    _data.code(SAFEHEADS)
    head = _data.seeded(lambda: safeheads.classification_head("binary"))
    model = mlp(head.layer)
    model.compile(optimizer="rmsprop", loss=head.loss, metrics=head.metrics)
    stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    history = model.fit(x_part, head.encode(y_part), epochs=epochs, batch_size=512, verbose=0,
                        validation_data=(x_val, head.encode(y_val)), callbacks=[stop])  # fmt: skip
    reported = model.evaluate(x_test, head.encode(y_test), verbose=0, return_dict=True)
    predicted = head.decode(model.predict(x_test, verbose=0))
    ran = len(history.history["loss"])
    print(f"  trained {ran} epochs, kept the weights of the best validation loss")
    print("  Keras reports (test): "
          + ", ".join(f"{k} {v:.4f}" for k, v in reported.items() if k != "loss"))  # fmt: skip
    print(f"  true accuracy from head.decode: {float((predicted == y_test).mean()):.4f}")
    args.out.mkdir(parents=True, exist_ok=True)
    curves, confusion = args.out / "imdb_curves.png", args.out / "imdb_confusion.png"
    safeheads.plot_history(history).savefig(curves, dpi=80)
    safeheads.plot_confusion(y_test, predicted, class_names=["neg", "pos"]).savefig(
        confusion, dpi=80
    )
    print(f"  wrote {curves} and {confusion}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
