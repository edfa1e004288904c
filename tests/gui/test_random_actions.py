"""Random sequences of actions on the real window: no exception, no deadlock, nothing left
running (more and longer sequences: bench/bench_random_actions.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from nnstudio.gui.session import Session
from nnstudio.gui.worker import running_workers
from tests.gui.random_actions import run_actions
from tests.gui.test_training_robust import gone


@pytest.mark.parametrize("seed", [1, 2])
def test_random_actions_leave_the_window_sound(qtbot, tiny_design, tiny_data, settings,
                                               discard, seed):
    from nnstudio.gui import MainWindow

    session = Session(tiny_design())
    session.set_dataset(tiny_data())
    w = MainWindow(session, settings=settings, data=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    c = w.controller
    c.config.epochs = 3

    def check() -> None:
        if not c.running:
            assert w.session.training_state not in ("running", "paused"), w.session.training_state
        assert len(running_workers()) <= 3, [x.name for x in running_workers()]

    done = run_actions(w, qtbot, 50, seed, check)
    assert len(done) == 50
    qtbot.mouseClick(w.commands.toolbar.widgetForAction(w.actions_.stop), Qt.MouseButton.LeftButton)
    assert c.wait_idle(20000), f"training did not stop after {done}"
    assert c.loader.wait(20000), f"loading did not end after {done}"
    pid = c.process.pid
    w.close()
    assert not w.isVisible()
    assert not running_workers()
    assert pid is None or gone(pid)
