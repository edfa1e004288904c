"""The course's examples on the command line: the perceptron, 16×16 digits, 3 vs 7."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnstudio import cli
from nnstudio.core.modelfile import load_model


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory, square_digits) -> Path:
    """400 easy 28×28 'digits': class k lights an 8×6 square at a place of its own."""
    return square_digits(tmp_path_factory.mktemp("digits"), 400, seed=1, noise=30,
                         size=(8, 6), pitch=(9, 7), origin=(2, 1))


@pytest.mark.parametrize("data", ["perceptron", "perceptron:separable"])
def test_perceptron_trains_to_zero_mistakes(data, tmp_path, capsys):
    out = tmp_path / "p.npz"
    code = cli.main(["train", "--design", "perceptron", "--data", data, "--epochs", "200",
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "perceptron rule" in err and "learning rate 0.1" in err
    lines = [line for line in err.splitlines() if line.startswith("pass ")]
    assert lines[-1].split()[3] == "0" and len(lines) < 200
    assert "separates the two classes" in err
    model = load_model(out)
    assert model.classes == ["0", "1"] and len(model.history.epochs) == len(lines)
    assert cli.main(["evaluate", str(out), "--data", data, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mistakes"] == 0 and result["accuracy"] == 1.0
    assert cli.main(["evaluate", str(out), "--data", data]) == 0
    assert capsys.readouterr().out.startswith("mistakes 0 of ")


def test_perceptron_on_xor_says_why_it_fails(tmp_path, capsys):
    out = tmp_path / "x.npz"
    code = cli.main(["train", "--design", "perceptron", "--data", "perceptron:xor",
                     "--epochs", "500", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    mistakes = [int(line.split()[3]) for line in err.splitlines() if line.startswith("pass ")]
    assert min(mistakes) > 0 and len(mistakes) < 500          # the cycle ends it early
    assert "no straight line separates" in err and "--design playground" in err
    # the suggested two-layer design does learn XOR
    two = tmp_path / "two.npz"
    assert cli.main(["train", "--design", "playground", "--data", "perceptron:xor",
                     "--epochs", "300", "--lr", "0.05", "--val-split", "0",
                     "--out", str(two)]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(two), "--data", "perceptron:xor", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == 1.0


def test_a_step_network_that_is_not_one_neuron_is_refused(tmp_path, capsys):
    from nnstudio.core.design import save_design
    from nnstudio.core.templates import get_template

    design = get_template("playground")
    design.nodes["fc1"].params["activation"] = "step"
    path = tmp_path / "steps.json"
    save_design(design, path)
    code = cli.main(["train", "--design", str(path), "--data", "perceptron", "--epochs", "1",
                     "--out", str(tmp_path / "s.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "step" in err and "perceptron" in err
    assert not (tmp_path / "s.npz").exists()


def test_cnn16_trains_and_evaluates_on_16x16_digits(digits_dir, tmp_path, capsys):
    out = tmp_path / "c16.npz"
    code = cli.main(["train", "--design", "cnn16", "--data", f"idx:{digits_dir}", "--size",
                     "16", "--epochs", "2", "--lr", "0.005", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "16×16" in err
    model = load_model(out)
    assert model.meta["image_size"] == 16 and model.network.input_shape == (1, 16, 16)
    assert cli.main(["evaluate", str(out), "--data", f"idx:{digits_dir}", "--size", "16",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.5
    # without --size the design's Input decides: 16×16 too
    assert cli.main(["evaluate", str(out), "--data", f"idx:{digits_dir}"]) == 0
    capsys.readouterr()
    code = cli.main(["evaluate", str(out), "--data", f"idx:{digits_dir}", "--size", "28"])
    assert code == 2 and "16×16" in capsys.readouterr().err


def test_three_vs_seven_template_has_two_named_outputs(mnist_dir, tmp_path, capsys):
    out = tmp_path / "37.npz"
    code = cli.main(["train", "--design", "3v7", "--data", f"3v7:idx:{mnist_dir}",
                     "--epochs", "2", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    model = load_model(out)
    assert model.classes == ["3", "7"] and model.network.output_shape == (2,)
    capsys.readouterr()
    assert cli.main(["evaluate", str(out), "--data", f"3v7:idx:{mnist_dir}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.9
