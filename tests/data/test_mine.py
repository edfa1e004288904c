"""The person's own digits store (always in a temporary folder)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import DataError
from nnstudio.data.mine import UserDigits
from nnstudio.data.sources import load_source
from nnstudio.data.synthetic import synthetic_digits


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "user"))
    return tmp_path / "user"


def test_add_list_delete_persist(data_dir: Path) -> None:
    store = UserDigits()
    assert len(store) == 0 and store.path.parent == data_dir
    img = np.zeros((28, 28), np.float32)
    img[5:20, 13:15] = 1.0
    a = store.add(img, 1)
    b = store.add((img * 255).astype(np.uint8), 7)
    assert (a, b) == (1, 2)
    again = UserDigits()  # a fresh object reads the file
    assert [(d.id, d.label) for d in again.list()] == [(1, 1), (2, 7)]
    assert np.allclose(again.image(1), img)
    assert again.counts()[[1, 7]].tolist() == [1, 1]
    again.relabel(2, 4)
    again.delete(1)
    third = UserDigits()
    assert [(d.id, d.label) for d in third.list()] == [(2, 4)]
    assert third.add(img, 0) == 3  # ids are never reused
    ds = third.as_dataset()
    assert ds.n == 2 and ds.y.tolist() == [4, 0] and ds.sample_shape == (28, 28)
    merged = third.as_dataset(merge_with=synthetic_digits(20, cache=False))
    assert merged.n == 22
    assert load_source("mine").n == 2
    assert load_source("mine", size=16).sample_shape == (16, 16)
    assert load_source("mine+synthetic:30").n == 32
    third.clear()
    assert len(UserDigits()) == 0


def test_bad_inputs(data_dir: Path) -> None:
    store = UserDigits()
    with pytest.raises(DataError, match="28×28"):
        store.add(np.zeros((20, 20)), 3)
    for bad in (10, -1, "3", 2.5, True):
        with pytest.raises(DataError, match="0-9"):
            store.add(np.zeros((28, 28)), bad)
    with pytest.raises(KeyError):
        store.delete(99)
    with pytest.raises(KeyError):
        store.image(99)
    with pytest.raises(DataError, match="no digits of your own yet"):
        store.as_dataset()
    with pytest.raises(DataError, match="no digits of your own yet"):
        load_source("mine")


@pytest.mark.parametrize("damage", ["garbage", "truncated zip", "bad labels"])
def test_a_damaged_file_is_set_aside_untouched_and_reported(data_dir: Path, damage) -> None:
    store = UserDigits()
    for k in range(3):
        store.add(np.full((28, 28), 0.5, np.float32), k)
    path = data_dir / "my_digits.npz"
    good = path.read_bytes()
    if damage == "garbage":
        bad = b"garbage"
    elif damage == "truncated zip":
        bad = good[: len(good) // 2]  # a zip whose directory is gone: BadZipFile
    else:
        buf = io.BytesIO()
        with np.load(path) as f:
            np.savez(buf, images=f["images"], labels=np.array([1, 2, 99]), ids=f["ids"],
                     created=f["created"])
        bad = buf.getvalue()
    path.write_bytes(bad)
    store = UserDigits()
    assert store.set_aside is not None and store.set_aside.read_bytes() == bad
    assert str(store.set_aside) in store.problem and "damaged" in store.problem
    assert len(store) == 0 and not path.exists()
    with pytest.raises(DataError, match="moved to"):
        store.as_dataset()
    store.add(np.zeros((28, 28), np.float32), 4)  # a new collection; the old file stays
    assert len(UserDigits()) == 1 and store.set_aside.read_bytes() == bad
