"""Lessons: the course as guided steps with checks, read from plain text files. No Qt.

- :mod:`.format`: the file format, :func:`~.format.parse` and :func:`~.format.load`
- :mod:`.checks`: checks written as data (a quantity, a comparison, a value)
- :mod:`.measures`: the quantities checks can measure
- :mod:`.setup`, :mod:`.actions`: what a step sets up and what "show me" does
- :mod:`.controls`: the controls a lesson may lock, hide, set, click or read, with the
  names people call them
- :mod:`.limits`, :mod:`.files`: the range of every number a lesson gives, and the files it
  may read (its own folder's and the shipped data)
- :mod:`.library`: shipped and own lessons, and the learner's progress
- :mod:`.command`: ``nnstudio lessons`` and ``nnstudio lessons check FILE``
"""

from nnstudio.lessons.format import Lesson, LessonError, Problem, Step, load, parse
from nnstudio.lessons.library import Entry, Progress, find_lessons

__all__ = ["Entry", "Lesson", "LessonError", "Problem", "Progress", "Step", "find_lessons",
           "load", "parse"]
