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

Writes are atomic: a temporary file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio import __version__
from nnstudio.core.design import Design, DesignError, design_from_json, design_to_json
from nnstudio.core.training import History
from nnstudio.fileio import atomic_write

FORMAT = "nnstudio-model"
FORMAT_VERSION = 1


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


def _text(data, key: str) -> str:
    value = data[key]
    if value.dtype.kind != "U" or value.ndim != 0:
        raise ValueError(f"'{key}' is not text")
    return str(value)


def load_model(path: str | os.PathLike) -> LoadedModel:
    """Read a model file written by :func:`save_model`.

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, damaged or truncated, not an nnstudio model, from
        a newer nnstudio, or its weights do not fit its design.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ModelFileError(f"Model file '{path}' does not exist")
    if path.is_dir():
        raise ModelFileError(f"'{path}' is a folder, not a model file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as err:
        raise ModelFileError(f"Cannot read model file '{path}': {err.strerror or err}") from None
    if head[:2] != b"PK":
        raise ModelFileError(f"'{name}' is not an nnstudio model file (not a .npz archive)")
    damaged = f"'{name}' is damaged or incomplete (truncated?): save or download it again"
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            if "format" not in keys or _text(data, "format") != FORMAT:
                raise ModelFileError(f"'{name}' is a NumPy archive but not an nnstudio model")
            version = int(data["version"]) if "version" in keys else 0
            if version > FORMAT_VERSION:
                raise ModelFileError(
                    f"'{name}' was saved by a newer nnstudio (model format {version}; this one "
                    f"reads up to {FORMAT_VERSION}): update nnstudio to open it")
            if version < 1 or "design" not in keys:
                raise ModelFileError(f"'{name}' is not a complete nnstudio model (no design)")
            design_text = _text(data, "design")
            meta = json.loads(_text(data, "meta")) if "meta" in keys else {}
            weights = {k[len("weights/"):]: data[k] for k in data.files
                       if k.startswith("weights/")}
            hist = {k[len("history/"):]: data[k] for k in data.files
                    if k.startswith("history/")}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            json.JSONDecodeError) as err:
        raise ModelFileError(f"{damaged} ({type(err).__name__}: {err})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"'{name}' has unreadable facts (meta is not a JSON object)")
    try:
        design = design_from_json(design_text)
    except DesignError as err:
        raise ModelFileError(f"'{name}' holds a design nnstudio cannot use: {err}") from None
    from nnstudio.core.network import Network

    try:
        network = Network(design)
        network.set_weights(weights)
    except DesignError as err:
        raise ModelFileError(f"'{name}' holds a design nnstudio cannot use: {err}") from None
    except (ValueError, KeyError) as err:
        raise ModelFileError(f"'{name}': the weights do not fit the design ({err})") from None
    try:
        history = History.from_dict(hist)
    except (ValueError, TypeError) as err:
        raise ModelFileError(f"'{name}' has an unreadable training history ({err})") from None
    return LoadedModel(network, design, history, meta, path)
