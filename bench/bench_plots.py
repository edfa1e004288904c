"""What the Train page's live plots cost the window, with no training process to disturb it.

Two measures, each taken in fresh processes that alternate between this source tree and
``--before TREE`` (e.g. a checkout of an older version), so that both meet the same machine:

* ``length``: a run of N batches is put on the plots at once, then 12 batches are added
  before each of 30 redraws; the median time of a redraw (the data pushed into the curves)
  and of painting the three plots, for N = 4,000 to 300,000 batches (a long run: 60,000
  digits in batches of 32 make 1,875 batches an epoch).
* ``stream``: the real main window, offscreen, is fed a fixed stream of training messages
  like the window's training process sends for the ``mlp`` on 5,000 digits (29 messages a
  second carrying 350 batches, an epoch every 36 batches, weights every 7th message); the
  share of a core its GUI thread uses over 10 s. On two cores that share is taken from
  training.

    .venv/bin/python bench/bench_plots.py --before ../old-checkout [--repeat 3]
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

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = (4_000, 20_000, 100_000, 300_000)
BATCHES_AN_EPOCH = 36


def _window():
    """The real main window, offscreen and shown, on the Train page."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from nnstudio.core.templates import get_template
    from nnstudio.gui import theme
    from nnstudio.gui.main_window import MainWindow
    from nnstudio.gui.session import Session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    session = Session(get_template("mlp"))
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(session, settings=settings, data=None)
    win.resize(1400, 900)
    win.show()
    win.tabs.setCurrentWidget(win.pages["trainPage"])
    return app, session, win


def _spin(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class Stream:
    """Training messages of a made-up run: a falling, noisy cost, a rising accuracy."""

    def __init__(self, weights: dict) -> None:
        import numpy as np

        self.np, self.rng, self.weights = np, np.random.default_rng(0), weights
        self.b = self.msg = 0

    def snapshot(self, k: int, elapsed: float = 0.0, with_weights: bool = False):
        from nnstudio.core.training import EpochInfo
        from nnstudio.gui.snapshot import Snapshot

        np, nb = self.np, BATCHES_AN_EPOCH
        idx = np.arange(self.b, self.b + k)
        self.b += k
        self.msg += 1
        epochs = [EpochInfo(epoch=e, train_loss=1 / (e + 1), train_accuracy=0.9,
                            val_loss=1.1 / (e + 1), val_accuracy=0.88, lr=0.001,
                            elapsed=elapsed)
                  for e in range(idx[0] // nb, (idx[-1] + 1) // nb)]
        weights = ({key: v + 0.01 * self.msg for key, v in self.weights.items()}
                   if with_weights else {})
        noise = self.rng.random(k)
        return Snapshot(
            weights=weights,
            batch_loss=(2 * np.exp(-idx / 1500) + 0.05 + 0.1 * noise).astype(np.float32),
            batch_accuracy=np.clip(1 - np.exp(-idx / 800) - 0.05 * noise, 0, 1
                                   ).astype(np.float32),
            batch_lr=np.full(k, 1e-3, np.float32), batch_index=idx, epochs=epochs,
            epoch=int(idx[-1] // nb), batch=int(idx[-1] % nb) + 1, n_batches=nb,
            samples_seen=int(self.b * 128), samples_per_second=350 * 128.0,
            elapsed=elapsed, epochs_total=100_000)


def child_length() -> dict:
    import numpy as np

    _app, session, win = _window()
    plots = win.train_view.plots
    pacer = getattr(plots, "_pacer", None)           # redraws only when asked here
    (pacer.timer if pacer is not None else plots._timer).stop()
    stream = Stream({})
    out = {}
    for n in LENGTHS:
        while stream.b < n:
            session.apply_snapshot(stream.snapshot(min(20_000, n - stream.b)))
        plots.refresh()
        _spin(200)
        refresh, paint = [], []
        for _ in range(30):
            session.apply_snapshot(stream.snapshot(12))
            t0 = time.perf_counter()
            plots.refresh()
            refresh.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for w in (plots.loss_plot, plots.acc_plot, plots.lr_plot):
                w.viewport().repaint()
            paint.append(time.perf_counter() - t0)
        out[str(n)] = (1e3 * float(np.median(refresh)), 1e3 * float(np.median(paint)))
    session.set_dirty(False)
    win.close()
    return out


def child_stream(seconds: float) -> dict:
    from PySide6.QtCore import QTimer

    _app, session, win = _window()
    stream = Stream(session.network.get_weights())
    start = time.perf_counter()

    def feed() -> None:
        now = time.perf_counter() - start
        k = int(now * 350) - stream.b
        if k > 0:
            session.apply_snapshot(stream.snapshot(k, now, stream.msg % 7 == 6))
    timer = QTimer()
    timer.setInterval(34)
    timer.timeout.connect(feed)
    timer.start()
    _spin(3000)                                   # warm-up
    cpu0, wall0, redraws0 = time.thread_time(), time.perf_counter(), \
        win.train_view.plots.redraws
    _spin(int(seconds * 1000))
    share = (time.thread_time() - cpu0) / (time.perf_counter() - wall0)
    redraws = (win.train_view.plots.redraws - redraws0) / (time.perf_counter() - wall0)
    timer.stop()
    session.set_dirty(False)
    win.close()
    return {"share": share, "redraws_per_s": redraws}


def run_child(tree: Path, mode: str, seconds: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--seconds",
                          str(seconds)], capture_output=True, text=True, env=env, cwd=tree,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", metavar="TREE", help="the other source tree")
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the stream")
    ap.add_argument("--only", default="length,stream")
    ap.add_argument("--child", choices=["length", "stream"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        result = child_length() if args.child == "length" else child_stream(args.seconds)
        print(json.dumps(result))
        return 0
    trees = {"this": ROOT}
    if args.before:
        trees["before"] = Path(args.before).resolve()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_engine import load_average

    print(f"Train page plots, {args.repeat} alternating rounds, {os.cpu_count()} CPUs, "
          f"load average {load_average()}", flush=True)
    modes = args.only.split(",")
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for mode in modes:
            for name, tree in trees.items():
                runs.setdefault((mode, name), []).append(run_child(tree, mode, args.seconds))
    if "length" in modes:
        print("\nms a redraw (data pushed into the curves) / painting the three plots, "
              "medians")
        print("batches in the run  " + "  ".join(f"{name:>17s}" for name in trees))
        for n in LENGTHS:
            cells = []
            for name in trees:
                rs = runs[("length", name)]
                cells.append(f"{statistics.median(r[str(n)][0] for r in rs):7.2f} / "
                             f"{statistics.median(r[str(n)][1] for r in rs):6.2f}")
            print(f"{n:>18,}  " + "  ".join(f"{c:>17s}" for c in cells))
    if "stream" in modes:
        print("\nGUI thread's share of a core while fed an mlp run's messages "
              "(each round; redraws a second)")
        for name in trees:
            rs = runs[("stream", name)]
            print(f"  {name:7s} median {100 * statistics.median(r['share'] for r in rs):5.1f}%  "
                  + ", ".join(f"{100 * r['share']:.1f}% ({r['redraws_per_s']:.1f}/s)"
                              for r in rs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
