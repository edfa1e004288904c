"""Layouts that stay readable when docks leave a page narrow: rows wrap, long words are cut
with "…" and shown whole in their tooltips, nothing is clipped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtWidgets import QWidget

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot, tmp_path, discard):
    from nnstudio.gui.main_window import MainWindow

    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   data=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.controller.shutdown(5000)


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
    qtbot.waitUntil(lambda: view.width() < size[0] - 250, timeout=3000)
    qtbot.waitUntil(lambda: view.tools.geometry().bottom() < view.plots.geometry().top(),
                    timeout=3000)
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
    for card in (view.epoch_card, view.val_cost_card, view.val_acc_card, view.speed_card):
        card.set("0.1", "at the last epoch end")
        qtbot.waitUntil(lambda c=card: c.detail.width() > 0, timeout=2000)
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
                    timeout=3000)
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
    table = tmp_path / "a very long folder name for tables" / "houses.csv"
    table.parent.mkdir()
    table.write_text("rooms,area,sold\n" + "".join(f"{i % 5},{40 + i},{i % 2}\n"
                                                    for i in range(40)))
    spec = f"csv:{table}:label=sold"
    with qtbot.waitSignal(w.controller.data.loaded, timeout=30000):
        panel.choose_dataset(spec)
    assert combo.currentData() == spec
    assert combo.currentText() == "houses.csv (label sold)"
    assert str(table) in combo.itemData(combo.currentIndex(), 0x0003)   # ToolTipRole
    assert spec in combo.toolTip()
    (tmp_path / "my digits").mkdir()
    folder = square_digits(tmp_path / "my digits", 60)
    spec = f"idx:{folder}"
    with qtbot.waitSignal(w.controller.data.loaded, timeout=30000):
        panel.choose_dataset(spec)
    assert combo.currentText() == "IDX folder my digits"
    assert str(folder) in combo.toolTip()
    assert combo.findText(str(folder)) < 0 and combo.findText(spec) < 0
