"""The diagram view: zoom around the cursor, pan, rubber-band selection, drops from the palette.

Left-drag on the background draws a selection rectangle; middle-drag, or dragging with the
space bar held, pans. The wheel zooms around the mouse between 25 % and 250 %.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from nnstudio.gui.design import theme
from nnstudio.gui.design.scene import DiagramScene

LAYER_MIME = "application/x-nnstudio-layer"
MIN_ZOOM = 0.25
MAX_ZOOM = 2.5


class DiagramView(QGraphicsView):
    """QGraphicsView over a :class:`DiagramScene` (objectName ``networkEditor``).

    Signals
    -------
    zoomChanged(float)
        The zoom factor (1.0 = 100 %).
    """

    zoomChanged = Signal(float)

    def __init__(self, scene: DiagramScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("networkEditor")
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(QColor(theme.CANVAS))
        self._panning: QPointF | None = None
        self._space = False

    @property
    def diagram(self) -> DiagramScene:
        return self.scene()  # type: ignore[return-value]

    # ------------------------------------------------------------------ zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor_under_mouse: bool = False) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        old = self.transformationAnchor()
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        s = factor / self.zoom()
        self.scale(s, s)
        self.setTransformationAnchor(old)
        self.zoomChanged.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        self.set_zoom(self.zoom() * (1.15 ** steps), anchor_under_mouse=True)
        event.accept()

    def fit_to_view(self, max_zoom: float = 1.0) -> None:
        """Show every card, never magnified beyond ``max_zoom``."""
        rect = QRectF()
        for item in self.diagram.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            self.zoomChanged.emit(1.0)
            return
        rect.adjust(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        z = min(max_zoom, max(MIN_ZOOM, self.zoom()))
        self.resetTransform()
        self.scale(z, z)
        self.centerOn(rect.center())
        self.zoomChanged.emit(z)

    # ------------------------------------------------------------------ background
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, QColor(theme.CANVAS))
        step = 24.0
        if self.zoom() * step < 9:
            return
        painter.setPen(QPen(QColor(theme.GRID_DOT), 1.6 / max(self.zoom(), 0.5)))
        x0 = int(rect.left() // step) * step
        y0 = int(rect.top() // step) * step
        points = []
        y = y0
        while y < rect.bottom():
            x = x0
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        painter.drawPoints(points)

    # ------------------------------------------------------------------ pan and keys
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._panning is not None:
            self._panning = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space
                                      else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            if self.diagram.request_delete():
                event.accept()
                return
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.set_zoom(self.zoom() * 1.2)
            return
        elif key == Qt.Key.Key_Minus:
            self.set_zoom(self.zoom() / 1.2)
            return
        elif key == Qt.Key.Key_0 and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.set_zoom(1.0)
            return
        elif key == Qt.Key.Key_F and not event.modifiers():
            self.fit_to_view()
            return
        elif key == Qt.Key.Key_A and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            for item in self.diagram.nodes.values():
                item.setSelected(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(LAYER_MIME):
            kind = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
            pos = self.mapToScene(event.position().toPoint())
            event.acceptProposedAction()
            self.diagram.layerDropped.emit(kind, pos)
            self.setFocus()
        else:
            super().dropEvent(event)
