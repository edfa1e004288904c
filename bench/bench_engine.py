"""Training speed of the nnstudio engine against PyTorch (CPU), same data, same threads.

Trains the ``mlp`` template (Adam, batch 128, one epoch of 60,000 samples) and the ``cnn``
template (Adam, batch 128, one epoch of 10,000 samples) in nnstudio and, when ``torch`` is
installed, the same architectures in PyTorch, with 2 threads each. Each measurement is
repeated (alternating the two engines, so a busy machine hurts both alike); the best time of
each engine is reported with the ratio nnstudio / PyTorch from the same run.

Usage::

    .venv/bin/python bench/bench_engine.py [--repeat 3] [--threads 2] [--only mlp|cnn]
                                           [--openblas-timeout 4] [--no-torch]
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed epochs per engine (best kept)")
    ap.add_argument("--threads", type=int, default=2, help="BLAS / torch threads")
    ap.add_argument("--only", choices=["mlp", "cnn"], help="run one model only")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    ap.add_argument("--openblas-timeout", type=int, metavar="N",
                    help="set OPENBLAS_THREAD_TIMEOUT=N (4..30): idle OpenBLAS threads spin "
                         "about 2**N cycles before sleeping; a small N frees the second core "
                         "for the engine's own element-wise threads")
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


def main(args: argparse.Namespace) -> int:
    torch = load_torch(args.threads, args.no_torch)
    from nnstudio.core import parallel

    timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    print(f"nnstudio engine benchmark: NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else "")
          + f", {args.threads} threads (element-wise: {parallel.threads()}"
          + (f", OPENBLAS_THREAD_TIMEOUT={timeout}" if timeout else "")
          + f"), batch {args.batch_size}, best of {args.repeat}")
    names = [args.only] if args.only else ["mlp", "cnn"]
    results = {}
    for name in names:
        x, y = make_data(name)
        order = batches(len(x), args.batch_size, seed=1)
        ours, ref = [], []
        for _ in range(args.repeat):
            ours.append(time_nnstudio(name, x, y, order))
            if torch is not None:
                ref.append(time_torch(name, x, y, order, torch))
        best, best_ref = min(ours), (min(ref) if ref else None)
        line = (f"{name:4s} {len(x):6d} samples  nnstudio {best:6.2f} s "
                f"(runs {', '.join(f'{t:.2f}' for t in ours)})")
        if best_ref is not None:
            ratio = best / best_ref
            verdict = "meets" if ratio <= TARGETS[name] else "misses"
            line += (f"  PyTorch {best_ref:6.2f} s (runs {', '.join(f'{t:.2f}' for t in ref)})"
                     f"  ratio {ratio:.2f}x ({verdict} target <= {TARGETS[name]}x)")
        results[name] = (best, best_ref)
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
