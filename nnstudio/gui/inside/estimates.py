"""Estimates: a regression model's answers in the target's own units (car prices in dollars).

A table of the first samples: their features, the true value, the model's estimate, the
difference and the squared difference, and under it the cost ``J = 1/m Σ (y − ŷ)²`` over
all samples, updating with every snapshot while training. Training works on standardised
numbers; the table shows them turned back into dollars (a toggle shows them standardised,
as gradient descent sees them, with the reason it needs them). Numbers are computed in
float64 by :func:`nnstudio.core.insight.regression.estimate_table`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nnstudio.core.insight.regression import (
    EstimateTable,
    estimate_table,
    float64_predictor,
    format_value,
)
from nnstudio.gui.inside.base import InsightView, network_fits_dataset
from nnstudio.gui.inside.style import GREY, INK

MAX_ROWS = 12
#: why gradient descent needs standardised numbers (shown under the toggle)
WHY_STANDARDISE = (
    "Gradient descent needs standardised numbers: raw, the cost of production is in tens of "
    "thousands and the rating about 4, so the cost is thousands of times steeper along one "
    "weight than along another and no single learning rate suits both; standardised, every "
    "column is (value − mean) / standard deviation, about −2 to 2.")


class EstimatesView(InsightView):
    """The model's estimate for each sample, its error and the cost, in the data's units."""

    title = "Estimates"
    hint = ("For each sample: what it is worth, what the network estimates, and the "
            "difference (true − estimate; positive when the estimate is too low). The cost J "
            "is the average of the squared differences over all samples: 0 means every "
            "estimate is exact. Training lowers it.")

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=100)
        self.setObjectName("estimatesView")
        self.standardised = QCheckBox("Show standardised values (as gradient descent sees them)")
        self.standardised.setObjectName("estimatesStandardised")
        self.standardised.toggled.connect(self._on_toggle)
        self.body.addWidget(self.standardised)
        self.why = QLabel(WHY_STANDARDISE)
        self.why.setObjectName("estimatesWhy")
        self.why.setWordWrap(True)
        self.why.setStyleSheet(f"color: {GREY};")
        self.body.addWidget(self.why)
        self.table = QTableWidget()
        self.table.setObjectName("estimatesTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.body.addWidget(self.table, 1)
        self.cost = QLabel("")
        self.cost.setObjectName("estimatesCost")
        self.cost.setWordWrap(True)
        self.cost.setTextFormat(Qt.TextFormat.RichText)
        self.cost.setStyleSheet(f"color: {INK}; font-size: 12pt;")
        self.body.addWidget(self.cost)
        self.result: EstimateTable | None = None

    def _on_toggle(self) -> None:
        self.refresh_now()

    def refresh(self) -> None:
        net, ds = self.session.network, self.session.dataset
        if net is None:
            self.show_message("There is no network to ask yet: the design has a problem "
                              "(the Design page says which).")
            return
        if ds is None:
            self.show_message("Choose a dataset in the Training panel, e.g. “cars”.")
            return
        if ds.task != "regression":
            self.show_message("Estimates are for regression, a network that predicts a number "
                              "such as a price. Choose “cars” in the Training panel and the "
                              "“linear” template to see them.")
            return
        if not network_fits_dataset(net, ds):
            self.show_message(f"The dataset “{ds.name}” does not fit this network (see the "
                              "Training panel), so it cannot estimate it.")
            return
        try:
            table = estimate_table(ds, float64_predictor(net), self.standardised.isChecked(),
                                   MAX_ROWS)
        except ValueError as err:
            self.show_message(f"No estimates for “{ds.name}”: {err}.")
            return
        self.show_body()
        self.result = table
        self._fill(table)

    def _fill(self, t: EstimateTable) -> None:
        unit = t.unit
        target = t.target
        word = str(self.session.dataset.meta.get("item", "sample"))
        heads = ([word] + list(t.feature_names)
                 + [f"true {target}", "estimate ŷ", "difference y − ŷ", "squared (y − ŷ)²"])
        if self.table.columnCount() != len(heads):
            self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(t.rows))
        digits = 3 if t.standardized else 1
        for r, row in enumerate(t.rows):
            cells = ([row.name] + [format_value(v, "", 3 if t.standardized else 1)
                                   for v in row.features]
                     + [format_value(row.true, unit, digits),
                        format_value(row.estimate, unit, digits),
                        format_value(row.difference, unit, digits),
                        format_value(row.squared, t.cost_unit, digits)])
            for c, text in enumerate(cells):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(r, c, item)
                item.setText(text)
        which = "standardised" if t.standardized else (
            "in dollars" if unit == "$" else f"in {unit}" if unit else "in the data's own units")
        shown = "" if t.m <= len(t.rows) else f" (the table shows the first {len(t.rows)})"
        self.cost.setText(
            f"Cost J = 1/m Σ (y − ŷ)² = <b>{format_value(t.cost, t.cost_unit, digits)}</b>"
            f" over m = {t.m:,} {word}s{shown}, {which}.")
