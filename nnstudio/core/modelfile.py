"""One-file models: design, weights, training history and facts in a single ``.npz``.

The file is a plain NumPy archive that ``numpy.load(path, allow_pickle=False)`` reads:

==========================  =====================================================
key                         content
==========================  =====================================================
``format``                  the string ``"nnstudio-model"``
``version``                 format version (int); newer files are refused clearly
``design``                  the design as JSON text (:func:`~nnstudio.core.design.design_to_json`)
``meta``                    JSON text: ``format_version``, ``nnstudio_version``,
                            ``saved_at``, ``classes`` and whatever the caller adds
``weights/<node>/<name>``   float32 parameter arrays, e.g. ``weights/fc1/W``
``history/<key>``           :meth:`History.to_dict` arrays
==========================  =====================================================

Writes are atomic (:func:`nnstudio.fileio.atomic_write`). Reading trusts nothing: see
:func:`load_model`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio import __version__
from nnstudio.core.design import Design, DesignError, design_from_json, design_to_json
from nnstudio.core.training import History
from nnstudio.fileio import atomic_write, regular_file
from nnstudio.limits import TooBigError, check_layers, check_size, format_bytes

FORMAT = "nnstudio-model"
FORMAT_VERSION = 1
#: The largest model file opened (the shipped digit model is about 1 MB).
MAX_MODEL_BYTES = 4 << 30
#: The largest text member (design, facts) read.
MAX_TEXT_BYTES = 64 << 20
#: A history longer than this is trimmed to its last entries when a model is opened.
MAX_HISTORY_EPOCHS = 10_000
MAX_HISTORY_BATCHES = 2_000_000
#: Members that unpack to more than this are checked against :data:`MAX_PACKING_RATIO`.
PACKING_CHECKED_BYTES = 64 << 20
#: Trained float32 weights barely compress (about 1.1 times); an archive that unpacks to
#: more than this many times its packed size was not made by nnstudio (a zip "bomb").
MAX_PACKING_RATIO = 20
#: The most class names a model file may list.
MAX_CLASSES = 100_000


class ModelFileError(ValueError):
    """A model file that cannot be used: missing, damaged, foreign or too new."""


@dataclass
class LoadedModel:
    """What :func:`load_model` returns."""

    network: Any                       # nnstudio.core.network.Network
    design: Design
    history: History
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def classes(self) -> list[str]:
        """Class names in output order (empty for regression)."""
        return list(self.meta.get("classes") or [])


def save_model(path: str | os.PathLike, network, history: History | None = None,
               meta: dict | None = None) -> Path:
    """Write ``network`` (design + weights), ``history`` and ``meta`` to one ``.npz`` file.

    Parameters
    ----------
    path : path-like
        Target file; replaced atomically, never left half-written.
    network : Network
        The trained network.
    history : History, optional
    meta : dict, optional
        JSON-serialisable facts, e.g. ``{"classes": [...], "data": "idx:..."}``.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    info = {"classes": [], **(meta or {}), "format_version": FORMAT_VERSION,
            "nnstudio_version": __version__,
            "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    try:
        meta_text = json.dumps(info)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The model's facts cannot be saved as JSON: {err}") from None
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
        "design": np.array(design_to_json(network.design)),
        "meta": np.array(meta_text),
    }
    for name, value in network.get_weights().items():
        arrays[f"weights/{name}"] = np.ascontiguousarray(value, dtype=np.float32)
    for key, value in (history.to_dict() if history is not None else {}).items():
        arrays[f"history/{key}"] = np.asarray(value)
    atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))
    return path


class _Archive:
    """The members of an ``.npz`` model archive, read one at a time within limits.

    Every array header is parsed before its data is read, so a header that claims more
    values than the member holds, or more memory than allowed, is refused before anything
    is allocated. Member sizes come from the zip directory; reading never goes beyond them.
    """

    def __init__(self, zf: zipfile.ZipFile, name: str) -> None:
        self.zf, self.name = zf, name
        self.members = {i.filename[:-4]: i for i in zf.infolist() if i.filename.endswith(".npy")}
        total = sum(i.file_size for i in self.members.values())
        check_size(total, f"'{name}' unpacked",
                   "it is damaged or not a model nnstudio made (a compressed 'bomb'?)")
        packed = sum(i.compress_size for i in self.members.values())
        if total > PACKING_CHECKED_BYTES and total > MAX_PACKING_RATIO * max(packed, 1):
            raise ModelFileError(
                f"'{name}' unpacks to {format_bytes(total)} from {format_bytes(packed)} "
                f"({total / max(packed, 1):,.0f} times; trained weights barely compress): it "
                "is damaged or not a model nnstudio made (a compressed 'bomb'), not opened")

    @property
    def keys(self) -> list[str]:
        return list(self.members)

    def header(self, key: str) -> tuple[tuple[int, ...], np.dtype, bool, int]:
        """Shape, dtype, Fortran order and data offset of member ``key``."""
        info = self.members[key]
        with self.zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"array '{key}' has an unknown format version {version}")
            offset = fh.tell()
        if dtype.hasobject:
            raise ModelFileError(f"'{self.name}' holds Python objects in '{key}'; nnstudio "
                                 "model files hold only numbers and text (not opened, for "
                                 "safety)")
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise ValueError(f"array '{key}' has an impossible shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size - offset:
            raise ValueError(f"array '{key}' claims {format_bytes(nbytes)} but holds "
                             f"{format_bytes(max(info.file_size - offset, 0))}")
        return tuple(shape), dtype, fortran, offset

    def array(self, key: str, limit: int | None = None) -> np.ndarray:
        """Member ``key`` as an array; ModelFileError when over ``limit`` bytes."""
        shape, dtype, fortran, offset = self.header(key)
        nbytes = math.prod(shape) * dtype.itemsize
        if limit is not None and nbytes > limit:
            raise ModelFileError(f"'{self.name}': its '{key}' is {format_bytes(nbytes)}, limit "
                                 f"{format_bytes(limit)}; it is damaged or not a model "
                                 "nnstudio made")
        with self.zf.open(self.members[key]) as fh:
            fh.read(offset)
            data = fh.read(nbytes)
        if len(data) != nbytes:
            raise EOFError(f"array '{key}' is cut short")
        if dtype.itemsize == 0:
            return np.zeros(shape, dtype)
        flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
        return flat.reshape(shape, order="F" if fortran else "C").copy()

    def text(self, key: str) -> str:
        value = self.array(key, MAX_TEXT_BYTES)
        if value.dtype.kind != "U" or value.ndim != 0:
            raise ValueError(f"'{key}' is not text")
        return str(value)


def _trim_history(hist: dict[str, np.ndarray], meta: dict) -> dict[str, np.ndarray]:
    """Keep at most the last :data:`MAX_HISTORY_EPOCHS` epochs and
    :data:`MAX_HISTORY_BATCHES` batches; note in ``meta`` what was left out."""
    out = {}
    for key, value in hist.items():
        cap = MAX_HISTORY_EPOCHS if key.startswith("epoch_") else MAX_HISTORY_BATCHES
        value = np.asarray(value).ravel()
        if len(value) > cap:
            meta.setdefault("history_trimmed", {})[key] = int(len(value))
            value = value[-cap:]
        out[key] = value
    return out


def load_model(path: str | os.PathLike, weights: bool = True) -> LoadedModel:
    """Read a model file written by :func:`save_model`.

    With ``weights=False`` only the design, the facts and the history are read (enough to
    describe the file): ``network`` is then None and no memory is taken for the weights.

    Whatever the bytes are, this returns a model or raises :class:`ModelFileError`: it never
    blocks on a pipe, never allocates more than :func:`~nnstudio.limits.memory_limit`
    for what a header claims, and reads at most the last :data:`MAX_HISTORY_EPOCHS` epochs
    of a long training history (``meta["history_trimmed"]`` then says how many there were).

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, damaged or truncated, not an nnstudio model, from
        a newer nnstudio, too big, or its weights do not fit its design.
    """
    path = Path(path)
    name = path.name
    try:
        regular_file(path, MAX_MODEL_BYTES, "Model file")
        with open(path, "rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise ModelFileError(f"Model file '{path}' does not exist") from None
    except IsADirectoryError:
        raise ModelFileError(f"'{path}' is a folder, not a model file") from None
    except ValueError as err:
        raise ModelFileError(str(err)) from None
    except OSError as err:
        raise ModelFileError(f"Cannot read model file '{path}': {err.strerror or err}") from None
    if head[:2] != b"PK":
        raise ModelFileError(f"'{name}' is not an nnstudio model file (not a .npz archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            return _read(_Archive(zf, name), path, weights)
    except ModelFileError:
        raise
    except TooBigError as err:
        raise ModelFileError(f"{err}") from None
    except RecursionError:
        raise ModelFileError(f"'{name}' is damaged: its content is nested too deeply") from None
    except MemoryError:
        raise ModelFileError(f"'{name}' needs more memory than this computer has; it is "
                             "damaged or not a model nnstudio made") from None
    except Exception as err:  # noqa: BLE001 - any damage must become a clear error
        text = str(err).replace("\n", " ")[:200]
        raise ModelFileError(f"'{name}' is damaged or incomplete (truncated?): save or "
                             f"download it again ({type(err).__name__}: {text})") from None


def _class_names(meta: dict, name: str) -> None:
    """Make ``meta["classes"]`` a list of strings (numbers and other JSON values as their
    JSON text), or refuse it."""
    classes = meta.get("classes")
    if classes is None:
        return
    if not isinstance(classes, list):
        raise ModelFileError(f"'{name}' has unreadable facts (its class names are not a "
                             "list); it is damaged or not a model nnstudio made")
    if len(classes) > MAX_CLASSES:
        raise ModelFileError(f"'{name}' lists {len(classes):,} class names, limit "
                             f"{MAX_CLASSES:,}; it is damaged or not a model nnstudio made")
    meta["classes"] = [c if isinstance(c, str) else json.dumps(c) for c in classes]


def _read(arc: _Archive, path: Path, with_weights: bool = True) -> LoadedModel:
    name = path.name
    keys = set(arc.keys)
    if "format" not in keys or arc.text("format") != FORMAT:
        raise ModelFileError(f"'{name}' is a NumPy archive but not an nnstudio model")
    version = int(arc.array("version", 64)) if "version" in keys else 0
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"'{name}' was saved by a newer nnstudio (model format {version}; this one "
            f"reads up to {FORMAT_VERSION}): update nnstudio to open it")
    if version < 1 or "design" not in keys:
        raise ModelFileError(f"'{name}' is not a complete nnstudio model (no design)")
    design_text = arc.text("design")
    meta = json.loads(arc.text("meta")) if "meta" in keys else {}
    if not isinstance(meta, dict):
        raise ModelFileError(f"'{name}' has unreadable facts (meta is not a JSON object)")
    _class_names(meta, name)
    try:
        design = design_from_json(design_text)
    except DesignError as err:
        raise ModelFileError(f"'{name}' holds a design nnstudio cannot use: {err}") from None
    if not with_weights:
        return LoadedModel(None, design, _history(arc, keys, meta, name), meta, path)
    check_layers(len(design.nodes), f"The design of '{name}'")
    from nnstudio.core.network import Network

    try:
        network = Network(design)
    except DesignError as err:
        raise ModelFileError(f"'{name}' holds a design nnstudio cannot use: {err}") from None
    expected = {k: v.shape for k, v in network.get_weights().items()}
    weights = {}
    for key in sorted(k for k in keys if k.startswith("weights/")):
        wname = key[len("weights/"):]
        shape = arc.header(key)[0]
        if wname not in expected or shape != expected[wname]:
            need = expected.get(wname)
            raise ModelFileError(
                f"'{name}': the weights do not fit the design ('{wname[:64]}' has shape "
                f"{shape}, the design needs {'none' if need is None else need})")
        weights[wname] = arc.array(key)
    try:
        network.set_weights(weights)
    except (ValueError, KeyError) as err:
        raise ModelFileError(f"'{name}': the weights do not fit the design ({err})") from None
    return LoadedModel(network, design, _history(arc, keys, meta, name), meta, path)


def _history(arc: _Archive, keys: set[str], meta: dict, name: str) -> History:
    hist = {k[len("history/"):]: arc.array(k) for k in sorted(keys)
            if k.startswith("history/")}
    try:
        return History.from_dict(_trim_history(hist, meta))
    except (ValueError, TypeError, OverflowError) as err:
        raise ModelFileError(f"'{name}' has an unreadable training history ({err})") from None
