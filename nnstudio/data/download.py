"""Downloading MNIST, Fashion-MNIST and other IDX sets into the per-user cache.

Each file is tried on several public mirrors in order, streamed into a ``.part`` file,
checked against its published MD5 checksum and only then renamed into place (atomic: a cut
connection or a crash never leaves a half file under the real name). Progress is reported
through a callback and a download can be cancelled between blocks. Without internet the
error says which files to fetch and where to put them.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir
from .dataset import DIGIT_CLASSES, DataError, Dataset
from .idx import load_idx_pair

ProgressFn = Callable[[int, int], None]
BLOCK = 64 * 1024
TIMEOUT = 20.0


class DownloadCancelled(DataError):
    """The download was cancelled; nothing was left behind."""


@dataclass(frozen=True)
class RemoteSet:
    """A downloadable IDX set: its files (name -> MD5) and the mirrors holding them."""

    name: str
    title: str
    mirrors: tuple[str, ...]
    files: dict[str, str]
    classes: tuple[str, ...]
    homepage: str

    def split_files(self, split: str) -> tuple[str, str]:
        """(images file, labels file) of ``split`` ("train" or "test")."""
        prefix = {"train": "train", "test": "t10k"}[split]
        return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


KNOWN: dict[str, RemoteSet] = {
    "mnist": RemoteSet(
        name="mnist",
        title="MNIST handwritten digits",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        classes=tuple(DIGIT_CLASSES),
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": RemoteSet(
        name="fashion-mnist",
        title="Fashion-MNIST clothing images",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
            "fashion/",
        ),
        files={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
    ),
}


def md5_of(path: Path) -> str:
    """Hex MD5 of a file."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_cancelled(cancel: threading.Event | Callable[[], bool] | None) -> bool:
    if cancel is None:
        return False
    return cancel.is_set() if isinstance(cancel, threading.Event) else bool(cancel())


def _fetch(url: str, part: Path, progress: ProgressFn | None,
           cancel: threading.Event | Callable[[], bool] | None, timeout: float) -> None:
    """Stream ``url`` into ``part``; raises OSError-like errors on network problems."""
    request = urllib.request.Request(url, headers={"User-Agent": "nnstudio"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        with open(part, "wb") as out:
            while True:
                if _is_cancelled(cancel):
                    raise DownloadCancelled(f"download of {url} cancelled")
                block = response.read(BLOCK)
                if not block:
                    break
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
        if total and done < total:
            raise http.client.IncompleteRead(b"", total - done)


def download_file(
    urls: list[str] | tuple[str, ...],
    dest: str | os.PathLike,
    md5: str | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | Callable[[], bool] | None = None,
    timeout: float = TIMEOUT,
) -> Path:
    """Download one file, trying each URL in turn, into ``dest`` (atomically).

    Parameters
    ----------
    urls : list of str
        Mirrors of the same file, tried in order.
    dest : path
        Final location; its folder is created.
    md5 : str or None
        Expected hex MD5; a mismatch counts as a failed mirror.
    progress : callable(done_bytes, total_bytes) or None
        ``total_bytes`` is 0 when the server does not say.
    cancel : threading.Event or callable returning bool, or None
        Checked between blocks; raises :class:`DownloadCancelled`.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DataError
        When no mirror delivered a correct file (the message lists why for each).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.part")
    problems = []
    for url in urls:
        try:
            _fetch(url, part, progress, cancel, timeout)
            if md5 is not None:
                got = md5_of(part)
                if got != md5.lower():
                    problems.append(f"{url}: wrong checksum (got MD5 {got}, expected {md5})")
                    continue
            os.replace(part, dest)
            return dest
        except DownloadCancelled:
            raise
        except urllib.error.HTTPError as exc:
            problems.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            problems.append(f"{url}: {exc.reason}")
        except (http.client.HTTPException, OSError, ValueError) as exc:
            kind = "connection cut mid-file" if isinstance(
                exc, http.client.IncompleteRead) else f"{type(exc).__name__}: {exc}"
            problems.append(f"{url}: {kind}")
        finally:
            part.unlink(missing_ok=True)
    raise DataError(
        f"could not download {dest.name}:\n  " + "\n  ".join(problems)
        + f"\nWithout internet: download {dest.name} on another computer (from "
        + " or ".join(urls) + f") and put it in {dest.parent}"
    )


def set_folder(name: str) -> Path:
    """Cache folder of a known set, e.g. ``~/.cache/nnstudio/mnist``."""
    return cache_dir() / name


def ensure_files(remote: RemoteSet, names: list[str], progress: ProgressFn | None = None,
                 cancel: threading.Event | Callable[[], bool] | None = None) -> list[Path]:
    """Make sure the named files of ``remote`` are in the cache, downloading what is missing.

    ``progress(done, total)`` counts bytes over all files still to download.
    """
    folder = set_folder(remote.name)

    def present(name: str) -> Path | None:  # placed by hand, maybe uncompressed
        for cand in (folder / name, folder / name.removesuffix(".gz")):
            if cand.is_file():
                return cand
        return None

    missing = [n for n in names if present(n) is None]
    finished = [0]

    def file_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(finished[0] + done, 0)

    try:
        for name in missing:
            urls = [m + name for m in remote.mirrors]
            download_file(urls, folder / name, remote.files[name], file_progress, cancel)
            finished[0] += (folder / name).stat().st_size
    except DownloadCancelled:
        raise
    except DataError as exc:
        raise DataError(
            f"{remote.title} are not on this computer yet and could not be downloaded.\n"
            f"{exc}\nThe files needed: {', '.join(names)} (see {remote.homepage}). "
            "Meanwhile the synthetic digits work offline: use the source 'synthetic'."
        ) from None
    return [present(n) or folder / n for n in names]


def load_known(name: str, split: str = "train", progress: ProgressFn | None = None,
               cancel: threading.Event | Callable[[], bool] | None = None) -> Dataset:
    """Load a known set (``"mnist"``, ``"fashion-mnist"``), downloading it once if needed."""
    if name not in KNOWN:
        raise DataError(f"unknown set {name!r}; known: {', '.join(KNOWN)}")
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r}: use 'train' or 'test'")
    remote = KNOWN[name]
    images, labels = ensure_files(remote, list(remote.split_files(split)), progress, cancel)
    try:
        ds = load_idx_pair(images, labels, name=f"{name}:{split}", classes=list(remote.classes),
                           description=f"{remote.title}, {split} set ({remote.homepage})")
    except DataError as exc:
        raise DataError(f"{exc}\n(delete {images.parent} to download it again)") from None
    return ds
