"""The perceptron rule as a training loop, driven like :class:`~nnstudio.core.training.Trainer`.

A network that is one step neuron (the ``perceptron`` template) has no gradient, so
backpropagation cannot train it. :class:`PerceptronTrainer` trains it with the perceptron rule
instead, one sample at a time, and offers the same surface as ``Trainer``: a
:class:`~nnstudio.core.training.TrainControl` (pause, step one sample, stop, live learning
rate), ``on_batch`` / ``on_epoch`` callbacks and a :class:`~nnstudio.core.training.History`.
The training process and the command line therefore run either loop the same way.

What the numbers mean here:

- one *batch* is one sample: ``BatchInfo.loss`` is the number of mistakes so far in the
  current pass (it climbs by one each time the neuron gets a sample wrong and the rule moves
  its weights) and ``accuracy`` the share right so far, so a plot of them rises within each
  pass to that pass's count;
- one *epoch* is one pass over the training samples, in a fixed order: ``EpochInfo.train_loss``
  is the number of **mistakes in that pass**, ``val_loss`` the number of held-out samples
  the neuron gets wrong after it;
- the run ends by itself after a pass without mistakes (:attr:`PerceptronTrainer.outcome`
  ``"separated"``), or when the weights at the end of a pass are ones it already had at the
  end of an earlier pass (``"cycle"``): the samples come in the same order every pass, so from
  then on the rule repeats itself forever. By the perceptron convergence theorem that only
  happens when no straight line (plane) separates the two classes, as with XOR. Otherwise it
  ends after ``config.epochs`` passes (``"out_of_passes"``) or when stopped (``"stopped"``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from nnstudio.core.control import TrainControl
from nnstudio.core.perceptron import Perceptron, _neuron_keys
from nnstudio.core.training import BatchInfo, EpochInfo, History, TrainConfig, split_indices
from nnstudio.words import counted

__all__ = ["OUTCOMES", "PerceptronTrainer", "outcome_text"]

#: outcome -> what it means, in words for the person ({passes}, {mistakes} and {period} are
#: counted words: "1 pass", "3 mistakes")
OUTCOMES: dict[str, str] = {
    "separated": "No mistakes in a whole pass: the neuron's line separates the two classes.",
    "cycle": ("The weights came back to where they were {period} earlier, so the rule is "
              "going round in circles and will never reach 0 mistakes: no straight line "
              "separates these two classes (like XOR). A network with a hidden layer can draw "
              "the curved boundary they need."),
    "out_of_passes": ("Still {mistakes} in the last pass after {passes}. Give it more passes, "
                      "or, if no straight line can separate the classes, use a network with a "
                      "hidden layer."),
    "stopped": "Stopped after {passes}, {mistakes} in the last one.",
}


def outcome_text(outcome: dict) -> str:
    """The sentence for a :attr:`PerceptronTrainer.outcome` dict."""
    template = OUTCOMES.get(str(outcome.get("kind")), "")
    return template.format(period=counted(int(outcome.get("period", 0)), "pass", "passes"),
                           passes=counted(int(outcome.get("passes", 0)), "pass", "passes"),
                           mistakes=counted(int(outcome.get("mistakes", 0)), "mistake"))


class PerceptronTrainer:
    """Sample-by-sample perceptron training of a one-neuron step network.

    Parameters
    ----------
    network : Network
        Exactly one Dense neuron with the step activation (:func:`is_perceptron`); its
        weights are updated in place (``b = −θ``).
    x : np.ndarray
        float32 (N, n_inputs) samples (any per-sample shape is flattened).
    y : np.ndarray
        (N,) class indices 0/1, or (N, 1) targets 0/1.
    config : TrainConfig, optional
        ``epochs`` = the most passes, ``lr`` = the rule's learning rate η, ``val_split``
        and ``seed`` choose the held-out samples. Batch size, optimizer, weight decay and
        shuffling do not apply: the rule takes one sample at a time, in a fixed order.
    control : TrainControl, optional
    history : History, optional
        Continue this history (passes are numbered on from it).

    Attributes
    ----------
    outcome : dict
        After :meth:`run`: ``kind`` (a key of :data:`OUTCOMES`), ``passes`` done in this run,
        ``mistakes`` in the last pass, and ``period`` for a cycle.
    """

    def __init__(self, network, x, y, config: TrainConfig | None = None,
                 control: TrainControl | None = None, history: History | None = None) -> None:
        self.config = config = config or TrainConfig()
        config.validate()
        self.network = network
        self.control = control or TrainControl()
        self.history = history if history is not None else History()
        self.w_key, self.b_key = _neuron_keys(network)
        self.x = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), -1)
        self.y = np.asarray(y).reshape(len(self.x), -1)[:, 0].astype(np.int64)
        if len(self.x) == 0:
            raise ValueError("There are no samples to train on")
        if not np.isin(self.y, (0, 1)).all():
            raise ValueError("A perceptron learns two classes: the targets must be 0 or 1")
        # the same held-out samples as backpropagation's Trainer and the Inside views
        self.train_idx, val_idx = split_indices(len(self.x), config.val_split,
                                                np.random.default_rng(config.seed))
        self.x_val = self.x[val_idx] if len(val_idx) else None
        self.y_val = self.y[val_idx] if len(val_idx) else None
        self.params = network.parameters()
        self.lr = float(config.lr)
        self.batch_size = 1
        self.stopped = False
        self.outcome: dict = {}

    def neuron(self) -> Perceptron:
        """The network's neuron as a :class:`Perceptron` (a copy)."""
        return Perceptron.from_network(self.network, self.lr)

    def _fires(self, x: np.ndarray) -> np.ndarray:
        """int64 (N,): the network's own decisions (its float32 arithmetic decides ties)."""
        return (self.network.predict(x).reshape(len(x)) > 0.5).astype(np.int64)

    def _mistakes(self, x: np.ndarray, y: np.ndarray) -> int:
        return int((self._fires(x) != y).sum())

    def run(self, on_batch: Callable[[BatchInfo], object] | None = None,
            on_epoch: Callable[[EpochInfo], object] | None = None) -> History:
        """Train pass after pass until no mistakes, a cycle, ``config.epochs`` passes or a
        stop; returns the history (see the module docstring for what it holds)."""
        ctl, hist = self.control, self.history
        params = {p.name: p for p in self.params}
        W, b = params[self.w_key].value, params[self.b_key].value  # updated in place
        x, y, idx = self.x, self.y, self.train_idx
        n = len(idx)
        first = len(hist.epochs) + 1
        last = first + self.config.epochs - 1
        start = time.perf_counter()
        paused = 0.0
        seen = 0
        passes = 0
        mistakes = 0
        seen_states: dict[bytes, int] = {self._state(W, b): 0}

        def finish(kind: str, **extra: int) -> History:
            self.outcome = {"kind": kind, "passes": passes, "mistakes": mistakes, **extra}
            return hist

        for epoch in range(first, last + 1):
            wrong = 0
            for k, i in enumerate(idx, start=1):
                if ctl.needs_wait:
                    t0 = time.perf_counter()
                    if not ctl.wait():
                        self.stopped = True
                        return finish("stopped")
                    paused += time.perf_counter() - t0
                lr, _ = ctl.take_changes()
                if lr is not None:
                    self.lr = lr
                    seen_states.clear()  # a cycle must repeat with the same step size
                xi = x[i:i + 1]
                error = int(y[i]) - int(self._fires(xi)[0])
                if error:  # w <- w + lr (t - y) x,  b <- b + lr (t - y)
                    W += np.float32(self.lr * error) * xi.reshape(W.shape)
                    b += np.float32(self.lr * error)
                wrong += error != 0
                seen += 1
                right = 1.0 - wrong / k
                hist.append_batch(float(wrong), right, self.lr, epoch)
                ctl.batch_done()
                if on_batch is not None:
                    on_batch(BatchInfo(epoch, k, n, float(wrong), right, self.lr, 1, seen,
                                       time.perf_counter() - start - paused, last))
            passes, mistakes = passes + 1, wrong
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError("the perceptron's weights became infinite: lower the "
                                 "learning rate")
            val_loss = val_acc = None
            if self.x_val is not None:
                val_wrong = self._mistakes(self.x_val, self.y_val)
                val_loss, val_acc = float(val_wrong), 1.0 - val_wrong / len(self.y_val)
            info = EpochInfo(epoch, float(wrong), 1.0 - wrong / n, val_loss, val_acc, self.lr,
                             time.perf_counter() - start - paused, last)
            hist.epochs.append(info)
            ctl.epoch_done()
            if on_epoch is not None:
                on_epoch(info)
            if wrong == 0:
                return finish("separated")
            state = self._state(W, b)
            if state in seen_states:
                return finish("cycle", period=passes - seen_states[state])
            seen_states[state] = passes
        return finish("out_of_passes")

    @staticmethod
    def _state(W: np.ndarray, b: np.ndarray) -> bytes:
        """The neuron's weights and bias as exact bytes (a cycle repeats them bit for bit:
        the same float32 sums in the same order)."""
        return W.tobytes() + b.tobytes()
