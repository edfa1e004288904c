"""Data for training: loading a source off the GUI thread, and checking it fits the network.

:class:`DatasetLoader` runs ``nnstudio.data.sources.load_source`` (generation, downloads) in
a ``QThread`` of its own and reports progress; a new load cancels the one in progress.
:func:`data_mismatch` says in a sentence why a dataset cannot train a network.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


def data_mismatch(network: Any, dataset: Any) -> str | None:
    """Why ``dataset`` cannot train ``network`` (a sentence with what to do), or None."""
    in_shape = tuple(network.input_shape)
    need = int(np.prod(in_shape))
    have = int(np.prod(dataset.sample_shape))
    from nnstudio.core.design import format_shape

    if need != have:
        return (
            f"The data '{dataset.name}' has samples of {format_shape(dataset.sample_shape)} "
            f"({have} numbers) but the design's Input expects {format_shape(in_shape)} "
            f"({need} numbers). Choose matching data in the Training panel, or change the "
            "Input node (File > New from template has designs for each kind of data)."
        )
    task = getattr(network, "task", None)
    if task and dataset.task and task != dataset.task:
        loss = getattr(network, "loss_name", "?")
        return (
            f"The data '{dataset.name}' is a {dataset.task} task but the design's Output uses "
            f"the {loss} cost, which is for {task}. Change the Output's loss or the data."
        )
    n_out = int(np.prod(network.output_shape))
    if dataset.task == "classification":
        n_classes = len(dataset.classes) or (int(dataset.y.max()) + 1 if len(dataset.y) else 0)
        if getattr(network, "loss_name", "") == "binary_cross_entropy":
            if n_classes > 2 or n_out != 1:
                return (
                    f"The data '{dataset.name}' has {n_classes} classes but a binary cross "
                    "entropy Output needs exactly one output unit and two classes. Use "
                    "cross_entropy with one softmax unit per class."
                )
        elif n_out < n_classes:
            return (
                f"The data '{dataset.name}' has {n_classes} classes but the design has only "
                f"{n_out} output units. Give the last Dense layer {n_classes} units."
            )
    else:
        k = int(np.prod(dataset.y.shape[1:])) if dataset.y.ndim > 1 else 1
        if k != n_out:
            return (
                f"The data '{dataset.name}' has {k} target value(s) per sample but the design "
                f"outputs {n_out}. Give the last Dense layer {k} units."
            )
    return None


class _LoadCancelled(Exception):
    pass


class _LoadWorker(QObject):
    progress = Signal(int, int)
    loaded = Signal(str, object)
    failed = Signal(str, str)
    cancelled = Signal(str)

    def __init__(self, spec: str, size: int) -> None:
        super().__init__()
        self.spec, self.size = spec, size
        self.cancel_requested = False
        self._last_progress = 0.0

    def _progress(self, done: int, total: int) -> None:
        if self.cancel_requested:
            raise _LoadCancelled()
        now = time.perf_counter()
        if now - self._last_progress > 0.05 or done >= total:
            self._last_progress = now
            self.progress.emit(int(done), int(total))

    @Slot()
    def run(self) -> None:
        try:
            from nnstudio.data.sources import load_source

            ds = load_source(self.spec, size=self.size, progress=self._progress)
            if self.cancel_requested:
                self.cancelled.emit(self.spec)
            else:
                self.loaded.emit(self.spec, ds)
        except _LoadCancelled:
            self.cancelled.emit(self.spec)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            if self.cancel_requested:
                self.cancelled.emit(self.spec)
            else:
                if not isinstance(exc, ValueError | OSError):
                    log.exception("loading %s failed", self.spec)
                self.failed.emit(self.spec, str(exc) or type(exc).__name__)
        finally:
            QThread.currentThread().quit()


class DatasetLoader(QObject):
    """Loads one data source at a time in a background thread.

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
        self._thread: QThread | None = None
        self._worker: _LoadWorker | None = None
        self._old: list[tuple[QThread, _LoadWorker]] = []
        self.spec: str | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def load(self, spec: str, size: int = 28) -> None:
        """Start loading ``spec`` (cancelling a load in progress)."""
        self.cancel()
        worker = _LoadWorker(spec, size)
        thread = QThread()
        thread.setObjectName(f"load {spec}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.loaded.connect(self._on_loaded)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker, self.spec = thread, worker, spec
        self.started.emit(spec)
        thread.start()

    def cancel(self) -> None:
        """Ask the current load to stop (it reports ``cancelled``)."""
        if self._worker is not None and self._thread is not None:
            self._worker.cancel_requested = True
            # keep the old thread alive until it ends; a new load may start meanwhile
            self._old.append((self._thread, self._worker))
            self._thread = self._worker = None

    def _sender_is_current(self) -> bool:
        return self.sender() is self._worker

    @Slot(str, object)
    def _on_loaded(self, spec: str, ds: object) -> None:
        if self._sender_is_current():
            self.loaded.emit(spec, ds)

    @Slot(str, str)
    def _on_failed(self, spec: str, message: str) -> None:
        if self._sender_is_current():
            self.failed.emit(spec, message)

    @Slot(str)
    def _on_cancelled(self, spec: str) -> None:
        self.cancelled.emit(spec)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is self._thread:
            self._thread = self._worker = None
        self._old = [(t, w) for t, w in self._old if t is not thread]
        if isinstance(thread, QThread):
            thread.deleteLater()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel and wait for every loading thread; True when all ended."""
        self.cancel()
        ok = True
        for thread, _worker in list(self._old):
            ok = thread.wait(timeout_ms) and ok
        return ok

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Tests and tools: wait (processing events) until the current load ended."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._thread is not None or self._old:
            if time.monotonic() > deadline:
                return False
            for t in [self._thread, *(t for t, _ in self._old)]:
                if t is not None:
                    t.wait(10)
            QCoreApplication.processEvents()
        QCoreApplication.processEvents()
        return True
