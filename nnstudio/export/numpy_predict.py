"""Export to plain NumPy: a dependency-free ``predict.py`` and ``weights.npz``.

``predict.py`` needs only NumPy: a handful of layer functions (dense, conv2d through a
sliding-window view, max-pool, the activations) and one ``forward`` that mirrors the design
node by node. ``weights.npz`` keeps nnstudio's names and layouts (``<node>/W``,
``<node>/b``). Parity is checked by running ``predict.py`` in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from nnstudio import __version__

from .common import ExportError, Step, doc_name, graph_steps, model_facts, python_names

__all__ = ["check_numpy", "export_numpy", "predict_source"]

_ACT = {"linear": "{}", "relu": "np.maximum({}, 0)", "sigmoid": "sigmoid({})",
        "tanh": "np.tanh({})", "leaky_relu": "leaky_relu({})", "softmax": "softmax({})",
        "step": "step({})"}

_HEAD = r'''"""Run the nnstudio design '{design}' with NumPy alone (nnstudio {version}).

    python predict.py INPUTS.npy [--out OUTPUTS.npy] [--json]

INPUTS.npy holds a float32 batch of shape (N, {in_shape}) {pixels}.
Prints the answer for every sample; --out also saves the raw outputs (N, {out_shape}).
From Python: ``from predict import predict; outputs = predict(x)``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

INPUT_SHAPE = {input_shape}
CLASSES = {classes}
TASK = {task!r}
FACTS = json.loads(r"""{facts}""")
WEIGHTS = Path(__file__).with_name("weights.npz")


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
    x = np.asarray(x, dtype=np.float32).reshape(-1, *INPUT_SHAPE)
    if weights is None:
        with np.load(WEIGHTS, allow_pickle=False) as data:
            weights = {{k: data[k] for k in data.files}}
    return forward(x, weights)


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the exported network on a batch.")
    p.add_argument("inputs", help=".npy file of shape (N, {in_shape})")
    p.add_argument("--out", help="save the outputs as .npy")
    p.add_argument("--json", action="store_true", help="one JSON object per sample")
    args = p.parse_args(argv)
    try:
        x = np.load(args.inputs, allow_pickle=False)
        y = predict(x)
    except (OSError, ValueError) as err:
        print(f"predict.py: {{args.inputs}}: {{err}}", file=sys.stderr)
        return 2
    if args.out:
        np.save(args.out, y)
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
            print(f"{{i}}: {{answer}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''


def _line(step: Step, v: str, srcs: list[str]) -> str:
    key = f'w["{step.id}/W"], w["{step.id}/b"]'
    if step.kind == "Input":
        return f"    {v} = np.asarray(x, dtype=np.float32).reshape(len(x), *INPUT_SHAPE)"
    if step.kind == "Output":
        return f"    return {srcs[0]}"
    if step.kind == "Dense":
        return f"    {v} = {_ACT[step.activation].format(f'dense({srcs[0]}, {key})')}"
    if step.kind == "Conv2D":
        call = f"conv2d({srcs[0]}, {key}, {step.params['stride']}, {step.pad})"
        return f"    {v} = {_ACT[step.activation].format(call)}"
    if step.kind == "MaxPool2D":
        return f"    {v} = max_pool({srcs[0]}, {step.params['pool_size']}, {step.pool_stride})"
    if step.kind == "Flatten":
        return f"    {v} = {srcs[0]}.reshape(len({srcs[0]}), -1)"
    if step.kind == "Dropout":
        return f"    {v} = {srcs[0]}  # dropout: identity at inference"
    if step.kind == "Activation":
        return f"    {v} = {_ACT[step.activation].format(srcs[0])}"
    if step.kind == "Add":
        return f"    {v} = {' + '.join(srcs)}"
    if step.kind == "Concatenate":
        return f"    {v} = np.concatenate([{', '.join(srcs)}], axis=1)"
    raise ExportError(f"{step.label} cannot be exported to NumPy: nnstudio has no NumPy form "
                      f"for the layer kind '{step.kind}'", step.id,
                      "replace it by layers of the kinds nnstudio exports")


def predict_source(network, meta: dict | None = None) -> str:
    """The text of ``predict.py`` for ``network``."""
    facts = model_facts(network, meta or {})
    steps = graph_steps(network)
    names, _ = python_names([s.id for s in steps])
    names = {k: f"{v}_" if v in ("w", "np", "x") else v for k, v in names.items()}
    prep = facts["preprocessing"]
    pixels = (f"(pixels {prep['pixels']}, {prep['recipe']})" if prep["kind"] == "image"
              else "(columns encoded as FACTS['preprocessing'] describes)")
    fmt = {"design": doc_name(network), "version": __version__,
           "in_shape": ", ".join(map(str, network.input_shape)),
           "out_shape": ", ".join(map(str, network.output_shape)), "pixels": pixels,
           "input_shape": tuple(network.input_shape), "classes": json.dumps(facts["classes"]),
           "task": network.task,
           "facts": json.dumps({k: facts[k] for k in ("classes", "task", "preprocessing",
                                                      "y_scaler")})}
    body = [_line(s, names[s.id], [names[i] for i in s.inputs]) for s in steps]
    return _HEAD.format(**fmt) + "\n".join(body) + "\n" + _TAIL.format(**fmt)


def export_numpy(network, folder: str | Path, meta: dict | None = None) -> list[Path]:
    """Write ``predict.py`` and ``weights.npz`` into ``folder`` (created when missing)."""
    from nnstudio.fileio import atomic_write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "predict.py", folder / "weights.npz"]
    source = predict_source(network, meta)
    atomic_write(paths[0], lambda fh: fh.write(source.encode("utf-8")))
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
