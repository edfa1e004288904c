"""Export to plain NumPy: a dependency-free ``predict.py`` and ``weights.npz``.

``predict.py`` needs only NumPy: a handful of layer functions (dense, conv2d through a
sliding-window view, max-pool, the activations) and one ``forward`` that mirrors the design
node by node. ``weights.npz`` keeps nnstudio's names and layouts (``<node>/W``,
``<node>/b``). Parity is checked by running ``predict.py`` in a fresh interpreter.

The script is built from fixed code, numbers, ASCII identifiers made from the layer ids and
one data literal (:func:`~nnstudio.export.common.data_literal`) that holds every name: the
design's, the classes' and the layer ids. Its local variables are ``h_<name>``, never a name
the script defines, so no layer id can hide a function.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from nnstudio import __version__

from .common import (
    ExportError,
    Step,
    check_source,
    data_literal,
    graph_steps,
    model_facts,
    python_names,
)

__all__ = ["check_numpy", "export_numpy", "predict_source"]

_ACT = {"linear": "{}", "relu": "np.maximum({}, 0)", "sigmoid": "sigmoid({})",
        "tanh": "np.tanh({})", "leaky_relu": "leaky_relu({})", "softmax": "softmax({})",
        "step": "step({})"}

_HEAD = r'''"""Run an nnstudio design with NumPy alone (nnstudio {version}).

    python predict.py INPUTS.npy [--out OUTPUTS.npy] [--json]

INPUTS.npy holds a float32 batch of shape (N, {in_shape}) {pixels}.
Prints the answer for every sample; --out also saves the raw outputs (N, {out_shape}).
From Python: ``from predict import predict; outputs = predict(x)``.
The design's name, class names and layer ids are data: FACTS below is parsed from one JSON
text. Bad input (not a .npy file, a pipe, the wrong shape, a missing --out folder) ends it
with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import stat
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FACTS = json.loads({facts})
DESIGN_NAME = FACTS["design_name"]
INPUT_SHAPE = tuple(FACTS["input_shape"])
CLASSES = FACTS["classes"]
TASK = FACTS["task"]
#: Python name -> layer id (the weights of layer L are "L/W" and "L/b" in weights.npz)
LAYER_IDS = FACTS["layer_ids"]
WEIGHTS = Path(__file__).with_name("weights.npz")


class InputError(ValueError):
    """Input that cannot be used: the message says what is wrong."""


def shown(value, limit=200):
    """Text from a file as it is safe to print: control characters and direction marks
    as escapes (\\x1b, \\u202e), very long text cut."""
    text = str(value)
    cut = len(text) > limit
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text[:limit])
    return text + ("..." if cut else "")


def params(w, name):
    """The weights W and biases b of the layer called ``name`` here."""
    return w[LAYER_IDS[name] + "/W"], w[LAYER_IDS[name] + "/b"]


def read_inputs(path):
    """A .npy file as an array: a regular file whose header agrees with its size, numbers
    only (no pickled objects); nothing of the claimed size is allocated before that."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as err:
        raise InputError(f"cannot be read ({{err.strerror or err}})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a folder, pipe or device); give a .npy file")
    with open(path, "rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(fh)
        except (ValueError, OSError, EOFError) as err:
            raise InputError(f"is not a .npy file ({{err}})") from None
        if dtype.hasobject or dtype.kind not in "biuf":
            raise InputError(f"holds {{dtype}} values; give numbers (float32)")
        need = math.prod(shape) * dtype.itemsize
        if need != info.st_size - fh.tell():
            raise InputError(f"has a header that says {{need:,}} bytes of data but the file "
                             f"holds {{info.st_size - fh.tell():,}}; the file is damaged")
    return np.load(path, allow_pickle=False)


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e).astype(z.dtype) / (1 + e)


def leaky_relu(z):
    return np.maximum(z, z * np.float32(0.01))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def step(z):
    return (z > 0).astype(z.dtype)


def dense(x, W, b):
    """x (N, F_in) @ W (F_in, units) + b (units,)."""
    return x @ W + b


def conv2d(x, W, b, stride, pad):
    """x (N, C, H, W), W (F, C, k, k) -> (N, F, Ho, Wo): cross-correlation, zero padding."""
    k = W.shape[-1]
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    n, c, ho, wo = win.shape[:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)
    out = cols @ W.reshape(len(W), -1).T + b
    return np.ascontiguousarray(out.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2))


def max_pool(x, size, stride):
    """x (N, C, H, W) -> (N, C, Ho, Wo), windows size x size, no padding."""
    win = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return win.max(axis=(4, 5))


def forward(x, w):
    """The network's outputs for a batch x (N, {in_shape}); w: the arrays of weights.npz."""
'''

_TAIL = r'''

def predict(x, weights=None):
    """Outputs (N, {out_shape}) for inputs x of shape (N, {in_shape}) (or one sample)."""
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0 or x.size % math.prod(INPUT_SHAPE):
        raise InputError(f"holds {{x.size}} values, not a whole number of inputs of shape "
                         f"{{INPUT_SHAPE}}")
    x = x.reshape(-1, *INPUT_SHAPE)
    if weights is None:
        with np.load(WEIGHTS, allow_pickle=False) as data:
            weights = {{k: data[k] for k in data.files}}
    return forward(x, weights)


def fail(message):
    """One line on stderr; the exit code 2."""
    print(f"predict.py: {{message}}", file=sys.stderr)
    return 2


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the exported network on a batch.")
    p.add_argument("inputs", help=".npy file of shape (N, {in_shape})")
    p.add_argument("--out", help="save the outputs as .npy")
    p.add_argument("--json", action="store_true", help="one JSON object per sample")
    args = p.parse_args(argv)
    if args.out and Path(args.out).is_dir():
        return fail(f"--out {{shown(args.out)}} is a folder; give a file name such as out.npy")
    if args.out and not Path(args.out).absolute().parent.is_dir():
        return fail(f"--out {{shown(args.out)}}: its folder does not exist; create it first")
    try:
        y = predict(read_inputs(args.inputs))
    except InputError as err:
        return fail(f"{{shown(args.inputs)}} {{err}}")
    except (OSError, ValueError) as err:
        return fail(f"{{shown(args.inputs)}}: {{shown(err)}}")
    if args.out:
        try:
            np.save(args.out, y)
        except OSError as err:
            return fail(f"could not write {{shown(args.out)}} ({{shown(err.strerror or err)}})")
    for i, row in enumerate(y):
        if TASK == "regression":
            answer = [float(v) for v in row]
            probs = None
        else:
            probs = row if len(row) > 1 else np.array([1 - row[0], row[0]])
            k = int(np.argmax(probs))
            answer = CLASSES[k] if len(CLASSES) == len(probs) else str(k)
        if args.json:
            print(json.dumps({{"input": i, "answer": answer,
                              "probabilities": None if probs is None else
                              [float(p) for p in probs]}}))
        else:
            print(f"{{i}}: {{shown(answer)}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''


def _act(step: Step, name: str | None = None) -> str:
    """The code form of an activation from the fixed table (an unknown one is refused)."""
    name = step.activation if name is None else name
    if name not in _ACT:
        raise ExportError(f"{step.label} uses the activation {name!r}, which has no NumPy "
                          "form", step.id, "choose another activation")
    return _ACT[name]


def _line(step: Step, name: str, v: str, srcs: list[str]) -> str:
    """One line of ``forward``: ``v`` is the node's local variable, ``name`` its Python
    name (an ASCII identifier, looked up in LAYER_IDS for its weights)."""
    key = f'*params(w, "{name}")'
    p = step.params
    if step.kind == "Input":
        return f"    {v} = np.asarray(x, dtype=np.float32).reshape(len(x), *INPUT_SHAPE)"
    if step.kind == "Output":
        return f"    return {srcs[0]}"
    if step.kind == "Dense":
        return f"    {v} = {_act(step).format(f'dense({srcs[0]}, {key})')}"
    if step.kind == "Conv2D":
        call = f"conv2d({srcs[0]}, {key}, {int(p['stride'])}, {int(step.pad)})"
        return f"    {v} = {_act(step).format(call)}"
    if step.kind == "MaxPool2D":
        return (f"    {v} = max_pool({srcs[0]}, {int(p['pool_size'])}, "
                f"{int(step.pool_stride)})")
    if step.kind == "Flatten":
        return f"    {v} = {srcs[0]}.reshape(len({srcs[0]}), -1)"
    if step.kind == "Dropout":
        return f"    {v} = {srcs[0]}  # dropout: identity at inference"
    if step.kind == "Activation":
        return f"    {v} = {_act(step).format(srcs[0])}"
    if step.kind == "Add":
        return f"    {v} = {' + '.join(srcs)}"
    if step.kind == "Concatenate":
        return f"    {v} = np.concatenate([{', '.join(srcs)}], axis=1)"
    raise ExportError(f"{step.label} cannot be exported to NumPy: nnstudio has no NumPy form "
                      f"for the layer kind '{step.kind}'", step.id,
                      "replace it by layers of the kinds nnstudio exports")


def predict_source(network, meta: dict | None = None) -> str:
    """The text of ``predict.py`` for ``network``: fixed code, numbers, ASCII identifiers
    made from the layer ids, and one data literal that holds every name."""
    facts = model_facts(network, meta or {})
    steps = graph_steps(network)
    names, _ = python_names([s.id for s in steps])
    local = {k: f"h_{v}" for k, v in names.items()}  # never a name the script defines
    prep = facts["preprocessing"]
    pixels = (f"(pixels {prep['pixels']}, {prep['recipe']})" if prep["kind"] == "image"
              else "(columns encoded as FACTS['preprocessing'] describes)")
    data = {"design_name": str(network.design.name),
            "input_shape": [int(v) for v in network.input_shape],
            "layer_ids": {names[s.id]: s.id for s in steps},
            **{k: facts[k] for k in ("classes", "task", "preprocessing", "y_scaler")}}
    fmt = {"version": __version__,
           "in_shape": ", ".join(str(int(v)) for v in network.input_shape),
           "out_shape": ", ".join(str(int(v)) for v in network.output_shape), "pixels": pixels,
           "facts": data_literal(data)}
    body = [_line(s, names[s.id], local[s.id], [local[i] for i in s.inputs]) for s in steps]
    source = _HEAD.format(**fmt) + "\n".join(body) + "\n" + _TAIL.format(**fmt)
    check_source(source, "predict.py")
    return source


def export_numpy(network, folder: str | Path, meta: dict | None = None) -> list[Path]:
    """Write ``predict.py`` and ``weights.npz`` into ``folder`` (created when missing)."""
    from nnstudio.fileio import atomic_write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "predict.py", folder / "weights.npz"]
    source = predict_source(network, meta)
    atomic_write(paths[0], lambda fh: fh.write(source.encode("ascii")))
    weights = {k: np.ascontiguousarray(v, dtype=np.float32)
               for k, v in network.get_weights().items()}
    atomic_write(paths[1], lambda fh: np.savez(fh, **weights))
    return paths


def check_numpy(folder: str | Path, x: np.ndarray, expected: np.ndarray
                ) -> tuple[dict[str, float], dict[str, str]]:
    """Run ``predict.py`` in a fresh, isolated interpreter on ``x`` and compare."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="nnstudio-parity-") as tmp:
        src, dst = Path(tmp) / "x.npy", Path(tmp) / "y.npy"
        np.save(src, x)
        run = subprocess.run([sys.executable, "-I", str(folder / "predict.py"), str(src),
                              "--out", str(dst)], capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            tail = (run.stderr.strip().splitlines() or ["no message"])[-1]
            raise ExportError(f"The exported predict.py failed to run: {tail}")
        got = np.load(dst, allow_pickle=False)
    return {"numpy": float(np.max(np.abs(got - expected)))}, {}
