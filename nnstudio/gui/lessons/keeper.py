"""Keeping the person's own work aside while a lesson borrows the window.

:class:`Keeper` takes the design object (with its weights, file path, history and unsaved
mark), the data, the training settings, the page and view on screen, and gives all of it back
unchanged when the lesson ends. The design object itself is kept, not a copy: nothing the
lesson does can reach it, because the session stops listening to it while it is set aside.
"""

from __future__ import annotations

from dataclasses import replace
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
        s.set_design(st["design"], path=st["path"], weights=st["weights"],
                     history=st["history"], meta=st["meta"])
        s.set_dirty(bool(st["dirty"]))
        c.data.restore(st["spec"], st["image_size"])
        if s.dataset is not st["dataset"]:
            s.set_dataset(st["dataset"])
        apply_settings(w, _settings_of(st["config"]))
        c.config = replace(st["config"])
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


def _settings_of(cfg: Any) -> dict[str, Any]:
    return {"lr": cfg.lr, "batch": cfg.batch_size, "epochs": cfg.epochs,
            "optimizer": cfg.optimizer, "l2": cfg.weight_decay,
            "val": int(round(cfg.val_split * 100)), "shift": getattr(cfg, "augment_shift", 0),
            "seed": cfg.seed}


#: setting name -> objectName of its widget in the Training panel
SETTING_WIDGETS = {"lr": "lrSpin", "batch": "batchSizeSpin", "epochs": "epochsSpin",
                   "optimizer": "optimizerCombo", "l2": "l2Spin", "val": "valSplitSpin",
                   "shift": "shiftSpin", "seed": "seedSpin"}


def apply_settings(window: Any, settings: dict[str, Any]) -> None:
    """Set training settings through the Training panel's own widgets (so they show them)."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QComboBox

    panel = getattr(window, "training_panel", None)
    cfg = window.controller.config
    for key, value in settings.items():
        widget = panel.findChild(QObject, SETTING_WIDGETS[key]) if panel is not None else None
        if isinstance(widget, QComboBox):
            i = widget.findData(value)
            if i >= 0:
                widget.setCurrentIndex(i)
        elif widget is not None:
            widget.setValue(value)
    # the controller's config is the truth: keep it exact even where a widget rounds
    names = {"lr": "lr", "batch": "batch_size", "epochs": "epochs", "optimizer": "optimizer",
             "l2": "weight_decay", "seed": "seed", "shift": "augment_shift"}
    for key, value in settings.items():
        if key == "val":
            cfg.val_split = float(value) / 100.0
        elif hasattr(cfg, names[key]):
            setattr(cfg, names[key], value)
