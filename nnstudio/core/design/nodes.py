"""The parts of a design: layer nodes, the links between them, change events, their order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DesignEvent", "Link", "Node", "topological_order"]


@dataclass
class Node:
    """One layer of a design.

    Attributes
    ----------
    id : str
        Unique, person-visible name such as ``"conv1"``.
    kind : str
        One of :data:`~nnstudio.core.design.params.LAYER_KINDS`.
    params : dict
        Complete parameters (defaults filled in), JSON-serialisable. Change them only
        through :meth:`Design.set_params`.
    pos : tuple of float
        Position in the editor.
    """

    id: str
    kind: str
    params: dict
    pos: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Link:
    """A connection from node ``src`` to node ``dst`` (the order of links into a node is
    the input order, which matters for Concatenate)."""

    src: str
    dst: str


@dataclass(frozen=True)
class DesignEvent:
    """What changed in a design; sent to subscribers after every successful change.

    ``kind`` is one of ``node_added``, ``node_removed``, ``link_added``, ``link_removed``,
    ``params_changed``, ``node_moved``, ``replaced``.
    """

    kind: str
    node_id: str | None = None
    link: Link | None = None


def topological_order(node_ids: Iterable[str], links: Iterable[Link]
                      ) -> tuple[list[str], list[str]]:
    """Kahn's order of ``node_ids`` (every node after its inputs; insertion order breaks
    ties) and the ids left over because they are in or behind a loop. Linear in the size.
    """
    indeg = {n: 0 for n in node_ids}
    out: dict[str, list[str]] = {n: [] for n in indeg}
    for lk in links:
        if lk.src in indeg and lk.dst in indeg:
            indeg[lk.dst] += 1
            out[lk.src].append(lk.dst)
    order = [n for n, d in indeg.items() if d == 0]
    i = 0
    while i < len(order):
        for m in out[order[i]]:
            indeg[m] -= 1
            if indeg[m] == 0:
                order.append(m)
        i += 1
    placed = set(order)
    return order, [n for n in indeg if n not in placed]
