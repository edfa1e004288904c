"""Backpropagation you can read: the gradients of one batch, checked, and the step they cause.

For one batch of samples, :func:`backprop_report` runs the network forward and backward
(exactly as training does, :meth:`Network.train_step`) on a private copy and keeps, for every
parameter, the gradient dW or db backpropagation computed. A few of them are checked
against a finite difference, ``(J(w + h) − J(w − h)) / 2h``, computed in float64 without any
backward pass: when the two agree, the chain rule was applied right. Where the loss has a
kink at the weight (a ReLU exactly at 0, as in a fresh network's zero biases, or a tie in a
max-pool) the slopes on its two sides differ: backpropagation takes one of them and the
central difference their mean, so such checks are marked (``GradientCheck.at_kink``), not
counted as disagreement. Last, the real optimizer
(:func:`~nnstudio.core.insight.steps.next_step`) turns the gradients into the update
``W ← W + ΔW`` that the next training step makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .steps import OptimizerState, next_step

__all__ = ["BackpropReport", "GradientCheck", "ParamGradient", "backprop_report",
           "finite_difference", "slopes"]


@dataclass(frozen=True)
class ParamGradient:
    """One parameter of the batch's step (all arrays in the parameter's shape, float64).

    Attributes
    ----------
    name : str
        ``"dense1/W"``, ``"dense1/b"``, ...
    value : ndarray
        The weights before the step.
    grad : ndarray
        dJ/dW as backpropagation computed it.
    update : ndarray
        ΔW, what the optimizer's next step adds to ``value``.
    """

    name: str
    value: np.ndarray
    grad: np.ndarray
    update: np.ndarray

    @property
    def layer(self) -> str:
        return self.name.rpartition("/")[0] or self.name

    @property
    def symbol(self) -> str:
        """``"dW"`` for weights, ``"db"`` for biases."""
        return "d" + self.name.rpartition("/")[2]

    @property
    def norm(self) -> float:
        return float(np.linalg.norm(self.grad))

    @property
    def largest(self) -> tuple[tuple[int, ...], float]:
        """Index and value of the entry with the largest |gradient|."""
        flat = int(np.abs(self.grad).argmax()) if self.grad.size else 0
        idx = tuple(int(i) for i in np.unravel_index(flat, self.grad.shape))
        return idx, float(self.grad.reshape(-1)[flat]) if self.grad.size else 0.0


@dataclass(frozen=True)
class GradientCheck:
    """One gradient entry: backpropagation's value next to a finite difference."""

    name: str
    index: tuple[int, ...]
    backprop: float
    numeric: float
    #: the one-sided slopes ``(J(w + h) − J(w)) / h`` and ``(J(w) − J(w − h)) / h``
    sides: tuple[float, float] | None = None

    @property
    def rel_error(self) -> float:
        """``|backprop − numeric| / max(|backprop|, |numeric|, 1e-8)``."""
        scale = max(abs(self.backprop), abs(self.numeric), 1e-8)
        return abs(self.backprop - self.numeric) / scale

    @property
    def at_kink(self) -> bool:
        """True when the loss bends sharply at this weight: the slopes on its two sides
        differ by more than 1% and by more than 1e-3 (then backpropagation gives one of them,
        the central difference their mean). A smooth loss's two sides differ only by
        about the step (1e-5) times its curvature."""
        if self.sides is None:
            return False
        up, down = self.sides
        jump = abs(up - down)
        return jump > 1e-3 and jump > 0.01 * max(abs(up), abs(down))


@dataclass(frozen=True)
class BackpropReport:
    """Everything about one batch's step: the loss, every parameter, the checks."""

    loss: float
    samples: tuple[int, int]
    params: list[ParamGradient]
    checks: list[GradientCheck]
    optimizer: str
    lr: float


def _copy(network: Any, dtype: Any = np.float32) -> Any:
    """A fresh network with ``network``'s weights. Not a deep copy: that would cut the
    gradients of the parameters loose from the flat buffer a batch split across threads
    sums into."""
    from nnstudio.core.network import Network

    net = Network(network.design, seed=getattr(network, "seed", 0), dtype=dtype)
    net.set_weights(network.get_weights())
    return net


def slopes(network64: Any, x: np.ndarray, y: np.ndarray, name: str, flat: int,
           h: float = 1e-5) -> tuple[float, float, float]:
    """The central, forward and backward differences of the loss for the scalar ``flat``
    of parameter ``name``: ``(J(w+h) − J(w−h)) / 2h``, ``(J(w+h) − J(w)) / h``,
    ``(J(w) − J(w−h)) / h``.

    ``network64`` is a float64 network (it is changed and restored); ``J`` is the mean loss
    over ``x, y`` in inference mode.
    """
    p = next(q for q in network64.parameters() if q.name == name)
    v = p.value.reshape(-1)
    keep = float(v[flat])
    step = h * max(1.0, abs(keep))

    def loss() -> float:
        return float(network64.evaluate(x, y, batch_size=max(1, len(x)))["loss"])

    try:
        mid = loss()
        v[flat] = keep + step
        up = loss()
        v[flat] = keep - step
        down = loss()
    finally:
        v[flat] = keep
    return (up - down) / (2 * step), (up - mid) / step, (mid - down) / step


def finite_difference(network64: Any, x: np.ndarray, y: np.ndarray, name: str, flat: int,
                      h: float = 1e-5) -> float:
    """``(J(w + h) − J(w − h)) / 2h`` for the scalar ``flat`` of parameter ``name``
    (see :func:`slopes`)."""
    return slopes(network64, x, y, name, flat, h)[0]


def _picks(grads: dict[str, np.ndarray], per_param: int, total: int) -> list[tuple[str, int]]:
    """The entries with the largest |gradient| of each parameter, ``per_param`` each."""
    out: list[tuple[str, int]] = []
    for name, g in grads.items():
        order = np.argsort(-np.abs(g.reshape(-1)), kind="stable")[:per_param]
        out += [(name, int(i)) for i in order]
    return out[:total]


def backprop_report(network: Any, x: np.ndarray, y: np.ndarray, *, optimizer: str, lr: float,
                    state: OptimizerState | None = None, weight_decay: float = 0.0,
                    samples: tuple[int, int] | None = None, checks_per_param: int = 2,
                    max_checks: int = 12) -> BackpropReport:
    """The gradients of one batch, a few of them checked, and the update they cause.

    Parameters
    ----------
    network : Network
        Left unchanged (a private copy runs the step).
    x, y : ndarray
        The batch: shapes (m, *input_shape) and (m,) or (m, k).
    optimizer, lr, weight_decay : as in ``TrainConfig``
    state : OptimizerState, optional
        The optimizer's memory now (None: a new run's fresh optimizer).
    samples : (first, end), optional
        Which samples of the dataset the batch is (for the text only).
    checks_per_param, max_checks : int
        Finite-difference checks per parameter and in all.

    Returns
    -------
    BackpropReport
    """
    net = _copy(network)
    loss, _ = net.train_step(np.asarray(x, np.float32), y)
    grads = {p.name: p.grad.astype(np.float64) for p in net.parameters()}
    params = []
    for p in net.parameters():
        own = state.params.get(p.name) if state is not None else None
        update = next_step(optimizer, lr, grads[p.name], value=p.value, state=own,
                           t=state.t if state is not None else 0,
                           weight_decay=weight_decay, name=p.name)
        params.append(ParamGradient(p.name, p.value.astype(np.float64), grads[p.name], update))
    checks = []
    if max_checks > 0:
        net64 = _copy(network, np.float64)
        x64 = np.asarray(x, np.float64)
        for name, flat in _picks(grads, checks_per_param, max_checks):
            g = grads[name]
            idx = tuple(int(i) for i in np.unravel_index(flat, g.shape))
            central, up, down = slopes(net64, x64, y, name, flat)
            checks.append(GradientCheck(name, idx, float(g.reshape(-1)[flat]), central,
                                        (up, down)))
    first, end = samples if samples is not None else (0, len(x))
    return BackpropReport(float(loss), (int(first), int(end)), params, checks, optimizer,
                          float(lr))
