"""The open step of a lesson: text, what was set up, the task, live checks, hints, buttons.

:class:`StepCard` sits in the window's Lesson dock, so it stays in view on every page the
lesson leads to. A timer measures the step's checks a few times a second; each check's line
turns green by itself when it holds, and the step counts as done when all hold.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nnstudio.lessons.format import Lesson, Step
from nnstudio.lessons.measures import Measurer
from nnstudio.lessons.setup import describe

TICK_MS = 300
MET = "#1a7f37"
OPEN = "#6a737d"
ERROR_STYLE = "color: #b4441b;"

_SETUP_WORDS = {"design": "Design", "weights": "Weights", "data": "Data",
                "settings": "Settings", "page": "Page", "view": "View"}


def _label(name: str, *, wrap: bool = True, rich: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class StepCard(QWidget):
    """One lesson step at a time (objectName ``stepCard``).

    Parameters
    ----------
    runner : LessonRunner

    Signals
    -------
    stepMet(int)
        Every check of the step with this index holds (emitted once per opening).
    backRequested(), nextRequested(), leaveRequested()
        The navigation buttons.
    """

    stepMet = Signal(int)
    backRequested = Signal()
    nextRequested = Signal()
    leaveRequested = Signal()

    def __init__(self, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepCard")
        self.runner = runner
        self.measurer = Measurer()
        self.lesson: Lesson | None = None
        self.step: Step | None = None
        self.index = 0
        self.met = False
        self.results: list[bool] = []
        #: seconds since the step opened; tests replace it to make time pass
        self.clock: Callable[[], float] = time.monotonic
        self._opened = 0.0
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.refresh)
        self._queue: list = []
        controller = runner.window.controller
        controller.finished.connect(self._run_ended)
        controller.errored.connect(self._run_ended)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.counter = _label("stepCounter")
        self.counter.setStyleSheet(f"color: {OPEN};")
        self.title = _label("stepTitle")
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.text = _label("stepText", rich=True)
        self.setup_label = _label("stepSetup", rich=True)
        self.setup_label.setStyleSheet(f"color: {OPEN};")
        self.task = _label("stepTask", rich=True)
        self.checks_box = QVBoxLayout()
        self.checks_box.setSpacing(3)
        self.check_labels: list[QLabel] = []
        self.status = _label("stepStatus")
        self.hint = _label("stepHint", rich=True)
        self.hint.setStyleSheet("background: #fff8e1; border: 1px solid #f0d890;"
                                "border-radius: 4px; padding: 6px;")
        self.hint.setVisible(False)
        self.message = _label("stepMessage")
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setVisible(False)
        self.buttons_row = QHBoxLayout()
        self.buttons_row.setSpacing(4)
        self.step_buttons: list[QPushButton] = []

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(8)
        for w in (self.counter, self.title, self.text, self.setup_label):
            lay.addWidget(w)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #d0d7de;")
        lay.addWidget(line)
        lay.addWidget(self.task)
        lay.addLayout(self.checks_box)
        lay.addWidget(self.status)
        lay.addLayout(self.buttons_row)
        lay.addWidget(self.hint)
        lay.addWidget(self.message)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)

        self.back_button = self._button("Back", "lessonBack", "The step before",
                                        self.backRequested.emit)
        self.show_button = self._button("Show me", "lessonShowMe",
                                        "Do this step for me", self.show_me)
        self.next_button = self._button("Next", "lessonNext", "The next step",
                                        self.nextRequested.emit)
        self.leave_button = self._button("Leave", "lessonLeave", "End the lesson: your own "
                                         "design and settings come back",
                                         self.leaveRequested.emit)
        nav = QHBoxLayout()
        nav.setContentsMargins(10, 4, 10, 8)
        nav.addWidget(self.back_button)
        nav.addWidget(self.show_button)
        nav.addStretch(1)
        nav.addWidget(self.leave_button)
        nav.addWidget(self.next_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        outer.addLayout(nav)

    def _button(self, text: str, name: str, tip: str, slot: Callable) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.clicked.connect(lambda _=False: slot())
        return b

    # ------------------------------------------------------------------ showing a step
    def show_step(self, lesson: Lesson, index: int, problems: list[str] | None = None) -> None:
        """Show step ``index`` of ``lesson`` (already set up by the runner)."""
        self.lesson, self.index = lesson, index
        self.step = step = lesson.steps[index]
        self._queue = []
        self.met = False
        self._opened = self.clock()
        n = len(lesson.steps)
        self.counter.setText(f"{lesson.title} · step {index + 1} of {n}")
        self.title.setText(step.title)
        paras = list(step.text)
        if index == 0 and lesson.intro:
            paras.insert(0, lesson.intro)
        self.text.setText("".join(f"<p>{html.escape(p)}</p>" for p in paras))
        self.setup_label.setText(self._setup_text(step))
        self.setup_label.setVisible(bool(self.setup_label.text()))
        self.task.setText(f"<b>Your task:</b> {html.escape(step.task)}" if step.task else
                          "<i>Read, look around, then go on with Next.</i>")
        for label in self.check_labels:
            self.checks_box.removeWidget(label)
            label.hide()
            label.deleteLater()
        self.check_labels = []
        for _check in step.checks:
            label = _label("stepCheck")
            self.checks_box.addWidget(label)
            self.check_labels.append(label)
        for b in self.step_buttons:
            self.buttons_row.removeWidget(b)
            b.hide()
            b.deleteLater()
        self.step_buttons = []
        for label_text, action in step.buttons:
            b = QPushButton(label_text)
            b.setObjectName("stepAction")
            b.setToolTip(action.describe())
            b.clicked.connect(lambda _=False, a=action: self._do(a))
            self.buttons_row.addWidget(b)
            self.step_buttons.append(b)
        self.hint.setVisible(False)
        self.message.setVisible(bool(problems))
        if problems:
            self.message.setText("Part of this step could not be set up: "
                                 + "; ".join(problems))
        self.show_button.setEnabled(bool(step.show))
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("Finish" if index == n - 1 else "Next")
        self.refresh()
        self.timer.start()

    def _setup_text(self, step: Step) -> str:
        parts = [f"{_SETUP_WORDS[d.key]}: {html.escape(describe(d.key, d.value))}"
                 for d in step.setup]
        locked = self.runner.locked_titles()
        if locked:
            parts.append("locked for now: " + html.escape(", ".join(locked)))
        return ("<b>Set up for you</b> · " + " · ".join(parts)) if parts else ""

    # ------------------------------------------------------------------ live checks
    def refresh(self) -> None:
        """Measure the checks, colour them, show hints that are due; called by the timer."""
        step = self.step
        if step is None or not self.runner.active:
            return
        self.runner.enforce()
        ctx = self.runner.context()
        self.results = []
        for check, label in zip(step.checks, self.check_labels, strict=True):
            try:
                value = self.measurer.measure(check, ctx)
                ok = check.holds(value)
                text = self.measurer.label(check, value)
            except Exception as exc:  # noqa: BLE001 - a check that fails to measure is unmet
                ok, text = False, f"{check.describe()}: cannot be measured ({exc})"
            self.results.append(ok)
            mark = "✔" if ok else "○"
            label.setText(f"{mark}  {text}")
            label.setStyleSheet(f"color: {MET if ok else OPEN};"
                                + ("font-weight: 600;" if ok else ""))
        all_met = bool(step.checks) and all(self.results)
        if all_met:
            self.status.setText("Well done: this step is met. Go on with "
                                + ("Finish." if self.next_button.text() == "Finish"
                                   else "Next."))
            self.status.setStyleSheet(f"color: {MET}; font-weight: 600;")
        else:
            self.status.setText("")
        self.status.setVisible(all_met)
        if all_met and not self.met:
            self.met = True
            self.stepMet.emit(self.index)
        self._show_due_hint()

    def _show_due_hint(self) -> None:
        step, lesson = self.step, self.lesson
        if step is None or lesson is None or not step.hints or self.met:
            return
        due = int((self.clock() - self._opened) // lesson.hint_after)
        if due < 1:
            return
        shown = step.hints[: min(due, len(step.hints))]
        self.hint.setText("<b>Hint:</b> " + "<br><b>Hint:</b> ".join(
            html.escape(h) for h in shown))
        self.hint.setVisible(True)

    # ------------------------------------------------------------------ doing
    def show_me(self) -> None:
        """Perform the step's "show me" actions, in order; after a ``train`` the next action
        waits until that run has ended."""
        if self.step is not None:
            self._queue = list(self.step.show)
            self._continue()

    def _continue(self, *_args: Any) -> None:
        while self._queue:
            action = self._queue.pop(0)
            if not self._do(action):
                self._queue = []
                return
            if action.verb == "train" and self._queue:
                return  # resumed by the controller's finished / errored signal

    def _run_ended(self, *_args: Any) -> None:
        if self._queue:
            QTimer.singleShot(0, self._continue)

    def _do(self, action: Any) -> bool:
        try:
            self.runner.perform(action)
        except Exception as exc:  # noqa: BLE001 - a lesson never breaks the app
            self.message.setText(f"“{action.describe()}” could not be done: {exc}")
            self.message.setVisible(True)
            return False
        self.message.setVisible(False)
        self.refresh()
        return True

    def stop(self) -> None:
        self._queue = []
        self.timer.stop()
        self.step = self.lesson = None
