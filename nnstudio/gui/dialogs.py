"""The window's questions, asked the same way wherever they come from.

:func:`confirm_unsaved` is the one "unsaved changes" question: the window asks it before New,
Open and closing, the Design page before a template replaces the design. It offers Save,
Discard and Cancel, and saving that fails or is cancelled keeps everything as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from nnstudio.gui.session import Session

UNSAVED_QUESTION = "The design or its weights have changed. Save them first?"


def confirm_unsaved(parent: QWidget, session: Session, save: Callable[[], bool] | None,
                    question: str = UNSAVED_QUESTION) -> bool:
    """Ask what to do with unsaved changes before they would be replaced.

    Parameters
    ----------
    parent : QWidget
        The dialog's parent.
    session : Session
        Nothing is asked when ``session.dirty`` is False.
    save : callable or None
        Saves the work and returns True on success (it may ask for a file name). None
        leaves the Save button out, when there is nowhere to save from.
    question : str
        What is about to happen and the question, in the person's terms.

    Returns
    -------
    bool
        True to go on (saved, or the person chose Discard); False to keep everything as it
        is (Cancel, the dialog closed, or the save failed or was cancelled).
    """
    if not session.dirty:
        return True
    buttons = QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    if save is not None:
        buttons |= QMessageBox.StandardButton.Save
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes", question, buttons, parent)
    box.setObjectName("saveChangesBox")
    box.setDefaultButton(QMessageBox.StandardButton.Save if save is not None
                         else QMessageBox.StandardButton.Cancel)
    answer = box.exec()
    box.deleteLater()  # a hidden question kept by its parent would pile up otherwise
    if answer == QMessageBox.StandardButton.Save and save is not None:
        return bool(save())
    return answer == QMessageBox.StandardButton.Discard
