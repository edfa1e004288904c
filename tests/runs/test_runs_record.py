"""A run record written while training reads back as it was: curves, checkpoints, summary."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.runs import layout as L
from nnstudio.runs.reader import RunError, list_runs, open_run
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.thinning import Kept, early_batches, plan_thinning
from nnstudio.runs.writer import RunWriter


def test_round_trip_curves_checkpoints_and_summary(runs_dir, record_run):
    writer, trainer, warnings = record_run(runs_dir, epochs=3)
    assert warnings == []
    run = open_run(writer.path)
    s = run.summary
    assert (s.state, s.epochs, s.epochs_planned, s.design, s.data) == \
        ("finished", 3, 3, "tiny", "blobs")
    assert run.info["seed"] == 3 and run.info["config"]["lr"] == 0.01
    assert run.info["classes"] == ["a", "b"]

    hist = trainer.history
    b = run.batches()
    np.testing.assert_allclose(b["loss"], hist.batch_loss)
    np.testing.assert_allclose(b["accuracy"], hist.batch_accuracy)
    np.testing.assert_array_equal(b["epoch"], hist.batch_epoch)
    assert b["samples"][-1] == len(trainer.train_idx) * 3
    assert np.all(np.diff(b["elapsed"]) >= 0)
    epochs = run.epochs()
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert [e["val_accuracy"] for e in epochs] == [e.val_accuracy for e in hist.epochs]

    ckpts = run.checkpoints()
    kinds = [c.kind for c in ckpts]
    n_batches = -(-len(trainer.train_idx) // 32)
    assert kinds == ["initial"] + ["early"] * len(early_batches(n_batches)) + ["epoch"] * 3
    assert [c.batch for c in ckpts if c.kind == "early"] == sorted(early_batches(n_batches))
    last = run.weights("last")
    for p in trainer.network.parameters():
        np.testing.assert_array_equal(last[p.name], p.value)
    best = max((c for c in ckpts if c.kind == "epoch"), key=lambda c: c.val_accuracy)
    assert s.best["checkpoint"] == best.n and run.checkpoint("best").n == best.n
    assert s.best_text == f"val acc {100 * best.val_accuracy:.2f}%"
    initial = run.weights("initial")
    assert any(not np.array_equal(initial[k], last[k]) for k in last)
    # the history up to the first epoch's checkpoint stops there
    first = next(c for c in ckpts if c.kind == "epoch")
    h1 = run.history(first)
    assert len(h1.epochs) == 1 and len(h1) == n_batches


def _record(runs_dir, net, ds, config, **start):
    trainer = Trainer(net, ds.x, ds.y, config, history=start.pop("history", None))
    offsets = start.pop("offsets", (0, 0.0))
    writer = RunWriter(runs_dir, RunStart(design=net.design, data="blobs", config=asdict(config),
                                          **start),
                       offset_samples=offsets[0], offset_elapsed=offsets[1])
    rec = Recorder(writer, net)
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    return open_run(writer.path), trainer


def test_same_start_reuses_seed_initial_weights_and_batch_order(runs_dir, record_run,
                                                                 tiny_data):
    first, first_trainer, _ = record_run(runs_dir, epochs=1, lr=0.01)
    base = open_run(first.path)
    net = Network(base.design(), seed=999)            # other random weights...
    net.set_weights(base.weights("initial"))          # ...replaced by the run's initial ones
    config = TrainConfig(**{**base.config, "lr": 0.001})
    again, trainer = _record(runs_dir, net, tiny_data(600), config, same_start=base.id)
    assert again.info["same_start"] == base.id and again.info["seed"] == base.info["seed"]
    np.testing.assert_array_equal(trainer.train_idx, first_trainer.train_idx)
    # the first batch is measured before any update: same weights and same samples
    assert again.batches()["loss"][0] == base.batches()["loss"][0]
    assert again.batches()["loss"][1] != base.batches()["loss"][1]   # the rate differs


def test_fork_continues_on_its_parents_axes_without_copying_its_history(runs_dir, record_run,
                                                                        tiny_data):
    parent, _, _ = record_run(runs_dir, epochs=2)
    base = open_run(parent.path)
    at = next(c for c in base.checkpoints() if c.kind == "epoch" and c.epoch == 1)
    net = base.network(at.n)
    fork, _ = _record(runs_dir, net, tiny_data(600), TrainConfig(epochs=1, lr=0.001, seed=3,
                                                                 batch_size=32),
                      parent={"run": base.id, "checkpoint": at.n}, history=base.history(at),
                      offsets=(at.samples, at.elapsed))
    assert fork.summary.parent == {"run": base.id, "checkpoint": at.n}
    b = fork.batches()
    assert b["samples"][0] == at.samples + 32 and b["elapsed"][0] > at.elapsed
    assert set(b["epoch"]) == {2.0}                   # only its own batches, numbered on
    assert [e["epoch"] for e in fork.epochs()] == [2]
    start = fork.weights("initial")
    assert all(np.array_equal(start[k], v) for k, v in base.weights(at.n).items())
    assert [r.id for r in list_runs(runs_dir)] == sorted([base.id, fork.id])


def test_renamed_run_keeps_its_name_in_the_list(runs_dir, record_run):
    writer, _, _ = record_run(runs_dir, epochs=1, name="first try")
    assert list_runs(runs_dir)[0].name == "first try"
    (writer.path / L.NAME_FILE).write_text("lower rate\n")
    assert list_runs(runs_dir)[0].name == "lower rate"


def test_plan_thinning_removes_oldest_first_and_never_protected():
    kept = [Kept(n, 100) for n in range(10)]
    removed = plan_thinning(kept, 600, protected={0, 4, 9})
    assert len(removed) == 4
    assert not {0, 4, 9} & set(removed)
    assert removed == [2, 5, 7, 3]       # every second one from the oldest, then again
    assert plan_thinning(kept, 1000, {0}) == []
    # protected alone over the budget: everything else goes, they stay
    assert sorted(plan_thinning(kept, 50, {0, 9})) == list(range(1, 9))


def test_budget_thinning_keeps_initial_best_and_last(runs_dir, record_run):
    ckpt_bytes = 1200  # one checkpoint of the tiny design is a little over 1 KB
    writer, trainer, _ = record_run(runs_dir, epochs=12, budget=6 * ckpt_bytes)
    run = open_run(writer.path)
    ckpts = run.checkpoints()
    sizes = sum((writer.path / L.CHECKPOINT_DIR / c.file).stat().st_size for c in ckpts)
    kept = {c.n for c in ckpts}
    assert len(ckpts) < 4 + 12
    assert {0, run.summary.best["checkpoint"], max(kept)} <= kept
    assert run.checkpoint("last").epoch == 12
    assert sizes <= 6 * ckpt_bytes or len(kept) == 3
    # removed ones are gone from disk too, and the summary lists exactly what is there
    on_disk = {p.name for p in (writer.path / L.CHECKPOINT_DIR).iterdir()}
    assert on_disk == {c.file for c in ckpts}
    assert json.loads((writer.path / L.SUMMARY_FILE).read_text())["checkpoints"] == \
        sorted(kept)
    assert run.summary.state == "finished"


def test_unknown_checkpoint_is_a_clear_error(runs_dir, record_run):
    writer, _, _ = record_run(runs_dir, epochs=1)
    with pytest.raises(RunError, match="has no checkpoint 99"):
        open_run(writer.path).weights(99)


def test_early_batches():
    assert early_batches(8) == {1, 2, 4}
    assert early_batches(1) == set()
    assert early_batches(2) == {1}
    assert early_batches(844) == {106, 211, 422}


def test_a_checkpoint_says_where_in_the_run_it_was_taken(record_run, runs_dir):
    from nnstudio.runs.reader import open_run

    writer, _, _ = record_run(runs_dir, epochs=2)
    places = [c.place for c in open_run(writer.path).checkpoints()]
    assert places[0] == "initial weights"
    assert any(p.startswith("epoch 1, batch ") for p in places)   # early: counts from 1
    assert places[-1] == "end of epoch 2"
