"""Train the shipped default model, reproducibly, from the repository alone.

The ``cnn`` template is trained with nnstudio's own engine on synthetic handwritten digits
only (no downloaded data): every epoch draws a fresh set of digits, so the network never
sees the same sample twice and cannot memorise the generator's quirks. The learning rate
steps down for the last epochs. The result is written to ``resources/default_model.npz``.

Usage::

    python resources/build_default_model.py [--epochs 16] [--per-epoch 50000]
        [--out resources/default_model.npz] [--check DIR]

``--check DIR`` also measures the accuracy on an IDX folder of real digits (e.g. MNIST) and
records it in the model's meta; it plays no part in training.
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
from nnstudio.data.dataset import DIGIT_CLASSES  # noqa: E402
from nnstudio.data.synthetic import GENERATOR_VERSION, synthetic_digits  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 20240
VAL_SEED = 7


def lr_for(epoch: int, epochs: int, lr: float) -> float:
    """Constant ``lr``, then a tenth of it for the last quarter of the epochs."""
    return lr if epoch <= epochs - max(1, epochs // 4) else lr / 10


def build(epochs: int, per_epoch: int, lr: float, batch_size: int, out: Path,
          check: Path | None) -> dict:
    """Train and save; returns the meta written into the model file."""
    t0 = time.perf_counter()
    net = Network(get_template("cnn"), seed=SEED)
    val = synthetic_digits(5000, seed=VAL_SEED, cache=False)
    trainer = None
    for epoch in range(1, epochs + 1):
        data = synthetic_digits(per_epoch, seed=SEED + epoch, cache=False)
        config = TrainConfig(epochs=1, batch_size=batch_size, lr=lr_for(epoch, epochs, lr),
                             optimizer="adam", val_split=0.0, seed=SEED + epoch)
        if trainer is None:
            trainer = Trainer(net, data.x, data.y, config, x_val=val.x, y_val=val.y)
        else:  # same network, optimizer state and history; fresh digits
            trainer.x, trainer.y = data.x, data.y
            trainer.config = config
            trainer.lr = trainer.optimizer.lr = config.lr
        trainer.run()
        info = trainer.history.epochs[-1]
        print(f"epoch {epoch}/{epochs}: lr {config.lr:g}, train loss {info.train_loss:.4f}, "
              f"synthetic validation accuracy {info.val_accuracy:.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    meta = {
        "classes": list(DIGIT_CLASSES),
        "name": "default digit recogniser",
        "data": "synthetic",
        "trained_on": (f"synthetic handwritten digits only (generator v{GENERATOR_VERSION}): "
                       f"{epochs} epochs of {per_epoch:,} freshly generated digits each"),
        "training": {"template": "cnn", "epochs": epochs, "per_epoch": per_epoch,
                     "batch_size": batch_size, "optimizer": "adam", "lr": lr,
                     "lr_schedule": "lr/10 for the last quarter of the epochs",
                     "seed": SEED, "generator_version": GENERATOR_VERSION},
        "synthetic_val_accuracy": float(trainer.history.epochs[-1].val_accuracy),
        "built_by": "resources/build_default_model.py",
    }
    if check is not None:
        from nnstudio.data.idx import load_idx_dir

        real = load_idx_dir(check)
        res = net.evaluate(real.x, real.y)
        meta["real_check"] = {"data": f"idx:{check.name}", "n": int(res["n"]),
                              "accuracy": float(res["accuracy"])}
        print(f"accuracy on {real.n} real digits in {check}: {res['accuracy']:.4f}")
    for p in net.parameters():
        assert p.value.dtype == np.float32
    save_model(out, net, trainer.history, meta=meta)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s")
    return meta


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--per-epoch", type=int, default=50000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", type=Path, default=HERE / "default_model.npz")
    p.add_argument("--check", type=Path, default=None,
                   help="IDX folder of real digits to measure (not used for training)")
    args = p.parse_args(argv)
    build(args.epochs, args.per_epoch, args.lr, args.batch_size, args.out, args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
