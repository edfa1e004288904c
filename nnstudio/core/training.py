"""The training loop: mini-batches driven by a thread-safe control, with metric callbacks.

No Qt here. A GUI worker thread calls :meth:`Trainer.run`; the GUI thread talks to the loop
only through a :class:`TrainControl` (pause, resume, step, stop, learning rate, batch size),
whose requests take effect between batches. Metrics come back through ``on_batch`` and
``on_epoch`` callbacks (called on the training thread: copy what you keep) and are stored in
a :class:`History` of growing NumPy arrays.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnstudio.core.control import TrainControl
from nnstudio.core.optimizers import make_optimizer

__all__ = ["OPTIMIZERS", "BatchInfo", "EpochInfo", "History", "TrainConfig", "TrainControl",
           "Trainer", "TrainingDiverged", "split_indices"]

OPTIMIZERS = ("sgd", "momentum", "adam")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good weights have been restored.

    Attributes ``epoch``, ``batch`` and ``lr`` say where it happened.
    """

    def __init__(self, message: str, epoch: int = 0, batch: int = 0, lr: float = 0.0):
        super().__init__(message)
        self.epoch, self.batch, self.lr = epoch, batch, lr


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (frozen: a change is a new config, made with
    ``dataclasses.replace``, so nobody holding one sees it change under them).

    ``augment_shift`` > 0 shifts image samples ((N, H, W) or (N, C, H, W) data) by up to
    that many pixels at random each batch, a cheap way to generalise better on digits.
    """

    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    val_split: float = 0.1
    seed: int = 0
    shuffle: bool = True
    augment_shift: int = 0

    def validate(self) -> None:
        """Raise ValueError with a clear message on a bad value."""
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise ValueError(f"epochs must be a whole number >= 1, not {self.epochs}")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"batch size must be a whole number >= 1, not {self.batch_size}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a number > 0, not {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer '{self.optimizer}': choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight decay must be >= 0, not {self.weight_decay}")
        if not 0 <= self.val_split < 1:
            raise ValueError(f"the validation split must be from 0 up to 1, not {self.val_split}")
        if self.augment_shift < 0:
            raise ValueError("augment_shift must be >= 0")


@dataclass(slots=True)
class BatchInfo:
    """Metrics after one batch. ``epoch`` and ``batch`` count from 1; ``elapsed`` is
    training seconds (pauses excluded) since :meth:`Trainer.run` started."""

    epoch: int
    batch: int
    n_batches: int
    loss: float
    accuracy: float | None
    lr: float
    batch_size: int
    samples_seen: int
    elapsed: float
    epochs: int = 0


@dataclass(slots=True)
class EpochInfo:
    """Metrics after one epoch (training metrics averaged over its samples)."""

    epoch: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    elapsed: float
    epochs: int = 0


_EPOCH_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
               "elapsed")


@dataclass(eq=False)
class History:
    """Everything a run measured: per-batch arrays that grow by doubling, per-epoch infos.

    ``batch_loss``, ``batch_accuracy`` (NaN for regression), ``batch_lr`` and
    ``batch_epoch`` are views of shape (n_batches,) into the buffers: copy before keeping
    them across threads.
    """

    epochs: list[EpochInfo] = field(default_factory=list)
    _buf: np.ndarray = field(default_factory=lambda: np.empty((4, 256), np.float64), repr=False)
    _n: int = 0

    def __len__(self) -> int:
        return self._n

    def append_batch(self, loss: float, accuracy: float | None, lr: float, epoch: int) -> None:
        """Record one batch."""
        if self._n == self._buf.shape[1]:
            grown = np.empty((4, 2 * self._n), np.float64)
            grown[:, :self._n] = self._buf
            self._buf = grown
        self._buf[:, self._n] = (loss, math.nan if accuracy is None else accuracy, lr, epoch)
        self._n += 1

    @property
    def batch_loss(self) -> np.ndarray:
        return self._buf[0, :self._n]

    @property
    def batch_accuracy(self) -> np.ndarray:
        return self._buf[1, :self._n]

    @property
    def batch_lr(self) -> np.ndarray:
        return self._buf[2, :self._n]

    @property
    def batch_epoch(self) -> np.ndarray:
        return self._buf[3, :self._n]

    def to_dict(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays (missing values as NaN), e.g. for a model file."""
        out = {"batch_loss": self.batch_loss.astype(np.float32),
               "batch_accuracy": self.batch_accuracy.astype(np.float32),
               "batch_lr": self.batch_lr.astype(np.float32),
               "batch_epoch": self.batch_epoch.astype(np.int32)}
        for key in _EPOCH_KEYS:
            out[f"epoch_{key}"] = np.array(
                [math.nan if getattr(e, key) is None else getattr(e, key) for e in self.epochs],
                dtype=np.float64)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """Inverse of :meth:`to_dict` (missing keys give an empty history)."""
        hist = cls()
        loss = np.asarray(d.get("batch_loss", ()), np.float64).ravel()
        n = len(loss)
        cols = [loss] + [np.asarray(d.get(k, np.full(n, math.nan)), np.float64).ravel()[:n]
                         for k in ("batch_accuracy", "batch_lr", "batch_epoch")]
        hist._buf = np.empty((4, max(256, n)), np.float64)
        for i, col in enumerate(cols):
            hist._buf[i, :len(col)] = col
        hist._n = n

        def value(key: str, i: int) -> float | None:
            arr = d.get(f"epoch_{key}")
            if arr is None or i >= len(arr) or not math.isfinite(float(arr[i])):
                return None
            return float(arr[i])

        for i in range(len(d.get("epoch_epoch", ()))):
            vals = {k: value(k, i) for k in _EPOCH_KEYS}
            hist.epochs.append(EpochInfo(
                epoch=int(vals["epoch"] or i + 1), train_loss=vals["train_loss"] or math.nan,
                train_accuracy=vals["train_accuracy"], val_loss=vals["val_loss"],
                val_accuracy=vals["val_accuracy"], lr=vals["lr"] or math.nan,
                elapsed=vals["elapsed"] or 0.0))
        return hist


def split_indices(n: int, val_split: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation samples of ``n``, as the :class:`Trainer` holds them out.

    ``round(n * val_split)`` samples, at most ``n - 1``, drawn by one permutation of ``rng``
    (a generator seeded with the run's seed); both index arrays are sorted.

    Returns
    -------
    train_idx, val_idx : (n - k,) and (k,) int arrays
    """
    order = rng.permutation(n)
    n_val = max(0, min(int(round(n * val_split)), n - 1))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def shift_images(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each image by a random whole number of pixels in [-max_shift, max_shift].

    Parameters
    ----------
    x : np.ndarray
        (N, H, W) or (N, C, H, W) float32 batch; borders fill with 0.
    """
    if max_shift <= 0 or x.ndim < 3:
        return x
    s = max_shift
    pad = [(0, 0)] * (x.ndim - 2) + [(s, s), (s, s)]
    padded = np.pad(x, pad)
    h, w = x.shape[-2:]
    windows = sliding_window_view(padded, (h, w), axis=(-2, -1))  # (N, [C,] 2s+1, 2s+1, H, W)
    n = len(x)
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
    if x.ndim == 3:
        return np.ascontiguousarray(windows[np.arange(n), dy, dx])
    return np.ascontiguousarray(windows[np.arange(n), :, dy, dx])


class Trainer:
    """Mini-batch training of a network on in-memory arrays.

    Parameters
    ----------
    network : Network
        The compiled design; its parameters are updated in place.
    x : np.ndarray
        float32 (N, *sample_shape) training samples.
    y : np.ndarray
        int64 (N,) class indices or float32 (N, k) regression targets.
    config : TrainConfig, optional
    control : TrainControl, optional
        Created if not given (see :attr:`control`).
    x_val, y_val : np.ndarray, optional
        Validation data; when absent, ``config.val_split`` of (x, y) is held out (seeded).
    history : History, optional
        Continue this history (epochs are numbered on from it).
    """

    def __init__(self, network, x, y, config: TrainConfig | None = None,
                 control: TrainControl | None = None, x_val=None, y_val=None,
                 history: History | None = None) -> None:
        self.config = config = config or TrainConfig()
        config.validate()
        self.network = network
        self.control = control or TrainControl()
        self.history = history if history is not None else History()
        self.x = np.ascontiguousarray(x, dtype=np.float32)
        self.y = np.asarray(y)
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} samples but {len(self.y)} targets")
        if len(self.x) == 0:
            raise ValueError("There are no samples to train on")
        self._rng = np.random.default_rng(config.seed)
        train_idx, val_idx = split_indices(len(self.x), config.val_split, self._rng)
        if x_val is not None and y_val is not None:
            self.train_idx = np.arange(len(self.x))
            self.x_val = np.ascontiguousarray(x_val, dtype=np.float32)
            self.y_val = np.asarray(y_val)
        else:
            self.train_idx = train_idx
            self.x_val = self.x[val_idx] if len(val_idx) else None
            self.y_val = self.y[val_idx] if len(val_idx) else None
        self.params = network.parameters()
        self.optimizer = make_optimizer(config.optimizer, self.params, lr=config.lr,
                                        weight_decay=config.weight_decay)
        self.lr = float(config.lr)
        self.batch_size = int(config.batch_size)
        self.snapshot_every = 50
        self._good = [p.value.copy() for p in self.params]
        self.stopped = False

    # ------------------------------------------------------------ weights safety
    def _snapshot(self) -> None:
        for buf, p in zip(self._good, self.params, strict=True):
            np.copyto(buf, p.value)

    def _restore(self) -> None:
        for buf, p in zip(self._good, self.params, strict=True):
            np.copyto(p.value, buf)

    def _weights_finite(self) -> bool:
        return all(np.isfinite(p.value).all() for p in self.params)

    def _diverged(self, epoch: int, batch: int, what: str) -> TrainingDiverged:
        self._restore()
        lr = self.lr
        return TrainingDiverged(
            f"Training diverged in epoch {epoch}, batch {batch}: {what}. The last good "
            f"weights were restored. Lower the learning rate (it is {lr:g}; try {lr / 10:g}), "
            "and check that the inputs are scaled to about 0..1.", epoch, batch, lr)

    # ------------------------------------------------------------ the loop
    def run(self, on_batch: Callable[[BatchInfo], object] | None = None,
            on_epoch: Callable[[EpochInfo], object] | None = None) -> History:
        """Train for ``config.epochs`` epochs (or until stopped); returns the history.

        Raises
        ------
        TrainingDiverged
            The loss or the weights became NaN/inf; the last good weights are restored.
        """
        cfg, net, opt, ctl, hist = self.config, self.network, self.optimizer, self.control, \
            self.history
        x, y, idx = self.x, self.y, self.train_idx
        n = len(idx)
        first_epoch = len(hist.epochs) + 1
        last_epoch = first_epoch + cfg.epochs - 1
        shift = cfg.augment_shift if x.ndim >= 3 else 0
        start = time.perf_counter()
        paused = 0.0
        seen = 0
        self._snapshot()
        for epoch in range(first_epoch, last_epoch + 1):
            perm = self._rng.permutation(idx) if cfg.shuffle else idx
            pos = batch = 0
            loss_sum = acc_sum = 0.0
            acc_known = True
            while pos < n:
                if ctl.needs_wait:
                    t0 = time.perf_counter()
                    if not ctl.wait():
                        self.stopped = True
                        return hist
                    paused += time.perf_counter() - t0
                lr, bs = ctl.take_changes()
                if lr is not None:
                    self.lr = opt.lr = lr
                if bs is not None:
                    self.batch_size = bs
                take = perm[pos:pos + self.batch_size]
                xb, yb = x[take], y[take]
                if shift:
                    xb = shift_images(xb, shift, self._rng)
                loss, acc = net.train_step(xb, yb)
                batch += 1
                if not math.isfinite(loss):
                    raise self._diverged(epoch, batch, f"the loss became {loss}")
                if batch % self.snapshot_every == 1:
                    self._snapshot()   # these weights just gave a finite loss
                opt.step()
                m = len(take)
                pos += m
                seen += m
                loss_sum += loss * m
                if acc is None:
                    acc_known = False
                else:
                    acc_sum += acc * m
                hist.append_batch(loss, acc, self.lr, epoch)
                ctl.batch_done()
                if on_batch is not None:
                    n_batches = batch + -(-(n - pos) // self.batch_size)
                    on_batch(BatchInfo(epoch, batch, n_batches, float(loss), acc, self.lr, m,
                                       seen, time.perf_counter() - start - paused,
                                       last_epoch))
            if not self._weights_finite():
                raise self._diverged(epoch, batch, "the weights became infinite or NaN")
            val_loss = val_acc = None
            if self.x_val is not None and len(self.x_val):
                res = net.evaluate(self.x_val, self.y_val)
                val_loss, val_acc = float(res["loss"]), res.get("accuracy")
                if not math.isfinite(val_loss):
                    raise self._diverged(epoch, batch, "the validation loss became "
                                         f"{val_loss}")
            self._snapshot()
            info = EpochInfo(epoch, loss_sum / max(n, 1), acc_sum / n if acc_known else None,
                             val_loss, None if val_acc is None else float(val_acc), self.lr,
                             time.perf_counter() - start - paused, last_epoch)
            hist.epochs.append(info)
            ctl.epoch_done()
            if on_epoch is not None:
                on_epoch(info)
        return hist
