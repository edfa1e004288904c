"""Layers of the engine: forward caches what backward needs; backward returns dX and fills grads.

Conventions
-----------
* Batches are batch-major, float32 by default: flat ``(N, F)``, images channels-first
  ``(N, C, H, W)``. ``input_shape``/``output_shape`` are per-sample (no batch dimension).
* ``forward(x, training=False) -> y``. Only a *training* forward caches what ``backward``
  needs (and may reuse internal buffers between batches); an inference forward has no side
  effects on the layer, so it may run while another thread trains.
* ``backward(dy) -> dx`` fills ``param.grad`` in place and returns the gradient with respect
  to the input (``None`` when ``needs_dx`` is false, e.g. for the layer right after the
  Input). ``dy`` may be overwritten. Merge layers take and return lists.
* Trainable parameters are :class:`Param` objects named ``"W"`` (weights) and ``"b"``
  (biases) in ``layer.params``; their ``value`` and ``grad`` arrays are updated in place.
* ``fused_head``: set by the network when the loss supplies the gradient with respect to the
  pre-activation directly (softmax + cross-entropy, sigmoid + binary cross-entropy); the
  layer then skips its activation's backward.

The convolution (:mod:`nnstudio.core.conv`) and pooling live in their own module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import Activation, get_activation

__all__ = [
    "ActivationLayer", "Add", "Concatenate", "Dense", "Dropout", "Flatten", "Input", "Layer",
    "Output", "Param", "init_weights",
]


@dataclass(eq=False)
class Param:
    """A trainable array and its gradient (same shape), both updated in place.

    ``name`` is ``"W"``/``"b"`` inside a layer and ``"node_id/W"`` in a network.
    """

    name: str
    value: np.ndarray
    grad: np.ndarray

    @property
    def is_weight(self) -> bool:
        """True for weights (``.../W``), which take L2 weight decay; False for biases."""
        return self.name.rsplit("/", 1)[-1] == "W"


def init_weights(shape: tuple[int, ...], fan_in: int, fan_out: int, relu_family: bool,
                 rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Seeded initial weights: He normal (std ``sqrt(2/fan_in)``) for the ReLU family,
    Xavier/Glorot uniform (limit ``sqrt(6/(fan_in+fan_out))``) otherwise."""
    if relu_family:
        w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
    else:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, shape)
    return w.astype(dtype)


class Layer:
    """Base class. Subclasses set ``kind`` and ``output_shape`` and implement forward/backward."""

    kind: str = ""
    #: Merge layers (Add, Concatenate) take a list of inputs and return a list of gradients.
    merge: bool = False

    def __init__(self, name: str, input_shape: tuple[int, ...], dtype=np.float32) -> None:
        self.name = name
        self.input_shape = tuple(input_shape)
        self.output_shape: tuple[int, ...] = self.input_shape
        self.dtype = np.dtype(dtype)
        self.params: dict[str, Param] = {}
        self.needs_dx = True
        self.fused_head = False
        self.activation: Activation | None = None

    def _new_param(self, name: str, value: np.ndarray) -> Param:
        value = np.ascontiguousarray(value, dtype=self.dtype)
        p = Param(name, value, np.zeros_like(value))
        self.params[name] = p
        return p

    @property
    def n_params(self) -> int:
        """Number of trainable numbers in this layer."""
        return sum(p.value.size for p in self.params.values())

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def _no_cache(self) -> RuntimeError:
        return RuntimeError(f"{self.kind} '{self.name}': backward() needs a forward pass "
                            "with training=True first")

    def __repr__(self) -> str:
        return f"{self.kind}({self.name!r}, {self.input_shape} -> {self.output_shape})"


class Input(Layer):
    """The network's input: identity. ``(N, *shape) -> (N, *shape)``."""

    kind = "Input"

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy


class Output(Input):
    """Identity layer that names the loss. ``(N, *shape) -> (N, *shape)``."""

    kind = "Output"


class Dense(Layer):
    """Fully connected layer with a fused activation: ``a = f(x @ W + b)``.

    Shapes: ``x (N, F_in)``, ``W (F_in, units)``, ``b (units,)``, ``a (N, units)``.
    """

    kind = "Dense"

    def __init__(self, name: str, input_shape: tuple[int, ...], units: int = 10,
                 activation: str = "relu", rng: np.random.Generator | None = None,
                 dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        if len(self.input_shape) != 1:
            raise ValueError(f"Dense '{name}' needs a flat input, got {self.input_shape}")
        n_in = self.input_shape[0]
        self.units = int(units)
        self.output_shape = (self.units,)
        self.activation = get_activation(activation)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.W = self._new_param("W", init_weights((n_in, self.units), n_in, self.units,
                                                   self.activation.relu_family, rng, dtype))
        self.b = self._new_param("b", np.zeros(self.units))
        self._x: np.ndarray | None = None
        self._a: np.ndarray | None = None

    def forward(self, x, training=False):
        z = np.matmul(x, self.W.value)             # (N, units), a fresh array
        z += self.b.value
        a = self.activation.forward(z, out=z)      # in place
        if training:
            self._x, self._a = x, a
        return a

    def backward(self, dy):
        if self._x is None:
            raise self._no_cache()
        dz = dy if self.fused_head else self.activation.backward(self._a, dy)
        np.matmul(self._x.T, dz, out=self.W.grad)
        np.sum(dz, axis=0, out=self.b.grad)
        if not self.needs_dx:
            return None
        x = self._x
        if x.ndim == 2 and x.shape[0] > 1 and x.strides[0] < x.strides[1]:
            # the input came sample-minor (a pooled image, flattened without a copy): give
            # the gradient the same layout, so the layer before reads it contiguously
            return np.matmul(self.W.value, dz.T).T  # (N, F_in), F_in-major
        return np.matmul(dz, self.W.value.T)       # (N, F_in)


class Flatten(Layer):
    """``(N, *shape) -> (N, prod(shape))`` (a view when the input is contiguous)."""

    kind = "Flatten"

    def __init__(self, name: str, input_shape: tuple[int, ...], dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        self.output_shape = (int(np.prod(self.input_shape)),)

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(dy.shape[0], *self.input_shape) if self.needs_dx else None


class Dropout(Layer):
    """Inverted dropout: in training ``y = x * mask`` with ``mask = keep / (1 - rate)``;
    identity at inference. Seeded through ``rng``. ``fixed_mask`` (same shape as the batch)
    replaces the random mask, for tests. Shapes: ``(N, *shape) -> (N, *shape)``."""

    kind = "Dropout"

    def __init__(self, name: str, input_shape: tuple[int, ...], rate: float = 0.5,
                 rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout '{name}': rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.fixed_mask: np.ndarray | None = None
        self._mask: np.ndarray | None = None

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if self.fixed_mask is not None:
            mask = self.fixed_mask
        else:
            u = self.rng.random(x.shape, dtype=np.float32)
            mask = (u >= self.rate).astype(x.dtype)
            mask *= x.dtype.type(1.0 / (1.0 - self.rate))
        self._mask = mask
        return x * mask

    def backward(self, dy):
        if not self.needs_dx:
            return None
        if self._mask is None:
            return dy
        np.multiply(dy, self._mask, out=dy)
        return dy


class ActivationLayer(Layer):
    """A standalone activation function: ``a = f(x)``, ``(N, *shape) -> (N, *shape)``.

    The design kind is ``"Activation"``; the function objects themselves are
    :class:`nnstudio.core.activations.Activation`.
    """

    kind = "Activation"

    def __init__(self, name: str, input_shape: tuple[int, ...], function: str = "relu",
                 dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        self.activation = get_activation(function)
        self._a: np.ndarray | None = None

    def forward(self, x, training=False):
        a = self.activation.forward(x)             # never in place: x belongs to the producer
        if training:
            self._a = a
        return a

    def backward(self, dy):
        if self._a is None:
            raise self._no_cache()
        if not self.needs_dx:
            return None
        return dy if self.fused_head else self.activation.backward(self._a, dy)


class Add(Layer):
    """Element-wise sum of two or more inputs of equal shape: ``(N, *s) x k -> (N, *s)``."""

    kind = "Add"
    merge = True

    def __init__(self, name: str, input_shapes: list[tuple[int, ...]], dtype=np.float32):
        super().__init__(name, input_shapes[0], dtype)
        self.input_shapes = [tuple(s) for s in input_shapes]
        if any(s != self.input_shape for s in self.input_shapes):
            raise ValueError(f"Add '{name}' needs inputs of equal shape, got {input_shapes}")

    def forward(self, xs, training=False):
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y += x
        return y

    def backward(self, dy):
        # every input gets its own array: receivers may overwrite their gradient in place
        return [dy] + [dy.copy() for _ in self.input_shapes[1:]]


class Concatenate(Layer):
    """Joins inputs along axis 1: features of flat inputs ``(N, F_i) -> (N, sum F_i)``, or
    channels of images ``(N, C_i, H, W) -> (N, sum C_i, H, W)``."""

    kind = "Concatenate"
    merge = True

    def __init__(self, name: str, input_shapes: list[tuple[int, ...]], dtype=np.float32):
        super().__init__(name, input_shapes[0], dtype)
        self.input_shapes = [tuple(s) for s in input_shapes]
        rest = {s[1:] for s in self.input_shapes}
        if len(rest) != 1:
            raise ValueError(f"Concatenate '{name}': inputs differ beyond axis 1: "
                             f"{input_shapes}")
        self.sizes = [s[0] for s in self.input_shapes]
        self.output_shape = (sum(self.sizes), *self.input_shape[1:])

    def forward(self, xs, training=False):
        return np.concatenate(xs, axis=1)

    def backward(self, dy):
        return np.split(dy, np.cumsum(self.sizes)[:-1], axis=1)   # disjoint views
