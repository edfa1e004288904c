"""Undoable edits of a design, pushed onto the session's QUndoStack.

Each command changes the design only through its public methods, so the design validates and
emits its events, and the scene follows those events whether the change comes from a first
``redo``, an undo or a redo. Commands are checked by the controller before they are pushed;
``redo`` never meets a refusal in normal use.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from nnstudio.core.design import Design, Link


class AddNodeCommand(QUndoCommand):
    """Add one layer (its id is fixed on the first redo so redo re-creates the same node)."""

    def __init__(self, design: Design, kind: str, params: dict | None = None,
                 pos: tuple[float, float] = (0.0, 0.0), node_id: str | None = None) -> None:
        super().__init__(f"Add {kind}")
        self.design = design
        self.kind = kind
        self.params = dict(params or {})
        self.pos = pos
        self.node_id = node_id

    def redo(self) -> None:
        node = self.design.add_node(self.kind, self.params, node_id=self.node_id, pos=self.pos)
        self.node_id = node.id
        self.params = dict(node.params)

    def undo(self) -> None:
        self.design.remove_node(self.node_id)


def set_input_order(design: Design, dst: str, order: list[str]) -> None:
    """Relink the inputs of ``dst`` (already the layers of ``order``) in ``order``."""
    if design.inputs_of(dst) != order:
        for src in design.inputs_of(dst):
            design.disconnect(src, dst)
        for src in order:
            design.connect(src, dst)


class RemoveCommand(QUndoCommand):
    """Remove layers (with all their links) and single links; undo restores both exactly,
    including the input order of merge layers."""

    def __init__(self, design: Design, node_ids: list[str],
                 links: list[tuple[str, str]] | None = None) -> None:
        self.design = design
        self.node_ids = [n for n in node_ids if n in design.nodes]
        gone = set(self.node_ids)
        extra = [Link(s, d) for s, d in (links or [])
                 if Link(s, d) in design.links and s not in gone and d not in gone]
        touching = [lk for lk in design.links if lk.src in gone or lk.dst in gone]
        self.links = touching + extra
        self.nodes = [(n, design.nodes[n].kind, dict(design.nodes[n].params),
                       design.nodes[n].pos) for n in self.node_ids]
        dsts = {lk.dst for lk in self.links if lk.dst not in gone}
        self.input_order = {d: design.inputs_of(d) for d in dsts}
        if self.node_ids and not extra:
            what = self.nodes[0][0] if len(self.nodes) == 1 else f"{len(self.nodes)} layers"
        elif not self.node_ids:
            what = "link" if len(extra) == 1 else f"{len(extra)} links"
        else:
            what = f"{len(self.nodes)} layers and {len(extra)} links"
        super().__init__(f"Delete {what}")

    def redo(self) -> None:
        gone = set(self.node_ids)
        for lk in self.links:
            if lk.src not in gone and lk.dst not in gone and lk in self.design.links:
                self.design.disconnect(lk.src, lk.dst)
        for n in self.node_ids:
            self.design.remove_node(n)

    def undo(self) -> None:
        for node_id, kind, params, pos in self.nodes:
            self.design.add_node(kind, params, node_id=node_id, pos=pos)
        for lk in self.links:
            self.design.connect(lk.src, lk.dst)
        for dst, order in self.input_order.items():
            set_input_order(self.design, dst, order)


class ConnectCommand(QUndoCommand):
    """Link ``src`` -> ``dst``."""

    def __init__(self, design: Design, src: str, dst: str) -> None:
        super().__init__(f"Connect {src} → {dst}")
        self.design, self.src, self.dst = design, src, dst

    def redo(self) -> None:
        self.design.connect(self.src, self.dst)

    def undo(self) -> None:
        self.design.disconnect(self.src, self.dst)


class InsertCommand(QUndoCommand):
    """Put layer ``mid`` (unlinked) into the link ``src`` -> ``dst``: ``src`` -> ``mid`` ->
    ``dst``, where ``mid`` takes the place of ``src`` among the inputs of ``dst``."""

    def __init__(self, design: Design, src: str, mid: str, dst: str) -> None:
        super().__init__(f"Insert {mid} between {src} and {dst}")
        self.design, self.src, self.mid, self.dst = design, src, mid, dst

    def _swap(self, old: str, new: str) -> None:
        design, dst = self.design, self.dst
        order = [new if s == old else s for s in design.inputs_of(dst)]
        design.disconnect(old, dst)
        design.connect(new, dst)
        set_input_order(design, dst, order)

    def redo(self) -> None:
        self.design.connect(self.src, self.mid)
        self._swap(self.src, self.mid)

    def undo(self) -> None:
        self._swap(self.mid, self.src)
        self.design.disconnect(self.src, self.mid)


class SetParamsCommand(QUndoCommand):
    """Change parameters of one layer."""

    def __init__(self, design: Design, node_id: str, params: dict) -> None:
        node = design.nodes[node_id]
        names = ", ".join(params)
        super().__init__(f"Set {node_id} {names}")
        self.design = design
        self.node_id = node_id
        self.new = dict(params)
        self.old = {k: node.params.get(k) for k in params}

    def redo(self) -> None:
        self.design.set_params(self.node_id, **self.new)

    def undo(self) -> None:
        self.design.set_params(self.node_id, **self.old)


class MoveCommand(QUndoCommand):
    """Move layers: one whole drag, or a tidy layout, is one step."""

    def __init__(self, design: Design, moves: dict[str, tuple[tuple[float, float],
                                                             tuple[float, float]]],
                 text: str | None = None) -> None:
        n = len(moves)
        super().__init__(text or (f"Move {next(iter(moves))}" if n == 1 else f"Move {n} layers"))
        self.design = design
        self.moves = dict(moves)

    def _apply(self, which: int) -> None:
        for node_id, pair in self.moves.items():
            if node_id in self.design.nodes:
                self.design.set_pos(node_id, pair[which])

    def redo(self) -> None:
        self._apply(1)

    def undo(self) -> None:
        self._apply(0)
