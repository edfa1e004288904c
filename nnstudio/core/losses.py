"""Loss functions and accuracy helpers.

Every loss returns ``(J, dJ)``: the mean loss over the ``m`` samples of the batch (a Python
float) and its gradient, a new array the shape of the prediction. Normalisation: each loss
sums over the output components of a sample and averages over the samples.

===========================  ===============================================  ==============
name                         J                                                gradient w.r.t.
===========================  ===============================================  ==============
``mse``                      ``1/m Σ_i Σ_j (y_ij − ŷ_ij)²``                   ŷ
``cross_entropy``            ``−1/m Σ_i log p_i[y_i]``, p = softmax(z)        z (``p − 1_y``)/m
``cross_entropy_logits``     same, softmax computed inside from logits z      z
``binary_cross_entropy``     ``−1/m Σ_i Σ_j y log p + (1−y) log(1−p)``,       z (``p − y``)/m
                             p = sigmoid(z)
``bce_logits``               same, sigmoid computed inside from logits z      z
===========================  ===============================================  ==============

The fused forms (``cross_entropy``, ``binary_cross_entropy``) take the *probabilities* the
network's softmax/sigmoid head already computed and return the gradient with respect to the
head's pre-activation ``z``, which is both exact and stable; the head then skips its own
activation backward. Logs are clipped at the smallest positive float so a confidently wrong
prediction costs a large finite loss rather than infinity.

Targets: class indices ``(m,)`` int for ``cross_entropy`` (one-hot ``(m, k)`` also accepted);
``(m, k)`` float (or ``(m,)`` when k = 1) for ``mse`` and ``binary_cross_entropy``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "LOSSES", "accuracy", "bce_logits", "binary_accuracy", "binary_cross_entropy",
    "categorical_accuracy", "cross_entropy", "cross_entropy_logits", "mse",
]


def _as_targets(y: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Float targets shaped like the prediction ``(m, k)``."""
    y = np.asarray(y)
    if y.shape != like.shape:
        if y.size != like.size:
            raise ValueError(f"targets of shape {y.shape} do not match predictions of shape "
                             f"{like.shape}")
        y = y.reshape(like.shape)
    return y.astype(like.dtype, copy=False)


def _flat2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(a.shape[0], -1)


def mse(pred: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error ``J = 1/m Σ_i Σ_j (y_ij − ŷ_ij)²`` with ``m`` = number of samples.

    Parameters
    ----------
    pred : (m, k) predictions ŷ.
    y : (m, k) or (m,) targets.

    Returns
    -------
    J : float; dJ : (m, k) ``2/m (ŷ − y)``.
    """
    m = pred.shape[0]
    diff = np.subtract(pred, _as_targets(y, pred))
    loss = float(np.vdot(diff.ravel(), diff.ravel())) / m
    diff *= pred.dtype.type(2.0 / m)
    return loss, diff


def _class_index(y: np.ndarray, p2: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape == p2.shape:       # one-hot
        return y.argmax(axis=1)
    return y.reshape(-1).astype(np.intp, copy=False)


def cross_entropy(p: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy fused with softmax: takes the softmax probabilities.

    Parameters
    ----------
    p : (m, k) softmax probabilities.
    y : (m,) class indices (or (m, k) one-hot).

    Returns
    -------
    J : float ``−1/m Σ log p[y]``; dJ/dz : (m, k) ``(p − onehot(y)) / m`` (w.r.t. the logits).
    """
    m = p.shape[0]
    p2 = _flat2d(p)
    idx = _class_index(y, p2)
    rows = np.arange(m)
    picked = p2[rows, idx]
    tiny = np.finfo(p.dtype).tiny
    loss = -float(np.log(np.maximum(picked, tiny)).sum()) / m
    g = p2.copy()
    g[rows, idx] -= 1
    g *= p.dtype.type(1.0 / m)
    return loss, g.reshape(p.shape)


def cross_entropy_logits(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy from logits ``z (m, k)`` (log-sum-exp, stable).

    Returns ``J`` and ``dJ/dz = (softmax(z) − onehot(y)) / m``, shape (m, k).
    """
    m = z.shape[0]
    z2 = _flat2d(z)
    idx = _class_index(y, z2)
    rows = np.arange(m)
    shifted = z2 - z2.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = float((np.log(s[:, 0]) - shifted[rows, idx]).sum()) / m
    e /= s
    e[rows, idx] -= 1
    e *= z.dtype.type(1.0 / m)
    return loss, e.reshape(z.shape)


def _bce_value(p: np.ndarray, t: np.ndarray) -> float:
    tiny = np.finfo(p.dtype).tiny
    logp = np.log(np.maximum(p, tiny))
    log1mp = np.log(np.maximum(1 - p, tiny))
    return -float((t * logp + (1 - t) * log1mp).sum())


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy fused with sigmoid: takes the sigmoid probabilities.

    Parameters
    ----------
    p : (m, k) sigmoid outputs in [0, 1].
    y : (m, k) or (m,) targets in {0, 1} (or soft targets in [0, 1]).

    Returns
    -------
    J : float; dJ/dz : (m, k) ``(p − y) / m`` (w.r.t. the sigmoid's input).
    """
    m = p.shape[0]
    t = _as_targets(y, p)
    loss = _bce_value(p, t) / m
    g = np.subtract(p, t)
    g *= p.dtype.type(1.0 / m)
    return loss, g


def bce_logits(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy from logits ``z (m, k)``, stable for any ``z``:
    ``J = 1/m Σ max(z, 0) − z y + log(1 + exp(−|z|))``; ``dJ/dz = (sigmoid(z) − y) / m``."""
    m = z.shape[0]
    t = _as_targets(y, z)
    loss = float((np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).sum()) / m
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)
    g = np.subtract(p, t)
    g *= z.dtype.type(1.0 / m)
    return loss, g


LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]] = {
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
}


def categorical_accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples whose highest score ``(m, k)`` is the target class ``(m,)``."""
    s2 = _flat2d(scores)
    return float(np.mean(s2.argmax(axis=1) == _class_index(y, s2)))


def binary_accuracy(p: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of outputs ``(m, k)`` on the right side of ``threshold`` for targets in {0,1}."""
    t = _as_targets(y, p)
    return float(np.mean((p >= threshold) == (t >= 0.5)))


def accuracy(loss_name: str, out: np.ndarray, y: np.ndarray,
             threshold: float = 0.5) -> float | None:
    """Accuracy matching a loss: categorical for cross-entropy, thresholded for binary
    cross-entropy (``threshold`` 0.5 on probabilities, 0 on logits), ``None`` for mse."""
    if loss_name == "cross_entropy":
        return categorical_accuracy(out, y)
    if loss_name == "binary_cross_entropy":
        return binary_accuracy(out, y, threshold)
    return None
