"""Every compared run's lines and marks on one plot, painted as one item from a kept image.

Drawn as pyqtgraph curves, 20 compared runs put 60+ items on each plot; while a run trains,
each frame of its live curve dirtied the whole view, so every one of them was painted again
(a Python ``paint`` and several ``boundingRect`` calls each, Qt's scene bookkeeping for each)
although none of them had changed. :class:`RunPicture` holds all of one plot's compared
lines and marks and keeps what it painted as an image at the screen's pixels: a frame in
which only the live curve moves copies that image; the runs are painted afresh only when
the view's range or size changes, the runs drawn change, a run is hidden or shown, or the
axis turns logarithmic. The image is the item's own, not in Qt's pixmap cache (whose 10 MB
limit a large high-DPI plot would exceed, painting afresh at every frame). Its bounding
rectangle is the data's clipped to the view (plus the pixels its pens and marks reach beyond
the data), so the image is never larger than the plot; :meth:`RunPicture.dataBounds` gives
the view box the whole data, so pyqtgraph's auto range still includes every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)

__all__ = ["Line", "Marks", "RunPicture"]


@dataclass(frozen=True)
class Line:
    """One run's line on a plot.

    ``x`` and ``y`` have shape (n,), finite values in the plot's data units (linear: the
    picture takes their logarithm when the axis is logarithmic); ``pen`` is cosmetic.
    """

    run_id: str
    x: np.ndarray
    y: np.ndarray
    pen: QPen


@dataclass(frozen=True)
class Marks:
    """One run's marks of one kind on a plot: a symbol of ``size`` pixels at each point.

    ``x`` and ``y`` have shape (m,); ``symbol`` is a pyqtgraph symbol name ("o", "s",
    "star", ...); ``pen`` None draws no outline.
    """

    run_id: str
    x: np.ndarray
    y: np.ndarray
    symbol: str
    size: float
    brush: QColor
    pen: QPen | None = None


def _log(v: np.ndarray) -> np.ndarray:
    """log10 of ``v``, NaN where ``v`` is not positive."""
    out = np.full(v.shape, np.nan)
    positive = v > 0
    out[positive] = np.log10(v[positive])
    return out


class RunPicture(pg.GraphicsObject):
    """The compared runs of one plot as one graphics item.

    Add it to a plot once (``plot_item.addItem(picture)``) and give it the runs with
    :meth:`set_runs`; :meth:`set_hidden` hides one run's lines and marks. :attr:`renders`
    counts how many times the runs were painted afresh (:meth:`draw`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._lines: list[Line] = []
        self._marks: list[Marks] = []
        self._hidden: set[str] = set()
        self._log = (False, False)
        #: what is painted, in the axes' units (logarithms on a log axis)
        self._paths: list[tuple[str, QPainterPath, QPen]] = []
        self._points: list[tuple[Marks, np.ndarray, np.ndarray]] = []
        self._bounds: tuple[float, float, float, float] | None = None   # x0, x1, y0, y1
        self._pad = 0.0
        self._rect: QRectF | None = None
        #: lines antialiased as pyqtgraph's curves are (its ``antialias`` option)
        self.antialias = bool(pg.getConfigOption("antialias"))
        #: the runs as painted for the view of :attr:`_key` (device pixels)
        self._image: QImage | None = None
        self._key: tuple | None = None
        self._version = 0
        #: how many times the runs were painted afresh (the bench and tests read it)
        self.renders = 0

    # ------------------------------------------------------------ content
    def set_runs(self, lines: list[Line], marks: list[Marks]) -> None:
        """Draw ``lines`` and ``marks`` instead of what was drawn (no run hidden)."""
        self._lines, self._marks = list(lines), list(marks)
        self._hidden = set()
        self._rebuild()

    def set_hidden(self, run_id: str, hidden: bool) -> None:
        """Hide (or show again) every line and mark of the run ``run_id``."""
        if hidden == (run_id in self._hidden):
            return
        if hidden:
            self._hidden.add(run_id)
        else:
            self._hidden.discard(run_id)
        self._rebuild()

    @property
    def run_ids(self) -> list[str]:
        """The runs drawn (not hidden), in the order given."""
        ids = [ln.run_id for ln in self._lines] + [m.run_id for m in self._marks]
        return [i for i in dict.fromkeys(ids) if i not in self._hidden]

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 - pyqtgraph's interface
        """Draw on logarithmic axes (the plot item calls it when its axes change)."""
        if (bool(x), bool(y)) != self._log:
            self._log = (bool(x), bool(y))
            self._rebuild()

    def _axes(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        return (_log(x) if self._log[0] else x), (_log(y) if self._log[1] else y)

    def _rebuild(self) -> None:
        self._paths, self._points = [], []
        lo = np.array([np.inf, np.inf])
        hi = np.array([-np.inf, -np.inf])
        pad = 0.0

        def extend(x: np.ndarray, y: np.ndarray) -> None:
            keep = np.isfinite(x) & np.isfinite(y)
            if keep.any():
                lo[:] = np.minimum(lo, (x[keep].min(), y[keep].min()))
                hi[:] = np.maximum(hi, (x[keep].max(), y[keep].max()))

        for line in self._lines:
            if line.run_id in self._hidden or len(line.x) == 0:
                continue
            x, y = self._axes(line.x, line.y)
            self._paths.append((line.run_id, pg.arrayToQPath(x, y, connect="finite"),
                                line.pen))
            extend(x, y)
            pad = max(pad, line.pen.widthF())
        for marks in self._marks:
            if marks.run_id in self._hidden or len(marks.x) == 0:
                continue
            x, y = self._axes(marks.x, marks.y)
            self._points.append((marks, x, y))
            extend(x, y)
            pad = max(pad, marks.size / 2 + (marks.pen.widthF() if marks.pen else 0.0))
        self._bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])) \
            if np.isfinite(lo).all() else None
        self._pad = pad + 1.0
        self._version += 1
        self._image = None
        self._new_geometry()
        self.update()
        self.informViewBoundsChanged()

    # ------------------------------------------------------------ geometry
    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 - pyqtgraph's interface
                   orthoRange: tuple | None = None) -> tuple[float | None, float | None]:  # noqa: N803
        """The lowest and highest value along axis ``ax`` (0: x, 1: y) of what is drawn,
        (None, None) when nothing is; the view box's auto range reads it."""
        if self._bounds is None:
            return None, None
        return self._bounds[2 * ax], self._bounds[2 * ax + 1]

    def pixelPadding(self) -> float:  # noqa: N802 - pyqtgraph's interface
        """Pixels the pens and marks reach beyond the data."""
        return self._pad

    def _new_geometry(self) -> None:
        self.prepareGeometryChange()
        self._rect = None

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph's interface
        super().viewTransformChanged()      # forgets the view rectangle it kept
        self._new_geometry()

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's interface
        super().viewTransformChanged()
        self._new_geometry()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's interface
        """The data's rectangle inside the view, widened by the pixels pens and marks reach
        (never larger than the view: it is the size of the cached image)."""
        if self._rect is not None:
            return self._rect
        if self._bounds is None:
            self._rect = QRectF()
            return self._rect
        x0, x1, y0, y1 = self._bounds
        px, py = self.pixelWidth() * self._pad, self.pixelHeight() * self._pad
        rect = QRectF(x0 - px, y0 - py, x1 - x0 + 2 * px, y1 - y0 + 2 * py)
        view = self.viewRect()
        if view is not None and view.width() > 0 and view.height() > 0:
            rect = rect.intersected(view.adjusted(-px, -py, px, py))
        self._rect = rect
        return rect

    # ------------------------------------------------------------ painting
    def paint(self, p: QPainter, *args: object) -> None:
        """Copy the image of the runs kept for this view, painting it afresh first when the
        view, the runs or the screen changed; a painter that is not a raster image (an SVG
        export, a printer) gets the lines and marks themselves."""
        if p.paintEngine() is None or p.paintEngine().type() != QPaintEngine.Type.Raster:
            self.draw(p)
            return
        t = p.transform()
        area = t.mapRect(self.boundingRect())
        if area.isEmpty():
            return
        x0, y0 = math.floor(area.left()), math.floor(area.top())
        w, h = math.ceil(area.right()) - x0, math.ceil(area.bottom()) - y0
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        key = (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), x0, y0, w, h, dpr,
               self._version)
        if key != self._key or self._image is None:
            image = QImage(max(1, round(w * dpr)), max(1, round(h * dpr)),
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
            image.fill(Qt.GlobalColor.transparent)
            q = QPainter(image)
            q.translate(-x0, -y0)
            q.setTransform(t, True)
            self.draw(q)
            q.end()
            self._image, self._key = image, key
        p.save()
        p.resetTransform()
        p.drawImage(QPointF(x0, y0), self._image)
        p.restore()

    def draw(self, p: QPainter) -> None:
        """Paint every line, then every mark at its size in pixels, with ``p``'s transform
        (the picture's coordinates to the device's)."""
        self.renders += 1
        p.setRenderHint(QPainter.RenderHint.Antialiasing, self.antialias)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for _run, path, pen in self._paths:
            p.setPen(pen)
            p.drawPath(path)
        if not self._points:
            return
        # marks at their size in pixels: each group's symbols placed at its points' pixels
        # and filled as one path (a Python call per group, not per mark)
        t = p.transform()
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for marks, xs, ys in self._points:
            keep = np.isfinite(xs) & np.isfinite(ys)
            px = t.m11() * xs[keep] + t.m21() * ys[keep] + t.dx()
            py = t.m12() * xs[keep] + t.m22() * ys[keep] + t.dy()
            shape = QTransform.fromScale(marks.size, marks.size).map(Symbols[marks.symbol])
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.WindingFill)
            for x, y in zip(px.tolist(), py.tolist(), strict=True):
                path.addPath(shape.translated(x, y))
            p.setPen(marks.pen if marks.pen is not None else QPen(Qt.PenStyle.NoPen))
            p.setBrush(QBrush(marks.brush))
            p.drawPath(path)
        p.restore()
