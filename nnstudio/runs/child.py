"""The training child of the window, recording every run it trains (no Qt).

The window starts its training process with this module as the entry point
(``TrainingProcess(entry=ENTRY)``); :func:`main_fds` and :func:`child_main` run
:mod:`nnstudio.core.trainchild`'s loop with a :class:`ChildRecording`, so the core loop
records without knowing of records. Recording happens in the child, next to the network:
every checkpoint holds the exact weights of its batch, and nothing of it runs on the
window's GUI thread.

A run's spec carries ``record``, a dict the window makes (see
:func:`record_request`): the runs folder, a ``key``, the data's description and names. Runs
that follow each other with the same ``key`` are one record: Play after Pause or Stop goes on
in the same record (the window gives a new key after Reset, another design, other data or
other weights). A record between two runs says how the last ended (``stopped``,
``finished``) and is on disk in full; the child closes it when it ends. A run whose window
closes reads ``interrupted``; a child killed outright leaves a ``running`` summary whose lock
is free, which the list reads as ``interrupted`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnstudio.core import trainchild
from nnstudio.core.design import design_from_json
from nnstudio.core.trainprotocol import RunSpec
from nnstudio.runs.recorder import Recorder
from nnstudio.runs.start import RunStart
from nnstudio.runs.writer import BATCH_EVENTS_HZ, MIN_CHECKPOINT_S, RunWriter

__all__ = ["ENTRY", "ChildRecording", "child_main", "main_fds", "record_request"]

#: this module's name, for ``TrainingProcess(entry=...)``
ENTRY = __name__

#: what the window's warning tells the person to do when a record cannot be written
ADVICE = "free some disk space; training is not affected"


def record_request(*, key: str, folder: str, data: str, dataset: str, task: str,
                   classes: list[str], image_size: int | None, name: str | None = None,
                   parent: dict | None = None, same_start: str | None = None,
                   offsets: tuple[int, float] = (0, 0.0)) -> dict:
    """The ``record`` of a run's spec: where and as what the child records it.

    Parameters
    ----------
    key : str
        Runs sent with the same key continue one record.
    folder : str
        The runs folder.
    data, dataset, task, classes, image_size, name, parent, same_start
        As :class:`~nnstudio.runs.start.RunStart` keeps them.
    offsets : (int, float)
        Samples seen and training seconds where a fork starts (its parent's checkpoint).
    """
    return {"key": str(key), "folder": str(folder), "data": str(data),
            "dataset": str(dataset), "task": str(task), "classes": [str(c) for c in classes],
            "image_size": image_size, "name": name, "parent": parent,
            "same_start": same_start,
            "offsets": [int(offsets[0]), float(offsets[1])]}


class ChildRecording:
    """A :class:`nnstudio.core.trainchild.RunRecording` that keeps one record open between
    runs of the same key."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.writer: RunWriter | None = None
        self._tell: Callable[[str, str, str], None] | None = None
        self._network: Any = None
        self._ended: tuple[str, str] = ("stopped", "")

    def _warn(self, text: str) -> None:
        writer, tell = self.writer, self._tell
        if tell is not None:
            tell(writer.run_id if writer is not None else "",
                 str(writer.path) if writer is not None and writer.path else "", text)

    def begin(self, spec: RunSpec, trainer: Any,
              tell: Callable[[str, str, str], None]) -> Recorder | None:
        """Begin (or go on with) the record of the run ``spec`` describes."""
        req = spec.record or {}
        self._tell = tell
        self._network = trainer.network
        writer = self.writer
        if writer is not None and req.get("key") == self.key and not writer.active:
            return None                # recording stopped after an error: warned once
        if writer is not None and req.get("key") == self.key and writer.path is not None \
                and writer.path.is_dir():
            writer.resume()
            tell(writer.run_id, str(writer.path), "")
            return Recorder(writer, trainer.network, begin=False)
        self.close()
        design = design_from_json(spec.design_json)
        start = RunStart(design=design, data=str(req.get("data", "")), config=dict(spec.config),
                         dataset=str(req.get("dataset", "")),
                         task=str(req.get("task", "classification")),
                         classes=[str(c) for c in req.get("classes") or []],
                         image_size=req.get("image_size"), name=req.get("name") or None,
                         parent=req.get("parent"), same_start=req.get("same_start"),
                         origin="window")
        offsets = req.get("offsets") or (0, 0.0)
        writer = RunWriter(req.get("folder", "runs"), start, warn=self._warn, advice=ADVICE,
                           min_checkpoint_s=MIN_CHECKPOINT_S, batch_events_hz=BATCH_EVENTS_HZ,
                           offset_samples=int(offsets[0]), offset_elapsed=float(offsets[1]))
        self.writer, self.key = writer, req.get("key")
        if writer.path is None:        # the folder could not be made: warned already
            return None
        tell(writer.run_id, str(writer.path), "")
        return Recorder(writer, trainer.network)

    def end(self, outcome: str, message: str = "") -> None:
        """The run ended: a record that can go on is left ``stopped`` / ``finished`` on disk,
        any other outcome closes it."""
        writer = self.writer
        if writer is None:
            return
        weights = self._weights() if outcome != "failed" else None
        if outcome in ("stopped", "finished"):
            writer.suspend(outcome, message, weights)   # (nothing when recording stopped)
            self._ended = (outcome, message)
            return
        writer.finish(outcome, message, weights)
        self.writer, self.key = None, None

    def _weights(self) -> dict | None:
        """The trained network's weights now (None when they cannot be read)."""
        try:
            return {p.name: p.value for p in self._network.parameters()}
        except Exception:  # noqa: BLE001 - a network left broken by an error
            return None

    def close(self) -> None:
        """Close the open record with how its last run ended (the process ends, or another
        record begins)."""
        writer, self.writer, self.key = self.writer, None, None
        if writer is not None and (writer.path is None or not writer.path.is_dir()):
            writer.abandon()           # removed (to the trash) between two runs
        elif writer is not None and writer.outcome != "running":
            writer.finish(*self._ended)
        elif writer is not None:
            writer.finish("interrupted", "the training process ended while it trained")


def main_fds(cmd_fd: int, data_fd: int, threads: int) -> None:
    """Entry point of the window's training child (POSIX): the core loop, recording."""
    trainchild.main_fds(cmd_fd, data_fd, threads, ChildRecording())


def child_main(conn: Any, data: Any, threads: int) -> None:
    """Entry point of the window's training child (``spawn``): the core loop, recording."""
    trainchild.child_main(conn, data, threads, ChildRecording())
