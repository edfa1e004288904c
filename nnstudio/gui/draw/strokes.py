"""Strokes and pictures on the digit board, and how they are painted.

Coordinates are board units: the board's side is 1, so a drawing can be painted at any size
(smoothly on screen, small for the network). Ink is white, the board and the eraser black,
as in MNIST.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

#: brush sizes are given in pixels of a 280-pixel board (the classic canvas size)
REFERENCE_SIDE = 280.0
BOARD_COLOR = QColor(0, 0, 0)
INK_COLOR = QColor(255, 255, 255)


@dataclass
class Stroke:
    """One stroke: points (x, y, width) in board units (the board side is 1)."""

    erase: bool = False
    points: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class Picture:
    """An imported picture covering the board: (S, S) float32 white ink on black."""

    ink: np.ndarray
    image: QImage


Item = Stroke | Picture


def _smooth_path(points: list[tuple[float, float, float]]) -> QPainterPath:
    """A path through the points, smoothed with quadratic curves between midpoints."""
    path = QPainterPath(QPointF(points[0][0], points[0][1]))
    if len(points) == 2:
        path.lineTo(points[1][0], points[1][1])
        return path
    for (x0, y0, _), (x1, y1, _) in zip(points[1:-1], points[2:], strict=True):
        path.quadTo(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    path.lineTo(points[-1][0], points[-1][1])
    return path


def paint_items(painter: QPainter, items: list[Item], side: float) -> None:
    """Paint pictures and strokes onto a board of ``side`` pixels at the painter's origin."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    for item in items:
        if isinstance(item, Picture):
            painter.drawImage(QRectF(0, 0, side, side), item.image)
        else:
            paint_stroke(painter, item, side)
    painter.restore()


def paint_stroke(painter: QPainter, stroke: Stroke, side: float) -> None:
    """Paint one stroke (ink white, eraser black) on a board of ``side`` pixels."""
    pts = [(x * side, y * side, w * side) for x, y, w in stroke.points]
    if not pts:
        return
    color = BOARD_COLOR if stroke.erase else INK_COLOR
    pen = QPen(color, pts[0][2], Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    if len(pts) == 1:
        x, y, w = pts[0]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QPointF(x, y), w / 2, w / 2)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    painter.setBrush(Qt.BrushStyle.NoBrush)
    widths = {p[2] for p in pts}
    if len(widths) == 1:
        painter.setPen(pen)
        painter.drawPath(_smooth_path(pts))
        return
    # pressure: each piece of the smoothed curve gets the width at its control point
    mids = [pts[0]] + [
        ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2)
        for a, b in zip(pts[:-1], pts[1:], strict=True)
    ] + [pts[-1]]
    for i in range(1, len(mids)):
        a, ctrl, b = mids[i - 1], pts[i - 1], mids[i]
        piece = QPainterPath(QPointF(a[0], a[1]))
        piece.quadTo(ctrl[0], ctrl[1], b[0], b[1])
        pen.setWidthF(max(0.5, ctrl[2]))
        painter.setPen(pen)
        painter.drawPath(piece)
