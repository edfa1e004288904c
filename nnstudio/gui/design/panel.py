"""The Design page: palette, diagram, inspector, problems, templates and the neuron view."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.datafit import DataFitError, design_fits_data
from nnstudio.core.templates import TEMPLATES, get_template
from nnstudio.gui.binding import bind
from nnstudio.gui.design import theme
from nnstudio.gui.design.controller import EditorController
from nnstudio.gui.design.inspector import LayerInspector
from nnstudio.gui.design.neuron_panel import NeuronPanel
from nnstudio.gui.design.palette import LayerPalette
from nnstudio.gui.design.problems import ProblemList
from nnstudio.gui.design.scene import DiagramScene
from nnstudio.gui.design.status_line import StatusLine
from nnstudio.gui.design.view import DiagramView
from nnstudio.gui.dialogs import confirm_unsaved
from nnstudio.gui.flow import ElidedComboBox
from nnstudio.gui.session import Session
from nnstudio.state import AppState
from nnstudio.words import counted

TEMPLATE_TITLES = {
    "perceptron": "Perceptron", "linear": "Linear regression (car prices)",
    "mlp": "MLP for digits", "cnn": "CNN for digits", "cnn16": "CNN for 16×16 digits",
    "3v7": "3 or 7 (two classes)", "lenet": "LeNet-style CNN",
    "playground": "Playground 2-D classifier",
}


def format_bytes(n: int) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt; font-weight: 600; "
                        "letter-spacing: 1px; padding: 2px 0;")
    return label


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {theme.FAINT}; font-style: italic; font-size: 9pt;")
    return label


class EditorPanel(QWidget):
    """The Design page (objectName ``designPage`` is set by the window).

    Parameters
    ----------
    session : Session
        The shared state; the page edits ``session.design`` through undoable commands.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        #: saves the work (the window's File > Save); the unsaved-changes question offers
        #: Save only when it is set
        self.save_changes: Callable[[], bool] | None = None
        #: asks the person before a template replaces unsaved work: True to go on
        self.confirm: Callable[[str], bool] = self._ask
        self.last_message = ""
        self.scene = DiagramScene(self)
        self.view = DiagramView(self.scene)
        self.controller = EditorController(session, self.scene, self)
        self.palette = LayerPalette()
        self.inspector = LayerInspector(self.controller)
        self.problems = ProblemList()
        self.neurons = NeuronPanel(session)
        self._build()
        self.controller.message.connect(self.show_message)
        self.controller.analysisChanged.connect(self.refresh_summary)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette.addRequested.connect(self.add_after_selection)
        self.problems.nodeChosen.connect(self.focus_node)
        session.designReplaced.connect(self._replaced)
        session.trainingStateChanged.connect(self._training_changed)
        session.weightsSetAside.connect(self._weights_set_aside)
        session.datasetChanged.connect(self.refresh_summary)
        if session.training is not None:      # the memory line follows the batch size
            session.training.configChanged.connect(self.refresh_summary)
        self._offer_side: int | None = None
        self.refresh_summary()
        self._training_changed(session.training_state)
        self._fit_pending = True
        self._bind_view_state(session.state)

    def _bind_view_state(self, state: AppState) -> None:
        """The mode, the zoom and the selected layer live in the window's state."""
        modes = ("layers", "neurons")
        bind(self, state, "design_mode", changed=self.stack.currentChanged,
             read=lambda: modes[max(0, self.stack.currentIndex())],
             show=lambda mode: self.set_mode(modes.index(mode) if mode in modes else 0))
        bind(self, state, "zoom", changed=self.view.zoomChanged,
             read=lambda: round(float(self.view.zoom()), 4),
             show=lambda z: self.view.set_zoom(float(z)))
        bind(self, state, "selected_layer", changed=self.scene.selectionChanged,
             read=self._selected_one,
             show=lambda node: self.scene.select_nodes([] if node is None else [node]))

    def _selected_one(self) -> str | None:
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # scene being torn down
            return None
        return ids[0] if len(ids) == 1 else None

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.setStyleSheet("EditorPanel { background: white; }")
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._toolbar())
        self.banner = QLabel()
        self.banner.setObjectName("editorBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fef7e0; color: #7a5b00; padding: 6px 12px; "
                                  "border-bottom: 1px solid #f6e2a6;")
        self.banner.hide()
        root.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.setHandleWidth(1)
        split.setStyleSheet("QSplitter::handle { background: #e3e6ea; }")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(10, 10, 6, 10)
        lv.addWidget(heading("Layers"))
        lv.addWidget(hint("Drag onto the diagram, or double-click to add after the "
                          "selected layer."))
        lv.addWidget(self.palette, 1)
        self.left_column = left
        left.setMinimumWidth(150)
        left.setMaximumWidth(220)
        split.addWidget(left)

        self.stack = QStackedWidget()
        self.stack.setObjectName("editorStack")
        diagram = QWidget()
        dv = QVBoxLayout(diagram)
        dv.setContentsMargins(0, 0, 0, 0)
        dv.setSpacing(0)
        dv.addWidget(self.view, 1)
        self.toast = QLabel(self.view)
        self.toast.setObjectName("editorMessage")
        self.toast.setWordWrap(True)
        self.toast.hide()
        self._toast_timer = QTimer(self)
        self._toast_timer.setSingleShot(True)
        self._toast_timer.timeout.connect(self.toast.hide)
        status = StatusLine(
            "Drag port to port to connect · wheel zooms · Space-drag pans",
            "Drag from a card's right port to another card's left port to connect them. The "
            "wheel zooms around the mouse; drag with the middle button, or with Space held, to "
            "pan; drag on the background to select several cards; Del deletes; F fits the "
            "whole design.")
        self.status_line, self.view_hint, self.summary = status, status.hint, status.summary
        dv.addWidget(status)
        self.stack.addWidget(diagram)
        self.stack.addWidget(self.neurons)
        self.neurons.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        split.addWidget(self.stack)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(0)
        rv.addWidget(self.inspector, 3)
        box = QWidget()
        bv = QVBoxLayout(box)
        bv.setContentsMargins(12, 6, 12, 10)
        self.problems_title = heading("Problems")
        bv.addWidget(self.problems_title)
        bv.addWidget(self.problems, 1)
        self.fit_offer = QPushButton()
        self.fit_offer.setObjectName("useMatchingData")
        self.fit_offer.setToolTip("Load the same data at the image size this design's Input "
                                  "reads (in the background)")
        self.fit_offer.clicked.connect(self._use_matching_data)
        self.fit_offer.hide()
        bv.addWidget(self.fit_offer)
        rv.addWidget(box, 2)
        self.right_column = right
        right.setMinimumWidth(260)
        right.setMaximumWidth(380)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        split.setSizes([170, 800, 290])
        root.addWidget(split, 1)

    def _toolbar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("editorToolbar")
        bar.setStyleSheet("QFrame#editorToolbar { background: white; border-bottom: 1px solid "
                          "#e3e6ea; } QToolButton { padding: 4px 10px; border-radius: 5px; "
                          "border: 1px solid #d0d7de; background: white; } "
                          "QToolButton:hover { background: #f1f3f4; } "
                          "QToolButton:checked { background: #e8f0fe; border-color: #1a73e8;"
                          " color: #1a4fb8; }")
        h = QHBoxLayout(bar)
        h.setContentsMargins(10, 6, 10, 6)
        h.setSpacing(8)
        self.templates = ElidedComboBox()
        self.templates.setObjectName("templateChooser")
        self.templates.setMinimumWidth(110)   # beside docks it narrows, never pushes out
        self.templates.addItem("Start from a template…", None)
        for name, description in TEMPLATES.items():
            self.templates.addItem(TEMPLATE_TITLES.get(name, name), name)
            self.templates.setItemData(self.templates.count() - 1, description,
                                       Qt.ItemDataRole.ToolTipRole)
        self.templates.activated.connect(self._template_chosen)
        h.addWidget(self.templates)
        self.tidy_button = self._tool("Tidy layout", "Lay the layers out left to right (undoable)",
                                      lambda: self.tidy())
        self.fit_button = self._tool("Fit", "Show the whole design (F)",
                                     lambda: self.view.fit_to_view())
        h.addWidget(self.tidy_button)
        h.addWidget(self.fit_button)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.zoom_label.setMinimumWidth(40)
        self.view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        h.addWidget(self.zoom_label)
        h.addStretch(1)
        group = QButtonGroup(self)
        group.setExclusive(True)
        self.diagram_button = self._tool("Diagram", "Layers and links", lambda: self.set_mode(0))
        self.neuron_button = self._tool("Neurons", "Every neuron and weight of a small dense "
                                        "network, live", lambda: self.set_mode(1))
        for i, b in enumerate((self.diagram_button, self.neuron_button)):
            b.setCheckable(True)
            group.addButton(b, i)
        self.diagram_button.setObjectName("diagramMode")
        self.neuron_button.setObjectName("neuronMode")
        self.diagram_button.setChecked(True)
        h.addWidget(self.diagram_button)
        h.addWidget(self.neuron_button)
        return bar

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    # ------------------------------------------------------------------ state
    def set_mode(self, index: int) -> None:
        """0: the diagram, 1: the neuron view."""
        self.stack.setCurrentIndex(index)
        for i in range(self.stack.count()):   # only the page shown sets the least width
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.stack.widget(i).setSizePolicy(policy, policy)
        self.stack.updateGeometry()
        self.left_column.setVisible(index == 0)  # the neuron view takes the whole width
        self.right_column.setVisible(index == 0)
        for b in (self.tidy_button, self.fit_button, self.zoom_label):
            b.setEnabled(index == 0)
        (self.diagram_button if index == 0 else self.neuron_button).setChecked(True)

    def refresh_summary(self) -> None:
        analysis = self.session.analysis
        batch = 64
        if self.session.training is not None:
            batch = int(self.session.training.config.batch_size)
        memory = self.session.design.memory_estimate(batch_size=batch)
        errors = analysis.all_errors()
        fit = self.fit_problems()
        errors = [*errors, *fit]
        ok = analysis.ok and not fit
        status = (f"<span style='color:{theme.OK}'>✓ valid</span>" if ok else
                  f"<span style='color:{theme.ERROR}'>⚠ {counted(len(errors) or 1, 'problem')}"
                  "</span>")
        params = (f"<b>{analysis.total_params:,}</b> <span style='color:{theme.MUTED}'>"
                  "parameters</span> &nbsp;·&nbsp; ")
        size = f"<b>≈ {format_bytes(memory)}</b>"
        dot = " &nbsp;·&nbsp; "
        self.status_line.set_summary(
            [f"{params}{size} <span style='color:{theme.MUTED}'>to train (batch {batch})"
             f"</span>{dot}{status}", f"{params}{size}{dot}{status}", f"{params}{status}",
             status],
            f"{analysis.total_params:,} parameters; ≈ {format_bytes(memory)} to train with "
            f"batches of {batch}. Memory: weights, their gradients and the optimizer's state, "
            "plus every layer's output and gradient for one batch (float32)")
        self.problems.set_errors(errors)
        self.problems_title.setText(f"PROBLEMS ({len(errors)})" if errors else "PROBLEMS")
        self._offer_side = next((p.image_side for p in fit if p.image_side in (16, 28)), None)
        spec = self.session.training.data.spec if self.session.training else None
        if self._offer_side and spec:
            side = self._offer_side
            self.fit_offer.setText(f"Use this data as {side}×{side} images")
        self.fit_offer.setVisible(bool(self._offer_side and spec))

    def fit_problems(self) -> list[DataFitError]:
        """How the design does not fit the current data (empty without data)."""
        ds = self.session.dataset
        if ds is None or ds.n == 0:
            return []
        classes = list(ds.classes) if ds.task == "classification" else []
        return design_fits_data(self.session.design, ds.sample_shape, classes)

    def _use_matching_data(self) -> None:
        training = self.session.training
        if training is None or not self._offer_side or not training.data.spec:
            return
        if training.running:
            self.show_message("Training is running: the data changes after it stops.", "error")
            return
        training.data.load(training.data.spec, self._offer_side)
        self.show_message(f"Loading the data as {self._offer_side}×{self._offer_side} "
                          "images (the Training panel shows the progress).", "info")

    def show_message(self, text: str, level: str = "error") -> None:
        """A short message at the bottom of the diagram (refusals, hints)."""
        self.last_message = text
        color, bg = (theme.ERROR, theme.ERROR_BG) if level == "error" else (theme.TEXT, "#e8f0fe")
        self.toast.setStyleSheet(f"background: {bg}; color: {color}; border: 1px solid {color};"
                                 " border-radius: 8px; padding: 8px 12px; font-size: 10pt;")
        self.toast.setText(text)
        width = min(560, max(260, self.view.width() - 40))
        self.toast.setFixedWidth(width)
        self.toast.adjustSize()
        self.toast.move((self.view.width() - width) // 2,
                        self.view.height() - self.toast.height() - 16)
        self.toast.show()
        self.toast.raise_()
        self._toast_timer.start(6000)

    def _weights_set_aside(self, layers: list) -> None:
        names = [str(n) for n in layers]
        which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        self.show_message(
            f"{which} start{'s' if len(names) == 1 else ''} with new weights: "
            f"{'its shape' if len(names) == 1 else 'their shapes'} changed. The other layers "
            "keep theirs, and Undo (Ctrl+Z) brings the earlier weights back.", "info")

    def _training_changed(self, _state: str) -> None:
        if self.session.is_training:
            self.banner.setText("Training is running: the network's structure is locked (you "
                                "can still move layers and look around). Stop training to "
                                "add, remove, connect or change layers.")
            self.banner.show()
        else:
            self.banner.hide()

    def _selection_changed(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # scene being torn down
            return
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)
        if len(ids) > 1:
            self.inspector.title.setText(f"{len(ids)} layers selected")
            self.inspector.about.setText("Drag to move them together, Del to delete them.")

    def _replaced(self) -> None:
        self.inspector.show_node(None)
        self.refresh_summary()
        QTimer.singleShot(0, self.view.open_design)

    # ------------------------------------------------------------------ actions
    def add_after_selection(self, kind: str) -> str | None:
        """Add ``kind`` after the selected layer (into its outgoing link when it has one),
        or at a free spot when not exactly one layer is selected."""
        ids = self.scene.selected_node_ids()
        if len(ids) == 1:
            node_id = self.controller.add_after(kind, ids[0])
        else:
            node_id = self.controller.add_layer(kind)
        if node_id:
            self.scene.select_nodes([node_id])
            item = self.scene.nodes.get(node_id)
            if item is not None:
                self.view.ensureVisible(item, 40, 40)
        return node_id

    def focus_node(self, node_id: str) -> None:
        """Select a layer and bring it into view."""
        self.set_mode(0)
        self.scene.select_nodes([node_id])
        item = self.scene.nodes.get(node_id)
        if item is not None:
            self.view.centerOn(item)

    def tidy(self) -> None:
        self.update_room()
        self.controller.tidy()
        self.view.fit_to_view()

    def update_room(self) -> None:
        """Tell the controller how much room the diagram has (for tidy layouts)."""
        size = self.view.viewport().size()
        if size.width() > 200 and size.height() > 150:
            self.controller.room = (float(size.width()), float(size.height()))

    def _template_chosen(self, index: int) -> None:
        name = self.templates.itemData(index)
        self.templates.setCurrentIndex(0)
        if name:
            self.load_template(str(name))

    def load_template(self, name: str) -> bool:
        """Replace the design with a template (asks first when there is unsaved work)."""
        if self.controller.structure_locked():
            return False
        if self.session.dirty and self.session.design.nodes and not self.confirm(
                f"The “{TEMPLATE_TITLES.get(name, name)}” template will replace the current "
                "design, which has unsaved changes. Save them first?"):
            return False
        self.update_room()
        self.session.set_design(get_template(name))
        self.show_message(f"Loaded the {TEMPLATE_TITLES.get(name, name)} template: "
                          f"{TEMPLATES[name]}", "info")
        return True

    def _ask(self, question: str) -> bool:
        return confirm_unsaved(self, self.session, self.save_changes, question)

    # ------------------------------------------------------------------ Qt
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._fit_pending:
            self._fit_pending = False
            QTimer.singleShot(0, self.view.open_design)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.update_room()
