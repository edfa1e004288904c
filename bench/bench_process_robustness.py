"""How fast the window notices and gets out of trouble with its background work.

- stall: a training child stopped with SIGSTOP mid-run; seconds until the handle reports it
  not responding (default threshold ``STALL_S``), and how long ending it then takes.
- cancel: the largest gap between two checks of the cancel callable while a big CSV loads,
  and the whole load's time for reference.
- close: a window closed while that CSV loads (a separate process each time): seconds the
  close took and the exit status (0 expected; 134 is an abort).

    .venv/bin/python bench/bench_process_robustness.py --trials 5 --mb 36
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stall(trials: int) -> None:
    from nnstudio.core.trainproc import TrainingProcess
    from nnstudio.core.trainprotocol import Metrics, Unresponsive
    from tests.core.test_trainproc import start

    noticed, ended = [], []
    p = TrainingProcess(threads=1)
    try:
        for _ in range(trials):
            run_id, _ = start(p, epochs=100000)
            while not isinstance(p.recv(0.1), Metrics):
                pass
            pid = p.pid
            os.kill(pid, signal.SIGSTOP)
            t0 = time.monotonic()
            while not isinstance(p.recv(0.1), Unresponsive):
                pass
            noticed.append(time.monotonic() - t0)
            t1 = time.monotonic()
            p.shutdown(timeout=5.0)
            ended.append(time.monotonic() - t1)
    finally:
        p.close()
    print(f"stall: threshold {p.stall_s:.1f} s; noticed after median "
          f"{statistics.median(noticed):.2f} s (max {max(noticed):.2f}); ended in median "
          f"{statistics.median(ended) * 1000:.0f} ms (max {max(ended) * 1000:.0f}) "
          f"over {trials} trials")


def cancel_gaps(path: Path) -> None:
    from nnstudio.data.csvdata import load_csv

    stamps: list[float] = []

    def cancel() -> bool:
        stamps.append(time.perf_counter())
        return False

    t0 = time.perf_counter()
    load_csv(path, label="y", cancel=cancel)
    total = time.perf_counter() - t0
    gaps = [b - a for a, b in zip([t0, *stamps], stamps, strict=False)]
    print(f"cancel: {len(stamps):,} checks in a {total:.1f} s load of "
          f"{path.stat().st_size / 1e6:.0f} MB; largest gap {max(gaps) * 1000:.0f} ms, "
          f"median {statistics.median(gaps) * 1000:.1f} ms")


def close(path: Path, trials: int) -> None:
    from tests.gui.test_training_robust import CLOSE_WHILE_LOADING

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    times, codes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(trials):
            out = subprocess.run([sys.executable, "-c", CLOSE_WHILE_LOADING, str(path),
                                  os.path.join(tmp, "s.ini")], capture_output=True,
                                 text=True, cwd=ROOT, env=env, timeout=300)
            codes.append(out.returncode)
            if "closed in " in out.stdout:
                times.append(float(out.stdout.split("closed in ")[1].split()[0]))
    print(f"close: {trials} windows closed during the load; close took median "
          f"{statistics.median(times):.2f} s (max {max(times):.2f}); exit codes {codes}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--mb", type=float, default=36.0)
    args = ap.parse_args()
    from tests.gui.test_training_robust import big_csv

    stall(args.trials)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        big_csv(path, args.mb)
        cancel_gaps(path)
        close(path, args.trials)


if __name__ == "__main__":
    main()
