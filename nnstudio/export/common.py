"""What every export target shares: the graph in order, safe names, errors and results.

A model is exported from its compiled :class:`~nnstudio.core.network.Network` (design +
weights). :func:`graph_steps` walks the design in topological order and gives each target
the same view of it: per node its kind, parameters, inputs, output shape and weights.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio import __version__
from nnstudio.core.design import DesignError, design_to_dict

__all__ = [
    "PARITY_TOLERANCE", "TARGETS", "ExportError", "ExportResult", "Step", "graph_steps",
    "check_source", "data_literal", "head_is_fused", "model_facts", "parity_inputs",
    "preprocessing", "python_names",
]

#: Export targets, as the command line names them.
TARGETS = ("onnx", "pytorch", "numpy")
#: Largest absolute difference between nnstudio's forward pass and an export's.
PARITY_TOLERANCE = 1e-5

# attribute names an nn.Module (torch 2.x) already has, and the names the generated code
# uses itself: a layer never takes one of them
_RESERVED = {
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
    "named_modules", "named_parameters", "parameters", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad", "scores", "x", "torch", "nn", "F", "self",
}
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9_]")


class ExportError(DesignError):
    """A model that cannot be exported to a target: names the layer and says why."""


@dataclass
class Step:
    """One node of the design, as the exporters see it.

    Attributes
    ----------
    id : the node id (the design's name for the layer).
    kind : layer kind (``"Dense"``, ``"Conv2D"``, ...).
    params : the node's complete parameters.
    inputs : ids of the nodes feeding it, in input order.
    shape : per-sample output shape, e.g. ``(16, 28, 28)``.
    in_shapes : per-sample shapes of its inputs.
    weights : ``{"W": array, "b": array}`` for Dense and Conv2D (nnstudio's layout:
        Dense ``W (F_in, units)``, Conv2D ``W (F, C, k, k)``), else empty.
    """

    id: str
    kind: str
    params: dict
    inputs: list[str]
    shape: tuple[int, ...]
    in_shapes: list[tuple[int, ...]]
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"Dense 'fc1'"``: how messages name the layer."""
        return f"{self.kind} '{self.id}'"

    @property
    def activation(self) -> str | None:
        """The activation the layer applies (Dense, Conv2D, Activation), else None."""
        if self.kind in ("Dense", "Conv2D"):
            return self.params["activation"]
        if self.kind == "Activation":
            return self.params["function"]
        return None

    @property
    def pad(self) -> int:
        """Zero padding per side of a Conv2D ('same': ``(k - 1) // 2``)."""
        return (self.params["kernel_size"] - 1) // 2 if self.params["padding"] == "same" else 0

    @property
    def pool_stride(self) -> int:
        """Stride of a MaxPool2D (its pool size when not set)."""
        return int(self.params["stride"] or self.params["pool_size"])


@dataclass
class ExportResult:
    """What an export wrote and how well it matches nnstudio.

    Attributes
    ----------
    target : ``"onnx"``, ``"pytorch"`` or ``"numpy"``.
    paths : files written.
    parity : check name -> max abs difference against nnstudio's forward pass, e.g.
        ``{"onnx.reference": 2.4e-7, "onnxruntime": 3.0e-7}``.
    skipped : check name -> why it did not run (e.g. torch not installed).
    renamed : layer id -> attribute name, for ids that are not Python names.
    seconds : time the export took, checks included.
    """

    target: str
    paths: list[Path]
    parity: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def max_diff(self) -> float:
        """The worst difference of all checks that ran (nan when none ran)."""
        return max(self.parity.values()) if self.parity else float("nan")


def graph_steps(network) -> list[Step]:
    """The design of ``network`` as a list of :class:`Step`, in topological order."""
    design = network.design
    shapes = design.analyze().shapes
    weights = network.get_weights()
    steps = []
    for nid in design.topo_order():
        node = design.nodes[nid]
        srcs = design.inputs_of(nid)
        w = {k: weights[f"{nid}/{k}"] for k in ("W", "b") if f"{nid}/{k}" in weights}
        steps.append(Step(nid, node.kind, dict(node.params), srcs, tuple(shapes[nid]),
                          [tuple(shapes[s]) for s in srcs], w))
    return steps


def head_is_fused(network) -> bool:
    """True when the layer before the Output ends in the activation its loss expects
    (softmax for cross_entropy, sigmoid for binary_cross_entropy), as the engine fuses."""
    design = network.design
    out = design.output_node
    want = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(
        out.params["loss"])
    srcs = design.inputs_of(out.id)
    if want is None or len(srcs) != 1:
        return False
    head = design.nodes[srcs[0]]
    act = head.params.get("activation", head.params.get("function"))
    return act == want and design.outputs_of(head.id) == [out.id]


def python_names(ids: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """A Python attribute name per layer id, made only of ASCII letters, digits and ``_``.

    Ids that already are usable names are kept; others are sanitised (``"conv 1"`` ->
    ``"conv_1"``, ``"2nd"`` -> ``"layer_2nd"``, ``"__init__"`` -> ``"layer__init__"``,
    ``"forward"`` -> ``"forward_"``) and made unique. A name never starts with ``_`` (an
    ``nn.Module`` keeps its own state in such attributes), is never a keyword and never an
    attribute an ``nn.Module`` already has.

    Returns
    -------
    (names, renamed) : every id -> its name, and only the ids that changed -> their name.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for nid in ids:
        name = _NOT_ASCII_NAME.sub("_", str(nid))
        if not name[:1].isalpha():
            name = f"layer{name}" if name.startswith("_") else f"layer_{name}"
        if keyword.iskeyword(name) or name in _RESERVED:
            name = f"{name}_"
        base, i = name, 2
        while name in used:
            name = f"{base}_{i}"
            i += 1
        if not name.isidentifier():  # cannot happen with the alphabet above
            raise ExportError(f"layer id {nid!r} gives no Python name")
        used.add(name)
        names[nid] = name
    return names, {k: v for k, v in names.items() if k != v}


def preprocessing(meta: dict, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """How inputs must be prepared for the model, as stored alongside every export.

    Images: MNIST framing, white ink on black, pixels 0..1. Tables: the column encoding
    (standardised numbers, one-hot text) when the model file holds it.
    """
    info: dict[str, Any] = {"input_shape": list(input_shape), "dtype": "float32"}
    size = math.prod(input_shape)
    if meta.get("columns"):
        info.update(kind="table", columns=meta["columns"])
    elif len(input_shape) == 3 or size in (784, 256):
        side = input_shape[-1] if len(input_shape) == 3 else math.isqrt(size)
        info.update(kind="image", pixels="0..1, white ink on black", image_size=side,
                    recipe=f"ink bounding box scaled to {round(20 * side / 28)} pixels, centre "
                    f"of mass at the centre of a {side}x{side} image (MNIST framing)")
    else:
        info.update(kind="values")
    return info


def parity_inputs(input_shape: tuple[int, ...], n: int = 16, seed: int = 0) -> np.ndarray:
    """A float32 batch ``(n, *input_shape)`` to compare exports with: pixels in 0..1 for
    images and image-sized flat inputs, standard normal values for other flat inputs."""
    rng = np.random.default_rng(seed)
    shape = (n, *input_shape)
    if len(input_shape) == 3 or math.prod(input_shape) in (784, 256):
        return rng.random(shape, dtype=np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def data_literal(value: object) -> str:
    """``value`` as the one Python literal through which generated code gets its data.

    The value is serialised to ASCII JSON and that text to a Python string literal by
    ``repr``; the generated code parses it with ``json.loads`` at run time. The literal is
    put into the code whole and never edited afterwards, so whatever text a name holds
    (quotes, backslashes, newlines, ``@META@``, right-to-left marks) stays data.

    Parameters
    ----------
    value : JSON-serialisable data (dicts, lists, strings, numbers).

    Returns
    -------
    str
        A single-line ASCII Python string literal.
    """
    text = repr(json.dumps(value, ensure_ascii=True))
    assert text.isascii() and "\n" not in text
    return text


def check_source(source: str, filename: str) -> None:
    """Compile a generated script; an error here is a bug in nnstudio, never the person's.

    Raises
    ------
    ExportError
        The script does not compile or holds a character outside ASCII.
    """
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        raise ExportError(f"The generated {filename} does not compile ({err})",
                          fix="this is a bug in nnstudio's exporter: please report it with "
                          "the model file") from None
    if not source.isascii():
        raise ExportError(f"The generated {filename} holds text that is not ASCII",
                          fix="this is a bug in nnstudio's exporter: please report it with "
                          "the model file")


def model_facts(network, meta: dict) -> dict[str, Any]:
    """Facts every export records: classes, task, loss, preprocessing, the design."""
    return {
        "producer": f"nnstudio {__version__}",
        "design_name": network.design.name,
        "classes": list(meta.get("classes") or []),
        "task": network.task,
        "loss": network.loss_name,
        "input_shape": list(network.input_shape),
        "output_shape": list(network.output_shape),
        "preprocessing": preprocessing(meta, tuple(network.input_shape)),
        "design": design_to_dict(network.design),
        "y_scaler": (meta.get("columns") or {}).get("y_scaler") or meta.get("y_scaler"),
    }
