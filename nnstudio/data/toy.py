"""Two-dimensional toy sets in the manner of TensorFlow Playground.

Four classification sets (circle, xor, gaussians, spiral) with two classes, and a
regression plane. ``noise`` is Playground's noise slider as a fraction (0 .. 0.5) and
``ratio`` its "ratio of training to test data".
"""

from __future__ import annotations

import numpy as np

from .dataset import DataError, Dataset

TOY_SETS: dict[str, str] = {
    "circle": "a blob of one class inside a ring of the other",
    "xor": "the four quadrants: same sign of x1 and x2 or not",
    "gaussians": "two Gaussian clouds",
    "spiral": "two interleaved spirals",
    "plane": "regression: a tilted plane, target = (x1 + x2) / 10",
}
RADIUS = 5.0


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    r = np.concatenate([rng.uniform(0, RADIUS * 0.5, half),
                        rng.uniform(RADIUS * 0.7, RADIUS, n - half)])
    a = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.sin(a), r * np.cos(a)], 1)
    pts += rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    y = (np.hypot(pts[:, 0], pts[:, 1]) < RADIUS * 0.5).astype(np.int64)
    return pts, 1 - y  # class 0 = inside (as Playground's positive blue), class 1 = ring


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # padding away from the axes
    y = (pts[:, 0] * pts[:, 1] >= 0).astype(np.int64)
    pts += rng.uniform(-5, 5, (n, 2)) * noise
    return pts, y


def _gaussians(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    var = 0.5 + (4.0 - 0.5) * noise / 0.5
    y = (np.arange(n) % 2).astype(np.int64)
    centre = np.where(y[:, None] == 1, 2.0, -2.0)
    return centre + rng.normal(0, np.sqrt(var), (n, 2)), y


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    parts, labels = [], []
    for label, (count, delta) in enumerate(((half, 0.0), (n - half, np.pi))):
        i = np.arange(count)
        r = i / count * RADIUS
        t = 1.75 * i / count * 2 * np.pi + delta
        p = np.stack([r * np.sin(t), r * np.cos(t)], 1)
        parts.append(p + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels).astype(np.int64)


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-6, 6, (n, 2))
    noisy = pts + rng.uniform(-6, 6, (n, 2)) * noise
    return pts, ((noisy[:, 0] + noisy[:, 1]) / 10.0)[:, None]


_MAKERS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral,
           "plane": _plane}


def make_toy(name: str, n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """A toy set of ``n`` 2-D points.

    Parameters
    ----------
    name : str
        One of :data:`TOY_SETS`.
    n : int
        Number of points (>= 2).
    noise : float
        0 (clean) .. 0.5 (very noisy).
    seed : int
        Seed for reproducibility.

    Returns
    -------
    Dataset
        x float32 (n, 2); y int64 (n,) with classes ["0", "1"], or float32 (n, 1) for
        "plane".
    """
    key = name.strip().lower()
    if key not in _MAKERS:
        raise DataError(f"unknown toy set {name!r}; choose one of {', '.join(TOY_SETS)}")
    if int(n) < 2:
        raise DataError(f"a toy set needs at least 2 points, not {n}")
    if not 0.0 <= float(noise) <= 0.5:
        raise DataError(f"noise must be between 0 and 0.5, not {noise}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, list(_MAKERS).index(key)]))
    x, y = _MAKERS[key](rng, int(n), float(noise))
    order = rng.permutation(len(x))
    regression = key == "plane"
    return Dataset(
        name=f"toy: {key}",
        x=x[order],
        y=y[order],
        task="regression" if regression else "classification",
        classes=[] if regression else ["0", "1"],
        feature_names=["x1", "x2"],
        description=f"{TOY_SETS[key][0].upper()}{TOY_SETS[key][1:]} ({n} points, "
        f"noise {noise:g})",
        meta={"toy": key, "noise": float(noise), "seed": seed},
    )


def make_toy_split(name: str, n: int = 500, noise: float = 0.0, ratio: float = 0.5,
                   seed: int = 0) -> tuple[Dataset, Dataset]:
    """A toy set split into (train, test), with ``ratio`` of the points for training."""
    if not 0.0 < float(ratio) < 1.0:
        raise DataError(f"the training ratio must be between 0 and 1 (exclusive), not {ratio}")
    return make_toy(name, n, noise, seed).split(1.0 - float(ratio), seed=seed)
