"""What every "see inside" view shares: a title, a hint, throttled updates, timings.

A view draws only while it is visible and at most ``min_interval_ms`` apart; a change that
arrives while it is hidden just marks it stale, and it redraws when it is shown again. Long
computations run as a :class:`ChunkedJob`: a generator advanced a few milliseconds at a time
from the event loop, so the window never freezes and training keeps its pace.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedLayout, QVBoxLayout, QWidget

from nnstudio.gui.views.style import INK, hint_label, message_label


class ChunkedJob(QObject):
    """Runs a generator piece by piece on the GUI thread, ``budget_ms`` per event-loop turn.

    Signals
    -------
    finished()
        The generator is exhausted (not emitted when cancelled).
    """

    finished = Signal()

    def __init__(self, parent: QObject | None = None, budget_ms: float = 12.0) -> None:
        super().__init__(parent)
        self.budget_s = budget_ms / 1000.0
        self._gen: Iterator[Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self.busy_ms = 0.0          # work time of the last complete run
        self.longest_tick_ms = 0.0  # the longest single turn of the last run
        self.longest_step_ms = 0.0  # the longest single piece of work since started

    @property
    def running(self) -> bool:
        return self._gen is not None

    def start(self, gen: Iterator[Any]) -> None:
        """Cancel what runs and start ``gen``."""
        self.cancel()
        self._gen = gen
        self.busy_ms = 0.0
        self.longest_tick_ms = 0.0
        self._timer.start()

    def pause(self) -> None:
        """Stop advancing (the view went out of sight); :meth:`resume` goes on."""
        self._timer.stop()

    def resume(self) -> None:
        if self._gen is not None:
            self._timer.start()

    def cancel(self) -> None:
        self._timer.stop()
        if self._gen is not None:
            close = getattr(self._gen, "close", None)
            if close is not None:
                close()
        self._gen = None

    def run_to_end(self) -> None:
        """Finish the current job now (tests, or when a result is needed at once)."""
        while self._gen is not None:
            self._tick(budget=float("inf"))

    def _tick(self, budget: float | None = None) -> None:
        if self._gen is None:
            self._timer.stop()
            return
        t0 = time.perf_counter()
        limit = self.budget_s if budget is None else budget
        try:
            while time.perf_counter() - t0 < limit:
                t1 = time.perf_counter()
                next(self._gen)
                self.longest_step_ms = max(self.longest_step_ms,
                                           (time.perf_counter() - t1) * 1000)
        except StopIteration:
            self._timer.stop()
            self._gen = None
            self._account(t0)
            self.finished.emit()
            return
        self._account(t0)

    def _account(self, t0: float) -> None:
        ms = (time.perf_counter() - t0) * 1000
        self.busy_ms += ms
        self.longest_tick_ms = max(self.longest_tick_ms, ms)


class InsightView(QWidget):
    """Base of the views on the Inside page.

    Subclasses set ``title`` and ``hint``, put their widgets into ``self.body`` (a
    QVBoxLayout) and implement :meth:`refresh`, which reads the session and draws.
    ``show_message(text)`` replaces the body by a message (nothing to show); ``refresh``
    calls ``show_body()`` when it can draw.

    Parameters
    ----------
    session : Session
    min_interval_ms : int
        Shortest time between two redraws.
    """

    title = ""
    hint = ""

    def __init__(self, session: Any, parent: QWidget | None = None,
                 min_interval_ms: int = 100) -> None:
        super().__init__(parent)
        self.session = session
        self.min_interval_ms = int(min_interval_ms)
        self.timings_ms: deque[float] = deque(maxlen=200)
        self._stale = True
        self._last_refresh = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(4)
        head = QHBoxLayout()
        title = QLabel(self.title)
        font = QFont(title.font())
        font.setPointSizeF(12)
        font.setBold(True)
        title.setFont(font)
        title.setStyleSheet(f"color: {INK};")
        head.addWidget(title)
        head.addStretch(1)
        self.header = head
        outer.addLayout(head)
        self.hint_label = hint_label(self.hint)
        outer.addWidget(self.hint_label)
        self._stack = QStackedLayout()
        outer.addLayout(self._stack, 1)
        body_widget = QWidget()
        self.body = QVBoxLayout(body_widget)
        self.body.setContentsMargins(0, 4, 0, 0)
        self._message = message_label()
        self._stack.addWidget(body_widget)
        self._stack.addWidget(self._message)

        session.snapshotApplied.connect(self._on_snapshot)
        session.modelChanged.connect(self._on_model_changed)
        session.designReplaced.connect(self._on_design_replaced)
        session.datasetChanged.connect(self._on_dataset_changed)
        session.inputChanged.connect(self._on_input_changed)
        session.trainingStateChanged.connect(self._on_training_state)

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str) -> None:
        self._message.setText(text)
        self._stack.setCurrentIndex(1)

    def show_body(self) -> None:
        self._stack.setCurrentIndex(0)

    @property
    def message(self) -> str:
        """The message shown instead of the view ('' when the view is drawn)."""
        return self._message.text() if self._stack.currentIndex() == 1 else ""

    # ------------------------------------------------------------------ throttle
    def schedule(self) -> None:
        """Ask for a redraw: soon if visible, when shown otherwise."""
        self._stale = True
        if not self.isVisible() or self._timer.isActive():
            return
        wait = self.min_interval_ms - (time.perf_counter() - self._last_refresh) * 1000
        self._timer.start(max(0, int(wait)))

    def refresh_now(self) -> None:
        """Redraw at once (tests, screenshots), visible or not."""
        self._timer.stop()
        self._flush(force=True)

    def _flush(self, force: bool = False) -> None:
        if not force and not self.isVisible():
            return
        t0 = time.perf_counter()
        self._stale = False
        self.refresh()
        self._last_refresh = time.perf_counter()
        self.timings_ms.append((self._last_refresh - t0) * 1000)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        for job in self.findChildren(ChunkedJob):
            job.resume()
        if self._stale:
            self.schedule()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        for job in self.findChildren(ChunkedJob):
            job.pause()

    @property
    def training(self) -> bool:
        """True while a run is going (views then recompute heavy things less often)."""
        return self.session.training_state == "running"

    def refresh(self) -> None:
        """Read the session and draw (subclasses)."""

    # ------------------------------------------------------------------ session events
    def _on_snapshot(self, snapshot: Any) -> None:
        self.record(snapshot)
        self.schedule()

    def record(self, snapshot: Any) -> None:
        """Keep what a snapshot says that is needed later, even while hidden (cheap)."""

    def _on_model_changed(self) -> None:
        self.model_changed()
        self.schedule()

    def model_changed(self) -> None:
        """``session.network`` was replaced or reloaded (subclasses forget stale state)."""

    def _on_design_replaced(self) -> None:
        self.model_changed()
        self.schedule()

    def _on_dataset_changed(self) -> None:
        self.dataset_changed()
        self.schedule()

    def dataset_changed(self) -> None:
        """``session.dataset`` changed."""

    def _on_input_changed(self) -> None:
        pass

    def _on_training_state(self, state: str) -> None:
        pass


# ---------------------------------------------------------------------- helpers
def clone_network(network: Any, cache: dict) -> Any:
    """A private copy of ``network`` with its current weights, reused while the design holds.

    Views that change weights (the cost surface) or compute across several event-loop
    turns use the copy, so snapshots arriving in between cannot mix into their results.
    """
    from nnstudio.core.network import Network

    key = id(network)
    clone = cache.get("clone") if cache.get("key") == key else None
    if clone is None:
        clone = Network(network.design)
        cache["clone"], cache["key"] = clone, key
    clone.set_weights(network.get_weights())
    return clone


def held_out_indices(n: int, session: Any) -> np.ndarray:
    """Indices of the samples training keeps aside for validation (as the Trainer picks them).

    Uses the training controller's configuration when there is one, else the defaults.
    """
    from nnstudio.core.training import TrainConfig

    config = getattr(getattr(session, "training", None), "config", None) or TrainConfig()
    if n < 2:
        return np.arange(n)
    order = np.random.default_rng(config.seed).permutation(n)
    n_val = min(int(round(n * config.val_split)), n - 1)
    return np.sort(order[:n_val]) if n_val else np.arange(0)


def network_fits_dataset(network: Any, dataset: Any) -> bool:
    """True when the dataset can be fed to the network: sizes, task and classes match."""
    if network is None or dataset is None or dataset.n == 0:
        return False
    from nnstudio.gui.workers import data_mismatch

    return data_mismatch(network, dataset) is None
