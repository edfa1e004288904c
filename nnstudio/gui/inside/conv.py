"""Convolution: the filters of every Conv2D layer and the feature maps of the drawing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QWidget

from nnstudio.core.design import format_shape
from nnstudio.gui.inside.base import InsightView
from nnstudio.gui.inside.style import (
    DIVERGING,
    GREY,
    ColorLegend,
    image_item,
    mosaic,
    picture_box,
    set_picture,
    symmetric_rgba,
    to_rgba,
)
from nnstudio.gui.session import Session

MAX_FILTERS = 32      # filters drawn per layer
MAX_CHANNELS = 16     # input channels drawn per filter (deeper layers)
MAP_LAYERS = ("Conv2D", "MaxPool2D", "Activation", "Add", "Concatenate")


def filter_mosaic(w: np.ndarray) -> np.ndarray:
    """Filters ``W (F, C, k, k)`` as one picture.

    One input channel: the F filters side by side in rows of 8. Several channels: one column
    per filter, one row per input channel (the first MAX_FILTERS × MAX_CHANNELS).

    Returns
    -------
    ndarray, float32 (H, W), NaN in the gaps; row 0 is the top.
    """
    f, c, k, _ = w.shape
    w = w[:MAX_FILTERS, :MAX_CHANNELS]
    if c == 1:
        return mosaic(w[:, 0], cols=min(8, len(w)), gap=1)
    tiles = np.swapaxes(w, 0, 1).reshape(-1, k, k)     # (C * F, k, k): a row per input map
    return mosaic(tiles, cols=w.shape[0], gap=1)


def maps_mosaic(a: np.ndarray) -> np.ndarray:
    """Feature maps ``(F, H, W)`` of one sample, each scaled to its own largest magnitude,
    in rows of 8. Returns a float32 picture in [-1, 1] with NaN gaps, row 0 at the top."""
    a = np.asarray(a, dtype=np.float32)[:MAX_FILTERS]
    peak = np.abs(a).reshape(len(a), -1).max(axis=1)
    a = a / np.where(peak > 1e-12, peak, 1.0)[:, None, None]
    return mosaic(a, cols=min(8, len(a)), gap=max(1, a.shape[-1] // 10))


class ConvolutionView(InsightView):
    """Filters as small images and, below, the drawing passing through the layers."""

    title = "Convolution"
    hint = ("A convolution layer slides small filters over the image. Each filter is a tiny "
            "grid of weights (top row): blue weights add up the pixels under them, orange ones "
            "subtract. The result of one filter is a feature map (bottom row): it is bright "
            "where the image contains the pattern the filter looks for. Pooling then shrinks "
            "the maps, and the next layer looks for patterns of patterns.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=250)
        self.setObjectName("convView")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("convPictures")
        self.graphics.setBackground("w")
        self.body.addWidget(self.graphics, 1)
        self.legend = ColorLegend(DIVERGING, ["negative", "0", "positive"],
                                  "orange: negative weight / value · blue: positive")
        self.legend.setMaximumWidth(340)
        self.body.addWidget(self.legend)
        self.source = QLabel("")
        self.source.setObjectName("convSource")
        self.source.setStyleSheet(f"color: {GREY};")
        self.source.setWordWrap(True)
        self.body.addWidget(self.source)
        self._layout_key: tuple | None = None
        self._filter_items: dict[str, pg.ImageItem] = {}
        self._map_items: dict[str, pg.ImageItem] = {}
        self._input_item: pg.ImageItem | None = None

    # ------------------------------------------------------------------ what is shown
    @property
    def filter_layers(self) -> list[str]:
        """Ids of the convolution layers whose filters are drawn, in order."""
        return list(self._filter_items)

    @property
    def map_layers(self) -> list[str]:
        """Ids of the layers whose feature maps of the drawing are drawn, in order."""
        return list(self._map_items)

    def filter_picture(self, node_id: str) -> np.ndarray | None:
        """The drawn mosaic of ``node_id``'s filters (RGBA, rows × columns × 4), or None."""
        return self._filter_items[node_id].image

    def map_picture(self, node_id: str) -> np.ndarray | None:
        """The drawn mosaic of ``node_id``'s feature maps (RGBA), None before a sample."""
        return self._map_items[node_id].image

    def _on_input_changed(self) -> None:
        self.schedule()

    def model_changed(self) -> None:
        self._layout_key = None

    def _sample(self, net: Any) -> tuple[np.ndarray | None, str]:
        img = self.session.current_input
        if img is not None and img.size == int(np.prod(net.input_shape)):
            return img, "Feature maps of your drawing (Draw page)."
        ds = self.session.dataset
        if ds is not None and ds.n and ds.x[0].size == int(np.prod(net.input_shape)):
            return ds.x[0], ("Feature maps of the first sample of the dataset; draw a digit "
                             "on the Draw page to see yours.")
        return None, "Draw a digit on the Draw page to see its feature maps."

    def _build(self, net: Any, weights: dict, convs: list[str], maps: list[str]) -> None:
        g = self.graphics
        g.clear()
        self._filter_items, self._map_items = {}, {}
        design = net.design
        top = g.addLayout(row=0, col=0)
        for i, node_id in enumerate(convs):
            p = design.nodes[node_id].params
            c = int(weights[f"{node_id}/W"].shape[1])
            desc = f"{p['filters']} filters of {p['kernel_size']}×{p['kernel_size']}"
            if c > 1:
                desc += (f"<br>(a column per filter, a row for each of the "
                         f"{min(c, MAX_CHANNELS)} maps it reads)")
            vb = picture_box(top, 0, i, f"<b>{node_id}</b>: {desc}")
            item = image_item()
            vb.addItem(item)
            self._filter_items[node_id] = item
            width = filter_mosaic(weights[f"{node_id}/W"]).shape[1]
            top.layout.setColumnStretchFactor(i, max(1, width))
        g.addLabel("<b>The drawing, layer by layer</b> (each map scaled to its own "
                   "strongest value)", row=1, col=0, size="9pt", color="#333333")
        bottom = g.addLayout(row=2, col=0)
        vb = picture_box(bottom, 0, 0, "<b>input</b>")
        self._input_item = image_item()
        vb.addItem(self._input_item)
        for i, node_id in enumerate(maps):
            node = design.nodes[node_id]
            vb = picture_box(bottom, 0, i + 1, f"<b>{node_id}</b> ({node.kind})")
            item = image_item()
            vb.addItem(item)
            self._map_items[node_id] = item

    def refresh(self) -> None:
        net = self.session.network
        if net is None:
            self.show_message("There is no network to look at yet: the design has a problem "
                              "(the Design page says which).")
            return
        design = net.design
        order = design.topo_order()
        convs = [n for n in order if design.nodes[n].kind == "Conv2D"]
        if not convs:
            self.show_message("This network has no convolution layer, so there are no filters "
                              "to show. Try the “cnn” or “lenet” template (File > New from "
                              "template).")
            return
        self.show_body()
        shapes = self.session.analysis.shapes if self.session.analysis else {}
        maps = [n for n in order if design.nodes[n].kind in MAP_LAYERS
                and len(shapes.get(n) or ()) == 3][:6]
        key = (tuple(convs), tuple(maps))
        weights = {p.name: p.value for p in net.parameters()}   # read in place, no copies
        if key != self._layout_key:
            self._build(net, weights, convs, maps)
            self._layout_key = key
        for node_id, item in self._filter_items.items():
            pic = filter_mosaic(weights[f"{node_id}/W"])
            rgba, _ = symmetric_rgba(pic)
            set_picture(item, rgba, QRectF(0, 0, pic.shape[1], pic.shape[0]), flip=True)
        x, text = self._sample(net)
        self.source.setText(text)
        if x is None:
            for item in [*self._map_items.values(), self._input_item]:
                item.clear()
            return
        acts = net.activations(x.reshape(1, *net.input_shape))
        shown = np.asarray(x, np.float32).reshape(-1, *net.input_shape[-2:])[0]
        set_picture(self._input_item, to_rgba(shown, -1.0, 1.0),
                    QRectF(0, 0, shown.shape[1], shown.shape[0]), flip=True)
        for node_id, item in self._map_items.items():
            a = acts[node_id][0]
            pic = maps_mosaic(a)
            set_picture(item, to_rgba(pic, -1.0, 1.0),
                        QRectF(0, 0, pic.shape[1], pic.shape[0]), flip=True)
        self.source.setText(text + "  Shapes: " + ", ".join(
            f"{n} {format_shape(shapes.get(n))}" for n in self._map_items))
