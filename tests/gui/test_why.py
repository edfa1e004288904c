"""The Why view: the evidence for the answer, or for a class the person picks, over the
drawing, computed off the GUI thread."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.core.insight.occlusion import occlusion_map
from nnstudio.gui.inside.why import WhyView
from nnstudio.gui.session import Session
from tests.gui.test_views import images, shown, tiny_cnn, two_d
from tests.gui.test_views import trained as trained_session

pytest.importorskip("pytestqt")


@pytest.fixture
def trained(qtbot) -> Session:
    return trained_session(tiny_cnn(), images(n=120), epochs=2, lr=0.1)


def _open(qtbot, session: Session) -> WhyView:
    return shown(qtbot, WhyView(session), 800, 520)


def test_the_evidence_is_the_occlusion_map_of_the_answer(qtbot, trained) -> None:
    drawing = trained.dataset.x[5].copy()
    trained.set_current_input(drawing)
    view = _open(qtbot, trained)
    qtbot.waitUntil(lambda: view.result is not None, timeout=10000)
    probs = trained.network.predict(drawing[None, None])[0]
    answer = int(np.argmax(probs))
    expected = occlusion_map(trained.network, drawing[None], answer, patch=2, stride=1)
    assert view.result.occlusion.target == answer
    assert view.result.occlusion.drop == pytest.approx(expected.drop, abs=1e-5)
    assert f"It says <b>{trained.dataset.classes[answer]}</b>" in view.answer.text()
    gradient = trained.network.input_gradient(drawing[None, None], answer)[0, 0]
    assert view.result.saliency == pytest.approx(gradient, abs=1e-6)


def test_picking_another_class_shows_its_evidence(qtbot, trained) -> None:
    drawing = trained.dataset.x[5].copy()
    trained.set_current_input(drawing)
    view = _open(qtbot, trained)
    qtbot.waitUntil(lambda: view.result is not None, timeout=10000)
    answer = view.result.occlusion.target
    other = (answer + 1) % 3
    view.class_combo.setFocus()
    for _ in range(other + 1):                     # item 0 is "its answer"
        qtbot.keyClick(view.class_combo, Qt.Key.Key_Down)
    assert view.class_combo.currentIndex() == other + 1
    qtbot.waitUntil(lambda: view.result.occlusion.target == other, timeout=10000)
    expected = occlusion_map(trained.network, drawing[None], other, patch=2, stride=1)
    assert view.result.occlusion.drop == pytest.approx(expected.drop, abs=1e-5)
    assert f"; {trained.dataset.classes[other]}:" in view.answer.text()


def test_a_network_that_reads_no_picture_is_told_apart(qtbot) -> None:
    from nnstudio.core.templates import get_template

    s = Session(get_template("playground"))
    s.set_dataset(two_d())
    view = _open(qtbot, s)
    assert "grey picture" in view.message
