"""A row of widgets that wraps onto more lines when the width runs out, and a label that
elides its text to its width.

:class:`FlowLayout` is for rows of tools and cards above a plot: at a narrow width (a dock
open beside the page) its widgets move to a second line instead of being squeezed or cut.
The lines depend on the width only, never on what the widgets show, so nothing moves under
the mouse while the person works. :class:`ElidedLabel` shows one line of plain text cut with
"…" where it does not fit, the whole text in its tooltip; :class:`ElidedComboBox` does the
same for the choice shown in a list box.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLayout,
    QLayoutItem,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)


class FlowLayout(QLayout):
    """Widgets left to right in as few lines as the width allows.

    Parameters
    ----------
    parent : QWidget, optional
    spacing : int
        Pixels between two widgets of a line.
    line_spacing : int
        Pixels between two lines.
    justify : bool
        Share the width of each line among its widgets (dashboard cards), and spread the
        widgets evenly over the lines (3 + 3 rather than 5 + 1).

    Widgets added with ``add_widget(w, right=True)`` keep to the right end of their line,
    as the widgets after a stretch in a row do.
    """

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 10,
                 line_spacing: int = 6, justify: bool = False) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._right: set[int] = set()
        self._gap = spacing
        self._line_gap = line_spacing
        self._justify = justify
        self.setContentsMargins(0, 0, 0, 0)

    # ------------------------------------------------------------------ QLayout
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def add_widget(self, widget: QWidget, *, right: bool = False) -> None:
        """Add ``widget``; ``right``: it keeps to the right end of its line."""
        if right:
            self._right.add(len(self._items))
        self.addWidget(widget)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        if not 0 <= index < len(self._items):
            return None
        self._right = {i - (i > index) for i in self._right if i != index}
        return self._items.pop(index)

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._place(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._place(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        shown = self._shown()
        m = self.contentsMargins()
        width = sum(it.sizeHint().width() for _, it in shown) + self._gap * max(0, len(shown) - 1)
        height = max((it.sizeHint().height() for _, it in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        shown = self._shown()
        m = self.contentsMargins()
        width = max((it.minimumSize().width() for _, it in shown), default=0)
        height = max((it.sizeHint().height() for _, it in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    # ------------------------------------------------------------------ placing
    def _shown(self) -> list[tuple[int, QLayoutItem]]:
        return [(i, it) for i, it in enumerate(self._items) if not it.isEmpty()]

    def lines(self, width: int) -> list[list[int]]:
        """The indices of the shown widgets on each line at ``width`` pixels (margins in)."""
        m = self.contentsMargins()
        room = max(1, width - m.left() - m.right())
        shown = self._shown()
        lines: list[list[int]] = []
        used = 0
        for i, it in shown:
            w = self._want(it)
            if lines and used + self._gap + w <= room:
                lines[-1].append(i)
                used += self._gap + w
            else:
                lines.append([i])
                used = w
        if self._justify and len(lines) > 1:   # as many lines, widgets spread evenly
            per = -(-len(shown) // len(lines))
            order = [i for i, _ in shown]
            even = [order[k:k + per] for k in range(0, len(order), per)]
            if all(self._line_width(line) <= room for line in even):
                lines = even
        return lines

    def _want(self, item: QLayoutItem) -> int:
        """The width a widget needs on a line: justified ones may shrink to their minimum."""
        return item.minimumSize().width() if self._justify else item.sizeHint().width()

    def _line_width(self, line: list[int]) -> int:
        return sum(self._want(self._items[i]) for i in line) + self._gap * max(0, len(line) - 1)

    def _place(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        left, top = rect.x() + m.left(), rect.y() + m.top()
        room = max(1, rect.width() - m.left() - m.right())
        y = top
        for line in self.lines(rect.width()):
            height = max(self._items[i].sizeHint().height() for i in line)
            if apply:
                self._place_line(line, left, y, room, height)
            y += height + self._line_gap
        return max(0, y - self._line_gap - top) + m.top() + m.bottom()

    def _place_line(self, line: list[int], left: int, y: int, room: int, height: int) -> None:
        widths = [self._want(self._items[i]) for i in line]
        spare = max(0, room - sum(widths) - self._gap * (len(line) - 1))
        if self._justify:   # first towards what each would like, then all alike
            short = [max(0, self._items[i].sizeHint().width() - w)
                     for i, w in zip(line, widths, strict=True)]
            give = min(1.0, spare / sum(short)) if sum(short) else 0.0
            widths = [w + int(d * give) for w, d in zip(widths, short, strict=True)]
            spare = max(0, room - sum(widths) - self._gap * (len(line) - 1))
            widths = [w + spare // len(line) + (k < spare % len(line))
                      for k, w in enumerate(widths)]
            spare = 0
        x = left
        for k, (i, w) in enumerate(zip(line, widths, strict=True)):
            if i in self._right and (k == 0 or line[k - 1] not in self._right):
                x += spare   # the right-hand widgets keep to the right end
            item = self._items[i]
            h = height if self._justify else min(height, item.sizeHint().height())
            item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
            x += w + self._gap


#: an elided label keeps at least this many characters of its text
KEEP = 6


class ElidedLabel(QLabel):
    """One line of plain text, cut with "…" where it does not fit; tooltip: the whole text.

    Parameters
    ----------
    text : str
    mode : Qt.TextElideMode
        Where the cut goes (``ElideRight`` by default; ``ElideMiddle`` keeps both ends).
    detail : str
        More words for the tooltip, after the whole text.
    """

    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
                 detail: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self._mode = mode
        self._detail = detail
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._fit()

    def full_text(self) -> str:
        """The whole text, however much of it is shown."""
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self.set_full_text(text)

    def set_full_text(self, text: str, detail: str | None = None) -> None:
        """Show ``text`` (cut to the width); ``detail``: new words for the tooltip."""
        self._full = text
        if detail is not None:
            self._detail = detail
        self.updateGeometry()
        self._fit()

    def is_elided(self) -> bool:
        return self.text() != self._full

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        m = self.contentsMargins()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + m.left() + m.right(),
                     hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for the first :data:`KEEP` characters and "…" (a short text whole)."""
        fm = self.fontMetrics()
        m = self.contentsMargins()
        keep = self._full if len(self._full) <= KEEP + 1 else self._full[:KEEP] + "…"
        return QSize(fm.horizontalAdvance(keep) + m.left() + m.right(),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        m = self.contentsMargins()
        room = self.width() - m.left() - m.right()
        fm = self.fontMetrics()
        shown = (self._full if fm.horizontalAdvance(self._full) <= room
                 else fm.elidedText(self._full, self._mode, max(0, room)))
        QLabel.setText(self, shown)
        parts = [self._full] if shown != self._full else []
        if self._detail:
            parts.append(self._detail)
        self.setToolTip("\n\n".join(parts))


class ElidedComboBox(QComboBox):
    """A list box whose shown choice is cut with "…" when the box is narrower than it."""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        opt.currentText = self.shown_text(field.width())
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)

    def shown_text(self, width: int | None = None) -> str:
        """The current choice as drawn in ``width`` pixels (default: the box's own field)."""
        if width is None:
            opt = QStyleOptionComboBox()
            self.initStyleOption(opt)
            width = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                                QStyle.SubControl.SC_ComboBoxEditField,
                                                self).width()
        text = self.currentText()
        fm = self.fontMetrics()
        if fm.horizontalAdvance(text) <= width:
            return text
        return fm.elidedText(text, Qt.TextElideMode.ElideRight, width)
