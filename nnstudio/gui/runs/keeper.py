"""Every run the window trains is recorded: which record a run goes into.

:class:`RunKeeper` gives the training controller the record request of each run
(``controller.recorder``); the training process records it (:mod:`nnstudio.runs.child`).
A run continues the record of the run before it when nothing changed in between: the same
design, the same data, and the network still holding the weights that run ended with (Play
after Pause or Stop). Reset, another design, an edit, other data, or weights put in from
elsewhere (a file, a run's checkpoint) start a new record. Fine-tuning is a record of its own;
a run after "Continue from here" is a fork of that checkpoint. The record being written is
``state.run``, the run on the Train page's timeline.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.core.design import design_to_json
from nnstudio.runs.child import record_request
from nnstudio.runs.layout import default_runs_folder
from nnstudio.runs.listing import RunError
from nnstudio.runs.reader import open_run

__all__ = ["RunKeeper"]


class RunKeeper(QObject):
    """Decides and follows the records of the window's runs.

    Parameters
    ----------
    session : Session
    controller : TrainingController
    folder : path-like, optional
        The runs folder; by default the user's (``default_runs_folder()``, read at each
        run, so ``NNSTUDIO_DATA_DIR`` counts).

    Signals
    -------
    changed(str)
        The record with this path was created, goes on, or its run ended (a list re-reads it).
    warned(str)
        Recording stopped (a full disk); a sentence for the person. Training goes on.

    Attributes
    ----------
    current : Path or None
        The folder of the record of the current (or last) run.
    """

    changed = Signal(str)
    warned = Signal(str)

    def __init__(self, session: Any, controller: Any, folder: str | Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.controller = session, controller
        self._folder = Path(folder) if folder is not None else None
        self.current: Path | None = None
        #: the id of the run whose start the next run reuses (set by "Same start")
        self.same_start: str | None = None
        self._key: str | None = None
        self._design_json = ""
        self._dataset: Any = None
        self._end_weights: dict[str, np.ndarray] | None = None
        controller.recorder = self.request
        controller.recorded.connect(self._on_recorded)
        controller.finished.connect(self._on_finished)
        controller.errored.connect(self._on_errored)
        controller.wasReset.connect(self.drop)
        controller.wasReset.connect(self._forget_same_start)
        session.designReplaced.connect(self.drop)
        session.datasetChanged.connect(self.drop)

    @property
    def folder(self) -> Path:
        """The runs folder the window records into."""
        return self._folder if self._folder is not None else default_runs_folder()

    @Slot()
    def drop(self) -> None:
        """The next run starts a new record."""
        self._key, self._end_weights = None, None

    @Slot()
    def _forget_same_start(self) -> None:
        self.same_start = None

    def forget(self, path: Path) -> None:
        """The record at ``path`` was removed: nothing goes on in it."""
        if self.current is not None and Path(path) == self.current:
            self.drop()

    def _goes_on(self, dataset: Any, design_json: str) -> bool:
        net, end = self.session.network, self._end_weights
        if self._key is None or end is None or net is None or dataset is not self._dataset \
                or design_json != self._design_json:
            return False
        now = net.get_weights()
        return now.keys() == end.keys() and all(np.array_equal(now[k], end[k]) for k in now)

    def request(self, config: Any, fine_tuning: bool, dataset: Any,
                fork: dict | None = None) -> dict:
        """The record request of a run about to start (``controller.recorder``); ``fork``
        (``{"run": ID, "checkpoint": N}``, "Continue from here") makes it a fork of that
        checkpoint, counting its samples and seconds on from there."""
        design_json = design_to_json(self.session.design)
        if fine_tuning or fork or not self._goes_on(dataset, design_json):
            self._key = secrets.token_hex(8)
        parent, offsets = None, (0, 0.0)
        if fork and not fine_tuning:
            parent = {"run": str(fork.get("run", "")), "checkpoint": fork.get("checkpoint")}
            shown = self.session.state.run         # the run on the timeline, wherever it is
            where = Path(shown) if shown is not None and Path(shown).name == parent["run"] \
                else self.folder / parent["run"]
            try:
                ckpt = open_run(where).checkpoint(int(parent["checkpoint"]))
                offsets = (ckpt.samples, ckpt.elapsed)
            except (RunError, TypeError, ValueError):
                pass             # its curve then starts at 0: the fork is still named
        self._end_weights = None
        self._design_json, self._dataset = design_json, dataset
        feed = getattr(self.controller, "data", None)
        spec = getattr(feed, "spec", None)
        data = f"fine-tuning: {dataset.name}" if fine_tuning else (spec or dataset.name)
        x = getattr(dataset, "x", None)
        image_size = int(x.shape[1]) if x is not None and x.ndim == 3 else None
        same, self.same_start = self.same_start, None
        return record_request(key=self._key, folder=str(self.folder), data=data,
                              dataset=dataset.name, task=dataset.task,
                              classes=list(dataset.classes), image_size=image_size,
                              same_start=same, parent=parent, offsets=offsets)

    @Slot(object)
    def _on_recorded(self, msg: Any) -> None:
        if msg.warning:
            self.warned.emit(msg.warning)
        if msg.path:
            self.current = Path(msg.path)
            self.session.state.run = self.current     # the timeline shows what is recorded
            self.changed.emit(msg.path)

    @Slot(object)
    def _on_finished(self, _history: Any) -> None:
        net = self.session.network
        self._end_weights = None if net is None else \
            {k: v.copy() for k, v in net.get_weights().items()}
        if self.current is not None:
            self.changed.emit(str(self.current))

    @Slot(str)
    def _on_errored(self, _message: str) -> None:
        self.drop()
        if self.current is not None:
            self.changed.emit(str(self.current))
