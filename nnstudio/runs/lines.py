"""The small pieces a run record is written with: JSON lines for its append-only files (a
fast path for the epoch curve, many lines at a time: a toy set ends an epoch every
millisecond), numbers as JSON allows them, the local time, and a file replaced in one
step."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from nnstudio.fileio import fsync_folder, temp_name

__all__ = ["epoch_lines", "json_line", "now_text", "number", "write_new"]


def now_text() -> str:
    """The local time with its offset, to the second (ISO 8601)."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def number(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing or not finite (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if value - value == 0.0 else None   # inf - inf and NaN - NaN are NaN


def json_line(obj: dict) -> bytes:
    """``obj`` as one line of JSON (UTF-8, ending in a newline)."""
    return (json.dumps(obj, allow_nan=False) + "\n").encode("utf-8")


def epoch_lines(entries: Sequence[dict]) -> bytes:
    """:func:`json_line` of each epoch entry, joined, several times faster.

    Parameters
    ----------
    entries : sequence of dict
        Epoch entries with the same keys in the same order (names without quotes or
        backslashes); values int, finite float or None.

    Returns
    -------
    bytes
        One line of JSON per entry, each ending in a newline.
    """
    if not entries:
        return b""
    template = "{" + ", ".join(f'"{key}": %r' for key in entries[0]) + "}\n"
    text = "".join([template % tuple(entry.values()) for entry in entries])
    # ints and finite floats print as JSON does; None is the only value to rename, and no
    # number or key holds the letters of its name
    return text.replace("None", "null").encode("ascii")


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
