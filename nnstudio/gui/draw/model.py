"""How the Draw page talks to whatever network the session holds.

Turns canvas drawings into the network's input (any square image input: 28×28, 16×16, flat
or channels-first), turns its outputs into class probabilities, and says in plain words why a
model cannot read drawings when it cannot. No widgets here.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.inputs import image_side
from nnstudio.data.preprocess import downsample, to_mnist
from nnstudio.gui.session import Session


def why_unusable(session: Session) -> str | None:
    """Why the session's model cannot classify drawings (None when it can)."""
    network = session.network
    if network is None:
        analysis = session.analysis
        errors = list(analysis.design_errors) + list(analysis.errors.values())
        if errors:
            return (f"The design has a problem, so there is no network to ask: {errors[0]} "
                    "Fix it on the Design page.")
        return "There is no model yet. Open one or pick a template on the Design page."
    shape = tuple(network.input_shape)
    if image_side(network) is None:
        from nnstudio.core.design import format_shape

        return (f"This network reads {format_shape(shape)} numbers, not a picture, so it "
                "cannot read drawings. Pick an image design (e.g. the CNN or MLP template) "
                "to draw digits.")
    if network.task != "classification":
        return ("This network predicts numbers (regression), not classes, so it cannot "
                "name a drawing. Use a design that ends in a softmax with cross-entropy.")
    return None


def network_input(drawing: np.ndarray, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Frame a canvas drawing like MNIST and size it for the network.

    Parameters
    ----------
    drawing : np.ndarray
        (H, W) float in [0, 1], white ink on black (the canvas rendering).
    side : int
        Side of the network's input image.

    Returns
    -------
    (img28, x) : (np.ndarray, np.ndarray)
        The (28, 28) MNIST-framed image and the (side, side) image the network receives
        (the same array when side is 28), both float32.
    """
    img28 = to_mnist(drawing)
    x = img28 if side == 28 else downsample(img28, side)
    return img28, x


def to_probabilities(out: np.ndarray) -> np.ndarray:
    """Network outputs (N, k) as class probabilities (N, max(k, 2)).

    Softmax heads pass through; a single sigmoid output p becomes (1 - p, p); anything
    that is not already a distribution (logits) goes through a softmax.
    """
    y = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    if y.shape[1] == 1:
        p = np.clip(y[:, 0], 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=1)
    sums = y.sum(axis=1)
    if (y < -1e-6).any() or not np.allclose(sums, 1.0, atol=1e-3):
        z = np.exp(y - y.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)
    return y


def class_names(session: Session, k: int) -> list[str]:
    """Names for k output classes: the session's when they fit, else '0', '1', ..."""
    try:
        names = list(session.class_names)
    except Exception:  # noqa: BLE001 - a half-built session must not break the page
        names = []
    return names if len(names) == k else [str(i) for i in range(k)]


def classify(session: Session, images: np.ndarray) -> np.ndarray | None:
    """Probabilities (N, k) for network-ready images (N, side, side); None without a model."""
    if session.network is None or len(images) == 0:
        return None
    out = session.predict(np.asarray(images, dtype=np.float32))
    return None if out is None else to_probabilities(out)
