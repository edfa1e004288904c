"""The Train page's plots move their ranges one plot a frame while training, so a curve that
outgrows all three views does not repaint every axis and item in one long frame."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.gui.snapshot import Snapshot


def _snapshot(first: int, last: int, n_batches: int = 10) -> Snapshot:
    """Batches ``first..last - 1`` of a run with ``n_batches`` batches an epoch."""
    idx = np.arange(first, last)
    k = len(idx)
    return Snapshot(batch_loss=np.linspace(2.0, 1.0, k).astype(np.float32),
                    batch_accuracy=np.full(k, 0.5, np.float32),
                    batch_lr=np.full(k, 0.01, np.float32), batch_index=idx,
                    n_batches=n_batches, batch=int(idx[-1] % n_batches) + 1,
                    epoch=int(idx[-1] // n_batches))


@pytest.mark.window(show=True, size=(1300, 850))
def test_a_curve_outgrowing_every_plot_moves_one_plot_a_frame(qtbot, window) -> None:
    window.tabs.setCurrentWidget(window.pages["trainPage"])
    plots = window.train_view.plots
    boxes = {name: getattr(plots, f"{name}_plot").getPlotItem().getViewBox()
             for name in ("loss", "acc", "lr")}
    window.session.apply_snapshot(_snapshot(0, 10))             # one epoch: x up to 1
    qtbot.waitUntil(lambda: all(b.viewRange()[0][1] > 1.0 for b in boxes.values()),
                    timeout=5000)
    moves: list[tuple[str, int]] = []
    for name, box in boxes.items():
        box.sigXRangeChanged.connect(lambda *_a, n=name: moves.append((n, plots.redraws)))
    window.session.apply_snapshot(_snapshot(10, 60))            # six epochs: every x is due
    qtbot.waitUntil(lambda: len(moves) >= 3, timeout=5000)
    frames = [frame for _name, frame in moves]
    assert sorted(name for name, _f in moves) == ["acc", "loss", "lr"]
    assert len(set(frames)) == 3, moves                         # one plot a frame
    assert max(frames) - min(frames) == 2                       # on successive frames
    ends = {round(b.viewRange()[0][1], 6) for b in boxes.values()}
    assert len(ends) == 1 and ends.pop() >= 6.0                 # all alike in the end

