"""A moment of the window's state, kept by value and put back whole.

:func:`take` copies every field of an :class:`~nnstudio.state.app_state.AppState` that a
person would expect to get back (the weights and the drawing as copies; objects that are
replaced, never changed in place, as they are). A lesson takes a moment on entry and puts
it back on exit; the window's session file is a moment written to disk
(:mod:`nnstudio.state.session_file`). Putting a moment back goes through each field's
owner, in the window (``nnstudio.gui.moments``), so every view hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnstudio.core.training import History, TrainConfig
from nnstudio.state.app_state import AppState

if TYPE_CHECKING:
    from nnstudio.core.design import Design
    from nnstudio.data.dataset import Dataset

__all__ = ["Moment", "take", "VIEW_FIELDS"]

#: The fields that say what is on screen.
VIEW_FIELDS = ("page", "inside_view", "design_mode", "selected_layer", "zoom")


@dataclass(frozen=True)
class Moment:
    """The person's state at one moment, by value (see :class:`AppState` for the fields).

    ``kept`` holds what the window keeps with it that is not a field of the state (the
    undo history of the design, the Train page's curves); :func:`take` leaves it empty.
    """

    design: Design
    weights: dict[str, np.ndarray] | None
    history: History | None
    meta: dict[str, Any]
    path: Path | None
    dirty: bool
    data_source: str | None
    image_size: int
    dataset: Dataset | None
    settings: TrainConfig
    drawing: np.ndarray | None
    page: str
    inside_view: str
    design_mode: str
    selected_layer: str | None
    zoom: float
    run: Path | None
    checkpoint: int | None
    kept: dict[str, Any] = field(default_factory=dict)

    def same_weights(self, weights: dict[str, np.ndarray] | None) -> bool:
        """Whether ``weights`` equal the moment's, array by array."""
        mine = self.weights
        if mine is None or weights is None:
            return mine is weights
        return mine.keys() == weights.keys() and all(
            np.array_equal(mine[k], weights[k]) for k in mine)


def take(state: AppState, **kept: Any) -> Moment:
    """A :class:`Moment` of ``state``: the weights and the drawing copied, the rest as it is
    (those objects are replaced when they change, never changed in place)."""
    values = {f.name: getattr(state, f.name) for f in fields(Moment)
              if f.name not in ("kept",)}
    weights = values["weights"]
    if weights is not None:
        values["weights"] = {k: np.array(v, copy=True) for k, v in weights.items()}
    if values["drawing"] is not None:
        values["drawing"] = np.array(values["drawing"], copy=True)
    values["meta"] = dict(values["meta"])
    return Moment(**values, kept=dict(kept))
