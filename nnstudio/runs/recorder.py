"""Recording a training loop's run: its callbacks feed a :class:`RunWriter`.

:class:`Recorder` wraps the ``on_batch`` / ``on_epoch`` callbacks that
:meth:`nnstudio.core.training.Trainer.run` (and the perceptron trainer) already call, so the
loop itself knows nothing of records. :func:`recording` is how ``nnstudio train`` uses it:
a ``with`` block around ``trainer.run`` that names the outcome from how the block ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import numpy as np

from nnstudio.core.training import BatchInfo, EpochInfo, TrainingDiverged
from nnstudio.runs.layout import default_runs_folder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import BATCH_EVENTS_HZ, MIN_CHECKPOINT_S, RunWriter
from nnstudio.terminal import printable

__all__ = ["Recorder", "recording"]


def _ignore(_info: object) -> None:
    """A callback that does nothing."""


class Recorder:
    """Callbacks that record a run, then call the callbacks given to them.

    Parameters
    ----------
    writer : RunWriter or None
        None records nothing (the callbacks only pass on).
    network : Network
        The network being trained; its parameters are read at checkpoints.
    begin : bool
        Take checkpoint 0 (the initial weights) now; False for a record that goes on
        (:meth:`RunWriter.resume`).
    """

    def __init__(self, writer: RunWriter | None, network, *, begin: bool = True) -> None:
        self.writer, self.network = writer, network
        if writer is not None and begin:
            writer.begin(self._weights())

    def _weights(self) -> dict[str, np.ndarray]:
        return {p.name: p.value for p in self.network.parameters()}

    def on_batch(self, then: Callable[[BatchInfo], object] | None = None
                 ) -> Callable[[BatchInfo], None]:
        """An ``on_batch`` callback that records the batch, then calls ``then``."""
        writer = self.writer
        if writer is None:
            return then if then is not None else _ignore
        batch, early_due = writer.batch, writer.early_due

        def callback(info: BatchInfo) -> None:
            if batch(info) and early_due():
                writer.early(self._weights())
            if then is not None:
                then(info)

        return callback

    def on_epoch(self, then: Callable[[EpochInfo], object] | None = None
                 ) -> Callable[[EpochInfo], None]:
        """An ``on_epoch`` callback that records the epoch and its checkpoint, then calls
        ``then``; the parameters are read only when the writer keeps them."""
        writer = self.writer

        def callback(info: EpochInfo) -> None:
            if writer is not None:
                writer.epoch(info, self._weights)
            if then is not None:
                then(info)

        return callback


@contextmanager
def recording(trainer, *, record: bool, folder: str | None, data: str, design, dataset,
              image_size: int | None, stream: TextIO, progress=None) -> Iterator[Recorder]:
    """Record ``trainer``'s run, trained on the data source ``data``, into ``folder`` (the
    user's runs folder when None); with ``record`` False nothing is kept.

    The outcome is ``finished`` when the block ends normally (``stopped`` when the trainer
    was stopped), ``diverged`` on :class:`TrainingDiverged`, ``stopped`` on Ctrl-C and
    ``failed`` on any other error, which is raised again. A line on ``stream`` names the
    run at the end; a recording problem is one warning line there, and training goes on.
    """
    if not record:
        yield Recorder(None, trainer.network)
        return

    def warn(text: str) -> None:
        if progress is not None:
            progress.clear()
        stream.write(printable(text, 2000) + "\n")
        stream.flush()

    folder = Path(folder).expanduser() if folder else \
        default_runs_folder()
    start = RunStart(design=design, data=data, config=asdict(trainer.config),
                     dataset=dataset.name, task=dataset.task,
                     classes=[str(c) for c in dataset.classes], image_size=image_size)
    writer = RunWriter(folder, start, warn=warn, min_checkpoint_s=MIN_CHECKPOINT_S,
                       batch_events_hz=BATCH_EVENTS_HZ)
    try:
        yield Recorder(writer, trainer.network)
    except TrainingDiverged as exc:
        writer.finish("diverged", str(exc))
        raise
    except KeyboardInterrupt:
        writer.finish("stopped", "stopped with Ctrl-C")
        raise
    except Exception as exc:
        writer.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    else:
        writer.finish("stopped" if getattr(trainer, "stopped", False) else "finished")
    finally:
        if writer.path is not None:
            stream.write(f"run {printable(writer.run_id)} kept in "
                         f"{printable(writer.path, 1000)}\n")
            stream.flush()
