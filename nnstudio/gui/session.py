"""The Qt face of the window's state: the design's compiled network, its undo history, and
signals for the panels that listen in Qt's way.

Every value lives in one :class:`~nnstudio.state.AppState` (``session.state``): the design,
the network and its weights, the history, the data, the drawing, the file and its unsaved
mark, the run state. :class:`Session` is the writer of the work's fields (it compiles the
design into a network, keeps the weights of every edit in a :class:`WeightStore`, and folds
training snapshots in); its attributes (``session.dataset``, ``session.path``...) read the
state. Its Qt signals are emitted from the state's field events, so a change made anywhere
reaches every panel, whichever way it listens.

Training runs in a separate process and never touches these objects: the training controller
(:mod:`nnstudio.gui.train.controller`) receives copied
:class:`~nnstudio.gui.snapshot.Snapshot` objects, which :meth:`Session.apply_snapshot` folds
in on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoGroup, QUndoStack

from nnstudio.core.design import Design, DesignError, DesignEvent
from nnstudio.core.network import Network
from nnstudio.core.optimizers import OptimizerState
from nnstudio.core.training import History
from nnstudio.core.weightstore import WeightStore, layers_of
from nnstudio.gui.pace import FIGURES_MS, Pace
from nnstudio.gui.snapshot import Snapshot
from nnstudio.state import AppState, RunState

if TYPE_CHECKING:
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui.train.controller import TrainingController


class Session(QObject):
    """State shared by the panels of one window.

    Signals
    -------
    designReplaced()
        ``session.design`` is a new object (new, open, template). Re-read it.
    designEdited(DesignEvent)
        The current design changed in place.
    modelChanged()
        ``session.network`` was replaced or its weights were reset or loaded (not emitted for
        training snapshots, see ``snapshotApplied``). It may be ``None`` when the design is
        invalid; ``session.analysis`` then says why.
    snapshotApplied(Snapshot)
        A training snapshot arrived; ``session.network`` already holds its weights.
    figuresDue(Snapshot)
        The latest snapshot, at most every :data:`~nnstudio.gui.pace.FIGURES_MS` and at once
        when the run's state changes: for the figures a person reads (a card, the status
        bar), which need not change at each of up to 30 snapshots a second.
    datasetChanged()
        ``session.dataset`` changed.
    trainingStateChanged(str)
        One of ``"idle"``, ``"running"``, ``"paused"``, ``"finished"``, ``"stopped"``,
        ``"error"``.
    inputChanged()
        ``session.current_input`` (the canvas drawing as the network sees it) changed.
    dirtyChanged(bool)
        Unsaved changes appeared or were saved.
    weightsSetAside(list)
        After an edit, these layers (ids) start with fresh weights because their shapes
        changed; their trained weights are kept aside and come back with Undo.
    showOnDrawPage(ndarray)
        Someone asks for an image, e.g. (28, 28) float32 in [0, 1], to be put on the Draw
        page's canvas (and the page to be shown).
    """

    designReplaced = Signal()
    designEdited = Signal(DesignEvent)
    modelChanged = Signal()
    snapshotApplied = Signal(Snapshot)
    figuresDue = Signal(Snapshot)
    datasetChanged = Signal()
    trainingStateChanged = Signal(str)
    inputChanged = Signal()
    dirtyChanged = Signal(bool)
    weightsSetAside = Signal(list)
    showOnDrawPage = Signal(np.ndarray)

    def __init__(self, design: Design, parent: QObject | None = None,
                 state: AppState | None = None) -> None:
        super().__init__(parent)
        #: the window's state: every value the panels show
        self.state = state if state is not None else AppState(design=design)
        self.state.design = design
        #: one undo history per design; the active one is ``undo_stack`` (a design set aside,
        #: e.g. during a lesson, keeps its own and gets it back)
        self.undo_group = QUndoGroup(self)
        self._use_undo_stack(QUndoStack(self.undo_group))
        #: what the live run's optimizer remembers (None: no run, the next starts fresh)
        self.optimizer_state: OptimizerState | None = None
        #: the window's commands for training (a TrainingController); set by the controller
        self.training: TrainingController | None = None
        #: every trained array seen, by name and shape: edits and their undo lose nothing
        self.weight_store = WeightStore()
        self._design = design
        self._unsubscribe = design.subscribe(self._on_design_event)
        self.analysis = design.analyze()
        ev = self.state.events
        ev.dataset.connect(self._emit_dataset)
        ev.drawing.connect(self._emit_input)
        ev.dirty.connect(self._emit_dirty)
        ev.run_state.connect(self._on_run_state)
        self._latest: Snapshot | None = None
        self._figures = Pace(self._emit_figures, FIGURES_MS, self)
        self._rebuild_network(keep_weights=False)
        self._publish_weights()

    # psygnal calls these with the new value; Qt listeners get the signal they know
    def _emit_dataset(self, _value: object) -> None:
        self.datasetChanged.emit()

    def _emit_input(self, _value: object) -> None:
        self.inputChanged.emit()

    def _emit_dirty(self, dirty: bool) -> None:
        self.dirtyChanged.emit(bool(dirty))

    def _on_run_state(self, state: RunState) -> None:
        self._figures.flush()             # a run that ends shows its last figures at once
        if not state.active:
            self.optimizer_state = None   # the next run starts a fresh optimizer
        self.trainingStateChanged.emit(state.value)

    # ------------------------------------------------------------------ fields of the state
    @property
    def network(self) -> Network | None:
        """The network compiled from the design (None while the design has problems)."""
        return self.state.network

    @property
    def dataset(self) -> Dataset | None:
        return self.state.dataset

    @property
    def current_input(self) -> np.ndarray | None:
        return self.state.drawing

    @property
    def training_state(self) -> str:
        """``"idle"``, ``"running"``, ``"paused"``, ``"finished"``, ``"stopped"`` or
        ``"error"`` (the state's ``run_state``, written by the training controller)."""
        return self.state.run_state.value

    @property
    def path(self) -> Path | None:
        return self.state.path

    @path.setter
    def path(self, value: str | Path | None) -> None:
        self.state.path = Path(value) if value is not None else None

    @property
    def meta(self) -> dict[str, Any]:
        return self.state.meta

    @meta.setter
    def meta(self, value: dict[str, Any]) -> None:
        self.state.meta = dict(value)

    @property
    def history(self) -> History | None:
        return self.state.history

    @history.setter
    def history(self, value: History | None) -> None:
        self.state.history = value

    @property
    def undo_stack(self) -> QUndoStack:
        """The undo history of the design being edited."""
        stack = self.undo_group.activeStack()
        assert stack is not None
        return stack

    def _use_undo_stack(self, stack: QUndoStack) -> None:
        """Make ``stack`` the active undo history; the others are dropped, but for those
        set aside (:meth:`set_aside`), which their keeper owns."""
        for old in self.undo_group.stacks():
            if old is not stack:
                self.undo_group.removeStack(old)
                if old.parent() is not None:   # not set aside: nobody else holds it
                    old.deleteLater()
        stack.setParent(self.undo_group)       # owned by the window again
        if stack not in self.undo_group.stacks():
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(stack)

    # ------------------------------------------------------------------ design
    @property
    def design(self) -> Design:
        """The design being edited; edit it through its own methods (they emit events)."""
        return self._design

    def set_design(
        self,
        design: Design,
        *,
        path: str | Path | None = None,
        weights: dict[str, np.ndarray] | None = None,
        history: Any = None,
        meta: dict[str, Any] | None = None,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        """Replace the design (new, open, template); optionally with trained weights.

        ``undo_stack``: the design's own undo history, when it comes back from being set
        aside (a lesson); a new design starts an empty one.
        """
        self._unsubscribe()
        self._design = design
        self._unsubscribe = design.subscribe(self._on_design_event)
        self.path = path
        self.history = history
        self.meta = dict(meta or {})
        self._use_undo_stack(undo_stack if undo_stack is not None
                             else QUndoStack(self.undo_group))
        self.analysis = design.analyze()
        self.weight_store.clear()
        self.state.design = design
        self._rebuild_network(keep_weights=False)
        if weights is not None and self.network is not None:
            self.network.set_weights(weights)
        if self.network is not None:
            self.weight_store.remember(self.network.get_weights())
        self._publish_weights()
        self.designReplaced.emit()
        self.modelChanged.emit()
        self.set_dirty(False)

    def set_aside(self) -> QUndoStack:
        """The design is being set aside (a lesson borrows the window): its undo history,
        to give back with it to :meth:`set_design`."""
        stack = self.undo_stack
        stack.setParent(None)   # owned by whoever sets the design aside from now on
        return stack

    def _on_design_event(self, event: DesignEvent) -> None:
        self.analysis = self._design.analyze()
        if event.kind != "node_moved":
            self._rebuild_network(keep_weights=True)
            self._publish_weights()
        self.designEdited.emit(event)
        if event.kind != "node_moved":
            self.modelChanged.emit()
        self.set_dirty(True)

    def _rebuild_network(self, *, keep_weights: bool) -> None:
        """Compile the design. With ``keep_weights``, every parameter takes the remembered
        array of its name and shape (from before any number of edits, even while the design
        had no network); layers whose shapes changed start fresh and are announced with
        ``weightsSetAside``."""
        if keep_weights and self.network is not None:
            self.weight_store.remember(self.network.get_weights())
        network = None
        if self.analysis.ok:
            try:
                network = Network(self._design)
            except DesignError:
                network = None
        self.state.network = network
        if network is None or not keep_weights:
            return
        weights, fresh = self.weight_store.fill(network.get_weights())
        network.set_weights(weights)
        if fresh:
            self.weightsSetAside.emit(layers_of(fresh))

    def reset_weights(self, seed: int = 0) -> None:
        """Fresh random weights for the current design (Train > Reset)."""
        self.analysis = self._design.analyze()
        network = None
        if self.analysis.ok:
            try:
                network = Network(self._design, seed=seed)
            except DesignError:
                network = None
        self.state.network = network
        self.weight_store.clear()
        if network is not None:
            self.weight_store.remember(network.get_weights())
        self.history = None
        self._publish_weights()
        self.modelChanged.emit()

    def _publish_weights(self, weights: dict[str, np.ndarray] | None = None) -> None:
        """The state's ``weights`` become the network's (a copy, or ``weights`` when the
        network was just given them)."""
        net = self.network
        if net is None:
            self.state.weights = None
        else:
            self.state.weights = weights if weights is not None else net.get_weights()

    # ------------------------------------------------------------------ model
    def set_weights(self, weights: dict[str, np.ndarray], *, history: Any = None) -> None:
        """Load trained weights into the current network (e.g. after training finished)."""
        if self.network is None:
            raise DesignError(
                "The design is not valid, so it has no weights to load",
                fix="fix the problems the Design page lists first",
            )
        self.network.set_weights(weights)
        self._publish_weights()
        if history is not None:
            self.history = history
            ds = self.dataset
            if ds is not None and ds.task == "classification" and ds.classes and \
                    len(ds.classes) == (2 if self.n_outputs == 1 else self.n_outputs):
                self.meta["classes"] = list(ds.classes)  # what it was trained to answer
        self.modelChanged.emit()
        self.set_dirty(True)

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Fold a training snapshot (copied in the worker) into the GUI's network."""
        if self.network is not None and snapshot.weights:
            self.network.set_weights(snapshot.weights)
            self._publish_weights(snapshot.weights)
            if snapshot.optimizer is not None:
                self.optimizer_state = snapshot.optimizer
        self.snapshotApplied.emit(snapshot)
        self._latest = snapshot
        self._figures.request()

    def _emit_figures(self) -> None:
        if self._latest is not None:
            self.figuresDue.emit(self._latest)

    def predict(self, x: np.ndarray) -> np.ndarray | None:
        """Network output for a batch ``x`` of shape (N, *sample_shape); None without a model."""
        if self.network is None:
            return None
        return self.network.predict(np.asarray(x, dtype=np.float32))

    # ------------------------------------------------------------------ data and input
    def set_dataset(self, dataset: Dataset | None) -> None:
        """The data to train on (``datasetChanged``, even when it is the same object: a
        caller setting it asks the panels to read it again)."""
        if dataset is self.state.dataset:
            self.datasetChanged.emit()
        else:
            self.state.dataset = dataset

    def set_current_input(self, image: np.ndarray | None) -> None:
        """The canvas drawing as the network sees it, e.g. (28, 28) float32 in [0, 1]."""
        self.state.drawing = None if image is None else np.array(image, dtype=np.float32)

    # ------------------------------------------------------------------ training state
    @property
    def is_training(self) -> bool:
        """True while a run is active (running or paused): structural edits must wait."""
        return self.state.run_state.active

    # ------------------------------------------------------------------ saving
    @property
    def dirty(self) -> bool:
        return self.state.dirty

    def set_dirty(self, dirty: bool) -> None:
        self.state.dirty = bool(dirty)

    @property
    def n_outputs(self) -> int:
        """Output units of the network (of the design when it has no network yet), 0 when
        unknown."""
        if self.network is not None:
            return int(np.prod(self.network.output_shape))
        out = self._design.output_node
        shape = self.analysis.shapes.get(out.id) if out is not None else None
        return int(np.prod(shape)) if shape is not None else 0

    @property
    def class_names(self) -> list[str]:
        """Names of the network's output classes, one per output unit.

        The model's own names (from its file, or from the data it was last trained on) when
        they fit its outputs, else the current data's when they fit, else '0', '1', ... A
        single sigmoid output of a classifier has two names (for 0 and 1).
        """
        n = self.n_outputs
        regression = self.network is not None and self.network.task != "classification"
        want = 2 if n == 1 and not regression else n  # one output deciding between two
        data = list(self.dataset.classes) if self.dataset is not None else []
        for names in (list(self.meta.get("classes") or []), data):
            if names and (want == 0 or len(names) == want):
                return [str(c) for c in names]
        return [str(i) for i in range(want)]
