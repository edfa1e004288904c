"""The perceptron learning rule for one step neuron."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.perceptron import Perceptron, train_network

AND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)


def test_classic_example_fires():
    neuron = Perceptron(weights=[0.5, 0.7], threshold=0.5)
    assert neuron.weighted_sum([0.5, 0.6]) == pytest.approx(0.67, abs=1e-6)
    assert neuron.predict([0.5, 0.6]) == 1
    assert Perceptron([0.5, 0.7], threshold=0.7).predict([0.5, 0.6]) == 0


def test_rule_moves_weights_by_error_times_input():
    neuron = Perceptron([0.5, 0.7], threshold=0.5, lr=0.1)
    assert neuron.update([0.5, 0.6], target=0) == -1  # fired but should not
    np.testing.assert_allclose(neuron.weights, [0.45, 0.64], atol=1e-6)
    assert neuron.threshold == pytest.approx(0.6)
    assert neuron.update([0.5, 0.6], target=0) == -1  # 0.609 >= 0.6: still fires
    assert neuron.update([0.5, 0.6], target=0) == 0   # 0.548 < 0.7: now silent
    np.testing.assert_allclose(neuron.weights, [0.40, 0.58], atol=1e-6)
    assert neuron.threshold == pytest.approx(0.7)


def test_learns_and_but_not_xor():
    neuron = Perceptron([0.0, 0.0], threshold=0.0, lr=0.1)
    mistakes = neuron.train(AND_X, [0, 0, 0, 1], epochs=50)
    assert mistakes[-1] == 0 and len(mistakes) < 50
    np.testing.assert_array_equal(neuron.predict(AND_X), [0, 0, 0, 1])
    xor = Perceptron([0.0, 0.0], threshold=0.0, lr=0.1)
    assert xor.train(AND_X, [0, 1, 1, 0], epochs=30, seed=1)[-1] > 0


def test_trains_the_perceptron_template_network():
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template

    net = Network(get_template("perceptron"), seed=0)
    mistakes = train_network(net, AND_X, [0, 0, 0, 1], lr=0.1, epochs=100)
    assert mistakes[-1] == 0
    out = net.predict(AND_X).reshape(-1)
    np.testing.assert_array_equal(out, [0, 0, 0, 1])
    neuron = Perceptron.from_network(net)
    neuron2 = Perceptron([0.5, 0.7], threshold=0.5)
    neuron2.to_network(net)
    assert Perceptron.from_network(net).threshold == pytest.approx(0.5)
    assert net.predict(np.array([[0.5, 0.6]], np.float32)).reshape(-1)[0] == 1
    assert neuron.weights.shape == (2,)
