"""The heads that tests/test_backends.py runs on every Keras backend (no Keras import here).

Every valid task x labels x from_logits combination; the logit variants also carry
class names so that ``decode(names=True)`` and names in ``encode`` run on every
backend. Multiclass uses n=10 so that the top-5 metric is built too.
"""

from __future__ import annotations

from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")

#: The module each backend needs; a backend whose module is missing is skipped.
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

_MULTICLASS_NAMES = [f"class_{i}" for i in range(10)]

CONFIGS: list[dict[str, Any]] = [
    {"id": "binary-probs", "task": "binary", "n": None, "options": {}},
    {
        "id": "binary-logits",
        "task": "binary",
        "n": None,
        "options": {"from_logits": True, "class_names": ["no", "yes"]},
    },
    {
        "id": "multiclass-sparse-probs",
        "task": "multiclass",
        "n": 10,
        "options": {"labels": "sparse"},
    },
    {
        "id": "multiclass-sparse-logits",
        "task": "multiclass",
        "n": 10,
        "options": {"labels": "sparse", "from_logits": True, "class_names": _MULTICLASS_NAMES},
    },
    {
        "id": "multiclass-onehot-probs",
        "task": "multiclass",
        "n": 10,
        "options": {"labels": "one_hot"},
    },
    {
        "id": "multiclass-onehot-logits",
        "task": "multiclass",
        "n": 10,
        "options": {"labels": "one_hot", "from_logits": True, "class_names": _MULTICLASS_NAMES},
    },
    {"id": "multilabel-probs", "task": "multilabel", "n": 4, "options": {}},
    {
        "id": "multilabel-logits",
        "task": "multilabel",
        "n": 4,
        "options": {"from_logits": True, "class_names": ["a", "b", "c", "d"]},
    },
    {
        "id": "multilabel-min-labels",
        "task": "multilabel",
        "n": 4,
        "options": {"min_labels": 1, "threshold": [0.6, 0.7, 0.8, 0.9]},
    },
]

CONFIG_IDS = [config["id"] for config in CONFIGS]
