"""The neuron view: renders small dense networks, follows snapshots, edits weights."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from nnstudio.gui.snapshot import Snapshot  # noqa: E402
from tests.gui.gestures import click_neuron, neuron_panel  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def digit() -> np.ndarray:
    img = np.zeros((28, 28), np.float32)
    img[4:24, 13:16] = 1.0
    return img


def test_mlp_neurons_render_and_follow_the_drawing_and_snapshots(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "mlp")
    canvas = neurons.canvas
    assert panel.stack.currentWidget() is neurons
    assert [c.node for c in canvas.columns] == ["input", "fc1", "fc2", "fc3"]
    assert canvas.columns[0].image_side == 28 and canvas.input_image is not None
    # wide layers are collapsed with a count
    shown, hidden = canvas.visible(canvas.columns[1])
    assert hidden == 256 - len(shown) and hidden > 0
    session.set_current_input(digit())
    qtbot.waitUntil(lambda: canvas.columns[0].values.sum() == pytest.approx(digit().sum()))
    probs = canvas.columns[3].values
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1.0, abs=1e-4)
    # a training snapshot with other weights changes what is drawn
    before = probs.copy()
    weights = session.network.get_weights()
    weights["fc3/b"] = np.arange(10, dtype=np.float32) * 2.0
    count = neurons.updates
    session.apply_snapshot(Snapshot(weights=weights))
    qtbot.waitUntil(lambda: neurons.updates > count)
    after = canvas.columns[3].values
    assert not np.allclose(before, after) and int(np.argmax(after)) == 9
    # snapshots arriving in a burst are drawn a few times, not once each
    count = neurons.updates
    for _ in range(40):
        session.apply_snapshot(Snapshot(weights=weights))
    qtbot.waitUntil(lambda: neurons.updates > count, timeout=10000)
    qtbot.wait(100)
    assert 1 <= neurons.updates - count <= 3
    painted = canvas.paint_count
    canvas.grab()
    assert canvas.paint_count == painted + 1


def test_clicking_a_neuron_shows_and_edits_its_bias(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "mlp")
    session.set_current_input(digit())
    qtbot.waitUntil(lambda: neurons.canvas.columns[0].values.sum() > 0)
    changed = []
    session.modelChanged.connect(lambda: changed.append(1))
    click_neuron(neurons, 3, 4)
    detail = neurons.detail
    assert "fc3 · neuron 4" in detail.title.text()
    assert detail.grid.values.size == 128
    detail.bias_edit.setFocus()
    detail.bias_edit.selectAll()
    QTest.keyClicks(detail.bias_edit, "abc")
    QTest.keyClick(detail.bias_edit, Qt.Key.Key_Return)
    assert "not a number" in detail.error.text()
    assert changed == []
    detail.bias_edit.selectAll()
    QTest.keyClicks(detail.bias_edit, "25")
    QTest.keyClick(detail.bias_edit, Qt.Key.Key_Return)
    assert changed and session.network.get_weights()["fc3/b"][4] == pytest.approx(25.0)
    assert int(np.argmax(session.predict(digit()[None])[0])) == 4  # the prediction moved
    qtbot.waitUntil(lambda: int(np.argmax(neurons.canvas.columns[3].values)) == 4)


def test_first_layer_weights_are_a_28x28_image_and_editable(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "mlp")
    click_neuron(neurons, 1, 0)
    grid = neurons.detail.grid
    assert grid.side == 28 and grid.values.size == 784
    rect = grid._grid_rect()
    cell = rect.width() / 28
    at = QPointF(rect.left() + 14.5 * cell, rect.top() + 3.5 * cell)  # pixel (3, 14)
    QTest.mouseClick(grid, LEFT, NOMOD, at.toPoint())
    assert grid.selected == 3 * 28 + 14
    detail = neurons.detail
    assert "pixel (3, 14)" in detail.weight_label.text()
    detail.weight_edit.setText("1.5")
    detail.weight_edit.returnPressed.emit()
    assert session.network.get_weights()["fc1/W"][3 * 28 + 14, 0] == pytest.approx(1.5)


def test_small_network_inputs_can_be_typed(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "playground")
    canvas = neurons.canvas
    assert [c.size for c in canvas.columns] == [2, 16, 16, 1]
    before = canvas.columns[1].values.copy()
    click_neuron(neurons, 0, 1)
    detail = neurons.detail
    detail.weight_edit.setText("0.8")
    detail.weight_edit.returnPressed.emit()
    assert canvas.columns[0].values[1] == pytest.approx(0.8)
    assert not np.allclose(canvas.columns[1].values, before)


def test_conv_networks_explain_why_there_are_no_neurons(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "cnn")
    assert not neurons.canvas.columns
    assert "Conv2D" in neurons.canvas.reason
