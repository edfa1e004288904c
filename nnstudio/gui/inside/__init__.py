"""The Inside page: views that make what happens inside a network visible."""

from nnstudio.gui.inside.panel import InsightPanel

__all__ = ["InsightPanel"]
