"""Convolution: the filters of every Conv2D layer and the feature maps of the drawing.

The first layer's filters are drawn large (a 3×3 filter at least :data:`FILTER_PX` pixels
wide), and beside them how each weight changed since a moment to compare with: when the
design was set, or when :meth:`ConvolutionView.mark_reference` was last called (the "Compare
from now" button, or a lesson's step opening). The change has its own colour scale, so the
small steps of training are visible long before the filters themselves look different.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QWidget

from nnstudio.core.design import format_shape
from nnstudio.core.insight.convolution import conv_pixel
from nnstudio.gui.inside.base import InsightView
from nnstudio.gui.inside.conv_arith import ArithmeticPanel, ClickableImage, maps_layout, tile_at
from nnstudio.gui.inside.style import (
    DIVERGING,
    GREY,
    ORANGE,
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
#: the least width, in pixels, of one filter of the first layer (a 3×3 filter: 16 px a weight)
FILTER_PX = 48
#: filters per row of the first layer's (large) mosaic
FIRST_COLS = 4
#: pixels per weight of a deeper layer's filters (fewer where its mosaic would be wider
#: than DEEP_WIDTH, never fewer than 3)
DEEP_PX = 8
DEEP_WIDTH = 560
#: the least height of a layer's feature maps, so a pixel of them can be told and clicked
MAPS_PX = 170


def filter_mosaic(w: np.ndarray, cols: int = 8) -> np.ndarray:
    """Filters ``W (F, C, k, k)`` as one picture.

    One input channel: the F filters side by side in rows of ``cols``. Several channels: one
    column per filter, one row per input channel (the first MAX_FILTERS × MAX_CHANNELS).

    Returns
    -------
    ndarray, float32 (H, W), NaN in the gaps; row 0 is the top.
    """
    f, c, k, _ = w.shape
    w = w[:MAX_FILTERS, :MAX_CHANNELS]
    if c == 1:
        return mosaic(w[:, 0], cols=min(cols, len(w)), gap=1)
    tiles = np.swapaxes(w, 0, 1).reshape(-1, k, k)     # (C * F, k, k): a row per input map
    return mosaic(tiles, cols=w.shape[0], gap=1)


def maps_mosaic(a: np.ndarray) -> np.ndarray:
    """Feature maps ``(F, H, W)`` of one sample, each scaled to its own largest magnitude,
    in rows of 4. Returns a float32 picture in [-1, 1] with NaN gaps, row 0 at the top."""
    a = np.asarray(a, dtype=np.float32)[:MAX_FILTERS]
    peak = np.abs(a).reshape(len(a), -1).max(axis=1)
    a = a / np.where(peak > 1e-12, peak, 1.0)[:, None, None]
    cols, gap = maps_layout(len(a), a.shape[-1])
    return mosaic(a, cols=cols, gap=gap)


class ConvolutionView(InsightView):
    """Filters as small images and, below, the drawing passing through the layers."""

    title = "Convolution"
    hint = ("A convolution layer slides small filters over the image. Each filter is a tiny "
            "grid of weights (top row): blue weights add up the pixels under them, orange ones "
            "subtract. The result of one filter is a feature map (bottom row): it is bright "
            "where the image contains the pattern the filter looks for. Pooling then shrinks "
            "the maps, and the next layer looks for patterns of patterns. Click a pixel of "
            "the first layer's maps to see its sum worked out.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=250)
        self.setObjectName("convView")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("convPictures")
        self.graphics.setBackground("w")
        # filters, change and maps keep readable sizes; a short window scrolls them
        self.scroll = QScrollArea()
        self.scroll.setObjectName("convScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.graphics)
        self.body.addWidget(self.scroll, 1)
        self.legend = ColorLegend(DIVERGING, ["negative", "0", "positive"],
                                  "orange: negative weight / value · blue: positive")
        self.legend.setMaximumWidth(340)
        self.body.addWidget(self.legend)
        row = QHBoxLayout()
        self.mark_button = QPushButton("Compare from now")
        self.mark_button.setObjectName("convMark")
        self.mark_button.setToolTip("Show how the first layer's filters change from this "
                                    "moment on")
        self.mark_button.clicked.connect(lambda _=False: self.mark_reference("since you "
                                                                             "pressed Compare"))
        self.change_note = QLabel("")
        self.change_note.setObjectName("convChange")
        self.change_note.setWordWrap(True)
        row.addWidget(self.mark_button)
        row.addWidget(self.change_note, 1)
        self.body.addLayout(row)
        self.source = QLabel("")
        self.source.setObjectName("convSource")
        self.source.setStyleSheet(f"color: {GREY};")
        self.source.setWordWrap(True)
        self.body.addWidget(self.source)
        self.arithmetic = ArithmeticPanel()
        self.arithmetic.moved.connect(self._step_window)
        self.body.addWidget(self.arithmetic)
        #: the feature-map pixel worked out: (layer, filter, y, x), None until one is clicked
        self.picked: tuple[str, int, int, int] | None = None
        self._outline = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=3))
        self._layout_key: tuple | None = None
        self._filter_items: dict[str, pg.ImageItem] = {}
        self._map_items: dict[str, pg.ImageItem] = {}
        self._input_item: pg.ImageItem | None = None
        self._change_item: pg.ImageItem | None = None
        self._change_title: Any = None
        #: the first layer's filters to compare with, and since when (in words)
        self._reference: tuple[str, np.ndarray] | None = None
        self._since = "since the design was set"

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

    def change_picture(self) -> np.ndarray | None:
        """The drawn change of the first layer's filters since the reference (RGBA)."""
        return None if self._change_item is None else self._change_item.image

    def filter_change(self) -> np.ndarray | None:
        """The first layer's filters now minus those it is compared with, ``(F, C, k, k)``;
        None when there is no convolution layer."""
        net = self.session.network
        if net is None or self._reference is None:
            return None
        node_id, before = self._reference
        now = {p.name: p.value for p in net.parameters()}.get(f"{node_id}/W")
        if now is None or now.shape != before.shape:
            return None
        return np.asarray(now, np.float32) - before

    def mark_reference(self, since: str = "since this step opened") -> None:
        """Compare the first layer's filters with how they are now, from here on."""
        self._since = since
        self._reference = None
        self._take_reference()
        self.schedule()

    def _take_reference(self) -> None:
        net = self.session.network
        if net is None:
            return
        design = net.design
        convs = [n for n in design.topo_order() if design.nodes[n].kind == "Conv2D"]
        weights = {p.name: p.value for p in net.parameters()}
        if convs and f"{convs[0]}/W" in weights:
            self._reference = (convs[0], np.array(weights[f"{convs[0]}/W"], np.float32))

    def _on_design_replaced(self) -> None:
        self._since = "since the design was set"
        self._reference = None
        self._take_reference()
        super()._on_design_replaced()

    def model_changed(self) -> None:
        self._layout_key = None
        net = self.session.network
        if self.picked is not None and (net is None or self.picked[0] not in net.design.nodes):
            self.picked = None
            self.arithmetic.clear()
        history = self.session.history
        change = self.filter_change()
        fresh = history is None or not getattr(history, "epochs", None)
        if fresh and (change is None or np.abs(change).max(initial=0.0) > 0):
            self._since = "since the weights were set"  # (Reset, or weights set by hand)
            self._take_reference()

    def map_picture(self, node_id: str) -> np.ndarray | None:
        """The drawn mosaic of ``node_id``'s feature maps (RGBA), None before a sample."""
        return self._map_items[node_id].image

    def _on_input_changed(self) -> None:
        self.schedule()

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
        top.layout.setHorizontalSpacing(28)  # the filters and their change stay apart
        self._change_item = self._change_title = None
        col, first_px, deep_px = 0, 0.0, 0.0
        n_deep = len(convs) - 1
        for i, node_id in enumerate(convs):
            p = design.nodes[node_id].params
            w = weights[f"{node_id}/W"]
            c = int(w.shape[1])
            desc = f"{p['filters']} filters of {p['kernel_size']}×{p['kernel_size']}"
            if c > 1:
                desc += (f" (a column per filter, a row for each of the "
                         f"{min(c, MAX_CHANNELS)} maps it reads)")
            vb = picture_box(top, 0, col, f"<b>{node_id}</b>: {desc}")
            item = image_item()
            vb.addItem(item)
            self._filter_items[node_id] = item
            pic = filter_mosaic(w, FIRST_COLS if i == 0 else 8)
            if i == 0:  # the first layer large, and beside it how it changed
                first_px = self._first_size(vb, pic, int(w.shape[-1]))
                top.layout.setColumnStretchFactor(col, 0)
                col += 1
                self._change_title = top.addLabel("", row=0, col=col, size="9pt",
                                                  color="#333333")
                change = top.addViewBox(row=1, col=col, lockAspect=True, enableMouse=False,
                                        invertY=False, enableMenu=False)
                self._first_size(change, pic, int(w.shape[-1]))
                self._change_item = image_item()
                change.addItem(self._change_item)
                top.layout.setColumnStretchFactor(col, 0)
            else:
                deep_px = max(deep_px, self._deep_size(vb, pic, n_deep))
                top.layout.setColumnStretchFactor(col, max(1, pic.shape[1]))
            col += 1
            if i == 0 and len(convs) > 1:  # deeper layers on a line of their own
                top = g.addLayout(row=1, col=0)
                col = 0
        g.addLabel("<b>The drawing, layer by layer</b> (each map on its own scale)",
                   row=2, col=0, size="9pt", color="#333333")
        # titles, labels and spacing take about 60 px a row
        g.setMinimumHeight(int(first_px + 60 + (deep_px + 60 if n_deep else 0) + 40
                               + MAPS_PX + 60))
        bottom = g.addLayout(row=3, col=0)
        for row, stretch in ((0, 0), (1, 2), (3, 3)):
            g.ci.layout.setRowStretchFactor(row, stretch)
        vb = picture_box(bottom, 0, 0, "<b>input</b>")
        self._input_item = image_item()
        vb.addItem(self._input_item)
        self._outline = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=3))
        self._outline.setZValue(5)
        vb.addItem(self._outline)
        for i, node_id in enumerate(maps):
            node = design.nodes[node_id]
            vb = picture_box(bottom, 0, i + 1, f"<b>{node_id}</b> ({node.kind})")
            vb.setMinimumHeight(MAPS_PX)
            if node_id == convs[0]:       # its pixels can be clicked and worked out
                item = ClickableImage(axisOrder="row-major")
                item.clicked.connect(lambda c, r, n=node_id: self._on_map_clicked(n, c, r))
            else:
                item = image_item()
            vb.addItem(item)
            self._map_items[node_id] = item

    @staticmethod
    def _first_size(vb: pg.ViewBox, pic: np.ndarray, kernel: int) -> float:
        """At least :data:`FILTER_PX` pixels for one filter of the first layer; returns the
        least height."""
        unit = FILTER_PX / max(1, kernel) + 0.5
        vb.setDefaultPadding(0.0)
        vb.setMinimumSize(pic.shape[1] * unit, pic.shape[0] * unit)
        vb.setMaximumHeight(pic.shape[0] * unit * 1.25)  # the rest of the height: the maps
        return pic.shape[0] * unit

    @staticmethod
    def _deep_size(vb: pg.ViewBox, pic: np.ndarray, n_deep: int) -> float:
        """A deeper layer's filters at DEEP_PX pixels a weight, or as many as let the
        ``n_deep`` deeper layers share DEEP_WIDTH (at least 3); returns the least height."""
        unit = max(3.0, min(DEEP_PX, DEEP_WIDTH / max(1, n_deep) / pic.shape[1]))
        vb.setDefaultPadding(0.0)
        vb.setMinimumSize(pic.shape[1] * unit, pic.shape[0] * unit)
        return pic.shape[0] * unit

    def _draw_change(self, node_id: str, weights: dict) -> None:
        """The first layer's change since the reference, on its own colour scale."""
        if self._reference is None or self._reference[0] != node_id or \
                self._reference[1].shape != weights[f"{node_id}/W"].shape:
            self._take_reference()
        change = self.filter_change()
        if self._change_item is None or change is None:
            return
        pic = filter_mosaic(change, FIRST_COLS)
        biggest = float(np.nanmax(np.abs(pic))) if np.isfinite(pic).any() else 0.0
        rgba, _ = symmetric_rgba(pic, biggest if biggest > 1e-9 else 1.0)
        set_picture(self._change_item, rgba, QRectF(0, 0, pic.shape[1], pic.shape[0]),
                    flip=True)
        if biggest > 1e-9:
            said = (f"each weight's change {self._since} (blue: grew, orange: shrank; the "
                    f"largest is {biggest:.3g})")
            title = f"<b>change</b><br>{self._since}<br>(largest ±{biggest:.3g})"
        else:
            said = f"no weight of {node_id} has changed {self._since} yet: train to see it"
            title = f"<b>change</b><br>{self._since}<br>(none yet)"
        self.change_note.setText(f"{node_id}: {said}.")
        if self._change_title is not None:
            self._change_title.setText(title, size="9pt", color="#333333")

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
        for i, (node_id, item) in enumerate(self._filter_items.items()):
            pic = filter_mosaic(weights[f"{node_id}/W"], FIRST_COLS if i == 0 else 8)
            rgba, _ = symmetric_rgba(pic)
            set_picture(item, rgba, QRectF(0, 0, pic.shape[1], pic.shape[0]), flip=True)
        self._draw_change(convs[0], weights)
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
        self._work_out(net, x, acts)

    # ------------------------------------------------------------------ one pixel's sum
    def _on_map_clicked(self, node_id: str, col: int, row_up: int) -> None:
        """A click on ``node_id``'s mosaic at pixel ``(col, row_up)`` (rows from the bottom)."""
        item, net = self._map_items.get(node_id), self.session.network
        if item is None or item.image is None or net is None:
            return
        f, h, w = (int(v) for v in self.session.analysis.shapes[node_id])
        hit = tile_at(item.image.shape[0] - 1 - row_up, col, min(f, MAX_FILTERS), h, w)
        if hit is not None:
            self.picked = (node_id, *hit)
            self.refresh_now()

    def _step_window(self, dy: int, dx: int) -> None:
        """Move the worked-out pixel one step (an arrow of the arithmetic panel)."""
        if self.picked is None:
            return
        node_id, f, y, x = self.picked
        _, h, w = (int(v) for v in self.session.analysis.shapes[node_id])
        self.picked = (node_id, f, int(np.clip(y + dy, 0, h - 1)), int(np.clip(x + dx, 0, w - 1)))
        self.refresh_now()

    def _work_out(self, net: Any, x: np.ndarray, acts: dict) -> None:
        """Write out the picked pixel's arithmetic and outline its patch on the input."""
        if self.picked is None or self.picked[0] not in self._map_items:
            self._outline.setData([], [])
            return
        node_id, f, y, xx = self.picked
        px = conv_pixel(net, node_id, x.reshape(net.input_shape), f, y, xx)
        self.arithmetic.show_pixel(px)
        side = int(net.input_shape[-2])
        x0, x1 = px.left, px.left + px.size
        y0, y1 = side - px.top - px.size, side - px.top          # rows counted from the bottom
        self._outline.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
