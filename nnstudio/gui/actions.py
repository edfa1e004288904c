"""The main window's actions, menus, toolbar, status bar and file commands.

Kept apart from ``main_window.py`` so each stays readable; every function takes the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QToolBar

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


def _action(win: Any, text: str, name: str, slot: Any, *, shortcut: Any = None,
            icon_name: str | None = None, tip: str = "") -> QAction:
    from nnstudio.gui.theme import icon

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


def build_actions(win: MainWindow) -> Actions:
    c = win.controller
    undo = win.session.undo_stack.createUndoAction(win, "&Undo")
    undo.setObjectName("actionUndo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = win.session.undo_stack.createRedoAction(win, "&Redo")
    redo.setObjectName("actionRedo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    SK = QKeySequence.StandardKey  # noqa: N806
    return Actions(
        new=_action(win, "&New design", "actionNew", lambda: new_design(win), shortcut=SK.New,
                    icon_name="new", tip="Start an empty design"),
        open=_action(win, "&Open…", "actionOpen", lambda: open_dialog(win), shortcut=SK.Open,
                     icon_name="open", tip="Open a design (.json) or a trained model (.npz)"),
        save=_action(win, "&Save", "actionSave", lambda: save(win), shortcut=SK.Save,
                     icon_name="save", tip="Save the design with its weights"),
        save_as=_action(win, "Save &As…", "actionSaveAs", lambda: save_as(win),
                        shortcut="Ctrl+Shift+S"),
        export_design=_action(win, "Design as &JSON…", "actionExportDesign",
                              lambda: export_design(win)),
        export_model=_action(win, "&Model with weights (.npz)…", "actionExportModel",
                             lambda: save_as(win, MODEL_FILTER, export=True)),
        export_tools=_action(win, "Model for other &tools (ONNX, PyTorch, NumPy)…",
                             "actionExportTools", lambda: _export_for_tools(win),
                             tip="Write the model as ONNX, PyTorch code or NumPy code, "
                             "checked against nnstudio"),
        export_png=_action(win, "Training plots as &PNG…", "actionExportPng",
                           lambda: win.train_view and win.train_view.export_png_dialog()),
        export_csv=_action(win, "Training metrics as &CSV…", "actionExportCsv",
                           lambda: win.train_view and win.train_view.export_csv_dialog()),
        quit=_action(win, "&Quit", "actionQuit", win.close, shortcut=SK.Quit),
        undo=undo,
        redo=redo,
        play=_action(win, "&Play", "actionPlay", c.play, icon_name="play",
                     tip="Train: start, or continue after a pause (Space)"),
        pause=_action(win, "Pa&use", "actionPause", c.pause, icon_name="pause",
                      tip="Pause between two batches (Space)"),
        play_pause=_action(win, "Play/Pause", "actionPlayPause", c.toggle, shortcut="Space"),
        step=_action(win, "Step one &batch", "actionStep", c.step_batch, icon_name="step",
                     shortcut="Ctrl+Right", tip="Train one mini-batch, then pause"),
        step_epoch=_action(win, "Step one &epoch", "actionStepEpoch", c.step_epoch,
                           icon_name="step-epoch", shortcut="Ctrl+Shift+Right",
                           tip="Train to the end of this epoch, then pause"),
        stop=_action(win, "&Stop", "actionStop", c.stop, icon_name="stop",
                     tip="End training; the weights learnt so far are kept"),
        reset=_action(win, "&Reset weights", "actionReset", lambda: reset(win),
                      icon_name="reset", tip="New random weights: start learning from scratch"),
        about=_action(win, "&About nnstudio", "actionAbout", lambda: about(win)),
    )


def build_toolbar(win: MainWindow) -> None:
    a = win.actions_
    bar = QToolBar("Main toolbar")
    bar.setObjectName("mainToolBar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for act in (a.new, a.open, a.save):
        bar.addAction(act)
    bar.addSeparator()
    for act in (a.play, a.pause, a.step, a.step_epoch, a.stop, a.reset):
        bar.addAction(act)
    win.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    win.toolbar = bar


def build_menus(win: MainWindow) -> None:
    a = win.actions_
    mb = win.menuBar()
    f = mb.addMenu("&File")
    f.setObjectName("menuFile")
    f.addAction(a.new)
    templates = f.addMenu("New from &template")
    templates.setObjectName("menuTemplates")
    try:
        from nnstudio.core.templates import TEMPLATES
    except ImportError:
        TEMPLATES = {}  # noqa: N806
    for name, desc in TEMPLATES.items():
        act = templates.addAction(f"{name} — {desc}")
        act.setObjectName(f"actionTemplate_{name}")
        act.triggered.connect(lambda _=False, n=name: new_from_template(win, n))
    f.addAction(a.open)
    win.recent_menu = f.addMenu("Open &recent")
    win.recent_menu.setObjectName("menuRecent")
    win.recent_menu.aboutToShow.connect(lambda: fill_recent(win))
    f.addSeparator()
    f.addAction(a.save)
    f.addAction(a.save_as)
    export = f.addMenu("&Export")
    export.setObjectName("menuExport")
    for act in (a.export_design, a.export_model, a.export_tools, a.export_png, a.export_csv):
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
    v.addAction(win.training_panel.toggleViewAction())
    v.addAction(win.toolbar.toggleViewAction())
    v.addSeparator()
    for i in range(win.tabs.count()):
        act = v.addAction(f"Go to {win.tabs.tabText(i)}")
        act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
        act.triggered.connect(lambda _=False, k=i: win.tabs.setCurrentIndex(k))

    h = mb.addMenu("&Help")
    h.setObjectName("menuHelp")
    for title, text in GUIDES:
        act = h.addAction(title)
        act.triggered.connect(lambda _=False, ti=title, tx=text: guide(win, ti, tx))
    h.addSeparator()
    h.addAction(a.about)


def build_status_bar(win: MainWindow) -> None:
    sb = win.statusBar()
    sb.setObjectName("statusBar")
    win.state_label = QLabel("Ready")
    win.state_label.setObjectName("stateLabel")
    win.epoch_label = QLabel("Epoch –")
    win.epoch_label.setObjectName("epochLabel")
    win.batch_label = QLabel("Batch –")
    win.batch_label.setObjectName("batchLabel")
    win.speed_label = QLabel("– samples/s")
    win.speed_label.setObjectName("speedLabel")
    win.time_label = QLabel("0:00")
    win.time_label.setObjectName("elapsedLabel")
    win.time_label.setToolTip("Training time, pauses excluded")
    for w in (win.epoch_label, win.batch_label, win.speed_label, win.time_label):
        w.setStyleSheet("padding: 0 6px; color: #444444;")
        sb.addPermanentWidget(w)
    sb.addPermanentWidget(win.state_label)


# ---------------------------------------------------------------------- file commands
def _busy(win: MainWindow) -> bool:
    """True (and says so) when training is running: replacing the design must wait."""
    if win.controller.running:
        win.show_error("Training is running",
                       "Stop training first (Train > Stop), then try again.", name="busyBox")
        return True
    return False


def maybe_save(win: MainWindow) -> bool:
    """Ask to save unsaved changes; False when the person cancels."""
    if not win.session.dirty:
        return True
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                      "The design or its weights have changed. Save them first?",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, win)
    box.setObjectName("saveChangesBox")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return save(win)
    return answer == QMessageBox.StandardButton.Discard


def new_design(win: MainWindow) -> None:
    if _busy(win) or not maybe_save(win):
        return
    from nnstudio.core.design import Design

    design = Design("untitled")
    try:
        inp = design.add_node("Input", pos=(0.0, 0.0))
        out = design.add_node("Output", pos=(380.0, 0.0))
        del inp, out
    except Exception:  # noqa: BLE001 - an empty design is still fine
        design = Design("untitled")
    win.session.set_design(design)
    win.statusBar().showMessage("New design: add layers on the Design page.", 5000)


def new_from_template(win: MainWindow, name: str) -> None:
    if _busy(win) or not maybe_save(win):
        return
    from nnstudio.core.templates import get_template

    win.session.set_design(get_template(name))
    win.statusBar().showMessage(f"New design from the {name} template (random weights).", 5000)


def open_dialog(win: MainWindow) -> None:
    if _busy(win) or not maybe_save(win):
        return
    start = str(Path(win.recent_files()[0]).parent) if win.recent_files() else ""
    path, _ = QFileDialog.getOpenFileName(win, "Open a design or model", start, OPEN_FILTER)
    if path:
        open_path(win, path, ask=False)


def open_path(win: MainWindow, path: str | Path, *, ask: bool = True) -> bool:
    """Open a design (.json) or model (.npz); errors are shown, nothing is lost."""
    if _busy(win) or (ask and not maybe_save(win)):
        return False
    path = Path(path)
    try:
        if path.suffix.lower() == ".npz":
            from nnstudio.core.modelfile import load_model

            m = load_model(path)
            win.session.set_design(m.design, path=path, weights=m.network.get_weights(),
                                   history=m.history, meta=m.meta)
        else:
            from nnstudio.core.design import load_design

            win.session.set_design(load_design(path), path=path)
    except (OSError, ValueError) as exc:  # ModelFileError, DesignError are ValueErrors
        win.show_error("Could not open the file", f"{path.name}: {exc}", name="openErrorBox")
        return False
    win.add_recent(path)
    win.statusBar().showMessage(f"Opened {path}", 5000)
    return True


def fill_recent(win: MainWindow) -> None:
    menu: QMenu = win.recent_menu
    menu.clear()
    files = win.recent_files()
    if not files:
        menu.addAction("No recent files").setEnabled(False)
        return
    for f in files:
        act = menu.addAction(Path(f).name)
        act.setToolTip(f)
        act.triggered.connect(lambda _=False, p=f: open_path(win, p))
    menu.addSeparator()
    menu.addAction("Clear the list").triggered.connect(
        lambda: win.settings.setValue("recentFiles", [])
    )


def save(win: MainWindow) -> bool:
    p = win.session.path
    if p is None:
        return save_as(win)
    return write_file(win, p)


def save_as(win: MainWindow, default_filter: str | None = None, *, export: bool = False) -> bool:
    s = win.session
    filters = f"{MODEL_FILTER};;{DESIGN_FILTER}" if s.network is not None else DESIGN_FILTER
    base = s.path.stem if s.path is not None else (s.design.name or "untitled")
    suffix = ".json" if s.network is None or default_filter == DESIGN_FILTER else ".npz"
    path, chosen = QFileDialog.getSaveFileName(win, "Export" if export else "Save as",
                                               base + suffix, filters,
                                               default_filter or filters.split(";;")[0])
    if not path:
        return False
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".json" if chosen == DESIGN_FILTER else ".npz")
    return write_file(win, path, remember=not export)


def export_design(win: MainWindow) -> bool:
    base = win.session.design.name or "design"
    path, _ = QFileDialog.getSaveFileName(win, "Export the design", base + ".json",
                                          DESIGN_FILTER)
    return bool(path) and write_file(win, Path(path), remember=False)


def write_file(win: MainWindow, path: str | Path, *, remember: bool = True) -> bool:
    """Save the design (.json) or the model with weights and history (.npz)."""
    s = win.session
    path = Path(path)
    try:
        if path.suffix.lower() == ".npz":
            if s.network is None:
                raise ValueError("the design is not valid, so there are no weights to save; "
                                 "save it as a .json design instead")
            from nnstudio.core.modelfile import save_model

            meta = dict(s.meta)
            if s.dataset is not None and s.dataset.classes:
                meta["classes"] = list(s.dataset.classes)
            if win.controller.dataset_spec:
                meta["data"] = win.controller.dataset_spec
            if s.dataset is not None:
                from nnstudio.data.csvdata import column_encoding

                if (columns := column_encoding(s.dataset)) is not None:
                    meta["columns"] = columns       # how predict encodes new rows
            save_model(path, s.network, s.history, meta)
        else:
            from nnstudio.core.design import save_design

            save_design(s.design, path)
    except (OSError, ValueError) as exc:
        win.show_error("Could not save", f"{path}: {exc}", name="saveErrorBox")
        return False
    if remember:
        s.path = path
        s.set_dirty(False)
        win._update_title()
        win.add_recent(path)
    win.statusBar().showMessage(f"Saved {path}", 5000)
    return True


def _export_for_tools(win: MainWindow) -> None:
    from nnstudio.gui.export_dialog import open_export_dialog

    open_export_dialog(win)


def reset(win: MainWindow) -> None:
    win.controller.reset()
    win.statusBar().showMessage("New random weights: the network starts learning from "
                                "scratch.", 5000)


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


def guide(win: MainWindow, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok,
                      win)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def about(win: MainWindow) -> None:
    from nnstudio import __version__

    QMessageBox.about(
        win, "About nnstudio",
        f"<h3>nnstudio {__version__}</h3><p>A desktop neural-network studio: draw digits, "
        "design networks visually and watch them learn, live.</p><p>Pure NumPy engine, "
        "PySide6 and pyqtgraph interface.</p>",
    )

