"""Optimizers that update every :class:`~nnstudio.core.layers.Param` in place.

All state (velocities, moments) and scratch arrays are allocated once in the constructor; a
step only runs in-place NumPy operations (``out=``), so it allocates no temporaries the size
of the weights. ``opt.lr`` is a plain attribute that may be changed between steps.

L2 weight decay adds ``weight_decay * W`` to the gradient of weights (``Param.is_weight``:
names ending in ``W``), never to biases. ``Param.grad`` itself is left untouched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .layers import Param

__all__ = ["SGD", "Adam", "Momentum", "OPTIMIZERS", "Optimizer", "make_optimizer"]


class Optimizer:
    """Base class: ``step()`` applies one update from the current gradients.

    Parameters
    ----------
    params : the parameters to update (their ``value`` arrays are modified in place).
    lr : learning rate (settable between steps: ``opt.lr = 1e-4``).
    weight_decay : L2 coefficient applied to weights, not biases.
    """

    name = ""

    def __init__(self, params: Iterable[Param], lr: float = 1e-3,
                 weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.t = 0                                  # number of steps taken
        self._scratch = [np.empty_like(p.value) for p in self.params]
        self._decayed = [np.empty_like(p.value) if p.is_weight else None for p in self.params]

    def _gradient(self, i: int, p: Param) -> np.ndarray:
        """``grad + weight_decay * value`` for weights (into a preallocated array)."""
        if self.weight_decay and p.is_weight:
            g = self._decayed[i]
            np.multiply(p.value, self.weight_decay, out=g)
            g += p.grad
            return g
        return p.grad

    def zero_grad(self) -> None:
        """Set every gradient to zero (in place)."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray | float | int]:
        """Hyperparameters and state arrays (copies), e.g. for saving."""
        return {"lr": self.lr, "weight_decay": self.weight_decay, "t": self.t}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned (arrays are copied in place)."""
        self.lr = float(state.get("lr", self.lr))
        self.weight_decay = float(state.get("weight_decay", self.weight_decay))
        self.t = int(state.get("t", self.t))
        for key, arrays in self._state_arrays().items():
            for i, a in enumerate(arrays):
                k = f"{key}/{i}"
                if k in state:
                    np.copyto(a, state[k])

    def _state_arrays(self) -> dict[str, list[np.ndarray]]:
        return {}

    def _state_copies(self) -> dict[str, np.ndarray]:
        return {f"{key}/{i}": a.copy() for key, arrays in self._state_arrays().items()
                for i, a in enumerate(arrays)}


class SGD(Optimizer):
    """Plain gradient descent: ``W -= lr * g``."""

    name = "sgd"

    def step(self) -> None:
        self.t += 1
        lr = self.lr
        for i, p in enumerate(self.params):
            upd = self._scratch[i]
            np.multiply(self._gradient(i, p), lr, out=upd)
            p.value -= upd


class Momentum(SGD):
    """SGD with momentum: ``v = mu * v + g``; ``W -= lr * v`` (``mu`` = 0.9 by default)."""

    name = "momentum"

    def __init__(self, params, lr=1e-2, weight_decay=0.0, momentum: float = 0.9) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = float(momentum)
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        self.t += 1
        lr, mu = self.lr, self.momentum
        for i, p in enumerate(self.params):
            v, upd = self.velocity[i], self._scratch[i]
            v *= mu
            v += self._gradient(i, p)
            np.multiply(v, lr, out=upd)
            p.value -= upd

    def _state_arrays(self):
        return {"velocity": self.velocity}

    def state_dict(self):
        return {**super().state_dict(), "momentum": self.momentum, **self._state_copies()}


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as in PyTorch:
    ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g²``,
    ``W -= lr / (1-b1^t) * m / (sqrt(v / (1-b2^t)) + eps)``."""

    name = "adam"

    def __init__(self, params, lr=1e-3, weight_decay=0.0, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        self.t += 1
        b1, b2, eps = self.beta1, self.beta2, self.eps
        step_size = self.lr / (1.0 - b1 ** self.t)
        inv_sqrt_bc2 = 1.0 / math.sqrt(1.0 - b2 ** self.t)
        for i, p in enumerate(self.params):
            g = self._gradient(i, p)
            m, v, tmp = self.m[i], self.v[i], self._scratch[i]
            # m += (1 - b1) (g - m)
            np.subtract(g, m, out=tmp)
            tmp *= 1.0 - b1
            m += tmp
            # v += (1 - b2) (g² - v)
            np.multiply(g, g, out=tmp)
            tmp -= v
            tmp *= 1.0 - b2
            v += tmp
            # W -= step_size * m / (sqrt(v) / sqrt(bc2) + eps)
            np.sqrt(v, out=tmp)
            tmp *= inv_sqrt_bc2
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p.value -= tmp

    def _state_arrays(self):
        return {"m": self.m, "v": self.v}

    def state_dict(self):
        return {**super().state_dict(), "beta1": self.beta1, "beta2": self.beta2,
                "eps": self.eps, **self._state_copies()}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, params: Iterable[Param], lr: float, weight_decay: float = 0.0,
                   **kw) -> Optimizer:
    """Create an optimizer by name: ``"sgd"``, ``"momentum"`` or ``"adam"``.

    Extra keywords go to the optimizer (``momentum=``, ``beta1=``, ``beta2=``, ``eps=``).

    Raises
    ------
    ValueError
        For an unknown name or a learning rate that is not a positive finite number.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"The learning rate must be a positive number, got {lr}")
    if not (math.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"Weight decay must be zero or positive, got {weight_decay}")
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay, **kw)
