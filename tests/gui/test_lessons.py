"""The Lessons page: every shipped lesson walked through the real window, step by step."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPoint, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QPushButton, QToolButton

from nnstudio.core.design import Design
from nnstudio.data.dataset import Dataset
from nnstudio.gui.session import Session
from nnstudio.lessons.library import find_lessons

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
SHIPPED = [e.id for e in find_lessons()]


def own_design() -> Design:
    """The person's own work, which no lesson may touch."""
    d = Design("my own design")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 5, "activation": "relu"}, node_id="hidden")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "hidden"), ("hidden", "fc2"), ("fc2", "out")):
        d.connect(a, b)
    return d


def own_data() -> Dataset:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60).astype(np.int64)
    x = (rng.normal(size=(60, 2)) + y[:, None]).astype(np.float32)
    return Dataset("my blobs", x, y, "classification", ["a", "b"])


#: the person's own work in the window, shown
pytestmark = pytest.mark.window(design=own_design(), data=own_data(), show=True, size=(1400, 900))


def open_own_window(folder):
    """A window on the person's own work for a whole module (the shared window fixtures are
    one per test), shown."""
    from nnstudio.gui import MainWindow

    session = Session(own_design())
    session.set_dataset(own_data())
    w = MainWindow(session, settings=QSettings(str(folder / "s.ini"),
                                               QSettings.Format.IniFormat), data=None)
    w.resize(1400, 900)
    w.show()
    return w


@pytest.fixture(scope="module")
def shared_window(qapp, tmp_path_factory):
    """One window for walking all shipped lessons one after another (as a learner would)."""
    folder = tmp_path_factory.mktemp("lessons")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNSTUDIO_DATA_DIR", str(folder / "data"))
        mp.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
        w = open_own_window(folder)
        yield w
        w.controller.shutdown(5000)
        w.setWindowModified(False)
        w.session.set_dirty(False)
        w.close()
        w.deleteLater()


def page_of(window):
    return window.pages["lessonPanel"]


def open_lesson(qtbot, window, lesson_id: str):
    page = page_of(window)
    window.tabs.setCurrentWidget(page)
    row = [e.id for e in page.entries].index(lesson_id)
    page.list.setCurrentRow(row)
    qtbot.mouseClick(page.start_button, LEFT)
    assert page.runner.active
    return page


def settle(qtbot, window) -> None:
    """Wait until the data a step asked for is loaded."""
    c = window.controller
    qtbot.waitUntil(lambda: not c.data.busy and window.session.dataset is not None,
                    timeout=20000)


def draw_digit(qtbot, window) -> None:
    """A "1" drawn with the mouse on the Draw page's canvas."""
    panel = window.pages["drawPage"]
    window.tabs.setCurrentWidget(panel)
    canvas = panel.canvas
    canvas.throttle_ms = 0   # every move reaches the listeners at once
    r = canvas.board_rect()

    def at(x: float, y: float) -> QPoint:
        return QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height()))

    QTest.mousePress(canvas, LEFT, NO_MOD, at(0.52, 0.18))
    for t in np.linspace(0, 1, 20):
        QTest.mouseMove(canvas, at(0.52 - 0.05 * t, 0.18 + 0.64 * t))
    QTest.mouseRelease(canvas, LEFT, NO_MOD, at(0.47, 0.82))


def click_tab(qtbot, tabs, widget) -> None:
    """Click the tab of ``widget`` in the tab widget ``tabs`` (scrolling the bar to it)."""
    bar, i = tabs.tabBar(), tabs.indexOf(widget)
    arrows = [b for b in bar.findChildren(QToolButton) if b.isVisible()]
    for _ in range(tabs.count()):
        if bar.rect().contains(bar.tabRect(i)):
            break
        forward = bar.tabRect(i).left() >= 0
        qtbot.mouseClick(arrows[-1] if forward else arrows[0], LEFT)
    assert bar.rect().contains(bar.tabRect(i))
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())
    assert tabs.currentWidget() is widget


def open_view(qtbot, window, name: str) -> None:
    """Open the Inside page, then its view ``name``, with the mouse on their tabs."""
    inside = window.pages["insidePage"]
    click_tab(qtbot, window.tabs, inside)
    click_tab(qtbot, inside.tabs, inside.views[name])


def toolbar_button(window, name: str):
    """The toolbar's button of the action with objectName ``name``."""
    return window.commands.toolbar.widgetForAction(window.findChild(QAction, name))


def click_toolbar(qtbot, window, name: str) -> None:
    button = toolbar_button(window, name)
    assert button.isEnabled(), name
    qtbot.mouseClick(button, LEFT)


def do_task_by_hand(qtbot, window, page, lesson_id: str, index: int) -> bool:
    """Tasks a test does through the window's own widgets instead of "show me"."""
    card, runner = page.card, page.runner
    if (lesson_id, index) == ("02-perceptron", 0):  # pass after pass with the toolbar
        assert toolbar_button(window, "actionStepEpoch").text() == "Step one pass"
        for _ in range(20):
            passes = runner.passes
            click_toolbar(qtbot, window, "actionStepEpoch")
            # (the first run may have to start the training process on a busy machine)
            qtbot.waitUntil(lambda n=passes: runner.passes > n, timeout=40000)
            if runner.pass_mistakes == 0:  # that pass ends the run: wait until it has
                qtbot.waitUntil(lambda: runner.outcome is not None, timeout=10000)
            card.refresh()
            if card.met:
                break
        assert window.session.training_state == "finished"  # it stopped by itself
        return True
    if (lesson_id, index) in (("02-perceptron", 1), ("02-perceptron", 2)):
        click_toolbar(qtbot, window, "actionPlay")
        qtbot.waitUntil(lambda: runner.outcome is not None, timeout=40000)
        return True
    if (lesson_id, index) == ("06-three-vs-seven", 2):
        open_view(qtbot, window, "idealDigitsView")
        return True
    if (lesson_id, index) == ("08-convolution", 0):  # the cnn16 template on 16×16 digits
        assert window.session.design.name == "cnn16"
        assert window.session.dataset.x.shape[1:] == (16, 16)
        assert window.training_panel.size_combo.currentData() == 16
        click_toolbar(qtbot, window, "actionPlay")
        return True
    if (lesson_id, index) == ("08-convolution", 1):
        draw_digit(qtbot, window)
        open_view(qtbot, window, "convView")
        return True
    if (lesson_id, index) == ("10-handwriting", 0):
        draw_panel = window.pages["drawPage"]
        for label in (1, 1, 7, 1, 4):
            draw_digit(qtbot, window)
            qtbot.mouseClick(draw_panel.findChild(QPushButton, f"labelButton{label}"), LEFT)
            card.refresh()
        rng = np.random.default_rng(0)
        draw_panel.teach.set_test_data(Dataset(  # a few scoring digits keep it quick
            "test", rng.random((10, 28, 28), dtype=np.float32),
            rng.integers(0, 10, 10).astype(np.int64), "classification",
            [str(i) for i in range(10)]), "10 test digits")
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", SHIPPED)
def test_every_step_sets_up_and_its_checks_pass_only_once_the_task_is_done(
        qtbot, shared_window, lesson_id):
    window = shared_window
    s = window.session
    mine, my_weights, my_data = s.design, s.network.get_weights(), s.dataset
    my_config = asdict(window.controller.config)
    combo = window.training_panel.dataset_combo
    my_choice = (combo.currentData(), combo.currentText())
    my_size = window.training_panel.size_combo.currentData()
    everything = what_the_person_has(window)
    page = open_lesson(qtbot, window, lesson_id)
    try:
        walk(qtbot, window, page, lesson_id)
    finally:
        page.leave()  # a failed walk must not leave the next lesson a borrowed window
    # the last Next is "Finish": the person's own work is back, untouched
    assert not page.runner.active and not window.findChild(QObject, "lessonDock").isVisible()
    assert s.design is mine and s.dataset is my_data
    assert s.network.get_weights().keys() == my_weights.keys()
    for k, v in my_weights.items():
        np.testing.assert_array_equal(s.network.get_weights()[k], v)
    assert asdict(window.controller.config) == my_config
    assert (combo.currentData(), combo.currentText()) == my_choice
    assert window.training_panel.size_combo.currentData() == my_size
    assert window.training_panel.lr_spin.value() == pytest.approx(my_config["lr"])
    same(everything, what_the_person_has(window))   # undo history, curves and views too
    n = len(page.entries[page.list.currentRow()].lesson.steps)
    assert page.list.currentItem().text().endswith(f"{n}/{n}")


def walk(qtbot, window, page, lesson_id: str) -> None:
    s = window.session
    card, lesson = page.card, page.current.lesson
    assert window.findChild(QObject, "lessonDock").isVisible()
    for i, step in enumerate(lesson.steps):
        assert card.index == i and card.title.text() == step.title
        settle(qtbot, window)
        assert not card.message.isVisible(), card.message.text()
        assert page.runner.missing_names(step.lock + step.hide + lesson.lock) == []
        card.refresh()
        if step.checks:
            assert not card.met, f"step {i + 1} is met before its task is done"
        if not do_task_by_hand(qtbot, window, page, lesson_id, i):
            if step.checks:
                assert card.show_button.isEnabled()
            qtbot.mouseClick(card.show_button, LEFT)
        if step.checks:
            try:
                qtbot.waitUntil(lambda: card.met, timeout=40000)
            except qtbot.TimeoutError:
                pytest.fail(f"step {i + 1} not met: {[x.text() for x in card.check_labels]}"
                            f" {card.message.text()}")
            assert card.status.isVisible()
            assert not card.message.isVisible(), card.message.text()
            assert page.progress.done(lesson.id) >= {i}
        qtbot.waitUntil(lambda: s.training_state != "running", timeout=20000)
        qtbot.mouseClick(card.next_button, LEFT)
    assert not page.runner.active  # Finish left the lesson


def test_locks_and_leaving_give_back_the_persons_work_and_settings(qtbot, window):
    s, panel = window.session, window.training_panel
    s.set_dirty(True)
    panel.findChild(QObject, "lrSpin").setValue(0.02)
    page = open_lesson(qtbot, window, "01-neuron")
    settle(qtbot, window)
    chooser = window.findChild(QObject, "templateChooser")
    data_list = window.findChild(QObject, "datasetCombo")
    assert not chooser.isEnabled() and not data_list.isEnabled()
    chooser.setEnabled(True)  # something else turns it on again: the lesson keeps it locked
    page.card.refresh()
    assert not chooser.isEnabled()
    assert s.design.name == "perceptron" and not s.dirty
    assert "Design: the perceptron template" in page.card.setup_label.text()
    qtbot.mouseClick(page.card.leave_button, LEFT)
    assert chooser.isEnabled() and data_list.isEnabled()
    assert s.design.name == "my own design" and s.dirty
    assert window.controller.config.lr == pytest.approx(0.02)
    assert panel.findChild(QObject, "lrSpin").value() == pytest.approx(0.02)
    assert window.tabs.currentWidget() is page


def test_a_lessons_settings_show_in_the_training_panel_and_the_persons_come_back(
        qtbot, window):
    c, panel = window.controller, window.training_panel
    panel.lr_spin.setValue(0.02)
    panel.val_spin.setValue(30)
    mine = asdict(c.config)
    assert mine["lr"] == pytest.approx(0.02) and mine["val_split"] == pytest.approx(0.3)
    with qtbot.waitSignal(c.configChanged, timeout=10000):  # the panel hears of the lesson's
        page = open_lesson(qtbot, window, "08-convolution")
    settle(qtbot, window)
    assert (c.config.lr, c.config.batch_size, c.config.epochs) == (0.003, 32, 5)
    assert c.config.val_split == pytest.approx(0.2)
    assert panel.lr_spin.value() == pytest.approx(0.003) and panel.val_spin.value() == 20
    assert panel.batch_spin.value() == 32 and panel.epochs_spin.value() == 5
    assert panel.size_combo.currentData() == 16
    heard = []  # what a view listening to configChanged reads each time it is told
    c.configChanged.connect(lambda: heard.append(asdict(c.config)))
    qtbot.mouseClick(page.card.leave_button, LEFT)
    assert heard and heard[-1] == mine and asdict(c.config) == mine
    assert panel.lr_spin.value() == pytest.approx(0.02) and panel.val_spin.value() == 30
    assert panel.epochs_spin.value() == mine["epochs"]
    assert panel.size_combo.currentData() == 28


def test_progress_and_the_step_reached_are_kept_between_launches(qtbot, window):
    page = open_lesson(qtbot, window, "01-neuron")
    settle(qtbot, window)
    qtbot.mouseClick(page.card.show_button, LEFT)
    assert page.card.met
    qtbot.mouseClick(page.card.next_button, LEFT)
    assert page.card.index == 1
    qtbot.mouseClick(page.card.leave_button, LEFT)
    from nnstudio.lessons.library import Progress

    again = Progress()  # what the next launch reads
    assert again.done("01-neuron") == {0} and again.current("01-neuron") == 1
    assert page.list.currentItem().text().endswith("1/3")
    assert page.start_button.text() == "Continue"
    qtbot.mouseClick(page.start_button, LEFT)
    assert page.card.index == 1 and page.card.back_button.isEnabled()
    qtbot.mouseClick(page.card.back_button, LEFT)
    assert page.card.index == 0
    qtbot.mouseClick(page.card.leave_button, LEFT)
    qtbot.mouseClick(page.restart_button, LEFT)
    assert page.card.index == 0 and Progress().done("01-neuron") == set()


def test_hints_appear_one_after_another_while_the_step_is_not_met(qtbot, window):
    page = open_lesson(qtbot, window, "01-neuron")
    card, now = page.card, [0.0]
    card.clock = lambda: now[0]
    card.show_step(page.current.lesson, 0)
    assert not card.hint.isVisible()
    now[0] = 26.0
    card.refresh()
    assert card.hint.isVisible() and card.hint.text().count("Hint:") == 1
    now[0] = 51.0
    card.refresh()
    assert card.hint.text().count("Hint:") == 2


BROKEN = "---\ntitle: Mine\n---\n## One\ntask: x\ncheck: metric nonsense > 1\n"
GOOD = ("---\ntitle: My lesson\norder: 1\n---\n## Set a learning rate\npage: train\n"
        "task: Set the learning rate to 0.05.\n"
        "check: widget lrSpin.value == 0.05 | Learning rate {value}\nshow: set lrSpin 0.05\n")


def test_own_lessons_appear_and_a_broken_one_is_listed_without_harm(qtbot, window,
                                                                    tmp_path):
    folder = tmp_path / "data" / "lessons"
    folder.mkdir(parents=True)
    (folder / "broken.lesson.md").write_text(BROKEN, encoding="utf-8")
    (folder / "mine.lesson.md").write_text(GOOD, encoding="utf-8")
    page = page_of(window)
    page.reload()
    ids = [e.id for e in page.entries]
    assert ids[-2:] == ["mine", "broken"]
    page.list.setCurrentRow(ids.index("broken"))
    assert "cannot be used" in page.list.currentItem().text()
    assert "line 6: unknown metric 'nonsense'" in page.about.text()
    assert not page.start_button.isEnabled() and not page.start_selected()
    page.list.setCurrentRow(ids.index("mine"))
    qtbot.mouseClick(page.start_button, LEFT)
    assert window.tabs.currentWidget() is window.pages["trainPage"]
    assert not page.card.met
    window.findChild(QObject, "lrSpin").setValue(0.05)  # the learner does it by hand
    page.card.refresh()
    assert page.card.met and "Learning rate 0.05" in page.card.check_labels[0].text()


def test_closing_the_window_during_a_lesson_asks_about_the_persons_own_work(
        qtbot, window, monkeypatch):
    asked = []

    def answer(box):
        asked.append(window.session.design.name)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "exec", answer)
    window.session.set_dirty(True)
    open_lesson(qtbot, window, "03-cost")
    window.close()
    assert asked == ["my own design"]


def test_an_unmet_check_shows_the_value_and_the_goal_and_locks_use_peoples_words(
        qtbot, window):
    page = open_lesson(qtbot, window, "01-neuron")
    settle(qtbot, window)
    card = page.card
    first = card.check_labels[0]
    assert first.text() == "○  The first weight is 0 · goal: 0.5"
    setup = card.setup_label.text()
    assert "locked for now: the template chooser, the data list" in setup
    assert "templateChooser" not in setup and "datasetCombo" not in setup
    qtbot.mouseClick(card.show_button, LEFT)
    assert first.text() == "✔  The first weight is 0.5 · goal: 0.5"
    card.grab().save("/tmp/lesson-safe-goal.png")


def test_the_perceptrons_line_never_reads_minus_zero(qtbot, window):
    import re

    open_lesson(qtbot, window, "02-perceptron")  # weights 0 0, bias 0: threshold -0.0
    settle(qtbot, window)
    label = window.findChild(QObject, "neuronLineText")
    qtbot.waitUntil(lambda: label.isVisible() and "line" in label.text(), timeout=10000)
    assert "= 0 " in label.text()
    assert not re.search(r"(?<![\d.])-0(?![\d.])", label.text()), label.text()


def test_with_the_lesson_dock_open_card_captions_and_the_roll_controls_are_whole(
        qtbot, window):
    window.resize(1280, 800)
    page = open_lesson(qtbot, window, "02-perceptron")
    settle(qtbot, window)
    view = window.train_view
    click_tab(qtbot, window.tabs, view)
    assert window.findChild(QObject, "lessonDock").isVisible()
    cards = (view.epoch_card, view.cost_card, view.val_cost_card, view.acc_card,
             view.val_acc_card, view.speed_card)
    assert view.val_cost_card.caption.full_text() == "Held-out mistakes"
    qtbot.waitUntil(lambda: not any(c.caption.is_elided() for c in cards), timeout=10000)
    for card in cards:  # the cards take two lines: each inside the page
        corner = card.mapTo(view, card.rect().bottomRight())
        assert view.rect().contains(corner), card.objectName()
    qtbot.mouseClick(page.card.leave_button, LEFT)
    page = open_lesson(qtbot, window, "04-gradient-descent")
    for _ in range(3):  # to "A valley that is not the deepest" on the Rolling ball view
        qtbot.mouseClick(page.card.next_button, LEFT)
    roll = window.pages["insidePage"].views["rollView"]
    qtbot.waitUntil(lambda: roll.isVisible() and roll.width() > 0, timeout=10000)
    assert window.findChild(QObject, "lessonDock").isVisible()
    metrics = roll.preset.fontMetrics()
    qtbot.waitUntil(lambda: roll.preset.width() > metrics.horizontalAdvance(
        "Choose an example…") + 20, timeout=10000)
    for b in (roll.roll_button, roll.step_button, roll.reset_button, roll.rate, roll.start):
        assert b.width() >= b.sizeHint().width(), b.objectName()
        corner = b.mapTo(roll, b.rect().bottomRight())
        assert roll.rect().contains(corner), b.objectName()
    window.grab().save("/tmp/lesson-safe-dock-roll.png")


def test_lesson_8_draws_the_filters_large_and_their_change_since_the_step_opened(
        qtbot, window):
    page = open_lesson(qtbot, window, "08-convolution")
    settle(qtbot, window)
    view = window.pages["insidePage"].views["convView"]
    open_view(qtbot, window, "convView")
    qtbot.waitUntil(lambda: view.filter_layers[:1] == ["conv1"]
                    and view.change_picture() is not None, timeout=10000)
    first = view._filter_items["conv1"]
    rows, cols = view.filter_picture("conv1").shape[:2]  # 2 rows of 4 filters of 3×3
    assert (rows, cols) == (7, 15)
    pixels_per_weight = first.sceneBoundingRect().width() / cols
    assert 3 * pixels_per_weight >= 48, pixels_per_weight
    assert not np.abs(view.filter_change()).max() > 0  # nothing changed yet
    assert "no weight of conv1 has changed since this step opened" in view.change_note.text()
    click_toolbar(qtbot, window, "actionPlay")
    qtbot.waitUntil(lambda: len(page.runner.epochs) >= 1, timeout=40000)
    qtbot.waitUntil(lambda: "largest is" in view.change_note.text(), timeout=10000)
    change = view.filter_change()
    assert np.abs(change).max() > 1e-3

    def colours() -> int:
        pic = view.change_picture()
        return 0 if pic is None else len({tuple(p) for p in pic.reshape(-1, 4)})

    # the change is drawn, not blank (the drawing may still show an earlier snapshot's)
    qtbot.waitUntil(lambda: colours() > 8, timeout=10000)
    if window.controller.running:        # the lesson's short run may have ended already
        click_toolbar(qtbot, window, "actionStop")
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)


def test_leaving_a_lesson_gives_back_the_persons_data_not_the_lessons(qtbot, window):
    """The person trains the cnn on 2,000 generated digits; the Convolution lesson loads
    1,000 at 16×16; after Leave the data is the person's 2,000 again and stays so."""
    from nnstudio.core.templates import get_template

    s, c, panel = window.session, window.controller, window.training_panel
    s.set_design(get_template("cnn"))
    with qtbot.waitSignal(c.data.loaded, timeout=60000):
        c.data.load("synthetic:2000")
    assert s.dataset.n == 2000
    page = open_lesson(qtbot, window, "08-convolution")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: s.dataset.n == 1000, timeout=20000)
    qtbot.mouseClick(page.card.leave_button, LEFT)
    qtbot.wait(1500)                         # a load the lesson left behind would land here
    qtbot.waitUntil(lambda: not c.data.busy, timeout=20000)
    assert c.data.spec == "synthetic:2000" and s.dataset.n == 2000
    assert s.dataset.sample_shape[-1] == 28
    assert panel.dataset_combo.currentData() == "synthetic:2000"
    assert "2,000" in panel.findChild(QObject, "datasetInfo").text()


# ---------------------------------------------------------------------- the round trip
def persons_work(qtbot, w) -> None:
    """What a person has done before opening lessons: an edit to undo, two runs (one
    faded), a view of their own on screen."""
    from tests.gui.gestures import set_units

    w.tabs.setCurrentWidget(w.pages["designPage"])
    set_units(qtbot, w, "hidden", 7)
    c = w.controller
    c.apply_settings(epochs=1, lr=0.02, batch_size=16)
    for _run in range(2):
        with qtbot.waitSignal(c.finished, timeout=30000):
            w.actions_.play.trigger()
        w.actions_.reset.trigger()
    with qtbot.waitSignal(c.finished, timeout=30000):
        w.actions_.play.trigger()
    w.session.state.inside_view = "weightsView"
    w.session.state.page = "trainPage"


def what_the_person_has(w) -> dict:
    s, plots = w.session, w.train_view.plots
    combo = w.training_panel.dataset_combo
    memory = plots.memory()
    return {
        "design": id(s.design), "undo": (s.undo_stack.count(), s.undo_stack.undoText()),
        "weights": {k: v.copy() for k, v in s.network.get_weights().items()},
        "history": s.history, "dataset": id(s.dataset), "settings": asdict(s.state.settings),
        "combo": (combo.currentData(), combo.currentText()),
        "size": w.training_panel.size_combo.currentData(),
        "curves": (plots.n_points, plots.n_epoch_points, plots.n_earlier_runs,
                   memory.run.batch_cost.y.tolist(), [n for n, _ in memory.earlier]),
        "view": (w.pages["insidePage"].tabs.currentWidget().objectName(),
                 s.state.inside_view, s.state.design_mode),
        "dirty": s.dirty,
    }


def same(before: dict, after: dict) -> None:
    for key in before:
        if key == "weights":
            assert before[key].keys() == after[key].keys()
            for k, v in before[key].items():
                np.testing.assert_array_equal(after[key][k], v)
        else:
            assert after[key] == before[key], key


@pytest.mark.slow
def test_leaving_any_lesson_gives_back_design_undo_data_settings_curves_and_view(
        qtbot, window):
    w = window
    persons_work(qtbot, w)
    mine = what_the_person_has(w)
    assert mine["view"][0] == "weightsView" and mine["undo"][0] >= 1
    assert mine["curves"][2] >= 1 and mine["curves"][0] > 0
    page = page_of(w)
    for lesson_id in SHIPPED:
        open_lesson(qtbot, w, lesson_id)
        settle(qtbot, w)
        qtbot.mouseClick(page.card.leave_button, LEFT)
        assert not page.runner.active
        same(mine, what_the_person_has(w))
        assert w.tabs.currentWidget() is page   # where the lesson was started
    # the undo history is the person's own: Undo takes back their edit
    w.tabs.setCurrentWidget(w.pages["designPage"])
    QTest.keyClick(w.pages["designPage"].view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.session.design.nodes["hidden"].params["units"] == 5
