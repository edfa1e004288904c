"""The course's worked examples on the Inside page, driven through the real widgets:
car prices in dollars, the optimizer's honest next step, the rolling ball, backprop."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from nnstudio.core.templates import get_template
from nnstudio.data.dataset import Dataset
from nnstudio.data.sources import load_source
from nnstudio.gui.inside.estimates import EstimatesView
from nnstudio.gui.session import Session
from nnstudio.gui.snapshot import Snapshot
from nnstudio.state import RunState

pytest.importorskip("pytestqt")


def _click_check(qtbot, box) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _cells(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_car_prices_read_in_dollars_and_update_live(qtbot) -> None:
    s = Session(get_template("linear"))
    s.set_dataset(load_source("cars:raw"))
    s.set_weights({"fc1/W": np.ones((3, 1), np.float32), "fc1/b": np.zeros(1, np.float32)})
    view = EstimatesView(s)
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    view.refresh_now()
    assert view.message == ""
    rows = _cells(view.table)
    assert [r[0] for r in rows] == ["A", "B", "C"]
    assert rows[0][1:4] == ["75,000.0", "2,500.0", "4.8"]
    assert [r[4] for r in rows] == ["$100,000.0", "$65,000.0", "$40,000.0"]
    assert [r[5] for r in rows] == ["$77,504.8", "$49,504.3", "$34,003.9"]
    assert [r[6] for r in rows] == ["$22,495.2", "$15,495.7", "$5,996.1"]
    assert "260,701,318.9 $²" in view.cost.text() and "m = 3" in view.cost.text()
    view.grab().save("/tmp/estimates_dollars.png")
    # standardised, as gradient descent sees them, with the reason
    _click_check(qtbot, view.standardised)
    assert view.standardised.isChecked()
    std = _cells(view.table)
    assert "$" not in "".join(std[0]) and "$²" not in view.cost.text()
    assert float(std[0][1]) == pytest.approx(1.32, abs=0.01)    # car A's cost of production
    assert "Gradient descent needs standardised numbers" in view.why.text()
    _click_check(qtbot, view.standardised)
    # a training snapshot moves the estimates and the cost at once
    before = view.cost.text()
    w = s.network.get_weights()
    w["fc1/b"] = np.array([10_000.0], np.float32)
    s.apply_snapshot(Snapshot(weights=w))
    qtbot.waitUntil(lambda: view.cost.text() != before, timeout=10000)
    assert _cells(view.table)[0][5] == "$87,504.8"


def test_estimates_speak_of_regression_only(qtbot) -> None:
    s = Session(get_template("mlp"))
    view = EstimatesView(s)
    qtbot.addWidget(view)
    s.set_dataset(load_source("toy:circle"))
    view.refresh_now()
    assert "regression" in view.message


def _digits(n: int = 60) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("digits", rng.random((n, 8, 8), dtype=np.float32),
                   rng.integers(0, 3, n), "classification", ["0", "1", "2"])


def test_regression_errors_speak_of_estimates_and_dollars(qtbot) -> None:
    from nnstudio.core.network import Network
    from nnstudio.core.training import TrainConfig, Trainer
    from nnstudio.gui.inside import InsightPanel

    ds = load_source("cars:200")
    s = Session(get_template("linear"))
    s.set_dataset(ds)
    net = Network(s.design)
    Trainer(net, ds.x, ds.y, TrainConfig(epochs=30, batch_size=16, lr=0.05,
                                         optimizer="sgd")).run()
    s.set_weights(net.get_weights())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    panel.resize(1000, 640)
    panel.show()
    tabs = panel.tabs
    assert tabs.tabText(tabs.indexOf(panel.views["evaluationView"])) == "Errors"
    view = panel.views["evaluationView"]
    panel.show_view("evaluationView")
    view.refresh_now()
    view.job.run_to_end()
    hint = view.hint_label.text() + view.summary.text()
    assert "image" not in hint and "class" not in hint and "mistake" not in hint.lower()
    assert "Average error <b>$" in view.summary.text() and "test cars" in view.summary.text()
    assert view.cm_plot.getAxis("bottom").labelText.startswith("estimated price")
    assert view.bar_plot.getAxis("bottom").labelText.startswith("error: true − estimate")
    assert not view.gallery.isVisible() and not view.all_mistakes.isVisible()
    assert view.title_label.text() == "Errors"
    assert len(view.bars.opts["height"]) > 0
    panel.grab().save("/tmp/errors_regression.png")
    # back to digits: the words of classification come back
    s.set_design(get_template("mlp"))
    s.set_dataset(_digits())
    assert tabs.tabText(tabs.indexOf(view)) == "Mistakes"


def test_a_new_task_clears_the_curves_of_the_old_one(qtbot) -> None:
    from nnstudio.gui.train.view import TrainView

    s = Session(get_template("mlp"))
    s.set_dataset(_digits())
    view = TrainView(s)
    qtbot.addWidget(view)
    view.show()
    for i in range(3):
        s.apply_snapshot(Snapshot(batch_loss=np.array([2.0 - i / 10], np.float32),
                                  batch_accuracy=np.array([0.3], np.float32),
                                  batch_index=np.array([i])))
    view.plots.new_run("second run")
    s.apply_snapshot(Snapshot(batch_loss=np.array([1.0], np.float32),
                              batch_accuracy=np.array([0.5], np.float32),
                              batch_index=np.array([3])))
    assert view.plots.n_points == 1 and view.plots.n_earlier_runs == 1
    assert view.acc_card.isVisible() and view.plots.acc_plot.isVisible()
    s.set_design(get_template("linear"))
    s.set_dataset(load_source("cars"))
    assert view.plots.n_points == 0 and view.plots.n_earlier_runs == 0
    assert "cleared" in view.message.text() and "digits" in view.message.text()
    assert not view.acc_card.isVisible() and not view.plots.acc_plot.isVisible()
    assert "mean squared error" in view.cost_card.toolTip()
    # the same task on other data keeps its curves
    s.apply_snapshot(Snapshot(batch_loss=np.array([0.5], np.float32),
                              batch_accuracy=np.array([np.nan], np.float32),
                              batch_index=np.array([0])))
    s.set_dataset(load_source("cars:raw"))
    assert view.plots.n_points == 1
    qtbot.wait(50)
    view.grab().save("/tmp/train_regression.png")


def _cost_view(qtbot, optimizer: str, lr: float):
    from nnstudio.gui.inside.cost import CostSurfaceView
    from nnstudio.gui.train.controller import TrainingController

    s = Session(get_template("linear"))
    s.set_dataset(load_source("cars:20"))
    controller = TrainingController(s)
    controller.apply_settings(optimizer=optimizer, lr=lr)
    view = CostSurfaceView(s)
    qtbot.addWidget(view)
    view.resize(1000, 520)
    view.refresh_now()
    view.job.run_to_end()
    view.refresh_now()
    return s, view


def test_the_cost_surface_predicts_the_step_of_the_optimizer_in_use(qtbot) -> None:
    from nnstudio.core.insight.steps import OptimizerState
    from nnstudio.core.network import Network
    from nnstudio.core.training import TrainConfig, Trainer

    s, view = _cost_view(qtbot, "sgd", 0.05)
    slope = view.line.slope
    shown = f"({slope:.4g})" if slope < 0 else f"{slope:.4g}"
    assert f"Next step = −0.05 × {shown} = <b>{-0.05 * slope:.4g}</b>" in view.status.text()
    # Adam, fresh: about the learning rate whatever the slope, and said plainly
    s, view = _cost_view(qtbot, "adam", 1e-3)
    text = view.status.text()
    assert "Adam is not plain gradient descent" in text
    step = "-0.001" if view.line.slope > 0 else "0.001"
    assert f"next step at the start of a new run is <b>{step}</b>" in text
    # Adam in the middle of a run: the step from its real memory, as the optimizer takes it
    ds = s.dataset
    net = Network(s.design)
    net.set_weights(s.network.get_weights())
    trainer = Trainer(net, ds.x, ds.y, TrainConfig(epochs=2, batch_size=5, lr=1e-3,
                                                   optimizer="adam", val_split=0))
    trainer.run()
    s.state.run_state = RunState("paused")
    s.apply_snapshot(Snapshot(weights=net.get_weights(),
                              optimizer=OptimizerState.of(trainer.optimizer)))
    view.refresh_now()
    view.job.run_to_end()
    view.refresh_now()
    text = view.status.text()
    assert f"after {trainer.optimizer.t} steps of this run" in text
    name, flat = view.landscape.picks[0]
    for p in net.parameters():                          # what the real optimizer does
        p.grad[...] = 0
    param = next(p for p in net.parameters() if p.name == name)
    param.grad.reshape(-1)[flat] = view.line.slope
    before = float(param.value.reshape(-1)[flat])
    trainer.optimizer.step()
    moved = float(param.value.reshape(-1)[flat]) - before
    shown = float(text.split("steps of this run is <b>")[1].split("</b>")[0])
    assert shown == pytest.approx(moved, rel=2e-3)
    view.grab().save("/tmp/cost_adam.png")
    s.state.run_state = RunState("stopped")
    assert s.optimizer_state is None                    # the next run starts fresh


def test_the_ball_rolls_with_the_chosen_learning_rate(qtbot) -> None:
    from PySide6.QtTest import QTest

    from nnstudio.gui.inside.roll import RollView

    view = RollView(Session(get_template("linear")))
    qtbot.addWidget(view)
    view.resize(1000, 520)
    view.show()

    def roll_with(rate: str, start: str) -> str:
        for box, text in ((view.rate, rate), (view.start, start)):
            box.lineEdit().selectAll()
            QTest.keyClicks(box.lineEdit(), text)
            QTest.keyClick(box.lineEdit(), Qt.Key.Key_Return)
        qtbot.mouseClick(view.roll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not view.rolling, timeout=10000)
        return view.verdict.text()

    assert "moved only" in roll_with("0.002", "-0.3")          # crawls
    assert "global minimum" in roll_with("0.1", "-0.3")
    assert abs(view.path[-1] + 2.35) < 0.01
    assert "jumping from one side of the valley" in roll_with("0.5", "-0.3")
    assert "flew off the curve" in roll_with("1", "-0.3")
    text = roll_with("0.05", "3.2")                              # the wrong side of the hill
    assert "a local minimum" in text and "w = 2.10" in text and "w = -2.35" in text
    view.grab().save("/tmp/roll_local.png")
    # one step at a time shows the arithmetic
    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    assert view.verdict.text().startswith("Step 1: slope") and len(view.path) == 2


def test_backprop_lists_gradients_checks_and_the_update(qtbot) -> None:
    from PySide6.QtTest import QTest

    from nnstudio.gui.inside.backprop import BackpropView
    from nnstudio.gui.train.controller import TrainingController

    s = Session(get_template("linear"))
    s.set_dataset(load_source("cars:40"))
    controller = TrainingController(s)
    controller.apply_settings(optimizer="sgd", lr=0.05)
    controller.apply_settings(batch_size=8)
    view = BackpropView(s)
    qtbot.addWidget(view)
    view.resize(1100, 560)
    view.show()
    view.refresh_now()
    assert view.message == ""
    rows = _cells(view.table)
    assert [(r[0], r[1], r[2]) for r in rows] == [("fc1", "dW", "3 × 1"), ("fc1", "db", "1")]
    for r in rows:                                    # sgd: the update is −lr × gradient
        grad = [float(v) for v in r[3].split(", ")]
        update = [float(v) for v in r[4].split(", ")]
        assert update == pytest.approx([-0.05 * g for g in grad], rel=1e-3, abs=1e-9)
    checks = _cells(view.checks)
    assert [c[0] for c in checks] == ["fc1/W", "fc1/W", "fc1/b"]   # the largest of each
    assert all(float(c[4]) < 1e-3 for c in checks)
    assert "samples 1–8 of 40" in view.batch_text.text()
    loss_first = view.summary.text()
    view.batch.lineEdit().selectAll()
    QTest.keyClicks(view.batch.lineEdit(), "2")
    QTest.keyClick(view.batch.lineEdit(), Qt.Key.Key_Return)
    assert "samples 17–24 of 40" in view.batch_text.text()
    assert view.summary.text() != loss_first
    qtbot.wait(50)
    view.grab().save("/tmp/backprop.png")


def test_backprop_of_a_cnn_is_computed_in_the_background(qtbot) -> None:
    """A CNN's batch takes a third of a second: the view says it is computing and the window
    goes on; asking for another batch meanwhile shows only the newest one."""
    from PySide6.QtTest import QTest

    from nnstudio.gui.inside.backprop import BackpropView

    s = Session(get_template("cnn"))
    s.set_dataset(load_source("synthetic:64"))
    view = BackpropView(s)
    qtbot.addWidget(view)
    view.resize(1100, 560)
    view.show()
    weights = s.network.get_weights()
    view.refresh_now()
    assert view.computing and "Computing" in view.summary.text()
    view.batch.lineEdit().selectAll()
    QTest.keyClicks(view.batch.lineEdit(), "1")  # the next batch, before the first is done
    QTest.keyClick(view.batch.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.computing, timeout=30000)
    assert view.report is not None and view.report.samples == (16, 32)
    assert "samples 17–32 of 64" in view.batch_text.text()
    assert [r[0] for r in _cells(view.table)][:2] == ["conv1", "conv1"]
    assert "Loss on this batch" in view.summary.text()
    for name, w in s.network.get_weights().items():  # the session's network was not touched
        np.testing.assert_array_equal(w, weights[name])


def test_the_seven_steps_are_named_where_they_happen(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from nnstudio.gui import MainWindow

    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    s = Session(get_template("linear"))
    s.set_dataset(load_source("cars:200"))
    w = MainWindow(s, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   data=None)
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    c = w.controller
    c.apply_settings(optimizer="sgd", lr=0.01, epochs=200)
    steps = w.train_view.steps
    bar = w.commands.toolbar

    def press(action) -> None:
        qtbot.mouseClick(bar.widgetForAction(action), Qt.MouseButton.LeftButton)

    try:
        press(w.actions_.reset)
        assert steps.current == 1 and "new random weights" in steps.detail.text()
        before = s.network.get_weights()
        press(w.actions_.step)
        seen = []
        qtbot.waitUntil(lambda: seen.append(steps.current) or (
            steps.current == 5 and "largest change" in steps.detail.text()), timeout=15000)
        assert {2, 3, 4, 5} <= set(seen)
        after = s.network.get_weights()
        name, delta = max(((k, after[k] - before[k]) for k in after),
                          key=lambda kv: float(np.abs(kv[1]).max()))
        flat = int(np.abs(delta).argmax())
        assert f"{name}[" in steps.detail.text()
        assert f"by {float(delta.flat[flat]):+.4g}" in steps.detail.text()
        assert "sgd, learning rate 0.01" in steps.detail.text()
        w.train_view.grab().save("/tmp/sgd_steps.png")
        press(w.actions_.play)
        assert steps.current == 6
        qtbot.waitUntil(lambda: w.train_view.plots.n_points > 3, timeout=15000)
        press(w.actions_.stop)
        assert steps.current == 7 and "kept" in steps.detail.text()
        assert c.wait_idle(10000)
    finally:
        c.shutdown(5000)
