"""Finding and reading the controls a lesson may name, and nothing else.

A lesson names controls by the objectNames of :data:`nnstudio.lessons.controls.CONTROLS`;
:func:`find_controls` finds only those, never the window itself or anything in the Lesson
panel. A ``widget NAME.READING`` check is read by the one reader :data:`READERS` has for that
reading: a fixed call on a known kind of widget, never an attribute the lesson spells out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from nnstudio.lessons.controls import CONTROLS, reading


def _value(obj: Any) -> float | None:
    if isinstance(obj, QSpinBox | QDoubleSpinBox | QAbstractSlider):
        return float(obj.value())
    if isinstance(obj, QLineEdit):
        try:
            number = float(obj.text())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(obj: Any) -> str | None:
    if isinstance(obj, QComboBox):
        return obj.currentText()
    if isinstance(obj, QLineEdit | QAbstractButton | QAction):
        return obj.text()
    return None


def _choice(obj: Any) -> str | None:
    if not isinstance(obj, QComboBox):
        return None
    data = obj.currentData()
    return str(data) if isinstance(data, str | int | float) else obj.currentText()


def _checked(obj: Any) -> bool | None:
    if isinstance(obj, QAbstractButton | QAction):
        return bool(obj.isChecked())
    return None


def _enabled(obj: Any) -> bool:
    return bool(obj.isEnabled())


def _visible(obj: Any) -> bool:
    return bool(obj.isVisible())


#: reading -> the one call that reads it (see :data:`nnstudio.lessons.controls.READINGS`)
READERS: dict[str, Callable[[Any], Any]] = {
    "value": _value, "text": _text, "choice": _choice, "checked": _checked,
    "enabled": _enabled, "visible": _visible,
}


def _in_lesson_panel(obj: Any) -> bool:
    """Whether ``obj`` is part of the Lesson dock (a lesson never locks its own panel)."""
    parent = obj.parent() if isinstance(obj, QAction) else obj
    while parent is not None:
        if isinstance(parent, QObject) and parent.objectName() in ("lessonDock",
                                                                    "lessonPanel"):
            return True
        parent = parent.parent()
    return False


def find_controls(window: Any, name: str) -> list[Any]:
    """The widgets and actions of ``window`` with objectName ``name``, when ``name`` is a
    control lessons may name (else none); never the window, never the Lesson panel."""
    if name not in CONTROLS:
        return []
    return [o for o in window.findChildren(QObject, name)
            if isinstance(o, QWidget | QAction) and o is not window
            and not _in_lesson_panel(o)]


def read_control(window: Any, name: str, what: str) -> Any:
    """The reading ``what`` of the control ``name`` (None when it is not in the window or
    cannot be read that way).

    Raises
    ------
    ValueError
        ``name.what`` is not a reading lessons may ask for.
    """
    reading(name, what)
    found = find_controls(window, name)
    return READERS[what](found[0]) if found else None
