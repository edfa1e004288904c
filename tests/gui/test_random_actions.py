"""Random sequences of actions on the real window: no exception, no deadlock, nothing left
running (more and longer sequences: bench/bench_random_actions.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.gui.worker import running_workers
from tests.gui.random_actions import run_actions
from tests.gui.test_training_robust import gone

#: the window on the tiny design and 2,000 samples, shown
pytestmark = pytest.mark.window(data=2000, show=True)


def assert_sound(w) -> None:
    """What must hold in the window between any two things a person does: no run is said
    to be going on without one, the title names the work and marks unsaved changes, the
    state's weights are the network's, the undo history is where Undo and Redo say, and
    background work stays bounded."""
    s, c = w.session, w.controller
    if not c.running:
        assert not s.state.run_state.active, s.training_state
    name = s.path.name if s.path is not None else (s.design.name or "untitled")
    assert w.windowTitle() == f"{name}[*] — nnstudio", (w.windowTitle(), name)
    assert w.isWindowModified() == s.dirty
    if s.network is None:
        assert s.state.weights is None
    else:
        mine, net = s.state.weights, s.network.get_weights()
        assert mine is not None and mine.keys() == net.keys()
        assert all(np.array_equal(mine[k], net[k]) for k in net), "the state's weights differ"
    stack = s.undo_stack
    assert 0 <= stack.index() <= stack.count()
    assert w.actions_.undo.isEnabled() == stack.canUndo()
    assert w.actions_.redo.isEnabled() == stack.canRedo()
    assert len(running_workers()) <= 3, [x.name for x in running_workers()]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_actions_leave_the_window_sound(qtbot, window, seed):
    w = window
    c = w.controller
    c.apply_settings(epochs=3)
    done = run_actions(w, qtbot, 50, seed, lambda: assert_sound(w))
    qtbot.mouseClick(w.commands.toolbar.widgetForAction(w.actions_.stop), Qt.MouseButton.LeftButton)
    assert c.wait_idle(20000), f"training did not stop after {done}"
    assert c.data.wait(20000), f"loading did not end after {done}"
    assert_sound(w)
    assert w.session.training_state in ("idle", "stopped", "finished", "error")
    pid = c.process.pid
    w.close()
    assert not w.isVisible()
    assert not running_workers()
    assert pid is None or gone(pid)


@pytest.mark.parametrize("button, then", [("pause", "finished"), ("stop", "finished"),
                                          ("play", "running"), ("step", "paused")])
def test_a_button_pressed_as_a_run_ends(qtbot, window, button, then):
    """The moment a run's last message comes (its pump's thread may still be ending), the
    run is over: Pause and Stop change nothing, Play and Step start the next run at once,
    and the window never says running or paused without a run."""
    w = window
    c = w.controller
    c.apply_settings(epochs=1)
    seen: list[tuple[bool, str]] = []
    widget = w.commands.toolbar.widgetForAction(getattr(w.actions_, button))

    def press_now(_history) -> None:
        if seen:
            return
        seen.append((c.running, w.session.training_state))
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    c.finished.connect(press_now)
    qtbot.mouseClick(w.commands.toolbar.widgetForAction(w.actions_.play),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen), timeout=30000)
    assert seen[0] == (False, "finished")  # over, though its thread may still be ending
    if then in ("running", "paused"):  # the next run started
        assert c.running and w.session.training_state == then
        qtbot.mouseClick(w.commands.toolbar.widgetForAction(w.actions_.stop),
                         Qt.MouseButton.LeftButton)
    assert c.wait_idle(20000)
    if then not in ("running", "paused"):
        assert w.session.training_state == then
    else:
        assert w.session.training_state in ("stopped", "finished")
    w.close()


def test_a_step_the_run_never_saw_is_done_after_it(qtbot, window, monkeypatch):
    """Step pressed after the training loop's last batch but before the window heard that
    the run ended reaches no run: once it has ended, a new run does the step."""
    import threading

    from nnstudio.core.trainprotocol import Finished
    from nnstudio.gui.train import controller as controller_module

    arrived, go_on = threading.Event(), threading.Event()
    real_pump = controller_module.pump

    def held_pump(process, run_id):  # holds the run's last message until the test says
        for msg in real_pump(process, run_id):
            if isinstance(msg, Finished) and not arrived.is_set():
                arrived.set()
                go_on.wait(20)
            yield msg

    monkeypatch.setattr(controller_module, "pump", held_pump)  # looked up at each Play
    w = window
    c = w.controller
    c.apply_settings(epochs=1)
    bar, a = w.commands.toolbar, w.actions_
    qtbot.mouseClick(bar.widgetForAction(a.play), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(arrived.is_set, timeout=30000)
    assert c.running and w.session.training_state == "running"  # the window has not heard
    qtbot.mouseClick(bar.widgetForAction(a.step), Qt.MouseButton.LeftButton)
    plots, points = w.train_view.plots, []
    c.finished.connect(lambda _history: points.append(plots.n_points))
    go_on.set()
    qtbot.waitUntil(lambda: c.running and w.session.training_state == "paused",
                    timeout=20000)
    qtbot.waitUntil(lambda: bool(points) and plots.n_points == points[0] + 1, timeout=20000)
    qtbot.mouseClick(bar.widgetForAction(a.stop), Qt.MouseButton.LeftButton)
    assert c.wait_idle(20000)
    w.close()
