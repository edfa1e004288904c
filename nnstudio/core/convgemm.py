"""The convolutions' matrix products with a short inner dimension, cut into column blocks.

A convolution's forward product ``z = W @ cols`` and its weight gradient ``dW = cols @ dz.T``
share one long axis: the ``P`` columns of ``cols``, one per output pixel of the batch
(tens of thousands). When the patch length ``K`` (rows of ``cols``: ``C*k*k``, plus one for
the bias) is short, as in a first layer on one grey channel (``K = 10`` for 3x3), the
product does only ``F`` multiply-adds per value it reads or writes, and a BLAS call over
all ``P`` columns at once runs 2-3x below what the same work reaches in blocks of a few
thousand columns (measured with NumPy's OpenBLAS on one thread, ``F = 16, K = 10,
P = 50,176``: 0.66 ms whole against 0.31 ms in blocks for ``W @ cols``, 1.04 against 0.43 ms
for ``cols @ dz.T``; OpenBLAS has separate kernels for small products, and blocks of up to
about ``1e6 / (F*K)`` columns run 2x faster while twice that does not). With ``K`` above a
few dozen the whole product is as fast or faster (``F = 32, K = 145``: 1.90 ms whole,
2.23 ms in blocks), so only short patches are cut.

Both functions give the plain product up to float rounding: the forward's blocks are
separate columns of the same product; the weight gradient's block sums are added in the
arrays' dtype, in another order than BLAS would sum the long axis.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_WORK", "MIN_BLOCK", "SHORT_PATCH", "block_columns", "matmul_columns",
           "matmul_nt_columns"]

#: Patches up to this long (rows of ``cols``, the bias row included) are multiplied in
#: column blocks; longer ones in one product.
SHORT_PATCH = 32

#: A block holds about this many multiply-adds (``rows * K * columns``) ...
BLOCK_WORK = 500_000
#: ... and at least this many columns.
MIN_BLOCK = 256


def block_columns(rows: int, k: int, p: int) -> int:
    """Columns per block for a product of ``rows`` x ``k`` by ``k`` x ``p``; ``p`` (one
    block) when the patch is long or the product small."""
    if k > SHORT_PATCH:
        return p
    return min(p, max(MIN_BLOCK, BLOCK_WORK // max(1, rows * k)))


def matmul_columns(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = a @ b``, with ``b``'s columns in blocks.

    Parameters
    ----------
    a : ndarray, shape (M, K)
    b : ndarray, shape (K, P)
        Rows may be strided; columns contiguous.
    out : ndarray, shape (M, P)

    Returns
    -------
    ndarray, shape (M, P)
        ``out``.
    """
    m, k = a.shape
    p = b.shape[1]
    c = block_columns(m, k, p)
    nb = p // c
    if nb <= 1:
        return np.matmul(a, b, out=out)
    full = nb * c
    np.matmul(a, b[:, :full].reshape(k, nb, c).transpose(1, 0, 2),
              out=out[:, :full].reshape(m, nb, c).transpose(1, 0, 2))
    if full < p:
        np.matmul(a, b[:, full:], out=out[:, full:])
    return out


def matmul_nt_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` summed over the shared long axis in blocks.

    Parameters
    ----------
    a : ndarray, shape (K, P)
    b : ndarray, shape (M, P)

    Returns
    -------
    ndarray, shape (K, M)
        A new array.
    """
    k, p = a.shape
    m = b.shape[0]
    c = block_columns(m, k, p)
    nb = p // c
    if nb <= 1:
        return np.matmul(a, b.T)
    full = nb * c
    parts = np.matmul(a[:, :full].reshape(k, nb, c).transpose(1, 0, 2),
                      b[:, :full].reshape(m, nb, c).transpose(1, 2, 0))     # (nb, K, M)
    total = parts.sum(axis=0)
    if full < p:
        total += np.matmul(a[:, full:], b[:, full:].T)
    return total
