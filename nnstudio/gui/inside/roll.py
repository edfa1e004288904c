"""The rolling ball: gradient descent on a cost curve with a local and a global minimum.

Not the network's cost: a curve of one weight chosen to show, in a few seconds, what the
learning rate and the starting point do (:mod:`nnstudio.core.insight.roll`). The person sets
the learning rate and where the ball starts (or picks one of the four examples) and presses
Roll: the ball takes one step ``w ← w − lr × J′(w)`` every few milliseconds, leaving its
trail, and the view says what happened: it crawled, it bounced across the valley, it flew
off, it found the lowest point, or it settled in a local minimum behind a hill.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from nnstudio.core.insight import roll
from nnstudio.gui.flow import FlowLayout
from nnstudio.gui.inside.base import InsightView
from nnstudio.gui.inside.style import BLUE, GREY, INK, ORANGE, style_plot

STEPS = 60             # steps of one roll
STEP_MS = 15           # time between two steps of the animation
W_RANGE = (-3.3, 3.5)  # the part of the curve drawn


class RollView(InsightView):
    """A ball rolling down a cost curve with two valleys, at the chosen learning rate."""

    title = "Rolling ball"
    shows_weights = False   # a curve of its own, not the network's
    hint = ("Gradient descent in one weight. The curve is a cost with two valleys: the lowest "
            "point (the global minimum) on the left, a higher valley (a local minimum) on the "
            "right, a hill between them. Each step moves the ball by −(learning rate × slope). "
            "Try a tiny learning rate, a large one, and a start on the right of the hill.")

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, parent, min_interval_ms=50)
        self.setObjectName("rollView")
        self.preset = QComboBox()
        self.preset.setObjectName("rollPreset")
        self.preset.addItem("Choose an example…")
        self.preset.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(len("Choose an example…") + 1)
        for name, (_, _, text) in roll.PRESETS.items():
            self.preset.addItem(f"{name}: {text}", name)
        self.preset.activated.connect(self._on_preset)
        self.rate = QDoubleSpinBox()
        self.rate.setObjectName("rollRate")
        self.rate.setDecimals(4)
        self.rate.setRange(0.0001, 2.0)
        self.rate.setSingleStep(0.01)
        self.rate.setValue(0.1)
        self.start = QDoubleSpinBox()
        self.start.setObjectName("rollStart")
        self.start.setDecimals(2)
        self.start.setRange(-3.2, 3.4)
        self.start.setSingleStep(0.1)
        self.start.setValue(-0.3)
        self.roll_button = QPushButton("Roll")
        self.roll_button.setObjectName("rollButton")
        self.roll_button.setToolTip(f"Take {STEPS} steps of gradient descent")
        self.step_button = QPushButton("One step")
        self.step_button.setObjectName("rollStepButton")
        self.reset_button = QPushButton("Back to the start")
        self.reset_button.setObjectName("rollResetButton")
        self.controls = QWidget()  # the row wraps where a dock leaves the view narrow
        self.controls.setObjectName("rollControls")
        row = FlowLayout(self.controls, spacing=8, line_spacing=4)
        row.addWidget(self.preset)
        for text, box in (("Learning rate:", self.rate), ("Start at w =", self.start)):
            pair = QWidget()  # a label stays with its box
            pair_row = QHBoxLayout(pair)
            pair_row.setContentsMargins(0, 0, 0, 0)
            pair_row.addWidget(QLabel(text))
            pair_row.addWidget(box)
            row.addWidget(pair)
        for b in (self.roll_button, self.step_button, self.reset_button):
            row.addWidget(b)
        self.body.addWidget(self.controls)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("rollPlot")
        self.plot.hideButtons()
        self.plot.setMouseEnabled(False, False)
        style_plot(self.plot.getPlotItem(), "weight w", "cost J(w)")
        ws = np.linspace(*W_RANGE, 400)
        self.plot.addItem(pg.PlotDataItem(ws, roll.cost(ws), pen=pg.mkPen(BLUE, width=2)))
        self.trail = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=1.5,
                                                  style=Qt.PenStyle.DashLine),
                                     symbol="o", symbolSize=5, symbolBrush=ORANGE,
                                     symbolPen=None)
        self.ball = pg.ScatterPlotItem(size=18, brush=pg.mkBrush(ORANGE),
                                       pen=pg.mkPen("w", width=2))
        self.ball.setZValue(10)
        self.plot.addItem(self.trail)
        self.plot.addItem(self.ball)
        low = roll.minima()
        for m, text in zip(low, ("global minimum", "local minimum"), strict=False):
            label = pg.TextItem(text, color=GREY, anchor=(0.5, -0.4))
            label.setPos(m, float(roll.cost(m)))
            self.plot.addItem(label)
        top = float(roll.cost(np.array(W_RANGE)).max())
        self.plot.setRange(xRange=W_RANGE, yRange=(-0.5, top), padding=0.02)
        self.body.addWidget(self.plot, 1)
        self.verdict = QLabel("")
        self.verdict.setObjectName("rollVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet(f"color: {INK}; font-size: 11pt;")
        self.verdict.setMinimumHeight(3 * self.verdict.fontMetrics().height())
        self.body.addWidget(self.verdict)

        self._roll_timer = QTimer(self)
        self._roll_timer.setInterval(STEP_MS)
        self._roll_timer.timeout.connect(self._advance)
        self._left = 0
        self.path = np.array([self.start.value()])
        self.roll_button.clicked.connect(self.roll)
        self.step_button.clicked.connect(lambda: self._take(1))
        self.reset_button.clicked.connect(self._restart)
        self.start.valueChanged.connect(self._restart)
        self.rate.valueChanged.connect(self._restart)
        self._restart()

    @property
    def rolling(self) -> bool:
        """True while the ball is moving."""
        return self._roll_timer.isActive()

    def _on_preset(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name is None:
            return
        w0, lr, _ = roll.PRESETS[name]
        for box, value in ((self.start, w0), (self.rate, lr)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._restart()

    def _restart(self) -> None:
        self._roll_timer.stop()
        self.path = np.array([self.start.value()])
        self._draw()
        w = self.path[0]
        self.verdict.setText(f"The ball starts at w = {w:.2f}, where the cost is "
                             f"{float(roll.cost(w)):.2f} and the slope {float(roll.slope(w)):.2f}."
                             f" Press Roll.")

    def roll(self) -> None:
        """Roll :data:`STEPS` steps, animated."""
        self._left = STEPS
        self._roll_timer.start()

    def _advance(self) -> None:
        if self._left <= 0 or not self._take(1):
            self._roll_timer.stop()
            self.verdict.setText(roll.judge(self.path, self.rate.value()).text)
            return
        self._left -= 1

    def _take(self, n: int) -> bool:
        """Take ``n`` steps from where the ball is; False once it left the curve."""
        w = float(self.path[-1])
        if not np.isfinite(w) or abs(w) > roll.LIMIT:
            return False
        lr = self.rate.value()
        more = roll.roll(w, lr, n)[1:]
        self.path = np.concatenate([self.path, more])
        self._draw()
        w, slope = float(self.path[-1]), float(roll.slope(self.path[-1]))
        if abs(w) > roll.LIMIT:
            self.verdict.setText(roll.judge(self.path, lr).text)
            return False
        self.verdict.setText(f"Step {len(self.path) - 1}: slope {slope:.3f}, so the ball moves "
                             f"by −{lr:g} × {slope:.3f} = {-lr * slope:.3f} to w = {w:.3f}.")
        return True

    def _draw(self) -> None:
        shown = self.path[np.abs(self.path) <= roll.LIMIT]
        self.trail.setData(shown, roll.cost(shown))
        w = float(np.clip(self.path[-1], *W_RANGE))
        self.ball.setData([w], [float(roll.cost(w))])

    def refresh(self) -> None:
        self.show_body()   # the curve does not depend on the network
