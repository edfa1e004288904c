"""Shared fixtures of the window tests: real main windows, by default on a tiny design and data.

``window`` is one such window; a module or a test says how it differs with the ``window``
marker, whose arguments are those of ``make_window``::

    pytestmark = pytest.mark.window(design="perceptron", data=None, show=True)

``make_window`` builds windows inside a test (several, or one built before it is shown).
Every window's settings, runs and the person's files are in the test's own folder, "Discard"
answers every question about unsaved work (the ``discard`` list names the boxes that asked),
and its training process ends with the test.
"""

from __future__ import annotations

import copy
import os
import signal
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("pytestqt")

if TYPE_CHECKING:
    from nnstudio.core.design import Design
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui import MainWindow


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "window(**options): how the test's `window` is built (make_window's "
                   "arguments: design, data, first_launch, show, size)")


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch, tiny_design, tiny_data,
                discard) -> Iterator[Callable[..., MainWindow]]:
    """Factory of real main windows, not shown unless asked.

    ``make_window(design=None, data=400, *, first_launch=False, show=False, size=None)``

    design : Design, str or None
        The design, a template's name, or None for the tiny design with 4 hidden units.
    data : Dataset, int or None
        The dataset, a number of samples of the tiny two blobs, or None for no data.
    first_launch : bool
        The window as it first opens (the ``cnn`` design with the shipped model's weights,
        no data); ``design`` and ``data`` must then be left out.
    show : bool
        Show the window and wait until it is exposed.
    size : (int, int), optional
        Width and height in pixels, set before it is shown.
    """
    from PySide6.QtCore import QSettings

    from nnstudio.core.templates import get_template
    from nnstudio.gui import MainWindow
    from nnstudio.gui.session import Session

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    made: list[MainWindow] = []

    def make(design: Design | str | None = None, data: Dataset | int | None = 400, *,
             first_launch: bool = False, show: bool = False,
             size: tuple[int, int] | None = None) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        if first_launch:
            if design is not None or not (data is None or (type(data) is int and data == 400)):
                raise ValueError("a first-launch window has its own design and no data")
            session = None
        else:
            if design is None:
                design = tiny_design(units=4)
            elif isinstance(design, str):
                design = get_template(design)
            session = Session(design)
            if data is not None:
                session.set_dataset(tiny_data(data) if isinstance(data, int) else data)
        w = MainWindow(session, settings=settings, data=None)
        qtbot.addWidget(w)
        made.append(w)
        if size is not None:
            w.resize(*size)
        if show:
            w.show()
            qtbot.waitExposed(w)
        return w

    yield make
    for w in made:
        process = w.controller.process
        if process.pid is not None and process.alive and hasattr(signal, "SIGCONT"):
            os.kill(process.pid, signal.SIGCONT)   # a test may have stopped it (SIGSTOP)
        w.controller.shutdown(5000)


@pytest.fixture
def window(request, make_window) -> MainWindow:
    """A real main window built by ``make_window`` with the arguments of the test's
    ``window`` marker (the closest one: the test's, else its module's), by default not
    shown, on the 4-unit tiny design with 400 samples of two blobs."""
    marker = request.node.get_closest_marker("window")
    # each test gets its own copy of the design and data the marker names
    options = copy.deepcopy(marker.kwargs) if marker is not None else {}
    return make_window(**options)
