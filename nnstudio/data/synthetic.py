"""Synthetic handwritten digits, drawn as pen strokes: the offline default dataset.

Every digit starts from a pen-stroke template (:mod:`nnstudio.data.glyphs`) in one of several
writing styles. Each sample then gets its own geometry: its control points are jittered, the
whole digit is slanted, rotated and stretched, and a smooth random warp bends its strokes.
The dense stroke points are splatted onto the 28×28 grid, blurred by a pen of random width and
saturated, with pen-pressure variation along each stroke. The digit is framed as MNIST was:
the ink fitted into a 20×20 box keeping its aspect ratio and the centre of mass placed at the
centre. All of this is vectorised across samples; a sample depends only on the seed and its
index, so any set is reproducible. Generated sets are cached (see :func:`synthetic_digits`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnstudio.fileio import atomic_write

from .cache import cache_dir
from .dataset import DIGIT_CLASSES, Dataset
from .glyphs import CompiledStyle, compiled_styles

#: bump when the generator changes, so old cached sets are not reused
GENERATOR_VERSION = 4
CHUNK = 2000  # samples per independently seeded chunk
SIZE = 28
_TAPS = 4  # blur kernel half-width (pixels)
EDGE_LO = 0.3  # stroke edges start at this fraction of the edge level (softness)


@lru_cache(maxsize=1)
def _styles() -> tuple[list[CompiledStyle], list[list[int]], list[np.ndarray]]:
    styles = compiled_styles()
    by_digit: list[list[int]] = [[] for _ in range(10)]
    for i, s in enumerate(styles):
        by_digit[s.digit].append(i)
    probs = []
    for d in range(10):
        w = np.array([styles[i].weight for i in by_digit[d]])
        probs.append(w / w.sum())
    return styles, by_digit, probs


def _smooth_field(rng: np.random.Generator, n: int, waves: int, freq: tuple[float, float],
                  amp: float) -> tuple[np.ndarray, ...]:
    """Random parameters of a sum of plane waves: (n, waves) arrays kx, ky, phase, ax, ay."""
    f = rng.uniform(*freq, size=(n, waves))
    ang = rng.uniform(0, 2 * np.pi, size=(n, waves))
    return (f * np.cos(ang), f * np.sin(ang), rng.uniform(0, 2 * np.pi, size=(n, waves)),
            rng.normal(0, amp, size=(n, waves)), rng.normal(0, amp, size=(n, waves)))


def _warp(pts: np.ndarray, field: tuple[np.ndarray, ...]) -> np.ndarray:
    """Displace points (n, M, 2) by the smooth field."""
    kx, ky, ph, ax, ay = (a[:, None, :] for a in field)
    arg = pts[..., 0:1] * kx + pts[..., 1:2] * ky + ph  # (n, M, waves)
    s = np.sin(arg)
    return pts + np.stack([(s * ax).sum(-1), (s * ay).sum(-1)], axis=-1)


def _draw_style(style: CompiledStyle, rng: np.random.Generator, n: int,
                half_width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense stroke points of ``n`` samples of one style, framed in pixel coordinates.

    Returns
    -------
    pts : np.ndarray
        float64 (n, M, 2), (x, y) in pixel index coordinates of the 28×28 image.
    weight : np.ndarray
        float64 (n, M): ink per point (stroke length it stands for × pen pressure).
    """
    k = len(style.controls)
    # 1. jitter every control point (shared corners move together)
    ctrl = style.controls[None] + rng.normal(0, 0.07, size=(n, k, 2))
    pts = np.matmul(style.basis, ctrl)
    # 2. proportions: move the digit's middle up or down and left or right (bigger or
    #    smaller upper loop of an 8 or 9, belly of a 5, ...), then a smooth random warp of
    #    the strokes (elastic distortion)
    u = np.clip(pts, 0.0, 1.0)
    mid = rng.normal(0, 0.35, size=(n, 1, 2))
    pts = pts + mid * u * (1.0 - u)
    pts = _warp(pts, _smooth_field(rng, n, 4, (1.5, 7.0), 0.035))
    # 3. slant, rotation and aspect
    shear = rng.normal(0.08, 0.25, size=n)
    rot = rng.normal(0, 0.12, size=n)
    aspect = np.exp(rng.normal(-0.04, 0.18, size=n))
    c, s = np.cos(rot), np.sin(rot)
    x = pts[..., 0] - 0.5
    y = pts[..., 1] - 0.5
    x = (x - shear[:, None] * y) * aspect[:, None]
    pts = np.stack([c[:, None] * x - s[:, None] * y, s[:, None] * x + c[:, None] * y], -1)
    # 4. ink per point: the length of stroke it stands for, times pen pressure
    seg = np.linalg.norm(np.diff(pts, axis=1), axis=-1)  # (n, M-1)
    seg *= (style.stroke_id[1:] == style.stroke_id[:-1])[None]
    length = np.zeros(pts.shape[:2])
    length[:, 1:] += 0.5 * seg
    length[:, :-1] += 0.5 * seg
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    freq = rng.uniform(2.0, 8.0, size=(n, 1))
    pressure = np.exp(rng.uniform(0.0, 0.3, size=(n, 1))
                      * np.sin(freq * style.arclen[None] + phase))
    # 5. frame like MNIST: ink box fitted into 20×20, centre of mass at the centre
    lo, hi = pts.min(axis=1), pts.max(axis=1)  # (n, 2)
    extent = (hi - lo).max(axis=1)
    scale = (20.0 - 2.0 * half_width) / np.maximum(extent, 1e-6)
    weight = length * pressure
    com = (pts * weight[..., None]).sum(1) / weight.sum(1, keepdims=True).clip(1e-9)
    pts = (pts - com[:, None]) * scale[:, None, None] + 14.0
    return pts, weight * scale[:, None]


_SIGMA_LEVELS = np.linspace(0.3, 1.5, 61)  # pen blur widths, in steps of 0.02 pixel


@lru_cache(maxsize=1)
def _blur_bank() -> np.ndarray:
    """Gaussian blurs as banded matrices, float32 (levels, 28, 28), one per pen width.

    ``T @ img @ T`` blurs an image along both axes (``T`` is symmetric; zero padding).
    """
    t = np.arange(-_TAPS, _TAPS + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t[None] / _SIGMA_LEVELS[:, None]) ** 2)
    k /= k.sum(1, keepdims=True)
    i = np.arange(SIZE)
    d = i[:, None] - i[None, :]
    band = np.abs(d) <= _TAPS
    return np.where(band[None], k[:, np.clip(d + _TAPS, 0, 2 * _TAPS)], 0.0).astype(np.float32)


def _blur_matrices(sigma: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28) blur matrices for pen widths ``sigma`` (n,) (nearest level)."""
    step = _SIGMA_LEVELS[1] - _SIGMA_LEVELS[0]
    q = np.clip(np.round((sigma - _SIGMA_LEVELS[0]) / step), 0, len(_SIGMA_LEVELS) - 1)
    return _blur_bank()[q.astype(np.int64)]


def render(pts: np.ndarray, weight: np.ndarray, sample: np.ndarray, n: int,
           sigma: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Splat weighted points bilinearly, blur with a per-sample pen, saturate.

    Parameters
    ----------
    pts : (P, 2) float, (x, y) pixel index coordinates.
    weight : (P,) float, ink per point.
    sample : (P,) int, which image each point belongs to.
    n : int, number of images.
    sigma, level : (n,) float, per image: pen blur width, and the blurred density (relative
        to a straight line's centre) at which the stroke's edge is drawn (ink 0.5). The edge
        ramps from 0 to 1 between ``EDGE_LO * level`` and ``(2 - EDGE_LO) * level``.

    Returns
    -------
    np.ndarray
        float32 (n, 28, 28) in [0, 1].
    """
    x, y = pts[:, 0], pts[:, 1]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    w = weight.astype(np.float32)
    base = sample.astype(np.int64) * (SIZE * SIZE)
    dens = np.zeros(n * SIZE * SIZE, dtype=np.float64)
    for dx, dy, wx, wy in ((0, 0, 1 - fx, 1 - fy), (1, 0, fx, 1 - fy),
                           (0, 1, 1 - fx, fy), (1, 1, fx, fy)):
        xi, yi = x0 + dx, y0 + dy
        ok = (xi >= 0) & (xi < SIZE) & (yi >= 0) & (yi < SIZE)
        idx = base + yi * SIZE + xi
        dens += np.bincount(idx[ok], weights=(w * wx * wy)[ok], minlength=dens.size)
    img = dens.astype(np.float32).reshape(n, SIZE, SIZE)
    blur = _blur_matrices(sigma)
    img = np.matmul(np.matmul(blur, img), blur)
    peak = blur[:, SIZE // 2, SIZE // 2]  # value of a straight unit line under the blur
    lo = (EDGE_LO * level).astype(np.float32)[:, None, None]
    img *= (1.0 / peak).astype(np.float32)[:, None, None]
    img -= lo
    img /= 2.0 * (1.0 - EDGE_LO) * lo / EDGE_LO
    return np.clip(img, 0.0, 1.0, out=img)


def generate(n: int, seed: int = 0, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` digits (one chunk's worth or less), without caching.

    Parameters
    ----------
    n : int
        Number of digits (<= CHUNK).
    seed : int
        Seed of the set; the chunk's own seed is derived from (seed, start // CHUNK).
    start : int
        Index of the first sample in the whole set (a multiple of CHUNK).

    Returns
    -------
    x : np.ndarray
        float32 (n, 28, 28) in [0, 1].
    y : np.ndarray
        int64 (n,) digit labels, balanced.
    """
    styles, by_digit, probs = _styles()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), start // CHUNK, 7]))
    labels = rng.permutation(np.arange(n) % 10)
    choice = np.empty(n, dtype=np.int64)
    for d in range(10):
        m = labels == d
        choice[m] = np.asarray(by_digit[d])[rng.choice(len(probs[d]), size=m.sum(), p=probs[d])]
    # pen: blur width and edge level -> stroke width sigma * sqrt(2 ln(1 / level)) * 2
    sigma = np.exp(rng.uniform(np.log(0.6), np.log(1.1), size=n))
    level = rng.uniform(0.25, 0.5, size=n)
    # how far the ink (down to ~0.05) reaches beyond the stroke's centre line, for framing
    edge = (EDGE_LO + 0.05 * 2 * (1 - EDGE_LO)) * level  # where the ink fades below 0.05
    half_width = sigma * np.sqrt(2.0 * np.log(1.0 / edge))
    all_pts, all_w, all_s = [], [], []
    for si in np.unique(choice):
        members = np.flatnonzero(choice == si)
        pts, w = _draw_style(styles[si], rng, len(members), half_width[members])
        all_pts.append(pts.reshape(-1, 2))
        all_w.append(w.reshape(-1))
        all_s.append(np.repeat(members, pts.shape[1]))
    x = render(np.concatenate(all_pts), np.concatenate(all_w), np.concatenate(all_s), n,
               sigma, level)
    return x, labels.astype(np.int64)


def generate_all(n: int, seed: int = 0, progress: Callable[[int, int], None] | None = None,
                 workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` digits chunk by chunk (no cache), on ``workers`` threads.

    The result depends only on ``n`` and ``seed`` (not on the number of workers).

    Returns
    -------
    x : np.ndarray
        float32 (n, 28, 28) in [0, 1].
    y : np.ndarray
        int64 (n,).
    """
    x = np.empty((n, SIZE, SIZE), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    starts = list(range(0, n, CHUNK))
    workers = workers or min(2, os.cpu_count() or 1)
    done = [0]
    lock = threading.Lock()

    def one(start: int) -> None:
        m = min(CHUNK, n - start)
        x[start : start + m], y[start : start + m] = generate(m, seed, start)
        with lock:
            done[0] += m
            if progress is not None:
                progress(done[0], n)

    if workers <= 1 or len(starts) == 1:
        for start in starts:
            one(start)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, starts))
    return x, y


def cache_path(n: int, seed: int) -> Path:
    """Where the set of ``n`` digits with ``seed`` is cached."""
    return cache_dir() / f"synthetic-v{GENERATOR_VERSION}-n{n}-s{seed}.npz"


#: sets at least this big are cached
CACHE_MIN = 10000


def synthetic_digits(n: int = 60000, seed: int = 0, cache: bool = True,
                     progress: Callable[[int, int], None] | None = None) -> Dataset:
    """A set of ``n`` synthetic handwritten digits (balanced classes).

    Sets of 10,000 digits or more are cached (uint8) in the user cache folder after the first
    generation; smaller ones are quicker to generate than to load.

    Returns
    -------
    Dataset
        x float32 (n, 28, 28) in [0, 1]; y int64 (n,); classes "0".."9".
    """
    n = int(n)
    path = cache_path(n, seed)
    x = y = None
    if cache and n >= CACHE_MIN and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                xq, y = f["x"], f["y"]
            if xq.shape == (n, SIZE, SIZE) and y.shape == (n,) and xq.dtype == np.uint8 \
                    and np.issubdtype(y.dtype, np.integer) and (y.size == 0 or (
                        0 <= int(y.min()) and int(y.max()) <= 9)):
                x = xq.astype(np.float32) * np.float32(1 / 255)
                y = y.astype(np.int64)
        except Exception:  # noqa: BLE001 - any damage (BadZipFile, zlib.error, ...)
            x = None  # damaged cache: generate it again and replace the file
    if x is None:
        x, y = generate_all(n, seed, progress)
        if cache and n >= CACHE_MIN:
            xq = np.round(x * 255).astype(np.uint8)
            x = xq.astype(np.float32) * np.float32(1 / 255)  # same values as when loaded
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, lambda fh: np.savez(fh, x=xq, y=y))
            except OSError:
                pass  # a cache we cannot write only costs time
    return Dataset(
        name="synthetic digits",
        x=x,
        y=y,
        task="classification",
        classes=list(DIGIT_CLASSES),
        description=(f"{n:,} handwritten-style digits generated from pen-stroke templates "
                     f"(seed {seed}), framed like MNIST"),
        meta={"generator_version": GENERATOR_VERSION, "seed": seed},
    )
