"""Shared test configuration: offscreen Qt and the real MNIST digits when present."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Settings, the person's own digits and caches go to a private folder during tests, never
# into the home folder of whoever runs them.
_HOME = Path(tempfile.mkdtemp(prefix="nnstudio-tests-"))
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of 5,000 real MNIST test digits; the test is skipped when it is absent."""
    if not (MNIST_DIR / "mnist5k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST digits not found in {MNIST_DIR}")
    return MNIST_DIR


# ---------------------------------------------------------------------- small designs and data
@pytest.fixture
def tiny_design():
    """Factory of the smallest trainable classifier: 2 inputs → Dense → Dense(2, softmax).

    ``tiny_design(activation="tanh", units=8)``; layer ids ``in``, ``fc1``, ``fc2``, ``out``.
    """
    from nnstudio.core.design import Design

    def make(activation: str = "tanh", units: int = 8) -> Design:
        d = Design("tiny")
        d.add_node("Input", {"shape": [2]}, node_id="in")
        d.add_node("Dense", {"units": units, "activation": activation}, node_id="fc1")
        d.add_node("Dense", {"units": 2, "activation": "softmax"}, node_id="fc2")
        d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
        for a, b in (("in", "fc1"), ("fc1", "fc2"), ("fc2", "out")):
            d.connect(a, b)
        return d

    return make


@pytest.fixture
def tiny_data():
    """Factory of two Gaussian blobs in 2-D, classes "a" and "b": ``tiny_data(n=2000, seed=0)``."""
    import numpy as np

    from nnstudio.data.dataset import Dataset

    def make(n: int = 2000, seed: int = 0) -> Dataset:
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, n)
        x = (rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
        return Dataset("two blobs", x, y.astype(np.int64), "classification", ["a", "b"])

    return make


@pytest.fixture
def settings(tmp_path):
    """Window settings in a file of the test's own folder (never the person's)."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def discard(monkeypatch):
    """Answer every modal question with Discard; the list records which boxes asked."""
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []

    def fake_exec(box):
        asked.append(box.objectName())
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return asked


@pytest.fixture(scope="session")
def square_digits():
    """Writer of easy 28×28 'digits' as an IDX folder: class k lights a square of its own.

    ``square_digits(folder, n, seed=0, prefix="t10k", noise=40, size=(6, 6), pitch=(8, 6),
    origin=(2, 2))`` writes ``{prefix}-images-idx3-ubyte.gz`` and the labels into ``folder``
    and returns it; class k's square starts at ``origin + (k // 4, k % 4) * pitch``.
    """
    import numpy as np

    from nnstudio.data.idx import write_idx

    def write(folder: Path, n: int, *, seed: int = 0, prefix: str = "t10k", noise: int = 40,
              size: tuple[int, int] = (6, 6), pitch: tuple[int, int] = (8, 6),
              origin: tuple[int, int] = (2, 2)) -> Path:
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = (rng.random((n, 28, 28)) * noise).astype(np.uint8)
        for i, k in enumerate(y):
            r, c = origin[0] + pitch[0] * (k // 4), origin[1] + pitch[1] * (k % 4)
            x[i, r:r + size[0], c:c + size[1]] = 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", y)
        return folder

    return write


@pytest.fixture(scope="session")
def shipped_model():
    """The default model that ships in the package (the test is skipped when it is absent)."""
    from nnstudio.core.modelfile import load_model
    from nnstudio.resources import default_model_path

    if not default_model_path().is_file():
        pytest.skip("the shipped model nnstudio/resources/default_model.npz is not there")
    return load_model(default_model_path())


@pytest.fixture
def record_run(tiny_design, tiny_data):
    """``record_run(folder, epochs=3, lr=0.01, budget=..., name=None)`` trains the tiny
    design on two blobs while recording; returns (writer, trainer, warnings)."""

    from dataclasses import asdict

    from nnstudio.core.network import Network
    from nnstudio.core.training import TrainConfig, Trainer, TrainingDiverged
    from nnstudio.runs.recorder import Recorder
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import RunWriter

    def make(folder: Path, *, epochs: int = 3, lr: float = 0.01, budget: int = 20 << 20,
             name: str | None = None, n: int = 600, warn=None, parent: dict | None = None):
        ds = tiny_data(n)
        net = Network(tiny_design(), seed=1)
        config = TrainConfig(epochs=epochs, batch_size=32, lr=lr, seed=3)
        trainer = Trainer(net, ds.x, ds.y, config)
        start = RunStart(design=net.design, data="blobs", config=asdict(config),
                         dataset=ds.name, classes=list(ds.classes), name=name, parent=parent)
        messages: list[str] = []
        writer = RunWriter(folder, start, budget=budget, warn=warn or messages.append)
        rec = Recorder(writer, net)
        try:
            trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
        except TrainingDiverged as exc:
            writer.finish("diverged", str(exc))
        else:
            writer.finish("finished")
        return writer, trainer, messages

    return make
