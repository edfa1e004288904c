"""The Train page's timeline: scrub through a run's checkpoints, go back to the best one,
and continue training from any of them.

The timeline shows the run record named by the window's state (``state.run``, set when a run
is opened from the Runs list or recorded by the window). Its slider is bound to
``state.checkpoint``: moving it (or anyone setting the field) puts that checkpoint's weights
into the session, so the Draw page's answer, the Neurons view and every Inside view show the
network as it was then. A run in progress is never disturbed: while one is active the
timeline waits, and a new run shows the weights it trains (``checkpoint`` None).

**Continue from here** sets ``state.fork`` to the run and checkpoint, and the session's
history to the run's curves up to it: the next Play trains on from those weights, its curve
drawn on from that point (a branch of the parent's), and the training controller records
the new run as a fork of that checkpoint.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from nnstudio.gui.session import Session
from nnstudio.runs.reader import Checkpoint, Run, RunError, open_run
from nnstudio.state import RunState

__all__ = ["RunTimeline"]

log = logging.getLogger(__name__)

#: how long the slider rests before the checkpoint's weights are read (dragging stays smooth)
SETTLE_MS = 60


def describe(ckpt: Checkpoint, best: int | None) -> str:
    """One line about a checkpoint: where in the run, and how good it was."""
    where = ckpt.place
    figure = ""
    if ckpt.val_accuracy is not None:
        figure = f" · validation {100 * ckpt.val_accuracy:.1f}%"
    elif ckpt.val_loss is not None:
        figure = f" · validation cost {ckpt.val_loss:.4g}"
    elif ckpt.train_loss is not None:
        figure = f" · cost {ckpt.train_loss:.4g}"
    mark = " · best" if best is not None and ckpt.n == best else ""
    return f"{where}{figure}{mark}"


def position(ckpt: Checkpoint, checkpoints: list[Checkpoint]) -> float:
    """Where ``ckpt`` lies on the epoch axis: its epoch, or a fraction of the first epoch
    for the early checkpoints (from the samples seen at the first epoch's end)."""
    if ckpt.batch == 0:
        return float(ckpt.epoch)
    first = next((c for c in checkpoints if c.kind == "epoch" and c.epoch == 1), None)
    if first is not None and first.samples > 0:
        return ckpt.samples / first.samples
    return float(ckpt.epoch)


class RunTimeline(QWidget):
    """The timeline of ``session.state.run`` (objectName ``runTimeline``; hidden without a
    run)."""

    #: where on the epoch axis the checkpoint shown lies (None: none shown)
    marked = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runTimeline")
        self.session = session
        self.state = session.state
        self.run: Run | None = None
        self.checkpoints: list[Checkpoint] = []
        self._best: int | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.title = QLabel("Checkpoints")
        self.title.setObjectName("timelineTitle")
        self.title.setStyleSheet("font-weight: 600;")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setMinimumWidth(160)
        self.slider.setPageStep(1)
        self.slider.setToolTip("Drag to see the network as it was at each checkpoint of the "
                               "run: the Draw page and the Inside views follow.")
        self.where = QLabel("")
        self.where.setObjectName("timelineWhere")
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color: #555555;")
        self.best_button = QPushButton("Back to the best")
        self.best_button.setObjectName("timelineBest")
        self.best_button.setToolTip("Show the weights of the checkpoint with the best "
                                    "validation figure.")
        self.latest_button = QPushButton("Latest")
        self.latest_button.setObjectName("timelineLatest")
        self.continue_button = QPushButton("Continue from here")
        self.continue_button.setObjectName("timelineContinue")
        self.continue_button.setToolTip(
            "Train on from this checkpoint as a new run (a fork): change the settings first "
            "if you like; the new curve branches off this point.")
        for w in (self.title, self.slider, self.best_button, self.latest_button,
                  self.continue_button):
            row.addWidget(w, 1 if w is self.slider else 0)
        outer.addLayout(row)
        outer.addWidget(self.where)

        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._slider_settled)
        self.slider.valueChanged.connect(self._slider_moved)
        self.best_button.clicked.connect(self.show_best)
        self.latest_button.clicked.connect(self.show_latest)
        self.continue_button.clicked.connect(self.continue_from_here)
        self.state.events.run.connect(self._open)
        self.state.events.checkpoint.connect(self._show_checkpoint)
        self.state.events.run_state.connect(self._on_run_state)
        self._open(self.state.run)

    # ------------------------------------------------------------------ the run
    def _open(self, path: Path | None) -> None:
        """Read the run's checkpoints (a run that cannot be read says why)."""
        self.run, self.checkpoints, self._best = None, [], None
        if path is not None:
            try:
                self.run = open_run(path)
                self.checkpoints = self.run.checkpoints()
                best = self.run.summary.best.get("checkpoint") if self.run.summary.best else None
                self._best = best if isinstance(best, int) else None
            except RunError as exc:
                self.where.setText(str(exc))
        self.setVisible(path is not None)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.checkpoints) - 1))
        self.slider.setValue(self._index_of(self.state.checkpoint))
        self.slider.blockSignals(False)
        self._update()

    def refresh(self) -> None:
        """Read the run again (a run being recorded has new checkpoints)."""
        self._open(self.state.run)

    def _index_of(self, n: int | None) -> int:
        for i, c in enumerate(self.checkpoints):
            if c.n == n:
                return i
        return max(0, len(self.checkpoints) - 1)

    # ------------------------------------------------------------------ moving
    def _slider_moved(self, _index: int) -> None:
        self._update(preview=True)
        self._settle.start()

    def _slider_settled(self) -> None:
        i = self.slider.value()
        if 0 <= i < len(self.checkpoints):
            self.state.checkpoint = self.checkpoints[i].n

    def show_best(self) -> None:
        """Back to the checkpoint with the best validation figure (the last when none)."""
        if self.checkpoints:
            self.state.checkpoint = self._best if self._best is not None \
                else self.checkpoints[-1].n

    def show_latest(self) -> None:
        if self.checkpoints:
            self.state.checkpoint = self.checkpoints[-1].n

    def _show_checkpoint(self, n: int | None) -> None:
        """``state.checkpoint`` changed: its weights into the session."""
        self.slider.blockSignals(True)
        self.slider.setValue(self._index_of(n))
        self.slider.blockSignals(False)
        if n is None or self.run is None:
            self.marked.emit(None)
            self._update()
            return
        try:
            weights = self.run.weights(n, self.session.design)
        except RunError as exc:
            self.where.setText(f"{exc}. Open the run from the Runs list to see its own design.")
            return
        self.session.set_weights(weights)
        ckpt = self.checkpoints[self.slider.value()]
        self.marked.emit(position(ckpt, self.checkpoints))
        self._update()

    def _on_run_state(self, state: RunState) -> None:
        if state is RunState.RUNNING and self.state.checkpoint is not None:
            self.state.checkpoint = None   # the window shows what it trains now
        self._update()

    # ------------------------------------------------------------------ forking
    def continue_from_here(self) -> None:
        """The next run continues the checkpoint shown, as a fork of this run."""
        if self.run is None or not self.checkpoints:
            return
        ckpt = self.checkpoints[self.slider.value()]
        if self.state.checkpoint != ckpt.n:
            self.state.checkpoint = ckpt.n
        try:
            history = self.run.history(upto=ckpt)
        except RunError as exc:
            self.where.setText(str(exc))
            return
        self.session.history = history
        self.state.fork = {"run": self.run.id, "checkpoint": ckpt.n}
        self._update()

    # ------------------------------------------------------------------ showing
    def _update(self, preview: bool = False) -> None:
        active = self.state.run_state.active
        has = bool(self.checkpoints)
        for w in (self.slider, self.best_button, self.latest_button, self.continue_button):
            w.setEnabled(has and not active)
        if active:
            self.slider.setToolTip("The run in progress is shown; the timeline waits for it "
                                   "to end.")
        if not has:
            if self.run is not None:
                self.where.setText("This run has no checkpoints yet.")
            return
        ckpt = self.checkpoints[self.slider.value()]
        text = f"Checkpoint {self.slider.value() + 1} of {len(self.checkpoints)}: " + \
            describe(ckpt, self._best)
        fork = self.state.fork
        if not preview and fork and fork.get("checkpoint") == ckpt.n and self.run is not None \
                and fork.get("run") == self.run.id:
            text += " · Play trains on from here, as a new run"
        self.where.setText(text)
        self.title.setText(f"Run {self.run.summary.name or self.run.id}" if self.run else
                           "Checkpoints")
