"""The plane under a 2-D dataset, for the decision boundary view: no drawing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["plane_bounds", "plane_grid"]


def plane_bounds(x: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    """A square-ish box around 2-D points.

    Parameters
    ----------
    x : ndarray, shape (N, 2)
    margin : float
        Extra room on every side, as a fraction of the larger extent.

    Returns
    -------
    (xmin, xmax, ymin, ymax) : floats; (-1, 1, -1, 1) when ``x`` is empty.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    x = x[np.isfinite(x).all(axis=1)]
    if len(x) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = x.min(axis=0), x.max(axis=0)
    extent = float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-6))
    pad = margin * extent
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


def plane_grid(bounds: Sequence[float], n: int = 100) -> np.ndarray:
    """Points of an ``n`` × ``n`` grid over ``bounds`` (pixel centres), one batch for predict.

    Returns
    -------
    ndarray, float32, shape (n * n, 2)
        Row-major over (y, x): ``grid.reshape(n, n, 2)[i, j]`` is the point in row ``i``
        (y ascending) and column ``j`` (x ascending).
    """
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    xs = xmin + (np.arange(n) + 0.5) * (xmax - xmin) / n
    ys = ymin + (np.arange(n) + 0.5) * (ymax - ymin) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.ascontiguousarray(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=np.float32)

