"""Starting the training child: a fresh interpreter that runs exactly the parent's code.

On POSIX the child is a ``subprocess`` (fork + exec at once: nothing of a Qt parent is copied)
that inherits only its two pipe ends; elsewhere multiprocessing's ``spawn``. Either way it is
an isolated interpreter (``-I``: neither the working folder nor ``PYTHONPATH`` count) whose
``sys.path`` is the parent's, with the parent's package folder first, so a folder named
``nnstudio`` where the window was started cannot take its place.

:func:`start_child` returns ``(process, commands, data)``: a process handle with
``is_alive``, ``join``, ``exitcode``, ``terminate`` and ``kill``; the duplex connection of
commands and messages; and the write-only connection that carries datasets as raw bytes.

The child's entry point is the module :data:`CHILD_ENTRY` by default; a higher layer may name
its own module (``entry``) whose ``main_fds`` and ``child_main`` take the same arguments and
call :mod:`nnstudio.core.trainchild`'s with what it adds (the window's run recording), so
this layer never imports it.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
from typing import Any

__all__ = ["CHILD_ENTRY", "PACKAGE_ROOT", "child_command", "child_path", "start_child"]

#: the module whose ``main_fds`` / ``child_main`` a child runs unless told another
CHILD_ENTRY = "nnstudio.core.trainchild"
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _check_entry(entry: str) -> str:
    if not _MODULE.fullmatch(entry):
        raise ValueError(f"not a module name: {entry!r}")
    return entry

#: the package folder the parent imported ``nnstudio`` from (the child must use the same)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start_spawn(threads: int, entry: str = CHILD_ENTRY) -> tuple[Any, Any, Any]:
    """Start the child with multiprocessing's ``spawn`` method (platforms without fd passing).

    The parent's main module must have the ``if __name__ == "__main__":`` guard; spawn gives
    the child the parent's ``sys.path``."""
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe(duplex=True)
    data_r, data_w = ctx.Pipe(duplex=False)
    module = importlib.import_module(_check_entry(entry))

    proc = ctx.Process(target=module.child_main, args=(child_conn, data_r, threads),
                       name="nnstudio-training", daemon=True)
    proc.start()
    # the parent keeps only its own ends: the child sees EOF when the parent goes
    child_conn.close()
    data_r.close()
    return proc, conn, data_w


class _Popen:
    """A started ``subprocess.Popen`` child with the few ``multiprocessing.Process`` methods
    the handle uses."""

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen
        self.pid = popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def terminate(self) -> None:
        self.popen.terminate()

    def kill(self) -> None:
        self.popen.kill()


def child_path() -> list[str]:
    """The ``sys.path`` of the child: the parent's package folder first, then the parent's
    own path without the working-folder entries (``""``)."""
    paths = [PACKAGE_ROOT]
    for p in sys.path:
        if p and os.path.abspath(p) not in paths:
            paths.append(os.path.abspath(p))
    return paths


def child_command(cmd_fd: int, data_fd: int, threads: int,
                  entry: str = CHILD_ENTRY) -> list[str]:
    """The command line of a POSIX child: an isolated interpreter (``-I``: no working
    folder, no ``PYTHON*`` variables, no user site) given the parent's path explicitly,
    running ``entry``'s ``main_fds``."""
    code = ("import sys, json; sys.path[:] = json.loads(sys.argv[4]); "
            f"from {_check_entry(entry)} import main_fds; "
            "main_fds(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))")
    return [sys.executable, "-I", "-c", code, str(cmd_fd), str(data_fd), str(threads),
            json.dumps(child_path())]


def _start_posix(threads: int, entry: str = CHILD_ENTRY) -> tuple[Any, Any, Any]:
    """Start the child as a fresh interpreter (fork + exec at once: nothing of a Qt parent is
    copied) that inherits only its two pipe ends.

    Unlike multiprocessing's ``spawn``, the child never imports the parent's main module, so
    a script that opens the window needs no ``__main__`` guard, and its environment (thread
    limits) is set before NumPy loads.
    """
    from multiprocessing.connection import Connection

    from nnstudio.core.threads import training_process_environment

    parent_sock, child_sock = socket.socketpair()
    data_r, data_w = os.pipe()
    env = dict(os.environ)
    env.update(training_process_environment(threads, env))
    try:
        popen = subprocess.Popen(
            child_command(child_sock.fileno(), data_r, threads, entry),
            pass_fds=(child_sock.fileno(), data_r), env=env, stdin=subprocess.DEVNULL)
    except BaseException:
        for fd in (data_r, data_w):
            os.close(fd)
        parent_sock.close()
        raise
    finally:
        child_sock.close()  # the parent keeps only its own ends: the child sees EOF when
    os.close(data_r)        # the parent goes
    conn = Connection(parent_sock.detach())
    return _Popen(popen), conn, Connection(data_w, readable=False)


def start_child(threads: int, entry: str = CHILD_ENTRY) -> tuple[Any, Any, Any]:
    """Start a training child using ``threads`` threads, running the module ``entry``:
    ``(process, commands, data)``."""
    return _start_posix(threads, entry) if os.name == "posix" else _start_spawn(threads, entry)
