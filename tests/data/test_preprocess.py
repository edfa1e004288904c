"""Canvas preprocessing into MNIST framing, tested on strokes rendered with NumPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import Dataset
from nnstudio.data.idx import load_idx_dir
from nnstudio.data.preprocess import MNIST_CENTRE, downsample, downsample_dataset, to_mnist


def render(polyline: list[tuple[float, float]], size=(280, 280), width=18.0) -> np.ndarray:
    """A white anti-aliased stroke of ``width`` pixels along (x, y) points, on black."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    dist = np.full(size, np.inf)
    pts = np.asarray(polyline, dtype=float)
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        dist = np.minimum(dist, np.hypot(xx - x0 - t * dx, yy - y0 - t * dy))
    return np.clip(width / 2 + 0.5 - dist, 0.0, 1.0)


def ellipse(cx, cy, rx, ry, n=64):
    t = np.linspace(0, 2 * np.pi, n)
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


def com(img: np.ndarray) -> tuple[float, float]:
    i = np.arange(img.shape[0])
    m = img.sum()
    return float(img.sum(1) @ i / m), float(img.sum(0) @ i / m)


def bbox(img: np.ndarray, thr: float = 0.05) -> tuple[int, int]:
    rows, cols = np.flatnonzero((img > thr).any(1)), np.flatnonzero((img > thr).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_empty_and_faint_drawings_give_zeros() -> None:
    for img in (np.zeros((200, 300)), np.full((50, 50), 0.01), np.zeros((0, 0))):
        out = to_mnist(img)
        assert out.shape == (28, 28) and out.dtype == np.float32 and not out.any()


def test_zero_is_fitted_and_centred() -> None:
    out = to_mnist(render(ellipse(100, 150, 60, 90)))
    assert out.dtype == np.float32 and 0.0 <= out.min() and out.max() == pytest.approx(1.0)
    h, w = bbox(out)
    assert 19 <= h <= 21 and 12 <= w <= 15  # tall ellipse keeps its aspect ratio
    cy, cx = com(out)
    assert abs(cy - MNIST_CENTRE) < 0.15 and abs(cx - MNIST_CENTRE) < 0.15


def test_one_is_a_thin_vertical_bar() -> None:
    out = to_mnist(render([(140, 30), (150, 250)], width=20))
    h, w = bbox(out)
    assert 19 <= h <= 21 and w <= 5
    assert abs(com(out)[1] - MNIST_CENTRE) < 0.15


def test_wide_shape_keeps_aspect_ratio() -> None:
    out = to_mnist(render([(20, 100), (260, 100)], width=40))
    h, w = bbox(out)
    assert 19 <= w <= 21 and 3 <= h <= 6


def test_position_on_canvas_does_not_matter() -> None:
    strokes = [(50, 50), (120, 60), (60, 160), (130, 170)]
    a = to_mnist(render(strokes))
    b = to_mnist(render([(x + 100, y + 80) for x, y in strokes]))
    assert np.allclose(a, b, atol=1e-6)


def test_anti_aliased_not_nearest() -> None:
    out = to_mnist(render([(30, 30), (250, 250)], width=12))
    greys = ((out > 0.05) & (out < 0.95)).sum()
    assert greys > 10


def test_small_drawing_is_enlarged_and_input_types() -> None:
    img = render(ellipse(8, 8, 5, 6), size=(16, 16), width=2)
    out = to_mnist(img)
    assert 19 <= bbox(out)[0] <= 21
    u8 = (img * 255).round().astype(np.uint8)
    assert np.allclose(to_mnist(u8), out, atol=0.02)
    assert np.allclose(to_mnist(1.0 - img, invert=True), out, atol=1e-6)
    assert np.allclose(to_mnist(1.0 - img, invert=None), out, atol=1e-6)
    rgba = np.zeros((16, 16, 4), dtype=np.uint8)
    rgba[..., 3] = u8
    assert np.allclose(to_mnist(rgba), to_mnist(u8), atol=1e-6)
    rgb = np.repeat(u8[..., None], 3, axis=2)
    assert np.allclose(to_mnist(rgb), to_mnist(u8), atol=0.01)
    with pytest.raises(ValueError, match="image"):
        to_mnist(np.zeros((2, 3, 4, 5)))


def test_real_digits_survive_reframing(mnist_dir: Path) -> None:
    """A real MNIST digit drawn 10x larger comes back almost unchanged."""
    ds = load_idx_dir(mnist_dir).take(20)
    for img in ds.x:
        big = np.kron(img, np.ones((10, 10), dtype=np.float32))
        out = to_mnist(big)
        corr = np.corrcoef(out.ravel(), img.ravel())[0, 1]
        assert corr > 0.9


def test_downsample() -> None:
    x = np.random.default_rng(0).random((5, 28, 28)).astype(np.float32)
    small = downsample(x, 16)
    assert small.shape == (5, 16, 16) and small.dtype == np.float32
    assert np.allclose(small.mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=1e-5)
    assert np.allclose(downsample(np.ones((28, 28)), 16), 1.0, atol=1e-6)
    # a one-pixel line is spread over neighbours, not dropped or kept at full strength
    line = np.zeros((28, 28), dtype=np.float32)
    line[:, 13] = 1.0
    col = downsample(line, 16).max(axis=0)
    assert 0.3 < col.max() < 0.9 and (col > 0).sum() >= 1
    ds = downsample_dataset(Dataset("d", x, np.zeros(5), "classification", ["a"]), 16)
    assert ds.sample_shape == (16, 16) and "16×16" in ds.name
    with pytest.raises(ValueError):
        downsample(np.zeros(5), 16)
