"""The editor's controller: keeps the scene in step with the design and turns requests into
undoable commands.

It is the only part of the diagram that reads the design: it hands the scene plain
:class:`~nnstudio.gui.design.items.NodeData`, checks every request against the model before
pushing a command (so a refusal is a message, never a half-done edit), and refuses structural
edits while a training run is active.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QTimer, Signal

from nnstudio.core.design import (
    Analysis,
    Design,
    DesignError,
    DesignEvent,
    Node,
    ParamError,
    format_shape,
    validate_params,
)
from nnstudio.gui.design import layout
from nnstudio.gui.design.commands import (
    AddNodeCommand,
    ConnectCommand,
    InsertCommand,
    MoveCommand,
    RemoveCommand,
    SetParamsCommand,
)
from nnstudio.gui.design.items import CARD_H, CARD_W, GRID, NodeData
from nnstudio.gui.design.scene import DiagramScene
from nnstudio.gui.session import Session
from nnstudio.words import counted

MERGE_KINDS = ("Add", "Concatenate")
COLUMN = 270.0
ROW = 112.0
LOCKED = ("Training is running, so the network's structure is locked: stop training to "
          "add, remove, connect or change layers (moving them is fine).")


def summary(node: Node) -> str:
    """Key parameters of a layer in a few words, e.g. ``"256 units · relu"``."""
    p = node.params
    match node.kind:
        case "Input":
            return f"{format_shape(p['shape'])} values" if len(p["shape"]) == 1 else \
                f"image {format_shape(p['shape'])}"
        case "Dense":
            return f"{counted(p['units'], 'unit')} · {p['activation']}"
        case "Conv2D":
            k = p["kernel_size"]
            text = f"{p['filters']} filters {k}×{k} · {p['activation']}"
            if p["stride"] != 1:
                text += f" · stride {p['stride']}"
            return text + (" · valid" if p["padding"] == "valid" else "")
        case "MaxPool2D":
            k = p["pool_size"]
            s = p["stride"]
            return f"max of {k}×{k}" + (f" · stride {s}" if s not in (None, k) else "")
        case "Flatten":
            return "image → vector"
        case "Dropout":
            return f"drops {p['rate'] * 100:g}% while training"
        case "Activation":
            return p["function"]
        case "Add":
            return "sum of its inputs"
        case "Concatenate":
            return "joins its inputs"
        case "Output":
            return "loss: " + p["loss"].replace("_", " ")
    return ""


def describe(node: Node, analysis: Analysis) -> str:
    """Hover text: what flows in and out."""
    ins = analysis.input_shapes.get(node.id) or []
    out = analysis.shapes.get(node.id)
    parts = []
    if ins:
        parts.append("receives " + ", ".join(format_shape(s) for s in ins))
    if out is not None:
        parts.append("gives " + format_shape(out))
    return "; ".join(parts) or "not connected yet"


def link_error(design: Design, src: str, dst: str) -> DesignError | None:
    """The error ``design.connect(src, dst)`` would raise, without changing the design."""
    return design.can_connect(src, dst)


class EditorController(QObject):
    """Mirror ``session.design`` into ``scene`` and apply the person's edits undoably.

    Signals
    -------
    message(str, str)
        Something to tell the person: text and level (``"error"`` or ``"info"``).
    analysisChanged()
        Shapes, counts or errors may have changed (the panel refreshes its summary).
    """

    message = Signal(str, str)
    analysisChanged = Signal()

    def __init__(self, session: Session, scene: DiagramScene, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.scene = scene
        scene.link_checker = self.check_link
        scene.connectRequested.connect(self.connect_nodes)
        scene.connectRefused.connect(lambda reason: self.message.emit(reason, "error"))
        scene.nodesMoved.connect(self.move_nodes)
        scene.deleteRequested.connect(self.delete)
        scene.layerDropped.connect(self._on_drop)
        session.designEdited.connect(self._on_event)
        session.designReplaced.connect(self.rebuild)
        self.rebuild()

    @property
    def design(self) -> Design:
        return self.session.design

    @property
    def undo_stack(self):
        return self.session.undo_stack

    # ------------------------------------------------------------------ mirroring
    def node_data(self, node: Node, analysis: Analysis) -> NodeData:
        err = analysis.errors.get(node.id)
        return NodeData(
            id=node.id, kind=node.kind, summary=summary(node),
            out_shape=format_shape(analysis.shapes.get(node.id)),
            params=int(analysis.param_counts.get(node.id, 0)),
            has_in=node.kind != "Input", has_out=node.kind != "Output",
            multi_in=node.kind in MERGE_KINDS,
            error=err.message if err else None, fix=err.fix if err else None,
            tooltip=describe(node, analysis))

    def rebuild(self) -> None:
        """Recreate every item from the design (new, opened or template design)."""
        self.scene.clear_diagram()
        self._tidy_if_crowded()
        analysis = self.session.analysis
        for node in self.design.nodes.values():
            self.scene.add_node(self.node_data(node, analysis), node.pos)
        for link in self.design.links:
            self.scene.add_link(link.src, link.dst)
        self.refresh()

    def _tidy_if_crowded(self) -> None:
        """Designs laid out for smaller cards (e.g. built in code) are spread out once, so
        every link has room for its shape label; this is part of opening, not an edit."""
        design = self.design
        positions = {n.id: n.pos for n in design.nodes.values()}
        links = [(lk.src, lk.dst) for lk in design.links]
        if not layout.crowded(positions, links, CARD_W, CARD_H, gap=60.0):
            return
        new = layout.layered_layout(list(positions), links, column_width=COLUMN,
                                    row_height=ROW, max_columns=self.band_columns())
        dirty = self.session.dirty
        for node_id, pos in new.items():
            design.set_pos(node_id, pos)
        self.session.set_dirty(dirty)

    #: the room a tidy layout should fill, in scene units at 100 % (the panel keeps it
    #: up to date with the size of its view)
    room: tuple[float, float] = (940.0, 700.0)

    def band_columns(self) -> int:
        """Columns per band so the tidy diagram fits ``room`` at the largest zoom: the
        fewest bands that keep it at 85 % or more, else the bands with the largest zoom."""
        design = self.design
        links = [(lk.src, lk.dst) for lk in design.links]
        depth = layout.depths(list(design.nodes), links)
        n_cols = max(depth.values(), default=0) + 1
        tallest = max((list(depth.values()).count(d) for d in set(depth.values())), default=1)
        width, height = self.room
        best, best_zoom = n_cols, 0.0
        for bands in range(1, n_cols + 1):
            per = -(-n_cols // bands)
            w = per * COLUMN - (COLUMN - CARD_W) + 80
            h = bands * tallest * ROW + (bands - 1) * 70 + 80
            zoom = min(1.0, width / w, height / h)
            if zoom >= 0.85:
                return per
            if zoom > best_zoom + 1e-9:
                best, best_zoom = per, zoom
        return best

    def refresh(self) -> None:
        """Update every card's shapes, counts and errors and every link's label."""
        design, analysis = self.design, self.session.analysis
        for node in design.nodes.values():
            self.scene.update_node(self.node_data(node, analysis))
        for (src, dst), item in self.scene.links.items():
            shape = analysis.shapes.get(src)
            item.set_label(format_shape(shape) if shape is not None else "?",
                           problem=dst in analysis.errors and shape is not None)
        for node_id in design.nodes:
            if node_id in self.scene.nodes:
                self.scene.set_input_order(node_id, design.inputs_of(node_id))
        self.analysisChanged.emit()

    def _on_event(self, event: DesignEvent) -> None:
        design = self.design
        match event.kind:
            case "node_added":
                node = design.nodes[event.node_id]
                self.scene.add_node(self.node_data(node, self.session.analysis), node.pos)
            case "node_removed":
                self.scene.remove_node(event.node_id)
            case "link_added":
                self.scene.add_link(event.link.src, event.link.dst)
            case "link_removed":
                self.scene.remove_link(event.link.src, event.link.dst)
            case "node_moved":
                node = design.nodes.get(event.node_id)
                if node is not None:
                    self.scene.set_node_pos(node.id, node.pos)
                return
            case "replaced":
                self.rebuild()
                return
        self.refresh()

    # ------------------------------------------------------------------ checks
    def structure_locked(self, tell: bool = True) -> bool:
        """True (and say why) while training runs: the structure cannot change then."""
        if self.session.is_training:
            if tell:
                self.message.emit(LOCKED, "error")
            return True
        return False

    def check_link(self, src: str, dst: str) -> str | None:
        """None when ``src`` -> ``dst`` may be linked, else the reason."""
        if self.session.is_training:
            return "Training is running: stop it to change connections"
        err = link_error(self.design, src, dst)
        return str(err) if err is not None else None

    def check_params(self, node_id: str, **params) -> ParamError | None:
        """The ParamError these values would raise, or None if the layer accepts them."""
        node = self.design.nodes.get(node_id)
        if node is None:
            return ParamError(f"There is no layer '{node_id}'")
        try:
            validate_params(node.kind, {**node.params, **params})
        except ParamError as err:
            return err
        return None

    # ------------------------------------------------------------------ edits
    def _push(self, command) -> bool:
        try:
            self.undo_stack.push(command)
        except DesignError as err:  # pragma: no cover - commands are checked first
            self.message.emit(str(err), "error")
            return False
        return True

    def _can_add(self, kind: str) -> bool:
        """Whether a layer of ``kind`` can be added now (the person is told why not)."""
        if self.structure_locked():
            return False
        try:
            validate_params(kind, {})
        except ParamError as err:
            self.message.emit(str(err), "error")
            return False
        return True

    def add_layer(self, kind: str, pos: tuple[float, float] | None = None,
                  connect_from: str | None = None) -> str | None:
        """Add a layer at ``pos`` (top-left) or a free spot; returns its id or None."""
        if not self._can_add(kind):
            return None
        if pos is None:
            pos = self.free_spot(connect_from)
        command = AddNodeCommand(self.design, kind, pos=self._free(pos))
        if connect_from is None:
            self._push(command)
            return command.node_id
        self.undo_stack.beginMacro(f"Add {kind}")
        self._push(command)
        if command.node_id and link_error(self.design, connect_from, command.node_id) is None:
            self._push(ConnectCommand(self.design, connect_from, command.node_id))
        self.undo_stack.endMacro()
        return command.node_id

    def add_after(self, kind: str, after: str) -> str | None:
        """Add ``kind`` after layer ``after`` as one undo step; returns its id or None.

        Where ``after`` feeds exactly one layer, the new one goes into that link (``after``
        -> new -> that layer, in the same input slot); where it feeds none, or several (the
        new layer starts another branch), it is linked from ``after``. An Input is added
        unlinked (nothing feeds it); so is an Output after a layer that already feeds one,
        and the person is told why. A diagram laid out tidily is tidied again, so the new
        card takes its place in the row instead of landing wherever there is room.
        """
        design = self.design
        if after not in design.nodes or kind == "Input":
            return self.add_layer(kind, self.free_spot(after) if after in design.nodes else None)
        following = design.outputs_of(after)
        if kind == "Output" and following:
            self.message.emit(f"An Output ends the network, so it cannot follow '{after}', "
                              f"which already feeds '{following[0]}': it was added unlinked.",
                              "info")
            return self.add_layer(kind, self.free_spot(after))
        if not self._can_add(kind):
            return None
        into = following[0] if len(following) == 1 else None
        tidy = self.is_tidy()
        self.undo_stack.beginMacro(f"Add {kind} after {after}")
        try:
            if into is None:
                node_id = self.add_layer(kind, self.free_spot(after), after)
            else:
                node_id = self.add_layer(kind, self.free_spot(after))
                if node_id is not None:
                    self._push(InsertCommand(design, after, node_id, into))
            if node_id is not None and tidy:
                self.tidy()
        finally:
            self.undo_stack.endMacro()
        return node_id

    def is_tidy(self) -> bool:
        """Whether the cards stand where :meth:`tidy` would put them (in some band width)."""
        design = self.design
        ids, links = list(design.nodes), [(lk.src, lk.dst) for lk in design.links]
        if not ids:
            return False
        positions = {n: design.nodes[n].pos for n in ids}
        n_cols = max(layout.depths(ids, links).values()) + 1
        return any(layout.layered_layout(ids, links, column_width=COLUMN, row_height=ROW,
                                         max_columns=k) == positions
                   for k in range(1, n_cols + 1))

    def free_spot(self, after: str | None = None) -> tuple[float, float]:
        """A sensible place for a new card: right of ``after`` or of the rightmost card."""
        nodes = self.design.nodes
        if after in nodes:
            x, y = nodes[after].pos
            return (x + COLUMN, y)
        if not nodes:
            return (0.0, 0.0)
        right = max(nodes.values(), key=lambda n: (n.pos[0], -n.pos[1]))
        return (right.pos[0] + COLUMN, right.pos[1])

    def _free(self, pos: tuple[float, float]) -> tuple[float, float]:
        x, y = round(pos[0] / GRID) * GRID, round(pos[1] / GRID) * GRID
        taken = [n.pos for n in self.design.nodes.values()]
        while any(abs(x - a) < CARD_W and abs(y - b) < CARD_H + 12 for a, b in taken):
            y += ROW
        return (float(x), float(y))

    def _on_drop(self, kind: str, scene_pos: QPointF) -> None:
        node_id = self.add_layer(kind, (scene_pos.x() - CARD_W / 2, scene_pos.y() - CARD_H / 2))
        if node_id:
            QTimer.singleShot(0, lambda: self.scene.select_nodes([node_id]))

    def connect_nodes(self, src: str, dst: str) -> bool:
        if self.structure_locked():
            return False
        reason = self.check_link(src, dst)
        if reason is not None:
            self.message.emit(reason, "error")
            return False
        return self._push(ConnectCommand(self.design, src, dst))

    def delete(self, node_ids: list[str], links: list[tuple[str, str]]) -> bool:
        if not node_ids and not links:
            return False
        if self.structure_locked():
            return False
        return self._push(RemoveCommand(self.design, list(node_ids), list(links)))

    def set_params(self, node_id: str, **params) -> ParamError | None:
        """Validate then change parameters undoably; returns the refusal, if any."""
        if self.structure_locked():
            return ParamError(LOCKED)
        err = self.check_params(node_id, **params)
        if err is not None:
            return err
        node = self.design.nodes[node_id]
        changed = {k: v for k, v in params.items() if node.params.get(k) != v}
        if changed:
            self._push(SetParamsCommand(self.design, node_id, changed))
        return None

    def move_nodes(self, moves: dict) -> None:
        """One drag (of one or many cards) becomes one undo step."""
        moves = {k: v for k, v in moves.items() if k in self.design.nodes}
        if moves:
            self._push(MoveCommand(self.design, moves))

    def tidy(self, max_columns: int | None = None) -> None:
        """Lay the design out left to right by depth, as one undo step (bands of
        ``max_columns``; by default as many as fit :attr:`room`)."""
        design = self.design
        if max_columns is None:
            max_columns = self.band_columns()
        links = [(lk.src, lk.dst) for lk in design.links]
        new = layout.layered_layout(list(design.nodes), links, column_width=COLUMN,
                                    row_height=ROW, max_columns=max_columns)
        moves = {n: (design.nodes[n].pos, p) for n, p in new.items()
                 if design.nodes[n].pos != p}
        if moves:
            self._push(MoveCommand(design, moves, text="Tidy layout"))
