"""The benchmark script runs end to end on a small slice and prints its tables.

A smoke test, not a timing test: it checks that every table and the breakdown of
ffnn_core's epoch come out, and that the pieces are non-negative seconds.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_mnist  # noqa: E402


def test_mnist_table_and_breakdown(capsys):
    bench_mnist.main(["--only", "mnist", "--no-torch", "--n-train", "1000", "--rounds", "1"])
    out = capsys.readouterr().out
    for row in ("ffnn_core float64 (RMSprop)", "ffnn_core float32 (RMSprop)",
                "scikit-learn float64 (Adam)", "roofline float32", "linear in samples"):
        assert row in out
    for dtype in ("float64", "float32"):
        assert f"where ffnn_core's {dtype} epoch" in out
    pieces = re.findall(r"^\| (RMSprop update|gathering the batch|L2 gradient)[^|]*\| ([0-9.]+) \|",
                        out, flags=re.M)
    assert len(pieces) == 6 and all(float(v) >= 0 for _, v in pieces)
    assert out.count("the speed target") == 2


def test_runge_table(capsys):
    bench_mnist.main(["--only", "runge", "--runge-epochs", "20", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "scikit-learn MLPRegressor, ReLU + Adam" in out
    assert "ffnn_core float64, LeakyReLU + RMSprop (report)" in out
