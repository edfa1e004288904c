"""The pages of the main window's central tabs, in the order a person meets them.

Each page is a widget class constructed as ``Page(session, parent=None)``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from nnstudio.gui.session import Session

PageFactory = Callable[[Session], QWidget]


def page_factories() -> list[tuple[str, str, PageFactory]]:
    """(objectName, tab title, factory) for every page, in tab order."""
    from nnstudio.gui.design import EditorPanel
    from nnstudio.gui.draw.page import DrawPanel
    from nnstudio.gui.inside import InsightPanel
    from nnstudio.gui.lessons import LessonPage
    from nnstudio.gui.train.view import TrainView

    return [
        ("drawPage", "Draw", DrawPanel),
        ("designPage", "Design", EditorPanel),
        ("trainPage", "Train", TrainView),
        ("insidePage", "Inside", InsightPanel),
        ("lessonPanel", "Lessons", LessonPage),
    ]
