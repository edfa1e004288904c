"""Recorded runs drawn over the Train page's plots, each in a colour of its own.

:class:`RunOverlay` draws the runs ticked in the Runs list on the three plots of the Train
page (given as an object with ``loss_plot``, ``acc_plot`` and ``lr_plot``): the smoothed
cost per batch and the validation cost per epoch, the validation accuracy (the smoothed
training accuracy when the run has no validation), the learning rate; the best epoch is
marked with a star and the last point with a dot. Each run is named in the cost plot's legend
and in the hover readout (:meth:`readout_at`). Curves are read from the records once and
again only when a record changed (a run still training).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPen

from nnstudio.runs.compare import RunCurveData, curves, smooth
from nnstudio.runs.listing import RunError
from nnstudio.runs.reader import open_run

__all__ = ["PALETTE", "RunOverlay"]

#: colours of compared runs, in the order they are ticked (none is the live run's blue or
#: the validation orange)
#: up to this many runs are drawn with wide lines
FEW_RUNS = 4
#: a compared run's per-batch curve is thinned to about this many points
STATIC_POINTS = 2000

PALETTE = ("#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#1f3a93", "#ff7f0e")


def _pen(color: str, width: float, dash: bool = False) -> QPen:
    p = QPen(QColor(color))
    p.setWidthF(width)
    p.setCosmetic(True)
    if dash:
        p.setDashPattern([4.0, 3.0])
    return p


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _nearest(xs: np.ndarray, x: float) -> int:
    i = int(np.searchsorted(xs, x))
    if i <= 0:
        return 0
    if i >= len(xs):
        return len(xs) - 1
    return i if abs(xs[i] - x) < abs(xs[i - 1] - x) else i - 1


class _Shown:
    """One run on the plots: its data and its plot items."""

    def __init__(self, run_id: str, name: str, color: str, data: RunCurveData,
                 smoothed: np.ndarray, smoothed_acc: np.ndarray) -> None:
        self.id, self.name, self.color, self.data = run_id, name, color, data
        self.smoothed, self.smoothed_acc = smoothed, smoothed_acc
        self.items: list[tuple[Any, Any]] = []     # (plot item, curve)


class RunOverlay:
    """Draws recorded runs on the Train page's plots.

    Parameters
    ----------
    plots : TrainingPlots
        The Train page's plots (``loss_plot``, ``acc_plot``, ``lr_plot``).
    """

    def __init__(self, plots: Any) -> None:
        self.plots = plots
        self.shown: list[_Shown] = []
        self.axis = "epoch"
        self.weight = 0.6
        self._cache: dict[tuple[str, str], tuple[float, RunCurveData]] = {}
        self.problems: list[str] = []
        #: every run's marks (epoch squares and dots, best stars, last points), one scatter
        #: item per plot: drawing 20 runs' marks as 20 items each took most of a repaint
        self._marks: dict[Any, list[dict]] = {}
        self._width = 2.0
        self._mark_items: list[tuple[Any, pg.ScatterPlotItem]] = []

    # ------------------------------------------------------------ data
    def _curves(self, path: Path, axis: str) -> RunCurveData | None:
        try:
            stamp = (path / "summary.json").stat().st_mtime
        except OSError:
            stamp = math.nan
        key = (str(path), axis)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        try:
            data = curves(open_run(path), axis)
        except (RunError, OSError, ValueError) as err:
            self.problems.append(str(err))
            return None
        self._cache[key] = (stamp, data)
        return data

    # ------------------------------------------------------------ drawing
    def show(self, runs: list[tuple[str, str, Path]], *, axis: str | None = None,
             weight: float | None = None) -> dict[str, str]:
        """Draw ``runs`` (id, name, folder), replacing what was drawn; returns each run's
        colour by id."""
        if axis is not None:
            self.axis = axis
        if weight is not None:
            self.weight = float(weight)
        self.clear()
        self.problems = []
        colors = {}
        # a few runs read best in wide lines; many are drawn thin (a wide line costs several
        # times a thin one to paint, and the plots repaint while training)
        self._width = 2.0 if len(runs) <= FEW_RUNS else 1.0
        for i, (run_id, name, path) in enumerate(runs):
            data = self._curves(Path(path), self.axis)
            if data is None:
                continue
            color = PALETTE[i % len(PALETTE)]
            colors[run_id] = color
            shown = _Shown(run_id, name, color, data, smooth(data.cost, self.weight),
                           smooth(data.accuracy, self.weight))
            self._draw(shown)
            self.shown.append(shown)
        self._draw_marks()
        return colors

    def _mark(self, plot: pg.PlotWidget, xs: Any, ys: Any, **style: Any) -> None:
        """Marks at (xs, ys) on ``plot``, drawn with the other runs' in one item."""
        spots = self._marks.setdefault(plot, [])
        for x, y in zip(np.atleast_1d(xs), np.atleast_1d(ys), strict=True):
            spots.append({"pos": (float(x), float(y)), **style})

    def _draw_marks(self) -> None:
        for plot, spots in self._marks.items():
            item = pg.ScatterPlotItem(spots=spots, pxMode=True)
            item.setZValue(6)
            plot.getPlotItem().addItem(item)
            self._mark_items.append((plot.getPlotItem(), item))
        self._marks = {}

    def _add(self, shown: _Shown, plot: pg.PlotWidget, curve: Any) -> None:
        item = plot.getPlotItem()
        item.addItem(curve)
        curve.setZValue(5)
        shown.items.append((item, curve))

    def _draw(self, s: _Shown) -> None:
        d, p, color = s.data, self.plots, s.color
        bx, cost = _finite(d.batch_x, s.smoothed)
        line = pg.PlotDataItem(bx, cost, pen=_pen(color, self._width))   # in the legend below
        self._add(s, p.loss_plot, line)
        # a fixed thinning, set once: clipping to the view or thinning by it would make every
        # change of the live run's range recompute every compared curve (20 runs: most of
        # the window's time while training)
        if len(bx) > STATIC_POINTS:
            line.setDownsampling(ds=len(bx) // STATIC_POINTS + 1, method="peak")
        vx, vy = _finite(d.epoch_x, d.val_cost)
        if len(vx):
            self._add(s, p.loss_plot, pg.PlotDataItem(vx, vy, pen=_pen(color, 1.0, dash=True)))
            self._mark(p.loss_plot, vx, vy, symbol="s", size=5, brush=color, pen=None)
        ax, ay = _finite(d.epoch_x, d.val_accuracy)
        if not len(ax):
            ax, ay = _finite(d.batch_x, s.smoothed_acc)
            acc = pg.PlotDataItem(ax, ay, pen=_pen(color, self._width))
        else:
            acc = pg.PlotDataItem(ax, ay, pen=_pen(color, self._width))
            self._mark(p.acc_plot, ax, ay, symbol="o", size=5, brush=color, pen=None)
        self._add(s, p.acc_plot, acc)
        lx, ly = _finite(d.batch_x, d.lr)
        self._add(s, p.lr_plot, pg.PlotDataItem(lx, ly, pen=_pen(color, 1.5)))
        if d.best is not None:                     # the best epoch: a star
            on_acc = bool(np.isfinite(d.val_accuracy).any())
            y = d.val_accuracy[d.best] if on_acc else (
                d.val_cost[d.best] if np.isfinite(d.val_cost[d.best]) else d.train_cost[d.best])
            self._mark(p.acc_plot if on_acc else p.loss_plot, d.epoch_x[d.best], y,
                       symbol="star", size=16, brush=color, pen=pg.mkPen("#ffffff", width=1),
                       data=f"{s.name}: best epoch")
        if len(bx):                                # the last point: a dot
            self._mark(p.loss_plot, bx[-1], cost[-1], symbol="o", size=9, brush=color,
                       pen=pg.mkPen("#ffffff", width=1))
        legend = p.loss_plot.getPlotItem().legend
        if legend is not None:
            legend.addItem(line, s.name)

    def clear(self) -> None:
        """Remove every run from the plots."""
        legend = self.plots.loss_plot.getPlotItem().legend
        for s in self.shown:
            for item, curve in s.items:
                item.removeItem(curve)
            if legend is not None and s.items:
                legend.removeItem(s.items[0][1])
        self.shown = []
        for item, marks in self._mark_items:
            item.removeItem(marks)
        self._mark_items = []

    # ------------------------------------------------------------ reading
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(largest x, lowest and highest cost, highest learning rate) of the runs drawn;
        None when none is."""
        xs, ys, lrs = [], [], [0.0]
        for s in self.shown:
            for arr in (s.data.batch_x, s.data.epoch_x):
                f = arr[np.isfinite(arr)]
                if len(f):
                    xs.append(float(f.max()))
            for arr in (s.smoothed, s.data.val_cost):
                f = arr[np.isfinite(arr)]
                if len(f):
                    ys.extend((float(f.min()), float(f.max())))
            f = s.data.lr[np.isfinite(s.data.lr)]
            if len(f):
                lrs.append(float(f.max()))
        if not xs or not ys:
            return None
        return max(xs), min(ys), max(ys), max(lrs)

    def readout_at(self, x: float) -> str:
        """Each drawn run's values nearest to ``x``: ``"name: cost 0.12, val acc 96.0%"``."""
        parts = []
        for s in self.shown:
            d = s.data
            bits = []
            if len(d.batch_x):
                i = _nearest(d.batch_x, x)
                if s.smoothed[i] == s.smoothed[i]:
                    bits.append(f"cost {s.smoothed[i]:.4g}")
            if len(d.epoch_x):
                j = _nearest(d.epoch_x, x)
                if d.val_accuracy[j] == d.val_accuracy[j]:
                    bits.append(f"val acc {d.val_accuracy[j]:.1f}%")
                elif d.val_cost[j] == d.val_cost[j]:
                    bits.append(f"val cost {d.val_cost[j]:.4g}")
            if bits:
                parts.append(f"{s.name}: {', '.join(bits)}")
        return " ‖ ".join(parts)
