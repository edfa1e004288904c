"""Image layers: Conv2D (im2col through a strided view + one BLAS matmul) and MaxPool2D.

Images are channels-first: a batch is ``(N, C, H, W)``.

Convolution layout
------------------
The padded input is unfolded once per batch into ``cols`` of shape ``(C*k*k, N*Ho*Wr)``
(copied from a zero-copy strided view), so the forward pass is a single large matrix product
``[W | b] (F, C*k*k + 1) @ cols -> (F, N*Ho*Wr)`` (a row of ones in ``cols`` adds the bias)
and the backward pass two more (``[dW | db] = dZ @ cols.T``, ``dcols = W.T @ dZ``). One large
product runs much closer to the BLAS peak than N small per-sample ones. The result is
transposed to ``(N, F, Ho, Wo)`` in the same pass that applies ReLU. ``dcols`` is folded
back with ``k*k`` strided additions.

At stride 1 the rows are "wide" (``Wr`` = padded width): output pixel ``(i, j)`` reads the
flat padded plane at ``i*Wp + j + di*Wp + dj``, so each row of ``cols`` is one contiguous run
of ``Ho*Wp`` values and both unfolding and folding copy long runs instead of ``Wo``-long
snippets. The ``k-1`` junk columns per output row this adds are dropped from the output and
carry zero gradient. Other strides unfold exactly (``Wr = Wo``).

The padded input, ``cols``, ``dZ`` and the padded input gradient are reused between training
batches; an inference pass allocates its own arrays.
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

    def get(self, key: str, shape: tuple[int, ...], dtype, fill: float | None = None
            ) -> np.ndarray:
        """The array ``key``; a new one (filled with ``fill`` if given) on a shape change."""
        a = self._arrays.get(key)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
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
        """``(N, C, H, W) -> cols (C*k*k + 1, N*Ho*Wr)`` (see :attr:`_row`); the last row
        is all ones so that the bias rides along in the matrix product."""
        N = x.shape[0]
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        Hp, Wp = H + 2 * p, W + 2 * p
        CK = C * k * k
        if training:
            get = self._buf.get
        else:
            def get(key, shape, dtype, fill=None):
                return np.zeros(shape, dtype) if fill is None else np.full(shape, fill, dtype)
        if s == 1:
            # "wide" unfolding: every (channel, row offset, column offset, sample) row of
            # cols is one contiguous run of the flat padded plane, Ho*Wp long. The last k-1
            # columns of every output row are junk (they straddle the border) and are dropped.
            plane = Hp * Wp
            flat = get("xp", (N * C * plane + k,), x.dtype, fill=0)    # k: slack at the end
            flat[:N * C * plane].reshape(N, C, Hp, Wp)[:, :, p:p + H, p:p + W] = x
            L = Ho * Wp
            it = flat.itemsize
            view = as_strided(flat, (C, k, k, N, L), (plane * it, Wp * it, it, C * plane * it, it),
                              writeable=False)
        else:
            if p:
                xp = get("xp", (N, C, Hp, Wp), x.dtype, fill=0)
                xp[:, :, p:p + H, p:p + W] = x         # the border stays zero
            else:
                xp = x
            L = Ho * Wo
            sN, sC, sH, sW = xp.strides
            view = as_strided(xp, (C, k, k, N, Ho, Wo), (sC, sH, sW, sN, sH * s, sW * s),
                              writeable=False)
        cols = get("cols", (CK + 1, N * L), x.dtype, fill=1)
        np.copyto(cols[:CK].reshape(view.shape), view)
        return cols

    @property
    def _row(self) -> int:
        """Length of an output row in ``cols``: the padded width at stride 1 (junk columns
        included), the output width otherwise."""
        return self.input_shape[2] + 2 * self.pad if self.stride == 1 else self.output_shape[2]

    def forward(self, x, training=False):
        N = x.shape[0]
        F, Ho, Wo = self.output_shape
        cols = self._unfold(x, training)
        Wb = np.empty((F, cols.shape[0]), x.dtype)                   # [W | b]
        Wb[:, :-1] = self.W.value.reshape(F, -1)
        Wb[:, -1] = self.b.value
        z = Wb @ cols                                                # (F, N*Ho*Wr)
        zv = z.reshape(F, N, Ho, self._row)[:, :, :, :Wo].transpose(1, 0, 2, 3)
        a = np.empty((N, F, Ho, Wo), x.dtype)
        if self.activation.name == "relu":
            np.maximum(zv, 0, out=a)                                 # relu + transpose
        else:
            np.copyto(a, zv)
            self.activation.forward(a, out=a)
        if training:
            self._cols, self._a = cols, a
        return a

    def backward(self, dy):
        if self._cols is None:
            raise self._no_cache()
        a, cols = self._a, self._cols
        N, F, Ho, Wo = a.shape
        dy = dy.reshape(a.shape)
        # dZ laid out (F, N, Ho, Wr); junk columns stay zero so they add nothing below
        dzT = self._buf.get("dzT", (F, N, Ho, self._row), a.dtype, fill=0)
        dst = dzT[:, :, :, :Wo]
        if self.fused_head:
            np.copyto(dst, dy.transpose(1, 0, 2, 3))
        elif self.activation.name == "relu":                          # fused with the copy
            np.multiply(dy.transpose(1, 0, 2, 3), a.transpose(1, 0, 2, 3) > 0, out=dst)
        else:
            np.copyto(dst, self.activation.backward(a, dy).transpose(1, 0, 2, 3))
        dz = dzT.reshape(F, -1)
        dWb = dz @ cols.T                                            # [dW | db]
        self.W.grad.reshape(F, -1)[...] = dWb[:, :-1]
        self.b.grad[...] = dWb[:, -1]
        if not self.needs_dx:
            return None
        dcols = self.W.value.reshape(F, -1).T @ dz                   # (C*k*k, N*Ho*Wr)
        return self._fold(dcols, N)

    def _fold(self, dcols: np.ndarray, N: int) -> np.ndarray:
        """``dcols (C*k*k, N*Ho*Wr) -> dx (N, C, H, W)``: adds every window back."""
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        Hp, Wp = H + 2 * p, W + 2 * p
        plane = Hp * Wp
        flat = self._buf.get("dxp", (N * C * plane + k * Wp + k,), dcols.dtype)
        flat.fill(0)
        it = flat.itemsize
        if s == 1:
            L = Ho * Wp
            d5 = dcols.reshape(C, k, k, N, L)
            for i in range(k):
                for j in range(k):
                    off = i * Wp + j
                    dst = as_strided(flat[off:], (C, N, L), (plane * it, C * plane * it, it))
                    dst += d5[:, i, j]                 # one contiguous run per plane
        else:
            d6 = dcols.reshape(C, k, k, N, Ho, Wo)
            dxpT = flat[:N * C * plane].reshape(N, C, Hp, Wp).transpose(1, 0, 2, 3)
            for i in range(k):
                for j in range(k):
                    dxpT[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] += d6[:, i, j]
        dxp = flat[:N * C * plane].reshape(N, C, Hp, Wp)
        return dxp[:, :, p:p + H, p:p + W] if p else dxp


class MaxPool2D(Layer):
    """Max pooling over ``pool × pool`` windows every ``stride`` pixels (default: ``pool``).

    Shapes: ``(N, C, H, W) -> (N, C, Ho, Wo)`` with ``Ho = (H - pool)//stride + 1``.
    Exactly one maximum of each window receives the gradient, so equal values (common after
    ReLU, or over a blank background) are not counted twice.

    The common 2×2 / stride 2 case takes the maximum of row pairs (long contiguous runs) and
    then of column pairs, and keeps the row-pair maxima for an exact backward; NumPy runs this
    several times faster than ``x.reshape(N, C, Ho, 2, Wo, 2).max(axis=(3, 5))``. Other sizes
    (overlapping windows included) take the maximum over ``pool*pool`` strided slices.
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

    def _rows(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Even and odd rows of the pooled area: two ``(N, C, Ho, 2*Wo)`` views."""
        _, Ho, Wo = self.output_shape
        return x[:, :, 0:2 * Ho:2, :2 * Wo], x[:, :, 1:2 * Ho:2, :2 * Wo]

    def forward(self, x, training=False):
        x = x.reshape(x.shape[0], *self.input_shape)
        if self._pair:
            # pairs of rows first (long contiguous runs), then pairs of columns
            rows = self._rows(x)
            r = np.maximum(*rows)                                      # (N, C, Ho, 2*Wo)
            y = np.maximum(r[..., 0::2], r[..., 1::2])
            if training:
                self._cache = (x, y, r)
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
        exact_cover = self._pair and all(n % 2 == 0 for n in self.input_shape[1:])
        dx = np.empty_like(x) if exact_cover else np.zeros_like(x)
        if self._pair:
            r = self._cache[2]
            dr = np.empty_like(r)
            left, right = dr[..., 0::2], dr[..., 1::2]
            np.multiply(dy, r[..., 0::2] >= r[..., 1::2], out=left)
            np.subtract(dy, left, out=right)
            top, bottom = self._rows(dx)
            np.multiply(dr, np.greater_equal(*self._rows(x)), out=top)
            np.subtract(dr, top, out=bottom)
            return dx
        remaining = dy.copy()                 # gradient not yet given to an earlier maximum
        part = np.empty_like(dy)
        for i in range(self.pool):
            for j in range(self.pool):
                np.multiply(remaining, sl(x, i, j) == y, out=part)
                remaining -= part
                sl(dx, i, j)[...] += part
        return dx
