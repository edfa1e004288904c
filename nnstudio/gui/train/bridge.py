"""The thread that connects the window to the training process.

Training computes in a child process (:mod:`nnstudio.core.trainproc`); inside the window's
process one ``QThread`` per run carries a :class:`TrainBridge`, which pumps the process
handle: it sends what the GUI thread queued (the run, its data, pause/step/stop and live
changes) and waits for the child's messages with the GIL released, then hands each message
(already a private copy: it came through a pipe) to the GUI thread as a Qt signal. The GUI
thread never blocks on the pipe.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnstudio.core.trainprotocol import Exited, Failed, Finished

log = logging.getLogger(__name__)

#: the longest the interpreter lets one thread hold the GIL (seconds); Python's default
SWITCH_INTERVAL = 0.005
#: how long one wait for a message lasts before the bridge checks whether to give up
POLL_S = 0.1

_blas_configured = False


def configure_threading() -> None:
    """Threading of the window's own process.

    - No thread holds the GIL longer than SWITCH_INTERVAL.
    - NumPy's OpenBLAS uses one thread: the window only runs small inferences, and the
      training process has all other cores (see :mod:`nnstudio.core.threads`). An explicit
      OPENBLAS_NUM_THREADS or OMP_NUM_THREADS setting is respected.
    """
    global _blas_configured
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
    if not _blas_configured:
        _blas_configured = True
        from nnstudio.core.threads import set_blas_threads, user_limit

        if user_limit() is None:
            set_blas_threads(1)


class TrainBridge(QObject):
    """Pumps a :class:`~nnstudio.core.trainproc.TrainingProcess` for one run, on its thread.

    Signals
    -------
    message(object)
        A message of the run (a dict; see :mod:`nnstudio.core.trainproc`). The last one is
        ``"finished"``, ``"error"`` or ``"exit"``; then the thread ends.
    """

    message = Signal(object)

    def __init__(self, process: object, run_id: int) -> None:
        super().__init__()
        self.process = process
        self.run_id = run_id
        self.abort = False  # set from the GUI thread: give up waiting (closing)

    @Slot()
    def run(self) -> None:
        try:
            while not self.abort:
                msg = self.process.recv(POLL_S)
                if msg is None:
                    continue
                if not isinstance(msg, Exited) and msg.run != self.run_id:
                    continue  # the end of an earlier run
                self.message.emit(msg)
                if isinstance(msg, Finished | Failed | Exited):
                    break
        except Exception as exc:  # noqa: BLE001 - the person must hear of it
            log.exception("the training bridge failed")
            self.message.emit(Failed(self.run_id, "other", "Training stopped because the "
                                     "connection to the training process failed "
                                     f"({type(exc).__name__}: {exc})."))
        finally:
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()
