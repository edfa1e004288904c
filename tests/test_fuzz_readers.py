"""Seeded mutation fuzzing of every file reader, and the damaged files it found.

Each case runs in a worker process limited by RLIMIT_AS and a time limit (see
``bench/bench_fuzz.py``, which runs thousands of cases per reader). Every case must be a
clear error of the reader's own type or a valid result; nothing may escape, hang or crash.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_fuzz", ROOT / "bench" / "bench_fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()
CASES = {"model": 200, "design": 200, "idx": 250, "csv": 250, "image": 200, "spec": 150}


@pytest.mark.parametrize("reader", list(bench.READERS))
def test_mutated_files_give_clear_errors_or_valid_results(reader, tmp_path):
    """The mutations of every reader; the crafted data specs too (they cost nothing to make;
    the crafted pictures, model and IDX are kept in tests/regressions/ or tested apart)."""
    result = bench.fuzz(reader, CASES[reader], seed=7, memory_mb=2048, timeout=20.0,
                        folder=tmp_path, crafted=reader == "spec")
    escaped = [f"case {e['case']} ({e['name']}): {e['error']}" for e in result["escapes"]]
    assert result["escaped"] == 0, escaped[:5]
    assert result["clear"] + result["valid"] == result["cases"] >= CASES[reader]
    assert result["clear"] > 0 and result["valid"] > 0  # the mutations reach both outcomes


def regression_files() -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file())


def test_regression_files_are_kept_small():
    files = regression_files()
    assert files, "the damaged files fuzzing found are kept in tests/regressions/"
    # lesson files are read by the lesson format, tested in tests/lessons/test_hostile.py
    assert {p.parent.name for p in files} <= set(bench.READERS) | {"lessons"}
    assert all(p.stat().st_size <= 200_000 for p in files)


@pytest.mark.parametrize("reader", list(bench.READERS))
def test_every_damaged_file_found_by_fuzzing_is_a_clear_error_now(reader, tmp_path):
    files = [p for p in regression_files() if p.parent.name == reader]
    if not files:
        pytest.skip(f"no regression files for the {reader} reader")
    worker = bench.Worker(reader, 2048)
    try:
        for path in files:
            case = tmp_path / path.name.split("-", 2)[-1]
            case.write_bytes(path.read_bytes())
            result = worker.run(case, 20.0)
            assert result["outcome"] in ("clear", "valid"), f"{path.name}: {result}"
    finally:
        worker.stop()
