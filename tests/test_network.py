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


# -- the task objects: output shape, R^2, binary task, pairing -------------------------------

def test_regression_predict_shape_follows_mlpregressor():
    X, y = runge_problem()
    one = fc.NeuralNetwork((1, 4, 1), "tanh", seed=0)
    assert one.predict(X).shape == (40,)
    np.testing.assert_array_equal(one.predict(X), one.forward(X)[:, 0])
    two = fc.NeuralNetwork((1, 4, 2), "tanh", seed=0)
    assert two.predict(X).shape == (40, 2)
    np.testing.assert_array_equal(two.predict(X), two.forward(X))


def test_score_is_sklearn_r2_averaged_over_outputs():
    from sklearn.metrics import r2_score
    X, y = runge_problem()
    Y = np.column_stack([y, 100 * y])  # outputs on different scales: pooled R^2 != mean R^2
    net = fc.NeuralNetwork((1, 6, 2), "tanh", optimizer="adam", learning_rate=0.05, seed=0)
    net.fit(X, Y, epochs=30, batch_size=8)
    a = net.forward(X)
    assert net.score(X, Y) == r2_score(Y, a)
    per_output = [1 - np.sum((Y[:, k] - a[:, k]) ** 2) / np.sum((Y[:, k] - Y[:, k].mean()) ** 2)
                  for k in (0, 1)]
    assert net.score(X, Y) == pytest.approx(np.mean(per_output), rel=1e-12)
    pooled = 1 - np.sum((Y - a) ** 2) / np.sum((Y - Y.mean(axis=0)) ** 2)
    assert abs(net.score(X, Y) - pooled) > 1e-3


def test_binary_task_threshold_accuracy_and_history():
    net = fc.NeuralNetwork((1, 1), ["sigmoid"], cost="binary_cross_entropy", seed=0)
    net.theta = np.array([1.0, 0.0])  # a = sigmoid(x)
    X = np.array([[-1.0], [0.0], [1e-3], [2.0]])
    np.testing.assert_array_equal(net.predict(X), [0, 0, 1, 1])  # a > 0.5, strictly
    y = np.array([0.0, 1.0, 1.0, 0.0])
    assert net.accuracy(X, y) == 0.5 == net.score(X, y)
    rng = np.random.default_rng(0)
    Xb = rng.standard_normal((80, 2))
    yb = (Xb[:, 0] + Xb[:, 1] > 0).astype(float)
    clf = fc.NeuralNetwork((2, 6, 1), "tanh", "sigmoid", cost="binary_cross_entropy",
                           optimizer="adam", learning_rate=0.05, seed=0)
    clf.fit(Xb, yb, epochs=40, batch_size=16, validation_data=(Xb, yb), exact_train_cost=True)
    assert clf.history.val_accuracy[-1] > 0.9 and clf.history.train_accuracy == clf.history.val_accuracy
    assert clf.predict(Xb).dtype.kind == "i"
    p = np.clip(clf.forward(Xb)[:, 0], 1e-15, 1 - 1e-15)
    expected = -np.mean(yb * np.log(p) + (1 - yb) * np.log1p(-p))
    assert clf.cost_value(Xb, yb) == pytest.approx(expected, rel=1e-12)


def test_accuracy_and_proba_need_a_classifier():
    X, y = runge_problem()
    reg = fc.NeuralNetwork((1, 4, 1), "tanh", seed=0)
    for method in (reg.accuracy, lambda X, y: reg.predict_proba(X)):
        with pytest.raises(ValueError, match="needs a classification cost, not 'mse'"):
            method(X, y)


def test_cost_value_with_penalty_adds_lambda_over_2n():
    X, y = runge_problem()
    net = fc.NeuralNetwork((1, 5, 1), "tanh", regularization="l2", lam=0.3, seed=0)
    weights = sum(np.sum(W ** 2) for W, _ in net.params)
    expected = net.cost_value(X, y) + 0.3 / (2 * 40) * weights
    assert net.cost_value(X, y, with_penalty=True) == pytest.approx(expected, rel=1e-14)
    plain = fc.NeuralNetwork((1, 5, 1), "tanh", seed=0)
    assert plain.cost_value(X, y, with_penalty=True) == plain.cost_value(X, y)


def test_forward_in_chunks_keeps_every_row():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2 * 4096 + 5, 3))
    net = fc.NeuralNetwork((3, 7, 2), "tanh", seed=0)
    out = net.forward(X)
    assert out.shape == (8197, 2)
    rows = np.concatenate([fc.feed_forward(net.params, X[i:i + 1000], net.activations, keep=False)
                           for i in range(0, len(X), 1000)])
    np.testing.assert_allclose(out, rows, rtol=1e-13, atol=1e-15)


def test_init_normal_draws_weights_and_biases_from_n01():
    theta, params = fc.init_params((3, 4, 2), "normal", np.random.default_rng(5))
    rng = np.random.default_rng(5)
    expected = np.concatenate([rng.standard_normal((3, 4)).ravel(), rng.standard_normal(4),
                               rng.standard_normal((4, 2)).ravel(), rng.standard_normal(2)])
    np.testing.assert_array_equal(theta, expected)
    assert np.all(params[0][1] != 0) and theta.size == fc.n_parameters((3, 4, 2)) == 26


def test_activation_repr_and_registry():
    assert repr(fc.LeakyReLU(0.05)) == "LeakyReLU(alpha=0.05)" and repr(fc.Tanh()) == "Tanh()"
    assert fc.resolve_activation("leaky_relu", alpha=0.2).alpha == 0.2
    assert isinstance(fc.resolve_activation("identity"), fc.Linear)
    with pytest.raises(ValueError, match=r"LeakyReLU alpha must lie in \(0, 1\), got 1.5"):
        fc.LeakyReLU(1.5)


def test_save_stores_names_and_arguments(tmp_path):
    net = fc.NeuralNetwork((2, 3, 3, 1), [fc.LeakyReLU(0.05), "tanh", "linear"], seed=0)
    net.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as f:
        assert f["activations"].tolist() == ["leaky_relu", "tanh", "linear"]
        assert f["activation_args"].tolist() == ['{"alpha": 0.05}', "{}", "{}"]
        assert str(f["cost"]) == "mse"


def test_load_reads_files_written_with_repr_names(tmp_path):
    """Files from before names were stored held repr(activation) strings."""
    X, _ = runge_problem()
    net = fc.NeuralNetwork((1, 6, 1), fc.LeakyReLU(0.05), seed=0)
    np.savez(tmp_path / "old.npz", theta=net.theta, layer_sizes=np.asarray(net.layer_sizes),
             activations=np.asarray(["LeakyReLU(alpha=0.05)", "Linear()"]), cost=np.asarray("mse"))
    back = fc.NeuralNetwork.load(tmp_path / "old.npz")
    assert back.activations[0].alpha == 0.05 and isinstance(back.activations[1], fc.Linear)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    np.savez(tmp_path / "odd.npz", theta=net.theta, layer_sizes=np.asarray(net.layer_sizes),
             activations=np.asarray(["Swish()", "Linear()"]), cost=np.asarray("mse"))
    with pytest.raises(ValueError, match=r"unknown activation 'Swish\(\)' in saved file"):
        fc.NeuralNetwork.load(tmp_path / "odd.npz")
