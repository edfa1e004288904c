"""The window's keyboard shortcuts, pressed as a person presses them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QFileDialog

from nnstudio.core.design import load_design
from tests.gui.gestures import choose_template, set_units

pytest.importorskip("pytestqt")


class _Step(QUndoCommand):
    """An undoable edit that counts how often it was undone and redone."""

    def __init__(self, log: list[str]) -> None:
        super().__init__("a step")
        self.log = log

    def redo(self) -> None:
        self.log.append("redo")

    def undo(self) -> None:
        self.log.append("undo")


#: the window on the tiny design and 200 samples, shown
pytestmark = pytest.mark.window(data=200, show=True)


def _at_the_keyboard(w) -> None:
    """Make ``w`` the active window with the keyboard focus on its page tabs."""
    w.activateWindow()
    w.tabs.setFocus()


def _press(qtbot, w, key: Qt.Key, mods=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(w.focusWidget() or w, key, mods)
    qtbot.wait(20)


def test_ctrl_z_undoes_and_ctrl_shift_z_and_ctrl_y_redo(window, qtbot):
    _at_the_keyboard(window)
    log: list[str] = []
    window.session.undo_stack.push(_Step(log))
    assert log == ["redo"]
    ctrl = Qt.KeyboardModifier.ControlModifier
    _press(qtbot, window, Qt.Key.Key_Z, ctrl)
    assert log == ["redo", "undo"]
    _press(qtbot, window, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    assert log == ["redo", "undo", "redo"]
    _press(qtbot, window, Qt.Key.Key_Z, ctrl)
    _press(qtbot, window, Qt.Key.Key_Y, ctrl)
    assert log == ["redo", "undo", "redo", "undo", "redo"]


def test_ctrl_number_goes_to_each_page(window, qtbot):
    _at_the_keyboard(window)
    for i in reversed(range(window.tabs.count())):
        _press(qtbot, window, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == i


def test_ctrl_s_saves_and_ctrl_shift_s_saves_as(window, qtbot, tmp_path, monkeypatch):
    _at_the_keyboard(window)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(first), "Design only, no weights (*.json)"))
    window.session.set_dirty(True)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # asks: no path yet
    assert first.is_file() and not window.session.dirty
    assert list(load_design(first).nodes) == ["in", "fc1", "fc2", "out"]
    first.unlink()
    window.session.set_dirty(True)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # saves in place
    assert first.is_file() and not window.session.dirty
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(second), "Design only, no weights (*.json)"))
    _press(qtbot, window, Qt.Key.Key_S,
           Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert second.is_file() and window.session.path == second


def test_ctrl_o_opens_and_ctrl_n_starts_a_new_design(window, qtbot, tmp_path, monkeypatch):
    from nnstudio.core.design import save_design
    from nnstudio.core.templates import get_template

    _at_the_keyboard(window)
    path = tmp_path / "mlp.json"
    save_design(get_template("mlp"), path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    _press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.session.path == path
    assert len(window.session.design.nodes) == len(get_template("mlp").nodes)
    _press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.session.path is None
    assert sorted(n.kind for n in window.session.design.nodes.values()) == ["Input", "Output"]


def test_space_plays_and_pauses(window, qtbot):
    _at_the_keyboard(window)
    c = window.controller
    c.apply_settings(epochs=200)
    _press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.training_state == "running", timeout=30000)
    _press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.training_state == "paused", timeout=15000)
    _press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.training_state == "running", timeout=15000)
    c.stop()
    qtbot.waitUntil(lambda: not c.running, timeout=15000)


def test_undo_and_redo_follow_the_design_chosen_later(window, qtbot):
    """A template replaces the design (and its undo history): Ctrl+Z and Ctrl+Y then undo
    and redo the edits of the new design, and the Edit menu's Undo says it can."""
    _at_the_keyboard(window)
    w = window
    page = w.pages["designPage"]
    w.tabs.setCurrentWidget(page)
    choose_template(qtbot, w, "mlp")
    qtbot.waitUntil(lambda: "fc3" in w.session.design.nodes, timeout=10000)
    assert not w.actions_.undo.isEnabled()
    set_units(qtbot, w, "fc1", 64)
    assert w.actions_.undo.isEnabled()
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(page.view, Qt.Key.Key_Z, ctrl)
    assert w.session.design.nodes["fc1"].params["units"] == 256
    assert not w.actions_.undo.isEnabled() and w.actions_.redo.isEnabled()
    qtbot.keyClick(page.view, Qt.Key.Key_Y, ctrl)
    assert w.session.design.nodes["fc1"].params["units"] == 64
