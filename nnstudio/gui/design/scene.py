"""The diagram scene: holds the card and link items and turns mouse gestures into requests.

The scene never changes the design. It reports what the person asked for through signals
(connect these ports, these cards were dragged, delete the selection, a layer was dropped
here); the controller decides, pushes undoable commands and updates the items from the
design's events.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from nnstudio.gui.design.items import HintItem, LinkItem, NodeData, NodeItem, PortItem, RubberLink

#: ``checker(src, dst)`` -> None when the link may be made, else the reason in words.
LinkChecker = Callable[[str, str], str | None]


class DiagramScene(QGraphicsScene):
    """Cards and links of one design, with port-to-port connecting and drag tracking.

    Signals
    -------
    connectRequested(str, str)
        A connection was dragged from output ``src`` to input ``dst`` and the checker allowed it.
    connectRefused(str)
        A connection was dropped on a port that cannot take it; the reason.
    nodesMoved(dict)
        A drag ended: ``{id: ((old_x, old_y), (new_x, new_y))}`` for every card that moved.
    deleteRequested(list, list)
        Delete the given node ids and ``(src, dst)`` links.
    layerDropped(str, QPointF)
        A layer kind was dropped from the palette at a scene position.
    """

    connectRequested = Signal(str, str)
    connectRefused = Signal(str)
    nodesMoved = Signal(dict)
    deleteRequested = Signal(list, list)
    layerDropped = Signal(str, QPointF)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict[tuple[str, str], LinkItem] = {}
        self.link_checker: LinkChecker = lambda src, dst: None
        self.dragging_nodes = False
        self._drag_start: dict[str, QPointF] = {}
        self._rubber: RubberLink | None = None
        self._rubber_port: PortItem | None = None
        self._target: PortItem | None = None
        self._target_reason: str | None = None
        self.hint = HintItem()
        self.hint.setVisible(False)
        self.addItem(self.hint)
        self.setSceneRect(-2000, -1500, 6000, 4000)

    # ------------------------------------------------------------------ items
    def add_node(self, data: NodeData, pos: tuple[float, float]) -> NodeItem:
        item = NodeItem(data)
        item.setPos(QPointF(*pos))
        self.addItem(item)
        self.nodes[data.id] = item
        return item

    def update_node(self, data: NodeData) -> None:
        item = self.nodes.get(data.id)
        if item is not None:
            item.set_data(data)

    def remove_node(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is None:
            return
        for link in list(item.links):
            self.remove_link(*link.key)
        self.removeItem(item)

    def set_node_pos(self, node_id: str, pos: tuple[float, float]) -> None:
        item = self.nodes.get(node_id)
        if item is not None and (item.pos().x(), item.pos().y()) != tuple(pos):
            item.setPos(QPointF(*pos))

    def add_link(self, src: str, dst: str, label: str = "") -> LinkItem | None:
        if src not in self.nodes or dst not in self.nodes:
            return None
        link = LinkItem(self.nodes[src], self.nodes[dst], label)
        self.addItem(link)
        self.links[(src, dst)] = link
        return link

    def remove_link(self, src: str, dst: str) -> None:
        link = self.links.pop((src, dst), None)
        if link is not None:
            link.detach()
            self.removeItem(link)

    def set_input_order(self, dst: str, sources: list[str]) -> None:
        """Spread the links into ``dst`` along its input port in input order."""
        node = self.nodes.get(dst)
        if node is None:
            return
        node.n_inputs = len(sources)
        node.prepareGeometryChange()
        node.in_port.prepareGeometryChange()
        node.in_port.update()
        for i, src in enumerate(sources):
            link = self.links.get((src, dst))
            if link is not None:
                link.set_slot(i, len(sources))

    def clear_diagram(self) -> None:
        for node_id in list(self.nodes):
            self.remove_node(node_id)

    # ------------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        return [i.info.id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_links(self) -> list[tuple[str, str]]:
        return [i.key for i in self.selectedItems() if isinstance(i, LinkItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for n in node_ids:
            if n in self.nodes:
                self.nodes[n].setSelected(True)

    def request_delete(self) -> bool:
        nodes, links = self.selected_node_ids(), self.selected_links()
        if nodes or links:
            self.deleteRequested.emit(nodes, links)
            return True
        return False

    # ------------------------------------------------------------------ mouse
    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem) and item.isVisible():
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            port = self._port_at(event.scenePos())
            if port is not None:
                self._start_rubber(port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            grabber = self.mouseGrabberItem()
            if isinstance(grabber, NodeItem):
                self.dragging_nodes = True
                self._drag_start = {i.info.id: QPointF(i.pos()) for i in self.selectedItems()
                                    if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._rubber is not None:
            self._move_rubber(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._rubber is not None:
            self._finish_rubber(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self.dragging_nodes:
            self.dragging_nodes = False
            moves = {}
            for node_id, old in self._drag_start.items():
                item = self.nodes.get(node_id)
                if item is not None and item.pos() != old:
                    moves[node_id] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
            self._drag_start = {}
            if moves:
                self.nodesMoved.emit(moves)

    # ------------------------------------------------------------------ rubber link
    def _start_rubber(self, port: PortItem, pos: QPointF) -> None:
        anchor = port.node.out_anchor() if port.side == "out" else port.node.in_anchor()
        self._rubber = RubberLink(anchor, from_output=port.side == "out")
        self._rubber_port = port
        self.addItem(self._rubber)
        self._rubber.set_end(pos, "free")

    def _endpoints(self, target: PortItem) -> tuple[str, str]:
        assert self._rubber_port is not None
        if self._rubber_port.side == "out":
            return self._rubber_port.node_id, target.node_id
        return target.node_id, self._rubber_port.node_id

    def _move_rubber(self, pos: QPointF) -> None:
        assert self._rubber is not None and self._rubber_port is not None
        target = self._port_at(pos)
        if target is not None and (target.side == self._rubber_port.side
                                   or target.node is self._rubber_port.node):
            reason = ("Connect an output (right side) to an input (left side)"
                      if target.side == self._rubber_port.side
                      else "A layer cannot feed itself")
        elif target is not None:
            reason = self.link_checker(*self._endpoints(target))
        else:
            reason = None
        if self._target is not None and self._target is not target:
            self._target.set_hot(False)
        self._target, self._target_reason = target, reason
        if target is None:
            self._rubber.set_end(pos, "free")
            self.hint.setVisible(False)
            return
        target.set_hot(True)
        snap = target.node.in_anchor() if target.side == "in" else target.node.out_anchor()
        self._rubber.set_end(snap if reason is None else pos, "ok" if reason is None else "bad")
        src, dst = self._endpoints(target) if target.side != self._rubber_port.side else ("", "")
        text = reason if reason else f"Connect {src} → {dst}"
        self.hint.show_text(pos, text, bad=reason is not None)

    def _finish_rubber(self, pos: QPointF) -> None:
        self._move_rubber(pos)
        target, reason = self._target, self._target_reason
        if self._rubber is not None:
            self.removeItem(self._rubber)
        if target is not None:
            target.set_hot(False)
        self.hint.setVisible(False)
        endpoints = self._endpoints(target) if target is not None else None
        self._rubber = self._rubber_port = self._target = None
        self._target_reason = None
        if target is None or endpoints is None:
            return
        if reason is not None:
            self.connectRefused.emit(reason)
        else:
            self.connectRequested.emit(*endpoints)
