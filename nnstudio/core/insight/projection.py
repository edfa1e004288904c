"""How a hidden layer sorts the samples: a 2-D projection (PCA) of its activations.

A hidden layer turns every sample into a vector of activations. Principal component analysis
finds the two directions in which those vectors spread the most; projecting every sample
onto them gives a map where samples the layer treats alike sit together. Coloured by class,
the map shows whether the layer already separates the digits.

:func:`fit_projection` computes the two directions from a set of activations (centred, by a
thin SVD); :meth:`Projection.project` places any other sample, such as the person's drawing,
on the same map. The sign of each direction is fixed (its largest loading is positive), so
the map does not flip from one update to the next while the network trains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Projection", "fit_projection", "layer_projection"]


@dataclass(frozen=True)
class Projection:
    """A fitted 2-D PCA map.

    Attributes
    ----------
    mean : ndarray (D,)
        The mean activation vector.
    components : ndarray (2, D)
        The two principal directions (unit length, orthogonal).
    explained : ndarray (2,)
        The share of the total variance along each direction (0..1).
    points : ndarray (N, 2)
        The fitted samples' coordinates.
    """

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray
    points: np.ndarray

    def project(self, activations: np.ndarray) -> np.ndarray:
        """Coordinates of ``activations (M, D)`` (or one ``(D,)`` vector) on this map:
        ``(M, 2)`` (or ``(2,)``)."""
        a = np.asarray(activations, dtype=np.float64)
        return (a - self.mean) @ self.components.T


def fit_projection(activations: np.ndarray) -> Projection:
    """PCA of ``activations (N, D)`` (any trailing shape is flattened) onto 2 components.

    With fewer than 2 samples or a layer of one unit the missing direction is zero.
    """
    a = np.asarray(activations, dtype=np.float64)
    a = a.reshape(len(a), int(np.prod(a.shape[1:], dtype=np.int64)))
    n, d = a.shape
    mean = a.mean(axis=0) if n else np.zeros(d)
    centred = a - mean
    components = np.zeros((2, d))
    explained = np.zeros(2)
    if n >= 2 and d >= 1:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        m = min(2, len(s))
        components[:m] = vt[:m]
        total = float((s ** 2).sum())
        if total > 0:
            explained[:m] = s[:m] ** 2 / total
        for i in range(m):                      # a fixed sign: the largest loading positive
            j = int(np.argmax(np.abs(components[i])))
            if components[i, j] < 0:
                components[i] = -components[i]
    return Projection(mean=mean, components=components, explained=explained,
                      points=centred @ components.T)


def layer_projection(network, layer: str, x: np.ndarray, batch_size: int = 512
                     ) -> tuple[Projection, np.ndarray]:
    """Fit the projection of ``layer``'s activations over samples ``x (N, ...)``.

    Returns the projection and the activations it was fitted on ``(N, D)`` float32 (so a
    clicked point can be traced back to its sample).
    """
    parts = []
    for i in range(0, len(x), batch_size):
        acts = network.activations(x[i:i + batch_size])[layer]
        parts.append(np.asarray(acts, dtype=np.float32).reshape(len(acts), -1))
    acts = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
    return fit_projection(acts), acts
