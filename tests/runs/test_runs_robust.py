"""Run records survive what happens to real runs: kill -9, damage, hostile files, full disks."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from nnstudio.runs import layout as L
from nnstudio.runs.reader import RunError, list_runs, open_run

TRAIN = ["train", "--design", "playground", "--data", "toy:spiral", "--batch-size", "64"]


def _wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _epochs_recorded(runs_dir) -> int:
    for path in runs_dir.glob("*/" + L.SUMMARY_FILE):
        try:
            return json.loads(path.read_text())["epochs"]
        except (OSError, ValueError):
            return 0
    return 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_run_killed_mid_training_is_listed_interrupted_with_loadable_checkpoints(
        tmp_path, runs_dir, nnstudio_cli):
    env = {**os.environ, "PYTHONPATH": str(L.Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnstudio", *TRAIN, "--epochs", "100000", "--out",
         str(tmp_path / "m.npz"), "--runs", str(runs_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)
    try:
        _wait_for(lambda: _epochs_recorded(runs_dir) >= 3)
        (run_path,) = runs_dir.iterdir()
        assert list_runs(runs_dir)[0].state == "running"   # its process holds the lock
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    (summary,) = list_runs(runs_dir)
    assert summary.state == "interrupted" and summary.problem == ""
    run = open_run(run_path)
    ckpts = run.checkpoints()
    assert ckpts[0].kind == "initial" and sum(c.kind == "epoch" for c in ckpts) >= 3
    net = run.network("last")
    assert net.predict(np.zeros((1, 2), np.float32)).shape == (1, 1)
    for c in ckpts:
        assert all(np.isfinite(w).all() for w in run.weights(c.n).values())
    assert len(run.epochs()) >= summary.epochs
    assert len(run.batches()["loss"]) >= 8 * summary.epochs
    out = nnstudio_cli("runs", "list", str(runs_dir))
    assert out.returncode == 0 and "interrupted" in out.stdout
    out = nnstudio_cli("runs", "export", str(run_path), "--checkpoint", "last", "--out",
                       str(tmp_path / "back.npz"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "back.npz").is_file()


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_damaged_records_are_listed_as_damaged_and_never_break_the_list(
        runs_dir, record_run):
    good, _, _ = record_run(runs_dir, epochs=1)
    bad = {}
    for what in ("json", "huge", "deep", "missing", "events", "fifo", "newer", "nosummary"):
        bad[what] = record_run(runs_dir, epochs=1)[0].path
    (bad["json"] / L.SUMMARY_FILE).write_text('{"format": "nnstudio-run", "vers')
    with open(bad["huge"] / L.SUMMARY_FILE, "wb") as fh:
        fh.truncate(L.MAX_SMALL_BYTES + 1)              # sparse: never read
    (bad["deep"] / L.SUMMARY_FILE).write_text("[" * 100_000 + "]" * 100_000)
    os.unlink(bad["missing"] / L.CHECKPOINT_DIR / L.checkpoint_file(1))
    (events,) = bad["events"].glob("events.out.tfevents.*")
    os.truncate(events, events.stat().st_size // 2)
    os.unlink(bad["fifo"] / L.SUMMARY_FILE)
    os.mkfifo(bad["fifo"] / L.SUMMARY_FILE)             # a reader that opened it would block
    summary = json.loads((bad["newer"] / L.SUMMARY_FILE).read_text())
    (bad["newer"] / L.SUMMARY_FILE).write_text(json.dumps({**summary, "version": 99}))
    os.unlink(bad["nosummary"] / L.SUMMARY_FILE)
    (runs_dir / "notes.txt").write_text("not a run")
    (runs_dir / "some folder").mkdir()

    start = time.perf_counter()
    runs = {r.path: r for r in list_runs(runs_dir)}
    assert time.perf_counter() - start < 5
    assert set(runs) == {good.path, *bad.values()}
    assert runs[good.path].state == "finished"
    for what, path in bad.items():
        assert runs[path].state == "damaged", what
        assert runs[path].problem, what
    assert "checkpoint 1 is missing" in runs[bad["missing"]].problem
    assert "cut short" in runs[bad["events"]].problem
    assert "newer nnstudio" in runs[bad["newer"]].problem
    assert "summary.json is missing" in runs[bad["nosummary"]].problem


def test_hostile_checkpoints_are_refused_before_allocating_and_never_executed(
        tmp_path, runs_dir, record_run):
    writer, trainer, _ = record_run(runs_dir, epochs=1)
    run = open_run(writer.path)
    names = [p.name for p in trainer.network.parameters()]
    ckpt_dir = writer.path / L.CHECKPOINT_DIR

    # a header that claims 2**40 floats in a tiny file
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 40, 1)})
    claim = header.getvalue() + bytes(64)
    with zipfile.ZipFile(ckpt_dir / L.checkpoint_file(1), "w") as zf:
        for name in names:
            zf.writestr(f"weights/{name}.npy", claim)
    with pytest.raises(RunError, match="checkpoint 1 does not fit|claims"):
        run.weights(1)

    # a pickled object that would create a file if it were ever unpickled
    marker = tmp_path / "executed"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    buf = io.BytesIO()
    np.savez(buf, **{f"weights/{names[0]}": evil})
    (ckpt_dir / L.checkpoint_file(2)).write_bytes(buf.getvalue())
    with pytest.raises(RunError):
        run.weights(2)
    assert not marker.exists()

    # not a zip at all
    (ckpt_dir / L.checkpoint_file(3)).write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(RunError, match="cannot be read"):
        run.weights(3)


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
def test_full_disk_stops_recording_with_one_warning_while_training_goes_on(
        tmp_path, runs_dir):
    """A file-size limit makes writes past 256 KB fail as a full disk does (EFBIG, where a
    full disk gives ENOSPC): the record stops growing, training runs all its epochs. The
    record is written once a training second, so the run lasts a few seconds; its batch
    curve passes the limit after about 600 epochs, the model file (88 KB at 1,500 epochs)
    stays under it."""
    env = {**os.environ, "PYTHONPATH": str(L.Path(__file__).resolve().parents[2]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "nnstudio", *TRAIN, "--epochs", "3000", "--out",
         str(tmp_path / "m.npz"), "--runs", str(runs_dir)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        preexec_fn=_limit_file_size(256 << 10))
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    warnings = [line for line in lines if "run record could not be written" in line]
    assert len(warnings) == 1, out.stderr
    assert "File too large" in warnings[0] and "training goes on" in warnings[0]
    assert sum(line.startswith("epoch ") for line in lines) == 3000
    assert (tmp_path / "m.npz").is_file()
    (summary,) = list_runs(runs_dir)
    assert summary.state == "finished" and "recording stopped after epoch" in summary.message
    assert 0 < summary.epochs < 3000
    run = open_run(summary.path)
    assert run.weights("last")         # what was recorded before the limit still reads


def test_curve_larger_than_the_memory_limit_is_refused(runs_dir, record_run, monkeypatch):
    writer, _, _ = record_run(runs_dir, epochs=1)
    with open(writer.path / L.BATCH_FILE, "r+b") as fh:
        fh.truncate(64 << 20)                           # sparse: costs no disk
    monkeypatch.setenv("NNSTUDIO_MEMORY_LIMIT_GB", str(32 / 1024))
    with pytest.raises(RunError, match="batch curve cannot be read"):
        open_run(writer.path).batches()
