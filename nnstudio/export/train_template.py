"""The text of the generated ``train.py``: one fixed program, the same for every model.

Nothing in it comes from a design or a model file; the program reads the design, its names
and its settings from ``train.json`` beside it at run time (see
:mod:`nnstudio.export.train_script`, which writes that file). It imports two fixed modules
written beside it: ``traindata.py`` reads the IDX or CSV data
(:mod:`nnstudio.export.traindata_template`) and ``runrecord.py`` records the run from the
first process (:mod:`nnstudio.export.runrecord_template`). It is checked like any generated
script: compiled at export time, and compiled and linted (pyflakes rules) by the tests.
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
import datetime
import json
import math
import os
import sys
import time
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
from traindata import csv_spec, fail, file_size, image_side, load_data, shown  # noqa: E402

SETTINGS_FILE = HERE / "train.json"
SETTINGS_FORMAT = "nnstudio-train-settings"


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
            "image_size": image_side(INPUT_SHAPE) if idx else None,
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
    x, y = load_data(args.data, meta, INPUT_SHAPE)
    if LOSS != "mse" and y.dtype == np.int64 and len(y) and (
            y.min() < 0 or y.max() >= max(2, settings.get("output_size", 2))):
        fail(f"--data '{shown(args.data)}': a label is {int(y.max())}, but this model has "
             f"{settings.get('output_size')} outputs")
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_val = int(round(len(x) * args.val_split))
    val, train_idx = order[:n_val], order[n_val:]
    if not len(train_idx):
        fail(f"--data '{shown(args.data)}': no samples are left to train on")
    model, maps = Model(), settings["weights"]
    state = model.state_dict()
    if set(state) != set(maps) or not all(
            isinstance(m, list) and len(m) == 2 and isinstance(m[0], str)
            and isinstance(m[1], list) and sorted(m[1]) == list(range(state[k].ndim))
            for k, m in maps.items()):
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
