"""A fixed-memory record of values over a whole training run, for the Inside views.

Views keep one row of numbers per moment of training (a weight histogram, the values of the
chosen weights). :class:`RowHistory` stores them in a buffer that grows by doubling up to a
limit; once full, every other row is dropped, so memory stays bounded and the whole run stays
visible at an even, coarser spacing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RowHistory"]


class RowHistory:
    """Rows of ``width`` values, one per moment, with the step each was taken at.

    Parameters
    ----------
    width : int
        Values per row.
    max_rows : int
        Rows kept at most (rounded down to an even number, at least 2).
    dtype : numpy dtype
        Type of the stored values.
    start : int
        Rows allocated at first (the buffer doubles up to ``max_rows``).
    """

    def __init__(self, width: int, max_rows: int, dtype: np.dtype | type = np.float32,
                 start: int = 64) -> None:
        self.max_rows = max(2, int(max_rows) // 2 * 2)
        cap = min(max(2, int(start)), self.max_rows)
        self._rows = np.zeros((cap, int(width)), dtype=dtype)
        self._steps = np.zeros(cap, dtype=np.int64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def width(self) -> int:
        return self._rows.shape[1]

    @property
    def rows(self) -> np.ndarray:
        """The stored rows, shape (n, width) (a view: copy before keeping it)."""
        return self._rows[: self._n]

    @property
    def steps(self) -> np.ndarray:
        """The step of each stored row, int64 shape (n,) (a copy)."""
        return self._steps[: self._n].copy()

    def append(self, row: np.ndarray, step: int = 0) -> None:
        """Add one row of ``width`` values taken at ``step``."""
        if self._n == len(self._rows):
            if len(self._rows) >= self.max_rows:
                half = self._n // 2
                self._rows[:half] = self._rows[: self._n : 2]
                self._steps[:half] = self._steps[: self._n : 2]
                self._n = half
            else:
                cap = min(2 * len(self._rows), self.max_rows)
                rows = np.zeros((cap, self.width), dtype=self._rows.dtype)
                rows[: self._n] = self._rows[: self._n]
                steps = np.zeros(cap, dtype=np.int64)
                steps[: self._n] = self._steps[: self._n]
                self._rows, self._steps = rows, steps
        self._rows[self._n] = row
        self._steps[self._n] = int(step)
        self._n += 1
