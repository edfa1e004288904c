"""What the Runs list does to the window: put a run's weights in it, or set up a run that
starts the way another started ("same start").

Both put a run's design and weights into the session: the weights alone when the run's
design is the window's, else the run's design replaces the window's (after ``confirm``, which
asks to save unsaved work). Each returns the sentence to show, or raises
:class:`~nnstudio.runs.listing.RunError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnstudio.core.design import design_to_json
from nnstudio.runs.listing import RunError, RunSummary
from nnstudio.runs.reader import Run, open_run

__all__ = ["open_checkpoint", "same_start"]


def _put(session: Any, run: Run, ref: int | str, confirm: Callable[[], bool] | None) -> bool:
    """The run's weights at checkpoint ``ref`` (and its curves up to it) into ``session``;
    False when ``confirm`` said no."""
    design = run.design()
    weights = run.weights(ref, design)
    history = run.history(run.checkpoint(ref))
    if design_to_json(design) == design_to_json(session.design) and \
            session.network is not None:
        session.set_weights(weights, history=history)
        return True
    if confirm is not None and not confirm():
        return False
    classes = [str(c) for c in run.info.get("classes") or []]
    session.set_design(design, weights=weights, history=history,
                       meta={"classes": classes} if classes else None)
    return True


def open_checkpoint(session: Any, summary: RunSummary, n: int,
                    confirm: Callable[[], bool] | None = None) -> str:
    """Put the weights of checkpoint ``n`` of the run ``summary`` in the window."""
    if session.is_training:
        return "Stop training before opening a run's weights."
    run = open_run(summary.path)
    ckpt = run.checkpoint(n)
    if not _put(session, run, n, confirm):
        return ""
    session.state.run = summary.path           # on the Train page's timeline, at n
    session.state.checkpoint = n
    return f"The window now holds '{summary.name}' at checkpoint {n} ({ckpt.place})."


def same_start(session: Any, keeper: Any, summary: RunSummary,
               confirm: Callable[[], bool] | None = None) -> str:
    """Set the window up so that the next Play starts as the run ``summary`` started: its
    initial weights (checkpoint 0) and its seed, which fixes the validation split and the
    batch order on the same data. The new run's record names the run it shares its start
    with."""
    if session.is_training:
        return "Stop training before starting a run the same way as another."
    run = open_run(summary.path)
    if run.checkpoint("initial").n != 0:
        raise RunError(f"run '{summary.name}' has lost its initial weights")
    if not _put(session, run, "initial", confirm):
        return ""
    seed = run.config.get("seed")
    controller = keeper.controller
    if isinstance(seed, int):
        controller.apply_settings(seed=seed)
    keeper.drop()
    keeper.same_start = run.id
    text = (f"The next Play starts as '{summary.name}' did: its initial weights and seed "
            f"{seed}. Change one setting to see what it alone does.")
    data = str(run.info.get("data", ""))
    feed = getattr(controller, "data", None)
    now = getattr(feed, "spec", None) or getattr(session.dataset, "name", "")
    if data and now and data != now:
        text += (f" It trained on {data}; the window's data is {now}: choose {data} for "
                 "the same batches.")
    return text
