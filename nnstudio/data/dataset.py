"""The :class:`Dataset` container shared by every data source, and :class:`DataError`.

A dataset is a pair of plain NumPy arrays plus the few facts a person and a network need:
what the task is, what the classes are called, and what the features mean.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio.limits import format_bytes

TASKS = ("classification", "regression")


class DataError(ValueError):
    """A problem with data a person supplied or asked for.

    The message names the file, row or column involved and says what to do about it.
    """


class LoadCancelled(DataError):
    """Loading stopped because the caller asked it to (its ``cancel`` returned True)."""


#: asked now and then during a long load: True means stop (raise :class:`LoadCancelled`)
CancelFn = Callable[[], bool]


def check_cancel(cancel: CancelFn | None, what: object) -> None:
    """Raise :class:`LoadCancelled` when ``cancel()`` says so (``what``: the file or source)."""
    if cancel is not None and cancel():
        raise LoadCancelled(f"loading {what} was cancelled")


def open_data_file(path: Path, folder_message: str) -> int:
    """Check that ``path`` is a regular file a person named and return its size in bytes.

    A pipe or device is refused without opening it (it would block the reader forever),
    and a folder gets ``folder_message``, e.g. ``"is a folder; give a .csv file"``.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; check the path") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{path} {folder_message}")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path} is not a regular file (a pipe or a device?); give a data "
                        "file saved on disk")
    return st.st_size


def read_file_bytes(path: Path, folder_message: str, limit: int | None = None) -> bytes:
    """The bytes of a file a person named, or a :class:`DataError` that says what is wrong.

    ``folder_message`` is the sentence for a folder given where a file was expected, e.g.
    ``"is a folder; give a .csv file"`` (it follows the path). ``limit`` refuses larger files.
    """
    size = open_data_file(path, folder_message)
    if limit is not None and size > limit:
        raise DataError(f"{path} is {format_bytes(size)}, limit {format_bytes(limit)}: it is "
                        "too big to read")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise DataError(f"{path} {folder_message}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


@dataclass
class Dataset:
    """Samples and targets in memory.

    Attributes
    ----------
    name : str
        Short name shown to people, e.g. ``"synthetic digits"``.
    x : np.ndarray
        float32, shape (N, *sample_shape). Images are (N, H, W) in [0, 1], white on black.
    y : np.ndarray
        int64 class indices of shape (N,) for classification; float32 (N, k) for regression.
    task : str
        ``"classification"`` or ``"regression"``.
    classes : list of str
        Class names in index order (``"0"`` .. ``"9"`` for digits); empty for regression.
    feature_names : list of str or None
        Names of the features of flat (tabular) samples.
    description : str
        One or two sentences on where the data comes from.
    meta : dict
        Extra facts (e.g. the standardisation applied to tabular data).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str
    classes: list[str]
    feature_names: list[str] | None = None
    description: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(
                f"dataset {self.name!r}: task must be one of {TASKS}, not {self.task!r}"
            )
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        if self.task == "classification":
            self.y = np.ascontiguousarray(self.y, dtype=np.int64).reshape(-1)
        else:
            y = np.asarray(self.y, dtype=np.float32)
            self.y = np.ascontiguousarray(y.reshape(len(y), -1) if y.ndim != 2 else y)
        if self.x.ndim < 2:
            raise DataError(
                f"dataset {self.name!r}: x must have shape (N, ...) with one row per sample, "
                f"got shape {self.x.shape}"
            )
        if len(self.x) != len(self.y):
            raise DataError(
                f"dataset {self.name!r} has {len(self.x)} samples but {len(self.y)} targets: "
                "each sample needs exactly one target"
            )
        self.classes = [str(c) for c in self.classes]

    # ------------------------------------------------------------------ facts
    @property
    def n(self) -> int:
        """Number of samples N."""
        return int(len(self.x))

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample, without the batch dimension, e.g. ``(28, 28)``."""
        return tuple(int(s) for s in self.x.shape[1:])

    @property
    def is_image(self) -> bool:
        """True for (N, H, W) image data (or (N, 1, H, W))."""
        s = self.sample_shape
        return len(s) == 2 or (len(s) == 3 and s[0] in (1, 3))

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes)

    def class_counts(self) -> np.ndarray:
        """Samples per class, int64 shape (n_classes,); empty for regression."""
        if self.task != "classification":
            return np.zeros(0, dtype=np.int64)
        return np.bincount(self.y, minlength=self.n_classes).astype(np.int64)

    # ------------------------------------------------------------ operations
    def subset(self, idx: np.ndarray | slice | list[int], name: str | None = None) -> Dataset:
        """A new dataset holding the samples at ``idx`` (indices, boolean mask or slice)."""
        if not isinstance(idx, slice):
            idx = np.asarray(idx)
        return Dataset(
            name=name or self.name,
            x=np.ascontiguousarray(self.x[idx]),
            y=np.ascontiguousarray(self.y[idx]),
            task=self.task,
            classes=list(self.classes),
            feature_names=None if self.feature_names is None else list(self.feature_names),
            description=self.description,
            meta=dict(self.meta),
        )

    def split(self, fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Shuffle and split into (first, second) where ``second`` holds ``fraction`` of samples.

        Parameters
        ----------
        fraction : float
            Share of samples in the second part, 0 <= fraction <= 1 (e.g. 0.2 for a test set).
        seed : int
            Seed of the shuffle, so that the split is reproducible.
        """
        if not 0.0 <= float(fraction) <= 1.0:
            raise DataError(f"split fraction must be between 0 and 1, got {fraction}")
        order = np.random.default_rng(seed).permutation(self.n)
        n_second = int(round(self.n * float(fraction)))
        first, second = order[: self.n - n_second], order[self.n - n_second :]
        return self.subset(np.sort(first)), self.subset(np.sort(second))

    def take(self, n: int, seed: int | None = None) -> Dataset:
        """The first ``n`` samples (or ``n`` random ones when ``seed`` is given)."""
        n = max(0, min(int(n), self.n))
        if seed is None:
            return self.subset(slice(0, n))
        return self.subset(np.sort(np.random.default_rng(seed).permutation(self.n)[:n]))

    def merge(self, other: Dataset, name: str | None = None) -> Dataset:
        """Samples of both datasets in one (same task, classes and sample shape)."""
        if other.task != self.task or other.classes != self.classes:
            raise DataError(
                f"cannot merge {other.name!r} into {self.name!r}: they have different tasks "
                "or classes"
            )
        if other.sample_shape != self.sample_shape:
            raise DataError(
                f"cannot merge {other.name!r} ({other.sample_shape}) into {self.name!r} "
                f"({self.sample_shape}): samples have different shapes"
            )
        return Dataset(
            name=name or f"{self.name} + {other.name}",
            x=np.concatenate([self.x, other.x]),
            y=np.concatenate([self.y, other.y]),
            task=self.task,
            classes=list(self.classes),
            feature_names=self.feature_names,
            description=self.description,
            meta=dict(self.meta),
        )

    def __repr__(self) -> str:
        shape = "×".join(str(s) for s in self.sample_shape)
        return f"Dataset({self.name!r}, n={self.n}, sample={shape}, task={self.task})"


DIGIT_CLASSES = [str(i) for i in range(10)]
