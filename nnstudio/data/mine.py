"""The person's own drawn digits, kept under the user data folder.

The canvas adds digits one at a time (already framed as 28×28, see
:func:`nnstudio.data.preprocess.to_mnist`); they can be listed, deleted, and used as a dataset
alone or merged with another. Everything lives in one ``.npz`` file written atomically, so a
crash never loses what was there. A damaged file is never overwritten or deleted: it is
moved aside (``my_digits.damaged-<time>.npz``), :attr:`UserDigits.problem` says where, and
a new collection starts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.fileio import atomic_write

from .cache import data_dir
from .dataset import DIGIT_CLASSES, DataError, Dataset

FILE_NAME = "my_digits.npz"


@dataclass(frozen=True)
class UserDigit:
    """One stored digit: its id (stable), label 0..9 and when it was added (Unix time)."""

    id: int
    label: int
    created: float


class UserDigits:
    """A store of labelled 28×28 digits.

    Parameters
    ----------
    folder : path or None
        Where the store lives; None uses ``nnstudio.data.cache.data_dir()`` (the platform's
        user data folder, or ``$NNSTUDIO_DATA_DIR``).
    """

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.path = self.folder / FILE_NAME
        self._images = np.zeros((0, 28, 28), dtype=np.uint8)
        self._labels = np.zeros(0, dtype=np.int64)
        self._ids = np.zeros(0, dtype=np.int64)
        self._created = np.zeros(0, dtype=np.float64)
        #: Where a damaged digits file was moved (None when it was fine), and what happened.
        self.set_aside: Path | None = None
        self.problem: str | None = None
        self._load()

    # ------------------------------------------------------------ storage
    def _load(self) -> None:
        if not self.path.exists() and not self.path.is_symlink():
            return
        try:
            if not self.path.is_file():
                raise ValueError("it is not a regular file")
            with np.load(self.path, allow_pickle=False) as f:
                images, labels = f["images"], f["labels"]
                ids, created = f["ids"], f["created"]
            n = len(labels)
            if images.shape != (n, 28, 28) or ids.shape != (n,) or created.shape != (n,) \
                    or labels.ndim != 1:
                raise ValueError("its arrays do not match")
            labels = labels.astype(np.int64)
            if n and (labels.min() < 0 or labels.max() > 9):
                raise ValueError("it holds labels outside 0-9")
        except Exception as exc:  # noqa: BLE001 - any damage (BadZipFile, zlib.error, ...)
            self._set_aside(exc)
            return
        self._images = images.astype(np.uint8)
        self._labels, self._ids = labels, ids.astype(np.int64)
        self._created = created.astype(np.float64)

    def _set_aside(self, exc: BaseException) -> None:
        """Move a damaged digits file aside (never delete it) and remember where."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.folder / f"my_digits.damaged-{stamp}.npz"
        n = 1
        while target.exists():
            n += 1
            target = self.folder / f"my_digits.damaged-{stamp}-{n}.npz"
        reason = f"{type(exc).__name__}: {str(exc)[:120]}"
        try:
            os.replace(self.path, target)
        except OSError as err:
            raise DataError(
                f"{self.path}: your digits file is damaged ({reason}) and cannot be moved "
                f"aside ({err.strerror or err}); move it away to start a new collection "
                "(nnstudio never overwrites it)") from None
        self.set_aside = target
        self.problem = (f"Your digits file was damaged ({reason}). It was moved to "
                        f"{target}, untouched, and a new collection was started.")

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            atomic_write(self.path, lambda fh: np.savez(
                fh, images=self._images, labels=self._labels, ids=self._ids,
                created=self._created))
        except OSError as exc:
            raise DataError(f"cannot save your digits to {self.path}: "
                            f"{exc.strerror or exc}") from None

    # ------------------------------------------------------------ editing
    def add(self, image: np.ndarray, label: int) -> int:
        """Store a 28×28 digit (float in [0, 1] or uint8, white on black) with its label.

        Returns
        -------
        int
            The new digit's id.
        """
        img = np.asarray(image)
        if img.shape != (28, 28):
            raise DataError(f"a digit to store must be 28×28 (use to_mnist first), got shape "
                            f"{img.shape}")
        if isinstance(label, bool) or not isinstance(label, int | np.integer) or \
                not 0 <= int(label) <= 9:
            raise DataError(f"a digit's label must be a whole number 0-9, not {label!r}")
        if img.dtype != np.uint8:
            img = np.round(np.clip(np.nan_to_num(img.astype(np.float64)), 0, 1) * 255)
        new_id = int(self._ids.max()) + 1 if len(self._ids) else 1
        self._images = np.concatenate([self._images, img.astype(np.uint8)[None]])
        self._labels = np.append(self._labels, int(label))
        self._ids = np.append(self._ids, new_id)
        self._created = np.append(self._created, time.time())
        self._save()
        return new_id

    def delete(self, digit_id: int) -> None:
        """Remove the digit with ``digit_id`` (KeyError if there is none)."""
        keep = self._ids != int(digit_id)
        if keep.all():
            raise KeyError(f"no stored digit with id {digit_id}")
        self._images, self._labels = self._images[keep], self._labels[keep]
        self._ids, self._created = self._ids[keep], self._created[keep]
        self._save()

    def relabel(self, digit_id: int, label: int) -> None:
        """Change the label of a stored digit."""
        if not 0 <= int(label) <= 9:
            raise DataError(f"a digit's label must be 0-9, not {label!r}")
        where = np.flatnonzero(self._ids == int(digit_id))
        if not len(where):
            raise KeyError(f"no stored digit with id {digit_id}")
        self._labels[where[0]] = int(label)
        self._save()

    def clear(self) -> None:
        """Remove every stored digit."""
        self._images = self._images[:0]
        self._labels, self._ids, self._created = self._labels[:0], self._ids[:0], \
            self._created[:0]
        self._save()

    # ------------------------------------------------------------ reading
    def __len__(self) -> int:
        return int(len(self._ids))

    def list(self) -> list[UserDigit]:
        """All stored digits, oldest first."""
        return [UserDigit(int(i), int(lab), float(c))
                for i, lab, c in zip(self._ids, self._labels, self._created, strict=True)]

    def image(self, digit_id: int) -> np.ndarray:
        """float32 (28, 28) in [0, 1] of the digit with ``digit_id``."""
        where = np.flatnonzero(self._ids == int(digit_id))
        if not len(where):
            raise KeyError(f"no stored digit with id {digit_id}")
        return self._images[where[0]].astype(np.float32) / np.float32(255)

    def counts(self) -> np.ndarray:
        """int64 (10,): how many digits of each label are stored."""
        return np.bincount(self._labels, minlength=10).astype(np.int64)

    def as_dataset(self, merge_with: Dataset | None = None) -> Dataset:
        """The stored digits as a dataset (x (N, 28, 28) float32, y int64), optionally
        followed by the samples of ``merge_with``."""
        if not len(self) and merge_with is None:
            note = f" ({self.problem})" if self.problem else ""
            raise DataError("you have no digits of your own yet: draw some on the canvas and "
                            f"add them with a label{note}")
        ds = Dataset(
            name="my digits",
            x=self._images.astype(np.float32) / np.float32(255),
            y=self._labels.copy(),
            task="classification",
            classes=list(DIGIT_CLASSES),
            description=f"{len(self)} digits drawn by you",
            meta={"file": str(self.path)},
        )
        return ds if merge_with is None else ds.merge(merge_with)
