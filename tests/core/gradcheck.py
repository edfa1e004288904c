"""Finite-difference gradient checks in float64 for layers, activations and losses."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = 1e-6


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``x`` (perturbed in place)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def assert_close(analytic: np.ndarray, numeric: np.ndarray, what: str,
                 rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Relative-error comparison with a readable failure message."""
    assert analytic.shape == numeric.shape, f"{what}: shape {analytic.shape} != {numeric.shape}"
    err = np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))
    ok = np.allclose(analytic, numeric, rtol=rtol, atol=atol)
    assert ok, f"{what}: max relative error {err:.3g}\nanalytic={analytic.ravel()[:8]}\n" \
               f"numeric={numeric.ravel()[:8]}"


def check_layer(layer, xs, seed: int = 0, check_inputs: bool = True) -> None:
    """Check ``backward`` of ``layer`` (float64 params) against finite differences.

    ``xs`` is one input array or a list of them (merge layers). The scalar checked is
    ``sum(forward(x) * R)`` for a fixed random ``R``.
    """
    merge = isinstance(xs, list)
    inputs = xs if merge else [xs]
    rng = np.random.default_rng(seed)
    arg = inputs if merge else inputs[0]
    out = layer.forward(arg, training=True)
    R = rng.standard_normal(out.shape)

    def f() -> float:
        return float(np.sum(layer.forward(arg, training=True) * R))

    layer.forward(arg, training=True)
    dx = layer.backward(R.copy())
    analytic_inputs = dx if merge else [dx]
    grads = {k: p.grad.copy() for k, p in layer.params.items()}
    for k, p in layer.params.items():
        assert_close(grads[k], numeric_grad(f, p.value), f"{layer.kind} d{k}")
    if check_inputs:
        for i, (x, d) in enumerate(zip(inputs, analytic_inputs, strict=True)):
            assert_close(np.asarray(d), numeric_grad(f, x), f"{layer.kind} dX[{i}]")
