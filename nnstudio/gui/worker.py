"""Background work in the window: one worker type for everything that must not block it.

A :class:`Worker` runs a function on a thread of its own and reports on the GUI thread, in
this order::

    started -> yielded* -> (result | error | aborted) -> finished

- A **generator function** yields values as it goes: each one is emitted as ``yielded``
  (``None`` is a check point only) and the worker checks for an abort request between two
  yields; the generator's return value is the ``result``.
- A **plain function** returns the ``result``; long ones report and check for an abort
  through :func:`current_worker` (``report(value)`` emits ``yielded``, ``abort_requested``
  says whether to give up; :func:`aborting` is the same check as a callable to hand to a
  reader's ``cancel`` parameter), or raise :class:`Aborted`.

Whatever the function hands back is delivered by queued signals: the thread never touches a
widget, and every slot connected to a worker runs on the GUI thread. The objects handed
over must not be used by the thread afterwards (hand over copies or fresh objects).

Every started worker is kept referenced until its ``finished`` was delivered and its thread
has ended, so nothing is destroyed while it runs and a worker is always freed on the GUI
thread (a Qt object destroyed on another thread can crash the window); :func:`stop_all`
asks every worker to stop and waits for them (closing the window). The threads are daemon
threads: one stuck in a call that cannot be interrupted never keeps the program from ending,
and the program never aborts because of it.

For small work that has to run on the GUI thread itself (drawing a view), use the
cooperative pieces of :mod:`nnstudio.gui.inside.base` instead.
"""

from __future__ import annotations

import atexit
import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

__all__ = ["Aborted", "Worker", "aborting", "current_worker", "running_workers",
           "stop_all", "work"]

log = logging.getLogger(__name__)

_local = threading.local()
_exiting = False
_live: set[Worker] = set()
_live_lock = threading.Lock()


class Aborted(Exception):
    """The work gave up because it was asked to (see :meth:`Worker.quit`)."""


def current_worker() -> Worker | None:
    """The worker whose thread calls this (None on other threads)."""
    return getattr(_local, "worker", None)


def aborting() -> bool:
    """True when the calling thread's worker was asked to stop (a ``cancel`` callable)."""
    worker = current_worker()
    return worker is not None and worker.abort_requested


def running_workers() -> list[Worker]:
    """Workers started and not finished yet."""
    with _live_lock:
        return [w for w in _live if w.is_running]


class Worker(QObject):
    """Runs ``fn(*args, **kwargs)`` on a thread of its own (call :meth:`start`).

    Parameters
    ----------
    fn : callable
        A generator function or a plain function.
    *args, **kwargs
        Its arguments.
    name : str
        Name of the thread (logs, debuggers).

    Signals
    -------
    started()
        The thread began.
    yielded(object)
        A value the generator yielded or the function reported.
    result(object)
        What the function returned (not emitted when it failed or was aborted).
    error(BaseException)
        The exception the function raised.
    aborted()
        The work stopped because :meth:`quit` asked it to; its result is dropped.
    finished()
        Always last.
    """

    started = Signal()
    yielded = Signal(object)
    result = Signal(object)
    error = Signal(BaseException)
    aborted = Signal()
    finished = Signal()
    _relay = Signal(str, object)

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "worker",
                 **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._finished_delivered = False
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ GUI thread
    def start(self) -> Worker:
        """Start the thread (once); returns the worker."""
        if self._thread is not None:
            raise RuntimeError("a worker runs once; make a new one")
        with _live_lock:
            _live.add(self)
        self._thread = threading.Thread(target=self._run, name=f"nnstudio-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def quit(self) -> None:
        """Ask the work to stop at its next check (between yields, or where it checks
        :attr:`abort_requested`); ``aborted`` then ``finished`` follow."""
        self._abort.set()

    @property
    def abort_requested(self) -> bool:
        return self._abort.is_set()

    @property
    def is_running(self) -> bool:
        """True from :meth:`start` until the thread has handed over its last signal."""
        return self._thread is not None and not self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the thread has handed over its last signal (they may still be
        queued for the event loop); False on timeout. Does not process events."""
        if self._thread is None:
            return True
        return self._done.wait(timeout_s)

    def wait_finished(self, timeout_s: float = 10.0) -> bool:
        """Process events until ``finished`` was delivered (tests, tools); False on
        timeout."""
        deadline = time.monotonic() + timeout_s
        while not self._finished_delivered:
            if time.monotonic() > deadline:
                return False
            self._done.wait(0.01)
            QCoreApplication.processEvents()
        return True

    @Slot(str, object)
    def _deliver(self, kind: str, value: Any) -> None:
        if kind == "started":
            self.started.emit()
        elif kind == "yielded":
            self.yielded.emit(value)
        elif kind == "result":
            self.result.emit(value)
        elif kind == "error":
            self.error.emit(value)
        elif kind == "aborted":
            self.aborted.emit()
        elif kind == "finished":
            self._finished_delivered = True
            # the thread has only its last few steps left: wait for it to end, so that its
            # reference to this worker is gone and the worker (a Qt object, and whatever
            # its connections hold) is freed here, on the GUI thread, never on that thread
            if self._thread is not None:
                self._thread.join(1.0)
            with _live_lock:
                _live.discard(self)
            self.finished.emit()

    # ------------------------------------------------------------ worker thread
    def report(self, value: Any) -> None:
        """Emit ``value`` as ``yielded`` (from the worker's thread)."""
        self._send("yielded", value)

    def _send(self, kind: str, value: Any = None) -> None:
        if _exiting:  # the interpreter is ending: Qt's objects are going away
            return
        try:
            self._relay.emit(kind, value)
        except RuntimeError:  # the worker's Qt object is gone
            pass

    def _run(self) -> None:
        _local.worker = self
        self._send("started")
        try:
            if inspect.isgeneratorfunction(self.fn):
                outcome = self._run_generator()
            else:
                outcome = ("result", self.fn(*self.args, **self.kwargs))
            if self.abort_requested:
                outcome = ("aborted", None)
        except Aborted:
            outcome = ("aborted", None)
        except BaseException as exc:  # noqa: BLE001 - every failure reaches the GUI
            if self.abort_requested:
                outcome = ("aborted", None)
            else:
                if not isinstance(exc, ValueError | OSError):
                    log.debug("worker %s failed", self.name, exc_info=True)
                outcome = ("error", exc)
        finally:
            _local.worker = None
        try:
            self._send(*outcome)
            self._send("finished")
        finally:
            self._done.set()  # only now: nothing of this thread touches Qt after wait()

    def _run_generator(self) -> tuple[str, Any]:
        gen = self.fn(*self.args, **self.kwargs)
        try:
            while True:
                if self.abort_requested:
                    gen.close()
                    return ("aborted", None)
                try:
                    value = next(gen)
                except StopIteration as end:
                    return ("result", end.value)
                if value is not None:
                    self._send("yielded", value)
        finally:
            gen.close()


def work(fn: Callable[..., Any], *args: Any, name: str = "worker", **kwargs: Any) -> Worker:
    """Make a :class:`Worker` of ``fn`` and start it; connect to its signals right away
    (they are delivered by the event loop, so none is missed)."""
    return Worker(fn, *args, name=name, **kwargs).start()


@atexit.register
def _at_exit() -> None:
    """From here on no worker emits anything (a daemon thread still running at exit must
    not touch Qt objects being destroyed)."""
    global _exiting
    _exiting = True
    stop_all(1.0)


def stop_all(timeout_s: float = 2.0) -> bool:
    """Ask every running worker to stop and wait up to ``timeout_s`` in all for them.

    Returns True when all ended. A worker that did not is left to end by itself (a daemon
    thread: it cannot keep the program alive, nor make it abort).
    """
    workers = running_workers()
    for w in workers:
        w.quit()
    deadline = time.monotonic() + timeout_s
    ok = True
    for w in workers:
        if not w.wait(max(0.0, deadline - time.monotonic())):
            log.warning("background work %r did not stop in time", w.name)
            ok = False
    return ok
