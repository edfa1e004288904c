"""Numbers behind the "see inside" views: plain NumPy, no drawing.

Everything here works on arrays and on any network-like object that offers the methods of
:class:`~nnstudio.core.network.Network` it needs (``predict``, ``evaluate``, ``parameters``,
``activations``, ``design``), so it is tested without a window and reused by the command line
or the diagram editor (:func:`neuron_badges`).

Contents
--------
- the plane under a 2-D dataset: :func:`plane_bounds`, :func:`plane_grid`;
- the cost as a function of one or two chosen weights: :func:`scalar_params`,
  :func:`iter_cost_surface`, :func:`cost_curve`, :func:`cost_slope`, :func:`span_around`;
- evaluation: :func:`predicted_classes`, :func:`confusion_matrix`, :func:`per_class_accuracy`;
- weights over time: :class:`HistogramHistory`, :func:`layer_update_ratios`;
- neurons that stopped learning: :func:`neuron_health`, :func:`find_unhealthy_neurons`,
  :func:`neuron_badges`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "HistogramHistory", "NeuronHealth", "Pick", "confusion_matrix", "cost_curve", "cost_slope",
    "checked_layers", "find_unhealthy_neurons", "health_from_activations", "iter_cost_surface",
    "layer_update_ratios", "neuron_badges",
    "neuron_health", "per_class_accuracy", "plane_bounds", "plane_grid", "predicted_classes",
    "scalar_params", "span_around",
]

#: One scalar parameter: (parameter name such as ``"dense1/W"``, flat index into it).
Pick = tuple[str, int]


# --------------------------------------------------------------------------- the 2-D plane
def plane_bounds(x: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    """A square-ish box around 2-D points.

    Parameters
    ----------
    x : ndarray, shape (N, 2)
    margin : float
        Extra room on every side, as a fraction of the larger extent.

    Returns
    -------
    (xmin, xmax, ymin, ymax) : floats; (-1, 1, -1, 1) when ``x`` is empty.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    x = x[np.isfinite(x).all(axis=1)]
    if len(x) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = x.min(axis=0), x.max(axis=0)
    extent = float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-6))
    pad = margin * extent
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


def plane_grid(bounds: Sequence[float], n: int = 100) -> np.ndarray:
    """Points of an ``n`` × ``n`` grid over ``bounds`` (pixel centres), one batch for predict.

    Returns
    -------
    ndarray, float32, shape (n * n, 2)
        Row-major over (y, x): ``grid.reshape(n, n, 2)[i, j]`` is the point in row ``i``
        (y ascending) and column ``j`` (x ascending).
    """
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    xs = xmin + (np.arange(n) + 0.5) * (xmax - xmin) / n
    ys = ymin + (np.arange(n) + 0.5) * (ymax - ymin) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.ascontiguousarray(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=np.float32)


# --------------------------------------------------------------------------- cost surface
def scalar_params(weights: dict[str, np.ndarray], per_param: int = 16) -> list[tuple[Pick, str]]:
    """Scalar weights a person can pick, with readable labels.

    Parameters
    ----------
    weights : dict of str to ndarray
        As ``Network.get_weights()``.
    per_param : int
        At most this many entries listed per parameter (the first ones).

    Returns
    -------
    list of ((name, flat_index), label), e.g. ``(("dense1/W", 2), "dense1 weight [2, 0]")``.
    """
    out: list[tuple[Pick, str]] = []
    for name, value in weights.items():
        node, _, kind = name.rpartition("/")
        word = {"W": "weight", "b": "bias"}.get(kind, kind)
        for flat in range(min(int(value.size), per_param)):
            idx = np.unravel_index(flat, value.shape)
            text = ", ".join(str(int(i)) for i in idx)
            out.append(((name, flat), f"{node or name} {word} [{text}]"))
    return out


def _param_map(network: Any) -> dict[str, Any]:
    return {p.name: p for p in network.parameters()}


def _loss(network: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(network.evaluate(x, y, batch_size=max(1, len(x)))["loss"])


def iter_cost_surface(network: Any, x: np.ndarray, y: np.ndarray, picks: Sequence[Pick],
                      w1: np.ndarray, w2: np.ndarray) -> Iterator[tuple[int, int, float]]:
    """The cost over a grid of two weights, all other weights fixed, one point at a time.

    The network's parameters are changed in place for each point and restored before each
    ``yield``, so the network is never left altered (even if the caller stops early). Use a
    private copy of the network when others may read it between points.

    Parameters
    ----------
    network : Network-like
        Needs ``parameters()`` (objects with ``name`` and ``value``) and ``evaluate``.
    x, y : ndarray
        The samples the cost is averaged over, shapes (N, *sample_shape) and (N,) / (N, k).
    picks : two (name, flat_index)
        The weight on the horizontal axis, then the one on the vertical axis.
    w1, w2 : ndarray, shapes (n1,), (n2,)
        The values tried for each.

    Yields
    ------
    (row, col, cost) : the cost for ``w2[row]`` and ``w1[col]``, row by row.
    """
    params = _param_map(network)
    (n1, i1), (n2, i2) = picks
    a, b = params[n1].value.reshape(-1), params[n2].value.reshape(-1)
    keep1, keep2 = float(a[i1]), float(b[i2])
    for row, v2 in enumerate(np.asarray(w2, dtype=np.float64)):
        for col, v1 in enumerate(np.asarray(w1, dtype=np.float64)):
            try:
                b[i2] = v2
                a[i1] = v1
                cost = _loss(network, x, y)
            finally:
                a[i1], b[i2] = keep1, keep2
            yield row, col, cost


def cost_curve(network: Any, x: np.ndarray, y: np.ndarray, pick: Pick,
               values: np.ndarray) -> np.ndarray:
    """The cost as one weight takes each of ``values``, everything else fixed.

    Returns
    -------
    ndarray, float64, shape (len(values),)
    """
    value = _param_map(network)[pick[0]].value.reshape(-1)
    keep = float(value[pick[1]])
    out = np.empty(len(values), dtype=np.float64)
    try:
        for k, v in enumerate(np.asarray(values, dtype=np.float64)):
            value[pick[1]] = v
            out[k] = _loss(network, x, y)
    finally:
        value[pick[1]] = keep
    return out


def cost_slope(network: Any, x: np.ndarray, y: np.ndarray, pick: Pick,
               h: float = 1e-3) -> tuple[float, float]:
    """The cost and its slope (the gradient) along one weight at its current value.

    The slope is a central difference ``(C(w + h) - C(w - h)) / 2h`` computed in float64, so
    it matches the drawn curve exactly and needs no backward pass.

    Returns
    -------
    (cost, slope) : floats
    """
    value = _param_map(network)[pick[0]].value.reshape(-1)
    w = float(value[pick[1]])
    step = h * max(1.0, abs(w))
    c = cost_curve(network, x, y, pick, np.array([w - step, w, w + step]))
    return float(c[1]), float((c[2] - c[0]) / (2 * step))


def span_around(center: float, path: np.ndarray | None = None, min_half: float = 1.0,
                margin: float = 0.25) -> tuple[float, float]:
    """A range of values for a weight axis centred on ``center`` that holds the whole ``path``.

    Returns
    -------
    (lo, hi) : floats with ``hi - lo >= 2 * min_half``.
    """
    half = max(min_half, abs(float(center)) * 0.5)
    if path is not None and len(path):
        p = np.asarray(path, dtype=np.float64)
        p = p[np.isfinite(p)]
        if len(p):
            half = max(half, float(np.abs(p - center).max()) * (1 + margin))
    return (float(center) - half, float(center) + half)


# --------------------------------------------------------------------------- evaluation
def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class indices from network outputs, int64 shape (N,).

    ``outputs`` of shape (N, k) with k > 1 take the argmax; a single output (N, 1) or (N,)
    is a probability of class 1, thresholded at 0.5.
    """
    out = np.asarray(outputs)
    out = out.reshape(len(out), -1)
    if out.shape[1] == 1:
        return (out[:, 0] >= 0.5).astype(np.int64)
    return out.argmax(axis=1).astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Returns
    -------
    ndarray, int64, shape (n_classes, n_classes)
        ``cm[t, p]`` = samples of class ``t`` predicted as ``p`` (rows: truth).
    """
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    ok = (t >= 0) & (t < n_classes) & (p >= 0) & (p < n_classes)
    flat = np.bincount(t[ok] * n_classes + p[ok], minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly, float64 shape (K,); NaN for no samples."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.diag(cm) / np.maximum(total, 1), np.nan)


# --------------------------------------------------------------------------- weights over time
class HistogramHistory:
    """Histograms of one layer's weights, one column per moment of training.

    The value range grows when weights spread out (older columns are re-binned); when
    ``max_columns`` are stored every other column is dropped, so memory stays fixed and the
    whole run stays visible.

    Parameters
    ----------
    bins : int
        Number of bins of each histogram.
    max_columns : int
        Columns kept at most (even number).
    """

    def __init__(self, bins: int = 48, max_columns: int = 240) -> None:
        self.bins = int(bins)
        self.max_columns = int(max_columns) // 2 * 2
        self._counts = np.zeros((self.max_columns, self.bins), dtype=np.float32)
        self._steps = np.zeros(self.max_columns, dtype=np.int64)
        self._n = 0
        self.half_range = 0.0

    def __len__(self) -> int:
        return self._n

    @property
    def edges(self) -> np.ndarray:
        """Bin edges, float64 shape (bins + 1,), symmetric around 0."""
        r = self.half_range or 1.0
        return np.linspace(-r, r, self.bins + 1)

    @property
    def steps(self) -> np.ndarray:
        """The step (e.g. batch number) of each stored column, int64 shape (T,)."""
        return self._steps[: self._n].copy()

    def image(self) -> np.ndarray:
        """Share of weights per bin, float32 shape (T, bins); each column sums to 1."""
        c = self._counts[: self._n]
        total = c.sum(axis=1, keepdims=True)
        return (c / np.maximum(total, 1)).astype(np.float32)

    def add(self, values: np.ndarray, step: int) -> None:
        """Add the histogram of ``values`` (any shape) taken at ``step``."""
        v = np.asarray(values, dtype=np.float32).ravel()
        v = v[np.isfinite(v)]
        top = float(np.abs(v).max()) if v.size else 0.0
        if self.half_range == 0.0:
            self.half_range = max(top * 1.5, 1e-3)
        elif top > self.half_range:
            self._regrow(top * 1.5)
        if self._n == self.max_columns:
            keep = slice(0, self.max_columns, 2)
            half = self.max_columns // 2
            self._counts[:half] = self._counts[keep]
            self._steps[:half] = self._steps[keep]
            self._n = half
        counts, _ = np.histogram(np.clip(v, -self.half_range, self.half_range), self.edges)
        self._counts[self._n] = counts
        self._steps[self._n] = int(step)
        self._n += 1

    def _regrow(self, half_range: float) -> None:
        old_centres = (self.edges[:-1] + self.edges[1:]) / 2
        self.half_range = half_range
        idx = np.clip(np.searchsorted(self.edges, old_centres) - 1, 0, self.bins - 1)
        new = np.zeros_like(self._counts[: self._n])
        for old_bin, new_bin in enumerate(idx):
            new[:, new_bin] += self._counts[: self._n, old_bin]
        self._counts[: self._n] = new


def layer_update_ratios(update_ratios: dict[str, float]) -> dict[str, float]:
    """One update/weight ratio per layer: its weight matrix's, else its largest.

    Parameters
    ----------
    update_ratios : dict of str to float
        Per parameter, e.g. ``{"dense1/W": 1e-3, "dense1/b": 4e-3}``.

    Returns
    -------
    dict of node id to float
    """
    out: dict[str, float] = {}
    for name, ratio in update_ratios.items():
        node, _, kind = name.rpartition("/")
        node = node or name
        if kind == "W" or node not in out:
            out[node] = float(ratio)
    return out


# --------------------------------------------------------------------------- neuron health
@dataclass
class NeuronHealth:
    """Neurons of one layer that stopped learning.

    Attributes
    ----------
    node_id : str
    activation : str
    n_units : int
        Neurons (Dense units or Conv2D filters) in the layer.
    dead : ndarray of int
        ReLU neurons whose output is 0 for every sample: their gradient is 0, they never learn.
    saturated : ndarray of int
        Sigmoid/tanh neurons stuck near their limits for almost every sample: tiny gradient.
    """

    node_id: str
    activation: str
    n_units: int
    dead: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    saturated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def ok(self) -> bool:
        return len(self.dead) == 0 and len(self.saturated) == 0

    def summary(self) -> str:
        """Short text, e.g. ``"3 of 16 dead"`` or ``"healthy"``."""
        parts = []
        if len(self.dead):
            parts.append(f"{len(self.dead)} of {self.n_units} dead")
        if len(self.saturated):
            parts.append(f"{len(self.saturated)} of {self.n_units} saturated")
        return ", ".join(parts) or "healthy"


def neuron_health(outputs: np.ndarray, activation: str, saturated_share: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Dead and saturated neurons from one layer's outputs on a batch.

    Parameters
    ----------
    outputs : ndarray, shape (N, units) or (N, C, H, W)
        The layer's outputs after its activation (unit axis 1).
    activation : str
        ``"relu"``/``"leaky_relu"`` can die; ``"sigmoid"``/``"tanh"`` can saturate.
    saturated_share : float
        A neuron is saturated when at least this share of its outputs sit near a limit.

    Returns
    -------
    (dead, saturated) : boolean ndarrays of shape (units,)
    """
    a = np.asarray(outputs, dtype=np.float32)
    units = a.shape[1] if a.ndim > 1 else 1
    a = np.moveaxis(a.reshape(len(a), units, -1), 1, 0).reshape(units, -1)  # (units, N*HW)
    dead = np.zeros(units, dtype=bool)
    sat = np.zeros(units, dtype=bool)
    if a.shape[1] == 0:
        return dead, sat
    if activation in ("relu", "leaky_relu"):
        dead = a.max(axis=1) <= 0.0
    elif activation == "sigmoid":
        near = (a < 0.02) | (a > 0.98)
        sat = near.mean(axis=1) >= saturated_share
    elif activation == "tanh":
        sat = (np.abs(a) > 0.98).mean(axis=1) >= saturated_share
    return dead, sat


def _activation_name(node: Any) -> str | None:
    if node.kind in ("Dense", "Conv2D"):
        return node.params.get("activation")
    if node.kind == "Activation":
        return node.params.get("function")
    return None


def find_unhealthy_neurons(network: Any, x: np.ndarray) -> dict[str, NeuronHealth]:
    """Check every hidden layer with an activation on the batch ``x``.

    Parameters
    ----------
    network : Network-like
        Needs ``design`` and ``activations(x)``.
    x : ndarray, shape (N, *sample_shape)
        A few hundred samples are plenty.

    Returns
    -------
    dict of node id to NeuronHealth, in the design's order (healthy layers included).
    """
    acts = network.activations(np.asarray(x, dtype=np.float32))
    return health_from_activations(network.design, acts)


def checked_layers(design: Any) -> dict[str, str]:
    """Hidden layers whose neurons can die or saturate: node id -> activation name."""
    out: dict[str, str] = {}
    for node_id, node in design.nodes.items():
        act = _activation_name(node)
        if act not in ("relu", "leaky_relu", "sigmoid", "tanh"):
            continue
        if any(design.nodes[d].kind == "Output" for d in design.outputs_of(node_id)):
            continue  # the answer layer is meant to sit near 0 or 1
        out[node_id] = act
    return out


def health_from_activations(design: Any, acts: dict[str, np.ndarray]
                            ) -> dict[str, NeuronHealth]:
    """:func:`find_unhealthy_neurons` from outputs already computed (node id -> (N, ...))."""
    report: dict[str, NeuronHealth] = {}
    for node_id, act in checked_layers(design).items():
        if node_id not in acts:
            continue
        dead, sat = neuron_health(acts[node_id], act)
        report[node_id] = NeuronHealth(node_id, act, int(len(dead)),
                                       np.flatnonzero(dead), np.flatnonzero(sat))
    return report


def neuron_badges(report: dict[str, NeuronHealth]) -> dict[str, str]:
    """Badge texts for the diagram, only for layers with a problem: ``{"dense1": "3 dead"}``."""
    out = {}
    for node_id, h in report.items():
        if h.ok:
            continue
        parts = []
        if len(h.dead):
            parts.append(f"{len(h.dead)} dead")
        if len(h.saturated):
            parts.append(f"{len(h.saturated)} saturated")
        out[node_id] = ", ".join(parts)
    return out
