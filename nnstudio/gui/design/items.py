"""Scene items of the diagram: layer cards, their ports, links and the hint bubble.

Items know nothing of the design model: they draw plain :class:`NodeData` handed to them by
the controller and report what the person does through their :class:`DiagramScene`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from nnstudio.gui.design import theme

CARD_W = 188.0
CARD_H = 78.0
PORT_R = 6.0
GRID = 8.0


@dataclass
class NodeData:
    """What a card shows; built by the controller from the design and its analysis.

    Attributes
    ----------
    id, kind : str
        The node's name and layer kind.
    summary : str
        Key parameters in a few words, e.g. ``"256 units · relu"``.
    out_shape : str
        Output shape text, e.g. ``"16×28×28"`` (``"?"`` when unknown).
    params : int
        Trainable parameter count.
    has_in, has_out : bool
        Whether the card has an input / output port.
    multi_in : bool
        The input port takes several links (Add, Concatenate).
    error, fix : str or None
        The engine's message for this node and the suggested fix.
    tooltip : str
        Longer description shown on hover.
    """

    id: str
    kind: str
    summary: str = ""
    out_shape: str = "?"
    params: int = 0
    has_in: bool = True
    has_out: bool = True
    multi_in: bool = False
    error: str | None = None
    fix: str | None = None
    tooltip: str = ""


def elide(text: str, metrics: QFontMetricsF, width: float) -> str:
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


class PortItem(QGraphicsItem):
    """A connection point on the left (``"in"``) or right (``"out"``) edge of a card."""

    def __init__(self, node: NodeItem, side: str) -> None:
        super().__init__(node)
        self.node = node
        self.side = side
        self.hot = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        tip = "Drag to another layer's input to connect" if side == "out" else \
            "Drag to a layer's output to connect"
        self.setToolTip(tip)

    @property
    def node_id(self) -> str:
        return self.node.info.id

    def boundingRect(self) -> QRectF:
        r = PORT_R + 6
        h = self.node.port_height() / 2 + 6 if self.side == "in" else r
        return QRectF(-r, -h, 2 * r, 2 * h)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = theme.kind_color(self.node.info.kind)
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(color if self.hot else QColor(theme.CARD))
        half = self.node.port_height() / 2 if self.side == "in" else PORT_R
        painter.drawRoundedRect(QRectF(-PORT_R, -half, 2 * PORT_R, 2 * half), PORT_R, PORT_R)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hot = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hot = False
        self.update()

    def set_hot(self, hot: bool) -> None:
        if hot != self.hot:
            self.hot = hot
            self.update()


class NodeItem(QGraphicsObject):
    """A layer drawn as a rounded card: badge, name, kind, key parameters, shape, count."""

    def __init__(self, data: NodeData) -> None:
        super().__init__()
        self.info = data
        self.links: list[LinkItem] = []
        self.n_inputs = 0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.in_port = PortItem(self, "in")
        self.out_port = PortItem(self, "out")
        self.in_port.setPos(0, CARD_H / 2)
        self.out_port.setPos(CARD_W, CARD_H / 2)
        self.hovered = False
        self.set_data(data)

    # ------------------------------------------------------------------ data
    def set_data(self, data: NodeData) -> None:
        self.info = data
        self.in_port.setVisible(data.has_in)
        self.out_port.setVisible(data.has_out)
        tip = f"<b>{data.id}</b> · {data.kind}<br>{data.tooltip}"
        if data.error:
            tip += f"<br><span style='color:{theme.ERROR}'><b>Problem:</b> {data.error}</span>"
            if data.fix:
                tip += f"<br><b>Fix:</b> {data.fix}"
        self.setToolTip(tip)
        self.prepareGeometryChange()
        self.update()
        self.in_port.update()

    def port_height(self) -> float:
        """Height of the input port: taller on merge layers with several inputs."""
        if self.info.multi_in:
            return max(2 * PORT_R, min(CARD_H - 16, 18.0 * max(2, self.n_inputs)))
        return 2 * PORT_R

    def in_anchor(self, index: int = 0, count: int = 1) -> QPointF:
        """Scene point where input link ``index`` of ``count`` ends."""
        y = CARD_H / 2
        if self.info.multi_in and count > 1:
            span = self.port_height() - 2 * PORT_R
            y += -span / 2 + span * index / (count - 1)
        return self.mapToScene(QPointF(0, y))

    def out_anchor(self) -> QPointF:
        return self.mapToScene(QPointF(CARD_W, CARD_H / 2))

    def card_rect_scene(self) -> QRectF:
        return self.mapRectToScene(QRectF(0, 0, CARD_W, CARD_H))

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return QRectF(-4, -12, CARD_W + 16, CARD_H + 18)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, CARD_W, CARD_H), 10, 10)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        d = self.info
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(0, 0, CARD_W, CARD_H)
        accent = theme.kind_color(d.kind)
        selected = self.isSelected()
        # soft shadow
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 22 if not selected else 40))
        painter.drawRoundedRect(rect.translated(0, 2.5), 10, 10)
        # card
        if d.error:
            border = QPen(QColor(theme.ERROR), 2.2)
        elif selected:
            border = QPen(QColor(theme.SELECT), 2.2)
        elif self.hovered:
            border = QPen(accent.lighter(115), 1.4)
        else:
            border = QPen(QColor(theme.BORDER), 1.0)
        painter.setPen(border)
        painter.setBrush(QColor(theme.ERROR_BG) if d.error else QColor(theme.CARD))
        painter.drawRoundedRect(rect, 10, 10)
        # accent strip on the left
        strip = QPainterPath()
        strip.addRoundedRect(QRectF(1.2, 1.2, 10, CARD_H - 2.4), 8, 8)
        clip = QPainterPath()
        clip.addRect(QRectF(1.2, 1.2, 5, CARD_H - 2.4))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawPath(strip.intersected(clip))
        if selected and d.error:
            painter.setPen(QPen(QColor(theme.SELECT), 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), 13, 13)
        # badge, name and kind
        theme.paint_kind_badge(painter, QRectF(14, 10, 22, 22), d.kind)
        title_font = theme.ui_font(10.0, bold=True)
        kind_font = theme.ui_font(8.5)
        body_font = theme.ui_font(9.0)
        small_font = theme.ui_font(8.0)
        fm_title = QFontMetricsF(title_font)
        fm_kind = QFontMetricsF(kind_font)
        kind_w = fm_kind.horizontalAdvance(d.kind)
        painter.setFont(title_font)
        painter.setPen(QColor(theme.TEXT))
        title = elide(d.id, fm_title, CARD_W - 44 - kind_w - 14)
        painter.drawText(QRectF(42, 9, CARD_W - 50, 24),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        painter.setFont(kind_font)
        painter.setPen(QColor(theme.FAINT))
        painter.drawText(QRectF(42, 9, CARD_W - 52, 24),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, d.kind)
        # key parameters
        painter.setFont(body_font)
        painter.setPen(QColor(theme.TEXT).lighter(130))
        summary = elide(d.summary, QFontMetricsF(body_font), CARD_W - 28)
        painter.drawText(QRectF(14, 35, CARD_W - 24, 18),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, summary)
        # footer: output shape and parameter count
        painter.setPen(QPen(QColor("#eef0f3"), 1))
        painter.drawLine(QPointF(12, 55), QPointF(CARD_W - 10, 55))
        painter.setFont(small_font)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(QRectF(14, 56, CARD_W / 2, 20),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         f"→ {d.out_shape}")
        count = f"{d.params:,} params" if d.params else "no weights"
        painter.setPen(QColor(theme.MUTED if d.params else theme.FAINT))
        painter.drawText(QRectF(CARD_W / 2 - 10, 56, CARD_W / 2, 20),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count)
        if d.error:  # badge on the corner
            c = QPointF(CARD_W - 2, 0)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QColor(theme.ERROR))
            painter.drawEllipse(c, 9.5, 9.5)
            painter.setFont(theme.ui_font(9.0, bold=True))
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(c.x() - 9.5, c.y() - 9.5, 19, 19),
                             Qt.AlignmentFlag.AlignCenter, "!")

    # ------------------------------------------------------------------ interaction
    def itemChange(self, change, value):  # noqa: N802 - Qt override
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and self.scene():
            if getattr(self.scene(), "dragging_nodes", False):
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for link in self.links:
                link.update_path()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hovered = False
        self.update()


class LinkItem(QGraphicsItem):
    """A smooth curve from one card's output to another's input, labelled with its shape."""

    def __init__(self, src: NodeItem, dst: NodeItem, label: str = "") -> None:
        super().__init__()
        self.src = src
        self.dst = dst
        self.label = label
        self.index = 0
        self.count = 1
        self.problem = False
        self.hovered = False
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        src.links.append(self)
        dst.links.append(self)
        self.update_path()

    @property
    def key(self) -> tuple[str, str]:
        return (self.src.info.id, self.dst.info.id)

    def detach(self) -> None:
        for node in (self.src, self.dst):
            if self in node.links:
                node.links.remove(self)

    def set_label(self, text: str, problem: bool = False) -> None:
        self.label = text
        self.problem = problem
        self.update_path()

    def set_slot(self, index: int, count: int) -> None:
        self.index, self.count = index, count
        self.update_path()

    def update_path(self) -> None:
        self.prepareGeometryChange()
        p1 = self.src.out_anchor()
        p2 = self.dst.in_anchor(self.index, self.count)
        self._path, mid = route(p1, p2, self.src.card_rect_scene(), self.dst.card_rect_scene())
        fm = QFontMetricsF(theme.ui_font(8.0))
        w = fm.horizontalAdvance(self.label) + 14 if self.label else 0
        h = fm.height() + 4
        self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-6, -6, 6, 6).united(self._label_rect)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        path = stroker.createStroke(self._path)
        path.addRect(self._label_rect)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected():
            color, width = QColor(theme.SELECT), 2.6
        elif self.problem:
            color, width = QColor(theme.ERROR), 2.0
        else:
            color, width = QColor(theme.LINK), 1.8 if not self.hovered else 2.4
        painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        # arrow head at the input end
        end = self._path.pointAtPercent(1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        head = QPainterPath()
        head.moveTo(end + QPointF(-PORT_R - 1, 0))
        head.lineTo(end + QPointF(-PORT_R - 8, -4.5))
        head.lineTo(end + QPointF(-PORT_R - 8, 4.5))
        head.closeSubpath()
        painter.drawPath(head)
        if self.label:
            painter.setPen(QPen(color if (self.problem or self.isSelected())
                                else QColor(theme.BORDER), 1))
            painter.setBrush(QColor("#ffffff"))
            r = self._label_rect
            painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
            painter.setFont(theme.ui_font(8.0))
            painter.setPen(QColor(theme.ERROR if self.problem else theme.MUTED))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, self.label)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hovered = False
        self.update()


def route(p1: QPointF, p2: QPointF, src: QRectF | None = None,
          dst: QRectF | None = None) -> tuple[QPainterPath, QPointF]:
    """Path of a link from output point ``p1`` to input point ``p2`` and its label point.

    Forward links are smooth S-curves; a link that must run backwards (the target lies to
    the left) goes round through a lane between the cards with rounded corners.
    """
    path = QPainterPath(p1)
    if p2.x() >= p1.x() + 24 or src is None or dst is None:
        dx = max(40.0, abs(p2.x() - p1.x()) * 0.5)
        path.cubicTo(p1 + QPointF(dx, 0), p2 - QPointF(dx, 0), p2)
        return path, path.pointAtPercent(0.5)
    if dst.top() > src.bottom():
        lane = (src.bottom() + dst.top()) / 2
    elif dst.bottom() < src.top():
        lane = (dst.bottom() + src.top()) / 2
    else:
        lane = max(src.bottom(), dst.bottom()) + 28
    x1, x2 = p1.x() + 26, p2.x() - 26
    pts = [p1, QPointF(x1, p1.y()), QPointF(x1, lane), QPointF(x2, lane), QPointF(x2, p2.y()), p2]
    radius = 14.0
    for i in range(1, len(pts) - 1):
        a, b, c = pts[i - 1], pts[i], pts[i + 1]
        r_in = min(radius, _dist(a, b) / 2)
        r_out = min(radius, _dist(b, c) / 2)
        path.lineTo(_toward(b, a, r_in))
        path.quadTo(b, _toward(b, c, r_out))
    path.lineTo(p2)
    return path, QPointF((x1 + x2) / 2, lane)


def _dist(a: QPointF, b: QPointF) -> float:
    return ((a.x() - b.x()) ** 2 + (a.y() - b.y()) ** 2) ** 0.5


def _toward(frm: QPointF, to: QPointF, d: float) -> QPointF:
    n = _dist(frm, to)
    if n == 0:
        return QPointF(frm)
    return frm + (to - frm) * (d / n)


class RubberLink(QGraphicsItem):
    """The dashed curve that follows the mouse while a connection is being dragged."""

    def __init__(self, anchor: QPointF, from_output: bool) -> None:
        super().__init__()
        self.anchor = QPointF(anchor)
        self.end = QPointF(anchor)
        self.from_output = from_output
        self.state = "free"  # "free" | "ok" | "bad"
        self._path = QPainterPath()
        self.setZValue(10)

    def set_end(self, end: QPointF, state: str) -> None:
        self.prepareGeometryChange()
        self.end = QPointF(end)
        self.state = state
        p1, p2 = (self.anchor, self.end) if self.from_output else (self.end, self.anchor)
        self._path, _ = route(p1, p2)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-4, -4, 4, 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        color = {"ok": theme.OK, "bad": theme.ERROR}.get(self.state, theme.SELECT)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(color), 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap))
        painter.drawPath(self._path)
        painter.setBrush(QColor(color))
        painter.drawEllipse(self.end, 3.5, 3.5)


class HintItem(QGraphicsItem):
    """A small speech bubble near the mouse (stays readable at any zoom)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.bad = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(20)
        self._rect = QRectF()

    def show_text(self, pos: QPointF, text: str, bad: bool) -> None:
        self.prepareGeometryChange()
        self.text, self.bad = text, bad
        fm = QFontMetricsF(theme.ui_font(9.0))
        rect = fm.boundingRect(QRectF(0, 0, 300, 400), Qt.TextFlag.TextWordWrap, text)
        self._rect = QRectF(14, 14, rect.width() + 16, rect.height() + 10)
        self.setPos(pos)
        self.setVisible(bool(text))
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.ERROR if self.bad else theme.OK), 1))
        painter.setBrush(QBrush(QColor(theme.ERROR_BG if self.bad else "#e6f4ea")))
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setFont(theme.ui_font(9.0))
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(self._rect.adjusted(8, 5, -8, -5), Qt.TextFlag.TextWordWrap, self.text)
