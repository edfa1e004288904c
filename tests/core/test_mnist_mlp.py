"""An MLP trained on real MNIST digits generalises (>= 95% on held-out digits)."""

from __future__ import annotations

import time

import pytest

from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.core.training import TrainConfig, TrainControl, Trainer
from nnstudio.data.sources import load_source


@pytest.mark.slow
def test_mlp_reaches_95_percent_on_real_mnist(mnist_dir):
    ds = load_source(f"idx:{mnist_dir}")
    assert ds.x.shape == (5000, 28, 28)
    x_train, y_train = ds.x[:4000], ds.y[:4000]
    x_test, y_test = ds.x[-1000:], ds.y[-1000:]
    net = Network(get_template("mlp"), seed=0)
    control = TrainControl()

    def anneal(info) -> None:  # halve the learning rate each epoch from the 6th on
        if info.epoch >= 6:
            control.set_lr(info.lr * 0.5)

    # random shifts of up to 2 pixels stand in for the 56,000 digits we do not use
    config = TrainConfig(epochs=12, batch_size=64, lr=2e-3, optimizer="adam", val_split=0.0,
                         seed=0, augment_shift=2)
    start = time.perf_counter()
    Trainer(net, x_train, y_train, config, control).run(on_epoch=anneal)
    elapsed = time.perf_counter() - start
    result = net.evaluate(x_test, y_test)
    print(f"MNIST MLP: test accuracy {result['accuracy']:.4f} in {elapsed:.1f} s")
    assert result["n"] == 1000
    assert result["accuracy"] >= 0.95
