"""Export folders are written whole or not at all.

An export folder (PyTorch, NumPy) is written into a hidden sibling folder
``.<name>.~nnstudio-export-<pid>-<random>``, checked there, and only then put in place:

- a folder that does not exist yet appears complete, by one rename;
- a folder that already exists keeps everything in it; the export's files replace the
  files of the same names one by one (each ``os.replace`` is atomic), so a person's other
  files there (a trained ``model.npz``, notes) are never touched.

A full disk, a failed check or a crash before that leaves the destination as it was; the
staging folder is removed on any exception, and those of exports that were killed are
removed by the next export into the same place.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nnstudio.fileio import process_alive

from .common import ExportError

__all__ = ["STAGING_MARK", "publish", "staged_folder"]

#: Marker in the names of staging folders.
STAGING_MARK = "~nnstudio-export-"


def _clean_leftovers(out: Path) -> None:
    """Remove staging folders of ``out`` left by exports whose process is gone."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.{re.escape(STAGING_MARK)}(\d+)-[0-9a-f]+$")
    try:
        names = os.listdir(out.parent)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m and not process_alive(int(m.group(1))):
            shutil.rmtree(out.parent / name, ignore_errors=True)


def publish(staged: Path, out: Path) -> None:
    """Put the complete folder ``staged`` in place at ``out`` (see the module's text)."""
    if not out.exists() and not out.is_symlink():
        os.rename(staged, out)
        return
    if not out.is_dir():
        raise ExportError(f"'{out}' is a file, but this export is a folder",
                          fix="give the name of a (new) folder")
    for item in sorted(staged.iterdir()):
        os.replace(item, out / item.name)


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """A fresh hidden folder beside ``out`` to write the export into; on leaving the
    ``with`` block without an exception its files are put in place at ``out``.

    Raises
    ------
    ExportError
        ``out`` is a file.
    OSError
        The parent folder (created when missing) or the staging folder cannot be made,
        or putting the files in place fails (the destination is then as it was, up to the
        files already replaced).
    """
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise ExportError(f"'{out}' is a file, but this export is a folder",
                          fix="give the name of a (new) folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)
    staged = out.parent / f".{out.name}.{STAGING_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(staged)
    try:
        yield staged
        publish(staged, out)
    except OSError as err:       # name the destination, never the staging folder
        if isinstance(err.filename, str) and err.filename.startswith(str(staged)):
            err.filename = str(out / Path(err.filename).relative_to(staged))
        raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)
