"""The perceptron learns in the window: step one sample, Play, mistakes per pass, its line,
and XOR's failure with the offer of a network that can."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

#: the window on the perceptron template, shown, no data yet
pytestmark = pytest.mark.window(design="perceptron", data=None, show=True, size=(1280, 820))


def load(qtbot, w, spec: str) -> None:
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        w.training_panel.choose_dataset(spec)


def test_perceptron_learns_and_then_fails_on_xor(window, qtbot):
    w = window
    panel, view = w.training_panel, w.train_view
    # the perceptron rule's settings are in the panel
    assert panel.lr_spin.value() == pytest.approx(0.1) and panel.epochs_spin.value() == 100
    assert view.cost_card.caption.text() == "Mistakes"
    assert not panel.optimizer_combo.isEnabled() and not panel.batch_spin.isEnabled()
    assert "Mistakes per pass" in view.plots.cost_title
    load(qtbot, w, "perceptron")
    boundary = w.pages["insidePage"].views["boundaryView"]
    w.pages["insidePage"].show_view("boundaryView")
    # step one sample: one point, paused, the line drawn
    assert w.actions_.step.text().replace("&", "") == "Step one sample"
    w.actions_.step.trigger()
    qtbot.waitUntil(lambda: view.plots.n_points == 1 and w.session.training_state == "paused",
                    timeout=10000)
    boundary.refresh_now()
    first_line = [np.array(a) for a in boundary.neuron_line.getData()]
    assert first_line[0] is not None and len(first_line[0]) == 2
    assert boundary.line_label.text().startswith("The neuron's line:")
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.actions_.play.trigger()
    assert w.controller.last_outcome["kind"] == "separated"
    qtbot.waitUntil(lambda: view.plots.redraws > 0 and view.plots.c_epoch.getData()[1]
                    is not None, timeout=10000)
    view.plots.refresh()
    mistakes = view.plots.c_epoch.getData()[1]
    assert mistakes[-1] == 0 and (mistakes[:-1] > 0).all()
    assert "separates the two classes" in view.message.text()
    assert view.cost_card.text() == "0"
    assert not view.two_layer_button.isVisible()
    boundary.refresh_now()
    last_line = [np.array(a) for a in boundary.neuron_line.getData()]
    assert not all(np.allclose(a, b) for a, b in zip(first_line, last_line, strict=True))
    w.tabs.setCurrentWidget(view)
    w.grab().save("/tmp/ex1_perceptron_and.png")
    w.tabs.setCurrentWidget(w.pages["insidePage"])
    w.grab().save("/tmp/ex1_perceptron_line.png")

    # XOR: no straight line; the app says why and offers the two-layer network
    load(qtbot, w, "perceptron:xor")
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.actions_.play.trigger()
    assert w.controller.last_outcome["kind"] == "cycle"
    assert "no straight line separates" in view.message.text()
    w.tabs.setCurrentWidget(view)
    qtbot.waitUntil(view.two_layer_button.isVisible, timeout=10000)
    w.grab().save("/tmp/ex1_perceptron_xor.png")
    qtbot.mouseClick(view.two_layer_button, Qt.MouseButton.LeftButton)
    assert w.session.design.name == "playground"
    assert panel.lr_spin.value() == pytest.approx(0.05) and panel.epochs_spin.value() == 300
    assert view.cost_card.caption.text() == "Training cost"
    assert w.actions_.step.text().replace("&", "") == "Step one batch"
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.actions_.play.trigger()
    view.plots.refresh()
    acc = view.plots.a_epoch.getData()[1]
    assert acc[-1] == pytest.approx(100.0)
    boundary.refresh_now()
    assert boundary.line_label.text() == ""


def test_the_steps_strip_shows_the_perceptron_rule(window, qtbot):
    """A perceptron's strip names the rule's six steps; Step one sample walks predict,
    compare and update and says whether the weights moved; the end names how it ended."""
    from PySide6.QtGui import QAction

    w = window
    steps, bar = w.train_view.steps, w.commands.toolbar
    load(qtbot, w, "perceptron")
    w.tabs.setCurrentWidget(w.train_view)
    shown = [lab.text() for lab in steps.labels if not lab.isHidden()]
    assert shown == ["1 initialise", "2 predict", "3 compare", "4 update", "5 repeat",
                     "6 stop"]
    before = w.session.network.get_weights()
    qtbot.mouseClick(bar.widgetForAction(w.actions_.step), Qt.MouseButton.LeftButton)
    walked: list[int] = []
    qtbot.waitUntil(lambda: walked.append(steps.current) or (
        steps.current == 4 and "Play repeats" in steps.detail.text()), timeout=15000)
    assert {2, 3, 4} <= set(walked)
    moved = any(not np.array_equal(v, before[k])
                for k, v in w.session.network.get_weights().items())
    text = steps.detail.text()
    assert ("the answer was wrong" in text and "w ← w + lr" in text) if moved else \
        "nothing changes" in text
    w.train_view.grab().save("/tmp/perceptron_steps.png")
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        qtbot.mouseClick(bar.widgetForAction(w.actions_.play), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: steps.current == 6, timeout=10000)
    assert "made no mistake" in steps.detail.text()
    w.findChild(QAction, "actionTemplate_playground").trigger()  # File > New from template
    qtbot.waitUntil(lambda: len([lab for lab in steps.labels if not lab.isHidden()]) == 7,
                    timeout=10000)
    assert steps.labels[2].text() == "3 loss" and steps.current == 0
