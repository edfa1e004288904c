"""The decision boundary of a network with two inputs, and what each hidden neuron sees.

The whole plane under the data is one batch: a 100 × 100 grid of points goes through the
network once (``Network.activations``), which gives the output and every hidden neuron's
response at the same time. A toy set fed as other features than (x1, x2) (x1², sin x1, ...)
is drawn over its own plane: each grid point is turned into those features first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.insight.plane import plane_bounds, plane_grid
from nnstudio.data.toy import PLAIN, feature_columns, toy_points
from nnstudio.gui.inside.base import InsightView, held_out_indices
from nnstudio.gui.inside.style import (
    BLUE,
    CLASS_COLOURS,
    DIVERGING,
    GREY,
    INK,
    ORANGE,
    ColorLegend,
    fmt,
    image_item,
    picture_box,
    set_picture,
    style_plot,
    symmetric_rgba,
    to_rgba,
)
from nnstudio.gui.session import Session

GRID = 100          # points per side of the output picture
NEURON_STEP = 3     # the small neuron pictures use every third grid point (34 × 34)
MAX_NEURONS = 8     # per layer
MAX_LAYERS = 6


def _class_rgba(probs: np.ndarray, discrete: bool) -> np.ndarray:
    """Colour of the most likely class, paler where the network is unsure. (M, K) -> (M, 4)."""
    k = probs.shape[1]
    palette = np.array([pg.mkColor(CLASS_COLOURS[i % len(CLASS_COLOURS)]).getRgb()
                        for i in range(k)], dtype=np.float32)
    best = probs.argmax(axis=1)
    conf = np.ones(len(probs), np.float32) if discrete else probs.max(axis=1)
    strength = np.clip((conf - 1.0 / k) / (1 - 1.0 / k), 0, 1)[:, None] * 0.75
    rgb = 255 * (1 - strength) + palette[best, :3] * strength
    out = np.empty((len(probs), 4), np.uint8)
    out[:, :3] = rgb
    out[:, 3] = 255
    return out


class DecisionBoundaryView(InsightView):
    """Output of a 2-input network over the plane, the data on top, one picture per neuron."""

    title = "Decision boundary"
    hint = ("Every point of the plane is fed to the network as (x₁, x₂); its colour is the "
            "network's answer there. Dots are the data: white rim = training samples, dark "
            "rim = test samples kept aside. The line where the colour flips is the decision "
            "boundary. The small squares show what each hidden neuron answers over the same "
            "plane: the network mixes these with its weights.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=100)
        self.setObjectName("boundaryView")
        row = QHBoxLayout()
        self.body.addLayout(row, 1)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("boundaryPlot")
        self.plot.setAspectLocked(True)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        style_plot(self.plot.getPlotItem(), "x₁", "x₂")
        self.image = image_item()
        self.plot.addItem(self.image)
        self.train_dots = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1.2))
        self.test_dots = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222222", width=1.2))
        self.plot.addItem(self.train_dots)
        self.plot.addItem(self.test_dots)
        #: a perceptron's own line w1·x1 + w2·x2 + b = 0, redrawn as it learns
        self.neuron_line = pg.PlotDataItem(pen=pg.mkPen(INK, width=2.5))
        self.plot.addItem(self.neuron_line)
        row.addWidget(self.plot, 3)

        side = QVBoxLayout()
        self.neurons_title = QLabel("What each hidden neuron answers")
        self.neurons_title.setStyleSheet(f"color: {INK}; font-weight: bold;")
        side.addWidget(self.neurons_title)
        self.neurons = pg.GraphicsLayoutWidget()
        self.neurons.setObjectName("neuronPictures")
        self.neurons.setBackground("w")
        self.neurons.ci.setSpacing(3)
        side.addWidget(self.neurons, 1)
        self.legend = ColorLegend(DIVERGING, ["-1", "0", "+1"],
                                  "orange: negative / class 0 · blue: positive / class 1")
        side.addWidget(self.legend)
        checks = QHBoxLayout()
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setObjectName("discretizeOutput")
        self.discretize.setToolTip("Show only the decided class (or rounded value), no shades")
        self.discretize.toggled.connect(self.refresh_now)
        self.show_test = QCheckBox("Show test data")
        self.show_test.setObjectName("showTestData")
        self.show_test.setChecked(True)
        self.show_test.toggled.connect(self.refresh_now)
        checks.addWidget(self.discretize)
        checks.addWidget(self.show_test)
        checks.addStretch(1)
        side.addLayout(checks)
        self.stats = QLabel("")
        self.stats.setObjectName("boundaryStats")
        self.stats.setStyleSheet(f"color: {GREY};")
        side.addWidget(self.stats)
        self.line_label = QLabel("")
        self.line_label.setObjectName("neuronLineText")
        self.line_label.setWordWrap(True)
        self.line_label.setStyleSheet(f"color: {INK};")
        side.addWidget(self.line_label)
        row.addLayout(side, 2)

        self._grid_key: tuple | None = None
        self._grid: np.ndarray | None = None
        self._neuron_key: tuple | None = None
        self._neuron_items: list[list[pg.ImageItem]] = []
        self._points_key: tuple | None = None

    @property
    def neuron_images(self) -> tuple[tuple[pg.ImageItem, ...], ...]:
        """The small pictures of what each hidden neuron sees: one tuple per layer."""
        return tuple(tuple(items) for items in self._neuron_items)

    # ------------------------------------------------------------------ state
    def model_changed(self) -> None:
        self._neuron_key = None

    def dataset_changed(self) -> None:
        self._points_key = None
        self._grid_key = None
        self._grid = None

    def _plane(self) -> tuple[np.ndarray, list[str]] | None:
        """The 2-D points of the data and the features they are fed as, or None."""
        ds = self.session.dataset
        if ds is None or not ds.n:
            return None
        points = toy_points(ds)
        if points is not None:
            return points, list(ds.meta.get("features", PLAIN))
        return (ds.x, list(PLAIN)) if ds.sample_shape == (2,) else None

    def _bounds(self) -> tuple[float, float, float, float]:
        plane = self._plane()
        if plane is not None:
            x0, x1, y0, y1 = plane_bounds(plane[0], margin=0.08)
            half = max(x1 - x0, y1 - y0) / 2
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            return (cx - half, cx + half, cy - half, cy + half)
        return (-1.0, 1.0, -1.0, 1.0)

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        net = self.session.network
        if net is None:
            self.show_message("There is no network to look at yet: the design has a problem "
                              "(the Design page says which).")
            return
        plane = self._plane()
        features = plane[1] if plane is not None else list(PLAIN)
        if int(np.prod(net.input_shape)) != len(features):
            self.show_message(
                "The decision boundary is drawn for networks with two inputs (x₁, x₂), like "
                "the “playground” or “perceptron” templates with a 2-D toy dataset. This "
                f"network takes {int(np.prod(net.input_shape))} inputs.")
            return
        self.show_body()
        bounds = self._bounds()
        if self._grid_key != (bounds, tuple(features)):
            self._grid = feature_columns(plane_grid(bounds, GRID), features).reshape(
                -1, *net.input_shape)
            self._grid_key = (bounds, tuple(features))
        acts = net.activations(self._grid)
        out_id = net.design.output_node.id
        out = acts[out_id].reshape(GRID * GRID, -1)
        rect = QRectF(bounds[0], bounds[2], bounds[1] - bounds[0], bounds[3] - bounds[2])
        set_picture(self.image, self._output_rgba(net, out).reshape(GRID, GRID, 4), rect)
        self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)
        self._draw_points()
        self._draw_neuron_line(net, bounds)
        self._draw_neurons(net, acts)

    def _draw_neuron_line(self, net: Any, bounds: tuple[float, float, float, float]) -> None:
        """The perceptron's line where w1·x1 + w2·x2 + b = 0 (its decision boundary)."""
        from nnstudio.core.perceptron import Perceptron, is_perceptron

        if not is_perceptron(net):
            self.neuron_line.setData([], [])
            self.line_label.setText("")
            return
        neuron = Perceptron.from_network(net)
        (w1, w2), theta = (float(v) for v in neuron.weights), neuron.threshold
        x0, x1, y0, y1 = bounds
        if abs(w2) >= abs(w1) and w2 != 0:
            xs = np.array([x0, x1])
            ys = (theta - w1 * xs) / w2
        elif w1 != 0:
            ys = np.array([y0, y1])
            xs = (theta - w2 * ys) / w1
        else:
            xs = ys = np.array([])
        self.neuron_line.setData(xs, ys)
        self.line_label.setText(f"The neuron's line: {fmt(w1)}·x₁ + {fmt(w2)}·x₂ = {fmt(theta)} "
                          "(it fires on the side where the sum is greater)")

    def _output_rgba(self, net: Any, out: np.ndarray) -> np.ndarray:
        discrete = self.discretize.isChecked()
        ds = self.session.dataset
        if net.task == "regression":
            v = out[:, 0]
            lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
            if ds is not None and ds.task == "regression" and ds.n:
                lo, hi = min(lo, float(ds.y.min())), max(hi, float(ds.y.max()))
            if discrete:
                step = (hi - lo) / 8 or 1.0
                v = lo + (np.floor((v - lo) / step) + 0.5) * step
            self._value_range = (lo, hi)
            self.legend.set_labels([fmt(lo), fmt((lo + hi) / 2), fmt(hi)],
                                   "the network's answer (orange: low · blue: high)")
            return to_rgba(v, lo, hi)
        self._value_range = None
        if out.shape[1] > 2:
            self.legend.set_labels(["unsure", "", "sure"],
                                   "colour: the class it picks · pale: unsure")
            return _class_rgba(out, discrete)
        p = out[:, -1]
        v = 2 * p - 1
        if discrete:
            v = np.where(v >= 0, 1.0, -1.0)
        names = self.session.class_names
        a, b = (names + ["0", "1"])[:2] if len(names) < 2 else names[:2]
        self.legend.set_labels([f"{a}", "unsure", f"{b}"],
                               f"orange: class {a} · blue: class {b}")
        return symmetric_rgba(v, 1.0)[0]

    def _draw_points(self) -> None:
        ds = self.session.dataset
        plane = self._plane()
        if ds is None or plane is None:
            self.train_dots.clear()
            self.test_dots.clear()
            self.stats.setText("No 2-D dataset chosen: only the network's answer is shown.")
            return
        key = (id(ds), self.show_test.isChecked(), getattr(self, "_value_range", None))
        if key == self._points_key:
            return
        self._points_key = key
        test = np.zeros(ds.n, bool)
        test[held_out_indices(ds.n, self.session)] = True
        if ds.task == "classification":
            palette = ([ORANGE, BLUE] if ds.n_classes <= 2 else CLASS_COLOURS)
            brushes = np.array([pg.mkBrush(palette[int(c) % len(palette)]) for c in
                                range(max(ds.n_classes, 2))], dtype=object)[ds.y]
        else:
            lo, hi = getattr(self, "_value_range", None) or (float(ds.y.min()),
                                                             float(ds.y.max()))
            rgba = to_rgba(ds.y[:, 0], lo, hi)
            brushes = np.array([pg.mkBrush(*c) for c in rgba], dtype=object)
        points = plane[0]
        self.train_dots.setData(pos=points[~test], brush=list(brushes[~test]))
        if self.show_test.isChecked():
            self.test_dots.setData(pos=points[test], brush=list(brushes[test]))
        else:
            self.test_dots.clear()
        self.stats.setText(f"{int((~test).sum())} training and {int(test.sum())} test "
                           f"samples of “{ds.name}”.")

    def _hidden_layers(self, net: Any, acts: dict) -> list[tuple[str, str, int]]:
        design = net.design
        out: list[tuple[str, str, int]] = []
        last = design.inputs_of(design.output_node.id)
        for node_id in design.topo_order():
            node = design.nodes[node_id]
            if node.kind not in ("Dense", "Activation") or node_id in last:
                continue
            a = acts.get(node_id)
            if a is None or a.ndim != 2:
                continue
            fn = node.params.get("activation", node.params.get("function", "linear"))
            out.append((node_id, fn, a.shape[1]))
        return out[:MAX_LAYERS]

    def _draw_neurons(self, net: Any, acts: dict) -> None:
        layers = self._hidden_layers(net, acts)
        key = tuple((n, u) for n, _, u in layers)
        if key != self._neuron_key:
            self.neurons.clear()
            self._neuron_items = []
            for col, (node_id, fn, units) in enumerate(layers):
                shown = min(units, MAX_NEURONS)
                more = f" (first {shown})" if units > shown else ""
                self.neurons.addLabel(f"{node_id}<br>{fn}{more}", row=0, col=col,
                                      size="8pt", color=INK)
                items = []
                for r in range(shown):
                    vb = picture_box(self.neurons, r + 1, col)
                    item = image_item()
                    item.setBorder(pg.mkPen("#9a9a9a"))
                    vb.addItem(item)
                    vb.setRange(QRectF(0, 0, 1, 1), padding=0.02)
                    items.append(item)
                self._neuron_items.append(items)
            self._neuron_key = key
            self.neurons_title.setVisible(bool(layers))
            self.neurons.setVisible(bool(layers))
        n = GRID // NEURON_STEP + (GRID % NEURON_STEP > 0)
        for (node_id, fn, _units), items in zip(layers, self._neuron_items, strict=False):
            a = acts[node_id].reshape(GRID, GRID, -1)[::NEURON_STEP, ::NEURON_STEP]
            a = a[:, :, : len(items)].reshape(n * n, -1)
            if fn == "sigmoid":
                a, vmax = 2 * a - 1, 1.0
            elif fn == "tanh":
                vmax = 1.0
            else:
                vmax = None
            for j, item in enumerate(items):
                rgba, _ = symmetric_rgba(a[:, j], vmax)
                set_picture(item, rgba.reshape(n, n, 4), QRectF(0, 0, 1, 1))
