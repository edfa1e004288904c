"""The Train page as a newcomer reads it while training: a speed that follows the run, one
wording on the cards and in the status bar, a total that stays put, an error that ends with
its cause, legends beside the curves rather than on them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QSpinBox, QToolBar

from nnstudio.core.design import Design
from nnstudio.core.templates import get_template
from nnstudio.data.dataset import Dataset
from nnstudio.gui.session import Session
from nnstudio.limits import format_bytes
from tests.gui.gestures import set_units

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def open_window(qtbot, tmp_path, monkeypatch, design: Design, dataset: Dataset | None = None):
    """A shown main window on ``design`` and ``dataset``; 'Discard' answers every question."""
    from nnstudio.gui import MainWindow

    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)   # error boxes stay closed
    session = Session(design)
    if dataset is not None:
        session.set_dataset(dataset)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(session, settings=settings, data=None)
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def blobs_window(qtbot, tmp_path, monkeypatch, tiny_design, tiny_data):
    """The tiny classifier on 400 points: epochs of a few milliseconds."""
    w = open_window(qtbot, tmp_path, monkeypatch, tiny_design(), tiny_data(400))
    yield w
    w.controller.shutdown(5000)


def click_action(w, action) -> None:
    """Click ``action``'s button on the toolbar."""
    bar = w.findChild(QToolBar, "mainToolBar")
    QTest.mouseClick(bar.widgetForAction(action), LEFT)


def type_into(spin, text: str) -> None:
    """Select the spin box's text and type ``text`` and Return, as a person does."""
    spin.setFocus()
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin.lineEdit(), text)
    QTest.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def number(text: str) -> float:
    return float(text.replace(",", ""))


# ---------------------------------------------------------------------- speed
def test_the_speed_card_follows_the_run_and_says_when_it_has_no_measure(qtbot, blobs_window):
    w = blobs_window
    card, status = w.train_view.speed_card, w.status.speed
    assert card.text() == "–" and "while training" in card.detail.text()
    assert status.text() == "no speed yet"
    type_into(w.training_panel.findChild(QSpinBox, "batchSizeSpin"), "64")
    type_into(w.training_panel.findChild(QSpinBox, "epochsSpin"), "2000")
    shown: list[str] = []
    w.session.snapshotApplied.connect(lambda _snap: shown.append(card.text()))
    click_action(w, w.actions_.play)
    assert card.text() == "measuring…" and status.text() == "measuring speed…"
    # epochs of a few milliseconds: the speed still moves with the run
    qtbot.waitUntil(lambda: len({t for t in shown if t[0].isdigit()}) >= 4, timeout=30000)
    assert re.fullmatch(r"[\d,]+", card.text()) and number(card.text()) > 0
    assert status.text() == f"{card.text()} samples/s"   # one measure, shown twice
    click_action(w, w.actions_.stop)
    assert w.controller.wait_idle(10000)
    assert re.fullmatch(r"[\d,]+", card.text()) and "last run" in card.detail.text()
    click_action(w, w.actions_.reset)
    assert card.text() == "–" and status.text() == "no speed yet"


def test_the_speed_meter_measures_the_recent_seconds():
    from nnstudio.gui.train.progress import SpeedMeter

    meter = SpeedMeter(window=2.0)
    meter.reset()
    assert meter.rate is None
    for i in range(1, 101):            # 10 s at 1,000 samples a second
        meter.add(i * 0.1, i * 100)
    assert meter.rate == pytest.approx(1000.0)
    for i in range(1, 41):             # then 4 s at 100 a second
        meter.add(10 + i * 0.1, 10000 + i * 10)
    assert meter.rate == pytest.approx(100.0)
    meter.add(14.0, 10400)             # a pause's or an epoch end's report: nothing new
    assert meter.rate == pytest.approx(100.0)
    meter.add(0.5, 200)                # a new run begins
    assert meter.rate == pytest.approx(400.0)


# ---------------------------------------------------------------------- words and totals
def test_a_perceptron_counts_passes_alike_everywhere_and_its_total_stays(qtbot, tmp_path,
                                                                       monkeypatch):
    w = open_window(qtbot, tmp_path, monkeypatch, get_template("perceptron"))
    try:
        view = w.train_view
        with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
            w.training_panel.choose_dataset("perceptron")   # AND: a line separates it
        with qtbot.waitSignal(w.controller.finished, timeout=20000):
            click_action(w, w.actions_.play)
        assert w.controller.last_outcome["kind"] == "separated"
        passes = len(w.session.history.epochs)
        assert view.epoch_card.caption.text() == "Pass"
        assert view.epoch_card.text() == f"{passes} of 100"
        assert w.status.epoch.text() == f"Pass {passes} of 100"
        assert w.status.batch.text().startswith("Sample ")
        assert view.epoch_card.detail.text().startswith("sample ")
        # Step one pass after the rule stopped: the same plan goes on, the total stays
        for more in (1, 2):
            with qtbot.waitSignal(w.controller.finished, timeout=20000):
                click_action(w, w.actions_.step_epoch)
            assert view.epoch_card.text() == f"{passes + more} of 100"
            assert w.status.epoch.text() == f"Pass {passes + more} of 100"
    finally:
        w.controller.shutdown(5000)


def test_play_after_stop_goes_on_to_the_same_total(qtbot, blobs_window):
    w = blobs_window
    view = w.train_view
    type_into(w.training_panel.findChild(QSpinBox, "epochsSpin"), "150")
    click_action(w, w.actions_.play)
    qtbot.waitUntil(lambda: view.plots.n_epoch_points >= 2, timeout=20000)
    click_action(w, w.actions_.stop)
    assert w.controller.wait_idle(10000)
    done = len(w.session.history.epochs)
    assert 2 <= done < 150 and view.epoch_card.text().endswith(" of 150")
    assert "Play goes on to epoch 150" in view.message.text()
    totals: set[str] = set()
    w.session.snapshotApplied.connect(lambda _s: totals.add(w.status.epoch.text().split()[-1]))
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        click_action(w, w.actions_.play)
    assert totals == {"150"}
    assert len(w.session.history.epochs) == 150 and view.epoch_card.text() == "150 of 150"
    # once the plan is done, Play trains the Epochs setting again
    type_into(w.training_panel.findChild(QSpinBox, "epochsSpin"), "5")
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        click_action(w, w.actions_.play)
    assert view.epoch_card.text() == "155 of 155"


# ---------------------------------------------------------------------- the error state
def steep_line() -> tuple[Design, Dataset]:
    """A linear model on data so steep that a large learning rate blows it up."""
    d = Design("line")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 1, "activation": "linear"}, node_id="fc")
    d.add_node("Output", {"loss": "mse"}, node_id="out")
    d.connect("in", "fc")
    d.connect("fc", "out")
    x = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32) * 1e3
    y = (x.sum(1, keepdims=True) * 1e3).astype(np.float32)
    return d, Dataset("steep", x, y, "regression", [])


def blow_up(qtbot, w) -> None:
    panel = w.training_panel
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    type_into(panel.findChild(type(panel.lr_spin), "lrSpin"), "10")
    with qtbot.waitSignal(w.controller.errored, timeout=20000):
        click_action(w, w.actions_.play)
    assert w.controller.wait_idle(10000)
    assert w.status.state.text() == "Error"
    assert "learning rate" in w.train_view.message.text()
    assert len(w.train_view.cost_card.text()) <= 9   # "2.27e+26", not thirty digits


def test_the_error_state_ends_when_its_cause_changes(qtbot, tmp_path, monkeypatch):
    w = open_window(qtbot, tmp_path, monkeypatch, *steep_line())
    try:
        blow_up(qtbot, w)
        qtbot.wait(300)
        assert w.status.state.text() == "Error"   # it stays while nothing changed
        # a smaller learning rate: what blew up is gone
        type_into(w.training_panel.findChild(type(w.training_panel.lr_spin), "lrSpin"), "0.001")
        assert w.status.state.text() == "Ready"
        assert "learning rate" not in w.train_view.message.text()
        # blown up again, then the design changes
        blow_up(qtbot, w)
        w.tabs.setCurrentWidget(w.pages["designPage"])
        set_units(qtbot, w, "fc", 2)
        assert w.status.state.text() == "Ready"
        # blown up again: typing the same learning rate changes nothing, Reset does
        set_units(qtbot, w, "fc", 1)
        blow_up(qtbot, w)
        type_into(w.training_panel.findChild(type(w.training_panel.lr_spin), "lrSpin"), "10")
        assert w.status.state.text() == "Error"
        click_action(w, w.actions_.reset)
        assert w.status.state.text() == "Ready"
    finally:
        w.controller.shutdown(5000)


# ---------------------------------------------------------------------- legends
@pytest.mark.parametrize("width", [1300, 700])
def test_legends_sit_outside_the_curves(qtbot, width):
    from nnstudio.gui.snapshot import Snapshot
    from nnstudio.gui.train.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(width, 600)
    plots.show()
    qtbot.waitExposed(plots)
    n = 50
    snap = Snapshot(batch_loss=np.linspace(2, 0.2, n, dtype=np.float32),
                    batch_accuracy=np.linspace(0.1, 0.9, n, dtype=np.float32),
                    batch_lr=np.full(n, 1e-3, np.float32), batch_index=np.arange(n),
                    batch_x=np.linspace(0.02, 1.0, n))
    plots.add_snapshot(snap)
    plots.new_run()   # the first run stays as an earlier run: one more entry
    plots.add_snapshot(snap)
    plots.refresh()
    for plot in (plots.loss_plot, plots.acc_plot):
        item = plot.getPlotItem()
        legend = item.legend
        qtbot.waitUntil(lambda lg=legend: lg.sceneBoundingRect().height() > 0, timeout=10000)
        names = [label.text for _sample, label in legend.items]
        assert len(names) >= 3
        curves = item.getViewBox().sceneBoundingRect()
        box = legend.sceneBoundingRect()
        assert not box.intersects(curves), (names, box, curves)
        assert item.sceneBoundingRect().contains(box)        # nothing cut off either
        for sample, label in legend.items:                   # every entry inside it
            for part in (sample, label):
                assert box.contains(part.sceneBoundingRect().center())
    assert "earlier runs" in [lab.text for _s, lab in plots.loss_plot.getPlotItem().legend.items]


# ---------------------------------------------------------------------- other pages follow
def test_the_design_pages_memory_line_follows_the_batch_size(qtbot, blobs_window):
    from nnstudio.gui.design.status_line import StatusLine

    w = blobs_window
    line = w.pages["designPage"].findChild(StatusLine, "editorStatus")
    type_into(w.training_panel.findChild(QSpinBox, "batchSizeSpin"), "512")
    qtbot.waitUntil(lambda: "batches of 512" in line.summary.toolTip(), timeout=10000)
    memory = w.session.design.memory_estimate(batch_size=512)
    assert format_bytes(memory) in line.summary.toolTip()


def test_cancel_on_the_quit_question_lets_the_run_go_on(qtbot, tmp_path, monkeypatch,
                                                          tiny_design, tiny_data):
    w = open_window(qtbot, tmp_path, monkeypatch, tiny_design(), tiny_data(400))
    asked: list[str] = []

    def cancel(box):
        asked.append(box.objectName())
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "exec", cancel)
    type_into(w.training_panel.findChild(QSpinBox, "epochsSpin"), "5000")
    points = w.train_view.plots
    click_action(w, w.actions_.play)
    qtbot.waitUntil(lambda: points.n_epoch_points >= 2, timeout=20000)
    w.session.set_dirty(True)            # trained weights not saved yet
    assert not w.close()                 # the quit question is cancelled
    assert asked == ["saveChangesBox"]
    assert w.isVisible()
    qtbot.waitUntil(lambda: w.session.training_state == "running", timeout=10000)
    done = points.n_epoch_points
    qtbot.waitUntil(lambda: points.n_epoch_points > done + 2, timeout=20000)
    click_action(w, w.actions_.stop)
    qtbot.waitUntil(lambda: not w.controller.running, timeout=10000)
    w.controller.shutdown(5000)
