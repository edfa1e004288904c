"""The step an optimizer takes next, computed by the optimizer itself.

Plain gradient descent moves a weight by ``−lr × gradient``; momentum and Adam do not: their
step depends on what they remember of earlier gradients (a velocity, running averages) and,
for Adam, on how many steps were taken. :func:`next_step` runs the real optimizer class of
:mod:`nnstudio.core.optimizers` on a copy of the weights, with the state it has now (or the
fresh state a new run starts with), so what a view predicts is what training will do.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.layers import Param
from nnstudio.core.optimizers import OptimizerState, make_optimizer

__all__ = ["OptimizerState", "describe_rule", "next_step"]


def next_step(optimizer: str, lr: float, grad: np.ndarray, *, value: np.ndarray | None = None,
              state: dict[str, np.ndarray] | None = None, t: int = 0,
              weight_decay: float = 0.0, name: str = "w/W") -> np.ndarray:
    """How much the optimizer will change weights with gradient ``grad`` at its next step.

    Parameters
    ----------
    optimizer : str
        ``"sgd"``, ``"momentum"`` or ``"adam"`` (as in ``TrainConfig.optimizer``).
    lr : float
        The learning rate of that step.
    grad : ndarray, any shape
        The gradient of the cost with respect to the weights.
    value : ndarray, optional
        The weights now, same shape (only weight decay reads them; zeros by default).
    state : dict of str to ndarray, optional
        The optimizer's memory for these weights (``OptimizerState.params[...]`` or
        :meth:`OptimizerState.for_scalar`); None is a fresh optimizer (a new run).
    t : int
        Steps the optimizer has taken (0 for a new run).
    weight_decay : float
    name : str
        A parameter name: names ending in ``W`` take weight decay, ``b`` do not.

    Returns
    -------
    ndarray, float64, shape of ``grad``
        The change ``w_next − w_now``.
    """
    g = np.array(grad, dtype=np.float64)
    shape = g.shape
    w = (np.zeros(g.size) if value is None
         else np.array(value, dtype=np.float64).reshape(-1))
    param = Param(name, w, g.reshape(-1))
    opt = make_optimizer(optimizer, [param], lr=lr, weight_decay=weight_decay)
    opt.load_param_state({name: state or {}}, t if state is not None else 0)
    before = w.copy()
    opt.step()
    return (param.value - before).reshape(shape)


def describe_rule(optimizer: str) -> str:
    """One sentence on how the optimizer turns a gradient into a step."""
    if optimizer == "sgd":
        return "Plain gradient descent: step = −learning rate × gradient."
    if optimizer == "momentum":
        return ("Momentum is not plain gradient descent: it keeps a velocity, 0.9 × the "
                "last one + the gradient, and steps by −learning rate × velocity.")
    return ("Adam is not plain gradient descent: it divides a running average of the "
            "gradients by the root of a running average of their squares, so each weight "
            "moves by about the learning rate whatever the size of its gradient.")
