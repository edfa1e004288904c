"""Keeping the person's own work aside while a lesson borrows the window.

:class:`Keeper` takes the design object (with its weights, file path, history and unsaved
mark), the data, the training settings, the page and view on screen, and gives all of it back
unchanged when the lesson ends. The design object itself is kept, not a copy: nothing the
lesson does can reach it, because the session stops listening to it while it is set aside.

Training settings, the lesson's and the person's own alike, go through the controller's
``apply_settings`` (:func:`apply_settings`), so the Training panel and every other view
that shows them hear of the change (``configChanged``).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np


class Keeper:
    """The person's state, taken from the window by :meth:`take`, given back by :meth:`give_back`.

    Parameters
    ----------
    window : MainWindow
    """

    def __init__(self, window: Any) -> None:
        self.window = window
        self.held = False
        self._state: dict[str, Any] = {}

    def take(self) -> None:
        """Set the person's state aside (call once when a lesson starts)."""
        w = self.window
        s, c = w.session, w.controller
        net = s.network
        inside = w.pages.get("insidePage")
        design_page = w.pages.get("designPage")
        self._state = {
            "design": s.design,
            "weights": None if net is None else net.get_weights(),
            "path": s.path,
            "meta": dict(s.meta),
            "history": s.history,
            "dirty": s.dirty,
            "dataset": s.dataset,
            "spec": c.data.spec,
            "image_size": c.data.image_size,
            "config": replace(c.config),
            "data_choice": w.training_panel.dataset_combo.currentIndex()
            if hasattr(w, "training_panel") else None,
            "tab": w.tabs.currentIndex(),
            "view": inside.tabs.currentIndex() if hasattr(inside, "tabs") else None,
            "mode": design_page.stack.currentIndex() if hasattr(design_page, "stack") else None,
        }
        self.held = True

    def give_back(self) -> None:
        """Put the person's state back exactly as it was taken."""
        if not self.held:
            return
        w, st = self.window, self._state
        s, c = w.session, w.controller
        if c.running or c.waiting_for_data:
            c.stop()
            c.wait_idle(5000)
        c.data.cancel()
        # the data feed first: the design coming back then finds its image size already
        # set, and reloads nothing (it used to reload the lesson's data at that size)
        c.data.restore(st["spec"], st["image_size"])
        s.set_design(st["design"], path=st["path"], weights=st["weights"],
                     history=st["history"], meta=st["meta"])
        s.set_dirty(bool(st["dirty"]))
        if s.dataset is not st["dataset"]:
            s.set_dataset(st["dataset"])
        c.data.cancel()        # nothing started while putting things back replaces them
        c.apply_settings(**asdict(st["config"]))  # every field, exactly as it was
        panel = getattr(w, "training_panel", None)
        if panel is not None and st["spec"]:
            panel._select_spec(st["spec"])
        elif panel is not None and st["data_choice"] is not None:
            panel.dataset_combo.setCurrentIndex(st["data_choice"])  # nothing was loaded
        w.tabs.setCurrentIndex(st["tab"])
        inside = w.pages.get("insidePage")
        if st["view"] is not None and hasattr(inside, "tabs"):
            inside.tabs.setCurrentIndex(st["view"])
        design_page = w.pages.get("designPage")
        if st["mode"] is not None and hasattr(design_page, "set_mode"):
            design_page.set_mode(st["mode"])
        self.held = False
        self._state = {}

    def same_weights(self, weights: dict[str, np.ndarray] | None) -> bool:
        """Whether ``weights`` equal the kept ones (for tests and checks)."""
        kept = self._state.get("weights")
        if kept is None or weights is None:
            return kept is weights
        return kept.keys() == weights.keys() and all(
            np.array_equal(kept[k], weights[k]) for k in kept)


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
