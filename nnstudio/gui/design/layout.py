"""Tidy automatic layout: layers placed left to right by their depth in the graph.

Pure Python (no Qt), so it can be tested and reused on its own. A node's depth is the length
of the longest path reaching it from a source, so a merge (Add, Concatenate) sits one step to
the right of its deepest input. Within a column nodes are ordered by the mean row of the nodes
feeding them, which keeps parallel branches from crossing. Long chains can wrap into bands
below each other so that the diagram stays readable at a comfortable zoom.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def depths(node_ids: Sequence[str], links: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Longest-path depth of every node (sources have depth 0).

    Nodes with no links at all are put one column after the deepest node, so stray layers do
    not crowd the Input column. Nodes caught in a loop (which a design cannot hold) keep depth 0.
    """
    ids = list(node_ids)
    links = [(s, d) for s, d in links if s in ids and d in ids]
    preds: dict[str, list[str]] = {n: [] for n in ids}
    succs: dict[str, list[str]] = {n: [] for n in ids}
    for s, d in links:
        preds[d].append(s)
        succs[s].append(d)
    indeg = {n: len(preds[n]) for n in ids}
    order = [n for n in ids if indeg[n] == 0]
    depth = dict.fromkeys(ids, 0)
    i = 0
    while i < len(order):
        n = order[i]
        for m in succs[n]:
            depth[m] = max(depth[m], depth[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                order.append(m)
        i += 1
    linked = {n for link in links for n in link}
    deepest = max((depth[n] for n in linked), default=-1)
    for n in ids:
        if n not in linked and len(ids) > 1 and deepest >= 0:
            depth[n] = deepest + 1
    return depth


def layered_layout(
    node_ids: Sequence[str],
    links: Iterable[tuple[str, str]],
    *,
    column_width: float = 270.0,
    row_height: float = 112.0,
    band_gap: float = 70.0,
    max_columns: int | None = None,
) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for a tidy left-to-right layered layout.

    Parameters
    ----------
    node_ids : sequence of str
        The nodes, in the design's order (ties keep this order).
    links : iterable of (src, dst)
        The links of the design.
    column_width, row_height : float
        Distance between columns and between rows of one column.
    band_gap : float
        Extra space between wrapped bands.
    max_columns : int, optional
        Wrap after this many columns into a new band below; ``None`` never wraps.

    Returns
    -------
    dict of str to (x, y)
        New position of every node; column 0 starts at x = 0, each band is centred on its
        own middle row.
    """
    ids = list(node_ids)
    links = list(links)
    if not ids:
        return {}
    depth = depths(ids, links)
    n_cols = max(depth.values()) + 1
    columns: list[list[str]] = [[] for _ in range(n_cols)]
    for n in ids:
        columns[depth[n]].append(n)
    preds: dict[str, list[str]] = {n: [] for n in ids}
    for s, d in links:
        if s in preds and d in preds:
            preds[d].append(s)
    row: dict[str, float] = {}
    for c, col in enumerate(columns):
        if c > 0:
            first = {n: i for i, n in enumerate(col)}

            def key(n: str, first: dict[str, int] = first) -> tuple[float, int]:
                rows = [row[p] for p in preds[n] if p in row]
                centre = sum(rows) / len(rows) if rows else float("inf")
                return (centre, first[n])
            col.sort(key=key)
        for i, n in enumerate(col):
            row[n] = i - (len(col) - 1) / 2
    per_band = max_columns if max_columns and max_columns > 0 else n_cols
    bands = -(-n_cols // per_band)
    per_band = -(-n_cols // bands)  # balanced: 9 columns in bands of 4 become 3 + 3 + 3
    positions: dict[str, tuple[float, float]] = {}
    band_top = 0.0
    for b in range(0, n_cols, per_band):
        band_cols = columns[b:b + per_band]
        half = max((len(col) - 1) / 2 for col in band_cols)
        for c, col in enumerate(band_cols):
            for n in col:
                positions[n] = (c * column_width, band_top + (row[n] + half) * row_height)
        band_top += (2 * half + 1) * row_height + band_gap
    return positions


def crowded(positions: dict[str, tuple[float, float]], links: Iterable[tuple[str, str]],
            width: float, height: float, gap: float) -> bool:
    """True when cards of ``width`` x ``height`` at ``positions`` overlap, or linked cards
    side by side leave less than ``gap`` for the link (and its shape label) between them."""
    items = list(positions.items())
    for i, (_, (x1, y1)) in enumerate(items):
        for _, (x2, y2) in items[i + 1:]:
            if abs(x1 - x2) < width + 8 and abs(y1 - y2) < height + 8:
                return True
    for s, d in links:
        if s in positions and d in positions:
            (x1, y1), (x2, y2) = positions[s], positions[d]
            if abs(y1 - y2) < height and 0 <= x2 - x1 < width + gap:
                return True
    return False
