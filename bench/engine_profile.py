"""Where a training step of the engine spends its time, by kind of work.

Used by ``bench_engine.py --profile``. The engine is timed from outside, without any
profiling code in it: the methods below are wrapped for the duration of the profile, and so
is ``np.matmul`` as seen by the engine's layer modules (every matrix product of the layers
goes through it). Each wrapped call charges its *exclusive* time (its own, less that of the
wrapped calls inside it) to one kind of work, per thread, as CPU time of that thread
(``time.thread_time``): the slices of a batch that run on two threads are both counted, and
time lost to other programs or to waiting for the other slice is not.

Kinds: ``im2col`` (unfolding the input into patch columns), ``GEMM`` (every matrix product),
``col2im`` (folding the column gradient back into the input gradient), ``pooling forward``
and ``pooling backward`` (max-pooling and routing its gradient, with the ReLU that the
fused conv + pool pass applies on the pooled array), ``activation`` (bias, activation and
their gradients outside the fused pass), ``copies`` (reshaping copies between layers),
``dtype conversions`` (bringing the batch to float32 and its layout), ``loss``,
``optimizer`` (the Adam step and summing the slices' gradients), ``other`` (Python glue and
small operations). The wrappers cost ~1 µs per call; a step makes a few hundred.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

KINDS = ("im2col", "GEMM", "col2im", "pooling forward", "pooling backward", "activation",
         "copies", "dtype conversions", "loss", "optimizer", "other")


class _Clock(threading.local):
    def __init__(self) -> None:
        self.stack: list[list] = []           # [kind, start, time of wrapped calls inside]


class Profile:
    """Exclusive CPU time per kind of work, summed over threads."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._clock = _Clock()
        self._lock = threading.Lock()

    def timed(self, kind: str, fn: Callable) -> Callable:
        clock, seconds, lock = self._clock, self.seconds, self._lock

        def wrapper(*args, **kwargs):
            stack = clock.stack
            frame = [kind, time.thread_time(), 0.0]
            stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                total = time.thread_time() - frame[1]
                stack.pop()
                if stack:
                    stack[-1][2] += total
                with lock:
                    seconds[kind] += total - frame[2]
        wrapper.__wrapped__ = fn
        return wrapper

    def shares(self) -> dict[str, float]:
        total = sum(self.seconds.values()) or 1.0
        return {k: self.seconds.get(k, 0.0) / total for k in KINDS}


class _NumPy:
    """The ``np`` a layer module sees: NumPy, with ``matmul`` timed as GEMM."""

    def __init__(self, matmul: Callable) -> None:
        self.matmul = matmul

    def __getattr__(self, name: str):
        return getattr(np, name)


@contextmanager
def profiling() -> Iterator[Profile]:
    """Wrap the engine's methods for the duration; yields the :class:`Profile`."""
    from nnstudio.core import activations, conv, convpool, layers, network, optimizers
    try:                        # the column-block products; absent in older engines
        from nnstudio.core import convgemm
    except ImportError:
        convgemm = None

    prof = Profile()
    methods = [
        (conv.Conv2D, "_unfold", "im2col"), (convpool.PooledConv, "_unfold", "im2col"),
        (conv.Conv2D, "_fold", "col2im"), (convpool.PooledConv, "_fold", "col2im"),
        (convpool.PooledConv, "forward", "pooling forward"),
        (convpool.PooledConv, "backward", "pooling backward"),
        (conv.MaxPool2D, "forward", "pooling forward"),
        (conv.MaxPool2D, "backward", "pooling backward"),
        (conv.Conv2D, "forward", "activation"), (conv.Conv2D, "backward", "activation"),
        (layers.Dense, "forward", "activation"), (layers.Dense, "backward", "activation"),
        (layers.Flatten, "forward", "copies"), (layers.Flatten, "backward", "copies"),
        (network.Network, "_prepare", "dtype conversions"),
        (network.Network, "_loss", "loss"),
        (network.Network, "_step", "other"),
        (network.Network, "train_step", "optimizer"),   # its own part: summing gradients
        (optimizers.Adam, "step", "optimizer"),
    ]
    saved = []
    for cls, name, kind in methods:
        original = cls.__dict__[name]
        saved.append((cls, name, original))
        setattr(cls, name, prof.timed(kind, original))
    modules = [m for m in (conv, convgemm, convpool, layers, activations) if m is not None]
    numpies = [(m, m.np) for m in modules]
    gemm = prof.timed("GEMM", np.matmul)
    for m in modules:
        m.np = _NumPy(gemm)
    try:
        yield prof
    finally:
        for cls, name, original in saved:
            setattr(cls, name, original)
        for m, original in numpies:
            m.np = original
