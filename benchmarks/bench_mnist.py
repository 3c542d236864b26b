"""Seconds per epoch: ffnn_core against scikit-learn and PyTorch, on the same data, in one run.

Three tables:

1. MNIST, the report's network 784-100-100-100-10 (sigmoid, softmax + cross-entropy,
   batch 64, L2 with lambda = 1e-3, 56,000 training images of the 80/20 split):
   ffnn_core (RMSprop) in float64 and float32, scikit-learn's ``MLPClassifier`` (Adam,
   ``alpha`` = lambda; it has no RMSprop) in float64 and float32, and PyTorch on the CPU
   (RMSprop, float32 and float64) when it is installed. Each contender runs one epoch per
   call (``fit(epochs=1)``, ``partial_fit``, one pass of a plain PyTorch loop), after a
   warm-up epoch, in rounds that rotate the order so that a change in machine load hits
   everybody alike. The roofline is the epoch's matrix-multiply FLOPs divided by the GEMM
   throughput measured here on large products of the same layer shapes.
2. Runge: the report's grid-search setting (1-10-10-1, batch 5, 14 training points), where
   the cost is per-call overhead: ffnn_core ``fit(epochs=E)`` against scikit-learn's
   ``MLPRegressor`` ``fit(max_iter=E)`` (both E epochs in one call), and one epoch per call
   (``fit(epochs=1)`` / ``partial_fit``).
3. Peak memory (VmHWM, or ``ru_maxrss``) of a fresh process that loads MNIST, splits it 80/20 and
   trains the MNIST network in float32 for a few epochs with the test set as validation data.

Every contender runs its BLAS (and PyTorch its intra-op pool) on ``--threads`` threads
(default 1), so the comparison does not depend on how busy the machine is; seconds are
process CPU time when ``--threads 1`` (wall-clock otherwise). Run ``python
benchmarks/bench_mnist.py -h`` for the options; the default run takes 2-3 minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import ffnn_core as fc  # noqa: E402

LAYERS = (784, 100, 100, 100, 10)
BATCH, ETA, LAM = 64, 1e-3, 1e-3
RUNGE_LAYERS, RUNGE_BATCH, RUNGE_TRAIN = (1, 10, 10, 1), 5, 14


# ----------------------------------------------------------------------------
# timing helpers
# ----------------------------------------------------------------------------

def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def matmul_flops_per_epoch(layers, n: int) -> float:
    """2 n sum_l n_{l-1} n_l for each of: the forward pass, dC/dW, and delta pushed back
    through every layer but the first (the input needs no delta)."""
    products = [a * b for a, b in zip(layers[:-1], layers[1:])]
    return 2.0 * n * (2 * sum(products) + sum(products[1:]))


def gemm_throughput(layers, dtype, key: int, rows: int = 8192, repeats: int = 5) -> float:
    """Best FLOP/s over ``repeats`` of the epoch's three kinds of product, with ``rows`` rows:
    A @ W, A^T @ delta and delta @ W^T for every layer shape (``key`` 0: wall, 1: CPU time)."""
    rng = np.random.default_rng(0)
    acts = [rng.random((rows, k)).astype(dtype) for k in layers]
    Ws = [rng.random((a, b)).astype(dtype) for a, b in zip(layers[:-1], layers[1:])]
    flops = matmul_flops_per_epoch(layers, rows)
    best = np.inf
    for _ in range(repeats):
        start = clock()
        for l, W in enumerate(Ws):
            acts[l] @ W
            acts[l].T @ acts[l + 1]
            if l > 0:
                acts[l + 1] @ W.T
        best = min(best, since(start)[key])
    return flops / best


def gemm_seconds_per_epoch(layers, dtype, n: int, batch: int, key: int) -> float:
    """Seconds that one epoch's matrix products alone take at the training batch size
    (the same products as ``matmul_flops_per_epoch``, on ``n // batch`` batches; best of 2)."""
    rng = np.random.default_rng(0)
    acts = [rng.random((batch, k)).astype(dtype) for k in layers]
    Ws = [rng.random((a, b)).astype(dtype) for a, b in zip(layers[:-1], layers[1:])]
    dWs = [np.empty_like(W) for W in Ws]
    best = np.inf
    for _ in range(2):
        start = clock()
        for _ in range(n // batch):
            for l, W in enumerate(Ws):
                acts[l] @ W
                np.matmul(acts[l].T, acts[l + 1], out=dWs[l])
                if l > 0:
                    acts[l + 1] @ W.T
        best = min(best, since(start)[key])
    return best


def seconds_per_epoch(work, steps: int, key: int, repeats: int = 3) -> float:
    """Best of ``repeats`` timings of ``work()`` called ``steps`` times (one epoch's worth)."""
    work()
    best = np.inf
    for _ in range(repeats):
        start = clock()
        for _ in range(steps):
            work()
        best = min(best, since(start)[key])
    return best


def epoch_pieces(X, Y, dtype, key: int) -> dict[str, float]:
    """Seconds per epoch of the pieces of ffnn_core's MNIST epoch, each timed alone with
    ffnn_core's own classes on arrays of the epoch's shapes (n / batch steps each)."""
    rng = np.random.default_rng(0)
    steps = len(X) // BATCH
    theta, params = fc.init_params(LAYERS, "xavier", rng, dtype)
    grad = (rng.standard_normal(theta.size) * 1e-3).astype(dtype)  # gradient-sized values
    rmsprop = fc.RMSprop(ETA)
    for _ in range(50):  # bring E to its working range
        rmsprop.update([theta], [grad])
    sqrt_out = np.empty_like(theta)
    E = rmsprop.state[0]["E"]
    batches = iter(np.array_split(rng.permutation(len(X)), steps) * 4)  # random rows, as in training
    sigmoid, l2 = fc.Sigmoid(), fc.L2()
    zs = [rng.standard_normal((BATCH, k)).astype(dtype) for k in LAYERS[1:-1]]
    dWs = [np.zeros_like(W) for W, _ in params]
    grads = [np.empty_like(z) for z in zs]

    def activations():
        for z, g in zip(zs, grads):
            a = sigmoid(z)
            np.copyto(g, z)  # backprop overwrites its input; start each call from the same values
            sigmoid.backprop(g, z, a)

    def gather():
        idx = next(batches)
        return X[idx], Y[idx]

    def penalty():
        for dW, (W, _) in zip(dWs, params):
            l2.add_gradient(dW, W, LAM, BATCH)

    return {
        "matrix products at batch 64": gemm_seconds_per_epoch(LAYERS, dtype, len(X), BATCH, key),
        f"RMSprop update ({theta.size:,} parameters, 9 passes)": seconds_per_epoch(
            lambda: rmsprop.update([theta], [grad]), steps, key),
        "- of which the square root alone": seconds_per_epoch(
            lambda: np.sqrt(E, out=sqrt_out), steps, key),
        "gathering the batch, X[idx] and y[idx]": seconds_per_epoch(
            gather, steps, key),
        "sigmoid and its derivative, 3 hidden layers": seconds_per_epoch(activations, steps, key),
        "L2 gradient (lambda / n) W": seconds_per_epoch(penalty, steps, key),
    }


def where_the_time_goes(X, Y, dtype, epoch: float, ref: float, key: int) -> None:
    """Print the epoch's pieces, the remainder, and what the speed target leaves for them."""
    X, Y = X.astype(dtype), Y.astype(dtype)
    pieces = epoch_pieces(X, Y, dtype, key)
    target = {np.dtype(np.float64): 0.6, np.dtype(np.float32): 0.35}[np.dtype(dtype)]
    counted = sum(v for k, v in pieces.items() if not k.startswith("-"))
    print(f"\n\nwhere ffnn_core's {np.dtype(dtype).name} epoch ({epoch:.3f} s) goes, each piece timed alone:\n")
    print("| piece | s/epoch | share |\n| --- | ---: | ---: |")
    for k, v in pieces.items():
        print(f"| {k} | {v:.3f} | {v / epoch:.0%} |")
    print(f"| the rest: bias adds and sums, softmax, cost, per-batch Python | "
          f"{epoch - counted:.3f} | {(epoch - counted) / epoch:.0%} |")
    allowed = target * ref - pieces["matrix products at batch 64"]
    print(f"\nthe speed target, {target} x scikit-learn = {target * ref:.3f} s, leaves {allowed:.3f} s "
          f"beside the matrix products; the four elementwise pieces above take "
          f"{counted - pieces['matrix products at batch 64']:.3f} s", end="")


# ----------------------------------------------------------------------------
# contenders: each is a callable that trains one epoch
# ----------------------------------------------------------------------------

def ffnn_mnist(X, Y, dtype):
    net = fc.NeuralNetwork(LAYERS, "sigmoid", "softmax", "cross_entropy", "rmsprop", ETA,
                           regularization="l2", lam=LAM, dtype=dtype, seed=0)
    X, Y = X.astype(dtype), Y.astype(dtype)
    return lambda: net.fit(X, Y, epochs=1, batch_size=BATCH)


def sklearn_mnist(X, labels, dtype):
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(LAYERS[1:-1], activation="logistic", solver="adam", alpha=LAM,
                        batch_size=BATCH, learning_rate_init=ETA, random_state=0)
    X = X.astype(dtype)
    classes = np.unique(labels)
    return lambda: clf.partial_fit(X, labels, classes=classes)


def torch_mnist(X, labels, dtype):
    import torch
    torch.manual_seed(0)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    layers = []
    for a, b in zip(LAYERS[:-1], LAYERS[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1]).to(tdtype)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    # ffnn_core's L2 gradient (lambda / n) W on the weights only, n = batch size
    opt = torch.optim.RMSprop([{"params": weights, "weight_decay": LAM / BATCH},
                               {"params": biases}], lr=ETA, alpha=0.9, eps=1e-8)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=dtype))
    yt = torch.from_numpy(labels)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(Xt), generator=gen)
        for start in range(0, len(Xt), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return epoch


def torch_available() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


# ----------------------------------------------------------------------------
# table 1: MNIST
# ----------------------------------------------------------------------------

def bench_mnist(args) -> None:
    mnist = fc.load_mnist()
    X, _, labels, _ = mnist.split_80_20()
    X, labels = X[:args.n_train], labels[:args.n_train]
    Y = np.eye(10, dtype=np.float32)[labels]
    n = len(X)
    flops = matmul_flops_per_epoch(LAYERS, n)

    contenders = {
        "ffnn_core float64 (RMSprop)": lambda: ffnn_mnist(X, Y, np.float64),
        "ffnn_core float32 (RMSprop)": lambda: ffnn_mnist(X, Y, np.float32),
        "scikit-learn float64 (Adam)": lambda: sklearn_mnist(X, labels, np.float64),
        "scikit-learn float32 (Adam)": lambda: sklearn_mnist(X, labels, np.float32),
    }
    torch_version = None if args.no_torch else torch_available()
    if torch_version:
        import torch
        torch.set_num_threads(args.threads)
        contenders["PyTorch float64 (RMSprop)"] = lambda: torch_mnist(X, labels, np.float64)
        contenders["PyTorch float32 (RMSprop)"] = lambda: torch_mnist(X, labels, np.float32)
    elif not args.no_torch:
        print("PyTorch is not importable: skipping it (pip install torch to include it).\n")

    print(f"MNIST {'-'.join(map(str, LAYERS))}, sigmoid, batch {BATCH}, L2 lambda={LAM}, "
          f"{n} training images; {flops / 1e9:.1f} GFLOP of matrix products per epoch")
    print(f"one warm-up epoch, then {args.rounds} rounds x {args.epochs} epoch(s) each, "
          f"order rotated every round; median over the {args.rounds * args.epochs} timed epochs\n")
    epochs = {name: make() for name, make in contenders.items()}
    times = {name: [] for name in epochs}
    for name, epoch in epochs.items():  # warm-up: first-call costs, caches, allocator
        epoch()
    names = list(epochs)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            for _ in range(args.epochs):
                start = clock()
                epochs[name]()
                times[name].append(since(start))

    key = 1 if args.threads == 1 else 0  # CPU seconds on one thread, else wall-clock
    peak = {dt: gemm_throughput(LAYERS, dt, key) for dt in (np.float64, np.float32)}
    ref = statistics.median(t[key] for t in times["scikit-learn float64 (Adam)"])
    unit = "CPU s" if key else "wall s"
    print(f"| contender | {unit}/epoch | wall s/epoch | x scikit-learn float64 | x roofline |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ts in times.items():
        med = statistics.median(t[key] for t in ts)
        wall = statistics.median(t[0] for t in ts)
        floor = flops / peak[np.float32 if "float32" in name else np.float64]
        print(f"| {name} | {med:.3f} | {wall:.3f} | {med / ref:.2f} | {med / floor:.1f} |")
    for dt, p in peak.items():
        gemm = gemm_seconds_per_epoch(LAYERS, dt, n, BATCH, key)
        print(f"\nroofline {np.dtype(dt).name}: GEMM throughput {p / 1e9:.0f} GFLOP/s on "
              f"{args.threads} thread(s) (8192-row products of the layer shapes) -> "
              f"{flops / p:.3f} s per epoch; the same products at batch {BATCH} alone: {gemm:.3f} s", end="")
    for dt in (np.float64, np.float32):
        name = f"ffnn_core {np.dtype(dt).name} (RMSprop)"
        where_the_time_goes(X, Y, dt, statistics.median(t[key] for t in times[name]), ref, key)
    # cost per image should not depend on the number of images (no per-epoch copies)
    quarter = n // 4
    small = ffnn_mnist(X[:quarter], Y[:quarter], np.float32)
    small()
    per_small = []
    for _ in range(args.rounds):
        start = clock()
        small()
        per_small.append(since(start)[key])
    full = statistics.median(t[key] for t in times["ffnn_core float32 (RMSprop)"])
    print(f"\nlinear in samples: ffnn_core float32 takes {statistics.median(per_small) / quarter * 1e6:.1f} "
          f"us per image and epoch on {quarter} images, {full / n * 1e6:.1f} on {n}\n")


# ----------------------------------------------------------------------------
# table 2: Runge
# ----------------------------------------------------------------------------

def bench_runge(args) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    x, y = fc.load_runge_csv("runge_18_noisy")
    X, y = x[:RUNGE_TRAIN, None], y[:RUNGE_TRAIN]
    E = args.runge_epochs

    def ffnn(act, opt):
        net = fc.NeuralNetwork(RUNGE_LAYERS, act, "linear", "mse", opt, 0.01, dtype=np.float64, seed=0)
        return (lambda: net.fit(X, y, epochs=E, batch_size=RUNGE_BATCH),
                lambda: [net.fit(X, y, epochs=1, batch_size=RUNGE_BATCH) for _ in range(E)])

    def sk():
        kw = dict(hidden_layer_sizes=RUNGE_LAYERS[1:-1], activation="relu", solver="adam",
                  batch_size=RUNGE_BATCH, learning_rate_init=0.01, tol=0.0,
                  n_iter_no_change=10 ** 9, random_state=0)
        reg = MLPRegressor(max_iter=E, **kw)
        inc = MLPRegressor(**kw)
        return (lambda: reg.fit(X, y), lambda: [inc.partial_fit(X, y) for _ in range(E)])

    rows = {"ffnn_core float64, LeakyReLU + RMSprop (report)": ffnn("leaky_relu", "rmsprop"),
            "ffnn_core float64, ReLU + Adam": ffnn("relu", "adam"),
            "scikit-learn MLPRegressor, ReLU + Adam": sk()}
    times = {name: ([], []) for name in rows}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, (one_call, per_call) in rows.items():
            one_call(), per_call()  # warm-up
        for _ in range(args.rounds):
            for name, (one_call, per_call) in rows.items():
                for i, run in enumerate((one_call, per_call)):
                    start = clock()
                    run()
                    times[name][i].append(since(start)[1] / E)
    ref = statistics.median(times["scikit-learn MLPRegressor, ReLU + Adam"][0])
    print(f"Runge {'-'.join(map(str, RUNGE_LAYERS))}, batch {RUNGE_BATCH}, {RUNGE_TRAIN} training "
          f"points ({-(-RUNGE_TRAIN // RUNGE_BATCH)} updates per epoch); CPU microseconds per epoch, "
          f"median of {args.rounds} runs of {E} epochs")
    print("| contender | E epochs in one call (us/epoch) | one epoch per call (us/epoch) | "
          "x scikit-learn (one call) |")
    print("| --- | ---: | ---: | ---: |")
    for name, (one, per) in times.items():
        med = statistics.median(one)
        print(f"| {name} | {med * 1e6:.0f} | {statistics.median(per) * 1e6:.0f} | {med / ref:.2f} |")
    print("(one call: ffnn_core fit(epochs=E), scikit-learn fit with max_iter=E; per call: "
          "fit(epochs=1) / partial_fit, each validating its input again)\n")


# ----------------------------------------------------------------------------
# table 3: peak memory, in a fresh process
# ----------------------------------------------------------------------------

def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM where Linux has it (``ru_maxrss`` of a
    child process also remembers its parent's peak at the fork), else ``ru_maxrss``."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2 ** 20


def memory_child(epochs: int) -> None:
    """Load MNIST, split it, train float32 with validation data; print peak RSS in MiB."""
    mnist = fc.load_mnist()
    X_train, X_test, y_train, y_test = mnist.split_80_20()
    del mnist
    after_data = peak_rss_mib()
    Y_train = np.eye(10, dtype=np.float32)[y_train]
    Y_test = np.eye(10, dtype=np.float32)[y_test]
    net = fc.NeuralNetwork(LAYERS, "sigmoid", "softmax", "cross_entropy", "rmsprop", ETA,
                           regularization="l2", lam=LAM, dtype=np.float32, seed=0)
    net.fit(X_train, Y_train, epochs=epochs, batch_size=BATCH, validation_data=(X_test, Y_test))
    peak = peak_rss_mib()
    print(f"{after_data:.0f} {peak:.0f} {net.history.val_accuracy[-1]:.4f}")


def bench_memory(args) -> None:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(args.memory_epochs)],
                         capture_output=True, text=True, check=True).stdout.split()
    after_data, peak, acc = float(out[0]), float(out[1]), float(out[2])
    print(f"Peak memory of a fresh process training MNIST float32 ({args.memory_epochs} epochs, "
          f"validation on the 14,000 test images): {peak:.0f} MiB "
          f"(of which {after_data:.0f} MiB after loading and splitting the data); "
          f"validation accuracy {acc:.4f}\n")


# ----------------------------------------------------------------------------

def environment(args) -> None:
    blas = [f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')} kernels, "
            f"{i['num_threads']} threads by default)"
            for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_L2_SIZE",
                                      "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    print(f"numpy {np.__version__}, BLAS: {'; '.join(blas) or 'unknown'}; "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); "
          f"load average {os.getloadavg()[0]:.1f}; environment: {env or 'no BLAS variables set'}")
    print(f"every contender limited to {args.threads} BLAS/PyTorch thread(s)\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per contender per round (default 1)")
    p.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads for every contender")
    p.add_argument("--n-train", type=int, default=56000, help="MNIST training images (default 56000)")
    p.add_argument("--runge-epochs", type=int, default=1000, help="epochs per Runge timing (default 1000)")
    p.add_argument("--memory-epochs", type=int, default=3, help="epochs of the memory run (default 3)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument("--only", choices=("mnist", "runge", "memory"), help="run one table only")
    p.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child)
    environment(args)
    with threadpool_limits(args.threads):
        if args.only in (None, "mnist"):
            bench_mnist(args)
        if args.only in (None, "runge"):
            bench_runge(args)
    if args.only in (None, "memory"):
        bench_memory(args)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(a busy machine inflates every row; compare ratios, not seconds)")


if __name__ == "__main__":
    main()
