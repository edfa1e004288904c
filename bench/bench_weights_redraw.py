"""How long the Weights view takes to redraw after a long run of fast snapshots.

The playground network on the spiral trains about 200 epochs a second, and every epoch ends
with a snapshot of its weights and their update ÷ weight ratios. This benchmark feeds the
Inside page's Weights view that many snapshots (on its own clock, 200 a second, without a
training process), then times one redraw (refresh and paint, best of 5) after 5 s, 25 s and
100 s worth of them. A redraw that grows with the run's length takes the GUI thread from the
training process as the run goes on.

    .venv/bin/python bench/bench_weights_redraw.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

#: snapshots a second of the playground network on the spiral (one per epoch)
RATE = 200


def main() -> int:
    from nnstudio.core.templates import get_template
    from nnstudio.data.sources import load_source
    from nnstudio.gui import theme
    from nnstudio.gui.inside.weights import WeightsView
    from nnstudio.gui.session import Session
    from nnstudio.gui.snapshot import Snapshot

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    session = Session(get_template("playground"))
    session.set_dataset(load_source("toy:spiral"))
    view = WeightsView(session)
    view.resize(900, 600)
    view.show()
    app.processEvents()
    now = [0.0]
    if hasattr(view, "clock"):   # the snapshots' own pace, not the benchmark's
        view.clock = lambda: now[0]
    rng = np.random.default_rng(0)
    weights = session.network.get_weights()

    def redraw_ms() -> float:
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            view.refresh_now()
            view.grab()
            best = min(best, time.perf_counter() - t0)
        return best * 1000

    print(f"Weights view, playground network, {RATE} snapshots a second · load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    sent = 0
    for n in (5 * RATE, 25 * RATE, 100 * RATE):
        while sent < n:
            session.apply_snapshot(Snapshot(
                weights=weights, batch_index=np.array([sent]),
                update_ratios={k: float(rng.uniform(1e-4, 1e-2)) for k in weights}))
            sent += 1
            now[0] += 1.0 / RATE
        print(f"after {n:7,} snapshots ({n / RATE:4.0f} s of training): one redraw "
              f"{redraw_ms():8.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
