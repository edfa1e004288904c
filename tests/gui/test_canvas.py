"""The digit canvas: real mouse, pen and touch events; undo, clear, eraser, dropped pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QImage,
    QInputDevice,
    QPainter,
    QPen,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.data.preprocess import to_mnist
from nnstudio.gui.draw.canvas import DigitCanvas

NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def canvas(qtbot):
    c = DigitCanvas()
    qtbot.addWidget(c)
    c.resize(300, 300)
    c.show()
    qtbot.waitExposed(c)
    return c


def at(canvas: DigitCanvas, x: float, y: float) -> QPoint:
    """Widget position of board coordinates (0..1)."""
    r = canvas.board_rect()
    return QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height()))


def stroke(canvas: DigitCanvas, points: list[tuple[float, float]], button=LEFT) -> None:
    QTest.mousePress(canvas, button, NO_MOD, at(canvas, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(canvas, at(canvas, *p))
    QTest.mouseRelease(canvas, button, NO_MOD, at(canvas, *points[-1]))


def line(a: tuple[float, float], b: tuple[float, float], n: int = 20) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in np.linspace(0, 1, n)]


def test_a_mouse_stroke_puts_white_ink_where_it_was_drawn(canvas, qtbot):
    assert canvas.is_empty() and not canvas.image().any()
    with qtbot.waitSignal(canvas.changed, timeout=10000):
        stroke(canvas, line((0.5, 0.2), (0.5, 0.8)))
    img = canvas.image(100)
    assert img.shape == (100, 100) and img.dtype == np.float32
    assert img.max() == pytest.approx(1.0)
    assert img[50, 50] > 0.9 and img[50, 10] == 0 and img[5, 50] == 0
    assert canvas.stroke_count() == 1


def test_undo_takes_back_the_last_stroke_and_clear_is_undoable(canvas):
    stroke(canvas, line((0.2, 0.3), (0.8, 0.3)))
    first = canvas.image().copy()
    stroke(canvas, line((0.5, 0.1), (0.5, 0.9)))
    assert not np.array_equal(canvas.image(), first)
    canvas.undo()
    assert canvas.stroke_count() == 1
    np.testing.assert_array_equal(canvas.image(), first)
    canvas.clear()
    assert canvas.is_empty() and not canvas.image().any()
    canvas.undo()  # an accidental clear is not a loss
    np.testing.assert_array_equal(canvas.image(), first)


def test_keyboard_escape_clears_and_ctrl_z_undoes(canvas, qtbot):
    stroke(canvas, line((0.2, 0.3), (0.8, 0.3)))
    stroke(canvas, line((0.5, 0.1), (0.5, 0.9)))
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas.stroke_count() == 1
    with qtbot.waitSignal(canvas.changed, timeout=10000):
        QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.is_empty() and not canvas.image().any()


def test_eraser_and_right_button_remove_ink(canvas):
    stroke(canvas, line((0.1, 0.5), (0.9, 0.5)))
    assert canvas.image(100)[50, 50] > 0.9
    stroke(canvas, line((0.5, 0.3), (0.5, 0.7)), button=Qt.MouseButton.RightButton)
    assert canvas.image(100)[50, 50] == 0
    assert canvas.image(100)[50, 15] > 0.9
    canvas.set_eraser(True)
    stroke(canvas, line((0.15, 0.3), (0.15, 0.7)))
    assert canvas.image(100)[50, 15] == 0


def test_brush_size_sets_the_stroke_width(canvas):
    canvas.set_brush_size(8)
    stroke(canvas, line((0.2, 0.5), (0.8, 0.5)))
    thin = canvas.image().sum()
    canvas.clear()
    canvas.set_brush_size(32)
    stroke(canvas, line((0.2, 0.5), (0.8, 0.5)))
    assert canvas.image().sum() > 3 * thin
    canvas.set_brush_size(1000)
    assert canvas.brush_size() == DigitCanvas.MAX_BRUSH


def test_changes_are_throttled_while_drawing_but_the_last_one_always_arrives(canvas, qtbot):
    canvas.throttle_ms = 50
    seen: list[np.ndarray] = []
    canvas.changed.connect(lambda: seen.append(canvas.image().copy()))
    stroke(canvas, line((0.1, 0.1), (0.9, 0.9), n=60))
    assert 1 <= len(seen) < 10  # not one per mouse move
    np.testing.assert_array_equal(seen[-1], canvas.image())  # ...but never a stale drawing


def test_pen_pressure_changes_the_width_and_its_eraser_end_erases(canvas):
    device = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 3)

    def pen_stroke(points, pressure, device=device):
        kinds = [QEvent.Type.TabletPress] + [QEvent.Type.TabletMove] * (len(points) - 2) + [
            QEvent.Type.TabletRelease]
        for kind, p in zip(kinds, points, strict=True):
            pos = QPointF(at(canvas, *p))
            ev = QTabletEvent(kind, device, pos, canvas.mapToGlobal(pos), pressure, 0, 0, 0, 0,
                              0, NO_MOD, LEFT, LEFT)
            QApplication.sendEvent(canvas, ev)

    pen_stroke(line((0.2, 0.3), (0.8, 0.3)), 0.1)
    light = canvas.image().sum()
    canvas.clear()
    pen_stroke(line((0.2, 0.3), (0.8, 0.3)), 1.0)
    assert canvas.image().sum() > 1.5 * light
    eraser = QPointingDevice("test eraser", 2, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Eraser,
                             QInputDevice.Capability.Position, 1, 3)
    pen_stroke(line((0.5, 0.1), (0.5, 0.6)), 1.0, device=eraser)
    assert canvas.image(100)[30, 50] == 0 and canvas.image(100)[30, 25] > 0.5


def test_touch_draws(canvas):
    device = QTest.createTouchDevice()
    seq = QTest.touchEvent(canvas, device)
    seq.press(0, at(canvas, 0.5, 0.2), canvas).commit()
    for p in line((0.5, 0.2), (0.5, 0.8))[1:]:
        QTest.touchEvent(canvas, device).move(0, at(canvas, *p), canvas).commit()
    QTest.touchEvent(canvas, device).release(0, at(canvas, 0.5, 0.8), canvas).commit()
    assert canvas.stroke_count() == 1
    assert canvas.image(100)[50, 50] > 0.9


def _mime_for(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_a_dropped_non_image_file_changes_nothing_and_says_why(canvas, qtbot, tmp_path):
    stroke(canvas, line((0.5, 0.2), (0.5, 0.8)))
    before = canvas.image().copy()
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    with qtbot.waitSignal(canvas.importFailed, timeout=10000) as blocker:
        assert not canvas.import_mime(_mime_for(bad))
    assert "notes.png" in blocker.args[0] and "not changed" in blocker.args[0]
    np.testing.assert_array_equal(canvas.image(), before)
    assert canvas.stroke_count() == 1


def test_a_dropped_photo_of_dark_ink_on_paper_is_read_as_white_on_black(canvas, qtbot, tmp_path):
    photo = QImage(120, 80, QImage.Format.Format_RGB32)
    photo.fill(QColor(235, 230, 220))  # paper
    p = QPainter(photo)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(30, 30, 40), 8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(60, 10, 60, 70)  # a "1"
    p.end()
    path = tmp_path / "one.png"
    assert photo.save(str(path))
    with qtbot.waitSignal(canvas.imageImported, timeout=10000):
        assert canvas.import_mime(_mime_for(path))
    img = canvas.image(120)
    assert img[60, 60] > 0.9 and img[60, 20] == 0 and img[5, 5] == 0
    x = to_mnist(img)
    assert x[14, 14] > 0.5 and x[:, :8].max() == 0  # a centred vertical bar
    canvas.undo()  # the picture replaced the drawing; undo brings the drawing back
    assert canvas.is_empty()
