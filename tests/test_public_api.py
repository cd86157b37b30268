"""The public surface: explicit __all__, documented, typed, and nothing else exported."""

from __future__ import annotations

import inspect
import pathlib

import keras
import pytest
import tensorflow as tf

import safeheads


def test_all_is_unique_and_complete() -> None:
    assert len(set(safeheads.__all__)) == len(safeheads.__all__)
    public = {name for name in vars(safeheads) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(safeheads, name))}
    assert public - modules == set(safeheads.__all__) - {"__version__"}


def test_version() -> None:
    assert safeheads.__version__.count(".") >= 2


def test_py_typed_ships() -> None:
    assert (pathlib.Path(safeheads.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize(
    "name", [n for n in safeheads.__all__ if n not in {"__version__", "FORMATS"}]
)
def test_documented_with_example(name: str) -> None:
    obj = getattr(safeheads, name)
    doc = inspect.getdoc(obj) or ""
    assert "Example" in doc and ">>>" in doc, f"{name} needs a runnable Example"
    if inspect.isfunction(obj) or (
        inspect.isclass(obj)
        and not issubclass(obj, (Exception, Warning))
        and name != "Task"
        and name != "LabelInfo"
    ):
        assert "Args:" in doc or "Attributes:" in doc, f"{name} needs Args"
        assert "Returns:" in doc or "Attributes:" in doc, f"{name} needs Returns"


KERAS_OBJECTS = [
    (name, method)
    for name in safeheads.__all__
    if inspect.isclass(obj := getattr(safeheads, name))
    for base, methods in (
        (keras.metrics.Metric, ("update_state", "result")),
        (keras.losses.Loss, ("call",)),
        (keras.layers.Layer, ("call",)),
    )
    if issubclass(obj, base)
    for method in methods
]


@pytest.mark.parametrize("name, method", KERAS_OBJECTS, ids=[".".join(c) for c in KERAS_OBJECTS])
def test_keras_methods_convert_with_autograph(name: str, method: str) -> None:
    """In a user's tf.function AutoGraph converts these; a failure only warns, at run time."""
    tf.autograph.to_graph(getattr(getattr(safeheads, name), method))
