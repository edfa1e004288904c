"""The generated ``train.py`` and its settings ``train.json``: the same design, data and
hyperparameters, in PyTorch.

The script needs only torch and NumPy. It reads an IDX folder or a CSV file like nnstudio
does, trains with nnstudio's optimizer and hyperparameters (L2 weight decay on weights, not
biases; nnstudio's losses), on the CPU or a GPU, and under ``torchrun`` with
DistributedDataParallel and a DistributedSampler (gloo on CPUs, NCCL on GPUs). At the end it
writes an nnstudio model file (``.npz``) that the studio and ``nnstudio evaluate`` open.

The script's text is the same for every model: it holds nothing from the design or the
model file. Everything that differs (the design, its name, the class names, the column
encoding, the settings) is in ``train.json`` beside it, which the script parses at run time,
so no name can become code. Bad data (a lying IDX header, a ragged CSV, a pipe instead of a
file, a missing ``--out`` folder) ends the script with one line on stderr and exit code 2.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from nnstudio.core.design import design_to_dict
from nnstudio.core.training import TrainConfig

from .common import check_source, graph_steps, python_names
from .train_template import TEMPLATE

__all__ = ["TEMPLATE", "TRAIN_SETTINGS", "train_script", "train_settings"]

#: the settings file the script reads, beside it
TRAIN_SETTINGS = "train.json"
#: what identifies that file, and the version of its layout
SETTINGS_FORMAT, SETTINGS_VERSION = "nnstudio-train-settings", 1


def train_settings(network, meta: dict) -> dict[str, Any]:
    """The content of ``train.json`` for ``network`` and its model file's ``meta``.

    Returns
    -------
    dict
        ``format``, ``version``, ``design_name``, ``design`` (the design as a dict),
        ``meta`` (classes, task, image size, column encoding, data source), ``config`` (the
        training settings), ``layers`` (attribute -> [layer id, kind] for the layers with
        weights), ``output_size`` and ``not_trainable`` (why it cannot be trained, or None).
    """
    config = {**asdict(TrainConfig()), **(meta.get("config") or {})}
    steps = graph_steps(network)
    names, _ = python_names([s.id for s in steps])
    keep = {k: meta[k] for k in ("classes", "task", "image_size", "columns", "dataset", "data")
            if k in meta}
    return {
        "format": SETTINGS_FORMAT, "version": SETTINGS_VERSION,
        "design_name": str(network.design.name),
        "design": design_to_dict(network.design),
        "meta": keep,
        "config": {k: config[k] for k in ("epochs", "batch_size", "lr", "optimizer",
                                          "weight_decay", "val_split", "seed")},
        "layers": {names[s.id]: [s.id, s.kind] for s in steps if s.kind in ("Dense", "Conv2D")},
        "output_size": int(network.output_shape[0]) if len(network.output_shape) else 1,
        "not_trainable": None if network.trainable() else str(network.reason_not_trainable),
    }


def train_script() -> str:
    """The text of ``train.py``: one fixed text, compiled once as a check."""
    check_source(TEMPLATE, "train.py")
    return TEMPLATE
