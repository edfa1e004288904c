"""The ``nnstudio`` desktop application: ``main()`` opens the main window, on the last
session when one was kept (:func:`open_window`), else as a first launch."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow


def main(argv: Sequence[str] | None = None, *, path: str | None = None,
         data: str | None = None) -> int:
    """Open the studio window; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments for Qt (default: ``sys.argv[1:]``).
    path : str, optional
        A design (.json) or model (.npz) file to open in the window.
    data : str, optional
        A data source to load for training (as ``--data`` of ``nnstudio train``); the
        generated digits of a first launch when omitted.

    Without ``path`` and ``data`` the window reopens the last session (its design, data,
    settings and view; :func:`nnstudio.gui.moments.reopen`), or starts as a first launch.
    """
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui import theme
    from nnstudio.gui.train.bridge import configure_threading

    args = list(sys.argv if argv is None else [sys.argv[0], *argv])
    QCoreApplication.setOrganizationName("nnstudio")
    QCoreApplication.setApplicationName("nnstudio")
    if QApplication.instance() is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
    app = QApplication.instance() or QApplication(args)
    app.setApplicationDisplayName("nnstudio")
    configure_threading()
    theme.apply(app)

    window = open_window(path=path, data=data)
    window.show()
    # the training process starts while the person looks at the window
    QTimer.singleShot(300, window.controller.warm_up)
    app.aboutToQuit.connect(window.controller.shutdown)
    return int(app.exec())


def open_window(*, path: str | None = None, data: str | None = None) -> MainWindow:
    """The application's window (not shown yet): the last session reopened when neither
    ``path`` nor ``data`` is given and one was kept, else a first launch; it keeps its
    session when it closes."""
    from nnstudio.gui.main_window import DEFAULT_DATA, MainWindow
    from nnstudio.gui.moments import read_saved_session, reopen

    saved = read_saved_session() if path is None and data is None else None
    if saved is not None:
        window = MainWindow(data=None, remember=True)
        reopen(window, saved, DEFAULT_DATA)
    elif data is not None:
        window = MainWindow(data=data, remember=True)
    else:
        window = MainWindow(remember=True)
    if path is not None:
        window.commands.open_path(path, ask=False)
    return window


if __name__ == "__main__":
    raise SystemExit(main())
