"""Training off the GUI thread: the controller the window talks to.

:class:`TrainingController` lives on the GUI thread and is what the window, the training panel
and the pages talk to. The training itself computes in a child process
(:class:`~nnstudio.core.trainproc.TrainingProcess`, started on first use and reused), so it
never holds the window's GIL. For each run a :class:`~nnstudio.gui.worker.Worker` pumps the
pipe (:func:`~nnstudio.gui.train.bridge.pump`); the child's messages (copies: at most ~30
metric messages a second with every batch since the last, weight copies a few times a second)
become :class:`~nnstudio.gui.snapshot.Snapshot` objects folded into the session on
the GUI thread. The controller reads the training settings and the data from the window's
state and writes the settings (:meth:`TrainingController.apply_settings`) and the run state;
the weights and history it receives go in through the session. Play/pause/step/stop and
live learning-rate or batch-size changes are queued commands, applied by the child between
batches. A child that stops responding (no heartbeat) is reported with
:attr:`TrainingController.unresponsive`; :meth:`TrainingController.restart` ends it, and
Stop, Reset and closing end it at once.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from nnstudio.core.datafit import fitted_data
from nnstudio.core.design import design_to_json
from nnstudio.core.perceptron import is_perceptron
from nnstudio.core.training import History, TrainConfig
from nnstudio.core.trainproc import TrainingProcess
from nnstudio.core.trainprotocol import (
    ChildMessage,
    Exited,
    Failed,
    Finished,
    Metrics,
    Recorded,
    Unresponsive,
)
from nnstudio.gui.session import Session
from nnstudio.gui.train.bridge import DatasetTokens, configure_threading, pump
from nnstudio.gui.train.data_feed import DataFeed
from nnstudio.gui.train.data_loader import why_not_ready
from nnstudio.gui.train.plan import EpochPlan
from nnstudio.gui.train.progress import SpeedMeter
from nnstudio.gui.train.receive import apply_metrics, store_weights
from nnstudio.gui.worker import Worker, work
from nnstudio.runs.child import ENTRY as RECORDING_CHILD
from nnstudio.state import RunState

__all__ = ["TrainingController"]

log = logging.getLogger(__name__)

#: the perceptron rule's settings: its classic learning rate, and enough passes to separate
#: what a straight line can separate (it stops by itself before)
PERCEPTRON_SETTINGS = {"lr": 0.1, "epochs": 100}


class TrainingController(QObject):
    """Play, pause, step, stop and reset training of the session's network.

    Lives on the GUI thread; sets ``session.training = self``. It reads the training
    settings and the data from the window's state (``session.state``) and is the only writer
    of its ``settings`` and ``run_state``. Each run trains a copy of
    ``session.network``'s weights in the training process (:attr:`process`); snapshots are
    folded into the session with ``session.apply_snapshot`` and the final weights with
    ``session.set_weights``.

    Signals
    -------
    started(str)
        A run started; the argument labels it ("" for training, "fine-tuning"). Its
        metrics are placed from 0 on the epoch axis (the Train view continues its curve).
    finished(History)
        A run ended normally or was stopped; the run's history.
    errored(str)
        Training could not start or failed; a sentence saying what happened and what to do.
    wasReset()
        The network got fresh random weights (the next metrics start a fresh curve).
    unresponsive(str)
        The training process stopped responding during a run (a sentence for the person);
        :meth:`restart` ends it.
    responsive()
        It responds again (after ``unresponsive``).
    commanded(str)
        ``"play"``, ``"step"``, ``"stop"`` or ``"reset"`` was asked for.
    perceptronEnded(dict)
        A perceptron run ended: how (``PerceptronTrainer.outcome``: ``kind`` separated,
        cycle, out_of_passes or stopped, ``passes``, ``mistakes``, ``period``).
    recorded(Recorded)
        The training process says where the run is recorded;
        :attr:`recorder` makes the record part of a run's spec.
    configChanged()
        :attr:`config` changed (through :meth:`apply_settings`, :meth:`set_lr`,
        :meth:`set_batch_size`, or the controller itself, e.g. the perceptron's settings):
        views showing it, like the Training panel, re-read it.
    """

    started = Signal(str)
    finished = Signal(History)
    errored = Signal(str)
    wasReset = Signal()
    unresponsive = Signal(str)
    responsive = Signal()
    perceptronEnded = Signal(dict)
    configChanged = Signal()
    commanded = Signal(str)
    recorded = Signal(Recorded)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        configure_threading()
        self.session = session
        self.state = session.state
        session.training = self
        self.state.events.settings.connect(self._emit_config_changed)
        self._process: TrainingProcess | None = None
        self._worker: Worker | None = None   # pumps the current run's messages
        self._run_state: str | None = None   # "running" | "paused" as last commanded
        self._stop_requested = False         # Stop, Reset or closing asked the run to end
        self._ending: str | None = None      # why the controller killed the child
        #: the latest Play, Step, Pause or Stop sent to the run: (its seq, the run mode it
        #: asks for, None for Pause and Stop); one the run never saw is done after it
        self._last_control: tuple[int, str | None] | None = None
        #: True while the training process of the current run does not respond
        self.stalled = False
        self._tokens = DatasetTokens()
        #: (dataset, the network's cost and outputs, (x, y) ready for it)
        self._fitted: tuple[Any, tuple, tuple[Any, Any]] | None = None
        self._fine_tuning = False
        self.last_error: str | None = None
        #: the data training uses (source, image size, background loading)
        self.data = DataFeed(session, self)
        #: how the last perceptron run ended (see ``perceptronEnded``), None otherwise
        self.last_outcome: dict | None = None
        #: samples per second of the current (or last) run, from its progress reports
        self.speed = SpeedMeter()
        #: the epoch Play trains up to (a stopped run is continued to it)
        self.plan = EpochPlan()
        #: the run and checkpoint the current run continues ("Continue from here"), or None
        self.run_parent: dict | None = None
        #: ``recorder(config, fine_tuning, dataset, fork)`` gives a run's record request (see
        #: nnstudio.runs.child.record_request); None records nothing
        self.recorder: Any = None
        session.designReplaced.connect(self._on_design_replaced)
        session.designReplaced.connect(self.speed.clear)
        session.datasetChanged.connect(self.plan.drop)
        # a design (edited or another), weights, data or settings of its own
        for changed in (session.modelChanged, session.datasetChanged, self.configChanged):
            changed.connect(self._cause_changed)
        self._on_design_replaced()

    # ------------------------------------------------------------ state
    @property
    def config(self) -> TrainConfig:
        """The training settings (the state's ``settings``; frozen: change them with
        :meth:`apply_settings`)."""
        return self.state.settings

    def _emit_config_changed(self, _settings: TrainConfig) -> None:
        self.configChanged.emit()

    @property
    def process(self) -> TrainingProcess:
        """The training process handle (its child starts on the first run)."""
        if self._process is None:
            self._process = TrainingProcess(entry=RECORDING_CHILD)
        return self._process

    def warm_up(self) -> None:
        """Start the training process in the background, so the first Play trains at once."""
        if not self.running:
            work(self.process.start, name="warm-up")

    @property
    def running(self) -> bool:
        """True while a run is active (running or paused)."""
        return self._worker is not None

    @property
    def waiting_for_data(self) -> bool:
        """Play was pressed while the data is loading: training starts when it arrives
        (``data.waiting`` says when this changes)."""
        return self.data.waited_for

    def _set_state(self, state: str) -> None:
        self.state.run_state = RunState(state)

    def _end_run(self, state: str) -> None:
        """The current run ended in ``state``: its last message came (its pump's thread
        ends by itself), so Play or Step from now on start the next run."""
        self._worker, self._run_state = None, None
        self.speed.stop()
        self._fine_tuning = self._stop_requested = False
        if self.stalled:
            self.stalled = False
            self.responsive.emit()
        self._set_state(state)

    def _note(self, then: str | None) -> None:
        self._last_control = (self.process.last_seq, then)

    # ------------------------------------------------------------ actions
    @Slot()
    def play(self) -> None:
        """Start a run (continuing from the current weights) or resume a paused one."""
        self.commanded.emit("play")
        if self.running:
            self.process.resume()
            self._note("run" if self._run_state == "paused" else None)
            self._run_state = "running"
            self._set_state("running")
            return
        self._start("run")

    @Slot()
    def pause(self) -> None:
        """Pause between two batches."""
        if self.running and self._run_state == "running":
            self.process.pause()
            self._note(None)
            self._run_state = "paused"
            self._set_state("paused")
        else:
            self.data.stop_waiting()

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
        self.commanded.emit("step")
        if self.running:
            self.process.step_batch(1)
            self._note("step_batch")
            self._run_state = "paused"
            self._set_state("paused")
            return
        self._start("step_batch")

    @Slot()
    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        if self.running:
            self.process.step_epoch()
            self._note("step_epoch")
            self._run_state = "running"
            self._set_state("running")
            return
        self._start("step_epoch")

    @Slot()
    def stop(self, why: str = "") -> None:
        """End the run before the next batch (the weights trained so far are kept);
        ``why`` ``"closing"``: the window closes (its record reads "interrupted")."""
        self.commanded.emit("stop")
        self.data.stop_waiting()
        if self.running:
            self._stop_requested = True
            if self.stalled:  # it would not hear it: end it now
                self._kill("stopped")
            else:
                self.process.stop(why or None)
                self._note(None)

    @Slot()
    def restart(self) -> None:
        """End a training process that does not respond (the weights shown last are kept);
        the next run starts a new one."""
        if self.running:
            self._kill("restarted")
        elif self._process is not None:
            self._process.shutdown(timeout=1.0)

    def _kill(self, why: str) -> None:
        self._ending = why
        self.process.kill()  # the pump then sees the pipe close: Exited ends the run

    @Slot()
    def reset(self) -> None:
        """Stop, then give the network fresh random weights and start a new curve."""
        self.data.stop_waiting()
        if self.running:
            self.stop()
            self.wait_idle(15000)
        self.session.reset_weights(seed=int(self.config.seed))
        self.plan.drop()
        self.speed.clear()
        self.wasReset.emit()
        self._set_state("idle")
        self.commanded.emit("reset")

    @Slot()
    def _cause_changed(self) -> None:
        """The design, the data, the weights or a setting changed: a failed run's error no
        longer describes what Play would do now, so the state leaves "error" (the status bar
        stops saying Error)."""
        if self.session.training_state == "error" and not self.running:
            self.last_error = None
            self._set_state("idle")

    def apply_settings(self, **changes: Any) -> None:
        """Change fields of :attr:`config` (e.g. ``lr=0.1, epochs=100``) and tell the panel.

        A run in progress takes a new learning rate or batch size from its next batch; the
        rest applies from the next Play.
        """
        settings = replace(self.state.settings, **changes)
        if settings == self.state.settings:
            return
        self.state.settings = settings   # -> configChanged
        if self.running and "lr" in changes:
            self.process.set_lr(float(changes["lr"]))
        if self.running and "batch_size" in changes:
            self.process.set_batch_size(int(changes["batch_size"]))

    @Slot()
    def _on_design_replaced(self) -> None:
        """A perceptron trains with the perceptron rule's own settings."""
        self.plan.drop()
        net = self.session.network
        if net is not None and is_perceptron(net):
            self.apply_settings(**PERCEPTRON_SETTINGS)

    def set_lr(self, lr: float) -> None:
        """Learning rate (positive and finite, else ignored), live when training."""
        if math.isfinite(float(lr)) and float(lr) > 0:
            self.apply_settings(lr=float(lr))

    def set_batch_size(self, batch_size: int) -> None:
        """Batch size (at least 1, else ignored), live when training."""
        if int(batch_size) >= 1:
            self.apply_settings(batch_size=int(batch_size))

    def fine_tune(self, dataset: Any, *, epochs: int = 3, lr: float | None = None) -> None:
        """Train the current weights on ``dataset`` (e.g. the person's own digits), as a run
        of its own (a new curve on the plots); ``finished`` at the end, or ``errored``."""
        if self.running:
            self._error("Training is already running: stop it before fine-tuning.")
            return
        cfg = replace(self.config, epochs=max(1, int(epochs)), val_split=0.0,
                          lr=float(lr) if lr else self.config.lr)
        self._fine_tuning = True
        self._start("run", dataset=dataset, config=cfg, label="fine-tuning")

    # ------------------------------------------------------------ starting a run
    def check_ready(self, dataset: Any = None) -> str | None:
        """Why training cannot start now (a sentence saying what to do), or None."""
        problem = why_not_ready(self.session, dataset)
        if problem is None:  # the design and the data fit: are the data's values numbers?
            problem = self.data.damaged(dataset if dataset is not None else self.session.dataset)
        return problem

    def _start(self, mode: str, *, dataset: Any = None, config: TrainConfig | None = None,
               label: str | None = None) -> None:
        s = self.session
        if dataset is None and self.data.wait_for_data(
                lambda: None if self.running else self._start(mode),
                lambda message: self._error(
                    f"Training did not start: the data could not be loaded. {message}")):
            return
        problem = self.check_ready(dataset)
        if problem:
            self._fine_tuning = False
            self._error(problem)
            return
        ds = dataset if dataset is not None else s.dataset
        cfg = replace(config or self.config)
        try:
            cfg.validate()
        except ValueError as exc:
            self._fine_tuning = False
            self._error(f"Check the training settings: {exc}")
            return
        history = s.history if isinstance(s.history, History) and not self._fine_tuning \
            else None
        if not self._fine_tuning:
            cfg = replace(cfg, epochs=self.plan.epochs_to_train(
                len(history.epochs) if history else 0, int(cfg.epochs)))
        x, y = self._targets(ds)
        record = self.recorder(cfg, self._fine_tuning, ds, self.state.fork) \
            if self.recorder else None
        process = self.process
        run_id = process.run(
            design_json=design_to_json(s.design), weights=s.network.get_weights(),
            config=asdict(cfg), x=x, y=y, token=self._tokens.token(x, y),
            history=history.to_dict() if history is not None else None,
            mode="fine_tune" if self._fine_tuning else "train",
            start=mode if mode in ("step_batch", "step_epoch") else "run",
            seed=int(cfg.seed), record=record)
        worker = Worker(pump, process, run_id, name="training")
        worker.yielded.connect(lambda msg, w=worker: self._on_message(w, msg))
        worker.error.connect(lambda exc, w=worker: self._on_message(
            w, Failed(run_id, "other", f"Training stopped: {type(exc).__name__}: {exc}")))
        worker.finished.connect(lambda w=worker: self._on_worker_finished(w))
        self._worker = worker
        self._run_state = "paused" if mode == "step_batch" else "running"
        #: the run and checkpoint this run continues (a fork), for its record
        self.run_parent, self.state.fork = self.state.fork, None
        self._stop_requested, self._ending, self.stalled = False, None, False
        self._last_control = None
        self.last_error = None
        self.speed.reset()
        self._set_state("paused" if mode == "step_batch" else "running")
        worker.start()
        self.started.emit(label or "")

    def _targets(self, ds: Any) -> tuple[Any, Any]:
        """The data in the form the network's cost takes (the same arrays, for the same
        data and network, so the training process keeps its copy)."""
        net = self.session.network
        key = (net.task, net.loss_name, tuple(net.output_shape))
        cached = self._fitted
        if cached is None or cached[0] is not ds or cached[1] != key:
            cached = self._fitted = (ds, key, fitted_data(net, ds))
        return cached[2]

    # ------------------------------------------------------------ from the training process
    def _on_message(self, worker: Worker, msg: ChildMessage) -> None:
        if worker is not self._worker:
            return  # a run the controller gave up on (closing)
        if self.stalled and not isinstance(msg, Exited):
            self.stalled = False
            self.responsive.emit()
        if isinstance(msg, Metrics):
            self._on_metrics(msg)
        elif isinstance(msg, Finished):
            history = History.from_dict(msg.history)
            self._store_weights(msg.weights, history)
            seq, then = self._last_control or (0, None)
            self.last_outcome = msg.outcome  # before the state: its listeners may read it
            self._end_run("stopped" if msg.stopped else "finished")
            self.finished.emit(history)
            if msg.outcome:
                self.perceptronEnded.emit(dict(msg.outcome))
            if then is not None and seq > msg.seen and not self.running:
                self._start(then)  # pressed as the run was ending: it never saw it
        elif isinstance(msg, Failed):
            if msg.kind == "other":
                log.warning("training failed: %s\n%s", msg.message, msg.detail)
            if msg.weights:
                self._store_weights(msg.weights, None)
            self._end_run("error")
            self._error(msg.message)
        elif isinstance(msg, Recorded):
            self.recorded.emit(msg)
        elif isinstance(msg, Exited):
            self._on_exited(msg)
        elif isinstance(msg, Unresponsive):
            self._on_unresponsive(msg)

    def _on_exited(self, msg: Exited) -> None:
        self.stalled = False
        if self._ending is not None:  # Stop or Restart ended a child that did not respond
            self._end_run("stopped")
            return
        self._end_run("error")
        self._error(
            "The training process ended unexpectedly (exit code "
            f"{msg.exitcode}). The weights of the last update shown were kept; "
            "press Play to go on training.")

    def _on_unresponsive(self, msg: Unresponsive) -> None:
        if self._stop_requested:
            self._kill("stopped")  # Stop, Reset or closing is waiting for it
            return
        self.stalled = True
        self.unresponsive.emit(
            f"The training process has not responded for {msg.silent_s:.0f} seconds: it may "
            "have been stopped or frozen by the system. You can wait for it, or restart it "
            "(the weights of the last update shown are kept).")

    def _on_metrics(self, msg: Metrics) -> None:
        if msg.progress is not None:   # measured before the views read it
            self.speed.add(msg.progress.elapsed, msg.progress.samples_seen)
        apply_metrics(self.session, msg)
        # the loop's own state counts only once it has seen every command sent
        if msg.seq >= self.process.last_seq and msg.state == "paused":
            self._run_state = "paused"
            self._set_state("paused")

    def _store_weights(self, weights: dict, history: Any) -> None:
        problem = store_weights(self.session, weights, None if self._fine_tuning else history)
        if problem:
            self._error(problem)

    def _on_worker_finished(self, worker: Worker) -> None:
        if worker is self._worker:  # it ended without a last message (it always sends one)
            self._end_run("stopped")

    def _error(self, message: str) -> None:
        self.last_error = message
        if self.session.training_state in ("running", "paused") and not self.running:
            self._set_state("idle")
        self.errored.emit(message)

    # ------------------------------------------------------------ ending
    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait (processing events) until no run is active; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._worker is not None:
            if time.monotonic() > deadline:
                return False
            self._worker.wait(0.01)
            QCoreApplication.processEvents()
        QCoreApplication.processEvents()
        return True

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop training and loading, end the pump and the training process (closing the
        window). Never hangs: a process that does not stop in time, or does not respond, is
        killed."""
        self.data.stop_waiting()
        deadline = time.monotonic() + min(timeout_ms, 3000) / 1000
        ok = self.data.shutdown(min(timeout_ms, 3000))
        worker = self._worker
        if worker is not None:
            self._stop_requested = True
            self.process.stop("closing")
            while (worker.is_running and time.monotonic() < deadline
                   and self.process.responsive):
                worker.wait(0.02)
            worker.quit()  # stop waiting for the child
            # the run's last messages may still be queued: they are ignored from now on
            self._worker, self._run_state = None, None
            if self.session.training_state in ("running", "paused"):
                self._set_state("stopped")
        if self._process is not None:
            ok = self._process.shutdown(timeout=1.0) and ok
        return (worker is None or worker.wait(1.0)) and ok
