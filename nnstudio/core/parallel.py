"""Running the engine's NumPy work on a few threads.

NumPy's element-wise operations and copies, and single-threaded BLAS products, release the
GIL, so plain Python threads run them truly in parallel. The engine uses that in two ways:

* :func:`run_parallel` runs a few independent jobs at once, e.g. the forward and backward
  pass of each slice of a training batch (:meth:`nnstudio.core.network.Network.train_step`).
  While the jobs run, NumPy's OpenBLAS is held at **one thread**: each job is one stream of
  work on one core, with no BLAS threads waking up, busy-waiting and fighting the jobs for
  the cores after every product. Inside a job, :func:`for_chunks` runs serially.
* :func:`for_chunks` cuts one large element-wise operation (the optimizer step over the flat
  parameter buffer, inference-time passes) into chunks along one axis and runs the chunks on
  the same threads. Below :data:`MIN_ELEMENTS` the hand-over costs more than it saves.

The number of threads is, in order: ``NNSTUDIO_THREADS``, ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` from the environment, else the number of CPUs (at most 4). It can
be changed with :func:`set_threads` (1 = everything on the calling thread; or threads for the
slices of a batch only).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

__all__ = ["MIN_ELEMENTS", "blas_threads", "chunks", "for_chunks", "run_parallel",
           "set_threads", "splits_operations", "threads"]

#: Work smaller than this many elements runs on the calling thread.
MIN_ELEMENTS = 1 << 16

R = TypeVar("R")


def _default_threads() -> int:
    for var in ("NNSTUDIO_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, min(os.cpu_count() or 1, 4))


_threads = _default_threads()
_split_operations = True            # False: for_chunks always runs on the calling thread
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_local = threading.local()          # .serial: True inside a run_parallel job


def threads() -> int:
    """The number of threads engine work is split across."""
    return _threads


def splits_operations() -> bool:
    """True when :func:`for_chunks` may split an operation across the threads (False in
    the training process: only the slices of a batch run side by side)."""
    return _split_operations


def set_threads(n: int, split_operations: bool = True) -> None:
    """Use ``n`` threads (>= 1) for engine work from now on.

    With ``split_operations`` False only :func:`run_parallel` uses them (the slices of a
    batch, each a long job); :func:`for_chunks` then runs every operation on the calling
    thread. That suits a process at a lower priority on a busy machine (the training
    process): there every hand-over may wait milliseconds for the other thread to be
    given a core, which costs little once per slice of a batch and a lot once per
    operation of a short step.
    """
    global _threads, _pool, _split_operations
    with _lock:
        _threads = max(1, int(n))
        _split_operations = bool(split_operations)
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, _threads - 1),
                                       thread_name_prefix="nnstudio-engine")
        return _pool


def chunks(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` near-equal ``(start, stop)`` ranges covering ``range(n)`` (none empty)."""
    parts = max(1, min(parts, n))
    step, extra = divmod(n, parts)
    out, lo = [], 0
    for i in range(parts):
        hi = lo + step + (1 if i < extra else 0)
        out.append((lo, hi))
        lo = hi
    return out


def for_chunks(fn: Callable[[int, int], object], n: int, size: int) -> None:
    """Call ``fn(start, stop)`` over chunks of ``range(n)``, in parallel when the work
    (``size`` elements in all) is large enough and the caller is not itself a
    :func:`run_parallel` job; returns when every chunk is done.

    ``fn`` must only write to its own part of the output. Exceptions are re-raised.
    """
    parts = (_threads if _split_operations and size >= MIN_ELEMENTS
             and not getattr(_local, "serial", False) else 1)
    ranges = chunks(n, parts)
    if len(ranges) <= 1:
        fn(0, n)
        return
    pool = _executor()
    futures = [pool.submit(fn, lo, hi) for lo, hi in ranges[1:]]
    try:
        fn(*ranges[0])
    finally:
        for f in futures:
            f.result()


def _serial(fn: Callable[[], R]) -> R:
    """Run ``fn`` as a job: its own :func:`for_chunks` calls stay on this thread."""
    before = getattr(_local, "serial", False)
    _local.serial = True
    try:
        return fn()
    finally:
        _local.serial = before


def run_parallel(jobs: Sequence[Callable[[], R]]) -> list[R]:
    """Run independent ``jobs`` at once (the first on the calling thread) with OpenBLAS held
    at one thread, and return their results in order. Jobs must not write to shared arrays.

    Called from inside a job, or with one thread, the jobs simply run one after another.
    Exceptions are re-raised (after every job has finished).
    """
    if len(jobs) <= 1 or _threads <= 1 or getattr(_local, "serial", False):
        return [_serial(job) for job in jobs]
    pool = _executor()
    with blas_threads(1):
        futures = [pool.submit(_serial, job) for job in jobs[1:]]
        try:
            first = _serial(jobs[0])
        finally:
            rest = [f.result() for f in futures]
    return [first, *rest]


# ---------------------------------------------------------------- OpenBLAS thread count
class _OpenBLAS:
    """NumPy's bundled OpenBLAS, reached through ctypes (``None`` functions if absent)."""

    def __init__(self) -> None:
        self.get: Callable[[], int] | None = None
        self.set: Callable[[int], None] | None = None
        try:
            import numpy as np
        except ImportError:                                    # pragma: no cover
            return
        libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
        for path in sorted(libdir.glob("*openblas*")) if libdir.is_dir() else []:
            try:
                lib = ctypes.CDLL(str(path))
            except OSError:
                continue
            for suffix in ("64_", "", "_64_"):
                getter = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None) \
                    or getattr(lib, f"openblas_get_num_threads{suffix}", None)
                setter = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None) \
                    or getattr(lib, f"openblas_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    getter.restype, getter.argtypes = ctypes.c_int, []
                    setter.restype, setter.argtypes = None, [ctypes.c_int]
                    self.get, self.set = getter, setter
                    return


_blas: _OpenBLAS | None = None
_blas_users = 0
_blas_before = 0


class blas_threads:  # noqa: N801 - used like a function: ``with blas_threads(1): ...``
    """Context manager: NumPy's OpenBLAS uses ``n`` threads inside, its previous setting
    after (nested and concurrent uses share one setting; no effect without OpenBLAS)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))

    def __enter__(self) -> blas_threads:
        global _blas, _blas_users, _blas_before
        with _lock:
            if _blas is None:
                _blas = _OpenBLAS()
            if _blas.set is not None:
                if _blas_users == 0:
                    _blas_before = _blas.get()
                    if _blas_before != self.n:
                        _blas.set(self.n)
                _blas_users += 1
        return self

    def __exit__(self, *exc) -> None:
        global _blas_users
        with _lock:
            if _blas is not None and _blas.set is not None:
                _blas_users -= 1
                if _blas_users == 0 and _blas_before != self.n:
                    _blas.set(_blas_before)
