"""3 vs 7 with its ideal digits, and 16×16 digits: the Training panel's size, the Draw page."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.data.idx import load_idx_dir
from nnstudio.data.lessons import three_vs_seven
from nnstudio.data.preprocess import downsample, to_mnist
from nnstudio.gui.draw.page import DrawPanel
from nnstudio.gui.inside import InsightPanel
from nnstudio.gui.session import Session

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture(scope="module")
def three_seven(mnist_dir):
    return three_vs_seven(load_idx_dir(mnist_dir))


def test_ideal_digits_beside_the_learned_weights_and_both_accuracies(qtbot, three_seven):
    ds = three_seven
    assert ds.classes == ["3", "7"]
    session = Session(get_template("3v7"))
    session.set_dataset(ds)
    net = Network(get_template("3v7"), seed=0)
    Trainer(net, ds.x, ds.y, TrainConfig(epochs=3, batch_size=32, lr=0.01)).run()
    session.set_weights(net.get_weights())
    panel = InsightPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1150, 760)
    panel.show()
    qtbot.waitExposed(panel)
    view = panel.views["idealDigitsView"]
    assert panel.tabs.currentWidget() is view       # the view that fits a 3-vs-7 design
    qtbot.waitUntil(lambda: "Baseline" in view.accuracy.text(), timeout=10000)
    assert set(view._items) == {"ideal 3", "ideal 7", "the chosen digit", "digit − ideal 3",
                                "digit − ideal 7", "learned weights for 3",
                                "learned weights for 7"}
    text = view.accuracy.text()
    baseline = float(text.split("<b>")[1].split("%")[0])
    model = float(text.split("<b>")[2].split("%")[0])
    n_held = int(text.split(" of ")[1].split(" ")[0].replace(",", ""))
    assert 80 < baseline <= 100 and 90 < model <= 100
    assert n_held == round(0.1 * ds.n)                 # the held-out tenth
    # the ideal 3 image is the mean of training 3s: darker outside the digit's middle
    ideal3 = view._items["ideal 3"].image
    assert ideal3.shape == (28, 28, 4) and ideal3[..., 0].max() > 150
    # choose another digit with the spin box's arrow key
    first = view.digit_text.text()
    view.digit_spin.setFocus()
    QTest.keyClick(view.digit_spin, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: view.digit_text.text() != first, timeout=10000)
    assert view.digit_spin.value() == 2
    assert "baseline says" in view.digit_text.text() and "the model says" in view.digit_text.text()
    panel.grab().save("/tmp/ex1_ideal_digits.png")


def draw_one(panel: DrawPanel) -> None:
    r = panel.canvas.board_rect()
    pts = [QPoint(int(r.x() + (0.53 - 0.06 * t) * r.width()),
                  int(r.y() + (0.18 + 0.64 * t) * r.height())) for t in np.linspace(0, 1, 25)]
    QTest.mousePress(panel.canvas, LEFT, NO_MOD, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(panel.canvas, p)
    QTest.mouseRelease(panel.canvas, LEFT, NO_MOD, pts[-1])


def test_the_draw_page_feeds_a_16x16_model(qtbot):
    session = Session(get_template("cnn16"))
    panel = DrawPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.canvas.throttle_ms = 0
    draw_one(panel)
    preview = panel.prediction.preview.image()
    assert preview.shape == (16, 16)
    assert "16×16" in panel.prediction.preview_caption.text()
    expected = downsample(to_mnist(panel.canvas.image()), 16)
    np.testing.assert_allclose(preview, expected, atol=1e-6)
    probs = session.network.predict(expected[None]).reshape(-1)
    np.testing.assert_allclose(panel.probs, probs, atol=1e-6)   # what the page answers from
    shown = panel.findChild(QObject, "predictedDigit").text()
    assert shown in (str(int(np.argmax(probs))), "?")  # "?": random weights may be unsure


def test_training_panel_chooses_16x16_digits(qtbot, tmp_path, monkeypatch, mnist_dir):
    from nnstudio.gui import MainWindow

    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    session = Session(get_template("mlp"))
    w = MainWindow(session, settings=QSettings(str(tmp_path / "s.ini"),
                                               QSettings.Format.IniFormat), data=None)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    try:
        panel = w.training_panel
        with qtbot.waitSignal(w.controller.data.loaded, timeout=20000):
            panel.choose_dataset(f"idx:{mnist_dir}")
        assert session.dataset.sample_shape == (28, 28) and panel.size_row.isVisible()
        combo = panel.size_combo
        combo.setFocus()
        with qtbot.waitSignal(w.controller.data.loaded, timeout=20000):
            QTest.keyClick(combo, Qt.Key.Key_Down)   # 28×28 -> 16×16
        assert combo.currentData() == 16 and session.dataset.sample_shape == (16, 16)
        assert "16×16" in panel.dataset_info.text()
        # the mlp reads 784 values: the panel's size follows a design change to cnn16 ...
        session.set_design(get_template("cnn16"))
        assert w.controller.check_ready() is None
        # ... and back to 28×28 for the mlp, reloading the digits
        with qtbot.waitSignal(w.controller.data.loaded, timeout=20000):
            session.set_design(get_template("mlp"))
        assert combo.currentData() == 28 and session.dataset.sample_shape == (28, 28)
        w.grab().save("/tmp/ex1_size16.png")
    finally:
        w.controller.shutdown(5000)
