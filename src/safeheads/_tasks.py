"""The three classification tasks and their parsing."""

from __future__ import annotations

import enum

from safeheads._messages import describe_value
from safeheads.errors import HeadConfigError

__all__ = ["Task", "parse_task"]


class Task(str, enum.Enum):
    """A classification task.

    Members compare equal to their string value, so ``Task.BINARY == "binary"``.

    - ``BINARY``: one yes/no decision per sample (one output unit).
    - ``MULTICLASS``: exactly one of ``n >= 2`` classes per sample.
    - ``MULTILABEL``: any subset of ``n >= 2`` labels per sample.

    Example:
        >>> from safeheads import Task
        >>> Task("multilabel") is Task.MULTILABEL
        True
        >>> [task.value for task in Task]
        ['binary', 'multiclass', 'multilabel']
    """

    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"

    def __str__(self) -> str:
        return self.value


_ALIASES = {
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel": "multilabel",
    "binaryclassification": "binary",
    "sigmoid": "binary",
    "multiclassclassification": "multiclass",
    "categorical": "multiclass",
    "softmax": "multiclass",
    "sparse": "multiclass",
    "multilabelclassification": "multilabel",
    "multioutput": "multilabel",
    "multitag": "multilabel",
}


def parse_task(task: object) -> Task:
    """Return the `Task` for a string or member, with a clear error otherwise."""
    if isinstance(task, Task):
        return task
    if not isinstance(task, str):
        raise TypeError(
            f"Expected `task` to be a str or safeheads.Task. Received: task={describe_value(task)}. "
            "Pass task='binary', 'multiclass' or 'multilabel'."
        )
    try:
        return Task(task)
    except ValueError:
        allowed = ", ".join(repr(t.value) for t in Task)
        guess = _ALIASES.get(task.strip().lower().replace("_", "").replace("-", ""))
        hint = f" Did you mean task={guess!r}?" if guess else " Pass one of these."
        raise HeadConfigError(
            f"Expected `task` to be one of {allowed}. Received: task={task!r}.{hint}"
        ) from None
