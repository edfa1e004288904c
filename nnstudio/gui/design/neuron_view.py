"""The painted neurons of a small dense network, in the manner of TensorFlow Playground.

Neurons are circles shaded by their activation for the current input (the canvas drawing),
edges are blue for positive and orange for negative weights, thicker for larger ones. Layers
wider than the view are shown by their first neurons and a "+N more" count; a large image
input is shown as the image itself. Everything is drawn in one ``paintEvent`` from arrays
computed at most every ~80 ms, so live training snapshots cost little.

A network fed with vectors gets room at the top for the + and − buttons of its neurons and
hidden layers (:mod:`.neuron_edits`); on a 2-D toy set each neuron can be drawn as a small
picture of what it answers over the plane instead of a circle. The panel around the canvas
is :mod:`.neuron_panel`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import isqrt, prod

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from nnstudio.core.design import Design
from nnstudio.gui.design import theme
from nnstudio.gui.design.neuron_edits import EditButtons

PASS_THROUGH = ("Flatten", "Dropout", "Activation")
RADIUS = 11.0
SPACING = 34.0
#: the side margins for the input and output labels: at least, and at most a share of the width
MARGIN = (130.0, 120.0)
MAX_MARGIN = 0.3
#: the room above the columns for the + and − buttons of an editable network
EDIT_ROOM = 56.0
BUTTON_ROW = 22.0
#: grid points per side of the output picture (the neuron pictures use every second)
PLANE_SIDE = 64


@dataclass
class Column:
    """One column of neurons: the input or a Dense layer.

    ``node`` is the Dense node (or the Input); ``shown`` is the node whose output is drawn (the
    last Activation/Dropout after it, if any)."""

    node: str
    size: int
    shown: str
    activation: str = "linear"
    image_side: int = 0           # > 0: an image input drawn as a side × side picture
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def dense_chain(design: Design) -> list[Column] | str:
    """The columns of a plain chain Input → (Dense | pass-through)* → Output, or why not."""
    inp = design.input_node
    if inp is None:
        return "Add an Input layer to see the neurons."
    columns = []
    node, seen = inp, set()
    size = int(prod(inp.params["shape"]))
    side = isqrt(size) if len(inp.params["shape"]) == 3 or size > 64 else 0
    columns.append(Column(inp.id, size, inp.id, image_side=side if side * side == size else 0))
    while True:
        seen.add(node.id)
        outs = design.outputs_of(node.id)
        if len(outs) > 1:
            return f"'{node.id}' branches: the neuron view draws plain chains of Dense layers."
        if not outs:
            break
        node = design.nodes[outs[0]]
        if node.id in seen or len(design.inputs_of(node.id)) > 1:
            return f"'{node.id}' joins branches: the neuron view draws plain chains."
        if node.kind == "Dense":
            columns.append(Column(node.id, int(node.params["units"]), node.id,
                                  node.params["activation"]))
        elif node.kind in PASS_THROUGH:
            if len(columns) > 1 or node.kind == "Flatten":
                columns[-1].shown = node.id
                if node.kind == "Activation":
                    columns[-1].activation = node.params["function"]
        elif node.kind == "Output":
            break
        else:
            return (f"This design has a {node.kind} layer ('{node.id}'); the neuron view draws "
                    "networks of Dense layers. The diagram shows it layer by layer.")
    if len(columns) < 2:
        return "Connect a Dense layer after the Input to see its neurons."
    return columns


def output_label(col: Column, i: int, class_names: list[str]) -> str:
    """The text beside output neuron ``i``: its class and value.

    A single output for two classes decides between them: a step neuron fires for the second
    class ("fires → 1"), a sigmoid gives the probability of the second class.
    """
    v = float(col.values[i]) if i < col.values.size else 0.0
    if col.size == 1 and len(class_names) == 2:
        if col.activation == "step":
            return (f"fires → {class_names[1]}" if v > 0.5
                    else f"does not fire → {class_names[0]}")
        if col.activation == "sigmoid":
            return f"{class_names[1]}: {v * 100:.0f}%"
        return f"{v:.3g}"
    name = class_names[i] if i < len(class_names) else str(i)
    if col.activation in ("softmax", "sigmoid"):
        return f"{name}  {v * 100:.0f}%"
    return f"{name}  {v:.3g}"


class NeuronCanvas(QWidget):
    """The painted neurons and weights (objectName ``neuronView``).

    Signals
    -------
    neuronClicked(int, int)
        Column index and neuron index of a clicked neuron.
    """

    neuronClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronView")
        self.setMinimumSize(280, 260)
        self.setMouseTracking(True)
        self.columns: list[Column] = []
        self.weights: dict[str, np.ndarray] = {}
        self.input_image: QImage | None = None
        self.class_names: list[str] = []
        self.input_names: list[str] = []
        self.reason = ""
        self.selected: tuple[int, int] | None = None
        self.hits: list[tuple[int, int, QPointF]] = []
        self._labels: list[tuple[QRectF, str, str]] = []
        self.paint_count = 0
        #: how long the last paint took, in milliseconds
        self.paint_ms = 0.0
        #: per column index: one picture per drawn neuron (what it answers over the plane)
        self.pictures: dict[int, list[QImage]] = {}
        #: the + and − buttons, when the network may be edited here
        self.buttons: EditButtons | None = None
        #: True while a run is active: the buttons are greyed out
        self.locked = False

    @property
    def head(self) -> float:
        """Room above the column titles: for the + and − buttons when they are shown."""
        shown = self.buttons is not None and bool(self.columns) and \
            not self.columns[0].image_side
        return EDIT_ROOM if shown else 0.0

    def capacity(self) -> int:
        """How many neurons fit in one column."""
        return max(3, int((self.height() - 90 - self.head) // SPACING))

    def place_buttons(self) -> None:
        """Put the + and − buttons over the hidden layers (or hide them)."""
        if self.buttons is None:
            return
        if not self.head or self.reason:
            self.buttons.place(None, {}, 0.0, True)
            return
        geo = self._layout()
        xs = {col.node: geo[c][0] for c, col in enumerate(self.columns)}
        header = QRectF(self.width() / 2 - 90, 6, 180, BUTTON_ROW)
        self.buttons.place(header, xs, 6 + BUTTON_ROW + 4, self.locked)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.place_buttons()

    def visible(self, col: Column) -> tuple[list[int], int]:
        """Indices drawn for a column and how many are hidden."""
        cap = self.capacity()
        if col.size <= cap:
            return list(range(col.size)), 0
        return list(range(cap - 1)), col.size - (cap - 1)

    def _layout(self) -> list[tuple[float, dict[int, QPointF], QRectF | None, int]]:
        """Per column: x, neuron centres, image rect (image inputs), hidden count."""
        n = len(self.columns)
        left, right = self.margins()
        width = max(1.0, self.width() - left - right)
        out = []
        top, bottom = 48.0 + self.head, self.height() - 30.0
        for c, col in enumerate(self.columns):
            x = left + (width * c / (n - 1) if n > 1 else width / 2)
            if col.image_side:
                side = min(140.0, (bottom - top) * 0.6)
                rect = QRectF(x - side / 2, (top + bottom) / 2 - side / 2, side, side)
                out.append((x, {}, rect, 0))
                continue
            idx, hidden = self.visible(col)
            slots = len(idx) + (1 if hidden else 0)
            y0 = (top + bottom) / 2 - (slots - 1) * SPACING / 2
            centres = {i: QPointF(x, y0 + k * SPACING) for k, i in enumerate(idx)}
            out.append((x, centres, None, hidden))
        return out

    def margins(self) -> tuple[float, float]:
        """Left and right margins: room for the input and output labels, within limits.

        They are measured with room for any value ("−0.000", "100%"), so they stay put
        while the values change during training.
        """
        if not self.columns:
            return MARGIN
        most = max(MARGIN[0], self.width() * MAX_MARGIN)
        wide = QFontMetricsF(theme.ui_font(9.0, bold=True))
        cols = (self.columns[0], self.columns[-1])
        names = [self.input_names[i] if i < len(self.input_names) else f"x{i + 1}"
                 for i in range(cols[0].size)]
        texts = ([f"{name} = −0.000" for name in names]
                 if not cols[0].image_side and cols[0].size <= 64 else [],
                 [output_label(cols[1], i, self.class_names) + "00"
                  for i in range(cols[1].size)] if cols[1].size <= 64 else [])
        need = [max((wide.horizontalAdvance(t) for t in ts), default=0.0) + RADIUS + 22
                for ts in texts]
        return (min(most, max(MARGIN[0], need[0])), min(most, max(MARGIN[1], need[1])))

    def labels(self) -> list[tuple[QRectF, str, str]]:
        """The painted input and output labels: (rect, text shown, whole text).

        A text cut with "…" to fit its margin shows whole in a tooltip over its rect.
        """
        return list(self._labels)

    def event(self, event: QEvent) -> bool:  # noqa: D102 - Qt override
        if event.type() == QEvent.Type.ToolTip:
            pos = QPointF(event.pos())
            whole = next((full for r, shown, full in self._labels
                          if r.contains(pos) and shown != full), "")
            if whole:
                QToolTip.showText(event.globalPos(), whole, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _input_text(self, i: int) -> str:
        name = self.input_names[i] if i < len(self.input_names) else f"x{i + 1}"
        v = float(self.columns[0].values[i]) if i < self.columns[0].values.size else 0.0
        return f"{name} = {v:.3g}"

    def _fitted(self, p: QPainter, text: str, room: float, keep_end: str = "") -> str:
        """``text`` cut in the middle with "…" to ``room`` pixels; ``keep_end`` stays whole."""
        fm = p.fontMetrics()
        if fm.horizontalAdvance(text) <= room:
            return text
        head = text[:len(text) - len(keep_end)] if keep_end else text
        head = fm.elidedText(head, Qt.TextElideMode.ElideMiddle,
                             int(max(0.0, room - fm.horizontalAdvance(keep_end))))
        return head + keep_end

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        start = time.perf_counter()
        self._paint()
        self.paint_ms = (time.perf_counter() - start) * 1000

    def _paint(self) -> None:
        self.paint_count += 1
        self._labels = []
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        if self.reason or not self.columns:
            p.setPen(QColor(theme.MUTED))
            p.setFont(theme.ui_font(10.5, italic=True))
            p.drawText(self.rect().adjusted(40, 40, -40, -40),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.reason)
            return
        geo = self._layout()
        self.hits = []
        if self.head:
            hidden = len(self.columns) - 2
            p.setFont(theme.ui_font(9.5, bold=True))
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRectF(self.width() / 2 - 90 + 2 * BUTTON_ROW + 14, 6, 220, BUTTON_ROW),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       f"{hidden} HIDDEN LAYER{'' if hidden == 1 else 'S'}")
        # edges, faint and thin first, strong on top
        for c in range(1, len(self.columns)):
            col = self.columns[c]
            w = self.weights.get(f"{col.node}/W")
            _, dst, _, _ = geo[c]
            _, src, rect, _ = geo[c - 1]
            if w is None:
                continue
            if rect is not None:  # image input: one bundle per neuron
                p.setPen(QPen(QColor(theme.BORDER), 1.0))
                for pt in dst.values():
                    p.drawLine(QPointF(rect.right(), rect.center().y()), pt)
                continue
            si, di = list(src), list(dst)
            sub = w[np.ix_(si, di)]
            scale = float(np.abs(w).max()) or 1.0
            order = np.argsort(np.abs(sub), axis=None)
            power = 1.0 if sub.size <= 64 else 1.8  # many edges: let the strong ones stand out
            for flat in order:
                a, b = divmod(int(flat), len(di))
                v = float(sub[a, b]) / scale
                color = QColor(theme.POSITIVE if v >= 0 else theme.NEGATIVE)
                color.setAlpha(int(40 + 215 * abs(v) ** power))
                p.setPen(QPen(color, 0.5 + 4.5 * abs(v)))
                p.drawLine(src[si[a]], dst[di[b]])
        # neurons
        for c, col in enumerate(self.columns):
            x, centres, rect, hidden = geo[c]
            self._label(p, x, col, c)
            if rect is not None and self.input_image is not None:
                p.drawImage(rect, self.input_image)
                p.setPen(QPen(QColor(theme.BORDER), 1))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(rect)
                p.setFont(theme.ui_font(8.5))
                p.setPen(QColor(theme.MUTED))
                p.drawText(QRectF(rect.left() - 20, rect.bottom() + 4, rect.width() + 40, 16),
                           Qt.AlignmentFlag.AlignCenter, f"{col.image_side}×{col.image_side}")
                continue
            vals = col.values
            scale = max(1.0, float(np.abs(vals).max())) if vals.size else 1.0
            pictures = self.pictures.get(c, [])
            for i, pt in centres.items():
                v = float(vals[i]) / scale if i < vals.size else 0.0
                sel = self.selected == (c, i)
                p.setPen(QPen(QColor(theme.SELECT if sel else "#5f6368"), 2.5 if sel else 1.0))
                if i < len(pictures):  # what this neuron answers over the plane
                    square = QRectF(pt.x() - RADIUS - 2, pt.y() - RADIUS - 2,
                                    2 * RADIUS + 4, 2 * RADIUS + 4)
                    p.drawImage(square, pictures[i])
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(square)
                else:
                    p.setBrush(theme.value_color(v))
                    p.drawEllipse(pt, RADIUS, RADIUS)
                self.hits.append((c, i, pt))
            if hidden:
                y = max(pt.y() for pt in centres.values()) + SPACING if centres else x
                r = QRectF(x - 34, y - 10, 68, 20)
                p.setPen(QPen(QColor(theme.BORDER), 1))
                p.setBrush(QColor("#f1f3f4"))
                p.drawRoundedRect(r, 10, 10)
                p.setFont(theme.ui_font(8.5))
                p.setPen(QColor(theme.MUTED))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, f"+{hidden:,} more")
            if c == len(self.columns) - 1:
                self._outputs(p, col, centres)
            elif c == 0:
                self._inputs(p, col, centres)

    def _label(self, p: QPainter, x: float, col: Column, c: int) -> None:
        p.setFont(theme.ui_font(9.5, bold=True))
        p.setPen(QColor(theme.TEXT))
        name = "input" if c == 0 else col.node
        top = self.head
        p.drawText(QRectF(x - 70, top + 8, 140, 18), Qt.AlignmentFlag.AlignCenter, name)
        p.setFont(theme.ui_font(8.5))
        p.setPen(QColor(theme.MUTED))
        sub = f"{col.size:,} values" if c == 0 else f"{col.size} · {col.activation}"
        p.drawText(QRectF(x - 70, top + 25, 140, 16), Qt.AlignmentFlag.AlignCenter, sub)

    def _inputs(self, p: QPainter, col: Column, centres: dict[int, QPointF]) -> None:
        p.setFont(theme.ui_font(9.0))
        for i, pt in centres.items():
            room = pt.x() - RADIUS - 14
            rect = QRectF(6, pt.y() - 9, room, 18)
            full = self._input_text(i)
            value = full[full.rindex(" = "):]
            shown = self._fitted(p, full, room, keep_end=value)
            p.setPen(QColor(theme.TEXT))
            p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, shown)
            self._labels.append((rect, shown, full))

    def _outputs(self, p: QPainter, col: Column, centres: dict[int, QPointF]) -> None:
        vals = col.values
        if not vals.size:
            return
        best = int(np.argmax(vals)) if vals.size > 1 else -1
        p.setFont(theme.ui_font(9.0))
        for i, pt in centres.items():
            text = output_label(col, i, self.class_names)
            font = theme.ui_font(9.0, bold=i == best)
            p.setFont(font)
            p.setPen(QColor(theme.POSITIVE if i == best else theme.TEXT))
            rect = QRectF(pt.x() + RADIUS + 8, pt.y() - 9, self.width() - pt.x() - RADIUS - 14,
                          18)
            shown = self._fitted(p, text, rect.width())
            p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)
            self._labels.append((rect, shown, text))

    def neuron_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The (column, neuron) under ``pos``, or None."""
        for c, i, pt in self.hits:
            if (pt - pos).manhattanLength() <= RADIUS * 1.6:
                return (c, i)
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        hit = self.neuron_at(event.position())
        if hit is not None:
            self.selected = hit
            self.update()
            self.neuronClicked.emit(*hit)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        over = self.neuron_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
