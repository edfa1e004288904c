"""The 2-D toy data beside the Neurons view: which set, its noise, the test share, the features.

As TensorFlow Playground's left column: a change here names new data for training
(``toy:spiral:noise=0.2:test=0.3:features=x1,x2,sin1``, see :mod:`nnstudio.data.toy`) and
loads it through the training controller's data feed, the one owner of the data in use. The
test share becomes the share training holds out. Choosing features changes how many inputs
the network takes: that is an ordinary design edit on the Input layer, undone with Undo like
any other; the layers after the first keep their trained weights. The learning rate is here
too (it changes live, as in the Training panel). While a run is active (running or paused)
the data and the features wait: Stop first, then Play continues from the weights it has.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from nnstudio.data.toy import FEATURES, PLAIN, TOY_SETS, toy_spec
from nnstudio.gui.design import theme
from nnstudio.gui.design.commands import SetParamsCommand
from nnstudio.gui.session import Session

__all__ = ["ToyDataBar"]

#: the learning rates offered, as in Playground's list
RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
#: what each set is called in the list
SET_NAMES = {"circle": "Circle", "xor": "Exclusive or", "gaussians": "Two clouds",
             "spiral": "Spiral", "plane": "Plane (regression)"}


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet(f"color: {theme.TEXT}; font-weight: bold; font-size: 9pt;")
    return label


class ToyDataBar(QWidget):
    """Toy set, noise, test share, features and learning rate (objectName ``toyData``).

    Signals
    -------
    said(str)
        A sentence for the person (why a change waits or was refused).
    """

    said = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toyData")
        self.session = session
        self.setFixedWidth(176)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 6, 8)
        lay.setSpacing(4)

        lay.addWidget(_heading("Data"))
        self.set_combo = QComboBox()
        self.set_combo.setObjectName("toySet")
        for key in TOY_SETS:
            self.set_combo.addItem(SET_NAMES.get(key, key), key)
        self.set_combo.setCurrentIndex(self.set_combo.findData("spiral"))
        self.set_combo.setToolTip("Which 2-D set to learn")
        lay.addWidget(self.set_combo)
        self.noise_label = QLabel()
        self.noise = self._slider("toyNoise", 0, 50, 0, "How far points stray from their "
                                  "shape (0 to 50 %)")
        self.test_label = QLabel()
        self.test = self._slider("toyTest", 5, 90, 10, "The share of points kept aside to "
                                 "test on: training never sees them")
        for label, slider in ((self.test_label, self.test), (self.noise_label, self.noise)):
            label.setStyleSheet(f"color: {theme.MUTED}; font-size: 9pt;")
            lay.addWidget(label)
            lay.addWidget(slider)

        lay.addSpacing(6)
        lay.addWidget(_heading("Features"))
        hint = QLabel("What the network is fed, computed from each point (x1, x2)")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.MUTED}; font-size: 8.5pt; font-style: italic;")
        lay.addWidget(hint)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.features: dict[str, QCheckBox] = {}
        for i, (key, name) in enumerate(FEATURES.items()):
            box = QCheckBox(name)
            box.setObjectName(f"feature_{key}")
            box.setChecked(key in PLAIN)
            box.setToolTip(f"Feed the network {name} of each point")
            box.toggled.connect(self._feature_toggled)
            grid.addWidget(box, i // 2, i % 2)
            self.features[key] = box
        lay.addLayout(grid)

        lay.addSpacing(6)
        lay.addWidget(_heading("Learning rate"))
        self.rate = QComboBox()
        self.rate.setObjectName("toyLearningRate")
        for r in RATES:
            self.rate.addItem(f"{r:g}", r)
        self.rate.setToolTip("The size of each gradient-descent step; changes live")
        lay.addWidget(self.rate)
        self.note = QLabel()
        self.note.setObjectName("toyNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {theme.MUTED}; font-size: 8.5pt; font-style: italic;")
        lay.addWidget(self.note)
        lay.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)   # a slider dragged across loads once, at its end
        self._timer.timeout.connect(self.apply)
        self.set_combo.currentIndexChanged.connect(self._timer.start)
        self.noise.valueChanged.connect(self._changed)
        self.test.valueChanged.connect(self._changed)
        self.rate.currentIndexChanged.connect(self._rate_chosen)
        session.datasetChanged.connect(self.follow_data)
        session.trainingStateChanged.connect(self._state)
        controller = session.training
        if controller is not None:
            controller.configChanged.connect(self.follow_config)
            controller.data.failed.connect(self.say)
        self._labels()
        self.follow_config()
        self.follow_data()
        self._state(session.training_state)

    def _slider(self, name: str, lo: int, hi: int, value: int, tip: str) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setObjectName(name)
        slider.setRange(lo, hi)
        slider.setSingleStep(5)
        slider.setPageStep(10)
        slider.setValue(value)
        slider.setToolTip(tip)
        return slider

    def _labels(self) -> None:
        self.noise_label.setText(f"Noise: {self.noise.value()} %")
        self.test_label.setText(f"Test data: {self.test.value()} %")

    # ------------------------------------------------------------------ what is chosen
    def chosen_features(self) -> tuple[str, ...]:
        """The ticked features, in the order of :data:`FEATURES`."""
        return tuple(k for k, box in self.features.items() if box.isChecked())

    def spec(self) -> str:
        """The data spec the controls name."""
        return toy_spec(str(self.set_combo.currentData()), noise=self.noise.value() / 100,
                        test=self.test.value() / 100, features=self.chosen_features())

    # ------------------------------------------------------------------ following
    def follow_data(self) -> None:
        """Show the toy set in use (its set, noise, test share and features)."""
        ds = self.session.dataset
        meta = ds.meta if ds is not None else {}
        if meta.get("toy") not in TOY_SETS:
            name = ds.name if ds is not None else "none"
            self.note.setText(f"The data in use is not a 2-D toy set ({name}): a change here "
                              "chooses one.")
            return
        controls = (self.set_combo, self.noise, self.test, *self.features.values())
        for w in controls:      # showing the data is no request to load it again
            w.blockSignals(True)
        try:
            self.set_combo.setCurrentIndex(self.set_combo.findData(meta["toy"]))
            self.noise.setValue(round(float(meta.get("noise", 0.0)) * 100))
            if "test" in meta:
                self.test.setValue(round(float(meta["test"]) * 100))
            for key, box in self.features.items():
                box.setChecked(key in meta.get("features", PLAIN))
        finally:
            for w in controls:
                w.blockSignals(False)
        self._labels()
        controller = self.session.training
        if controller is not None and "test" in meta and \
                abs(controller.config.val_split - float(meta["test"])) > 1e-9:
            controller.apply_settings(val_split=float(meta["test"]))
        self.note.setText(f"{ds.n:,} points: {self.test.value()} % kept for testing.")

    def follow_config(self) -> None:
        """Show the learning rate in use (the nearest offered)."""
        controller = self.session.training
        if controller is None:
            return
        lr = float(controller.config.lr)
        best = min(range(len(RATES)), key=lambda i: abs(RATES[i] - lr))
        self.rate.blockSignals(True)
        self.rate.setCurrentIndex(best)
        self.rate.blockSignals(False)

    def _state(self, state: str) -> None:
        active = self.session.is_training
        for w in (self.set_combo, self.noise, self.test, *self.features.values()):
            w.setEnabled(not active)
            w.setToolTip(w.toolTip().split("\n")[0] + ("\nStop training to change the data"
                                                       if active else ""))
        if active:
            self.note.setText("Training runs on this data: Stop it to change the data or the "
                              "features; Play then goes on from the weights it has.")
        else:
            self.follow_data()

    # ------------------------------------------------------------------ changing
    def _changed(self) -> None:
        self._labels()
        self._timer.start()

    def _feature_toggled(self, on: bool) -> None:
        if not self.chosen_features():
            box = self.sender()
            if isinstance(box, QCheckBox):
                box.blockSignals(True)
                box.setChecked(True)
                box.blockSignals(False)
            self.say("The network needs at least one feature to look at.")
            return
        self._timer.start()

    def _rate_chosen(self) -> None:
        controller = self.session.training
        if controller is not None:
            controller.set_lr(float(self.rate.currentData()))

    def say(self, text: str) -> None:
        """Show ``text`` under the controls and tell whoever listens."""
        self.note.setText(text)
        self.said.emit(text)

    def apply(self) -> None:
        """Make the design take the chosen features and load the data the controls name."""
        self._timer.stop()
        controller = self.session.training
        if controller is None:
            self.say("There is no training here to give the data to.")
            return
        if self.session.is_training:
            self.say("Stop training to change the data; Play then continues.")
            return
        design = self.session.design
        inp = design.input_node
        n = len(self.chosen_features())
        if inp is not None and list(inp.params.get("shape", [])) != [n]:
            self.session.undo_stack.push(SetParamsCommand(design, inp.id, {"shape": [n]}))
        test = self.test.value() / 100
        if abs(controller.config.val_split - test) > 1e-9:
            controller.apply_settings(val_split=test)
        spec = self.spec()
        if spec != controller.data.spec:
            self.note.setText("Making the points…")
            controller.data.load(spec)
