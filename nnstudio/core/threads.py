"""How many threads the numeric libraries of one process may use.

NumPy's OpenBLAS starts one thread per core, and its threads busy-wait between calls. On a
small machine a process that computes with every core starves everything else — above all a
window that must stay responsive. The training process therefore leaves one core free
(:func:`training_threads`), and the window's own process, which only runs small inferences,
uses a single BLAS thread.

Two ways to set the limit: the environment variables :data:`THREAD_VARS` (read by OpenBLAS,
OpenMP and :mod:`nnstudio.core.parallel` when they load), and :func:`set_blas_threads`, which
changes the OpenBLAS bundled with NumPy at run time (ctypes).

An explicit ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` set by the person is respected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["THREAD_VARS", "set_blas_threads", "training_threads", "user_limit"]

#: environment variables that limit the threads of BLAS/OpenMP libraries and of the engine
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NNSTUDIO_THREADS")


def user_limit(environ: Mapping[str, str] | None = None) -> int | None:
    """The thread count the person set with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, or None."""
    env = os.environ if environ is None else environ
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = env.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def training_threads() -> int:
    """Threads for the training process: the person's setting, else all cores but one."""
    return user_limit() or max(1, (os.cpu_count() or 2) - 1)


def set_blas_threads(n: int) -> bool:
    """Set the thread count of the OpenBLAS bundled with NumPy at run time (best effort).

    Returns True when an OpenBLAS library was found and told; False otherwise (another BLAS,
    another platform): nothing changes then.
    """
    import ctypes
    from pathlib import Path

    import numpy as np

    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    candidates = sorted(libdir.glob("*openblas*")) if libdir.is_dir() else []
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                fn(int(n))
                return True
    return False
