"""Paced calls: an action asked for many times a second runs at most once per interval.

Training sends up to 30 messages a second. Figures that a person reads (the Train page's
cards, the status bar) change their text on each one, and a changed text makes Qt lay out
and repaint the window around it: at 30 a second that takes a quarter of a core from the
training it shows. :class:`Pace` gathers the requests: the first runs at once, those that
follow within ``interval_ms`` become one call when the interval has passed, so the last
request is never lost and what is shown is at most one interval old. :meth:`Pace.flush`
runs a pending call at once (a run ended: its last figures are shown without delay).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

__all__ = ["FIGURES_MS", "Pace"]

#: figures a person reads while training runs change at most this often (ms): they read as
#: live, and the window is not laid out again at every message
FIGURES_MS = 200


class Pace(QObject):
    """Runs ``action`` at most once every ``interval_ms`` (see the module docstring).

    Parameters
    ----------
    action : callable
        Called with no arguments; it reads the latest values itself.
    interval_ms : int
        The shortest time between two calls; 0 calls at every request.
    parent : QObject
        Owner of the timer.
    """

    def __init__(self, action: Callable[[], object], interval_ms: int,
                 parent: QObject) -> None:
        super().__init__(parent)
        self._action = action
        self.interval_ms = int(interval_ms)
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    @property
    def pending(self) -> bool:
        """True while a request waits for the interval to pass."""
        return self._pending

    def request(self) -> None:
        """Run the action now if the last call is an interval old, else once it is."""
        if self.interval_ms <= 0:
            self._action()
            return
        if self._timer.isActive():
            self._pending = True
            return
        self._run()

    def flush(self) -> None:
        """Run a waiting request now (nothing when none waits)."""
        if self._pending:
            self._run()

    def _run(self) -> None:
        self._pending = False
        self._timer.start(self.interval_ms)
        self._action()

    def _on_timeout(self) -> None:
        if self._pending:
            self._run()
