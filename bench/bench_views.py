"""How long do the Inside page's views hold the GUI thread: redraws and background work.

Run::

    .venv/bin/python bench/bench_views.py                   # cnn template, 5,000 MNIST digits
    .venv/bin/python bench/bench_views.py --design mlp      # or lenet, or big (a wide CNN)
    .venv/bin/python bench/bench_views.py --training        # the views' while-training pace

The real :class:`InsightPanel` is shown offscreen with the app's thread settings. Each view is
brought to the front in turn and measured through its real code paths:

- *redraw*: ``refresh_now()`` plus a synchronous repaint of the view; first the initial one
  (which builds the view's items; ``paint`` is the part spent painting the newly shown
  view), then ``--repeat`` more, each after a weight snapshot (the weights nudged, as during
  training) has been applied to the session;
- *work pieces*: every ``next()`` of every :class:`ChunkedJob` generator the view starts
  (the ``start`` method is wrapped before the panel exists), run by the event loop;
- *turns*: every event-loop turn a job spends (its ``turn``, including the drawing of the
  finished result): this is the GUI-thread stall the background work causes.

Targets (see bench_gui_stalls.py): the window keeps GUI-thread stalls at p99 <= 20 ms and
max <= 50 ms while training, so a redraw should stay <= ~10 ms and a work piece <= ~8 ms.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core.design import Design  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.data.dataset import Dataset  # noqa: E402
from nnstudio.gui.inside import InsightPanel  # noqa: E402
from nnstudio.gui.inside.base import ChunkedJob  # noqa: E402
from nnstudio.gui.session import Session  # noqa: E402
from nnstudio.gui.snapshot import Snapshot  # noqa: E402

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
PIECES: dict[str, list[float]] = defaultdict(list)   # view name -> work piece ms
TURNS: dict[str, list[float]] = defaultdict(list)    # view name -> event-loop turn ms


def dataset() -> Dataset:
    if (MNIST / "mnist5k-images-idx3-ubyte.gz").exists():
        from nnstudio.data.sources import load_source

        return load_source(f"idx:{MNIST}")
    rng = np.random.default_rng(0)
    x = rng.random((2000, 28, 28), dtype=np.float32)
    return Dataset("random", x, rng.integers(0, 10, 2000), "classification",
                   [str(i) for i in range(10)])


def big_design() -> Design:
    """A wide CNN (about 3.5 million weights): larger than any template."""
    d = Design("big")
    layers = [("Input", {"shape": [1, 28, 28]}),
              ("Conv2D", {"filters": 32, "kernel_size": 5}),
              ("Conv2D", {"filters": 64, "kernel_size": 3}),
              ("MaxPool2D", {"pool_size": 2}),
              ("Conv2D", {"filters": 128, "kernel_size": 3}),
              ("MaxPool2D", {"pool_size": 2}),
              ("Flatten", {}),
              ("Dense", {"units": 512, "activation": "relu"}),
              ("Dense", {"units": 10, "activation": "softmax"}),
              ("Output", {"loss": "cross_entropy"})]
    prev = None
    for kind, params in layers:
        node = d.add_node(kind, params)
        if prev is not None:
            d.connect(prev, node.id)
        prev = node.id
    return d


def _owner(job: ChunkedJob) -> str:
    parent = job.parent()
    return parent.objectName() if parent is not None else "?"


def instrument() -> None:
    """Time every piece and every event-loop turn of every ChunkedJob (the real ones)."""
    start, tick = ChunkedJob.start, ChunkedJob.turn

    def timed(gen, out: list[float]):
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    value = next(gen)
                except StopIteration:
                    out.append((time.perf_counter() - t0) * 1000)
                    return
                out.append((time.perf_counter() - t0) * 1000)
                yield value
        finally:
            gen.close()

    def timed_start(self, gen, *args, **kw):
        return start(self, timed(gen, PIECES[_owner(self)]), *args, **kw)

    def timed_tick(self, *args, **kw):
        t0 = time.perf_counter()
        try:
            return tick(self, *args, **kw)
        finally:
            TURNS[_owner(self)].append((time.perf_counter() - t0) * 1000)

    ChunkedJob.start = timed_start
    ChunkedJob.turn = timed_tick


def drain(app: QApplication, view, timeout_s: float = 120.0) -> None:
    """Let the event loop run the view's background work to its end."""
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        app.processEvents()
        if not any(j.running for j in view.findChildren(ChunkedJob)):
            return
    raise SystemExit(f"{view.objectName()}: background work did not finish in {timeout_s} s")


def nudged(weights: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {k: (v + rng.normal(0, 1e-3, v.shape)).astype(np.float32) for k, v in weights.items()}


def stats(values: list[float]) -> tuple[int, float, float]:
    if not values:
        return 0, 0.0, 0.0
    a = np.asarray(values)
    return len(a), float(np.percentile(a, 99)), float(a.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", default="cnn", help="a template name, or 'big'")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--training", action="store_true",
                        help="the session says training is running (views pace themselves)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    try:
        from nnstudio.gui.train.bridge import configure_threading

        configure_threading()   # the app's OpenBLAS thread limit, as in the window
    except ImportError:
        pass
    instrument()
    design = big_design() if args.design == "big" else get_template(args.design)
    session = Session(design)
    session.set_dataset(dataset())
    session.set_current_input(session.dataset.x[0].reshape(28, 28))
    if args.training:
        session.set_training_state("running")
    panel = InsightPanel(session)
    panel.resize(1300, 850)
    panel.show()
    app.processEvents()
    for view in panel.views.values():   # nothing from building the panel is counted
        drain(app, view)
    PIECES.clear()
    TURNS.clear()
    rng = np.random.default_rng(0)
    net = session.network
    print(f"Inside page views · design {args.design} ({net.n_params:,} weights) · data "
          f"{session.dataset.name} ({session.dataset.n} samples)"
          f"{' · training' if args.training else ''}")
    print(f"{'':>16} {'redraw ms':^35} {'work pieces ms':^24} {'event-loop turns ms':^20}")
    print(f"{'view':>16} {'first':>8} {'paint':>8} {'mean':>8} {'max':>8} {'n':>7} {'p99':>8} "
          f"{'max':>8} {'p99':>9} {'max':>9}")
    batch = 0
    for name, view in panel.views.items():
        panel.show_view(name)
        t0 = time.perf_counter()
        view.refresh_now()
        t1 = time.perf_counter()
        view.repaint()
        first, paint = (time.perf_counter() - t0) * 1000, (time.perf_counter() - t1) * 1000
        drain(app, view)
        times = []
        for _ in range(args.repeat):
            batch += 50
            session.apply_snapshot(Snapshot(weights=nudged(net.get_weights(), rng),
                                            batch_index=np.array([batch])))
            t0 = time.perf_counter()
            view.refresh_now()
            view.repaint()
            times.append((time.perf_counter() - t0) * 1000)
            drain(app, view)
        n, p99, top = stats(PIECES[name])
        _, tp99, ttop = stats(TURNS[name])
        print(f"{name:>16} {first:8.1f} {paint:8.1f} {np.mean(times):8.1f} {max(times):8.1f} "
              f"{n:7d} {p99:8.1f} {top:8.1f} {tp99:9.1f} {ttop:9.1f}")


if __name__ == "__main__":
    main()
