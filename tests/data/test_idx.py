"""IDX reading: real files, round trips and every kind of bad file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import DataError
from nnstudio.data.idx import load_idx_dir, load_idx_pair, parse_idx, read_idx, write_idx
from nnstudio.data.sources import load_source


def _pair(folder: Path, n_img: int = 5, n_lab: int = 5, gz: bool = True, prefix: str = "train"):
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    img = folder / f"{prefix}-images-idx3-ubyte{ext}"
    lab = folder / f"{prefix}-labels-idx1-ubyte{ext}"
    write_idx(img, rng.integers(0, 256, size=(n_img, 28, 28), dtype=np.uint8))
    write_idx(lab, rng.integers(0, 10, size=n_lab, dtype=np.uint8))
    return img, lab


def test_real_mnist_digits(mnist_dir: Path) -> None:
    ds = load_idx_dir(mnist_dir)
    assert ds.n == 5000 and ds.sample_shape == (28, 28)
    assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert ds.classes == [str(i) for i in range(10)]
    assert ds.class_counts().tolist() == [460, 571, 530, 500, 500, 456, 462, 512, 489, 520]
    same = load_source(f"idx:{mnist_dir}")
    assert np.array_equal(same.y, ds.y)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
)
def test_round_trip(tmp_path: Path, gz: bool, dtype) -> None:
    a = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and np.array_equal(a, b)


def test_raw_and_gz_folders(tmp_path: Path) -> None:
    _pair(tmp_path, gz=False)
    ds = load_idx_dir(tmp_path)
    assert ds.n == 5 and ds.x.max() <= 1.0


def test_train_and_test_pairs(tmp_path: Path) -> None:
    _pair(tmp_path, n_img=4, n_lab=4, prefix="train")
    _pair(tmp_path, n_img=3, n_lab=3, prefix="t10k")
    assert load_idx_dir(tmp_path).n == 4
    assert load_idx_dir(tmp_path, split="test").n == 3
    assert load_source(f"idx:{tmp_path}:test").n == 3


def test_truncated_file(tmp_path: Path) -> None:
    img, _ = _pair(tmp_path, gz=False)
    img.write_bytes(img.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated") as err:
        load_idx_dir(tmp_path)
    assert img.name in str(err.value)


def test_truncated_gzip(tmp_path: Path) -> None:
    img, _ = _pair(tmp_path)
    img.write_bytes(img.read_bytes()[:-50])
    with pytest.raises(DataError, match="truncated or damaged") as err:
        load_idx_dir(tmp_path)
    assert img.name in str(err.value)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "x-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataError, match="header"):
        read_idx(path)


def test_too_long_file(tmp_path: Path) -> None:
    img, _ = _pair(tmp_path, gz=False)
    img.write_bytes(img.read_bytes() + b"extra")
    with pytest.raises(DataError, match="more than its header"):
        read_idx(img)


def test_mismatched_counts(tmp_path: Path) -> None:
    img, lab = _pair(tmp_path, n_img=5, n_lab=4)
    with pytest.raises(DataError, match="5 images but .* 4 labels") as err:
        load_idx_dir(tmp_path)
    assert img.name in str(err.value) and lab.name in str(err.value)


def test_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "page-images-idx3-ubyte"
    path.write_bytes(b"<html><body>Not found</body></html>")
    with pytest.raises(DataError, match="not an IDX file") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_foreign_file_named_gz(tmp_path: Path) -> None:
    path = tmp_path / "page-images-idx3-ubyte.gz"
    path.write_bytes(b"<html>404</html>")
    with pytest.raises(DataError, match="not gzip"):
        read_idx(path)


def test_gzip_of_foreign_content(tmp_path: Path) -> None:
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(b"hello world, not idx"))
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def test_bad_dtype_code_and_dims() -> None:
    with pytest.raises(DataError, match="data type code 0x07"):
        parse_idx(bytes([0, 0, 7, 1, 0, 0, 0, 1, 5]))
    with pytest.raises(DataError, match="0 dimensions"):
        parse_idx(bytes([0, 0, 8, 0]))
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"\x00")
    with pytest.raises(DataError, match="negative"):
        parse_idx(bytes([0, 0, 8, 1, 255, 255, 255, 255]))


def test_swapped_images_and_labels(tmp_path: Path) -> None:
    img, lab = _pair(tmp_path)
    with pytest.raises(DataError, match="is this a labels file"):
        load_idx_pair(lab, img)


def test_missing_things(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folder not found"):
        load_idx_dir(tmp_path / "nope")
    with pytest.raises(DataError, match="no IDX image/label pair"):
        load_idx_dir(tmp_path)
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(DataError, match="is a folder"):
        read_idx(tmp_path)
    with pytest.raises(DataError, match="needs a folder"):
        load_source("idx:")


# ---------------------------------------------------------------------- hostile files
def test_a_gzip_bomb_is_refused_before_it_unpacks(tmp_path: Path, monkeypatch) -> None:
    n = 80_000  # 80,000 blank 28×28 images: 63 MB unpacked, about 60 KB packed
    header = bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">i4").tobytes()
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    bomb.write_bytes(gzip.compress(header + bytes(n * 784), mtime=0))
    assert bomb.stat().st_size < 200_000
    monkeypatch.setenv("NNSTUDIO_MEMORY_LIMIT_GB", "0.03")
    with pytest.raises(DataError, match=r"train-images.*unpacked needs 59\.\d MB, limit 30\.7 MB"):
        read_idx(bomb)
    monkeypatch.delenv("NNSTUDIO_MEMORY_LIMIT_GB")
    assert read_idx(bomb).shape == (n, 28, 28)


def test_gzip_is_never_unpacked_beyond_what_the_header_announces(tmp_path: Path) -> None:
    header = bytes([0, 0, 8, 1]) + np.array([4], ">i4").tobytes()
    extra = tmp_path / "x-labels-idx1-ubyte.gz"
    extra.write_bytes(gzip.compress(header + bytes([1, 2, 3, 4]) + bytes(50_000_000), mtime=0))
    with pytest.raises(DataError, match="bytes more than its header announces"):
        read_idx(extra)
    members = tmp_path / "y-labels-idx1-ubyte.gz"  # two gzip members, like `cat a.gz b.gz`
    members.write_bytes(gzip.compress(header + b"\x01\x02", mtime=0)
                        + gzip.compress(b"\x03\x04", mtime=0))
    assert read_idx(members).tolist() == [1, 2, 3, 4]


def test_a_labels_file_claiming_two_billion_classes(tmp_path: Path) -> None:
    img = tmp_path / "t-images-idx3-ubyte"
    lab = tmp_path / "t-labels-idx1-ubyte"
    write_idx(img, np.zeros((3, 28, 28), np.uint8))
    write_idx(lab, np.array([0, 1, 2**31 - 1], np.int32))
    with pytest.raises(DataError, match=r"t-labels-idx1-ubyte.*2,147,483,648 classes.*10,000"):
        load_idx_pair(img, lab)


def test_a_pipe_named_like_an_idx_file_does_not_block(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "train-images-idx3-ubyte"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_idx(fifo)


def test_headers_that_overflow_name_the_file() -> None:
    dims = np.array([2**31 - 1] * 4, ">i4").tobytes()
    with pytest.raises(DataError, match="big.idx: the IDX header declares an implausible"):
        parse_idx(bytes([0, 0, 8, 4]) + dims, name="big.idx")
    huge = bytes([0, 0, 8, 255]) + np.full(255, 2, ">i4").tobytes()
    with pytest.raises(DataError, match="wide.idx"):
        parse_idx(huge, name="wide.idx")
