"""Training behaviour: stability, cost decrease, determinism, float32, batching, persistence."""

import copy

import numpy as np
import pytest

import ffnn_core as fc


def runge_problem(n=40, seed=0):
    x, y = fc.make_runge_data(n, noise=0.1, seed=seed)
    return ((x - x.mean()) / x.std())[:, None], y


def test_softmax_and_cross_entropy_finite_for_huge_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    a = fc.Softmax()(z)
    assert np.all(np.isfinite(a)) and np.allclose(a.sum(axis=1), 1.0)
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    c = fc.CrossEntropy().fn(a, y)
    assert np.isfinite(c) and c == pytest.approx(-np.log(1e-15))
    assert np.all(np.isfinite(fc.CrossEntropy().delta(z, a, y, fc.Softmax())))


def test_sigmoid_no_overflow_warning():
    with np.errstate(all="raise"):
        a = fc.Sigmoid()(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(a, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_training_lowers_the_cost(optimizer):
    X, y = runge_problem()
    net = fc.NeuralNetwork((1, 10, 10, 1), "tanh", optimizer=optimizer, learning_rate=0.01, seed=1)
    before = net.cost_value(X, y)
    batch = None if optimizer == "gd" else 8
    net.fit(X, y, epochs=200, batch_size=batch, exact_train_cost=True)
    assert net.history.train_cost[-1] < 0.5 * before
    assert len(net.history.train_cost) == 200


def test_same_seed_bit_identical_weights():
    X, y = runge_problem()
    runs = [fc.NeuralNetwork((1, 8, 8, 1), "sigmoid", optimizer="adam", learning_rate=0.01,
                             regularization="l1", lam=1e-3, dropout=0.1, seed=42).fit(X, y, 30, 7)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    other = fc.NeuralNetwork((1, 8, 8, 1), "sigmoid", optimizer="adam", learning_rate=0.01, seed=43)
    assert not np.array_equal(runs[0].theta, other.fit(X, y, 30, 7).theta)


def test_float32_training_stays_float32():
    X, y = runge_problem()
    net = fc.NeuralNetwork((1, 10, 1), "relu", optimizer="adam", learning_rate=0.01,
                           dtype=np.float32, seed=0)
    seen = []
    net.fit(X, y, epochs=50, batch_size=8,
            callback=lambda epoch, n: seen.append(n.theta.dtype))
    assert net.theta.dtype == np.float32 and set(seen) == {np.dtype(np.float32)}
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.params)
    assert net.forward(X).dtype == np.float32
    assert net.history.train_cost[-1] < net.history.train_cost[0]


def test_every_sample_once_per_epoch_last_partial_batch_kept():
    X = np.arange(10.0)[:, None]
    y = np.zeros(10)
    net = fc.NeuralNetwork((1, 1), "linear", optimizer="sgd", learning_rate=0.1, seed=0)
    seen = []
    original = fc.feed_forward

    def spy(params, Xb, *args, **kwargs):
        if kwargs.get("keep", True):
            seen.append(Xb[:, 0].copy())
        return original(params, Xb, *args, **kwargs)

    fc.feed_forward = spy
    try:
        net.fit(X, y, epochs=2, batch_size=4)
    finally:
        fc.feed_forward = original
    assert [len(b) for b in seen] == [4, 4, 2, 4, 4, 2]
    for epoch in (seen[:3], seen[3:]):
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(10.0))
    assert not np.array_equal(np.concatenate(seen[:3]), np.concatenate(seen[3:]))  # reshuffled


def test_keep_best_restores_lowest_validation_epoch():
    X, y = runge_problem(seed=3)
    Xv, yv = runge_problem(seed=4)
    net = fc.NeuralNetwork((1, 20, 1), "tanh", optimizer="adam", learning_rate=0.05, seed=0)
    net.fit(X, y, epochs=60, batch_size=5, validation_data=(Xv, yv), keep_best=True)
    best = int(np.argmin(net.history.val_cost)) + 1
    assert net.best_epoch == best
    assert net.cost_value(Xv, yv) == pytest.approx(min(net.history.val_cost), rel=1e-12)


def test_classifier_history_and_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    Y = np.eye(2)[(X[:, 0] * X[:, 1] > 0).astype(int)]
    net = fc.NeuralNetwork((2, 16, 2), "relu", "softmax", cost="cross_entropy",
                           optimizer="adam", learning_rate=0.02, init="he", seed=0)
    net.fit(X, Y, epochs=100, batch_size=20, validation_data=(X, Y))
    assert net.history.val_accuracy[-1] > 0.9
    assert net.accuracy(X, Y) == net.history.val_accuracy[-1]


def test_save_and_load_roundtrip(tmp_path):
    X, y = runge_problem()
    net = fc.NeuralNetwork((1, 6, 1), fc.LeakyReLU(0.05), seed=0).fit(X, y, 5, 8)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    assert back.activations[0].alpha == 0.05


def test_leaky_relu_slope_configurable():
    a = fc.LeakyReLU(alpha=0.2)(np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(a, [-0.2, 2.0])
    assert fc.LeakyReLU().alpha == 0.01


def test_penalties_as_the_report_writes_them():
    W = [np.array([[1.0, -2.0]]), np.array([[3.0]])]
    assert fc.L1().fn(W, lam=0.5, n=4) == pytest.approx(0.5 / 8 * 6)
    assert fc.L2().fn(W, lam=0.5, n=4) == pytest.approx(0.5 / 8 * 14)
    g = np.zeros((1, 2))
    fc.L2().add_gradient(g, W[0], 0.5, 4)
    np.testing.assert_allclose(g, [[0.125, -0.25]])
    g = np.zeros((1, 2))
    fc.L1().add_gradient(g, W[0], 0.5, 4)
    np.testing.assert_allclose(g, [[0.0625, -0.0625]])


def test_exact_history_records_train_accuracy_score_and_proba():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 3))
    Y = np.eye(3)[rng.integers(0, 3, 120)]
    net = fc.NeuralNetwork((3, 8, 3), "tanh", "softmax", cost="cross_entropy", seed=0)
    net.fit(X, Y, epochs=4, batch_size=30, exact_train_cost=True, validation_data=(X, Y))
    assert net.history.train_accuracy == net.history.val_accuracy
    assert net.history.train_cost == net.history.val_cost
    assert net.score(X, Y) == net.accuracy(X, Y) == net.history.val_accuracy[-1]
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1.0)
    reg = fc.NeuralNetwork((3, 4, 1), "tanh", seed=0)
    with pytest.raises(ValueError, match="predict_proba needs a classification cost"):
        reg.predict_proba(X)
    y = X[:, 0]
    reg.fit(X, y, epochs=200, batch_size=20)
    assert 0.5 < reg.score(X, y) <= 1.0


def test_input_dropout_trains_on_masked_inputs():
    """One full-batch SGD step with input dropout equals backprop on X * mask.

    The mask is redrawn from a copy of the network's Generator: inverted dropout keeps
    each feature with probability 1 - rate and scales it by 1 / (1 - rate).
    """
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 6)), rng.standard_normal((20, 1))
    net = fc.NeuralNetwork((6, 5, 1), "tanh", optimizer="sgd", learning_rate=0.1,
                           input_dropout=0.5, seed=3)
    params0 = [(W.copy(), b.copy()) for W, b in net.params]
    mask_rng = copy.deepcopy(net.rng)
    net.fit(X, y, epochs=1)  # full batch: no shuffle, so the mask is the first draw
    mask = (mask_rng.random(X.shape) < 0.5) / 0.5
    assert 0 < np.count_nonzero(mask) < mask.size
    grads = fc.cost_gradients(params0, X * mask, y, net.activations, "mse")
    for (W0, b0), (dW, db), (W, b) in zip(params0, grads, net.params):
        np.testing.assert_allclose(W, W0 - 0.1 * dW, rtol=0, atol=1e-15)
        np.testing.assert_allclose(b, b0 - 0.1 * db, rtol=0, atol=1e-15)
