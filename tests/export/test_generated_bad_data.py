"""The generated train.py and predict.py answer bad data with one line on stderr and exit
code 2: IDX files whose header lies, a ragged CSV, a pipe instead of a file, a missing
--out folder, a .npy whose header lies (files in tests/regressions/export/bad-data)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from generated import has_torch, run_script, run_train_here

from nnstudio.core.design import load_design
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.export.parity import export_model

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions" / "export"
BAD = REGRESSIONS / "bad-data"


def one_clear_line(run, *words: str) -> str:
    """The run ended with exit code 2 and one line on stderr holding ``words``."""
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The mlp template (IDX digits) for train.py, the table design for predict.py."""
    folder = tmp_path_factory.mktemp("bad-data")
    classes = {"classes": [str(i) for i in range(10)]}
    export_model(Network(get_template("mlp"), seed=0), "pytorch", folder / "pt", classes,
                 check=False)
    table = Network(load_design(REGRESSIONS / "names" / "cafe-meta-design.json"), seed=0)
    export_model(table, "pytorch", folder / "table", {"classes": ["ok", "no"]}, check=False)
    export_model(table, "numpy", folder / "np", {"classes": ["ok", "no"]}, check=False)
    return folder


@pytest.fixture
def fifo(tmp_path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


# ---------------------------------------------------------------------- predict.py
def test_predict_refuses_a_npy_whose_header_lies(exports, tmp_path):
    run = run_script(exports / "np" / "predict.py", str(BAD / "lying-header.npy"), cwd=tmp_path)
    one_clear_line(run, "lying-header.npy", "16,000,000 bytes", "damaged")


def test_predict_refuses_a_pipe_without_waiting_on_it(exports, fifo, tmp_path):
    run = run_script(exports / "np" / "predict.py", str(fifo), cwd=tmp_path, timeout=60)
    one_clear_line(run, "not a regular file")


def test_predict_refuses_a_missing_out_folder_wrong_shapes_and_pickles(exports, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 3), np.float32))
    script = exports / "np" / "predict.py"
    one_clear_line(run_script(script, "x.npy", "--out", "no/such/y.npy", cwd=tmp_path),
                   "does not exist")
    np.save(tmp_path / "odd.npy", np.zeros((2, 5), np.float32))
    one_clear_line(run_script(script, "odd.npy", cwd=tmp_path), "10 values", "(3,)")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    one_clear_line(run_script(script, "obj.npy", cwd=tmp_path), "give numbers")
    one_clear_line(run_script(script, "absent.npy", cwd=tmp_path), "cannot be read")
    run = run_script(script, "x.npy", "--out", "y.npy", cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path / "y.npy").is_file(), run.stderr


# ---------------------------------------------------------------------- train.py
needs_torch = pytest.mark.skipif(not has_torch(), reason="torch is not installed")


@needs_torch
def test_train_refuses_idx_files_whose_header_lies(exports, tmp_path):
    data = tmp_path / "lying"
    shutil.copytree(BAD / "lying-idx", data)
    run = run_train_here(exports / "pt", "--data", f"idx:{data}")
    one_clear_line(run, "train-images-idx3-ubyte", "47,040,000 values", "7,840", "damaged")


@needs_torch
def test_train_refuses_a_ragged_csv_with_its_row(exports, tmp_path):
    run = run_train_here(exports / "table", "--data", f"csv:{BAD / 'ragged.csv'}:label=label")
    one_clear_line(run, "row 4 has 2 values", "3 columns")


@needs_torch
def test_train_refuses_pipes_without_waiting_on_them(exports, fifo, tmp_path):
    run = run_script(exports / "table" / "train.py", "--data", f"csv:{fifo}:label=label",
                     cwd=tmp_path, timeout=60)
    one_clear_line(run, "not a regular file")
    folder = tmp_path / "idx"
    folder.mkdir()
    os.mkfifo(folder / "train-images-idx3-ubyte")
    shutil.copy(BAD / "lying-idx" / "train-labels-idx1-ubyte", folder)
    run = run_script(exports / "pt" / "train.py", "--data", f"idx:{folder}", cwd=tmp_path,
                     timeout=60)
    one_clear_line(run, "not a regular file")


@needs_torch
def test_train_refuses_a_missing_out_folder_before_training(exports, tmp_path):
    run = run_train_here(exports / "table", "--data",
                         f"csv:{REGRESSIONS / 'names' / 'injected-labels.csv'}:label=label",
                         "--out", str(tmp_path / "no" / "such" / "m.npz"))
    line = one_clear_line(run, "--out", "does not exist")
    assert "training" not in run.stdout, line


@needs_torch
def test_train_says_when_its_settings_file_is_missing_or_damaged(exports, tmp_path):
    folder = tmp_path / "pt"
    shutil.copytree(exports / "table", folder)
    (folder / "train.json").write_text("{not json")
    one_clear_line(run_train_here(folder, "--help"), "train.json",
                   "export the model from nnstudio again")
    (folder / "train.json").unlink()
    one_clear_line(run_train_here(folder, "--help"), "train.json", "cannot be read")
