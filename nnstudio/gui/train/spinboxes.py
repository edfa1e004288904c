"""Spin boxes of the Training dock: learning rates over decades, batch sizes by doubling.

A number typed outside a :class:`LogSpinBox`'s range is not silently replaced by the old value:
the box says so with ``outOfRange`` and the panel tells the person.
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

_FLOAT_RE = re.compile(r"^\s*[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d*)?\s*$")


def _nice_steps(lo: float, hi: float) -> list[float]:
    """1-2-5 series from ``lo`` to ``hi`` (both > 0)."""
    out: list[float] = []
    e = math.floor(math.log10(lo))
    while True:
        for m in (1.0, 2.0, 5.0):
            v = float(f"{m * 10.0**e:.12g}")
            if v > hi * 1.0000001:
                return out
            if v >= lo * 0.9999999:
                out.append(v)
        e += 1


class LogSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades (learning rates, L2): the arrows walk the
    1-2-5 series (0.001, 0.002, 0.005, 0.01, ...), any number can be typed (``3e-4`` too).

    Parameters
    ----------
    minimum, maximum : float
        The range; ``allow_zero`` adds 0 below ``minimum`` ("off").
    """

    #: a number outside the range was typed (it is not applied; the old value stays)
    outOfRange = Signal(float)

    def __init__(self, minimum: float, maximum: float, *, allow_zero: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._allow_zero = allow_zero
        self._steps = _nice_steps(minimum, maximum)
        self.setDecimals(10)
        self.setRange(0.0 if allow_zero else minimum, maximum)
        self.setKeyboardTracking(False)
        self.setAccelerated(True)
        if allow_zero:
            self.setSpecialValueText("0 (off)")

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.4g}" if value else "0"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        t = text.strip().replace(",", ".")
        if t in ("", ".", "e", "0 (off)"):
            return QValidator.State.Intermediate, text, pos
        if _FLOAT_RE.match(t):
            try:
                v = float(t)
            except ValueError:
                return QValidator.State.Intermediate, text, pos
            ok = self.minimum() <= v <= self.maximum()
            return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate,
                    text, pos)
        if re.match(r"^\s*[+]?[\d.]*[eE]?[-+]?\d*\s*$", t):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def _check_typed(self) -> None:
        """Tell (``outOfRange``) when the typed text is a number outside the range: Qt would
        silently put the old value back."""
        text = self.lineEdit().text().strip().replace(",", ".")
        try:
            v = float(text)
        except ValueError:
            return
        if math.isfinite(v) and not self.minimum() <= v <= self.maximum():
            self.outOfRange.emit(v)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._check_typed()
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._check_typed()
        super().focusOutEvent(event)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        v = self.value()
        seq = ([0.0] if self._allow_zero else []) + self._steps
        if steps > 0:
            bigger = [s for s in seq if s > v * 1.0000001 and s > 0 or (v == 0 and s > 0)]
            idx = min(steps, len(bigger)) - 1
            if bigger and idx >= 0:
                self.setValue(bigger[idx])
        elif steps < 0:
            smaller = [s for s in seq if s < v * 0.9999999]
            idx = len(smaller) - min(-steps, len(smaller))
            if smaller:
                self.setValue(smaller[idx])
        self.editingFinished.emit()


class DoublingSpinBox(QSpinBox):
    """Batch sizes: the arrows double and halve."""

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        v = self.value()
        for _ in range(abs(steps)):
            v = v * 2 if steps > 0 else max(self.minimum(), v // 2)
        self.setValue(min(v, self.maximum()))
