"""How long do the Inside page's views take to redraw, and their background work to run?

Run: ``QT_QPA_PLATFORM=offscreen python bench/bench_views.py [--design cnn] [--repeat 10]``

For each view of the Inside page it prints the mean redraw time on the GUI thread and the
longest single piece of its chunked background work (which runs between GUI events). The
GUI-thread budget while training is a p99 stall of 20 ms (see bench_gui_stalls.py): a view's
redraw and each piece of its background work should stay well below it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.data.dataset import Dataset  # noqa: E402
from nnstudio.gui.session import Session  # noqa: E402
from nnstudio.gui.views import InsightPanel  # noqa: E402

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def dataset() -> Dataset:
    if (MNIST / "mnist5k-images-idx3-ubyte.gz").exists():
        from nnstudio.data.sources import load_source

        return load_source(f"idx:{MNIST}")
    rng = np.random.default_rng(0)
    x = rng.random((2000, 28, 28), dtype=np.float32)
    return Dataset("random", x, rng.integers(0, 10, 2000), "classification",
                   [str(i) for i in range(10)])


def jobs(view):
    return [j for j in (getattr(view, "job", None), getattr(view, "health_job", None)) if j]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", default="cnn")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    session = Session(get_template(args.design))
    session.set_dataset(dataset())
    session.set_current_input(session.dataset.x[0].reshape(28, 28))
    panel = InsightPanel(session)
    panel.resize(1300, 850)
    panel.show()
    app.processEvents()
    print(f"Inside page views · design {args.design} · data {session.dataset.name} "
          f"({session.dataset.n} samples)")
    print(f"{'view':>16} {'first redraw ms':>16} {'redraw ms':>10} {'longest work piece ms':>22}")
    for name, view in panel.views.items():
        t0 = time.perf_counter()
        view.refresh_now()
        first = (time.perf_counter() - t0) * 1000
        for job in jobs(view):
            job.run_to_end()
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            view.refresh_now()
            app.processEvents()
        mean = (time.perf_counter() - t0) / args.repeat * 1000
        for job in jobs(view):
            job.run_to_end()
        step = max((j.longest_step_ms for j in jobs(view)), default=0.0)
        print(f"{name:>16} {first:16.1f} {mean:10.1f} {step:22.1f}")


if __name__ == "__main__":
    main()
