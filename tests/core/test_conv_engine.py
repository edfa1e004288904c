"""The convolution engine's fast paths give the plain result: products in column blocks,
the fused conv + pool training pass, at odd sizes and in every configuration."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from nnstudio.core import convgemm
from nnstudio.core.design import Design
from nnstudio.core.network import Network


def chain(input_shape, layers, loss="cross_entropy"):
    """A design from ``[(kind, params), ...]`` between an Input and an Output."""
    d = Design("test")
    prev = d.add_node("Input", {"shape": list(input_shape)}, node_id="in").id
    for i, (kind, params) in enumerate(layers):
        nid = d.add_node(kind, params, node_id=f"n{i}").id
        d.connect(prev, nid)
        prev = nid
    d.add_node("Output", {"loss": loss}, node_id="out")
    d.connect(prev, "out")
    return d


def conv_net(shape, kernel, stride, padding, pool, filters=(2, 3), dtype=np.float64):
    """linear conv (so the next one needs an input gradient) -> ReLU conv [-> pool] -> 3."""
    layers = [("Conv2D", {"filters": filters[0], "kernel_size": 3, "activation": "linear"}),
              ("Conv2D", {"filters": filters[1], "kernel_size": kernel, "stride": stride,
                          "padding": padding, "activation": "relu"})]
    if pool:
        layers.append(("MaxPool2D", {"pool_size": pool}))
    layers += [("Flatten", {}), ("Dense", {"units": 3, "activation": "softmax"})]
    return Network(chain(shape, layers), seed=5, dtype=dtype)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few columns, so that tiny test images are cut into many (and a rest)."""
    monkeypatch.setattr(convgemm, "MIN_BLOCK", 7)
    monkeypatch.setattr(convgemm, "BLOCK_WORK", 1)


@pytest.mark.parametrize("m,k,p", [(16, 10, 50_176), (6, 26, 1_000), (3, 5, 7), (4, 40, 900)])
def test_products_in_column_blocks_equal_the_plain_products(m, k, p):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, p)).astype(np.float32)
    dz = rng.standard_normal((m, p)).astype(np.float32)
    out = np.full((m, p), np.nan, np.float32)
    assert convgemm.matmul_columns(a, b, out) is out
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    dW = convgemm.matmul_nt_columns(b, dz)
    np.testing.assert_allclose(dW, b.astype(np.float64) @ dz.T.astype(np.float64),
                               rtol=1e-4, atol=2e-3 * np.sqrt(p))


def test_short_patches_are_cut_into_blocks_long_ones_stay_whole():
    assert convgemm.block_columns(16, 10, 50_176) < 50_176 // 8         # cnn's first conv
    assert convgemm.block_columns(6, 26, 50_176) < 50_176 // 8          # lenet's first conv
    assert convgemm.block_columns(32, 145, 12_544) == 12_544            # cnn's second conv
    assert convgemm.block_columns(16, 10, 100) == 100                   # small: one block


@pytest.mark.parametrize("shape,kernel,stride,padding,pool", [
    ((1, 8, 8), 3, 1, "same", 2),          # fused conv + pool
    ((2, 7, 9), 3, 1, "same", 2),          # odd map: the pool layer pools
    ((1, 8, 6), 1, 1, "same", 2),          # 1x1 kernel, fused
    ((2, 10, 10), 5, 1, "valid", 2),       # fused, 'valid'
    ((1, 9, 9), 5, 1, "same", 3),          # pool that does not tile the map
    ((1, 9, 8), 3, 2, "same", 0),          # stride 2, no pool
    ((2, 11, 11), 5, 2, "valid", 0),
])
def test_conv_gradients_with_products_in_blocks(small_blocks, shape, kernel, stride, padding,
                                                pool):
    net = conv_net(shape, kernel, stride, padding, pool)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, *shape))
    y = np.array([0, 2, 1])
    net.train_step(x, y)
    analytic = {p.name: p.grad.copy() for p in net.parameters()}
    for p in net.parameters():
        numeric = numeric_grad(lambda: net.train_step(x, y)[0], p.value)
        assert_close(analytic[p.name], numeric, p.name)


@pytest.mark.parametrize("shape,kernel,padding", [((1, 28, 28), 3, "same"),
                                                  ((1, 28, 28), 5, "same"),
                                                  ((3, 14, 12), 3, "valid")])
def test_float32_training_step_in_blocks_equals_the_whole_products(monkeypatch, shape, kernel,
                                                                   padding):
    rng = np.random.default_rng(2)
    x = rng.random((5, *shape), dtype=np.float32)
    y = np.array([0, 1, 2, 1, 0])
    grads = []
    for block in (1 << 30, 64):                 # whole products, then every one in blocks
        monkeypatch.setattr(convgemm, "MIN_BLOCK", block)
        monkeypatch.setattr(convgemm, "BLOCK_WORK", 1)
        monkeypatch.setattr(convgemm, "SHORT_PATCH", 1 << 30)
        net = conv_net(shape, kernel, 1, padding, 2, filters=(4, 6), dtype=np.float32)
        loss, _ = net.train_step(x, y)
        grads.append((loss, {p.name: p.grad.copy() for p in net.parameters()}))
    assert grads[1][0] == pytest.approx(grads[0][0], rel=1e-6)
    for name, g in grads[0][1].items():
        np.testing.assert_allclose(grads[1][1][name], g, rtol=1e-4,
                                   atol=1e-5 * float(np.abs(g).max()), err_msg=name)
