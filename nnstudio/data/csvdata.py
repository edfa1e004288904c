"""Tabular data from CSV files (e.g. bank-customer churn).

One column is the label; the others become features: numeric columns standardised, text
(categorical) columns one-hot encoded. Classification or regression is inferred from the
label column and can be overridden. Problems name the row (as numbered in a spreadsheet,
the header being row 1) and the column, and say what to do.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np

from nnstudio.limits import TooBigError, check_size, format_bytes

from .dataset import CancelFn, DataError, Dataset, check_cancel, open_data_file, read_file_bytes
from .lessons import Standardizer

MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
MAX_CATEGORIES = 50  # more distinct text values than this looks like a name or an id
MAX_CLASSES = 20  # an integer label with at most this many values is taken as classes
#: The most columns a table may have.
MAX_COLUMNS = 10_000
#: Memory per byte of CSV text while it is read (text, cells as Python strings, numbers).
BYTES_PER_CSV_BYTE = 40
CANCEL_ROWS = 4096  # rows read between two checks of a load's cancel callable
T = TypeVar("T")


def _number(text: str) -> float | None:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def _checked(items: Iterable[T], cancel: CancelFn | None, what: object) -> Iterator[T]:
    """``items``, asking ``cancel`` every CANCEL_ROWS of them (a long load stays stoppable)."""
    for i, item in enumerate(items):
        if i % CANCEL_ROWS == 0:
            check_cancel(cancel, what)
        yield item


def _read_rows(path: Path, cancel: CancelFn | None = None
               ) -> tuple[list[str], list[list[str]]]:
    size = open_data_file(path, "is a folder; give a .csv file")
    try:
        check_size(size * BYTES_PER_CSV_BYTE, f"{path} ({format_bytes(size)}) read as a table",
                   "use a smaller table")
    except TooBigError as exc:
        raise DataError(str(exc)) from None
    raw = read_file_bytes(path, "is a folder; give a .csv file")
    check_cancel(cancel, path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise DataError(f"{path} is not a text file; export the table as CSV") from None
    if "\x00" in text:
        raise DataError(f"{path} is not a text file; export the table as CSV")
    if not text.strip():
        raise DataError(f"{path} is empty; it needs a header row and at least one data row")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="" lets the reader see \r, \n and \r\n line endings alike (old Mac files)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = []
        for row in _checked(reader, cancel, path):
            rows.append(row)
            if len(row) > MAX_COLUMNS:
                raise DataError(f"{path}: row {reader.line_num} has {len(row):,} columns; "
                                f"nnstudio reads tables of up to {MAX_COLUMNS:,} columns. "
                                "Leave out the columns you do not need")
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DataError(f"{path}: row {reader.line_num} has a value longer than "
                            f"{csv.field_size_limit() // 1024:,} KB; a table cell this long "
                            "is not a number or a category: fix or remove it") from None
        raise DataError(f"{path}: row {reader.line_num} cannot be read as CSV ({exc}); "
                        "export the table as CSV again") from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows or not any(c.strip() for c in rows[0]):
        raise DataError(f"{path} has no header row (its first row is empty or only "
                        "separators); the first row must name the columns")
    header = [h.strip() for h in rows[0]]
    for i, h in enumerate(header):
        if not h:
            raise DataError(f"{path}: column {i + 1} has no name in the header row; name it")
    dupes = sorted(h for h, k in Counter(header).items() if k > 1)
    if dupes:
        raise DataError(f"{path}: the header names column {dupes[0][:80]!r} more than once; "
                        "give every column a different name")
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for r, row in enumerate(_checked(body, cancel, path), start=2):
        if not any(c.strip() for c in row):
            raise DataError(f"{path}: row {r} is empty (or only separators); delete it")
        if len(row) != len(header):
            raise DataError(f"{path}: row {r} has {len(row)} values but the header has "
                            f"{len(header)} columns; fix that row (a stray separator or "
                            "a missing value?)")
    return header, [[c.strip() for c in row] for row in _checked(body, cancel, path)]


def _column_kind(values: list[str], cancel: CancelFn | None = None, what: object = "") -> str:
    """'numeric' when most values are numbers, else 'categorical'."""
    numbers = sum(_number(v) is not None for v in _checked(values, cancel, what))
    return "numeric" if numbers >= 0.5 * len(values) else "categorical"


def load_csv(path: str | os.PathLike, label: str | None = None, task: str | None = None,
             drop: list[str] | None = None, cancel: CancelFn | None = None) -> Dataset:
    """Load a table from a CSV file.

    Parameters
    ----------
    path : path
        A CSV file with a header row (comma, semicolon or tab separated).
    label : str or None
        The column to predict; None takes the last column.
    task : {"classification", "regression"} or None
        None infers it: text labels, or whole numbers with at most 20 different values,
        make a classification; other numbers a regression.
    drop : list of str or None
        Columns to leave out (names, ids, ...).
    cancel : callable returning bool, or None
        Asked every few thousand rows and between columns; True stops the load
        (:class:`~nnstudio.data.dataset.LoadCancelled`).

    Returns
    -------
    Dataset
        x float32 (N, F) standardised / one-hot features; ``feature_names`` e.g.
        ``["Age", "Geography=France", ...]``; y int64 (N,) class indices or float32 (N, 1)
        standardised targets (``meta["y_scaler"]`` undoes it).
    """
    path = Path(path)
    header, rows = _read_rows(path, cancel)
    label = header[-1] if label is None else label.strip()
    if label not in header:
        shown = ", ".join(header[:20]) + (f", ... ({len(header):,} in all)"
                                          if len(header) > 20 else "")
        raise DataError(f"{path} has no column {label[:80]!r}; its columns are: {shown}")
    drop = [d.strip() for d in (drop or []) if d.strip()]
    for d in drop:
        if d not in header:
            raise DataError(f"cannot drop column {d!r}: {path} has no such column")
    if task not in (None, "classification", "regression"):
        raise DataError(f"task must be 'classification' or 'regression', not {task!r}")
    columns = {h: [row[i] for row in _checked(rows, cancel, path)]
               for i, h in enumerate(header)}

    def check_missing(name: str) -> None:
        for r, v in enumerate(_checked(columns[name], cancel, path), start=2):
            if v.lower() in MISSING:
                raise DataError(f"{path}: row {r}, column {name!r} is empty or missing "
                                f"({v!r}); fill it in or delete the row")

    # ------------------------------------------------------------------ label
    check_missing(label)
    lab = columns[label]
    lab_numbers = [_number(v) for v in _checked(lab, cancel, path)]
    numeric_label = all(v is not None for v in lab_numbers)
    if task is None:
        if numeric_label:
            vals = np.asarray(lab_numbers)
            whole = np.all(vals == np.round(vals))
            task = "classification" if whole and len(set(lab)) <= MAX_CLASSES else "regression"
        else:
            task = "classification"
    meta: dict = {"file": str(path), "label": label}
    if task == "regression":
        if not numeric_label:
            r = next(i for i, v in enumerate(lab_numbers) if v is None) + 2
            raise DataError(f"{path}: row {r}, column {label!r}: {lab[r - 2]!r} is not a "
                            "number, but a regression needs numeric labels; fix the value or "
                            "use task=classification")
        raw_y = np.asarray(lab_numbers, dtype=np.float64)[:, None]
        ys = Standardizer.fit(raw_y, [label])
        y = ys.transform(raw_y)
        classes: list[str] = []
        meta["y_scaler"] = ys.to_dict()
    else:
        distinct = sorted(set(lab), key=lambda v: (_number(v) is None, _number(v) or 0.0, v))
        if len(distinct) < 2:
            raise DataError(f"{path}: column {label!r} has only one value ({distinct[0]!r}); "
                            "a classification needs at least two classes")
        index = {v: i for i, v in enumerate(distinct)}
        y = np.array([index[v] for v in lab], dtype=np.int64)
        classes = distinct
    # --------------------------------------------------------------- features
    parts: list[np.ndarray] = []
    names: list[str] = []
    categories: dict[str, list[str]] = {}
    numeric_names: list[str] = []
    numeric_cols: list[np.ndarray] = []
    for name in header:
        if name == label or name in drop:
            continue
        check_cancel(cancel, path)
        check_missing(name)
        values = columns[name]
        if _column_kind(values, cancel, path) == "numeric":
            nums = []
            for r, v in enumerate(_checked(values, cancel, path), start=2):
                x = _number(v)
                if x is None:
                    raise DataError(f"{path}: row {r}, column {name!r}: {v!r} is not a number "
                                    "(the other values of this column are); fix it")
                nums.append(x)
            numeric_names.append(name)
            numeric_cols.append(np.asarray(nums))
            parts.append(np.asarray(nums)[:, None])
            names.append(name)
        else:
            distinct = sorted(set(values))
            if len(distinct) > MAX_CATEGORIES:
                raise DataError(f"{path}: column {name!r} has {len(distinct):,} different text "
                                "values; it looks like a name or an id. Leave it out with "
                                f"drop={name}")
            categories[name] = distinct
            onehot = (np.asarray(values)[:, None] == np.asarray(distinct)[None]).astype(float)
            parts.append(onehot)
            names.extend(f"{name}={v}" for v in distinct)
    if not parts:
        raise DataError(f"{path}: there are no feature columns besides the label {label!r}")
    check_cancel(cancel, path)
    x = np.concatenate(parts, axis=1)
    if numeric_names:
        xs = Standardizer.fit(np.stack(numeric_cols, 1), numeric_names)
        position = {n: i for i, n in enumerate(names)}
        cols = [position[n] for n in numeric_names]
        x[:, cols] = xs.transform(x[:, cols])
        meta["x_scaler"] = xs.to_dict()
    meta["categories"] = categories
    meta["dropped"] = drop
    return Dataset(
        name=path.stem,
        x=x.astype(np.float32),
        y=y,
        task=task,
        classes=classes,
        feature_names=names,
        description=f"{len(rows):,} rows of {path.name}: predict {label!r} ({task}) from "
        f"{len(header) - 1 - len(drop)} columns",
        meta=meta,
    )


def column_encoding(ds: Dataset) -> dict | None:
    """How a table's columns became the network's inputs, to store in a model file.

    Returns
    -------
    dict or None
        ``{"label", "features", "categories", "x_scaler", "y_scaler", "dropped"}``
        (``features`` are the input names in order, e.g. ``"Age"``, ``"Geography=France"``),
        or None for data that is not a table.
    """
    m = ds.meta
    if not ds.feature_names or ("x_scaler" not in m and not m.get("categories")):
        return None
    return {"label": m.get("label"), "features": list(ds.feature_names),
            "categories": dict(m.get("categories") or {}), "x_scaler": m.get("x_scaler"),
            "y_scaler": m.get("y_scaler"), "dropped": list(m.get("dropped") or [])}


def encode_table(path: str | os.PathLike, encoding: dict) -> tuple[np.ndarray, list[int]]:
    """Read the rows of a CSV file and encode them as a model's stored encoding says.

    Parameters
    ----------
    path : path
        A CSV file with a header row naming at least the model's input columns (the label
        column may be there or not).
    encoding : dict
        What :func:`column_encoding` returned when the model was trained.

    Returns
    -------
    (x, rows) : float32 (N, F) inputs, and each sample's row number in the file (the
        header is row 1).

    Raises
    ------
    DataError
        A missing column, a value that is not a number, a category the model never saw.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    features = list(encoding["features"])
    cats = encoding.get("categories") or {}
    scaler = encoding.get("x_scaler") or {"names": [], "mean": [], "std": []}
    stats = {n: (m, s) for n, m, s in zip(scaler["names"], scaler["mean"], scaler["std"],
                                          strict=True)}
    needed = list(cats) + [n for n in features if n.partition("=")[0] not in cats]
    missing = [c for c in dict.fromkeys(needed) if c not in header]
    if missing:
        raise DataError(f"{path} has no column {missing[0]!r}, which the model needs; its "
                        f"columns are: {', '.join(header)}")
    col = {h: i for i, h in enumerate(header)}
    x = np.zeros((len(rows), len(features)), np.float32)
    for j, name in enumerate(features):
        base, _, value = name.partition("=")
        for r, row in enumerate(rows):
            if base not in cats:
                v = _number(row[col[name]])
                if v is None:
                    raise DataError(f"{path}: row {r + 2}, column {name!r}: "
                                    f"{row[col[name]]!r} is not a number; fix it")
                mean, std = stats.get(name, (0.0, 1.0))
                x[r, j] = (v - mean) / std
            else:
                got = row[col[base]]
                if got not in cats[base]:
                    raise DataError(f"{path}: row {r + 2}, column {base!r}: {got!r} is not "
                                    f"one of the values the model knows "
                                    f"({', '.join(cats[base])})")
                x[r, j] = float(got == value)
    return x, list(range(2, len(rows) + 2))
