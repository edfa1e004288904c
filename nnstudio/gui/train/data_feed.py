"""The data training uses: which source, at which image size, loaded in the background.

:class:`DataFeed` is the one place that knows the data source in use (its spec, e.g.
``"idx:~/mnist"``), the image side digit sources are made at (16 or 28), a load scheduled
for when the window has appeared, and whether a dataset's values are all numbers. It loads
with a :class:`~nnstudio.gui.train.data_loader.DatasetLoader` and puts what arrives into
the session. The source and the image side live in the window's state (``data_source``,
``image_size``), which the feed alone writes. The training controller owns one
(``controller.data``); the Training panel,
the Design page's offer to use matching data, lessons and saving read and change the data
through it, never through its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from nnstudio.gui.session import Session
from nnstudio.gui.train.data_loader import DatasetLoader

__all__ = ["DataFeed"]


class DataFeed(QObject):
    """The training data of ``session``: loaded in the background, one source at a time.

    Signals
    -------
    loading(str)
        Loading of this spec started.
    progress(int, int)
        (done, total) of the load in progress.
    loaded(str)
        The spec's data arrived and is ``session.dataset`` now.
    failed(str)
        The load failed: a sentence saying why (the data in use is kept).
    cancelled()
        A load was cancelled (the data in use is kept).
    waiting(bool)
        Something waits for the data in loading (:meth:`wait_for_data`), or no longer does.
    imageSizeChanged(int)
        :attr:`image_size` changed (by a load, :meth:`set_image_size` or :meth:`restore`),
        whoever changed it: the Training panel's Image size list follows it.
    """

    loading = Signal(str)
    progress = Signal(int, int)
    loaded = Signal(str)
    failed = Signal(str)
    cancelled = Signal()
    waiting = Signal(bool)
    imageSizeChanged = Signal(int)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.state.events.image_size.connect(self._emit_image_size)
        self._scheduled: str | None = None
        self._damage_checked: tuple[Any, str | None] | None = None
        #: what waits for the data in loading: (when it arrives, when it fails)
        self._waiter: tuple[Callable[[], None], Callable[[str], None]] | None = None
        self.loader = DatasetLoader(self)
        self.loader.started.connect(self.loading)
        self.loader.progress.connect(self.progress)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.cancelled.connect(self._on_cancelled)

    # ------------------------------------------------------------ what is in use
    @property
    def spec(self) -> str | None:
        """The spec of the data in ``session.dataset`` (None: none loaded by spec)."""
        return self.state.data_source

    @property
    def image_size(self) -> int:
        """The side digit sources are made at: 16 or 28."""
        return self.state.image_size

    @property
    def busy(self) -> bool:
        """True while a load is in progress."""
        return self.loader.busy

    @property
    def pending(self) -> bool:
        """True while a load is in progress or scheduled."""
        return self.loader.busy or self._scheduled is not None

    @property
    def waited_for(self) -> bool:
        """True while something waits for the data in loading."""
        return self._waiter is not None

    # ------------------------------------------------------------ waiting for it
    def wait_for_data(self, then: Callable[[], None], failed: Callable[[str], None]) -> bool:
        """When the session has no data yet but it is loading (or scheduled): call ``then``
        once it has arrived, or ``failed(message)`` if it cannot be loaded, and return
        True. Otherwise return False (nothing to wait for). One waiter at a time: a new one
        replaces the last."""
        if self.session.dataset is not None or not self.pending:
            return False
        self._waiter = (then, failed)
        self.waiting.emit(True)
        return True

    def stop_waiting(self) -> None:
        """Forget what waits for the data (Pause or Stop pressed meanwhile)."""
        if self._waiter is not None:
            self._waiter = None
            self.waiting.emit(False)

    def _take_waiter(self) -> tuple[Callable[[], None], Callable[[str], None]] | None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self.waiting.emit(False)
        return waiter

    # ------------------------------------------------------------ changing it
    def load(self, spec: str, size: int | None = None) -> None:
        """Load ``spec`` in the background (at ``size`` × ``size`` for digit sources, which
        becomes :attr:`image_size`); it becomes ``session.dataset`` when it arrives. A load
        in progress is cancelled."""
        self._scheduled = None
        if size is not None:
            self._set_side(size)
        self.loader.load(spec, self.image_size)

    def schedule(self, spec: str, size: int | None = None, delay_ms: int = 0) -> None:
        """Load ``spec`` once the event loop runs (the window appears first)."""
        self._scheduled = spec

        def go() -> None:
            if self._scheduled == spec:
                self.load(spec, size)

        QTimer.singleShot(delay_ms, self, go)

    def set_image_size(self, size: int, *, reload: bool = True) -> None:
        """Make digit sources at ``size`` × ``size`` (16 or 28); with ``reload``, load the
        source in use again at that size."""
        size = self._side(size)
        if size == self.image_size:
            return
        self._set_side(size)
        if reload and self.spec:
            self.load(self.spec, size)

    def restore(self, spec: str | None, image_size: int) -> None:
        """Say that ``session.dataset`` is ``spec``'s data at ``image_size`` again (putting a
        saved state back; nothing is loaded)."""
        self._scheduled = None
        self.state.data_source = spec
        self._set_side(image_size)

    def cancel(self) -> None:
        """Cancel the load in progress or scheduled (the data in use is kept)."""
        self._scheduled = None
        self.loader.cancel()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel loading and wait for its threads; True when they ended."""
        self._scheduled = None
        return self.loader.shutdown(timeout_ms)

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Wait (processing events) until every load ended; False on timeout."""
        return self.loader.wait(timeout_ms)

    # ------------------------------------------------------------ checks
    def damaged(self, ds: Any) -> str | None:
        """NaN or infinite values in ``ds`` (checked once per dataset), blamed on the data."""
        from nnstudio.core.datafit import nonfinite_data

        checked = self._damage_checked
        if checked is None or checked[0] is not ds:
            checked = self._damage_checked = (ds, nonfinite_data(ds.x, ds.y, ds.name))
        return checked[1]

    # ------------------------------------------------------------ internals
    def _emit_image_size(self, size: int) -> None:
        self.imageSizeChanged.emit(int(size))

    @staticmethod
    def _side(size: int) -> int:
        return 16 if int(size) == 16 else 28

    def _set_side(self, size: int) -> None:
        self.state.image_size = self._side(size)   # -> imageSizeChanged when it changed

    @Slot(str, object)
    def _on_loaded(self, spec: str, dataset: Any) -> None:
        self.state.data_source = spec
        self.session.set_dataset(dataset)
        self.loaded.emit(spec)
        waiter = self._take_waiter()
        if waiter is not None:
            waiter[0]()

    @Slot(str, str)
    def _on_failed(self, spec: str, message: str) -> None:
        self.failed.emit(message)
        waiter = self._take_waiter()
        if waiter is not None:
            waiter[1](message)

    @Slot(str)
    def _on_cancelled(self, spec: str) -> None:
        self.cancelled.emit()
        if not self.loader.busy:  # nothing else is coming
            self.stop_waiting()
