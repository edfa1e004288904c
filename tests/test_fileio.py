"""Saving never leaves a half-written file behind."""

from __future__ import annotations

import pytest

from nnstudio.fileio import atomic_write


def test_writes_and_replaces(tmp_path) -> None:
    target = tmp_path / "a.bin"
    atomic_write(target, lambda fh: fh.write(b"first"))
    atomic_write(target, lambda fh: fh.write(b"second"))
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def broken(fh) -> None:
        fh.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_missing_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="folder does not exist"):
        atomic_write(tmp_path / "nope" / "a.bin", lambda fh: fh.write(b"x"))
