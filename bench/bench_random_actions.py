"""Random action sequences on the real window, many seeds, longer than the suite's.

Each seed opens the main window offscreen (a small 2-D design and data), does N random
actions (toolbar buttons pressed with the mouse, Space, templates from the menu, data
switches, short waits; every dialog answered), then stops, closes the window and checks
that nothing is left: no exception in a slot, no deadlock (Stop ends within 20 s), no
background worker, no training process; and after every action, that the window never says
"running" or "paused" while no run is going.

    .venv/bin/python bench/bench_random_actions.py --seeds 20 --actions 300
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_home = tempfile.mkdtemp(prefix="nnstudio-bench-")
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = os.path.join(_home, _var.lower())


class Bot:
    """The few qtbot methods the action driver uses, on QTest."""

    def mouseClick(self, widget, button):  # noqa: N802 - qtbot's name
        from PySide6.QtTest import QTest

        QTest.mouseClick(widget, button)

    def keyClick(self, widget, key):  # noqa: N802 - qtbot's name
        from PySide6.QtTest import QTest

        QTest.keyClick(widget, key)


def small_session():
    """A 2-input classifier and two Gaussian blobs (as the suite's fixtures)."""
    import numpy as np

    from nnstudio.core.design import Design
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui.session import Session

    d = Design("tiny")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 8, "activation": "tanh"}, node_id="fc1")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
        d.connect(a, b)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    x = (rng.normal(size=(2000, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
    session = Session(d)
    session.set_dataset(Dataset("two blobs", x, y.astype(np.int64), "classification",
                                ["a", "b"]))
    return session


def one(seed: int, n: int, app) -> dict:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QMessageBox

    from nnstudio.gui import MainWindow
    from nnstudio.gui.worker import running_workers
    from tests.gui.random_actions import run_actions
    from tests.gui.test_training_robust import gone

    QMessageBox.exec = lambda box: QMessageBox.StandardButton.Discard
    errors: list[str] = []
    old_hook = sys.excepthook
    sys.excepthook = lambda *exc: errors.append("".join(traceback.format_exception(*exc)))
    w = MainWindow(small_session(), settings=QSettings(os.path.join(_home, f"s{seed}.ini"),
                                               QSettings.Format.IniFormat), data=None)
    w.show()
    w.controller.apply_settings(epochs=3)
    t0 = time.monotonic()
    bot = Bot()
    c = w.controller
    stale: list[str] = []  # the window said running or paused with no run going

    def check() -> None:
        if not c.running and w.session.training_state in ("running", "paused"):
            stale.append(w.session.training_state)

    done = run_actions(w, bot, n, seed, check)
    bot.mouseClick(w.commands.toolbar.widgetForAction(w.actions_.stop), Qt.MouseButton.LeftButton)
    stopped = w.controller.wait_idle(20000) and w.controller.data.wait(20000)
    pid = w.controller.process.pid
    runs = w.controller.process.starts
    w.close()
    app.processEvents()
    sys.excepthook = old_hook
    return {"actions": len(done), "seconds": time.monotonic() - t0, "stopped": stopped,
            "workers_left": len(running_workers()), "child_left": not (pid is None or gone(pid)),
            "exceptions": errors, "stale_states": len(stale),
            "kinds": collections.Counter(k.split()[0] for k in done),
            "process_starts": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--actions", type=int, default=200)
    ap.add_argument("--first-seed", type=int, default=100)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    total = collections.Counter()
    bad = 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        r = one(seed, args.actions, app)
        total.update(r["kinds"])
        ok = (r["stopped"] and not r["workers_left"] and not r["child_left"]
              and not r["exceptions"] and not r["stale_states"])
        bad += not ok
        print(f"seed {seed}: {r['actions']} actions in {r['seconds']:.1f} s, "
              f"{r['process_starts']} process start(s), stopped={r['stopped']}, "
              f"workers left={r['workers_left']}, child left={r['child_left']}, "
              f"exceptions={len(r['exceptions'])}, stale states={r['stale_states']}",
              flush=True)
        for e in r["exceptions"]:
            print(e)
    print(f"{args.seeds} seeds x {args.actions} actions: {bad} failed; actions done: "
          + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))


if __name__ == "__main__":
    main()
