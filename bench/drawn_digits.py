"""Mouse-drawn digit sets for the benchmarks, rendered with the Draw page's own stroke painter.

Each style is a list of strokes in a unit box (x right, y down), written the way people draw
digits with a mouse, independently of the synthetic generator's templates. A drawing is that
style placed on the board at some size, slant and position, with a little hand tremor, and
painted by :func:`nnstudio.gui.strokes.paint_items` (the canvas's renderer) at 224×224, then
framed by :func:`nnstudio.gui.draw.model.network_input` exactly as the Draw page does.

Also makes things that are not digits (dots, bars, scribbles of several kinds, and the
pictures, signs and letters of ``bench/drawn_shapes.py``) for the not-a-digit signal, and
digits with crossing or extra strokes (:data:`CROSSED_STYLES`: a 4 drawn like a cross, a
slashed 0, a 7 with a long crossbar, an 8 of two crossing strokes) that it must not flag.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from drawn_shapes import SHAPES  # noqa: E402  (bench/ is on the path of every bench script)

Strokes = list[np.ndarray]  # each (P, 2) in the unit box


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
         n: int = 24) -> np.ndarray:
    t = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*pts: tuple[float, float]) -> np.ndarray:
    return np.array(pts, dtype=np.float64)


def _join(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts)


#: (digit, style name, strokes); the hard styles people use on the canvas
STYLES: list[tuple[int, str, Strokes]] = [
    (0, "oval", [_arc(0.5, 0.5, 0.3, 0.48, -90, 275, 40)]),
    (0, "round", [_arc(0.5, 0.5, 0.42, 0.46, -100, 262, 40)]),
    (1, "bar", [_line((0.52, 0.02), (0.48, 0.98))]),
    (1, "flag", [_line((0.3, 0.25), (0.55, 0.02), (0.5, 0.98))]),
    (1, "flag+serif", [_line((0.28, 0.22), (0.55, 0.02), (0.52, 0.98)),
                       _line((0.25, 0.98), (0.8, 0.98))]),
    (2, "curve", [_join(_arc(0.48, 0.3, 0.33, 0.28, 200, 370, 16),
                        _line((0.8, 0.4), (0.1, 0.97), (0.9, 0.97)))]),
    (2, "Z", [_line((0.12, 0.05), (0.85, 0.05), (0.12, 0.95), (0.9, 0.95))]),
    (2, "looped", [_join(_arc(0.48, 0.28, 0.33, 0.26, 200, 380, 16),
                         _line((0.74, 0.45), (0.2, 0.9)),
                         _arc(0.28, 0.86, 0.1, 0.09, 150, -210, 16),
                         _line((0.9, 0.95)))]),
    (3, "round", [_join(_arc(0.45, 0.26, 0.32, 0.24, 200, 450, 18),
                        _arc(0.45, 0.74, 0.36, 0.26, 270, 520, 20))]),
    (3, "flat-top", [_join(_line((0.15, 0.03), (0.85, 0.03), (0.42, 0.42)),
                           _arc(0.45, 0.7, 0.38, 0.28, 270, 510, 20))]),
    (4, "open", [_line((0.45, 0.0), (0.1, 0.65), (0.92, 0.65)), _line((0.7, 0.25), (0.7, 1.0))]),
    (4, "closed", [_line((0.68, 1.0), (0.68, 0.0), (0.08, 0.68), (0.92, 0.68))]),
    (5, "two-stroke", [_join(_line((0.3, 0.03), (0.25, 0.45)),
                             _arc(0.45, 0.7, 0.36, 0.28, 240, 500, 20)),
                       _line((0.3, 0.03), (0.85, 0.03))]),
    (6, "loop", [_join(_line((0.72, 0.0)), _arc(0.55, 0.55, 0.38, 0.55, 250, 180, 8),
                       _arc(0.5, 0.75, 0.3, 0.23, 180, 540, 22))]),
    (6, "small-loop", [_join(_line((0.7, 0.0), (0.35, 0.5)),
                             _arc(0.48, 0.8, 0.22, 0.18, 200, 560, 22))]),
    (7, "plain", [_line((0.08, 0.03), (0.9, 0.03), (0.4, 0.98))]),
    (7, "bar", [_line((0.08, 0.03), (0.9, 0.03), (0.42, 0.98)), _line((0.35, 0.5), (0.85, 0.5))]),
    (7, "long-stem", [_line((0.2, 0.04), (0.8, 0.02), (0.55, 0.99))]),
    (8, "one-stroke", [_join(_arc(0.5, 0.25, 0.26, 0.23, 0, -270, 18),
                             _arc(0.5, 0.73, 0.3, 0.25, -90, 270, 24),
                             _arc(0.5, 0.25, 0.26, 0.23, 90, 0, 8))]),
    (8, "two-loops", [_arc(0.5, 0.25, 0.25, 0.23, 90, 450, 24),
                      _arc(0.5, 0.73, 0.3, 0.26, -90, 270, 24)]),
    (9, "loop+stem", [_join(_arc(0.5, 0.28, 0.3, 0.25, 0, -360, 26),
                            _line((0.8, 0.28), (0.76, 1.0)))]),
    (9, "open-stem", [_join(_arc(0.5, 0.28, 0.3, 0.25, -20, -330, 24),
                            _line((0.8, 0.25), (0.74, 1.0)))]),
]


#: digits drawn with strokes that cross or stick out, which a cross or a sign resembles
CROSSED_STYLES: list[tuple[int, str, Strokes]] = [
    (4, "cross", [_line((0.4, 0.02), (0.12, 0.62)), _line((0.02, 0.62), (0.98, 0.62)),
                  _line((0.68, 0.0), (0.68, 1.0))]),
    (4, "plus+tick", [_line((0.3, 0.05), (0.1, 0.55), (0.95, 0.55)),
                      _line((0.62, 0.05), (0.6, 1.0))]),
    (4, "slanted cross", [_line((0.55, 0.0), (0.05, 0.6), (0.95, 0.62)),
                          _line((0.8, 0.25), (0.6, 1.0))]),
    (0, "slashed", [_arc(0.5, 0.5, 0.32, 0.47, -90, 275, 40), _line((0.85, 0.05), (0.15, 0.95))]),
    (0, "slashed inside", [_arc(0.5, 0.5, 0.36, 0.47, -90, 275, 40),
                           _line((0.7, 0.2), (0.3, 0.8))]),
    (7, "crossbar", [_line((0.05, 0.03), (0.92, 0.03), (0.42, 0.98)),
                     _line((0.25, 0.52), (0.95, 0.48))]),
    (7, "hooked+bar", [_line((0.1, 0.15), (0.1, 0.03), (0.9, 0.03), (0.45, 0.98)),
                       _line((0.38, 0.5), (0.85, 0.5))]),
    (8, "crossing", [_join(_arc(0.5, 0.26, 0.28, 0.24, 30, -210, 20),
                           _line((0.75, 0.85)), _arc(0.5, 0.75, 0.3, 0.24, 0, 180, 16),
                           _line((0.72, 0.12)))]),
    (8, "X with lids", [_line((0.2, 0.02), (0.8, 0.02), (0.2, 0.98), (0.8, 0.98), (0.2, 0.02))]),
    (1, "with base", [_line((0.25, 0.25), (0.55, 0.02), (0.52, 0.98)),
                      _line((0.15, 0.98), (0.9, 0.98))]),
    (2, "barred Z", [_line((0.1, 0.05), (0.88, 0.05), (0.12, 0.95), (0.9, 0.95)),
                     _line((0.25, 0.52), (0.75, 0.48))]),
]


def place(strokes: Strokes, size: float, slant: float, centre: tuple[float, float],
          rng: np.random.Generator | None = None, tremor: float = 0.0,
          aspect: float = 1.0) -> Strokes:
    """Put a unit-box style on the board (board units): scaled, slanted, shifted, trembling."""
    out = []
    for s in strokes:
        pts = densify(s, 0.02)
        x = (pts[:, 0] - 0.5 - slant * (pts[:, 1] - 0.5)) * size * aspect + centre[0]
        y = (pts[:, 1] - 0.5) * size + centre[1]
        p = np.stack([x, y], axis=1)
        if rng is not None and tremor > 0:
            noise = rng.normal(0, tremor, size=p.shape)
            k = np.ones(5) / 5  # smooth: a hand trembles slowly, not per point
            noise = np.stack([np.convolve(noise[:, i], k, mode="same") for i in range(2)], 1)
            p = p + noise
        out.append(np.clip(p, 0.0, 1.0))
    return out


def densify(pts: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` along a polyline (as mouse moves arrive), ends kept."""
    pts = np.asarray(pts, dtype=np.float64)
    if len(pts) < 2:
        return pts
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    return np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)


_APP = None


def render(strokes: Strokes, brush_px: float, side: int = 224,
           pressure: list[np.ndarray] | None = None) -> np.ndarray:
    """Paint strokes (board units) with a brush of ``brush_px`` pixels of a 280-pixel board;
    ``pressure`` scales the width point by point (one (P,) array per stroke).

    Returns the canvas rendering, float32 (side, side) in [0, 1], as ``DigitCanvas.image``.
    """
    global _APP
    from PySide6.QtGui import QGuiApplication, QImage, QPainter

    from nnstudio.gui.draw.strokes import REFERENCE_SIDE, Stroke, paint_items

    if QGuiApplication.instance() is None:
        _APP = QGuiApplication([])
    width = brush_px / REFERENCE_SIDE
    press = pressure if pressure is not None else [np.ones(len(s)) for s in strokes]
    items = [Stroke(points=[(float(x), float(y), width * float(k)) for (x, y), k in zip(s, ps,
                                                                                      strict=True)])
             for s, ps in zip(strokes, press, strict=True)]
    img = QImage(side, side, QImage.Format.Format_Grayscale8)
    img.fill(0)
    painter = QPainter(img)
    paint_items(painter, items, side)
    painter.end()
    stride = img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=side * stride)
    return buf.reshape(side, stride)[:, :side].astype(np.float32) / 255.0


def framed(strokes: Strokes, brush_px: float,
           pressure: list[np.ndarray] | None = None) -> np.ndarray:
    """The (28, 28) image the network receives for this drawing."""
    from nnstudio.gui.draw.model import network_input

    return network_input(render(strokes, brush_px, pressure=pressure))[0]


def pen_pressure(rng: np.random.Generator, strokes: Strokes) -> list[np.ndarray]:
    """A slowly changing pen pressure along each stroke, 0.6 to 1.4 times the brush."""
    out = []
    for s in strokes:
        n = len(s)
        knots = rng.uniform(0.6, 1.4, 4)
        out.append(np.interp(np.linspace(0, 3, n), np.arange(4), knots))
    return out


def drawn_set(seed: int = 1, per_style: int = 24, styles: list | None = None
              ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every style (of :data:`STYLES`, or ``styles``) drawn ``per_style`` times: thin to
    thick pens, small to large, slanted, off-centre, with tremor.

    Returns
    -------
    x : float32 (N, 28, 28); y : int64 (N,); names : style name per drawing.
    """
    rng = np.random.default_rng(seed)
    xs, ys, names = [], [], []
    for digit, name, strokes in STYLES if styles is None else styles:
        for i in range(per_style):
            brush = [8, 14, 24, 34, 44][i % 5]
            size = float(rng.uniform(0.3, 0.85))
            slant = float(rng.uniform(-0.15, 0.3))
            half = size / 2 + 0.05
            centre = (float(rng.uniform(half, 1 - half)), float(rng.uniform(half, 1 - half)))
            placed = place(strokes, size, slant, centre, rng, tremor=0.004,
                           aspect=float(np.exp(rng.normal(0, 0.1))))
            xs.append(framed(placed, brush))
            ys.append(digit)
            names.append(f"{digit} {name}")
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.int64), names


def _rotate(pts: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return pts @ np.array([[c, s], [-s, c]])


def _tangle(rng: np.random.Generator) -> Strokes:
    """One smooth stroke looping round and round over one area (a ball of wool)."""
    t = np.linspace(0, 1, 240)
    pts = np.zeros((len(t), 2))
    for _ in range(3):  # each axis its own mix of slow waves: the path never retraces itself
        f, ph, a = rng.uniform(1.5, 6, 2), rng.uniform(0, 2 * np.pi, 2), rng.uniform(0.1, 0.35, 2)
        pts += a * np.cos(2 * np.pi * f * t[:, None] + ph)
    return [pts / max(np.abs(pts).max(), 1e-9) * 0.5]


def _zigzag(rng: np.random.Generator) -> Strokes:
    """Sharp back-and-forth teeth along a line, at any angle."""
    k = int(rng.integers(5, 12))
    xs = np.linspace(-0.5, 0.5, k)
    ys = np.where(np.arange(k) % 2 == 0, -1.0, 1.0) * rng.uniform(0.15, 0.5)
    return [_rotate(np.stack([xs, ys], axis=1), rng.uniform(-np.pi / 2, np.pi / 2))]


def _hatching(rng: np.random.Generator) -> Strokes:
    """Parallel separate strokes (and sometimes a second set across them)."""
    out = []
    for layer in range(1 + int(rng.random() < 0.4)):
        k = int(rng.integers(4, 9))
        angle = rng.uniform(-np.pi, np.pi) + layer * np.pi / 2
        for o in np.linspace(-0.45, 0.45, k):
            half = rng.uniform(0.3, 0.5)
            out.append(_rotate(np.array([[-half, o], [half, o]]), angle))
    return out


def _squiggle(rng: np.random.Generator) -> Strokes:
    """Joined letter-like loops or arches, as in cursive 'eeee' or 'mmmm'."""
    k = int(rng.integers(3, 7))
    t = np.linspace(0, 2 * np.pi * k, 40 * k)
    if rng.random() < 0.5:  # loops
        pts = np.stack([t / (2 * np.pi * k) - 0.5 - 0.08 * np.sin(t), -0.25 * np.cos(t)], 1)
    else:  # arches
        pts = np.stack([t / (2 * np.pi * k) - 0.5, -0.3 * np.abs(np.sin(t / 2))], 1)
    return [_rotate(pts, rng.uniform(-0.3, 0.3))]


def _marks(rng: np.random.Generator) -> Strokes:
    """Several separate short marks and dots scattered over the board."""
    out = []
    for _ in range(int(rng.integers(3, 8))):
        p = rng.uniform(-0.5, 0.5, 2)
        out.append(np.array([p, p + rng.normal(0, 0.08, 2)]) if rng.random() < 0.7
                   else p[None])  # a short dash or a click
    return out


def _hatched_circle(rng: np.random.Generator) -> Strokes:
    """A circle with hatching inside it."""
    out = [_arc(0.0, 0.0, 0.5, 0.5 * rng.uniform(0.7, 1.0), 0, 360, 40)]
    angle = rng.uniform(0, np.pi)
    for o in np.linspace(-0.35, 0.35, int(rng.integers(3, 7))):
        half = np.sqrt(0.25 - o * o) * 0.9
        out.append(_rotate(np.array([[-half, o], [half, o]]), angle))
    return out


def _random_walk(rng: np.random.Generator) -> Strokes:
    """A wandering stroke: a random walk with momentum."""
    n = int(rng.integers(60, 160))
    v = np.cumsum(rng.normal(0, 0.6, n))  # heading drifts
    pts = np.cumsum(np.stack([np.cos(v), np.sin(v)], axis=1), axis=0)
    pts -= pts.mean(axis=0)
    return [pts / max(np.abs(pts).max(), 1e-9) * 0.5]


#: the kinds of scribble beyond the fast zig-zag, each drawn in a unit box centred on 0
SCRIBBLES = {"tangle": _tangle, "zigzag": _zigzag, "hatching": _hatching,
             "squiggle": _squiggle, "marks": _marks, "hatched circle": _hatched_circle,
             "random walk": _random_walk}
#: every kind :func:`not_digits` makes, in order
NOT_DIGIT_KINDS = ["dot", "bar", "scribble", *SCRIBBLES, *SHAPES]


def not_digits(seed: int = 2, per_kind: int = 40) -> tuple[np.ndarray, list[str]]:
    """Things that are not digits, as the network receives them: dots, bars, a fast
    zig-zag scribble, and the kinds in :data:`SCRIBBLES` (tangles, zigzags, hatching,
    letter-like squiggles, scattered marks, hatched circles, random walks) and in
    ``drawn_shapes.SHAPES`` (crosses, stars, smileys, arrows, letters, ...; some with a
    varying pen pressure, stretched a little either way).

    The dots, bars and zig-zag scribbles come from ``seed`` as they always have; the
    scribble kinds from a second stream of the same seed and the shapes from a third, so
    adding shapes leaves the older drawings as they were. Returns float32 (N, 28, 28) and
    the kind of each.
    """
    rng = np.random.default_rng(seed)
    xs, kinds = [], []
    for i in range(per_kind):
        brush = [8, 16, 24, 36][i % 4]
        c = (float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.25, 0.75)))
        # a dot: a click or a tiny wiggle
        r = rng.uniform(0.0, 0.02)
        dot = [c + r * rng.normal(size=(int(rng.integers(1, 5)), 2))]
        xs.append(framed(dot, brush))
        kinds.append("dot")
        # a bar: a horizontal or slanted line
        length = rng.uniform(0.2, 0.7)
        a = np.radians(rng.uniform(-30, 30))
        d = 0.5 * length * np.array([np.cos(a), np.sin(a)])
        xs.append(framed([densify(np.array([c - d, c + d]), 0.02)], brush))
        kinds.append("bar")
        # a scribble: a fast zig-zag back and forth over one area
        k = int(rng.integers(8, 20))
        size = rng.uniform(0.25, 0.6)
        pts = np.array(c) + size * (rng.random((k, 2)) - 0.5)
        xs.append(framed([densify(pts, 0.02)], brush))
        kinds.append("scribble")
    more = np.random.default_rng([seed, 1])
    for kind, make in SCRIBBLES.items():
        for i in range(per_kind):
            brush = [8, 16, 24, 36][i % 4]
            size = float(more.uniform(0.35, 0.8))
            half = size / 2 + 0.02
            c = np.array([more.uniform(half, 1 - half), more.uniform(half, 1 - half)])
            strokes = [np.clip(c + size * densify(s, 0.02 / size), 0.0, 1.0)
                       for s in make(more)]
            xs.append(framed(strokes, brush))
            kinds.append(kind)
    shapes = np.random.default_rng([seed, 2])
    for kind, make in SHAPES.items():
        for i in range(per_kind):
            brush = [8, 14, 20, 28, 36][i % 5]
            size = float(shapes.uniform(0.3, 0.92))
            aspect = float(np.exp(shapes.normal(0, 0.15)))
            half = size / 2 + 0.02
            c = np.array([shapes.uniform(half, 1 - half), shapes.uniform(half, 1 - half)])
            scale = size * np.array([min(aspect, 1.0), min(1 / aspect, 1.0)])
            strokes = [c + scale * densify(s, 0.02 / size) for s in make(shapes)]
            strokes = place_jitter(strokes, shapes)
            press = pen_pressure(shapes, strokes) if shapes.random() < 0.5 else None
            xs.append(framed(strokes, brush, press))
            kinds.append(kind)
    return np.array(xs, dtype=np.float32), kinds


def place_jitter(strokes: Strokes, rng: np.random.Generator, tremor: float = 0.004) -> Strokes:
    """A slow hand tremor on each stroke, kept on the board."""
    out = []
    k = np.ones(5) / 5
    for s in strokes:
        noise = rng.normal(0, tremor, size=s.shape)
        if len(s) >= 5:
            noise = np.stack([np.convolve(noise[:, i], k, mode="same") for i in range(2)], 1)
        out.append(np.clip(s + noise, 0.0, 1.0))
    return out
