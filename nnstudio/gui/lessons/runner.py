"""Carrying out a lesson in the window: set-up, locks, actions, and what checks measure.

:class:`LessonRunner` works on the main window only through what the window already offers
(the session's setters, the training controller, the Training panel's widgets, the pages'
own methods), so everything a lesson does is what the learner could have done by hand.
A lesson reaches only the controls of :data:`nnstudio.lessons.controls.CONTROLS` (found by
:func:`~nnstudio.gui.lessons.controls.find_controls`), reads them only through fixed readers,
and every training it asks for runs in the training process, which Stop ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)

from nnstudio.core.perceptron import is_perceptron
from nnstudio.core.training import History
from nnstudio.gui.lessons.controls import find_controls, read_control
from nnstudio.gui.lessons.keeper import Keeper, apply_settings
from nnstudio.gui.snapshot import Snapshot
from nnstudio.lessons.actions import Action, parse_action
from nnstudio.lessons.controls import control, title
from nnstudio.lessons.format import Lesson, Step
from nnstudio.lessons.measures import Context
from nnstudio.lessons.setup import (
    PAGES,
    SETUP_KEYS,
    VIEWS,
    build_design,
    fill_weights,
    page_name,
    parse_data,
    parse_settings,
    parse_weights,
    view_name,
)

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class LessonError(RuntimeError):
    """Something a lesson asked for cannot be done now; the text says what and why."""


class LessonRunner(QObject):
    """Runs one lesson at a time in ``window``.

    Signals
    -------
    failed(str)
        Something the lesson set up or did could not be done (a sentence for the learner).
    """

    failed = Signal(str)

    def __init__(self, window: MainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.keeper = Keeper(window)
        self.lesson: Lesson | None = None
        self.step: Step | None = None
        self.epochs: list = []
        self.errors = 0
        self.runs = 0
        self.passes = 0
        #: mistakes in the perceptron's last pass, and how its last run ended (this step)
        self.pass_mistakes: float | None = None
        self.outcome: str | None = None
        self._run_in_step = False
        self._digits_at_open = 0
        self._weights_at_open: dict[str, np.ndarray] = {}
        self._locks: dict[int, tuple[Any, bool, str]] = {}
        self._lesson_names: list[tuple[str, str]] = []
        self._step_names: list[tuple[str, str]] = []
        c = window.controller
        c.started.connect(self._on_started)
        c.errored.connect(self._on_error)
        c.finished.connect(self._on_finished)
        c.perceptronEnded.connect(self._on_perceptron_ended)
        window.session.snapshotApplied.connect(self._on_snapshot)

    # ------------------------------------------------------------------ lesson
    @property
    def active(self) -> bool:
        return self.lesson is not None

    def start(self, lesson: Lesson) -> None:
        """Set the person's work aside and begin ``lesson`` (no step open yet)."""
        if self.lesson is not None:
            self.stop()
        self.keeper.take()
        self.lesson = lesson
        self._lesson_names = [(n, "lock") for n in lesson.lock] + \
            [(n, "hide") for n in lesson.hide]
        self.enforce()

    def stop(self) -> None:
        """End the lesson: unlock everything and give the person's work back."""
        if self.lesson is None:
            return
        self._lesson_names, self._step_names = [], []
        self._release_all()
        self.lesson = self.step = None
        try:
            self.keeper.give_back()
        except Exception as exc:  # noqa: BLE001 - must never lose the person's work silently
            log.exception("the person's state could not be restored")
            self.failed.emit(f"Your own design could not be put back ({exc}).")

    def open_step(self, step: Step) -> list[str]:
        """Set up ``step``; returns the problems met (empty when all went well)."""
        w = self.window
        c = w.controller
        if c.running or c.waiting_for_data:
            c.stop()
            c.wait_idle(5000)
        self.step = step
        self._run_in_step = False
        self.epochs, self.errors, self.runs, self.passes = [], 0, 0, 0
        self.pass_mistakes = self.outcome = None
        self._digits_at_open = self._my_digits()
        self._step_names = [(n, "lock") for n in step.lock] + [(n, "hide") for n in step.hide]
        self._release_all()
        problems = []
        for key in SETUP_KEYS:
            for d in step.setup:
                if d.key != key:
                    continue
                try:
                    self.perform(Action(d.key, d.value, d.line))
                except Exception as exc:  # noqa: BLE001 - a lesson never breaks the app
                    log.warning("lesson set-up %s: %s failed: %s", d.key, d.value, exc)
                    problems.append(f"line {d.line}: {d.key} {d.value}: {exc}")
        self.enforce()
        self._weights_at_open = self._weights()
        conv = self._part("convView")  # its filters show their change since the step opened
        if conv is not None:
            conv.mark_reference("since this step opened")
        return problems

    # ------------------------------------------------------------------ locks
    def enforce(self) -> None:
        """(Re)apply the locks and hidden controls; cheap, called on every tick."""
        for name, how in self._lesson_names + self._step_names:
            for obj in self._find_all(name):
                key = id(obj)
                if key not in self._locks:
                    was = obj.isEnabled() if how == "lock" else obj.isVisible()
                    if how == "hide" and isinstance(obj, QWidget):
                        was = not obj.isHidden()
                    self._locks[key] = (obj, was, how)
                if how == "lock" and obj.isEnabled():
                    obj.setEnabled(False)
                elif how == "hide" and obj.isVisible():
                    obj.setVisible(False)

    def _release_all(self) -> None:
        for obj, was, how in self._locks.values():
            try:
                if how == "lock":
                    obj.setEnabled(was)
                else:
                    obj.setVisible(was)
            except RuntimeError:  # the widget is gone
                pass
        self._locks.clear()

    def locked_names(self) -> list[str]:
        return [n for n, how in self._lesson_names + self._step_names if how == "lock"]

    def locked_titles(self) -> list[str]:
        """What people call the locked controls ("the template chooser"), each once."""
        return list(dict.fromkeys(title(n) for n in self.locked_names()))

    def missing_names(self, names: list[str]) -> list[str]:
        """Those of ``names`` no control of the window has."""
        return [n for n in names if not self._find_all(n)]

    def _find_all(self, name: str) -> list[Any]:
        """The controls named ``name`` a lesson may reach (none for any other name)."""
        return find_controls(self.window, name)

    def find(self, name: str) -> Any:
        found = self._find_all(name)
        return found[0] if found else None

    def _part(self, name: str) -> Any:
        """A part of the window the runner itself reads (never a name from a lesson)."""
        return self.window.findChild(QObject, name)

    # ------------------------------------------------------------------ actions
    def perform(self, action: Action) -> None:
        """Carry out ``action`` (checked again as the lesson checker checks it).

        Raises
        ------
        LessonError
            It cannot be done now; the text says why.
        ValueError
            The action is not one a lesson may ask for.
        """
        w, s, c = self.window, self.window.session, self.window.controller
        verb, arg = action.verb, action.arg
        if verb not in SETUP_KEYS:  # (set-up values are checked where they are used)
            parse_action(action.describe(), action.line)
        base = None
        if self.lesson is not None and self.lesson.path is not None:
            base = self.lesson.path.resolve().parent
        if verb == "design":
            if arg.strip() == "default":
                from nnstudio.core.modelfile import load_model
                from nnstudio.resources import default_model_path

                model = load_model(default_model_path())
                s.set_design(model.design, weights=model.network.get_weights(),
                             history=model.history, meta=model.meta)
            else:
                s.set_design(build_design(arg, base))
            s.set_dirty(False)
        elif verb == "weights":
            parsed = parse_weights(arg)
            if s.network is None:
                raise LessonError("the design is not valid, so it has no weights to set")
            if isinstance(parsed, int):
                s.reset_weights(parsed)
            else:  # weights given by value start afresh, as Reset does: a new history
                s.set_weights(fill_weights(s.network.get_weights(), parsed), history=History())
            s.set_dirty(False)
        elif verb == "data":
            spec, size = parse_data(arg, base)
            if c.data.spec != spec or c.data.image_size != size or s.dataset is None:
                c.data.load(spec, size)
        elif verb == "settings":
            apply_settings(w, parse_settings(arg))
        elif verb == "page":
            page = w.pages.get(page_name(arg))
            if page is None:
                raise LessonError(f"this window has no page {arg!r}")
            w.tabs.setCurrentWidget(page)
        elif verb == "view":
            name = view_name(arg)
            if name in ("neurons", "diagram"):
                w.pages["designPage"].set_mode(1 if name == "neurons" else 0)
            else:
                w.pages["insidePage"].show_view(name)
        elif verb == "set":
            name, _, value = arg.partition(" ")
            self._set_widget(name, value.strip())
        elif verb == "click":
            control(arg, "click")
            obj = self.find(arg)
            if obj is None:
                raise LessonError(f"there is no control {arg!r} in this window")
            if not obj.isEnabled():
                raise LessonError(f"{arg!r} cannot be used right now")
            if isinstance(obj, QAction):
                obj.trigger()
            elif isinstance(obj, QAbstractButton):
                obj.click()
            else:
                raise LessonError(f"{arg!r} is not a button")
        elif verb in ("train", "fit"):
            self._train(action.number)
        elif verb == "reset":
            s.reset_weights(action.number or 0)
        elif verb == "perceptron":
            if s.network is None or not is_perceptron(s.network):
                raise LessonError("the design is not a perceptron (one neuron with a step)")
            self._train(action.number or 1)
        else:
            raise LessonError(f"unknown action {verb!r}")

    def _set_widget(self, name: str, value: str) -> None:
        control(name, "set")
        obj = self.find(name)
        if obj is None:
            raise LessonError(f"there is no control {name!r} in this window")
        if isinstance(obj, QComboBox):
            i = obj.findData(value)
            i = obj.findText(value) if i < 0 else i
            if i < 0:
                raise LessonError(f"{name!r} has no choice {value!r}")
            obj.setCurrentIndex(i)
            obj.activated.emit(i)
        elif isinstance(obj, QAbstractButton) and obj.isCheckable():
            obj.setChecked(value.lower() in ("1", "true", "yes", "on"))
        elif isinstance(obj, QAbstractSpinBox | QAbstractSlider):
            number = float(value)
            if isinstance(obj.value(), int):
                number = min(max(number, obj.minimum()), obj.maximum())
            obj.setValue(type(obj.value())(number))
        elif isinstance(obj, QLineEdit):
            obj.setText(value)
            obj.editingFinished.emit()
        else:
            raise LessonError(f"{name!r} does not take a value")

    def _train(self, epochs: int | None) -> None:
        """Train with Play for ``epochs`` (default: the Epochs setting) in the training
        process: the window stays responsive and Stop ends it."""
        s, c = self.window.session, self.window.controller
        if s.network is None:
            raise LessonError("the design is not valid, so it cannot be trained")
        if epochs:
            apply_settings(self.window, {"epochs": epochs})
        c.play()

    # ------------------------------------------------------------------ measuring
    def context(self) -> Context:
        """What the checks can see now."""
        w, s = self.window, self.window.session
        page = w.tabs.currentWidget()
        inside = w.pages["insidePage"]
        view = inside.tabs.currentWidget()
        short_page = {v: k for k, v in PAGES.items()}.get(
            page.objectName() if page else "", "")
        short_view = {v: k for k, v in VIEWS.items() if k != "mistakes"}.get(
            view.objectName() if view is not None else "", "")
        if page is not inside:  # a view counts as open only while it is on screen
            short_view = "none"
        ink = 0
        if s.current_input is not None:
            ink = int((np.asarray(s.current_input) > 0.5).sum())
        values = {"page": short_page, "view": short_view, "state": s.training_state,
                  "errors": self.errors, "runs": self.runs, "ink": ink,
                  "passes": self.passes, "pass_mistakes": self.pass_mistakes,
                  "outcome": self.outcome, "changed_weights": self._changed_weights,
                  "my_digits": lambda: max(0, self._my_digits() - self._digits_at_open),
                  "running": s.training_state == "running", "ball": self._ball}
        return Context(network=s.network, design=s.design, dataset=s.dataset,
                       epochs=list(self.epochs), values=values, widget=self.widget_value)

    def widget_value(self, name: str, what: str) -> Any:
        """The reading ``what`` of the control ``name`` (``lrSpin``, ``value``), read by the
        fixed reader for it; ValueError for anything lessons may not read."""
        return read_control(self.window, name, what)

    def _ball(self) -> str:
        """How the Rolling ball view's last roll ended, in one word."""
        view = self._part("rollView")
        if view is None or len(view.path) < 2:
            return "none"
        if view.rolling:
            return "rolling"
        from nnstudio.core.insight.roll import judge

        return judge(view.path, view.rate.value()).kind

    def _weights(self) -> dict[str, np.ndarray]:
        net = self.window.session.network
        return {} if net is None else net.get_weights()

    def _changed_weights(self) -> int:
        """How many single weights and biases differ from those the step opened with."""
        before, now = self._weights_at_open, self._weights()
        n = 0
        for key, value in now.items():
            old = before.get(key)
            if old is None or old.shape != value.shape:
                n += value.size
            else:
                n += int((old != value).sum())
        return n

    def _my_digits(self) -> int:
        teach = self._part("teachPanel")
        try:
            return int(teach.count()) if teach is not None else 0
        except Exception:  # noqa: BLE001 - an unreadable store counts as none
            return 0

    # ------------------------------------------------------------------ training events
    def _on_started(self) -> None:
        self.epochs = []
        self._run_in_step = self.step is not None

    def _on_error(self, _message: str) -> None:
        if self._run_in_step:
            self.errors += 1
        self._run_in_step = False

    def _on_finished(self, _history: History) -> None:
        if self._run_in_step:
            self.runs += 1
        self._run_in_step = False

    def _on_snapshot(self, snap: Snapshot) -> None:
        if self.lesson is not None and snap.epochs:
            self.epochs.extend(snap.epochs)
            net = self.window.session.network
            if self.step is not None and net is not None and is_perceptron(net):
                # one epoch of a perceptron is one pass of the rule; its training "loss"
                # is the number of mistakes in that pass
                self.passes += len(snap.epochs)
                self.pass_mistakes = float(snap.epochs[-1].train_loss)

    def _on_perceptron_ended(self, outcome: dict) -> None:
        if self.step is not None:  # (open_step lets an earlier step's run end first)
            self.outcome = str(outcome.get("kind", "")) or None

