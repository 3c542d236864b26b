"""Issue 11: no silently wrong result from any copy, fault or bad input; a clear error for every misuse.

One focused test per case of the issue, written against the public API (NeuralNetwork, the
estimators, optimizer/schedule classes, make_runge_data, load_mnist, TrainingDivergedError).
Error tests assert the exception type and that the message names the argument.

Decisions fixed by the lead that these tests encode:
- regression ``predict`` is (n,) for ONE output and (n, k) otherwise (network and estimators);
- ``score`` for regression is scikit-learn's ``r2_score`` (uniform average over outputs);
- ``NeuralNetwork.fit`` continues from the current weights (warm start), estimator ``fit`` restarts;
- a diverged ``NeuralNetwork.fit`` raises ``TrainingDivergedError`` and restores the weights from
  before the diverging epoch (the best weights with keep_best and validation data); a diverged
  estimator fit re-raises and leaves the estimator unfitted;
- float32 binary cross-entropy clips by float32's own epsilon;
- optimizer/schedule objects given to an estimator are deep-copied per fit;
- ``load`` after ``save`` keeps the training configuration that can be saved (optimizer name and
  constants, regularization, lam, dropout rates).
"""

import copy
import gzip
import math
import pickle
import re
import shutil

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted

import ffnn_core as fc

# ---------------------------------------------------------------------------- helpers


def regression_data(n=60, n_features=2, n_outputs=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    W = rng.standard_normal((n_features, n_outputs))
    y = np.tanh(X @ W) + 0.1 * rng.standard_normal((n, n_outputs))
    return X, (y[:, 0] if n_outputs == 1 else y)


def small_net(**kw):
    args = dict(layer_sizes=(2, 8, 1), activations="tanh", optimizer="adam",
                learning_rate=0.01, seed=0)
    args.update(kw)
    return fc.NeuralNetwork(**args)


def trained_net(**kw):
    X, y = regression_data()
    return small_net(**kw).fit(X, y, epochs=5, batch_size=10), X, y


def diverging_problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((50, 2)) * 10, rng.standard_normal(50) * 10


def diverging_net(**kw):
    args = dict(layer_sizes=(2, 32, 32, 1), activations="relu", optimizer="sgd",
                learning_rate=10.0, seed=0)
    args.update(kw)
    return fc.NeuralNetwork(**args)


def message_of(excinfo):
    return str(excinfo.value)


# ============================================================================
# Silently wrong 1: a copy keeps the link between theta and the layer weights
# ============================================================================

def _pickle_copy(net):
    return pickle.loads(pickle.dumps(net))


def _deepcopy(net):
    return copy.deepcopy(net)


def _joblib_copy(net, tmp_path):
    import joblib
    joblib.dump(net, tmp_path / "net.joblib")
    return joblib.load(tmp_path / "net.joblib")


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "joblib"])
def test_copied_network_keeps_training(how, tmp_path):
    """Training a copy changes what predict sees, exactly as training the original does."""
    net, X, y = trained_net()
    twin = {"pickle": _pickle_copy, "deepcopy": _deepcopy,
            "joblib": lambda n: _joblib_copy(n, tmp_path)}[how](net)
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    net.fit(X, y, epochs=3, batch_size=10)
    twin.fit(X, y, epochs=3, batch_size=10)
    np.testing.assert_array_equal(twin.theta, net.theta)
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))


def test_copied_network_saves_the_weights_it_predicts_with(tmp_path):
    net, X, y = trained_net()
    twin = copy.deepcopy(net).fit(X, y, epochs=3, batch_size=10)
    twin.save(tmp_path / "twin.npz")
    back = fc.NeuralNetwork.load(tmp_path / "twin.npz")
    np.testing.assert_array_equal(back.predict(X), twin.predict(X))


def test_copied_network_keep_best_restores_best_weights():
    net, X, y = trained_net()
    Xv, yv = regression_data(seed=1)
    twin = pickle.loads(pickle.dumps(net))
    for n in (net, twin):
        n.fit(X, y, epochs=30, batch_size=5, validation_data=(Xv, yv), keep_best=True)
    np.testing.assert_array_equal(twin.history.val_cost, net.history.val_cost)
    assert twin.cost_value(Xv, yv) == pytest.approx(min(twin.history.val_cost), rel=1e-12)
    np.testing.assert_array_equal(twin.predict(Xv), net.predict(Xv))


def test_assigning_theta_sets_the_weights_predict_uses():
    net, X, y = trained_net()
    other = small_net(seed=5)
    net.theta = other.theta.copy()
    np.testing.assert_array_equal(net.predict(X), other.predict(X))
    before = net.predict(X).copy()
    net.fit(X, y, epochs=3, batch_size=10)
    assert not np.array_equal(net.predict(X), before)


def test_estimators_from_parallel_workers_keep_their_network_linked():
    from sklearn.model_selection import cross_validate
    X, y = regression_data(n=40)
    out = cross_validate(fc.FFNNRegressor(hidden_layer_sizes=(6,), epochs=5, batch_size=10,
                                          random_state=0),
                         X, y, cv=2, n_jobs=2, return_estimator=True)
    est = out["estimator"][0]
    before = est.predict(X).copy()
    est.network_.fit(X, y, epochs=3, batch_size=10)
    assert not np.array_equal(est.predict(X), before)


# ============================================================================
# Silently wrong 2: a diverged fit never leaves a model that looks fitted
# ============================================================================

def test_diverged_fit_restores_weights_from_before_the_diverging_epoch():
    X, y = diverging_problem()
    net = diverging_net()
    snapshots = [net.theta.copy()]
    with pytest.raises(fc.TrainingDivergedError) as info:
        net.fit(X, y, epochs=50, batch_size=10,
                callback=lambda epoch, n: snapshots.append(n.theta.copy()))
    assert np.all(np.isfinite(net.theta))
    np.testing.assert_array_equal(net.theta, snapshots[info.value.epoch - 1])
    assert np.all(np.isfinite(net.predict(X)))


def test_diverged_fit_with_keep_best_restores_the_best_weights():
    """A learning rate growing by 20 % per update improves the fit for a few epochs, then
    diverges (at epoch 18 with today's code); the best validation epoch comes first."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 2)), rng.standard_normal(50)
    net = fc.NeuralNetwork((2, 16, 1), "tanh", optimizer="sgd",
                           learning_rate=lambda t: 1e-3 * 1.2 ** t, seed=0)
    snapshots = []
    with pytest.raises(fc.TrainingDivergedError) as info:
        net.fit(X, y, epochs=200, batch_size=10, validation_data=(X[:20], y[:20]), keep_best=True,
                callback=lambda epoch, n: snapshots.append(n.theta.copy()))
    assert info.value.epoch > 3, "this setup must diverge after a few good epochs"
    best = int(np.argmin(net.history.val_cost))
    np.testing.assert_array_equal(net.theta, snapshots[best])
    assert net.best_epoch == best + 1


def test_diverged_estimator_fit_leaves_it_unfitted():
    X, y = regression_data()
    reg = fc.FFNNRegressor(optimizer="sgd", learning_rate=50.0, epochs=50, batch_size=8,
                           random_state=0)
    with pytest.raises(fc.TrainingDivergedError):
        reg.fit(X * 100, y * 100)
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_diverged_refit_after_a_good_fit_leaves_nothing_of_either_fit():
    X, y = regression_data()
    reg = fc.FFNNRegressor(optimizer="sgd", learning_rate=0.01, epochs=5, batch_size=8,
                           random_state=0).fit(X, y)
    reg.set_params(learning_rate=50.0, epochs=50)
    with pytest.raises(fc.TrainingDivergedError):
        reg.fit(X * 100, y * 100)
    for attr in ("network_", "history_", "loss_curve_", "n_iter_"):
        assert not hasattr(reg, attr), attr
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)


def test_diverged_classifier_does_not_predict_class_zero_for_every_row():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2)) * 1e3
    y = (X[:, 0] > 0).astype(int)
    clf = fc.FFNNClassifier(optimizer="sgd", learning_rate=1e3, epochs=50, batch_size=8,
                            random_state=0)
    with pytest.raises(fc.TrainingDivergedError):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


# ============================================================================
# Silently wrong 3: float32 binary cross-entropy
# ============================================================================

def binary_net(dtype=np.float64, **kw):
    return fc.NeuralNetwork((1, 1), ["sigmoid"], cost="binary_cross_entropy", dtype=dtype,
                            seed=0, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_of_saturated_correct_prediction_is_small(dtype):
    """float32 fails today (1 - 1e-15 rounds to 1); float64 is the guard for the same clip."""
    net = binary_net(dtype)
    net.theta[...] = [100.0, 0.0]  # W = 100, b = 0: outputs round to exactly 1 and 0
    X, y = np.array([[1.0], [-1.0]]), np.array([1.0, 0.0])
    c = net.cost_value(X, y)
    assert np.isfinite(c) and 0.0 <= c < 1e-5


def test_float32_binary_fit_on_well_separated_data_does_not_diverge():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.uniform(5, 10, (50, 2)), rng.uniform(-10, -5, (50, 2))])
    y = np.r_[np.ones(50), np.zeros(50)]
    net = fc.NeuralNetwork((2, 8, 1), "relu", "sigmoid", cost="binary_cross_entropy",
                           optimizer="adam", learning_rate=0.5, dtype=np.float32, seed=0)
    net.fit(X, y, epochs=30, batch_size=20)
    assert net.accuracy(X, y) == 1.0
    assert np.all(np.isfinite(net.history.train_cost))


# ============================================================================
# Silently wrong 4: output/cost/target combinations that cannot be meant
# ============================================================================

@pytest.mark.parametrize("output,cost", [
    ("sigmoid", "cross_entropy"),   # 1-unit sigmoid with categorical cross-entropy
    ("softmax", "cross_entropy"),   # 1-unit softmax: always probability 1
    ("linear", "cross_entropy"),
    ("linear", "binary_cross_entropy"),
])
def test_impossible_output_and_cost_pairs_are_refused(output, cost):
    with pytest.raises(ValueError, match=r"output_activation|cost"):
        fc.NeuralNetwork((2, 4, 1), "relu", output, cost=cost, seed=0)


def test_cross_entropy_with_linear_multi_output_is_refused():
    with pytest.raises(ValueError, match=r"output_activation|cost"):
        fc.NeuralNetwork((2, 4, 3), "relu", "linear", cost="cross_entropy", seed=0)


@pytest.mark.parametrize("Y", [
    np.array([[2.0, -1.0, 0.0]] * 4),        # not probabilities
    np.array([[1.0, 1.0, 0.0]] * 4),         # rows do not sum to 1
])
def test_cross_entropy_targets_must_be_probability_rows(Y):
    net = fc.NeuralNetwork((2, 4, 3), "relu", "softmax", cost="cross_entropy", seed=0)
    with pytest.raises(ValueError, match=r"\by\b"):
        net.fit(np.ones((4, 2)), Y, epochs=1)


@pytest.mark.parametrize("bad", [2.0, -0.5])
def test_binary_cross_entropy_targets_must_lie_in_unit_interval(bad):
    net = fc.NeuralNetwork((2, 4, 1), "relu", "sigmoid", cost="binary_cross_entropy", seed=0)
    y = np.array([0.0, 1.0, bad, 1.0])
    with pytest.raises(ValueError, match=r"\by\b"):
        net.fit(np.ones((4, 2)), y, epochs=1)


# ============================================================================
# Silently wrong 5: optimizer and schedule objects given to an estimator
# ============================================================================

def test_estimator_learning_rate_is_not_ignored_with_an_optimizer_object():
    """Either learning_rate drives the fit or the conflict is a clear error (the issue leaves
    the choice open): what must not happen is two learning rates giving the same model."""
    X, y = regression_data()
    preds = []
    for lr in (1e-4, 1e-1):
        reg = fc.FFNNRegressor(hidden_layer_sizes=(8,), optimizer=fc.Adam(), learning_rate=lr,
                               epochs=10, batch_size=10, random_state=0)
        try:
            reg.fit(X, y)
        except ValueError as err:
            assert "learning_rate" in str(err)
            return
        preds.append(reg.predict(X))
    assert not np.allclose(preds[0], preds[1])


@pytest.mark.parametrize("make_optimizer", [
    lambda: fc.Adam(0.01),
    lambda: fc.Momentum(fc.InverseTimeDecay(0.01, decay=0.1)),
    lambda: fc.SGD(fc.CosineDecay(0.05, total_steps=30)),
], ids=["adam", "momentum-inverse-time", "sgd-cosine"])
def test_optimizer_object_is_copied_per_fit(make_optimizer):
    X, y = regression_data()
    opt = make_optimizer()
    pristine = pickle.dumps(opt)
    reg = fc.FFNNRegressor(hidden_layer_sizes=(8,), optimizer=opt, learning_rate=0.01,
                           epochs=10, batch_size=10, random_state=0)
    first = reg.fit(X, y).predict(X).copy()
    second = reg.fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    assert reg.optimizer is opt                       # the hyperparameter is not replaced ...
    assert pickle.dumps(opt) == pristine              # ... nor changed by fitting


def test_grid_search_over_learning_rate_with_optimizer_object_scores_differ():
    from sklearn.model_selection import GridSearchCV
    X, y = regression_data(n=80)
    grid = GridSearchCV(fc.FFNNRegressor(hidden_layer_sizes=(8,), optimizer=fc.SGD(0.01),
                                         epochs=10, batch_size=10, random_state=0),
                        {"learning_rate": [1e-4, 1e-1]}, cv=2, error_score="raise")
    try:
        grid.fit(X, y)
    except ValueError as err:
        assert "learning_rate" in str(err)
        return
    scores = grid.cv_results_["mean_test_score"]
    assert scores[0] != scores[1]


# ============================================================================
# Silently wrong 6: accepted without a word
# ============================================================================

@pytest.mark.parametrize("make,argument", [
    (lambda: fc.Momentum(0.01, momentum=1.5), "momentum"),
    (lambda: fc.Momentum(0.01, momentum=-0.1), "momentum"),
    (lambda: fc.AdaGrad(0.01, eps=-1e-8), "eps"),
    (lambda: fc.RMSprop(0.01, rho=1.5), "rho"),
    (lambda: fc.RMSprop(0.01, eps=-1e-8), "eps"),
    (lambda: fc.Adam(0.01, beta1=1.0), "beta1"),
    (lambda: fc.Adam(0.01, beta2=1.0), "beta2"),
    (lambda: fc.Adam(0.01, eps=-1e-8), "eps"),
    (lambda: fc.CosineDecay(0.1, total_steps=10, eta_min=-0.01), "eta_min"),
    (lambda: fc.InverseTimeDecay(0.1, decay=float("nan")), "decay"),
], ids=["momentum1.5", "momentum-neg", "adagrad-eps", "rmsprop-rho", "rmsprop-eps",
        "adam-beta1", "adam-beta2", "adam-eps", "cosine-eta_min", "decay-nan"])
def test_optimizer_and_schedule_constants_out_of_range(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_schedule_returning_a_negative_rate_is_refused():
    X, y = regression_data()
    net = small_net(optimizer="sgd", learning_rate=lambda t: 0.01 - 0.01 * t)
    with pytest.raises(ValueError, match="learning_rate"):
        net.fit(X, y, epochs=2, batch_size=10)


def test_lam_true_is_refused():
    with pytest.raises(TypeError, match="lam"):
        small_net(regularization="l2", lam=True)


def test_complex_X_is_refused():
    X, y = regression_data()
    with pytest.raises(ValueError, match=r"(?i)\bX\b.*complex|complex.*\bX\b"):
        small_net().fit(X + 1j, y, epochs=1)


def test_keep_best_without_validation_data_is_refused():
    X, y = regression_data()
    with pytest.raises(ValueError, match="keep_best"):
        small_net().fit(X, y, epochs=2, keep_best=True)


@pytest.mark.parametrize("noise", [float("nan"), float("inf")])
def test_make_runge_data_non_finite_noise(noise):
    with pytest.raises(ValueError, match="noise"):
        fc.make_runge_data(10, noise=noise, seed=0)


def _resave(src, dst, **replace):
    with np.load(src, allow_pickle=False) as f:
        fields = {k: f[k] for k in f.files}
    fields.update(replace)
    np.savez(dst, **fields)


@pytest.mark.parametrize("theta", [np.zeros(3), np.array(0.5)], ids=["short", "scalar"])
def test_load_refuses_theta_of_wrong_length(theta, tmp_path):
    net, _, _ = trained_net()
    net.save(tmp_path / "ok.npz")
    _resave(tmp_path / "ok.npz", tmp_path / "bad.npz", theta=theta)
    with pytest.raises(ValueError, match="theta"):
        fc.NeuralNetwork.load(tmp_path / "bad.npz")


def test_load_refuses_non_finite_weights(tmp_path):
    net, _, _ = trained_net()
    net.save(tmp_path / "ok.npz")
    theta = net.theta.copy()
    theta[3] = np.nan
    _resave(tmp_path / "ok.npz", tmp_path / "bad.npz", theta=theta)
    with pytest.raises(ValueError, match="theta"):
        fc.NeuralNetwork.load(tmp_path / "bad.npz")


def test_save_refuses_non_finite_weights(tmp_path):
    net, _, _ = trained_net()
    net.theta[3] = np.nan
    with pytest.raises(ValueError, match="theta|weights"):
        net.save(tmp_path / "nan.npz")


def test_load_keeps_the_training_configuration(tmp_path):
    """Training after load is training with the saved optimizer, penalty, lambda and dropout."""
    X, y = regression_data()
    config = dict(layer_sizes=(2, 8, 1), activations="tanh", optimizer="momentum",
                  learning_rate=0.05, regularization="l2", lam=0.3)
    net = fc.NeuralNetwork(**config, seed=0).fit(X, y, epochs=3, batch_size=10)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    fresh = fc.NeuralNetwork(**config, seed=1)
    fresh.theta[...] = net.theta
    back.fit(X, y, epochs=3)      # full batch: no shuffling, so no randomness is involved
    fresh.fit(X, y, epochs=3)
    np.testing.assert_array_equal(back.theta, fresh.theta)


def test_load_keeps_the_dropout_rates(tmp_path):
    net = small_net(dropout=0.25, input_dropout=0.1)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    assert (back.dropout, back.input_dropout) == (0.25, 0.1)


# ============================================================================
# Unclear today: the error names the argument and the problem
# ============================================================================

def test_decay_nan_in_estimator_names_decay():
    X, y = regression_data()
    with pytest.raises(ValueError, match="decay"):
        fc.FFNNRegressor(lr_schedule="inverse_time", decay=float("nan"), epochs=2).fit(X, y)


def test_adam_beta1_one_is_not_reported_as_divergence():
    X, y = regression_data()
    with pytest.raises(ValueError, match="beta1"):
        small_net(optimizer=fc.Adam(0.01, beta1=1.0)).fit(X, y, epochs=2)


def test_huge_inputs_are_not_blamed_on_the_learning_rate():
    X, y = regression_data()
    net = fc.NeuralNetwork((2, 8, 8, 1), "relu", seed=0)
    with pytest.raises((ValueError, fc.TrainingDivergedError)) as info:
        net.fit(X * 1e300, y, epochs=2)
    assert re.search(r"\bX\b", message_of(info)), message_of(info)
    assert "try a smaller learning_rate" not in message_of(info)


def test_float64_X_beyond_float32_range_names_float32():
    X, y = regression_data()
    with pytest.raises(ValueError, match=r"\bX\b") as info:
        small_net(dtype=np.float32).fit(X * 1e39, y, epochs=1)
    assert "float32" in message_of(info)


def test_zero_samples():
    with pytest.raises(ValueError, match=r"\bX\b.*sample|sample.*\bX\b"):
        small_net().fit(np.empty((0, 2)), np.empty(0), epochs=1)


def test_y_with_three_dimensions():
    with pytest.raises(ValueError, match=r"\by\b") as info:
        small_net().fit(np.ones((6, 2)), np.ones((6, 1, 1)), epochs=1)
    assert "(6, 1, 1)" in message_of(info)


def test_sparse_X_names_X_and_sparse():
    import scipy.sparse as sp
    X, y = regression_data()
    with pytest.raises(TypeError, match=r"(?i)sparse") as info:
        small_net().fit(sp.csr_matrix(X), y, epochs=1)
    assert re.search(r"\bX\b", message_of(info))


def test_non_numeric_strings_in_X_and_y():
    Xs = np.array([["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match=r"\bX\b"):
        small_net().fit(Xs, np.ones(2), epochs=1)
    with pytest.raises(ValueError, match=r"\by\b"):
        small_net().fit(np.ones((2, 2)), np.array(["x", "y"]), epochs=1)


@pytest.mark.parametrize("bad,error", [
    (5, TypeError),
    ("validation", TypeError),
], ids=["int", "str"])
def test_validation_data_not_a_pair_wrong_type(bad, error):
    X, y = regression_data()
    with pytest.raises(error, match="validation_data"):
        small_net().fit(X, y, epochs=1, validation_data=bad)


def test_validation_data_not_a_pair_wrong_length():
    X, y = regression_data()
    for bad in [(X,), (X, y, y)]:
        with pytest.raises(ValueError, match="validation_data"):
            small_net().fit(X, y, epochs=1, validation_data=bad)


def test_unknown_dtype_string():
    with pytest.raises(ValueError, match="dtype"):
        small_net(dtype="banana")


def test_layer_sizes_none():
    with pytest.raises(TypeError, match="layer_sizes"):
        small_net(layer_sizes=None)


@pytest.mark.parametrize("kw,argument", [
    (dict(activations=fc.ReLU), "activations"),
    (dict(activations=[fc.ReLU, "linear"]), "activations"),
    (dict(output_activation=fc.Linear), "output_activation"),
])
def test_activation_class_instead_of_instance(kw, argument):
    with pytest.raises(TypeError, match=argument) as info:
        small_net(**kw)
    assert "instance" in message_of(info)


def test_hidden_layer_sizes_int_means_one_layer():
    """scikit-learn's MLP reads hidden_layer_sizes=5 as (5,); so do the estimators."""
    X, y = regression_data()
    a = fc.FFNNRegressor(hidden_layer_sizes=5, epochs=3, random_state=0).fit(X, y)
    b = fc.FFNNRegressor(hidden_layer_sizes=(5,), epochs=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_hidden_layer_sizes_string_names_the_argument():
    X, y = regression_data()
    with pytest.raises(TypeError, match="hidden_layer_sizes"):
        fc.FFNNRegressor(hidden_layer_sizes="10", epochs=2).fit(X, y)


def test_a_sequence_seed_is_numpys_sequence_seed():
    # numpy seeds a Generator from a sequence of non-negative integers (independent streams per run)
    a = fc.NeuralNetwork((2, 3, 1), seed=[2025, 4, 1])
    b = fc.NeuralNetwork((2, 3, 1), seed=np.random.default_rng([2025, 4, 1]))
    np.testing.assert_array_equal(a.theta, b.theta)
    with pytest.raises(ValueError, match="seed"):
        fc.NeuralNetwork((2, 3, 1), seed=[2025, -4])


@pytest.mark.parametrize("seed,error", [(-1, ValueError), (1.5, TypeError), ([], TypeError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        small_net(seed=seed)


@pytest.mark.parametrize("seed,error", [(-1, ValueError), (1.5, TypeError)])
def test_bad_random_state(seed, error):
    X, y = regression_data()
    with pytest.raises(error, match="random_state"):
        fc.FFNNRegressor(epochs=2, random_state=seed).fit(X, y)


def test_save_and_load_without_extension(tmp_path):
    net, X, _ = trained_net()
    net.save(tmp_path / "model")
    back = fc.NeuralNetwork.load(tmp_path / "model")
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_save_and_load_through_a_file_object():
    import io
    net, X, _ = trained_net()
    buffer = io.BytesIO()
    net.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(fc.NeuralNetwork.load(buffer).predict(X), net.predict(X))


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_npz_names_the_file(damage, tmp_path):
    net, _, _ = trained_net()
    path = tmp_path / "net.npz"
    net.save(path)
    raw = bytearray(path.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) // 2]
    else:
        raw[len(raw) // 3: len(raw) // 3 + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        fc.NeuralNetwork.load(path)


def test_npz_declaring_huge_layer_sizes_is_refused_before_allocating(tmp_path):
    net, _, _ = trained_net()
    net.save(tmp_path / "ok.npz")
    _resave(tmp_path / "ok.npz", tmp_path / "huge.npz",
            layer_sizes=np.array([10 ** 7, 10 ** 7, 1]))
    with pytest.raises(ValueError, match="layer_sizes|theta"):
        fc.NeuralNetwork.load(tmp_path / "huge.npz")


def test_npy_passed_to_load(tmp_path):
    np.save(tmp_path / "weights.npy", np.zeros(5))
    with pytest.raises(ValueError, match=r"\.npz"):
        fc.NeuralNetwork.load(tmp_path / "weights.npy")


def test_missing_model_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.npz"):
        fc.NeuralNetwork.load(tmp_path / "absent.npz")


def test_corrupt_mnist_gzip_names_file_and_restore(tmp_path):
    for name in fc.MNIST_FILES:
        shutil.copy(fc.DATA_DIR / "mnist" / f"{name}.gz", tmp_path / f"{name}.gz")
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])  # a truncated gzip stream
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz.*git checkout -- data/mnist"):
        fc.load_mnist(tmp_path)
    target.write_bytes(b"not a gzip file at all")
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz.*git checkout -- data/mnist"):
        fc.load_mnist(tmp_path)


# ============================================================================
# Also: continued training (warm start / restart / partial_fit)
# ============================================================================

def test_network_fit_continues_from_current_weights():
    X, y = regression_data()
    once = small_net().fit(X, y, epochs=6)                 # full batch
    twice = small_net().fit(X, y, epochs=3).fit(X, y, epochs=3)
    np.testing.assert_array_equal(twice.theta, once.theta)


def test_network_fit_docstring_says_it_continues():
    assert re.search(r"(?i)warm start|continues", fc.NeuralNetwork.fit.__doc__)


def _estimator_output(est, X):
    return est.predict_proba(X) if isinstance(est, fc.FFNNClassifier) else est.predict(X)


@pytest.mark.parametrize("Est", [fc.FFNNRegressor, fc.FFNNClassifier])
def test_estimator_fit_restarts(Est):
    X, y = regression_data()
    if Est is fc.FFNNClassifier:
        y = (y > 0).astype(int)
    est = Est(hidden_layer_sizes=(6,), epochs=5, batch_size=10, random_state=0)
    first = _estimator_output(est.fit(X, y), X).copy()
    second = _estimator_output(est.fit(X, y), X)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("Est", [fc.FFNNRegressor, fc.FFNNClassifier])
def test_estimator_fit_docstring_says_it_restarts(Est):
    assert re.search(r"(?i)restart|from scratch|discard", Est.fit.__doc__)


@pytest.mark.parametrize("Est", [fc.FFNNRegressor, fc.FFNNClassifier])
def test_partial_fit_follows_scikit_learn(Est):
    if not hasattr(Est, "partial_fit"):
        pytest.skip("partial_fit is not offered")
    X, y = regression_data()
    kw = {}
    if Est is fc.FFNNClassifier:
        y = (y > 0).astype(int)
        with pytest.raises(ValueError, match="classes"):
            Est(random_state=0).partial_fit(X, y)
        kw = dict(classes=np.array([0, 1]))
    est = Est(hidden_layer_sizes=(6,), batch_size=10, random_state=0)
    est.partial_fit(X, y, **kw)
    check_is_fitted(est)
    assert est.n_iter_ == 1
    before = est.predict(X).copy() if Est is fc.FFNNRegressor else est.predict_proba(X).copy()
    est.partial_fit(X, y)
    assert est.n_iter_ == 2
    after = est.predict(X) if Est is fc.FFNNRegressor else est.predict_proba(X)
    assert not np.array_equal(before, after)


# ============================================================================
# Also: planted faults today's tests would miss
# ============================================================================

@pytest.mark.parametrize("n_rows", [4095, 4096, 4097, 8193, 10000])
def test_forward_over_many_rows_keeps_every_row(n_rows):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, 2))
    net = small_net()
    pred = np.reshape(net.predict(X), -1)     # the (n,) / (n, 1) question is tested elsewhere
    assert pred.shape == (n_rows,)
    pieces = np.concatenate([np.reshape(net.predict(X[i:i + 1000]), -1) for i in range(0, n_rows, 1000)])
    np.testing.assert_allclose(pred, pieces, rtol=1e-12, atol=1e-12)
    last = [np.reshape(net.predict(X[i:i + 1]), -1)[0] for i in range(n_rows - 3, n_rows)]
    np.testing.assert_allclose(pred[-3:], last, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regression_score_is_scikit_learns_r2(n_outputs):
    X, y = regression_data(n_outputs=n_outputs)
    y = y + 5.0 * np.arange(1, n_outputs + 1) if n_outputs > 1 else y + 5.0  # far from 0
    if n_outputs > 1:
        y[:, 0] *= 10.0  # outputs on different scales: pooled and averaged R^2 differ
    net = fc.NeuralNetwork((2, 8, n_outputs), "tanh", seed=0).fit(X, y, epochs=5, batch_size=10)
    assert net.score(X, y) == pytest.approx(r2_score(y, np.reshape(net.predict(X), y.shape)), rel=1e-12)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regression_predict_shape(n_outputs):
    X, y = regression_data(n_outputs=n_outputs)
    net = fc.NeuralNetwork((2, 8, n_outputs), "tanh", seed=0)
    expected = (len(X),) if n_outputs == 1 else (len(X), n_outputs)
    assert net.predict(X).shape == expected
    y2 = y[:, None] if n_outputs == 1 else y
    reg = fc.FFNNRegressor(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y2)
    assert reg.predict(X).shape == expected
    assert reg.score(X, y2) == pytest.approx(r2_score(y2, reg.predict(X)), rel=1e-12)


@pytest.mark.parametrize("p", [0.5, 0.2])
@pytest.mark.parametrize("which", ["dropout", "input_dropout"])
def test_dropout_masks_are_scaled_by_one_over_keep(which, p):
    """Inverted dropout: E[masked output] equals the output without dropout.

    A linear network that averages H units of value 1 gives 1 without dropout; with rate p the
    kept units must be scaled by 1/(1-p), so the output stays near 1 (not near 1-p). The rate
    0.2 also tells "keep with probability 1-p" from "keep with probability p"."""
    H, n = 4000, 20
    if which == "dropout":
        net = fc.NeuralNetwork((1, H, 1), ["linear", "linear"], optimizer="sgd",
                               learning_rate=1e-12, dropout=p, seed=0)
        net.theta[...] = np.concatenate([np.ones(H), np.zeros(H), np.full(H, 1.0 / H), [0.0]])
        X = np.ones((n, 1))
    else:
        net = fc.NeuralNetwork((H, 1), ["linear"], optimizer="sgd", learning_rate=1e-12,
                               input_dropout=p, seed=0)
        net.theta[...] = np.concatenate([np.full(H, 1.0 / H), [0.0]])
        X = np.ones((n, H))
    np.testing.assert_allclose(net.predict(X), 1.0, rtol=1e-12)
    net.fit(X, np.ones(n), epochs=1)
    # per-row output mean of H Bernoulli(1-p)/(1-p): variance p / ((1-p) H) = 2.5e-4 for p = 0.5
    assert net.history.train_cost[0] < 0.01
    # ... and the masks are drawn at all: the cost (a mean of 20 such squared deviations) is near it
    expected = p / ((1 - p) * H)
    assert 0.3 * expected < net.history.train_cost[0] < 3 * expected


def test_binary_predict_and_accuracy_thresholds():
    net = binary_net()
    net.theta[...] = [1.0, 0.0]                       # a = sigmoid(x)
    X = np.array([[-3.0], [-1e-6], [0.0], [1e-6], [3.0]])
    pred = net.predict(X)
    np.testing.assert_array_equal(pred, [0, 0, 0, 1, 1])  # class 1 when P > 0.5 (as sklearn)
    y = np.array([0.0, 1.0, 1.0, 1.0, 0.0])
    assert net.accuracy(X, y) == pytest.approx(2 / 5)
    assert net.score(X, y) == pytest.approx(2 / 5)
    np.testing.assert_allclose(net.predict_proba(X)[:, 0], 1 / (1 + np.exp(-X[:, 0])), rtol=1e-12)


def test_multiclass_predict_and_accuracy():
    net = fc.NeuralNetwork((2, 3), ["softmax"], cost="cross_entropy", seed=0)
    net.theta[...] = np.concatenate([np.eye(2, 3).ravel(), np.zeros(3)])  # z = (x0, x1, 0)
    X = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0], [1.0, 3.0]])
    np.testing.assert_array_equal(net.predict(X), [0, 1, 2, 1])
    Y = np.eye(3)[[0, 1, 2, 0]]
    assert net.accuracy(X, Y) == pytest.approx(0.75)


def test_estimator_cosine_schedule_spans_every_update():
    """lr_schedule='cosine' anneals over epochs * ceil(n / batch_size) updates."""
    X, y = regression_data(n=50)
    epochs, batch, lr = 4, 16, 0.05
    reg = fc.FFNNRegressor(hidden_layer_sizes=(6,), activation="tanh", optimizer="sgd",
                           learning_rate=lr, lr_schedule="cosine", epochs=epochs,
                           batch_size=batch, random_state=0).fit(X, y)
    steps = epochs * math.ceil(len(X) / batch)
    net = fc.NeuralNetwork((2, 6, 1), ["tanh", "linear"], optimizer=fc.SGD(fc.CosineDecay(lr, steps)),
                           seed=0).fit(X, y, epochs=epochs, batch_size=batch)
    np.testing.assert_allclose(np.reshape(reg.predict(X), -1), np.reshape(net.predict(X), -1),
                               rtol=1e-12, atol=1e-14)


def test_cosine_decay_values():
    s = fc.CosineDecay(1.0, total_steps=4, eta_min=0.2)
    np.testing.assert_allclose([s(t) for t in range(6)],
                               [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
                                0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2, 0.2])


def test_estimator_random_state_instance_is_used():
    X, y = regression_data()
    def fit(rs):
        return fc.FFNNRegressor(hidden_layer_sizes=(6,), epochs=3, batch_size=10,
                                random_state=rs).fit(X, y).predict(X)
    np.testing.assert_array_equal(fit(np.random.RandomState(0)), fit(np.random.RandomState(0)))
    assert not np.array_equal(fit(np.random.RandomState(0)), fit(np.random.RandomState(1)))


@pytest.mark.parametrize("output,cost,n_out", [
    ("sigmoid", "binary_cross_entropy", 1),
    ("softmax", "cross_entropy", 3),
    ("linear", "mse", 2),
])
def test_save_keeps_the_cost(output, cost, n_out, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2))
    y = (np.eye(n_out)[rng.integers(0, n_out, 20)] if cost == "cross_entropy"
         else rng.integers(0, 2, 20).astype(float) if n_out == 1 else rng.standard_normal((20, n_out)))
    net = fc.NeuralNetwork((2, 4, n_out), "tanh", output, cost=cost, seed=0)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    assert back.cost_value(X, y) == net.cost_value(X, y)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.score(X, y) == net.score(X, y)


@pytest.mark.parametrize("init", ["normal", "xavier", "he"])
def test_init_distributions(init):
    sizes = (60, 50, 40)
    theta = fc.NeuralNetwork(sizes, "tanh", init=init, seed=0).theta
    W1, b1 = theta[:3000], theta[3000:3050]
    W2, b2 = theta[3050:5050], theta[5050:]
    if init == "normal":       # W, b ~ N(0, 1)
        for part in (W1, W2, np.concatenate([b1, b2])):
            assert abs(part.std() - 1.0) < 0.15 and abs(part.mean()) < 0.2
    elif init == "xavier":     # U(-r, r), r = sqrt(6 / (n_in + n_out)), b = 0
        for W, (n_in, n_out) in ((W1, (60, 50)), (W2, (50, 40))):
            r = math.sqrt(6.0 / (n_in + n_out))
            assert np.abs(W).max() <= r and np.abs(W).max() > 0.95 * r
            assert abs(W.std() - r / math.sqrt(3)) < 0.05 * r
        assert not b1.any() and not b2.any()
    else:                      # N(0, 2 / n_in), b = 0
        for W, n_in in ((W1, 60), (W2, 50)):
            assert abs(W.std() / math.sqrt(2.0 / n_in) - 1.0) < 0.08
        assert not b1.any() and not b2.any()


# ============================================================================
# Strengthening from the mutation sample: documented defaults and eps placement
# ============================================================================

def _reference_steps(name, g, steps=3):
    """The docstring equations with the documented default constants, in plain NumPy."""
    eta = {"sgd": 0.01, "momentum": 0.01, "adagrad": 0.01, "rmsprop": 0.001, "adam": 0.001}[name]
    p, s1, s2, out = np.zeros_like(g), np.zeros_like(g), np.zeros_like(g), []
    for t in range(1, steps + 1):
        if name == "sgd":
            p = p - eta * g
        elif name == "momentum":
            s1 = 0.9 * s1 - eta * g
            p = p + s1
        elif name == "adagrad":
            s1 = s1 + g * g
            p = p - eta * g / (np.sqrt(s1) + 1e-8)
        elif name == "rmsprop":
            s1 = 0.9 * s1 + 0.1 * g * g
            p = p - eta * g / (np.sqrt(s1) + 1e-8)
        else:
            s1 = 0.9 * s1 + 0.1 * g
            s2 = 0.999 * s2 + 0.001 * g * g
            p = p - eta * (s1 / (1 - 0.9 ** t)) / (np.sqrt(s2 / (1 - 0.999 ** t)) + 1e-8)
        out.append(p.copy())
    return out


@pytest.mark.parametrize("name,cls", [("sgd", fc.SGD), ("momentum", fc.Momentum),
                                      ("adagrad", fc.AdaGrad), ("rmsprop", fc.RMSprop),
                                      ("adam", fc.Adam)])
def test_optimizer_defaults_and_eps_outside_the_root(name, cls):
    """Gradients of 1, 1e-3 and 1e-10: for the smallest, eps (added outside the root) dominates."""
    g = np.array([1.0, -1e-3, 1e-10])
    p, opt, seen = np.zeros(3), cls(), []
    for _ in range(3):
        opt.update([p], [g])
        seen.append(p.copy())
    for got, want in zip(seen, _reference_steps(name, g)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


def test_load_mnist_accepts_a_string_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz is missing"):
        fc.load_mnist(str(tmp_path))


# ============================================================================
# Added with the fixes: the choices made for issue 11, each pinned
# ============================================================================

def test_estimator_learning_rate_replaces_the_optimizer_objects_rate():
    """Chosen: a learning_rate given with an Optimizer object wins (set on the copy); the
    object's other constants stay; learning_rate=None keeps the object's own rate."""
    X, y = regression_data()
    kw = dict(hidden_layer_sizes=(6,), activation="tanh", epochs=4, batch_size=10, random_state=0)
    reg = fc.FFNNRegressor(optimizer=fc.Adam(0.5, beta1=0.8), learning_rate=0.01, **kw).fit(X, y)
    own = fc.FFNNRegressor(optimizer=fc.Adam(0.01, beta1=0.8), **kw).fit(X, y)
    net = fc.NeuralNetwork((2, 6, 1), ["tanh", "linear"], optimizer=fc.Adam(0.01, beta1=0.8),
                           seed=0).fit(X, y, epochs=4, batch_size=10)
    np.testing.assert_array_equal(reg.network_.theta, net.theta)
    np.testing.assert_array_equal(own.network_.theta, net.theta)
    assert reg.optimizer.schedule(0) == 0.5                  # the given object is left alone


def test_estimator_lr_schedule_with_optimizer_object_needs_a_learning_rate():
    X, y = regression_data()
    with pytest.raises(ValueError, match="lr_schedule='cosine' needs a learning_rate"):
        fc.FFNNRegressor(optimizer=fc.SGD(0.01), lr_schedule="cosine", epochs=2).fit(X, y)


def test_estimator_default_learning_rate_is_0001():
    X, y = regression_data()
    kw = dict(hidden_layer_sizes=(4,), epochs=3, batch_size=10, random_state=0)
    a = fc.FFNNRegressor(**kw).fit(X, y)
    b = fc.FFNNRegressor(learning_rate=0.001, **kw).fit(X, y)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)


def test_hidden_layer_sizes_none_means_no_hidden_layer():
    X, y = regression_data()
    reg = fc.FFNNRegressor(hidden_layer_sizes=None, epochs=2, random_state=0).fit(X, y)
    assert reg.network_.layer_sizes == (2, 1)


def test_failed_refit_on_bad_input_leaves_the_estimator_unfitted():
    X, y = regression_data()
    reg = fc.FFNNRegressor(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="keep_best"):
        reg.fit(X, y, keep_best=True)
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)


def test_diverged_fit_puts_back_the_optimizer_and_can_go_on():
    X, y = diverging_problem()
    net = diverging_net()
    updates = []
    with pytest.raises(fc.TrainingDivergedError) as info:
        net.fit(X, y, epochs=50, batch_size=10, callback=lambda e, n: updates.append(n.optimizer.t))
    assert net.optimizer.t == ([0] + updates)[info.value.epoch - 1]
    assert all(np.all(np.isfinite(s["step"])) for s in net.optimizer.state)
    net.optimizer.schedule = fc.Constant(1e-6)
    net.fit(X, y, epochs=2, batch_size=10)                  # goes on from the restored weights
    assert np.all(np.isfinite(net.history.train_cost))


def test_divergence_with_finite_starting_cost_blames_the_learning_rate():
    """Only a cost that is not finite before any update is blamed on X and y."""
    X, y = diverging_problem()
    net = diverging_net()
    assert np.isfinite(net.cost_value(X, y))
    with pytest.raises(fc.TrainingDivergedError, match="smaller learning_rate") as info:
        net.fit(X, y, epochs=50, batch_size=10)
    assert info.value.epoch == 1
    rng = np.random.default_rng(0)
    Xg, yg = rng.standard_normal((50, 2)), rng.standard_normal(50)
    grow = fc.NeuralNetwork((2, 16, 1), "tanh", optimizer="sgd", learning_rate=lambda t: 1e-3 * 1.2 ** t,
                            seed=0)
    with pytest.raises(fc.TrainingDivergedError, match="smaller learning_rate") as info:
        grow.fit(Xg, yg, epochs=200, batch_size=10)
    assert info.value.epoch > 3


def test_schedule_rate_zero_is_allowed():
    """Cosine decay ends at eta_min = 0: a zero rate is a valid step (it changes nothing)."""
    X, y = regression_data()
    net = small_net(optimizer="sgd", learning_rate=lambda t: 0.0)
    before = net.theta.copy()
    net.fit(X, y, epochs=1)
    np.testing.assert_array_equal(net.theta, before)


@pytest.mark.parametrize("make", [
    lambda: fc.Momentum(fc.InverseTimeDecay(0.05, decay=0.1), momentum=0.8),
    lambda: fc.Adam(fc.CosineDecay(0.05, total_steps=7, eta_min=0.001), beta1=0.7, beta2=0.99, eps=1e-6),
    lambda: fc.RMSprop(0.02, rho=0.8, eps=1e-7),
    lambda: fc.AdaGrad(0.1, eps=1e-5),
], ids=["momentum-inverse-time", "adam-cosine", "rmsprop", "adagrad"])
def test_load_keeps_optimizer_constants_and_schedule(make, tmp_path):
    X, y = regression_data()
    net = small_net(optimizer=make(), regularization="l1", lam=0.2).fit(X, y, epochs=2)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    fresh = small_net(optimizer=make(), regularization="l1", lam=0.2)
    fresh.theta = net.theta
    back.fit(X, y, epochs=3)
    fresh.fit(X, y, epochs=3)
    np.testing.assert_array_equal(back.theta, fresh.theta)


def test_save_warns_that_a_custom_schedule_is_not_kept(tmp_path):
    net = small_net(optimizer=fc.SGD(lambda t: 0.01))
    with pytest.warns(UserWarning, match="custom schedule"):
        net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    assert isinstance(back.optimizer, fc.SGD) and back.optimizer.schedule(0) == 0.01  # SGD's default


def test_load_of_a_file_without_configuration_uses_the_defaults(tmp_path):
    net = small_net(optimizer="momentum", regularization="l2", lam=0.5, dropout=0.3)
    net.save(tmp_path / "new.npz")
    with np.load(tmp_path / "new.npz") as f:
        np.savez(tmp_path / "old.npz", **{k: f[k] for k in f.files if k != "config"})
    back = fc.NeuralNetwork.load(tmp_path / "old.npz")
    assert isinstance(back.optimizer, fc.Adam) and back.penalty is None
    assert (back.lam, back.dropout, back.input_dropout) == (0.0, 0.0, 0.0)
    np.testing.assert_array_equal(back.theta, net.theta)


def test_validation_targets_are_checked_and_named():
    net = fc.NeuralNetwork((2, 4, 1), "relu", "sigmoid", cost="binary_cross_entropy", seed=0)
    X, y = np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="validation_data X_val has 3 features"):
        net.fit(X, y, epochs=1, validation_data=(np.ones((4, 3)), y))
    with pytest.raises(ValueError, match=r"validation_data y_val must lie in \[0, 1\]"):
        net.fit(X, y, epochs=1, validation_data=(X, y + 1))
    with pytest.raises(ValueError, match=r"^y must lie in \[0, 1\]"):
        net.fit(X, y + 1, epochs=1)


def test_cross_entropy_accepts_probability_rows_and_many_sigmoid_units():
    """Soft labels (rows summing to 1) are valid targets; a multi-unit sigmoid output with
    cross-entropy stays allowed (the general chain rule)."""
    Y = np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8], [0.0, 0.0, 1.0]])
    for output in ("softmax", "sigmoid"):
        net = fc.NeuralNetwork((2, 4, 3), "relu", output, cost="cross_entropy", seed=0)
        net.fit(np.ones((4, 2)), Y, epochs=1)


def test_argument_type_errors_are_also_value_errors():
    """Wrong types raise ArgumentTypeError: a TypeError, and a ValueError as scikit-learn's
    parameter errors are (so `except ValueError` around a fit still catches them)."""
    with pytest.raises(TypeError, match="epochs") as info:
        small_net().fit(np.ones((3, 2)), np.ones(3), epochs=2.5)
    assert isinstance(info.value, ValueError) and isinstance(info.value, fc.ArgumentTypeError)


# ============================================================================
# Strengthening from the second mutation sample (with the fixes)
# ============================================================================

def test_relu_and_leaky_relu_derivatives_at_zero():
    """The documented subgradient: 1 for z > 0, else 0 (ReLU) or alpha (LeakyReLU), z = 0 included."""
    z = np.array([[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(fc.ReLU().backprop(np.ones((1, 3)), z, None), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(fc.LeakyReLU(0.1).backprop(np.ones((1, 3)), z, None), [[0.1, 0.1, 1.0]])


def test_keep_best_keeps_the_first_of_equal_epochs():
    X, y = regression_data()
    net = small_net(optimizer="sgd", learning_rate=lambda t: 0.0)
    net.fit(X, y, epochs=4, validation_data=(X, y), keep_best=True)
    assert len(set(net.history.val_cost)) == 1 and net.best_epoch == 1


def test_one_blas_thread_only_for_products_worth_it():
    """Mini-batches of MNIST size run on one BLAS thread; products too small to thread skip it."""
    import contextlib
    from threadpoolctl import threadpool_info
    assert isinstance(fc._one_blas_thread(64, (2, 8, 1)), contextlib.nullcontext)        # 1 024 < 2^18
    assert isinstance(fc._one_blas_thread(2048, (784, 100, 10)), contextlib.nullcontext)  # > 1024 rows
    assert not isinstance(fc._one_blas_thread(64, (784, 100, 10)), contextlib.nullcontext)
    assert not isinstance(fc._one_blas_thread(4, (256, 256, 1)), contextlib.nullcontext)  # 4 * 65536 = 2^18
    with fc._one_blas_thread(64, (784, 100, 10)):
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {1}


SWITCH_PROBE = """
import ffnn_core as fc
from threadpoolctl import threadpool_info, threadpool_limits
def blas_threads():
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
with threadpool_limits(limits=2, user_api="blas"):
    outside = blas_threads()
    with fc._one_blas_thread(64, (784, 100, 10)):
        print(outside, blas_threads())
"""


def test_one_blas_thread_switch_with_blas_free_to_use_two_threads():
    """The tests run with OPENBLAS_NUM_THREADS=1 (reproducible.env), where every limit gives one
    thread; a fresh interpreter without it shows that the switch really asks for one."""
    import os
    import subprocess
    import sys
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", SWITCH_PROBE], cwd=root, env={**env, "PYTHONPATH": root},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[2]", "[1]"], out


@pytest.mark.parametrize("Est", [fc.FFNNRegressor, fc.FFNNClassifier])
def test_estimator_records_one_iteration_per_epoch(Est):
    X, y = regression_data()
    if Est is fc.FFNNClassifier:
        y = (y > 0).astype(int)
    est = Est(hidden_layer_sizes=(4,), epochs=7, batch_size=10, random_state=0).fit(X, y)
    assert est.n_iter_ == 7 == len(est.loss_curve_) == len(est.history_["train_cost"])
    np.testing.assert_array_equal(est.loss_curve_, est.network_.history.train_cost)
