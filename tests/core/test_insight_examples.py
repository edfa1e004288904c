"""The worked examples' numbers: car prices in dollars, the optimizer's real next step,
the rolling ball, and backpropagation checked by finite differences. No window."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core import insight
from nnstudio.core.insight import backprop, regression, roll, steps
from nnstudio.core.network import Network
from nnstudio.core.optimizers import make_optimizer
from nnstudio.core.templates import chain, get_template
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.data.lessons import car_prices
from nnstudio.data.sources import load_source


def _linear(ones: bool = True) -> Network:
    net = Network(get_template("linear"))
    if ones:
        net.set_weights({"fc1/W": np.ones((3, 1), np.float32),
                         "fc1/b": np.zeros(1, np.float32)})
    return net


def _predict64(net: Network):
    return regression.float64_predictor(net)


def test_car_prices_in_dollars_with_all_weights_one() -> None:
    ds = load_source("cars:raw")
    table = regression.estimate_table(ds, _predict64(_linear()))
    assert [r.name for r in table.rows] == ["A", "B", "C"]
    assert [f"{r.estimate:,.1f}" for r in table.rows] == ["77,504.8", "49,504.3", "34,003.9"]
    assert [f"{r.difference:,.1f}" for r in table.rows] == ["22,495.2", "15,495.7", "5,996.1"]
    assert f"{table.cost:,.1f}" == "260,701,318.9"
    assert table.cost_unit == "$²" and table.target == "price" and table.m == 3
    assert table.rows[0].features == (75_000.0, 2_500.0, 4.8)
    assert table.rows[1].squared == pytest.approx(15_495.7 ** 2)


def test_standardised_table_and_a_trained_model_read_back_in_dollars() -> None:
    ds = car_prices(3)                       # standardised, as training uses it
    net = _linear(ones=False)
    Trainer(net, ds.x, ds.y, TrainConfig(epochs=300, batch_size=3, lr=0.05,
                                         optimizer="sgd", val_split=0)).run()
    table = regression.estimate_table(ds, _predict64(net))
    for row, price in zip(table.rows, (100_000, 65_000, 40_000), strict=True):
        assert row.true == pytest.approx(price)
        assert abs(row.difference) < 3_000          # dollars (one std is ~24,600)
    std = regression.estimate_table(ds, _predict64(net), standardized=True)
    assert std.cost_unit == "" and std.standardized
    assert std.rows[0].features == pytest.approx(tuple(ds.x[0]), abs=1e-6)
    assert std.rows[0].true == pytest.approx(float(ds.y[0, 0]), abs=1e-6)
    errors = regression.regression_errors(ds, _predict64(net))
    assert errors.unit == "$" and errors.rmse == pytest.approx(np.sqrt(table.cost), rel=1e-3)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_next_step_is_what_the_optimizer_does(name: str) -> None:
    ds = car_prices(20)
    net = _linear(ones=False)
    trainer = Trainer(net, ds.x, ds.y, TrainConfig(epochs=3, batch_size=4, lr=0.01,
                                                   optimizer=name, val_split=0))
    trainer.run()
    state = steps.OptimizerState.of(trainer.optimizer)
    assert state.t == trainer.optimizer.t > 0
    net.train_step(ds.x[:4], ds.y[:4])
    before = {p.name: p.value.copy() for p in net.parameters()}
    grads = {p.name: p.grad.copy() for p in net.parameters()}
    predicted = {n: steps.next_step(name, 0.01, grads[n], value=before[n],
                                    state=state.params[n], t=state.t, name=n)
                 for n in grads}
    trainer.optimizer.step()
    for p in net.parameters():
        np.testing.assert_allclose(p.value - before[p.name], predicted[p.name], rtol=2e-4,
                                   atol=1e-7)


def test_adam_is_not_minus_lr_times_slope() -> None:
    # a fresh Adam moves a weight by about lr, whatever the slope: the issue's -0.001
    step = steps.next_step("adam", 1e-3, np.array([3.994]))
    assert step[0] == pytest.approx(-1e-3, rel=1e-6)
    assert steps.next_step("sgd", 1e-3, np.array([3.994]))[0] == pytest.approx(-0.003994)
    assert "not plain gradient descent" in steps.describe_rule("adam")


def test_param_state_round_trip() -> None:
    net = _linear(ones=False)
    opt = make_optimizer("adam", net.parameters(), lr=0.1)
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.step()
    state = opt.param_state()
    assert set(state) == {"fc1/W", "fc1/b"} and state["fc1/W"]["m1"].shape == (3, 1)
    other = make_optimizer("adam", _linear().parameters(), lr=0.1)
    other.load_param_state(state, opt.t)
    assert other.t == 1
    np.testing.assert_array_equal(other.param_state()["fc1/W"]["v2"], state["fc1/W"]["v2"])


def test_the_ball_crawls_overshoots_diverges_and_finds_a_local_minimum() -> None:
    low = roll.minima()
    assert len(low) == 2 and roll.cost(low[0]) < roll.cost(low[1])
    kinds = {name: roll.judge(roll.roll(w0, lr), lr).kind
             for name, (w0, lr, _) in roll.PRESETS.items()}
    assert kinds == {"too small": "crawling", "just right": "global", "too big": "bouncing",
                     "wrong side": "local"}
    path = roll.roll(-0.3, 1.0)
    assert roll.judge(path, 1.0).kind == "diverged" and len(path) < 61
    local = roll.judge(roll.roll(3.2, 0.05), 0.05)
    assert "w = 2.10" in local.text and "w = -2.35" in local.text
    np.testing.assert_allclose(roll.slope(np.array(low)), 0, atol=1e-9)


def test_backprop_report_agrees_with_finite_differences() -> None:
    rng = np.random.default_rng(0)
    net = Network(chain("small", [4], [("h", "Dense", {"units": 5, "activation": "tanh"}),
                                       ("out", "Dense", {"units": 3, "activation": "softmax"})],
                        "cross_entropy"))
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    keep = {k: v.copy() for k, v in net.get_weights().items()}
    report = backprop.backprop_report(net, x, y, optimizer="sgd", lr=0.1, samples=(0, 16))
    for k, v in net.get_weights().items():
        np.testing.assert_array_equal(v, keep[k])           # the network is left alone
    assert report.checks and len(report.checks) <= 12
    for check in report.checks:
        assert check.rel_error < 1e-2, check
    for p in report.params:
        np.testing.assert_allclose(p.update, -0.1 * p.grad, rtol=1e-6, atol=1e-9)
    assert {p.symbol for p in report.params} == {"dW", "db"}
    assert insight.backprop_report is backprop.backprop_report


def test_backprop_checks_at_a_relu_kink_are_marked_not_counted_as_errors() -> None:
    """Zero biases and zero inputs put every ReLU exactly at its kink: there the two
    one-sided slopes differ, and the central difference is their mean."""
    net = Network(chain("kinked", [3], [("h", "Dense", {"units": 4, "activation": "relu"}),
                                        ("out", "Dense", {"units": 2, "activation": "softmax"})],
                        "cross_entropy"))
    w = net.get_weights()
    w["h/b"][:] = 0.0
    net.set_weights(w)
    x = np.zeros((8, 3), np.float32)  # every hidden unit's sum is its bias: 0
    y = np.zeros(8, np.int64)         # one class: the cost has a clear slope
    report = backprop.backprop_report(net, x, y, optimizer="sgd", lr=0.1, max_checks=12)
    kinked = [c for c in report.checks if c.name == "h/b"]
    assert kinked and all(c.at_kink for c in kinked)
    assert all(c.sides[0] != pytest.approx(c.sides[1], rel=1e-2) for c in kinked)
    smooth = [c for c in report.checks if c.name.startswith("out/")]
    assert smooth and not any(c.at_kink for c in smooth)
    assert all(c.rel_error < 1e-3 for c in smooth)


def test_backprop_report_of_a_batch_split_across_threads() -> None:
    from nnstudio.core import parallel

    net = Network(get_template("mlp"))
    rng = np.random.default_rng(1)
    x = rng.random((256, 784), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    keep = parallel.threads()
    parallel.set_threads(2)
    try:
        assert net.batch_slices(len(x)) == 2      # the batch is cut into two slices
        report = backprop.backprop_report(net, x, y, optimizer="adam", lr=1e-3, max_checks=6)
    finally:
        parallel.set_threads(keep)
    assert all(c.rel_error < 1e-3 for c in report.checks), report.checks
