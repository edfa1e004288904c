"""Does a drawing look like a digit at all? A measured signal, before trusting the answer.

A digit network always names a digit, even for a dot, a dash or a scribble. This module
measures plain properties of the MNIST-framed image (see
:func:`nnstudio.data.preprocess.to_mnist`) and of its strokes
(:mod:`nnstudio.data.stroke_shape`), and says when they are unlike handwritten digits. The
reasons, checked in this order:

- **blob**: the ink is as thick as a good part of its own size, or it fills most of its
  roughly square box (a dot or a filled patch; digit strokes leave room between them);
- **line**: the ink lies along one straight, near-horizontal line (a dash; a near-vertical
  line is a 1);
- **marks**: three or more pieces of ink stay apart even when each grows by 2 pixels
  (:data:`MARKS_MIN`; a broken digit's pieces nearly touch);
- **scribble** (a scribble, a picture or a sign: an X, a star, a face, an arrow, a letter):
  the strokes enclose more holes than a digit can (an 8 has two; one-pixel pinholes that a
  thick pen or a re-capture leaves in the ink count only beyond that), or there is more ink
  than any digit carries, or the scribble scorer says so: two small networks (48 tanh units
  each; one trained on every kind of not-digit, one on dots, bars and scribbles alone,
  :data:`NETWORKS`), either above its own threshold, on :data:`FEATURES` (ink, box, stroke
  width, holes, skeleton length, ends, junctions and sharp turns, how many times scan lines
  in four directions cross the strokes, the outline, skeleton ends in the corners of the
  box, ink inside the holes of other ink, how well the drawing matches itself mirrored,
  which way its edges run), whose numbers live in ``nnstudio/resources/not_a_digit.npz``
  (:func:`scorer_flags`). It needs no network: it works the same for any model, and when the
  file is missing the other checks still run;
- **unsure**: the network's top answer is weak (its probability below :data:`CONF_MIN`).

Every threshold was set on calibration data only: the real MNIST training digits (index
2,500 on, never the held-out first 2,500), those digits re-captured, synthetic digits, digits
drawn on the canvas with other seeds than the measured ones, and not-digits drawn with
another seed (``bench/calibrate_not_a_digit.py`` trains the scorer on half of the digits and
sets its threshold on the other half). ``bench/bench_not_a_digit.py`` measures the false
alarms on held-out real digits, re-captured ones and drawn ones (crossed and slashed styles
among them), the detection rate on dots, bars, eight kinds of scribble and fourteen kinds of
picture, sign and letter, and the cost per drawing; ``calibrate_not_a_digit.py
--leave-one-kind-out`` how much of each kind is found when its family of kinds was left out
of calibration. Pure NumPy, no Qt.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .stroke_shape import euler_number, padded, scan_crossings, solid_euler_number, stroke_measures

#: ink threshold for the shape measures (grey level of the framed image)
INK_LEVEL = 0.35
#: a blob: the widest ink at least this thick (radius over the box side), or a box this full,
#: this thick and no taller than this
BLOB_THICKNESS, BLOB_FILL, BLOB_MIN_THICKNESS, BLOB_ASPECT = 0.33, 0.7, 0.2, 1.8
#: a line: second moments this elongated, the long axis within this angle of horizontal
LINE_ELONGATION, LINE_ANGLE = 0.15, 40.0
#: a scribble: at most this Euler number (one piece with three holes) not counting one-pixel
#: pinholes in the ink, or at most :data:`PINHOLE_EULER` counting them, or this much ink
SCRIBBLE_EULER, INK_MAX = -3, 0.36
#: the Euler number that flags a scribble even when some of its holes are pinholes (a real 8
#: with a pinhole in a thick stroke has -2 - 1 = -3; a tangle's many small holes go far lower)
PINHOLE_EULER = -4
#: several marks: at least this many pieces of ink that stay apart when each grows 2 px
MARKS_MIN = 3
CONF_MIN = 0.45
#: the stroke-complexity scorer (see :func:`scribble_scores`), made by
#: ``bench/calibrate_not_a_digit.py``
SCORER_PATH = Path(__file__).resolve().parents[1] / "resources" / "not_a_digit.npz"

REASONS = {
    "blob": "This does not look like a digit: it is a blob of ink, not strokes.",
    "line": "This does not look like a digit: it is a single line.",
    "marks": "This does not look like a digit: it is several separate marks.",
    "scribble": "This does not look like a digit: it is more like a scribble or a picture.",
    "unsure": "This does not look much like any digit: the network is unsure.",
}

#: the measures :func:`doubt_features` stacks, in order
FEATURES = ("ink", "fill", "log_aspect", "elongation", "thickness", "euler", "log_width",
            "length", "ends", "junctions", "crossings", "busy_lines", "pieces_far",
            "ink_crossings", "ink_busy_lines", "perimeter", "ink_lines_3", "sharp_turns",
            "corner_ends", "inner_ink", "mirror_lr", "mirror_ud", "turned",
            "edges_0", "edges_45", "edges_90", "edges_135")


def inscribed_radius(mask: np.ndarray) -> np.ndarray:
    """How many 3×3 erosions each binary image (N, H, W) survives: about the radius, in
    pixels, of the largest square of ink (half the widest stroke). int64 (N,)."""
    m = np.asarray(mask, dtype=bool)
    depth = np.zeros(len(m), dtype=np.int64)
    while m.any():
        depth += m.any(axis=(1, 2))
        p = padded(m)
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
    x = _as_batch(images)
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


def _as_batch(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"The not-a-digit check takes MNIST-framed images shaped (N, 28, 28) "
                         f"or (28, 28), but received an array of shape {x.shape}; frame the "
                         "drawing first with nnstudio.data.preprocess.to_mnist.")
    return x


def mirror_overlap(images: np.ndarray) -> np.ndarray:
    """How well each image matches itself mirrored left-right, upside down and turned half
    round, each about the middle of its ink's box: the share of the grey level that a
    copy so moved (each pixel widened to its 3×3 neighbours, for a trembling hand) covers.
    float64 (N, 3) in [0, 1]; an X, a plus, a star or a face are high on the first two, most
    digits (not a 0, an 8 or a 1) low on at least one."""
    x = _as_batch(images)
    n, h, w = x.shape
    mask = x > INK_LEVEL
    total = np.maximum(x.sum(axis=(1, 2)), 1e-9)
    out = np.zeros((n, 3))

    def middle2(any_: np.ndarray) -> np.ndarray:  # first + last index of the ink
        size = any_.shape[1]
        first = np.argmax(any_, axis=1)
        last = size - 1 - np.argmax(any_[:, ::-1], axis=1)
        return np.where(any_.any(axis=1), first + last, size - 1)

    sy, sx = middle2(mask.any(axis=2)), middle2(mask.any(axis=1))
    src_y = sy[:, None] - np.arange(h)[None]  # (N, H) source row of each mirrored row
    src_x = sx[:, None] - np.arange(w)[None]
    wide = padded(x, 0.0, np.float64)
    wide = np.maximum.reduce([wide[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
                              for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    ok_y = ((src_y >= 0) & (src_y < h))[:, :, None]
    ok_x = ((src_x >= 0) & (src_x < w))[:, None, :]
    iy = np.clip(src_y, 0, h - 1)[:, :, None]
    ix = np.clip(src_x, 0, w - 1)[:, None, :]
    lr = np.where(ok_x, np.take_along_axis(wide, np.broadcast_to(ix, (n, h, w)), axis=2), 0.0)
    ud = np.where(ok_y, np.take_along_axis(wide, np.broadcast_to(iy, (n, h, w)), axis=1), 0.0)
    turned = np.where(ok_y, np.take_along_axis(lr, np.broadcast_to(iy, (n, h, w)), axis=1), 0.0)
    for k, moved in enumerate((lr, ud, turned)):
        out[:, k] = np.minimum(x, moved).sum(axis=(1, 2)) / total
    return out


def edge_directions(images: np.ndarray) -> np.ndarray:
    """Which way the ink's edges run: the grey level's gradient, weighted by its strength,
    shared among four directions (0, 45, 90 and 135 degrees, each ±22.5). float64 (N, 4),
    rows sum to 1 (0 without ink). An X's edges run along both diagonals alike, a plus's
    along the axes; a digit's curves spread over all four or lean one way."""
    x = _as_batch(images)
    gy = np.zeros_like(x)
    gx = np.zeros_like(x)
    gy[:, 1:-1] = (x[:, 2:] - x[:, :-2]) / 2
    gx[:, :, 1:-1] = (x[:, :, 2:] - x[:, :, :-2]) / 2
    mag = np.hypot(gx, gy)
    # the edge runs across the gradient; fold to 0..180 and split into four bins
    angle = (np.degrees(np.arctan2(gy, gx)) + 90.0) % 180.0
    bins = np.floor(((angle + 22.5) % 180.0) / 45.0).astype(np.int64)
    out = np.stack([(mag * (bins == k)).sum(axis=(1, 2)) for k in range(4)], axis=1)
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-9)


def doubt_features(images: np.ndarray, shape: dict[str, np.ndarray] | None = None,
                   strokes: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The measures the scribble scorer reads, one row per image: float64 (N, len(FEATURES)).

    ``shape`` and ``strokes`` are :func:`shape_features` and
    :func:`~nnstudio.data.stroke_shape.stroke_measures` of the same images when already at
    hand. ``euler`` here ignores one-pixel pinholes in the ink; ``ink_*`` are the scan-line
    crossings of the ink itself (not its skeleton); ``perimeter`` is the ink's outline over
    the square root of its area.
    """
    x = _as_batch(images)
    mask = x > INK_LEVEL
    f = shape_features(x) if shape is None else shape
    s = stroke_measures(mask) if strokes is None else strokes
    cross = scan_crossings(mask)
    m = mask.astype(np.int8)
    outline = (np.abs(np.diff(m, axis=2, prepend=0, append=0)).sum(axis=(1, 2))
               + np.abs(np.diff(m, axis=1, prepend=0, append=0)).sum(axis=(1, 2)))
    cols = [f["ink"], f["fill"], np.log(f["aspect"] + 1e-3), f["elongation"], f["thickness"],
            np.clip(solid_euler_number(mask), -8, 4), np.log(s["width"] + 1e-3),
            s["length"], s["ends"], s["junctions"], s["crossings"], s["busy_lines"],
            s["pieces_far"], cross.max(axis=(1, 2)), (cross >= 4).sum(axis=2).max(axis=1),
            outline / np.sqrt(m.sum(axis=(1, 2)) + 1.0), (cross >= 3).sum(axis=2).max(axis=1),
            s["sharp_turns"], s["corner_ends"], s["inner_ink"], *mirror_overlap(x).T,
            *edge_directions(x).T]
    return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


#: the numbers of one scorer network, each stored under its network's prefix
SCORER_KEYS = ("mean", "scale", "w1", "b1", "w2", "b2", "threshold")
#: the prefixes of the networks a scorer file may hold: the first (no prefix) is trained on
#: every kind of not-digit, the second (``scribbles_``, optional) on dots, bars and
#: scribbles alone, so that the pictures do not dilute what it knows of scribbles
NETWORKS = ("", "scribbles_")


@lru_cache(maxsize=4)
def load_scorer(path: Path = SCORER_PATH) -> dict[str, np.ndarray] | None:
    """The scribble scorer's numbers from ``path``: ``mean``, ``scale``, ``w1``, ``b1``,
    ``w2``, ``b2``, ``threshold`` of the first network, and the same with the prefix
    ``scribbles_`` for the second when the file has one (:data:`NETWORKS`). None when the
    file is missing or does not fit :data:`FEATURES` (the other checks still run)."""
    try:
        with np.load(path) as z:
            scorer = {p + k: np.asarray(z[p + k], dtype=np.float64)
                      for p in NETWORKS for k in SCORER_KEYS if p == "" or p + "mean" in z}
    except (OSError, KeyError, ValueError):
        return None
    n = len(FEATURES)
    for p in NETWORKS:
        if p + "mean" not in scorer:
            continue
        w1 = scorer[p + "w1"]
        if (scorer[p + "mean"].shape != (n,) or scorer[p + "scale"].shape != (n,)
                or w1.ndim != 2 or w1.shape[0] != n
                or scorer[p + "b1"].shape != (w1.shape[1],)
                or scorer[p + "w2"].shape != (w1.shape[1],)):
            return None
    return scorer


def scribble_scores(features: np.ndarray, scorer: dict[str, np.ndarray] | None = None,
                    network: str = "") -> np.ndarray | None:
    """How much each row of :func:`doubt_features` (N, F) looks like a scribble rather than
    a digit to one of the scorer's networks (``network``, a prefix of :data:`NETWORKS`):
    the log-odds given by a small network (one layer of tanh units) on the standardised
    measures (N,); above ``scorer[network + "threshold"]`` means a scribble. None without a
    scorer."""
    scorer = load_scorer() if scorer is None else scorer
    if scorer is None:
        return None
    p = network
    z = (np.asarray(features, dtype=np.float64) - scorer[p + "mean"]) / scorer[p + "scale"]
    return (np.tanh(z @ scorer[p + "w1"] + scorer[p + "b1"]) @ scorer[p + "w2"]
            + float(scorer[p + "b2"]))


def scorer_flags(features: np.ndarray, scorer: dict[str, np.ndarray] | None = None
                 ) -> np.ndarray | None:
    """Which rows of :func:`doubt_features` (N, F) the scorer calls a scribble or a picture:
    any of its networks above its own threshold. bool (N,); None without a scorer."""
    scorer = load_scorer() if scorer is None else scorer
    if scorer is None:
        return None
    out = np.zeros(len(features), dtype=bool)
    for p in NETWORKS:
        if p + "mean" in scorer:
            out |= scribble_scores(features, scorer, p) > float(scorer[p + "threshold"])
    return out


def doubt_reasons(images: np.ndarray, probs: np.ndarray | None = None,
                  scorer: dict[str, np.ndarray] | None = None) -> list[str | None]:
    """Why each framed image does not look like a digit: a key of :data:`REASONS` or None.

    Parameters
    ----------
    images : np.ndarray
        (N, 28, 28) MNIST-framed images in [0, 1] (or one (28, 28) image).
    probs : np.ndarray or None
        (N, k) the network's class probabilities; None leaves out the ``unsure`` check.
    scorer : dict or None
        The scribble scorer to use (:func:`load_scorer`'s form); None reads the shipped one.

    Returns
    -------
    list of str or None
        One entry per image; None where it looks like a digit (or has no ink at all).

    Raises
    ------
    ValueError
        When the images are not (N, 28, 28) or ``probs`` has another number of rows.
    """
    x = _as_batch(images)
    conf = None
    if probs is not None:
        p = np.asarray(probs, dtype=np.float64)
        if p.ndim != 2 or len(p) != len(x):
            raise ValueError(f"probs must be shaped (N, classes) with one row per image "
                             f"({len(x)}), but has shape {p.shape}.")
        conf = p.max(axis=1)
    f = shape_features(x)
    s = stroke_measures(x > INK_LEVEL)
    solid = solid_euler_number(x > INK_LEVEL)
    scorer = load_scorer() if scorer is None else scorer
    scored = scorer_flags(doubt_features(x, f, s), scorer)
    out: list[str | None] = []
    for i in range(len(x)):
        if f["ink"][i] <= 0:
            out.append(None)
        elif f["thickness"][i] > BLOB_THICKNESS or (
                f["fill"][i] > BLOB_FILL and f["thickness"][i] > BLOB_MIN_THICKNESS
                and f["aspect"][i] < BLOB_ASPECT):
            out.append("blob")
        elif f["elongation"][i] < LINE_ELONGATION and f["angle"][i] < LINE_ANGLE:
            out.append("line")
        elif s["pieces_far"][i] >= MARKS_MIN:
            out.append("marks")
        elif (solid[i] <= SCRIBBLE_EULER or f["euler"][i] <= PINHOLE_EULER
              or f["ink"][i] > INK_MAX
              or (scored is not None and scored[i])):
            out.append("scribble")
        elif conf is not None and conf[i] < CONF_MIN:
            out.append("unsure")
        else:
            out.append(None)
    return out


def doubt_message(image: np.ndarray, probs: np.ndarray | None = None) -> str | None:
    """A sentence for the person when one framed (28, 28) image does not look like a digit.

    ``probs`` is the network's (k,) answer for it. Returns None when it looks like one.
    """
    x = np.asarray(image)
    if x.shape != (28, 28):
        raise ValueError(f"doubt_message takes one MNIST-framed (28, 28) image, but received "
                         f"an array of shape {x.shape}.")
    p = None if probs is None else np.asarray(probs, dtype=np.float64).reshape(1, -1)
    reason = doubt_reasons(x[None], p)[0]
    return None if reason is None else REASONS[reason]
