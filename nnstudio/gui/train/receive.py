"""Turning the training process's messages into the snapshots the pages draw.

The child process (:mod:`nnstudio.core.trainproc`) sends plain dicts of NumPy arrays; on the
GUI thread :func:`snapshot_from_message` makes a :class:`TrainSnapshot` of one, placing its
batches and epochs on the plots' epoch axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.training import EpochInfo
from nnstudio.gui.train.snapshot import Snapshot

__all__ = ["TrainSnapshot", "epoch_info", "snapshot_from_message"]

_EPOCH_FIELDS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
                 "elapsed", "epochs")


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


def epoch_info(d: dict) -> EpochInfo:
    """The core ``EpochInfo`` of one epoch dict sent by the training process."""
    return EpochInfo(**{k: d[k] for k in _EPOCH_FIELDS if k in d})


def snapshot_from_message(msg: dict, x_offset: float = 0.0) -> TrainSnapshot:
    """A :class:`TrainSnapshot` of one ``"snapshot"`` message.

    Parameters
    ----------
    msg : dict
        The message (see :mod:`nnstudio.core.trainproc`); its arrays are used, not copied
        (they came through a pipe: nobody else holds them).
    x_offset : float
        Where the run started on the plots' epoch axis (a continued curve goes on from its
        end).
    """
    epochs = msg.get("epochs") or []
    snap = TrainSnapshot(
        batch_loss=msg["loss"], batch_accuracy=msg["acc"], batch_lr=msg["lr"],
        batch_index=msg["index"], epochs=[epoch_info(e) for e in epochs],
        batch_x=msg["pos"] + x_offset,
        epoch_x=np.array([e["epoch_pos"] for e in epochs], np.float64) + x_offset,
    )
    progress: dict[str, Any] | None = msg.get("progress")
    if progress:
        snap.epoch = int(progress["epoch"])
        snap.batch = int(progress["batch"])
        snap.n_batches = int(progress["n_batches"])
        snap.samples_seen = int(progress["samples_seen"])
        snap.elapsed = float(progress["elapsed"])
        snap.epochs_total = int(progress["epochs_total"])
        snap.samples_per_second = float(progress["samples_per_second"])
    if msg.get("weights"):
        snap.weights = msg["weights"]
        snap.grad_norms = dict(msg.get("grad_norms") or {})
        snap.update_ratios = dict(msg.get("update_ratios") or {})
    return snap
