"""The window's runs: what recording costs the training process, and opening the Runs list.

Three measurements, each printed as one ``bench_runs_window`` line:

1. **cost**: the window's training process (``TrainingProcess`` with the recording entry
   point, as the window starts it) trains the same run with and without a record request,
   interleaved (A B A B ...); each run's training seconds are its last epoch's ``elapsed``
   (the recording callbacks run inside the loop, so they are counted; the process start and
   the data transfer are not). Two workloads: the ``mlp`` on synthetic digits (long epochs),
   and the tiny two-blob classifier for many epochs of a few milliseconds (a checkpoint at
   every epoch end: the worst case). Target < 3%.
2. **share**: the same two workloads trained in this process with the window's recorder
   (its checkpoint pacing), timing the recording callbacks against the whole training time:
   much less disturbed by other load on the machine than the A/B above. The clock read
   around each callback costs something the real loop does not pay: it is measured first on
   a tenth of the epochs with callbacks that do nothing, and taken off (both figures are
   printed).
3. **open**: 500 records in the runs folder; building the Runs dock (it lists the folder)
   and showing it, median of 5. Target < 0.5 s.

Run::

    .venv/bin/python bench/bench_runs_window.py                # all three
    .venv/bin/python bench/bench_runs_window.py --only share
    .venv/bin/python bench/bench_runs_window.py --only cost --repeat 5
    .venv/bin/python bench/bench_runs_window.py --only open
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from nnstudio.core.design import Design, design_to_json  # noqa: E402
from nnstudio.core.network import Network  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.core.training import TrainConfig  # noqa: E402
from nnstudio.core.trainproc import TrainingProcess  # noqa: E402
from nnstudio.core.trainprotocol import Failed, Finished  # noqa: E402
from nnstudio.runs.child import ENTRY, record_request  # noqa: E402


def tiny_design() -> Design:
    d = Design("tiny")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 8, "activation": "tanh"}, node_id="fc1")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
        d.connect(a, b)
    return d


def _train(proc: TrainingProcess, design: Design, x: np.ndarray, y: np.ndarray,
           config: TrainConfig, token: str, record: dict | None) -> float:
    """Train once in the child; the training seconds of the run."""
    net = Network(design, seed=0)
    proc.run(design_json=design_to_json(design), weights=net.get_weights(),
             config=asdict(config), x=x, y=y, token=token, record=record)
    while True:
        msg = proc.recv(1.0)
        if isinstance(msg, Failed):
            raise RuntimeError(msg.message)
        if isinstance(msg, Finished):
            return _elapsed(msg.history)


def _elapsed(history: dict) -> float:
    from nnstudio.core.training import History

    return float(History.from_dict(history).epochs[-1].elapsed)


def _workloads(tmp: Path) -> list[tuple[str, Design, np.ndarray, np.ndarray, TrainConfig]]:
    from nnstudio.data.sources import load_source

    os.environ["NNSTUDIO_DATA_DIR"] = str(tmp / "user")
    ds = load_source("synthetic:10000", size=28)
    rng = np.random.default_rng(0)
    yb = rng.integers(0, 2, 600)
    xb = (rng.normal(size=(600, 2)) + np.where(yb[:, None] == 1, 1.5, -1.5)).astype(np.float32)
    return [("mlp, synthetic:10000, 3 epochs", get_template("mlp"), ds.x, ds.y,
             TrainConfig(epochs=3)),
            ("tiny, 600 blobs, 2000 epochs of 9 batches", tiny_design(), xb, yb.astype(np.int64),
             TrainConfig(epochs=2000, batch_size=64))]


def bench_share(tmp: Path) -> None:
    from nnstudio.core.training import Trainer
    from nnstudio.runs.child import ADVICE
    from nnstudio.runs.recorder import Recorder
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import BATCH_EVENTS_HZ, MIN_CHECKPOINT_S, RunWriter

    def timed(cb, spent):
        def call(info):
            t = time.perf_counter()
            cb(info)
            spent[0] += time.perf_counter() - t
            spent[1] += 1
        return call

    def nothing(_info) -> None:
        pass

    for label, design, x, y, config in _workloads(tmp):
        idle = [0.0, 0]           # the timer's own cost: the loop with empty callbacks
        tenth = replace(config, epochs=max(1, config.epochs // 10))
        Trainer(Network(design, seed=0), x, y, tenth).run(on_batch=timed(nothing, idle),
                                                          on_epoch=timed(nothing, idle))
        per_call = idle[0] / idle[1]
        net = Network(design, seed=0)
        trainer = Trainer(net, x, y, config)
        start = RunStart(design=design, data="bench", config=asdict(config), origin="window")
        spent = [0.0, 0]

        t0 = time.perf_counter()
        writer = RunWriter(tmp / "share", start, advice=ADVICE,
                           min_checkpoint_s=MIN_CHECKPOINT_S, batch_events_hz=BATCH_EVENTS_HZ)
        rec = Recorder(writer, net)
        t1 = time.perf_counter()
        trainer.run(on_batch=timed(rec.on_batch(), spent),
                    on_epoch=timed(rec.on_epoch(), spent))
        t2 = time.perf_counter()
        writer.finish("finished", weights={p.name: p.value for p in net.parameters()})
        t3 = time.perf_counter()
        net_s = spent[0] - per_call * spent[1]
        print(f"bench_runs_window share ({label}, load {os.getloadavg()[0]:.1f}): "
              f"{1e3 * net_s:.0f} ms of {t2 - t1:.2f} s training spent in the recording "
              f"callbacks ({100 * net_s / (t2 - t1):.2f}% of training speed, target < 3%; "
              f"{100 * spent[0] / (t2 - t1):.2f}% with the timer's own "
              f"{1e6 * per_call:.2f} us a call); "
              f"{len(writer._kept)} checkpoints kept; the record's start took "
              f"{1e3 * (t1 - t0):.0f} ms before training, its end {1e3 * (t3 - t2):.0f} ms "
              "after")


def bench_cost(tmp: Path, repeat: int) -> None:
    work = _workloads(tmp)
    proc = TrainingProcess(entry=ENTRY)
    try:
        for label, design, x, y, config in work:
            token = label
            _train(proc, design, x, y, TrainConfig(epochs=1), token, None)   # warm up
            times: dict[bool, list[float]] = {False: [], True: []}
            for i in range(repeat):
                for rec in ((False, True) if i % 2 == 0 else (True, False)):
                    request = record_request(
                        key=f"{label}-{i}", folder=str(tmp / "runs"), data="bench",
                        dataset="bench", task="classification", classes=[],
                        image_size=None) if rec else None
                    times[rec].append(_train(proc, design, x, y, config, token, request))
            off, on = statistics.median(times[False]), statistics.median(times[True])
            print(f"bench_runs_window cost ({label}, load {os.getloadavg()[0]:.1f}, "
                  f"{repeat} interleaved pairs): training {off:.2f} s without a record, "
                  f"{on:.2f} s recorded: {100 * (on - off) / off:+.1f}% (target < 3%; "
                  f"each: {', '.join(f'{t:.2f}' for t in times[False])} / "
                  f"{', '.join(f'{t:.2f}' for t in times[True])})")
    finally:
        proc.close()


def bench_open(tmp: Path, count: int = 500) -> None:
    from bench_runs import _feed
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.runs import RunKeeper, RunsDock
    from nnstudio.gui.session import Session
    from nnstudio.gui.train.controller import TrainingController
    from nnstudio.gui.train.plots import TrainingPlots
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import RunWriter

    app = QApplication.instance() or QApplication([])
    design = tiny_design()
    folder = tmp / "many"
    rng = np.random.default_rng(0)
    for i in range(count):
        config = TrainConfig(epochs=3, lr=10 ** rng.uniform(-4, -1))
        start = RunStart(design=design, data="toy:spiral", config=asdict(config),
                         dataset="spiral")
        _feed(RunWriter(folder, start), Network(design, seed=i), 3, 8, 64, rng)
    session = Session(design)
    controller = TrainingController(session)
    keeper = RunKeeper(session, controller, folder)
    plots = TrainingPlots()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        dock = RunsDock(session, keeper, plots)
        dock.resize(320, 800)
        dock.show()
        app.processEvents()
        times.append(time.perf_counter() - t0)
        assert dock.proxy.rowCount() == count
        dock.close()
        dock.deleteLater()
        app.processEvents()
    print(f"bench_runs_window open: the Runs dock with {count} runs built and shown in "
          f"{1e3 * statistics.median(times):.0f} ms median of 5 (first {1e3 * times[0]:.0f} "
          f"ms, load {os.getloadavg()[0]:.1f}, target < 500 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("cost", "share", "open"))
    ap.add_argument("--repeat", type=int, default=3, help="interleaved pairs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-runs-window-") as tmp:
        if args.only in (None, "open"):
            bench_open(Path(tmp))
        if args.only in (None, "share"):
            bench_share(Path(tmp))
        if args.only in (None, "cost"):
            bench_cost(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
