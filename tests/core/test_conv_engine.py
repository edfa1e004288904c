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


def separate_and_fused(shape, filters, kernel, padding, dtype):
    """The same Conv2D (ReLU) -> MaxPool2D 2x2 twice: as two layers, and with the pair's
    training pass fused (as the network sets it up)."""
    from nnstudio.core.conv import Conv2D, MaxPool2D
    from nnstudio.core.convpool import PooledConv

    pairs = []
    for fused in (False, True):
        conv = Conv2D("c", shape, filters=filters, kernel_size=kernel, padding=padding,
                      rng=np.random.default_rng(7), dtype=dtype)
        pool = MaxPool2D("p", conv.output_shape, 2, dtype=dtype)
        if fused:
            assert PooledConv.fits(conv)
            conv.pooled = PooledConv(conv)
            pool.fused_into = conv
        pairs.append((conv, pool))
    return pairs


def pair_step(conv, pool, x, dy):
    out = pool.forward(conv.forward(x, training=True), training=True)
    dx = conv.backward(pool.backward(dy))
    return np.array(out), np.array(dx), conv.W.grad.copy(), conv.b.grad.copy()


@pytest.mark.parametrize("bias", [0.5, -0.5, 0.0])
def test_fused_conv_pool_gives_each_tied_window_its_gradient_once(bias):
    # zero weights: every pixel of every window holds the same value (the bias)
    pairs = separate_and_fused((2, 6, 8), 3, 3, "same", np.float64)
    for conv, _ in pairs:
        conv.W.value[...] = 0
        conv.b.value[...] = bias
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 6, 8))
    dy = rng.standard_normal((4, 3, 3, 4))
    ref, got = (pair_step(c, p, x, dy) for c, p in pairs)
    for r, g, what in zip(ref, got, ("output", "dx", "dW", "db"), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12, err_msg=what)
    # the bias gradient counts each live window once, not four times
    expected = dy.sum(axis=(0, 2, 3)) if bias > 0 else np.zeros(3)
    np.testing.assert_allclose(got[3], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,filters,kernel,padding,n", [
    ((1, 28, 28), 16, 3, "same", 64),      # the cnn's first pair
    ((16, 14, 14), 32, 3, "same", 5),      # its second
    ((6, 14, 14), 16, 5, "valid", 3),      # lenet's second
    ((3, 8, 6), 4, 1, "same", 1),          # 1x1 kernel, batch of 1
    ((2, 12, 10), 3, 3, "valid", 2),       # "valid" 3x3, a rectangle
])
def test_fused_conv_pool_equals_the_separate_layers_in_float32(shape, filters, kernel,
                                                               padding, n):
    pairs = separate_and_fused(shape, filters, kernel, padding, np.float32)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    dy = rng.standard_normal((n, *pairs[0][1].output_shape)).astype(np.float32)
    for _ in range(2):                          # the second step reuses every buffer
        ref, got = (pair_step(c, p, x, dy) for c, p in pairs)
    for r, g, what in zip(ref, got, ("output", "dx", "dW", "db"), strict=True):
        assert g.dtype == np.float32, what
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4 * float(np.abs(r).max()),
                                   err_msg=what)


def test_shipped_model_answers_the_same_with_products_in_blocks(shipped_model, monkeypatch):
    net = shipped_model.network
    x = np.random.default_rng(5).random((300, *net.input_shape), dtype=np.float32)
    x[x < 0.7] = 0                                      # mostly blank, like a drawn digit
    blocked = net.forward(x)
    assert convgemm.block_columns(16, 10, 300 * 28 * 30) < 300 * 28 * 30
    monkeypatch.setattr(convgemm, "SHORT_PATCH", 0)     # every product whole
    whole = net.forward(x)
    assert blocked.dtype == whole.dtype == np.float32
    np.testing.assert_allclose(blocked, whole, rtol=1e-5, atol=1e-7)
    assert (blocked.argmax(axis=1) == whole.argmax(axis=1)).all()
    assert {k: (v.shape, v.dtype) for k, v in net.get_weights().items()}["conv1/W"] == \
        ((16, 1, 3, 3), np.float32)


# ------------------------------------------------------------------ lean inference
def pooled_cnn(dtype=np.float32, seed=3):
    """Two Conv2D (ReLU) -> MaxPool2D 2x2 pairs, both fused in training, then 10 classes."""
    layers = [("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
              ("MaxPool2D", {"pool_size": 2}),
              ("Conv2D", {"filters": 6, "kernel_size": 3, "activation": "relu"}),
              ("MaxPool2D", {"pool_size": 2}),
              ("Flatten", {}), ("Dense", {"units": 10, "activation": "softmax"})]
    net = Network(chain((1, 12, 12), layers), seed=seed, dtype=dtype)
    assert net._pooled
    return net


def mostly_blank(n, shape, seed=6):
    x = np.random.default_rng(seed).random((n, *shape), dtype=np.float32)
    x[x < 0.6] = 0                      # blank windows: four equal values under the pool
    return x


@pytest.mark.parametrize("n", [1, 63, 64, 150])
def test_predict_and_evaluate_through_fused_pairs_equal_the_separate_layers(n):
    net = pooled_cnn()
    net._lean_samples = 32                         # several pieces, and a short last one
    x = mostly_blank(n, net.input_shape)
    y = np.arange(n) % 10
    separate = net.forward(x)                      # every layer on its own (activations)
    assert np.array_equal(net.activations(x)[net._order[net._out]], separate)
    lean = net.predict(x)
    assert lean.dtype == np.float32 and lean.shape == (n, 10)
    np.testing.assert_allclose(lean, separate, rtol=1e-5, atol=1e-7)
    result = net.evaluate(x, y)
    J = float(-np.log(separate[np.arange(n), y]).mean())
    assert result["loss"] == pytest.approx(J, rel=1e-5)
    assert result["accuracy"] == pytest.approx(float((separate.argmax(1) == y).mean()))


def test_predictions_are_new_arrays_that_later_calls_leave_alone():
    net = pooled_cnn()
    x1, x2 = mostly_blank(5, net.input_shape, 1), mostly_blank(5, net.input_shape, 2)
    first = net.predict(x1)
    kept = first.copy()
    net.predict(x2)
    net.evaluate(x2, np.zeros(5, int))
    assert np.array_equal(first, kept)


@pytest.mark.parametrize("n", [1, 3])
def test_a_design_ending_in_a_fused_pair_hands_out_its_own_copy(n):
    # flattening one sample's pooled output is a view of the pair's scratch
    net = Network(chain((1, 8, 8), [
        ("Conv2D", {"filters": 2, "kernel_size": 3, "activation": "relu"}),
        ("MaxPool2D", {"pool_size": 2}), ("Flatten", {})], loss="mse"), seed=1)
    assert net._pooled
    x1, x2 = mostly_blank(n, net.input_shape, 1), mostly_blank(n, net.input_shape, 2)
    first = net.predict(x1)
    np.testing.assert_allclose(first, net.forward(x1), rtol=1e-6, atol=1e-7)
    kept = first.copy()
    net.predict(x2)
    assert np.array_equal(first, kept)


def test_lean_inference_between_training_steps_leaves_the_step_unchanged():
    """Validation between two steps must not disturb the training pass's buffers."""
    nets = [pooled_cnn(seed=9), pooled_cnn(seed=9)]
    x = mostly_blank(40, nets[0].input_shape)
    y = np.arange(40) % 10
    nets[1].predict(mostly_blank(70, nets[1].input_shape, 4))   # only the second infers
    for net in nets:
        net.train_step(x, y)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert np.array_equal(a.grad, b.grad), a.name


def test_lean_inference_in_slices_on_threads_equals_one_thread(monkeypatch):
    from nnstudio.core import network, parallel

    monkeypatch.setattr(network, "SHARD_MIN_WORK", 1)         # slice even tiny batches
    net = pooled_cnn()
    net._lean_samples = 48
    x = mostly_blank(260, net.input_shape)
    whole = net.predict(x)
    before = (parallel.threads(), parallel.splits_operations())
    parallel.set_threads(2, split_operations=False)     # as in the training process
    try:
        assert net.batch_slices(len(x)) == 2
        sliced = net.predict(x)
    finally:
        parallel.set_threads(*before)
    np.testing.assert_allclose(sliced, whole, rtol=1e-6, atol=1e-7)


def test_float64_loss_of_the_lean_pass_equals_the_separate_layers():
    net = pooled_cnn(dtype=np.float64)
    x = mostly_blank(9, net.input_shape).astype(np.float64)
    y = np.arange(9) % 10
    separate = net.forward(x)
    J = float(-np.log(separate[np.arange(9), y]).mean())
    assert net.evaluate(x, y)["loss"] == pytest.approx(J, rel=1e-12)


def test_pieces_of_lean_inference_hold_about_the_same_bytes_whatever_the_image_size():
    from nnstudio.core.network import LEAN_BYTES
    from nnstudio.core.templates import get_template

    sizes = {}
    for name in ("cnn", "cnn16", "lenet"):
        net = Network(get_template(name))
        per_sample = sum(layer.pooled.scratch_bytes() for layer in net.layers.values()
                         if getattr(layer, "pooled", None) is not None)
        assert net._lean_samples * per_sample == pytest.approx(LEAN_BYTES, rel=0.02)
        sizes[name] = net._lean_samples
    assert sizes["cnn16"] > 4 * sizes["cnn"]                  # small images: more a piece


# ------------------------------------------------------------------ reused arrays
def test_buffers_keep_their_memory_for_smaller_shapes_and_refill_it():
    from nnstudio.core.buffers import Buffers

    buf = Buffers()
    a = buf.get("x", (4, 10), np.float32, fill=0)
    assert a is buf.get("x", (4, 10), np.float32, fill=0)     # same shape: same object
    a[...] = 7
    assert buf.get("x", (4, 10), np.float32, fill=0)[0, 0] == 7   # contents kept
    small = buf.get("x", (3, 5), np.float32, fill=0)              # smaller: same memory
    assert np.shares_memory(small, a) and not small.any()
    again = buf.get("x", (4, 10), np.float32, fill=1)
    assert np.shares_memory(again, a) and (again == 1).all()
    big = buf.get("x", (5, 10), np.float32, fill=2)               # larger: new memory
    assert not np.shares_memory(big, a) and (big == 2).all()
    other = buf.get("x", (5, 10), np.float64)                     # another dtype: new
    assert other.dtype == np.float64 and not np.shares_memory(other, big)


def test_a_copied_network_answers_alike_and_leaves_the_scratch_behind():
    import copy

    net = pooled_cnn()
    x = mostly_blank(200, net.input_shape)
    first = net.predict(x)                     # the scratch is filled now
    clone = copy.deepcopy(net)
    pooled = [layer.pooled for layer in clone.layers.values()
              if getattr(layer, "pooled", None) is not None]
    assert pooled and all(not p._views and not p._scratch._arrays for p in pooled)
    assert all(p.conv.pooled is p for p in pooled)     # the copy points at its own conv
    np.testing.assert_array_equal(clone.predict(x), first)
    net.train_step(x[:32], np.arange(32) % 10)         # the original still trains
