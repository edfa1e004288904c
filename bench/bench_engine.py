"""Training speed of the nnstudio engine against PyTorch (CPU), same data, same threads.

Trains each model (Adam, batch 128, one epoch; ``mlp`` on 60,000 samples, the image
models on 10,000) in nnstudio and, when ``torch`` is installed, the same architectures in
PyTorch, with 2 threads each. The engines alternate (nnstudio, PyTorch, nnstudio, ...), so
a busy machine hurts both alike; medians, bests and the ratio nnstudio / PyTorch of the
medians are printed, and every pair's own ratio. Before each pair the script waits up to
``--wait`` seconds until other programs keep fewer than ``--quiet`` cores busy, measures
how many cores they kept busy during each run (busy CPU time of the machine minus this
process's own), and prints the load average at the start and the end.

The machine's limit: before each pair the script measures float32 matrix products of
square 2048 x 2048 matrices on the same threads (``np.matmul``, OpenBLAS; the best of a few)
and prints the median GFLOP/s. Each model's training FLOPs are counted from its layers
(forward, weight gradient and input gradient products: 2 FLOPs per multiply-add), so the
table gives the fraction of the limit each epoch reaches.

``--step-cpu ROUNDS`` also times one training step of 64 samples on one thread as the CPU
time of that thread, in fresh processes that alternate with the ``--before`` tree: on a
machine that other programs keep busy this ratio moves far less than the epochs' wall times
(the engines' own threads are not waiting for each other, and time spent descheduled is not
counted).

``--profile`` also trains a few batches of each image model with the engine's methods
timed (``engine_profile.py``) and prints the share of im2col, GEMMs, col2im, pooling,
activations, copies, dtype conversions and the rest. ``--memory`` trains the ``cnn`` at
batch 128 on 60,000 digits in a fresh process, as the training process does, and prints
its peak memory (maximum resident set size).

Usage::

    .venv/bin/python bench/bench_engine.py [--repeat 5] [--threads 2]
                                           [--only mlp,cnn,cnn16,lenet] [--profile]
                                           [--memory] [--quiet 0.3] [--wait 60] [--no-torch]
                                           [--before TREE] [--step-cpu 5]
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="epochs per engine (best kept)")
    ap.add_argument("--threads", type=int, default=2, help="threads for each engine")
    ap.add_argument("--only", default="mlp,cnn,cnn16,lenet",
                    help="comma-separated models (mlp, cnn, cnn16, lenet)")
    ap.add_argument("--profile", action="store_true",
                    help="print where a training step of each image model spends its time")
    ap.add_argument("--memory", action="store_true",
                    help="peak memory of the cnn training at batch 128 on 60,000 digits")
    ap.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--before", metavar="TREE",
                    help="also time the engine of another nnstudio source tree (e.g. a "
                         "checkout of an older version), in the same pairs")
    ap.add_argument("--epoch-child", metavar="MODEL", help=argparse.SUPPRESS)
    ap.add_argument("--profile-child", metavar="MODEL", help=argparse.SUPPRESS)
    ap.add_argument("--step-cpu", type=int, default=0, metavar="ROUNDS",
                    help="also time one training step of 64 samples on one thread as CPU "
                         "time (median of 20), in ROUNDS fresh processes per engine, "
                         "alternating with --before: far less disturbed by other programs "
                         "than wall time")
    ap.add_argument("--step-cpu-child", metavar="MODEL", help=argparse.SUPPRESS)
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
sys.path.insert(0, ARGS.before if ARGS and (ARGS.epoch_child or ARGS.profile_child
                                            or ARGS.step_cpu_child)
                and ARGS.before
                else os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_THREADS = str(ARGS.threads if ARGS else 2)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS          # must happen before NumPy (and torch) load BLAS
if ARGS and ARGS.openblas_timeout:
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(ARGS.openblas_timeout)

import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from nnstudio.core.conv import Conv2D  # noqa: E402
from nnstudio.core.layers import Dense  # noqa: E402
from nnstudio.core.network import Network  # noqa: E402
from nnstudio.core.optimizers import make_optimizer  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402

#: nnstudio / PyTorch epoch time each model should stay under (cnn16, lenet: no target)
TARGETS = {"mlp": 0.8, "cnn": 0.6}
SAMPLES = {"mlp": 60_000, "cnn": 10_000, "cnn16": 10_000, "lenet": 10_000}


def make_data(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic MNIST-shaped data: x float32 in [0, 1], y int64 in 0..9."""
    rng = np.random.default_rng(seed)
    n = SAMPLES[name]
    shape = Network(get_template(name)).input_shape
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def training_flops(net: Network) -> int:
    """Floating-point operations of the products of one training sample: forward, weight
    gradient and (where a layer computes it) input gradient, 2 per multiply-add."""
    macs = 0
    for layer in net.layers.values():
        if isinstance(layer, Conv2D):
            per = math.prod(layer.output_shape) * layer.W.value[0].size
        elif isinstance(layer, Dense):
            per = layer.W.value.size
        else:
            continue
        macs += per * (3 if layer.needs_dx else 2)
    return 2 * macs


def sgemm_limit(size: int = 2048, repeat: int = 4) -> float:
    """The best GFLOP/s of a square float32 matrix product on this process's BLAS threads."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


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
    if name == "cnn16":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(),
                             nn.Linear(64, 10))
    if name == "lenet":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
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


def time_before(name: str, args: argparse.Namespace) -> float:
    """One epoch of ``name`` by the engine of the tree ``args.before`` (a fresh process)."""
    out = subprocess.run([sys.executable, __file__, "--epoch-child", name, "--before",
                          args.before, "--threads", str(args.threads), "--batch-size",
                          str(args.batch_size)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def profile_shares(name: str, x, y, order, steps: int = 40) -> dict[str, float]:
    """Shares of each kind of work in ``steps`` training steps (see ``engine_profile.py``)."""
    from engine_profile import profiling

    net = Network(get_template(name), seed=0)
    opt = make_optimizer("adam", net.parameters(), lr=1e-3)
    for idx in order[:3]:
        net.train_step(x[idx], y[idx])
        opt.step()
    with profiling() as prof:
        for idx in order[3:3 + steps]:
            net.train_step(x[idx], y[idx])
            opt.step()
    return prof.shares()


def step_cpu_child(name: str, samples: int = 64, steps: int = 20) -> float:
    """Median CPU time (s) of this thread for one training step of ``samples`` samples
    (forward, loss, backward; no optimizer), after 3 warm-up steps."""
    net = Network(get_template(name), seed=0)
    rng = np.random.default_rng(0)
    x = rng.random((samples, *net.input_shape), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    for _ in range(3):
        net.train_step(x, y)
    times = []
    for _ in range(steps):
        t0 = time.thread_time()
        net.train_step(x, y)
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def step_cpu(name: str, args: argparse.Namespace) -> None:
    """Print the median over ``args.step_cpu`` rounds of :func:`step_cpu_child`, for this
    tree and (alternating, in fresh processes) the ``--before`` tree."""
    trees = [("nnstudio", [])] + ([("before", ["--before", args.before])] if args.before
                                  else [])
    found: dict[str, list[float]] = {label: [] for label, _ in trees}
    for _ in range(args.step_cpu):
        for label, extra in trees:
            out = subprocess.run([sys.executable, __file__, "--step-cpu-child", name,
                                  "--threads", "1", *extra],
                                 capture_output=True, text=True, check=True)
            found[label].append(float(out.stdout.strip().splitlines()[-1]))
    med = {label: statistics.median(v) for label, v in found.items()}
    text = f"  one step of 64 samples, 1 thread, CPU time: nnstudio {med['nnstudio'] * 1e3:.2f} ms"
    if args.before:
        rounds = " ".join(f"{a / b:.2f}" for a, b in zip(found["nnstudio"], found["before"],
                                                            strict=True))
        text += (f"  before {med['before'] * 1e3:.2f} ms  ratio "
                 f"{med['nnstudio'] / med['before']:.2f}x (rounds: {rounds})")
    print(text + f"  [medians of {args.step_cpu} rounds]", flush=True)


def memory_child(batch_size: int) -> int:
    """Train the cnn for 60 batches of ``batch_size`` on 60,000 digits as the training
    process does (``Trainer``, validation split, Adam); print the peak resident set (kB)."""
    import resource

    from nnstudio.core.training import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    x = rng.random((60_000, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 60_000)
    net = Network(get_template("cnn"), seed=0)
    trainer = Trainer(net, x, y, TrainConfig(epochs=1, batch_size=batch_size))

    def on_batch(info) -> None:
        if info.batch >= 60:
            trainer.control.stop()

    trainer.run(on_batch=on_batch)
    net.evaluate(x[:6000], y[:6000])                  # the validation pass of an epoch end
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def main(args: argparse.Namespace) -> int:
    if args.memory_child:
        return memory_child(args.batch_size)
    if args.profile_child:                       # shares of the engine found on sys.path
        x, y = make_data(args.profile_child)
        order = batches(len(x), args.batch_size, seed=1)
        print(json.dumps(profile_shares(args.profile_child, x, y, order)))
        return 0
    if args.step_cpu_child:                      # a step's CPU time, engine on sys.path
        print(step_cpu_child(args.step_cpu_child))
        return 0
    if args.epoch_child:                         # one epoch of the engine found on sys.path
        x, y = make_data(args.epoch_child)
        order = batches(len(x), args.batch_size, seed=1)
        print(time_nnstudio(args.epoch_child, x, y, order))
        return 0
    torch = load_torch(args.threads, args.no_torch)
    timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    print(f"nnstudio engine benchmark: NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else "")
          + f", {args.threads} threads each"
          + (f", OPENBLAS_THREAD_TIMEOUT={timeout}" if timeout else "")
          + f", batch {args.batch_size}, {args.repeat} pairs per model")
    print(f"BLAS: {blas_kernel()}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"load average at start: {load_average()}", flush=True)
    rows, shares = [], {}
    for name in args.only.split(","):
        x, y = make_data(name)
        order = batches(len(x), args.batch_size, seed=1)
        flops = training_flops(Network(get_template(name))) * len(x)
        print(f"{name}: {flops / 1e9:.1f} GFLOP an epoch; nnstudio runs "
              f"{how_nnstudio_runs(name, args.batch_size)}")
        pairs, befores = [], []
        for i in range(args.repeat):
            wait_for_quiet(args.quiet, args.wait)
            limit = sgemm_limit()
            if args.before:
                befores.append(time_before(name, args))
            with Background() as bg_ours:
                ours = time_nnstudio(name, x, y, order)
            ref = None
            with Background() as bg_ref:
                if torch is not None:
                    ref = time_torch(name, x, y, order, torch)
            known = [b.cores for b in (bg_ours, bg_ref) if b.cores is not None]
            bg = max(known) if known else None
            pairs.append((bg, ours, ref, limit))
            bg_text = "?" if bg is None else f"{bg:.2f}"
            print(f"  pair {i + 1}: nnstudio {ours:6.2f} s"
                  + (f"  PyTorch {ref:6.2f} s  ratio {ours / ref:.2f}x" if ref else "")
                  + f"  sgemm {limit:5.0f} GFLOP/s"
                  + (f"  before {befores[-1]:6.2f} s" if befores else "")
                  + f"  (other programs: {bg_text} cores)", flush=True)
        if args.step_cpu:
            step_cpu(name, args)
        ours = statistics.median(p[1] for p in pairs)
        ref = statistics.median(p[2] for p in pairs) if torch is not None else None
        limit = statistics.median(p[3] for p in pairs)
        before = statistics.median(befores) if befores else None
        rows.append((name, ours, min(p[1] for p in pairs), ref, flops, limit, before))
        if args.profile and name != "mlp":
            shares[name] = profile_shares(name, x, y, order)
            if args.before:
                out = subprocess.run([sys.executable, __file__, "--profile-child", name,
                                      "--before", args.before, "--threads", str(args.threads),
                                      "--batch-size", str(args.batch_size)],
                                     capture_output=True, text=True, check=True)
                shares[f"{name} before"] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\nmedians of {args.repeat} pairs; limit = median sgemm (2048², {args.threads} "
          "threads) measured before each pair")
    print(f"{'model':6s} {'nnstudio s':>10s} {'best s':>7s} {'PyTorch s':>10s} {'ratio':>6s} "
          f"{'target':>7s} {'GFLOP/s':>8s} {'limit':>6s} {'of limit':>9s}"
          + (f" {'before s':>9s} {'ratio':>6s} {'of limit':>9s}" if args.before else ""))
    for name, ours, best, ref, flops, limit, before in rows:
        rate = flops / ours / 1e9
        ratio = f"{ours / ref:5.2f}x" if ref else "     -"
        target = f"<={TARGETS[name]}x" if name in TARGETS else "-"
        print(f"{name:6s} {ours:10.2f} {best:7.2f} "
              f"{(f'{ref:10.2f}' if ref else '         -')} {ratio:>6s} {target:>7s} "
              f"{rate:8.0f} {limit:6.0f} {rate / limit:9.0%}"
              + (f" {before:9.2f} {f'{before / ref:5.2f}x' if ref else '-':>6s} "
                 f"{flops / before / 1e9 / limit:9.0%}" if before else ""))
    if shares:
        from engine_profile import KINDS

        print("\nprofile: share of the training step's CPU time (both threads), "
              "per kind of work")
        print(f"{'':18s}" + "".join(f"{n:>14s}" for n in shares))
        for kind in KINDS:
            print(f"{kind:18s}" + "".join(f"{shares[n][kind]:14.0%}" for n in shares))
    if args.memory:
        out = subprocess.run([sys.executable, __file__, "--memory-child", "--batch-size",
                              str(args.batch_size)], capture_output=True, text=True,
                             check=True)
        kb = int(out.stdout.strip().splitlines()[-1])
        print(f"\ncnn training, batch {args.batch_size}, 60,000 digits: peak memory "
              f"{kb / 1024:.0f} MB (maximum resident set of the process)")
    print(f"load average at end: {load_average()}")
    return 0


def blas_kernel() -> str:
    """NumPy's BLAS and the kernel it picked for this processor (OpenBLAS)."""
    from nnstudio.core.parallel import _OpenBLAS

    lib = _OpenBLAS()
    if lib.get is None:
        return "not OpenBLAS"
    import ctypes
    from pathlib import Path

    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libdir.glob("*openblas*")):
        so = ctypes.CDLL(str(path))
        for fn in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                   "openblas_get_corename64_", "openblas_get_corename"):
            get = getattr(so, fn, None)
            if get is not None:
                get.restype = ctypes.c_char_p
                return f"OpenBLAS, {get().decode()} kernel"
    return "OpenBLAS"


if __name__ == "__main__":
    sys.exit(main(ARGS))
