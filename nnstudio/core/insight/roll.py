"""A ball rolling on a cost curve with more than one valley: gradient descent in one weight.

The curve ``J(w) = 0.1 w⁴ − w² + 0.5 w + 4`` has two minima: the global one (the lowest
point, w ≈ −2.35) and a local one (w ≈ 2.10) beyond a hill. Plain gradient descent moves the
ball by ``−lr × J′(w)`` per step. With it a person sees what the learning rate does: too
small and the ball crawls, too big and it overshoots the valley or is thrown out of it, and
a start on the wrong side of the hill settles in the local minimum, never finding the
global one. :func:`judge` says which of these happened, in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["COEFFS", "PRESETS", "Verdict", "cost", "judge", "minima", "roll", "slope"]

#: J(w) = a w⁴ + b w³ + c w² + d w + e
COEFFS = (0.1, 0.0, -1.0, 0.5, 4.0)
#: name -> (start, learning rate, what it shows)
PRESETS: dict[str, tuple[float, float, str]] = {
    "too small": (-0.3, 0.002, "a tiny learning rate: the ball crawls"),
    "just right": (-0.3, 0.1, "a good learning rate: straight into the lowest valley"),
    "too big": (-0.3, 0.5, "a learning rate too big: the ball jumps across the valley"),
    "wrong side": (3.2, 0.05, "a start on the other side of the hill"),
}
#: beyond this distance from 0 the ball has left the curve (diverged)
LIMIT = 8.0
#: a slope smaller than this counts as flat (the ball rests)
FLAT = 1e-3


def cost(w: np.ndarray | float) -> np.ndarray:
    """J(w), float64 of the shape of ``w``."""
    return np.polyval(COEFFS, np.asarray(w, np.float64))


def slope(w: np.ndarray | float) -> np.ndarray:
    """J′(w), the gradient, float64 of the shape of ``w``."""
    return np.polyval(np.polyder(COEFFS), np.asarray(w, np.float64))


def minima() -> list[float]:
    """The minima of J, lowest first (the first is the global minimum)."""
    roots = np.roots(np.polyder(COEFFS))
    real = roots[np.abs(roots.imag) < 1e-9].real
    second = np.polyval(np.polyder(COEFFS, 2), real)
    found = sorted((float(r) for r, s in zip(real, second, strict=True) if s > 0),
                   key=lambda r: float(cost(r)))
    return found


def roll(start: float, lr: float, steps: int = 60) -> np.ndarray:
    """Positions of the ball over ``steps`` steps of plain gradient descent.

    Parameters
    ----------
    start : float
        The initial weight.
    lr : float
        The learning rate: each step is ``w ← w − lr × J′(w)``.
    steps : int

    Returns
    -------
    ndarray, float64, shape (k + 1,) with k <= steps
        ``start`` then each position; it ends early when the ball leaves the curve
        (``|w| > LIMIT``: the last entry is that position).
    """
    path = [float(start)]
    w = float(start)
    for _ in range(int(steps)):
        w = w - float(lr) * float(slope(w))
        path.append(w)
        if not np.isfinite(w) or abs(w) > LIMIT:
            break
    return np.asarray(path, np.float64)


@dataclass(frozen=True)
class Verdict:
    """What the ball did: ``kind`` is one of ``"diverged"``, ``"bouncing"``, ``"global"``,
    ``"local"``, ``"crawling"``; ``text`` says it in a sentence."""

    kind: str
    text: str


def judge(path: np.ndarray, lr: float) -> Verdict:
    """Describe a path of :func:`roll`."""
    path = np.asarray(path, np.float64)
    steps = len(path) - 1
    w = float(path[-1])
    low = minima()
    best = low[0]
    if not np.isfinite(w) or abs(w) > LIMIT:
        return Verdict("diverged", f"After {steps} steps the ball flew off the curve: with a "
                       f"learning rate of {lr:g} every step overshoots by more than the last, "
                       "so the cost grows instead of shrinking. Make the learning rate smaller.")
    tail = np.diff(path[-6:])
    if len(tail) >= 4 and np.all(tail[1:] * tail[:-1] < 0) and np.abs(tail).min() > 0.05:
        return Verdict("bouncing", f"The ball keeps jumping from one side of the valley to the "
                       f"other (last steps {abs(tail[-1]):.2f} wide): a learning rate of {lr:g} "
                       "is too big to settle at the bottom. Make it smaller.")
    if abs(float(slope(w))) < FLAT * 10 and abs(path[-1] - path[-2]) < FLAT:
        here = min(low, key=lambda m: abs(m - w))
        moving = np.flatnonzero(np.abs(np.diff(path)) >= FLAT)
        steps = int(moving[-1]) + 2 if len(moving) else 0     # steps until it came to rest
        if here == best:
            return Verdict("global", f"The ball rests at w = {w:.2f}, cost {float(cost(w)):.2f}"
                           f": the lowest point of the curve, the global minimum "
                           f"(it came to rest after {steps} steps).")
        return Verdict("local", f"The ball rests at w = {w:.2f}, cost {float(cost(w)):.2f}: a "
                       f"local minimum. The slope is 0 here, so gradient descent stops, but "
                       f"the lowest point is at w = {best:.2f} (cost {float(cost(best)):.2f}), "
                       "behind the hill.")
    moved = abs(w - float(path[0]))
    return Verdict("crawling", f"After {steps} steps the ball has moved only {moved:.2f} and "
                   f"is still on the slope (gradient {float(slope(w)):.2f}): a learning rate "
                   f"of {lr:g} makes steps too small. Make it larger or keep rolling.")
