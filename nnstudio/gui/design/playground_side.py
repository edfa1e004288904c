"""Beside the Neurons view of a 2-D toy set: the network's answer over the plane, and the cost.

:class:`PlaneOutput` paints the output neuron's value over the plane (orange for class 0,
blue for class 1, white where it is unsure) with the data on top: training points with a
white rim, test points with a dark rim. :class:`CostSpark` shows the latest training and
test cost as two numbers and their curves per epoch, as small as TensorFlow Playground's, fed
by the training snapshots. :func:`diverging_rgba` colours any picture of values the same way
(the neuron pictures use it too), so one palette means one thing on the whole screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from nnstudio.gui.design import theme

__all__ = ["CostSpark", "PlaneOutput", "diverging_rgba", "rgba_image"]

#: the most data points painted over the output (more would slow every repaint)
MAX_DOTS = 2000


def _rgb(name: str) -> np.ndarray:
    c = QColor(name)
    return np.array([c.red(), c.green(), c.blue()], np.float32)


def diverging_rgba(values: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """Orange (negative) - white (0) - blue (positive) colours of ``values``.

    Parameters
    ----------
    values : ndarray, shape (..., h, w) or any shape
    vmax : float or ndarray or None
        The value drawn at full colour (one, or one per picture broadcast against
        ``values``); None: the largest magnitude in ``values``.

    Returns
    -------
    ndarray, uint8 (*values.shape, 4)
    """
    v = np.asarray(values, np.float32)
    v = np.where(np.isfinite(v), v, 0.0)
    if vmax is None:
        vmax = float(np.abs(v).max()) or 1.0
    t = np.clip(v / np.where(np.asarray(vmax) > 0, vmax, 1.0), -1.0, 1.0)
    ends = np.stack([_rgb(theme.NEGATIVE), _rgb(theme.POSITIVE)]) - 255.0   # (2, 3)
    rgb = 255.0 + np.abs(t)[..., None] * ends[(t >= 0).astype(np.intp)]
    out = np.empty(v.shape + (4,), np.uint8)
    out[..., :3] = rgb
    out[..., 3] = 255
    return out


def rgba_image(rgba: np.ndarray) -> QImage:
    """A QImage of an (h, w, 4) uint8 picture whose row 0 is the bottom of the plane."""
    flipped = np.ascontiguousarray(rgba[::-1])
    h, w = flipped.shape[:2]
    return QImage(flipped.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class PlaneOutput(QWidget):
    """The output over the plane with the data on top (objectName ``playgroundOutput``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playgroundOutput")
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        #: the output's value at each grid point, (side, side), in [-1, 1]; empty: none
        self.values = np.zeros((0, 0), np.float32)
        self.bounds = (-1.0, 1.0, -1.0, 1.0)
        self.points = np.zeros((0, 2), np.float32)
        self.labels = np.zeros(0, np.float32)
        self.test = np.zeros(0, bool)
        self._image: QImage | None = None
        self._dots: QImage | None = None     # the points, painted once per data and size

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return width

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def set_output(self, values: np.ndarray, bounds: tuple[float, float, float, float]) -> None:
        """Show ``values`` (side, side) in [-1, 1] (row 0 at the bottom) over ``bounds``."""
        self.values = np.asarray(values, np.float32)
        self.bounds = bounds
        self._image = rgba_image(diverging_rgba(self.values, 1.0)) if self.values.size else None
        self.update()

    def set_points(self, points: np.ndarray, labels: np.ndarray, test: np.ndarray) -> None:
        """The data: (N, 2) points, (N,) values in [-1, 1] and a mask of test points (at
        most :data:`MAX_DOTS` of them are kept, evenly spread over the samples)."""
        points = np.asarray(points, np.float32).reshape(-1, 2)
        step = max(1, -(-len(points) // MAX_DOTS))     # a large set: every step-th point
        self.points = points[::step]
        self.labels = np.asarray(labels, np.float32).reshape(-1)[::step]
        test = np.asarray(test, bool).reshape(-1)[::step]
        same = (self.points.shape == points[::step].shape and np.array_equal(
            self.points, points[::step]) and np.array_equal(self.test, test))
        self.points, self.test = points[::step], test
        if not same:
            self._dots = None
            self.update()

    def plot_rect(self) -> QRectF:
        """Where the picture is painted: the largest square that fits."""
        side = float(min(self.width(), self.height()) - 2)
        return QRectF((self.width() - side) / 2, 1, side, side)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = self.plot_rect()
        if self._image is None:
            p.fillRect(rect, QColor(theme.CANVAS))
        else:   # smoothly scaled: the grid's cells do not show as blocks
            p.drawImage(rect.topLeft(), self._image.scaled(
                int(rect.width()), int(rect.height()), Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        key = (int(rect.width()), int(rect.height()), self.bounds)
        if self._dots is None or self._dots.text("key") != repr(key):
            self._dots = self._paint_dots(rect, key)
        p.drawImage(rect.topLeft(), self._dots)
        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)


    def _paint_dots(self, rect: QRectF, key: tuple) -> QImage:
        """The data points over a transparent picture of ``rect``'s size."""
        image = QImage(max(1, int(rect.width())), max(1, int(rect.height())),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        image.setText("key", repr(key))
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        x0, x1, y0, y1 = self.bounds
        sx, sy = rect.width() / ((x1 - x0) or 1.0), rect.height() / ((y1 - y0) or 1.0)
        for test in (False, True):
            p.setPen(QPen(QColor("#202124" if test else "white"), 1.0))
            pick = self.test == test if self.test.size == len(self.points) else \
                np.full(len(self.points), not test)
            for (x, y), v in zip(self.points[pick], self.labels[pick], strict=False):
                p.setBrush(QColor(theme.POSITIVE if v >= 0 else theme.NEGATIVE))
                p.drawEllipse(QPointF((x - x0) * sx, rect.height() - (y - y0) * sy), 3.2, 3.2)
        p.end()
        return image


class CostSpark(QWidget):
    """Training and test cost per epoch: two numbers and two small curves
    (objectName ``playgroundCost``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playgroundCost")
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.train: list[float] = []
        self.test: list[float] = []

    def clear(self) -> None:
        """Forget the curves (a fresh network, other data)."""
        self.train, self.test = [], []
        self.update()

    def add(self, train_loss: float, test_loss: float | None) -> None:
        """One more epoch's costs (``test_loss`` None when nothing is held out)."""
        self.train.append(float(train_loss))
        self.test.append(float("nan") if test_loss is None else float(test_loss))
        self.update()

    @property
    def n_points(self) -> int:
        """Epochs drawn."""
        return len(self.train)

    def texts(self) -> tuple[str, str]:
        """The two numbers as shown: test cost, training cost."""
        def last(values: list[float]) -> str:
            return f"{values[-1]:.3f}" if values and np.isfinite(values[-1]) else "–"
        return f"Test cost {last(self.test)}", f"Training cost {last(self.train)}"

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        test_text, train_text = self.texts()
        p.setFont(theme.ui_font(9.5))
        p.setPen(QColor(theme.TEXT))
        p.drawText(QRectF(0, 2, 150, 18), Qt.AlignmentFlag.AlignLeft, test_text)
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRectF(0, 22, 150, 18), Qt.AlignmentFlag.AlignLeft, train_text)
        if not self.train:
            p.setFont(theme.ui_font(8.5, italic=True))
            p.drawText(QRectF(0, 42, self.width(), 18), Qt.AlignmentFlag.AlignLeft,
                       "Press Play: the cost per epoch appears here.")
            return
        box = QRectF(150, 4, max(10.0, self.width() - 154), self.height() - 8)
        values = np.array(self.train + self.test, np.float64)
        values = values[np.isfinite(values)]
        top = float(values.max()) if values.size else 1.0
        n = max(2, len(self.train))
        for series, colour, width in ((self.train, theme.FAINT, 1.2), (self.test, theme.TEXT,
                                                                        1.6)):
            line = QPolygonF([QPointF(box.left() + box.width() * i / (n - 1),
                                      box.bottom() - box.height() * v / (top or 1.0))
                              for i, v in enumerate(series) if np.isfinite(v)])
            p.setPen(QPen(QColor(colour), width))
            p.drawPolyline(line)
