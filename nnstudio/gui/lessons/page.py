"""The Lessons page: the list of lessons with progress, and the lesson that is open.

The page (objectName ``lessonPanel``) lists the shipped lessons and the person's own (from
the data folder), each with its progress; a broken lesson file is listed with its problems
and cannot be started, and nothing else is affected. Starting a lesson sets the person's
work aside (:class:`~nnstudio.gui.lessons.keeper.Keeper`) and opens its steps in the
window's Lesson dock, which stays in view on every page; leaving gives the work back.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.lessons.library import Entry, Progress, find_lessons

log = logging.getLogger(__name__)


class LessonPage(QWidget):
    """The Lessons page.

    Parameters
    ----------
    session : Session
        The window's session (the lesson reaches the rest of the window through
        ``self.window()`` once the page is in it).
    """

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.session = session
        self.progress = Progress()
        self.entries: list[Entry] = []
        self.runner: Any = None
        self.card: Any = None
        self.dock: QDockWidget | None = None
        self.current: Entry | None = None
        self.step_index = 0

        self.list = QListWidget()
        self.list.setObjectName("lessonList")
        self.list.setMinimumWidth(260)
        self.list.currentRowChanged.connect(self._on_row)
        self.title = QLabel()
        self.title.setObjectName("lessonTitle")
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.about = QLabel()
        self.about.setObjectName("lessonAbout")
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.RichText)
        self.about.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Start lesson")
        self.start_button.setObjectName("lessonStart")
        self.start_button.clicked.connect(lambda _=False: self.start_selected())
        self.restart_button = QPushButton("Start over")
        self.restart_button.setObjectName("lessonRestart")
        self.restart_button.setToolTip("Forget this lesson's progress and begin at step 1")
        self.restart_button.clicked.connect(lambda _=False: self.start_selected(over=True))
        self.leave_button = QPushButton("Leave lesson")
        self.leave_button.setObjectName("lessonLeavePage")
        self.leave_button.clicked.connect(lambda _=False: self.leave())

        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(self.title)
        right.addWidget(self.about, 1)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.restart_button)
        row.addWidget(self.leave_button)
        row.addStretch(1)
        right.addLayout(row)
        heading = QLabel("Lessons")
        heading.setStyleSheet("font-size: 15px; font-weight: 600;")
        left = QVBoxLayout()
        left.addWidget(heading)
        left.addWidget(self.list, 1)
        where = QLabel("Your own lessons (NAME.lesson.md) go in the lessons folder of "
                       "nnstudio's data folder.")
        where.setWordWrap(True)
        where.setStyleSheet("color: #6a737d;")
        left.addWidget(where)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(16)
        lay.addLayout(left, 2)
        lay.addLayout(right, 5)
        self.reload()

    # ------------------------------------------------------------------ the list
    def reload(self) -> None:
        """Read the lesson files again (shipped and the person's own)."""
        try:
            self.entries = find_lessons()
        except Exception:  # noqa: BLE001 - a broken lesson folder never breaks the app
            log.exception("the lessons could not be listed")
            self.entries = []
        row = max(0, self.list.currentRow())
        self.list.blockSignals(True)
        self.list.clear()
        for entry in self.entries:
            item = QListWidgetItem(self._item_text(entry))
            if not entry.ok:
                item.setForeground(Qt.GlobalColor.darkRed)
                item.setToolTip("\n".join(str(p) for p in entry.problems[:8]))
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.entries:
            self.list.setCurrentRow(min(row, len(self.entries) - 1))
        self._on_row(self.list.currentRow())

    def _item_text(self, entry: Entry) -> str:
        if entry.lesson is None:
            return f"⚠ {entry.path.name} — cannot be used"
        n = len(entry.lesson.steps)
        done = len([s for s in self.progress.done(entry.id) if s < n])
        mark = "✔ " if n and done == n else ""
        mine = " (yours)" if entry.source == "yours" else ""
        return f"{mark}{entry.lesson.title}{mine}   {done}/{n}"

    def _refresh_items(self) -> None:
        for i, entry in enumerate(self.entries):
            self.list.item(i).setText(self._item_text(entry))

    def _on_row(self, row: int) -> None:
        entry = self.entries[row] if 0 <= row < len(self.entries) else None
        running = self.runner is not None and self.runner.active
        self.leave_button.setVisible(running)
        if entry is None:
            self.title.setText("No lessons found")
            self.about.setText("")
            self.start_button.setEnabled(False)
            self.restart_button.setEnabled(False)
            return
        self.title.setText(entry.title)
        if entry.lesson is None:
            problems = "".join(f"<li>{html.escape(str(p), quote=False)}</li>"
                               for p in entry.problems)
            self.about.setText(f"<p>This lesson file cannot be used:</p><ul>{problems}</ul>"
                               f"<p>{html.escape(str(entry.path))}</p><p>Fix it and check it "
                               "with <tt>nnstudio lessons check FILE</tt>.</p>")
            self.start_button.setEnabled(False)
            self.restart_button.setEnabled(False)
            return
        lesson = entry.lesson
        done = self.progress.done(entry.id)
        steps = "".join(
            f"<li>{'✔ ' if i in done else ''}{html.escape(s.title)}</li>"
            for i, s in enumerate(lesson.steps))
        note = ""
        if running and self.current is not None:
            note = (f"<p><b>Open now:</b> {html.escape(self.current.title)} — its steps are "
                    "in the Lesson panel at the side of the window.</p>")
        self.about.setText(f"{note}<p>{html.escape(lesson.summary)}</p>"
                           f"<p>{html.escape(lesson.intro)}</p><ol>{steps}</ol>")
        started = bool(done) or self.progress.current(entry.id) > 0
        self.start_button.setText("Continue" if started else "Start lesson")
        self.start_button.setEnabled(True)
        self.restart_button.setEnabled(started)

    # ------------------------------------------------------------------ running
    def _ensure_runner(self) -> None:
        if self.runner is not None:
            return
        from nnstudio.gui.lessons.card import StepCard
        from nnstudio.gui.lessons.runner import LessonRunner

        window = self.window()
        self.runner = LessonRunner(window, self)
        self.card = StepCard(self.runner)
        self.card.stepMet.connect(self._on_met)
        self.card.backRequested.connect(lambda: self.go(self.step_index - 1))
        self.card.nextRequested.connect(self._next)
        self.card.leaveRequested.connect(self.leave)
        self.runner.failed.connect(self._on_failed)
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lessonDock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.dock.setWidget(self.card)
        self.dock.setMinimumWidth(320)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        window.installEventFilter(self)

    def start_selected(self, *, over: bool = False) -> bool:
        """Start (or continue) the lesson selected in the list; False when it cannot."""
        row = self.list.currentRow()
        if not 0 <= row < len(self.entries) or self.entries[row].lesson is None:
            return False
        entry = self.entries[row]
        if over:
            self.progress.forget(entry.id)
        return self.start(entry)

    def start(self, entry: Entry) -> bool:
        """Open ``entry``'s lesson at the step the learner was on."""
        if entry.lesson is None or not entry.lesson.steps:
            return False
        self._ensure_runner()
        if self.runner.active:
            self.leave()
        self.current = entry
        try:
            self.runner.start(entry.lesson)
        except Exception as exc:  # noqa: BLE001 - never lose the person's work
            log.exception("the lesson could not start")
            self._on_failed(f"The lesson could not start: {exc}")
            return False
        self.dock.show()
        self.dock.raise_()
        self.go(min(self.progress.current(entry.id), len(entry.lesson.steps) - 1))
        return True

    def go(self, index: int) -> None:
        """Open step ``index`` of the running lesson."""
        if self.current is None or self.current.lesson is None or not self.runner.active:
            return
        lesson = self.current.lesson
        index = max(0, min(index, len(lesson.steps) - 1))
        self.step_index = index
        try:
            problems = self.runner.open_step(lesson.steps[index])
        except Exception as exc:  # noqa: BLE001 - a lesson never breaks the app
            log.exception("the step could not be set up")
            problems = [str(exc)]
        self.progress.set_current(self.current.id, index)
        self.card.show_step(lesson, index, problems)
        self._refresh_items()

    def _next(self) -> None:
        lesson = self.current.lesson if self.current is not None else None
        if lesson is None:
            return
        step = lesson.steps[self.step_index]
        if not step.checks:
            self.progress.mark_done(self.current.id, self.step_index)
        if self.step_index + 1 >= len(lesson.steps):
            self.progress.set_current(self.current.id, 0)
            self.leave()
            return
        self.go(self.step_index + 1)

    def _on_met(self, index: int) -> None:
        if self.current is not None:
            self.progress.mark_done(self.current.id, index)
            self._refresh_items()

    def _on_failed(self, message: str) -> None:
        if self.card is not None:
            self.card.message.setText(message)
            self.card.message.setVisible(True)

    def leave(self) -> None:
        """End the running lesson; the person's design, data and settings come back."""
        if self.runner is None or not self.runner.active:
            return
        self.card.stop()
        self.runner.stop()
        self.dock.hide()
        self.current = None
        self._refresh_items()
        self.runner.window.tabs.setCurrentWidget(self)
        self._on_row(self.list.currentRow())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # the person's own work must be back before the window asks about unsaved changes
        if event.type() == QEvent.Type.Close and self.runner is not None and self.runner.active:
            self.leave()
        return False
