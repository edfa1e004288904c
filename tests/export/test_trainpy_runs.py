"""A run trained by the exported train.py under torchrun comes back as an nnstudio run record:
listed, its curves and checkpoints read, its weights the PyTorch model's, a parent for a
fork, readable by TensorBoard, and "interrupted" when it is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.core.modelfile import load_model
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.core.training import TrainConfig, Trainer
from nnstudio.export.parity import export_model
from nnstudio.export.pytorch import load_generated, state_dict_arrays
from nnstudio.export.runrecord_template import RUNRECORD
from nnstudio.runs import layout as L
from nnstudio.runs.listing import RunError
from nnstudio.runs.reader import list_runs, open_run
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import RunWriter

torch = pytest.importorskip("torch")

CLASSES = [str(i) for i in range(10)]
#: 240 digits, 24 held out: 216 to train on, 108 per process, 7 batches of 16 (the last 12)
BATCHES, TRAIN_SAMPLES = 7, 216


def _torchrun() -> str:
    here = Path(sys.executable).with_name("torchrun")
    found = str(here) if here.exists() else shutil.which("torchrun")
    if found is None:
        pytest.skip("torchrun is not installed")
    return found


def _export(folder: Path) -> Network:
    """The small convolutional template exported to PyTorch: Conv2D weights keep their
    layout, Dense ones are transposed."""
    net = Network(get_template("cnn16"), seed=0)
    export_model(net, "pytorch", folder, {"classes": CLASSES}, check=False)
    return net


def _torchrun_cmd(pt: Path, data: Path, *args: str) -> list[str]:
    return [_torchrun(), "--standalone", "--nproc-per-node=2", str(pt / "train.py"),
            "--data", f"idx:{data}", "--batch-size", "32", *args]


_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory, idx_digits):
    """train.py under torchrun, 2 gloo processes, 2 epochs, recording into ./runs."""
    work = tmp_path_factory.mktemp("ddp")
    net = _export(work / "pt")
    run = subprocess.run(_torchrun_cmd(work / "pt", idx_digits, "--epochs", "2", "--out",
                                       "trained.npz"),
                         capture_output=True, text=True, env=_ENV, timeout=300, cwd=work)
    assert run.returncode == 0, run.stderr[-3000:]
    runs = list((work / "runs").iterdir())                # ./runs by default
    return {"work": work, "net": net, "stdout": run.stdout, "data": idx_digits, "runs": runs}


def test_a_torchrun_run_is_a_run_record_written_by_rank_0_alone(ddp_run, capsys):
    work = ddp_run["work"]
    assert "2 process(es) on cpu, batch 16 x 2" in ddp_run["stdout"]
    (path,) = ddp_run["runs"]                          # one run
    assert ddp_run["stdout"].count(f"run {path.name} kept in") == 1
    # rank 1 wrote nothing: no other file anywhere, and every file of the run is rank 0's
    assert {p.name for p in work.iterdir()} == {"pt", "runs", "trained.npz"}
    (events,) = path.glob("events.out.tfevents.*")
    pid = (path / L.LOCK_FILE).read_text().split()[0]
    assert events.name.endswith(f".{pid}")
    assert {p.name for p in path.iterdir()} == {
        L.RUN_FILE, L.DESIGN_FILE, L.SUMMARY_FILE, L.BATCH_FILE, L.EPOCH_FILE,
        L.CHECKPOINT_INDEX, L.CHECKPOINT_DIR, L.LOCK_FILE, events.name}

    (summary,) = list_runs(work / "runs")
    assert (summary.state, summary.problem, summary.epochs, summary.epochs_planned) == \
        ("finished", "", 2, 2)
    assert (summary.design, summary.data) == ("cnn16", f"idx:{ddp_run['data']}")
    run = open_run(path)
    assert run.info["origin"] == "train.py" and run.info["seed"] == 0
    assert run.info["classes"] == CLASSES and run.info["image_size"] == 16
    assert run.info["trained_with"]["processes"] == 2
    assert run.design().name == "cnn16"
    TrainConfig(**run.config).validate()               # the studio's settings, seed and all

    b = run.batches()
    assert list(b["epoch"]) == [1] * BATCHES + [2] * BATCHES
    assert list(b["batch"]) == list(range(1, BATCHES + 1)) * 2
    per_batch = [32] * (BATCHES - 1) + [24]            # global batches: both processes
    assert list(np.diff(b["samples"], prepend=0)) == per_batch * 2
    assert np.all(np.isfinite(b["loss"])) and np.all((b["accuracy"] >= 0) & (b["accuracy"] <= 1))
    assert np.all(np.diff(b["elapsed"]) >= 0) and set(b["lr"]) == {run.config["lr"]}
    epochs = run.epochs()
    assert [(e["epoch"], e["samples"]) for e in epochs] == [(1, TRAIN_SAMPLES),
                                                           (2, 2 * TRAIN_SAMPLES)]
    for e in epochs:                # the epoch's cost is its batches', over both processes
        mine = b["epoch"] == e["epoch"]
        n = np.diff(b["samples"], prepend=0)[mine]
        assert e["train_loss"] == pytest.approx(np.sum(b["loss"][mine] * n) / n.sum())
        assert f"train_loss {e['train_loss']:.4f}" in ddp_run["stdout"]
        assert 0 <= e["val_accuracy"] <= 1 and np.isfinite(e["val_loss"])

    ckpts = run.checkpoints()
    assert [(c.kind, c.epoch, c.batch) for c in ckpts] == [
        ("initial", 0, 0), ("early", 1, 1), ("early", 1, 2), ("early", 1, 4), ("epoch", 1, 0),
        ("epoch", 2, 0)]
    assert [c.samples for c in ckpts] == [0, 32, 64, 128, TRAIN_SAMPLES, 2 * TRAIN_SAMPLES]
    assert run.checkpoint("best").n == summary.best["checkpoint"]

    assert cli.main(["runs", "list", str(work / "runs")]) == 0
    listed = capsys.readouterr().out
    assert path.name in listed and "cnn16" in listed and "finished" in listed


def test_its_checkpoints_hold_the_pytorch_weights_in_nnstudios_layout(ddp_run):
    work, net = ddp_run["work"], ddp_run["net"]
    (path,) = ddp_run["runs"]
    run = open_run(path)
    # the initial checkpoint is the exported model's state, converted back: exactly the
    # weights nnstudio exported (Dense transposed twice, Conv2D as it is)
    initial = run.weights("initial")
    assert set(initial) == set(net.get_weights())
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(initial[name], value)
    # the last is the trained state: the model file train.py wrote holds the same
    last = run.network("last")
    saved = load_model(work / "trained.npz").network.get_weights()
    for name, value in last.get_weights().items():
        np.testing.assert_array_equal(value, saved[name])
        assert not np.array_equal(value, initial[name])
    # and loaded into the PyTorch model it answers as nnstudio does
    module = load_generated(work / "pt")
    model = module.Model()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict_arrays(last).items()},
                          strict=True)
    model.eval()
    x = np.random.default_rng(0).random((5, 1, 16, 16), dtype=np.float32)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(last.predict(x), theirs, atol=1e-5)


def test_a_torchrun_run_copied_home_is_a_parent_to_continue_from(ddp_run, tmp_path):
    from nnstudio.cli.common import fit_data, load_data

    (came_back,) = ddp_run["runs"]
    runs = tmp_path / "runs"                  # the studio's runs folder, the run copied in
    shutil.copytree(came_back, runs / came_back.name)
    base = open_run(runs / came_back.name)
    at = next(c for c in base.checkpoints() if c.kind == "epoch" and c.epoch == 1)
    net = base.network(at.n)
    ds = load_data(base.info["data"], base.info["image_size"])   # its data, as run.json says
    x, y = fit_data(net, ds, "the run's data")
    config = TrainConfig(**{**base.config, "epochs": 1, "lr": 0.0005})
    trainer = Trainer(net, x, y, config, history=base.history(at))
    writer = RunWriter(runs, RunStart(
        design=net.design, data=base.info["data"], config=asdict(config),
        classes=base.info["classes"], image_size=base.info["image_size"],
        parent={"run": base.id, "checkpoint": at.n}),
        offset_samples=at.samples, offset_elapsed=at.elapsed)
    rec = Recorder(writer, net)
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    fork = open_run(writer.path)
    assert fork.summary.parent == {"run": base.id, "checkpoint": at.n}
    assert fork.batches()["samples"][0] == at.samples + 32
    assert [e["epoch"] for e in fork.epochs()] == [2]
    for name, value in fork.weights("initial").items():
        np.testing.assert_array_equal(value, base.weights(at.n)[name])
    assert {r.id: r.state for r in list_runs(runs)} == {base.id: "finished",
                                                       fork.id: "finished"}


def test_tensorboard_reads_a_torchrun_run(ddp_run):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import metadata as hp_metadata

    (path,) = ddp_run["runs"]
    run = open_run(path)
    acc = event_accumulator.EventAccumulator(str(path),
                                             size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    losses = acc.Scalars("batch/loss")
    b = run.batches()
    assert [e.step for e in losses] == list(b["samples"].astype(int))
    assert [e.value for e in losses] == pytest.approx(list(b["loss"]), rel=1e-6)
    val = acc.Scalars("epoch/val_accuracy")
    assert [e.value for e in val] == pytest.approx([e["val_accuracy"] for e in run.epochs()])
    (events,) = path.glob("events.out.tfevents.*")
    start = end = None
    for event in EventFileLoader(str(events)).Load():
        for value in event.summary.value:
            content = value.metadata.plugin_data.content
            if value.tag == hp_metadata.SESSION_START_INFO_TAG:
                start = hp_metadata.parse_session_start_info_plugin_data(content)
            elif value.tag == hp_metadata.SESSION_END_INFO_TAG:
                end = hp_metadata.parse_session_end_info_plugin_data(content)
    assert start.hparams["lr"].number_value == pytest.approx(run.config["lr"])
    assert start.hparams["design"].string_value == "cnn16"
    assert start.hparams["shuffle"].bool_value is True
    assert start.group_name == run.id and end.status == api_pb2.STATUS_SUCCESS


def test_the_record_writer_shipped_with_train_py_matches_nnstudios(tmp_path):
    """runrecord.py is one fixed text; its format, columns and CRC are nnstudio's."""
    from nnstudio.runs import tfevents
    from nnstudio.runs.thinning import EARLY_FRACTIONS, early_batches

    folder = tmp_path / "pt"
    _export(folder)
    assert (folder / "runrecord.py").read_text() == RUNRECORD
    namespace: dict = {}
    exec(compile(RUNRECORD, "runrecord.py", "exec"), namespace)   # our own fixed text
    assert (namespace["FORMAT"], namespace["VERSION"]) == (L.FORMAT, L.FORMAT_VERSION)
    assert namespace["BATCH_COLUMNS"] == L.BATCH_COLUMNS
    assert namespace["EARLY_FRACTIONS"] == EARLY_FRACTIONS
    for n in range(1, 40):
        assert namespace["early_batches"](n) == early_batches(n)
    import crc32c

    for data in (b"", b"a", bytes(range(256)), b"\x00" * 13):
        assert namespace["masked_crc"](data) == tfevents.masked_crc(data)
        # without the crc32c package, the plain Python CRC frames the records
        assert namespace["crc32c_py"](data) == crc32c.crc32c(data)
    assert namespace["framed"](b"xyz") == tfevents.record(b"xyz")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_torchrun_run_killed_mid_way_is_listed_interrupted(tmp_path, idx_digits, capsys):
    _export(tmp_path / "pt")
    proc = subprocess.Popen(_torchrun_cmd(tmp_path / "pt", idx_digits, "--epochs", "100000",
                                          "--runs", "kept"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV,
                            cwd=tmp_path)
    try:
        end = time.monotonic() + 120
        # three epochs checkpointed (an epoch's line reaches the disk just before its
        # checkpoint, so counting lines could kill it between the two)
        while _epoch_checkpoints(tmp_path / "kept") < 3:
            assert proc.poll() is None and time.monotonic() < end, "train.py did not train"
            time.sleep(0.05)
        (path,) = (tmp_path / "kept").iterdir()
        assert list_runs(tmp_path / "kept")[0].state == "running"    # rank 0 holds the lock
        pid = int((path / L.LOCK_FILE).read_text().split()[0])
        assert _parent(pid) == proc.pid            # a worker of this torchrun: rank 0
        os.kill(pid, signal.SIGKILL)               # as a machine going off would
        proc.wait(120)                             # torchrun ends the other process
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode != 0
    (summary,) = list_runs(tmp_path / "kept")
    assert summary.state == "interrupted" and summary.problem == ""
    run = open_run(path)
    ckpts = run.checkpoints()
    assert ckpts[0].kind == "initial" and sum(c.kind == "epoch" for c in ckpts) >= 3
    for c in ckpts:
        assert all(np.isfinite(w).all() for w in run.weights(c.n).values())
    assert len(run.epochs()) >= max(3, summary.epochs)
    assert len(run.batches()["loss"]) >= BATCHES * len(run.epochs())
    assert cli.main(["runs", "list", str(tmp_path / "kept")]) == 0
    assert "interrupted" in capsys.readouterr().out


def _lines(folder: Path, name: str) -> int:
    """Whole lines in the file ``name`` of the one run in ``folder`` (0 before it is there)."""
    for path in folder.glob(f"*/{name}"):
        return path.read_bytes().count(b"\n")
    return 0


def _epoch_checkpoints(folder: Path) -> int:
    """Epoch-end checkpoints stored so far by the one run in ``folder`` (0 before it is)."""
    for path in folder.glob("*/" + L.CHECKPOINT_INDEX):
        try:
            return sum(c.kind == "epoch" for c in open_run(path.parent).checkpoints())
        except RunError:
            return 0
    return 0


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        pytest.skip("no /proc here to check the process")
    return next(int(line.split()[1]) for line in status.read_text().splitlines()
                if line.startswith("PPid:"))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
def test_a_full_disk_stops_recording_with_one_warning_while_train_py_goes_on(tmp_path):
    """A file-size limit makes writes past 16 KB fail as a full disk does (EFBIG where a
    full disk gives ENOSPC): the record stops growing, training runs all its epochs and
    the model file is written."""
    import resource

    from nnstudio.core.templates import chain

    rng = np.random.default_rng(1)
    rows = ["size,colour,label"] + [
        f"{s:.3f},{c},{'big' if s > 5 else 'small'}"
        for s, c in zip(rng.normal(5, 2, 200), rng.choice(["red", "blue"], 200), strict=True)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    table = chain("table", [3], [("hidden", "Dense", {"units": 8, "activation": "tanh"}),
                                 ("scores", "Dense", {"units": 2, "activation": "softmax"})],
                  "cross_entropy")
    export_model(Network(table, seed=0), "pytorch", tmp_path / "pt",
                 {"classes": ["big", "small"]}, check=False)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 10, 16 << 10))

    out = subprocess.run(
        [sys.executable, str(tmp_path / "pt" / "train.py"), "--data",
         f"csv:{tmp_path / 't.csv'}:label=label", "--epochs", "30", "--batch-size", "8"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, preexec_fn=limit,
        env={**_ENV, "PYTHONDONTWRITEBYTECODE": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    warnings = [line for line in out.stderr.splitlines() if "run record" in line]
    assert len(warnings) == 1, out.stderr
    assert "File too large" in warnings[0] and "training goes on" in warnings[0]
    assert sum(line.startswith("epoch ") for line in out.stdout.splitlines()) == 30
    assert load_model(tmp_path / "model.npz").classes == ["big", "small"]
    (summary,) = list_runs(tmp_path / "runs")
    assert (summary.state, summary.problem) == ("finished", "")
    assert "recording stopped after epoch" in summary.message and 0 < summary.epochs < 30
    run = open_run(summary.path)
    assert len(run.epochs()) == summary.epochs
    assert run.network("last").predict(np.zeros((1, 3), np.float32)).shape == (1, 2)


def test_runs_folder_options_of_train_py(tmp_path, idx_digits):
    """./runs by default (here the test's own folder), --runs FOLDER, --no-record."""
    from tests.export.generated import run_train_here

    _export(tmp_path / "pt")
    common = ("--data", f"idx:{idx_digits}", "--epochs", "1", "--max-steps", "2",
              "--batch-size", "16", "--device", "cpu")
    done = run_train_here(tmp_path / "pt", *common, "--no-record", "--out", "a.npz")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "runs").exists() and "kept in" not in done.stdout
    done = run_train_here(tmp_path / "pt", *common, "--runs", "far/away", "--out", "b.npz")
    assert done.returncode == 0, done.stderr
    (summary,) = list_runs(tmp_path / "far" / "away")
    assert not (tmp_path / "runs").exists()
    run = open_run(summary.path)
    assert (summary.state, summary.epochs) == ("finished", 1)
    assert run.info["trained_with"]["processes"] == 1
    assert list(run.batches()["samples"]) == [16, 32]      # batch 16 x 1, two steps
    assert [c.kind for c in run.checkpoints()] == ["initial", "early", "epoch"]


@pytest.mark.parametrize("damage", ["missing", "axes", "not a list"])
def test_a_damaged_weight_map_is_one_clear_line(tmp_path, idx_digits, damage):
    from tests.export.generated import run_train_here

    _export(tmp_path / "pt")
    settings_file = tmp_path / "pt" / "train.json"
    settings = json.loads(settings_file.read_text())
    maps = settings["weights"]
    if damage == "missing":
        maps.pop("fc1.weight")
    elif damage == "axes":
        maps["fc1.weight"][1] = [0, 0]
    else:
        maps["conv1.bias"] = "conv1/b"
    settings_file.write_text(json.dumps(settings))
    done = run_train_here(tmp_path / "pt", "--data", f"idx:{idx_digits}", "--epochs", "1")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "does not belong to this model.py" in line and "export the model" in line
    assert not (tmp_path / "runs").exists()


def test_a_runs_folder_that_cannot_be_made_is_one_warning_and_training_goes_on(
        tmp_path, idx_digits):
    from tests.export.generated import run_train_here

    _export(tmp_path / "pt")
    (tmp_path / "taken").write_text("a file where the runs folder would go")
    done = run_train_here(tmp_path / "pt", "--data", f"idx:{idx_digits}", "--epochs", "1",
                          "--max-steps", "2", "--runs", "taken/runs", "--out", "m.npz")
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "run record could not be written" in line and "training goes on" in line
    assert "None" not in line and "--runs" in line
    assert "epoch 1" in done.stdout and (tmp_path / "m.npz").is_file()
