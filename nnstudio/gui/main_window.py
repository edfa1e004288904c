"""The studio's main window: pages in tabs, the Training dock, menus, toolbar, status bar.

Constructing :class:`MainWindow` builds everything without showing it. Given no session it
holds the ``cnn`` design with the shipped default model's weights (when the file is there);
unless told otherwise (``data``) the offline synthetic digits start loading in the
background when the session has no data, so Play trains at once.
What it shows lives in the session's state (:mod:`nnstudio.state`); the tabs are bound to its
``page``. A window made with ``remember`` (the application's) writes its session file when
it closes, for the next launch to reopen (:mod:`nnstudio.gui.moments`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from nnstudio.gui.actions import WindowCommands
from nnstudio.gui.binding import bind
from nnstudio.gui.session import Session
from nnstudio.gui.snapshot import Snapshot
from nnstudio.gui.train.controller import TrainingController
from nnstudio.gui.train.progress import RunWords
from nnstudio.gui.train.view import TrainView
from nnstudio.resources import default_model_path

log = logging.getLogger(__name__)

#: the data a first launch trains on: generated on this computer, no download
DEFAULT_DATA = "synthetic:10000"
DEFAULT_TEMPLATE = "cnn"
SETTINGS_VERSION = 1
MAX_RECENT = 8


def default_session() -> Session:
    """The ``cnn`` design with the shipped default model's weights when present."""
    from nnstudio.core.templates import get_template

    session = Session(get_template(DEFAULT_TEMPLATE))
    model = default_model_path()
    if model.is_file():
        try:
            from nnstudio.core.modelfile import load_model

            loaded = load_model(model)
            session.set_design(loaded.design, weights=loaded.network.get_weights(),
                               history=loaded.history, meta=loaded.meta)
        except Exception:  # noqa: BLE001 - a broken shipped file must not stop the app
            log.exception("the default model %s could not be loaded", model)
    session.set_dirty(False)
    return session


class MainWindow(QMainWindow):
    """nnstudio's main window (objectName ``mainWindow``).

    Parameters
    ----------
    session : Session, optional
        The state to show; a first-launch session (:func:`default_session`) when omitted.
    settings : QSettings, optional
        Where window layout and recent files are remembered (tests pass a temporary file).
    data : str or None
        Data source loaded in the background after construction; None loads nothing.
    remember : bool
        Write the session file (design, data, settings, view) when the window closes, for
        the next launch to reopen (:mod:`nnstudio.gui.moments`). The application does;
        windows made by programs and tests do not unless they ask.
    """

    def __init__(self, session: Session | None = None, *, settings: QSettings | None = None,
                 data: str | None = DEFAULT_DATA, remember: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remember = remember
        self.setObjectName("mainWindow")
        #: messages given before the window was first shown (a file opened at start-up)
        self._waiting_boxes: list[QMessageBox] = []
        from nnstudio.gui import theme

        theme.apply()
        self.settings = settings if settings is not None else QSettings("nnstudio", "nnstudio")
        self.session = session if session is not None else default_session()
        self.session.setParent(self)
        self.controller = TrainingController(self.session, self)
        self._closing = False

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.pages: dict[str, QWidget] = {}
        self._build_pages()
        self.setCentralWidget(self.tabs)

        from nnstudio.gui.train.panel import TrainingPanel

        self.training_panel = TrainingPanel(self.session, None, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.training_panel)
        from nnstudio.gui.runs import RunKeeper, RunsDock

        self.run_keeper = RunKeeper(self.session, self.controller, parent=self)
        self.runs_dock = RunsDock(self.session, self.run_keeper, self.train_view.plots, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.runs_dock)
        self.tabifyDockWidget(self.training_panel, self.runs_dock)
        self.training_panel.raise_()
        #: actions, menus, toolbar, status bar and the file commands behind them
        self.commands = WindowCommands(self)
        self.actions_ = self.commands.actions
        self.status = self.commands.status
        self._connect_pages()
        view = self.menuBar().findChild(QMenu, "menuView")
        if view is not None:
            view.insertAction(view.actions()[1], self.runs_dock.toggleViewAction())

        s = self.session
        s.dirtyChanged.connect(self._update_title)
        s.designReplaced.connect(self._update_title)
        s.state.events.path.connect(self._update_title)
        s.designReplaced.connect(self._clear_run_labels)
        s.trainingStateChanged.connect(self._on_state)
        s.figuresDue.connect(self._on_figures)
        s.modelChanged.connect(self._update_actions)
        self.controller.errored.connect(self._on_training_error)
        self.controller.data.failed.connect(
            lambda msg: self.statusBar().showMessage(f"Data could not be loaded: {msg}", 10000)
        )
        self.controller.data.loaded.connect(
            lambda spec: self.statusBar().showMessage(f"Data ready: {spec}", 5000)
        )
        self.controller.data.waiting.connect(self._on_waiting)
        self.controller.unresponsive.connect(self._on_unresponsive)
        self.run_keeper.warned.connect(
            lambda msg: self.statusBar().showMessage(f"Runs: {msg}", 30000))
        self.run_keeper.changed.connect(lambda _path: self.train_view.timeline.refresh())
        self.controller.responsive.connect(self._on_responsive)
        self._stall_box: QMessageBox | None = None

        self.resize(1400, 900)
        self.setMinimumSize(900, 600)
        self._restore_layout()
        bind(self, s.state, "page", changed=self.tabs.currentChanged,
             read=lambda: self.tabs.currentWidget().objectName(), show=self.show_page)
        self._update_title()
        self._on_state(s.training_state)
        if data and s.dataset is None:
            self._load_initial_data(data)

    # ------------------------------------------------------------------ building
    def _build_pages(self) -> None:
        from nnstudio.gui.pages import page_factories

        for name, title, factory in page_factories():
            page = factory(self.session)
            page.setObjectName(name)
            self.pages[name] = page
            self.tabs.addTab(page, title)

    def _connect_pages(self) -> None:
        """What pages ask of the window: saving the work, showing the Draw page."""
        from nnstudio.gui.design import EditorPanel

        design = self.pages.get("designPage")
        if isinstance(design, EditorPanel):
            design.save_changes = self.commands.save
        self.runs_dock.confirm_replace = self.commands.maybe_save
        self.session.showOnDrawPage.connect(self._show_draw_page)

    @Slot(object)
    def _show_draw_page(self, _image: Any) -> None:
        page = self.pages.get("drawPage")
        if page is not None:
            self.tabs.setCurrentWidget(page)

    def show_page(self, name: str) -> None:
        """Show the page called ``name`` (its objectName), if there is one."""
        page = self.pages.get(name)
        if page is not None:
            self.tabs.setCurrentWidget(page)

    @property
    def train_view(self) -> TrainView:
        page = self.pages["trainPage"]
        assert isinstance(page, TrainView)
        return page

    def _load_initial_data(self, spec: str) -> None:
        if self.session.dataset is None and not self._closing:
            net = self.session.network
            size = 28
            if net is not None:
                import numpy as np

                if int(np.prod(net.input_shape)) == 256:
                    size = 16
            self.controller.data.schedule(spec, size)

    # ------------------------------------------------------------------ state display
    @Slot()
    def _update_title(self, *_args: Any) -> None:
        s = self.session
        name = s.path.name if s.path is not None else (s.design.name or "untitled")
        self.setWindowTitle(f"{name}[*] — nnstudio")
        self.setWindowModified(s.dirty)

    @Slot(str)
    def _on_state(self, state: str) -> None:
        a = self.actions_
        running = state == "running"
        active = state in ("running", "paused")
        a.play.setEnabled(not running)
        a.pause.setEnabled(running)
        a.stop.setEnabled(active or self.controller.waiting_for_data)
        a.play_pause.setText("Pause" if running else "Play")
        labels = {"idle": "Ready", "running": "Training", "paused": "Paused",
                  "finished": "Finished", "stopped": "Stopped", "error": "Error"}
        self.status.state.setText(labels.get(state, state))
        colors = {"running": "#0877bd", "paused": "#8a5a12", "error": "#b4441b"}
        self.status.state.setStyleSheet(
            f"color: {colors.get(state, '#444444')}; font-weight: 600; padding: 0 6px;"
        )
        self.status.speed.setText(self.controller.speed.status())
        if state == "idle":  # after Reset: nothing has trained yet
            self._clear_run_labels()
        if state in ("finished", "stopped"):
            self.statusBar().showMessage(
                "Training finished." if state == "finished" else "Training stopped.", 5000
            )
        self._update_actions()

    @Slot()
    def _update_actions(self) -> None:
        has_net = self.session.network is not None
        a = self.actions_
        a.export_model.setEnabled(has_net)

    @Slot()
    def _clear_run_labels(self) -> None:
        """The status bar's run figures go blank: Reset or a new design began afresh."""
        words = RunWords.of(self.session.network)
        self.status.epoch.setText(f"{words.epoch} –")
        self.status.batch.setText(f"{words.batch.capitalize()} –")
        self.status.speed.setText(self.controller.speed.status())
        self.status.elapsed.setText("0:00")

    @Slot(Snapshot)
    def _on_figures(self, snap: Snapshot) -> None:
        """The status bar's epoch, batch, speed and time (``session.figuresDue``)."""
        words = RunWords.of(self.session.network)   # the Train page's words
        total = int(snap.epochs_total)
        self.status.epoch.setText(words.epoch_status(int(snap.epoch) + 1, total))
        if snap.n_batches:
            self.status.batch.setText(words.batch_status(snap.batch, snap.n_batches))
        self.status.speed.setText(self.controller.speed.status())
        m, sec = divmod(int(snap.elapsed), 60)
        h, m = divmod(m, 60)
        self.status.elapsed.setText(f"{h:d}:{m:02d}:{sec:02d}" if h else f"{m:d}:{sec:02d}")

    @Slot(bool)
    def _on_waiting(self, waiting: bool) -> None:
        if waiting:
            self.statusBar().showMessage("Loading the data; training starts when it is ready…")
            self.actions_.stop.setEnabled(True)
        else:
            self.statusBar().clearMessage()
            self._on_state(self.session.training_state)

    @Slot(str)
    def _on_training_error(self, message: str) -> None:
        self.statusBar().showMessage("Training: " + message.split(". ")[0], 15000)
        self.show_error("Training", message, name="trainingErrorBox")

    @Slot(str)
    def _on_unresponsive(self, message: str) -> None:
        """Say that the training process does not respond; offer to restart it."""
        self.statusBar().showMessage("Training: the training process does not respond")
        box = QMessageBox(QMessageBox.Icon.Warning, "The training process does not respond",
                          message, QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("unresponsiveBox")
        restart = box.addButton("Restart it", QMessageBox.ButtonRole.AcceptRole)
        restart.setObjectName("restartTrainingButton")
        box.addButton("Wait", QMessageBox.ButtonRole.RejectRole).setObjectName(
            "waitTrainingButton")
        restart.clicked.connect(self._restart_training)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, b=box: self._forget_stall_box(b))
        self._stall_box = box
        if self.isVisible():
            box.open()

    def _forget_stall_box(self, box: QMessageBox) -> None:
        if self._stall_box is box:
            self._stall_box = None

    @Slot()
    def _restart_training(self) -> None:
        self.controller.restart()
        self.statusBar().showMessage("The training process was ended; the weights shown last "
                                     "were kept. Play starts a new one.", 15000)

    @Slot()
    def _on_responsive(self) -> None:
        box, self._stall_box = self._stall_box, None
        if box is not None:
            box.close()
            self.statusBar().showMessage("The training process responds again.", 10000)

    def show_error(self, title: str, message: str, *, name: str = "errorBox") -> QMessageBox:
        """A window-modal message that does not block the caller (tests stay scriptable)."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.isVisible():
            box.open()
        else:                          # opened as soon as the window is shown
            self._waiting_boxes.append(box)
        self.last_error = message
        return box

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        boxes, self._waiting_boxes = self._waiting_boxes, []
        for box in boxes:
            QTimer.singleShot(0, box.open)

    # ------------------------------------------------------------------ settings
    def _restore_layout(self) -> None:
        self._apply_saved_layout()
        self._ensure_on_screen()      # also on a first launch: the screen may be small

    def _apply_saved_layout(self) -> None:
        st = self.settings
        try:
            if int(st.value("window/version", 0) or 0) != SETTINGS_VERSION:
                return
            geometry = st.value("window/geometry")
            state = st.value("window/state")
            if isinstance(geometry, QByteArray | bytes) and geometry:
                self.restoreGeometry(QByteArray(geometry))
            if isinstance(state, QByteArray | bytes) and state:
                self.restoreState(QByteArray(state), SETTINGS_VERSION)
            tab = st.value("window/tab")
            if tab is not None:
                i = int(tab)
                if 0 <= i < self.tabs.count():
                    self.tabs.setCurrentIndex(i)
        except (TypeError, ValueError):
            log.warning("ignoring unreadable window settings")

    def _ensure_on_screen(self) -> None:
        screen = QApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        frame = self.frameGeometry()
        if not avail.intersects(frame):
            self.move(avail.topLeft())
        if self.width() > avail.width() or self.height() > avail.height():
            self.resize(min(self.width(), avail.width()), min(self.height(), avail.height()))

    def save_layout(self) -> None:
        st = self.settings
        st.setValue("window/version", SETTINGS_VERSION)
        st.setValue("window/geometry", self.saveGeometry())
        st.setValue("window/state", self.saveState(SETTINGS_VERSION))
        st.setValue("window/tab", self.tabs.currentIndex())
        st.sync()

    def _write_session(self) -> None:
        """The design, data, settings and view, for the next launch (never stops closing)."""
        from nnstudio.state import take
        from nnstudio.state.session_file import write_session

        try:
            write_session(take(self.session.state))
        except (OSError, ValueError) as exc:
            log.warning("the session could not be kept for the next launch: %s", exc)

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        self.settings.setValue("recentFiles", [p, *files][:MAX_RECENT])

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override

        if not self._closing:
            was_running = self.session.training_state == "running"
            if self.controller.running:
                # end the run first so its final weights reach the session and can be saved
                self.controller.stop("closing")
                self.controller.wait_idle(10000)
            if not self.commands.maybe_save():
                event.ignore()
                if was_running:       # the person stays: their run goes on where it was
                    self.controller.play()
                return
        self._closing = True
        self.save_layout()
        if self.remember:
            self._write_session()
        self.controller.shutdown()
        from nnstudio.gui.worker import stop_all

        stop_all(2.0)  # scoring, loading: nothing runs on after the window
        super().closeEvent(event)
