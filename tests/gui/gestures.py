"""What a person does with the window, as real events, shared by the GUI tests."""

from __future__ import annotations

from PySide6.QtCore import Qt
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
