"""The small pieces a run record is written with: JSON lines for its append-only files (a
fast path for the epoch curve, written every millisecond on a toy set), numbers as JSON
allows them, the local time, and a file replaced in one step."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from nnstudio.fileio import fsync_folder, temp_name

__all__ = ["epoch_line", "json_line", "now_text", "number", "write_new"]


def now_text() -> str:
    """The local time with its offset, to the second (ISO 8601)."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def number(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing or not finite (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


def json_line(obj: dict) -> bytes:
    """``obj`` as one line of JSON (UTF-8, ending in a newline)."""
    return (json.dumps(obj, allow_nan=False) + "\n").encode("utf-8")


def epoch_line(entry: dict) -> bytes:
    """:func:`json_line` of an epoch entry (str keys; int, finite float or None values), a
    few times faster."""
    parts = []
    for key, value in entry.items():
        text = "null" if value is None else repr(value)
        parts.append(f'"{key}": {text}')
    return ("{" + ", ".join(parts) + "}\n").encode("ascii")


def write_new(path: Path, data: bytes | Callable[[BinaryIO], object], sync: bool) -> None:
    """Create or replace ``path`` in one step (a temporary file renamed over it): a killed
    process leaves the old file or the new one. Synced to disk only when ``sync``."""
    tmp = path.with_name(temp_name(path.name))
    try:
        with open(tmp, "xb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
        if sync:
            fsync_folder(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
