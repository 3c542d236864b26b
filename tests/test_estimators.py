"""scikit-learn conventions: the estimator checks, searches, pipelines and labels."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import ffnn_core as fc

# Checks that cannot pass, with the reason (none at present: every check runs).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks([fc.FFNNRegressor(), fc.FFNNClassifier()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def regression_data():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    return X, y / y.std()


def test_grid_search_and_pipeline():
    X, y = regression_data()
    pipe = make_pipeline(StandardScaler(), fc.FFNNRegressor(hidden_layer_sizes=(16,), epochs=60,
                                                            batch_size=16, random_state=0))
    grid = GridSearchCV(pipe, {"ffnnregressor__learning_rate": [0.001, 0.01],
                               "ffnnregressor__activation": ["tanh", "relu"]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["ffnnregressor__learning_rate"] == 0.01
    assert grid.best_score_ > 0.8


def test_halving_search_over_epochs():
    X, y = regression_data()
    search = HalvingGridSearchCV(
        fc.FFNNRegressor(hidden_layer_sizes=(16,), batch_size=16, random_state=0),
        {"learning_rate": [0.0003, 0.003, 0.03], "activation": ["tanh", "relu"]},
        resource="epochs", min_resources=10, max_resources=90, factor=3, cv=3, random_state=0)
    search.fit(X, y)
    assert list(search.n_resources_) == [10, 30]  # 6 -> 2 candidates, factor 3
    assert search.best_params_["learning_rate"] in (0.003, 0.03)


def test_cross_val_score_classifier_with_string_labels():
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3,
                               random_state=1)
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = fc.FFNNClassifier(hidden_layer_sizes=(20,), epochs=80, batch_size=16,
                            learning_rate=0.01, random_state=0)
    scores = cross_val_score(clf, X, labels, cv=3)
    assert scores.mean() > 0.7
    clf.fit(X, labels)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_estimator_float32_and_schedules():
    X, y = regression_data()
    for schedule in ["constant", "inverse_time", "cosine"]:
        reg = fc.FFNNRegressor(hidden_layer_sizes=(8,), epochs=20, batch_size=32, dtype="float32",
                               lr_schedule=schedule, decay=0.01, random_state=0).fit(X, y)
        assert reg.network_.theta.dtype == np.float32
        assert reg.predict(X).dtype == np.float32
        assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_random_state_reproducible():
    X, y = regression_data()
    a = fc.FFNNRegressor(epochs=5, random_state=3).fit(X, y).predict(X)
    b = fc.FFNNRegressor(epochs=5, random_state=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_multi_output_regression():
    X, y = regression_data()
    Y = np.column_stack([y, -y])
    reg = fc.FFNNRegressor(hidden_layer_sizes=(8,), epochs=30, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (120, 2)


def test_diverged_fit_leaves_no_history():
    """A diverged fit re-raises and leaves the estimator unfitted (issue 11): no history_ either."""
    X, y = regression_data()
    reg = fc.FFNNRegressor(optimizer="sgd", learning_rate=50.0, epochs=50, batch_size=8, random_state=0)
    with pytest.raises(fc.TrainingDivergedError, match=r"diverged at epoch \d+"):
        reg.fit(X * 100, y * 100)
    assert not hasattr(reg, "history_") and not hasattr(reg, "network_")


# -- one route from the estimators to NeuralNetwork ----------------------------------------

def runge_split():
    x, y = fc.make_runge_data(40, noise=0.1, seed=3)
    xv, yv = fc.make_runge_data(20, noise=0.1, seed=4)
    return fc.standardize(x), y, fc.standardize(xv, reference=x), yv


def test_fit_params_reach_the_network_bit_for_bit():
    """fit(X, y, validation_data=..., keep_best=True, callback=...) trains exactly the network
    NeuralNetwork would with the same settings (the route notebook 03 built by hand)."""
    X, y, Xv, yv = runge_split()
    seen = []
    est = fc.FFNNRegressor(hidden_layer_sizes=(8,), activation="tanh", optimizer="rmsprop",
                           learning_rate=0.05, batch_size=5, epochs=30, regularization="l2", lam=1e-3,
                           random_state=7)
    est.fit(X, y, validation_data=(Xv, yv), keep_best=True, callback=lambda e, net: seen.append(e))
    net = fc.NeuralNetwork((1, 8, 1), ["tanh", "linear"], optimizer="rmsprop", learning_rate=0.05,
                           regularization="l2", lam=1e-3, seed=7)
    net.fit(X, y, epochs=30, batch_size=5, validation_data=(Xv, yv), keep_best=True)
    np.testing.assert_array_equal(est.network_.theta, net.theta)
    assert est.network_.best_epoch == net.best_epoch < 30
    np.testing.assert_array_equal(est.history_["val_cost"], net.history.val_cost)
    assert seen == list(range(1, 31))
    np.testing.assert_array_equal(est.predict(Xv), net.predict(Xv))


def test_regressor_predict_is_1d_for_one_output_column():
    X, y, _, _ = runge_split()
    reg = fc.FFNNRegressor(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y[:, None])
    assert reg.predict(X).shape == (40,)


def test_classifier_validation_labels_are_encoded_by_classes():
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=2)
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = fc.FFNNClassifier(hidden_layer_sizes=(10,), epochs=15, batch_size=16, learning_rate=0.01,
                            random_state=0)
    clf.fit(X[:60], labels[:60], validation_data=(X[60:], labels[60:]))
    proba = clf.predict_proba(X[60:])
    expected = np.mean(clf.classes_[proba.argmax(axis=1)] == labels[60:])
    assert clf.history_["val_accuracy"][-1] == expected == clf.score(X[60:], labels[60:])
    with pytest.raises(ValueError, match=r"validation_data has labels not seen in y: \['fox'\]"):
        clf.fit(X[:60], labels[:60], validation_data=(X[60:62], ["cat", "fox"]))


def test_optimizer_and_schedule_objects_are_copied_per_fit():
    """A grid search reuses one estimator's parameters: no state may leak between fits."""
    X, y, _, _ = runge_split()
    for params in (dict(optimizer=fc.Adam(0.01)),
                   dict(optimizer="sgd", learning_rate=fc.InverseTimeDecay(0.05, 0.1))):
        est = fc.FFNNRegressor(hidden_layer_sizes=(6,), epochs=5, batch_size=8, random_state=0, **params)
        first = est.fit(X, y).network_.theta.copy()
        second = est.fit(X, y).network_.theta
        np.testing.assert_array_equal(first, second)
        assert est.optimizer is params.get("optimizer", est.optimizer)
        if isinstance(est.optimizer, fc.Optimizer):
            assert est.optimizer.t == 0 and est.optimizer.state == []
    net = fc.NeuralNetwork((1, 6, 1), ["relu", "linear"], optimizer="sgd",
                           learning_rate=fc.InverseTimeDecay(0.05, 0.1), seed=0).fit(X, y, 5, 8)
    np.testing.assert_array_equal(second, net.theta)


def test_random_state_accepts_a_randomstate():
    X, y, _, _ = runge_split()
    a = fc.FFNNRegressor(hidden_layer_sizes=(4,), epochs=3, random_state=np.random.RandomState(3)).fit(X, y)
    seed = int(np.random.RandomState(3).randint(np.iinfo(np.int32).max))
    b = fc.FFNNRegressor(hidden_layer_sizes=(4,), epochs=3, random_state=seed).fit(X, y)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
