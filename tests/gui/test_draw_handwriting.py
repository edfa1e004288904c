"""The shipped model on the Draw page: hard handwriting styles drawn with real mouse events
are read right, and things that are not digits are called so."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

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
