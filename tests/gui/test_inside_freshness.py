"""Inside views say when their picture is behind training, and say nothing when it is not:
the bookkeeping on a fake clock, then views in the real window with a real training run."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QSpinBox

from nnstudio.gui.inside.freshness import STALE_S, Freshness, Moment
from nnstudio.gui.session import Session
from tests.gui.test_lessons import click_toolbar, open_view
from tests.gui.test_views import images, tiny_mlp

pytest.importorskip("pytestqt")


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def snap(epoch: int, batch: int, n_batches: int = 10, weights: bool = True):
    """What a training snapshot tells the views (epoch 0-based, as snapshots count)."""
    return SimpleNamespace(epoch=epoch - 1, batch=batch, n_batches=n_batches,
                           weights={"fc/W": np.zeros(1)} if weights else {})


def test_a_picture_is_behind_only_once_newer_weights_waited_too_long() -> None:
    clock = Clock()
    f = Freshness(clock)
    f.snapshot(snap(3, 4))
    f.drawn_from(f.weights)
    assert f.words("running") == ""
    shown = f.weights
    f.snapshot(snap(3, 8))                       # newer weights, just arrived
    clock.t += STALE_S / 2
    f.snapshot(snap(5, 2))
    assert not f.behind and f.words("running") == ""
    clock.t += STALE_S / 2 + 0.1                 # the first newer ones waited too long
    assert f.behind
    assert f.words("running") == "updated at epoch 3 · training is at epoch 5"
    assert f.words("paused") == "updated at epoch 3 · training paused at epoch 5"
    f.snapshot(snap(5, 7, weights=False))        # progress without weights moves "at"
    assert f.words("finished") == "updated at epoch 3 · training ended at epoch 5"
    middle = f.weights
    f.snapshot(snap(6, 1))
    f.drawn_from(middle)                         # caught up to the middle: those after it
    assert f.picture == middle and not f.behind  # have waited only a moment
    f.drawn_from(shown)                          # an older result ending late changes nothing
    assert f.picture == middle
    clock.t += STALE_S + 0.1
    assert f.words("running") == "updated at epoch 5 · training is at epoch 6"
    f.drawn_from(f.weights)
    assert f.words("running") == ""


def test_within_one_epoch_the_batches_are_named_and_a_fresh_model_is_no_run() -> None:
    clock = Clock()
    f = Freshness(clock)
    f.snapshot(snap(2, 3, 40))
    f.drawn_from(f.weights)
    f.snapshot(snap(2, 31, 40))
    clock.t += STALE_S + 1
    assert f.words("running") == ("updated at epoch 2, batch 3 of 40 · training is at "
                                  "epoch 2, batch 31 of 40")
    f.replaced(from_run=True)                    # the run's final weights: its last moment
    assert f.weights.moment == Moment(2, 31, 40)
    f.drawn_from(f.weights)
    f.replaced(from_run=False)                   # Reset: no run any more
    assert f.weights.moment is None and f.run_at is None
    clock.t += STALE_S + 1
    assert f.words("idle") == "shows earlier weights · the new picture is on its way"


# ---------------------------------------------------------------------- the real window
@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The window on a small network and 2,000 small pictures (epochs of ~30 batches)."""
    from nnstudio.gui import MainWindow

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    session = Session(tiny_mlp())
    session.set_dataset(images(n=2000))
    w = MainWindow(session, settings=QSettings(str(tmp_path / "s.ini"),
                                               QSettings.Format.IniFormat), data=None)
    w.resize(1400, 900)
    w.show()
    qtbot.addWidget(w)
    qtbot.waitExposed(w)
    yield w
    w.controller.shutdown(5000)
    w.session.set_dirty(False)


def set_epochs(qtbot, window, epochs: int) -> None:
    spin = window.training_panel.findChild(QSpinBox, "epochsSpin")
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(epochs))
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.controller.config.epochs == epochs


def epochs_in(note: str) -> tuple[int, int]:
    """The two epochs a note names (written with thousands separators: "1,425")."""
    n = r"(\d{1,3}(?:,\d{3})*)"
    batch = r"(?:, batch [\d,]+ of [\d,]+)?"
    m = re.fullmatch(rf"updated at epoch {n}{batch} · training is at epoch {n}{batch}", note)
    assert m, note
    return int(m[1].replace(",", "")), int(m[2].replace(",", ""))


def test_a_view_that_waits_for_a_pause_says_which_epoch_it_shows(qtbot, window) -> None:
    """The Backprop view explains a batch only while training is paused: while it runs, the
    view says which epoch its table is of and where training is; paused, it catches up and
    says nothing extra."""
    view = window.pages["insidePage"].views["backpropView"]
    set_epochs(qtbot, window, 10000)
    open_view(qtbot, window, "backpropView")
    qtbot.waitUntil(lambda: view.freshness.picture is not None, timeout=10000)
    assert view.behind_note == ""
    click_toolbar(qtbot, window, "actionPlay")
    qtbot.waitUntil(lambda: view.behind_note != "", timeout=20000)
    assert view.behind_note.startswith("updated before this run · training is at epoch ")
    click_toolbar(qtbot, window, "actionPause")
    qtbot.waitUntil(lambda: window.session.training_state == "paused", timeout=10000)
    qtbot.waitUntil(lambda: view.behind_note == "" and view.freshness.picture.gen
                    == view.freshness.weights.gen, timeout=10000)
    paused_at = view.freshness.run_at.epoch
    assert view.freshness.picture.moment.epoch == paused_at
    click_toolbar(qtbot, window, "actionPlay")
    qtbot.waitUntil(lambda: view.behind_note != "", timeout=20000)
    shown, at = epochs_in(view.behind_note)
    assert shown == paused_at
    assert paused_at < at <= view.freshness.run_at.epoch   # (the note is read twice a second)

    def status_epoch() -> int:
        return int(re.search(r"\d[\d,]*", window.status.epoch.text())[0].replace(",", ""))
    # the status bar's figures change five times a second: within that, it says as much
    qtbot.waitUntil(lambda: at <= status_epoch(), timeout=1000)
    click_toolbar(qtbot, window, "actionStop")
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)


def test_a_view_that_keeps_pace_with_training_says_nothing_extra(qtbot, window) -> None:
    view = window.pages["insidePage"].views["weightsView"]
    set_epochs(qtbot, window, 10000)
    open_view(qtbot, window, "weightsView")
    click_toolbar(qtbot, window, "actionPlay")
    qtbot.waitUntil(lambda: view.freshness.run_at is not None, timeout=20000)
    first, notes = view.freshness.weights.gen, []

    def watched_long_enough() -> bool:
        notes.append(view.behind_note)
        return time.monotonic() - t0 > STALE_S + 1.5

    t0 = time.monotonic()
    qtbot.waitUntil(watched_long_enough, timeout=20000)
    assert window.session.training_state == "running"
    assert view.freshness.weights.gen > first + 5        # weights kept coming
    assert view.freshness.drawn > 5                      # and the view kept drawing them
    assert not any(notes), [n for n in notes if n]
    click_toolbar(qtbot, window, "actionStop")
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)


def test_the_why_view_draws_a_new_picture_every_2_s_while_training(qtbot, window) -> None:
    """Its worker would otherwise run without a pause, taking processor time from training;
    a picture every 2 s also keeps it from falling behind."""
    from nnstudio.gui.inside.why import EVERY_S

    view = window.pages["insidePage"].views["whyView"]
    set_epochs(qtbot, window, 10000)
    open_view(qtbot, window, "whyView")
    qtbot.waitUntil(lambda: view.freshness.picture is not None, timeout=10000)
    click_toolbar(qtbot, window, "actionPlay")
    qtbot.waitUntil(lambda: view.freshness.run_at is not None, timeout=20000)
    seen = [view.freshness.drawn]
    times = [time.monotonic()]

    def watched() -> bool:
        if view.freshness.drawn != seen[-1]:
            seen.append(view.freshness.drawn)
            times.append(time.monotonic())
        return time.monotonic() - times[0] > 3 * EVERY_S + 0.5

    qtbot.waitUntil(watched, timeout=30000)
    assert window.session.training_state == "running"
    pictures = seen[-1] - seen[0]
    assert 2 <= pictures <= 4, (pictures, np.diff(times))
    assert view.behind_note == ""
    click_toolbar(qtbot, window, "actionStop")
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)
