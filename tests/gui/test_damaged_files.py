"""Damaged files in the window: File > Open and the digits store say what is wrong."""

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


def test_the_draw_page_says_where_a_damaged_digits_file_was_moved(qtbot, tmp_path,
                                                                  monkeypatch):
    from PySide6.QtCore import QObject

    from nnstudio.gui.draw.page import DrawPanel

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "user"))
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "my_digits.npz").write_bytes(b"PK\x03\x04 half a zip")
    panel = DrawPanel(Session(get_template("cnn")))
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    message = panel.findChild(QObject, "drawMessage")
    qtbot.waitUntil(lambda: bool(message.text()))  # the message area is always there
    aside = list((tmp_path / "user").glob("my_digits.damaged-*.npz"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"PK\x03\x04 half a zip"
    assert str(aside[0]) in message.text() and message.property("kind") == "error"
    panel.grab().save(str(tmp_path / "draw.png"))


def _window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from nnstudio.gui import MainWindow

    w = MainWindow(Session(get_template("cnn")),
                   settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   data=None)
    qtbot.addWidget(w)
    return w


@pytest.mark.parametrize("damage", ["broken", "nan weights"])
def test_a_file_given_at_start_up_is_explained_once_the_window_shows(qtbot, tmp_path, damage):
    """``nnstudio BROKEN.json`` and a model with NaN weights: the window opens the file before
    it is shown (as ``nnstudio FILE`` does), and the message appears when it is."""
    if damage == "broken":
        path, name = tmp_path / "BROKEN.json", "openErrorBox"
        path.write_text('{"nodes": [', encoding="utf-8")
    else:
        path, name = tmp_path / "nan.npz", "badWeightsBox"
        net = Network(get_template("mlp"))
        weights = net.get_weights()
        first = next(iter(weights))
        weights[first] = np.full_like(weights[first], np.nan)
        net.set_weights(weights)
        save_model(path, net)
    w = _window(qtbot, tmp_path)
    try:
        w.commands.open_path(str(path), ask=False)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: (box := w.findChild(QMessageBox, name)) is not None
                        and box.isVisible(), timeout=10000)
        assert path.name in w.findChild(QMessageBox, name).text()
    finally:
        w.controller.shutdown(5000)


def _open_by_menu(qtbot, w, path, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    open_action = w.findChild(QAction, "actionOpen")
    file_menu = next(m for m in w.menuBar().findChildren(QMenu) if open_action in m.actions())
    bar = w.menuBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.actionGeometry(file_menu.menuAction()).center())
    qtbot.waitUntil(file_menu.isVisible)
    qtbot.mouseClick(file_menu, Qt.MouseButton.LeftButton,
                     pos=file_menu.actionGeometry(open_action).center())


@pytest.mark.parametrize("size", ["layers", "memory"])
def test_a_design_too_large_is_refused_by_the_window_in_the_words_of_the_cli(
        qtbot, tmp_path, monkeypatch, capsys, size):
    """2,001 layers, or a design over the memory limit: refused at once, nothing changed,
    with the sentence ``nnstudio train`` prints."""
    import time

    from nnstudio import cli
    from nnstudio.core.design import save_design
    from nnstudio.core.templates import chain

    if size == "layers":
        design = chain("tall", [2], [(f"d{i}", "Dense", {"units": 2, "activation": "relu"})
                                     for i in range(1_999)], "mse")
    else:
        monkeypatch.setenv("NNSTUDIO_MEMORY_LIMIT_GB", "0.25")
        design = chain("wide", [784], [("h", "Dense", {"units": 100_000, "activation": "relu"}),
                                       ("o", "Dense", {"units": 10, "activation": "softmax"})],
                       "cross_entropy")
    path = tmp_path / "big.json"
    save_design(design, path)
    assert cli.main(["train", "--design", str(path), "--data", "toy:xor", "--epochs", "1",
                     "--out", str(tmp_path / "m.npz")]) == 2
    cli_words = capsys.readouterr().err.strip().removeprefix("nnstudio: ")
    assert ("2,001 layers, limit 2,000" if size == "layers" else "of memory to train") \
        in cli_words
    w = _window(qtbot, tmp_path)
    w.show()
    qtbot.waitExposed(w)
    before = design_to_dict(w.session.design)
    try:
        start = time.perf_counter()
        _open_by_menu(qtbot, w, path, monkeypatch)
        qtbot.waitUntil(lambda: w.findChild(QMessageBox, "openErrorBox") is not None,
                        timeout=10000)
        assert time.perf_counter() - start < 5
        assert w.findChild(QMessageBox, "openErrorBox").text() == cli_words
        assert design_to_dict(w.session.design) == before
    finally:
        w.controller.shutdown(5000)
