"""Training through the window's real actions, in the real training process, with tiny data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.design import Design
from nnstudio.data.dataset import Dataset

#: the window on the tiny design and 2,000 samples, shown
pytestmark = pytest.mark.window(data=2000, show=True, size=(1200, 800))


@pytest.fixture
def window(window):
    """The shared window with batches of 16 and 3 epochs, set in the Training panel."""
    window.training_panel.batch_spin.setValue(16)
    window.training_panel.epochs_spin.setValue(3)
    assert (window.controller.config.batch_size, window.controller.config.epochs) == (16, 3)
    return window


def _wait(qtbot, cond, timeout=10000):
    qtbot.waitUntil(cond, timeout=timeout)


def test_play_trains_and_plots_receive_points(window, qtbot):
    w = window
    plots = w.train_view.plots
    before = {k: v.copy() for k, v in w.session.network.get_weights().items()}
    w.findChild(type(w.actions_.play), "actionPlay").trigger()
    assert w.session.training_state == "running"
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        pass
    assert w.session.training_state == "finished"
    assert plots.n_points > 50 and plots.n_epoch_points == 3
    qtbot.waitUntil(lambda: plots.redraws >= 1, timeout=10000)  # the ~30 Hz redraw timer
    assert plots.c_smooth.getData()[0] is not None and len(plots.c_smooth.getData()[0]) > 0
    after = w.session.network.get_weights()
    assert any(not np.allclose(before[k], after[k]) for k in before)
    assert w.session.history is not None and len(w.session.history.epochs) == 3
    assert w.session.dirty and w.isWindowModified()
    assert "Epoch 3" in w.status.epoch.text()
    assert w.train_view.acc_card.text().endswith("%")


def test_pause_step_and_resume(window, qtbot):
    w = window
    c = w.controller
    c.apply_settings(epochs=50)
    w.actions_.play.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points > 5)
    w.actions_.pause.trigger()
    assert w.session.training_state == "paused"
    assert not w.actions_.pause.isEnabled() and w.actions_.play.isEnabled()
    qtbot.wait(200)
    n = w.train_view.plots.n_points
    qtbot.wait(300)
    assert w.train_view.plots.n_points == n, "paused training kept producing batches"
    w.actions_.step.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points == n + 1)
    qtbot.wait(200)
    assert w.train_view.plots.n_points == n + 1
    assert w.session.training_state == "paused"
    w.actions_.play.trigger()
    assert w.session.training_state == "running"
    _wait(qtbot, lambda: w.train_view.plots.n_points > n + 20)
    w.actions_.stop.trigger()
    assert c.wait_idle(10000)
    assert w.session.training_state == "stopped"


def test_step_from_idle_trains_exactly_one_batch(window, qtbot):
    w = window
    w.actions_.step.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points == 1)
    qtbot.wait(200)
    assert w.train_view.plots.n_points == 1
    assert w.session.training_state == "paused"
    assert w.controller.running
    w.actions_.stop.trigger()
    assert w.controller.wait_idle(10000)


def test_step_epoch_pauses_at_epoch_end(window, qtbot):
    w = window
    w.findChild(type(w.actions_.play), "actionStepEpoch").trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_epoch_points == 1)
    _wait(qtbot, lambda: w.session.training_state == "paused")
    qtbot.wait(200)
    assert w.train_view.plots.n_epoch_points == 1
    w.actions_.stop.trigger()
    assert w.controller.wait_idle(10000)


def test_stop_keeps_weights_and_reset_starts_fresh(window, qtbot):
    w = window
    c = w.controller
    c.apply_settings(epochs=100)
    w.actions_.play.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points > 20)
    w.actions_.stop.trigger()
    assert c.wait_idle(10000)
    trained = w.session.network.get_weights()
    assert w.session.training_state == "stopped"
    w.findChild(type(w.actions_.play), "actionReset").trigger()
    fresh = w.session.network.get_weights()
    assert any(not np.allclose(trained[k], fresh[k]) for k in trained)
    assert w.session.training_state == "idle"
    plots = w.train_view.plots
    assert plots.n_points == 0 and plots.n_earlier_runs == 1
    w.train_view.clear_button.click()
    assert plots.n_earlier_runs == 0


def test_reset_while_running_stops_first(window, qtbot):
    w = window
    w.controller.apply_settings(epochs=100)
    w.actions_.play.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points > 5)
    w.actions_.reset.trigger()
    assert not w.controller.running
    assert w.session.training_state == "idle"


def test_space_toggles_play_and_pause(window, qtbot):
    w = window
    w.controller.apply_settings(epochs=100)
    act = w.findChild(type(w.actions_.play), "actionPlayPause")
    assert act.shortcut().toString() == "Space"
    act.trigger()
    assert w.session.training_state == "running"
    act.trigger()
    assert w.session.training_state == "paused"
    w.actions_.stop.trigger()
    assert w.controller.wait_idle(10000)


def test_live_learning_rate_and_batch_size(window, qtbot):
    w = window
    w.controller.apply_settings(epochs=100)
    panel = w.training_panel
    w.actions_.play.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points > 5)
    panel.lr_spin.setValue(0.02)
    panel.batch_spin.setValue(64)
    _wait(qtbot, lambda: abs(w.train_view.plots._run.batch_lr.y[-1] - 0.02) < 1e-6)
    w.actions_.stop.trigger()
    assert w.controller.wait_idle(10000)
    assert w.controller.config.lr == pytest.approx(0.02)
    assert w.controller.config.batch_size == 64


def test_a_training_process_killed_mid_run_is_shown_and_app_stays_usable(window, qtbot):
    import os
    import signal

    w = window
    w.controller.apply_settings(epochs=100000)
    plots = w.train_view.plots
    w.actions_.play.trigger()
    qtbot.waitUntil(lambda: plots.n_points > 5 and w.controller.process.pid is not None,
                    timeout=30000)
    shown = {k: v.copy() for k, v in w.session.network.get_weights().items()}
    with qtbot.waitSignal(w.controller.errored, timeout=10000) as blocker:
        os.kill(w.controller.process.pid, signal.SIGKILL)   # as the system would end it
    assert "ended unexpectedly" in blocker.args[0]
    assert w.controller.wait_idle(10000)
    assert w.session.training_state == "error"
    box = w.findChild(QMessageBox, "trainingErrorBox")
    assert box is not None and "ended unexpectedly" in box.text()
    assert "ended unexpectedly" in w.train_view.message.text()
    kept = w.session.network.get_weights()
    assert kept.keys() == shown.keys()
    box.close()
    w.controller.apply_settings(epochs=1)
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.actions_.play.trigger()
    assert w.session.training_state == "finished"


def test_divergence_message_says_what_to_do(window, qtbot):
    w = window
    d = Design("line")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 1, "activation": "linear"}, node_id="fc")
    d.add_node("Output", {"loss": "mse"}, node_id="out")
    d.connect("in", "fc")
    d.connect("fc", "out")
    w.session.set_design(d)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype(np.float32) * 1e3
    w.session.set_dataset(Dataset("steep", x, (x.sum(1, keepdims=True) * 1e3).astype(np.float32),
                                  "regression", []))
    w.training_panel.optimizer_combo.setCurrentIndex(
        w.training_panel.optimizer_combo.findData("sgd"))
    w.training_panel.lr_spin.setValue(10.0)
    with qtbot.waitSignal(w.controller.errored, timeout=10000) as blocker:
        w.actions_.play.trigger()
    assert w.controller.wait_idle(10000)
    assert "learning rate" in blocker.args[0]
    assert w.session.training_state == "error"
    weights = w.session.network.get_weights()
    assert all(np.isfinite(v).all() for v in weights.values())


def test_invalid_design_refuses_with_the_reason(window, qtbot):
    w = window
    d = Design("broken")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    w.session.set_design(d)
    with qtbot.waitSignal(w.controller.errored, timeout=10000) as blocker:
        w.actions_.play.trigger()
    assert not w.controller.running and w.session.training_state != "running"
    # the message names the layers at fault and says what to do
    assert "Input 'in' is not connected" in blocker.args[0]
    assert "Design page" in blocker.args[0]


def test_mismatched_data_refuses_with_the_reason(window, qtbot):
    w = window
    w.session.set_dataset(Dataset("imgs", np.zeros((10, 4, 4), np.float32),
                                  np.zeros(10, np.int64), "classification", ["a", "b"]))
    with qtbot.waitSignal(w.controller.errored, timeout=10000) as blocker:
        w.actions_.play.trigger()
    assert "4×4" in blocker.args[0] and not w.controller.running


def test_closing_while_training_stops_promptly(window, qtbot, discard):
    w = window
    w.controller.apply_settings(epochs=1000)
    w.actions_.play.trigger()
    _wait(qtbot, lambda: w.train_view.plots.n_points > 5)
    t0 = time.perf_counter()
    assert w.close()
    assert time.perf_counter() - t0 < 5
    assert not w.controller.running
    assert "saveChangesBox" in discard  # the trained weights were offered for saving


def test_fine_tune_trains_current_weights(tiny_data, window, qtbot):
    w = window
    before = w.session.network.get_weights()
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.controller.fine_tune(tiny_data(200, seed=3), epochs=2, lr=0.01)
    after = w.session.network.get_weights()
    assert any(not np.allclose(before[k], after[k]) for k in before)
    assert w.train_view.plots.n_epoch_points == 2


def test_the_image_size_list_follows_whoever_changes_the_size(window, qtbot):
    """Data loaded at 16×16 by something other than the panel (a lesson, the Design page's
    offer) shows 16×16 in the panel's list; choosing 28×28 there loads 28×28 digits."""
    combo, data = window.training_panel.size_combo, window.controller.data
    assert combo.currentData() == 28
    with qtbot.waitSignal(data.loaded, timeout=30000):
        data.load("synthetic:60", 16)
    assert combo.currentData() == 16 and window.session.dataset.sample_shape == (16, 16)
    combo.setFocus()
    with qtbot.waitSignal(data.loaded, timeout=30000):  # the person picks 28×28 in the list
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert data.image_size == 28 and window.session.dataset.sample_shape == (28, 28)
    data.restore("synthetic:60", 16)
    assert combo.currentData() == 16
