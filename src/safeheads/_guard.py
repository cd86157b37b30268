"""`HeadGuard`: run the model doctor when ``fit`` starts and stop a mismatched model.

Keras 3 callbacks never see the labels, so the guard gets them in one of four
ways, in this order:

1. ``HeadGuard(labels=y_train)``: the labels given explicitly (all of them are
   checked).
2. Arrays passed to ``fit(x, y)``: the guard reads ``y`` from the arguments of
   the ``fit`` call that is running it (the frame of ``Model.fit`` whose
   ``self`` is the guarded model; all of ``y`` is checked, in one vectorised
   pass, before the first batch).
3. A ``tf.data.Dataset`` or ``keras.utils.PyDataset`` passed as ``fit(x)``: the
   guard reads its first batch (``dataset.take(1)`` / ``dataset[0]``) and checks
   those labels; checks that need every label (a class with no examples) are
   skipped, since one batch need not hold every class. Reading a ``tf.data``
   pipeline that reshuffles (``shuffle(...)``) draws one reshuffle from its seed:
   ``fit`` then sees other, equally random epochs than without the guard (pass
   ``labels=`` to keep the exact order). A first batch whose rows
   happen to hold one label each reads as one-hot (multiclass) labels, so a
   multilabel model fed from a dataset is best guarded with ``labels=y_train``.
4. A PyTorch ``DataLoader`` over a map-style dataset: the guard collates the
   dataset's first ``batch_size`` samples itself (``loader.dataset[i]`` and
   ``loader.collate_fn``), so the loader's sampler is not touched; the global
   random states that reading may draw from (Python's, numpy's, PyTorch's, as
   augmentations do) are restored after it, for a ``PyDataset`` too.

With a Python generator, a ``DataLoader`` over an iterable dataset, or when the
``fit`` frame cannot be found, the model, loss and metrics are still checked and
the report notes that the labels were not: pass ``labels=`` then. A subclassed
model that is not built yet and gets no input shape from ``fit``'s data (a
generator) cannot be traced before its first batch: it is checked again after
that batch built it, and an error stops training there.

The labels of ``fit(validation_data=(x_val, y_val))`` are checked too (of the
first batch when ``validation_data`` is a ``tf.data.Dataset`` or a
``PyDataset``): a label error there (SH4xx) also stops training before the first
batch. So is ``fit(class_weight=...)``: on a multilabel output (SH410, an error)
and with weights that rescale the loss, such as 1/count (SH411, a warning).
"""

from __future__ import annotations

import contextlib
import random
import sys
import warnings
from collections.abc import Iterator
from typing import Any, NamedTuple

import keras
import numpy as np

from safeheads._audit import Report, inspect_model
from safeheads._labels import tensor_to_numpy
from safeheads._tasks import Task, parse_task
from safeheads.errors import HeadMismatchError, SafeheadsWarning

__all__ = ["HeadGuard"]


class _FitArguments(NamedTuple):
    x: Any
    y: Any
    validation_data: Any
    class_weight: Any


def _fit_arguments(model: Any) -> _FitArguments | None:
    """The arguments of the running ``model.fit`` call, or None outside one."""
    frame = sys._getframe(1)
    try:
        while frame is not None:
            if frame.f_code.co_name == "fit" and frame.f_locals.get("self") is model:
                found = frame.f_locals
                return _FitArguments(*(found.get(name) for name in _FitArguments._fields))
            frame = frame.f_back  # type: ignore[assignment]
    finally:
        del frame
    return None


def _to_numpy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "shape"):
        return [_to_numpy(item) for item in value]
    return tensor_to_numpy(value)


def _labels_of_batch(batch: Any) -> Any:
    """The ``y`` of an ``(x, y)`` or ``(x, y, sample_weight)`` batch, else None."""
    if isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        return _to_numpy(batch[1])
    return None


def _input_shape(x: Any) -> tuple[int | None, ...] | None:
    """The batch shape ``(None, ...)`` of ``fit(x)``: one array, tensor, or ``tf.data``
    dataset, ``PyDataset`` or ``DataLoader`` of ``(x, y)`` batches; else None (several
    inputs, generators, ...)."""
    if isinstance(x, keras.utils.PyDataset) or _is_torch_data_loader(x):
        batch, _ = _first_batch(x)
        x = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    spec = getattr(x, "element_spec", None)
    if isinstance(spec, (tuple, list)) and spec:
        x = spec[0]
    shape = getattr(x, "shape", None)
    try:
        dims = tuple(None if d is None else int(d) for d in shape)  # type: ignore[union-attr]
    except TypeError:
        return None
    return (None, *dims[1:]) if dims else None


def _is_torch_data_loader(x: Any) -> bool:
    """A ``torch.utils.data.DataLoader``, recognised without importing torch."""
    return any(
        cls.__name__ == "DataLoader" and cls.__module__.startswith("torch.utils.data")
        for cls in type(x).__mro__
    )


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """Restore the global random states that reading a batch may draw from (Python's,
    numpy's and, when it is imported, PyTorch's): a ``PyDataset`` or dataset that
    augments, and a ``DataLoader``'s sampler seeded from torch's generator, then give
    ``fit`` the same batches as without the guard."""
    python, numpy = random.getstate(), np.random.get_state()
    torch = sys.modules.get("torch")
    torch_state = torch.get_rng_state() if torch is not None else None
    try:
        yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)
        if torch is not None:
            torch.set_rng_state(torch_state)


def _first_batch(x: Any) -> tuple[Any, str | None]:
    """The first batch of a ``PyDataset`` or map-style ``DataLoader`` (collated from its
    dataset's first samples), read with the random states kept; else None, and a note."""
    with _random_state_kept():
        if isinstance(x, keras.utils.PyDataset):
            return x[0], "labels: the first batch of the PyDataset."
        dataset = x.dataset
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            return None, (
                "fit() got a DataLoader over an iterable dataset, which cannot be read without "
                "consuming a batch: the labels were not checked; pass HeadGuard(labels=y_train)."
            )
        size = min(len(dataset), x.batch_size or 1)
        if size == 0:
            return None, "the DataLoader's dataset is empty: no labels were checked."
        batch = x.collate_fn([dataset[i] for i in range(size)])
        return batch, f"labels: the first {size} samples of the DataLoader's dataset."


def _first_batch_labels(x: Any) -> tuple[Any, str | None]:
    """Labels of the first batch of a dataset passed as ``fit(x)``, and a note."""
    if hasattr(x, "element_spec") and hasattr(x, "take"):  # a tf.data.Dataset
        with _random_state_kept():  # a generator or py_function may draw from them
            batch = next(iter(x.take(1)), None)
        if batch is None:
            return None, "the tf.data.Dataset is empty: no labels were checked."
        return _labels_of_batch(batch), "labels: the first batch of the tf.data.Dataset."
    if isinstance(x, keras.utils.PyDataset) or _is_torch_data_loader(x):
        batch, note = _first_batch(x)
        return (None if batch is None else _labels_of_batch(batch)), note
    if x is not None and hasattr(x, "__next__"):
        return None, (
            "fit() got a generator, which cannot be read without consuming a batch: the labels "
            "were not checked; pass HeadGuard(labels=y_train)."
        )
    return None, None


class HeadGuard(keras.callbacks.Callback):  # type: ignore[misc]
    """A callback that checks the model and its labels when ``fit`` starts.

    On ``on_train_begin`` (before the first batch) it runs `check` on the
    model being trained and its labels (see the module docstring of
    ``safeheads._guard`` for where the labels come from), emits the warning
    findings once as one `SafeheadsWarning`, and raises `HeadMismatchError`
    with the report when a finding is an error, so a mistaken head costs
    seconds instead of an evening of training. Out-of-range class ids, which
    sparse categorical crossentropy turns into NaN with XLA and zero loss on JAX, stop
    training with the SH403 explanation instead.

    A model that only its first batch can build (a subclassed model fed by a
    generator) is checked again after that batch, and stopped there on an error.

    The guard holds labels, not configuration, so it is not registered for
    ``.keras`` serialization (Keras does not save callbacks).

    Args:
        labels: The training labels, as ``fit`` takes them (numbers: class
            names and label lists go through ``head.encode`` first). Optional: without
            it the guard reads ``y`` from the running ``fit`` call, or the
            first batch of a dataset.
        task: Optional task the model must do (as in `check`).

    Attributes:
        report: The `Report` of the last ``fit`` start, or None before.

    Raises:
        TypeError: If ``task`` has the wrong type.
        HeadConfigError: If ``task`` is not a known task.

    Example:
        >>> import keras, numpy as np, safeheads
        >>> layers = [keras.Input((4,)), keras.layers.Dense(1, "softmax")]
        >>> model = keras.Sequential(layers, name="clf")
        >>> model.compile("adam", loss="binary_crossentropy")
        >>> x, y = np.zeros((8, 4)), np.array([0, 1] * 4)
        >>> try:
        ...     model.fit(x, y, callbacks=[safeheads.HeadGuard()], verbose=0)
        ... except safeheads.HeadMismatchError as err:
        ...     print(str(err).splitlines()[0])
        safeheads check of model 'clf': 1 error
    """

    def __init__(self, labels: Any = None, *, task: Task | str | None = None) -> None:
        super().__init__()
        self.labels = labels
        self.task = parse_task(task) if task is not None else None
        self.report: Report | None = None
        # the check of a model that could not be built before its first batch (a
        # subclassed model fed by a generator), run again once that batch built it
        self._deferred: dict[str, Any] | None = None

    def _find_labels(self, arguments: _FitArguments | None) -> tuple[Any, bool, str | None]:
        """``(labels, complete, note)`` for this fit call (``arguments``: `_fit_arguments`)."""
        if self.labels is not None:
            return self.labels, True, None
        if arguments is None:
            missing = (
                "the guard found no running fit() call to read labels from: pass "
                "HeadGuard(labels=y_train)."
            )
            return None, False, missing
        if arguments.y is not None:
            return _to_numpy(arguments.y), True, None
        labels, note = _first_batch_labels(arguments.x)
        return labels, False, note

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Check the model and labels; warn once; raise on an error finding."""
        arguments = _fit_arguments(self.model)
        y, complete, note = self._find_labels(arguments)
        options: dict[str, Any] = {
            "task": self.task,
            "labels_complete": complete,
            "label_note": note,
            "class_weight": None if arguments is None else arguments.class_weight,
        }
        report = inspect_model(
            self.model,
            y,
            # only a model not built yet is traced with it (reading a loader's batch again)
            input_shape=None
            if arguments is None or self.model.built
            else _input_shape(arguments.x),
            **options,
        )
        self._raise_or_warn(report, "before the first batch")
        if not self.model.built:
            self._deferred = {"y": y, "warned": {str(f) for f in report.warnings}, **options}
        self._check_validation_labels(None if arguments is None else arguments.validation_data)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Check a model that only its first batch could build (no input shape before)."""
        if self._deferred is None:
            return
        deferred, self._deferred = self._deferred, None
        y, warned = deferred.pop("y"), deferred.pop("warned")
        self._raise_or_warn(
            inspect_model(self.model, y, **deferred),
            "after the first batch, which built the model (fit's data gave no input shape "
            "to trace it with before)",
            warned,
        )

    def _raise_or_warn(self, report: Report, when: str, warned: set[str] | None = None) -> None:
        """Keep ``report``; warn once for the warnings not ``warned`` of; raise on an error."""
        self.report = report
        new = [finding for finding in report.warnings if str(finding) not in (warned or ())]
        if new:
            text = "\n\n".join(report._about(finding) + str(finding) for finding in new)
            warnings.warn(
                f"safeheads.HeadGuard found {len(new)} warning(s) in model "
                f"{report.model_name!r}:\n{text}",
                SafeheadsWarning,
                stacklevel=3,
            )
        if not report.ok:
            raise HeadMismatchError(f"{report}\n\nsafeheads.HeadGuard stopped training {when}.")

    def _check_validation_labels(self, data: Any) -> None:
        """Stop on label errors (SH4xx) in ``fit(validation_data=data)`` arrays: Keras
        would otherwise fail, or score nonsense, at the end of the first epoch."""
        if isinstance(data, (tuple, list)) and len(data) in (2, 3) and data[1] is not None:
            labels = _to_numpy(data[1])
        elif hasattr(data, "element_spec") or isinstance(data, keras.utils.PyDataset):
            labels, _ = _first_batch_labels(data)
        else:
            return
        if labels is None:
            return
        report = inspect_model(self.model, labels, task=self.task, labels_complete=False)
        if any(finding.code.startswith("SH4") for finding in report.errors):
            raise HeadMismatchError(
                f"The validation_data labels do not fit the model.\n{report}\n\n"
                "safeheads.HeadGuard stopped training before the first batch."
            )
