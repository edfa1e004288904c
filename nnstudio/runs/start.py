"""What a run is: the design, data and settings it starts with, and where it comes from.

A :class:`RunStart` is written once, as a run's ``run.json``, when recording begins. Its
``config["seed"]`` fixes the validation split and the batch order (the trainer draws both
from one generator seeded with it), so a run that reuses a run's seed and initial weights
(its checkpoint 0) on the same data starts the same way: ``same_start`` names that run. A
fork continues from a checkpoint of another run: ``parent`` names both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.core.design import Design

__all__ = ["RunStart"]


@dataclass
class RunStart:
    """What a run is, as ``run.json`` keeps it.

    Attributes
    ----------
    design : Design
        The design trained.
    data : str
        The data source (``"idx:DIR"``, ``"synthetic:10000"``, ...).
    config : dict
        The training settings (``dataclasses.asdict(TrainConfig)``); ``config["seed"]``
        is the run's seed, which fixes the validation split and the batch order.
    dataset, task, classes, image_size
        The data's name, ``"classification"`` or ``"regression"``, class names in output
        order, and the digit image size (None for other data).
    name : str, optional
        A name to show; by default the design's name and the learning rate.
    parent : dict, optional
        For a fork: ``{"run": ID, "checkpoint": N}``, the run and checkpoint it continues.
    same_start : str, optional
        The id of the run whose seed, initial weights and batch order this run reuses.
    origin : str
        What trained it: ``"nnstudio train"``, ``"window"``, ``"train.py"``.
    """

    design: Design
    data: str
    config: dict
    dataset: str = ""
    task: str = "classification"
    classes: list[str] = field(default_factory=list)
    image_size: int | None = None
    name: str | None = None
    parent: dict | None = None
    same_start: str | None = None
    origin: str = "nnstudio train"

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", 0))

    def default_name(self) -> str:
        lr = self.config.get("lr")
        return f"{self.design.name} lr {lr:g}" if isinstance(lr, int | float) else \
            self.design.name

    def hparams(self) -> dict[str, float | int | bool | str]:
        """Settings as TensorBoard's HParams dashboard shows them (numbers, text, flags)."""
        out: dict[str, float | int | bool | str] = {"design": self.design.name,
                                                     "data": self.data}
        for key, value in self.config.items():
            if isinstance(value, bool | int | float | str):
                out[key] = value
        if self.parent:
            out["parent"] = str(self.parent.get("run", ""))
        return out
