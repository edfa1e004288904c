"""Datasets as plain NumPy arrays. No Qt here.

Start with :func:`nnstudio.data.sources.load_source` (e.g. ``load_source("synthetic:10000")``)
which returns a :class:`~nnstudio.data.dataset.Dataset`.
"""

from .dataset import DIGIT_CLASSES, DataError, Dataset

__all__ = ["DIGIT_CLASSES", "DataError", "Dataset"]
