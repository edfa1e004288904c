"""The playground template on the spiral from the command line, and a toy set's test share."""

from __future__ import annotations

import json

from nnstudio import cli
from nnstudio.core.modelfile import load_model


def test_playground_template_fits_the_spiral(tmp_path, capsys):
    out = tmp_path / "spiral.npz"
    code = cli.main(["train", "--design", "playground", "--data", "toy:spiral",
                     "--epochs", "300", "--lr", "0.01", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "450 samples, 50 held out" in err           # the usual 10 % held out
    model = load_model(out)
    last = model.history.epochs[-1]
    assert last.train_accuracy >= 0.95 and last.val_accuracy >= 0.9
    assert cli.main(["evaluate", str(out), "--data", "toy:spiral", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.95


def test_the_data_spec_says_the_test_share_and_the_features(tmp_path, capsys):
    from nnstudio.core.design import save_design
    from nnstudio.core.templates import get_template

    design = get_template("playground")
    design.nodes["input"].params["shape"] = [4]
    path = tmp_path / "four.json"
    save_design(design, path)
    data = "toy:circle:noise=0.1:test=0.3:features=x1,x2,x1sq,x2sq"
    out = tmp_path / "c.npz"
    assert cli.main(["train", "--design", str(path), "--data", data, "--epochs", "30",
                     "--lr", "0.01", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "350 samples, 150 held out" in err
    assert load_model(out).meta["data"] == data
    # --val-split still wins over the data's own share
    assert cli.main(["train", "--design", str(path), "--data", data, "--epochs", "1",
                     "--val-split", "0.2", "--out", str(out)]) == 0
    assert "400 samples, 100 held out" in capsys.readouterr().err
    # the plain two-input template does not take four features, and says so
    assert cli.main(["train", "--design", "playground", "--data", data, "--epochs", "1",
                     "--out", str(tmp_path / "no.npz")]) != 0
    assert "Input takes 2" in capsys.readouterr().err
