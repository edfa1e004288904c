"""Building blocks of the live training plots: pens, fast curves, plot widgets, legends
under the plot (never on the curves) and view ranges that change with hysteresis instead of
on every frame."""

from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy

TEXT = "#333333"


def nice_ceil(v: float) -> float:
    """The next round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) >= v (v > 0)."""
    if v <= 0:
        return 1.0
    e = math.floor(math.log10(v))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * 10.0**e >= v:
            return m * 10.0**e
    return 10.0 ** (e + 1)


class Ranger:
    """Sets a plot's view range with hysteresis instead of pyqtgraph's per-frame auto range.

    Auto range changes the range at every new point, which regenerates the axes (ticks, text,
    grid) in Python at every frame. Here the range only moves when the data leave it or fill
    less than half of it, so most frames repaint the curves alone; a plot may be asked to
    hold a due move for a frame (``hold``). Once the person zooms or pans, the plot is left
    alone until they press pyqtgraph's "A" (auto) button.
    """

    def __init__(self, plot: pg.PlotWidget, *, set_x: bool, y_limits: tuple | None = None):
        self.item = plot.getPlotItem()
        self.vb = self.item.getViewBox()
        self.set_x, self.y_limits = set_x, y_limits
        self.manual = False
        self.x1: float | None = None
        self.y: tuple[float, float] | None = None
        self.vb.disableAutoRange()
        self.vb.sigRangeChangedManually.connect(self._on_manual)

    def _on_manual(self, *_args: object) -> None:
        self.manual = True

    def reset(self) -> None:
        self.manual = False
        self.x1 = None
        self.y = None

    def update(self, x_max: float, y_lo: float, y_hi: float, *, hold: bool = False) -> str:
        """Move the range to hold the data if it has to.

        Returns ``"moved"``, ``""`` (no move was due) or, with ``hold``, ``"held"``: a move
        was due and waits for the next call (a moved range repaints the plot's axes and
        every item, so the plots move on successive frames rather than all in one).
        """
        if any(self.vb.autoRangeEnabled()):  # the person pressed "A": back to automatic
            self.vb.disableAutoRange()
            self.reset()
        if self.manual:
            return ""
        x1 = self.x1
        if self.set_x and math.isfinite(x_max) and x_max > 0:
            if x1 is None or x_max > 0.97 * x1 or x_max < 0.3 * x1:
                x1 = nice_ceil(x_max * 1.15)
        y = self._y_range(y_lo, y_hi)
        if x1 == self.x1 and y == self.y:
            return ""
        if hold:
            return "held"
        if x1 != self.x1:
            self.x1 = x1
            self.vb.setXRange(0.0, x1, padding=0.0)
        if y != self.y:
            self.y = y
            self.vb.setYRange(*y, padding=0.0)
        return "moved"

    def _y_range(self, y_lo: float, y_hi: float) -> tuple[float, float] | None:
        """The y range that holds ``y_lo..y_hi``: the current one while it holds them well."""
        if self.y_limits is not None:
            return self.y_limits
        cur = self.y
        if bool(self.item.ctrl.logYCheck.isChecked()):
            if not (y_hi > 0):
                return cur
            y_lo = math.log10(y_lo) if y_lo > 0 else math.log10(y_hi) - 1
            y_hi = math.log10(y_hi)
        if not (math.isfinite(y_lo) and math.isfinite(y_hi)):
            return cur
        span = max(y_hi - y_lo, abs(y_hi) * 0.05, abs(y_lo) * 0.05)
        if not span > 0:  # every value 0 (no mistakes yet): a unit range, not ±1e-10
            span = 1.0
        if cur is not None and cur[0] <= y_lo and y_hi <= cur[1] and span >= 0.45 * (
            cur[1] - cur[0]
        ):
            return cur
        return (y_lo - 0.08 * span, y_hi + 0.12 * span)


def pen(color: str, width: float = 1.5, alpha: int = 255, dash: bool = False) -> pg.QtGui.QPen:
    c = QColor(color)
    c.setAlpha(alpha)
    pen = pg.mkPen(c, width=width)
    if dash:
        pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


def fast_curve(curve: pg.PlotDataItem, smooth: bool = False) -> None:
    """Make a per-batch curve cheap to paint however long the run.

    Only what is in view is drawn, without antialiasing: an antialiased curve of 10,000
    batches took 130 ms to paint, one without 4 ms (measured offscreen, 900 px wide), and
    every millisecond of painting is a millisecond the window cannot answer. A raw curve is
    peak-downsampled to about two points per pixel (its envelope looks the same); a smoothed
    one needs only a point every two pixels (a third less painting for its wide pen).
    """
    curve.setClipToView(True)
    # pyqtgraph's default draws up to 5 points a pixel
    if smooth:
        curve.setDownsampling(auto=True, method="subsample")
        curve.opts["autoDownsampleFactor"] = 0.5
    else:
        curve.setDownsampling(auto=True, method="peak")
        curve.opts["autoDownsampleFactor"] = 1.0


class TimedPlotWidget(pg.PlotWidget):
    """A plot widget that times its paints (:attr:`paints`, :attr:`last_paint_s`), so its
    owner can pace its redraws to what they cost on this machine."""

    paints = 0
    last_paint_s = 0.0

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        t0 = time.perf_counter()
        try:
            super().paintEvent(event)
        finally:
            self.last_paint_s = time.perf_counter() - t0
            self.paints += 1


class FramePacer:
    """Calls ``redraw`` from a timer, at most ``fps`` times a second and at least
    ``min_fps``, spaced so that the redraws take about ``share`` of a core on average.

    A redraw's cost is its own time (handed to :meth:`done`) plus the last paint of each of
    ``widgets`` (:class:`TimedPlotWidget`) that painted since the redraw before: the paint
    that redraw asked for. A slow machine, a large window or a long run then get fewer
    frames instead of taking more of the cores that training needs.
    """

    def __init__(self, parent: QObject, redraw, widgets: tuple[TimedPlotWidget, ...], *,
                 fps: float, min_fps: float, share: float) -> None:
        self.widgets, self.fps, self.min_fps, self.share = widgets, fps, min_fps, share
        self.cost: float | None = None               # seconds a redraw takes, averaged
        self._paints = [w.paints for w in widgets]   # paint counts at the last redraw
        self.timer = QTimer(parent)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(redraw)
        self.timer.start()

    def done(self, seconds: float) -> None:
        """A redraw took ``seconds``: set the time to the next one."""
        cost = seconds + sum(w.last_paint_s for w, n in zip(self.widgets, self._paints,
                                                             strict=True) if w.paints != n)
        self._paints = [w.paints for w in self.widgets]
        self.cost = cost if self.cost is None else 0.8 * self.cost + 0.2 * cost
        interval = min(1.0 / self.min_fps, max(1.0 / self.fps, self.cost / self.share))
        ms = max(1, round(1000 * interval))
        if abs(ms - self.timer.interval()) > 0.1 * self.timer.interval():
            self.timer.setInterval(ms)


def mark_epochs(plot: pg.PlotWidget, curves: dict[pg.PlotDataItem, str],
                spacing_px: float) -> None:
    """Mark the points of ``curves`` (one per epoch; curve -> its symbol) and antialias
    their lines while neighbouring epochs lie ``spacing_px`` apart in ``plot``'s view
    (zooming in brings both back), else draw plain lines."""
    vb = plot.getPlotItem().getViewBox()
    (x0, x1), width = vb.viewRange()[0], vb.width()
    spaced = x1 > x0 and width / (x1 - x0) >= spacing_px          # pixels per epoch
    for curve, symbol in curves.items():
        want = symbol if spaced else None
        if curve.opts["symbol"] != want or curve.opts["antialias"] != spaced:
            curve.opts["symbol"], curve.opts["antialias"] = want, spaced
            curve.updateItems(styleUpdate=True)       # restyles the line and the marks


def make_plot(object_name: str, title: str, y_label: str) -> TimedPlotWidget:
    w = TimedPlotWidget(background="w")
    w.setObjectName(object_name)
    w.setMinimumHeight(120)
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    item = w.getPlotItem()
    item.setTitle(f"<span style='color:{TEXT};font-size:11pt'>{title}</span>")
    # no grid: its lines are replayed across the whole plot at every frame (slow when
    # antialiased); the axes' ticks are enough to read values, the hover readout is exact
    item.setLabel("bottom", "epoch", color=TEXT)
    item.setLabel("left", y_label, color=TEXT)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.setMenuEnabled(True)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen("#888888"))
        axis.setTextPen(pg.mkPen(TEXT))
        axis.enableAutoSIPrefix(False)
    item.getViewBox().setMouseEnabled(x=True, y=True)
    return w


#: the row of a plot's own layout under its bottom axis (0 title, 1 top axis, 2 the curves,
#: 3 bottom axis)
LEGEND_ROW = 4


class RowLegend(pg.LegendItem):
    """A legend in the plot's own layout, under its x axis: outside the area the curves are
    drawn in, so it never covers one. Its entries flow into as many columns as the plot's
    width holds (one centred row on a wide plot, more rows on a narrow one); it cannot be
    dragged onto the curves. Clicking an entry's sample still hides or shows its curve."""

    #: room between one entry and the next in a row, and around the whole legend
    GAP = 18.0
    MARGIN = 8.0

    def __init__(self, label_color: str = TEXT) -> None:
        super().__init__(offset=None, frame=False, labelTextColor=label_color, colCount=1,
                         horSpacing=4, verSpacing=-4)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
        self.layout.setContentsMargins(self.MARGIN, 0, self.MARGIN, 2)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.room = 0.0   # the width the plot has for it

    def _entry_widths(self) -> list[float]:
        hint = Qt.SizeHint.PreferredSize
        return [sample.effectiveSizeHint(hint).width() + label.effectiveSizeHint(hint).width()
                + self.layout.horizontalSpacing() for sample, label in self.items]

    def _width(self, widths: list[float], cols: int) -> float:
        cols = max(1, min(cols, len(widths)))   # an entry just removed leaves fewer
        column = [max(widths[c::cols], default=0.0) for c in range(cols)]
        return sum(column) + self.GAP * (cols - 1) + 2 * self.MARGIN

    def fit(self, room: float) -> None:
        """Use as many columns as ``room`` (pixels) holds."""
        self.room = float(room)
        widths = self._entry_widths()
        cols = max(len(widths), 1)
        while cols > 1 and self._width(widths, cols) > self.room:
            cols -= 1
        if cols != self.columnCount:
            self.setColumnCount(cols)   # lays the entries out again and updates the size
        else:
            self.updateSize()

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph override
        """Take the size the entries need in their columns (never a fixed geometry: the
        plot's layout places the legend)."""
        for c in range(2 * self.columnCount):   # a gap after each entry's label
            self.layout.setColumnSpacing(c, self.GAP if c % 2 and c < 2 * self.columnCount - 1
                                         else self.layout.horizontalSpacing())
        if not self.items:
            self.setMaximumSize(0, 0)
            self.updateGeometry()
            return
        hint = Qt.SizeHint.PreferredSize
        rows = -(-len(self.items) // max(1, self.columnCount))
        row = max(max(s.effectiveSizeHint(hint).height(), lab.effectiveSizeHint(hint).height())
                  for s, lab in self.items)
        height = rows * (row + self.layout.verticalSpacing()) + 2
        width = self._width(self._entry_widths(), self.columnCount)
        self.setPreferredSize(width, height)
        self.setMaximumSize(width, height)
        self.setMinimumSize(min(width, 40.0), height)
        self.updateGeometry()

    def addItem(self, item, name: str) -> None:  # noqa: N802 - pyqtgraph override
        super().addItem(item, name)
        self.fit(self.room)

    def removeItem(self, item) -> None:  # noqa: N802 - pyqtgraph override
        super().removeItem(item)
        self.fit(self.room)

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph override
        ev.ignore()   # it stays under the plot


def outside_legend(plot: pg.PlotWidget) -> RowLegend:
    """Give ``plot`` a :class:`RowLegend` under its x axis, centred; curves plotted on it
    later with ``name=`` join it, as with pyqtgraph's ``addLegend``."""
    item = plot.getPlotItem()
    legend = RowLegend()
    item.layout.addItem(legend, LEGEND_ROW, 1, Qt.AlignmentFlag.AlignHCenter)
    item.legend = legend
    vb = item.getViewBox()
    vb.sigResized.connect(lambda _vb: legend.fit(vb.width()))
    return legend
