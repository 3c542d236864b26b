"""A grid search over FFNNRegressor gives the same result on a Dask cluster as in one process.

Starts a two-worker ``dask.distributed.LocalCluster`` on loopback, runs a small
``GridSearchCV`` through joblib's ``"dask"`` backend and compares ``cv_results_`` and
``best_params_`` with the single-process (``n_jobs=1``) search: every fit carries its own
seed, so which worker runs it must not matter.
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, KFold

from ffnn_core import FFNNRegressor, make_runge_data

distributed = pytest.importorskip("dask.distributed")

GRID = {"learning_rate": [0.01, 0.1], "hidden_layer_sizes": [(5,), (10,)], "activation": ["sigmoid", "leaky_relu"]}


def _search(n_jobs):
    x, y = make_runge_data(14, noise=0.1, seed=3)
    X = ((x - x.mean()) / x.std())[:, None]
    est = FFNNRegressor(optimizer="rmsprop", batch_size=5, epochs=20, random_state=7)
    return GridSearchCV(est, GRID, cv=KFold(3, shuffle=True, random_state=5),
                        scoring="neg_mean_squared_error", n_jobs=n_jobs).fit(X, y)


def test_grid_search_on_dask_cluster_matches_single_process():
    reference = _search(n_jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with parallel_config(backend="dask"):
            on_dask = _search(n_jobs=-1)
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  reference.cv_results_["mean_test_score"])
    for k in range(3):
        np.testing.assert_array_equal(on_dask.cv_results_[f"split{k}_test_score"],
                                      reference.cv_results_[f"split{k}_test_score"])
    assert on_dask.best_params_ == reference.best_params_
    np.testing.assert_array_equal(on_dask.best_estimator_.predict([[0.0], [0.5]]),
                                  reference.best_estimator_.predict([[0.0], [0.5]]))
