"""Stroke measures of binary ink images: skeletons, crossings, junctions and ends.

A handwritten digit is a few strokes: its one-pixel skeleton has at most a handful of ends
and junctions, and a straight scan line through it crosses ink at most three or four times.
Scribbles, hatching, zigzags and tangles break those bounds even when a fat pen fills them
in. Used by :mod:`nnstudio.data.digit_check`. Pure NumPy, vectorised over a batch.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: the 8 neighbours, clockwise from north (P2..P9 in Zhang and Suen's numbering)
NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 8-neighbour code (bit i = neighbour i): may the centre go in each thinning
    sub-step (2, 256), the crossing number (ink runs around the centre) (256,), and whether
    a pixel with exactly two neighbours turns sharply there (at least 90 degrees) (256,)."""
    delete = np.zeros((2, 256), dtype=bool)
    runs = np.zeros(256, dtype=np.int8)
    sharp = np.zeros(256, dtype=bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]
        count = sum(p)
        if count == 2:
            i, j = (k for k in range(8) if p[k])
            sharp[code] = min(j - i, 8 - (j - i)) <= 2 and not (
                min(j - i, 8 - (j - i)) == 2 and i % 2 == 1)
        t = sum(p[i] == 0 and p[(i + 1) % 8] == 1 for i in range(8))
        runs[code] = t
        p2, _, p4, _, p6, _, p8, _ = p
        if 2 <= count <= 6 and t == 1:
            delete[0, code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            delete[1, code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return delete, runs, sharp


_DELETE, _RUNS, _SHARP = _tables()


def padded(mask: np.ndarray, value: bool = False, dtype: type = bool) -> np.ndarray:
    """Images (N, H, W) with a one-pixel border of ``value`` (N, H + 2, W + 2); much cheaper
    than ``np.pad`` on small images."""
    n, h, w = mask.shape
    out = np.full((n, h + 2, w + 2), value, dtype=dtype)
    out[:, 1:-1, 1:-1] = mask
    return out


def euler_number(mask: np.ndarray) -> np.ndarray:
    """Euler number (pieces minus holes) of binary images (N, H, W), 8-connected ink.

    Counted from 2×2 pixel patterns (Gray's bit quads): E = (Q1 - Q3 - 2 QD) / 4.

    Returns
    -------
    np.ndarray
        int64 (N,).
    """
    m = padded(np.asarray(mask, dtype=bool), dtype=np.int8)
    a, b = m[:, :-1, :-1], m[:, :-1, 1:]
    c, d = m[:, 1:, :-1], m[:, 1:, 1:]
    s = a + b + c + d
    q1 = (s == 1).sum(axis=(1, 2))
    q3 = (s == 3).sum(axis=(1, 2))
    qd = ((s == 2) & (a == d)).sum(axis=(1, 2))
    return ((q1 - q3 - 2 * qd) // 4).astype(np.int64)


def solid_euler_number(mask: np.ndarray) -> np.ndarray:
    """:func:`euler_number` of binary images (N, H, W) with one-pixel pinholes filled: a
    background pixel whose four side neighbours are all ink is counted as ink (a thick pen
    or a re-captured digit leaves such pinholes; they are not holes anyone drew). int64 (N,)."""
    m = np.asarray(mask, dtype=bool)
    p = padded(m)
    pinholes = ~m & p[:, :-2, 1:-1] & p[:, 2:, 1:-1] & p[:, 1:-1, :-2] & p[:, 1:-1, 2:]
    return euler_number(m | pinholes)


def neighbour_codes(mask: np.ndarray) -> np.ndarray:
    """8-neighbour code of every pixel of binary images (N, H, W): int32 (N, H, W)."""
    m = np.asarray(mask, dtype=bool)
    h, w = m.shape[1:]
    p = padded(m, dtype=np.int32)
    code = np.zeros(m.shape, dtype=np.int32)
    for i, (dy, dx) in enumerate(NEIGHBOURS):
        code |= p[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] << i
    return code


def skeleton(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeletons of binary images (N, H, W) (Zhang-Suen thinning): bool.

    A filled patch thins to a point or a short line; a ring stays a ring.
    """
    m = np.array(mask, dtype=bool)
    while True:
        changed = False
        for step in (0, 1):
            gone = m & _DELETE[step][neighbour_codes(m)]
            if gone.any():
                m &= ~gone
                changed = True
        if not changed:
            return m


def _run_starts(a: np.ndarray) -> np.ndarray:
    """Runs of ink along the last axis of 0/1 int8 arrays (..., L): (...,)."""
    return (a[..., 0] + (a[..., 1:] > a[..., :-1]).sum(axis=-1)).astype(np.int64)


@lru_cache(maxsize=8)
def _diagonals(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w]
    return (xs - ys + h - 1).ravel(), ys.ravel()


def scan_crossings(mask: np.ndarray) -> np.ndarray:
    """How many separate runs of ink each scan line meets, along rows, columns and both
    diagonals: int (N, 4, L) with L = H + W - 1 (lines that do not exist count 0)."""
    m = np.asarray(mask, dtype=np.int8)
    n, h, w = m.shape
    size = h + w - 1
    out = np.zeros((n, 4, size), dtype=np.int64)
    out[:, 0, :h] = _run_starts(m)
    out[:, 1, :w] = _run_starts(m.transpose(0, 2, 1))
    k_index, y_index = _diagonals(h, w)
    for k, img in ((2, m), (3, m[:, :, ::-1])):
        diag = np.zeros((n, size, h), dtype=np.int8)
        diag[:, k_index, y_index] = img.reshape(n, -1)
        out[:, k] = _run_starts(diag)
    return out


def stroke_measures(mask: np.ndarray) -> dict[str, np.ndarray]:
    """Stroke measures of binary ink images (N, H, W), each an (N,) float array.

    ``length`` skeleton pixels over the longer side of the ink's box; ``width`` ink pixels
    per skeleton pixel over that side (a mean stroke width; large for a filled patch);
    ``ends`` and ``junctions`` of the skeleton; ``crossings`` the most ink runs one
    scan line of the skeleton meets in any of four directions; ``busy_lines`` how many
    skeleton scan lines (in the busiest direction) meet four or more runs; ``sharp_turns``
    skeleton pixels where a stroke turns by 90 degrees or more (between neighbours two steps
    apart round the pixel, not counting the diagonal staircase); ``pieces_far``
    the Euler number (pieces minus holes) of the ink grown by two pixels: how many separate
    marks stay apart (holes of what was drawn mostly close up or count against it);
    ``corner_ends`` skeleton ends in the four corners of the ink's box (within a quarter of
    its width and of its height of a corner: the arms of an X end there, a digit's strokes
    seldom more than twice); ``inner_ink`` the share of the ink in pieces that lie inside a
    hole of other ink without touching it (the eyes and mouth of a face; a digit has none).
    """
    m = np.asarray(mask, dtype=bool)
    rows, cols = m.any(axis=2).sum(axis=1), m.any(axis=1).sum(axis=1)
    side = np.maximum(np.maximum(rows, cols), 1).astype(np.float64)
    s = skeleton(m)
    code = neighbour_codes(s)
    length = s.sum(axis=(1, 2)).astype(np.float64)
    count = np.zeros(s.shape, dtype=np.int8)
    for i in range(8):
        count += ((code >> i) & 1).astype(np.int8)
    runs = _RUNS[code]
    cross = scan_crossings(s)
    return {
        "length": length / side,
        "width": m.sum(axis=(1, 2)) / (length + 1.0) / side,
        "ends": (s & (count == 1)).sum(axis=(1, 2)).astype(np.float64),
        "junctions": (s & (runs >= 3)).sum(axis=(1, 2)).astype(np.float64),
        "crossings": cross.max(axis=(1, 2)).astype(np.float64),
        "busy_lines": (cross >= 4).sum(axis=2).max(axis=1).astype(np.float64),
        "sharp_turns": (s & _SHARP[code]).sum(axis=(1, 2)).astype(np.float64),
        "pieces_far": euler_number(_grow(m, 2)).astype(np.float64),
        "corner_ends": _corner_count(m, s & (count == 1)),
        "inner_ink": inner_ink(m),
    }


def _corner_count(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How many of ``points`` (N, H, W) lie in the corners of the box of ``mask``: (N,)."""
    n, h, w = mask.shape
    rows, cols = mask.any(axis=2), mask.any(axis=1)

    def span(any_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = any_.shape[1]
        first = np.argmax(any_, axis=1)
        last = size - 1 - np.argmax(any_[:, ::-1], axis=1)
        return first.astype(np.float64), np.maximum(last - first, 1).astype(np.float64)

    (y0, hh), (x0, ww) = span(rows), span(cols)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    v = (yy[None] - y0[:, None, None]) / hh[:, None, None]
    u = (xx[None] - x0[:, None, None]) / ww[:, None, None]
    corner = (np.minimum(u, 1 - u) < 0.25) & (np.minimum(v, 1 - v) < 0.25)
    return (points & corner).sum(axis=(1, 2)).astype(np.float64)


def _spread(seed: np.ndarray, within: np.ndarray, eight: bool) -> np.ndarray:
    """``seed`` grown inside ``within`` (both (N, H, W) bool) until it stops growing."""
    m = seed & within
    h, w = m.shape[1:]
    while True:
        p = padded(m)
        g = (p[:, 1:1 + h, 1:1 + w] | p[:, :h, 1:1 + w] | p[:, 2:, 1:1 + w]
             | p[:, 1:1 + h, :w] | p[:, 1:1 + h, 2:])
        if eight:
            g |= p[:, :h, :w] | p[:, :h, 2:] | p[:, 2:, :w] | p[:, 2:, 2:]
        g &= within
        if np.array_equal(g, m):
            return m
        m = g


def inner_ink(mask: np.ndarray) -> np.ndarray:
    """Share of the ink of binary images (N, H, W) in pieces that lie inside a hole of other
    ink: float (N,) (0 when every piece reaches the outside)."""
    m = np.asarray(mask, dtype=bool)
    border = np.zeros(m.shape, dtype=bool)
    border[:, [0, -1], :] = True
    border[:, :, [0, -1]] = True
    outside = _spread(border & ~m, ~m, eight=False)  # background reachable from the edge
    out = np.zeros(len(m))
    holed = np.flatnonzero((outside | m).sum(axis=(1, 2)) < m[0].size)  # the others have none
    if len(holed) == 0:
        return out
    m, outside, border = m[holed], outside[holed], border[holed]
    p = padded(outside)
    h, w = m.shape[1:]
    touching = m & (p[:, :h, 1:1 + w] | p[:, 2:, 1:1 + w] | p[:, 1:1 + h, :w]
                    | p[:, 1:1 + h, 2:] | border)
    reached = _spread(touching, m, eight=True)
    out[holed] = (m & ~reached).sum(axis=(1, 2)) / np.maximum(m.sum(axis=(1, 2)), 1)
    return out


def _grow(mask: np.ndarray, steps: int) -> np.ndarray:
    m = np.asarray(mask, dtype=bool)
    h, w = m.shape[1:]
    for _ in range(steps):
        p = padded(m)
        m = (p[:, 1:1 + h, 1:1 + w] | p[:, :h, 1:1 + w] | p[:, 2:, 1:1 + w]
             | p[:, 1:1 + h, :w] | p[:, 1:1 + h, 2:])
    return m
