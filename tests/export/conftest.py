"""Data the export tests share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.idx import write_idx


@pytest.fixture(scope="session")
def idx_digits(tmp_path_factory) -> Path:
    """240 easy 28×28 'digits' in an IDX folder: class k lights a square of its own."""
    folder = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 240).astype(np.uint8)
    x = (rng.random((240, 28, 28)) * 40).astype(np.uint8)
    for i, k in enumerate(y):
        r, c = 2 + 8 * (k // 4), 2 + 6 * (k % 4)
        x[i, r:r + 6, c:c + 6] = 255
    write_idx(folder / "train-images-idx3-ubyte.gz", x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y)
    return folder
