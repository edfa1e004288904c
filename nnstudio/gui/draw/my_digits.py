"""Review your own digits: every stored drawing with its label, to relabel or delete.

The person's digits (:class:`nnstudio.data.mine.UserDigits`) are shown as a grid of pictures,
newest first. A label button gives the selected digits that label; Delete removes them. Every
change is written to the store at once and can be taken back with Undo (Ctrl+Z), so no click
loses a drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.data.mine import UserDigits
from nnstudio.gui.pictures import thumbnail


@dataclass
class _Change:
    """One undoable change: relabels ``(id, old label)`` or deleted ``(image, label)``."""

    text: str
    relabelled: list[tuple[int, int]] = field(default_factory=list)
    deleted: list[tuple[np.ndarray, int]] = field(default_factory=list)


class MyDigitsDialog(QDialog):
    """The grid of the person's digits (objectName ``myDigitsDialog``).

    Parameters
    ----------
    store : UserDigits
        The person's digits; every change is saved to it at once.

    Signals
    -------
    changed()
        Digits were relabelled, deleted or restored.
    """

    changed = Signal()

    def __init__(self, store: UserDigits, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("myDigitsDialog")
        self.setWindowTitle("Your digits")
        self.store = store
        self._undo: list[_Change] = []
        self.grid = QListWidget()
        self.grid.setObjectName("myDigitsGrid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(56, 56))
        self.grid.setGridSize(QSize(72, 84))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.grid.setUniformItemSizes(True)
        self.grid.itemSelectionChanged.connect(self._update_buttons)
        self.summary = QLabel("")
        self.summary.setObjectName("myDigitsSummary")
        self.status = QLabel("")
        self.status.setObjectName("myDigitsStatus")
        self.status.setFixedHeight(self.status.fontMetrics().lineSpacing() + 8)
        self.label_buttons: list[QPushButton] = []
        labels = QHBoxLayout()
        labels.setSpacing(3)
        labels.addWidget(QLabel("Label the selected as"))
        for d in range(10):
            b = QPushButton(str(d))
            b.setObjectName(f"relabelButton{d}")
            b.setFixedSize(30, 28)
            b.setToolTip(f"The selected digits are {d}s")
            b.clicked.connect(lambda _=False, d=d: self.relabel_selected(d))
            labels.addWidget(b)
            self.label_buttons.append(b)
        labels.addStretch(1)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("deleteDigits")
        self.delete_button.setToolTip("Remove the selected digits (Del); Undo brings them back")
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoDigitChange")
        self.undo_button.setToolTip("Take back the last relabel or delete (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addWidget(self.undo_button)
        actions.addStretch(1)
        actions.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.grid, 1)
        lay.addLayout(labels)
        lay.addLayout(actions)
        lay.addWidget(self.status)
        self.resize(620, 460)
        self.reload()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------------ showing
    def reload(self) -> None:
        """Show what the store holds now (newest first), keeping the selection."""
        chosen = set(self.selected_ids())
        self.grid.clear()
        digits = self.store.list()
        for digit in reversed(digits):
            img = self.store.image(digit.id)
            item = QListWidgetItem(QIcon(QPixmap.fromImage(thumbnail(img, 2))),
                                   f"{digit.label}")
            item.setData(Qt.ItemDataRole.UserRole, digit.id)
            item.setToolTip(f"Labelled {digit.label}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)
            item.setSelected(digit.id in chosen)
        counts = np.bincount([d.label for d in digits], minlength=10)
        per = ", ".join(f"{c}× {d}" for d, c in enumerate(counts) if c)
        self.summary.setText(f"<b>{len(digits)}</b> digits of yours" + (f": {per}" if per
                                                                         else "") +
                             ". Select some, then give them a label or delete them.")
        self._update_buttons()

    def selected_ids(self) -> list[int]:
        """Ids of the selected digits, in grid order."""
        return [int(it.data(Qt.ItemDataRole.UserRole)) for it in self.grid.selectedItems()]

    def _update_buttons(self) -> None:
        any_selected = bool(self.grid.selectedItems())
        for b in [*self.label_buttons, self.delete_button]:
            b.setEnabled(any_selected)
        self.undo_button.setEnabled(bool(self._undo))
        self.undo_button.setToolTip(f"Undo: {self._undo[-1].text}" if self._undo
                                    else "Nothing to undo")

    # ------------------------------------------------------------------ changes
    def relabel_selected(self, label: int) -> None:
        """Give every selected digit ``label`` (one undo step)."""
        labels = {d.id: d.label for d in self.store.list()}
        change = _Change(f"label {len(self.selected_ids())} as {label}")
        error = None
        try:
            for digit_id in self.selected_ids():
                if labels.get(digit_id, label) != label:
                    self.store.relabel(digit_id, label)
                    change.relabelled.append((digit_id, labels[digit_id]))
        except (OSError, ValueError, KeyError) as err:
            error = f"Could not change the label: {err}"
        n = len(change.relabelled)
        self._finish(change, error or f"Labelled {n} digit{'s' if n != 1 else ''} as {label}.")

    def delete_selected(self) -> None:
        """Delete the selected digits (one undo step: Undo brings them back)."""
        ids = self.selected_ids()
        if not ids:
            return
        labels = {d.id: d.label for d in self.store.list()}
        change = _Change(f"delete {len(ids)}")
        error = None
        try:
            for digit_id in ids:
                image = self.store.image(digit_id)
                self.store.delete(digit_id)
                change.deleted.append((image, labels[digit_id]))
        except (OSError, ValueError, KeyError) as err:
            error = f"Could not delete: {err}"
        n = len(change.deleted)
        self._finish(change, error or f"Deleted {n} digit{'s' if n != 1 else ''}; Undo "
                     f"brings {'them' if n != 1 else 'it'} back.")

    def undo(self) -> None:
        """Take back the last relabel or delete."""
        if not self._undo:
            return
        change = self._undo.pop()
        try:
            for digit_id, old in change.relabelled:
                self.store.relabel(digit_id, old)
            for image, label in change.deleted:
                self.store.add(image, label)
        except (OSError, ValueError, KeyError) as err:
            self.status.setText(f"Could not undo: {err}")
        else:
            self.status.setText(f"Undone: {change.text}.")
        self.reload()
        self.changed.emit()

    def _finish(self, change: _Change, text: str) -> None:
        if change.relabelled or change.deleted:
            self._undo.append(change)
        self.status.setText(text)
        self.reload()
        self.changed.emit()
