"""The Draw page: real strokes on the canvas, the network's answer, preview, probes, teaching."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtTest import QTest

from nnstudio.core.templates import get_template
from nnstudio.data.dataset import Dataset
from nnstudio.data.preprocess import to_mnist
from nnstudio.gui.draw.page import DrawPanel
from nnstudio.gui.session import Session
from nnstudio.gui.snapshot import Snapshot

NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


# ---------------------------------------------------------------- drawing with the mouse
def at(panel: DrawPanel, x: float, y: float) -> QPoint:
    r = panel.canvas.board_rect()
    return QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height()))


def stroke(panel: DrawPanel, points: list[tuple[float, float]]) -> None:
    c = panel.canvas
    QTest.mousePress(c, LEFT, NO_MOD, at(panel, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(c, at(panel, *p))
    QTest.mouseRelease(c, LEFT, NO_MOD, at(panel, *points[-1]))


def draw_one(panel: DrawPanel) -> None:
    """A "1": one near-vertical line, slightly slanted like handwriting."""
    stroke(panel, [(0.53 - 0.06 * t, 0.18 + 0.64 * t) for t in np.linspace(0, 1, 25)])


def draw_zero(panel: DrawPanel) -> None:
    """A "0": one ellipse, taller than wide, started at the top and closed."""
    t = np.linspace(0, 2 * np.pi, 48)
    stroke(panel, list(zip(0.5 + 0.2 * np.sin(t), 0.5 - 0.3 * np.cos(t), strict=True)))


def digit(panel: DrawPanel) -> str:
    return panel.findChild(QObject, "predictedDigit").text()


# ---------------------------------------------------------------- fixtures
class FakeStore:
    """The person's digits, in memory (the panel only needs add, len and as_dataset)."""

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []
        self.labels: list[int] = []

    def add(self, image: np.ndarray, label: int) -> None:
        self.images.append(np.array(image, dtype=np.float32))
        self.labels.append(int(label))

    def __len__(self) -> int:
        return len(self.labels)

    def as_dataset(self) -> Dataset:
        return Dataset("mine", np.array(self.images, dtype=np.float32).reshape(-1, 28, 28),
                       np.array(self.labels, dtype=np.int64), "classification",
                       [str(i) for i in range(10)])


def make_panel(qtbot, session: Session, store=None) -> DrawPanel:
    panel = DrawPanel(session, store=store if store is not None else FakeStore())
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.canvas.throttle_ms = 0
    return panel


@pytest.fixture
def cnn_session(qtbot) -> Session:
    """A CNN with random weights: answers exist, whatever they are."""
    return Session(get_template("cnn"))


@pytest.fixture
def trained_session(qtbot, shipped_model) -> Session:
    session = Session(shipped_model.design)
    session.set_design(shipped_model.design, weights=shipped_model.network.get_weights(),
                       meta=shipped_model.meta)
    return session


# ---------------------------------------------------------------- the shipped model reads strokes
def test_a_drawn_one_is_read_as_1(qtbot, trained_session):
    panel = make_panel(qtbot, trained_session)
    draw_one(panel)
    assert digit(panel) == "1", panel.probs


def test_a_drawn_ellipse_is_read_as_0(qtbot, trained_session):
    panel = make_panel(qtbot, trained_session)
    draw_zero(panel)
    assert digit(panel) == "0", panel.probs


# ---------------------------------------------------------------- the answer and the preview
def test_the_answer_updates_while_drawing_and_the_preview_is_what_the_network_sees(
        qtbot, cnn_session):
    panel = make_panel(qtbot, cnn_session)
    assert digit(panel) == ""
    c = panel.canvas
    QTest.mousePress(c, LEFT, NO_MOD, at(panel, 0.5, 0.2))
    QTest.mouseMove(c, at(panel, 0.5, 0.5))
    assert digit(panel) != ""  # an answer before the stroke is finished
    QTest.mouseMove(c, at(panel, 0.5, 0.8))
    QTest.mouseRelease(c, LEFT, NO_MOD, at(panel, 0.5, 0.8))
    probs = panel.prediction.bars.values()
    assert probs is not None and probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-4)
    # the top class, or "?" with a reason when the drawing does not look like a digit to
    # this (untrained) network
    doubt = panel.prediction.doubt_text()
    assert digit(panel) == ("?" if doubt else str(int(np.argmax(probs))))
    preview = panel.prediction.preview.image()
    expected = to_mnist(c.image())
    np.testing.assert_allclose(preview, expected, atol=1e-6)
    np.testing.assert_allclose(cnn_session.current_input, expected, atol=1e-6)
    # MNIST framing: ink inside the central 20x20 box, centre of mass at the centre
    rows, cols = np.nonzero(preview > 0.05)
    assert rows.min() >= 3 and rows.max() <= 24
    ys, xs = np.indices(preview.shape)
    assert (preview * ys).sum() / preview.sum() == pytest.approx(13.5, abs=0.6)
    assert (preview * xs).sum() / preview.sum() == pytest.approx(13.5, abs=0.6)
    assert "ms" in panel.latency.text()


def test_escape_clears_the_drawing_and_the_answer(qtbot, cnn_session):
    panel = make_panel(qtbot, cnn_session)
    draw_one(panel)
    assert digit(panel) != ""
    panel.canvas.setFocus()
    QTest.keyClick(panel.canvas, Qt.Key.Key_Escape)
    assert digit(panel) == ""
    assert panel.canvas.is_empty() and panel.prediction.preview.image() is None
    assert panel.prediction.bars.values() is None
    assert cnn_session.current_input is None


def test_undo_button_takes_back_one_stroke(qtbot, cnn_session):
    panel = make_panel(qtbot, cnn_session)
    draw_one(panel)
    one = panel.prediction.preview.image()
    stroke(panel, [(0.3, 0.25), (0.7, 0.25)])
    assert not np.allclose(panel.prediction.preview.image(), one)
    panel.undo_button.click()
    np.testing.assert_allclose(panel.prediction.preview.image(), one, atol=1e-6)


def test_a_model_that_reads_no_image_gives_a_hint_not_an_error(qtbot):
    session = Session(get_template("perceptron"))
    panel = make_panel(qtbot, session)
    draw_one(panel)
    assert digit(panel) == ""
    hint = panel.findChild(QObject, "predictionHint")
    assert hint.isVisible() and "not a picture" in hint.text()
    assert panel.prediction.preview.image() is not None  # the drawing is still framed


def test_a_bad_dropped_file_changes_nothing_and_shows_a_message(qtbot, cnn_session, tmp_path):
    panel = make_panel(qtbot, cnn_session)
    draw_zero(panel)
    answer, probs = digit(panel), panel.prediction.bars.values()
    bad = tmp_path / "digit.jpg"
    bad.write_bytes(b"\x00\x01 definitely not a JPEG")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(bad))])
    panel.canvas.import_mime(mime)
    message = panel.findChild(QObject, "drawMessage")
    assert message.isVisible() and "digit.jpg" in message.text()
    assert message.property("kind") == "error"
    assert digit(panel) == answer
    np.testing.assert_array_equal(panel.prediction.bars.values(), probs)
    assert panel.canvas.stroke_count() == 1


# ---------------------------------------------------------------- probes
def test_probes_are_reclassified_on_every_training_snapshot(qtbot, cnn_session):
    panel = make_panel(qtbot, cnn_session)
    draw_one(panel)
    panel.pin_probe()
    draw_zero(panel)
    panel.pin_probe()
    cards = panel.probes.cards
    assert len(cards) == 2 and all(c.answer.text() != "–" for c in cards)
    # a snapshot whose last layer says "3" whatever the input
    weights = cnn_session.network.get_weights()
    last = [k for k in weights if k.endswith("/W")][-1]
    weights[last][:] = 0
    bias = last[:-1] + "b"
    weights[bias][:] = 0
    weights[bias][3] = 5.0
    cnn_session.apply_snapshot(Snapshot(weights=weights))
    qtbot.waitUntil(lambda: all(c.answer.text() == "3" for c in cards), timeout=10000)
    assert digit(panel) == "3"
    cards[0].remove_button.click()
    qtbot.waitUntil(lambda: len(panel.probes.cards) == 1, timeout=10000)


# ---------------------------------------------------------------- teach it your handwriting
class FakeTraining(QObject):
    """Stands in for the window's TrainingController: fine_tune 'trains' at once."""

    finished = Signal(object)
    errored = Signal(str)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.calls: list[tuple[Dataset, dict]] = []

    def fine_tune(self, dataset, **kw) -> None:
        self.calls.append((dataset, kw))
        self.finished.emit(None)


def test_label_buttons_keep_the_drawing_and_fine_tuning_reports_before_and_after(
        qtbot, cnn_session, tmp_path):
    from nnstudio.data.mine import UserDigits

    store = UserDigits(tmp_path)
    panel = make_panel(qtbot, cnn_session, store)
    cnn_session.training = FakeTraining(cnn_session)
    rng = np.random.default_rng(0)
    panel.teach.set_test_data(
        Dataset("test", rng.random((20, 28, 28), dtype=np.float32),
                rng.integers(0, 10, 20).astype(np.int64), "classification",
                [str(i) for i in range(10)]), "20 test digits")
    panel.teach.update_state()
    assert not panel.teach.button.isEnabled()  # nothing of the person's yet
    draw_one(panel)
    wrong = (int(np.argmax(panel.probs)) + 1) % 10
    panel.findChild(QObject, f"labelButton{wrong}").click()
    kept = UserDigits(tmp_path)  # on disk, as the next session will see it
    assert [d.label for d in kept.list()] == [wrong]
    np.testing.assert_allclose(kept.image(kept.list()[0].id), panel.img28, atol=1 / 255)
    assert "Corrected" in panel.message.text() and f"you said {wrong}" in panel.message.text()
    assert "Your digits: 1" in panel.findChild(QObject, "myDigitsCount").text()
    assert panel.teach.button.isEnabled()
    panel.teach.button.click()
    result = panel.findChild(QObject, "fineTuneResult")
    qtbot.waitUntil(lambda: "→" in result.text(),
                    timeout=10000)
    assert "20 test digits" in result.text()
    dataset, kw = cnn_session.training.calls[0]
    assert dataset.n == 1 and kw["epochs"] == panel.teach.epochs.value()
    assert list(dataset.y) == [wrong]


def test_a_wrong_label_click_can_be_taken_back(qtbot, cnn_session, tmp_path):
    from nnstudio.data.mine import UserDigits

    store = UserDigits(tmp_path)
    panel = make_panel(qtbot, cnn_session, store)
    draw_zero(panel)
    panel.findChild(QObject, "labelButton0").click()
    panel.findChild(QObject, "labelButton8").click()
    assert store.counts()[8] == 1
    panel.findChild(QObject, "takeBackDigit").click()
    assert len(UserDigits(tmp_path)) == 1 and store.counts()[8] == 0
    assert "Your digits: 1" in panel.findChild(QObject, "myDigitsCount").text()


def test_labelling_an_empty_canvas_asks_for_a_drawing(qtbot, cnn_session):
    store = FakeStore()
    panel = make_panel(qtbot, cnn_session, store)
    panel.findChild(QObject, "labelButton4").click()
    assert store.labels == [] and "Draw a digit first" in panel.message.text()


def test_the_draw_page_is_the_first_page():
    from nnstudio.gui.pages import page_factories

    name, title, factory = page_factories()[0]
    assert (name, title, factory) == ("drawPage", "Draw", DrawPanel)


def test_an_invalid_design_gives_a_hint_that_says_what_is_wrong(qtbot):
    design = get_template("cnn")
    design.remove_node(design.output_node.id)
    session = Session(design)
    assert session.network is None
    panel = make_panel(qtbot, session)
    draw_one(panel)
    hint = panel.findChild(QObject, "predictionHint")
    assert digit(panel) == "" and hint.isVisible() and "Design page" in hint.text()


def test_ctrl_v_pastes_a_picture_from_the_clipboard(qtbot, cnn_session):
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen

    picture = QImage(60, 60, QImage.Format.Format_RGB32)
    picture.fill(QColor("white"))
    painter = QPainter(picture)
    painter.setPen(QPen(QColor("black"), 6))
    painter.drawEllipse(15, 8, 30, 44)
    painter.end()
    QGuiApplication.clipboard().setImage(picture)
    panel = make_panel(qtbot, cnn_session)
    panel.canvas.setFocus()
    QTest.keyClick(panel.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert panel.canvas.stroke_count() == 1 and digit(panel) != ""
    preview = panel.prediction.preview.image()
    assert preview[14, 14] < 0.2 and preview.max() > 0.9  # a ring: dark middle, white ink


def test_the_help_line_explains_what_is_under_the_mouse(qtbot, cnn_session):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QEnterEvent
    from PySide6.QtWidgets import QApplication

    panel = make_panel(qtbot, cnn_session)
    help_line = panel.findChild(QObject, "drawHelp")
    preview = panel.findChild(QObject, "mnistPreview")
    QApplication.sendEvent(preview, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert "20×20" in help_line.text()
    QApplication.sendEvent(preview, QEvent(QEvent.Type.Leave))
    assert "softmax" in help_line.text()  # back to the answer view around it


def test_a_random_test_digit_can_be_put_on_the_board(qtbot, cnn_session):
    panel = make_panel(qtbot, cnn_session)
    images = np.zeros((3, 28, 28), dtype=np.float32)
    images[:, 6:22, 12:16] = 1.0
    panel.teach.set_test_data(Dataset("test", images, np.array([1, 1, 1]), "classification",
                                      [str(i) for i in range(10)]), "3 test digits")
    panel.findChild(QObject, "drawTestDigit").click()
    assert panel.canvas.stroke_count() == 1 and digit(panel) != ""
    assert "its label is 1" in panel.message.text()
    assert panel.prediction.preview.image()[14, 14] > 0.5
