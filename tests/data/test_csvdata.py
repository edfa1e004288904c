"""CSV import: encoding of features, task inference, and errors naming row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.csvdata import load_csv
from nnstudio.data.dataset import DataError
from nnstudio.data.lessons import Standardizer
from nnstudio.data.sources import load_source

CHURN = """CustomerId,Geography,Age,Balance,Exited
1,France,42,0.0,1
2,Spain,41,83807.86,0
3,France,42,159660.8,1
4,Germany,39,0,0
5,Spain,43,125510.82,0
"""


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_churn_like_table(tmp_path: Path) -> None:
    ds = load_csv(_write(tmp_path, CHURN), label="Exited", drop=["CustomerId"])
    assert ds.task == "classification" and ds.classes == ["0", "1"]
    assert ds.y.tolist() == [1, 0, 1, 0, 0]
    assert ds.feature_names == ["Geography=France", "Geography=Germany", "Geography=Spain",
                                "Age", "Balance"]
    assert ds.x.dtype == np.float32 and ds.x.shape == (5, 5)
    assert ds.x[:, :3].tolist()[0] == [1, 0, 0]
    assert np.allclose(ds.x[:, 3:].mean(0), 0, atol=1e-6)
    assert np.allclose(ds.x[:, 3:].std(0), 1, atol=1e-5)
    xs = Standardizer.from_dict(ds.meta["x_scaler"])
    assert np.allclose(xs.inverse(ds.x[:, 3:])[:, 0], [42, 41, 42, 39, 43])
    same = load_source(f"csv:{tmp_path / 't.csv'}:label=Exited:drop=CustomerId")
    assert np.array_equal(same.x, ds.x)


def test_task_inference_and_override(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b,price\n1,x,10.5\n2,y,20.25\n3,x,30\n")
    ds = load_csv(path, label="price")
    assert ds.task == "regression" and ds.y.shape == (3, 1)
    ys = Standardizer.from_dict(ds.meta["y_scaler"])
    assert np.allclose(ys.inverse(ds.y)[:, 0], [10.5, 20.25, 30])
    assert load_csv(path, label="b").task == "classification"
    assert load_csv(path, label="b").classes == ["x", "y"]
    assert load_csv(path, label="a").task == "classification"  # few whole numbers
    assert load_csv(path, label="a", task="regression").task == "regression"
    assert load_csv(path).task == "regression"  # last column by default
    semi = _write(tmp_path, "a;b\n1;0\n2;1\n", "semi.csv")
    assert load_csv(semi).x.tolist() == [[-1.0], [1.0]]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("a,b\n1,2\n,3\n", {"label": "b"}, r"row 3, column 'a' is empty"),
        ("a,b\n1,2\nNA,3\n", {"label": "b"}, r"row 3, column 'a' is empty or missing"),
        ("a,b\n1,2\n2,3\nx,4\n", {"label": "b"}, r"row 4, column 'a': 'x' is not a number"),
        ("a,b\n1,2\n2\n", {"label": "b"}, r"row 3 has 1 values but the header has 2"),
        ("a,b\n1,2\n", {"label": "c"}, r"no column 'c'; its columns are: a, b"),
        ("a,b\n1,x\n2,y\n", {"label": "b", "task": "regression"},
         r"row 2, column 'b': 'x' is not a number"),
        ("a,b\n1,2\n", {"label": "b", "task": "ranking"}, r"task must be"),
        ("a,b\n1,0\n2,0\n", {"label": "b"}, r"only one value"),
        ("a,b\n", {"label": "b"}, r"no data rows"),
        ("", {}, r"is empty"),
        ("a,,c\n1,2,3\n", {}, r"column 2 has no name"),
        ("a,a\n1,2\n", {}, r"more than once"),
        ("b\n1\n2\n", {"label": "b"}, r"no feature columns"),
        ("a,b\n1,2\n\n3,4\n", {"label": "b"}, r"row 3 is empty"),
        ("a,b\n1,2\n", {"label": "b", "drop": ["zz"]}, r"cannot drop column 'zz'"),
    ],
)
def test_bad_tables(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=message) as err:
        load_csv(path, **kwargs)
    assert str(path) in str(err.value) or "task must" in str(err.value)


def test_id_like_text_column(tmp_path: Path) -> None:
    rows = "\n".join(f"name{i},{i % 2}" for i in range(60))
    with pytest.raises(DataError, match="drop=Surname"):
        load_csv(_write(tmp_path, "Surname,y\n" + rows + "\n"), label="y")


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(DataError, match="not a text file"):
        load_csv(binary)
    with pytest.raises(DataError, match="needs a file"):
        load_source("csv:")


# ---------------------------------------------------------------------- hostile files
@pytest.mark.parametrize("text, message", [
    (",,,,\n", "no header row"),
    (",,,,\n,,,,\n", "no header row"),
    ("a,b\n,\n1,2\n", "row 2 is empty"),
    ("a,b,label\n1,2,x\n3,4,y\n" + "5," * 20_000 + "x\n", "20,001 columns"),
    ("a,label\n" + "1" * 200_000 + ",x\n2,y\n", "row 2 has a value longer than 128 KB"),
])
def test_hostile_tables_give_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_csv(path)


def test_cr_only_line_endings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b,label\r1,2,x\r3,4,y\r5,6,x\r")
    ds = load_csv(path)
    assert ds.n == 3 and ds.classes == ["x", "y"]


def test_a_header_of_a_million_columns_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n")
    with pytest.raises(DataError, match="1,000,000 columns.*up to 10,000"):
        load_csv(path)


def test_a_wide_table_loads(tmp_path: Path) -> None:
    n = 3000  # names are checked for duplicates and looked up by a dict, not by scanning
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n"
                    + ",".join(str(i % 7) for i in range(n - 1)) + ",1\n"
                    + ",".join(str(i % 5) for i in range(n - 1)) + ",2\n")
    ds = load_csv(path)
    assert ds.x.shape == (2, n - 1)


def test_a_pipe_named_like_a_csv_file_does_not_block(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "table.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        load_csv(fifo)
