"""The network-diagram editor: the Design page.

Three parts, as in the Orange canvas: the design model (``nnstudio.core.design``, no graphics),
the scene items (:mod:`.items`, :mod:`.scene`, :mod:`.view`: no model imports) and the
controller (:mod:`.controller`) that mirrors the model into the scene and turns requests into
undoable commands (:mod:`.commands`). :class:`EditorPanel` puts them together with the palette,
the inspector, the problem list and the neuron view.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EditorPanel"]


def __getattr__(name: str) -> Any:
    if name == "EditorPanel":
        from nnstudio.gui.design.panel import EditorPanel

        return EditorPanel
    raise AttributeError(f"module 'nnstudio.gui.design' has no attribute {name!r}")
