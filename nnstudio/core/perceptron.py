"""The perceptron learning rule for one neuron with a step activation.

A step neuron fires (outputs 1) when the weighted sum of its inputs is greater than its
threshold:

    fire = 1  if  Σ wᵢ·xᵢ > θ  else 0

It has no useful gradient, so backpropagation cannot train it; the perceptron rule can.
After each sample with target t and output y, every weight moves by the error times its
input, and the threshold moves the other way:

    wᵢ ← wᵢ + η (t − y) xᵢ        θ ← θ − η (t − y)

The classic example: inputs 0.5 and 0.6, weights 0.5 and 0.7, threshold 0.5. The weighted
sum is 0.5·0.5 + 0.6·0.7 = 0.67 > 0.5, so the neuron fires.

In a :class:`~nnstudio.core.network.Network` the neuron is a Dense layer with one unit and the
``step`` activation (which fires where ``z = W·x + b > 0``), so ``b = −θ``. The training loop
that runs such a network sample by sample, like :class:`~nnstudio.core.training.Trainer` runs
the others, is :class:`~nnstudio.core.perceptron_training.PerceptronTrainer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Perceptron:
    """One step neuron.

    Attributes
    ----------
    weights : np.ndarray
        float32 (n_inputs,).
    threshold : float
        The neuron fires when the weighted sum is greater than it.
    lr : float
        Learning rate η of the perceptron rule.
    """

    weights: np.ndarray
    threshold: float = 0.5
    lr: float = 0.1
    errors: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.weights = np.array(self.weights, dtype=np.float32).reshape(-1)
        self.threshold = float(self.threshold)

    def weighted_sum(self, x) -> np.ndarray | float:
        """Σ wᵢ·xᵢ for one sample (n_inputs,) -> float, or a batch (N, n_inputs) -> (N,)."""
        x = np.asarray(x, dtype=np.float32)
        s = x @ self.weights
        return float(s) if x.ndim == 1 else s

    def predict(self, x) -> np.ndarray | int:
        """1 where the weighted sum is greater than the threshold, else 0 (int or int64 (N,))."""
        s = self.weighted_sum(x)
        if isinstance(s, float):
            return int(s > self.threshold)
        # compared in float64, as the one-sample case is (a float32 comparison would round
        # the threshold and could disagree at a tie)
        return (s.astype(np.float64) > self.threshold).astype(np.int64)

    def update(self, x, target: int) -> int:
        """Apply the rule for one sample; returns the error t − y (−1, 0 or 1)."""
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        error = int(target) - int(self.predict(x))
        if error:
            self.weights += np.float32(self.lr * error) * x
            self.threshold -= self.lr * error
        return error

    def train(self, x, targets, epochs: int = 100, seed: int | None = None) -> list[int]:
        """Sweep the samples until none is wrong or ``epochs`` sweeps are done.

        Parameters
        ----------
        x : array (N, n_inputs)
        targets : array (N,) of 0/1
        seed : int, optional
            Shuffle each sweep with this seed; in order when ``None``.

        Returns
        -------
        list of int
            Mistakes per sweep (also appended to :attr:`errors`).
        """
        x = np.asarray(x, dtype=np.float32)
        t = np.asarray(targets).reshape(-1).astype(np.int64)
        rng = np.random.default_rng(seed) if seed is not None else None
        out = []
        for _ in range(epochs):
            order = rng.permutation(len(x)) if rng is not None else range(len(x))
            mistakes = sum(1 for i in order if self.update(x[i], t[i]) != 0)
            out.append(mistakes)
            if mistakes == 0:
                break
        self.errors.extend(out)
        return out

    # ------------------------------------------------------------ networks
    @classmethod
    def from_network(cls, network, lr: float = 0.1) -> Perceptron:
        """The neuron of a one-unit step network (e.g. the ``perceptron`` template)."""
        w_key, b_key = _neuron_keys(network)
        weights = network.get_weights()
        return cls(weights[w_key].reshape(-1), -float(weights[b_key].reshape(-1)[0]), lr)

    def to_network(self, network) -> None:
        """Write the weights and threshold into a one-unit step network."""
        w_key, b_key = _neuron_keys(network)
        weights = network.get_weights()
        weights[w_key] = self.weights.reshape(weights[w_key].shape).astype(np.float32)
        weights[b_key] = np.full(weights[b_key].shape, -self.threshold, np.float32)
        network.set_weights(weights)


def is_perceptron(network) -> bool:
    """True for a network that is exactly one Dense neuron with the step activation."""
    try:
        w_key, _ = _neuron_keys(network)
    except (ValueError, AttributeError):
        return False
    layer = network.layers.get(w_key[: -len("/W")])
    act = getattr(layer, "activation", None)
    return act is not None and act.name == "step"


def _neuron_keys(network) -> tuple[str, str]:
    keys = list(network.get_weights())
    ws = [k for k in keys if k.endswith("/W")]
    if len(ws) != 1 or len(keys) != 2:
        raise ValueError("The perceptron rule trains a network of exactly one Dense neuron "
                         "(like the 'perceptron' template)")
    node = ws[0][: -len("/W")]
    return f"{node}/W", f"{node}/b"


def train_network(network, x, targets, lr: float = 0.1, epochs: int = 100,
                  seed: int | None = None) -> list[int]:
    """Train a one-neuron step network with the perceptron rule; returns mistakes per sweep."""
    neuron = Perceptron.from_network(network, lr)
    mistakes = neuron.train(np.asarray(x, np.float32).reshape(len(x), -1), targets, epochs,
                            seed)
    neuron.to_network(network)
    return mistakes
