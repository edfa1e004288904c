"""Losses: values, normalisation, stability and finite-difference gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from nnstudio.core import losses
from nnstudio.core.activations import get_activation

rng = np.random.default_rng(0)


def test_mse_value_is_sum_over_outputs_mean_over_samples():
    pred = np.array([[1.0, 2.0], [3.0, 5.0]])
    y = np.array([[0.0, 2.0], [3.0, 3.0]])
    J, g = losses.mse(pred, y)
    assert J == pytest.approx((1 + 0 + 0 + 4) / 2)
    np.testing.assert_allclose(g, 2 / 2 * (pred - y))


def test_mse_gradient_and_flat_targets():
    pred, y = rng.standard_normal((4, 1)), rng.standard_normal(4)
    J, g = losses.mse(pred, y)
    assert_close(g, numeric_grad(lambda: losses.mse(pred, y)[0], pred), "mse")


def test_cross_entropy_fused_gradient_wrt_logits():
    z, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    softmax = get_activation("softmax")
    J, g = losses.cross_entropy(softmax(z.copy()), y)
    f = lambda: losses.cross_entropy(softmax(z.copy()), y)[0]  # noqa: E731
    assert_close(g, numeric_grad(f, z), "cross_entropy")
    assert J == pytest.approx(losses.cross_entropy_logits(z, y)[0])


def test_cross_entropy_logits_gradient_and_one_hot_targets():
    z, y = rng.standard_normal((5, 3)), np.array([2, 0, 1, 1, 0])
    J, g = losses.cross_entropy_logits(z, y)
    assert_close(g, numeric_grad(lambda: losses.cross_entropy_logits(z, y)[0], z), "ce logits")
    J2, g2 = losses.cross_entropy_logits(z, np.eye(3)[y])
    assert J2 == pytest.approx(J)
    np.testing.assert_allclose(g2, g)


def test_cross_entropy_value():
    p = np.array([[0.25, 0.75], [0.5, 0.5]])
    J, _ = losses.cross_entropy(p, np.array([1, 0]))
    assert J == pytest.approx(-(np.log(0.75) + np.log(0.5)) / 2)


def test_cross_entropy_stable_for_extreme_logits():
    z = np.array([[1000.0, -1000.0, 0.0]], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, g = losses.cross_entropy_logits(z, np.array([1]))
        J2, g2 = losses.cross_entropy(get_activation("softmax")(z), np.array([1]))
    assert J == pytest.approx(2000.0)
    assert np.isfinite(J2) and J2 > 80          # clipped at log(tiny), still finite
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(g2))


def test_binary_cross_entropy_fused_gradient_wrt_logits():
    z, y = rng.standard_normal((6, 1)), rng.integers(0, 2, 6).astype(float)
    sigmoid = get_activation("sigmoid")
    J, g = losses.binary_cross_entropy(sigmoid(z.copy()), y)
    f = lambda: losses.binary_cross_entropy(sigmoid(z.copy()), y)[0]  # noqa: E731
    assert_close(g, numeric_grad(f, z), "bce")
    assert J == pytest.approx(losses.bce_logits(z, y)[0])


def test_bce_logits_gradient_and_stability():
    z, y = rng.standard_normal((4, 2)), rng.random((4, 2))
    J, g = losses.bce_logits(z, y)
    assert_close(g, numeric_grad(lambda: losses.bce_logits(z, y)[0], z), "bce logits")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, g = losses.bce_logits(np.array([[500.0], [-500.0]]), np.array([0.0, 1.0]))
    assert J == pytest.approx(500.0)


def test_targets_that_do_not_fit_are_a_clear_error():
    with pytest.raises(ValueError, match="do not match"):
        losses.mse(np.zeros((4, 2)), np.zeros(3))


def test_accuracy_helpers():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert losses.accuracy("cross_entropy", scores, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    p = np.array([[0.9], [0.4], [0.6]])
    assert losses.accuracy("binary_cross_entropy", p, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert losses.accuracy("mse", p, np.array([1, 0, 0])) is None
    assert set(losses.LOSSES) == {"mse", "cross_entropy", "binary_cross_entropy"}
