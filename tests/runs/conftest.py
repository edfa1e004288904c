"""Fixtures for run records: a runs folder and the CLI (``record_run`` is in tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def nnstudio_cli(tmp_path):
    """``nnstudio_cli(*args, env=None)`` runs ``python -m nnstudio`` with the data folder in
    ``tmp_path/"user"``; returns the CompletedProcess (text)."""

    def run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
        full = {**os.environ, "NNSTUDIO_DATA_DIR": str(tmp_path / "user"),
                "PYTHONPATH": str(ROOT), **(env or {})}
        return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True,
                              text=True, cwd=tmp_path, env=full, timeout=120, **kw)

    return run
