"""One-file models: round trip, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import io
import json
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
