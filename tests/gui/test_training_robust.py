"""The window and its background work under stress: a training process that stops
responding, closing during a slow load, random sequences of actions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from nnstudio.gui.worker import running_workers

ROOT = Path(__file__).resolve().parents[2]
needs_sigstop = pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="POSIX signals")


#: the window on the tiny design and 2,000 samples, shown
pytestmark = pytest.mark.window(data=2000, show=True)


def click(qtbot, window, action) -> None:
    """Press the toolbar button of ``action`` with the mouse."""
    button = window.commands.toolbar.widgetForAction(action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def training(window, qtbot) -> int:
    """Play a run that does not end by itself, with the notice of a silent training process
    after 1 s; wait until batches are drawn; the training child's pid."""
    plots, process = window.train_view.plots, window.controller.process
    window.controller.apply_settings(epochs=100000)
    process.stall_s = 1.0
    n0 = plots.n_points
    click(qtbot, window, window.actions_.play)
    qtbot.waitUntil(lambda: plots.n_points > n0 + 5 and process.pid is not None,
                    timeout=30000)
    return process.pid


def gone(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in text


@needs_sigstop
def test_a_training_process_that_stops_responding_is_reported_and_restarted(window, qtbot):
    w = window
    pid = training(w, qtbot)
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "unresponsiveBox") is not None
                    and w.findChild(QMessageBox, "unresponsiveBox").isVisible(), timeout=10000)
    noticed = time.monotonic() - t0
    assert noticed < w.controller.process.stall_s + 3
    box = w.findChild(QMessageBox, "unresponsiveBox")
    assert "not responded" in box.text() and "restart" in box.text()
    assert "does not respond" in w.statusBar().currentMessage()
    shown = {k: v.copy() for k, v in w.session.network.get_weights().items()}
    restart = box.findChild(QPushButton, "restartTrainingButton")
    qtbot.mouseClick(restart, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.controller.running, timeout=5000)
    assert gone(pid)
    assert w.session.training_state == "stopped"
    kept = w.session.network.get_weights()
    assert all(np.array_equal(shown[k], kept[k]) for k in shown), "the weights were lost"
    assert w.findChild(QMessageBox, "trainingErrorBox") is None
    # Play starts a new training process that trains on from the kept weights
    pid2 = training(w, qtbot)
    assert pid2 != pid and w.controller.process.starts == 2
    click(qtbot, w, w.actions_.stop)
    assert w.controller.wait_idle(10000)
    assert w.session.training_state == "stopped"


@needs_sigstop
def test_a_process_that_comes_back_closes_the_notice(window, qtbot):
    w = window
    pid = training(w, qtbot)
    os.kill(pid, signal.SIGSTOP)
    qtbot.waitUntil(lambda: w.controller.stalled, timeout=10000)
    os.kill(pid, signal.SIGCONT)
    qtbot.waitUntil(lambda: not w.controller.stalled, timeout=10000)
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "unresponsiveBox") is None, timeout=5000)
    assert w.controller.running and w.session.training_state == "running"
    assert "responds again" in w.statusBar().currentMessage()


@needs_sigstop
@pytest.mark.parametrize("when", ["before it is noticed", "after it is noticed"])
def test_stop_never_waits_for_a_stopped_training_process(window, qtbot, when):
    w = window
    pid = training(w, qtbot)
    os.kill(pid, signal.SIGSTOP)
    if when == "after it is noticed":
        qtbot.waitUntil(lambda: w.controller.stalled, timeout=10000)
    t0 = time.monotonic()
    click(qtbot, w, w.actions_.stop)
    assert w.controller.wait_idle(10000)
    took = time.monotonic() - t0
    assert took < w.controller.process.stall_s + 2.5, f"Stop waited {took:.1f} s"
    assert gone(pid)
    assert w.session.training_state == "stopped"


CLOSE_WHILE_LOADING = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from nnstudio.gui import MainWindow
    from nnstudio.gui.worker import running_workers
    w = MainWindow(settings=QSettings(sys.argv[2], QSettings.Format.IniFormat), data=None)
    w.show()
    w.controller.data.load("csv:" + sys.argv[1] + ":label=y")
    t = time.monotonic()
    while time.monotonic() - t < 1.0:
        app.processEvents()
        time.sleep(0.01)
    assert w.controller.data.busy, "the load ended before the window closed"
    t0 = time.monotonic()
    w.close()
    print(f"closed in {time.monotonic() - t0:.3f} s", flush=True)
    print(f"running workers {len(running_workers())}", flush=True)
    app.processEvents()
""")


def big_csv(path: Path, mb: float = 36.0) -> None:
    """A valid CSV of ``mb`` megabytes: 8 numeric features and a 0/1 label."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 8))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    block = "".join(",".join(f"{v:.5f}" for v in row) + f",{c}\n"
                    for row, c in zip(x, y, strict=True))
    with open(path, "w") as fh:
        fh.write(",".join(f"f{i}" for i in range(8)) + ",y\n")
        for _ in range(int(mb * 1e6 / len(block))):
            fh.write(block)


def test_closing_while_a_big_csv_loads_is_prompt_and_never_aborts(tmp_path):
    csv_path = tmp_path / "big.csv"
    big_csv(csv_path)
    assert csv_path.stat().st_size > 35e6
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", CLOSE_WHILE_LOADING, str(csv_path), str(tmp_path / "s.ini")],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    assert "Destroyed while thread" not in out.stderr
    closed = float(out.stdout.split("closed in ")[1].split()[0])
    assert closed < 5.0, f"closing took {closed:.1f} s"   # it froze 10 s, then aborted
    assert "running workers 0" in out.stdout


def test_no_worker_or_process_is_left_after_closing(window, qtbot):
    w = window
    pid = training(w, qtbot)
    w.controller.data.load("toy:spiral")
    w.close()
    assert not w.isVisible()
    assert not running_workers()
    assert gone(pid)
