"""The Train page's plots redraw less often where a redraw costs more, so that they take
about a tenth of a core (on two cores that share is taken from training), and as often as
12 times a second where redraws are cheap."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QTimer

from nnstudio.gui.snapshot import Snapshot
from nnstudio.gui.train import plots as plots_module


def _batches(first: int, k: int) -> Snapshot:
    idx = np.arange(first, first + k)
    return Snapshot(batch_loss=np.linspace(2.0, 1.0, k).astype(np.float32),
                    batch_accuracy=np.full(k, 0.5, np.float32),
                    batch_lr=np.full(k, 0.01, np.float32), batch_index=idx, n_batches=50,
                    batch=int(idx[-1] % 50) + 1, epoch=int(idx[-1] // 50))


@pytest.mark.window(show=True, size=(1300, 850))
def test_slow_redraws_come_less_often_and_speed_up_again(qtbot, window, monkeypatch):
    window.tabs.setCurrentWidget(window.pages["trainPage"])
    plots = window.train_view.plots
    fast_interval = round(1000 / plots_module.FPS)
    assert plots.frame_interval_ms == pytest.approx(fast_interval, abs=1)
    paint = pg.GraphicsView.paintEvent

    def slow_paint(self, event):                  # a machine where painting is slow
        time.sleep(0.03)
        paint(self, event)
    monkeypatch.setattr(pg.GraphicsView, "paintEvent", slow_paint)

    fed = [0]

    def feed() -> None:                           # training: new batches all the time
        window.session.apply_snapshot(_batches(fed[0], 5))
        fed[0] += 5
    timer = QTimer()
    timer.timeout.connect(feed)
    timer.start(30)
    try:
        slowest = round(1000 / plots_module.MIN_FPS)
        qtbot.waitUntil(lambda: plots.frame_interval_ms >= slowest - 1, timeout=10000)
        before = plots.redraws
        qtbot.wait(1500)
        assert plots.redraws - before <= 1.5 * plots_module.MIN_FPS + 1   # not 18
        # each redraw of three 30 ms paints would take 90% of a core at 12 a second
        monkeypatch.setattr(pg.GraphicsView, "paintEvent", paint)
        qtbot.waitUntil(lambda: plots.frame_interval_ms < slowest * 0.8, timeout=10000)
    finally:
        timer.stop()
    assert plots.n_points == fed[0]               # every batch is on the curve


@pytest.mark.window(show=True, size=(1300, 850))
def test_a_long_run_is_handed_to_the_plots_thinned_and_zooming_in_shows_every_batch(
        qtbot, window):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.train.curves import Thinned

    window.tabs.setCurrentWidget(window.pages["trainPage"])
    plots = window.train_view.plots
    n = 200_000
    window.session.apply_snapshot(_batches(0, n))
    qtbot.waitUntil(lambda: plots.c_smooth.xData is not None
                    and plots.c_smooth.xData[-1] == n / 50, timeout=10000)
    for curve, per_bucket in ((plots.c_raw, 2), (plots.c_smooth, 1), (plots.a_smooth, 1),
                              (plots.l_curve, 1)):
        assert len(curve.xData) <= per_bucket * Thinned.CAP + 64
    assert plots.c_raw.yData.max() == pytest.approx(2.0) and \
        plots.c_raw.yData.min() == pytest.approx(1.0)                 # the whole envelope
    plot = plots.loss_plot
    centre = QPointF(plot.viewport().rect().center())
    QApplication.sendEvent(plot.viewport(), QWheelEvent(
        centre, plot.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120 * 5),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False))
    qtbot.waitUntil(lambda: len(plots.c_raw.xData) == n, timeout=5000)
    assert len(plots.c_smooth.xData) == n
    assert len(plots.a_smooth.xData) <= Thinned.CAP + 64          # the other plots stay
