"""Numbers behind the Inside page's views: plain NumPy, no drawing, one module per view.

Everything here works on arrays and on any network-like object that offers the methods of
:class:`~nnstudio.core.network.Network` it needs (``predict``, ``evaluate``, ``parameters``,
``activations``, ``design``), so it is tested without a window and reused by the command line
or the diagram editor.

Modules
-------
- :mod:`.plane`: the plane under a 2-D dataset (decision boundary view);
- :mod:`.cost`: the cost as a function of one or two chosen weights (cost surface view);
- :mod:`.evaluation`: class answers, confusion matrix, accuracy per class (Mistakes view);
- :mod:`.weights`: weight histograms over time and update/weight ratios (Weights view);
- :mod:`.health`: neurons that stopped learning, batch by batch, and the diagram's badges;
- :mod:`.regression`: a regression model's estimates in the target's own units (car prices);
- :mod:`.steps`: the step the optimizer in use takes next, from its own state;
- :mod:`.roll`: a ball rolling on a 1-D cost curve with a local and a global minimum;
- :mod:`.backprop`: the gradients of one batch, checked by finite differences, and the update.
- :mod:`.playground`: every neuron's value over the plane of a toy set fed as features
  (the Neurons view's pictures).

The names below are re-exported, so ``from nnstudio.core.insight import confusion_matrix``
works as well as importing from the module.
"""

from __future__ import annotations

from .backprop import BackpropReport, GradientCheck, ParamGradient, backprop_report
from .cost import (
    Pick,
    cost_curve,
    cost_slope,
    grid_points,
    iter_cost_pieces,
    iter_cost_surface,
    scalar_params,
    span_around,
)
from .evaluation import confusion_matrix, per_class_accuracy, predicted_classes
from .health import (
    HealthAccumulator,
    NeuronHealth,
    checked_layers,
    find_unhealthy_neurons,
    health_from_activations,
    neuron_badges,
    neuron_health,
)
from .plane import plane_bounds, plane_grid
from .regression import EstimateTable, estimate_table, regression_errors
from .steps import OptimizerState, next_step
from .weights import HistogramHistory, layer_update_ratios

__all__ = [
    "BackpropReport", "EstimateTable", "GradientCheck", "OptimizerState", "ParamGradient",
    "backprop_report", "estimate_table", "next_step", "regression_errors",
    "HealthAccumulator", "HistogramHistory", "NeuronHealth", "Pick", "checked_layers",
    "confusion_matrix", "cost_curve", "cost_slope", "find_unhealthy_neurons", "grid_points",
    "health_from_activations", "iter_cost_pieces", "iter_cost_surface", "layer_update_ratios",
    "neuron_badges", "neuron_health", "per_class_accuracy", "plane_bounds", "plane_grid",
    "predicted_classes", "scalar_params", "span_around",
]
