"""The Runs list's table: one row per run record, the "show" tick and the editable name.

:class:`RunsModel` holds the :class:`~nnstudio.runs.listing.RunSummary` of every run in the
folder and which are shown on the plots; :class:`RunsFilter` keeps the rows of one design
and one data source. Renaming a run in the table writes its ``name.txt`` at once.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from PySide6 import __version_info__ as PYSIDE_VERSION
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from nnstudio.runs.listing import RunError, RunSummary
from nnstudio.runs.manage import rename_run

__all__ = ["COLUMNS", "RunsFilter", "RunsModel", "length_text", "when_text"]

#: column titles; column 0 is the "show on the plots" tick
COLUMNS = ("Show", "Name", "Best", "State", "When", "Design", "Data", "Length")
SHOW, NAME, BEST, STATE, WHEN, DESIGN, DATA, LENGTH = range(len(COLUMNS))
_STATE_COLORS = {"running": "#0877bd", "interrupted": "#8a5a12", "damaged": "#b4441b",
                 "failed": "#b4441b", "diverged": "#b4441b"}
_Index = QModelIndex | QPersistentModelIndex


def when_text(created: str) -> str:
    """``"12-07 19:43"`` for an ISO time stamp (the text itself when it is not one)."""
    try:
        return _dt.datetime.fromisoformat(created).strftime("%m-%d %H:%M")
    except ValueError:
        return created


def length_text(s: RunSummary) -> str:
    """``"5 epochs · 0:42"``: epochs trained and training time."""
    m, sec = divmod(int(s.elapsed), 60)
    h, m = divmod(m, 60)
    clock = f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
    return f"{s.epochs} epoch{'s' if s.epochs != 1 else ''} · {clock}"


def _started(s: RunSummary) -> tuple[str, int]:
    """Sort key by start: the id's time stamp (to the second), then when its run.json was
    written."""
    try:
        ns = os.stat(s.path / "run.json").st_mtime_ns
    except OSError:
        ns = 0
    return s.id[:15], ns


class RunsModel(QAbstractTableModel):
    """Every run of a runs folder, newest first.

    Signals
    -------
    shownChanged()
        A run was ticked or unticked for the plots.
    problem(str)
        Something asked of a row could not be done (a sentence for the person).
    """

    shownChanged = Signal()
    problem = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        self.shown: list[str] = []          # run ids, in the order they were ticked
        self.colors: dict[str, str] = {}    # run id -> its colour on the plots

    # ------------------------------------------------------------ contents
    def set_runs(self, runs: list[RunSummary]) -> None:
        """Show ``runs`` (any order; listed newest first); ticks of runs still there stay."""
        self.beginResetModel()
        self.runs = sorted(runs, key=_started, reverse=True)
        ids = {r.id for r in self.runs}
        kept = [i for i in self.shown if i in ids]
        self.endResetModel()
        if kept != self.shown:
            self.shown = kept
            self.shownChanged.emit()

    def add_run(self, summary: RunSummary) -> None:
        """Add the row of a new run (the newest: at the top)."""
        row = 0
        key = _started(summary)
        while row < len(self.runs) and _started(self.runs[row]) > key:
            row += 1
        self.beginInsertRows(QModelIndex(), row, row)
        self.runs.insert(row, summary)
        self.endInsertRows()

    def update_run(self, summary: RunSummary) -> bool:
        """Replace the row of ``summary``'s run; False when it has none."""
        for row, r in enumerate(self.runs):
            if r.path == summary.path:
                self.runs[row] = summary
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return True
        return False

    def row_of(self, path: Path) -> int:
        for row, r in enumerate(self.runs):
            if r.path == path:
                return row
        return -1

    def summary(self, index: _Index) -> RunSummary | None:
        return self.runs[index.row()] if index.isValid() and index.row() < len(self.runs) \
            else None

    def set_shown(self, run_id: str, on: bool) -> None:
        """Tick (or untick) a run for the plots."""
        if on == (run_id in self.shown):
            return
        if on:
            self.shown.append(run_id)
        else:
            self.shown.remove(run_id)
        row = next((i for i, r in enumerate(self.runs) if r.id == run_id), -1)
        if row >= 0:
            self.dataChanged.emit(self.index(row, SHOW), self.index(row, SHOW))
        self.shownChanged.emit()

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        s = self.summary(index)
        if index.column() == SHOW and s is not None and s.state != "damaged":
            f |= Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == NAME and s is not None and s.state != "damaged":
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        s = self.summary(index)
        if s is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == SHOW:
            return Qt.CheckState.Checked if s.id in self.shown else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == SHOW and s.id in self.shown:
            return QColor(self.colors.get(s.id, "#777777"))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(s, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if s.state == "damaged":
                return f"This record is damaged: {s.problem}."
            return f"{s.name}\n{s.id}" + (f"\n{s.message}" if s.message else "")
        if role == Qt.ItemDataRole.ForegroundRole and col == STATE and s.state in _STATE_COLORS:
            return QColor(_STATE_COLORS[s.state])
        return None

    @staticmethod
    def _text(s: RunSummary, col: int) -> str:
        if col == NAME:
            return s.name
        if col == WHEN:
            return when_text(s.created)
        if col == DESIGN:
            return s.design
        if col == DATA:
            return s.data
        if col == BEST:
            return s.best_text
        if col == LENGTH:
            return length_text(s) if s.state != "damaged" else ""
        if col == STATE:
            return s.state
        return ""

    def setData(self, index: _Index, value: Any,  # noqa: N802 - Qt override
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        s = self.summary(index)
        if s is None:
            return False
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == SHOW:
            on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
                else value
            self.set_shown(s.id, bool(on))
            return True
        if role == Qt.ItemDataRole.EditRole and index.column() == NAME:
            try:
                s.name = rename_run(s.path, str(value))
            except (RunError, OSError) as err:
                self.problem.emit(f"The run could not be renamed: {err}")
                return False
            self.dataChanged.emit(index, index)
            self.shownChanged.emit()   # legends show the new name
            return True
        return False


class RunsFilter(QSortFilterProxyModel):
    """Keeps the runs of one design and one data source ("" keeps all)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.want_design = ""
        self.want_data = ""

    def set_filter(self, design: str, data: str) -> None:
        if PYSIDE_VERSION >= (6, 9):                     # invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self.want_design, self.want_data = design, data
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.want_design, self.want_data = design, data
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, RunsModel)
        s = model.runs[row]
        return (not self.want_design or s.design == self.want_design) and \
            (not self.want_data or s.data == self.want_data)
