"""The network design: layer nodes joined by links, with validation and shape inference.

A :class:`Design` is a plain Python object (no Qt, no NumPy arrays) that the diagram editor
edits and observes, the :class:`~nnstudio.core.network.Network` compiles, and model files store
as JSON. Every change is validated *before* it is made and raises a typed, person-readable
:class:`DesignError` naming the node and the fix. Problems that depend on the whole graph
(shapes, dangling nodes, missing Input/Output) never refuse an edit; they are reported by
:meth:`Design.analyze` per node (shape inference lives in :mod:`nnstudio.core.shapes`), so the
editor can draw them.

Shapes are per-sample tuples without the batch dimension; images are channels-first
``(C, H, W)``; flat vectors are ``(n,)``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from math import isfinite
from pathlib import Path
from typing import Any

from nnstudio.fileio import atomic_write

__all__ = [
    "ACTIVATIONS", "DEFAULT_PARAMS", "LAYER_KINDS", "LOSSES", "Analysis", "CycleError",
    "Design", "DesignError", "DesignEvent", "Link", "LinkError", "Node", "ParamError",
    "ShapeError", "format_shape", "parse_shape", "validate_params",
]

FORMAT = "nnstudio-design"
FORMAT_VERSION = 1

#: Prefix of automatic node ids, e.g. ``dense1``, ``conv2``.
ID_PREFIX = {
    "Input": "input", "Dense": "dense", "Conv2D": "conv", "MaxPool2D": "pool",
    "Flatten": "flatten", "Dropout": "dropout", "Activation": "act", "Add": "add",
    "Concatenate": "concat", "Output": "output",
}
MERGE_KINDS = ("Add", "Concatenate")
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,63}$")


LAYER_KINDS = ("Input", "Dense", "Conv2D", "MaxPool2D", "Flatten", "Dropout",
               "Activation", "Add", "Concatenate", "Output")
ACTIVATIONS = ("step", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
LOSSES = ("cross_entropy", "mse", "binary_cross_entropy")
PADDINGS = ("same", "valid")

#: Default parameters per layer kind; :func:`validate_params` fills these in.
DEFAULT_PARAMS: dict[str, dict] = {
    "Input": {"shape": [1, 28, 28]},
    "Dense": {"units": 10, "activation": "relu"},
    "Conv2D": {"filters": 16, "kernel_size": 3, "stride": 1, "padding": "same",
               "activation": "relu"},
    "MaxPool2D": {"pool_size": 2, "stride": None},
    "Flatten": {},
    "Dropout": {"rate": 0.5},
    "Activation": {"function": "relu"},
    "Add": {},
    "Concatenate": {},
    "Output": {"loss": "cross_entropy"},
}


class DesignError(ValueError):
    """A problem with a design, in words a person can act on.

    Parameters
    ----------
    message : str
        What is wrong, naming the node, e.g. ``"Dense 'fc1' needs a flat input but
        receives 16×14×14"``.
    node_id : str, optional
        The node the problem belongs to (the editor marks it).
    fix : str, optional
        What to do, e.g. ``"insert a Flatten before it"``.

    ``str(err)`` is the full sentence ``"message: fix"``.
    """

    def __init__(self, message: str, node_id: str | None = None, fix: str | None = None):
        self.message = message
        self.node_id = node_id
        self.fix = fix
        super().__init__(f"{message}: {fix}" if fix else message)


class ParamError(DesignError):
    """A bad layer parameter, e.g. ``units must be a whole number >= 1``."""


class ShapeError(DesignError):
    """A layer receives an input of a shape it cannot take."""


class CycleError(DesignError):
    """A link would close a loop; designs must be acyclic."""


class LinkError(DesignError):
    """A link that cannot exist: unknown node, self link, duplicate, into an Input, ..."""


def format_shape(shape: tuple[int, ...] | list[int] | None) -> str:
    """Shape text for people: ``(16, 28, 28)`` -> ``"16×28×28"``; ``None`` -> ``"?"``."""
    if shape is None:
        return "?"
    return "×".join(str(int(s)) for s in shape)


def parse_shape(text: str) -> list[int]:
    """Read a shape typed by a person: ``"1×28×28"``, ``"1x28x28"``, ``"1, 28, 28"``, ``"784"``.

    Raises
    ------
    ParamError
        When the text is not 1 or 3 positive whole numbers.
    """
    parts = [p for p in re.split(r"[×xX*,\s()\[\]]+", str(text).strip()) if p]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        shape = []
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise ParamError(f"'{text}' is not a shape",
                         fix="type one size like 784 or channels×height×width like 1×28×28")
    return shape


def _is_whole(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and isfinite(value) and float(value) == int(value))


def _whole(kind: str, name: str, value: Any, label: str, minimum: int = 1) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not _is_whole(value) or int(value) < minimum:
        raise ParamError(f"{label} {name} must be a whole number >= {minimum}, not {value!r}",
                         fix=f"set {name} to e.g. {DEFAULT_PARAMS[kind][name] or minimum}")
    return int(value)


def _choice(name: str, value: Any, options: tuple[str, ...], label: str) -> str:
    if not isinstance(value, str) or value not in options:
        raise ParamError(f"{label} {name} '{value}' is not known",
                         fix=f"choose one of {', '.join(options)}")
    return value


def validate_params(kind: str, params: dict | None = None, label: str | None = None) -> dict:
    """Complete ``params`` with the defaults of ``kind`` and check every value.

    ``label`` names the layer in messages (default: the kind), e.g. ``"Dense 'fc1'"``.

    Returns
    -------
    dict
        A new dict with every parameter of the kind, JSON-serialisable.

    Raises
    ------
    ParamError
        Unknown kind or parameter name, or a value out of range; the message says which
        values are allowed.
    """
    if kind not in DEFAULT_PARAMS:
        raise ParamError(f"'{kind}' is not a layer kind",
                         fix=f"choose one of {', '.join(LAYER_KINDS)}")
    label = label or kind
    params = dict(params or {})
    defaults = DEFAULT_PARAMS[kind]
    unknown = [k for k in params if k not in defaults]
    if unknown:
        known = ", ".join(defaults) if defaults else "none"
        raise ParamError(f"{label} has no parameter '{unknown[0]}'",
                         fix=f"its parameters are: {known}")
    p = {**defaults, **params}
    if kind == "Input":
        shape = p["shape"]
        if isinstance(shape, str):
            shape = parse_shape(shape)
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = [shape]
        if not isinstance(shape, (list, tuple)) or len(shape) not in (1, 3):
            raise ParamError(f"{label} shape {shape!r} must have 1 size (flat, like 784) or 3 "
                             "(channels×height×width, like 1×28×28)",
                             fix="set the shape to e.g. 784 or 1×28×28")
        p["shape"] = [_shape_dim(s) for s in shape]
    elif kind == "Dense":
        p["units"] = _whole(kind, "units", p["units"], label)
        p["activation"] = _choice("activation", p["activation"], ACTIVATIONS, label)
    elif kind == "Conv2D":
        p["filters"] = _whole(kind, "filters", p["filters"], label)
        k = _whole(kind, "kernel_size", p["kernel_size"], label)
        if k % 2 == 0:
            raise ParamError(f"{label} kernel_size must be odd (1, 3, 5, ...), not {k}",
                             fix=f"set kernel_size to {k + 1} or {k - 1}")
        p["kernel_size"] = k
        p["stride"] = _whole(kind, "stride", p["stride"], label)
        p["padding"] = _choice("padding", p["padding"], PADDINGS, label)
        p["activation"] = _choice("activation", p["activation"], ACTIVATIONS, label)
    elif kind == "MaxPool2D":
        p["pool_size"] = _whole(kind, "pool_size", p["pool_size"], label)
        if p["stride"] is not None:
            p["stride"] = _whole(kind, "stride", p["stride"], label)
    elif kind == "Dropout":
        rate = p["rate"]
        if (isinstance(rate, bool) or not isinstance(rate, (int, float))
                or not 0.0 <= float(rate) < 1.0):
            raise ParamError(f"{label} rate must be a number from 0 up to (not including) 1, "
                             f"not {rate!r}", fix="set rate to e.g. 0.5")
        p["rate"] = float(rate)
    elif kind == "Activation":
        p["function"] = _choice("function", p["function"], ACTIVATIONS, label)
    elif kind == "Output":
        p["loss"] = _choice("loss", p["loss"], LOSSES, label)
    return p


def _shape_dim(s: Any) -> int:
    if not _is_whole(s) or s < 1:
        raise ParamError(f"Input shape sizes must be whole numbers >= 1, not {s!r}",
                         fix="set the shape to e.g. 784 or 1×28×28")
    return int(s)

@dataclass
class Node:
    """One layer of a design.

    Attributes
    ----------
    id : str
        Unique, person-visible name such as ``"conv1"``.
    kind : str
        One of :data:`LAYER_KINDS`.
    params : dict
        Complete parameters (defaults filled in), JSON-serialisable. Change them only
        through :meth:`Design.set_params`.
    pos : tuple of float
        Position in the editor.
    """

    id: str
    kind: str
    params: dict
    pos: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Link:
    """A connection from node ``src`` to node ``dst`` (the order of links into a node is
    the input order, which matters for Concatenate)."""

    src: str
    dst: str


@dataclass(frozen=True)
class DesignEvent:
    """What changed in a design; sent to subscribers after every successful change.

    ``kind`` is one of ``node_added``, ``node_removed``, ``link_added``, ``link_removed``,
    ``params_changed``, ``node_moved``, ``replaced``.
    """

    kind: str
    node_id: str | None = None
    link: Link | None = None


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


def _write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


class Design:
    """A network design: nodes and links, observable, validated before every change.

    Parameters
    ----------
    name : str
        Person-visible name of the design.
    """

    def __init__(self, name: str = "untitled") -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.links: list[Link] = []
        self._listeners: list[Callable[[DesignEvent], None]] = []
        self._cache: Analysis | None = None

    # ------------------------------------------------------------------ observers
    def subscribe(self, callback: Callable[[DesignEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every successful change; returns an unsubscriber."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def _changed(self, event: DesignEvent) -> None:
        self._cache = None
        for callback in list(self._listeners):
            callback(event)

    # ------------------------------------------------------------------ edits
    def _node(self, node_id: str, what: type[DesignError] = LinkError) -> Node:
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise what(f"There is no node '{node_id}' in the design", node_id=None) from None

    def _new_id(self, kind: str) -> str:
        prefix = ID_PREFIX.get(kind, kind.lower())
        i = 1
        while f"{prefix}{i}" in self.nodes:
            i += 1
        return f"{prefix}{i}"

    def add_node(self, kind: str, params: dict | None = None, node_id: str | None = None,
                 pos: tuple[float, float] = (0.0, 0.0)) -> Node:
        """Add a layer; ``params`` are completed with defaults and validated first.

        Raises
        ------
        ParamError
            Unknown kind or bad parameter.
        DesignError
            ``node_id`` already used or not a valid name.
        """
        if node_id is None:
            node_id = self._new_id(kind)
        return self._add_checked(kind, params, node_id, pos)

    def _add_checked(self, kind: str, params: dict | None, node_id: str,
                     pos: tuple[float, float]) -> Node:
        self._check_id(node_id)
        label = f"{kind} '{node_id}'" if kind in DEFAULT_PARAMS else None
        try:
            full = validate_params(kind, params or {}, label=label)
        except ParamError as err:
            err.node_id = node_id
            raise
        node = Node(node_id, kind, full, (float(pos[0]), float(pos[1])))
        self.nodes[node_id] = node
        self._changed(DesignEvent("node_added", node_id))
        return node

    def _check_id(self, node_id: Any) -> None:
        if not isinstance(node_id, str) or not _ID_RE.match(node_id) or node_id != node_id.strip():
            raise DesignError(
                f"'{node_id}' is not a usable node name",
                fix="use 1 to 64 letters, digits, '_', '-', '.' or spaces (no '/')")
        if node_id in self.nodes:
            raise DesignError(f"There is already a node named '{node_id}'",
                              node_id=node_id, fix="choose another name")

    def remove_node(self, node_id: str) -> None:
        """Remove a node and every link touching it (links go first, each with an event)."""
        self._node(node_id, DesignError)
        for link in [lk for lk in self.links if node_id in (lk.src, lk.dst)]:
            self.links.remove(link)
            self._changed(DesignEvent("link_removed", None, link))
        del self.nodes[node_id]
        self._changed(DesignEvent("node_removed", node_id))

    def can_connect(self, src: str, dst: str) -> DesignError | None:
        """The error :meth:`connect` would raise, or ``None`` if the link is allowed."""
        try:
            self._check_link(src, dst)
        except DesignError as err:
            return err
        return None

    def _check_link(self, src: str, dst: str) -> None:
        a, b = self._node(src), self._node(dst)
        if src == dst:
            raise LinkError(f"{b.kind} '{dst}' cannot feed itself", node_id=dst,
                            fix="connect it to another layer")
        if Link(src, dst) in self.links:
            raise LinkError(f"'{src}' is already connected to '{dst}'", node_id=dst)
        if b.kind == "Input":
            raise LinkError(f"Input '{dst}' is where data enters: nothing can feed it",
                            node_id=dst, fix="connect the Input to the first layer instead")
        if a.kind == "Output":
            raise LinkError(f"Output '{src}' is the end of the network: nothing can follow it",
                            node_id=src, fix="connect the last layer into the Output instead")
        existing = self.inputs_of(dst)
        if b.kind not in MERGE_KINDS and existing:
            raise LinkError(
                f"{b.kind} '{dst}' already has an input ('{existing[0]}')", node_id=dst,
                fix="remove that link first, or join both with an Add or Concatenate")
        if self._reaches(dst, src):
            raise CycleError(
                f"Linking '{src}' to '{dst}' would make a loop ('{dst}' already leads to "
                f"'{src}')", node_id=dst, fix="designs must flow one way, from Input to Output")

    def _reaches(self, start: str, goal: str) -> bool:
        out: dict[str, list[str]] = {}
        for lk in self.links:
            out.setdefault(lk.src, []).append(lk.dst)
        stack, seen = [start], {start}
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            for m in out.get(n, ()):
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return False

    def connect(self, src: str, dst: str) -> Link:
        """Link ``src`` -> ``dst``; refuses (LinkError, CycleError) before changing anything.

        Shape problems do not refuse the link; :meth:`analyze` reports them on the node.
        """
        self._check_link(src, dst)
        link = Link(src, dst)
        self.links.append(link)
        self._changed(DesignEvent("link_added", dst, link))
        return link

    def disconnect(self, src: str, dst: str) -> None:
        """Remove the link ``src`` -> ``dst`` (LinkError if there is none)."""
        link = Link(src, dst)
        if link not in self.links:
            raise LinkError(f"'{src}' is not connected to '{dst}'", node_id=dst)
        self.links.remove(link)
        self._changed(DesignEvent("link_removed", dst, link))

    def set_params(self, node_id: str, **params: Any) -> None:
        """Change some parameters of a node; validated (ParamError) before anything changes."""
        node = self._node(node_id, ParamError)
        try:
            full = validate_params(node.kind, {**node.params, **params},
                                   label=f"{node.kind} '{node_id}'")
        except ParamError as err:
            err.node_id = node_id
            raise
        if full == node.params:
            return
        node.params = full
        self._changed(DesignEvent("params_changed", node_id))

    def set_pos(self, node_id: str, pos: tuple[float, float]) -> None:
        """Move a node in the editor."""
        node = self._node(node_id, DesignError)
        new = (float(pos[0]), float(pos[1]))
        if new != node.pos:
            node.pos = new
            self._changed(DesignEvent("node_moved", node_id))

    def replace(self, other: Design) -> None:
        """Take over the name, nodes and links of ``other`` (a copy); one ``replaced`` event.

        Subscribers stay attached, so an editor can show a loaded file or undo a big change.
        """
        fresh = other.copy()
        self.name, self.nodes, self.links = fresh.name, fresh.nodes, fresh.links
        self._changed(DesignEvent("replaced"))

    # ------------------------------------------------------------------ queries
    def inputs_of(self, node_id: str) -> list[str]:
        """Ids feeding ``node_id``, in input order."""
        return [lk.src for lk in self.links if lk.dst == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        """Ids that ``node_id`` feeds."""
        return [lk.dst for lk in self.links if lk.src == node_id]

    @property
    def input_node(self) -> Node | None:
        """The first Input node, if any."""
        return next((n for n in self.nodes.values() if n.kind == "Input"), None)

    @property
    def output_node(self) -> Node | None:
        """The first Output node, if any."""
        return next((n for n in self.nodes.values() if n.kind == "Output"), None)

    def _kahn(self) -> tuple[list[str], list[str]]:
        """Topological order (insertion order breaks ties) and the ids left in loops."""
        indeg = {n: 0 for n in self.nodes}
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for lk in self.links:
            if lk.src in indeg and lk.dst in indeg:
                indeg[lk.dst] += 1
                out[lk.src].append(lk.dst)
        order = [n for n, d in indeg.items() if d == 0]
        i = 0
        while i < len(order):
            for m in out[order[i]]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    order.append(m)
            i += 1
        placed = set(order)
        return order, [n for n in self.nodes if n not in placed]

    def topo_order(self) -> list[str]:
        """Node ids so that every node comes after its inputs (CycleError on a loop)."""
        order, stuck = self._kahn()
        if stuck:
            raise CycleError(f"Nodes {', '.join(repr(s) for s in stuck)} form a loop",
                             node_id=stuck[0], fix="remove one of the links in the loop")
        return order

    # ------------------------------------------------------------------ analysis
    def analyze(self) -> Analysis:
        """Shapes, parameter counts and every problem of the design; never raises.

        The result is cached until the next change: treat it as read-only.
        """
        if self._cache is None:
            from nnstudio.core.shapes import analyze_design  # shapes imports this module

            self._cache = analyze_design(self)
        return self._cache

    def check(self) -> Analysis:
        """Like :meth:`analyze`, but raise the first :class:`DesignError` if not ok."""
        result = self.analyze()
        if not result.ok:
            err = result.first_error()
            if err is None:  # pragma: no cover - ok is False only with an error
                err = DesignError("The design is incomplete", fix="check every node")
            raise err
        return result

    def memory_estimate(self, batch_size: int = 1, optimizer: str = "adam") -> int:
        """Training memory in bytes for a batch (float32): params, grads, optimizer state,
        and forward outputs plus their gradients for ``batch_size`` samples."""
        result = self.analyze()
        per_param = {"sgd": 2, "momentum": 3}.get(optimizer, 4)
        return 4 * (per_param * result.total_params + 2 * batch_size * result.activation_values)

    # ------------------------------------------------------------------ copies and files
    def copy(self) -> Design:
        """An independent copy (no subscribers)."""
        return Design.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        """JSON-ready form: ``{"format", "version", "name", "nodes": [...], "links": [...]}``."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "nodes": [
                {"id": n.id, "kind": n.kind, "params": json.loads(json.dumps(n.params)),
                 "pos": [n.pos[0], n.pos[1]]}
                for n in self.nodes.values()
            ],
            "links": [[lk.src, lk.dst] for lk in self.links],
        }

    @classmethod
    def from_dict(cls, d: Any) -> Design:
        """Rebuild a design from :meth:`to_dict` output; DesignError on bad content."""
        if not isinstance(d, dict) or "nodes" not in d:
            raise DesignError("This is not an nnstudio design (no 'nodes' list)",
                              fix="open a design saved by nnstudio")
        if d.get("format", FORMAT) != FORMAT:
            raise DesignError(f"This is not an nnstudio design (format '{d.get('format')}')")
        version = d.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise DesignError(f"This design was saved by a newer nnstudio (version {version})",
                              fix="update nnstudio to open it")
        design = cls(str(d.get("name", "untitled")))
        nodes, links = d.get("nodes"), d.get("links", [])
        if not isinstance(nodes, list) or not isinstance(links, list):
            raise DesignError("The design's 'nodes' and 'links' must be lists")
        for i, nd in enumerate(nodes):
            if not isinstance(nd, dict) or "kind" not in nd or "id" not in nd:
                raise DesignError(f"Node {i + 1} of the design has no 'id' or 'kind'")
            pos = nd.get("pos", (0.0, 0.0))
            try:
                pos = (float(pos[0]), float(pos[1]))
            except (TypeError, ValueError, IndexError, KeyError):
                raise DesignError(f"Node '{nd['id']}' has a bad position {pos!r}") from None
            design._add_checked(nd["kind"], nd.get("params") or {}, nd["id"], pos)
        for lk in links:
            if isinstance(lk, dict):
                lk = [lk.get("src"), lk.get("dst")]
            if not isinstance(lk, (list, tuple)) or len(lk) != 2:
                raise DesignError(f"Bad link {lk!r} in the design", fix="links are [src, dst]")
            design.connect(lk[0], lk[1])
        return design

    def to_json(self) -> str:
        """The design as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Design:
        """Parse JSON text from :meth:`to_json`; DesignError if it is not a design."""
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
            raise DesignError(f"This is not a design file: invalid JSON ({err})",
                              fix="open a .json design saved by nnstudio") from None
        return cls.from_dict(d)

    def save(self, path: str | os.PathLike) -> None:
        """Write the design as JSON, atomically (temporary file + rename)."""
        _write_text(Path(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Design:
        """Read a design JSON file; DesignError naming the file if it cannot be used."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DesignError(f"Design file '{path}' does not exist") from None
        except (OSError, UnicodeDecodeError) as err:
            raise DesignError(f"Cannot read design file '{path}': {err}") from None
        try:
            return cls.from_json(text)
        except DesignError as err:
            raise type(err)(f"{path.name}: {err.message}", node_id=err.node_id,
                            fix=err.fix) from None

    def __repr__(self) -> str:
        return f"Design({self.name!r}, {len(self.nodes)} nodes, {len(self.links)} links)"
