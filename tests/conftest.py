"""Shared fixtures: quiet TensorFlow, a fixed seed, and the shared real data folder."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _seed() -> None:
    keras.utils.set_random_seed(0)
    np.random.seed(0)


@pytest.fixture
def data_dir() -> pathlib.Path:
    """``../shared/data``; tests using it skip when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is absent")
    return DATA
