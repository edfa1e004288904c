"""A list of weights to pick from that can also be searched, and reaches any weight by name.

The cost surface view offers, for every unit of every layer, the weight that matters most
(:func:`~nnstudio.core.insight.cost.weights_that_matter`). Typing filters that list (any
part of a name: "fc2", "[3", "pixel"), and a name typed in full, such as
``fc1 weight [300, 5]``, reaches a weight the list does not hold: :attr:`typed` hands it to
the view, which checks it and adds it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

__all__ = ["WeightChooser"]


class WeightChooser(QComboBox):
    """An editable, searchable list of weights.

    Signals
    -------
    typed(str)
        The person finished typing a text that is none of the listed names.
    """

    typed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.setToolTip("Pick a weight, or type to search: any part of a name, or a whole "
                        "name such as “fc1 weight [300, 5]” for a weight not listed")
        self.lineEdit().editingFinished.connect(self._on_edited)
        self.currentIndexChanged.connect(lambda _i: self.show_start())

    def _on_edited(self) -> None:
        text = self.currentText().strip()
        if not text:
            self.restore()
            return
        i = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if i >= 0:
            if i != self.currentIndex():
                self.setCurrentIndex(i)
            else:
                self.restore()
            return
        self.typed.emit(text)

    def restore(self) -> None:
        """Show the chosen item's name again (after a text that named nothing)."""
        self.lineEdit().setText(self.itemText(self.currentIndex()))
        self.show_start()

    def show_start(self) -> None:
        """A name longer than the box shows from its start (the layer), not its end."""
        self.lineEdit().setCursorPosition(0)
