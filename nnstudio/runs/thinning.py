"""Which checkpoints a run keeps: a few early in the first epoch, then every epoch end,
thinned oldest first when they outgrow a size budget, never the initial, best or last one
(:func:`better_figure` says when an epoch is the new best; :class:`HeldBest` keeps its
weights between two checkpoints).

Checkpoint 0 is the initial weights (what "same start" reuses), so it is kept with the best
and the last. Thinning goes through the other checkpoints from the oldest and removes every
second one, sweep after sweep, until the rest fits: the early part of a run becomes sparser
first, and every part of it keeps some checkpoints as long as the budget allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["EARLY_FRACTIONS", "HeldBest", "Kept", "better_figure", "early_batches",
           "plan_thinning"]

#: Where in the first epoch checkpoints are taken (fractions of its batches).
EARLY_FRACTIONS = (1 / 8, 1 / 4, 1 / 2)


@dataclass(frozen=True, slots=True)
class Kept:
    """One stored checkpoint as thinning sees it: its number and its size in bytes."""

    n: int
    nbytes: int


def early_batches(n_batches: int, fractions: Iterable[float] = EARLY_FRACTIONS) -> set[int]:
    """Batch numbers (from 1) of the first epoch after which a checkpoint is taken.

    An epoch of ``n_batches`` batches gets one at each fraction, none at its last batch (the
    epoch-end checkpoint comes then) and none twice.
    """
    return {b for f in fractions if 1 <= (b := round(n_batches * f)) < n_batches}


def plan_thinning(kept: Sequence[Kept], budget: int, protected: Iterable[int]) -> list[int]:
    """The checkpoints to remove so that the rest take at most ``budget`` bytes.

    Parameters
    ----------
    kept : sequence of Kept
        The stored checkpoints, any order.
    budget : int
        Bytes all checkpoints may take together.
    protected : iterable of int
        Numbers never removed (the initial, best and last); when they alone exceed the
        budget, everything else goes and they stay.

    Returns
    -------
    list of int
        Numbers to remove, in the order chosen (oldest first within each sweep).
    """
    keep = frozenset(protected)
    total = sum(k.nbytes for k in kept)
    removable = sorted((k for k in kept if k.n not in keep), key=lambda k: k.n)
    removed: list[int] = []
    while total > budget and removable:
        if len(removable) == 1:
            sweep = [removable[0]]
        else:
            sweep = removable[1::2]
        gone: set[int] = set()
        for k in sweep:
            if total <= budget:
                break
            gone.add(k.n)
            removed.append(k.n)
            total -= k.nbytes
        removable = [k for k in removable if k.n not in gone]
    return removed


def better_figure(best: dict | None, entry: dict) -> dict | None:
    """The best figure an epoch ``entry`` sets, or None when it is no better than ``best``.

    The figure is the validation accuracy (higher is better) when the run measures it, else
    the validation cost, else the training cost (lower is better); ``best`` and the result
    are ``{"metric", "value", "epoch"}`` (``best`` may hold more keys).
    """
    for metric, higher in (("val_accuracy", True), ("val_loss", False),
                           ("train_loss", False)):
        value = entry[metric]
        if value is None:
            continue
        if best is None or best["metric"] != metric or \
                (value > best["value"] if higher else value < best["value"]):
            return {"metric": metric, "value": value, "epoch": entry["epoch"]}
        return None
    return None


class HeldBest:
    """The weights of a best epoch not checkpointed yet, so that the best is never lost.

    A run of many short epochs sets a new best often; each is copied into the same buffer
    (float32 arrays, one per parameter), which is allocated again only when the parameters'
    names or shapes change.

    Attributes
    ----------
    entry : dict or None
        The epoch entry of the weights held (None: nothing is held).
    """

    def __init__(self) -> None:
        self.entry: dict | None = None
        self._buffer: dict[str, np.ndarray] = {}

    def hold(self, entry: dict, weights: Mapping[str, np.ndarray]) -> None:
        """Copy ``weights`` (name: array of any shape) as the best epoch ``entry``'s."""
        buffer = self._buffer
        if buffer.keys() != weights.keys() or any(
                buffer[k].shape != np.shape(v) for k, v in weights.items()):
            buffer = self._buffer = {k: np.array(v, np.float32) for k, v in weights.items()}
        else:
            for k, v in weights.items():
                np.copyto(buffer[k], v, casting="same_kind")
        self.entry = entry

    def take(self) -> tuple[dict, dict[str, np.ndarray]] | None:
        """The entry and weights held, now no longer held (None when none are); the
        arrays are the buffer's: write them before the next :meth:`hold`."""
        entry, self.entry = self.entry, None
        return None if entry is None else (entry, self._buffer)

    def drop(self) -> None:
        """Forget the weights held (a checkpoint of a newer best was written)."""
        self.entry = None
