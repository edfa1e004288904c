"""How a hidden layer sorts the samples: its activations over held-out samples, mapped to 2-D.

Every dot is one held-out sample, placed by the activations it causes in the chosen layer,
squeezed to two dimensions by principal component analysis
(:mod:`nnstudio.core.insight.projection`) and coloured by its true class. The person's drawing
is a ring on the same map; clicking a dot shows that sample. The map is computed on a worker
thread from copies of the weights and the samples, at most every :data:`EVERY_S` seconds
while training runs, so it never holds training back; when the map is behind training, the
view's note says from which epoch it is (:class:`~nnstudio.gui.inside.base.InsightView`).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.core.insight.projection import Projection, layer_projection
from nnstudio.gui.inside.base import (
    InsightView,
    held_out_indices,
    network_fits_dataset,
    worker_network,
)
from nnstudio.gui.inside.freshness import Stamp
from nnstudio.gui.inside.style import CLASS_COLOURS, GREY, INK, style_plot
from nnstudio.gui.pictures import thumbnail
from nnstudio.gui.session import Session
from nnstudio.gui.worker import Worker, work

__all__ = ["LayerMapView", "MapResult", "hidden_layers"]

#: held-out samples on the map
SAMPLES = 1000
#: shortest time between two maps while training runs
EVERY_S = 2.0
#: kinds of node whose output is a hidden representation worth mapping
_MAPPABLE = {"Dense", "Conv2D", "MaxPool2D", "Flatten", "Activation", "Dropout", "Add",
             "Concatenate"}


def hidden_layers(network: Any) -> list[str]:
    """Ids of the network's nodes between its input and its answer layer, in order."""
    design = network.design
    nodes = design.nodes
    answer = {src for name in network.layers if nodes[name].kind == "Output"
              for src in design.inputs_of(name)}
    return [n for n in network.layers if nodes[n].kind in _MAPPABLE and n not in answer]


@dataclass(frozen=True)
class MapResult:
    """What the worker computed: the map, the samples' classes, the drawing's place."""

    layer: str
    projection: Projection
    classes: np.ndarray          # (N,) int
    indices: np.ndarray          # (N,) dataset indices of the dots
    drawing: np.ndarray | None   # (2,) or None
    stamp: Stamp                 # the weights the map was computed from


def _compute(cache: dict, design: Any, weights: dict[str, np.ndarray], layer: str,
             x: np.ndarray, classes: np.ndarray, indices: np.ndarray,
             drawing: np.ndarray | None, stamp: Stamp) -> MapResult:
    """The map, on a worker (``cache``: see :func:`worker_network`)."""
    net = worker_network(cache, design, weights)
    proj, _ = layer_projection(net, layer, x)
    where = None
    if drawing is not None:
        acts = net.activations(drawing.reshape(1, *net.input_shape))[layer]
        where = proj.project(np.asarray(acts, dtype=np.float64).reshape(-1))
    return MapResult(layer, proj, classes, indices, where, stamp)


class LayerMapView(InsightView):
    """The hidden-layer map (``layerMapView``)."""

    title = "Layer map"
    draws_later = True
    hint = ("Each dot is a held-out sample, placed by the pattern of activations it causes in "
            "the chosen layer (the two directions in which those patterns differ most). "
            "Samples the layer treats alike sit together. When every colour gathers in a "
            "place of its own, the layers after it have an easy job; watch the colours pull "
            "apart as the network trains. The ring is your drawing; click a dot to see it.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=250)
        self.setObjectName("layerMapView")
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("layerMapLayer")
        self.layer_combo.setToolTip("Which layer's activations to map")
        self.layer_combo.currentIndexChanged.connect(self._on_layer_chosen)
        row.addWidget(self.layer_combo)
        self.status = QLabel("")
        self.status.setObjectName("layerMapStatus")
        self.status.setStyleSheet(f"color: {GREY};")
        row.addWidget(self.status, 1)
        self.body.addLayout(row)

        middle = QHBoxLayout()
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("layerMapPlot")
        style_plot(self.plot.getPlotItem(), bottom="direction 1", left="direction 2")
        self.plot.getPlotItem().hideButtons()
        self.dots: list[pg.ScatterPlotItem] = []
        self.ring = pg.ScatterPlotItem(size=22, symbol="o", pen=pg.mkPen(INK, width=3),
                                       brush=pg.mkBrush(0, 0, 0, 0))
        self.ring.setZValue(10)
        self.plot.addItem(self.ring)
        middle.addWidget(self.plot, 1)
        side = QVBoxLayout()
        self.sample_picture = QLabel()
        self.sample_picture.setObjectName("layerMapSample")
        self.sample_picture.setFixedSize(112, 112)
        self.sample_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample_picture.setStyleSheet("background: black;")
        side.addWidget(self.sample_picture)
        self.sample_text = QLabel("Click a dot.")
        self.sample_text.setObjectName("layerMapSampleText")
        self.sample_text.setWordWrap(True)
        self.sample_text.setFixedWidth(112)
        side.addWidget(self.sample_text)
        side.addSpacing(12)
        self.key = QLabel("")                 # the colours' key, beside the map, never over it
        self.key.setObjectName("layerMapKey")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setFixedWidth(112)
        self.key.setWordWrap(True)
        side.addWidget(self.key)
        side.addStretch(1)
        middle.addLayout(side)
        self.body.addLayout(middle, 1)

        self.result: MapResult | None = None
        self.clicked: int | None = None
        self._worker: Worker | None = None
        self._again = False             # something changed while a map was being computed
        self._copies: dict = {}         # the worker's copy of the network, kept between maps
        self._last_start = 0.0
        self._layers_key: tuple[str, ...] = ()

    # ------------------------------------------------------------------ state
    @property
    def computing(self) -> bool:
        """A map is being computed on the worker."""
        return self._worker is not None

    def _on_snapshot(self, snapshot: Any) -> None:
        self.schedule()

    def _on_input_changed(self) -> None:
        self.schedule()

    def _on_layer_chosen(self, _index: int) -> None:
        self.refresh_now()

    # ------------------------------------------------------------------ computing
    def refresh(self) -> None:
        net, ds = self.session.network, self.session.dataset
        if net is None:
            self.show_message("There is no network yet: the design has a problem (the Design "
                              "page says which).")
            return
        layers = hidden_layers(net)
        if not layers:
            self.show_message("This network has no hidden layer: its input goes straight to "
                              "its answer. Add a layer on the Design page to see how it sorts "
                              "the samples.")
            return
        if ds is None or ds.task == "regression" or not network_fits_dataset(net, ds):
            self.show_message("Choose labelled data that fits this network in the Training "
                              "panel: the map colours held-out samples by their class.")
            return
        self.show_body()
        self._fill_layers(layers)
        if self._worker is not None:
            self._again = True  # the one running ends soon; its result asks for the next
            return
        if self.training and time.monotonic() - self._last_start < EVERY_S:
            self.schedule()
            return
        self._start(net, ds)

    def _fill_layers(self, layers: list[str]) -> None:
        if tuple(layers) == self._layers_key:
            return
        keep = self.layer_combo.currentText()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(layers)
        self.layer_combo.setCurrentIndex(layers.index(keep) if keep in layers
                                         else len(layers) - 1)
        self.layer_combo.blockSignals(False)
        self._layers_key = tuple(layers)

    def _start(self, net: Any, ds: Any) -> None:
        held = held_out_indices(ds.n, self.session)
        if len(held) == 0:
            held = np.arange(ds.n)
        idx = np.sort(held[:SAMPLES])
        x = ds.x[idx].reshape(len(idx), *net.input_shape).copy()
        y = np.asarray(ds.y[idx])
        classes = (np.argmax(y, axis=1) if y.ndim == 2 else y).astype(np.int64)
        drawing = self.session.current_input
        if drawing is not None and drawing.size != int(np.prod(net.input_shape)):
            drawing = None
        self._last_start = time.monotonic()
        self._worker = work(_compute, self._copies, net.design.copy(), net.get_weights(),
                            self.layer_combo.currentText(), x, classes, idx,
                            None if drawing is None else drawing.copy(), self.weights_stamp,
                            name="layer-map")
        # bound methods: a view closed meanwhile is simply not called
        self._worker.result.connect(self._on_result)
        self._worker.error.connect(self._on_error)
        if self.result is None:
            self.status.setText("Computing the map…")

    def _on_result(self, result: MapResult) -> None:
        self._worker = None
        net = self.session.network
        if net is not None and result.layer in hidden_layers(net):
            self.result = result
            self._draw(result)
            self.picture_drawn(result.stamp)
        if self._again or self.result is not result:
            self._again = False
            self.schedule()

    def _on_error(self, exc: BaseException) -> None:
        self._worker = None
        self.status.setText(f"The map could not be computed: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ drawing
    def _draw(self, r: MapResult) -> None:
        ds = self.session.dataset
        names = ds.classes if ds is not None else []
        for item in self.dots:
            self.plot.removeItem(item)
        self.dots = []
        key = []
        pts = r.projection.points
        for k in np.unique(r.classes):
            mask = r.classes == k
            colour = CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]
            item = pg.ScatterPlotItem(pts[mask, 0], pts[mask, 1], size=6,
                                      pen=None, brush=pg.mkBrush(colour),
                                      data=np.flatnonzero(mask))
            item.sigClicked.connect(self._on_dot_clicked)
            self.plot.addItem(item)
            self.dots.append(item)
            label = names[int(k)] if int(k) < len(names) else str(int(k))
            key.append(f'<span style="color:{colour}">&#9679;</span> {html.escape(label)}')
        if r.drawing is not None:
            key.append("&#9711; your drawing")
        self.key.setText("<br>".join(key))
        if r.drawing is not None:
            self.ring.setData([float(r.drawing[0])], [float(r.drawing[1])])
        else:
            self.ring.setData([], [])
        share = r.projection.explained.sum() * 100
        self.status.setText(f"{len(pts):,} held-out samples of layer {r.layer}; the two "
                            f"directions hold {share:.0f}% of the spread.")

    def _on_dot_clicked(self, item: pg.ScatterPlotItem, points: list, _ev: Any = None) -> None:
        if not points or self.result is None:
            return
        self.show_sample(int(points[0].data()))

    def show_sample(self, dot: int) -> None:
        """Show dot number ``dot`` of the map (its picture, class and place)."""
        r, ds = self.result, self.session.dataset
        if r is None or ds is None or not 0 <= dot < len(r.indices):
            return
        self.clicked = dot
        sample = int(r.indices[dot])
        img = np.asarray(ds.x[sample], dtype=np.float32)
        side = int(round(np.sqrt(img.size)))
        if side * side == img.size:
            self.sample_picture.setPixmap(QPixmap.fromImage(
                thumbnail(img.reshape(side, side), max(1, 112 // side))))
        names = ds.classes
        k = int(r.classes[dot])
        self.sample_text.setText(f"Sample {sample:,}: a {names[k] if k < len(names) else k}")
