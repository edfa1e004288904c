"""The not-a-digit signal: shape measures, and what it flags on dots, bars, scribbles and
real digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnstudio.data.digit_check import (
    REASONS,
    doubt_message,
    doubt_reasons,
    euler_number,
    inscribed_radius,
    shape_features,
)
from nnstudio.data.preprocess import to_mnist

YY, XX = np.mgrid[0:28, 0:28]


def disk(r: float, cy: float = 13.5, cx: float = 13.5) -> np.ndarray:
    return (np.hypot(YY - cy, XX - cx) <= r).astype(np.float32)


def ring(r: float, cy: float = 13.5, cx: float = 13.5) -> np.ndarray:
    d = np.hypot(YY - cy, XX - cx)
    return ((d > r - 1.5) & (d < r + 1.5)).astype(np.float32)


def test_euler_number_counts_pieces_minus_holes() -> None:
    eight = np.maximum(ring(5, 7.5), ring(6, 19.5))
    shapes = np.stack([disk(5), ring(8), eight, np.maximum(disk(2, 5, 5), disk(2, 20, 20))])
    np.testing.assert_array_equal(euler_number(shapes > 0.5), [1, 0, -1, 2])


def test_inscribed_radius_is_half_the_widest_stroke() -> None:
    square = np.zeros((1, 28, 28), bool)
    square[0, 4:13, 4:13] = True  # 9 px wide: survives 5 erosions
    line = np.zeros((1, 28, 28), bool)
    line[0, 4:24, 13:15] = True
    assert inscribed_radius(square)[0] == 5
    assert inscribed_radius(line)[0] == 1


def test_shape_features_of_a_bar_and_a_disk() -> None:
    bar = np.zeros((28, 28), np.float32)
    bar[13:15, 4:24] = 1.0
    f = shape_features(np.stack([bar, disk(9)]))
    assert f["elongation"][0] < 0.05 and f["angle"][0] < 5
    assert f["elongation"][1] > 0.9 and f["fill"][1] > 0.7
    assert f["aspect"][0] < 0.2 and abs(f["aspect"][1] - 1) < 0.1


def test_dots_bars_and_scribbles_are_flagged_with_a_sentence() -> None:
    rng = np.random.default_rng(0)
    dot = to_mnist(disk(3))
    bar = np.zeros((28, 28), np.float32)
    bar[12:15, 2:26] = 1.0
    scribble = np.zeros((28, 28), np.float32)
    for _ in range(24):  # random criss-cross lines over one patch: many small holes
        (y0, x0), (y1, x1) = rng.uniform(6, 22, size=(2, 2))
        for t in np.linspace(0, 1, 60):
            scribble[int(y0 + t * (y1 - y0)), int(x0 + t * (x1 - x0))] = 1.0
    reasons = doubt_reasons(np.stack([dot, to_mnist(bar), to_mnist(scribble)]))
    assert reasons == ["blob", "line", "scribble"]
    assert doubt_message(dot) == REASONS["blob"]
    assert "does not look like a digit" in doubt_message(dot)
    # an unsure network answer is a doubt too; a sure one on a digit-like shape is not
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:15] = 1.0
    flat = np.full(10, 0.1)
    sure = np.eye(10)[1]
    assert doubt_reasons(np.stack([one, one]), np.stack([flat, sure])) == ["unsure", None]
    assert doubt_message(np.zeros((28, 28))) is None  # nothing drawn: nothing to doubt


def test_real_digits_are_rarely_flagged(mnist_dir: Path) -> None:
    from nnstudio.data.idx import load_idx_dir

    x = load_idx_dir(mnist_dir).x[:2500]
    flagged = sum(r is not None for r in doubt_reasons(x))  # shape checks only
    assert flagged / len(x) < 0.01
