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
    pages: list[tuple[str, str, PageFactory]] = []
    from nnstudio.gui.draw.page import DrawPanel

    pages.insert(0, ("drawPage", "Draw", DrawPanel))
    from nnstudio.gui.design import EditorPanel

    pages.append(("designPage", "Design", EditorPanel))
    from nnstudio.gui.train.view import TrainView

    pages.append(("trainPage", "Train", TrainView))
    from nnstudio.gui.inside import InsightPanel

    pages.append(("insidePage", "Inside", InsightPanel))
    return pages
