"""The neuron's arithmetic on the Design page: the classic perceptron example, typed in."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from tests.gui.gestures import click_neuron, neuron_panel  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def type_into(qtbot, edit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_the_classic_perceptron_example_reads_on_screen(qtbot, tmp_path):
    session, panel, neurons = neuron_panel(qtbot, "perceptron")
    detail = neurons.detail
    # inputs 0.5 and 0.6, typed on the input neurons x1 and x2
    for i, value in ((0, "0.5"), (1, "0.6")):
        click_neuron(neurons, 0, i)
        assert detail.title.text() == f"Input x{i + 1}"
        type_into(qtbot, detail.weight_edit, value)
    qtbot.waitUntil(lambda: neurons.canvas.columns[0].values.tolist() == pytest.approx(
        [0.5, 0.6]))
    # weights 0.5 and 0.7, threshold 0.5, typed on the neuron
    click_neuron(neurons, 1, 0)
    assert detail.threshold_edit.isVisible() and not detail.bias_edit.isVisible()
    for k, value in ((0, "0.5"), (1, "0.7")):
        QTest.mouseClick(detail.grid, LEFT, NOMOD, QPoint(20, 3 + 20 * k + 9))
        assert detail.weight_label.text() == f"weight from x{k + 1} (w{k + 1})"
        type_into(qtbot, detail.weight_edit, value)
    type_into(qtbot, detail.threshold_edit, "0.5")
    qtbot.waitUntil(lambda: "0.67" in detail.arithmetic.text())
    lines = detail.arithmetic_lines()
    assert lines[0] == "0.5×0.5 + 0.6×0.7 = 0.67 > 0.5 → fires (1)"
    assert lines[1] == "threshold θ = −b = 0.5;  z = 0.67 − 0.5 = 0.17"
    np.testing.assert_allclose(session.network.get_weights()["neuron/b"], [-0.5])
    assert detail.curve.isVisible() and detail.curve.z == pytest.approx(0.17, abs=1e-6)
    assert detail.curve.a == 1.0
    # the output says what the single output means
    panel.grab().save("/tmp/ex1_neuron.png")
    assert neurons.canvas.class_names == ["0", "1"]
    # a higher threshold: silent
    type_into(qtbot, detail.threshold_edit, "0.7")
    qtbot.waitUntil(lambda: "does not fire" in detail.arithmetic.text())
    assert detail.arithmetic_lines()[0] == (
        "0.5×0.5 + 0.6×0.7 = 0.67 ≤ 0.7 → does not fire (0)")


def test_a_sigmoid_neuron_shows_z_and_a(qtbot):
    session, panel, neurons = neuron_panel(qtbot, "playground")
    detail = neurons.detail
    click_neuron(neurons, 1, 0)
    text = detail.arithmetic_lines()
    x = neurons.canvas.columns[0].values
    w = session.network.get_weights()["fc1/W"][:, 0]
    b = float(session.network.get_weights()["fc1/b"][0])
    assert text[0].startswith("0×") and " + " in text[0]  # x1×w1 + x2×w2
    assert text[1].startswith("z = ") and text[2].startswith("a = tanh(z) = ")
    a = float(neurons.canvas.columns[1].values[0])
    assert detail.curve.a == pytest.approx(a) and detail.curve.activation == "tanh"
    assert detail.curve.z == pytest.approx(float(x @ w) + b, abs=1e-5)
    assert detail.bias_edit.isVisible() and not detail.threshold_edit.isVisible()
