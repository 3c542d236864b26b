"""Network-epochs per second: a NetworkPopulation of K networks against K networks one at a time.

Two tables, all contenders in one run on one BLAS thread (PyTorch's intra-op pool too):

1. Runge, the report's grid-search setting (1-10-10-1, LeakyReLU, RMSprop with learning
   rate 0.01, batch 5, the first 14 points of ``runge_18_noisy``, float64), at K = 1, 10,
   100, 1000 networks with seeds 0..K-1:
   * ``NetworkPopulation(seed=range(K)).fit`` (every member bit-identical to its lone network);
   * the same networks one after another with ``NeuralNetwork`` (the rate of a lone network
     does not depend on K, so it is measured on ``--seq-networks`` networks and applies to
     every K);
   * scikit-learn's ``MLPRegressor`` in a loop (ReLU + Adam: it has no RMSprop nor LeakyReLU;
     ``fit(max_iter=E)``, ``tol=0``), likewise measured on ``--sk-networks`` networks;
   * ``torch.func.vmap`` over K stacked ``nn.Sequential`` modules (``stack_module_state``,
     ``functional_call``, ``vmap(grad(loss))``, RMSprop on the stacked tensors, per-member
     shuffles gathered as ``X[idx]``) when PyTorch is importable (not a project dependency).
2. MNIST, the report's network (784-100-100-100-10 sigmoid, softmax + cross-entropy, RMSprop
   1e-3, L2 1e-3, batch 64, float32) on ``--mnist-n`` training images: a population of K = 4
   and 16 against one network, in CPU seconds per network and epoch.

Times are process CPU seconds; after a warm-up, contenders run in ``--rounds`` rounds and
the tables give medians. The machine's load average is printed: on a shared machine every
rate is lower, and the ratios are what to read. ``-h`` lists the options; the default run
takes 1-3 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import ffnn_core as fc  # noqa: E402

RUNGE_LAYERS, RUNGE_BATCH, RUNGE_TRAIN, RUNGE_ETA = (1, 10, 10, 1), 5, 14, 0.01
MNIST_LAYERS, MNIST_BATCH, MNIST_ETA, MNIST_LAM = (784, 100, 100, 100, 10), 64, 1e-3, 1e-3


def cpu_seconds(run) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def median_rate(runs: dict, rounds: int) -> dict:
    """Network-epochs per CPU second of each ``name: (run, network_epochs)``, median of rounds
    whose order rotates (after one warm-up call each)."""
    for run, _ in runs.values():
        run()
    names, rates = list(runs), {name: [] for name in runs}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            run, work = runs[name]
            rates[name].append(work / cpu_seconds(run))
    return {name: statistics.median(v) for name, v in rates.items()}


# ----------------------------------------------------------------------------
# Runge contenders: each returns (run, network-epochs per run)
# ----------------------------------------------------------------------------

def runge_data():
    x, y = fc.load_runge_csv("runge_18_noisy")
    return x[:RUNGE_TRAIN, None], y[:RUNGE_TRAIN, None]


def population(X, Y, K, E):
    def run():
        pop = fc.NetworkPopulation(RUNGE_LAYERS, "leaky_relu", "linear", "mse", "rmsprop",
                                   RUNGE_ETA, seed=range(K))
        pop.fit(X, Y, epochs=E, batch_size=RUNGE_BATCH)
    return run, K * E


def one_after_another(X, Y, K, E):
    def run():
        for seed in range(K):
            net = fc.NeuralNetwork(RUNGE_LAYERS, "leaky_relu", "linear", "mse", "rmsprop",
                                   RUNGE_ETA, seed=seed)
            net.fit(X, Y, epochs=E, batch_size=RUNGE_BATCH)
    return run, K * E


def sklearn_loop(X, Y, K, E):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: it never converges
            for seed in range(K):
                fit_one(seed)

    def fit_one(seed):
        MLPRegressor(hidden_layer_sizes=RUNGE_LAYERS[1:-1], activation="relu", solver="adam",
                     batch_size=RUNGE_BATCH, learning_rate_init=RUNGE_ETA, max_iter=E, tol=0.0,
                     n_iter_no_change=10 ** 9, random_state=seed).fit(X, Y[:, 0])
    return run, K * E


def torch_vmap(X, Y, K, E):
    """K stacked modules trained with torch.func.vmap(grad(loss)) and RMSprop, float64."""
    import copy

    import torch
    from torch.func import functional_call, grad, stack_module_state, vmap

    torch.manual_seed(0)
    nn = torch.nn
    models = [nn.Sequential(nn.Linear(1, 10), nn.LeakyReLU(0.01), nn.Linear(10, 10),
                            nn.LeakyReLU(0.01), nn.Linear(10, 1)).double() for _ in range(K)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def loss(p, b, x, y):
        return torch.mean((functional_call(base, (p, b), (x,)) - y) ** 2)

    member_grads = vmap(grad(loss), in_dims=(0, 0, 0, 0))
    square_avg = {name: torch.zeros_like(p) for name, p in params.items()}

    def run():
        n = Xt.shape[0]
        with torch.no_grad():
            for _ in range(E):
                order = torch.argsort(torch.rand(K, n), dim=1)  # a shuffle per member
                for start in range(0, n, RUNGE_BATCH):
                    idx = order[:, start:start + RUNGE_BATCH]
                    grads = member_grads(params, buffers, Xt[idx], Yt[idx])
                    for name, p in params.items():  # RMSprop, rho 0.9, eps 1e-8 outside the root
                        g, s = grads[name], square_avg[name]
                        s.mul_(0.9).addcmul_(g, g, value=0.1)
                        p.addcdiv_(g, s.sqrt().add_(1e-8), value=-RUNGE_ETA)
    return run, K * E


def bench_runge(args) -> None:
    X, Y = runge_data()
    seq = median_rate({"seq": one_after_another(X, Y, args.seq_networks, args.epochs)}, args.rounds)["seq"]
    sk = median_rate({"sk": sklearn_loop(X, Y, args.sk_networks, args.epochs)}, args.rounds)["sk"]
    torch_ok = not args.no_torch and _torch_available()
    print(f"Runge {'-'.join(map(str, RUNGE_LAYERS))}, LeakyReLU + RMSprop, batch {RUNGE_BATCH}, "
          f"{RUNGE_TRAIN} points, float64: network-epochs per CPU second, median of {args.rounds} rounds")
    print(f"(one after another: {args.seq_networks} networks x {args.epochs} epochs; MLPRegressor: "
          f"{args.sk_networks} networks x {args.epochs} epochs; both rates hold for every K)")
    print("| K | population | one after another | population x | MLPRegressor loop | population x "
          "| torch.func.vmap | population x |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for K in args.K:
        E = max(args.min_epochs, min(args.epochs, args.work // K))
        runs = {"pop": population(X, Y, K, E)}
        if torch_ok:
            runs["torch"] = torch_vmap(X, Y, K, E)
        rate = median_rate(runs, args.rounds)
        tr = (f"{rate['torch']:,.0f} | {rate['pop'] / rate['torch']:.2f}" if torch_ok else "- | -")
        print(f"| {K} | {rate['pop']:,.0f} | {seq:,.0f} | {rate['pop'] / seq:.1f} | {sk:,.0f} | "
              f"{rate['pop'] / sk:.1f} | {tr} |", flush=True)
    print()


def _torch_available() -> bool:
    try:
        import torch
    except ImportError:
        print("(PyTorch is not importable: no torch.func.vmap column)")
        return False
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set in this process
            pass
    return True


# ----------------------------------------------------------------------------
# MNIST: the matrix products dominate
# ----------------------------------------------------------------------------

def bench_mnist(args) -> None:
    mnist = fc.load_mnist()
    X_train, _, y_train, _ = mnist.split_80_20()
    X, Y = X_train[:args.mnist_n], np.eye(10, dtype=np.float32)[y_train[:args.mnist_n]]
    kw = dict(activations="sigmoid", output_activation="softmax", cost="cross_entropy",
              optimizer="rmsprop", learning_rate=MNIST_ETA, regularization="l2", lam=MNIST_LAM,
              dtype=np.float32)
    runs = {}
    for K in [1] + args.mnist_K:
        net = (fc.NeuralNetwork(MNIST_LAYERS, seed=0, **kw) if K == 1
               else fc.NetworkPopulation(MNIST_LAYERS, seed=range(K), **kw))
        runs[K] = (lambda net=net: net.fit(X, Y, epochs=1, batch_size=MNIST_BATCH), K)
    rate = median_rate(runs, args.mnist_rounds)
    print(f"MNIST {'-'.join(map(str, MNIST_LAYERS))} sigmoid, RMSprop, L2, batch {MNIST_BATCH}, float32, "
          f"{args.mnist_n} images: CPU seconds per network and epoch, median of {args.mnist_rounds} rounds")
    print("| networks | CPU s per network-epoch | cost per network, one network = 1 |")
    print("| --- | ---: | ---: |")
    for K, r in rate.items():
        name = "one NeuralNetwork" if K == 1 else f"population, K = {K}"
        print(f"| {name} | {1 / r:.3f} | {rate[1] / r:.2f} |")
    print()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--K", type=int, nargs="+", default=[1, 10, 100, 1000], help="population sizes")
    p.add_argument("--epochs", type=int, default=100, help="most epochs per timing (default 100)")
    p.add_argument("--work", type=int, default=100000,
                   help="most network-epochs per population timing (default 100000; epochs = work / K)")
    p.add_argument("--min-epochs", type=int, default=5, help="fewest epochs per timing (default 5)")
    p.add_argument("--seq-networks", type=int, default=20, help="networks one after another (default 20)")
    p.add_argument("--sk-networks", type=int, default=5, help="MLPRegressor fits (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    p.add_argument("--mnist-n", type=int, default=4096, help="MNIST training images (default 4096)")
    p.add_argument("--mnist-K", type=int, nargs="+", default=[4, 16], help="MNIST population sizes")
    p.add_argument("--mnist-rounds", type=int, default=2, help="MNIST timed rounds (default 2)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument("--only", choices=("runge", "mnist"), help="run one table only")
    args = p.parse_args(argv)
    print(f"numpy {np.__version__}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; "
          "one BLAS thread for every contender\n")
    with threadpool_limits(1):
        if args.only in (None, "runge"):
            bench_runge(args)
        if args.only in (None, "mnist"):
            bench_mnist(args)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(a busy machine lowers every rate; compare ratios)")


if __name__ == "__main__":
    main()
