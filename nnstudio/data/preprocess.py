"""Turning drawings and images into network inputs the way MNIST was made.

MNIST's recipe: take the bounding box of the ink, scale it (keeping its aspect ratio) so that
its longer side is 20 pixels, with anti-aliasing, and place it in a 28×28 image so that its
centre of mass sits at the centre. :func:`to_mnist` does exactly that for an image of any size;
the scaling integrates pixel areas (no nearest-neighbour jaggies) and the centring is done with
sub-pixel precision inside the same resampling, so it adds no blur.

:func:`downsample` shrinks digit images (e.g. 28×28 -> 16×16) by area averaging.
:func:`picture_to_ink` turns a photo, scan or screenshot of a digit (either polarity) into
white ink on black, as the Draw page does with a dropped picture and ``nnstudio predict``
with an image file.
"""

from __future__ import annotations

import numpy as np

from .dataset import Dataset

#: pixel-index coordinates of the centre of mass of MNIST digits (measured: 13.99, 14.01)
MNIST_CENTRE = 14.0
MNIST_BOX = 20
MNIST_SIZE = 28
#: longest side a picture is reduced to before its ink is analysed
PICTURE_MAX_SIDE = 512


class NoInkError(ValueError):
    """A picture that holds no visible digit (empty, transparent or one flat colour)."""


def resample_matrix(n_in: int, n_out: int, scale: float, offset: float) -> np.ndarray:
    """Matrix ``R`` (n_out, n_in) such that ``R @ v`` resamples a 1-D signal ``v``.

    Output pixel ``i`` covers the source interval ``[(i - offset) / scale,
    (i + 1 - offset) / scale]`` (pixel edges at whole numbers). When shrinking
    (``scale <= 1``) each output pixel is the exact area average of the source pixels it
    covers; when enlarging it is the linear interpolation at its centre. Parts outside the
    source count as zero (black).

    Returns
    -------
    np.ndarray
        float64 (n_out, n_in).
    """
    i = np.arange(n_out, dtype=np.float64)[:, None]
    j = np.arange(n_in, dtype=np.float64)[None, :]
    if scale <= 1.0:
        lo = (i - offset) / scale
        hi = (i + 1.0 - offset) / scale
        overlap = np.clip(np.minimum(hi, j + 1.0) - np.maximum(lo, j), 0.0, None)
        return overlap * scale
    centre = (i + 0.5 - offset) / scale - 0.5
    return np.clip(1.0 - np.abs(centre - j), 0.0, None)


def as_grey(image: np.ndarray, invert: bool | None = False) -> np.ndarray:
    """Any (H, W), (H, W, 3) or (H, W, 4) image -> float64 (H, W) in [0, 1], white on black.

    uint8 images are divided by 255. An RGBA image whose alpha varies (a drawing on a
    transparent background) uses its alpha as the ink.

    Parameters
    ----------
    invert : bool or None
        True for dark ink on a light background; None guesses from the border pixels.
    """
    a = np.asarray(image)
    unit = 255.0 if a.dtype == np.uint8 else 1.0
    if a.ndim == 3 and a.shape[2] in (3, 4):
        if a.shape[2] == 4 and a[..., 3].min() != a[..., 3].max():
            return np.clip(a[..., 3].astype(np.float64) / unit, 0.0, 1.0)
        a = a[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    elif a.ndim != 2:
        raise ValueError(f"expected a (H, W) or (H, W, 3|4) image, got shape {a.shape}")
    a = np.clip(np.nan_to_num(a.astype(np.float64) / unit, nan=0.0), 0.0, 1.0)
    if invert is None and a.size:
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        invert = bool(np.median(border) > 0.5)
    return 1.0 - a if invert else a


def to_mnist(
    image: np.ndarray,
    box: int = MNIST_BOX,
    size: int = MNIST_SIZE,
    threshold: float = 0.05,
    invert: bool | None = False,
) -> np.ndarray:
    """Frame a drawing like an MNIST digit.

    Parameters
    ----------
    image : np.ndarray
        (H, W) greyscale, float in [0, 1] or uint8, white ink on black (any size). Colour
        (H, W, 3|4) images are converted to grey.
    box : int
        Side of the box the ink's bounding box is fitted into (20 for MNIST).
    size : int
        Side of the output (28 for MNIST).
    threshold : float
        Pixels brighter than this count as ink for the bounding box.
    invert : bool or None
        True for dark ink on light paper; None guesses from the border.

    Returns
    -------
    np.ndarray
        float32 (size, size) in [0, 1]; all zeros when there is no ink.
    """
    a = as_grey(image, invert=invert)
    out = np.zeros((size, size), dtype=np.float32)
    ink = a > threshold
    if not ink.any():
        return out
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    a = np.where(a > threshold, a, 0.0)
    h, w = a.shape
    scale = box / max(h, w)
    total = a.sum()
    # centre of mass of the crop in continuous coordinates (pixel centres at k + 0.5)
    cy = (a.sum(axis=1) @ (np.arange(h) + 0.5)) / total
    cx = (a.sum(axis=0) @ (np.arange(w) + 0.5)) / total
    # place it so that the scaled centre of mass lands on the MNIST centre (index coords)
    target = MNIST_CENTRE * size / MNIST_SIZE + 0.5
    off_y = target - cy * scale
    off_x = target - cx * scale
    # keep the whole box inside the image even for very lopsided digits
    off_y = float(np.clip(off_y, 0.0, size - h * scale))
    off_x = float(np.clip(off_x, 0.0, size - w * scale))
    ry = resample_matrix(h, size, scale, off_y)
    rx = resample_matrix(w, size, scale, off_x)
    res = ry @ a @ rx.T
    peak = res.max()
    if peak > 0:
        # thin strokes lose contrast when shrunk; MNIST stroke cores keep the ink's strength
        res *= a.max() / peak
    out[:] = np.clip(res, 0.0, 1.0)
    return out


def downsample(images: np.ndarray, size: int = 16) -> np.ndarray:
    """Shrink square images by exact area averaging.

    Parameters
    ----------
    images : np.ndarray
        (N, H, W) or (H, W), values in [0, 1].
    size : int
        Side of the result.

    Returns
    -------
    np.ndarray
        float32 (N, size, size) or (size, size).
    """
    x = np.asarray(images, dtype=np.float32)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"expected (N, H, W) images, got shape {x.shape}")
    h, w = x.shape[1:]
    if (h, w) == (size, size):
        out = x.copy()
    else:
        ry = resample_matrix(h, size, size / h, 0.0).astype(np.float32)
        rx = resample_matrix(w, size, size / w, 0.0).astype(np.float32)
        out = np.matmul(np.matmul(ry, x), rx.T)
        out = np.clip(out, 0.0, 1.0, out=out)
    return out[0] if single else np.ascontiguousarray(out, dtype=np.float32)


def downsample_dataset(ds: Dataset, size: int = 16) -> Dataset:
    """An image dataset with every image shrunk to ``size`` × ``size`` (see :func:`downsample`)."""
    x = ds.x[:, 0] if ds.x.ndim == 4 and ds.x.shape[1] == 1 else ds.x
    return Dataset(
        name=f"{ds.name} {size}×{size}",
        x=downsample(x, size),
        y=ds.y,
        task=ds.task,
        classes=list(ds.classes),
        feature_names=ds.feature_names,
        description=f"{ds.description} (shrunk to {size}×{size} by area averaging)".strip(),
        meta=dict(ds.meta),
    )


def shrink_picture(image: np.ndarray, max_side: int = PICTURE_MAX_SIDE) -> np.ndarray:
    """An (H, W) or (H, W, C) picture whose longer side exceeds ``max_side``, shrunk by
    area averaging to fit (aspect ratio kept); float64. Smaller pictures come back as is."""
    a = np.asarray(image)
    h, w = a.shape[:2]
    if max(h, w) <= max_side:
        return a
    unit = 255.0 if a.dtype == np.uint8 else 1.0
    scale = max_side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    ry = resample_matrix(h, nh, nh / h, 0.0)
    rx = resample_matrix(w, nw, nw / w, 0.0)
    f = a.astype(np.float64) / unit
    if f.ndim == 2:
        return ry @ f @ rx.T
    return np.einsum("ih,hwc,jw->ijc", ry, f, rx, optimize=True)


def picture_to_ink(image: np.ndarray, name: str = "the image") -> np.ndarray:
    """Turn a picture of a digit into white ink on black, padded to a square.

    Parameters
    ----------
    image : np.ndarray
        (H, W), (H, W, 3) or (H, W, 4), uint8 or float in [0, 1]. An opaque picture is
        judged by brightness, one with varying alpha by its alpha; the polarity (dark ink on
        light paper or the reverse) is guessed from the border.
    name : str
        What to call the picture in error messages.

    Returns
    -------
    np.ndarray
        float32 (S, S) in [0, 1], the ink centred in a black square; background mapped to
        0, the brightest ink to 1, faint paper texture and JPEG noise removed.

    Raises
    ------
    NoInkError
        The picture is empty, fully transparent, or almost one flat colour.
    """
    a = np.asarray(image)
    if a.size == 0 or a.shape[0] < 1 or a.shape[1] < 1:
        raise NoInkError(f"{name} is empty.")
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[..., 3]
        if alpha.min() == alpha.max() == 0:
            raise NoInkError(f"{name} is fully transparent: there is no digit in it.")
        if alpha.min() == alpha.max():
            a = a[..., :3]  # opaque: judge by brightness, not by alpha
    ink = as_grey(a, invert=None)  # white on black; polarity guessed from the border
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    background = float(np.median(border))
    top = float(np.percentile(ink, 99.5))
    if top - background < 0.15:
        raise NoInkError(f"{name} has no visible digit (it is almost one flat colour).")
    ink = np.clip((ink - background) / (top - background), 0.0, 1.0)
    ink[ink < 0.12] = 0.0  # paper texture and JPEG noise are not ink
    h, w = ink.shape
    side = max(h, w)
    out = np.zeros((side, side), dtype=np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    out[y0 : y0 + h, x0 : x0 + w] = ink
    return out
