"""A neuron's arithmetic for the current input, in words and in a small plot of f.

:func:`neuron_sum` writes out what one neuron computes, term by term:
``x1×w1 + x2×w2 = s``, then ``z = s + b`` and ``a = f(z)``; a step neuron is written with its
threshold θ = −b, as the classic perceptron example reads:
``0.5×0.5 + 0.6×0.7 = 0.67 > 0.5 → fires (1)``. :class:`ActivationPlot` draws f over an
interval around z, with z marked on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from nnstudio.core.activations import get_activation
from nnstudio.gui.design import theme

#: above this many inputs the sum is summarised instead of written term by term
MAX_TERMS = 6


def num(v: float) -> str:
    """A short number: 3 significant digits, no trailing zeros, a real minus sign."""
    text = f"{float(v):.3g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace("-", "−")


def _factor(v: float) -> str:
    return f"({num(v)})" if v < 0 else num(v)


@dataclass
class NeuronSum:
    """What one neuron computes for one input.

    Attributes
    ----------
    lines : list of str
        The arithmetic, one step a line (plain text).
    z : float
        The weighted sum plus the bias.
    a : float
        The neuron's output (the network's own value).
    """

    lines: list[str]
    z: float
    a: float


def neuron_sum(x: np.ndarray, w: np.ndarray, b: float, activation: str, a: float,
               input_names: list[str] | None = None) -> NeuronSum:
    """The arithmetic of a neuron with inputs ``x`` (n,), weights ``w`` (n,) and bias ``b``.

    ``a`` is the output the network computed (it decides a step neuron's answer, so the text
    always agrees with the network); ``input_names`` label a long sum's first terms.
    """
    x = np.asarray(x, np.float64).reshape(-1)
    w = np.asarray(w, np.float64).reshape(-1)
    s = float(np.dot(x, w))
    z = s + float(b)
    n = x.size
    if n <= MAX_TERMS:
        terms = " + ".join(f"{_factor(xi)}×{_factor(wi)}" for xi, wi in zip(x, w, strict=True))
    else:
        terms = f"Σ xᵢ×wᵢ over {n:,} inputs"
    lines = []
    if activation == "step":
        theta = -float(b)
        fires = a > 0.5
        lines.append(f"{terms} = {num(s)} {'>' if fires else '≤'} {num(theta)} → "
                     + ("fires (1)" if fires else "does not fire (0)"))
        lines.append(f"threshold θ = −b = {num(theta)};  z = {num(s)} − {_factor(theta)} = "
                     f"{num(z)}")
        return NeuronSum(lines, z, a)
    lines.append(f"{terms} = {num(s)}")
    lines.append(f"z = {num(s)} + {_factor(float(b))} = {num(z)}")
    if activation == "softmax":
        lines.append(f"a = e^z / Σ e^z over the layer = {num(a)}")
    else:
        lines.append(f"a = {activation}(z) = {num(a)}")
    return NeuronSum(lines, z, a)


def break_line(line: str, fits: Callable[[str], bool], indent: str = "    ") -> list[str]:
    """``line`` broken before its operators (=, +, −, >, ≤, →) into lines that each ``fits``.

    A sum too long for its panel then reads ``x1×w1 + x2×w2`` / ``    = 0.67 > 0.5`` /
    ``    → fires (1)`` instead of being cut anywhere by word wrap. Pieces that fit stay
    together; a piece too long on its own is left whole (the label wraps it).
    """
    if fits(line):
        return [line]
    pieces = re.split(r"(?= [=+−>≤→] )", line)
    out: list[str] = []
    for piece in pieces:
        if out and fits(out[-1] + piece):
            out[-1] += piece
        else:
            out.append(indent + piece.lstrip() if out else piece)
    return out


class ActivationPlot(QWidget):
    """f(z) over an interval around z, with the current z marked (objectName
    ``activationPlot``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activationPlot")
        self.activation = "linear"
        self.z: float | None = None
        self.a: float | None = None
        self.setMinimumHeight(96)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(212, 104)

    def set_point(self, activation: str, z: float, a: float) -> None:
        """Draw ``activation`` with the point (z, a) on it."""
        self.activation, self.z, self.a = activation, float(z), float(a)
        self.update()

    def span(self) -> tuple[float, float]:
        """The z interval drawn: at least −4..4, wide enough to show z."""
        half = max(4.0, abs(self.z or 0.0) * 1.25)
        return -half, half

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(z, f(z)) samples of the curve drawn, 201 each."""
        lo, hi = self.span()
        zs = np.linspace(lo, hi, 201)
        if self.activation == "softmax":  # per neuron it behaves like a sigmoid of z
            return zs, 1.0 / (1.0 + np.exp(-zs))
        return zs, np.asarray(get_activation(self.activation).forward(zs.copy()), np.float64)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.z is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        zs, fs = self.curve()
        lo, hi = float(zs[0]), float(zs[-1])
        f_lo, f_hi = float(min(fs.min(), 0.0, self.a)), float(max(fs.max(), 1.0, self.a))
        pad = 0.08 * (f_hi - f_lo or 1.0)
        f_lo, f_hi = f_lo - pad, f_hi + pad
        r = QRectF(6, 6, self.width() - 12, self.height() - 24)

        def pt(z: float, f: float) -> QPointF:
            return QPointF(r.left() + (z - lo) / (hi - lo) * r.width(),
                           r.bottom() - (f - f_lo) / (f_hi - f_lo) * r.height())

        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.drawLine(pt(lo, 0.0), pt(hi, 0.0))
        p.drawLine(pt(0.0, f_lo), pt(0.0, f_hi))
        path = QPainterPath(pt(zs[0], fs[0]))
        for z, f in zip(zs[1:], fs[1:], strict=True):
            path.lineTo(pt(z, f))
        p.setPen(QPen(QColor(theme.POSITIVE), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        mark = pt(self.z, self.a)
        p.setPen(QPen(QColor(theme.NEGATIVE), 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(mark.x(), r.bottom()), mark)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.NEGATIVE))
        p.drawEllipse(mark, 4, 4)
        p.setPen(QColor(theme.MUTED))
        p.setFont(theme.ui_font(8.5))
        name = "step" if self.activation == "step" else self.activation
        p.drawText(QRectF(0, self.height() - 17, self.width(), 16),
                   Qt.AlignmentFlag.AlignCenter,
                   f"{name}(z) at z = {num(self.z)}: a = {num(self.a)}")
