"""Taking a moment of the window's state and putting it back: a lesson's entry and exit, and
the session a window reopens with.

:func:`take_moment` keeps, by value, everything of the window's state a person would expect
to get back (:func:`nnstudio.state.take`), with the design's undo history and the Train
page's curves. :func:`put_back` gives all of it back through each field's owner (the data
feed, the session, the training controller, the bound views), so every view hears of it.
:func:`reopen` does the same with a session file written when the window last closed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from nnstudio.state import Moment, take
from nnstudio.state.moment import VIEW_FIELDS
from nnstudio.state.session_file import SavedSession, SessionFileError, read_session

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

__all__ = ["put_back", "read_saved_session", "reopen", "take_moment"]

log = logging.getLogger(__name__)


def take_moment(window: MainWindow) -> Moment:
    """The window's state now, by value, with the design's undo history set aside (the
    design is about to be replaced) and the Train page's curves. A run in progress is
    stopped first, so its last weights are in the moment."""
    _stop_training(window)
    session = window.session
    return take(session.state, undo=session.set_aside(),
                curves=window.train_view.plots.memory())


def _stop_training(window: MainWindow) -> None:
    c = window.controller
    if c.running or c.waiting_for_data:
        c.stop()
        c.wait_idle(5000)
    c.data.cancel()


def put_back(window: MainWindow, moment: Moment) -> None:
    """Give the window the state of ``moment``, whole (a run in progress is stopped)."""
    s, c = window.session, window.controller
    _stop_training(window)
    # the data first: the design coming back then finds its image size already set, and
    # reloads nothing
    c.data.restore(moment.data_source, moment.image_size)
    s.set_design(moment.design, path=moment.path, weights=moment.weights,
                 history=moment.history, meta=moment.meta, undo_stack=moment.kept.get("undo"))
    s.set_dirty(moment.dirty)
    if s.dataset is not moment.dataset:
        s.set_dataset(moment.dataset)
    c.data.cancel()        # nothing started while putting things back replaces them
    c.apply_settings(**asdict(moment.settings))
    curves = moment.kept.get("curves")
    if curves is not None:
        window.train_view.plots.restore(curves)
    s.state.run = moment.run                  # the timeline shows the run it showed
    s.state.checkpoint = moment.checkpoint
    _show_view(window, {name: getattr(moment, name) for name in VIEW_FIELDS})


def _show_view(window: MainWindow, view: dict) -> None:
    state = window.session.state
    for name, value in view.items():
        setattr(state, name, value)
    # a design just set opens at its own zoom once the event loop runs: the kept zoom after
    zoom = view.get("zoom")
    if zoom is not None:
        QTimer.singleShot(0, window, lambda: setattr(state, "zoom", zoom))


def read_saved_session() -> SavedSession | None:
    """The session file of the last window, or None (none, or one that cannot be used:
    the reason is logged and the window starts as on a first launch)."""
    try:
        return read_session()
    except FileNotFoundError:
        return None
    except SessionFileError as exc:
        log.warning("the last session could not be reopened: %s", exc)
        return None


def reopen(window: MainWindow, saved: SavedSession, default_data: str) -> None:
    """Give the window the design, data, settings and view of ``saved``.

    A design saved to a model file, unchanged since, comes back from that file with its
    weights; otherwise the design comes back with fresh weights (an unsaved run's weights
    are not kept) and still knows its file, so Save writes to it. ``default_data`` loads
    when the session had no data source.
    """
    s, c = window.session, window.controller
    _stop_training(window)
    c.data.set_image_size(saved.image_size, reload=False)
    path = saved.path
    opened = (path is not None and not saved.dirty and path.is_file()
              and window.commands.open_path(path, ask=False))
    if not opened:
        s.set_design(saved.design, path=path)
        s.set_dirty(saved.dirty)
    c.apply_settings(**asdict(saved.settings))
    c.data.schedule(saved.data_source or default_data, saved.image_size)
    _show_view(window, {"page": saved.page, "inside_view": saved.inside_view,
                        "design_mode": saved.design_mode, "zoom": saved.zoom})
