"""Writing files so that nothing is ever half-written.

Every file nnstudio saves (designs, models, IDX files, the person's own digits, caches) goes
through :func:`atomic_write`: the content is written to a temporary file in the same folder,
flushed to disk, then renamed over the target in one step. A crash, a full disk or a closed
window mid-save leaves the previous file intact and no partial file behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Create or replace ``path`` with what ``write(file)`` writes into a binary file.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist.
    OSError
        When the file cannot be written; the previous file, if any, is left as it was.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "The folder does not exist", str(folder))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
