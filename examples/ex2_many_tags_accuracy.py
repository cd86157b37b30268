"""(2) Many tags per document: 'accuracy' and binary_accuracy mislead.

The classic report: a TF-IDF model with hundreds of tags and a few per sample,
``Dense(num_tags, 'sigmoid')`` with ``binary_crossentropy``, compiled with
``metrics=['accuracy']``. Keras 3 resolves ``'accuracy'`` from shapes alone: several
output units give CategoricalAccuracy, which compares the argmax of the scores with the
first true tag. ``'binary_accuracy'`` (Keras 2's choice for this loss) is the share of
correct cells and is about 99% for a model that predicts no tag at all.

Data: Reuters-21578 ModApte, 90 topics (7,770 train / 3,019 test documents).

Run: ``python examples/ex2_many_tags_accuracy.py [--quick] [--data DIR]``.
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
model.add(Dense(512, input_shape=(max_words,), activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(num_tags, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam',
              metrics=['accuracy', 'binary_accuracy'])
model.fit(x_train, y_train_multi_hot, ...)
"""

SAFEHEADS = """
head = safeheads.classification_head("multilabel", len(topics), class_names=topics)
model.add(head.layer)
model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)
model.fit(x_train, head.encode(train_topic_lists), ...)   # lists of topic names
tags = head.decode(model.predict(x_test), names=True)      # lists of topic names
"""


def mlp(width: int, output: keras.layers.Layer) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((width,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.5),
        output,
    ])  # fmt: skip


def truth(y: np.ndarray, decided: np.ndarray) -> dict[str, float]:
    """Exact match and micro/macro F1 from 0/1 decisions, in numpy."""
    y, decided = y.astype(bool), decided.astype(bool)
    tp = (y & decided).sum(0)
    denominator = 2 * tp + (~y & decided).sum(0) + (y & ~decided).sum(0)
    return {
        "exact_match": float((y == decided).all(1).mean()),
        "micro_f1": float(2 * tp.sum() / max(denominator.sum(), 1)),
        "macro_f1": float(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0).mean()),
    }


def main(argv: list[str] | None = None) -> int:
    args = _data.parser(__doc__.splitlines()[0]).parse_args(argv)
    _data.require(args.data, "reuters21578/reuters21578_modapte.jsonl.xz")
    splits, topics = _data.load_reuters(args.data)
    (train_texts, train_topics), (test_texts, test_topics) = splits["train"], splits["test"]
    if args.quick:
        rows, test_rows = (
            _data.subsample(len(train_texts), 800),
            _data.subsample(len(test_texts), 400),
        )
        train_texts, train_topics = [train_texts[i] for i in rows], [train_topics[i] for i in rows]
        test_texts = [test_texts[i] for i in test_rows]
        test_topics = [test_topics[i] for i in test_rows]
    epochs = 1 if args.quick else 10
    x_train, x_test = _data.tfidf(train_texts, test_texts)
    labels = safeheads.LabelMap(topics)
    y_train, y_test = labels.to_multi_hot(train_topics), labels.to_multi_hot(test_topics)
    per_doc = y_train.sum(1)
    print(
        f"Reuters-21578: {len(y_train)} train / {len(y_test)} test documents, {len(topics)} "
        f"topics, {per_doc.mean():.2f} per document (up to {int(per_doc.max())}), "
        f"{y_train.mean():.2%} of the cells are 1."
    )

    _data.section("The original lines")
    _data.code(ORIGINAL)

    _data.section("What goes wrong")
    model = mlp(
        x_train.shape[1],
        _data.seeded(lambda: keras.layers.Dense(len(topics), activation="sigmoid")),
    )
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy", "binary_accuracy"])  # fmt: skip
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    reported = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    real = truth(y_test, model.predict(x_test, verbose=0) > 0.5)
    nothing = truth(y_test, np.zeros_like(y_test))
    print(f"  Keras reports (test): accuracy {reported['accuracy']:.4f}, "
          f"binary_accuracy {reported['binary_accuracy']:.4f}")  # fmt: skip
    print("  true, from predict at 0.5: "
          + ", ".join(f"{k} {v:.4f}" for k, v in real.items()))  # fmt: skip
    print(f"  a model that predicts no topic at all: binary_accuracy "
          f"{1 - y_test.mean():.3f}, exact_match {nothing['exact_match']:.3f}, "
          f"micro_f1 {nothing['micro_f1']:.3f}")  # fmt: skip
    _data.say(
        "'accuracy' here is CategoricalAccuracy: it scores the top-scored topic against the "
        "first true topic (argmax of the multi-hot row) and ignores every other tag; "
        "binary_accuracy is dominated by the 0 cells. Neither says how many documents got "
        "their topics right (exact match) or how well topics are found (F1). "
        "What safeheads.check says:"
    )
    _data.doctor(model, y_train)

    _data.section("The safeheads lines")
    _data.code(SAFEHEADS)
    head = _data.seeded(
        lambda: safeheads.classification_head("multilabel", len(topics), class_names=topics)
    )
    model = mlp(x_train.shape[1], head.layer)
    model.compile(optimizer="adam", loss=head.loss, metrics=head.metrics)
    model.fit(x_train, head.encode(train_topics), epochs=epochs, batch_size=64, verbose=0)
    reported = model.evaluate(x_test, head.encode(test_topics), verbose=0, return_dict=True)
    outputs = model.predict(x_test, verbose=0)
    real = truth(y_test, head.decode(outputs))
    print("  Keras reports (test): "
          + ", ".join(f"{k} {v:.4f}" for k, v in reported.items() if k != "loss"))  # fmt: skip
    print("  true, from head.decode: " + ", ".join(f"{k} {v:.4f}" for k, v in real.items()))
    shown = head.decode(outputs[:3], names=True)
    for i, tags in enumerate(shown):
        print(f"  document {i}: predicted {tags}, true {test_topics[i]}")
    _data.say(
        "The metrics now name what they measure and equal the numbers computed from "
        "predict. For rare topics, see docs/imbalance.md: a prior-initialised output bias "
        "and thresholds tuned on validation data raise micro- and macro-F1."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
