"""Development run: the settings of notebook 04's best network, chosen on validation data.

Notebook 04 trains one "best" network (784-800-800-10, ReLU, He init, Adam, dropout 0.5 on
the hidden units, batch 256, cosine schedule from eta = 2e-3 to 0). This script chooses its
number of epochs and its input dropout without looking at any test image: it holds out 6,000
of the 56,000 training images of the 80/20 split, trains on the other 50,000 for each
candidate (the cosine schedule spans the whole run, so every epoch count is a separate run)
and prints the validation accuracy after the last epoch, the one the notebook keeps.

    .venv/bin/python benchmarks/select_mnist_best.py --epochs 20 40 --input-dropout 0 0.2
"""

import argparse
import sys
from itertools import product
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ffnn_core import CosineDecay, NeuralNetwork, load_mnist  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--input-dropout", type=float, nargs="+", default=[0.0, 0.2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    threadpool_limits(1)
    X, _, y, _ = load_mnist().split_80_20()
    perm = np.random.default_rng([args.seed, 0]).permutation(len(y))
    fit, val = perm[6000:], perm[:6000]
    Y = np.eye(10, dtype=np.float32)[y]
    for epochs, p_in in product(args.epochs, args.input_dropout):
        steps = epochs * -(-len(fit) // 256)
        net = NeuralNetwork((784, 800, 800, 10), activations="relu", output_activation="softmax",
                            cost="cross_entropy", optimizer="adam",
                            learning_rate=CosineDecay(2e-3, steps), init="he", dropout=0.5, input_dropout=p_in,
                            dtype=np.float32, seed=np.random.default_rng([args.seed, epochs]))
        t = time.process_time()
        net.fit(X[fit], Y[fit], epochs=epochs, batch_size=256, validation_data=(X[val], Y[val]))
        acc = net.history.val_accuracy
        print(f"{epochs:3d} epochs, input dropout {p_in:.1f}: validation accuracy {100 * acc[-1]:.2f} % after the last epoch "
              f"(best epoch {int(np.argmax(acc)) + 1}: {100 * max(acc):.2f} %), "
              f"{time.process_time() - t:.0f} CPU s", flush=True)


if __name__ == "__main__":
    main()
