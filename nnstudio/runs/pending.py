"""What a run record holds in memory between two flushes: batch rows, epoch lines, events.

:class:`~nnstudio.runs.writer.RunWriter` is called after every batch and every epoch end of
a training loop whose epochs may last a millisecond, so it only notes each one here: a
batch as the ``BatchInfo`` the trainer made (a reference: the trainers make a new one for
every batch and never change it, and packing it into a row of ``batches.f64`` right away
costs the loop twice as much as packing a few hundred in one go), an epoch as its entry,
and each epoch's TensorBoard scalars with how many batches came before them.
:meth:`Pending.drain` turns all of it into bytes for the files at once, about once a
second: the rows packed onto the record's axes, one write of JSON lines, and the events in
the order they happened (an epoch's after its batches': steps never go back), per-batch
events thinned to one a gap-long span of training seconds. Whatever is still here when the
process is killed is lost: at most the curves since the last flush.
"""

from __future__ import annotations

import math
import struct
import time
from typing import BinaryIO

import numpy as np

from nnstudio.runs import layout as L
from nnstudio.runs import tfevents
from nnstudio.runs.lines import epoch_lines

__all__ = ["ROW", "Pending"]

#: One row of ``batches.f64``: epoch, batch, samples, elapsed, loss, accuracy, lr (float64).
ROW = struct.Struct("<7d")
_COLUMNS = len(L.BATCH_COLUMNS)
assert ROW.size == 8 * _COLUMNS


class Pending:
    """Batch rows, epoch entries and epoch events not yet handed to the files.

    Parameters
    ----------
    event_gap : float
        Training seconds between two per-batch TensorBoard events at least (0: every
        batch has one).

    Attributes
    ----------
    rows : list of BatchInfo
        The batches held, samples and seconds counted from their trainer's start; append
        to it (it is emptied in place, never replaced), and :meth:`pack` it when it holds
        a few hundred.
    lines : list of dict
        Epoch entries, all with the same keys in the same order.
    """

    def __init__(self, event_gap: float = 0.0) -> None:
        self.rows: list = []
        self._packed: list[bytes] = []   # rows packed already, on the record's axes
        self._n_packed = 0
        self.lines: list[dict] = []
        self._marks: list[tuple[int, int, float, dict[str, float]]] = []
        self._gap = float(event_gap)
        self._span = -math.inf           # the gap-long span of the last per-batch event

    def epoch_event(self, tags: dict[str, float], step: int, wall_time: float) -> None:
        """Hold an epoch's scalars, to be written after the batch rows held now."""
        self._marks.append((self._n_packed + len(self.rows), step, wall_time, tags))

    def pack(self, offsets: tuple[int, float]) -> None:
        """Pack the batches held into curve rows, moved by ``offsets`` (samples, seconds)
        onto the record's axes: bytes the cycle collector never visits, where as many
        objects kept alive would make it run more often in the training loop."""
        pack, nan = ROW.pack, math.nan
        samples, elapsed = offsets
        rows = self.rows
        self._packed.append(b"".join([
            pack(r.epoch, r.batch, samples + r.samples_seen, elapsed + r.elapsed, r.loss,
                 nan if r.accuracy is None else r.accuracy, r.lr) for r in rows]))
        self._n_packed += len(rows)
        rows.clear()

    def drain(self, batch_file: BinaryIO, epoch_file: BinaryIO,
              events: tfevents.EventWriter, offsets: tuple[int, float]) -> None:
        """Write everything held to ``batch_file`` and ``epoch_file`` (buffered) and queue
        its events in ``events``; ``offsets`` (samples, seconds) move the rows onto the
        record's axes. Empty afterwards."""
        self.pack(offsets)
        data, lines, marks = b"".join(self._packed), self.lines, self._marks
        self._packed, self._n_packed = [], 0
        self.lines, self._marks = [], []
        table = np.empty((0, _COLUMNS))
        if data:
            batch_file.write(data)
            table = np.frombuffer(data, "<f8").reshape(-1, _COLUMNS)
        if lines:
            epoch_file.write(epoch_lines(lines))
        if not data and not marks:
            return
        picked = self._pick(table[:, 3])
        chosen = table[picked].tolist()
        wall = time.time()
        j = 0
        for upto, step, at, tags in marks:
            while j < len(picked) and picked[j] < upto:
                _batch_event(events, chosen[j], wall)
                j += 1
            events.add_scalars(tags, step, at)
        for r in chosen[j:]:
            _batch_event(events, r, wall)

    def _pick(self, elapsed: np.ndarray) -> list[int]:
        """Indices of the rows that get a per-batch event: with an event gap, the first
        row of each gap-long span of training seconds (one a span at most)."""
        if not self._gap:
            return list(range(len(elapsed)))
        span = np.floor(elapsed / self._gap)
        new = np.diff(span, prepend=self._span) > 0
        if len(span):
            self._span = max(self._span, float(span[-1]))
        return np.flatnonzero(new).tolist()


def _batch_event(events: tfevents.EventWriter, row: list[float], wall: float) -> None:
    """Queue the per-batch scalars of one curve row."""
    tags = {"batch/loss": row[4], "batch/lr": row[6]}
    if row[5] == row[5]:                 # NaN: the batch measured no accuracy
        tags["batch/accuracy"] = row[5]
    events.add_scalars(tags, int(row[2]), wall)
