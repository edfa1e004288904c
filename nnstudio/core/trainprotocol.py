"""The messages between the window's process and the training child, one class each.

Both sides import this module and nothing of each other: :mod:`nnstudio.core.trainproc`
(the parent's handle) and :mod:`nnstudio.core.trainchild` (the child's loop). Every message
is a small dataclass pickled over the command pipe; the arrays of a dataset travel apart, as
raw bytes over a second pipe, described by a :class:`DataHeader`.

Parent to child
---------------
:class:`Run`
    Start a run (:class:`RunSpec`); it replaces one that has not finished.
:class:`Control`
    Pause, resume, step, stop or retune the run named by ``run`` (:data:`CONTROLS`).
:class:`Shutdown`
    End the process.

Child to parent
---------------
:class:`Hello`
    First message of a child: which ``nnstudio`` it imported and its process id.
:class:`Heartbeat`
    Every :data:`HEARTBEAT_S` seconds while a run is active (running or paused), from a
    thread of its own: a child that goes silent has stopped responding.
:class:`Metrics`
    Throttled metrics of the batches since the previous message, where the run is, the
    loop's state, and a few times a second a copy of the weights.
:class:`Finished`
    The run ended (done or stopped): final weights and history.
:class:`Failed`
    The run failed: what kind of failure, a sentence for the person, the last good weights.
:class:`Recorded`
    Where the run's record is kept (a child started with a recording entry point, for a
    run whose spec asks for a record), or why recording stopped.

Made by the parent's handle (never sent)
----------------------------------------
:class:`Exited`
    The child is gone; the next run starts a new one.
:class:`Unresponsive`
    The child is alive but has sent nothing for :data:`STALL_S` seconds during a run.

Every message of a run carries ``run``, the id :meth:`TrainingProcess.run` returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from nnstudio.core.optimizers import OptimizerState
from nnstudio.core.training import EpochInfo

__all__ = [
    "CONTROLS", "ERROR_KINDS", "HEARTBEAT_S", "MAX_CACHED_DATASETS", "RUN_MODES",
    "STALL_S", "STARTS", "STARTUP_S", "ChildMessage", "Control", "DataHeader", "EpochEnd",
    "Exited", "Failed", "Finished", "Heartbeat", "Hello", "Metrics", "Progress", "Run",
    "Recorded", "RunSpec", "Shutdown", "Unresponsive",
]

#: datasets the child keeps (e.g. the training data and a fine-tuning set)
MAX_CACHED_DATASETS = 2
#: seconds between two heartbeats of a child with an active run
HEARTBEAT_S = 0.5
#: seconds of silence during a run after which the child counts as not responding
STALL_S = 3.0
#: seconds a freshly started child may take to say hello (an interpreter start on a busy
#: machine, NumPy's import)
STARTUP_S = 30.0

#: what a run trains: the design by backpropagation, or a fine-tuning with its own history
RUN_MODES = ("train", "fine_tune")
#: how a run starts: freely, or one batch / to the epoch's end and then paused
STARTS = ("run", "step_batch", "step_epoch")
#: the commands of a running run
CONTROLS = ("pause", "resume", "step_batch", "step_epoch", "stop", "set_lr", "set_batch_size")
#: what went wrong in a :class:`Failed` run
ERROR_KINDS = ("diverged", "not_trainable", "design", "data", "other")

State = Literal["running", "paused", "stopped"]


# ---------------------------------------------------------------------- parent to child
@dataclass(frozen=True)
class DataHeader:
    """Shapes and dtypes of a dataset whose raw bytes follow on the data pipe (x, then y)."""

    x_shape: tuple[int, ...]
    x_dtype: str
    y_shape: tuple[int, ...]
    y_dtype: str

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> DataHeader:
        return cls(tuple(x.shape), x.dtype.str, tuple(y.shape), y.dtype.str)

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays of these shapes to receive the bytes into."""
        return (np.empty(self.x_shape, np.dtype(self.x_dtype)),
                np.empty(self.y_shape, np.dtype(self.y_dtype)))


@dataclass
class RunSpec:
    """What one run trains, and how.

    Attributes
    ----------
    design_json : str
        ``design_to_json(design)`` of the network.
    weights : dict of str to ndarray
        Starting weights (``Network.get_weights()``).
    config : dict
        ``dataclasses.asdict(TrainConfig)``.
    token : str
        Names the dataset; the child caches the last :data:`MAX_CACHED_DATASETS` by token.
    history : dict or None
        ``History.to_dict()`` of earlier training to continue (epochs numbered on).
    mode : str
        One of :data:`RUN_MODES`.
    start : str
        One of :data:`STARTS`.
    seed : int
        Seed of the child's network (dropout masks).
    fail : (int, str) or None
        Raise an unexpected error with this message after this many batches (tests).
    data : DataHeader or None
        Set by the parent's handle when it sends: the dataset's bytes follow; None when the
        child holds ``token`` already.
    record : dict or None
        What the run's record is (read by the recording a child was started with, see
        :mod:`nnstudio.core.trainchild`); None records nothing.
    """

    design_json: str
    weights: dict[str, np.ndarray]
    config: dict[str, Any]
    token: str
    history: dict[str, Any] | None = None
    mode: str = "train"
    start: str = "run"
    seed: int = 0
    fail: tuple[int, str] | None = None
    data: DataHeader | None = None
    record: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.mode not in RUN_MODES:
            raise ValueError(f"unknown mode {self.mode!r}; known: {', '.join(RUN_MODES)}")
        if self.start not in STARTS:
            raise ValueError(f"unknown start {self.start!r}; known: {', '.join(STARTS)}")


@dataclass(frozen=True)
class Run:
    """Start run ``run``; ``seq`` numbers this command among all the parent sent."""

    run: int
    spec: RunSpec
    seq: int


@dataclass(frozen=True)
class Control:
    """Command ``name`` (one of :data:`CONTROLS`) with ``arg`` for run ``run``."""

    name: str
    run: int
    arg: Any
    seq: int


@dataclass(frozen=True)
class Shutdown:
    """End the process (after stopping any run)."""

    seq: int


# ---------------------------------------------------------------------- child to parent
@dataclass(frozen=True)
class Hello:
    """First message of a child: the ``nnstudio`` package folder it runs, its pid."""

    pid: int
    package: str


@dataclass(frozen=True)
class Heartbeat:
    """The child is alive and its run ``run`` active (running or paused)."""

    run: int


@dataclass(frozen=True)
class Progress:
    """Where a run is: the current epoch (0-based), batch and speed."""

    epoch: int
    batch: int
    n_batches: int
    samples_seen: int
    elapsed: float
    epochs_total: int
    samples_per_second: float


@dataclass(frozen=True)
class EpochEnd:
    """A finished epoch and its position on the run's epoch axis."""

    info: EpochInfo
    pos: float


@dataclass
class Metrics:
    """Metrics of the batches since the previous message of the run.

    Attributes
    ----------
    run, seq : int
        The run, and the last command the child had applied when it sent this (its
        ``state`` is up to date only when ``seq`` is the parent's latest).
    state : {"running", "paused", "stopped"}
        The loop's state.
    loss, acc, lr : ndarray, shape (k,) float32
        Per batch (``acc`` NaN for regression).
    index : ndarray, shape (k,) int64
        Global batch numbers.
    pos : ndarray, shape (k,) float64
        Positions on the epoch axis counted from the run's start (2.25: a quarter into
        the third epoch of the run).
    epochs : list of EpochEnd
        Epochs finished since the previous message.
    progress : Progress or None
    weights : dict of str to ndarray or None
        A copy of the weights (a few times a second).
    grad_norms : dict of str to float
        Gradient norm of each parameter at the last batch (with ``weights``).
    update_ratios : dict of str to float
        |Δw|/|w| per batch since the previous weight copy (with ``weights``).
    optimizer : OptimizerState or None
        What the optimizer remembers (velocities, running averages, step count), with
        ``weights`` for networks of at most ``OPTIMIZER_STATE_MAX`` parameters: the views
        predict its next step from it.
    """

    run: int
    seq: int
    state: State
    loss: np.ndarray
    acc: np.ndarray
    lr: np.ndarray
    index: np.ndarray
    pos: np.ndarray
    epochs: list[EpochEnd] = field(default_factory=list)
    progress: Progress | None = None
    weights: dict[str, np.ndarray] | None = None
    grad_norms: dict[str, float] = field(default_factory=dict)
    update_ratios: dict[str, float] = field(default_factory=dict)
    optimizer: OptimizerState | None = None


#: networks with at most this many parameters send their optimizer's state with the weights
OPTIMIZER_STATE_MAX = 200_000


@dataclass
class Finished:
    """Run ``run`` ended: ``stopped`` when a Stop ended it early.

    ``history`` is ``History.to_dict()``; ``cached`` tells whether the child already held
    the run's dataset (nothing was sent). ``outcome`` is how a perceptron run ended
    (``PerceptronTrainer.outcome``: separated, cycle, out of passes, stopped), None for
    backpropagation. ``seen`` is the number (``seq``) of the latest command the training
    loop had received when it last went on to a batch: commands numbered higher came as the
    run was ending and never reached it.
    """

    run: int
    weights: dict[str, np.ndarray]
    history: dict[str, Any]
    stopped: bool
    cached: bool
    outcome: dict[str, Any] | None = None
    seen: int = 0


@dataclass
class Failed:
    """Run ``run`` failed.

    ``kind`` is one of :data:`ERROR_KINDS`; ``message`` a sentence for the person;
    ``weights`` the last good weights (or None); ``detail`` a traceback for the log.
    """

    run: int
    kind: str
    message: str
    weights: dict[str, np.ndarray] | None = None
    detail: str = ""


@dataclass(frozen=True)
class Recorded:
    """Run ``run`` is recorded as ``record`` (a run id) in the folder ``path``; ``warning``
    is a sentence when recording stopped (training goes on)."""

    run: int
    record: str
    path: str
    warning: str = ""


@dataclass(frozen=True)
class Exited:
    """The child process is gone (``exitcode``; negative: killed by that signal)."""

    exitcode: int | None


@dataclass(frozen=True)
class Unresponsive:
    """The child of run ``run`` is alive but silent for ``silent_s`` seconds."""

    run: int
    silent_s: float


#: what the parent's handle hands to its reader
ChildMessage = Metrics | Finished | Failed | Recorded | Exited | Unresponsive | Heartbeat
