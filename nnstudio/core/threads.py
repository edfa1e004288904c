"""How many threads the numeric libraries of one process may use.

NumPy's OpenBLAS starts one thread per core, and its threads busy-wait between calls. The
window's own process, which only runs small inferences, therefore uses a single BLAS thread.
The training process computes on every core (:func:`training_threads`), like the command
line, but as the engine's own threads, each running single-threaded BLAS on its slice of a
batch (:func:`training_process_environment`). It stays responsive to the window because it
runs at a lower CPU priority (:data:`nnstudio.core.trainchild.NICENESS`), so the GUI thread
takes a core the moment it needs one. With a core left idle for a GUI thread that is busy
~10-25% of the time, the window trained the ``cnn`` at ~5,000 samples/s on an idle two-core
machine where the command line, on both cores, did ~8,300 (``bench/bench_window_speed.py``).

Two ways to set the limit: the environment variables :data:`THREAD_VARS` (read by OpenBLAS,
OpenMP and :mod:`nnstudio.core.parallel` when they load), and :func:`set_blas_threads`, which
changes the OpenBLAS bundled with NumPy at run time (ctypes).

An explicit ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` set by the person is respected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["MAX_TRAINING_THREADS", "THREAD_VARS", "set_blas_threads",
           "training_process_environment", "training_threads", "user_limit"]

#: the engine's own default (:func:`nnstudio.core.parallel.threads`): more threads than this
#: gain little on the designs people train here
MAX_TRAINING_THREADS = 4

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
    """Threads for the training process: the person's setting, else one per core (at most
    :data:`MAX_TRAINING_THREADS`), as the command line uses."""
    return user_limit() or max(1, min(os.cpu_count() or 1, MAX_TRAINING_THREADS))


def training_process_environment(n: int, environ: Mapping[str, str] | None = None
                                 ) -> dict[str, str]:
    """The thread variables the training process sets for ``n`` engine threads.

    The engine's own threads (``NNSTUDIO_THREADS``) are ``n``; the BLAS and OpenMP libraries
    get one thread each. The engine runs a large batch as one slice per thread, each with
    single-threaded BLAS; a whole batch on OpenBLAS's own threads (the ``mlp``) would have
    them wait for each other after every product, and in the training process, which shares
    the cores with the window's GUI thread and runs at a lower priority, that waiting made
    the ``mlp`` train ~5× slower than on one thread. Variables the person set explicitly
    (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS) are kept as they are.
    """
    env = os.environ if environ is None else environ
    explicit = user_limit(env) is not None
    wanted = {var: ("1" if var != "NNSTUDIO_THREADS" else str(max(1, int(n))))
              for var in THREAD_VARS}
    return {var: value for var, value in wanted.items()
            if not (explicit and var in env)}


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
