"""Fit the scribble scorer of the not-a-digit check and set its threshold.

Writes ``nnstudio/resources/not_a_digit.npz`` (read by
:func:`nnstudio.data.digit_check.load_scorer`): a small network (48 tanh units) on the
standardised stroke measures of :func:`~nnstudio.data.digit_check.doubt_features`, trained
to tell digits from drawings that are not digits. Only calibration data is used, never the sets
``bench_not_a_digit.py`` measures:

- digits: the real MNIST training digits (index 2,500 on; the first 2,500 are held out), the
  same digits re-captured (16×16 black and white, 2 px thicker, ink blobs, broken strokes;
  seed 77), 5,000 synthetic digits (seed 123) and the drawn styles of
  ``bench/drawn_digits.py``, its crossed and slashed styles among them, with seeds 7 and 8
  (the benchmark draws them with seed 1);
- not digits: ``drawn_digits.not_digits`` with seed 12 (the benchmark uses seed 2): dots,
  bars, eight kinds of scribble and the pictures, signs and letters of
  ``bench/drawn_shapes.py``.

The scorer is trained on every other digit of each set (and all the not-digits, weighing half
as much as the digits in all); the threshold is set on the other half, so that it is not
flattered by digits the model has seen: the score that at most ``--alarm`` of each half-set
exceeds, except the 2 px thicker digits (those very fat digits are measured, not calibrated
on).

The file holds a second network (its numbers prefixed ``scribbles_``), trained the same way
on the digits and the dots, bars and eight scribble kinds alone, so that fourteen kinds of
picture do not dilute what it knows of scribbles; its threshold is the score that at most
``--scribble-alarm`` (0.2%) of each threshold half-set exceeds, except the thicker, broken
and crossed digits (measured, not calibrated on). The check flags what either network
flags. ``--scribbles-only`` keeps the first network of the shipped file and trains the
second anew.

Run from the repository root (a few minutes)::

    .venv/bin/python bench/calibrate_not_a_digit.py [--alarm 0.003] [--per-kind 150]
    .venv/bin/python bench/calibrate_not_a_digit.py --scribbles-only [--scribble-alarm 0.002]
    .venv/bin/python bench/calibrate_not_a_digit.py --leave-one-kind-out [FAMILY ...]

``--leave-one-kind-out`` trains the scorer once without each family of alike kinds of
not-digit in turn (:data:`FAMILIES`: the crosses, plus signs and stars go together, say) and
measures, on each kind of that family drawn with seed 13, how much of it the scorer alone and
the whole check (every rule and that scorer, without the network's "unsure") flag: the
figure to expect for a kind of drawing nobody calibrated on. It trains and measures the
first network only (the second is left out of it).
"""

from __future__ import annotations

import argparse
import os
import sys
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


def calibration_sets(per_kind: int) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Digit sets by name, and the not-digits (N, 28, 28) with their kinds."""
    from drawn_digits import CROSSED_STYLES, drawn_set, not_digits

    from nnstudio.data import capture as cap
    from nnstudio.data.idx import load_idx_dir
    from nnstudio.data.synthetic import generate

    digits: dict[str, np.ndarray] = {}
    if (MNIST / "mnist5k-images-idx3-ubyte.gz").exists():
        x = load_idx_dir(MNIST).x[cap.REAL_HELD_OUT:]
        rng = np.random.default_rng(77)
        digits["real, training"] = x
        digits["real, 16x16 b/w"] = cap.reframe(cap.low_resolution(x, 16, 0.5))
        digits["real, thicker (2 px)"] = cap.reframe(cap.thicker(x, 2))
        digits["real, ink blobs"] = cap.reframe(cap.ink_blobs(x, rng))
        digits["real, broken strokes"] = cap.reframe(cap.broken_strokes(x, rng))
    else:
        print(f"(no real digits in {MNIST}: calibrating on synthetic and drawn digits only)")
    digits["synthetic"] = generate(5000, seed=123)[0].reshape(-1, 28, 28)
    digits["drawn digits"] = np.concatenate([drawn_set(seed=7)[0], drawn_set(seed=8)[0]])
    digits["drawn, crossed"] = np.concatenate(
        [drawn_set(seed=s, per_style=48, styles=CROSSED_STYLES)[0] for s in (7, 8)])
    nx, kinds = not_digits(seed=12, per_kind=per_kind)
    return digits, nx, kinds


def fit_scorer(z: np.ndarray, y: np.ndarray, w: np.ndarray, hidden: int = 48,
               l2: float = 1e-3, steps: int = 3000, seed: int = 0) -> dict[str, np.ndarray]:
    """A one-hidden-layer tanh network giving the log-odds of "not a digit", trained by
    full-batch Adam on the weighted cross-entropy with an L2 penalty on the weights."""
    rng = np.random.default_rng(seed)
    f = z.shape[1]
    z, y, w = (np.asarray(a, dtype=np.float32) for a in (z, y, w))  # float32: twice as fast
    params = [rng.normal(0, 1 / np.sqrt(f), (f, hidden)), np.zeros(hidden),
              rng.normal(0, 1 / np.sqrt(hidden), hidden), np.zeros(1)]
    params = [p.astype(np.float32) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    share = w / w.sum()
    for t in range(1, steps + 1):
        h = np.tanh(z @ params[0] + params[1])
        p = 1.0 / (1.0 + np.exp(-np.clip(h @ params[2] + params[3][0], -30, 30)))
        go = share * (p - y)
        gh = np.outer(go, params[2]) * (1 - h * h)
        grads = [z.T @ gh + l2 * params[0], gh.sum(axis=0), h.T @ go + l2 * params[2],
                 np.array([go.sum()])]
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] -= 0.01 * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    return {"w1": params[0].astype(np.float64), "b1": params[1].astype(np.float64),
            "w2": params[2].astype(np.float64), "b2": np.float64(params[3][0])}


def train(fd: dict[str, np.ndarray], fn: np.ndarray, alarm: float,
          hidden: int = 48, measured: tuple[str, ...] = ("thicker",)) -> dict[str, np.ndarray]:
    """The scorer (with its ``threshold``) from digit features by set ``fd`` and not-digit
    features ``fn``: trained on every other digit, threshold set on the rest of each set
    except those whose name contains one of ``measured`` (trained on, not calibrated on)."""
    from nnstudio.data.digit_check import scribble_scores

    xd = np.concatenate([f[0::2] for f in fd.values()])
    x = np.concatenate([xd, fn])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    y = np.r_[np.zeros(len(xd)), np.ones(len(fn))]
    # the not-digits weigh half as much as the digits in all: the scorer leans towards digits
    w = np.r_[np.ones(len(xd)), np.full(len(fn), 0.5 * len(xd) / len(fn))]
    scorer = {"mean": mean, "scale": scale,
              **fit_scorer((x - mean) / scale, y, w, hidden=hidden)}
    scorer["threshold"] = np.float64(max(
        float(np.quantile(scribble_scores(f[1::2], scorer), 1 - alarm))
        for name, f in fd.items() if not any(m in name for m in measured)))
    return scorer


#: the kinds the second network (``scribbles_``) is trained on
SCRIBBLE_KINDS = ["dot", "bar", "scribble", "tangle", "zigzag", "hatching", "squiggle",
                  "marks", "hatched circle", "random walk"]
#: digit sets the second network's threshold is not set on: the 2 px thicker, broken and
#: crossed digits (trained on as digits, measured by the benchmark)
SCRIBBLE_MEASURED = ("thicker", "broken", "crossed")


def train_scribbles(fd: dict[str, np.ndarray], fn: np.ndarray, kinds: list[str],
                    alarm: float, hidden: int = 48) -> dict[str, np.ndarray]:
    """The second network, its numbers under the prefix ``scribbles_``: trained like
    :func:`train` on the digits and on the dots, bars and scribbles alone
    (:data:`SCRIBBLE_KINDS`), its threshold set at ``alarm`` on the digit sets but
    :data:`SCRIBBLE_MEASURED`."""
    keep = np.isin(np.array(kinds), SCRIBBLE_KINDS)
    second = train(fd, fn[keep], alarm, hidden, SCRIBBLE_MEASURED)
    return {"scribbles_" + k: v for k, v in second.items()}


#: kinds of not-digit that look alike, held out of calibration together
FAMILIES = {
    "scrawls": ["scribble", "tangle", "random walk"],
    "teeth and loops": ["zigzag", "squiggle"],
    "parallel lines": ["hatching", "hatched circle", "grid"],
    "separate marks": ["marks"],
    "crossings": ["cross", "plus", "star"],
    "faces and rings": ["smiley", "ringed circle"],
    "signs": ["arrow", "tick"],
    "outlines": ["heart", "house", "triangle", "spiral"],
    "letters and figures": ["letter", "stick figure"],
}


def leave_one_kind_out(fd: dict[str, np.ndarray], fn: np.ndarray, kinds: list[str],
                       alarm: float, families: list[str] | None = None,
                       hidden: int = 48) -> None:
    """For each kind of not-digit: how much of it (drawn with seed 13) the scorer alone and
    the whole check (shape rules and scorer, no network) find when the scorer is trained
    without that kind and the kinds like it (its family in :data:`FAMILIES`), against
    trained with every kind."""
    from drawn_digits import not_digits

    from nnstudio.data.digit_check import doubt_features, doubt_reasons, scribble_scores

    vx, vk = not_digits(seed=13, per_kind=60)
    fv, vk_a, kinds_a = doubt_features(vx), np.array(vk), np.array(kinds)
    every = train(fd, fn, alarm, hidden)
    print("kind (seed 13)        scorer alone: family held out / every kind;"
          "  whole check: held out / every kind", flush=True)
    for family in families or list(FAMILIES):
        members = FAMILIES[family]
        without = train(fd, fn[~np.isin(kinds_a, members)], alarm, hidden)
        print(f"{family} held out:")
        for kind in members:
            sel = vk_a == kind
            alone = [100 * np.mean(scribble_scores(fv[sel], s) > s["threshold"])
                     for s in (without, every)]
            whole = [100 * np.mean([r is not None for r in doubt_reasons(vx[sel], scorer=s)])
                     for s in (without, every)]
            print(f"  {kind:<18} {alone[0]:5.1f}% / {alone[1]:5.1f}%      "
                  f"{whole[0]:5.1f}% / {whole[1]:5.1f}%", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alarm", type=float, default=0.003,
                   help="most share of each calibration digit set the scorer may flag")
    p.add_argument("--per-kind", type=int, default=150)
    p.add_argument("--hidden", type=int, default=48, help="tanh units of the scorer")
    p.add_argument("--scribble-alarm", type=float, default=0.002,
                   help="most share of each calibration digit set (not the thicker, broken "
                        "or crossed ones) the second, scribbles-only network may flag")
    p.add_argument("--scribbles-only", action="store_true",
                   help="keep the first network of the shipped file, train the second anew")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--leave-one-kind-out", nargs="*", metavar="FAMILY", default=None,
                   help="measure how the check does on kinds it was not calibrated on, "
                        f"holding out each family of kinds (or those named: "
                        f"{', '.join(FAMILIES)}); writes nothing")
    args = p.parse_args(argv)

    from nnstudio.data.digit_check import (
        FEATURES,
        SCORER_KEYS,
        SCORER_PATH,
        doubt_features,
        scorer_flags,
        scribble_scores,
    )

    digits, nx, kinds = calibration_sets(args.per_kind)
    fd = {name: doubt_features(x) for name, x in digits.items()}
    fn = doubt_features(nx)
    if args.leave_one_kind_out is not None:
        leave_one_kind_out(fd, fn, kinds, args.alarm, args.leave_one_kind_out, args.hidden)
        return 0
    if args.scribbles_only:
        with np.load(SCORER_PATH) as z:
            scorer = {k: np.asarray(z[k], dtype=np.float64) for k in SCORER_KEYS}
    else:
        scorer = train(fd, fn, args.alarm, args.hidden)
    scorer.update(train_scribbles(fd, fn, kinds, args.scribble_alarm, args.hidden))

    def flags(f: np.ndarray, network: str) -> np.ndarray:
        return scribble_scores(f, scorer, network) > float(scorer[network + "threshold"])

    print(f"thresholds {float(scorer['threshold']):.3f} (every kind) and "
          f"{float(scorer['scribbles_threshold']):.3f} (dots, bars, scribbles); "
          f"{len(FEATURES)} measures, {scorer['w1'].shape[1]} hidden units each")
    print("digits flagged, trained half / threshold half: first network, second, either")
    for name, f in fd.items():
        cells = [" / ".join(f"{100 * np.mean(fl(h)):5.2f}%" for h in (f[0::2], f[1::2]))
                 for fl in (lambda h: flags(h, ""), lambda h: flags(h, "scribbles_"),
                            lambda h: scorer_flags(h, scorer))]
        print(f"  {name:<24} {len(f):>5}  " + "   ".join(cells))
    either = scorer_flags(fn, scorer)
    for kind in dict.fromkeys(kinds):
        sel = np.array(kinds) == kind
        print(f"  not a digit: {kind:<16} {sel.sum():>4}  flagged {100 * either[sel].mean():5.1f}%")
    out = args.out or SCORER_PATH
    np.savez(out, **scorer, features=np.array(FEATURES))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
