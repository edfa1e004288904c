"""Validation speed: ``Network.evaluate`` over a validation set, this tree against another.

Validation runs after every epoch, in the command line and in the window's training process,
and its time counts in the samples per second both report. This benchmark times
``evaluate`` of 6,000 samples (the validation share of 60,000 digits) for each model, in
fresh processes that alternate between this source tree and ``--before TREE`` (e.g. a
checkout of an older version), in two set-ups:

* ``command line``: the engine's default threads, each operation split across them (as
  ``nnstudio train`` evaluates);
* ``training process``: the threads take slices of the set, each operation on one thread
  (as the window's training process evaluates).

It prints the median samples per second of each and their ratio. Before each round it waits
until other programs keep fewer than ``--quiet`` cores busy, and prints the load average.

    .venv/bin/python bench/bench_validation.py --before ../old-checkout [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPS = ("command line", "training process")


def child(args: argparse.Namespace) -> None:
    """Time ``evaluate`` in this process for the tree on ``sys.path``; print JSON."""
    import numpy as np

    from nnstudio.core import parallel
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template

    if args.setup == "training process":
        parallel.set_threads(parallel.threads(), split_operations=False)
    net = Network(get_template(args.model), seed=0)
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, *net.input_shape), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    net.evaluate(x[:256], y[:256])                       # first use: buffers, threads
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        net.evaluate(x, y)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"samples_per_second": args.samples / best}))


def run_child(tree: Path, model: str, setup: str, samples: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, __file__, "--child", "--model", model, "--setup",
                          setup, "--samples", str(samples)], capture_output=True, text=True,
                         env=env, cwd=tree, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])["samples_per_second"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", metavar="TREE", help="the other source tree")
    ap.add_argument("--models", default="cnn,cnn16,lenet,mlp")
    ap.add_argument("--samples", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds")
    ap.add_argument("--quiet", type=float, default=0.5, metavar="CORES")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", default="cnn", help=argparse.SUPPRESS)
    ap.add_argument("--setup", default=SETUPS[0], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_engine import load_average, wait_for_quiet

    trees = {"this": ROOT}
    if args.before:
        trees["before"] = Path(args.before).resolve()
    print(f"validation speed: evaluate of {args.samples:,} samples, {args.repeat} rounds, "
          f"{os.cpu_count()} CPUs; load average at start: {load_average()}", flush=True)
    rows = []
    for model in args.models.split(","):
        for setup in SETUPS:
            rates: dict[str, list[float]] = {k: [] for k in trees}
            for _ in range(args.repeat):
                wait_for_quiet(args.quiet, 30.0)
                for name, tree in trees.items():
                    rates[name].append(run_child(tree, model, setup, args.samples))
            med = {k: statistics.median(v) for k, v in rates.items()}
            rows.append((model, setup, med))
            print(f"  {model:6s} {setup:17s} " + "  ".join(
                f"{k} {statistics.median(v):9,.0f}/s ({', '.join(f'{r:,.0f}' for r in v)})"
                for k, v in rates.items()), flush=True)
    print("\nmodel   set-up             samples/s   before    this/before")
    for model, setup, med in rows:
        before = med.get("before")
        print(f"{model:7s} {setup:17s} {med['this']:10,.0f}"
              + (f"  {before:9,.0f}  {med['this'] / before:8.2f}x" if before else ""))
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
