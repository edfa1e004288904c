"""Teach it your handwriting: label drawings, keep them, fine-tune the model on them.

The person's digits live in the :mod:`nnstudio.data.mine` store. Fine-tuning runs in the
training process (the live plots show it) through ``session.training.fine_tune``; before and
after, the model is scored on standard test digits by a background
:class:`~nnstudio.gui.worker.Worker`, so the cost of learning one person's handwriting
(forgetting) is visible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.inputs import image_side
from nnstudio.data.dataset import Dataset
from nnstudio.data.mine import UserDigits
from nnstudio.gui.draw.model import why_unusable
from nnstudio.gui.session import Session
from nnstudio.gui.worker import Worker

#: how many standard test digits score the model before and after fine-tuning
TEST_SIZE = 2000
#: seed of the held-out synthetic test digits (the default model trains on other seeds)
HELD_OUT_SEED = 10_007


def standard_test_data(spec: str | None = None) -> tuple[Dataset, str]:
    """The digits that score the model: real MNIST when configured, else held-out synthetic.

    Looks, in order, at ``spec`` (a data source such as ``idx:/data/mnist``), the setting
    ``data/mnistFolder`` (a folder of MNIST IDX files), the MNIST test set when it was
    downloaded before (never downloads), then generates held-out synthetic digits.

    Returns
    -------
    (Dataset, str)
        At most ``TEST_SIZE`` digits and a phrase saying what they are.
    """
    from nnstudio.data.sources import load_source

    candidates = []
    if spec:
        candidates.append(spec)
    folder = QSettings("nnstudio", "nnstudio").value("data/mnistFolder", "", str)
    if folder:
        candidates.append(f"idx:{folder}")
    try:
        from nnstudio.data.download import KNOWN, set_folder

        files = KNOWN["mnist"].split_files("test")
        if all((set_folder("mnist") / f).is_file() for f in files):
            candidates.append("mnist:test")
    except (ImportError, KeyError, OSError):
        pass
    for source in candidates:
        try:
            ds = load_source(source)
        except (ValueError, OSError):
            continue
        if ds.is_image and ds.sample_shape == (28, 28) and ds.task == "classification":
            ds = ds.subset(np.arange(min(ds.n, TEST_SIZE)))
            return ds, f"{ds.n:,} real test digits ({source})"
    ds = load_source(f"synthetic:{TEST_SIZE}:seed={HELD_OUT_SEED}")
    return ds, f"{ds.n:,} held-out synthetic digits (no MNIST folder configured)"


def score(network: Any, data: Dataset) -> float:
    """Accuracy in [0, 1] of a (copied) network on image data, resized to its input."""
    from nnstudio.core.network import Network
    from nnstudio.data.preprocess import downsample

    net = Network(network.design)
    net.set_weights(network.get_weights())
    side = image_side(net) or 28
    x = data.x if side == data.x.shape[-1] else downsample(data.x, side)
    result = net.evaluate(x, data.y)
    return float(result["accuracy"] or 0.0)


def run_in_background(job: Callable[[], Any], callback: Callable[[Any], None]) -> Worker:
    """Run ``job`` on a :class:`Worker`; ``callback(result_or_exception)`` on the GUI
    thread."""
    worker = Worker(job, name="score")
    worker.result.connect(callback)
    worker.error.connect(callback)
    return worker.start()


class TeachPanel(QWidget):
    """Label buttons, the count of the person's digits and the fine-tune button.

    Parameters
    ----------
    session : Session
    current : callable
        Returns ``(img28, predicted_index)`` for the drawing on the canvas, or None.
    store : UserDigits or None
        The person's digits; the default store when None.

    Signals
    -------
    message(str, str)
        Text for the page's message line and its kind ("info" or "error").
    """

    message = Signal(str, str)

    def __init__(self, session: Session,
                 current: Callable[[], tuple[np.ndarray, int | None] | None],
                 store: UserDigits | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teachPanel")
        self.session = session
        self._current = current
        self._store = store
        self.test_source: str | None = None
        self._test_data: tuple[Dataset, str] | None = None
        self._before: float | None = None
        self._awaiting_finish = False
        #: the scoring in progress, if any
        self.worker: Worker | None = None

        intro = QLabel("Is the answer wrong? Click the right digit: the drawing is kept with "
                       "that label. Click the answer's digit to keep it when it is right.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #6a737d; font-style: italic;")
        grid = QGridLayout()
        grid.setSpacing(4)
        self.label_buttons: list[QPushButton] = []
        for d in range(10):
            b = QPushButton(str(d))
            b.setObjectName(f"labelButton{d}")
            b.setMinimumSize(34, 30)
            b.setToolTip(f"This drawing is a {d}: add it to your digits")
            b.setProperty("help", f"Keep this drawing as a {d} in your own digits. If the "
                          "network said something else, this is the correction.")
            b.clicked.connect(lambda _=False, d=d: self.add_current(d))
            grid.addWidget(b, d // 5, d % 5)
            self.label_buttons.append(b)
        self.count_label = QLabel("")
        self.count_label.setObjectName("myDigitsCount")
        # one line whatever the count: the buttons above and below never move
        self.count_label.setWordWrap(False)
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.count_label.setFixedHeight(self.count_label.fontMetrics().lineSpacing() + 6)
        self.count_label.setProperty("help", "How many digits you have labelled, per digit. "
                                     "They are kept between sessions (data source 'mine').")
        self._last_added: Any = None
        self.take_back = QPushButton("Take back")
        self.take_back.setObjectName("takeBackDigit")
        self.take_back.setToolTip("Remove the digit you added last from your digits")
        self.take_back.setProperty("help", "Remove the digit you added last (a wrong label "
                                   "click).")
        self.take_back.clicked.connect(self.take_back_last)
        self.review = QPushButton("Review…")
        self.review.setObjectName("reviewDigits")
        self.review.setToolTip("See all your digits: relabel or delete any of them")
        self.review.setProperty("help", "Open the list of your digits: check each label, "
                                "correct it or delete the drawing (Undo brings it back).")
        self.review.clicked.connect(self.open_review)
        self.review_dialog: Any = None
        self.epochs = QSpinBox()
        self.epochs.setObjectName("fineTuneEpochs")
        self.epochs.setRange(1, 50)
        self.epochs.setValue(5)
        self.epochs.setSuffix(" epochs")
        self.epochs.setProperty("help", "How many passes over your digits fine-tuning makes.")
        self.replay = QCheckBox("Mix in standard digits (forgets less)")
        self.replay.setObjectName("fineTuneReplay")
        self.replay.setProperty("help", "Mix 1,000 standard digits into fine-tuning so the "
                                "network forgets less of what it knew.")
        self.button = QPushButton("Fine-tune on my digits")
        self.button.setObjectName("fineTuneButton")
        self.button.setProperty("help", "Train the current model a little more on your own "
                                "digits (in the background, with live plots on the Train page)"
                                ", then compare its accuracy on standard test digits.")
        self.button.clicked.connect(self.start_fine_tune)
        self.result = QLabel("")
        self.result.setObjectName("fineTuneResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setFixedHeight(self.result.fontMetrics().lineSpacing() * 3 + 6)
        self.result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fine-tune for"))
        row.addWidget(self.epochs)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(intro)
        lay.addLayout(grid)
        lay.addWidget(self.count_label)
        count_row = QHBoxLayout()
        count_row.addWidget(self.take_back)
        count_row.addWidget(self.review)
        count_row.addStretch(1)
        lay.addLayout(count_row)
        lay.addLayout(row)
        lay.addWidget(self.replay)
        lay.addWidget(self.button)
        lay.addWidget(self.result)
        session.trainingStateChanged.connect(lambda _s: self.update_state())
        session.modelChanged.connect(self.update_state)
        session.modelChanged.connect(self._forget_result)
        session.designReplaced.connect(self._forget_result)
        self.update_state()

    def _forget_result(self) -> None:
        """The before/after figures describe weights that are gone: clear them (unless they
        are the weights fine-tuning is about to report on)."""
        if not self._awaiting_finish and self.worker is None:
            self.result.setText("")

    def open_review(self) -> None:
        """Show the list of the person's digits (relabel, delete, undo)."""
        from nnstudio.gui.draw.my_digits import MyDigitsDialog

        if self.review_dialog is None:
            self.review_dialog = MyDigitsDialog(self.store, self)
            self.review_dialog.changed.connect(self.update_state)
        self.review_dialog.reload()
        self.review_dialog.show()
        self.review_dialog.raise_()

    # ------------------------------------------------------------------ the store
    @property
    def store(self) -> UserDigits:
        if self._store is None:
            self._store = UserDigits()
            if self._store.problem:  # a damaged file was set aside: say where it went
                QTimer.singleShot(0, lambda text=self._store.problem:
                                  self.message.emit(text, "error"))
        return self._store

    def count(self) -> int:
        return len(self.store)

    def _counts_per_label(self) -> np.ndarray:
        return np.asarray(self.store.counts())[:10]

    def _ids(self) -> set[int]:
        return {d.id for d in self.store.list()}

    def add_current(self, label: int) -> None:
        """Keep the canvas drawing with ``label`` in the person's digits."""
        current = self._current()
        if current is None:
            self.message.emit("Draw a digit first, then click the digit it shows.", "info")
            return
        img28, predicted = current
        try:
            self._last_added = self.store.add(img28, int(label))
        except (OSError, ValueError) as err:
            self.message.emit(f"Could not keep the drawing: {err}", "error")
            return
        n = self.count()
        if predicted is not None and predicted != label:
            text = (f"Corrected: the network said {predicted}, you said {label}. "
                    f"Kept as a {label} ({_digits(n)} of yours).")
        else:
            text = f"Kept as a {label} ({_digits(n)} of yours)."
        self.message.emit(text, "info")
        self.update_state()

    def take_back_last(self) -> None:
        """Remove the digit added last (this session) from the store."""
        if self._last_added is None:
            return
        try:
            self.store.delete(self._last_added)
        except (KeyError, OSError, ValueError) as err:
            self.message.emit(f"Could not take it back: {err}", "error")
        else:
            self.message.emit(f"Taken back: you have {_digits(self.count())} now.", "info")
        self._last_added = None
        self.update_state()

    # ------------------------------------------------------------------ state
    def update_state(self) -> None:
        try:
            n = self.count()
            per = self._counts_per_label()
        except Exception as err:  # noqa: BLE001 - a broken store must not break the page
            self.count_label.setText(f"Your digits cannot be read: {err}")
            self.button.setEnabled(False)
            return
        detail = "  ".join(f"{d}:{c}" for d, c in enumerate(per) if c)
        self.count_label.setText(f"<b>Your digits: {n}</b>" + (f"  <span style='color:#6a737d'>"
                                 f"({detail})</span>" if detail else ""))
        self.count_label.setToolTip(f"Your digits: {n}" + (f" ({detail})" if detail else ""))
        if self._last_added is not None and self._last_added not in self._ids():
            self._last_added = None  # deleted in the review meanwhile
        self.take_back.setEnabled(self._last_added is not None)
        reason = self._why_no_fine_tune(n)
        self.button.setEnabled(reason is None)
        self.button.setToolTip(reason or "Fine-tune the current model on your digits")

    def _why_no_fine_tune(self, n: int) -> str | None:
        if self._awaiting_finish or self.worker is not None:
            return "Fine-tuning is under way."
        if n == 0:
            return "Add some of your digits first (the 0–9 buttons)."
        if self.session.is_training:
            return "Wait until the current training run finishes."
        return why_unusable(self.session)

    # ------------------------------------------------------------------ fine-tuning
    def set_test_data(self, data: Dataset, description: str) -> None:
        """Use these digits to score the model (instead of finding standard ones)."""
        self._test_data = (data, description)

    def with_test_data(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback((Dataset, description))`` (or with an exception) on the GUI thread
        once the standard test digits are loaded (in the background the first time)."""
        if self._test_data is not None:
            callback(self._test_data)
            return

        def load() -> tuple[Dataset, str]:
            if self._test_data is None:
                self._test_data = standard_test_data(self.test_source)
            return self._test_data

        run_in_background(load, callback)

    def _scoring_job(self) -> Callable[[], tuple[float, str]]:
        network = self.session.network
        snapshot = _NetworkCopy(network.design, network.get_weights())

        def job() -> tuple[float, str]:
            if self._test_data is None:
                self._test_data = standard_test_data(self.test_source)
            data, description = self._test_data
            return score(snapshot, data), description

        return job

    def start_fine_tune(self) -> None:
        reason = self._why_no_fine_tune(self.count())
        if reason is not None:
            self.message.emit(reason, "info")
            return
        self.result.setText("Scoring the model on standard test digits…")
        self.worker = run_in_background(self._scoring_job(), self._before_scored)
        self.update_state()

    def _before_scored(self, result: Any) -> None:
        self.worker = None
        if isinstance(result, Exception):
            self._before = None
            self.result.setText("")
            self.message.emit(f"Could not score the model before fine-tuning: {result}", "error")
        else:
            self._before, self._description = result
        try:
            dataset = self._fine_tune_data()
            self._awaiting_finish = True
            training = self.session.training
            training.finished.connect(self._fine_tune_finished, Qt.ConnectionType.UniqueConnection)
            training.errored.connect(self._fine_tune_failed, Qt.ConnectionType.UniqueConnection)
            training.fine_tune(dataset, epochs=int(self.epochs.value()))
        except Exception as err:  # noqa: BLE001 - reported to the person
            self._awaiting_finish = False
            self.message.emit(f"Fine-tuning could not start: {err}", "error")
        if self._before is not None and self._awaiting_finish:
            self.result.setText(f"Before: <b>{100 * self._before:.1f}%</b> on "
                                f"{self._description}. Fine-tuning…")
        self.update_state()

    def _fine_tune_data(self) -> Dataset:
        mine = self.store.as_dataset()
        if self.replay.isChecked():
            from nnstudio.data.sources import load_source

            extra = load_source(f"synthetic:1000:seed={HELD_OUT_SEED + 1}")
            mine = mine.merge(extra, name="your digits + 1,000 standard digits")
        return mine

    def _fine_tune_finished(self, _history: Any = None) -> None:
        if not self._awaiting_finish:
            return
        self._awaiting_finish = False
        if self.session.network is None:
            self.update_state()
            return
        self.result.setText(self.result.text().replace("Fine-tuning…", "Scoring after…"))
        self.worker = run_in_background(self._scoring_job(), self._after_scored)
        self.update_state()

    def _fine_tune_failed(self, text: str) -> None:
        if self._awaiting_finish:
            self._awaiting_finish = False
            self.result.setText("")
            self.message.emit(f"Fine-tuning stopped: {text}", "error")
            self.update_state()

    def _after_scored(self, result: Any) -> None:
        self.worker = None
        if isinstance(result, Exception):
            self.message.emit(f"Could not score the model after fine-tuning: {result}", "error")
        else:
            after, description = result
            if self._before is None:
                self.result.setText(f"After: <b>{100 * after:.1f}%</b> on {description}.")
            else:
                delta = 100 * (after - self._before)
                color = "#0877bd" if delta >= -0.05 else "#c05a00"
                self.result.setText(
                    f"Accuracy on {description}:<br><b>{100 * self._before:.1f}%</b> before → "
                    f"<b>{100 * after:.1f}%</b> after "
                    f"<span style='color:{color}'>({delta:+.1f} points)</span>")
            self.message.emit("Fine-tuning finished: the answers now use the new weights.",
                              "info")
        self.update_state()


def _digits(n: int) -> str:
    return f"{n} digit" if n == 1 else f"{n:,} digits"


class _NetworkCopy:
    """The design and weights of a network at one moment (scored off the GUI thread)."""

    def __init__(self, design: Any, weights: dict[str, np.ndarray]) -> None:
        self.design = design.copy()
        self._weights = weights

    def get_weights(self) -> dict[str, np.ndarray]:
        return self._weights
