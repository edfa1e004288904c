"""Layers: shapes and finite-difference gradient checks in float64."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_layer

from nnstudio.core.activations import NoGradientError
from nnstudio.core.conv import Conv2D, MaxPool2D
from nnstudio.core.layers import (
    ActivationLayer,
    Add,
    Concatenate,
    Dense,
    Dropout,
    Flatten,
    Input,
    Output,
)

F64 = np.float64


def rand(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh", "relu", "leaky_relu",
                                        "softmax"])
def test_dense_gradients(activation):
    layer = Dense("fc", (5,), units=4, activation=activation,
                  rng=np.random.default_rng(0), dtype=F64)
    layer.b.value[:] = rand(4, seed=3) * 0.1
    check_layer(layer, rand(3, 5))


def test_dense_shapes_and_float32():
    layer = Dense("fc", (784,), units=10)
    y = layer.forward(np.zeros((7, 784), np.float32))
    assert y.shape == (7, 10) and y.dtype == np.float32
    assert layer.W.value.shape == (784, 10) and layer.n_params == 7850


def test_dense_step_forward_works_backward_raises():
    layer = Dense("p", (2,), units=1, activation="step")
    layer.W.value[:] = [[0.5], [0.7]]
    layer.b.value[:] = -0.5
    y = layer.forward(np.array([[0.5, 0.6], [0.1, 0.1]], np.float32), training=True)
    assert y.ravel().tolist() == [1.0, 0.0]            # 0.67 - 0.5 >= 0 fires
    with pytest.raises(NoGradientError, match="perceptron"):
        layer.backward(np.ones_like(y))


@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_gradients(kernel, stride, padding):
    layer = Conv2D("conv", (2, 7, 6), filters=3, kernel_size=kernel, stride=stride,
                   padding=padding, activation="tanh", rng=np.random.default_rng(0), dtype=F64)
    layer.b.value[:] = rand(3, seed=4) * 0.1
    check_layer(layer, rand(2, 2, 7, 6))


def test_conv2d_matches_direct_convolution():
    layer = Conv2D("conv", (3, 6, 5), filters=4, kernel_size=3, stride=2, padding="same",
                   activation="linear", rng=np.random.default_rng(0), dtype=F64)
    x = rand(2, 3, 6, 5)
    y = layer.forward(x)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    W, b = layer.W.value, layer.b.value
    ref = np.zeros_like(y)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            ref[:, :, i, j] = np.einsum("nckl,fckl->nf", patch, W) + b
    assert y.shape == (2, 4, 3, 3)
    np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_conv2d_shapes():
    assert Conv2D("c", (1, 28, 28), 16).output_shape == (16, 28, 28)
    assert Conv2D("c", (1, 28, 28), 8, 5, padding="valid").output_shape == (8, 24, 24)
    assert Conv2D("c", (1, 28, 28), 8, 3, stride=2).output_shape == (8, 14, 14)
    with pytest.raises(ValueError, match="odd"):
        Conv2D("c", (1, 28, 28), 8, 4)


def test_conv2d_softmax_over_channels():
    layer = Conv2D("c", (2, 4, 4), filters=3, activation="softmax")
    y = layer.forward(np.random.default_rng(0).random((2, 2, 4, 4), dtype=np.float32))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def test_conv2d_needs_dx_false_returns_none():
    layer = Conv2D("c", (1, 5, 5), 2)
    layer.needs_dx = False
    y = layer.forward(np.ones((1, 1, 5, 5), np.float32), training=True)
    assert layer.backward(np.ones_like(y)) is None
    assert np.any(layer.W.grad != 0)


@pytest.mark.parametrize("pool,stride,shape", [(2, None, (2, 6, 6)), (2, None, (2, 7, 5)),
                                               (3, None, (1, 7, 7)), (3, 2, (2, 7, 6)),
                                               (2, 1, (1, 4, 5))])
def test_maxpool_gradients(pool, stride, shape):
    layer = MaxPool2D("pool", shape, pool_size=pool, stride=stride, dtype=F64)
    check_layer(layer, rand(2, *shape))


def test_maxpool_values_and_ties_go_to_first_maximum():
    layer = MaxPool2D("pool", (1, 2, 4))
    x = np.array([[[[1, 3, 5, 5], [2, 0, 5, 5]]]], np.float32)
    y = layer.forward(x, training=True)
    assert y.ravel().tolist() == [3, 5]
    dx = layer.backward(np.array([[[[10, 20]]]], np.float32))
    assert dx.ravel().tolist() == [0, 10, 20, 0, 0, 0, 0, 0]
    general = MaxPool2D("pool", (1, 2, 4), pool_size=2, stride=1)
    general.forward(x, training=True)
    dx = general.backward(np.ones((1, 1, 1, 3), np.float32))
    assert dx.ravel().tolist() == [0, 1, 2, 0, 0, 0, 0, 0]


def test_maxpool_ties_in_every_position_give_the_gradient_once():
    for pool, stride in [(2, None), (2, 1), (3, 3)]:
        layer = MaxPool2D("pool", (1, 6, 6), pool, stride)
        y = layer.forward(np.ones((1, 1, 6, 6), np.float32), training=True)
        dx = layer.backward(np.ones_like(y))
        assert dx.sum() == y.size and set(np.unique(dx)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    layer = MaxPool2D("pool", (1, 2, 2))
    layer.forward(np.array([[[[0, 5], [5, 1]]]], np.float32), training=True)
    assert layer.backward(np.ones((1, 1, 1, 1), np.float32)).sum() == 1


def test_maxpool_shapes():
    assert MaxPool2D("p", (16, 28, 28)).output_shape == (16, 14, 14)
    assert MaxPool2D("p", (16, 7, 7)).output_shape == (16, 3, 3)
    assert MaxPool2D("p", (1, 7, 7), 3, 2).output_shape == (1, 3, 3)


def test_flatten_gradients_and_shape():
    layer = Flatten("flat", (2, 3, 4), dtype=F64)
    assert layer.output_shape == (24,)
    check_layer(layer, rand(2, 2, 3, 4))


def test_dropout_fixed_mask_gradients():
    layer = Dropout("drop", (6,), rate=0.5, dtype=F64)
    layer.fixed_mask = (np.random.default_rng(2).random((3, 6)) > 0.5) * 2.0
    check_layer(layer, rand(3, 6))


def test_dropout_is_seeded_inverted_and_identity_at_inference():
    x = np.ones((1000, 50), np.float32)
    a = Dropout("d", (50,), 0.3, rng=np.random.default_rng(5)).forward(x, training=True)
    b = Dropout("d", (50,), 0.3, rng=np.random.default_rng(5)).forward(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert abs((a == 0).mean() - 0.3) < 0.01
    assert abs(a.mean() - 1.0) < 0.02                        # inverted: expectation kept
    assert Dropout("d", (50,), 0.3).forward(x) is x


@pytest.mark.parametrize("function", ["linear", "sigmoid", "tanh", "relu", "leaky_relu",
                                      "softmax"])
def test_activation_layer_gradients(function):
    check_layer(ActivationLayer("act", (5,), function, dtype=F64), rand(3, 5))


def test_activation_layer_does_not_modify_its_input():
    x = rand(3, 5)
    keep = x.copy()
    ActivationLayer("act", (5,), "relu", dtype=F64).forward(x, training=True)
    np.testing.assert_array_equal(x, keep)


def test_add_gradients():
    check_layer(Add("add", [(4,), (4,), (4,)], dtype=F64), [rand(2, 4, seed=s) for s in (1, 2, 3)])


def test_add_returns_separate_gradient_arrays():
    layer = Add("add", [(3,), (3,)])
    grads = layer.backward(np.ones((2, 3), np.float32))
    assert grads[0] is not grads[1]


def test_concatenate_flat_gradients():
    layer = Concatenate("cat", [(3,), (2,)], dtype=F64)
    assert layer.output_shape == (5,)
    check_layer(layer, [rand(2, 3), rand(2, 2, seed=2)])


def test_concatenate_images_on_channels():
    layer = Concatenate("cat", [(2, 4, 4), (3, 4, 4)], dtype=F64)
    assert layer.output_shape == (5, 4, 4)
    check_layer(layer, [rand(2, 2, 4, 4), rand(2, 3, 4, 4, seed=2)])


def test_input_and_output_are_identity():
    x = rand(2, 3)
    for cls in (Input, Output):
        layer = cls("io", (3,), dtype=F64)
        assert layer.forward(x) is x
        check_layer(layer, x)


def test_backward_without_training_forward_is_a_clear_error():
    layer = Dense("fc", (3,), 2)
    layer.forward(np.ones((1, 3), np.float32))
    with pytest.raises(RuntimeError, match="training=True"):
        layer.backward(np.ones((1, 2), np.float32))


@pytest.fixture
def many_threads(monkeypatch):
    """Split even tiny arrays across 3 threads, to exercise the chunked code paths."""
    from nnstudio.core import parallel

    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
    before = parallel.threads()
    parallel.set_threads(3)
    yield
    parallel.set_threads(before)


@pytest.mark.parametrize("stride,padding,kernel", [(1, "same", 3), (1, "valid", 5),
                                                   (2, "same", 3)])
def test_conv2d_gradients_with_threads(many_threads, stride, padding, kernel):
    layer = Conv2D("conv", (2, 7, 6), filters=3, kernel_size=kernel, stride=stride,
                   padding=padding, activation="relu", rng=np.random.default_rng(0), dtype=F64)
    check_layer(layer, rand(4, 2, 7, 6))


@pytest.mark.parametrize("shape", [(2, 6, 6), (3, 7, 5)])
def test_maxpool_gradients_with_threads(many_threads, shape):
    check_layer(MaxPool2D("pool", shape, dtype=F64), rand(4, *shape))


def test_dense_input_gradient_keeps_the_layout_of_its_input():
    rng = np.random.default_rng(0)
    layer = Dense("fc", (12,), units=5, activation="relu", rng=rng)
    x_rows = rng.standard_normal((7, 12)).astype(np.float32)
    x_cols = np.asfortranarray(x_rows)                 # sample-minor, as a flattened pooled map
    dy = rng.standard_normal((7, 5)).astype(np.float32)
    layer.forward(x_rows, training=True)
    dx_rows = layer.backward(dy.copy())
    layer.forward(x_cols, training=True)
    dx_cols = layer.backward(dy.copy())
    np.testing.assert_allclose(dx_cols, dx_rows, rtol=1e-5, atol=1e-6)
    assert dx_rows.flags.c_contiguous
    assert dx_cols.strides[0] < dx_cols.strides[1]     # its input's layout


def test_threads_for_batch_slices_only_keep_each_operation_on_one_thread():
    import threading

    from nnstudio.core import parallel

    before, split = parallel.threads(), parallel._split_operations
    seen: set[int] = set()
    try:
        parallel.set_threads(2, split_operations=False)
        parallel.for_chunks(lambda lo, hi: seen.add(threading.get_ident()), 10, 1 << 20)
        assert seen == {threading.get_ident()}
        jobs = parallel.run_parallel([threading.get_ident, threading.get_ident])
        assert len(set(jobs)) == 2                      # the slices still run side by side
        parallel.set_threads(2)
        seen.clear()
        parallel.for_chunks(lambda lo, hi: seen.add(threading.get_ident()), 10, 1 << 20)
        assert len(seen) == 2
    finally:
        parallel.set_threads(before, split)
