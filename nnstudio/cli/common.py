"""What the ``nnstudio`` commands share: their argument parser, mistakes as one line, and
reading the models, designs and data the arguments name.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from nnstudio.core.datafit import DataFitError, fitted_data
from nnstudio.core.design import Design, DesignError, load_design
from nnstudio.core.modelfile import LoadedModel, ModelFileError, load_model, save_model
from nnstudio.core.templates import TEMPLATES, get_template
from nnstudio.data.dataset import DataError
from nnstudio.fileio import check_writable
from nnstudio.limits import TooBigError, check_layers, design_file_refusal
from nnstudio.resources import default_model_path
from nnstudio.terminal import printable

#: default learning rates: backpropagation with Adam, and the perceptron rule
DEFAULT_LR = 1e-3
PERCEPTRON_LR = 0.1


class UsageError(Exception):
    """A command-line mistake: one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def model_path(spec: str) -> Path:
    """A model path, or the shipped model for the word ``default``."""
    if spec != "default":
        return Path(spec)
    path = default_model_path()
    if not path.is_file():
        raise ModelFileError(
            f"The shipped default model ({path}) is missing: reinstall nnstudio, or rebuild it "
            "with 'python tools/build_default_model.py' from a source checkout")
    return path


def load_model_arg(spec: str) -> LoadedModel:
    return load_model(model_path(spec))


def design_arg(spec: str) -> Design:
    """A template name, a design .json file, or a model file's design."""
    if spec in TEMPLATES:
        return get_template(spec)
    path = Path(spec)
    if spec == "default" or path.suffix.lower() == ".npz":
        return load_model_arg(spec).design
    if not path.exists():
        raise DesignError(f"'{spec}' is neither a template ({', '.join(TEMPLATES)}) "
                          "nor an existing design file")
    refusal = design_file_refusal(path)
    if refusal:
        raise TooBigError(refusal)
    design = load_design(path)
    check_layers(len(design.nodes), f"The design '{printable(design.name)}'")
    return design


def input_size(design: Design) -> int:
    node = design.input_node
    return math.prod(node.params["shape"]) if node is not None else 0


def image_size_for(design: Design) -> int:
    """16 for designs that take 16×16 images, else 28."""
    return 16 if input_size(design) == 256 else 28


def load_data(spec: str, size: int):
    from nnstudio.data.sources import load_source

    return load_source(spec, size=size)


def fit_data(network, ds, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The data ready for the network (:func:`nnstudio.core.datafit.fitted_data`); a
    DataError saying what to do when it does not fit."""
    try:
        return fitted_data(network, ds, what)
    except DataFitError as err:
        raise DataError(str(err)) from None


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be written, before any minutes of training."""
    if out.is_dir():
        raise UsageError(f"--out '{out}' is a folder: give a file name such as model.npz")
    if not out.parent.exists():
        raise UsageError(f"the folder of --out '{out}' does not exist")
    try:
        check_writable(out)
    except OSError as err:
        raise UsageError(f"--out '{out}' cannot be written: {err.strerror or err}; choose "
                         "another file or folder") from None


def keep_unsaved(out: Path, network, history, meta: dict) -> Path:
    """Save a model that could not be written to ``out`` in the user's data folder."""
    from nnstudio.data.cache import data_dir

    folder = data_dir() / "unsaved models"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{out.stem or 'model'}-{stamp}.npz"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{out.stem or 'model'}-{stamp}-{n}.npz"
    return save_model(path, network, history, meta)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a number > 0")
    return value
