"""Why it said 7: how much the answer's confidence drops when a patch of the drawing is covered.

Covering the part of a drawing that made the network answer "7" (the top bar, say) makes it
much less sure; covering empty paper changes nothing. :func:`occlusion_map` slides a grey
square over the image, asks the network about every covered copy in one batch, and returns
for every pixel the mean drop of the chosen class's probability over the squares that
covered it: a map of where the evidence for that class lies. Positive values are evidence
for the class, negative values evidence against it (covering them made the class likelier).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["OcclusionMap", "occlusion_map"]


@dataclass(frozen=True)
class OcclusionMap:
    """The evidence for one class, pixel by pixel.

    Attributes
    ----------
    target : int
        The class whose probability was watched.
    base : float
        Its probability for the uncovered image.
    drop : ndarray (H, W)
        Mean fall of that probability when a square covering the pixel hid it (float64).
    patch, stride : int
        The square's side and the step between squares, in pixels.
    """

    target: int
    base: float
    drop: np.ndarray
    patch: int
    stride: int


def occlusion_map(network: Any, image: np.ndarray, target: int, *, patch: int = 6,
                  stride: int = 2, fill: float = 0.0, batch_size: int = 256,
                  input_shape: tuple[int, ...] | None = None) -> OcclusionMap:
    """Slide a ``patch``×``patch`` square of value ``fill`` over ``image`` and measure the drop.

    Parameters
    ----------
    network : Network
        Anything with ``predict(x (N, ...)) -> (N, K)`` probabilities.
    image : ndarray (H, W) or (1, H, W)
        One grey image as the network receives it (values in [0, 1]).
    target : int
        The class to watch.
    patch, stride : int
        The square's side and its step (clipped to the image).
    fill : float
        What a covered pixel reads (0: blank paper for white-on-black digits).
    input_shape : tuple of int, optional
        The shape the network reads one image in, e.g. ``(784,)`` for a dense network on
        28×28 pictures; by default the image's own.
    """
    img = np.asarray(image, dtype=np.float32)
    shape = tuple(input_shape) if input_shape is not None else img.shape
    lead = img.shape[:-2]
    H, W = img.shape[-2:]
    patch = int(max(1, min(patch, H, W)))
    stride = int(max(1, stride))
    tops = list(range(0, H - patch + 1, stride))
    lefts = list(range(0, W - patch + 1, stride))
    if tops[-1] != H - patch:
        tops.append(H - patch)
    if lefts[-1] != W - patch:
        lefts.append(W - patch)
    windows = [(t, l) for t in tops for l in lefts]
    base = float(np.asarray(network.predict(img.reshape(1, *shape)))[0].reshape(-1)[target])
    drop = np.zeros((H, W))
    count = np.zeros((H, W))
    for start in range(0, len(windows), batch_size):
        chunk = windows[start:start + batch_size]
        covered = np.repeat(img[None], len(chunk), axis=0)
        for i, (t, l) in enumerate(chunk):
            covered[(i, *(slice(None),) * len(lead), slice(t, t + patch), slice(l, l + patch))] \
                = fill
        probs = np.asarray(network.predict(covered.reshape(len(chunk), *shape)))
        probs = probs.reshape(len(chunk), -1)[:, target]
        for (t, l), p in zip(chunk, probs, strict=True):
            drop[t:t + patch, l:l + patch] += base - float(p)
            count[t:t + patch, l:l + patch] += 1
    return OcclusionMap(target=int(target), base=base, drop=drop / np.maximum(count, 1),
                        patch=patch, stride=stride)
