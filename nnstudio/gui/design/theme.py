"""Colours, fonts and small painted icons shared by the editor's widgets and scene items.

The palette follows the rest of nnstudio: calm light greys, blue (#0877bd) for positive and
orange (#f59322) for negative values, one accent colour per layer kind.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

POSITIVE = "#0877bd"
NEGATIVE = "#f59322"
ERROR = "#d93025"
ERROR_BG = "#fdecea"
OK = "#1e8e3e"
TEXT = "#202124"
MUTED = "#5f6368"
FAINT = "#9aa0a6"
BORDER = "#d0d7de"
CARD = "#ffffff"
CANVAS = "#f7f8fa"
GRID_DOT = "#dde1e6"
LINK = "#8c96a3"
SELECT = "#1a73e8"

#: kind -> (accent colour, glyph, one-line description for the palette)
KINDS: dict[str, tuple[str, str, str]] = {
    "Input": ("#546e7a", "in", "Where data enters: its shape, e.g. 784 or 1×28×28"),
    "Dense": (POSITIVE, "D", "Every input feeds every unit: weights and a bias"),
    "Conv2D": ("#7b5fc7", "C", "Small filters slide over an image, sharing weights"),
    "MaxPool2D": ("#00897b", "P", "Keeps the largest value of each patch: halves H and W"),
    "Flatten": ("#8d6e63", "F", "Turns an image (C×H×W) into one long vector"),
    "Dropout": ("#78909c", "%", "Randomly silences inputs while training"),
    "Activation": ("#c49000", "σ", "Applies a function such as relu or tanh"),
    "Add": ("#2e7d32", "+", "Adds inputs of equal shape (residual joins)"),
    "Concatenate": ("#388e3c", "‖", "Joins inputs side by side"),
    "Output": ("#c2185b", "out", "The end of the network: names the loss"),
}


def kind_color(kind: str) -> QColor:
    """Accent colour of a layer kind (grey for unknown kinds)."""
    return QColor(KINDS.get(kind, ("#78909c", "?", ""))[0])


def kind_glyph(kind: str) -> str:
    return KINDS.get(kind, ("", "?", ""))[1]


def ui_font(point_size: float = 10.0, bold: bool = False, italic: bool = False) -> QFont:
    """The editor's text font at a given size."""
    font = QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    font.setItalic(italic)
    return font


def paint_kind_badge(painter: QPainter, rect: QRectF, kind: str) -> None:
    """Draw the rounded, coloured badge with the kind's glyph into ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(kind_color(kind))
    radius = rect.height() * 0.28
    painter.drawRoundedRect(rect, radius, radius)
    glyph = kind_glyph(kind)
    font = ui_font(rect.height() * (0.36 if len(glyph) > 1 else 0.5), bold=True)
    font.setPixelSize(max(6, int(rect.height() * (0.42 if len(glyph) > 1 else 0.6))))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)
    painter.restore()


def kind_icon(kind: str, size: int = 22) -> QIcon:
    """A QIcon of the kind's badge (for the palette and the inspector)."""
    pix = QPixmap(size * 2, size * 2)
    pix.setDevicePixelRatio(2.0)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    paint_kind_badge(painter, QRectF(1, 1, size - 2, size - 2), kind)
    painter.end()
    return QIcon(pix)


def value_color(v: float, alpha: int = 255) -> QColor:
    """Diverging colour for a value in [-1, 1]: orange negative, white 0, blue positive."""
    v = max(-1.0, min(1.0, float(v)))
    end = QColor(POSITIVE if v >= 0 else NEGATIVE)
    t = abs(v)
    r = round(255 + (end.red() - 255) * t)
    g = round(255 + (end.green() - 255) * t)
    b = round(255 + (end.blue() - 255) * t)
    return QColor(r, g, b, alpha)
