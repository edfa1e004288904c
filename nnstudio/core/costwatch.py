"""Noticing a cost that explodes while a network trains.

A :class:`CostWatch` is fed the cost of every batch of one run. It takes the median cost of
the run's first batches as the reference and follows a running average of the cost (so one
unlucky batch is no alarm); once that average climbs far above the reference (``factor``
times, and clearly in absolute terms), it returns one warning that names the figures and the
likely cause, a learning rate that is too large, with what to do.
"""

from __future__ import annotations

import math

import numpy as np


class CostWatch:
    """Watch the batch costs of one run.

    Parameters
    ----------
    factor : float
        The cost counts as exploding when its running average passes ``factor`` times the
        reference (and the reference + 1).
    warmup : int
        Batches whose median cost is the reference.
    weight : float
        Weight of the newest batch in the running average.
    """

    def __init__(self, factor: float = 4.0, warmup: int = 3, weight: float = 0.1) -> None:
        self.factor = float(factor)
        self.warmup = int(warmup)
        self.weight = float(weight)
        self.reset()

    def reset(self) -> None:
        """A new run: forget the reference and warn again if needed."""
        self._first: list[float] = []
        self.reference: float | None = None
        self.average: float | None = None
        self.warned = False

    def add(self, costs: np.ndarray, lr: float | None = None) -> str | None:
        """Feed the costs of the latest batches (k,); the warning the first time the cost
        explodes in this run, else None."""
        for c in np.asarray(costs, dtype=np.float64).ravel():
            if self.warned:
                return None
            if not math.isfinite(c):
                self.warned = True
                return self._text(c, lr)
            if self.reference is None:
                self._first.append(float(c))
                if len(self._first) >= self.warmup:
                    self.reference = self.average = float(np.median(self._first))
                continue
            self.average += self.weight * (float(c) - self.average)
            ref = self.reference
            if self.average > self.factor * ref and self.average > ref + 1.0:
                self.warned = True
                return self._text(self.average, lr)
        return None

    def _text(self, cost: float, lr: float | None) -> str:
        rate = f" ({lr:.3g})" if lr else ""
        lower = f" (try {lr / 10:.3g})" if lr else ""
        start = f"{self.reference:.3g}" if self.reference is not None else "its first value"
        now = f"{cost:.3g}" if math.isfinite(cost) else "not a number"
        return (f"The cost is exploding: on average it rose from {start} to {now} during this "
                f"run. The "
                f"learning rate{rate} is probably too large: pause, lower it{lower}, or Reset "
                "and train again.")
