"""What connects the window to the training process.

Training computes in a child process (:mod:`nnstudio.core.trainproc`); inside the window's
process one :class:`~nnstudio.gui.worker.Worker` per run runs :func:`pump`, which pumps the
process handle: it sends what the GUI thread queued (the run, its data, pause/step/stop and
live changes) and waits for the child's messages with the GIL released, then yields each
message (already a private copy: it came through a pipe) to the GUI thread. The GUI thread
never blocks on the pipe.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from nnstudio.core.trainproc import TrainingProcess
from nnstudio.core.trainprotocol import ChildMessage, Exited, Failed, Finished
from nnstudio.gui.collector import collect_on_gui_thread

log = logging.getLogger(__name__)

#: the longest the interpreter lets one thread hold the GIL (seconds); Python's default
SWITCH_INTERVAL = 0.005
#: how long one wait for a message lasts before the pump checks whether to give up
POLL_S = 0.1

_blas_configured = False


def configure_threading() -> None:
    """Threading of the window's own process.

    - No thread holds the GIL longer than SWITCH_INTERVAL.
    - NumPy's OpenBLAS uses one thread: the window only runs small inferences, and the
      training process has all other cores (see :mod:`nnstudio.core.threads`). An explicit
      OPENBLAS_NUM_THREADS or OMP_NUM_THREADS setting is respected.
    - Python's cycle collector runs on the GUI thread only
      (:mod:`nnstudio.gui.collector`), so that no Qt object is freed on another thread.
    """
    global _blas_configured
    collect_on_gui_thread()
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
    if not _blas_configured:
        _blas_configured = True
        from nnstudio.core.threads import set_blas_threads, user_limit

        if user_limit() is None:
            set_blas_threads(1)


class DatasetTokens:
    """Names under which the training process caches datasets: the same arrays keep their
    name, new arrays get a new one (the last four are remembered)."""

    _count = itertools.count(1)

    def __init__(self) -> None:
        self._known: list[tuple[Any, Any, str]] = []

    def token(self, x: Any, y: Any) -> str:
        for kx, ky, token in self._known:
            if kx is x and ky is y:
                return token
        token = f"{os.getpid()}-{next(self._count)}"
        self._known = [*self._known[-3:], (x, y, token)]
        return token


def pump(process: TrainingProcess, run_id: int) -> Iterator[ChildMessage | None]:
    """Yield the messages of run ``run_id`` until it ends (a generator for a Worker).

    Yields None every :data:`POLL_S` seconds while nothing comes, so that the worker can
    stop it; the last message yielded is ``Finished``, ``Failed`` or ``Exited``. A failure
    of the connection itself becomes a ``Failed`` message.
    """
    try:
        while True:
            msg = process.recv(POLL_S)
            if msg is None:
                yield None
                continue
            if not isinstance(msg, Exited) and msg.run != run_id:
                continue  # the end of an earlier run
            yield msg
            if isinstance(msg, Finished | Failed | Exited):
                return
    except Exception as exc:  # noqa: BLE001 - the person must hear of it
        log.exception("the connection to the training process failed")
        yield Failed(run_id, "other", "Training stopped because the connection to the "
                     f"training process failed ({type(exc).__name__}: {exc}).")
