"""The arithmetic behind one pixel of a feature map: patch × kernel, summed, plus bias, activated.

A convolution layer slides each of its filters over its input. The value of filter ``f`` at
output position ``(y, x)`` is

    a[f, y, x] = act( Σ_c Σ_i Σ_j  input[c, y·s − p + i, x·s − p + j] · W[f, c, i, j] + b[f] )

with stride ``s`` and padding ``p`` (positions outside the input read 0). :func:`conv_pixel`
spells that sum out for one pixel of one sample, from the network's own weights and the
input the layer received, so the Inside page can show the patch, the kernel, the products,
their sum, the bias and the activation, and outline the patch on the input. Everything is
float64 and copied: nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.activations import get_activation

__all__ = ["ConvPixel", "conv_layers", "conv_pixel"]


@dataclass(frozen=True)
class ConvPixel:
    """One output pixel of a convolution, worked out.

    Attributes
    ----------
    layer : str
        The Conv2D node's id.
    filter, y, x : int
        Which filter and which output position.
    patch : ndarray (C, k, k)
        The input values under the kernel (0 where the window hangs over the edge).
    kernel : ndarray (C, k, k)
        The filter's weights.
    products : ndarray (C, k, k)
        ``patch * kernel``.
    total : float
        The sum of the products.
    bias : float
        The filter's bias.
    activation : str
        The layer's activation function's name.
    value : float
        ``activation(total + bias)``: the feature map's value at ``(y, x)``.
    top, left : int
        The patch's top-left corner in input coordinates (negative when it hangs over the
        top or left edge); the patch covers rows ``top .. top + k - 1`` and the same columns.
    """

    layer: str
    filter: int
    y: int
    x: int
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float
    bias: float
    activation: str
    value: float
    top: int
    left: int

    @property
    def pre_activation(self) -> float:
        """``total + bias``, what goes into the activation."""
        return self.total + self.bias

    @property
    def size(self) -> int:
        """The kernel's side ``k``."""
        return int(self.kernel.shape[-1])


def conv_layers(network: Any) -> list[str]:
    """The ids of the network's Conv2D nodes, in the network's order."""
    nodes = network.design.nodes
    return [name for name in network.layers if nodes[name].kind == "Conv2D"]


def _layer_input(network: Any, layer: str, image: np.ndarray) -> np.ndarray:
    """What ``layer`` receives for one sample ``image``: (C, H, W) float64."""
    sources = network.design.inputs_of(layer)
    if len(sources) != 1:
        raise ValueError(f"'{layer}' does not have exactly one input")
    acts = network.activations(np.asarray(image, dtype=np.float32)[None])
    x = np.asarray(acts[sources[0]][0], dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"'{layer}' receives a {x.shape} input, not C×H×W")
    return x


def conv_pixel(network: Any, layer: str, image: np.ndarray, filter: int, y: int, x: int
               ) -> ConvPixel:
    """Work out output pixel ``(filter, y, x)`` of Conv2D ``layer`` for one input ``image``.

    Parameters
    ----------
    network : Network
        Any network with ``design``, ``layers``, ``activations`` and ``get_weights``.
    layer : str
        The id of a Conv2D node.
    image : ndarray
        One sample in the network's input shape (e.g. (1, 28, 28) or (28, 28)).
    filter, y, x : int
        The feature map and the position in it.

    Raises
    ------
    ValueError
        When ``layer`` is not a Conv2D node or the position is outside its output.
    """
    node = network.design.nodes.get(layer)
    if node is None or node.kind != "Conv2D":
        raise ValueError(f"'{layer}' is not a convolution layer")
    weights = network.get_weights()
    W = np.asarray(weights[f"{layer}/W"], dtype=np.float64)      # (F, C, k, k)
    b = np.asarray(weights[f"{layer}/b"], dtype=np.float64)      # (F,)
    F, C, k, _ = W.shape
    stride = int(node.params.get("stride", 1))
    pad = (k - 1) // 2 if node.params.get("padding", "same") == "same" else 0
    inp = _layer_input(network, layer, image)                    # (C, H, W)
    _, H, Wd = inp.shape
    Ho = (H + 2 * pad - k) // stride + 1
    Wo = (Wd + 2 * pad - k) // stride + 1
    if not (0 <= filter < F and 0 <= y < Ho and 0 <= x < Wo):
        raise ValueError(f"({filter}, {y}, {x}) is outside '{layer}''s output "
                         f"of {F}×{Ho}×{Wo}")
    top, left = y * stride - pad, x * stride - pad
    padded = np.pad(inp, ((0, 0), (pad, pad), (pad, pad)))
    patch = padded[:, top + pad:top + pad + k, left + pad:left + pad + k].copy()
    kernel = W[filter].copy()
    products = patch * kernel
    total = float(products.sum())
    name = str(node.params.get("activation", "relu"))
    value = float(get_activation(name)(np.array([total + b[filter]]))[0])
    return ConvPixel(layer=layer, filter=int(filter), y=int(y), x=int(x), patch=patch,
                     kernel=kernel, products=products, total=total, bias=float(b[filter]),
                     activation=name, value=value, top=top, left=left)
