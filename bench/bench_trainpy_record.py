"""The cost of the run record that the exported ``train.py`` writes (``runrecord.py``).

The template is exported to PyTorch and its ``train.py`` run in this process (one process,
the CPU, one thread) on an IDX folder; every method of ``runrecord.RunRecord`` is timed, so
the share of the run spent recording is measured within one run, whatever the machine's
load. The weights' conversion to nnstudio's layout for each checkpoint is counted as
training (it is a copy of the parameters). Prints one ``bench_trainpy_record`` line: the
recording time, the whole run's time, their ratio, the time per method and the record's
size on disk. Target (as for the studio's own records): < 3%.

Run::

    .venv/bin/python bench/bench_trainpy_record.py                       # mlp, 10 epochs
    .venv/bin/python bench/bench_trainpy_record.py --template cnn16 --epochs 3
    .venv/bin/python bench/bench_trainpy_record.py --data idx:FOLDER --batch-size 64
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import runpy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--template", default="mlp")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--data", default=f"idx:{MNIST}", help="idx:FOLDER (default: the 5,000 "
                   "MNIST digits in shared/data/mnist)")
    args = p.parse_args()

    import torch

    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template
    from nnstudio.export.parity import export_model

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="bench-trainpy-"))
    os.chdir(work)
    export_model(Network(get_template(args.template), seed=0), "pytorch", work / "pt",
                 {"classes": [str(i) for i in range(10)]}, check=False)
    train_main = runpy.run_path(str(work / "pt" / "train.py"), run_name="bench")["main"]
    record = sys.modules["runrecord"].RunRecord
    spent: dict[str, float] = {}

    def timer(name: str):
        method = getattr(record, name)

        def timed(*a, **k):
            start = time.perf_counter()
            try:
                return method(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return timed

    for name in ("__init__", "begin", "batches", "checkpoint", "epoch", "finish"):
        setattr(record, name, timer(name))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        train_main(["--data", args.data, "--epochs", str(args.epochs), "--batch-size",
                    str(args.batch_size), "--device", "cpu", "--fresh", "--out", "m.npz"])
    total = time.perf_counter() - start
    (run,) = (work / "runs").iterdir()
    size = sum(f.stat().st_size for f in run.rglob("*") if f.is_file())
    recording = sum(spent.values())
    methods = ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in spent.items())
    print(f"bench_trainpy_record {args.template} {args.epochs} epochs batch {args.batch_size}: "
          f"recording {1000 * recording:.0f} ms of {total:.2f} s = "
          f"{100 * recording / total:.2f}% ({methods}); record {size / 1e6:.2f} MB; "
          f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
