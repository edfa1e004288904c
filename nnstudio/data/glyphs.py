"""Pen-stroke templates of the ten digits, in several writing styles each.

A style is a list of strokes (pen down ... pen up). A stroke is a list of pieces joined at
sharp corners; a piece is a list of points that a smooth (Catmull-Rom) curve passes through.
A piece whose first and last points are equal is a closed loop. Coordinates: x to the right,
y downwards, the digit roughly inside the unit square. Points written identically in several
pieces are one control point, so corners stay joined when the generator moves points around.

The generator (:mod:`nnstudio.data.synthetic`) compiles each style into a matrix that turns
its control points into a dense polyline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]
Piece = list[Point]
Stroke = list[Piece]


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int) -> Piece:
    """``n`` points on an ellipse from angle ``a0`` to ``a1`` (degrees, 0 = right, 90 = down)."""
    t = np.radians(np.linspace(a0, a1, n))
    return [(round(cx + rx * np.cos(a), 4), round(cy + ry * np.sin(a), 4)) for a in t]


def loop(cx: float, cy: float, rx: float, ry: float, start: float = -90.0, n: int = 8) -> Piece:
    """A closed ellipse of ``n`` distinct points starting at angle ``start``."""
    pts = arc(cx, cy, rx, ry, start, start + 360.0, n + 1)
    return [*pts[:-1], pts[0]]


# digit -> list of (style name, weight, strokes)
GLYPHS: dict[int, list[tuple[str, float, list[Stroke]]]] = {
    0: [
        ("oval", 3.0, [[loop(0.5, 0.5, 0.34, 0.5, -80, 10)]]),
        ("overlap", 1.5, [[arc(0.5, 0.5, 0.34, 0.5, -60, 330, 12)]]),
        ("egg", 1.0, [[[(0.55, 0.0), (0.25, 0.15), (0.15, 0.6), (0.4, 1.0), (0.75, 0.85),
                        (0.85, 0.35), (0.6, 0.02), (0.45, 0.08)]]]),
    ],
    1: [
        ("bar", 3.0, [[[(0.5, 0.0), (0.5, 0.5), (0.5, 1.0)]]]),
        ("flag", 2.0, [[[(0.34, 0.24), (0.52, 0.0)], [(0.52, 0.0), (0.51, 0.5), (0.5, 1.0)]]]),
        ("long-flag", 1.2, [[[(0.2, 0.3), (0.55, 0.0)], [(0.55, 0.0), (0.53, 0.5), (0.5, 1.0)]]]),
        ("flag+base", 1.0, [
            [[(0.3, 0.2), (0.52, 0.0)], [(0.52, 0.0), (0.51, 0.5), (0.5, 1.0)]],
            [[(0.28, 1.0), (0.72, 1.0)]],
        ]),
        ("long-flag+base", 0.6, [
            [[(0.2, 0.28), (0.55, 0.0)], [(0.55, 0.0), (0.53, 0.5), (0.52, 1.0)]],
            [[(0.22, 1.0), (0.8, 1.0)]],
        ]),
    ],
    2: [
        ("plain", 3.0, [[
            [(0.12, 0.25), (0.3, 0.04), (0.58, 0.0), (0.82, 0.18), (0.75, 0.45),
             (0.45, 0.72), (0.08, 1.0)],
            [(0.08, 1.0), (0.5, 0.98), (0.95, 1.0)],
        ]]),
        ("loop", 2.5, [[
            [(0.12, 0.25), (0.3, 0.04), (0.58, 0.0), (0.82, 0.18), (0.72, 0.42),
             (0.55, 0.6), (0.44, 0.75), (0.43, 0.875), (0.28, 0.95), (0.13, 0.875),
             (0.13, 0.725), (0.28, 0.65), (0.43, 0.725), (0.52, 0.9), (0.7, 0.98),
             (0.95, 1.0)],
        ]]),
        ("round", 1.0, [[
            [(0.1, 0.3), (0.35, 0.02), (0.75, 0.05), (0.85, 0.35), (0.5, 0.7),
             (0.15, 0.95)],
            [(0.15, 0.95), (0.55, 0.9), (0.92, 1.0)],
        ]]),
        ("Z", 1.0, [[
            [(0.1, 0.02), (0.5, 0.0), (0.88, 0.02)],
            [(0.88, 0.02), (0.5, 0.5), (0.1, 1.0)],
            [(0.1, 1.0), (0.5, 0.99), (0.92, 1.0)],
        ]]),
    ],
    3: [
        ("round", 3.0, [[
            [(0.12, 0.15), (0.45, 0.0), (0.8, 0.12), (0.72, 0.35), (0.4, 0.48)],
            [(0.4, 0.48), (0.78, 0.6), (0.82, 0.85), (0.5, 1.0), (0.12, 0.88)],
        ]]),
        ("smooth", 1.5, [[
            [(0.15, 0.12), (0.5, 0.0), (0.78, 0.18), (0.6, 0.42), (0.42, 0.48),
             (0.62, 0.52), (0.82, 0.75), (0.55, 1.0), (0.12, 0.9)],
        ]]),
        ("flat-top", 0.8, [[
            [(0.12, 0.0), (0.85, 0.0)],
            [(0.85, 0.0), (0.42, 0.4)],
            [(0.42, 0.4), (0.78, 0.55), (0.82, 0.82), (0.5, 1.0), (0.12, 0.88)],
        ]]),
    ],
    4: [
        ("open", 2.5, [
            [[(0.38, 0.0), (0.22, 0.35), (0.08, 0.65)], [(0.08, 0.65), (0.5, 0.65), (0.95, 0.63)]],
            [[(0.72, 0.22), (0.71, 0.6), (0.7, 1.0)]],
        ]),
        ("closed", 2.0, [[
            [(0.7, 1.0), (0.7, 0.5), (0.7, 0.0)],
            [(0.7, 0.0), (0.4, 0.33), (0.05, 0.68)],
            [(0.05, 0.68), (0.5, 0.68), (0.95, 0.66)],
        ]]),
        ("closed-top", 1.5, [
            [[(0.66, 0.0), (0.35, 0.35), (0.06, 0.68)], [(0.06, 0.68), (0.5, 0.68), (0.94, 0.66)]],
            [[(0.66, 0.0), (0.66, 0.5), (0.66, 1.0)]],
        ]),
        ("upright", 1.5, [
            [[(0.15, 0.0), (0.13, 0.3), (0.12, 0.55)], [(0.12, 0.55), (0.5, 0.56), (0.92, 0.52)]],
            [[(0.75, 0.02), (0.74, 0.5), (0.72, 1.0)]],
        ]),
    ],
    5: [
        ("two-stroke", 3.0, [
            [[(0.28, 0.0), (0.22, 0.45)],
             [(0.22, 0.45), (0.5, 0.36), (0.82, 0.52), (0.82, 0.82), (0.5, 1.0), (0.1, 0.9)]],
            [[(0.28, 0.0), (0.55, 0.0), (0.88, -0.02)]],
        ]),
        ("curl", 1.0, [
            [[(0.28, 0.0), (0.2, 0.42)],
             [(0.2, 0.42), (0.5, 0.36), (0.82, 0.55), (0.8, 0.85), (0.5, 1.0), (0.2, 0.95),
              (0.14, 0.8)]],
            [[(0.28, 0.0), (0.55, 0.0), (0.88, -0.02)]],
        ]),
        ("one-stroke", 1.5, [[
            [(0.88, 0.0), (0.28, 0.0)],
            [(0.28, 0.0), (0.22, 0.45)],
            [(0.22, 0.45), (0.5, 0.36), (0.82, 0.52), (0.82, 0.82), (0.5, 1.0), (0.1, 0.9)],
        ]]),
    ],
    6: [
        ("curved", 3.0, [[[
            (0.75, 0.0), (0.42, 0.18), (0.2, 0.5), (0.2, 0.82), (0.45, 1.0), (0.75, 0.88),
            (0.78, 0.62), (0.5, 0.5), (0.24, 0.65),
        ]]]),
        ("round", 1.0, [[[
            (0.7, 0.0), (0.35, 0.15), (0.15, 0.5), (0.25, 0.9), (0.55, 1.0), (0.82, 0.8),
            (0.72, 0.45), (0.42, 0.42), (0.2, 0.58),
        ]]]),
        ("straight", 1.5, [[[
            (0.6, 0.0), (0.4, 0.3), (0.25, 0.62), (0.3, 0.92), (0.55, 1.0), (0.78, 0.82),
            (0.68, 0.6), (0.42, 0.58), (0.27, 0.72),
        ]]]),
        ("small-loop", 1.5, [[[
            (0.72, 0.0), (0.48, 0.25), (0.32, 0.55), *arc(0.5, 0.8, 0.2, 0.19, 180, -160, 8),
        ]]]),
    ],
    7: [
        ("plain", 3.0, [[
            [(0.08, 0.0), (0.5, 0.0), (0.92, 0.0)],
            [(0.92, 0.0), (0.62, 0.45), (0.42, 1.0)],
        ]]),
        ("short-bar", 1.5, [[
            [(0.25, 0.04), (0.5, 0.02), (0.78, 0.0)],
            [(0.78, 0.0), (0.64, 0.5), (0.52, 1.0)],
        ]]),
        ("long-stem", 1.2, [[
            [(0.3, 0.02), (0.52, 0.01), (0.76, 0.0)],
            [(0.76, 0.0), (0.7, 0.5), (0.62, 1.0)],
        ]]),
        ("crossbar", 1.5, [
            [[(0.08, 0.0), (0.5, 0.0), (0.92, 0.0)], [(0.92, 0.0), (0.62, 0.45), (0.42, 1.0)]],
            [[(0.38, 0.5), (0.85, 0.48)]],
        ]),
        ("curved", 1.0, [[
            [(0.05, 0.05), (0.5, 0.0), (0.95, 0.02)],
            [(0.95, 0.02), (0.7, 0.3), (0.5, 0.65), (0.45, 1.0)],
        ]]),
        ("hook", 1.0, [[
            [(0.08, 0.2), (0.1, 0.0)],
            [(0.1, 0.0), (0.5, 0.02), (0.9, 0.0)],
            [(0.9, 0.0), (0.68, 0.4), (0.55, 1.0)],
        ]]),
    ],
    8: [
        ("one-stroke", 3.0, [[[
            (0.78, 0.12), (0.5, 0.0), (0.22, 0.12), (0.3, 0.35), (0.5, 0.48), (0.78, 0.66),
            (0.72, 0.94), (0.45, 1.0), (0.2, 0.88), (0.25, 0.64), (0.5, 0.48), (0.72, 0.3),
            (0.78, 0.12),
        ]]]),
        ("two-loops", 1.5, [[loop(0.5, 0.24, 0.24, 0.24, 90, 7)], [loop(0.5, 0.73, 0.3, 0.27,
                                                                        -90, 8)]]),
    ],
    9: [
        ("straight-tail", 3.0, [[
            [(0.78, 0.1), (0.5, 0.0), (0.22, 0.15), (0.28, 0.42), (0.55, 0.45),
             (0.78, 0.28), (0.78, 0.1)],
            [(0.78, 0.1), (0.77, 0.55), (0.75, 1.0)],
        ]]),
        ("curved-tail", 1.5, [[
            [(0.78, 0.12), (0.5, 0.0), (0.22, 0.15), (0.28, 0.42), (0.55, 0.45),
             (0.78, 0.28), (0.78, 0.12)],
            [(0.78, 0.12), (0.78, 0.6), (0.65, 0.95), (0.35, 0.98)],
        ]]),
        ("angular", 1.0, [[
            [(0.85, 0.08), (0.5, 0.02), (0.2, 0.05)],
            [(0.2, 0.05), (0.25, 0.3), (0.3, 0.45)],
            [(0.3, 0.45), (0.6, 0.4), (0.85, 0.08)],
            [(0.85, 0.08), (0.78, 0.55), (0.7, 1.0)],
        ]]),
        ("open-stem", 1.5, [
            [arc(0.5, 0.24, 0.3, 0.23, -15, -320, 9)],
            [[(0.8, 0.16), (0.78, 0.6), (0.75, 1.0)]],
        ]),
        ("small-loop", 1.0, [[
            [(0.78, 0.1), (0.55, 0.0), (0.3, 0.1), (0.33, 0.3), (0.56, 0.32),
             (0.78, 0.16), (0.78, 0.1)],
            [(0.78, 0.1), (0.76, 0.55), (0.72, 1.0)],
        ]]),
        ("leaning", 1.0, [[
            [(0.8, 0.15), (0.55, 0.0), (0.25, 0.12), (0.25, 0.38), (0.55, 0.42),
             (0.8, 0.15)],
            [(0.8, 0.15), (0.6, 0.6), (0.4, 1.0)],
        ]]),
    ],
}


@dataclass
class CompiledStyle:
    """A style as matrices.

    Attributes
    ----------
    digit, name, weight
        Which digit and style, and how often it is chosen relative to the others.
    controls : np.ndarray
        float64 (K, 2) control points.
    basis : np.ndarray
        float64 (M, K): dense polyline points = ``basis @ controls`` (M, 2).
    stroke_id : np.ndarray
        int (M,): which stroke each dense point belongs to.
    arclen : np.ndarray
        float64 (M,): position along its stroke, 0..1 (for pen-pressure variation).
    """

    digit: int
    name: str
    weight: float
    controls: np.ndarray
    basis: np.ndarray
    stroke_id: np.ndarray
    arclen: np.ndarray


_SPACING = 0.018  # template units between dense points (the digit is ~1 unit high)


def _catmull_rom_rows(e: list[np.ndarray], n: int, include_end: bool) -> list[np.ndarray]:
    """Rows for ``n`` (or n+1) samples of the segment between e[1] and e[2]."""
    rows = []
    for t in np.linspace(0.0, 1.0, n + 1)[: n + 1 if include_end else n]:
        c = 0.5 * np.array([-t + 2 * t * t - t**3, 2 - 5 * t * t + 3 * t**3,
                            t + 4 * t * t - 3 * t**3, -t * t + t**3])
        rows.append(c[0] * e[0] + c[1] * e[1] + c[2] * e[2] + c[3] * e[3])
    return rows


def compile_style(digit: int, name: str, weight: float, strokes: list[Stroke]) -> CompiledStyle:
    """Turn nested point lists into a :class:`CompiledStyle`."""
    index: dict[Point, int] = {}
    for stroke in strokes:
        for piece in stroke:
            for p in piece:
                index.setdefault((float(p[0]), float(p[1])), len(index))
    k = len(index)
    controls = np.array(list(index), dtype=np.float64)
    onehot = np.eye(k)
    rows: list[np.ndarray] = []
    stroke_id: list[int] = []
    arclen: list[float] = []
    for s, stroke in enumerate(strokes):
        stroke_rows: list[np.ndarray] = []
        for pi, piece in enumerate(stroke):
            ids = [index[(float(p[0]), float(p[1]))] for p in piece]
            closed = len(ids) > 3 and ids[0] == ids[-1]
            pts = [onehot[i] for i in ids]
            if closed:
                pts = pts[:-1]
                ext = [pts[-1], *pts, pts[0], pts[1]]
            else:
                ext = [2 * pts[0] - pts[1], *pts, 2 * pts[-1] - pts[-2]]
            n_seg = len(ext) - 3
            for j in range(n_seg):
                a, b = ext[j + 1] @ controls, ext[j + 2] @ controls
                n = max(2, int(np.ceil(np.linalg.norm(b - a) / _SPACING)))
                last = j == n_seg - 1 and pi == len(stroke) - 1
                seg = _catmull_rom_rows(ext[j : j + 4], n, include_end=last)
                stroke_rows.extend(seg)
        rows.extend(stroke_rows)
        stroke_id.extend([s] * len(stroke_rows))
        arclen.extend(np.linspace(0.0, 1.0, len(stroke_rows)).tolist())
    return CompiledStyle(
        digit=digit,
        name=name,
        weight=weight,
        controls=controls,
        basis=np.array(rows),
        stroke_id=np.array(stroke_id),
        arclen=np.array(arclen),
    )


def compiled_styles() -> list[CompiledStyle]:
    """Every style of every digit, compiled (in digit order)."""
    return [
        compile_style(d, name, w, strokes)
        for d in sorted(GLYPHS)
        for name, w, strokes in GLYPHS[d]
    ]
