"""The palette of layer kinds: drag one onto the diagram, or double-click to add it."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from nnstudio.gui.design import theme
from nnstudio.gui.design.view import LAYER_MIME

PALETTE_KINDS = ("Input", "Dense", "Conv2D", "MaxPool2D", "Flatten", "Dropout", "Activation",
                 "Add", "Concatenate", "Output")


class LayerPalette(QListWidget):
    """List of layer kinds (objectName ``layerPalette``).

    Signals
    -------
    addRequested(str)
        The person double-clicked (or pressed Enter on) a kind.
    """

    addRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIconSize(QSize(22, 22))
        self.setSpacing(1)
        self.setUniformItemSizes(True)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        # no focus frame around the text: a clicked kind looks selected, not like a text field
        # being edited (the selection still shows where the keyboard is)
        self.setStyleSheet(
            "QListWidget { background: transparent; font-size: 10pt; outline: 0; }"
            "QListWidget::item { padding: 5px 6px; border-radius: 6px; color: #202124; }"
            "QListWidget::item:hover { background: #e8f0fe; }"
            "QListWidget::item:selected { background: #d2e3fc; color: #202124; }")
        for kind in PALETTE_KINDS:
            item = QListWidgetItem(theme.kind_icon(kind), kind)
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setToolTip(f"<b>{kind}</b><br>{theme.KINDS[kind][2]}<br><i>Drag onto the "
                            "diagram, or double-click to add it after the selected layer</i>")
            self.addItem(item)
        self.itemActivated.connect(lambda it: self.addRequested.emit(self.kind_of(it)))

    @staticmethod
    def kind_of(item: QListWidgetItem) -> str:
        return str(item.data(Qt.ItemDataRole.UserRole))

    def item_for(self, kind: str) -> QListWidgetItem:
        return self.item(PALETTE_KINDS.index(kind))

    def mime_for(self, kind: str) -> QMimeData:
        """The drag payload for ``kind`` (also used by tests to simulate a drop)."""
        mime = QMimeData()
        mime.setData(LAYER_MIME, QByteArray(kind.encode("utf-8")))
        mime.setText(kind)
        return mime

    def startDrag(self, supported_actions) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        if item is None:
            return
        kind = self.kind_of(item)
        drag = QDrag(self)
        drag.setMimeData(self.mime_for(kind))
        drag.setPixmap(theme.kind_icon(kind, 28).pixmap(28, 28))
        drag.exec(Qt.DropAction.CopyAction)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(150, 36 * len(PALETTE_KINDS))
