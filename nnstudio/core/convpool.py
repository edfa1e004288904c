"""Training path of Conv2D (ReLU) -> MaxPool2D 2x2 / stride 2, computed as one step.

:class:`~nnstudio.core.conv.Conv2D` hands its training passes here when the network found
such a pair (stride-1 convolution, even output size, the pool its only consumer). The
result is the pooled, rectified output ``(N, F, Ho/2, Wo/2)``; the pool layer then passes
its input and gradient through unchanged. Inference that wants only the network's output
(validation, ``predict``) takes the same pass (:meth:`PooledConv.infer`); inference that
hands out every node's activation keeps the two separate layers.

Why: a 2x2 max-pool reads and routes its gradient through stride-2 views, which NumPy cannot
vectorise, and those passes cost more than the convolution's products. Here the im2col
matrix ``cols`` orders its columns **by pool phase**: output pixel ``(2i + a, 2j + b)`` goes
to block ``a*2 + b`` of ``(4, N, Ho/2, Wr)``. The product ``z = [W | b] @ cols`` then holds
the four pixels of every pooling window in four contiguous blocks, so pooling is three
contiguous ``np.maximum`` calls, and routing the gradient back to the winner a few
contiguous multiplies. ReLU commutes with max, so it runs on the pooled (4x smaller) array.
The winner of a window is the first of its four pixels equal to the pooled maximum (kept
as one-byte masks while they are worked out), so a tie gives the gradient once, as the
separate :class:`~nnstudio.core.conv.MaxPool2D` does.

Polyphase input: the padded input is split into its four phases
``xph[c, pa, pb, u, v, n] = xpad[c, n, 2u + pa, 2v + pb]``, each ``Hp/2 x Wp/2``. Window
offset ``(di, dj)`` of output ``(2i + a, 2j + b)`` reads phase ``((a+di)%2, (b+dj)%2)`` at
``(i + (a+di)//2, j + (b+dj)//2)``.

Sample-minor layout: here the sample index ``n`` is the *innermost* axis of the phases, of
the columns of ``cols`` and ``z``, and of the output buffer (handed on as an ``(N, F, H, W)``
view). Then each of the ``4*k*k`` pieces of ``cols`` is, per channel, ``Ho/2`` contiguous
runs of ``Wo/2 * N`` values, and folding the input gradient back is as many long additions;
with the sample outermost they would be thousands of runs of a few values, which NumPy
iterates several times slower (and padding each row to a contiguous "wide" run would add
junk columns to every product). The input gradient is folded into the phases, then
interleaved.
"""

from __future__ import annotations

import copy

import numpy as np

from .buffers import Buffers
from .convgemm import matmul_columns, matmul_nt_columns
from .parallel import for_chunks

__all__ = ["PooledConv"]


def _window(flat: np.ndarray, offset: int, shape: tuple[int, ...],
            strides: tuple[int, ...]) -> np.ndarray:
    """A strided view into the 1-D array ``flat`` (offset and strides in elements);
    cheaper to build than ``as_strided``."""
    it = flat.itemsize
    return np.ndarray(shape, flat.dtype, buffer=flat, offset=offset * it,
                      strides=tuple(s * it for s in strides))


def _phase_span(phase: int, pad: int, size: int) -> tuple[int, int, int]:
    """For rows ``2u + phase`` of the padded image: the first ``u`` that holds an image
    row, that image row, and how many such rows there are."""
    u0 = (pad - phase + 1) // 2
    r0 = 2 * u0 + phase - pad
    return u0, r0, len(range(r0, size, 2))


class PooledConv:
    """Buffers and passes of one Conv2D's fused conv + ReLU + 2x2 max-pool training path.

    Shapes: input ``x (N, C, H, W)``, output ``(N, F, Ho/2, Wo/2)``, ``cols`` ``(C*k*k + 1,
    4*L*N)`` with ``L = Ho/2 * Wo/2``, ``z`` and ``dz`` ``(F, 4, L*N)``; the phases of the
    input ``(C, 2, 2, Hp/2, Wp/2, N)``.
    """

    def __init__(self, conv) -> None:
        self.conv = conv
        _, H, W = conv.input_shape
        _, Ho, Wo = conv.output_shape
        p = conv.pad
        self.Hh, self.Wr = (H + 2 * p) // 2, (W + 2 * p) // 2     # phase planes
        self.Ho2, self.Wo2 = Ho // 2, Wo // 2
        self.L = self.Ho2 * self.Wo2
        self.plane = self.Hh * self.Wr
        self.spans = [(_phase_span(ph, p, H), _phase_span(ph, p, W)) for ph in (0, 1)]
        self._views: dict[str, tuple] = {}
        self._cache: tuple | None = None
        self._scratch = Buffers()                                    # for :meth:`infer`

    def __deepcopy__(self, memo: dict) -> PooledConv:
        """A copy for a copied network: the same geometry, none of the views and arrays
        (they are rebuilt on first use)."""
        new = PooledConv.__new__(PooledConv)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key not in ("_views", "_cache", "_scratch"):
                setattr(new, key, copy.deepcopy(value, memo))
        new._views, new._cache, new._scratch = {}, None, Buffers()
        return new

    def scratch_bytes(self) -> int:
        """Bytes of the arrays an inference pass uses per sample (``cols``, ``z``, the
        pooled output and the input's phases)."""
        conv = self.conv
        C = conv.input_shape[0]
        k, F = conv.k, conv.filters
        values = (C * k * k + 1 + F) * 4 * self.L + F * self.L + C * 4 * self.plane
        return values * np.dtype(conv.dtype).itemsize

    @staticmethod
    def fits(conv) -> bool:
        """Whether ``conv`` (already checked to be ReLU) can take this path."""
        _, Ho, Wo = conv.output_shape
        return conv.stride == 1 and Ho % 2 == 0 and Wo % 2 == 0

    # ---------------------------------------------------------------- geometry
    def _pieces(self):
        """``(phase block, di, dj, plane index, offset)`` of the ``4*k*k`` runs of cols:
        the run for window offset (di, dj) of pool phase (a, b) starts ``offset`` into
        phase plane ``plane index`` (of 4)."""
        k, Wr = self.conv.k, self.Wr
        for a in (0, 1):
            for b in (0, 1):
                for di in range(k):
                    for dj in range(k):
                        ph = ((a + di) % 2) * 2 + (b + dj) % 2
                        yield a * 2 + b, di, dj, ph, ((a + di) // 2) * Wr + (b + dj) // 2

    def _cached(self, key: str, owners: tuple[np.ndarray, ...], build):
        """Views over reused buffers, rebuilt only when a buffer is replaced."""
        entry = self._views.get(key)
        if entry is None or any(a is not b for a, b in zip(entry[0], owners, strict=True)):
            entry = (owners, build())
            self._views[key] = entry
        return entry[1]

    # ---------------------------------------------------------------- forward
    def _unfold(self, x: np.ndarray, get, key: str) -> np.ndarray:
        conv = self.conv
        N = x.shape[0]
        C = conv.input_shape[0]
        k, L, plane = conv.k, self.L, self.plane
        # phases of the padded input (C, 2, 2, Hh, Wr, N); the border stays zero
        flat = get("xph", (C * 4 * plane * N,), x.dtype, fill=0)
        xph = flat.reshape(C, 2, 2, self.Hh, self.Wr, N)
        xS = x.transpose(1, 2, 3, 0)                                 # (C, H, W, N)
        cols = get("pcols", (C * k * k + 1, 4 * L * N), x.dtype)
        cols[-1] = 1                                                 # the bias's row
        cols6 = cols[:-1].reshape(C, k, k, 4, self.Ho2, self.Wo2 * N)
        shape, strides = (C, self.Ho2, self.Wo2 * N), (4 * plane * N, self.Wr * N, 1)

        def build():
            return [(cols6[:, di, dj, blk], _window(flat, (ph * plane + off) * N, shape, strides))
                    for blk, di, dj, ph, off in self._pieces()]
        runs = self._cached(key, (cols, flat), build)

        def copy(lo: int, hi: int) -> None:                          # channels lo..hi
            for pa in (0, 1):
                for pb in (0, 1):
                    (u0, r0, nr), (v0, c0, nc) = self.spans[pa][0], self.spans[pb][1]
                    xph[lo:hi, pa, pb, u0:u0 + nr, v0:v0 + nc] = xS[lo:hi, r0::2, c0::2]
            for dst, src in runs:
                np.copyto(dst[lo:hi], src[lo:hi])
        for_chunks(copy, C, cols.size)
        return cols

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Training forward: ``x (N, C, H, W)`` -> pooled ReLU output ``(N, F, Ho/2, Wo/2)``
        (a channel-major view of a reused buffer)."""
        cols, z, y = self._pass(x, self.conv._buf.get, "unfold")
        self._cache = (cols, z, y)
        return self._handed(y, x.shape[0])

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Inference forward, the same output as :meth:`forward` (and as the separate conv
        and pool layers) without keeping anything for a backward pass. The arrays are
        scratch of this object's own, reused by the next call: the result is valid until
        then (the next layer consumes it)."""
        return self._handed(self._pass(x, self._scratch.get, "infer")[2], x.shape[0])

    def _handed(self, y: np.ndarray, n: int) -> np.ndarray:
        """``y (F, Ho/2 * Wo/2 * N)`` as the ``(N, F, Ho/2, Wo/2)`` view handed on."""
        return y.reshape(self.conv.filters, self.Ho2, self.Wo2, n).transpose(3, 0, 1, 2)

    def _pass(self, x: np.ndarray, get, key: str
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``cols``, ``z (F, 4, L*N)`` and the pooled ReLU output ``y (F, L*N)`` of ``x``,
        in the buffers ``get`` gives."""
        conv = self.conv
        N = x.shape[0]
        F = conv.filters
        cols = self._unfold(x, get, key)
        Wb = np.empty((F, cols.shape[0]), x.dtype)                   # [W | b]
        Wb[:, :-1] = conv.W.value.reshape(F, -1)
        Wb[:, -1] = conv.b.value
        M = self.L * N
        z = matmul_columns(Wb, cols, get("pz", (F, 4 * M), x.dtype)).reshape(F, 4, M)
        y = get("py", (F, M), x.dtype)

        def pool(lo: int, hi: int) -> None:                          # rows = filters
            zz, yy = z[lo:hi], y[lo:hi]
            np.maximum(zz[:, 0], zz[:, 1], out=yy)                   # the window's four
            np.maximum(yy, zz[:, 2], out=yy)                         # pixels, one after
            np.maximum(yy, zz[:, 3], out=yy)                         # the other
            np.maximum(yy, 0, out=yy)                                # ReLU after the max
        for_chunks(pool, F, z.size)
        return cols, z, y

    # ---------------------------------------------------------------- backward
    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        """``dy (N, F, Ho/2, Wo/2)`` -> fills W/b grads; returns ``dx (N, C, H, W)`` (a
        channel-major view of a reused buffer) or ``None`` when not needed."""
        conv, get = self.conv, self.conv._buf.get
        cols, z, y = self._cache
        F, _, M = z.shape
        N = M // self.L
        dt = z.dtype
        shape4 = (F, self.Ho2, self.Wo2, N)
        dyS = dy.reshape(N, F, self.Ho2, self.Wo2).transpose(1, 2, 3, 0)
        y4 = y.reshape(shape4)
        z4 = z.reshape(F, 4, *shape4[1:])
        dz = get("pdz", (F, 4, M), dt)
        dz4 = dz.reshape(z4.shape)
        # which pixel of each window gets the gradient, as 1-byte masks (NumPy combines
        # these far faster than it multiplies float gradients by them)
        rest, pick = get("prest", shape4, np.bool_), get("ppick", shape4, np.bool_)

        def route(lo: int, hi: int) -> None:
            # the gradient goes to the first pixel of each window (in the order top left,
            # top right, bottom left, bottom right) that holds its maximum; to none where
            # the ReLU after the max cut the output (y = 0 there; elsewhere y = that max)
            r, p, zz, d, g, yy = rest[lo:hi], pick[lo:hi], z4[lo:hi], dz4[lo:hi], dyS[lo:hi], \
                y4[lo:hi]
            np.greater(yy, 0, out=r)                                 # not yet given
            for q in range(3):
                np.equal(zz[:, q], yy, out=p)
                np.logical_and(p, r, out=p)
                np.logical_xor(r, p, out=r)
                np.multiply(g, p, out=d[:, q])
            np.multiply(g, r, out=d[:, 3])                           # the max is the last
        for_chunks(route, F, dz.size)
        dz2 = dz.reshape(F, -1)
        dWbT = matmul_nt_columns(cols, dz2)                          # [dW | db]^T
        conv.W.grad.reshape(F, -1)[...] = dWbT[:-1].T
        conv.b.grad[...] = dWbT[-1]
        if not conv.needs_dx:
            return None
        Wm = conv.W.value.reshape(F, -1)
        dcols = np.matmul(Wm.T, dz2, out=get("pdcols", (Wm.shape[1], dz2.shape[1]), dt))
        return self._fold(dcols, N)

    def _fold(self, dcols: np.ndarray, N: int) -> np.ndarray:
        """``dcols (C*k*k, 4*N*L)`` -> ``dx (N, C, H, W)``: adds every window back into the
        input's phases, then interleaves the phases.

        The ``4*k*k`` pieces of ``dcols`` land on only 16 places (4 phase planes, each at
        one of 4 shifts): pieces bound for the same place are first summed where they lie,
        in contiguous rows (``dcols`` is scratch), and each sum is then added once into the
        phases, whose rows are strided (NumPy runs a strided addition several times slower
        per value than a contiguous one). The first sum of each phase plane is copied, not
        added, so only the border it does not reach is cleared first.
        """
        conv, get = self.conv, self.conv._buf.get
        C, H, W = conv.input_shape
        k, plane, LN = conv.k, self.plane, self.L * N
        flat = get("dxph", (C * 4 * plane * N,), dcols.dtype)
        dxph = flat.reshape(C, 2, 2, self.Hh, self.Wr, N)
        dx = get("pdx", (C, H, W, N), dcols.dtype)
        d4 = dcols.reshape(C, k, k, 4, LN)
        shape, strides = (C, self.Ho2, self.Wo2 * N), (4 * plane * N, self.Wr * N, 1)
        Ho2, WoN = self.Ho2, self.Wo2 * N

        def build():
            groups: dict[tuple[int, int], list[np.ndarray]] = {}
            for blk, di, dj, ph, off in self._pieces():
                groups.setdefault((ph, off), []).append(d4[:, di, dj, blk])
            # offset 0 first: it is copied into its phase plane
            return [(off == 0, _window(flat, (ph * plane + off) * N, shape, strides),
                     srcs[0].reshape(shape), srcs)
                    for (ph, off), srcs in sorted(groups.items(), key=lambda g: g[0][1] != 0)]
        places = self._cached("fold", (dcols, flat), build)

        def fold(lo: int, hi: int) -> None:                          # channels lo..hi
            dxph[lo:hi, :, :, Ho2:] = 0                              # what no copy reaches
            dxph[lo:hi, :, :, :Ho2, :, :][..., WoN // N:, :] = 0
            for first, dst, src, srcs in places:
                acc = srcs[0][lo:hi]
                for more in srcs[1:]:
                    acc += more[lo:hi]                               # contiguous rows
                if first:
                    np.copyto(dst[lo:hi], src[lo:hi])
                else:
                    dst[lo:hi] += src[lo:hi]
            for pa in (0, 1):
                for pb in (0, 1):
                    (u0, r0, nr), (v0, c0, nc) = self.spans[pa][0], self.spans[pb][1]
                    dx[lo:hi, r0::2, c0::2] = dxph[lo:hi, pa, pb, u0:u0 + nr, v0:v0 + nc]
        for_chunks(fold, C, dcols.size)
        return dx.transpose(3, 0, 1, 2)
