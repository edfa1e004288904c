"""Shared test configuration: offscreen Qt and the real MNIST digits when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of 5,000 real MNIST test digits; the test is skipped when it is absent."""
    if not (MNIST_DIR / "mnist5k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST digits not found in {MNIST_DIR}")
    return MNIST_DIR
