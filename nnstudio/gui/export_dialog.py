"""File > Export > Model for other tools: ONNX, PyTorch code or NumPy code, checked.

The dialog chooses the target and where to write it; the export itself (with its parity
check, which imports onnx or torch and can take seconds) runs on a
:class:`~nnstudio.gui.worker.Worker` on a *copy* of the network, which reports started /
result / error / finished back to the dialog on the GUI thread.

The suggested names follow the model's file (``mymlp.npz`` -> ``mymlp-pytorch``), or the
design's name before it is saved. The status text is plain text (a name never renders as
markup) and the dialog grows to show all of it: a word-wrapped label's height depends on
its width, which a dialog's own minimum size does not follow by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.worker import Worker

#: target -> (what the person sees, what the path names)
TARGETS = {
    "onnx": ("ONNX file (.onnx): Netron, onnxruntime, other frameworks", "file"),
    "pytorch": ("PyTorch folder: model.py, weights, train.py (keeps nnstudio runs)", "folder"),
    "numpy": ("NumPy folder: predict.py and weights, nothing else needed", "folder"),
}


def _export(network: Any, target: str, out: Path, meta: dict) -> Any:
    """:func:`nnstudio.export.parity.export_model` (on the worker's thread)."""
    from nnstudio.export.parity import export_model

    return export_model(network, target, out, meta)


def _network_copy(network: Any) -> Any:
    """An independent copy of ``network`` (design and weights) for the worker thread."""
    from nnstudio.core.network import Network

    copy = Network(network.design, seed=network.seed)
    copy.set_weights(network.get_weights())
    return copy


class ExportDialog(QDialog):
    """Choose a target and a path, export with a parity check, show the figures."""

    def __init__(self, network: Any, meta: dict, base_name: str, folder: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export the model for other tools")
        self.network, self.meta = network, dict(meta)
        self.base_name, self.folder = base_name or "model", folder
        self.worker: Worker | None = None
        self.last_result: Any = None

        self.target = QComboBox(objectName="exportTarget")
        for key, (text, _) in TARGETS.items():
            self.target.addItem(text, key)
        self.path = QLineEdit(objectName="exportPath")
        self.browse = QPushButton("Choose…", objectName="exportBrowse")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Export as", self.target)
        form.addRow("Write to", row)
        self.status = QLabel("After writing, the export is run and its answers are compared "
                             "with nnstudio's own.", objectName="exportStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(460)
        self.buttons = QDialogButtonBox(objectName="exportButtons")
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportRun")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.target.currentIndexChanged.connect(self._target_changed)
        self.browse.clicked.connect(self._choose)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self._target_changed()

    # ------------------------------------------------------------------ size
    def say(self, text: str) -> None:
        """Show ``text`` in the status line, growing the dialog until all of it shows."""
        self.status.setText(text)
        self._fit_height()

    def _fit_height(self) -> None:
        """Make the dialog at least as tall as its contents need at its present width."""
        layout = self.layout()
        layout.activate()
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        need = max(need, layout.totalMinimumSize().height())
        if need != self.minimumHeight():
            self.setMinimumHeight(need)
        if self.height() < need:
            self.resize(self.width(), need)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    # ------------------------------------------------------------------ choices
    def current_target(self) -> str:
        return str(self.target.currentData())

    def _default_path(self, target: str) -> Path:
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.base_name[:60])
        name = name.strip("_") or "model"
        suffix = ".onnx" if target == "onnx" else f"-{target}"
        return self.folder / f"{name}{suffix}"

    @Slot()
    def _target_changed(self) -> None:
        self.path.setText(str(self._default_path(self.current_target())))

    @Slot()
    def _choose(self) -> None:
        target = self.current_target()
        if TARGETS[target][1] == "file":
            path, _ = QFileDialog.getSaveFileName(self, "Export as ONNX", self.path.text(),
                                                  "ONNX models (*.onnx)")
        else:
            path = QFileDialog.getExistingDirectory(self, f"Folder for the {target} export",
                                                    str(Path(self.path.text()).parent))
        if path:
            self.path.setText(path)

    # ------------------------------------------------------------------ running
    @property
    def busy(self) -> bool:
        return self.worker is not None

    @Slot()
    def start(self) -> None:
        """Export to the chosen target and path in a worker thread."""
        if self.busy:
            return
        text = self.path.text().strip()
        if not text:
            self.say("Give a file or folder to write to.")
            return
        target = self.current_target()
        worker = Worker(_export, _network_copy(self.network), target, Path(text), self.meta,
                        name=f"export {target}")
        worker.started.connect(self._on_started)
        worker.result.connect(self._on_result)
        worker.error.connect(lambda exc: self._on_error(str(exc) or type(exc).__name__))
        worker.finished.connect(self._on_finished)
        self.worker = worker
        worker.start()

    @Slot()
    def _on_started(self) -> None:
        self.export_button.setEnabled(False)
        self.say("Exporting and checking…")

    @Slot(object)
    def _on_result(self, result: Any) -> None:
        self.last_result = result
        lines = [f"Wrote {', '.join(p.name for p in result.paths)} in {result.seconds:.1f} s."]
        if result.parity:
            figures = ", ".join(f"{k} {v:.1e}" for k, v in result.parity.items())
            lines.append(f"Same answers as nnstudio: largest difference {figures}.")
            lines += [f"Not checked with {k}: {why.rstrip('.')}."
                      for k, why in result.skipped.items()]
        else:
            whys = "; ".join(why.rstrip(".") for why in result.skipped.values())
            lines.append("Its answers were not compared with nnstudio's"
                         + (f": {whys}." if whys else "."))
        lines += [f"Layer '{k}' is called {v} in the code." for k, v in result.renamed.items()]
        self.say("\n".join(lines))

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self.last_result = None
        self.say(f"Could not export: {message}")

    @Slot()
    def _on_finished(self) -> None:
        self.worker = None
        self.export_button.setEnabled(True)

    def done(self, code: int) -> None:
        if self.worker is not None:  # closing: let the export end first (files being written)
            self.worker.wait(60.0)
        super().done(code)


def open_export_dialog(win: Any) -> ExportDialog | None:
    """Show the dialog for the window's current model (a message when there is none)."""
    s = win.session
    if s.network is None:
        win.show_error("Nothing to export", "The design is not valid yet, so there is no "
                       "model to export. Fix the marked layers on the Design page first.",
                       name="exportErrorBox")
        return None
    meta = dict(s.meta)
    if s.dataset is not None:
        from nnstudio.data.csvdata import column_encoding

        if s.dataset.classes:
            meta["classes"] = list(s.dataset.classes)
        if (columns := column_encoding(s.dataset)) is not None:
            meta["columns"] = columns
    if s.path is not None:      # named after the model's file once it has one
        base_name, folder = Path(s.path).stem, Path(s.path).parent
    else:
        base_name, folder = s.design.name, Path.home()
    dialog = ExportDialog(s.network, meta, base_name, folder, win)
    win.export_dialog = dialog
    dialog.open()
    return dialog
