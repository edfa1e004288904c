"""How well digit models read handwriting from other writers and capture processes.

Stand-in test sets, all kept apart from training:

- ``mnist held-out``: the first 2,500 of the 5,000 real digits in ``../shared/data/mnist``
  (the build script trains only on the other 2,500; the split is fixed in
  :data:`nnstudio.data.capture.REAL_HELD_OUT`);
- the same held-out digits re-captured the ways other sets are made
  (:mod:`nnstudio.data.capture`): black and white at three thresholds, reduced to 16×16 and
  back (grey, black and white, square pixels), thicker and thinner strokes, jagged edges,
  slight rotations and shears, ink blobs, broken strokes, the ink box stretched to fill a
  square (as sets that scale every digit to fill their box are made; grey, and 16×16 black and
  white), and two combinations; every one is
  framed again the MNIST way, with fixed seeds;
- ``drawn``: digits drawn in 22 styles people use on the canvas (1 with flag and serif,
  Z-shaped 2, open and closed 4, looped 2, 7 with a bar, small-loop 6, open-stem 9, ...), each
  24 times with thin to thick pens, small to large, slanted and off-centre, painted by the
  canvas's own stroke painter (``bench/drawn_digits.py``).

Prints one row per set: its size and the accuracy of each model (by default *before*: the
shipped model as it was before this benchmark existed, read from git, and *after*: the
shipped model now). Then the drawn styles any model misses most.

Run from the repository root::

    .venv/bin/python bench/bench_robustness.py [--model NAME=PATH ...] [--per-style 24]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MNIST = ROOT.parent / "shared" / "data" / "mnist"
#: the shipped model before this benchmark: commit and path inside it
BEFORE = "237d53f:resources/default_model.npz"
SHIPPED = ROOT / "nnstudio" / "resources" / "default_model.npz"


def load_model_arg(spec: str):
    """A model from a file path, or ``git:REV:PATH`` (read from the repository's history)."""
    from nnstudio.core.modelfile import load_model

    if spec.startswith("git:"):
        data = subprocess.run(["git", "-C", str(ROOT), "show", spec[4:]], check=True,
                              capture_output=True).stdout
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-model-{os.getpid()}.npz"
        tmp.write_bytes(data)
        try:
            return load_model(tmp)
        finally:
            tmp.unlink()
    return load_model(Path(spec))


def stand_in_sets(x: np.ndarray, y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Held-out real digits (N, 28, 28) re-captured in fixed ways: name -> (images, labels)."""
    from nnstudio.data import capture as cap

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng(1000 + k)

    n = len(x)
    signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    sets = {
        "mnist held-out": x,
        "b/w at 0.25": cap.reframe(cap.binarise(x, 0.25)),
        "b/w at 0.5": cap.reframe(cap.binarise(x, 0.5)),
        "b/w at 0.75": cap.reframe(cap.binarise(x, 0.75)),
        "16x16 and back": cap.reframe(cap.low_resolution(x, 16)),
        "16x16 b/w and back": cap.reframe(cap.low_resolution(x, 16, 0.5)),
        "16x16 b/w square pixels": cap.reframe(cap.low_resolution(x, 16, 0.4, nearest=True)),
        "thicker (2 px)": cap.reframe(cap.thicker(x, 2)),
        "thinner": cap.reframe(cap.thinner(x)),
        "jagged (14x14 b/w)": cap.reframe(cap.low_resolution(x, 14, 0.5, nearest=True)),
        "rotated ±10°": cap.reframe(cap.affine(x, 10 * signs)),
        "sheared ±0.3": cap.reframe(cap.affine(x, 0, 0.3 * signs)),
        "ink blobs": cap.reframe(cap.ink_blobs(x, rng(1))),
        "broken strokes": cap.reframe(cap.broken_strokes(x, rng(2))),
        "scan: thick + 16x16 b/w": cap.reframe(cap.low_resolution(cap.thicker(x, 1), 16, 0.5)),
        "scan: rotated + 16x16 b/w": cap.reframe(
            cap.low_resolution(cap.affine(x, 8 * signs, -0.15 * signs), 16, 0.5)),
        "stretched to fill a box": cap.reframe(cap.fill_box(x)),
        "stretched + 16x16 b/w": cap.reframe(cap.low_resolution(cap.fill_box(x), 16, 0.5)),
    }
    return {k: (v.astype(np.float32), y) for k, v in sets.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", default=None, metavar="NAME=PATH",
                   help="a model to measure (PATH or git:REV:PATH); repeatable; default "
                        f"before=git:{BEFORE} and after={SHIPPED.relative_to(ROOT)}")
    p.add_argument("--per-style", type=int, default=24, help="drawings per drawn style")
    args = p.parse_args(argv)

    from drawn_digits import drawn_set

    from nnstudio.data.capture import REAL_HELD_OUT
    from nnstudio.data.idx import load_idx_dir

    specs = args.model or [f"before=git:{BEFORE}", f"after={SHIPPED}"]
    models = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        models[name] = load_model_arg(path).network
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if (MNIST / "mnist5k-images-idx3-ubyte.gz").exists():
        real = load_idx_dir(MNIST)
        sets.update(stand_in_sets(real.x[:REAL_HELD_OUT], real.y[:REAL_HELD_OUT]))
    else:
        print(f"(no real digits in {MNIST}: only the drawn sets are measured)")
    dx, dy, dnames = drawn_set(per_style=args.per_style)
    sets["drawn (22 styles)"] = (dx, dy)

    names = list(models)
    head = f"{'set':<28} {'n':>5} " + " ".join(f"{n:>9}" for n in names)
    print(head)
    print("-" * len(head))
    stand_in: dict[str, list[float]] = {n: [] for n in names}
    preds_drawn = {}
    for set_name, (x, y) in sets.items():
        row = f"{set_name:<28} {len(y):>5} "
        for n, net in models.items():
            pred = np.argmax(net.predict(x), axis=1)
            acc = float((pred == y).mean())
            row += f" {100 * acc:8.2f}%"
            if set_name not in ("mnist held-out", "drawn (22 styles)"):
                stand_in[n].append(acc)
            if set_name.startswith("drawn"):
                preds_drawn[n] = pred
        print(row, flush=True)
    if stand_in[names[0]]:
        print(f"{'mean of the re-captured sets':<28} {'':>5} "
              + " ".join(f" {100 * np.mean(stand_in[n]):8.2f}%" for n in names))
        print(f"{'worst re-captured set':<28} {'':>5} "
              + " ".join(f" {100 * np.min(stand_in[n]):8.2f}%" for n in names))
    print("\ndrawn styles read wrong (wrong / drawings, most frequent wrong answer):")
    style_names = np.array(dnames)
    for style in dict.fromkeys(dnames):
        m = style_names == style
        cells = []
        for n in names:
            wrong = preds_drawn[n][m] != dy[m]
            if wrong.any():
                common = np.bincount(preds_drawn[n][m][wrong]).argmax()
                cells.append(f"{n}: {wrong.sum():>2}/{m.sum()} (as {common})")
            else:
                cells.append(f"{n}:  0/{m.sum()}       ")
        if any(" 0/" not in c for c in cells):
            print(f"  {style:<16} " + "   ".join(cells))
    buf = io.StringIO()
    for n, net in models.items():
        buf.write(f"{n}: {net.n_params:,} parameters  ")
    print("\n" + buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
