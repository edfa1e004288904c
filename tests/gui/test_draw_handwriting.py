"""The shipped model on the Draw page: hard handwriting styles drawn with real mouse events
are read right, and things that are not digits are called so: dots, bars, scribbles, a big
X, a smiley; real MNIST digits traced with the mouse, and digits with strokes that cross (a 4
like a cross, a slashed 0, a 7 with a crossbar, an 8 in one stroke), are not flagged."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from nnstudio.data.idx import load_idx_dir
from nnstudio.data.stroke_shape import NEIGHBOURS, skeleton
from nnstudio.gui.draw.page import DrawPanel
from nnstudio.gui.session import Session

NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def dense(*pts: tuple[float, float], step: float = 0.015) -> list[tuple[float, float]]:
    """Points every ``step`` board units along a polyline, as mouse moves arrive."""
    a = np.array(pts, dtype=np.float64)
    seg = np.linalg.norm(np.diff(a, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0, s[-1], max(2, int(s[-1] / step) + 1))
    return list(zip(np.interp(t, s, a[:, 0]), np.interp(t, s, a[:, 1]), strict=True))


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
        n: int = 30) -> list[tuple[float, float]]:
    t = np.radians(np.linspace(a0, a1, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


def draw(panel: DrawPanel, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw strokes (board units) with the mouse: press, moves, release for each."""
    c = panel.canvas
    r = c.board_rect()

    def at(x: float, y: float) -> QPoint:
        return QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height()))

    for pts in strokes:
        QTest.mousePress(c, LEFT, NO_MOD, at(*pts[0]))
        for p in pts[1:]:
            QTest.mouseMove(c, at(*p))
        QTest.mouseRelease(c, LEFT, NO_MOD, at(*pts[-1]))


# the hard styles, on a board of side 1: (expected answer, brush, strokes)
HARD = {
    "1 with flag and base serif": ("1", 24, [dense((0.38, 0.33), (0.53, 0.2), (0.51, 0.8)),
                                             dense((0.37, 0.8), (0.66, 0.8))]),
    "1 with a flag, thin pen": ("1", 10, [dense((0.42, 0.28), (0.55, 0.18), (0.52, 0.82))]),
    "Z-shaped 2": ("2", 24, [dense((0.3, 0.22), (0.7, 0.22), (0.3, 0.78), (0.72, 0.78))]),
    "looped 2": ("2", 20, [arc(0.5, 0.35, 0.17, 0.14, 200, 380, 16)
                           + dense((0.66, 0.4), (0.36, 0.72))[1:]
                           + arc(0.4, 0.7, 0.06, 0.05, 150, -210, 14)
                           + dense((0.42, 0.75), (0.72, 0.78))[1:]]),
    "closed 4": ("4", 24, [dense((0.6, 0.8), (0.6, 0.2), (0.3, 0.58), (0.72, 0.58))]),
    "open 4, thick pen": ("4", 40, [dense((0.45, 0.18), (0.3, 0.55), (0.72, 0.55)),
                                    dense((0.62, 0.35), (0.62, 0.82))]),
    "7 with a bar, small and off-centre": ("7", 16, [dense((0.15, 0.15), (0.45, 0.15),
                                                           (0.27, 0.5)),
                                                     dense((0.2, 0.33), (0.42, 0.33))]),
    "long-stem 7": ("7", 24, [dense((0.38, 0.2), (0.64, 0.19), (0.55, 0.82))]),
    "small-loop 6": ("6", 24, [dense((0.6, 0.18), (0.42, 0.5))
                               + arc(0.5, 0.66, 0.12, 0.12, 200, 560, 24)]),
    "open-stem 9": ("9", 24, [arc(0.5, 0.33, 0.15, 0.13, -15, -320, 24),
                              dense((0.65, 0.3), (0.62, 0.82))]),
}

NOT_DIGITS = {
    "a dot": [dense((0.5, 0.5), (0.505, 0.5))],
    "a bar": [dense((0.3, 0.5), (0.7, 0.47))],
    "a scribble": [dense((0.3, 0.3), (0.7, 0.35), (0.35, 0.5), (0.68, 0.55), (0.3, 0.7),
                         (0.66, 0.3), (0.4, 0.65), (0.6, 0.7), (0.32, 0.4), (0.7, 0.6))],
    "a zigzag": [dense(*[(0.25 + 0.05 * i, 0.4 if i % 2 else 0.6) for i in range(11)])],
    "hatching": [dense((0.3, 0.3 + 0.06 * i), (0.7, 0.28 + 0.06 * i)) for i in range(7)],
    "several marks": [dense((x, y), (x + 0.03, y + 0.02))
                      for x, y in ((0.3, 0.3), (0.65, 0.32), (0.35, 0.7), (0.68, 0.66))],
}


@pytest.fixture
def panel(qtbot, shipped_model) -> DrawPanel:
    session = Session(shipped_model.design)
    session.set_design(shipped_model.design, weights=shipped_model.network.get_weights(),
                       meta=shipped_model.meta)
    p = DrawPanel(session)
    qtbot.addWidget(p)
    p.resize(1100, 700)
    p.show()
    qtbot.waitExposed(p)
    # the canvas throttles its updates while a stroke is drawn; a long throttle leaves
    # only the first move and the release of each stroke to classify, which keeps this quick
    p.canvas.throttle_ms = 60_000
    return p


def test_hard_handwriting_styles_drawn_with_the_mouse_are_read_right(panel) -> None:
    wrong = {}
    for name, (expected, brush, strokes) in HARD.items():
        QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
        panel.canvas.set_brush_size(brush)
        draw(panel, strokes)
        answer = panel.prediction.digit.text()
        if answer != expected:
            wrong[name] = answer
        assert panel.prediction.doubt_text() == "", name
    assert wrong == {}


@pytest.mark.parametrize("name", list(NOT_DIGITS))
def test_a_dot_a_bar_or_a_scribble_is_called_not_a_digit(panel, name) -> None:
    panel.canvas.set_brush_size(24)
    draw(panel, NOT_DIGITS[name])
    assert panel.prediction.digit.text() == "?"
    assert "does not look" in panel.prediction.doubt_text()
    # drawing a real digit over a cleared board takes the doubt away again
    QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
    draw(panel, HARD["long-stem 7"][2])
    assert panel.prediction.digit.text() == "7"
    assert panel.prediction.doubt_text() == ""


# pictures and signs people draw to try the page (board units, x right, y down; brush px)
PICTURES = {
    "a big X": (24, [dense((0.12, 0.1), (0.88, 0.9)), dense((0.86, 0.12), (0.14, 0.88))]),
    "a big X, thin pen, slanted": (10, [dense((0.2, 0.08), (0.75, 0.92)),
                                        dense((0.82, 0.15), (0.1, 0.8))]),
    "a smiley": (20, [arc(0.5, 0.5, 0.36, 0.36, -90, 272, 48),
                      dense((0.37, 0.38), (0.375, 0.4)), dense((0.63, 0.38), (0.635, 0.4)),
                      arc(0.5, 0.52, 0.2, 0.16, 25, 155, 20)]),
    "a smiley, thick pen": (32, [arc(0.5, 0.5, 0.4, 0.4, -90, 272, 48),
                                 dense((0.36, 0.36), (0.365, 0.38)),
                                 dense((0.64, 0.36), (0.645, 0.38)),
                                 arc(0.5, 0.55, 0.22, 0.15, 20, 160, 20)]),
}

def figure_eight(n: int = 60) -> list[tuple[float, float]]:
    """An 8 in one stroke, crossing itself in the middle."""
    t = np.linspace(0, 2 * np.pi, n)
    return list(zip(0.5 + 0.15 * np.sin(2 * t), 0.5 - 0.33 * np.cos(t), strict=True))


# digits whose strokes cross or stick out, as people write them
CROSSED = {
    "4 like a cross": (24, [dense((0.42, 0.15), (0.25, 0.58)), dense((0.2, 0.58), (0.78, 0.58)),
                            dense((0.6, 0.15), (0.6, 0.88))]),
    "0 with a slash": (20, [arc(0.5, 0.5, 0.2, 0.32, -90, 272, 40),
                            dense((0.72, 0.14), (0.28, 0.86))]),
    "7 with a crossbar": (24, [dense((0.25, 0.15), (0.75, 0.15), (0.45, 0.85)),
                               dense((0.38, 0.5), (0.72, 0.48))]),
    "8 in one stroke": (24, [figure_eight()]),
}


def trace(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """The strokes of a one-pixel skeleton (H, W): walks along its pixels, each step to an
    unwalked neighbour, starting from stroke ends, until every link is walked."""
    on = {(int(y), int(x)) for y, x in zip(*np.nonzero(mask), strict=True)}

    def near(p: tuple[int, int]) -> list[tuple[int, int]]:
        return [(p[0] + dy, p[1] + dx) for dy, dx in NEIGHBOURS if (p[0] + dy, p[1] + dx) in on]

    walked: set[frozenset] = set()
    strokes = []
    starts = sorted(on, key=lambda p: len(near(p)))  # ends first, then the rest
    for s in starts:
        while any(frozenset((s, q)) not in walked for q in near(s)):
            path, p = [s], s
            while True:
                nxt = [q for q in near(p) if frozenset((p, q)) not in walked]
                if not nxt:
                    break
                # straight neighbours before diagonal ones: no corner is cut
                q = min(nxt, key=lambda q: abs(q[0] - p[0]) + abs(q[1] - p[1]))
                walked.add(frozenset((p, q)))
                path.append(q)
                p = q
            strokes.append(path)
    return strokes


def test_a_big_x_and_a_smiley_are_not_digits(panel) -> None:
    for name, (brush, strokes) in PICTURES.items():
        QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
        panel.canvas.set_brush_size(brush)
        draw(panel, strokes)
        assert panel.prediction.digit.text() == "?", name
        assert "does not look like a digit" in panel.prediction.doubt_text(), name


def test_digits_with_crossing_strokes_are_not_flagged(panel) -> None:
    for name, (brush, strokes) in CROSSED.items():
        QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
        panel.canvas.set_brush_size(brush)
        draw(panel, strokes)
        assert panel.prediction.doubt_text() == "", name
        assert panel.prediction.digit.text() != "?", name


@pytest.mark.parametrize("start", [0, 1000])
def test_real_digits_traced_with_the_mouse_are_not_flagged(panel, mnist_dir, start) -> None:
    """Held-out MNIST digits (never used to calibrate the check), their skeletons drawn on
    the board with the mouse, one stroke per traced path, with a pen of MNIST's width."""
    ds = load_idx_dir(mnist_dir)
    picks = [start + int(np.flatnonzero(ds.y[start:start + 500] == d)[0]) for d in range(10)]
    panel.canvas.set_brush_size(24)
    flagged, overlap = {}, []
    for i in picks:
        QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
        bones = skeleton(ds.x[i][None] > 0.35)[0]
        strokes = [[((x + 0.5) / 28, (y + 0.5) / 28) for y, x in path] for path in trace(bones)]
        draw(panel, strokes)
        if panel.prediction.doubt_text():
            flagged[i] = panel.prediction.doubt_text()
        # the page read what was traced: its framed image matches the real digit's
        overlap.append(np.corrcoef(panel.img28.ravel(), ds.x[i].ravel())[0, 1])
    assert flagged == {}
    assert min(overlap) > 0.5, overlap
