"""Evaluation: the confusion matrix, accuracy per class and the test images it gets wrong.

The network is run on the test samples (those training keeps aside) by a
:class:`ChunkedJob` on a private copy of the network, in pieces of a few milliseconds (as many
samples as fit, learnt from the measured cost of one), at most every 2 s while
training. The results are drawn in pieces too: the matrix and the bars, then the gallery a
few pictures at a time (pictures are made once per sample and kept).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from nnstudio.core.insight.evaluation import confusion_matrix, per_class_accuracy, predicted_classes
from nnstudio.gui.inside.base import (
    ChunkedJob,
    InsightView,
    PieceSizer,
    clone_steps,
    held_out_indices,
    network_fits_dataset,
)
from nnstudio.gui.inside.cell_labels import CellLabels
from nnstudio.gui.inside.style import (
    BLUE,
    INK,
    ORANGE,
    SEQUENTIAL,
    image_item,
    set_picture,
    style_plot,
    to_rgba,
)
from nnstudio.gui.pictures import thumbnail
from nnstudio.gui.session import Session

MAX_TEST = 2000       # test samples evaluated at most
MAX_TEST_TRAINING = 300  # ... while training runs (the rest follows when it stops)
TRAINING_INTERVAL_S = 2.0  # while training, re-check at most this often
PIECE_MS = 6.0        # aim for pieces of work of about this long
MAX_GALLERY = 60      # pictures in the gallery
GALLERY_PIECE = 12    # gallery pictures added per piece of work


def baseline_accuracy(dataset: Any, test_idx: np.ndarray) -> float | None:
    """Accuracy of the pixel-similarity baseline on a 3-vs-7 dataset, or None.

    Each test image is given the class whose average training image it overlaps most
    (the lesson's "no learning at all" method).
    """
    if dataset is None or not dataset.is_image or sorted(dataset.classes) != ["3", "7"]:
        return None
    try:
        from nnstudio.data import lessons  # the data layer's own version, when present

        fn = getattr(lessons, "pixel_similarity_accuracy", None)
    except ImportError:
        fn = None
    train = np.ones(dataset.n, bool)
    train[test_idx] = False
    x = dataset.x.reshape(dataset.n, -1)
    if fn is not None:
        try:
            return float(fn(x[train], dataset.y[train], x[test_idx], dataset.y[test_idx]))
        except Exception:  # noqa: BLE001 - fall back to the plain computation below
            pass
    means = np.stack([x[train & (dataset.y == c)].mean(axis=0) for c in range(2)])
    dist = ((x[test_idx, None, :] - means[None]) ** 2).sum(axis=2)
    return float((dist.argmin(axis=1) == dataset.y[test_idx]).mean())


class EvaluationView(InsightView):
    """Confusion matrix, per-class accuracy and a gallery of mistakes."""

    title = "Mistakes"
    draws_later = True
    hint = ("The network answers every test image it never trained on. In the table, each "
            "row is the true class and each column the network's answer: the diagonal counts "
            "the right answers, everything else is a mistake (click a square to see those "
            "images). The bars give the accuracy for each class. Click a picture below to put "
            "it on the Draw page and see what the network thinks.")
    #: the hint for a network that estimates numbers
    regression_hint = ("The network estimates every test sample it never trained on. Left: "
                       "its estimate against the true value; a dot on the dashed line is "
                       "exact, a dot above it an estimate too high. Right: how many samples "
                       "are off by how much (true − estimate), in the data's own units.")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=2000)
        self.setObjectName("evaluationView")
        top = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("evaluationSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        top.addWidget(self.summary, 1)
        self.recheck = QPushButton("Check again")
        self.recheck.setObjectName("evaluateNow")
        self.recheck.clicked.connect(self._check_again)
        top.addWidget(self.recheck)
        self.body.addLayout(top)

        plots = QHBoxLayout()
        self.cm_plot = pg.PlotWidget(background="w")
        self.cm_plot.setObjectName("confusionMatrix")
        self.cm_plot.hideButtons()
        self.cm_plot.setMouseEnabled(False, False)
        self.cm_plot.invertY(True)
        self.cm_plot.setAspectLocked(True)
        style_plot(self.cm_plot.getPlotItem(), "the network's answer", "true class")
        self.cm_image = image_item()
        self.cm_plot.addItem(self.cm_image)
        self.cm_frame = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=3))
        self.cm_frame.setZValue(20)
        self.cm_plot.addItem(self.cm_frame)
        self.cm_scatter = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(BLUE), pen=None)
        self.cm_line = pg.PlotDataItem(pen=pg.mkPen("#999999", style=Qt.PenStyle.DashLine))
        self.cm_plot.addItem(self.cm_scatter)
        self.cm_plot.addItem(self.cm_line)
        self.cm_plot.scene().sigMouseClicked.connect(self._on_cm_click)
        self.cm_labels = CellLabels()
        self.cm_labels.setZValue(15)
        self.cm_plot.addItem(self.cm_labels)
        plots.addWidget(self.cm_plot, 1)

        self.bar_plot = pg.PlotWidget(background="w")
        self.bar_plot.setObjectName("classAccuracy")
        self.bar_plot.hideButtons()
        self.bar_plot.setMouseEnabled(False, False)
        style_plot(self.bar_plot.getPlotItem(), "class", "right answers (%)")
        self.bar_plot.setYRange(0, 100, padding=0.02)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=BLUE, pen=None)
        self.bar_plot.addItem(self.bars)
        self.mean_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(ORANGE, width=2,
                                                               style=Qt.PenStyle.DashLine))
        self.bar_plot.addItem(self.mean_line)
        plots.addWidget(self.bar_plot, 1)
        self.body.addLayout(plots, 3)

        gal_head = QHBoxLayout()
        self.gallery_title = QLabel("")
        self.gallery_title.setStyleSheet(f"color: {INK}; font-weight: bold;")
        gal_head.addWidget(self.gallery_title, 1)
        self.all_mistakes = QPushButton("All mistakes")
        self.all_mistakes.setObjectName("allMistakes")
        self.all_mistakes.clicked.connect(lambda: self.select_cell(None))
        gal_head.addWidget(self.all_mistakes)
        self.body.addLayout(gal_head)
        self.gallery = QListWidget()
        self.gallery.setObjectName("mistakeGallery")
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setGridSize(QSize(78, 84))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setMinimumHeight(100)
        self.gallery.setMaximumHeight(190)
        self.gallery.itemClicked.connect(self._on_gallery_click)
        self.body.addWidget(self.gallery, 1)

        self.job = ChunkedJob(self)
        self.job.finished.connect(self._on_done)
        self._cache: dict = {}
        self._test_idx = np.zeros(0, np.int64)
        self._result: dict | None = None
        self._cell: tuple[int, int] | None = None
        self._baseline: tuple[int, float | None] | None = None
        self._last_start = -1e9
        self._sizer = PieceSizer(PIECE_MS)          # learns the cost of one sample
        self._mode = ""                             # what the left plot shows
        self._tick_names: list[str] | None = None
        self._icons: dict[int, QIcon] = {}          # sample index -> picture
        self._gallery_key: tuple | None = None
        self.gallery_job = ChunkedJob(self)

    def _check_again(self) -> None:
        self._last_start = -1e9
        self.refresh_now()

    # ------------------------------------------------------------------ state
    def model_changed(self) -> None:
        self.job.cancel()
        self._cache.clear()
        self._sizer = PieceSizer(PIECE_MS)

    def dataset_changed(self) -> None:
        self.job.cancel()
        self.gallery_job.cancel()
        self._result = None
        self._cell = None
        self._baseline = None
        self._icons.clear()
        self._gallery_key = None

    def _on_training_state(self, state: str) -> None:
        if state in ("finished", "stopped", "paused"):
            self._last_start = -1e9
            self.schedule()

    # ------------------------------------------------------------------ computing
    def refresh(self) -> None:
        net, ds = self.session.network, self.session.dataset
        if net is None:
            self.show_message("There is no network to check yet: the design has a problem "
                              "(the Design page says which).")
            return
        if ds is None:
            self.show_message("Choose a dataset in the Training panel: the network is checked "
                              "on its test samples.")
            return
        if not network_fits_dataset(net, ds):
            self.show_message(f"The dataset “{ds.name}” does not fit this network (see the "
                              "Training panel), so it cannot be checked on it.")
            return
        self.show_body()
        self._set_mode("regression" if ds.task == "regression" else "classification")
        if self.job.running:
            self.schedule()
            return
        now = time.perf_counter()
        if self.training and now - self._last_start < TRAINING_INTERVAL_S:
            self._timer.start(int((TRAINING_INTERVAL_S - now + self._last_start) * 1000) + 1)
            return
        self._last_start = now
        idx = held_out_indices(ds.n, self.session)
        self._kind = "test"
        if len(idx) == 0:
            idx = np.arange(ds.n)
            self._kind = "training"
        limit = MAX_TEST_TRAINING if self.training else MAX_TEST
        if len(idx) > limit:
            idx = np.sort(np.random.default_rng(0).choice(idx, limit, replace=False))
        self._test_idx = idx
        x = ds.x[idx]
        outs: list[np.ndarray] = []
        cache, sizer = self._cache, self._sizer

        def work():
            clone = yield from clone_steps(net, cache)   # the weights of now, kept apart
            for _ in sizer.run(len(x), lambda sl: outs.append(
                    clone.predict(x[sl], batch_size=sl.stop - sl.start))):
                yield

        self._outs = outs
        self._work_stamp = self.weights_stamp
        self.job.start(work())

    def _on_done(self) -> None:
        ds = self.session.dataset
        if ds is None or not self._outs:
            return
        self.picture_drawn(self._work_stamp)
        out = np.concatenate(self._outs).reshape(len(self._test_idx), -1)
        y = ds.y[self._test_idx]
        if ds.task == "regression":
            self._result = {"task": "regression", "out": out, "y": y}
            self._draw_regression(out, y)
            return
        pred = predicted_classes(out)
        k = max(ds.n_classes, out.shape[1], 2)
        cm = confusion_matrix(y, pred, k)
        conf = out.max(axis=1) if out.shape[1] > 1 else np.abs(out[:, 0] - 0.5) + 0.5
        self._result = {"task": "classification", "pred": pred, "y": y, "cm": cm,
                        "conf": conf, "k": k}
        self._draw_classification()

    # ------------------------------------------------------------------ drawing
    def _names(self, k: int) -> list[str]:
        """Row and column names: the data's classes (its labels are what is compared), then
        ``#i`` for outputs beyond them (a network with more outputs than the data has
        classes; the Design page flags it)."""
        ds = self.session.dataset
        names = list(ds.classes) if ds is not None and ds.classes else []
        if not names:
            names = list(self.session.class_names)
        return (names + [f"#{i}" for i in range(len(names), k)])[:k]

    def _draw_classification(self) -> None:
        r = self._result
        cm, k = r["cm"], r["k"]
        names = self._names(k)
        self._set_mode("classification")
        if names != self._tick_names:
            self._tick_names = names
            ticks = [list(enumerate(names))]
            for plot in (self.cm_plot, self.bar_plot):
                plot.getAxis("bottom").setTicks(ticks)
            self.cm_plot.getAxis("left").setTicks(ticks)
        self.cm_scatter.clear()
        self.cm_line.clear()
        share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        set_picture(self.cm_image, to_rgba(np.sqrt(share), 0.0, 1.0, SEQUENTIAL),
                    QRectF(-0.5, -0.5, k, k))
        cells = []
        if k <= 12:
            white, ink = QColor("white"), QColor(INK)
            for i, j in zip(*np.nonzero((cm > 0) | np.eye(k, dtype=bool)), strict=True):
                colour = white if np.sqrt(share[i, j]) > 0.55 else ink
                cells.append((float(j), float(i), str(int(cm[i, j])), colour))
        self.cm_labels.set_cells(cells, QRectF(-0.5, -0.5, k, k))
        self.cm_plot.setRange(xRange=(-0.5, k - 0.5), yRange=(-0.5, k - 0.5), padding=0.02)
        acc = per_class_accuracy(cm)
        self.bars.setOpts(x=np.arange(k), height=np.nan_to_num(acc) * 100, width=0.7)
        total = cm.sum()
        overall = float(np.trace(cm) / total) if total else float("nan")
        self.mean_line.setPos(overall * 100)
        self.bar_plot.setXRange(-0.6, k - 0.4, padding=0)
        self.bar_plot.setYRange(0, 100, padding=0.02)
        text = (f"Accuracy <b>{overall:.1%}</b> on {int(total):,} {self._kind} samples of "
                f"“{self.session.dataset.name}” ({int(total - np.trace(cm)):,} mistakes).")
        n_classes = self.session.dataset.n_classes
        if n_classes and k > n_classes:
            text += (f"<br>The network has {k} outputs but the data {n_classes} classes: "
                     f"outputs {n_classes} to {k - 1} (shown as #{n_classes} …) stand for no class "
                     "of the data. The Design page says how to make them fit.")
        base = self._baseline_text()
        self.summary.setText(text + base)
        self._fill_gallery()

    def _baseline_text(self) -> str:
        ds = self.session.dataset
        key = id(ds)
        if self._baseline is None or self._baseline[0] != key:
            self._baseline = (key, baseline_accuracy(ds, self._test_idx))
        acc = self._baseline[1]
        if acc is None:
            return ""
        return (f"<br>Without any learning, comparing each image with the average 3 and the "
                f"average 7 (pixel similarity) gets <b>{acc:.1%}</b>.")

    def _set_mode(self, mode: str) -> None:
        """Switch the words and the widgets between classification and regression."""
        if self._mode == mode:
            return
        self._mode = mode
        regression = mode == "regression"
        self.hint_label.setText(self.regression_hint if regression else self.hint)
        self.title_label.setText("Errors" if regression else self.title)
        for w in (self.gallery, self.all_mistakes, self.gallery_title):
            w.setVisible(not regression)
        self._tick_names = None
        for plot in (self.cm_plot, self.bar_plot):
            for ax in ("bottom", "left"):
                plot.getAxis(ax).setTicks(None)
        if regression:
            self.cm_plot.invertY(False)
            self.cm_plot.setAspectLocked(False)
        else:
            self.cm_plot.invertY(True)
            self.cm_plot.setAspectLocked(True)
            style_plot(self.cm_plot.getPlotItem(), "the network's answer", "true class")
            style_plot(self.bar_plot.getPlotItem(), "class", "right answers (%)")
            self.mean_line.show()

    def _draw_regression(self, out: np.ndarray, y: np.ndarray) -> None:
        from nnstudio.core.insight.regression import format_value, target_name, to_target_units

        ds = self.session.dataset
        self._set_mode("regression")
        self.cm_image.clear()
        self.cm_labels.set_cells([], QRectF())
        self.cm_frame.clear()
        est, true = to_target_units(ds, out[:, :1])[:, 0], to_target_units(ds, y)[:, 0]
        unit, target = str(ds.meta.get("unit", "")), target_name(ds)
        in_unit = f" ({unit})" if unit else ""
        style_plot(self.cm_plot.getPlotItem(), f"estimated {target}{in_unit}",
                   f"true {target}{in_unit}")
        style_plot(self.bar_plot.getPlotItem(), f"error: true − estimate{in_unit}", "samples")
        self.cm_scatter.setData(est, true)
        lo, hi = float(min(est.min(), true.min())), float(max(est.max(), true.max()))
        self.cm_line.setData([lo, hi], [lo, hi])
        self.cm_plot.setRange(xRange=(lo, hi), yRange=(lo, hi))
        err = true - est
        counts, edges = np.histogram(err, bins=min(20, max(3, len(err) // 3)))
        self.bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts,
                          width=float(edges[1] - edges[0]) * 0.9)
        self.mean_line.hide()
        self.bar_plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.05)
        self.bar_plot.setYRange(0, max(1, int(counts.max())), padding=0.05)
        word = str(ds.meta.get("item", "sample"))
        rmse = float(np.sqrt(np.mean(err * err)))
        self.summary.setText(
            f"Average error <b>{format_value(float(np.abs(err).mean()), unit)}</b> in "
            f"{target} (root mean square {format_value(rmse, unit)}) on {len(y):,} "
            f"{self._kind} {word}s of “{ds.name}”.")
        self.gallery_job.cancel()
        self.gallery.clear()
        self._gallery_key = None

    def select_cell(self, cell: tuple[int, int] | None) -> None:
        """Show the samples of class ``cell[0]`` answered as ``cell[1]`` (None: all mistakes)."""
        self._cell = cell
        if cell is None:
            self.cm_frame.clear()
        else:
            t, p = cell
            self.cm_frame.setData([p - .5, p + .5, p + .5, p - .5, p - .5],
                                  [t - .5, t - .5, t + .5, t + .5, t - .5])
        if self._result is not None and self._result["task"] == "classification":
            self._fill_gallery()

    def _on_cm_click(self, event: Any) -> None:
        if self._result is None or self._result["task"] != "classification":
            return
        pos = self.cm_plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        j, i = int(round(pos.x())), int(round(pos.y()))
        k = self._result["k"]
        if 0 <= i < k and 0 <= j < k:
            self.select_cell((i, j))

    def _fill_gallery(self) -> None:
        """Title at once; the pictures a few per event-loop turn (same ones: kept)."""
        r = self._result
        ds = self.session.dataset
        names = self._names(r["k"])
        if self._cell is None:
            mask = r["pred"] != r["y"]
            title = "Mistakes, most confident first"
        else:
            t, p = self._cell
            mask = (r["y"] == t) & (r["pred"] == p)
            title = (f"True {names[t]}, answered {names[p]}" if t != p
                     else f"{names[t]} answered correctly")
        order = np.flatnonzero(mask)
        order = order[np.argsort(-r["conf"][order], kind="stable")][:MAX_GALLERY]
        if not ds.is_image:
            self.gallery_job.cancel()
            self.gallery.clear()
            self._gallery_key = None
            self.gallery_title.setText(f"{title}: {int(mask.sum())} (pictures are shown for "
                                       "image data only)")
            return
        self.gallery_title.setText(f"{title}: {int(mask.sum())} — click one to put it on the "
                                   "Draw page")
        entries = [(int(self._test_idx[i]), int(r["y"][i]), int(r["pred"][i]),
                    round(float(r["conf"][i]), 2)) for i in order]
        key = (id(ds), tuple(entries))
        if key == self._gallery_key and not self.gallery_job.running:
            return
        self._gallery_key = key
        self.gallery_job.cancel()
        self.gallery.clear()

        def work():
            for lo in range(0, len(entries), GALLERY_PIECE):
                self.gallery.setUpdatesEnabled(False)
                for idx, t, p, conf in entries[lo:lo + GALLERY_PIECE]:
                    self.gallery.addItem(self._gallery_item(ds, idx, names[t], names[p], conf))
                self.gallery.setUpdatesEnabled(True)
                yield

        if len(entries) <= GALLERY_PIECE or not self.isVisible():
            self.gallery_job.start(work())
            self.gallery_job.run_to_end()
        else:
            self.gallery_job.start(work())

    def _gallery_item(self, ds: Any, idx: int, true: str, answer: str,
                      conf: float) -> QListWidgetItem:
        icon = self._icons.get(idx)
        if icon is None:
            img = ds.x[idx].reshape(ds.x.shape[-2:])
            icon = self._icons[idx] = QIcon(QPixmap.fromImage(thumbnail(img, 2)))
        item = QListWidgetItem(icon, f"{true} → {answer}")
        item.setToolTip(f"True class {true}; the network answered {answer} ({conf:.0%} sure)")
        item.setData(Qt.ItemDataRole.UserRole, idx)
        return item

    def _on_gallery_click(self, item: QListWidgetItem) -> None:
        ds = self.session.dataset
        idx = item.data(Qt.ItemDataRole.UserRole)
        if ds is None or idx is None or idx >= ds.n:
            return
        self.session.showOnDrawPage.emit(ds.x[int(idx)].reshape(ds.x.shape[-2:]))
