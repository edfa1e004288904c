"""The shipped default model: present, small, float32, digit classes, and accurate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.modelfile import load_model

MODEL = Path(__file__).resolve().parents[2] / "nnstudio" / "resources" / "default_model.npz"


@pytest.fixture(scope="module")
def model():
    if not MODEL.exists():
        pytest.skip("nnstudio/resources/default_model.npz not built yet")
    return load_model(MODEL)


def test_default_model_file(model) -> None:
    assert MODEL.stat().st_size < 2_000_000
    assert model.classes == [str(i) for i in range(10)]
    assert "synthetic" in model.meta["trained_on"]
    for p in model.network.parameters():
        assert p.value.dtype == np.float32
    assert model.network.input_shape == (1, 28, 28)


def test_default_model_reads_real_handwriting(model, mnist_dir: Path) -> None:
    from nnstudio.data.idx import load_idx_dir

    real = load_idx_dir(mnist_dir)
    acc = model.network.evaluate(real.x[:2000], real.y[:2000])["accuracy"]
    assert acc >= 0.93


def test_default_model_reads_the_held_out_real_digits(model, mnist_dir: Path) -> None:
    """The real digits the build script never trains on: at least 97% read right."""
    from nnstudio.data.capture import REAL_HELD_OUT
    from nnstudio.data.idx import load_idx_dir

    real = load_idx_dir(mnist_dir)
    held = slice(0, REAL_HELD_OUT)
    acc = model.network.evaluate(real.x[held], real.y[held])["accuracy"]
    assert acc >= 0.97
    assert model.meta["real_check"]["n"] == REAL_HELD_OUT
