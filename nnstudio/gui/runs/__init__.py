"""The window's runs: every run recorded (:class:`~nnstudio.gui.runs.keeper.RunKeeper`),
listed, shown on the Train page's plots and compared (:class:`~nnstudio.gui.runs.panel.RunsDock`).

Not a page: the dock sits beside the pages and reaches the Train page's plots only through
the object the window hands it."""

from nnstudio.gui.runs.keeper import RunKeeper
from nnstudio.gui.runs.panel import RunsDock

__all__ = ["RunKeeper", "RunsDock"]
