"""Reading and writing IDX files, the format of MNIST and its relatives.

An IDX file is a 4-byte magic number ``00 00 <dtype code> <number of dimensions>``, then
one big-endian int32 per dimension, then the values in C order (big-endian). Files may be
gzip-compressed (``.gz``). Every problem gives a :class:`DataError` naming the file and saying
what to do.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import zlib
from pathlib import Path

import numpy as np

from nnstudio.fileio import atomic_write
from nnstudio.limits import TooBigError, check_size, format_bytes

from .dataset import DIGIT_CLASSES, CancelFn, DataError, Dataset, check_cancel, read_file_bytes

#: IDX dtype code -> big-endian NumPy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_ITEMS = 2**31  # sanity limit against absurd headers (foreign files)
#: The most classes a labels file may have (its largest label + 1).
MAX_CLASSES = 10_000

_FIX = (
    "get an unmodified copy (e.g. re-download it, or delete the cached file so it is "
    "fetched again)"
)


def _header_size(head: bytes | bytearray) -> int | None:
    """The file size an IDX header announces: None while more bytes are needed, -1 when
    the bytes are not an IDX header (:func:`parse_idx` then says what is wrong)."""
    if len(head) < 4:
        return None
    if head[0] or head[1] or head[2] not in IDX_DTYPES or head[3] == 0:
        return -1
    ndim = head[3]
    if len(head) < 4 + 4 * ndim:
        return None
    dims = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big", signed=True) for i in range(ndim)]
    if any(d < 0 for d in dims):
        return -1
    return 4 + 4 * ndim + math.prod(dims) * IDX_DTYPES[head[2]].itemsize


def _inflate(raw: bytes, chunk: int = 1 << 20):
    """Decompress gzip data (one or more members) in pieces of at most ``chunk`` bytes."""
    rest = raw
    while rest:
        unz = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = rest
        while not unz.eof:
            piece = unz.decompress(data, chunk)
            data = unz.unconsumed_tail
            if piece:
                yield piece
            elif not data:
                break
        if not unz.eof:
            raise EOFError("the compressed data ends early")
        rest = unz.unused_data


def _gunzip(raw: bytes, path: Path) -> bytearray:
    """Decompress gzip data, never more than its IDX header announces (+1 byte to notice
    extra data), into one buffer allocated once, refusing clearly when the header's size
    and the compressed bytes together exceed the memory limit (a gzip 'bomb')."""
    out = bytearray()
    want: int | None = None
    filled = 0
    try:
        for piece in _inflate(raw):
            if want is None:
                out += piece
                filled = len(out)
                want = _header_size(out)
                if want is not None and want >= 0:
                    check_size(want + len(raw),
                               f"{path} (gzip, {format_bytes(len(raw))}) unpacked",
                               "it is damaged, or too big for this computer")
                    size = max(want, 1028) + 1
                    if len(out) < size:
                        out.extend(bytes(size - len(out)))  # the whole buffer, once
                    filled = min(filled, size)
                    del out[size:]
                elif want is not None:
                    want = -1
            else:
                take = min(len(piece), len(out) - filled)
                out[filled:filled + take] = piece[:take]
                filled += take
            if want is not None and filled >= max(want, 1028) + 1:
                break
    except (EOFError, zlib.error) as exc:
        raise DataError(f"{path}: the gzip data is truncated or damaged ({exc}); {_FIX}"
                        ) from None
    except TooBigError as exc:
        raise DataError(str(exc)) from None
    del out[filled:]
    return out


def idx_header(path: str | os.PathLike) -> tuple[tuple[int, ...], np.dtype] | None:
    """The shape and dtype an IDX file's header announces, reading (and unpacking) only its
    first bytes; None when the file does not start like an IDX file (:func:`read_idx` says
    what is wrong)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if head[:2] == _GZIP_MAGIC:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 1028)
    except (OSError, zlib.error):
        return None
    if _header_size(head) in (None, -1):
        return None
    ndim = head[3]
    dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return dims, IDX_DTYPES[head[2]]


def _read_bytes(path: Path) -> bytes:
    raw = read_file_bytes(path, "is a folder, not an IDX file")
    if raw[:2] == _GZIP_MAGIC:
        return _gunzip(raw, path)
    if path.suffix == ".gz":
        raise DataError(
            f"{path} is named .gz but is not gzip-compressed; it is probably not an IDX "
            f"file (a web page or an error message saved under that name?); {_FIX}"
        )
    return raw


def parse_idx(data: bytes | bytearray, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file.

    Parameters
    ----------
    data : bytes
        The whole file content.
    name : str
        The file name used in error messages.

    Returns
    -------
    np.ndarray
        Array of the shape stored in the header, native byte order.
    """
    if len(data) < 4:
        raise DataError(f"{name} is too short to be an IDX file ({len(data)} bytes); {_FIX}")
    if data[0] != 0 or data[1] != 0:
        raise DataError(
            f"{name} is not an IDX file: it does not start with the IDX magic number "
            f"(first bytes {data[:4].hex(' ')}); choose the MNIST-format "
            "'...-idx3-ubyte' / '...-idx1-ubyte' files"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DataError(
            f"{name}: unknown IDX data type code 0x{code:02X} (expected one of "
            f"{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)}); the file is damaged or not IDX"
        )
    if ndim == 0:
        raise DataError(f"{name}: the IDX header declares 0 dimensions; the file is damaged")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name} is truncated inside its header; {_FIX}")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big", signed=True)
                 for i in range(ndim))
    if any(d < 0 for d in dims):
        raise DataError(f"{name}: the IDX header has a negative dimension {dims}; damaged file")
    dtype = IDX_DTYPES[code]
    count = math.prod(dims)
    if count > _MAX_ITEMS:
        raise DataError(f"{name}: the IDX header declares an implausible size "
                        f"{dims if ndim <= 8 else f'of {ndim} dimensions'}; damaged file")
    expected = header + count * dtype.itemsize
    try:
        check_size(count * 4, f"{name} (shape {dims if ndim <= 8 else ndim})",
                   "it is damaged, or too big for this computer")
    except TooBigError as exc:
        raise DataError(str(exc)) from None
    if len(data) < expected:
        raise DataError(
            f"{name} is truncated: its header announces shape {dims} ({expected:,} bytes) but "
            f"the file holds only {len(data):,} bytes; {_FIX}"
        )
    if len(data) > expected:
        raise DataError(
            f"{name} has {len(data) - expected:,} bytes more than its header announces "
            f"(shape {dims}); it is damaged or not an IDX file; {_FIX}"
        )
    try:
        arr = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
        return arr.astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)
    except (ValueError, MemoryError) as exc:
        raise DataError(f"{name}: cannot be decoded ({exc}); {_FIX}") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw or ``.gz``).

    Returns
    -------
    np.ndarray
        The stored array in native byte order, e.g. uint8 (N, 28, 28) for MNIST images
        and uint8 (N,) for labels.
    """
    path = Path(path)
    try:
        return parse_idx(_read_bytes(path), name=str(path))
    except MemoryError:  # the sizes are checked first; this is other programs' memory use
        raise DataError(f"{path}: there is not enough free memory to read it (the computer's "
                        "memory is taken by other programs, or nnstudio's memory is capped); "
                        "close other programs or use a smaller file") from None


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when the name ends in ``.gz``)."""
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=")
    if key not in _CODES:
        raise DataError(f"{path}: IDX cannot store dtype {array.dtype}")
    code = _CODES[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    body = array.astype(IDX_DTYPES[code]).tobytes()
    data = header + body
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    atomic_write(path, lambda fh: fh.write(data))


# --------------------------------------------------------------------- folders
_IMAGES_RE = re.compile(r"^(?P<prefix>.*?)[-_.]?images[-_.]idx3[-_.]ubyte(\.gz)?$", re.I)


def find_idx_pairs(folder: Path) -> list[tuple[Path, Path]]:
    """All (images, labels) file pairs in ``folder``, e.g. ``train-images-idx3-ubyte.gz``
    with ``train-labels-idx1-ubyte.gz``."""
    pairs = []
    for img in sorted(folder.iterdir()):
        m = _IMAGES_RE.match(img.name)
        if not m or not img.is_file():
            continue
        label_name = re.sub("images", "labels", img.name, flags=re.I)
        label_name = re.sub("idx3", "idx1", label_name, flags=re.I)
        candidates = [label_name]
        if label_name.endswith(".gz"):
            candidates.append(label_name[:-3])
        else:
            candidates.append(label_name + ".gz")
        for cand in candidates:
            if (folder / cand).is_file():
                pairs.append((img, folder / cand))
                break
    return pairs


def images_to_float(images: np.ndarray, name: str) -> np.ndarray:
    """uint8 0..255 (or float) images -> float32 in [0, 1], shape kept."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) * np.float32(1.0 / 255.0)
    x = images.astype(np.float32)
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    if lo < 0.0 or hi > 1.0:
        if lo >= 0.0 and hi <= 255.0:
            return x / np.float32(255.0)
        raise DataError(f"{name}: pixel values span {lo}..{hi}; expected 0..255 or 0..1")
    return x


def load_idx_pair(
    images_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    name: str | None = None,
    classes: list[str] | None = None,
    description: str = "",
    cancel: CancelFn | None = None,
) -> Dataset:
    """Load an images file and its labels file into an image classification dataset.

    ``cancel()`` is asked between the steps of reading (each file, the conversion); True
    stops the load (:class:`~nnstudio.data.dataset.LoadCancelled`).

    Returns
    -------
    Dataset
        x float32 (N, H, W) in [0, 1]; y int64 (N,).
    """
    images_path, labels_path = Path(images_path), Path(labels_path)
    check_cancel(cancel, images_path)
    announced = idx_header(images_path)
    if announced is not None:  # the file, its values and the float32 copy, before reading
        dims, dtype = announced
        count = math.prod(dims)
        try:
            check_size(count * (dtype.itemsize + 4) + images_path.stat().st_size,
                       f"{images_path} ({count:,} values as float32)",
                       "use fewer images, or a computer with more memory")
        except TooBigError as exc:
            raise DataError(str(exc)) from None
    images = read_idx(images_path)
    check_cancel(cancel, labels_path)
    labels = read_idx(labels_path)
    check_cancel(cancel, images_path)
    if images.ndim != 3:
        raise DataError(
            f"{images_path}: expected images of shape (N, height, width) but the file holds "
            f"shape {images.shape}; is this a labels file? Images files are named "
            "'...-images-idx3-ubyte'"
        )
    if labels.ndim != 1:
        raise DataError(
            f"{labels_path}: expected labels of shape (N,) but the file holds shape "
            f"{labels.shape}; is this an images file? Labels files are named "
            "'...-labels-idx1-ubyte'"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{labels_path}: labels must be whole numbers, found {labels.dtype}")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} holds {len(images):,} images but {labels_path.name} holds "
            f"{len(labels):,} labels: they do not belong together; use the images and labels "
            "files of the same set"
        )
    if labels.size and labels.min() < 0:
        raise DataError(f"{labels_path}: labels must be >= 0, found {int(labels.min())}")
    n_classes = int(labels.max()) + 1 if labels.size else 10
    if n_classes > MAX_CLASSES:
        raise DataError(
            f"{labels_path}: holds label {n_classes - 1:,}, so {n_classes:,} classes; "
            f"nnstudio works with at most {MAX_CLASSES:,} classes. The file is damaged or "
            "not a labels file")
    if classes is None:
        classes = DIGIT_CLASSES if n_classes <= 10 else [str(i) for i in range(n_classes)]
    elif n_classes > len(classes):
        raise DataError(
            f"{labels_path}: found label {n_classes - 1} but the set has only "
            f"{len(classes)} classes"
        )
    return Dataset(
        name=name or images_path.parent.name,
        x=images_to_float(images, str(images_path)),
        y=labels.astype(np.int64),
        task="classification",
        classes=list(classes),
        description=description or f"IDX images from {images_path.parent}",
        meta={"images_file": str(images_path), "labels_file": str(labels_path)},
    )


def load_idx_dir(
    folder: str | os.PathLike,
    split: str | None = None,
    classes: list[str] | None = None,
    name: str | None = None,
    cancel: CancelFn | None = None,
) -> Dataset:
    """Load the IDX image/label pair found in ``folder``.

    Parameters
    ----------
    folder : path
        A folder holding ``*-images-idx3-ubyte[.gz]`` and the matching
        ``*-labels-idx1-ubyte[.gz]``.
    split : {"train", "test"} or None
        Which pair to use when the folder holds several (``train-*`` and ``t10k-*``).
        With ``None``: the only pair, or the training pair when there are several.
    cancel : callable returning bool, or None
        See :func:`load_idx_pair`.
    """
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{folder}: folder not found; give a folder holding IDX files")
    if not folder.is_dir():
        raise DataError(
            f"{folder} is a file; give the folder that holds the '...-images-idx3-ubyte' and "
            "'...-labels-idx1-ubyte' files"
        )
    pairs = find_idx_pairs(folder)
    if not pairs:
        raise DataError(
            f"{folder} holds no IDX image/label pair: expected files named like "
            "'train-images-idx3-ubyte.gz' and 'train-labels-idx1-ubyte.gz'"
        )
    chosen = pairs
    if len(pairs) > 1 or split is not None:
        want = {"train": ("train",), "test": ("t10k", "test")}.get(split or "train")
        if want is None:
            raise DataError(f"unknown split {split!r}: use 'train' or 'test'")
        chosen = [p for p in pairs if p[0].name.lower().startswith(want)]
        if not chosen and len(pairs) == 1:
            chosen = pairs
        if not chosen:
            names = ", ".join(p[0].name for p in pairs)
            raise DataError(f"{folder} has no {split or 'train'} images file among: {names}")
    images_path, labels_path = chosen[0]
    return load_idx_pair(images_path, labels_path, name=name or folder.name, classes=classes,
                         cancel=cancel)
