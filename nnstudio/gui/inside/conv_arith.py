"""The arithmetic of one feature-map pixel, shown beside the Convolution view's pictures.

Clicking a pixel of a feature map of the first convolution layer opens it: the patch of the
input under the filter, the filter's weights, their products, the sum, the bias and the
activation, number by number (:func:`nnstudio.core.insight.convolution.conv_pixel`). The
patch is outlined on the input picture, and the arrows step the window across the image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.insight.convolution import ConvPixel
from nnstudio.gui.inside.style import BLUE, GREY, INK, ORANGE, fmt

__all__ = ["ArithmeticPanel", "ClickableImage", "maps_layout", "tile_at"]

#: the largest filter whose numbers are written out (a bigger one is summed only)
MAX_SHOWN = 5


def maps_layout(n_maps: int, width: int) -> tuple[int, int]:
    """``(cols, gap)`` of the mosaic of ``n_maps`` feature maps ``width`` pixels wide."""
    return min(4, max(1, n_maps)), max(1, width // 10)


def tile_at(row: int, col: int, n_maps: int, height: int, width: int
            ) -> tuple[int, int, int] | None:
    """The map and the pixel ``(f, y, x)`` under mosaic pixel ``(row, col)`` (row 0 at the
    top), or None in a gap or past the last map."""
    cols, gap = maps_layout(n_maps, width)
    r, y = divmod(int(row), height + gap)
    c, x = divmod(int(col), width + gap)
    f = r * cols + c
    if row < 0 or col < 0 or y >= height or x >= width or c >= cols or f >= n_maps:
        return None
    return f, y, x


class ClickableImage(pg.ImageItem):
    """An image that says which of its pixels was clicked (column, row from the bottom)."""

    clicked = Signal(int, int)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        if ev.button() != Qt.MouseButton.LeftButton or self.image is None:
            return
        pos = ev.pos()
        self.clicked.emit(int(np.floor(pos.x())), int(np.floor(pos.y())))
        ev.accept()


def _cell(text: str, colour: str = INK, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    weight = "bold" if bold else "normal"
    label.setStyleSheet(f"color: {colour}; font-family: monospace; font-weight: {weight};")
    return label


class ArithmeticPanel(QWidget):
    """Patch × kernel = products; Σ + bias → activation (objectName ``convArithmetic``).

    Signals
    -------
    moved(int, int)
        An arrow was pressed: move the window by ``(dy, dx)``.
    """

    moved = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("convArithmetic")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel("Click a pixel of a feature map of the first layer to see how "
                            "it is computed.")
        self.title.setObjectName("convArithmeticTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"color: {GREY};")
        head.addWidget(self.title, 1)
        self.arrows: dict[str, QToolButton] = {}
        for name, arrow, dy, dx in (("left", Qt.ArrowType.LeftArrow, 0, -1),
                                    ("right", Qt.ArrowType.RightArrow, 0, 1),
                                    ("up", Qt.ArrowType.UpArrow, -1, 0),
                                    ("down", Qt.ArrowType.DownArrow, 1, 0)):
            button = QToolButton()
            button.setArrowType(arrow)
            button.setObjectName(f"convStep_{name}")
            button.setToolTip(f"Move the filter's window one step {name}")
            button.clicked.connect(lambda _=False, a=dy, b=dx: self.moved.emit(a, b))
            button.setEnabled(False)
            head.addWidget(button)
            self.arrows[name] = button
        outer.addLayout(head)
        self.grids = QHBoxLayout()
        self.grids.setSpacing(28)
        self.grids.addStretch(1)              # the grids stay together on the left
        outer.addLayout(self.grids)
        self.sum_line = QLabel("")
        self.sum_line.setObjectName("convArithmeticSum")
        self.sum_line.setWordWrap(True)
        self.sum_line.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        outer.addWidget(self.sum_line)
        self._boxes: list[QWidget] = []
        self.pixel: ConvPixel | None = None

    def _grid(self, title: str, values: np.ndarray, signed: bool) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        grid.addWidget(QLabel(f"<b>{title}</b>"), 0, 0, 1, values.shape[1])
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = float(values[i, j])
                colour = INK if not signed or v == 0 else (BLUE if v > 0 else ORANGE)
                grid.addWidget(_cell(f"{v + 0.0:.2f}", colour), i + 1, j)
        return box

    def show_pixel(self, px: ConvPixel) -> None:
        """Write out ``px``: its grids, its sum and its value."""
        self.pixel = px
        for box in self._boxes:
            self.grids.removeWidget(box)
            box.deleteLater()
        self._boxes = []
        channels = px.patch.shape[0]
        self.title.setText(f"<b>{px.layer}</b>, map {px.filter}, pixel (row {px.y}, column "
                           f"{px.x}): the filter laid on the input at rows {px.top}–"
                           f"{px.top + px.size - 1}, columns {px.left}–{px.left + px.size - 1}"
                           + (" (0 where it hangs over the edge)" if px.top < 0 or px.left < 0
                              else ""))
        self.title.setStyleSheet(f"color: {INK};")
        if px.size <= MAX_SHOWN:
            c0 = "" if channels == 1 else " (input map 0)"
            for title, values, signed in ((f"input patch{c0}", px.patch[0], False),
                                          (f"× filter weights{c0}", px.kernel[0], True),
                                          ("= products", px.products[0], True)):
                box = self._grid(title, values, signed)
                self.grids.insertWidget(len(self._boxes), box)
                self._boxes.append(box)
        more = ("" if channels == 1 else
                f" (all {channels} input maps; map 0 alone gives "
                f"{fmt(float(px.products[0].sum()))})")
        self.sum_line.setText(
            f"sum of the products{more} = <b>{fmt(px.total)}</b>; + bias {fmt(px.bias)} = "
            f"{fmt(px.pre_activation)}; {px.activation}({fmt(px.pre_activation)}) = "
            f"<b>{fmt(px.value)}</b>, the value of this pixel of the map.")
        for button in self.arrows.values():
            button.setEnabled(True)

    def clear(self) -> None:
        """Back to the invitation to click (another network, another layer)."""
        self.pixel = None
        for box in self._boxes:
            self.grids.removeWidget(box)
            box.deleteLater()
        self._boxes = []
        self.sum_line.setText("")
        self.title.setText("Click a pixel of a feature map of the first layer to see how it "
                           "is computed.")
        self.title.setStyleSheet(f"color: {GREY};")
        for button in self.arrows.values():
            button.setEnabled(False)
