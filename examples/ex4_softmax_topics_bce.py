"""(4) A softmax topic classifier compiled with binary_crossentropy; label formats; 1/frequency weights.

The classic report, in three parts:

* a news-topic classifier with ``Dense(n, 'softmax')`` compiled with
  ``binary_crossentropy`` and ``metrics=['accuracy']`` (Keras 2 resolved that to
  binary_accuracy: 98% from the first epoch). On the TensorFlow backend Keras 3 computes
  that loss from the logits under the softmax, so each unit is trained as an independent
  sigmoid;
* integer labels vs ``to_categorical`` vs the sparse loss: which loss takes which
  format, and what ``to_categorical`` does to a bad label;
* ``class_weight = {c: 1 / count[c]}`` for the imbalanced topics.

Data: Reuters-21578 ModApte documents with exactly one of the 90 topics (single-label).

Run: ``python examples/ex4_softmax_topics_bce.py [--quick] [--data DIR]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _data
import keras
import numpy as np

import safeheads

ORIGINAL = """
model.add(Dense(num_topics, activation='softmax'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train, to_categorical(y_train), ...)

# "ValueError: Arguments target and output must have the same rank" with integer labels:
model.compile(loss='categorical_crossentropy', ...)
model.fit(x_train, y_train, ...)                     # y_train = class ids

counts = np.bincount(y_train)
class_weight = {i: 1.0 / c for i, c in enumerate(counts)}
model.fit(x_train, to_categorical(y_train), class_weight=class_weight, ...)
"""

SAFEHEADS = """
head = safeheads.classification_head("multiclass", num_topics, class_names=topics)
model.add(head.layer)                                   # Dense(n, softmax)
model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)  # sparse CCE
model.fit(x_train, head.encode(y_train),                # names, ids or one-hot rows
          class_weight=safeheads.class_weight(y_train, class_names=head.class_names),
          ...)                                          # only if it helps: see above
"""


def mlp(width: int, output: keras.layers.Layer) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((width,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.5),
        output,
    ])  # fmt: skip


def scores(y: np.ndarray, decided: np.ndarray, n: int) -> str:
    """Accuracy and macro-F1 over the classes present in ``y`` or predicted, in numpy."""
    f1 = []
    for c in np.union1d(y, decided):
        tp = np.sum((y == c) & (decided == c))
        f1.append(2 * tp / max(np.sum(y == c) + np.sum(decided == c), 1))
    return f"accuracy {float((y == decided).mean()):.4f}, macro_f1 {float(np.mean(f1)):.4f}"


def main(argv: list[str] | None = None) -> int:
    args = _data.parser(__doc__.splitlines()[0]).parse_args(argv)
    _data.require(args.data, "reuters21578/reuters21578_modapte.jsonl.xz")
    splits, _ = _data.load_reuters(args.data)
    single = {
        split: [
            (text, tags[0]) for text, tags in zip(*splits[split], strict=True) if len(tags) == 1
        ]
        for split in ("train", "test")
    }
    train, test = single["train"], single["test"]
    if args.quick:
        train = [train[i] for i in _data.subsample(len(train), 600)]
        test = [test[i] for i in _data.subsample(len(test), 300)]
    labels = safeheads.LabelMap.from_labels([tag for _, tag in train])
    known = set(labels.class_names)
    test = [(text, tag) for text, tag in test if tag in known]  # topics seen in training
    epochs = 1 if args.quick else 8
    n = len(labels.class_names)
    y_train = labels.encode([tag for _, tag in train])
    y_test = labels.encode([tag for _, tag in test])
    x_train, x_test = _data.tfidf([t for t, _ in train], [t for t, _ in test])
    counts = np.bincount(y_train, minlength=n)
    print(f"Reuters-21578 single-topic documents: {len(train)} train / {len(test)} test, "
          f"{n} topics; largest {counts.max()} ('{labels.class_names[counts.argmax()]}'), "
          f"{int((counts <= 2).sum())} topics with 1 or 2 training documents")  # fmt: skip

    _data.section("The original lines")
    _data.code(ORIGINAL)

    _data.section("What goes wrong: softmax + binary_crossentropy")
    one_hot = keras.utils.to_categorical
    model = mlp(x_train.shape[1], _data.seeded(lambda: keras.layers.Dense(n, activation="softmax")))
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy", "binary_accuracy"])  # fmt: skip
    model.fit(x_train, one_hot(y_train, n), epochs=epochs, batch_size=64, verbose=0)
    reported = model.evaluate(x_test, one_hot(y_test, n), verbose=0, return_dict=True)
    outputs = model.predict(x_test, verbose=0)
    print(f"  Keras reports (test): accuracy {reported['accuracy']:.4f} (Keras 3: "
          f"CategoricalAccuracy), binary_accuracy {reported['binary_accuracy']:.4f} "
          f"(what Keras 2 showed as 'accuracy')")  # fmt: skip
    print(f"  true, from predict (argmax): {scores(y_test, outputs.argmax(1), n)}")
    _data.doctor(model, one_hot(y_train, n))

    _data.section("What goes wrong: label formats")
    model = mlp(x_train.shape[1], _data.seeded(lambda: keras.layers.Dense(n, activation="softmax")))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    try:
        model.fit(x_train[:64], y_train[:64], epochs=1, verbose=0)
    except ValueError as error:
        print(f"  categorical_crossentropy on class ids: ValueError: {str(error).splitlines()[0]}")
    probabilities = model.predict(x_test[:256], verbose=0)
    sparse = keras.losses.SparseCategoricalCrossentropy()(y_test[:256], probabilities)
    dense = keras.losses.CategoricalCrossentropy()(one_hot(y_test[:256], n), probabilities)
    print(f"  sparse loss on ids {float(sparse):.6f} == categorical loss on to_categorical "
          f"{float(dense):.6f}: the same loss; the sparse one never builds the one-hot matrix")  # fmt: skip
    print(f"  keras.utils.to_categorical([0, 2, -1], 3) = "
          f"{one_hot([0, 2, -1], 3).astype(int).tolist()}: -1 silently becomes the last class")  # fmt: skip
    try:
        safeheads.to_categorical([0, 2, -1], 3)
    except safeheads.LabelFormatError as error:
        print(f"  safeheads.to_categorical([0, 2, -1], 3): LabelFormatError: {error}")

    _data.section("What goes wrong: class_weight = 1 / frequency")
    inverse = {i: 1.0 / c for i, c in enumerate(counts) if c > 0}
    balanced = safeheads.class_weight(y_train)
    ratio = np.mean([balanced[i] / inverse[i] for i in inverse])
    for name, weights in (("no class_weight", None), ("1 / frequency", inverse),
                          ("safeheads.class_weight (balanced)", balanced)):  # fmt: skip
        head = _data.seeded(lambda: safeheads.classification_head("multiclass", n))
        model = mlp(x_train.shape[1], head.layer)
        model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)
        history = model.fit(x_train, head.encode(y_train), epochs=epochs, batch_size=64,
                            class_weight=weights, verbose=0)  # fmt: skip
        test_loss = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["loss"]
        decided = head.decode(model.predict(x_test, verbose=0))
        print(f"  {name:<34} train loss {history.history['loss'][-1]:.5f}, test loss "
              f"{test_loss:.3f}; {scores(y_test, decided, n)}")  # fmt: skip
    _data.say(
        f"1/frequency weights are the balanced weights divided by {ratio:.0f} (N/K): the "
        "same ratios, so with Adam they train alike, but the training loss Keras prints "
        "shrinks by that factor and cannot be compared with the unweighted test (or "
        "validation) loss. Whether any weighting helps must be measured on held-out data: "
        "compare accuracy and macro-F1 in the rows above. docs/imbalance.md shows the "
        "measured options (balanced weights, logit adjustment at decode time)."
    )

    _data.section("The safeheads lines")
    _data.code(SAFEHEADS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
