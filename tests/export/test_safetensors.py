"""The safetensors files the PyTorch export writes with NumPy alone."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from nnstudio.export.safetensors_io import read_safetensors, write_safetensors


def test_layout_is_the_safetensors_format(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.5, -2.0], np.float32)
    path = write_safetensors(tmp_path / "m.safetensors", {"fc.weight": w, "fc.bias": b},
                             {"format": "pt"})
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "pt"}
    assert header["fc.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["fc.bias"] == {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}
    body = raw[8 + n:]
    assert len(body) == 32
    np.testing.assert_array_equal(np.frombuffer(body[:24], "<f4").reshape(2, 3), w)
    tensors, meta = read_safetensors(path)
    np.testing.assert_array_equal(tensors["fc.bias"], b)
    assert meta == {"format": "pt"}


def test_damaged_files_are_refused(tmp_path):
    path = write_safetensors(tmp_path / "m.safetensors", {"a": np.ones(4, np.float32)})
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-3])
    with pytest.raises(ValueError, match="damaged"):
        read_safetensors(tmp_path / "cut.safetensors")
    (tmp_path / "short.safetensors").write_bytes(b"\x01")
    with pytest.raises(ValueError, match="not a safetensors file"):
        read_safetensors(tmp_path / "short.safetensors")


def test_the_safetensors_package_reads_and_writes_the_same(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(0)
    tensors = {"conv.weight": rng.random((4, 1, 3, 3), dtype=np.float32),
               "conv.bias": rng.random(4, dtype=np.float32)}
    write_safetensors(tmp_path / "mine.safetensors", tensors)
    theirs = st.load_file(str(tmp_path / "mine.safetensors"))
    st.save_file(tensors, str(tmp_path / "theirs.safetensors"))
    mine, _ = read_safetensors(tmp_path / "theirs.safetensors")
    for k, v in tensors.items():
        np.testing.assert_array_equal(theirs[k], v)
        np.testing.assert_array_equal(mine[k], v)
