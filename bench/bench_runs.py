"""Run records: the size of a long run's record, the cost of recording, listing 500 runs.

Three measurements, each printed as one ``bench_runs`` line:

1. **size**: the record of a 30-epoch ``cnn`` run on 60,000 digits (54,000 trained, 10%
   held out, batch 64: 844 batches an epoch). Training that for real takes hours on a
   laptop, so the real :class:`RunWriter` is fed the 25,320 batches and 30 epochs such a
   run reports, with the ``cnn`` template's real weights (changed at every checkpoint); the
   bytes on disk are what the record would hold. Target < 30 MB.
2. **overhead**: ``nnstudio train`` of the ``mlp`` with and without recording, interleaved
   (A B A B ...), each run's training seconds read from its last epoch line and its whole
   wall time; and, in one process, the time spent inside the recording callbacks as a share
   of training time (immune to the machine's load). Target < 3%.
3. **list**: 500 small records made with the real writer, then :func:`list_runs` timed
   (median of 5; the page cache is warm after the first). Target < 0.5 s.

Run::

    .venv/bin/python bench/bench_runs.py                 # all three
    .venv/bin/python bench/bench_runs.py --only size     # or overhead, share, list
    .venv/bin/python bench/bench_runs.py --repeat 3 --data synthetic:10000 --epochs 2
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnstudio.core.network import Network  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.core.training import BatchInfo, EpochInfo, TrainConfig  # noqa: E402
from nnstudio.limits import format_bytes  # noqa: E402
from nnstudio.runs.reader import list_runs  # noqa: E402
from nnstudio.runs.start import RunStart  # noqa: E402
from nnstudio.runs.writer import CHECKPOINT_BUDGET, RunWriter  # noqa: E402


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _feed(writer: RunWriter, network: Network, epochs: int, n_batches: int,
          batch_size: int, rng: np.random.Generator) -> None:
    """Report ``epochs`` × ``n_batches`` batches to ``writer`` as a Trainer would."""
    params = network.parameters()
    writer.begin({p.name: p.value for p in params})
    seen, t = 0, 0.0
    for epoch in range(1, epochs + 1):
        for batch in range(1, n_batches + 1):
            seen += batch_size
            t += 0.01
            loss = float(2.3 * np.exp(-seen / 2e5) + 0.02 * rng.random())
            writer.batch(BatchInfo(epoch, batch, n_batches, loss, 1 - loss / 2.3, 1e-3,
                                   batch_size, seen, t, epochs))
            if writer.early_due():
                writer.early({p.name: p.value for p in params})
        for p in params:
            p.value += rng.normal(0, 1e-3, p.value.shape).astype(np.float32)
        acc = 0.9 + 0.09 * (1 - np.exp(-epoch / 5)) + 0.002 * rng.random()
        writer.epoch(EpochInfo(epoch, 0.3 / epoch, acc, 0.3 / epoch, acc, 1e-3, t, epochs),
                     {p.name: p.value for p in params})
    writer.finish("finished")


def bench_size(tmp: Path) -> None:
    design = get_template("cnn")
    network = Network(design, seed=0)
    n_train, batch_size, epochs = 54_000, 64, 30
    n_batches = -(-n_train // batch_size)
    config = TrainConfig(epochs=epochs, batch_size=batch_size)
    start = RunStart(design=design, data="synthetic:60000", config=asdict(config),
                     dataset="synthetic digits", classes=[str(i) for i in range(10)],
                     image_size=28)
    writer = RunWriter(tmp / "size", start)
    t0 = time.perf_counter()
    _feed(writer, network, epochs, n_batches, batch_size, np.random.default_rng(0))
    took = time.perf_counter() - t0
    assert writer.path is not None
    ckpt = _folder_bytes(writer.path / "checkpoints")
    total = _folder_bytes(writer.path)
    one = (writer.path / "checkpoints" / "ckpt-00000.npz").stat().st_size
    kept = len(list((writer.path / "checkpoints").glob("*.npz")))
    written = 1 + 3 + epochs
    curves = total - ckpt
    print(f"bench_runs size: cnn ({network.n_params:,} parameters, {format_bytes(one)} a "
          f"checkpoint), 30 epochs × {n_batches} batches: {written} checkpoints taken "
          f"(initial, 3 in epoch 1, 30 epoch ends), {kept} kept under the "
          f"{format_bytes(CHECKPOINT_BUDGET)} budget = {format_bytes(ckpt)}; curves and "
          f"event files {format_bytes(curves)}; record {format_bytes(total)} "
          f"({total / 2**20:.1f} MiB, target < 30 MB) [fed in {took:.1f} s]")


def _train_cmd(out: Path, data: str, epochs: int, record: bool, runs: Path) -> list[str]:
    cmd = [sys.executable, "-m", "nnstudio", "train", "--design", "mlp", "--data", data,
           "--epochs", str(epochs), "--out", str(out)]
    return cmd + (["--runs", str(runs)] if record else ["--no-record"])


def bench_overhead(tmp: Path, data: str, epochs: int, repeat: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NNSTUDIO_DATA_DIR": str(tmp / "user")}
    # one warm-up run makes the data cache, so no timed run generates data
    subprocess.run(_train_cmd(tmp / "w.npz", data, 1, False, tmp / "r"), env=env,
                   capture_output=True, check=True)
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for i in range(repeat):
        for record in (False, True) if i % 2 == 0 else (True, False):
            t0 = time.perf_counter()
            out = subprocess.run(_train_cmd(tmp / "m.npz", data, epochs, record, tmp / "r"),
                                 env=env, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            last = [line for line in out.stderr.splitlines() if line.startswith("epoch ")][-1]
            train_s = float(re.search(r"([\d.]+)s$", last).group(1))
            times[record].append((train_s, wall))
    plain = statistics.median(t for t, _ in times[False])
    rec = statistics.median(t for t, _ in times[True])
    plain_w = statistics.median(w for _, w in times[False])
    rec_w = statistics.median(w for _, w in times[True])
    print(f"bench_runs overhead (nnstudio train mlp, {data}, {epochs} epochs, {repeat} "
          f"interleaved pairs, load {os.getloadavg()[0]:.1f}): training seconds median "
          f"{plain:.2f} without, {rec:.2f} with recording ({100 * (rec / plain - 1):+.1f}%); "
          f"whole command {plain_w:.2f} s vs {rec_w:.2f} s ({100 * (rec_w / plain_w - 1):+.1f}%)"
          f"; runs: without {[round(t, 2) for t, _ in times[False]]}, with "
          f"{[round(t, 2) for t, _ in times[True]]}")
    _callback_share(tmp, data, epochs)


def _callback_share(tmp: Path, data: str, epochs: int) -> None:
    """Time inside the recording callbacks / training time, in one process."""
    from nnstudio.core.training import Trainer
    from nnstudio.data.sources import load_source
    from nnstudio.runs.recorder import Recorder

    os.environ["NNSTUDIO_DATA_DIR"] = str(tmp / "user")
    ds = load_source(data, size=28)
    design = get_template("mlp")
    net = Network(design, seed=0)
    config = TrainConfig(epochs=epochs)
    trainer = Trainer(net, ds.x.reshape(len(ds.x), -1), ds.y, config)
    start = RunStart(design=design, data=data, config=asdict(config), dataset=ds.name)
    writer = RunWriter(tmp / "share", start)
    spent = {"start": 0.0, "batch": 0.0, "epoch": 0.0, "finish": 0.0}
    t0 = time.perf_counter()
    rec = Recorder(writer, net)             # checkpoint 0
    spent["start"] = time.perf_counter() - t0

    def timed(cb, key):
        def call(info):
            s = time.perf_counter()
            cb(info)
            spent[key] += time.perf_counter() - s
        return call

    t0 = time.perf_counter()
    trainer.run(on_batch=timed(rec.on_batch(), "batch"),
                on_epoch=timed(rec.on_epoch(), "epoch"))
    s = time.perf_counter()
    writer.finish("finished")
    spent["finish"] = time.perf_counter() - s
    total = time.perf_counter() - t0 + spent["start"]
    n = len(trainer.history)
    all_s = sum(spent.values())
    print(f"bench_runs overhead (in one process, mlp, {data}, {epochs} epochs, load "
          f"{os.getloadavg()[0]:.1f}): {1e3 * all_s:.0f} ms of {total:.1f} s training spent "
          f"recording ({100 * all_s / total:.2f}%, target < 3%): batches "
          f"{1e6 * spent['batch'] / n:.0f} µs each over {n} (early checkpoints included), "
          f"epoch ends {1e3 * spent['epoch'] / epochs:.0f} ms each, start "
          f"{1e3 * spent['start']:.0f} ms, finish {1e3 * spent['finish']:.0f} ms")


def bench_list(tmp: Path, count: int = 500) -> None:
    from nnstudio.core.design import Design

    design = Design("tiny")
    design.add_node("Input", {"shape": [2]}, node_id="in")
    design.add_node("Dense", {"units": 8, "activation": "tanh"}, node_id="fc1")
    design.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
    design.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
        design.connect(a, b)
    folder = tmp / "many"
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(count):
        config = TrainConfig(epochs=3, lr=10 ** rng.uniform(-4, -1))
        start = RunStart(design=design, data="toy:spiral", config=asdict(config),
                         dataset="spiral")
        _feed(RunWriter(folder, start), Network(design, seed=i), 3, 8, 64, rng)
    made = time.perf_counter() - t0
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        runs = list_runs(folder)
        times.append(time.perf_counter() - t0)
    assert len(runs) == count and all(r.state == "finished" for r in runs)
    print(f"bench_runs list: {count} runs ({format_bytes(_folder_bytes(folder))}, made in "
          f"{made:.0f} s) listed in {1e3 * statistics.median(times):.0f} ms median of 5 "
          f"(first {1e3 * times[0]:.0f} ms, target < 500 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("size", "overhead", "share", "list"),
                    help="one measurement ('share': only the in-process part of overhead)")
    ap.add_argument("--data", default="synthetic:10000")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved pairs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as tmp:
        tmp_path = Path(tmp)
        if args.only in (None, "size"):
            bench_size(tmp_path)
        if args.only in (None, "list"):
            bench_list(tmp_path)
        if args.only in (None, "overhead"):
            bench_overhead(tmp_path, args.data, args.epochs, args.repeat)
        if args.only == "share":
            _callback_share(tmp_path, args.data, args.epochs)


if __name__ == "__main__":
    main()
