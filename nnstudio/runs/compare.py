"""Comparing runs: their settings side by side, their designs' differences, their curves on
one x axis, smoothed the way TensorBoard smooths (no Qt).

:func:`settings_table` lists the settings of several runs with only the rows that differ (or
all); :func:`design_diff` names the layers one design adds, removes or changes against
another; :func:`curves` gives a run's curves against epochs, samples seen or training
seconds; :func:`smooth` is TensorBoard's debiased exponential moving average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.design import Design
from nnstudio.runs.reader import Run

__all__ = ["AXES", "RunCurveData", "curves", "design_diff", "settings_table", "smooth"]

#: the x axes a comparison can use: name -> label
AXES = {"epoch": "epoch", "samples": "samples seen", "time": "training seconds"}


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: a debiased exponential moving average.

    ``s_t = w s_{t-1} + (1 - w) v_t`` from ``s_0 = 0``, divided by ``1 - w^n`` (n: finite
    values so far), so the start is not pulled towards 0. NaN values are skipped (their
    output is the last smoothed value, NaN before the first).

    Parameters
    ----------
    values : ndarray, shape (n,)
    weight : float
        In [0, 1); 0 leaves the values as they are.

    Returns
    -------
    ndarray, shape (n,) float64
    """
    v = np.asarray(values, np.float64)
    w = float(min(max(weight, 0.0), 0.999))
    if w == 0.0 or len(v) == 0:
        return v.copy()
    out = np.empty(len(v), np.float64)
    acc, n = 0.0, 0
    for i, x in enumerate(v.tolist()):
        if x == x and math.isfinite(x):
            acc = acc * w + (1.0 - w) * x
            n += 1
        out[i] = acc / (1.0 - w ** n) if n else math.nan
    return out


def _value_text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_table(runs: list[Run], *, all_rows: bool = False
                   ) -> tuple[list[str], list[list[str]]]:
    """The settings of ``runs`` side by side.

    Returns
    -------
    (keys, rows)
        ``rows[i][j]`` is setting ``keys[i]`` of run ``j`` as text; with ``all_rows`` False
        only settings whose texts differ between the runs are listed.
    """
    tables = []
    for run in runs:
        t = {"design": str(run.info.get("design", "")), "data": str(run.info.get("data", ""))}
        for key, value in sorted(run.config.items()):
            if isinstance(value, bool | int | float | str) or value is None:
                t[key] = _value_text(value)
        tables.append(t)
    keys: list[str] = []
    for t in tables:
        keys.extend(k for k in t if k not in keys)
    rows = [[t.get(k, "–") for t in tables] for k in keys]
    if not all_rows:
        kept = [(k, r) for k, r in zip(keys, rows, strict=True) if len(set(r)) > 1]
        keys, rows = [k for k, _ in kept], [r for _, r in kept]
    return keys, rows


def _layer_text(node) -> str:
    params = ", ".join(f"{k}={_value_text(v)}" for k, v in sorted(node.params.items()))
    return f"{node.kind}({params})"


def design_diff(old: Design, new: Design) -> list[str]:
    """What ``new`` adds, removes or changes against ``old``, one line per layer (by layer
    id), e.g. ``"changed fc1: Dense(units=8) -> Dense(units=16)"``; empty when the layers
    and their settings are the same."""
    a, b = old.nodes, new.nodes
    lines = []
    for nid, node in b.items():
        if nid not in a:
            lines.append(f"added {nid}: {_layer_text(node)}")
        elif (a[nid].kind, a[nid].params) != (node.kind, node.params):
            lines.append(f"changed {nid}: {_layer_text(a[nid])} -> {_layer_text(node)}")
    lines.extend(f"removed {nid}: {_layer_text(node)}" for nid, node in a.items()
                 if nid not in b)
    return lines


@dataclass
class RunCurveData:
    """A run's curves on one x axis.

    ``batch_x`` / ``cost`` / ``accuracy`` (percent, NaN where unknown) / ``lr`` have one value
    per batch; ``epoch_x`` / ``val_cost`` / ``val_accuracy`` (percent) / ``train_cost`` one per
    epoch (NaN where not measured). ``best`` is the index into the epoch arrays of the best
    epoch (None without epochs).
    """

    batch_x: np.ndarray
    cost: np.ndarray
    accuracy: np.ndarray
    lr: np.ndarray
    epoch_x: np.ndarray
    train_cost: np.ndarray
    val_cost: np.ndarray
    val_accuracy: np.ndarray
    best: int | None = None
    extra: dict = field(default_factory=dict)


def _epoch_array(epochs: list[dict], key: str, scale: float = 1.0) -> np.ndarray:
    return np.array([float(e[key]) * scale if isinstance(e.get(key), int | float)
                     else math.nan for e in epochs], np.float64)


def curves(run: Run, axis: str = "epoch") -> RunCurveData:
    """The curves of ``run`` against ``axis`` (a key of :data:`AXES`).

    On the epoch axis a batch sits at ``epoch - 1 + batch / batches in its epoch`` and an
    epoch's end at its number; samples and seconds count from the run's start (a fork's
    from its parent's).
    """
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; known: {', '.join(AXES)}")
    b, epochs = run.batches(), run.epochs()
    if axis == "epoch":
        e, k = b["epoch"], b["batch"]
        per = np.ones_like(k)
        if len(e):   # batches in each epoch: the largest batch number seen in it
            for value in np.unique(e):
                mask = e == value
                per[mask] = max(float(k[mask].max()), 1.0)
        bx = e - 1 + k / per
        ex = _epoch_array(epochs, "epoch")
    else:
        column = "samples" if axis == "samples" else "elapsed"
        bx = b[column].copy()
        ex = _epoch_array(epochs, column)
    val_acc = _epoch_array(epochs, "val_accuracy", 100.0)
    val_cost = _epoch_array(epochs, "val_loss")
    best = None
    if np.isfinite(val_acc).any():
        best = int(np.nanargmax(val_acc))
    elif np.isfinite(val_cost).any():
        best = int(np.nanargmin(val_cost))
    elif len(epochs):
        best = int(np.nanargmin(_epoch_array(epochs, "train_loss")))
    return RunCurveData(batch_x=bx, cost=b["loss"], accuracy=b["accuracy"] * 100.0,
                        lr=b["lr"], epoch_x=ex, train_cost=_epoch_array(epochs, "train_loss"),
                        val_cost=val_cost, val_accuracy=val_acc, best=best)
