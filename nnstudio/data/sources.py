"""Data sources named by a short text, as typed on the command line or chosen in the GUI.

Grammar (``load_source(spec)``)::

    synthetic[:N][:seed=S]        synthetic handwritten digits (offline; default N = 60000)
    mnist[:train|:test]           MNIST digits (downloaded once into the cache)
    fashion-mnist[:train|:test]   Fashion-MNIST clothing images (downloaded once)
    idx:DIR                       an IDX image/label pair in a folder
    toy:NAME[:n=N][:noise=F][:test=F][:features=x1,x2,...]
                                  2-D toy sets: circle, xor, gaussians, spiral, plane;
                                  test = share held out, features = x1, x2, x1sq, x2sq,
                                  x1x2, sin1, sin2
    cars[:N][:raw]                car prices (three features); N > 3 adds generated cars;
                                  raw = dollars and stars as they are, not standardised
    perceptron[:KIND]             2-D sets for a perceptron: and, or, separable, xor
    3v7[:SPEC]                    3s and 7s of another digit source (default synthetic:6000)
    csv:FILE:label=COL[:task=T][:drop=A,B]
                                  a table; T = classification or regression (inferred)
    mine                          the person's own drawn digits
    A+B                           both sources merged (same classes and shapes)

``size=16`` makes digit sources 16×16 instead of 28×28.

Generated sources are sized before they are made: a count above :data:`MAX_GENERATED`
(or what the memory limit allows) is refused with the count and the limit, and so are more
than :data:`MAX_MERGED` sources merged with ``+`` and ``3v7`` of ``3v7``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nnstudio.limits import TooBigError, check_size

from .dataset import CancelFn, DataError, Dataset, check_cancel

ProgressFn = Callable[[int, int], None]

#: (spec, description) for dataset choosers
SOURCES: list[tuple[str, str]] = [
    ("synthetic", "Synthetic handwritten digits, 60,000 generated on this computer (offline)"),
    ("synthetic:10000", "Synthetic handwritten digits, 10,000 (quick)"),
    ("mnist", "MNIST handwritten digits, 60,000 training images (downloaded once)"),
    ("mnist:test", "MNIST handwritten digits, 10,000 test images (downloaded once)"),
    ("fashion-mnist", "Fashion-MNIST clothing images, 60,000 (downloaded once)"),
    ("fashion-mnist:test", "Fashion-MNIST clothing images, 10,000 test images"),
    ("mine", "Your own drawn digits"),
    ("3v7", "Only 3s and 7s: the two-class digit lesson"),
    ("cars", "Car prices from three features (the three example cars)"),
    ("cars:raw", "Car prices, the three example cars in dollars, not standardised"),
    ("cars:200", "Car prices, 200 generated cars with the same features"),
    ("perceptron", "Two inputs, step neuron: the AND example"),
    ("perceptron:separable", "A 2-D set a single perceptron can separate"),
    ("perceptron:xor", "XOR: a 2-D set no single perceptron can separate"),
    ("toy:circle", "2-D: a circle inside a ring"),
    ("toy:xor", "2-D: the four XOR quadrants"),
    ("toy:gaussians", "2-D: two Gaussian blobs"),
    ("toy:spiral", "2-D: two interleaved spirals"),
    ("toy:plane", "2-D regression: a tilted plane"),
]

_INT_RE = re.compile(r"^\d[\d_,]*$")
#: The most samples one generated source makes (MNIST has 60,000 training digits).
MAX_GENERATED = 1_000_000
#: The most cars ``cars:N`` makes (each keeps its name and raw numbers for the lessons).
MAX_CARS = 100_000
#: The most sources merged with ``+``.
MAX_MERGED = 32
#: Peak bytes per generated sample while it is made: (source, bytes)
_BYTES_EACH = {"synthetic": 16_000, "toy": 128, "cars": 800}
_NAMES = {"synthetic": "digits", "toy": "points", "cars": "cars"}


def _sized(kind: str, n: int, spec: str) -> int:
    """``n`` samples of a generated source if they fit the limits; DataError otherwise."""
    what = _NAMES[kind]
    most = MAX_CARS if kind == "cars" else MAX_GENERATED
    if n > most:
        raise DataError(f"data source {spec[:80]!r}: {n:,} {what} is more than the "
                        f"{most:,} nnstudio generates; ask for fewer")
    try:
        check_size(n * _BYTES_EACH[kind], f"data source {spec[:80]!r} ({n:,} {what})",
                   f"ask for fewer {what}")
    except TooBigError as err:
        raise DataError(str(err)) from None
    return n


def _int(text: str, what: str, spec: str) -> int:
    if not _INT_RE.match(text):
        raise DataError(f"data source {spec!r}: {what} must be a whole number, not {text!r}")
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise DataError(f"data source {spec!r}: {what} must be at least 1")
    return value


def _options(parts: list[str], spec: str, allowed: dict[str, type]) -> dict:
    """Parse ``key=value`` parts."""
    out: dict = {}
    for part in parts:
        if "=" not in part:
            raise DataError(
                f"data source {spec!r}: cannot understand {part!r}; options look like "
                f"{' or '.join(k + '=...' for k in allowed)}"
            )
        key, value = (s.strip() for s in part.split("=", 1))
        if key not in allowed:
            raise DataError(
                f"data source {spec!r}: unknown option {key!r}; known: {', '.join(allowed)}"
            )
        try:
            out[key] = allowed[key](value)
        except ValueError:
            raise DataError(
                f"data source {spec!r}: {key}={value!r} is not a valid "
                f"{allowed[key].__name__}"
            ) from None
        if key == "seed" and not 0 <= out[key] < 2**63:
            raise DataError(f"data source {spec!r}: seed={value} must be a whole number from 0 "
                            "to 2**63 - 1")
    return out


def _resize(ds: Dataset, size: int) -> Dataset:
    if size == 28 or not ds.is_image:
        return ds
    from .preprocess import downsample_dataset

    return downsample_dataset(ds, size)


# ------------------------------------------------------------------ handlers
def _synthetic(args: list[str], spec: str, size: int, progress: ProgressFn | None) -> Dataset:
    from .synthetic import synthetic_digits

    n, rest = 60000, args
    if args and "=" not in args[0]:
        n, rest = _int(args[0], "the number of digits", spec), args[1:]
    opts = _options(rest, spec, {"seed": int})
    _sized("synthetic", n, spec)
    return _resize(synthetic_digits(n, seed=opts.get("seed", 0), progress=progress), size)


def _downloaded(
    name: str, args: list[str], spec: str, size: int, progress: ProgressFn | None,
    cancel: CancelFn | None = None,
) -> Dataset:
    from .download import load_known

    if len(args) > 1 or (args and args[0] not in ("train", "test")):
        raise DataError(f"data source {spec!r}: use {name}, {name}:train or {name}:test")
    split = args[0] if args else "train"
    return _resize(load_known(name, split=split, progress=progress, cancel=cancel), size)


def _idx(rest: str, spec: str, size: int, cancel: CancelFn | None = None) -> Dataset:
    from .idx import load_idx_dir

    if not rest.strip():
        raise DataError("data source 'idx:' needs a folder, e.g. idx:/path/to/mnist")
    folder = Path(rest).expanduser()
    split = None
    if not folder.exists() and ":" in rest:  # idx:DIR:test
        head, tail = rest.rsplit(":", 1)
        if tail in ("train", "test"):
            folder, split = Path(head).expanduser(), tail
    return _resize(load_idx_dir(folder, split=split, cancel=cancel), size)


def _toy(args: list[str], spec: str) -> Dataset:
    from .toy import TOY_SETS, make_toy

    if not args:
        raise DataError(f"data source 'toy' needs a name: toy:{' / toy:'.join(TOY_SETS)}")
    opts = _options(args[1:], spec, {"n": int, "noise": float, "seed": int, "test": float,
                                     "features": str})
    if "n" in opts:
        _sized("toy", opts["n"], spec)
    return make_toy(args[0], **opts)


def _cars(args: list[str], spec: str) -> Dataset:
    from .lessons import car_prices

    raw = bool(args) and args[-1] == "raw"
    if raw:
        args = args[:-1]
    n = _int(args[0], "the number of cars", spec) if args else 3
    if len(args) > 1:
        raise DataError(f"data source {spec!r}: use cars, cars:N, cars:raw or cars:N:raw")
    _sized("cars", n, spec)
    return car_prices(n, standardize=not raw)


def _perceptron(args: list[str], spec: str) -> Dataset:
    from .lessons import PERCEPTRON_SETS, perceptron_set

    kind = args[0] if args else "and"
    if kind not in PERCEPTRON_SETS or len(args) > 1:
        raise DataError(
            f"data source {spec!r}: use perceptron or perceptron:KIND with KIND one of "
            f"{', '.join(PERCEPTRON_SETS)}"
        )
    return perceptron_set(kind)


def _three_vs_seven(rest: str, spec: str, size: int, progress: ProgressFn | None,
                    cancel: CancelFn | None = None) -> Dataset:
    from .lessons import three_vs_seven

    inner = rest.partition(":")[0].strip().lower()
    if inner in ("3v7", "3vs7"):
        raise DataError(f"data source {spec[:40]!r}...: 3v7 takes the 3s and 7s of a digit "
                        "source, e.g. 3v7:synthetic:6000; it cannot take another 3v7")
    base = load_source(rest or "synthetic:6000", size=size, progress=progress, cancel=cancel)
    return three_vs_seven(base)


def _csv_parts(rest: str) -> tuple[str, list[str]]:
    """The file of a ``csv:`` source and its trailing ``key=value`` options."""
    parts = rest.split(":")
    # the file name may itself hold ':' (C:\\...): options are the trailing key=value parts
    opts_parts: list[str] = []
    while len(parts) > 1 and re.match(r"^\s*\w+\s*=", parts[-1]):
        opts_parts.insert(0, parts.pop())
    return ":".join(parts), opts_parts


def source_title(spec: str) -> str:
    """A short name of the source ``spec`` for a list: the file or folder name, not its path.

    ``"csv:/data/bank_churn.csv:label=left"`` gives ``"bank_churn.csv (label left)"``,
    ``"idx:/data/mnist:test"`` gives ``"IDX folder mnist (test)"``; other sources are short
    already and come back as they are.
    """
    head, _, rest = spec.strip().partition(":")
    head = head.strip().lower()
    if head == "csv" and rest:
        file, opts_parts = _csv_parts(rest)
        name = re.split(r"[\\/]", file.rstrip("/\\"))[-1] or file
        opts = {k.strip().lower(): v.strip() for k, v in (p.split("=", 1) for p in opts_parts)}
        label = opts.get("label", "")
        return f"{name} (label {label})" if label else name
    if head == "idx" and rest:
        folder, split = rest, ""
        if ":" in rest and rest.rsplit(":", 1)[1] in ("train", "test") \
                and not Path(rest).expanduser().exists():
            folder, split = rest.rsplit(":", 1)
        name = re.split(r"[\\/]", folder.rstrip("/\\"))[-1] or folder
        return f"IDX folder {name}" + (f" ({split})" if split else "")
    return spec


def _csv(rest: str, spec: str, cancel: CancelFn | None = None) -> Dataset:
    from .csvdata import load_csv

    file, opts_parts = _csv_parts(rest)
    if not file:
        raise DataError("data source 'csv:' needs a file, e.g. csv:churn.csv:label=Exited")
    opts = _options(opts_parts, spec, {"label": str, "task": str, "drop": str})
    drop = [d for d in opts.get("drop", "").split(",") if d.strip()]
    return load_csv(file, label=opts.get("label"), task=opts.get("task"), drop=drop,
                    cancel=cancel)


def _mine(args: list[str], spec: str, size: int) -> Dataset:
    from .mine import UserDigits

    if args:
        raise DataError(f"data source {spec!r}: use just 'mine'")
    return _resize(UserDigits().as_dataset(), size)


def _merged(spec: str, size: int, progress: ProgressFn | None,
            cancel: CancelFn | None) -> Dataset:
    """``A+B+...``: every part loaded, checked against the memory limit before each merge."""
    parts = spec.split("+")
    if any(not p.strip() for p in parts):
        raise DataError(f"data source {spec[:80]!r}: write merged sources as A+B")
    if len(parts) > MAX_MERGED:
        raise DataError(f"data source {spec[:80]!r}...: {len(parts):,} sources merged, limit "
                        f"{MAX_MERGED}; merge fewer")
    merged = load_source(parts[0], size=size, progress=progress, cancel=cancel)
    for part in parts[1:]:
        check_cancel(cancel, spec)
        more = load_source(part, size=size, progress=progress, cancel=cancel)
        try:  # both, and the merged copy
            check_size(2 * (merged.x.nbytes + merged.y.nbytes + more.x.nbytes + more.y.nbytes),
                       f"data source {spec[:80]!r} merged", "merge fewer or smaller sources")
        except TooBigError as err:
            raise DataError(str(err)) from None
        merged = merged.merge(more)
    return merged


def load_source(spec: str, *, size: int = 28, progress: ProgressFn | None = None,
                cancel: CancelFn | None = None) -> Dataset:
    """Load the data named by ``spec`` (see the module docstring for the grammar).

    Parameters
    ----------
    spec : str
        E.g. ``"synthetic:60000"``, ``"idx:/data/mnist"``, ``"toy:spiral"``.
    size : int
        28 (default) or 16: side of digit images; ignored for non-image data.
    progress : callable(done, total) or None
        Called during long generations and downloads.
    cancel : callable returning bool, or None
        Asked at short intervals while files are read or downloaded; True stops the load
        with :class:`~nnstudio.data.dataset.LoadCancelled` (a ``progress`` callback may
        also raise to stop a generation).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Unknown or malformed spec, missing files, no network for a download, ...
    """
    if not isinstance(spec, str) or not spec.strip():
        raise DataError("no data source given; e.g. synthetic, mnist, idx:DIR or toy:spiral")
    spec = spec.strip()
    if size not in (16, 28):
        raise DataError(f"image size must be 28 or 16, not {size}")
    if "+" in spec and not spec.startswith(("csv:", "idx:")):
        return _merged(spec, size, progress, cancel)
    head, colon, rest = spec.partition(":")
    head = head.strip().lower()
    if colon and not rest.strip() and head not in ("csv", "idx"):  # those say what they need
        raise DataError(f"data source {spec!r}: nothing follows the ':'; write {head} alone "
                        f"for its default, or {head}:... (see 'nnstudio train --help')")
    args = [a.strip() for a in rest.split(":")] if rest else []
    if head == "synthetic":
        return _synthetic(args, spec, size, progress)
    if head in ("mnist", "fashion-mnist"):
        return _downloaded(head, args, spec, size, progress, cancel)
    if head == "idx":
        return _idx(rest, spec, size, cancel)
    if head == "toy":
        return _toy(args, spec)
    if head == "cars":
        return _cars(args, spec)
    if head == "perceptron":
        return _perceptron(args, spec)
    if head in ("3v7", "3vs7"):
        return _three_vs_seven(rest, spec, size, progress, cancel)
    if head == "csv":
        return _csv(rest, spec, cancel)
    if head == "mine":
        return _mine(args, spec, size)
    known = ", ".join(sorted({s.split(":")[0] for s, _ in SOURCES} | {"idx:DIR", "csv:FILE"}))
    raise DataError(f"unknown data source {spec!r}; known sources: {known}")
