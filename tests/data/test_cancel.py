"""Every file reader stops at short intervals when its load is cancelled."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.data.csvdata import CANCEL_ROWS, load_csv
from nnstudio.data.dataset import LoadCancelled
from nnstudio.data.idx import load_idx_dir, write_idx
from nnstudio.data.sources import load_source


def write_csv(path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    y = (x[:, 0] > 0).astype(int)
    lines = [f"{a:.4f},{b:.4f},{c:.4f},{int(t)}" for (a, b, c), t in zip(x, y, strict=True)]
    path.write_text("a,b,c,y\n" + "\n".join(lines) + "\n")


class Counter:
    """A cancel callable that says stop from its ``after``-th call on."""

    def __init__(self, after: int | None = None) -> None:
        self.after, self.calls = after, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.after is not None and self.calls >= self.after


def test_csv_asks_every_few_thousand_rows_and_stops_when_told(tmp_path):
    path = tmp_path / "t.csv"
    rows = 5 * CANCEL_ROWS
    write_csv(path, rows)
    never = Counter()
    ds = load_csv(path, label="y", cancel=never)
    assert ds.n == rows
    # every pass over the rows asks (reading, checking, every column): never long without
    assert never.calls >= 8 * rows // CANCEL_ROWS
    for after in (1, 3, never.calls // 2, never.calls):
        with pytest.raises(LoadCancelled, match="cancelled"):
            load_csv(path, label="y", cancel=Counter(after))


def test_idx_and_sources_pass_the_cancel_on(tmp_path):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 255, (50, 28, 28),
                                                                    dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 50, dtype=np.uint8))
    never = Counter()
    assert load_idx_dir(tmp_path, cancel=never).n == 50 and never.calls >= 3
    for after in range(1, never.calls + 1):
        with pytest.raises(LoadCancelled):
            load_idx_dir(tmp_path, cancel=Counter(after))
    with pytest.raises(LoadCancelled):
        load_source(f"idx:{tmp_path}", cancel=Counter(1))
    write_csv(tmp_path / "t.csv", 100)
    with pytest.raises(LoadCancelled):
        load_source(f"csv:{tmp_path / 't.csv'}:label=y", cancel=Counter(1))
    assert load_source(f"csv:{tmp_path / 't.csv'}:label=y", cancel=Counter()).n == 100
