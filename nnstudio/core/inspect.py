"""Numbers behind the "see inside" views: plain NumPy, no drawing.

Everything here works on arrays and on any network-like object that offers the methods of
:class:`~nnstudio.core.network.Network` it needs (``predict``, ``evaluate``, ``parameters``,
``activations``, ``design``), so it is tested without a window and reused by the command line
or the diagram editor (:func:`neuron_badges`).

Contents
--------
- the plane under a 2-D dataset: :func:`plane_bounds`, :func:`plane_grid`;
- the cost as a function of one or two chosen weights: :func:`scalar_params`,
  :func:`iter_cost_pieces`, :func:`iter_cost_surface`, :func:`grid_points`, :func:`cost_curve`,
  :func:`cost_slope`, :func:`span_around`;
- evaluation: :func:`predicted_classes`, :func:`confusion_matrix`, :func:`per_class_accuracy`;
- weights over time: :class:`HistogramHistory`, :func:`layer_update_ratios`;
- neurons that stopped learning: :func:`neuron_health`, :func:`find_unhealthy_neurons`,
  :class:`HealthAccumulator` (batch by batch), :func:`neuron_badges`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "HealthAccumulator", "HistogramHistory", "NeuronHealth", "Pick", "checked_layers",
    "confusion_matrix", "cost_curve", "cost_slope", "find_unhealthy_neurons", "grid_points",
    "health_from_activations", "iter_cost_pieces", "iter_cost_surface", "layer_update_ratios",
    "neuron_badges", "neuron_health", "per_class_accuracy", "plane_bounds", "plane_grid",
    "predicted_classes", "scalar_params", "span_around",
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


def iter_cost_pieces(network: Any, x: np.ndarray, y: np.ndarray, picks: Sequence[Pick],
                     points: np.ndarray, batch: int | Callable[[], int] | None = None
                     ) -> Iterator[tuple[int, int, float | None]]:
    """The cost at several settings of the picked weights, in pieces of a few samples.

    Each piece runs at most ``batch`` samples through the network with the picked weights
    set to one row of ``points``; the cost of a point is the mean over all samples, put
    together from its pieces. The network's parameters are restored before each ``yield``,
    so the network is never left altered (even if the caller stops early).

    Parameters
    ----------
    network : Network-like
        Needs ``parameters()`` (objects with ``name`` and ``value``) and ``evaluate``.
    x, y : ndarray
        The samples the cost is averaged over, shapes (N, *sample_shape) and (N,) / (N, k).
    picks : sequence of (name, flat_index), length k
    points : ndarray, shape (P, k)
        The values of the picked weights at each point.
    batch : int or callable returning int, optional
        Samples per piece at most (all of them when None); a callable is asked before every
        piece, so the caller can size pieces from their measured duration. A point's samples
        are cut into equal pieces (45 samples at 30 a piece: 23 and 22).

    Yields
    ------
    (point, samples, cost) : the point's index, the samples this piece evaluated, and the
        point's cost once its last piece is done (None before).
    """
    params = _param_map(network)
    flats = [params[name].value.reshape(-1) for name, _ in picks]
    idx = [int(i) for _, i in picks]
    keep = [float(f[i]) for f, i in zip(flats, idx, strict=True)]
    pts = np.asarray(points, dtype=np.float64).reshape(-1, len(picks))
    n = len(x)
    for p, values in enumerate(pts):
        done, total = 0, 0.0
        while done < n:
            size = max(1, int(batch() if callable(batch) else (batch or n)))
            left = n - done
            k = -(-left // -(-left // size))     # what is left, in equal pieces <= size
            try:
                for f, i, v in zip(flats, idx, values, strict=True):
                    f[i] = v
                total += _loss(network, x[done:done + k], y[done:done + k]) * k
            finally:
                for f, i, v in zip(flats, idx, keep, strict=True):
                    f[i] = v
            done += k
            yield p, k, (total / n if done >= n else None)


def iter_cost_surface(network: Any, x: np.ndarray, y: np.ndarray, picks: Sequence[Pick],
                      w1: np.ndarray, w2: np.ndarray) -> Iterator[tuple[int, int, float]]:
    """The cost over a grid of two weights, all other weights fixed, one point at a time.

    The network's parameters are changed in place for each point and restored before each
    ``yield``, so the network is never left altered (even if the caller stops early). Use a
    private copy of the network when others may read it between points. For pieces smaller
    than one point, see :func:`iter_cost_pieces`.

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
    points = grid_points(w1, w2)
    cols = len(np.atleast_1d(w1))
    for p, _, cost in iter_cost_pieces(network, x, y, picks, points):
        if cost is not None:
            row, col = divmod(p, cols)
            yield row, col, cost


def grid_points(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The points of a grid of two weights, row by row: float64 shape (n2 * n1, 2), point
    ``row * n1 + col`` is ``(w1[col], w2[row])``."""
    a, b = np.meshgrid(np.asarray(w1, np.float64), np.asarray(w2, np.float64))
    return np.stack([a.ravel(), b.ravel()], axis=1)


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


def _unit_stats(outputs: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Per unit: the largest output, how many outputs sit near a limit, and the count.

    ``outputs`` (N, units) or (N, C, H, W), unit axis 1. Returns float32 (units,),
    int64 (units,), and the number of outputs per unit (N * H * W)."""
    a = np.asarray(outputs, dtype=np.float32)
    units = a.shape[1] if a.ndim > 1 else 1
    a = a.reshape(len(a), units, -1)                                 # (N, units, HW)
    count = a.shape[0] * a.shape[2]
    if count == 0:
        return np.full(units, -np.inf, np.float32), np.zeros(units, np.int64), 0
    top = a.max(axis=(0, 2))
    if activation == "sigmoid":
        near = ((a < 0.02) | (a > 0.98)).sum(axis=(0, 2))
    elif activation == "tanh":
        near = (np.abs(a) > 0.98).sum(axis=(0, 2))
    else:
        near = np.zeros(units, np.int64)
    return top, near.astype(np.int64), count


def _judge(top: np.ndarray, near: np.ndarray, count: int, activation: str,
           saturated_share: float) -> tuple[np.ndarray, np.ndarray]:
    units = len(top)
    dead = np.zeros(units, dtype=bool)
    sat = np.zeros(units, dtype=bool)
    if count == 0:
        return dead, sat
    if activation in ("relu", "leaky_relu"):
        dead = top <= 0.0
    elif activation in ("sigmoid", "tanh"):
        sat = near / count >= saturated_share
    return dead, sat


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
    top, near, count = _unit_stats(outputs, activation)
    return _judge(top, near, count, activation, saturated_share)


class HealthAccumulator:
    """:func:`health_from_activations`, batch by batch: only per-neuron sums are kept.

    Parameters
    ----------
    design : Design
        The layers checked are :func:`checked_layers` of it.
    saturated_share : float
        As in :func:`neuron_health`.
    """

    def __init__(self, design: Any, saturated_share: float = 0.95) -> None:
        self.layers = checked_layers(design)
        self.saturated_share = saturated_share
        self._stats: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}

    def add(self, acts: dict[str, np.ndarray]) -> None:
        """Fold in the outputs of one batch (node id -> (N, ...))."""
        for node_id, act in self.layers.items():
            if node_id not in acts:
                continue
            top, near, count = _unit_stats(acts[node_id], act)
            old = self._stats.get(node_id)
            if old is not None and len(old[0]) == len(top):
                top, near, count = np.maximum(old[0], top), old[1] + near, old[2] + count
            self._stats[node_id] = (top, near, count)

    def report(self) -> dict[str, NeuronHealth]:
        """Node id -> NeuronHealth for every checked layer seen, in the design's order."""
        out: dict[str, NeuronHealth] = {}
        for node_id, act in self.layers.items():
            if node_id not in self._stats:
                continue
            top, near, count = self._stats[node_id]
            dead, sat = _judge(top, near, count, act, self.saturated_share)
            out[node_id] = NeuronHealth(node_id, act, int(len(dead)),
                                        np.flatnonzero(dead), np.flatnonzero(sat))
        return out


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
    acc = HealthAccumulator(design)
    acc.add(acts)
    return acc.report()


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
