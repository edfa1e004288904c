"""How fast are synthetic digits generated? Target: 60,000 in under 10 s.

Usage: python bench/bench_synthetic.py [--n 60000] [--workers 2] [--repeat 1]

Generates without the cache (the cache makes a second request instant) and prints the time
and the rate. Worker threads split the set into independent chunks; the result is identical
whatever the number of workers.
"""

from __future__ import annotations

import argparse
import os
import time

from nnstudio.data.synthetic import generate_all


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    generate_all(2000, seed=123)  # warm up (template compilation, imports)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        x, _ = generate_all(args.n, seed=0, workers=args.workers)
        best = min(best, time.perf_counter() - t0)
    print(f"synthetic digits: {args.n:,} in {best:.2f} s ({args.n / best:,.0f}/s, "
          f"{1e3 * best / args.n * args.workers:.3f} ms per digit per core, "
          f"{args.workers} worker(s), {os.cpu_count()} CPUs); "
          f"target < 10 s for 60,000: {'met' if best * 60000 / args.n < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
