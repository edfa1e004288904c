"""Built-in designs to start from: the lessons' networks and the usual MNIST classifiers.

Every template is a chain laid out left to right, built by :func:`get_template`, which
returns a fresh :class:`~nnstudio.core.design.Design` each call.
"""

from __future__ import annotations

from nnstudio.core.design import Design

#: Template name -> one-line description, in the order choosers show them.
TEMPLATES: dict[str, str] = {
    "perceptron": "One step neuron with 2 inputs: the perceptron learning rule",
    "linear": "Linear regression from 3 inputs with mean squared error (car prices)",
    "mlp": "784 → Dense 256 ReLU → Dense 128 ReLU → Dense 10 softmax (MNIST)",
    "cnn": "1×28×28 → Conv 16 → Pool → Conv 32 → Pool → Dense 128 → Dense 10 (MNIST)",
    "cnn16": "1×16×16 → Conv 8 3×3 → Pool → Conv 16 3×3 → Pool → Dense 64 → Dense 10 "
             "(16×16 digits)",
    "3v7": "784 → Dense 2 softmax: is it a 3 or a 7? (one weight image per digit)",
    "lenet": "LeNet-5 style CNN: Conv 6 5×5 → Pool → Conv 16 5×5 → Pool → 120 → 84 → 10",
    "playground": "2 inputs → Dense 16 tanh → Dense 16 tanh → 1 sigmoid (toy 2-D sets, the "
                  "spiral too)",
}

_X_STEP = 190.0

# name -> (input shape, [(id, kind, params), ...], loss)
_LAYERS: dict[str, tuple[list[int], list[tuple[str, str, dict]], str]] = {
    "perceptron": ([2], [("neuron", "Dense", {"units": 1, "activation": "step"})],
                   "binary_cross_entropy"),
    "linear": ([3], [("fc1", "Dense", {"units": 1, "activation": "linear"})], "mse"),
    "mlp": ([784], [
        ("fc1", "Dense", {"units": 256, "activation": "relu"}),
        ("fc2", "Dense", {"units": 128, "activation": "relu"}),
        ("fc3", "Dense", {"units": 10, "activation": "softmax"}),
    ], "cross_entropy"),
    "cnn": ([1, 28, 28], [
        ("conv1", "Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same",
                             "activation": "relu"}),
        ("pool1", "MaxPool2D", {"pool_size": 2}),
        ("conv2", "Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same",
                             "activation": "relu"}),
        ("pool2", "MaxPool2D", {"pool_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Dense", {"units": 128, "activation": "relu"}),
        ("fc2", "Dense", {"units": 10, "activation": "softmax"}),
    ], "cross_entropy"),
    "cnn16": ([1, 16, 16], [
        ("conv1", "Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same",
                             "activation": "relu"}),
        ("pool1", "MaxPool2D", {"pool_size": 2}),
        ("conv2", "Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same",
                             "activation": "relu"}),
        ("pool2", "MaxPool2D", {"pool_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Dense", {"units": 64, "activation": "relu"}),
        ("fc2", "Dense", {"units": 10, "activation": "softmax"}),
    ], "cross_entropy"),
    "3v7": ([784], [("fc1", "Dense", {"units": 2, "activation": "softmax"})],
            "cross_entropy"),
    "lenet": ([1, 28, 28], [
        ("conv1", "Conv2D", {"filters": 6, "kernel_size": 5, "padding": "same",
                             "activation": "relu"}),
        ("pool1", "MaxPool2D", {"pool_size": 2}),
        ("conv2", "Conv2D", {"filters": 16, "kernel_size": 5, "padding": "valid",
                             "activation": "relu"}),
        ("pool2", "MaxPool2D", {"pool_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Dense", {"units": 120, "activation": "relu"}),
        ("fc2", "Dense", {"units": 84, "activation": "relu"}),
        ("fc3", "Dense", {"units": 10, "activation": "softmax"}),
    ], "cross_entropy"),
    "playground": ([2], [
        ("fc1", "Dense", {"units": 16, "activation": "tanh"}),
        ("fc2", "Dense", {"units": 16, "activation": "tanh"}),
        ("fc3", "Dense", {"units": 1, "activation": "sigmoid"}),
    ], "binary_cross_entropy"),
}


def chain(name: str, input_shape: list[int], layers: list[tuple[str, str, dict]],
          loss: str) -> Design:
    """Build Input -> layers... -> Output as a left-to-right chain.

    Parameters
    ----------
    name : str
        Name of the design.
    input_shape : list of int
        Per-sample input shape, e.g. ``[784]`` or ``[1, 28, 28]``.
    layers : list of (id, kind, params)
        The layers between Input and Output, in order.
    loss : str
        The Output node's loss.
    """
    design = Design(name)
    prev = design.add_node("Input", {"shape": list(input_shape)}, node_id="input").id
    x = 0.0
    for node_id, kind, params in layers:
        x += _X_STEP
        design.add_node(kind, params, node_id=node_id, pos=(x, 0.0))
        design.connect(prev, node_id)
        prev = node_id
    design.add_node("Output", {"loss": loss}, node_id="output", pos=(x + _X_STEP, 0.0))
    design.connect(prev, "output")
    return design


def get_template(name: str) -> Design:
    """A new design built from the template ``name``.

    Raises
    ------
    KeyError
        Unknown name; the message lists the known ones.
    """
    if name not in _LAYERS:
        raise KeyError(f"There is no template '{name}': choose one of "
                       f"{', '.join(TEMPLATES)}")
    shape, layers, loss = _LAYERS[name]
    return chain(name, shape, layers, loss)
