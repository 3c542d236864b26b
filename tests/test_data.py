"""Data helpers: Runge's function, the committed CSV sets and MNIST."""

import numpy as np
import pytest

import ffnn_core as fc


def test_runge_values():
    np.testing.assert_allclose(fc.runge([0.0, 0.2, 1.0]), [1.0, 0.5, 1.0 / 26.0])


def test_make_runge_data_seeded_and_in_range():
    x, y = fc.make_runge_data(100, noise=0.1, seed=7)
    x2, y2 = fc.make_runge_data(100, noise=0.1, seed=7)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.min() >= -1 and x.max() <= 1
    assert x.min() < -0.9 and x.max() > 0.9  # x ~ U(-1, 1) covers the whole interval
    assert 0.05 < np.std(y - fc.runge(x)) < 0.15
    _, clean = fc.make_runge_data(10, seed=1)
    x1, _ = fc.make_runge_data(10, seed=1)
    np.testing.assert_array_equal(clean, fc.runge(x1))


def test_committed_runge_csvs_match_the_generator(tmp_path, monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location("mk", fc.DATA_DIR / "make_runge_data.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    monkeypatch.setattr(mk, "ROOT", tmp_path)
    (tmp_path / "data").mkdir()
    mk.main()
    for name in ["runge_18_noiseless", "runge_18_noisy", "runge_100_noisy", "runge_100_noiseless"]:
        assert (tmp_path / "data" / f"{name}.csv").read_bytes() == (fc.DATA_DIR / f"{name}.csv").read_bytes()
    x18, y18 = fc.load_runge_csv("runge_18_noisy")
    x18c, y18c = fc.load_runge_csv("runge_18_noiseless")
    assert x18.shape == (18,) and np.array_equal(x18, x18c)
    np.testing.assert_allclose(y18c, fc.runge(x18))


@pytest.fixture(scope="module")
def mnist():
    return fc.load_mnist()


def test_mnist_shapes_ranges_and_splits(mnist):
    assert mnist.X.shape == (70000, 784) and mnist.X.dtype == np.float32
    assert mnist.X.min() == 0.0 and mnist.X.max() == 1.0
    assert np.bincount(mnist.y).tolist()[:3] == [6903, 7877, 6990]
    Xtr, Xte, ytr, yte = mnist.split_80_20()
    assert Xtr.shape == (56000, 784) and Xte.shape == (14000, 784)
    assert len(np.intersect1d(mnist.idx_train, mnist.idx_test)) == 0
    from sklearn.model_selection import train_test_split
    _, _, ytr2, yte2 = train_test_split(mnist.X[:, :1], mnist.y, test_size=0.2, random_state=42)
    np.testing.assert_array_equal(ytr, ytr2)
    Xc, Xct, yc, yct = mnist.split_canonical()
    assert Xc.shape[0] == 60000 and Xct.shape[0] == 10000
    assert yc[:5].tolist() == [5, 0, 4, 1, 9] and yct[:5].tolist() == [7, 2, 1, 0, 4]


def test_validation_split_never_holds_a_canonical_test_image(mnist):
    # every selection judged on the canonical test set is made on these rows only (#15)
    fit, val = mnist.validation_split(10_000, seed=0)
    assert len(val) == 10_000 and len(fit) == 50_000
    assert max(fit.max(), val.max()) < 60_000 and min(fit.min(), val.min()) >= 0
    assert len(np.union1d(fit, val)) == 60_000  # disjoint, and every training image used
    again, _ = mnist.validation_split(10_000, seed=0)
    np.testing.assert_array_equal(fit, again)
    assert not np.array_equal(val, mnist.validation_split(10_000, seed=1)[1])


def test_one_hot_rows_of_the_identity():
    Y = fc.one_hot(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float64
    Y10 = fc.one_hot(np.array([3, 9], dtype=np.uint8), n_classes=10, dtype=np.float32)
    assert Y10.shape == (2, 10) and Y10.dtype == np.float32 and Y10[0, 3] == 1 and Y10.sum() == 2
    assert fc.one_hot(np.array([], dtype=int), n_classes=4).shape == (0, 4)


def test_standardize_to_a_column():
    x = np.array([0.5, -1.0, 2.0, 3.5])
    z = fc.standardize(x)
    assert z.shape == (4, 1)
    np.testing.assert_array_equal(z, ((x - x.mean()) / x.std())[:, None])  # bit for bit
    assert z.mean() == pytest.approx(0, abs=1e-15) and z.std() == pytest.approx(1)
    grid = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(fc.standardize(grid, reference=x), ((grid - x.mean()) / x.std())[:, None])


def _mnist_runs_script():
    import importlib.util
    from pathlib import Path
    path = Path(fc.__file__).resolve().parent / "notebooks" / "mnist_runs.py"
    spec = importlib.util.spec_from_file_location("mnist_runs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_mnist_runs_hold_every_study_of_their_script():
    """data/mnist_runs.npz (read by notebook 04) has each study of notebooks/mnist_runs.py with its
    seeds and epochs, and predictions only of the test images of that study's split."""
    runs = _mnist_runs_script()
    stored = np.load(runs.OUT)
    for name, (epochs, seeds) in runs.STUDIES.items():
        assert int(stored[f"{name}.epochs"]) == epochs
        acc = stored[f"{name}.test_acc"]
        assert acc.shape == ((seeds, 1) if name == "sklearn_adam" else (seeds, epochs))
        assert np.all((acc > 0.0) & (acc < 1.0)) and np.all(acc[:, -1] > 0.9), name
        n_test = 10_000 if "canonical" in name else 14_000
        if f"{name}.pred" in stored.files:
            assert stored[f"{name}.pred"].shape == (seeds, n_test)
    assert "mnist_runs.py" in str(stored["meta"])


def test_mnist_runs_best_network_trains_on_canonical_training_images_only(mnist):
    """The best network's runs fit the canonical 60,000 training images and test on the other 10,000."""
    runs = _mnist_runs_script()
    X_tr, X_te, y_tr, y_te = runs.split("best_canonical", 0)
    assert np.array_equal(X_tr, mnist.X[:60000]) and np.array_equal(y_tr, mnist.y[:60000])
    assert np.array_equal(X_te, mnist.X[60000:]) and np.array_equal(y_te, mnist.y[60000:])
