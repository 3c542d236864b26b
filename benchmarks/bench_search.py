"""Grid searches as populations: CPU seconds of PopulationSearchCV / fit_searches against
scikit-learn's GridSearchCV running the same fits one by one, in one run on one BLAS thread.

Notebook 03's setting: the 14 training points of one 80/20 split of ``runge_18_noisy`` (x
standardised), 5-fold CV (``KFold(5, shuffle=True, random_state=42)``), ``neg_mean_squared_error``,
``--epochs`` epochs per fit (243 in the notebook), every search with ``n_jobs=1`` (one process):

1. one search over notebook 03's unregularised grid (64 candidates: learning rate, four
   architectures, sigmoid or leaky ReLU, batch 5 or 10, RMSprop or Adam), as ``GridSearchCV``
   over ``FFNNRegressor``, as ``PopulationSearchCV`` (the same cv_results_ bit for bit: checked
   and printed), and, for scale, ``GridSearchCV`` over scikit-learn's ``MLPRegressor`` on a grid
   of the same size and epochs (logistic or ReLU, Adam or SGD: it has no RMSprop nor leaky ReLU);
2. ``--seeds`` repetitions of notebook 03's 8-candidate repetition grid, each seed with its own
   points, split and folds: ``GridSearchCV`` seed after seed against ``fit_searches`` (all seeds'
   searches trained together), again checked bit for bit.

Times are process CPU seconds, one round each (the searches take long enough that the ratios
are stable); the machine's load average is printed, as on a shared machine every time is longer.
``-h`` lists the options; the default run takes about 5 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import ffnn_core as fc  # noqa: E402

FULL_GRID = {"learning_rate": [0.01, 0.1], "hidden_layer_sizes": [(10,), (20,), (10, 10), (20, 20)],
             "activation": ["sigmoid", "leaky_relu"], "batch_size": [5, 10], "optimizer": ["rmsprop", "adam"]}
SMALL_GRID = {"learning_rate": [0.01, 0.1], "hidden_layer_sizes": [(20,), (20, 20)],
              "activation": ["sigmoid", "leaky_relu"], "batch_size": [5], "optimizer": ["rmsprop"]}
MLP_GRID = {"learning_rate_init": [0.01, 0.1], "hidden_layer_sizes": [(10,), (20,), (10, 10), (20, 20)],
            "activation": ["logistic", "relu"], "batch_size": [5, 10], "solver": ["adam", "sgd"]}


def cpu_seconds(run):
    start = time.process_time()
    out = run()
    return time.process_time() - start, out


def split(seed, data=None):
    """14 standardised training points of an 80/20 split (the file's 18 points, or a seed's own)."""
    from sklearn.model_selection import train_test_split

    x, y = fc.load_runge_csv("runge_18_noisy") if data is None else data
    x_tr, _, y_tr, _ = train_test_split(x, y, test_size=0.2, random_state=seed)
    return fc.standardize(x_tr, reference=x_tr), y_tr


def same_scores(a, b) -> bool:
    keys = [k for k in a.cv_results_ if k.endswith("test_score")]
    return all(np.array_equal(a.cv_results_[k], b.cv_results_[k]) for k in keys) and a.best_params_ == b.best_params_


def estimator(seed, epochs):
    return fc.FFNNRegressor(init="xavier", epochs=epochs, random_state=seed)


def bench_one_search(args) -> None:
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neural_network import MLPRegressor

    X, y = split(42)
    cv = KFold(5, shuffle=True, random_state=42)
    kw = dict(cv=cv, scoring="neg_mean_squared_error")
    t_grid, grid = cpu_seconds(lambda: GridSearchCV(estimator(42, args.epochs), FULL_GRID, n_jobs=1, **kw).fit(X, y))
    t_pop, pop = cpu_seconds(lambda: fc.PopulationSearchCV(estimator(42, args.epochs), FULL_GRID, **kw).fit(X, y))
    mlp = MLPRegressor(max_iter=args.epochs, tol=0.0, n_iter_no_change=args.epochs + 1, shuffle=True, random_state=42)
    t_mlp, _ = cpu_seconds(lambda: GridSearchCV(mlp, MLP_GRID, n_jobs=1, **kw).fit(X, y))
    n_fits = 5 * len(grid.cv_results_["params"])
    print(f"1. one search: {len(grid.cv_results_['params'])} candidates x 5 folds x {args.epochs} epochs "
          f"({n_fits} fits + refit), CPU seconds")
    print("| search | CPU s | PopulationSearchCV x |")
    print("| --- | ---: | ---: |")
    print(f"| PopulationSearchCV (FFNNRegressor) | {t_pop:.1f} | 1.0 |")
    print(f"| GridSearchCV (FFNNRegressor) | {t_grid:.1f} | {t_grid / t_pop:.1f} |")
    print(f"| GridSearchCV (scikit-learn MLPRegressor, same grid size) | {t_mlp:.1f} | {t_mlp / t_pop:.1f} |")
    print(f"PopulationSearchCV's cv_results_ equal GridSearchCV's bit for bit: {same_scores(pop, grid)}\n")


def bench_seeds(args) -> None:
    from sklearn.model_selection import GridSearchCV, KFold

    seeds = [int(s) for s in np.random.default_rng(42).integers(0, 2**31 - 1, size=args.seeds)]
    data = [split(s, fc.make_runge_data(18, noise=0.1, seed=s)) for s in seeds]
    cv = lambda s: KFold(5, shuffle=True, random_state=s)
    kw = dict(scoring="neg_mean_squared_error")

    def grid_searches():
        return [GridSearchCV(estimator(s, args.epochs), SMALL_GRID, cv=cv(s), n_jobs=1, **kw).fit(X, y)
                for s, (X, y) in zip(seeds, data)]

    def together():
        searches = [fc.PopulationSearchCV(estimator(s, args.epochs), SMALL_GRID, cv=cv(s), **kw) for s in seeds]
        return fc.fit_searches(searches, [d[0] for d in data], [d[1] for d in data])

    t_grid, grid = cpu_seconds(grid_searches)
    t_pop, pop = cpu_seconds(together)
    print(f"2. {args.seeds} seeds x the 8-candidate repetition grid x 5 folds x {args.epochs} epochs, CPU seconds")
    print("| searches | CPU s | fit_searches x |")
    print("| --- | ---: | ---: |")
    print(f"| fit_searches (all seeds together) | {t_pop:.1f} | 1.0 |")
    print(f"| GridSearchCV, seed after seed | {t_grid:.1f} | {t_grid / t_pop:.1f} |")
    print(f"every seed's cv_results_ equal GridSearchCV's bit for bit: "
          f"{all(same_scores(p, g) for p, g in zip(pop, grid))}\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=243, help="epochs per fit (default 243, notebook 03's)")
    parser.add_argument("--seeds", type=int, default=30, help="seeds in table 2 (default 30, notebook 03's)")
    args = parser.parse_args(argv)
    threadpool_limits(1)
    warnings.filterwarnings("ignore")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; one BLAS thread, n_jobs=1\n")
    bench_one_search(args)
    bench_seeds(args)


if __name__ == "__main__":
    main()
