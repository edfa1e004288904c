"""Gradient descent on the cost surface: the ball rolling downhill.

The person picks two weights. Holding every other weight at its current value, the view
computes the cost over a grid of values of those two (on a few hundred samples), draws it
as a landscape with contour bands, and draws on top the path the two weights took during
training. Beside it, the cost against the first weight alone, with the tangent at the
current value: its slope is the gradient, and gradient descent steps against it.

What is shown (the two weights, the samples, the path) is chosen in
:mod:`nnstudio.gui.inside.cost_choice`; this module computes and draws it.

The landscape is computed on a private copy of the network by a :class:`ChunkedJob` in
pieces of a few milliseconds (a few samples of one grid point each, sized from the measured
cost of one sample), only when the choice changes, when the ball leaves the drawn area, or
every few seconds while training (every REFRESH_S for a network small enough for the curve
to follow every redraw, three times as long for others, so that it never slows the training
down; its note says when the landscape is behind); the ball and its path move on every
snapshot. The slower the network, the fewer samples the cost is averaged over (the view says
so), so the whole landscape takes about the same time for any network.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from nnstudio.core.insight.cost import (
    Pick,
    cost_curve,
    cost_slope,
    grid_points,
    iter_cost_pieces,
    span_around,
)
from nnstudio.gui.inside.base import (
    ChunkedJob,
    InsightView,
    PieceSizer,
    clone_network,
    clone_steps,
)
from nnstudio.gui.inside.cost_choice import CostChoice, live_weights
from nnstudio.gui.inside.cost_parts import (
    CostLine,
    Landscape,
    WeightPath,
    landscape_rgba,
    step_sentence,
    upsample,
)
from nnstudio.gui.inside.style import (
    BLUE,
    COST,
    GREY,
    INK,
    ORANGE,
    ColorLegend,
    fmt,
    image_item,
    set_picture,
    style_plot,
)
from nnstudio.gui.session import Session

MIN_SAMPLES = 8        # samples the cost is averaged over at least (slow networks)
SURFACE_BUDGET_S = 0.8  # aim for a landscape computed in about this much work time
EVAL_S = 0.010         # aim for one cost evaluation in about this long (sample size)
SYNC_S = 0.004         # the curve and tangent follow every redraw when 44 evaluations fit
PIECE_MS = 6.0         # aim for pieces of background work of about this long
REFRESH_S = 2.5        # while training, recompute the landscape at most this often


class CostSurfaceView(InsightView):
    """The cost over two chosen weights with the path of training on it."""

    title = "Cost surface"
    draws_later = True   # the landscape is computed in the background
    hint = ("The cost measures how wrong the network is on the data (lower is better). "
            "Pick two weights: the map shows the cost for every combination of their values, "
            "all other weights kept as they are now: dark is high, light is low. The line is "
            "the path these two weights took while training and the ball is where they are "
            "now. Gradient descent rolls the ball downhill: on the right, the slope of the "
            "tangent is the gradient. Plain gradient descent (sgd) moves the weight by "
            "−(learning rate × gradient) each step; momentum and Adam step differently, and "
            "the text below gives the step of the optimizer chosen for training.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=150)
        self.setObjectName("costView")
        #: what is shown: the weights across and up, the samples, the path
        self.choice = CostChoice(session)
        self.choice.picked.connect(self._on_pick)
        self.choice.samplesChosen.connect(self._on_data_chosen)
        self.choice.said.connect(lambda text: self.status.setText(text))
        self.pick_x, self.pick_y = self.choice.pick_x, self.choice.pick_y
        self.data_choice = self.choice.data_choice
        self.body.addWidget(self.choice)

        plots = QHBoxLayout()
        self.body.addLayout(plots, 1)
        self.map = pg.PlotWidget(background="w")
        self.map.setObjectName("costMap")
        self.map.hideButtons()
        self.map.setMouseEnabled(False, False)
        style_plot(self.map.getPlotItem())
        self.image = image_item()
        self.map.addItem(self.image)
        self.path = pg.PlotDataItem(pen=pg.mkPen("#1d3557", width=2), symbol="o",
                                    symbolSize=3, symbolBrush="#1d3557", symbolPen=None)
        self.start = pg.ScatterPlotItem(size=10, brush=pg.mkBrush("w"),
                                        pen=pg.mkPen("#1d3557", width=2))
        self.ball = pg.ScatterPlotItem(size=16, brush=pg.mkBrush(BLUE),
                                       pen=pg.mkPen("w", width=2))
        for z, item in enumerate((self.path, self.start, self.ball)):
            item.setZValue(10 + z)
            self.map.addItem(item)
        plots.addWidget(self.map, 1)

        self.curve_plot = pg.PlotWidget(background="w")
        self.curve_plot.setObjectName("costCurve")
        self.curve_plot.hideButtons()
        self.curve_plot.setMouseEnabled(False, False)
        style_plot(self.curve_plot.getPlotItem(), left="cost")
        self.curve = pg.PlotDataItem(pen=pg.mkPen(BLUE, width=2))
        self.tangent = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=3, style=Qt.PenStyle.DashLine))
        self.ball_1d = pg.ScatterPlotItem(size=14, brush=pg.mkBrush(BLUE),
                                          pen=pg.mkPen("w", width=2))
        for item in (self.curve, self.tangent, self.ball_1d):
            self.curve_plot.addItem(item)
        plots.addWidget(self.curve_plot, 1)

        bottom = QHBoxLayout()
        self.legend = ColorLegend(COST, ["low", "", "high"], "cost (contour bands)")
        self.legend.setMaximumWidth(260)
        bottom.addWidget(self.legend)
        self.status = QLabel("")
        self.status.setObjectName("costStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {INK};")
        bottom.addWidget(self.status, 1)
        self.body.addLayout(bottom)

        self.job = ChunkedJob(self)
        self.job.finished.connect(self._on_surface_done)
        self._job_cache: dict = {}
        self._now_cache: dict = {}
        #: the landscape drawn (None: none yet or out of date)
        self.landscape: Landscape | None = None
        self._surface_time = 0.0
        self._sizer = PieceSizer(PIECE_MS)    # sizes the pieces of work
        self._per_sample: float | None = None  # seconds for one more sample in an evaluation
        self._n_used = 0                      # samples the landscape is averaged over
        self._weights_at_surface: np.ndarray | None = None
        self._pending: Landscape | None = None  # the landscape being computed
        self._pending_stamp = self.weights_stamp  # ... from these weights
        self._cost_key: tuple | None = None   # the network's shapes the costs were learned on
        #: the cost along the first weight with its slope (None until computed)
        self.line: CostLine | None = None
        self._axis_names: tuple[str, str] | None = None

    # ------------------------------------------------------------------ what is shown
    @property
    def picks(self) -> list[Pick]:
        """The weights offered in the two lists, in their order."""
        return self.choice.picks

    @property
    def trace(self) -> WeightPath:
        """The listed weights' values at every snapshot."""
        return self.choice.path

    @property
    def held_out(self) -> bool:
        """The cost is measured on the held-out samples (else on training samples)."""
        return self.choice.held_out

    @property
    def _sample(self) -> tuple[np.ndarray, np.ndarray] | None:
        return self.choice.taken

    def _current_picks(self) -> list[Pick] | None:
        return self.choice.current()

    def _on_pick(self) -> None:
        self.landscape = None
        self.line = None
        self.job.cancel()
        self.schedule()

    def record(self, snapshot: Any) -> None:
        if snapshot.weights and self.choice.picks:
            self.choice.note(snapshot.weights)

    def model_changed(self) -> None:
        self.job.cancel()
        self.landscape = None
        self.line = None
        self.image.clear()
        self._draw_line()
        self.choice.forget_samples()
        net = self.session.network
        key = None if net is None else (tuple(net.input_shape), tuple(
            (p.name, p.value.shape) for p in net.parameters()))
        if key != self._cost_key:    # another network: what one sample costs is unknown
            self._cost_key = key
            self._sizer = PieceSizer(PIECE_MS)
            self._per_sample = None
        self._job_cache.clear()
        self._now_cache.clear()
        if self.session.history is None:
            self.choice.list_again()  # fresh weights: a new path
        self.choice.fill()
        net = self.session.network
        if net is not None and self.choice.picks and self.session.history is not None:
            self.choice.note(live_weights(net))

    def dataset_changed(self) -> None:
        self.job.cancel()
        self.landscape = None
        self.choice.forget_samples()
        self._sizer = PieceSizer(PIECE_MS)
        self._per_sample = None
        self.choice.list_again()

    # ------------------------------------------------------------------ drawing
    def _on_data_chosen(self) -> None:
        self.dataset_changed()
        self.line = None
        self._draw_line()
        self.schedule()

    def _sync(self, n: int) -> bool:
        """True when the curve and tangent (44 evaluations on ``n`` samples) are cheap
        enough to follow every redraw directly."""
        per = self._per_sample
        return per is not None and per * n * 44 < SYNC_S

    def _timed(self, pieces):
        """Advance a :func:`iter_cost_pieces` iterator, teaching the sizer each piece's cost;
        yields ``(item, seconds)``."""
        clock = self.job.clock   # the clock the job measures its work with
        while True:
            t0 = clock()
            try:
                item = next(pieces)
            except StopIteration:
                return
            dt = clock() - t0
            self._sizer.record(item[1], dt)
            yield item, dt

    def refresh(self) -> None:
        net = self.session.network
        if net is None:
            self.show_message("There is no network to look at yet: the design has a problem "
                              "(the Design page says which).")
            return
        self.choice.fill()
        if len(self.choice.picks) < 2:
            self.show_message("This network has fewer than two weights to choose from.")
            return
        if self.session.dataset is None:
            self.show_message("Choose a dataset: the cost is measured on data.")
            return
        data = self.choice.samples()
        if data is None:
            self.show_message(self.choice.problem or "The chosen dataset does not fit this "
                              "network, so its cost cannot be computed (see the Training "
                              "panel).")
            return
        self.show_body()
        picks = self._current_picks()
        if picks is None:
            return
        px, py = self.choice.names
        if self._axis_names != (px, py):
            self._axis_names = (px, py)
            self.map.setLabel("bottom", px)
            self.map.setLabel("left", py)
            self.curve_plot.setLabel("bottom", px)
        path = self.weight_path()
        self.path.setData(path[:, 0], path[:, 1])
        self.start.setData([path[0, 0]], [path[0, 1]])
        self.ball.setData([path[-1, 0]], [path[-1, 1]])
        if picks[0] == picks[1]:
            self.job.cancel()
            self.landscape = self.line = None
            self.image.clear()
            self._draw_line()
            self.status.setText("Pick two different weights to see the landscape.")
            self.picture_drawn(self.weights_stamp)
            return
        if self._needs_surface(path):
            self._start_surface(net, data, picks, path)
        if self._sync(len(data[0])):
            # small networks: the curve and the tangent follow every snapshot, across the
            # landscape being drawn (which holds the ball)
            clone = clone_network(net, self._now_cache)
            lo, hi = self._x_range(path)
            xs = np.linspace(lo, hi, 41)
            cost, slope = cost_slope(clone, data[0], data[1], picks[0])
            self.line = CostLine(xs, cost_curve(clone, data[0], data[1], picks[0], xs),
                                 float(path[-1, 0]), cost, slope)
        self._draw_line()

    def _x_range(self, path: np.ndarray) -> tuple[float, float]:
        land = self._pending if self.job.running else self.landscape
        if land is not None:
            return land.xr
        return span_around(path[-1, 0], path[:, 0], min_half=0.5)

    def weight_path(self) -> np.ndarray:
        """The path of the two chosen weights, float64 (T, 2): across, up."""
        return self.choice.chosen_path()

    def _needs_surface(self, path: np.ndarray) -> bool:
        land = self._pending if self.job.running else self.landscape
        if land is None or land.picks != self._current_picks():
            return True
        if not land.holds(*path[-1]):
            return True
        if self.job.running:
            return False
        weights_moved = self._weights_at_surface is not None and not np.array_equal(
            self._weights_at_surface, self.trace.last)
        wait = REFRESH_S * (1 if self._sync(self._n_used) else 3)
        return weights_moved and time.perf_counter() - self._surface_time > wait

    def _start_surface(self, net: Any, data: tuple, picks: list[Pick],
                       path: np.ndarray) -> None:
        """Start computing the landscape (and, for slow networks, the curve and tangent)."""
        land = Landscape(picks, span_around(path[-1, 0], path[:, 0], min_half=0.5),
                         span_around(path[-1, 1], path[:, 1], min_half=0.5))
        self._pending = land
        self._pending_stamp = self.weights_stamp
        self._weights_at_surface = self.trace.last.copy()
        self.status.setText("Computing the landscape…")
        self.job.start(self._surface_work(net, data, land, float(path[-1, 0]),
                                          float(path[-1, 1])))

    def _learn_sample_cost(self, clone: Any, x: np.ndarray, y: np.ndarray, picks: list[Pick],
                           at: list[float]):
        """Evaluate growing pieces until one takes a while: the cost of one more sample."""
        sizer, tried = self._sizer, []
        for (_, k, _), dt in self._timed(iter_cost_pieces(clone, x, y, picks, [at],
                                                          lambda: sizer.size)):
            tried.append(dt / k)
            if dt >= sizer.target_s / 2:
                break
            yield
        self._per_sample = min(tried[-2:])

    def _surface_work(self, net: Any, data: tuple, land: Landscape, w: float, wy: float):
        """The job computing ``land`` in pieces: a generator for :class:`ChunkedJob`."""
        clone = yield from clone_steps(net, self._job_cache)  # the weights of now, kept apart
        x_all, y_all = data
        picks = land.picks
        if self._per_sample is None:
            yield from self._learn_sample_cost(clone, x_all, y_all, picks, [w, wy])
        per = self._per_sample
        n = int(np.clip(EVAL_S / per, min(MIN_SAMPLES, len(x_all)), len(x_all)))
        x, y = x_all[:n], y_all[:n]
        self._n_used = n
        side = int(np.clip(np.sqrt(SURFACE_BUDGET_S / (per * n)), 11, 41))
        w1, w2 = np.linspace(*land.xr, side), np.linspace(*land.yr, side)
        land.grid = np.full((side, side), np.nan)
        points = grid_points(w1, w2)
        step = 1e-3 * max(1.0, abs(w))
        xs = np.linspace(*land.xr, 21)
        # the curve and the tangent first, across this landscape: with it they hold the ball
        line = np.concatenate([[w - step, w, w + step], xs])
        points = np.concatenate([np.stack([line, np.full(len(line), wy)], 1), points])
        n_line = len(points) - side * side
        costs = np.full(n_line, np.nan)
        sizer = self._sizer
        for (p, _, cost), _ in self._timed(iter_cost_pieces(clone, x, y, picks, points,
                                                            lambda: sizer.size)):
            if cost is not None:
                if p >= n_line:
                    land.grid[divmod(p - n_line, side)] = cost
                else:
                    costs[p] = cost
                    if p == n_line - 1:
                        self.line = CostLine(xs, costs[3:], w, float(costs[1]),
                                             float((costs[2] - costs[0]) / (2 * step)))
                        self._draw_line()
            yield

    def _on_surface_done(self) -> None:
        self.landscape = self._pending
        self._surface_time = time.perf_counter()
        self._draw_surface()
        self._draw_line()
        self.picture_drawn(self._pending_stamp)

    def _draw_surface(self) -> None:
        land = self.landscape
        if land is None or land.grid is None:
            return
        grid = land.grid
        rgba, log = landscape_rgba(upsample(grid, max(2, 200 // grid.shape[0])))
        (x0, x1), (y0, y1) = land.xr, land.yr
        set_picture(self.image, rgba, QRectF(x0, y0, x1 - x0, y1 - y0))
        self.map.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        lo, hi = float(np.nanmin(grid)), float(np.nanmax(grid))
        scale = " (log scale)" if log else ""
        self.legend.set_labels([fmt(lo), "", fmt(hi)], f"cost over this area{scale}")

    def _draw_line(self) -> None:
        """The cost against the horizontal weight, the tangent and the ball on it (nothing,
        not an earlier network's curve, until it is computed)."""
        line = self.line
        if line is None:
            for item in (self.curve, self.tangent, self.ball_1d):
                item.setData([], [])
            self.status.setText("Computing the landscape…" if self.job.running else "")
            return
        xs, ys, w, cost, slope = line.xs, line.ys, line.w, line.cost, line.slope
        lo, hi = float(xs[0]), float(xs[-1])
        self.curve.setData(xs, ys)
        half = 0.22 * (hi - lo)
        self.tangent.setData([w - half, w + half], [cost - slope * half, cost + slope * half])
        self.ball_1d.setData([w], [cost])
        finite = ys[np.isfinite(ys)]
        if finite.size:   # an infinite cost (a diverged run) must not set an infinite range
            top, bottom = float(finite.max()), float(finite.min())
            if np.isfinite(cost):
                top, bottom = max(top, cost), min(bottom, cost)
            pad = 0.08 * ((top - bottom) or 1.0)
            self.curve_plot.setRange(xRange=(lo, hi), yRange=(bottom - pad, top + pad),
                                     padding=0)
        name = self.pick_x.currentText()
        if abs(slope) < 1e-9:
            how = "the ground is flat here, so gradient descent leaves it where it is."
        elif slope > 0:
            how = "a larger weight costs more, so gradient descent makes it smaller."
        else:
            how = "a larger weight costs less, so gradient descent makes it larger."
        which = "held-out" if self.held_out else "training"
        taken = self.choice.taken
        n_on = self._n_used or (len(taken[0]) if taken else 0)
        text = (f"Cost now <b>{fmt(cost)}</b> on {n_on:,} {which} samples. "
                f"Gradient (slope) along {name}: "
                f"<b>{fmt(slope)}</b>: {how} {self.step_text(slope, w)}")
        n, total = self._n_used, len(taken[0]) if taken else 0
        if n and n < total:
            text += (f"<br><i>To stay quick with this network, the cost here is averaged "
                     f"over only {n} of {total} samples, so the landscape is approximate."
                     f"</i>")
        if self.job.running:
            text += " <i>Computing the landscape…</i>"
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {INK if np.isfinite(cost) else GREY};")

    def step_text(self, slope: float, w: float) -> str:
        """The next step of the weight across, as the optimizer in use will take it."""
        config = getattr(self.session.training, "config", None)
        picks = self._current_picks()
        if config is None or picks is None or not np.isfinite(slope):
            return ""
        return step_sentence(config, self.session.optimizer_state, picks[0], slope, w)
