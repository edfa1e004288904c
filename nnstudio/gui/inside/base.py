"""What every "see inside" view shares: a title, a hint, throttled updates, timings, and a
note when its picture is behind training.

A view draws only while it is visible and at most ``min_interval_ms`` apart; a change that
arrives while it is hidden just marks it stale, and it redraws when it is shown again. Each
view knows which weights its picture was drawn from (:mod:`nnstudio.gui.inside.freshness`):
a view that draws at once is current after every redraw; one that computes in the
background (``draws_later``) says which weights its result is of. When newer weights have
waited too long, a grey note in the view's title row says so ("updated at epoch 12 ·
training is at epoch 14"); a view that keeps pace shows nothing extra. Long
computations run as a :class:`ChunkedJob`: a generator advanced from the event loop in pieces
of a few milliseconds, each sized by a :class:`PieceSizer` from the measured cost of the work
(samples, grid points), so the window never freezes whatever the size of the network. While
training runs, a job takes at most :data:`TRAINING_DUTY` of the GUI thread's time, so
training keeps its pace.
"""

from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Generator, Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedLayout, QVBoxLayout, QWidget

from nnstudio.gui.inside.freshness import Freshness, Stamp
from nnstudio.gui.inside.style import GREY, INK, hint_label, message_label
from nnstudio.gui.session import Session

#: Share of the GUI thread's time a background job takes at most while training runs.
TRAINING_DUTY = 0.5
#: How often a visible view checks whether its picture fell behind (milliseconds).
NOTE_MS = 500


class PieceSizer:
    """How many units (samples, grid points, rows) the next piece of background work handles.

    It sizes each piece from the last one so that it takes about ``target_ms``: it starts
    small, grows at most ``growth`` times per piece and shrinks at once, in proportion, after
    a slow piece. A piece that overran the target also sets a ceiling just below its size,
    raised again only after ``patience`` good pieces at the ceiling: work whose cost jumps
    with size (two samples cost four times one when the engine starts splitting work across
    threads) settles below the jump instead of going back and forth across it. It also keeps
    the cost of one unit over the recent pieces, fixed costs per piece spread over their
    units, for callers that plan how much work to do.

    Parameters
    ----------
    target_ms : float
        Aimed-for duration of one piece.
    start, lo, hi : int
        First size, and the bounds of every size.
    growth : float
        Largest factor between a piece's size and the next one's.
    patience : int
        Good pieces at the ceiling before it is raised (by a quarter).
    clock : callable
        Seconds as float (``time.perf_counter``; tests pass a fake one).
    """

    def __init__(self, target_ms: float = 6.0, start: int = 1, lo: int = 1,
                 hi: int = 1 << 20, growth: float = 2.0, patience: int = 16,
                 clock=time.perf_counter) -> None:
        self.target_s = target_ms / 1000.0
        self.lo, self.hi = max(1, int(lo)), max(1, int(hi))
        self.growth = float(growth)
        self.patience = int(patience)
        self.clock = clock
        self.size = int(np.clip(start, self.lo, self.hi))
        self.ceiling = self.hi
        self._good = 0

    def record(self, units: int, seconds: float) -> None:
        """A piece of ``units`` units took ``seconds``: learn, and size the next piece."""
        if units <= 0:
            return
        seconds = max(float(seconds), 1e-9)
        if seconds > 1.3 * self.target_s:
            self.ceiling = max(self.lo, units - 1)
            self._good = 0
        elif units >= self.ceiling:
            self._good += 1
            if self._good >= self.patience:
                self.ceiling = min(self.hi, self.ceiling + max(1, self.ceiling // 4))
                self._good = 0
        want = int(units * self.target_s / seconds + 1e-6)
        # a piece cut short (the end of the work) may not hold the size back
        cap = max(self.lo, int(max(units, self.size) * self.growth))
        self.size = int(np.clip(min(want, cap, self.ceiling), self.lo, self.hi))

    def pieces(self, n: int) -> Iterator[slice]:
        """Slices covering ``range(n)``, each sized when it is asked for.

        Time the work on each slice with :meth:`record` (or use :meth:`run`)."""
        i = 0
        while i < n:
            k = min(self.size, n - i)
            yield slice(i, i + k)
            i += k

    def run(self, n: int, work) -> Iterator[None]:
        """Call ``work(slice)`` over ``range(n)`` in timed pieces; yield after each one."""
        for sl in self.pieces(n):
            t0 = self.clock()
            work(sl)
            self.record(sl.stop - sl.start, self.clock() - t0)
            yield


class ChunkedJob(QObject):
    """Runs a generator piece by piece on the GUI thread, in short turns of the event loop.

    Each ``next()`` of the generator is one piece of work (the generators of the views keep
    pieces to a few milliseconds with a :class:`PieceSizer`). A turn runs pieces while the
    next one is expected to end within ``budget_ms``, then gives the event loop back. With
    ``duty`` below 1 (while training) the job also rests between turns, so that it takes at
    most that share of the GUI thread's time.

    Signals
    -------
    finished()
        The generator is exhausted (not emitted when cancelled).
    """

    finished = Signal()

    def __init__(self, parent: QObject | None = None, budget_ms: float = 8.0,
                 clock=time.perf_counter) -> None:
        super().__init__(parent)
        self.budget_s = budget_ms / 1000.0
        self.duty = 1.0
        self.clock = clock
        self._gen: Iterator[Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.turn)
        self.pieces = 0             # pieces of the current or last run
        self.longest_tick_ms = 0.0  # the longest single turn of the last run
        self.longest_step_ms = 0.0  # the longest single piece of work since created
        self.piece_ms: deque[float] = deque(maxlen=4000)   # recent pieces
        self.turn_ms: deque[float] = deque(maxlen=4000)    # recent turns (GUI-thread stalls)

    @property
    def running(self) -> bool:
        return self._gen is not None

    def start(self, gen: Iterator[Any]) -> None:
        """Cancel what runs and start ``gen``."""
        self.cancel()
        self._gen = gen
        self.pieces = 0
        self.longest_tick_ms = 0.0
        self._timer.setInterval(0)
        self._timer.start()

    def pause(self) -> None:
        """Stop advancing (the view went out of sight); :meth:`resume` goes on."""
        self._timer.stop()

    def resume(self) -> None:
        if self._gen is not None:
            self._timer.start()

    def cancel(self) -> None:
        self._timer.stop()
        if self._gen is not None:
            close = getattr(self._gen, "close", None)
            if close is not None:
                close()
        self._gen = None

    def run_to_end(self) -> None:
        """Finish the current job now (tests, or when a result is needed at once)."""
        while self._gen is not None:
            self.turn(budget=float("inf"))

    @property
    def rest_ms(self) -> int:
        """Milliseconds the job rests between two turns (0: the next turn comes at once)."""
        return self._timer.interval()

    def turn(self, budget: float | None = None) -> None:
        """One turn of the event loop's worth of work: pieces until ``budget`` seconds
        (default the job's own) would be passed; its timer calls it while it runs."""
        if self._gen is None:
            self._timer.stop()
            return
        clock = self.clock
        t0 = clock()
        limit = self.budget_s if budget is None else budget
        done = False
        try:
            while True:
                t1 = clock()
                next(self._gen)
                t2 = clock()
                self._piece((t2 - t1) * 1000)
                # stop when the next piece, as long as this one, would end past the budget
                if (t2 - t0) + (t2 - t1) > limit:
                    break
        except StopIteration:
            self._piece((clock() - t1) * 1000)
            done = True
        if done:
            self._timer.stop()
            self._gen = None
            self.finished.emit()
        ms = (clock() - t0) * 1000
        self._account(ms)
        if not done and self.duty < 1.0 and self._timer.isActive():
            self._timer.setInterval(int(ms * (1.0 / max(self.duty, 0.05) - 1.0)))
        elif not done and self._timer.interval():
            self._timer.setInterval(0)

    def _piece(self, ms: float) -> None:
        self.pieces += 1
        self.piece_ms.append(ms)
        self.longest_step_ms = max(self.longest_step_ms, ms)

    def _account(self, ms: float) -> None:
        self.turn_ms.append(ms)
        self.longest_tick_ms = max(self.longest_tick_ms, ms)


class InsightView(QWidget):
    """Base of the views on the Inside page.

    Subclasses set ``title`` and ``hint``, put their widgets into ``self.body`` (a
    QVBoxLayout) and implement :meth:`refresh`, which reads the session and draws.
    ``show_message(text)`` replaces the body by a message (nothing to show); ``refresh``
    calls ``show_body()`` when it can draw.

    A view whose picture comes from background work sets ``draws_later`` and calls
    :meth:`picture_drawn` with the :attr:`weights_stamp` taken when that work started; for
    the others each redraw counts as a picture of the weights of that moment. A view whose
    picture does not depend on the network's weights sets ``shows_weights`` to False.

    Parameters
    ----------
    session : Session
    min_interval_ms : int
        Shortest time between two redraws.
    """

    title = ""
    hint = ""
    #: the picture comes from background work, which calls :meth:`picture_drawn` itself
    draws_later = False
    #: the picture depends on the network's weights (so it can fall behind training)
    shows_weights = True

    def __init__(self, session: Session, parent: QWidget | None = None,
                 min_interval_ms: int = 100) -> None:
        super().__init__(parent)
        self.session = session
        self.min_interval_ms = int(min_interval_ms)
        self.timings_ms: deque[float] = deque(maxlen=200)
        self._stale = True
        self._last_refresh = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        #: which weights the picture is of, against those there are
        self.freshness = Freshness()
        self._note_timer = QTimer(self)
        self._note_timer.setInterval(NOTE_MS)
        self._note_timer.timeout.connect(self._show_note)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(4)
        head = QHBoxLayout()
        title = self.title_label = QLabel(self.title)
        font = QFont(title.font())
        font.setPointSizeF(12)
        font.setBold(True)
        title.setFont(font)
        title.setStyleSheet(f"color: {INK};")
        head.addWidget(title)
        head.addStretch(1)
        self.picture_note = QLabel("")
        self.picture_note.setObjectName("pictureNote")
        self.picture_note.setStyleSheet(f"color: {GREY}; font-size: 9pt;")
        self.picture_note.setToolTip("This picture was drawn from weights that training has "
                                     "since changed; it catches up as soon as it can.")
        self.picture_note.hide()
        head.addWidget(self.picture_note)
        self.header = head
        outer.addLayout(head)
        self.hint_label = hint_label(self.hint)
        outer.addWidget(self.hint_label)
        self._stack = QStackedLayout()
        outer.addLayout(self._stack, 1)
        body_widget = QWidget()
        self.body = QVBoxLayout(body_widget)
        self.body.setContentsMargins(0, 4, 0, 0)
        self._message = message_label()
        self._stack.addWidget(body_widget)
        self._stack.addWidget(self._message)

        # the weights are counted before any view reacts to them
        session.snapshotApplied.connect(self.freshness.snapshot)
        session.modelChanged.connect(self._weights_replaced)
        session.designReplaced.connect(self._weights_replaced)
        session.snapshotApplied.connect(self._on_snapshot)
        session.modelChanged.connect(self._on_model_changed)
        session.designReplaced.connect(self._on_design_replaced)
        session.datasetChanged.connect(self._on_dataset_changed)
        session.inputChanged.connect(self._on_input_changed)
        session.trainingStateChanged.connect(self._on_training_state)
        session.trainingStateChanged.connect(self._pace_jobs)

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str) -> None:
        self._message.setText(text)
        self._stack.setCurrentIndex(1)

    def show_body(self) -> None:
        self._stack.setCurrentIndex(0)

    @property
    def message(self) -> str:
        """The message shown instead of the view ('' when the view is drawn)."""
        return self._message.text() if self._stack.currentIndex() == 1 else ""

    # ------------------------------------------------------------------ throttle
    def schedule(self) -> None:
        """Ask for a redraw: soon if visible, when shown otherwise."""
        self._stale = True
        if not self.isVisible() or self._timer.isActive():
            return
        wait = self.min_interval_ms - (time.perf_counter() - self._last_refresh) * 1000
        self._timer.start(max(0, int(wait)))

    def refresh_now(self) -> None:
        """Redraw at once (tests, screenshots), visible or not."""
        self._timer.stop()
        self._flush(force=True)

    def _flush(self, force: bool = False) -> None:
        if not force and not self.isVisible():
            return
        t0 = time.perf_counter()
        self._stale = False
        stamp = self.freshness.weights
        self.refresh()
        if not self.draws_later or self.message:   # a message is never out of date
            self.picture_drawn(stamp)
        self._last_refresh = time.perf_counter()
        self.timings_ms.append((self._last_refresh - t0) * 1000)

    # ------------------------------------------------------------------ freshness
    @property
    def weights_stamp(self) -> Stamp:
        """The session's weights as of now: take it when starting work on them."""
        return self.freshness.weights

    def picture_drawn(self, stamp: Stamp) -> None:
        """The picture now on screen was drawn from the weights of ``stamp``."""
        self.freshness.drawn_from(stamp)
        self._show_note()

    @property
    def behind_note(self) -> str:
        """What the view says about its picture being behind training ('' when it is not)."""
        return self.picture_note.text() if self.picture_note.isVisible() else ""

    def _show_note(self) -> None:
        text = self.freshness.words(self.session.training_state) if self.shows_weights else ""
        if text != self.picture_note.text():
            self.picture_note.setText(text)
        if self.picture_note.isHidden() == bool(text):
            self.picture_note.setVisible(bool(text))

    def _weights_replaced(self) -> None:
        """A reset, a load, an edit or a run's final weights (not a snapshot)."""
        self.freshness.replaced(from_run=self.session.is_training)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        for job in self.findChildren(ChunkedJob):
            job.resume()
        if self._stale:
            self.schedule()
        self._note_timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        for job in self.findChildren(ChunkedJob):
            job.pause()
        self._note_timer.stop()

    def _pace_jobs(self, _state: str = "") -> None:
        """Background jobs take a share of the GUI thread while training runs, all else not."""
        duty = TRAINING_DUTY if self.training else 1.0
        for job in self.findChildren(ChunkedJob):
            job.duty = duty

    def childEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().childEvent(event)
        if event.added() and isinstance(event.child(), ChunkedJob):
            event.child().duty = TRAINING_DUTY if self.training else 1.0

    @property
    def training(self) -> bool:
        """True while a run is going (views then recompute heavy things less often)."""
        return self.session.training_state == "running"

    def refresh(self) -> None:
        """Read the session and draw (subclasses)."""

    # ------------------------------------------------------------------ session events
    def _on_snapshot(self, snapshot: Any) -> None:
        self.record(snapshot)
        self.schedule()

    def record(self, snapshot: Any) -> None:
        """Keep what a snapshot says that is needed later, even while hidden (cheap)."""

    def _on_model_changed(self) -> None:
        self.model_changed()
        self.schedule()

    def model_changed(self) -> None:
        """``session.network`` was replaced or reloaded (subclasses forget stale state)."""

    def _on_design_replaced(self) -> None:
        self.model_changed()
        self.schedule()

    def _on_dataset_changed(self) -> None:
        self.dataset_changed()
        self.schedule()

    def dataset_changed(self) -> None:
        """``session.dataset`` changed."""

    def _on_input_changed(self) -> None:
        pass

    def _on_training_state(self, state: str) -> None:
        pass


# ---------------------------------------------------------------------- helpers
#: Elements copied at most per piece of :func:`clone_steps` (about a millisecond of copying).
COPY_CHUNK = 1 << 20


def _copy_in_pieces(dst: np.ndarray, src: np.ndarray) -> Iterator[None]:
    """Copy ``src`` into ``dst`` (same shape), yielding after every COPY_CHUNK elements."""
    d, s = dst.reshape(-1), src.reshape(-1)
    for lo in range(0, s.size, COPY_CHUNK):
        d[lo:lo + COPY_CHUNK] = s[lo:lo + COPY_CHUNK]
        yield


def clone_steps(network: Any, cache: dict) -> Generator[None, None, Any]:
    """:func:`clone_network` in pieces: a generator to ``yield from`` inside a job; its
    return value is the copy.

    A new copy is a deep copy whose parameter arrays were allocated and filled beforehand,
    a bounded slice per piece (a deep copy in one go of a network with millions of weights
    stalls for tens of milliseconds, more when the memory is new to the process); later
    calls copy the weights into the kept copy, a slice per piece.
    """
    key = id(network)
    clone = cache.get("clone") if cache.get("key") == key else None
    theirs = network.parameters()
    if clone is not None:
        mine = {p.name: p for p in clone.parameters()}
        if len(theirs) == len(mine) and all(
                p.name in mine and mine[p.name].value.shape == p.value.shape for p in theirs):
            for p in theirs:
                yield from _copy_in_pieces(mine[p.name].value, p.value)
            return clone
        # another network now has the id of the one copied (Python reuses the ids of freed
        # objects): copy it afresh
    memo: dict[int, Any] = {}
    for p in theirs:
        for arr in (p.value, getattr(p, "grad", None)):
            if isinstance(arr, np.ndarray) and id(arr) not in memo:
                copy_ = np.empty_like(arr)
                yield from _copy_in_pieces(copy_, arr)
                memo[id(arr)] = copy_
    try:
        clone = copy.deepcopy(network, memo)
    except Exception:  # noqa: BLE001 - a network-like object that cannot be copied
        from nnstudio.core.network import Network

        clone = Network(network.design)
        clone.set_weights(network.get_weights())
    cache["clone"], cache["key"] = clone, key
    return clone


def clone_network(network: Any, cache: dict) -> Any:
    """A private copy of ``network`` with its current weights, reused while the design holds.

    Views that change weights (the cost surface) or compute across several event-loop
    turns use the copy, so snapshots arriving in between cannot mix into their results.
    The first copy is a deep copy (much cheaper than building a new network, which draws
    random weights); later calls copy the weights straight into it. Jobs use
    :func:`clone_steps`, the same in bounded pieces.
    """
    steps = clone_steps(network, cache)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def held_out_indices(n: int, session: Session) -> np.ndarray:
    """Indices of the samples training keeps aside for validation (as the Trainer picks them).

    Uses the training controller's configuration when there is one, else the defaults.
    """
    from nnstudio.core.training import TrainConfig, split_indices

    config = session.training.config if session.training is not None else TrainConfig()
    return split_indices(n, config.val_split, np.random.default_rng(config.seed))[1]


def network_fits_dataset(network: Any, dataset: Any) -> bool:
    """True when the dataset can be fed to the network: sizes, task and classes match."""
    if network is None or dataset is None or dataset.n == 0:
        return False
    from nnstudio.core.datafit import data_mismatch

    return data_mismatch(network, dataset) is None


def worker_network(cache: dict, design: Any, weights: dict[str, np.ndarray]) -> Any:
    """A view's worker's copy of the network, with ``weights``: kept in ``cache`` between
    jobs (a view runs one worker at a time), so while the design stays the same only the
    weights are set again instead of a network being built for every picture."""
    from nnstudio.core.design import design_to_json
    from nnstudio.core.network import Network

    key = design_to_json(design)
    net = cache.get("net") if cache.get("key") == key else None
    if net is None:
        net = Network(design)
        cache.update(net=net, key=key)
    net.set_weights(weights)
    return net
