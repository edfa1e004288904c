"""Live training curves drawn with pyqtgraph.

The plots follow pyqtgraph's ``scrollingPlots`` habits: every curve is created once; metrics
are appended into NumPy buffers that grow by doubling; a 12 Hz timer (:data:`FPS`) calls
``setData`` on the filled slice only when something new arrived; ``clipToView``, downsampling
and no antialiasing on the per-batch curves keep long runs cheap to draw. Nothing here ever
runs once per training batch.

The x axis is in epochs (fractional during an epoch), so runs with different batch sizes line up.
Recorded runs can be drawn over the plots (:attr:`TrainingPlots.overlay`, see
:mod:`nnstudio.gui.runs.overlay`): they widen the view ranges and join the hover readout; on
an x axis other than epochs (samples seen, seconds) the live curves step aside.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.gui.snapshot import Snapshot
from nnstudio.gui.train.curves import (
    RunCurves,
    Series,
    Smoother,
    Thinned,
    bounds,
    finite,
)
from nnstudio.gui.train.plot_parts import (
    FramePacer,
    Ranger,
    fast_curve,
    make_plot,
    mark_epochs,
    outside_legend,
    pen,
)

BLUE = "#0877bd"  # training
ORANGE = "#f59322"  # validation
GREY = "#9aa3ab"  # earlier runs
LR_COLOR = "#6a4c93"
TEXT = "#333333"

READOUT_HINT = "Hover over a plot to read the values under the mouse."
#: at most this many earlier runs stay visible as faded curves
MAX_EARLIER_RUNS = 6


@dataclass(frozen=True)
class PlotsMemory:
    """The curves the plots show, by value: the current run's and the earlier runs' lines
    (``(name, ((plot, x, y, pen), ...))``) with their value bounds."""

    run: RunCurves
    label: str
    earlier: tuple
    bounds: tuple
#: plot redraws per second at most: a curve that grows a few pixels a frame moves smoothly
FPS = 12.0
#: ... and at least, however long a redraw takes
MIN_FPS = 4.0
#: while training, the plots' redraws (their data pushed in, the three plots painted) may
#: take this share of a core on average: where a redraw takes longer than 1 / (FPS * share)
#: seconds, they come less often. On two cores every share the window takes is taken from
#: the training process (bench/bench_window_speed.py): redraws of 10-13 ms at 12 a second
#: took 12-16% of a core, most of the window's work while training
PLOT_SHARE = 0.10
#: epochs are marked (6-pixel symbols) and their lines antialiased only while neighbouring
#: epochs lie at least this many pixels apart: closer, the marks merge into a thick line,
#: the steps of plain lines are too short to see, and both cost most of a frame (offscreen:
#: antialiasing the four epoch lines took 3 ms of a 13 ms redraw; two curves of 300 marks
#: took 8 ms more to paint and 4 ms more to set than their lines alone)
MARK_SPACING_PX = 8.0


class TrainingPlots(QWidget):
    """Cost, accuracy and learning-rate plots of the current run and earlier ones.

    Feed it with :meth:`add_snapshot` (any number of times a second: it only buffers);
    it redraws at most ``fps`` times a second.

    Signals
    -------
    hovered(str)
        A one-line readout of the values under the mouse ("" when it leaves).
    """

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, fps: float | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPlots")
        self._smoothing = 0.9
        self._run = RunCurves(self._smoothing)
        self._run_label = "run 1"
        self._earlier: list[tuple[str, list[pg.PlotDataItem]]] = []
        self._dirty = False
        self._force = False
        self._all_at_once = False  # the next range update moves every plot in one frame
        self._drawn = (0, 0)
        self._show_raw = True
        self.redraws = 0
        #: recorded runs drawn over the plots: ``bounds()`` -> (x max, cost low, cost high,
        #: learning rate high) or None, ``readout_at(x)`` -> text (None: none)
        self.overlay: Any = None
        self._live = True
        self._x_word = "epoch"

        self.loss_plot = make_plot("lossPlot", "Cost (lower is better)", "cost")
        self.cost_title = "Cost (lower is better)"
        self.acc_plot = make_plot("accuracyPlot", "Accuracy", "accuracy %")
        self.lr_plot = make_plot("lrPlot", "Learning rate", "lr")
        # not X-linked: pyqtgraph aligns linked views by screen position, and these differ in
        # width; the rangers give all three the same epoch range instead
        self.acc_plot.getPlotItem().getViewBox().setLimits(yMin=-5, yMax=105)

        lp = self.loss_plot.getPlotItem()
        self._legend = outside_legend(self.loss_plot)
        self.c_raw = lp.plot(pen=pen(BLUE, 1, 60), name="cost per batch", antialias=False)
        self.c_smooth = lp.plot(pen=pen(BLUE, 2), name="cost, smoothed", antialias=False)
        self.c_epoch = lp.plot(
            pen=pen("#1b4f72", 1.5), symbol="o", symbolSize=6, symbolBrush="#1b4f72",
            symbolPen=None, name="training cost per epoch",
        )
        self.c_val = lp.plot(
            pen=pen(ORANGE, 2), symbol="s", symbolSize=6, symbolBrush=ORANGE, symbolPen=None,
            name="validation cost",
        )
        ap = self.acc_plot.getPlotItem()
        outside_legend(self.acc_plot)
        self.a_smooth = ap.plot(pen=pen(BLUE, 2), name="training, smoothed", antialias=False)
        self.a_epoch = ap.plot(
            pen=pen("#1b4f72", 1.5), symbol="o", symbolSize=6, symbolBrush="#1b4f72",
            symbolPen=None, name="training per epoch",
        )
        self.a_val = ap.plot(
            pen=pen(ORANGE, 2), symbol="s", symbolSize=6, symbolBrush=ORANGE, symbolPen=None,
            name="validation",
        )
        self.l_curve = self.lr_plot.getPlotItem().plot(pen=pen(LR_COLOR, 2), antialias=False)
        for c in (self.c_raw, self.l_curve):
            fast_curve(c)
        for c in (self.c_smooth, self.a_smooth):
            fast_curve(c, smooth=True)

        # the epoch curves of each plot and their marks' symbols: marked while the epochs
        # lie apart, which only the view's x range and width change
        for plot, curves in ((self.loss_plot, {self.c_epoch: "o", self.c_val: "s"}),
                             (self.acc_plot, {self.a_epoch: "o", self.a_val: "s"})):
            vb = plot.getPlotItem().getViewBox()
            for signal in (vb.sigXRangeChanged, vb.sigResized):
                signal.connect(lambda *_a, p=plot, c=curves: mark_epochs(p, c, MARK_SPACING_PX))
        self._rangers = {
            "loss": Ranger(self.loss_plot, set_x=True),
            "acc": Ranger(self.acc_plot, set_x=True, y_limits=(-2.0, 102.0)),
            "lr": Ranger(self.lr_plot, set_x=True),
        }
        for ranger in self._rangers.values():
            ranger.vb.sigRangeChangedManually.connect(self._on_zoomed)
        self._thinned: dict[str, Thinned] = {}     # the live run's series, thinned
        self._earlier_bounds: list[tuple[float, float, float]] = []
        self._hover_x: float | None = None  # epoch position under the resting mouse
        self._cursors = []
        for w in (self.loss_plot, self.acc_plot, self.lr_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen("#777777", 1, 120, dash=True))
            line.setVisible(False)
            w.getPlotItem().addItem(line, ignoreBounds=True)
            self._cursors.append(line)
            w.scene().sigMouseMoved.connect(self._on_mouse_moved)
        #: where the checkpoint shown on the timeline lies on the curves (a solid line)
        self._markers = []
        for w in (self.loss_plot, self.acc_plot, self.lr_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen("#c2185b", 1.5, 200))
            line.setVisible(False)
            w.getPlotItem().addItem(line, ignoreBounds=True)
            self._markers.append(line)

        self.readout = QLabel(READOUT_HINT)
        self.readout.setObjectName("plotReadout")
        font = QFont(self.readout.font())
        font.setPointSizeF(max(9.0, font.pointSizeF()))
        self.readout.setFont(font)
        self.readout.setStyleSheet(f"color: {TEXT};")
        self.readout.setMinimumHeight(self.readout.fontMetrics().height() + 4)
        self.readout.setWordWrap(True)   # runs drawn over the plots read on lines below

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.loss_plot, 5)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.acc_plot, 3)
        row.addWidget(self.lr_plot, 2)
        layout.addLayout(row, 3)
        layout.addWidget(self.readout)

        self._pacer = FramePacer(self, self.refresh, (self.loss_plot, self.acc_plot,
                                                      self.lr_plot),
                                 fps=fps or FPS, min_fps=MIN_FPS, share=PLOT_SHARE)

    def set_words(self, title: str, y_label: str, per_batch: str, smoothed: str,
                  per_epoch: str, validation: str) -> None:
        """Name what the cost plot shows (e.g. a perceptron's mistakes per pass)."""
        item = self.loss_plot.getPlotItem()
        item.setTitle(f"<span style='color:{TEXT};font-size:11pt'>{title}</span>")
        item.setLabel("left", y_label, color=TEXT)
        x_word = self._x_word = "pass" if y_label == "mistakes" else "epoch"
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):
            plot.getPlotItem().setLabel("bottom", x_word, color=TEXT)
        acc_legend = self.acc_plot.getPlotItem().legend
        for legend, curve, name in ((self._legend, self.c_raw, per_batch),
                                    (self._legend, self.c_smooth, smoothed),
                                    (self._legend, self.c_epoch, per_epoch),
                                    (self._legend, self.c_val, validation),
                                    (acc_legend, self.a_epoch, f"training per {x_word}")):
            curve.opts["name"] = name
            label = legend.getLabel(curve)
            if label is not None:
                label.setText(name)
        for legend in (self._legend, acc_legend):   # the new words take other widths
            legend.fit(legend.room)
        self.cost_title = title

    # ------------------------------------------------------------------ data in
    @property
    def n_points(self) -> int:
        """Per-batch points of the current run."""
        return self._run.batch_cost.n

    @property
    def n_epoch_points(self) -> int:
        return self._run.epoch_cost.n

    def set_marker(self, x: float | None) -> None:
        """Mark ``x`` (epochs) on every plot, or nothing with None."""
        for line in self._markers:
            if x is not None:
                line.setValue(float(x))
            line.setVisible(x is not None)

    @property
    def marker(self) -> float | None:
        """Where the marker is (None: hidden)."""
        line = self._markers[0]
        return float(line.value()) if line.isVisible() else None

    def x_end(self) -> float:
        """Where the current curve ends on the epoch axis (0 when it is empty)."""
        r = self._run
        ends = [float(series.x[-1]) for series in (r.batch_cost, r.epoch_cost) if series.n]
        return max(ends, default=0.0)

    @property
    def n_earlier_runs(self) -> int:
        return len(self._earlier)

    def add_snapshot(self, snap: Snapshot) -> None:
        """Buffer the metrics of a training snapshot; drawn at the next :data:`FPS` tick."""
        if self._run.add_snapshot(snap):
            self._dirty = True

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Push the buffers into the curves if anything new arrived (the :data:`FPS` timer)."""
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        t0 = time.perf_counter()
        r = self._run
        n_b, n_e = r.batch_cost.n, r.epoch_cost.n
        if n_b != self._drawn[0] or self._force:
            if self._show_raw:
                self.c_raw.setData(*self._points("batch_cost", "loss", peak=True))
            self.c_smooth.setData(*self._points("batch_cost_smooth", "loss"))
            self.a_smooth.setData(*finite(self._points("batch_acc_smooth", "acc")))
            self.l_curve.setData(*finite(self._points("batch_lr", "lr"), positive=True))
        if n_e != self._drawn[1] or self._force:
            self.c_epoch.setData(r.epoch_cost.x, r.epoch_cost.y)
            self.c_val.setData(*finite(r.epoch_val_cost))
            self.a_epoch.setData(*finite(r.epoch_acc))
            self.a_val.setData(*finite(r.epoch_val_acc))
        self._drawn = (n_b, n_e)
        self._force = False
        self._update_ranges()
        if self._hover_x is not None:  # the mouse rests on a plot: read the new values
            self._show_readout(self._hover_x)
        self._pacer.done(time.perf_counter() - t0)

    def _points(self, name: str, plot: str, peak: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
        """What the curve of the live run's series ``name`` on ``plot`` is given to draw:
        the series thinned to a few thousand buckets
        (:class:`~nnstudio.gui.train.curves.Thinned`), or every point while the person has
        zoomed or panned that plot (the plot then draws only what is in view)."""
        series: Series = getattr(self._run, name)
        if self._rangers[plot].manual:
            return series.x, series.y
        thinned = self._thinned.get(name)
        if thinned is None or thinned.series is not series:
            thinned = self._thinned[name] = Thinned(series, peak)
        return thinned.data()

    def _on_zoomed(self, *_: object) -> None:
        """The person zoomed or panned a plot: draw its curves from every point."""
        self._dirty = self._force = True

    @property
    def frame_interval_ms(self) -> int:
        """The time between two redraws now (longer than 1 / FPS where redraws are slow)."""
        return self._pacer.timer.interval()

    def _update_ranges(self) -> None:
        r = self._run
        if self._live:
            x_max = max([*(b[0] for b in self._earlier_bounds),
                         r.batch_cost.x[-1] if r.batch_cost.n else 0.0,
                         r.epoch_cost.x[-1] if r.epoch_cost.n else 0.0])
            shown = [r.batch_cost_smooth, r.epoch_cost, r.epoch_val_cost]
            if self._show_raw:
                shown.append(r.batch_cost)
            lows, highs = zip(*(series.bounds() for series in shown), strict=True)
            lo, hi = bounds([np.array(lows), np.array(highs)])
            if math.isnan(lo):   # no live values yet: the runs beside it set the range
                lo, hi = math.inf, -math.inf
            for _x, elo, ehi in self._earlier_bounds:
                lo, hi = min(lo, elo), max(hi, ehi)
        else:
            x_max, lo, hi = 0.0, math.inf, -math.inf
        extra = self.overlay.bounds() if self.overlay is not None else None
        if extra is not None:
            x_max, lo, hi = max(x_max, extra[0]), min(lo, extra[1]), max(hi, extra[2])
        _llo, lhi = r.batch_lr.bounds() if self._live else (0.0, -math.inf)
        if extra is not None:
            lhi = max(lhi, extra[3]) if math.isfinite(lhi) else extra[3]
        wanted = [("loss", (x_max, lo, hi)) if math.isfinite(lo) else None,
                  ("acc", (x_max, 0.0, 100.0)),
                  ("lr", (x_max, 0.0, lhi * 1.1)) if math.isfinite(lhi) and lhi > 0 else None]
        # while training, one plot moves its range per frame: a move repaints its axes and
        # every item, and three in one frame held the window up for tens of milliseconds
        one_by_one, self._all_at_once = not self._all_at_once, False
        moved = held = False
        for key, args in filter(None, wanted):
            done = self._rangers[key].update(*args, hold=one_by_one and moved)
            moved, held = moved or done == "moved", held or done == "held"
        if held:
            self._dirty = True          # the next frame moves the next plot

    def redraw(self) -> None:
        """Fit the view ranges again and redraw (the overlay's runs changed); the readout
        keeps room for the overlay's runs, so hovering never moves the plots."""
        shown = self.overlay is not None and self.overlay.bounds() is not None
        lines = 3 if shown else 1
        self.readout.setMinimumHeight(lines * self.readout.fontMetrics().lineSpacing() + 4)
        self._reset_ranges()
        self.refresh()

    def set_x_axis(self, label: str | None, live: bool) -> None:
        """Label the x axes ``label`` (None: the page's own word, "epoch" or "pass");
        ``live`` False hides the live and earlier curves (they are in epochs) while the
        overlay uses another axis."""
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):
            plot.getPlotItem().setLabel("bottom", label or self._x_word, color=TEXT)
        self._live = bool(live)
        for c in (self.c_smooth, self.c_epoch, self.c_val, self.a_smooth, self.a_epoch,
                  self.a_val, self.l_curve):
            c.setVisible(self._live)
        self.c_raw.setVisible(self._live and self._show_raw)
        for _name, items in self._earlier:
            for it in items:
                it.setVisible(self._live)
        self.redraw()

    def set_log_scale(self, on: bool) -> None:
        """Cost axis in log scale (helps once the cost gets small)."""
        self.loss_plot.getPlotItem().setLogMode(y=bool(on))
        self._rangers["loss"].reset()
        self._dirty = self._force = True
        self.refresh()

    def set_show_raw(self, on: bool) -> None:
        """Show or hide the faded per-batch cost."""
        self._show_raw = bool(on)
        if on:
            self.c_raw.setData(*self._points("batch_cost", "loss", peak=True))
        else:
            self.c_raw.setData([], [])
        self.c_raw.setVisible(self._show_raw)

    def set_smoothing(self, weight: float) -> None:
        """Change the EMA weight in [0, 0.999] and re-smooth the current run."""
        weight = float(min(max(weight, 0.0), 0.999))
        self._smoothing = weight
        r = self._run
        r.cost_smoother = Smoother(weight)
        r.acc_smoother = Smoother(weight)
        x = r.batch_cost.x.copy()
        cost = r.batch_cost.y.copy()
        acc = r.batch_acc.y.copy()
        r.batch_cost_smooth.clear()
        r.batch_acc_smooth.clear()
        r.batch_cost_smooth.extend(x, r.cost_smoother.feed(cost))
        r.batch_acc_smooth.extend(x, r.acc_smoother.feed(acc))
        self._dirty = self._force = True
        self.refresh()

    # ------------------------------------------------------------------ runs
    def new_run(self, label: str | None = None) -> None:
        """Keep the current curves as faded "earlier run" curves and start empty ones."""
        r = self._run
        if not r.empty:
            name = self._run_label
            items: list[pg.PlotDataItem] = []
            lp = self.loss_plot.getPlotItem()
            sx, sy = r.batch_cost_smooth.x.copy(), r.batch_cost_smooth.y.copy()
            if len(sx) == 0:
                sx, sy = r.epoch_cost.x.copy(), r.epoch_cost.y.copy()
            c = pg.PlotDataItem(sx, sy, pen=pen(GREY, 1.5, 140), antialias=False)
            lp.addItem(c)
            fast_curve(c, smooth=True)
            items.append(c)
            vx, vy = finite(r.epoch_val_cost)
            if len(vx):
                v = pg.PlotDataItem(vx, vy, pen=pen(ORANGE, 1.2, 90, dash=True))
                lp.addItem(v)
                items.append(v)
            ax, ay = finite(r.batch_acc_smooth)
            if len(ax):
                a = pg.PlotDataItem(ax, ay, pen=pen(GREY, 1.5, 140), antialias=False)
                self.acc_plot.getPlotItem().addItem(a)
                fast_curve(a, smooth=True)
                items.append(a)
            for it in items:
                it.setZValue(-10)
            self._earlier.append((name, items))
            lo, hi = bounds([sy, vy])
            x_end = float(sx[-1]) if len(sx) else 0.0
            self._earlier_bounds.append((x_end, lo, hi) if math.isfinite(lo) else (x_end, hi, hi))
            while len(self._earlier) > MAX_EARLIER_RUNS:
                self._remove_items(self._earlier.pop(0)[1])
                self._earlier_bounds.pop(0)
            self._legend_earlier()
        self._run = RunCurves(self._smoothing)
        self._hide_readout()  # its values belonged to the run that just ended
        n = len(self._earlier) + 1
        self._run_label = label or f"run {n}"
        self._reset_ranges()
        self.refresh()

    def _reset_ranges(self) -> None:
        """Fit every plot afresh at the next redraw, all in one frame (a change the person
        made, or a new run)."""
        for ranger in self._rangers.values():
            ranger.reset()
        self._dirty = self._force = self._all_at_once = True

    def clear_earlier(self) -> None:
        """Remove the faded curves of earlier runs."""
        for _, items in self._earlier:
            self._remove_items(items)
        self._earlier.clear()
        self._earlier_bounds.clear()
        self._legend_earlier()
        self._reset_ranges()
        self.refresh()

    def _remove_items(self, items: list[pg.PlotDataItem]) -> None:
        for it in items:
            vb = it.getViewBox()
            if vb is not None:
                vb.removeItem(it)

    def _legend_earlier(self) -> None:
        try:
            self._legend.removeItem("earlier runs")
        except Exception:  # noqa: BLE001 - pyqtgraph raises differently across versions
            pass
        if self._earlier:
            self._legend.addItem(
                pg.PlotDataItem([], [], pen=pen(GREY, 1.5, 140)), "earlier runs"
            )

    # ------------------------------------------------------------------ kept and given back
    def memory(self) -> PlotsMemory:
        """The curves shown now, by value (a lesson keeps the person's and gives them back)."""
        plots = {id(self.loss_plot.getPlotItem().getViewBox()): "loss",
                 id(self.acc_plot.getPlotItem().getViewBox()): "accuracy"}
        earlier = []
        for name, items in self._earlier:
            lines = []
            for it in items:
                x, y = it.getData()
                lines.append((plots.get(id(it.getViewBox()), "loss"),
                              np.array(x if x is not None else [], np.float64),
                              np.array(y if y is not None else [], np.float64),
                              it.opts["pen"]))
            earlier.append((name, tuple(lines)))
        return PlotsMemory(self._run.copy(), self._run_label, tuple(earlier),
                           tuple(self._earlier_bounds))

    def restore(self, memory: PlotsMemory) -> None:
        """Show the curves of :meth:`memory` again, instead of those shown now."""
        for _, items in self._earlier:
            self._remove_items(items)
        self._earlier.clear()
        plot = {"loss": self.loss_plot, "accuracy": self.acc_plot}
        for name, lines in memory.earlier:
            items = []
            for where, x, y, line_pen in lines:
                item = pg.PlotDataItem(x, y, pen=line_pen, antialias=False)
                plot[where].getPlotItem().addItem(item)
                fast_curve(item, smooth=True)
                item.setZValue(-10)
                items.append(item)
            self._earlier.append((name, items))
        self._earlier_bounds = list(memory.bounds)
        self._legend_earlier()
        self._run = memory.run.copy()
        self._run_label = memory.label
        self._hide_readout()
        self._reset_ranges()
        self.refresh()

    # ------------------------------------------------------------------ hover
    def _on_mouse_moved(self, pos: object) -> None:
        for w in (self.loss_plot, self.acc_plot, self.lr_plot):
            vb = w.getPlotItem().getViewBox()
            if w.scene() is not None and vb.sceneBoundingRect().contains(pos):
                x = vb.mapSceneToView(pos).x()
                self._show_readout(x)
                return
        self._hide_readout()

    def _hide_readout(self) -> None:
        self._hover_x = None
        for line in self._cursors:
            line.setVisible(False)
        self.readout.setText(READOUT_HINT)
        self.hovered.emit("")

    def _show_readout(self, x: float) -> None:
        self._hover_x = x
        text = self.readout_at(x)
        for line in self._cursors:
            line.setPos(x)
            line.setVisible(bool(text))
        self.readout.setText(text or READOUT_HINT)
        self.hovered.emit(text)

    def readout_at(self, x: float) -> str:
        """The values of the current run nearest to epoch position ``x`` as one line, then
        those of the overlay's runs."""
        extra = self.overlay.readout_at(x) if self.overlay is not None else ""
        if not self._live:
            return extra
        text = self._run.readout_at(x)
        return f"{text}\n{extra}" if text and extra else text or extra

    # ------------------------------------------------------------------ export
    def export_png(self, path: str | Path) -> None:
        """Save the three plots as one PNG image."""
        self.refresh()
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write the image {path}")

    def export_csv(self, path: str | Path) -> None:
        """Save the current run's metrics as CSV: one row per batch and one per epoch."""
        self._run.write_csv(path)

    # ------------------------------------------------------------------ current values
    def latest(self) -> dict[str, float]:
        """Latest smoothed cost/accuracy and last epoch values (NaN when unknown)."""
        return self._run.latest()
