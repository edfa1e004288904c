"""Training in a child process, driven from the parent through a pipe.

Why a process: a training thread inside the window's process shares the GIL with the GUI
thread. A training step is many short Python and NumPy calls, painting a plot is thousands of
short Qt calls, and each of those waits for the other thread to give the GIL back; the GUI
thread then stalls for tens to hundreds of milliseconds (bench/bench_gui_stalls.py). A child
process has its own interpreter and GIL, so nothing the training does can block the window.

:class:`TrainingProcess` is the parent's handle of one persistent child, started on first use
and reused by later runs. The child is a fresh interpreter, never a ``fork`` of the parent (a
forked Qt process is unsafe): on POSIX a ``subprocess`` that inherits only its two pipe ends
(it starts in ~0.3 s and never re-imports the parent's main module), elsewhere
multiprocessing's ``spawn``. Its methods split in two:

- **commands** — :meth:`run`, :meth:`pause`, :meth:`resume`, :meth:`step_batch`,
  :meth:`step_epoch`, :meth:`stop`, :meth:`set_lr`, :meth:`set_batch_size` — never block:
  they queue the request and wake the I/O thread. Any thread (the GUI thread) may call them.
- **I/O** — :meth:`recv` starts the child when needed, sends what was queued (a dataset goes
  once over a second pipe as raw bytes and stays cached in the child under a token) and waits
  up to ``timeout`` for the child's next message. One thread calls it (a bridge thread in the
  GUI); while it waits the GIL is released.

The messages both ways are the dataclasses of :mod:`nnstudio.core.trainprotocol`. The handle
adds two of its own: :class:`~nnstudio.core.trainprotocol.Exited` when the child is gone and
:class:`~nnstudio.core.trainprotocol.Unresponsive` when a child with an active run has sent
nothing (not even its heartbeat) for ``stall_s`` seconds. The child stops and exits when the
parent's end of the pipe closes (the parent ended), so no child outlives it.

The child is started (:mod:`nnstudio.core.trainlaunch`) so that it runs exactly the parent's
``nnstudio``: an isolated interpreter whose ``sys.path`` is the parent's, with the parent's
package folder first.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from typing import Any

from nnstudio.core.threads import training_threads
from nnstudio.core.trainlaunch import CHILD_ENTRY, start_child
from nnstudio.core.trainprotocol import (
    MAX_CACHED_DATASETS,
    STALL_S,
    STARTUP_S,
    ChildMessage,
    Control,
    DataHeader,
    Exited,
    Failed,
    Finished,
    Heartbeat,
    Hello,
    Run,
    RunSpec,
    Shutdown,
    Unresponsive,
)

__all__ = ["MAX_CACHED_DATASETS", "TrainingProcess"]


class TrainingProcess:
    """Parent-side handle of a persistent training child process.

    Parameters
    ----------
    threads : int, optional
        BLAS and engine threads of the child; default: one per core, as the command line
        (:func:`nnstudio.core.threads.training_threads`); the child runs at a lower CPU
        priority, so the GUI thread still gets a core at once.
    stall_s : float
        Seconds of silence of a child with an active run before :meth:`recv` reports it
        :class:`~nnstudio.core.trainprotocol.Unresponsive`.
    entry : str, optional
        The module the child runs (see :mod:`nnstudio.core.trainlaunch`); the window names
        one that records its runs.
    """

    def __init__(self, threads: int | None = None, stall_s: float = STALL_S,
                 entry: str = CHILD_ENTRY) -> None:
        self.threads = int(threads or training_threads())
        self.entry = entry
        self.stall_s = float(stall_s)
        self._proc: Any = None
        self._conn: Any = None           # duplex: commands out, messages in
        self._data: Any = None           # datasets out (raw bytes)
        self._send_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._queue: collections.deque = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._cached: list[str] = []     # dataset tokens the child holds, oldest first
        self._run_id = 0
        self._seq = 0
        self._active = 0                 # the run sent and not yet ended (0: none)
        self._heard = time.monotonic()   # last sign of life of the child
        self._stalled = False            # Unresponsive was reported, nothing heard since
        #: what the child said first (which nnstudio it runs); None before it did
        self.hello: Hello | None = None
        #: how many datasets were sent to a child (tests: a cached one is not resent)
        self.datasets_sent = 0
        #: how many child processes were started
        self.starts = 0
        self._closed = False

    # ------------------------------------------------------------ state
    @property
    def alive(self) -> bool:
        """True while the child process runs."""
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def last_seq(self) -> int:
        """Number of the latest command queued; a message whose ``seq`` is lower was sent
        before the child applied it (its ``state`` may be out of date)."""
        return self._seq

    @property
    def silent_s(self) -> float:
        """Seconds since the child last sent anything while a run is active, else 0."""
        if not self._active or self._conn is None:
            return 0.0
        return max(0.0, time.monotonic() - self._heard)

    @property
    def responsive(self) -> bool:
        """False when a child with an active run has been silent past its limit
        (``stall_s``; a child that has not said hello yet gets longer to start)."""
        if not self._active or self._conn is None:
            return True
        limit = self.stall_s if self.hello is not None else max(self.stall_s, STARTUP_S)
        return self.silent_s < limit

    # ------------------------------------------------------------ commands (any thread)
    def run(self, *, design_json: str, weights: dict, config: dict, x: Any, y: Any,
            token: str, history: dict | None = None, mode: str = "train",
            start: str = "run", seed: int = 0,
            fail: tuple[int, str] | None = None, record: dict | None = None) -> int:
        """Queue a training run; returns its id. Never blocks.

        Parameters
        ----------
        design_json, weights, config, token, history, mode, start, seed, fail, record
            The :class:`~nnstudio.core.trainprotocol.RunSpec` of the run (a fine-tuning
            run starts a history of its own: ``history`` is ignored).
        x, y : ndarray
            Samples (N, *sample_shape) float32 and targets (N,) int64 or (N, k) float32.
            Sent once per ``token``: a later run naming a token the child still holds sends
            nothing.
        """
        spec = RunSpec(design_json=design_json, weights=weights, config=dict(config),
                       token=str(token), history=None if mode == "fine_tune" else history,
                       mode=mode, start=start, seed=int(seed),
                       fail=None if fail is None else (int(fail[0]), str(fail[1])),
                       record=record)
        self._run_id += 1
        self._put(("run", self._run_id, spec), data=(x, y))
        return self._run_id

    def pause(self) -> None:
        """Pause the current run before its next batch."""
        self._command("pause")

    def resume(self) -> None:
        """Let a paused run go on."""
        self._command("resume")

    def step_batch(self, n: int = 1) -> None:
        """Train ``n`` more batches, then pause."""
        self._command("step_batch", int(n))

    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        self._command("step_epoch")

    def stop(self, why: str | None = None) -> None:
        """End the current run before its next batch (it sends ``Finished``); ``why``
        ``"closing"`` says the window is closing (its record then reads "interrupted")."""
        self._command("stop", why)

    def set_lr(self, lr: float) -> None:
        """Learning rate of the current run from its next batch on."""
        self._command("set_lr", float(lr))

    def set_batch_size(self, batch_size: int) -> None:
        """Batch size of the current run from its next batch on."""
        self._command("set_batch_size", int(batch_size))

    def _command(self, name: str, arg: Any = None) -> None:
        if self._run_id:
            self._put((name, self._run_id, arg))

    def _put(self, msg: tuple, data: tuple | None = None) -> None:
        self._seq += 1
        self._queue.append((msg, self._seq, data))
        try:
            self._wake_w.send(b"\0")
        except OSError:  # the wake-up buffer is full: the I/O thread is awake anyway
            pass

    # ------------------------------------------------------------ I/O (one thread)
    def start(self) -> None:
        """Start the child if it is not running.

        :meth:`recv` calls it when a run needs the child; calling it earlier from another
        thread (while nothing was queued yet) saves the first run the interpreter's start.
        """
        with self._start_lock:
            if not self.alive:
                self._start()

    def _start(self) -> None:
        self._close_pipes()
        self._proc, self._conn, self._data = start_child(self.threads, self.entry)
        self._cached = []
        self.hello = None
        self._heard = time.monotonic()
        self.starts += 1

    def recv(self, timeout: float = 0.1) -> ChildMessage | None:
        """Send what was queued, then wait up to ``timeout`` s for a message from the child.

        Returns the message, or None when none came. A child that died gives
        :class:`~nnstudio.core.trainprotocol.Exited` (once); the next queued run starts a new
        one. A child with an active run that stays silent past ``stall_s`` gives
        :class:`~nnstudio.core.trainprotocol.Unresponsive` (once), and the first heartbeat
        after that is handed on too (it is back); other heartbeats are not.
        """
        from multiprocessing.connection import wait

        if self._closed:
            return None
        exit_msg = self._flush()
        if exit_msg is not None:
            return exit_msg
        if self._conn is None:  # nothing started yet: wait for a command
            wait([self._wake_r], timeout)
            self._drain_wake()
            exit_msg = self._flush()
            if exit_msg is not None or self._conn is None:
                return exit_msg
            timeout = 0.0
        ready = wait([self._conn, self._wake_r], timeout)
        if self._wake_r in ready:
            self._drain_wake()
            exit_msg = self._flush()
            if exit_msg is not None:
                return exit_msg
        if self._conn is not None and self._conn.poll(0):
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                return self._lost()
            return self._heard_from(msg)
        return self._check_stall()

    def _heard_from(self, msg: Any) -> ChildMessage | None:
        self._heard = time.monotonic()
        was_stalled, self._stalled = self._stalled, False
        if isinstance(msg, Hello):
            self.hello = msg
            return None
        if isinstance(msg, Finished | Failed) and msg.run == self._active:
            self._active = 0
        if isinstance(msg, Heartbeat) and not was_stalled:
            return None
        return msg

    def _check_stall(self) -> Unresponsive | None:
        if self._stalled or not self._active or self._conn is None:
            return None
        if self.responsive:
            return None
        if not self.alive:
            return self._lost()
        self._stalled = True
        return Unresponsive(self._active, self.silent_s)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _flush(self) -> Exited | None:
        """Send every queued command (starting the child for a run)."""
        while self._queue:
            msg, seq, data = self._queue[0]
            if msg[0] == "run" and not self.alive:
                self.start()
            if self._conn is None:  # a command with no child to obey it
                self._queue.popleft()
                continue
            try:
                with self._send_lock:
                    if msg[0] == "run":
                        self._send_run(msg[1], msg[2], seq, data)
                    else:
                        self._conn.send(Control(msg[0], msg[1], msg[2], seq))
            except (BrokenPipeError, EOFError, OSError):
                self._queue.popleft()
                return self._lost()
            self._queue.popleft()
        return None

    def _send_run(self, run_id: int, spec: RunSpec, seq: int, data: tuple) -> None:
        """Send a run; its dataset follows as raw bytes unless the child holds its token."""
        import dataclasses

        import numpy as np

        self._active, self._heard, self._stalled = run_id, time.monotonic(), False
        if spec.token in self._cached:  # the child moves it to the end of its cache too
            self._cached.remove(spec.token)
            self._cached.append(spec.token)
            self._conn.send(Run(run_id, dataclasses.replace(spec, data=None), seq))
            return
        x = np.ascontiguousarray(data[0])
        y = np.ascontiguousarray(data[1])
        self._conn.send(Run(run_id, dataclasses.replace(spec, data=DataHeader.of(x, y)), seq))
        self._data.send_bytes(x)  # raw bytes, no pickled copy
        self._data.send_bytes(y)
        self._heard = time.monotonic()  # sending a big dataset takes a while
        self._cached.append(spec.token)
        del self._cached[:-MAX_CACHED_DATASETS]
        self.datasets_sent += 1

    def _lost(self) -> Exited:
        code = None
        if self._proc is not None:
            self._proc.join(1.0)
            code = self._proc.exitcode
        self._close_pipes()
        self._proc = None
        return Exited(code)

    def _close_pipes(self) -> None:
        for c in (self._conn, self._data):
            if c is not None:
                try:
                    c.close()
                except OSError:
                    pass
        self._conn = self._data = None
        self._cached = []
        self._active = 0
        self._stalled = False

    # ------------------------------------------------------------ ending
    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop any run and end the child: ask, wait ``timeout`` s, then terminate, then kill.

        A child known not to respond (silent during a run) is killed at once. Returns True
        when the child ended on request. The handle can start a new child afterwards (a
        later :meth:`run`).
        """
        got = self._start_lock.acquire(timeout=timeout)  # a start in progress ends first
        try:
            return self._shutdown(timeout)
        finally:
            if got:
                self._start_lock.release()

    def kill(self) -> None:
        """End the child at once (it does not respond); the next run starts a new one."""
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(2.0)

    def _shutdown(self, timeout: float) -> bool:
        proc = self._proc
        self._queue.clear()
        clean = True
        if proc is not None and not self.responsive and proc.is_alive():
            self.kill()  # it would not hear the request
            clean = False
        if proc is not None and proc.is_alive():
            if self._send_lock.acquire(timeout=0.5):
                try:
                    if self._conn is not None:
                        self._conn.send(Shutdown(self._seq))
                except (BrokenPipeError, EOFError, OSError):
                    pass
                finally:
                    self._send_lock.release()
            proc.join(timeout)
            if proc.is_alive():
                clean = False
                proc.terminate()
                proc.join(0.5)
            if proc.is_alive():
                proc.kill()
                proc.join(0.5)
        self._close_pipes()
        self._proc = None
        return clean

    def close(self) -> None:
        """:meth:`shutdown` and release the handle's own resources."""
        self.shutdown()
        self._closed = True
        for s in (self._wake_r, self._wake_w):
            s.close()

    def __del__(self) -> None:  # a forgotten handle must not leave a child behind
        try:
            if self._proc is not None and self._proc.is_alive():
                self._close_pipes()  # EOF: the child stops and exits by itself
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
