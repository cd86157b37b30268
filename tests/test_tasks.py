"""Task: the enum and its string behaviour."""

from __future__ import annotations

from safeheads import Task, classification_head


def test_task_members_in_declared_order() -> None:
    assert [task.value for task in Task] == ["binary", "multiclass", "multilabel"]


def test_task_equals_its_string() -> None:
    assert Task.MULTILABEL == "multilabel"
    assert str(Task.BINARY) == "binary"


def test_task_member_accepted() -> None:
    assert classification_head(Task.MULTICLASS, 3).task is Task.MULTICLASS
