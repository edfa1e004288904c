"""One-file models: round trip, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from nnstudio.core.design import design_to_dict
from nnstudio.core.modelfile import FORMAT_VERSION, ModelFileError, load_model, save_model
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.core.training import EpochInfo, History


@pytest.fixture()
def saved(tmp_path):
    net = Network(get_template("cnn"), seed=4)
    hist = History()
    for i in range(300):
        hist.append_batch(1.0 / (i + 1), 0.5, 1e-3, 1)
    hist.epochs.append(EpochInfo(1, 0.4, 0.88, 0.3, 0.9, 1e-3, 2.0))
    path = tmp_path / "m.npz"
    save_model(path, net, hist, {"classes": [str(i) for i in range(10)], "data": "idx:x"})
    return path, net, hist


def test_round_trip(saved):
    path, net, hist = saved
    model = load_model(path)
    assert design_to_dict(model.design) == design_to_dict(net.design)
    for key, value in net.get_weights().items():
        np.testing.assert_array_equal(model.network.get_weights()[key], value)
    assert model.classes == [str(i) for i in range(10)]
    assert model.meta["data"] == "idx:x" and model.meta["format_version"] == FORMAT_VERSION
    assert "saved_at" in model.meta and "nnstudio_version" in model.meta
    assert len(model.history) == 300 and model.history.epochs[0].val_accuracy == 0.9
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(model.network.forward(x), net.forward(x), rtol=1e-6)


def test_plain_numpy_reads_it_without_pickle(saved):
    path, net, _ = saved
    with np.load(path, allow_pickle=False) as data:
        assert str(data["format"]) == "nnstudio-model"
        assert json.loads(str(data["design"]))["name"] == "cnn"
        assert data["weights/conv1/W"].dtype == np.float32
        assert "history/batch_loss" in data.files


def test_atomic_write_leaves_no_temporary_files(saved, tmp_path):
    path, net, _ = saved
    save_model(path, net)  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    assert len(load_model(path).history) == 0


def test_failed_write_keeps_the_old_file(saved, tmp_path):
    path, net, _ = saved
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_model(path, net, meta={"bad": object()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    with pytest.raises(FileNotFoundError):
        save_model(tmp_path / "no" / "m.npz", net)


def test_missing_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "none.npz")
    with pytest.raises(ModelFileError, match="folder"):
        load_model(tmp_path)


def test_truncated(saved):
    path, _, _ = saved
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="damaged or incomplete"):
            load_model(path)


def test_corrupt_bytes(saved):
    path, _, _ = saved
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 200] = bytes(200)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(path)


def test_foreign_files(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello, not a model", encoding="utf-8")
    with pytest.raises(ModelFileError, match="not an nnstudio model file"):
        load_model(text)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(ModelFileError, match="NumPy archive but not an nnstudio model"):
        load_model(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, format=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelFileError):
        load_model(pickled)
    zipped = tmp_path / "z.npz"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(ModelFileError):
        load_model(zipped)


def rewrite(path, **changes) -> None:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_newer_version(saved):
    path, _, _ = saved
    rewrite(path, version=np.array(FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="newer nnstudio"):
        load_model(path)


def test_bad_design_and_mismatched_weights(saved):
    path, _, _ = saved
    rewrite(path, **{"weights/fc1/W": np.zeros((3, 3), np.float32)})
    with pytest.raises(ModelFileError, match="weights do not fit"):
        load_model(path)
    rewrite(path, design=np.array('{"nodes": [{"id": "x", "kind": "Blob"}]}'))
    with pytest.raises(ModelFileError, match="design nnstudio cannot use"):
        load_model(path)


# ---------------------------------------------------------------------- hostile files
def _zip_with(path, members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_a_pipe_named_like_a_model_does_not_block(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        load_model(fifo)


def test_a_weights_bomb_is_refused_with_the_size_and_the_limit(saved, tmp_path, monkeypatch):
    path, _, _ = saved
    members = _members(path)
    members["weights/fc1/W.npy"] = _npy(np.zeros((64, 1 << 18), np.float32))  # 64 MiB
    bomb = tmp_path / "bomb.npz"
    _zip_with(bomb, members)
    assert bomb.stat().st_size < 1 << 20
    monkeypatch.setenv("NNSTUDIO_MEMORY_LIMIT_GB", "0.03")
    with pytest.raises(ModelFileError, match=r"needs 64\.\d MB, limit 30\.7 MB"):
        load_model(bomb)


def test_a_header_that_claims_more_than_the_file_holds(saved, tmp_path):
    path, _, _ = saved
    members = _members(path)
    text = _npy(np.array("x" * 10))
    header_len = text.index(b"\n") + 1
    fake = text[:header_len].replace(b"<U10", b"<U" + str(1 << 28).encode())
    fake = fake[:-1].rstrip(b" ")[: header_len - 1].ljust(header_len - 1) + b"\n"
    members["design.npy"] = fake + text[header_len:]
    lie = tmp_path / "lie.npz"
    _zip_with(lie, members)
    with pytest.raises(ModelFileError, match="claims 1.0 GB"):
        load_model(lie)


def test_a_design_text_over_the_limit_is_refused(saved, tmp_path, monkeypatch):
    from nnstudio.core import modelfile

    path, _, _ = saved
    monkeypatch.setattr(modelfile, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(ModelFileError, match="'design' is .* limit 1,000 bytes"):
        load_model(path)


def test_a_million_epochs_of_history_are_trimmed(saved, tmp_path):
    path, _, _ = saved
    n = 1_000_000
    rewrite(path, **{"history/epoch_epoch": np.arange(1, n + 1, dtype=np.float64),
                     "history/epoch_train_loss": np.linspace(2, 0.1, n)})
    model = load_model(path)
    assert len(model.history.epochs) == 10_000
    assert model.history.epochs[-1].epoch == n
    assert model.meta["history_trimmed"]["epoch_epoch"] == n


@pytest.mark.parametrize("damage", ["deep meta", "weights as text", "version as text",
                                    "negative shape"])
def test_damage_becomes_a_model_file_error(saved, tmp_path, damage):
    path, _, _ = saved
    members = _members(path)
    if damage == "deep meta":
        members["meta.npy"] = _npy(np.array("[" * 50_000 + "]" * 50_000))
    elif damage == "weights as text":
        members["weights/fc1/W.npy"] = _npy(np.array("not numbers"))
    elif damage == "version as text":
        members["version.npy"] = _npy(np.array("one"))
    else:
        good = members["weights/fc1/b.npy"]
        members["weights/fc1/b.npy"] = good.replace(b"'shape': (", b"'shape': (-", 1)
    bad = tmp_path / "bad.npz"
    _zip_with(bad, members)
    with pytest.raises(ModelFileError, match="bad.npz"):
        load_model(bad)


def zero_weights_model(path, units: int) -> None:
    """A legal design (784 -> Dense ``units`` -> 10) whose weights are all zeros, written
    member by member without holding them in memory: 160 MB of weights in about 160 KB."""
    import json as _json

    from nnstudio.core.design import design_to_json
    from nnstudio.core.templates import chain

    design = chain("huge", [784], [("big", "Dense", {"units": units, "activation": "relu"}),
                                   ("out", "Dense", {"units": 10, "activation": "softmax"})],
                   "cross_entropy")
    shapes = {"big/W": (784, units), "big/b": (units,), "out/W": (units, 10), "out/b": (10,)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, value in {"format": "nnstudio-model", "design": design_to_json(design),
                           "meta": _json.dumps({"classes": list("0123456789")})}.items():
            zf.writestr(f"{key}.npy", _npy(np.array(value)))
        zf.writestr("version.npy", _npy(np.array(FORMAT_VERSION, np.int64)))
        for key, shape in shapes.items():
            with zf.open(f"weights/{key}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(
                    fh, {"descr": "<f4", "fortran_order": False, "shape": shape})
                left = int(np.prod(shape)) * 4
                while left:
                    step = min(left, 1 << 22)
                    fh.write(bytes(step))
                    left -= step


def test_a_small_file_of_zero_weights_is_refused_before_unpacking(tmp_path):
    """160 MB of weights packed into 160 KB (nnstudio's weights barely compress): refused at
    once, with the sizes, in a process capped at 1 GB of address space."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    bomb = tmp_path / "zeros.npz"
    zero_weights_model(bomb, 51_000)
    assert bomb.stat().st_size < 200_000
    code = ("import resource, sys, time\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from nnstudio.core.modelfile import ModelFileError, load_model\n"
            "start = time.perf_counter()\n"
            "try:\n"
            "    load_model(sys.argv[1])\n"
            "except ModelFileError as err:\n"
            "    print(f'{time.perf_counter() - start:.3f}', err)\n")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True,
                         text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    seconds, _, message = out.stdout.partition(" ")
    assert float(seconds) < 1.0 and time.perf_counter() - start < 30
    assert "unpacks to 154.7 MB from" in message and "bomb" in message


def test_info_reads_the_design_and_facts_without_the_weights(saved, tmp_path, capsys):
    """``nnstudio info`` describes a file whose weights cannot be used."""
    from nnstudio import cli

    path, _, _ = saved
    members = _members(path)
    members["weights/fc1/W.npy"] = _npy(np.zeros((3, 3), np.float32))
    odd = tmp_path / "odd.npz"
    _zip_with(odd, members)
    with pytest.raises(ModelFileError, match="weights do not fit"):
        load_model(odd)
    assert load_model(odd, weights=False).network is None
    assert cli.main(["info", str(odd)]) == 0
    out = capsys.readouterr().out
    assert "fc1" in out and "parameters" in out


def test_class_names_become_text_or_are_refused(saved, tmp_path):
    path, _, _ = saved
    rewrite(path, meta=np.array(json.dumps({"classes": [1, None, {"a": 2}, "x"]})))
    assert load_model(path).classes == ["1", "null", '{"a": 2}', "x"]
    rewrite(path, meta=np.array(json.dumps({"classes": {"0": "zero"}})))
    with pytest.raises(ModelFileError, match="class names are not a list"):
        load_model(path)
