"""Reading run records: a quick list from their summaries, and one run in full.

:func:`list_runs` reads only each run's small ``summary.json`` (and its ``name.txt``), with a
few ``stat`` calls to check that the files it names are all there: a folder of 500 runs lists
in a fraction of a second, and never reads weights. A record that cannot be read is listed
with the state ``damaged`` and the reason; nothing in a runs folder makes the list fail.

:func:`open_run` gives a :class:`Run`: its settings, design, curves and checkpoints. Every
file is treated as untrusted: sized before it is read, parsed, never executed; a checkpoint's
arrays are checked against the design before anything is allocated.
"""

from __future__ import annotations

import json
import math
import os
import socket
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio.core.design import Design, DesignError, design_from_json
from nnstudio.core.modelfile import MAX_MODEL_BYTES, _Archive
from nnstudio.core.training import EpochInfo, History
from nnstudio.fileio import read_limited, regular_file
from nnstudio.runs import layout as L

__all__ = ["Checkpoint", "Run", "RunError", "RunSummary", "find_run", "list_runs",
           "open_run", "read_summary"]

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_ROW_BYTES = 8 * len(L.BATCH_COLUMNS)
_MAX_EPOCH_BYTES = 64 << 20


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


@dataclass(frozen=True)
class Checkpoint:
    """A stored checkpoint: number, kind (initial / early / epoch), where in the run."""

    n: int
    file: str
    kind: str
    epoch: int
    batch: int
    samples: int
    elapsed: float
    val_accuracy: float | None = None
    val_loss: float | None = None
    train_loss: float | None = None


# ---------------------------------------------------------------------- small files
def _read_json(path: Path, limit: int = L.MAX_SMALL_BYTES) -> object:
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
        summary = _read_json(path / L.SUMMARY_FILE)
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


# ---------------------------------------------------------------------- one run
class Run:
    """One run record, read lazily. Use :func:`open_run`.

    Attributes
    ----------
    path : Path
    summary : RunSummary
    info : dict
        ``run.json``: design name, data, classes, image size, ``config`` (the settings),
        ``seed``, ``parent``, ``same_start``, ``start`` (samples and seconds a fork starts at).
    """

    def __init__(self, path: Path, summary: RunSummary, info: dict) -> None:
        self.path, self.summary, self.info = path, summary, info

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def config(self) -> dict:
        config = self.info.get("config")
        return config if isinstance(config, dict) else {}

    def design(self) -> Design:
        """The design trained; RunError when its file is missing or unusable."""
        try:
            text = read_limited(self.path / L.DESIGN_FILE, 64 << 20, "Design file")
            return design_from_json(text)
        except (OSError, ValueError, DesignError) as err:
            raise RunError(f"run '{self.id}': its design cannot be read ({err})") from None

    def epochs(self) -> list[dict]:
        """The per-epoch curve: dicts with ``epoch``, ``samples``, ``elapsed``,
        ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``lr``
        (None where not measured). A line cut short by a crash is left out."""
        try:
            data = read_limited(self.path / L.EPOCH_FILE, _MAX_EPOCH_BYTES, "Curve file")
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            raise RunError(f"run '{self.id}': its epoch curve cannot be read ({err})") from None
        out = []
        for line in data.split(b"\n"):
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(entry, dict) and isinstance(entry.get("epoch"), int):
                out.append(entry)
        return out

    def batches(self) -> dict[str, np.ndarray]:
        """The per-batch curve: one float64 array of shape (n_batches,) per name in
        :data:`~nnstudio.runs.layout.BATCH_COLUMNS` (accuracy NaN where not measured)."""
        path = self.path / L.BATCH_FILE
        try:
            size = regular_file(path, L.MAX_CURVE_BYTES, "Curve file").st_size
        except FileNotFoundError:
            size = 0
        except (OSError, ValueError) as err:
            raise RunError(f"run '{self.id}': its batch curve cannot be read ({err})") from None
        rows = size // _ROW_BYTES
        if rows:
            flat = np.fromfile(path, dtype="<f8", count=rows * len(L.BATCH_COLUMNS))
            table = flat.reshape(-1, len(L.BATCH_COLUMNS))
        else:
            table = np.empty((0, len(L.BATCH_COLUMNS)))
        return {name: table[:, i].copy() for i, name in enumerate(L.BATCH_COLUMNS)}

    def checkpoints(self) -> list[Checkpoint]:
        """The stored checkpoints, oldest first: those the index names, not removed by the
        size budget, whose file is there."""
        try:
            data = read_limited(self.path / L.CHECKPOINT_INDEX, _MAX_EPOCH_BYTES,
                                "Checkpoint index")
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            raise RunError(f"run '{self.id}': its checkpoint index cannot be read "
                           f"({err})") from None
        found: dict[int, Checkpoint] = {}
        for line in data.split(b"\n"):
            try:
                e = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(e, dict):
                continue
            if isinstance(e.get("removed"), int):
                found.pop(e["removed"], None)
                continue
            try:
                ckpt = Checkpoint(
                    n=int(e["n"]), file=L.checkpoint_file(int(e["n"])), kind=str(e["kind"]),
                    epoch=int(e["epoch"]), batch=int(e["batch"]), samples=int(e["samples"]),
                    elapsed=float(e["elapsed"]),
                    **{k: float(e[k]) if isinstance(e.get(k), int | float) else None
                       for k in ("val_accuracy", "val_loss", "train_loss")})
            except (KeyError, TypeError, ValueError, OverflowError):
                continue
            found[ckpt.n] = ckpt
        present = set(os.listdir(self.path / L.CHECKPOINT_DIR)) \
            if (self.path / L.CHECKPOINT_DIR).is_dir() else set()
        return [c for n, c in sorted(found.items()) if c.file in present]

    def checkpoint(self, ref: int | str) -> Checkpoint:
        """Checkpoint ``ref``: its number, or ``"best"``, ``"last"`` or ``"initial"``."""
        ckpts = self.checkpoints()
        if not ckpts:
            raise RunError(f"run '{self.id}' has no checkpoints")
        if ref == "last":
            return ckpts[-1]
        if ref == "initial":
            if ckpts[0].n != 0:
                raise RunError(f"run '{self.id}' has lost its initial weights")
            return ckpts[0]
        if ref == "best":
            best = self.summary.best
            n = best.get("checkpoint") if best else None
            ref = n if isinstance(n, int) else ckpts[-1].n
        for c in ckpts:
            if c.n == ref:
                return c
        raise RunError(f"run '{self.id}' has no checkpoint {ref} (it has "
                       f"{', '.join(str(c.n) for c in ckpts)})")

    def weights(self, ref: int | str, design: Design | None = None) -> dict[str, np.ndarray]:
        """The weights of checkpoint ``ref``, checked against the run's design.

        Returns
        -------
        dict
            ``"node/W"`` -> float32 array, the shapes the design's network has.
        """
        from nnstudio.core.network import Network

        ckpt = self.checkpoint(ref)
        expected = {k: v.shape for k, v in Network(design or self.design()).get_weights().items()}
        path = self.path / L.CHECKPOINT_DIR / ckpt.file
        try:
            regular_file(path, MAX_MODEL_BYTES, "Checkpoint")
            with zipfile.ZipFile(path) as zf:
                arc = _Archive(zf, path.name)
                found = {k[len("weights/"):]: k for k in arc.keys if k.startswith("weights/")}
                if set(found) != set(expected):
                    raise RunError(f"run '{self.id}': checkpoint {ckpt.n} does not fit the "
                                   "design (other weights)")
                out = {}
                for name, key in found.items():
                    shape, dtype = arc.header(key)[:2]
                    if shape != expected[name] or dtype != np.float32:
                        raise RunError(
                            f"run '{self.id}': checkpoint {ckpt.n} does not fit the design "
                            f"('{name[:64]}' is {dtype} {shape}, the design needs float32 "
                            f"{expected[name]})")
                    out[name] = arc.array(key)
                return out
        except RunError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError) as err:
            raise RunError(f"run '{self.id}': checkpoint {ckpt.n} cannot be read "
                           f"({format_error(err)})") from None

    def network(self, ref: int | str):
        """A :class:`~nnstudio.core.network.Network` with the weights of checkpoint ``ref``."""
        from nnstudio.core.network import Network

        design = self.design()
        net = Network(design)
        net.set_weights(self.weights(ref, design))
        return net

    def history(self, upto: Checkpoint | None = None) -> History:
        """The run's curves as a :class:`History`, up to checkpoint ``upto`` if given."""
        batches, epochs = self.batches(), self.epochs()
        if upto is not None:
            keep = batches["samples"] <= upto.samples
            batches = {k: v[keep] for k, v in batches.items()}
            last_whole = upto.epoch if upto.batch == 0 else upto.epoch - 1
            epochs = [e for e in epochs if e["epoch"] <= last_whole]
        hist = History.from_dict({"batch_loss": batches["loss"],
                                  "batch_accuracy": batches["accuracy"],
                                  "batch_lr": batches["lr"], "batch_epoch": batches["epoch"]})

        def num(e: dict, key: str) -> float | None:
            v = e.get(key)
            return float(v) if isinstance(v, int | float) else None

        for e in epochs:
            hist.epochs.append(EpochInfo(
                epoch=int(e["epoch"]), train_loss=num(e, "train_loss") or math.nan,
                train_accuracy=num(e, "train_accuracy"), val_loss=num(e, "val_loss"),
                val_accuracy=num(e, "val_accuracy"), lr=num(e, "lr") or math.nan,
                elapsed=num(e, "elapsed") or 0.0))
        return hist


def format_error(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.replace("\n", " ")[:200]


def open_run(path: str | os.PathLike) -> Run:
    """Open the run record at ``path``.

    Raises
    ------
    RunError
        The folder is not a run, or its ``run.json`` cannot be read. A record that is
        damaged in other ways still opens; ``run.summary.problem`` says what is wrong.
    """
    path = Path(path)
    try:
        info = _read_json(path / L.RUN_FILE)
    except FileNotFoundError:
        raise RunError(f"'{path}' is not a run record (no run.json)") from None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as err:
        raise RunError(f"run '{path.name}' is damaged: its run.json cannot be read "
                       f"({format_error(err)})") from None
    if not isinstance(info, dict) or info.get("format") != L.FORMAT:
        raise RunError(f"run '{path.name}' is damaged: its run.json is not an nnstudio run")
    version = info.get("version")
    if not isinstance(version, int) or version > L.FORMAT_VERSION:
        raise RunError(f"run '{path.name}' was written by a newer nnstudio (format "
                       f"{version}): update nnstudio to read it")
    return Run(path, read_summary(path), info)
