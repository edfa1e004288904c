"""The text of the generated ``train.py``: one fixed program, the same for every model.

Nothing in it comes from a design or a model file; the program reads the design, its names
and its settings from ``train.json`` beside it at run time (see
:mod:`nnstudio.export.train_script`, which writes that file). Its first process records the
run with ``runrecord.py`` (:mod:`nnstudio.export.runrecord_template`). It is checked like
any generated script: compiled at export time, compiled and linted by the tests.
"""

from __future__ import annotations

__all__ = ["TEMPLATE"]

TEMPLATE = r'''"""Train an nnstudio design with PyTorch: same design, data and settings.

    python train.py --data idx:FOLDER [--epochs N] [--device cpu|cuda] [--out model.npz]
    python train.py --data csv:FILE.csv:label=COLUMN ...
    torchrun --nproc-per-node=N train.py --data idx:FOLDER ...    (one process per GPU/CPU)

The design, its name, its class names and the default settings are read from train.json
beside this script. Starts from the exported weights in model.safetensors (--fresh: from
new random weights). Under torchrun each process trains on its share of every batch
(DistributedSampler) and DistributedDataParallel averages the gradients, so --batch-size
stays the global batch. At the end it writes an nnstudio model file: open it in the studio
or run 'nnstudio evaluate model.npz --data ...'.

The first process records the run in ./runs (--runs FOLDER; --no-record keeps nothing) as
nnstudio records its own: settings, curves, checkpoints, TensorBoard events. See it with
'nnstudio runs list runs' or 'tensorboard --logdir runs', or copy it into nnstudio's runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import io
import json
import math
import os
import re
import stat
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import INPUT_SHAPE, LOSS, Model, load_weights  # noqa: E402
from runrecord import RunRecord, early_batches  # noqa: E402

SETTINGS_FILE = HERE / "train.json"
SETTINGS_FORMAT = "nnstudio-train-settings"
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
#: files larger than this are refused before they are read (bytes)
MAX_FILE_BYTES = 8 << 30


def fail(message: str) -> None:
    """One line on stderr, exit code 2."""
    print(f"train.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def shown(value: object, limit: int = 200) -> str:
    """Text from a file as it is safe to print: control characters and direction marks
    as escapes (\\x1b, \\u202e), very long text cut."""
    text = str(value)
    cut = len(text) > limit
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text[:limit])
    return text + ("..." if cut else "")


def read_settings(path: Path = SETTINGS_FILE) -> dict:
    """train.json: the design, its names and the default settings."""
    size = file_size(path, "the settings train.json written with this script")
    if size > 256 << 20:
        fail(f"{shown(path)} is {size:,} bytes, more than settings ever take")
    try:
        settings = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as err:
        fail(f"{shown(path)} cannot be read ({shown(err)}); export the model from nnstudio "
             "again")
    ok = (isinstance(settings, dict) and settings.get("format") == SETTINGS_FORMAT
          and isinstance(settings.get("meta"), dict) and isinstance(settings.get("config"), dict)
          and isinstance(settings.get("weights"), dict)
          and isinstance(settings.get("design"), dict))
    if not ok:
        fail(f"{shown(path)} is not the settings file of an nnstudio export; export the model "
             "from nnstudio again")
    return settings


# ------------------------------------------------------------------ data
def file_size(path: Path, what: str) -> int:
    """The size of a regular file; anything else (missing, a folder, a pipe) ends the run."""
    try:
        info = path.stat()
    except OSError as err:
        fail(f"{shown(path)} cannot be read ({shown(err.strerror or err)}); give {what}")
    if not stat.S_ISREG(info.st_mode):
        fail(f"{shown(path)} is not a regular file (a folder, pipe or device); give {what}")
    if info.st_size > MAX_FILE_BYTES:
        fail(f"{shown(path)} is {info.st_size:,} bytes, more than {MAX_FILE_BYTES:,}")
    return info.st_size


def memory_bytes() -> int | None:
    """The machine's memory in bytes, where the system says (else None)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (gzipped or not); its header is checked against the
    bytes that follow before anything of its claimed size is allocated."""
    size = file_size(path, "an IDX file")
    try:
        with open(path, "rb") as fh:
            packed = fh.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as fh:
            head = fh.read(4)
            if len(head) < 4 or head[:3] != b"\x00\x00\x08" or not 1 <= head[3] <= 4:
                fail(f"{shown(path)} is not an IDX file of unsigned bytes")
            ndim = head[3]
            raw_dims = fh.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                fail(f"{shown(path)} ends inside its IDX header")
            dims = [int.from_bytes(raw_dims[4 * i:4 * i + 4], "big") for i in range(ndim)]
            count = math.prod(dims)
            if not packed and count != size - 4 - 4 * ndim:
                fail(f"{shown(path)}: its header says {count:,} values but the file holds "
                     f"{size - 4 - 4 * ndim:,}; the file is damaged")
            limit = memory_bytes()
            if limit is not None and count * 5 > limit:
                fail(f"{shown(path)}: its header says {count:,} values, more than this "
                     "machine's memory holds")
            data = bytearray()
            while len(data) < count:
                chunk = fh.read(min(1 << 24, count - len(data)))
                if not chunk:
                    break
                data += chunk
            if len(data) != count or fh.read(1):
                fail(f"{shown(path)}: its header says {count:,} values but the file holds "
                     f"{'fewer' if len(data) < count else 'more'}; the file is damaged")
    except (OSError, EOFError, zlib.error) as err:
        fail(f"{shown(path)} cannot be read ({shown(err)}); the file is damaged")
    return np.frombuffer(bytes(data), np.uint8).reshape(dims)


def shrink(images: np.ndarray, side: int) -> np.ndarray:
    """Area-average (N, H, W) images down to (N, side, side), as nnstudio does."""
    def matrix(n: int) -> np.ndarray:
        scale = side / n
        i, j = np.arange(side)[:, None], np.arange(n)[None, :]
        lo, hi = i / scale, (i + 1.0) / scale
        return np.clip(np.minimum(hi, j + 1.0) - np.maximum(lo, j), 0, None) * scale
    ry, rx = matrix(images.shape[1]), matrix(images.shape[2])
    return np.clip(ry @ images @ rx.T, 0, 1).astype(np.float32)


def image_side() -> int:
    """The side of the square pictures the model takes."""
    side = INPUT_SHAPE[-1] if len(INPUT_SHAPE) == 3 else int(round(np.prod(INPUT_SHAPE) ** 0.5))
    if side * side * (INPUT_SHAPE[0] if len(INPUT_SHAPE) == 3 else 1) != int(
            np.prod(INPUT_SHAPE)):
        fail(f"this model takes {INPUT_SHAPE} values, not a picture")
    return side


def load_idx(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    if not folder.is_dir():
        fail(f"{shown(folder)} is not a folder with IDX files")
    pat = re.compile(r"images[-_.]idx3[-_.]ubyte(\.gz)?$", re.I)
    images = sorted(p for p in folder.iterdir() if pat.search(p.name))
    images.sort(key=lambda p: "train" not in p.name.lower())
    for img in images:
        name = img.name.replace("images", "labels").replace("idx3", "idx1")
        for cand in (name, name[:-3] if name.endswith(".gz") else name + ".gz"):
            if (folder / cand).exists():
                x, y = read_idx(img), read_idx(folder / cand)
                if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or not len(x):
                    fail(f"{shown(img)} and {shown(cand)} do not hold N images and N labels "
                         f"(shapes {x.shape} and {y.shape})")
                x = x.astype(np.float32) / 255.0
                side = image_side()
                if x.shape[1:] != (side, side):
                    x = shrink(x, side)
                return x.reshape(len(x), *INPUT_SHAPE), y.astype(np.int64)
    fail(f"{shown(folder)} holds no pair of '...-images-idx3-ubyte' and "
         "'...-labels-idx1-ubyte' files")


def number(text: str) -> float | None:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def load_csv(path: Path, label: str | None, meta: dict
             ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Numbers standardised, text one-hot (the model's stored encoding when it has one)."""
    file_size(path, "a CSV file")
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as err:
        fail(f"{shown(path)} cannot be read ({shown(err.strerror or err)})")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect) if r]
    except csv.Error as err:
        fail(f"{shown(path)} is not a CSV table ({shown(err)})")
    if len(rows) < 2:
        fail(f"{shown(path)} holds no rows of data under its header")
    header, body = rows[0], rows[1:]
    if len(set(header)) != len(header):
        fail(f"{shown(path)}: two columns have the same name; name each column once")
    for i, row in enumerate(body):
        if len(row) != len(header):
            fail(f"{shown(path)}: row {i + 2} has {len(row)} values but the header names "
                 f"{len(header)} columns; fix that row")
    enc = dict(meta.get("columns") or {})
    label = label or enc.get("label") or header[-1]
    if label not in header:
        fail(f"{shown(path)} has no column '{shown(label)}'; its columns are "
             f"{shown(', '.join(header), 400)}")
    col = {h: [r[i] for r in body] for i, h in enumerate(header)}
    task = meta.get("task") or "classification"
    if task == "regression":
        values = [number(v) for v in col[label]]
        if None in values:
            fail(f"{shown(path)}: the column '{shown(label)}' holds a value that is not a "
                 "number")
        raw_y = np.array(values, dtype=np.float64)[:, None]
        ys = enc.get("y_scaler") or {"mean": [raw_y.mean()], "std": [raw_y.std() or 1.0]}
        y = ((raw_y - ys["mean"]) / np.asarray(ys["std"])).astype(np.float32)
        enc["y_scaler"] = {"mean": list(map(float, ys["mean"])),
                           "std": list(map(float, ys["std"])), "names": [label]}
    else:
        classes = meta.get("classes") or sorted(
            set(col[label]), key=lambda v: (number(v) is None, number(v) or 0.0, v))
        index = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(col[label]) - set(index))
        if unknown:
            fail(f"{shown(path)}: label '{shown(unknown[0])}' is not one of the model's "
                 "classes")
        y = np.array([index[v] for v in col[label]], dtype=np.int64)
        meta["classes"] = list(classes)
    feats = [h for h in header if h != label and h not in enc.get("dropped", [])]
    cats = enc.get("categories")
    if cats is None:
        cats = {h: sorted(set(col[h])) for h in feats
                if sum(number(v) is not None for v in col[h]) < 0.5 * len(body)}
    nums = [h for h in feats if h not in cats]
    if nums:
        raw = np.array([[number(v) if number(v) is not None else np.nan for v in col[h]]
                        for h in nums], dtype=np.float64).T
        if np.isnan(raw).any():
            fail(f"{shown(path)}: a numeric column holds a value that is not a number")
        xs = enc.get("x_scaler") or {"mean": raw.mean(0).tolist(),
                                     "std": np.where(raw.std(0) == 0, 1, raw.std(0)).tolist()}
        if len(xs["mean"]) != len(nums):
            fail(f"{shown(path)} has other number columns than the model was trained on; "
                 "give the columns it was trained on")
        enc["x_scaler"] = {**xs, "names": nums}
        std = (raw - np.asarray(xs["mean"])) / np.asarray(xs["std"])
    out = []
    for h in feats:
        if h in cats:
            out.append((np.asarray(col[h])[:, None] == np.asarray(cats[h])[None]).astype(float))
        else:
            out.append(std[:, [nums.index(h)]])
    enc.update(label=label, categories=cats, dropped=enc.get("dropped", []))
    if not out:
        fail(f"{shown(path)} has no input columns besides its label")
    x = np.concatenate(out, 1).astype(np.float32)
    if x.shape[1] != int(np.prod(INPUT_SHAPE)):
        fail(f"{shown(path)} gives {x.shape[1]} input values per row but the model takes "
             f"{int(np.prod(INPUT_SHAPE))}; give the columns it was trained on")
    return x.reshape(len(x), *INPUT_SHAPE), y, enc


def csv_spec(spec: str) -> tuple[Path, dict]:
    """csv:FILE.csv:label=COLUMN as the file and its options."""
    parts, opts = spec[4:].split(":"), {}
    while len(parts) > 1 and "=" in parts[-1]:
        k, _, v = parts.pop().partition("=")
        opts[k.strip()] = v.strip()
    return Path(":".join(parts)), opts


def load_data(spec: str, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    if spec.startswith("idx:"):
        return load_idx(Path(spec[4:]))
    if spec.startswith("csv:"):
        path, opts = csv_spec(spec)
        x, y, enc = load_csv(path, opts.get("label"), meta)
        meta["columns"] = enc
        return x, y
    fail(f"--data '{shown(spec)}': use idx:FOLDER or csv:FILE.csv:label=COLUMN")


# ------------------------------------------------------------------ training
class Scores(torch.nn.Module):
    """What the loss is computed on: the model's scores (before a softmax/sigmoid head
    that the loss includes), with the parameters of the model itself."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.scores(x)


def loss_of(net, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """nnstudio's loss (mean over samples, summed over outputs) and the number correct."""
    out = net(x)
    if LOSS == "cross_entropy":
        return F.cross_entropy(out, y), (out.argmax(1) == y).sum()
    if y.dtype == torch.int64 and out.shape[1] > 1:
        target = F.one_hot(y, out.shape[1]).float()
    else:
        target = y.float().reshape(out.shape)
    if LOSS == "binary_cross_entropy":
        loss = F.binary_cross_entropy_with_logits(out, target, reduction="sum") / len(out)
        return loss, ((out > 0).float() == target).all(1).sum()
    return F.mse_loss(out, target, reduction="sum") / len(out), torch.zeros((), device=out.device)


def optimizer_for(model: torch.nn.Module, name: str, lr: float, decay: float):
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    groups = [{"params": weights, "weight_decay": decay}, {"params": biases, "weight_decay": 0}]
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(groups, lr=lr, momentum=0.9 if name == "momentum" else 0.0)


def nnstudio_weights(model: torch.nn.Module, settings: dict) -> dict[str, np.ndarray]:
    """The parameters under nnstudio's names, in its layouts ({"node/W": array}):
    train.json's "weights" maps each PyTorch name to one and the axes to reorder."""
    state = model.state_dict()
    return {name: np.ascontiguousarray(np.transpose(state[key].detach().cpu().numpy(), axes),
                                       dtype=np.float32)
            for key, (name, axes) in settings["weights"].items()}


def save_nnstudio(model: torch.nn.Module, path: Path, settings: dict, meta: dict, data: str,
                  history: list) -> None:
    """Write the weights as an nnstudio model file (numpy.load(allow_pickle=False) reads it)."""
    arrays = {"format": np.array("nnstudio-model"), "version": np.array(1, dtype=np.int64),
              "design": np.array(json.dumps(settings["design"], indent=2))}
    for name, value in nnstudio_weights(model, settings).items():
        arrays[f"weights/{name}"] = value
    meta = {**meta, "data": data, "trained_with": f"PyTorch {torch.__version__} (train.py)",
            "pytorch_history": history, "format_version": 1,
            "saved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        fail(f"could not write {shown(path)} ({shown(err.strerror or err)})")


def check_out(text: str) -> Path:
    """The --out file, refused before training when it cannot be written there."""
    out = Path(text)
    if out.is_dir():
        fail(f"--out {shown(out)} is a folder; give a file name such as model.npz")
    if not out.parent.is_dir():
        fail(f"--out {shown(out)}: the folder {shown(out.parent)} does not exist; create it "
             "first")
    return out


def run_info(settings: dict, meta: dict, args: argparse.Namespace, world: int,
             device: torch.device) -> dict:
    """What the run record's run.json keeps: the data, the settings, what trained it."""
    idx = args.data.startswith("idx:")
    data_path = Path(args.data[4:]) if idx else csv_spec(args.data)[0]
    return {"design": str(settings.get("design_name", "")), "data": args.data,
            "dataset": data_path.name if idx else data_path.stem,
            "task": meta.get("task") or "classification",
            "classes": [str(c) for c in meta.get("classes") or []],
            "image_size": image_side() if idx else None,
            "config": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                       "optimizer": args.optimizer, "weight_decay": args.weight_decay,
                       "val_split": args.val_split, "seed": args.seed, "shuffle": True,
                       "augment_shift": 0},
            "trained_with": {"program": "train.py", "torch": torch.__version__,
                             "processes": world, "device": device.type,
                             "max_steps": args.max_steps, "fresh": args.fresh}}


def gather(pending: list, world: int) -> np.ndarray:
    """(k, 3) float64 for the k batches since the last call: summed loss, number correct
    and samples, over all processes. Every process calls it after the same batches."""
    device = pending[0][0].device
    stats = torch.cat([torch.stack([p[0] for p in pending]),
                       torch.tensor([[p[1]] for p in pending], dtype=torch.float64,
                                    device=device)], 1)
    if world > 1:
        dist.all_reduce(stats)
    return stats.cpu().numpy()


def train(net, model: torch.nn.Module, settings: dict, loader, sampler, opt, args,
          world: int, rank: int, val: tuple | None, record: RunRecord | None) -> list:
    """Train for args.epochs; returns the per-epoch history. Rank 0 records the run: every
    batch's loss and accuracy over all processes, the checkpoints."""
    history, samples, started = [], 0, time.perf_counter()
    device = next(model.parameters()).device
    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        n_batches = min(len(loader), args.max_steps or len(loader))
        early = early_batches(n_batches) if epoch == 1 else set()
        pending, totals = [], np.zeros(3)
        for i, (xb, yb) in enumerate(loader):
            if i >= n_batches:
                break
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss, correct = loss_of(net, xb, yb)
            loss.backward()
            opt.step()
            pending.append((torch.stack([loss.detach().double() * len(xb), correct.double()]),
                            len(xb), time.perf_counter() - started, opt.param_groups[0]["lr"]))
            if len(pending) < 32 and i + 1 not in early and i + 1 < n_batches:
                continue
            stats = gather(pending, world)      # every process, after the same batches
            totals += stats.sum(0)
            if record is not None:
                counts = samples + np.cumsum(stats[:, 2])
                rows = [[epoch, i + 2 - len(pending) + k, counts[k], t, s[0] / s[2],
                         s[1] / s[2] if LOSS != "mse" else math.nan, lr]
                        for k, (s, (_, _, t, lr)) in enumerate(zip(stats, pending, strict=True))]
                record.batches(np.array(rows))
                if i + 1 in early:
                    record.checkpoint(nnstudio_weights(model, settings), epoch, i + 1)
            samples += int(stats[:, 2].sum())
            pending = []
        entry = {"epoch": epoch, "train_loss": float(totals[0] / totals[2])}
        if LOSS != "mse":
            entry["train_accuracy"] = float(totals[1] / totals[2])
        if val is not None:
            model.eval()
            with torch.no_grad():
                vloss, vcorrect = loss_of(Scores(model), *val)
            entry["val_loss"] = float(vloss)
            if LOSS != "mse":
                entry["val_accuracy"] = float(vcorrect) / len(val[0])
        history.append(entry)
        if record is not None:
            record.epoch({**entry, "lr": opt.param_groups[0]["lr"]},
                         nnstudio_weights(model, settings))
        if rank == 0:
                print("  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in entry.items()), flush=True)
    return history


def main(argv: list[str] | None = None) -> int:
    settings = read_settings()
    config, meta = settings["config"], dict(settings["meta"])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="idx:FOLDER or csv:FILE.csv:label=COLUMN")
    p.add_argument("--epochs", type=int, default=config.get("epochs", 10))
    p.add_argument("--batch-size", type=int, default=config.get("batch_size", 64))
    p.add_argument("--lr", type=float, default=config.get("lr", 0.01))
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"),
                   default=config.get("optimizer", "sgd"))
    p.add_argument("--weight-decay", type=float, default=config.get("weight_decay", 0.0))
    p.add_argument("--val-split", type=float, default=config.get("val_split", 0.0))
    p.add_argument("--seed", type=int, default=config.get("seed", 0))
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N batches")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--fresh", action="store_true", help="start from new random weights")
    p.add_argument("--out", default="model.npz", help="nnstudio model file to write")
    p.add_argument("--runs", default="runs", metavar="FOLDER",
                   help="folder of run records ('nnstudio runs list FOLDER' shows them)")
    p.add_argument("--no-record", action="store_true", help="keep no record of this run")
    args = p.parse_args(argv)
    if settings.get("not_trainable"):
        fail(shown(settings["not_trainable"], 400))
    if args.epochs < 1 or args.batch_size < 1 or args.max_steps < 0:
        fail("--epochs and --batch-size must be 1 or more, --max-steps 0 or more")
    if not 0 <= args.val_split < 1:
        fail("--val-split must be from 0 up to (not including) 1")
    out = check_out(args.out)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            fail(f"--device {args.device}: no GPU is available here")
    cuda = device.type == "cuda"
    if cuda and device.index is None:
        device = torch.device("cuda", local)
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    torch.manual_seed(args.seed)
    x, y = load_data(args.data, meta)
    if LOSS != "mse" and y.dtype == np.int64 and len(y) and (
            y.min() < 0 or y.max() >= max(2, settings.get("output_size", 2))):
        fail(f"--data '{shown(args.data)}': a label is {int(y.max())}, but this model has "
             f"{settings.get('output_size')} outputs")
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_val = int(round(len(x) * args.val_split))
    val, train_idx = order[:n_val], order[n_val:]
    if not len(train_idx):
        fail(f"--data '{shown(args.data)}': no samples are left to train on")
    model = Model()
    if set(model.state_dict()) != set(settings["weights"]):
        fail(f"{shown(SETTINGS_FILE)} does not belong to this model.py; export the model "
             "from nnstudio again")
    if not args.fresh and (HERE / "model.safetensors").exists():
        model.load_state_dict(load_weights(HERE / "model.safetensors"))
    model.to(device)
    net = Scores(model)
    if world > 1:
        net = DistributedDataParallel(net, device_ids=[device.index] if cuda else None)
    train_set = TensorDataset(torch.from_numpy(x[train_idx]), torch.from_numpy(y[train_idx]))
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True,
                                 seed=args.seed) if world > 1 else None
    per_process = max(1, args.batch_size // world)
    loader = DataLoader(train_set, batch_size=per_process, shuffle=sampler is None,
                        sampler=sampler, drop_last=False)
    opt = optimizer_for(model, args.optimizer, args.lr, args.weight_decay)
    record = None
    if rank == 0:
        name = shown(settings.get("design_name"))
        print(f"training '{name}' on {len(train_idx):,} samples ({n_val:,} held out), "
              f"{world} process(es) on {device.type}, batch {per_process} x {world}", flush=True)
        if not args.no_record:
            record = RunRecord(args.runs, run_info(settings, meta, args, world, device),
                               settings["design"])
            record.begin(nnstudio_weights(model, settings))
    held_out = (torch.from_numpy(x[val]).to(device), torch.from_numpy(y[val]).to(device)) \
        if n_val and rank == 0 else None
    try:
        history = train(net, model, settings, loader, sampler, opt, args, world, rank,
                        held_out, record)
    except KeyboardInterrupt:
        if record is not None:
            record.finish("stopped", "stopped with Ctrl-C")
        raise
    except BaseException as exc:
        if record is not None:
            record.finish("failed", shown(f"{type(exc).__name__}: {exc}", 400))
        raise
    if record is not None:
        record.finish("finished")
        if record.path is not None:
            print(f"run {record.run_id} kept in {shown(record.path, 1000)}", flush=True)
    if rank == 0:
        save_nnstudio(model, out, settings, meta, args.data, history)
        print(f"saved {shown(out, 1000)}", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''
