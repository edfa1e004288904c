"""Activations: values, stability and finite-difference gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from nnstudio.core.activations import ACTIVATIONS, NoGradientError, get_activation

DIFFERENTIABLE = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 2, 2)])
def test_activation_gradients(name, shape):
    act = get_activation(name)
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape)
    z[np.abs(z) < 1e-3] = 0.5                      # keep clear of the ReLU kink
    R = rng.standard_normal(shape)
    a = act.forward(z.copy())
    dz = act.backward(a, R.copy())
    assert_close(dz, numeric_grad(lambda: float(np.sum(act.forward(z.copy()) * R)), z), name)


def test_step_forward_and_no_gradient():
    step = get_activation("step")
    assert step.forward(np.array([-1.0, 0.0, 0.3])).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(NoGradientError) as err:
        step.backward(np.ones(3), np.ones(3))
    assert "perceptron" in str(err.value) and "sigmoid" in str(err.value)
    assert not step.differentiable


def test_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(get_activation("relu")(z), [[0, 0, 3]])
    np.testing.assert_allclose(get_activation("leaky_relu")(z), [[-0.02, 0, 3]])
    np.testing.assert_allclose(get_activation("sigmoid")(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(get_activation("tanh")(z), np.tanh(z))
    sm = get_activation("softmax")(z)
    np.testing.assert_allclose(sm, np.exp(z) / np.exp(z).sum())


def test_stable_for_extreme_inputs():
    z = np.array([[-1000.0, 0.0, 1000.0]], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = get_activation("sigmoid")(z)
        p = get_activation("softmax")(z)
    np.testing.assert_allclose(s, [[0, 0.5, 1]])
    np.testing.assert_allclose(p, [[0, 0, 1]])
    assert s.dtype == np.float32 and p.dtype == np.float32


def test_in_place_forward():
    for name in DIFFERENTIABLE:
        z = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
        expected = get_activation(name)(z.copy())
        out = get_activation(name).forward(z, out=z)
        np.testing.assert_allclose(out, expected, rtol=1e-6)
        np.testing.assert_allclose(z, expected, rtol=1e-6)


def test_registry_and_unknown_name():
    assert set(ACTIVATIONS) == {"step", *DIFFERENTIABLE}
    assert get_activation("relu").relu_family and not get_activation("tanh").relu_family
    with pytest.raises(ValueError, match="relu"):
        get_activation("swish")
