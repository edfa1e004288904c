"""Does a design fit the data? Checked on the design itself, before anything is compiled,
and on a compiled network (:func:`data_mismatch`) before it trains or is shown the data.

The Design page lists these problems next to the design's own, so a network whose Input
cannot take the data, or whose outputs do not match the data's classes, is flagged before
Play. The same check serves any caller that knows the data's sample shape and classes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnstudio.core.design import Design, DesignError, format_shape
from nnstudio.words import counted


class DataFitError(DesignError):
    """The design and the data do not fit together.

    Attributes
    ----------
    image_side : int or None
        For an Input that reads a square image of another size than the data's: the side
        of that image, so the caller can offer the same data at that size.
    """

    def __init__(self, message: str, node_id: str | None = None, fix: str | None = None,
                 image_side: int | None = None) -> None:
        super().__init__(message, node_id=node_id, fix=fix)
        self.image_side = image_side


def square_side(shape: tuple[int, ...]) -> int | None:
    """Side of the square greyscale image a shape holds: (1, s, s), (s, s) or (s*s,)."""
    shape = tuple(int(v) for v in shape)
    if len(shape) == 3 and shape[0] == 1 and shape[1] == shape[2]:
        return shape[1]
    if len(shape) == 2 and shape[0] == shape[1]:
        return shape[0]
    if len(shape) == 1:
        side = math.isqrt(shape[0])
        return side if side * side == shape[0] and side >= 8 else None
    return None


def design_fits_data(design: Design, input_shape: tuple[int, ...],
                     classes: list[str] | tuple[str, ...] | None) -> list[DataFitError]:
    """Every way the design does not fit data of one sample shape and these classes.

    Parameters
    ----------
    design : Design
        The design (it need not be valid: what cannot be known yet is not checked).
    input_shape : tuple of int
        Shape of one data sample, e.g. (28, 28) or (3,).
    classes : list of str or None
        The data's class names; empty or None for regression (outputs are not checked then).

    Returns
    -------
    list of DataFitError
        Empty when the design fits. The Input problem names both shapes and the fix; the
        Output problem names the class count and the unit count.
    """
    problems: list[DataFitError] = []
    data_shape = tuple(int(v) for v in input_shape)
    inp = design.input_node
    if inp is not None:
        want = tuple(int(v) for v in inp.params.get("shape", ()))
        have_n, want_n = math.prod(data_shape), math.prod(want) if want else 0
        if want and have_n != want_n:
            data_side, input_side = square_side(data_shape), square_side(want)
            if data_side and input_side:
                fix = (f"use {input_side}×{input_side} images (the data's size in the Training "
                       f"panel), or set the Input's shape to "
                       f"{format_shape(_like(want, data_side))}")
            else:
                fix = (f"choose data of {format_shape(want)} in the Training panel, or set "
                       f"the Input's shape to {format_shape(data_shape)}")
            problems.append(DataFitError(
                f"The data has samples of {format_shape(data_shape)} ({have_n:,} numbers) "
                f"but the Input '{inp.id}' reads {format_shape(want)} ({want_n:,} numbers)",
                node_id=inp.id, fix=fix,
                image_side=input_side if data_side and input_side else None))
    names = list(classes or [])
    out = design.output_node
    if names and out is not None:
        shape = design.analyze().shapes.get(out.id)
        if shape is not None:
            units = math.prod(shape)
            k = len(names)
            shown = ", ".join(names[:6]) + (", …" if k > 6 else "")
            if out.params.get("loss") == "binary_cross_entropy":
                if k != 2 or units != 1:
                    problems.append(DataFitError(
                        f"A binary cross-entropy Output needs one output unit and two classes; "
                        f"the data has {k} classes ({shown}) and the network {units} output"
                        f"{'s' if units != 1 else ''}", node_id=out.id,
                        fix=("give the last layer 1 unit" if k == 2 else
                             f"use the cross_entropy loss with {k} softmax units")))
            elif units != k:
                problems.append(DataFitError(
                    f"The data has {k} classes ({shown}) but the network gives {units} "
                    f"output{'s' if units != 1 else ''}", node_id=out.id,
                    fix=f"give the last Dense layer {k} units"))
    return problems


def _like(shape: tuple[int, ...], side: int) -> tuple[int, ...]:
    """``shape`` (an image shape) resized to ``side``: (1, 28, 28) -> (1, 16, 16)."""
    if len(shape) == 3:
        return (shape[0], side, side)
    if len(shape) == 2:
        return (side, side)
    return (side * side,)


def nonfinite_data(x: np.ndarray, y: np.ndarray, name: str) -> str | None:
    """What is wrong when the samples or targets hold NaN or infinite values, else None.

    Parameters
    ----------
    x : np.ndarray
        Samples, shape (N, ...).
    y : np.ndarray
        Labels (N,) or targets (N, k).
    name : str
        The data's name, for the message.
    """
    problems = []
    for what, a in (("samples", x), ("targets", y)):
        a = np.asarray(a)
        if not np.issubdtype(a.dtype, np.floating):
            continue
        bad = ~np.isfinite(a.reshape(len(a), -1))
        rows = np.flatnonzero(bad.any(axis=1))
        if len(rows):
            first = ", ".join(str(int(r) + 1) for r in rows[:3])
            problems.append(f"{int(bad.sum()):,} values of its {what} are not numbers (NaN or "
                            f"infinite), in {len(rows):,} rows (the first: {first})")
    if not problems:
        return None
    return (f"The data '{name}' is damaged: " + "; ".join(problems) + ". Training on it "
            "would only give NaN. Fill in or remove those rows in the data file, or choose "
            "other data in the Training panel.")


def fitted_data(network: Any, dataset: Any, what: str | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The data ready to train ``network``: ``(x, y)`` with the targets in the form its cost
    takes (class labels for a classifier; a column or one-hot rows of the labels for a
    network with the mse cost).

    The one rule of whether data fits a compiled network, for the command line, the
    window, the lessons and the Inside views.

    Parameters
    ----------
    network : Network
    dataset : Dataset
    what : str, optional
        How to name the data in a message (default ``"The data 'NAME'"``).

    Raises
    ------
    DataFitError
        The data does not fit: ``str(err)`` says what is wrong and what to do.
    """
    name = what or f"The data '{dataset.name}'"
    in_shape = tuple(network.input_shape)
    need, have = int(np.prod(in_shape)), int(np.prod(dataset.sample_shape))
    if need != have:
        raise DataFitError(
            f"{name} has samples of {format_shape(dataset.sample_shape)} ({have} numbers) but "
            f"the design's Input takes {format_shape(in_shape)} ({need} numbers)",
            fix="choose data and a design that match (File > New from template has a "
                "design for each kind of data)")
    n_out = int(np.prod(network.output_shape))
    y = dataset.y
    if network.task == "classification":
        if dataset.task != "classification":
            raise DataFitError(
                f"{name} is a regression task (it predicts numbers) but the design's Output "
                f"uses the {network.loss_name} cost, which is for classes",
                fix="give the Output the mse cost, or choose data with classes")
        n_classes = len(dataset.classes) or (int(y.max()) + 1 if len(y) else 0)
        if network.loss_name == "binary_cross_entropy":
            if n_classes > 2 or n_out != 1:
                raise DataFitError(
                    f"{name} has {counted(n_classes, 'class', 'classes')} but a binary cross "
                    "entropy Output needs exactly one output unit and two classes",
                    fix="use cross_entropy with one softmax unit per class")
        elif n_out < n_classes:
            raise DataFitError(
                f"{name} has {counted(n_classes, 'class', 'classes')} but the design has only "
                f"{counted(n_out, 'output unit')}",
                fix=f"give the last Dense layer {counted(n_classes, 'unit')}")
        return dataset.x, y
    if dataset.task == "classification":   # numbers to fit: the labels, one column a class
        if n_out == 1:
            return dataset.x, y.astype(np.float32).reshape(-1, 1)
        return dataset.x, np.eye(n_out, dtype=np.float32)[np.clip(y, 0, n_out - 1)]
    k = int(np.prod(y.shape[1:])) if y.ndim > 1 else 1
    if k != n_out:
        raise DataFitError(
            f"{name} has {counted(k, 'target value')} per sample but the design outputs "
            f"{n_out}", fix=f"give the last Dense layer {counted(k, 'unit')}")
    return dataset.x, y


def data_mismatch(network: Any, dataset: Any) -> str | None:
    """Why ``dataset`` cannot train ``network`` (a sentence with what to do), or None
    (:func:`fitted_data`'s rule)."""
    try:
        fitted_data(network, dataset)
    except DataFitError as err:
        return f"{err}."
    return None
