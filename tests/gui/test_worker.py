"""The one worker type of the window: order of its signals, errors, abort, stopping all."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from nnstudio.gui.worker import (
    Aborted,
    Worker,
    aborting,
    current_worker,
    running_workers,
    stop_all,
    work,
)


def record(worker: Worker) -> list[tuple[str, object, bool]]:
    """(signal, value, delivered on the GUI thread) for every signal of ``worker``."""
    gui = QThread.currentThread()
    got: list[tuple[str, object, bool]] = []

    def on(name: str):
        return lambda *a: got.append((name, a[0] if a else None,
                                      QThread.currentThread() is gui))

    for name in ("started", "yielded", "result", "error", "aborted", "finished"):
        getattr(worker, name).connect(on(name))
    return got


def test_a_generator_yields_then_returns_on_the_gui_thread(qtbot):
    seen_threads: list[str] = []

    def count(n: int):
        seen_threads.append(threading.current_thread().name)
        for i in range(n):
            yield i
            yield None  # a check point only: not emitted
        return "done"

    worker = Worker(count, 3, name="count")
    got = record(worker)
    worker.start()
    assert worker.wait_finished(10)
    assert [g[0] for g in got] == ["started", "yielded", "yielded", "yielded", "result",
                                  "finished"]
    assert [g[1] for g in got if g[0] == "yielded"] == [0, 1, 2]
    assert got[-2][1] == "done"
    assert all(g[2] for g in got), "a slot ran off the GUI thread"
    assert seen_threads == ["nnstudio-count"]
    assert worker not in running_workers()


def test_an_error_arrives_as_the_exception_and_no_result(qtbot):
    def fail() -> None:
        raise KeyError("no such thing")

    worker = work(fail)
    got = record(worker)
    assert worker.wait_finished(10)
    names = [g[0] for g in got]
    assert "result" not in names and names[-1] == "finished"
    err = next(g[1] for g in got if g[0] == "error")
    assert isinstance(err, KeyError) and "no such thing" in str(err)


@pytest.mark.parametrize("kind", ["generator", "checks", "raises"])
def test_quit_aborts_promptly_and_drops_the_result(qtbot, kind):
    started = threading.Event()

    def forever_gen():
        started.set()
        while True:
            time.sleep(0.005)
            yield None

    def checks() -> str:
        started.set()
        assert current_worker() is not None
        while not aborting():
            time.sleep(0.005)
        return "a result nobody wants"

    def raises() -> None:
        started.set()
        while True:
            if current_worker().abort_requested:
                raise Aborted()
            time.sleep(0.005)

    fn = {"generator": forever_gen, "checks": checks, "raises": raises}[kind]
    worker = Worker(fn)
    got = record(worker)
    worker.start()
    assert started.wait(10)
    t0 = time.monotonic()
    worker.quit()
    assert worker.wait(2.0)
    assert time.monotonic() - t0 < 1.0
    assert worker.wait_finished(10)
    assert [g[0] for g in got] == ["started", "aborted", "finished"]


def test_stop_all_ends_every_worker_and_reports_one_that_cannot_stop(qtbot):
    release = threading.Event()

    def stubborn() -> None:
        release.wait(30)  # never checks for an abort

    def polite():
        while True:
            time.sleep(0.005)
            yield None

    workers = [work(polite) for _ in range(3)]
    t0 = time.monotonic()
    assert stop_all(2.0)
    assert time.monotonic() - t0 < 1.0
    assert not any(w.is_running for w in workers)
    late = work(stubborn)
    try:
        assert not stop_all(0.2)
    finally:
        release.set()
    assert late.wait_finished(10)
    assert not running_workers()


def test_a_worker_is_freed_on_the_gui_thread_however_late_its_thread_ends(qtbot) -> None:
    """The thread's last steps (after it handed over ``finished``) may be slow: the worker
    (a Qt object) must still be destroyed on the GUI thread, never on its own thread."""
    import gc

    from PySide6.QtCore import Qt

    class SlowEnd(threading.Event):
        def set(self) -> None:  # the thread's very last step, made slow
            time.sleep(0.2)
            super().set()

    where: list[str] = []
    worker = Worker(lambda: 42, name="slow end")
    worker._done = SlowEnd()
    worker.destroyed.connect(lambda *_: where.append(threading.current_thread().name),
                             Qt.ConnectionType.DirectConnection)
    worker.start()
    assert worker.wait_finished(10.0)
    del worker
    deadline = time.monotonic() + 5
    while not where and time.monotonic() < deadline:
        gc.collect()
        qtbot.wait(20)
    assert where == [threading.main_thread().name]


def test_cycles_are_collected_on_the_gui_thread(qtbot) -> None:
    """With the window's threading set up, Python's automatic cycle collector is off and a
    timer of the GUI thread collects instead: a background thread that allocates a lot
    never runs a collection (which could free Qt objects there)."""
    import gc

    from nnstudio.gui.collector import collect_on_gui_thread
    from nnstudio.gui.train.bridge import configure_threading

    configure_threading()
    collector = collect_on_gui_thread()
    assert collector is not None and not gc.isenabled()
    runs: list[str] = []

    def note(phase: str, _info: dict) -> None:
        if phase == "start":
            runs.append(threading.current_thread().name)

    def allocate() -> None:  # cycles and plenty of objects: far past every threshold
        for _ in range(200):
            junk = [[i] for i in range(1000)]
            junk.append(junk)
            del junk

    gc.callbacks.append(note)
    try:
        busy = threading.Thread(target=allocate, name="busy")
        busy.start()
        busy.join(30)
        before = collector.collections
        qtbot.waitUntil(lambda: collector.collections > before, timeout=10000)
    finally:
        gc.callbacks.remove(note)
    assert runs and set(runs) == {threading.main_thread().name}
