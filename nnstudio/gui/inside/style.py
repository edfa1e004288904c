"""Colours and small drawing helpers shared by the "see inside" views.

One calm palette everywhere, as in TensorFlow Playground: orange for negative values, blue
for positive ones, near-white for zero. Colour mapping is done here in NumPy (value ->
RGBA bytes), so a view hands pyqtgraph a finished picture and never fiddles with levels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ORANGE = "#f59322"
BLUE = "#0877bd"
ZERO = "#e8eaeb"
INK = "#333333"
GREY = "#777777"
#: colours of classes 0, 1, ... when there are more than two
CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _rgb(hex_colour: str) -> np.ndarray:
    c = QColor(hex_colour)
    return np.array([c.red(), c.green(), c.blue()], dtype=np.float64)


def _lut(stops: list[str], n: int = 256) -> np.ndarray:
    cols = np.stack([_rgb(s) for s in stops])
    pos = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, n)
    rgb = np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=1)
    return np.concatenate([rgb, np.full((n, 1), 255.0)], axis=1).astype(np.uint8)


#: 256 RGBA rows: orange (-1) -> near white (0) -> blue (+1)
DIVERGING = _lut([ORANGE, ZERO, BLUE])
#: 256 RGBA rows: white (low) -> blue (high), for counts and shares
SEQUENTIAL = _lut(["#ffffff", "#cfe3f1", "#5aa2d0", BLUE, "#063e63"])
#: 256 RGBA rows: light (low cost) -> dark (high cost), for the cost landscape
COST = _lut(["#fff7e8", "#fbd38d", "#f59322", "#b0511a", "#4a2511"])


def to_rgba(values: np.ndarray, lo: float, hi: float, lut: np.ndarray = DIVERGING,
            nan_colour: str = "#ffffff") -> np.ndarray:
    """Map values to colours.

    Parameters
    ----------
    values : ndarray, shape (...)
    lo, hi : float
        The values drawn with the first and the last colour of ``lut``.
    lut : ndarray, uint8 shape (256, 4)

    Returns
    -------
    ndarray, uint8, shape (..., 4); NaN values get ``nan_colour``.
    """
    v = np.asarray(values, dtype=np.float32)
    span = hi - lo if hi > lo else 1.0
    idx = (v - np.float32(lo)) * np.float32((len(lut) - 1) / span)
    bad = ~np.isfinite(v)
    any_bad = bool(bad.any())
    if any_bad:
        idx[bad] = 0.0
    np.clip(idx, 0, len(lut) - 1, out=idx)
    out = lut[idx.astype(np.intp)]
    if any_bad:
        out[bad] = [*_rgb(nan_colour).astype(np.uint8), 255]
    return out


def symmetric_rgba(values: np.ndarray, vmax: float | None = None) -> tuple[np.ndarray, float]:
    """Diverging colours with zero in the middle; returns (rgba, vmax used)."""
    v = np.asarray(values, dtype=np.float32)
    if vmax is None:
        finite = np.abs(v[np.isfinite(v)])
        vmax = float(finite.max()) if finite.size else 1.0
    vmax = vmax if vmax > 1e-12 else 1.0
    return to_rgba(v, -vmax, vmax), vmax


def mosaic(tiles: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Arrange K small images in a grid, NaN between them.

    Parameters
    ----------
    tiles : ndarray, shape (K, h, w)
    cols : int
        Tiles per row.

    Returns
    -------
    ndarray, float32, shape (rows * (h + gap) - gap, cols * (w + gap) - gap)
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    k, h, w = tiles.shape
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    out = np.full((rows, h + gap, cols, w + gap), np.nan, np.float32)
    grid = np.full((rows * cols, h, w), np.nan, np.float32)
    grid[:k] = tiles
    out[:, :h, :, :w] = grid.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
    return out.reshape(rows * (h + gap), cols * (w + gap))[: rows * (h + gap) - gap,
                                                           : cols * (w + gap) - gap]


def image_item() -> pg.ImageItem:
    """An ImageItem for row-major (H, W[, 4]) pictures, row 0 at the bottom."""
    return pg.ImageItem(axisOrder="row-major")


def set_picture(item: pg.ImageItem, rgba: np.ndarray, rect: QRectF | None = None,
                flip: bool = False) -> None:
    """Show an (H, W, 4) uint8 picture; ``flip`` puts row 0 at the top (images)."""
    pic = rgba[::-1] if flip else rgba
    item.setImage(np.ascontiguousarray(pic), autoLevels=False, levels=(0, 255))
    if rect is not None:
        item.setRect(rect)


def picture_box(widget: pg.GraphicsLayoutWidget, row: int, col: int, title: str = "",
                **kw) -> pg.ViewBox:
    """A fixed-aspect, mouse-free ViewBox for pictures, with an optional title above it."""
    if title:
        widget.addLabel(title, row=row, col=col, size="9pt", color=INK)
        row += 1
    vb = widget.addViewBox(row=row, col=col, lockAspect=True, enableMouse=False,
                           invertY=False, enableMenu=False, **kw)
    return vb


def _style_axis(ax: pg.AxisItem, label: str = "") -> None:
    ax.setPen(pg.mkPen("#999999"))
    ax.setTextPen(pg.mkPen(INK))
    if ax.autoSIPrefix:
        ax.enableAutoSIPrefix(False)
    if label:
        ax.setLabel(label, color=INK, size="10pt")


def light_plot(layout: pg.GraphicsLayout, row: int, title: str = "", left: str = "",
               bottom: str = "") -> tuple[pg.ViewBox, pg.AxisItem, pg.AxisItem]:
    """A plot built without PlotItem's menus and option panels (a PlotItem takes 7-13 ms to
    build, this about a third): a title, a ViewBox and left and bottom axes linked to it.

    It fills rows ``row`` (title), ``row + 1`` (left axis in column 0, the ViewBox in
    column 1) and ``row + 2`` (bottom axis) of ``layout``.

    Returns
    -------
    (viewbox, left axis, bottom axis)
    """
    if title:
        layout.addLabel(title, row=row, col=1, size="9pt", color=INK)
    vb = pg.ViewBox(enableMouse=False, enableMenu=False)
    left_ax, bottom_ax = pg.AxisItem("left"), pg.AxisItem("bottom")
    for ax, text in ((left_ax, left), (bottom_ax, bottom)):
        ax.linkToView(vb)
        _style_axis(ax, text)
    layout.addItem(left_ax, row=row + 1, col=0)
    layout.layout.setAlignment(left_ax, Qt.AlignmentFlag.AlignRight)   # flush with the plot
    layout.addItem(vb, row=row + 1, col=1)
    layout.addItem(bottom_ax, row=row + 2, col=1)
    return vb, left_ax, bottom_ax


def style_plot(plot: pg.PlotItem, bottom: str = "", left: str = "") -> None:
    """Readable axes in the calm palette."""
    for name in ("left", "bottom"):
        _style_axis(plot.getAxis(name))
    if bottom:
        plot.setLabel("bottom", bottom, color=INK, size="10pt")
    if left:
        plot.setLabel("left", left, color=INK, size="10pt")
    plot.setMenuEnabled(False)


def hint_label(text: str) -> QLabel:
    """A short italic grey "what am I looking at" text."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("viewHint")
    label.setStyleSheet(f"color: {GREY}; font-style: italic; font-size: 10pt;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def message_label(text: str = "") -> QLabel:
    """A centred grey message shown when a view has nothing to draw."""
    label = QLabel(text)
    label.setObjectName("viewMessage")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet(f"color: {GREY}; font-size: 11pt; padding: 24px;")
    return label


class ColorLegend(QWidget):
    """A horizontal colour bar with its value labels and a caption.

    Parameters
    ----------
    lut : ndarray, uint8 (256, 4)
    labels : list of str
        Evenly spaced under the bar (e.g. ``["-1", "0", "+1"]``).
    caption : str
        One line above the bar, e.g. "orange: class 0 · blue: class 1".
    """

    def __init__(self, lut: np.ndarray = DIVERGING, labels: list[str] | None = None,
                 caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colorLegend")
        self._lut = lut
        self._labels = labels or ["-1", "0", "+1"]
        self._caption = caption
        self.setMinimumSize(180, 46)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_labels(self, labels: list[str], caption: str | None = None) -> None:
        self._labels = labels
        if caption is not None:
            self._caption = caption
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(9)
        p.setFont(font)
        fm = p.fontMetrics()
        w = self.width()
        margin = max(fm.horizontalAdvance(self._labels[0]), fm.horizontalAdvance(
            self._labels[-1])) // 2 + 2
        top = 0
        if self._caption:
            p.setPen(QColor(INK))
            p.drawText(QRectF(0, 0, w, fm.height()), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(self._caption, Qt.TextElideMode.ElideRight, w))
            top = fm.height() + 2
        bar = QRectF(margin, top, w - 2 * margin, 10)
        grad = QLinearGradient(bar.left(), 0, bar.right(), 0)
        for i in range(0, 256, 16):
            r, g, b, _ = (int(c) for c in self._lut[i])
            grad.setColorAt(i / 255, QColor(r, g, b))
        r, g, b, _ = (int(c) for c in self._lut[255])
        grad.setColorAt(1.0, QColor(r, g, b))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor("#bbbbbb")))
        p.drawRect(bar)
        p.setPen(QColor(INK))
        n = len(self._labels)
        for i, text in enumerate(self._labels):
            x = bar.left() + bar.width() * (i / (n - 1) if n > 1 else 0.5)
            tw = fm.horizontalAdvance(text)
            p.drawLine(int(x), int(bar.bottom()), int(x), int(bar.bottom()) + 3)
            p.drawText(int(x - tw / 2), int(bar.bottom() + 4 + fm.ascent()), text)
        p.end()

    def sizeHint(self):  # noqa: N802 (Qt API)
        from PySide6.QtCore import QSize
        return QSize(220, 46)


def thumbnail(image: np.ndarray, scale: int = 2) -> QImage:
    """A white-on-black (H, W) image in [0, 1] as a grey QImage, enlarged ``scale`` times."""
    a = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    a = (a * 255).astype(np.uint8)
    if scale > 1:
        a = np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)
    a = np.ascontiguousarray(a)
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def fmt(value: float) -> str:
    """A number in at most four significant digits, e.g. ``0.0123`` or ``1.23e+04``."""
    if value is None or not np.isfinite(value):
        return "–"
    value = float(value) + 0.0      # -0.0 reads "0", never "-0"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.2e}"
    return f"{value:.4g}"
