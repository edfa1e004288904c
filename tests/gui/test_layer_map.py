"""The Layer map view: held-out samples placed by a hidden layer's activations (PCA), the
person's drawing as a ring, and a clicked dot showing its sample."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from nnstudio.core.insight.projection import fit_projection
from nnstudio.gui.inside.base import held_out_indices
from nnstudio.gui.inside.layer_map import SAMPLES, LayerMapView, hidden_layers
from nnstudio.gui.session import Session
from tests.gui.test_views import chain, images, shown, tiny_mlp
from tests.gui.test_views import trained as trained_session

pytest.importorskip("pytestqt")


@pytest.fixture
def trained(qtbot) -> Session:
    return trained_session(tiny_mlp(), images(n=240), epochs=3, lr=0.2)


def _open(qtbot, session: Session) -> LayerMapView:
    return shown(qtbot, LayerMapView(session))


def test_the_map_is_a_pca_of_the_layers_activations(qtbot, trained) -> None:
    view = _open(qtbot, trained)
    qtbot.waitUntil(lambda: view.result is not None, timeout=10000)
    net, ds = trained.network, trained.dataset
    layer = view.layer_combo.currentText()
    assert layer == hidden_layers(net)[-1] == "dense1"
    idx = np.sort(held_out_indices(ds.n, trained)[:SAMPLES])
    acts = net.activations(ds.x[idx].reshape(len(idx), -1))[layer]
    expected = fit_projection(acts).points
    assert view.result.projection.points == pytest.approx(expected, abs=1e-4)
    shown = sum(len(item.data) for item in view.dots)
    assert shown == len(idx)
    assert "held-out samples of layer dense1" in view.status.text()


def test_the_drawing_is_a_ring_on_the_map(qtbot, trained) -> None:
    drawing = trained.dataset.x[3].copy()
    trained.set_current_input(drawing)
    view = _open(qtbot, trained)
    qtbot.waitUntil(lambda: view.result is not None and view.result.drawing is not None,
                    timeout=10000)
    acts = trained.network.activations(drawing.reshape(1, -1))["dense1"].reshape(-1)
    where = view.result.projection.project(acts)
    xs, ys = view.ring.getData()
    assert (xs[0], ys[0]) == pytest.approx(tuple(where), abs=1e-4)


def test_clicking_a_dot_shows_its_sample(qtbot, trained) -> None:
    view = _open(qtbot, trained)
    qtbot.waitUntil(lambda: view.result is not None, timeout=10000)
    r = view.result
    # the dot farthest from the others, so the click cannot land on a neighbour
    pts = r.projection.points
    gaps = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    dot = int(np.argmax(gaps.min(axis=1)))
    vb = view.plot.getPlotItem().getViewBox()

    def on_screen() -> bool:                  # the plot has ranged itself around the dots
        (x0, x1), (y0, y1) = vb.viewRange()
        return x0 < pts[:, 0].min() and pts[:, 0].max() < x1 and y0 < pts[:, 1].min() \
            and pts[:, 1].max() < y1

    qtbot.waitUntil(on_screen, timeout=10000)
    scene = vb.mapViewToScene(QPointF(float(pts[dot, 0]), float(pts[dot, 1])))
    pos = view.plot.mapFromScene(scene)
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: view.clicked == dot, timeout=10000)
    sample = int(r.indices[dot])
    label = trained.dataset.classes[int(trained.dataset.y[sample])]
    assert view.sample_text.text() == f"Sample {sample:,}: a {label}"
    assert not view.sample_picture.pixmap().isNull()


def test_a_network_without_a_hidden_layer_says_so(qtbot) -> None:
    design = chain(("Input", {"shape": [64]}),
                   ("Dense", {"units": 3, "activation": "softmax"}),
                   ("Output", {"loss": "cross_entropy"}))
    s = Session(design)
    s.set_dataset(images())
    view = _open(qtbot, s)
    assert "no hidden layer" in view.message
