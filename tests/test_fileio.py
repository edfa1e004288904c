"""Saving never leaves a half-written file behind."""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.fileio import atomic_write, leftovers, temp_name


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


# ---------------------------------------------------------------------- the file's reality
def test_a_symlink_stays_a_link_and_its_target_is_updated(tmp_path) -> None:
    real = tmp_path / "store" / "model.bin"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "model.bin"
    link.symlink_to(Path("store") / "model.bin")
    atomic_write(link, lambda fh: fh.write(b"new"))
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["model.bin"]


def test_a_dangling_symlink_creates_its_target(tmp_path) -> None:
    link = tmp_path / "design.json"
    link.symlink_to(tmp_path / "real.json")
    atomic_write(link, lambda fh: fh.write(b"{}"))
    assert link.is_symlink() and (tmp_path / "real.json").read_bytes() == b"{}"


def test_a_write_protected_file_is_refused_unless_forced(tmp_path) -> None:
    target = tmp_path / "keep.bin"
    target.write_bytes(b"precious")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="write-protected") as info:
        atomic_write(target, lambda fh: fh.write(b"other"))
    assert info.value.filename == str(target)
    assert target.read_bytes() == b"precious"
    atomic_write(target, lambda fh: fh.write(b"other"), force=True)
    assert target.read_bytes() == b"other"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_permissions_are_kept_and_new_files_follow_the_umask(tmp_path) -> None:
    target = tmp_path / "shared.bin"
    target.write_bytes(b"a")
    target.chmod(0o640)
    atomic_write(target, lambda fh: fh.write(b"b"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.bin", lambda fh: fh.write(b"c"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o640


def test_hard_links_are_kept(tmp_path) -> None:
    first = tmp_path / "a.npz"
    first.write_bytes(b"old content that is longer")
    second = tmp_path / "b.npz"
    os.link(first, second)
    atomic_write(first, lambda fh: fh.write(b"new"))
    assert second.read_bytes() == b"new" and first.read_bytes() == b"new"
    assert first.stat().st_nlink == 2 and first.stat().st_ino == second.stat().st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]


def test_a_failing_hard_linked_save_keeps_the_old_content(tmp_path) -> None:
    first = tmp_path / "a.npz"
    first.write_bytes(b"old")
    os.link(first, tmp_path / "b.npz")

    def broken(fh) -> None:
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", fh.name)

    with pytest.raises(OSError, match="No space") as info:
        atomic_write(first, broken)
    assert info.value.filename == str(first)
    assert (tmp_path / "b.npz").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]


def test_errors_name_the_real_file_not_the_temporary_one(tmp_path) -> None:
    target = tmp_path / "model.npz"

    def full(fh) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", fh.name)

    with pytest.raises(OSError) as info:
        atomic_write(target, full)
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_pipe_or_folder_at_the_destination_is_refused_without_blocking(tmp_path) -> None:
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write(fifo, lambda fh: fh.write(b"x"))
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="folder"):
        atomic_write(tmp_path / "dir.npz", lambda fh: fh.write(b"x"))


def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path) -> None:
    target = tmp_path / "digits.npz"
    target.write_bytes(b"old")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tmp_path / temp_name(target.name, pid=int(dead.stdout))
    stale.write_bytes(b"half")
    unrelated = tmp_path / ".other.npz.tmp"
    unrelated.write_bytes(b"not ours")
    assert leftovers(target) == [stale]
    atomic_write(target, lambda fh: fh.write(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.npz.tmp", "digits.npz"]


def test_kill_9_during_saves_leaves_the_old_or_the_new_file_and_no_leftovers(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_kill_saves", Path(__file__).resolve().parents[1] / "bench" / "bench_kill_saves.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    counts = bench.kill_loop(16, seed=1, folder=tmp_path)
    assert counts["kills"] == 16 and counts["most_leftovers"] <= 1
    assert counts["file_changed"] >= 1
