"""Trained weights kept across design edits, so an edit and its undo lose nothing.

A :class:`WeightStore` remembers every parameter array it is shown under its name and shape
(``"fc1/W"`` of shape (784, 128)). When a design is compiled again after an edit, each
parameter of the new network takes the remembered array of the same name and shape; a
parameter whose shape changed starts fresh while the remembered one stays aside, so undoing
the edit brings it back. The store lives apart from any network, so nothing is lost while a
design is briefly invalid (a link deleted, then restored) and has no network at all.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

#: shapes remembered per parameter name (the oldest variant is forgotten first)
MAX_VARIANTS = 8


class WeightStore:
    """Parameter arrays by name and shape, newest last."""

    def __init__(self) -> None:
        self._arrays: OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._arrays)

    def clear(self) -> None:
        """Forget everything (a new design, or fresh weights on purpose)."""
        self._arrays.clear()

    def remember(self, weights: dict[str, np.ndarray]) -> None:
        """Keep copies of ``weights`` (name -> array of any shape), replacing the arrays
        remembered under the same name and shape."""
        for name, value in weights.items():
            key = (name, tuple(int(s) for s in np.shape(value)))
            self._arrays.pop(key, None)
            self._arrays[key] = np.array(value, copy=True)
            self._forget_old(name)

    def _forget_old(self, name: str) -> None:
        keys = [k for k in self._arrays if k[0] == name]
        for key in keys[:-MAX_VARIANTS]:
            del self._arrays[key]

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
        """A copy of the array remembered as ``name`` with ``shape``, or None."""
        value = self._arrays.get((name, tuple(int(s) for s in shape)))
        return None if value is None else value.copy()

    def names(self) -> set[str]:
        """Every parameter name with at least one remembered array."""
        return {name for name, _ in self._arrays}

    def fill(self, fresh: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[str]]:
        """Weights for a newly compiled network.

        Parameters
        ----------
        fresh : dict
            The new network's own (freshly initialised) weights, name -> array.

        Returns
        -------
        (weights, started_fresh)
            ``weights`` has the keys and shapes of ``fresh``: the remembered array where the
            name and shape match, else the fresh one. ``started_fresh`` lists the names that
            were remembered only with another shape (their trained values are set aside),
            in the order of ``fresh``.
        """
        known = self.names()
        out: dict[str, np.ndarray] = {}
        started_fresh: list[str] = []
        for name, value in fresh.items():
            kept = self.get(name, np.shape(value))
            if kept is not None:
                out[name] = kept
            else:
                out[name] = value
                if name in known:
                    started_fresh.append(name)
        return out, started_fresh


def layers_of(names: list[str]) -> list[str]:
    """Layer ids of parameter names (``"fc1/W"`` -> ``"fc1"``), each once, in order."""
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name.split("/", 1)[0], None)
    return list(seen)


def nonfinite_layers(weights: dict[str, np.ndarray]) -> list[str]:
    """Layer ids whose parameters hold NaN or infinite values, in order (empty when all are
    finite numbers)."""
    return layers_of([name for name, value in weights.items()
                      if not np.isfinite(np.asarray(value)).all()])
