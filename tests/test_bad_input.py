"""Bad input gets a clear error naming the argument; nothing is silently wrong."""

import numpy as np
import pytest

import ffnn_core as fc


def net(**kw):
    args = dict(layer_sizes=(2, 4, 1), activations="tanh", seed=0)
    args.update(kw)
    return fc.NeuralNetwork(**args)


X, Y = np.ones((6, 2)), np.ones(6)


def test_length_mismatch():
    with pytest.raises(ValueError, match="different numbers of samples: 6 and 5"):
        net().fit(X, Y[:5], epochs=1)


def test_wrong_number_of_features_at_predict():
    with pytest.raises(ValueError, match="X has 3 features, but the network expects 2"):
        net().predict(np.ones((2, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(bad):
    Xb = X.copy()
    Xb[1, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinite"):
        net().fit(Xb, Y, epochs=1)
    Yb = Y.copy()
    Yb[0] = bad
    with pytest.raises(ValueError, match="y contains NaN or infinite"):
        net().fit(X, Yb, epochs=1)


@pytest.mark.parametrize("kwargs,message", [
    (dict(activations="swish"), "unknown activations 'swish'"),
    (dict(output_activation="swish"), "unknown output_activation 'swish'"),
    (dict(cost="hinge"), "unknown cost 'hinge'"),
    (dict(optimizer="lbfgs"), "unknown optimizer 'lbfgs'"),
    (dict(regularization="l3"), "unknown regularization 'l3'"),
    (dict(init="zeros"), "unknown init 'zeros'"),
    (dict(learning_rate=0.0), "learning_rate must be a positive number"),
    (dict(learning_rate=-0.1), "learning_rate must be a positive number"),
    (dict(lam=-1.0), "lam must be a non-negative number"),
    (dict(dropout=1.0), "dropout must lie in"),
    (dict(input_dropout=-0.1), "input_dropout must lie in"),
    (dict(input_dropout=1.0), "input_dropout must lie in"),
    (dict(dtype=np.int32), "dtype must be float32 or float64"),
    (dict(layer_sizes=(2,)), "layer_sizes needs at least"),
    (dict(layer_sizes=(2, 0, 1)), "layer_sizes entries must be a positive integer"),
    (dict(activations=["tanh"]), "activations has 1 entries but the network has 2 layers"),
    (dict(activations=["softmax", "linear"]), "softmax can only be the output activation"),
    (dict(output_activation="tanh", cost="binary_cross_entropy"),
     "cost='binary_cross_entropy' needs a sigmoid output activation"),
    (dict(lam=True), "lam must be a non-negative number"),
])
def test_bad_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        net(**kwargs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(epochs=2.5), "epochs must be a positive integer"),
    (dict(epochs=5, batch_size=0), "batch_size must be a positive integer"),
    (dict(epochs=5, batch_size=-3), "batch_size must be a positive integer"),
])
def test_bad_fit_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        net().fit(X, Y, **kwargs)


def test_softmax_with_mse_is_refused():
    with pytest.raises(ValueError, match="softmax output needs cost='cross_entropy'"):
        fc.NeuralNetwork((2, 3), ["softmax"], cost="mse")
    with pytest.raises(ValueError, match="softmax output needs cost='cross_entropy'"):
        fc.NeuralNetwork((2, 4, 3), "relu", output_activation="softmax", cost="mse")


def test_divergence_names_the_epoch_and_keeps_history():
    rng = np.random.default_rng(0)
    Xd = rng.standard_normal((50, 2)) * 10
    yd = rng.standard_normal(50) * 10
    n = fc.NeuralNetwork((2, 32, 32, 1), "relu", optimizer="sgd", learning_rate=10.0, seed=0)
    with pytest.raises(fc.TrainingDivergedError, match=r"diverged at epoch (\d+).*smaller learning_rate") as info:
        n.fit(Xd, yd, epochs=50, batch_size=10)
    assert info.value.epoch >= 1
    assert len(n.history.train_cost) == info.value.epoch - 1
    assert all(np.isfinite(n.history.train_cost))


def test_estimator_bad_hyperparameters_named_at_fit():
    for kwargs, message in [(dict(activation="swish"), "unknown activation"),
                            (dict(optimizer="nadam"), "unknown optimizer"),
                            (dict(learning_rate=-1), "learning_rate must be a positive"),
                            (dict(epochs=0), "epochs must be a positive integer"),
                            (dict(batch_size=0), "batch_size must be a positive integer"),
                            (dict(lr_schedule="step"), "unknown lr_schedule")]:
        with pytest.raises(ValueError, match=message):
            fc.FFNNRegressor(**kwargs).fit(X, Y)


def test_mnist_missing_or_altered_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz is missing.*6bbc9ace898e44ae57da46a324031adb"):
        fc.load_mnist(tmp_path)
    import gzip
    import shutil
    for name in fc.MNIST_FILES:
        shutil.copy(fc.DATA_DIR / "mnist" / f"{name}.gz", tmp_path / f"{name}.gz")
    raw = bytearray(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz fails its checksum.*27ae3e4e09519cfbb04c329615203637"):
        fc.load_mnist(tmp_path)


def test_huge_finite_values_are_accepted():
    """The finite check sums first; an overflowing sum of finite values must not be
    mistaken for an infinity (it falls back to the elementwise test)."""
    Xb = np.full((6, 2), 1e308)
    with np.errstate(over="ignore"):
        assert not np.isfinite(Xb.sum())
    net().fit(Xb, Y, epochs=1)  # no error: every entry is finite
    Xb[2, 0] = -np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinite"):
        net().fit(Xb, Y, epochs=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_opposite_infinities_are_caught(dtype):
    """+inf and -inf sum to NaN, which the check also rejects."""
    Xb = X.astype(dtype)
    Xb[0, 0], Xb[3, 1] = np.inf, -np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinite"):
        net(dtype=dtype).fit(Xb, Y, epochs=1)


def test_negative_decay():
    with pytest.raises(ValueError, match="decay must be a non-negative number, got -1.0"):
        fc.InverseTimeDecay(0.1, decay=-1.0)


def test_shapes_of_X_and_y():
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), got shape \(6,\)"):
        net().predict(np.ones(6))
    with pytest.raises(ValueError, match="y has 2 columns, but the network has 1 outputs"):
        net().fit(X, np.ones((6, 2)), epochs=1)


@pytest.mark.parametrize("labels,kwargs,message", [
    (np.array([0.0, 1.0]), {}, "labels must be a 1-D array of integer class indices, got float64"),
    (np.array([[0, 1]]), {}, "labels must be a 1-D array of integer class indices"),
    (np.array([0, 3]), dict(n_classes=3), r"labels must lie in \[0, 3\), got 0 to 3"),
    (np.array([-1, 1]), {}, r"labels must lie in \[0, 2\), got -1 to 1"),
    (np.array([0, 1]), dict(n_classes=0), "n_classes must be a positive integer"),
])
def test_one_hot_bad_labels(labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fc.one_hot(labels, **kwargs)


@pytest.mark.parametrize("x,reference", [(np.ones((3, 2)), None), (np.ones(3), None),
                                         (np.arange(3.0), np.ones((2, 2)))])
def test_standardize_bad_input(x, reference):
    with pytest.raises(ValueError, match="standardize needs 1-D x and reference, the reference not constant"):
        fc.standardize(x, reference)


def test_data_helpers_bad_input(tmp_path):
    with pytest.raises(ValueError, match="noise must be >= 0, got -0.1"):
        fc.make_runge_data(5, noise=-0.1)
    with pytest.raises(FileNotFoundError, match=r"runge_7\.csv is missing; run `python data/make_runge_data.py`"):
        fc.load_runge_csv("runge_7", data_dir=tmp_path)
