"""The comparison under the Runs list: x axis, smoothing, the settings that differ, and the
design diff.

:class:`CompareView` shows what the runs ticked in the list differ in: a table of their
settings (only the rows that differ, or all with "All settings"), and, when their designs
differ, the layers the later ones add, remove or change against the first. The x axis
(epoch, samples seen, training seconds) and the smoothing weight (TensorBoard's debiased
moving average) apply to the curves drawn on the Train page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.runs.compare import AXES, design_diff, settings_table
from nnstudio.runs.listing import RunError
from nnstudio.runs.reader import Run

__all__ = ["CompareView"]


class CompareView(QWidget):
    """Axis, smoothing and differences of the ticked runs (objectName ``runsCompare``).

    Signals
    -------
    curvesChanged()
        The x axis or the smoothing changed: the curves are drawn again.
    """

    curvesChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsCompare")
        self._runs: list[Run] = []
        self._names: list[str] = []
        self._colors: list[str] = []

        self.axis = QComboBox()
        self.axis.setObjectName("runsXAxis")
        for key, label in AXES.items():
            self.axis.addItem(label, key)
        self.axis.setToolTip("What the x axis of the compared curves counts")
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setObjectName("runsSmoothing")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setToolTip("Smoothing of the compared curves (TensorBoard's debiased "
                                  "moving average; 0 shows them as they are)")
        self.smoothing_text = QLabel()
        self.smoothing_text.setObjectName("runsSmoothingValue")
        self.all_rows = QCheckBox("All settings")
        self.all_rows.setObjectName("runsDiffAll")
        self.all_rows.setToolTip("Show every setting, not only those that differ")
        self.table = QTableWidget()
        self.table.setObjectName("runsDiffTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(4 * self.table.verticalHeader().defaultSectionSize())
        self.design = QLabel()
        self.design.setObjectName("runsDesignDiff")
        self.design.setWordWrap(True)
        self.design.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel("Tick two or more runs to compare them.")
        self.hint.setObjectName("runsCompareHint")
        self.hint.setWordWrap(True)

        grid = QGridLayout()
        grid.addWidget(QLabel("x axis"), 0, 0)
        grid.addWidget(self.axis, 0, 1, 1, 2)
        grid.addWidget(QLabel("Smoothing"), 1, 0)
        grid.addWidget(self.smoothing, 1, 1)
        grid.addWidget(self.smoothing_text, 1, 2)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addLayout(grid)
        layout.addWidget(self.hint)
        layout.addWidget(self.all_rows)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.design)

        self.axis.currentIndexChanged.connect(lambda _i: self.curvesChanged.emit())
        self.smoothing.valueChanged.connect(self._on_smoothing)
        self.all_rows.toggled.connect(lambda _on: self._fill())
        self._on_smoothing(self.smoothing.value(), emit=False)
        self.set_runs([], [], [])

    @property
    def axis_key(self) -> str:
        return str(self.axis.currentData())

    @property
    def weight(self) -> float:
        """The smoothing weight in [0, 0.99]."""
        return self.smoothing.value() / 100.0

    def _on_smoothing(self, value: int, emit: bool = True) -> None:
        self.smoothing_text.setText(f"{value / 100:.2f}")
        if emit:
            self.curvesChanged.emit()

    def set_runs(self, runs: list[Run], names: list[str], colors: list[str]) -> None:
        """Compare ``runs`` (named ``names``, drawn in ``colors``)."""
        self._runs, self._names, self._colors = runs, names, colors
        self.hint.setVisible(len(runs) < 2)
        for w in (self.all_rows, self.table):
            w.setVisible(len(runs) >= 2)
        self._fill()

    def _fill(self) -> None:
        runs = self._runs
        if len(runs) < 2:
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.design.setText("")
            self.design.setVisible(False)
            return
        keys, rows = settings_table(runs, all_rows=self.all_rows.isChecked())
        self.table.clear()
        self.table.setColumnCount(len(runs))
        self.table.setRowCount(len(keys))
        self.table.setHorizontalHeaderLabels(self._names)
        for j, color in enumerate(self._colors):
            head = self.table.horizontalHeaderItem(j)
            if head is not None:
                head.setForeground(QColor(color))
        self.table.setVerticalHeaderLabels(keys)
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(text))
        if not keys:
            self.table.setRowCount(1)
            self.table.setVerticalHeaderLabels([""])
            self.table.setItem(0, 0, QTableWidgetItem("same settings"))
        self._fill_design()

    def _fill_design(self) -> None:
        lines = []
        try:
            first = self._runs[0].design()
            for run, name in zip(self._runs[1:], self._names[1:], strict=True):
                diff = design_diff(first, run.design())
                if diff:
                    lines.append(f"<b>{_html(name)}</b> against <b>{_html(self._names[0])}"
                                 "</b>:<br>" + "<br>".join(_html(d) for d in diff))
        except RunError as err:
            lines.append(_html(str(err)))
        self.design.setText("<br>".join(lines))
        self.design.setVisible(bool(lines))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
