"""fit_estimators and fit_searches: many estimators (and searches), each on its own data, trained
as a few populations, and each ending exactly as its own ``fit`` would leave it (bit for bit)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.validation import check_is_fitted

import ffnn_core as fc


def runge_sets(n_sets, n=16, n_val=5):
    """Each set its own noisy Runge points: (X, y, X_val, y_val)."""
    sets = []
    for s in range(n_sets):
        x, y = fc.make_runge_data(n + n_val, noise=0.1, seed=[s, 7])
        sets.append((x[:n, None], y[:n], x[n:, None], y[n:]))
    return sets


def assert_same_fit(ours, lone):
    assert ours.network_.theta.tobytes() == lone.network_.theta.tobytes()
    assert ours.network_.history == lone.network_.history
    assert ours.network_.best_epoch == lone.network_.best_epoch
    assert ours.history_.keys() == lone.history_.keys()
    assert all(np.array_equal(ours.history_[k], lone.history_[k]) for k in lone.history_)
    assert ours.loss_curve_ == lone.loss_curve_
    assert ours.n_iter_ == lone.n_iter_ and ours.n_features_in_ == lone.n_features_in_


def estimators_for(sets):
    """Alike estimators (member parameters differ) on the sets, plus two of another architecture."""
    base = fc.FFNNRegressor(hidden_layer_sizes=(6, 6), activation="leaky_relu", optimizer="rmsprop",
                            batch_size=5, epochs=12, regularization="l1")
    ests, data = [], []
    for s, d in enumerate(sets):
        for lr, lam in [(0.01, 0.0), (0.1, 1e-3)]:
            ests.append(clone(base).set_params(learning_rate=lr, lam=lam, random_state=s))
            data.append(d)
    for s in (0, 1):
        ests.append(clone(base).set_params(hidden_layer_sizes=(4,), random_state=s))
        data.append(sets[s])
    return ests, data


@pytest.mark.parametrize("keep_best", [False, True])
def test_each_estimator_ends_as_its_own_fit(keep_best):
    ests, data = estimators_for(runge_sets(3))
    lone = [clone(e).fit(X, y, validation_data=(Xv, yv), keep_best=keep_best) for e, (X, y, Xv, yv) in zip(ests, data)]
    diverged = fc.fit_estimators(ests, [d[0] for d in data], [d[1] for d in data],
                                 validation_data=[(d[2], d[3]) for d in data], keep_best=keep_best)
    assert diverged.tolist() == [0] * len(ests)
    for ours, alone in zip(ests, lone):
        assert_same_fit(ours, alone)
        assert ours.predict(data[0][2]).tobytes() == alone.predict(data[0][2]).tobytes()


def test_workers_and_small_stacks_change_nothing(monkeypatch):
    sets = runge_sets(2)
    ests, data = estimators_for(sets)
    fc.fit_estimators(ests, [d[0] for d in data], [d[1] for d in data])
    again = [clone(e) for e in ests]
    monkeypatch.setattr(fc, "STACK_BYTES", 1)  # every data set its own population
    fc.fit_estimators(again, [d[0] for d in data], [d[1] for d in data], n_jobs=2)
    for a, b in zip(ests, again):
        assert_same_fit(a, b)


def test_diverged_estimator_is_left_unfitted_as_by_fit():
    X, y, _, _ = runge_sets(1)[0]
    est = fc.FFNNRegressor(hidden_layer_sizes=(5,), optimizer="sgd", init="normal", batch_size=4, epochs=6)
    ests = [clone(est).set_params(learning_rate=lr, random_state=0) for lr in (0.01, 1e8)]
    with pytest.raises(fc.TrainingDivergedError):
        clone(ests[1]).fit(X, y)
    ests[1].n_features_in_ = 99  # a stale attribute from an earlier fit must go
    diverged = fc.fit_estimators(ests, [X, X], [y, y])
    assert diverged[0] == 0 and diverged[1] > 0
    check_is_fitted(ests[0])
    with pytest.raises(NotFittedError):
        check_is_fitted(ests[1])
    assert not hasattr(ests[1], "n_features_in_")


def test_classifiers_with_their_own_validation_labels():
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    est = fc.FFNNClassifier(hidden_layer_sizes=(5,), activation="tanh", optimizer="adam", batch_size=16, epochs=5)
    ests, data = [], []
    for s in range(3):
        idx = rng.permutation(150)
        data.append((X[idx[:100]], y[idx[:100]], X[idx[100:]], y[idx[100:]]))
        ests.append(clone(est).set_params(random_state=s, learning_rate=0.01 * (s + 1)))
    lone = [clone(e).fit(a, b, validation_data=(c, d), keep_best=True) for e, (a, b, c, d) in zip(ests, data)]
    fc.fit_estimators(ests, [d[0] for d in data], [d[1] for d in data],
                      validation_data=[(d[2], d[3]) for d in data], keep_best=True)
    for ours, alone in zip(ests, lone):
        assert_same_fit(ours, alone)
        assert np.array_equal(ours.classes_, alone.classes_)


def test_bad_arguments_name_themselves():
    X, y, Xv, yv = runge_sets(1)[0]
    est = fc.FFNNRegressor(hidden_layer_sizes=(3,), epochs=2)
    with pytest.raises(ValueError, match="X must be a sequence of one entry per estimator"):
        fc.fit_estimators([est, clone(est)], [X], [y, y])
    with pytest.raises(ValueError, match="y must be a sequence"):
        fc.fit_estimators([est], [X], y)
    with pytest.raises(ValueError, match="validation_data must be a sequence"):
        fc.fit_estimators([est], [X], [y], validation_data=(Xv, yv, Xv))
    with pytest.raises(ValueError, match="keep_best=True needs validation_data"):
        fc.fit_estimators([est], [X], [y], keep_best=True)
    with pytest.raises(ValueError, match="estimators must all be"):
        fc.fit_estimators([object()], [X], [y])
    with pytest.raises(ValueError, match="one data set per search"):
        fc.fit_searches([fc.PopulationSearchCV(est, {"lam": [0.0]})], [X, X], [y])


def test_searches_trained_together_equal_gridsearchcv_each():
    est = fc.FFNNRegressor(activation="sigmoid", optimizer="rmsprop", batch_size=5, epochs=10)
    grid = {"hidden_layer_sizes": [(5,), (4, 4)], "learning_rate": [0.01, 0.1], "lam": [0.0, 1e-3],
            "regularization": ["l2"]}
    sets = runge_sets(3, n=14)
    searches, theirs = [], []
    for s in range(3):
        cv = KFold(5, shuffle=True, random_state=s)  # 14 rows: training folds of 11 and 12 rows
        e = clone(est).set_params(random_state=s)
        searches.append(fc.PopulationSearchCV(e, grid, cv=cv, scoring="neg_mean_squared_error"))
        theirs.append(GridSearchCV(e, grid, cv=cv, scoring="neg_mean_squared_error").fit(sets[s][0], sets[s][1]))
    fc.fit_searches(searches, [d[0] for d in sets], [d[1] for d in sets], n_jobs=2)
    for ours, them, d in zip(searches, theirs, sets):
        for j in range(5):
            assert np.array_equal(ours.cv_results_[f"split{j}_test_score"], them.cv_results_[f"split{j}_test_score"])
        for key in ("mean_test_score", "std_test_score", "rank_test_score"):
            assert np.array_equal(ours.cv_results_[key], them.cv_results_[key]), key
        assert ours.best_params_ == them.best_params_ and ours.best_score_ == them.best_score_
        assert ours.best_estimator_.predict(d[2]).tobytes() == them.best_estimator_.predict(d[2]).tobytes()


@pytest.mark.parametrize("min_resources", ["exhaust", 2])
def test_halving_equals_halvinggridsearchcv(min_resources):
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X, y, _, _ = runge_sets(1, n=20)[0]
    est = fc.FFNNRegressor(activation="tanh", optimizer="adam", batch_size=6, random_state=3)
    grid = {"hidden_layer_sizes": [(4,), (3, 3)], "learning_rate": [0.003, 0.03, 0.3], "lam": [0.0, 1e-2],
            "regularization": ["l2"]}  # 12 candidates: 12 > 4 > 2 with factor 3
    cv = KFold(4, shuffle=True, random_state=0)
    kw = dict(resource="epochs", max_resources=18, min_resources=min_resources, factor=3, cv=cv,
              scoring="neg_mean_squared_error")
    theirs = HalvingGridSearchCV(est, grid, **kw).fit(X, y)
    ours = fc.PopulationHalvingSearchCV(est, grid, n_jobs=2, **kw).fit(X, y)
    assert ours.n_candidates_ == theirs.n_candidates_ and ours.n_resources_ == theirs.n_resources_
    assert ours.n_iterations_ == theirs.n_iterations_ and ours.min_resources_ == theirs.min_resources_
    assert len(ours.n_candidates_) > 1
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]  # the same candidates kept, in order
    for key in ["iter", "n_resources", "mean_test_score", "std_test_score", "rank_test_score"] + \
            [f"split{j}_test_score" for j in range(4)]:
        assert np.array_equal(ours.cv_results_[key], theirs.cv_results_[key]), key
    assert ours.best_index_ == theirs.best_index_ and ours.best_params_ == theirs.best_params_
    assert ours.best_estimator_.predict(X).tobytes() == theirs.best_estimator_.predict(X).tobytes()


def test_halving_bad_arguments_name_themselves():
    X, y, _, _ = runge_sets(1)[0]
    est = fc.FFNNRegressor(hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match="max_resources"):
        fc.PopulationHalvingSearchCV(est, {"lam": [0.0, 0.1]}).fit(X, y)
    with pytest.raises(ValueError, match="resource='epochs' is also a parameter of the grid"):
        fc.PopulationHalvingSearchCV(est, {"epochs": [1, 2]}, max_resources=9).fit(X, y)
    with pytest.raises(ValueError, match="factor must be > 1"):
        fc.PopulationHalvingSearchCV(est, {"lam": [0.0, 0.1]}, max_resources=9, factor=1).fit(X, y)
    with pytest.raises(ValueError, match="min_resources"):
        fc.PopulationHalvingSearchCV(est, {"lam": [0.0, 0.1]}, max_resources=9, min_resources="few").fit(X, y)


def test_search_benchmark_runs_and_checks_bit_identity(capsys):
    """A smoke test of benchmarks/bench_search.py (not a timing test)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_search

    bench_search.main(["--epochs", "2", "--seeds", "2"])
    out = capsys.readouterr().out
    assert "| GridSearchCV (FFNNRegressor) |" in out and "| fit_searches (all seeds together) |" in out
    assert "bit for bit: True" in out and "bit for bit: False" not in out
