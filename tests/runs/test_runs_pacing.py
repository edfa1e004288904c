"""Checkpoints paced by time (the window's many short epochs): the best epoch and the last
weights are still kept; a record suspended and resumed is one run."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.runs.reader import list_runs, open_run
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import RunWriter


def _train(tiny_design, tiny_data, runs_dir, *, epochs: int, min_s: float):
    ds = tiny_data(300)
    net = Network(tiny_design(), seed=1)
    config = TrainConfig(epochs=epochs, batch_size=32, lr=0.003, seed=3)
    trainer = Trainer(net, ds.x, ds.y, config)
    start = RunStart(design=net.design, data="blobs", config=asdict(config), dataset=ds.name)
    writer = RunWriter(runs_dir, start, min_checkpoint_s=min_s)
    rec = Recorder(writer, net)
    at_epoch: dict[int, dict[str, np.ndarray]] = {}

    def keep(info) -> None:
        at_epoch[info.epoch] = {k: v.copy() for k, v in net.get_weights().items()}

    return writer, trainer, rec, at_epoch, keep


def test_paced_checkpoints_keep_the_best_and_the_last_epoch(tiny_design, tiny_data, runs_dir):
    writer, trainer, rec, at_epoch, keep = _train(tiny_design, tiny_data, runs_dir,
                                                  epochs=25, min_s=3600.0)
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch(keep))
    writer.finish("finished")
    run = open_run(writer.path)
    epochs = [c.epoch for c in run.checkpoints() if c.kind == "epoch"]
    assert len(epochs) < 25                      # not one per epoch
    assert 25 in epochs                          # the last planned epoch
    val = [e["val_accuracy"] for e in run.epochs()]
    best_epoch = int(np.argmax(val)) + 1         # the first epoch with the best figure
    assert run.summary.best["epoch"] == best_epoch
    best = run.checkpoint("best")
    assert best.epoch == best_epoch
    weights = run.weights("best")
    assert all(np.array_equal(weights[k], at_epoch[best_epoch][k]) for k in weights)


def test_a_suspended_record_keeps_its_weights_and_goes_on(tiny_design, tiny_data, runs_dir):
    writer, trainer, rec, _at, keep = _train(tiny_design, tiny_data, runs_dir, epochs=10,
                                             min_s=3600.0)
    seen = []

    def stop_at_40(_info) -> None:              # Stop mid-way through epoch 5 of 9 batches
        seen.append(1)
        if len(seen) == 40:
            trainer.control.stop()

    trainer.run(on_batch=rec.on_batch(stop_at_40), on_epoch=rec.on_epoch(keep))
    assert trainer.stopped
    net = trainer.network
    now = {k: v.copy() for k, v in net.get_weights().items()}
    writer.suspend("stopped", "", {p.name: p.value for p in net.parameters()})
    (summary,) = list_runs(runs_dir)
    assert summary.state == "stopped"
    run = open_run(writer.path)
    last = run.checkpoint("last")
    assert last.kind == "last" and last.samples == summary.samples
    got = run.weights("last")
    assert all(np.array_equal(got[k], now[k]) for k in got)

    writer.resume()                              # Play again: a new trainer, the same record
    assert list_runs(runs_dir)[0].state == "running"
    again = Trainer(net, trainer.x, trainer.y, TrainConfig(epochs=2, batch_size=32, lr=0.003),
                    history=trainer.history)
    again.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    (summary,) = list_runs(runs_dir)
    assert summary.state == "finished"
    samples = open_run(writer.path).batches()["samples"]
    assert np.all(np.diff(samples) > 0)          # counted on from where it stopped
