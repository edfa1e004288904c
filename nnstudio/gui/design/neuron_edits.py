"""+ and − in the Neurons view: one more or one fewer neuron in a layer, or hidden layer.

As in TensorFlow Playground, the buttons sit in the picture: a pair above each hidden layer
for its neurons, and a pair at the top for the hidden layers. Each press is an ordinary
design edit on the session's undo stack (:mod:`nnstudio.gui.design.commands`), so Undo takes
it back, and the session keeps the trained weights of every layer whose shape did not change
(and brings back the others on Undo). A new hidden layer goes after the last one, as wide and
with the same activation; the last hidden layer is the one removed. In the diagram the cards
after the change move along the chain by one place (into the next card's place, or back into
the removed one's), so the diagram stays as tidy as it was; the move is part of the same
undo step. While a run is active the structure cannot change, and the buttons say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QToolButton, QWidget

from nnstudio.core.design import Design, ParamError, validate_params
from nnstudio.gui.design import theme
from nnstudio.gui.design.commands import (
    AddNodeCommand,
    ConnectCommand,
    MoveCommand,
    RemoveCommand,
    SetParamsCommand,
)
from nnstudio.gui.session import Session

__all__ = ["EditButtons", "LayerEdits"]

BUTTON = 22
STYLE = (f"QToolButton {{ border: 1px solid {theme.BORDER}; border-radius: 11px; "
         f"background: white; color: {theme.TEXT}; font-weight: bold; font-size: 11pt; }}"
         f"QToolButton:hover {{ border-color: {theme.SELECT}; }}"
         f"QToolButton:disabled {{ color: {theme.FAINT}; background: {theme.CANVAS}; }}")


@dataclass
class Hidden:
    """A hidden layer as the Neurons view draws it: the Dense node and the node its
    output leaves from (its last Activation/Dropout, or itself)."""

    node: str
    shown: str
    units: int
    activation: str


def chain_from(design: Design, start: str) -> list[str]:
    """``start`` and the nodes after it, while each leads to exactly one next node."""
    out: list[str] = []
    node: str | None = start
    while node is not None and node not in out:
        out.append(node)
        nexts = design.outputs_of(node)
        node = nexts[0] if len(nexts) == 1 else None
    return out


class LayerEdits:
    """The design edits behind the buttons, pushed on ``session.undo_stack``.

    Each method returns None when done, or a sentence saying why not.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def design(self) -> Design:
        return self.session.design

    def _locked(self) -> str | None:
        if self.session.is_training:
            return "Training is running: stop it to change the layers."
        return None

    def set_units(self, node_id: str, units: int) -> str | None:
        """Give the Dense layer ``node_id`` ``units`` neurons."""
        if (why := self._locked()) is not None:
            return why
        node = self.design.nodes.get(node_id)
        if node is None:
            return f"There is no layer '{node_id}'."
        if units < 1:
            return f"'{node_id}' keeps at least one neuron; remove the layer with the − above."
        try:
            validate_params(node.kind, {**node.params, "units": int(units)})
        except ParamError as err:
            return str(err)
        self.session.undo_stack.push(SetParamsCommand(self.design, node_id,
                                                      {"units": int(units)}))
        return None

    def add_layer(self, after: str, units: int, activation: str) -> str | None:
        """Put a new Dense layer right after node ``after`` (between it and what follows)."""
        if (why := self._locked()) is not None:
            return why
        design = self.design
        nexts = design.outputs_of(after)
        if len(nexts) != 1:
            return f"'{after}' does not lead to exactly one layer: use the diagram."
        nxt = nexts[0]
        rest = chain_from(design, nxt)
        slots = [design.nodes[n].pos for n in [after, *rest]]
        (x0, y0), (x1, y1) = slots[-2], slots[-1]
        slots.append((2 * x1 - x0, 2 * y1 - y0))       # one place further along the chain
        stack = self.session.undo_stack
        stack.beginMacro("Add a hidden layer")
        stack.push(RemoveCommand(design, [], [(after, nxt)]))
        add = AddNodeCommand(design, "Dense", {"units": int(units), "activation": activation},
                             pos=slots[1])
        moves = {n: (slots[i + 1], slots[i + 2]) for i, n in enumerate(rest)}
        stack.push(MoveCommand(design, moves))   # made room first: the new card takes it
        stack.push(add)
        stack.push(ConnectCommand(design, after, add.node_id))
        stack.push(ConnectCommand(design, add.node_id, nxt))
        stack.endMacro()
        return None

    def remove_layer(self, layer: Hidden) -> str | None:
        """Remove a hidden layer (and its own Activation/Dropout), joining its ends."""
        if (why := self._locked()) is not None:
            return why
        design = self.design
        before = design.inputs_of(layer.node)
        after = design.outputs_of(layer.shown)
        if len(before) != 1 or len(after) != 1:
            return f"'{layer.node}' is not in a plain chain: use the diagram."
        gone, node = [layer.node], layer.node
        while node != layer.shown:
            node = design.outputs_of(node)[0]
            gone.append(node)
        rest = chain_from(design, after[0])
        slots = [design.nodes[n].pos for n in [*gone, *rest]]
        moves = {n: (slots[i + len(gone)], slots[i]) for i, n in enumerate(rest)}
        stack = self.session.undo_stack
        stack.beginMacro(f"Remove the hidden layer {layer.node}")
        stack.push(RemoveCommand(design, gone))
        stack.push(ConnectCommand(design, before[0], after[0]))
        stack.push(MoveCommand(design, moves))     # the cards after it close the gap
        stack.endMacro()
        return None


class EditButtons:
    """The + and − buttons placed over a canvas (children of it, real buttons).

    ``place`` puts them where the canvas says its layers are; ``said`` gets the sentence of
    a refused press.
    """

    def __init__(self, canvas: QWidget, session: Session, said: Callable[[str], None]) -> None:
        self.canvas = canvas
        self.edits = LayerEdits(session)
        self.said = said
        self.buttons: dict[str, QToolButton] = {}
        self.layers_more = self._button("layersMore", "+", "Add a hidden layer")
        self.layers_fewer = self._button("layersFewer", "−", "Remove the last hidden layer")
        self.layers_more.clicked.connect(self._add_layer)
        self.layers_fewer.clicked.connect(self._remove_layer)
        self._key: tuple = ()
        self.hidden: list[Hidden] = []
        self.last_shown = ""

    def _button(self, name: str, text: str, tip: str) -> QToolButton:
        button = QToolButton(self.canvas)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setFixedSize(BUTTON, BUTTON)
        button.setStyleSheet(STYLE)
        button.hide()
        self.buttons[name] = button
        return button

    def _do(self, why: str | None) -> None:
        if why:
            self.said(why)

    def set_layers(self, hidden: list[Hidden], last_shown: str) -> None:
        """The hidden layers drawn now and the node the last hidden layer follows."""
        self.hidden, self.last_shown = hidden, last_shown
        key = tuple(h.node for h in hidden)
        if key == self._key:
            return
        self._key = key
        for name in [n for n in self.buttons if n not in ("layersMore", "layersFewer")]:
            old = self.buttons.pop(name)
            old.hide()
            old.setParent(None)      # gone from the canvas at once, freed by Qt later
            old.deleteLater()
        for h in hidden:
            more = self._button(f"neuronsMore_{h.node}", "+", f"One more neuron in {h.node}")
            fewer = self._button(f"neuronsFewer_{h.node}", "−", f"One neuron fewer in {h.node}")
            more.clicked.connect(lambda _=False, n=h.node: self._units(n, +1))
            fewer.clicked.connect(lambda _=False, n=h.node: self._units(n, -1))

    def _units(self, node_id: str, step: int) -> None:
        layer = next((h for h in self.hidden if h.node == node_id), None)
        if layer is not None:
            self._do(self.edits.set_units(node_id, layer.units + step))

    def _add_layer(self) -> None:
        last = self.hidden[-1] if self.hidden else None
        self._do(self.edits.add_layer(last.shown if last else self.last_shown,
                                      last.units if last else 4,
                                      last.activation if last else "tanh"))

    def _remove_layer(self) -> None:
        if self.hidden:
            self._do(self.edits.remove_layer(self.hidden[-1]))

    def place(self, header: QRectF | None, columns: dict[str, float], top: float,
              locked: bool) -> None:
        """Show the buttons: the layer pair left of ``header``, each neuron pair centred on
        its column's x at ``top``; hide them all when ``header`` is None."""
        if header is None:
            for b in self.buttons.values():
                b.hide()
            return
        y = int(header.center().y() - BUTTON / 2)
        self.layers_more.move(int(header.left()), y)
        self.layers_fewer.move(int(header.left()) + BUTTON + 4, y)
        self.layers_fewer.setEnabled(bool(self.hidden) and not locked)
        self.layers_more.setEnabled(not locked)
        for b in (self.layers_more, self.layers_fewer):
            b.show()
        for h in self.hidden:
            x = columns.get(h.node)
            more, fewer = (self.buttons.get(f"neuronsMore_{h.node}"),
                           self.buttons.get(f"neuronsFewer_{h.node}"))
            if x is None or more is None or fewer is None:
                continue
            more.move(int(x - BUTTON - 2), int(top))
            fewer.move(int(x + 2), int(top))
            more.setEnabled(not locked)
            fewer.setEnabled(h.units > 1 and not locked)
            more.show()
            fewer.show()
