"""Seeded mutation fuzzing of every reader of files and of data specs: model, design, IDX,
CSV, picture and ``--data`` spec.

Each reader gets valid files made by nnstudio itself (saved models, designs, IDX and gzip IDX
files, CSV tables, PNG and PGM pictures, data specs such as ``toy:xor:n=200``), mutated with a
seeded random generator: flipped bits, overwritten, inserted, deleted and duplicated bytes,
truncation, "interesting" integers in headers, and mutations *inside* the structure (an array
or the JSON text of a model member, the unpacked bytes of a gzip file, the data of a PNG chunk
with its checksum fixed, CSV lines and separators, the counts and chains of a spec), so the
cases reach past the first checksum.

After the mutations come the *crafted* cases: bombs within the file limits, each tried once
(:func:`crafted_files`): PNGs of 3,000 to 20,000 pixels a side whose every row uses the costly
Paeth or Average filter (a few hundred KB), a model file whose zero weights unpack 1,000
times, a gzip IDX that unpacks to 1 GB, and data specs that ask for 10^9 samples, nest
``3v7:`` 2,000 deep or merge 1,000 sources.

Every case runs in a worker process limited by ``RLIMIT_AS`` (memory) and by a time limit.
The outcome of a case is *valid* (the reader returned), *clear* (the reader's own error type,
with a message), or *escaped* (any other exception, a hang past the time limit, or a crashed
worker). The target is escaped = 0.

    .venv/bin/python bench/bench_fuzz.py                      # 2,000 cases per reader
    .venv/bin/python bench/bench_fuzz.py --cases 5000 --readers model idx
    .venv/bin/python bench/bench_fuzz.py --save-escapes tests/regressions
    .venv/bin/python bench/bench_fuzz.py --code ../old-checkout      # its readers, same cases
    .venv/bin/python bench/bench_fuzz.py --readers image spec --no-crafted

With ``--save-escapes`` every escaped case is written (if small) as a regression file
``<folder>/<reader>/<seed>-<case>.<ext>``, which ``tests/test_regressions.py`` loads.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import select
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: reader name -> (module, function, the clear error's class name, file suffixes)
READERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "model": ("nnstudio.core.modelfile", "load_model", ("ModelFileError",)),
    "design": ("nnstudio.core.design", "load_design", ("DesignError",)),
    "idx": ("nnstudio.data.idx", "read_idx", ("DataError",)),
    "csv": ("nnstudio.data.csvdata", "load_csv", ("DataError",)),
    "image": ("nnstudio.export.images", "read_picture", ("ImageFileError",)),
    "spec": ("__main__", "read_spec", ("DataError",)),
}
#: Where older checkouts (``--code``) keep a reader that has moved since.
OLDER = {"design": "nnstudio.core.graph:Design.load"}
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
JSON_VALUES = ["0", "-1", "1e9", "1e400", "-1e400", "1.5", "null", "true", '""', '"x"',
               "[]", "{}", "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", '"' + "A" * 5000 + '"',
               "99999999999999999999999", '"\\u001b[31m"', '{"a": [1, 2, {"b": null}]}']


# ---------------------------------------------------------------------- valid seeds
def seed_files(folder: Path) -> dict[str, list[Path]]:
    """Valid files of every kind, written by nnstudio's own writers."""
    import numpy as np

    from nnstudio.core.design import save_design
    from nnstudio.core.modelfile import save_model
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template
    from nnstudio.core.training import TrainConfig, Trainer
    from nnstudio.data.idx import write_idx

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    seeds: dict[str, list[Path]] = {k: [] for k in READERS}
    from nnstudio.core.templates import chain

    small = chain("tiny", [1, 8, 8], [("conv", "Conv2D", {"filters": 2}),
                                      ("pool", "MaxPool2D", {}), ("flat", "Flatten", {}),
                                      ("fc", "Dense", {"units": 3, "activation": "softmax"})],
                  "cross_entropy")
    flat = chain("flat", [6], [("h", "Dense", {"units": 4, "activation": "tanh"}),
                               ("o", "Dense", {"units": 2, "activation": "softmax"})],
                 "cross_entropy")
    for design in (small, flat):
        net = Network(design, seed=1)
        x = rng.random((24, *net.input_shape), dtype=np.float32)
        y = rng.integers(0, 2, 24)
        history = Trainer(net, x, y, TrainConfig(epochs=2, batch_size=8, val_split=0.25)).run()
        path = folder / f"{design.name}.npz"
        save_model(path, net, history, {"classes": ["a", "b", "c"][: net.output_shape[0]],
                                        "data": "synthetic:24"})
        seeds["model"].append(path)
    for name in ("mlp", "cnn", "lenet", "playground"):
        try:
            design = get_template(name)
        except KeyError:
            continue
        path = folder / f"{name}.json"
        save_design(design, path)
        seeds["design"].append(path)
    write_idx(folder / "a-images-idx3-ubyte.gz", rng.integers(0, 256, (6, 8, 8), np.uint8))
    write_idx(folder / "a-labels-idx1-ubyte", rng.integers(0, 10, 6).astype(np.uint8))
    write_idx(folder / "b-images-idx3-ubyte", rng.random((3, 5, 5)).astype(np.float32))
    seeds["idx"] += [folder / "a-images-idx3-ubyte.gz", folder / "a-labels-idx1-ubyte",
                     folder / "b-images-idx3-ubyte"]
    rows = ["age,town,income,label"] + [
        f"{20 + i},{['north', 'south', 'east'][i % 3]},{1000 + 37 * i},{'yes' if i % 2 else 'no'}"
        for i in range(12)]
    (folder / "table.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "semi.csv").write_text("x;y;price\n" + "".join(
        f"{i / 3:.2f};{i % 4};{100 + i * 3.5}\n" for i in range(10)), encoding="utf-8")
    seeds["csv"] += [folder / "table.csv", folder / "semi.csv"]
    img = (rng.random((9, 7)) * 255).astype(np.uint8)
    (folder / "digit.png").write_bytes(_png(img))
    (folder / "digit.pgm").write_bytes(b"P5\n7 9\n255\n" + img.tobytes())
    rgb = (rng.random((5, 6, 3)) * 255).astype(np.uint8)
    (folder / "colour.png").write_bytes(_png(rgb))
    seeds["image"] += [folder / "digit.png", folder / "digit.pgm", folder / "colour.png"]
    for i, spec in enumerate(SPEC_SEEDS):
        path = folder / f"spec{i}.txt"
        path.write_text(spec, encoding="utf-8")
        seeds["spec"].append(path)
    return seeds


#: Valid data specs that load in well under a second; the mutations make them hostile.
SPEC_SEEDS = ["synthetic:300", "synthetic:200:seed=3", "toy:xor:n=200",
              "toy:spiral:n=100:noise=0.1", "cars:50", "cars:20:raw", "3v7:synthetic:400",
              "toy:xor+toy:xor:n=50", "synthetic:100+synthetic:100", "perceptron:xor"]
#: What a hostile spec puts where a count is: too big, not numbers, or nonsense.
SPEC_NUMBERS = ["0", "-1", "1e9", "1000000000", "5000000", "99999999999999999999", "2147483648",
                "1_000_000_000", "", "x", "nan", "3.5", "0x10", "１２"]


def read_spec(path: str) -> None:
    """The bench's reader of data specs: the spec is the text of the file at ``path``."""
    from nnstudio.data.sources import load_source

    load_source(Path(path).read_text(encoding="utf-8", errors="replace"))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(img) -> bytes:
    """A PNG as other programs write it (greyscale or RGB, 8 bit, filter 0)."""
    h, w = img.shape[:2]
    colour = 0 if img.ndim == 2 else 2
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour,
                                                              0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


# ---------------------------------------------------------------------- mutations
def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to four random byte-level changes."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        n = len(b)
        if n == 0:
            b += rng.randbytes(rng.randint(1, 16))
            continue
        i = rng.randrange(n)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.randrange(256)
        elif op == 2:
            b[i:i] = rng.randbytes(rng.randint(1, 64))
        elif op == 3:
            del b[i:i + rng.randint(1, 64)]
        elif op == 4:
            del b[rng.randint(0, n):]
        elif op == 5:
            j = rng.randrange(n)
            b[i:i] = b[j:j + rng.randint(1, 256)]
        elif op == 6 and n >= 4:
            i = rng.randrange(n - 3)
            b[i:i + 4] = struct.pack(rng.choice([">I", "<I"]), rng.choice(INTERESTING))
        else:
            b[i:i + 1] = bytes([rng.choice(INTERESTING) & 0xFF])
    return bytes(b)


def mutate_json(text: str, rng: random.Random) -> str:
    """Replace a value, key or bracket of JSON text, or nest/trim it."""
    import re

    op = rng.randrange(5)
    spots = [m.span() for m in re.finditer(r'-?\d+(\.\d+)?([eE][-+]?\d+)?|"[^"\\]*"|\[|\]|\{|\}',
                                           text)]
    if not spots or op == 4:
        return mutate_bytes(text.encode("utf-8"), rng).decode("utf-8", "replace")
    a, b = rng.choice(spots)
    if op == 0:
        return text[:a] + rng.choice(JSON_VALUES) + text[b:]
    if op == 1:
        return text[:a] + text[b:]
    if op == 2:
        return text[:a] + "[" * 3000 + text[a:b] + "]" * 3000 + text[b:]
    return text[:a] + text[a:b] + ", " + text[a:b] + text[b:]


def mutate_npy(data: bytes, rng: random.Random) -> bytes:
    """Change an array member: its header text (shape, dtype) or its values."""
    end = data.find(b"\n") + 1
    if end > 10 and rng.random() < 0.5:
        header = data[10:end].decode("latin1")
        choice = rng.randrange(4)
        if choice == 0:
            header = header.replace("'shape': (", f"'shape': ({rng.choice(INTERESTING)}, ", 1)
        elif choice == 1:
            header = header.replace("'descr': '", f"'descr': '{rng.choice(['|O', '<U9', '>f8', '|V4', '<c16', '|b1', '<M8'])}", 1)  # noqa: E501
        elif choice == 2:
            header = header.replace("False", "True")
        else:
            header = mutate_bytes(header.encode("latin1"), rng).decode("latin1")
        body = header.encode("latin1")
        head = data[:8] + struct.pack("<H", len(body))
        return head + body + data[end:]
    return mutate_bytes(data, rng)


def mutate_model(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return mutate_bytes(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    names = list(members)
    op = rng.randrange(6)
    name = rng.choice(names)
    if op == 0:
        del members[name]
    elif op == 1 and name in ("design.npy", "meta.npy"):
        import numpy as np

        with io.BytesIO(members[name]) as fh:
            text = str(np.load(fh))
        buf = io.BytesIO()
        np.save(buf, np.array(mutate_json(text, rng)))
        members[name] = buf.getvalue()
    elif op == 2:
        members[rng.choice(names)] = members[name]  # one member's content under another name
    elif op == 3:
        members[name.replace(".npy", "") + "x.npy"] = members[name]
    else:
        members[name] = mutate_npy(members[name], rng)
    buf = io.BytesIO()
    method = rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
    with zipfile.ZipFile(buf, "w", method) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return buf.getvalue()


def mutate_idx(data: bytes, rng: random.Random) -> bytes:
    if data[:2] == b"\x1f\x8b" and rng.random() < 0.6:
        return gzip.compress(mutate_bytes(gzip.decompress(data), rng), mtime=0)
    return mutate_bytes(data, rng)


def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8")
    lines = text.split("\n")
    op = rng.randrange(9)
    i = rng.randrange(len(lines))
    if op == 0:
        lines[i] = "," * rng.randint(1, 40)
    elif op == 1:
        return text.replace("\n", rng.choice(["\r", "\r\n", "\n\n", "\x0b"])).encode()
    elif op == 2:
        lines[i] += "," + "9" * rng.choice([10, 1000, 140_000])
    elif op == 3:
        lines[i] = lines[i].replace(",", rng.choice(['"', '","', ";", "\t", ",,"]), 1)
    elif op == 4:
        lines.insert(i, rng.choice(["", " ", "#", '"', "\x00", "é,ü", "nan,inf,-inf,1e999"]))
    elif op == 5:
        del lines[i]
    elif op == 6:
        lines[0] = ",".join(["c"] * rng.randint(2, 50))
    elif op == 7:
        return mutate_bytes(data, rng)
    else:
        cells = lines[i].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(["", "?", "NA", "1e308", "-0", "x" * 99,
                                                       "1_000", "0x10", "∞"])
        lines[i] = ",".join(cells)
    return "\n".join(lines).encode("utf-8", "replace")


def mutate_image(data: bytes, rng: random.Random) -> bytes:
    if data.startswith(b"\x89PNG") and rng.random() < 0.6:
        chunks, pos = [], 8
        while pos + 8 <= len(data):
            n = struct.unpack(">I", data[pos:pos + 4])[0]
            chunks.append([data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]])
            pos += 12 + n
        k = rng.randrange(len(chunks))
        kind, body = chunks[k]
        if kind == b"IDAT" and rng.random() < 0.5:
            raw = zlib.decompress(body)
            chunks[k][1] = zlib.compress(mutate_bytes(raw, rng))
        elif kind == b"IHDR" and rng.random() < 0.7:
            fields = list(struct.unpack(">IIBBBBB", body))
            j = rng.randrange(7)
            fields[j] = rng.choice(INTERESTING) & (0xFFFFFFFF if j < 2 else 0xFF)
            chunks[k][1] = struct.pack(">IIBBBBB", *fields)
        else:
            chunks[k][1] = mutate_bytes(body, rng)
        return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(kd, bd) for kd, bd in chunks)
    if data.startswith(b"P5") and rng.random() < 0.5:
        head, _, rest = data.partition(b"255\n")
        parts = head.split()
        parts[rng.randrange(1, len(parts))] = str(rng.choice(INTERESTING)).encode()
        return b" ".join(parts) + b"\n255\n" + rest
    return mutate_bytes(data, rng)


def mutate_spec(data: bytes, rng: random.Random) -> bytes:
    """A count made hostile, a prefix repeated, a chain lengthened, or bytes changed."""
    import re

    text = data.decode("utf-8")
    op = rng.randrange(6)
    numbers = list(re.finditer(r"\d+(\.\d+)?", text))
    if op <= 1 and numbers:
        m = rng.choice(numbers)
        text = text[:m.start()] + rng.choice(SPEC_NUMBERS) + text[m.end():]
    elif op == 2:
        text = rng.choice(["3v7:", "toy:", "synthetic:", "cars:"]) * rng.choice(
            [2, 50, 2000]) + text
    elif op == 3:
        text = "+".join([text] * rng.choice([2, 33, 1000]))
    elif op == 4:
        text = text + rng.choice([":n=1e9", ":seed=99999999999999999999", ":raw:raw", "+",
                                  ":" * 500, ":noise=1e400", "+3v7:" + text])
    else:
        return mutate_bytes(data, rng)
    return text.encode("utf-8")


MUTATORS = {"model": mutate_model, "design": lambda d, r: mutate_json(
    d.decode("utf-8"), r).encode("utf-8", "replace"), "idx": mutate_idx, "csv": mutate_csv,
    "image": mutate_image, "spec": mutate_spec}


# ---------------------------------------------------------------------- crafted bombs
def bomb_png(side: int, filter_type: int, colour: int = 0) -> bytes:
    """A ``side`` x ``side`` black PNG whose every row uses ``filter_type`` (3 Average,
    4 Paeth), compressed row by row: 15,000 pixels a side is about 250 KB."""
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    z = zlib.compressobj(9)
    row = bytes([filter_type]) + bytes(side * bpp)
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8,
                                                              colour, 0, 0, 0))
            + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))


def _zeros_idx_gz(shape: list[int]) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}i", *shape))]
    left, block = 1, bytes(1 << 22)
    for d in shape:
        left *= d
    while left:
        parts.append(z.compress(block[:min(left, len(block))]))
        left -= min(left, len(block))
    return b"".join(parts) + z.flush()


def _zero_weights_model(units: int) -> bytes:
    """A legal design 784 -> Dense ``units`` -> 10 whose weights are zeros (about 1,000 times
    smaller packed than unpacked)."""
    import numpy as np

    from nnstudio.core.design import design_to_json
    from nnstudio.core.templates import chain

    def npy(value) -> bytes:
        buf = io.BytesIO()
        np.save(buf, value)
        return buf.getvalue()

    design = chain("huge", [784], [("big", "Dense", {"units": units, "activation": "relu"}),
                                   ("out", "Dense", {"units": 10, "activation": "softmax"})],
                   "cross_entropy")
    shapes = {"big/W": (784, units), "big/b": (units,), "out/W": (units, 10), "out/b": (10,)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("format.npy", npy(np.array("nnstudio-model")))
        zf.writestr("version.npy", npy(np.array(1, np.int64)))
        zf.writestr("design.npy", npy(np.array(design_to_json(design))))
        zf.writestr("meta.npy", npy(np.array(json.dumps({"classes": list("0123456789")}))))
        for key, shape in shapes.items():
            with zf.open(f"weights/{key}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(
                    fh, {"descr": "<f4", "fortran_order": False, "shape": shape})
                left = 4 * shape[0] * (shape[1] if len(shape) > 1 else 1)
                while left:
                    fh.write(bytes(min(left, 1 << 22)))
                    left -= min(left, 1 << 22)
    return buf.getvalue()


def crafted_files(reader: str) -> list[tuple[str, bytes]]:
    """Bombs within the file limits, as (name, bytes); each is tried once."""
    if reader == "image":
        return [(f"paeth{side}.png" if f == 4 else f"average{side}.png", bomb_png(side, f, c))
                for side, f, c in ((15_000, 4, 0), (20_000, 4, 0), (12_000, 3, 0),
                                   (4_000, 4, 6), (4_000, 3, 4), (3_000, 4, 2))]
    if reader == "spec":
        specs = ["synthetic:5000000", "toy:xor:n=1000000000", "cars:1000000000",
                 "3v7:" * 2000 + "synthetic:100", "+".join(["toy:xor"] * 1000),
                 "+".join(["synthetic:300000"] * 8), "3v7:" + "+".join(["cars:900000"] * 30)]
        return [(f"crafted{i}.txt", s.encode()) for i, s in enumerate(specs)]
    if reader == "model":
        return [("zeros.npz", _zero_weights_model(300_000))]
    if reader == "idx":
        return [("bomb-images-idx3-ubyte.gz", _zeros_idx_gz([1_400_000, 28, 28]))]
    return []


# ---------------------------------------------------------------------- the worker
def worker(reader: str, memory_mb: int) -> None:
    """Read case paths from stdin, answer one JSON line each on stdout."""
    import resource

    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import importlib

    module, func, clear = READERS[reader]
    try:
        read = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):  # a checkout from before the design package
        mod, _, attr = OLDER[reader].rpartition(":")
        read = importlib.import_module(mod)
        for part in attr.split("."):
            read = getattr(read, part)
    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        start = time.perf_counter()
        try:
            value = read(path)
            result = {"outcome": "valid"}
            if reader == "image" and not (value.ndim == 2 or (value.ndim == 3
                                                              and value.shape[2] in (3, 4))):
                result = {"outcome": "escaped",  # a picture its callers cannot use
                          "error": f"UnusableShape: {value.shape}"}
        except Exception as err:  # noqa: BLE001 - classifying every failure is the point
            name = type(err).__name__
            ok = name in clear or any(c.__name__ in clear for c in type(err).__mro__)
            result = {"outcome": "clear" if ok and str(err) else "escaped",
                      "error": f"{name}: {str(err)[:300]}"}
        result["s"] = round(time.perf_counter() - start, 4)
        out.write(json.dumps(result) + "\n")
        out.flush()


class Worker:
    """A worker process for one reader, restarted after a hang or a crash."""

    def __init__(self, reader: str, memory_mb: int, code: Path = ROOT) -> None:
        self.reader, self.memory_mb, self.code = reader, memory_mb, code
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.code), "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "NNSTUDIO_THREADS": "1",
               "QT_QPA_PLATFORM": "offscreen"}
        env.pop("NNSTUDIO_MEMORY_LIMIT_GB", None)
        if self.reader == "spec":  # 'mine' and downloads stay inside a throw-away folder
            scratch = Path(tempfile.gettempdir()) / "nnstudio-fuzz-spec"
            env |= {"NNSTUDIO_CACHE_DIR": str(scratch / "cache"),
                    "NNSTUDIO_DATA_DIR": str(scratch / "data")}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", self.reader,
             "--memory-mb", str(self.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env)

    def run(self, path: Path, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(f"{path}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.stop()
            return {"outcome": "escaped", "error": "worker died"}
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return {"outcome": "escaped", "error": f"hung for more than {timeout} s"}
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.proc = None
            return {"outcome": "escaped", "error": f"worker crashed (exit {code})"}
        return json.loads(line)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except (OSError, AttributeError):
                    pass
            self.proc = None


# ---------------------------------------------------------------------- the driver
def fuzz(reader: str, cases: int, seed: int = 0, memory_mb: int = 2048,
         timeout: float = 10.0, folder: Path | None = None,
         save_escapes: Path | None = None, code: Path = ROOT, crafted: bool = True) -> dict:
    """Fuzz one reader with ``cases`` mutations, then (``crafted``) each crafted bomb once;
    returns counts and the escaped cases (with their bytes)."""
    own = folder is None
    work = Path(tempfile.mkdtemp(prefix=f"nnstudio-fuzz-{reader}-")) if own else folder
    seeds = seed_files(work / "seeds")[reader]
    originals = [(p.suffix if p.suffix != ".gz" else "".join(p.suffixes[-1:]), p.name,
                  p.read_bytes()) for p in seeds]
    rng = random.Random(f"{seed}-{reader}")
    pool = Worker(reader, memory_mb, code)
    counts: Counter = Counter()
    escapes: list[dict] = []
    slowest = 0.0
    extra = crafted_files(reader) if crafted else []
    try:
        for case in range(cases + len(extra)):
            if case < cases:
                _, name, data = rng.choice(originals)
                mutated = MUTATORS[reader](data, rng)
            else:
                name, mutated = extra[case - cases]
            path = work / f"case-{case % 2}-{name}"
            path.write_bytes(mutated)
            result = pool.run(path, timeout)
            counts[result["outcome"]] += 1
            if "hung" in result.get("error", ""):
                counts["hangs"] += 1
            slowest = max(slowest, result.get("s", timeout))
            if result["outcome"] == "escaped":
                escapes.append({"case": case, "name": name, "error": result["error"],
                                "data": mutated})
                if save_escapes is not None and len(mutated) <= 200_000:
                    target = save_escapes / reader / f"{seed}-{case}-{name}"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(mutated)
    finally:
        pool.stop()
        if own:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return {"reader": reader, "cases": cases + len(extra), "crafted": len(extra),
            "clear": counts["clear"], "valid": counts["valid"], "escaped": counts["escaped"],
            "hangs": counts["hangs"], "slowest_s": slowest, "escapes": escapes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", nargs="+", default=list(READERS), choices=list(READERS))
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--save-escapes", type=Path, default=None)
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="run the readers of another checkout (e.g. an older one)")
    parser.add_argument("--no-crafted", action="store_true",
                        help="leave out the crafted bombs (mutations only)")
    parser.add_argument("--worker", choices=list(READERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.memory_mb)
        return
    print(f"{'reader':<8}{'cases':>7}{'crafted':>8}{'clear':>7}{'valid':>7}{'escaped':>9}"
          f"{'hangs':>7}{'slowest s':>11}{'time s':>8}   (RLIMIT_AS {args.memory_mb} MB, "
          f"{args.timeout:g} s a case)")
    for reader in args.readers:
        start = time.perf_counter()
        r = fuzz(reader, args.cases, args.seed, args.memory_mb, args.timeout,
                 save_escapes=args.save_escapes, code=args.code, crafted=not args.no_crafted)
        print(f"{reader:<8}{r['cases']:>7}{r['crafted']:>8}{r['clear']:>7}{r['valid']:>7}"
              f"{r['escaped']:>9}{r['hangs']:>7}{r['slowest_s']:>11.3f}"
              f"{time.perf_counter() - start:>8.1f}", flush=True)
        kinds = Counter(e["error"].split(":")[0] for e in r["escapes"])
        for kind, n in kinds.most_common():
            example = next(e for e in r["escapes"] if e["error"].startswith(kind))
            print(f"    {n} x {example['error'][:150]}  (case {example['case']})")


if __name__ == "__main__":
    main()
