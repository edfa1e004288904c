"""Nothing the person made is lost: trained weights survive design edits and their undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.design import design_to_dict
from nnstudio.core.templates import get_template
from nnstudio.core.weightstore import WeightStore
from nnstudio.gui.session import Session
from tests.gui.gestures import choose_template, draw_seven, set_units, show_page

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


#: the window as it first opens (the shipped model), shown, no data loaded
pytestmark = pytest.mark.window(first_launch=True, show=True, size=(1400, 900))


class Answers:
    """The questions the window asked, as (box name, text), and the button that answers
    them: Discard unless the test chooses another; it must be one the box offers."""

    def __init__(self) -> None:
        self.button = QMessageBox.StandardButton.Discard
        self.asked: list[tuple[str, str]] = []

    def answer(self, box: QMessageBox) -> QMessageBox.StandardButton:
        self.asked.append((box.objectName(), box.text()))
        assert box.standardButtons() & self.button  # the answer is one the dialog offers
        return self.button


@pytest.fixture
def answers(discard, monkeypatch) -> Answers:
    """Answer the window's questions with the button the test chooses (in place of the
    window fixture's "Discard" to everything, which it follows)."""
    answers = Answers()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: answers.answer(box))
    return answers


def click_link(qtbot, w, src: str, dst: str) -> None:
    panel = w.pages["designPage"]
    item = panel.scene.links[(src, dst)]
    panel.view.centerOn(item)
    box = item.boundingRect()
    transform = panel.view.transform()
    point = next(p for p in (box.topLeft() + QPointF(box.width() * i / 20, box.height() * j / 20)
                             for i in range(1, 20) for j in range(1, 20))
                 if panel.scene.itemAt(p, transform) is item)
    QTest.mouseClick(panel.view.viewport(), LEFT, NO_MOD, panel.view.mapFromScene(point))
    qtbot.waitUntil(lambda: item.isSelected(), timeout=10000)


@pytest.mark.usefixtures("shipped_model")
def test_deleting_a_link_and_undoing_gives_the_same_answers_bit_for_bit(qtbot, window):
    w = window
    before = draw_seven(qtbot, w)
    assert int(np.argmax(before)) == 7 and before.max() > 0.5
    show_page(qtbot, w, "designPage")
    panel = w.pages["designPage"]
    click_link(qtbot, w, "conv2", "pool2")
    QTest.keyClick(panel.view, Qt.Key.Key_Delete)
    assert ("conv2", "pool2") not in panel.scene.links
    assert w.session.network is None  # briefly invalid: no network at all
    QTest.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ("conv2", "pool2") in panel.scene.links
    assert w.session.network is not None
    after = draw_seven(qtbot, w)
    assert np.array_equal(before, after)


def delete_layer(qtbot, w, node_id: str) -> None:
    panel = w.pages["designPage"]
    item = panel.scene.nodes[node_id]
    panel.view.centerOn(item)
    QTest.mouseClick(panel.view.viewport(), LEFT, NO_MOD,
                     panel.view.mapFromScene(item.card_rect_scene().center()))
    QTest.keyClick(panel.view, Qt.Key.Key_Delete)
    assert node_id not in w.session.design.nodes


@pytest.mark.usefixtures("shipped_model")
@pytest.mark.parametrize("answer", ["Save", "Cancel"])
def test_the_template_chooser_asks_the_windows_question_and_can_save(qtbot, window, answers,
                                                                    tmp_path, answer):
    from nnstudio.core.modelfile import load_model

    w = window
    answers.button = getattr(QMessageBox.StandardButton, answer)
    path = tmp_path / "mine.npz"
    w.session.path = path
    show_page(qtbot, w, "designPage")
    set_units(qtbot, w, "fc1", 64)
    edited = design_to_dict(w.session.design)
    choose_template(qtbot, w, "mlp")
    assert [name for name, _ in answers.asked] == ["saveChangesBox"]
    assert "Save them first?" in answers.asked[0][1]
    if answer == "Save":
        saved = load_model(path)  # the edited design was saved, then replaced
        assert saved.design.nodes["fc1"].params["units"] == 64
        assert "conv1" not in w.session.design.nodes  # the mlp template is there now
    else:
        assert not path.exists()
        assert design_to_dict(w.session.design) == edited and w.session.dirty


@pytest.mark.usefixtures("shipped_model")
def test_the_window_and_the_design_page_share_one_question(qtbot, window, answers):
    w = window
    answers.button = QMessageBox.StandardButton.Cancel
    show_page(qtbot, w, "designPage")
    delete_layer(qtbot, w, "fc1")  # the design is incomplete now: still the person's work
    QTest.keyClick(w.pages["designPage"].view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    choose_template(qtbot, w, "mlp")
    (box1, text1), (box2, text2) = answers.asked
    assert box1 == box2 == "saveChangesBox"
    assert "fc1" not in w.session.design.nodes  # nothing was replaced


def test_a_layer_whose_shape_changed_starts_fresh_says_so_and_undo_restores_it(qtbot):
    from nnstudio.gui.design import EditorPanel

    session = Session(get_template("mlp"))
    panel = EditorPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    qtbot.waitExposed(panel)
    trained = session.network.get_weights()
    item = panel.scene.nodes["fc1"]
    panel.view.centerOn(item)
    QTest.mouseClick(panel.view.viewport(), LEFT, NO_MOD,
                     panel.view.mapFromScene(item.card_rect_scene().center()))
    field = panel.inspector.fields["units"]
    field.edit.setFocus()
    field.edit.selectAll()
    QTest.keyClicks(field.edit, "100")
    QTest.keyClick(field.edit, Qt.Key.Key_Return)
    assert session.design.nodes["fc1"].params["units"] == 100
    assert "fc1 and fc2 start with new weights" in panel.last_message
    assert panel.toast.isVisible()
    now = session.network.get_weights()
    changed = {k for k in trained if now[k].shape != trained[k].shape}
    assert changed == {"fc1/W", "fc1/b", "fc2/W"}
    for name in set(trained) - changed:  # same shape: the same numbers
        assert np.array_equal(now[name], trained[name]), name
    session.undo_stack.undo()  # (the window's Ctrl+Z is pressed in the test above)
    assert session.design.nodes["fc1"].params["units"] == 256
    back = session.network.get_weights()
    assert all(np.array_equal(back[k], trained[k]) for k in trained)


def test_weights_survive_a_removed_and_restored_layer(qtbot):
    from nnstudio.gui.design.commands import RemoveCommand

    session = Session(get_template("cnn"))
    trained = session.network.get_weights()
    session.undo_stack.push(RemoveCommand(session.design, ["fc1"]))
    assert session.network is None
    session.undo_stack.undo()
    back = session.network.get_weights()
    assert all(np.array_equal(back[k], trained[k]) for k in trained)


def test_weight_store_keeps_each_shape_apart():
    store = WeightStore()
    a = {"fc/W": np.ones((3, 2), np.float32), "fc/b": np.zeros(2, np.float32)}
    store.remember(a)
    fresh = {"fc/W": np.full((3, 4), 5, np.float32), "fc/b": np.full(4, 5, np.float32),
             "new/W": np.ones((1, 1), np.float32)}
    weights, started = store.fill(fresh)
    assert started == ["fc/W", "fc/b"]  # the new layer has nothing set aside
    assert np.array_equal(weights["fc/W"], fresh["fc/W"])
    store.remember(weights)
    back, started = store.fill({"fc/W": np.zeros((3, 2), np.float32),
                                "fc/b": np.zeros(2, np.float32)})
    assert not started and np.array_equal(back["fc/W"], a["fc/W"])
    back["fc/W"][0, 0] = 9  # a copy: the store is not changed through it
    assert store.get("fc/W", (3, 2))[0, 0] == 1
