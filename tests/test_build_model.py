"""The one offline way to rebuild the shipped digit model runs end to end (tiny settings)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def build_script():
    spec = importlib.util.spec_from_file_location(
        "build_default_model", ROOT / "tools" / "build_default_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_script_trains_and_writes_a_model_that_opens(tmp_path, capsys) -> None:
    from nnstudio.core.modelfile import load_model

    out = tmp_path / "digits.npz"
    assert build_script().main(["--epochs", "2", "--per-epoch", "300", "--real", "none",
                                "--filters", "4,8", "--dense", "16", "--val-size", "200",
                                "--out", str(out)]) == 0
    model = load_model(out)
    training = model.meta["training"]
    assert training["filters"] == [4, 8] and training["dense"] == 16
    assert training["epochs"] == 2 and model.meta["data"] == "synthetic"
    nodes = model.design.nodes
    assert nodes["conv1"].params["filters"] == 4 and nodes["fc1"].params["units"] == 16
    assert model.network.input_shape == (1, 28, 28)
    assert "wrote" in capsys.readouterr().out


def test_the_build_script_refuses_bad_arguments(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        build_script().main(["--filters", "16", "--real", "none", "--out",
                             str(tmp_path / "x.npz")])
    assert exc.value.code == 2
    assert "--filters takes two positive whole numbers" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
