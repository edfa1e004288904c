"""Which curve of the Train page a run's metrics belong to, and where on its epoch axis.

A run continued with Play goes on where the curve ended; after Reset, another design or
other data the next run starts a fresh curve from 0, and the plots keep the old one faded
(named "run 2", "run 3", or "fine-tuning"). The training controller places a run's metrics
from 0; :class:`CurveBook` shifts them onto the curve.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.core.design import DesignEvent
from nnstudio.gui.snapshot import Snapshot

__all__ = ["CurveBook"]


class CurveBook(QObject):
    """The curve bookkeeping of the Train view.

    Parameters
    ----------
    session : Session
    controller : TrainingController

    Signals
    -------
    newCurve(str)
        The next metrics start a fresh curve; the argument labels it.
    """

    newCurve = Signal(str)

    def __init__(self, session: Any, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.x_end = 0.0           # where the current curve ended (epochs axis)
        self._x0 = 0.0             # where the current run started on it
        self._has_data = False
        self._count = 1
        self._want_new = False
        session.designReplaced.connect(self.mark_new)
        session.datasetChanged.connect(self.mark_new)
        session.designEdited.connect(self._on_design_edited)
        controller.started.connect(self._on_run_started)
        controller.wasReset.connect(self._on_reset)

    @Slot()
    def mark_new(self) -> None:
        """The next run starts a fresh curve."""
        self._want_new = True
        self.x_end = 0.0

    def _on_design_edited(self, event: DesignEvent) -> None:
        if event.kind != "node_moved":
            self.mark_new()

    def _begin(self, label: str = "") -> None:
        self._want_new = False
        self.x_end = 0.0
        if self._has_data or label:
            self._count += 1
            self._has_data = False
            self.newCurve.emit(label or f"run {self._count}")

    def branch(self, label: str) -> None:
        """A fork: a fresh curve (the one shown becomes an earlier run's), which
        :meth:`continue_at` places."""
        self._begin(label)

    def continue_at(self, x_end: float) -> None:
        """The next run continues the current curve from ``x_end`` (epochs)."""
        self.x_end = float(x_end)
        self._has_data = True
        self._want_new = False

    @Slot(str)
    def _on_run_started(self, label: str) -> None:
        if label or self._want_new:
            self._begin(label)
        self._x0 = self.x_end

    @Slot()
    def _on_reset(self) -> None:
        self._begin()

    def place(self, snap: Snapshot) -> Snapshot:
        """``snap`` with its batches and epochs shifted onto the current curve (a copy when
        shifted)."""
        if self._x0:
            snap = dataclasses.replace(snap, batch_x=snap.batch_x + self._x0,
                                       epoch_x=snap.epoch_x + self._x0)
        if len(snap.batch_x):
            self.x_end = float(snap.batch_x[-1])
            self._has_data = True
        return snap
