"""Figures a person reads change at most five times a second while training sends thirty
messages a second, and the last figures of a run are shown the moment it ends."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QToolBar

from nnstudio.gui.pace import FIGURES_MS, Pace


def test_requests_within_an_interval_become_one_call_after_it(qtbot) -> None:
    owner = QObject()
    calls: list[float] = []
    pace = Pace(lambda: calls.append(time.perf_counter()), 150, owner)
    t0 = time.perf_counter()
    for _ in range(10):
        pace.request()
    assert len(calls) == 1 and pace.pending              # the first at once
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
    assert calls[1] - t0 >= 0.14                          # the rest, once, an interval later
    assert not pace.pending
    qtbot.wait(400)
    assert len(calls) == 2                                # nothing more was asked


def test_flush_runs_a_waiting_request_at_once_and_nothing_when_none_waits(qtbot) -> None:
    owner = QObject()
    calls: list[int] = []
    pace = Pace(lambda: calls.append(1), 10_000, owner)
    pace.flush()
    assert calls == []
    pace.request()
    pace.request()
    assert len(calls) == 1
    pace.flush()
    assert len(calls) == 2 and not pace.pending
    pace.flush()
    assert len(calls) == 2


def test_no_interval_calls_at_every_request(qtbot) -> None:
    calls: list[int] = []
    pace = Pace(lambda: calls.append(1), 0, QObject())
    for _ in range(3):
        pace.request()
    assert len(calls) == 3


class _LayoutCount(QObject):
    """Counts the layout passes a widget is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LayoutRequest:
            self.n += 1
        return False


@pytest.mark.window(show=True, size=(1300, 850))
def test_training_lays_out_the_window_at_the_pace_of_its_figures_not_of_its_messages(
        qtbot, window) -> None:
    """A run of millisecond epochs sends about 30 messages a second; the Train page's cards
    and the status bar change together at most five times a second, so the window is laid
    out again at that pace (two or three passes each time: the status bar's request reaches
    the window at once, the cards' one level per pass of the event loop), and the moment the
    run ends both show where it ended."""
    window.tabs.setCurrentWidget(window.pages["trainPage"])
    window.controller.apply_settings(epochs=100_000, batch_size=8)
    received: list = []
    window.session.snapshotApplied.connect(received.append)
    count = _LayoutCount()
    window.installEventFilter(count)
    bar = window.findChild(QToolBar, "mainToolBar")
    qtbot.mouseClick(bar.widgetForAction(window.actions_.play), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(received) > 0, timeout=20000)
    qtbot.wait(500)                                       # the run's start has settled
    n0, t0 = count.n, time.perf_counter()
    received.clear()
    qtbot.wait(2000)
    span = time.perf_counter() - t0
    layouts = count.n - n0
    assert len(received) > 30, "training sent too few messages to tell"
    assert layouts <= 3 * (span * 1000 / FIGURES_MS + 1), (layouts, len(received), span)
    qtbot.mouseClick(bar.widgetForAction(window.actions_.stop), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)
    last = f"{int(received[-1].epoch) + 1:,}"                # the epoch the run stopped in
    assert window.pages["trainPage"].epoch_card.text().startswith(last + " ")
    assert f" {last} " in window.status.epoch.text() + " "
