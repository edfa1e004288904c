"""How much memory nnstudio lets one design, model file or data file take.

Readers estimate what a file or design will need *before* allocating it, and refuse clearly,
with the size and the limit, when it exceeds :func:`memory_limit`: a 2 MB file that claims
2 GB of digits, or a design with 10^9 units, must not take the computer's memory.

``NNSTUDIO_MEMORY_LIMIT_GB`` sets the limit; by default it is 3/4 of the physical memory
(and of the address-space limit, if the process has one).
"""

from __future__ import annotations

import os

__all__ = ["MAX_LAYERS", "MAX_PICTURE_FILE_BYTES", "MAX_PICTURE_PIXELS", "TooBigError",
           "check_layers", "check_size", "design_file_refusal", "design_refusal", "format_bytes",
           "memory_limit"]

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
MAX_PICTURE_PIXELS = 16_000_000
#: The largest picture file opened.
MAX_PICTURE_FILE_BYTES = 256 << 20

#: The most layers (nodes) of a design that is trained or shown; the shipped templates have
#: at most 10. A design file may hold more (the file format allows 200,000), but such a
#: design is refused, at once, by the command line and the window alike.
MAX_LAYERS = 2_000


def check_layers(n: int, what: str) -> None:
    """Raise :class:`TooBigError` when a design of ``n`` layers is over :data:`MAX_LAYERS`;
    ``what`` names it (e.g. ``"The design 'x'"``)."""
    if n > MAX_LAYERS:
        raise TooBigError(f"{what} has {n:,} layers, limit {MAX_LAYERS:,}: nnstudio trains and "
                          "shows designs of at most that many; use fewer layers")


def design_refusal(design) -> str | None:
    """Why ``design`` (a :class:`~nnstudio.core.design.Design`) cannot be trained or shown:
    more than :data:`MAX_LAYERS` layers, or more memory to train than :func:`memory_limit`,
    in the words ``nnstudio train`` uses; None when it can. The window asks this before a
    design reaches its session, so no work on the GUI thread starts for such a design."""
    from nnstudio.terminal import printable

    try:
        check_layers(len(design.nodes), f"The design '{printable(design.name)}'")
    except TooBigError as err:
        return str(err)
    errors = design.analyze().design_errors
    return str(errors[0]) if errors else None


def design_file_refusal(path: str | os.PathLike) -> str | None:
    """:func:`check_layers` on a design file's JSON, before any design is built from it (a
    design of 200,000 layers takes seconds to build); None when the file is within the limit
    or cannot be read as JSON (reading it as a design then says what is wrong)."""
    import json

    from nnstudio.terminal import printable

    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(64 << 20))
        nodes, name = data["nodes"], data.get("name", "")
        n = len(nodes) if isinstance(nodes, list) else 0
        check_layers(n, f"The design '{printable(name)}'")
    except TooBigError as err:
        return str(err)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return None
