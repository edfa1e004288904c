"""How much memory nnstudio lets one design, model file or data file take.

Readers estimate what a file or design will need *before* allocating it, and refuse clearly,
with the size and the limit, when it exceeds :func:`memory_limit`: a 2 MB file that claims
2 GB of digits, or a design with 10^9 units, must not take the computer's memory.

``NNSTUDIO_MEMORY_LIMIT_GB`` sets the limit; by default it is 3/4 of the physical memory
(and of the address-space limit, if the process has one).
"""

from __future__ import annotations

import os

__all__ = ["MAX_PICTURE_FILE_BYTES", "MAX_PICTURE_PIXELS", "TooBigError", "check_size",
           "format_bytes", "memory_limit"]

_FALLBACK = 8 << 30


class TooBigError(MemoryError):
    """Something would need more memory than :func:`memory_limit` allows."""


def memory_limit() -> int:
    """The most bytes one design, model or data set may need."""
    env = os.environ.get("NNSTUDIO_MEMORY_LIMIT_GB")
    if env:
        try:
            return max(1, int(float(env) * (1 << 30)))
        except ValueError:
            pass
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = _FALLBACK
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft not in (resource.RLIM_INFINITY, -1) and soft > 0:
            total = min(total, soft)
    except (ImportError, OSError, ValueError):
        pass
    return total * 3 // 4


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KB"``, ``3e9`` -> ``"2.8 GB"`` (powers of 1024)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"  # pragma: no cover


def check_size(needed: int, what: str, fix: str = "") -> None:
    """Raise :class:`TooBigError` when ``needed`` bytes exceed the limit.

    The message reads e.g. ``"'x.gz' needs 2.0 GB, limit 1.5 GB: ..."``.
    """
    limit = memory_limit()
    if needed > limit:
        tail = f": {fix}" if fix else ""
        raise TooBigError(f"{what} needs {format_bytes(needed)}, limit "
                          f"{format_bytes(limit)}{tail}")


#: The most pixels decoded from a picture file (a photo from a phone has about 12 million; a
#: digit needs a few thousand). Checked on the file's header, before anything is decoded; a
#: JPEG counts the pixels of the reduced scale (1/2 to 1/8) it is decoded at.
MAX_PICTURE_PIXELS = 30_000_000
#: The largest picture file opened.
MAX_PICTURE_FILE_BYTES = 256 << 20
