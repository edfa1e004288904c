"""Files shipped inside the package: the default digit model, icons, lessons.

Qt-free, so the command line and the window find shipped files the same way::

    from nnstudio.resources import resource_path, default_model_path
    resource_path("icons", "play.svg")
"""

from __future__ import annotations

from pathlib import Path

#: the folder of this package, where the shipped files live
RESOURCES_DIR = Path(__file__).resolve().parent

#: file name of the model that ships with nnstudio
DEFAULT_MODEL_NAME = "default_model.npz"


def resource_path(*parts: str) -> Path:
    """The path of a file shipped in ``nnstudio/resources`` (it may not exist)."""
    return RESOURCES_DIR.joinpath(*parts)


def default_model_path() -> Path:
    """Where the shipped default model lives (``nnstudio/resources/default_model.npz``)."""
    return resource_path(DEFAULT_MODEL_NAME)
