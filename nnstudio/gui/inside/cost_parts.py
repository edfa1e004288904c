"""The pieces of the cost surface view that hold no widgets: what is drawn, and the path.

- :class:`Landscape`: the cost over a grid of two weights (filled in while it is computed);
- :class:`CostLine`: the cost along the first weight, with the slope at its current value;
- :class:`WeightPath`: the values the chosen weights took while training, growing by
  doubling and thinned out when full (:class:`~nnstudio.core.insight.history.RowHistory`);
- :func:`landscape_rgba`: a grid of costs coloured in bands with contour lines;
- :func:`pick_label`, :func:`default_second`: the weights offered, named for a person;
- :func:`step_sentence`: the next step, as the optimizer in use takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.insight.cost import Pick
from nnstudio.core.insight.history import RowHistory
from nnstudio.core.insight.steps import OptimizerState, describe_rule, next_step
from nnstudio.gui.inside.style import COST, to_rgba

__all__ = ["BANDS", "CostLine", "Landscape", "WeightPath", "default_second",
           "landscape_rgba", "pick_label", "step_sentence", "upsample"]

BANDS = 14
MAX_TRACE = 4000       # snapshots of the path kept (halved when full)


@dataclass
class Landscape:
    """The cost over a grid of two weights.

    Attributes
    ----------
    picks : list of two Pick
        The weight across, then the weight up.
    xr, yr : (lo, hi)
        The ranges of the two weights.
    grid : ndarray, float64 (side, side) or None
        ``grid[row, col]`` is the cost at ``(x[col], y[row])``; NaN where not computed yet,
        None before the computation chose its size.
    """

    picks: list[Pick]
    xr: tuple[float, float]
    yr: tuple[float, float]
    grid: np.ndarray | None = None

    def holds(self, x: float, y: float, margin: float = 0.1) -> bool:
        """True when ``(x, y)`` lies inside, at least ``margin`` of each range from the edge."""
        (x0, x1), (y0, y1) = self.xr, self.yr
        mx, my = margin * (x1 - x0), margin * (y1 - y0)
        return x0 + mx <= x <= x1 - mx and y0 + my <= y <= y1 - my


@dataclass
class CostLine:
    """The cost along the horizontal weight, all other weights as they are.

    Attributes
    ----------
    xs, ys : ndarray, shape (n,)
        Values of the weight and the cost at each.
    w, cost, slope : float
        The weight's current value, the cost there and the slope (gradient) there.
    """

    xs: np.ndarray
    ys: np.ndarray
    w: float
    cost: float
    slope: float


class WeightPath:
    """The values of the chosen weights at every snapshot, float32 (T, k)."""

    def __init__(self, k: int = 0) -> None:
        self._history = RowHistory(k, MAX_TRACE, np.float32)

    def __len__(self) -> int:
        return len(self._history)

    @property
    def width(self) -> int:
        return self._history.width

    def append(self, row: np.ndarray) -> None:
        """Add the values of one moment (length :attr:`width`); thinned out when full."""
        self._history.append(row)

    @property
    def last(self) -> np.ndarray:
        return self._history.rows[-1]

    def columns(self, i: int, j: int) -> np.ndarray:
        """The path of weights ``i`` and ``j``, float64 (T, 2)."""
        return self._history.rows[:, [i, j]].astype(np.float64)


def upsample(a: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear enlargement of a (h, w) array to ((h-1)*f+1, (w-1)*f+1)."""
    h, w = a.shape
    ys = np.linspace(0, h - 1, (h - 1) * factor + 1)
    xs = np.linspace(0, w - 1, (w - 1) * factor + 1)
    rows = np.stack([np.interp(xs, np.arange(w), r) for r in a])            # (h, W)
    return np.stack([np.interp(ys, np.arange(h), c) for c in rows.T], 1)    # (H, W)


def landscape_rgba(surface: np.ndarray, bands: int = BANDS) -> tuple[np.ndarray, bool]:
    """Colour a cost grid in bands with darker contour lines; log scale for wide ranges.

    Returns
    -------
    (rgba uint8 (H, W, 4), log_scale used)
    """
    s = np.asarray(surface, dtype=np.float64)
    finite = s[np.isfinite(s)]
    if finite.size == 0:
        return np.full((*s.shape, 4), 255, np.uint8), False
    lo, hi = float(finite.min()), float(finite.max())
    log = lo >= 0 and hi > 50 * max(lo, 1e-12)
    if log:
        s = np.log10(np.maximum(s, max(lo, 1e-12)))
        lo, hi = float(np.log10(max(lo, 1e-12))), float(np.log10(hi))
    t = (s - lo) / ((hi - lo) or 1.0)
    band = np.floor(np.clip(t, 0, 0.9999) * bands)
    rgba = to_rgba((band + 0.5) / bands, 0.0, 1.0, COST)
    edge = np.zeros(s.shape, bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgba[edge, :3] = (rgba[edge, :3] * 0.72).astype(np.uint8)
    return rgba, log


def pick_label(pick: Pick, text: str, network: Any, dataset: Any) -> str:
    """Name input features where the layer reads the input directly (the car lesson):
    ``"fc1 weight of “rating”"`` instead of ``"fc1 weight [2, 0]"``."""
    node, _, kind = pick[0].rpartition("/")
    if network is None or dataset is None or not dataset.feature_names or kind != "W":
        return text
    design = network.design
    if node not in design.nodes or design.nodes[node].kind != "Dense":
        return text
    src = design.inputs_of(node)
    if not src or design.nodes[src[0]].kind != "Input":
        return text
    units = int(design.nodes[node].params.get("units", 1))
    i, j = divmod(pick[1], units)
    if i >= len(dataset.feature_names):
        return text
    to = f" → {j}" if units > 1 else ""
    return f"{node} weight of “{dataset.feature_names[i]}”{to}"


def default_second(picks: list[Pick]) -> int:
    """The index of the first bias of the first pick's layer, else 1."""
    first = picks[0][0].rpartition("/")[0]
    for i, (name, _) in enumerate(picks):
        if name == f"{first}/b":
            return i
    return 1


def step_sentence(config: Any, state: OptimizerState | None, pick: Pick, slope: float,
                  w: float) -> str:
    """The next step of weight ``pick`` (now ``w``, slope ``slope``) by the optimizer of
    ``config`` (a TrainConfig), from its memory ``state`` of the live run (None: a new run
    starts it fresh). Plain gradient descent gets ``−lr × slope``; momentum and Adam their
    real step, computed by the optimizer itself, next to what plain gradient descent would
    do."""
    lr, name = float(config.lr), config.optimizer
    plain = -lr * slope
    times = f"−{_num(lr)} × {_num(slope, True)}"
    if name == "sgd" and not config.weight_decay:
        return f"Next step = {times} = <b>{_num(plain)}</b>."
    if state is not None and state.name != name:
        state = None
    own = state.for_scalar(*pick) if state is not None else None
    step = float(next_step(name, lr, np.array([slope]), value=np.array([w]), state=own,
                           t=state.t if state is not None else 0,
                           weight_decay=float(config.weight_decay), name=pick[0])[0])
    when = (f"after {state.t:,} steps of this run" if state is not None
            else "at the start of a new run")
    rule = describe_rule(name) if name != "sgd" else "With weight decay:"
    return (f"{rule} For this slope, its next step {when} is <b>{_num(step)}</b>; plain "
            f"gradient descent would step {times} = {_num(plain)}.")


def _num(value: float, brackets: bool = False) -> str:
    """Four significant digits, no exponent for everyday sizes; negatives bracketed on
    request (``"(-1.79)"``) so that ``−0.001 × (-1.79)`` reads right."""
    text = f"{value:.4g}"
    return f"({text})" if brackets and value < 0 else text
