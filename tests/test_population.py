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


def task_data(task, n=37, seed=0):
    rng = np.random.default_rng(seed)
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


def member_data(task, n=18, seed=1, n_members=3):
    """Each member's own rows, as in the regression study: X (K, n, 3), Y (K, n, n_outputs)."""
    rows = [task_data(task, n, seed=seed + k) for k in range(n_members)]
    return np.stack([X for X, _ in rows]), np.stack([Y for _, Y in rows])


def train_both(task, optimizer, dtype, setting, epochs=4, batch_size=6, per_member=False, **fit):
    """The population and its K lone networks, on shared data or (per_member) each on its own rows."""
    X, Y = member_data(task) if per_member else task_data(task)
    Xv, Yv = member_data(task, n=9, seed=50) if per_member else (X[:9], Y[:9])
    rows = (lambda a, k: a[k]) if per_member else (lambda a, k: a)
    pop_kw, member_kw = SETTINGS[setting]
    layers = (3, 6, 5, Y.shape[-1])
    pop = fc.NetworkPopulation(layers, optimizer=optimizer, learning_rate=RATES, dtype=dtype,
                               seed=SEEDS, **TASKS[task], **pop_kw)
    pop.fit(X, Y, epochs=epochs, batch_size=batch_size, validation_data=(Xv, Yv), **fit)
    nets = []
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork(layers, optimizer=optimizer, learning_rate=RATES[k], dtype=dtype,
                               seed=seed, **TASKS[task], **member_kw(k))
        nets.append(net.fit(rows(X, k), rows(Y, k), epochs=epochs, batch_size=batch_size,
                            validation_data=(rows(Xv, k), rows(Yv, k)), **fit))
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


def test_diverged_member_with_keep_best_gets_its_best_weights_as_the_lone_network():
    """Member 1 diverges at epoch 3 after its best epoch 1: a lone network puts back epoch 1's
    weights, and so must the population (it kept those from before epoch 3), in later fits too."""
    X, Y = member_data("regression")
    X, Y = X[1], Y[1]
    rates, kw = diverging_setup()[2:]
    pop = fc.NetworkPopulation((3, 8, 2), learning_rate=rates, seed=SEEDS, **kw)
    pop.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y), keep_best=True)
    lone = fc.NeuralNetwork((3, 8, 2), learning_rate=rates[1], seed=SEEDS[1], **kw)
    with pytest.raises(fc.TrainingDivergedError) as err:
        lone.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y), keep_best=True)
    assert pop.diverged_epoch[1] == err.value.epoch == 3 and pop.best_epoch[1] == lone.best_epoch == 1
    assert pop[1].theta.tobytes() == lone.theta.tobytes()
    pop.fit(X, Y, epochs=1, batch_size=5)
    assert pop[1].theta.tobytes() == lone.theta.tobytes()


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
    (dict(optimizer="adamw"), "unknown optimizer 'adamw'"),
    (dict(optimizer=fc.Adam), "write Adam()"),
    (dict(optimizer=fc.RMSprop(fc.InverseTimeDecay(0.1, 0.01)), learning_rate=0.1),
     "own schedule InverseTimeDecay"),
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


# -- per-member data: member k trains on its own X[k], y[k] -------------------

@pytest.mark.parametrize("batch_size, setting", [(5, "l2 and dropout"), (None, "l1 and input dropout"),
                                                 (7, "plain")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_per_member_data_members_bit_identical_to_lone_fits(optimizer, dtype, batch_size, setting):
    pop, nets = train_both("regression", optimizer, dtype, setting, batch_size=batch_size,
                           per_member=True, keep_best=True)
    for k, net in enumerate(nets):
        assert_same_network(net, pop[k])
        assert len(net.history.val_cost) == 4 and net.best_epoch is not None


@pytest.mark.parametrize("task", ["multiclass", "binary"])
def test_per_member_classifier_data_with_accuracies(task):
    pop, nets = train_both(task, "adam", "float32", "l2 and dropout", per_member=True,
                           exact_train_cost=True)
    X, Y = member_data(task, n=11, seed=70)
    for k, net in enumerate(nets):
        assert_same_network(net, pop[k])
        assert len(net.history.train_accuracy) == len(net.history.val_accuracy) == 4
    assert np.array_equal(pop.predict(X), np.stack([net.predict(X[k]) for k, net in enumerate(nets)]))
    assert pop.accuracy(X, Y).tolist() == [net.accuracy(X[k], Y[k]) for k, net in enumerate(nets)]


def test_validation_data_shared_or_per_member_whatever_the_training_data():
    X, Y = member_data("regression")
    Xs, Ys = task_data("regression", n=12, seed=9)
    Xv, Yv = member_data("regression", n=9, seed=50)
    for train, val in (((X, Y), (Xs, Ys)), ((Xs, Ys), (Xv, Yv))):
        pop = fc.NetworkPopulation((3, 5, 2), "tanh", optimizer="rmsprop", learning_rate=RATES, seed=SEEDS)
        pop.fit(*train, epochs=3, batch_size=4, validation_data=val, keep_best=True)
        for k, seed in enumerate(SEEDS):
            mine = [a[k] if a.ndim == 3 else a for a in (*train, *val)]
            net = fc.NeuralNetwork((3, 5, 2), "tanh", optimizer="rmsprop", learning_rate=RATES[k],
                                   seed=seed)
            net.fit(mine[0], mine[1], epochs=3, batch_size=4, validation_data=(mine[2], mine[3]), keep_best=True)
            assert_same_network(net, pop[k])


def test_per_member_data_for_a_population_of_one_with_y_of_shape_k_by_n():
    X, Y = member_data("regression", n_members=1)
    y = Y[..., 0]  # (1, 18): one output per member
    kw = dict(activations="tanh", optimizer="adam", learning_rate=0.01, regularization="l1", lam=0.05)
    pop = fc.NetworkPopulation((3, 6, 1), seed=[7], **kw).fit(X, y, epochs=3, batch_size=5,
                                                               validation_data=(X, y))
    net = fc.NeuralNetwork((3, 6, 1), seed=7, **kw).fit(X[0], y[0], epochs=3, batch_size=5,
                                                         validation_data=(X[0], y[0]))
    assert_same_network(net, pop[0])
    assert pop.forward(X).shape == (1, 18, 1) and pop.predict(X).shape == (1, 18)


@pytest.mark.parametrize("batch_size", [6, None])
def test_the_same_rows_for_every_member_equal_shared_data_bit_for_bit(batch_size):
    X, Y = task_data("regression")
    K = len(SEEDS)
    kw = dict(activations="sigmoid", optimizer="momentum", learning_rate=RATES, seed=SEEDS, dropout=0.1,
              regularization="l2", lam=0.01)
    fit = dict(epochs=3, batch_size=batch_size, exact_train_cost=True, keep_best=True)
    shared = fc.NetworkPopulation((3, 7, 2), **kw).fit(X, Y, validation_data=(X[:9], Y[:9]), **fit)
    views = [np.broadcast_to(a, (K, *a.shape)) for a in (X, Y, X[:9], Y[:9])]  # no copies
    copies = [np.stack([a] * K) for a in (X, Y, X[:9], Y[:9])]
    for Xk, Yk, Xv, Yv in (views, copies):
        own = fc.NetworkPopulation((3, 7, 2), **kw).fit(Xk, Yk, validation_data=(Xv, Yv), **fit)
        assert own.theta.tobytes() == shared.theta.tobytes()
        assert own.history == shared.history and own.best_epoch.tolist() == shared.best_epoch.tolist()
        assert own.forward(Xk).tobytes() == shared.forward(X).tobytes()


def test_per_member_data_divergence_freezes_the_member_as_the_lone_network_raises():
    X, Y = member_data("regression")
    rates, kw = diverging_setup()[2:]
    pop = fc.NetworkPopulation((3, 8, 2), learning_rate=rates, seed=SEEDS, **kw)
    pop.fit(X, Y, epochs=6, batch_size=5, validation_data=(X, Y), keep_best=True)
    lone = fc.NeuralNetwork((3, 8, 2), learning_rate=rates[1], seed=SEEDS[1], **kw)
    with pytest.raises(fc.TrainingDivergedError) as err:
        lone.fit(X[1], Y[1], epochs=6, batch_size=5, validation_data=(X[1], Y[1]), keep_best=True)
    assert pop.diverged_epoch.tolist() == [0, err.value.epoch, 0]
    assert pop[1].history == lone.history and pop[1].theta.tobytes() == lone.theta.tobytes()
    for k in (0, 2):
        net = fc.NeuralNetwork((3, 8, 2), learning_rate=rates[k], seed=SEEDS[k], **kw)
        assert_same_network(net.fit(X[k], Y[k], epochs=6, batch_size=5, validation_data=(X[k], Y[k]),
                                    keep_best=True), pop[k])


def test_forward_predict_and_costs_of_per_member_rows_match_each_member():
    X, Y = task_data("regression")
    pop = fc.NetworkPopulation((3, 6, 2), optimizer="adam", learning_rate=RATES, seed=SEEDS,
                               regularization="l2", lam=[0.1, 0.0, 0.3]).fit(X, Y, epochs=2, batch_size=8)
    Xm, Ym = member_data("regression", n=5000)  # more rows than one evaluation chunk (_EVAL_ROWS)
    assert Xm.shape[1] > fc._EVAL_ROWS
    for k in range(len(SEEDS)):
        net = pop[k]
        assert pop.forward(Xm)[k].tobytes() == net.forward(Xm[k]).tobytes()
        assert pop.predict(Xm)[k].tobytes() == net.predict(Xm[k]).tobytes()
        assert pop.cost_value(Xm, Ym)[k] == net.cost_value(Xm[k], Ym[k])
        assert pop.cost_value(Xm, Ym, with_penalty=True)[k] == net.cost_value(Xm[k], Ym[k], with_penalty=True)


def test_per_member_batches_are_gathered_without_copying_the_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 5000, 20))  # 6.4 MB, 8 members' own rows
    Y = X[..., :1].copy()
    pop = fc.NetworkPopulation((20, 4, 1), optimizer="sgd", learning_rate=1e-3, seed=range(8))
    tracemalloc.start()
    pop.fit(X, Y, epochs=1, batch_size=500)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.4 * X.nbytes  # the shuffles (K n int64) and one batch per member


@pytest.mark.parametrize("call, message", [
    (lambda pop, X, Y: pop.fit(X[:2], Y[:2]), r"X has shape \(2, 18, 3\): as per-member data .* 3"),
    (lambda pop, X, Y: pop.fit(X, Y[0]), r"y has shape \(18, 2\): as per-member data .* 3"),
    (lambda pop, X, Y: pop.fit(X, Y[..., 0][..., None, None]),
     r"y must be \(n_members, n_samples\) or \(n_members, n_samples, n_outputs\) to go with X of shape"),
    (lambda pop, X, Y: pop.fit(X[0], Y), r"y must be \(n_samples,\) or \(n_samples, n_outputs\) to go with X"),
    (lambda pop, X, Y: pop.fit(X, Y[:, :17]), "different numbers of samples: 18 and 17"),
    (lambda pop, X, Y: pop.fit(X[None], Y), r"X must be 2-D \(n_samples, n_features\) or 3-D \(n_members, "),
    (lambda pop, X, Y: pop.fit(X, Y, validation_data=(X[:1], Y[:1])), "validation_data X_val has shape"),
    (lambda pop, X, Y: pop.fit(X, Y, validation_data=(X, Y[:2])), "validation_data y_val has shape"),
    (lambda pop, X, Y: pop.forward(X[:, :, :2]), "X has 2 features, but the network expects 3"),
    (lambda pop, X, Y: pop.cost_value(X[:1], Y[:1]), r"X has shape \(1, 18, 3\)"),
])
def test_bad_per_member_data_names_the_argument(call, message):
    X, Y = member_data("regression")
    pop = fc.NetworkPopulation((3, 4, 2), seed=SEEDS)
    with pytest.raises(ValueError, match=message):
        call(pop, X, Y)


def test_a_lone_network_still_refuses_per_member_data():
    X, Y = member_data("regression")
    net = fc.NeuralNetwork((3, 4, 2), seed=0)
    message = r"^X must be 2-D \(n_samples, n_features\), got shape \(3, 18, 3\)$"
    for call in (lambda: net.fit(X, Y), lambda: net.predict(X), lambda: net.cost_value(X, Y)):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"y must be \(n_samples,\) or \(n_samples, n_outputs\)"):
        net.fit(X[0], Y)


# -- Optimizer objects: constants shared by all members ------------------------

OPTIMIZER_OBJECTS = {
    "rmsprop eps inside root": lambda eta: fc.RMSprop(eta, eps_inside_root=True),
    "adam as the report": lambda eta: fc.Adam(eta, bias_correction=False, eps_inside_root=True),
    "momentum 0.5": lambda eta: fc.Momentum(eta, momentum=0.5),
}


@pytest.mark.parametrize("make", list(OPTIMIZER_OBJECTS.values()), ids=list(OPTIMIZER_OBJECTS))
def test_an_optimizer_object_gives_members_bit_identical_to_lone_networks(make):
    X, Y = member_data("regression")
    given = make(0.5)
    pop = fc.NetworkPopulation((3, 6, 2), "tanh", optimizer=given, learning_rate=RATES, seed=SEEDS)
    pop.fit(X, Y, epochs=3, batch_size=5)
    own = fc.NetworkPopulation((3, 6, 2), "tanh", optimizer=make(0.01), seed=SEEDS).fit(X, Y, epochs=3,
                                                                                        batch_size=5)
    assert given.t == 0 and given.state == [] and given.schedule(0) == 0.5  # the caller's object untouched
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork((3, 6, 2), "tanh", optimizer=make(RATES[k]), seed=seed)
        assert_same_network(net.fit(X[k], Y[k], epochs=3, batch_size=5), pop[k])
        member = pop.member(k)
        assert type(member.optimizer) is type(given) and member.optimizer.arguments() == given.arguments()
        member.fit(X[k], Y[k], epochs=2, batch_size=5)  # warm start with the optimizer's state
        assert_same_network(net.fit(X[k], Y[k], epochs=2, batch_size=5), member)
    lone = fc.NeuralNetwork((3, 6, 2), "tanh", optimizer=make(0.01), seed=SEEDS[1]).fit(X[1], Y[1], 3, 5)
    assert_same_network(lone, own[1])  # learning_rate=None: the object's own rate


def test_an_optimizer_objects_schedule_with_member_rates_is_kept():
    X, Y = task_data("regression")
    schedule = fc.InverseTimeDecay(np.array(RATES), decay=0.05)
    pop = fc.NetworkPopulation((3, 6, 2), optimizer=fc.RMSprop(schedule, eps_inside_root=True), seed=SEEDS)
    pop.fit(X, Y, epochs=3, batch_size=6)
    for k, seed in enumerate(SEEDS):
        net = fc.NeuralNetwork((3, 6, 2), optimizer=fc.RMSprop(fc.InverseTimeDecay(RATES[k], decay=0.05),
                                                               eps_inside_root=True), seed=seed)
        assert_same_network(net.fit(X, Y, epochs=3, batch_size=6), pop[k])


def test_a_named_optimizers_default_rate_is_0001():
    X, Y = task_data("regression")
    a = fc.NetworkPopulation((3, 4, 2), optimizer="adam", seed=SEEDS).fit(X, Y, epochs=2, batch_size=8)
    b = fc.NetworkPopulation((3, 4, 2), optimizer="adam", learning_rate=0.001, seed=SEEDS).fit(X, Y, 2, 8)
    assert a.theta.tobytes() == b.theta.tobytes()


def test_a_used_optimizer_object_is_refused():
    X, Y = task_data("regression")
    used = fc.NeuralNetwork((3, 4, 2), optimizer=fc.Adam(0.01), seed=0).fit(X, Y, epochs=1).optimizer
    with pytest.raises(ValueError, match="optimizer has taken 1 steps already"):
        fc.NetworkPopulation((3, 4, 2), optimizer=used, seed=SEEDS)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_population_with_an_optimizer_object_trains_on_like_the_original(how):
    X, Y = member_data("regression")
    pop = fc.NetworkPopulation((3, 6, 2), optimizer=fc.Adam(0.01, bias_correction=False, eps_inside_root=True),
                               learning_rate=RATES, seed=SEEDS, dropout=0.1).fit(X, Y, epochs=2, batch_size=6)
    twin = pickle.loads(pickle.dumps(pop)) if how == "pickle" else copy.deepcopy(pop)
    assert twin.optimizer is not pop.optimizer and twin.optimizer.arguments() == pop.optimizer.arguments()
    pop.fit(X, Y, epochs=2, batch_size=6)
    twin.fit(X, Y, epochs=2, batch_size=6)
    assert twin.theta.tobytes() == pop.theta.tobytes()
    assert twin.forward(X).tobytes() == pop.forward(X).tobytes()
    assert twin.history == pop.history
    assert twin[2].optimizer.arguments() == pop[2].optimizer.arguments()


def test_from_networks_with_optimizer_objects():
    X, Y = member_data("regression")

    def nets(inside=(True, True, True)):
        return [fc.NeuralNetwork((3, 5, 2), optimizer=fc.RMSprop(RATES[k], eps_inside_root=inside[k]),
                                 seed=seed) for k, seed in enumerate(SEEDS)]

    pop = fc.NetworkPopulation.from_networks(nets()).fit(X, Y, epochs=2, batch_size=7)
    for k, net in enumerate(nets()):
        assert_same_network(net.fit(X[k], Y[k], epochs=2, batch_size=7), pop[k])
        assert pop[k].optimizer.eps_inside_root is True
    with pytest.raises(ValueError, match="differ only in"):
        fc.NetworkPopulation.from_networks(nets(inside=(True, False, True)))
