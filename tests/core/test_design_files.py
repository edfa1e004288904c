"""Designs from files that are big, damaged or hostile: linear, bounded, clear errors."""

from __future__ import annotations

import json
import os
import sys

import pytest

from nnstudio.core.design import (
    CycleError,
    Design,
    DesignError,
    design_from_dict,
    design_from_json,
    load_design,
    save_design,
)
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template


def chain_dict(n: int) -> dict:
    """Input -> n-2 Dense -> Output with the links listed last to first (the worst order)."""
    nodes = [{"id": "in", "kind": "Input", "params": {"shape": [4]}}]
    nodes += [{"id": f"d{i}", "kind": "Dense", "params": {"units": 4}} for i in range(n - 2)]
    nodes.append({"id": "out", "kind": "Output", "params": {"loss": "mse"}})
    ids = [nd["id"] for nd in nodes]
    return {"nodes": nodes, "links": [[a, b] for a, b in zip(ids, ids[1:], strict=False)][::-1]}


def calls_to_load(d: dict) -> int:
    """Python and C function calls made while loading ``d`` (a deterministic work count)."""
    count = 0

    def profile(frame, event, arg) -> None:
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        design_from_dict(d)
    finally:
        sys.setprofile(None)
    return count


def test_loading_is_linear_in_the_number_of_layers():
    small, big = calls_to_load(chain_dict(300)), calls_to_load(chain_dict(1200))
    assert big / small < 4.6, f"4x the layers cost {big / small:.1f}x the work"


def test_a_loop_in_a_file_is_still_refused():
    d = chain_dict(5)
    d["nodes"].append({"id": "join", "kind": "Add"})
    d["links"] += [["d1", "join"], ["join", "d0"]]
    d["links"] = [lk for lk in d["links"] if lk != ["in", "d0"]]
    with pytest.raises(CycleError, match="loop"):
        design_from_dict(d)


def test_connect_all_is_all_or_nothing():
    design = Design()
    for nid in ("a", "b", "c"):
        design.add_node("Dense", node_id=nid)
    events = []
    design.subscribe(events.append)
    with pytest.raises(CycleError):
        design.connect_all([("a", "b"), ("b", "c"), ("c", "a")])
    assert design.links == [] and events == []
    assert design.inputs_of("b") == [] and design.can_connect("a", "b") is None


def test_a_design_too_big_for_memory_says_how_much_it_needs():
    design = get_template("mlp")
    design.set_params("fc1", units=10**9)
    result = design.analyze()
    assert not result.ok
    text = str(result.first_error())
    assert "needs" in text and "limit" in text and "GB" in text or "TB" in text
    with pytest.raises(DesignError, match="limit"):
        Network(design)


def test_sizes_beyond_any_computer_are_parameter_errors():
    design = get_template("mlp")
    with pytest.raises(DesignError, match="beyond any size"):
        design.set_params("fc1", units=10**30)
    with pytest.raises(DesignError, match="whole number"):
        design.set_params("fc1", units="9" * 5000)


@pytest.mark.parametrize("text, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"nodes": [{"id": "a", "kind": ["Dense"]}]}', "not a layer kind"),
    ('{"nodes": [{"id": "a", "kind": "Dense", "params": [1]}]}', "named values"),
    ('{"nodes": [{"id": "a", "kind": "Dense", "pos": [1e999, 0]}]}', "bad position"),
    ('{"nodes": [{"id": ["a"], "kind": "Dense"}]}', "not a usable node name"),
    ('{"nodes": [{"id": "a", "kind": "Dense"}], "links": [[["a"], "a"]]}', "no node"),
    ('{"nodes": [{"id": "a", "kind": "Input", "params": {"shape": "9999999999999999999999x1x1"}}]}',
     "not a shape"),
])
def test_hostile_content_is_a_design_error(text, words):
    with pytest.raises(DesignError, match=words):
        design_from_json(text)


def test_a_pipe_named_like_a_design_does_not_block(tmp_path):
    fifo = tmp_path / "design.json"
    os.mkfifo(fifo)
    with pytest.raises(DesignError, match="not a regular file"):
        load_design(fifo)


def test_a_huge_design_file_is_refused_by_its_size(tmp_path, monkeypatch):
    from nnstudio.core.design import jsonio

    monkeypatch.setattr(jsonio, "MAX_DESIGN_BYTES", 5000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"name": "x" * 6000, "nodes": []}))
    with pytest.raises(DesignError, match="big.json.*limit"):
        load_design(path)
    save_design(get_template("mlp"), tmp_path / "ok.json")
    assert load_design(tmp_path / "ok.json").name == "mlp"
