"""Arrays that the image layers reuse from one pass to the next."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Buffers"]


class Buffers:
    """Named arrays kept between passes.

    A layer's passes reuse the same large arrays (padded inputs, unfolded patches, products)
    batch after batch instead of asking the allocator for fresh memory, which the system
    then clears page by page. An array keeps its memory when a pass asks for a smaller
    shape (the short last batch of an epoch, the last piece of a validation set): the new
    shape is a view of the start of it, and only a larger shape or another dtype allocates.
    """

    def __init__(self) -> None:
        #: key -> (memory, the view last handed out)
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __deepcopy__(self, memo: dict) -> Buffers:
        """A copy of a layer (an Inside view's private network) starts with no arrays:
        they are scratch, and copying them would cost time and memory for nothing."""
        return Buffers()

    def get(self, key: str, shape: tuple[int, ...], dtype, fill: float | None = None
            ) -> np.ndarray:
        """The array ``key`` of ``shape``: the same object as the last time when the shape
        and dtype are the same, its contents kept; else filled with ``fill`` when given
        (uninitialised otherwise)."""
        entry = self._arrays.get(key)
        dtype = np.dtype(dtype)
        if entry is not None and entry[1].shape == shape and entry[1].dtype == dtype:
            return entry[1]
        size = math.prod(shape)
        if entry is not None and entry[0].dtype == dtype and entry[0].size >= size:
            memory = entry[0]
            view = memory[:size].reshape(shape)
            if fill is not None:
                view.fill(fill)
        else:
            memory = np.empty(size, dtype) if fill is None else np.full(size, fill, dtype)
            view = memory.reshape(shape)
        self._arrays[key] = (memory, view)
        return view
