"""The numbers behind the live training curves, with no Qt: buffers, smoothing, CSV.

:class:`RunCurves` holds one run's curves in :class:`Series` buffers that grow by doubling;
:class:`~nnstudio.gui.train.plots.TrainingPlots` draws them. Everything here is plain NumPy, so
it can be tested and reused without a window.
"""

from __future__ import annotations

import copy
import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnstudio.fileio import atomic_write

if TYPE_CHECKING:
    from nnstudio.gui.snapshot import Snapshot

CSV_HEADER = ["kind", "epoch", "batch", "cost", "cost_smoothed", "accuracy", "learning_rate",
              "validation_cost", "validation_accuracy"]


class Series:
    """An append-only (x, y) series in NumPy buffers that double when full.

    Parameters
    ----------
    capacity : int
        Initial number of points the buffers hold.
    """

    def __init__(self, capacity: int = 512) -> None:
        self._x = np.empty(capacity, np.float64)
        self._y = np.empty(capacity, np.float64)
        self.n = 0
        #: counts :meth:`clear` calls, so that views built on the points can tell
        self.version = 0
        self._lo, self._hi = math.inf, -math.inf

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append points; ``x`` and ``y`` have shape (k,)."""
        k = len(x)
        if k == 0:
            return
        y = np.asarray(y, np.float64)
        ok = y[np.isfinite(y)]
        if len(ok):
            self._lo, self._hi = min(self._lo, float(ok.min())), max(self._hi, float(ok.max()))
        need = self.n + k
        if need > len(self._x):
            cap = max(need, 2 * len(self._x))
            for name in ("_x", "_y"):
                old = getattr(self, name)
                new = np.empty(cap, np.float64)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self._x[self.n : need] = x
        self._y[self.n : need] = y
        self.n = need

    @property
    def x(self) -> np.ndarray:
        """The filled part of the x buffer, shape (n,) (a view: copy before keeping it)."""
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        """The filled part of the y buffer, shape (n,)."""
        return self._y[: self.n]

    def bounds(self) -> tuple[float, float]:
        """(min, max) of the finite y values; (nan, nan) when there are none."""
        return (self._lo, self._hi) if self._lo <= self._hi else (math.nan, math.nan)

    def clear(self) -> None:
        self.n = 0
        self.version += 1
        self._lo, self._hi = math.inf, -math.inf


class Thinned:
    """A series thinned for drawing: at most about :data:`CAP` buckets, however long it
    grows, updated by the points added since the last call.

    A plot of a whole run draws a few points per pixel; handing it every batch of a long run
    at every frame made each frame's work grow with the run (18 ms a frame at 300,000
    batches, most of it in the plot's own passes over every point). Buckets of ``size``
    points (a power of two, doubled and rebuilt when the buckets pass :data:`CAP`) keep
    either the lowest and the highest value (``peak``: the curve's envelope, its extremes
    exact) or the last point (a smoothed curve, which barely moves within a bucket). Points
    after the last full bucket are drawn as they are. Short series are drawn whole.
    """

    #: buckets kept at most (several per pixel of any screen)
    CAP = 8192

    def __init__(self, series: Series, peak: bool) -> None:
        self.series, self.peak = series, peak
        self._size = 1
        self._done = 0
        self._version = series.version
        self._x = Series()      # (x, y) of each bucket: its first x and lowest y (peak)
        self._hi = Series()     # ... and its highest y (peak only)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to draw: the series itself while it is short, else its buckets and the
        points after them."""
        s = self.series
        if s.n <= self.CAP:
            return s.x, s.y
        size = self._size
        while s.n > self.CAP * size:
            size *= 2
        if size != self._size or s.version != self._version or s.n < self._done:
            self._size, self._done, self._version = size, 0, s.version
            for part in (self._x, self._hi):
                part.clear()
        full = (s.n - self._done) // size * size
        if full:
            xs = s.x[self._done:self._done + full].reshape(-1, size)
            ys = s.y[self._done:self._done + full].reshape(-1, size)
            if self.peak:
                self._x.extend(xs[:, 0], np.fmin.reduce(ys, axis=1))
                self._hi.extend(xs[:, 0], np.fmax.reduce(ys, axis=1))
            else:
                self._x.extend(xs[:, -1], ys[:, -1])
            self._done += full
        tail_x, tail_y = s.x[self._done:], s.y[self._done:]
        if self.peak:                   # each bucket's low and high at its first x
            x = np.repeat(self._x.x, 2)
            y = np.column_stack([self._x.y, self._hi.y]).ravel()
        else:
            x, y = self._x.x, self._x.y
        return np.concatenate([x, tail_x]), np.concatenate([y, tail_y])


class Smoother:
    """Debiased EMA that can be fed chunk by chunk."""

    def __init__(self, weight: float = 0.9) -> None:
        self.weight = weight
        self.reset()

    def reset(self) -> None:
        self._acc = 0.0
        self._n = 0

    def feed(self, values: np.ndarray) -> np.ndarray:
        """Smoothed values for the chunk ``values`` of shape (k,)."""
        w = self.weight
        out = np.empty(len(values), np.float64)
        acc, n = self._acc, self._n
        for i, v in enumerate(values.tolist()):
            if v == v:
                acc = acc * w + (1.0 - w) * v
                n += 1
            out[i] = acc / (1.0 - w**n) if n else math.nan
        self._acc, self._n = acc, n
        return out


class RunCurves:
    """The curves of one training run: per batch (raw and smoothed) and per epoch.

    Accuracies are kept in percent; x positions are in epochs (fractional within an epoch).
    """

    def __init__(self, smoothing: float) -> None:
        self.batch_cost = Series()
        self.batch_cost_smooth = Series()
        self.batch_acc = Series()
        self.batch_acc_smooth = Series()
        self.batch_lr = Series()
        self.batch_index = Series()
        self.epoch_cost = Series()
        self.epoch_val_cost = Series()
        self.epoch_acc = Series()
        self.epoch_val_acc = Series()
        self.cost_smoother = Smoother(smoothing)
        self.acc_smoother = Smoother(smoothing)

    @property
    def empty(self) -> bool:
        return self.batch_cost.n == 0 and self.epoch_cost.n == 0

    def copy(self) -> RunCurves:
        """A copy that shares nothing with this one (its series and smoothers copied)."""
        return copy.deepcopy(self)

    def add_snapshot(self, snap: Snapshot) -> bool:
        """Append a snapshot's batches and epochs; True when anything new arrived.

        Batches are placed at ``snap.batch_x`` when it has one position per batch, else at
        ``(batch_index + 1) / n_batches``; epochs at ``snap.epoch_x``, else at ``epoch + 1``.
        """
        loss = np.asarray(snap.batch_loss, np.float64)
        k = len(loss)
        if k:
            x = np.asarray(snap.batch_x, np.float64)
            if len(x) != k:
                x = (np.asarray(snap.batch_index, np.float64) + 1.0) / max(1, snap.n_batches)
            acc = np.asarray(snap.batch_accuracy, np.float64)
            if len(acc) != k:
                acc = np.full(k, np.nan)
            lr = np.asarray(snap.batch_lr, np.float64)
            if len(lr) != k:
                lr = np.full(k, np.nan)
            self.batch_cost.extend(x, loss)
            self.batch_cost_smooth.extend(x, self.cost_smoother.feed(loss))
            self.batch_acc.extend(x, acc * 100.0)
            self.batch_acc_smooth.extend(x, self.acc_smoother.feed(acc * 100.0))
            self.batch_lr.extend(x, lr)
            self.batch_index.extend(x, np.asarray(snap.batch_index, np.float64))
        for i, info in enumerate(snap.epochs):
            ex = float(snap.epoch_x[i]) if i < len(snap.epoch_x) else float(info.epoch) + 1.0
            xs = np.array([ex])
            self.epoch_cost.extend(xs, np.array([_num(info.train_loss)]))
            self.epoch_val_cost.extend(xs, np.array([_num(info.val_loss)]))
            self.epoch_acc.extend(xs, np.array([_num(info.train_accuracy) * 100.0]))
            self.epoch_val_acc.extend(xs, np.array([_num(info.val_accuracy) * 100.0]))
        return bool(k or snap.epochs)

    def readout_at(self, x: float) -> str:
        """The values nearest to epoch position ``x`` as one line ("" when empty): the batch
        there, and the epoch that ends within half an epoch of it."""
        parts: list[str] = []
        if self.batch_cost.n:
            i = nearest(self.batch_cost.x, x)
            parts.append(f"epoch {self.batch_cost.x[i]:.2f}")
            parts.append(f"batch {int(self.batch_index.y[i]) + 1}")
            parts.append(f"cost {fmt(self.batch_cost.y[i])}")
            parts.append(f"smoothed {fmt(self.batch_cost_smooth.y[i])}")
            acc = self.batch_acc_smooth.y[i]
            if acc == acc:
                parts.append(f"accuracy {acc:.1f}%")
            lr = self.batch_lr.y[i]
            if lr == lr:
                parts.append(f"lr {lr:.3g}")
        if self.epoch_cost.n:
            j = nearest(self.epoch_cost.x, x)
            if abs(self.epoch_cost.x[j] - x) < 0.5 or not parts:
                parts.append(f"| end of epoch {int(round(self.epoch_cost.x[j]))}: "
                             f"train {fmt(self.epoch_cost.y[j])}")
                v = self.epoch_val_cost.y[j]
                if v == v:
                    parts.append(f"validation {fmt(v)}")
        return " · ".join(parts).replace("· |", "|")

    def latest(self) -> dict[str, float]:
        """Latest smoothed cost/accuracy and last epoch values (NaN when unknown)."""
        nan = math.nan
        return {
            "cost": self.batch_cost_smooth.y[-1] if self.batch_cost_smooth.n else nan,
            "accuracy": self.batch_acc_smooth.y[-1] if self.batch_acc_smooth.n else nan,
            "val_cost": self.epoch_val_cost.y[-1] if self.epoch_val_cost.n else nan,
            "val_accuracy": self.epoch_val_acc.y[-1] if self.epoch_val_acc.n else nan,
            "epoch_cost": self.epoch_cost.y[-1] if self.epoch_cost.n else nan,
        }

    def csv_text(self) -> str:
        """The run as CSV (:data:`CSV_HEADER`): one row per batch, then one per epoch."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(CSV_HEADER)
        for i in range(self.batch_cost.n):
            w.writerow(["batch", f"{self.batch_cost.x[i]:.6g}", int(self.batch_index.y[i]) + 1,
                        _csv_number(self.batch_cost.y[i]),
                        _csv_number(self.batch_cost_smooth.y[i]),
                        _csv_number(self.batch_acc.y[i] / 100.0),
                        _csv_number(self.batch_lr.y[i]), "", ""])
        for j in range(self.epoch_cost.n):
            w.writerow(["epoch", f"{self.epoch_cost.x[j]:.6g}", "",
                        _csv_number(self.epoch_cost.y[j]), "",
                        _csv_number(self.epoch_acc.y[j] / 100.0), "",
                        _csv_number(self.epoch_val_cost.y[j]),
                        _csv_number(self.epoch_val_acc.y[j] / 100.0)])
        return out.getvalue()

    def write_csv(self, path: str | Path) -> None:
        """Save :meth:`csv_text` to ``path`` (atomically: a failed save keeps the old file)."""
        data = self.csv_text().encode("utf-8")
        atomic_write(path, lambda f: f.write(data))


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)


def bounds(arrays: list[np.ndarray]) -> tuple[float, float]:
    """(min, max) of the finite values of all arrays; (nan, nan) when there are none."""
    lo, hi = math.inf, -math.inf
    for a in arrays:
        if len(a):
            finite = a[np.isfinite(a)]
            if len(finite):
                lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return (lo, hi) if lo <= hi else (math.nan, math.nan)


def finite(s: Series | tuple[np.ndarray, np.ndarray], positive: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``s`` (a series, or its ``(x, y)``) whose y is finite (and > 0 with
    ``positive``), as (x, y)."""
    x, y = (s.x, s.y) if isinstance(s, Series) else s
    ok = np.isfinite(y)
    if positive:
        ok &= y > 0
    if ok.all():
        return x, y
    return x[ok], y[ok]


def nearest(xs: np.ndarray, x: float) -> int:
    """Index of the value of the sorted, non-empty ``xs`` nearest to ``x``."""
    i = int(np.searchsorted(xs, x))
    if i <= 0:
        return 0
    if i >= len(xs):
        return len(xs) - 1
    return i if abs(xs[i] - x) < abs(xs[i - 1] - x) else i - 1


def fmt(v: float) -> str:
    """A readout number: 4 decimals, or 4 significant digits when large; "–" for NaN."""
    if v != v:
        return "–"
    return f"{v:.4f}" if abs(v) < 100 else f"{v:.4g}"


def _csv_number(v: float) -> str:
    return "" if v != v else f"{v:.6g}"
