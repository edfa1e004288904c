"""Writing a run record while a network trains: append-only curves, checkpoints, summary.

:class:`RunWriter` is called from the training thread (through
:class:`~nnstudio.runs.recorder.Recorder` or directly): :meth:`~RunWriter.begin` with the
initial weights, :meth:`~RunWriter.batch` after every batch, :meth:`~RunWriter.epoch` at
every epoch end and :meth:`~RunWriter.finish` with the outcome. A batch or an epoch end costs
the training loop a few microseconds: it is held in memory (:mod:`nnstudio.runs.pending`)
and written with the others, as curve rows, JSON lines and TensorBoard events, at a flush:
once a training second (:data:`FLUSH_EVERY_S`), before every checkpoint and every
``summary.json``, and at the end. A process killed at any moment (kill -9) therefore loses
the curves of its last training second at most, never a checkpoint: its record reads back
up to its last flush, every checkpoint the index names is complete, and its summary counts
no more epochs than its curve file holds. Files are synced to disk (``fsync``) at a
checkpoint when the last sync is :data:`SYNC_EVERY_S` old, and at the end: a machine
switched off loses at most those last seconds, and a run of many short epochs does not wait
for the disk at each one.

Checkpoints are taken at every epoch end (and at 1/8, 1/4 and 1/2 of the first) unless
``min_checkpoint_s`` says otherwise: the window sets it so that epochs of a few
milliseconds (a toy set) do not each write a file. Then an epoch end is checkpointed when
that long has passed since the last checkpoint, or it is the last planned epoch; a new best
epoch in between is kept in memory (:class:`~nnstudio.runs.thinning.HeldBest`) and written
as soon as half of that has passed, or when the run stops, so the best is never lost; an
epoch that is neither checkpointed nor a new best reads no weights at all. A run that stops
between checkpoints (Stop, a closed window) gets a last one, when the weights are given to
:meth:`~RunWriter.suspend` or :meth:`~RunWriter.finish`. Thinning to the size budget is
planned after a new checkpoint, when the checkpoints kept exceed the budget.

Recording never stops training: the first error writing the record (a full disk, a file
size limit, a folder made read-only) calls ``warn`` once with what happened and what to do,
and the writer records nothing more.
"""

from __future__ import annotations

import io
import json
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnstudio import __version__
from nnstudio.core.design import design_to_json
from nnstudio.fileio import atomic_write
from nnstudio.runs import layout as L
from nnstudio.runs import tfevents
from nnstudio.runs.lines import json_line, now_text, number, write_new
from nnstudio.runs.pending import Pending
from nnstudio.runs.start import RunStart
from nnstudio.runs.thinning import HeldBest, Kept, better_figure, early_batches, plan_thinning

__all__ = ["BATCH_EVENTS_HZ", "CHECKPOINT_BUDGET", "MIN_CHECKPOINT_S", "RunWriter"]

#: Bytes a run's checkpoints may take together before the oldest are thinned.
CHECKPOINT_BUDGET = 20 << 20
#: Seconds between writes of the curves and events held in memory (what kill -9 can lose).
FLUSH_EVERY_S = 1.0
#: Seconds between syncs of the record to disk (at checkpoints).
SYNC_EVERY_S = 10.0
#: Seconds between rewrites of ``summary.json`` at epoch ends (it is always written at the
#: start and the end; a list shows a running run's progress this late at most).
SUMMARY_EVERY_S = 2.0
#: Batches held before they are packed into curve rows (see pending.Pending.pack).
_ROWS = 256

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the reader falls back to the pid
    fcntl = None  # type: ignore[assignment]


def _default_warn(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


#: training seconds between epoch-end checkpoints at least, for the window and the command
#: line: a toy set's epochs of a few milliseconds are not each written (the best between two
#: is held and written, the last always; bench/bench_runs_window.py); digit epochs all are
MIN_CHECKPOINT_S = 1.0
#: per-batch TensorBoard scalars per training second at most (TensorBoard shows about 1,000
#: points a curve anyway; the record's own batch curve keeps every batch)
BATCH_EVENTS_HZ = 50.0


class RunWriter:
    """Records one run into a new folder of ``runs_folder``.

    Parameters
    ----------
    runs_folder : path-like
        The runs folder (created if missing).
    start : RunStart
        What the run is.
    budget : int
        Bytes the checkpoints may take together (see :mod:`nnstudio.runs.thinning`).
    warn : callable
        Called once, with one line of text, when the record cannot be written any more.
    offset_samples, offset_elapsed
        Where a fork starts on its parent's axes: samples seen and training seconds at the
        parent's checkpoint.
    advice : str
        What the warning after a failed write tells the person to do.
    min_checkpoint_s : float
        Training seconds between two epoch-end checkpoints at least (0: every epoch end).
    batch_events_hz : float or None
        Per-batch (and per-epoch) TensorBoard scalars per training second at most (None:
        every batch and epoch; the last planned epoch always); ``batches.f64`` and
        ``epochs.jsonl`` keep every one whatever this is.

    Attributes
    ----------
    path : Path or None
        The run's folder (None when it could not be created).
    active : bool
        False once recording stopped after an error, or after :meth:`finish`.
    """

    def __init__(self, runs_folder: str | os.PathLike, start: RunStart, *,
                 budget: int = CHECKPOINT_BUDGET,
                 warn: Callable[[str], None] = _default_warn,
                 offset_samples: int = 0, offset_elapsed: float = 0.0,
                 advice: str = "free some disk space or choose another folder with --runs",
                 min_checkpoint_s: float = 0.0,
                 batch_events_hz: float | None = None) -> None:
        self.start, self.budget, self._warn = start, int(budget), warn
        self._advice = advice
        self.min_checkpoint_s = float(min_checkpoint_s)
        self._event_gap = 0.0 if not batch_events_hz else 1.0 / float(batch_events_hz)
        self._flushed_at = -math.inf      # when the files were last flushed (monotonic)
        self._epoch_event_at = -math.inf  # training seconds of the last epoch event
        self._ckpt_at = -math.inf         # when the last checkpoint was written (monotonic)
        self._ckpt_samples = -1           # the samples seen at the latest one
        self._held = HeldBest()           # a best epoch not on disk yet
        self._position = (0, 0)           # epoch and batch before the last batch held
        self._last = None                 # the last BatchInfo recorded (None: none since)
        self.offset_samples, self.offset_elapsed = int(offset_samples), float(offset_elapsed)
        self.active = True
        self.path: Path | None = None
        self.run_id = ""
        self._files: dict[str, BinaryIO] = {}
        self._events: tfevents.EventWriter | None = None
        self._lock_fd: int | None = None
        self._pending = Pending(self._event_gap)   # curves and events until a flush
        self._rows = self._pending.rows
        self._flush_due = FLUSH_EVERY_S  # the trainer's seconds of the next batch flush
        self._early: set[int] = set()
        self._early_left = True          # still in the first epoch, or before it
        self._pending_early: tuple[int, int] | None = None
        self._first_epoch: int | None = None
        self._kept: dict[int, dict] = {}
        self._kept_bytes = 0
        self._thin_due = False           # a checkpoint was added since the last thinning
        self._next_ckpt = 0
        self._n_epochs = 0
        self._last_entry: dict | None = None
        self._best: dict | None = None
        self._created = now_text()
        self._events_name = ""
        self._stopped_note = ""
        self._synced = time.monotonic()   # the first sync comes SYNC_EVERY_S in (or at the end)
        self._summary_at = -math.inf
        self._unlink: list[str] = []
        self._sync = True
        self.outcome = "running"
        self.message = ""
        try:
            self._create(Path(runs_folder))
        except OSError as err:
            self._fail(err)

    # ------------------------------------------------------------------ set-up
    def _create(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            self.run_id = L.new_run_id()
            try:
                (folder / self.run_id).mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free run id in '{folder}'")
        path = self.path = folder / self.run_id
        (path / L.CHECKPOINT_DIR).mkdir()
        self._lock()
        info = {"format": L.FORMAT, "version": L.FORMAT_VERSION, "id": self.run_id,
                "created": self._created, "nnstudio_version": __version__,
                "origin": self.start.origin, "design": self.start.design.name,
                "data": self.start.data, "dataset": self.start.dataset,
                "task": self.start.task, "classes": list(self.start.classes),
                "image_size": self.start.image_size, "config": dict(self.start.config),
                "seed": self.start.seed, "parent": self.start.parent,
                "same_start": self.start.same_start,
                "start": {"samples": self.offset_samples, "elapsed": self.offset_elapsed},
                "batch_columns": list(L.BATCH_COLUMNS), "budget_bytes": self.budget}
        text = json.dumps(info, indent=1, allow_nan=False)
        atomic_write(path / L.RUN_FILE, lambda fh: fh.write(text.encode("utf-8")))
        design = design_to_json(self.start.design)
        atomic_write(path / L.DESIGN_FILE, lambda fh: fh.write(design.encode("utf-8")))
        for name in (L.BATCH_FILE, L.EPOCH_FILE, L.CHECKPOINT_INDEX):
            self._files[name] = open(path / name, "ab")  # noqa: SIM115 - kept open
        wall = time.time()
        self._events_name = tfevents.event_file_name(wall)
        self._files[self._events_name] = fh = open(path / self._events_name, "ab")  # noqa: SIM115
        self._events = tfevents.EventWriter(fh)
        self._events.add(tfevents.file_version_event(wall))
        self._events.add(tfevents.event(
            tfevents.hparams_start(self.start.hparams(), self.run_id, wall), wall_time=wall))
        self._events.flush()
        self._write_summary()

    def _lock(self) -> None:
        assert self.path is not None
        fd = os.open(self.path / L.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._lock_fd = fd

    # ------------------------------------------------------------------ errors
    def _fail(self, err: OSError) -> None:
        """Stop recording after an error, with one warning."""
        if not self.active:
            return
        self.active = False
        self._close_files()
        self._stopped_note = (f"recording stopped after epoch {self._n_epochs} "
                              f"({err.strerror or err})")
        where = f" in '{self.path}'" if self.path is not None else ""
        reason = err.strerror or str(err)
        self._warn(f"nnstudio: the run record could not be written ({reason}); training "
                   f"goes on without recording. What was recorded so far is kept{where}; "
                   f"{self._advice}.")

    def _guard(self, action: Callable[[], object]) -> None:
        if not self.active:
            return
        try:
            action()
        except OSError as err:
            self._fail(err)

    # ------------------------------------------------------------------ recording
    def begin(self, weights: Mapping[str, np.ndarray]) -> None:
        """Checkpoint 0: the initial weights (what "same start" reuses)."""
        self._guard(lambda: self._checkpoint(weights, "initial", 0, 0))

    def batch(self, info) -> bool:
        """Record one batch (a :class:`~nnstudio.core.training.BatchInfo`): it is held until
        the next flush. Returns whether an early checkpoint may be due (ask
        :meth:`early_due`)."""
        if not self.active:
            return False
        rows, elapsed = self._rows, info.elapsed
        rows.append(info)
        self._last = info
        if self._early_left:
            self._note_early(info)
        if elapsed >= self._flush_due:
            self._flush_due = elapsed + FLUSH_EVERY_S
            self._guard(self._flush)
        elif len(rows) >= _ROWS:
            self._pending.pack((self.offset_samples, self.offset_elapsed))
        return self._pending_early is not None

    def _note_early(self, info) -> None:
        """Mark the first epoch's batches after which an early checkpoint is taken."""
        if self._first_epoch is None:
            self._first_epoch = info.epoch
            self._early = early_batches(info.n_batches)
        if info.epoch != self._first_epoch:
            self._early_left = False
        elif info.batch in self._early:
            self._early.discard(info.batch)
            self._pending_early = (info.epoch, info.batch)

    def _now(self) -> tuple[int, float, tuple[int, int]]:
        """Samples and training seconds (on the record's axes), epoch and batch, of the
        last batch recorded."""
        last = self._last
        if last is None:
            return self.offset_samples, self.offset_elapsed, self._position
        return (self.offset_samples + last.samples_seen, self.offset_elapsed + last.elapsed,
                (last.epoch, last.batch))

    def early_due(self) -> bool:
        """Whether the batch just recorded asks for an early checkpoint (first epoch); with
        ``min_checkpoint_s``, not sooner than half of that after the last checkpoint (an
        epoch of milliseconds has no "early" worth a file)."""
        if not self.active or self._pending_early is None:
            return False
        if time.monotonic() - self._ckpt_at < self.min_checkpoint_s / 2:
            self._pending_early = None
            return False
        return True

    def early(self, weights: Mapping[str, np.ndarray]) -> None:
        """Take the early checkpoint :meth:`early_due` asked for."""
        pending, self._pending_early = self._pending_early, None
        if pending is not None:
            self._guard(lambda: self._checkpoint(weights, "early", *pending))

    def epoch(self, info, weights: Mapping[str, np.ndarray]
              | Callable[[], Mapping[str, np.ndarray]]) -> None:
        """Record an epoch (an :class:`~nnstudio.core.training.EpochInfo`) and checkpoint.

        ``weights`` is the network's parameters (name: array), or a callable that returns
        them: it is called only when the epoch is checkpointed or held as the new best.
        """
        if not self.active:
            return
        try:
            self._epoch(info, weights)
        except OSError as err:
            self._fail(err)

    def _epoch(self, info, weights) -> None:
        now = time.monotonic()
        self._early_left = False
        batch = self._last
        samples = self.offset_samples + (0 if batch is None else batch.samples_seen)
        elapsed = self.offset_elapsed + info.elapsed
        entry = {"epoch": int(info.epoch), "samples": int(samples), "elapsed": float(elapsed),
                 "train_loss": number(info.train_loss),
                 "train_accuracy": number(info.train_accuracy),
                 "val_loss": number(info.val_loss), "val_accuracy": number(info.val_accuracy),
                 "lr": number(info.lr)}
        self._n_epochs += 1
        self._last_entry = entry
        self._pending.lines.append(entry)
        last = info.epoch == getattr(info, "epochs", -1)
        if last or elapsed - self._epoch_event_at >= self._event_gap:
            self._epoch_event_at = elapsed
            tags = {f"epoch/{k}": v for k in ("train_loss", "train_accuracy", "val_loss",
                                              "val_accuracy")
                    if (v := entry[k]) is not None}
            self._pending.epoch_event(tags, max(samples, 1), time.time())
        better = better_figure(self._best, entry)
        since = now - self._ckpt_at
        if since >= self.min_checkpoint_s or last:
            if self._held.entry is not None and better is None:
                self._write_held()
            self._held.drop()
            n = self._checkpoint(weights() if callable(weights) else weights, "epoch",
                                 info.epoch, 0, entry)
            if better is not None:
                self._best = {**better, "checkpoint": n}
        else:
            if better is not None:   # kept until a checkpoint is due, never lost
                self._best = {**better, "checkpoint": None}
                self._held.hold(entry, weights() if callable(weights) else weights)
            if self._held.entry is not None and since >= self.min_checkpoint_s / 2:
                self._write_held()
        if self._thin_due:
            self._thin_due = False
            self._unlink.extend(self._thin())
        summary = now - self._summary_at >= SUMMARY_EVERY_S
        if summary or now - self._flushed_at >= FLUSH_EVERY_S:
            self._flush()      # (a checkpoint flushed already; the summary counts no more)
        if summary:
            self._write_summary()

    def suspend(self, outcome: str, message: str = "",
                weights: Mapping[str, np.ndarray] | None = None) -> None:
        """The trainer stopped, but the run may go on (the window's Play after Stop): the
        record says ``outcome`` and is on disk in full, and :meth:`resume` continues it.
        ``weights``, the network's now, are checkpointed when the last checkpoint is older."""
        if outcome not in L.OUTCOMES:
            raise ValueError(f"unknown outcome '{outcome}'")
        self.outcome, self.message = outcome, message

        def write() -> None:
            self._close_out(weights)
            self._sync = True
            self._flush(sync=True)
            self._write_summary()

        self._guard(write)

    def resume(self) -> None:
        """Go on recording after :meth:`suspend`: a new trainer counts its samples and
        seconds from 0 again, so they continue from where the record stopped."""
        self._guard(self._flush)   # the rows held count on the old trainer's axes
        self.offset_samples, self.offset_elapsed, self._position = self._now()
        self._last = None
        self._flush_due = FLUSH_EVERY_S
        self.outcome, self.message = "running", ""
        self._guard(self._write_summary)

    def finish(self, outcome: str, message: str = "",
               weights: Mapping[str, np.ndarray] | None = None) -> None:
        """Close the record with its outcome (one of ``layout.OUTCOMES``); ``weights`` as in
        :meth:`suspend`."""
        if outcome not in L.OUTCOMES:
            raise ValueError(f"unknown outcome '{outcome}'")
        self.outcome = outcome
        self.message = "; ".join(filter(None, (message, self._stopped_note)))
        if self.active:
            status = {"finished": "success", "stopped": "success"}.get(outcome, "failure")

            def close() -> None:
                self._close_out(weights)
                assert self._events is not None
                wall = time.time()
                self._events.add(tfevents.event(tfevents.hparams_end(status, wall),
                                                step=self._now()[0], wall_time=wall))
                self._sync = True
                self._flush(sync=True)
                self._write_summary()

            self._guard(close)
        elif self.path is not None:
            try:                    # the disk may have room for a small file again
                self._write_summary()
            except OSError:
                pass
        self.active = False
        self._close_files()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def abandon(self) -> None:
        """Stop recording without writing anything more (the record was moved away, e.g.
        to the trash): files closed, the lock released."""
        self.active = False
        self._close_files()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------------ internals
    def _flush(self, sync: bool = False) -> None:
        """Write every row and event held, flush every file (``fsync`` when ``sync``)."""
        self._drain()
        for name, fh in self._files.items():
            if name != self._events_name:
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
        if self._events is not None:
            self._events.flush(sync)
        self._flushed_at = time.monotonic()

    def _drain(self) -> None:
        """Hand what is held to the files and the event writer (on disk at the next
        :meth:`_flush`)."""
        assert self._events is not None
        self._pending.drain(self._files[L.BATCH_FILE], self._files[L.EPOCH_FILE],
                            self._events, (self.offset_samples, self.offset_elapsed))

    def _checkpoint(self, weights: Mapping[str, np.ndarray], kind: str, epoch: int,
                    batch: int, metrics: dict | None = None,
                    at: tuple[int, float] | None = None) -> int:
        assert self.path is not None
        n = self._next_ckpt
        self._next_ckpt += 1
        now = time.monotonic()
        sync = now - self._synced >= SYNC_EVERY_S
        if sync:
            self._synced = now
        self._sync = sync
        self._flush(sync)          # the curves reach at least as far as the checkpoint
        arrays = {f"weights/{k}": np.ascontiguousarray(v, np.float32)
                  for k, v in weights.items()}
        name = L.checkpoint_file(n)
        # a new name, written in place: the index line below is appended only once the
        # file is complete, and readers trust only checkpoints the index names
        packed = io.BytesIO()          # one write: zipfile's many small ones cost more
        np.savez(packed, **arrays)
        with open(self.path / L.CHECKPOINT_DIR / name, "xb") as out:
            out.write(packed.getbuffer())
            if sync:
                out.flush()
                os.fsync(out.fileno())
        samples, elapsed = at if at is not None else self._now()[:2]
        entry = {"n": n, "file": name, "kind": kind, "epoch": epoch, "batch": batch,
                 "samples": samples, "elapsed": elapsed,
                 "bytes": (self.path / L.CHECKPOINT_DIR / name).stat().st_size,
                 **{k: (metrics or {}).get(k) for k in ("train_loss", "val_loss",
                                                        "val_accuracy")}}
        fh = self._files[L.CHECKPOINT_INDEX]
        fh.write(json_line(entry))
        fh.flush()
        if sync:
            os.fsync(fh.fileno())
        self._kept[n] = entry
        self._kept_bytes += entry["bytes"]
        self._thin_due = True
        self._ckpt_at = time.monotonic()
        self._ckpt_samples = max(self._ckpt_samples, samples)
        return n

    def _write_held(self) -> None:
        """Write the best epoch's weights kept in memory as its checkpoint."""
        held = self._held.take()
        if held is None:
            return
        entry, weights = held
        n = self._checkpoint(weights, "epoch", entry["epoch"], 0, entry,
                             at=(entry["samples"], entry["elapsed"]))
        if self._best is not None and self._best["epoch"] == entry["epoch"]:
            self._best["checkpoint"] = n

    def _close_out(self, weights: Mapping[str, np.ndarray] | None) -> None:
        """The trainer stopped: the best kept in memory, and the weights now when nothing
        since the last checkpoint is on disk, become checkpoints."""
        self._write_held()
        samples, _, where = self._now()
        if weights is not None and samples > self._ckpt_samples:
            self._checkpoint(weights, "last", *where)

    def _thin(self) -> list[str]:
        """Drop checkpoints over the budget from the index; returns their file names
        (removed from disk by the caller once the summary no longer lists them)."""
        if self._kept_bytes <= self.budget:
            return []
        protected = {0, max(self._kept)}
        if self._best is not None and self._best["checkpoint"] is not None:
            protected.add(self._best["checkpoint"])
        kept = [Kept(n, e["bytes"]) for n, e in self._kept.items()]
        fh = self._files[L.CHECKPOINT_INDEX]
        gone = []
        for n in plan_thinning(kept, self.budget, protected):
            fh.write(json_line({"removed": n}))
            entry = self._kept.pop(n)
            self._kept_bytes -= entry["bytes"]
            gone.append(entry["file"])
        if gone:
            fh.flush()
            if self._sync:
                os.fsync(fh.fileno())
        return gone

    def _write_summary(self) -> None:
        assert self.path is not None
        last = self._last_entry
        samples, elapsed, _ = self._now()
        sizes = {}
        for name in (L.BATCH_FILE, L.EPOCH_FILE, L.CHECKPOINT_INDEX,
                     self._events_name):
            if (fh := self._files.get(name)) is not None:   # open: its size once flushed
                fh.flush()
                sizes[name] = fh.tell()
            elif name and (self.path / name).exists():
                sizes[name] = (self.path / name).stat().st_size
        summary = {
            "format": L.FORMAT, "version": L.FORMAT_VERSION, "id": self.run_id,
            "name": self.start.name or self.start.default_name(), "created": self._created,
            "updated": now_text(), "state": self.outcome, "message": self.message,
            "design": self.start.design.name, "data": self.start.data,
            "dataset": self.start.dataset, "task": self.start.task,
            "epochs": self._n_epochs, "epochs_planned": self.start.config.get("epochs"),
            "samples": samples, "elapsed": round(elapsed, 3),
            "best": self._best, "last": last, "checkpoints": sorted(self._kept),
            "parent": self.start.parent, "same_start": self.start.same_start,
            "pid": os.getpid(), "host": socket.gethostname(), "files": sizes}
        text = json.dumps(summary, allow_nan=False)
        write_new(self.path / L.SUMMARY_FILE, text.encode("utf-8"), self._sync)
        self._summary_at = time.monotonic()
        for name in self._unlink:     # only now: a summary never lists a removed checkpoint
            try:
                os.unlink(self.path / L.CHECKPOINT_DIR / name)
            except FileNotFoundError:
                pass
        self._unlink = []

    def _close_files(self) -> None:
        for fh in self._files.values():
            try:
                fh.close()
            except OSError:
                pass
        self._files = {}
        self._events = None
