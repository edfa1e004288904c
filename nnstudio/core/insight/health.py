"""Neurons that stopped learning (dead ReLUs, saturated sigmoids), for the Weights view and
the badges of the diagram editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["HealthAccumulator", "NeuronHealth", "checked_layers", "find_unhealthy_neurons",
           "health_from_activations", "neuron_badges", "neuron_health"]


@dataclass
class NeuronHealth:
    """Neurons of one layer that stopped learning.

    Attributes
    ----------
    node_id : str
    activation : str
    n_units : int
        Neurons (Dense units or Conv2D filters) in the layer.
    dead : ndarray of int
        ReLU neurons whose output is 0 for every sample: their gradient is 0, they never learn.
    saturated : ndarray of int
        Sigmoid/tanh neurons stuck near their limits for almost every sample: tiny gradient.
    """

    node_id: str
    activation: str
    n_units: int
    dead: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    saturated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def ok(self) -> bool:
        return len(self.dead) == 0 and len(self.saturated) == 0

    def summary(self) -> str:
        """Short text, e.g. ``"3 of 16 dead"`` or ``"healthy"``."""
        parts = []
        if len(self.dead):
            parts.append(f"{len(self.dead)} of {self.n_units} dead")
        if len(self.saturated):
            parts.append(f"{len(self.saturated)} of {self.n_units} saturated")
        return ", ".join(parts) or "healthy"


def _unit_stats(outputs: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Per unit: the largest output, how many outputs sit near a limit, and the count.

    ``outputs`` (N, units) or (N, C, H, W), unit axis 1. Returns float32 (units,),
    int64 (units,), and the number of outputs per unit (N * H * W)."""
    a = np.asarray(outputs, dtype=np.float32)
    units = a.shape[1] if a.ndim > 1 else 1
    a = a.reshape(len(a), units, -1)                                 # (N, units, HW)
    count = a.shape[0] * a.shape[2]
    if count == 0:
        return np.full(units, -np.inf, np.float32), np.zeros(units, np.int64), 0
    top = a.max(axis=(0, 2))
    if activation == "sigmoid":
        near = ((a < 0.02) | (a > 0.98)).sum(axis=(0, 2))
    elif activation == "tanh":
        near = (np.abs(a) > 0.98).sum(axis=(0, 2))
    else:
        near = np.zeros(units, np.int64)
    return top, near.astype(np.int64), count


def _judge(top: np.ndarray, near: np.ndarray, count: int, activation: str,
           saturated_share: float) -> tuple[np.ndarray, np.ndarray]:
    units = len(top)
    dead = np.zeros(units, dtype=bool)
    sat = np.zeros(units, dtype=bool)
    if count == 0:
        return dead, sat
    if activation in ("relu", "leaky_relu"):
        dead = top <= 0.0
    elif activation in ("sigmoid", "tanh"):
        sat = near / count >= saturated_share
    return dead, sat


def neuron_health(outputs: np.ndarray, activation: str, saturated_share: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Dead and saturated neurons from one layer's outputs on a batch.

    Parameters
    ----------
    outputs : ndarray, shape (N, units) or (N, C, H, W)
        The layer's outputs after its activation (unit axis 1).
    activation : str
        ``"relu"``/``"leaky_relu"`` can die; ``"sigmoid"``/``"tanh"`` can saturate.
    saturated_share : float
        A neuron is saturated when at least this share of its outputs sit near a limit.

    Returns
    -------
    (dead, saturated) : boolean ndarrays of shape (units,)
    """
    top, near, count = _unit_stats(outputs, activation)
    return _judge(top, near, count, activation, saturated_share)


class HealthAccumulator:
    """:func:`health_from_activations`, batch by batch: only per-neuron sums are kept.

    Parameters
    ----------
    design : Design
        The layers checked are :func:`checked_layers` of it.
    saturated_share : float
        As in :func:`neuron_health`.
    """

    def __init__(self, design: Any, saturated_share: float = 0.95) -> None:
        self.layers = checked_layers(design)
        self.saturated_share = saturated_share
        self._stats: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}

    def add(self, acts: dict[str, np.ndarray]) -> None:
        """Fold in the outputs of one batch (node id -> (N, ...))."""
        for node_id, act in self.layers.items():
            if node_id not in acts:
                continue
            top, near, count = _unit_stats(acts[node_id], act)
            old = self._stats.get(node_id)
            if old is not None and len(old[0]) == len(top):
                top, near, count = np.maximum(old[0], top), old[1] + near, old[2] + count
            self._stats[node_id] = (top, near, count)

    def report(self) -> dict[str, NeuronHealth]:
        """Node id -> NeuronHealth for every checked layer seen, in the design's order."""
        out: dict[str, NeuronHealth] = {}
        for node_id, act in self.layers.items():
            if node_id not in self._stats:
                continue
            top, near, count = self._stats[node_id]
            dead, sat = _judge(top, near, count, act, self.saturated_share)
            out[node_id] = NeuronHealth(node_id, act, int(len(dead)),
                                        np.flatnonzero(dead), np.flatnonzero(sat))
        return out


def _activation_name(node: Any) -> str | None:
    if node.kind in ("Dense", "Conv2D"):
        return node.params.get("activation")
    if node.kind == "Activation":
        return node.params.get("function")
    return None


def find_unhealthy_neurons(network: Any, x: np.ndarray) -> dict[str, NeuronHealth]:
    """Check every hidden layer with an activation on the batch ``x``.

    Parameters
    ----------
    network : Network-like
        Needs ``design`` and ``activations(x)``.
    x : ndarray, shape (N, *sample_shape)
        A few hundred samples are plenty.

    Returns
    -------
    dict of node id to NeuronHealth, in the design's order (healthy layers included).
    """
    acts = network.activations(np.asarray(x, dtype=np.float32))
    return health_from_activations(network.design, acts)


def checked_layers(design: Any) -> dict[str, str]:
    """Hidden layers whose neurons can die or saturate: node id -> activation name."""
    out: dict[str, str] = {}
    for node_id, node in design.nodes.items():
        act = _activation_name(node)
        if act not in ("relu", "leaky_relu", "sigmoid", "tanh"):
            continue
        if any(design.nodes[d].kind == "Output" for d in design.outputs_of(node_id)):
            continue  # the answer layer is meant to sit near 0 or 1
        out[node_id] = act
    return out


def health_from_activations(design: Any, acts: dict[str, np.ndarray]
                            ) -> dict[str, NeuronHealth]:
    """:func:`find_unhealthy_neurons` from outputs already computed (node id -> (N, ...))."""
    acc = HealthAccumulator(design)
    acc.add(acts)
    return acc.report()


def neuron_badges(report: dict[str, NeuronHealth]) -> dict[str, str]:
    """Badge texts for the diagram, only for layers with a problem: ``{"dense1": "3 dead"}``."""
    out = {}
    for node_id, h in report.items():
        if h.ok:
            continue
        parts = []
        if len(h.dead):
            parts.append(f"{len(h.dead)} dead")
        if len(h.saturated):
            parts.append(f"{len(h.saturated)} saturated")
        out[node_id] = ", ".join(parts)
    return out
