"""The window's session file: the person's design, data and settings, kept between launches.

When the window closes, :func:`write_session` writes a :class:`~nnstudio.state.moment.Moment`
to ``session.json`` in the user's data folder (``NNSTUDIO_DATA_DIR`` moves it): the design (as
design JSON), the file it came from, the data source and image size, the training settings
and what was on screen. Weights are not written: a design saved to a model file comes back
from that file with its weights; the weights of an unsaved run are not kept.

:func:`read_session` treats the file as untrusted, like every file: it is sized before it is
read, parsed as JSON, and every value checked; anything wrong raises
:class:`SessionFileError` with what is wrong, and the window then starts as on a first launch.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from nnstudio.core.design import Design, DesignError, design_from_dict, design_to_dict
from nnstudio.core.training import TrainConfig
from nnstudio.data.cache import data_dir
from nnstudio.fileio import atomic_write, read_limited
from nnstudio.state.app_state import default_settings
from nnstudio.state.moment import VIEW_FIELDS, Moment

__all__ = ["SESSION_FILE", "SavedSession", "SessionFileError", "read_session",
           "session_path", "write_session"]

SESSION_FILE = "session.json"
FORMAT = "nnstudio-session"
VERSION = 1
#: a session file is a design and a few settings: far less than this
MAX_SESSION_BYTES = 8 * 1024 * 1024


class SessionFileError(ValueError):
    """The session file cannot be used (the message says why)."""


@dataclass
class SavedSession:
    """What a session file gives back (no weights: see the module's text)."""

    design: Design
    path: Path | None
    data_source: str | None
    image_size: int
    settings: TrainConfig
    page: str
    inside_view: str
    design_mode: str
    zoom: float
    dirty: bool


def session_path() -> Path:
    """``session.json`` in the user's data folder."""
    return data_dir() / SESSION_FILE


def write_session(moment: Moment, path: str | Path | None = None) -> Path:
    """Write the design, data, settings and view of ``moment`` (atomically)."""
    target = Path(path) if path is not None else session_path()
    doc = {
        "format": FORMAT, "version": VERSION,
        "design": design_to_dict(moment.design),
        "path": str(moment.path) if moment.path is not None else None,
        "dirty": bool(moment.dirty),
        "data_source": moment.data_source,
        "image_size": int(moment.image_size),
        "settings": asdict(moment.settings),
        **{name: getattr(moment, name) for name in VIEW_FIELDS if name != "selected_layer"},
    }
    data = json.dumps(doc, indent=1).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda fh: fh.write(data))
    return target


def _text(doc: dict, key: str, default: str = "", limit: int = 4096) -> str:
    value = doc.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > limit:
        raise SessionFileError(f"'{key}' is not a short text")
    return value


def _settings(value: Any) -> TrainConfig:
    if not isinstance(value, dict):
        raise SessionFileError("'settings' is not a table of training settings")
    base = asdict(default_settings())
    for f in fields(TrainConfig):
        if f.name not in value:
            continue
        v, kind = value[f.name], type(base[f.name])
        if kind is float and isinstance(v, int | float) and not isinstance(v, bool):
            v = float(v)
        if type(v) is not kind or (kind is float and not math.isfinite(v)):
            raise SessionFileError(f"the training setting '{f.name}' is not a {kind.__name__}")
        base[f.name] = v
    config = TrainConfig(**base)
    try:
        config.validate()
    except ValueError as exc:
        raise SessionFileError(f"a training setting is out of range: {exc}") from None
    return config


def read_session(path: str | Path | None = None) -> SavedSession:
    """Read a session file written by :func:`write_session`.

    Raises
    ------
    FileNotFoundError
        There is no session file (a first launch).
    SessionFileError
        The file is there but cannot be used; the message says why.
    """
    source = Path(path) if path is not None else session_path()
    try:
        raw = read_limited(source, MAX_SESSION_BYTES, "session file")
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise SessionFileError(str(exc)) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SessionFileError(f"it is not JSON text ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionFileError("it is not an nnstudio session file")
    if doc.get("version") != VERSION:
        raise SessionFileError(f"it is of version {doc.get('version')!r}, this nnstudio reads "
                               f"version {VERSION}")
    try:
        design = design_from_dict(doc.get("design"))
    except DesignError as exc:
        raise SessionFileError(f"its design cannot be read: {exc}") from None
    where = _text(doc, "path")
    size = doc.get("image_size", 28)
    if size not in (16, 28):
        raise SessionFileError("'image_size' is neither 16 nor 28")
    zoom = doc.get("zoom", 1.0)
    if not isinstance(zoom, int | float) or isinstance(zoom, bool) or \
            not (math.isfinite(zoom) and 0.05 <= zoom <= 20):
        raise SessionFileError("'zoom' is not a zoom factor")
    return SavedSession(
        design=design, path=Path(where) if where else None,
        data_source=_text(doc, "data_source") or None, image_size=int(size),
        settings=_settings(doc.get("settings", {})),
        page=_text(doc, "page", limit=100), inside_view=_text(doc, "inside_view", limit=100),
        design_mode=_text(doc, "design_mode", "layers", limit=100), zoom=float(zoom),
        dirty=doc.get("dirty") is True)
