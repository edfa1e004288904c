"""How other capture processes change a digit image: the ways handwriting gets re-captured.

A digit reaches a network through a capture process: a scanner, a tablet, a mouse on the
canvas, a form reader. Each leaves its mark: black-and-white thresholding, a coarse grid
(16×16) enlarged again, the ink stretched to fill a square box (as form readers and some
scanned sets do, so that a narrow 1 becomes a wide bar), thicker or thinner strokes, jagged
stair-step edges, a slight rotation or shear, ink blobs where the pen rested, gaps where it
skipped. The functions here apply those changes to MNIST-framed images so that a model can
be trained on them (:func:`recapture` draws a random mix) and measured on them
(``bench/bench_robustness.py`` builds fixed stand-in test sets from the same pieces).

Every function takes and returns float32 (N, 28, 28) images in [0, 1], white ink on black,
and never changes its input. :func:`reframe` frames the result again the MNIST way (ink box
fitted into 20×20, centre of mass at the centre), as a real capture process followed by
MNIST framing would.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .preprocess import resample_matrix, to_mnist

CENTRE = 13.5  # rotation/scale centre of a 28×28 image (pixel index coordinates)
CROSS = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
SQUARE2 = [(0, 0), (0, 1), (1, 0), (1, 1)]
SQUARE3 = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
#: the first this many of the 5,000 shared real MNIST digits are kept for measuring; the
#: default model's build script may train on the rest only
REAL_HELD_OUT = 2500


def grey_morph(x: np.ndarray, offsets: list[tuple[int, int]], op: Callable) -> np.ndarray:
    """Grey-level max (``np.maximum``: dilation) or min (erosion) of (n, H, W) images.

    ``offsets`` are (dy, dx) pixel offsets within one pixel of the centre.
    """
    h, w = x.shape[1:]
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = None
    for dy, dx in offsets:
        s = p[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        out = s.copy() if out is None else op(out, s, out=out)
    return out


def resample(x: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Bilinear sampling of (n, H, W) images at source coordinates sx, sy (n, H, W); 0 outside."""
    n, h, w = x.shape
    if n == 0:
        return np.zeros((0, h, w), np.float32)
    p = np.pad(x, ((0, 0), (1, 1), (1, 1))).reshape(n, -1)
    sx = np.clip(sx + 1, 0, w + 0.999)  # padded coordinates; outside lands on the zero border
    sy = np.clip(sy + 1, 0, h + 0.999)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx = (sx - x0).astype(np.float32)
    fy = (sy - y0).astype(np.float32)
    x1 = np.minimum(x0 + 1, w + 1)
    y1 = np.minimum(y0 + 1, h + 1)
    flat = p.ravel()
    base = (np.arange(n, dtype=np.int64) * ((h + 2) * (w + 2)))[:, None, None]
    i00 = base + y0 * (w + 2) + x0
    a, b = flat[i00], flat[i00 + (x1 - x0)]
    i10 = i00 + (y1 - y0) * (w + 2)
    c, d = flat[i10], flat[i10 + (x1 - x0)]
    top = a + (b - a) * fx
    bottom = c + (d - c) * fx
    return top + (bottom - top) * fy


def affine(x: np.ndarray, angle_deg: np.ndarray | float = 0.0,
           shear: np.ndarray | float = 0.0, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """Rotate (degrees, clockwise on screen), shear (x += shear · y) and scale about the centre.

    Parameters may be scalars or (N,) arrays (one value per image).
    """
    n, h, w = x.shape
    a = np.deg2rad(np.broadcast_to(np.asarray(angle_deg, np.float64), (n,)))
    sh = np.broadcast_to(np.asarray(shear, np.float64), (n,))
    sc = np.broadcast_to(np.asarray(scale, np.float64), (n,))
    c, s = np.cos(a), np.sin(a)
    # forward map A = R · Shear · scale; sample the source at A⁻¹ (target - centre)
    a11, a12 = c * sc, (c * sh - s) * sc
    a21, a22 = s * sc, (s * sh + c) * sc
    det = a11 * a22 - a12 * a21
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) - CENTRE
    i11, i12 = (a22 / det)[:, None, None], (-a12 / det)[:, None, None]
    i21, i22 = (-a21 / det)[:, None, None], (a11 / det)[:, None, None]
    sx = CENTRE + i11 * xx + i12 * yy
    sy = CENTRE + i21 * xx + i22 * yy
    return np.clip(resample(np.asarray(x, np.float32), sx, sy), 0.0, 1.0).astype(np.float32)


def fill_box(x: np.ndarray, fill: np.ndarray | float = 1.0,
             threshold: float = 0.2) -> np.ndarray:
    """Stretch each image's ink box towards a square, as sets that scale every digit to fill
    a fixed box do (a narrow 1 becomes a wide bar, a flat 2 a tall one).

    ``fill`` (a scalar or one value per image) says how far: 0 leaves the image alone, 1
    makes the ink box a square whose side is its longer side (the aspect ratio is lost).
    The box is found from pixels brighter than ``threshold`` and stays centred at the same
    place; images without ink are returned as they are.
    """
    x = np.asarray(x, dtype=np.float32)
    n, h, w = x.shape
    fill = np.broadcast_to(np.asarray(fill, np.float64), (n,))
    ink = x > threshold
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    has = rows.any(axis=1)
    r0, r1 = np.argmax(rows, axis=1), h - 1 - np.argmax(rows[:, ::-1], axis=1)
    c0, c1 = np.argmax(cols, axis=1), w - 1 - np.argmax(cols[:, ::-1], axis=1)
    bh, bw = (r1 - r0 + 1).astype(np.float64), (c1 - c0 + 1).astype(np.float64)
    side = np.maximum(bh, bw)
    # the box's new size; each axis is scaled about the box's centre
    sy = np.where(has, (bh + fill * (side - bh)) / bh, 1.0)
    sx = np.where(has, (bw + fill * (side - bw)) / bw, 1.0)
    cy, cx = (r0 + r1) / 2.0, (c0 + c1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    src_y = cy[:, None, None] + (yy - cy[:, None, None]) / sy[:, None, None]
    src_x = cx[:, None, None] + (xx - cx[:, None, None]) / sx[:, None, None]
    return np.clip(resample(x, src_x, src_y), 0.0, 1.0).astype(np.float32)


def binarise(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Black and white: ink where the grey level exceeds ``threshold``."""
    return (np.asarray(x) > threshold).astype(np.float32)


def low_resolution(x: np.ndarray, size: int = 16, threshold: float | None = None,
                   nearest: bool = False) -> np.ndarray:
    """Shrink to ``size`` × ``size`` (area average), optionally binarise, enlarge back to 28.

    ``nearest`` enlarges with square blocks (jagged edges) instead of linear interpolation.
    """
    x = np.asarray(x, dtype=np.float32)
    h = x.shape[1]
    down = resample_matrix(h, size, size / h, 0.0).astype(np.float32)
    small = np.matmul(np.matmul(down, x), down.T)
    if threshold is not None:
        small = binarise(small, threshold)
    if nearest:
        idx = np.minimum((np.arange(h) * size) // h, size - 1)
        return np.ascontiguousarray(small[:, idx][:, :, idx], dtype=np.float32)
    up = resample_matrix(size, h, h / size, 0.0).astype(np.float32)
    return np.clip(np.matmul(np.matmul(up, small), up.T), 0.0, 1.0).astype(np.float32)


def thicker(x: np.ndarray, steps: int = 1) -> np.ndarray:
    """Thicken strokes by ``steps`` grey dilations with a 3×3 cross."""
    out = np.asarray(x, dtype=np.float32)
    for _ in range(steps):
        out = grey_morph(out, CROSS, np.maximum)
    return out


def thinner(x: np.ndarray) -> np.ndarray:
    """Thin strokes: a grey erosion (3×3 cross) that keeps a faint core where it would vanish."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        return x.copy()
    eroded = grey_morph(x, CROSS, np.minimum)
    core = 0.45 * x * (x >= grey_morph(x, SQUARE3, np.maximum) - 1e-6)  # ridge pixels
    out = np.maximum(eroded, core)
    peak = out.reshape(len(out), -1).max(axis=1)
    return np.clip(out / np.maximum(peak, 1e-6)[:, None, None], 0.0, 1.0).astype(np.float32)


def ink_blobs(x: np.ndarray, rng: np.random.Generator, count: tuple[int, int] = (1, 3),
              radius: tuple[float, float] = (1.2, 2.4)) -> np.ndarray:
    """Add round ink blobs centred on random ink pixels (where a pen rested or bled)."""
    x = np.array(x, dtype=np.float32)
    n, h, w = x.shape
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(n):
        ys, xs = np.nonzero(x[i] > 0.5)
        if len(ys) == 0:
            continue
        for _ in range(int(rng.integers(count[0], count[1] + 1))):
            j = int(rng.integers(len(ys)))
            r = rng.uniform(*radius)
            d = np.sqrt((yy - ys[j]) ** 2 + (xx - xs[j]) ** 2)
            x[i] = np.maximum(x[i], np.clip(r + 0.5 - d, 0.0, 1.0))
    return x


def broken_strokes(x: np.ndarray, rng: np.random.Generator, count: tuple[int, int] = (1, 2),
                   width: tuple[float, float] = (0.8, 1.6)) -> np.ndarray:
    """Cut one or two gaps into the strokes: thin lines of erased ink through random ink pixels."""
    x = np.array(x, dtype=np.float32)
    n, h, w = x.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    for i in range(n):
        ys, xs = np.nonzero(x[i] > 0.5)
        if len(ys) == 0:
            continue
        for _ in range(int(rng.integers(count[0], count[1] + 1))):
            j = int(rng.integers(len(ys)))
            a = rng.uniform(0, np.pi)
            # distance to a line through the ink pixel; the gap is only 5 px long
            along = (xx - xs[j]) * np.cos(a) + (yy - ys[j]) * np.sin(a)
            across = -(xx - xs[j]) * np.sin(a) + (yy - ys[j]) * np.cos(a)
            gap = (np.abs(across) < rng.uniform(*width) / 2) & (np.abs(along) < 2.5)
            x[i][gap] = 0.0
    return x


def reframe(x: np.ndarray) -> np.ndarray:
    """Frame every image again the MNIST way (:func:`nnstudio.data.preprocess.to_mnist`)."""
    return np.stack([to_mnist(img) for img in x]).astype(np.float32)


def recapture(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random capture process per image, for training: each image gets one or two of

    black-and-white at a random threshold, a 12-18 pixel grid and back (sometimes black and
    white, sometimes with square pixels), thicker or thinner strokes, an ink blob, a broken
    stroke, a slight rotation or shear, the ink box stretched part or all of the way to a
    square (then often a 16×16 black-and-white grid, as sets of digits scaled to fill a box
    are made); then it is framed again the MNIST way.

    Parameters
    ----------
    x : np.ndarray
        float32 (N, 28, 28) in [0, 1].
    rng : np.random.Generator
        Source of all randomness.

    Returns
    -------
    np.ndarray
        float32 (N, 28, 28) in [0, 1].
    """
    x = np.array(x, dtype=np.float32)
    n = len(x)
    if n == 0:
        return x
    # kinds 0-6 equally often, the stretched box (7) twice as often: it changes a digit's
    # shape most, and sets made that way read worst without it
    kinds = rng.choice(8, size=(n, 2), p=np.r_[np.ones(7), 2.0] / 9.0)
    kinds[rng.random(n) < 0.4, 1] = -1  # 40% get one change, the rest two
    for slot in range(2):
        for kind in range(8):
            m = kinds[:, slot] == kind
            if not m.any():
                continue
            xb = x[m]
            if kind == 0:
                xb = binarise(xb, rng.uniform(0.2, 0.7))
            elif kind == 1:
                size = int(rng.integers(12, 19))
                t = rng.uniform(0.3, 0.6) if rng.random() < 0.6 else None
                xb = low_resolution(xb, size, t, nearest=t is not None and rng.random() < 0.5)
            elif kind == 2:
                xb = thicker(xb, 1 + int(rng.random() < 0.3))
            elif kind == 3:  # only strokes thick enough to survive thinning
                ink = (xb > 0.5).sum(axis=(1, 2))
                core = (grey_morph(xb, CROSS, np.minimum) > 0.5).sum(axis=(1, 2))
                thick = core > 0.3 * ink
                xb[thick] = thinner(xb[thick])
            elif kind == 4:
                xb = ink_blobs(xb, rng)
            elif kind == 5:
                xb = broken_strokes(xb, rng)
            elif kind == 6:
                k = len(xb)
                xb = affine(xb, rng.uniform(-12, 12, k), rng.uniform(-0.3, 0.3, k))
            else:
                k = len(xb)
                full = rng.random(k) < 0.6
                xb = fill_box(xb, np.where(full, 1.0, rng.uniform(0.3, 1.0, k)))
                if rng.random() < 0.6:
                    xb = low_resolution(xb, int(rng.integers(14, 19)), rng.uniform(0.35, 0.6))
            x[m] = xb
    return reframe(x)
