"""The long MNIST runs that notebook 04 reads: the Table IV gap study and the best network's seeds.

Notebook 04 must run within minutes on a 2-core CPU, and these runs take well over an hour of
CPU time (each run records its own; notebook 04 prints the total), so they are made here, once, and kept in ``data/mnist_runs.npz``; the notebook
loads that file, and re-trains the first Table IV seed itself to check, bit for bit, that the
stored curves are what this code produces on this software.

    make mnist-runs             # or: .venv/bin/python notebooks/mnist_runs.py --jobs 2

Runs (each a seed ``k`` of the study ``name``; every run of a study gets the generator
``default_rng([2025, 2, k])``, so run ``k`` of an ablation starts from the same weights and
sees the same mini-batches as run ``k`` of the Table IV recipe, except where the ablation
changes exactly that):

===================== ====== ===== ==================================================================
name                  epochs seeds what differs from the Table IV recipe as notebook 04 runs it
===================== ====== ===== ==================================================================
table_iv                  50    10 nothing: 3 x 100 sigmoid, Xavier, RMSprop (eta 1e-3, rho 0.9,
                                   eps 1e-8 outside the root), batch 64, L2 lambda 1e-3 over the
                                   mini-batch, float32, the report's 80/20 split (random_state 42)
eps_inside_root           30    10 RMSprop as the report writes it: eta g / sqrt(E + eps)
rho_0.99                  30    10 rho = 0.99 (PyTorch's default is 0.99, Keras' 0.9)
split_seed                30    10 the 80/20 split drawn with random_state 1000 + k instead of 42
init_normal               20    10 W, b ~ N(0, 1)
l2_over_training_set      20    10 the L2 term divided by the training-set size (56,000) instead of
                                   the mini-batch (64): lambda x 64 / 56,000 in ffnn_core's terms
adam                      20     5 Adam (with bias correction) at eta 1e-3: ffnn_core's side of the
                                   comparison with scikit-learn
sklearn_adam              20     5 scikit-learn's MLPClassifier, the same architecture and penalty,
                                   Adam, random_state k
table_iv_canonical        20     3 the canonical 60,000 / 10,000 split: the Table IV network on the
                                   test images of the best network, for the paired (McNemar) test
best_canonical            30     3 notebook 04's best network (784-800-800-10 ReLU, He, Adam, cosine
                                   schedule, dropout 0.5 / input 0.2, batch 256) on the canonical
                                   60,000 training images; test = the canonical 10,000
===================== ====== ===== ==================================================================

Every run keeps its test accuracy and cost after each epoch (monitoring only: nothing in the
study is selected on them except where the notebook says it reads the "best test epoch", the
report's practice that the gap study measures). ``table_iv`` keeps its test predictions after
epoch 20, ``adam``/``sklearn_adam``/``table_iv_canonical`` after their last epoch, ``best_canonical`` its predictions
and probabilities (float16) after its last epoch. Each finished run is cached in
``data/mnist_runs_cache/`` (not committed), so an interrupted run resumes.
"""

import argparse
import json
import platform
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "mnist_runs.npz"
CACHE = ROOT / "data" / "mnist_runs_cache"
SEED = 2025
KEEP_PREDICTIONS_AT = 20  # table_iv: the epoch whose test predictions are kept (the notebook's Table IV length)

STUDIES = {  # name: (epochs, seeds)
    "best_canonical": (30, 3),
    "table_iv": (50, 10),
    "table_iv_canonical": (20, 3),
    "eps_inside_root": (30, 10),
    "rho_0.99": (30, 10),
    "split_seed": (30, 10),
    "init_normal": (20, 10),
    "l2_over_training_set": (20, 10),
    "adam": (20, 5),
    "sklearn_adam": (20, 5),
}


def run_seed(k: int) -> np.random.Generator:
    return np.random.default_rng([SEED, 2, k])


def table_iv_network(name: str, k: int, n_train: int):
    """The Table IV network, changed as the study ``name`` says."""
    from ffnn_core import Adam, NeuralNetwork, RMSprop
    optimizer = {"eps_inside_root": RMSprop(1e-3, eps_inside_root=True),
                 "rho_0.99": RMSprop(1e-3, rho=0.99),
                 "adam": Adam(1e-3)}.get(name, RMSprop(1e-3))
    lam = 1e-3 * 64 / n_train if name == "l2_over_training_set" else 1e-3
    return NeuralNetwork((784, 100, 100, 100, 10), activations="sigmoid", output_activation="softmax",
                         cost="cross_entropy", optimizer=optimizer, regularization="l2", lam=lam,
                         init="normal" if name == "init_normal" else "xavier", dtype=np.float32,
                         seed=run_seed(k))


def best_network(n_train: int, epochs: int, k: int):
    """Notebook 04's best network (settings chosen by select_mnist_best.py on validation data)."""
    from ffnn_core import CosineDecay, NeuralNetwork
    steps = epochs * -(-n_train // 256)
    return NeuralNetwork((784, 800, 800, 10), activations="relu", output_activation="softmax",
                         cost="cross_entropy", optimizer="adam", learning_rate=CosineDecay(2e-3, steps),
                         init="he", dropout=0.5, input_dropout=0.2, dtype=np.float32, seed=run_seed(k))


def split(name: str, k: int):
    """(X_train, X_test, y_train, y_test) of the run."""
    from ffnn_core import load_mnist
    mnist = load_mnist()
    if name in ("best_canonical", "table_iv_canonical"):
        return mnist.split_canonical()
    if name == "split_seed":
        from sklearn.model_selection import train_test_split
        tr, te = train_test_split(np.arange(len(mnist.y)), test_size=0.2, random_state=1000 + k)
        return mnist.X[tr], mnist.X[te], mnist.y[tr], mnist.y[te]
    return mnist.split_80_20()


def sklearn_run(k: int, epochs: int, X_tr, X_te, y_tr, y_te) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(100, 100, 100), activation="logistic", solver="adam",
                        alpha=1e-3, batch_size=64, learning_rate_init=1e-3, max_iter=epochs,
                        shuffle=True, random_state=k, tol=0.0, n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached, by design
        clf.fit(X_tr, y_tr)
    pred = clf.predict(X_te)
    return {"test_acc": np.array([np.mean(pred == y_te)]), "pred": pred.astype(np.uint8)}


def one_run(name: str, k: int) -> dict:
    """Train run ``k`` of study ``name`` with one BLAS thread; return its arrays."""
    from ffnn_core import one_hot
    epochs, _ = STUDIES[name]
    with threadpool_limits(1):
        t0 = time.process_time()
        X_tr, X_te, y_tr, y_te = split(name, k)
        if name == "sklearn_adam":
            out = sklearn_run(k, epochs, X_tr, X_te, y_tr, y_te)
        else:
            Y_tr, Y_te = one_hot(y_tr, 10, dtype=np.float32), one_hot(y_te, 10, dtype=np.float32)
            if name == "best_canonical":
                net, batch = best_network(len(y_tr), epochs, k), 256
            else:
                net, batch = table_iv_network(name, k, len(y_tr)), 64
            kept = {}

            def keep(epoch, net):
                if name == "table_iv" and epoch == KEEP_PREDICTIONS_AT:
                    kept["pred"] = net.predict(X_te).astype(np.uint8)

            net.fit(X_tr, Y_tr, epochs=epochs, batch_size=batch, validation_data=(X_te, Y_te), callback=keep)
            out = {"test_acc": np.array(net.history.val_accuracy), "test_cost": np.array(net.history.val_cost),
                   **kept}
            if name in ("adam", "table_iv_canonical", "best_canonical"):
                proba = net.forward(X_te)
                out["pred"] = proba.argmax(axis=1).astype(np.uint8)
                if name == "best_canonical":
                    out["proba"] = proba.astype(np.float16)
        out["cpu_s"] = np.array(time.process_time() - t0)
    return out


def cached_run(name: str, k: int) -> Path:
    path = CACHE / f"{name}-{k}.npz"
    if not path.exists():
        arrays = one_run(name, k)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        print(f"{name} seed {k}: last-epoch test accuracy {100 * arrays['test_acc'][-1]:.2f} %, "
              f"{float(arrays['cpu_s']):.0f} CPU s", flush=True)
    return path


def collect() -> dict:
    """Stack the cached runs study by study: ``<study>.<key>`` of shape (seeds, ...)."""
    out = {}
    for name, (epochs, seeds) in STUDIES.items():
        runs = [np.load(CACHE / f"{name}-{k}.npz") for k in range(seeds)]
        for key in runs[0].files:
            out[f"{name}.{key}"] = np.stack([r[key] for r in runs])
        out[f"{name}.epochs"] = np.array(epochs)
    import numpy, sklearn
    out["meta"] = np.array(json.dumps({
        "made_by": "notebooks/mnist_runs.py", "date": date.today().isoformat(),
        "machine": platform.machine(), "processor": platform.processor() or "unknown",
        "python": platform.python_version(), "numpy": numpy.__version__, "scikit-learn": sklearn.__version__,
        "seed_rule": f"default_rng([{SEED}, 2, k])", "keep_predictions_at": KEEP_PREDICTIONS_AT}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", nargs="+", choices=list(STUDIES), help="run only these studies (no output file)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    names = args.only or list(STUDIES)
    jobs = [(name, k) for name in names for k in range(STUDIES[name][1])]
    Parallel(n_jobs=args.jobs)(delayed(cached_run)(name, k) for name, k in jobs)
    if not args.only:
        np.savez_compressed(OUT, **collect())
        print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
