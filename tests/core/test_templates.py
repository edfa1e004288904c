"""Built-in templates: names, structure, layout."""

from __future__ import annotations

import pytest

from nnstudio.core.templates import TEMPLATES, get_template


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_is_valid_and_laid_out(name):
    d = get_template(name)
    result = d.check()
    assert result.ok and d.name == name
    xs = [d.nodes[n].pos[0] for n in d.topo_order()]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert get_template(name) is not d  # a fresh design each call


def test_template_contents():
    assert set(TEMPLATES) == {"perceptron", "linear", "mlp", "cnn", "cnn16", "3v7", "lenet",
                              "playground"}
    p = get_template("perceptron")
    assert p.nodes["input"].params["shape"] == [2]
    assert p.nodes["neuron"].params == {"units": 1, "activation": "step"}
    assert p.output_node.params["loss"] == "binary_cross_entropy"  # two classes, one output
    lin = get_template("linear")
    assert lin.input_node.params["shape"] == [3]
    assert lin.analyze().total_params == 4
    mlp = get_template("mlp")
    assert [(n.kind, n.params.get("units")) for n in mlp.nodes.values()] == [
        ("Input", None), ("Dense", 256), ("Dense", 128), ("Dense", 10), ("Output", None)]
    assert mlp.nodes["fc3"].params["activation"] == "softmax"
    cnn = get_template("cnn")
    assert [n.kind for n in cnn.nodes.values()] == [
        "Input", "Conv2D", "MaxPool2D", "Conv2D", "MaxPool2D", "Flatten", "Dense", "Dense",
        "Output"]
    assert get_template("lenet").check().shapes["flatten"] == (400,)
    cnn16 = get_template("cnn16").check()
    assert cnn16.shapes["input"] == (1, 16, 16) and cnn16.shapes["flatten"] == (256,)
    assert get_template("cnn16").nodes["conv1"].params["kernel_size"] == 3
    assert get_template("3v7").check().shapes["fc1"] == (2,)
    assert get_template("playground").output_node.params["loss"] == "binary_cross_entropy"


def test_unknown_template_lists_names():
    with pytest.raises(KeyError, match="mlp"):
        get_template("resnet")
