"""The layer inspector: validated fields for the selected layer.

Values are checked by the design model (``validate_params``) as they are typed; a value that
cannot work is shown at its field with a red border and the model's message and fix, and it is
never applied or clamped. Accepted values are applied through the controller, as one undoable
step each.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.design import ACTIVATIONS, LOSSES, ParamError, format_shape, validate_params
from nnstudio.gui.design import theme
from nnstudio.gui.design.controller import EditorController

PADDINGS = ("same", "valid")

#: kind -> [(param, label, type, help)]; type is "int", "int?", "float", "shape" or a tuple
FIELDS: dict[str, list[tuple[str, str, object, str]]] = {
    "Input": [("shape", "Input shape", "shape", "784 for a vector, 1×28×28 for an image")],
    "Dense": [("units", "Units", "int", "number of neurons"),
              ("activation", "Activation", ACTIVATIONS, "")],
    "Conv2D": [("filters", "Filters", "int", "feature maps it produces"),
               ("kernel_size", "Kernel size", "int", "odd: 1, 3, 5, ..."),
               ("stride", "Stride", "int", "step between windows"),
               ("padding", "Padding", PADDINGS, "same keeps H×W, valid shrinks it"),
               ("activation", "Activation", ACTIVATIONS, "")],
    "MaxPool2D": [("pool_size", "Pool size", "int", "window size, e.g. 2"),
                  ("stride", "Stride", "int?", "empty = same as the pool size")],
    "Dropout": [("rate", "Dropout rate", "float", "0 up to (not including) 1")],
    "Activation": [("function", "Function", ACTIVATIONS, "")],
    "Output": [("loss", "Loss", LOSSES, "cross_entropy for classes, mse for numbers")],
}

BAD_STYLE = (f"QLineEdit {{ border: 1.5px solid {theme.ERROR}; border-radius: 4px; "
             f"background: {theme.ERROR_BG}; padding: 3px; }}")
OK_STYLE = ("QLineEdit { border: 1px solid #c4c9d0; border-radius: 4px; background: white; "
            "padding: 3px; } QLineEdit:focus { border: 1.5px solid #1a73e8; }")


def parse_value(text: str, kind: object) -> object:
    """Turn typed text into the value to validate (the model says what is wrong with it)."""
    text = text.strip()
    if kind == "shape":
        return text
    if kind == "int?" and text == "":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def show_value(value: object, kind: object) -> str:
    if kind == "shape":
        return format_shape(value)  # type: ignore[arg-type]
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


class Field(QWidget):
    """One parameter: an editor and, under it, the model's message when a value is refused."""

    def __init__(self, inspector: LayerInspector, name: str, kind: object, hint: str) -> None:
        super().__init__()
        self.inspector, self.name, self.kind = inspector, name, kind
        self.node_id = inspector.node_id  # a late edit still goes to the layer it was made for
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        if isinstance(kind, tuple):
            self.edit: QWidget = QComboBox()
            self.edit.addItems(list(kind))
            self.edit.currentTextChanged.connect(self._commit)
        else:
            self.edit = QLineEdit()
            self.edit.setPlaceholderText(hint)
            self.edit.setStyleSheet(OK_STYLE)
            self.edit.textEdited.connect(self._check)
            self.edit.editingFinished.connect(self._commit)
        self.edit.setObjectName(f"field_{name}")
        lay.addWidget(self.edit)
        self.error = QLabel()
        self.error.setObjectName(f"error_{name}")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.ERROR}; font-size: 9pt;")
        self.error.hide()
        lay.addWidget(self.error)
        if hint and isinstance(kind, tuple):
            self.edit.setToolTip(hint)
        self.bad = False

    def set_value(self, value: object) -> None:
        self.edit.blockSignals(True)
        if isinstance(self.edit, QComboBox):
            self.edit.setCurrentText(str(value))
        elif not (self.bad and self.edit.hasFocus()):
            self.edit.setText(show_value(value, self.kind))
            self.set_error(None)
        self.edit.blockSignals(False)

    def value(self) -> object:
        if isinstance(self.edit, QComboBox):
            return self.edit.currentText()
        return parse_value(self.edit.text(), self.kind)

    def set_error(self, err: ParamError | str | None) -> None:
        self.bad = err is not None
        if isinstance(self.edit, QLineEdit):
            self.edit.setStyleSheet(BAD_STYLE if self.bad else OK_STYLE)
        if err is None:
            self.error.hide()
            return
        if isinstance(err, ParamError):
            text = err.message + (f": {err.fix}" if err.fix else "")
        else:
            text = str(err)
        self.error.setText(text)
        self.error.show()

    def _check(self) -> None:
        self.set_error(self.inspector.check(self.node_id, self.name, self.value()))

    def _commit(self) -> None:
        self.set_error(self.inspector.commit(self.node_id, self.name, self.value()))


class LayerInspector(QFrame):
    """Fields of the selected layer (objectName ``layerInspector``)."""

    def __init__(self, controller: EditorController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerInspector")
        self.controller = controller
        self.node_id: str | None = None
        self.fields: dict[str, Field] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(6)
        head = QHBoxLayout()
        self.badge = QLabel()
        head.addWidget(self.badge)
        self.title = QLabel("No layer selected")
        self.title.setObjectName("inspectorTitle")
        self.title.setStyleSheet(f"font-size: 12pt; font-weight: 600; color: {theme.TEXT};")
        head.addWidget(self.title, 1)
        lay.addLayout(head)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet(f"color: {theme.MUTED}; font-style: italic; font-size: 9pt;")
        lay.addWidget(self.about)
        self.info = QLabel()
        self.info.setObjectName("inspectorInfo")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setStyleSheet(f"color: {theme.TEXT}; font-size: 9pt;")
        lay.addWidget(self.info)
        self.problem = QLabel()
        self.problem.setObjectName("inspectorProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(
            f"background: {theme.ERROR_BG}; color: {theme.ERROR}; border-radius: 6px; "
            "padding: 6px; font-size: 9pt;")
        self.problem.hide()
        lay.addWidget(self.problem)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 4, 0, 0)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setVerticalSpacing(8)
        lay.addWidget(self.form_host)
        self.locked = QLabel()
        self.locked.setWordWrap(True)
        self.locked.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        self.locked.hide()
        lay.addWidget(self.locked)
        lay.addStretch(1)
        self.setStyleSheet("QFrame#layerInspector { background: white; }")
        controller.analysisChanged.connect(self.refresh)
        controller.session.trainingStateChanged.connect(lambda _s: self.refresh())
        self.show_node(None)

    # ------------------------------------------------------------------ showing
    def show_node(self, node_id: str | None) -> None:
        """Build the fields of ``node_id`` (None: a short guide instead)."""
        self.node_id = node_id
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        node = self.controller.design.nodes.get(node_id) if node_id else None
        if node is None:
            self.node_id = None
            self.badge.clear()
            self.title.setText("No layer selected")
            self.about.setText("Click a layer to see and change its settings. Drag layers from "
                               "the palette; drag from a card's right port to another card's "
                               "left port to connect them.")
            self.info.clear()
            self.problem.hide()
            self.locked.hide()
            return
        for name, label, kind, hint in FIELDS.get(node.kind, []):
            field = Field(self, name, kind, hint)
            self.fields[name] = field
            text = QLabel(label)
            text.setStyleSheet(f"color: {theme.MUTED}; padding-top: 4px;")
            self.form.addRow(text, field)
            field.show()
            text.show()
        if not self.fields:
            note = QLabel("This layer has no settings.")
            note.setStyleSheet(f"color: {theme.MUTED}; font-style: italic;")
            self.form.addRow(note)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the selected layer (values, shapes, problem) without echoing edits."""
        node = self.controller.design.nodes.get(self.node_id) if self.node_id else None
        if node is None:
            if self.node_id is not None:
                self.show_node(None)
            return
        self.badge.setPixmap(theme.kind_icon(node.kind, 26).pixmap(26, 26))
        self.title.setText(f"{node.id}  <span style='color:{theme.FAINT}; font-weight:400'>"
                           f"{node.kind}</span>")
        self.about.setText(theme.KINDS.get(node.kind, ("", "", ""))[2])
        analysis = self.controller.session.analysis
        ins = analysis.input_shapes.get(node.id) or []
        out = analysis.shapes.get(node.id)
        rows = []
        if node.kind != "Input":
            rows.append(("Receives", ", ".join(format_shape(s) for s in ins) or "nothing yet"))
        rows.append(("Gives", format_shape(out)))
        rows.append(("Parameters", f"{analysis.param_counts.get(node.id, 0):,}"))
        self.info.setText("<table cellspacing=2>" + "".join(
            f"<tr><td style='color:{theme.MUTED}; padding-right:8px'>{k}</td><td>{v}</td></tr>"
            for k, v in rows) + "</table>")
        err = analysis.errors.get(node.id)
        if err is not None:
            fix = f"<br><b>Fix:</b> {err.fix}" if err.fix else ""
            self.problem.setText(f"<b>Problem:</b> {err.message}{fix}")
            self.problem.show()
        else:
            self.problem.hide()
        for name, field in self.fields.items():
            field.set_value(node.params.get(name))
        training = self.controller.session.is_training
        for field in self.fields.values():
            field.edit.setEnabled(not training)
        self.locked.setText("Training is running: layer settings are locked until it stops.")
        self.locked.setVisible(training and bool(self.fields))

    # ------------------------------------------------------------------ editing
    def check(self, node_id: str | None, name: str, value: object) -> ParamError | None:
        if node_id is None or node_id not in self.controller.design.nodes:
            return None
        return self.controller.check_params(node_id, **{name: value})

    def commit(self, node_id: str | None, name: str, value: object) -> ParamError | str | None:
        """Apply one field's value if the model accepts it; else return the refusal."""
        node = self.controller.design.nodes.get(node_id) if node_id else None
        if node is None:
            return None
        err = self.controller.check_params(node.id, **{name: value})
        if err is not None:
            return err
        if self.controller.session.is_training:
            return None
        clean = validate_params(node.kind, {**node.params, name: value})[name]
        return self.controller.set_params(node.id, **{name: clean})
