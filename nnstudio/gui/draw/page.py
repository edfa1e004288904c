"""The Draw page: draw a digit and see the network's answer while drawing.

Left, the canvas and its tools; in the middle, the answer (big), a bar per class and the
28×28 image the network receives; right, pinned probes and "teach it your handwriting".
A line at the bottom explains whatever is under the mouse.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.inputs import image_side
from nnstudio.data.dataset import DIGIT_CLASSES
from nnstudio.data.digit_check import doubt_message
from nnstudio.data.mine import UserDigits
from nnstudio.gui.draw.canvas import DigitCanvas
from nnstudio.gui.draw.model import (
    class_names,
    classify,
    network_input,
    why_unusable,
)
from nnstudio.gui.draw.prediction_view import PredictionView
from nnstudio.gui.draw.probes import ProbeStrip
from nnstudio.gui.draw.teach import TeachPanel
from nnstudio.gui.session import Session

DEFAULT_HELP = ("Draw a digit with the mouse, a pen or a finger; the answer updates while you "
                "draw. Point at anything on this page to learn what it is.")

_STYLE = """
QLabel#sectionTitle { font-size: 12pt; font-weight: 600; color: #24292f; }
QLabel#drawHelp { color: #57606a; font-style: italic; background: #f6f8fa;
                  border: 1px solid #e1e4e8; border-radius: 4px; padding: 5px 8px; }
QLabel#canvasTips, QLabel#predictionLatency { color: #6a737d; font-size: 9pt; }
"""
_MESSAGE_STYLE = {
    "info": "color: #0b4f7c; background: #e6f2fb; border: 1px solid #9cc9e8;",
    "error": "color: #8a3b00; background: #fff1e5; border: 1px solid #f5b37e;",
}


class DrawPanel(QWidget):
    """The "Draw" page (objectName ``drawPage``).

    Parameters
    ----------
    session : Session
        The window's shared state; the page reads ``session.network`` and writes
        ``session.set_current_input``.
    parent : QWidget or None
    store : UserDigits or None
        Where the person's labelled digits are kept (the default store when None).
    """

    def __init__(self, session: Session, parent: QWidget | None = None,
                 store: UserDigits | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawPage")
        self.setStyleSheet(_STYLE)
        self.session = session
        self.img28: np.ndarray | None = None  # the current drawing framed like MNIST
        self.probs: np.ndarray | None = None  # its class probabilities
        self.last_latency_ms: float | None = None
        self._sent_input = False
        self._rng = np.random.default_rng()

        # --- canvas column
        self.canvas = DigitCanvas()
        self.canvas.setProperty("help", "The drawing board: white ink on black, like the MNIST "
                                "digits. Left button draws, right button erases; Esc clears, "
                                "Ctrl+Z undoes a stroke, Ctrl+V pastes a picture, [ and ] "
                                "change the brush.")
        clear = self._button("Clear", "drawClear", "Wipe the board (Esc). Undo brings it back.",
                             self.canvas.clear)
        self.undo_button = self._button("Undo", "drawUndo",
                                        "Take back the last stroke (Ctrl+Z).", self.canvas.undo)
        pen = self._button("Pen", "drawPen", "Draw white ink.", None, checkable=True)
        eraser = self._button("Eraser", "drawEraser", "Erase with the brush (E toggles; the "
                              "right mouse button always erases).", None, checkable=True)
        pen.setChecked(True)
        tools = QButtonGroup(self)
        tools.addButton(pen)
        tools.addButton(eraser)
        eraser.toggled.connect(self.canvas.set_eraser)
        self.canvas.eraserChanged.connect(lambda on: (eraser if on else pen).setChecked(True))
        self.brush = QSlider(Qt.Orientation.Horizontal)
        self.brush.setObjectName("brushSize")
        self.brush.setRange(DigitCanvas.MIN_BRUSH, DigitCanvas.MAX_BRUSH)
        self.brush.setValue(self.canvas.brush_size())
        self.brush.setMinimumWidth(70)
        self.brush.setProperty("help", "Brush width. MNIST digits have strokes about a tenth "
                               "of the digit's height: the default matches that.")
        brush_value = QLabel(f"{self.canvas.brush_size()} px")
        brush_value.setMinimumWidth(38)
        self.brush.valueChanged.connect(self.canvas.set_brush_size)
        self.canvas.brushSizeChanged.connect(self.brush.setValue)
        self.canvas.brushSizeChanged.connect(lambda v: brush_value.setText(f"{v} px"))
        tool_row = QHBoxLayout()
        for w in (clear, self.undo_button):
            tool_row.addWidget(w)
        tool_row.addSpacing(10)
        for w in (pen, eraser):
            tool_row.addWidget(w)
        tool_row.addStretch(1)
        self.sample_button = self._button(
            "Test digit", "drawTestDigit", "Put a random digit from the standard test data on "
            "the board, to see how the network does on digits it was not trained on.",
            self.show_test_digit)
        tool_row.addWidget(self.sample_button)
        brush_row = QHBoxLayout()
        brush_row.addWidget(QLabel("Brush"))
        brush_row.addWidget(self.brush, 1)
        brush_row.addWidget(brush_value)

        tips = QLabel("Esc clears · Ctrl+Z undoes · right button erases · drop or paste a "
                      "picture")
        tips.setObjectName("canvasTips")
        tips.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self._title("Draw a digit"))
        left.addWidget(self.canvas, 1)
        left.addLayout(tool_row)
        left.addLayout(brush_row)
        left.addWidget(tips)
        left.addStretch(0)

        # --- answer column
        self.prediction = PredictionView()
        self.prediction.setProperty("help", "The network's answer: its probability for every "
                                    "class after a softmax; the most likely one in large type.")
        self.prediction.preview.setProperty("help", "What the network receives: your drawing "
                                            "cropped, scaled into a 20×20 box and centred by "
                                            "its centre of mass in 28×28 pixels, as MNIST was "
                                            "made.")
        self.latency = QLabel("")
        self.latency.setObjectName("predictionLatency")
        self.latency.setProperty("help", "Time from the last change of the drawing to the "
                                 "answer: framing the image plus one forward pass.")
        self.answer_box = QWidget()
        self.answer_box.setObjectName("answerBox")
        middle = QVBoxLayout(self.answer_box)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self.prediction)
        middle.addWidget(self.latency)
        middle.addStretch(1)

        # --- probes and teaching
        self.probes = ProbeStrip(self._classify28)
        self.pin_button = self._button("Pin as probe", "pinProbe", "Pin this drawing: it is "
                                       "re-classified after every training update, so you see "
                                       "the answer change while the network learns.",
                                       self.pin_probe)
        self.teach = TeachPanel(session, self._current_for_teaching, store=store)
        self.teach.message.connect(self.show_message)
        probe_head = QHBoxLayout()
        probe_head.addWidget(self._title("Probes"), 1)
        probe_head.addWidget(self.pin_button)
        self.side_box = QWidget()
        self.side_box.setObjectName("probesAndTeaching")
        right = QVBoxLayout(self.side_box)
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(probe_head)
        right.addWidget(self.probes, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #e1e4e8;")
        right.addWidget(line)
        right.addWidget(self._title("Teach it your handwriting"))
        right.addWidget(self.teach)

        # --- bottom: message and help line
        self.message = QLabel("")
        self.message.setObjectName("drawMessage")
        self.message.setWordWrap(True)
        # always there, always as tall: a message appearing never moves what is under the mouse
        self.message.setFixedHeight(self.message.fontMetrics().lineSpacing() * 2 + 14)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clear_message)
        self.clear_message()
        self.help_line = QLabel(DEFAULT_HELP)
        self.help_line.setObjectName("drawHelp")
        self.help_line.setWordWrap(True)
        self.help_line.setMinimumHeight(self.help_line.fontMetrics().lineSpacing() * 2 + 12)
        self.help_line.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        # narrow windows: the answer, probes and teaching share one scrollable column
        self._narrow_column = QWidget()
        self._narrow_layout = QVBoxLayout(self._narrow_column)
        self._narrow_layout.setContentsMargins(0, 0, 6, 0)
        self._narrow_layout.setSpacing(14)
        self._scroll = QScrollArea()
        self._scroll.setObjectName("drawSideScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._narrow_column)
        self._scroll.hide()
        self._narrow: bool | None = None
        self._columns = columns = QHBoxLayout()
        columns.setSpacing(18)
        columns.addLayout(left, 5)
        columns.addWidget(self.answer_box, 3)
        columns.addWidget(self.side_box, 3)
        columns.addWidget(self._scroll, 3)
        outer = QVBoxLayout(self)
        # the page's minimum is minimumSizeHint(): narrow pages re-arrange instead of clipping
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        outer.setContentsMargins(14, 10, 14, 10)
        outer.addLayout(columns, 1)
        outer.addWidget(self.message)
        outer.addWidget(self.help_line)

        # --- wiring
        self.canvas.changed.connect(self.refresh)
        self.canvas.imageImported.connect(
            lambda src: self.show_message(f"Classifying {src}.", "info"))
        self.canvas.importFailed.connect(lambda text: self.show_message(text, "error"))
        self.probes.countChanged.connect(lambda _n: self._install_help(self.probes))
        self._snapshot_timer = QTimer(self)
        self._snapshot_timer.setSingleShot(True)
        self._snapshot_timer.setInterval(80)  # at most ~12 re-classifications a second
        self._snapshot_timer.timeout.connect(self.refresh_all)
        session.modelChanged.connect(self.refresh_all)
        session.designReplaced.connect(self.refresh_all)
        session.datasetChanged.connect(self.refresh_all)
        session.snapshotApplied.connect(self._on_snapshot)
        session.showOnDrawPage.connect(self.show_image)
        self._install_help(self)
        self._set_narrow(False)
        self.refresh_all()

    # ------------------------------------------------------------------ building helpers
    def _button(self, text: str, name: str, help_text: str, slot: Any,
                checkable: bool = False) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setCheckable(checkable)
        b.setToolTip(help_text)
        b.setProperty("help", help_text)
        b.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # clicking keeps the keyboard on the canvas
        b.setMinimumWidth(b.fontMetrics().horizontalAdvance(text) + 18)
        if slot is not None:
            b.clicked.connect(lambda _=False: slot())
        return b

    @staticmethod
    def _title(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionTitle")
        return label

    # ------------------------------------------------------------------ the answer
    def _side(self) -> int:
        network = self.session.network
        return (image_side(network) or 28) if network is not None else 28

    def _classify28(self, images28: np.ndarray) -> np.ndarray | None:
        """Probabilities (N, k) for MNIST-framed images (N, 28, 28); None without a model."""
        if why_unusable(self.session) is not None:
            return None
        side = self._side()
        x = images28
        if side != 28:
            from nnstudio.data.preprocess import downsample

            x = downsample(images28, side)
        return classify(self.session, x)

    def refresh(self) -> None:
        """Classify the drawing on the canvas and show the answer (called while drawing)."""
        t0 = time.perf_counter()
        reason = why_unusable(self.session)
        self.prediction.set_hint(reason)
        if self.canvas.is_empty():
            self.img28, self.probs = None, None
            self.prediction.show_result(None)
            self.prediction.set_preview(None)
            self.latency.setText("")
            if self._sent_input:
                self._sent_input = False
                self.session.set_current_input(None)
            return
        self.img28, x = network_input(self.canvas.image(), self._side() if reason is None
                                      else 28)
        self.probs = None
        if reason is None:
            probs = classify(self.session, x[None])
            if probs is not None:
                self.probs = probs[0]
                names = class_names(self.session, len(self.probs))
                doubt = (doubt_message(self.img28, self.probs)
                         if names == list(DIGIT_CLASSES) else None)
                self.prediction.show_result(self.probs, names, doubt)
        if self.probs is None:
            self.prediction.show_result(None)
        self.prediction.set_preview(x)
        self.last_latency_ms = 1000 * (time.perf_counter() - t0)
        self.latency.setText(f"answered in {self.last_latency_ms:.1f} ms"
                             if self.probs is not None else "")
        self._sent_input = True
        self.session.set_current_input(x)

    def refresh_all(self) -> None:
        """Re-classify the drawing and every probe (new model, new weights)."""
        network = self.session.network
        k = int(np.prod(network.output_shape)) if network is not None else 10
        names = class_names(self.session, max(k, 2))
        self.prediction.set_classes(names)
        self.probes.set_classes(names)
        self.refresh()
        self.probes.refresh()
        self.teach.update_state()

    def _on_snapshot(self, _snapshot: Any) -> None:
        if not self._snapshot_timer.isActive():
            self._snapshot_timer.start()

    def predicted_index(self) -> int | None:
        return None if self.probs is None else int(np.argmax(self.probs))

    def _current_for_teaching(self) -> tuple[np.ndarray, int | None] | None:
        if self.img28 is None or not self.img28.any():
            return None
        return self.img28, self.predicted_index()

    def show_test_digit(self) -> None:
        """Put a random standard test digit on the board (loaded in the background)."""
        self.sample_button.setEnabled(False)
        self.teach.with_test_data(self._test_digit_ready)

    def _test_digit_ready(self, result: Any) -> None:
        self.sample_button.setEnabled(True)
        if isinstance(result, Exception):
            self.show_message(f"No test digits available: {result}", "error")
            return
        data, description = result
        i = int(self._rng.integers(data.n))
        self.canvas.set_ink(data.x[i])
        label = data.classes[int(data.y[i])] if data.classes else str(int(data.y[i]))
        self.show_message(f"Test digit #{i + 1} of {description}; its label is {label}.",
                          "info")

    def show_image(self, image: Any) -> None:
        """Put a picture on the board, e.g. a test image from Inside > Mistakes: (H, W)
        white ink on black in [0, 1] (a (1, H, W) image is fine too)."""
        a = np.asarray(image, dtype=np.float32)
        if a.ndim == 3 and a.shape[0] == 1:
            a = a[0]
        if a.ndim != 2:
            self.show_message(f"Only greyscale pictures can go on the board, not data of "
                              f"shape {a.shape}.", "error")
            return
        self.canvas.set_ink(np.clip(a, 0.0, 1.0))

    # ------------------------------------------------------------------ probes
    def pin_probe(self) -> None:
        """Pin the current drawing as a probe."""
        if self.img28 is None or not self.img28.any():
            self.show_message("Draw a digit first, then pin it.", "info")
            return
        self.probes.add(self.img28)

    # ------------------------------------------------------------------ layout
    #: below this page width the answer, probes and teaching stack in one scrolling column
    NARROW_BELOW = 900

    def _set_narrow(self, narrow: bool) -> None:
        if narrow == self._narrow:
            return
        self._narrow = narrow
        if narrow:
            self._narrow_layout.addWidget(self.answer_box)
            self._narrow_layout.addWidget(self.side_box)
            self.answer_box.setMinimumHeight(self.answer_box.minimumSizeHint().height())
            self.side_box.setMinimumHeight(max(320, self.side_box.minimumSizeHint().height()))
            self.probes.setMinimumHeight(80)
            self._scroll.show()
            self._columns.setStretch(0, 3)
        else:
            self._columns.insertWidget(1, self.answer_box, 3)
            self._columns.insertWidget(2, self.side_box, 3)
            self.answer_box.setMinimumHeight(0)
            self.side_box.setMinimumHeight(0)
            self.answer_box.show()
            self.side_box.show()
            self._scroll.hide()
            self._columns.setStretch(0, 5)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._set_narrow(self.width() < self.NARROW_BELOW)

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), 560))  # narrower pages switch to the stacked layout
        return hint

    # ------------------------------------------------------------------ messages and help
    def show_message(self, text: str, kind: str = "info") -> None:
        """Show a short message above the help line (kind "info" or "error")."""
        self.message.setText(text)
        self.message.setStyleSheet(_MESSAGE_STYLE.get(kind, _MESSAGE_STYLE["info"])
                                   + " border-radius: 4px; padding: 5px 8px;")
        self.message.setProperty("kind", kind)
        self.message.setToolTip(text)
        self._message_timer.start(12000 if kind == "error" else 7000)

    def clear_message(self) -> None:
        """Empty the message area (it keeps its place and height)."""
        self.message.setText("")
        self.message.setToolTip("")
        self.message.setStyleSheet("border: 1px solid transparent; padding: 5px 8px;")
        self.message.setProperty("kind", "")

    def _install_help(self, root: QWidget) -> None:
        for w in [root, *root.findChildren(QWidget)]:
            if w.property("help") and not w.property("_helpFilter"):
                w.setProperty("_helpFilter", True)
                w.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Enter:
            text = obj.property("help")
            if text:
                self.help_line.setText(str(text))
        elif kind == QEvent.Type.Leave:
            # back onto the parent: its help again (Qt sends it no new Enter)
            parent = obj.parentWidget() if isinstance(obj, QWidget) else None
            while parent is not None and not parent.property("help"):
                parent = parent.parentWidget()
            self.help_line.setText(str(parent.property("help")) if parent else DEFAULT_HELP)
        return False
