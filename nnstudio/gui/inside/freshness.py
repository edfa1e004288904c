"""Which weights a view's picture is of, and how far training has gone since.

Every view on the Inside page draws from the session's network, whose weights a training run
replaces several times a second. A view that draws at once keeps pace; one that computes in
the background (a landscape, a map, a check on held-out samples) or that waits between
pictures while training runs shows weights that training has already left behind.
:class:`Freshness` keeps, for one view, the weights its picture was drawn from and the weights
the session holds now (each a :class:`Stamp`), and puts the difference in words for the
person: "updated at epoch 12 · training is at epoch 14". A picture counts as behind only
once newer weights have waited more than :data:`STALE_S` for it, so a view that keeps pace
says nothing extra. No Qt here: :class:`~nnstudio.gui.inside.base.InsightView` feeds it and
shows its words.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["STALE_S", "Freshness", "Moment", "Stamp"]

#: seconds newer weights may wait for a view's picture before the view says it is behind
STALE_S = 3.0
#: arrivals of weights closer together than this are remembered as one (bounded memory)
_BUCKET_S = 0.05


@dataclass(frozen=True)
class Moment:
    """Where a training run was when weights were copied out of it.

    Attributes
    ----------
    epoch : int
        The epoch in progress, counted from 1 as the status bar counts it (continued runs
        go on counting).
    batch, n_batches : int
        Batches done in that epoch, of how many.
    """

    epoch: int
    batch: int
    n_batches: int

    @classmethod
    def of(cls, snapshot: Any) -> Moment | None:
        """The moment a training snapshot reports (None when it reports no progress)."""
        if int(getattr(snapshot, "n_batches", 0) or 0) <= 0:
            return None
        return cls(int(snapshot.epoch) + 1, int(snapshot.batch), int(snapshot.n_batches))

    def words(self, other: Moment | None = None) -> str:
        """"epoch 12", with the batch when ``other`` is in the same epoch."""
        if other is not None and other.epoch == self.epoch:
            return f"epoch {self.epoch:,}, batch {self.batch:,} of {self.n_batches:,}"
        return f"epoch {self.epoch:,}"


@dataclass(frozen=True)
class Stamp:
    """One state of the session's weights.

    Attributes
    ----------
    gen : int
        Counts every change of the weights (a snapshot with weights, a reset, a load).
    moment : Moment or None
        Where training was when they were copied (None: not from a run).
    t : float
        When they arrived (the tracker's clock, seconds).
    """

    gen: int
    moment: Moment | None
    t: float


class Freshness:
    """The weights a view's picture shows against the weights there are.

    Parameters
    ----------
    clock : callable
        Seconds as float (``time.monotonic``; tests pass a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        #: the weights the session holds now
        self.weights = Stamp(0, None, clock())
        #: the weights the picture on screen was drawn from (None: nothing drawn yet)
        self.picture: Stamp | None = None
        #: where the current (or last) run is, from its latest progress report
        self.run_at: Moment | None = None
        #: pictures drawn so far (a measure of how often the view updates)
        self.drawn = 0
        # weights that arrived after the picture's, oldest first, one per _BUCKET_S
        self._newer: deque[Stamp] = deque(maxlen=4096)

    # ------------------------------------------------------------------ what happens
    def snapshot(self, snapshot: Any) -> None:
        """A training snapshot arrived (the session's network already holds its weights)."""
        moment = Moment.of(snapshot)
        if moment is not None:
            self.run_at = moment
        if getattr(snapshot, "weights", None):
            self._arrive(moment if moment is not None else self.run_at)

    def replaced(self, *, from_run: bool) -> None:
        """The session's weights were replaced outside a snapshot: a run's final weights
        (``from_run``: they are of the run's last moment), else a reset, a load or an
        edit (not from any run)."""
        if not from_run:
            self.run_at = None
        self._arrive(self.run_at if from_run else None)

    def _arrive(self, moment: Moment | None) -> None:
        now = self.clock()
        self.weights = Stamp(self.weights.gen + 1, moment, now)
        if not self._newer or now - self._newer[-1].t >= _BUCKET_S:
            self._newer.append(self.weights)

    def drawn_from(self, stamp: Stamp) -> None:
        """The view drew a picture from the weights of ``stamp`` (taken when its work
        started)."""
        if self.picture is not None and stamp.gen < self.picture.gen:
            return  # an older result finishing late changes nothing
        self.picture = stamp
        self.drawn += 1
        while self._newer and self._newer[0].gen <= stamp.gen:
            self._newer.popleft()

    # ------------------------------------------------------------------ what to say
    def waiting_s(self) -> float:
        """How long newer weights than the picture's have waited (0: it is current)."""
        pic = self.picture
        if pic is None or pic.gen >= self.weights.gen:
            return 0.0
        first = self._newer[0] if self._newer else self.weights
        return max(0.0, self.clock() - first.t)

    @property
    def behind(self) -> bool:
        """True when the picture is of weights older than newer ones by over STALE_S."""
        return self.waiting_s() > STALE_S

    def words(self, training_state: str) -> str:
        """What the view says about its picture: '' when it keeps pace, else e.g.
        "updated at epoch 12 · training is at epoch 14"."""
        if not self.behind:
            return ""
        pic = self.picture.moment if self.picture is not None else None
        at = self.run_at if self.run_at is not None else self.weights.moment
        shown = f"updated at {pic.words(at)}" if pic is not None else "updated before this run"
        if at is None:
            return "shows earlier weights · the new picture is on its way"
        where = at.words(pic)
        if training_state == "running":
            return f"{shown} · training is at {where}"
        if training_state == "paused":
            return f"{shown} · training paused at {where}"
        return f"{shown} · training ended at {where}"
