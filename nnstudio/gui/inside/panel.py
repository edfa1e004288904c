"""The Inside page: one tab per view of what happens inside the network."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from nnstudio.gui.binding import bind
from nnstudio.gui.session import Session


def view_classes() -> list[tuple[str, str, type]]:
    """(objectName, tab title, class) of every view, in tab order."""
    from nnstudio.gui.inside.backprop import BackpropView
    from nnstudio.gui.inside.boundary import DecisionBoundaryView
    from nnstudio.gui.inside.conv import ConvolutionView
    from nnstudio.gui.inside.cost import CostSurfaceView
    from nnstudio.gui.inside.estimates import EstimatesView
    from nnstudio.gui.inside.evaluation import EvaluationView
    from nnstudio.gui.inside.ideal import IdealDigitsView
    from nnstudio.gui.inside.layer_map import LayerMapView
    from nnstudio.gui.inside.roll import RollView
    from nnstudio.gui.inside.weights import WeightsView
    from nnstudio.gui.inside.why import WhyView

    return [
        ("boundaryView", "Decision boundary", DecisionBoundaryView),
        ("costView", "Cost surface", CostSurfaceView),
        ("rollView", "Rolling ball", RollView),
        ("backpropView", "Backprop", BackpropView),
        ("convView", "Convolution", ConvolutionView),
        ("whyView", "Why", WhyView),
        ("evaluationView", "Mistakes", EvaluationView),
        ("estimatesView", "Estimates", EstimatesView),
        ("idealDigitsView", "Ideal digits", IdealDigitsView),
        ("layerMapView", "Layer map", LayerMapView),
        ("weightsView", "Weights", WeightsView),
    ]


class InsightPanel(QWidget):
    """The "Inside" page. Only the view on screen redraws; the others just take notes.

    Parameters
    ----------
    session : Session
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightPanel")
        self.session = session
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("insightTabs")
        self.tabs.setDocumentMode(True)
        # eleven views: narrower tabs, so all of them show beside the Training dock
        self.tabs.setStyleSheet("QTabBar::tab { padding: 6px 9px; }")
        layout.addWidget(self.tabs)
        self.views: dict[str, Any] = {}
        for name, title, cls in view_classes():
            view = cls(session)
            view.setObjectName(name)
            self.views[name] = view
            self.tabs.addTab(view, title)
        session.designReplaced.connect(self._pick_fitting_view)
        session.datasetChanged.connect(self._name_tabs)
        self._pick_fitting_view()
        self._name_tabs()
        bind(self, session.state, "inside_view", changed=self.tabs.currentChanged,
             read=lambda: self.tabs.currentWidget().objectName(),
             show=self.show_view)

    def _name_tabs(self) -> None:
        """Regression has errors, not mistakes: the evaluation tab says which."""
        ds = self.session.dataset
        title = "Errors" if ds is not None and ds.task == "regression" else "Mistakes"
        self.tabs.setTabText(self.tabs.indexOf(self.views["evaluationView"]), title)

    def show_view(self, name: str) -> None:
        """Bring the view with objectName ``name`` to the front (if there is one)."""
        view = self.views.get(name)
        if view is not None:
            self.tabs.setCurrentWidget(view)

    def fitting_view(self) -> str:
        """The view that suits the current design best (a new design opens on it)."""
        net = self.session.network
        if net is None:
            return "evaluationView"
        kinds = {n.kind for n in net.design.nodes.values()}
        size = 1
        for s in net.input_shape:
            size *= int(s)
        if "Conv2D" in kinds:
            return "convView"
        if size == 2:
            return "boundaryView"
        if tuple(net.output_shape) == (2,) and kinds == {"Input", "Dense", "Output"} \
                and net.n_params == size * 2 + 2:
            return "idealDigitsView"  # one layer from pixels to two classes: 3 vs 7
        if net.n_params <= 64:
            return "costView"
        if net.task == "regression":
            return "estimatesView"
        return "evaluationView"

    def _pick_fitting_view(self) -> None:
        self.show_view(self.fitting_view())
