"""The epoch curves are marked and antialiased while their epochs lie apart on screen; a run
of hundreds of short epochs draws plain lines (the marks would merge, and both cost most of
a frame), and zooming in brings them back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from nnstudio.core.training import EpochInfo
from nnstudio.gui.snapshot import Snapshot


def _epochs(first: int, last: int) -> Snapshot:
    """Epochs ``first..last - 1`` of a run of 4 batches an epoch."""
    idx = np.arange(first * 4, last * 4)
    infos = [EpochInfo(epoch=e, train_loss=2.0 / (e + 1), train_accuracy=0.5,
                       val_loss=2.1 / (e + 1), val_accuracy=0.5, lr=0.01, elapsed=float(e))
             for e in range(first, last)]
    k = len(idx)
    return Snapshot(batch_loss=np.linspace(2.0, 1.0, k).astype(np.float32),
                    batch_accuracy=np.full(k, 0.5, np.float32),
                    batch_lr=np.full(k, 0.01, np.float32), batch_index=idx, n_batches=4,
                    batch=4, epoch=last - 1, epochs=infos)


def _symbols(plots) -> set:
    return {c.opts["symbol"] for c in (plots.c_epoch, plots.c_val, plots.a_epoch, plots.a_val)}


def _smooth(plots) -> set:
    """Whether the epoch lines are antialiased, as their line items will draw them."""
    return {c.curve.opts["antialias"] for c in (plots.c_epoch, plots.c_val, plots.a_epoch,
                                                  plots.a_val)}


def _painted_marks(plots) -> int:
    """Marks the epoch curves of the cost plot draw."""
    return sum(len(c.scatter.data) for c in (plots.c_epoch, plots.c_val)
               if c.opts["symbol"] is not None and c.scatter.isVisible())


@pytest.mark.window(show=True, size=(1300, 850))
def test_epoch_marks_leave_when_the_epochs_crowd_and_come_back_when_zoomed(qtbot, window):
    window.tabs.setCurrentWidget(window.pages["trainPage"])
    plots = window.train_view.plots
    window.session.apply_snapshot(_epochs(0, 12))
    qtbot.waitUntil(lambda: plots.n_epoch_points == 12 and plots.x_end() >= 12, timeout=5000)
    qtbot.waitUntil(lambda: _painted_marks(plots) == 24, timeout=5000)
    assert _symbols(plots) == {"o", "s"} and _smooth(plots) == {True}

    window.session.apply_snapshot(_epochs(12, 400))          # 400 epochs on ~1000 pixels
    qtbot.waitUntil(lambda: plots.n_epoch_points == 400, timeout=5000)
    qtbot.waitUntil(lambda: _symbols(plots) == {None}, timeout=5000)
    assert _painted_marks(plots) == 0 and _smooth(plots) == {False}
    xs, ys = plots.c_epoch.getData()
    assert len(xs) == 400 and np.isfinite(ys).all()        # the line is all there

    # zoom the cost plot in around the middle: its marks come back, the others' stay off
    plot = plots.loss_plot
    centre = QPointF(plot.viewport().rect().center())
    event = QWheelEvent(centre, plot.viewport().mapToGlobal(centre), QPoint(0, 0),
                        QPoint(0, 120 * 30), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(plot.viewport(), event)
    vb = plot.getPlotItem().getViewBox()
    x0, x1 = vb.viewRange()[0]
    assert vb.width() / (x1 - x0) >= 8
    assert plots.c_epoch.opts["symbol"] == "o" and plots.c_val.opts["symbol"] == "s"
    assert plots.c_epoch.curve.opts["antialias"] and plots.c_val.curve.opts["antialias"]
    assert plots.a_epoch.opts["symbol"] is None and not plots.a_epoch.curve.opts["antialias"]
