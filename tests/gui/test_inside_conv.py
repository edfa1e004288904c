"""The Convolution view draws every layer's filters big enough to read, the deeper ones too,
in the real window of lesson 8 (the cnn16 template: conv2 has 16 filters of 3×3 over 8 maps)."""

from __future__ import annotations

import pytest

from tests.gui.test_lessons import open_lesson, open_view, own_data, own_design, settle

pytest.importorskip("pytestqt")

#: the person's window of the lesson tests
pytestmark = pytest.mark.window(design=own_design(), data=own_data(), show=True,
                                size=(1400, 900))


def test_lesson_8_draws_the_deeper_filters_readably_too(qtbot, window) -> None:
    open_lesson(qtbot, window, "08-convolution")
    settle(qtbot, window)
    view = window.pages["insidePage"].views["convView"]
    open_view(qtbot, window, "convView")
    qtbot.waitUntil(lambda: view.filter_layers == ["conv1", "conv2"], timeout=10000)
    qtbot.waitUntil(lambda: view.filter_picture("conv2") is not None, timeout=10000)
    rows, cols = view.filter_picture("conv2").shape[:2]
    assert (rows, cols) == (8 * 4 - 1, 16 * 4 - 1)       # 8 maps read × 16 filters of 3×3
    box = view._filter_items["conv2"].sceneBoundingRect()
    assert box.width() / cols >= 7.5, box       # a 3×3 filter ~24 px wide, not ~4
    assert box.height() / rows >= 7.5, box
    # it stays within the view's width: nothing to scroll sideways
    assert not view.scroll.horizontalScrollBar().isVisible()
