"""Shared test configuration: offscreen Qt and the real MNIST digits when present."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Settings, the person's own digits and caches go to a private folder during tests, never
# into the home folder of whoever runs them.
_HOME = Path(tempfile.mkdtemp(prefix="nnstudio-tests-"))
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of 5,000 real MNIST test digits; the test is skipped when it is absent."""
    if not (MNIST_DIR / "mnist5k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST digits not found in {MNIST_DIR}")
    return MNIST_DIR
