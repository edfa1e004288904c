"""Designs the export tests share: every template and a hand-built DAG."""

from __future__ import annotations

import numpy as np

from nnstudio.core.design import Design
from nnstudio.core.network import Network
from nnstudio.core.templates import TEMPLATES, get_template


def randomise(network: Network, seed: int = 0) -> Network:
    """Give every weight and bias a random value, so that a misplaced bias shows too."""
    rng = np.random.default_rng(seed)
    network.set_weights({k: (rng.standard_normal(v.shape) * 0.3).astype(np.float32)
                         for k, v in network.get_weights().items()})
    return network


def dag_design() -> Design:
    """Two image branches (strided 'valid' conv; 'same' conv + overlapping max-pool) joined
    by Concatenate, then two dense branches joined by Add; dropout, tanh, sigmoid, leaky
    ReLU, linear and softmax; ids that are not Python names or collide with ONNX names."""
    d = Design('branchy "dag" {v2}\\')
    d.add_node("Input", {"shape": [1, 12, 12]}, node_id="pixels")
    d.add_node("Conv2D", {"filters": 3, "kernel_size": 3, "stride": 2, "padding": "valid",
                          "activation": "relu"}, node_id="conv 1")
    d.add_node("Conv2D", {"filters": 4, "kernel_size": 3, "stride": 1, "padding": "same",
                          "activation": "leaky_relu"}, node_id="forward")
    d.add_node("MaxPool2D", {"pool_size": 3, "stride": 2}, node_id="pool")
    d.add_node("Concatenate", node_id="cat")
    d.add_node("Activation", {"function": "tanh"}, node_id="act")
    d.add_node("Flatten", node_id="flat")
    d.add_node("Dropout", {"rate": 0.3}, node_id="drop")
    d.add_node("Dense", {"units": 16, "activation": "sigmoid"}, node_id="input")
    d.add_node("Dense", {"units": 16, "activation": "linear"}, node_id="2nd")
    d.add_node("Add", node_id="sum")
    d.add_node("Dense", {"units": 5, "activation": "softmax"}, node_id="head")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="output")
    for a, b in [("pixels", "conv 1"), ("pixels", "forward"), ("forward", "pool"),
                 ("conv 1", "cat"), ("pool", "cat"), ("cat", "act"), ("act", "flat"),
                 ("flat", "drop"), ("drop", "input"), ("drop", "2nd"), ("input", "sum"),
                 ("2nd", "sum"), ("sum", "head"), ("head", "output")]:
        d.connect(a, b)
    return d


#: every design the exporters must handle
DESIGNS = [*TEMPLATES, "dag"]


def network_for(name: str) -> Network:
    design = dag_design() if name == "dag" else get_template(name)
    return randomise(Network(design, seed=3))


def meta_for(network: Network) -> dict:
    k = network.output_shape[0]
    classes = [f"class {i}" for i in range(k)] if network.task == "classification" else []
    return {"classes": classes}
