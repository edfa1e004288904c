"""Toy 2-D sets and the lessons' data."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.data.dataset import DataError, Dataset
from nnstudio.data.lessons import (
    EXAMPLE_CARS,
    PERCEPTRON_SETS,
    PixelSimilarity,
    Standardizer,
    car_prices,
    perceptron_set,
    three_vs_seven,
)
from nnstudio.data.synthetic import synthetic_digits
from nnstudio.data.toy import TOY_SETS, make_toy, make_toy_split


@pytest.mark.parametrize("name", list(TOY_SETS))
def test_toy_sets(name: str) -> None:
    ds = make_toy(name, n=200, noise=0.1, seed=3)
    assert ds.x.shape == (200, 2) and ds.x.dtype == np.float32
    assert ds.feature_names == ["x1", "x2"]
    if name == "plane":
        assert ds.task == "regression" and ds.y.shape == (200, 1)
    else:
        assert ds.task == "classification" and ds.classes == ["0", "1"]
        assert 60 <= ds.class_counts()[0] <= 140
    again = make_toy(name, n=200, noise=0.1, seed=3)
    assert np.array_equal(ds.x, again.x) and np.array_equal(ds.y, again.y)
    assert not np.array_equal(ds.x, make_toy(name, n=200, noise=0.1, seed=4).x)


def test_toy_shapes_are_what_they_say() -> None:
    circle = make_toy("circle", 400)
    r = np.hypot(circle.x[:, 0], circle.x[:, 1])
    assert r[circle.y == 0].max() < r[circle.y == 1].min()
    xor = make_toy("xor", 400)
    assert np.array_equal(xor.y, (xor.x[:, 0] * xor.x[:, 1] >= 0).astype(np.int64))
    plane = make_toy("plane", 100)
    assert np.allclose(plane.y[:, 0], plane.x.sum(1) / 10, atol=1e-5)
    clean, noisy = make_toy("spiral", 300), make_toy("spiral", 300, noise=0.5)
    assert np.abs(clean.x - noisy.x).max() > 0.1


def test_toy_split_and_bad_inputs() -> None:
    train, test = make_toy_split("gaussians", n=100, ratio=0.7)
    assert (train.n, test.n) == (70, 30)
    with pytest.raises(DataError, match="unknown toy set 'moons'"):
        make_toy("moons")
    with pytest.raises(DataError, match="noise"):
        make_toy("xor", noise=0.9)
    with pytest.raises(DataError, match="at least 2"):
        make_toy("xor", n=1)
    with pytest.raises(DataError, match="ratio"):
        make_toy_split("xor", ratio=1.0)


def test_example_cars_and_standardisation() -> None:
    ds = car_prices()
    assert ds.n == 3 and ds.task == "regression" and ds.y.shape == (3, 1)
    assert ds.feature_names == ["cost of production", "tariffs", "rating"]
    assert np.allclose(ds.x.mean(0), 0, atol=1e-6) and np.allclose(ds.x.std(0), 1, atol=1e-5)
    xs = Standardizer.from_dict(ds.meta["x_scaler"])
    ys = Standardizer.from_dict(ds.meta["y_scaler"])
    raw = xs.inverse(ds.x)
    assert np.allclose(raw[0], EXAMPLE_CARS["A"][0]) and np.allclose(raw[2], [33000, 1000, 3.9])
    assert np.allclose(ys.inverse(ds.y)[:, 0], [100000, 65000, 40000])
    assert "rating" in xs.describe()[2]
    raw_ds = car_prices(standardize=False)
    assert raw_ds.x[1].tolist() == [48000, 1500, 4.300000190734863]
    big = car_prices(200, seed=1)
    assert big.n == 200 and np.allclose(big.meta["raw_y"][:3], [100000, 65000, 40000])
    prices = np.asarray(big.meta["raw_y"])
    assert 15_000 < prices.min() and prices.max() < 150_000
    with pytest.raises(DataError, match="at least the 3"):
        car_prices(2)


@pytest.mark.parametrize("kind", list(PERCEPTRON_SETS))
def test_perceptron_sets(kind: str) -> None:
    ds = perceptron_set(kind)
    assert ds.sample_shape == (2,) and set(ds.y.tolist()) == {0, 1}
    # a least-squares line separates exactly the sets that are separable
    a = np.c_[ds.x, np.ones(ds.n)]
    best = 0.0
    for w in np.random.default_rng(0).normal(size=(4000, 3)):
        best = max(best, float(((a @ w > 0) == ds.y).mean()))
    assert (best == 1.0) == ds.meta["separable"]


def test_perceptron_bad_kind() -> None:
    with pytest.raises(DataError, match="unknown perceptron set"):
        perceptron_set("nand")


def test_three_vs_seven_and_pixel_similarity() -> None:
    digits = synthetic_digits(1000, seed=5, cache=False)
    ds = three_vs_seven(digits)
    assert ds.classes == ["3", "7"] and ds.n == 200 and set(ds.y.tolist()) == {0, 1}
    base = PixelSimilarity().fit(ds)
    assert base.means.shape == (2, 28, 28)
    test = three_vs_seven(synthetic_digits(500, seed=6, cache=False))
    assert base.evaluate(test.x, test.y)["accuracy"] > 0.8
    assert PixelSimilarity("l2").fit(ds).evaluate(test.x, test.y)["accuracy"] > 0.8
    with pytest.raises(DataError, match="no digit classes 3 and 7"):
        three_vs_seven(perceptron_set("and"))
    only3 = Dataset("x", np.zeros((2, 4)), [0, 0], "classification", ["3", "7"])
    with pytest.raises(DataError, match="no samples of class 7"):
        PixelSimilarity().fit(only3)
    with pytest.raises(RuntimeError):
        PixelSimilarity().predict(np.zeros((1, 4)))


def test_toy_features_are_columns_of_the_same_points() -> None:
    from nnstudio.data.toy import feature_columns, toy_points

    plain = make_toy("spiral", n=300, noise=0.2, seed=5)
    fed = make_toy("spiral", n=300, noise=0.2, seed=5,
                   features="x1,x2,x1sq,x2sq,x1x2,sin1,sin2")
    x1, x2 = plain.x[:, 0], plain.x[:, 1]
    assert fed.x.shape == (300, 7) and fed.x.dtype == np.float32
    assert fed.feature_names == ["x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"]
    expected = np.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)], 1)
    assert np.allclose(fed.x, expected, atol=1e-5)
    assert np.array_equal(fed.y, plain.y)
    # only sin x1 and x1·x2: the points come back from the meta, in the samples' order
    only = make_toy("spiral", n=300, noise=0.2, seed=5, features=["sin1", "x1x2"])
    assert only.x.shape == (300, 2) and only.meta["features"] == ["sin1", "x1x2"]
    assert np.array_equal(toy_points(only), plain.x)
    assert np.allclose(feature_columns(toy_points(only), ["sin1", "x1x2"]), only.x)
    assert toy_points(only.subset(slice(0, 10))) is None   # not the whole set any more


def test_toy_test_share_and_bounds() -> None:
    from nnstudio.data.toy import MAX_POINTS, toy_spec

    ds = make_toy("circle", n=100, test=0.3)
    assert ds.meta["test"] == 0.3 and "test" not in make_toy("circle", n=100).meta
    for bad in (0.0, 0.95, float("nan")):
        with pytest.raises(DataError, match="test share"):
            make_toy("circle", test=bad)
    with pytest.raises(DataError, match="at most"):
        make_toy("circle", n=MAX_POINTS + 1)
    with pytest.raises(DataError, match="unknown feature 'cos1'"):
        make_toy("circle", features="x1,cos1")
    with pytest.raises(DataError, match="twice"):
        make_toy("circle", features="x1,x1")
    with pytest.raises(DataError, match="at least one feature"):
        make_toy("circle", features="")
    assert toy_spec("spiral") == "toy:spiral"
    assert toy_spec("spiral", noise=0.2, test=0.3, features=("x1", "x2", "x1x2", "sin1")) \
        == "toy:spiral:noise=0.2:test=0.3:features=x1,x2,x1x2,sin1"


def test_toy_spec_keys_reach_the_data() -> None:
    from nnstudio.data.sources import load_source

    ds = load_source("toy:spiral:noise=0.2:test=0.3:features=x1,x2,x1x2,sin1")
    assert ds.x.shape == (500, 4) and ds.meta["test"] == 0.3 and ds.meta["noise"] == 0.2
    same = make_toy("spiral", noise=0.2, test=0.3, features=("x1", "x2", "x1x2", "sin1"))
    assert np.array_equal(ds.x, same.x)
    for spec, what in (("toy:spiral:test=2", "test share"), ("toy:spiral:noise=3", "noise"),
                       ("toy:spiral:n=99999999", "more than the 1,000,000"),
                       ("toy:spiral:features=x9", "unknown feature")):
        with pytest.raises(DataError, match=what):
            load_source(spec)
