"""The cost as a function of one or two chosen weights, for the cost surface view.

Everything works on any network-like object with ``parameters()`` (objects with ``name``
and ``value``) and ``evaluate``; the network is always left as it was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Pick", "cost_curve", "cost_slope", "grid_points", "iter_cost_pieces",
           "iter_cost_surface", "parse_pick", "scalar_params", "span_around",
           "weights_that_matter"]

#: One scalar parameter: (parameter name such as ``"dense1/W"``, flat index into it).
Pick = tuple[str, int]


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
        for flat in range(min(int(value.size), per_param)):
            out.append(((name, flat), _label(name, np.unravel_index(flat, value.shape))))
    return out


def _label(name: str, idx: tuple[int, ...]) -> str:
    node, _, kind = name.rpartition("/")
    word = {"W": "weight", "b": "bias"}.get(kind, kind)
    return f"{node or name} {word} [{', '.join(str(int(i)) for i in idx)}]"


def _unit_axis(shape: tuple[int, ...]) -> int:
    """The axis that counts a layer's units: the last of a dense (inputs, units) matrix, the
    first of a convolution's (filters, channels, k, k) and of a bias."""
    return len(shape) - 1 if len(shape) == 2 else 0


def weights_that_matter(weights: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                        per_param: int = 64, small: int = 16) -> list[tuple[Pick, str]]:
    """The scalar weights worth a look, for every unit of every layer.

    A parameter of at most ``small`` values is listed whole, in its own order (a lesson's
    small network: every weight is worth a look). In a larger one each unit (a dense
    layer's output neuron, a convolution's filter) gets one entry: the weight into it whose
    gradient is the largest in size (its bias for a bias). Within a parameter, units come in
    order of that size, largest first, at most ``per_param`` of them. A weight whose input
    never varies (a corner pixel that is always blank) has no gradient, so it never comes
    first.

    Parameters
    ----------
    weights, grads : dict of str to ndarray
        The parameters and their gradients on some data (same names and shapes).
    """
    out: list[tuple[Pick, str]] = []
    for name, value in weights.items():
        g = np.abs(np.asarray(grads.get(name, np.zeros(value.shape)), dtype=np.float64))
        if g.shape != value.shape or value.size == 0:
            continue
        if value.size <= small:
            out += [((name, flat), _label(name, np.unravel_index(flat, value.shape)))
                    for flat in range(value.size)]
            continue
        axis = _unit_axis(value.shape)
        moved = np.moveaxis(g, axis, 0).reshape(value.shape[axis], -1)   # (units, rest)
        best = np.argmax(moved, axis=1)
        size = moved[np.arange(len(best)), best]
        # a unit with no gradient at all (a ReLU silent on these samples) gets the input
        # that matters most to the layer as a whole
        best = np.where(size > 0, best, int(np.argmax(moved.sum(axis=0))))
        rest_shape = tuple(np.delete(np.array(value.shape), axis))
        for unit in np.argsort(-size, kind="stable")[:per_param]:
            rest = np.unravel_index(int(best[unit]), rest_shape) if rest_shape else ()
            idx = list(rest)
            idx.insert(axis, int(unit))
            flat = int(np.ravel_multi_index(tuple(idx), value.shape))
            out.append(((name, flat), _label(name, tuple(idx))))
    return out


def parse_pick(text: str, shapes: dict[str, tuple[int, ...]]) -> Pick | None:
    """The weight a person typed, as ``scalar_params`` names them: ``"fc1 weight [300, 5]"``
    or ``"fc1 bias [3]"``; None when no such weight exists."""
    parts = text.strip().split("[", 1)
    if len(parts) != 2 or not parts[1].rstrip().endswith("]"):
        return None
    head = parts[0].split()
    if len(head) != 2 or head[1] not in ("weight", "bias"):
        return None
    name = f"{head[0]}/{'W' if head[1] == 'weight' else 'b'}"
    shape = shapes.get(name)
    try:
        idx = tuple(int(v) for v in parts[1].rstrip()[:-1].split(","))
    except ValueError:
        return None
    if shape is None or len(idx) != len(shape) or any(
            not 0 <= i < n for i, n in zip(idx, shape, strict=True)):
        return None
    return name, int(np.ravel_multi_index(idx, shape))


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
