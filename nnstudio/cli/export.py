"""``nnstudio export`` and ``nnstudio predict``: the command-line side of :mod:`nnstudio.export`.

::

    nnstudio export MODEL --to onnx|pytorch|numpy --out PATH
    nnstudio predict MODEL INPUT... [--json] [--top K]

MODEL is a model file or ``default`` (the shipped model). Pictures go through the Draw
page's preprocessing (:func:`~nnstudio.data.preprocess.picture_to_ink`, then MNIST framing);
CSV rows through the column encoding stored in the model file.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from nnstudio.cli.common import UsageError, load_model_arg
from nnstudio.export.common import PARITY_TOLERANCE, TARGETS, preprocessing
from nnstudio.terminal import printable

__all__ = ["add_commands", "cmd_export", "cmd_predict", "prepare_inputs", "probabilities"]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def add_commands(sub) -> None:
    """Register ``export`` and ``predict`` on the ``nnstudio`` subparsers ``sub``."""
    p = sub.add_parser("export", help="write a model as ONNX, PyTorch code or NumPy code, "
                       "checked against nnstudio")
    p.add_argument("model", help="model file, or 'default' for the shipped model")
    p.add_argument("--to", required=True, choices=TARGETS, help="what to write")
    p.add_argument("--out", required=True, help="the .onnx file, or the folder for pytorch "
                   "and numpy")
    p.add_argument("--no-check", action="store_true",
                   help="skip running the export to compare it with nnstudio")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("predict", help="the model's answer for picture files or CSV rows")
    p.add_argument("model", help="model file, or 'default' for the shipped model")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="PNG/JPEG/PGM pictures (any size, either polarity) or CSV files")
    p.add_argument("--json", action="store_true", help="one JSON object per input and line")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="how many of the most likely classes to show (default 3)")
    p.set_defaults(func=cmd_predict)


# ---------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    from nnstudio.export.parity import export_model

    model = load_model_arg(args.model)
    result = export_model(model.network, args.to, args.out, model.meta,
                          check=not args.no_check)
    files = ", ".join(printable(p, 1000) for p in result.paths)
    print(f"wrote {args.to} export of '{printable(model.design.name)}': {files} "
          f"({result.seconds:.2f} s)")
    for old, new in result.renamed.items():
        print(f"renamed layer '{printable(old)}' to '{new}' (not a Python name, or a name "
              "the code uses)")
    if result.parity:
        figures = ", ".join(f"{k} {v:.2e}" for k, v in result.parity.items())
        print(f"parity with nnstudio on 16 inputs, max abs difference: {figures} "
              f"(<= {PARITY_TOLERANCE:g}: ok)")
    for check, why in result.skipped.items():
        print(f"not checked with {check}: {why}")
    if args.no_check:
        print("parity not checked (--no-check)")
    return 0


# ---------------------------------------------------------------------- predict
def _picture_input(path: Path, network, side: int) -> np.ndarray:
    from nnstudio.data.preprocess import downsample, picture_to_ink, shrink_picture, to_mnist
    from nnstudio.export.images import read_picture

    picture = shrink_picture(read_picture(path))
    ink = picture_to_ink(picture, f"'{path}'")
    img = to_mnist(ink)
    if side != 28:
        img = downsample(img, side)
    return img.reshape(1, *network.input_shape)


def _table_input(path: Path, network, meta: dict) -> tuple[np.ndarray, list[str]]:
    from nnstudio.data.csvdata import _number, _read_rows, encode_table
    from nnstudio.data.dataset import DataError

    size = math.prod(network.input_shape)
    encoding = meta.get("columns")
    if encoding:
        x, rows = encode_table(path, encoding)
    else:
        header, body = _read_rows(path)
        if len(header) != size:
            raise DataError(f"{path} has {len(header)} columns but the model takes {size} "
                            "values and stores no column encoding: give exactly its input "
                            "columns, or retrain it with 'nnstudio train --data csv:...'")
        x = np.zeros((len(body), size), np.float32)
        for r, row in enumerate(body):
            for j, v in enumerate(row):
                num = _number(v)
                if num is None:
                    raise DataError(f"{path}: row {r + 2}, column {header[j]!r}: {v!r} is "
                                    "not a number; fix it")
                x[r, j] = num
        rows = list(range(2, len(body) + 2))
    return x.reshape(len(x), *network.input_shape), [f"{path}:row {r}" for r in rows]


def _one_input(text: str, network, meta: dict, prep: dict) -> tuple[np.ndarray, list[str]]:
    """One input file -> (x (n, *input_shape), a name per sample); raises when unusable."""
    from nnstudio.data.dataset import DataError

    path = Path(text)
    if path.suffix.lower() in TABLE_SUFFIXES:
        if not path.is_file():
            raise DataError(f"'{path}' is not a file that can be read")
        return _table_input(path, network, meta)
    if prep["kind"] != "image":
        raise DataError(f"'{path}': this model takes {math.prod(network.input_shape)} "
                        "values, not a picture; give a CSV file of its input columns")
    return _picture_input(path, network, int(prep["image_size"])), [str(path)]


def read_inputs(paths: list[str], network, meta: dict
                ) -> list[tuple[str, np.ndarray | None, list[str] | str]]:
    """Read every input file for ``network``; a file that cannot be used does not stop the
    others.

    Returns
    -------
    list of (path, x, names_or_error)
        Per file in order: float32 x (n, *input_shape) and a name per sample (the file, or
        ``file:row R`` for table rows); or ``None`` and what is wrong with the file.
    """
    prep = preprocessing(meta, tuple(network.input_shape))
    out: list[tuple[str, np.ndarray | None, list[str] | str]] = []
    for text in paths:
        try:
            x, names = _one_input(text, network, meta, prep)
        except (ValueError, OSError) as err:
            message = (getattr(err, "strerror", None) if isinstance(err, OSError) else None)
            out.append((text, None, f"{message}: {text}" if message else str(err)))
        else:
            out.append((text, x.astype(np.float32), names))
    return out


def prepare_inputs(paths: list[str], network, meta: dict) -> tuple[np.ndarray, list[str]]:
    """Read every input file into one batch for ``network``.

    Returns
    -------
    (x, names) : float32 (N, *input_shape) and a name per sample (the file, or
        ``file:row R`` for table rows).

    Raises
    ------
    ValueError
        The first file that cannot be used, with what is wrong.
    """
    from nnstudio.data.dataset import DataError

    xs, names = [], []
    for _, x, got in read_inputs(paths, network, meta):
        if x is None:
            raise DataError(str(got))
        xs.append(x)
        names += got
    return np.concatenate(xs).astype(np.float32), names


def probabilities(out: np.ndarray) -> np.ndarray:
    """Classifier outputs (N, k) as probabilities (N, max(k, 2)): a softmax head passes
    through, one sigmoid output p becomes (1 - p, p), anything else goes through softmax."""
    y = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    if y.shape[1] == 1:
        p = np.clip(y[:, 0], 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=1)
    if (y < -1e-6).any() or not np.allclose(y.sum(axis=1), 1.0, atol=1e-3):
        z = np.exp(y - y.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)
    return y


def _regression_values(out: np.ndarray, meta: dict) -> tuple[np.ndarray, list[str]]:
    """Outputs in the target's own units (the stored scaler undone) and the target names."""
    scaler = (meta.get("columns") or {}).get("y_scaler") or meta.get("y_scaler")
    y = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    if scaler:
        y = y * np.asarray(scaler["std"]) + np.asarray(scaler["mean"])
        return y, list(scaler.get("names") or [])
    return y, []


def _answers(args: argparse.Namespace, model, names: list[str], out: np.ndarray) -> list[str]:
    """One printed line per sample: text, or a JSON object with ``--json``."""
    from nnstudio.terminal import printable

    network = model.network
    lines = []
    if network.task == "regression":
        values, targets = _regression_values(out, model.meta)
        for name, row in zip(names, values, strict=True):
            label = targets[0] if len(targets) == 1 else "value"
            if args.json:
                answer = float(row[0]) if len(row) == 1 else [float(v) for v in row]
                lines.append(json.dumps({"input": name, "answer": answer,
                                         "probabilities": None, "target": targets or None}))
            else:
                lines.append(f"{printable(name, 1000)}: {printable(label)} = "
                             + ", ".join(f"{v:,.6g}" for v in row))
        return lines
    probs = probabilities(out)
    classes = model.classes if len(model.classes) == probs.shape[1] else [
        str(i) for i in range(probs.shape[1])]
    for name, p in zip(names, probs, strict=True):
        order = np.argsort(-p, kind="stable")[:args.top]
        answer = classes[int(order[0])]
        if args.json:
            lines.append(json.dumps({"input": name, "answer": answer,
                                     "probabilities": {c: round(float(v), 6)
                                                       for c, v in zip(classes, p, strict=True)},
                                     "top": [[classes[int(i)], round(float(p[i]), 6)]
                                             for i in order]}))
        else:
            top = ", ".join(f"{printable(classes[int(i)])} {100 * p[i]:.1f}%" for i in order)
            lines.append(f"{printable(name, 1000)}: {printable(answer)} "
                         f"({100 * p[order[0]]:.1f}%)  [{top}]")
    return lines


def cmd_predict(args: argparse.Namespace) -> int:
    """Answer every input that can be read; each one that cannot is named on stderr (and,
    with ``--json``, as ``{"input": ..., "error": ...}``), and the exit status is then 2."""
    import sys

    from nnstudio.terminal import printable

    if args.top < 1:
        raise UsageError("--top must be a whole number >= 1")
    model = load_model_arg(args.model)
    read = read_inputs(args.inputs, model.network, model.meta)
    good = [(x, names) for _, x, names in read if x is not None]
    lines = iter(_answers(args, model, [n for _, names in good for n in names],
                          model.network.predict(np.concatenate([x for x, _ in good])))
                 if good else [])
    failed = 0
    for text, x, got in read:
        if x is None:
            failed += 1
            print(f"nnstudio: {printable(str(got), 2000)}", file=sys.stderr)
            if args.json:
                print(json.dumps({"input": text, "error": str(got)}))
            continue
        for _ in got:
            print(next(lines))
    if failed and len(read) > 1:
        print(f"nnstudio: {failed} of {len(read)} input files could not be used",
              file=sys.stderr)
    return 2 if failed else 0
