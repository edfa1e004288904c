"""The Design page as a newcomer meets it: a layer added after another goes into its link, the
diagram opens at a zoom where its text reads, and a clicked palette kind looks selected."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from nnstudio.core.design import Design, design_to_dict  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.gui.design import EditorPanel  # noqa: E402
from nnstudio.gui.design.view import READABLE_ZOOM  # noqa: E402
from nnstudio.gui.session import Session  # noqa: E402
from tests.gui.test_editor import card_centre, click, make_panel, same_design  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def double_click_kind(panel: EditorPanel, kind: str) -> None:
    """Click, then double-click, a kind in the palette, as a person does."""
    palette = panel.palette
    centre = palette.visualItemRect(palette.item_for(kind)).center()
    QTest.mouseClick(palette.viewport(), LEFT, NOMOD, centre)
    QTest.mouseDClick(palette.viewport(), LEFT, NOMOD, centre)


def opened_panel(qtbot, design: Design, width: int, height: int) -> EditorPanel:
    """A Design page shown for the first time at ``width`` x ``height``, as it opens."""
    panel = EditorPanel(Session(design))
    qtbot.addWidget(panel)
    panel.resize(width, height)
    with qtbot.waitSignal(panel.view.zoomChanged, timeout=10000):
        panel.show()
    return panel


def in_view(panel: EditorPanel, node_id: str) -> bool:
    """Whether the whole card of ``node_id`` is inside the diagram's viewport."""
    card = panel.view.mapFromScene(panel.scene.nodes[node_id].card_rect_scene()).boundingRect()
    return panel.view.viewport().rect().contains(card)


# ---------------------------------------------------------------------- adding after a layer
def test_a_layer_added_after_a_linked_layer_goes_into_its_link(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    session, design = panel.session, panel.session.design
    before = design_to_dict(design)
    click(panel, card_centre(panel, "fc1"))
    assert panel.scene.selected_node_ids() == ["fc1"]
    double_click_kind(panel, "Dropout")
    assert design.inputs_of("dropout1") == ["fc1"]
    assert design.inputs_of("fc2") == ["dropout1"]
    assert design.outputs_of("fc1") == ["dropout1"]
    assert session.analysis.ok, session.analysis.all_errors()
    assert panel.scene.selected_node_ids() == ["dropout1"]
    # the tidy diagram stays tidy: the new card stands in the row, no card on another
    cards = list(panel.scene.nodes.values())
    for i, a in enumerate(cards):
        for b in cards[i + 1:]:
            assert not a.card_rect_scene().intersects(b.card_rect_scene())
    assert panel.controller.is_tidy()
    session.undo_stack.undo()  # one step takes the layer, its links and the moves back
    assert same_design(design_to_dict(design), before)
    assert set(panel.scene.links) == {(lk.src, lk.dst) for lk in design.links}
    session.undo_stack.redo()
    assert design.inputs_of("fc2") == ["dropout1"] and session.analysis.ok


def test_a_layer_inserted_before_a_merge_keeps_its_input_slot(qtbot):
    d = Design("merge")
    d.add_node("Input", {"shape": [4]}, node_id="x", pos=(0, 0))
    d.add_node("Dense", {"units": 3}, node_id="a", pos=(300, -100))
    d.add_node("Dense", {"units": 5}, node_id="b", pos=(300, 100))
    d.add_node("Concatenate", node_id="cat", pos=(600, 0))
    for s, t in (("x", "a"), ("x", "b"), ("a", "cat"), ("b", "cat")):
        d.connect(s, t)
    panel = make_panel(qtbot, d)
    design = panel.session.design
    click(panel, card_centre(panel, "a"))
    double_click_kind(panel, "Activation")
    assert design.inputs_of("cat") == ["act1", "b"]   # still the first part
    assert design.inputs_of("act1") == ["a"]
    assert panel.session.analysis.shapes["cat"] == (8,)
    panel.session.undo_stack.undo()
    assert design.inputs_of("cat") == ["a", "b"] and "act1" not in design.nodes


def test_an_output_after_a_layer_that_feeds_another_is_added_apart_and_says_why(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    design = panel.session.design
    click(panel, card_centre(panel, "fc1"))
    double_click_kind(panel, "Output")
    assert design.inputs_of("output1") == [] and design.inputs_of("fc2") == ["fc1"]
    assert "ends the network" in panel.last_message and panel.toast.isVisible()


# ---------------------------------------------------------------------- the zoom it opens at
def test_a_design_that_does_not_fit_opens_readable_with_scroll_bars(qtbot):
    panel = opened_panel(qtbot, get_template("cnn"), 1000, 640)
    view = panel.view
    assert view.zoom() >= READABLE_ZOOM
    assert panel.zoom_label.text() == f"{view.zoom() * 100:.0f}%"
    assert in_view(panel, "input")          # it opens at its start ...
    assert not in_view(panel, "output")     # ... and the rest is a scroll away
    bars = [b for b in (view.horizontalScrollBar(), view.verticalScrollBar())
            if b.isVisible()]
    assert bars
    for bar in bars:   # click the scroll bars' far ends, as a person pages along
        end = QPoint(bar.width() - 2, bar.height() // 2) if bar.orientation() == \
            Qt.Orientation.Horizontal else QPoint(bar.width() // 2, bar.height() - 2)
        for _ in range(20):
            QTest.mouseClick(bar, LEFT, NOMOD, end)
    qtbot.waitUntil(lambda: in_view(panel, "output"), timeout=10000)
    assert view.zoom() >= READABLE_ZOOM


def test_a_design_that_fits_opens_at_full_size_without_scroll_bars(qtbot):
    d = Design("t")
    d.add_node("Input", {"shape": [784]}, node_id="input", pos=(0, 0))
    d.add_node("Dense", {"units": 8}, node_id="fc1", pos=(270, 0))
    d.add_node("Output", node_id="output", pos=(540, 0))
    d.connect("input", "fc1")
    d.connect("fc1", "output")
    panel = opened_panel(qtbot, d, 1400, 800)
    view = panel.view
    assert view.zoom() == pytest.approx(1.0)
    assert all(in_view(panel, n) for n in d.nodes)
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible()
                    and not view.verticalScrollBar().isVisible(), timeout=10000)
    panel.fit_button.click()   # Fit never magnifies past 100 % either
    assert view.zoom() == pytest.approx(1.0)


# ---------------------------------------------------------------------- the palette's look
def longest_run(image, y: int, x0: int, x1: int, background: QColor) -> int:
    """Longest run of pixels on row ``y`` from ``x0`` to ``x1`` that differ from
    ``background``."""
    best = run = 0
    for x in range(x0, x1):
        c = image.pixelColor(x, y)
        far = max(abs(c.red() - background.red()), abs(c.green() - background.green()),
                  abs(c.blue() - background.blue())) > 24
        run = run + 1 if far else 0
        best = max(best, run)
    return best


def test_a_clicked_palette_kind_looks_selected_not_like_a_text_field(qtbot):
    panel = make_panel(qtbot, get_template("mlp"))
    palette = panel.palette
    item = palette.item_for("Dense")
    rect: QRect = palette.visualItemRect(item)
    panel.activateWindow()
    qtbot.waitActive(panel)
    QTest.mouseClick(palette.viewport(), LEFT, NOMOD, rect.center())
    assert palette.currentItem() is item and item.isSelected()
    qtbot.waitUntil(palette.hasFocus, timeout=10000)
    image = palette.viewport().grab().toImage()
    # filled as a selected row: its colour differs from the list's background beside it
    inside = image.pixelColor(rect.right() - 8, rect.center().y())
    outside = image.pixelColor(rect.right() - 8, palette.visualItemRect(
        palette.item_for("Input")).center().y())
    assert inside != outside
    # and no frame drawn round the text: no line runs across the row (text and icon are
    # short runs broken by the gaps between letters)
    runs = [longest_run(image, y, rect.left() + 8, rect.right() - 8, inside)
            for y in range(rect.top() + 3, rect.bottom() - 2)]
    assert max(runs) < rect.width() // 2, runs
