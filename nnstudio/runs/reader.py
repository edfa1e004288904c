"""Reading one run record in full: settings, design, curves, checkpoints and their weights.

:func:`open_run` gives a :class:`Run`. Every file is treated as untrusted: sized before it
is read, parsed, never executed; a checkpoint's arrays are checked against the design before
anything is allocated. (Listing many runs quickly is :mod:`nnstudio.runs.listing`.)
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.core.design import Design, DesignError, design_from_json
from nnstudio.core.modelfile import MAX_MODEL_BYTES, _Archive
from nnstudio.core.training import EpochInfo, History
from nnstudio.fileio import read_limited, regular_file
from nnstudio.limits import check_size
from nnstudio.runs import layout as L
from nnstudio.runs.listing import RunError, RunSummary, find_run, list_runs, read_json, read_summary

__all__ = ["Checkpoint", "Run", "RunError", "RunSummary", "find_run", "list_runs",
           "open_run", "read_summary"]

_ROW_BYTES = 8 * len(L.BATCH_COLUMNS)
_MAX_EPOCH_BYTES = 64 << 20


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

    @property
    def place(self) -> str:
        """Where in the run it was taken, for a person: ``"initial weights"``,
        ``"epoch 1, batch 40"`` (epochs and batches count from 1) or ``"end of epoch 3"``."""
        if self.kind == "initial":
            return "initial weights"
        if self.batch:
            return f"epoch {self.epoch}, batch {self.batch}"
        return f"end of epoch {self.epoch}"


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
            check_size(2 * size, f"run '{self.id}': its batch curve")  # table and columns
        except FileNotFoundError:
            size = 0
        except (OSError, ValueError, MemoryError) as err:
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
        info = read_json(path / L.RUN_FILE)
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
