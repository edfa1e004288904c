"""The list of problems in the design; clicking one selects the layer it belongs to."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from nnstudio.gui.design import theme


class ProblemList(QListWidget):
    """Every error of ``session.analysis`` with its fix (objectName ``designProblems``).

    Signals
    -------
    nodeChosen(str)
        The person clicked a problem that belongs to a layer.
    """

    nodeChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("designProblems")
        self.setWordWrap(True)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setSpacing(2)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # text wraps
        self.setStyleSheet(
            "QListWidget { background: white; font-size: 9pt; }"
            "QListWidget::item { padding: 5px; border-radius: 6px; }"
            "QListWidget::item:hover { background: #fce8e6; }"
            "QListWidget::item:selected { background: #fad2cf; color: #202124; }")
        self.itemClicked.connect(self._clicked)
        self.ok = True

    def set_errors(self, errors: list) -> None:
        """Show ``errors`` (DesignError objects: ``message``, ``fix``, ``node_id``)."""
        self.clear()
        self.ok = not errors
        if not errors:
            item = QListWidgetItem("✓  No problems: the design is ready to train.")
            item.setForeground(QColor(theme.OK))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)
            return
        for err in errors:
            named = not err.node_id or f"'{err.node_id}'" in err.message
            where = "" if named else f"{err.node_id}: "
            text = f"⚠  {where}{err.message}"
            if err.fix:
                text += f"\n     Fix: {err.fix}"
            item = QListWidgetItem(text)
            item.setForeground(QColor(theme.ERROR if err.node_id else theme.TEXT))
            item.setData(Qt.ItemDataRole.UserRole, err.node_id)
            item.setToolTip(str(err) + ("\n(click to select the layer)" if err.node_id else ""))
            self.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(Qt.ItemDataRole.UserRole)
        if node_id:
            self.nodeChosen.emit(str(node_id))
