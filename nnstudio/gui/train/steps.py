"""The steps of training, named where they happen.

A strip on the Train page. For a network trained by backpropagation, the seven steps of
stochastic gradient descent: 1 initialise, 2 predict, 3 loss, 4 gradient, 5 step, 6 repeat,
7 stop. Reset lights step 1 (fresh random weights); Step one batch walks 2 to 5, one step
at a time, and ends on the step it took: the change of the weights, read from the weights
before and after the batch; Play lights 6 (the loop back to 2, batch after batch); Stop, or
the last epoch done, lights 7.

For a perceptron (one step neuron, trained by the perceptron rule) the six steps of that
rule: 1 initialise, 2 predict (one sample), 3 compare (right or wrong), 4 update (only when
wrong), 5 repeat, 6 stop. Step one sample walks 2 to 4 and says whether the weights moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnstudio.words import counted

__all__ = ["PERCEPTRON_STEPS", "STEPS", "SgdSteps"]

#: (name, what happens), in order; step n is STEPS[n - 1]
STEPS: list[tuple[str, str]] = [
    ("initialise", "the weights start as small random numbers: the network knows nothing yet"),
    ("predict", "the network answers every sample of one batch (the forward pass)"),
    ("loss", "the cost measures how wrong those answers are"),
    ("gradient", "backpropagation computes, for every weight, how the loss changes with it"),
    ("step", "every weight moves against its gradient, by the learning rate"),
    ("repeat", "back to step 2 with the next batch, epoch after epoch"),
    ("stop", "training ends; the weights trained so far are kept"),
]
#: the perceptron rule's steps
PERCEPTRON_STEPS: list[tuple[str, str]] = [
    ("initialise", "the weights and the threshold start at zero or small numbers"),
    ("predict", "the neuron fires (1) or not (0) for one sample: is w·x + b above 0?"),
    ("compare", "the answer is checked against the sample's class: right or wrong"),
    ("update", "only when wrong: w ← w + lr·(t − y)·x and b ← b + lr·(t − y)"),
    ("repeat", "back to step 2 with the next sample, pass after pass"),
    ("stop", "a whole pass without a mistake, or the weights come back to where they "
             "were (no straight line separates the classes)"),
]
WALK_MS = 300          # time between two steps of the walk through 2–5
_ON = "background: #0877bd; color: white; border-radius: 4px; padding: 1px 4px;"
_OFF = "background: #eef1f3; color: #555555; border-radius: 4px; padding: 1px 4px;"


class SgdSteps(QFrame):
    """The seven steps, the current one lit, with a sentence on what it does now.

    Parameters
    ----------
    session : Session
    controller : TrainingController or None
        Its ``commanded`` signal says which button was pressed.
    """

    def __init__(self, session: Any, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sgdSteps")
        self.session = session
        self.steps = STEPS
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.labels: list[QLabel] = []
        for n in range(1, len(STEPS) + 1):
            label = QLabel()
            label.setObjectName(f"sgdStep{n}")
            label.setStyleSheet(_OFF)
            self.labels.append(label)
            row.addWidget(label)
        row.addStretch(1)
        lay.addLayout(row)
        self.detail = QLabel("")
        self.detail.setObjectName("sgdStepDetail")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: #444444;")
        self.detail.setMinimumHeight(2 * self.detail.fontMetrics().height() + 2)
        lay.addWidget(self.detail)
        self.current = 0
        self._before: dict[str, np.ndarray] | None = None
        self._stepped: Any = None        # the snapshot that ended a Step, once it came
        self._walk = QTimer(self)
        self._walk.setInterval(WALK_MS)
        self._walk.timeout.connect(self._advance)
        if controller is not None:
            controller.commanded.connect(self._on_command)
        session.snapshotApplied.connect(self._on_snapshot)
        session.trainingStateChanged.connect(self._on_state)
        session.designReplaced.connect(self._follow_design)
        self._follow_design()

    @property
    def perceptron(self) -> bool:
        """True when the strip shows the perceptron rule's steps."""
        return self.steps is PERCEPTRON_STEPS

    @Slot()
    def _follow_design(self) -> None:
        """The perceptron rule's six steps for a perceptron, SGD's seven otherwise."""
        from nnstudio.core.perceptron import is_perceptron

        net = self.session.network
        self.steps = PERCEPTRON_STEPS if net is not None and is_perceptron(net) else STEPS
        for n, label in enumerate(self.labels, start=1):
            label.setVisible(n <= len(self.steps))
            if n <= len(self.steps):
                name, what = self.steps[n - 1]
                label.setText(f"{n} {name}")
                label.setToolTip(what[0].upper() + what[1:] + ".")
        self.setToolTip(
            "The perceptron rule, one sample at a time: Reset is step 1, Step one sample "
            "walks 2 to 4, Play repeats (5), Stop ends (6)." if self.perceptron else
            "The seven steps of stochastic gradient descent: Reset is step 1, Step one batch "
            "walks 2 to 5, Play repeats (6), Stop ends (7).")
        self._walk.stop()
        self.current = 0
        for label in self.labels:
            label.setStyleSheet(_OFF)
        self.detail.setText("")

    # ------------------------------------------------------------------ showing
    def show_step(self, n: int, text: str = "") -> None:
        """Light step ``n`` (1–7) and say ``text`` (its description by default)."""
        self.current = n
        for i, label in enumerate(self.labels, start=1):
            label.setStyleSheet(_ON if i == n else _OFF)
        name, what = self.steps[n - 1]
        self.detail.setText(f"<b>{n} {name}</b>: {text or what}.")

    # ------------------------------------------------------------------ events
    @Slot(str)
    def _on_command(self, what: str) -> None:
        self._walk.stop()
        if what == "reset":
            self.show_step(1, "new random weights: the network starts knowing nothing, and "
                           "each step of training will correct them")
        elif what == "step":
            net = self.session.network
            self._before = net.get_weights() if net is not None else None
            self._stepped = None
            self.show_step(2)
            self._walk.start()
        elif what == "play":
            self.show_step(len(self.steps) - 1)
        elif what == "stop":
            self.show_step(len(self.steps))

    @Slot(object)
    def _on_snapshot(self, snap: Any) -> None:
        if self._before is not None and snap.weights:
            self._stepped = snap
            if self.current == self._last_walked and not self._walk.isActive():
                self._show_update()

    @property
    def _last_walked(self) -> int:
        """The step a Step ends on: SGD's 5 (step), the perceptron's 4 (update)."""
        return 4 if self.perceptron else 5

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if state == "finished":
            self._walk.stop()
            self.show_step(len(self.steps), self._end_text())

    def _end_text(self) -> str:
        if not self.perceptron:
            return "all the epochs asked for are done; the weights trained so far are kept"
        training = self.session.training
        outcome = (training.last_outcome if training is not None else None) or {}
        passes = int(outcome.get("passes") or 0)
        history = self.session.history   # the pass's number counts every pass, as the card
        if outcome.get("kind") == "separated":
            number = len(history.epochs) if history is not None and history.epochs else passes
            return (f"pass {number} made no mistake: the line separates the two classes, so "
                    "the rule stops")
        if outcome.get("kind") == "cycle":
            return (f"after {counted(passes, 'pass', 'passes')} the weights came back to where "
                    "they were: no straight line separates these classes, so the rule would go "
                    "round for ever")
        return "the passes asked for are done; the weights so far are kept"

    def _advance(self) -> None:
        n = self.current + 1
        if self.perceptron:
            if n == 3:
                self.show_step(3, self._compare_text())
            else:
                self._walk.stop()
                self._show_update()
            return
        if n == 3:
            self.show_step(3, self._loss_text())
        elif n == 4:
            net = self.session.network
            count = f"all {net.n_params:,} weights and biases" if net is not None else "them"
            self.show_step(4, f"backpropagation computes dW and db for {count}, from the "
                           "output layer back (Inside > Backprop shows them)")
        else:
            self._walk.stop()
            self._show_update()

    def _loss_text(self) -> str:
        snap = self._stepped
        if snap is not None and len(snap.batch_loss):
            return f"the cost of this batch is {float(snap.batch_loss[-1]):.5g}"
        return STEPS[2][1]

    def _compare_text(self) -> str:
        moved = self._largest_change()
        if self._stepped is None:
            return self.steps[2][1]
        return ("wrong: the neuron's answer was not the sample's class" if moved else
                "right: the neuron gave the sample's class")

    def _largest_change(self) -> tuple | None:
        """(name, flat index, change, old, new, shape) of the weight the Step moved most, or
        None when none moved (or the Step's weights have not come yet)."""
        snap, before = self._stepped, self._before
        if snap is None or before is None:
            return None
        best = None
        for name, after in snap.weights.items():
            old = before.get(name)
            if old is None or old.shape != after.shape:
                continue
            delta = after.astype(np.float64) - old
            flat = int(np.abs(delta).argmax()) if delta.size else 0
            if delta.size and (best is None or abs(delta.flat[flat]) > abs(best[2])):
                best = (name, flat, float(delta.flat[flat]), float(old.flat[flat]),
                        float(after.flat[flat]), delta.shape)
        return best if best is not None and best[2] != 0.0 else None

    def _show_update(self) -> None:
        if self.perceptron:
            self._show_rule_update()
            return
        if self._stepped is None or self._before is None:
            self.show_step(5)
            return
        best = self._largest_change()
        training = self.session.training
        config = training.config if training is not None else None
        how = (f"the optimizer ({config.optimizer}, learning rate {config.lr:g}) moved every "
               "weight against its gradient" if config is not None else STEPS[4][1])
        if best is None:
            self.show_step(5, how)
            return
        name, flat, d, old, new, shape = best
        idx = ", ".join(str(int(i)) for i in np.unravel_index(flat, shape))
        self.show_step(5, f"{how}; the largest change: {name}[{idx}] by {d:+.4g}, from "
                       f"{old:.4g} to {new:.4g}. Play repeats this (step 6)")

    def _show_rule_update(self) -> None:
        if self._stepped is None:
            self.show_step(4)
            return
        best = self._largest_change()
        if best is None:
            self.show_step(4, "the answer was right, so nothing changes: the weights and the "
                           "threshold stay as they are. Play repeats this (step 5)")
            return
        name, flat, d, old, new, shape = best
        idx = ", ".join(str(int(i)) for i in np.unravel_index(flat, shape))
        self.show_step(4, f"the answer was wrong, so w ← w + lr·(t − y)·x moved the weights; "
                       f"the largest change: {name}[{idx}] by {d:+.4g}, from {old:.4g} to "
                       f"{new:.4g}. Play repeats this (step 5)")
