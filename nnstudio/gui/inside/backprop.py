"""Backpropagation you can read: one batch's gradients, checked, and the update they cause.

For a batch the person chooses (samples in the dataset's order), the view runs the network
forward and backward exactly as training does and lists, per layer, the gradients dW and db
(every value for small layers, a summary for big ones), the update the optimizer chosen for
training turns them into (from the run's own memory while a run is live), and a few
gradients checked against a finite difference computed without any backward pass
(:func:`nnstudio.core.insight.backprop.backprop_report`). It recomputes when asked, when
training pauses or steps, and when the data or the network changes while training rests.
A small network's batch is computed at once; a bigger one's (a CNN takes a third of a
second) on a background worker, from copies, so the window never waits for it: the view
says it is computing, and the newest request's answer is the one shown.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nnstudio.core.insight.backprop import BackpropReport, ParamGradient, backprop_report
from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig
from nnstudio.gui.inside.base import InsightView, network_fits_dataset
from nnstudio.gui.inside.freshness import Stamp
from nnstudio.gui.inside.style import INK
from nnstudio.gui.worker import Worker, work

MAX_BATCH = 64        # samples per batch at most (the finite differences rerun it)
MAX_BATCH_BIG = 16    # ... for networks of more than BIG parameters (about 0.3 s for a CNN)
BIG = 50_000
#: networks of more parameters are computed on a background worker
BACKGROUND = 20_000
SMALL = 6             # parameters with at most this many entries are listed in full


def _values(a: np.ndarray) -> str:
    return ", ".join(f"{v:.4g}" for v in np.asarray(a).reshape(-1))


def _summary(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.size <= SMALL:
        return _values(a)
    flat = int(np.abs(a).argmax())
    idx = ", ".join(str(int(i)) for i in np.unravel_index(flat, a.shape))
    return (f"‖·‖ = {np.linalg.norm(a):.3g}, mean |·| = {np.abs(a).mean():.3g}, "
            f"largest {a.reshape(-1)[flat]:.3g} at [{idx}]")


class BackpropView(InsightView):
    """The gradients of one batch, per layer, next to finite differences, and the update."""

    title = "Backprop"
    draws_later = True   # not while training runs: it explains one batch at a time
    hint = ("Backpropagation runs the batch forward, measures the loss, then carries the "
            "error back from the output layer through every layer, so each weight gets its "
            "gradient: how much the loss rises when that weight grows a little. Below, per "
            "layer: the gradients dW and db, and the update the optimizer makes from them. "
            "A few gradients are checked by nudging the weight up and down and measuring the "
            "loss again (a finite difference): when the two agree, the calculus was right.")

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=300)
        self.setObjectName("backpropView")
        row = QHBoxLayout()
        row.addWidget(QLabel("Batch:"))
        self.batch = QSpinBox()
        self.batch.setObjectName("backpropBatch")
        self.batch.setRange(0, 0)
        self.batch.valueChanged.connect(self.refresh_now)
        row.addWidget(self.batch)
        self.batch_text = QLabel("")
        row.addWidget(self.batch_text)
        row.addStretch(1)
        self.compute = QPushButton("Compute again")
        self.compute.setObjectName("backpropCompute")
        self.compute.clicked.connect(self.refresh_now)
        row.addWidget(self.compute)
        self.body.addLayout(row)
        self.summary = QLabel("")
        self.summary.setObjectName("backpropSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        self.body.addWidget(self.summary)
        self.table = self._table("backpropTable", ["layer", "gradient", "shape",
                                                   "gradient values", "update (next step)",
                                                   "|update| / |W|"])
        self.body.addWidget(self.table, 3)
        self.body.addWidget(QLabel("Gradients checked by finite differences "
                                   "(J(w + h) − J(w − h)) / 2h:"))
        self.checks = self._table("backpropChecks", ["gradient", "entry", "backpropagation",
                                                     "finite difference", "relative difference"])
        self.body.addWidget(self.checks, 2)
        self.report: BackpropReport | None = None
        self._ticket = 0                      # the newest request; older answers are dropped
        self._worker: Worker | None = None

    @property
    def computing(self) -> bool:
        """True while a batch is being computed in the background."""
        return self._worker is not None

    @staticmethod
    def _table(name: str, heads: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(heads))
        t.setObjectName(name)
        t.setHorizontalHeaderLabels(heads)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.verticalHeader().setVisible(False)
        t.setWordWrap(False)
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return t

    def _config(self) -> TrainConfig:
        config = getattr(self.session.training, "config", None)
        return config if config is not None else TrainConfig()

    # recompute only when the weights rest: a running network changes faster than one reads
    def _on_snapshot(self, snapshot: Any) -> None:
        if not self.training:
            self.schedule()

    def _on_training_state(self, state: str) -> None:
        self.schedule()

    def refresh(self) -> None:
        self._ticket += 1  # whatever was being computed is no longer wanted
        if self._worker is not None:
            self._worker.quit()
            self._worker = None
        net, ds = self.session.network, self.session.dataset
        if net is None:
            self.show_message("There is no network yet: the design has a problem (the Design "
                              "page says which).")
            return
        if ds is None or not network_fits_dataset(net, ds):
            self.show_message("Choose data that fits this network in the Training panel: "
                              "the gradients are computed on one of its batches.")
            return
        if not net.trainable():
            self.show_message("This network has a step activation: it has no gradient, so "
                              "backpropagation cannot train it (the perceptron rule can).")
            return
        if self.training:
            self.summary.setText("Training is running: pause it, or press Step one batch, "
                                 "to read the gradients of a batch.")
            return
        self.show_body()
        config = self._config()
        most = MAX_BATCH if net.n_params <= BIG else MAX_BATCH_BIG
        size = max(1, min(int(config.batch_size), most, ds.n))
        n_batches = -(-ds.n // size)
        self.batch.blockSignals(True)
        self.batch.setRange(0, n_batches - 1)
        self.batch.blockSignals(False)
        first = self.batch.value() * size
        end = min(ds.n, first + size)
        self.batch_text.setText(f"samples {first + 1:,}–{end:,} of {ds.n:,} "
                                f"({n_batches:,} batches of {size})")
        x = ds.x[first:end].reshape(end - first, *net.input_shape)
        state = self.session.optimizer_state
        if state is not None and state.name != config.optimizer:
            state = None
        options = {"optimizer": config.optimizer, "lr": float(config.lr),
                   "weight_decay": float(config.weight_decay), "samples": (first, end)}
        steps = None if state is None else int(state.t)  # the run's memory, if live
        stamp = self.weights_stamp
        if net.n_params <= BACKGROUND:
            self.report = backprop_report(net, x, ds.y[first:end], state=state, **options)
            self._fill(self.report, steps)
            self.picture_drawn(stamp)
            return
        # the worker gets its own copies: the session's network and data may change meanwhile
        mine = Network(net.design, seed=net.seed)
        mine.set_weights(net.get_weights())
        ticket = self._ticket
        self._worker = work(backprop_report, mine, x.copy(), ds.y[first:end].copy(),
                            state=copy.deepcopy(state), name="backprop", **options)
        self._worker.result.connect(lambda r, t=ticket: self._on_report(t, r, steps, stamp))
        self._worker.error.connect(lambda exc, t=ticket: self._on_failed(t, exc))
        self.summary.setText("Computing the gradients of this batch…")

    def _on_report(self, ticket: int, report: BackpropReport, steps: int | None,
                   stamp: Stamp) -> None:
        if ticket != self._ticket:
            return  # a newer batch was asked for meanwhile
        self._worker = None
        self.report = report
        self._fill(report, steps)
        self.picture_drawn(stamp)

    def _on_failed(self, ticket: int, exc: BaseException) -> None:
        if ticket != self._ticket:
            return
        self._worker = None
        self.summary.setText(f"The gradients could not be computed: {type(exc).__name__}: "
                             f"{exc}")

    def _fill(self, r: BackpropReport, steps: int | None) -> None:
        smooth = [c for c in r.checks if not c.at_kink]
        kinks = len(r.checks) - len(smooth)
        worst = max((c.rel_error for c in smooth), default=0.0)
        memory = (f"from its memory after {steps:,} steps of this run" if steps is not None
                  else "as the first step of a new run")
        agree = (f"{len(smooth)} checked by finite differences agree to within "
                 f"<b>{worst:.1e}</b>" if smooth else "none could be checked smoothly")
        if kinks:
            agree += (f"; {kinks} more sit at a kink (a ReLU exactly at 0, or a tie in a "
                      "max-pool), where the slope differs on the two sides: backpropagation "
                      "takes one side, the finite difference averages both")
        self.summary.setText(
            f"Loss on this batch: <b>{r.loss:.5g}</b>. Backpropagation gave a gradient to "
            f"each of {sum(p.grad.size for p in r.params):,} weights and biases; {agree}. "
            f"The optimizer ({r.optimizer}, learning rate {r.lr:g}) turns them into the "
            f"update ΔW below, {memory}.")
        self.table.setRowCount(len(r.params))
        for i, p in enumerate(r.params):
            self._row(self.table, i, self._param_cells(p))
        self.checks.setRowCount(len(r.checks))
        for i, c in enumerate(r.checks):
            idx = ", ".join(map(str, c.index))
            diff = f"{c.rel_error:.1e}" + (" (at a kink)" if c.at_kink else "")
            self._row(self.checks, i, [c.name, f"[{idx}]", f"{c.backprop:.6g}",
                                       f"{c.numeric:.6g}", diff])

    @staticmethod
    def _param_cells(p: ParamGradient) -> list[str]:
        size = float(np.linalg.norm(p.value))
        ratio = f"{np.linalg.norm(p.update) / size:.2e}" if size > 1e-8 else "– (all 0)"
        shape = " × ".join(map(str, p.grad.shape))
        return [p.layer, p.symbol, shape, _summary(p.grad), _summary(p.update), ratio]

    @staticmethod
    def _row(table: QTableWidget, r: int, cells: list[str]) -> None:
        for c, text in enumerate(cells):
            item = table.item(r, c)
            if item is None:
                item = QTableWidgetItem()
                table.setItem(r, c, item)
            item.setText(text)
