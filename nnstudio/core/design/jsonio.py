"""Designs as JSON: to and from dicts, text and files, refusing anything that is not a design.

The JSON form (version 1)::

    {"format": "nnstudio-design", "version": 1, "name": "mlp",
     "nodes": [{"id": "in", "kind": "Input", "params": {"shape": [784]}, "pos": [0, 0]}, ...],
     "links": [["in", "fc1"], ...]}

Reading is linear in the size of the design and bounded: a file that is not a regular file
(a pipe, a device) is refused without waiting on it, and so is one larger than
:data:`MAX_DESIGN_BYTES` or with more than :data:`MAX_NODES` nodes. Every problem becomes a
:class:`~nnstudio.core.design.errors.DesignError` that names the file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from nnstudio.core.design.errors import DesignError
from nnstudio.core.design.model import Design
from nnstudio.fileio import atomic_write, read_limited
from nnstudio.limits import format_bytes

__all__ = [
    "FORMAT", "FORMAT_VERSION", "MAX_DESIGN_BYTES", "MAX_NODES", "design_from_dict",
    "design_from_json", "design_to_dict", "design_to_json", "load_design", "save_design",
]

FORMAT = "nnstudio-design"
FORMAT_VERSION = 1
#: The largest design text read (a design of 100,000 layers is about 15 MB).
MAX_DESIGN_BYTES = 64 << 20
#: The most nodes a design may have.
MAX_NODES = 200_000


def design_to_dict(design: Design) -> dict:
    """JSON-ready form: ``{"format", "version", "name", "nodes": [...], "links": [...]}``."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": design.name,
        "nodes": [
            {"id": n.id, "kind": n.kind, "params": json.loads(json.dumps(n.params)),
             "pos": [n.pos[0], n.pos[1]]}
            for n in design.nodes.values()
        ],
        "links": [[lk.src, lk.dst] for lk in design.links],
    }


def _pos(nd: dict) -> tuple[float, float]:
    pos = nd.get("pos", (0.0, 0.0))
    try:
        x, y = float(pos[0]), float(pos[1])
    except (TypeError, ValueError, IndexError, KeyError, OverflowError):
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise DesignError(f"Node '{str(nd['id'])[:64]}' has a bad position "
                          f"{str(pos)[:40]!r}", fix="positions are two numbers [x, y]")
    return x, y


def design_from_dict(d: Any) -> Design:
    """Rebuild a design from :func:`design_to_dict` output, in linear time.

    Raises
    ------
    DesignError
        The content is not a design, from a newer nnstudio, or breaks a rule of designs
        (bad parameter, duplicate name, link into an Input, loop, ...).
    """
    if not isinstance(d, dict) or "nodes" not in d:
        raise DesignError("This is not an nnstudio design (no 'nodes' list)",
                          fix="open a design saved by nnstudio")
    if d.get("format", FORMAT) != FORMAT:
        raise DesignError(f"This is not an nnstudio design (format "
                          f"'{str(d.get('format'))[:40]}')")
    version = d.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DesignError(f"This design was saved by a newer nnstudio (version "
                          f"{str(version)[:20]})", fix="update nnstudio to open it")
    nodes, links = d.get("nodes"), d.get("links", [])
    if not isinstance(nodes, list) or not isinstance(links, list):
        raise DesignError("The design's 'nodes' and 'links' must be lists")
    if len(nodes) > MAX_NODES:
        raise DesignError(f"The design has {len(nodes):,} nodes, more than the "
                          f"{MAX_NODES:,} nnstudio can work with")
    name = d.get("name", "untitled")
    design = Design(name[:200] if isinstance(name, str) else "untitled")
    for i, nd in enumerate(nodes):
        if not isinstance(nd, dict) or "kind" not in nd or "id" not in nd:
            raise DesignError(f"Node {i + 1} of the design has no 'id' or 'kind'")
        design._add_checked(nd["kind"], nd.get("params") or {}, nd["id"], _pos(nd))
    pairs: list[tuple[str, str]] = []
    for lk in links:
        if isinstance(lk, dict):
            lk = [lk.get("src"), lk.get("dst")]
        if not isinstance(lk, (list, tuple)) or len(lk) != 2:
            raise DesignError(f"Bad link {str(lk)[:60]} in the design",
                              fix="links are [src, dst]")
        pairs.append((lk[0], lk[1]))
    design.connect_all(pairs)
    return design


def design_to_json(design: Design) -> str:
    """The design as indented JSON text."""
    return json.dumps(design_to_dict(design), indent=2)


def design_from_json(text: str | bytes) -> Design:
    """Parse JSON text from :func:`design_to_json`; DesignError if it is not a design."""
    if len(text) > MAX_DESIGN_BYTES:
        raise DesignError(f"The design text is {format_bytes(len(text))}, limit "
                          f"{format_bytes(MAX_DESIGN_BYTES)}: this is not a design nnstudio "
                          "can open")
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
        raise DesignError(f"This is not a design file: invalid JSON ({err})",
                          fix="open a .json design saved by nnstudio") from None
    except RecursionError:
        raise DesignError("This is not a design file: its JSON is nested too deeply",
                          fix="open a .json design saved by nnstudio") from None
    return design_from_dict(d)


def save_design(design: Design, path: str | os.PathLike) -> None:
    """Write the design as JSON, atomically (see :func:`nnstudio.fileio.atomic_write`)."""
    text = design_to_json(design) + "\n"
    atomic_write(Path(path), lambda fh: fh.write(text.encode("utf-8")))


def load_design(path: str | os.PathLike) -> Design:
    """Read a design JSON file; DesignError naming the file if it cannot be used."""
    path = Path(path)
    try:
        data = read_limited(path, MAX_DESIGN_BYTES, "Design file")
        text = data.decode("utf-8")
    except (OSError, ValueError) as err:
        if isinstance(err, OSError) and err.strerror:
            raise DesignError(f"Cannot read design file '{path}': {err.strerror}") from None
        if isinstance(err, UnicodeDecodeError):
            raise DesignError(f"{path.name}: this is not a design file (not UTF-8 text)",
                              fix="open a .json design saved by nnstudio") from None
        raise DesignError(str(err)) from None
    try:
        return design_from_json(text)
    except DesignError as err:
        raise type(err)(f"{path.name}: {err.message}", node_id=err.node_id,
                        fix=err.fix) from None
