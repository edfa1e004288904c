"""Turning the training process's messages into the snapshots the pages draw.

The child process sends :class:`~nnstudio.core.trainprotocol.Metrics` messages of NumPy
arrays; on the GUI thread :func:`snapshot_from_message` makes a
:class:`~nnstudio.gui.snapshot.Snapshot` of one, placing its batches and epochs on the
plots' epoch axis. :func:`snapshot_from_history` does the same for the saved history of a
model that was opened.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.trainprotocol import Metrics
from nnstudio.gui.snapshot import Snapshot

__all__ = ["apply_metrics", "snapshot_from_message", "store_weights"]


def snapshot_from_message(msg: Metrics, x_offset: float = 0.0) -> Snapshot:
    """A :class:`Snapshot` of one metrics message.

    Parameters
    ----------
    msg : Metrics
        The message; its arrays are used, not copied (they came through a pipe: nobody
        else holds them).
    x_offset : float
        Where the run started on the plots' epoch axis (a continued curve goes on from its
        end).
    """
    snap = Snapshot(
        batch_loss=msg.loss, batch_accuracy=msg.acc, batch_lr=msg.lr,
        batch_index=msg.index, epochs=[e.info for e in msg.epochs],
        batch_x=msg.pos + x_offset,
        epoch_x=np.array([e.pos for e in msg.epochs], np.float64) + x_offset,
    )
    progress = msg.progress
    if progress is not None:
        snap.epoch = progress.epoch
        snap.batch = progress.batch
        snap.n_batches = progress.n_batches
        snap.samples_seen = progress.samples_seen
        snap.elapsed = progress.elapsed
        snap.epochs_total = progress.epochs_total
        snap.samples_per_second = progress.samples_per_second
    if msg.weights:
        snap.weights = msg.weights
        snap.grad_norms = dict(msg.grad_norms)
        snap.update_ratios = dict(msg.update_ratios)
        snap.optimizer = msg.optimizer
    return snap


def apply_metrics(session: Any, msg: Metrics) -> Snapshot:
    """Fold one metrics message into ``session`` (``session.apply_snapshot``).

    When the design changed under the run, so that the weights no longer fit, only the
    metrics are passed on (``snapshotApplied`` with no weights).
    """
    from nnstudio.core.design import DesignError

    snap = snapshot_from_message(msg)
    try:
        session.apply_snapshot(snap)
    except (ValueError, DesignError):
        snap.weights = {}
        session.snapshotApplied.emit(snap)
    return snap


def store_weights(session: Any, weights: dict, history: Any = None) -> str | None:
    """Put a run's final ``weights`` (and its ``history``, unless None) into ``session``.

    Returns None, or a sentence for the person when the design changed during training so
    that the weights no longer fit it (they are then not kept).
    """
    from nnstudio.core.design import DesignError

    if session.network is None:
        return None
    try:
        session.set_weights(weights, history=history)
    except (ValueError, DesignError) as exc:
        return ("The design changed during training, so the trained weights no longer fit "
                f"it and were not kept ({exc}).")
    return None


def snapshot_from_history(history: Any) -> Snapshot | None:
    """The metrics of a saved core ``History`` as one snapshot (for a loaded model's curve).

    Batches of epoch ``e`` (1-based) are spread evenly over ``(e - 1, e]`` on the epoch axis.
    """
    try:
        loss = np.asarray(history.batch_loss, np.float32).copy()
        acc = np.asarray(history.batch_accuracy, np.float32).copy()
        lr = np.asarray(history.batch_lr, np.float32).copy()
        ep = np.asarray(history.batch_epoch, np.float64)
        epochs = list(history.epochs)
    except AttributeError:
        return None
    n = len(loss)
    bx = np.zeros(n, np.float64)
    if n:
        first = float(ep[0]) if np.isfinite(ep[0]) else 1.0
        for e in np.unique(ep):
            idx = np.nonzero(ep == e)[0]
            bx[idx] = (e - first) + (np.arange(len(idx)) + 1.0) / len(idx)
        offset = first - 1.0
    else:
        offset = float(epochs[0].epoch - 1) if epochs else 0.0
    snap = Snapshot(
        batch_loss=loss, batch_accuracy=acc, batch_lr=lr,
        batch_index=np.arange(n, dtype=np.int64), epochs=epochs, batch_x=bx,
        epoch_x=np.array([float(e.epoch) - offset for e in epochs], np.float64),
    )
    if epochs:
        snap.epoch = int(epochs[-1].epoch) - 1
        snap.elapsed = float(epochs[-1].elapsed or 0.0)
    return snap
