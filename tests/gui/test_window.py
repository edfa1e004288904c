"""The main window: construction, menus and shortcuts, files, settings, data loading, plots."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QTabWidget

from nnstudio.gui.session import Session


def ini(folder) -> QSettings:
    """Settings kept in ``folder``: a second window on the same folder reads them back."""
    return QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)


def test_default_window_builds_without_showing(qtbot, tmp_path):
    from nnstudio.gui import MainWindow

    w = MainWindow(settings=ini(tmp_path))
    qtbot.addWidget(w)
    try:
        assert w.objectName() == "mainWindow" and not w.isVisible()
        tabs = w.findChild(QTabWidget, "mainTabs")
        titles = [tabs.tabText(i) for i in range(tabs.count())]
        assert "Train" in titles
        assert w.findChild(QDockWidget, "trainingPanel") is not None
        assert w.session.design.input_node is not None
        assert w.session.network is not None  # the cnn template compiles
        assert w.session.training is w.controller
        # the synthetic digits load in the background
        qtbot.waitUntil(lambda: w.session.dataset is not None, timeout=60000)
        assert w.session.dataset.x.shape[1:] == (28, 28)
        assert w.controller.check_ready() is None
    finally:
        w.controller.shutdown(5000)


def test_plain_constructor_as_documented(qtbot):
    from nnstudio.gui import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.controller.shutdown(5000)
    tabs = w.findChild(QTabWidget, "mainTabs")
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert titles[:4] == ["Draw", "Design", "Train", "Inside"]
    # a first launch shows the cnn design with the shipped weights, nothing to save yet
    from nnstudio.core.modelfile import load_model
    from nnstudio.resources import default_model_path

    shipped = load_model(default_model_path()).network.get_weights()
    mine = w.session.network.get_weights()
    assert mine.keys() == shipped.keys()
    assert all(np.array_equal(mine[k], shipped[k]) for k in shipped)
    assert not w.session.dirty and w.session.path is None


def test_actions_menus_and_shortcuts(window):
    w = window
    names = {a.objectName(): a for a in w.findChildren(QAction) if a.objectName()}
    for n in ("actionPlay", "actionPause", "actionStep", "actionStepEpoch", "actionStop",
              "actionReset", "actionNew", "actionOpen", "actionSave", "actionSaveAs",
              "actionUndo", "actionRedo"):
        assert n in names, n
    menus = [m.title().replace("&", "")
             for m in w.menuBar().findChildren(type(w.commands.recent_menu))
             if m.parent() is w.menuBar()]
    for title in ("File", "Edit", "Train", "View", "Help"):
        assert title in menus


def test_undo_action_follows_the_session_stack(window):
    from PySide6.QtGui import QUndoCommand

    w = window
    assert not w.actions_.undo.isEnabled()
    w.session.undo_stack.push(QUndoCommand("rename"))
    assert w.actions_.undo.isEnabled()


def test_dirty_marker_in_title(window):
    w = window
    w.show()
    assert not w.isWindowModified()
    w.session.set_dirty(True)
    assert w.isWindowModified() and "[*]" in w.windowTitle()


def test_open_bad_files_shows_a_clear_message(window, tmp_path):

    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip at all")
    design_before = w_design = window.session.design
    assert not window.commands.open_path(bad, ask=False)
    assert "broken.npz" in window.last_error
    assert window.session.design is design_before is w_design
    junk = tmp_path / "junk.json"
    junk.write_text("{ nope", encoding="utf-8")
    assert not window.commands.open_path(junk, ask=False)
    assert "junk.json" in window.last_error


def test_save_and_open_design_and_model(window, tmp_path):

    w = window
    w.session.set_dirty(True)
    model = tmp_path / "m.npz"
    assert w.commands.write_file(model)
    assert not w.session.dirty and w.session.path == model
    weights = w.session.network.get_weights()
    js = tmp_path / "d.json"
    assert w.commands.write_file(js, remember=False)
    w.session.reset_weights(seed=5)
    assert w.commands.open_path(model, ask=False)
    loaded = w.session.network.get_weights()
    assert all(np.allclose(weights[k], loaded[k]) for k in weights)
    assert w.commands.open_path(js, ask=False)
    assert set(w.session.design.nodes) == {"in", "fc1", "fc2", "out"}
    assert w.recent_files()[0].endswith("d.json")


def test_layout_is_remembered(tiny_design, qtbot, tmp_path, discard):
    from nnstudio.gui import MainWindow

    w = MainWindow(Session(tiny_design(units=4)), settings=ini(tmp_path), data=None)
    qtbot.addWidget(w)
    w.show()
    w.training_panel.hide()
    w.tabs.setCurrentIndex(w.tabs.count() - 1)
    w.close()
    w2 = MainWindow(Session(tiny_design(units=4)), settings=ini(tmp_path), data=None)
    qtbot.addWidget(w2)
    w2.show()
    assert not w2.training_panel.isVisible()
    assert w2.tabs.currentIndex() == w2.tabs.count() - 1
    w2.close()


def test_garbage_settings_are_ignored(tiny_design, qtbot, tmp_path):
    from nnstudio.gui import MainWindow

    st = ini(tmp_path)
    st.setValue("window/version", 1)
    st.setValue("window/geometry", b"garbage")
    st.setValue("window/state", "nonsense")
    st.setValue("window/tab", "x")
    st.sync()
    w = MainWindow(Session(tiny_design(units=4)), settings=ini(tmp_path), data=None)
    qtbot.addWidget(w)
    fresh = MainWindow(Session(tiny_design(units=4)), settings=ini(tmp_path / "new"), data=None)
    qtbot.addWidget(fresh)
    assert w.tabs.currentIndex() == 0                  # "x" is no tab: the first page
    assert w.size() == fresh.size()                    # no geometry taken from garbage
    assert w.saveState() == fresh.saveState()          # nor a dock layout


def test_dataset_loading_in_background_with_cancel(window, qtbot):
    w = window
    c = w.controller
    panel = w.training_panel
    with qtbot.waitSignal(c.data.loaded, timeout=30000):
        panel.choose_dataset("synthetic:300")
    assert w.session.dataset.x.shape == (300, 28, 28)
    assert "300" in panel.dataset_info.text()
    # a long generation can be cancelled; the previous data stays
    with qtbot.waitSignal(c.data.cancelled, timeout=30000):
        panel.choose_dataset("synthetic:60000")
        assert panel.progress_row.isVisibleTo(panel)
        panel.cancel_button.click()
    assert c.data.wait(30000)
    assert w.session.dataset.x.shape == (300, 28, 28)


def test_bad_data_source_is_reported_in_the_panel(window, qtbot):
    w = window
    with qtbot.waitSignal(w.controller.data.failed, timeout=10000):
        w.training_panel.choose_dataset("idx:/no/such/folder")
    assert w.training_panel.data_error.isVisibleTo(w.training_panel)
    assert w.training_panel.data_error.text()
    assert w.session.dataset is not None


def test_plots_log_scale_hover_and_exports(window, qtbot, tmp_path):
    from nnstudio.gui.snapshot import Snapshot

    w = window
    view = w.train_view
    k = 200
    snap = Snapshot(
        batch_loss=np.linspace(2, 0.1, k).astype(np.float32),
        batch_accuracy=np.linspace(0.1, 0.9, k).astype(np.float32),
        batch_lr=np.full(k, 1e-3, np.float32), batch_index=np.arange(k),
        batch_x=np.arange(1, k + 1) / 100.0, n_batches=100, batch=100, epoch=1,
    )
    w.session.apply_snapshot(snap)          # as a training message is folded in
    view.plots.refresh()
    assert view.plots.n_points == k
    assert view.cost_card.text() != "–"
    view.log_check.setChecked(True)
    assert view.plots.loss_plot.getPlotItem().getAxis("left").logMode
    text = view.plots.readout_at(1.0)
    assert "epoch 1.00" in text and "cost" in text
    png, csv = tmp_path / "p.png", tmp_path / "m.csv"
    view.plots.export_png(png)
    view.plots.export_csv(csv)
    assert png.stat().st_size > 1000
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("kind,epoch") and len(lines) == k + 1


def test_a_new_windows_state_holds_its_networks_weights(window):
    """The state's ``weights`` are the network's from the start, not only after the first
    change (a lesson or the session file takes them from the state)."""
    mine, net = window.session.state.weights, window.session.network.get_weights()
    assert mine is not None and mine.keys() == net.keys()
    assert all(np.array_equal(mine[k], net[k]) for k in net)
