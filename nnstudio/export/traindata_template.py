"""The text of ``traindata.py``, shipped beside the generated ``train.py``: one fixed program.

It reads the data ``train.py`` trains on as nnstudio reads it: an IDX folder of digits
(shrunk by area averaging to the model's picture size) or a CSV table (numbers
standardised, text one-hot, with the model's stored encoding when it has one). Untrusted
files are sized before anything is allocated and an IDX header is checked against the
bytes that follow; bad data ends the run with one line on stderr and exit code 2. Like
``train.py`` it holds nothing from a design: the input shape, the class names and the
column encoding reach it as arguments at run time. It is compiled at export time and
compiled, linted and run by the tests (``tests/export/test_generated_bad_data.py``).
"""

from __future__ import annotations

__all__ = ["TRAINDATA"]

TRAINDATA = r'''"""Read training data as nnstudio does: IDX digits and CSV tables, checked first.

Written by nnstudio's export beside train.py, which imports it; needs only NumPy. Files are
sized before anything is allocated, a header is checked against the bytes that follow, and
bad data ends the run with one line on stderr and exit code 2 (fail).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
import stat
import sys
import zlib
from pathlib import Path

import numpy as np

#: files larger than this are refused before they are read (bytes)
MAX_FILE_BYTES = 8 << 30


def fail(message: str) -> None:
    """One line on stderr, exit code 2."""
    print(f"train.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def shown(value: object, limit: int = 200) -> str:
    """Text from a file as it is safe to print: control characters and direction marks
    as escapes (\\x1b, \\u202e), very long text cut."""
    text = str(value)
    cut = len(text) > limit
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text[:limit])
    return text + ("..." if cut else "")


def file_size(path: Path, what: str) -> int:
    """The size of a regular file; anything else (missing, a folder, a pipe) ends the run."""
    try:
        info = path.stat()
    except OSError as err:
        fail(f"{shown(path)} cannot be read ({shown(err.strerror or err)}); give {what}")
    if not stat.S_ISREG(info.st_mode):
        fail(f"{shown(path)} is not a regular file (a folder, pipe or device); give {what}")
    if info.st_size > MAX_FILE_BYTES:
        fail(f"{shown(path)} is {info.st_size:,} bytes, more than {MAX_FILE_BYTES:,}")
    return info.st_size


def memory_bytes() -> int | None:
    """The machine's memory in bytes, where the system says (else None)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (gzipped or not); its header is checked against the
    bytes that follow before anything of its claimed size is allocated."""
    size = file_size(path, "an IDX file")
    try:
        with open(path, "rb") as fh:
            packed = fh.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as fh:
            head = fh.read(4)
            if len(head) < 4 or head[:3] != b"\x00\x00\x08" or not 1 <= head[3] <= 4:
                fail(f"{shown(path)} is not an IDX file of unsigned bytes")
            ndim = head[3]
            raw_dims = fh.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                fail(f"{shown(path)} ends inside its IDX header")
            dims = [int.from_bytes(raw_dims[4 * i:4 * i + 4], "big") for i in range(ndim)]
            count = math.prod(dims)
            if not packed and count != size - 4 - 4 * ndim:
                fail(f"{shown(path)}: its header says {count:,} values but the file holds "
                     f"{size - 4 - 4 * ndim:,}; the file is damaged")
            limit = memory_bytes()
            if limit is not None and count * 5 > limit:
                fail(f"{shown(path)}: its header says {count:,} values, more than this "
                     "machine's memory holds")
            data = bytearray()
            while len(data) < count:
                chunk = fh.read(min(1 << 24, count - len(data)))
                if not chunk:
                    break
                data += chunk
            if len(data) != count or fh.read(1):
                fail(f"{shown(path)}: its header says {count:,} values but the file holds "
                     f"{'fewer' if len(data) < count else 'more'}; the file is damaged")
    except (OSError, EOFError, zlib.error) as err:
        fail(f"{shown(path)} cannot be read ({shown(err)}); the file is damaged")
    return np.frombuffer(bytes(data), np.uint8).reshape(dims)


def shrink(images: np.ndarray, side: int) -> np.ndarray:
    """Area-average (N, H, W) images down to (N, side, side), as nnstudio does."""
    def matrix(n: int) -> np.ndarray:
        scale = side / n
        i, j = np.arange(side)[:, None], np.arange(n)[None, :]
        lo, hi = i / scale, (i + 1.0) / scale
        return np.clip(np.minimum(hi, j + 1.0) - np.maximum(lo, j), 0, None) * scale
    ry, rx = matrix(images.shape[1]), matrix(images.shape[2])
    return np.clip(ry @ images @ rx.T, 0, 1).astype(np.float32)


def image_side(shape: tuple) -> int:
    """The side of the square pictures a model of input shape ``shape`` takes."""
    side = shape[-1] if len(shape) == 3 else int(round(np.prod(shape) ** 0.5))
    if side * side * (shape[0] if len(shape) == 3 else 1) != int(np.prod(shape)):
        fail(f"this model takes {shape} values, not a picture")
    return side


def load_idx(folder: Path, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    if not folder.is_dir():
        fail(f"{shown(folder)} is not a folder with IDX files")
    pat = re.compile(r"images[-_.]idx3[-_.]ubyte(\.gz)?$", re.I)
    images = sorted(p for p in folder.iterdir() if pat.search(p.name))
    images.sort(key=lambda p: "train" not in p.name.lower())
    for img in images:
        name = img.name.replace("images", "labels").replace("idx3", "idx1")
        for cand in (name, name[:-3] if name.endswith(".gz") else name + ".gz"):
            if (folder / cand).exists():
                x, y = read_idx(img), read_idx(folder / cand)
                if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or not len(x):
                    fail(f"{shown(img)} and {shown(cand)} do not hold N images and N labels "
                         f"(shapes {x.shape} and {y.shape})")
                x = x.astype(np.float32) / 255.0
                side = image_side(shape)
                if x.shape[1:] != (side, side):
                    x = shrink(x, side)
                return x.reshape(len(x), *shape), y.astype(np.int64)
    fail(f"{shown(folder)} holds no pair of '...-images-idx3-ubyte' and "
         "'...-labels-idx1-ubyte' files")


def number(text: str) -> float | None:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def load_csv(path: Path, label: str | None, meta: dict, shape: tuple
             ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Numbers standardised, text one-hot (the model's stored encoding when it has one)."""
    file_size(path, "a CSV file")
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as err:
        fail(f"{shown(path)} cannot be read ({shown(err.strerror or err)})")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect) if r]
    except csv.Error as err:
        fail(f"{shown(path)} is not a CSV table ({shown(err)})")
    if len(rows) < 2:
        fail(f"{shown(path)} holds no rows of data under its header")
    header, body = rows[0], rows[1:]
    if len(set(header)) != len(header):
        fail(f"{shown(path)}: two columns have the same name; name each column once")
    for i, row in enumerate(body):
        if len(row) != len(header):
            fail(f"{shown(path)}: row {i + 2} has {len(row)} values but the header names "
                 f"{len(header)} columns; fix that row")
    enc = dict(meta.get("columns") or {})
    label = label or enc.get("label") or header[-1]
    if label not in header:
        fail(f"{shown(path)} has no column '{shown(label)}'; its columns are "
             f"{shown(', '.join(header), 400)}")
    col = {h: [r[i] for r in body] for i, h in enumerate(header)}
    task = meta.get("task") or "classification"
    if task == "regression":
        values = [number(v) for v in col[label]]
        if None in values:
            fail(f"{shown(path)}: the column '{shown(label)}' holds a value that is not a "
                 "number")
        raw_y = np.array(values, dtype=np.float64)[:, None]
        ys = enc.get("y_scaler") or {"mean": [raw_y.mean()], "std": [raw_y.std() or 1.0]}
        y = ((raw_y - ys["mean"]) / np.asarray(ys["std"])).astype(np.float32)
        enc["y_scaler"] = {"mean": list(map(float, ys["mean"])),
                           "std": list(map(float, ys["std"])), "names": [label]}
    else:
        classes = meta.get("classes") or sorted(
            set(col[label]), key=lambda v: (number(v) is None, number(v) or 0.0, v))
        index = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(col[label]) - set(index))
        if unknown:
            fail(f"{shown(path)}: label '{shown(unknown[0])}' is not one of the model's "
                 "classes")
        y = np.array([index[v] for v in col[label]], dtype=np.int64)
        meta["classes"] = list(classes)
    feats = [h for h in header if h != label and h not in enc.get("dropped", [])]
    cats = enc.get("categories")
    if cats is None:
        cats = {h: sorted(set(col[h])) for h in feats
                if sum(number(v) is not None for v in col[h]) < 0.5 * len(body)}
    nums = [h for h in feats if h not in cats]
    if nums:
        raw = np.array([[number(v) if number(v) is not None else np.nan for v in col[h]]
                        for h in nums], dtype=np.float64).T
        if np.isnan(raw).any():
            fail(f"{shown(path)}: a numeric column holds a value that is not a number")
        xs = enc.get("x_scaler") or {"mean": raw.mean(0).tolist(),
                                     "std": np.where(raw.std(0) == 0, 1, raw.std(0)).tolist()}
        if len(xs["mean"]) != len(nums):
            fail(f"{shown(path)} has other number columns than the model was trained on; "
                 "give the columns it was trained on")
        enc["x_scaler"] = {**xs, "names": nums}
        std = (raw - np.asarray(xs["mean"])) / np.asarray(xs["std"])
    out = []
    for h in feats:
        if h in cats:
            out.append((np.asarray(col[h])[:, None] == np.asarray(cats[h])[None]).astype(float))
        else:
            out.append(std[:, [nums.index(h)]])
    enc.update(label=label, categories=cats, dropped=enc.get("dropped", []))
    if not out:
        fail(f"{shown(path)} has no input columns besides its label")
    x = np.concatenate(out, 1).astype(np.float32)
    if x.shape[1] != int(np.prod(shape)):
        fail(f"{shown(path)} gives {x.shape[1]} input values per row but the model takes "
             f"{int(np.prod(shape))}; give the columns it was trained on")
    return x.reshape(len(x), *shape), y, enc


def csv_spec(spec: str) -> tuple[Path, dict]:
    """csv:FILE.csv:label=COLUMN as the file and its options."""
    parts, opts = spec[4:].split(":"), {}
    while len(parts) > 1 and "=" in parts[-1]:
        k, _, v = parts.pop().partition("=")
        opts[k.strip()] = v.strip()
    return Path(":".join(parts)), opts


def load_data(spec: str, meta: dict, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The samples (N, *shape) float32 and targets of --data; meta gains the CSV encoding."""
    if spec.startswith("idx:"):
        return load_idx(Path(spec[4:]), shape)
    if spec.startswith("csv:"):
        path, opts = csv_spec(spec)
        x, y, enc = load_csv(path, opts.get("label"), meta, shape)
        meta["columns"] = enc
        return x, y
    fail(f"--data '{shown(spec)}': use idx:FOLDER or csv:FILE.csv:label=COLUMN")
'''
