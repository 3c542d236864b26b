"""Each optimizer's first two updates against values worked out by hand.

Start at theta = [1, -2]; first gradient g1 = [0.5, -1], second g2 = [0.25, 0.5]; eta = 0.1.
"""

import math

import numpy as np
import pytest

import ffnn_core as fc

G1, G2 = np.array([0.5, -1.0]), np.array([0.25, 0.5])


def two_steps(opt):
    theta = np.array([1.0, -2.0])
    opt.update([theta], [G1])
    first = theta.copy()
    opt.update([theta], [G2])
    return first, theta


def test_sgd():
    first, second = two_steps(fc.SGD(0.1))
    np.testing.assert_allclose(first, [0.95, -1.9], rtol=0, atol=1e-15)
    np.testing.assert_allclose(second, [0.925, -1.95], rtol=0, atol=1e-15)


def test_momentum():
    # v1 = -0.1 g1 = [-0.05, 0.1];  v2 = 0.9 v1 - 0.1 g2 = [-0.07, 0.04]
    first, second = two_steps(fc.Momentum(0.1, momentum=0.9))
    np.testing.assert_allclose(first, [0.95, -1.9], rtol=0, atol=1e-15)
    np.testing.assert_allclose(second, [0.88, -1.86], rtol=0, atol=1e-15)


def test_adagrad():
    # G1 = [0.25, 1]: step = 0.1 g1 / sqrt(G1) = [0.1, -0.1]
    # G2 = [0.3125, 1.25]: step = 0.1 * [0.25/sqrt(0.3125), 0.5/sqrt(1.25)]
    first, second = two_steps(fc.AdaGrad(0.1, eps=0.0))
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=0, atol=1e-15)
    expected = [0.9 - 0.1 * 0.25 / math.sqrt(0.3125), -1.9 - 0.1 * 0.5 / math.sqrt(1.25)]
    np.testing.assert_allclose(second, expected, rtol=0, atol=1e-15)


def test_rmsprop():
    # E1 = 0.1 g1^2 = [0.025, 0.1]; step = 0.1 g1 / sqrt(E1) = [0.1/sqrt(0.1)*... ] = 0.1 sign(g1) / sqrt(0.1)
    # E2 = 0.9 E1 + 0.1 g2^2 = [0.02875, 0.115]
    first, second = two_steps(fc.RMSprop(0.1, rho=0.9, eps=0.0))
    s = 0.1 / math.sqrt(0.1)
    np.testing.assert_allclose(first, [1.0 - s, -2.0 + s], rtol=0, atol=1e-15)
    expected = [1.0 - s - 0.1 * 0.25 / math.sqrt(0.02875), -2.0 + s - 0.1 * 0.5 / math.sqrt(0.115)]
    np.testing.assert_allclose(second, expected, rtol=0, atol=1e-15)


def test_adam_with_bias_correction():
    # t=1: m = 0.1 g1, v = 0.001 g1^2 -> m_hat = g1, v_hat = g1^2 -> step = 0.1 sign(g1)
    # t=2: m = 0.09 g1 + 0.1 g2 = [0.07, -0.04]; v = 0.000999 g1^2 + 0.001 g2^2 = [0.00031225, 0.00124900]
    #      m_hat = m / 0.19, v_hat = v / (1 - 0.999^2) = v / 0.001999
    first, second = two_steps(fc.Adam(0.1, beta1=0.9, beta2=0.999, eps=0.0))
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=0, atol=1e-15)
    m_hat = np.array([0.07, -0.04]) / 0.19
    v_hat = np.array([0.00031225, 0.001249]) / 0.001999
    np.testing.assert_allclose(second, np.array([0.9, -1.9]) - 0.1 * m_hat / np.sqrt(v_hat),
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_eps_keeps_zero_gradient_finite(name):
    theta = np.zeros(3)
    fc.resolve_optimizer(name, 0.1).update([theta], [np.zeros(3)])
    assert np.all(theta == 0.0)


def test_schedules():
    assert fc.Constant(0.1)(1000) == 0.1
    assert fc.InverseTimeDecay(0.1, decay=0.5)(2) == pytest.approx(0.05)
    cos = fc.CosineDecay(0.1, total_steps=10, eta_min=0.01)
    assert cos(0) == pytest.approx(0.1)
    assert cos(5) == pytest.approx(0.055)
    assert cos(10) == pytest.approx(0.01) and cos(50) == pytest.approx(0.01)


def test_schedule_drives_any_optimizer():
    opt = fc.SGD(fc.InverseTimeDecay(0.1, decay=1.0))
    theta = np.array([0.0])
    opt.update([theta], [np.array([1.0])])   # eta_0 = 0.1
    opt.update([theta], [np.array([1.0])])   # eta_1 = 0.05
    np.testing.assert_allclose(theta, [-0.15], atol=1e-15)


# -- the report's formulas (section II.C.3), as options -------------------------------------------

def test_rmsprop_with_eps_inside_the_root_as_the_report_writes_it():
    # eps = 0.01 so that its place shows: E1 = [0.025, 0.1]; step1 = 0.1 g1 / sqrt(E1 + 0.01)
    # E2 = [0.02875, 0.115]; step2 = 0.1 g2 / sqrt(E2 + 0.01)
    first, second = two_steps(fc.RMSprop(0.1, rho=0.9, eps=0.01, eps_inside_root=True))
    step1 = 0.1 * G1 / np.sqrt(np.array([0.025, 0.1]) + 0.01)
    step2 = 0.1 * G2 / np.sqrt(np.array([0.02875, 0.115]) + 0.01)
    np.testing.assert_allclose(first, np.array([1.0, -2.0]) - step1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(second, np.array([1.0, -2.0]) - step1 - step2, rtol=0, atol=1e-15)
    ours = two_steps(fc.RMSprop(0.1, rho=0.9, eps=0.01))[0]
    assert np.all(np.abs(ours - first) > 1e-3)  # the two placements differ visibly at this eps


def test_adam_as_the_report_writes_it_without_bias_correction():
    # m1 = 0.1 g1, v1 = 0.001 g1^2: step1 = 0.1 m1 / sqrt(v1 + eps) (no m_hat, v_hat)
    # m2 = 0.09 g1 + 0.1 g2 = [0.07, -0.04]; v2 = [0.00031225, 0.00124900]
    eps = 1e-4
    first, second = two_steps(fc.Adam(0.1, beta1=0.9, beta2=0.999, eps=eps, bias_correction=False,
                                      eps_inside_root=True))
    step1 = 0.1 * (0.1 * G1) / np.sqrt(0.001 * G1 ** 2 + eps)
    step2 = 0.1 * np.array([0.07, -0.04]) / np.sqrt(np.array([0.00031225, 0.001249]) + eps)
    np.testing.assert_allclose(first, np.array([1.0, -2.0]) - step1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(second, np.array([1.0, -2.0]) - step1 - step2, rtol=0, atol=1e-14)


def test_adam_without_bias_correction_eps_outside():
    first, _ = two_steps(fc.Adam(0.1, eps=0.0, bias_correction=False))
    # m1 / sqrt(v1) = 0.1 g1 / (sqrt(0.001) |g1|): a first step sqrt(10) times smaller than eta
    np.testing.assert_allclose(first, np.array([1.0, -2.0]) - 0.1 * 0.1 / math.sqrt(0.001) * np.sign(G1),
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("make", [lambda v: fc.RMSprop(eps_inside_root=v),
                                  lambda v: fc.Adam(eps_inside_root=v),
                                  lambda v: fc.Adam(bias_correction=v)])
def test_report_switches_must_be_booleans(make):
    with pytest.raises(TypeError, match="eps_inside_root|bias_correction"):
        make(1)


@pytest.mark.parametrize("make", [lambda: fc.RMSprop(0.01, eps=1e-3, eps_inside_root=True),
                                  lambda: fc.Adam(0.01, eps=1e-3, bias_correction=False, eps_inside_root=True)])
def test_report_variants_survive_save_and_load(make, tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    net = fc.NeuralNetwork((2, 4, 1), optimizer=make(), seed=1).fit(X, y, epochs=2, batch_size=5)
    net.save(tmp_path / "net.npz")
    back = fc.NeuralNetwork.load(tmp_path / "net.npz")
    assert back.optimizer.arguments() == net.optimizer.arguments()
    fresh = fc.NeuralNetwork((2, 4, 1), optimizer=make(), seed=1).fit(X, y, epochs=2, batch_size=5)
    np.testing.assert_array_equal(fresh.theta, net.theta)
