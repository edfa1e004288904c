"""The generated ``train.py``: the same design, data and hyperparameters, in PyTorch.

The script needs only torch and NumPy. It reads an IDX folder or a CSV file like nnstudio
does, trains with nnstudio's optimizer and hyperparameters (L2 weight decay on weights, not
biases; nnstudio's losses), on the CPU or a GPU, and under ``torchrun`` with
DistributedDataParallel and a DistributedSampler (gloo on CPUs, NCCL on GPUs). At the end it
writes an nnstudio model file (``.npz``) that the studio and ``nnstudio evaluate`` open.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from nnstudio.core.design import design_to_json
from nnstudio.core.training import TrainConfig

from .common import doc_name, graph_steps, python_names

__all__ = ["train_script"]


def _literal(text: str) -> str:
    """``text`` as a Python string literal: raw triple quotes when that is safe, else repr."""
    if '"""' in text or text.endswith('"') or text.startswith('"') or "\\" in text:
        return repr(text)
    return f'r"""{text}"""'


def train_script(network, meta: dict) -> str:
    """The text of ``train.py`` for ``network`` and its model file's ``meta``."""
    config = {**asdict(TrainConfig()), **(meta.get("config") or {})}
    steps = graph_steps(network)
    names, _ = python_names([s.id for s in steps])
    layers = {names[s.id]: [s.id, s.kind] for s in steps if s.kind in ("Dense", "Conv2D")}
    keep = {k: meta[k] for k in ("classes", "task", "image_size", "columns", "dataset", "data")
            if k in meta}
    trainable = network.trainable()
    replace = {
        "@DESIGN@": _literal(design_to_json(network.design)),
        "@META@": _literal(json.dumps(keep)),
        "@CONFIG@": _literal(json.dumps({k: config[k] for k in (
            "epochs", "batch_size", "lr", "optimizer", "weight_decay", "val_split", "seed")})),
        "@LAYERS@": _literal(json.dumps(layers)),
        "@NOT_TRAINABLE@": _literal(json.dumps(None if trainable
                                               else network.reason_not_trainable)),
        "@NAME@": doc_name(network),
    }
    text = TEMPLATE
    for key, value in replace.items():
        text = text.replace(key, value)
    return text


TEMPLATE = r'''"""Train the nnstudio design '@NAME@' with PyTorch: same design, data and settings.

    python train.py --data idx:FOLDER [--epochs N] [--device cpu|cuda] [--out model.npz]
    python train.py --data csv:FILE.csv:label=COLUMN ...
    torchrun --nproc-per-node=N train.py --data idx:FOLDER ...    (one process per GPU/CPU)

Starts from the exported weights in model.safetensors (--fresh: from new random weights).
Under torchrun each process trains on its share of every batch (DistributedSampler) and
DistributedDataParallel averages the gradients, so --batch-size stays the global batch.
At the end it writes an nnstudio model file: open it in the studio or run
'nnstudio evaluate model.npz --data ...'.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import io
import json
import os
import re
import sys
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

DESIGN_JSON = @DESIGN@
META = json.loads(@META@)
CONFIG = json.loads(@CONFIG@)
#: attribute -> [layer id, kind] for the layers with weights
LAYERS = json.loads(@LAYERS@)
NOT_TRAINABLE = json.loads(@NOT_TRAINABLE@)
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}


def fail(message: str) -> None:
    print(f"train.py: {message}", file=sys.stderr)
    raise SystemExit(2)


# ------------------------------------------------------------------ data
def read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        fail(f"{path} is not an IDX file of bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def shrink(images: np.ndarray, side: int) -> np.ndarray:
    """Area-average (N, H, W) images down to (N, side, side), as nnstudio does."""
    def matrix(n: int) -> np.ndarray:
        scale = side / n
        i, j = np.arange(side)[:, None], np.arange(n)[None, :]
        lo, hi = i / scale, (i + 1.0) / scale
        return np.clip(np.minimum(hi, j + 1.0) - np.maximum(lo, j), 0, None) * scale
    ry, rx = matrix(images.shape[1]), matrix(images.shape[2])
    return np.clip(ry @ images @ rx.T, 0, 1).astype(np.float32)


def load_idx(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    if not folder.is_dir():
        fail(f"{folder} is not a folder with IDX files")
    pat = re.compile(r"images[-_.]idx3[-_.]ubyte(\.gz)?$", re.I)
    images = sorted(p for p in folder.iterdir() if pat.search(p.name))
    images.sort(key=lambda p: "train" not in p.name.lower())
    for img in images:
        name = img.name.replace("images", "labels").replace("idx3", "idx1")
        for cand in (name, name[:-3] if name.endswith(".gz") else name + ".gz"):
            if (folder / cand).is_file():
                x = read_idx(img).astype(np.float32) / 255.0
                y = read_idx(folder / cand).astype(np.int64)
                side = INPUT_SHAPE[-1] if len(INPUT_SHAPE) == 3 else int(
                    round(np.prod(INPUT_SHAPE) ** 0.5))
                if x.shape[1:] != (side, side):
                    x = shrink(x, side)
                return x.reshape(len(x), *INPUT_SHAPE), y
    fail(f"{folder} holds no pair of '...-images-idx3-ubyte' and '...-labels-idx1-ubyte' files")


def number(text: str) -> float | None:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def load_csv(path: Path, label: str | None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Numbers standardised, text one-hot (the model's stored encoding when it has one)."""
    if not path.is_file():
        fail(f"{path} is not a CSV file")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect) if r]
    header, body = rows[0], rows[1:]
    enc = dict(META.get("columns") or {})
    label = label or enc.get("label") or header[-1]
    if label not in header:
        fail(f"{path} has no column {label!r}; its columns are {', '.join(header)}")
    col = {h: [r[i] for r in body] for i, h in enumerate(header)}
    task = META.get("task") or "classification"
    if task == "regression":
        raw_y = np.array([number(v) for v in col[label]], dtype=np.float64)[:, None]
        ys = enc.get("y_scaler") or {"mean": [raw_y.mean()], "std": [raw_y.std() or 1.0]}
        y = ((raw_y - ys["mean"]) / np.asarray(ys["std"])).astype(np.float32)
        enc["y_scaler"] = {"mean": list(map(float, ys["mean"])),
                           "std": list(map(float, ys["std"])), "names": [label]}
    else:
        classes = META.get("classes") or sorted(
            set(col[label]), key=lambda v: (number(v) is None, number(v) or 0.0, v))
        index = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(col[label]) - set(index))
        if unknown:
            fail(f"{path}: label {unknown[0]!r} is not one of the model's classes")
        y = np.array([index[v] for v in col[label]], dtype=np.int64)
        META["classes"] = list(classes)
    feats = [h for h in header if h != label and h not in enc.get("dropped", [])]
    cats = enc.get("categories")
    if cats is None:
        cats = {h: sorted(set(col[h])) for h in feats
                if sum(number(v) is not None for v in col[h]) < 0.5 * len(body)}
    parts, nums = [], [h for h in feats if h not in cats]
    if nums:
        raw = np.array([[number(v) if number(v) is not None else np.nan for v in col[h]]
                        for h in nums], dtype=np.float64).T
        if np.isnan(raw).any():
            fail(f"{path}: a numeric column holds a value that is not a number")
        xs = enc.get("x_scaler") or {"mean": raw.mean(0).tolist(),
                                     "std": np.where(raw.std(0) == 0, 1, raw.std(0)).tolist()}
        enc["x_scaler"] = {**xs, "names": nums}
        std = (raw - np.asarray(xs["mean"])) / np.asarray(xs["std"])
    out = []
    for h in feats:
        if h in cats:
            out.append((np.asarray(col[h])[:, None] == np.asarray(cats[h])[None]).astype(float))
        else:
            out.append(std[:, [nums.index(h)]])
    enc.update(label=label, categories=cats, dropped=enc.get("dropped", []))
    return np.concatenate(out, 1).astype(np.float32), y, enc


def load_data(spec: str) -> tuple[np.ndarray, np.ndarray]:
    if spec.startswith("idx:"):
        return load_idx(Path(spec[4:]))
    if spec.startswith("csv:"):
        parts = spec[4:].split(":")
        opts = {}
        while len(parts) > 1 and "=" in parts[-1]:
            k, _, v = parts.pop().partition("=")
            opts[k.strip()] = v.strip()
        x, y, enc = load_csv(Path(":".join(parts)), opts.get("label"))
        META["columns"] = enc
        return x, y
    fail(f"--data {spec!r}: use idx:FOLDER or csv:FILE.csv:label=COLUMN")


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


def save_nnstudio(model: torch.nn.Module, path: Path, data: str, history: list) -> None:
    """Write the weights as an nnstudio model file (numpy.load(allow_pickle=False) reads it)."""
    arrays = {"format": np.array("nnstudio-model"), "version": np.array(1, dtype=np.int64),
              "design": np.array(DESIGN_JSON)}
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    for attr, (node, kind) in LAYERS.items():
        w = state[f"{attr}.weight"]
        arrays[f"weights/{node}/W"] = np.ascontiguousarray(w.T if kind == "Dense" else w,
                                                           dtype=np.float32)
        arrays[f"weights/{node}/b"] = state[f"{attr}.bias"].astype(np.float32)
    meta = {**META, "data": data, "trained_with": f"PyTorch {torch.__version__} (train.py)",
            "pytorch_history": history, "format_version": 1,
            "saved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="idx:FOLDER or csv:FILE.csv:label=COLUMN")
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--batch-size", type=int, default=CONFIG["batch_size"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default=CONFIG["optimizer"])
    p.add_argument("--weight-decay", type=float, default=CONFIG["weight_decay"])
    p.add_argument("--val-split", type=float, default=CONFIG["val_split"])
    p.add_argument("--seed", type=int, default=CONFIG["seed"])
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N batches")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--fresh", action="store_true", help="start from new random weights")
    p.add_argument("--out", default="model.npz", help="nnstudio model file to write")
    args = p.parse_args(argv)
    if NOT_TRAINABLE:
        fail(NOT_TRAINABLE)
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
    x, y = load_data(args.data)
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_val = int(round(len(x) * args.val_split))
    val, train = order[:n_val], order[n_val:]
    model = Model()
    if not args.fresh and (HERE / "model.safetensors").exists():
        model.load_state_dict(load_weights(HERE / "model.safetensors"))
    model.to(device)
    net = Scores(model)
    if world > 1:
        net = DistributedDataParallel(net, device_ids=[device.index] if cuda else None)
    train_set = TensorDataset(torch.from_numpy(x[train]), torch.from_numpy(y[train]))
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True,
                                 seed=args.seed) if world > 1 else None
    per_process = max(1, args.batch_size // world)
    loader = DataLoader(train_set, batch_size=per_process, shuffle=sampler is None,
                        sampler=sampler, drop_last=False)
    opt = optimizer_for(model, args.optimizer, args.lr, args.weight_decay)
    if rank == 0:
        print(f"training '@NAME@' on {len(train):,} samples ({n_val:,} held out), "
              f"{world} process(es) on {device.type}, batch {per_process} x {world}", flush=True)
    history = []
    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        totals = torch.zeros(3, dtype=torch.float64, device=device)
        for i, (xb, yb) in enumerate(loader):
            if args.max_steps and i >= args.max_steps:
                break
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss, correct = loss_of(net, xb, yb)
            loss.backward()
            opt.step()
            totals += torch.stack([loss.detach().double() * len(xb), correct.double(),
                                   torch.tensor(float(len(xb)), device=device).double()])
        if world > 1:
            dist.all_reduce(totals)
        record = {"epoch": epoch, "train_loss": float(totals[0] / totals[2])}
        if LOSS != "mse":
            record["train_accuracy"] = float(totals[1] / totals[2])
        if n_val and rank == 0:
            model.eval()
            with torch.no_grad():
                vx, vy = torch.from_numpy(x[val]).to(device), torch.from_numpy(y[val]).to(device)
                vloss, vcorrect = loss_of(Scores(model), vx, vy)
            record["val_loss"] = float(vloss)
            if LOSS != "mse":
                record["val_accuracy"] = float(vcorrect) / n_val
        history.append(record)
        if rank == 0:
            print("  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in record.items()), flush=True)
    if rank == 0:
        out = Path(args.out)
        save_nnstudio(model, out, args.data, history)
        print(f"saved {out}", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''
