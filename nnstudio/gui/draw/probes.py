"""Probes: drawings pinned beside the canvas and re-classified as the network learns.

Each probe card shows the drawing (as the network sees it), the current answer with its
probability, and what the answer was before it last changed, so a person can watch a
network's mind change during training.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.draw.prediction_view import PixelPreview

#: classify(images (N, s, s)) -> probabilities (N, k) or None
Classifier = Callable[[np.ndarray], np.ndarray | None]

_CARD = "QFrame#probeCard { background: #ffffff; border: 1px solid #d5dce3; border-radius: 6px; }"
_CARD_FLASH = ("QFrame#probeCard { background: #e6f2fb; border: 1px solid #0877bd;"
               " border-radius: 6px; }")


class ProbeCard(QFrame):
    """One pinned drawing with its current answer."""

    removeRequested = Signal(QFrame)   # the card itself (a ProbeCard)

    def __init__(self, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probeCard")
        self.setStyleSheet(_CARD)
        self.image = np.array(image, dtype=np.float32)
        self.answer_index: int | None = None
        self.history: list[str] = []
        thumb = PixelPreview(56)
        thumb.set_image(self.image)
        self.answer = QLabel("–")
        self.answer.setObjectName("probeAnswer")
        self.answer.setStyleSheet("color: #0877bd; font-size: 20pt; font-weight: 600;"
                                  " border: none; background: transparent;")
        self.answer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("")
        self.detail.setObjectName("probeDetail")
        self.detail.setStyleSheet("color: #6a737d; font-size: 8.5pt; border: none;"
                                  " background: transparent;")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        remove = QToolButton()
        remove.setObjectName("probeRemove")
        remove.setText("×")
        remove.setToolTip("Remove this probe")
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda: self.removeRequested.emit(self))
        self.remove_button = remove
        grid = QGridLayout(self)
        grid.setContentsMargins(5, 4, 2, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        grid.addWidget(thumb, 0, 0, 2, 1)
        grid.addWidget(self.answer, 0, 1)
        grid.addWidget(remove, 0, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.detail, 1, 1, 1, 2)
        self.setProperty("help", "A probe: a drawing pinned here and asked again after every "
                         "training update. Its answer changes as the network learns; "
                         "× removes it.")
        self._flash = QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.timeout.connect(lambda: self.setStyleSheet(_CARD))

    def show_probabilities(self, probs: np.ndarray | None, classes: list[str]) -> None:
        if probs is None:
            self.answer.setText("–")
            self.detail.setText("no model")
            self.answer_index = None
            return
        top = int(np.argmax(probs))
        name = classes[top] if top < len(classes) else str(top)
        changed = self.answer_index is not None and top != self.answer_index
        if changed:
            self.history.append(self.answer.text())
            self.setStyleSheet(_CARD_FLASH)
            self._flash.start(700)
        self.answer_index = top
        self.answer.setText(name)
        was = f" · was {self.history[-1]}" if self.history else ""
        self.detail.setText(f"{100 * float(probs[top]):.0f}%{was}")


class ProbeStrip(QWidget):
    """The pinned probes (objectName ``probeStrip``) in a scrollable grid.

    Parameters
    ----------
    classify : callable
        images (N, s, s) -> probabilities (N, k) or None; called once for all probes.
    """

    MAX_PROBES = 12

    countChanged = Signal(int)

    def __init__(self, classify: Classifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probeStrip")
        self._classify = classify
        self._classes: list[str] = [str(i) for i in range(10)]
        self.cards: list[ProbeCard] = []
        self._inner = QWidget()
        self._grid = QGridLayout(self._inner)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._empty = QLabel("No probes yet. Draw a digit and pin it: it will be asked again "
                             "after every training update.")
        self._empty.setObjectName("probeEmpty")
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #6a737d; font-style: italic;")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._inner)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._empty)
        lay.addWidget(scroll, 1)
        self._columns = 2

    def add(self, image: np.ndarray) -> ProbeCard:
        """Pin a network-ready image (s, s); the oldest probe goes when the strip is full."""
        if len(self.cards) >= self.MAX_PROBES:
            self.remove(self.cards[0])
        card = ProbeCard(image)
        card.removeRequested.connect(self.remove)
        self.cards.append(card)
        self._relayout()
        self.refresh()
        self.countChanged.emit(len(self.cards))
        return card

    def remove(self, card: ProbeCard) -> None:
        if card in self.cards:
            self.cards.remove(card)
            self._grid.removeWidget(card)
            card.deleteLater()
            self._relayout()
            self.countChanged.emit(len(self.cards))

    def clear(self) -> None:
        for card in list(self.cards):
            self.remove(card)

    def set_classes(self, classes: list[str]) -> None:
        self._classes = list(classes)

    def refresh(self) -> None:
        """Ask the network about every probe (one batched call)."""
        if not self.cards:
            return
        images = [c.image for c in self.cards]
        probs = None
        if len({im.shape for im in images}) == 1:
            probs = self._classify(np.stack(images))
        for i, card in enumerate(self.cards):
            card.show_probabilities(None if probs is None else probs[i], self._classes)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        columns = max(1, self.width() // 150)
        if columns != self._columns:
            self._columns = columns
            self._relayout()

    def _relayout(self) -> None:
        for card in self.cards:
            self._grid.removeWidget(card)
        for i, card in enumerate(self.cards):
            self._grid.addWidget(card, i // self._columns, i % self._columns)
        self._empty.setVisible(not self.cards)
