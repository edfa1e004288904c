"""The Runs dock: every recorded run listed, shown on the plots, compared, opened, exported,
renamed and deleted (with Undo).

:class:`RunsDock` lists the runs folder the window records into (:class:`RunKeeper`), newest
first, filtered by design and data. Ticked runs are drawn over the Train page's plots
(:class:`~nnstudio.gui.runs.overlay.RunOverlay`) and compared under the list
(:class:`~nnstudio.gui.runs.compare_view.CompareView`). A selected run's weights at a
checkpoint can be put in the window as the current network, or exported as a model file.
Delete moves runs to the folder's trash, as ``nnstudio runs rm`` does; Undo brings them back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.runs.actions import open_checkpoint, same_start
from nnstudio.gui.runs.compare_view import CompareView
from nnstudio.gui.runs.keeper import RunKeeper
from nnstudio.gui.runs.overlay import RunOverlay
from nnstudio.gui.runs.table import NAME, SHOW, RunsFilter, RunsModel
from nnstudio.runs.compare import AXES
from nnstudio.runs.listing import RunError, list_runs, read_summary
from nnstudio.runs.manage import export_checkpoint, restore_run, trash_run
from nnstudio.runs.reader import open_run

__all__ = ["RunsDock"]

#: how often the row of a run that is training is read again (ms)
LIVE_MS = 2000
_ALL = ""


class RunsDock(QDockWidget):
    """The Runs list (objectName ``runsDock``).

    Parameters
    ----------
    session : Session
    keeper : RunKeeper
        Which records the window's runs go into (and the runs folder).
    plots : TrainingPlots
        The Train page's plots, which ticked runs are drawn over.
    """

    def __init__(self, session: Any, keeper: RunKeeper, plots: Any,
                 parent: QWidget | None = None) -> None:
        super().__init__("Runs", parent)
        self.setObjectName("runsDock")
        self.session, self.keeper, self.plots = session, keeper, plots
        #: asked before a run's design replaces the window's (e.g. "save your changes?");
        #: False leaves everything as it is
        self.confirm_replace: Callable[[], bool] | None = None
        self.overlay = RunOverlay(plots)
        plots.overlay = self.overlay
        self._deleted: list[str] = []          # run ids in the trash, last deleted last

        self.model = RunsModel(self)
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("runsTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        fm = self.table.fontMetrics()
        for col, sample in enumerate(("Show ", "a run's name lr 0.001", "val acc 99.99%",
                                      "interrupted", "12-07 19:43 ", "design name",
                                      "synthetic:10000", "10 epochs · 0:00")):
            self.table.setColumnWidth(col, fm.horizontalAdvance(sample) + 16)

        self.design_filter = QComboBox()
        self.design_filter.setObjectName("runsDesignFilter")
        self.data_filter = QComboBox()
        self.data_filter.setObjectName("runsDataFilter")
        self.checkpoint = QComboBox()
        self.checkpoint.setObjectName("runsCheckpoint")
        self.checkpoint.setToolTip("The checkpoint whose weights Open and Export use")
        self.open_button = self._button("Open weights", "openRunButton",
                                        "Put this run's weights at the checkpoint in the "
                                        "window as the current network")
        self.export_button = self._button("Export…", "exportRunButton",
                                          "Save the weights at the checkpoint as a model file")
        self.delete_button = self._button("Delete", "deleteRunButton",
                                          "Move the selected runs to the trash")
        self.undo_button = self._button("Undo delete", "undoRunDeleteButton",
                                        "Bring back the run deleted last")
        self.same_button = self._button("Same start", "sameStartButton",
                                        "Start the next run as this one started: its "
                                        "initial weights, seed and batch order")
        self.message = QLabel()
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)
        self.compare = CompareView()

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Design"))
        filters.addWidget(self.design_filter, 1)
        filters.addWidget(QLabel("Data"))
        filters.addWidget(self.data_filter, 1)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Checkpoint"))
        pick.addWidget(self.checkpoint, 1)
        actions = QHBoxLayout()
        for b in (self.open_button, self.export_button, self.same_button):
            actions.addWidget(b, 1)
        edits = QHBoxLayout()
        for b in (self.delete_button, self.undo_button):
            edits.addWidget(b, 1)
        top = QWidget()
        lay = QVBoxLayout(top)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addLayout(pick)
        lay.addLayout(actions)
        lay.addLayout(edits)
        lay.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("runsSplitter")
        split.addWidget(top)
        split.addWidget(self.compare)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.table.setMinimumHeight(5 * self.table.verticalHeader().defaultSectionSize())
        self.setWidget(split)

        self._live = QTimer(self)
        self._live.setInterval(LIVE_MS)
        self._live.timeout.connect(self._update_current)
        self.model.shownChanged.connect(self._draw)
        self.model.problem.connect(self.say)
        self.compare.curvesChanged.connect(self._draw)
        self.design_filter.currentIndexChanged.connect(self._filter)
        self.data_filter.currentIndexChanged.connect(self._filter)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.open_button.clicked.connect(self.open_weights)
        self.export_button.clicked.connect(self.export_weights)
        self.same_button.clicked.connect(self.start_same)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_delete)
        keeper.changed.connect(self._on_record)
        keeper.warned.connect(self.say)
        session.trainingStateChanged.connect(self._on_state)
        self.refresh()

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setToolTip(tip)
        return b

    # ------------------------------------------------------------ listing
    def refresh(self) -> None:
        """Read the runs folder again."""
        self.model.set_runs(list_runs(self.keeper.folder))
        self._fill_filters()
        self._on_selection()

    def _fill_filters(self) -> None:
        for combo, key, every in ((self.design_filter, "design", "All designs"),
                                  (self.data_filter, "data", "All data")):
            current = combo.currentData()
            values = sorted({getattr(r, key) for r in self.model.runs if getattr(r, key)})
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(every, _ALL)
            for v in values:
                combo.addItem(v, v)
            i = combo.findData(current)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self._filter()

    def _filter(self) -> None:
        self.proxy.set_filter(str(self.design_filter.currentData() or ""),
                              str(self.data_filter.currentData() or ""))

    @Slot(str)
    def _on_record(self, path: str) -> None:
        """A record of the window's began, goes on or ended: its row alone is read again."""
        summary = read_summary(path)
        if not self.model.update_run(summary):
            self.model.add_run(summary)
            self._fill_filters()
        if summary.id in self.model.shown:
            self._draw()

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if state in ("running", "paused"):
            self._live.start()
        else:
            self._live.stop()

    def _update_current(self) -> None:
        current = self.keeper.current
        if current is None:
            return
        summary = read_summary(current)
        if self.model.update_run(summary) and summary.id in self.model.shown:
            self._draw()

    def say(self, text: str) -> None:
        """Show a sentence under the list."""
        self.message.setText(text)

    # ------------------------------------------------------------ selection
    def selected(self) -> list:
        """The summaries of the selected rows."""
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.runs[r] for r in sorted(rows) if r < len(self.model.runs)]

    def select(self, run_id: str) -> None:
        """Select the row of run ``run_id``."""
        for row, r in enumerate(self.model.runs):
            if r.id == run_id:
                index = self.proxy.mapFromSource(self.model.index(row, NAME))
                self.table.selectRow(index.row())
                return

    def _on_selection(self, *_args: Any) -> None:
        chosen = self.selected()
        one = chosen[0] if len(chosen) == 1 and chosen[0].state != "damaged" else None
        self.checkpoint.clear()
        if one is not None:
            try:
                run = open_run(one.path)
                ckpts = run.checkpoints()
            except RunError as err:
                self.say(str(err))
                ckpts = []
            best = (one.best or {}).get("checkpoint")
            for c in reversed(ckpts):
                tags = [t for t, ok in (("best", c.n == best), ("last", c is ckpts[-1])) if ok]
                label = f"{c.place} ({', '.join(tags)})" if tags else c.place
                self.checkpoint.addItem(label, c.n)
            i = self.checkpoint.findData(best)
            self.checkpoint.setCurrentIndex(max(i, 0))
        has = self.checkpoint.count() > 0
        for w in (self.checkpoint, self.open_button, self.export_button):
            w.setEnabled(has)
        self.same_button.setEnabled(has and one is not None and 0 in one.checkpoints)
        self.delete_button.setEnabled(bool(chosen))
        self.undo_button.setEnabled(bool(self._deleted))

    # ------------------------------------------------------------ drawing
    def _draw(self) -> None:
        by_id = {r.id: r for r in self.model.runs}
        shown = [by_id[i] for i in self.model.shown if i in by_id]
        colors = self.overlay.show([(r.id, r.name, r.path) for r in shown],
                                   axis=self.compare.axis_key, weight=self.compare.weight)
        self.model.colors = colors
        if self.model.rowCount():
            self.model.dataChanged.emit(self.model.index(0, SHOW),
                                        self.model.index(self.model.rowCount() - 1, SHOW))
        axis = self.compare.axis_key
        if colors and axis != "epoch":       # the live curves are in epochs: aside
            self.plots.set_x_axis(AXES[axis], live=False)
        else:
            self.plots.set_x_axis(None, live=True)
        runs, names, cols = [], [], []
        for r in shown:
            try:
                runs.append(open_run(r.path))
            except RunError as err:
                self.say(str(err))
                continue
            names.append(r.name)
            cols.append(colors.get(r.id, "#777777"))
        self.compare.set_runs(runs, names, cols)
        if self.overlay.problems:
            self.say(self.overlay.problems[0])

    # ------------------------------------------------------------ actions
    def _checkpoint_choice(self):
        chosen = self.selected()
        if len(chosen) != 1 or self.checkpoint.currentData() is None:
            return None
        return chosen[0], int(self.checkpoint.currentData())

    @Slot()
    def open_weights(self) -> None:
        """Put the selected run's weights at the chosen checkpoint in the window."""
        choice = self._checkpoint_choice()
        if choice is None:
            return
        try:
            text = open_checkpoint(self.session, *choice, self.confirm_replace)
        except RunError as err:
            text = f"The weights could not be opened: {err}"
        if text:
            self.say(text)

    @Slot()
    def start_same(self) -> None:
        """Set the window up so that the next Play starts as the selected run did."""
        chosen = self.selected()
        if len(chosen) != 1:
            return
        try:
            text = same_start(self.session, self.keeper, chosen[0], self.confirm_replace)
        except RunError as err:
            text = f"The run's start could not be reused: {err}"
        if text:
            self.say(text)

    @Slot()
    def export_weights(self) -> None:
        """Save the selected run's weights at the chosen checkpoint as a model file."""
        choice = self._checkpoint_choice()
        if choice is None:
            return
        summary, n = choice
        start = str(Path.home() / f"{summary.id}-{n}.npz")
        path, _ = QFileDialog.getSaveFileName(self, "Export the run's weights", start,
                                              "nnstudio model (*.npz)")
        if not path:
            return
        try:
            ckpt = export_checkpoint(open_run(summary.path), n, path)
        except (RunError, OSError, ValueError) as err:
            self.say(f"The model could not be exported: {err}")
            return
        self.say(f"Saved '{summary.name}' at epoch {ckpt.epoch} as {path}.")

    @Slot()
    def delete_selected(self) -> None:
        """Move the selected runs to the trash (Undo brings them back)."""
        gone = []
        for s in self.selected():
            try:
                trash_run(s.path)
            except (RunError, OSError) as err:
                self.say(f"'{s.name}' was not deleted: {err}")
                continue
            self.keeper.forget(s.path)
            self._deleted.append(s.id)
            gone.append(s.name)
        if gone:
            self.refresh()
            self._draw()
            self.say(f"Deleted {', '.join(repr(g) for g in gone)}; Undo delete brings "
                     f"{'it' if len(gone) == 1 else 'them'} back.")
        self.undo_button.setEnabled(bool(self._deleted))

    @Slot()
    def undo_delete(self) -> None:
        """Bring back the run deleted last."""
        if not self._deleted:
            return
        run_id = self._deleted.pop()
        try:
            path = restore_run(self.keeper.folder, run_id)
        except (RunError, OSError) as err:
            self.say(f"The run could not be brought back: {err}")
        else:
            self.refresh()
            self._draw()
            self.say(f"'{read_summary(path).name}' is back.")
        self.undo_button.setEnabled(bool(self._deleted))
