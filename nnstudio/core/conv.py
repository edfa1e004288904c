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

When the patch is short (a first layer on one channel: ``C*k*k + 1 <= 32`` rows), the forward
product and the weight gradient run in blocks of columns (:mod:`nnstudio.core.convgemm`):
the same sums, 2-3x faster through BLAS.

The padded input, ``cols``, ``dZ`` and the padded input gradient are reused between training
batches (:class:`~nnstudio.core.buffers.Buffers`); an inference pass allocates its own arrays.

When the network finds a Conv2D (ReLU) whose only consumer is a 2x2 / stride-2 MaxPool2D, the
training passes of the pair run as one, in :class:`~nnstudio.core.convpool.PooledConv`
(im2col columns ordered by pool phase, sample index innermost). So does inference when only
the network's output is wanted (``predict``, ``evaluate``: :meth:`PooledConv.infer`, in
scratch arrays of its own); a pass that hands out every node's output (``forward``,
``activations``) keeps the two layers apart.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .activations import get_activation
from .buffers import Buffers
from .convgemm import matmul_columns, matmul_nt_columns
from .convpool import PooledConv
from .layers import Layer, init_weights
from .parallel import for_chunks

__all__ = ["Conv2D", "MaxPool2D", "conv_output_size"]


def conv_output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis: 'same' pads ``(k-1)//2`` on each side (``ceil(size/s)``
    outputs for odd ``k``), 'valid' pads nothing (``(size-k)//s + 1`` outputs)."""
    pad = (kernel - 1) // 2 if padding == "same" else 0
    return (size + 2 * pad - kernel) // stride + 1


def _channel_major(x: np.ndarray) -> bool:
    """True when ``x (N, C, H, W)`` is laid out channel by channel (a transposed view)."""
    return x.shape[0] > 1 and x.shape[1] > 1 and abs(x.strides[1]) > abs(x.strides[0])


def _buffer_like(buf: Buffers, key: str, x: np.ndarray) -> np.ndarray:
    """A reused ``(N, C, H, W)`` array with the same channel/sample order as ``x``, so that
    element-wise work on both runs through memory in step."""
    if _channel_major(x):
        n, c, h, w = x.shape
        return buf.get(key, (c, n, h, w), x.dtype).transpose(1, 0, 2, 3)
    return buf.get(key, x.shape, x.dtype)


def _outer_axis(x: np.ndarray) -> tuple[int, int]:
    """The axis of ``x (N, C, H, W)`` with the largest stride (0 or 1) and its length:
    splitting along it gives each thread one compact block of memory."""
    ax = 1 if _channel_major(x) else 0
    return ax, x.shape[ax]


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
        self._buf = Buffers()
        self._cols: np.ndarray | None = None
        self._a: np.ndarray | None = None
        #: Set by the network when the only consumer (a MaxPool2D) already applied the ReLU
        #: derivative to the gradient it passes back.
        self.relu_done_by_consumer = False
        self._grad_view: np.ndarray | None = None
        #: Set by the network when a 2x2 / stride-2 MaxPool2D is the only consumer of this
        #: ReLU layer: training passes then return the pooled output and take its gradient
        #: (:mod:`nnstudio.core.convpool`); the pool passes both through.
        self.pooled: PooledConv | None = None

    def grad_target(self, n: int) -> np.ndarray:
        """A ``(n, F, Ho, Wo)`` view of this layer's own gradient buffer: a consumer that
        writes its input gradient here saves this layer a copy in :meth:`backward`."""
        F, Ho, Wo = self.output_shape
        dzT = self._buf.get("dzT", (F, n, Ho, self._row), self.dtype, fill=0)
        view = dzT[:, :, :, :Wo].transpose(1, 0, 2, 3)
        self._grad_view = view
        return view

    def _getter(self, training: bool):
        """Buffer source: reused arrays in training, fresh ones for inference."""
        if training:
            return self._buf.get

        def fresh(key, shape, dtype, fill=None):
            if fill is None:
                return np.empty(shape, dtype)
            return np.zeros(shape, dtype) if fill == 0 else np.full(shape, fill, dtype)
        return fresh

    def _unfold(self, x: np.ndarray, training: bool) -> np.ndarray:
        """``x (N, C, H, W)`` (any strides) -> ``cols (C*k*k + 1, N*Ho*Wr)``; the last row is
        all ones so that the bias rides along in the matrix product."""
        N = x.shape[0]
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        Hp, Wp = H + 2 * p, W + 2 * p
        get = self._getter(training)
        plane = Hp * Wp
        # padded input, channel-major (C, N, Hp, Wp), k values of slack at the end
        flat = get("xp", (C * N * plane + k,), x.dtype, fill=0)
        xp = flat[:C * N * plane].reshape(C, N, Hp, Wp)
        xT = x.transpose(1, 0, 2, 3)

        def pad(lo: int, hi: int) -> None:
            xp[:, lo:hi, p:p + H, p:p + W] = xT[:, lo:hi]            # the border stays zero
        for_chunks(pad, N, x.size)
        it = flat.itemsize
        if s == 1:
            # "wide" rows: each (channel, row offset, column offset, sample) row of cols is
            # one contiguous run of the padded plane, Ho*Wp long
            L = Ho * Wp
            view = as_strided(flat, (C, k, k, N, L), (N * plane * it, Wp * it, it, plane * it, it),
                              writeable=False)
        else:
            L = Ho * Wo
            view = as_strided(flat, (C, k, k, N, Ho, Wo),
                              (N * plane * it, Wp * it, it, plane * it, s * Wp * it, s * it),
                              writeable=False)
        cols = get("cols", (C * k * k + 1, N * L), x.dtype)
        cols[-1] = 1
        dst = cols[:-1].reshape(view.shape)

        def copy(lo: int, hi: int) -> None:
            np.copyto(dst[:, :, :, lo:hi], view[:, :, :, lo:hi])
        for_chunks(copy, N, dst.size)
        return cols

    @property
    def _row(self) -> int:
        """Length of an output row in ``cols``: the padded width at stride 1 (junk columns
        included), the output width otherwise."""
        return self.input_shape[2] + 2 * self.pad if self.stride == 1 else self.output_shape[2]

    def forward(self, x, training=False):
        if training and self.pooled is not None:
            return self.pooled.forward(x)
        N = x.shape[0]
        F, Ho, Wo = self.output_shape
        cols = self._unfold(x, training)
        Wb = np.empty((F, cols.shape[0]), x.dtype)                   # [W | b]
        Wb[:, :-1] = self.W.value.reshape(F, -1)
        Wb[:, -1] = self.b.value
        # (F, N*Ho*Wr); in training the output lives in a reused buffer until the next batch
        z = matmul_columns(Wb, cols, self._getter(training)("z", (F, cols.shape[1]), x.dtype))
        a = z.reshape(F, N, Ho, self._row)[:, :, :, :Wo].transpose(1, 0, 2, 3)
        if self.activation.name == "softmax":                        # over the channels
            self.activation.forward(a, out=a)
        elif self.activation.name != "linear":                       # element-wise: junk too
            act = self.activation.forward
            for_chunks(lambda lo, hi: act(z[lo:hi], out=z[lo:hi]), F, z.size)
        if training:
            self._cols, self._a = cols, a
        return a                                                     # (N, F, Ho, Wo) view

    def backward(self, dy):
        if self.pooled is not None and self.pooled._cache is not None:
            return self.pooled.backward(dy)
        if self._cols is None:
            raise self._no_cache()
        a, cols = self._a, self._cols
        N, F, Ho, Wo = a.shape
        dyT = dy.reshape(a.shape).transpose(1, 0, 2, 3)              # (F, N, Ho, Wo)
        # dZ laid out (F, N, Ho, Wr); junk columns stay zero so they add nothing below
        dzT = self._buf.get("dzT", (F, N, Ho, self._row), a.dtype, fill=0)
        dst = dzT[:, :, :, :Wo]
        in_place = dy is self._grad_view                     # the consumer wrote it there
        self._grad_view = None
        if self.fused_head or (self.relu_done_by_consumer and self.activation.name == "relu"):
            if not in_place:
                for_chunks(lambda lo, hi: np.copyto(dst[lo:hi], dyT[lo:hi]), F, dst.size)
        elif self.activation.name == "relu":
            aT = a.transpose(1, 0, 2, 3)
            for_chunks(lambda lo, hi: np.multiply(dyT[lo:hi], aT[lo:hi] > 0, out=dst[lo:hi]),
                       F, dst.size)
        else:
            g = self.activation.backward(a, dy.reshape(a.shape))     # (N, F, Ho, Wo)
            np.copyto(dst, g.transpose(1, 0, 2, 3))
        dz = dzT.reshape(F, -1)
        # [dW | db]^T = cols @ dz^T, (C*k*k + 1, F): OpenBLAS runs this orientation of the
        # long-K product 1.5-2.5x faster than dz @ cols^T
        dWbT = matmul_nt_columns(cols, dz)
        self.W.grad.reshape(F, -1)[...] = dWbT[:-1].T
        self.b.grad[...] = dWbT[-1]
        if not self.needs_dx:
            return None
        Wm = self.W.value.reshape(F, -1)
        dcols = self._buf.get("dcols", (Wm.shape[1], dz.shape[1]), dz.dtype)
        np.matmul(Wm.T, dz, out=dcols)                               # (C*k*k, N*Ho*Wr)
        return self._fold(dcols, N)

    def _fold(self, dcols: np.ndarray, N: int) -> np.ndarray:
        """``dcols (C*k*k, N*Ho*Wr) -> dx (N, C, H, W)`` (a channel-major view): adds every
        window back."""
        C, H, W = self.input_shape
        k, s, p = self.k, self.stride, self.pad
        _, Ho, Wo = self.output_shape
        Hp, Wp = H + 2 * p, W + 2 * p
        plane = Hp * Wp
        flat = self._buf.get("dxp", (C * N * plane,), dcols.dtype)
        dxp = flat.reshape(C, N, Hp, Wp)
        it = flat.itemsize
        if s == 1:
            # each run stops before the k-1 junk values at its end, so it never reaches
            # the next plane and the chunks below touch disjoint memory
            L = Ho * Wp - (k - 1)
            d5 = dcols.reshape(C, k, k, N, Ho * Wp)
            runs = [(as_strided(flat[i * Wp + j:], (C, N, L), (N * plane * it, plane * it, it)),
                     d5[:, i, j, :, :L]) for i in range(k) for j in range(k)]

            def fold(lo: int, hi: int) -> None:
                dxp[:, lo:hi] = 0
                for dst, src in runs:
                    dst[:, lo:hi] += src[:, lo:hi]
        else:
            d6 = dcols.reshape(C, k, k, N, Ho, Wo)

            def fold(lo: int, hi: int) -> None:
                dxp[:, lo:hi] = 0
                for i in range(k):
                    for j in range(k):
                        dxp[:, lo:hi, i:i + s * (Ho - 1) + 1:s,
                            j:j + s * (Wo - 1) + 1:s] += d6[:, i, j, lo:hi]
        for_chunks(fold, N, dcols.size)
        dxp = flat[:C * N * plane].reshape(C, N, Hp, Wp)
        return dxp[:, :, p:p + H, p:p + W].transpose(1, 0, 2, 3)


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
        self._buf = Buffers()
        #: Set by the network when the input comes straight from a ReLU whose derivative this
        #: layer then applies (on its 4x smaller output) instead of the producer.
        self.apply_relu_derivative = False
        #: Set by the network to the producing Conv2D, which lends its gradient buffer.
        self.grad_target: Conv2D | None = None
        #: Set by the network when the producing Conv2D pools in its own training pass
        #: (``conv.pooled``): training passes are then identities here.
        self.fused_into: Conv2D | None = None

    def _slice(self, x: np.ndarray, i: int, j: int) -> np.ndarray:
        _, Ho, Wo = self.output_shape
        s = self.stride
        return x[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s]

    def _rows(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Even and odd rows of the pooled area: two ``(N, C, Ho, 2*Wo)`` views."""
        _, Ho, Wo = self.output_shape
        return x[:, :, 0:2 * Ho:2, :2 * Wo], x[:, :, 1:2 * Ho:2, :2 * Wo]

    def forward(self, x, training=False):
        if training and self.fused_into is not None:
            self._cache = None
            return x                                   # pooled by the convolution already
        x = x.reshape(x.shape[0], *self.input_shape)
        if self._pair:
            # pairs of rows first (long contiguous runs), then pairs of columns
            top, bottom = self._rows(x)
            if training:
                r = _buffer_like(self._buf, "r", top)
            else:
                r = np.empty_like(top)
            y = np.empty_like(r[..., 0::2])
            ax, n = _outer_axis(x)

            def pool(lo: int, hi: int) -> None:
                sl = (slice(None),) * ax + (slice(lo, hi),)
                np.maximum(top[sl], bottom[sl], out=r[sl])             # (N, C, Ho, 2*Wo)
                np.maximum(r[sl][..., 0::2], r[sl][..., 1::2], out=y[sl])
            for_chunks(pool, n, x.size)
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
        if self.fused_into is not None and self._cache is None:
            return dy                                  # the convolution routes it
        if self._cache is None:
            raise self._no_cache()
        if not self.needs_dx:
            return None
        x, y = self._cache[:2]
        sl = self._slice
        exact_cover = self._pair and all(n % 2 == 0 for n in self.input_shape[1:])
        if self.grad_target is not None:
            dx = self.grad_target.grad_target(x.shape[0])
        else:
            dx = _buffer_like(self._buf, "dx", x)         # consumed before the next batch
        if self._pair:
            r = self._cache[2]
            dr = _buffer_like(self._buf, "dr", r)
            top, bottom = self._rows(x)
            dtop, dbottom = self._rows(dx)
            relu = self.apply_relu_derivative
            ax, n = _outer_axis(x)

            def unpool(lo: int, hi: int) -> None:
                sl = (slice(None),) * ax + (slice(lo, hi),)
                if not exact_cover:
                    dx[sl] = 0
                g = dy[sl] * (y[sl] > 0) if relu else dy[sl]
                rs, drs = r[sl], dr[sl]
                left, right = drs[..., 0::2], drs[..., 1::2]
                np.multiply(g, rs[..., 0::2] >= rs[..., 1::2], out=left)
                np.subtract(g, left, out=right)
                np.multiply(drs, top[sl] >= bottom[sl], out=dtop[sl])
                np.subtract(drs, dtop[sl], out=dbottom[sl])
            for_chunks(unpool, n, x.size)
            return dx
        dx[...] = 0
        if self.apply_relu_derivative:
            dy = dy * (y > 0)
        remaining = dy.copy()                 # gradient not yet given to an earlier maximum
        part = np.empty_like(dy)
        for i in range(self.pool):
            for j in range(self.pool):
                np.multiply(remaining, sl(x, i, j) == y, out=part)
                remaining -= part
                sl(dx, i, j)[...] += part
        return dx
