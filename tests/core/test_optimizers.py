"""Optimizers: they minimise, update in place, decay weights only, take live lr changes."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.layers import Param
from nnstudio.core.optimizers import make_optimizer

NAMES = ["sgd", "momentum", "adam"]
LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.02}


def quadratic_params():
    """f = 1/2 Σ a (w - c)² with its minimum at c."""
    w = Param("q/W", np.array([[3.0, -2.0], [1.0, 4.0]], np.float32), np.zeros((2, 2), np.float32))
    b = Param("q/b", np.array([5.0, -5.0], np.float32), np.zeros(2, np.float32))
    return [w, b]


def fill_grads(params, a=(1.0, 2.0), c=(0.5, -1.0)):
    for p, ai, ci in zip(params, a, c, strict=True):
        np.multiply(ai, p.value - ci, out=p.grad)


@pytest.mark.parametrize("name", NAMES)
def test_quadratic_is_minimised_in_place(name):
    params = quadratic_params()
    ids = [id(p.value) for p in params]
    opt = make_optimizer(name, params, lr=LR[name])
    for _ in range(1000):
        fill_grads(params)
        opt.step()
    assert [id(p.value) for p in params] == ids
    np.testing.assert_allclose(params[0].value, 0.5, atol=1e-2)
    np.testing.assert_allclose(params[1].value, -1.0, atol=1e-2)
    assert all(p.value.dtype == np.float32 for p in params)


@pytest.mark.parametrize("name", NAMES)
def test_weight_decay_shrinks_weights_not_biases(name):
    params = quadratic_params()
    before = [p.value.copy() for p in params]
    opt = make_optimizer(name, params, lr=0.01, weight_decay=0.5)
    for p in params:
        p.grad[...] = 0
    opt.step()
    assert np.all(np.abs(params[0].value) < np.abs(before[0]))
    np.testing.assert_array_equal(params[1].value, before[1])
    assert np.all(params[0].grad == 0)                   # the gradient itself is untouched


@pytest.mark.parametrize("name", NAMES)
def test_lr_is_settable_live(name):
    params = quadratic_params()
    opt = make_optimizer(name, params, lr=0.1)
    opt.lr = 0.0
    before = params[0].value.copy()
    fill_grads(params)
    opt.step()
    np.testing.assert_array_equal(params[0].value, before)


def test_sgd_step_is_exact():
    p = Param("W", np.array([1.0, 2.0], np.float32), np.array([0.5, -1.0], np.float32))
    make_optimizer("sgd", [p], lr=0.1).step()
    np.testing.assert_allclose(p.value, [0.95, 2.1])


def test_adam_first_step_moves_each_weight_by_lr():
    p = Param("W", np.zeros(3, np.float32), np.array([0.1, -5.0, 2.0], np.float32))
    make_optimizer("adam", [p], lr=0.01).step()
    np.testing.assert_allclose(p.value, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_matches_reference_formula():
    rng = np.random.default_rng(0)
    p = Param("W", rng.standard_normal(4), np.zeros(4))
    w, m, v = p.value.copy(), np.zeros(4), np.zeros(4)
    opt = make_optimizer("adam", [p], lr=0.01)
    for t in range(1, 6):
        g = rng.standard_normal(4)
        p.grad[...] = g
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(p.value, w, rtol=1e-10)


def test_state_dict_round_trip():
    params = quadratic_params()
    opt = make_optimizer("adam", params, lr=0.01)
    fill_grads(params)
    opt.step()
    state = opt.state_dict()
    other = make_optimizer("adam", quadratic_params(), lr=0.5)
    other.load_state_dict(state)
    assert other.lr == 0.01 and other.t == 1
    np.testing.assert_array_equal(other.m1[0], opt.m1[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("rmsprop", [], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", [], lr=-1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("decay", [0.0, 0.1])
def test_flat_network_buffers_give_the_same_steps(name, decay):
    """Parameters laid out in one buffer (as a Network does) update exactly like separate
    arrays, weight decay included."""
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template

    net = Network(get_template("playground"), seed=0)
    flat = net.parameters()
    separate = [Param(p.name, p.value.copy(), p.grad.copy()) for p in flat]
    opt_flat = make_optimizer(name, flat, lr=0.01, weight_decay=decay)
    opt_sep = make_optimizer(name, separate, lr=0.01, weight_decay=decay)
    assert len(opt_flat._groups) == 1 and len(opt_sep._groups) == len(separate)
    rng = np.random.default_rng(0)
    for _ in range(3):
        for a, b in zip(flat, separate, strict=True):
            a.grad[...] = b.grad[...] = rng.standard_normal(a.grad.shape)
        opt_flat.step()
        opt_sep.step()
    for a, b in zip(flat, separate, strict=True):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-6, atol=1e-7)
