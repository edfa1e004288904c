"""The main window's actions, menus, toolbar, status bar and file commands.

Kept apart from ``main_window.py`` so each stays readable: :class:`WindowCommands` is built
once with the window and owns everything the window's chrome is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QToolBar, QWidget

from nnstudio.core.templates import TEMPLATES
from nnstudio.gui.theme import icon

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

MODEL_FILTER = "nnstudio model (*.npz)"
DESIGN_FILTER = "Design only, no weights (*.json)"
OPEN_FILTER = "Designs and models (*.json *.npz);;nnstudio model (*.npz);;Design (*.json)"


@dataclass
class Actions:
    new: QAction
    open: QAction
    save: QAction
    save_as: QAction
    export_design: QAction
    export_model: QAction
    export_tools: QAction
    export_png: QAction
    export_csv: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    play: QAction
    pause: QAction
    play_pause: QAction
    step: QAction
    step_epoch: QAction
    stop: QAction
    reset: QAction
    about: QAction


@dataclass
class StatusLabels:
    """The permanent labels of the status bar."""

    state: QLabel
    epoch: QLabel
    batch: QLabel
    speed: QLabel
    elapsed: QLabel


def _action(win: QWidget, text: str, name: str, slot: Callable[[], object], *,
            shortcut: QKeySequence.StandardKey | str | None = None,
            icon_name: str | None = None, tip: str = "") -> QAction:
    act = QAction(text, win)
    act.setObjectName(name)
    if icon_name:
        act.setIcon(icon(icon_name))
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setToolTip(tip)
        act.setStatusTip(tip)
    act.triggered.connect(slot)
    win.addAction(act)
    return act


# ---------------------------------------------------------------------- help
GUIDES: list[tuple[str, str]] = [
    ("Training in three steps",
     "<ol><li>Pick data in the <b>Training</b> panel (the synthetic digits need no "
     "download).</li><li>Press <b>Play</b> (Space). The <b>Train</b> page shows the cost "
     "falling and the accuracy rising as the network learns.</li><li>Press <b>Pause</b> to "
     "look closely, <b>Step</b> to train one batch at a time, <b>Stop</b> to keep the weights "
     "and <b>Reset</b> to start again from random weights.</li></ol>"
     "<p>Learning rate and batch size can be changed while training.</p>"),
    ("Reading the cost curves",
     "<p>The <b>cost</b> measures how wrong the network is: lower is better. The faint line "
     "is the cost of each mini-batch, the bold line its moving average.</p><p>Orange squares "
     "show the cost on <b>validation</b> samples the network never trains on. When it rises "
     "while the training cost keeps falling, the network is memorising (overfitting): stop "
     "earlier, add L2 decay or Dropout, or use more data.</p><p>A cost that jumps up and down "
     "or explodes means the learning rate is too large.</p>"),
    ("Saving your work",
     "<p><b>Save</b> writes one <i>.npz</i> file with the design, the trained weights and the "
     "training curves. A <i>.json</i> file keeps only the design. Both open again with "
     "<b>File &gt; Open</b>.</p>"),
]


class WindowCommands:
    """The window's actions, menus, toolbar and status bar, and the file commands behind them.

    Built once by :class:`~nnstudio.gui.main_window.MainWindow` with the window itself, after
    its pages and Training dock exist::

        commands = WindowCommands(window)
        commands.open_path("model.npz")
    """

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self.actions = self.build_actions()
        self.toolbar = self.build_toolbar()
        self.recent_menu = self.build_menus()
        self.status = self.build_status_bar()
        win.session.modelChanged.connect(self.name_steps)
        self.name_steps()

    def name_steps(self) -> None:
        """A perceptron learns one sample at a time: its Step trains a sample, not a batch."""
        from nnstudio.core.perceptron import is_perceptron

        net = self.win.session.network
        one = net is not None and is_perceptron(net)
        step, epoch = self.actions.step, self.actions.step_epoch
        step.setText("Step one &sample" if one else "Step one &batch")
        step.setToolTip("Learn from one sample by the perceptron rule, then pause" if one
                        else "Train one mini-batch, then pause")
        epoch.setText("Step one &pass" if one else "Step one &epoch")

    def build_actions(self) -> Actions:
        c = self.win.controller
        # from the group: they follow the active history when a design replaces another
        undo = self.win.session.undo_group.createUndoAction(self.win, "&Undo")
        undo.setObjectName("actionUndo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.win.session.undo_group.createRedoAction(self.win, "&Redo")
        redo.setObjectName("actionRedo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        SK = QKeySequence.StandardKey  # noqa: N806
        return Actions(
            new=_action(self.win, "&New design", "actionNew", self.new_design, shortcut=SK.New,
                        icon_name="new", tip="Start an empty design"),
            open=_action(self.win, "&Open…", "actionOpen", self.open_dialog, shortcut=SK.Open,
                         icon_name="open",
                         tip="Open a design (.json) or a trained model (.npz)"),
            save=_action(self.win, "&Save", "actionSave", self.save, shortcut=SK.Save,
                         icon_name="save", tip="Save the design with its weights"),
            save_as=_action(self.win, "Save &As…", "actionSaveAs", self.save_as,
                            shortcut="Ctrl+Shift+S"),
            export_design=_action(self.win, "Design as &JSON…", "actionExportDesign",
                                  self.export_design),
            export_model=_action(self.win, "&Model with weights (.npz)…", "actionExportModel",
                                 lambda: self.save_as(MODEL_FILTER, export=True)),
            export_tools=_action(self.win, "Model for other &tools (ONNX, PyTorch, NumPy)…",
                                 "actionExportTools", self.export_for_tools,
                                 tip="Write the model as ONNX, PyTorch code or NumPy code, "
                                 "checked against nnstudio"),
            export_png=_action(self.win, "Training plots as &PNG…", "actionExportPng",
                               self.win.train_view.export_png_dialog),
            export_csv=_action(self.win, "Training metrics as &CSV…", "actionExportCsv",
                               self.win.train_view.export_csv_dialog),
            quit=_action(self.win, "&Quit", "actionQuit", self.win.close, shortcut=SK.Quit),
            undo=undo,
            redo=redo,
            play=_action(self.win, "&Play", "actionPlay", c.play, icon_name="play",
                         tip="Train: start, or continue after a pause (Space)"),
            pause=_action(self.win, "Pa&use", "actionPause", c.pause, icon_name="pause",
                          tip="Pause between two batches (Space)"),
            play_pause=_action(self.win, "Play/Pause", "actionPlayPause", c.toggle,
                               shortcut="Space"),
            step=_action(self.win, "Step one &batch", "actionStep", c.step_batch,
                         icon_name="step", shortcut="Ctrl+Right",
                         tip="Train one mini-batch, then pause"),
            step_epoch=_action(self.win, "Step one &epoch", "actionStepEpoch", c.step_epoch,
                               icon_name="step-epoch", shortcut="Ctrl+Shift+Right",
                               tip="Train to the end of this epoch, then pause"),
            stop=_action(self.win, "&Stop", "actionStop", c.stop, icon_name="stop",
                         tip="End training; the weights learnt so far are kept"),
            reset=_action(self.win, "&Reset weights", "actionReset", self.reset,
                          icon_name="reset",
                          tip="New random weights: start learning from scratch"),
            about=_action(self.win, "&About nnstudio", "actionAbout", self.about),
        )

    def build_toolbar(self) -> QToolBar:
        a = self.actions
        bar = QToolBar("Main toolbar")
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for act in (a.new, a.open, a.save):
            bar.addAction(act)
        bar.addSeparator()
        for act in (a.play, a.pause, a.step, a.step_epoch, a.stop, a.reset):
            bar.addAction(act)
        self.win.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        return bar

    def build_menus(self) -> QMenu:
        """The menu bar; returns the "Open recent" menu (filled each time it opens)."""
        a = self.actions
        mb = self.win.menuBar()
        f = mb.addMenu("&File")
        f.setObjectName("menuFile")
        f.addAction(a.new)
        templates = f.addMenu("New from &template")
        templates.setObjectName("menuTemplates")
        for name, desc in TEMPLATES.items():
            act = templates.addAction(f"{name} — {desc}")
            act.setObjectName(f"actionTemplate_{name}")
            act.triggered.connect(lambda _=False, n=name: self.new_from_template(n))
        f.addAction(a.open)
        recent = f.addMenu("Open &recent")
        recent.setObjectName("menuRecent")
        recent.aboutToShow.connect(self.fill_recent)
        f.addSeparator()
        f.addAction(a.save)
        f.addAction(a.save_as)
        export = f.addMenu("&Export")
        export.setObjectName("menuExport")
        for act in (a.export_design, a.export_model, a.export_tools, a.export_png,
                    a.export_csv):
            export.addAction(act)
        f.addSeparator()
        f.addAction(a.quit)

        e = mb.addMenu("&Edit")
        e.setObjectName("menuEdit")
        e.addAction(a.undo)
        e.addAction(a.redo)

        t = mb.addMenu("&Train")
        t.setObjectName("menuTrain")
        for act in (a.play, a.pause, a.step, a.step_epoch, a.stop):
            t.addAction(act)
        t.addSeparator()
        t.addAction(a.reset)

        v = mb.addMenu("&View")
        v.setObjectName("menuView")
        v.addAction(self.win.training_panel.toggleViewAction())
        v.addAction(self.toolbar.toggleViewAction())
        v.addSeparator()
        for i in range(self.win.tabs.count()):
            act = v.addAction(f"Go to {self.win.tabs.tabText(i)}")
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, k=i: self.win.tabs.setCurrentIndex(k))

        h = mb.addMenu("&Help")
        h.setObjectName("menuHelp")
        for title, text in GUIDES:
            act = h.addAction(title)
            act.triggered.connect(lambda _=False, ti=title, tx=text: self.guide(ti, tx))
        h.addSeparator()
        h.addAction(a.about)
        return recent

    def build_status_bar(self) -> StatusLabels:
        sb = self.win.statusBar()
        sb.setObjectName("statusBar")
        labels = StatusLabels(
            state=QLabel("Ready"), epoch=QLabel("Epoch –"), batch=QLabel("Batch –"),
            speed=QLabel("– samples/s"), elapsed=QLabel("0:00"))
        for name, label in (("stateLabel", labels.state), ("epochLabel", labels.epoch),
                            ("batchLabel", labels.batch), ("speedLabel", labels.speed),
                            ("elapsedLabel", labels.elapsed)):
            label.setObjectName(name)
        labels.elapsed.setToolTip("Training time, pauses excluded")
        for w in (labels.epoch, labels.batch, labels.speed, labels.elapsed):
            w.setStyleSheet("padding: 0 6px; color: #444444;")
            sb.addPermanentWidget(w)
        sb.addPermanentWidget(labels.state)
        return labels

    # ---------------------------------------------------------------------- file commands

    def _busy(self) -> bool:
        """True (and says so) when training is running: replacing the design must wait."""
        if self.win.controller.running:
            self.win.show_error("Training is running",
                           "Stop training first (Train > Stop), then try again.", name="busyBox")
            return True
        return False

    def maybe_save(self, question: str | None = None) -> bool:
        """Ask to save unsaved changes (Save / Discard / Cancel); False when the person
        cancels."""
        from nnstudio.gui.dialogs import UNSAVED_QUESTION, confirm_unsaved

        return confirm_unsaved(self.win, self.win.session, self.save,
                               question or UNSAVED_QUESTION)

    def new_design(self) -> None:
        if self._busy() or not self.maybe_save():
            return
        from nnstudio.core.design import Design

        design = Design("untitled")
        try:
            inp = design.add_node("Input", pos=(0.0, 0.0))
            out = design.add_node("Output", pos=(380.0, 0.0))
            del inp, out
        except Exception:  # noqa: BLE001 - an empty design is still fine
            design = Design("untitled")
        self.win.session.set_design(design)
        self.win.statusBar().showMessage("New design: add layers on the Design page.", 5000)

    def new_from_template(self, name: str) -> None:
        if self._busy() or not self.maybe_save():
            return
        from nnstudio.core.templates import get_template

        self.win.session.set_design(get_template(name))
        self.win.statusBar().showMessage(
            f"New design from the {name} template (random weights).", 5000)

    def open_dialog(self) -> None:
        if self._busy() or not self.maybe_save():
            return
        start = str(Path(self.win.recent_files()[0]).parent) if self.win.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self.win, "Open a design or model", start,
                                              OPEN_FILTER)
        if path:
            self.open_path(path, ask=False)

    def open_path(self, path: str | Path, *, ask: bool = True) -> bool:
        """Open a design (.json) or model (.npz); errors are shown, nothing is lost."""
        if self._busy() or (ask and not self.maybe_save()):
            return False
        path = Path(path)
        try:
            if path.suffix.lower() == ".npz":
                from nnstudio.core.modelfile import load_model

                m = load_model(path)
                self.win.session.set_design(m.design, path=path, weights=m.network.get_weights(),
                                       history=m.history, meta=m.meta)
            else:
                from nnstudio.core.design import load_design
                from nnstudio.limits import design_file_refusal, design_refusal

                refusal = design_file_refusal(path)
                design = None if refusal else load_design(path)
                refusal = refusal or design_refusal(design)
                if refusal:          # the command line refuses it with the same words
                    self.win.show_error("Could not open the file", refusal,
                                        name="openErrorBox")
                    return False
                self.win.session.set_design(design, path=path)
        except (OSError, ValueError) as exc:  # ModelFileError, DesignError are ValueErrors
            text = str(exc) if path.name in str(exc) else f"{path.name}: {exc}"
            self.win.show_error("Could not open the file", text, name="openErrorBox")
            return False
        except Exception as exc:  # noqa: BLE001 - the person must always hear what happened
            self.win.show_error("Could not open the file",
                                f"{path.name} could not be opened ({type(exc).__name__}: "
                                f"{str(exc)[:200]}). Nothing was changed.", name="openErrorBox")
            return False
        self.win.add_recent(path)
        self.win.statusBar().showMessage(f"Opened {path}", 5000)
        self.warn_nonfinite_weights(path.name)
        return True

    def warn_nonfinite_weights(self, what: str) -> bool:
        """Say so when the session's weights hold NaN or infinite values; True if they do."""
        from nnstudio.core.weightstore import nonfinite_layers

        net = self.win.session.network
        bad = nonfinite_layers(net.get_weights()) if net is not None else []
        if bad:
            self.win.show_error(
                "The model's weights are damaged",
                f"{what}: the weights of {', '.join(bad)} are not numbers (NaN or infinite), "
                "so its answers mean nothing. Train > Reset gives the network fresh random "
                "weights to train again; the file itself is not changed.", name="badWeightsBox")
        return bool(bad)

    def fill_recent(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        files = self.win.recent_files()
        if not files:
            menu.addAction("No recent files").setEnabled(False)
            return
        for f in files:
            act = menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _=False, p=f: self.open_path(p))
        menu.addSeparator()
        menu.addAction("Clear the list").triggered.connect(
            lambda: self.win.settings.setValue("recentFiles", [])
        )

    def save(self) -> bool:
        p = self.win.session.path
        if p is None:
            return self.save_as()
        return self.write_file(p)

    def save_as(self, default_filter: str | None = None, *, export: bool = False) -> bool:
        s = self.win.session
        filters = f"{MODEL_FILTER};;{DESIGN_FILTER}" if s.network is not None else DESIGN_FILTER
        base = s.path.stem if s.path is not None else (s.design.name or "untitled")
        suffix = ".json" if s.network is None or default_filter == DESIGN_FILTER else ".npz"
        path, chosen = QFileDialog.getSaveFileName(self.win, "Export" if export else "Save as",
                                                   base + suffix, filters,
                                                   default_filter or filters.split(";;")[0])
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json" if chosen == DESIGN_FILTER else ".npz")
        return self.write_file(path, remember=not export)

    def export_design(self) -> bool:
        base = self.win.session.design.name or "design"
        path, _ = QFileDialog.getSaveFileName(self.win, "Export the design", base + ".json",
                                              DESIGN_FILTER)
        return bool(path) and self.write_file(Path(path), remember=False)

    def write_file(self, path: str | Path, *, remember: bool = True) -> bool:
        """Save the design (.json) or the model with weights and history (.npz)."""
        s = self.win.session
        path = Path(path)
        try:
            if path.suffix.lower() == ".npz":
                if s.network is None:
                    raise ValueError("the design is not valid, so there are no weights to save; "
                                     "save it as a .json design instead")
                from nnstudio.core.modelfile import save_model

                meta = dict(s.meta)
                if s.network.task == "classification":
                    meta["classes"] = s.class_names  # one name per output, as shown
                if self.win.controller.data.spec:
                    meta["data"] = self.win.controller.data.spec
                if s.dataset is not None:
                    from nnstudio.data.csvdata import column_encoding

                    if (columns := column_encoding(s.dataset)) is not None:
                        meta["columns"] = columns       # how predict encodes new rows
                save_model(path, s.network, s.history, meta)
            else:
                from nnstudio.core.design import save_design

                save_design(s.design, path)
        except (OSError, ValueError) as exc:
            self.win.show_error("Could not save", f"{path}: {exc}", name="saveErrorBox")
            return False
        if remember:
            s.path = path
            s.set_dirty(False)
            self.win._update_title()
            self.win.add_recent(path)
        self.win.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export_for_tools(self) -> None:
        from nnstudio.gui.export_dialog import open_export_dialog

        open_export_dialog(self.win)

    def reset(self) -> None:
        self.win.controller.reset()
        self.win.statusBar().showMessage("New random weights: the network starts learning from "
                                    "scratch.", 5000)

    def guide(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok,
                          self.win)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def about(self) -> None:
        from nnstudio import __version__

        QMessageBox.about(
            self.win, "About nnstudio",
            f"<h3>nnstudio {__version__}</h3><p>A desktop neural-network studio: draw digits, "
            "design networks visually and watch them learn, live.</p><p>Pure NumPy engine, "
            "PySide6 and pyqtgraph interface.</p>",
        )
