"""False alarms and detections of the "this does not look like a digit" signal.

The signal (:mod:`nnstudio.data.digit_check`) looks at the MNIST-framed image and the
network's answer. Measured here:

- **false alarms**: the share of real digits it flags: the held-out real MNIST digits (the
  first 2,500 of ``../shared/data/mnist``, never trained on), the same digits re-captured
  (16×16 black and white, thicker strokes, ink blobs, broken strokes), digits drawn on the
  canvas in 22 styles with thin to thick pens (``bench/drawn_digits.py``) and digits drawn
  with strokes that cross or stick out (a 4 like a cross, a slashed 0, a 7 with a crossbar,
  an 8 of crossing strokes: ``drawn_digits.CROSSED_STYLES``);
- **detections**: the share of things that are not digits drawn on the canvas that it flags:
  dots, bars, scribbles of eight kinds (fast zig-zags, tangles, zigzags, hatching,
  letter-like squiggles, scattered marks, hatched circles, random walks) and pictures, signs
  and letters (``bench/drawn_shapes.py``: crosses, plus signs, stars, smileys, circles with
  marks inside, arrows, hearts, letters, ticks, grids, spirals, houses, triangles, stick
  figures), seed 2 (the scorer is calibrated on seed 12, ``bench/calibrate_not_a_digit.py``);
- **cost**: the check on one drawing at a time, as the Draw page calls it, against the
  network's own answer for that drawing.

Each row splits the flags by reason (blob, line, marks, scribble, unsure). With
``--before PATH`` (another checkout of nnstudio, e.g. the main branch) every row also shows
that checkout's check on the very same drawings, run in a child process that imports
nnstudio from there: a before/after comparison in one run.

Run from the repository root::

    .venv/bin/python bench/bench_not_a_digit.py [--model PATH] [--per-kind 100]
    .venv/bin/python bench/bench_not_a_digit.py --before ../main
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))  # this checkout's nnstudio, whatever is installed
#: the real MNIST digits: ``shared/data/mnist`` beside the checkout, or beside the folder
#: that holds it (a checkout made with ``git worktree add`` into a subfolder)
MNIST = next((d for d in (ROOT.parent / "shared" / "data" / "mnist",
                          ROOT.parent.parent / "shared" / "data" / "mnist")
              if (d / "mnist5k-images-idx3-ubyte.gz").exists()),
             ROOT.parent / "shared" / "data" / "mnist")
SHIPPED = ROOT / "nnstudio" / "resources" / "default_model.npz"
#: the reasons' order in the files the child process writes
REASON_KEYS = ["", "blob", "line", "marks", "scribble", "unsure"]


def reasons_of_other(repo: Path, x: np.ndarray, probs: np.ndarray) -> list[str | None]:
    """The check of the nnstudio checkout at ``repo`` on images (N, 28, 28) and the
    network's answers (N, k), in a child process importing nnstudio from there."""
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.npz", Path(tmp) / "out.npy"
        np.savez(inp, x=x, probs=probs)
        code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); "
                "from nnstudio.data.digit_check import doubt_reasons; "
                "z = np.load(sys.argv[2]); keys = sys.argv[4].split(','); "
                "r = doubt_reasons(z['x'], z['probs']); "
                "np.save(sys.argv[3], np.array([keys.index(k or '') for k in r]))")
        subprocess.run([sys.executable, "-c", code, str(repo.resolve()), str(inp), str(out),
                        ",".join(REASON_KEYS)], check=True, cwd=tempfile.gettempdir())
        return [REASON_KEYS[i] or None for i in np.load(out)]


def time_other(repo: Path, x: np.ndarray, probs: np.ndarray) -> float:
    """Milliseconds per drawing of the check of the checkout at ``repo``, one drawing
    (28, 28) of ``x`` at a time with its answer from ``probs``, as the Draw page calls it
    (best of three rounds, in a child process)."""
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in.npz"
        np.savez(inp, x=x, probs=probs)
        code = ("import sys, time, numpy as np; sys.path.insert(0, sys.argv[1]); "
                "from nnstudio.data.digit_check import doubt_message; "
                "z = np.load(sys.argv[2]); x, p = z['x'], z['probs']; best = 1e9\n"
                "for _ in range(3):\n"
                "    t0 = time.perf_counter()\n"
                "    for a, b in zip(x, p): doubt_message(a, b)\n"
                "    best = min(best, (time.perf_counter() - t0) / len(x))\n"
                "print(1000 * best)")
        out = subprocess.run([sys.executable, "-c", code, str(repo.resolve()), str(inp)],
                             check=True, capture_output=True, text=True,
                             cwd=tempfile.gettempdir())
        return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=SHIPPED)
    p.add_argument("--per-kind", type=int, default=100, help="dots, bars and scribbles each")
    p.add_argument("--per-style", type=int, default=24, help="drawings per drawn digit style")
    p.add_argument("--before", type=Path, default=None,
                   help="another nnstudio checkout whose check to show beside this one")
    args = p.parse_args(argv)

    from drawn_digits import CROSSED_STYLES, NOT_DIGIT_KINDS, SCRIBBLES, drawn_set, not_digits
    from drawn_shapes import SHAPES

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
    digits["drawn, crossed"] = drawn_set(per_style=args.per_style, styles=CROSSED_STYLES)[0]
    nx, kinds = not_digits(per_kind=args.per_kind)
    kinds_a = np.array(kinds)
    others = {f"drawn: {k}": nx[kinds_a == k] for k in NOT_DIGIT_KINDS}
    others["all scribble kinds"] = nx[np.isin(kinds_a, ["scribble", *SCRIBBLES])]
    others["all pictures and signs"] = nx[np.isin(kinds_a, list(SHAPES))]

    def row(name: str, x: np.ndarray) -> tuple[float, float]:
        probs = net.predict(x)
        reasons = doubt_reasons(x, probs)
        flagged = [r for r in reasons if r is not None]
        share = len(flagged) / len(reasons)
        why = ", ".join(f"{k} {v}" for k, v in Counter(flagged).most_common())
        before = ""
        old = share
        if args.before is not None:
            old_reasons = reasons_of_other(args.before, x, probs)
            old = np.mean([r is not None for r in old_reasons])
            before = f"{100 * old:6.2f}%  ->"
        print(f"  {name:<24} {len(reasons):>5}  {before} {100 * share:6.2f}%   {why}",
              flush=True)
        return old, share

    print(f"model: {args.model}")
    if args.before is not None:
        print(f"before: the check of {args.before.resolve()}; after: this checkout's")
    print("false alarms (real digits flagged as not a digit):")
    alarms = np.array([row(name, x) for name, x in digits.items()])
    print("detections (not digits flagged):")
    found = np.array([row(name, x) for name, x in others.items()])[:len(NOT_DIGIT_KINDS)]
    for label, col in (("before", 0), ("after", 1)) if args.before else (("", 1),):
        print(f"{label + ': ' if label else ''}mean false-alarm rate "
              f"{100 * alarms[:, col].mean():.2f}%, mean detection rate "
              f"{100 * found[:, col].mean():.2f}%")

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
    if args.before is not None:
        t_old = time_other(args.before, np.array(one), np.array(probs))
        t0 = time.perf_counter()
        for x, pr in zip(one, probs, strict=True):
            doubt_message(x, pr)
        t_new = (time.perf_counter() - t0) / len(one)
        print(f"check per drawing: before {t_old:.3f} ms, after {1000 * t_new:.3f} ms "
              f"(after / before = {1000 * t_new / t_old:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
