"""Write the report's Runge data sets to data/ as CSV (columns x, y).

* runge_18_noiseless.csv -- 18 points, x ~ U(-1, 1), y = 1 / (1 + 25 x^2)
* runge_18_noisy.csv     -- the same 18 x values, y plus N(0, 0.1^2) noise
* runge_100_noisy.csv    -- a fresh set of 100 points (new x and noise) for
                            measuring generalisation; runge_100_noiseless.csv has
                            the same x with the true function values.

Everything is drawn from one numpy Generator seeded with SEED, so the files are
identical on every run.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from ffnn_core import runge  # noqa: E402

SEED = 2025
NOISE = 0.1


def write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="", fmt="%.17g")


def main() -> None:
    rng = np.random.default_rng(SEED)
    x18 = rng.uniform(-1.0, 1.0, 18)
    noise18 = NOISE * rng.standard_normal(18)
    x100 = rng.uniform(-1.0, 1.0, 100)
    noise100 = NOISE * rng.standard_normal(100)
    out = ROOT / "data"
    write(out / "runge_18_noiseless.csv", x18, runge(x18))
    write(out / "runge_18_noisy.csv", x18, runge(x18) + noise18)
    write(out / "runge_100_noisy.csv", x100, runge(x100) + noise100)
    write(out / "runge_100_noiseless.csv", x100, runge(x100))
    print(f"wrote 4 CSV files to {out}")


if __name__ == "__main__":
    main()
