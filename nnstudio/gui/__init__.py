"""The PySide6 + pyqtgraph user interface.

``from nnstudio.gui import MainWindow`` gives the main window class; constructing it builds the
whole window without showing it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from nnstudio.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'nnstudio.gui' has no attribute {name!r}")
