"""Tinkering on one screen: + and − in the Neurons view, the toy data's controls beside it,
the output over the plane and the cost following the real training process."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QSlider, QToolButton

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


#: the window on the playground template, shown, no data yet
pytestmark = pytest.mark.window(design="playground", data=None, show=True, size=(1400, 860))


def open_playground(qtbot, w) -> None:
    """Choose the spiral in the Training panel and open the Design page's Neurons view."""
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        w.training_panel.choose_dataset("toy:spiral")
    page = w.pages["designPage"]
    w.tabs.setCurrentWidget(page)
    QTest.mouseClick(page.neuron_button, LEFT)
    neurons = page.neurons
    qtbot.waitUntil(lambda: neurons.is_playground() and neurons.side.isVisible(), timeout=10000)


def neurons_of(w):
    return w.pages["designPage"].neurons


def button(w, name: str) -> QToolButton:
    b = neurons_of(w).canvas.findChild(QToolButton, name)
    assert b is not None and b.isVisible() and b.isEnabled(), name
    return b


def press(qtbot, w, name: str) -> None:
    """Click a + or − button of the Neurons view and wait for the view to follow."""
    neurons = neurons_of(w)
    count = neurons.updates
    QTest.mouseClick(button(w, name), LEFT)
    qtbot.waitUntil(lambda: neurons.updates > count, timeout=10000)


def undo(qtbot, w) -> None:
    neurons = neurons_of(w)
    count = neurons.updates
    w.findChild(QAction, "actionUndo").trigger()
    qtbot.waitUntil(lambda: neurons.updates > count, timeout=10000)


def tick(box: QCheckBox) -> None:
    """Click a check box on its box (its label may be narrower than the widget)."""
    QTest.mouseClick(box, LEFT, NO_MOD, QPoint(8, box.height() // 2))


def trained(w) -> dict[str, np.ndarray]:
    """Give the network weights no initialisation makes (as if trained) and return them."""
    rng = np.random.default_rng(7)
    weights = {k: rng.normal(0, 1, v.shape).astype(np.float32)
               for k, v in w.session.network.get_weights().items()}
    w.session.set_weights(weights)
    return weights


def test_plus_and_minus_of_a_layer_change_its_neurons_undoably(window, qtbot):
    w = window
    open_playground(qtbot, w)
    before = trained(w)
    design = w.session.design
    press(qtbot, w, "neuronsMore_fc1")
    assert design.nodes["fc1"].params["units"] == 17
    canvas = neurons_of(w).canvas
    assert [c.size for c in canvas.columns] == [2, 17, 16, 1]
    after = w.session.network.get_weights()
    assert after["fc1/W"].shape == (2, 17) and after["fc2/W"].shape == (17, 16)
    for key in ("fc3/W", "fc3/b", "fc2/b"):          # shapes unchanged: trained weights kept
        assert np.array_equal(after[key], before[key]), key
    undo(qtbot, w)
    assert design.nodes["fc1"].params["units"] == 16
    back = w.session.network.get_weights()
    assert all(np.array_equal(back[k], before[k]) for k in before)   # all of them back
    press(qtbot, w, "neuronsFewer_fc2")
    assert design.nodes["fc2"].params["units"] == 15
    assert np.array_equal(w.session.network.get_weights()["fc1/W"], before["fc1/W"])
    assert "15 · tanh" in "".join(f"{c.size} · {c.activation}" for c in canvas.columns)


def test_plus_and_minus_of_the_hidden_layers(window, qtbot):
    w = window
    open_playground(qtbot, w)
    before = trained(w)
    design = w.session.design
    places = {n: design.nodes[n].pos for n in design.nodes}
    press(qtbot, w, "layersMore")
    canvas = neurons_of(w).canvas
    assert [c.size for c in canvas.columns] == [2, 16, 16, 16, 1]
    new = canvas.columns[3].node
    assert design.nodes[new].kind == "Dense" and design.nodes[new].params["activation"] == "tanh"
    assert design.outputs_of("fc2") == [new] and design.outputs_of(new) == ["fc3"]
    # in the diagram the new card takes fc3's place and the cards after it move along
    assert design.nodes[new].pos == places["fc3"] and design.nodes["fc3"].pos == places["output"]
    after = w.session.network.get_weights()
    for key in ("fc1/W", "fc1/b", "fc2/W", "fc2/b", "fc3/W", "fc3/b"):
        assert np.array_equal(after[key], before[key]), key
    qtbot.waitUntil(lambda: button(w, f"neuronsMore_{new}").isVisible(), timeout=10000)
    undo(qtbot, w)                                     # the whole addition is one step
    assert new not in design.nodes and design.outputs_of("fc2") == ["fc3"]
    assert {n: design.nodes[n].pos for n in design.nodes} == places
    press(qtbot, w, "layersFewer")                     # the last hidden layer goes
    assert "fc2" not in design.nodes and design.outputs_of("fc1") == ["fc3"]
    assert [c.size for c in canvas.columns] == [2, 16, 1]
    assert design.nodes["fc3"].pos == places["fc2"]        # the gap is closed
    assert neurons_of(w).canvas.findChild(QToolButton, "neuronsMore_fc2") is None
    assert np.array_equal(w.session.network.get_weights()["fc1/W"], before["fc1/W"])
    undo(qtbot, w)
    assert design.outputs_of("fc1") == ["fc2"] and design.outputs_of("fc2") == ["fc3"]
    assert np.array_equal(w.session.network.get_weights()["fc2/W"], before["fc2/W"])


def test_a_feature_changes_the_inputs_and_the_data(window, qtbot):
    w = window
    open_playground(qtbot, w)
    before = trained(w)
    bar = neurons_of(w).toy_bar
    box = bar.findChild(QCheckBox, "feature_sin1")
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        tick(box)
    assert box.isChecked()
    ds = w.session.dataset
    assert ds.x.shape == (500, 3) and ds.meta["features"] == ["x1", "x2", "sin1"]
    assert np.allclose(ds.x[:, 2], np.sin(ds.x[:, 0]), atol=1e-5)
    assert w.controller.data.spec == "toy:spiral:test=0.1:features=x1,x2,sin1"
    assert w.session.design.input_node.params["shape"] == [3]
    after = w.session.network.get_weights()
    assert after["fc1/W"].shape == (3, 16)
    assert np.array_equal(after["fc2/W"], before["fc2/W"])
    neurons = neurons_of(w)
    qtbot.waitUntil(lambda: len(neurons.canvas.pictures.get(0, [])) == 3, timeout=10000)
    assert neurons.canvas.input_names == ["x1", "x2", "sin x1"]
    # the Inside page draws the boundary of the same network over the same plane
    inside = w.pages["insidePage"]
    w.tabs.setCurrentWidget(inside)
    inside.show_view("boundaryView")
    view = inside.views["boundaryView"]
    view.refresh_now()
    assert view.message == "" and view.image.image.shape == (100, 100, 4)
    assert view.train_dots.data.size + view.test_dots.data.size == 500
    # Undo takes the design edit back
    w.tabs.setCurrentWidget(w.pages["designPage"])
    undo(qtbot, w)
    assert w.session.design.input_node.params["shape"] == [2]


def test_noise_and_test_share_change_the_data(window, qtbot):
    w = window
    open_playground(qtbot, w)
    bar = neurons_of(w).toy_bar
    clean = w.session.dataset.x.copy()
    noise = bar.findChild(QSlider, "toyNoise")
    noise.setFocus()
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        QTest.keyClick(noise, Qt.Key.Key_PageUp)          # 0 -> 10 %
    assert w.session.dataset.meta["noise"] == pytest.approx(0.1)
    assert np.abs(w.session.dataset.x - clean).max() > 0.05
    assert "Noise: 10 %" in bar.noise_label.text()
    output = neurons_of(w).output
    test = bar.findChild(QSlider, "toyTest")
    test.setFocus()
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        for _ in range(2):
            QTest.keyClick(test, Qt.Key.Key_PageUp)       # 10 -> 30 %
    assert w.session.dataset.meta["test"] == pytest.approx(0.3)
    assert w.controller.config.val_split == pytest.approx(0.3)
    assert w.training_panel.val_spin.value() == 30       # the Training panel says so too
    qtbot.waitUntil(lambda: int(output.test.sum()) == 150, timeout=10000)
    assert w.controller.data.spec == "toy:spiral:noise=0.1:test=0.3"


def test_boundary_and_cost_follow_the_real_training(window, qtbot):
    w = window
    open_playground(qtbot, w)
    neurons = neurons_of(w)
    rate = neurons.toy_bar.findChild(type(neurons.toy_bar.rate), "toyLearningRate")
    rate.setFocus()
    QTest.keyClick(rate, Qt.Key.Key_Down)                 # 0.001 -> 0.003
    assert w.controller.config.lr == pytest.approx(0.003)
    w.training_panel.epochs_spin.setValue(400)
    first = neurons.output.values.copy()
    pictures = neurons.canvas.pictures[1][0].copy()
    assert first.shape == (48, 48) and neurons.cost.n_points == 0
    w.findChild(QAction, "actionPlay").trigger()
    qtbot.waitUntil(lambda: neurons.cost.n_points >= 3, timeout=20000)
    assert w.session.training_state == "running"
    # the + and − wait while a run is active
    assert not neurons.canvas.findChild(QToolButton, "layersMore").isEnabled()
    assert not neurons.toy_bar.findChild(QSlider, "toyNoise").isEnabled()
    assert "Stop it to change the data" in neurons.toy_bar.note.text()
    qtbot.waitUntil(lambda: not np.allclose(neurons.output.values, first, atol=1e-3),
                    timeout=20000)
    assert w.session.training_state == "running"       # it moved while training ran
    assert neurons.canvas.pictures[1][0] != pictures
    assert neurons.cost.texts()[0].startswith("Test cost 0.")
    w.findChild(QAction, "actionStop").trigger()
    qtbot.waitUntil(lambda: not w.session.is_training, timeout=10000)
    assert button(w, "layersMore").isEnabled()


def test_the_last_feature_stays(window, qtbot):
    w = window
    open_playground(qtbot, w)
    bar = neurons_of(w).toy_bar
    x1, x2 = (bar.findChild(QCheckBox, f"feature_{k}") for k in ("x1", "x2"))
    with qtbot.waitSignal(w.controller.data.loaded, timeout=10000):
        tick(x1)
    assert w.session.design.input_node.params["shape"] == [1]
    assert w.session.dataset.x.shape == (500, 1) and w.session.dataset.feature_names == ["x2"]
    tick(x2)
    assert x2.isChecked() and "at least one feature" in bar.note.text()
    qtbot.wait(300)                                       # nothing is loaded for it
    assert w.controller.data.spec.endswith("features=x2") and not w.controller.data.busy


def test_a_network_the_view_cannot_draw_hides_the_playground(window, qtbot):
    w = window
    open_playground(qtbot, w)
    neurons = neurons_of(w)
    assert neurons.toy_bar.isVisible() and neurons.side.isVisible()
    w.findChild(QAction, "actionTemplate_cnn16").trigger()        # File > New from template
    qtbot.waitUntil(lambda: not neurons.side.isVisible(), timeout=10000)
    assert not neurons.toy_bar.isVisible() and "Conv2D" in neurons.canvas.reason
    assert neurons.canvas.findChild(QToolButton, "layersMore").isHidden()
    w.findChild(QAction, "actionTemplate_playground").trigger()
    qtbot.waitUntil(lambda: neurons.side.isVisible() and neurons.toy_bar.isVisible(),
                    timeout=10000)
