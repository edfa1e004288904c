"""Keeping the person's own work aside while a lesson borrows the window.

:class:`Keeper` takes a moment of the window's state when a lesson starts
(:func:`nnstudio.gui.moments.take_moment`: the design with its undo history, the weights, the
data, the training settings, the curves, the page and views on screen, by value) and puts it
back whole when the lesson ends. The design object itself is kept, not a copy: nothing the
lesson does can reach it, because the session stops listening to it while it is set aside.

Training settings, the lesson's and the person's own alike, go through the controller's
``apply_settings`` (:func:`apply_settings`), so the Training panel and every other view
that shows them hear of the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nnstudio.gui.moments import put_back, take_moment
from nnstudio.state import Moment

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow


class Keeper:
    """The person's state, taken from the window by :meth:`take`, given back by :meth:`give_back`.

    Parameters
    ----------
    window : MainWindow
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.moment: Moment | None = None

    @property
    def held(self) -> bool:
        """Whether the person's state is set aside now."""
        return self.moment is not None

    def take(self) -> None:
        """Set the person's state aside (call once when a lesson starts)."""
        self.moment = take_moment(self.window)

    def give_back(self) -> None:
        """Put the person's state back exactly as it was taken."""
        moment, self.moment = self.moment, None
        if moment is not None:
            put_back(self.window, moment)


#: a lesson's setting name (``settings: lr=0.01 val=20``) -> the training config's field
SETTING_FIELDS = {"lr": "lr", "batch": "batch_size", "epochs": "epochs",
                  "optimizer": "optimizer", "l2": "weight_decay", "val": "val_split",
                  "shift": "augment_shift", "seed": "seed"}


def config_fields(settings: dict[str, Any]) -> dict[str, Any]:
    """A lesson's settings as training config fields: ``{"val": 20, "batch": 4}`` ->
    ``{"val_split": 0.2, "batch_size": 4}`` (``val`` is a percentage)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        name = SETTING_FIELDS[key]
        out[name] = float(value) / 100.0 if key == "val" else value
    return out


def apply_settings(window: Any, settings: dict[str, Any]) -> None:
    """Change training settings the way the Training panel does: through the controller,
    which tells the panel (``configChanged``), so it shows them."""
    window.controller.apply_settings(**config_fields(settings))
