"""Files and situations that once broke an export, kept in tests/regressions/export/.

- a design named 'café @META@' trained on a table whose label holds code: train.py ran it;
- layer ids that are names the generated code uses (INPUT_SHAPE, dense, ...): predict.py and
  model.py failed, and model.py was reported as written when torch was absent;
- a design name with ESC, BEL and a right-to-left override printed raw by ``export``;
- a write that fails half-way (a full disk) left a half-written export folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from generated import MARKER, compile_and_lint, has_torch, run_script

from nnstudio import cli
from nnstudio.core.design import load_design
from nnstudio.core.modelfile import load_model
from nnstudio.core.network import Network
from nnstudio.export.common import PARITY_TOLERANCE, parity_inputs
from nnstudio.export.parity import export_model

NAMES = Path(__file__).resolve().parents[1] / "regressions" / "export" / "names"
ROOT = Path(__file__).resolve().parents[2]


def test_a_label_holding_code_stays_data_in_train_py(tmp_path, capsys):
    """The design 'café @META@' trained on injected-labels.csv, exported to PyTorch: the
    generated train.py answers --help and runs nothing."""
    table = tmp_path / "t.csv"
    table.write_bytes((NAMES / "injected-labels.csv").read_bytes())
    assert cli.main(["train", "--design", str(NAMES / "cafe-meta-design.json"), "--data",
                     f"csv:{table}:label=label", "--epochs", "1", "--out",
                     str(tmp_path / "m.npz")]) == 0
    model = load_model(tmp_path / "m.npz")
    assert model.design.name == "café @META@"
    assert any("__import__" in c for c in model.classes)
    export_model(model.network, "pytorch", tmp_path / "pt", model.meta, check=False)
    if has_torch():
        run = run_script(tmp_path / "pt" / "train.py", "--help", cwd=tmp_path)
        assert not (tmp_path / MARKER).exists(), "train.py ran the command in a class name"
        assert run.returncode == 0, run.stderr[-2000:]
    assert compile_and_lint(sorted((tmp_path / "pt").glob("*.py"))) in ("", None)
    settings = json.loads((tmp_path / "pt" / "train.json").read_text())
    assert settings["design_name"] == "café @META@"
    assert settings["meta"]["classes"] == model.classes


def _shadowing_network() -> Network:
    net = Network(load_design(NAMES / "shadowing-layer-ids.json"), seed=1)
    rng = np.random.default_rng(0)
    net.set_weights({k: (rng.standard_normal(v.shape) * 0.5).astype(np.float32)
                     for k, v in net.get_weights().items()})
    return net


def test_layer_ids_that_are_names_of_the_code_export_to_numpy(tmp_path):
    net = _shadowing_network()
    assert {"INPUT_SHAPE", "dense", "params", "np", "w", "x"} <= set(net.design.nodes)
    result = export_model(net, "numpy", tmp_path / "np")
    assert result.parity["numpy"] <= PARITY_TOLERANCE


def test_layer_ids_that_are_names_of_the_code_export_to_pytorch_without_torch(
        tmp_path, monkeypatch):
    net = _shadowing_network()
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "torch", None)           # torch cannot be imported
        result = export_model(net, "pytorch", tmp_path / "pt")
    assert result.parity == {} and "torch is not installed" in result.skipped["pytorch"]
    assert compile_and_lint(sorted((tmp_path / "pt").glob("*.py"))) in ("", None)
    torch = pytest.importorskip("torch")
    from nnstudio.export.pytorch import load_generated

    module = load_generated(tmp_path / "pt")
    model = module.Model()
    model.load_state_dict(module.load_weights(tmp_path / "pt" / "model.safetensors"))
    model.eval()
    x = parity_inputs(net.input_shape, 8)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, net.forward(x), atol=PARITY_TOLERANCE)
    assert module.LAYER_IDS["layer_modules"] == "_modules"


def test_export_prints_control_characters_of_a_name_escaped(tmp_path, capsys):
    model = NAMES / "escape-name.npz"
    assert cli.main(["export", str(model), "--to", "numpy", "--out", str(tmp_path / "np")]) == 0
    out = capsys.readouterr().out
    assert not set(out) & {"\x1b", "\x07", "\u202e"}, repr(out)
    assert "'\\x1b[2J\\x07\\u202eevil name\\x1b]0;title\\x07'" in out


# ---------------------------------------------------------------------- whole or nothing
def _fail_half_way(monkeypatch) -> None:
    """The safetensors file fails after part of it is written, as on a full disk."""
    from nnstudio.export import pytorch

    def full_disk(path, tensors, metadata=None):
        Path(path).write_bytes(b"\0" * 1000)
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(pytorch, "write_safetensors", full_disk)


def test_a_failed_export_leaves_no_folder_behind(tmp_path, monkeypatch):
    _fail_half_way(monkeypatch)
    with pytest.raises(OSError, match="No space"):
        export_model(Network(load_design(NAMES / "cafe-meta-design.json")), "pytorch",
                     tmp_path / "pt", check=False)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_keeps_the_folder_that_was_there(tmp_path, monkeypatch):
    dest = tmp_path / "pt"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    (dest / "model.py").write_text("# the earlier export\n")
    _fail_half_way(monkeypatch)
    with pytest.raises(OSError):
        export_model(Network(load_design(NAMES / "cafe-meta-design.json")), "pytorch", dest,
                     check=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pt"]
    assert sorted(p.name for p in dest.iterdir()) == ["model.py", "notes.txt"]
    assert (dest / "model.py").read_text() == "# the earlier export\n"


def test_an_export_into_a_folder_keeps_other_files_and_cleans_dead_leftovers(tmp_path):
    dest = tmp_path / "np"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    leftover = tmp_path / f".np.~nnstudio-export-{dead}-0123abcd"
    leftover.mkdir()
    (leftover / "predict.py").write_text("half")
    export_model(Network(load_design(NAMES / "cafe-meta-design.json")), "numpy", dest)
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt", "predict.py", "weights.npz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["np"]


def test_a_real_write_limit_leaves_nothing_and_says_one_line(tmp_path):
    """Under RLIMIT_FSIZE (writes past 20 kB fail, as on a full disk) ``nnstudio export``
    of the shipped model says one line, and no folder, half or whole, is left."""
    code = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
            "from nnstudio.cli import main\n"
            "sys.exit(main(['export', 'default', '--to', 'pytorch', '--out', sys.argv[1],"
            " '--no-check']))\n")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "pt")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert f"{tmp_path / 'pt'}/" in run.stderr and "~nnstudio" not in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []
