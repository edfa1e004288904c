"""Pictures, signs and letters people draw on the Draw page that are not digits.

Each maker takes a random generator and returns strokes in a unit box centred on 0 (x right,
y down, about -0.5..0.5), with its own random variation (proportions, slant, how the strokes
meet, wobble); :func:`drawn_digits.not_digits` places them on the board at random sizes and
positions, with pens from 8 to 36 px, and renders them with the canvas's own painter. The
kinds: crosses (X) of any size and slant, plus signs, stars (five-pointed and asterisks),
smileys and faces, circles with marks inside, arrows, hearts, letters that are not shaped
like a digit, tick marks, grids, spirals, houses, triangles and stick figures.
"""

from __future__ import annotations

import numpy as np

Strokes = list[np.ndarray]  # each (P, 2) in a unit box centred on 0


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
         n: int = 32) -> np.ndarray:
    t = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _rot(pts: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.asarray(pts, dtype=np.float64) @ np.array([[c, s], [-s, c]])


def _wobble(strokes: Strokes, rng: np.random.Generator, amount: float) -> Strokes:
    """Each stroke's points moved a little (the same for a stroke's neighbours)."""
    out = []
    for s in strokes:
        s = np.asarray(s, dtype=np.float64)
        out.append(s + rng.normal(0, amount, s.shape))
    return out


def _fit(strokes: Strokes) -> Strokes:
    """Scaled and shifted so the drawing's box is centred on 0 with its longer side 1."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    c, side = (lo + hi) / 2, max(float((hi - lo).max()), 1e-9)
    return [(s - c) / side for s in strokes]


def _dot(rng: np.random.Generator, x: float, y: float, r: float) -> np.ndarray:
    """A click, a tiny stroke or a small filled circle (an eye, a mark)."""
    kind = rng.integers(0, 3)
    if kind == 0:
        return np.array([[x, y]])
    if kind == 1:
        return np.array([[x, y - r], [x + rng.normal(0, r / 3), y + r]])
    return _arc(x, y, r, r, 0, 360, 12)


def cross(rng: np.random.Generator) -> Strokes:
    """An X: two crossing strokes, narrow to square, upright or a little turned, crossing
    near (not always at) their middles."""
    a = rng.uniform(0.6, 1.6)  # angle between the strokes (radians)
    turn = rng.uniform(-0.3, 0.3)
    out = []
    for ang in (np.pi / 2 - a / 2 + turn, np.pi / 2 + a / 2 + turn):
        t0, t1 = -rng.uniform(0.38, 0.6), rng.uniform(0.38, 0.6)
        d = np.array([np.cos(ang), np.sin(ang)])
        shift = rng.normal(0, 0.04, 2)
        out.append(np.array([shift + t0 * d, shift + t1 * d]))
    return _fit(_wobble(out, rng, 0.01))


def plus(rng: np.random.Generator) -> Strokes:
    """A plus sign, upright or a little turned, arms of similar length."""
    turn = rng.normal(0, 0.12)
    h = np.array([[-0.5, 0.0], [0.5, 0.0]]) * rng.uniform(0.8, 1.0)
    v = np.array([[0.0, -0.5], [0.0, 0.5]]) * rng.uniform(0.8, 1.0)
    v = v + [rng.normal(0, 0.04), 0]
    h = h + [0, rng.normal(0, 0.04)]
    return _fit([_rot(h, turn), _rot(v, turn + rng.normal(0, 0.06))])


def star(rng: np.random.Generator) -> Strokes:
    """A five-pointed star in one stroke, or an asterisk of three or four crossing lines."""
    turn = rng.uniform(-0.4, 0.4)
    if rng.random() < 0.55:
        k = np.arange(6) * 2 % 5
        ang = -np.pi / 2 + 2 * np.pi * k / 5 + turn
        pts = 0.5 * np.stack([np.cos(ang), np.sin(ang)], axis=1)
        return _fit(_wobble([pts], rng, 0.015))
    n = int(rng.integers(3, 5))
    out = []
    for i in range(n):
        ang = turn + np.pi * i / n + rng.normal(0, 0.08)
        d = 0.5 * np.array([np.cos(ang), np.sin(ang)])
        out.append(np.array([-d, d]))
    return _fit(out)


def smiley(rng: np.random.Generator) -> Strokes:
    """A face: a round or oval outline, two eyes, a smile or a frown, sometimes a nose."""
    ry = rng.uniform(0.4, 0.55)
    out = [_arc(0, 0, 0.5, ry, rng.uniform(-100, -80), rng.uniform(262, 275), 40)]
    ex, ey, er = rng.uniform(0.14, 0.24), -rng.uniform(0.1, 0.22), rng.uniform(0.02, 0.06)
    out += [_dot(rng, -ex, ey, er), _dot(rng, ex, ey, er)]
    w, my = rng.uniform(0.18, 0.32), rng.uniform(0.1, 0.25)
    if rng.random() < 0.8:
        out.append(_arc(0, my - 0.1, w, rng.uniform(0.08, 0.18), 20, 160, 16))  # smile
    else:
        out.append(_arc(0, my + 0.1, w, 0.1, 200, 340, 16))  # frown
    if rng.random() < 0.3:
        out.append(np.array([[0.0, -0.05], [0.0, 0.06]]))
    return _fit(_wobble(out, rng, 0.006))


def ringed(rng: np.random.Generator) -> Strokes:
    """A circle with marks inside: a dot (a target), a cross, a smaller circle, or lines."""
    r = rng.uniform(0.4, 0.5)
    out = [_arc(0, 0, 0.5, r, 0, 360 + rng.uniform(-10, 20), 40)]
    inside = rng.integers(0, 4)
    if inside == 0:
        out.append(_dot(rng, rng.normal(0, 0.04), rng.normal(0, 0.04), rng.uniform(0.03, 0.1)))
    elif inside == 1:
        a = rng.uniform(0, np.pi / 2)
        for ang in (a, a + np.pi / 2):
            d = 0.25 * np.array([np.cos(ang), np.sin(ang)])
            out.append(np.array([-d, d]))
    elif inside == 2:
        out.append(_arc(0, 0, rng.uniform(0.15, 0.25), rng.uniform(0.12, 0.22), 0, 360, 24))
    else:
        for y in rng.uniform(-0.25, 0.25, int(rng.integers(2, 4))):
            out.append(np.array([[-0.2, y], [0.2, y + rng.normal(0, 0.03)]]))
    return _fit(out)


def arrow(rng: np.random.Generator) -> Strokes:
    """A straight arrow in any direction with a two-stroke (or one-stroke) head."""
    ang = rng.uniform(-np.pi, np.pi)
    shaft = np.array([[-0.5, 0.0], [0.5, 0.0]])
    h, spread = rng.uniform(0.15, 0.3), rng.uniform(0.35, 0.8)
    tip = shaft[1]
    wing = [tip + h * np.array([-np.cos(spread), s * np.sin(spread)]) for s in (-1, 1)]
    if rng.random() < 0.5:
        head = [np.array([wing[0], tip]), np.array([tip, wing[1]])]
    else:
        head = [np.array([wing[0], tip, wing[1]])]
    return _fit([_rot(s, ang) for s in [shaft, *head]])


def heart(rng: np.random.Generator) -> Strokes:
    """A heart in one stroke or two halves: two round lobes down to a point."""
    t = np.linspace(0, 2 * np.pi, 60)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x * rng.uniform(0.85, 1.15), y], axis=1) / 34
    pts = _rot(pts, rng.normal(0, 0.15))
    if rng.random() < 0.4:
        return _fit(_wobble([pts[:31], pts[30:]], rng, 0.006))
    return _fit(_wobble([pts], rng, 0.006))


#: letters that are not shaped like any digit, as the strokes people write them
LETTERS: dict[str, Strokes] = {
    "A": [np.array([[-0.4, 0.5], [0.0, -0.5], [0.4, 0.5]]), np.array([[-0.22, 0.1], [0.22, 0.1]])],
    "E": [np.array([[0.35, -0.5], [-0.3, -0.5], [-0.3, 0.5], [0.35, 0.5]]),
          np.array([[-0.3, 0.0], [0.25, 0.0]])],
    "F": [np.array([[0.35, -0.5], [-0.3, -0.5], [-0.3, 0.5]]), np.array([[-0.3, 0.0], [0.2, 0.0]])],
    "H": [np.array([[-0.35, -0.5], [-0.35, 0.5]]), np.array([[0.35, -0.5], [0.35, 0.5]]),
          np.array([[-0.35, 0.0], [0.35, 0.0]])],
    "K": [np.array([[-0.3, -0.5], [-0.3, 0.5]]),
          np.array([[0.35, -0.5], [-0.3, 0.05], [0.35, 0.5]])],
    "M": [np.array([[-0.45, 0.5], [-0.4, -0.5], [0.0, 0.2], [0.4, -0.5], [0.45, 0.5]])],
    "W": [np.array([[-0.5, -0.5], [-0.25, 0.5], [0.0, -0.2], [0.25, 0.5], [0.5, -0.5]])],
    "N": [np.array([[-0.35, 0.5], [-0.35, -0.5], [0.35, 0.5], [0.35, -0.5]])],
    "R": [np.concatenate([np.array([[-0.3, 0.5], [-0.3, -0.5]]),
                          _arc(-0.3, -0.25, 0.55, 0.25, -90, 90, 16),
                          np.array([[0.35, 0.5]])])],
    "Y": [np.array([[-0.4, -0.5], [0.0, 0.0], [0.4, -0.5]]), np.array([[0.0, 0.0], [0.0, 0.5]])],
}


def letter(rng: np.random.Generator) -> Strokes:
    """One capital letter of :data:`LETTERS`, stretched, slanted and wobbling."""
    name = list(LETTERS)[int(rng.integers(0, len(LETTERS)))]
    sx, slant = rng.uniform(0.7, 1.2), rng.uniform(-0.2, 0.25)
    out = []
    for s in LETTERS[name]:
        p = s.copy()
        p[:, 0] = p[:, 0] * sx - slant * p[:, 1]
        out.append(p)
    return _fit(_wobble(out, rng, 0.012))


def tick(rng: np.random.Generator) -> Strokes:
    """A tick mark: a short stroke down, then a long one up."""
    a = rng.uniform(0.5, 1.1)
    short, long_ = rng.uniform(0.2, 0.4), rng.uniform(0.7, 1.1)
    p0 = np.array([-short * np.cos(a), -short * np.sin(a)])
    b = rng.uniform(0.7, 1.2)
    p2 = np.array([long_ * np.cos(b) * 0.8, -long_ * np.sin(b)])
    return _fit(_wobble([np.array([p0, [0.0, 0.0], p2])], rng, 0.01))


def grid(rng: np.random.Generator) -> Strokes:
    """A hash sign or a noughts-and-crosses grid: two or three lines each way."""
    k = int(rng.integers(2, 4))
    turn, lean = rng.normal(0, 0.12), rng.normal(0, 0.15)
    out = []
    for o in np.linspace(-0.2, 0.2, k) * (1.5 if k == 3 else 1.0):
        out.append(_rot(np.array([[-0.5, o], [0.5, o + rng.normal(0, 0.03)]]), turn))
        out.append(_rot(np.array([[o, -0.5], [o + rng.normal(0, 0.03) + lean, 0.5]]), turn))
    return _fit(out)


def spiral(rng: np.random.Generator) -> Strokes:
    """An open spiral of one and a half to four turns, in or out, either way round."""
    turns = rng.uniform(1.5, 4.0)
    t = np.linspace(0, 2 * np.pi * turns, int(60 * turns))
    r = (0.04 + t / t[-1]) * 0.5
    side = 1 if rng.random() < 0.5 else -1
    pts = np.stack([r * np.cos(side * t), r * np.sin(side * t) * rng.uniform(0.8, 1.1)], axis=1)
    return _fit([_rot(pts, rng.uniform(0, 2 * np.pi))])


def house(rng: np.random.Generator) -> Strokes:
    """A house: a box, a roof, sometimes a door or a window."""
    w, h, roof = rng.uniform(0.35, 0.5), rng.uniform(0.3, 0.5), rng.uniform(0.2, 0.45)
    top = -h / 2
    out = [np.array([[-w, top], [-w, h], [w, h], [w, top], [-w, top]]),
           np.array([[-w - 0.05, top], [0.0, top - roof], [w + 0.05, top]])]
    extra = rng.integers(0, 3)
    if extra == 1:
        d = rng.uniform(0.08, 0.15)
        out.append(np.array([[-d, h], [-d, h - 0.3], [d, h - 0.3], [d, h]]))
    elif extra == 2:
        c = rng.uniform(-w / 2, w / 2)
        out.append(np.array([[c - 0.1, 0.0], [c + 0.1, 0.0], [c + 0.1, 0.15], [c - 0.1, 0.15],
                             [c - 0.1, 0.0]]))
    return _fit(_wobble(out, rng, 0.008))


def triangle(rng: np.random.Generator) -> Strokes:
    """A closed triangle of any shape and turn."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, 3))
    while np.diff(np.r_[ang, ang[0] + 2 * np.pi]).min() < 1.2:
        ang = np.sort(rng.uniform(0, 2 * np.pi, 3))
    pts = np.stack([np.cos(ang), np.sin(ang)], axis=1) * 0.5
    return _fit(_wobble([np.vstack([pts, pts[:1]])], rng, 0.01))


def stick_figure(rng: np.random.Generator) -> Strokes:
    """A stick figure: a round head, a body, two arms and two legs."""
    hr = rng.uniform(0.1, 0.16)
    neck, hip = -0.5 + 2 * hr, rng.uniform(0.1, 0.2)
    arm_y, spread = neck + rng.uniform(0.08, 0.18), rng.uniform(0.25, 0.4)
    return _fit([_arc(0, -0.5 + hr, hr, hr, 0, 360, 20),
                 np.array([[0.0, neck], [0.0, hip]]),
                 np.array([[-spread, arm_y + rng.normal(0, 0.1)], [0.0, arm_y],
                           [spread, arm_y + rng.normal(0, 0.1)]]),
                 np.array([[-spread * 0.8, 0.5], [0.0, hip], [spread * 0.8, 0.5]])])


#: every kind of picture, sign or letter, by name
SHAPES = {"cross": cross, "plus": plus, "star": star, "smiley": smiley,
          "ringed circle": ringed, "arrow": arrow, "heart": heart, "letter": letter,
          "tick": tick, "grid": grid, "spiral": spiral, "house": house,
          "triangle": triangle, "stick figure": stick_figure}
