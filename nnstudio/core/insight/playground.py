"""What every neuron answers over the plane of a 2-D toy set fed as features: no drawing.

As in TensorFlow Playground, each neuron of a small network fed with features of a point
(x1, x2) (x1, x2, x1², x1·x2, sin x1, ...) is shown as a little picture of the plane: its
value at every point. One grid of points goes through the network once
(``Network.activations``), which gives every input feature, hidden neuron and the output at
the same time. The features are made by the function given (the data layer's
``nnstudio.data.toy.feature_columns``, the one that made the data), so the pictures show
exactly what training sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.insight.plane import plane_bounds, plane_grid

__all__ = ["PlaneMaps", "plane_maps", "square_bounds"]


def square_bounds(points: np.ndarray, margin: float = 0.08) -> tuple[float, float, float, float]:
    """A square box around 2-D ``points`` (N, 2), centred on them, with ``margin`` room."""
    x0, x1, y0, y1 = plane_bounds(points, margin=margin)
    half = max(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - half, cx + half, cy - half, cy + half)


@dataclass
class PlaneMaps:
    """Every neuron's value over an ``side`` × ``side`` grid of the plane.

    Attributes
    ----------
    bounds : (xmin, xmax, ymin, ymax)
        The square of the plane the grid covers.
    side : int
        Grid points per side; row ``i`` of a map is y ascending, column ``j`` x ascending.
    inputs : ndarray, float32 (side, side, F)
        The value of each input feature.
    nodes : dict of str to ndarray, float32 (side, side, units)
        The output of each asked node (a Dense layer or its Activation).
    """

    bounds: tuple[float, float, float, float]
    side: int
    inputs: np.ndarray
    nodes: dict[str, np.ndarray] = field(default_factory=dict)


def plane_maps(network, to_inputs: Callable[[np.ndarray], np.ndarray],
               bounds: Sequence[float], side: int, node_ids: Sequence[str]) -> PlaneMaps:
    """Run a grid of the plane through ``network`` as ``features`` and keep the asked nodes.

    Parameters
    ----------
    network : Network-like
        Offers ``activations(x)`` for x of shape (M, F) and ``input_shape`` == (F,).
    to_inputs : callable
        Points (M, 2) -> the network's inputs (M, F): the features the data is fed as.
    bounds : (xmin, xmax, ymin, ymax)
        The square of the plane.
    side : int
        Grid points per side (2 .. 256).
    node_ids : sequence of str
        Nodes whose outputs (M, units) to keep.

    Returns
    -------
    PlaneMaps

    Raises
    ------
    ValueError
        The network does not take ``to_inputs``'s F inputs, or ``side`` is out of range.
    """
    side = int(side)
    if not 2 <= side <= 256:
        raise ValueError(f"the grid side must be from 2 to 256, not {side}")
    box = tuple(float(b) for b in bounds)
    x = np.asarray(to_inputs(plane_grid(box, side)), np.float32)
    n_in = int(np.prod(network.input_shape))
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"the network takes {n_in} inputs, not the {x.shape[-1]} features "
                         "of the data")
    acts = network.activations(x)
    nodes = {}
    for node_id in node_ids:
        a = acts.get(node_id)
        if a is not None:
            nodes[node_id] = np.asarray(a, np.float32).reshape(side, side, -1)
    return PlaneMaps(box, side, x.reshape(side, side, -1), nodes)
