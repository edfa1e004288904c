"""The Inside views as the lessons use them, opened from the Lessons page as a person does."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.core.insight.cost import cost_curve
from nnstudio.core.network import Network
from tests.gui.test_lessons import click_toolbar, open_lesson, own_data, own_design, settle

pytest.importorskip("pytestqt")

#: the person's window of the lesson tests
pytestmark = pytest.mark.window(design=own_design(), data=own_data(), show=True,
                                size=(1400, 900))


def curve_of_the_network_now(view, session) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The drawn curve (x, cost) and the cost along the same x computed by the engine from
    the session's weights, on the lesson's 200 training samples (all of them)."""
    xs, ys = view.curve.getData()
    net = Network(session.design)
    net.set_weights(session.network.get_weights())
    ds = session.dataset
    pick = view.picks[view.pick_x.currentIndex()]
    return xs, ys, cost_curve(net, ds.x.reshape(ds.n, *net.input_shape), ds.y, pick, xs)


def finished(view) -> bool:
    return (not view.job.running and view.line is not None
            and "Computing" not in view.status.text())


def test_lesson_4_cost_view_finishes_drops_the_earlier_curve_and_follows_the_ball(
        qtbot, window) -> None:
    s = window.session
    page = open_lesson(qtbot, window, "04-gradient-descent")
    settle(qtbot, window)
    view = window.pages["insidePage"].views["costView"]
    assert view.isVisible() and s.dataset.n == 200
    # the app is idle: the landscape and the curve are computed, and it says so
    qtbot.waitUntil(lambda: finished(view), timeout=20000)
    # a weight's name longer than its box shows from its start: its layer, then the input
    across = view.pick_x.lineEdit()
    assert across.text().startswith("fc1 weight of") and across.cursorPosition() == 0
    click_toolbar(qtbot, window, "actionPlay")                      # step 1: a tiny step
    qtbot.waitUntil(lambda: page.card.met, timeout=40000)
    qtbot.waitUntil(lambda: s.training_state != "running", timeout=20000)
    qtbot.waitUntil(lambda: finished(view), timeout=20000)
    xs, ys, engine = curve_of_the_network_now(view, s)
    np.testing.assert_allclose(ys, engine, rtol=1e-4)
    step1_w = float(s.network.get_weights()["fc1/W"].reshape(-1)[0])
    assert 0 < step1_w < 0.2                                        # it hardly moved

    qtbot.mouseClick(page.card.next_button, Qt.MouseButton.LeftButton)   # step 2: weights 0
    settle(qtbot, window)
    assert not s.network.get_weights()["fc1/W"].any()
    # the curve of the earlier weights is gone: what is drawn is the new weights' own
    qtbot.waitUntil(lambda: finished(view), timeout=20000)
    xs, ys, engine = curve_of_the_network_now(view, s)
    np.testing.assert_allclose(ys, engine, rtol=1e-4)
    assert view.line.w == 0.0

    click_toolbar(qtbot, window, "actionPlay")                      # a good step
    qtbot.waitUntil(lambda: page.card.met, timeout=40000)
    qtbot.waitUntil(lambda: s.training_state != "running", timeout=20000)
    qtbot.waitUntil(lambda: finished(view), timeout=20000)
    ball = float(s.network.get_weights()["fc1/W"].reshape(-1)[0])
    assert ball > 0.6                                               # it rolled well past 0.5
    xs, ys, engine = curve_of_the_network_now(view, s)
    np.testing.assert_allclose(ys, engine, rtol=1e-4)
    lo, hi = view.curve_plot.viewRange()[0]
    assert lo < ball < hi and xs[0] < ball < xs[-1]                 # the slice holds the ball
    mx, my = view.map.viewRange()
    path = view.weight_path()
    assert mx[0] < path[-1, 0] < mx[1] and my[0] < path[-1, 1] < my[1]
    assert view.line.w == pytest.approx(ball)
    assert view.behind_note == ""                                   # its picture is current
