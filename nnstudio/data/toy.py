"""Two-dimensional toy sets in the manner of TensorFlow Playground.

Four classification sets (circle, xor, gaussians, spiral) with two classes, and a
regression plane. ``noise`` is Playground's noise slider as a fraction (0 .. 0.5) and
``ratio`` its "ratio of training to test data". ``features`` are the columns the network is
fed, computed from each point (x1, x2): x1, x2, x1², x2², x1·x2, sin x1, sin x2 (see
:data:`FEATURES`); ``test`` is the share of points the training holds out, kept in the
dataset's ``meta`` so that whoever trains on it can hold out that share.
"""

from __future__ import annotations

from functools import lru_cache

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
#: the most points a toy set is made with
MAX_POINTS = 100_000
#: the least and the most share of points held out for testing
TEST_RANGE = (0.05, 0.9)

#: feature key (as written in a data spec) -> its name shown to people
FEATURES: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1²",
    "x2sq": "x2²",
    "x1x2": "x1·x2",
    "sin1": "sin x1",
    "sin2": "sin x2",
}
#: the features a toy set has unless told otherwise
PLAIN = ("x1", "x2")


def parse_features(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The feature keys of ``text`` ("x1,x2,x1x2" or a list), checked, in the order given.

    Raises
    ------
    DataError
        An unknown or repeated key, or none at all.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    keys = tuple(k.strip().lower() for k in items if k.strip())
    if not keys:
        raise DataError(f"choose at least one feature: {', '.join(FEATURES)}")
    unknown = [k for k in keys if k not in FEATURES]
    if unknown:
        raise DataError(f"unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
    if len(set(keys)) != len(keys):
        raise DataError(f"a feature is named twice in {','.join(keys)!r}: name each once")
    return keys


def feature_columns(points: np.ndarray, features: tuple[str, ...] | list[str]) -> np.ndarray:
    """The network's inputs for 2-D ``points``: one column per feature.

    Parameters
    ----------
    points : np.ndarray
        (n, 2) coordinates (x1, x2).
    features : sequence of str
        Keys of :data:`FEATURES`.

    Returns
    -------
    np.ndarray
        float32 (n, len(features)).
    """
    p = np.asarray(points, np.float64).reshape(-1, 2)
    x1, x2 = p[:, 0], p[:, 1]
    make = {"x1": lambda: x1, "x2": lambda: x2, "x1sq": lambda: x1 * x1,
            "x2sq": lambda: x2 * x2, "x1x2": lambda: x1 * x2, "sin1": lambda: np.sin(x1),
            "sin2": lambda: np.sin(x2)}
    return np.stack([make[k]() for k in parse_features(list(features))], 1).astype(np.float32)


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


def make_toy(name: str, n: int = 500, noise: float = 0.0, seed: int = 0,
             features: str | tuple[str, ...] | list[str] = PLAIN,
             test: float | None = None) -> Dataset:
    """A toy set of ``n`` 2-D points, fed to the network as ``features``.

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
    features : str or sequence of str
        Keys of :data:`FEATURES` ("x1,x2,sin1"); the same points whatever the features.
    test : float or None
        Share of points to hold out for testing (:data:`TEST_RANGE`), kept in
        ``meta["test"]``; None says nothing about it.

    Returns
    -------
    Dataset
        x float32 (n, len(features)); y int64 (n,) with classes ["0", "1"], or float32
        (n, 1) for "plane". ``meta`` holds toy, n, noise, seed, features (and test).
    """
    key = name.strip().lower()
    if key not in _MAKERS:
        raise DataError(f"unknown toy set {name!r}; choose one of {', '.join(TOY_SETS)}")
    if not 2 <= int(n) <= MAX_POINTS:
        raise DataError(f"a toy set needs at least 2 points and at most {MAX_POINTS:,}, "
                        f"not {n}")
    if not 0.0 <= float(noise) <= 0.5:
        raise DataError(f"noise must be between 0 and 0.5, not {noise}")
    if test is not None and not TEST_RANGE[0] <= float(test) <= TEST_RANGE[1]:
        raise DataError(f"the test share must be between {TEST_RANGE[0]:g} and "
                        f"{TEST_RANGE[1]:g}, not {test}")
    keys = parse_features(features)
    rng = np.random.default_rng(np.random.SeedSequence([seed, list(_MAKERS).index(key)]))
    x, y = _MAKERS[key](rng, int(n), float(noise))
    order = rng.permutation(len(x))
    regression = key == "plane"
    meta: dict = {"toy": key, "n": int(n), "noise": float(noise), "seed": seed,
                  "features": list(keys)}
    if test is not None:
        meta["test"] = float(test)
    return Dataset(
        name=f"toy: {key}",
        x=feature_columns(x[order], keys),
        y=y[order],
        task="regression" if regression else "classification",
        classes=[] if regression else ["0", "1"],
        feature_names=[FEATURES[k] for k in keys] if keys != PLAIN else ["x1", "x2"],
        description=f"{TOY_SETS[key][0].upper()}{TOY_SETS[key][1:]} ({n} points, "
        f"noise {noise:g})",
        meta=meta,
    )


def toy_points(ds: Dataset) -> np.ndarray | None:
    """The 2-D points (x1, x2) of a toy set, whatever features it is fed as.

    Parameters
    ----------
    ds : Dataset
        A set made by :func:`make_toy` (its ``meta`` says how); others give None.

    Returns
    -------
    np.ndarray or None
        float32 (ds.n, 2), row i the point of sample i; None when ``ds`` is not one whole
        toy set (another source, a subset or a merge).
    """
    meta = ds.meta
    key, n = meta.get("toy"), meta.get("n")
    if key not in _MAKERS or not isinstance(n, int) or n != ds.n:
        return None
    features = tuple(meta.get("features", PLAIN))
    if features == PLAIN:
        return ds.x
    try:
        return _plain_points(key, n, float(meta.get("noise", 0.0)), int(meta.get("seed", 0)))
    except DataError:
        return None


@lru_cache(maxsize=4)
def _plain_points(key: str, n: int, noise: float, seed: int) -> np.ndarray:
    """The points of a toy set, made once per (set, n, noise, seed); read-only (n, 2)."""
    points = make_toy(key, n, noise, seed).x
    points.setflags(write=False)
    return points


def toy_spec(name: str, *, noise: float = 0.0, test: float | None = None,
             features: tuple[str, ...] | list[str] = PLAIN, n: int | None = None) -> str:
    """The data spec of a toy set, as :func:`~nnstudio.data.sources.load_source` reads it.

    ``toy_spec("spiral", noise=0.2, test=0.3, features=("x1", "x2", "sin1"))`` gives
    ``"toy:spiral:noise=0.2:test=0.3:features=x1,x2,sin1"``; defaults are left out.
    """
    parts = [f"toy:{name}"]
    if n is not None:
        parts.append(f"n={int(n)}")
    if noise:
        parts.append(f"noise={round(float(noise), 4):g}")
    if test is not None:
        parts.append(f"test={round(float(test), 4):g}")
    keys = parse_features(list(features))
    if keys != PLAIN:
        parts.append("features=" + ",".join(keys))
    return ":".join(parts)


def make_toy_split(name: str, n: int = 500, noise: float = 0.0, ratio: float = 0.5,
                   seed: int = 0) -> tuple[Dataset, Dataset]:
    """A toy set split into (train, test), with ``ratio`` of the points for training."""
    if not 0.0 < float(ratio) < 1.0:
        raise DataError(f"the training ratio must be between 0 and 1 (exclusive), not {ratio}")
    return make_toy(name, n, noise, seed).split(1.0 - float(ratio), seed=seed)
