"""Shape inference and validation of a design: what flows on every link, and what cannot work.

:func:`analyze_design` walks a :class:`~nnstudio.core.design.model.Design` in topological
order and works out each node's output shape and parameter count, collecting a typed,
person-readable :class:`~nnstudio.core.design.errors.DesignError` per node that cannot work
(with the fix to apply), and whether training it would fit in memory
(:func:`~nnstudio.limits.memory_limit`). It never raises; ``Design.analyze()`` calls it
and caches the result until the next edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isqrt, prod
from typing import Protocol

from nnstudio.core.design.errors import (
    CycleError,
    DesignError,
    LinkError,
    ParamError,
    ShapeError,
)
from nnstudio.core.design.nodes import Link, Node, topological_order
from nnstudio.core.design.params import MERGE_KINDS, format_shape
from nnstudio.limits import format_bytes, memory_limit

__all__ = ["Analysis", "DesignGraph", "analyze_design", "training_bytes"]


class DesignGraph(Protocol):
    """What the analysis reads of a design: its nodes by id and its links
    (:class:`~nnstudio.core.design.model.Design` is one)."""

    @property
    def nodes(self) -> dict[str, Node]: ...

    @property
    def links(self) -> list[Link]: ...


@dataclass
class Analysis:
    """The result of :meth:`Design.analyze`: everything the editor shows about a design.

    Attributes
    ----------
    shapes : dict
        Output shape per node id, ``None`` where it cannot be known.
    input_shapes : dict
        Shapes arriving at each node, in input order.
    param_counts : dict
        Trainable parameters per node id.
    errors : dict
        The first problem per node id.
    design_errors : list
        Problems of the whole design (no Input, no Output, ...).
    total_params : int
        Sum of ``param_counts``.
    memory_bytes : int
        Training memory estimate for one sample with Adam, float32: parameters, their
        gradients and two optimizer moments (4 numbers per parameter), plus every node's
        output and its gradient. Multiply the activation part by the batch size for a
        batch; see :meth:`Design.memory_estimate`.
    ok : bool
        True when there are no errors and every shape is known.
    """

    shapes: dict[str, tuple[int, ...] | None] = field(default_factory=dict)
    input_shapes: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    param_counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, DesignError] = field(default_factory=dict)
    design_errors: list[DesignError] = field(default_factory=list)
    total_params: int = 0
    memory_bytes: int = 0
    ok: bool = False
    activation_values: int = 0

    def first_error(self) -> DesignError | None:
        """The error to show first: design-wide errors, then node errors in order."""
        if self.design_errors:
            return self.design_errors[0]
        return next(iter(self.errors.values()), None)

    def all_errors(self) -> list[DesignError]:
        """Every error, design-wide first."""
        return [*self.design_errors, *self.errors.values()]



def _suggest_image_shape(n: int) -> list[int] | None:
    """A channels×height×width with square images for ``n`` flat values, if there is one."""
    for c in (1, 3):
        if n % c == 0 and isqrt(n // c) ** 2 == n // c:
            return [c, isqrt(n // c), isqrt(n // c)]
    return None


def _image_fix(design: DesignGraph, nid: str, shape: tuple[int, ...],
               inputs: dict[str, list[str]]) -> str:
    """How to give ``nid`` an image instead of the flat ``shape`` it receives."""
    cur = inputs[nid][0]
    while True:
        node = design.nodes[cur]
        if node.kind == "Input":
            guess = _suggest_image_shape(shape[0])
            if guess:
                return f"set the Input shape to {format_shape(guess)}"
            return "set the Input shape to channels×height×width (e.g. 1×28×28)"
        srcs = inputs[cur]
        if node.kind == "Flatten" and len(srcs) == 1:
            return f"remove Flatten '{cur}' (image layers must come before any Flatten)"
        if node.kind not in ("Dropout", "Activation") or len(srcs) != 1:
            return "image layers (Conv2D, MaxPool2D) must come before any Flatten or Dense"
        cur = srcs[0]


def _infer(design: DesignGraph, node: Node, srcs: list[str], shapes: list[tuple[int, ...] | None],
           inputs: dict[str, list[str]]) -> tuple[tuple[int, ...] | None, int]:
    """Output shape and parameter count of one node; raises DesignError on a problem."""
    kind, p, nid = node.kind, node.params, node.id
    name = f"{kind} '{nid}'"
    if kind == "Input":
        return tuple(p["shape"]), 0
    if not srcs:
        raise LinkError(f"{name} has no input", nid, "connect a layer into it")
    if kind in MERGE_KINDS and len(srcs) < 2:
        raise LinkError(f"{name} joins 2 or more inputs but has only 1", nid,
                        "connect another layer into it, or delete it")
    if any(s is None for s in shapes):
        return None, 0
    x = shapes[0]
    assert x is not None
    if kind == "Dense":
        if len(x) != 1:
            raise ShapeError(f"{name} needs a flat input but receives {format_shape(x)}", nid,
                             "insert a Flatten before it")
        return (p["units"],), x[0] * p["units"] + p["units"]
    if kind in ("Conv2D", "MaxPool2D"):
        if len(x) != 3:
            raise ShapeError(f"{name} needs an image input (channels×height×width) but "
                             f"receives {format_shape(x)}", nid,
                             _image_fix(design, nid, x, inputs))
        c, h, w = x
        if kind == "Conv2D":
            k, s = p["kernel_size"], p["stride"]
            if p["padding"] == "valid":
                if k > h or k > w:
                    raise ShapeError(
                        f"{name}'s {k}×{k} kernel is larger than its {h}×{w} input", nid,
                        "use a smaller kernel_size or padding 'same'")
                oh, ow = (h - k) // s + 1, (w - k) // s + 1
            else:
                oh, ow = -(-h // s), -(-w // s)
            return (p["filters"], oh, ow), k * k * c * p["filters"] + p["filters"]
        k = p["pool_size"]
        s = p["stride"] or k
        if k > h or k > w:
            raise ShapeError(f"{name} pools {k}×{k} but its input is only {h}×{w} "
                             f"({format_shape(x)})", nid,
                             "remove this pooling or use a smaller pool_size")
        return (c, (h - k) // s + 1, (w - k) // s + 1), 0
    if kind == "Flatten":
        return (prod(x),), 0
    if kind in ("Dropout", "Activation"):
        return x, 0
    if kind == "Add":
        if any(s != x for s in shapes):
            got = " and ".join(f"{format_shape(s)} from '{src}'" for src, s in zip(srcs, shapes,
                                                                                     strict=True))
            raise ShapeError(f"{name} needs inputs of equal shape but receives {got}", nid,
                             "make the branches match (e.g. the same units or filters) "
                             "or use a Concatenate")
        return x, 0
    if kind == "Concatenate":
        got = " and ".join(f"{format_shape(s)} from '{src}'" for src, s in zip(srcs, shapes,
                                                                                 strict=True))
        if all(len(s) == 1 for s in shapes):
            return (sum(s[0] for s in shapes),), 0
        if all(len(s) == 3 for s in shapes):
            if any(s[1:] != x[1:] for s in shapes):
                raise ShapeError(f"{name} needs images of the same height×width but receives "
                                 f"{got}", nid, "pool the branches alike, or Flatten each "
                                 "branch before joining")
            return (sum(s[0] for s in shapes), x[1], x[2]), 0
        flat_src = next(src for src, s in zip(srcs, shapes, strict=True) if len(s) == 3)
        raise ShapeError(f"{name} cannot join flat and image inputs ({got})", nid,
                         f"insert a Flatten after '{flat_src}'")
    if kind == "Output":
        if len(x) != 1:
            raise ShapeError(f"{name} needs a flat input but receives {format_shape(x)}", nid,
                             "insert a Flatten and a Dense before it")
        if p["loss"] == "cross_entropy" and x[0] < 2:
            raise ShapeError(f"{name} uses cross_entropy, which needs one score per class "
                             f"(2 or more) but receives {x[0]}", nid,
                             "give the last Dense one unit per class, or use the "
                             "binary_cross_entropy or mse loss")
        return x, 0
    raise ParamError(f"'{kind}' is not a layer kind", nid)  # pragma: no cover


def training_bytes(params: int, activations: int, batch_size: int = 1,
                   per_param: int = 4) -> int:
    """Training memory in bytes (float32): ``per_param`` numbers per parameter (value,
    gradient and two Adam moments) and every node's output and gradient per sample."""
    return 4 * (per_param * params + 2 * batch_size * activations)


def analyze_design(design: DesignGraph) -> Analysis:
    """Shape inference and validation of a whole design (see :meth:`Design.analyze`)."""
    res = Analysis()
    nodes = design.nodes
    inputs: dict[str, list[str]] = {n: [] for n in nodes}
    outputs: dict[str, list[str]] = {n: [] for n in nodes}
    for lk in design.links:
        if lk.src in nodes and lk.dst in nodes:
            inputs[lk.dst].append(lk.src)
            outputs[lk.src].append(lk.dst)

    for kind, fix in (("Input", "add an Input and connect it to the first layer"),
                      ("Output", "add an Output after the last layer")):
        found = [n.id for n in nodes.values() if n.kind == kind]
        if not found:
            res.design_errors.append(DesignError(f"The design has no {kind} node", None, fix))
        elif len(found) > 1:
            names = ", ".join(f"'{f}'" for f in found)
            res.design_errors.append(DesignError(
                f"The design has {len(found)} {kind} nodes ({names})", found[1],
                f"keep exactly one {kind}"))

    order, stuck = topological_order(nodes, design.links)
    shapes = res.shapes
    for nid in order:
        node = nodes[nid]
        srcs = inputs[nid]
        in_shapes = [shapes.get(s) for s in srcs]
        res.input_shapes[nid] = [s for s in in_shapes if s is not None]
        try:
            shape, count = _infer(design, node, srcs, in_shapes, inputs)
        except DesignError as err:
            res.errors[nid] = err
            shape, count = None, 0
        shapes[nid] = shape
        res.param_counts[nid] = count
        if nid not in res.errors and node.kind != "Output" and not outputs[nid]:
            if node.kind == "Input":
                res.errors[nid] = LinkError(f"Input '{nid}' is not connected", nid,
                                            "connect it to the first layer")
            else:
                res.errors[nid] = LinkError(f"{node.kind} '{nid}' leads nowhere", nid,
                                            "connect it to the next layer or the Output, "
                                            "or delete it")
    for nid in stuck:
        shapes[nid] = None
        res.input_shapes[nid] = []
        res.param_counts[nid] = 0
        res.errors[nid] = CycleError(f"{nodes[nid].kind} '{nid}' is part of a loop", nid,
                                     "remove one of the links in the loop")

    res.total_params = sum(res.param_counts.values())
    res.activation_values = sum(prod(s) for s in shapes.values() if s is not None)
    res.memory_bytes = training_bytes(res.total_params, res.activation_values)
    limit = memory_limit()
    if res.memory_bytes > limit:
        biggest = max(res.param_counts, key=lambda n: res.param_counts[n], default=None)
        res.design_errors.append(DesignError(
            f"The design needs {format_bytes(res.memory_bytes)} of memory to train, limit "
            f"{format_bytes(limit)} ({res.total_params:,} parameters)", biggest,
            "use fewer units or filters, or a smaller Input"))
    res.ok = (bool(nodes) and not res.errors and not res.design_errors
              and all(s is not None for s in shapes.values()))
    return res
