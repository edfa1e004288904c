"""The "ideal digit" baseline of a two-class digit set (3 vs 7), beside what the model learned.

A program with no learning can already tell 3s from 7s: average the pixels of all training
3s and of all training 7s (the "ideal 3" and the "ideal 7") and call a digit whichever ideal
it differs from least. This view shows both ideals, a chosen held-out digit with its
difference image against each, the model's own weights when they are one picture per class,
and the accuracy of the baseline next to the model's on the same held-out digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox

from nnstudio.data.lessons import PixelSimilarity
from nnstudio.gui.inside.base import InsightView, held_out_indices, network_fits_dataset
from nnstudio.gui.inside.style import INK, image_item, picture_box, set_picture, symmetric_rgba


def grey_rgba(img: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] as white ink on black: uint8 (H, W, 4)."""
    g = (np.clip(np.asarray(img, np.float32), 0, 1) * 255).astype(np.uint8)
    out = np.empty((*g.shape, 4), np.uint8)
    out[..., :3] = g[..., None]
    out[..., 3] = 255
    return out


def class_weight_images(network: Any, side: int) -> np.ndarray | None:
    """(K, side, side): the weights of a network whose only layer maps pixels to its K
    classes (like the ``3v7`` template), or None for any other network."""
    weights = network.get_weights()
    ws = [k for k in weights if k.endswith("/W")]
    if len(ws) != 1:
        return None
    w = weights[ws[0]]
    if w.ndim != 2 or w.shape[0] != side * side:
        return None
    return np.ascontiguousarray(w.T.reshape(-1, side, side))


class IdealDigitsView(InsightView):
    """Ideal digits, differences, learned weights and both accuracies (``idealDigitsView``)."""

    title = "Ideal digits"
    hint = ("The baseline that needs no learning: the average of all training 3s and of all "
            "training 7s are the ideal digits; a digit is called whichever ideal it differs "
            "from least (mean absolute pixel difference). In the difference pictures blue "
            "is ink the digit has and the ideal lacks, orange ink the ideal has and the "
            "digit lacks. The learned weights of a one-layer model are pictures too: blue "
            "pixels vote for the class, orange against.")

    def __init__(self, session: Any, parent=None) -> None:
        super().__init__(session, parent, min_interval_ms=150)
        self.setObjectName("idealDigitsView")
        row = QHBoxLayout()
        row.addWidget(QLabel("Held-out digit"))
        self.digit_spin = QSpinBox()
        self.digit_spin.setObjectName("idealDigitSpin")
        self.digit_spin.setToolTip("Which held-out digit to compare with the ideals")
        self.digit_spin.valueChanged.connect(self.refresh_now)
        row.addWidget(self.digit_spin)
        self.digit_text = QLabel("")
        self.digit_text.setObjectName("idealDigitText")
        row.addWidget(self.digit_text, 1)
        self.body.addLayout(row)
        self.pictures = pg.GraphicsLayoutWidget()
        self.pictures.setObjectName("idealPictures")
        self.pictures.setBackground("w")
        self.body.addWidget(self.pictures, 1)
        self.accuracy = QLabel("")
        self.accuracy.setObjectName("baselineAccuracy")
        self.accuracy.setWordWrap(True)
        self.accuracy.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        self.body.addWidget(self.accuracy)
        self._items: dict[str, pg.ImageItem] = {}
        self._layout_key: tuple | None = None
        self._baseline_key: Any = None
        self.baseline: PixelSimilarity | None = None
        self.held_out = np.arange(0)
        self.baseline_accuracy: float | None = None
        self.model_accuracy: float | None = None

    def dataset_changed(self) -> None:
        self._baseline_key = None

    # ------------------------------------------------------------------ computing
    def _fit(self, ds: Any) -> None:
        key = (id(ds), ds.n, getattr(getattr(self.session, "training", None), "config",
                                     None) and self.session.training.config.val_split)
        if key == self._baseline_key:
            return
        held = held_out_indices(ds.n, self.session)
        if len(held) == 0:  # nothing held out: judge on the training digits themselves
            held = np.arange(ds.n)
        train = np.setdiff1d(np.arange(ds.n), held) if len(held) < ds.n else held
        self.baseline = PixelSimilarity().fit(ds.subset(train))
        self.held_out = held
        self.baseline_accuracy = self.baseline.evaluate(ds.x[held], ds.y[held])["accuracy"]
        self._baseline_key = key
        self.digit_spin.blockSignals(True)
        self.digit_spin.setRange(1, len(held))
        self.digit_spin.blockSignals(False)

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        ds = self.session.dataset
        if ds is None or ds.task != "classification" or not ds.is_image \
                or len(ds.classes) != 2:
            self.show_message("The ideal digits are drawn for a two-class digit set: choose "
                              "“Only 3s and 7s” (3v7) in the Training panel.")
            return
        self.show_body()
        self._fit(ds)
        side = int(np.sqrt(np.prod(ds.sample_shape)))
        ideals = self.baseline.means.reshape(2, side, side)
        k = self.digit_spin.value() - 1
        i = int(self.held_out[min(max(k, 0), len(self.held_out) - 1)])
        digit = ds.x[i].reshape(side, side)
        net = self.session.network
        fits = network_fits_dataset(net, ds)
        weights = class_weight_images(net, side) if fits else None
        a, b = ds.classes
        cells = [(f"ideal {a}", grey_rgba(ideals[0])), (f"ideal {b}", grey_rgba(ideals[1])),
                 ("the chosen digit", grey_rgba(digit))]
        diffs = [digit - ideals[0], digit - ideals[1]]
        vmax = max(float(np.abs(d).max()) for d in diffs) or 1.0
        cells += [(f"digit − ideal {a}", symmetric_rgba(diffs[0], vmax)[0]),
                  (f"digit − ideal {b}", symmetric_rgba(diffs[1], vmax)[0])]
        if weights is not None:
            wmax = float(np.abs(weights).max()) or 1.0
            cells += [(f"learned weights for {a}", symmetric_rgba(weights[0], wmax)[0]),
                      (f"learned weights for {b}", symmetric_rgba(weights[1], wmax)[0])]
        self._place(cells)
        dist = self.baseline.distances(digit[None])[0]
        guess = ds.classes[int(np.argmin(dist))]
        model_says = ""
        self.model_accuracy = None
        if fits:
            probs = np.asarray(net.predict(ds.x[i:i + 1])).reshape(-1)
            model_says = f" · the model says {ds.classes[int(np.argmax(probs))]}" \
                if probs.size == 2 else ""
            held = self.held_out
            self.model_accuracy = net.evaluate(ds.x[held], ds.y[held]).get("accuracy")
        self.digit_text.setText(
            f"a {ds.classes[int(ds.y[i])]}: differs from ideal {a} by {dist[0]:.3f}, "
            f"from ideal {b} by {dist[1]:.3f} (mean |pixel difference|) → baseline says "
            f"{guess}{model_says}")
        n = len(self.held_out)
        text = (f"Baseline (nearer ideal digit): <b>{100 * self.baseline_accuracy:.1f}%</b> "
                f"of {n:,} held-out digits right")
        if self.model_accuracy is not None:
            text += f" &nbsp;·&nbsp; the model: <b>{100 * self.model_accuracy:.1f}%</b>"
        else:
            text += " &nbsp;·&nbsp; the model: – (its design does not fit this data)"
        if weights is None and fits:
            text += ("<br><i>This model has hidden layers, so its weights are not one picture "
                     "per class: use the 3v7 template to see them.</i>")
        self.accuracy.setText(text)

    def _place(self, cells: list[tuple[str, np.ndarray]]) -> None:
        key = tuple(title for title, _ in cells)
        if key != self._layout_key:
            self.pictures.clear()
            self._items = {}
            for n, (title, _) in enumerate(cells):
                r, c = divmod(n, 5)
                vb = picture_box(self.pictures, 2 * r, c, title)
                item = image_item()
                vb.addItem(item)
                self._items[title] = item
            self._layout_key = key
        for title, rgba in cells:
            set_picture(self._items[title], rgba, flip=True)

