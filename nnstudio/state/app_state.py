"""The window's state: one Qt-free object, observable field by field.

:class:`AppState` holds everything a person would expect to get back: the design and its
weights, the data choice, the training settings, the run state, the file and its unsaved
mark, the drawing, what is on screen, and the run record looked at with its checkpoint (and
the one a next run forks from). It is a dataclass made observable by psygnal's
``evented``: every field has its own change event, ``state.events.<field>``, emitted with the
new value when an assignment changes it (and not when it sets the same value)::

    state.events.settings.connect(panel.show_settings)
    state.settings = replace(state.settings, lr=0.01)      # -> panel.show_settings(...)

Each field has one writer (see :data:`WRITERS`); everybody else reads it and listens. Putting
a moment back (``nnstudio.gui.moments.put_back``: a lesson's exit) goes through those writers
where a field has one in code, and sets the fields bound to widgets (page, views, zoom, the
run and checkpoint on the timeline) directly: their widgets follow. Objects
that are replaced, never changed in place (the design is the exception: it is edited through
its own methods, which emit design events), are compared by identity; values (settings,
names, numbers) by equality.
"""

from __future__ import annotations

import enum
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import evented

from nnstudio.core.training import History, TrainConfig

if TYPE_CHECKING:
    from nnstudio.core.design import Design
    from nnstudio.core.network import Network
    from nnstudio.data.dataset import Dataset

__all__ = ["AppState", "RunState", "WRITERS", "default_settings"]


class RunState(enum.StrEnum):
    """Where training is. A ``str`` enum: ``RunState.RUNNING == "running"``."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    ERROR = "error"

    @property
    def active(self) -> bool:
        """A run is going on (running or paused): structural edits must wait."""
        return self in (RunState.RUNNING, RunState.PAUSED)


def default_settings() -> TrainConfig:
    """The training settings of a new window."""
    return TrainConfig(epochs=5, batch_size=64, lr=1e-3, optimizer="adam",
                       weight_decay=0.0, val_split=0.1, seed=0)


#: Objects compared by identity: a new object is a change even when it compares equal, and
#: NumPy arrays or datasets are never compared element by element.
_BY_IDENTITY = ("design", "network", "weights", "history", "dataset", "drawing", "meta",
                "fork")


@evented(equality_operators={name: operator.is_ for name in _BY_IDENTITY})
@dataclass(eq=False)
class AppState:
    """The state of one window.

    Attributes
    ----------
    design : Design
        The design being edited (edited in place through its own methods).
    network : Network or None
        The network compiled from the design (None while the design has problems).
    weights : dict of str to ndarray, or None
        The network's current weights, ``"<node>/<param>" -> float32 array``; a new dict
        whenever they change (training snapshot, load, reset, rewind).
    history : History or None
        The training history of these weights (the person's curve).
    meta : dict
        Facts saved with the model (class names, ...).
    path : Path or None
        The file the work was opened from or saved to.
    dirty : bool
        Unsaved changes.
    data_source : str or None
        The data in use (``"synthetic:10000"``, ``"idx:DIR"``, ...); None when the data did
        not come from a source (a lesson's own, a test's).
    image_size : int
        The side (16 or 28) digit sources are made at.
    dataset : Dataset or None
        The loaded data.
    settings : TrainConfig
        The training settings; replaced as a whole, never changed in place.
    run_state : RunState
        Where training is.
    drawing : ndarray or None
        The Draw page's drawing as the network sees it, e.g. (28, 28) float32 in [0, 1].
    page : str
        The page on screen (its objectName: ``"drawPage"``, ``"designPage"``, ...).
    inside_view : str
        The Inside page's view on screen (its title, e.g. ``"Weights"``).
    design_mode : str
        The Design page's mode: ``"layers"`` or ``"neurons"``.
    selected_layer : str or None
        The layer selected on the Design page.
    zoom : float
        The Design page's zoom (1.0 = 100%).
    run : Path or None
        The run record on the Train page's timeline (its folder).
    checkpoint : int or None
        The checkpoint of ``run`` whose weights the window shows (None: the weights the
        window trained last, not a checkpoint).
    fork : dict or None
        ``{"run": ID, "checkpoint": N}`` when the next run continues that checkpoint of
        that run ("Continue from here"); the training controller takes it when the run
        starts.
    """

    design: Design
    network: Network | None = None
    weights: dict[str, np.ndarray] | None = None
    history: History | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    dirty: bool = False
    data_source: str | None = None
    image_size: int = 28
    dataset: Dataset | None = None
    settings: TrainConfig = field(default_factory=default_settings)
    run_state: RunState = RunState.IDLE
    drawing: np.ndarray | None = None
    page: str = ""
    inside_view: str = ""
    design_mode: str = "layers"
    selected_layer: str | None = None
    zoom: float = 1.0
    run: Path | None = None
    checkpoint: int | None = None
    fork: dict[str, Any] | None = None


#: Who writes each field (everybody else reads it and listens to its event).
WRITERS: dict[str, str] = {
    "design": "Session.set_design (new, open, template, lesson, restore)",
    "network": "Session (compiles the design)",
    "weights": "Session (snapshots, loads, reset, rewind)",
    "history": "Session (a run's end, open, reset)",
    "meta": "Session",
    "path": "Session (open, save)",
    "dirty": "Session (edits, training, save)",
    "data_source": "DataFeed",
    "image_size": "DataFeed",
    "dataset": "Session.set_dataset (DataFeed's loads, lessons, tests)",
    "settings": "TrainingController.apply_settings",
    "run_state": "TrainingController",
    "drawing": "the Draw page (Session.set_current_input)",
    "page": "the window's tabs (bound both ways)",
    "inside_view": "the Inside page's tabs (bound both ways)",
    "design_mode": "the Design page's mode buttons (bound both ways)",
    "selected_layer": "the Design page's diagram (bound both ways)",
    "zoom": "the Design page's diagram (bound both ways)",
    "run": "the Runs list (a run opened) and the training controller (the run it records)",
    "checkpoint": "the Train page's timeline (bound both ways)",
    "fork": "the Train page's timeline (Continue from here); the training controller takes it",
}
