"""False alarms and detections of the "this does not look like a digit" signal.

The signal (:mod:`nnstudio.data.digit_check`) looks at the MNIST-framed image and the
network's answer. Measured here:

- **false alarms**: the share of real digits it flags: the held-out real MNIST digits (the
  first 2,500 of ``../shared/data/mnist``, never trained on), the same digits re-captured
  (16×16 black and white, thicker strokes, ink blobs, broken strokes) and digits drawn on the
  canvas in 22 styles with thin to thick pens (``bench/drawn_digits.py``);
- **detections**: the share of things that are not digits drawn on the canvas that it flags:
  dots, bars, and scribbles of eight kinds (fast zig-zags, tangles, zigzags, hatching,
  letter-like squiggles, scattered marks, hatched circles, random walks), seed 2 (the scorer
  is calibrated on seed 12, ``bench/calibrate_not_a_digit.py``);
- **cost**: the check on one drawing at a time, as the Draw page calls it, against the
  network's own answer for that drawing.

Each row also splits the flags by reason (blob, line, marks, scribble, unsure).

Run from the repository root::

    .venv/bin/python bench/bench_not_a_digit.py [--model PATH] [--per-kind 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
MNIST = ROOT.parent / "shared" / "data" / "mnist"
SHIPPED = ROOT / "nnstudio" / "resources" / "default_model.npz"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=SHIPPED)
    p.add_argument("--per-kind", type=int, default=100, help="dots, bars and scribbles each")
    p.add_argument("--per-style", type=int, default=24, help="drawings per drawn digit style")
    args = p.parse_args(argv)

    from drawn_digits import NOT_DIGIT_KINDS, drawn_set, not_digits

    from nnstudio.core.modelfile import load_model
    from nnstudio.data import capture as cap
    from nnstudio.data.digit_check import doubt_message, doubt_reasons
    from nnstudio.data.idx import load_idx_dir

    net = load_model(args.model).network
    digits: dict[str, np.ndarray] = {}
    if (MNIST / "mnist5k-images-idx3-ubyte.gz").exists():
        x = load_idx_dir(MNIST).x[:cap.REAL_HELD_OUT]
        rng = np.random.default_rng(5)
        digits["real, held out"] = x
        digits["real, 16x16 b/w"] = cap.reframe(cap.low_resolution(x, 16, 0.5))
        digits["real, thicker (2 px)"] = cap.reframe(cap.thicker(x, 2))
        digits["real, ink blobs"] = cap.reframe(cap.ink_blobs(x, rng))
        digits["real, broken strokes"] = cap.reframe(cap.broken_strokes(x, rng))
    else:
        print(f"(no real digits in {MNIST}: only drawn sets are measured)")
    digits["drawn digits"] = drawn_set(per_style=args.per_style)[0]
    nx, kinds = not_digits(per_kind=args.per_kind)
    kinds_a = np.array(kinds)
    others = {f"drawn: {k}": nx[kinds_a == k] for k in NOT_DIGIT_KINDS}
    scribbles = ~np.isin(kinds_a, ["dot", "bar"])

    def row(name: str, x: np.ndarray) -> float:
        reasons = doubt_reasons(x, net.predict(x))
        flagged = [r for r in reasons if r is not None]
        share = len(flagged) / len(reasons)
        why = ", ".join(f"{k} {v}" for k, v in Counter(flagged).most_common())
        print(f"  {name:<24} {len(reasons):>5}   {100 * share:6.2f}%   {why}")
        return share

    print(f"model: {args.model}")
    print("false alarms (real digits flagged as not a digit):")
    alarms = [row(name, x) for name, x in digits.items()]
    print("detections (not digits flagged):")
    found = [row(name, x) for name, x in others.items()]
    row("all scribble kinds", nx[scribbles])
    print(f"mean false-alarm rate {100 * np.mean(alarms):.2f}%, "
          f"mean detection rate {100 * np.mean(found):.2f}%")

    one = [nx[i] for i in range(0, len(nx), max(1, len(nx) // 200))]
    probs = [net.predict(x[None])[0] for x in one]
    for _ in range(2):  # warm up, then time
        t0 = time.perf_counter()
        for x in one:
            net.predict(x[None])
        t_net = (time.perf_counter() - t0) / len(one)
        t0 = time.perf_counter()
        for x, pr in zip(one, probs, strict=True):
            doubt_message(x, pr)
        t_check = (time.perf_counter() - t0) / len(one)
    print(f"cost per drawing: check {1000 * t_check:.3f} ms, network answer "
          f"{1000 * t_net:.3f} ms (check / answer = {t_check / t_net:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
