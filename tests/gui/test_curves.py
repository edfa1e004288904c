"""The Qt-free numbers behind the training plots: buffers, positions, CSV."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core.training import EpochInfo
from nnstudio.gui.snapshot import Snapshot
from nnstudio.gui.train.curves import CSV_HEADER, RunCurves, Series


def test_curves_module_needs_no_qt():
    code = ("import sys, nnstudio.gui.train.curves; "
            "print(sorted(m for m in ('PySide6', 'pyqtgraph') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_series_grows_by_doubling_and_keeps_every_point():
    s = Series(capacity=4)
    for i in range(10):
        s.extend(np.array([i, i + 0.5]), np.array([2 * i, 2 * i + 1]))
    assert s.n == 20
    assert np.array_equal(s.y, np.arange(20))
    assert np.array_equal(s.x[:4], [0, 0.5, 1, 1.5])


def _snap(batches: range, n_batches: int, epochs: list[EpochInfo] | None = None,
          with_x: bool = True) -> Snapshot:
    idx = np.array(list(batches), np.int64)
    snap = Snapshot(batch_loss=np.linspace(2, 1, len(idx)).astype(np.float32),
                    batch_accuracy=np.full(len(idx), 0.5, np.float32),
                    batch_lr=np.full(len(idx), 0.01, np.float32), batch_index=idx,
                    n_batches=n_batches, epochs=epochs or [])
    if with_x:
        snap.batch_x = (idx + 1.0) / n_batches + 10.0     # a continued curve
        snap.epoch_x = np.array([e.epoch + 1.0 + 10.0 for e in snap.epochs])
    return snap


def test_batches_and_epochs_land_at_their_positions():
    run = RunCurves(0.9)
    assert run.empty and math.isnan(run.latest()["cost"])
    assert not run.add_snapshot(Snapshot())
    assert run.add_snapshot(_snap(range(0, 4), 4, with_x=False))
    assert np.allclose(run.batch_cost.x, [0.25, 0.5, 0.75, 1.0])
    epoch = EpochInfo(epoch=0, train_loss=1.5, train_accuracy=0.6, val_loss=1.7,
                      val_accuracy=None, lr=0.01, elapsed=1.0)
    assert run.add_snapshot(_snap(range(4, 6), 4, [epoch]))
    assert np.allclose(run.batch_cost.x[-2:], [11.25, 11.5])
    assert np.allclose(run.epoch_cost.x, [11.0]) and run.epoch_acc.y[0] == pytest.approx(60.0)
    assert math.isnan(run.epoch_val_acc.y[0])
    latest = run.latest()
    assert latest["epoch_cost"] == pytest.approx(1.5) and latest["val_cost"] == pytest.approx(1.7)
    assert 1.0 < latest["cost"] < 2.0     # smoothed, between the raw extremes


def test_csv_has_a_row_per_batch_and_per_epoch(tmp_path):
    run = RunCurves(0.9)
    epoch = EpochInfo(epoch=0, train_loss=1.5, train_accuracy=0.6, val_loss=None,
                      val_accuracy=None, lr=0.01, elapsed=1.0)
    run.add_snapshot(_snap(range(0, 3), 3, [epoch]))
    path = tmp_path / "metrics.csv"
    path.write_text("old")
    run.write_csv(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == CSV_HEADER
    assert [r[0] for r in rows[1:]] == ["batch", "batch", "batch", "epoch"]
    assert rows[1][2] == "1" and rows[3][2] == "3"
    assert float(rows[1][5]) == pytest.approx(0.5)
    assert rows[4][7] == ""                      # no validation cost: empty, not "nan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]   # no temp files


# ------------------------------------------------------------------ thinned for drawing
def test_a_short_series_is_drawn_whole_and_a_long_one_in_a_bounded_number_of_points():
    from nnstudio.gui.train.curves import Thinned

    s = Series()
    rng = np.random.default_rng(0)
    peak, last = Thinned(s, peak=True), Thinned(s, peak=False)
    s.extend(np.arange(100.0), rng.random(100))
    x, y = peak.data()
    assert np.array_equal(x, s.x) and np.array_equal(y, s.y)          # whole
    total = 100
    for k in (5_000, 40_000, 123_457, 300_001):                       # fed in chunks
        xs = np.arange(total, total + k, dtype=np.float64)
        s.extend(xs, rng.random(k) + xs * 1e-6)
        total += k
        for thin, per_bucket in ((peak, 2), (last, 1)):
            x, y = thin.data()
            assert len(x) == len(y) <= per_bucket * Thinned.CAP + thin._size
            assert np.all(np.diff(x) >= 0)                            # in order
            assert x[-1] == s.x[-1] and y[-1] == s.y[-1]              # up to the last point
    x, y = peak.data()
    # the envelope is exact: the highest and lowest batches are in it
    assert y.max() == s.y.max() and y.min() == s.y.min()
    # every drawn value is a value of the series at or after its x
    i = np.searchsorted(s.x, x)
    assert np.all(i < s.n)


def test_a_thinned_series_follows_a_cleared_and_refilled_series():
    from nnstudio.gui.train.curves import Thinned

    s = Series()
    thin = Thinned(s, peak=False)
    s.extend(np.arange(50_000.0), np.zeros(50_000))
    assert thin.data()[1].max() == 0
    s.clear()                                   # the smoothing changed: the same length
    s.extend(np.arange(50_000.0), np.ones(50_000))
    assert np.all(thin.data()[1] == 1)
    assert s.bounds() == (1.0, 1.0)


def test_series_bounds_follow_every_finite_value():
    s = Series()
    assert all(math.isnan(v) for v in s.bounds())
    s.extend(np.arange(3.0), np.array([np.nan, 2.0, -1.0]))
    s.extend(np.arange(3.0, 5.0), np.array([np.inf, 7.0]))
    assert s.bounds() == (-1.0, 7.0)
