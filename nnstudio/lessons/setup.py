"""What a step sets up, as plain values: design, weights, data, settings, page and view.

No Qt here: these functions turn a directive's text into something the window applies
(a :class:`~nnstudio.core.design.Design`, a weight dict, a data source, settings) and
raise ``ValueError`` with a clear sentence for text that cannot work. The lesson checker calls
them on every directive, so a broken lesson is found before anyone opens it; the window calls
the same functions again when it applies a directive. Every number has a range
(:mod:`.limits`: a design of at most 3,000,000 weights, 10,000 epochs, 32-bit seeds, ...), and
a file is read only from the lesson's folder or the shipped data (:mod:`.files`).

=========  ===================================================================
key        value
=========  ===================================================================
design     ``template NAME`` · ``file NAME.json`` (next to the lesson) ·
           ``default`` (the shipped digit model with its trained weights) ·
           ``chain SHAPE LAYER ... [loss=LOSS]`` with layers ``dense:UNITS[:ACT]``,
           ``conv:FILTERS:KERNEL[:ACT]``, ``pool:SIZE``, ``flatten``, ``dropout:RATE``
weights    ``NODE/W = v v ...; NODE/b = v`` (values fill the array in order) · ``seed N``
data       a data source as on the command line (``cars``, ``perceptron:xor``,
           ``csv:FILE:label=COL`` with FILE next to the lesson or shipped), optionally
           followed by ``size=16``
settings   ``lr=0.01 batch=4 epochs=20 optimizer=sgd l2=0 val=20 shift=0 seed=0``
page       ``draw``, ``design``, ``train``, ``inside`` (or an objectName)
view       ``boundary``, ``cost``, ``roll``, ``conv``, ``evaluation``, ``estimates``,
           ``backprop``, ``ideal`` (Ideal digits), ``weights``;
           ``neurons`` / ``diagram`` switch the Design page's mode
=========  ===================================================================
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from nnstudio.lessons import limits
from nnstudio.lessons.files import check_data, lesson_file

#: setup keys of a step, applied in this order when it opens
SETUP_KEYS = ("design", "weights", "data", "settings", "page", "view")
PAGES = {"draw": "drawPage", "design": "designPage", "train": "trainPage",
         "inside": "insidePage", "lessons": "lessonPanel"}
VIEWS = {"boundary": "boundaryView", "cost": "costView", "conv": "convView",
         "evaluation": "evaluationView", "mistakes": "evaluationView",
         "estimates": "estimatesView", "roll": "rollView", "backprop": "backpropView",
         "ideal": "idealDigitsView", "weights": "weightsView", "neurons": "neurons",
         "diagram": "diagram"}
SETTINGS = {"lr": float, "batch": int, "epochs": int, "optimizer": str, "l2": float,
            "val": int, "shift": int, "seed": int}
LAYERS = {"dense": "Dense", "conv": "Conv2D", "pool": "MaxPool2D", "flatten": "Flatten",
          "dropout": "Dropout"}


def check_setup(key: str, value: str, base: Path | None = None) -> None:
    """Raise ValueError when the setup directive ``key: value`` cannot work."""
    if key == "design":
        build_design(value, base, check_files=base is not None)
    elif key == "weights":
        parse_weights(value)
    elif key == "data":
        parse_data(value, base)
    elif key == "settings":
        parse_settings(value)
    elif key == "page":
        page_name(value)
    elif key == "view":
        view_name(value)


def page_name(value: str) -> str:
    """``design`` -> ``designPage``."""
    v = value.strip()
    if v in PAGES:
        return PAGES[v]
    if v in PAGES.values():
        return v
    raise ValueError(f"unknown page {v!r}: use one of {', '.join(PAGES)}")


def view_name(value: str) -> str:
    """``cost`` -> ``costView``."""
    v = value.strip()
    if v in VIEWS:
        return VIEWS[v]
    if v in VIEWS.values():
        return v
    raise ValueError(f"unknown view {v!r}: use one of {', '.join(VIEWS)}")


def parse_settings(value: str) -> dict[str, float | int | str]:
    """``"lr=0.1 batch=4"`` -> {"lr": 0.1, "batch": 4}."""
    out: dict[str, float | int | str] = {}
    for part in value.split():
        key, sep, raw = part.partition("=")
        if not sep or key not in SETTINGS:
            raise ValueError(f"settings are 'name=value' with names {', '.join(SETTINGS)} "
                             f"(not {part!r})")
        kind = SETTINGS[key]
        if kind is int:
            low, high = limits.SETTING_RANGES[key]
            out[key] = limits.whole(raw, int(low), int(high), f"setting {key}")
            continue
        try:
            out[key] = kind(raw[:40])
        except ValueError:
            raise ValueError(f"setting {key} takes a {kind.__name__}, not {raw[:40]!r}") \
                from None
        if kind is float:
            low, high = limits.SETTING_RANGES[key]
            limits.in_range(float(out[key]), low, high, f"setting {key}")
    if "optimizer" in out:
        from nnstudio.core.training import OPTIMIZERS

        if out["optimizer"] not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {out['optimizer']!r}: use one of "
                             f"{', '.join(OPTIMIZERS)}")
    if not out:
        raise ValueError("settings: give at least one name=value")
    return out


def parse_weights(value: str) -> dict[str, list[float]] | int:
    """``"n/W = 0.5 0.7; n/b = -0.5"`` -> {"n/W": [0.5, 0.7], "n/b": [-0.5]}; ``"seed 3"`` -> 3."""
    v = value.strip()
    m = re.fullmatch(r"seed\s+(\S+)", v)
    if m:
        return limits.whole(m.group(1), 0, limits.MAX_SEED, "a seed")
    out: dict[str, list[float]] = {}
    for part in v.split(";"):
        if not part.strip():
            continue
        name, sep, numbers = part.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z0-9_]+/[A-Za-z0-9_]+", name):
            raise ValueError(f"weights are 'node/W = 0.5 0.7; node/b = -0.5' or 'seed N' "
                             f"(not {part.strip()!r})")
        words = numbers.replace(",", " ").split()
        if len(words) > limits.MAX_VALUES:
            raise ValueError(f"give {name} at most {limits.MAX_VALUES:,} values")
        try:
            out[name] = [float(x) for x in words]
        except ValueError:
            raise ValueError(f"the values of {name} must be numbers") from None
        if not out[name]:
            raise ValueError(f"give {name} at least one value")
        for x in out[name]:
            limits.in_range(x, -limits.MAX_VALUE, limits.MAX_VALUE, f"a value of {name}")
    return out


def fill_weights(current: dict[str, np.ndarray], values: dict[str, list[float]]
                 ) -> dict[str, np.ndarray]:
    """``current`` with the named arrays filled (in order) from ``values``.

    Raises
    ------
    ValueError
        A name the network lacks, or a number of values that does not fit.
    """
    out = {k: v.copy() for k, v in current.items()}
    for name, vals in values.items():
        if name not in out:
            raise ValueError(f"the network has no weights named {name!r} (it has "
                             f"{', '.join(out)})")
        arr = out[name]
        if len(vals) not in (1, arr.size):
            raise ValueError(f"{name} holds {arr.size} numbers; {len(vals)} were given")
        out[name] = np.broadcast_to(np.asarray(vals, arr.dtype), (arr.size,)).reshape(
            arr.shape).copy()
    return out


def parse_data(value: str, base: Path | None = None) -> tuple[str, int]:
    """``"cars size=16"`` -> ("cars", 16); a csv file is resolved next to the lesson or in the
    shipped data folder."""
    parts = value.split()
    size = 28
    if len(parts) == 2 and parts[1].startswith("size="):
        if parts[1] not in ("size=16", "size=28"):
            raise ValueError("size is size=16 or size=28")
        size = int(parts[1][5:])
        parts = parts[:1]
    if len(parts) != 1:
        raise ValueError(f"data is one source, optionally 'size=16' (not {value!r})")
    spec = check_data(parts[0], base)
    return spec, size


def resolve_file(name: str, base: Path | None) -> Path | None:
    """A file named by a lesson: next to the lesson, or in the shipped data (never outside
    them; see :func:`~nnstudio.lessons.files.lesson_file`)."""
    return lesson_file(name, base)


def build_design(value: str, base: Path | None = None, *, check_files: bool = True):
    """A fresh :class:`~nnstudio.core.design.Design` for a ``design:`` value (None for
    ``default``, which the window loads with its weights)."""
    from nnstudio.core.design import DesignError, load_design
    from nnstudio.core.templates import TEMPLATES, chain, get_template

    words = value.split()
    how = words[0] if words else ""
    if words == ["default"]:
        from nnstudio.resources import default_model_path

        if check_files and not default_model_path().is_file():
            raise ValueError("the shipped default model is missing")
        return None
    if how == "template":
        if len(words) != 2 or words[1] not in TEMPLATES:
            raise ValueError(f"'design: template NAME' takes one of {', '.join(TEMPLATES)}")
        return get_template(words[1])
    if how == "file":
        if len(words) != 2:
            raise ValueError("'design: file NAME.json' names one design file")
        path = resolve_file(words[1], base)
        if path is None:
            if not check_files:
                return None
            raise ValueError(f"the design file {words[1]!r} is not next to the lesson")
        try:
            return check_size(load_design(path))
        except (OSError, ValueError) as err:
            raise ValueError(f"the design file {words[1]!r} cannot be used: {err}") from None
    if how != "chain" or len(words) < 3:
        raise ValueError("a design is 'template NAME', 'file NAME.json' or "
                         "'chain SHAPE LAYER ... loss=LOSS' (e.g. 'chain 2 dense:4:tanh "
                         "dense:1:sigmoid loss=binary_cross_entropy')")
    shape = [limits.whole(s, 1, limits.MAX_INPUTS, "an input size")
             for s in words[1].split("x")[:4]]
    if len(words[1].split("x")) > 3 or math.prod(shape) > limits.MAX_INPUTS:
        raise ValueError(f"the input shape is like 2, 784 or 1x16x16, with at most "
                         f"{limits.MAX_INPUTS:,} inputs (not {words[1][:40]!r})")
    if len(words) > limits.MAX_LAYERS + 3:
        raise ValueError(f"a chain design has at most {limits.MAX_LAYERS} layers")
    loss, layers = "cross_entropy", []
    for i, word in enumerate(words[2:], 1):
        if word.startswith("loss="):
            loss = word[5:]
            continue
        name, *args = word.split(":")
        if name not in LAYERS:
            raise ValueError(f"unknown layer {name!r}: use {', '.join(LAYERS)}")
        kind = LAYERS[name]
        try:
            params = _layer_params(name, args)
        except (ValueError, IndexError) as err:
            why = f" ({err})" if "must be" in str(err) else ""
            raise ValueError(f"layer {word[:40]!r} is not written right{why}: e.g. "
                             "dense:10:relu, conv:8:3:relu, pool:2, flatten, dropout:0.3") \
                from None
        layers.append((f"{kind.lower()}{i}", kind, params))
    try:
        design = chain("lesson", shape, layers, loss)
        design.check()
    except DesignError as err:
        raise ValueError(f"this design cannot work: {err}") from None
    return check_size(design)


def check_size(design):
    """``design`` when it is small enough for a lesson to set up (parameters and training
    memory); ValueError saying its size otherwise."""
    analysis = design.analyze()
    if analysis.total_params > limits.MAX_PARAMS:
        raise ValueError(f"this design has {analysis.total_params:,} weights; a lesson's "
                         f"design has at most {limits.MAX_PARAMS:,}")
    need = design.memory_estimate(batch_size=32)
    if need > limits.MAX_DESIGN_BYTES:
        raise ValueError(f"this design needs {need / 2**20:,.0f} MB to train; a lesson's "
                         f"design needs at most {limits.MAX_DESIGN_BYTES // 2**20} MB")
    return design


def _layer_params(name: str, args: list[str]) -> dict:
    if name == "dense":
        params: dict = {"units": limits.whole(args[0], 1, 65_536, "a dense layer's units")}
        if len(args) > 1:
            params["activation"] = args[1]
        return params
    if name == "conv":
        params = {"filters": limits.whole(args[0], 1, 1024, "a conv layer's filters"),
                  "kernel_size": limits.whole(args[1], 1, 31, "a conv layer's kernel size"),
                  "padding": "same"}
        if len(args) > 2:
            params["activation"] = args[2]
        return params
    if name == "pool":
        return {"pool_size": limits.whole(args[0], 1, 16, "a pool size") if args else 2}
    if name == "dropout":
        return {"rate": limits.in_range(float(args[0]), 0.0, 0.99, "a dropout rate")}
    if args:
        raise ValueError("flatten takes no arguments")
    return {}


def describe(key: str, value: str) -> str:
    """A set-up directive in plain words, e.g. ``chain 2 dense:4:tanh`` ->
    ``2 inputs → Dense 4 (tanh)``; other values are shown as written."""
    words = value.split()
    if key == "design" and words[:1] == ["chain"] and len(words) > 1:
        parts = [f"{words[1].replace('x', '×')} inputs"]
        for word in words[2:]:
            if word.startswith("loss="):
                continue
            name, *args = word.split(":")
            kind = LAYERS.get(name, name)
            if name == "dense" and args:
                parts.append(f"Dense {args[0]}" + (f" ({args[1]})" if len(args) > 1 else ""))
            elif name == "conv" and len(args) > 1:
                parts.append(f"Conv {args[0]} of {args[1]}×{args[1]}"
                             + (f" ({args[2]})" if len(args) > 2 else ""))
            elif name == "pool":
                parts.append(f"Pool {args[0] if args else 2}×{args[0] if args else 2}")
            else:
                parts.append(kind)
        return " → ".join(parts)
    if key == "design" and words == ["default"]:
        return "the shipped digit model"
    if key == "design" and words[:1] == ["template"] and len(words) == 2:
        return f"the {words[1]} template"
    if key == "data":
        spec = words[0] if words else value
        if spec.startswith("csv:"):
            spec = Path(spec[4:].split(":")[0]).name
        return spec + (" (16×16)" if "size=16" in words else "")
    if key == "weights" and words[:1] == ["seed"]:
        return "new random weights"
    return value
