"""The Design page's status line: a hint about the gestures and the design's summary.

On a wide page both share one line; on a narrow one (a lesson open beside the window) the
summary takes a line of its own above the hint. Which of the two depends on the width only,
never on the words, so the line does not change height while the person edits. The summary
gives up words it can spare (the batch, then the memory) rather than being cut; the hint is
cut with "…" and shown whole in its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QWidget

from nnstudio.gui.design import theme
from nnstudio.gui.flow import ElidedLabel

#: below this width the summary and the hint take a line each
TWO_LINES_BELOW = 640
#: pixels around the labels (left and right, top and bottom) and between them
MARGIN = (10, 4)
SPACING = 10


class StatusLine(QFrame):
    """Hint and summary under the diagram (objectName ``editorStatus``).

    Parameters
    ----------
    hint : str
        One line about the gestures.
    detail : str
        The gestures in full, for the hint's tooltip.
    """

    def __init__(self, hint: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editorStatus")
        self.setStyleSheet(f"QFrame#editorStatus {{ background: {theme.CANVAS}; "
                           "border-top: 1px solid #e3e6ea; }")
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.hint = ElidedLabel(hint, detail=detail, parent=self)
        self.hint.setObjectName("editorHint")
        self.hint.setStyleSheet(f"color: {theme.FAINT}; font-style: italic; font-size: 9pt;")
        self.summary = QLabel(self)
        self.summary.setObjectName("designSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setStyleSheet(f"color: {theme.TEXT}; font-size: 10pt;")
        self._variants: list[str] = [""]

    @property
    def two_lines(self) -> bool:
        """Whether the summary and the hint each have a line (a narrow page)."""
        return self.width() < TWO_LINES_BELOW

    def set_summary(self, variants: list[str], tooltip: str = "") -> None:
        """Show the first of ``variants`` (rich texts, longest first) that fits."""
        self._variants = list(variants) or [""]
        self.summary.setToolTip(tooltip)
        self._fit()

    def text_width(self, text: str) -> int:
        """Pixels the rich ``text`` takes on one line in the summary's font."""
        self.summary.ensurePolished()
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(self.summary.font())
        doc.setHtml(text)
        return int(doc.idealWidth()) + 2

    def _line_height(self) -> int:
        self.summary.ensurePolished()
        self.hint.ensurePolished()
        return max(self.summary.fontMetrics().height(), self.hint.fontMetrics().height()) + 2

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        lines = 2 if width < TWO_LINES_BELOW else 1
        return lines * self._line_height() + (lines - 1) * SPACING + 2 * MARGIN[1]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(TWO_LINES_BELOW, self.heightForWidth(TWO_LINES_BELOW))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(90, self.heightForWidth(90))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Choose the summary's words for the width and place the two labels."""
        width, (mx, my) = self.width(), MARGIN
        room, line = max(0, width - 2 * mx), self._line_height()
        two = self.two_lines
        if not two:   # the hint keeps at least a few words beside the summary
            room -= SPACING + min(self.hint.sizeHint().width(), 200)
        shown = next((v for v in self._variants if self.text_width(v) <= room),
                     self._variants[-1]) if self.isVisible() else self._variants[0]
        if shown != self.summary.text():
            self.summary.setText(shown)
        used = min(self.text_width(shown), max(0, width - 2 * mx))
        if two:
            self.summary.setGeometry(QRect(mx, my, width - 2 * mx, line))
            self.hint.setGeometry(QRect(mx, my + line + SPACING, width - 2 * mx, line))
        else:
            self.summary.setGeometry(QRect(width - mx - used, my, used, line))
            self.hint.setGeometry(QRect(mx, my, max(0, width - 2 * mx - used - SPACING), line))
