"""Activation functions: forward and backward, numerically stable, batch-major.

Every activation works element-wise on an array of any shape ``(N, ...)`` except softmax,
which normalises over axis 1 (the features of a flat batch ``(N, k)`` or the channels of an
image batch ``(N, C, H, W)``).

The backward pass of every differentiable activation needs only the activation's *output*
``a`` (never the input ``z``), so layers may compute the activation in place over ``z`` and
keep just one array per layer.

``step`` is the exception: it has no useful gradient (zero almost everywhere, undefined at the
threshold), so :meth:`Step.backward` raises :class:`NoGradientError`. Train a single step
neuron with the perceptron learning rule (:mod:`nnstudio.core.perceptron`) or replace the step
by a sigmoid to train by backpropagation.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATIONS", "Activation", "NoGradientError", "get_activation",
    "Linear", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Step", "Tanh",
]

#: Slope of leaky ReLU for negative inputs.
LEAKY_SLOPE = 0.01


class NoGradientError(ValueError):
    """Raised when backpropagation reaches an activation without a useful gradient (step)."""


class Activation:
    """Base class: ``forward(z, out=None) -> a`` and ``backward(a, da) -> dz``.

    ``forward`` writes into ``out`` when given (``out`` may be ``z`` itself: in place).
    ``backward`` may overwrite ``da`` and returns ``dz`` with the shape of ``a``.
    """

    name: str = ""
    #: Whether He initialisation suits layers using this activation (ReLU family).
    relu_family: bool = False
    differentiable: bool = True

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.forward(z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Step(Activation):
    """Threshold unit: ``a = 1`` where ``z > 0`` else ``0``. Forward only.

    With ``z = Σ wᵢ·xᵢ + b`` and the threshold ``θ = −b`` the neuron fires when the weighted
    sum is greater than the threshold (exactly at the threshold it stays silent).
    """

    name = "step"
    differentiable = False

    def forward(self, z, out=None):
        fired = z > 0
        if out is None:
            return fired.astype(z.dtype)
        np.copyto(out, fired)
        return out

    def backward(self, a, da):
        raise NoGradientError(
            "The step activation has no useful gradient (it is flat everywhere except at the "
            "threshold), so it cannot be trained by backpropagation. Train a single step "
            "neuron with the perceptron learning rule (nnstudio.core.perceptron), or use "
            "'sigmoid' instead of 'step' to train by backpropagation.")


class Linear(Activation):
    """Identity: ``a = z``."""

    name = "linear"

    def forward(self, z, out=None):
        if out is None or out is z:
            return z
        np.copyto(out, z)
        return out

    def backward(self, a, da):
        return da


class Sigmoid(Activation):
    """Logistic function ``a = 1 / (1 + exp(-z))``, computed without overflow."""

    name = "sigmoid"

    def forward(self, z, out=None):
        e = np.exp(-np.abs(z))                    # in (0, 1]: never overflows
        num = np.where(z >= 0, 1, e).astype(z.dtype, copy=False)
        e += 1
        return np.divide(num, e, out=out)

    def backward(self, a, da):
        # da * a * (1 - a)
        g = np.subtract(1, a, dtype=a.dtype)
        g *= a
        np.multiply(da, g, out=da)
        return da


class Tanh(Activation):
    """Hyperbolic tangent ``a = tanh(z)``."""

    name = "tanh"

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def backward(self, a, da):
        g = np.square(a)
        np.subtract(1, g, out=g)
        np.multiply(da, g, out=da)
        return da


class ReLU(Activation):
    """Rectified linear unit ``a = max(z, 0)``."""

    name = "relu"
    relu_family = True

    def forward(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def backward(self, a, da):
        np.multiply(da, a > 0, out=da)
        return da


class LeakyReLU(Activation):
    """Leaky ReLU ``a = z`` for ``z > 0`` else ``0.01 z``."""

    name = "leaky_relu"
    relu_family = True

    def forward(self, z, out=None):
        neg = np.multiply(z, LEAKY_SLOPE, dtype=z.dtype)
        return np.maximum(z, neg, out=out)

    def backward(self, a, da):
        g = np.where(a > 0, 1.0, LEAKY_SLOPE).astype(a.dtype, copy=False)
        np.multiply(da, g, out=da)
        return da


class Softmax(Activation):
    """Softmax over axis 1: ``a_i = exp(z_i - max z) / sum_j exp(z_j - max z)``.

    For ``(N, k)`` the normalisation runs over the ``k`` features; for ``(N, C, H, W)`` over
    the channels at every pixel. The shift by the maximum keeps ``exp`` from overflowing.
    """

    name = "softmax"

    def forward(self, z, out=None):
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def backward(self, a, da):
        # Jacobian-vector product: dz = a * (da - sum(da * a))
        s = np.multiply(da, a).sum(axis=1, keepdims=True)
        np.subtract(da, s, out=da)
        np.multiply(da, a, out=da)
        return da


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Step, Linear, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax)
}


def get_activation(name: str) -> Activation:
    """Return a new activation object by name (one of :data:`ACTIVATIONS`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known names.
    """
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}: choose one of "
                         f"{', '.join(ACTIVATIONS)}") from None
