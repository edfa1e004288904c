"""The Training dock: data, optimizer and the hyperparameters of the next run.

Learning rate and batch size apply live (between two batches) while training; the other
settings apply from the next Play. Data sources come from ``nnstudio.data.sources.SOURCES``;
loading runs in the background with a progress bar and a Cancel button.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.design import format_shape
from nnstudio.core.inputs import image_side
from nnstudio.data.sources import source_title
from nnstudio.gui.flow import ElidedComboBox
from nnstudio.gui.session import Session
from nnstudio.gui.train.spinboxes import DoublingSpinBox, LogSpinBox

HINT_STYLE = "color: #6b6b6b; font-style: italic;"
ERROR_STYLE = "color: #b4441b;"
#: the list's item for data in use that came from none of its sources
IN_USE = "__inuse__"

_OPTIMIZERS = [
    ("adam", "Adam (adaptive; a good default)"),
    ("momentum", "SGD with momentum"),
    ("sgd", "Plain gradient descent (SGD)"),
]
def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


class TrainingPanel(QDockWidget):
    """The dock with data and hyperparameters (objectName ``trainingPanel``).

    Parameters
    ----------
    session : Session
        Its ``training`` attribute must be the window's TrainingController.
    actions : list of QAction, optional
        Train actions shown as buttons at the top (Play, Pause, Step, ...).
    """

    def __init__(self, session: Session, actions: list[QAction] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("trainingPanel")
        self.session = session
        self.controller = session.training
        self._added_specs: set[str] = set()   # sources the list did not have, added on use
        self._loading_spec: str | None = None
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        body = QWidget()
        body.setObjectName("trainingPanelBody")
        outer = QVBoxLayout(body)
        outer.setContentsMargins(8, 6, 8, 8)
        outer.setSpacing(8)

        if actions:
            row = QHBoxLayout()
            row.setSpacing(2)
            for act in actions:
                b = QToolButton()
                b.setDefaultAction(act)
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
                b.setAutoRaise(True)
                row.addWidget(b)
            row.addStretch(1)
            outer.addLayout(row)

        outer.addWidget(self._build_data())
        outer.addWidget(self._build_optimizer())
        self.rule_hint = _hint("A single step neuron learns by the perceptron rule: one sample "
                               "at a time, with learning rate and passes only.")
        self.rule_hint.setObjectName("perceptronRuleHint")
        self.rule_hint.setVisible(False)
        outer.addWidget(self.rule_hint)
        outer.addWidget(_hint(
            "Learning rate and batch size change live while training; the other settings "
            "apply from the next Play. Reset gives the network new random weights."
        ))
        outer.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(scroll)
        self.setMinimumWidth(300)

        c, data = self.controller, self.controller.data
        data.loading.connect(self._on_loading)
        data.progress.connect(self._on_progress)
        data.loaded.connect(lambda _spec: self.progress_row.setVisible(False))
        data.failed.connect(self._on_failed)
        data.cancelled.connect(self._on_cancelled)
        data.imageSizeChanged.connect(self._show_image_size)
        session.datasetChanged.connect(self._show_dataset)
        session.state.events.data_source.connect(self._select_spec)   # whoever set it
        session.designReplaced.connect(self._follow_design_size)
        session.modelChanged.connect(self._show_rule)
        c.configChanged.connect(self.show_config)
        self._show_dataset()
        self._show_rule()
        if data.busy and data.loader.spec:
            self._on_loading(data.loader.spec)

    # ------------------------------------------------------------------ building
    def _build_data(self) -> QGroupBox:
        from nnstudio.data.sources import SOURCES

        box = QGroupBox("Data")
        lay = QVBoxLayout(box)
        lay.setSpacing(5)
        self.dataset_combo = ElidedComboBox()
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.dataset_combo.setMinimumContentsLength(12)
        for spec, desc in SOURCES:
            self.dataset_combo.addItem(desc, spec)
            self.dataset_combo.setItemData(
                self.dataset_combo.count() - 1, f"{desc}\n(source: {spec})",
                Qt.ItemDataRole.ToolTipRole,
            )
        self.dataset_combo.insertSeparator(self.dataset_combo.count())
        self.dataset_combo.addItem("Folder of IDX files (MNIST format)…", "__idx__")
        self.dataset_combo.addItem("CSV table…", "__csv__")
        self._select_spec(self.controller.data.spec if self.session.dataset is not None
                          else self.controller.data.spec or SOURCES[0][0])
        self.dataset_combo.activated.connect(self._on_dataset_chosen)
        lay.addWidget(self.dataset_combo)

        size_row = QHBoxLayout()
        size_row.setContentsMargins(0, 0, 0, 0)
        self.size_label = QLabel("Image size")
        self.size_combo = QComboBox()
        self.size_combo.setObjectName("imageSizeCombo")
        self.size_combo.addItem("28×28 (MNIST)", 28)
        self.size_combo.addItem("16×16 (shrunk)", 16)
        self.size_combo.setToolTip("Side of the digit images the network reads: 16×16 shrinks "
                                   "each 28×28 digit by averaging its pixels (for designs "
                                   "whose Input is 16×16, like the cnn16 template).")
        self.size_combo.setCurrentIndex(max(0, self.size_combo.findData(
            self.controller.data.image_size)))
        self.size_combo.activated.connect(self._on_size_chosen)
        size_row.addWidget(self.size_label)
        size_row.addWidget(self.size_combo, 1)
        self.size_row = QWidget()
        self.size_row.setLayout(size_row)
        lay.addWidget(self.size_row)

        self.dataset_info = QLabel("")
        self.dataset_info.setObjectName("datasetInfo")
        self.dataset_info.setWordWrap(True)
        lay.addWidget(self.dataset_info)

        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("datasetProgress")
        self.progress.setTextVisible(True)
        self.progress.setMaximumHeight(18)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("datasetCancel")
        self.cancel_button.clicked.connect(self.controller.data.cancel)
        prow.addWidget(self.progress, 1)
        prow.addWidget(self.cancel_button)
        self.progress_row = QWidget()
        self.progress_row.setLayout(prow)
        prow.setContentsMargins(0, 0, 0, 0)
        self.progress_row.setVisible(False)
        lay.addWidget(self.progress_row)

        self.data_error = QLabel("")
        self.data_error.setObjectName("datasetError")
        self.data_error.setWordWrap(True)
        self.data_error.setStyleSheet(ERROR_STYLE)
        self.data_error.setVisible(False)
        self.data_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.data_error)
        return box

    def _build_optimizer(self) -> QGroupBox:
        cfg = self.controller.config
        box = QGroupBox("Learning")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)

        self.optimizer_combo = ElidedComboBox()
        self.optimizer_combo.setObjectName("optimizerCombo")
        self.optimizer_combo.setMinimumWidth(90)   # the dock stays whole at its least width
        for name, desc in _OPTIMIZERS:
            self.optimizer_combo.addItem(desc.split(" (")[0], name)
            self.optimizer_combo.setItemData(self.optimizer_combo.count() - 1, desc,
                                             Qt.ItemDataRole.ToolTipRole)
        self.optimizer_combo.setCurrentIndex(
            max(0, self.optimizer_combo.findData(cfg.optimizer))
        )
        self.optimizer_combo.currentIndexChanged.connect(self._apply)
        form.addRow("Optimizer", self.optimizer_combo)

        self.lr_spin = LogSpinBox(1e-6, 10.0)
        self.lr_spin.setObjectName("lrSpin")
        self.lr_spin.setValue(cfg.lr)
        self.lr_spin.setToolTip("Step size of each update. Arrows walk 0.001, 0.002, 0.005, …; "
                                "too large and the cost jumps or explodes. Applies live.")
        self.lr_spin.valueChanged.connect(self._on_lr)
        form.addRow("Learning rate", self.lr_spin)
        self.lr_note = QLabel("")
        self.lr_note.setObjectName("lrNote")
        self.lr_note.setWordWrap(True)
        self.lr_note.setStyleSheet(ERROR_STYLE)
        self.lr_note.hide()
        self.lr_spin.outOfRange.connect(self._lr_refused)
        form.addRow(self.lr_note)

        self.batch_spin = DoublingSpinBox()
        self.batch_spin.setObjectName("batchSizeSpin")
        self.batch_spin.setRange(1, 8192)
        self.batch_spin.setValue(cfg.batch_size)
        self.batch_spin.setToolTip("Samples per update (arrows double/halve). Applies live.")
        self.batch_spin.valueChanged.connect(self._on_batch)
        form.addRow("Batch size", self.batch_spin)

        self.epochs_spin = QSpinBox()
        self.epochs_spin.setObjectName("epochsSpin")
        self.epochs_spin.setRange(1, 10000)
        self.epochs_spin.setValue(cfg.epochs)
        self.epochs_spin.setToolTip("Epochs per Play; after Stop, Play goes on to the same total.")
        self.epochs_spin.valueChanged.connect(self._apply)
        form.addRow("Epochs", self.epochs_spin)

        self.l2_spin = LogSpinBox(1e-6, 1.0, allow_zero=True)
        self.l2_spin.setObjectName("l2Spin")
        self.l2_spin.setValue(cfg.weight_decay)
        self.l2_spin.setToolTip("L2 weight decay: pulls weights towards 0 to fight "
                                "overfitting. 0 turns it off.")
        self.l2_spin.valueChanged.connect(self._apply)
        form.addRow("L2 decay", self.l2_spin)

        self.val_spin = QSpinBox()
        self.val_spin.setObjectName("valSplitSpin")
        self.val_spin.setRange(0, 50)
        self.val_spin.setSuffix(" %")
        self.val_spin.setValue(int(round(cfg.val_split * 100)))
        self.val_spin.setToolTip("Share of the data held out to measure the validation cost "
                                 "(never trained on).")
        self.val_spin.valueChanged.connect(self._apply)
        form.addRow("Validation", self.val_spin)

        self.shift_spin = QSpinBox()
        self.shift_spin.setObjectName("shiftSpin")
        self.shift_spin.setRange(0, 4)
        self.shift_spin.setSuffix(" px")
        self.shift_spin.setSpecialValueText("off")
        self.shift_spin.setValue(int(cfg.augment_shift))
        self.shift_spin.setToolTip("Shift each training image by up to this many pixels at "
                                   "random: the network learns digits anywhere, not one spot.")
        self.shift_spin.valueChanged.connect(self._apply)
        form.addRow("Random shift", self.shift_spin)

        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(cfg.seed)
        self.seed_spin.setToolTip("Seed for shuffling, the validation split and Reset's "
                                  "random weights: the same seed repeats a run exactly.")
        self.seed_spin.valueChanged.connect(self._apply)
        form.addRow("Seed", self.seed_spin)
        return box

    # ------------------------------------------------------------------ settings
    @Slot()
    def show_config(self) -> None:
        """Show the controller's settings (changed by it, e.g. for a perceptron)."""
        cfg = self.controller.config
        pairs = ((self.lr_spin, cfg.lr), (self.batch_spin, cfg.batch_size),
                 (self.epochs_spin, cfg.epochs), (self.l2_spin, cfg.weight_decay),
                 (self.val_spin, int(round(cfg.val_split * 100))), (self.seed_spin, cfg.seed),
                 (self.shift_spin, int(cfg.augment_shift)))
        for spin, value in pairs:
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.optimizer_combo.blockSignals(True)
        self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(
            cfg.optimizer)))
        self.optimizer_combo.blockSignals(False)

    @Slot()
    def _apply(self) -> None:
        """The fields into the controller's settings (it tells every view, this one too)."""
        self.controller.apply_settings(
            optimizer=str(self.optimizer_combo.currentData()),
            epochs=int(self.epochs_spin.value()),
            weight_decay=float(self.l2_spin.value()),
            val_split=self.val_spin.value() / 100.0,
            seed=int(self.seed_spin.value()),
            augment_shift=int(self.shift_spin.value()))

    @Slot(float)
    def _on_lr(self, value: float) -> None:
        self.lr_note.hide()
        self.controller.set_lr(value)

    @Slot(float)
    def _lr_refused(self, typed: float) -> None:
        spin = self.lr_spin
        limit = (f"above the largest learning rate, {spin.maximum():g}" if typed > spin.maximum()
                 else f"below the smallest learning rate, {spin.minimum():g}")
        self.lr_note.setText(f"{typed:g} is {limit}, so the learning rate stays "
                             f"{spin.value():g}. Type a number from {spin.minimum():g} to "
                             f"{spin.maximum():g}.")
        self.lr_note.show()

    @Slot(int)
    def _on_batch(self, value: int) -> None:
        self.controller.set_batch_size(value)

    # ------------------------------------------------------------------ data
    def _select_spec(self, spec: str | None) -> None:
        """Show ``spec`` as the source in use (added to the list when it is not there);
        None: the data in use came from no source of the list (a test's, a program's)."""
        if spec is None:
            ds = self.session.dataset
            if ds is None:
                return
            self._forget_spec(IN_USE)
            self.dataset_combo.insertItem(0, f"{ds.name} (in use)", IN_USE)
            self._added_specs.add(IN_USE)
            spec = IN_USE
        i = self.dataset_combo.findData(spec)
        if i < 0:
            self.dataset_combo.insertItem(0, source_title(spec), spec)
            self.dataset_combo.setItemData(0, f"source: {spec}", Qt.ItemDataRole.ToolTipRole)
            self._added_specs.add(spec)
            i = 0
        self.dataset_combo.setCurrentIndex(i)   # its tooltip: the whole source
        tip = self.dataset_combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.setToolTip(str(tip or ""))

    def _forget_spec(self, spec: str | None) -> None:
        """Take a source that failed to load out of the list (if only the panel added it)."""
        if spec and spec in self._added_specs and (spec != self.controller.data.spec
                                                    or spec == IN_USE):
            i = self.dataset_combo.findData(spec)
            if i >= 0:
                self.dataset_combo.removeItem(i)
            self._added_specs.discard(spec)

    @Slot(int)
    def _on_dataset_chosen(self, index: int) -> None:
        spec = self.dataset_combo.itemData(index)
        if spec == IN_USE:
            return
        if spec == "__idx__":
            folder = QFileDialog.getExistingDirectory(self, "Folder with IDX image and label files")
            if not folder:
                self._select_spec(self.controller.data.spec)
                return
            spec = f"idx:{folder}"
            # remembered as the standard test digits (the Draw page scores fine-tuning on them)
            QSettings("nnstudio", "nnstudio").setValue("data/mnistFolder", folder)
        elif spec == "__csv__":
            path, _ = QFileDialog.getOpenFileName(self, "CSV table", "", "CSV (*.csv);;All (*)")
            if not path:
                self._select_spec(self.controller.data.spec)
                return
            column, ok = QInputDialog.getText(
                self, "Label column", "Name of the column to predict:"
            )
            if not ok or not column.strip():
                self._select_spec(self.controller.data.spec)
                return
            spec = f"csv:{path}:label={column.strip()}"
        if not spec:
            return
        self._select_spec(spec)
        self.controller.data.load(spec)

    def choose_dataset(self, spec: str) -> None:
        """Select and load the data source ``spec`` (as if chosen in the list)."""
        self._select_spec(spec)
        self.controller.data.load(spec)

    @Slot()
    def _show_rule(self) -> None:
        """A perceptron learns by its own rule: optimizer, batch size, L2 and shifts do not
        apply (they stay as they are for other designs)."""
        from nnstudio.core.perceptron import is_perceptron

        net = self.session.network
        rule = net is not None and is_perceptron(net)
        why = ("The perceptron rule takes one sample at a time and needs no optimizer: only "
               "the learning rate, the passes (epochs), validation and seed apply.")
        for w in (self.optimizer_combo, self.batch_spin, self.l2_spin, self.shift_spin):
            if w.property("plainTip") is None:
                w.setProperty("plainTip", w.toolTip())
            w.setEnabled(not rule)
            w.setToolTip(why if rule else str(w.property("plainTip")))
        self.rule_hint.setVisible(rule)

    # ------------------------------------------------------------------ image size
    def _is_digits(self) -> bool:
        ds = self.session.dataset
        return ds is not None and ds.is_image

    def set_image_size(self, size: int) -> None:
        """Use ``size`` × ``size`` digits (16 or 28) and reload the current digit data."""
        self.controller.data.set_image_size(size, reload=self._is_digits())
        self._show_image_size(self.controller.data.image_size)

    @Slot(int)
    def _show_image_size(self, size: int) -> None:
        """The Image size list shows the side digit data is made at, whoever set it."""
        self.size_combo.setCurrentIndex(max(0, self.size_combo.findData(int(size))))

    @Slot(int)
    def _on_size_chosen(self, index: int) -> None:
        self.set_image_size(int(self.size_combo.itemData(index)))

    @Slot()
    def _follow_design_size(self) -> None:
        """A design that reads 16×16 (or 28×28) digits gets them when the data is digits."""
        net = self.session.network
        side = image_side(net) if net is not None else None
        if side in (16, 28) and self._is_digits():
            self.set_image_size(side)

    @Slot(str)
    def _on_loading(self, spec: str) -> None:
        self._loading_spec = spec
        self.data_error.setVisible(False)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setFormat("Loading…")
        self.progress_row.setVisible(True)
        self._select_spec(spec)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            if total > 2**31 - 1:
                done, total = done * 1000 // total, 1000
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat("%p %")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress_row.setVisible(False)
        self._forget_spec(self._loading_spec)
        self._loading_spec = None
        in_use = self.controller.data.spec
        if in_use is not None:
            self._select_spec(in_use)
        self.data_error.setText(message)
        self.data_error.setVisible(True)
        self._show_dataset()

    @Slot()
    def _on_cancelled(self) -> None:
        if not self.controller.data.busy:
            self.progress_row.setVisible(False)
            self.data_error.setText("Loading was cancelled; the previous data is still in use.")
            self.data_error.setVisible(True)
            self._select_spec(self.controller.data.spec)

    @Slot()
    def _show_dataset(self) -> None:
        ds = self.session.dataset
        if self.controller.data.spec is None:
            self._select_spec(None)
        self.size_row.setVisible(ds is None or ds.is_image)
        if ds is None:
            self.dataset_info.setText("<i>No data loaded yet.</i>")
            return
        still = "Still in use: " if not self.data_error.isHidden() else ""
        if ds.task == "classification":
            what = f"{len(ds.classes)} classes" if ds.classes else "classes"
        else:
            what = "regression (predicts numbers)"
        self.dataset_info.setText(
            f"{still}<b>{ds.n:,}</b> samples of {format_shape(ds.sample_shape)} · {what}"
            + (f" (“{ds.name}”)" if still else "")
        )
        self.dataset_info.setToolTip(ds.description or ds.name)
