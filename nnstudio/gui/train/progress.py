"""What the Train page's cards and the window's status bar say about a run in progress.

One wording for both: a perceptron counts passes over the data and single samples, every other
network epochs and batches, so the card never says "Pass 3 of 100" beside a status bar's
"Epoch 3 of 100". The speed is measured here too (:class:`SpeedMeter`), as samples trained per
second over the last few seconds of training, from the run's own clock: pauses do not count,
and it follows the run as it goes instead of settling on its first measure.
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass

from nnstudio.core.perceptron import is_perceptron

__all__ = ["RunWords", "SpeedMeter", "of_total"]


@dataclass(frozen=True)
class RunWords:
    """The units a run counts in: ``epoch`` ("Epoch" or "Pass") and ``batch`` ("batch" or
    "sample")."""

    epoch: str
    batch: str

    @classmethod
    def of(cls, network: object) -> RunWords:
        """The words for training ``network`` (None: an ordinary network's); asked at every
        snapshot, so the answer is kept per network (telling a perceptron copies weights)."""
        if network is None:
            return NETWORK_WORDS
        words = _WORDS.get(network)
        if words is None:
            words = PERCEPTRON_WORDS if is_perceptron(network) else NETWORK_WORDS
            _WORDS[network] = words
        return words

    def epoch_status(self, epoch: int, total: int) -> str:
        """``"Epoch 3 of 100"`` (``"Epoch 3"`` when the total is unknown, 0)."""
        return f"{self.epoch} {of_total(epoch, total)}"

    def batch_status(self, batch: int, n_batches: int) -> str:
        """``"Batch 12 of 43"`` (``"Sample 2 of 4"`` for a perceptron)."""
        return f"{self.batch.capitalize()} {of_total(batch, n_batches)}"


NETWORK_WORDS = RunWords("Epoch", "batch")
PERCEPTRON_WORDS = RunWords("Pass", "sample")
#: network -> its words (a design edit makes a new network, so the answer never goes stale)
_WORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def of_total(n: int, total: int) -> str:
    """``"3 of 100"``, or ``"3"`` when the total is unknown (0)."""
    return f"{n:,} of {total:,}" if total else f"{n:,}"


class SpeedMeter:
    """Samples per second over the last :attr:`window` seconds of a run's training time.

    Feed it each progress report of the run (:meth:`add`: the run's clock, pauses left out,
    and the samples trained since the run began); :meth:`reset` when a run begins. The rate
    is measured from the run's start until the run has trained longer than the window, then
    over the window only, so it follows changes (another batch size, a busy computer).

    Parameters
    ----------
    window : float
        Seconds of training time the rate is taken over.
    """

    def __init__(self, window: float = 2.0) -> None:
        self.window = float(window)
        #: (run seconds, samples trained) of recent reports, oldest first
        self._points: deque[tuple[float, int]] = deque()
        self._running = False
        self._last: float | None = None

    def reset(self) -> None:
        """A run begins: its clock and its sample count start from 0."""
        self._points = deque([(0.0, 0)])
        self._running = True

    def clear(self) -> None:
        """Forget every measure (Reset, another design): nothing has trained yet."""
        self._points.clear()
        self._running = False
        self._last = None

    def stop(self) -> None:
        """The run ended; the last rate stays readable as the run's last speed."""
        self._running = False

    def add(self, elapsed: float, samples_seen: int) -> None:
        """One progress report: ``elapsed`` seconds of training, ``samples_seen`` samples."""
        if not self._points:
            self.reset()
        t, n = self._points[-1]
        if elapsed < t or samples_seen < n:   # a new run the meter was not told about
            self.reset()
            t, n = 0.0, 0
        if samples_seen == n or elapsed <= t:
            return   # nothing trained since (a pause, an epoch's validation report)
        self._points.append((float(elapsed), int(samples_seen)))
        while len(self._points) > 2 and self._points[1][0] <= elapsed - self.window:
            self._points.popleft()
        (t0, n0), (t1, n1) = self._points[0], self._points[-1]
        self._last = (n1 - n0) / (t1 - t0)

    @property
    def rate(self) -> float | None:
        """The latest samples per second, None before the first measure."""
        return self._last

    def card(self) -> tuple[str, str]:
        """The Speed card's number and the line under it."""
        if self._last is not None:
            return (f"{self._last:,.0f}",
                    "samples per second" if self._running else "samples per second, last run")
        if self._running:
            return "measuring…", "samples per second"
        return "–", "samples per second while training"

    def status(self) -> str:
        """The status bar's words for the speed."""
        if self._last is not None:
            return f"{self._last:,.0f} samples/s"
        return "measuring speed…" if self._running else "no speed yet"
