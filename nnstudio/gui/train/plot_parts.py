"""Building blocks of the live training plots: pens, fast curves, plot widgets and view
ranges that change with hysteresis instead of on every frame."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSizePolicy

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
    less than half of it, so most frames repaint the curves alone. Once the person zooms or
    pans, the plot is left alone until they press pyqtgraph's "A" (auto) button.
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

    def update(self, x_max: float, y_lo: float, y_hi: float) -> None:
        if any(self.vb.autoRangeEnabled()):  # the person pressed "A": back to automatic
            self.vb.disableAutoRange()
            self.reset()
        if self.manual:
            return
        if self.set_x and math.isfinite(x_max) and x_max > 0:
            if self.x1 is None or x_max > 0.97 * self.x1 or x_max < 0.3 * self.x1:
                self.x1 = nice_ceil(x_max * 1.15)
                self.vb.setXRange(0.0, self.x1, padding=0.0)
        if self.y_limits is not None:
            if self.y is None and not self.manual:
                self.y = self.y_limits
                self.vb.setYRange(*self.y_limits, padding=0.0)
            return
        log = bool(self.item.ctrl.logYCheck.isChecked()) if hasattr(self.item, "ctrl") else False
        if log:
            if not (y_hi > 0):
                return
            y_lo = math.log10(y_lo) if y_lo > 0 else math.log10(y_hi) - 1
            y_hi = math.log10(y_hi)
        if not (math.isfinite(y_lo) and math.isfinite(y_hi)):
            return
        span = max(y_hi - y_lo, abs(y_hi) * 0.05, abs(y_lo) * 0.05)
        if not span > 0:  # every value 0 (no mistakes yet): a unit range, not ±1e-10
            span = 1.0
        cur = self.y
        if cur is not None and cur[0] <= y_lo and y_hi <= cur[1] and span >= 0.45 * (
            cur[1] - cur[0]
        ):
            return
        self.y = (y_lo - 0.08 * span, y_hi + 0.12 * span)
        self.vb.setYRange(*self.y, padding=0.0)


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


def make_plot(object_name: str, title: str, y_label: str) -> pg.PlotWidget:
    w = pg.PlotWidget(background="w")
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
