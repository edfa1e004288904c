"""Random sequences of what a person does in the window, for the test and the benchmark.

:func:`run_actions` presses the toolbar's buttons with the mouse (play, pause, step one
batch, step one epoch, stop, reset), the Space key, chooses templates from the menu, switches
data sources, waits a little, and answers every dialog that comes up, in an order drawn from
a seeded generator. It returns what it did, so that a failure can be replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

#: data sources the sequences switch between (small, offline, quick to make)
DATA = ("toy:circle", "toy:xor", "perceptron:separable", "synthetic:300", "toy:gaussians")
#: templates chosen from the menu (some do not fit some data: that must be said, not crash)
TEMPLATES = ("playground", "linear", "mlp", "perceptron")


def answer_dialogs(qtbot) -> int:
    """Click the first button of every message box that is showing; how many there were."""
    n = 0
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox) and box.isVisible():
            buttons = box.buttons()
            if buttons:
                qtbot.mouseClick(buttons[-1], Qt.MouseButton.LeftButton)
            else:
                box.close()
            n += 1
    return n


def _pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while True:
        QCoreApplication.processEvents()
        if time.monotonic() >= end:
            return
        time.sleep(0.005)


def run_actions(window, qtbot, n: int, seed: int,
                check: Callable[[], None] | None = None) -> list[str]:
    """Do ``n`` random actions in ``window``; ``check()`` after each one. Returns their
    names in order."""
    rng = np.random.default_rng(seed)
    a = window.actions_
    buttons = {name: window.commands.toolbar.widgetForAction(getattr(a, name))
               for name in ("play", "pause", "step", "step_epoch", "stop", "reset")}
    templates = {name: window.findChild(QAction, f"actionTemplate_{name}")
                 for name in TEMPLATES}
    kinds = ["play", "pause", "step", "step_epoch", "stop", "reset", "space", "template",
             "data", "wait"]
    weights = np.array([4, 2, 2, 1, 2, 1, 2, 1, 1, 3], float)
    done: list[str] = []
    for _ in range(n):
        kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        if kind in buttons:
            qtbot.mouseClick(buttons[kind], Qt.MouseButton.LeftButton)
        elif kind == "space":
            qtbot.keyClick(window.tabs, Qt.Key.Key_Space)
        elif kind == "template":
            name = TEMPLATES[rng.integers(len(TEMPLATES))]
            templates[name].trigger()
            kind = f"template {name}"
        elif kind == "data":
            spec = DATA[rng.integers(len(DATA))]
            window.controller.data.load(spec)
            kind = f"data {spec}"
        _pump(float(rng.uniform(0.0, 0.12)) if kind == "wait" else 0.01)
        answer_dialogs(qtbot)
        done.append(kind)
        if check is not None:
            check()
    return done
