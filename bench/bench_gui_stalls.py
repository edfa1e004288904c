"""How long does the GUI thread stall while the network trains at full speed?

Opens the real main window offscreen on the Train page, trains on MNIST-sized data (28×28
digits) through the window's TrainingController (the computation runs in the training child
process, a bridge thread carries its messages) with the plots updating, and meanwhile fires
a precise QTimer every 5 ms on the GUI thread. A tick that arrives late means the GUI thread
could not run: busy with its own work (painting, plot redraws, snapshot handling), waiting
for the GIL held by another thread of the window's process, or not given a core by the
operating system. The same run first measures the idle window as a baseline; the load
average is printed because other programs on the machine delay the GUI thread too.

Targets while training: p99 lateness <= 20 ms, max <= 50 ms.

    .venv/bin/python bench/bench_gui_stalls.py                    # cnn, 20 s
    .venv/bin/python bench/bench_gui_stalls.py --seconds 15 --design mlp
    .venv/bin/python bench/bench_gui_stalls.py --design mlp --seconds 30
    .venv/bin/python bench/bench_gui_stalls.py --switch-interval 0.005   # Python's default
    .venv/bin/python bench/bench_gui_stalls.py --design mlp --show-runs 20   # runs compared

Besides the lateness it reports where the GUI thread's time went: the slowest plot redraw,
the slowest plot painting (wall time, and the GUI thread's own CPU time, which other
programs on the machine do not inflate), the slowest snapshot handling (all pages reacting
to new weights), how many of each, the compared runs' pictures painted afresh (with
``--show-runs``), and the GUI thread's own CPU time as a share of the wall time.
``--profile FILE`` adds the GUI thread's Python calls while training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def stats(lateness_ms: np.ndarray) -> dict[str, float]:
    if len(lateness_ms) == 0:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {
        "n": int(len(lateness_ms)),
        "p50": float(np.percentile(lateness_ms, 50)),
        "p99": float(np.percentile(lateness_ms, 99)),
        "max": float(lateness_ms.max()),
    }


class Probe:
    """A precise timer on the GUI thread recording how late each tick comes."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        self.ticks = []
        self.timer.start()

    def stop(self) -> np.ndarray:
        """Lateness of each tick in ms, shape (n_ticks - 1,)."""
        self.timer.stop()
        t = np.asarray(self.ticks)
        if len(t) < 2:
            return np.zeros(0)
        return np.maximum(np.diff(t) - self.interval, 0.0) * 1000.0


def run_for(app, seconds: float) -> None:
    """Run the real event loop (as ``app.exec()`` does) for ``seconds``."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(loop.quit)
    timer.start(max(0, int(seconds * 1000)))
    loop.exec()


def load_data(spec: str):
    from nnstudio.data.sources import load_source

    mnist = ROOT.parent / "shared" / "data" / "mnist"
    if spec == "auto":
        spec = f"idx:{mnist}" if (mnist / "mnist5k-images-idx3-ubyte.gz").exists() else (
            "synthetic:10000")
    return spec, load_source(spec)


def make_runs(design: str, ds, n: int, folder: Path) -> None:
    """``n`` finished run records of ``design`` in ``folder``: one trained for 3 short
    epochs on 1,024 of the samples, and copies of it under new ids."""
    import shutil
    from dataclasses import asdict

    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template
    from nnstudio.core.training import TrainConfig, Trainer
    from nnstudio.runs.layout import new_run_id
    from nnstudio.runs.recorder import Recorder
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import RunWriter

    net = Network(get_template(design), seed=0)
    config = TrainConfig(epochs=3, batch_size=64, lr=1e-3, seed=0)
    x, y = ds.x[:1024], ds.y[:1024]
    writer = RunWriter(folder, RunStart(design=net.design, data="bench", config=asdict(config),
                                        dataset=ds.name, classes=list(ds.classes)))
    recorder = Recorder(writer, net)
    Trainer(net, x, y, config).run(on_batch=recorder.on_batch(), on_epoch=recorder.on_epoch())
    writer.finish("finished")
    for i in range(1, n):
        copy = folder / new_run_id()
        while copy.exists():
            copy = folder / new_run_id()
        shutil.copytree(writer.path, copy)
        (copy / "lock").unlink(missing_ok=True)
        summary = json.loads((copy / "summary.json").read_text())
        summary["id"] = copy.name
        (copy / "summary.json").write_text(json.dumps(summary))
        (copy / "name.txt").write_text(f"earlier run {i + 1}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--design", default="cnn", help="template name (cnn, mlp, lenet)")
    p.add_argument("--data", default="auto",
                   help="data source; auto = the 5,000 real MNIST digits when present, "
                        "else synthetic:10000")
    p.add_argument("--seconds", type=float, default=20.0, help="training time measured")
    p.add_argument("--idle", type=float, default=3.0, help="idle baseline time")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--switch-interval", type=float, default=None,
                   help="sys.setswitchinterval value (default: what the app sets)")
    p.add_argument("--plot-fps", type=float, default=None,
                   help="plot redraws per second at most (default: what the plots use)")
    p.add_argument("--page", default="trainPage", help="page shown while training")
    p.add_argument("--only-train-page", action="store_true",
                   help="build the window with the Train page alone (isolates other pages)")
    p.add_argument("--hidden", action="store_true",
                   help="do not show the window (no painting: isolates the cost of drawing)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--show-runs", type=int, default=0, metavar="N",
                   help="N earlier runs of the same design ticked in the Runs dock, so their "
                        "curves are drawn over the plots while the new run trains")
    p.add_argument("--profile", type=Path, default=None, metavar="FILE",
                   help="profile the GUI thread's Python calls while training (cProfile "
                        "statistics to FILE, the top 25 by own time printed); slows it down")
    args = p.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ["NNSTUDIO_DATA_DIR"] = tmp   # the window's records never reach the person's

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from nnstudio.core.templates import get_template
    from nnstudio.gui import theme
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.session import Session
    from nnstudio.gui.train.controller import configure_threading

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_threading()
    theme.apply(app)

    if args.only_train_page:
        from nnstudio.gui import pages

        pages.page_factories = lambda: []
    spec, ds = load_data(args.data)
    session = Session(get_template(args.design))
    session.set_dataset(ds)
    if args.show_runs:
        make_runs(args.design, ds, args.show_runs, Path(tmp) / "runs")
    win = MainWindow(session, settings=QSettings(os.path.join(tmp, "s.ini"),
                                                 QSettings.Format.IniFormat), data=None)
    if args.switch_interval is not None:  # after the window: its controller sets its own
        sys.setswitchinterval(args.switch_interval)
    win.resize(1400, 900)
    if not args.hidden:
        win.show()
    page = win.pages.get(args.page)
    if page is not None:
        win.tabs.setCurrentWidget(page)
    c = win.controller
    c.apply_settings(epochs=1000, batch_size=args.batch_size)
    dock = getattr(win, "runs_dock", None)
    if args.show_runs and dock is not None:
        dock.refresh()
        for run in list(dock.model.runs):
            dock.model.set_shown(run.id, True)

    # where the GUI thread's time goes
    timings: dict[str, list[float]] = {"plot redraw": [], "plot painting": [],
                                       "plot painting CPU": [],
                                       "snapshot handling": []}
    plots = win.train_view.plots
    real_refresh = plots.refresh

    def timed_refresh() -> None:
        t0 = time.perf_counter()
        real_refresh()
        timings["plot redraw"].append((time.perf_counter() - t0) * 1000)

    plots.refresh = timed_refresh
    pacer = getattr(plots, "_pacer", None)          # older versions: a plain timer
    timer = pacer.timer if pacer is not None else plots._timer
    if args.plot_fps:
        if pacer is not None:                         # a fixed rate, whatever redraws cost
            pacer.fps = pacer.min_fps = args.plot_fps
        timer.setInterval(max(1, int(1000 / args.plot_fps)))
    timer.timeout.disconnect()
    timer.timeout.connect(timed_refresh)
    for w in (plots.loss_plot, plots.acc_plot, plots.lr_plot):
        def timed_paint(event, _real=w.paintEvent) -> None:
            t0, c0 = time.perf_counter(), time.thread_time()
            _real(event)
            timings["plot painting"].append((time.perf_counter() - t0) * 1000)
            # the GUI thread's own CPU time: what painting costs when no other program
            # takes the core away (the wall time above includes such waits)
            timings["plot painting CPU"].append((time.thread_time() - c0) * 1000)

        w.paintEvent = timed_paint
    # the compared runs of each plot, one cached picture: painted afresh only when the view
    # or the runs change (an older build drew them as curve items painted at every frame)
    overlay = getattr(dock, "overlay", None) if dock is not None else None
    pictures = list(getattr(overlay, "pictures", {}).values())
    if pictures:
        timings["compared runs painted afresh"] = []
    for picture in pictures:
        def timed_picture(painter, _real=picture.draw) -> None:
            t0 = time.perf_counter()
            _real(painter)
            timings["compared runs painted afresh"].append((time.perf_counter() - t0) * 1000)

        picture.draw = timed_picture
    real_apply = session.apply_snapshot

    def timed_apply(snap) -> None:  # called by the controller on the GUI thread
        t0 = time.perf_counter()
        real_apply(snap)
        timings["snapshot handling"].append((time.perf_counter() - t0) * 1000)

    session.apply_snapshot = timed_apply

    run_for(app, 1.0)  # let the window settle
    probe = Probe(5)
    probe.start()
    run_for(app, args.idle)
    idle = stats(probe.stop())

    c.play()
    run_for(app, 1.5)  # warm-up: the training process starts, first batches, caches
    for _ in range(100):  # a slow machine may need longer for the child's first batches
        if plots.n_points:
            break
        run_for(app, 0.1)
    for v in timings.values():
        v.clear()
    seen0 = plots.n_points
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    profiler = None
    if args.profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    probe.start()
    t0 = time.perf_counter()
    cpu0 = time.thread_time()
    run_for(app, args.seconds)
    gui_cpu = time.thread_time() - cpu0
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - t0
    busy = stats(probe.stop())
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    proc = getattr(c, "process", None)  # None: an older build that trained in a thread
    batches = plots.n_points - seen0
    c.stop()
    c.wait_idle(30000)
    session.set_dirty(False)
    win.close()

    samples = batches * args.batch_size
    print(f"nnstudio GUI stall benchmark · design {args.design} · data {spec} "
          f"({ds.n} × {'×'.join(map(str, ds.sample_shape))}) · batch {args.batch_size} · "
          f"switch interval {sys.getswitchinterval() * 1000:g} ms · {os.cpu_count()} CPUs")
    where = (f"in a child process ({proc.threads} thread(s), started {proc.starts}×)"
             if proc is not None else "in a thread of the window's process")
    print(f"training {where} · load average {load0:.2f} -> {load1:.2f}")
    if args.show_runs:
        shown = len(dock.model.shown) if dock is not None else 0
        print(f"earlier runs drawn over the plots: {shown}")
    print(f"{'':>22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'ticks':>7}")
    for name, s in (("idle", idle), ("training", busy)):
        print(f"{name:>22} {s['p50']:8.2f} {s['p99']:8.2f} {s['max']:8.2f} {s['n']:7d}")
    ok = busy["p99"] <= 20 and busy["max"] <= 50
    print(f"target p99 <= 20 ms, max <= 50 ms: {'MET' if ok else 'MISSED'}")
    print(f"training: {batches} batches, {samples / wall:,.0f} samples/s, "
          f"{plots.redraws} plot redraws; GUI thread busy {100 * gui_cpu / wall:.0f}% "
          "of the time (its own CPU time)")
    for name, v in timings.items():
        if v:
            a = np.asarray(v)
            print(f"{name:>22}: {len(a)} × mean {a.mean():.2f} ms, p99 "
                  f"{np.percentile(a, 99):.2f} ms, max {a.max():.2f} ms")
        elif name == "compared runs painted afresh":
            print(f"{name:>22}: none (every frame copied the cached pictures)")
    result = {"design": args.design, "data": spec, "batch_size": args.batch_size,
              "switch_interval": sys.getswitchinterval(), "idle": idle, "training": busy,
              "batches": batches, "samples_per_second": samples / wall,
              "met": ok, "gui_thread_cpu_share": gui_cpu / wall,
              "load_average": [load0, load1], "runs_shown": args.show_runs,
              "timings": {k: stats(np.asarray(v)) for k, v in timings.items()}}
    if profiler is not None:
        import pstats

        profiler.dump_stats(str(args.profile))
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(25)
    out = args.json or ROOT / "bench" / "results" / f"gui_stalls_{args.design}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
