"""Backpropagation against autograd (float64, max |difference| <= 1e-12) and finite differences."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import ffnn_core as fc

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu"]
COST_OUTPUT = {"mse": "linear", "cross_entropy": "softmax"}
REGULARIZATION = [None, "l1", "l2"]
ARCHITECTURES = [(3, 5, 2), (4, 7, 6, 3), (2, 16, 8, 4, 5)]


# -- the same computation written independently in autograd.numpy ---------------
def ag_activation(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + anp.exp(-z))
    if name == "tanh":
        return anp.tanh(z)
    if name == "relu":
        return anp.maximum(z, 0.0)
    if name == "leaky_relu":
        return anp.where(z > 0, z, 0.01 * z)
    if name == "linear":
        return z
    if name == "softmax":
        e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
        return e / anp.sum(e, axis=1, keepdims=True)
    raise ValueError(name)


def ag_cost(params, X, y, activations, cost, regularization, lam, masks=None):
    a = X
    for l, ((W, b), name) in enumerate(zip(params, activations)):
        a = ag_activation(name, anp.dot(a, W) + b)
        if masks is not None and l < len(masks):
            a = a * masks[l]
    n = X.shape[0]
    if cost == "mse":
        c = anp.mean((a - y) ** 2)
    elif cost == "cross_entropy":
        c = -anp.sum(y * anp.log(a)) / n
    else:
        c = -anp.sum(y * anp.log(a) + (1 - y) * anp.log(1 - a)) / n
    if regularization == "l1":
        c = c + lam / (2 * n) * sum(anp.sum(anp.abs(W)) for W, _ in params)
    elif regularization == "l2":
        c = c + lam / (2 * n) * sum(anp.sum(W ** 2) for W, _ in params)
    return c


def problem(sizes, cost, seed):
    rng = np.random.default_rng(seed)
    _, params = fc.init_params(sizes, "xavier", rng)
    params = [(W.copy(), b + 0.1 * rng.standard_normal(b.shape)) for W, b in params]
    X = rng.standard_normal((11, sizes[0]))
    if cost == "mse":
        y = rng.standard_normal((11, sizes[-1]))
    elif cost == "cross_entropy":
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 11)]
    else:
        y = rng.integers(0, 2, (11, 1)).astype(float)
    return params, X, y


def max_abs_diff(ours, ref):
    return max(max(np.max(np.abs(dW - rW)), np.max(np.abs(db - rb)))
               for (dW, db), (rW, rb) in zip(ours, ref))


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("regularization", REGULARIZATION)
@pytest.mark.parametrize("cost", list(COST_OUTPUT))
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_autograd(hidden, cost, regularization, sizes):
    params, X, y = problem(sizes, cost, seed=len(sizes) * 7 + HIDDEN.index(hidden))
    acts = [hidden] * (len(sizes) - 2) + [COST_OUTPUT[cost]]
    lam = 0.3
    ours = fc.cost_gradients(params, X, y, acts, cost, regularization, lam)
    ref = grad(ag_cost)(params, X, y, acts, cost, regularization, lam)
    assert max_abs_diff(ours, ref) <= 1e-12


@pytest.mark.parametrize("acts,cost", [
    (["tanh", "sigmoid"], "mse"),                       # general chain rule, no matched pair
    (["relu", "tanh"], "mse"),
    (["sigmoid", "sigmoid"], "binary_cross_entropy"),
    (["leaky_relu", "sigmoid", "softmax"], "cross_entropy"),
    (["linear", "tanh"], "mse"),                        # a linear hidden layer
    (["tanh", "sigmoid"], "cross_entropy"),             # cross-entropy without softmax
])
def test_unmatched_and_binary_outputs_match_autograd(acts, cost):
    sizes = (3, 6, 1) if cost == "binary_cross_entropy" else (3, 6, 5, 4)[:len(acts) + 1]
    params, X, y = problem(sizes, cost, seed=5)
    ours = fc.cost_gradients(params, X, y, acts, cost, "l2", 0.1)
    ref = grad(ag_cost)(params, X, y, acts, cost, "l2", 0.1)
    assert max_abs_diff(ours, ref) <= 1e-12


@pytest.mark.parametrize("hidden", HIDDEN)
def test_dropout_backprop_matches_autograd(hidden):
    sizes = (4, 8, 6, 3)
    params, X, y = problem(sizes, "cross_entropy", seed=11)
    rng = np.random.default_rng(3)
    masks = [(rng.random((X.shape[0], s)) < 0.7) / 0.7 for s in sizes[1:-1]]
    acts = [fc.resolve_activation(a) for a in [hidden, hidden, "softmax"]]
    zs, a_list = fc.feed_forward(params, X, acts, dropout_masks=masks)
    ours = fc.backpropagate(params, zs, a_list, y, acts, fc.CrossEntropy(), None, 0.0,
                            dropout_masks=masks)
    ref = grad(ag_cost)(params, X, y, [hidden, hidden, "softmax"], "cross_entropy", None, 0.0, masks)
    assert max_abs_diff(ours, ref) <= 1e-12


@pytest.mark.parametrize("regularization", REGULARIZATION)
@pytest.mark.parametrize("cost", list(COST_OUTPUT))
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "leaky_relu"])
def test_backprop_matches_central_differences(hidden, cost, regularization):
    sizes = (3, 6, 4, 3)
    params, X, y = problem(sizes, cost, seed=2)
    acts_named = [hidden, hidden, COST_OUTPUT[cost]]
    acts = [fc.resolve_activation(a) for a in acts_named]
    cost_f, pen = fc.resolve_cost(cost), fc.resolve_penalty(regularization)
    ours = fc.cost_gradients(params, X, y, acts_named, cost, regularization, 0.2)
    h = 1e-6
    for (W, b), (dW, db) in zip(params, ours):
        for arr, g in ((W, dW), (b, db)):
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + h
                up = fc.total_cost(params, X, y, acts, cost_f, pen, 0.2)
                arr[idx] = old - h
                down = fc.total_cost(params, X, y, acts, cost_f, pen, 0.2)
                arr[idx] = old
                numeric = (up - down) / (2 * h)
                assert abs(numeric - g[idx]) <= 1e-7 * max(1.0, abs(numeric))


def test_gradients_in_float32_stay_float32():
    params, X, y = problem((3, 5, 2), "mse", seed=0)
    params32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    grads = fc.cost_gradients(params32, X.astype(np.float32), y.astype(np.float32), ["tanh", "linear"])
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads)
    ref = fc.cost_gradients(params, X, y, ["tanh", "linear"])
    assert max_abs_diff(grads, ref) < 1e-5
