"""One rule of whether data fits a network, for the command line, the window and lessons."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.datafit import DataFitError, data_mismatch, fitted_data
from nnstudio.core.design import Design
from nnstudio.core.network import Network
from nnstudio.data.dataset import Dataset


def net(units: int, loss: str, activation: str = "softmax", inputs: int = 2) -> Network:
    d = Design("n")
    d.add_node("Input", {"shape": [inputs]}, node_id="in")
    d.add_node("Dense", {"units": units, "activation": activation}, node_id="fc")
    d.add_node("Output", {"loss": loss}, node_id="out")
    d.connect("in", "fc")
    d.connect("fc", "out")
    return Network(d)


def classes(n: int = 3) -> Dataset:
    y = np.arange(12) % n
    return Dataset("labels", np.zeros((12, 2), np.float32), y.astype(np.int64),
                   "classification", [str(i) for i in range(n)])


def numbers(k: int = 1) -> Dataset:
    return Dataset("prices", np.zeros((12, 2), np.float32), np.zeros((12, k), np.float32),
                   "regression", [])


@pytest.mark.parametrize("network, data, words", [
    (lambda: net(3, "cross_entropy", inputs=4), classes, "Input takes"),
    (lambda: net(2, "cross_entropy"), classes, "only 2 output units"),
    (lambda: net(1, "binary_cross_entropy", "sigmoid"), classes, "binary cross entropy"),
    (lambda: net(3, "cross_entropy"), numbers, "regression task"),
    (lambda: net(1, "mse", "linear"), lambda: numbers(2), "2 target values"),
])
def test_what_does_not_fit_says_what_to_do(network, data, words):
    with pytest.raises(DataFitError, match=words) as err:
        fitted_data(network(), data())
    assert err.value.fix                       # and what to do about it
    assert words in data_mismatch(network(), data())


def test_a_classifier_takes_the_labels_as_they_are():
    ds = classes()
    x, y = fitted_data(net(3, "cross_entropy"), ds)
    assert x is ds.x and y is ds.y


def test_an_mse_network_fits_class_labels_as_numbers():
    ds = classes()
    _, y = fitted_data(net(3, "mse", "linear"), ds)
    np.testing.assert_array_equal(y, np.eye(3, dtype=np.float32)[ds.y])
    _, y = fitted_data(net(1, "mse", "sigmoid"), classes(2))
    assert y.shape == (12, 1) and y.dtype == np.float32
