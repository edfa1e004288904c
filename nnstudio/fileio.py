"""Writing files so that nothing is ever half-written, and saving *into* the file people see.

Every file nnstudio saves (designs, models, IDX files, the person's own digits, caches) goes
through :func:`atomic_write`. The content is written to a temporary file in the destination's
folder, flushed to disk, then renamed over the destination in one step: a crash, a full disk,
a ``kill -9`` or a closed window mid-save leaves either the previous file or the new one, never
a mix.

The save respects what the destination really is:

- a **symbolic link** is followed: the file it points to is updated and the link stays a link;
- a **write-protected** file is refused with a clear error (unless the caller forces it);
- the file's **permissions** (mode bits) are kept, and its owner and group where allowed;
  a new file gets the usual ``0o666`` minus the umask;
- a file with several **hard links** is written in place so that every name sees the new
  content. Trade-off: the new content is first written completely to the temporary file (a
  failing writer or a full disk leaves the old file untouched), then copied into the file;
  only a crash during that final copy can leave the file mixed, which is the price of keeping
  the links. A plain rename would keep atomicity but silently split the links.
- temporary files are named ``.<name>.~nnstudio-<pid>-<random>.tmp``; they are removed on any
  exception, and a later save of the same file removes those of saves that were killed.
- error messages name the destination, never the temporary file.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from nnstudio.limits import format_bytes

__all__ = [
    "atomic_write", "check_writable", "clean_leftovers", "is_write_protected", "leftovers",
    "read_limited", "regular_file", "temp_name",
]

#: Marker in the names of temporary files, so leftovers of killed saves can be found.
TEMP_MARK = "~nnstudio-"
#: Leftovers of a process that is still alive are removed only when older than this.
STALE_AFTER_S = 3600.0
_UMASK_LOCK = threading.Lock()


def temp_name(name: str, pid: int | None = None) -> str:
    """The name of a temporary file for the destination file name ``name``."""
    return f".{name}.{TEMP_MARK}{os.getpid() if pid is None else pid}-{secrets.token_hex(4)}.tmp"


def _temp_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.{re.escape(TEMP_MARK)}(\d+)-[0-9a-f]+\.tmp$")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (this one always does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def leftovers(path: str | os.PathLike) -> list[Path]:
    """Temporary files of saves of ``path`` (after following symlinks) that are still there."""
    target = _real(Path(path))
    pattern = _temp_re(target.name)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return sorted(target.parent / n for n in names if pattern.match(n))


def clean_leftovers(path: str | os.PathLike) -> list[Path]:
    """Remove temporary files that killed saves of ``path`` left behind; returns them.

    A temporary file is removed when the process that made it no longer runs, or when it is
    older than :data:`STALE_AFTER_S` (a process id reused by another program).
    """
    target = _real(Path(path))
    pattern = _temp_re(target.name)
    removed = []
    now = time.time()
    for tmp in leftovers(target):
        match = pattern.match(tmp.name)
        pid = int(match.group(1)) if match else 0
        try:
            old = now - tmp.lstat().st_mtime > STALE_AFTER_S
        except OSError:
            continue
        if old or not process_alive(pid):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def _real(path: Path) -> Path:
    """``path`` with every symbolic link followed (also a link to a file not there yet)."""
    if path.is_symlink() or any(p.is_symlink() for p in path.parents):
        return Path(os.path.realpath(path))
    return path


def is_write_protected(path: str | os.PathLike, st: os.stat_result | None = None) -> bool:
    """True when the existing file ``path`` may not be written: no write permission for us,
    or no write bit at all in its mode (a file someone made read-only, even for the
    administrator, as text editors treat it)."""
    st = os.stat(path) if st is None else st
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    return not os.access(path, os.W_OK)


def check_writable(path: str | os.PathLike) -> None:
    """Make sure :func:`atomic_write` could save ``path`` now, without touching it.

    Tries to create (and removes) a temporary file in the destination's folder, so a
    read-only folder or file system, a missing folder, a write-protected file or a
    destination that is not a regular file is found before any long work is done.

    Raises
    ------
    OSError
        The reason, naming ``path`` (FileNotFoundError, PermissionError, IsADirectoryError, ...).
    """
    shown = Path(path)
    target = _real(shown)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "The folder does not exist", str(folder))
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "This is a folder, not a file", str(shown))
    if target.exists():
        if not target.is_file():
            raise OSError(errno.EINVAL, "This is not a regular file (a pipe or device?)",
                          str(shown))
        if is_write_protected(target):
            raise PermissionError(errno.EACCES, "The file is write-protected: make it "
                                  "writable or save under another name", str(shown))
    probe = folder / temp_name(target.name)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise type(err)(err.errno, f"The folder cannot be written ({err.strerror})",
                        str(shown)) from None
    os.close(fd)
    os.unlink(probe)


def _umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _named(err: OSError, shown: Path) -> OSError:
    """The same error, naming ``shown`` instead of a temporary file."""
    new = type(err)(err.errno, err.strerror or str(err), str(shown))
    return new


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object], *,
                 force: bool = False) -> Path:
    """Create or replace ``path`` with what ``write(file)`` writes into a binary file.

    Parameters
    ----------
    path : path-like
        The destination. A symbolic link is followed and its target updated.
    write : callable
        Called once with an open binary file; whatever it raises is raised again, with the
        destination left as it was.
    force : bool
        Replace a write-protected file too (its mode is kept).

    Returns
    -------
    Path
        The path as given.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist.
    PermissionError
        When the file is write-protected (and ``force`` is false) or the folder cannot be
        written; the message names the file.
    IsADirectoryError, OSError
        When the destination is a folder or not a regular file, or writing fails; the
        previous file, if any, is left as it was.
    """
    shown = Path(path)
    target = _real(shown)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "The folder does not exist", str(folder))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise _named(err, shown) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "This is a folder, not a file", str(shown))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "This is not a regular file (a pipe or device?): "
                          "save under another name", str(shown))
        if not force and is_write_protected(target, st):
            raise PermissionError(errno.EACCES, "The file is write-protected: make it "
                                  "writable or save under another name", str(shown))
    clean_leftovers(target)
    tmp = folder / temp_name(target.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        if isinstance(err, PermissionError):
            raise PermissionError(err.errno, "The folder cannot be written: save somewhere "
                                  "else", str(shown)) from None
        raise _named(err, shown) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
                mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
                os.fchmod(fh.fileno(), mode)
                if st is not None:
                    try:
                        os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                    except OSError:
                        pass  # only the owner's group may be kept by ordinary users
            except OSError as err:
                raise _named(err, shown) from None
        if st is not None and st.st_nlink > 1:
            _copy_into(tmp, target, shown, force)
            os.unlink(tmp)
        else:
            try:
                os.replace(tmp, target)
            except OSError as err:
                raise _named(err, shown) from None
            fsync_folder(folder)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return shown


def _copy_into(src: Path, target: Path, shown: Path, force: bool) -> None:
    """Copy ``src`` into the existing ``target`` in place (keeps its hard links)."""
    try:
        if force and is_write_protected(target):
            os.chmod(target, stat.S_IMODE(os.stat(target).st_mode) | stat.S_IWUSR)
            try:
                _copy_bytes(src, target)
            finally:
                os.chmod(target, stat.S_IMODE(os.stat(src).st_mode))
        else:
            _copy_bytes(src, target)
    except OSError as err:
        raise _named(err, shown) from None


def _copy_bytes(src: Path, target: Path) -> None:
    with open(src, "rb") as fin, open(target, "r+b") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.truncate()
        fout.flush()
        os.fsync(fout.fileno())


def regular_file(path: str | os.PathLike, limit: int, what: str) -> os.stat_result:
    """Check that ``path`` is a regular file of at most ``limit`` bytes, without opening it
    (a pipe would block a reader forever); ``what`` names it in messages ("Model file").

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError, OSError
        With a message that names ``path`` and says what to do.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} '{path}' does not exist") from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"'{path}' is a folder, not a {what.lower()}")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"'{path}' is not a regular file (a pipe or a device?): open a "
                         f"{what.lower()} saved on disk")
    if st.st_size > limit:
        raise ValueError(f"'{path.name}' is {format_bytes(st.st_size)}, limit "
                         f"{format_bytes(limit)}: it is not a {what.lower()} nnstudio can open")
    return st


def read_limited(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, refusing pipes, devices and files over
    ``limit`` bytes without blocking on them (see :func:`regular_file`).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError, OSError
        With a message that names ``path`` and says what to do.
    """
    path = Path(path)
    regular_file(path, limit, what)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"'{path.name}' is larger than {format_bytes(limit)}: it is not a "
                         f"{what.lower()} nnstudio can open")
    return data
