"""Training speed of the nnstudio engine against PyTorch (CPU), same data, same threads.

Trains the ``mlp`` template (Adam, batch 128, one epoch of 60,000 samples) and the ``cnn``
template (Adam, batch 128, one epoch of 10,000 samples) in nnstudio and, when ``torch`` is
installed, the same architectures in PyTorch, with 2 threads each. The engines alternate
(nnstudio, PyTorch, nnstudio, PyTorch, ...), so a busy machine hurts both alike; each keeps
its best epoch, and the ratio nnstudio / PyTorch is printed for the bests and for every
pair. The machine is shared: before each pair the script waits up to ``--wait`` seconds
until other programs keep fewer than ``--quiet`` cores busy, measures how many cores they
kept busy during each run (busy CPU time of the machine minus this process's own), and
prints the load average at the start and the end. The pair measured on the quietest machine
(the lower of its two runs' background) is reported as well.

Usage::

    .venv/bin/python bench/bench_engine.py [--repeat 5] [--threads 2] [--only mlp|cnn]
                                           [--quiet 0.3] [--wait 60] [--no-torch]
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="epochs per engine (best kept)")
    ap.add_argument("--threads", type=int, default=2, help="threads for each engine")
    ap.add_argument("--only", choices=["mlp", "cnn"], help="run one model only")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    ap.add_argument("--quiet", type=float, default=0.3, metavar="CORES",
                    help="wait before a pair until other programs keep fewer cores busy")
    ap.add_argument("--wait", type=float, default=60.0, metavar="S",
                    help="longest wait for a quiet machine before each pair")
    ap.add_argument("--openblas-timeout", type=int, metavar="N",
                    help="set OPENBLAS_THREAD_TIMEOUT=N (4..30): idle OpenBLAS threads spin "
                         "about 2**N cycles before sleeping")
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
_THREADS = str(ARGS.threads if ARGS else 2)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS          # must happen before NumPy (and torch) load BLAS
if ARGS and ARGS.openblas_timeout:
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(ARGS.openblas_timeout)

import time  # noqa: E402

import numpy as np  # noqa: E402

from nnstudio.core.network import Network  # noqa: E402
from nnstudio.core.optimizers import make_optimizer  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402

TARGETS = {"mlp": 0.8, "cnn": 1.5}
SAMPLES = {"mlp": 60_000, "cnn": 10_000}


def make_data(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic MNIST-shaped data: x float32 in [0, 1], y int64 in 0..9."""
    rng = np.random.default_rng(seed)
    n = SAMPLES[name]
    shape = (784,) if name == "mlp" else (1, 28, 28)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def batches(n: int, batch_size: int, seed: int):
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


# ------------------------------------------------------------------ the machine
def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)        # idle + iowait
    return sum(fields[:8]), idle


def background_cores(seconds: float = 0.5) -> float | None:
    """Cores kept busy by other programs while this one sleeps (Linux; else None)."""
    a = _cpu_times()
    time.sleep(seconds)
    b = _cpu_times()
    if a is None or b is None or b[0] == a[0]:
        return None
    busy = 1.0 - (b[1] - a[1]) / (b[0] - a[0])
    return busy * (os.cpu_count() or 1)


class Background:
    """Cores other programs kept busy during a run: all busy CPU time (``/proc/stat``)
    minus this process's own (``os.times``), per second of wall time (Linux; else None)."""

    def __enter__(self) -> Background:
        self.cores: float | None = None
        self._machine, self._me, self._t = _cpu_times(), os.times(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        machine, me, wall = _cpu_times(), os.times(), time.perf_counter() - self._t
        if machine is None or self._machine is None or wall <= 0:
            return
        hz = os.sysconf("SC_CLK_TCK")
        busy = ((machine[0] - machine[1]) - (self._machine[0] - self._machine[1])) / hz
        mine = (me.user + me.system) - (self._me.user + self._me.system)
        self.cores = max(0.0, (busy - mine) / wall)


def wait_for_quiet(limit: float, max_wait: float) -> float | None:
    """Sample the background load until it is below ``limit`` or ``max_wait`` passed."""
    deadline = time.monotonic() + max_wait
    bg = background_cores()
    while bg is not None and bg > limit and time.monotonic() < deadline:
        time.sleep(1.0)
        bg = background_cores()
    return bg


# ------------------------------------------------------------------ the engines
def time_nnstudio(name: str, x, y, order, warmup: int = 3) -> float:
    net = Network(get_template(name), seed=0)
    opt = make_optimizer("adam", net.parameters(), lr=1e-3)
    for idx in order[:warmup]:
        net.train_step(x[idx], y[idx])
        opt.step()
    t0 = time.perf_counter()
    for idx in order:
        net.train_step(x[idx], y[idx])
        opt.step()
    return time.perf_counter() - t0


def torch_model(name: str, torch):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def time_torch(name: str, x, y, order, torch, warmup: int = 3) -> float:
    torch.manual_seed(0)
    model = torch_model(name, torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(idx):
        xb, yb = torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    for idx in order[:warmup]:
        step(idx)
    t0 = time.perf_counter()
    for idx in order:
        step(idx)
    return time.perf_counter() - t0


def load_torch(threads: int, disabled: bool):
    if disabled:
        return None
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: reporting nnstudio times only "
              "(pip install torch for the reference)")
        return None
    torch.set_num_threads(threads)
    return torch


def how_nnstudio_runs(name: str, batch_size: int) -> str:
    from nnstudio.core import parallel

    slices = Network(get_template(name)).batch_slices(batch_size)
    if slices > 1:
        return (f"{slices} slices of the batch on {parallel.threads()} threads, "
                "single-threaded OpenBLAS")
    return (f"whole batch, OpenBLAS {os.environ.get('OPENBLAS_NUM_THREADS')} threads, "
            f"optimizer on {parallel.threads()} threads")


def main(args: argparse.Namespace) -> int:
    torch = load_torch(args.threads, args.no_torch)
    timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    print(f"nnstudio engine benchmark: NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else "")
          + f", {args.threads} threads each"
          + (f", OPENBLAS_THREAD_TIMEOUT={timeout}" if timeout else "")
          + f", batch {args.batch_size}, best of {args.repeat}")
    print(f"load average at start: {load_average()}", flush=True)
    names = [args.only] if args.only else ["mlp", "cnn"]
    for name in names:
        x, y = make_data(name)
        order = batches(len(x), args.batch_size, seed=1)
        print(f"{name}: nnstudio runs {how_nnstudio_runs(name, args.batch_size)}")
        pairs = []
        for i in range(args.repeat):
            wait_for_quiet(args.quiet, args.wait)
            with Background() as bg_ours:
                ours = time_nnstudio(name, x, y, order)
            ref = None
            with Background() as bg_ref:
                if torch is not None:
                    ref = time_torch(name, x, y, order, torch)
            known = [b.cores for b in (bg_ours, bg_ref) if b.cores is not None]
            bg = max(known) if known else None
            pairs.append((bg, ours, ref))
            bg_text = "?" if bg is None else f"{bg:.2f}"
            print(f"  pair {i + 1}: nnstudio {ours:6.2f} s"
                  + (f"  PyTorch {ref:6.2f} s  ratio {ours / ref:.2f}x" if ref else "")
                  + f"  (other programs: {bg_text} cores)", flush=True)
        best = min(p[1] for p in pairs)
        line = f"{name:4s} {len(x):6d} samples  nnstudio best {best:6.2f} s"
        if torch is not None:
            best_ref = min(p[2] for p in pairs)
            ratio = best / best_ref
            verdict = "meets" if ratio <= TARGETS[name] else "misses"
            quiet = min(pairs, key=lambda p: (p[0] is None, p[0] or 0.0))
            line += (f"  PyTorch best {best_ref:6.2f} s  ratio {ratio:.2f}x ({verdict} target "
                     f"<= {TARGETS[name]}x); quietest pair (others {quiet[0] or 0:.2f} "
                     f"cores): {quiet[1]:.2f} / {quiet[2]:.2f} s = {quiet[1] / quiet[2]:.2f}x")
        print(line, flush=True)
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
