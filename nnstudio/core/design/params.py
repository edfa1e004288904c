"""Layer kinds and their parameters: defaults, allowed values, validation, shape text.

Shapes are per-sample tuples without the batch dimension; images are channels-first
``(C, H, W)``; flat vectors are ``(n,)``.
"""

from __future__ import annotations

import re
import reprlib
from math import isfinite
from typing import Any

from nnstudio.core.design.errors import ParamError

__all__ = [
    "ACTIVATIONS", "DEFAULT_PARAMS", "ID_PREFIX", "LAYER_KINDS", "LOSSES", "MERGE_KINDS",
    "MAX_SIZE", "PADDINGS", "format_shape", "parse_shape", "validate_params",
]

#: Prefix of automatic node ids, e.g. ``dense1``, ``conv2``.
ID_PREFIX = {
    "Input": "input", "Dense": "dense", "Conv2D": "conv", "MaxPool2D": "pool",
    "Flatten": "flatten", "Dropout": "dropout", "Activation": "act", "Add": "add",
    "Concatenate": "concat", "Output": "output",
}
MERGE_KINDS = ("Add", "Concatenate")


LAYER_KINDS = ("Input", "Dense", "Conv2D", "MaxPool2D", "Flatten", "Dropout",
               "Activation", "Add", "Concatenate", "Output")
ACTIVATIONS = ("step", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
LOSSES = ("cross_entropy", "mse", "binary_cross_entropy")
PADDINGS = ("same", "valid")
#: The largest count a parameter or an Input size may have. Designs this big still need
#: far more memory than a computer has: :meth:`Design.analyze` reports that with the figures.
MAX_SIZE = 2**40

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
    parts = [p for p in re.split(r"[×xX*,\s()\[\]]+", str(text)[:200].strip()) if p]
    try:
        shape = [int(p) for p in parts if len(p) < 20] if len(parts) <= 3 else []
    except ValueError:
        shape = []
    if len(shape) not in (1, 3) or len(shape) != len(parts) or min(shape) < 1:
        raise ParamError(f"'{text}' is not a shape",
                         fix="type one size like 784 or channels×height×width like 1×28×28")
    return shape


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxlevel = 2


def _show(value: Any) -> str:
    """A short text of any value for messages (long or deep values are cut)."""
    return _REPR.repr(value)


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and isfinite(value) and value == int(value)


def _whole(kind: str, name: str, value: Any, label: str, minimum: int = 1) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        value = int(value)
    if not _is_whole(value) or int(value) < minimum:
        raise ParamError(f"{label} {name} must be a whole number >= {minimum}, not {_show(value)}",
                         fix=f"set {name} to e.g. {DEFAULT_PARAMS[kind][name] or minimum}")
    if int(value) > MAX_SIZE:
        raise ParamError(f"{label} {name} {int(value):,} is beyond any size nnstudio can hold "
                         f"(at most {MAX_SIZE:,})",
                         fix=f"set {name} to e.g. {DEFAULT_PARAMS[kind][name] or minimum}")
    return int(value)


def _choice(name: str, value: Any, options: tuple[str, ...], label: str) -> str:
    if not isinstance(value, str) or value not in options:
        raise ParamError(f"{label} {name} {_show(value)} is not known",
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
    if not isinstance(kind, str) or kind not in DEFAULT_PARAMS:
        raise ParamError(f"'{str(kind)[:40]}' is not a layer kind",
                         fix=f"choose one of {', '.join(LAYER_KINDS)}")
    label = label or kind
    if params is not None and not isinstance(params, dict):
        raise ParamError(f"{label}'s parameters must be named values, not "
                         f"{type(params).__name__}", fix="open a design saved by nnstudio")
    params = dict(params or {})
    defaults = DEFAULT_PARAMS[kind]
    unknown = [k for k in params if k not in defaults]
    if unknown:
        known = ", ".join(defaults) if defaults else "none"
        raise ParamError(f"{label} has no parameter '{str(unknown[0])[:40]}'",
                         fix=f"its parameters are: {known}")
    p = {**defaults, **params}
    if kind == "Input":
        shape = p["shape"]
        if isinstance(shape, str):
            shape = parse_shape(shape)
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = [shape]
        if not isinstance(shape, (list, tuple)) or len(shape) not in (1, 3):
            raise ParamError(f"{label} shape {_show(shape)} must have 1 size (flat, like 784) or 3 "
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
                             f"not {_show(rate)}", fix="set rate to e.g. 0.5")
        p["rate"] = float(rate)
    elif kind == "Activation":
        p["function"] = _choice("function", p["function"], ACTIVATIONS, label)
    elif kind == "Output":
        p["loss"] = _choice("loss", p["loss"], LOSSES, label)
    return p


def _shape_dim(s: Any) -> int:
    if not _is_whole(s) or s < 1 or s > MAX_SIZE:
        raise ParamError(f"Input shape sizes must be whole numbers >= 1, not {_show(s)}",
                         fix="set the shape to e.g. 784 or 1×28×28")
    return int(s)
