"""The training loop and its control, on a tiny network."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from nnstudio.core.design import Design
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.core.training import (
    BatchInfo,
    EpochInfo,
    History,
    TrainConfig,
    TrainControl,
    Trainer,
    TrainingDiverged,
    shift_images,
)


def tiny_net(seed: int = 0) -> Network:
    d = Design("tiny")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 8, "activation": "tanh"}, node_id="h")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="o")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    d.connect("in", "h")
    d.connect("h", "o")
    d.connect("o", "out")
    return Network(d, seed=seed)


def blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)).astype(np.float32) * 0.5 + (2 * y[:, None] - 1)
    return x.astype(np.float32), y.astype(np.int64)


def wait_until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting for the training thread"
        time.sleep(0.002)


def start(trainer: Trainer, **callbacks) -> threading.Thread:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            trainer.run(**callbacks)
        except BaseException as err:  # noqa: BLE001 - reported to the test
            errors.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def test_run_records_batches_epochs_and_learns():
    x, y = blobs()
    batches: list[BatchInfo] = []
    epochs: list[EpochInfo] = []
    net = tiny_net()
    trainer = Trainer(net, x, y, TrainConfig(epochs=3, batch_size=32, lr=0.05, val_split=0.1))
    hist = trainer.run(on_batch=batches.append, on_epoch=epochs.append)
    assert len(trainer.train_idx) == 180 and len(trainer.x_val) == 20
    assert len(hist) == len(batches) == 3 * 6
    assert [b.batch for b in batches[:6]] == [1, 2, 3, 4, 5, 6]
    assert all(b.n_batches == 6 for b in batches)
    assert batches[-1].samples_seen == 540 and batches[-1].epochs == 3
    assert [e.epoch for e in epochs] == [1, 2, 3] and hist.epochs == epochs
    assert epochs[-1].val_accuracy > 0.9 and epochs[-1].train_loss < epochs[0].train_loss
    assert hist.batch_loss.shape == (18,) and hist.batch_epoch[-1] == 3
    assert np.all(hist.batch_lr == pytest.approx(0.05))


def test_seeded_runs_are_reproducible():
    x, y = blobs()
    weights = []
    for _ in range(2):
        net = tiny_net()
        Trainer(net, x, y, TrainConfig(epochs=2, batch_size=16, seed=3)).run()
        weights.append(net.get_weights())
    for key in weights[0]:
        np.testing.assert_array_equal(weights[0][key], weights[1][key])


def test_pause_blocks_and_resume_finishes():
    x, y = blobs()
    control = TrainControl()
    control.pause()
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=2, batch_size=32), control)
    thread = start(trainer)
    time.sleep(0.1)
    assert len(trainer.history) == 0 and control.state == "paused" and thread.is_alive()
    control.resume()
    thread.join(10)
    assert not thread.is_alive() and not thread.errors
    assert len(trainer.history.epochs) == 2 and not trainer.stopped


def test_step_batch_step_epoch_and_stop():
    x, y = blobs()
    control = TrainControl()
    control.pause()
    infos: list[BatchInfo] = []
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=5, batch_size=32), control)
    thread = start(trainer, on_batch=infos.append)
    control.step_batch()
    wait_until(lambda: control.state == "paused" and len(trainer.history) == 1)
    time.sleep(0.05)
    assert len(trainer.history) == 1
    control.step_batch(3)
    wait_until(lambda: control.state == "paused" and len(trainer.history) == 4)
    control.step_epoch()
    wait_until(lambda: control.state == "paused" and len(trainer.history.epochs) == 1)
    assert len(trainer.history) == 6 and infos[-1].batch == 6
    control.step_epoch()
    wait_until(lambda: control.state == "paused" and len(trainer.history.epochs) == 2)
    assert len(trainer.history) == 12
    control.stop()
    thread.join(10)
    assert not thread.is_alive() and not thread.errors
    assert trainer.stopped and control.state == "stopped"
    assert len(trainer.history) == 12
    control.resume()  # a stopped control stays stopped
    assert control.state == "stopped"


def test_stop_while_running():
    x, y = blobs(2000)
    control = TrainControl()
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=1000, batch_size=8), control)
    thread = start(trainer)
    wait_until(lambda: len(trainer.history) > 3)
    control.stop()
    thread.join(10)
    assert not thread.is_alive() and trainer.stopped and len(trainer.history.epochs) < 1000


def test_lr_and_batch_size_changes_apply_between_batches():
    x, y = blobs()
    control = TrainControl()
    control.pause()
    infos: list[BatchInfo] = []
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=2, batch_size=32, lr=0.01), control)
    thread = start(trainer, on_batch=infos.append)
    control.step_batch()
    wait_until(lambda: len(infos) == 1 and control.state == "paused")
    control.set_lr(0.5)
    control.set_batch_size(10)
    control.step_batch(2)
    wait_until(lambda: len(infos) == 3 and control.state == "paused")
    assert infos[0].lr == 0.01 and infos[0].batch_size == 32
    assert infos[1].lr == 0.5 and infos[1].batch_size == 10
    assert trainer.optimizer.lr == 0.5
    assert infos[1].n_batches == 2 + (180 - 42 + 9) // 10
    assert trainer.history.batch_lr[-1] == pytest.approx(0.5)
    control.resume()
    thread.join(10)
    assert not thread.errors and trainer.history.epochs[-1].lr == 0.5
    with pytest.raises(ValueError):
        control.set_lr(0)
    with pytest.raises(ValueError):
        control.set_batch_size(0)


def test_divergence_restores_last_good_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype(np.float32) * 1000
    y = (x @ np.array([[1.0], [2.0], [3.0]], np.float32)).astype(np.float32)
    net = Network(get_template("linear"), seed=0)
    before = net.get_weights()
    trainer = Trainer(net, x, y, TrainConfig(epochs=5, batch_size=32, lr=1.0, optimizer="sgd"))
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as info:
        trainer.run()
    assert "Lower the learning rate" in str(info.value) and "restored" in str(info.value)
    assert info.value.lr == 1.0
    after = net.get_weights()
    for key in before:
        assert np.isfinite(after[key]).all()
        np.testing.assert_array_equal(after[key], before[key])


def test_history_grows_and_round_trips():
    hist = History()
    for i in range(1000):
        hist.append_batch(1.0 / (i + 1), None if i % 2 else 0.5, 0.01, 1 + i // 500)
    hist.epochs.append(EpochInfo(1, 0.5, None, 0.4, None, 0.01, 1.5))
    hist.epochs.append(EpochInfo(2, 0.3, 0.9, None, None, 0.01, 3.0))
    assert len(hist) == 1000 and hist.batch_loss[999] == pytest.approx(0.001)
    assert np.isnan(hist.batch_accuracy[1]) and hist.batch_accuracy[0] == 0.5
    d = hist.to_dict()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in d.values())
    again = History.from_dict(d)
    assert len(again) == 1000
    np.testing.assert_allclose(again.batch_loss, hist.batch_loss, rtol=1e-6)
    assert again.epochs[0].train_accuracy is None and again.epochs[0].val_loss == 0.4
    assert again.epochs[1].train_accuracy == pytest.approx(0.9)
    again.append_batch(0.1, 0.2, 0.3, 3)
    assert len(again) == 1001
    assert len(History.from_dict({})) == 0


def test_shift_images():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 9, 9), np.float32)
    x[:, 4, 4] = 1
    out = shift_images(x, 2, rng)
    assert out.shape == x.shape and out.flags.c_contiguous
    rows, cols = np.nonzero(out.sum(0))
    assert set(rows) <= set(range(2, 7)) and len(set(zip(rows, cols, strict=True))) > 5
    assert np.all(out.reshape(50, -1).sum(1) == 1)
    x4 = np.zeros((5, 3, 9, 9), np.float32)
    assert shift_images(x4, 1, rng).shape == (5, 3, 9, 9)
    assert shift_images(x[:, 0], 2, rng) is not None
    assert shift_images(x, 0, rng) is x


@pytest.mark.parametrize("kwargs", [
    {"epochs": 0}, {"batch_size": 0}, {"lr": 0.0}, {"lr": float("nan")},
    {"optimizer": "rmsprop"}, {"val_split": 1.0}, {"weight_decay": -1.0},
])
def test_bad_config(kwargs):
    x, y = blobs(20)
    with pytest.raises(ValueError):
        Trainer(tiny_net(), x, y, TrainConfig(**kwargs))


def test_explicit_validation_data_and_no_split():
    x, y = blobs()
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=1, val_split=0.0))
    assert trainer.x_val is None and len(trainer.train_idx) == 200
    trainer.run()
    assert trainer.history.epochs[0].val_loss is None
    xv, yv = blobs(50, seed=1)
    trainer = Trainer(tiny_net(), x, y, TrainConfig(epochs=1), x_val=xv, y_val=yv)
    trainer.run()
    assert len(trainer.train_idx) == 200 and trainer.history.epochs[0].val_accuracy is not None


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_the_views_hold_out_exactly_the_samples_the_trainer_holds_out(n):
    """The Inside views mark as held out the very samples the Trainer validates on."""
    from nnstudio.core.training import split_indices

    x, y = blobs(n, seed=3)
    x = x + np.arange(n, dtype=np.float32)[:, None]     # every sample unique
    config = TrainConfig(epochs=1, val_split=0.2, seed=11)
    trainer = Trainer(tiny_net(), x, y, config)
    train_idx, val_idx = split_indices(n, config.val_split, np.random.default_rng(config.seed))
    assert np.array_equal(trainer.train_idx, train_idx)
    if trainer.x_val is None:
        assert len(val_idx) == 0
    else:
        assert np.array_equal(trainer.x_val, x[val_idx])
    assert sorted([*train_idx, *val_idx]) == list(range(n))


def test_control_tells_which_commands_reached_the_loop() -> None:
    """``seen`` is the latest command number the loop had when it went on to a batch."""
    control = TrainControl()
    with control.command(3):
        control.pause()
    result: list[bool] = []
    loop = threading.Thread(target=lambda: result.append(control.wait()))
    loop.start()  # blocks: paused
    time.sleep(0.05)
    assert loop.is_alive() and control.seen == 0
    with control.command(4):
        control.resume()
    loop.join(5)
    assert result == [True] and control.seen == 4
    with control.command(5):  # after the loop's last look: it never saw this one
        control.step_batch(1)
    assert control.seen == 4 and control.needs_wait  # a loop must look before a batch
    assert control.wait() and control.seen == 5  # the next look sees it
    assert not control.needs_wait
    assert control.wait() and control.seen == 5
