"""Data the export tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path, monkeypatch):
    """Each test works in its own folder: a train.py run in this process records its run
    into ./runs, which must never land in the source tree."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def idx_digits(tmp_path_factory, square_digits) -> Path:
    """240 easy 28×28 'digits' in an IDX folder: class k lights a square of its own."""
    return square_digits(tmp_path_factory.mktemp("idx"), 240, prefix="train")
