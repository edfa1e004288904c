"""The text of ``runrecord.py``, shipped beside the generated ``train.py``: one fixed program.

``train.py`` runs where nnstudio is not installed (a cluster), so it cannot import
:mod:`nnstudio.runs`; this small module, which needs only NumPy, writes the same run record
(the layout of :mod:`nnstudio.runs.layout`, the TensorBoard event files of
:mod:`nnstudio.runs.tfevents`), so that ``nnstudio runs list``, the studio and TensorBoard
open a run trained there. Like ``train.py`` it holds nothing from a design: the design, the
data's name and the settings reach it as arguments at run time. It is compiled at export
time and compiled and linted by the tests, which also check its constants against
:mod:`nnstudio.runs.layout` and its files against nnstudio's and TensorBoard's readers.
"""

from __future__ import annotations

__all__ = ["RUNRECORD"]

RUNRECORD = r'''"""Write an nnstudio run record: settings, curves and weights of one training run.

Written by nnstudio's export beside train.py; needs only NumPy. Each run is one new folder
of the runs folder ('nnstudio runs list FOLDER' lists them, the studio opens them, and
'tensorboard --logdir FOLDER' shows them):

    run.json            what the run is: design name, data, settings (seed included)
    design.json         the design trained
    summary.json        what a list shows: state, epochs, best figure, checkpoints
    batches.f64         per batch: epoch, batch, samples, elapsed, loss, accuracy, lr
    epochs.jsonl        per epoch, one JSON object a line
    checkpoints.jsonl   the checkpoint index; the weights are in checkpoints/ckpt-NNNNN.npz
    events.out.tfevents.*   TensorBoard scalars and HParams
    lock                held while the run is recorded: a summary that says 'running'
                        when no process holds its lock is a run that was interrupted

Every file is appended to or replaced in one step, so a run killed at any moment leaves a
record that reads up to its last checkpoint. When a write fails (a full disk) one warning is
printed and recording stops; training goes on.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import secrets
import socket
import struct
import sys
import time
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: nnstudio then checks the process id in summary.json
    fcntl = None

FORMAT, VERSION = "nnstudio-run", 1
BATCH_COLUMNS = ("epoch", "batch", "samples", "elapsed", "loss", "accuracy", "lr")
#: where in the first epoch checkpoints are taken (fractions of its batches)
EARLY_FRACTIONS = (1 / 8, 1 / 4, 1 / 2)
#: bytes all checkpoints of a run may take before the oldest are thinned
BUDGET = 20 << 20
SYNC_EVERY_S, SUMMARY_EVERY_S = 10.0, 2.0


# ------------------------------------------------------------------ TensorBoard event files
def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c_py(data: bytes) -> int:
    """CRC-32C (Castagnoli) in plain Python: about 0.3 microseconds a byte."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


try:                  # the crc32c package, where installed, does it in C (pip install crc32c)
    from crc32c import crc32c
except ImportError:
    crc32c = crc32c_py


def masked_crc(data: bytes) -> int:
    """CRC-32C of data, rotated and offset as TensorBoard's record framing stores it."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def framed(data: bytes) -> bytes:
    """One record: length, its masked CRC, the bytes, their masked CRC."""
    head = struct.pack("<Q", len(data))
    return (head + struct.pack("<I", masked_crc(head)) + data
            + struct.pack("<I", masked_crc(data)))


SMALL = [bytes((i,)) for i in range(0x80)]


def varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return SMALL[value]
    value &= (1 << 64) - 1            # int64 negatives: ten bytes, two's complement
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def pb_bytes(field: int, data: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(data)) + data


def pb_text(field: int, text: str) -> bytes:
    return pb_bytes(field, text.encode("utf-8"))


def pb_double(field: int, value: float) -> bytes:
    return varint(field << 3 | 1) + struct.pack("<d", value)


def pb_float(field: int, value: float) -> bytes:
    if not abs(value) <= 3.4e38:           # beyond float32 (or NaN): infinity or NaN
        value = math.copysign(math.inf, value) if value == value else math.nan
    return varint(field << 3 | 5) + struct.pack("<f", value)


def pb_int(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value)


def event(summary: bytes = b"", step: int = 0, wall: float = 0.0, version: str = "") -> bytes:
    """An Event: wall_time 1, step 2, file_version 3, summary 5."""
    out = pb_double(1, wall or time.time()) + (pb_int(2, step) if step else b"")
    out += pb_text(3, version) if version else b""
    return out + (pb_bytes(5, summary) if summary else b"")


TAGS: dict[str, bytes] = {}


def scalars(values: dict) -> bytes:
    """A Summary of simple_value scalars: Summary.value 1 = {tag 1, simple_value 2}."""
    out = []
    for tag, v in values.items():
        if tag not in TAGS:               # the few tags of a run are encoded once
            TAGS[tag] = pb_text(1, tag)
        out.append(pb_bytes(1, TAGS[tag] + pb_float(2, v)))
    return b"".join(out)


def hparams(tag: str, content: bytes) -> bytes:
    """A Summary value for the HParams plugin: tensor 8 (empty float), metadata 9."""
    meta = pb_bytes(1, pb_text(1, "hparams") + pb_bytes(2, content))
    return pb_bytes(1, pb_text(1, tag) + pb_bytes(8, bytes.fromhex("080112021200"))
                    + pb_bytes(9, meta))


def hparams_start(values: dict, group: str, wall: float) -> bytes:
    """session_start_info 3: hparams 1 (map of google.protobuf.Value), group 4, time 5."""
    info = b""
    for name, v in values.items():
        value = pb_int(4, int(v)) if isinstance(v, bool) else pb_double(2, float(v)) \
            if isinstance(v, int | float) else pb_text(3, str(v))
        info += pb_bytes(1, pb_text(1, name) + pb_bytes(2, value))
    info += pb_text(4, group) + pb_double(5, wall)
    return hparams("_hparams_/session_start_info", pb_bytes(3, info))


def hparams_end(success: bool, wall: float) -> bytes:
    """session_end_info 4: status 1 (1 success, 2 failure), end time 2."""
    return hparams("_hparams_/session_end_info",
                   pb_bytes(4, pb_int(1, 1 if success else 2) + pb_double(2, wall)))


# ------------------------------------------------------------------ the record
def early_batches(n_batches: int) -> set[int]:
    """Batches (from 1) of the first epoch after which a checkpoint is taken."""
    return {b for f in EARLY_FRACTIONS if 1 <= (b := round(n_batches * f)) < n_batches}


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def json_line(obj: dict) -> bytes:
    return (json.dumps(obj, allow_nan=False) + "\n").encode("utf-8")


def write_new(path: Path, data: bytes, sync: bool) -> None:
    """Create or replace path in one step: a temporary file renamed over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def thinned(sizes: dict[int, int], budget: int, protected: set[int]) -> list[int]:
    """Checkpoints to remove so that the rest fit the budget: every second unprotected
    one, oldest first, sweep after sweep."""
    total = sum(sizes.values())
    removable = sorted(n for n in sizes if n not in protected)
    removed: list[int] = []
    while total > budget and removable:
        for n in removable[1::2] if len(removable) > 1 else removable:
            if total <= budget:
                break
            removed.append(n)
            total -= sizes[n]
        removable = [n for n in removable if n not in removed]
    return removed


class RunRecord:
    """Records one run into a new folder of runs_folder.

    info is what run.json keeps: "design" (its name), "data", "dataset", "task",
    "classes", "image_size", "config" (the settings, "seed" among them) and more; design
    is the design as a dict (the design file format). Call begin(weights), batches(rows),
    checkpoint(...) within the first epoch, epoch(entry, weights) and finish(outcome).
    Weights are {"node/W": float32 array} in nnstudio's layouts.
    """

    def __init__(self, runs_folder: str | Path, info: dict, design: dict,
                 budget: int = BUDGET) -> None:
        self.active, self.path, self.run_id, self.budget = True, None, "", budget
        self.config = dict(info.get("config") or {})
        self.name = f"{info.get('design', '')} lr {self.config.get('lr', 0):g}"
        self.info, self.files, self.lock_fd = info, {}, None
        self.samples, self.elapsed, self.epochs, self.best = 0, 0.0, [], None
        self.kept, self.unlink, self.next_n = {}, [], 0
        self.created = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        self.synced = self.summary_at = -math.inf
        self.outcome, self.message, self.note = "running", "", ""
        try:
            self.create(Path(runs_folder), design)
        except OSError as err:
            self.stop(err)

    def create(self, folder: Path, design: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            self.run_id = f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
            try:
                (folder / self.run_id).mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free run id in '{folder}'")
        path = self.path = folder / self.run_id
        (path / "checkpoints").mkdir()
        self.lock_fd = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self.lock_fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        info = {"format": FORMAT, "version": VERSION, "id": self.run_id,
                "created": self.created, "origin": "train.py", "parent": None,
                "same_start": None, **self.info, "seed": self.config.get("seed", 0),
                "start": {"samples": 0, "elapsed": 0.0}, "batch_columns": list(BATCH_COLUMNS),
                "budget_bytes": self.budget}
        write_new(path / "run.json", json.dumps(info, indent=1).encode("utf-8"), False)
        write_new(path / "design.json", json.dumps(design, indent=2).encode("utf-8"), False)
        wall = time.time()
        host = "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())
        self.events = f"events.out.tfevents.{int(wall)}.{host or 'host'}.{os.getpid()}"
        for name in ("batches.f64", "epochs.jsonl", "checkpoints.jsonl", self.events):
            self.files[name] = open(path / name, "ab")  # noqa: SIM115 - kept open
        hp = {"design": str(self.info.get("design", "")), "data": str(self.info.get("data", "")),
              **{k: v for k, v in self.config.items() if isinstance(v, bool | int | float | str)}}
        self.files[self.events].write(framed(event(wall=wall, version="brain.Event:2"))
                                      + framed(event(hparams_start(hp, self.run_id, wall),
                                                     wall=wall)))
        self.flush()
        self.write_summary()

    def stop(self, err: OSError) -> None:
        """Stop recording after a failed write, with one warning."""
        if not self.active:
            return
        self.active = False
        self.close()
        self.note = f"recording stopped after epoch {len(self.epochs)} ({err.strerror or err})"
        kept = f" What was recorded so far is kept in '{self.path}'." if self.path else ""
        print(f"train.py: the run record could not be written ({err.strerror or err}); "
              f"training goes on without recording.{kept} Free some disk space or choose "
              "another folder with --runs.", file=sys.stderr, flush=True)

    def guard(self, action, *args) -> object:
        if not self.active:
            return None
        try:
            return action(*args)
        except OSError as err:
            self.stop(err)
            return None

    def begin(self, weights: dict) -> None:
        """Checkpoint 0: the initial weights."""
        self.guard(self.save, weights, "initial", 0, 0, None)

    def batches(self, rows: np.ndarray) -> None:
        """Append batches: rows (k, 7) of BATCH_COLUMNS; samples counts from the start."""
        self.guard(self.add_batches, np.asarray(rows, dtype="<f8"))

    def checkpoint(self, weights: dict, epoch: int, batch: int) -> None:
        """An early checkpoint within the first epoch, after the batch recorded last."""
        self.guard(self.save, weights, "early", epoch, batch, None)

    def epoch(self, entry: dict, weights: dict) -> None:
        """Record an epoch (epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr)
        and its checkpoint."""
        entry = {"epoch": int(entry["epoch"]), "samples": self.samples,
                 "elapsed": self.elapsed, **{k: finite(entry.get(k)) for k in (
                     "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")}}
        self.guard(self.add_epoch, entry, weights)

    def finish(self, outcome: str, message: str = "") -> None:
        """Close the record: outcome is finished, stopped or failed."""
        self.outcome = outcome
        self.message = "; ".join(filter(None, (message, self.note)))
        if self.active:
            wall = time.time()
            self.guard(lambda: self.files[self.events].write(framed(event(
                hparams_end(outcome in ("finished", "stopped"), wall), self.samples, wall))))
            self.guard(self.flush, True)
            self.guard(self.write_summary, True)
        elif self.path is not None:
            try:                    # the disk may have room for a small file again
                self.write_summary()
            except OSError:
                pass
        self.active = False
        self.close()

    # ------------------------------------------------------------------ internals
    def add_batches(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        self.samples, self.elapsed = int(rows[-1, 2]), float(rows[-1, 3])
        self.files["batches.f64"].write(rows.tobytes())
        wall, out = time.time(), []
        for r in rows.tolist():
            tags = {"batch/loss": r[4], "batch/lr": r[6]}
            if r[5] == r[5]:
                tags["batch/accuracy"] = r[5]
            out.append(framed(event(scalars(tags), int(r[2]), wall)))
        self.files[self.events].write(b"".join(out))
        self.flush()

    def add_epoch(self, entry: dict, weights: dict) -> None:
        self.files["epochs.jsonl"].write(json_line(entry))
        self.epochs.append(entry)
        tags = {f"epoch/{k}": entry[k] for k in ("train_loss", "train_accuracy", "val_loss",
                                                 "val_accuracy") if entry[k] is not None}
        self.files[self.events].write(framed(event(scalars(tags), max(self.samples, 1))))
        n = self.save(weights, "epoch", entry["epoch"], 0, entry)
        for metric, higher in (("val_accuracy", True), ("val_loss", False),
                               ("train_loss", False)):
            value, best = entry[metric], self.best
            if value is None:
                continue
            if best is None or best["metric"] != metric or (
                    value > best["value"] if higher else value < best["value"]):
                self.best = {"metric": metric, "value": value, "epoch": entry["epoch"],
                             "checkpoint": n}
            break
        protected = {0, n} | ({self.best["checkpoint"]} if self.best else set())
        sizes = {k: e["bytes"] for k, e in self.kept.items()}
        gone = thinned(sizes, self.budget, protected) if sum(sizes.values()) > self.budget \
            else []
        for k in gone:
            self.files["checkpoints.jsonl"].write(json_line({"removed": k}))
            self.unlink.append(self.kept.pop(k)["file"])
        self.flush()
        if time.monotonic() - self.summary_at >= SUMMARY_EVERY_S:
            self.write_summary()

    def save(self, weights: dict, kind: str, epoch: int, batch: int, metrics: dict | None
             ) -> int:
        n, self.next_n = self.next_n, self.next_n + 1
        sync = time.monotonic() - self.synced >= SYNC_EVERY_S
        if sync:
            self.synced = time.monotonic()
        self.flush(sync)             # the curves reach at least as far as the checkpoint
        packed = io.BytesIO()
        np.savez(packed, **{f"weights/{k}": np.ascontiguousarray(v, np.float32)
                            for k, v in weights.items()})
        name = f"ckpt-{n:05d}.npz"
        with open(self.path / "checkpoints" / name, "xb") as out:
            out.write(packed.getbuffer())
            if sync:
                out.flush()
                os.fsync(out.fileno())
        entry = {"n": n, "file": name, "kind": kind, "epoch": epoch, "batch": batch,
                 "samples": self.samples, "elapsed": self.elapsed,
                 "bytes": packed.getbuffer().nbytes,
                 **{k: (metrics or {}).get(k) for k in ("train_loss", "val_loss",
                                                        "val_accuracy")}}
        self.files["checkpoints.jsonl"].write(json_line(entry))
        self.flush(sync)             # an index line only once its file is complete
        self.kept[n] = entry
        return n

    def flush(self, sync: bool = False) -> None:
        for fh in self.files.values():
            fh.flush()
            if sync:
                os.fsync(fh.fileno())

    def write_summary(self, sync: bool = False) -> None:
        sizes = {name: (self.path / name).stat().st_size for name in self.files}
        summary = {
            "format": FORMAT, "version": VERSION, "id": self.run_id, "name": self.name,
            "created": self.created,
            "updated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "state": self.outcome, "message": self.message, "design": self.info.get("design"),
            "data": self.info.get("data"), "dataset": self.info.get("dataset"),
            "task": self.info.get("task"), "epochs": len(self.epochs),
            "epochs_planned": self.config.get("epochs"), "samples": self.samples,
            "elapsed": round(self.elapsed, 3), "best": self.best,
            "last": self.epochs[-1] if self.epochs else None, "checkpoints": sorted(self.kept),
            "parent": None, "same_start": None, "pid": os.getpid(),
            "host": socket.gethostname(), "files": sizes}
        write_new(self.path / "summary.json", json.dumps(summary).encode("utf-8"), sync)
        self.summary_at = time.monotonic()
        for name in self.unlink:     # only now: a summary never lists a removed checkpoint
            (self.path / "checkpoints" / name).unlink(missing_ok=True)
        self.unlink = []

    def close(self) -> None:
        for fh in self.files.values():
            try:
                fh.close()
            except OSError:
                pass
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None
'''
