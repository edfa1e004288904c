"""The Train page: big current numbers, live cost/accuracy/learning-rate curves, exports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.costwatch import CostWatch
from nnstudio.gui.flow import FlowLayout
from nnstudio.gui.session import Session
from nnstudio.gui.snapshot import Snapshot
from nnstudio.gui.train.curve_book import CurveBook
from nnstudio.gui.train.plots import BLUE, ORANGE, TrainingPlots
from nnstudio.gui.train.progress import RunWords, of_total
from nnstudio.gui.train.readout import Readout
from nnstudio.gui.train.receive import snapshot_from_history
from nnstudio.gui.train.steps import SgdSteps
from nnstudio.gui.train.timeline import RunTimeline

HINT_STYLE = "color: #6b6b6b; font-style: italic;"
COST_HINT = ("The faint line is the cost of each mini-batch, the bold line its moving average; "
             "dots and squares mark the ends of epochs while they are far enough apart to see. "
             "When the orange validation cost rises while "
             "the blue training cost keeps falling, the network is memorising its training "
             "samples (overfitting).")
PERCEPTRON_HINT = ("The perceptron rule takes one sample at a time: when the neuron answers "
                   "wrong, every weight moves by learning rate × (target − answer) × its "
                   "input, and the bias by learning rate × (target − answer). The faint line "
                   "counts the mistakes within each pass; the dots are the mistakes of each "
                   "whole pass. It stops by itself after a pass without mistakes.")
#: settings with which the playground template learns a 2-D set of a few points (XOR)
TWO_LAYER_SETTINGS = {"lr": 0.05, "epochs": 300, "batch_size": 4, "optimizer": "adam"}


class TrainView(QWidget):
    """The Train page (objectName ``trainView``): what training is doing right now.

    Parameters
    ----------
    session : Session
        ``session.training`` is the window's TrainingController (may be None in tools).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainView")
        self.session = session
        self.controller = session.training

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 6)
        lay.setSpacing(6)

        self.cards = QWidget()  # the cards take two lines where one would cut their captions
        self.cards.setObjectName("trainCards")
        cards = FlowLayout(self.cards, spacing=6, line_spacing=6, justify=True)
        self.epoch_card = Readout("epochReadout", "Epoch", tooltip="One epoch = one pass over "
                                  "all training samples.")
        self.cost_card = Readout("costReadout", "Training cost", BLUE,
                                 "The cost on the batches trained on (smoothed). Lower is "
                                 "better.")
        self.val_cost_card = Readout("valCostReadout", "Validation cost", ORANGE,
                                     "The cost on held-out data at the end of the last epoch: "
                                     "how well the network does on samples it never trained on.")
        self.acc_card = Readout("accuracyReadout", "Training accuracy", BLUE)
        self.val_acc_card = Readout("valAccuracyReadout", "Validation accuracy", ORANGE)
        self.speed_card = Readout("speedReadout", "Speed", "#444444",
                                  "Samples trained per second over the last seconds of "
                                  "training (pauses do not count).")
        for c in (self.epoch_card, self.cost_card, self.val_cost_card, self.acc_card,
                  self.val_acc_card, self.speed_card):
            cards.addWidget(c)
        lay.addWidget(self.cards)

        self.message = QLabel("")
        self.message.setObjectName("trainMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.two_layer_button = QPushButton("Use a network with a hidden layer")
        self.two_layer_button.setObjectName("twoLayerButton")
        self.two_layer_button.setToolTip("Replace the design by the playground template "
                                         "(2 → 4 tanh → 2 tanh → 1 sigmoid), which can draw "
                                         "a curved boundary, with settings that train it.")
        self.two_layer_button.hide()
        self.two_layer_button.clicked.connect(self.use_two_layers)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.two_layer_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(message_row)
        self.steps = SgdSteps(session, self.controller)
        lay.addWidget(self.steps)

        self.tools = QWidget()
        self.tools.setObjectName("trainTools")
        tools = FlowLayout(self.tools, spacing=10, line_spacing=4)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setObjectName("logScaleCheck")
        self.log_check.setToolTip("Show the cost on a logarithmic axis: small costs become "
                                  "readable.")
        self.raw_check = QCheckBox("Every batch")
        self.raw_check.setObjectName("rawCheck")
        self.raw_check.setChecked(True)
        self.raw_check.setToolTip("Show the noisy cost of every mini-batch behind the "
                                  "smoothed line.")
        smoothing = QWidget()   # the slider and its word stay together on one line
        smooth_row = QHBoxLayout(smoothing)
        smooth_row.setContentsMargins(0, 0, 0, 0)
        smooth_row.addWidget(QLabel("Smoothing"))
        self.smooth_slider = QSlider(Qt.Orientation.Horizontal)
        self.smooth_slider.setObjectName("smoothingSlider")
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setValue(90)
        self.smooth_slider.setFixedWidth(110)
        self.smooth_slider.setToolTip("How much the bold line averages the noisy batches.")
        smooth_row.addWidget(self.smooth_slider)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.setObjectName("exportPngButton")
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setObjectName("exportCsvButton")
        self.clear_button = QPushButton("Clear earlier runs")
        self.clear_button.setObjectName("clearRunsButton")
        self.clear_button.setToolTip("Remove the grey curves of earlier runs.")
        for w in (self.log_check, self.raw_check, smoothing):
            tools.add_widget(w)
        actions = QWidget()     # the buttons move to the next line together
        action_row = QHBoxLayout(actions)
        action_row.setContentsMargins(0, 0, 0, 0)
        for w in (self.clear_button, self.png_button, self.csv_button):
            action_row.addWidget(w)
        tools.add_widget(actions, right=True)
        lay.addWidget(self.tools)

        self.timeline = RunTimeline(session, self)
        lay.addWidget(self.timeline)

        self.plots = TrainingPlots(self)
        lay.addWidget(self.plots, 1)
        self.timeline.marked.connect(self.plots.set_marker)

        hint = QLabel(COST_HINT)
        hint.setObjectName("trainHint")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        lay.addWidget(hint)
        self.hint = hint

        self.log_check.toggled.connect(self.plots.set_log_scale)
        self.raw_check.toggled.connect(self.plots.set_show_raw)
        self.smooth_slider.valueChanged.connect(lambda v: self.plots.set_smoothing(v / 100.0))
        self.png_button.clicked.connect(self.export_png_dialog)
        self.csv_button.clicked.connect(self.export_csv_dialog)
        self.clear_button.clicked.connect(self.plots.clear_earlier)

        session.snapshotApplied.connect(self._on_snapshot)
        session.figuresDue.connect(self._show_figures)
        session.trainingStateChanged.connect(self._on_state)
        session.designReplaced.connect(self._on_design_replaced)
        session.datasetChanged.connect(self._on_dataset_changed)
        session.modelChanged.connect(self._update_message)
        self.curves: CurveBook | None = None
        if self.controller is not None:
            self.curves = CurveBook(session, self.controller, self)
            self.curves.newCurve.connect(self._on_new_curve)
            self.controller.errored.connect(self._on_error)
            self.controller.data.waiting.connect(lambda _on: self._update_message())
            self.controller.perceptronEnded.connect(self._on_perceptron_ended)
        session.modelChanged.connect(self._apply_words)
        session.state.events.fork.connect(self._on_fork)
        self._perceptron = False
        self._outcome: dict | None = None
        self._error: str | None = None
        self._warning: str | None = None
        self._cost_watch = CostWatch()
        self._epochs_total = 0
        self._curves_task: tuple | None = None   # the task the curves on the plots are of
        self._curves_data = ""
        self._note = ""
        self._cost_tip = self.cost_card.toolTip()
        self._load_history()
        self._fit_task()
        self._apply_words()
        self._show_speed()
        self._update_message()

    # ------------------------------------------------------------------ perceptron
    @Slot()
    def _apply_words(self) -> None:
        """A perceptron counts mistakes per pass; every other network has a cost."""
        from nnstudio.core.perceptron import is_perceptron

        net = self.session.network
        on = net is not None and is_perceptron(net)
        if on == self._perceptron:
            return
        self._perceptron = on
        if on:
            self.plots.set_words("Mistakes per pass over the data (0 = every sample right)",
                                 "mistakes", "mistakes so far in the pass",
                                 "mistakes, smoothed", "mistakes per pass",
                                 "held-out mistakes")
            words = (("Pass", "One pass = every training sample once, in order."),
                     ("Mistakes", "Samples the neuron got wrong (and learned "
                      "from) in the current pass."),
                     ("Held-out mistakes", "Held-out samples it gets wrong after the last "
                      "pass."))
        else:
            self.plots.set_words("Cost (lower is better)", "cost", "cost per batch",
                                 "cost, smoothed", "training cost per epoch",
                                 "validation cost")
            words = (("Epoch", "One epoch = one pass over all training samples."),
                     ("Training cost", "The cost on the batches trained on (smoothed). "
                      "Lower is better."),
                     ("Validation cost", "The cost on held-out data at the end of the last "
                      "epoch: how well the network does on samples it never trained on."))
        self.hint.setText(PERCEPTRON_HINT if on else COST_HINT)
        for card, (caption, tip) in zip((self.epoch_card, self.cost_card,
                                         self.val_cost_card), words, strict=True):
            card.caption.setText(caption)
            card.setToolTip(tip)
        self._cost_tip = self.cost_card.toolTip()
        self._fit_task()
        self._outcome = None
        self.two_layer_button.hide()
        self._update_message()

    @Slot(dict)
    def _on_perceptron_ended(self, outcome: dict) -> None:
        self._outcome = dict(outcome)
        self.two_layer_button.setVisible(outcome.get("kind") in ("cycle", "out_of_passes"))
        self._update_message()

    @Slot()
    def use_two_layers(self) -> None:
        """Replace the perceptron by a network with hidden layers, set to learn 2-D sets."""
        from nnstudio.core.templates import get_template

        if self.controller is not None and self.controller.running:
            return
        self.session.set_design(get_template("playground"))
        if self.controller is not None:
            self.controller.apply_settings(**TWO_LAYER_SETTINGS)
        self._set_message("The design is now 2 → 4 tanh → 2 tanh → 1 sigmoid, trained by "
                          "backpropagation (learning rate 0.05, 300 epochs, batch size 4). "
                          "Press Play: its hidden neurons bend the boundary around the "
                          "points one straight line could not separate.")

    # ------------------------------------------------------------------ updates
    @Slot(Snapshot)
    def _on_snapshot(self, snap: Snapshot) -> None:
        ds = self.session.dataset
        if ds is not None:
            self._curves_task, self._curves_data = _task_of(ds), ds.name
        self._note = ""
        if self.curves is not None:
            snap = self.curves.place(snap)
        self.plots.add_snapshot(snap)
        losses = np.asarray(snap.batch_loss, dtype=np.float64)
        if len(losses) and not self._cost_watch.warned:
            lrs = np.asarray(snap.batch_lr, dtype=np.float64)
            warning = self._cost_watch.add(losses, float(lrs[-1]) if len(lrs) else None)
            if warning:
                self._warning = warning
                self._update_message()
        total = int(snap.epochs_total)
        if total:
            self._epochs_total = total

    @Slot(Snapshot)
    def _show_figures(self, snap: Snapshot) -> None:
        """The cards, from the latest snapshot (``session.figuresDue``: a few times a
        second, and at once when the run ends)."""
        n_b = int(snap.n_batches)
        epoch = int(snap.epoch) + 1
        words = RunWords.of(self.session.network)   # the perceptron takes one sample at a time
        detail = f"{words.batch} {of_total(snap.batch, n_b)}" if n_b else ""
        self.epoch_card.set(of_total(epoch, self._epochs_total), detail)
        self._show_speed()
        self._update_numbers()

    def _show_speed(self) -> None:
        """The controller's measure of the run's speed (samples per second, recent)."""
        if self.controller is not None:
            self.speed_card.set(*self.controller.speed.card())

    def _update_numbers(self) -> None:
        v = self.plots.latest()
        if self._perceptron:  # whole numbers: the mistakes of the last finished pass
            last = v["epoch_cost"]
            self.cost_card.set("–" if last != last else f"{last:.0f}", "in the last pass")
            held = v["val_cost"]
            self.val_cost_card.set("–" if held != held else f"{held:.0f}", "after the last "
                                   "pass")
        else:
            self.cost_card.set(_fmt(v["cost"]), _epoch_detail(v["epoch_cost"]))
            self.val_cost_card.set(_fmt(v["val_cost"]), "at the last epoch end")
        self.acc_card.set(_pct(v["accuracy"]), "smoothed")
        self.val_acc_card.set(_pct(v["val_accuracy"]), "after the last pass" if self._perceptron
                              else "at the last epoch end")

    @Slot(str)
    def _on_new_curve(self, label: str) -> None:
        self.plots.new_run(label)
        self._cost_watch.reset()
        self._warning = None
        self._epochs_total = 0
        for card in (self.epoch_card, self.cost_card, self.val_cost_card, self.acc_card,
                     self.val_acc_card, self.speed_card):
            card.set("–")
        self._show_speed()

    @Slot()
    def _on_dataset_changed(self) -> None:
        """Curves of another task (digits before car prices) are not comparable: clear them."""
        ds = self.session.dataset
        task = None if ds is None else _task_of(ds)
        has_curves = self.plots.n_points or self.plots.n_earlier_runs
        if task is not None and self._curves_task not in (None, task) and has_curves:
            self._on_new_curve("")
            self.plots.clear_earlier()
            self._note = (f"The curves of earlier runs were cleared: they were for another "
                          f"task (“{self._curves_data}”).")
            self._curves_task = None
        self._fit_task()
        self._update_message()

    def _fit_task(self) -> None:
        """Regression has no accuracy: its cards and plot give way to the cost."""
        ds, net = self.session.dataset, self.session.network
        regression = (ds.task == "regression" if ds is not None
                      else net is not None and net.task == "regression")
        for w in (self.acc_card, self.val_acc_card, self.plots.acc_plot):
            w.setVisible(not regression)
        what = (" Here the cost is the mean squared error: the average of (true − estimate)²."
                if regression else "")
        self.cost_card.setToolTip(self._cost_tip + what)

    @Slot()
    def _on_design_replaced(self) -> None:
        self._on_new_curve("")
        self._load_history()
        self._fit_task()

    def _on_fork(self, fork: dict | None) -> None:
        """Continue from a checkpoint: the curve so far becomes an earlier run's, and the
        parent's curve up to the checkpoint is drawn as the start of the new one."""
        if fork is None or self.curves is None:
            return
        self.curves.branch(f"before checkpoint {fork.get('checkpoint')}")
        self._load_history()
        self.curves.continue_at(self.plots.x_end())

    def _load_history(self) -> None:
        h = self.session.history
        if h is None:
            return
        snap = snapshot_from_history(h)
        if snap is None or (len(snap.batch_loss) == 0 and not snap.epochs):
            return
        self.plots.add_snapshot(snap)
        self.plots.refresh()
        if snap.epochs:
            self.epoch_card.set(str(snap.epoch + 1), "trained so far")
        self._update_numbers()

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if state in ("running", "idle"):   # a new run, or what made the last one fail changed
            self._error = None
        self._show_speed()
        self._update_message()

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self._error = message
        self._update_message()

    @Slot()
    def _update_message(self) -> None:
        s = self.session
        c = self.controller
        if self._error:
            self._set_message(self._error, error=True)
            return
        state = s.training_state
        if self._warning and state in ("running", "paused", "finished", "stopped"):
            self._set_message(self._warning, error=True)
            return
        if c is not None and c.waiting_for_data:
            self._set_message("Loading the data… training starts as soon as it is ready.")
        elif state == "running":
            self._set_message("Training… Pause (Space) to look closely, Stop to keep the "
                              "weights as they are.")
        elif state == "paused":
            unit = "sample" if self._perceptron else "batch"
            self._set_message(f"Paused. Play (Space) continues; Step trains one {unit} at a "
                              "time.")
        elif s.network is None:
            why = c.check_ready() if c is not None else None
            self._set_message(why or "The design is not complete yet.", error=True)
        elif s.dataset is None:
            loading = c is not None and c.data.busy
            self._set_message("Loading the data…" if loading else
                              "Choose data in the Training panel to train on.")
        else:
            problem = c.check_ready() if c is not None else None
            if problem:
                self._set_message(problem, error=True)
            elif state in ("finished", "stopped") and self._perceptron and self._outcome:
                from nnstudio.core.perceptron_training import outcome_text

                self._set_message(outcome_text(self._outcome),
                                  error=self._outcome.get("kind") == "cycle")
            elif state == "finished":
                self._set_message("Training finished. Play trains more epochs from here; "
                                  "Reset starts again from random weights.")
            elif state == "stopped":
                end = c.plan.end if c is not None and c.plan.setting is not None else 0
                unit = "pass" if self._perceptron else "epoch"
                self._set_message(f"Stopped. Play goes on to {unit} {end:,} from the current "
                                  "weights." if end else "Stopped. Play continues from the "
                                  "current weights.")
            else:
                self._set_message(f"Press Play (Space) to train on “{s.dataset.name}”.")

    def _set_message(self, text: str, *, error: bool = False) -> None:
        if self._note and not error:
            text = f"{text} {self._note}"
        self.message.setText(text)
        self.message.setStyleSheet(
            "color: #b4441b; font-weight: 600;" if error else "color: #444444;"
        )

    # ------------------------------------------------------------------ export
    def export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the plots as PNG",
                                              "training.png", "PNG image (*.png)")
        if path:
            self._export(self.plots.export_png, path)

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the metrics as CSV",
                                              "training.csv", "CSV table (*.csv)")
        if path:
            self._export(self.plots.export_csv, path)

    def _export(self, fn: Any, path: str) -> None:
        try:
            fn(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}: {exc}")


def _task_of(ds: Any) -> tuple:
    """What makes two datasets the same task for the curves: task, classes, sample shape."""
    return (ds.task, tuple(ds.classes), tuple(ds.x.shape[1:]))


def _fmt(v: float) -> str:
    if v != v:
        return "–"
    if abs(v) >= 1e6:   # a blown-up cost: "2.27e+26", not thirty digits across the cards
        return f"{v:.3g}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3f}" if abs(v) >= 0.01 else f"{v:.2e}"


def _pct(v: float) -> str:
    return "–" if v != v else f"{v:.1f} %"


def _epoch_detail(v: float) -> str:
    return "smoothed" if v != v or not math.isfinite(v) else f"last epoch {_fmt(v)}"
