"""Every run the window trains is recorded, listed in the Runs dock, compared on the Train
page's plots, opened, deleted and brought back."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QStyle,
    QStyleOptionViewItem,
)

from nnstudio.gui.runs.table import DESIGN, NAME, SHOW, WHEN
from nnstudio.runs.listing import list_runs
from nnstudio.runs.reader import open_run

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def runs_window(make_window, tiny_design):
    """The window on the tiny design and two blobs, recording into ``tmp_path/data/runs``."""
    w = make_window(tiny_design(), 600, show=True)
    w.controller.apply_settings(epochs=3)
    w.runs_dock.raise_()
    return w


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
    index = dock.proxy.index(row, SHOW)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                      option, view)
    qtbot.mouseClick(view.viewport(), LEFT, pos=box.center())


def rows(dock) -> list[str]:
    return [dock.proxy.index(r, NAME).data() for r in range(dock.proxy.rowCount())]


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
    runs = list_runs(tmp_path / "data" / "runs")
    assert sorted(r.name for r in runs) == ["tiny lr 0.001", "tiny lr 0.01"]
    assert all(r.epochs == 3 and r.best_text.startswith("val acc") for r in runs)
    assert rows(dock) == ["tiny lr 0.001", "tiny lr 0.01"]   # newest first

    # rename the newest: select its name, F2, type over it
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, NAME))
    qtbot.keyClick(dock.table, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "slow")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rows(dock)[0] == "slow", timeout=5000)
    assert "slow" in [r.name for r in list_runs(tmp_path / "data" / "runs")]

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

    # untick one: its curves and its legend entry go
    w.resize(1400, 900)
    tick(qtbot, dock, 0)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 1, timeout=5000)
    names = [label.text for _sample, label in legend.items]
    assert "slow" not in names and "tiny lr 0.01" in names
    assert not dock.compare.table.isVisible()    # one run: nothing to compare


def test_delete_and_undo_bring_a_run_back(runs_window, qtbot, tmp_path):
    w = runs_window
    dock = w.runs_dock
    two_runs(qtbot, w)
    folder = tmp_path / "data" / "runs"
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 1, WHEN))
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
    w.controller.apply_settings(epochs=2)
    train(qtbot, w)
    train(qtbot, w)                      # Play again: the same run goes on
    folder = tmp_path / "data" / "runs"
    runs = list_runs(folder)
    assert len(runs) == 1 and runs[0].epochs == 4
    batches = open_run(runs[0].path).batches()
    assert np.all(np.diff(batches["samples"]) > 0)   # samples count on, never restart
    press(qtbot, w, w.actions_.reset)
    train(qtbot, w)
    assert len(list_runs(folder)) == 2


def test_a_killed_training_process_leaves_an_interrupted_run(runs_window, qtbot, tmp_path):
    w = runs_window
    w.controller.apply_settings(epochs=100000)
    plots = w.train_view.plots
    press(qtbot, w, w.actions_.play)
    qtbot.waitUntil(lambda: plots.n_epoch_points >= 2 and w.run_keeper.current is not None,
                    timeout=30000)

    def epoch_checkpoints() -> int:
        return sum(c.kind == "epoch" for c in open_run(w.run_keeper.current).checkpoints())

    qtbot.waitUntil(lambda: epoch_checkpoints() >= 1, timeout=30000)
    os.kill(w.controller.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: w.session.training_state == "error", timeout=10000)
    dock = w.runs_dock
    qtbot.waitUntil(lambda: [r.state for r in dock.model.runs] == ["interrupted"],
                    timeout=10000)
    run = open_run(list_runs(tmp_path / "data" / "runs")[0].path)
    assert run.checkpoints()[-1].epoch >= 1
    assert run.network("last") is not None       # its last checkpoint loads


def test_closing_the_window_while_training_reads_interrupted(make_window, tiny_design, qtbot,
                                                             tmp_path):
    w = make_window(tiny_design(), 600, show=True)
    w.controller.apply_settings(epochs=100000)
    press(qtbot, w, w.actions_.play)
    qtbot.waitUntil(lambda: w.train_view.plots.n_epoch_points >= 1, timeout=30000)
    w.close()
    runs = list_runs(tmp_path / "data" / "runs")
    assert [r.state for r in runs] == ["interrupted"]
    assert "closed" in runs[0].message


# ---------------------------------------------------------------- a digit network's checkpoints
@pytest.fixture
def digits_window(make_window):
    """The window on the mlp template and 1,000 synthetic digits, recording."""
    from nnstudio.data.dataset import Dataset
    from nnstudio.data.synthetic import generate

    x, y = generate(1000, seed=5)
    w = make_window("mlp", Dataset("synthetic digits", x.astype(np.float32),
                                   y.astype(np.int64), "classification",
                                   [str(i) for i in range(10)]), show=True)
    w.session.reset_weights(seed=1)
    w.controller.apply_settings(epochs=2, lr=0.003)
    return w


def draw_one(qtbot, page) -> None:
    """A "1" drawn with the mouse on the Draw page's canvas."""
    canvas = page.canvas
    r = canvas.board_rect()
    points = [QPoint(int(r.x() + (0.53 - 0.06 * t) * r.width()),
                     int(r.y() + (0.18 + 0.64 * t) * r.height()))
              for t in np.linspace(0, 1, 25)]
    qtbot.mousePress(canvas, LEFT, pos=points[0])
    for p in points[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, LEFT, pos=points[-1])


def test_opening_a_checkpoint_puts_its_weights_on_the_draw_page(digits_window, qtbot):
    w = digits_window
    train(qtbot, w)
    page = w.pages["drawPage"]
    w.tabs.setCurrentWidget(page)
    page.canvas.throttle_ms = 0
    draw_one(qtbot, page)
    qtbot.waitUntil(lambda: page.prediction.bars.values() is not None, timeout=10000)
    trained = page.prediction.bars.values().copy()

    dock = w.runs_dock
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, WHEN))
    qtbot.waitUntil(lambda: dock.checkpoint.count() >= 2, timeout=5000)
    assert "best" in dock.checkpoint.currentText()
    combo = dock.checkpoint
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)           # the oldest: the initial weights
    assert combo.currentText() == "initial weights"
    qtbot.mouseClick(dock.open_button, LEFT)
    qtbot.waitUntil(lambda: not np.allclose(page.prediction.bars.values(), trained),
                    timeout=10000)
    run = open_run(dock.model.runs[0].path)
    initial = run.weights("initial")
    now = w.session.network.get_weights()
    assert all(np.array_equal(now[k], initial[k]) for k in initial)
    assert "initial" in dock.message.text() or "checkpoint 0" in dock.message.text()


def test_a_run_exports_as_a_model_file(digits_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from nnstudio.core.modelfile import load_model

    w = digits_window
    train(qtbot, w)
    dock = w.runs_dock
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, WHEN))
    out = tmp_path / "best.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    qtbot.mouseClick(dock.export_button, LEFT)
    qtbot.waitUntil(out.exists, timeout=10000)
    model = load_model(out)
    best = open_run(dock.model.runs[0].path).weights("best")
    got = model.network.get_weights()
    assert all(np.array_equal(got[k], best[k]) for k in best)
    assert model.meta["run"]["id"] == dock.model.runs[0].id


def test_a_record_that_cannot_be_written_warns_once_and_training_goes_on(
        make_window, tiny_design, qtbot, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "runs").write_text("not a folder")       # the runs folder cannot be made
    w = make_window(tiny_design(), 600, show=True)
    warnings: list[str] = []
    w.run_keeper.warned.connect(warnings.append)
    w.controller.apply_settings(epochs=3)
    train(qtbot, w)
    assert len(warnings) == 1 and "could not be written" in warnings[0]
    assert "training is not affected" in warnings[0]
    assert "could not be written" in w.runs_dock.message.text()
    assert len(w.session.history.epochs) == 3     # trained all the same


def test_runs_of_two_designs_show_the_design_diff_and_filter_by_design(runs_window, qtbot):
    from tests.gui.gestures import set_units

    w = runs_window
    dock = w.runs_dock
    train(qtbot, w)
    w.tabs.setCurrentWidget(w.pages["designPage"])
    set_units(qtbot, w, "fc1", 16)                  # an edit: the next run is a new record
    w.session.design.name = "wider"
    train(qtbot, w)
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 2, timeout=10000)
    tick(qtbot, dock, 0)
    tick(qtbot, dock, 1)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 2, timeout=5000)
    text = dock.compare.design.text()
    assert dock.compare.design.isVisible()
    assert "changed fc1" in text and "units=8" in text and "units=16" in text
    keys = [dock.compare.table.verticalHeaderItem(i).text()
            for i in range(dock.compare.table.rowCount())]
    assert keys == ["design"]
    # only the runs of one design
    combo = dock.design_filter
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert combo.currentText() in ("tiny", "wider")
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=5000)
    assert dock.proxy.index(0, DESIGN).data() == combo.currentText()


def test_smoothing_follows_the_slider(runs_window, qtbot):
    w = runs_window
    dock = w.runs_dock
    train(qtbot, w)
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    tick(qtbot, dock, 0)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 1, timeout=5000)
    smoothed = dock.overlay.shown[0].smoothed.copy()
    slider = dock.compare.smoothing
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)        # 0: the values as they are
    qtbot.waitUntil(lambda: dock.overlay.weight == 0.0, timeout=5000)
    raw = dock.overlay.shown[0].data.cost
    assert np.allclose(dock.overlay.shown[0].smoothed, raw)
    assert not np.allclose(smoothed, raw)


def set_spin(qtbot, w, name: str, text: str) -> None:
    w.training_panel.raise_()
    spin = w.training_panel.findChild(QObject, name)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def test_same_start_reuses_a_runs_initial_weights_seed_and_batches(runs_window, qtbot,
                                                                   tmp_path):
    w = runs_window
    set_spin(qtbot, w, "seedSpin", "7")
    qtbot.waitUntil(lambda: w.controller.config.seed == 7, timeout=5000)
    press(qtbot, w, w.actions_.reset)
    set_lr(qtbot, w, "0.01")
    train(qtbot, w)
    set_spin(qtbot, w, "seedSpin", "3")               # another start
    qtbot.waitUntil(lambda: w.controller.config.seed == 3, timeout=5000)
    press(qtbot, w, w.actions_.reset)

    dock = w.runs_dock
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    first = dock.model.runs[0]
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, WHEN))
    qtbot.waitUntil(dock.same_button.isEnabled, timeout=5000)
    qtbot.mouseClick(dock.same_button, LEFT)
    assert w.controller.config.seed == 7
    assert "seed 7" in dock.message.text()
    set_lr(qtbot, w, "0.001")                         # the one thing changed
    train(qtbot, w)

    runs = {r.id: r for r in list_runs(tmp_path / "data" / "runs")}
    assert len(runs) == 2
    (second_id,) = set(runs) - {first.id}
    a, b = open_run(runs[first.id].path), open_run(runs[second_id].path)
    assert b.info["same_start"] == first.id
    assert a.config["seed"] == b.config["seed"] == 7
    assert (a.config["lr"], b.config["lr"]) == (0.01, 0.001)
    wa, wb = a.weights("initial"), b.weights("initial")
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    # the same first batch: the cost before the first update is the same
    assert a.batches()["loss"][0] == b.batches()["loss"][0]
    assert a.batches()["loss"][5] != b.batches()["loss"][5]   # then the lr tells them apart


def test_a_legend_entry_removed_from_a_full_row_leaves_the_others(qtbot):
    """Unticking a compared run removes its entry from a legend laid out in one row."""
    import pyqtgraph as pg

    from nnstudio.gui.train.plot_parts import outside_legend

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    legend = outside_legend(plot)
    curves = [plot.getPlotItem().plot([0, 1], [i, i]) for i in range(6)]
    for i, c in enumerate(curves):
        legend.addItem(c, f"run {i}")
    legend.fit(5000.0)                           # room for all six in one row
    assert legend.columnCount == 6
    legend.removeItem(curves[2])
    assert [label.text for _s, label in legend.items] == [f"run {i}" for i in (0, 1, 3, 4, 5)]


def test_deleting_the_windows_last_run_leaves_it_whole_and_play_starts_a_new_one(
        runs_window, qtbot, tmp_path):
    w = runs_window
    dock = w.runs_dock
    warnings: list[str] = []
    w.run_keeper.warned.connect(warnings.append)
    train(qtbot, w)
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    qtbot.mouseClick(dock.table.viewport(), LEFT, pos=cell(dock, 0, WHEN))
    gone = dock.selected()[0]
    qtbot.mouseClick(dock.delete_button, LEFT)
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 0, timeout=5000)
    train(qtbot, w)                  # the same weights, but its record is in the trash
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    folder = tmp_path / "data" / "runs"
    (new,) = list_runs(folder)
    assert new.id != gone.id and new.state == "finished" and new.epochs == 3
    w.controller.shutdown(5000)      # the training process closes what it held open
    qtbot.mouseClick(dock.undo_button, LEFT)
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 2, timeout=5000)
    back = {r.id: r for r in list_runs(folder)}[gone.id]
    assert (back.state, back.epochs) == ("finished", 3)   # whole, not written to in the trash
    assert warnings == []


def test_the_live_curves_step_aside_only_while_runs_are_drawn_by_samples(runs_window, qtbot):
    w = runs_window
    dock = w.runs_dock
    plots = w.train_view.plots
    train(qtbot, w)
    dock.raise_()
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == 1, timeout=10000)
    combo = dock.compare.axis
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)       # samples seen, nothing ticked yet
    qtbot.waitUntil(lambda: dock.compare.axis_key == "samples", timeout=5000)
    assert plots.c_smooth.isVisible()            # nothing drawn by samples: the live run stays
    tick(qtbot, dock, 0)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 1, timeout=5000)
    assert not plots.c_smooth.isVisible()
    bottom = plots.loss_plot.getPlotItem().getAxis("bottom").labelText
    assert bottom == "samples seen"
    tick(qtbot, dock, 0)                         # untick: back to epochs and the live run
    qtbot.waitUntil(lambda: not dock.overlay.shown, timeout=5000)
    assert plots.c_smooth.isVisible()
    assert plots.loss_plot.getPlotItem().getAxis("bottom").labelText == "epoch"


def test_a_run_continued_from_a_checkpoint_is_recorded_as_a_fork(runs_window, qtbot,
                                                                  tmp_path):
    from PySide6.QtWidgets import QPushButton

    w = runs_window
    train(qtbot, w)
    folder = tmp_path / "data" / "runs"
    (first,) = list_runs(folder)
    assert w.session.state.run == first.path       # the record written is on the timeline
    w.tabs.setCurrentWidget(w.train_view)
    timeline = w.train_view.timeline
    qtbot.waitUntil(lambda: timeline.continue_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(timeline.findChild(QPushButton, "timelineLatest"), LEFT)
    last = open_run(first.path).checkpoint("last")
    qtbot.waitUntil(lambda: w.session.state.checkpoint == last.n, timeout=5000)
    qtbot.mouseClick(timeline.findChild(QPushButton, "timelineContinue"), LEFT)
    w.controller.apply_settings(epochs=1)
    train(qtbot, w)
    runs = {r.id: r for r in list_runs(folder)}
    (fork_id,) = set(runs) - {first.id}
    fork = open_run(runs[fork_id].path)
    assert fork.info["parent"] == {"run": first.id, "checkpoint": last.n}
    samples = fork.batches()["samples"]
    assert samples[0] > last.samples               # counted on from the parent's checkpoint
    start = fork.weights("initial")
    parent = open_run(first.path).weights(last.n)
    assert all(np.array_equal(start[k], parent[k]) for k in start)
