"""Which files a lesson may read: its own folder's, and the data shipped with nnstudio.

A lesson names files in ``design: file NAME.json`` and in its data source (``csv:FILE``,
``idx:FOLDER``, also inside ``A+B`` and ``3v7:...``). A name is a relative path with no
``..`` part; it is looked up in the lesson's folder, then in the shipped data, and the file
it reaches (links followed) must still lie inside that folder. Every other source in a
lesson's data is one of the built-in ones (no file), and every number in it has a range.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from nnstudio.lessons.limits import MAX_DATA_NUMBER, numbers_in

#: data sources a lesson may name (csv and idx read files inside the lesson's folder)
DATA_SOURCES = ("synthetic", "mnist", "fashion-mnist", "idx", "toy", "cars", "perceptron",
                "3v7", "csv", "mine")
#: longest data source a lesson may give, and most sources merged with ``+``
MAX_SPEC = 400
MAX_PIECES = 4


def shipped_folders() -> list[Path]:
    """The folders of data shipped with nnstudio that every lesson may read."""
    from nnstudio.resources import resource_path

    return [resource_path("data"), resource_path("lessons")]


def _plain_name(name: str) -> None:
    """Refuse absolute names, ``..``, drive letters and home folders."""
    if not name or len(name) > 255:
        raise ValueError("a file a lesson names is a short name next to the lesson")
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            raise ValueError(f"a lesson reads only files in its own folder: {name[:60]!r} "
                             "is outside it (write a name next to the lesson, without '/' "
                             "at the start or '..')")
    if name.startswith("~"):
        raise ValueError(f"a lesson reads only files in its own folder, not {name[:60]!r}")


def lesson_file(name: str, base: Path | None, *, folder: bool = False) -> Path | None:
    """The file (or folder) ``name`` in the lesson's folder ``base`` or the shipped data.

    Returns
    -------
    Path or None
        The resolved path, inside one of those folders; None when it is in none of them.

    Raises
    ------
    ValueError
        ``name`` is absolute, has ``..``, or reaches (through a link) outside its folder.
    """
    _plain_name(name)
    outside = False
    for root in ([base] if base is not None else []) + shipped_folders():
        try:
            top = root.resolve()
            found = (top / name).resolve()
        except (OSError, RuntimeError):  # a link loop
            continue
        if not (found.is_dir() if folder else found.is_file()):
            continue
        if not found.is_relative_to(top):
            outside = True
            continue
        return found
    if outside:
        raise ValueError(f"{name[:60]!r} is a link to a file outside the lesson's folder; a "
                         "lesson reads only files in its own folder")
    return None


def _pieces(spec: str) -> list[str]:
    """The sources ``spec`` names: ``A+B`` split, ``3v7:REST`` opened (one level)."""
    out: list[str] = []
    todo = [spec]
    while todo:
        piece = todo.pop(0).strip()
        if len(out) + len(todo) >= MAX_PIECES:
            raise ValueError(f"a lesson's data merges at most {MAX_PIECES} sources")
        head = piece.split(":")[0].strip().lower()
        if "+" in piece and head not in ("csv", "idx"):
            todo.extend(piece.split("+"))
            continue
        if head in ("3v7", "3vs7") and ":" in piece:
            out.append(head)
            todo.append(piece.partition(":")[2])
            continue
        out.append(piece)
    return out


def check_data(spec: str, base: Path | None) -> str:
    """``spec`` with every file it names resolved, once it is a source a lesson may use.

    Raises
    ------
    ValueError
        Unknown source, a file outside the lesson's folder or missing, or a number out of
        range; the sentence says which.
    """
    if len(spec) > MAX_SPEC:
        raise ValueError(f"a data source is at most {MAX_SPEC} characters")
    resolved: list[str] = []
    for piece in _pieces(spec):
        if not piece:
            raise ValueError("write merged sources as A+B")
        head, _, rest = piece.partition(":")
        head = head.strip().lower()
        if head not in DATA_SOURCES:
            raise ValueError(f"unknown data source {head[:30]!r}: use one of "
                             f"{', '.join(DATA_SOURCES)}")
        if head == "csv":
            file, sep, opts = rest.partition(":")
            if not sep or "label=" not in opts:
                raise ValueError("a table is 'csv:FILE:label=COLUMN'")
            path = lesson_file(file, base)
            if path is None:
                raise ValueError(f"the table {file[:60]!r} is neither next to the lesson nor "
                                 "shipped with nnstudio")
            resolved.append(f"csv:{path}:{opts}")
        elif head == "idx":
            folder, split = rest, ""
            if rest.rsplit(":", 1)[-1] in ("train", "test") and ":" in rest:
                folder, split = rest.rsplit(":", 1)
            path = lesson_file(folder, base, folder=True)
            if path is None:
                raise ValueError(f"the IDX folder {folder[:60]!r} is not next to the lesson")
            resolved.append(f"idx:{path}" + (f":{split}" if split else ""))
        else:
            numbers_in(rest, MAX_DATA_NUMBER, f"data source {piece[:40]!r}")
            resolved.append(piece)
    if not any(r.startswith(("csv:", "idx:")) for r in resolved):
        return spec.strip()
    if len(resolved) == 1:
        return resolved[0]
    if len(resolved) == 2 and resolved[0] in ("3v7", "3vs7"):  # 3v7:FILE
        return f"{resolved[0]}:{resolved[1]}"
    raise ValueError("a table or IDX folder cannot be merged with other sources with '+' "
                     "in a lesson; give it alone")
