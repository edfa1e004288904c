"""The nnstudio command end to end: train, evaluate, info, templates, export-design, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.cli import train as cli_train
from nnstudio.core.design import load_design
from nnstudio.core.modelfile import load_model
from nnstudio.terminal import Progress

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory, square_digits) -> Path:
    """300 easy 28×28 'digits': class k lights a 6×6 square at a place of its own."""
    return square_digits(tmp_path_factory.mktemp("idx"), 300)


@pytest.fixture(scope="module")
def model(idx_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "mlp.npz"
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "3",
                     "--batch-size", "32", "--lr", "0.002", "--seed", "1", "--out", str(out)])
    assert code == 0
    return out


def one_line_error(capsys, code: int, *words: str) -> str:
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_train_writes_a_model_and_prints_epoch_summaries(idx_dir, tmp_path, capsys):
    out = tmp_path / "m.npz"
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "2",
                     "--optimizer", "momentum", "--lr", "0.05", "--val-split", "0.2",
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "val_acc" in err
    loaded = load_model(out)
    assert loaded.classes == [str(i) for i in range(10)]
    assert loaded.meta["config"]["optimizer"] == "momentum" and len(loaded.history.epochs) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_evaluate_json_and_text(model, idx_dir, capsys):
    assert cli.main(["evaluate", str(model), "--data", f"idx:{idx_dir}", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 300 and result["accuracy"] > 0.8 and result["loss"] >= 0
    assert cli.main(["evaluate", str(model), "--data", f"idx:{idx_dir}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("loss ") and "accuracy" in out and "300" in out


def test_info_templates_and_export(model, tmp_path, capsys):
    assert cli.main(["info", str(model)]) == 0
    out = capsys.readouterr().out
    assert "235,146" in out and "fc1" in out and "classes" in out
    assert cli.main(["templates"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("perceptron", "linear", "mlp", "cnn"))
    assert cli.main(["export-design", "cnn", str(tmp_path / "cnn.json")]) == 0
    assert load_design(tmp_path / "cnn.json").analyze().total_params == 206_922
    assert cli.main(["export-design", str(model), str(tmp_path / "from_model.json")]) == 0
    assert load_design(tmp_path / "from_model.json").name == "mlp"


def test_train_from_a_design_file(idx_dir, tmp_path, capsys):
    assert cli.main(["export-design", "lenet", str(tmp_path / "lenet.json")]) == 0
    out = tmp_path / "lenet.npz"
    assert cli.main(["train", "--design", str(tmp_path / "lenet.json"), "--data",
                     f"idx:{idx_dir}", "--epochs", "1", "--out", str(out),
                     "--augment-shift", "1"]) == 0
    assert load_model(out).design.name == "lenet"


@pytest.mark.parametrize("argv, words", [
    (["train", "--design", "mlp"], ("required", "--data")),
    (["train", "--design", "nope", "--data", "synthetic:10", "--epochs", "1", "--out", "x"],
     ("neither a template",)),
    (["train", "--design", "mlp", "--data", "idx:/no/such/dir", "--epochs", "1", "--out",
      "x.npz"], ("/no/such/dir",)),
    (["train", "--design", "mlp", "--data", "whatever:1", "--epochs", "1", "--out", "x"],
     ("unknown data source",)),
    (["train", "--design", "mlp", "--data", "x", "--epochs", "0", "--out", "x"],
     ("--epochs", ">= 1")),
    (["train", "--design", "mlp", "--data", "x", "--epochs", "1", "--lr", "-1", "--out", "x"],
     ("--lr",)),
    (["train", "--design", "mlp", "--data", "x", "--epochs", "1", "--val-split", "1.5",
      "--out", "x"], ("--val-split",)),
    (["train", "--design", "mlp", "--data", "x", "--epochs", "1", "--optimizer", "sgdx",
      "--out", "x"], ("invalid choice",)),
    (["evaluate", "/no/such/model.npz", "--data", "x"], ("does not exist",)),
    (["info", "/no/such/model.npz"], ("does not exist",)),
    (["export-design", "resnet", "x.json"], ("neither a template",)),
    (["frobnicate"], ("invalid choice",)),
])
def test_bad_arguments_give_one_line_and_exit_2(argv, words, capsys):
    one_line_error(capsys, cli.main(argv), *words)


def test_mismatched_data_and_design(idx_dir, tmp_path, capsys):
    code = cli.main(["train", "--design", "playground", "--data", f"idx:{idx_dir}", "--epochs",
                     "1", "--out", str(tmp_path / "x.npz")])
    one_line_error(capsys, code, "Input takes 2")
    code = cli.main(["train", "--design", "perceptron", "--data", "synthetic:10", "--epochs",
                     "1", "--out", str(tmp_path / "x.npz")])
    one_line_error(capsys, code, "Input takes 2")
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(tmp_path / "no" / "x.npz")])
    one_line_error(capsys, code, "does not exist")
    assert not (tmp_path / "x.npz").exists()


def test_damaged_model_and_bad_design_file(tmp_path, idx_dir, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    one_line_error(capsys, cli.main(["evaluate", str(bad), "--data", f"idx:{idx_dir}"]),
                   "damaged")
    design = tmp_path / "d.json"
    design.write_text('{"nodes": [{"id": "a", "kind": "Dense", "params": {"units": 0}}]}')
    one_line_error(capsys, cli.main(["train", "--design", str(design), "--data",
                                     f"idx:{idx_dir}", "--epochs", "1", "--out", "x.npz"]),
                   "units must be a whole number")


def test_ctrl_c_saves_nothing(idx_dir, tmp_path, capsys, monkeypatch):
    def interrupted(self, on_batch=None, on_epoch=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train.Trainer, "run", interrupted)
    out = tmp_path / "m.npz"
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(out)])
    assert code == 130 and not out.exists()
    assert "interrupted" in capsys.readouterr().err


def test_divergence_saves_nothing(idx_dir, tmp_path, capsys, monkeypatch):
    def diverged(self, on_batch=None, on_epoch=None):
        raise cli_train.TrainingDiverged("Training diverged: lower the learning rate.")

    monkeypatch.setattr(cli_train.Trainer, "run", diverged)
    out = tmp_path / "m.npz"
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(out)])
    assert code == 1 and not out.exists()
    assert "lower the learning rate" in capsys.readouterr().err


def test_no_arguments_starts_the_window_or_says_why(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nnstudio.gui.app", None)
    one_line_error(capsys, cli.main([]), "window could not start")
    fake = types.ModuleType("nnstudio.gui.app")
    fake.main = lambda argv: 0
    monkeypatch.setitem(sys.modules, "nnstudio.gui.app", fake)
    assert cli.main([]) == 0


def test_default_model(capsys):
    code = cli.main(["info", "default"])
    if code == 0:
        assert "design" in capsys.readouterr().out
    else:
        one_line_error(capsys, code, "default model")


def test_help_and_version(capsys):
    assert cli.main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert cli.main(["--version"]) == 0


def test_python_dash_m(tmp_path):
    run = subprocess.run([sys.executable, "-m", "nnstudio", "templates"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0 and "mlp" in run.stdout
    run = subprocess.run([sys.executable, "-m", "nnstudio", "evaluate", "missing.npz",
                          "--data", "synthetic:10"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_progress_line_on_a_terminal():
    import io

    from nnstudio.core.training import BatchInfo, EpochInfo

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = Progress(stream)
    bar.batch(BatchInfo(1, 5, 10, 0.5, 0.75, 1e-3, 32, 160, 0.5, 2))
    text = stream.getvalue()
    assert "\r" in text and "5/10" in text and "75.0%" in text
    bar.epoch(EpochInfo(1, 0.4, 0.8, 0.3, None, 1e-3, 1.0, 2))
    last = stream.getvalue().rsplit("\r", 1)[-1]
    assert last == "epoch 1/2  loss 0.4000  acc 80.00%  val_loss 0.3000  1.0s\n"
    quiet = io.StringIO()
    Progress(quiet).batch(BatchInfo(1, 5, 10, 0.5, None, 1e-3, 32, 160, 0.5, 2))
    assert quiet.getvalue() == ""


def test_an_unwritable_out_is_refused_before_training(idx_dir, tmp_path, capsys, monkeypatch):
    def must_not_train(self, on_batch=None, on_epoch=None):
        raise AssertionError("trained although --out cannot be written")

    monkeypatch.setattr(cli_train.Trainer, "run", must_not_train)
    out = tmp_path / "kept.npz"
    out.write_bytes(b"someone's file")
    out.chmod(0o444)
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(out)])
    one_line_error(capsys, code, "cannot be written", "write-protected", str(out))
    assert out.read_bytes() == b"someone's file"


@pytest.mark.skipif(os.geteuid() == 0, reason="the administrator may write any folder")
def test_a_read_only_folder_is_refused_before_training(idx_dir, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(folder / "m.npz")])
    folder.chmod(0o755)
    one_line_error(capsys, code, "cannot be written")


def test_a_failed_save_keeps_the_model_in_the_data_folder(idx_dir, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "user"))
    out_dir = tmp_path / "usb-stick"
    out_dir.mkdir()
    real_run = cli_train.Trainer.run

    def run_then_unplug(self, on_batch=None, on_epoch=None):
        history = real_run(self, on_batch=on_batch, on_epoch=on_epoch)
        out_dir.rmdir()  # the destination disappears while training
        return history

    monkeypatch.setattr(cli_train.Trainer, "run", run_then_unplug)
    code = cli.main(["train", "--design", "mlp", "--data", f"idx:{idx_dir}", "--epochs", "1",
                     "--out", str(out_dir / "m.npz")])
    err = capsys.readouterr().err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert "could not save" in line and "kept in" in line
    kept = list((tmp_path / "user" / "unsaved models").glob("m-*.npz"))
    assert len(kept) == 1 and str(kept[0]) in line
    assert load_model(kept[0]).design.name == "mlp"


def test_evaluate_of_a_regression_model_speaks_dollars(tmp_path, capsys):
    from nnstudio.core.modelfile import save_model
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template
    from nnstudio.core.training import History

    net = Network(get_template("linear"))
    net.set_weights({"fc1/W": np.ones((3, 1), np.float32), "fc1/b": np.zeros(1, np.float32)})
    ones = tmp_path / "ones.npz"
    save_model(ones, net, History(), {"task": "regression", "data": "cars:raw"})
    assert cli.main(["evaluate", str(ones), "--data", "cars:raw"]) == 0
    out = capsys.readouterr().out
    assert "error in price: $14,662.3 on average" in out
    assert "cost J = 1/m Σ (y − ŷ)² = 260,701,318.9 $²" in out
    # a model trained on standardised prices still reports dollars
    trained = tmp_path / "cars.npz"
    assert cli.main(["train", "--design", "linear", "--data", "cars:200", "--epochs", "40",
                     "--optimizer", "sgd", "--lr", "0.05", "--out", str(trained)]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(trained), "--data", "cars:200", "--json"]) == 0
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["target"] == "price" and error["unit"] == "$"
    assert 500 < error["mean_absolute"] < 10_000          # dollars, not standard deviations
    assert error["root_mean_square"] ** 2 == pytest.approx(error["cost"])


def test_info_escapes_terminal_control_characters_from_the_file(tmp_path, capsys):
    from nnstudio.core.modelfile import save_model
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template

    design = get_template("mlp")
    design.name = "evil\x1b]0;owned\x07\x1b[2J"
    path = tmp_path / "evil\x1b[31m.npz"
    save_model(path, Network(design), meta={"classes": ["a\rb", "\x9bc"], "data": "x\x1b[1A"})
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\x9b" not in out
    assert "evil\\x1b]0;owned\\x07" in out and "a\\rb" in out


def test_a_file_and_data_open_in_the_window(monkeypatch, tmp_path, capsys):
    """``nnstudio FILE --data SPEC`` opens the window with that file and that data."""
    calls = []
    fake = types.ModuleType("nnstudio.gui.app")
    fake.main = lambda argv, **kwargs: calls.append(kwargs) or 0
    monkeypatch.setitem(sys.modules, "nnstudio.gui.app", fake)
    design = tmp_path / "mine.json"
    assert cli.main(["export-design", "mlp", str(design)]) == 0
    assert cli.main([str(design), "--data", "toy:circle"]) == 0
    assert cli.main(["--data", "cars"]) == 0
    assert calls == [{"path": str(design), "data": "toy:circle"}, {"data": "cars"}]
    one_line_error(capsys, cli.main([str(tmp_path / "missing.npz")]), "no such file")
    (tmp_path / "notes.txt").write_text("hello")
    one_line_error(capsys, cli.main([str(tmp_path / "notes.txt")]), "opens designs")
    assert len(calls) == 2


def capped(argv: list[str], gigabytes: float, cwd: Path) -> subprocess.CompletedProcess:
    """``nnstudio ARGV`` in a process whose address space is capped (RLIMIT_AS)."""
    limit = int(gigabytes * (1 << 30))
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
            "from nnstudio.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    env.pop("NNSTUDIO_MEMORY_LIMIT_GB", None)
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


def test_a_gzipped_idx_too_big_for_a_capped_process_is_refused_before_unpacking(tmp_path):
    """400 MB of images (2 GB as float32) in 400 KB of gzip, in a process capped at 1 GB:
    one line with the size and the limit, not 'unexpected error (MemoryError)'."""
    import zlib

    folder = tmp_path / "big"
    folder.mkdir()
    n = 400 * (1 << 20) // 784

    def zeros_gz(name: str, shape: list[int]) -> None:
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        parts = [z.compress(bytes([0, 0, 8, len(shape)]) + np.array(shape, ">i4").tobytes())]
        left, block = int(np.prod(shape)), bytes(1 << 22)
        while left:
            parts.append(z.compress(block[:min(left, len(block))]))
            left -= min(left, len(block))
        (folder / name).write_bytes(b"".join(parts) + z.flush())

    zeros_gz("train-images-idx3-ubyte.gz", [n, 28, 28])
    zeros_gz("train-labels-idx1-ubyte.gz", [n])
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_size < 1 << 20
    run = capped(["evaluate", "default", "--data", f"idx:{folder}"], 1.0, tmp_path)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "MemoryError" not in run.stderr, run.stderr
    assert "needs 2.0 GB, limit 768.0 MB" in lines[0], lines[0]


@pytest.mark.parametrize(("data", "words"), [
    ("synthetic:900000", ["900,000 digits", "limit 768.0 MB", "ask for fewer digits"]),
    ("toy:xor:n=50000000", ["50,000,000 points", "1,000,000"]),
    ("cars:5000000", ["5,000,000 cars", "100,000"]),
])
def test_generated_data_too_big_for_a_capped_process_is_refused_at_once(data, words, tmp_path):
    run = capped(["train", "--design", "playground", "--data", data, "--epochs", "1",
                  "--out", str(tmp_path / "m.npz")], 1.0, tmp_path)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Error" not in lines[0], run.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_train_escapes_the_design_and_data_names(tmp_path, capsys):
    from nnstudio.core.design import save_design
    from nnstudio.core.templates import get_template

    design = get_template("playground")
    design.name = "bell\x07\x1b[2J\u202eevil"
    save_design(design, tmp_path / "d.json")
    assert cli.main(["train", "--design", str(tmp_path / "d.json"), "--data", "toy:xor:n=40",
                     "--epochs", "1", "--out", str(tmp_path / "m.npz")]) == 0
    err = capsys.readouterr().err
    assert "bell\\x07\\x1b[2J\\u202eevil" in err
    assert not any(c in err for c in "\x07\x1b\u202e")
