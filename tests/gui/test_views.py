"""The Inside page: every view draws real data offscreen, follows snapshots and copes with
an empty or unfitting model."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from nnstudio.core.design import Design
from nnstudio.core.templates import get_template
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.data.dataset import Dataset
from nnstudio.gui.inside import InsightPanel
from nnstudio.gui.inside.conv import ConvolutionView
from nnstudio.gui.inside.cost import CostSurfaceView
from nnstudio.gui.inside.evaluation import EvaluationView
from nnstudio.gui.inside.weights import WeightsView
from nnstudio.gui.session import Session
from nnstudio.gui.snapshot import Snapshot

pytest.importorskip("pytestqt")


# ---------------------------------------------------------------------- fixtures
def chain(*layers: tuple[str, dict]) -> Design:
    d = Design("test")
    prev = None
    for i, (kind, params) in enumerate(layers):
        node = d.add_node(kind, params, node_id=f"{kind.lower()}{i}")
        if prev is not None:
            d.connect(prev, node.id)
        prev = node.id
    return d


def two_d(n: int = 120, task: str = "classification") -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (n, 2)).astype(np.float32)
    if task == "classification":
        return Dataset("blobs", x, (x[:, 0] * x[:, 1] > 0).astype(np.int64), task, ["0", "1"])
    return Dataset("plane", x, x @ np.array([[1.0], [-0.5]], np.float32), task, [])


def cars(n: int = 60) -> Dataset:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = x @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 1.0
    return Dataset("cars", x, y, "regression", [], feature_names=["age", "km", "power"])


def images(n: int = 80, size: int = 8, classes=("0", "1", "2")) -> Dataset:
    rng = np.random.default_rng(2)
    y = rng.integers(0, len(classes), n)
    x = rng.uniform(0, 0.2, (n, size, size)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, 2 * c: 2 * c + 3, 1:-1] = 1.0
    return Dataset("bars", x, y, "classification", list(classes))


def tiny_cnn(size: int = 8, n_out: int = 3) -> Design:
    return chain(("Input", {"shape": [1, size, size]}),
                 ("Conv2D", {"filters": 4, "kernel_size": 3}),
                 ("MaxPool2D", {"pool_size": 2}),
                 ("Conv2D", {"filters": 3, "kernel_size": 3}),
                 ("Flatten", {}),
                 ("Dense", {"units": n_out, "activation": "softmax"}),
                 ("Output", {"loss": "cross_entropy"}))


def tiny_mlp(n_in: int = 64, n_out: int = 3) -> Design:
    return chain(("Input", {"shape": [n_in]}),
                 ("Dense", {"units": 6, "activation": "relu"}),
                 ("Dense", {"units": n_out, "activation": "softmax"}),
                 ("Output", {"loss": "cross_entropy"}))


def make(qtbot, design: Design, dataset: Dataset | None = None) -> Session:
    s = Session(design)
    if dataset is not None:
        s.set_dataset(dataset)
    return s


def train_with_snapshots(session: Session, epochs: int = 2, lr: float = 0.05) -> int:
    """Train session.network's weights on its dataset, sending a snapshot every batch."""
    ds = session.dataset
    from nnstudio.core.network import Network

    net = Network(session.design)
    net.set_weights(session.network.get_weights())
    prev = net.get_weights()
    count = [0]

    def on_batch(info):
        w = net.get_weights()
        ratios = {k: float(np.linalg.norm(w[k] - prev[k]) / (np.linalg.norm(prev[k]) + 1e-9))
                  for k in w}
        prev.update(w)
        session.apply_snapshot(Snapshot(weights=w, update_ratios=ratios,
                                        batch_index=np.array([count[0]])))
        count[0] += 1

    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=lr, optimizer="sgd")
    Trainer(net, ds.x.reshape(ds.n, *net.input_shape), ds.y, cfg).run(on_batch=on_batch)
    return count[0]


def trained(design: Design, dataset: Dataset, epochs: int, lr: float) -> Session:
    """A session whose network trained a little on ``dataset`` (snapshots sent)."""
    s = Session(design)
    s.set_dataset(dataset)
    train_with_snapshots(s, epochs=epochs, lr=lr)
    return s


def shown(qtbot, view, width: int = 820, height: int = 560):
    """``view`` shown offscreen at ``width`` × ``height`` and drawn once."""
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.refresh_now()
    return view


def draw(view) -> None:
    view.refresh_now()
    for job in (getattr(view, "job", None), getattr(view, "health_job", None)):
        if job is not None:
            job.run_to_end()
    view.refresh_now()
    for job in (getattr(view, "job", None), getattr(view, "health_job", None)):
        if job is not None:
            job.run_to_end()


# ---------------------------------------------------------------------- the panel
def test_panel_has_every_view_and_opens_on_the_fitting_one(qtbot) -> None:
    s = make(qtbot, get_template("playground"), two_d())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    assert list(panel.views) == ["boundaryView", "costView", "rollView", "backpropView",
                                 "convView", "whyView", "evaluationView", "estimatesView",
                                 "idealDigitsView", "layerMapView", "weightsView"]
    assert panel.tabs.currentWidget() is panel.views["boundaryView"]
    s.set_design(tiny_cnn())
    assert panel.tabs.currentWidget() is panel.views["convView"]
    s.set_design(get_template("linear"))
    assert panel.tabs.currentWidget() is panel.views["costView"]
    s.set_design(get_template("3v7"))
    assert panel.tabs.currentWidget() is panel.views["idealDigitsView"]


def test_only_the_visible_view_redraws_when_a_snapshot_arrives(qtbot) -> None:
    s = make(qtbot, get_template("playground"), two_d())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    qtbot.waitExposed(panel)
    boundary, weights = panel.views["boundaryView"], panel.views["weightsView"]
    qtbot.waitUntil(lambda: len(boundary.timings_ms) >= 1, timeout=10000)
    before_b, before_w = len(boundary.timings_ms), len(weights.timings_ms)
    s.apply_snapshot(Snapshot(weights=s.network.get_weights(), batch_index=np.array([0])))
    qtbot.waitUntil(lambda: len(boundary.timings_ms) > before_b, timeout=10000)
    assert len(weights.timings_ms) == before_w
    panel.show_view("weightsView")
    qtbot.waitUntil(lambda: len(weights.timings_ms) > before_w, timeout=10000)


@pytest.mark.parametrize("design", [None, "invalid", "linear", "cnn"])
def test_every_view_copes_without_model_data_or_fit(qtbot, design) -> None:
    if design == "invalid":
        d = Design("broken")
        d.add_node("Input", {"shape": [2]})
    elif design == "cnn":
        d = tiny_cnn()
    else:
        d = get_template(design or "playground")
    s = make(qtbot, d, None if design in (None, "invalid") else two_d())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    for view in panel.views.values():
        draw(view)
    if design == "invalid":
        assert s.network is None
        # every view that looks at the network says why it cannot; the rolling ball's
        # curve does not depend on it
        assert all(v.message for k, v in panel.views.items() if k != "rollView")
        assert panel.views["rollView"].message == ""


# ---------------------------------------------------------------------- decision boundary
def test_boundary_draws_output_neurons_and_points(qtbot) -> None:
    s = make(qtbot, get_template("playground"), two_d())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    view = panel.views["boundaryView"]
    draw(view)
    assert view.message == ""
    img = view.image.image
    assert img.shape == (100, 100, 4)
    assert len(view.neuron_images) == 2 and len(view.neuron_images[0]) == 8  # first 8 of 16
    assert view.train_dots.data.size + view.test_dots.data.size == 120
    view.discretize.setChecked(True)
    colours = {tuple(c) for c in view.image.image.reshape(-1, 4)}
    assert len(colours) <= 2
    train_with_snapshots(s, epochs=1)
    before = img.copy()
    draw(view)
    assert not np.array_equal(before, view.image.image)


def test_boundary_shows_regression_as_a_surface(qtbot) -> None:
    d = chain(("Input", {"shape": [2]}), ("Dense", {"units": 3, "activation": "tanh"}),
              ("Dense", {"units": 1, "activation": "linear"}), ("Output", {"loss": "mse"}))
    s = make(qtbot, d, two_d(task="regression"))
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    view = panel.views["boundaryView"]
    draw(view)
    assert view.message == "" and view.image.image.shape == (100, 100, 4)


# ---------------------------------------------------------------------- cost surface
def test_cost_surface_follows_training_downhill(qtbot) -> None:
    s = make(qtbot, get_template("linear"), cars())
    view = CostSurfaceView(s)
    qtbot.addWidget(view)
    draw(view)
    assert view.message == ""
    assert "age" in view.pick_x.currentText()
    assert "bias" in view.pick_y.currentText()
    n = train_with_snapshots(s, epochs=3, lr=0.05)
    assert len(view.trace) == n + 1
    draw(view)
    grid = view.landscape.grid
    assert np.isfinite(grid).all()
    path = view.weight_path()
    (x0, x1), (y0, y1) = view.landscape.xr, view.landscape.yr
    assert x0 <= path[:, 0].min() and path[:, 0].max() <= x1
    assert y0 <= path[:, 1].min() and path[:, 1].max() <= y1
    # the ball went downhill: the cost now is lower than where it started
    assert view.line.cost < grid.max()
    w = s.network.get_weights()["dense1/W"].ravel()[0] if "dense1/W" in s.network.get_weights() \
        else next(iter(s.network.get_weights().values())).ravel()[0]
    assert view.line.w == pytest.approx(float(w), abs=1e-5)
    view.pick_y.setCurrentIndex(2)
    draw(view)
    assert view.landscape.picks[1] == view.picks[2]


def test_cost_surface_needs_data_that_fits(qtbot) -> None:
    s = make(qtbot, get_template("linear"))
    view = CostSurfaceView(s)
    qtbot.addWidget(view)
    draw(view)
    assert "dataset" in view.message
    s.set_dataset(two_d())
    draw(view)
    assert view.message


# ---------------------------------------------------------------------- convolution
def test_convolution_shows_filters_and_feature_maps_of_the_drawing(qtbot) -> None:
    ds = images()
    s = make(qtbot, tiny_cnn(), ds)
    view = ConvolutionView(s)
    qtbot.addWidget(view)
    draw(view)
    assert view.message == ""
    assert view.filter_layers == ["conv2d1", "conv2d3"]
    assert view.filter_picture("conv2d1") is not None
    assert "first sample" in view.source.text()
    s.set_current_input(ds.x[5])
    draw(view)
    assert "your drawing" in view.source.text()
    maps = view.map_picture("conv2d1")
    assert maps is not None and maps.shape[-1] == 4
    s.set_design(tiny_mlp())
    draw(view)
    assert "no convolution" in view.message


# ---------------------------------------------------------------------- evaluation
def test_evaluation_confusion_matrix_gallery_and_canvas(qtbot) -> None:
    ds = images(n=120)
    s = make(qtbot, tiny_mlp(), ds)
    view = EvaluationView(s)
    qtbot.addWidget(view)
    draw(view)
    r = view._result
    assert r["cm"].shape == (3, 3) and r["cm"].sum() == 12  # 10% held out
    mistakes = int((r["pred"] != r["y"]).sum())
    assert view.gallery.count() == min(mistakes, 60)
    t, p = np.argwhere(r["cm"] > 0)[0]
    view.select_cell((int(t), int(p)))
    assert view.gallery.count() == r["cm"][t, p]
    seen = []
    s.showOnDrawPage.connect(lambda image: seen.append(image))
    item = view.gallery.item(0)
    view.show()
    qtbot.waitExposed(view)
    view.gallery.scrollToItem(item)
    QTest.mouseClick(view.gallery.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, view.gallery.visualItemRect(item).center())
    index = int(item.data(Qt.ItemDataRole.UserRole))
    assert len(seen) == 1 and np.array_equal(seen[0], ds.x[index])


def test_evaluation_shows_the_pixel_similarity_baseline_for_three_vs_seven(qtbot) -> None:
    ds = images(n=100, classes=("3", "7"))
    s = make(qtbot, tiny_mlp(n_out=2), ds)
    view = EvaluationView(s)
    qtbot.addWidget(view)
    draw(view)
    assert "pixel similarity" in view.summary.text()


def test_evaluation_of_regression_is_a_scatter(qtbot) -> None:
    s = make(qtbot, get_template("linear"), cars())
    view = EvaluationView(s)
    qtbot.addWidget(view)
    draw(view)
    assert "Average error" in view.summary.text()


# ---------------------------------------------------------------------- weights
def test_weights_history_ratios_and_neuron_health(qtbot) -> None:
    ds = images()
    s = make(qtbot, tiny_mlp(), ds)
    view = WeightsView(s)
    qtbot.addWidget(view)
    draw(view)
    assert view.message == ""
    n = train_with_snapshots(s, epochs=1)
    assert n > 1
    time.sleep(0.21)
    s.apply_snapshot(Snapshot(weights=s.network.get_weights(), batch_index=np.array([n])))
    draw(view)
    assert view.histogram_moments()["dense1"] >= 2
    assert set(view.ratio_layers) == {"dense1", "dense2"}
    assert "dense1" in view.report and view.health.count() == 1


def test_every_view_redraws_repeatedly_on_the_same_session(qtbot) -> None:
    """Redrawing again and again (as snapshots do) keeps every view drawable and its
    background work finishing; timings live in bench/bench_views.py."""
    s = make(qtbot, tiny_cnn(), images())
    panel = InsightPanel(s)
    qtbot.addWidget(panel)
    s.set_current_input(s.dataset.x[0])
    for view in panel.views.values():
        draw(view)
        for _ in range(3):
            view.refresh_now()
        for job in (getattr(view, "job", None), getattr(view, "health_job", None)):
            if job is not None:
                job.run_to_end()
                assert not job.running
        assert not view.grab().isNull()


# ---------------------------------------------------------------------- bounded background work
class FakeClock:
    """Seconds that advance only when the simulated work says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowClock:
    """Seconds that advance by ``step`` at every reading: work that is always slow."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_piece_sizer_grows_to_the_budget_and_shrinks_after_a_slow_piece() -> None:
    from nnstudio.gui.inside.base import PieceSizer

    sizer = PieceSizer(target_ms=6.0, start=1)
    sizes = []
    for _ in range(8):                      # 0.5 ms per unit: 12 units fill 6 ms
        sizes.append(sizer.size)
        sizer.record(sizer.size, 0.0005 * sizer.size)
    assert sizes[:4] == [1, 2, 4, 8]        # starts small, at most doubles
    assert sizer.size == 12
    sizer.record(12, 0.003 * 12)            # the units became 6× slower
    assert sizer.size == 2                  # shrinks at once
    sizer.record(2, 0.0001)                 # one lucky fast piece does not undo it
    assert sizer.size <= 4


def test_piece_sizer_settles_below_a_jump_in_cost() -> None:
    from nnstudio.gui.inside.base import PieceSizer

    def cost(units: int) -> float:        # one unit 3 ms, two or more 6 ms each
        return 0.003 if units == 1 else 0.006 * units

    sizer = PieceSizer(target_ms=6.0, patience=16)
    sizes = []
    for _ in range(15):
        sizes.append(sizer.size)
        sizer.record(sizer.size, cost(sizer.size))
    assert sizes[:2] == [1, 2]              # tried two once: too slow
    assert sizes[2:] == [1] * 13            # and stays below the jump
    later = []
    for _ in range(20):
        later.append(sizer.size)
        sizer.record(sizer.size, cost(sizer.size))
    assert later.count(2) == 1              # tries again after a while, and falls back


def _job_run(qtbot, cost_per_unit_s: float, n: int = 200):
    from nnstudio.gui.inside.base import ChunkedJob, PieceSizer

    clock = FakeClock()
    sizer = PieceSizer(target_ms=6.0, clock=clock)
    job = ChunkedJob(budget_ms=8.0, clock=clock)
    done = []

    def work(sl: slice) -> None:
        clock.now += cost_per_unit_s * (sl.stop - sl.start)
        done.extend(range(sl.start, sl.stop))

    job.start(sizer.run(n, work))
    job.pause()                             # turns driven by hand, not by the event loop
    turns = 0
    while job.running:
        job.turn()
        turns += 1
    assert done == list(range(n))           # every unit once, in order
    return job, turns


def test_chunked_job_splits_slow_work_into_more_pieces_within_the_budget(qtbot) -> None:
    cheap, cheap_turns = _job_run(qtbot, 0.0001)
    slow, slow_turns = _job_run(qtbot, 0.002)
    assert slow.pieces > 3 * cheap.pieces
    assert slow_turns > cheap_turns
    for job in (cheap, slow):
        assert max(job.piece_ms) <= 6.0 + 1e-6      # no piece over the sizer's target
        assert max(job.turn_ms) <= 8.0 + 1e-6       # no event-loop turn over the budget
    too_slow, _ = _job_run(qtbot, 0.020, n=5)        # one unit is longer than the target:
    assert too_slow.pieces == 5 + 1                  # one unit per piece (+ the last check)


def test_chunked_job_rests_between_turns_while_training(qtbot) -> None:
    from nnstudio.gui.inside.base import TRAINING_DUTY, ChunkedJob

    clock = FakeClock()
    job = ChunkedJob(budget_ms=8.0, clock=clock)

    def work():
        for _ in range(10):
            clock.now += 0.004
            yield

    job.duty = TRAINING_DUTY
    job.start(work())
    job.turn()
    assert job.rest_ms >= 7                 # rests about as long as it worked
    job.cancel()


def test_clone_steps_copies_in_bounded_pieces(qtbot, monkeypatch) -> None:
    from nnstudio.gui.inside import base

    monkeypatch.setattr(base, "COPY_CHUNK", 64)
    s = make(qtbot, tiny_mlp())
    cache: dict = {}
    steps = base.clone_steps(s.network, cache)
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as end:
            clone = end.value
            break
    assert pieces > 10                      # 64 × 6 weights and more: many pieces
    w = s.network.get_weights()
    assert all(np.array_equal(w[k], v) for k, v in clone.get_weights().items())
    clone.parameters()[0].value[...] = 7.0  # a copy, not the same memory
    assert not np.any(s.network.parameters()[0].value == 7.0)
    s.network.set_weights({k: v + 1 for k, v in w.items()})
    assert base.clone_network(s.network, cache) is clone   # kept; weights copied in
    assert np.allclose(clone.get_weights()["dense1/W"], w["dense1/W"] + 1)


def test_cost_surface_averages_over_fewer_samples_for_a_slow_network(qtbot) -> None:
    from nnstudio.gui.inside.cost import MIN_SAMPLES

    s = make(qtbot, tiny_mlp(), images(n=120))
    view = CostSurfaceView(s)
    qtbot.addWidget(view)
    view.job.clock = SlowClock(0.050)       # as if each piece of work took 50 ms
    draw(view)
    assert f"only {MIN_SAMPLES} of 108 samples" in view.status.text()   # 12 held out
    assert np.isfinite(view.landscape.grid).all()


def test_cost_surface_offers_weights_that_matter_and_finds_any_by_name(qtbot) -> None:
    """A digit network: no weight from a pixel that is always blank is offered, every unit
    of the first layer is, and a weight typed by name is reached."""
    rng = np.random.default_rng(0)
    x = np.zeros((120, 8, 8), np.float32)
    x[:, 2:6, 2:6] = rng.random((120, 4, 4))                 # the border is always blank
    ds = Dataset("middle", x, rng.integers(0, 3, 120), "classification", ["0", "1", "2"])
    s = make(qtbot, tiny_mlp(), ds)
    view = shown(qtbot, CostSurfaceView(s), 900, 600)
    draw(view)
    first_layer = [(name, flat) for name, flat in view.picks if name == "dense1/W"]
    assert len(first_layer) == 6                               # one per unit
    for _, flat in first_layer:
        row, col = divmod(flat // 6, 8)
        assert 2 <= row < 6 and 2 <= col < 6, view.pick_x.currentText()
    # typed in full, a weight that is not listed
    edit = view.pick_x.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "dense1 weight [0, 5]")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view._current_picks()[0] == ("dense1/W", 5), timeout=10000)
    assert view.pick_x.currentText() == "dense1 weight [0, 5]"
    # a name that is no weight: said so, and the choice stays
    edit.selectAll()
    qtbot.keyClicks(edit, "dense1 weight [99, 0]")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "No weight is called" in view.status.text(), timeout=10000)
    assert view._current_picks()[0] == ("dense1/W", 5)
    assert view.pick_x.currentText() == "dense1 weight [0, 5]"


def test_cost_surface_never_shows_an_earlier_networks_curve(qtbot) -> None:
    s = make(qtbot, get_template("linear"), cars())
    view = shown(qtbot, CostSurfaceView(s), 900, 600)
    draw(view)
    xs, _ = view.curve.getData()
    assert xs is not None and len(xs) > 0
    other = get_template("linear")
    s.set_design(other)                          # another network, fresh weights
    xs, _ = view.curve.getData()
    assert xs is None or len(xs) == 0            # the old curve is gone at once
    draw(view)
    assert view.line is not None
    w = s.network.get_weights()
    name, flat = view.picks[view.pick_x.currentIndex()]
    assert view.line.w == pytest.approx(float(w[name].reshape(-1)[flat]))


def test_numbers_in_the_views_never_read_minus_zero() -> None:
    from nnstudio.gui.inside.style import fmt

    assert fmt(-0.0) == "0" and fmt(np.float32(-0.0)) == "0"
    assert fmt(-0.25) == "-0.25" and fmt(-2e-5) == "-2.00e-05"


def test_cost_surface_says_which_samples_its_cost_is_on_and_lets_you_choose(qtbot) -> None:
    from nnstudio.gui.inside.base import held_out_indices

    s = make(qtbot, get_template("linear"), cars(200))
    view = shown(qtbot, CostSurfaceView(s), 900, 600)
    draw(view)
    held = held_out_indices(200, s)
    assert len(view._sample[0]) == 200 - len(held)
    assert f"on {200 - len(held)} training samples" in view.status.text()
    view.data_choice.setFocus()
    qtbot.keyClick(view.data_choice, Qt.Key.Key_Down)
    assert view.held_out
    draw(view)
    assert len(view._sample[0]) == len(held)
    assert view._sample[0] == pytest.approx(s.dataset.x[np.sort(held)].reshape(len(held), -1))
    assert f"on {len(held)} held-out samples" in view.status.text()


def test_a_kept_copy_of_another_network_with_the_same_id_is_made_afresh(tiny_design) -> None:
    """Python reuses the id of a freed network: the kept copy of the old one (other layers)
    is not the new one's copy."""
    from nnstudio.core.network import Network
    from nnstudio.gui.inside import base

    old, new = Network(tiny_design(units=3)), Network(tiny_design(units=5))
    cache = {"key": id(new), "clone": base.clone_network(old, {})}
    clone = base.clone_network(new, cache)
    assert clone.get_weights().keys() == \
        new.get_weights().keys()
    for k, v in new.get_weights().items():
        np.testing.assert_array_equal(clone.get_weights()[k], v)
    assert cache["clone"] is clone
