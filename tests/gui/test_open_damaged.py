"""File > Open with a damaged file: the window says what is wrong and keeps what was open."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from nnstudio.core.design import design_to_dict
from nnstudio.core.modelfile import save_model
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.gui.session import Session


def damaged_model(path) -> None:
    """A model whose design text is a deeply nested JSON list (RecursionError before)."""
    save_model(path, Network(get_template("mlp")))
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    buf = io.BytesIO()
    np.save(buf, np.array("[" * 100_000 + "]" * 100_000))
    members["design.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("damage", ["nested design", "truncated"])
def test_file_open_of_a_damaged_model_shows_the_error(qtbot, tmp_path, monkeypatch, damage):
    from PySide6.QtCore import QSettings

    from nnstudio.gui import MainWindow

    path = tmp_path / "broken.npz"
    damaged_model(path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    w = MainWindow(Session(get_template("cnn")),
                   settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   data=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    before = design_to_dict(w.session.design)
    try:
        open_action = w.findChild(QAction, "actionOpen")
        file_menu = next(m for m in w.menuBar().findChildren(QMenu)
                         if open_action in m.actions())
        bar = w.menuBar()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                         pos=bar.actionGeometry(file_menu.menuAction()).center())
        qtbot.waitUntil(file_menu.isVisible)
        qtbot.mouseClick(file_menu, Qt.MouseButton.LeftButton,
                         pos=file_menu.actionGeometry(open_action).center())
        qtbot.waitUntil(lambda: w.findChild(QMessageBox, "openErrorBox") is not None)
        box = w.findChild(QMessageBox, "openErrorBox")
        assert "broken.npz" in box.text()
        assert ("damaged" if damage == "truncated" else "nested too deeply") in box.text()
        assert design_to_dict(w.session.design) == before
        box.grab().save(str(tmp_path / "open-error.png"))
    finally:
        w.controller.shutdown(5000)
