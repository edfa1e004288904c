"""A design compiled into runnable layers: forward, backward, parameters.

:class:`Network` takes a :class:`~nnstudio.core.design.Design`, checks it, and builds one
layer per node in topological order, so any DAG works: merges (Add, Concatenate) take
several inputs, and the gradients of a node whose output feeds several nodes are summed.

Loss and head
-------------
The Output node names the loss. When the layer feeding the Output ends in softmax (with
``cross_entropy``) or sigmoid (with ``binary_cross_entropy``) the loss and the activation are
fused: the loss returns the gradient with respect to the pre-activation, ``p - y``, and the
layer skips its activation backward (stable and exact). With any other head the network's
output is taken as logits and the loss applies softmax/sigmoid itself. ``mse`` backpropagates
through whatever the head is. A step head with ``binary_cross_entropy`` (a perceptron) outputs
0/1 decisions: its loss is the share of samples it gets wrong (it is trained by the
perceptron rule, never by backpropagation).

Speed
-----
A training step is a handful of Python calls per layer; all arithmetic is in NumPy/BLAS on
float32 batches. A large enough batch is cut into one slice per thread
(:meth:`Network.batch_slices`), each slice running forward and backward on its own copy of
the layers with single-threaded BLAS (:func:`nnstudio.core.parallel.run_parallel`): one
hand-over per step instead of one per operation, and no OpenBLAS threads busy-waiting
against the engine's own. The first layer never computes its input gradient, and a
Conv2D (ReLU) -> 2x2 MaxPool2D pair trains as one pass (:mod:`nnstudio.core.convpool`).

A step activation anywhere makes :meth:`Network.train_step` raise
:class:`NotTrainableError`; :meth:`Network.forward` still works.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from . import losses, parallel
from .conv import Conv2D, MaxPool2D
from .convpool import PooledConv
from .design import Design, DesignError
from .layers import (
    ActivationLayer,
    Add,
    Concatenate,
    Dense,
    Dropout,
    Flatten,
    Input,
    Layer,
    Output,
    Param,
)

__all__ = ["Network", "NotTrainableError", "Param", "build_layer"]

#: A training batch is split across threads only into slices of at least this many
#: samples, and only when it has this many multiply-adds (rough forward count) or this many
#: values in the layers' outputs (the element-wise passes). Measured on 2 cores: the image
#: templates (``cnn``, ``cnn16``, ``lenet``: 4,000-26,000 output values per sample, much
#: of their time in element-wise passes) gain from slices; the ``mlp`` (~1,200 values and
#: ~0.24M multiply-adds per sample, almost all in a few large products that OpenBLAS's own
#: threads split well) runs a batch of 128 faster whole. Whole batches on OpenBLAS's
#: threads also suffer most when other programs keep the cores busy: its threads wait for
#: each other after every product.
SHARD_MIN_SAMPLES = 16
SHARD_MIN_WORK = 24_000_000
SHARD_MIN_VALUES = 250_000
#: Inference through a pooling convolution runs in pieces whose scratch arrays (unfolded
#: patches, products, padded phases) take about this many bytes: 128 samples of the cnn
#: template, 686 of cnn16. Measured on 2 cores (evaluate of 6,000 samples), half this
#: size ran 10-25% slower, twice it no faster for the cnn; small images take more samples
#: a piece, so that the passes' fixed costs stay small.
LEAN_BYTES = 32 << 20


class NotTrainableError(DesignError):
    """The design cannot be trained by backpropagation (a step activation)."""


def build_layer(kind: str, name: str, params: dict, input_shapes: list[tuple[int, ...]],
                rng: np.random.Generator, dtype=np.float32) -> Layer:
    """The layer object for one design node (``params`` as completed by the design)."""
    shape = input_shapes[0] if input_shapes else tuple(params["shape"])
    p = params
    if kind == "Input":
        return Input(name, tuple(p["shape"]), dtype)
    if kind == "Output":
        return Output(name, shape, dtype)
    if kind == "Dense":
        return Dense(name, shape, p["units"], p["activation"], rng, dtype)
    if kind == "Conv2D":
        return Conv2D(name, shape, p["filters"], p["kernel_size"], p["stride"], p["padding"],
                      p["activation"], rng, dtype)
    if kind == "MaxPool2D":
        return MaxPool2D(name, shape, p["pool_size"], p.get("stride"), dtype)
    if kind == "Flatten":
        return Flatten(name, shape, dtype)
    if kind == "Dropout":
        child = np.random.default_rng(rng.integers(2**63))
        return Dropout(name, shape, p["rate"], child, dtype)
    if kind == "Activation":
        return ActivationLayer(name, shape, p["function"], dtype)
    if kind == "Add":
        return Add(name, input_shapes, dtype)
    if kind == "Concatenate":
        return Concatenate(name, input_shapes, dtype)
    raise DesignError(f"'{kind}' is not a layer kind", name)


class Network:
    """A compiled, trainable design (float32).

    Parameters
    ----------
    design : the design; it is checked (:class:`DesignError` if not valid) and copied.
    seed : seeds the initial weights (He for the ReLU family, Xavier otherwise) and dropout.
    dtype : float32 (the default, and what the rest of the program uses); float64 serves
        finite-difference gradient checks of whole networks.

    Attributes
    ----------
    design : the private copy of the design.
    input_shape, output_shape : per-sample shapes, e.g. ``(1, 28, 28)`` and ``(10,)``.
    loss_name : ``"cross_entropy"``, ``"binary_cross_entropy"`` or ``"mse"``.
    task : ``"classification"`` or ``"regression"`` (mse).
    n_params : number of trainable numbers.
    layers : node id -> layer, in topological order.
    """

    def __init__(self, design: Design, seed: int = 0, dtype=np.float32) -> None:
        self.design = design.copy()
        analysis = self.design.check()
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self._order = self.design.topo_order()
        index = {nid: i for i, nid in enumerate(self._order)}
        self._shapes = analysis.shapes
        self._srcs: list[list[int]] = [[index[s] for s in self.design.inputs_of(nid)]
                                       for nid in self._order]
        self._in = index[self.design.input_node.id]
        self._out = index[self.design.output_node.id]
        self.loss_name: str = self.design.output_node.params["loss"]
        self.task = "regression" if self.loss_name == "mse" else "classification"
        self._seq = self._build_layers(np.random.default_rng(seed))
        self.layers: dict[str, Layer] = dict(zip(self._order, self._seq, strict=True))
        self.input_shape: tuple[int, ...] = tuple(analysis.shapes[self._order[self._in]])
        self.output_shape: tuple[int, ...] = tuple(analysis.shapes[self._order[self._out]])
        self._in_size = math.prod(self.input_shape)
        head = self._seq[self._srcs[self._out][0]]
        self._fused = head.fused_head
        #: a step head outputs 0/1 decisions, not logits: its loss is the share of mistakes
        self._step_head = (self.loss_name == "binary_cross_entropy"
                           and head.activation is not None and head.activation.name == "step")

        self._params: list[Param] = []
        for nid, layer in self.layers.items():
            for key, p in layer.params.items():
                p.name = f"{nid}/{key}"
                self._params.append(p)
        self.n_params = sum(p.value.size for p in self._params)
        self._flatten_params()
        self._work = self._work_per_sample()
        #: values in all layers' outputs per sample: the element-wise passes' share
        self._values = sum(math.prod(layer.output_shape) for layer in self._seq)
        #: copies of the layers for the other slices of a batch trained in parallel
        self._replicas: list[tuple[list[Layer], np.ndarray]] = []
        #: a Conv2D computes its pool too (lean inference passes apply)
        self._pooled = any(isinstance(layer, Conv2D) and layer.pooled is not None
                           for layer in self._seq)
        #: samples a lean inference pass takes at once (see :data:`LEAN_BYTES`)
        self._lean_samples = max(16, LEAN_BYTES // max(1, sum(
            layer.pooled.scratch_bytes() for layer in self._seq
            if isinstance(layer, Conv2D) and layer.pooled is not None)))
        self.reason_not_trainable = self._find_step()

    # ------------------------------------------------------------------ setup
    def _build_layers(self, rng: np.random.Generator) -> list[Layer]:
        """One layer per node (topological order), wired: which layers skip their input
        gradient, the fused loss head, Conv2D (ReLU) -> MaxPool2D."""
        seq = []
        for i, nid in enumerate(self._order):
            node = self.design.nodes[nid]
            in_shapes = [tuple(self._shapes[self._order[j]]) for j in self._srcs[i]]
            seq.append(build_layer(node.kind, nid, node.params, in_shapes, rng, self.dtype))
        # a node needs a gradient when it or something before it has parameters; a layer
        # computes its input gradient only when one of its inputs needs one
        needs = [False] * len(seq)
        for i, layer in enumerate(seq):
            needs[i] = bool(layer.params) or any(needs[j] for j in self._srcs[i])
            layer.needs_dx = any(needs[j] for j in self._srcs[i])
        self._needs_grad = needs
        self._fuse_head(seq)
        self._fuse_relu_pool(seq)
        return seq

    def _flatten_params(self, align: int = 16) -> None:
        """Move every value (and every grad) into one flat buffer, each parameter a
        contiguous view starting on a 64-byte boundary, so the optimizer updates all of
        them with a few whole-buffer operations."""
        offsets, total = [], 0
        for p in self._params:
            offsets.append(total)
            total += -(-p.value.size // align) * align
        values = np.zeros(total, self.dtype)
        grads = np.zeros(total, self.dtype)
        for p, o in zip(self._params, offsets, strict=True):
            view = values[o:o + p.value.size].reshape(p.value.shape)
            view[...] = p.value
            p.value = view
            p.grad = grads[o:o + p.value.size].reshape(p.value.shape)
        self._offsets = offsets
        self._grad_flat = grads

    def _fuse_head(self, seq: list[Layer]) -> None:
        """Fuse softmax + cross-entropy / sigmoid + binary cross-entropy when possible."""
        want = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(
            self.loss_name)
        srcs = self._srcs[self._out]
        if want is None or len(srcs) != 1:
            return
        head = seq[srcs[0]]
        feeds_only_output = (self.design.outputs_of(self._order[srcs[0]])
                             == [self._order[self._out]])
        if head.activation is not None and head.activation.name == want and feeds_only_output:
            head.fused_head = True

    def _fuse_relu_pool(self, seq: list[Layer]) -> None:
        """Conv2D (ReLU) -> MaxPool2D, the pool being the conv's only consumer. A 2x2 /
        stride-2 pool after a stride-1 conv with an even output is computed by the conv's
        training pass itself (:mod:`nnstudio.core.convpool`). Otherwise the pool applies the
        ReLU derivative on its (4x smaller) output gradient and writes its input gradient
        straight into the conv's gradient buffer."""
        order = self._order
        for i, layer in enumerate(seq):
            srcs = self._srcs[i]
            if not isinstance(layer, MaxPool2D) or len(srcs) != 1:
                continue
            conv = seq[srcs[0]]
            if (isinstance(conv, Conv2D) and conv.activation.name == "relu"
                    and not conv.fused_head
                    and self.design.outputs_of(order[srcs[0]]) == [order[i]]):
                if layer.pool == 2 and layer.stride == 2 and PooledConv.fits(conv):
                    conv.pooled = PooledConv(conv)       # one pass: conv, max, ReLU
                    layer.fused_into = conv
                    continue
                layer.apply_relu_derivative = True
                layer.grad_target = conv
                conv.relu_done_by_consumer = True

    def _work_per_sample(self) -> int:
        """Rough multiply-adds per sample of a training step (forward), to decide whether a
        batch is worth splitting across threads."""
        work = 0
        for layer in self._seq:
            out = math.prod(layer.output_shape)
            if isinstance(layer, Conv2D):
                work += out * layer.W.value[0].size
            elif isinstance(layer, Dense):
                work += layer.W.value.size
            else:
                work += out
        return work

    def _replica(self, index: int) -> tuple[list[Layer], np.ndarray]:
        """Layers for slice ``index`` (>= 1) of a batch trained in parallel: they share the
        parameter values with :attr:`layers` and have their own caches, buffers and a flat
        gradient buffer laid out like the main one (summed into it after the step)."""
        while len(self._replicas) < index:
            i = len(self._replicas) + 1
            # its own seeded stream (weights drawn here are discarded; dropout keeps it)
            seq = self._build_layers(np.random.default_rng([self.seed, i]))
            grads = np.zeros_like(self._grad_flat)
            mine = [p for layer in seq for p in layer.params.values()]
            for p, main, o in zip(mine, self._params, self._offsets, strict=True):
                p.name, p.value = main.name, main.value
                p.grad = grads[o:o + main.value.size].reshape(main.value.shape)
            self._replicas.append((seq, grads))
        return self._replicas[index - 1]

    def _find_step(self) -> str | None:
        for layer in self._seq:
            if layer.activation is not None and not layer.activation.differentiable:
                return (f"{layer.kind} '{layer.name}' uses the step activation, which has no "
                        "useful gradient, so this network cannot be trained by "
                        "backpropagation")
        return None

    def trainable(self) -> bool:
        """True unless a step activation makes backpropagation impossible."""
        return self.reason_not_trainable is None

    # ------------------------------------------------------------------ data
    def _prepare(self, x) -> np.ndarray:
        """``x`` as a C-contiguous float32 batch ``(N, *input_shape)``."""
        x = np.asarray(x)
        if x.ndim >= 1 and math.prod(x.shape[1:]) == self._in_size and (
                x.ndim > 1 or self._in_size == 1):
            n = x.shape[0]
        elif x.size == self._in_size:
            n = 1                                   # a single sample
        else:
            raise ValueError(
                f"The network takes samples of shape {self.input_shape} "
                f"({self._in_size} values each) but received an array of shape {x.shape}")
        return np.ascontiguousarray(x, dtype=self.dtype).reshape(n, *self.input_shape)

    # ------------------------------------------------------------------ passes
    def _run(self, x: np.ndarray, training: bool, seq: list[Layer] | None = None,
             lean: bool = False) -> list[np.ndarray]:
        """Forward through ``seq`` (default: :attr:`layers`): every node's output.

        ``lean`` (inference, when only the last output is wanted): a Conv2D whose training
        pass pools (``conv.pooled``) computes the pooled output at once in scratch arrays
        that the next call reuses, and its pool hands that on; the other outputs in the
        list are then not the nodes' own (the conv's is pooled) and may be overwritten by
        the next call.
        """
        seq = self._seq if seq is None else seq
        outs: list = [None] * len(seq)
        for i, layer in enumerate(seq):
            srcs = self._srcs[i]
            if not srcs:
                outs[i] = layer.forward(x, training)
            elif layer.merge:
                outs[i] = layer.forward([outs[j] for j in srcs], training)
            elif lean and isinstance(layer, Conv2D) and layer.pooled is not None:
                outs[i] = layer.pooled.infer(outs[srcs[0]])
            elif lean and isinstance(layer, MaxPool2D) and layer.fused_into is not None:
                outs[i] = outs[srcs[0]]                     # pooled by the conv already
            else:
                outs[i] = layer.forward(outs[srcs[0]], training)
        return outs

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Output for a batch ``x (N, *input_shape)`` (any shape with the same per-sample
        size is reshaped): ``(N, *output_shape)``, probabilities for softmax/sigmoid heads."""
        return self._run(self._prepare(x), training)[self._out]

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """Inference in batches: ``(N, *output_shape)``."""
        x = self._prepare(x)
        parts = [self._infer(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        if not parts:
            return np.zeros((0, *self.output_shape), self.dtype)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """The output for a prepared batch ``x``. Where each operation stays on one thread
        (the window's training process, :func:`~nnstudio.core.parallel.splits_operations`)
        the batch is cut into slices on the threads as a training step is
        (:meth:`batch_slices`), so validation uses every core; elsewhere the operations
        themselves are split, and no other thread runs a whole pass of Python code (in the
        window, a thread that allocates may run the cycle collector on Qt objects)."""
        parts = 1 if parallel.splits_operations() else self.batch_slices(len(x))
        if parts <= 1:
            return self._lean(x, self._seq)
        spans = parallel.chunks(len(x), parts)
        seqs = [self._seq] + [self._replica(i)[0] for i in range(1, len(spans))]
        outs = parallel.run_parallel([partial(self._lean, x[lo:hi], seq)
                                      for seq, (lo, hi) in zip(seqs, spans, strict=True)])
        return np.concatenate(outs)

    def _lean(self, x: np.ndarray, seq: list[Layer]) -> np.ndarray:
        """The output for ``x`` through ``seq``. With a pooling convolution, by lean passes
        (:meth:`_run`) in pieces of at most ``_lean_samples`` samples (see
        :data:`LEAN_BYTES`); a new array either way. The scratch arrays belong to the
        layers of ``seq``: like training, inference on one network runs on one thread at
        a time (background work takes a copy of the network)."""
        if not self._pooled:
            return self._run(x, False, seq)[self._out]
        step = self._lean_samples
        parts = [self._run(x[i:i + step], False, seq, lean=True)[self._out]
                 for i in range(0, len(x), step)]
        if len(parts) == 1:
            return parts[0].copy() if parts[0].base is not None else parts[0]
        return np.concatenate(parts)

    def activations(self, x) -> dict[str, np.ndarray]:
        """Inference-mode output of every node, by node id: ``(N, *shape)`` each."""
        outs = self._run(self._prepare(x), False)
        return dict(zip(self.layers, outs, strict=True))

    def _loss(self, out: np.ndarray, y) -> tuple[float, np.ndarray, float | None]:
        name = self.loss_name
        if name == "cross_entropy":
            fn = losses.cross_entropy if self._fused else losses.cross_entropy_logits
            J, g = fn(out, y)
            return J, g, losses.categorical_accuracy(out, y)
        if name == "binary_cross_entropy" and self._step_head:
            wrong = float(np.mean((out > 0.5) != (np.asarray(y).reshape(out.shape) >= 0.5)))
            return wrong, np.zeros_like(out), 1.0 - wrong
        if name == "binary_cross_entropy":
            fn = losses.binary_cross_entropy if self._fused else losses.bce_logits
            J, g = fn(out, y)
            return J, g, losses.binary_accuracy(out, y, 0.5 if self._fused else 0.0)
        J, g = losses.mse(out, y)
        return J, g, None

    def train_step(self, x, y) -> tuple[float, float | None]:
        """Forward (training mode), loss and backward for one batch; fills every
        ``Param.grad`` and returns ``(loss, accuracy or None)``. Does not update weights.

        A large enough batch is cut into one slice per thread
        (:func:`nnstudio.core.parallel.threads`); each slice runs forward and backward on
        its own copy of the layers (same weights) with single-threaded BLAS, and the slices'
        gradients are summed. The result equals the whole-batch step up to float rounding
        (dropout draws each slice's mask from its own seeded stream).

        Raises
        ------
        NotTrainableError
            If a step activation makes backpropagation impossible.
        """
        if self.reason_not_trainable is not None:
            step = next(layer.name for layer in self._seq if layer.activation is not None
                        and not layer.activation.differentiable)
            raise NotTrainableError(
                self.reason_not_trainable, step,
                "train a single step neuron with the perceptron learning rule "
                "(nnstudio.core.perceptron), or change the activation to 'sigmoid'")
        x = self._prepare(x)
        y = np.asarray(y)
        n = len(x)
        parts = self.batch_slices(n)
        if parts <= 1:
            return self._step(self._seq, x, y, n)
        spans = parallel.chunks(n, parts)
        seqs = [self._seq] + [self._replica(i)[0] for i in range(1, len(spans))]
        results = parallel.run_parallel([
            partial(self._step, seq, x[lo:hi], y[lo:hi], n)
            for seq, (lo, hi) in zip(seqs, spans, strict=True)])
        total = self._grad_flat
        for i in range(1, len(spans)):
            extra = self._replicas[i - 1][1]
            parallel.for_chunks(lambda lo, hi, g=extra: np.add(total[lo:hi], g[lo:hi],
                                                                out=total[lo:hi]),
                                total.size, total.size)
        loss = sum(J * (hi - lo) for (J, _), (lo, hi) in zip(results, spans, strict=True)) / n
        if results[0][1] is None:
            return loss, None
        acc = sum(a * (hi - lo) for (_, a), (lo, hi) in zip(results, spans, strict=True)) / n
        return loss, acc

    def batch_slices(self, n: int) -> int:
        """Into how many slices :meth:`train_step` cuts a batch of ``n`` samples (one per
        thread at most; 1 = the whole batch on the calling thread, BLAS products on
        OpenBLAS's own threads)."""
        return max(1, min(parallel.threads(), n // SHARD_MIN_SAMPLES,
                          max(n * self._work // SHARD_MIN_WORK,
                              n * self._values // SHARD_MIN_VALUES)))

    def _step(self, seq: list[Layer], x: np.ndarray, y: np.ndarray, n: int
              ) -> tuple[float, float | None]:
        """Forward and backward of the samples ``x, y`` (``m`` of the batch's ``n``) through
        ``seq``; gradients are scaled as parts of the mean over all ``n``."""
        outs = self._run(x, True, seq)
        J, g, acc = self._loss(outs[self._out], y)
        if len(x) != n:
            g *= g.dtype.type(len(x) / n)              # the loss averaged over m, not n
        self._backward(g, seq)
        return J, acc

    def _backward(self, g: np.ndarray, seq: list[Layer]) -> np.ndarray | None:
        """Backpropagate ``g`` (the gradient at the output) through ``seq``, filling every
        ``Param.grad``; returns the gradient at the input when a layer computed it."""
        grads: list = [None] * len(seq)
        grads[self._out] = g
        needs = self._needs_grad
        at_input = None
        for i in range(len(seq) - 1, -1, -1):
            dy = grads[i]
            if dy is None:
                continue
            grads[i] = None
            srcs = self._srcs[i]
            if not srcs:
                at_input = dy
                continue
            layer = seq[i]
            dx = layer.backward(dy)
            if dx is None:
                continue
            for j, d in zip(srcs, dx if layer.merge else (dx,), strict=True):
                if needs[j]:
                    grads[j] = d if grads[j] is None else grads[j] + d
        return at_input

    def input_gradient(self, x, target: int = 0) -> np.ndarray:
        """How the probability of class ``target`` (the one output of a network with a
        single output) changes with each input value: ``dP(target)/dx`` for every sample of
        ``x (N, *input_shape)``, in inference mode (dropout off), ``(N, *input_shape)``.

        A saliency map: where a little more ink would make the class more (positive) or less
        (negative) likely. The weights are untouched; the parameters' gradients
        (``Param.grad``) are overwritten.
        """
        x = self._prepare(x)
        seq = self._seq
        kept = [(layer, layer.needs_dx) for layer in seq]
        drops = [(layer, layer.rate) for layer in seq if isinstance(layer, Dropout)]
        needs = self._needs_grad
        try:
            for layer in seq:
                layer.needs_dx = True
            for layer, _ in drops:
                layer.rate = 0.0
            self._needs_grad = [True] * len(seq)
            outs = self._run(x, True, seq)         # training mode: layers keep what
            p = outs[self._out]                    # backward needs (dropout is off)
            flat = p.reshape(len(x), -1)
            k = min(int(target), flat.shape[1] - 1)
            head = seq[self._srcs[self._out][0]] if self._srcs[self._out] else None
            if head is not None and head.fused_head and flat.shape[1] > 1:
                # a fused softmax head takes the gradient at its logits: dp_k/dz = p_k(e_k - p)
                g = -flat[:, k:k + 1] * flat
                g[:, k] += flat[:, k]
            elif head is not None and head.fused_head:
                g = flat * (1 - flat)              # a fused sigmoid: dp/dz = p(1 - p)
            else:
                g = np.zeros_like(flat)
                g[:, k] = 1.0
            at_input = self._backward(g.reshape(p.shape).astype(self.dtype), seq)
        finally:
            for layer, was in kept:
                layer.needs_dx = was
            for layer, rate in drops:
                layer.rate = rate
            self._needs_grad = needs
        if at_input is None:
            return np.zeros_like(x)
        return np.asarray(at_input, dtype=np.float32).reshape(x.shape)

    def evaluate(self, x, y, batch_size: int = 1024) -> dict:
        """Mean loss and accuracy over a data set, in inference mode:
        ``{"loss": float, "accuracy": float | None, "n": int}``."""
        x = self._prepare(x)
        y = np.asarray(y)
        n = len(x)
        loss_sum = acc_sum = 0.0
        acc_known = False
        for i in range(0, n, batch_size):
            out = self._infer(x[i:i + batch_size])
            J, _, acc = self._loss(out, y[i:i + batch_size])
            m = len(out)
            loss_sum += J * m
            if acc is not None:
                acc_known = True
                acc_sum += acc * m
        return {"loss": loss_sum / n if n else float("nan"),
                "accuracy": (acc_sum / n if n else float("nan")) if acc_known else None,
                "n": n}

    # ------------------------------------------------------------------ weights
    def parameters(self) -> list[Param]:
        """Every trainable parameter, in a stable order (topological, W before b), named
        ``"node_id/W"`` / ``"node_id/b"``; values and grads are updated in place."""
        return list(self._params)

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed ``"node_id/W"``, ``"node_id/b"``."""
        return {p.name: p.value.copy() for p in self._params}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` into the parameters (in place).

        Raises
        ------
        ValueError
            If a name is missing or unknown, or a shape differs; nothing is changed then.
        """
        mine = {p.name: p for p in self._params}
        missing = sorted(set(mine) - set(weights))
        extra = sorted(set(weights) - set(mine))
        if missing or extra:
            raise ValueError("The weights do not fit this network: "
                             + "; ".join(filter(None, [
                                 f"missing {', '.join(missing)}" if missing else "",
                                 f"unknown {', '.join(extra)}" if extra else ""])))
        for name, p in mine.items():
            shape = np.shape(weights[name])
            if shape != p.value.shape:
                raise ValueError(f"The weights do not fit this network: '{name}' has shape "
                                 f"{shape}, the network needs {p.value.shape}")
        for name, p in mine.items():
            np.copyto(p.value, weights[name], casting="unsafe")

    def __repr__(self) -> str:
        return (f"Network({self.design.name!r}, {len(self.layers)} layers, "
                f"{self.n_params} parameters, loss={self.loss_name})")
