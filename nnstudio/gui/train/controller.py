"""Training off the GUI thread: the controller the window talks to.

:class:`TrainingController` lives on the GUI thread and is what the window, the training panel
and the pages talk to. The training itself computes in a child process
(:class:`~nnstudio.core.trainproc.TrainingProcess`, started on first use and reused), so it
never holds the window's GIL. For each run a :class:`~nnstudio.gui.train.bridge.TrainBridge`
on a fresh ``QThread`` pumps the pipe; the child's messages (copies: at most ~30 metric
messages a second with every batch since the last, weight copies a few times a second)
become :class:`~nnstudio.gui.train.snapshot.Snapshot` objects folded into the session on
the GUI thread. Play/pause/step/stop and live learning-rate or batch-size changes are queued
commands, applied by the child between batches.

Also exported from here for callers: :class:`DatasetLoader` and :func:`data_mismatch`
(:mod:`nnstudio.gui.train.data_loader`), :func:`configure_threading`.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from dataclasses import asdict, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from nnstudio.core.design import DesignError, design_to_json
from nnstudio.core.training import History, TrainConfig
from nnstudio.core.trainproc import TrainingProcess
from nnstudio.core.trainprotocol import ChildMessage, Exited, Failed, Finished, Metrics
from nnstudio.gui.session import Session
from nnstudio.gui.train.bridge import TrainBridge, configure_threading
from nnstudio.gui.train.data_loader import DatasetLoader, data_mismatch
from nnstudio.gui.train.receive import snapshot_from_message

__all__ = ["DatasetLoader", "TrainingController", "configure_threading",
           "copy_config", "data_mismatch"]

log = logging.getLogger(__name__)

_tokens = itertools.count(1)


def copy_config(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with ``changes``."""
    return replace(config, **changes)


class TrainingController(QObject):
    """Play, pause, step, stop and reset training of the session's network.

    Lives on the GUI thread; sets ``session.training = self``. Each run trains a copy of
    ``session.network``'s weights in the training process (:attr:`process`); snapshots are
    folded into the session with ``session.apply_snapshot`` and the final weights with
    ``session.set_weights``.

    Signals
    -------
    started()
        A run started (its thread is alive).
    finished(object)
        A run ended normally or was stopped; the argument is the core ``History``.
    errored(str)
        Training could not start or failed; a sentence saying what happened and what to do.
    newCurve(str)
        The next metrics start a fresh curve (after Reset, another design or other data); the
        argument labels it ("run 2", "fine-tuning"). The plots keep the old curve faded.
    dataLoading(str), dataProgress(int, int), dataLoaded(str), dataFailed(str), dataCancelled()
        The dataset loader's progress (see :meth:`load_dataset`).
    waitingForData(bool)
        Play was pressed while the data is still loading: training starts when it arrives.
    """

    started = Signal()
    finished = Signal(object)
    errored = Signal(str)
    newCurve = Signal(str)
    dataLoading = Signal(str)
    dataProgress = Signal(int, int)
    dataLoaded = Signal(str)
    dataFailed = Signal(str)
    dataCancelled = Signal()
    waitingForData = Signal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        configure_threading()
        self.session = session
        session.training = self
        self.config = TrainConfig(epochs=5, batch_size=64, lr=1e-3, optimizer="adam",
                                  weight_decay=0.0, val_split=0.1, seed=0)
        self.dataset_spec: str | None = None
        self.image_size = 28
        self._process: TrainingProcess | None = None
        self._thread: QThread | None = None
        self._bridge: TrainBridge | None = None
        self._run_id = 0
        self._run_state: str | None = None   # "running" | "paused" as last commanded
        self._run_x0 = 0.0                   # where the run started on the epoch axis
        self._datasets: list[tuple[Any, Any, str]] = []   # (x, y, token) sent lately
        #: tests of the error path: (n, message) makes runs fail after n batches
        self.fail_after: tuple[int, str] | None = None
        self._mode = "idle"
        self._pending_start: str | None = None
        self._x_end = 0.0           # where the current curve ended (epochs axis)
        self._curve_has_data = False
        self._curve_count = 1
        self._want_new_curve = False
        self._fine_tuning = False
        self._scheduled: str | None = None
        self._error_shown = False
        self.last_error: str | None = None
        self.loader = DatasetLoader(self)
        self.loader.started.connect(self.dataLoading)
        self.loader.progress.connect(self.dataProgress)
        self.loader.loaded.connect(self._on_data_loaded)
        self.loader.failed.connect(self._on_data_failed)
        self.loader.cancelled.connect(self._on_data_cancelled)
        session.designReplaced.connect(self._mark_new_curve)
        session.datasetChanged.connect(self._mark_new_curve)
        session.designEdited.connect(self._on_design_edited)

    # ------------------------------------------------------------ state
    @property
    def process(self) -> TrainingProcess:
        """The training process handle (its child starts on the first run)."""
        if self._process is None:
            self._process = TrainingProcess()
        return self._process

    def warm_up(self) -> None:
        """Start the training process in the background, so the first Play trains at once."""
        import threading

        if self.running:
            return
        process = self.process
        threading.Thread(target=process.start, name="nnstudio-warm-up", daemon=True).start()

    @property
    def running(self) -> bool:
        """True while a run is active (running or paused)."""
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self.running and self._run_state == "paused"

    @property
    def waiting_for_data(self) -> bool:
        return self._pending_start is not None

    def _set_state(self, state: str) -> None:
        self.session.set_training_state(state)

    # ------------------------------------------------------------ actions
    @Slot()
    def play(self) -> None:
        """Start a run (continuing from the current weights) or resume a paused one."""
        if self.running:
            self.process.resume()
            self._run_state = "running"
            self._set_state("running")
            return
        self._start("run")

    @Slot()
    def pause(self) -> None:
        """Pause between two batches."""
        if self.running and self._run_state == "running":
            self.process.pause()
            self._run_state = "paused"
            self._set_state("paused")
        elif self._pending_start is not None:
            self._cancel_pending()

    @Slot()
    def toggle(self) -> None:
        """Play when idle or paused, pause when running."""
        if self.running and self._run_state == "running":
            self.pause()
        else:
            self.play()

    @Slot()
    def step_batch(self) -> None:
        """Train one batch, then pause."""
        if self.running:
            self.process.step_batch(1)
            self._run_state = "paused"
            self._set_state("paused")
            return
        self._start("step_batch")

    @Slot()
    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        if self.running:
            self.process.step_epoch()
            self._run_state = "running"
            self._set_state("running")
            return
        self._start("step_epoch")

    @Slot()
    def stop(self) -> None:
        """End the run before the next batch (the weights trained so far are kept)."""
        if self._pending_start is not None:
            self._cancel_pending()
        if self.running:
            self.process.stop()

    @Slot()
    def reset(self) -> None:
        """Stop, then give the network fresh random weights and start a new curve."""
        self._cancel_pending()
        if self.running:
            self.stop()
            self.wait_idle(15000)
        self.session.reset_weights(seed=int(self.config.seed))
        self._x_end = 0.0
        self._begin_new_curve()
        self._set_state("idle")

    def set_lr(self, lr: float) -> None:
        """Learning rate, applied from the next batch when training."""
        lr = float(lr)
        if not (math.isfinite(lr) and lr > 0):
            return
        self.config.lr = lr
        if self.running:
            self.process.set_lr(lr)

    def set_batch_size(self, batch_size: int) -> None:
        """Batch size, applied from the next batch when training."""
        batch_size = int(batch_size)
        if batch_size < 1:
            return
        self.config.batch_size = batch_size
        if self.running:
            self.process.set_batch_size(batch_size)

    def fine_tune(self, dataset: Any, *, epochs: int = 3, lr: float | None = None) -> None:
        """Train the current weights on ``dataset`` (e.g. the person's own digits).

        Runs in the training process like any run (the plots show it as a new curve) and emits
        ``finished`` at the end, or ``errored``.
        """
        if self.running:
            self._error("Training is already running: stop it before fine-tuning.")
            return
        cfg = copy_config(self.config, epochs=max(1, int(epochs)), val_split=0.0,
                          lr=float(lr) if lr else self.config.lr)
        self._fine_tuning = True
        self._start("run", dataset=dataset, config=cfg, label="fine-tuning")

    # ------------------------------------------------------------ starting a run
    def check_ready(self, dataset: Any = None) -> str | None:
        """Why training cannot start now (a sentence saying what to do), or None."""
        s = self.session
        if s.network is None:
            err = None
            analysis = s.analysis
            if analysis is not None:
                errs = list(getattr(analysis, "design_errors", []))
                errs += list(getattr(analysis, "errors", {}).values())
                err = errs[0] if errs else None
            why = str(err) if err else "the design is not complete"
            return f"The design cannot be trained yet: {why} Fix it on the Design page."
        trainable = getattr(s.network, "trainable", None)
        if callable(trainable) and not trainable():
            reason = getattr(s.network, "reason_not_trainable", None)
            return str(reason or "This network cannot be trained by backpropagation.")
        ds = dataset if dataset is not None else s.dataset
        if ds is None:
            return "There is no data to train on: choose a dataset in the Training panel."
        return data_mismatch(s.network, ds)

    def _start(self, mode: str, *, dataset: Any = None, config: TrainConfig | None = None,
               label: str | None = None) -> None:
        s = self.session
        if dataset is None and s.dataset is None and (self.loader.busy or self._scheduled):
            self._pending_start = mode
            self.waitingForData.emit(True)
            return
        problem = self.check_ready(dataset)
        if problem:
            self._fine_tuning = False
            self._error(problem)
            return
        ds = dataset if dataset is not None else s.dataset
        cfg = copy_config(config or self.config)
        try:
            cfg.validate()
        except ValueError as exc:
            self._fine_tuning = False
            self._error(f"Check the training settings: {exc}")
            return
        if label or self._want_new_curve:
            self._begin_new_curve(label)
        history = None
        if not self._fine_tuning and isinstance(s.history, History):
            history = s.history.to_dict()
        process = self.process
        run_id = process.run(
            design_json=design_to_json(s.design), weights=s.network.get_weights(),
            config=asdict(cfg), x=ds.x, y=ds.y, token=self._token(ds), history=history,
            mode="fine_tune" if self._fine_tuning else "train",
            start=mode if mode in ("step_batch", "step_epoch") else "run",
            seed=int(cfg.seed), fail=self.fail_after)
        bridge = TrainBridge(process, run_id)
        thread = QThread()
        thread.setObjectName("training")
        bridge.moveToThread(thread)
        thread.started.connect(bridge.run)
        bridge.message.connect(self._on_message)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._bridge, self._run_id = thread, bridge, run_id
        self._run_state = "paused" if mode == "step_batch" else "running"
        self._run_x0 = self._x_end
        self._mode = mode
        self._error_shown = False
        self.last_error = None
        self._set_state("paused" if mode == "step_batch" else "running")
        thread.start()
        self.started.emit()

    def _token(self, ds: Any) -> str:
        """The name the training process caches ``ds``'s arrays under (new arrays: new name)."""
        for x, y, token in self._datasets:
            if x is ds.x and y is ds.y:
                return token
        token = f"{os.getpid()}-{next(_tokens)}"
        self._datasets = [*self._datasets[-3:], (ds.x, ds.y, token)]
        return token

    def _cancel_pending(self) -> None:
        if self._pending_start is not None:
            self._pending_start = None
            self.waitingForData.emit(False)

    # ------------------------------------------------------------ curves
    @Slot()
    def _mark_new_curve(self) -> None:
        self._want_new_curve = True
        self._x_end = 0.0

    @Slot(object)
    def _on_design_edited(self, event: Any) -> None:
        if getattr(event, "kind", "") != "node_moved":
            self._mark_new_curve()

    def _begin_new_curve(self, label: str | None = None) -> None:
        self._want_new_curve = False
        self._x_end = 0.0
        if self._curve_has_data or label:
            self._curve_count += 1
            self._curve_has_data = False
            self.newCurve.emit(label or f"run {self._curve_count}")

    # ------------------------------------------------------------ from the training process
    @Slot(object)
    def _on_message(self, msg: ChildMessage) -> None:
        if self.sender() is not self._bridge or self._bridge is None:
            return  # a run the controller gave up on (closing)
        if isinstance(msg, Metrics):
            self._on_metrics(msg)
        elif isinstance(msg, Finished):
            history = History.from_dict(msg.history)
            self._store_weights(msg.weights, history)
            self._set_state("stopped" if msg.stopped else "finished")
            self.finished.emit(history)
        elif isinstance(msg, Failed):
            if msg.kind == "other":
                log.warning("training failed: %s\n%s", msg.message, msg.detail)
            if msg.weights:
                self._store_weights(msg.weights, None)
            self._set_state("error")
            self._error(msg.message)
        elif isinstance(msg, Exited):
            self._set_state("error")
            self._error(
                "The training process ended unexpectedly (exit code "
                f"{msg.exitcode}). The weights of the last update shown were kept; "
                "press Play to go on training.")

    def _on_metrics(self, msg: Metrics) -> None:
        snap = snapshot_from_message(msg, self._run_x0)
        if len(snap.batch_x):
            self._x_end = float(snap.batch_x[-1])
            self._curve_has_data = True
        try:
            self.session.apply_snapshot(snap)
        except (ValueError, DesignError):
            # the design changed under a run: the weights no longer fit; keep metrics only
            snap.weights = {}
            self.session.snapshotApplied.emit(snap)
        # the loop's own state counts only once it has seen every command sent
        if msg.seq >= self.process.last_seq and msg.state == "paused":
            self._run_state = "paused"
            self._set_state("paused")

    def _store_weights(self, weights: dict, history: Any) -> None:
        s = self.session
        try:
            if s.network is not None and not self._fine_tuning:
                s.set_weights(weights, history=history)
            elif s.network is not None:
                s.set_weights(weights)
        except (ValueError, DesignError) as exc:
            self._error(
                "The design changed during training, so the trained weights no longer fit "
                f"it and were not kept ({exc})."
            )

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is not self._thread:
            if isinstance(thread, QThread):
                thread.deleteLater()
            return
        if self._bridge is not None:
            self._bridge.deleteLater()
        self._thread = self._bridge = None
        self._run_state = None
        self._fine_tuning = False
        self._mode = "idle"
        if isinstance(thread, QThread):
            thread.deleteLater()

    def _error(self, message: str) -> None:
        self.last_error = message
        if self.session.training_state in ("running", "paused") and not self.running:
            self._set_state("idle")
        self.errored.emit(message)

    # ------------------------------------------------------------ data
    def load_dataset(self, spec: str, size: int | None = None) -> None:
        """Load the data source ``spec`` in the background; it becomes ``session.dataset``.

        Training cannot swap its data mid-run: a run in progress keeps its data until it
        ends; the next run uses the new data.
        """
        self._scheduled = None
        self.loader.load(spec, int(size or self.image_size))

    def schedule_dataset(self, spec: str, size: int | None = None, delay_ms: int = 0) -> None:
        """Load ``spec`` once the event loop runs (the window appears first); Play pressed
        meanwhile waits for it."""
        from PySide6.QtCore import QTimer

        self._scheduled = spec

        def go() -> None:
            if self._scheduled == spec:
                self._scheduled = None
                self.load_dataset(spec, size)

        QTimer.singleShot(delay_ms, self, go)

    def cancel_loading(self) -> None:
        self.loader.cancel()

    @Slot(str, object)
    def _on_data_loaded(self, spec: str, dataset: Any) -> None:
        self.dataset_spec = spec
        self.session.set_dataset(dataset)
        self.dataLoaded.emit(spec)
        if self._pending_start is not None:
            mode = self._pending_start
            self._pending_start = None
            self.waitingForData.emit(False)
            if not self.running:
                self._start(mode)

    @Slot(str, str)
    def _on_data_failed(self, spec: str, message: str) -> None:
        self.dataFailed.emit(message)
        if self._pending_start is not None:
            self._cancel_pending()
            self._error(f"Training did not start: the data could not be loaded. {message}")

    @Slot(str)
    def _on_data_cancelled(self, spec: str) -> None:
        self.dataCancelled.emit()
        if self._pending_start is not None and not self.loader.busy:
            self._cancel_pending()

    # ------------------------------------------------------------ ending
    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait (processing events) until no training thread is alive; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._thread is not None:
            if time.monotonic() > deadline:
                return False
            self._thread.wait(10)
            QCoreApplication.processEvents()
        QCoreApplication.processEvents()
        return True

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop training and loading, end their threads and the training process (closing
        the window). Never hangs: a process that does not stop in time is killed."""
        self._cancel_pending()
        self._scheduled = None
        ok = self.loader.shutdown(timeout_ms)
        thread, bridge = self._thread, self._bridge
        if thread is not None and bridge is not None:
            self.process.stop()
            if not thread.wait(min(timeout_ms, 3000)):
                bridge.abort = True   # stop waiting for the child
                ok = thread.wait(1000) and ok
            # the run's last signals may still be queued: they are ignored from now on
            self._thread = self._bridge = None
            self._run_state = None
            if self.session.training_state in ("running", "paused"):
                self._set_state("stopped")
        if self._process is not None:
            ok = self._process.shutdown(timeout=1.0) and ok
        if thread is not None and thread.isRunning() and not thread.wait(2000):
            ok = False
            log.warning("the training bridge thread did not stop")
            _KEEP_ALIVE.append((thread, bridge))
        return ok


#: threads that did not stop in time are kept referenced, never destroyed while running
_KEEP_ALIVE: list[tuple[Any, Any]] = []
