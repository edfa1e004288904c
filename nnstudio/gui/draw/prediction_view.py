"""The network's answer for the drawing: the top class in large type, one bar per class, and
the small image the network actually receives."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.draw.image_import import gray_to_qimage

BLUE = QColor("#0877bd")
BAR_BG = QColor("#e8edf2")
BAR_OTHER = QColor("#8fb9d9")
TEXT = QColor("#24292f")
MUTED = QColor("#6a737d")


class ProbabilityBars(QWidget):
    """One horizontal bar per class with its probability; the top class in blue.

    ``set_values(None, names)`` shows the class names with empty bars.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilityBars")
        self._names: list[str] = [str(i) for i in range(10)]
        self._values: np.ndarray | None = None
        self.setMaximumHeight(30 * len(self._names))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_values(self, values: np.ndarray | None, names: list[str]) -> None:
        """Show ``values`` (k,) in [0, 1] for the classes ``names`` (k names)."""
        if list(names) != self._names:
            self._names = list(names)
            self.setMaximumHeight(30 * max(1, len(self._names)))
            self.updateGeometry()
        self._values = None if values is None else np.asarray(values, dtype=np.float64)
        self.update()

    def values(self) -> np.ndarray | None:
        return None if self._values is None else self._values.copy()

    def _row_height(self) -> float:
        n = max(1, len(self._names))
        return max(14.0, min(30.0, self.height() / n))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(180, min(40, len(self._names)) * 15)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, min(40, len(self._names)) * 26)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        row = self._row_height()
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(11.5, row * 0.45)))
        painter.setFont(font)
        fm = painter.fontMetrics()
        label_w = max(fm.horizontalAdvance(n) for n in self._names) + 10 if self._names else 0
        label_w = min(label_w, self.width() * 0.4)
        pct_w = fm.horizontalAdvance("100.0%") + 6
        bar_x, bar_w = label_w, max(10.0, self.width() - label_w - pct_w)
        top = int(np.argmax(self._values)) if self._values is not None else -1
        for i, name in enumerate(self._names):
            y = i * row
            bar = QRectF(bar_x, y + row * 0.18, bar_w, row * 0.64)
            bold = i == top
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(TEXT if bold else MUTED)
            painter.drawText(QRectF(0, y, label_w - 6, row),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(name, Qt.TextElideMode.ElideRight, int(label_w - 6)))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BAR_BG)
            painter.drawRoundedRect(bar, 3, 3)
            if self._values is None:
                continue
            v = float(np.clip(self._values[i], 0.0, 1.0))
            if v > 0.0005:
                painter.setBrush(BLUE if bold else BAR_OTHER)
                painter.drawRoundedRect(QRectF(bar.x(), bar.y(), max(3.0, bar_w * v),
                                               bar.height()), 3, 3)
            painter.setPen(TEXT if bold else MUTED)
            text = f"{100 * v:.0f}%" if v >= 0.01 or v == 0 else "<1%"
            painter.drawText(QRectF(bar_x + bar_w + 4, y, pct_w, row),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.end()


class PixelPreview(QWidget):
    """A small greyscale image shown enlarged with crisp, square pixels."""

    def __init__(self, side: int = 112, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self.setFixedSize(side, side)

    def set_image(self, image: np.ndarray | None) -> None:
        """Show a (H, W) array in [0, 1] (white = 1), or an empty black square."""
        self._array = None if image is None else np.array(image, dtype=np.float32)
        self._image = None if image is None else gray_to_qimage(self._array)
        self.update()

    def image(self) -> np.ndarray | None:
        return None if self._array is None else self._array.copy()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        r = QRectF(0, 0, self.width(), self.height())
        painter.fillRect(r, Qt.GlobalColor.black)
        if self._image is not None:
            painter.drawImage(r, self._image)
        painter.setPen(QPen(QColor("#9aa5b1"), 1))
        painter.drawRect(r.adjusted(0, 0, -1, -1))
        painter.end()


class PredictionView(QFrame):
    """The answer beside the canvas (objectName ``predictionView``).

    Children tests and people address: ``predictedDigit`` (QLabel, just the top class, empty
    when nothing is drawn, "?" when the drawing does not look like a digit),
    ``predictionConfidence``, ``notADigit`` (why the drawing does not look like a digit),
    ``probabilityBars``, ``mnistPreview`` and ``predictionHint`` (why there is no answer,
    e.g. no usable model).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictionView")
        self._classes: list[str] = [str(i) for i in range(10)]
        self._digit_size = 64
        title = QLabel("The network's answer")
        title.setObjectName("sectionTitle")
        self.digit = QLabel("")
        self.digit.setObjectName("predictedDigit")
        self.digit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit.setMinimumWidth(90)
        self.digit.setStyleSheet("color: #0877bd; font-size: 64pt; font-weight: 600;")
        self.digit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.digit.setFixedHeight(104)
        self.confidence = QLabel("")
        self.confidence.setObjectName("predictionConfidence")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence.setStyleSheet("color: #4a5560; font-size: 11pt;")
        self.preview = PixelPreview(112)
        self.preview.setObjectName("mnistPreview")
        caption = QLabel("what the network\nreceives (28×28)")
        caption.setObjectName("previewCaption")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet("color: #6a737d; font-style: italic; font-size: 9pt;")
        self.preview_caption = caption
        self.bars = ProbabilityBars()
        self.hint = QLabel("")
        self.hint.setObjectName("predictionHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #8a5a00; background: #fff4e0; border: 1px solid #f5c77e;"
                                " border-radius: 4px; padding: 6px;")
        self.hint.hide()
        self.doubt = QLabel("")
        self.doubt.setObjectName("notADigit")
        self.doubt.setWordWrap(True)
        self.doubt.setStyleSheet("color: #8a5a00; font-size: 10pt;")
        self.doubt.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # room for two lines always, so that the bars never jump while drawing
        self.doubt.setFixedHeight(2 * self.doubt.fontMetrics().lineSpacing() + 6)

        top = QGridLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setHorizontalSpacing(12)
        top.addWidget(self.digit, 0, 0)
        top.addWidget(self.confidence, 1, 0)
        top.addWidget(self.preview, 0, 1, Qt.AlignmentFlag.AlignCenter)
        top.addWidget(caption, 1, 1)
        top.setColumnStretch(0, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(title)
        lay.addLayout(top)
        lay.addWidget(self.doubt)
        lay.addWidget(self.hint)
        lay.addWidget(self.bars)

    def doubt_text(self) -> str:
        """Why the drawing does not look like a digit; empty when it does."""
        return self.doubt.text()

    def set_classes(self, classes: list[str]) -> None:
        self._classes = list(classes)
        self.bars.set_values(None, self._classes)

    def show_result(self, probs: np.ndarray | None, classes: list[str] | None = None,
                    doubt: str | None = None) -> None:
        """Show probabilities (k,) for the classes; ``None`` shows no answer.

        ``doubt`` is a sentence saying the drawing does not look like a digit: the answer is
        then "?" with the sentence under it (the bars still show what the network thinks).
        """
        if classes is not None:
            self._classes = list(classes)
        self.doubt.setText((doubt or "") if probs is not None else "")
        if probs is None:
            self.digit.setText("")
            self.confidence.setText("")
            self.bars.set_values(None, self._classes)
            return
        p = np.asarray(probs, dtype=np.float64)
        top = int(np.argmax(p))
        name = self._classes[top] if top < len(self._classes) else str(top)
        self.digit.setText("?" if doubt else name)
        # long class names (e.g. "Trouser") need a smaller type than a single digit
        size = 64 if len(self.digit.text()) <= 2 else 26
        if size != self._digit_size:  # restyling is slow: only when the size changes
            self._digit_size = size
            self.digit.setStyleSheet(f"color: #0877bd; font-size: {size}pt; font-weight: 600;")
        self.confidence.setText(f"its guess: {name} ({100 * p[top]:.0f}%)" if doubt
                                else f"{100 * p[top]:.0f}% sure")
        self.bars.set_values(p, self._classes)

    def set_preview(self, image: np.ndarray | None) -> None:
        self.preview.set_image(image)
        if image is not None:
            h, w = image.shape
            text = f"what the network\nreceives ({h}×{w})"
            if text != self.preview_caption.text():
                self.preview_caption.setText(text)

    def set_hint(self, text: str | None) -> None:
        """A person-readable reason why there is no answer (``None`` hides it)."""
        self.hint.setText(text or "")
        self.hint.setVisible(bool(text))
