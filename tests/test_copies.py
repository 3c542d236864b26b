"""A copy of a network (pickle, joblib, deepcopy, theta assignment) behaves exactly like the original.

The flat ``theta`` and the per-layer ``params`` views must stay one set of numbers in the
copy: training the copy changes what it predicts, keep_best restores what it predicts from,
and ``save`` writes the weights it predicts with.
"""

import copy
import pickle

import joblib
import numpy as np
import pytest

import ffnn_core as fc


def problem(seed=0):
    x, y = fc.make_runge_data(30, noise=0.1, seed=seed)
    return ((x - x.mean()) / x.std())[:, None], y


def trained_net():
    X, y = problem()
    return fc.NeuralNetwork((1, 6, 1), "tanh", optimizer="adam", learning_rate=0.05, seed=0).fit(X, y, 3, 8)


def via_joblib(net, tmp_path):
    joblib.dump(net, tmp_path / "net.joblib")
    return joblib.load(tmp_path / "net.joblib")


COPIES = {
    "pickle": lambda net, tmp_path: pickle.loads(pickle.dumps(net)),
    "deepcopy": lambda net, tmp_path: copy.deepcopy(net),
    "joblib": via_joblib,
}


@pytest.mark.parametrize("how", list(COPIES))
def test_training_a_copy_changes_its_predictions(how, tmp_path):
    """The reproducer of issue 11, item 1: training a copy must change its predictions."""
    X, y = problem()
    net = trained_net()
    n2 = COPIES[how](net, tmp_path)
    np.testing.assert_array_equal(n2.predict(X), net.predict(X))
    p = n2.predict(X).copy()
    n2.fit(X, y, epochs=3)
    assert not np.array_equal(p, n2.predict(X))
    for W, b in n2.params:
        assert np.shares_memory(W, n2.theta) and np.shares_memory(b, n2.theta)
        assert not np.shares_memory(W, net.theta)
    np.testing.assert_array_equal(net.predict(X), p)  # the original is untouched


@pytest.mark.parametrize("how", list(COPIES))
def test_copy_trains_exactly_as_the_original(how, tmp_path):
    X, y = problem()
    net = trained_net()
    twin = COPIES[how](net, tmp_path)
    net.fit(X, y, epochs=4, batch_size=8)
    twin.fit(X, y, epochs=4, batch_size=8)
    np.testing.assert_array_equal(twin.theta, net.theta)
    assert twin.history.train_cost == net.history.train_cost


def test_theta_assignment_keeps_params_linked(tmp_path):
    X, y = problem()
    net, saved = trained_net(), trained_net().theta.copy()
    net.fit(X, y, epochs=5, batch_size=8)
    net.theta = saved
    np.testing.assert_array_equal(np.concatenate([np.r_[W.ravel(), b] for W, b in net.params]), saved)
    np.testing.assert_array_equal(net.predict(X), trained_net().predict(X))
    p = net.predict(X).copy()
    net.fit(X, y, epochs=3)
    assert not np.array_equal(p, net.predict(X))
    net.save(tmp_path / "net.npz")  # save writes the weights predict uses
    np.testing.assert_array_equal(fc.NeuralNetwork.load(tmp_path / "net.npz").predict(X), net.predict(X))


def test_keep_best_after_a_copy_restores_the_best_weights():
    X, y = problem(seed=3)
    Xv, yv = problem(seed=4)
    net = pickle.loads(pickle.dumps(trained_net()))
    net.fit(X, y, epochs=40, batch_size=5, validation_data=(Xv, yv), keep_best=True)
    assert len(set(net.history.val_cost)) > 1  # the copy's training changes what it evaluates
    assert net.best_epoch < 40 and min(net.history.val_cost) < net.history.val_cost[-1]
    assert net.cost_value(Xv, yv) == pytest.approx(min(net.history.val_cost), rel=1e-12)


@pytest.mark.parametrize("value,message", [
    (np.zeros(3), r"theta must be float64 of shape \(19,\), got float64 \(3,\)"),
    (np.zeros(19, dtype=np.float32), r"theta must be float64 of shape \(19,\), got float32 \(19,\)"),
])
def test_theta_assignment_checks_shape_and_dtype(value, message):
    net = trained_net()
    before = net.theta.copy()
    with pytest.raises(ValueError, match=message):
        net.theta = value
    np.testing.assert_array_equal(net.theta, before)


def test_fitted_estimator_copy_trains_its_own_network():
    X, y = problem()
    est = fc.FFNNRegressor(hidden_layer_sizes=(6,), epochs=5, batch_size=8, random_state=0).fit(X, y)
    est2 = pickle.loads(pickle.dumps(est))
    p = est2.predict(X).copy()
    est2.network_.fit(X, y, epochs=3)
    assert not np.array_equal(p, est2.predict(X))
    np.testing.assert_array_equal(est.predict(X), p)


def test_pickles_from_before_theta_was_a_property_load_linked():
    """Those pickles held theta (and stale views) in the instance dict."""
    X, y = problem()
    net = trained_net()
    state = net.__getstate__()
    state["theta"] = state.pop("_theta").copy()
    state["params"] = [(W.copy(), b.copy()) for W, b in net.params]
    old = fc.NeuralNetwork.__new__(fc.NeuralNetwork)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict(X), net.predict(X))
    assert all(np.shares_memory(W, old.theta) for W, _ in old.params)
