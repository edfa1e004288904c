"""A regression model's estimates in the target's own units (the car-price lesson).

Training works on standardised numbers, but a person reads prices in dollars: this module
turns a model's answers back into the units of the data (with the dataset's own
:class:`~nnstudio.data.lessons.Standardizer`) and lays them out as a table of samples with
the difference and the squared difference of each, and the cost
``J = 1/m Σ (y − ŷ)²`` over all of them.

Everything is computed in float64 from the raw numbers the dataset keeps, so the lesson's
worked example (all weights 1.0, bias 0, raw features) reads exactly 77,504.8 / 49,504.3 /
34,003.9 and J = 260,701,318.9 $².
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["EstimateRow", "EstimateTable", "RegressionErrors", "estimate_table",
           "float64_predictor", "format_value", "network_inputs", "regression_errors",
           "target_name", "to_target_units"]

#: A function from network inputs, float64 (N, k), to network outputs, (N, 1).
Predict = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class EstimateRow:
    """One sample: its features, the true value and the model's estimate (same units)."""

    name: str
    features: tuple[float, ...]
    true: float
    estimate: float

    @property
    def difference(self) -> float:
        """``true − estimate``: positive when the model guesses too low."""
        return self.true - self.estimate

    @property
    def squared(self) -> float:
        """The squared difference, what the cost adds up."""
        return self.difference ** 2


@dataclass(frozen=True)
class EstimateTable:
    """The first samples of a regression set with the model's estimates, and the cost.

    Attributes
    ----------
    feature_names : list of str
    target : str
        The name of what is estimated, e.g. ``"price"``.
    unit : str
        ``"$"`` for prices, ``""`` when the data does not say (numbers are then in the
        target's own units); ``"standardised"`` tables have no unit.
    standardized : bool
        True when the numbers are standardised (as gradient descent sees them).
    rows : list of EstimateRow
        At most ``max_rows`` samples, in the dataset's order.
    cost : float
        ``J = 1/m Σ (y − ŷ)²`` over all ``m`` samples (not only the rows shown).
    m : int
        Samples the cost is averaged over.
    """

    feature_names: list[str]
    target: str
    unit: str
    standardized: bool
    rows: list[EstimateRow]
    cost: float
    m: int

    @property
    def cost_unit(self) -> str:
        """The unit of the cost, e.g. ``"$²"`` ('' for standardised or unknown units)."""
        return f"{self.unit}²" if self.unit and not self.standardized else ""


@dataclass(frozen=True)
class RegressionErrors:
    """How far a regression model is off, in the target's own units.

    ``cost`` is ``1/m Σ (y − ŷ)²``, ``rmse`` its square root and ``mae`` the mean absolute
    difference; ``unit`` is ``"$"`` for prices, ``""`` when the data does not name it.
    """

    target: str
    unit: str
    cost: float
    rmse: float
    mae: float
    m: int


def format_value(value: float, unit: str = "", digits: int = 1) -> str:
    """A number with thousands separators and its unit: ``"$77,504.8"``, ``"−$15.0"``,
    ``"4.8"``; ``unit`` ``"$²"`` is written after the number (``"260,701,318.9 $²"``)."""
    text = f"{abs(value):,.{digits}f}"
    sign = "−" if value < 0 and text.strip("0.,") else ""
    if unit == "$":
        return f"{sign}${text}"
    return f"{sign}{text} {unit}" if unit else f"{sign}{text}"


def float64_predictor(network) -> Predict:
    """A float64 copy of ``network``'s function (its weights now), for :func:`estimate_table`
    and :func:`regression_errors`: float32 arithmetic would show in the last digits of
    dollar amounts."""
    from nnstudio.core.network import Network

    net = Network(network.design, seed=getattr(network, "seed", 0), dtype=np.float64)
    net.set_weights(network.get_weights())
    return lambda x: net.predict(np.asarray(x, np.float64).reshape(len(x), *net.input_shape))


def _scaler(meta: dict, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    d = meta.get(key)
    if not d:
        return None
    return np.asarray(d["mean"], np.float64), np.asarray(d["std"], np.float64)


def target_name(dataset) -> str:
    """What a regression set estimates: ``meta["target"]``, the target scaler's column name,
    else "value"."""
    if dataset.meta.get("target"):
        return str(dataset.meta["target"])
    d = dataset.meta.get("y_scaler")
    names = d.get("names") if d else None
    return str(names[0]) if names else "value"


def _raw(dataset) -> tuple[np.ndarray, np.ndarray]:
    """The raw features (N, k) and targets (N, 1) in float64."""
    meta = dataset.meta
    if "raw_x" in meta and "raw_y" in meta:
        rx = np.asarray(meta["raw_x"], np.float64).reshape(dataset.n, -1)
        ry = np.asarray(meta["raw_y"], np.float64).reshape(dataset.n, -1)
        return rx, ry
    x = np.asarray(dataset.x, np.float64).reshape(dataset.n, -1)
    y = np.asarray(dataset.y, np.float64).reshape(dataset.n, -1)
    xs, ys = _scaler(meta, "x_scaler"), _scaler(meta, "y_scaler")
    if xs is not None and xs[0].shape == (x.shape[1],):
        x = x * xs[1] + xs[0]
    if ys is not None:
        y = y * ys[1] + ys[0]
    return x, y


def network_inputs(dataset) -> np.ndarray:
    """The samples as the network is fed them, recomputed in float64 from the raw numbers
    (float64 (N, k)): standardised when the dataset is, raw otherwise."""
    rx, _ = _raw(dataset)
    xs = _scaler(dataset.meta, "x_scaler")
    if xs is not None and xs[0].shape == (rx.shape[1],):
        return (rx - xs[0]) / xs[1]
    return rx


def to_target_units(dataset, values: np.ndarray) -> np.ndarray:
    """Network outputs or targets of ``dataset`` (M, 1), in the target's own units (float64,
    (M, 1)): the dataset's scaling undone, when it has one."""
    out = np.asarray(values, np.float64).reshape(len(values), -1)
    ys = _scaler(dataset.meta, "y_scaler")
    return out * ys[1] + ys[0] if ys is not None else out


def _to_units(dataset, out: np.ndarray) -> np.ndarray:
    """Network outputs (N, 1) in the target's own units (float64)."""
    out = np.asarray(out, np.float64).reshape(dataset.n, -1)
    ys = _scaler(dataset.meta, "y_scaler")
    return out * ys[1] + ys[0] if ys is not None else out


def _standardize(values: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return (values - mean) / std


def estimate_table(dataset, predict: Predict, standardized: bool = False,
                   max_rows: int = 8) -> EstimateTable:
    """The model's estimates of a regression set, in its own units or standardised.

    Parameters
    ----------
    dataset : Dataset
        A regression set (``task == "regression"``) with one target column.
    predict : callable
        Network inputs float64 (N, k) -> outputs (N, 1), e.g. a float64 copy of the network
        (``Network(design, dtype=np.float64)``) so that no float32 rounding shows.
    standardized : bool
        False: features, true values and estimates in the data's own units (dollars for
        car prices). True: every column as ``(value − mean) / std`` (the dataset's own
        scalers when it is standardised, else fitted on it).
    max_rows : int
        Samples listed at most; the cost is always over all of them.

    Returns
    -------
    EstimateTable
    """
    if dataset.task != "regression":
        raise ValueError(f"{dataset.name!r} is a classification set, not a regression")
    rx, ry = _raw(dataset)
    est = _to_units(dataset, predict(network_inputs(dataset)))
    if est.shape[1] != 1 or ry.shape[1] != 1:
        raise ValueError("the table shows one estimated value per sample; this model "
                         f"gives {est.shape[1]}")
    features, true = rx, ry[:, 0]
    estimate = est[:, 0]
    if standardized:
        xs = _scaler(dataset.meta, "x_scaler")
        ys = _scaler(dataset.meta, "y_scaler")
        if xs is None or xs[0].shape != (rx.shape[1],):
            std = rx.std(axis=0)
            xs = (rx.mean(axis=0), np.where(std == 0, 1.0, std))
        if ys is None:
            std = float(ry.std()) or 1.0
            ys = (ry.mean(axis=0), np.array([std]))
        features = _standardize(rx, *xs)
        true = _standardize(ry, *ys)[:, 0]
        estimate = _standardize(est, *ys)[:, 0]
    names = list(dataset.meta.get("names") or [])
    names += [str(i + 1) for i in range(len(names), dataset.n)]
    rows = [EstimateRow(names[i], tuple(float(v) for v in features[i]), float(true[i]),
                        float(estimate[i])) for i in range(min(max_rows, dataset.n))]
    diff = true - estimate
    cost = float(np.mean(diff * diff)) if dataset.n else float("nan")
    feature_names = list(dataset.feature_names or
                         [f"x{i + 1}" for i in range(rx.shape[1])])
    unit = "" if standardized else str(dataset.meta.get("unit", ""))
    return EstimateTable(feature_names, target_name(dataset), unit, standardized, rows, cost,
                         int(dataset.n))


def regression_errors(dataset, predict: Predict) -> RegressionErrors:
    """The cost, root-mean-square and mean absolute error of a model on ``dataset``, in the
    target's own units when the dataset can undo its scaling.

    ``predict`` maps network inputs float64 (N, k) to outputs (N, 1), as in
    :func:`estimate_table`."""
    _, ry = _raw(dataset)
    est = _to_units(dataset, predict(network_inputs(dataset)))
    diff = ry - est
    cost = float(np.mean(diff * diff)) if dataset.n else float("nan")
    return RegressionErrors(target_name(dataset), str(dataset.meta.get("unit", "")), cost,
                            float(np.sqrt(cost)), float(np.mean(np.abs(diff))),
                            int(dataset.n))
