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
from dataclasses import dataclass, field

import numpy as np

from .layers import Param
from .parallel import for_chunks

__all__ = ["SGD", "Adam", "Momentum", "OPTIMIZERS", "Optimizer", "OptimizerState",
           "make_optimizer"]


def _flat_span(arrays: list[np.ndarray]) -> tuple[np.ndarray, list[int]] | None:
    """A 1-D view covering ``arrays`` when all are contiguous views of one 1-D buffer
    (as :class:`~nnstudio.core.network.Network` lays its parameters out), with each array's
    offset into that view; ``None`` otherwise."""
    if not arrays:
        return None
    base = arrays[0].base
    if (base is None or base.ndim != 1 or not base.flags.c_contiguous
            or any(a.base is not base or not a.flags.c_contiguous or a.dtype != base.dtype
                   for a in arrays)):
        return None
    start0 = base.__array_interface__["data"][0]
    starts = [(a.__array_interface__["data"][0] - start0) // base.itemsize for a in arrays]
    lo = min(starts)
    hi = max(s + a.size for s, a in zip(starts, arrays, strict=True))
    return base[lo:hi], [s - lo for s in starts]


class Optimizer:
    """Base class: ``step()`` applies one update from the current gradients.

    Parameters
    ----------
    params : the parameters to update (their ``value`` arrays are modified in place).
    lr : learning rate (settable between steps: ``opt.lr = 1e-4``).
    weight_decay : L2 coefficient applied to weights, not biases.

    When every value (and every gradient) is a view into one flat buffer with the same
    layout, as in a :class:`~nnstudio.core.network.Network`, each step runs a few NumPy
    operations over the whole buffer instead of a few per parameter.
    """

    name = ""

    def __init__(self, params: Iterable[Param], lr: float = 1e-3,
                 weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.t = 0                                  # number of steps taken
        # groups of (values, grads, slices without decay), all 1-D views
        self._groups: list[tuple[np.ndarray, np.ndarray, list[slice]]] = []
        vs = _flat_span([p.value for p in self.params])
        gs = _flat_span([p.grad for p in self.params])
        #: per parameter: (group index, offset into the group's flat arrays)
        self._places: list[tuple[int, int]] = []
        if vs is not None and gs is not None and vs[1] == gs[1] and vs[0].size == gs[0].size:
            nodecay = [slice(o, o + p.value.size) for o, p in zip(vs[1], self.params,
                                                                     strict=True)
                       if not p.is_weight]
            self._groups.append((vs[0], gs[0], nodecay))
            self._places = [(0, o) for o in vs[1]]
        else:
            for p in self.params:
                self._places.append((len(self._groups), 0))
                v, g = p.value.reshape(-1), p.grad.reshape(-1)
                if not (np.shares_memory(v, p.value) and np.shares_memory(g, p.grad)):
                    raise ValueError(f"Parameter {p.name} must be contiguous to be updated "
                                     "in place")
                self._groups.append((v, g, [] if p.is_weight else [slice(None)]))
        self._scratch = [np.empty_like(v) for v, _, _ in self._groups]
        self._decayed = [np.empty_like(v) for v, _, _ in self._groups]

    def _gradient(self, i: int) -> np.ndarray:
        """Group ``i``'s gradient plus ``weight_decay * value`` on weights (not biases)."""
        v, g, nodecay = self._groups[i]
        if not self.weight_decay or (nodecay and nodecay[0] == slice(None)):
            return g
        d = self._decayed[i]
        np.multiply(v, self.weight_decay, out=d)
        for sl in nodecay:
            d[sl] = 0
        d += g
        return d

    def zero_grad(self) -> None:
        """Set every gradient to zero (in place)."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray | float | int]:
        """Hyperparameters and state arrays (copies), e.g. for saving."""
        return {"lr": self.lr, "weight_decay": self.weight_decay, "t": self.t,
                **self._state_copies()}

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

    def param_state(self) -> dict[str, dict[str, np.ndarray]]:
        """Copies of the state of every parameter, in its shape: ``{"dense1/W":
        {"m1": (3, 1), "v2": (3, 1)}, ...}`` for Adam, ``{"velocity": ...}`` for momentum,
        empty dicts for plain SGD. With :attr:`t`, this is all a next step depends on."""
        arrays = self._state_arrays()
        out: dict[str, dict[str, np.ndarray]] = {}
        for p, (g, off) in zip(self.params, self._places, strict=True):
            out[p.name] = {key: arrs[g][off:off + p.value.size].reshape(p.value.shape).copy()
                           for key, arrs in arrays.items()}
        return out

    def load_param_state(self, state: dict[str, dict[str, np.ndarray]], t: int) -> None:
        """Restore what :meth:`param_state` returned (parameters matched by name; missing
        ones keep their state) and the step count ``t``."""
        self.t = int(t)
        arrays = self._state_arrays()
        for p, (g, off) in zip(self.params, self._places, strict=True):
            for key, value in state.get(p.name, {}).items():
                if key in arrays:
                    arrays[key][g][off:off + p.value.size] = np.asarray(value).reshape(-1)

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
        for i, (v, _, _) in enumerate(self._groups):
            upd = self._scratch[i]
            np.multiply(self._gradient(i), lr, out=upd)
            v -= upd


class Momentum(SGD):
    """SGD with momentum: ``u = mu * u + g``; ``W -= lr * u`` (``mu`` = 0.9 by default)."""

    name = "momentum"

    def __init__(self, params, lr=1e-2, weight_decay=0.0, momentum: float = 0.9) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = float(momentum)
        self.velocity = [np.zeros_like(v) for v, _, _ in self._groups]

    def step(self) -> None:
        self.t += 1
        lr, mu = self.lr, self.momentum
        for i, (v, _, _) in enumerate(self._groups):
            u, upd = self.velocity[i], self._scratch[i]
            u *= mu
            u += self._gradient(i)
            np.multiply(u, lr, out=upd)
            v -= upd

    def _state_arrays(self):
        return {"velocity": self.velocity}

    def state_dict(self):
        return {**super().state_dict(), "momentum": self.momentum}


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as in PyTorch:
    ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g²``,
    ``W -= lr / (1-b1^t) * m / (sqrt(v / (1-b2^t)) + eps)``.

    The moments are kept scaled, ``m1 = m / (1-b1)`` and ``v2 = v / (1-b2)``, so that their
    updates are ``m1 = b1 m1 + g`` and ``v2 = b2 v2 + g²`` (fewer passes over memory); the
    constant factors are folded into the step size.
    """

    name = "adam"

    def __init__(self, params, lr=1e-3, weight_decay=0.0, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m1 = [np.zeros_like(v) for v, _, _ in self._groups]
        self.v2 = [np.zeros_like(v) for v, _, _ in self._groups]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # m / (1-b1^t) = m1 * c1;  sqrt(v / (1-b2^t)) = sqrt(v2) * c2
        c1 = (1.0 - b1) / (1.0 - b1 ** self.t)
        c2 = math.sqrt((1.0 - b2) / (1.0 - b2 ** self.t))
        eps = self.eps / c2
        scale = self.lr * c1 / c2
        for i, (w, _, _) in enumerate(self._groups):
            g = self._gradient(i)
            m1, v2, tmp = self.m1[i], self.v2[i], self._scratch[i]

            def update(lo: int, hi: int, w=w, g=g, m1=m1, v2=v2, tmp=tmp) -> None:
                w, g, m1, v2, tmp = w[lo:hi], g[lo:hi], m1[lo:hi], v2[lo:hi], tmp[lo:hi]
                m1 *= b1
                m1 += g
                np.multiply(g, g, out=tmp)
                v2 *= b2
                v2 += tmp
                # W -= lr (m1 c1) / (sqrt(v2) c2 + eps) = scale m1 / (sqrt(v2) + eps / c2)
                np.sqrt(v2, out=tmp)
                tmp += eps
                np.divide(m1, tmp, out=tmp)
                tmp *= scale
                w -= tmp

            for_chunks(update, w.size, w.size)

    def _state_arrays(self):
        return {"m1": self.m1, "v2": self.v2}

    def state_dict(self):
        return {**super().state_dict(), "beta1": self.beta1, "beta2": self.beta2,
                "eps": self.eps}


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


@dataclass
class OptimizerState:
    """What an optimizer remembers, per parameter (copies; see ``Optimizer.param_state``).

    Attributes
    ----------
    name : str
        ``"sgd"``, ``"momentum"`` or ``"adam"``.
    t : int
        Steps taken so far in the run (0: a new run).
    params : dict of str to dict of str to ndarray
        Parameter name -> state arrays in the parameter's shape.
    """

    name: str
    t: int = 0
    params: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, optimizer) -> OptimizerState:
        """The state of a live optimizer, copied."""
        return cls(optimizer.name, int(optimizer.t), optimizer.param_state())

    def for_scalar(self, name: str, flat: int) -> dict[str, np.ndarray]:
        """The state of one scalar of parameter ``name`` (flat index), as 1-element arrays."""
        arrays = self.params.get(name, {})
        return {k: np.asarray(v, np.float64).reshape(-1)[flat:flat + 1] for k, v in
                arrays.items()}
