"""Fixtures for run records: a runs folder, a recorded run trained in-process, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from nnstudio.core.network import Network
from nnstudio.core.training import TrainConfig, Trainer, TrainingDiverged
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import RunWriter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def record_run(tiny_design, tiny_data):
    """``record_run(folder, epochs=3, lr=0.01, budget=..., name=None)`` trains the tiny
    design on two blobs while recording; returns (writer, trainer, warnings)."""

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


@pytest.fixture
def nnstudio_cli(tmp_path):
    """``nnstudio_cli(*args, env=None)`` runs ``python -m nnstudio`` with the data folder in
    ``tmp_path/"user"``; returns the CompletedProcess (text)."""

    def run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
        full = {**os.environ, "NNSTUDIO_DATA_DIR": str(tmp_path / "user"),
                "PYTHONPATH": str(ROOT), **(env or {})}
        return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True,
                              text=True, cwd=tmp_path, env=full, timeout=120, **kw)

    return run
