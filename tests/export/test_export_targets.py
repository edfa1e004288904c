"""Every template and a hand-built DAG, exported to ONNX, PyTorch and NumPy, with parity."""

from __future__ import annotations

import ast
import json
import sys

import numpy as np
import pytest
from export_designs import DESIGNS, meta_for, network_for

from nnstudio.export.common import PARITY_TOLERANCE, ExportError, parity_inputs
from nnstudio.export.parity import export_model, verify
from nnstudio.export.pytorch import state_dict_arrays
from nnstudio.export.safetensors_io import read_safetensors


@pytest.mark.parametrize("name", DESIGNS)
def test_onnx_export_matches_nnstudio(name, tmp_path):
    onnx = pytest.importorskip("onnx")
    net = network_for(name)
    result = export_model(net, "onnx", tmp_path / "m.onnx", meta_for(net))
    assert result.parity["onnx.reference"] <= PARITY_TOLERANCE
    assert all(v <= PARITY_TOLERANCE for v in result.parity.values()), result.parity
    model = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["classes"]) == meta_for(net)["classes"]
    prep = json.loads(props["preprocessing"])
    assert prep["input_shape"] == list(net.input_shape)
    assert json.loads(props["nnstudio_design"])["name"] == net.design.name


def test_onnx_graph_reads_like_the_design(tmp_path):
    onnx = pytest.importorskip("onnx")
    net = network_for("dag")
    export_model(net, "onnx", tmp_path / "m.onnx", check=False)
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    ops = [n.op_type for n in graph.node]
    for op in ("Conv", "MaxPool", "Concat", "Tanh", "Flatten", "Dropout", "Sigmoid", "Add",
               "Gemm", "Softmax", "LeakyRelu", "Relu"):
        assert op in ops, op
    conv = next(n for n in graph.node if n.name == "conv 1")
    attrs = {a.name: list(a.ints) for a in conv.attribute}
    assert attrs["strides"] == [2, 2] and attrs["pads"] == [0, 0, 0, 0]
    # a Dense named 'input' must not take the graph input's name
    assert [i.name for i in graph.input] == ["input"]
    assert "input/y" in {o for n in graph.node for o in n.output}


def test_step_activation_exports_as_a_threshold(tmp_path):
    pytest.importorskip("onnx")
    net = network_for("perceptron")
    x = np.array([[1.0, -2.0], [-1.0, 0.5], [0.3, 0.3]], np.float32)
    export_model(net, "onnx", tmp_path / "p.onnx")
    from onnx.reference import ReferenceEvaluator

    got = ReferenceEvaluator(str(tmp_path / "p.onnx")).run(None, {"input": x})[0]
    assert set(np.unique(got)) <= {0.0, 1.0}
    np.testing.assert_array_equal(got, net.forward(x))


@pytest.mark.parametrize("name", DESIGNS)
def test_numpy_export_matches_nnstudio(name, tmp_path):
    net = network_for(name)
    result = export_model(net, "numpy", tmp_path / "np", meta_for(net))
    assert result.parity["numpy"] <= PARITY_TOLERANCE
    source = (tmp_path / "np" / "predict.py").read_text()
    imported = {n.names[0].name.split(".")[0] for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.Import)}
    imported |= {n.module.split(".")[0] for n in ast.walk(ast.parse(source))
                 if isinstance(n, ast.ImportFrom) and n.module}
    assert imported - set(sys.stdlib_module_names) == {"numpy"}, imported


@pytest.mark.parametrize("name", DESIGNS)
def test_pytorch_export_matches_nnstudio(name, tmp_path):
    net = network_for(name)
    result = export_model(net, "pytorch", tmp_path / "pt", meta_for(net))
    for f in ("model.py", "model.safetensors", "train.py"):
        ast.parse((tmp_path / "pt" / f).read_text() if f.endswith(".py") else "")
    tensors, meta = read_safetensors(tmp_path / "pt" / "model.safetensors")
    assert meta["format"] == "pt"
    expected = state_dict_arrays(net)
    assert list(tensors) == list(expected)
    for k, v in expected.items():
        np.testing.assert_array_equal(tensors[k], v)
    pytest.importorskip("torch")
    assert result.parity["pytorch"] <= PARITY_TOLERANCE


def test_pytorch_module_is_named_after_the_design(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from nnstudio.export.pytorch import load_generated

    net = network_for("dag")
    result = export_model(net, "pytorch", tmp_path / "pt", meta_for(net))
    assert result.renamed == {"conv 1": "conv_1", "forward": "forward_", "2nd": "layer_2nd"}
    module = load_generated(tmp_path / "pt")
    model = module.Model()                              # no constructor arguments
    attrs = {name for name, _ in model.named_children()}
    assert {"conv_1", "forward_", "pool", "act", "flat", "drop", "input", "layer_2nd",
            "head"} <= attrs
    assert set(model.state_dict()) == set(state_dict_arrays(net))
    assert module.LAYER_IDS["conv_1"] == "conv 1"
    # forward takes nnstudio's layout and returns probabilities; the weights load without
    # the safetensors package too
    monkeypatch.setitem(sys.modules, "safetensors", None)
    model.load_state_dict(module.load_weights(tmp_path / "pt" / "model.safetensors"))
    model.eval()
    x = parity_inputs(net.input_shape, 4)
    with torch.no_grad():
        p = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(p, net.forward(x), atol=PARITY_TOLERANCE)


def test_parity_check_catches_a_wrong_export(tmp_path):
    net = network_for("mlp")
    export_model(net, "numpy", tmp_path / "np")
    weights = dict(np.load(tmp_path / "np" / "weights.npz"))
    weights["fc2/b"] = weights["fc2/b"] + 1e-3              # a small, wrong change
    np.savez(tmp_path / "np" / "weights.npz", **weights)
    diffs, _ = verify("numpy", tmp_path / "np", net)
    assert diffs["numpy"] > PARITY_TOLERANCE


def test_a_layer_without_a_form_is_named(tmp_path, monkeypatch):
    from nnstudio.export import common, numpy_predict

    real = common.graph_steps

    def with_unknown(network):
        steps = real(network)
        steps[1].kind = "Attention"
        return steps

    monkeypatch.setattr(numpy_predict, "graph_steps", with_unknown)
    with pytest.raises(ExportError) as info:
        export_model(network_for("mlp"), "numpy", tmp_path / "np")
    assert "'fc1'" in str(info.value) and "Attention" in str(info.value)
    assert info.value.node_id == "fc1"


def test_bad_targets_and_paths_are_refused(tmp_path):
    net = network_for("linear")
    with pytest.raises(ExportError, match="not an export target"):
        export_model(net, "tflite", tmp_path / "x")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_model(net, "pytorch", tmp_path / "file")
    with pytest.raises(ExportError, match="is a folder"):
        pytest.importorskip("onnx")
        export_model(net, "onnx", tmp_path)
