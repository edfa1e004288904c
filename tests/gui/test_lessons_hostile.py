"""Hostile lessons opened in the real window: refused with the checker's own line, and a
lesson that got past the file format (made in code) still cannot close, hide, lock or freeze
the window, call a widget's methods or read files outside its folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QPushButton

from nnstudio.lessons.actions import Action
from nnstudio.lessons.checks import Check
from nnstudio.lessons.format import Lesson, LessonError, Step, load
from nnstudio.lessons.library import Entry
from tests.gui.test_lessons import own_data, own_design, page_of, settle, toolbar_button

LEFT = Qt.MouseButton.LeftButton
HOSTILE = Path(__file__).resolve().parents[1] / "regressions" / "lessons"


#: the person's own work in the window, shown
pytestmark = pytest.mark.window(design=own_design(), data=own_data(), show=True, size=(1400, 900))


def test_the_window_lists_every_hostile_lesson_as_broken_with_the_checkers_line(
        qtbot, window, tmp_path):
    folder = tmp_path / "data" / "lessons"
    folder.mkdir(parents=True)
    files = sorted(HOSTILE.glob("*.lesson.md"))
    for path in files:
        shutil.copy(path, folder / path.name)
    page = page_of(window)
    page.reload()
    by_name = {e.path.name: (i, e) for i, e in enumerate(page.entries)}
    for path in files:
        try:
            load(path)
            raise AssertionError(f"{path.name} was accepted")
        except LessonError as err:
            first = err.problems[0]
        row, entry = by_name[path.name]
        assert not entry.ok and entry.problems[0] == first  # the same refusal, same line
        page.list.setCurrentRow(row)
        assert "cannot be used" in page.list.currentItem().text()
        assert f"line {first.line}:" in page.about.text()
        assert not page.start_button.isEnabled()
        qtbot.mouseClick(page.start_button, LEFT)
        assert page.runner is None or not page.runner.active


def _smuggled() -> Lesson:
    """What the file format refuses, put in a lesson made in code."""
    step = Step(title="Smuggled", line=1, task="Look.")
    step.checks = [Check("widget", f"mainWindow.{name}", "==", 1.0, line=i)
                   for i, name in enumerate(("close", "deleteLater", "__class__"))]
    step.checks.append(Check("widget", "lrSpin.setValue", "==", 1.0))
    step.checks.append(Check("widget", "lrSpin.value", ">", 0.0, label="Rate {value}"))
    step.lock = ["mainWindow", "lessonNext", "lessonLeave", "lessonDock"]
    step.hide = ["mainWindow", "mainToolBar", "lessonDock"]
    step.buttons = [("Quit", Action("click", "actionQuit")),
                    ("Fit forever", Action("fit", "999999999")),
                    ("Read", Action("data", "csv:/etc/passwd:label=root"))]
    return Lesson(id="smuggled", title="Smuggled", steps=[step, Step(title="Two", line=9)],
                  lock=["mainWindow"], hide=["mainWindow"])


def test_a_lesson_that_got_past_the_format_still_cannot_reach_the_window(qtbot, window):
    page = page_of(window)
    window.tabs.setCurrentWidget(page)
    page._ensure_runner()
    assert page.start(Entry(Path("smuggled.lesson.md"), "yours", _smuggled()))
    card = page.card
    ticks = []
    card.timer.timeout.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= 4, timeout=10000)  # the checks ran a few times
    windows = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMainWindow) and w.isVisible()]
    assert windows == [window] and window.isEnabled()
    for name in ("lessonNext", "lessonLeave", "mainToolBar", "lessonDock"):
        part = window.findChild(QObject, name)
        assert part.isVisible() and part.isEnabled(), name
    labels = [x.text() for x in card.check_labels]
    assert all("cannot be measured" in t for t in labels[:4]), labels
    assert "is not a control a lesson may read" in labels[0]
    assert labels[4].startswith("✔  Rate ") and "goal: above 0" in labels[4]
    assert not card.met
    for b in card.step_buttons:
        qtbot.mouseClick(b, LEFT)
        assert card.message.isVisible() and "could not be done" in card.message.text()
        assert window.isVisible() and not window.session.training_state == "running"
    assert "/etc/passwd" not in str(window.controller.data.spec)
    qtbot.mouseClick(card.next_button, LEFT)  # the lesson's own buttons still work
    assert card.index == 1
    qtbot.mouseClick(card.leave_button, LEFT)
    assert not page.runner.active and window.isVisible()


FIT = ("---\ntitle: Long fit\n---\n## Fit\n"
       "design: chain 2 dense:64:tanh dense:64:tanh dense:1:sigmoid loss=binary_cross_entropy\n"
       "data: perceptron:xor\nsettings: batch=1\ntask: Press Fit, then Stop.\n"
       "check: count epochs >= 10000\ndo: Fit | fit 10000\n")


def test_a_long_fit_runs_off_the_windows_thread_and_stop_ends_it(qtbot, window, tmp_path):
    folder = tmp_path / "data" / "lessons"
    folder.mkdir(parents=True)
    (folder / "fit.lesson.md").write_text(FIT, encoding="utf-8")
    page = page_of(window)
    page.reload()
    page.list.setCurrentRow([e.id for e in page.entries].index("fit"))
    qtbot.mouseClick(page.start_button, LEFT)
    settle(qtbot, window)
    card, s = page.card, window.session
    fit = card.findChild(QPushButton, "stepAction")
    qtbot.mouseClick(fit, LEFT)  # returns at once: the training process does the work
    assert not card.message.isVisible(), card.message.text()
    qtbot.waitUntil(lambda: s.training_state == "running", timeout=20000)
    fired = []
    QTimer.singleShot(50, lambda: fired.append(1))  # the window's thread is free meanwhile
    qtbot.waitUntil(lambda: bool(fired) and len(page.runner.epochs) >= 1, timeout=20000)
    qtbot.mouseClick(toolbar_button(window, "actionStop"), LEFT)
    qtbot.waitUntil(lambda: s.training_state != "running", timeout=10000)
    assert 1 <= len(page.runner.epochs) < 10000 and not card.met
    qtbot.mouseClick(card.leave_button, LEFT)


def test_the_window_starts_with_a_damaged_progress_file(qtbot, tmp_path, make_window):
    data = tmp_path / "data"   # the window's data folder
    data.mkdir()
    (data / "lessons-progress.json").write_text(
        '{"01-neuron": {"done": [NaN, Infinity, 0], "current": Infinity}, '
        '"02-perceptron": {"done": Infinity, "current": NaN}}', encoding="utf-8")
    w = make_window(own_design(), own_data(), show=True, size=(1400, 900))
    page = page_of(w)
    texts = [page.list.item(i).text() for i in range(page.list.count())]
    assert texts[0].endswith("1/3") and texts[1].endswith("0/4")  # what could be read
    page.list.setCurrentRow(0)
    qtbot.mouseClick(page.start_button, LEFT)
    assert page.runner.active and page.card.index == 0
    qtbot.mouseClick(page.card.leave_button, LEFT)


READS = ("---\ntitle: Readings\n---\n## Log scale\npage: train\n"
         "task: Turn on the log scale and set 12 epochs.\n"
         "check: widget logScaleCheck.checked == yes | Log scale on: {value}\n"
         "check: widget epochsSpin.value == 12 | Epochs: {value}\n"
         "check: widget actionPlay.enabled == yes\n")


def test_a_check_reads_a_declared_control_through_its_fixed_reader(qtbot, window, tmp_path):
    folder = tmp_path / "data" / "lessons"
    folder.mkdir(parents=True)
    (folder / "reads.lesson.md").write_text(READS, encoding="utf-8")
    page = page_of(window)
    page.reload()
    page.list.setCurrentRow([e.id for e in page.entries].index("reads"))
    qtbot.mouseClick(page.start_button, LEFT)
    card = page.card
    assert not card.met
    labels = [x.text() for x in card.check_labels]
    assert labels[0] == "○  Log scale on: no · goal: yes"
    assert labels[2].startswith("✔  Play is yes")
    log = window.findChild(QObject, "logScaleCheck")
    qtbot.mouseClick(log, LEFT, pos=log.rect().center() - log.rect().center() / 2)
    epochs = window.findChild(QObject, "epochsSpin")
    epochs.lineEdit().selectAll()
    qtbot.keyClicks(epochs, "12")
    qtbot.keyClick(epochs, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card.met, timeout=10000)
    assert card.check_labels[0].text() == "✔  Log scale on: yes · goal: yes"
    qtbot.mouseClick(card.leave_button, LEFT)
