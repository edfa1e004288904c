"""The numbers behind the "see inside" views, checked without any window."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from nnstudio.core import insight as ins


@dataclass
class _P:
    name: str
    value: np.ndarray


class _Linear:
    """y = x @ W + b with mean squared error: a stand-in with the Network methods used."""

    def __init__(self, w: np.ndarray, b: float) -> None:
        self.W = _P("lin/W", np.asarray(w, np.float32).reshape(-1, 1).copy())
        self.b = _P("lin/b", np.array([b], np.float32))

    def parameters(self):
        return [self.W, self.b]

    def evaluate(self, x, y, batch_size=1024):
        pred = x @ self.W.value + self.b.value
        return {"loss": float(np.mean((pred - y) ** 2)), "accuracy": None, "n": len(x)}


def _cars():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    y = (x @ np.array([[2.0], [-1.0]]) + 0.5).astype(np.float32)
    return x, y


def test_plane_grid_is_row_major_over_y_then_x() -> None:
    g = ins.plane_grid((0, 4, 10, 12), n=4)
    assert g.shape == (16, 2) and g.dtype == np.float32
    cells = g.reshape(4, 4, 2)
    assert np.allclose(cells[0, :, 0], [0.5, 1.5, 2.5, 3.5])
    assert np.allclose(cells[:, 0, 1], [10.25, 10.75, 11.25, 11.75])


def test_plane_bounds_pads_and_copes_with_empty() -> None:
    b = ins.plane_bounds(np.array([[0, 0], [1, 2]]), margin=0.5)
    assert b == (-1.0, 2.0, -1.0, 3.0)
    assert ins.plane_bounds(np.zeros((0, 2))) == (-1.0, 1.0, -1.0, 1.0)


def test_cost_surface_is_a_bowl_with_its_bottom_at_the_true_weights() -> None:
    x, y = _cars()
    net = _Linear([0.0, 0.0], 0.5)
    w1 = np.linspace(0, 4, 21)
    w2 = np.linspace(-3, 1, 21)
    surface = np.full((21, 21), np.nan)
    for row, col, cost in ins.iter_cost_surface(net, x, y, [("lin/W", 0), ("lin/W", 1)], w1, w2):
        surface[row, col] = cost
    assert np.isfinite(surface).all()
    i, j = np.unravel_index(surface.argmin(), surface.shape)
    assert (w1[j], w2[i]) == pytest.approx((2.0, -1.0))
    assert surface.min() == pytest.approx(0.0, abs=1e-6)
    assert np.all(net.W.value == 0)  # restored


def test_cost_surface_restores_weights_when_stopped_early() -> None:
    x, y = _cars()
    net = _Linear([0.3, 0.7], 0.1)
    it = ins.iter_cost_surface(net, x, y, [("lin/W", 0), ("lin/b", 0)], np.zeros(3), np.ones(3))
    next(it)
    it.close()
    assert net.W.value.ravel().tolist() == pytest.approx([0.3, 0.7])
    assert net.b.value[0] == pytest.approx(0.1)


def test_slope_matches_the_analytic_gradient() -> None:
    x, y = _cars()
    net = _Linear([1.0, 0.0], 0.0)
    cost, slope = ins.cost_slope(net, x, y, ("lin/b", 0))
    pred = x @ net.W.value + net.b.value
    assert slope == pytest.approx(float(np.mean(2 * (pred - y))), rel=1e-3)
    assert cost == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-5)
    curve = ins.cost_curve(net, x, y, ("lin/b", 0), np.array([-1.0, 0.0, 1.0]))
    assert curve[1] == pytest.approx(cost, rel=1e-5)


def test_scalar_params_labels_and_limits() -> None:
    picks = ins.scalar_params({"d/W": np.zeros((3, 2)), "d/b": np.zeros(2)}, per_param=4)
    assert [p for p, _ in picks] == [("d/W", 0), ("d/W", 1), ("d/W", 2), ("d/W", 3),
                                     ("d/b", 0), ("d/b", 1)]
    assert picks[1][1] == "d weight [0, 1]"
    assert picks[-1][1] == "d bias [1]"


def test_span_around_holds_path_and_center() -> None:
    lo, hi = ins.span_around(0.5, np.array([3.0, 2.0, 0.5]))
    assert lo < 0.5 and hi > 3.0
    lo, hi = ins.span_around(0.0)
    assert (lo, hi) == (-1.0, 1.0)


def test_confusion_matrix_and_per_class_accuracy() -> None:
    cm = ins.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    acc = ins.per_class_accuracy(cm)
    assert acc[:3] == pytest.approx([0.5, 1.0, 2 / 3]) and np.isnan(acc[3])


def test_predicted_classes_for_softmax_and_single_sigmoid() -> None:
    assert ins.predicted_classes(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist() == [1, 0]
    assert ins.predicted_classes(np.array([[0.2], [0.7]])).tolist() == [0, 1]


def test_histogram_history_grows_range_and_keeps_columns_bounded() -> None:
    h = ins.HistogramHistory(bins=10, max_columns=6)
    h.add(np.array([-1.0, 1.0]), 0)
    assert h.half_range == pytest.approx(1.5)
    h.add(np.array([5.0, 0.0]), 1)
    assert h.half_range == pytest.approx(7.5)
    assert h.image().sum(axis=1) == pytest.approx([1, 1])
    for step in range(2, 20):
        h.add(np.zeros(4), step)
    assert len(h) <= 6
    assert h.steps[0] == 0 and np.all(np.diff(h.steps) > 0)


def test_layer_update_ratios_prefers_the_weight_matrix() -> None:
    r = ins.layer_update_ratios({"d1/b": 0.5, "d1/W": 0.001, "d2/b": 0.2})
    assert r == {"d1": 0.001, "d2": 0.2}


def test_neuron_health_finds_dead_relu_and_saturated_sigmoid() -> None:
    a = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.3]], np.float32)
    dead, sat = ins.neuron_health(a, "relu")
    assert dead.tolist() == [True, False, False] and not sat.any()
    s = np.array([[0.999, 0.5], [0.001, 0.6]], np.float32)
    dead, sat = ins.neuron_health(s, "sigmoid")
    assert sat.tolist() == [True, False] and not dead.any()
    conv = np.zeros((2, 3, 4, 4), np.float32)
    conv[:, 1] = 1.0
    dead, _ = ins.neuron_health(conv, "relu")
    assert dead.tolist() == [True, False, True]


def test_find_unhealthy_neurons_and_badges_skip_the_answer_layer() -> None:
    nodes = {
        "in": SimpleNamespace(kind="Input", params={}),
        "h": SimpleNamespace(kind="Dense", params={"activation": "relu"}),
        "out": SimpleNamespace(kind="Dense", params={"activation": "sigmoid"}),
        "o": SimpleNamespace(kind="Output", params={}),
    }
    outs = {"in": [], "h": ["out"], "out": ["o"], "o": []}
    design = SimpleNamespace(nodes=nodes, outputs_of=lambda n: outs[n])
    acts = {"h": np.array([[0.0, 1.0], [0.0, 0.5]]), "out": np.full((2, 1), 0.9999)}
    net = SimpleNamespace(design=design, activations=lambda x: acts)
    report = ins.find_unhealthy_neurons(net, np.zeros((2, 2)))
    assert list(report) == ["h"]
    assert report["h"].summary() == "1 of 2 dead"
    assert ins.neuron_badges(report) == {"h": "1 dead"}


def test_cost_pieces_add_up_to_the_cost_of_each_point() -> None:
    x, y = _cars()
    net = _Linear([0.3, 0.7], 0.1)
    picks = [("lin/W", 0), ("lin/b", 0)]
    points = ins.grid_points(np.linspace(0, 2, 3), np.linspace(-1, 1, 2))
    assert points.shape == (6, 2) and tuple(points[4]) == (1.0, 1.0)
    whole = {(r, c): cost for r, c, cost in ins.iter_cost_surface(
        net, x, y, picks, np.linspace(0, 2, 3), np.linspace(-1, 1, 2))}
    sizes = iter([5, 30, 1000] * 20)
    pieces = list(ins.iter_cost_pieces(net, x, y, picks, points, lambda: next(sizes)))
    done = [(p, cost) for p, _, cost in pieces if cost is not None]
    assert [p for p, _ in done] == list(range(6))
    assert sum(k for _, k, _ in pieces) == 6 * len(x)
    for p, cost in done:
        assert cost == pytest.approx(whole[divmod(p, 3)], rel=1e-6)
    it = ins.iter_cost_pieces(net, x, y, picks, points, 10)
    next(it)
    it.close()
    assert net.W.value.ravel().tolist() == pytest.approx([0.3, 0.7])
    assert net.b.value[0] == pytest.approx(0.1)


def test_health_accumulator_batch_by_batch_matches_the_whole_batch() -> None:
    from nnstudio.core.templates import get_template

    design = get_template("playground")
    rng = np.random.default_rng(3)
    acts = {"fc1": np.tanh(rng.normal(0, 1, (40, 4))).astype(np.float32),
            "fc2": np.tanh(rng.normal(0, 1, (40, 2))).astype(np.float32)}
    acts["fc1"][:, 1] = 0.999                     # saturated
    whole = ins.health_from_activations(design, acts)
    acc = ins.HealthAccumulator(design)
    for lo in range(0, 40, 7):
        acc.add({k: v[lo:lo + 7] for k, v in acts.items()})
    part = acc.report()
    assert list(part) == list(whole)
    for node in whole:
        assert part[node].saturated.tolist() == whole[node].saturated.tolist()
        assert part[node].dead.tolist() == whole[node].dead.tolist()
    assert part["fc1"].saturated.tolist() == [1]


def test_row_history_keeps_the_whole_run_in_bounded_memory():
    from nnstudio.core.insight.history import RowHistory

    h = RowHistory(width=3, max_rows=8, start=2)
    for step in range(100):
        h.append(np.full(3, step, np.float32), step)
        assert len(h) <= 8
    steps = h.steps
    assert steps[0] == 0 and steps[-1] == 99               # first and latest moments kept
    assert np.all(np.diff(steps) > 0)                       # in order
    assert np.array_equal(h.rows[:, 0], steps.astype(np.float32))   # rows follow their steps
    assert h.rows.shape == (len(h), 3)
