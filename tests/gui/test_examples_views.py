"""The course's worked examples on the Inside page, driven through the real widgets:
car prices in dollars, the optimizer's honest next step, the rolling ball, backprop."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from nnstudio.core.templates import get_template
from nnstudio.data.sources import load_source
from nnstudio.gui.inside.estimates import EstimatesView
from nnstudio.gui.session import Session
from nnstudio.gui.train.snapshot import Snapshot

pytest.importorskip("pytestqt")


def _click_check(qtbot, box) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _cells(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_car_prices_read_in_dollars_and_update_live(qtbot) -> None:
    s = Session(get_template("linear"))
    s.set_dataset(load_source("cars:raw"))
    s.set_weights({"fc1/W": np.ones((3, 1), np.float32), "fc1/b": np.zeros(1, np.float32)})
    view = EstimatesView(s)
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    view.refresh_now()
    assert view.message == ""
    rows = _cells(view.table)
    assert [r[0] for r in rows] == ["A", "B", "C"]
    assert rows[0][1:4] == ["75,000.0", "2,500.0", "4.8"]
    assert [r[4] for r in rows] == ["$100,000.0", "$65,000.0", "$40,000.0"]
    assert [r[5] for r in rows] == ["$77,504.8", "$49,504.3", "$34,003.9"]
    assert [r[6] for r in rows] == ["$22,495.2", "$15,495.7", "$5,996.1"]
    assert "260,701,318.9 $²" in view.cost.text() and "m = 3" in view.cost.text()
    view.grab().save("/tmp/estimates_dollars.png")
    # standardised, as gradient descent sees them, with the reason
    _click_check(qtbot, view.standardised)
    assert view.standardised.isChecked()
    std = _cells(view.table)
    assert "$" not in "".join(std[0]) and "$²" not in view.cost.text()
    assert float(std[0][1]) == pytest.approx(1.32, abs=0.01)    # car A's cost of production
    assert "Gradient descent needs standardised numbers" in view.why.text()
    _click_check(qtbot, view.standardised)
    # a training snapshot moves the estimates and the cost at once
    before = view.cost.text()
    w = s.network.get_weights()
    w["fc1/b"] = np.array([10_000.0], np.float32)
    s.apply_snapshot(Snapshot(weights=w))
    qtbot.waitUntil(lambda: view.cost.text() != before, timeout=3000)
    assert _cells(view.table)[0][5] == "$87,504.8"


def test_estimates_speak_of_regression_only(qtbot) -> None:
    s = Session(get_template("mlp"))
    view = EstimatesView(s)
    qtbot.addWidget(view)
    s.set_dataset(load_source("toy:circle"))
    view.refresh_now()
    assert "regression" in view.message
