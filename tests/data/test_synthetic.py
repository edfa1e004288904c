"""Synthetic digits: framing, reproducibility, caching, variety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data import synthetic
from nnstudio.data.glyphs import GLYPHS, compiled_styles
from nnstudio.data.synthetic import cache_path, generate_all, synthetic_digits


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("NNSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_shapes_types_and_balance() -> None:
    ds = synthetic_digits(500, seed=1)
    assert ds.x.shape == (500, 28, 28) and ds.x.dtype == np.float32
    assert ds.y.dtype == np.int64 and ds.classes == [str(i) for i in range(10)]
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert ds.class_counts().min() >= 35
    assert (ds.x.max(axis=(1, 2)) > 0.9).all()  # every image has saturated ink


def test_mnist_framing() -> None:
    x, _ = generate_all(400, seed=2)
    ink = x > 0.05
    rows = ink.any(axis=2)
    cols = ink.any(axis=1)
    idx = np.arange(28)
    height = np.where(rows, idx, -1).max(1) - np.where(rows, idx, 99).min(1) + 1
    width = np.where(cols, idx, -1).max(1) - np.where(cols, idx, 99).min(1) + 1
    longest = np.maximum(height, width)
    assert np.median(longest) >= 19 and (longest <= 21).mean() > 0.95
    m = x.sum(axis=(1, 2))
    cy = (x.sum(axis=2) @ idx) / m
    cx = (x.sum(axis=1) @ idx) / m
    assert abs(cy.mean() - 14) < 0.3 and abs(cx.mean() - 14) < 0.3
    assert cy.std() < 0.6 and cx.std() < 0.6
    assert (x[:, :, 0].max(1) > 0.3).mean() < 0.05  # margins stay (mostly) dark
    assert (x[:, -1].max(1) > 0.3).mean() < 0.05


def test_reproducible_and_seeded() -> None:
    a, ya = generate_all(300, seed=3)
    b, yb = generate_all(300, seed=3)
    c, _ = generate_all(300, seed=4)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.allclose(a, c)


def test_every_sample_differs() -> None:
    x, y = generate_all(200, seed=0)
    ones = x[y == 1].reshape(-1, 784)
    d = np.abs(ones[:, None] - ones[None]).sum(-1)
    assert d[np.triu_indices(len(ones), 1)].min() > 5


def test_cache(cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(synthetic, "CACHE_MIN", 300)
    ds = synthetic_digits(300, seed=9)
    path = cache_path(300, 9)
    assert path.exists() and path.parent == cache
    again = synthetic_digits(300, seed=9)
    assert np.array_equal(ds.x, again.x) and np.array_equal(ds.y, again.y)
    path.write_bytes(b"damaged")  # a damaged cache is regenerated
    assert np.array_equal(synthetic_digits(300, seed=9).x, ds.x)
    good = path.read_bytes()
    for bad in (good[: len(good) // 2],            # zip directory gone: BadZipFile
                good[:60] + b"\xff" * 40 + good[100:]):  # damaged member header
        path.write_bytes(bad)
        assert np.array_equal(synthetic_digits(300, seed=9).y, ds.y)
        assert path.read_bytes() == good  # the damaged cache was replaced by a good one


def test_styles_compile() -> None:
    styles = compiled_styles()
    assert {s.digit for s in styles} == set(range(10))
    assert sum(len(v) for v in GLYPHS.values()) == len(styles)
    for s in styles:
        assert s.basis.shape == (len(s.stroke_id), len(s.controls))
        pts = s.basis @ s.controls
        step = np.linalg.norm(np.diff(pts, axis=0), axis=1)[s.stroke_id[1:] == s.stroke_id[:-1]]
        assert step.max() < 0.05  # dense enough to draw
