"""Datasets as plain NumPy arrays. No Qt here.

Start with :func:`load_source` (e.g. ``load_source("synthetic:10000")``), which returns a
:class:`Dataset`; :data:`SOURCES` lists the sources to offer in a chooser.
"""

from .dataset import DIGIT_CLASSES, DataError, Dataset
from .sources import SOURCES, load_source

__all__ = ["DIGIT_CLASSES", "SOURCES", "DataError", "Dataset", "load_source"]
