"""``nnstudio runs ...`` through the real entry point, and ``nnstudio train`` recording."""

from __future__ import annotations

import json
import subprocess
import sys

from nnstudio.core.modelfile import load_model
from nnstudio.runs import layout as L
from nnstudio.runs.reader import list_runs, open_run

TRAIN = ["train", "--design", "playground", "--data", "toy:spiral", "--epochs", "3"]


def test_train_records_its_run_in_the_data_folder_and_runs_commands_use_it(
        tmp_path, nnstudio_cli):
    out = nnstudio_cli(*TRAIN, "--lr", "0.01", "--out", "a.npz")
    assert out.returncode == 0, out.stderr
    runs_dir = tmp_path / "user" / "runs"
    (run,) = list_runs(runs_dir)
    assert f"run {run.id} kept in {run.path}" in out.stderr
    assert (run.state, run.design, run.data, run.epochs) == \
        ("finished", "playground", "toy:spiral", 3)
    assert open_run(run.path).config["lr"] == 0.01

    out = nnstudio_cli("runs", "list")
    assert out.returncode == 0, out.stderr
    header, line = out.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "WHEN", "DESIGN", "DATA", "EPOCHS", "BEST",
                              "STATE"]
    assert run.id in line and "playground" in line and "toy:spiral" in line
    assert "3/3" in line and run.best_text in line and line.endswith("finished")

    out = nnstudio_cli("runs", "show", run.id[:12])
    assert out.returncode == 0, out.stderr
    assert "lr 0.01" in out.stdout and "initial weights" in out.stdout
    assert "epoch 3 end" in out.stdout

    out = nnstudio_cli("runs", "export", run.id, "--checkpoint", "initial", "--out", "i.npz")
    assert out.returncode == 0, out.stderr
    first = load_model(tmp_path / "i.npz")
    initial = open_run(run.path).weights("initial")
    assert all((first.network.get_weights()[k] == v).all() for k, v in initial.items())
    assert first.meta["run"]["checkpoint"] == 0 and len(first.history.epochs) == 0
    out = nnstudio_cli("runs", "export", run.id, "--out", "best.npz")
    assert out.returncode == 0, out.stderr
    best = load_model(tmp_path / "best.npz")
    assert best.meta["run"]["checkpoint"] == run.best["checkpoint"]
    assert best.classes and best.meta["data"] == "toy:spiral"

    out = nnstudio_cli("runs", "rename", run.id, "spiral, lr 0.01")
    assert out.returncode == 0, out.stderr
    assert list_runs(runs_dir)[0].name == "spiral, lr 0.01"
    assert "spiral, lr 0.01" in nnstudio_cli("runs", "list").stdout

    out = nnstudio_cli("runs", "rm", "spiral, lr 0.01")
    assert out.returncode == 0, out.stderr
    assert list_runs(runs_dir) == []
    assert (runs_dir / L.TRASH / run.id).is_dir()
    assert not list((runs_dir / L.TRASH / run.id).glob("*tfevents.*"))
    assert "runs restore" in out.stdout
    out = nnstudio_cli("runs", "restore", run.id)
    assert out.returncode == 0, out.stderr
    (back,) = list_runs(runs_dir)
    assert back.state == "finished" and back.name == "spiral, lr 0.01"

    out = nnstudio_cli("runs", "rm", run.id, "--permanently")
    assert out.returncode == 0, out.stderr
    assert not (runs_dir / run.id).exists() and list_runs(runs_dir) == []


def test_train_of_millisecond_epochs_keeps_every_epoch_and_paces_its_checkpoints(
        tmp_path, nnstudio_cli):
    """600 epochs of a few milliseconds: every epoch's figures are in the record, but
    checkpoints come at most once a training second (plus the initial, the first epoch's
    few, the best and the last), as in the window, instead of one per epoch."""
    out = nnstudio_cli("train", "--design", "playground", "--data", "toy:spiral",
                       "--epochs", "600", "--batch-size", "64", "--out", "a.npz")
    assert out.returncode == 0, out.stderr
    (run,) = list_runs(tmp_path / "user" / "runs")
    record = open_run(run.path)
    epochs = record.epochs()
    assert [e["epoch"] for e in epochs] == list(range(1, 601))
    ckpts = record.checkpoints()
    seconds = epochs[-1]["elapsed"]
    assert len(ckpts) <= seconds / 1.0 + 12, (len(ckpts), seconds)
    assert ckpts[0].n == 0 and ckpts[-1].epoch == 600
    top = max(e["val_accuracy"] for e in epochs)
    first_top = next(e["epoch"] for e in epochs if e["val_accuracy"] == top)
    best = record.checkpoint("best")                 # held between two, never lost
    assert (best.epoch, best.val_accuracy) == (first_top, top)


def test_no_record_and_runs_folder_options(tmp_path, nnstudio_cli):
    out = nnstudio_cli(*TRAIN, "--no-record", "--out", "a.npz")
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "user" / "runs").exists() and "kept in" not in out.stderr
    out = nnstudio_cli(*TRAIN, "--runs", "elsewhere", "--out", "a.npz")
    assert out.returncode == 0, out.stderr
    (run,) = list_runs(tmp_path / "elsewhere")
    listed = nnstudio_cli("runs", "list", "elsewhere")
    assert run.id in listed.stdout
    assert nnstudio_cli("runs", "list").stdout.startswith("no runs in")


def test_diverged_run_is_recorded_as_diverged(tmp_path, nnstudio_cli):
    out = nnstudio_cli("train", "--design", "linear", "--data", "cars", "--epochs", "5",
                       "--lr", "1e6", "--optimizer", "sgd", "--out", "a.npz")
    assert out.returncode == 1, out.stderr
    (run,) = list_runs(tmp_path / "user" / "runs")
    assert run.state == "diverged" and "diverged" in run.message


def test_names_from_a_record_reach_the_terminal_escaped(tmp_path, nnstudio_cli):
    out = nnstudio_cli(*TRAIN, "--out", "a.npz")
    assert out.returncode == 0, out.stderr
    (run,) = list_runs(tmp_path / "user" / "runs")
    summary = json.loads((run.path / L.SUMMARY_FILE).read_text())
    summary["design"] = "evil\x1b]0;owned\x07\x1b[2J"
    (run.path / L.SUMMARY_FILE).write_text(json.dumps(summary))
    (run.path / L.NAME_FILE).write_text("name\x1b[31mred")
    for args in (("runs", "list"), ("runs", "show", run.id)):
        out = nnstudio_cli(*args)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "\\x1b[31mred" in nnstudio_cli("runs", "list").stdout


def test_runs_mistakes_say_what_to_do(tmp_path, nnstudio_cli):
    out = nnstudio_cli("runs", "show", "nope")
    assert out.returncode == 2 and "no run 'nope'" in out.stderr and "runs list" in out.stderr
    out = nnstudio_cli("runs", "list", "missing-folder")
    assert out.returncode == 2 and "is not a folder" in out.stderr
    nnstudio_cli(*TRAIN, "--out", "a.npz")
    (run,) = list_runs(tmp_path / "user" / "runs")
    out = nnstudio_cli("runs", "export", run.id, "--checkpoint", "77", "--out", "x.npz")
    assert out.returncode == 2 and "no checkpoint 77" in out.stderr


def test_runs_package_loads_no_qt():
    code = ("import sys, nnstudio.runs.layout, nnstudio.runs.recorder, nnstudio.runs.reader\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'shiboken6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=L.Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_damaged_run_is_listed_as_damaged_and_can_be_removed(tmp_path, nnstudio_cli):
    assert nnstudio_cli(*TRAIN, "--out", "a.npz").returncode == 0
    (run,) = list_runs(tmp_path / "user" / "runs")
    (run.path / L.SUMMARY_FILE).write_text("{not json")
    (run.path / L.RUN_FILE).write_text("[")
    out = nnstudio_cli("runs", "list")
    assert out.returncode == 0, out.stderr
    assert "damaged: its summary.json cannot be read" in out.stdout
    out = nnstudio_cli("runs", "show", run.id)
    assert out.returncode == 2 and "damaged" in out.stderr
    out = nnstudio_cli("runs", "rm", run.id)
    assert out.returncode == 0, out.stderr
    assert list_runs(tmp_path / "user" / "runs") == []
