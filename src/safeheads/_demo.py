"""The demo: common mistaken heads and safeheads heads trained side by side on real data.

``python -m safeheads demo`` trains, for each task, the hand-written setup that people
get wrong most often and the safeheads head on the same data, then prints what Keras
reported, the true metric computed with numpy from ``model.predict`` on held-out data,
and what ``safeheads.check`` says about each setup.

The default run uses data that ships inside scikit-learn (the ``demo`` extra):
breast-cancer (binary), digits and wine (multiclass), and a multilabel task built from
real digit images, two side by side, labelled with the set of digits shown.
``--data DIR`` runs it on the text datasets of a folder laid out like the project's
shared data folder (IMDB, SST-5 or Rotten Tomatoes phrases, Reuters-21578, GoEmotions).
"""

from __future__ import annotations

import dataclasses
import logging
import lzma
import pathlib
import sys
import textwrap
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import keras
import numpy as np

from safeheads import _datasets
from safeheads._audit import check
from safeheads._heads import classification_head
from safeheads._labels import to_multi_hot
from safeheads.errors import SafeheadsWarning

__all__ = ["run_demo"]

_INSTALL_HINT = (
    "The demo trains on data that ships with scikit-learn, which is not installed.\n"
    'Install it with:  pip install "safeheads[demo]"\n'
    "(or run the demo on the text datasets of a folder: python -m safeheads demo --data DIR)"
)

Array = np.ndarray


# --------------------------------------------------------------------------- data


@dataclasses.dataclass(frozen=True)
class _Data:
    """One dataset, split into train and held-out test, with its task."""

    name: str
    task: str
    n: int
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    # x holds raw texts (a TF-IDF TextVectorization layer is adapted on the train split).
    text: bool = False


@dataclasses.dataclass(frozen=True)
class _Mistake:
    """A hand-written head as people write it, and how they feed and read it."""

    code: str  # the user's lines, shown in the table ("{n}": the number of labels)
    units: int | None  # None: one per class or label of the data
    activation: str
    loss: str
    metric: str
    targets: Callable[[Array, int], Array]  # labels as the user feeds them


def _as_given(y: Array, n: int) -> Array:
    return y


def _as_one_hot(y: Array, n: int) -> Array:
    return np.asarray(np.eye(n, dtype="float32")[y])


def _split(x: Array, y: Array, rng: np.random.Generator, test: float = 0.3) -> tuple[Array, ...]:
    order = rng.permutation(len(x))
    cut = round(len(x) * test)
    test_rows, train_rows = order[:cut], order[cut:]
    return x[train_rows], y[train_rows], x[test_rows], y[test_rows]


def _standardize(x_train: Array, x_test: Array) -> tuple[Array, Array]:
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    return ((x_train - mean) / std).astype("float32"), ((x_test - mean) / std).astype("float32")


def _tabular(name: str, task: str, n: int, x: Array, y: Array, seed: int) -> _Data:
    x_train, y_train, x_test, y_test = _split(x, y, np.random.default_rng(seed))
    x_train, x_test = _standardize(x_train, x_test)
    return _Data(name, task, n, x_train, y_train, x_test, y_test)


def _digit_pairs(
    images: Array, digits: Array, count: int, rng: np.random.Generator
) -> tuple[Array, Array]:
    """Two digit images side by side, labelled with the set of digits shown (1 or 2 labels)."""
    left = rng.integers(0, len(images), count)
    right = rng.integers(0, len(images), count)
    x = np.concatenate([images[left], images[right]], axis=2).reshape(count, -1)
    y = np.zeros((count, 10), dtype="float32")
    y[np.arange(count), digits[left]] = 1.0
    y[np.arange(count), digits[right]] = 1.0
    return x.astype("float32"), y


def _builtin_data(seed: int, limit: int | None) -> list[tuple[_Data, list[_Mistake]]]:
    from sklearn import datasets  # type: ignore[import-untyped]  # checked by the caller

    def cap(x: Array, y: Array) -> tuple[Array, Array]:
        """A seeded random subset of ``limit`` samples (the wine rows are sorted by class)."""
        if limit is None or limit >= len(x):
            return x, y
        keep = np.sort(np.random.default_rng(seed).permutation(len(x))[:limit])
        return x[keep], y[keep]

    x, y = cap(*datasets.load_breast_cancer(return_X_y=True))
    cancer = _tabular("breast cancer", "binary", 2, x.astype("float32"), y.astype("int64"), seed)
    x, y = cap(*datasets.load_digits(return_X_y=True))
    digits = _tabular("digits", "multiclass", 10, x.astype("float32"), y.astype("int64"), seed)
    x, y = cap(*datasets.load_wine(return_X_y=True))
    wine = _tabular("wine", "multiclass", 3, x.astype("float32"), y.astype("int64"), seed)

    # Multilabel: split the digit images first, then pair within each split (no leakage).
    x, y = datasets.load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    images = (x / 16.0).reshape(-1, 8, 8)
    cut = int(len(x) * 0.7)
    pairs = 3000 if limit is None else limit
    x_train, y_train = _digit_pairs(images[order[:cut]], y[order[:cut]], pairs, rng)
    x_test, y_test = _digit_pairs(images[order[cut:]], y[order[cut:]], max(pairs // 3, 10), rng)
    digit_pairs = _Data("digit pairs", "multilabel", 10, x_train, y_train, x_test, y_test)

    return [
        (cancer, [_Mistake("Dense(1, 'softmax'), binary_crossentropy, ['accuracy']", 1,
                           "softmax", "binary_crossentropy", "accuracy", _as_given)]),
        (digits, [_Mistake("Dense(10, 'softmax'), binary_crossentropy, ['binary_accuracy']",
                           10, "softmax", "binary_crossentropy", "binary_accuracy",
                           _as_one_hot)]),
        (wine, [_Mistake("Dense(1, 'sigmoid'), binary_crossentropy, ['accuracy'] on ids 0..2",
                         1, "sigmoid", "binary_crossentropy", "accuracy", _as_given)]),
        (digit_pairs, [
            _Mistake("Dense(10, 'sigmoid'), categorical_crossentropy, ['accuracy']", 10,
                     "sigmoid", "categorical_crossentropy", "accuracy", _as_given),
            _Mistake("Dense(10, 'sigmoid'), binary_crossentropy, ['binary_accuracy']", 10,
                     "sigmoid", "binary_crossentropy", "binary_accuracy", _as_given),
        ]),
    ]  # fmt: skip


# ----------------------------------------------------------------- text data (--data DIR)


def _take(rng: np.random.Generator, size: int, limit: int | None) -> Array:
    keep = size if limit is None else min(size, limit)
    return np.sort(rng.permutation(size)[:keep])


_Splits = Mapping[str, tuple[Sequence[str], Array]]


def _text_data_set(
    name: str,
    task: str,
    n: int,
    splits: _Splits,
    rng: np.random.Generator,
    caps: tuple[int | None, int | None],
) -> _Data:
    """A `_Data` of raw texts, each split subsampled to at most its cap."""
    picked: list[Array] = []
    for split, cap in zip(("train", "test"), caps, strict=True):
        texts, y = splits[split]
        if not len(texts):  # a cut-down copy of the file: nothing to train or score on
            raise ValueError(f"no {split} samples")
        rows = _take(rng, len(texts), cap)
        picked += [np.asarray([texts[i] for i in rows], dtype=object), y[rows]]
    return _Data(name, task, n, picked[0], picked[1], picked[2], picked[3], text=True)


def _caps(limit: int | None, train: int | None, test: int | None) -> tuple[int | None, int | None]:
    return (train, test) if limit is None else (limit, limit)


def _load_imdb(root: pathlib.Path, rng: np.random.Generator, limit: int | None) -> _Data:
    splits = {
        split: ([text.replace("<br />", " ") for text in texts], y)
        for split, (texts, y) in _datasets.imdb_reviews(root).items()
    }
    return _text_data_set("IMDB", "binary", 2, splits, rng, _caps(limit, 5000, 2500))


def _rt_phrases(root: pathlib.Path) -> dict[str, tuple[list[str], Array]]:
    phrases, sentiment, sentence = _datasets.rt_phrases(root)
    test = sentence % 5 == 0  # split by sentence, not by phrase, so no phrase leaks into test
    return {
        "train": ([p for p, t in zip(phrases, test, strict=True) if not t], sentiment[~test]),
        "test": ([p for p, t in zip(phrases, test, strict=True) if t], sentiment[test]),
    }


def _load_sentiment5(root: pathlib.Path, rng: np.random.Generator, limit: int | None) -> _Data:
    if (root / _datasets.SST_FILE).is_file():
        name, splits = "SST-5", _datasets.sst_sentences(root, splits=("train", "test"))
    else:
        name, splits = "RT phrases", _rt_phrases(root)
    return _text_data_set(name, "multiclass", 5, splits, rng, _caps(limit, None, None))


def _load_reuters(root: pathlib.Path, rng: np.random.Generator, limit: int | None) -> _Data:
    docs, topics = _datasets.reuters_modapte(root)
    index = {topic: i for i, topic in enumerate(topics)}
    splits = {
        split: (texts, to_multi_hot([[index[t] for t in row] for row in rows], len(topics)))
        for split, (texts, rows) in docs.items()
    }
    caps = _caps(limit, None, None)
    return _text_data_set("Reuters-21578", "multilabel", len(topics), splits, rng, caps)


def _load_goemotions(root: pathlib.Path, rng: np.random.Generator, limit: int | None) -> _Data:
    comments, names = _datasets.goemotions(root, splits=("train", "test"))
    splits = {
        split: (texts, to_multi_hot(ids, len(names))) for split, (texts, ids) in comments.items()
    }
    caps = _caps(limit, 12000, None)
    return _text_data_set("GoEmotions", "multilabel", len(names), splits, rng, caps)


_TEXT_SETS: tuple[tuple[str, tuple[str, ...], Callable[..., _Data], list[_Mistake]], ...] = (
    ("IMDB", (_datasets.IMDB_FILE,), _load_imdb, [
        _Mistake("Dense(1, 'softmax'), binary_crossentropy, ['accuracy']", 1, "softmax",
                 "binary_crossentropy", "accuracy", _as_given)]),
    ("SST-5", (_datasets.SST_FILE, _datasets.RT_PHRASES_FILE), _load_sentiment5, [
        _Mistake("Dense(5, 'softmax'), binary_crossentropy, ['binary_accuracy']", 5, "softmax",
                 "binary_crossentropy", "binary_accuracy", _as_one_hot)]),
    ("Reuters-21578", (_datasets.REUTERS_FILE,), _load_reuters, [
        _Mistake("Dense({n}, 'sigmoid'), binary_crossentropy, ['binary_accuracy']", None,
                 "sigmoid", "binary_crossentropy", "binary_accuracy", _as_given)]),
    ("GoEmotions", (f"{_datasets.GOEMOTIONS_DIR}/train.tsv.gz",), _load_goemotions, [
        _Mistake("Dense({n}, 'sigmoid'), categorical_crossentropy, ['accuracy']", None,
                 "sigmoid", "categorical_crossentropy", "accuracy", _as_given)]),
)  # fmt: skip


#: What a missing, truncated or damaged data file raises in the readers.
_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    TypeError,  # e.g. a null where a label or text belongs
    KeyError,
    IndexError,
    zipfile.BadZipFile,
    lzma.LZMAError,
)


def _text_data(
    root: pathlib.Path, seed: int, limit: int | None, out: TextIO
) -> list[tuple[_Data, list[_Mistake]]]:
    found = []
    for name, files, load, mistakes in _TEXT_SETS:
        if not any((root / file).is_file() for file in files):
            print(f"note: skipping {name}: {root / files[0]} not found", file=out)
            continue
        try:
            data = load(root, np.random.default_rng(seed), limit)
        except _READ_ERRORS as error:  # a partial or damaged copy: say so, run the others
            print(
                f"note: skipping {name}: could not read it from {root} "
                f"({type(error).__name__}: {error})",
                file=out,
            )
            continue
        found.append((data, mistakes))
    return found


# --------------------------------------------------------------------------- training


class _Dots(keras.callbacks.Callback):  # type: ignore[misc]
    """One line per model on ``stream``: its title, a dot per epoch, the time taken."""

    def __init__(self, title: str, stream: TextIO) -> None:
        super().__init__()
        self.title = title
        self.stream = stream
        self.start = 0.0

    def on_train_begin(self, logs: Any = None) -> None:
        self.start = time.perf_counter()
        self.stream.write(f"  {self.title:<44} ")
        self.stream.flush()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.stream.write(".")
        self.stream.flush()

    def on_train_end(self, logs: Any = None) -> None:
        self.stream.write(f" {time.perf_counter() - self.start:5.1f} s\n")
        self.stream.flush()


def _features(data: _Data) -> tuple[Array, Array]:
    """The model inputs: the features as they are, or TF-IDF vectors of the texts."""
    if not data.text:
        return data.x_train, data.x_test
    vectorize = keras.layers.TextVectorization(max_tokens=10000, output_mode="tf_idf")
    vectorize.adapt(data.x_train.tolist(), batch_size=1024)
    x_train = np.asarray(vectorize(data.x_train.tolist()), dtype="float32")
    x_test = np.asarray(vectorize(data.x_test.tolist()), dtype="float32")
    return x_train, x_test


def _model(data: _Data, width: int, output: keras.layers.Layer, seed: int) -> keras.Model:
    """The same small MLP for both heads: only the output layer differs."""
    keras.utils.set_random_seed(seed)
    if not data.text:
        return keras.Sequential([keras.Input((width,)), keras.layers.Dense(32, "relu"), output])
    return keras.Sequential([
        keras.Input((width,)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(64, "relu"),
        keras.layers.Dropout(0.5),
        output,
    ])  # fmt: skip


@dataclasses.dataclass
class _Row:
    data: str
    setup: str
    loss: str
    reported: str
    truth: str
    doctor: str
    findings: list[str] = dataclasses.field(default_factory=list)
    keras_warnings: list[str] = dataclasses.field(default_factory=list)


def _true_metric(task: str, y_true: Array, decided: Array) -> tuple[str, float]:
    if task == "multilabel":
        return "exact_match", float((decided == y_true).all(axis=1).mean())
    return "accuracy", float((decided == y_true).mean())


def _user_decisions(data: _Data, outputs: Array) -> Array:
    """Decisions as the user reads them: ``> 0.5`` on one unit or multilabel, else argmax."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype("int64")
    if data.task == "multilabel":
        return (outputs > 0.5).astype("float32")
    return np.asarray(outputs.argmax(axis=1))


def _doctor(model: keras.Model, y: Array) -> tuple[str, list[str]]:
    """The finding codes for the table, and what `check` says (findings and warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SafeheadsWarning)
        findings = check(model, y).findings
    reported = {finding.message for finding in findings}  # SH409 is a warning and a finding
    said = [
        f"label warning: {w.message}"
        for w in caught
        if w.category is SafeheadsWarning and str(w.message) not in reported
    ]
    said += [str(finding) for finding in findings]
    codes = ", ".join(finding.code for finding in findings)
    return codes or "no findings", said


def _fit_and_score(
    model: keras.Model,
    data: _Data,
    features: tuple[Array, Array],
    targets: tuple[Array, Array],
    decide: Callable[[Array], Array],
    *,
    epochs: int,
    title: str,
    progress: TextIO,
) -> tuple[keras.callbacks.History, dict[str, float], tuple[str, float], list[str]]:
    """Train, evaluate and predict; returns history, Keras' metrics, the truth, Keras warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(
            features[0], targets[0], epochs=epochs, batch_size=64 if data.text else 32,
            verbose=0, callbacks=[_Dots(title, progress)],
        )  # fmt: skip
        reported = model.evaluate(features[1], targets[1], verbose=0, return_dict=True)
        outputs = np.asarray(model.predict(features[1], verbose=0, batch_size=512))
    truth = _true_metric(data.task, data.y_test, decide(outputs))
    said: dict[tuple[str, int], str] = {}  # one line per place in Keras that warned
    for warning in caught:
        if "keras" in warning.filename:
            said.setdefault((warning.filename, warning.lineno), str(warning.message))
    return history, reported, truth, list(said.values())


def _train(
    data: _Data, mistakes: list[_Mistake], *, epochs: int, seed: int, progress: TextIO,
    counter: list[int], total: int,
) -> list[_Row]:  # fmt: skip
    rows = []
    features = _features(data)
    width = features[0].shape[1]
    for mistake in mistakes:
        counter[0] += 1
        keras.utils.set_random_seed(seed)  # the layer draws its initializer seed when made
        output = keras.layers.Dense(mistake.units or data.n, mistake.activation)
        model = _model(data, width, output, seed)
        model.compile("adam", loss=mistake.loss, metrics=[mistake.metric])
        targets = (mistake.targets(data.y_train, data.n), mistake.targets(data.y_test, data.n))
        history, reported, (name, value), said = _fit_and_score(
            model, data, features, targets, lambda out: _user_decisions(data, out),
            epochs=epochs, title=f"[{counter[0]}/{total}] {data.name}: hand-written head",
            progress=progress,
        )  # fmt: skip
        doctor, findings = _doctor(model, targets[0])
        rows.append(
            _Row(data.name, mistake.code.format(n=data.n), _loss_trend(history),
                 f"{mistake.metric} {_three(reported[mistake.metric])}", f"{name} {_three(value)}",
                 doctor, findings, said)
        )  # fmt: skip

    counter[0] += 1
    keras.utils.set_random_seed(seed)
    head = classification_head(data.task, data.n)
    model = _model(data, width, head.layer, seed)
    model.compile("adam", loss=head.loss, metrics=head.metrics)
    targets = (head.encode(data.y_train), head.encode(data.y_test))
    history, reported, (name, value), said = _fit_and_score(
        model, data, features, targets, head.decode, epochs=epochs,
        title=f"[{counter[0]}/{total}] {data.name}: safeheads head", progress=progress,
    )  # fmt: skip
    doctor, findings = _doctor(model, targets[0])
    n_arg = "" if data.task == "binary" else f", {data.n}"
    rows.append(
        _Row(data.name, f"classification_head({data.task!r}{n_arg})", _loss_trend(history),
             f"{name} {_three(reported[name])}", f"{name} {_three(value)}", doctor, findings, said)
    )  # fmt: skip
    return rows


def _three(value: float) -> str:
    """Three decimals of a metric, rounded from float32 as Keras reports it, so that a
    reported 0.0025 (0.00249999994 in float32) and a numpy 0.0025 print alike."""
    return f"{float(np.float32(value)):.3f}"


def _loss_trend(history: keras.callbacks.History) -> str:
    losses = history.history["loss"]
    return f"{losses[0]:.2f} -> {losses[-1]:.2f}"


# --------------------------------------------------------------------------- output


_COLUMNS = (
    ("setup", "output layer, loss, metrics"),
    ("loss", "train loss"),
    ("reported", "Keras reports"),
    ("truth", "true, from predict"),
    ("doctor", "safeheads.check"),
)


def _table(rows: list[_Row], sizes: dict[str, str]) -> str:
    """One block per dataset; the columns line up across blocks."""
    header = [title for _, title in _COLUMNS]
    cells = [[str(getattr(row, key)) for key, _ in _COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(_COLUMNS))]

    def line(values: list[str]) -> str:
        return "  " + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = [line(header), line(["-" * width for width in widths])]
    for i, row in enumerate(rows):
        if i == 0 or row.data != rows[i - 1].data:
            lines += ["", f"{row.data} ({sizes[row.data]})"]
        lines.append(line(cells[i]))
    return "\n".join(lines)


def run_demo(
    *,
    epochs: int | None = None,
    data: str | pathlib.Path | None = None,
    limit: int | None = None,
    seed: int = 0,
    out: TextIO | None = None,
    progress: TextIO | None = None,
) -> int:
    """Train mistaken heads and safeheads heads side by side and print the comparison.

    Args:
        epochs: Training epochs per model (default 20 on the bundled data, 8 on text).
        data: A folder laid out like the project's shared data folder: run on its
            text datasets (IMDB, SST-5, Reuters-21578, GoEmotions) instead of the
            bundled ones, skipping any that are missing.
        limit: Cap each dataset at about this many samples (a quick run).
        seed: Random seed for splits and weights.
        out: Where the table goes (default: standard output).
        progress: Where the progress lines go (default: standard error).

    Returns:
        The exit status: 0, or 2 if scikit-learn is missing for the bundled data,
        ``data`` is not a folder, or it holds none of the text datasets.
    """
    out = sys.stdout if out is None else out
    progress = sys.stderr if progress is None else progress
    started = time.perf_counter()
    if data is None:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            print(_INSTALL_HINT, file=sys.stderr)
            return 2
        tasks = _builtin_data(seed, limit)
        epochs = 20 if epochs is None else epochs
        source = "data bundled with scikit-learn"
    else:
        root = pathlib.Path(data)
        if not root.is_dir():
            print(f"safeheads demo: --data {str(data)!r} is not a folder.", file=sys.stderr)
            return 2
        tasks = _text_data(root, seed, limit, out)
        epochs = 8 if epochs is None else epochs
        source = f"text datasets in {root}"
        if not tasks:
            print(
                f"safeheads demo: no known dataset found in --data {str(data)!r} (the notes "
                "above name the files looked for); point --data at a folder laid out like "
                "the shared data folder, or leave it out to run on the bundled data.",
                file=sys.stderr,
            )
            return 2
    total = sum(len(mistakes) + 1 for _, mistakes in tasks)
    print(
        f"Training {total} models on {source}, {epochs} epoch{'s' * (epochs != 1)} each:",
        file=progress,
    )
    rows: list[_Row] = []
    counter = [0]
    # tf.function retracing notes (one predict function per model) are noise here.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        for dataset, mistakes in tasks:
            rows += _train(
                dataset, mistakes, epochs=epochs, seed=seed, progress=progress,
                counter=counter, total=total,
            )  # fmt: skip
    finally:
        tf_logger.setLevel(level)
    sizes = {
        dataset.name: f"{dataset.task}, n={dataset.n}, {len(dataset.y_train)} train / "
        f"{len(dataset.y_test)} test samples"
        for dataset, _ in tasks
    }
    _report(rows, sizes, out)
    print(f"\n({time.perf_counter() - started:.0f} s)", file=out)
    return 0


def _report(rows: list[_Row], sizes: dict[str, str], out: TextIO) -> None:
    print("", file=out)
    print(_table(rows, sizes), file=out)
    for row in rows:
        if not (row.findings or row.keras_warnings):
            continue
        print(f"\n{row.data}, {row.setup}:", file=out)
        for text in row.keras_warnings:
            print(textwrap.fill("Keras warned: " + text, 100, initial_indent="  ",
                                subsequent_indent="      "), file=out)  # fmt: skip
        for text in row.findings:
            print("  " + text.replace("\n", "\n  "), file=out)
    warned = sum(bool(row.keras_warnings) for row in rows)
    print(
        f"\nKeras trained every setup to the end without an error (it warned about {warned} of "
        f"{len(rows)}).\n'true, from predict' is computed with numpy from model.predict on the "
        "held-out test split.\nclassification_head(task, n) builds a matched output layer, loss "
        "and metrics;\nsafeheads.check(model, y) explains the mismatches in an existing model.",
        file=out,
    )
