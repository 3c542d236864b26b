"""NetworkPopulation: K networks trained at once, each bit-identical to the network trained alone.

Bit-identity is checked on the bytes of theta and on the history (Python floats compared
with ==), for every optimizer, float64 and float32, with and without dropout and penalties.
"""

import copy
import pickle
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV, KFold

import ffnn_core as fc

OPTIMIZERS = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
SEEDS = [3, 11, 5]
RATES = [0.02, 0.005, 0.01]

#: per-member settings: name -> (population keywords, keywords of member k)
SETTINGS = {
    "plain": ({}, lambda k: {}),
    "l2 and dropout": (dict(regularization="l2", lam=[0.1, 0.0, 0.4], dropout=[0.2, 0.0, 0.1]),
                       lambda k: dict(regularization="l2", lam=[0.1, 0.0, 0.4][k],
                                      dropout=[0.2, 0.0, 0.1][k])),
    "l1 and input dropout": (dict(regularization="l1", lam=0.2, input_dropout=[0.1, 0.3, 0.0]),
                             lambda k: dict(regularization="l1", lam=0.2,
                                            input_dropout=[0.1, 0.3, 0.0][k])),
}

TASKS = {
    "regression": dict(activations="tanh", output_activation="linear", cost="mse"),
    "multiclass": dict(activations="relu", output_activation="softmax", cost="cross_entropy"),
    "binary": dict(activations="sigmoid", output_activation="sigmoid", cost="binary_cross_entropy"),
}


def task_data(task, n=37):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n, 3))
    if task == "regression":
        return X, np.column_stack([np.sin(X.sum(1)), X[:, 0] * X[:, 1]])
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.3)
    if task == "binary":
        return X, (labels > 0).astype(float)[:, None]
    return X, np.eye(3)[labels]


def assert_same_network(net, member):
    assert net.theta.dtype == member.theta.dtype
    assert net.theta.tobytes() == member.theta.tobytes()
    assert net.history == member.history
    assert net.best_epoch == member.best_epoch


def train_both(task, optimizer, dtype, setting, epochs=4, batch_size=6, **fit):
    X, Y = task_data(task)
    pop_kw, member_kw = SETTINGS[setting]
    layers = (3, 6, 5, Y.shape[1])
    val = (X[:9], Y[:9])
    pop = fc.NetworkPopulation(layers, optimizer=optimizer, learning_rate=RATES, dtype=dtype,
                               seed=SEEDS, **TASKS[task], **pop_kw)
    pop.fit(X, Y, epochs=epochs, batch_size=batch_size, validation_data=val, **fit)
    nets = []
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork(layers, optimizer=optimizer, learning_rate=RATES[k], dtype=dtype,
                               seed=seed, **TASKS[task], **member_kw(k))
        nets.append(net.fit(X, Y, epochs=epochs, batch_size=batch_size, validation_data=val, **fit))
    return pop, nets


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_members_bit_identical_per_optimizer(optimizer, dtype, setting):
    pop, nets = train_both("regression", optimizer, dtype, setting, keep_best=True)
    for k, net in enumerate(nets):
        assert_same_network(net, pop[k])
    assert len(pop.history[0].val_cost) == 4


@pytest.mark.parametrize("task", ["multiclass", "binary"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_classifier_members_bit_identical_with_accuracy(task, dtype):
    pop, nets = train_both(task, "adam", dtype, "l2 and dropout", exact_train_cost=True)
    for k, net in enumerate(nets):
        assert_same_network(net, pop[k])
        assert len(pop[k].history.val_accuracy) == len(pop[k].history.train_accuracy) == 4
    X, Y = task_data(task)
    assert np.array_equal(pop.predict(X), np.stack([net.predict(X) for net in nets]))
    assert pop.accuracy(X, Y).tolist() == [net.accuracy(X, Y) for net in nets]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_large_members_stepped_one_at_a_time_stay_bit_identical(optimizer):
    X, Y = task_data("regression")
    layers = (3, 120, 90, 2)  # 11,552 parameters: the optimizer steps member by member
    assert fc.n_parameters(layers) >= fc._MEMBERWISE_UPDATE_MIN
    pop = fc.NetworkPopulation(layers, optimizer=optimizer, learning_rate=RATES, dtype="float32",
                               seed=SEEDS, regularization="l2", lam=[0.1, 0.0, 0.2])
    pop.fit(X, Y, epochs=2, batch_size=8)
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork(layers, optimizer=optimizer, learning_rate=RATES[k], dtype="float32",
                               seed=seed, regularization="l2", lam=[0.1, 0.0, 0.2][k])
        assert_same_network(net.fit(X, Y, epochs=2, batch_size=8), pop[k])


@pytest.mark.parametrize("batch_size", [None, 37, 1])
def test_full_batch_and_single_row_batches(batch_size):
    pop, nets = train_both("regression", "rmsprop", "float64", "plain", epochs=2, batch_size=batch_size)
    for k, net in enumerate(nets):
        assert_same_network(net, pop[k])


@pytest.mark.parametrize("schedule", ["inverse_time", "cosine"])
def test_per_member_schedules(schedule):
    X, Y = task_data("regression")
    eta = np.array(RATES)

    def make(eta):
        return (fc.InverseTimeDecay(eta, decay=0.05) if schedule == "inverse_time"
                else fc.CosineDecay(eta, total_steps=20, eta_min=1e-4))

    pop = fc.NetworkPopulation((3, 6, 2), optimizer="momentum", learning_rate=make(eta), seed=SEEDS)
    pop.fit(X, Y, epochs=5, batch_size=8)
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork((3, 6, 2), optimizer="momentum", learning_rate=make(RATES[k]), seed=seed)
        assert_same_network(net.fit(X, Y, epochs=5, batch_size=8), pop[k])


def test_cost_values_and_forward_match_each_member():
    X, Y = task_data("regression", n=5000)  # > 4096 rows: forward in chunks
    pop = fc.NetworkPopulation((3, 6, 2), regularization="l2", lam=[0.1, 1.0], seed=[0, 1])
    for k in range(2):
        net = pop[k]
        assert pop.forward(X)[k].tobytes() == net.forward(X).tobytes()
        for with_penalty in (False, True):
            assert pop.cost_value(X, Y, with_penalty)[k] == net.cost_value(X, Y, with_penalty)


def test_int_seed_gives_consecutive_member_seeds():
    pop = fc.NetworkPopulation((2, 3, 1), seed=7, n_members=3)
    for k in range(3):
        assert pop[k].theta.tobytes() == fc.NeuralNetwork((2, 3, 1), seed=7 + k).theta.tobytes()


def test_seed_none_draws_fresh_members_and_callback_sees_every_epoch():
    X, Y = task_data("regression")
    pop = fc.NetworkPopulation((3, 4, 2), seed=None, n_members=3)
    assert len({pop.theta[k].tobytes() for k in range(3)}) == 3
    seen = []
    pop.fit(X, Y, epochs=3, batch_size=10, callback=lambda epoch, p: seen.append((epoch, p is pop)))
    assert seen == [(1, True), (2, True), (3, True)]


# -- divergence ---------------------------------------------------------------

def diverging_setup():
    X, Y = task_data("regression")
    rates = [0.05, 3.0, 0.05]  # member 1 diverges in epoch 2
    kw = dict(activations="leaky_relu", optimizer="sgd", init="normal")
    return X, Y, rates, kw


def test_diverged_member_is_frozen_and_the_others_go_on():
    X, Y, rates, kw = diverging_setup()
    pop = fc.NetworkPopulation((3, 8, 2), learning_rate=rates, seed=SEEDS, **kw)
    pop.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y), keep_best=True)
    lone = fc.NeuralNetwork((3, 8, 2), learning_rate=rates[1], seed=SEEDS[1], **kw)
    with pytest.raises(fc.TrainingDivergedError) as err:
        lone.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y), keep_best=True)
    assert pop.diverged_epoch.tolist() == [0, err.value.epoch, 0] and err.value.epoch > 1
    assert pop[1].history == lone.history  # the epochs before the divergence
    assert np.array_equal(pop[1].theta, lone.theta)  # put back as the lone network was
    assert np.all(np.isfinite(pop[1].theta))
    for k in (0, 2):
        net = fc.NeuralNetwork((3, 8, 2), learning_rate=rates[k], seed=SEEDS[k], **kw)
        assert_same_network(net.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y),
                                    keep_best=True), pop[k])


def test_raise_on_divergence_names_the_member():
    X, Y, rates, kw = diverging_setup()
    pop = fc.NetworkPopulation((3, 8, 2), learning_rate=rates, seed=SEEDS, **kw)
    with pytest.raises(fc.TrainingDivergedError, match="population member 1") as err:
        pop.fit(X, Y, epochs=6, batch_size=5, raise_on_divergence=True)
    assert err.value.member == 1


# -- members as ordinary networks ---------------------------------------------

def test_member_saves_loads_predicts_and_trains_on_like_the_lone_network(tmp_path):
    X, Y = task_data("regression")
    pop = fc.NetworkPopulation((3, 6, 2), optimizer="adam", learning_rate=RATES, seed=SEEDS,
                               dropout=0.1)
    pop.fit(X, Y, epochs=3, batch_size=6)
    member = pop[-1]
    assert isinstance(member, fc.NeuralNetwork)
    member.save(tmp_path / "m.npz")
    loaded = fc.NeuralNetwork.load(tmp_path / "m.npz")
    assert loaded.predict(X).tobytes() == member.predict(X).tobytes() == pop.predict(X)[-1].tobytes()
    lone = fc.NeuralNetwork((3, 6, 2), optimizer="adam", learning_rate=RATES[-1], seed=SEEDS[-1],
                            dropout=0.1).fit(X, Y, epochs=3, batch_size=6)
    member.fit(X, Y, epochs=2, batch_size=6)  # warm start: optimizer state and generator carried
    lone.fit(X, Y, epochs=2, batch_size=6)
    assert_same_network(lone, member)
    assert len(pop) == 3 and pop.history[-1].train_cost == lone.history.train_cost[:3]


def test_population_warm_start_continues_like_the_lone_networks():
    X, Y = task_data("regression")
    pop = fc.NetworkPopulation((3, 6, 2), optimizer="rmsprop", learning_rate=RATES, seed=SEEDS)
    pop.fit(X, Y, epochs=2, batch_size=6).fit(X, Y, epochs=2, batch_size=6)
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork((3, 6, 2), optimizer="rmsprop", learning_rate=RATES[k], seed=seed)
        net.fit(X, Y, epochs=2, batch_size=6).fit(X, Y, epochs=2, batch_size=6)
        assert_same_network(net, pop[k])


def test_a_pickled_or_deep_copied_population_trains_on_like_the_original():
    X, Y = task_data("regression")
    pop = fc.NetworkPopulation((3, 6, 2), optimizer="adam", learning_rate=RATES, seed=SEEDS, dropout=0.1)
    pop.fit(X, Y, epochs=2, batch_size=6)
    copies = [pickle.loads(pickle.dumps(pop)), copy.deepcopy(pop)]
    pop.fit(X, Y, epochs=2, batch_size=6)
    for twin in copies:
        twin.fit(X, Y, epochs=2, batch_size=6)
        assert twin.theta.tobytes() == pop.theta.tobytes()
        assert twin.forward(X).tobytes() == pop.forward(X).tobytes()
        assert twin.history == pop.history


# -- memory -------------------------------------------------------------------

def test_parameters_are_views_of_one_array():
    pop = fc.NetworkPopulation((4, 5, 3), seed=range(6))
    for W, b in pop.params:
        assert np.shares_memory(W, pop.theta) and np.shares_memory(b, pop.theta)
    assert pop.params[0][0].shape == (6, 4, 5) and pop.params[0][1].shape == (6, 1, 5)


def test_training_memory_is_not_a_copy_of_X_per_member():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 20))  # 3.2 MB; 16 members' copies would be 51 MB
    Y = X[:, :1].copy()
    pop = fc.NetworkPopulation((20, 4, 1), optimizer="sgd", learning_rate=1e-3, seed=range(16))
    tracemalloc.start()
    pop.fit(X, Y, epochs=1, batch_size=500)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2.5 * X.nbytes  # the members' shuffles (K n int64) and one batch per member


# -- argument checks ----------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=[1, 2], lam=[0.1, 0.2, 0.3]), "disagree on the population size"),
    (dict(seed=[1, 2], n_members=3), "disagree on the population size"),
    (dict(seed=[]), "at least one member"),
    (dict(seed=1.5), "seed"),
    (dict(seed=[1, 2], learning_rate=fc.Constant(np.array([0.1, 0.2, 0.3]))), "disagree"),
    (dict(optimizer=fc.Adam()), "optimizer must be a name"),
    (dict(learning_rate=[0.1, -1.0]), "learning_rate"),
    (dict(lam=[0.1, -1.0]), "lam"),
    (dict(dropout=[0.1, 1.0]), "dropout"),
])
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fc.NetworkPopulation((2, 3, 1), **kwargs)


# -- cross-validated search ---------------------------------------------------

def assert_same_cv_results(ours, theirs, n_splits):
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    keys = [f"split{j}_test_score" for j in range(n_splits)]
    for key in keys + ["mean_test_score", "std_test_score", "rank_test_score"]:
        assert np.array_equal(ours.cv_results_[key], theirs.cv_results_[key], equal_nan=True), key
    assert ours.best_params_ == theirs.best_params_ and ours.best_index_ == theirs.best_index_
    assert set(theirs.cv_results_) <= set(ours.cv_results_) | {"params"}


def test_search_equals_gridsearchcv_regression():
    x, y = fc.make_runge_data(40, noise=0.05, seed=1)
    X = x[:, None]
    est = fc.FFNNRegressor(activation="tanh", optimizer="rmsprop", batch_size=5, epochs=15)
    grid = {"hidden_layer_sizes": [(6,), (5, 5)], "learning_rate": [0.003, 0.03],
            "lam": [0.0, 0.1], "regularization": ["l2"], "random_state": [0, 1]}
    cv = KFold(3, shuffle=True, random_state=0)
    ours = fc.PopulationSearchCV(est, grid, cv=cv).fit(X, y)
    theirs = GridSearchCV(est, grid, cv=cv).fit(X, y)
    assert_same_cv_results(ours, theirs, 3)
    assert ours.best_estimator_.predict(X).tobytes() == theirs.best_estimator_.predict(X).tobytes()


def test_search_equals_gridsearchcv_classifier_with_schedule_and_divergence():
    X, y = load_iris(return_X_y=True)
    est = fc.FFNNClassifier(hidden_layer_sizes=(5,), activation="leaky_relu", optimizer="sgd",
                            batch_size=16, epochs=8,
                            lr_schedule="inverse_time", decay=0.01, init="normal")
    grid = [{"learning_rate": [0.05, 1e4], "random_state": [0, 3], "dropout": [0.0, 0.2]}]
    with pytest.warns(FitFailedWarning, match="fits failed out of a total of 24"):
        ours = fc.PopulationSearchCV(est, grid, cv=3).fit(X, y)
    with pytest.warns(FitFailedWarning, match="fits failed out of a total of 24"):
        theirs = GridSearchCV(est, grid, cv=3).fit(X, y)
    assert np.isnan(theirs.cv_results_["mean_test_score"]).any()  # the case is exercised
    assert_same_cv_results(ours, theirs, 3)
    assert isinstance(ours.best_estimator_, fc.FFNNClassifier)


def test_search_raises_like_gridsearchcv_when_every_fit_diverges():
    X, y = load_iris(return_X_y=True)
    est = fc.FFNNClassifier(hidden_layer_sizes=(5,), activation="leaky_relu", optimizer="sgd",
                            batch_size=16, epochs=8, init="normal", learning_rate=1e4)
    grid = {"random_state": [0, 3]}
    with pytest.raises(ValueError, match="All the 6 fits failed"):
        GridSearchCV(est, grid, cv=3).fit(X, y)
    with pytest.raises(ValueError, match="All the 6 fits failed"):
        fc.PopulationSearchCV(est, grid, cv=3).fit(X, y)


def test_cv_results_rank_all_nan_means_as_scikit_learn():
    scores = np.array([[np.nan, 0.5], [0.7, np.nan]])  # every candidate failed on one fold
    results = fc._cv_results([{"a": 1}, {"a": 2}], scores, np.ones((2, 2)), np.ones((2, 2)))
    assert results["rank_test_score"].tolist() == [1, 1]
    assert np.isnan(results["mean_test_score"]).all()


def test_search_with_a_random_state_instance_equals_gridsearchcv():
    x, y = fc.make_runge_data(30, noise=0.05, seed=2)
    est = fc.FFNNRegressor(hidden_layer_sizes=(4,), activation="tanh", batch_size=6, epochs=5,
                           random_state=np.random.RandomState(3))  # each fit draws from a fresh copy
    grid = {"learning_rate": [0.01, 0.03]}
    ours = fc.PopulationSearchCV(est, grid, cv=3).fit(x[:, None], y)
    theirs = GridSearchCV(est, grid, cv=3).fit(x[:, None], y)
    assert_same_cv_results(ours, theirs, 3)


def test_from_networks_takes_over_alike_untrained_networks_only():
    X, Y = task_data("regression")
    nets = [fc.NeuralNetwork((3, 5, 2), optimizer="rmsprop", learning_rate=RATES[k], seed=seed,
                             regularization="l2", lam=0.1 * k, dropout=0.1 * k) for k, seed in enumerate(SEEDS)]
    pop = fc.NetworkPopulation.from_networks(nets).fit(X, Y, epochs=2, batch_size=7)
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork((3, 5, 2), optimizer="rmsprop", learning_rate=RATES[k], seed=seed,
                               regularization="l2", lam=0.1 * k, dropout=0.1 * k)
        assert_same_network(net.fit(X, Y, epochs=2, batch_size=7), pop[k])
    with pytest.raises(ValueError, match="differ only in"):
        fc.NetworkPopulation.from_networks([fc.NeuralNetwork((3, 5, 2)), fc.NeuralNetwork((3, 4, 2))])
    trained = fc.NeuralNetwork((3, 5, 2)).fit(X, Y, epochs=1)
    with pytest.raises(ValueError, match="untrained"):
        fc.NetworkPopulation.from_networks([fc.NeuralNetwork((3, 5, 2)), trained])


def test_search_rejects_other_estimators():
    from sklearn.linear_model import Ridge
    with pytest.raises(ValueError, match="estimator must be"):
        fc.PopulationSearchCV(Ridge(), {"alpha": [1.0]}).fit(np.ones((4, 1)), np.ones(4))


# -- the benchmark runs end to end (a smoke test, not a timing test) ------------

def test_benchmark_prints_both_tables(capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_population

    bench_population.main(["--K", "1", "3", "--epochs", "2", "--work", "6", "--min-epochs", "1",
                           "--seq-networks", "1", "--sk-networks", "1", "--rounds", "1",
                           "--no-torch", "--mnist-n", "128", "--mnist-K", "2", "--mnist-rounds", "1"])
    out = capsys.readouterr().out
    assert "| 3 |" in out and "population, K = 2" in out and "one NeuralNetwork" in out
