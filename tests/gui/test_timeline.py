"""The Train page's timeline: scrub a run's checkpoints, go back to the best one, fork."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from nnstudio.core.network import Network
from nnstudio.runs.reader import open_run

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def opened(window, qtbot, record_run, tiny_design, tmp_path):
    """The window on the tiny design, with a recorded 3-epoch run open on its timeline."""
    writer, _trainer, _ = record_run(tmp_path / "runs", epochs=3, lr=0.05)
    w = window
    w.session.set_design(tiny_design())
    w.show()
    qtbot.waitExposed(w)
    w.tabs.setCurrentWidget(w.train_view)
    w.session.state.run = writer.path
    return w, open_run(writer.path)


def press(qtbot, widget, key) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key)


def answers(w, weights) -> np.ndarray:
    net = Network(w.session.design)
    net.set_weights(weights)
    return net.predict(np.array([[1.0, -1.0], [-2.0, 0.5]], np.float32))


def test_scrubbing_shows_the_network_as_it_was_at_each_checkpoint(opened, qtbot):
    w, run = opened
    timeline, st = w.train_view.timeline, w.session.state
    ckpts = run.checkpoints()
    assert timeline.isVisible() and timeline.slider.maximum() == len(ckpts) - 1
    probe = np.array([[1.0, -1.0], [-2.0, 0.5]], np.float32)
    press(qtbot, timeline.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: st.checkpoint == ckpts[0].n, timeout=3000)
    first = w.session.predict(probe)
    np.testing.assert_allclose(first, answers(w, run.weights(ckpts[0].n)), rtol=1e-6)
    assert "initial weights" in timeline.where.text()
    press(qtbot, timeline.slider, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: st.checkpoint == ckpts[-1].n, timeout=3000)
    last = w.session.predict(probe)
    np.testing.assert_allclose(last, answers(w, run.weights(ckpts[-1].n)), rtol=1e-6)
    assert not np.allclose(first, last)          # training changed the answers
    assert w.train_view.plots.marker == pytest.approx(ckpts[-1].epoch)   # marked on the plots
    for k, v in w.session.network.get_weights().items():
        np.testing.assert_array_equal(st.weights[k], v)   # the state follows the cursor
    press(qtbot, timeline.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: st.checkpoint == ckpts[0].n, timeout=3000)
    qtbot.mouseClick(timeline.findChild(QPushButton, "timelineBest"), LEFT)
    assert st.checkpoint == run.summary.best["checkpoint"]
    assert "best" in timeline.where.text()


def test_continue_from_here_forks_and_draws_a_branch(opened, qtbot):
    w, run = opened
    timeline, st, plots = w.train_view.timeline, w.session.state, w.train_view.plots
    mid = [c for c in run.checkpoints() if c.kind == "epoch"][0]   # end of epoch 1
    w.controller.apply_settings(epochs=1)
    with qtbot.waitSignal(w.controller.finished, timeout=20000):   # a curve of its own
        w.actions_.play.trigger()
    st.run = run.path          # that run's own record was on the timeline: back to this one
    press(qtbot, timeline.slider, Qt.Key.Key_Home)
    while st.checkpoint != mid.n:
        press(qtbot, timeline.slider, Qt.Key.Key_Right)
        qtbot.wait(timeline._settle.interval() + 30)
    earlier = plots.n_earlier_runs
    qtbot.mouseClick(timeline.findChild(QPushButton, "timelineContinue"), LEFT)
    assert st.fork == {"run": run.id, "checkpoint": mid.n}
    assert plots.n_earlier_runs == earlier + 1          # the curve shown stays, faded
    branch_at = plots.x_end()
    assert branch_at == pytest.approx(mid.epoch, abs=0.05)     # the parent's curve so far
    assert "trains on from here" in timeline.where.text()
    w.controller.apply_settings(epochs=1, lr=0.01)
    with qtbot.waitSignal(w.controller.started, timeout=10000):
        w.actions_.play.trigger()
    assert not timeline.slider.isEnabled()                       # the run is not disturbed
    assert w.controller.run_parent == {"run": run.id, "checkpoint": mid.n}
    assert st.fork is None and st.checkpoint is None
    assert w.controller.wait_idle(20000)
    assert plots.x_end() > branch_at + 0.5                       # it went on from there
    assert len(w.session.history.epochs) == mid.epoch + 1        # one more epoch, no copy


def test_the_draw_pages_answer_follows_the_timeline(window, qtbot, tmp_path):
    from dataclasses import asdict

    from nnstudio.core.templates import get_template
    from nnstudio.core.training import TrainConfig, Trainer
    from nnstudio.data.sources import load_source
    from nnstudio.runs.recorder import Recorder
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import RunWriter
    from tests.gui.gestures import draw_seven

    ds = load_source("synthetic:400", size=28)
    network = Network(get_template("mlp"), seed=2)
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-3, seed=1)
    writer = RunWriter(tmp_path / "runs", RunStart(design=network.design, data="synthetic:400",
                                                   config=asdict(config), dataset=ds.name,
                                                   classes=list(ds.classes)))
    recorder = Recorder(writer, network)
    Trainer(network, ds.x, ds.y, config).run(on_batch=recorder.on_batch(),
                                             on_epoch=recorder.on_epoch())
    writer.finish("finished")
    w = window
    w.session.set_design(get_template("mlp"))
    w.session.set_dataset(ds)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.session.state.run = writer.path
    timeline, st = w.train_view.timeline, w.session.state
    st.checkpoint = timeline.checkpoints[0].n          # the initial weights
    at_start = draw_seven(qtbot, w)
    page = w.pages["drawPage"]
    st.checkpoint = timeline.checkpoints[-1].n         # as the slider's End key does
    qtbot.waitUntil(lambda: not np.allclose(page.probs, at_start), timeout=10000)
    trained = np.array(page.probs)
    assert trained.max() > at_start.max()              # the trained network is surer
    st.checkpoint = timeline.checkpoints[0].n
    qtbot.waitUntil(lambda: np.allclose(page.probs, at_start, atol=1e-6), timeout=10000)
