"""The perceptron rule as a training loop: passes, mistakes, its end, the control."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nnstudio.core.network import Network
from nnstudio.core.perceptron import Perceptron, is_perceptron
from nnstudio.core.perceptron_training import PerceptronTrainer, outcome_text
from nnstudio.core.templates import get_template
from nnstudio.core.training import TrainConfig, TrainControl
from nnstudio.data.lessons import perceptron_set


def _net(seed: int = 0) -> Network:
    return Network(get_template("perceptron"), seed=seed)


def test_only_one_step_neuron_is_a_perceptron():
    assert is_perceptron(_net())
    assert not is_perceptron(Network(get_template("playground")))
    assert not is_perceptron(Network(get_template("linear")))


@pytest.mark.parametrize("kind", ["and", "or", "separable"])
def test_separable_sets_reach_zero_mistakes_and_stop(kind):
    ds = perceptron_set(kind)
    net = _net()
    trainer = PerceptronTrainer(net, ds.x, ds.y, TrainConfig(epochs=500, lr=0.1, val_split=0))
    hist = trainer.run()
    mistakes = [e.train_loss for e in hist.epochs]
    assert mistakes[-1] == 0 and all(m > 0 for m in mistakes[:-1])
    assert len(mistakes) < 500 and trainer.outcome["kind"] == "separated"
    out = net.predict(ds.x).reshape(-1)
    np.testing.assert_array_equal(out, ds.y)  # the network holds the learned neuron
    # one batch per sample: every pass records len(x) samples
    assert len(hist) == len(mistakes) * ds.n
    assert net.evaluate(ds.x, ds.y)["accuracy"] == 1.0


def test_xor_never_separates_and_the_cycle_is_found():
    ds = perceptron_set("xor")
    trainer = PerceptronTrainer(_net(), ds.x, ds.y, TrainConfig(epochs=1000, lr=0.1,
                                                                val_split=0))
    hist = trainer.run()
    assert trainer.outcome["kind"] == "cycle" and len(hist.epochs) < 1000
    assert all(e.train_loss > 0 for e in hist.epochs)
    assert "no straight line" in outcome_text(trainer.outcome)
    assert trainer.outcome["period"] >= 1


def test_each_sample_applies_the_rule_from_the_networks_weights():
    net = _net()
    w = net.get_weights()
    w["neuron/W"][:] = np.array([[0.5], [0.7]], np.float32)
    w["neuron/b"][:] = -0.5                         # threshold 0.5
    net.set_weights(w)
    x = np.array([[0.5, 0.6]], np.float32)           # 0.67 > 0.5: fires, target 0
    trainer = PerceptronTrainer(net, x, np.array([0]), TrainConfig(epochs=1, lr=0.1,
                                                                   val_split=0))
    infos = []
    trainer.run(on_batch=infos.append)
    assert [i.loss for i in infos] == [1.0] and infos[0].batch_size == 1
    neuron = Perceptron.from_network(net)
    np.testing.assert_allclose(neuron.weights, [0.45, 0.64], atol=1e-6)
    assert neuron.threshold == pytest.approx(0.6, abs=1e-6)


def test_step_one_sample_pause_and_stop_from_another_thread():
    ds = perceptron_set("xor")
    control = TrainControl()
    control.step_batch(1)
    trainer = PerceptronTrainer(_net(), ds.x, ds.y, TrainConfig(epochs=10_000, lr=0.1,
                                                                val_split=0), control=control)
    seen: list[int] = []
    worker = threading.Thread(target=trainer.run, kwargs={"on_batch": lambda i: seen.append(
        i.batch)})
    worker.start()
    for _ in range(200):
        if seen and control.state == "paused":
            break
        threading.Event().wait(0.01)
    assert seen == [1] and control.state == "paused"
    control.step_batch(2)
    for _ in range(200):
        if len(seen) == 3 and control.state == "paused":
            break
        threading.Event().wait(0.01)
    assert seen == [1, 2, 3]
    control.stop()
    worker.join(5)
    assert not worker.is_alive() and trainer.stopped and trainer.outcome["kind"] == "stopped"


def test_held_out_samples_and_bad_targets():
    ds = perceptron_set("separable")
    trainer = PerceptronTrainer(_net(), ds.x, ds.y, TrainConfig(epochs=50, lr=0.1,
                                                                val_split=0.2))
    assert len(trainer.train_idx) == 80 and len(trainer.x_val) == 20
    hist = trainer.run()
    assert hist.epochs[-1].val_loss is not None and hist.epochs[-1].val_accuracy is not None
    with pytest.raises(ValueError, match="0 or 1"):
        PerceptronTrainer(_net(), ds.x, ds.y + 1)


def test_step_head_loss_is_the_share_of_mistakes():
    net = _net()
    w = net.get_weights()
    w["neuron/W"][:] = np.array([[1.0], [1.0]], np.float32)
    w["neuron/b"][:] = -1.5                          # AND
    net.set_weights(w)
    ds = perceptron_set("xor")                       # right only on (0, 0)
    res = net.evaluate(ds.x, ds.y)
    assert res["loss"] == pytest.approx(0.75) and res["accuracy"] == pytest.approx(0.25)
