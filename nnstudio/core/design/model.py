"""The design model: layer nodes joined by links, observable, validated before every change.

A :class:`Design` is a plain Python object (no Qt, no NumPy arrays) that the diagram editor
edits and observes, the :class:`~nnstudio.core.network.Network` compiles, and model files store
as JSON (:mod:`nnstudio.core.design.jsonio`). Every change is validated *before* it is made and
raises a typed, person-readable :class:`~nnstudio.core.design.errors.DesignError` naming the
node and the fix. Problems that depend on the whole graph (shapes, dangling nodes, missing
Input/Output, memory) never refuse an edit; :meth:`Design.analyze` reports them per node
(:mod:`nnstudio.core.design.shapes`), so the editor can draw them.

The links are indexed by source and destination, so checking a new link costs time in
proportion to the nodes it touches, and loading a design of N layers is linear in N.
"""

from __future__ import annotations

import copy as _copy
import re
from collections.abc import Callable
from typing import Any

from nnstudio.core.design.errors import CycleError, DesignError, LinkError, ParamError
from nnstudio.core.design.nodes import DesignEvent, Link, Node, topological_order
from nnstudio.core.design.params import DEFAULT_PARAMS, ID_PREFIX, MERGE_KINDS, validate_params
from nnstudio.core.design.shapes import Analysis, analyze_design, training_bytes

__all__ = ["Design"]

_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,63}$")


class Design:
    """A network design: nodes and links, observable, validated before every change.

    Parameters
    ----------
    name : str
        Person-visible name of the design.

    Attributes
    ----------
    nodes : dict
        Node id -> :class:`Node`, in insertion order. Read only: edit through the methods.
    links : list
        Every :class:`Link`, in insertion order. Read only: edit through the methods.
    """

    def __init__(self, name: str = "untitled") -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.links: list[Link] = []
        self._into: dict[str, list[str]] = {}
        self._from: dict[str, list[str]] = {}
        self._listeners: list[Callable[[DesignEvent], None]] = []
        self._cache: Analysis | None = None

    # ------------------------------------------------------------------ observers
    def subscribe(self, callback: Callable[[DesignEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every successful change; returns an unsubscriber."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def _changed(self, event: DesignEvent) -> None:
        self._cache = None
        for callback in list(self._listeners):
            callback(event)

    # ------------------------------------------------------------------ edits
    def _node(self, node_id: str, what: type[DesignError] = LinkError) -> Node:
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise what(f"There is no node '{str(node_id)[:64]}' in the design",
                       node_id=None) from None

    def _new_id(self, kind: str) -> str:
        prefix = ID_PREFIX.get(kind, kind.lower())
        i = 1
        while f"{prefix}{i}" in self.nodes:
            i += 1
        return f"{prefix}{i}"

    def add_node(self, kind: str, params: dict | None = None, node_id: str | None = None,
                 pos: tuple[float, float] = (0.0, 0.0)) -> Node:
        """Add a layer; ``params`` are completed with defaults and validated first.

        Raises
        ------
        ParamError
            Unknown kind or bad parameter.
        DesignError
            ``node_id`` already used or not a valid name.
        """
        if node_id is None:
            node_id = self._new_id(kind)
        return self._add_checked(kind, params, node_id, pos)

    def _add_checked(self, kind: str, params: dict | None, node_id: str,
                     pos: tuple[float, float]) -> Node:
        self._check_id(node_id)
        label = f"{kind} '{node_id}'" if isinstance(kind, str) and kind in DEFAULT_PARAMS \
            else None
        try:
            full = validate_params(kind, params or {}, label=label)
        except ParamError as err:
            err.node_id = node_id
            raise
        node = Node(node_id, kind, full, (float(pos[0]), float(pos[1])))
        self.nodes[node_id] = node
        self._into[node_id] = []
        self._from[node_id] = []
        self._changed(DesignEvent("node_added", node_id))
        return node

    def _check_id(self, node_id: Any) -> None:
        if not isinstance(node_id, str) or not _ID_RE.match(node_id) or node_id != node_id.strip():
            raise DesignError(
                f"'{str(node_id)[:64]}' is not a usable node name",
                fix="use 1 to 64 letters, digits, '_', '-', '.' or spaces (no '/')")
        if node_id in self.nodes:
            raise DesignError(f"There is already a node named '{node_id}'",
                              node_id=node_id, fix="choose another name")

    def remove_node(self, node_id: str) -> None:
        """Remove a node and every link touching it (links go first, each with an event)."""
        self._node(node_id, DesignError)
        for link in [lk for lk in self.links if node_id in (lk.src, lk.dst)]:
            self._unlink(link)
            self._changed(DesignEvent("link_removed", None, link))
        del self.nodes[node_id], self._into[node_id], self._from[node_id]
        self._changed(DesignEvent("node_removed", node_id))

    def can_connect(self, src: str, dst: str) -> DesignError | None:
        """The error :meth:`connect` would raise, or ``None`` if the link is allowed."""
        try:
            self._check_link(src, dst)
        except DesignError as err:
            return err
        return None

    def _check_link(self, src: str, dst: str, loops: bool = True) -> None:
        a, b = self._node(src), self._node(dst)
        if src == dst:
            raise LinkError(f"{b.kind} '{dst}' cannot feed itself", node_id=dst,
                            fix="connect it to another layer")
        existing = self._into[dst]
        if src in existing:
            raise LinkError(f"'{src}' is already connected to '{dst}'", node_id=dst)
        if b.kind == "Input":
            raise LinkError(f"Input '{dst}' is where data enters: nothing can feed it",
                            node_id=dst, fix="connect the Input to the first layer instead")
        if a.kind == "Output":
            raise LinkError(f"Output '{src}' is the end of the network: nothing can follow it",
                            node_id=src, fix="connect the last layer into the Output instead")
        if b.kind not in MERGE_KINDS and existing:
            raise LinkError(
                f"{b.kind} '{dst}' already has an input ('{existing[0]}')", node_id=dst,
                fix="remove that link first, or join both with an Add or Concatenate")
        if loops and self._reaches(dst, src):
            raise CycleError(
                f"Linking '{src}' to '{dst}' would make a loop ('{dst}' already leads to "
                f"'{src}')", node_id=dst, fix="designs must flow one way, from Input to Output")

    def _reaches(self, start: str, goal: str) -> bool:
        """Whether a path leads from ``start`` to ``goal`` (visits only what ``start`` feeds)."""
        stack, seen = [start], {start}
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            for m in self._from[n]:
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return False

    def _link(self, link: Link) -> None:
        self.links.append(link)
        self._into[link.dst].append(link.src)
        self._from[link.src].append(link.dst)

    def _unlink(self, link: Link) -> None:
        self.links.remove(link)
        self._into[link.dst].remove(link.src)
        self._from[link.src].remove(link.dst)

    def connect(self, src: str, dst: str) -> Link:
        """Link ``src`` -> ``dst``; refuses (LinkError, CycleError) before changing anything.

        Shape problems do not refuse the link; :meth:`analyze` reports them on the node.
        """
        self._check_link(src, dst)
        link = Link(src, dst)
        self._link(link)
        self._changed(DesignEvent("link_added", dst, link))
        return link

    def connect_all(self, links: list[tuple[str, str]]) -> None:
        """Add many links at once with the checks of :meth:`connect`, in linear time.

        The loop check runs once over the whole graph instead of once per link. All or
        nothing: on an error no link of ``links`` is added. One ``link_added`` event per link.
        """
        added: list[Link] = []
        try:
            for src, dst in links:
                self._check_link(src, dst, loops=False)
                added.append(Link(src, dst))
                self._link(added[-1])
            _, stuck = topological_order(self.nodes, self.links)
            if stuck:
                raise CycleError(f"The links make a loop through "
                                 f"{', '.join(repr(s) for s in stuck[:5])}", node_id=stuck[0],
                                 fix="designs must flow one way, from Input to Output")
        except BaseException:
            for link in reversed(added):
                self._unlink(link)
            raise
        for link in added:
            self._changed(DesignEvent("link_added", link.dst, link))

    def disconnect(self, src: str, dst: str) -> None:
        """Remove the link ``src`` -> ``dst`` (LinkError if there is none)."""
        link = Link(src, dst)
        if src not in self._into.get(dst, ()):
            raise LinkError(f"'{src}' is not connected to '{dst}'", node_id=dst)
        self._unlink(link)
        self._changed(DesignEvent("link_removed", dst, link))

    def set_params(self, node_id: str, **params: Any) -> None:
        """Change some parameters of a node; validated (ParamError) before anything changes."""
        node = self._node(node_id, ParamError)
        try:
            full = validate_params(node.kind, {**node.params, **params},
                                   label=f"{node.kind} '{node_id}'")
        except ParamError as err:
            err.node_id = node_id
            raise
        if full == node.params:
            return
        node.params = full
        self._changed(DesignEvent("params_changed", node_id))

    def set_pos(self, node_id: str, pos: tuple[float, float]) -> None:
        """Move a node in the editor."""
        node = self._node(node_id, DesignError)
        new = (float(pos[0]), float(pos[1]))
        if new != node.pos:
            node.pos = new
            self._changed(DesignEvent("node_moved", node_id))

    def replace(self, other: Design) -> None:
        """Take over the name, nodes and links of ``other`` (a copy); one ``replaced`` event.

        Subscribers stay attached, so an editor can show a loaded file or undo a big change.
        """
        fresh = other.copy()
        self.name, self.nodes, self.links = fresh.name, fresh.nodes, fresh.links
        self._into, self._from = fresh._into, fresh._from
        self._changed(DesignEvent("replaced"))

    # ------------------------------------------------------------------ queries
    def inputs_of(self, node_id: str) -> list[str]:
        """Ids feeding ``node_id``, in input order."""
        return list(self._into.get(node_id, ()))

    def outputs_of(self, node_id: str) -> list[str]:
        """Ids that ``node_id`` feeds."""
        return list(self._from.get(node_id, ()))

    @property
    def input_node(self) -> Node | None:
        """The first Input node, if any."""
        return next((n for n in self.nodes.values() if n.kind == "Input"), None)

    @property
    def output_node(self) -> Node | None:
        """The first Output node, if any."""
        return next((n for n in self.nodes.values() if n.kind == "Output"), None)

    def topo_order(self) -> list[str]:
        """Node ids so that every node comes after its inputs (CycleError on a loop)."""
        order, stuck = topological_order(self.nodes, self.links)
        if stuck:
            raise CycleError(f"Nodes {', '.join(repr(s) for s in stuck)} form a loop",
                             node_id=stuck[0], fix="remove one of the links in the loop")
        return order

    # ------------------------------------------------------------------ analysis
    def analyze(self) -> Analysis:
        """Shapes, parameter counts and every problem of the design; never raises.

        The result is cached until the next change: treat it as read-only.
        """
        if self._cache is None:
            self._cache = analyze_design(self)
        return self._cache

    def check(self) -> Analysis:
        """Like :meth:`analyze`, but raise the first :class:`DesignError` if not ok."""
        result = self.analyze()
        if not result.ok:
            err = result.first_error()
            if err is None:  # pragma: no cover - ok is False only with an error
                err = DesignError("The design is incomplete", fix="check every node")
            raise err
        return result

    def memory_estimate(self, batch_size: int = 1, optimizer: str = "adam") -> int:
        """Training memory in bytes for a batch (float32): params, grads, optimizer state,
        and forward outputs plus their gradients for ``batch_size`` samples."""
        result = self.analyze()
        per_param = {"sgd": 2, "momentum": 3}.get(optimizer, 4)
        return training_bytes(result.total_params, result.activation_values, batch_size,
                              per_param)

    # ------------------------------------------------------------------ copies
    def copy(self) -> Design:
        """An independent copy (no subscribers)."""
        other = Design(self.name)
        other.nodes = {nid: Node(n.id, n.kind, _copy.deepcopy(n.params), n.pos)
                       for nid, n in self.nodes.items()}
        other.links = list(self.links)
        other._into = {nid: list(v) for nid, v in self._into.items()}
        other._from = {nid: list(v) for nid, v in self._from.items()}
        return other

    def __repr__(self) -> str:
        return f"Design({self.name!r}, {len(self.nodes)} nodes, {len(self.links)} links)"
