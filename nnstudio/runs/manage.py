"""Changing a runs folder: rename a run, move it to the trash and back, export its weights.

The command line (``nnstudio runs rename / rm / restore / export``) and the window's Runs list
do these through the same functions. The trash is the ``.trash`` folder of the runs folder; a
run moved there has its event files renamed (``tfevents`` -> :data:`HIDDEN_EVENTS`) so that
``tensorboard --logdir RUNS``, which opens every file whose name holds "tfevents" (hidden
folders included), no longer shows it. Every function raises
:class:`~nnstudio.runs.listing.RunError` with a sentence saying what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnstudio.fileio import atomic_write
from nnstudio.runs import layout as L
from nnstudio.runs.listing import RunError, read_summary
from nnstudio.runs.reader import Checkpoint, Run
from nnstudio.terminal import printable

__all__ = ["HIDDEN_EVENTS", "check_not_running", "export_checkpoint", "rename_run",
           "restore_run", "trash_run", "valid_name"]

#: In the trash, event files carry this in place of "tfevents".
HIDDEN_EVENTS = "tfevents-removed"


def _rename_events(folder: Path, old: str, new: str) -> None:
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and old in entry.name and \
                (old != "tfevents" or HIDDEN_EVENTS not in entry.name):
            os.rename(entry.path, folder / entry.name.replace(old, new, 1))


def check_not_running(path: Path) -> None:
    """RunError when the run at ``path`` is still training (a damaged run can be removed)."""
    s = read_summary(path)
    if s.state == "running":
        raise RunError(f"run '{printable(s.id)}' is still training: stop it first")


def trash_run(path: str | os.PathLike) -> Path:
    """Move the run at ``path`` into its folder's trash; returns where it went."""
    path = Path(path)
    check_not_running(path)
    trash = path.parent / L.TRASH
    trash.mkdir(exist_ok=True)
    target = trash / path.name
    if target.exists():
        raise RunError(f"the trash already holds a run '{printable(path.name)}': restore or "
                       f"delete that one first ({printable(target, 1000)})")
    os.rename(path, target)
    _rename_events(target, "tfevents", HIDDEN_EVENTS)
    return target


def restore_run(folder: str | os.PathLike, run_id: str) -> Path:
    """Bring the run ``run_id`` back from the trash of the runs folder ``folder``."""
    folder = Path(folder)
    name = Path(run_id).name
    source = folder / L.TRASH / name
    if not name or name.startswith(".") or not L.is_run_folder(source):
        raise RunError(f"no run '{printable(run_id)}' in the trash of "
                       f"'{printable(folder, 1000)}'")
    if (folder / name).exists():
        raise RunError(f"'{printable(folder / name, 1000)}' exists already")
    _rename_events(source, HIDDEN_EVENTS, "tfevents")
    os.rename(source, folder / name)
    return folder / name


def valid_name(name: str) -> str:
    """``name`` on one line with single spaces; RunError when it is empty or too long."""
    name = " ".join(str(name).split())
    if not name or not name.isprintable() or len(name) > 200:
        raise RunError("a run name is 1 to 200 printable characters on one line")
    return name


def rename_run(path: str | os.PathLike, name: str) -> str:
    """Give the run at ``path`` the name ``name`` (kept in its ``name.txt``); returns the
    name as kept."""
    name = valid_name(name)
    atomic_write(Path(path) / L.NAME_FILE, lambda fh: fh.write(name.encode("utf-8") + b"\n"))
    return name


def export_checkpoint(run: Run, ref: int | str, out: str | os.PathLike) -> Checkpoint:
    """Write checkpoint ``ref`` of ``run`` as a model file (``.npz``) at ``out``, with the
    run's curves up to it and where it comes from; returns the checkpoint."""
    from nnstudio.core.modelfile import save_model

    ckpt = run.checkpoint(ref)
    out = Path(out)
    if out.is_dir():
        raise RunError(f"'{printable(out, 1000)}' is a folder: give a file name such as "
                       "model.npz")
    network = run.network(ckpt.n)
    info = run.info
    meta = {"classes": info.get("classes") or [], "data": info.get("data", ""),
            "dataset": info.get("dataset", ""), "task": info.get("task", ""),
            "image_size": info.get("image_size"), "config": run.config,
            "run": {"id": run.id, "checkpoint": ckpt.n, "epoch": ckpt.epoch,
                    "samples": ckpt.samples}}
    save_model(out, network, run.history(ckpt), meta)
    return ckpt
