"""Python's cycle collector, run on the GUI thread only.

CPython frees most objects the moment their last reference goes, on whatever thread lets
go of it; objects caught in reference cycles wait for the cycle collector, which runs on
whichever thread happens to allocate when a threshold is passed. In the window that is often
a background thread (the training pump, a data loader), and a Qt object freed there (a plot
item, a dialog, a view's helper caught in a cycle with its slots) is destroyed on the wrong
thread while the GUI thread may be using it: a crash, rarely and far from its cause.

:func:`collect_on_gui_thread` turns the automatic collector off and runs it from a timer on
the GUI thread instead, with the same thresholds (a young-generation pass when enough
objects were allocated, older generations as often as the automatic collector would). The
training process is a separate interpreter and keeps the automatic collector.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

__all__ = ["GuiThreadCollector", "collect_on_gui_thread"]

#: how often the collector looks at the allocation counts
INTERVAL_MS = 250

_collector: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Runs ``gc.collect`` from a timer of the GUI thread; the automatic collector is off
    while it lives (:meth:`stop` turns it back on)."""

    def __init__(self, app: QCoreApplication, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(app)
        self.threshold = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self.check)
        self._timer.start()
        app.aboutToQuit.connect(self.stop)

    def check(self) -> None:
        """Collect the generations whose thresholds were passed since the last look."""
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 > t0:
            generation = 2 if (c1 > t1 and c2 > t2) else 1 if c1 > t1 else 0
            gc.collect(generation)
            self.collections += 1

    def stop(self) -> None:
        """Give collecting back to Python (the application is ending)."""
        self._timer.stop()
        gc.enable()


def collect_on_gui_thread() -> GuiThreadCollector | None:
    """Install the GUI-thread collector once (idempotent). Needs a running Qt application and
    must be called on its thread; returns None (nothing changed) otherwise."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return None
    if _collector is None:
        _collector = GuiThreadCollector(app)
    return _collector
