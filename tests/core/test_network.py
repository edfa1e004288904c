"""Network: compiling designs (chains and DAGs), whole-network gradients, the API."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from nnstudio.core.design import Design, DesignError
from nnstudio.core.network import Network, NotTrainableError
from nnstudio.core.optimizers import make_optimizer
from nnstudio.core.templates import TEMPLATES, get_template


def chain(input_shape, layers, loss):
    """A design from ``[(kind, params), ...]`` between an Input and an Output."""
    d = Design("test")
    prev = d.add_node("Input", {"shape": list(input_shape)}, node_id="in").id
    for i, (kind, params) in enumerate(layers):
        nid = d.add_node(kind, params, node_id=f"n{i}").id
        d.connect(prev, nid)
        prev = nid
    d.add_node("Output", {"loss": loss}, node_id="out")
    d.connect(prev, "out")
    return d


def dag_design(loss="cross_entropy", head="softmax", units=3):
    """in -> fc1 -> (a, b) -> add; concat(add, fc1) -> head -> out: fc1 feeds three nodes."""
    d = Design("dag")
    d.add_node("Input", {"shape": [4]}, node_id="in")
    d.add_node("Dense", {"units": 5, "activation": "tanh"}, node_id="fc1")
    d.add_node("Dense", {"units": 3, "activation": "leaky_relu"}, node_id="a")
    d.add_node("Dense", {"units": 3, "activation": "sigmoid"}, node_id="b")
    d.add_node("Add", node_id="add")
    d.add_node("Concatenate", node_id="cat")
    d.add_node("Dense", {"units": units, "activation": head}, node_id="head")
    d.add_node("Output", {"loss": loss}, node_id="out")
    for s, t in [("in", "fc1"), ("fc1", "a"), ("fc1", "b"), ("a", "add"), ("b", "add"),
                 ("add", "cat"), ("fc1", "cat"), ("cat", "head"), ("head", "out")]:
        d.connect(s, t)
    return d


def conv_dag_design():
    """Two conv branches joined on channels, then pooled: a small image DAG."""
    d = Design("convdag")
    d.add_node("Input", {"shape": [1, 6, 6]}, node_id="in")
    d.add_node("Conv2D", {"filters": 2, "kernel_size": 3, "activation": "tanh"}, node_id="c1")
    d.add_node("Conv2D", {"filters": 2, "kernel_size": 1, "activation": "linear"}, node_id="c2")
    d.add_node("Concatenate", node_id="cat")
    d.add_node("Conv2D", {"filters": 3, "kernel_size": 3, "stride": 2, "padding": "valid",
                          "activation": "relu"}, node_id="c3")
    d.add_node("Add", node_id="add")
    d.add_node("Activation", {"function": "tanh"}, node_id="act")
    d.add_node("MaxPool2D", {"pool_size": 2}, node_id="pool")
    d.add_node("Flatten", node_id="flat")
    d.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id="fc")
    d.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    d.add_node("Conv2D", {"filters": 3, "kernel_size": 3, "stride": 2, "padding": "valid",
                          "activation": "linear"}, node_id="c4")
    for s, t in [("in", "c1"), ("in", "c2"), ("c1", "cat"), ("c2", "cat"), ("cat", "c3"),
                 ("cat", "c4"), ("c3", "add"), ("c4", "add"), ("add", "act"), ("act", "pool"),
                 ("pool", "flat"), ("flat", "fc"), ("fc", "out")]:
        d.connect(s, t)
    return d


def check_network_gradients(net, x, y):
    """Finite differences of the training loss with respect to every parameter."""
    net.train_step(x, y)
    analytic = {p.name: p.grad.copy() for p in net.parameters()}
    for p in net.parameters():
        numeric = numeric_grad(lambda: net.train_step(x, y)[0], p.value)
        assert_close(analytic[p.name], numeric, p.name)


@pytest.mark.parametrize("loss,head,y", [
    ("cross_entropy", "softmax", np.array([0, 2, 1, 2, 0])),
    ("cross_entropy", "linear", np.array([1, 0, 2, 2, 1])),          # logits head
    ("binary_cross_entropy", "sigmoid", np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0],
                                                  [0, 1, 0], [1, 0, 0]])),
    ("binary_cross_entropy", "tanh", np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0],
                                               [0, 1, 0], [1, 0, 0]])),
    ("mse", "softmax", np.random.default_rng(3).random((5, 3))),
    ("mse", "linear", np.random.default_rng(3).random((5, 3))),
])
def test_dag_gradients(loss, head, y):
    net = Network(dag_design(loss, head), seed=1, dtype=np.float64)
    assert net._fused == ((loss, head) in {("cross_entropy", "softmax"),
                                           ("binary_cross_entropy", "sigmoid")})
    x = np.random.default_rng(0).standard_normal((5, 4))
    check_network_gradients(net, x, y)


def test_conv_dag_gradients():
    net = Network(conv_dag_design(), seed=2, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6))
    check_network_gradients(net, x, np.array([2, 0]))


def test_first_layer_skips_the_input_gradient():
    net = Network(get_template("cnn"))
    assert not net.layers["conv1"].needs_dx and net.layers["conv2"].needs_dx


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_compile(name):
    design = get_template(name)
    net = Network(design, seed=0)
    assert net.n_params == design.analyze().total_params
    x = np.random.default_rng(0).random((3, *net.input_shape), dtype=np.float32)
    out = net.forward(x)
    assert out.shape == (3, *net.output_shape) and out.dtype == np.float32
    if net.loss_name == "cross_entropy":
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)


def test_image_batches_feed_flat_and_image_inputs():
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    for name in ("mlp", "cnn"):
        net = Network(get_template(name))
        assert net.forward(x).shape == (4, 10)
        assert net.forward(x[0]).shape == (1, 10)             # one sample
    with pytest.raises(ValueError, match="784 values"):
        Network(get_template("mlp")).forward(np.zeros((2, 27, 28)))


def test_step_network_forward_works_but_training_raises():
    net = Network(get_template("perceptron"))
    assert not net.trainable() and "step" in net.reason_not_trainable
    assert set(net.forward(np.random.default_rng(0).random((5, 2))).ravel()) <= {0.0, 1.0}
    with pytest.raises(NotTrainableError) as err:
        net.train_step(np.zeros((2, 2)), np.zeros((2, 1)))
    assert isinstance(err.value, DesignError) and err.value.node_id == "neuron"
    assert "perceptron" in str(err.value) and "sigmoid" in str(err.value)


def test_invalid_design_is_refused():
    d = Design("broken")
    d.add_node("Input", {"shape": [4]}, node_id="in")
    with pytest.raises(DesignError):
        Network(d)


def test_weights_round_trip_and_errors():
    net = Network(get_template("mlp"), seed=0)
    names = [p.name for p in net.parameters()]
    assert names == ["fc1/W", "fc1/b", "fc2/W", "fc2/b", "fc3/W", "fc3/b"]
    w = net.get_weights()
    w["fc1/W"][0, 0] = 123.0
    assert net.parameters()[0].value[0, 0] != 123.0           # get_weights copies
    ids = [id(p.value) for p in net.parameters()]
    other = Network(get_template("mlp"), seed=5)
    other.set_weights(w)
    assert other.parameters()[0].value[0, 0] == 123.0
    other.set_weights(net.get_weights())
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(other.forward(x), net.forward(x))
    assert [id(p.value) for p in net.parameters()] == ids
    with pytest.raises(ValueError, match="missing fc3/b"):
        net.set_weights({k: v for k, v in w.items() if k != "fc3/b"})
    with pytest.raises(ValueError, match="shape"):
        net.set_weights({**w, "fc1/W": np.zeros((3, 3))})


def test_seeded_initialisation():
    a, b = Network(get_template("cnn"), seed=7), Network(get_template("cnn"), seed=7)
    c = Network(get_template("cnn"), seed=8)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        np.testing.assert_array_equal(pa.value, pb.value)
        if pa.name.endswith("/W"):
            assert not np.array_equal(pa.value, pc.value)
        else:
            assert not pa.value.any()
    fc1 = Network(get_template("mlp"), seed=0).parameters()[0].value     # relu: He
    assert fc1.std() == pytest.approx(np.sqrt(2 / 784), rel=0.05)
    tanh = Network(get_template("playground"), seed=0).parameters()[0].value  # Xavier
    assert np.abs(tanh).max() <= np.sqrt(6 / (2 + 4))


def test_predict_evaluate_activations():
    net = Network(get_template("mlp"))
    rng = np.random.default_rng(0)
    x, y = rng.random((50, 784), dtype=np.float32), rng.integers(0, 10, 50)
    np.testing.assert_allclose(net.predict(x, batch_size=16), net.forward(x), rtol=1e-5)
    res = net.evaluate(x, y, batch_size=16)
    loss, acc = net.train_step(x, y)
    assert res["n"] == 50
    assert res["loss"] == pytest.approx(loss, rel=1e-5)
    assert res["accuracy"] == pytest.approx(acc)
    acts = net.activations(x[:2])
    assert list(acts) == ["input", "fc1", "fc2", "fc3", "output"]
    assert acts["fc1"].shape == (2, 256)
    assert Network(get_template("linear")).evaluate(np.zeros((4, 3)), np.zeros(4))[
        "accuracy"] is None


def test_gradients_accumulate_not_leak_between_steps():
    net = Network(dag_design(), seed=0)
    x, y = np.random.default_rng(0).standard_normal((6, 4)), np.arange(6) % 3
    net.train_step(x, y)
    first = [p.grad.copy() for p in net.parameters()]
    net.train_step(x, y)
    for a, p in zip(first, net.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, a, rtol=1e-6)


def test_dropout_network_trains_and_is_identity_at_inference():
    d = chain([2], [("Dense", {"units": 16, "activation": "relu"}), ("Dropout", {"rate": 0.3}),
                    ("Dense", {"units": 2, "activation": "softmax"})], "cross_entropy")
    net = Network(d, seed=0)
    x = np.random.default_rng(0).standard_normal((8, 2))
    np.testing.assert_array_equal(net.forward(x), net.forward(x))
    net.train_step(x, np.arange(8) % 2)
    assert net.parameters()[0].grad.any()


def test_small_network_learns_two_blobs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 0.5, (100, 2)), rng.normal(1, 0.5, (100, 2))])
    y = np.repeat([0, 1], 100)
    net = Network(get_template("playground"), seed=0)
    opt = make_optimizer("adam", net.parameters(), lr=0.05)
    for _ in range(100):
        net.train_step(x, y)
        opt.step()
    assert net.evaluate(x, y)["accuracy"] > 0.95


def small_cnn_design():
    return chain([1, 8, 8], [
        ("Conv2D", {"filters": 2, "kernel_size": 3, "activation": "relu"}),
        ("MaxPool2D", {"pool_size": 2}),
        ("Conv2D", {"filters": 3, "kernel_size": 3, "activation": "relu"}),
        ("MaxPool2D", {"pool_size": 2}),
        ("Flatten", {}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    ], "cross_entropy")


def pooled_cnn_design(shape, kernel, padding):
    """A linear conv (so the next one computes an input gradient), then conv ReLU -> pool."""
    return chain(shape, [
        ("Conv2D", {"filters": 2, "kernel_size": 3, "activation": "linear"}),
        ("Conv2D", {"filters": 3, "kernel_size": kernel, "padding": padding,
                    "activation": "relu"}),
        ("MaxPool2D", {"pool_size": 2}),
        ("Flatten", {}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    ], "cross_entropy")


@pytest.mark.parametrize("design,shape,pooled", [
    (small_cnn_design, (1, 8, 8), True),             # both pairs pooled in the conv
    (small_cnn_design, (1, 7, 7), False),            # odd sizes: the pool does it
    (lambda: pooled_cnn_design([2, 10, 12], 5, "valid"), (2, 10, 12), True),
    (lambda: pooled_cnn_design([2, 6, 8], 5, "same"), (2, 6, 8), True),
    (lambda: pooled_cnn_design([1, 6, 7], 3, "same"), (1, 6, 7), False),
    (lambda: pooled_cnn_design([3, 6, 4], 1, "same"), (3, 6, 4), True),     # 1x1 kernel
    (lambda: pooled_cnn_design([2, 10, 8], 3, "valid"), (2, 10, 8), True),
    (lambda: pooled_cnn_design([2, 9, 8], 3, "valid"), (2, 9, 8), False),   # 7 rows: odd
])
def test_relu_conv_then_pool_is_fused_and_exact(design, shape, pooled):
    d = design()
    d.set_params("in", shape=list(shape))
    net = Network(d, seed=3, dtype=np.float64)
    convs = [layer for layer in net.layers.values() if layer.kind == "Conv2D"
             and layer.activation.name == "relu"]
    assert convs and all((c.pooled is not None) == pooled for c in convs)
    assert all(c.relu_done_by_consumer != pooled for c in convs)
    x = np.random.default_rng(0).standard_normal((3, *shape))
    # the training pass gives the same output as the separate inference layers
    np.testing.assert_allclose(net.forward(x, training=True), net.forward(x), rtol=1e-12)
    check_network_gradients(net, x, np.array([0, 2, 1]))


def test_threads_give_the_same_training_step(monkeypatch):
    from nnstudio.core import parallel

    x = np.random.default_rng(0).random((16, 1, 8, 8), dtype=np.float32)
    y = np.arange(16) % 3
    results = []
    for n in (1, 3):
        monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
        before = parallel.threads()
        parallel.set_threads(n)
        try:
            net = Network(small_cnn_design(), seed=0)
            loss, _ = net.train_step(x, y)
            make_optimizer("adam", net.parameters(), lr=0.01).step()
            results.append((loss, net.get_weights()))
        finally:
            parallel.set_threads(before)
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    for k, v in results[0][1].items():
        np.testing.assert_allclose(results[1][1][k], v, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("design,shape,y", [
    (small_cnn_design, (10, 1, 8, 8), np.arange(10) % 3),
    (lambda: dag_design("mse", "linear"), (7, 4), np.random.default_rng(1).random((7, 3))),
    (conv_dag_design, (5, 1, 6, 6), np.array([2, 0, 1, 1, 0])),
])
def test_batch_split_across_threads_gives_the_whole_batch_gradient(monkeypatch, design,
                                                                  shape, y):
    from nnstudio.core import network, parallel

    x = np.random.default_rng(0).standard_normal(shape)
    whole = Network(design(), seed=4, dtype=np.float64)
    loss, acc = whole.train_step(x, y)
    monkeypatch.setattr(network, "SHARD_MIN_SAMPLES", 1)
    monkeypatch.setattr(network, "SHARD_MIN_WORK", 1)
    before = parallel.threads()
    parallel.set_threads(3)
    try:
        split = Network(design(), seed=4, dtype=np.float64)
        for _ in range(2):                      # the second step reuses every buffer
            loss3, acc3 = split.train_step(x, y)
    finally:
        parallel.set_threads(before)
    assert len(split._replicas) == 2
    assert loss3 == pytest.approx(loss, rel=1e-12)
    assert (acc3 is None) == (acc is None) and (acc is None or acc3 == pytest.approx(acc))
    for p, q in zip(whole.parameters(), split.parameters(), strict=True):
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-10, atol=1e-12, err_msg=p.name)


@pytest.mark.parametrize("design,shape", [
    (small_cnn_design, (37, 1, 8, 8)),
    (conv_dag_design, (23, 1, 6, 6)),
    (lambda: dag_design("mse", "linear"), (41, 4)),
])
def test_inference_in_slices_on_the_threads_gives_the_whole_batch_answer(monkeypatch, design,
                                                                         shape):
    """predict and evaluate cut a large batch into slices as a training step does, and
    answer as the whole batch on one thread does."""
    from nnstudio.core import network, parallel

    x = np.random.default_rng(2).standard_normal(shape)
    one = Network(design(), seed=4, dtype=np.float64)
    out = one.predict(x)
    y = (np.arange(shape[0]) % out.shape[1] if one.loss_name == "cross_entropy"
         else np.random.default_rng(3).random(out.shape))
    scores = one.evaluate(x, y, batch_size=16)
    monkeypatch.setattr(network, "SHARD_MIN_SAMPLES", 1)
    monkeypatch.setattr(network, "SHARD_MIN_WORK", 1)
    before = parallel.threads()
    parallel.set_threads(3, split_operations=False)
    try:
        sliced = Network(design(), seed=4, dtype=np.float64)
        assert sliced.batch_slices(len(x)) == 3
        np.testing.assert_allclose(sliced.predict(x, batch_size=16), out, rtol=1e-12)
        again = sliced.evaluate(x, y, batch_size=16)
    finally:
        parallel.set_threads(before)
    assert len(sliced._replicas) == 2
    assert again["loss"] == pytest.approx(scores["loss"], rel=1e-12)
    assert again["accuracy"] == scores["accuracy"] or scores["accuracy"] is None


@pytest.mark.parametrize("name,slices", [("mlp", 1), ("cnn", 2), ("cnn16", 2), ("lenet", 2)])
def test_image_templates_train_a_batch_of_128_in_slices_the_mlp_whole(monkeypatch, name,
                                                                     slices):
    from nnstudio.core import parallel

    monkeypatch.setattr(parallel, "_threads", 2)
    assert Network(get_template(name)).batch_slices(128) == slices
