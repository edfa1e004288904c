"""Where a run record lives and what its files are called.

A runs folder (by default ``runs`` in the user's data folder, which ``NNSTUDIO_DATA_DIR``
moves) holds one folder per run, named by its id ``YYYYMMDD-HHMMSS-xxxx`` (local time of its
start and four random hex digits), and a ``.trash`` folder of removed runs::

    RUN/
      run.json              what the run is: design name, data, settings, seed, parent
      design.json           the design trained (the design file format)
      summary.json          what a list shows: name, state, epochs, best figure, checkpoints
                            (small; rewritten in one step at each epoch end)
      name.txt              the name a person gave the run (absent until renamed)
      batches.f64           per-batch curve: rows of BATCH_COLUMNS as float64, appended
      epochs.jsonl          per-epoch curve: one JSON object a line, appended
      checkpoints.jsonl     checkpoint index: one JSON object a line, appended
                            ({"removed": n} when the size budget thinned checkpoint n)
      checkpoints/ckpt-NNNNN.npz   weights: "weights/<node>/<name>" float32 arrays
      events.out.tfevents.* TensorBoard scalars and HParams (see nnstudio.runs.tfevents)
      lock                  held (flock) by the process that is recording the run

Every file is either appended to or replaced in one step, so a run killed at any moment
leaves a record that reads up to its last flush.
"""

from __future__ import annotations

import datetime as _dt
import os
import secrets
from pathlib import Path

__all__ = ["BATCH_COLUMNS", "FORMAT", "FORMAT_VERSION", "OUTCOMES", "STATES", "TRASH",
           "default_runs_folder", "new_run_id"]

FORMAT = "nnstudio-run"
FORMAT_VERSION = 1

RUN_FILE = "run.json"
DESIGN_FILE = "design.json"
SUMMARY_FILE = "summary.json"
NAME_FILE = "name.txt"
BATCH_FILE = "batches.f64"
EPOCH_FILE = "epochs.jsonl"
CHECKPOINT_INDEX = "checkpoints.jsonl"
CHECKPOINT_DIR = "checkpoints"
LOCK_FILE = "lock"
TRASH = ".trash"

#: The columns of ``batches.f64``; ``samples`` counts samples seen since the run's start
#: (a fork counts on from its parent's checkpoint), ``elapsed`` is training seconds.
BATCH_COLUMNS = ("epoch", "batch", "samples", "elapsed", "loss", "accuracy", "lr")
#: How a run ended (``running`` while it trains).
OUTCOMES = ("running", "finished", "stopped", "diverged", "interrupted", "failed")
#: What a list shows: an outcome, or ``damaged`` for a record that cannot be read.
STATES = (*OUTCOMES, "damaged")

#: The largest small file of a record read (summary, settings, a name).
MAX_SMALL_BYTES = 1 << 20
#: The largest curve or index file read.
MAX_CURVE_BYTES = 1 << 30


def default_runs_folder() -> Path:
    """``runs`` in the user's data folder (``$NNSTUDIO_DATA_DIR/runs`` when that is set)."""
    from nnstudio.data.cache import data_dir

    return data_dir() / "runs"


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A new run id, sortable by start time: ``20261207-165700-3fa2``."""
    now = now or _dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def checkpoint_file(n: int) -> str:
    """The file name of checkpoint ``n`` inside ``checkpoints/``."""
    return f"ckpt-{n:05d}.npz"


def is_run_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a run record (has ``run.json`` or ``summary.json``)."""
    p = Path(path)
    return (p / RUN_FILE).exists() or (p / SUMMARY_FILE).exists()
