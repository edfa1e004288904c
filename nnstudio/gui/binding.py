"""Binding a widget to a field of the window's state, both ways, with echo blocked.

``bind(window, state, "page", changed=tabs.currentChanged, read=..., show=...)`` makes the widget
write the field when the person changes it (``changed`` fires, ``read()`` is stored) and show
the field when anyone else changes it (``show(value)``); while one side is being updated the
other does not answer back, so there are no echo loops. At binding time the widget's value is
stored in the state. (napari's ``connect_setattr`` and ``qtbind`` do the same job.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnstudio.state import AppState

__all__ = ["Binding", "bind"]


class Binding:
    """One widget bound to one field, for as long as its owner lives."""

    def __init__(self, state: AppState, name: str, changed: Any,
                 read: Callable[[], Any], show: Callable[[Any], None]) -> None:
        self.state, self.name, self._read, self._show = state, name, read, show
        self._busy = False
        getattr(state.events, name).connect(self._to_widget)
        changed.connect(self._to_state)
        self._to_state()

    def _to_widget(self, value: Any) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._show(value)
        finally:
            self._busy = False

    def _to_state(self, *_args: Any) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            setattr(self.state, self.name, self._read())
        finally:
            self._busy = False



def bind(owner: object, state: AppState, name: str, *, changed: Any,
         read: Callable[[], Any], show: Callable[[Any], None]) -> Binding:
    """Bind a widget to ``state.<name>`` both ways (see the module's text).

    Parameters
    ----------
    owner : object
        The page or widget the binding belongs to: it keeps the binding (in its
        ``bindings`` list) for as long as it lives (the signals hold it weakly).
    changed : Qt signal
        Emitted when the person changes the widget.
    read : callable
        The widget's value, as the field holds it.
    show : callable
        Puts a value of the field on the widget.
    """
    binding = Binding(state, name, changed, read, show)
    kept = getattr(owner, "bindings", None)
    if kept is None:
        kept = []
        owner.bindings = kept  # type: ignore[attr-defined]
    kept.append(binding)
    return binding
