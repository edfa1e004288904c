"""Training speed in the window against the command line, same design, data and settings.

The command line (``nnstudio train``) trains in its own process with the engine's default
threads. The window trains in its training process (:mod:`nnstudio.core.trainproc`) while
the Train page draws the curves and every page reacts to the weight snapshots. This
benchmark measures both the same way, each in a fresh process, alternating:

* ``cli``: a process that builds the network and runs :class:`~nnstudio.core.training.Trainer`
  exactly as ``nnstudio train`` does (its threads, its settings);
* ``window``: a process that opens the real main window offscreen (shown, painted, all
  pages), puts the design and the data into its session, presses the Train page's play
  button and lets the real training process train.

Both report the training clock of the trainer itself (samples seen / training seconds,
pauses excluded) between the end of a warm-up and the end of the measured span, so process
start, data transfer and the first batches are left out alike. The window also reports how
busy its GUI thread was and what it received (metric messages, weight snapshots, their
sizes). Target: the window reaches >= 90% of the command line's samples/s.

    .venv/bin/python bench/bench_window_speed.py                     # cnn and mlp, 2 rounds
    .venv/bin/python bench/bench_window_speed.py --designs cnn --seconds 20 --repeat 3
    .venv/bin/python bench/bench_window_speed.py --threads 1   # the training process as before
    .venv/bin/python bench/bench_window_speed.py --views all --designs mlp,cnn --repeat 1
    .venv/bin/python bench/bench_window_speed.py --views weightsView,costView \
        --designs playground --data toy:spiral --batch-size 16

With ``--views`` it measures the window only: the Train page on screen against each Inside
view open in turn (target: >= 85% of the Train page's samples/s), in samples per second of
wall-clock time, so time the trainer spends waiting for the window counts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_data(spec: str):
    """``(spec, dataset)``; ``auto`` = the 5,000 real MNIST digits when present, else
    ``synthetic:10000``."""
    from nnstudio.data.sources import load_source

    if spec == "auto":
        found = [m for m in (d / "shared" / "data" / "mnist" for d in ROOT.parents)
                 if (m / "mnist5k-images-idx3-ubyte.gz").exists()]
        spec = f"idx:{found[0]}" if found else "synthetic:10000"
    return spec, load_source(spec)


class Clock:
    """Samples seen and training seconds at the end of the warm-up and at the last report."""

    def __init__(self, warmup_s: float) -> None:
        self.warmup_s = warmup_s
        self.start: tuple[int, float] | None = None
        self.last: tuple[int, float] | None = None
        self.wall_start = self.wall_last = 0.0

    def see(self, samples: int, elapsed: float) -> None:
        if elapsed < self.warmup_s:
            return
        now = time.perf_counter()
        if self.start is None:
            self.start = (samples, elapsed)
            self.wall_start = now
        self.last = (samples, elapsed)
        self.wall_last = now

    @property
    def wall_rate(self) -> float:
        """Samples per second of wall-clock time over the same span: what a person sees,
        time the trainer spent waiting (for the window, say) included."""
        if self.start is None or self.last is None or self.wall_last <= self.wall_start:
            return float("nan")
        return (self.last[0] - self.start[0]) / (self.wall_last - self.wall_start)

    @property
    def rate(self) -> float:
        if self.start is None or self.last is None or self.last[1] <= self.start[1]:
            return float("nan")
        return (self.last[0] - self.start[0]) / (self.last[1] - self.start[1])

    @property
    def span(self) -> float:
        return 0.0 if self.start is None or self.last is None else self.last[1] - self.start[1]


# ------------------------------------------------------------------ the command line
def run_cli(args: argparse.Namespace) -> dict:
    """Train as ``nnstudio train`` does, for ``warmup + seconds`` of training time."""
    from nnstudio.cli.common import fit_data as _fit_data
    from nnstudio.core import parallel
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template
    from nnstudio.core.training import TrainConfig, Trainer

    spec, ds = load_data(args.data)
    network = Network(get_template(args.design), seed=0)
    x, y = _fit_data(network, ds, spec)
    trainer = Trainer(network, x, y, TrainConfig(epochs=1000, batch_size=args.batch_size))
    clock = Clock(args.warmup)

    def on_batch(info) -> None:
        clock.see(info.samples_seen, info.elapsed)
        if info.elapsed >= args.warmup + args.seconds:
            trainer.control.stop()

    trainer.run(on_batch=on_batch)
    return {"samples_per_second": clock.rate, "span_s": clock.span,
            "threads": parallel.threads()}


# ------------------------------------------------------------------ the window
def run_window(args: argparse.Namespace) -> dict:
    """Train through the real window, offscreen but shown, all pages built."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from nnstudio.core.templates import get_template
    from nnstudio.gui import theme
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.session import Session
    from nnstudio.gui.train.controller import configure_threading

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_threading()
    theme.apply(app)
    spec, ds = load_data(args.data)
    session = Session(get_template(args.design))
    session.set_dataset(ds)
    tmp = tempfile.mkdtemp()
    win = MainWindow(session, settings=QSettings(os.path.join(tmp, "s.ini"),
                                                 QSettings.Format.IniFormat), data=None)
    win.resize(1400, 900)
    win.show()
    page = win.pages.get("trainPage")
    win.tabs.setCurrentWidget(page)
    if args.view:                 # an Inside view open instead of the Train page
        inside = win.pages["insidePage"]
        win.tabs.setCurrentWidget(inside)
        inside.show_view(args.view)
    c = win.controller
    c.apply_settings(epochs=1000, batch_size=args.batch_size)
    if args.threads:
        from nnstudio.core.trainproc import TrainingProcess

        c._process = TrainingProcess(threads=args.threads)

    clock = Clock(args.warmup)
    received = {"messages": 0, "weight snapshots": 0, "bytes": 0, "weight bytes": 0}

    def on_snapshot(snap) -> None:
        received["messages"] += 1
        if snap.weights:
            received["weight snapshots"] += 1
            received["weight bytes"] += sum(w.nbytes for w in snap.weights.values())
        if snap.samples_seen is not None and snap.elapsed is not None:
            clock.see(int(snap.samples_seen), float(snap.elapsed))

    session.snapshotApplied.connect(on_snapshot)

    def run_for(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
        loop.exec()

    run_for(1.0)
    c.play()                      # what the Train page's Play action calls
    deadline = time.monotonic() + args.warmup + args.seconds + 60
    cpu0 = proc0 = wall0 = None
    while time.monotonic() < deadline:
        run_for(0.2)
        if cpu0 is None and clock.start is not None:
            cpu0, proc0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
        if clock.span >= args.seconds:
            break
    if cpu0 is None:
        gui_share = window_share = float("nan")
    else:
        wall = time.perf_counter() - wall0
        gui_share = (time.thread_time() - cpu0) / wall
        window_share = (time.process_time() - proc0) / wall
    proc = c.process
    threads = proc.threads
    c.stop()
    c.wait_idle(30000)
    session.set_dirty(False)
    win.close()
    return {"samples_per_second": clock.rate, "wall_samples_per_second": clock.wall_rate,
            "span_s": clock.span, "threads": threads,
            "gui_thread_share": gui_share, "window_share": window_share, **received}


# ------------------------------------------------------------------ the orchestra
def child(kind: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--design", args.design,
           "--data", args.data, "--seconds", str(args.seconds), "--warmup", str(args.warmup),
           "--batch-size", str(args.batch_size), "--threads", str(args.threads or 0),
           "--view", args.view]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def compare_views(args: argparse.Namespace) -> int:
    """Samples/s of the window with each Inside view open against the Train page, rounds
    interleaved (Train page, view 1, view 2, ..., Train page, ...)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from nnstudio.gui.inside.panel import view_classes

    names = [n for n, _, _ in view_classes()] if args.views == "all" else args.views.split(",")
    print(f"nnstudio training with Inside views open · data {args.data} · batch "
          f"{args.batch_size} · {args.seconds:g} s measured after {args.warmup:g} s · "
          f"{os.cpu_count()} CPUs · load average {load_average()}", flush=True)
    for design in args.designs.split(","):
        args.design = design
        rates: dict[str, list[float]] = {"": []}
        for i in range(args.repeat):
            for view in ["", *names]:
                args.view = view
                r = child("window", args)
                rates.setdefault(view, []).append(r["wall_samples_per_second"])
                print(f"  {design} round {i + 1} {view or 'Train page':16s} "
                      f"{r['wall_samples_per_second']:10,.0f} samples/s of wall-clock time "
                      f"({r['samples_per_second']:,.0f} by the trainer's own clock)",
                      flush=True)
        base = statistics.median(rates[""])
        print(f"\n{design}: {'open':16s} {'samples/s':>10s} {'of Train page':>14s}")
        print(f"{design}: {'Train page':16s} {base:10,.0f} {'100%':>14s}")
        for view in names:
            v = statistics.median(rates[view])
            verdict = "meets" if v / base >= 0.85 else "misses"
            print(f"{design}: {view:16s} {v:10,.0f} {v / base:13.0%}  ({verdict} >= 85%)")
    print(f"load average at end: {load_average()}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--designs", default="cnn,mlp", help="comma-separated template names")
    p.add_argument("--data", default="auto",
                   help="data source; auto = the 5,000 real MNIST digits when present, "
                        "else synthetic:10000")
    p.add_argument("--seconds", type=float, default=12.0, help="training seconds measured")
    p.add_argument("--warmup", type=float, default=3.0, help="training seconds left out first")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--repeat", type=int, default=2, help="rounds of (cli, window) per design")
    p.add_argument("--threads", type=int, default=0,
                   help="threads of the window's training process (default: its own choice)")
    p.add_argument("--views", default="",
                   help="instead of the command line: the window with each of these Inside "
                        "views open (comma-separated objectNames, or 'all') against the Train "
                        "page; target >= 85%% of the Train page's samples/s")
    p.add_argument("--view", default="", help=argparse.SUPPRESS)
    p.add_argument("--child", choices=["cli", "window"], help=argparse.SUPPRESS)
    p.add_argument("--design", default="cnn", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        result = run_cli(args) if args.child == "cli" else run_window(args)
        print(json.dumps(result))
        return 0

    if args.views:
        return compare_views(args)
    spec, ds = load_data(args.data)
    del ds
    print(f"nnstudio window vs command line · data {spec} · batch {args.batch_size} · "
          f"{args.seconds:g} s measured after {args.warmup:g} s · {os.cpu_count()} CPUs")
    print(f"load average at start: {load_average()}", flush=True)
    rows = []
    for design in args.designs.split(","):
        args.design = design
        cli, win = [], []
        for i in range(args.repeat):
            for kind, keep in (("cli", cli), ("window", win)):
                r = child(kind, args)
                keep.append(r)
                extra = (f", GUI thread {100 * r['gui_thread_share']:.0f}% busy (window "
                         f"process {100 * r['window_share']:.0f}% of a core), "
                         f"{r['messages']} messages ({r['weight snapshots']} with weights, "
                         f"{r['weight bytes'] / max(r['weight snapshots'], 1) / 1e3:.0f} kB "
                         "each)" if kind == "window" else "")
                print(f"  {design} round {i + 1} {kind:6s}: {r['samples_per_second']:8,.0f} "
                      f"samples/s over {r['span_s']:.1f} s, {r['threads']} thread(s){extra}",
                      flush=True)
        c = statistics.median(r["samples_per_second"] for r in cli)
        w = statistics.median(r["samples_per_second"] for r in win)
        rows.append((design, c, w))
    print(f"\n{'design':8s} {'cli samples/s':>14s} {'window samples/s':>17s} {'window/cli':>11s}")
    for design, c, w in rows:
        verdict = "meets" if w / c >= 0.9 else "misses"
        print(f"{design:8s} {c:14,.0f} {w:17,.0f} {w / c:10.0%}  ({verdict} >= 90%)")
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
