"""Listing run records quickly: each run's small summary, never its curves or weights.

:func:`list_runs` reads only each run's ``summary.json`` (and its ``name.txt``), with a few
``stat`` calls to check that the files it names are all there: a folder of 500 runs lists in
a fraction of a second. A record that cannot be read is listed with the state ``damaged`` and
the reason; nothing in a runs folder makes the list fail. A run whose summary says
``running`` but whose recording process is gone (its lock is free) is ``interrupted``.
"""

from __future__ import annotations

import json
import math
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from nnstudio.fileio import read_limited
from nnstudio.runs import layout as L

__all__ = ["RunError", "RunSummary", "find_run", "list_runs", "read_json", "read_summary"]

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunError(ValueError):
    """A run that cannot be found or read, with what to do."""


@dataclass
class RunSummary:
    """One line of a runs list.

    ``state`` is one of :data:`nnstudio.runs.layout.STATES`; ``problem`` says why a record
    is ``damaged`` (and ``message`` how a run ended, e.g. where it diverged). ``best`` is
    ``{"metric": "val_accuracy" | "val_loss" | "train_loss", "value", "epoch",
    "checkpoint"}`` or None.
    """

    path: Path
    id: str
    name: str = ""
    created: str = ""
    design: str = ""
    data: str = ""
    dataset: str = ""
    task: str = ""
    state: str = "damaged"
    message: str = ""
    problem: str = ""
    epochs: int = 0
    epochs_planned: int | None = None
    samples: int = 0
    elapsed: float = 0.0
    best: dict | None = None
    checkpoints: list[int] = field(default_factory=list)
    parent: dict | None = None

    @property
    def best_text(self) -> str:
        """``"val acc 97.12%"``, ``"val cost 0.1234"``, ``"cost 0.1234"`` or ``""``."""
        b = self.best
        if not b:
            return ""
        label = {"val_accuracy": "val acc", "val_loss": "val cost",
                 "train_loss": "cost"}.get(b.get("metric"), "")
        value = b.get("value")
        if not label or not isinstance(value, int | float):
            return ""
        return f"{label} {100 * value:.2f}%" if b["metric"] == "val_accuracy" else \
            f"{label} {value:.4g}"


def read_json(path: Path, limit: int = L.MAX_SMALL_BYTES) -> object:
    data = read_limited(path, limit, "Run file")
    return json.loads(data.decode("utf-8"))


def _writer_alive(path: Path, summary: dict) -> bool:
    """Whether the process recording the run at ``path`` still runs (its lock is held)."""
    lock = path / L.LOCK_FILE
    if fcntl is not None:
        try:
            fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False
    pid = summary.get("pid")
    if summary.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _read_name(path: Path) -> str | None:
    try:
        text = read_limited(path / L.NAME_FILE, 4096, "Run name").decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    return text.strip().splitlines()[0] if text.strip() else None


def _str(d: dict, key: str) -> str:
    value = d.get(key, "")
    return value if isinstance(value, str) else str(value)


def _int(d: dict, key: str) -> int:
    value = d.get(key, 0)
    return int(value) if isinstance(value, int | float) and math.isfinite(value) else 0


def read_summary(path: str | os.PathLike) -> RunSummary:
    """The list line of the run at ``path``; never raises (a bad record is ``damaged``)."""
    path = Path(path)
    out = RunSummary(path=path, id=path.name, name=path.name)
    try:
        summary = read_json(path / L.SUMMARY_FILE)
    except FileNotFoundError:
        out.problem = "its summary.json is missing"
        return out
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as err:
        out.problem = f"its summary.json cannot be read ({err})"
        return out
    if not isinstance(summary, dict) or summary.get("format") != L.FORMAT:
        out.problem = "its summary.json is not an nnstudio run summary"
        return out
    version = summary.get("version")
    if not isinstance(version, int) or version > L.FORMAT_VERSION:
        out.problem = (f"it was written by a newer nnstudio (format {version}): update "
                       "nnstudio to read it")
        return out
    out.id = _str(summary, "id") or path.name
    out.name = _read_name(path) or _str(summary, "name") or out.id
    for key in ("created", "design", "data", "dataset", "task", "message"):
        setattr(out, key, _str(summary, key))
    out.epochs, out.samples = _int(summary, "epochs"), _int(summary, "samples")
    planned = summary.get("epochs_planned")
    out.epochs_planned = planned if isinstance(planned, int) else None
    elapsed = summary.get("elapsed")
    out.elapsed = float(elapsed) if isinstance(elapsed, int | float) else 0.0
    best, parent = summary.get("best"), summary.get("parent")
    out.best = best if isinstance(best, dict) else None
    out.parent = parent if isinstance(parent, dict) else None
    ckpts = summary.get("checkpoints")
    if not isinstance(ckpts, list) or not all(isinstance(n, int) for n in ckpts):
        out.problem = "its summary.json lists no checkpoints"
        return out
    out.checkpoints = list(ckpts)
    state = summary.get("state")
    if state not in L.OUTCOMES:
        out.problem = f"its state '{state}' is unknown"
        return out
    if problem := _missing_files(path, summary):
        out.problem = problem
        return out
    if state == "running" and not _writer_alive(path, summary):
        state = "interrupted"
    out.state = state
    return out


def _missing_files(path: Path, summary: dict) -> str:
    """What is missing or cut short among the files ``summary`` names ('' when nothing)."""
    files = summary.get("files")
    if not isinstance(files, dict):
        return "its summary.json names no files"
    for name, size in files.items():
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            return "its summary.json names a file outside the run"
        try:
            have = os.stat(path / name).st_size
        except OSError:
            return f"its file '{name}' is missing"
        if isinstance(size, int) and have < size:
            return f"its file '{name}' is cut short ({have:,} of {size:,} bytes)"
    try:
        present = set(os.listdir(path / L.CHECKPOINT_DIR))
    except OSError:
        present = set()
    for n in summary["checkpoints"]:
        if L.checkpoint_file(n) not in present:
            return f"its checkpoint {n} is missing"
    return ""


def list_runs(folder: str | os.PathLike | None = None) -> list[RunSummary]:
    """Every run in ``folder`` (the user's runs folder by default), oldest first.

    Folders whose names start with a dot (the trash) and folders that hold no run files are
    left out; a missing folder has no runs.
    """
    folder = Path(folder) if folder is not None else L.default_runs_folder()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    runs = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        if not L.is_run_folder(entry.path):
            continue
        runs.append(read_summary(entry.path))
    return runs


def find_run(spec: str, folder: str | os.PathLike | None = None) -> Path:
    """The folder of the run ``spec`` names: a run folder's path, a run id, the start of
    one, or a run's name, in ``folder`` (the user's runs folder by default).

    Raises
    ------
    RunError
        No run or several runs match.
    """
    as_path = Path(spec).expanduser()
    if os.sep in spec or "/" in spec or spec in (".", ".."):
        if L.is_run_folder(as_path):
            return as_path
        raise RunError(f"'{spec}' is not a run folder (it has no run.json or summary.json)")
    folder = Path(folder) if folder is not None else L.default_runs_folder()
    if L.is_run_folder(folder / spec) and not spec.startswith("."):
        return folder / spec
    runs = list_runs(folder)
    named = [r for r in runs if r.name == spec]
    if len(named) == 1:
        return named[0].path
    matches = named or [r for r in runs if r.id.startswith(spec)]
    if len(matches) == 1:
        return matches[0].path
    if not matches:
        raise RunError(f"no run '{spec}' in '{folder}': 'nnstudio runs list' shows the runs")
    raise RunError(f"'{spec}' matches {len(matches)} runs ({', '.join(r.id for r in matches[:5])}"
                   f"{', ...' if len(matches) > 5 else ''}): give more of the id")
