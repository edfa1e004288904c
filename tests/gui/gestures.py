"""What a person does with the window, as real events, shared by the GUI tests."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from nnstudio.core.templates import get_template
from nnstudio.gui.design import EditorPanel
from nnstudio.gui.session import Session

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def set_units(qtbot, w, node_id: str, units: int) -> None:
    """Click a layer on the Design page and type a unit count into the inspector."""
    panel = w.pages["designPage"]
    item = panel.scene.nodes[node_id]
    panel.view.centerOn(item)
    QTest.mouseClick(panel.view.viewport(), LEFT, NO_MOD,
                     panel.view.mapFromScene(item.card_rect_scene().center()))
    field = panel.inspector.fields["units"]
    field.edit.setFocus()
    field.edit.selectAll()
    QTest.keyClicks(field.edit, str(units))
    QTest.keyClick(field.edit, Qt.Key.Key_Return)
    assert w.session.design.nodes[node_id].params["units"] == units


def neuron_panel(qtbot, template: str):
    """A shown Design page on ``template`` with its Neurons view open: (session, panel, view)."""
    session = Session(get_template(template))
    panel = EditorPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.neuron_button.click()
    neurons = panel.neurons
    qtbot.waitUntil(lambda: neurons.updates > 0, timeout=10000)
    neurons.canvas.grab()  # paints now, which places the neurons
    return session, panel, neurons


def click_neuron(neurons, c: int, i: int) -> None:
    """Click neuron ``i`` of column ``c`` in the Neurons view."""
    neurons.canvas.grab()  # paints now, which places the neurons
    pt = next(p for cc, ii, p in neurons.canvas.hits if (cc, ii) == (c, i))
    QTest.mouseClick(neurons.canvas, LEFT, NO_MOD, pt.toPoint())


def choose_template(qtbot, w, name: str) -> None:
    """Pick a template in the Design page's chooser with the keyboard (its title's first
    letter, as a person types it)."""
    chooser = w.pages["designPage"].templates
    title = chooser.itemText(chooser.findData(name))
    chooser.setFocus()
    QTest.keyClicks(chooser, title[0])


def show_page(qtbot, w, name: str) -> None:
    """Click the page's tab."""
    bar = w.tabs.tabBar()
    index = w.tabs.indexOf(w.pages[name])
    QTest.mouseClick(bar, LEFT, NO_MOD, bar.tabRect(index).center())
    qtbot.waitUntil(lambda: w.tabs.currentWidget() is w.pages[name], timeout=10000)


def draw_seven(qtbot, w) -> np.ndarray:
    """Draw a 7 on the Draw page with the mouse; the page's probabilities."""
    show_page(qtbot, w, "drawPage")
    page = w.pages["drawPage"]
    page.canvas.throttle_ms = 0
    QTest.keyClick(page.canvas, Qt.Key.Key_Escape)  # a clean board
    r = page.canvas.board_rect()

    def at(x: float, y: float) -> QPoint:
        return QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height()))

    points = [(0.3 + 0.4 * t, 0.25) for t in np.linspace(0, 1, 12)]
    points += [(0.7 - 0.25 * t, 0.25 + 0.55 * t) for t in np.linspace(0, 1, 16)]
    QTest.mousePress(page.canvas, LEFT, NO_MOD, at(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(page.canvas, at(*p))
    QTest.mouseRelease(page.canvas, LEFT, NO_MOD, at(*points[-1]))
    qtbot.waitUntil(lambda: page.probs is not None, timeout=10000)
    return np.array(page.probs, copy=True)
