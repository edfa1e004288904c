"""The window's state, Qt-free and observable field by field.

:class:`~nnstudio.state.app_state.AppState` is the one place every value the window shows
lives (each field with one writer and its own change event); :mod:`nnstudio.state.moment`
keeps a moment of it by value (a lesson's entry and exit, the session file);
:mod:`nnstudio.state.session_file` writes the person's design, data and settings to disk and
reads them back when the window opens again.
"""

from nnstudio.state.app_state import WRITERS, AppState, RunState, default_settings
from nnstudio.state.moment import Moment, take

__all__ = ["WRITERS", "AppState", "Moment", "RunState", "default_settings", "take"]
