"""Train the shipped default model, reproducibly and offline, from the repository alone.

The ``cnn`` template is trained with nnstudio's own engine. Every epoch draws a fresh set of
synthetic handwritten digits (:mod:`nnstudio.data.synthetic`), so the network never sees the
same synthetic sample twice, and adds two differently augmented copies of the real MNIST
digits of ``../shared/data/mnist`` that are kept for training: all but the first 2,500
(:data:`nnstudio.data.capture.REAL_HELD_OUT`), which are held out and only measured.
Every training image is augmented (see :func:`augment`):

- stroke thickness: a third of the digits are thickened by a grey-level dilation (3×3 cross
  or 2×2 square), a few are thinned by a soft erosion, as pens and mouse brushes differ;
- a small random affine map: rotation ±10°, scale 0.85-1.1, shear ±0.15, shift ±1.5 px;
- a mild elastic field: a random 4×4 grid of displacements (~0.7 px) interpolated smoothly;

and 35% of the synthetic and half of the real ones also go through a random capture process
(:func:`nnstudio.data.capture.recapture`: black and white, a 12-18 pixel grid and back,
thicker or thinner pens, ink blobs, broken strokes, slight rotations and shears, the ink box
stretched part or all of the way to a square, then MNIST framing again), because a model
that has seen one capture process reads others badly.

The learning rate steps down to a tenth for the last quarter of the epochs, and the shipped
weights are the average of the weights after every batch of that last quarter (a Polyak /
stochastic-weight average), which generalises a little better than the last weights.
The result is written to ``nnstudio/resources/default_model.npz``; the figures it reaches
(held-out real digits, re-captured stand-in sets, drawn digits) are printed by
``bench/bench_robustness.py`` and recorded in ``bench/README.md``.

Usage::

    python tools/build_default_model.py [--epochs 24] [--per-epoch 40000]
        [--real ../shared/data/mnist | --real none] [--real-repeat 2]
        [--filters 16,32] [--dense 128]
        [--out nnstudio/resources/default_model.npz]

Without the real digits (``--real none``) it trains on synthetic digits only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# one BLAS thread: OpenBLAS threads busy-wait and make small-matrix training much slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from nnstudio.core.modelfile import save_model  # noqa: E402
from nnstudio.core.network import Network  # noqa: E402
from nnstudio.core.templates import get_template  # noqa: E402
from nnstudio.core.training import TrainConfig, Trainer  # noqa: E402
from nnstudio.data.capture import (  # noqa: E402
    CENTRE,
    CROSS,
    REAL_HELD_OUT,
    SQUARE2,
    grey_morph,
    recapture,
    resample,
)
from nnstudio.data.dataset import DIGIT_CLASSES, Dataset  # noqa: E402
from nnstudio.data.synthetic import GENERATOR_VERSION, synthetic_digits  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20240
VAL_SEED, VAL_SIZE = 7, 5000
EPOCHS, PER_EPOCH, REAL_REPEAT = 24, 40000, 2
#: filters of the two convolutions and units of the hidden Dense layer
FILTERS, DENSE = (16, 32), 128
REAL_DIR = ROOT.parent / "shared" / "data" / "mnist"
#: share of the synthetic digits that also go through a random capture process
RECAPTURED = 0.35
#: share of the real training digits that do
REAL_RECAPTURED = 0.5


def lr_for(epoch: int, epochs: int, lr: float) -> float:
    """Constant ``lr``, then a tenth of it for the last quarter of the epochs."""
    return lr if epoch <= epochs - max(1, epochs // 4) else lr / 10


def _smooth_upsample(g: np.ndarray, size: int) -> np.ndarray:
    """(n, k, k) coarse grids -> (n, size, size) by separable linear interpolation."""
    k = g.shape[-1]
    pos = np.linspace(0, k - 1, size)
    m = np.maximum(0.0, 1.0 - np.abs(pos[:, None] - np.arange(k)[None, :]))  # (size, k)
    return m @ g @ m.T


def augment(x: np.ndarray, rng: np.random.Generator, chunk: int = 5000) -> np.ndarray:
    """Randomly thicken/thin, affine-map and elastically bend digit images.

    Parameters
    ----------
    x : np.ndarray
        float32 (N, 28, 28) in [0, 1], white ink on black.
    rng : np.random.Generator
        Source of all randomness (the result depends only on it and ``x``).

    Returns
    -------
    np.ndarray
        float32 (N, 28, 28) in [0, 1].
    """
    n, h, w = x.shape
    out = np.empty_like(x)
    # per-sample parameters, drawn up front so that they do not depend on ``chunk``
    pen = rng.choice(4, size=n, p=[0.55, 0.2, 0.13, 0.12])  # keep, cross, square, thin
    angle = np.deg2rad(rng.uniform(-10, 10, size=n))
    scale = np.exp(rng.uniform(np.log(0.85), np.log(1.1), size=n))
    aspect = np.exp(rng.normal(0, 0.06, size=n))
    shear = rng.uniform(-0.15, 0.15, size=n)
    shift = rng.uniform(-1.5, 1.5, size=(n, 2))
    grid = rng.normal(0, 0.7, size=(n, 2, 4, 4))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) - CENTRE
    for lo in range(0, n, chunk):
        sl = slice(lo, min(n, lo + chunk))
        xb = x[sl].copy()
        pb = pen[sl]
        for kind, offsets, op in ((1, CROSS, np.maximum), (2, SQUARE2, np.maximum)):
            m = pb == kind
            if m.any():
                xb[m] = grey_morph(xb[m], offsets, op)
        m = pb == 3
        if m.any():  # soft erosion: halfway to the 3×3-cross minimum, never wiping a stroke
            xb[m] = 0.5 * (xb[m] + grey_morph(xb[m], CROSS, np.minimum))
        # inverse map: source = centre + A⁻¹ (target - centre - shift) + elastic displacement
        c, s = np.cos(angle[sl]), np.sin(angle[sl])
        sc = scale[sl]
        ax, ay = sc * aspect[sl], sc / aspect[sl]
        sh = shear[sl]
        # forward A = R · Shear · diag(ax, ay); build its inverse directly
        a11, a12 = c * ax, (c * sh - s) * ay
        a21, a22 = s * ax, (s * sh + c) * ay
        det = a11 * a22 - a12 * a21
        tx = xx[None] - shift[sl, 0, None, None]
        ty = yy[None] - shift[sl, 1, None, None]
        i11, i12 = (a22 / det)[:, None, None], (-a12 / det)[:, None, None]
        i21, i22 = (-a21 / det)[:, None, None], (a11 / det)[:, None, None]
        disp = _smooth_upsample(grid[sl].reshape(-1, 4, 4), h).reshape(-1, 2, h, w)
        sx = CENTRE + i11 * tx + i12 * ty + disp[:, 0]
        sy = CENTRE + i21 * tx + i22 * ty + disp[:, 1]
        xb = resample(xb, sx, sy)
        peak = xb.reshape(len(xb), -1).max(axis=1)
        xb /= np.maximum(peak, 1e-6)[:, None, None]  # re-normalise the ink to full white
        out[sl] = xb
    return np.clip(out, 0.0, 1.0, out=out)


class WeightAverage:
    """Running mean of a network's parameters over the batches it is fed."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.sums = {p.name: np.zeros(p.value.shape, np.float64) for p in net.parameters()}
        self.count = 0

    def add(self) -> None:
        for p in self.net.parameters():
            self.sums[p.name] += p.value
        self.count += 1

    def weights(self) -> dict[str, np.ndarray]:
        return {k: (v / self.count).astype(np.float32) for k, v in self.sums.items()}


def load_real(folder: Path | None) -> tuple[Dataset | None, Dataset | None]:
    """The real digits of an IDX folder split in two: (for training, held out).

    The first :data:`~nnstudio.data.capture.REAL_HELD_OUT` digits are held out (measured,
    never trained on); the rest are for training. ``None`` gives (None, None).
    """
    if folder is None:
        return None, None
    from nnstudio.data.idx import load_idx_dir

    real = load_idx_dir(folder)
    k = REAL_HELD_OUT
    held = Dataset(f"{real.name} held out", real.x[:k], real.y[:k], "classification",
                   list(DIGIT_CLASSES))
    train = Dataset(f"{real.name} for training", real.x[k:], real.y[k:], "classification",
                    list(DIGIT_CLASSES))
    return train, held


def epoch_data(epoch: int, per_epoch: int, real: Dataset | None, real_repeat: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's training images (N, 28, 28) and labels (N,).

    ``per_epoch`` fresh synthetic digits, augmented (:func:`augment`), a share of them
    re-captured (:func:`nnstudio.data.capture.recapture`); plus ``real_repeat`` differently
    augmented copies of every real training digit, half of them re-captured.
    """
    data = synthetic_digits(per_epoch, seed=SEED + epoch, cache=False)
    xs, ys = [augment(data.x, rng)], [data.y]
    if real is not None:
        for _ in range(real_repeat):
            xs.append(augment(real.x, rng))
            ys.append(real.y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    share = np.full(len(x), RECAPTURED)
    share[per_epoch:] = REAL_RECAPTURED
    m = rng.random(len(x)) < share
    x[m] = recapture(x[m], rng)
    return x, y


def digit_design(filters: tuple[int, int] = FILTERS, dense: int = DENSE):
    """The ``cnn`` template with ``filters`` in its two convolutions and ``dense`` units in
    its hidden Dense layer."""
    design = get_template("cnn")
    design.set_params("conv1", filters=int(filters[0]))
    design.set_params("conv2", filters=int(filters[1]))
    design.set_params("fc1", units=int(dense))
    return design


def build(epochs: int, per_epoch: int, lr: float, batch_size: int, out: Path,
          real_dir: Path | None, real_repeat: int, filters: tuple[int, int] = FILTERS,
          dense: int = DENSE, val_size: int = VAL_SIZE) -> dict:
    """Train and save; returns the meta written into the model file."""
    t0 = time.perf_counter()
    net = Network(digit_design(filters, dense), seed=SEED)
    val = synthetic_digits(val_size, seed=VAL_SEED, cache=False)
    real, held = load_real(real_dir)
    aug_rng = np.random.default_rng(SEED)
    average = WeightAverage(net)
    avg_from = epochs - max(1, epochs // 4) + 1
    trainer = None
    for epoch in range(1, epochs + 1):
        x, y = epoch_data(epoch, per_epoch, real, real_repeat, aug_rng)
        config = TrainConfig(epochs=1, batch_size=batch_size, lr=lr_for(epoch, epochs, lr),
                             optimizer="adam", val_split=0.0, seed=SEED + epoch)
        if trainer is None:
            trainer = Trainer(net, x, y, config, x_val=val.x, y_val=val.y)
        else:  # same network, optimizer state and history; fresh digits
            trainer.x, trainer.y = x, y
            trainer.config = config
            trainer.lr = trainer.optimizer.lr = config.lr
        trainer.run(on_batch=(lambda info: average.add()) if epoch >= avg_from else None)
        info = trainer.history.epochs[-1]
        held_text = ("" if held is None else ", held-out real "
                     f"{net.evaluate(held.x, held.y)['accuracy']:.4f}")
        print(f"epoch {epoch}/{epochs}: {len(y):,} digits, lr {config.lr:g}, train loss "
              f"{info.train_loss:.4f}, synthetic validation accuracy {info.val_accuracy:.4f}"
              f"{held_text} ({time.perf_counter() - t0:.0f} s)", flush=True)
    last_acc = net.evaluate(val.x, val.y)["accuracy"]
    net.set_weights(average.weights())
    val_acc = net.evaluate(val.x, val.y)["accuracy"]
    print(f"averaged weights over {average.count} batches: synthetic validation accuracy "
          f"{val_acc:.4f} (last weights {last_acc:.4f})", flush=True)
    real_text = ("" if real is None else
                 f" and {real.n:,} real MNIST digits ({real_repeat} augmented copies each "
                 f"epoch; the first {REAL_HELD_OUT:,} of {real_dir.name} held out)")
    meta = {
        "classes": list(DIGIT_CLASSES),
        "name": "default digit recogniser",
        "data": "synthetic" + ("+real" if real is not None else ""),
        "trained_on": (f"synthetic handwritten digits (generator v{GENERATOR_VERSION}): "
                       f"{epochs} epochs of {per_epoch:,} freshly generated, augmented "
                       f"digits{real_text}"),
        "training": {"template": "cnn", "filters": list(filters), "dense": int(dense),
                     "epochs": epochs, "per_epoch": per_epoch,
                     "real_digits": 0 if real is None else int(real.n),
                     "real_repeat": real_repeat,
                     "batch_size": batch_size, "optimizer": "adam", "lr": lr,
                     "lr_schedule": "lr/10 for the last quarter of the epochs",
                     "augmentation": "thickness, affine (±10°, ×0.85-1.1, shear ±0.15, "
                                     "±1.5 px), elastic ~0.7 px; capture processes "
                                     "(b/w, coarse grids, pens, blobs, gaps, ink box "
                                     f"stretched to a square) on "
                                     f"{RECAPTURED:.0%} of synthetic and "
                                     f"{REAL_RECAPTURED:.0%} of real digits",
                     "weights": f"average over the {average.count} batches of the last "
                                f"{epochs - avg_from + 1} epochs",
                     "seed": SEED, "generator_version": GENERATOR_VERSION},
        "synthetic_val_accuracy": float(val_acc),
        "built_by": "tools/build_default_model.py",
    }
    if held is not None:
        res = net.evaluate(held.x, held.y)
        meta["real_check"] = {"data": f"idx:{real_dir.name}[:{REAL_HELD_OUT}] (held out)",
                              "n": int(res["n"]), "accuracy": float(res["accuracy"])}
        print(f"accuracy on the {held.n} held-out real digits: {res['accuracy']:.4f}")
    for p in net.parameters():
        assert p.value.dtype == np.float32
    save_model(out, net, trainer.history, meta=meta)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s")
    return meta


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--per-epoch", type=int, default=PER_EPOCH)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", type=Path,
                   default=ROOT / "nnstudio" / "resources" / "default_model.npz")
    p.add_argument("--real", default=str(REAL_DIR),
                   help="IDX folder of real digits to train on (all but the first "
                        f"{REAL_HELD_OUT:,}, which are held out and measured), or 'none'")
    p.add_argument("--real-repeat", type=int, default=REAL_REPEAT,
                   help="augmented copies of every real training digit per epoch")
    p.add_argument("--filters", default=",".join(map(str, FILTERS)),
                   help="filters of the two convolutions, e.g. 16,32")
    p.add_argument("--dense", type=int, default=DENSE,
                   help="units of the hidden Dense layer")
    p.add_argument("--val-size", type=int, default=VAL_SIZE,
                   help=f"synthetic validation digits (a fixed set, seed {VAL_SEED})")
    args = p.parse_args(argv)
    try:
        filters = tuple(int(v) for v in args.filters.split(","))
        assert len(filters) == 2 and min(filters) >= 1 and args.dense >= 1
        assert args.val_size >= 10
    except (ValueError, AssertionError):
        p.error("--filters takes two positive whole numbers, e.g. 16,32; --dense one; "
                "--val-size at least 10")
    real_dir = None if args.real.lower() == "none" else Path(args.real)
    if real_dir is not None and not real_dir.is_dir():
        p.error(f"no folder of real digits at {real_dir}: give --real DIR, or --real none "
                "to train on synthetic digits only")
    build(args.epochs, args.per_epoch, args.lr, args.batch_size, args.out, real_dir,
          args.real_repeat, filters, args.dense, args.val_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
