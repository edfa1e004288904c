"""The application's shared state, observed by every panel of the window.

A :class:`Session` lives on the GUI thread. It holds the design being edited, the network
compiled from it (the GUI's own copy, used for drawing-time inference), the dataset chosen
for training and the image currently on the digit canvas. Panels take the session in their
constructor, read its state, then subscribe to its signals; they change it only through its
methods, so every panel sees every change.

Training runs in a separate process and never touches these objects: the training controller
(:mod:`nnstudio.gui.train.controller`) receives copied
:class:`~nnstudio.gui.train.snapshot.Snapshot` objects, which :meth:`Session.apply_snapshot` folds
in on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nnstudio.core.design import Design, DesignError, DesignEvent
from nnstudio.core.network import Network
from nnstudio.core.optimizers import OptimizerState
from nnstudio.core.weightstore import WeightStore, layers_of

if TYPE_CHECKING:
    from nnstudio.data.dataset import Dataset
    from nnstudio.gui.train.controller import TrainingController
    from nnstudio.gui.train.snapshot import Snapshot


class Session(QObject):
    """State shared by the panels of one window.

    Signals
    -------
    designReplaced()
        ``session.design`` is a new object (new, open, template). Re-read it.
    designEdited(object)
        The current design changed in place; the argument is the core ``DesignEvent``.
    modelChanged()
        ``session.network`` was replaced or its weights were reset or loaded (not emitted for
        training snapshots, see ``snapshotApplied``). It may be ``None`` when the design is
        invalid; ``session.analysis`` then says why.
    snapshotApplied(object)
        A training snapshot arrived; ``session.network`` already holds its weights.
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
    showOnDrawPage(object)
        Someone asks for an image, e.g. (28, 28) float32 in [0, 1], to be put on the Draw
        page's canvas (and the page to be shown).
    """

    designReplaced = Signal()
    designEdited = Signal(object)
    modelChanged = Signal()
    snapshotApplied = Signal(object)
    datasetChanged = Signal()
    trainingStateChanged = Signal(str)
    inputChanged = Signal()
    dirtyChanged = Signal(bool)
    weightsSetAside = Signal(list)
    showOnDrawPage = Signal(object)

    def __init__(self, design: Design, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.dataset: Dataset | None = None
        self.current_input: np.ndarray | None = None
        self.training_state = "idle"
        self.path: Path | None = None
        self.meta: dict[str, Any] = {}
        self.history: Any = None
        self.network: Network | None = None
        #: what the live run's optimizer remembers (None: no run, the next starts fresh)
        self.optimizer_state: OptimizerState | None = None
        #: the window's TrainingController (nnstudio.gui.train.controller); set by the main window
        self.training: TrainingController | None = None
        self._dirty = False
        #: every trained array seen, by name and shape: edits and their undo lose nothing
        self.weight_store = WeightStore()
        self._design = design
        self._unsubscribe = design.subscribe(self._on_design_event)
        self.analysis = design.analyze()
        self._rebuild_network(keep_weights=False)

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
    ) -> None:
        """Replace the design (new, open, template); optionally with trained weights."""
        self._unsubscribe()
        self._design = design
        self._unsubscribe = design.subscribe(self._on_design_event)
        self.path = Path(path) if path is not None else None
        self.history = history
        self.meta = dict(meta or {})
        self.undo_stack.clear()
        self.analysis = design.analyze()
        self.weight_store.clear()
        self._rebuild_network(keep_weights=False)
        if weights is not None and self.network is not None:
            self.network.set_weights(weights)
        if self.network is not None:
            self.weight_store.remember(self.network.get_weights())
        self.designReplaced.emit()
        self.modelChanged.emit()
        self.set_dirty(False)

    def _on_design_event(self, event: DesignEvent) -> None:
        self.analysis = self._design.analyze()
        if event.kind != "node_moved":
            self._rebuild_network(keep_weights=True)
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
        self.network = network
        if network is None or not keep_weights:
            return
        weights, fresh = self.weight_store.fill(network.get_weights())
        network.set_weights(weights)
        if fresh:
            self.weightsSetAside.emit(layers_of(fresh))

    def reset_weights(self, seed: int = 0) -> None:
        """Fresh random weights for the current design (Train > Reset)."""
        self.analysis = self._design.analyze()
        self.network = None
        if self.analysis.ok:
            try:
                self.network = Network(self._design, seed=seed)
            except DesignError:
                self.network = None
        self.weight_store.clear()
        if self.network is not None:
            self.weight_store.remember(self.network.get_weights())
        self.history = None
        self.modelChanged.emit()

    # ------------------------------------------------------------------ model
    def set_weights(self, weights: dict[str, np.ndarray], *, history: Any = None) -> None:
        """Load trained weights into the current network (e.g. after training finished)."""
        if self.network is None:
            raise DesignError(
                "The design is not valid, so it has no weights to load",
                fix="fix the problems the Design page lists first",
            )
        self.network.set_weights(weights)
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
            if snapshot.optimizer is not None:
                self.optimizer_state = snapshot.optimizer
        self.snapshotApplied.emit(snapshot)

    def predict(self, x: np.ndarray) -> np.ndarray | None:
        """Network output for a batch ``x`` of shape (N, *sample_shape); None without a model."""
        if self.network is None:
            return None
        return self.network.predict(np.asarray(x, dtype=np.float32))

    # ------------------------------------------------------------------ data and input
    def set_dataset(self, dataset: Dataset | None) -> None:
        self.dataset = dataset
        self.datasetChanged.emit()

    def set_current_input(self, image: np.ndarray | None) -> None:
        """The canvas drawing as the network sees it, e.g. (28, 28) float32 in [0, 1]."""
        self.current_input = None if image is None else np.array(image, dtype=np.float32)
        self.inputChanged.emit()

    # ------------------------------------------------------------------ training state
    @property
    def is_training(self) -> bool:
        """True while a run is active (running or paused): structural edits must wait."""
        return self.training_state in ("running", "paused")

    def set_training_state(self, state: str) -> None:
        if state != self.training_state:
            self.training_state = state
            if state not in ("running", "paused"):
                self.optimizer_state = None   # the next run starts a fresh optimizer
            self.trainingStateChanged.emit(state)

    # ------------------------------------------------------------------ saving
    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

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
