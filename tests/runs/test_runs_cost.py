"""Recording stays cheap with epochs of a millisecond, and keeps every guarantee of the record:
weights are read only when kept, thinning is planned only after a new checkpoint, curves and
events are written together about once a second, and a run killed between two flushes reads
back up to the last one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.runs import layout as L
from nnstudio.runs import writer as writer_module
from nnstudio.runs.lines import epoch_lines, json_line
from nnstudio.runs.reader import list_runs, open_run
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.thinning import HeldBest, better_figure
from nnstudio.runs.writer import FLUSH_EVERY_S, RunWriter

ROOT = Path(__file__).resolve().parents[2]


def _paced(tiny_design, tiny_data, runs_dir, *, epochs: int, budget: int = 20 << 20):
    ds = tiny_data(300)
    net = Network(tiny_design(), seed=1)
    config = TrainConfig(epochs=epochs, batch_size=32, lr=0.003, seed=3)
    trainer = Trainer(net, ds.x, ds.y, config)
    start = RunStart(design=net.design, data="blobs", config=asdict(config), dataset=ds.name)
    writer = RunWriter(runs_dir, start, min_checkpoint_s=3600.0, budget=budget,
                       batch_events_hz=50.0)
    return net, trainer, writer


def _new_bests(epochs: list[dict]) -> int:
    best, count = None, 0
    for entry in epochs:
        if (better := better_figure(best, entry)) is not None:
            best, count = better, count + 1
    return count


def test_an_epoch_neither_checkpointed_nor_a_new_best_reads_no_weights(
        tiny_design, tiny_data, runs_dir):
    net, trainer, writer = _paced(tiny_design, tiny_data, runs_dir, epochs=40)
    reads = []
    parameters = net.parameters
    net.parameters = lambda: (reads.append(1), parameters())[1]
    rec = Recorder(writer, net)                    # checkpoint 0 reads them once
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    epochs = open_run(writer.path).epochs()
    assert [e["epoch"] for e in epochs] == list(range(1, 41))
    bests = _new_bests(epochs)
    assert bests < 30                              # most epochs set no new best
    # the initial weights, the early checkpoints of the first epoch, every new best held,
    # and the last planned epoch's checkpoint: nothing for the other epochs
    early = sum(c.kind == "early" for c in open_run(writer.path).checkpoints())
    assert len(reads) <= 1 + early + bests + 1


def test_thinning_is_planned_only_after_a_new_checkpoint(tiny_design, tiny_data, runs_dir,
                                                         monkeypatch):
    plans = []
    plan = writer_module.plan_thinning
    monkeypatch.setattr(writer_module, "plan_thinning",
                        lambda *a, **k: (plans.append(1), plan(*a, **k))[1])
    net, trainer, writer = _paced(tiny_design, tiny_data, runs_dir, epochs=40, budget=1)
    rec = Recorder(writer, net)
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    index = (writer.path / L.CHECKPOINT_INDEX).read_text().splitlines()
    written = sum("removed" not in json.loads(line) for line in index)
    assert 0 < len(plans) <= written < 40          # every epoch is over the budget
    run = open_run(writer.path)
    kinds = {c.kind for c in run.checkpoints()}
    assert "initial" in kinds and run.checkpoint("last").epoch == 40
    assert run.checkpoint("best").epoch == run.summary.best["epoch"]


def test_the_best_held_between_checkpoints_is_copied_into_one_buffer():
    held = HeldBest()
    assert held.take() is None
    live = {"fc/W": np.ones((2, 3), np.float32), "fc/b": np.zeros(3, np.float32)}
    held.hold({"epoch": 1}, live)
    first = held.take()
    assert first is not None and held.take() is None
    live["fc/W"] += 1                              # training goes on: the copy stays
    assert np.array_equal(first[1]["fc/W"], np.ones((2, 3)))
    held.hold({"epoch": 2}, live)
    entry, again = held.take()
    assert entry == {"epoch": 2} and again["fc/W"] is first[1]["fc/W"]    # no new arrays
    assert np.array_equal(again["fc/W"], np.full((2, 3), 2.0))
    held.hold({"epoch": 3}, {"fc/W": np.ones((4, 3)), "fc/b": np.zeros(3)})  # other shapes
    entry, other = held.take()
    assert other["fc/W"].shape == (4, 3) and other["fc/W"].dtype == np.float32
    held.hold({"epoch": 4}, live)
    held.drop()
    assert held.take() is None


def test_epoch_lines_are_the_json_lines_of_their_entries():
    entries = [{"epoch": 1, "samples": 64, "elapsed": 0.1, "train_loss": 1e-05,
                "train_accuracy": None, "val_loss": 1e+20, "val_accuracy": -0.0, "lr": 3},
               {"epoch": 2, "samples": 128, "elapsed": 0.30000000000000004,
                "train_loss": 0.5, "train_accuracy": 1.0, "val_loss": None,
                "val_accuracy": None, "lr": 0.001}]
    text = epoch_lines(entries)
    assert text == b"".join(json_line(e) for e in entries)
    assert [json.loads(line) for line in text.splitlines()] == entries
    assert epoch_lines([]) == b""


def test_curves_and_events_are_written_together_once_a_flush_is_due(
        tiny_design, tiny_data, runs_dir, monkeypatch):
    monkeypatch.setattr(writer_module, "FLUSH_EVERY_S", 3600.0)     # no flush on the clock
    monkeypatch.setattr(writer_module, "SUMMARY_EVERY_S", 3600.0)
    net, trainer, writer = _paced(tiny_design, tiny_data, runs_dir, epochs=30)
    rec = Recorder(writer, net)
    on_disk = []

    def look(info) -> None:
        on_disk.append((info.epoch, (writer.path / L.EPOCH_FILE).stat().st_size))

    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch(look))
    # the last planned epoch is checkpointed, and a checkpoint flushes the curves first;
    # before it, nothing of the epoch curve has been written
    assert [size for epoch, size in on_disk[:-1]] == [0] * 29 and on_disk[-1][1] > 0
    writer.finish("finished")
    run = open_run(writer.path)
    assert [e["epoch"] for e in run.epochs()] == list(range(1, 31))   # complete at the end
    assert len(run.batches()["loss"]) == len(trainer.history.batch_loss)


_KILLED = r"""
import sys
from dataclasses import asdict
import numpy as np
from nnstudio.core.design import Design
from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import BATCH_EVENTS_HZ, MIN_CHECKPOINT_S, RunWriter

d = Design("tiny")
d.add_node("Input", {"shape": [2]}, node_id="in")
d.add_node("Dense", {"units": 8, "activation": "tanh"}, node_id="fc1")
d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
    d.connect(a, b)
rng = np.random.default_rng(0)
y = rng.integers(0, 2, 300)
x = (rng.normal(size=(300, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
net = Network(d, seed=1)
config = TrainConfig(epochs=10**6, batch_size=32, lr=0.003, seed=3)
trainer = Trainer(net, x, y.astype(np.int64), config)
start = RunStart(design=d, data="blobs", config=asdict(config), origin="window")
writer = RunWriter(sys.argv[1], start, min_checkpoint_s=MIN_CHECKPOINT_S,
                   batch_events_hz=BATCH_EVENTS_HZ)
rec = Recorder(writer, net)

def told(info):
    sys.stdout.write(f"{info.epoch} {info.elapsed!r}\n")
    sys.stdout.flush()

trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch(told))
"""


def _epochs_in_summary(runs_dir: Path) -> int:
    for path in runs_dir.glob("*/" + L.SUMMARY_FILE):
        try:
            summary = json.loads(path.read_text())
        except (OSError, ValueError):
            return 0
        return summary["epochs"] if len(summary["checkpoints"]) >= 3 else 0
    return 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_between_flushes_reads_back_up_to_its_last_flush(runs_dir):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(runs_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True)
    told: list[str] = []
    try:
        end = time.monotonic() + 60
        assert proc.stdout is not None
        while _epochs_in_summary(runs_dir) < 100:  # a summary of the running run, which
            told.append(proc.stdout.readline())    # only comes after a flush
            assert time.monotonic() < end and proc.poll() is None
        for _ in range(537):                       # and kill it somewhere between flushes
            told.append(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    told += proc.stdout.read().splitlines()
    last_epoch, last_elapsed = [line for line in told if line.strip()][-1].split()

    (summary,) = list_runs(runs_dir)
    assert summary.state == "interrupted" and summary.problem == ""   # no file cut short
    run = open_run(summary.path)
    epochs = run.epochs()
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    assert len(epochs) >= summary.epochs >= 100
    # what was lost is the last training second at most (and the epoch being written)
    assert float(last_elapsed) - epochs[-1]["elapsed"] <= FLUSH_EVERY_S + 0.5
    assert int(last_epoch) + 1 >= len(epochs)     # (killed after recording, before telling)
    batches = run.batches()
    assert np.all(np.diff(batches["samples"]) > 0)
    per_epoch = np.sum(batches["epoch"] == 1)
    assert np.sum(batches["epoch"] <= len(epochs)) == per_epoch * len(epochs)  # every batch
    ckpts = run.checkpoints()
    assert ckpts[0].kind == "initial" and len(ckpts) >= 3
    for c in ckpts:                                # complete, and the curves reach them
        assert all(np.isfinite(w).all() for w in run.weights(c.n).values())
        assert c.epoch <= len(epochs) and c.samples <= batches["samples"][-1]
    assert run.network("last") is not None
    (events,) = summary.path.glob("events.out.tfevents.*")
    steps = [e.step for e in EventFileLoader(str(events)).Load()
             if e.summary.value and not e.summary.value[0].tag.startswith("_hparams_")]
    assert len(steps) > 10 and steps == sorted(steps)


def test_batches_held_between_flushes_are_packed_not_kept_alive(tiny_design, runs_dir):
    """A second of millisecond epochs holds thousands of batches: they are packed into
    bytes a few hundred at a time, so the objects the cycle collector visits stay few."""
    import gc

    from nnstudio.core.training import BatchInfo, EpochInfo

    net = Network(tiny_design(), seed=1)
    writer = RunWriter(runs_dir, RunStart(design=net.design, data="blobs", config={}),
                       min_checkpoint_s=3600.0)
    rec = Recorder(writer, net)
    on_batch, on_epoch = rec.on_batch(), rec.on_epoch()
    for i in range(3000):                          # 0.3 training seconds: no flush is due
        epoch, batch = divmod(i, 10)
        on_batch(BatchInfo(epoch + 1, batch + 1, 10, 0.5, None, 1e-3, 32, 32 * (i + 1),
                           1e-4 * (i + 1), 1000))
        if batch == 9:
            on_epoch(EpochInfo(epoch + 1, 0.5, None, 0.4, None, 1e-3, 1e-4 * (i + 1), 1000))
    alive = sum(isinstance(o, BatchInfo) for o in gc.get_objects())
    assert alive <= writer_module._ROWS
    writer.finish("finished")
    run = open_run(writer.path)
    batches = run.batches()
    assert len(batches["loss"]) == 3000 and np.isnan(batches["accuracy"]).all()
    assert batches["samples"][-1] == 96000 and batches["elapsed"][-1] == pytest.approx(0.3)
    assert [e["epoch"] for e in run.epochs()] == list(range(1, 301))
