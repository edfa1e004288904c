"""The window's state is one object: a change made in one place reaches every view that
shows it, once, with no echo; and the window reopens where the person left it."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolButton

from nnstudio.state import AppState
from tests.gui.gestures import choose_template


class Counter:
    """How many times each field's event fired since the last :meth:`take`."""

    def __init__(self, state: AppState) -> None:
        self.n = {f.name: 0 for f in fields(AppState)}
        for name in self.n:
            getattr(state.events, name).connect(lambda *_a, k=name: self._add(k))

    def _add(self, name: str) -> None:
        self.n[name] += 1

    def take(self) -> dict[str, int]:
        fired = {k: v for k, v in self.n.items() if v}
        self.n = dict.fromkeys(self.n, 0)
        return fired


def click_tab(qtbot, tabs, title: str) -> None:
    bar = tabs.tabBar()
    i = next(i for i in range(tabs.count()) if tabs.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())


def test_every_field_reaches_every_view_that_shows_it_once(window, qtbot, tiny_data,
                                                           tiny_design, tmp_path):
    w = window
    w.show()
    qtbot.waitExposed(w)
    s, st, c, panel = w.session, w.session.state, w.controller, w.training_panel
    design, inside = w.pages["designPage"], w.pages["insidePage"]
    seen = Counter(st)

    # training settings, from the controller: the panel and the Design page's memory line
    c.apply_settings(lr=0.05, batch_size=512, epochs=7, seed=3)
    assert seen.take() == {"settings": 1}
    assert (panel.lr_spin.value(), panel.batch_spin.value(), panel.epochs_spin.value(),
            panel.seed_spin.value()) == (pytest.approx(0.05), 512, 7, 3)
    assert "batches of 512" in design.status_line.summary.toolTip()
    # ... and from the panel, as a person types: the state, once
    panel.epochs_spin.lineEdit().selectAll()
    qtbot.keyClicks(panel.epochs_spin.lineEdit(), "9")
    qtbot.keyClick(panel.epochs_spin.lineEdit(), Qt.Key.Key_Return)
    assert st.settings.epochs == 9 and seen.take() == {"settings": 1}

    # the data: source, image size, the loaded dataset
    c.data.restore("synthetic:1000", 28)
    assert seen.take() == {"data_source": 1}
    assert panel.dataset_combo.currentData() == "synthetic:1000"
    c.data.set_image_size(16, reload=False)
    assert seen.take() == {"image_size": 1} and panel.size_combo.currentData() == 16
    s.set_dataset(tiny_data(123))
    assert seen.take() == {"dataset": 1} and "123" in panel.dataset_info.text()

    # the file and its unsaved mark: the title
    s.path = tmp_path / "mine.npz"
    assert seen.take() == {"path": 1} and w.windowTitle().startswith("mine.npz")
    s.set_dirty(True)
    assert seen.take() == {"dirty": 1} and w.isWindowModified()

    # the page on screen, both ways
    st.page = "designPage"
    assert seen.take() == {"page": 1} and w.tabs.currentWidget() is design
    click_tab(qtbot, w.tabs, "Train")
    assert st.page == "trainPage" and seen.take() == {"page": 1}

    # the Inside view, both ways
    st.inside_view = "weightsView"
    assert seen.take() == {"inside_view": 1}
    assert inside.tabs.currentWidget().objectName() == "weightsView"
    click_tab(qtbot, inside.tabs, "Backprop")
    assert st.inside_view == "backpropView" and seen.take() == {"inside_view": 1}

    # the Design page's mode, zoom and selection, both ways
    st.page = "designPage"
    seen.take()
    st.design_mode = "neurons"
    assert seen.take() == {"design_mode": 1} and design.stack.currentIndex() == 1
    qtbot.mouseClick(design.findChild(QToolButton, "diagramMode"), Qt.MouseButton.LeftButton)
    assert st.design_mode == "layers" and seen.take() == {"design_mode": 1}
    st.zoom = 1.5
    assert seen.take() == {"zoom": 1} and design.view.zoom() == pytest.approx(1.5)
    assert design.zoom_label.text() == "150%"
    st.selected_layer = "fc1"
    assert seen.take() == {"selected_layer": 1}
    assert design.scene.selected_node_ids() == ["fc1"]
    assert "fc1" in design.inspector.title.text()
    seen.take()
    item = design.scene.nodes["fc2"]             # a click on another card
    design.view.centerOn(item)
    qtbot.mouseClick(design.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=design.view.mapFromScene(item.card_rect_scene().center()))
    assert st.selected_layer == "fc2" and seen.take() == {"selected_layer": 1}

    # the drawing, from the Draw page's side
    s.set_current_input(np.zeros((28, 28), np.float32))
    assert seen.take() == {"drawing": 1}

    # the weights and the run state, from the controller: Reset, then a real run
    before = st.weights
    w.actions_.reset.trigger()
    fired = seen.take()
    assert fired.get("weights") == 1 and fired.get("network") == 1 and "history" not in fired
    assert st.weights is not before
    for k, v in s.network.get_weights().items():
        np.testing.assert_array_equal(st.weights[k], v)
    s.set_dataset(tiny_data(200))
    c.apply_settings(epochs=1)
    seen.take()
    with qtbot.waitSignal(c.finished, timeout=20000):
        w.actions_.play.trigger()
    assert w.status.state.text() == "Training" or st.run_state == "finished"
    qtbot.waitUntil(lambda: st.run_state == "finished", timeout=5000)
    assert w.status.state.text() == "Finished"
    fired = seen.take()
    assert fired["run_state"] == 2 and fired["weights"] >= 1 and fired["history"] >= 1
    for k, v in s.network.get_weights().items():
        np.testing.assert_array_equal(st.weights[k], v)

    # a new design: the Design page's diagram and the network, once each
    s.set_design(tiny_design(units=3))
    fired = seen.take()
    assert fired["design"] == 1 and fired["network"] == 1
    assert sorted(design.scene.nodes) == sorted(s.design.nodes)


def test_the_window_reopens_with_the_last_design_data_settings_and_view(
        qtbot, tmp_path, monkeypatch):
    from nnstudio.gui.app import open_window

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    first = open_window(data="synthetic:500")
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(lambda: first.session.dataset is not None, timeout=30000)
    choose_template(qtbot, first, "mlp")
    qtbot.waitUntil(lambda: first.session.design.name == "mlp", timeout=5000)
    first.training_panel.lr_spin.setValue(0.02)
    first.session.state.page = "insidePage"
    first.session.state.inside_view = "weightsView"
    first.close()
    assert (tmp_path / "data" / "session.json").is_file()

    second = open_window()
    qtbot.addWidget(second)
    st = second.session.state
    assert second.session.design.name == "mlp"
    assert st.settings.lr == pytest.approx(0.02)
    assert second.training_panel.lr_spin.value() == pytest.approx(0.02)
    qtbot.waitUntil(lambda: st.data_source == "synthetic:500", timeout=30000)
    assert second.tabs.currentWidget() is second.pages["insidePage"]
    assert second.pages["insidePage"].tabs.currentWidget().objectName() == "weightsView"
    second.close()


def test_a_damaged_session_file_starts_a_first_launch(qtbot, tmp_path, monkeypatch, caplog):
    from nnstudio.gui.app import open_window

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "session.json").write_text('{"format": "nnstudio-session", "ver')
    w = open_window()
    qtbot.addWidget(w)
    assert w.session.design.name == "cnn"
    assert "could not be reopened" in caplog.text
    w.controller.shutdown(5000)
