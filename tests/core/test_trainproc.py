"""The training child process, driven through its pipe (no Qt)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.design import Design, design_to_json
from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig
from nnstudio.core.trainproc import TrainingProcess
from nnstudio.core.trainprotocol import Exited, Failed, Finished, Heartbeat, Metrics, Unresponsive

ROOT = Path(__file__).resolve().parents[2]


def tiny_design(activation: str = "tanh") -> Design:
    d = Design("tiny")
    d.add_node("Input", {"shape": [2]}, node_id="in")
    d.add_node("Dense", {"units": 8, "activation": activation}, node_id="fc1")
    d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
        d.connect(a, b)
    return d


def blobs(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.int64)
    x = (rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
    return x, y


X, Y = blobs()


@pytest.fixture(scope="module")
def proc():
    p = TrainingProcess(threads=1)
    yield p
    assert p.shutdown(5.0)
    p.close()


def start(proc: TrainingProcess, design: Design | None = None, token: str = "blobs",
          x: np.ndarray = X, y: np.ndarray = Y, **cfg) -> tuple[int, dict]:
    design = design or tiny_design()
    weights = Network(design).get_weights()
    config = dataclasses.asdict(TrainConfig(**{"epochs": 2, "batch_size": 16, **cfg}))
    return proc.run(design_json=design_to_json(design), weights=weights, config=config, x=x, y=y,
                    token=token), weights


def messages(proc: TrainingProcess, run_id: int, until, timeout: float = 20.0) -> list:
    """Messages of ``run_id`` up to and including the first for which ``until(msg)``."""
    out: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = proc.recv(0.1)
        if msg is None or (getattr(msg, "run", None) != run_id and not isinstance(msg, Exited)):
            continue
        out.append(msg)
        if until(msg):
            return out
    raise AssertionError(f"timed out; got {[type(m).__name__ for m in out]}")


def is_end(msg) -> bool:
    return isinstance(msg, Finished | Failed | Exited)


def is_metrics(msg) -> bool:
    return isinstance(msg, Metrics) and len(msg.loss) > 0


def n_batches(msgs: list) -> int:
    return sum(len(m.loss) for m in msgs if isinstance(m, Metrics))


def test_trains_and_sends_metrics_and_final_weights(proc):
    run_id, before = start(proc)
    msgs = messages(proc, run_id, is_end)
    end = msgs[-1]
    assert isinstance(end, Finished), getattr(end, "message", "")
    assert not end.stopped
    snaps = [m for m in msgs if isinstance(m, Metrics)]
    n = n_batches(msgs)
    assert n == len(end.history["batch_loss"]) == 2 * int(np.ceil(900 / 16))
    index = np.concatenate([m.index for m in snaps])
    assert np.array_equal(index, np.arange(n))
    epochs = [e.info for m in snaps for e in m.epochs]
    assert [e.epoch for e in epochs] == [1, 2]
    assert epochs[-1].val_accuracy > 0.8
    assert any(m.weights for m in snaps) and snaps[-1].grad_norms
    done = np.cumsum([len(m.loss) for m in snaps])
    for m, batches in zip(snaps, done, strict=True):     # the optimizer's memory comes along
        if m.weights:
            assert m.optimizer.name == "adam" and m.optimizer.t == batches
            assert m.optimizer.params["fc1/W"]["m1"].shape == m.weights["fc1/W"].shape
    assert snaps[-1].progress.samples_seen == 2 * 900
    after = end.weights
    assert set(after) == set(before) and all(v.dtype == np.float32 for v in after.values())
    assert any(not np.allclose(before[k], after[k]) for k in before)


def test_epochs_of_milliseconds_arrive_whole_in_paced_messages(proc):
    """A network whose epochs take a millisecond sends no more messages, and no more weight
    copies, than the paces allow, and still every epoch's figures arrive, in order."""
    from nnstudio.core.trainchild import SNAPSHOT_HZ, WEIGHTS_HZ

    x, y = blobs(60, seed=3)
    t0 = time.monotonic()
    run_id, _ = start(proc, token="blobs60", x=x, y=y, epochs=400, batch_size=64,
                      val_split=0.0)
    msgs = messages(proc, run_id, is_end, timeout=60)
    span = time.monotonic() - t0
    assert isinstance(msgs[-1], Finished)
    snaps = [m for m in msgs if isinstance(m, Metrics)]
    assert [e.info.epoch for m in snaps for e in m.epochs] == list(range(1, 401))
    assert len(msgs[-1].history["epoch_epoch"]) == 400
    # one extra message each way: the last one, sent as the run ends
    assert len(snaps) <= span * SNAPSHOT_HZ + 2, (len(snaps), span)
    assert sum(1 for m in snaps if m.weights) <= span * WEIGHTS_HZ + 2, span
    assert snaps[-1].weights                        # the run's last weights, as always


def test_dataset_is_sent_once_per_token(proc):
    sent = proc.datasets_sent
    for _ in range(2):
        run_id, _ = start(proc, epochs=1)
        end = messages(proc, run_id, is_end)[-1]
        assert isinstance(end, Finished)
    assert proc.datasets_sent == sent + (0 if sent else 1)
    assert end.cached
    run_id, _ = start(proc, token="other", x=X[:500], y=Y[:500], epochs=1)
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Finished) and not end.cached
    assert proc.datasets_sent == max(sent, 1) + 1
    assert proc.starts == 1


def test_pause_step_lr_and_stop_round_trip(proc):
    run_id, _ = start(proc, epochs=1000)
    messages(proc, run_id, is_metrics)
    proc.pause()
    seq = proc.last_seq
    messages(proc, run_id, lambda m: isinstance(m, Metrics) and m.seq >= seq
             and m.state == "paused")
    quiet = [m for m in (proc.recv(0.1) for _ in range(3)) if m is not None]
    assert n_batches(quiet) == 0, "a paused run kept training"
    proc.step_batch(1)
    msgs = messages(proc, run_id, is_metrics)
    assert n_batches(msgs) == 1
    proc.set_lr(0.05)
    proc.resume()
    msgs = messages(proc, run_id, lambda m: isinstance(m, Metrics) and len(m.lr) > 0
                    and m.lr[-1] == pytest.approx(0.05))
    proc.stop()
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Finished) and end.stopped
    assert end.history["batch_lr"][-1] == pytest.approx(0.05)


def test_errors_arrive_as_messages(proc):
    design = tiny_design()
    weights = Network(design).get_weights()
    config = dataclasses.asdict(TrainConfig(epochs=1, batch_size=16))
    run_id = proc.run(design_json=design_to_json(design), weights=weights, config=config, x=X, y=Y,
                      token="blobs", fail=(3, "simulated failure"))
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Failed) and end.kind == "other"
    assert "simulated failure" in end.message and "RuntimeError" in end.detail
    assert end.weights is not None

    step = tiny_design("step")
    run_id, _ = start(proc, design=step)
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Failed) and end.kind == "not_trainable"
    assert "perceptron" in end.message or "sigmoid" in end.message

    run_id = proc.run(design_json=design_to_json(design), weights={"fc1/W": np.zeros((3, 3))},
                      config=config, x=X, y=Y, token="blobs")
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Failed) and end.kind == "design"

    run_id, _ = start(proc, token="bad", x=X, y=Y[:10])
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Failed) and end.kind == "data" and "targets" in end.message

    line = Design("line")
    line.add_node("Input", {"shape": [2]}, node_id="in")
    line.add_node("Dense", {"units": 1, "activation": "linear"}, node_id="fc")
    line.add_node("Output", {"loss": "mse"}, node_id="out")
    line.connect("in", "fc")
    line.connect("fc", "out")
    steep = X[:256] * 1e3
    run_id, _ = start(proc, design=line, token="steep", x=steep,
                      y=(steep.sum(1, keepdims=True) * 1e3).astype(np.float32), lr=10.0,
                      optimizer="sgd")
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Failed) and end.kind == "diverged"
    assert "learning rate" in end.message
    assert proc.alive, "an error in a run must not end the process"


def _state(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((line.split()[1] for line in text.splitlines() if line.startswith("State:")),
                None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_child_exits_when_the_parent_dies():
    code = (
        "import sys, time, dataclasses\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.core.test_trainproc import start, X\n"
        "from nnstudio.core.trainproc import TrainingProcess\n"
        "p = TrainingProcess(threads=1)\n"
        "run_id, _ = start(p, epochs=100000)\n"
        "while True:\n"
        "    m = p.recv(0.1)\n"
        "    if type(m).__name__ == 'Metrics':\n"
        "        break\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(ROOT)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        child = int(parent.stdout.readline())
        assert _state(child) not in (None, "Z")
    finally:
        parent.kill()  # no chance to say goodbye: the child only sees the pipe close
        parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _state(child) not in (None, "Z"):
        time.sleep(0.05)
    state = _state(child)
    if state not in (None, "Z"):
        os.kill(child, 9)
    assert state in (None, "Z"), "the training child outlived its parent"


def test_a_paused_run_keeps_its_heartbeat(proc, monkeypatch):
    monkeypatch.setattr(proc, "stall_s", 1.0)
    run_id, _ = start(proc, epochs=1000)
    messages(proc, run_id, is_metrics)
    proc.pause()
    seq = proc.last_seq
    messages(proc, run_id, lambda m: isinstance(m, Metrics) and m.seq >= seq
             and m.state == "paused")
    quiet_until = time.monotonic() + proc.stall_s + 0.5
    while time.monotonic() < quiet_until:
        msg = proc.recv(0.1)
        assert not isinstance(msg, Unresponsive), "a paused child counted as not responding"
    assert proc.responsive and proc.silent_s < 1.0
    proc.stop()
    assert isinstance(messages(proc, run_id, is_end)[-1], Finished)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX job control")
def test_a_stopped_child_is_noticed_within_seconds_and_ended_at_once():
    p = TrainingProcess(threads=1, stall_s=1.0)
    try:
        run_id, _ = start(p, epochs=100000)
        messages(p, run_id, is_metrics)
        pid = p.pid
        os.kill(pid, signal.SIGSTOP)
        t0 = time.monotonic()
        msgs = messages(p, run_id, lambda m: isinstance(m, Unresponsive), timeout=10)
        noticed = time.monotonic() - t0
        assert noticed < p.stall_s + 1.5, f"noticed after {noticed:.1f} s"
        assert msgs[-1].silent_s >= p.stall_s and not p.responsive
        os.kill(pid, signal.SIGCONT)  # it comes back: the next sign of life is handed on
        back = messages(p, run_id, lambda m: isinstance(m, Heartbeat | Metrics), timeout=10)
        assert back and p.responsive
        os.kill(pid, signal.SIGSTOP)
        messages(p, run_id, lambda m: isinstance(m, Unresponsive), timeout=10)
        t0 = time.monotonic()
        assert not p.shutdown(timeout=5.0)  # not on request: it was killed
        assert time.monotonic() - t0 < 1.0, "ending a stopped child waited"
        assert not p.alive
        assert _state(pid) in (None, "Z")
    finally:
        if p.alive:
            os.kill(p.pid, signal.SIGCONT)
        p.close()


def test_the_child_runs_the_parents_nnstudio_not_the_working_folders(tmp_path, monkeypatch):
    broken = tmp_path / "nnstudio"
    (broken / "core").mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('a different, broken nnstudio')\n")
    (broken / "core" / "__init__.py").write_text("")
    (broken / "core" / "trainchild.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    p = TrainingProcess(threads=1)
    try:
        run_id, _ = start(p, epochs=1)
        end = messages(p, run_id, is_end)[-1]
        assert isinstance(end, Finished), end
        import nnstudio

        assert p.hello is not None
        assert Path(p.hello.package) == Path(nnstudio.__file__).resolve().parent
    finally:
        p.close()


def test_a_step_neuron_learns_by_the_perceptron_rule_in_the_child(proc):
    from nnstudio.core.templates import get_template
    from nnstudio.data.lessons import perceptron_set

    design = get_template("perceptron")
    ds = perceptron_set("and")
    config = dataclasses.asdict(TrainConfig(epochs=500, lr=0.1, val_split=0.0))
    run_id = proc.run(design_json=design_to_json(design), weights=Network(design).get_weights(),
                      config=config, x=ds.x, y=ds.y, token="and", start="step_batch")
    msgs = messages(proc, run_id, lambda m: isinstance(m, Metrics) and m.state == "paused"
                    and len(m.loss) > 0)
    assert n_batches(msgs) == 1                      # "step one sample": one sample
    proc.resume()
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Finished), getattr(end, "message", "")
    assert end.outcome["kind"] == "separated" and not end.stopped
    mistakes = end.history["epoch_train_loss"]
    assert mistakes[-1] == 0 and len(mistakes) < 500
    net = Network(design)
    net.set_weights(end.weights)
    assert net.predict(ds.x).reshape(-1).tolist() == [0, 0, 0, 1]

    xor = perceptron_set("xor")
    run_id, _ = start(proc, design=design, token="xor", x=xor.x, y=xor.y, epochs=500, lr=0.1,
                      val_split=0.0)
    end = messages(proc, run_id, is_end)[-1]
    assert isinstance(end, Finished) and end.outcome["kind"] == "cycle"
    assert min(end.history["epoch_train_loss"]) > 0


def test_the_training_process_computes_on_every_core_like_the_command_line(monkeypatch):
    from nnstudio.core import parallel, threads

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NNSTUDIO_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert threads.training_threads() == 2
    assert TrainingProcess().threads == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert threads.training_threads() == threads.MAX_TRAINING_THREADS == parallel._default_threads()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")      # the person's setting wins
    assert threads.training_threads() == 1


def _nice_of_threads(pid: int) -> list[int]:
    """The nice value of every thread of process ``pid`` (Linux /proc)."""
    values = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        values.append(int(stat.rsplit(")", 1)[1].split()[16]))   # field 19: nice
    return values


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_every_thread_of_the_training_process_runs_at_the_lower_priority():
    from nnstudio.core.trainchild import NICENESS

    p = TrainingProcess(threads=2)
    try:
        run_id, _ = start(p, epochs=1)
        assert isinstance(messages(p, run_id, is_end)[-1], Finished)
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        nice = _nice_of_threads(p.hello.pid)
        assert len(nice) >= 3                         # main, listener, heartbeat (and BLAS)
        assert set(nice) == {min(19, mine + NICENESS)}, nice
    finally:
        p.close()


def test_the_training_process_runs_the_engine_threads_with_single_threaded_blas():
    from nnstudio.core.threads import training_process_environment

    assert training_process_environment(2, {}) == {
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NNSTUDIO_THREADS": "2"}
    # what the person set stays
    mine = training_process_environment(3, {"OPENBLAS_NUM_THREADS": "2"})
    assert "OPENBLAS_NUM_THREADS" not in mine and mine["NNSTUDIO_THREADS"] == "3"
    assert training_process_environment(3, {"NNSTUDIO_THREADS": "5"})["NNSTUDIO_THREADS"] == "3"
