"""Why it said 7: where in the drawing the evidence for an answer lies.

The view takes the drawing on the Draw page (or a sample of the data), asks the network, and
shows for the answer, or any class the person picks ("what would make it a 1?"), two maps
over the drawing: covering a patch and watching the class's probability fall
(:mod:`nnstudio.core.insight.occlusion`), and the gradient of that probability with respect
to every pixel (:meth:`nnstudio.core.network.Network.input_gradient`), where a little more
ink would make the class likelier or less likely. The maps are computed on a worker thread
from copies, so the window never waits for them; while training runs, at most every
:data:`EVERY_S` seconds (a new drawing or class is shown at once), so that the worker does not
take the training's processor time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from nnstudio.core.inputs import image_side
from nnstudio.core.insight.occlusion import OcclusionMap, occlusion_map
from nnstudio.gui.inside.base import InsightView, worker_network
from nnstudio.gui.inside.style import (
    DIVERGING,
    GREY,
    INK,
    ColorLegend,
    image_item,
    picture_box,
    set_picture,
    symmetric_rgba,
)
from nnstudio.gui.session import Session
from nnstudio.gui.worker import Worker, work

__all__ = ["WhyResult", "WhyView"]

#: the covering square's side and step, as fractions of the image's side (6 and 2 on 28)
PATCH, STRIDE = 6 / 28, 2 / 28
#: while training runs, the shortest time between the starts of two pictures
EVERY_S = 2.0


@dataclass(frozen=True)
class WhyResult:
    """The network's answer for one image and the evidence map for one class."""

    image: np.ndarray            # (side, side)
    probabilities: np.ndarray    # (K,)
    occlusion: OcclusionMap
    saliency: np.ndarray         # (side, side): dP(class)/d(pixel)


def _explain(cache: dict, design: Any, weights: dict[str, np.ndarray], image: np.ndarray,
             target: int | None) -> WhyResult:
    net = worker_network(cache, design, weights)
    side = image_side(net)
    x = image.reshape(net.input_shape).astype(np.float32)
    probs = np.asarray(net.predict(x[None]))[0].reshape(-1)
    cls = int(np.argmax(probs)) if target is None else int(target)
    # the picture is covered as a picture, whatever shape the network reads it in
    occ = occlusion_map(net, x.reshape(side, side), cls, patch=max(2, round(PATCH * side)),
                        stride=max(1, round(STRIDE * side)), input_shape=net.input_shape)
    saliency = net.input_gradient(x[None], cls)[0].reshape(side, side).astype(np.float64)
    return WhyResult(image.reshape(side, side).copy(), probs, occ, saliency)


class WhyView(InsightView):
    """Why it gave its answer (``whyView``)."""

    title = "Why"
    draws_later = True
    hint = ("Which parts of the drawing made the network answer as it did. A small square "
            "covers the drawing, place after place, and the network is asked again each "
            "time: where covering the ink makes the chosen class much less likely, that ink "
            "was evidence for it (blue); where covering makes it more likely, that part "
            "spoke against it (orange). The gradient asks the network directly: blue pixels "
            "are where a little more ink would make the class likelier, orange where it "
            "would make it less likely. Pick another class to see what would make it that "
            "one.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=200)
        self.setObjectName("whyView")
        row = QHBoxLayout()
        row.addWidget(QLabel("Evidence for"))
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("whyClass")
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setToolTip("The class whose evidence is shown: its answer, or any "
                                    "other (what would make it a 1?)")
        self.class_combo.currentIndexChanged.connect(self._on_class_chosen)
        row.addWidget(self.class_combo)
        self.answer = QLabel("")
        self.answer.setObjectName("whyAnswer")
        self.answer.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        row.addWidget(self.answer, 1)
        self.body.addLayout(row)

        self.pictures = pg.GraphicsLayoutWidget()
        self.pictures.setObjectName("whyPictures")
        self.pictures.setBackground("w")
        self.body.addWidget(self.pictures, 1)
        self._drawing_item, self._occ_item = image_item(), image_item()
        self._grad_item = image_item()
        vb = picture_box(self.pictures, 0, 0, "The drawing")
        vb.addItem(self._drawing_item)
        vb = picture_box(self.pictures, 0, 1, "Covering a patch: evidence for the class")
        vb.addItem(self._occ_item)
        vb = picture_box(self.pictures, 0, 2, "Gradient: where more ink raises it")
        vb.addItem(self._grad_item)
        self.legend = ColorLegend(DIVERGING, ["against", "none", "for"],
                                  "fall of the class's probability when covered")
        self.legend.setMaximumWidth(320)
        self.body.addWidget(self.legend)
        self.status = QLabel("")
        self.status.setObjectName("whyStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {GREY};")
        self.body.addWidget(self.status)

        self.result: WhyResult | None = None
        self._worker: Worker | None = None
        self._again = False
        self._classes: tuple[str, ...] = ()
        self._where = ""
        self._copies: dict = {}         # the worker's copy of the network, kept between jobs
        self._last_start = -float("inf")

    @property
    def computing(self) -> bool:
        return self._worker is not None

    def _on_input_changed(self) -> None:
        self._last_start = -float("inf")   # a new drawing: its picture at once
        self.schedule()

    def _on_class_chosen(self, _index: int) -> None:
        self._last_start = -float("inf")
        self.refresh_now()

    def _image(self, net: Any) -> tuple[np.ndarray | None, str]:
        img = self.session.current_input
        size = int(np.prod(net.input_shape))
        if img is not None and img.size == size:
            return img, "your drawing on the Draw page"
        ds = self.session.dataset
        if ds is not None and ds.n and ds.x[0].size == size:
            return ds.x[0], "the first sample of the data (draw a digit to see yours)"
        return None, ""

    def refresh(self) -> None:
        net = self.session.network
        if net is None:
            self.show_message("There is no network yet: the design has a problem (the Design "
                              "page says which).")
            return
        if image_side(net) is None or net.task == "regression":
            self.show_message("This view explains a network that reads a grey picture and "
                              "answers with a class, such as a digit network.")
            return
        image, where = self._image(net)
        if image is None:
            self.show_message("Draw a digit on the Draw page to see why the network answers "
                              "as it does.")
            return
        self.show_body()
        self._fill_classes(net)
        if self._worker is not None:
            self._again = True
            return
        wait = self._last_start + EVERY_S - time.monotonic()
        if self.training and wait > 0:
            self._timer.start(int(wait * 1000) + 1)   # the next snapshot's picture, then
            return
        self._last_start = time.monotonic()
        self._where = where
        self._work_stamp = self.weights_stamp
        chosen = self.class_combo.currentIndex() - 1        # item 0: "its answer"
        self._worker = work(_explain, self._copies, net.design.copy(), net.get_weights(),
                            np.array(image, dtype=np.float32), None if chosen < 0 else chosen,
                            name="why")
        self._worker.result.connect(self._on_result)
        self._worker.error.connect(self._on_error)
        if self.result is None:
            self.status.setText("Covering the drawing patch by patch…")

    def _fill_classes(self, net: Any) -> None:
        meta = self.session.meta
        ds = self.session.dataset
        k = int(np.prod(net.output_shape))
        names = list(meta.get("classes") or (ds.classes if ds is not None else []))
        if len(names) != k:
            names = [str(i) for i in range(k)]
        if tuple(names) == self._classes:
            return
        self._classes = tuple(names)
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("its answer")
        self.class_combo.addItems(names)
        self.class_combo.blockSignals(False)

    def _on_result(self, result: WhyResult) -> None:
        self._worker = None
        self.result = result
        self._draw(result)
        self.picture_drawn(self._work_stamp)
        if self._again:
            self._again = False
            self.schedule()

    def _on_error(self, exc: BaseException) -> None:
        self._worker = None
        self.status.setText(f"The evidence could not be computed: {type(exc).__name__}: {exc}")

    def _draw(self, r: WhyResult) -> None:
        side = r.image.shape[0]
        rect = QRectF(0, 0, side, side)
        grey = (np.clip(r.image, 0, 1) * 255).astype(np.uint8)
        rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
        set_picture(self._drawing_item, rgba, rect, flip=True)
        occ = r.occlusion
        shown, vmax = symmetric_rgba(occ.drop)
        # the ink shows through, so the person sees which strokes carry the evidence
        ink = (r.image > 0.3)[..., None]
        shown[..., :3] = np.where(ink, (shown[..., :3] * 0.6).astype(np.uint8), shown[..., :3])
        set_picture(self._occ_item, shown, rect, flip=True)
        grad, _ = symmetric_rgba(r.saliency)
        grad[..., :3] = np.where(ink, (grad[..., :3] * 0.6).astype(np.uint8), grad[..., :3])
        set_picture(self._grad_item, grad, rect, flip=True)
        names = self._classes
        answer = int(np.argmax(r.probabilities))
        name = names[answer] if answer < len(names) else str(answer)
        target = names[occ.target] if occ.target < len(names) else str(occ.target)
        said = f"It says <b>{name}</b>, {r.probabilities[answer]:.0%} sure"
        if occ.target != answer:
            said += f"; {target}: {occ.base:.0%}"
        self.answer.setText(said + ".")
        self.legend.set_labels([f"−{vmax:.0%}", "0", f"+{vmax:.0%}"],
                               f"fall of P({target}) when covered")
        self.status.setText(f"Evidence in {self._where}: a {occ.patch}×{occ.patch} square "
                            f"moved {occ.stride} pixels at a time.")
