"""File > Export > Model for other tools: opened through the menus with real clicks, the
export runs in a worker and the dialog shows the parity figures."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QLineEdit, QMenu, QPushButton

#: the window on the mlp template (no data), shown
pytestmark = pytest.mark.window(design="mlp", data=None, show=True, size=(1100, 760))


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


def _shows_all_its_text(dialog) -> None:
    """The status label is as tall as its wrapped text needs, inside the dialog."""
    label = dialog.findChild(QLabel, "exportStatus")
    need = label.heightForWidth(label.contentsRect().width())
    assert label.contentsRect().height() >= need, (label.size(), need)
    assert dialog.rect().contains(label.geometry()), (dialog.size(), label.geometry())


def test_without_torch_the_dialog_says_so_with_no_empty_figure(qtbot, window, tmp_path,
                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)          # torch cannot be imported
    dialog = open_through_menus(qtbot, window)
    start = dialog.size()
    target = dialog.findChild(QComboBox, "exportTarget")
    target.setCurrentIndex(target.findData("pytorch"))
    path_edit = dialog.findChild(QLineEdit, "exportPath")
    path_edit.clear()
    qtbot.keyClicks(path_edit, str(tmp_path / "a-folder-with-a-rather-long-name" / "pt"))
    qtbot.mouseClick(dialog.findChild(QPushButton, "exportRun"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.export_button.isEnabled(), timeout=60000)
    text = dialog.findChild(QLabel, "exportStatus").text()
    assert (tmp_path / "a-folder-with-a-rather-long-name" / "pt" / "model.py").is_file()
    assert "largest difference ." not in text and "Same answers" not in text, text
    assert "not compared with nnstudio's: torch is not installed" in text, text
    assert dialog.size().width() == start.width()          # grew in height only
    _shows_all_its_text(dialog)
    dialog.grab().save(str(tmp_path / "without-torch.png"))


def test_a_long_error_shows_whole_at_the_default_size(qtbot, window, tmp_path):
    dialog = open_through_menus(qtbot, window)
    dialog.target.setCurrentIndex(dialog.target.findData("numpy"))
    taken = tmp_path / ("a-file-where-a-folder-should-be-" * 4)
    taken.write_text("a file")
    dialog.path.setText(str(taken))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.export_button.isEnabled(), timeout=60000)
    assert "is a file" in dialog.status.text()
    _shows_all_its_text(dialog)
    dialog.grab().save(str(tmp_path / "long-error.png"))
    dialog.resize(dialog.minimumWidth(), dialog.height())    # narrower: more lines
    qtbot.waitUntil(lambda: dialog.width() == dialog.minimumWidth())
    _shows_all_its_text(dialog)


def test_names_follow_the_file_the_model_was_saved_as(qtbot, window, tmp_path, monkeypatch):
    window.session.design.name = "untitled"
    saved = tmp_path / "mymlp.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(saved), "nnstudio model (*.npz)"))
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(saved.is_file)
    dialog = open_through_menus(qtbot, window)
    path_edit = dialog.findChild(QLineEdit, "exportPath")
    assert path_edit.text() == str(tmp_path / "mymlp.onnx")
    dialog.target.setCurrentIndex(dialog.target.findData("pytorch"))
    assert path_edit.text() == str(tmp_path / "mymlp-pytorch")
    assert "untitled" not in path_edit.text()


def test_a_path_with_markup_shows_as_plain_text(qtbot, window, tmp_path):
    dialog = open_through_menus(qtbot, window)
    dialog.target.setCurrentIndex(dialog.target.findData("numpy"))
    (tmp_path / "<i>taken<i>").write_text("a file")
    dialog.path.setText(str(tmp_path / "<i>taken<i>"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.export_button.isEnabled(), timeout=60000)
    label = dialog.findChild(QLabel, "exportStatus")
    assert "<i>taken<i>' is a file" in label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText
