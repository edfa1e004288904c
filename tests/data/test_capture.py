"""Capture processes applied to digit images: what each does, and that inputs stay untouched."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.data import capture as cap


def bar(vertical: bool = True, width: int = 2) -> np.ndarray:
    """One (1, 28, 28) image: a bar 20 px long, ``width`` px wide, through the centre."""
    x = np.zeros((1, 28, 28), dtype=np.float32)
    lo = 14 - width // 2
    if vertical:
        x[0, 4:24, lo:lo + width] = 1.0
    else:
        x[0, lo:lo + width, 4:24] = 1.0
    return x


def ring() -> np.ndarray:
    yy, xx = np.mgrid[0:28, 0:28]
    d = np.hypot(yy - 13.5, xx - 13.5)
    return ((d > 6) & (d < 9)).astype(np.float32)[None]


def test_binarise_and_low_resolution() -> None:
    x = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(1, 28, 28)
    b = cap.binarise(x, 0.5)
    assert set(np.unique(b)) == {0.0, 1.0}
    assert b.mean() == pytest.approx(0.5, abs=0.01)
    low = cap.low_resolution(bar(), 16, 0.5, nearest=True)
    assert low.shape == (1, 28, 28) and low.dtype == np.float32
    assert set(np.unique(low)) <= {0.0, 1.0}
    grey = cap.low_resolution(bar(), 16)
    assert 0.0 < grey.max() <= 1.0
    assert np.abs(grey.sum() - bar().sum()) < 0.15 * bar().sum()  # ink is kept, blurred


def test_thicker_and_thinner_change_the_stroke_width() -> None:
    x = bar(width=4)
    assert cap.thicker(x).sum() > x.sum()
    assert cap.thicker(x, 2).sum() > cap.thicker(x).sum()
    thin = cap.thinner(x)
    assert 0 < (thin > 0.5).sum() < (x > 0.5).sum()
    assert cap.thinner(bar(width=1)).max() == pytest.approx(1.0)  # a thin stroke never vanishes


def test_affine_turns_a_vertical_bar_horizontal() -> None:
    turned = cap.affine(bar(), 90.0)
    rows = (turned[0] > 0.5).any(axis=1).sum()
    cols = (turned[0] > 0.5).any(axis=0).sum()
    assert cols >= 18 and rows <= 4
    sheared = cap.affine(bar(), 0.0, 0.5)
    ys, xs = np.nonzero(sheared[0] > 0.5)
    assert np.corrcoef(ys, xs)[0, 1] > 0.9  # x grows with y: the bar leans


def test_blobs_add_ink_and_breaks_remove_it() -> None:
    x = ring()
    rng = np.random.default_rng(0)
    blobbed = cap.ink_blobs(x, rng)
    assert blobbed.sum() > x.sum() and np.all(blobbed >= x)
    broken = cap.broken_strokes(x, rng)
    assert broken.sum() < x.sum() and np.all(broken <= x)


def test_recapture_is_seeded_framed_and_leaves_the_input_alone() -> None:
    x = np.concatenate([bar(), ring(), bar(False, 3)] * 4)
    before = x.copy()
    a = cap.recapture(x, np.random.default_rng(3))
    b = cap.recapture(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, before)
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert not np.allclose(a, x)
    for img in a:  # framed the MNIST way: centre of mass near (14, 14)
        yy, xx = np.mgrid[0:28, 0:28]
        total = img.sum()
        assert total > 0
        assert abs((img * yy).sum() / total - 14) < 1.5
        assert abs((img * xx).sum() / total - 14) < 1.5


def ink_box(img: np.ndarray) -> tuple[int, int]:
    """(height, width) of the pixels above 0.5."""
    ys, xs = np.nonzero(img > 0.5)
    return int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


def test_fill_box_stretches_a_narrow_digit_towards_a_square() -> None:
    x = np.concatenate([bar(width=2), bar(vertical=False, width=4), np.zeros((1, 28, 28),
                                                                          np.float32)])
    before = x.copy()
    full = cap.fill_box(x)
    assert np.array_equal(x, before)  # the input is left alone
    h, w = ink_box(full[0])
    assert h == 20 and w >= 18  # the 2-px 1 is now a bar as wide as it is tall
    h, w = ink_box(full[1])
    assert w == 20 and h >= 18
    assert not full[2].any()  # no ink: nothing to stretch
    half = cap.fill_box(x, np.array([0.5, 0.0, 1.0]))
    assert 8 <= ink_box(half[0])[1] <= 13  # half-way from 2 to 20 px
    assert np.allclose(half[1], x[1], atol=1e-6)  # fill 0: unchanged


def test_every_change_takes_no_images() -> None:
    none = np.zeros((0, 28, 28), np.float32)
    rng = np.random.default_rng(0)
    for out in (cap.thinner(none), cap.thicker(none), cap.fill_box(none),
                cap.binarise(none), cap.low_resolution(none), cap.affine(none, 5.0),
                cap.ink_blobs(none, rng), cap.broken_strokes(none, rng),
                cap.recapture(none, rng)):
        assert out.shape == (0, 28, 28)
