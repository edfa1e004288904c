"""The generated train.py: trains the design with PyTorch on IDX and CSV data, on the CPU
and under torchrun with two gloo processes, and writes a model file nnstudio opens."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.core.design import save_design
from nnstudio.core.modelfile import load_model
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.export.parity import export_model

torch = pytest.importorskip("torch")


def run_train(folder: Path, *args: str) -> int:
    """Run the generated train.py of ``folder`` in this process (torch is imported once)."""
    sys.modules.pop("model", None)
    try:
        script = runpy.run_path(str(folder / "train.py"), run_name="generated_train")
        return script["main"](list(args))
    finally:
        sys.modules.pop("model", None)
        if str(folder) in sys.path:
            sys.path.remove(str(folder))


def test_train_script_trains_on_idx_and_writes_an_nnstudio_model(idx_digits, tmp_path, capsys):
    net = Network(get_template("mlp"), seed=0)
    meta = {"classes": [str(i) for i in range(10)],
            "config": {"lr": 0.002, "batch_size": 32, "optimizer": "adam", "epochs": 1}}
    export_model(net, "pytorch", tmp_path / "pt", meta, check=False)
    out = tmp_path / "trained.npz"
    code = run_train(tmp_path / "pt", "--data", f"idx:{idx_digits}", "--epochs", "2",
                     "--max-steps", "4", "--device", "cpu", "--fresh", "--out", str(out))
    assert code == 0
    text = capsys.readouterr().out
    assert "1 process(es) on cpu, batch 32 x 1" in text
    assert "epoch 2" in text and f"saved {out}" in text
    model = load_model(out)                            # opens in nnstudio
    assert model.classes == meta["classes"]
    assert model.meta["trained_with"].startswith("PyTorch")
    assert not np.allclose(model.network.get_weights()["fc1/W"], net.get_weights()["fc1/W"])
    assert cli.main(["evaluate", str(out), "--data", f"idx:{idx_digits}", "--json"]) == 0
    result = capsys.readouterr().out
    assert '"accuracy"' in result and '"n": 240' in result


def test_train_script_learns_a_table_from_csv(tmp_path, capsys):
    rng = np.random.default_rng(1)
    rows = ["size,colour,label"]
    for _ in range(200):
        size = rng.normal(5, 2)
        colour = rng.choice(["red", "blue"])
        label = "big" if size + (1.5 if colour == "red" else 0) > 6 else "small"
        rows.append(f"{size:.3f},{colour},{label}")
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    model_file = tmp_path / "m.npz"
    design = tmp_path / "d.json"
    from nnstudio.core.templates import chain

    table = chain("table", [3], [("hidden", "Dense", {"units": 8, "activation": "tanh"}),
                                 ("scores", "Dense", {"units": 2, "activation": "softmax"})],
                  "cross_entropy")
    save_design(table, design)
    assert cli.main(["train", "--design", str(design), "--data", f"csv:{csv_file}:label=label",
                     "--epochs", "1", "--out", str(model_file)]) == 0
    loaded = load_model(model_file)
    assert loaded.meta["columns"]["categories"] == {"colour": ["blue", "red"]}
    export_model(loaded.network, "pytorch", tmp_path / "pt", loaded.meta)
    out = tmp_path / "again.npz"
    code = run_train(tmp_path / "pt", "--data", f"csv:{csv_file}:label=label", "--epochs", "3",
                     "--lr", "0.02", "--out", str(out))
    assert code == 0
    again = load_model(out)
    assert again.classes == ["big", "small"]
    assert again.meta["columns"]["x_scaler"] == loaded.meta["columns"]["x_scaler"]
    capsys.readouterr()
    assert cli.main(["evaluate", str(out), "--data", f"csv:{csv_file}:label=label"]) == 0
    acc = float(capsys.readouterr().out.split("accuracy")[1].split("%")[0])
    assert acc > 80.0


def test_train_script_refuses_a_step_design(tmp_path, capsys):
    export_model(Network(get_template("perceptron")), "pytorch", tmp_path / "pt", check=False)
    with pytest.raises(SystemExit) as info:
        run_train(tmp_path / "pt", "--data", "idx:/nowhere")
    assert info.value.code == 2
    assert "step activation" in capsys.readouterr().err


@pytest.mark.slow
def test_torchrun_two_processes_with_gloo(idx_digits, tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun is not installed")
    net = Network(get_template("cnn"), seed=0)
    export_model(net, "pytorch", tmp_path / "pt", {"classes": [str(i) for i in range(10)]},
                 check=False)
    out = tmp_path / "ddp.npz"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run(
        [str(torchrun if torchrun.exists() else "torchrun"), "--standalone",
         "--nproc-per-node=2", str(tmp_path / "pt" / "train.py"), "--data", f"idx:{idx_digits}",
         "--epochs", "1", "--max-steps", "3", "--batch-size", "32", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "2 process(es) on cpu, batch 16 x 2" in run.stdout
    assert run.stdout.count("epoch 1") == 1               # only rank 0 reports
    model = load_model(out)
    assert model.meta["trained_with"].startswith("PyTorch")
    result = model.network.evaluate(*_idx(idx_digits))
    assert np.isfinite(result["loss"]) and result["n"] == 240
    print(run.stdout)


def _idx(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from nnstudio.data.idx import load_idx_dir

    ds = load_idx_dir(folder)
    return ds.x, ds.y
