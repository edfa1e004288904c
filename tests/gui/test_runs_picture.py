"""Compared runs on the Train page's plots are one cached picture per plot: named in the
legend and the readout, hidden with their legend entry or their Show box, following the
view's zoom and pan, and never painted again while only the live run moves."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.gui.runs.overlay import PALETTE
from nnstudio.gui.runs.picture import RunPicture
from tests.gui.gestures import show_page
from tests.gui.test_runs_window import tick

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier
PLOTS = ("loss_plot", "acc_plot", "lr_plot")


@pytest.fixture
def compared(make_window, record_run, tiny_design, tmp_path, qtbot):
    """``compared(n)``: the window on the Train page with ``n`` recorded runs of the tiny
    design (each its own learning rate, named "run 01", "run 02", ...) ticked in the Runs
    dock with the mouse, in the order listed."""

    def make(n: int):
        folder = tmp_path / "data" / "runs"
        for i in range(n):
            record_run(folder, lr=0.3 * 0.75 ** i, name=f"run {i + 1:02d}")
        w = make_window(tiny_design(), 600, show=True, size=(1400, 900))
        w.controller.apply_settings(epochs=3)
        show_page(qtbot, w, "trainPage")
        dock = w.runs_dock
        dock.raise_()
        qtbot.waitUntil(lambda: dock.proxy.rowCount() == n, timeout=10000)
        for row in range(n):
            tick(qtbot, dock, row)
        qtbot.waitUntil(lambda: len(dock.overlay.shown) == n, timeout=10000)
        settle(qtbot, w)
        return w

    return make


def settle(qtbot, w) -> None:
    """Wait until the Train page's plots are laid out (the readout has the room kept for
    the compared runs, the cost plot and its legend their places)."""
    plots = w.train_view.plots
    item = plots.loss_plot.getPlotItem()
    qtbot.waitUntil(lambda: plots.readout.height() >= plots.readout.minimumHeight()
                    and item.layout.isActivated() and item.legend.layout.isActivated(),
                    timeout=5000)


def view_pixels(plot) -> np.ndarray:
    """The RGB pixels of ``plot``'s view box (where curves are drawn), shape (h, w, 3)."""
    image = plot.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    pixels = rows[:, :3 * w].reshape(h, w, 3)
    dpr = image.devicePixelRatio()
    vb = plot.getPlotItem().getViewBox()
    r = plot.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    return pixels[int(r.top() * dpr):int(r.bottom() * dpr),
                  int(r.left() * dpr):int(r.right() * dpr)].copy()   # the image goes


def count(pixels: np.ndarray, color: str) -> int:
    """How many pixels are ``color`` ("#rrggbb") over the white background, at least half
    covered (an antialiased line's edge pixels are blends of the two)."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], np.float64)
    p = pixels.astype(np.float64)
    cover = ((255.0 - p) @ (255.0 - rgb)) / float((255.0 - rgb) @ (255.0 - rgb))
    blend = 255.0 - cover[..., None] * (255.0 - rgb)
    close = np.abs(p - blend).max(axis=-1) <= 6.0
    return int((close & (cover >= 0.5) & (cover <= 1.05)).sum())


def colour_at(plot, at: QPoint) -> str:
    """The colour of ``plot``'s pixel at widget position ``at``, "#rrggbb"."""
    return plot.grab().toImage().pixelColor(at).name()


def where(plot, x: float, y: float) -> QPoint:
    """The widget position of data point (x, y) on ``plot``."""
    vb = plot.getPlotItem().getViewBox()
    return plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))


def legend_names(w) -> list[str]:
    legend = w.train_view.plots.loss_plot.getPlotItem().legend
    return [label.text for _sample, label in legend.items]


def hover(qtbot, w, plot, at: QPoint) -> str:
    """Move the mouse onto ``plot`` and to ``at`` in a few steps; the readout under the
    plots."""
    plots = w.train_view.plots
    for step in (12, 6, 0):
        QTest.mouseMove(plot.viewport(), at + QPoint(step, step))
    qtbot.waitUntil(lambda: "run 01" in plots.readout.text(), timeout=5000)
    return plots.readout.text()


def wheel(plot, at: QPoint, steps: int) -> None:
    """Turn the mouse wheel ``steps`` notches (away from the person: zoom in) at ``at``."""
    pos = QPointF(at)
    event = QWheelEvent(pos, plot.viewport().mapToGlobal(pos), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, NOMOD,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(plot.viewport(), event)


def drag(plot, a: QPoint, b: QPoint) -> None:
    """Press the left button at ``a``, move to ``b`` in steps, release."""
    viewport = plot.viewport()
    QTest.mousePress(viewport, LEFT, NOMOD, a)
    for t in np.linspace(0.1, 1.0, 10):
        QTest.mouseMove(viewport, a + (b - a) * float(t))
    QTest.mouseRelease(viewport, LEFT, NOMOD, b)


def test_twenty_runs_are_one_item_per_plot_each_named_in_the_legend_and_readout(
        compared, qtbot):
    w = compared(20)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    names = [f"run {i:02d}" for i in range(1, 21)]
    # one item per plot holds every run: nothing was added beside the picture
    for name in PLOTS:
        items = getattr(plots, name).getPlotItem().getViewBox().addedItems
        assert sum(isinstance(i, RunPicture) for i in items) == 1
        assert len(items) < 20
    assert sorted(overlay.pictures["loss"].run_ids) == sorted(s.id for s in overlay.shown)
    assert sorted(n for n in legend_names(w) if n.startswith("run ")) == names
    # each of the palette's colours is on the cost plot, where the runs are
    pixels = view_pixels(plots.loss_plot)
    assert all(count(pixels, c) > 0 for c in PALETTE)
    # the mouse over the cost plot reads every run
    vb = plots.loss_plot.getPlotItem().getViewBox()
    centre = plots.loss_plot.mapFromScene(vb.sceneBoundingRect().center())
    text = hover(qtbot, w, plots.loss_plot, centre)
    assert all(f"{n}: cost" in text for n in names)


def test_compared_runs_with_no_live_run_are_whole_in_every_plots_view(compared):
    w = compared(3)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    x_max, lo, hi, lr_max = overlay.bounds()
    assert x_max == 3.0                      # three epochs
    for name in PLOTS:
        (x0, x1), _y = getattr(plots, name).getPlotItem().getViewBox().viewRange()
        assert x0 <= 0.0 and x1 >= x_max, name
    (_x, (y0, y1)) = plots.loss_plot.getPlotItem().getViewBox().viewRange()
    assert y0 <= lo and y1 >= hi
    (_x, (y0, y1)) = plots.lr_plot.getPlotItem().getViewBox().viewRange()
    assert y0 <= 0.0 and y1 >= lr_max


def test_a_run_hidden_in_the_legend_or_unticked_leaves_every_plot(compared, qtbot):
    w = compared(3)
    plots, dock = w.train_view.plots, w.runs_dock
    color = PALETTE[1]                       # "run 02", the second ticked
    assert [s.color for s in dock.overlay.shown if s.name == "run 02"] == [color]
    for name in PLOTS:
        assert count(view_pixels(getattr(plots, name)), color) > 0

    # its legend entry's sample, clicked: gone from all three plots, still named
    legend = plots.loss_plot.getPlotItem().legend
    settle(qtbot, w)
    sample = next(s for s, label in legend.items if label.text == "run 02")
    at = plots.loss_plot.mapFromScene(sample.sceneBoundingRect().center())
    QTest.mouseClick(plots.loss_plot.viewport(), LEFT, NOMOD, at)
    qtbot.waitUntil(lambda: count(view_pixels(plots.loss_plot), color) == 0, timeout=5000)
    for name in PLOTS:
        assert count(view_pixels(getattr(plots, name)), color) == 0
        assert count(view_pixels(getattr(plots, name)), PALETTE[0]) > 0
    assert "run 02" in legend_names(w)
    # clicked again: back
    QTest.mouseClick(plots.loss_plot.viewport(), LEFT, NOMOD, at)
    qtbot.waitUntil(lambda: count(view_pixels(plots.acc_plot), color) > 0, timeout=5000)

    # unticking a run leaves two: the third colour is on no plot any more
    third = PALETTE[2]
    assert count(view_pixels(plots.loss_plot), third) > 0
    tick(qtbot, dock, 0)
    qtbot.waitUntil(lambda: len(dock.overlay.shown) == 2, timeout=5000)
    for name in PLOTS:
        assert count(view_pixels(getattr(plots, name)), third) == 0
    assert len([n for n in legend_names(w) if n.startswith("run ")]) == 2


def test_the_picture_follows_zoom_and_pan_and_the_names_stay(compared, qtbot):
    w = compared(3)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    plot = plots.loss_plot
    picture = overlay.pictures["loss"]
    last = overlay.shown[-1]                 # its marks are drawn over the others'
    x, y = float(last.data.batch_x[-1]), float(last.smoothed[-1])   # its last dot
    at = where(plot, x, y)
    assert colour_at(plot, at) == last.color
    painted = picture.renders

    # three notches of the wheel 40 pixels left of the dot: it moves right
    wheel(plot, at - QPoint(40, 0), 3)
    qtbot.waitUntil(lambda: where(plot, x, y).x() > at.x() + 40, timeout=5000)
    moved = where(plot, x, y)
    assert colour_at(plot, moved) == last.color
    assert picture.renders > painted
    # dragged 60 pixels left and 30 down: the dot goes with the view
    painted = picture.renders
    start = moved - QPoint(150, 40)
    drag(plot, start, start + QPoint(-60, 30))
    qtbot.waitUntil(lambda: (where(plot, x, y) - (moved + QPoint(-60, 30))).manhattanLength()
                    <= 2, timeout=5000)
    assert colour_at(plot, where(plot, x, y)) == last.color
    assert picture.renders > painted

    # the legend and the readout still name every run
    assert {"run 01", "run 02", "run 03"} <= set(legend_names(w))
    text = hover(qtbot, w, plot, where(plot, x, y))
    assert all(f"run 0{i}: cost" in text for i in (1, 2, 3))


def test_frames_of_the_live_run_copy_the_compared_runs_without_painting_them(compared, qtbot):
    """While the live curves grow inside the view's range, no compared run is painted."""
    from nnstudio.gui.snapshot import Snapshot

    w = compared(3)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    changes = {name: 0 for name in PLOTS}
    for name in PLOTS:
        vb = getattr(plots, name).getPlotItem().getViewBox()
        vb.sigTransformChanged.connect(lambda *_a, name=name: changes.__setitem__(
            name, changes[name] + 1))
    painted = {key: p.renders for key, p in overlay.pictures.items()}
    redraws = plots.redraws
    k = 10                                  # batches a frame, 20 frames over 2.5 epochs
    for frame in range(20):
        i = np.arange(frame * k, (frame + 1) * k)
        snap = Snapshot(batch_loss=(0.2 - 0.0005 * i).astype(np.float32),
                        batch_accuracy=np.full(k, 0.9, np.float32),
                        batch_lr=np.full(k, 0.01, np.float32), batch_index=i,
                        batch_x=(i + 1) / 80.0, n_batches=80, batch=int(i[-1]) + 1,
                        epoch=int(i[-1]) // 80)
        w.session.snapshotApplied.emit(snap)
        qtbot.waitUntil(lambda f=frame: plots.redraws - redraws > f, timeout=5000)
        plots.loss_plot.grab()               # the frame painted
    assert plots.n_points == 200
    assert changes == {name: 0 for name in PLOTS}   # the view stood still
    assert {key: p.renders for key, p in overlay.pictures.items()} == painted


def test_the_runs_lines_and_marks_follow_the_cost_axis_to_a_log_scale(compared, qtbot):
    from PySide6.QtWidgets import QCheckBox

    w = compared(3)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    plot = plots.loss_plot
    last = overlay.shown[-1]
    x, y = float(last.data.batch_x[-1]), float(last.smoothed[-1])   # its last dot
    box = w.train_view.findChild(QCheckBox, "logScaleCheck")
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))
    qtbot.waitUntil(lambda: plot.getPlotItem().getAxis("left").logMode, timeout=5000)
    settle(qtbot, w)
    at = where(plot, x, float(np.log10(y)))
    qtbot.waitUntil(lambda: colour_at(plot, at) == last.color, timeout=5000)
    # the whole curve is in view: its lowest and highest cost inside the y range
    (_x, (y0, y1)) = plot.getPlotItem().getViewBox().viewRange()
    assert y0 <= np.log10(last.smoothed.min()) and np.log10(last.smoothed.max()) <= y1


def test_pyqtgraphs_auto_range_button_fits_the_view_to_every_run(compared, qtbot):
    w = compared(3)
    plots, overlay = w.train_view.plots, w.runs_dock.overlay
    plot = plots.loss_plot
    item, vb = plot.getPlotItem(), plot.getPlotItem().getViewBox()
    x_max, lo, hi, _lr = overlay.bounds()
    centre = plot.mapFromScene(vb.sceneBoundingRect().center())
    wheel(plot, centre, 4)                   # zoomed in: the runs reach outside the view
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] < x_max, timeout=5000)
    hover(qtbot, w, plot, centre)            # the "A" button shows while the mouse is over
    qtbot.waitUntil(lambda: item.autoBtn.isVisible(), timeout=5000)
    at = plot.mapFromScene(item.autoBtn.sceneBoundingRect().center())
    QTest.mouseClick(plot.viewport(), LEFT, NOMOD, at)
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] >= x_max, timeout=5000)
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 <= float(min(s.data.batch_x.min() for s in overlay.shown)) and x1 >= x_max
    assert y0 <= lo and y1 >= hi
