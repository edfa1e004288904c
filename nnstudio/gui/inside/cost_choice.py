"""What the cost surface shows: two chosen weights, the samples its cost is measured on, and
the path the listed weights took while training.

:class:`CostChoice` is the row of controls above the cost surface and what they decide:

- the two weight lists (:class:`~nnstudio.gui.inside.weight_chooser.WeightChooser`): for
  every unit of every layer, the weight into it with the largest gradient on a few samples
  (:func:`~nnstudio.core.insight.cost.weights_that_matter`; small layers whole, as in the
  lessons); a name typed in full reaches any weight, and one that names no weight is said
  so;
- which samples: training or held-out ones, up to :data:`SAMPLES` of them, shaped for the
  network;
- the path: the values of every listed weight at every snapshot
  (:class:`~nnstudio.gui.inside.cost_parts.WeightPath`), started again whenever the list
  changes.

The view (:mod:`nnstudio.gui.inside.cost`) computes and draws the landscape from it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from nnstudio.core.insight.cost import Pick, parse_pick, scalar_params, weights_that_matter
from nnstudio.gui.inside.base import clone_network, held_out_indices, network_fits_dataset
from nnstudio.gui.inside.cost_parts import WeightPath, default_second, pick_label
from nnstudio.gui.inside.weight_chooser import WeightChooser
from nnstudio.gui.session import Session

__all__ = ["SAMPLES", "CostChoice", "live_weights"]

SAMPLES = 256          # samples the cost is averaged over at most
PER_PARAM = 16         # scalar weights listed per parameter when there are no gradients
PER_UNIT = 64          # units listed per parameter (their weight that matters most)
GRAD_SAMPLES = 64      # samples the gradients that rank the weights are taken on


def live_weights(network: Any) -> dict[str, np.ndarray]:
    """The network's parameters by name, without copying (read them at once)."""
    return {} if network is None else {p.name: p.value for p in network.parameters()}


class CostChoice(QWidget):
    """The weights across and up, the samples, and the path of the listed weights.

    Signals
    -------
    picked()
        Another weight was chosen across or up.
    samplesChosen()
        Training or held-out samples were chosen.
    said(str)
        A sentence for the view's status line (a typed name that is no weight).
    """

    picked = Signal()
    samplesChosen = Signal()
    said = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.pick_x = WeightChooser()
        self.pick_x.setObjectName("costPickX")
        self.pick_y = WeightChooser()
        self.pick_y.setObjectName("costPickY")
        for combo in (self.pick_x, self.pick_y):
            combo.setMinimumContentsLength(22)
            combo.currentIndexChanged.connect(self.picked)
            combo.typed.connect(lambda text, c=combo: self._on_typed(c, text))
        row.addWidget(QLabel("Across:"))
        row.addWidget(self.pick_x, 1)         # long names get the row's room
        row.addSpacing(12)
        row.addWidget(QLabel("Up:"))
        row.addWidget(self.pick_y, 1)
        row.addSpacing(12)
        row.addWidget(QLabel("Cost on:"))
        self.data_choice = QComboBox()
        self.data_choice.setObjectName("costData")
        self.data_choice.addItems(["training samples", "held-out samples"])
        self.data_choice.setToolTip("Which samples the cost is measured on: those training "
                                    "learns from, or those it keeps aside to check on")
        self.data_choice.currentIndexChanged.connect(self._on_samples_chosen)
        row.addWidget(self.data_choice)

        self._listed: list[tuple[Pick, str]] = []
        self._list_key: tuple | None = None
        self._sample: tuple[np.ndarray, np.ndarray] | None = None
        self._cache: dict = {}                # the copy that ranks the weights
        #: why the samples cannot be used ('' when they can, or when none are chosen)
        self.problem = ""
        #: the listed weights' values at every snapshot
        self.path = WeightPath()

    # ------------------------------------------------------------------ the weights
    @property
    def picks(self) -> list[Pick]:
        """The weights offered in the two lists, in their order."""
        return [p for p, _ in self._listed]

    @property
    def names(self) -> tuple[str, str]:
        """The names of the weights across and up, as the lists show them."""
        return self.pick_x.currentText(), self.pick_y.currentText()

    def current(self) -> list[Pick] | None:
        """The weight across and the weight up (None while the lists are empty)."""
        i, j = self.pick_x.currentIndex(), self.pick_y.currentIndex()
        if i < 0 or j < 0 or i >= len(self._listed) or j >= len(self._listed):
            return None
        return [self._listed[i][0], self._listed[j][0]]

    def _offer(self, net: Any, weights: dict[str, np.ndarray]) -> list[tuple[Pick, str]]:
        """The weights to list: for every unit, the one with the largest gradient on a few
        samples (weights from inputs that never vary have none), else the first ones."""
        data = self.samples() if self.session.dataset is not None else None
        if data is None or not net.trainable():
            return scalar_params(weights, PER_PARAM)
        clone = clone_network(net, self._cache)
        n = min(GRAD_SAMPLES, len(data[0]))
        clone.train_step(data[0][:n], data[1][:n])
        grads = {p.name: p.grad for p in clone.parameters()}
        return weights_that_matter(weights, grads, PER_UNIT)

    def fill(self) -> None:
        """List the weights of the session's network, unless its parameters are the ones
        already listed (then the lists and the path are kept)."""
        net = self.session.network
        weights = live_weights(net)
        key = tuple((name, w.shape) for name, w in weights.items())
        if key == self._list_key:
            return
        self._list_key = key
        picks = self._offer(net, weights) if weights else []
        ds = self.session.dataset
        self._listed = [(p, pick_label(p, text, net, ds)) for p, text in picks]
        for combo in (self.pick_x, self.pick_y):
            combo.blockSignals(True)
            combo.clear()
            for _, text in self._listed:
                combo.addItem(text)
            combo.blockSignals(False)
        if len(self._listed) >= 2:
            self.pick_x.setCurrentIndex(0)
            self.pick_y.setCurrentIndex(default_second(self.picks))
        for combo in (self.pick_x, self.pick_y):
            combo.show_start()
        self.restart_path()

    def list_again(self) -> None:
        """The next :meth:`fill` lists the weights anew (new weights or new data)."""
        self._list_key = None

    def _on_typed(self, combo: WeightChooser, text: str) -> None:
        """A weight named in full that the list does not hold: add it, or say why not."""
        shapes = {name: w.shape for name, w in live_weights(self.session.network).items()}
        pick = parse_pick(text, shapes)
        if pick is None:
            combo.restore()
            self.said.emit(f"No weight is called “{text}”. Type a name as the list writes "
                           f"them, e.g. “{self._listed[0][1]}”." if self._listed else "")
            return
        if pick not in self.picks:
            self._listed.append((pick, text))
            for c in (self.pick_x, self.pick_y):
                c.blockSignals(True)
                c.addItem(text)
                c.blockSignals(False)
            keep = self.pick_x.currentIndex()
            self.restart_path()      # a new column: its path starts now
            self.pick_x.setCurrentIndex(keep)
        combo.setCurrentIndex(self.picks.index(pick))

    # ------------------------------------------------------------------ the path
    def restart_path(self) -> None:
        """Start the path again from the network's weights of now."""
        self.path = WeightPath(len(self._listed))
        net = self.session.network
        if net is not None and self._listed:
            self.note(live_weights(net))

    def note(self, weights: dict[str, np.ndarray]) -> None:
        """Add the listed weights' values in ``weights`` (a snapshot's) to the path."""
        try:
            row = np.array([weights[name].reshape(-1)[i] for (name, i), _ in self._listed],
                           np.float32)
        except (KeyError, IndexError):
            return
        if len(row) == self.path.width:
            self.path.append(row)

    def chosen_path(self) -> np.ndarray:
        """The path of the two chosen weights, float64 (T, 2): across, up."""
        if len(self.path) == 0:
            self.note(live_weights(self.session.network))
        return self.path.columns(self.pick_x.currentIndex(), self.pick_y.currentIndex())

    # ------------------------------------------------------------------ the samples
    @property
    def held_out(self) -> bool:
        """The cost is measured on the held-out samples (else on training samples)."""
        return self.data_choice.currentIndex() == 1

    def _on_samples_chosen(self, _index: int) -> None:
        self.forget_samples()
        self.samplesChosen.emit()

    def forget_samples(self) -> None:
        """The data or the network changed: take the samples again when next asked."""
        self._sample = None
        self.problem = ""

    @property
    def taken(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The samples taken so far (None: not yet), without taking them."""
        return self._sample

    def samples(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Up to SAMPLES training (or held-out) samples, shaped for the network: (x, y);
        None when the data does not fit the network (:attr:`problem` then may say why)."""
        if self._sample is None:
            net, ds = self.session.network, self.session.dataset
            if not network_fits_dataset(net, ds):
                return None
            held = held_out_indices(ds.n, self.session)
            if self.held_out:
                keep = held
            else:
                keep = np.setdiff1d(np.arange(ds.n), held) if len(held) < ds.n else held
            rng = np.random.default_rng(0)
            if len(keep) > SAMPLES:
                keep = np.sort(rng.choice(keep, SAMPLES, replace=False))
            ds = ds.subset(keep)
            try:
                x = ds.x.reshape(len(ds.x), *net.input_shape)
            except ValueError as err:
                self.problem = f"The cost cannot be computed on “{ds.name}”: {err}"
                return None
            self._sample = (x, ds.y)
        return self._sample
