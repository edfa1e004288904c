"""What training hands to the pages: copies, never live arrays.

The training process sends messages over a pipe; a worker in the window
(:func:`nnstudio.gui.train.bridge.pump` on a :class:`~nnstudio.gui.worker.Worker`) receives
them, hands them to the GUI thread by queued signals, and :mod:`nnstudio.gui.train.receive`
turns them into these snapshots there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.optimizers import OptimizerState


@dataclass
class Snapshot:
    """The state of a training run at one moment, copied out of the training process.

    At most ~30 snapshots a second reach the GUI; each carries every metric that came in since
    the previous one, so nothing is lost by throttling.

    Attributes
    ----------
    weights : dict of str to ndarray
        Copies of every parameter, keys ``"node_id/W"``, ``"node_id/b"``. May be empty when
        the training process sent no weights with this snapshot (at most ~4 a second).
    batch_loss, batch_accuracy, batch_lr : ndarray, shape (k,)
        The per-batch metrics of the k batches since the previous snapshot (accuracy is NaN
        for regression).
    batch_index : ndarray of int, shape (k,)
        Global batch numbers (0-based, counted across epochs) of those batches.
    epochs : list of EpochInfo
        Epochs that completed since the previous snapshot.
    epoch, batch, n_batches : int
        Where the run is now (epoch 0-based; batch within the epoch).
    samples_seen : int
        Samples processed since the run started.
    samples_per_second : float
        Recent throughput.
    elapsed : float
        Seconds since the run started, pauses excluded.
    grad_norms, update_ratios : dict of str to float
        Per parameter at the last batch: the gradient's L2 norm and ``|Δw| / |w|``.
    optimizer : OptimizerState or None
        What the run's optimizer remembers now (with ``weights``, small networks only).
    batch_x : ndarray, shape (k,)
        Position of each batch on the plots' epoch axis (e.g. 2.25 = a quarter into the third
        epoch of this curve), continuous across continued runs.
    epoch_x : ndarray, shape (len(epochs),)
        Position of each completed epoch on the same axis.
    epochs_total : int
        The epoch number the current run ends at (0 when unknown).
    """

    weights: dict[str, np.ndarray] = field(default_factory=dict)
    batch_loss: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    batch_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    batch_lr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    batch_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    epochs: list = field(default_factory=list)
    epoch: int = 0
    batch: int = 0
    n_batches: int = 0
    samples_seen: int = 0
    samples_per_second: float = 0.0
    elapsed: float = 0.0
    grad_norms: dict[str, float] = field(default_factory=dict)
    update_ratios: dict[str, float] = field(default_factory=dict)
    optimizer: OptimizerState | None = None
    batch_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    epoch_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    epochs_total: int = 0
