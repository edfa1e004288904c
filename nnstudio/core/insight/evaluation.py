"""Class answers, the confusion matrix and accuracy per class, for the Mistakes view."""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "per_class_accuracy", "predicted_classes"]


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class indices from network outputs, int64 shape (N,).

    ``outputs`` of shape (N, k) with k > 1 take the argmax; a single output (N, 1) or (N,)
    is a probability of class 1, thresholded at 0.5.
    """
    out = np.asarray(outputs)
    out = out.reshape(len(out), -1)
    if out.shape[1] == 1:
        return (out[:, 0] >= 0.5).astype(np.int64)
    return out.argmax(axis=1).astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Returns
    -------
    ndarray, int64, shape (n_classes, n_classes)
        ``cm[t, p]`` = samples of class ``t`` predicted as ``p`` (rows: truth).
    """
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    ok = (t >= 0) & (t < n_classes) & (p >= 0) & (p < n_classes)
    flat = np.bincount(t[ok] * n_classes + p[ok], minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly, float64 shape (K,); NaN for no samples."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.diag(cm) / np.maximum(total, 1), np.nan)
