"""The window's state: one change event per field, emitted once per real change."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.network import Network
from nnstudio.state import WRITERS, AppState, RunState, take


@pytest.fixture
def state(tiny_design):
    return AppState(design=tiny_design())


def new_values(state: AppState, tiny_design) -> dict:
    """A different value for every field."""
    net = Network(tiny_design())
    return {
        "design": tiny_design(units=3), "network": net, "weights": net.get_weights(),
        "history": object(), "meta": {"classes": ["a", "b"]}, "path": Path("/tmp/x.npz"),
        "dirty": True, "data_source": "synthetic:1000", "image_size": 16,
        "dataset": object(), "settings": replace(state.settings, lr=0.05),
        "run_state": RunState.RUNNING, "drawing": np.zeros((28, 28), np.float32),
        "page": "designPage", "inside_view": "weightsView", "design_mode": "neurons",
        "selected_layer": "fc1", "zoom": 1.5, "run": Path("/tmp/runs/r1"), "checkpoint": 3,
        "fork": {"run": "r1", "checkpoint": 3},
    }


def test_every_field_has_one_writer_and_its_own_event(state, tiny_design):
    names = [f.name for f in fields(AppState)]
    assert sorted(names) == sorted(WRITERS)
    values = new_values(state, tiny_design)
    assert sorted(values) == sorted(names)
    for name in names:
        seen: list = []
        getattr(state.events, name).connect(seen.append)
        setattr(state, name, values[name])
        assert len(seen) == 1 and seen[0] is values[name], name
        setattr(state, name, values[name])          # the same value: no event
        assert len(seen) == 1, name


def test_settings_compare_by_value_objects_by_identity(state):
    seen: list = []
    state.events.settings.connect(seen.append)
    state.settings = replace(state.settings)         # equal settings: nothing changed
    assert seen == []
    state.settings = replace(state.settings, batch_size=512)
    assert len(seen) == 1 and seen[0].batch_size == 512
    weights: list = []
    state.events.weights.connect(weights.append)
    w = {"fc/W": np.ones(3, np.float32)}
    state.weights = w
    state.weights = {"fc/W": np.ones(3, np.float32)}  # equal arrays, but new weights
    assert len(weights) == 2


def test_a_moment_keeps_weights_and_drawing_by_value(state, tiny_design):
    net = Network(tiny_design())
    state.weights = net.get_weights()
    state.drawing = np.zeros((4, 4), np.float32)
    moment = take(state, undo="kept with it")
    for array in state.weights.values():
        array += 1.0                                 # training goes on in place
    state.drawing[0, 0] = 1.0
    assert not moment.same_weights(state.weights)
    assert moment.same_weights(net.get_weights())
    assert moment.drawing[0, 0] == 0.0 and moment.kept == {"undo": "kept with it"}
    assert moment.design is state.design and moment.settings == state.settings


def test_run_state_says_when_a_run_is_active():
    assert RunState("running") == "running" and RunState.PAUSED.active
    assert not any(RunState(s).active for s in ("idle", "finished", "stopped", "error"))
