"""The numbers of a matrix plot (the confusion matrix), drawn in one paint call."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont

__all__ = ["CellLabels"]


class CellLabels(pg.GraphicsObject):
    """The numbers of a matrix plot, centred on their cells, drawn in one paint call
    (one TextItem per cell costs a graphics item each, created on every redraw)."""

    def __init__(self) -> None:
        super().__init__()
        self._cells: list[tuple[float, float, str, QColor]] = []
        self._rect = QRectF()
        self.font = QFont()
        self.font.setPointSizeF(9.5)

    def set_cells(self, cells: list[tuple[float, float, str, QColor]], rect: QRectF) -> None:
        """``cells``: (x, y, text, colour) in data coordinates; ``rect`` holds them all."""
        self.prepareGeometryChange()
        self._cells, self._rect = cells, QRectF(rect)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._rect

    def paint(self, painter, *args) -> None:
        if not self._cells:
            return
        to_device = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self.font)
        fm = painter.fontMetrics()
        lift = (fm.ascent() - fm.descent()) / 2
        for x, y, text, colour in self._cells:
            at = to_device.map(QPointF(x, y))
            painter.setPen(colour)
            painter.drawText(QPointF(at.x() - fm.horizontalAdvance(text) / 2, at.y() + lift),
                             text)
        painter.restore()
