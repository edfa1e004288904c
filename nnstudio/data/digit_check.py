"""Does a drawing look like a digit at all? A measured signal, before trusting the answer.

A digit network always names a digit, even for a dot, a dash or a scribble. This module
measures a few plain properties of the MNIST-framed image (see
:func:`nnstudio.data.preprocess.to_mnist`) and of the network's answer, and says when they
are unlike handwritten digits:

- **blob**: the ink is as thick as a good part of its own size, or it fills most of its
  roughly square box (a dot or a filled patch; digit strokes leave room between them);
- **line**: the ink lies along one straight, near-horizontal line (a dash; a near-vertical
  line is a 1);
- **scribble**: the strokes enclose more holes than a digit can (an 8 has two), or there is
  more ink than any digit carries;
- **unsure**: the network's top answer is weak (its probability below :data:`CONF_MIN`).

The thresholds were set on the real training digits (not the held-out ones), synthetic
digits and digits drawn on the canvas so that almost no digit is flagged;
``bench/bench_not_a_digit.py`` measures the false alarms on held-out real digits,
re-captured ones and drawn ones, and the detection rate on dots, bars and scribbles.
Pure NumPy, no Qt.
"""

from __future__ import annotations

import numpy as np

#: ink threshold for the shape measures (grey level of the framed image)
INK_LEVEL = 0.35
#: a blob: the widest ink at least this thick (radius over the box side), or a box this full,
#: this thick and no taller than this
BLOB_THICKNESS, BLOB_FILL, BLOB_MIN_THICKNESS, BLOB_ASPECT = 0.33, 0.7, 0.2, 1.8
#: a line: second moments this elongated, the long axis within this angle of horizontal
LINE_ELONGATION, LINE_ANGLE = 0.15, 40.0
#: a scribble: at most this Euler number (one piece with three holes), or this much ink
SCRIBBLE_EULER, INK_MAX = -3, 0.36
CONF_MIN = 0.45

REASONS = {
    "blob": "This does not look like a digit: it is a blob of ink, not strokes.",
    "line": "This does not look like a digit: it is a single line.",
    "scribble": "This does not look like a digit: it is more like a scribble.",
    "unsure": "This does not look much like any digit: the network is unsure.",
}


def euler_number(mask: np.ndarray) -> np.ndarray:
    """Euler number (pieces minus holes) of binary images (N, H, W), 8-connected ink.

    Counted from 2×2 pixel patterns (Gray's bit quads): E = (Q1 - Q3 - 2 QD) / 4.

    Returns
    -------
    np.ndarray
        int64 (N,).
    """
    m = np.pad(np.asarray(mask, dtype=bool), ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    a, b = m[:, :-1, :-1], m[:, :-1, 1:]
    c, d = m[:, 1:, :-1], m[:, 1:, 1:]
    s = a + b + c + d
    q1 = (s == 1).sum(axis=(1, 2))
    q3 = (s == 3).sum(axis=(1, 2))
    qd = ((s == 2) & (a == d)).sum(axis=(1, 2))
    return ((q1 - q3 - 2 * qd) // 4).astype(np.int64)


def inscribed_radius(mask: np.ndarray) -> np.ndarray:
    """How many 3×3 erosions each binary image (N, H, W) survives: about the radius, in
    pixels, of the largest square of ink (half the widest stroke). int64 (N,)."""
    m = np.asarray(mask, dtype=bool)
    depth = np.zeros(len(m), dtype=np.int64)
    while m.any():
        depth += m.any(axis=(1, 2))
        p = np.pad(m, ((0, 0), (1, 1), (1, 1)))
        h, w = m.shape[1:]
        out = p[:, 1:1 + h, 1:1 + w].copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                out &= p[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        m = out
    return depth


def shape_features(images: np.ndarray) -> dict[str, np.ndarray]:
    """Shape measures of MNIST-framed images.

    Parameters
    ----------
    images : np.ndarray
        (N, 28, 28) or (28, 28), values in [0, 1], white ink on black.

    Returns
    -------
    dict of (N,) float arrays
        ``ink`` mean grey level; ``aspect`` height / width of the ink's box; ``fill`` share
        of that box that is ink; ``elongation`` minor / major second moment of the ink
        (0 for a perfect line, 1 for a round patch); ``angle`` of the major axis in degrees
        from horizontal (0..90); ``euler`` pieces minus holes; ``thickness`` the radius of
        the widest part of the ink (:func:`inscribed_radius`) over the longer side of its box.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    n, h, w = x.shape
    mask = x > INK_LEVEL
    rows, cols = mask.any(axis=2), mask.any(axis=1)

    def extent(any_: np.ndarray) -> np.ndarray:
        size = any_.shape[1]
        first = np.argmax(any_, axis=1)
        last = size - 1 - np.argmax(any_[:, ::-1], axis=1)
        return np.where(any_.any(axis=1), last - first + 1, 0)

    bh, bw = extent(rows), extent(cols)
    fill = mask.sum(axis=(1, 2)) / np.maximum(bh * bw, 1)
    total = np.maximum(x.sum(axis=(1, 2)), 1e-9)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    my = (x * yy).sum(axis=(1, 2)) / total
    mx = (x * xx).sum(axis=(1, 2)) / total
    dy, dx = yy[None] - my[:, None, None], xx[None] - mx[:, None, None]
    cyy = (x * dy * dy).sum(axis=(1, 2)) / total
    cxx = (x * dx * dx).sum(axis=(1, 2)) / total
    cxy = (x * dx * dy).sum(axis=(1, 2)) / total
    half_tr, det = (cxx + cyy) / 2, cxx * cyy - cxy**2
    root = np.sqrt(np.maximum(half_tr**2 - det, 0.0))
    major, minor = half_tr + root, np.maximum(half_tr - root, 0.0)
    angle = np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy))  # major axis, from x axis
    return {
        "ink": x.mean(axis=(1, 2)),
        "aspect": bh / np.maximum(bw, 1),
        "fill": fill,
        "elongation": minor / np.maximum(major, 1e-9),
        "angle": np.abs(angle),
        "euler": euler_number(mask).astype(np.float64),
        "thickness": inscribed_radius(mask) / np.maximum(np.maximum(bh, bw), 1),
    }


def doubt_reasons(images: np.ndarray, probs: np.ndarray | None = None) -> list[str | None]:
    """Why each framed image does not look like a digit: a key of :data:`REASONS` or None.

    Parameters
    ----------
    images : np.ndarray
        (N, 28, 28) MNIST-framed images in [0, 1].
    probs : np.ndarray or None
        (N, 10) the network's class probabilities; None leaves out the ``unsure`` check.

    Returns
    -------
    list of str or None
        One entry per image; None where it looks like a digit (or has no ink at all).
    """
    f = shape_features(images)
    conf = None if probs is None else np.asarray(probs, dtype=np.float64).max(axis=1)
    out: list[str | None] = []
    for i in range(len(f["ink"])):
        if f["ink"][i] <= 0:
            out.append(None)
        elif f["thickness"][i] > BLOB_THICKNESS or (
                f["fill"][i] > BLOB_FILL and f["thickness"][i] > BLOB_MIN_THICKNESS
                and f["aspect"][i] < BLOB_ASPECT):
            out.append("blob")
        elif f["elongation"][i] < LINE_ELONGATION and f["angle"][i] < LINE_ANGLE:
            out.append("line")
        elif f["euler"][i] <= SCRIBBLE_EULER or f["ink"][i] > INK_MAX:
            out.append("scribble")
        elif conf is not None and conf[i] < CONF_MIN:
            out.append("unsure")
        else:
            out.append(None)
    return out


def doubt_message(image: np.ndarray, probs: np.ndarray | None = None) -> str | None:
    """A sentence for the person when one framed (28, 28) image does not look like a digit.

    ``probs`` is the network's (10,) answer for it. Returns None when it looks like one.
    """
    p = None if probs is None else np.asarray(probs, dtype=np.float64).reshape(1, -1)
    reason = doubt_reasons(np.asarray(image)[None], p)[0]
    return None if reason is None else REASONS[reason]
