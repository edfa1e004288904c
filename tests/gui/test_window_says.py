"""The window says what is wrong and shows what it promises: Mistakes to the Draw page, class
names from the data, fit problems before Play, stale text cleared, clear feedback."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.gestures import set_units

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


#: the window as it first opens (the shipped model), shown, no data loaded yet
pytestmark = pytest.mark.window(first_launch=True, show=True, size=(1400, 900))


def click_tab(qtbot, tabs, widget) -> None:
    bar = tabs.tabBar()
    QTest.mouseClick(bar, LEFT, NO_MOD, bar.tabRect(tabs.indexOf(widget)).center())
    qtbot.waitUntil(lambda: tabs.currentWidget() is widget, timeout=10000)


def real_digits(mnist_dir, n: int = 5000):
    from nnstudio.data.sources import load_source

    ds = load_source(f"idx:{mnist_dir}")
    return ds.subset(np.arange(min(n, ds.n)))


@pytest.mark.usefixtures("shipped_model")
def test_clicking_a_mistake_puts_it_on_the_draw_page(qtbot, window, mnist_dir):
    w = window
    w.session.set_dataset(real_digits(mnist_dir))
    inside = w.pages["insidePage"]
    click_tab(qtbot, w.tabs, inside)
    view = inside.views["evaluationView"]
    click_tab(qtbot, inside.tabs, view)
    qtbot.waitUntil(lambda: view.gallery.count() > 0, timeout=20000)
    item = view.gallery.item(0)
    index = int(item.data(Qt.ItemDataRole.UserRole))
    rect = view.gallery.visualItemRect(item)
    QTest.mouseClick(view.gallery.viewport(), LEFT, NO_MOD, rect.center())
    draw = w.pages["drawPage"]
    qtbot.waitUntil(lambda: w.tabs.currentWidget() is draw, timeout=10000)
    assert not draw.canvas.is_empty()
    shown = draw.canvas.image(28)
    image = w.session.dataset.x[index]
    assert np.corrcoef(shown.ravel(), image.ravel())[0, 1] > 0.9
    assert draw.probs is not None  # and the network answers it there


def load_data(qtbot, w, spec: str, size: int) -> None:
    with qtbot.waitSignal(w.controller.data.loaded, timeout=60000):
        w.controller.data.load(spec, size)


@pytest.mark.usefixtures("shipped_model")
def test_three_vs_seven_names_and_fit_problems_come_from_the_data(qtbot, window):
    w = window
    panel = w.pages["designPage"]
    click_tab(qtbot, w.tabs, panel)
    load_data(qtbot, w, "3v7:synthetic:600", 16)
    # the shipped 28x28 digit network does not fit 16x16 data with two classes: said before Play
    texts = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    inp = next(t for t in texts if "Input" in t)
    assert "16×16" in inp and "1×28×28" in inp and "Fix:" in inp
    out = next(t for t in texts if "classes" in t)
    assert "2 classes (3, 7)" in out and "10 outputs" in out and "2 units" in out
    assert "⚠ 2 problems" in panel.summary.text()
    offer = panel.fit_offer
    assert offer.isVisible() and "28×28" in offer.text()
    with qtbot.waitSignal(w.controller.data.loaded, timeout=60000):
        QTest.mouseClick(offer, LEFT)
    assert w.session.dataset.sample_shape == (28, 28)
    texts = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert not any("Input" in t for t in texts) and any("10 outputs" in t for t in texts)
    assert not offer.isVisible()
    set_units(qtbot, w, "fc2", 2)
    texts = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert texts == ["✓  No problems: the design is ready to train."]
    # the Draw page names the two answers after the data's classes
    assert w.session.class_names == ["3", "7"]
    draw = w.pages["drawPage"]
    click_tab(qtbot, w.tabs, draw)
    assert draw.prediction._classes == ["3", "7"]
    # ... and so does the confusion matrix
    inside = w.pages["insidePage"]
    click_tab(qtbot, w.tabs, inside)
    view = inside.views["evaluationView"]
    click_tab(qtbot, inside.tabs, view)
    qtbot.waitUntil(lambda: view._result is not None, timeout=20000)
    ticks = [t for _v, t in view.cm_plot.getAxis("left")._tickLevels[0]]
    assert ticks == ["3", "7"]


@pytest.mark.usefixtures("shipped_model")
def test_a_ten_output_network_on_two_classes_names_its_extra_outputs(qtbot, window):
    w = window
    load_data(qtbot, w, "3v7:synthetic:600", 28)
    inside = w.pages["insidePage"]
    click_tab(qtbot, w.tabs, inside)
    view = inside.views["evaluationView"]
    click_tab(qtbot, inside.tabs, view)
    qtbot.waitUntil(lambda: view._result is not None, timeout=20000)
    ticks = [t for _v, t in view.cm_plot.getAxis("left")._tickLevels[0]]
    assert ticks[:2] == ["3", "7"] and ticks[2:] == [f"#{i}" for i in range(2, 10)]
    assert "10 outputs but the data 2 classes" in view.summary.text()


# ---------------------------------------------------------------------- feedback
@pytest.fixture
def tiny_window(make_window, tiny_design):
    """Opener of a shown window on a small two-input network and the data given (none when
    left out): ``tiny_window(dataset=None)``."""
    return lambda dataset=None: make_window(tiny_design(), dataset, show=True, size=(1300, 850))


def blobs(n: int = 400, nan_rows: tuple[int, ...] = (), apart: float = 1.5):
    from nnstudio.data.dataset import Dataset

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = (rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, apart, -apart)).astype(np.float32)
    x[list(nan_rows), 0] = np.nan
    return Dataset("two blobs", x, y.astype(np.int64), "classification", ["a", "b"])


def type_into(spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin.lineEdit(), text)
    QTest.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def test_a_learning_rate_above_the_maximum_says_so(qtbot, tiny_window):
    w = tiny_window(blobs())
    spin = w.training_panel.lr_spin
    before = w.controller.config.lr
    type_into(spin, "50")
    note = w.training_panel.lr_note
    assert note.isVisible() and "50 is above the largest learning rate, 10" in note.text()
    assert f"stays {before:g}" in note.text() and w.controller.config.lr == before
    type_into(spin, "0.2")
    assert w.controller.config.lr == pytest.approx(0.2) and not note.isVisible()


def test_nan_in_the_data_is_blamed_on_the_data(qtbot, tiny_window):
    w = tiny_window(blobs(nan_rows=(4, 9)))
    with qtbot.waitSignal(w.controller.errored, timeout=10000) as blocker:
        toolbar_click(qtbot, w, w.actions_.play)
    text = blocker.args[0]
    assert "'two blobs' is damaged" in text and "rows (the first: 5, 10)" in text
    assert "learning rate" not in text and not w.controller.running


def test_an_exploding_cost_warns_on_the_train_page(qtbot, tiny_window):
    w = tiny_window(blobs(2000, apart=0.3))  # overlapping
    w.controller.apply_settings(optimizer="sgd")
    w.controller.apply_settings(epochs=1)
    w.controller.apply_settings(batch_size=16)
    type_into(w.training_panel.lr_spin, "10")
    view = w.train_view
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        toolbar_click(qtbot, w, w.actions_.play)
    assert "The cost is exploding" in view.message.text()
    assert "learning rate (10) is probably too large" in view.message.text()


def test_a_model_with_nan_weights_warns_when_opened(qtbot, tmp_path, monkeypatch, tiny_window):
    from nnstudio.core.modelfile import save_model

    w = tiny_window()
    net = w.session.network
    weights = net.get_weights()
    weights["fc2/W"][0, 0] = np.nan
    net.set_weights(weights)
    path = tmp_path / "broken.npz"
    save_model(path, net, None, {})
    shown = []
    monkeypatch.setattr(type(w), "show_error",
                        lambda self, title, text, name="errorBox": shown.append((name, text)))
    assert w.commands.open_path(path, ask=False)
    assert shown and shown[0][0] == "badWeightsBox"
    assert "broken.npz" in shown[0][1] and "fc2" in shown[0][1] and "Reset" in shown[0][1]


# ---------------------------------------------------------------------- stale state
def toolbar_click(qtbot, w, action) -> None:
    from PySide6.QtWidgets import QToolBar

    bar = w.findChild(QToolBar, "mainToolBar")
    button = bar.widgetForAction(action)
    QTest.mouseClick(button, LEFT)


def test_reset_clears_the_status_bar_the_readout_and_the_fine_tune_result(qtbot, tiny_window):
    w = tiny_window(blobs())
    w.controller.apply_settings(epochs=2)
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        toolbar_click(qtbot, w, w.actions_.play)
    assert w.status.epoch.text().startswith("Epoch 2")
    plots = w.train_view.plots
    click_tab(qtbot, w.tabs, w.train_view)
    plots.refresh()
    vb = plots.loss_plot.getPlotItem().getViewBox()
    centre = plots.loss_plot.mapFromScene(vb.sceneBoundingRect().center())
    QTest.mouseMove(plots.loss_plot.viewport(), centre)
    qtbot.waitUntil(lambda: "cost" in plots.readout.text(), timeout=10000)
    teach = w.pages["drawPage"].teach
    teach.result.setText("Accuracy on 2,000 digits: 90.0% before → 91.0% after")
    toolbar_click(qtbot, w, w.actions_.reset)
    assert w.status.epoch.text() == "Epoch –" and w.status.batch.text() == "Batch –"
    assert w.status.speed.text() == "no speed yet" and w.status.elapsed.text() == "0:00"
    assert "cost" not in plots.readout.text()  # the old run's values are gone
    assert teach.result.text() == ""  # it described weights that are gone


def test_a_failed_load_leaves_the_data_panel_showing_the_data_in_use(qtbot, tmp_path, tiny_window):
    w = tiny_window()
    panel = w.training_panel
    with qtbot.waitSignal(w.controller.data.loaded, timeout=30000):
        panel.choose_dataset("toy:circle")
    combo = panel.dataset_combo
    n_items = combo.count()
    info = panel.dataset_info.text()
    for k in range(2):
        bad = f"idx:{tmp_path / f'nothing{k}'}"
        with qtbot.waitSignal(w.controller.data.failed, timeout=30000):
            panel.choose_dataset(bad)
        assert combo.currentData() == "toy:circle"
        assert combo.findData(bad) < 0 and combo.count() == n_items  # nothing piles up
        assert panel.data_error.isVisible()
        assert panel.dataset_info.text().startswith("Still in use:")
        assert info.split("</b>")[0].split("<b>")[-1] in panel.dataset_info.text()
    with qtbot.waitSignal(w.controller.data.loaded, timeout=30000):
        panel.choose_dataset("toy:xor")
    assert not panel.data_error.isVisible()
    assert not panel.dataset_info.text().startswith("Still")


def test_cost_watch_ignores_a_falling_cost_and_warns_once_when_it_climbs():
    from nnstudio.core.costwatch import CostWatch

    watch = CostWatch()
    assert watch.add(np.linspace(2.3, 0.2, 200), 0.01) is None
    watch.reset()
    assert watch.add(np.array([0.7, 0.69, 0.71, 0.8]), 5.0) is None
    text = watch.add(np.full(40, 9.0), 5.0)
    assert text and "from 0.7 to" in text and "learning rate (5) is probably too large" in text
    assert watch.add(np.full(40, 12.0), 5.0) is None  # said once per run


def test_training_settings_are_bound_both_ways_without_echo(qtbot, tiny_window):
    w = tiny_window(blobs())
    panel, c = w.training_panel, w.controller
    c.apply_settings(epochs=7, optimizer="sgd", lr=0.05, batch_size=32)  # from elsewhere
    assert panel.epochs_spin.value() == 7 and panel.optimizer_combo.currentData() == "sgd"
    assert panel.lr_spin.value() == pytest.approx(0.05) and panel.batch_spin.value() == 32
    told, echoed = [], []
    c.configChanged.connect(lambda: told.append(c.config.epochs))
    panel.epochs_spin.valueChanged.connect(echoed.append)
    c.apply_settings(epochs=9)
    assert panel.epochs_spin.value() == 9
    assert told == [9] and echoed == []  # shown with signals blocked: nothing echoes back
    type_into(panel.epochs_spin, "12")
    assert c.config.epochs == 12 and told[-1] == 12
    type_into(panel.lr_spin, "0.3")
    assert c.config.lr == pytest.approx(0.3) and panel.lr_spin.value() == pytest.approx(0.3)
