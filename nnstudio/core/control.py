"""Pausing, stepping and retuning a training loop from another thread.

A :class:`TrainControl` is shared by the thread that asks (the window, or the training
process's command reader) and the loop that trains (:class:`~nnstudio.core.training.Trainer`,
the perceptron rule). Requests take effect between batches; a paused loop blocks on a
condition variable. No Qt here.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["TrainControl"]


class TrainControl:
    """Pause, resume, step, stop and retune a running :class:`Trainer` from another thread.

    Requests are applied between batches. ``step_batch(n)`` runs exactly ``n`` more batches
    and pauses; ``step_epoch()`` runs to the end of the current epoch and pauses. A paused
    loop blocks on a condition variable (no busy waiting).

    Commands can be numbered (:meth:`command`); :attr:`seen` is the number of the latest
    command the loop had received when it last went on to a batch. A command numbered
    higher never reached the loop (it came as the run was ending).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._state = "running"
        self._budget: int | None = None      # batches left before pausing (stepping)
        self._pause_at_epoch_end = False
        self._lr: float | None = None         # pending changes
        self._batch_size: int | None = None
        self._dirty = False                   # cheap unlocked check for pending changes
        self._seq = 0                         # number of the latest command applied
        #: number of the latest command applied when the loop last went on to a batch
        self.seen = 0

    @property
    def state(self) -> str:
        """``"running"``, ``"paused"`` or ``"stopped"``."""
        return self._state

    def _set(self, state: str, budget: int | None = None, epoch: bool = False) -> None:
        with self._cond:
            if self._state == "stopped":
                return
            self._state, self._budget, self._pause_at_epoch_end = state, budget, epoch
            self._cond.notify_all()

    def pause(self) -> None:
        """Pause before the next batch."""
        self._set("paused")

    def resume(self) -> None:
        """Run freely again."""
        self._set("running")

    def stop(self) -> None:
        """End training before the next batch (final: a stopped control stays stopped)."""
        with self._cond:
            self._state = "stopped"
            self._cond.notify_all()

    def step_batch(self, n: int = 1) -> None:
        """Run exactly ``n`` more batches, then pause."""
        if n < 1:
            raise ValueError(f"step_batch needs n >= 1, not {n}")
        self._set("running", budget=int(n))

    def step_epoch(self) -> None:
        """Run to the end of the current epoch, then pause."""
        self._set("running", epoch=True)

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next batch on."""
        lr = float(lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"The learning rate must be a number > 0, not {lr}")
        with self._cond:
            self._lr, self._dirty = lr, True

    def set_batch_size(self, batch_size: int) -> None:
        """Use ``batch_size`` samples per batch from the next batch on."""
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"The batch size must be a whole number >= 1, not {batch_size}")
        with self._cond:
            self._batch_size, self._dirty = int(batch_size), True

    @contextmanager
    def command(self, seq: int) -> Iterator[TrainControl]:
        """Apply a command numbered ``seq`` inside the ``with`` block (atomically: the loop
        sees the command and its number together)."""
        with self._cond:
            yield self
            self._seq = max(self._seq, int(seq))
            self._cond.notify_all()

    # ------------------------------------------------------------ the loop's side
    def take_changes(self) -> tuple[float | None, int | None]:
        """Pending (lr, batch_size) changes, each ``None`` if unchanged; clears them."""
        if not self._dirty:
            return None, None
        with self._cond:
            lr, bs = self._lr, self._batch_size
            self._lr = self._batch_size = None
            self._dirty = False
            return lr, bs

    @property
    def needs_wait(self) -> bool:
        """False while running with no command the loop has not seen: then :meth:`wait`
        would return at once, and a loop may skip it (it must call it otherwise)."""
        return self._state != "running" or self._seq != self.seen

    def wait(self) -> bool:
        """Block while paused; False when training must stop. Called before every batch."""
        if self._state == "running" and self._seq == self.seen:
            return True
        with self._cond:
            while self._state == "paused":
                self._cond.wait()
            self.seen = self._seq
            return self._state != "stopped"

    def batch_done(self) -> None:
        """Count a finished batch against a step budget."""
        if self._budget is None:
            return
        with self._cond:
            if self._budget is not None:
                self._budget -= 1
                if self._budget <= 0 and self._state == "running":
                    self._state, self._budget = "paused", None

    def epoch_done(self) -> None:
        """Pause now if a step_epoch asked for it."""
        if self._pause_at_epoch_end:
            with self._cond:
                if self._pause_at_epoch_end and self._state == "running":
                    self._state = "paused"
                self._pause_at_epoch_end = False
