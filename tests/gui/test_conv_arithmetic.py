"""The Convolution view works out a clicked feature-map pixel: the input patch, the filter,
their products, the sum, the bias and the activation, equal to the engine's value."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from nnstudio.gui.inside.conv import ConvolutionView
from nnstudio.gui.inside.conv_arith import maps_layout
from nnstudio.gui.inside.style import fmt
from tests.gui.test_views import images, shown, tiny_cnn, trained

pytest.importorskip("pytestqt")


@pytest.fixture
def view(qtbot) -> ConvolutionView:
    s = trained(tiny_cnn(), images(n=80), epochs=1, lr=0.1)
    s.set_current_input(s.dataset.x[4])
    return shown(qtbot, ConvolutionView(s), 1000, 760)


def click_map_pixel(qtbot, v: ConvolutionView, layer: str, f: int, y: int, x: int) -> None:
    """Click pixel (y, x) of map f of ``layer``'s mosaic with the mouse."""
    item = v._map_items[layer]
    h, w = v.session.analysis.shapes[layer][1:]
    cols, gap = maps_layout(min(v.session.analysis.shapes[layer][0], 32), w)
    r, c = divmod(f, cols)
    row, col = r * (h + gap) + y, c * (w + gap) + x
    up = item.image.shape[0] - 1 - row                    # the picture's rows count upwards
    scene = item.mapToScene(QPointF(col + 0.5, up + 0.5))
    at = v.graphics.mapFromScene(scene)
    v.scroll.ensureVisible(at.x(), at.y())
    qtbot.wait(50)
    at = v.graphics.mapFromScene(scene)
    qtbot.mouseClick(v.graphics.viewport(), Qt.MouseButton.LeftButton, pos=at)


def test_a_clicked_pixel_is_its_products_summed_plus_bias_activated(qtbot, view) -> None:
    v = view
    layer = v.map_layers[0]
    click_map_pixel(qtbot, v, layer, 2, 3, 5)
    qtbot.waitUntil(lambda: v.picked == (layer, 2, 3, 5), timeout=10000)
    px = v.arithmetic.pixel
    engine = v.session.network.activations(v.session.current_input[None, None])[layer]
    assert px.products == pytest.approx(px.patch * px.kernel)
    assert px.value == pytest.approx(float(engine[0, 2, 3, 5]), abs=1e-5)
    assert px.total == pytest.approx(float(px.products.sum()))
    assert f"= <b>{fmt(px.value)}</b>, the value of this pixel" in v.arithmetic.sum_line.text()
    # the patch is outlined on the input: a k×k square around the pixel
    xs, ys = v._outline.getData()
    assert (min(xs), max(xs)) == (px.left, px.left + px.size)


def test_the_arrows_step_the_window_across_the_image(qtbot, view) -> None:
    v = view
    layer = v.map_layers[0]
    click_map_pixel(qtbot, v, layer, 0, 0, 0)
    qtbot.waitUntil(lambda: v.picked == (layer, 0, 0, 0), timeout=10000)
    assert v.arithmetic.pixel.top == -1          # 'same' padding: it hangs over the edge
    qtbot.mouseClick(v.arithmetic.arrows["right"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(v.arithmetic.arrows["down"], Qt.MouseButton.LeftButton)
    assert v.picked == (layer, 0, 1, 1)
    engine = v.session.network.activations(v.session.current_input[None, None])[layer]
    assert v.arithmetic.pixel.value == pytest.approx(float(engine[0, 0, 1, 1]), abs=1e-5)
    for _ in range(3):
        qtbot.mouseClick(v.arithmetic.arrows["left"], Qt.MouseButton.LeftButton)
    assert v.picked == (layer, 0, 1, 0)          # it stops at the edge
    assert np.all(np.isfinite(v.arithmetic.pixel.products))
