"""Training and data loading off the GUI thread.

:class:`TrainingController` lives on the GUI thread and is what the window, the training panel
and the pages talk to. For each run it builds a private copy of the network, moves a
:class:`TrainWorker` to a fresh ``QThread`` and runs the core :class:`~nnstudio.core.training.
Trainer` there. The worker only computes and emits *copies*: at most ~30 snapshots a second,
each carrying every batch metric since the previous one, and weight copies at most ~10 times
a second. Play/pause/step/stop and live learning-rate or batch-size changes go through the
thread-safe core :class:`~nnstudio.core.training.TrainControl`, applied between batches.

:class:`DatasetLoader` runs ``nnstudio.data.sources.load_source`` (generation, downloads) in
its own thread with progress and cancellation.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from nnstudio.core.graph import DesignError
from nnstudio.core.training import History, TrainConfig, TrainControl, TrainingDiverged
from nnstudio.gui.snapshot import Snapshot

log = logging.getLogger(__name__)

#: metric snapshots per second, at most
SNAPSHOT_HZ = 30.0
#: weight copies per second, at most (every page that shows the network redraws from them)
WEIGHTS_HZ = 4.0
#: the longest the interpreter lets one thread hold the GIL (seconds). Python's 5 ms default
#: measured best: shorter intervals (0.1-0.5 ms) made the GUI thread's stalls worse with the
#: mlp design (GIL ping-pong on every one of the GUI's many short Qt calls)
SWITCH_INTERVAL = 0.005


_blas_configured = False


def configure_threading() -> None:
    """Keep the GUI thread responsive while a training thread computes.

    - No thread holds the GIL longer than SWITCH_INTERVAL.
    - NumPy's OpenBLAS uses at most ``cpu_count - 1`` threads, leaving a core to the GUI
      thread. Its threads busy-wait between calls; with one per core they starve the GUI
      thread and, on a small machine, slow training itself by up to 10× (measured with
      bench/bench_gui_stalls.py on 2 cores). An explicit OPENBLAS_NUM_THREADS or
      OMP_NUM_THREADS setting is respected.
    """
    global _blas_configured
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
    if not _blas_configured:
        _blas_configured = True
        import os

        if not any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
            set_blas_threads(max(1, (os.cpu_count() or 2) - 1))


def set_blas_threads(n: int) -> bool:
    """Set the thread count of the OpenBLAS bundled with NumPy at run time (best effort).

    Returns True when an OpenBLAS library was found and told; False otherwise (another BLAS,
    another platform): nothing changes then.
    """
    import ctypes
    from pathlib import Path

    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    candidates = sorted(libdir.glob("*openblas*")) if libdir.is_dir() else []
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                fn(int(n))
                return True
    return False


@dataclass
class TrainSnapshot(Snapshot):
    """A :class:`Snapshot` with plot positions.

    Attributes
    ----------
    batch_x : ndarray, shape (k,)
        Position of each batch on the plots' epoch axis (e.g. 2.25 = a quarter into the third
        epoch of this curve), continuous across continued runs.
    epoch_x : ndarray, shape (len(epochs),)
        Position of each completed epoch on the same axis.
    epochs_total : int
        The epoch number the current run ends at.
    """

    batch_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    epoch_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    epochs_total: int = 0


class _HookedControl(TrainControl):
    """A TrainControl that lets the worker flush its metrics before the loop blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.before_block: Any = None

    def wait(self) -> bool:
        if self._state != "running" and self.before_block is not None:
            self.before_block()
        return super().wait()


def data_mismatch(network: Any, dataset: Any) -> str | None:
    """Why ``dataset`` cannot train ``network`` (a sentence with what to do), or None."""
    in_shape = tuple(network.input_shape)
    need = int(np.prod(in_shape))
    have = int(np.prod(dataset.sample_shape))
    from nnstudio.core.graph import format_shape

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


@dataclass
class _Job:
    """Everything one run needs, prepared on the GUI thread."""

    network: Any
    x: np.ndarray
    y: np.ndarray
    config: TrainConfig
    control: _HookedControl
    history: History | None
    x_offset: float = 0.0


class TrainWorker(QObject):
    """Runs one :class:`Trainer` run on its thread and emits copies.

    Signals
    -------
    snapshot(object)
        A :class:`TrainSnapshot`.
    done(object, object, bool)
        (History, final weights dict, stopped by the person).
    failed(str, object)
        (message, weights dict or None): the run ended with an exception.
    """

    snapshot = Signal(object)
    done = Signal(object, object, bool)
    failed = Signal(str, object)

    def __init__(self, job: _Job) -> None:
        super().__init__()
        self._job = job
        self._reset_pending()
        self._last_emit = 0.0
        self._last_weights = 0.0
        self._prev_w: dict[str, np.ndarray] = {}
        self._batches_since_w = 0
        self._rate_t = 0.0
        self._rate_n = 0
        self._rate = 0.0
        self._trainer: Any = None
        self._last: Any = None
        self._first_epoch = 1

    def _reset_pending(self) -> None:
        self._loss: list[float] = []
        self._acc: list[float] = []
        self._lr: list[float] = []
        self._idx: list[int] = []
        self._bx: list[float] = []
        self._epochs: list[Any] = []
        self._ex: list[float] = []

    @Slot()
    def run(self) -> None:
        job = self._job
        try:
            from nnstudio.core.training import Trainer

            trainer = Trainer(
                job.network, job.x, job.y, job.config, control=job.control, history=job.history
            )
            self._trainer = trainer
            self._first_epoch = len(trainer.history.epochs) + 1
            self._global0 = len(trainer.history)
            job.control.before_block = self._flush
            now = time.perf_counter()
            self._rate_t = 0.0
            self._last_emit = now
            history = trainer.run(on_batch=self._on_batch, on_epoch=self._on_epoch)
            self._emit(with_weights=True)
            self.done.emit(history, job.network.get_weights(), bool(trainer.stopped))
        except TrainingDiverged as exc:
            self._emit_safely()
            self.failed.emit(str(exc), self._weights_or_none())
        except DesignError as exc:  # incl. NotTrainableError
            self.failed.emit(str(exc), None)
        except (ValueError, MemoryError) as exc:
            self._emit_safely()
            self.failed.emit(f"Training stopped: {exc}", self._weights_or_none())
        except Exception as exc:  # noqa: BLE001 - every failure must reach the person
            log.exception("training failed")
            self._emit_safely()
            self.failed.emit(
                f"Training stopped because of an unexpected error ({type(exc).__name__}: {exc}). "
                "The weights of the last good step were kept.",
                self._weights_or_none(),
            )
        finally:
            job.control.before_block = None
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()

    def _weights_or_none(self) -> dict[str, np.ndarray] | None:
        try:
            w = self._job.network.get_weights()
        except Exception:  # noqa: BLE001
            return None
        if all(np.isfinite(v).all() for v in w.values()):
            return w
        return None

    def _emit_safely(self) -> None:
        try:
            self._emit(with_weights=False)
        except Exception:  # noqa: BLE001
            log.exception("could not emit the last metrics")

    # ------------------------------------------------------------ callbacks (worker thread)
    def _x_of(self, epoch: int, batch: int, n_batches: int) -> float:
        return self._job.x_offset + (epoch - self._first_epoch) + batch / max(n_batches, 1)

    def _on_batch(self, info: Any) -> None:
        self._last = info
        self._loss.append(info.loss)
        self._acc.append(math.nan if info.accuracy is None else info.accuracy)
        self._lr.append(info.lr)
        self._idx.append(self._global0 + len(self._idx) + self._emitted_batches)
        self._bx.append(self._x_of(info.epoch, info.batch, info.n_batches))
        self._batches_since_w += 1
        now = time.perf_counter()
        if now - self._last_emit >= 1.0 / SNAPSHOT_HZ or self._job.control.state != "running":
            self._emit(with_weights=now - self._last_weights >= 1.0 / WEIGHTS_HZ, rate=True)

    _emitted_batches = 0

    def _on_epoch(self, info: Any) -> None:
        self._epochs.append(info)
        self._ex.append(self._x_of(info.epoch, 1, 1))
        # an epoch end is worth showing at once (validation numbers just arrived)
        self._emit(with_weights=True)

    def _flush(self) -> None:
        """Called on the worker thread just before the loop blocks (paused or stepping)."""
        self._emit(with_weights=True)

    def _emit(self, *, with_weights: bool, rate: bool = False) -> None:
        now = time.perf_counter()
        info = self._last
        k = len(self._loss)
        if k == 0 and not self._epochs and not with_weights:
            return
        snap = TrainSnapshot(
            batch_loss=np.array(self._loss, np.float32),
            batch_accuracy=np.array(self._acc, np.float32),
            batch_lr=np.array(self._lr, np.float32),
            batch_index=np.array(self._idx, np.int64),
            epochs=list(self._epochs),
            batch_x=np.array(self._bx, np.float64),
            epoch_x=np.array(self._ex, np.float64),
        )
        if info is not None:
            snap.epoch = info.epoch - 1
            snap.batch = info.batch
            snap.n_batches = info.n_batches
            snap.samples_seen = info.samples_seen
            snap.elapsed = info.elapsed
            snap.epochs_total = info.epochs
            dt = info.elapsed - self._rate_t if self._rate_t < info.elapsed else 0.0
            if not rate:  # an epoch end: validation time is not training speed
                self._rate_t, self._rate_n = info.elapsed, info.samples_seen
            elif dt > 0.25:
                rate = (info.samples_seen - self._rate_n) / dt
                self._rate = rate if self._rate == 0 else 0.5 * self._rate + 0.5 * rate
                self._rate_t, self._rate_n = info.elapsed, info.samples_seen
            elif self._rate == 0 and info.elapsed > 0:
                self._rate = info.samples_seen / info.elapsed
            snap.samples_per_second = self._rate
        if with_weights:
            weights = self._job.network.get_weights()
            snap.weights = weights
            self._stats(snap, weights)
            self._last_weights = now
        self._emitted_batches += k
        self._reset_pending()
        self._last_emit = now
        self.snapshot.emit(snap)

    def _stats(self, snap: TrainSnapshot, weights: dict[str, np.ndarray]) -> None:
        """Gradient norms of the last batch; |Δw|/|w| per batch since the last weight copy."""
        trainer = self._trainer
        if trainer is not None:
            for p in trainer.params:
                snap.grad_norms[p.name] = float(np.linalg.norm(p.grad))
        k = max(self._batches_since_w, 1)
        for name, w in weights.items():
            prev = self._prev_w.get(name)
            if prev is not None and prev.shape == w.shape:
                denom = float(np.linalg.norm(prev)) + 1e-12
                snap.update_ratios[name] = float(np.linalg.norm(w - prev)) / denom / k
        self._prev_w = weights
        self._batches_since_w = 0


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


def copy_config(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with ``changes``."""
    return replace(config, **changes)


class TrainingController(QObject):
    """Play, pause, step, stop and reset training of the session's network.

    Lives on the GUI thread; sets ``session.training = self``. Each run trains a private copy
    of ``session.network`` in a :class:`TrainWorker` thread; snapshots are folded into the
    session with ``session.apply_snapshot`` and the final weights with ``session.set_weights``.

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

    def __init__(self, session: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        configure_threading()
        self.session = session
        session.training = self
        self.config = TrainConfig(epochs=5, batch_size=64, lr=1e-3, optimizer="adam",
                                  weight_decay=0.0, val_split=0.1, seed=0)
        self.dataset_spec: str | None = None
        self.image_size = 28
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._control: _HookedControl | None = None
        self._job: _Job | None = None
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
    def running(self) -> bool:
        """True while a training thread is alive (running or paused)."""
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._control is not None and self._control.state == "paused"

    @property
    def waiting_for_data(self) -> bool:
        return self._pending_start is not None

    def _set_state(self, state: str) -> None:
        self.session.set_training_state(state)

    # ------------------------------------------------------------ actions
    @Slot()
    def play(self) -> None:
        """Start a run (continuing from the current weights) or resume a paused one."""
        if self._control is not None:
            self._control.resume()
            self._set_state("running")
            return
        self._start("run")

    @Slot()
    def pause(self) -> None:
        """Pause between two batches."""
        if self._control is not None and self._control.state == "running":
            self._control.pause()
            self._set_state("paused")
        elif self._pending_start is not None:
            self._cancel_pending()

    @Slot()
    def toggle(self) -> None:
        """Play when idle or paused, pause when running."""
        if self._control is not None and self._control.state == "running":
            self.pause()
        else:
            self.play()

    @Slot()
    def step_batch(self) -> None:
        """Train one batch, then pause."""
        if self._control is not None:
            self._control.step_batch(1)
            self._set_state("paused")
            return
        self._start("step_batch")

    @Slot()
    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        if self._control is not None:
            self._control.step_epoch()
            self._set_state("running")
            return
        self._start("step_epoch")

    @Slot()
    def stop(self) -> None:
        """End the run before the next batch (the weights trained so far are kept)."""
        if self._pending_start is not None:
            self._cancel_pending()
        if self._control is not None:
            self._control.stop()

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
        if self._control is not None:
            self._control.set_lr(lr)

    def set_batch_size(self, batch_size: int) -> None:
        """Batch size, applied from the next batch when training."""
        batch_size = int(batch_size)
        if batch_size < 1:
            return
        self.config.batch_size = batch_size
        if self._control is not None:
            self._control.set_batch_size(batch_size)

    def fine_tune(self, dataset: Any, *, epochs: int = 3, lr: float | None = None) -> None:
        """Train the current weights on ``dataset`` (e.g. the person's own digits).

        Runs in the worker like any run (the plots show it as a new curve) and emits
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
        try:
            from nnstudio.core.network import Network

            net = Network(s.design, seed=int(cfg.seed))
            net.set_weights(s.network.get_weights())
        except (DesignError, ValueError) as exc:
            self._fine_tuning = False
            self._error(f"The design cannot be trained: {exc}")
            return
        if label or self._want_new_curve:
            self._begin_new_curve(label)
        history = None
        if not self._fine_tuning and isinstance(s.history, History):
            history = History.from_dict(s.history.to_dict())
        control = _HookedControl()
        if mode == "step_batch":
            control.step_batch(1)
        elif mode == "step_epoch":
            control.step_epoch()
        job = _Job(net, ds.x, ds.y, cfg, control, history, x_offset=self._x_end)
        worker = TrainWorker(job)
        thread = QThread()
        thread.setObjectName("training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.snapshot.connect(self._on_snapshot)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker, self._control, self._job = thread, worker, control, job
        self._mode = mode
        self._error_shown = False
        self.last_error = None
        self._set_state("paused" if mode == "step_batch" else "running")
        thread.start()
        self.started.emit()

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

    # ------------------------------------------------------------ from the worker
    @Slot(object)
    def _on_snapshot(self, snap: TrainSnapshot) -> None:
        if self.sender() is not self._worker:
            return
        if len(snap.batch_x):
            self._x_end = float(snap.batch_x[-1])
            self._curve_has_data = True
        try:
            self.session.apply_snapshot(snap)
        except (ValueError, DesignError):
            # the design changed under a run: the weights no longer fit; keep metrics only
            snap.weights = {}
            self.session.snapshotApplied.emit(snap)
        if self._control is not None and self._control.state == "paused":
            self._set_state("paused")

    @Slot(object, object, bool)
    def _on_done(self, history: Any, weights: dict, stopped: bool) -> None:
        if self.sender() is not self._worker:
            return
        self._store_weights(weights, history)
        self._set_state("stopped" if stopped else "finished")
        self.finished.emit(history)

    @Slot(str, object)
    def _on_failed(self, message: str, weights: Any) -> None:
        if self.sender() is not self._worker:
            return
        if weights:
            self._store_weights(weights, None)
        self._set_state("error")
        self._error(message)

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
        if self._worker is not None:
            self._worker.deleteLater()
        self._thread = self._worker = self._control = self._job = None
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
        """Stop training and loading and wait for their threads (closing the window)."""
        self._cancel_pending()
        self._scheduled = None
        ok = self.loader.shutdown(timeout_ms)
        thread = self._thread
        if thread is not None:
            if self._control is not None:
                self._control.stop()
            if thread.wait(timeout_ms):
                # the run's last signals may still be queued: they are ignored from now on
                self._thread = self._worker = self._control = self._job = None
                if self.session.training_state in ("running", "paused"):
                    self._set_state("stopped")
            else:
                ok = False
                log.warning("the training thread did not stop within %d ms", timeout_ms)
                _KEEP_ALIVE.append((thread, self._worker))
        return ok


#: threads that did not stop in time are kept referenced, never destroyed while running
_KEEP_ALIVE: list[tuple[Any, Any]] = []
