"""Details of one clicked neuron: its incoming weights, bias and activation, editable.

For a first-layer neuron of an image network the incoming weights are drawn as an image of
the input's size (28×28 for MNIST), so one can see which pixels excite (blue) or inhibit
(orange) it. Clicking a weight selects it for editing; an edited weight or bias is written
into a copy of the network's weights and handed to ``session.set_weights`` so every page
(e.g. the prediction on the Draw page) follows at once.
"""

from __future__ import annotations

from math import ceil, sqrt

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from nnstudio.core.design import DesignError
from nnstudio.gui.design import theme
from nnstudio.gui.design.neuron_math import ActivationPlot, break_line, neuron_sum
from nnstudio.gui.session import Session

NEG = np.array([0xF5, 0x93, 0x22], np.float32)
POS = np.array([0x08, 0x77, 0xBD], np.float32)


def weight_image(values: np.ndarray, signed: bool = True) -> QImage:
    """An RGB image of a 2-D array, shape (H, W).

    ``signed``: orange (negative) / white / blue (positive), scaled by the largest magnitude;
    otherwise grey levels of values in [0, 1], white for 1 on black (as the network sees
    a drawing).
    """
    v = np.asarray(values, np.float32)
    h, w = v.shape
    if signed:
        m = float(np.abs(v).max()) or 1.0
        t = np.clip(v / m, -1, 1)[..., None]
        end = np.where(t >= 0, POS, NEG)
        rgb = 255 + (end - 255) * np.abs(t)
    else:
        rgb = np.repeat(np.clip(v, 0, 1)[..., None] * 255, 3, axis=2)
    rgba = np.empty((h, w, 4), np.uint8)
    rgba[..., :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    rgba[..., 3] = 255
    return QImage(rgba.tobytes(), w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class WeightGrid(QWidget):
    """Incoming weights as a picture (many inputs) or as labelled bars (a few).

    Signals
    -------
    picked(int)
        Index of the clicked weight.
    """

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightGrid")
        self.values = np.zeros(0, np.float32)
        self.side = 0
        self.names: list[str] = []
        self.selected = -1
        self.setMinimumHeight(60)

    def set_weights(self, values: np.ndarray, side: int = 0, names: list[str] | None = None):
        self.values = np.asarray(values, np.float32).reshape(-1)
        n = self.values.size
        self.side = side or (ceil(sqrt(n)) if n > 16 else 0)
        self.names = names or [f"x{i + 1}" for i in range(n)]
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self.side:
            return QSize(220, 200)
        return QSize(220, max(40, 20 * self.values.size + 6))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def _grid_rect(self) -> QRectF:
        s = min(self.width() - 8, 196)
        return QRectF((self.width() - s) / 2, 2, s, s)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = self.values.size
        if not n:
            return
        m = float(np.abs(self.values).max()) or 1.0
        if self.side:
            rows = ceil(n / self.side)
            grid = np.zeros(rows * self.side, np.float32)
            grid[:n] = self.values
            r = self._grid_rect()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(QRectF(r.left(), r.top(), r.width(), r.width() * rows / self.side),
                        weight_image(grid.reshape(rows, self.side)))
            p.setPen(QPen(QColor(theme.BORDER), 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r)
            if 0 <= self.selected < n:
                cell = r.width() / self.side
                y, x = divmod(self.selected, self.side)
                p.setPen(QPen(QColor(theme.TEXT), 1.5))
                p.drawRect(QRectF(r.left() + x * cell, r.top() + y * cell, cell, cell))
            return
        mid = self.width() * 0.55
        half = self.width() - mid - 6
        p.setFont(theme.ui_font(8.5))
        for i, v in enumerate(self.values):
            y = 3 + 20 * i
            p.setPen(QColor(theme.TEXT if i == self.selected else theme.MUTED))
            name = p.fontMetrics().elidedText(self.names[i], Qt.TextElideMode.ElideMiddle,
                                              int(mid - 54))
            p.drawText(QRectF(0, y, mid - 50, 18), Qt.AlignmentFlag.AlignVCenter
                       | Qt.AlignmentFlag.AlignLeft, name)
            p.drawText(QRectF(mid - 50, y, 44, 18), Qt.AlignmentFlag.AlignVCenter
                       | Qt.AlignmentFlag.AlignRight, f"{v:+.2f}")
            width = half * abs(float(v)) / m
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.POSITIVE if v >= 0 else theme.NEGATIVE))
            p.drawRoundedRect(QRectF(mid, y + 4, max(1.5, width), 10), 2, 2)
            if i == self.selected:
                p.setPen(QPen(QColor(theme.SELECT), 1))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(QRectF(0, y, self.width() - 2, 18), 4, 4)

    def index_at(self, pos: QPointF) -> int:
        n = self.values.size
        if self.side:
            r = self._grid_rect()
            if not r.contains(pos):
                return -1
            cell = r.width() / self.side
            i = int((pos.y() - r.top()) // cell) * self.side + int((pos.x() - r.left()) // cell)
            return i if 0 <= i < n else -1
        i = int((pos.y() - 3) // 20)
        return i if 0 <= i < n else -1

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        i = self.index_at(event.position())
        if i >= 0:
            self.selected = i
            self.update()
            self.picked.emit(i)


class NeuronDetail(QFrame):
    """The clicked neuron (objectName ``neuronDetail``).

    Signals
    -------
    inputEdited(int, float)
        The person typed a value for input neuron ``index``.
    """

    inputEdited = Signal(int, float)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronDetail")
        self.session = session
        self.setFixedWidth(290)
        self.setStyleSheet("QFrame#neuronDetail { background: #fafbfc; border-left: 1px solid "
                           "#e3e6ea; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        self.title = QLabel()
        self.title.setStyleSheet(f"font-size: 11pt; font-weight: 600; color: {theme.TEXT};")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.grid = WeightGrid()
        self.grid.picked.connect(self._picked)
        form = QFormLayout()
        self.weight_label = QLabel("weight")
        self.weight_edit = QLineEdit()
        self.weight_edit.setObjectName("weightEdit")
        self.bias_edit = QLineEdit()
        self.bias_edit.setObjectName("biasEdit")
        form.addRow(self.weight_label, self.weight_edit)
        self.bias_label = QLabel("bias")
        form.addRow(self.bias_label, self.bias_edit)
        self.threshold_label = QLabel("threshold θ")
        self.threshold_edit = QLineEdit()
        self.threshold_edit.setObjectName("thresholdEdit")
        self.threshold_edit.setToolTip("The step neuron fires when the weighted sum is greater "
                                       "than its threshold θ; θ = −b.")
        form.addRow(self.threshold_label, self.threshold_edit)
        self.arithmetic = QLabel()
        self.arithmetic.setObjectName("neuronArithmetic")
        self.arithmetic.setWordWrap(True)
        self.arithmetic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arithmetic.setStyleSheet(f"color: {theme.TEXT}; font-size: 9.5pt; "
                                      "background: white; border: 1px solid #e3e6ea; "
                                      "border-radius: 4px; padding: 4px;")
        self.curve = ActivationPlot()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.ERROR}; font-size: 9pt;")
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setStyleSheet(f"color: {theme.FAINT}; font-style: italic; font-size: 9pt;")
        for w in (self.title, self.info, self.grid):
            lay.addWidget(w)
        lay.addLayout(form)
        lay.addWidget(self.arithmetic)
        lay.addWidget(self.curve)
        lay.addWidget(self.error)
        lay.addWidget(self.help)
        lay.addStretch(1)
        self.weight_edit.returnPressed.connect(self._apply_weight)
        self.bias_edit.returnPressed.connect(self._apply_bias)
        self.threshold_edit.returnPressed.connect(self._apply_threshold)
        self.columns: list = []
        self.input_names: list[str] = []   # the data's names of the inputs, if it has them
        self.where: tuple[int, int] | None = None
        self.source = 0
        self._sum_lines: list[str] = []
        self.clear()

    def clear(self) -> None:
        self.where = None
        self.title.setText("Click a neuron")
        self.info.setText("to see its incoming weights, bias and activation, and to change "
                          "them and watch the prediction move.")
        self.grid.set_weights(np.zeros(0))
        self.grid.hide()
        for w in (self.weight_label, self.weight_edit, self.bias_label, self.bias_edit,
                  self.threshold_label, self.threshold_edit, self.arithmetic, self.curve):
            w.hide()
        self.error.clear()
        self.help.clear()

    def show_neuron(self, columns: list, c: int, i: int, weights: dict) -> None:
        """Show neuron ``i`` of column ``c`` (column 0 is the input)."""
        self.columns, self.where = columns, (c, i)
        col = columns[c]
        value = float(col.values[i]) if i < col.values.size else 0.0
        editable = not self.session.is_training
        self.error.clear()
        if c == 0:
            self.title.setText(f"Input {self._input_name(i)}")
            self.info.setText(f"value {value:.3f}")
            self.grid.hide()
            for w in (self.threshold_label, self.threshold_edit, self.arithmetic, self.curve):
                w.hide()
            self.weight_label.setText("value")
            self.weight_label.show()
            self.weight_edit.show()
            self.weight_edit.setText(f"{value:g}")
            self.bias_label.hide()
            self.bias_edit.hide()
            self.help.setText("Type a value and press Enter to see the network respond.")
            return
        W = weights.get(f"{col.node}/W")
        b = weights.get(f"{col.node}/b")
        if W is None or b is None:
            self.clear()
            return
        incoming = W[:, i]
        prev = columns[c - 1]
        side = prev.image_side if c == 1 else 0
        names = [f"from {columns[c - 1].node} {k + 1}" if c > 1 else self._input_name(k)
                 for k in range(incoming.size)] if incoming.size <= 16 else None
        self.title.setText(f"{col.node} · neuron {i}")
        self.info.setText(f"activation <b>{value:.3f}</b> ({col.activation}) · bias "
                          f"{float(b[i]):+.3f}<br>{incoming.size:,} incoming weights")
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.grid.set_weights(incoming, side=side, names=names)
        self.grid.show()
        self.source = min(self.source, incoming.size - 1)
        self.grid.selected = self.source
        step = col.activation == "step"
        for w, shown in ((self.weight_label, True), (self.weight_edit, True),
                         (self.bias_label, not step), (self.bias_edit, not step),
                         (self.threshold_label, step), (self.threshold_edit, step)):
            w.setVisible(shown)  # a step neuron is edited by its threshold θ = −b
            w.setEnabled(editable)
        self._show_source()
        if not self.bias_edit.hasFocus():
            self.bias_edit.setText(f"{float(b[i]) + 0.0:.4g}")   # + 0.0: never "-0"
        if not self.threshold_edit.hasFocus():
            self.threshold_edit.setText(f"{-float(b[i]) + 0.0:.4g}")
        self._show_sum(prev.values, incoming, float(b[i]), col.activation, value)
        self.help.setText("Blue pixels excite this neuron, orange ones inhibit it. Click a "
                          "weight, type a value and press Enter." if side else
                          "Click a weight, type a value and press Enter." if editable else
                          "Training is running: weights change on their own; edit them "
                          "when it stops.")

    def _input_name(self, k: int) -> str:
        """x1, x2, ... (or the data's own name for input ``k``)."""
        return self.input_names[k] if k < len(self.input_names) else f"x{k + 1}"

    def _show_sum(self, x: np.ndarray, w: np.ndarray, b: float, activation: str,
                  a: float) -> None:
        """The neuron's arithmetic for the current input, and f with z marked."""
        if x.size != w.size:
            self.arithmetic.hide()
            self.curve.hide()
            return
        result = neuron_sum(x, w, b, activation, a)
        self._sum_lines = list(result.lines)
        self.arithmetic.ensurePolished()
        fm = QFontMetrics(self.arithmetic.font())
        room = self.width() - 24 - 14   # the panel's margins, the box's padding and border
        shown = [part for line in result.lines
                 for part in break_line(line, lambda t: fm.horizontalAdvance(t) <= room)]
        self.arithmetic.setText("\n".join(shown))
        self.arithmetic.show()
        self.curve.set_point(activation, result.z, a)
        self.curve.show()

    def arithmetic_lines(self) -> list[str]:
        """The neuron's arithmetic, one step a line, as computed (before it is broken to fit
        the panel's width); empty when none is shown."""
        return list(self._sum_lines) if self.arithmetic.isVisibleTo(self) else []

    def _source_name(self) -> str:
        c, _ = self.where or (1, 0)
        side = self.columns[c - 1].image_side if c == 1 else 0
        if side:
            r, k = divmod(self.source, side)
            return f"pixel ({r}, {k})"
        if c == 1:
            return f"{self._input_name(self.source)} (w{self.source + 1})"
        return f"{self.columns[c - 1].node} {self.source + 1}"

    def _show_source(self) -> None:
        self.weight_label.setText(f"weight from {self._source_name()}")
        c, i = self.where or (1, 0)
        net = self.session.network
        if net is None:
            return
        W = net.get_weights().get(f"{self.columns[c].node}/W")
        if W is not None and not self.weight_edit.hasFocus():
            self.weight_edit.setText(f"{float(W[self.source, i]):.4g}")

    def _picked(self, index: int) -> None:
        self.source = index
        self._show_source()
        self.weight_edit.setFocus()
        self.weight_edit.selectAll()

    def _number(self, edit: QLineEdit) -> float | None:
        try:
            v = float(edit.text().strip())
        except ValueError:
            v = float("nan")
        if not np.isfinite(v):
            self.error.setText(f"'{edit.text()}' is not a number: type e.g. 0.5 or -1.2")
            return None
        self.error.clear()
        return v

    def _apply_weight(self) -> None:
        v = self._number(self.weight_edit)
        if v is None or self.where is None:
            return
        c, i = self.where
        if c == 0:
            self.inputEdited.emit(i, v)
            return
        self._write(f"{self.columns[c].node}/W", (self.source, i), v)

    def _apply_threshold(self) -> None:
        v = self._number(self.threshold_edit)
        if v is None or self.where is None or self.where[0] == 0:
            return
        c, i = self.where
        self._write(f"{self.columns[c].node}/b", (i,), -v)

    def _apply_bias(self) -> None:
        v = self._number(self.bias_edit)
        if v is None or self.where is None or self.where[0] == 0:
            return
        c, i = self.where
        self._write(f"{self.columns[c].node}/b", (i,), v)

    def _write(self, key: str, index: tuple, value: float) -> None:
        net = self.session.network
        if net is None or self.session.is_training:
            self.error.setText("Weights can be edited when training has stopped.")
            return
        weights = net.get_weights()
        weights[key][index] = np.float32(value)
        try:
            self.session.set_weights(weights)
        except (DesignError, ValueError) as err:
            self.error.setText(str(err))




