"""Data of the introductory lessons: car prices, the perceptron, and 3-vs-7.

- :func:`car_prices`: three features -> price, the three example cars plus generated ones,
  standardised with a :class:`Standardizer` that can be shown and undone.
- :func:`perceptron_set`: tiny 2-D sets for a single step neuron, separable and not.
- :func:`three_vs_seven` and :class:`PixelSimilarity`: the two-class digit lesson and its
  "ideal digit" baseline (classify by the nearer mean image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import DataError, Dataset

CAR_FEATURES = ["cost of production", "tariffs", "rating"]
#: the three example cars of the lesson: (cost of production, tariffs, rating) -> price
EXAMPLE_CARS = {
    "A": ((75_000.0, 2_500.0, 4.8), 100_000.0),
    "B": ((48_000.0, 1_500.0, 4.3), 65_000.0),
    "C": ((33_000.0, 1_000.0, 3.9), 40_000.0),
}


@dataclass
class Standardizer:
    """Per-column ``(value - mean) / std``, reversible.

    Attributes
    ----------
    mean, std : np.ndarray
        float64 (k,), one entry per column (std of a constant column is 1).
    names : list of str
        Column names, for showing the transformation.
    """

    mean: np.ndarray
    std: np.ndarray
    names: list[str]

    @classmethod
    def fit(cls, values: np.ndarray, names: list[str] | None = None) -> Standardizer:
        """Mean and standard deviation of each column of ``values`` (N, k)."""
        v = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        std = v.std(axis=0)
        std[std == 0] = 1.0
        return cls(v.mean(axis=0), std, list(names or [f"x{i + 1}" for i in range(v.shape[1])]))

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(N, k) raw values -> float32 standardised values."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, len(self.mean))
        return ((v - self.mean) / self.std).astype(np.float32)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """(N, k) standardised values -> float64 raw values (undoes :meth:`transform`)."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, len(self.mean))
        return v * self.std + self.mean

    def describe(self) -> list[str]:
        """One line per column, e.g. ``"rating: (value - 4.33) / 0.37"``."""
        return [f"{n}: (value - {m:,.4g}) / {s:,.4g}"
                for n, m, s in zip(self.names, self.mean, self.std, strict=True)]

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "names": self.names}

    @classmethod
    def from_dict(cls, d: dict) -> Standardizer:
        """Inverse of :meth:`to_dict`."""
        return cls(np.asarray(d["mean"], float), np.asarray(d["std"], float), list(d["names"]))


def car_prices(n: int = 3, seed: int = 0, standardize: bool = True) -> Dataset:
    """Car prices from cost of production, tariffs and rating.

    Parameters
    ----------
    n : int
        3 gives the three example cars A, B, C; more adds generated cars whose price follows
        the same rough rule (about 1.2 × cost + 4 × tariffs + 6,000 per rating point above 4).
    standardize : bool
        Standardise features and prices; ``meta["x_scaler"]`` / ``meta["y_scaler"]``
        (:class:`Standardizer` dicts) undo it, ``meta["raw_x"]`` / ``meta["raw_y"]`` keep the
        raw numbers.

    Returns
    -------
    Dataset
        Regression; x float32 (n, 3); y float32 (n, 1).
    """
    if int(n) < 3:
        raise DataError(f"the car-price set has at least the 3 example cars, not {n}")
    rx = np.asarray([f for f, _ in EXAMPLE_CARS.values()], dtype=np.float64)
    ry = np.asarray([p for _, p in EXAMPLE_CARS.values()], dtype=np.float64)
    extra = int(n) - 3
    if extra:
        rng = np.random.default_rng(seed)
        cost = rng.uniform(20_000, 95_000, extra).round(-2)
        tariffs = (cost * rng.uniform(0.025, 0.04, extra)).round(-1)
        rating = rng.uniform(3.5, 5.0, extra).round(1)
        price = 1.2 * cost + 4.0 * tariffs + 6_000 * (rating - 4.0)
        price = (price + rng.normal(0, 2_500, extra)).round(-2)
        rx = np.concatenate([rx, np.stack([cost, tariffs, rating], axis=1)])
        ry = np.concatenate([ry, price])
    ry = ry[:, None]
    meta = {"raw_x": rx.tolist(), "raw_y": ry[:, 0].tolist(), "standardized": standardize,
            "names": list(EXAMPLE_CARS) + [f"car {i + 4}" for i in range(extra)],
            "unit": "$", "target": "price", "item": "car"}
    x, y = rx, ry
    if standardize:
        xs, ys = Standardizer.fit(rx, CAR_FEATURES), Standardizer.fit(ry, ["price"])
        x, y = xs.transform(rx), ys.transform(ry)
        meta |= {"x_scaler": xs.to_dict(), "y_scaler": ys.to_dict()}
    return Dataset(
        name="car prices",
        x=x,
        y=y,
        task="regression",
        classes=[],
        feature_names=list(CAR_FEATURES),
        description="Price of a car from its cost of production, tariffs and rating"
        + (" (standardised)" if standardize else ""),
        meta=meta,
    )


PERCEPTRON_SETS: dict[str, str] = {
    "and": "logical AND of two inputs: one straight line separates it",
    "or": "logical OR of two inputs: one straight line separates it",
    "separable": "two clouds a straight line can separate",
    "xor": "logical XOR: no straight line separates it, a perceptron must fail",
    "overlap": "two overlapping clouds: no line separates them perfectly",
}


def perceptron_set(kind: str = "and", n: int = 100, seed: int = 0) -> Dataset:
    """A 2-D set for the perceptron lesson (classes "0" and "1").

    ``and``, ``or`` and ``xor`` are the four corners of the unit square; ``separable`` and
    ``overlap`` are ``n`` random points.
    """
    if kind not in PERCEPTRON_SETS:
        raise DataError(f"unknown perceptron set {kind!r}; choose one of "
                        f"{', '.join(PERCEPTRON_SETS)}")
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    if kind in ("and", "or", "xor"):
        a, b = corners[:, 0] > 0, corners[:, 1] > 0
        y = {"and": a & b, "or": a | b, "xor": a ^ b}[kind].astype(np.int64)
        x = corners
    else:
        rng = np.random.default_rng(seed)
        y = (np.arange(n) % 2).astype(np.int64)
        spread = 0.6 if kind == "separable" else 1.2
        x = np.where(y[:, None] == 1, 1.5, -1.5) + rng.normal(0, spread, (n, 2))
        if kind == "separable":  # keep a clear margin around the line x1 + x2 = 0
            side = np.where(y == 1, 1.0, -1.0)
            margin = side * (x[:, 0] + x[:, 1]) / np.sqrt(2)
            x += (np.clip(0.4 - margin, 0, None) * side / np.sqrt(2))[:, None]
    return Dataset(
        name=f"perceptron: {kind}",
        x=x,
        y=y,
        task="classification",
        classes=["0", "1"],
        feature_names=["x1", "x2"],
        description=PERCEPTRON_SETS[kind][0].upper() + PERCEPTRON_SETS[kind][1:],
        meta={"separable": kind in ("and", "or", "separable")},
    )


def three_vs_seven(digits: Dataset) -> Dataset:
    """The 3s and 7s of a digit dataset, relabelled as classes ["3", "7"] (0 and 1)."""
    if digits.task != "classification" or not {"3", "7"} <= set(digits.classes):
        raise DataError(f"{digits.name!r} has no digit classes 3 and 7")
    three, seven = digits.classes.index("3"), digits.classes.index("7")
    keep = (digits.y == three) | (digits.y == seven)
    if not keep.any():
        raise DataError(f"{digits.name!r} holds no 3s or 7s")
    return Dataset(
        name=f"3 vs 7 ({digits.name})",
        x=digits.x[keep],
        y=(digits.y[keep] == seven).astype(np.int64),
        task="classification",
        classes=["3", "7"],
        description=f"Only the 3s and 7s of {digits.name}",
        meta=dict(digits.meta),
    )


class PixelSimilarity:
    """The "ideal digit" baseline: one mean image per class; the nearer mean wins.

    Attributes
    ----------
    means : np.ndarray
        float32 (n_classes, *sample_shape), the ideal digits (after :meth:`fit`).
    classes : list of str
    """

    def __init__(self, metric: str = "l1") -> None:
        if metric not in ("l1", "l2"):
            raise ValueError("metric must be 'l1' (mean absolute difference) or 'l2'")
        self.metric = metric
        self.means: np.ndarray | None = None
        self.classes: list[str] = []

    def fit(self, ds: Dataset) -> PixelSimilarity:
        """Compute the mean image of every class of ``ds``."""
        if ds.task != "classification":
            raise DataError("the pixel-similarity baseline needs a classification set")
        counts = ds.class_counts()
        if (counts == 0).any():
            missing = [c for c, k in zip(ds.classes, counts, strict=True) if k == 0]
            raise DataError(f"{ds.name!r} has no samples of class {', '.join(missing)}")
        self.means = np.stack([ds.x[ds.y == k].mean(axis=0) for k in range(ds.n_classes)])
        self.classes = list(ds.classes)
        return self

    def distances(self, x: np.ndarray) -> np.ndarray:
        """float32 (N, n_classes): distance of each sample to each ideal digit."""
        if self.means is None:
            raise RuntimeError("call fit() first")
        flat = np.asarray(x, np.float32).reshape(len(x), -1)
        means = self.means.reshape(len(self.means), -1)
        if self.metric == "l1":
            return np.abs(flat[:, None, :] - means[None]).mean(-1)
        return np.sqrt(((flat[:, None, :] - means[None]) ** 2).mean(-1))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """int64 (N,): index of the nearest ideal digit."""
        return self.distances(x).argmin(axis=1).astype(np.int64)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict:
        """``{"accuracy": float, "n": int}`` on samples ``x`` with labels ``y``."""
        y = np.asarray(y).reshape(-1)
        acc = float((self.predict(x) == y).mean()) if len(y) else float("nan")
        return {"accuracy": acc, "n": int(len(y))}
