"""A griffe extension for the API reference.

* The project's docstrings follow Keras and write ``Example:`` (singular) above their
  ``>>>`` lines; griffe's Google parser knows only ``Examples:``, and would render the
  doctest lines as Markdown. This renames the heading before the docstring is parsed.
* A few classes get their docstring at import time (``Cls.__doc__ = ...``), which static
  analysis cannot see; for a class without a docstring, it is read from the imported class.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` section headings to ``Examples:``."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None and obj.is_class and obj.module.path.startswith("safeheads"):
            module = importlib.import_module(obj.module.path)
            text = inspect.getdoc(getattr(module, obj.name, None))
            if text:
                obj.docstring = griffe.Docstring(text, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
