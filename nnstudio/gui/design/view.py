"""The diagram view: zoom around the cursor, pan, rubber-band selection, drops from the palette.

Left-drag on the background draws a selection rectangle; middle-drag, dragging with the
space bar held, or the scroll bars pan. The wheel zooms around the mouse between 25 % and
250 %. A design opens at 100 % when it fits, else at :data:`READABLE_ZOOM` with its start
in view and scroll bars for the rest; Fit (F) shows the whole of it at any zoom.
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
#: the least zoom a design opens at: the smallest card text (8 pt) shows at 7.2 pt, about
#: 10 pixels on a 96-dpi screen, the smallest text the studio draws anywhere
READABLE_ZOOM = 0.9
#: room kept around the cards when fitting and scrolling, in scene units
SCROLL_MARGIN = 40.0


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
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(QColor(theme.CANVAS))
        self._panning: QPointF | None = None
        self._space = False
        scene.changed.connect(self._fit_scroll_area)
        self.zoomChanged.connect(self._fit_scroll_area)

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

    def cards_rect(self) -> QRectF:
        """The scene rectangle holding every card (null when there is none)."""
        rect = QRectF()
        for item in self.diagram.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit_to_view(self, max_zoom: float = 1.0, min_zoom: float = MIN_ZOOM) -> None:
        """Show every card at the largest zoom from ``min_zoom`` to ``max_zoom``; along a
        side that even ``min_zoom`` cannot fit, the design's start (its left or top) is
        shown and the scroll bar reaches the rest."""
        rect = self.cards_rect()
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            self.zoomChanged.emit(1.0)
            return
        m = SCROLL_MARGIN
        rect.adjust(-m, -m, m, m)
        size = self.viewport().size()
        fit = min(size.width() / rect.width(), size.height() / rect.height())
        z = min(max_zoom, max(min_zoom, MIN_ZOOM, fit))
        self.resetTransform()
        self.scale(z, z)
        self._fit_scroll_area()
        w, h = size.width() / z, size.height() / z
        x = rect.center().x() if rect.width() <= w else rect.left() + w / 2
        y = rect.center().y() if rect.height() <= h else rect.top() + h / 2
        self.centerOn(x, y)
        self.zoomChanged.emit(z)

    def open_design(self) -> None:
        """Show a design just opened: as whole as fits at a zoom where its text is readable
        (100 % at most, :data:`READABLE_ZOOM` at least, scrolling for the rest)."""
        self.fit_to_view(max_zoom=1.0, min_zoom=READABLE_ZOOM)

    def _fit_scroll_area(self, *_args: object) -> None:
        """Let the scroll bars reach every card with a margin, and never less than what is in
        view now (so the picture never jumps): no scroll bar along a side that shows all."""
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        left, top, right, bottom = visible.left(), visible.top(), visible.right(), \
            visible.bottom()
        cards = self.cards_rect()
        if not cards.isNull():
            m = SCROLL_MARGIN
            slack = 1.0 / max(self.zoom(), 1e-6)   # part of a pixel: no reason to scroll
            if cards.left() - m < left - slack or cards.right() + m > right + slack:
                left, right = min(left, cards.left() - m), max(right, cards.right() + m)
            if cards.top() - m < top - slack or cards.bottom() + m > bottom + slack:
                top, bottom = min(top, cards.top() - m), max(bottom, cards.bottom() + m)
        rect = QRectF(left, top, right - left, bottom - top)
        if rect != self.sceneRect():
            self.setSceneRect(rect)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_scroll_area()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit_scroll_area()

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
