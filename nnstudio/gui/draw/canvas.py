"""The digit canvas: draw with mouse, pen or finger; read the drawing as a NumPy array.

The board shows white ink on black, exactly the convention of MNIST, so what a person sees is
what the network receives (after :func:`nnstudio.data.preprocess.to_mnist` frames it).
Strokes are stored in board coordinates (0..1), so the drawing survives any resize and can be
rendered at any resolution: smoothly on screen, and into a small greyscale image for the
network.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QPointingDevice,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from nnstudio.gui.draw.image_import import ImageImportError, gray_to_qimage, ink_from_mime
from nnstudio.gui.draw.strokes import (
    BOARD_COLOR,
    REFERENCE_SIDE,
    Item,
    Picture,
    Stroke,
    paint_items,
    paint_stroke,
)


class DigitCanvas(QWidget):
    """A square drawing board for one digit.

    Draw with the left mouse button, a pen (pressure changes the width; the pen's eraser end
    erases) or a finger; the right mouse button erases. Keys while focused: Esc clears,
    Ctrl+Z undoes the last stroke, Ctrl+V pastes a picture, E toggles the eraser, [ and ]
    change the brush. Picture files can be dropped onto it.

    Signals
    -------
    changed()
        The drawing changed. While a stroke is drawn it fires at most every
        ``throttle_ms`` (first move at once, the last one always), so listeners can update
        live without falling behind.
    imageImported(str)
        A dropped or pasted picture replaced the drawing; the argument names its source.
    importFailed(str)
        A dropped or pasted thing could not be used; the message says why. Nothing changed.
    eraserChanged(bool), brushSizeChanged(int)
        The tool changed (from the keyboard or the pen's eraser end, too).
    """

    changed = Signal()
    imageImported = Signal(str)
    importFailed = Signal(str)
    eraserChanged = Signal(bool)
    brushSizeChanged = Signal(int)

    MIN_BRUSH, MAX_BRUSH = 4, 48

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setMinimumSize(180, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("")
        self.throttle_ms = 16
        self._items: list[Item] = []
        self._undo: list[list[Item] | None] = []  # None = a stroke was added; list = replaced
        self._current: Stroke | None = None
        self._brush = 24
        self._eraser = False
        self._hover: QPointF | None = None
        self._drag_over = False
        self._array_cache: dict[int, np.ndarray] = {}
        self._committed: dict[int, QImage] = {}  # the finished items rendered per size
        self._screen: QPixmap | None = None  # the finished items as shown on screen
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)

    # ------------------------------------------------------------------ public API
    def is_empty(self) -> bool:
        """True when nothing is on the board."""
        return not self._items and self._current is None

    def stroke_count(self) -> int:
        """Number of strokes (and pictures) on the board."""
        return len(self._items)

    def brush_size(self) -> int:
        """Brush width in pixels of a 280-pixel board."""
        return self._brush

    def set_brush_size(self, size: int) -> None:
        size = int(min(self.MAX_BRUSH, max(self.MIN_BRUSH, size)))
        if size != self._brush:
            self._brush = size
            self.brushSizeChanged.emit(size)
            self.update()

    def eraser(self) -> bool:
        return self._eraser

    def set_eraser(self, on: bool) -> None:
        if bool(on) != self._eraser:
            self._eraser = bool(on)
            self.eraserChanged.emit(self._eraser)
            self.update()

    def clear(self) -> None:
        """Wipe the board (undo brings the drawing back)."""
        if self.is_empty():
            return
        self._current = None
        self._undo.append(list(self._items))
        self._items = []
        self._content_changed()

    def undo(self) -> None:
        """Take back the last stroke, clear or imported picture."""
        if not self._undo:
            return
        step = self._undo.pop()
        if step is None:
            self._items.pop()
        else:
            self._items = step
        self._content_changed()

    def set_ink(self, ink: np.ndarray) -> None:
        """Replace the drawing by a picture: (H, W) white ink on black in [0, 1]."""
        a = np.asarray(ink, dtype=np.float32)
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"expected a (H, W) image, got shape {a.shape}")
        if a.shape[0] != a.shape[1]:
            (h, w), side = a.shape, max(a.shape)
            sq = np.zeros((side, side), dtype=np.float32)
            sq[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = a
            a = sq
        self._current = None
        self._undo.append(list(self._items))
        self._items = [Picture(a, gray_to_qimage(a))]
        self._content_changed()

    def import_mime(self, mime) -> bool:
        """Use a picture (or picture file) from dropped or pasted content.

        Returns True when it replaced the drawing; otherwise emits ``importFailed``.
        """
        try:
            ink, source = ink_from_mime(mime)
        except ImageImportError as err:
            self.importFailed.emit(str(err) + " The drawing was not changed.")
            return False
        self.set_ink(ink)
        self.imageImported.emit(source)
        return True

    def paste(self) -> bool:
        """Paste a picture or picture file from the clipboard."""
        return self.import_mime(QGuiApplication.clipboard().mimeData())

    def image(self, size: int = 224) -> np.ndarray:
        """The drawing as the network's raw input: white ink on black.

        Parameters
        ----------
        size : int
            Side in pixels of the rendering.

        Returns
        -------
        np.ndarray
            float32 (size, size) in [0, 1] (a cached array: do not modify it).
        """
        cached = self._array_cache.get(size)
        if cached is not None:
            return cached
        base = self._committed.get(size)
        if base is None:
            base = QImage(size, size, QImage.Format.Format_Grayscale8)
            base.fill(0)
            painter = QPainter(base)
            paint_items(painter, self._items, size)
            painter.end()
            self._committed[size] = base
        img = base
        if self._current is not None:
            img = base.copy()
            painter = QPainter(img)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_stroke(painter, self._current, size)
            painter.end()
        stride = img.bytesPerLine()
        buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=size * stride)
        arr = buf.reshape(size, stride)[:, :size].astype(np.float32) * np.float32(1 / 255)
        self._array_cache[size] = arr
        return arr

    # ------------------------------------------------------------------ geometry
    def board_rect(self) -> QRectF:
        """The square board inside the widget, in widget coordinates."""
        side = max(10.0, min(self.width(), self.height()) - 2.0)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def sizeHint(self):  # noqa: N802 (Qt API)
        from PySide6.QtCore import QSize

        return QSize(420, 420)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return width

    def resizeEvent(self, event) -> None:  # noqa: N802
        # never taller than wide: spare height goes to the layout, not to a gap above the board
        self.setMaximumHeight(max(self.minimumHeight(), self.width()))
        super().resizeEvent(event)

    def _to_board(self, pos: QPointF) -> tuple[float, float]:
        r = self.board_rect()
        x = (pos.x() - r.x()) / r.width()
        y = (pos.y() - r.y()) / r.height()
        return min(1.05, max(-0.05, x)), min(1.05, max(-0.05, y))

    # ------------------------------------------------------------------ strokes
    def _begin(self, pos: QPointF, pressure: float | None, erase: bool) -> None:
        if self.is_empty():
            self.update()  # the "draw here" hint goes away
        self._current = Stroke(erase=erase or self._eraser)
        self._extend(pos, pressure, force=True)

    def _extend(self, pos: QPointF, pressure: float | None, force: bool = False) -> None:
        if self._current is None:
            return
        x, y = self._to_board(pos)
        width = self._brush / REFERENCE_SIDE
        if pressure is not None:
            width *= min(1.3, 0.45 + 0.8 * max(0.0, pressure))
        if self._current.erase:
            width *= 1.6
        pts = self._current.points
        if pts and not force:
            px, py, _ = pts[-1]
            if (x - px) ** 2 + (y - py) ** 2 < (0.0025) ** 2:
                return
        pts.append((x, y, width))
        self._array_cache.clear()
        self._update_near(pts[-3:], width)
        self._throttled_emit()

    def _update_near(self, pts: list[tuple[float, float, float]], width: float) -> None:
        """Repaint only the part of the board the newest piece of stroke touches."""
        r = self.board_rect()
        xs = [r.x() + p[0] * r.width() for p in pts]
        ys = [r.y() + p[1] * r.height() for p in pts]
        pad = width * r.width() + 4
        self.update(QRect(int(min(xs) - pad), int(min(ys) - pad),
                          int(max(xs) - min(xs) + 2 * pad), int(max(ys) - min(ys) + 2 * pad)))

    def _update_hover(self, new: QPointF | None) -> None:
        """Repaint the brush outline where it was and where it is now."""
        radius = self._brush / REFERENCE_SIDE * self.board_rect().width() * 0.8 + 4
        for pos in (self._hover, new):
            if pos is not None:
                self.update(QRect(int(pos.x() - radius), int(pos.y() - radius),
                                  int(2 * radius) + 1, int(2 * radius) + 1))
        self._hover = new

    def _end(self) -> None:
        if self._current is None:
            return
        stroke, self._current = self._current, None
        self._items.append(stroke)
        self._undo.append(None)
        # draw the finished stroke onto the cached renderings instead of redrawing them all
        for size, img in self._committed.items():
            painter = QPainter(img)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_stroke(painter, stroke, size)
            painter.end()
        if self._screen is not None:
            painter = QPainter(self._screen)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_stroke(painter, stroke, self._screen.width() / self._screen.devicePixelRatio())
            painter.end()
        self._array_cache.clear()
        self.update()
        self._emit_now()

    def _content_changed(self) -> None:
        self._committed.clear()
        self._screen = None
        self._array_cache.clear()
        self.update()
        self._emit_now()

    # ------------------------------------------------------------------ throttling
    def _throttled_emit(self) -> None:
        if self.throttle_ms <= 0:
            self._emit_now()
            return
        if self._timer.isActive():
            self._pending = True
            return
        self._emit_now(restart=True)

    def _emit_now(self, restart: bool = False) -> None:
        self._pending = False
        if restart:
            self._timer.start(self.throttle_ms)
        else:
            self._timer.stop()
        self.changed.emit()

    def _flush(self) -> None:
        if self._pending:
            self._emit_now(restart=True)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = self.board_rect()
        painter.setPen(QPen(QColor("#0877bd") if (self.hasFocus() or self._drag_over)
                            else QColor("#9aa5b1"), 2 if self._drag_over else 1))
        painter.setBrush(BOARD_COLOR)
        painter.drawRoundedRect(r.adjusted(-1, -1, 1, 1), 4, 4)
        painter.translate(r.topLeft())
        painter.setClipRect(QRectF(0, 0, r.width(), r.height()))
        painter.drawPixmap(QRectF(0, 0, r.width(), r.height()), self._screen_pixmap(r.width()),
                           QRectF(self._screen.rect()))
        if self._current is not None:
            paint_stroke(painter, self._current, r.width())
        if self.is_empty():
            painter.setPen(QColor("#8a96a3"))
            font = painter.font()
            font.setPointSizeF(max(10.0, r.width() / 24))
            painter.setFont(font)
            painter.drawText(QRectF(0, 0, r.width(), r.height() * 0.55),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                             "Draw a digit here")
            font.setPointSizeF(max(8.0, r.width() / 40))
            font.setItalic(True)
            painter.setFont(font)
            painter.drawText(QRectF(0, r.height() * 0.58, r.width(), r.height() * 0.2),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             "or drop / paste a picture of one")
        if self._hover is not None:
            radius = self._brush / REFERENCE_SIDE * r.width() / 2
            if self._eraser:
                radius *= 1.6
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("#f59322") if self._eraser else QColor("#6fa8dc"), 1))
            painter.drawEllipse(self._hover - r.topLeft(), radius, radius)
        painter.end()

    def _screen_pixmap(self, side: float) -> QPixmap:
        """The finished items rendered at the board's size on screen (cached)."""
        dpr = self.devicePixelRatioF()
        px = max(1, round(side * dpr))
        if self._screen is None or self._screen.width() != px:
            self._screen = QPixmap(px, px)
            self._screen.setDevicePixelRatio(dpr)
            self._screen.fill(BOARD_COLOR)
            painter = QPainter(self._screen)
            paint_items(painter, self._items, px / dpr)
            painter.end()
        return self._screen

    # ------------------------------------------------------------------ mouse, pen, touch
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._update_hover(event.position())
            self._begin(event.position(), None, event.button() == Qt.MouseButton.RightButton)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self._update_hover(event.position())
        if self._current is not None:
            self._extend(event.position(), None)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._current is not None:
            self._extend(event.position(), None)
            self._end()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._update_hover(None)
        super().leaveEvent(event)

    def tabletEvent(self, event) -> None:  # noqa: N802
        kind = event.type()
        self._update_hover(event.position())
        if kind == QEvent.Type.TabletPress:
            erase = event.pointerType() == QPointingDevice.PointerType.Eraser
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin(event.position(), event.pressure(), erase)
        elif kind == QEvent.Type.TabletMove:
            if self._current is not None:
                self._extend(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletRelease:
            self._end()
        event.accept()

    def event(self, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd,
                    QEvent.Type.TouchCancel):
            points = event.points()
            if points:
                pos = points[0].position()
                pressure = points[0].pressure() if points[0].pressure() > 0 else None
                if kind == QEvent.Type.TouchBegin:
                    self._begin(pos, pressure, False)
                elif kind == QEvent.Type.TouchUpdate:
                    self._extend(pos, pressure)
                else:
                    self._end()
            event.accept()
            return True
        if kind == QEvent.Type.ShortcutOverride and self._own_key(event):
            event.accept()  # the window's Undo/Paste shortcuts must not steal these keys
            return True
        return super().event(event)

    # ------------------------------------------------------------------ keyboard
    @staticmethod
    def _own_key(event) -> bool:
        return (
            event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight)
            or event.matches(QKeySequence.StandardKey.Undo)
            or event.matches(QKeySequence.StandardKey.Paste)
            or (event.key() == Qt.Key.Key_E and not event.modifiers())
        )

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
        elif event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif event.key() == Qt.Key.Key_E and not event.modifiers():
            self.set_eraser(not self._eraser)
        elif event.key() == Qt.Key.Key_BracketLeft:
            self.set_brush_size(self._brush - 2)
        elif event.key() == Qt.Key.Key_BracketRight:
            self.set_brush_size(self._brush + 2)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def focusInEvent(self, event) -> None:  # noqa: N802
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self.update()
        super().focusOutEvent(event)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            self._drag_over = True
            self.update()
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._drag_over = False
        self.update()

    def dropEvent(self, event) -> None:  # noqa: N802
        self._drag_over = False
        self.update()
        self.import_mime(event.mimeData())
        event.acceptProposedAction()
