"""The diagram editor, driven through real mouse and key events on its view."""

from __future__ import annotations

import pytest

from nnstudio.state import RunState

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core.design import (  # noqa: E402
    Design,
    design_from_json,
    design_to_dict,
    design_to_json,
)
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.gui.design import EditorPanel  # noqa: E402
from nnstudio.gui.design.items import CARD_H, CARD_W  # noqa: E402
from nnstudio.gui.session import Session  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def make_panel(qtbot, design: Design) -> EditorPanel:
    session = Session(design)
    panel = EditorPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.view.set_zoom(1.0)
    return panel


def two_layers() -> Design:
    d = Design("t")
    d.add_node("Input", {"shape": [784]}, node_id="input", pos=(0, 0))
    d.add_node("Dense", {"units": 8}, node_id="fc1", pos=(300, 0))
    d.add_node("Output", node_id="output", pos=(600, 0))
    return d


def vp(panel: EditorPanel, scene_point: QPointF) -> QPoint:
    """Viewport point of a scene point (the item is scrolled into view first)."""
    panel.view.ensureVisible(scene_point.x() - 5, scene_point.y() - 5, 10, 10, 60, 60)
    return panel.view.mapFromScene(scene_point)


def drag(panel: EditorPanel, a: QPointF, b: QPointF, modifier=NOMOD) -> None:
    viewport = panel.view.viewport()
    pa, pb = vp(panel, a), panel.view.mapFromScene(b)
    QTest.mousePress(viewport, LEFT, modifier, pa)
    for t in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(viewport, pa + (pb - pa) * t)
    QTest.mouseRelease(viewport, LEFT, modifier, pb)


def card_centre(panel: EditorPanel, node_id: str) -> QPointF:
    return panel.scene.nodes[node_id].card_rect_scene().center()


def out_port(panel: EditorPanel, node_id: str) -> QPointF:
    return panel.scene.nodes[node_id].out_anchor()


def in_port(panel: EditorPanel, node_id: str) -> QPointF:
    return panel.scene.nodes[node_id].in_anchor()


def click(panel: EditorPanel, scene_point: QPointF, modifier=NOMOD) -> None:
    QTest.mouseClick(panel.view.viewport(), LEFT, modifier, vp(panel, scene_point))


def same_design(a: dict, b: dict) -> bool:
    """Equal nodes (id, kind, params, pos) and links, whatever their order in the lists."""
    def key(d: dict):
        nodes = sorted((n["id"], n["kind"], str(n["params"]), tuple(n["pos"])) for n in d["nodes"])
        return nodes, sorted(map(tuple, d["links"]))
    return key(a) == key(b)


# ---------------------------------------------------------------------- placing
def test_drop_from_palette_places_a_layer_undoably(qtbot):
    panel = make_panel(qtbot, Design("empty"))
    session = panel.session
    mime = panel.palette.mime_for("Conv2D")
    viewport = panel.view.viewport()
    at = QPointF(viewport.rect().center())
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, mime, LEFT, NOMOD)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(at, Qt.DropAction.CopyAction, mime, LEFT, NOMOD)
    QApplication.sendEvent(viewport, drop)
    assert list(session.design.nodes) == ["conv1"]
    assert "conv1" in panel.scene.nodes
    # dropped where the mouse was: the card is centred on the drop point
    centre = card_centre(panel, "conv1")
    target = panel.view.mapToScene(at.toPoint())
    assert abs(centre.x() - target.x()) < 12 and abs(centre.y() - target.y()) < 12
    session.undo_stack.undo()
    assert not session.design.nodes and not panel.scene.nodes
    session.undo_stack.redo()
    assert "conv1" in session.design.nodes and "conv1" in panel.scene.nodes


def test_double_click_in_palette_adds_after_the_selected_layer(qtbot):
    panel = make_panel(qtbot, two_layers())
    click(panel, card_centre(panel, "fc1"))
    assert panel.scene.selected_node_ids() == ["fc1"]
    palette = panel.palette
    rect = palette.visualItemRect(palette.item_for("Dropout"))
    QTest.mouseClick(palette.viewport(), LEFT, NOMOD, rect.center())
    QTest.mouseDClick(palette.viewport(), LEFT, NOMOD, rect.center())
    design = panel.session.design
    assert "dropout1" in design.nodes
    assert design.inputs_of("dropout1") == ["fc1"]
    assert design.nodes["dropout1"].pos[0] > design.nodes["fc1"].pos[0]
    panel.session.undo_stack.undo()  # one step removes the layer and its link
    assert "dropout1" not in design.nodes and not design.outputs_of("fc1")


# ---------------------------------------------------------------------- connecting
def test_drag_from_port_to_port_connects(qtbot):
    panel = make_panel(qtbot, two_layers())
    design, stack = panel.session.design, panel.session.undo_stack
    drag(panel, out_port(panel, "input"), in_port(panel, "fc1"))
    assert design.inputs_of("fc1") == ["input"]
    assert ("input", "fc1") in panel.scene.links
    assert panel.scene.links[("input", "fc1")].label == "784"
    drag(panel, in_port(panel, "output"), out_port(panel, "fc1"))  # backwards works too
    assert design.inputs_of("output") == ["fc1"]
    assert panel.session.analysis.ok
    stack.undo()
    stack.undo()
    assert not design.links and not panel.scene.links


def test_invalid_connection_is_refused_with_the_models_message(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    design = panel.session.design
    links_before = list(design.links)
    # a second input into a Dense layer
    drag(panel, out_port(panel, "fc1"), in_port(panel, "fc3"))
    assert design.links == links_before
    assert "already has an input" in panel.last_message
    assert panel.toast.isVisible()
    # a loop
    drag(panel, out_port(panel, "fc3"), in_port(panel, "fc1"))
    assert design.links == links_before
    assert "loop" in panel.last_message or "already has an input" in panel.last_message
    assert panel.session.undo_stack.count() == 0


def test_rubber_link_shows_the_reason_while_hovering(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    viewport = panel.view.viewport()
    a = vp(panel, out_port(panel, "fc1"))
    b = panel.view.mapFromScene(in_port(panel, "fc3"))
    QTest.mousePress(viewport, LEFT, NOMOD, a)
    QTest.mouseMove(viewport, (a + b) / 2)
    QTest.mouseMove(viewport, b)
    hint = panel.scene.hint
    assert hint.isVisible() and hint.bad and "already has an input" in hint.text
    QTest.mouseRelease(viewport, LEFT, NOMOD, b)
    assert not hint.isVisible()


# ---------------------------------------------------------------------- moving
def test_dragging_several_cards_is_one_undo_step(qtbot):
    panel = make_panel(qtbot, two_layers())
    design, stack = panel.session.design, panel.session.undo_stack
    click(panel, card_centre(panel, "input"))
    click(panel, card_centre(panel, "fc1"), Qt.KeyboardModifier.ControlModifier)
    assert sorted(panel.scene.selected_node_ids()) == ["fc1", "input"]
    before = {n: design.nodes[n].pos for n in ("input", "fc1", "output")}
    start = card_centre(panel, "fc1")
    drag(panel, start, start + QPointF(80, 120))
    assert stack.count() == 1
    for n in ("input", "fc1"):
        dx = design.nodes[n].pos[0] - before[n][0]
        dy = design.nodes[n].pos[1] - before[n][1]
        assert abs(dx - 80) <= 8 and abs(dy - 120) <= 8, (n, dx, dy)
    assert design.nodes["output"].pos == before["output"]
    stack.undo()
    assert {n: design.nodes[n].pos for n in before} == before
    assert panel.scene.nodes["input"].pos() == QPointF(*before["input"])


def test_rubber_band_selects_several_cards(qtbot):
    panel = make_panel(qtbot, two_layers())
    panel.view.fit_to_view()
    r = panel.scene.nodes["input"].card_rect_scene().united(
        panel.scene.nodes["fc1"].card_rect_scene())
    drag(panel, r.topLeft() - QPointF(20, 20), r.bottomRight() + QPointF(20, 20))
    assert sorted(panel.scene.selected_node_ids()) == ["fc1", "input"]
    assert panel.session.undo_stack.count() == 0


# ---------------------------------------------------------------------- deleting
def test_delete_key_removes_layer_and_links_and_undo_restores_them(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    design, stack = panel.session.design, panel.session.undo_stack
    before = design_to_dict(design)
    click(panel, card_centre(panel, "fc2"))
    QTest.keyClick(panel.view, Qt.Key.Key_Delete)
    assert "fc2" not in design.nodes and "fc2" not in panel.scene.nodes
    assert ("fc1", "fc2") not in panel.scene.links
    assert not panel.session.analysis.ok  # fc3 lost its input: shown as a problem
    assert panel.scene.nodes["fc3"].info.error
    stack.undo()
    assert same_design(design_to_dict(design), before)
    assert set(panel.scene.links) == {(lk.src, lk.dst) for lk in design.links}
    stack.redo()
    assert "fc2" not in design.nodes
    click(panel, card_centre(panel, "fc1"))
    QTest.keyClick(panel.view, Qt.Key.Key_Backspace)
    assert "fc1" not in design.nodes


def test_deleting_a_merge_input_keeps_the_input_order_on_undo(qtbot):
    d = Design("merge")
    d.add_node("Input", {"shape": [4]}, node_id="x", pos=(0, 0))
    d.add_node("Dense", {"units": 3}, node_id="a", pos=(300, -100))
    d.add_node("Dense", {"units": 5}, node_id="b", pos=(300, 100))
    d.add_node("Concatenate", node_id="cat", pos=(600, 0))
    for s, t in (("x", "a"), ("x", "b"), ("a", "cat"), ("b", "cat")):
        d.connect(s, t)
    panel = make_panel(qtbot, d)
    design = panel.session.design
    panel.controller.delete(["a"], [])
    panel.session.undo_stack.undo()
    assert design.inputs_of("cat") == ["a", "b"]
    assert panel.session.analysis.shapes["cat"] == (8,)


# ---------------------------------------------------------------------- inspector
def test_inspector_refuses_a_bad_value_at_the_field(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    design, stack = panel.session.design, panel.session.undo_stack
    click(panel, card_centre(panel, "fc1"))
    inspector = panel.inspector
    assert inspector.node_id == "fc1"
    field = inspector.fields["units"]
    field.edit.setFocus()
    field.edit.selectAll()
    QTest.keyClicks(field.edit, "-3")
    QTest.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.bad and field.error.isVisible()
    assert "units" in field.error.text() and ">= 1" in field.error.text()
    assert "border" in field.edit.styleSheet() and "#d93025" in field.edit.styleSheet()
    assert design.nodes["fc1"].params["units"] == 256  # not clamped, not changed
    assert stack.count() == 0
    field.edit.selectAll()
    QTest.keyClicks(field.edit, "64")
    QTest.keyClick(field.edit, Qt.Key.Key_Return)
    assert not field.bad and not field.error.isVisible()
    assert design.nodes["fc1"].params["units"] == 64
    assert panel.scene.nodes["fc1"].info.params == 784 * 64 + 64
    stack.undo()
    assert design.nodes["fc1"].params["units"] == 256
    assert field.edit.text() == "256"


def test_inspector_even_kernel_and_combo(qtbot):
    panel = make_panel(qtbot, get_template("cnn"))
    design = panel.session.design
    click(panel, card_centre(panel, "conv1"))
    fields = panel.inspector.fields
    fields["kernel_size"].edit.setText("4")
    fields["kernel_size"].edit.editingFinished.emit()
    assert "odd" in fields["kernel_size"].error.text()
    assert design.nodes["conv1"].params["kernel_size"] == 3
    fields["padding"].edit.setCurrentText("valid")
    assert design.nodes["conv1"].params["padding"] == "valid"
    assert panel.session.analysis.shapes["conv1"] == (16, 26, 26)


# ---------------------------------------------------------------------- errors, files, templates
def test_invalid_design_is_marked_at_the_node_and_listed(qtbot):
    d = get_template("cnn")
    d.remove_node("flatten")
    d.connect("pool2", "fc1")
    panel = make_panel(qtbot, d)
    item = panel.scene.nodes["fc1"]
    assert item.info.error and "flat" in item.info.error
    assert "Flatten" in (item.info.fix or "")
    assert "Flatten" in item.toolTip()
    problems = panel.problems
    assert not problems.ok and problems.count() >= 1
    panel.scene.clearSelection()
    row = next(i for i in range(problems.count())
               if problems.item(i).data(Qt.ItemDataRole.UserRole) == "fc1")
    rect = problems.visualItemRect(problems.item(row))
    QTest.mouseClick(problems.viewport(), LEFT, NOMOD, rect.center())
    assert panel.scene.selected_node_ids() == ["fc1"]
    assert "problem" in panel.summary.text()


def test_save_and_open_round_trip(qtbot, tmp_path):
    panel = make_panel(qtbot, two_layers())
    session = panel.session
    drag(panel, out_port(panel, "input"), in_port(panel, "fc1"))
    drag(panel, out_port(panel, "fc1"), in_port(panel, "output"))
    path = tmp_path / "net.json"
    path.write_text(design_to_json(session.design), encoding="utf-8")
    saved = design_to_dict(session.design)
    session.set_design(get_template("cnn"))
    assert "conv1" in panel.scene.nodes
    session.set_design(design_from_json(path.read_text(encoding="utf-8")), path=path)
    assert set(panel.scene.nodes) == {"input", "fc1", "output"}
    assert set(panel.scene.links) == {("input", "fc1"), ("fc1", "output")}
    assert design_to_dict(session.design) == saved
    for n, node in session.design.nodes.items():
        assert panel.scene.nodes[n].pos() == QPointF(*node.pos)


def test_template_chooser_loads_a_template(qtbot):
    panel = make_panel(qtbot, Design("empty"))
    chooser = panel.templates
    index = chooser.findData("lenet")
    chooser.setCurrentIndex(index)
    chooser.activated.emit(index)
    assert set(panel.scene.nodes) == set(get_template("lenet").nodes)
    assert panel.session.analysis.ok
    assert "61,706" in panel.summary.text()
    # unsaved work is not replaced without asking
    panel.controller.add_layer("Dropout")
    asked = []
    panel.confirm = lambda q: asked.append(q) or False
    assert not panel.load_template("mlp")
    assert asked and "dropout1" in panel.session.design.nodes


def test_tidy_layout_is_one_undo_step_and_handles_merges(qtbot):
    d = Design("merge")
    d.add_node("Input", {"shape": [4]}, node_id="x", pos=(0, 0))
    d.add_node("Dense", {"units": 3}, node_id="a", pos=(900, 500))
    d.add_node("Dense", {"units": 3}, node_id="b", pos=(-300, 240))
    d.add_node("Add", node_id="sum", pos=(10, 600))
    d.add_node("Output", node_id="out", pos=(400, -300))
    for s, t in (("x", "a"), ("x", "b"), ("a", "sum"), ("b", "sum"), ("sum", "out")):
        d.connect(s, t)
    panel = make_panel(qtbot, d)
    design, stack = panel.session.design, panel.session.undo_stack
    before = {n: node.pos for n, node in design.nodes.items()}
    count = stack.count()
    panel.resize(1700, 800)  # room for the four columns in one band
    panel.tidy_button.click()
    assert stack.count() == count + 1
    pos = {n: node.pos for n, node in design.nodes.items()}
    assert pos["x"][0] < pos["a"][0] == pos["b"][0] < pos["sum"][0] < pos["out"][0]
    assert pos["a"][1] != pos["b"][1]
    stack.undo()
    assert {n: node.pos for n, node in design.nodes.items()} == before


# ---------------------------------------------------------------------- view and training lock
def test_wheel_zooms_within_limits(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    viewport = panel.view.viewport()
    centre = QPointF(viewport.rect().center())

    def wheel(steps: int) -> None:
        event = QWheelEvent(centre, panel.view.mapToGlobal(centre), QPoint(0, 0),
                            QPoint(0, 120 * steps), Qt.MouseButton.NoButton, NOMOD,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(viewport, event)

    wheel(1)
    assert panel.view.zoom() == pytest.approx(1.15)
    for _ in range(30):
        wheel(1)
    assert panel.view.zoom() == pytest.approx(2.5)
    for _ in range(60):
        wheel(-1)
    assert panel.view.zoom() == pytest.approx(0.25)
    panel.fit_button.click()
    assert 0.25 <= panel.view.zoom() <= 1.0


def test_structure_is_locked_while_training(qtbot):
    panel = make_panel(qtbot, two_layers())
    session = panel.session
    session.state.run_state = RunState("running")
    assert panel.banner.isVisible()
    assert panel.controller.add_layer("Dense") is None
    assert "Training is running" in panel.last_message
    drag(panel, out_port(panel, "input"), in_port(panel, "fc1"))
    assert not session.design.links
    click(panel, card_centre(panel, "fc1"))
    QTest.keyClick(panel.view, Qt.Key.Key_Delete)
    assert "fc1" in session.design.nodes
    assert not panel.inspector.fields["units"].edit.isEnabled()
    start = card_centre(panel, "fc1")  # moving stays allowed
    drag(panel, start, start + QPointF(0, 96))
    assert session.design.nodes["fc1"].pos[1] == pytest.approx(96, abs=8)
    session.state.run_state = RunState("stopped")
    assert not panel.banner.isVisible()
    assert panel.controller.add_layer("Dense") == "dense1"


def test_cards_show_kind_counts_and_shapes(qtbot):
    panel = make_panel(qtbot, get_template("cnn"))
    info = panel.scene.nodes["conv1"].info
    assert info.params == 160 and info.out_shape == "16×28×28"
    assert "16 filters 3×3" in info.summary
    assert panel.scene.links[("conv1", "pool1")].label == "16×28×28"
    assert "206,922" in panel.summary.text()
    # no card overlaps another and each link has room for its label
    items = list(panel.scene.nodes.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            assert not a.card_rect_scene().intersects(b.card_rect_scene())
    assert CARD_W > 0 and CARD_H > 0


def test_offscreen_render_is_not_blank(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    image = panel.grab().toImage()
    assert image.width() >= 1200
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37)
               for y in range(0, image.height(), 37)}
    assert len(colours) > 10



def test_layered_layout_places_merges_after_their_deepest_input():
    from nnstudio.gui.design.layout import crowded, depths, layered_layout

    links = [("x", "a"), ("a", "b"), ("x", "c"), ("b", "m"), ("c", "m"), ("m", "o")]
    ids = ["x", "a", "b", "c", "m", "o", "stray"]
    assert depths(ids, links) == {"x": 0, "a": 1, "c": 1, "b": 2, "m": 3, "o": 4, "stray": 5}
    pos = layered_layout(ids, links, column_width=100, row_height=50)
    assert pos["m"][0] == 300 and pos["a"][0] == pos["c"][0] == 100
    assert pos["a"][1] != pos["c"][1]
    assert not crowded(pos, links, 80, 40, gap=10)
    wrapped = layered_layout(ids, links, column_width=100, row_height=50, max_columns=3)
    assert max(x for x, _ in wrapped.values()) == 200  # two bands of three columns
    assert wrapped["o"][1] > wrapped["x"][1]


def test_middle_button_drag_pans(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    viewport = panel.view.viewport()
    before = panel.view.mapToScene(viewport.rect().center())
    a = viewport.rect().center()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, NOMOD, a)
    QTest.mouseMove(viewport, a + QPoint(60, 40))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, NOMOD, a + QPoint(120, 80))
    after = panel.view.mapToScene(viewport.rect().center())
    assert after.x() < before.x() - 50 and after.y() < before.y() - 30
    assert panel.session.undo_stack.count() == 0
