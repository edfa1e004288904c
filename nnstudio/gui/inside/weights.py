"""Weights and gradients over time: histograms, update/weight ratios, neurons that stopped.

Recording is cheap and happens on every weight snapshot even while the view is hidden, so
the whole run is there when the person looks. A moment is recorded at most every
:data:`RECORD_S` (the update ÷ weight ratios of the snapshots in between are averaged into
it), and each record keeps a bounded number of moments (thinned out evenly when full), so
drawing costs the same after a minute or after a day of training, however many snapshots a
fast network sends. The plots are built a few per
event-loop turn, and the neuron check runs the samples through a private copy of the network
in pieces of a few milliseconds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.insight.health import HealthAccumulator, NeuronHealth, checked_layers
from nnstudio.core.insight.history import RowHistory
from nnstudio.core.insight.weights import HistogramHistory, layer_update_ratios
from nnstudio.gui.inside.base import (
    ChunkedJob,
    InsightView,
    PieceSizer,
    clone_steps,
    network_fits_dataset,
)
from nnstudio.gui.inside.style import (
    CLASS_COLOURS,
    GREY,
    INK,
    ORANGE,
    SEQUENTIAL,
    ColorLegend,
    image_item,
    light_plot,
    set_picture,
    style_plot,
    to_rgba,
)
from nnstudio.gui.session import Session

MAX_LAYERS = 6
RECORD_S = 0.2        # shortest time between two recorded moments (histograms, ratios)
HEALTH_S = 2.0        # shortest time between two neuron checks
HEALTH_TRAINING_S = 8.0  # ... while training runs
HEALTH_SAMPLES = 128
PIECE_MS = 6.0        # aim for pieces of the neuron check of about this long
BUILD_S = 0.005       # build plots for at most about this long per redraw
MAX_RATIOS = 300      # moments of each layer's update ÷ weight curve kept (thinned when full)


class WeightsView(InsightView):
    """Per-layer weight histograms over time, update ratios and neuron health."""

    title = "Weights and gradients"
    hint = ("Left: how the weights of each layer are spread, over the course of training "
            "(time runs to the right, darker = more weights with that value). Top right: "
            "how big each step is compared with the weights (update ÷ weight): around 0.001 is "
            "a healthy pace; far above, the learning rate is too high; far below, the layer "
            "hardly learns. Bottom right: neurons that stopped learning: a “dead” ReLU "
            "neuron outputs 0 for every sample, so its gradient is 0; a “saturated” sigmoid "
            "or tanh neuron sits at its limit, where the gradient is almost 0.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=200)
        self.setObjectName("weightsView")
        row = QHBoxLayout()
        self.body.addLayout(row, 1)
        left = QVBoxLayout()
        self.histograms = pg.GraphicsLayoutWidget()
        self.histograms.setObjectName("weightHistograms")
        self.histograms.setBackground("w")
        self.histograms.ci.layout.setSpacing(0)   # axes flush with their plots
        left.addWidget(self.histograms, 1)
        self.legend = ColorLegend(SEQUENTIAL, ["none", "", "most"],
                                  "share of the layer's weights at that value")
        self.legend.setMaximumWidth(320)
        left.addWidget(self.legend)
        row.addLayout(left, 3)

        right = QVBoxLayout()
        self.ratio_plot = pg.PlotWidget(background="w")
        self.ratio_plot.setObjectName("updateRatios")
        self.ratio_plot.hideButtons()
        self.ratio_plot.setMouseEnabled(False, False)
        self.ratio_plot.setLogMode(y=True)
        style_plot(self.ratio_plot.getPlotItem(), "batch", "update ÷ weight")
        self.ratio_plot.setTitle("Step size per layer", color=INK, size="10pt")
        self.ratio_plot.addItem(pg.InfiniteLine(
            pos=-3, angle=0, pen=pg.mkPen(GREY, style=Qt.PenStyle.DashLine),
            label="0.001: a healthy pace", labelOpts={"position": 0.2, "color": GREY}))
        self.ratio_legend = self.ratio_plot.addLegend(offset=(-10, 10), labelTextColor=INK)
        right.addWidget(self.ratio_plot, 3)
        self.health_title = QLabel("Neurons that stopped learning")
        self.health_title.setStyleSheet(f"color: {INK}; font-weight: bold;")
        right.addWidget(self.health_title)
        self.health = QListWidget()
        self.health.setObjectName("neuronHealth")
        self.health.setMaximumHeight(170)
        self.health.setWordWrap(True)
        right.addWidget(self.health, 1)
        row.addLayout(right, 2)

        self._hist: dict[str, HistogramHistory] = {}
        self._ratios: dict[str, RowHistory] = {}
        self._ratio_sums: dict[str, list[float]] = {}   # node -> [sum, count] since recorded
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._hist_items: dict[str, pg.ImageItem] = {}
        self._hist_axes: list[pg.AxisItem] = []
        self._hist_key: tuple | None = None
        self._last_record = -float("inf")
        #: seconds as float, for the recording cadence (``time.perf_counter``)
        self.clock = time.perf_counter
        self._step = 0
        self._health_time = 0.0
        self._health_stale = True
        self.report: dict[str, NeuronHealth] = {}
        self.health_job = ChunkedJob(self)
        self._sizer = PieceSizer(PIECE_MS)     # learns the cost of one sample
        self._cache: dict = {}
        self._seed_from_network()

    # ------------------------------------------------------------------ what is shown
    def histogram_moments(self) -> dict[str, int]:
        """For each layer with a weight histogram: how many moments of training it shows."""
        return {node: len(h) for node, h in self._hist.items()}

    @property
    def ratio_layers(self) -> list[str]:
        """Layers whose update ÷ weight curve is drawn."""
        return list(self._curves)

    def ratio_curve(self, node: str) -> tuple[np.ndarray, np.ndarray]:
        """The drawn update ÷ weight curve of layer ``node``: (batch, ratio) float64 (T,)."""
        x, y = self._curves[node].getOriginalDataset()
        return np.asarray(x, float), np.asarray(y, float)

    # ------------------------------------------------------------------ recording
    def _seed_from_network(self) -> None:
        self._hist.clear()
        self._ratios.clear()
        self._ratio_sums.clear()
        self._step = 0
        net = self.session.network
        if net is not None:   # read in place: histograms take a sample of each layer
            self._add_histograms({p.name: p.value for p in net.parameters()}, 0)

    def _add_histograms(self, weights: dict[str, np.ndarray], step: int) -> None:
        for name, w in weights.items():
            if not name.endswith("/W"):
                continue
            node = name.rpartition("/")[0]
            if node not in self._hist and len(self._hist) >= MAX_LAYERS:
                continue
            flat = w.reshape(-1)
            flat = flat[:: max(1, flat.size // 20000)]   # a sample is enough for the shape
            self._hist.setdefault(node, HistogramHistory()).add(flat, step)

    def record(self, snapshot: Any) -> None:
        if len(snapshot.batch_index):
            self._step = int(snapshot.batch_index[-1]) + 1
        for node, ratio in layer_update_ratios(snapshot.update_ratios).items():
            if node not in self._ratios:
                self._ratios[node] = RowHistory(1, MAX_RATIOS, np.float64)
            if ratio > 0 and np.isfinite(ratio):
                sums = self._ratio_sums.setdefault(node, [0.0, 0])
                sums[0] += ratio
                sums[1] += 1
        now = self.clock()
        if snapshot.weights and now - self._last_record >= RECORD_S:
            self._last_record = now
            self._add_histograms(snapshot.weights, self._step)
            for node, sums in self._ratio_sums.items():
                if sums[1]:
                    self._ratios[node].append(np.array([sums[0] / sums[1]]), self._step)
            self._ratio_sums.clear()
        self._health_stale = True

    def model_changed(self) -> None:
        self.health_job.cancel()
        self._cache.clear()
        self._sizer = PieceSizer(PIECE_MS)
        if self.session.history is None:
            self._seed_from_network()
        self._hist_key = None
        self._health_stale = True

    def dataset_changed(self) -> None:
        self._health_stale = True

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        net = self.session.network
        if net is None:
            self.show_message("There is no network to look at yet: the design has a problem "
                              "(the Design page says which).")
            return
        if not self._hist:
            self._seed_from_network()
        if not self._hist:
            self.show_message("This network has no weights to show.")
            return
        self.show_body()
        self._draw_histograms()
        self._draw_ratios()
        if self.health_job.running:
            pass
        elif self._health_stale and time.perf_counter() - self._health_time >= (
                HEALTH_TRAINING_S if self.training else HEALTH_S):
            self._check_health()
        elif self._health_stale:
            self.schedule()

    def _draw_histograms(self) -> None:
        key = tuple(self._hist)
        if key != self._hist_key:
            self.histograms.clear()
            self._hist_items = {}
            self._hist_axes = []
            self._hist_key = key
        if len(self._hist_items) < len(key):
            self._build_histograms(key)
        for node, item in self._hist_items.items():
            h = self._hist[node]
            img = h.image()                                   # (T, bins)
            peak = img.max(axis=1, keepdims=True)
            img = img / np.where(peak > 0, peak, 1)
            rgba = to_rgba(np.sqrt(img.T), 0.0, 1.0, SEQUENTIAL)  # (bins, T, 4)
            steps = h.steps
            x0 = float(steps[0])
            x1 = float(steps[-1]) + max(1.0, (steps[-1] - steps[0]) / max(len(steps) - 1, 1))
            r = h.half_range
            set_picture(item, rgba, QRectF(x0, -r, x1 - x0, 2 * r))
            item.getViewBox().setRange(xRange=(x0, x1), yRange=(-r, r), padding=0)

    def _build_histograms(self, key: tuple) -> None:
        """Add the plots still missing, for about BUILD_S while on screen (then redraw soon
        to go on), all at once otherwise."""
        t0 = time.perf_counter()
        limit = BUILD_S if self.isVisible() else float("inf")
        while len(self._hist_items) < len(key):
            i = len(self._hist_items)
            node = key[i]
            vb, _, bottom = light_plot(self.histograms.ci, 3 * i, node, "weight")
            item = image_item()
            vb.addItem(item)
            self._hist_items[node] = item
            self._hist_axes.append(bottom)
            if time.perf_counter() - t0 > limit:
                break
        if len(self._hist_items) == len(key):
            self._hist_axes[-1].setLabel("batch", color=INK, size="10pt")
        else:
            self._stale = True
            self._timer.start(0)

    def _draw_ratios(self) -> None:
        for i, (node, history) in enumerate(self._ratios.items()):
            curve = self._curves.get(node)
            if curve is None:
                colour = CLASS_COLOURS[(i + 1) % len(CLASS_COLOURS)]
                curve = self.ratio_plot.plot(pen=pg.mkPen(colour, width=2), name=node)
                self._curves[node] = curve
            curve.setData(history.steps.astype(float), history.rows[:, 0].copy())
        for node in list(self._curves):
            if node not in self._ratios:
                self.ratio_plot.removeItem(self._curves.pop(node))
                self.ratio_legend.removeItem(node)

    def _check_health(self) -> None:
        """Run the samples through a private copy, a few per turn of the event loop."""
        self._health_time = time.perf_counter()
        self._health_stale = False
        net, ds = self.session.network, self.session.dataset
        if not network_fits_dataset(net, ds):
            self.health.clear()
            self._health_line("Choose a dataset that fits this network to check its neurons.",
                              GREY)
            self.report = {}
            return
        layers = checked_layers(net.design)
        if not layers:
            self.health.clear()
            self._health_line("No hidden layer with ReLU, sigmoid or tanh to check.", GREY)
            self.report = {}
            return
        x = ds.x[:: max(1, ds.n // HEALTH_SAMPLES)][:HEALTH_SAMPLES]
        x = x.reshape(len(x), *net.input_shape)
        cache, sizer = self._cache, self._sizer

        def work():
            clone = yield from clone_steps(net, cache)   # the weights of now, kept apart
            acc = HealthAccumulator(clone.design)
            for _ in sizer.run(len(x), lambda sl: acc.add(clone.activations(x[sl]))):
                yield
            self.report = acc.report()
            self._show_health()

        self.health_job.start(work())

    def _show_health(self) -> None:
        self.health.clear()
        for node, h in self.report.items():
            colour = INK if h.ok else ORANGE
            text = f"{node} ({h.activation}, {h.n_units} neurons): {h.summary()}"
            if len(h.dead):
                text += f" — neurons {', '.join(map(str, h.dead[:8]))}"
                text += "…" if len(h.dead) > 8 else ""
            self._health_line(text, colour, bold=not h.ok)

    def _health_line(self, text: str, colour: str, bold: bool = False) -> None:
        item = QListWidgetItem(text)
        item.setForeground(QColor(colour))
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.health.addItem(item)
