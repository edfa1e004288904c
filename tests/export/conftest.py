"""Data the export tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def idx_digits(tmp_path_factory, square_digits) -> Path:
    """240 easy 28×28 'digits' in an IDX folder: class k lights a square of its own."""
    return square_digits(tmp_path_factory.mktemp("idx"), 240, prefix="train")
