"""nnstudio export from the command line: files, printed parity figures, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nnstudio import cli


def test_export_default_model_to_numpy_prints_parity(tmp_path, capsys):
    out = tmp_path / "np"
    assert cli.main(["export", "default", "--to", "numpy", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert (out / "predict.py").is_file() and (out / "weights.npz").is_file()
    figure = float(re.search(r"numpy (\S+) \(<= 1e-05: ok\)", text).group(1))
    assert figure <= 1e-5
    run = subprocess.run([sys.executable, "-I", str(out / "predict.py"), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "INPUTS.npy" not in run.stderr


def test_export_default_model_to_onnx_and_pytorch(tmp_path, capsys):
    pytest.importorskip("onnx")
    assert cli.main(["export", "default", "--to", "onnx", "--out",
                     str(tmp_path / "d.onnx")]) == 0
    text = capsys.readouterr().out
    assert "onnx.reference" in text and "(<= 1e-05: ok)" in text
    assert cli.main(["export", "default", "--to", "pytorch", "--out", str(tmp_path / "pt")]) == 0
    text = capsys.readouterr().out
    assert "model.safetensors" in text
    assert ("pytorch " in text and "ok" in text) or "torch is not installed" in text


def test_export_mistakes_are_one_line(tmp_path, capsys):
    cases = [
        (["export", "default", "--to", "keras", "--out", "x"], "invalid choice"),
        (["export", str(tmp_path / "none.npz"), "--to", "numpy", "--out", "x"],
         "does not exist"),
        (["export", "default", "--to", "numpy", "--out", str(tmp_path / "f")], "is a file"),
    ]
    (tmp_path / "f").write_text("")
    for argv, words in cases:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], err
