"""File > Export > Model for other tools: opened through the menus with real clicks, the
export runs in a worker and the dialog shows the parity figures."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from nnstudio.core.templates import get_template
from nnstudio.gui.session import Session


@pytest.fixture
def window(qtbot, tmp_path):
    from nnstudio.gui import MainWindow

    session = Session(get_template("mlp"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(session, settings=settings, data=None)
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.controller.shutdown(5000)


def _click_menu_item(qtbot, menu: QMenu, action: QAction) -> None:
    qtbot.mouseMove(menu, menu.actionGeometry(action).center())
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def open_through_menus(qtbot, w):
    bar = w.menuBar()
    file_menu = w.findChild(QMenu, "menuFile")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.actionGeometry(file_menu.menuAction()).center())
    qtbot.waitUntil(file_menu.isVisible)
    export_menu = w.findChild(QMenu, "menuExport")
    _click_menu_item(qtbot, file_menu, export_menu.menuAction())
    qtbot.waitUntil(export_menu.isVisible)
    _click_menu_item(qtbot, export_menu, w.findChild(QAction, "actionExportTools"))
    qtbot.waitUntil(lambda: getattr(w, "export_dialog", None) is not None
                    and w.export_dialog.isVisible())
    return w.export_dialog


def test_export_from_the_menu_writes_a_checked_numpy_folder(qtbot, window, tmp_path):
    dialog = open_through_menus(qtbot, window)
    target = dialog.findChild(type(dialog.target), "exportTarget")
    target.setCurrentIndex(target.findData("numpy"))
    assert dialog.path.text().endswith("mlp-numpy")
    path_edit = dialog.findChild(type(dialog.path), "exportPath")
    path_edit.clear()
    qtbot.keyClicks(path_edit, str(tmp_path / "out"))
    dialog.grab().save(str(tmp_path / "before.png"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.export_button.isEnabled(), timeout=60000)
    assert dialog.last_result is not None, dialog.status.text()
    assert (tmp_path / "out" / "predict.py").is_file()
    assert dialog.last_result.parity["numpy"] <= 1e-5
    assert "Same answers as nnstudio" in dialog.status.text()
    dialog.grab().save(str(tmp_path / "after.png"))
    weights = np.load(tmp_path / "out" / "weights.npz")
    np.testing.assert_array_equal(weights["fc1/W"],
                                  window.session.network.get_weights()["fc1/W"])


def test_a_bad_path_is_reported_in_the_dialog(qtbot, window, tmp_path):
    dialog = open_through_menus(qtbot, window)
    dialog.target.setCurrentIndex(dialog.target.findData("pytorch"))
    (tmp_path / "taken").write_text("a file")
    dialog.path.setText(str(tmp_path / "taken"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.export_button.isEnabled(), timeout=60000)
    assert dialog.last_result is None
    assert "Could not export" in dialog.status.text() and "is a file" in dialog.status.text()
