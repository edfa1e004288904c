"""Data source specs as typed on the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import DataError
from nnstudio.data.sources import SOURCES, load_source


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NNSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize(
    ("spec", "n", "shape", "task"),
    [
        ("synthetic:300", 300, (28, 28), "classification"),
        ("synthetic:300:seed=4", 300, (28, 28), "classification"),
        ("toy:spiral", 500, (2,), "classification"),
        ("toy:circle:n=100:noise=0.2:seed=1", 100, (2,), "classification"),
        ("toy:plane", 500, (2,), "regression"),
        ("cars", 3, (3,), "regression"),
        ("cars:50", 50, (3,), "regression"),
        ("cars:raw", 3, (3,), "regression"),
        ("cars:5:raw", 5, (3,), "regression"),
        ("perceptron", 4, (2,), "classification"),
        ("perceptron:separable", 100, (2,), "classification"),
        ("3v7:synthetic:500", 100, (28, 28), "classification"),
        ("synthetic:100+synthetic:50:seed=2", 150, (28, 28), "classification"),
    ],
)
def test_specs(spec: str, n: int, shape: tuple, task: str) -> None:
    ds = load_source(spec)
    assert (ds.n, ds.sample_shape, ds.task) == (n, shape, task)


def test_size_16() -> None:
    ds = load_source("synthetic:200", size=16)
    assert ds.sample_shape == (16, 16) and ds.x.dtype == np.float32
    assert load_source("toy:xor", size=16).sample_shape == (2,)  # not an image: unchanged
    assert load_source("3v7:synthetic:300", size=16).sample_shape == (16, 16)


def test_idx_spec(mnist_dir: Path) -> None:
    ds = load_source(f"idx:{mnist_dir}", size=16)
    assert ds.n == 5000 and ds.sample_shape == (16, 16)


def test_sources_list() -> None:
    specs = [s for s, _ in SOURCES]
    for needed in ("synthetic", "mnist", "mnist:test", "fashion-mnist", "toy:spiral", "cars",
                   "3v7", "mine", "perceptron"):
        assert needed in specs
    assert all(isinstance(d, str) and d for _, d in SOURCES)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no data source"),
        ("imagenet", "unknown data source 'imagenet'"),
        ("synthetic:many", "whole number"),
        ("synthetic:0", "at least 1"),
        ("synthetic:100:colour=red", "unknown option 'colour'"),
        ("synthetic:100:seed=x", "not a valid int"),
        ("toy", "needs a name"),
        ("toy:moons", "unknown toy set"),
        ("toy:xor:noise", "cannot understand 'noise'"),
        ("cars:1:2", "use cars, cars:N, cars:raw or cars:N:raw"),
        ("perceptron:nand", "perceptron:KIND"),
        ("mnist:validation", "mnist:train or mnist:test"),
        ("mine:x", "just 'mine'"),
        ("synthetic:10+", "A\\+B"),
        ("csv:/nonexistent/file.csv:label=y", "file not found"),
        ("idx:/nonexistent/folder", "folder not found"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_source(spec)


def test_bad_size() -> None:
    with pytest.raises(DataError, match="28 or 16"):
        load_source("synthetic:10", size=20)


@pytest.mark.parametrize("spec, title", [
    ("csv:/data/tables/bank_churn.csv:label=left", "bank_churn.csv (label left)"),
    ("csv:C:\\Users\\me\\houses.csv:label = sold:task=regression", "houses.csv (label sold)"),
    ("csv:plain.csv", "plain.csv"),
    ("idx:/data/mnist", "IDX folder mnist"),
    ("idx:/data/mnist/:test", "IDX folder mnist (test)"),
    ("synthetic:300", "synthetic:300"),
])
def test_source_titles_name_the_file_not_its_path(spec: str, title: str) -> None:
    from nnstudio.data.sources import source_title

    assert source_title(spec) == title


@pytest.mark.parametrize(("spec", "words"), [
    ("synthetic:5000000", ["5,000,000 digits", "1,000,000", "ask for fewer"]),
    ("toy:xor:n=1000000000", ["1,000,000,000 points", "ask for fewer"]),
    ("cars:1000000000", ["1,000,000,000 cars", "ask for fewer"]),
    ("3v7:" * 2000 + "synthetic:100", ["cannot take another 3v7"]),
    ("synthetic:", ["nothing follows"]),
    ("synthetic:200:seed=-1", ["seed=-1 must be a whole number from 0"]),
    ("+".join(["toy:xor"] * 40), ["40 sources merged", "limit 32"]),
])
def test_generated_sources_are_sized_before_they_are_made(spec, words):
    import time

    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        load_source(spec)
    assert time.perf_counter() - start < 2
    for w in words:
        assert w in str(info.value), str(info.value)


def test_a_generated_source_over_the_memory_limit_says_the_size_and_the_limit(monkeypatch):
    monkeypatch.setenv("NNSTUDIO_MEMORY_LIMIT_GB", "0.5")
    with pytest.raises(DataError, match=r"'synthetic:100000' \(100,000 digits\) needs 1\.5 GB, "
                                        r"limit 512\.0 MB: ask for fewer digits"):
        load_source("synthetic:100000")
    assert load_source("toy:xor:n=100000+toy:xor:n=1000").n == 101_000
