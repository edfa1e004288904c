"""Recorded runs drawn over the Train page's plots, each in a colour of its own.

:class:`RunOverlay` draws the runs ticked in the Runs list on the three plots of the Train
page (given as an object with ``loss_plot``, ``acc_plot`` and ``lr_plot``): the smoothed
cost per batch and the validation cost per epoch, the validation accuracy (the smoothed
training accuracy when the run has no validation), the learning rate; the best epoch is
marked with a star and the last point with a dot. All runs' lines and marks on one plot are
one :class:`~nnstudio.gui.runs.picture.RunPicture`, painted again only when the view or the
runs change, never at a frame of the live run. Each run is named in the cost plot's legend
(clicking its sample hides or shows the run on all three plots) and in the hover readout
(:meth:`readout_at`). Curves are read from the records once and again only when a record
changed (a run still training).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPen

from nnstudio.gui.runs.picture import Line, Marks, RunPicture
from nnstudio.gui.train.curves import nearest
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


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most about :data:`STATIC_POINTS` points of the curve (x, y), shape (n,) each: the
    lowest and highest value of each stretch, in order, so its envelope looks the same."""
    n = len(x)
    if n <= STATIC_POINTS:
        return x, y
    step = -(-2 * n // STATIC_POINTS)
    m = n // step
    chunks = y[:m * step].reshape(m, step)
    pick = np.sort(np.stack([chunks.argmin(axis=1), chunks.argmax(axis=1)], axis=1), axis=1)
    idx = np.unique(np.concatenate([[0], (np.arange(m)[:, None] * step + pick).ravel(),
                                    [n - 1]]))
    return x[idx], y[idx]


class _Shown:
    """One run on the plots: its data, what it draws on each plot and its legend sample."""

    def __init__(self, run_id: str, name: str, color: str, data: RunCurveData,
                 smoothed: np.ndarray, smoothed_acc: np.ndarray) -> None:
        self.id, self.name, self.color, self.data = run_id, name, color, data
        self.smoothed, self.smoothed_acc = smoothed, smoothed_acc
        #: the legend's sample (drawn by the legend alone; clicking it hides the run)
        self.sample: pg.PlotDataItem | None = None


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
        self._width = 2.0
        #: every run's lines and marks on a plot are one item that Qt keeps as an image: as
        #: 20+ curve items each, they were all painted again at every frame of the live run
        self.pictures: dict[str, RunPicture] = {}
        for key in ("loss", "acc", "lr"):
            picture = RunPicture()
            picture.setZValue(5)
            getattr(plots, f"{key}_plot").getPlotItem().addItem(picture)
            self.pictures[key] = picture
        self._bounds: tuple[float, float, float, float] | None = None

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
        # times a thin one to paint)
        self._width = 2.0 if len(runs) <= FEW_RUNS else 1.0
        lines: dict[str, list[Line]] = {key: [] for key in self.pictures}
        marks: dict[str, list[Marks]] = {key: [] for key in self.pictures}
        for i, (run_id, name, path) in enumerate(runs):
            data = self._curves(Path(path), self.axis)
            if data is None:
                continue
            color = PALETTE[i % len(PALETTE)]
            colors[run_id] = color
            shown = _Shown(run_id, name, color, data, smooth(data.cost, self.weight),
                           smooth(data.accuracy, self.weight))
            self._draw(shown, lines, marks)
            self.shown.append(shown)
        for key, picture in self.pictures.items():
            picture.set_runs(lines[key], marks[key])
        self._bounds = self._measure()
        return colors

    def _draw(self, s: _Shown, lines: dict[str, list[Line]],
              marks: dict[str, list[Marks]]) -> None:
        """Add the lines and marks of ``s`` to those of each plot (by key)."""
        d, color, rid = s.data, QColor(s.color), s.id
        white = _pen("#ffffff", 1.0)
        bx, cost = _finite(d.batch_x, s.smoothed)
        # a long run's per-batch curve is thinned once to its envelope (the picture is
        # painted again at each change of the view's range)
        tx, ty = _thin(bx, cost)
        lines["loss"].append(Line(rid, tx, ty, _pen(s.color, self._width)))
        vx, vy = _finite(d.epoch_x, d.val_cost)
        if len(vx):
            lines["loss"].append(Line(rid, vx, vy, _pen(s.color, 1.0, dash=True)))
            marks["loss"].append(Marks(rid, vx, vy, "s", 5, color))
        ax, ay = _finite(d.epoch_x, d.val_accuracy)
        if not len(ax):
            ax, ay = _thin(*_finite(d.batch_x, s.smoothed_acc))
        else:
            marks["acc"].append(Marks(rid, ax, ay, "o", 5, color))
        lines["acc"].append(Line(rid, ax, ay, _pen(s.color, self._width)))
        lx, ly = _thin(*_finite(d.batch_x, d.lr))
        lines["lr"].append(Line(rid, lx, ly, _pen(s.color, 1.5)))
        if d.best is not None:                     # the best epoch: a star
            on_acc = bool(np.isfinite(d.val_accuracy).any())
            y = d.val_accuracy[d.best] if on_acc else (
                d.val_cost[d.best] if np.isfinite(d.val_cost[d.best]) else d.train_cost[d.best])
            marks["acc" if on_acc else "loss"].append(
                Marks(rid, np.array([d.epoch_x[d.best]]), np.array([y]), "star", 16, color,
                      white))
        if len(bx):                                # the last point: a dot
            marks["loss"].append(Marks(rid, bx[-1:], cost[-1:], "o", 9, color, white))
        legend = self.plots.loss_plot.getPlotItem().legend
        if legend is not None:
            s.sample = pg.PlotDataItem([], [], pen=_pen(s.color, self._width))
            s.sample.visibleChanged.connect(lambda rid=rid, sample=s.sample:
                                            self._hide(rid, not sample.isVisible()))
            legend.addItem(s.sample, s.name)

    def _hide(self, run_id: str, hidden: bool) -> None:
        for picture in self.pictures.values():
            picture.set_hidden(run_id, hidden)

    def clear(self) -> None:
        """Remove every run from the plots."""
        legend = self.plots.loss_plot.getPlotItem().legend
        for s in self.shown:
            if legend is not None and s.sample is not None:
                legend.removeItem(s.sample)
        self.shown = []
        for picture in self.pictures.values():
            picture.set_runs([], [])
        self._bounds = None

    # ------------------------------------------------------------ reading
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(largest x, lowest and highest cost, highest learning rate) of the runs drawn;
        None when none is (measured once per :meth:`show`: the plots ask at every frame)."""
        return self._bounds

    def _measure(self) -> tuple[float, float, float, float] | None:
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
                i = nearest(d.batch_x, x)
                if s.smoothed[i] == s.smoothed[i]:
                    bits.append(f"cost {s.smoothed[i]:.4g}")
            if len(d.epoch_x):
                j = nearest(d.epoch_x, x)
                if d.val_accuracy[j] == d.val_accuracy[j]:
                    bits.append(f"val acc {d.val_accuracy[j]:.1f}%")
                elif d.val_cost[j] == d.val_cost[j]:
                    bits.append(f"val cost {d.val_cost[j]:.4g}")
            if bits:
                parts.append(f"{s.name}: {', '.join(bits)}")
        return " ‖ ".join(parts)
