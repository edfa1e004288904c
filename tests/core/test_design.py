"""The design: edits, validation, shape inference, errors, JSON, events."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.design import (
    CycleError,
    Design,
    DesignError,
    DesignEvent,
    Link,
    LinkError,
    ParamError,
    ShapeError,
    design_from_dict,
    design_from_json,
    design_to_dict,
    design_to_json,
    format_shape,
    load_design,
    parse_shape,
    save_design,
    validate_params,
)
from nnstudio.core.templates import get_template


def chain(*specs: tuple[str, dict], shape=(784,)) -> Design:
    d = Design("t")
    prev = d.add_node("Input", {"shape": list(shape)}, node_id="input").id
    for kind, params in specs:
        nid = d.add_node(kind, params).id
        d.connect(prev, nid)
        prev = nid
    d.add_node("Output", node_id="output")
    d.connect(prev, "output")
    return d


def test_format_and_parse_shape():
    assert format_shape((16, 28, 28)) == "16×28×28"
    assert format_shape((784,)) == "784"
    assert format_shape(None) == "?"
    assert parse_shape("1×28×28") == [1, 28, 28]
    assert parse_shape("1x28x28") == [1, 28, 28]
    assert parse_shape(" 3, 32, 32 ") == [3, 32, 32]
    assert parse_shape("784") == [784]
    for bad in ("", "1x2", "0", "a", "1x-2x3"):
        with pytest.raises(ParamError):
            parse_shape(bad)


def test_validate_params_fills_defaults():
    assert validate_params("Dense") == {"units": 10, "activation": "relu"}
    assert validate_params("Conv2D", {"filters": 8})["kernel_size"] == 3
    assert validate_params("MaxPool2D") == {"pool_size": 2, "stride": None}
    assert validate_params("Input", {"shape": "1x28x28"}) == {"shape": [1, 28, 28]}
    assert validate_params("Input", {"shape": 784}) == {"shape": [784]}
    assert validate_params("Dense", {"units": 3.0})["units"] == 3
    assert validate_params("Dropout", {"rate": 0})["rate"] == 0.0


@pytest.mark.parametrize("kind, params, words", [
    ("Dense", {"units": 0}, "units must be a whole number >= 1"),
    ("Dense", {"units": 2.5}, "whole number"),
    ("Dense", {"units": True}, "whole number"),
    ("Dense", {"units": float("nan")}, "whole number"),
    ("Dense", {"activation": "swish"}, "activation 'swish' is not known"),
    ("Dense", {"unit": 3}, "no parameter 'unit'"),
    ("Conv2D", {"kernel_size": 4}, "must be odd"),
    ("Conv2D", {"stride": 0}, "stride must be a whole number >= 1"),
    ("Conv2D", {"padding": "full"}, "padding 'full' is not known"),
    ("MaxPool2D", {"pool_size": 0}, "pool_size"),
    ("MaxPool2D", {"stride": -1}, "stride"),
    ("Dropout", {"rate": 1.0}, "rate must be"),
    ("Dropout", {"rate": -0.1}, "rate must be"),
    ("Activation", {"function": "gelu"}, "function 'gelu'"),
    ("Output", {"loss": "hinge"}, "loss 'hinge'"),
    ("Input", {"shape": [1, 28]}, "1 size"),
    ("Input", {"shape": [0]}, "whole numbers >= 1"),
    ("Input", {"shape": [1.5]}, "whole numbers >= 1"),
    ("Input", {"shape": []}, "1 size"),
    ("Pooling", {}, "not a layer kind"),
])
def test_validate_params_rejects(kind, params, words):
    with pytest.raises(ParamError) as info:
        validate_params(kind, params)
    assert words in str(info.value)


def test_error_text_is_message_and_fix():
    err = ShapeError("Dense 'fc1' needs a flat input", "fc1", "insert a Flatten before it")
    assert str(err) == "Dense 'fc1' needs a flat input: insert a Flatten before it"
    assert err.node_id == "fc1" and err.fix == "insert a Flatten before it"
    assert isinstance(err, DesignError) and isinstance(err, ValueError)


def test_auto_ids_and_queries():
    d = Design()
    assert d.add_node("Dense").id == "dense1"
    assert d.add_node("Dense").id == "dense2"
    assert d.add_node("Conv2D").id == "conv1"
    d.add_node("Input")
    d.connect("input1", "conv1")
    assert d.inputs_of("conv1") == ["input1"]
    assert d.outputs_of("input1") == ["conv1"]
    assert d.input_node.id == "input1"
    assert d.output_node is None
    with pytest.raises(DesignError, match="already a node named 'dense1'"):
        d.add_node("Dense", node_id="dense1")
    with pytest.raises(DesignError, match="not a usable node name"):
        d.add_node("Dense", node_id="a/b")


def test_set_params_validates_before_changing():
    d = chain(("Dense", {"units": 5}))
    with pytest.raises(ParamError) as info:
        d.set_params("dense1", units=-1)
    assert "Dense 'dense1' units" in str(info.value) and info.value.node_id == "dense1"
    assert d.nodes["dense1"].params["units"] == 5
    d.set_params("dense1", units=7, activation="tanh")
    assert d.nodes["dense1"].params == {"units": 7, "activation": "tanh"}


def test_connect_refusals_change_nothing():
    d = chain(("Dense", {}), ("Dense", {}))
    before = list(d.links)
    d.add_node("Input", node_id="in2")
    d.add_node("Add", node_id="add")
    cases = [
        (("nope", "dense1"), LinkError, "no node 'nope'"),
        (("dense1", "dense1"), LinkError, "cannot feed itself"),
        (("input", "dense1"), LinkError, "already connected"),
        (("dense1", "in2"), LinkError, "nothing can feed it"),
        (("output", "add"), LinkError, "nothing can follow it"),
        (("in2", "dense2"), LinkError, "already has an input ('dense1')"),
    ]
    for (src, dst), cls, words in cases:
        with pytest.raises(cls, match=words.replace("(", r"\(").replace(")", r"\)")):
            d.connect(src, dst)
        assert d.can_connect(src, dst) is not None
    assert d.links == before
    d.connect("dense2", "add")
    assert d.can_connect("in2", "add") is None


def test_cycle_refused_in_merges():
    d = Design()
    d.add_node("Input", {"shape": [4]}, node_id="i")
    d.add_node("Add", node_id="a")
    d.add_node("Concatenate", node_id="c")
    d.connect("i", "a")
    d.connect("a", "c")
    with pytest.raises(CycleError) as info:
        d.connect("c", "a")
    assert info.value.node_id == "a"
    assert Link("c", "a") not in d.links
    assert d.topo_order() == ["i", "a", "c"]


def test_cycle_in_loaded_data_is_reported_not_crashing():
    d = Design()
    d.add_node("Add", node_id="a")
    d.add_node("Add", node_id="b")
    d.links.extend([Link("a", "b"), Link("b", "a")])  # bypassing connect on purpose
    result = d.analyze()
    assert isinstance(result.errors["a"], CycleError) and not result.ok
    with pytest.raises(CycleError):
        d.topo_order()


def test_remove_node_removes_links_and_disconnect():
    d = chain(("Dense", {}), ("Dense", {}))
    d.remove_node("dense1")
    assert all("dense1" not in (lk.src, lk.dst) for lk in d.links)
    d.disconnect("dense2", "output")
    with pytest.raises(LinkError):
        d.disconnect("dense2", "output")
    with pytest.raises(DesignError):
        d.remove_node("dense1")


def test_events():
    d = Design()
    events: list[DesignEvent] = []
    unsubscribe = d.subscribe(events.append)
    d.add_node("Input", {"shape": [2]}, node_id="i")
    d.add_node("Dense", node_id="f")
    d.connect("i", "f")
    d.set_params("f", units=3)
    d.set_params("f", units=3)  # no change, no event
    d.set_pos("f", (10, 20))
    with pytest.raises(ParamError):
        d.set_params("f", units=0)  # refused, no event
    d.disconnect("i", "f")
    d.connect("i", "f")
    d.remove_node("f")
    d.replace(get_template("mlp"))
    kinds = [e.kind for e in events]
    assert kinds == ["node_added", "node_added", "link_added", "params_changed", "node_moved",
                     "link_removed", "link_added", "link_removed", "node_removed", "replaced"]
    assert events[2].link == Link("i", "f")
    assert events[3].node_id == "f"
    assert d.name == "mlp" and "fc1" in d.nodes
    unsubscribe()
    unsubscribe()
    d.add_node("Dense")
    assert len(events) == 10


def test_analyze_is_cached_until_a_change():
    d = get_template("mlp")
    a = d.analyze()
    assert d.analyze() is a
    d.set_params("fc1", units=100)
    b = d.analyze()
    assert b is not a and b.param_counts["fc1"] == 784 * 100 + 100


def test_template_counts_and_shapes():
    mlp = get_template("mlp").check()
    assert mlp.total_params == 235_146
    assert mlp.shapes["fc1"] == (256,)
    cnn = get_template("cnn").check()
    assert cnn.param_counts == {"input": 0, "conv1": 160, "pool1": 0, "conv2": 4640,
                                "pool2": 0, "flatten": 0, "fc1": 200_832, "fc2": 1290,
                                "output": 0}
    assert cnn.total_params == 206_922
    assert cnn.shapes["pool2"] == (32, 7, 7) and cnn.shapes["flatten"] == (1568,)
    assert cnn.input_shapes["conv2"] == [(16, 14, 14)]
    assert cnn.memory_bytes > 4 * 4 * 206_922


def errors_of(d: Design) -> dict[str, str]:
    a = d.analyze()
    assert not a.ok
    with pytest.raises(DesignError):
        d.check()
    return {k: str(v) for k, v in a.errors.items()}


def test_dense_after_image_needs_flatten():
    d = chain(("Conv2D", {"filters": 16}), ("MaxPool2D", {}), ("Dense", {}), shape=(1, 28, 28))
    errs = errors_of(d)
    assert errs == {"dense1": "Dense 'dense1' needs a flat input but receives 16×14×14: "
                              "insert a Flatten before it"}
    assert isinstance(d.analyze().errors["dense1"], ShapeError)


def test_flat_input_into_conv_suggests_input_shape():
    d = chain(("Conv2D", {}), ("Flatten", {}), ("Dense", {}))
    assert errors_of(d)["conv1"].endswith("receives 784: set the Input shape to 1×28×28")
    d.set_params("input", shape=[3072])
    assert errors_of(d)["conv1"].endswith("set the Input shape to 3×32×32")
    d.set_params("input", shape=[10])
    assert "channels×height×width" in errors_of(d)["conv1"]


def test_conv_after_flatten_or_dense():
    d = chain(("Flatten", {}), ("Dropout", {}), ("Conv2D", {}), ("Flatten", {}), ("Dense", {}),
              shape=(1, 28, 28))
    assert "remove Flatten 'flatten1'" in errors_of(d)["conv1"]
    d = chain(("Dense", {}), ("MaxPool2D", {}), ("Flatten", {}), ("Dense", {}))
    assert "must come before any Flatten or Dense" in errors_of(d)["pool1"]


def test_pool_larger_than_image_and_kernel_larger_than_valid_input():
    d = chain(("MaxPool2D", {"pool_size": 4}), ("Flatten", {}), ("Dense", {}), shape=(1, 3, 3))
    assert errors_of(d)["pool1"] == ("MaxPool2D 'pool1' pools 4×4 but its input is only 3×3 "
                                     "(1×3×3): remove this pooling or use a smaller pool_size")
    d = chain(("Conv2D", {"kernel_size": 5, "padding": "valid"}), ("Flatten", {}),
              ("Dense", {}), shape=(1, 3, 3))
    assert "5×5 kernel is larger than its 3×3 input" in errors_of(d)["conv1"]
    # 'same' padding keeps the size, so it is fine
    d.set_params("conv1", padding="same")
    assert d.analyze().ok and d.analyze().shapes["conv1"] == (16, 3, 3)


def test_conv_and_pool_output_sizes():
    d = chain(("Conv2D", {"kernel_size": 3, "stride": 2, "padding": "valid"}),
              ("Conv2D", {"kernel_size": 5, "stride": 2, "padding": "same"}),
              ("MaxPool2D", {"pool_size": 3, "stride": 1}), ("Flatten", {}), ("Dense", {}),
              shape=(3, 28, 28))
    s = d.check().shapes
    assert s["conv1"] == (16, 13, 13) and s["conv2"] == (16, 7, 7) and s["pool1"] == (16, 5, 5)
    assert d.analyze().param_counts["conv1"] == 3 * 3 * 3 * 16 + 16


def merge_design(kind: str, a_shape: str, b_shape: str) -> Design:
    d = Design()
    d.add_node("Input", {"shape": [1, 8, 8]}, node_id="in")
    for name, spec in (("a", a_shape), ("b", b_shape)):
        if spec == "flat":
            d.add_node("Flatten", node_id=f"{name}0")
            d.connect("in", f"{name}0")
            d.add_node("Dense", {"units": 4}, node_id=name)
            d.connect(f"{name}0", name)
        else:
            filters, pool = spec.split("/")
            d.add_node("Conv2D", {"filters": int(filters)}, node_id=f"{name}0")
            d.connect("in", f"{name}0")
            d.add_node("MaxPool2D", {"pool_size": int(pool)}, node_id=name)
            d.connect(f"{name}0", name)
    d.add_node(kind, node_id="m")
    d.connect("a", "m")
    d.connect("b", "m")
    d.add_node("Flatten", node_id="f")
    d.connect("m", "f")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc")
    d.connect("f", "fc")
    d.add_node("Output", node_id="out")
    d.connect("fc", "out")
    return d


def test_merges():
    assert merge_design("Add", "8/2", "8/2").check().shapes["m"] == (8, 4, 4)
    assert merge_design("Concatenate", "8/2", "4/2").check().shapes["m"] == (12, 4, 4)
    assert merge_design("Concatenate", "flat", "flat").check().shapes["m"] == (8,)
    err = errors_of(merge_design("Add", "8/2", "4/2"))["m"]
    assert err.startswith("Add 'm' needs inputs of equal shape but receives 8×4×4 from 'a' "
                          "and 4×4×4 from 'b'")
    assert "same height×width" in errors_of(merge_design("Concatenate", "8/2", "8/1"))["m"]
    assert "insert a Flatten after 'b'" in errors_of(merge_design("Concatenate", "flat", "8/2"))[
        "m"]
    d = merge_design("Add", "8/2", "8/2")
    d.disconnect("b", "m")
    assert "joins 2 or more inputs but has only 1" in errors_of(d)["m"]


def test_missing_input_output_and_dangling_nodes():
    d = Design()
    a = d.analyze()
    assert not a.ok and a.design_errors
    d = get_template("mlp")
    d.remove_node("output")
    a = d.analyze()
    assert [str(e) for e in a.design_errors] == [
        "The design has no Output node: add an Output after the last layer"]
    assert "leads nowhere" in str(a.errors["fc3"])
    d = get_template("mlp")
    d.remove_node("input")
    a = d.analyze()
    assert "no Input node" in str(a.design_errors[0])
    assert str(a.errors["fc1"]) == "Dense 'fc1' has no input: connect a layer into it"
    assert a.shapes["fc2"] is None and "fc2" not in a.errors
    d = get_template("mlp")
    d.add_node("Input", {"shape": [784]}, node_id="extra")
    d.add_node("Dense", node_id="island")
    errs = d.analyze()
    assert "2 Input nodes ('input', 'extra')" in str(errs.design_errors[0])
    assert "not connected" in str(errs.errors["extra"])
    assert "has no input" in str(errs.errors["island"])
    assert d.analyze().first_error() is errs.design_errors[0]


def test_output_loss_needs_flat_scores():
    d = chain(("Dense", {"units": 1, "activation": "sigmoid"}))
    assert "cross_entropy" in errors_of(d)["output"]
    d.set_params("output", loss="binary_cross_entropy")
    assert d.analyze().ok
    d = chain(("Conv2D", {}), shape=(1, 4, 4))
    assert "insert a Flatten and a Dense before it" in errors_of(d)["output"]


def test_json_round_trip(tmp_path):
    for name in ("mlp", "cnn", "lenet"):
        d = get_template(name)
        d.set_pos("fc1", (12.5, -3))
        again = design_from_json(design_to_json(d))
        assert design_to_dict(again) == design_to_dict(d)
        assert again.nodes["fc1"].pos == (12.5, -3.0)
        assert list(again.nodes) == list(d.nodes) and again.links == d.links
        path = tmp_path / f"{name}.json"
        save_design(d, path)
        assert design_to_dict(load_design(path)) == design_to_dict(d)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    d = merge_design("Concatenate", "8/2", "4/2")
    assert design_from_dict(json.loads(design_to_json(d))).links == d.links
    assert design_to_dict(d.copy()) == design_to_dict(d)


@pytest.mark.parametrize("text, words", [
    ("{nope", "invalid JSON"),
    ("[1, 2]", "not an nnstudio design"),
    ('{"format": "other", "nodes": []}', "format 'other'"),
    ('{"version": 99, "nodes": []}', "newer nnstudio"),
    ('{"nodes": [{"id": "a"}]}', "no 'id' or 'kind'"),
    ('{"nodes": [{"id": "a", "kind": "Dense", "params": {"units": 0}}]}', "Dense 'a' units"),
    ('{"nodes": [{"id": "a", "kind": "Blob"}]}', "not a layer kind"),
    ('{"nodes": [], "links": [["a", "b"]]}', "no node 'a'"),
    ('{"nodes": [], "links": [5]}', "Bad link"),
])
def test_bad_json_is_a_design_error(text, words):
    with pytest.raises(DesignError, match=words):
        design_from_json(text)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(DesignError, match="does not exist"):
        load_design(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DesignError, match="bad.json: This is not a design file"):
        load_design(bad)
