"""The ``nnstudio`` desktop application: ``main()`` opens the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Open the studio window; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Qt arguments, plus optionally one design (.json) or model (.npz) file to open.
    """
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui import theme
    from nnstudio.gui.train.controller import configure_threading

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

    from nnstudio.gui.main_window import MainWindow

    window = MainWindow()
    files = [a for a in args[1:] if not a.startswith("-")]
    if files:

        window.commands.open_path(files[0], ask=False)
    window.show()
    # the training process starts while the person looks at the window
    QTimer.singleShot(300, window.controller.warm_up)
    app.aboutToQuit.connect(window.controller.shutdown)
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
