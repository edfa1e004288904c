"""Layouts that stay readable when docks leave a page narrow: rows wrap, long words are cut
with "…" and shown whole in their tooltips, nothing is clipped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

pytest.importorskip("pytestqt")

LEFT = Qt.MouseButton.LeftButton

#: the window as it first opens (the shipped model), shown
pytestmark = pytest.mark.window(first_launch=True, show=True)


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def _train_tools(w) -> list[QWidget]:
    view = w.train_view
    return [view.log_check, view.raw_check, view.smooth_slider, view.clear_button,
            view.png_button, view.csv_button]


def test_the_train_tool_row_wraps_inside_the_page_beside_the_training_dock(
        qtbot, window) -> None:
    for size in ((1280, 800), (1024, 700), (900, 600)):
        _check_train_rows(qtbot, window, size)


def _check_train_rows(qtbot, w, size: tuple[int, int]) -> None:
    w.resize(*size)
    w.tabs.setCurrentWidget(w.train_view)
    view = w.train_view
    assert w.training_panel.isVisible()
    qtbot.waitUntil(lambda: view.width() < size[0] - 250, timeout=10000)
    qtbot.waitUntil(lambda: view.tools.geometry().bottom() < view.plots.geometry().top(),
                    timeout=10000)
    assert view.width() >= view.minimumSizeHint().width()   # the page is not squeezed
    rects = [_rect_in(t, view) for t in _train_tools(w)]
    for tool, r in zip(_train_tools(w), rects, strict=True):
        assert tool.isVisible()
        assert view.rect().contains(r), (tool.objectName(), r, view.rect())
        assert r.width() >= tool.sizeHint().width()      # not squeezed: its words show whole
    for i, a in enumerate(rects):                         # and none lies over another
        assert not any(a.intersects(b) for b in rects[i + 1:])
    lines = {r.center().y() for r in rects}
    if view.width() >= 950:
        assert len(lines) == 1                            # room enough: one row
    values = ("24 of 300", "0.135", "0.057", "96.0 %", "98.0 %", "12,345")
    cards = (view.epoch_card, view.cost_card, view.val_cost_card, view.acc_card,
             view.val_acc_card, view.speed_card)
    for card, value in zip(cards, values, strict=True):
        card.set(value, "at the last epoch end")

    def fits(label) -> bool:
        return label.fontMetrics().horizontalAdvance(label.text()) <= label.width()

    qtbot.waitUntil(lambda: all(fits(c.value) for c in cards), timeout=10000)  # never cut
    for card in cards:
        for label in (card.caption, card.detail):
            fm = label.fontMetrics()
            assert fm.horizontalAdvance(label.text()) <= label.width()   # nothing clipped
            if label.is_elided():                         # cut with "…", whole in the tooltip
                assert label.text().endswith("…") and len(label.text()) >= 4
                assert label.toolTip() == label.full_text()
        assert not card.caption.is_elided() or view.width() < 950
        assert _rect_in(card, view).right() <= view.rect().right()


def test_the_rows_keep_their_lines_while_numbers_change(qtbot, window) -> None:
    w = window
    w.resize(1024, 700)
    w.tabs.setCurrentWidget(w.train_view)
    view = w.train_view
    qtbot.waitUntil(lambda: view.tools.geometry().bottom() < view.plots.geometry().top(),
                    timeout=10000)
    before = [_rect_in(t, view) for t in _train_tools(w)]
    view.epoch_card.set("12 of 500", "batch 12,345 of 23,456")
    view.speed_card.set("123,456", "samples per second")
    qtbot.wait(50)
    assert [_rect_in(t, view) for t in _train_tools(w)] == before
    detail = view.epoch_card.detail
    assert detail.full_text() == "batch 12,345 of 23,456"
    assert detail.width() >= detail.fontMetrics().horizontalAdvance(detail.text())


def test_the_data_list_names_a_table_and_a_digit_folder_by_their_file_names(
        qtbot, window, tmp_path, square_digits) -> None:
    w = window
    panel = w.training_panel
    combo = panel.dataset_combo
    body = panel.findChild(QWidget, "trainingPanelBody")
    qtbot.waitUntil(lambda: body.width() > 0, timeout=10000)
    assert body.width() <= panel.widget().viewport().width()   # the dock shows whole
    long = combo.currentText()                  # a long description, cut with "…"
    assert combo.shown_text().endswith("…") and long in combo.toolTip()
    assert combo.fontMetrics().horizontalAdvance(combo.shown_text()) < combo.width()
    table = tmp_path / "a very long folder name for tables" / "houses.csv"
    table.parent.mkdir()
    table.write_text("rooms,area,sold\n" + "".join(f"{i % 5},{40 + i},{i % 2}\n"
                                                    for i in range(40)))
    spec = f"csv:{table}:label=sold"
    with qtbot.waitSignal(w.controller.data.loaded, timeout=100000):
        panel.choose_dataset(spec)
    assert combo.currentData() == spec
    assert combo.currentText() == "houses.csv (label sold)"
    assert str(table) in combo.itemData(combo.currentIndex(), 0x0003)   # ToolTipRole
    assert spec in combo.toolTip()
    (tmp_path / "my digits").mkdir()
    folder = square_digits(tmp_path / "my digits", 60)
    spec = f"idx:{folder}"
    with qtbot.waitSignal(w.controller.data.loaded, timeout=100000):
        panel.choose_dataset(spec)
    assert combo.currentText() == "IDX folder my digits"
    assert str(folder) in combo.toolTip()
    assert combo.findText(str(folder)) < 0 and combo.findText(spec) < 0


# ---------------------------------------------------------------------- the Design page
def _dense_session(names: list[str]):
    import numpy as np

    from nnstudio.core.design import Design
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui.session import Session

    d = Design("named inputs")
    d.add_node("Input", {"shape": [len(names)]}, node_id="in")
    d.add_node("Dense", {"units": 3, "activation": "tanh"}, node_id="dense1")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="dense2")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "dense1"), ("dense1", "dense2"), ("dense2", "out")):
        d.connect(a, b)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, len(names))).astype(np.float32)
    s = Session(d)
    s.set_dataset(Dataset("named", x, (x[:, 0] > 0).astype(np.int64), "classification",
                          ["stays", "leaves"], feature_names=names))
    return s


def _neurons(qtbot, session, width: int):
    from nnstudio.gui.design import EditorPanel

    panel = EditorPanel(session)
    qtbot.addWidget(panel)
    panel.resize(width, 700)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.mouseClick(panel.neuron_button, LEFT)
    neurons = panel.neurons
    qtbot.waitUntil(lambda: neurons.updates > 0 and neurons.canvas.width() > width - 400,
                    timeout=10000)
    neurons.canvas.grab()   # paints now, which places the labels
    return panel, neurons


def test_long_input_names_are_cut_in_the_middle_and_shown_whole_on_hover(qtbot) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QFontMetricsF, QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    from nnstudio.gui.design import theme

    long = "reduction of the monthly fee after the second year"
    session = _dense_session([long, "age", "region=north"])
    panel, neurons = _neurons(qtbot, session, 900)
    canvas = neurons.canvas
    inputs = [lab for lab in canvas.labels() if lab[0].right() < canvas.width() / 2]
    assert len(inputs) == 3
    fm = QFontMetricsF(theme.ui_font(9.0))
    for rect, shown, _full in inputs:
        assert rect.left() >= 0 and fm.horizontalAdvance(shown) <= rect.width() + 0.5
    (rect, shown, full), age, region = inputs
    assert full.startswith(long + " = ") and "…" in shown
    assert shown.startswith("red") and shown.endswith(full[full.rindex(" = "):])
    assert age[1] == age[2] and region[1] == region[2]      # short names show whole
    centre = rect.center().toPoint()
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, centre,
                                              canvas.mapToGlobal(centre)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=10000)
    assert QToolTip.text() == full
    QToolTip.hideText()


def test_the_bank_table_names_read_whole_in_the_neurons_view(qtbot) -> None:
    from pathlib import Path

    from nnstudio.data.sources import load_source

    table = Path(__file__).resolve().parents[2] / "nnstudio/resources/data/bank_churn.csv"
    ds = load_source(f"csv:{table}:label=left")
    session = _dense_session(list(ds.feature_names))
    panel, neurons = _neurons(qtbot, session, 1000)
    labels = neurons.canvas.labels()
    assert {full.split(" = ")[0] for _, _, full in labels} >= set(ds.feature_names)
    assert all(shown == full and rect.left() >= 0 for rect, shown, full in labels)


def test_the_design_status_line_reads_on_two_lines_beside_the_docks(qtbot) -> None:
    from nnstudio.core.templates import get_template
    from nnstudio.gui.design import EditorPanel
    from nnstudio.gui.session import Session

    panel = EditorPanel(Session(get_template("mlp")))
    qtbot.addWidget(panel)
    line = panel.status_line
    for width, two in ((615, True), (1300, False)):   # 1280 px with both docks; no docks
        panel.resize(width, 700)
        panel.show()
        qtbot.waitExposed(panel)
        qtbot.waitUntil(lambda two=two, width=width: line.two_lines == two
                        and panel.width() == width,
                        timeout=10000)
        area = line.rect()
        for label in (panel.summary, panel.view_hint):
            assert area.contains(_rect_in(label, line))
        summary = panel.summary.text()
        assert line.text_width(summary) <= panel.summary.width()
        assert "valid" in summary
        assert ("to train (batch" in summary) == (not two)
        hint = panel.view_hint
        assert hint.fontMetrics().horizontalAdvance(hint.text()) <= hint.width()
        assert hint.full_text().startswith("Drag port to port")
        if hint.is_elided():
            assert hint.toolTip().startswith(hint.full_text())
        height = line.height()   # longer words later do not change the line's height
        line.set_summary(["<b>1,234,567,890</b> parameters and a much longer text " * 3,
                          summary])
        assert line.two_lines == two and panel.summary.text() == summary
        qtbot.wait(20)
        assert line.height() == height
        panel.refresh_summary()


def test_the_neuron_panel_breaks_its_arithmetic_at_the_operators(qtbot) -> None:
    from gestures import click_neuron, neuron_panel

    session, panel, neurons = neuron_panel(qtbot, "perceptron")
    detail = neurons.detail
    click_neuron(neurons, 1, 0)
    qtbot.waitUntil(lambda: bool(detail.arithmetic_lines()), timeout=10000)
    steps = detail.arithmetic_lines()
    shown = detail.arithmetic.text().splitlines()
    room = detail.arithmetic.contentsRect().width()
    fm = detail.arithmetic.fontMetrics()
    assert all(fm.horizontalAdvance(line) <= room for line in shown)
    assert len(shown) > len(steps)                       # the first step needs two lines
    assert shown[1].startswith("    ") and shown[1].lstrip()[0] in "=+−>≤→"
    assert " ".join(s.strip() for s in shown).replace("  ", " ") == " ".join(steps).replace(
        "  ", " ")
    info = detail.info.text()
    assert "<br>" in info and info.endswith("incoming weights")
    if float(session.network.get_weights()["neuron/b"][0]) == 0.0:
        assert detail.threshold_edit.text() == "0"      # not "-0"
