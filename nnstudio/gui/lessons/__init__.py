"""The Lessons page: guided, checked steps through the course (see :mod:`nnstudio.lessons`)."""

from nnstudio.gui.lessons.page import LessonPage

__all__ = ["LessonPage"]
