"""The training child process: runs core :class:`Trainer` runs asked for through a pipe.

Started by :class:`nnstudio.core.trainproc.TrainingProcess`; the messages are those of
:mod:`nnstudio.core.trainprotocol`. The main thread trains, one run at a time; a listener
thread receives the parent's commands and applies them to the run's :class:`TrainControl` at
once (pause, step, stop, live learning rate and batch size take effect between batches); a
heartbeat thread says every ``HEARTBEAT_S`` seconds that a run is active, so the parent
notices a child that stopped responding. The parent's end of the pipe closing (the parent
ended) stops the run and ends the process.

Recording runs is not this layer's job: a child started through a higher layer's entry point
(:data:`nnstudio.core.trainlaunch.CHILD_ENTRY` names the default) passes a
:class:`RunRecording`, and a run whose spec carries ``record`` is then recorded through the
same ``on_batch`` / ``on_epoch`` callbacks the reporter uses; its record is ended with the
run's outcome before the parent hears of it.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from nnstudio.core.control import TrainControl
from nnstudio.core.optimizers import OptimizerState
from nnstudio.core.trainprotocol import (
    HEARTBEAT_S,
    MAX_CACHED_DATASETS,
    OPTIMIZER_STATE_MAX,
    Control,
    EpochEnd,
    Failed,
    Finished,
    Heartbeat,
    Hello,
    Metrics,
    Progress,
    Recorded,
    Run,
    RunSpec,
    Shutdown,
)

log = logging.getLogger(__name__)

#: metric messages per second, at most
SNAPSHOT_HZ = 30.0
#: weight copies per second, at most (every page that shows the network redraws from them)
WEIGHTS_HZ = 4.0
#: how much lower than the window the child's CPU priority is (POSIX nice increment)
NICENESS = 10


class RunCallbacks(Protocol):
    """What :meth:`RunRecording.begin` returns: wrappers of the trainer's callbacks."""

    def on_batch(self, then: Callable[[Any], object] | None = None) -> Callable[[Any], None]:
        ...

    def on_epoch(self, then: Callable[[Any], object] | None = None) -> Callable[[Any], None]:
        ...


class RunRecording(Protocol):
    """Records the child's runs (given by an entry point of a higher layer).

    ``begin`` is called before a run whose spec carries ``record`` trains, with a ``tell``
    callable that sends :class:`~nnstudio.core.trainprotocol.Recorded` (``record``,
    ``path``, ``warning``); ``end`` when it ended, with an outcome (``finished``,
    ``stopped``, ``diverged``, ``failed``, ``interrupted``); ``close`` when the process
    ends. None of them may stop training: errors are theirs to report through ``tell``.
    """

    def begin(self, spec: RunSpec, trainer: Any,
              tell: Callable[[str, str, str], None]) -> RunCallbacks | None:
        ...

    def end(self, outcome: str, message: str = "") -> None:
        ...

    def close(self) -> None:
        ...


class _HookedControl(TrainControl):
    """A TrainControl that lets the reporter flush its metrics before the loop blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.before_block: Any = None

    def wait(self) -> bool:
        if self._state != "running" and self.before_block is not None:
            self.before_block()
        return super().wait()


class _Reporter:
    """Collects per-batch metrics on the training thread and sends throttled messages."""

    def __init__(self, send: Any, run_id: int, trainer: Any, control: _HookedControl,
                 seq: Any, fail: tuple[int, str] | None = None) -> None:
        self.send, self.run_id, self.trainer, self.control = send, run_id, trainer, control
        self.seq = seq                    # () -> last command applied
        self.fail = fail                  # (after n batches, message): tests of errors
        self.first_epoch = len(trainer.history.epochs) + 1
        self.global0 = len(trainer.history)
        self.emitted = 0                  # batches sent so far
        self.n_batches_run = 0
        self.last_emit = time.perf_counter()
        self.last_weights = 0.0
        self.prev_w: dict[str, np.ndarray] = {}
        self.batches_since_w = 0
        self.rate_t = self.rate_n = 0.0
        self.rate = 0.0
        self.last: Any = None
        self._reset()

    def _reset(self) -> None:
        self.loss: list[float] = []
        self.acc: list[float] = []
        self.lr: list[float] = []
        self.pos: list[float] = []
        self.epochs: list[EpochEnd] = []

    def _pos(self, epoch: int, batch: int, n_batches: int) -> float:
        return (epoch - self.first_epoch) + batch / max(n_batches, 1)

    # ------------------------------------------------------------ Trainer callbacks
    def on_batch(self, info: Any) -> None:
        self.last = info
        self.loss.append(info.loss)
        self.acc.append(math.nan if info.accuracy is None else info.accuracy)
        self.lr.append(info.lr)
        self.pos.append(self._pos(info.epoch, info.batch, info.n_batches))
        self.batches_since_w += 1
        self.n_batches_run += 1
        if self.fail is not None and self.n_batches_run >= self.fail[0]:
            raise RuntimeError(self.fail[1])
        if self._due():
            self.emit(with_weights=self._weights_due(), rate=True)

    def on_epoch(self, info: Any) -> None:
        self.epochs.append(EpochEnd(info, self._pos(info.epoch, 1, 1)))
        if self.last is not None:  # the validation just done is not training speed
            self.rate_t, self.rate_n = self.last.elapsed, self.last.samples_seen
        # paced like batches: epochs of milliseconds would send hundreds of weight copies a
        # second; the validation numbers still arrive within 1 / SNAPSHOT_HZ
        if self._due():
            self.emit(with_weights=self._weights_due())

    def _due(self) -> bool:
        """A message is due: the last is 1 / SNAPSHOT_HZ old, or the run does not run on."""
        return (time.perf_counter() - self.last_emit >= 1.0 / SNAPSHOT_HZ
                or self.control.state != "running")

    def _weights_due(self) -> bool:
        """The next message carries weights: the last copy is 1 / WEIGHTS_HZ old (a step or
        a pause sends them when the loop blocks: :meth:`flush`)."""
        return time.perf_counter() - self.last_weights >= 1.0 / WEIGHTS_HZ

    def flush(self) -> None:
        """The loop is about to block (paused or stepped): send everything now."""
        self.emit(with_weights=True)

    # ------------------------------------------------------------ messages
    def emit(self, *, with_weights: bool, rate: bool = False) -> None:
        now = time.perf_counter()
        k = len(self.loss)
        if k == 0 and not self.epochs and not with_weights:
            return
        seq = self.seq()  # before the state: a state newer than seq is only conservative
        msg = Metrics(
            run=self.run_id, seq=seq, state=self.control.state,
            loss=np.array(self.loss, np.float32), acc=np.array(self.acc, np.float32),
            lr=np.array(self.lr, np.float32),
            index=np.arange(self.global0 + self.emitted, self.global0 + self.emitted + k,
                            dtype=np.int64),
            pos=np.array(self.pos, np.float64), epochs=self.epochs)
        info = self.last
        if info is not None:
            dt = info.elapsed - self.rate_t if self.rate_t < info.elapsed else 0.0
            if not rate:  # an epoch end: validation time is not training speed
                self.rate_t, self.rate_n = info.elapsed, info.samples_seen
            elif dt > 0.25:
                r = (info.samples_seen - self.rate_n) / dt
                self.rate = r if self.rate == 0 else 0.5 * self.rate + 0.5 * r
                self.rate_t, self.rate_n = info.elapsed, info.samples_seen
            elif self.rate == 0 and info.elapsed > 0:
                self.rate = info.samples_seen / info.elapsed
            msg.progress = Progress(
                epoch=info.epoch - 1, batch=info.batch, n_batches=info.n_batches,
                samples_seen=info.samples_seen, elapsed=info.elapsed, epochs_total=info.epochs,
                samples_per_second=self.rate)
        if with_weights:
            weights = self.trainer.network.get_weights()
            msg.weights = weights
            self._stats(msg, weights)
            optimizer = getattr(self.trainer, "optimizer", None)  # the perceptron rule has none
            if optimizer is not None and self.trainer.network.n_params <= OPTIMIZER_STATE_MAX:
                msg.optimizer = OptimizerState.of(optimizer)
            self.last_weights = now
        self.emitted += k
        self._reset()
        self.last_emit = now
        self.send(msg)

    def _stats(self, msg: Metrics, weights: dict[str, np.ndarray]) -> None:
        """Gradient norms of the last batch; |Δw|/|w| per batch since the last weight copy."""
        for p in self.trainer.params:
            msg.grad_norms[p.name] = float(np.linalg.norm(p.grad))
        k = max(self.batches_since_w, 1)
        for name, w in weights.items():
            prev = self.prev_w.get(name)
            if prev is not None and prev.shape == w.shape:
                denom = float(np.linalg.norm(prev)) + 1e-12
                msg.update_ratios[name] = float(np.linalg.norm(w - prev)) / denom / k
        self.prev_w = weights
        self.batches_since_w = 0


class _Child:
    """State of the child process: the pipe ends, the dataset cache, the current run."""

    def __init__(self, conn: Any, data: Any, recording: RunRecording | None = None) -> None:
        self.conn, self.data = conn, data
        self.recording = recording
        self.stop_why: str | None = None  # "closing": the window closes
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.run_id = 0
        self.active = 0      # the run received and not yet ended (heartbeats while set)
        self.control: _HookedControl | None = None
        self.seq = 0
        self.closing = threading.Event()

    # ------------------------------------------------------------ listener thread
    def listen(self) -> None:
        try:
            while True:
                msg = self.conn.recv()
                if isinstance(msg, Shutdown):
                    break
                if isinstance(msg, Run):
                    control = _HookedControl()
                    with control.command(msg.seq):
                        if msg.spec.start == "step_batch":
                            control.step_batch(1)
                        elif msg.spec.start == "step_epoch":
                            control.step_epoch()
                    with self.lock:
                        if self.control is not None:
                            self.control.stop()  # a new run replaces an unfinished one
                        self.run_id, self.control, self.seq = msg.run, control, msg.seq
                        self.active = msg.run
                        self.stop_why = None
                    self.jobs.put((msg.run, msg.spec))
                    continue
                if isinstance(msg, Control):
                    with self.lock:
                        if msg.run == self.run_id and self.control is not None:
                            if msg.name == "stop" and isinstance(msg.arg, str):
                                self.stop_why = msg.arg
                            with self.control.command(msg.seq):
                                self._apply(self.control, msg.name, msg.arg)
                        self.seq = msg.seq
                else:
                    log.warning("ignored an unknown message %r", type(msg).__name__)
        except (EOFError, OSError):
            pass  # the parent is gone
        finally:
            self.closing.set()
            with self.lock:
                if self.control is not None:
                    self.control.stop()
            self.jobs.put(None)

    @staticmethod
    def _apply(control: TrainControl, name: str, arg: Any) -> None:
        try:
            if name == "pause":
                control.pause()
            elif name == "resume":
                control.resume()
            elif name == "step_batch":
                control.step_batch(int(arg or 1))
            elif name == "step_epoch":
                control.step_epoch()
            elif name == "stop":
                control.stop()
            elif name == "set_lr":
                control.set_lr(arg)
            elif name == "set_batch_size":
                control.set_batch_size(arg)
        except ValueError as exc:  # a bad value changes nothing
            log.warning("ignored %s(%r): %s", name, arg, exc)

    # ------------------------------------------------------------ heartbeat thread
    def beat(self) -> None:
        """Say every HEARTBEAT_S seconds that the current run is active."""
        while not self.closing.wait(HEARTBEAT_S):
            run = self.active
            if run:
                try:
                    self.send(Heartbeat(run))
                except (BrokenPipeError, EOFError, OSError):
                    return  # the parent is gone

    # ------------------------------------------------------------ main thread
    def send(self, msg: Any) -> None:
        with self.send_lock:
            self.conn.send(msg)

    def serve(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None or self.closing.is_set():
                return
            run_id, spec = job
            try:
                self.train(run_id, spec)
            except (BrokenPipeError, EOFError, OSError):
                return  # the parent is gone
            finally:
                with self.lock:
                    if self.active == run_id:
                        self.active = 0

    def _dataset(self, spec: RunSpec) -> tuple[np.ndarray, np.ndarray]:
        if spec.data is not None:
            x, y = spec.data.empty()
            for arr in (x, y):
                if arr.nbytes:
                    self.data.recv_bytes_into(arr.reshape(-1).view(np.uint8))
                else:
                    self.data.recv_bytes()
            self.cache[spec.token] = (x, y)
            while len(self.cache) > MAX_CACHED_DATASETS:
                self.cache.pop(next(iter(self.cache)))
        else:
            self.cache[spec.token] = self.cache.pop(spec.token)  # most recently used last
        return self.cache[spec.token]

    def train(self, run_id: int, spec: RunSpec) -> None:
        from nnstudio.core.design import DesignError, design_from_json
        from nnstudio.core.network import Network, NotTrainableError
        from nnstudio.core.perceptron import is_perceptron
        from nnstudio.core.perceptron_training import PerceptronTrainer
        from nnstudio.core.training import History, TrainConfig, Trainer, TrainingDiverged

        x, y = self._dataset(spec)  # read even for a run that is already stopped
        with self.lock:
            control = self.control if run_id == self.run_id else None
        if control is None or self.closing.is_set():
            return  # replaced by a newer run, or the parent is gone
        trainer = network = reporter = None
        recording: list[RunRecording] = []   # the recording to end, once it began

        def end_record(outcome: str, message: str = "") -> None:
            while recording:
                try:
                    recording.pop().end(outcome, message)
                except Exception:  # noqa: BLE001 - recording never stops training
                    log.exception("could not end the run's record")

        def weights_or_none() -> dict | None:
            try:
                w = network.get_weights()
            except Exception:  # noqa: BLE001
                return None
            return w if all(np.isfinite(v).all() for v in w.values()) else None

        def error(kind: str, message: str, weights: dict | None) -> None:
            end_record("diverged" if kind == "diverged" else "failed", message)
            if reporter is not None:
                try:
                    reporter.emit(with_weights=False)
                except Exception:  # noqa: BLE001
                    log.exception("could not send the last metrics")
            self.send(Failed(run_id, kind, message, weights, traceback.format_exc()))

        try:
            try:
                network = Network(design_from_json(spec.design_json), seed=spec.seed)
                network.set_weights(spec.weights)
            except (DesignError, ValueError) as exc:
                error("design", f"The design cannot be trained: {exc}", None)
                return
            history = History.from_dict(spec.history) if spec.history else None
            if is_perceptron(network):  # one step neuron: the perceptron rule, not backprop
                trainer = PerceptronTrainer(network, x, y, TrainConfig(**spec.config),
                                            control=control, history=history)
            else:
                trainer = Trainer(network, x, y, TrainConfig(**spec.config), control=control,
                                  history=history)
            reporter = _Reporter(self.send, run_id, trainer, control, lambda: self.seq,
                                 spec.fail)
            control.before_block = reporter.flush
            on_batch, on_epoch = reporter.on_batch, reporter.on_epoch
            callbacks = self._begin_record(run_id, spec, trainer)
            if callbacks is not None:
                assert self.recording is not None
                recording.append(self.recording)
                on_batch, on_epoch = callbacks.on_batch(on_batch), callbacks.on_epoch(on_epoch)
            hist = trainer.run(on_batch=on_batch, on_epoch=on_epoch)
            control.before_block = None
            if self.closing.is_set() or self.stop_why == "closing":
                end_record("interrupted", "the window was closed while it trained")
            else:
                end_record("stopped" if trainer.stopped else "finished")
            reporter.emit(with_weights=True)
            self.send(Finished(run_id, network.get_weights(), hist.to_dict(),
                               bool(trainer.stopped), spec.data is None,
                               getattr(trainer, "outcome", None), control.seen))
        except (BrokenPipeError, EOFError):
            end_record("interrupted", "the window went away while it trained")
            raise
        except TrainingDiverged as exc:
            error("diverged", str(exc), weights_or_none())
        except NotTrainableError as exc:
            error("not_trainable", str(exc), None)
        except DesignError as exc:
            error("design", str(exc), None)
        except (ValueError, MemoryError) as exc:
            error("data", f"Training stopped: {exc}", weights_or_none())
        except Exception as exc:  # noqa: BLE001 - every failure must reach the person
            error("other", f"Training stopped because of an unexpected error "
                  f"({type(exc).__name__}: {exc}). The weights of the last good step were "
                  "kept.", weights_or_none())
        finally:
            control.before_block = None
            end_record("failed", "training ended unexpectedly")

    def _begin_record(self, run_id: int, spec: RunSpec, trainer: Any) -> RunCallbacks | None:
        """Begin recording the run when it asks for a record and this child records."""
        if self.recording is None or spec.record is None:
            return None

        def tell(record: str, path: str, warning: str = "") -> None:
            try:
                self.send(Recorded(run_id, record, path, warning))
            except (BrokenPipeError, EOFError, OSError):
                pass   # the parent is gone: the run ends by itself

        try:
            return self.recording.begin(spec, trainer, tell)
        except Exception as exc:  # noqa: BLE001 - recording never stops training
            log.exception("could not begin the run's record")
            tell("", "", f"The run is not recorded ({type(exc).__name__}: {exc}).")
            return None


def lower_priority(increment: int) -> None:
    """Lower the CPU priority of this process by ``increment`` (POSIX nice), every thread.

    On Linux a nice value belongs to a thread, and ``os.nice`` changes only the calling one
    (threads started later inherit it); OpenBLAS started its threads when NumPy loaded, so
    each existing thread is lowered by its id. Best effort: nothing happens where not allowed.
    """
    if not hasattr(os, "nice"):
        return
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except (OSError, ValueError):
        tids = []
    me = threading.get_native_id()
    for tid in tids:
        if tid == me:
            continue
        try:
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + increment)
        except OSError:
            pass
    try:
        os.nice(increment)
    except OSError:
        pass


def main_fds(cmd_fd: int, data_fd: int, threads: int,
             recording: RunRecording | None = None) -> None:
    """Entry point of a child started with inherited pipe file descriptors (POSIX)."""
    from multiprocessing.connection import Connection

    child_main(Connection(cmd_fd), Connection(data_fd, writable=False), threads, recording)


def child_main(conn: Any, data: Any, threads: int,
               recording: RunRecording | None = None) -> None:
    """Entry point of the child process (``spawn``): limit threads, then serve the pipe
    (recording the runs that ask for it with ``recording``)."""
    from nnstudio.core import parallel
    from nnstudio.core.threads import (
        set_blas_threads,
        training_process_environment,
        user_limit,
    )

    n = max(1, int(threads))
    os.environ.update(training_process_environment(n))  # libraries loaded from now on
    set_blas_threads(user_limit() or 1)                  # NumPy's OpenBLAS, already loaded
    # threads for the slices of a batch only: an operation split across niced threads on a
    # busy machine waits for the slower one (the mlp trained ~5x slower so)
    parallel.set_threads(n, split_operations=False)
    lower_priority(NICENESS)  # the window first when the cores are busy; idle cores train
    import nnstudio

    child = _Child(conn, data, recording)
    try:
        child.send(Hello(os.getpid(), os.path.dirname(os.path.abspath(nnstudio.__file__))))
    except (BrokenPipeError, EOFError, OSError):
        return  # the parent is gone already
    listener = threading.Thread(target=child.listen, name="nnstudio-commands", daemon=True)
    listener.start()
    threading.Thread(target=child.beat, name="nnstudio-heartbeat", daemon=True).start()
    try:
        child.serve()
    finally:
        child.closing.set()
        if recording is not None:
            try:
                recording.close()
            except Exception:  # noqa: BLE001 - the process ends anyway
                log.exception("could not close the run records")
        for c in (conn, data):
            try:
                c.close()
            except OSError:
                pass
