"""The Neurons view: the painted neurons, their + and − buttons, the clicked neuron's details.

:class:`NeuronPanel` follows the session live (edits, snapshots, the drawing, the data) and
recomputes what the canvas (:mod:`.neuron_view`) paints at most every ~80 ms. On a 2-D toy
set it is a playground on one screen, as TensorFlow Playground: the toy data's controls on
the left (:mod:`.toy_controls`), every neuron drawn as a small picture of what it answers
over the plane, and on the right the output over the plane with the data and the training
and test cost per epoch (:mod:`.playground_side`), all following the training snapshots. The
numbers come from :mod:`nnstudio.core.insight.playground`.
"""

from __future__ import annotations

import time
from math import prod

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.insight.playground import PlaneMaps, plane_maps, square_bounds
from nnstudio.core.training import split_indices
from nnstudio.data.dataset import Dataset
from nnstudio.data.toy import PLAIN, TOY_SETS, feature_columns, toy_points
from nnstudio.gui.design import theme
from nnstudio.gui.design.neuron_detail import NeuronDetail, weight_image
from nnstudio.gui.design.neuron_edits import EditButtons, Hidden
from nnstudio.gui.design.neuron_view import Column, NeuronCanvas, dense_chain
from nnstudio.gui.design.playground_side import (
    CostSpark,
    PlaneOutput,
    diverging_rgba,
    rgba_image,
)
from nnstudio.gui.design.toy_controls import ToyDataBar
from nnstudio.gui.session import Session

#: grid points per side of the output picture (the neuron pictures use every second)
PLANE_SIDE = 48
#: pictures made per layer at most (a column shows fewer neurons than that)
MAX_PICTURES = 64


def signed(values: np.ndarray, activation: str) -> tuple[np.ndarray, float | None]:
    """A neuron's values made ready for the orange-white-blue palette: (values, full scale).

    tanh is drawn as it is (-1 .. 1), sigmoid and softmax as 2p − 1 (0.5 is white), others
    scaled by their largest magnitude.
    """
    if activation in ("sigmoid", "softmax"):
        return 2.0 * values - 1.0, 1.0
    if activation == "tanh":
        return values, 1.0
    return values, None


def output_values(maps: PlaneMaps, last: Column) -> np.ndarray:
    """The output over the plane in [-1, 1], (side, side): blue for the second class."""
    out = maps.nodes.get(last.shown)
    if out is None:
        return np.zeros((0, 0), np.float32)
    values, scale = signed(out[:, :, -1], last.activation)
    top = scale or float(np.abs(values).max()) or 1.0
    return np.clip(values / top, -1.0, 1.0)


def point_labels(ds: Dataset) -> np.ndarray:
    """Each sample's colour value in [-1, 1]: the second class +1, the first −1 (regression:
    the target scaled by its largest magnitude)."""
    if ds.task == "classification":
        return np.where(ds.y >= 1, 1.0, -1.0).astype(np.float32)
    y = ds.y[:, 0]
    return (y / (float(np.abs(y).max()) or 1.0)).astype(np.float32)


class NeuronPanel(QWidget):
    """Neuron canvas, legend and the clicked neuron's details; follows the session live."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.canvas = NeuronCanvas()
        self.detail = NeuronDetail(session)
        self.canvas.buttons = EditButtons(self.canvas, session, self.say)
        self.toy_bar = ToyDataBar(session)
        self.toy_bar.said.connect(self.say)
        self.output = PlaneOutput()
        self.cost = CostSpark()
        self.side = self._side()
        self.message = QLabel()
        self.message.setObjectName("neuronMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.ERROR}; font-size: 9pt;")
        self.message.hide()
        self.input_note = QLabel()
        self.input_note.setStyleSheet(f"color: {theme.FAINT}; font-style: italic; "
                                      "font-size: 9pt;")
        legend = QLabel()
        self.legend = legend
        legend.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
        legend.setObjectName("neuronLegend")
        self.input_note.setWordWrap(True)
        legend.setWordWrap(True)
        top = QVBoxLayout()   # a line each: neither is squeezed into half the width
        top.setContentsMargins(12, 6, 12, 6)
        top.setSpacing(2)
        top.addWidget(self.message)
        top.addWidget(self.input_note)
        top.addWidget(legend)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(0)
        left.addWidget(self.canvas, 1)
        left.addLayout(top)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toy_bar)
        lay.addLayout(left, 1)
        column = QWidget()
        right = QVBoxLayout(column)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.side)
        right.addWidget(self.detail, 1)
        # the output and the details share the column: it scrolls rather than squeeze them
        scroll = QScrollArea()
        scroll.setObjectName("neuronSideScroll")
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(self.detail.width() + scroll.verticalScrollBar().sizeHint().width())
        lay.addWidget(scroll)
        self.canvas.neuronClicked.connect(self._clicked)
        self.detail.inputEdited.connect(self._input_edited)
        self.override: np.ndarray | None = None
        self.updates = 0
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self.refresh)
        for sig in (session.snapshotApplied, session.modelChanged, session.inputChanged,
                    session.designEdited, session.datasetChanged):
            sig.connect(self.schedule)
        session.designReplaced.connect(self._replaced)
        session.snapshotApplied.connect(self._add_costs)
        session.datasetChanged.connect(self.cost.clear)
        session.trainingStateChanged.connect(self._state)
        if session.training is not None:
            session.training.wasReset.connect(self.cost.clear)
        self._state(session.training_state)
        self._legend(False)

    def _side(self) -> QWidget:
        side = QWidget()
        side.setObjectName("playgroundSide")
        side.setFixedWidth(self.detail.width())
        lay = QVBoxLayout(side)
        lay.setContentsMargins(12, 8, 12, 4)
        lay.setSpacing(4)
        title = QLabel("OUTPUT")
        title.setStyleSheet(f"color: {theme.TEXT}; font-weight: bold; font-size: 9pt;")
        lay.addWidget(title)
        lay.addWidget(self.cost)
        lay.addWidget(self.output)
        note = QLabel(f"<span style='color:{theme.NEGATIVE}'>■</span> class 0 &nbsp; "
                      f"<span style='color:{theme.POSITIVE}'>■</span> class 1 · white rim: "
                      "training point, dark rim: test point")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {theme.MUTED}; font-size: 8.5pt;")
        lay.addWidget(note)
        side.hide()
        return side

    def _legend(self, playground: bool) -> None:
        self.legend.setText(
            f"<span style='color:{theme.NEGATIVE}'>■</span> negative &nbsp; "
            f"<span style='color:{theme.POSITIVE}'>■</span> positive &nbsp;·&nbsp; "
            "weight · thicker = larger · " + ("each square: what the neuron answers over "
                                              "the plane" if playground else
                                              "fill = activation"))

    def say(self, text: str) -> None:
        """Show why an edit was refused (hidden again by the next successful change)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _state(self, _state: str = "") -> None:
        self.canvas.locked = self.session.is_training
        self.canvas.place_buttons()

    def _add_costs(self, snapshot) -> None:
        for epoch in snapshot.epochs:
            self.cost.add(epoch.train_loss, epoch.val_loss)

    def schedule(self, *_args) -> None:
        """Ask for a redraw; many requests within ~80 ms make one."""
        self._stale = True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def _replaced(self) -> None:
        self.override = None
        self.canvas.selected = None
        self.detail.clear()
        self.cost.clear()
        self.schedule()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def current_input(self, size: int) -> np.ndarray:
        """The sample to run, shape (size,): the canvas drawing, a typed input or zeros."""
        s = self.session
        if self.override is not None and self.override.size == size:
            self.input_note.setText("Input: the values you typed (click an input neuron).")
            return self.override
        if s.current_input is not None and s.current_input.size == size:
            self.input_note.setText("Input: your drawing on the Draw page.")
            return s.current_input.reshape(-1).astype(np.float32)
        ds = s.dataset
        if ds is not None and ds.n and int(prod(ds.sample_shape)) == size:
            self.input_note.setText("Input: the first example of the dataset.")
            return np.asarray(ds.x[0], np.float32).reshape(-1)
        self.input_note.setText("Input: all zeros. Draw a digit, or click an input neuron.")
        return np.zeros(size, np.float32)

    def refresh(self) -> None:
        """Recompute columns, weights and activations and repaint.

        The next refresh waits at least twice as long as this one and the last paint took
        (80 to 500 ms), so while training sends snapshots the view keeps to about a third of
        the window's time, however large the network.
        """
        start = time.perf_counter()
        self._refresh()
        spent = (time.perf_counter() - start) * 1000 + self.canvas.paint_ms
        self._timer.setInterval(int(min(500.0, max(80.0, 2 * spent))))

    def _refresh(self) -> None:
        self._stale = False
        self.updates += 1
        canvas = self.canvas
        chain = dense_chain(self.session.design)
        net = self.session.network
        self.message.hide()
        if isinstance(chain, str) or net is None:
            canvas.columns = []
            canvas.reason = chain if isinstance(chain, str) else \
                "The design has a problem, so it has no neurons to show: see the diagram."
            canvas.place_buttons()
            ds = self.session.dataset
            # a dense chain that does not compile yet keeps the toy data's controls at hand
            self.toy_bar.setVisible(not isinstance(chain, str) and not chain[0].image_side
                                    and ds is not None and ds.meta.get("toy") in TOY_SETS)
            self.side.hide()
            canvas.update()
            self.detail.clear()
            return
        canvas.reason = ""
        x = self.current_input(chain[0].size)
        try:
            acts = net.activations(x.reshape(1, *net.input_shape))
        except (ValueError, RuntimeError) as err:
            canvas.columns, canvas.reason = [], f"Cannot run the network: {err}"
            canvas.update()
            return
        for col in chain:
            a = acts.get(col.shown, acts.get(col.node))
            col.values = np.asarray(a, np.float32).reshape(-1) if a is not None else x
        chain[0].values = x
        canvas.columns = chain
        canvas.weights = net.get_weights()
        canvas.class_names = self.session.class_names
        ds = self.session.dataset
        canvas.input_names = list(ds.feature_names or []) if ds is not None else []
        if len(canvas.input_names) != chain[0].size:
            canvas.input_names = []
        self.detail.input_names = canvas.input_names
        if chain[0].image_side:
            side = chain[0].image_side
            canvas.input_image = weight_image(x.reshape(side, side), signed=False)
        if canvas.selected and canvas.selected[0] >= len(chain):
            canvas.selected = None
        if canvas.buttons is not None:
            canvas.buttons.set_layers([Hidden(c.node, c.shown, c.size, c.activation)
                                       for c in chain[1:-1]], chain[0].shown)
        canvas.place_buttons()
        self._playground(chain, net)
        canvas.update()
        if canvas.selected:
            self.detail.show_neuron(chain, *canvas.selected, canvas.weights)

    def _clicked(self, c: int, i: int) -> None:
        self.detail.show_neuron(self.canvas.columns, c, i, self.canvas.weights)

    def _input_edited(self, index: int, value: float) -> None:
        cols = self.canvas.columns
        if not cols:
            return
        base = cols[0].values.copy()
        base[index] = value
        self.override = base
        self.refresh()

    # ------------------------------------------------------------------ the playground
    def is_playground(self) -> bool:
        """True when the data is a 2-D toy set and the network takes vectors."""
        ds = self.session.dataset
        cols = self.canvas.columns
        return (ds is not None and ds.meta.get("toy") in TOY_SETS and bool(cols)
                and not cols[0].image_side)

    def _playground(self, chain: list[Column], net) -> None:
        """The neuron pictures, the output over the plane and the data, for a toy set."""
        canvas = self.canvas
        canvas.pictures = {}
        toy = self.is_playground()
        self.toy_bar.setVisible(toy)
        self.side.setVisible(toy)
        self._legend(toy)
        if not toy:
            return
        ds = self.session.dataset
        features = list(ds.meta.get("features", PLAIN))
        points = toy_points(ds)
        if points is None or len(features) != chain[0].size:
            self.output.set_output(np.zeros((0, 0), np.float32), self.output.bounds)
            self.say(f"The network takes {chain[0].size} inputs but the data has "
                     f"{len(features)} features: tick the features it should take.")
            return
        bounds = square_bounds(points)
        try:
            maps = plane_maps(net, lambda p: feature_columns(p, features), bounds, PLANE_SIDE,
                              [c.shown for c in chain[1:]])
        except (ValueError, RuntimeError) as err:
            self.say(f"Cannot run the network over the plane: {err}")
            return
        for c, col in enumerate(chain):
            values = maps.inputs if c == 0 else maps.nodes.get(col.shown)
            if values is None:
                continue
            small = np.moveaxis(values[::2, ::2, :MAX_PICTURES], 2, 0)   # (units, s, s)
            if c == 0:   # each feature on its own scale
                rgba = diverging_rgba(small, np.abs(small).max(axis=(1, 2))[:, None, None])
            else:
                v, scale = signed(small, col.activation)
                rgba = diverging_rgba(v, scale)
            canvas.pictures[c] = [rgba_image(r) for r in rgba]
        self.output.set_output(output_values(maps, chain[-1]), bounds)
        test = np.zeros(ds.n, bool)
        controller = self.session.training
        if controller is not None:
            cfg = controller.config
            test[split_indices(ds.n, cfg.val_split, np.random.default_rng(cfg.seed))[1]] = True
        self.output.set_points(points, point_labels(ds), test)
