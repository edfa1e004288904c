"""The studio's calm light look: Fusion style, a light palette, readable 10-11 pt text."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from nnstudio.resources import resource_path

BLUE = "#0877bd"    # positive values, training
ORANGE = "#f59322"  # negative values, validation

STYLE_SHEET = """
QMainWindow, QDockWidget { background: #f7f8fa; }
QDockWidget::title { padding: 5px 8px; background: #eef1f4; font-weight: 600; }
QTabWidget::pane { border: none; background: #f7f8fa; }
QTabBar::tab { padding: 6px 18px; margin-right: 2px; color: #444; background: transparent;
               border: none; border-bottom: 2px solid transparent; }
QTabBar::tab:selected { color: #0877bd; border-bottom: 2px solid #0877bd; font-weight: 600; }
QTabBar::tab:hover { color: #0b5f95; }
QGroupBox { font-weight: 600; border: 1px solid #e2e5e8; border-radius: 6px;
            margin-top: 14px; padding: 10px 6px 6px 6px; background: #ffffff; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #333; }
QToolBar { spacing: 4px; padding: 3px; background: #ffffff; border-bottom: 1px solid #e2e5e8; }
QStatusBar { background: #ffffff; border-top: 1px solid #e2e5e8; }
QProgressBar { border: 1px solid #cfd5da; border-radius: 4px; text-align: center;
               background: #ffffff; }
QProgressBar::chunk { background: #0877bd; border-radius: 3px; }
"""

_applied = False


def apply(app: QApplication | None = None) -> None:
    """Apply the look to the running application (once; later calls do nothing)."""
    global _applied
    app = app or QApplication.instance()
    if app is None or _applied:
        return
    _applied = True
    pg.setConfigOptions(antialias=True, background="w", foreground="#333333")
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#f7f8fa"),
        (QPalette.ColorRole.Base, "#ffffff"),
        (QPalette.ColorRole.AlternateBase, "#f2f4f6"),
        (QPalette.ColorRole.Button, "#f2f4f6"),
        (QPalette.ColorRole.Text, "#222222"),
        (QPalette.ColorRole.WindowText, "#222222"),
        (QPalette.ColorRole.ButtonText, "#222222"),
        (QPalette.ColorRole.Highlight, BLUE),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#ffffe8"),
        (QPalette.ColorRole.ToolTipText, "#222222"),
        (QPalette.ColorRole.PlaceholderText, "#8a8a8a"),
    ):
        pal.setColor(role, QColor(color))
    app.setPalette(pal)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(app.styleSheet() + STYLE_SHEET)


def icon(name: str) -> QIcon:
    """The shipped icon ``nnstudio/resources/icons/NAME.svg`` (an empty icon when missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
