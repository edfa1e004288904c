"""Splitting large element-wise NumPy work across a few threads.

BLAS already runs matrix products on several cores, but NumPy's element-wise operations and
copies run on one. They release the GIL, so the engine cuts the biggest of them (im2col
copies, activation passes, pooling, the optimizer step) into chunks along one axis and runs
the chunks on a small pool of threads. Small arrays are not split: below
:data:`MIN_ELEMENTS` the hand-over costs more than it saves.

The number of threads is, in order: ``NNSTUDIO_THREADS``, ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` from the environment, else the number of CPUs (at most 4). It can
be changed with :func:`set_threads` (1 = everything on the calling thread).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["MIN_ELEMENTS", "chunks", "for_chunks", "set_threads", "threads"]

#: Work smaller than this many elements runs on the calling thread.
MIN_ELEMENTS = 1 << 16


def _default_threads() -> int:
    for var in ("NNSTUDIO_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, min(os.cpu_count() or 1, 4))


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def threads() -> int:
    """The number of threads element-wise work is split across."""
    return _threads


def set_threads(n: int) -> None:
    """Use ``n`` threads (>= 1) for element-wise work from now on."""
    global _threads, _pool
    with _lock:
        _threads = max(1, int(n))
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
    (``size`` elements in all) is large enough; returns when every chunk is done.

    ``fn`` must only write to its own part of the output. Exceptions are re-raised.
    """
    parts = _threads if size >= MIN_ELEMENTS else 1
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
