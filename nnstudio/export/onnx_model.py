"""Export to ONNX (opset 17), built with the ``onnx`` helper API, and check its parity.

Every node becomes standard ONNX operators: Dense -> ``Gemm`` (nnstudio's ``W (F_in,
units)`` is Gemm's B as it is), Conv2D -> ``Conv`` with symmetric ``pads``, MaxPool2D ->
``MaxPool`` (floor), Flatten -> ``Flatten(axis=1)``, Dropout -> ``Dropout`` (inference:
identity), Add -> ``Add``, Concatenate -> ``Concat(axis=1)``, and the activations ``Relu``,
``LeakyRelu(0.01)``, ``Sigmoid``, ``Tanh``, ``Softmax(axis=1)``; step is
``Cast(Greater(z, 0))``. Tensor names are the design's node ids, so the graph reads
like the diagram in Netron. Class names, the input preprocessing and the design go into
``metadata_props``. Needs the optional ``onnx`` package (``pip install nnstudio[export]``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .common import ExportError, Step, graph_steps, model_facts

__all__ = ["OPSET", "build_onnx", "check_onnx", "export_onnx"]

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError("ONNX export needs the 'onnx' package",
                          fix="install it with: pip install 'nnstudio[export]'") from None
    return onnx


def _activation(helper, nodes: list, name: str, src: str, dst: str, step: Step,
                initializers: list) -> None:
    """Append the nodes applying ``step``'s activation ``name`` to ``src``, giving ``dst``."""
    if name == "linear":
        nodes.append(helper.make_node("Identity", [src], [dst], name=f"{step.id}/linear"))
    elif name == "relu":
        nodes.append(helper.make_node("Relu", [src], [dst], name=f"{step.id}/relu"))
    elif name == "leaky_relu":
        nodes.append(helper.make_node("LeakyRelu", [src], [dst], alpha=0.01,
                                      name=f"{step.id}/leaky_relu"))
    elif name == "sigmoid":
        nodes.append(helper.make_node("Sigmoid", [src], [dst], name=f"{step.id}/sigmoid"))
    elif name == "tanh":
        nodes.append(helper.make_node("Tanh", [src], [dst], name=f"{step.id}/tanh"))
    elif name == "softmax":
        nodes.append(helper.make_node("Softmax", [src], [dst], axis=1,
                                      name=f"{step.id}/softmax"))
    elif name == "step":
        zero = f"{step.id}/zero"
        initializers.append(_tensor(zero, np.zeros((), np.float32)))
        fired = f"{step.id}/fired"
        nodes.append(helper.make_node("Greater", [src, zero], [fired],
                                      name=f"{step.id}/step"))
        nodes.append(helper.make_node("Cast", [fired], [dst], to=1, name=f"{step.id}/cast"))
    else:
        raise ExportError(f"{step.label} uses the activation '{name}', which has no ONNX "
                          "operator here", step.id, "choose another activation")


def _tensor(name: str, value: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array(value, dtype=np.float32, order="C"), name)


def _convert(helper, step: Step, names: dict[str, str], nodes: list, inits: list) -> str:
    """Append the ONNX nodes of one design node; returns the name of its output tensor."""
    x = [names[s] for s in step.inputs]
    # a layer's tensor is named by its id; internal tensors use '/', which ids cannot hold
    out = step.id if step.id not in (INPUT_NAME, OUTPUT_NAME) else f"{step.id}/y"
    kind = step.kind
    if kind == "Input":
        return INPUT_NAME
    if kind in ("Dense", "Conv2D"):
        w, b = f"{step.id}/W", f"{step.id}/b"
        inits += [_tensor(w, step.weights["W"]), _tensor(b, step.weights["b"])]
        pre = f"{step.id}/z"
        if kind == "Dense":
            nodes.append(helper.make_node("Gemm", [x[0], w, b], [pre], name=step.id))
        else:
            k, p, s = step.params["kernel_size"], step.pad, step.params["stride"]
            nodes.append(helper.make_node("Conv", [x[0], w, b], [pre], name=step.id,
                                          kernel_shape=[k, k], strides=[s, s],
                                          pads=[p, p, p, p]))
        _activation(helper, nodes, step.activation, pre, out, step, inits)
    elif kind == "MaxPool2D":
        k, s = step.params["pool_size"], step.pool_stride
        nodes.append(helper.make_node("MaxPool", x, [out], name=step.id, kernel_shape=[k, k],
                                      strides=[s, s]))
    elif kind == "Flatten":
        nodes.append(helper.make_node("Flatten", x, [out], name=step.id, axis=1))
    elif kind == "Dropout":
        ratio = f"{step.id}/ratio"
        inits.append(_tensor(ratio, np.array(step.params["rate"], np.float32)))
        nodes.append(helper.make_node("Dropout", [x[0], ratio], [out], name=step.id))
    elif kind == "Activation":
        _activation(helper, nodes, step.activation, x[0], out, step, inits)
    elif kind == "Add":
        acc = x[0]
        for i, other in enumerate(x[1:], start=1):
            dst = out if i == len(x) - 1 else f"{step.id}/sum{i}"
            nodes.append(helper.make_node("Add", [acc, other], [dst], name=f"{step.id}/{i}"))
            acc = dst
    elif kind == "Concatenate":
        nodes.append(helper.make_node("Concat", x, [out], name=step.id, axis=1))
    elif kind == "Output":
        nodes.append(helper.make_node("Identity", x, [OUTPUT_NAME], name=step.id))
        return OUTPUT_NAME
    else:
        raise ExportError(f"{step.label} cannot be exported to ONNX: nnstudio has no ONNX "
                          f"form for the layer kind '{kind}'", step.id,
                          "replace it by layers of the kinds Dense, Conv2D, MaxPool2D, "
                          "Flatten, Dropout, Activation, Add or Concatenate")
    return out


def build_onnx(network, meta: dict | None = None):
    """The ONNX ``ModelProto`` of ``network``.

    Parameters
    ----------
    network : Network
    meta : dict, optional
        The model file's facts (class names, image size, column encoding).

    Returns
    -------
    onnx.ModelProto
        Input ``input (N, *input_shape)`` float32, output ``output (N, *output_shape)``.

    Raises
    ------
    ExportError
        A layer without an ONNX form (named), or the ``onnx`` package missing.
    """
    onnx = _onnx()
    helper = onnx.helper
    facts = model_facts(network, meta or {})
    names: dict[str, str] = {}
    nodes: list = []
    inits: list = []
    for step in graph_steps(network):
        names[step.id] = _convert(helper, step, names, nodes, inits)
    float_t = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, network.design.name or "nnstudio",
        [helper.make_tensor_value_info(INPUT_NAME, float_t, ["N", *network.input_shape])],
        [helper.make_tensor_value_info(OUTPUT_NAME, float_t, ["N", *network.output_shape])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="nnstudio",
                              producer_version=facts["producer"].split()[-1],
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = min(model.ir_version, 8)      # readable by older runtimes too
    model.doc_string = (f"nnstudio design '{network.design.name}': input {INPUT_NAME} "
                        f"{facts['input_shape']}, output {OUTPUT_NAME} "
                        f"{facts['output_shape']} ({network.task})")
    props = {
        "classes": json.dumps(facts["classes"]),
        "task": facts["task"],
        "loss": facts["loss"],
        "preprocessing": json.dumps(facts["preprocessing"]),
        "nnstudio_design": json.dumps(facts["design"]),
    }
    if facts["y_scaler"]:
        props["target_scaler"] = json.dumps(facts["y_scaler"])
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    return model


def check_onnx(path: str | Path, x: np.ndarray, expected: np.ndarray
               ) -> tuple[dict[str, float], dict[str, str]]:
    """Run the ONNX file on ``x`` with the reference evaluator (and onnxruntime when it is
    installed); returns the max abs difference to ``expected`` per runtime, and the
    runtimes skipped with the reason."""
    onnx = _onnx()
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    diffs: dict[str, float] = {}
    skipped: dict[str, str] = {}
    got = ReferenceEvaluator(model).run(None, {INPUT_NAME: x})[0]
    diffs["onnx.reference"] = float(np.max(np.abs(got - expected)))
    try:
        import onnxruntime as ort
    except ImportError:
        skipped["onnxruntime"] = "onnxruntime is not installed"
    else:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = session.run(None, {INPUT_NAME: x})[0]
        diffs["onnxruntime"] = float(np.max(np.abs(got - expected)))
    return diffs, skipped


def export_onnx(network, out: str | Path, meta: dict | None = None) -> list[Path]:
    """Write ``network`` as an ONNX file ``out``; returns the paths written."""
    from nnstudio.fileio import atomic_write

    model = build_onnx(network, meta)
    out = Path(out)
    data = model.SerializeToString()
    atomic_write(out, lambda fh: fh.write(data))
    return [out]
