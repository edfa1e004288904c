"""Comparing runs without the window: TensorBoard's smoothing, the settings that differ, the
design diff, the curves on each x axis."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.runs.compare import curves, design_diff, settings_table, smooth
from nnstudio.runs.reader import open_run


def test_smoothing_is_tensorboards_debiased_moving_average():
    values = np.array([1.0, 3.0, math.nan, 2.0])
    w = 0.6
    # by hand: s1 = 0.4*1 = 0.4 -> /(1-0.6) = 1; s2 = 0.6*0.4 + 0.4*3 = 1.44 -> /(1-0.36)
    s1, s2 = 0.4, 0.6 * 0.4 + 0.4 * 3.0
    s3 = 0.6 * s2 + 0.4 * 2.0
    expected = [s1 / 0.4, s2 / (1 - 0.36), s2 / (1 - 0.36), s3 / (1 - 0.6 ** 3)]
    assert smooth(values, w) == pytest.approx(expected)
    assert np.array_equal(smooth(values[:2], 0.0), values[:2])   # 0: as they are
    assert math.isnan(smooth(np.array([math.nan, 1.0]), 0.5)[0])


def test_the_settings_table_lists_only_what_differs(runs_dir, record_run):
    a, _, _ = record_run(runs_dir, epochs=1, lr=0.01)
    b, _, _ = record_run(runs_dir, epochs=1, lr=0.001)
    runs = [open_run(a.path), open_run(b.path)]
    keys, rows = settings_table(runs)
    assert keys == ["lr"] and rows == [["0.01", "0.001"]]
    keys, rows = settings_table(runs, all_rows=True)
    assert {"design", "data", "lr", "seed", "batch_size", "epochs"} <= set(keys)
    assert rows[keys.index("seed")] == ["3", "3"]


def test_the_design_diff_names_added_removed_and_changed_layers(tiny_design):
    old, new = tiny_design(units=8), tiny_design(units=16)
    assert design_diff(old, old) == []
    (line,) = design_diff(old, new)
    assert line.startswith("changed fc1: Dense(") and "units=8" in line and "units=16" in line
    new.add_node("Dropout", {"rate": 0.5}, node_id="drop")
    old.remove_node("fc2")
    lines = design_diff(old, new)
    assert any(x.startswith("added drop: Dropout(") for x in lines)
    assert any(x.startswith("added fc2") for x in lines)
    lines = design_diff(new, old)
    assert any(x.startswith("removed fc2: Dense(") for x in lines)


def test_curves_line_up_by_epoch_samples_and_time(runs_dir, record_run):
    writer, trainer, _ = record_run(runs_dir, epochs=3, n=600)
    run = open_run(writer.path)
    by_epoch = curves(run, "epoch")
    n_batches = len(trainer.history.batch_loss) // 3
    assert by_epoch.batch_x[n_batches - 1] == pytest.approx(1.0)     # the end of epoch 1
    assert list(by_epoch.epoch_x) == [1.0, 2.0, 3.0]
    by_samples = curves(run, "samples")
    assert by_samples.batch_x[-1] == 3 * len(trainer.train_idx)
    by_time = curves(run, "time")
    assert np.all(np.diff(by_time.batch_x) >= 0)
    val = [e.val_accuracy for e in trainer.history.epochs]
    assert by_epoch.best == int(np.argmax(val))
    assert by_epoch.val_accuracy == pytest.approx([100 * v for v in val])
    with pytest.raises(ValueError, match="unknown axis"):
        curves(run, "steps")
