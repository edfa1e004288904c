"""The safetensors format, written and read with NumPy alone (no torch, no extra package).

A safetensors file is: 8 bytes, the little-endian length ``n`` of a JSON header; the
header, ``{"name": {"dtype": "F32", "shape": [...], "data_offsets": [start, end]}, ...,
"__metadata__": {"key": "text"}}`` padded with spaces to a multiple of 8; then the raw
little-endian, C-ordered bytes of every tensor, offsets counted from the end of the header.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from nnstudio.fileio import atomic_write

__all__ = ["read_safetensors", "write_safetensors"]

_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1", "F16": "<f2"}
_CODES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def write_safetensors(path: str | Path, tensors: dict[str, np.ndarray],
                      metadata: dict[str, str] | None = None) -> Path:
    """Write ``tensors`` (name -> array) to ``path`` atomically; returns the path.

    Arrays are stored in their own dtype (float32 weights stay ``F32``) as little-endian,
    C-ordered bytes, in the order given.
    """
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        a = np.asarray(value)
        code = _CODES.get(a.dtype.newbyteorder("<").str)
        if code is None:
            raise ValueError(f"tensor '{name}' has dtype {a.dtype}, which safetensors "
                             "export does not write")
        data = np.ascontiguousarray(a, dtype=np.dtype(_DTYPES[code])).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)

    def write(fh) -> None:
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for blob in blobs:
            fh.write(blob)
    return atomic_write(path, write)


def read_safetensors(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file: (name -> array, metadata).

    Raises
    ------
    ValueError
        The file is not a complete safetensors file.
    """
    raw = Path(path).read_bytes()
    if len(raw) < 8:
        raise ValueError(f"'{path}' is not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"'{path}' is not a complete safetensors file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"'{path}' has an unreadable safetensors header ({err})") from None
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        if info["dtype"] not in _DTYPES or end > len(body):
            raise ValueError(f"'{path}': tensor '{name}' is damaged or of an unknown type")
        a = np.frombuffer(body[start:end], dtype=_DTYPES[info["dtype"]])
        out[name] = a.reshape(info["shape"]).copy()
    return out, meta
