"""Every run the window trains is recorded, listed in the Runs dock, compared on the Train
page's plots, opened, deleted and brought back."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QMessageBox,
    QStyle,
    QStyleOptionViewItem,
)

from nnstudio.gui.session import Session
from nnstudio.runs.listing import list_runs
from nnstudio.runs.reader import open_run

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def runs_window(tiny_design, tiny_data, qtbot, tmp_path, monkeypatch):
    """The window on the tiny design and two blobs, recording into ``tmp_path/user/runs``."""
    from nnstudio.gui import MainWindow

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    session = Session(tiny_design())
    session.set_dataset(tiny_data(600))
    w = MainWindow(session, settings=QSettings(str(tmp_path / "s.ini"),
                                               QSettings.Format.IniFormat), data=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.controller.config.epochs = 3
    w.runs_dock.raise_()
    yield w
    w.controller.shutdown(5000)


def press(qtbot, w, action) -> None:
    qtbot.mouseClick(w.commands.toolbar.widgetForAction(action), LEFT)


def train(qtbot, w) -> None:
    """Play and wait until the run finished."""
    press(qtbot, w, w.actions_.play)
    qtbot.waitUntil(lambda: w.session.training_state == "finished", timeout=30000)


def set_lr(qtbot, w, lr: str) -> None:
    w.training_panel.raise_()
    spin = w.training_panel.findChild(QObject, "lrSpin")
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), lr)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: abs(w.controller.config.lr - float(lr)) < 1e-12, timeout=5000)


def cell(dock, row: int, col: int) -> QPoint:
    view = dock.table
    return view.visualRect(dock.proxy.index(row, col)).center()


def tick(qtbot, dock, row: int) -> None:
    """Tick a run's Show box with the mouse (on the box the style draws)."""
    view = dock.table
    index = dock.proxy.index(row, 0)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                      option, view)
    qtbot.mouseClick(view.viewport(), LEFT, pos=box.center())


def rows(dock) -> list[str]:
    return [dock.proxy.index(r, 1).data() for r in range(dock.proxy.rowCount())]


def two_runs(qtbot, w) -> None:
    """Train with lr 0.01, Reset, train with lr 0.001."""
    set_lr(qtbot, w, "0.01")
    train(qtbot, w)
    press(qtbot, w, w.actions_.reset)
    set_lr(qtbot, w, "0.001")
    train(qtbot, w)
    dock = w.runs_dock
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 2 and
                    all(r.state == "finished" for r in dock.model.runs), timeout=10000)


def test_two_trained_runs_are_listed_renamed_and_compared(runs_window, qtbot, tmp_path):
    w = runs_window
    dock = w.runs_dock
    two_runs(qtbot, w)
    runs = list_runs(tmp_path / "user" / "runs")
    assert sorted(r.name for r in runs) == ["tiny lr 0.001", "tiny lr 0.01"]
    assert all(r.epochs == 3 and r.best_text.startswith("val acc") for r in runs)
    assert rows(dock) == ["tiny lr 0.001", "tiny lr 0.01"]   # newest first

    # rename the newest: select its name, F2, type over it
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, 1))
    qtbot.keyClick(dock.table, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "slow")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rows(dock)[0] == "slow", timeout=5000)
    assert "slow" in [r.name for r in list_runs(tmp_path / "user" / "runs")]

    # tick both: two named legend entries, a settings table with only lr
    tick(qtbot, dock, 0)
    tick(qtbot, dock, 1)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 2, timeout=5000)
    legend = w.train_view.plots.loss_plot.getPlotItem().legend
    names = [label.text for _sample, label in legend.items]
    assert "slow" in names and "tiny lr 0.01" in names
    table = dock.compare.table
    keys = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())]
    assert keys == ["lr"]
    assert {table.item(0, 0).text(), table.item(0, 1).text()} == {"0.001", "0.01"}
    assert not dock.compare.design.isVisible()    # same design: no design diff
    w.grab().save("/tmp/runs-window-compare.png")
    dock.grab().save("/tmp/runs-window-dock.png")
    # every setting on request
    box = dock.compare.all_rows
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))
    qtbot.waitUntil(lambda: table.rowCount() > 5, timeout=5000)
    # the hover readout names both runs
    text = w.train_view.plots.readout_at(1.5)
    assert "slow: cost" in text and "tiny lr 0.01: cost" in text

    # the x axis by samples seen
    combo = dock.compare.axis
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: dock.overlay.axis == "samples", timeout=5000)
    x_max = max(float(s.data.batch_x.max()) for s in dock.overlay.shown)
    assert x_max == 3 * 540                      # 3 epochs of the 540 training samples


def test_delete_and_undo_bring_a_run_back(runs_window, qtbot, tmp_path):
    w = runs_window
    dock = w.runs_dock
    two_runs(qtbot, w)
    folder = tmp_path / "user" / "runs"
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 1, 2))
    gone = dock.selected()[0]
    qtbot.mouseClick(dock.delete_button, LEFT)
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=5000)
    assert [r.id for r in list_runs(folder)] != [] and gone.id not in \
        [r.id for r in list_runs(folder)]
    assert (folder / ".trash" / gone.id).is_dir()
    qtbot.mouseClick(dock.undo_button, LEFT)
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 2, timeout=5000)
    assert gone.id in [r.id for r in list_runs(folder)]
    assert not dock.undo_button.isEnabled()


def test_pause_and_play_keep_one_record_and_reset_starts_another(runs_window, qtbot,
                                                                   tmp_path):
    w = runs_window
    w.controller.config.epochs = 2
    train(qtbot, w)
    train(qtbot, w)                      # Play again: the same run goes on
    folder = tmp_path / "user" / "runs"
    runs = list_runs(folder)
    assert len(runs) == 1 and runs[0].epochs == 4
    batches = open_run(runs[0].path).batches()
    assert np.all(np.diff(batches["samples"]) > 0)   # samples count on, never restart
    press(qtbot, w, w.actions_.reset)
    train(qtbot, w)
    assert len(list_runs(folder)) == 2


def test_a_killed_training_process_leaves_an_interrupted_run(runs_window, qtbot, tmp_path):
    w = runs_window
    w.controller.config.epochs = 100000
    plots = w.train_view.plots
    press(qtbot, w, w.actions_.play)
    qtbot.waitUntil(lambda: plots.n_epoch_points >= 2 and w.run_keeper.current is not None,
                    timeout=30000)
    os.kill(w.controller.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: w.session.training_state == "error", timeout=10000)
    dock = w.runs_dock
    qtbot.waitUntil(lambda: [r.state for r in dock.model.runs] == ["interrupted"],
                    timeout=10000)
    run = open_run(list_runs(tmp_path / "user" / "runs")[0].path)
    assert run.checkpoints()[-1].epoch >= 1
    assert run.network("last") is not None       # its last checkpoint loads


def test_closing_the_window_while_training_reads_interrupted(tiny_design, tiny_data, qtbot,
                                                             tmp_path, monkeypatch):
    from nnstudio.gui import MainWindow

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    session = Session(tiny_design())
    session.set_dataset(tiny_data(600))
    w = MainWindow(session, settings=QSettings(str(tmp_path / "s.ini"),
                                               QSettings.Format.IniFormat), data=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.controller.config.epochs = 100000
    press(qtbot, w, w.actions_.play)
    qtbot.waitUntil(lambda: w.train_view.plots.n_epoch_points >= 1, timeout=30000)
    w.close()
    runs = list_runs(tmp_path / "user" / "runs")
    assert [r.state for r in runs] == ["interrupted"]
    assert "closed" in runs[0].message
