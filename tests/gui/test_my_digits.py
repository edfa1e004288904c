"""Teaching your handwriting: nothing moves under the mouse, every click stores the label meant,
and every stored digit can be reviewed, relabelled, deleted and brought back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from nnstudio.core.templates import get_template
from nnstudio.data.mine import UserDigits
from nnstudio.gui.draw.page import DrawPanel
from nnstudio.gui.session import Session

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def page(qtbot, tmp_path) -> DrawPanel:
    panel = DrawPanel(Session(get_template("cnn")), store=UserDigits(tmp_path))
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.canvas.throttle_ms = 0
    return panel


def scribble(page: DrawPanel, k: int) -> None:
    """A fresh stroke on a clean board (a different one each time)."""
    c = page.canvas
    QTest.keyClick(c, Qt.Key.Key_Escape)
    r = c.board_rect()
    a = 0.3 + 0.04 * (k % 5)
    points = [(a + 0.3 * t, 0.2 + 0.6 * t ** (1 + k % 3)) for t in np.linspace(0, 1, 12)]
    pts = [QPoint(int(r.x() + x * r.width()), int(r.y() + y * r.height())) for x, y in points]
    QTest.mousePress(c, LEFT, NO_MOD, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(c, p)
    QTest.mouseRelease(c, LEFT, NO_MOD, pts[-1])


def click_at(page: DrawPanel, point: QPoint) -> None:
    """Click whatever is at ``point`` of the page now (as a mouse that does not re-aim)."""
    target = page.childAt(point)
    assert target is not None
    QTest.mouseClick(target, LEFT, NO_MOD, target.mapFrom(page, point))


def test_22_label_clicks_store_22_right_labels_and_nothing_moves(qtbot, page):
    buttons = page.teach.label_buttons
    aimed = [b.mapTo(page, b.rect().center()) for b in buttons]  # aimed once, at the start
    geometry = [(b.mapTo(page, QPoint(0, 0)), b.size()) for b in buttons]
    count_height = page.teach.count_label.height()
    intended = [int(v) for v in np.random.default_rng(7).integers(0, 10, 22)]
    for k, label in enumerate(intended):
        scribble(page, k)
        click_at(page, aimed[label])
        assert f"Kept as a {label}" in page.message.text()
        assert [(b.mapTo(page, QPoint(0, 0)), b.size()) for b in buttons] == geometry
        assert page.teach.count_label.height() == count_height
    stored = [d.label for d in page.teach.store.list()]
    assert stored == intended
    assert "Your digits: 22" in page.teach.count_label.text()


def test_review_relabels_deletes_and_undoes(qtbot, page):
    for k, label in enumerate([1, 2, 3, 4]):
        scribble(page, k)
        QTest.mouseClick(page.teach.label_buttons[label], LEFT)
    store = page.teach.store
    QTest.mouseClick(page.teach.review, LEFT)
    dialog = page.teach.review_dialog
    qtbot.waitExposed(dialog)
    grid = dialog.grid
    assert grid.count() == 4 and [grid.item(i).text() for i in range(4)] == ["4", "3", "2", "1"]
    first = grid.item(1)  # the 3
    QTest.mouseClick(grid.viewport(), LEFT, NO_MOD, grid.visualItemRect(first).center())
    QTest.mouseClick(dialog.label_buttons[8], LEFT)
    assert [d.label for d in store.list()] == [1, 2, 8, 4]
    assert "8:1" in page.teach.count_label.text()
    item = grid.item(0)  # the 4
    QTest.mouseClick(grid.viewport(), LEFT, NO_MOD, grid.visualItemRect(item).center())
    QTest.mouseClick(dialog.delete_button, LEFT)
    assert [d.label for d in store.list()] == [1, 2, 8]
    assert "Your digits: 3" in page.teach.count_label.text() and grid.count() == 3
    QTest.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sorted(d.label for d in store.list()) == [1, 2, 4, 8]
    QTest.mouseClick(dialog.undo_button, LEFT)
    assert sorted(d.label for d in store.list()) == [1, 2, 3, 4]
    assert "Your digits: 4" in page.teach.count_label.text()
    assert len(UserDigits(store.folder)) == 4  # saved, not only shown
    dialog.grab().save("/tmp/ws_my_digits.png")
