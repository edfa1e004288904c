"""Data for training: loading a source off the GUI thread, and checking it fits the network.

:class:`DatasetLoader` runs ``nnstudio.data.sources.load_source`` (generation, downloads,
files) on a :class:`~nnstudio.gui.worker.Worker` and reports progress; a new load cancels the
one in progress, and every reader checks for that at short intervals.
:func:`why_not_ready` says why the session cannot train now (whether data fits a network is
:func:`nnstudio.core.datafit.data_mismatch`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from nnstudio.core.datafit import data_mismatch
from nnstudio.gui.worker import Aborted, Worker, aborting, current_worker

if TYPE_CHECKING:
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui.session import Session

log = logging.getLogger(__name__)


def why_not_ready(session: Session, dataset: Dataset | None = None) -> str | None:
    """Why ``session``'s network cannot train on ``dataset`` (default: the session's data)
    now: a sentence saying what to do, or None."""
    from nnstudio.core.perceptron import is_perceptron  # trained by its own rule

    s = session
    if s.network is None:
        errs = list(s.analysis.design_errors) + list(s.analysis.errors.values())
        err = errs[0] if errs else None
        why = str(err) if err else "the design is not complete"
        return f"The design cannot be trained yet: {why} Fix it on the Design page."
    if not s.network.trainable() and not is_perceptron(s.network):
        return str(s.network.reason_not_trainable
                   or "This network cannot be trained by backpropagation.")
    ds = dataset if dataset is not None else s.dataset
    if ds is None:
        return "There is no data to train on: choose a dataset in the Training panel."
    return data_mismatch(s.network, ds)


class _LoadCancelled(Exception):
    pass


def _load(spec: str, size: int) -> Any:
    """Load ``spec`` on a worker's thread, reporting (done, total) at most 20 times a
    second and giving up at once when the worker is asked to stop."""
    from nnstudio.data.sources import load_source

    worker = current_worker()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if worker is not None and worker.abort_requested:
            raise _LoadCancelled()
        now = time.perf_counter()
        if worker is not None and (now - last[0] > 0.05 or done >= total):
            last[0] = now
            worker.report((int(done), int(total)))

    try:
        return load_source(spec, size=size, progress=progress, cancel=aborting)
    except _LoadCancelled:
        raise Aborted() from None


class DatasetLoader(QObject):
    """Loads one data source at a time in the background (a :class:`Worker`).

    Signals
    -------
    started(str), progress(int, int), loaded(str, object), failed(str, str), cancelled(str)
    """

    started = Signal(str)
    progress = Signal(int, int)
    loaded = Signal(str, object)
    failed = Signal(str, str)
    cancelled = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: Worker | None = None
        self._old: list[Worker] = []     # cancelled loads still ending
        self.spec: str | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def load(self, spec: str, size: int = 28) -> None:
        """Start loading ``spec`` (cancelling a load in progress)."""
        self.cancel()
        worker = Worker(_load, spec, int(size), name=f"load {spec}")
        worker.yielded.connect(lambda p, w=worker: self._on_progress(w, p))
        worker.result.connect(lambda ds, w=worker: self._on_loaded(w, ds))
        worker.error.connect(lambda exc, w=worker: self._on_failed(w, exc))
        worker.aborted.connect(lambda w=worker: self.cancelled.emit(w.args[0]))
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker, self.spec = worker, spec
        self.started.emit(spec)
        worker.start()

    def cancel(self) -> None:
        """Ask the current load to stop (it reports ``cancelled`` soon after)."""
        if self._worker is not None:
            self._worker.quit()
            # kept until it ends; a new load may start meanwhile
            self._old.append(self._worker)
            self._worker = None

    def _on_progress(self, worker: Worker, p: tuple[int, int]) -> None:
        if worker is self._worker:
            self.progress.emit(*p)

    def _on_loaded(self, worker: Worker, ds: object) -> None:
        if worker is self._worker:
            self.loaded.emit(worker.args[0], ds)

    def _on_failed(self, worker: Worker, exc: BaseException) -> None:
        if worker is not self._worker:
            return
        spec = worker.args[0]
        if not isinstance(exc, ValueError | OSError):
            log.error("loading %s failed", spec, exc_info=exc)
        self.failed.emit(spec, str(exc) or type(exc).__name__)

    def _on_finished(self, worker: Worker) -> None:
        if worker is self._worker:
            self._worker = None
        if worker in self._old:
            self._old.remove(worker)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel the loads and wait for their threads to end; True when all ended."""
        self.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        return all(w.wait(max(0.0, deadline - time.monotonic())) for w in list(self._old))

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Tests and tools: wait (processing events) until every load ended."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._worker is not None or self._old:
            if time.monotonic() > deadline:
                return False
            for w in [self._worker, *self._old]:
                if w is not None:
                    w.wait(0.01)
            QCoreApplication.processEvents()
        QCoreApplication.processEvents()
        return True
