"""The network design, in the parts Orange's scheme package has: errors, parameters, the
design model, shape analysis and reading/writing.

=====================  ================================================================
module                 what it holds
=====================  ================================================================
``errors``             :class:`DesignError` and its kinds (Param, Shape, Cycle, Link)
``params``             layer kinds, default parameters, :func:`validate_params`, shape text
``nodes``              :class:`Node`, :class:`Link`, :class:`DesignEvent`, topological order
``shapes``             :func:`analyze_design`: shapes, parameter counts, memory, problems
``model``              :class:`Design`: the editable, observable, validated graph
``jsonio``             designs to and from dicts, JSON text and files
=====================  ================================================================

Each module imports only those above it in this table; this package exports the names
callers use.
"""

from nnstudio.core.design.errors import (
    CycleError,
    DesignError,
    LinkError,
    ParamError,
    ShapeError,
)
from nnstudio.core.design.jsonio import (
    design_from_dict,
    design_from_json,
    design_to_dict,
    design_to_json,
    load_design,
    save_design,
)
from nnstudio.core.design.model import Design
from nnstudio.core.design.nodes import DesignEvent, Link, Node
from nnstudio.core.design.params import (
    ACTIVATIONS,
    DEFAULT_PARAMS,
    LAYER_KINDS,
    LOSSES,
    format_shape,
    parse_shape,
    validate_params,
)
from nnstudio.core.design.shapes import Analysis, analyze_design

__all__ = [
    "ACTIVATIONS", "DEFAULT_PARAMS", "LAYER_KINDS", "LOSSES", "Analysis", "CycleError",
    "Design", "DesignError", "DesignEvent", "Link", "LinkError", "Node", "ParamError",
    "ShapeError", "analyze_design", "design_from_dict", "design_from_json", "design_to_dict",
    "design_to_json", "format_shape", "load_design", "parse_shape", "save_design",
    "validate_params",
]
