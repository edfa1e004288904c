"""A dashboard card of the Train page: a caption over one big number and a detail.

A card is never narrower than its whole caption (the Train page puts the cards on two lines
rather than cut them); the detail is cut with "…" where it does not fit and shown whole in
its tooltip, and the number takes a smaller size until it fits: a number is never cut. The
card keeps its height whatever size the number takes, so nothing below it moves while
training runs.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from nnstudio.gui.flow import ElidedLabel

#: point sizes the big number may take, largest first
NUMBER_SIZES = (20.0, 18.0, 16.0, 14.0, 12.0)
#: the room a card keeps for its number at the smallest size
NUMBER_ROOM = "00 of 000"


class BigNumber(QLabel):
    """One line of large text that takes the largest of :data:`NUMBER_SIZES` that fits."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        big = self._font(NUMBER_SIZES[0])
        self.setFont(big)
        self.setFixedHeight(QFontMetrics(big).height())

    def _font(self, size: float) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(size)
        font.setBold(False)
        return font

    def _width(self, size: float) -> int:
        return QFontMetrics(self._font(size)).horizontalAdvance(self.text()) + 2

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._width(NUMBER_SIZES[0]), self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._width(NUMBER_SIZES[-1]), self.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The largest size at which the text fits the width the card gives it."""
        room = self.contentsRect().width()
        size = next((s for s in NUMBER_SIZES if self._width(s) <= room), NUMBER_SIZES[-1])
        if self.font().pointSizeF() != size:
            self.setFont(self._font(size))


class Readout(QFrame):
    """A caption over one big number, like a dashboard card (see the module docstring)."""

    def __init__(self, object_name: str, caption: str, color: str = "#222222",
                 tooltip: str = "") -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            f"QFrame#{object_name} {{ background: #ffffff; border: 1px solid #e2e5e8;"
            " border-radius: 6px; }"
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 6, 6)
        lay.setSpacing(0)
        self.caption = ElidedLabel(caption)
        self.caption.setStyleSheet("color: #6b6b6b; border: none;")
        self.value = BigNumber("–")
        self.value.setObjectName(object_name + "Value")
        self.value.setStyleSheet(f"color: {color}; border: none;")
        self.detail = ElidedLabel("")
        self.detail.setStyleSheet("color: #8a8a8a; border: none;")
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.detail)
        if tooltip:
            self.setToolTip(tooltip)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Wide enough for the whole caption and a number like ``00 of 000`` at the
        smallest size; it depends on the caption only, never on the number shown, so the
        cards' lines do not change while training runs."""
        hint = super().minimumSizeHint()
        m = self.layout().contentsMargins()
        caption = self.caption.fontMetrics().horizontalAdvance(self.caption.full_text())
        number = QFontMetrics(self.value._font(NUMBER_SIZES[-1])).horizontalAdvance(
            NUMBER_ROOM) + 2
        return QSize(max(caption, number) + m.left() + m.right() + 4, hint.height())

    def set(self, text: str, detail: str = "") -> None:
        self.value.setText(text)
        self.detail.setText(detail)

    def text(self) -> str:
        return self.value.text()

