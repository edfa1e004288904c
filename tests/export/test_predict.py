"""nnstudio predict: real digits as picture files of any size and polarity, CSV rows through
the model's stored column encoding, regression in the target's units, one-line errors."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.core.design import save_design
from nnstudio.core.templates import chain
from nnstudio.data.idx import read_idx


def write_png(path: Path, grey: np.ndarray) -> None:
    """A greyscale PNG written without any imaging library (filter 'Up' on every row)."""
    h, w = grey.shape
    rows = np.vstack([grey[:1], np.diff(grey.astype(np.int16), axis=0) % 256]).astype(np.uint8)
    raw = b"".join(b"\x02" + rows[r].tobytes() for r in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0,
                                                                       0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def digit_files(mnist_dir, tmp_path_factory):
    """12 real MNIST digits as files: photos of dark ink on light paper (PNG, enlarged and
    off-centre), light-on-dark PGM at the original size, and a few JPEGs when Qt is there."""
    folder = tmp_path_factory.mktemp("digits")
    x = read_idx(mnist_dir / "mnist5k-images-idx3-ubyte.gz")[:12]
    y = read_idx(mnist_dir / "mnist5k-labels-idx1-ubyte.gz")[:12]
    files = []
    for i, img in enumerate(x):
        if i % 2 == 0:
            big = np.kron(img, np.ones((4, 4), np.uint8)).astype(np.float64)
            paper = np.clip(230 - 0.8 * big, 0, 255).astype(np.uint8)
            paper = np.pad(paper, ((10, 50), (70, 5)), constant_values=230)
            path = folder / f"photo{i}.png"
            write_png(path, paper)
        else:
            path = folder / f"scan{i}.pgm"
            path.write_bytes(b"P5\n28 28\n255\n" + img.tobytes())
        files.append((path, str(int(y[i]))))
    return files


def test_real_digits_from_picture_files(digit_files, capsys):
    paths = [str(p) for p, _ in digit_files]
    assert cli.main(["predict", "default", *paths, "--json", "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(paths)
    right = 0
    for line, (path, label) in zip(lines, digit_files, strict=True):
        obj = json.loads(line)
        assert obj["input"] == str(path)
        assert set(obj["probabilities"]) == {str(d) for d in range(10)}
        assert sum(obj["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert len(obj["top"]) == 2 and obj["top"][0][0] == obj["answer"]
        right += obj["answer"] == label
    assert right >= 10, f"{right} of {len(lines)} right"


def test_text_output_shows_answer_and_top_classes(digit_files, capsys):
    path, label = digit_files[0]
    assert cli.main(["predict", "default", str(path), "--top", "3"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{path}: {label} (")
    assert line.count("%") == 4


def test_jpeg_goes_to_an_available_decoder(digit_files, tmp_path, capsys):
    pytest.importorskip("PySide6")
    from PySide6.QtGui import QImage

    x = np.zeros((60, 60), np.uint8) + 250
    x[10:50, 27:33] = 20                                # a thick vertical stroke: a one
    x = np.ascontiguousarray(x)
    QImage(x.data, 60, 60, 60, QImage.Format.Format_Grayscale8).save(str(tmp_path / "one.jpg"))
    assert cli.main(["predict", "default", str(tmp_path / "one.jpg"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == "1"


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def table_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(0)
    cls_rows, reg_rows = ["size,colour,label"], ["area,town,price"]
    for _ in range(150):
        s, c = rng.normal(5, 2), rng.choice(["red", "blue"])
        cls_rows.append(f"{s:.3f},{c},{'big' if s + (2 if c == 'red' else 0) > 6 else 'small'}")
        a, t = rng.uniform(40, 120), rng.choice(["north", "south"])
        reg_rows.append(f"{a:.1f},{t},{3000 * a + (40000 if t == 'north' else 0):.0f}")
    cls_csv, reg_csv = _csv(folder / "c.csv", cls_rows), _csv(folder / "r.csv", reg_rows)
    save_design(chain("c", [3], [("h", "Dense", {"units": 8, "activation": "tanh"}),
                                 ("s", "Dense", {"units": 2, "activation": "softmax"})],
                      "cross_entropy"), folder / "c.json")
    save_design(chain("r", [3], [("fit", "Dense", {"units": 1, "activation": "linear"})],
                      "mse"), folder / "r.json")
    for name, csv_file, label, epochs in (("c", cls_csv, "label", 30), ("r", reg_csv, "price",
                                                                         60)):
        assert cli.main(["train", "--design", str(folder / f"{name}.json"), "--data",
                         f"csv:{csv_file}:label={label}", "--epochs", str(epochs), "--lr",
                         "0.02", "--val-split", "0", "--out", str(folder / f"{name}.npz")]) == 0
    return folder


def test_csv_rows_through_the_stored_encoding(table_models, tmp_path, capsys):
    new = _csv(tmp_path / "new.csv", ["colour,size", "red,9.0", "blue,1.0"])  # other order
    capsys.readouterr()
    assert cli.main(["predict", str(table_models / "c.npz"), str(new), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["input"] for r in rows] == [f"{new}:row 2", f"{new}:row 3"]
    assert [r["answer"] for r in rows] == ["big", "small"]
    assert set(rows[0]["probabilities"]) == {"big", "small"}


def test_regression_prints_the_target_in_its_units(table_models, tmp_path, capsys):
    new = _csv(tmp_path / "homes.csv", ["area,town", "100,north", "50,south"])
    capsys.readouterr()
    assert cli.main(["predict", str(table_models / "r.npz"), str(new), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert rows[0]["target"] == ["price"] and rows[0]["probabilities"] is None
    assert rows[0]["answer"] == pytest.approx(340000, rel=0.05)
    assert rows[1]["answer"] == pytest.approx(150000, rel=0.08)
    assert cli.main(["predict", str(table_models / "r.npz"), str(new)]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(f"{new}:row 2: price = ")


@pytest.mark.parametrize("content, words", [
    (None, ["does not exist"]),
    (b"GIF89a not really", ["can be read", "PNG"]),
    (b"P5\n8 8\n255\n" + bytes([200]) * 64, ["no visible digit"]),
])
def test_bad_picture_files_give_one_line_and_exit_2(content, words, tmp_path, capsys):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["predict", "default", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    for w in words:
        assert w in lines[0], lines[0]


def test_bad_csv_rows_name_the_row_and_column(table_models, tmp_path, capsys):
    model = str(table_models / "c.npz")
    cases = {
        "unknown.csv": (["size,colour", "3,green"], ["row 2", "'colour'", "'green'"]),
        "missing.csv": (["size", "3"], ["no column 'colour'"]),
        "text.csv": (["size,colour", "big,red"], ["row 2", "'size'", "not a number"]),
    }
    for name, (rows, words) in cases.items():
        path = _csv(tmp_path / name, rows)
        assert cli.main(["predict", model, str(path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        for w in words:
            assert w in err[0], err[0]
    # a table model given a picture, and an image model given no usable table
    write_png(tmp_path / "x.png", np.full((8, 8), 255, np.uint8))
    assert cli.main(["predict", model, str(tmp_path / "x.png")]) == 2
    assert "not a picture" in capsys.readouterr().err
    assert cli.main(["predict", "default", "digit.png", "--top", "0"]) == 2
    assert "--top" in capsys.readouterr().err


def _one_stroke(path: Path, mode: str) -> Path:
    """A vertical stroke (a one) drawn as ImageMagick writes a greyscale drawing: black ink
    whose alpha is the ink (grey + alpha, PNG colour type 4), or grey on white paper."""
    from PIL import Image

    ink = np.zeros((280, 280), np.uint8)
    ink[40:240, 125:155] = 255
    if mode == "LA":
        Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA").save(path)
    else:
        Image.fromarray(255 - ink, "L").save(path)
    return path


def test_grey_alpha_png_and_a_bad_file_among_good_ones(tmp_path, capsys):
    """Every input that can be read is answered; the bad one is named; exit status 2."""
    la = _one_stroke(tmp_path / "drawing.png", "LA")
    grey = _one_stroke(tmp_path / "scan.pgm", "L")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code = cli.main(["predict", "default", str(la), str(bad), str(grey), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    rows = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert [r["input"] for r in rows] == [str(la), str(bad), str(grey)]
    assert rows[0]["answer"] == "1" and rows[2]["answer"] == "1"
    assert "error" in rows[1] and "bad.png" in rows[1]["error"]
    err = captured.err.strip().splitlines()
    assert len(err) == 2 and "bad.png" in err[0] and "1 of 3 input files" in err[1]
    assert "Traceback" not in captured.err and "shape" not in captured.err
    assert cli.main(["predict", "default", str(la), str(grey)]) == 0
    assert [line.split(":")[1].split()[0] for line in capsys.readouterr().out.splitlines()] \
        == ["1", "1"]


def test_class_names_that_are_not_text_are_shown_as_text(tmp_path, capsys):
    from nnstudio.core.modelfile import save_model
    from nnstudio.core.network import Network
    from nnstudio.core.templates import get_template

    names = [0, 1.5, None, {"a": [1]}, [2], True, "six", 7, "\x1b[31mred\x07\u202e", 9]
    model = tmp_path / "odd.npz"
    save_model(model, Network(get_template("mlp")), meta={"classes": names})
    picture = _one_stroke(tmp_path / "one.png", "L")
    assert cli.main(["predict", str(model), str(picture), "--json", "--top", "10"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert list(row["probabilities"]) == ["0", "1.5", "null", '{"a": [1]}', "[2]", "true",
                                          "six", "7", "\x1b[31mred\x07\u202e", "9"]
    assert cli.main(["predict", str(model), str(picture), "--top", "10"]) == 0
    out = capsys.readouterr().out
    assert "\\x1b[31mred\\x07\\u202e" in out
    assert not any(c in out for c in "\x1b\x07\u202e")
