"""Weights over time, for the Weights view: histograms per moment of training and the
size of each update against the weights."""

from __future__ import annotations

import numpy as np

from nnstudio.core.insight.history import RowHistory

__all__ = ["HistogramHistory", "layer_update_ratios"]


class HistogramHistory:
    """Histograms of one layer's weights, one column per moment of training.

    The value range grows when weights spread out (older columns are re-binned); when
    ``max_columns`` are stored every other column is dropped, so memory stays fixed and the
    whole run stays visible.

    Parameters
    ----------
    bins : int
        Number of bins of each histogram.
    max_columns : int
        Columns kept at most (even number).
    """

    def __init__(self, bins: int = 48, max_columns: int = 240) -> None:
        self.bins = int(bins)
        self._columns = RowHistory(self.bins, max_columns, np.float32)
        self.max_columns = self._columns.max_rows
        self.half_range = 0.0

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def edges(self) -> np.ndarray:
        """Bin edges, float64 shape (bins + 1,), symmetric around 0."""
        r = self.half_range or 1.0
        return np.linspace(-r, r, self.bins + 1)

    @property
    def steps(self) -> np.ndarray:
        """The step (e.g. batch number) of each stored column, int64 shape (T,)."""
        return self._columns.steps

    def image(self) -> np.ndarray:
        """Share of weights per bin, float32 shape (T, bins); each column sums to 1."""
        c = self._columns.rows
        total = c.sum(axis=1, keepdims=True)
        return (c / np.maximum(total, 1)).astype(np.float32)

    def add(self, values: np.ndarray, step: int) -> None:
        """Add the histogram of ``values`` (any shape) taken at ``step``."""
        v = np.asarray(values, dtype=np.float32).ravel()
        v = v[np.isfinite(v)]
        top = float(np.abs(v).max()) if v.size else 0.0
        if self.half_range == 0.0:
            self.half_range = max(top * 1.5, 1e-3)
        elif top > self.half_range:
            self._regrow(top * 1.5)
        counts, _ = np.histogram(np.clip(v, -self.half_range, self.half_range), self.edges)
        self._columns.append(counts, step)

    def _regrow(self, half_range: float) -> None:
        old_centres = (self.edges[:-1] + self.edges[1:]) / 2
        self.half_range = half_range
        idx = np.clip(np.searchsorted(self.edges, old_centres) - 1, 0, self.bins - 1)
        counts = self._columns.rows
        new = np.zeros_like(counts)
        for old_bin, new_bin in enumerate(idx):
            new[:, new_bin] += counts[:, old_bin]
        counts[:] = new


def layer_update_ratios(update_ratios: dict[str, float]) -> dict[str, float]:
    """One update/weight ratio per layer: its weight matrix's, else its largest.

    Parameters
    ----------
    update_ratios : dict of str to float
        Per parameter, e.g. ``{"dense1/W": 1e-3, "dense1/b": 4e-3}``.

    Returns
    -------
    dict of node id to float
    """
    out: dict[str, float] = {}
    for name, ratio in update_ratios.items():
        node, _, kind = name.rpartition("/")
        node = node or name
        if kind == "W" or node not in out:
            out[node] = float(ratio)
    return out
