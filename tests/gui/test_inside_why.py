"""The Why view explains a dense network that reads its pictures flat (the mlp on digits) as
well as a convolutional one: the evidence is computed on the picture, each covered copy
handed to the network in the shape it reads."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.gui.inside.why import WhyView
from tests.gui.test_views import images, shown, tiny_mlp, trained

pytest.importorskip("pytestqt")


def test_a_dense_network_on_flat_pictures_gets_its_evidence_maps(qtbot) -> None:
    session = trained(tiny_mlp(), images(n=120), epochs=2, lr=0.1)   # reads (64,)
    drawing = session.dataset.x[5].reshape(8, 8).copy()
    session.set_current_input(drawing)
    view = shown(qtbot, WhyView(session), 800, 520)
    qtbot.waitUntil(lambda: view.result is not None or "could not" in view.status.text(),
                    timeout=10000)
    assert view.result is not None, view.status.text()
    net = session.network
    probs = net.predict(drawing.reshape(1, 64))[0]
    answer = int(np.argmax(probs))
    occ = view.result.occlusion
    assert occ.target == answer and occ.drop.shape == (8, 8)
    # the same map worked out by hand: every 2×2 square (stride 1) blanked in turn
    p, s = occ.patch, occ.stride
    drop, count = np.zeros((8, 8)), np.zeros((8, 8))
    for t in range(0, 8 - p + 1, s):
        for l in range(0, 8 - p + 1, s):
            covered = drawing.copy()
            covered[t:t + p, l:l + p] = 0
            drop[t:t + p, l:l + p] += probs[answer] - net.predict(covered.reshape(1, 64))[0,
                                                                                        answer]
            count[t:t + p, l:l + p] += 1
    assert occ.drop == pytest.approx(drop / np.maximum(count, 1), abs=1e-5)
    gradient = net.input_gradient(drawing.reshape(1, 64), answer)[0].reshape(8, 8)
    assert view.result.saliency == pytest.approx(gradient, abs=1e-6)
