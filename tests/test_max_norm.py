"""The max-norm constraint (Srivastava et al. 2014): each unit's incoming weights kept in a ball of radius c."""

import copy
import pickle

import numpy as np
import pytest

import ffnn_core as fc


def test_clip_incoming_norms_by_hand():
    # columns: norm 5 (3, 4) -> scaled by 2/5; norm 1 (0, 1) untouched; norm 0 untouched
    W = np.array([[3.0, 0.0, 0.0], [4.0, 1.0, 0.0]])
    b = np.array([10.0, 10.0, 10.0])
    fc.clip_incoming_norms([(W, b)], 2.0)
    np.testing.assert_allclose(W, [[1.2, 0.0, 0.0], [1.6, 1.0, 0.0]], rtol=1e-15, atol=0)
    assert W[1, 1] == 1.0  # a column inside the ball keeps its bits
    np.testing.assert_array_equal(b, [10.0, 10.0, 10.0])  # biases are not constrained


def test_columns_inside_the_ball_keep_their_bits_and_population_members_are_separate():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(2, 6, 5)).astype(np.float32)  # two members
    W[1] *= 0.01  # member 1 well inside the ball
    before = W.copy()
    fc.clip_incoming_norms([(W, np.zeros((2, 1, 5), np.float32))], 1.0)
    np.testing.assert_array_equal(W[1], before[1])
    assert W.dtype == np.float32
    norms = np.linalg.norm(W[0], axis=0)
    assert np.all(norms <= 1.0 + 1e-6) and np.allclose(norms, np.minimum(np.linalg.norm(before[0], axis=0), 1.0), rtol=1e-6)


def make_net(max_norm=0.5, **kw):
    return fc.NeuralNetwork((4, 16, 8, 3), activations="relu", output_activation="softmax", cost="cross_entropy",
                            optimizer="adam", learning_rate=0.05, init="he", seed=3, max_norm=max_norm, **kw)


def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    return X, fc.one_hot(rng.integers(0, 3, 60), 3)


def test_every_update_keeps_every_unit_in_the_ball_and_the_constraint_binds():
    X, Y = data()
    seen = []
    net = make_net(0.5)
    net.fit(X, Y, epochs=5, batch_size=10,
            callback=lambda e, n: seen.append(max(np.linalg.norm(W, axis=0).max() for W, _ in n.params)))
    assert max(seen) <= 0.5 + 1e-12
    free = make_net(None).fit(X, Y, epochs=5, batch_size=10)
    assert max(np.linalg.norm(W, axis=0).max() for W, _ in free.params) > 0.5  # it would have left the ball


def test_a_loose_constraint_changes_nothing():
    X, Y = data()
    a = make_net(None).fit(X, Y, epochs=3, batch_size=10)
    b = make_net(1e6).fit(X, Y, epochs=3, batch_size=10)
    np.testing.assert_array_equal(a.theta, b.theta)


@pytest.mark.parametrize("bad", [0, -1.0, np.inf, "1", True])
def test_bad_max_norm_names_the_argument(bad):
    with pytest.raises((TypeError, ValueError), match="max_norm"):
        make_net(bad)


def test_population_members_bit_identical_to_lone_networks():
    X, Y = data()
    pop = fc.NetworkPopulation((4, 16, 8, 3), activations="relu", output_activation="softmax",
                               cost="cross_entropy", optimizer="adam", learning_rate=0.05, init="he",
                               seed=[3, 4, 5], max_norm=0.5).fit(X, Y, epochs=3, batch_size=10)
    for k, seed in enumerate([3, 4, 5]):
        lone = fc.NeuralNetwork((4, 16, 8, 3), activations="relu", output_activation="softmax",
                                cost="cross_entropy", optimizer="adam", learning_rate=0.05, init="he",
                                seed=seed, max_norm=0.5).fit(X, Y, epochs=3, batch_size=10)
        np.testing.assert_array_equal(pop.theta[k], lone.theta)
        assert pop.member(k).max_norm == 0.5


def test_from_networks_refuses_mixed_max_norms():
    nets = [make_net(0.5), make_net(1.0)]
    with pytest.raises(ValueError, match="from_networks"):
        fc.NetworkPopulation.from_networks(nets)


def test_save_load_and_copies_keep_max_norm(tmp_path):
    X, Y = data()
    net = make_net(0.5).fit(X, Y, epochs=1, batch_size=10)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    assert back.max_norm == 0.5
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        twin.fit(X, Y, epochs=2, batch_size=10)
    net.fit(X, Y, epochs=2, batch_size=10)
    np.testing.assert_array_equal(twin.theta, net.theta)


def test_estimator_passes_max_norm():
    X, Y = data()
    clf = fc.FFNNClassifier(hidden_layer_sizes=(16,), max_norm=0.3, epochs=3, batch_size=10,
                            learning_rate=0.05, random_state=0).fit(X, Y.argmax(axis=1))
    assert clf.network_.max_norm == 0.3
    assert max(np.linalg.norm(W, axis=0).max() for W, _ in clf.network_.params) <= 0.3 + 1e-12
    assert clf.get_params()["max_norm"] == 0.3
