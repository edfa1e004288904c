"""The Dataset container."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.data.dataset import DataError, Dataset


def _ds(n: int = 10) -> Dataset:
    return Dataset("d", np.arange(n * 4).reshape(n, 2, 2), np.arange(n) % 3, "classification",
                   ["a", "b", "c"])


def test_types_and_facts() -> None:
    ds = _ds()
    assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    assert ds.n == 10 and ds.sample_shape == (2, 2) and ds.is_image
    assert ds.class_counts().tolist() == [4, 3, 3]
    reg = Dataset("r", np.zeros((4, 3)), np.arange(4), "regression", [])
    assert reg.y.shape == (4, 1) and reg.y.dtype == np.float32 and not reg.is_image


def test_subset_split_take_merge() -> None:
    ds = _ds()
    a, b = ds.split(0.3, seed=1)
    assert (a.n, b.n) == (7, 3)
    assert sorted(np.concatenate([a.y, b.y]).tolist()) == sorted(ds.y.tolist())
    a2, _ = ds.split(0.3, seed=1)
    assert np.array_equal(a.x, a2.x)
    assert ds.take(4).n == 4 and ds.take(4, seed=0).n == 4
    assert ds.merge(ds).n == 20
    assert ds.subset(ds.y == 0).n == 4


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="10 samples but 9 targets"):
        Dataset("d", np.zeros((10, 2)), np.zeros(9), "classification", ["a"])
    with pytest.raises(DataError, match="task"):
        Dataset("d", np.zeros((10, 2)), np.zeros(10), "clustering", [])
    with pytest.raises(DataError, match="one row per sample"):
        Dataset("d", np.zeros(10), np.zeros(10), "classification", ["a"])
    with pytest.raises(DataError, match="between 0 and 1"):
        _ds().split(1.5)
    other = Dataset("o", np.zeros((2, 3, 3)), np.zeros(2), "classification", ["a", "b", "c"])
    with pytest.raises(DataError, match="different shapes"):
        _ds().merge(other)
