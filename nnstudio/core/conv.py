"""Image layers: Conv2D (im2col through a strided view + one BLAS matmul) and MaxPool2D.

Images are channels-first: a batch is ``(N, C, H, W)``.

Convolution layout
------------------
The padded input is unfolded once per batch into ``cols`` of shape ``(C*k*k, N*Ho*Wo)``
(copied from a zero-copy strided view), so the forward pass is a single large matrix product
``W (F, C*k*k) @ cols -> (F, N*Ho*Wo)`` and the backward pass two more
(``dW = dZ @ cols.T``, ``dcols = W.T @ dZ``). One large product runs much closer to the
BLAS peak than N small per-sample ones. The result is transposed to ``(N, F, Ho, Wo)`` in
the same pass that adds the bias. ``dcols`` is folded back with ``k*k`` strided additions.
The padded input, ``cols`` and the padded input gradient are reused between training batches.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .activations import get_activation
from .layers import Layer, init_weights

__all__ = ["Conv2D", "MaxPool2D", "conv_output_size"]


def conv_output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis: 'same' pads ``(k-1)//2`` on each side (``ceil(size/s)``
    outputs for odd ``k``), 'valid' pads nothing (``(size-k)//s + 1`` outputs)."""
    pad = (kernel - 1) // 2 if padding == "same" else 0
    return (size + 2 * pad - kernel) // stride + 1


class _Buffers:
    """Arrays reused between training batches, reallocated when the shape changes."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, key: str, shape: tuple[int, ...], dtype, zeros: bool = False) -> np.ndarray:
        a = self._arrays.get(key)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.zeros(shape, dtype) if zeros else np.empty(shape, dtype)
            self._arrays[key] = a
        return a


class Conv2D(Layer):
    """2-D convolution with a fused activation, channels-first.

    Shapes: ``x (N, C, H, W)``, ``W (F, C, k, k)``, ``b (F,)``, ``a (N, F, Ho, Wo)``.
    ``kernel_size`` must be odd; 'same' padding keeps ``H, W`` at stride 1.
    """

    kind = "Conv2D"

    def __init__(self, name: str, input_shape: tuple[int, ...], filters: int = 16,
                 kernel_size: int = 3, stride: int = 1, padding: str = "same",
                 activation: str = "relu", rng: np.random.Generator | None = None,
                 dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        if len(self.input_shape) != 3:
            raise ValueError(f"Conv2D '{name}' needs a C×H×W input, got {self.input_shape}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"Conv2D '{name}': kernel_size must be odd, got {kernel_size}")
        if padding not in ("same", "valid"):
            raise ValueError(f"Conv2D '{name}': padding must be 'same' or 'valid'")
        C, H, W = self.input_shape
        self.filters, self.k, self.stride = int(filters), int(kernel_size), int(stride)
        self.pad = (self.k - 1) // 2 if padding == "same" else 0
        self.padding = padding
        Ho = conv_output_size(H, self.k, self.stride, padding)
        Wo = conv_output_size(W, self.k, self.stride, padding)
        if Ho < 1 or Wo < 1:
            raise ValueError(f"Conv2D '{name}': a {self.k}×{self.k} kernel does not fit "
                             f"a {H}×{W} input with 'valid' padding")
        self.output_shape = (self.filters, Ho, Wo)
        self.activation = get_activation(activation)
        rng = rng if rng is not None else np.random.default_rng(0)
        fan_in, fan_out = C * self.k * self.k, self.filters * self.k * self.k
        self.W = self._new_param("W", init_weights((self.filters, C, self.k, self.k), fan_in,
                                                   fan_out, self.activation.relu_family, rng,
                                                   dtype))
        self.b = self._new_param("b", np.zeros(self.filters))
        self._buf = _Buffers()
        self._cols: np.ndarray | None = None
        self._a: np.ndarray | None = None

    def _unfold(self, x: np.ndarray, training: bool) -> np.ndarray:
        """``(N, C, H, W) -> cols (C*k*k, N*Ho*Wo)``."""
        N = x.shape[0]
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        if p:
            shape = (N, C, H + 2 * p, W + 2 * p)
            xp = (self._buf.get("xp", shape, x.dtype, zeros=True) if training
                  else np.zeros(shape, x.dtype))
            xp[:, :, p:p + H, p:p + W] = x         # the border stays zero
        else:
            xp = x
        sN, sC, sH, sW = xp.strides
        view = as_strided(xp, (C, k, k, N, Ho, Wo), (sC, sH, sW, sN, sH * s, sW * s),
                          writeable=False)
        shape = (C, k, k, N, Ho, Wo)
        cols = self._buf.get("cols", shape, x.dtype) if training else np.empty(shape, x.dtype)
        np.copyto(cols, view)
        return cols.reshape(C * k * k, N * Ho * Wo)

    def forward(self, x, training=False):
        N = x.shape[0]
        F, Ho, Wo = self.output_shape
        cols = self._unfold(x, training)
        z = self.W.value.reshape(F, -1) @ cols                       # (F, N*Ho*Wo)
        a = np.empty((N, F, Ho * Wo), x.dtype)
        np.add(z.reshape(F, N, Ho * Wo).transpose(1, 0, 2), self.b.value[:, None], out=a)
        self.activation.forward(a, out=a)
        if training:
            self._cols, self._a = cols, a
        return a.reshape(N, F, Ho, Wo)

    def backward(self, dy):
        if self._cols is None:
            raise self._no_cache()
        a, cols = self._a, self._cols
        N, F, HW = a.shape
        dy = dy.reshape(N, F, HW)
        dz = dy if self.fused_head else self.activation.backward(a, dy)
        dzT = np.ascontiguousarray(dz.transpose(1, 0, 2)).reshape(F, N * HW)
        np.sum(dzT, axis=1, out=self.b.grad)
        np.matmul(dzT, cols.T, out=self.W.grad.reshape(F, -1))
        if not self.needs_dx:
            return None
        dcols = self.W.value.reshape(F, -1).T @ dzT                  # (C*k*k, N*Ho*Wo)
        return self._fold(dcols, N)

    def _fold(self, dcols: np.ndarray, N: int) -> np.ndarray:
        """``dcols (C*k*k, N*Ho*Wo) -> dx (N, C, H, W)``: adds every window back."""
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        d6 = dcols.reshape(C, k, k, N, Ho, Wo)
        dxp = self._buf.get("dxp", (N, C, H + 2 * p, W + 2 * p), dcols.dtype)
        dxp.fill(0)
        dxpT = dxp.transpose(1, 0, 2, 3)                               # (C, N, Hp, Wp)
        for i in range(k):
            for j in range(k):
                dxpT[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] += d6[:, i, j]
        if p:
            return dxp[:, :, p:p + H, p:p + W]
        return dxp


class MaxPool2D(Layer):
    """Max pooling over ``pool × pool`` windows every ``stride`` pixels (default: ``pool``).

    Shapes: ``(N, C, H, W) -> (N, C, Ho, Wo)`` with ``Ho = (H - pool)//stride + 1``.
    The gradient goes to the first maximum of each window (row-major order).

    The maximum is taken over ``pool*pool`` strided slices of the input (one
    ``np.maximum`` each), which NumPy runs far faster than ``reshape(...).max(axis=(3, 5))``.
    The common 2×2 / stride 2 case keeps the two pairwise maxima for an exact, cheap
    backward; other sizes (overlapping windows included) use a general path.
    """

    kind = "MaxPool2D"

    def __init__(self, name: str, input_shape: tuple[int, ...], pool_size: int = 2,
                 stride: int | None = None, dtype=np.float32) -> None:
        super().__init__(name, input_shape, dtype)
        if len(self.input_shape) != 3:
            raise ValueError(f"MaxPool2D '{name}' needs a C×H×W input, got {self.input_shape}")
        self.pool = int(pool_size)
        self.stride = int(stride) if stride else self.pool
        C, H, W = self.input_shape
        Ho = (H - self.pool) // self.stride + 1
        Wo = (W - self.pool) // self.stride + 1
        if Ho < 1 or Wo < 1:
            raise ValueError(f"MaxPool2D '{name}': a {self.pool}×{self.pool} window does not "
                             f"fit a {H}×{W} input")
        self.output_shape = (C, Ho, Wo)
        self._pair = self.pool == 2 and self.stride == 2
        self._cache: tuple | None = None

    def _slice(self, x: np.ndarray, i: int, j: int) -> np.ndarray:
        _, Ho, Wo = self.output_shape
        s = self.stride
        return x[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s]

    def forward(self, x, training=False):
        x = x.reshape(x.shape[0], *self.input_shape)
        if self._pair:
            top = np.maximum(self._slice(x, 0, 0), self._slice(x, 0, 1))
            bottom = np.maximum(self._slice(x, 1, 0), self._slice(x, 1, 1))
            y = np.maximum(top, bottom)
            if training:
                self._cache = (x, y, top, bottom)
            return y
        y = self._slice(x, 0, 0).copy()
        for i in range(self.pool):
            for j in range(self.pool):
                if i or j:
                    np.maximum(y, self._slice(x, i, j), out=y)
        if training:
            self._cache = (x, y)
        return y

    def backward(self, dy):
        if self._cache is None:
            raise self._no_cache()
        if not self.needs_dx:
            return None
        x, y = self._cache[:2]
        sl = self._slice
        exact_cover = (self.stride == self.pool
                       and all(n % self.pool == 0 for n in self.input_shape[1:]))
        dx = np.empty_like(x) if exact_cover else np.zeros_like(x)
        if self._pair:
            top, bottom = self._cache[2:]
            dtop = dy * (top >= bottom)
            dbottom = np.subtract(dy, dtop)
            da, db, dc, dd = sl(dx, 0, 0), sl(dx, 0, 1), sl(dx, 1, 0), sl(dx, 1, 1)
            np.multiply(dtop, sl(x, 0, 0) >= sl(x, 0, 1), out=da)
            np.subtract(dtop, da, out=db)
            np.multiply(dbottom, sl(x, 1, 0) >= sl(x, 1, 1), out=dc)
            np.subtract(dbottom, dc, out=dd)
            return dx
        remaining = dy.copy()                 # gradient not yet given to an earlier maximum
        part = np.empty_like(dy)
        for i in range(self.pool):
            for j in range(self.pool):
                np.multiply(remaining, sl(x, i, j) == y, out=part)
                remaining -= part
                sl(dx, i, j)[...] += part
        return dx
