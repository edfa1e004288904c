"""The numbers behind the explaining views: a convolution pixel worked out, the evidence of
an occlusion map, and the PCA map of a hidden layer, each checked against an independent
computation."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.design import Design
from nnstudio.core.insight.convolution import conv_layers, conv_pixel
from nnstudio.core.insight.occlusion import occlusion_map
from nnstudio.core.insight.projection import fit_projection, layer_projection
from nnstudio.core.network import Network
from nnstudio.core.templates import chain, get_template


def _digit(seed: int = 0, side: int = 28) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((1, side, side), np.float32)
    img[0, 6:22, 12:16] = 1.0                       # a "1"
    return np.clip(img + rng.normal(0, 0.05, img.shape).astype(np.float32), 0, 1)


@pytest.fixture(scope="module")
def cnn() -> Network:
    net = Network(get_template("cnn"), seed=3)
    rng = np.random.default_rng(1)
    weights = net.get_weights()
    for name, w in weights.items():                # biases that matter, so the sum is tested
        if name.endswith("/b"):
            weights[name] = rng.normal(0, 0.1, w.shape).astype(np.float32)
    net.set_weights(weights)
    return net


@pytest.mark.parametrize("where", [(0, 0, 0), (3, 13, 9), (7, 27, 27), (15, 0, 27)])
def test_a_feature_map_pixel_is_its_products_summed_plus_bias_activated(cnn, where) -> None:
    layer = conv_layers(cnn)[0]
    image = _digit()
    f, y, x = where
    px = conv_pixel(cnn, layer, image, f, y, x)
    engine = cnn.activations(image[None])[layer][0, f, y, x]
    assert px.products == pytest.approx(px.patch * px.kernel)
    assert px.total == pytest.approx(float(px.products.sum()))
    assert px.value == pytest.approx(float(engine), abs=1e-5)
    # the patch is the input under the window, zero where it hangs over the edge
    k = px.size
    padded = np.pad(image[0].astype(np.float64), k)
    assert px.patch[0] == pytest.approx(padded[px.top + k:px.top + 2 * k,
                                               px.left + k:px.left + 2 * k])


def test_the_second_convolution_reads_the_first_ones_pooled_maps(cnn) -> None:
    layers = conv_layers(cnn)
    assert len(layers) >= 2
    image = _digit(2)
    px = conv_pixel(cnn, layers[1], image, 5, 4, 6)
    engine = cnn.activations(image[None])[layers[1]][0, 5, 4, 6]
    assert px.patch.shape[0] == cnn.get_weights()[f"{layers[1]}/W"].shape[1]
    assert px.value == pytest.approx(float(engine), abs=1e-4)


def test_strided_valid_convolution() -> None:
    design = chain("strided", [1, 9, 9], [
        ("conv", "Conv2D", {"filters": 2, "kernel_size": 3, "stride": 2, "padding": "valid",
                            "activation": "tanh"}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"units": 2, "activation": "softmax"}),
    ], "cross_entropy")
    net = Network(design, seed=0)
    image = np.random.default_rng(0).random((1, 9, 9)).astype(np.float32)
    px = conv_pixel(net, "conv", image, 1, 3, 2)
    assert (px.top, px.left) == (6, 4)
    assert px.value == pytest.approx(float(net.activations(image[None])["conv"][0, 1, 3, 2]),
                                     abs=1e-6)
    with pytest.raises(ValueError, match="outside"):
        conv_pixel(net, "conv", image, 0, 4, 0)
    with pytest.raises(ValueError, match="not a convolution"):
        conv_pixel(net, "out", image, 0, 0, 0)


class _Reads:
    """A 'network' whose class-1 probability is the mean ink in the top-left 4×4 corner."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x).reshape(len(x), 8, 8)
        p = x[:, :4, :4].mean(axis=(1, 2))
        return np.stack([1 - p, p], axis=1)


def test_occlusion_finds_the_evidence_where_the_network_looks() -> None:
    img = np.ones((8, 8), np.float32)
    occ = occlusion_map(_Reads(), img, 1, patch=2, stride=2)
    assert occ.base == pytest.approx(1.0)
    assert occ.drop[:4, :4] == pytest.approx(np.full((4, 4), 0.25))   # a 2×2 square = 1/4
    assert np.all(occ.drop[4:, :] == 0) and np.all(occ.drop[:, 4:] == 0)


def test_occlusion_on_a_real_network_covers_every_pixel(cnn) -> None:
    image = _digit(4)
    target = int(np.argmax(cnn.predict(image[None])[0]))
    occ = occlusion_map(cnn, image, target, patch=6, stride=4)
    assert occ.drop.shape == (28, 28)
    assert np.all(np.isfinite(occ.drop))
    # covering the stroke matters more than covering a blank corner
    assert abs(occ.drop[10:18, 12:16]).mean() >= abs(occ.drop[:4, :4]).mean()


def test_projection_equals_a_numpy_pca() -> None:
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + 3.0
    proj = fit_projection(acts)
    centred = acts - acts.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    top = vectors[:, ::-1][:, :2].T                               # the two largest
    for i in range(2):
        assert abs(float(proj.components[i] @ top[i])) == pytest.approx(1.0, abs=1e-8)
        expected = centred @ top[i]
        sign = np.sign(float(proj.points[:, i] @ expected))
        assert proj.points[:, i] == pytest.approx(sign * expected, abs=1e-8)
    assert proj.explained == pytest.approx(values[::-1][:2] / values.sum())
    assert proj.project(acts[:5]) == pytest.approx(proj.points[:5])


def test_projection_keeps_its_orientation_when_the_data_flips() -> None:
    rng = np.random.default_rng(1)
    acts = rng.normal(size=(100, 4)) * [5, 2, 1, 0.5]
    a, b = fit_projection(acts), fit_projection(acts[::-1].copy())
    assert a.components == pytest.approx(b.components)


def test_projection_of_too_little_data_is_zero_not_an_error() -> None:
    assert np.all(fit_projection(np.ones((1, 3))).points == 0)
    assert fit_projection(np.zeros((0, 3))).points.shape == (0, 2)


def test_layer_projection_of_a_hidden_layer() -> None:
    design: Design = get_template("mlp")
    net = Network(design, seed=0)
    hidden = [n for n in net.layers if design.nodes[n].kind == "Dense"][0]
    x = np.random.default_rng(0).random((300, 1, 28, 28)).astype(np.float32)
    proj, acts = layer_projection(net, hidden, x, batch_size=128)
    assert acts.shape[0] == 300 and proj.points.shape == (300, 2)
    assert proj.points == pytest.approx(fit_projection(acts).points, abs=1e-5)


def test_weights_that_matter_skip_inputs_that_never_vary() -> None:
    from nnstudio.core.insight.cost import parse_pick, weights_that_matter

    design: Design = get_template("mlp")
    net = Network(design, seed=0)
    x = np.zeros((64, 1, 28, 28), np.float32)
    rng = np.random.default_rng(0)
    x[:, 0, 8:20, 8:20] = rng.random((64, 12, 12))      # ink only in the middle
    y = rng.integers(0, 10, 64)
    net.train_step(x, y)
    grads = {p.name: p.grad.copy() for p in net.parameters()}
    picks = weights_that_matter(net.get_weights(), grads)
    first = [p for p, _ in picks if p[0] == "fc1/W"]
    assert len(first) == 64                               # one per unit, at most 64
    units = 256
    for name, flat in first:
        pixel, unit = divmod(flat, units)
        row, col = divmod(pixel, 28)
        assert 8 <= row < 20 and 8 <= col < 20, "a weight from a blank pixel was offered"
        assert abs(grads[name].reshape(-1)[flat]) > 0
    sizes = [abs(grads["fc1/W"].reshape(-1)[f]) for _, f in first]
    assert sizes == sorted(sizes, reverse=True)
    assert [p for p, _ in picks if p[0] == "fc3/b"] == [("fc3/b", i) for i in range(10)]
    (pick, label) = picks[0]
    assert parse_pick(label, {k: v.shape for k, v in net.get_weights().items()}) == pick
    shapes = {k: v.shape for k, v in net.get_weights().items()}
    assert parse_pick("fc1 weight [300, 5]", shapes) == ("fc1/W", 300 * 256 + 5)
    assert parse_pick("fc2 bias [7]", shapes) == ("fc2/b", 7)
    for bad in ("fc1 weight [784, 0]", "fc1 weight [1]", "nope bias [0]", "fc1 weight 3",
                "fc1 weight [a, b]"):
        assert parse_pick(bad, shapes) is None


@pytest.mark.parametrize("template", ["cnn16", "mlp"])
def test_the_input_gradient_matches_finite_differences(template) -> None:
    design = get_template(template)
    net = Network(design, seed=1, dtype=np.float64)
    rng = np.random.default_rng(2)
    weights = net.get_weights()
    for name, w in weights.items():                      # biases that matter
        if name.endswith("/b"):
            weights[name] = rng.normal(0, 0.1, w.shape)
    net.set_weights(weights)
    x = rng.random((2, *net.input_shape))
    target = 3
    grad = net.input_gradient(x, target)
    assert grad.shape == x.shape
    flat = x.reshape(2, -1)
    h = 1e-6
    for i in rng.choice(flat.shape[1], 12, replace=False):
        up, down = flat.copy(), flat.copy()
        up[:, i] += h
        down[:, i] -= h
        fd = (net.predict(up.reshape(x.shape))[:, target]
              - net.predict(down.reshape(x.shape))[:, target]) / (2 * h)
        assert grad.reshape(2, -1)[:, i] == pytest.approx(fd, rel=1e-3, abs=1e-7)


def test_the_input_gradient_leaves_the_network_as_it_was() -> None:
    design = chain("drop", [1, 8, 8], [
        ("flat", "Flatten", {}),
        ("hidden", "Dense", {"units": 6, "activation": "tanh"}),
        ("drop", "Dropout", {"rate": 0.5}),
        ("out", "Dense", {"units": 3, "activation": "softmax"}),
    ], "cross_entropy")
    net = Network(design, seed=0)
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    before = net.predict(x)
    g1 = net.input_gradient(x, 1)
    g2 = net.input_gradient(x, 1)
    assert g1 == pytest.approx(g2)                       # dropout was off: no randomness
    assert net.predict(x) == pytest.approx(before)
    y = np.array([0, 1, 2, 1])
    loss, _ = net.train_step(x, y)                       # training still works as before
    assert np.isfinite(loss)
