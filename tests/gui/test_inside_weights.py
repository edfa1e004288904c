"""The Weights view keeps its drawing cost bounded however many snapshots a fast network
sends: one moment per RECORD_S, the step sizes in between averaged into it."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.gui.inside.weights import RECORD_S, WeightsView
from nnstudio.gui.snapshot import Snapshot
from tests.gui.test_views import images, make, shown, tiny_mlp

pytest.importorskip("pytestqt")


def test_the_step_size_curve_has_one_averaged_point_per_moment(qtbot) -> None:
    s = make(qtbot, tiny_mlp(), images())
    view = shown(qtbot, WeightsView(s))
    now = [100.0]
    view.clock = lambda: now[0]
    batch, sent = 0, []
    for moment in range(6):             # 6 moments of 50 snapshots each, as a fast run sends
        for i in range(50):
            ratio = (moment + 1) * (1.5 if i % 2 else 0.5)
            sent.append(ratio)
            s.apply_snapshot(Snapshot(
                weights=s.network.get_weights(), batch_index=np.array([batch]),
                update_ratios={"dense1/W": ratio, "dense1/b": 7.0, "dense2/W": 2 * ratio}))
            batch += 1
            now[0] += RECORD_S / 50
        now[0] += 1e-6
    view.refresh_now()
    x, y = view.ratio_curve("dense1")
    # the first snapshot is a moment of its own; each later one averages the 50 since
    assert len(x) == 6 and len(view.ratio_curve("dense2")[0]) == 6
    want = [sent[0]] + [np.mean(sent[j * 50 - 49: j * 50 + 1]) for j in range(1, 6)]
    np.testing.assert_allclose(y, want)
    np.testing.assert_allclose(view.ratio_curve("dense2")[1], 2 * y)
    assert list(x) == [1, 51, 101, 151, 201, 251]
    qtbot.waitUntil(lambda: not view.health_job.running, timeout=10000)
