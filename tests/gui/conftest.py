"""Shared fixtures of the window tests: one real main window on a tiny design and data."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, tiny_design, tiny_data):
    """A real main window (not shown) on the 4-unit tiny design with 400 samples of two
    blobs; settings, runs and the person's files in the test's own folder; "Discard"
    answers every question about unsaved work. Its training process ends with the test."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from nnstudio.gui import MainWindow
    from nnstudio.gui.session import Session

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    session = Session(tiny_design(units=4))
    session.set_dataset(tiny_data(400))
    w = MainWindow(session, settings=QSettings(str(tmp_path / "settings.ini"),
                                               QSettings.Format.IniFormat), data=None)
    qtbot.addWidget(w)
    yield w
    w.controller.shutdown(5000)
