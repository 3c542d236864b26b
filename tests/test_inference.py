"""Section 10 (inference) against scipy, hand-worked values and simulation.

Every verdict in notebook 05 goes through these functions: paired differences over seeds,
a percentile-bootstrap interval, the Wilcoxon signed-rank and exact sign tests, Holm's
correction, an equivalence margin, the smallest detectable difference and Wilson intervals.
"""

import numpy as np
import pytest
from scipy import stats

import ffnn_core as fc


# -- paired differences and the bootstrap -----------------------------------------

def test_paired_differences_and_bad_input():
    np.testing.assert_array_equal(fc.paired_differences([1.0, 2.0, 4.0], [0.5, 2.0, 5.0]), [0.5, 0.0, -1.0])
    with pytest.raises(ValueError, match="a and b"):
        fc.paired_differences([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^b must"):
        fc.paired_differences([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="^d must"):
        fc.bootstrap_ci([1.0])


@pytest.mark.parametrize("statistic, reduce", [("mean", np.mean), ("median", np.median)])
def test_bootstrap_ci_matches_scipy_percentile_bootstrap(statistic, reduce):
    d = np.random.default_rng(0).normal(0.3, 1.0, 40)
    low, high = fc.bootstrap_ci(d, statistic, n_resamples=20_000, seed=1)
    ref = stats.bootstrap((d,), reduce, method="percentile", n_resamples=20_000,
                          rng=np.random.default_rng(2)).confidence_interval
    # two independent Monte Carlo estimates of the same quantiles: close, not equal
    assert abs(low - ref.low) < 0.03 and abs(high - ref.high) < 0.03
    assert low < reduce(d) < high


def test_bootstrap_ci_is_seeded_and_checks_its_arguments():
    d = np.random.default_rng(0).normal(0, 1, 10)
    assert fc.bootstrap_ci(d, seed=3) == fc.bootstrap_ci(d, seed=3)
    assert fc.bootstrap_ci(d, n_resamples=500, seed=3) != fc.bootstrap_ci(d, n_resamples=500, seed=4)
    narrow, wide = fc.bootstrap_ci(d, level=0.5, seed=3), fc.bootstrap_ci(d, level=0.99, seed=3)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]
    with pytest.raises(ValueError, match="statistic"):
        fc.bootstrap_ci(d, "mode")
    with pytest.raises(ValueError, match="level"):
        fc.bootstrap_ci(d, level=95)


def test_bootstrap_ci_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(5)
    hits = [lo < 0.2 < hi for lo, hi in
            (fc.bootstrap_ci(rng.normal(0.2, 1.0, 30), n_resamples=2000, seed=k) for k in range(300))]
    assert 0.89 <= np.mean(hits) <= 0.98  # the percentile interval undercovers slightly at n = 30


# -- tests and Holm ------------------------------------------------------------------

def test_sign_test_exact_values_and_ties():
    assert fc.sign_test([1.0] * 9 + [-1.0]) == pytest.approx(22 / 1024, abs=1e-15)  # 2 (1 + 10) / 2^10
    assert fc.sign_test([1.0] * 9 + [-1.0] + [0.0] * 5) == fc.sign_test([1.0] * 9 + [-1.0])
    assert fc.sign_test([0.0, 0.0, 0.0]) == 1.0
    d = np.random.default_rng(1).normal(0.5, 1, 25)
    assert fc.sign_test(d) == stats.binomtest(int(np.sum(d > 0)), 25).pvalue


def test_wilcoxon_matches_scipy_and_exact_null():
    d = np.random.default_rng(2).normal(0.4, 1, 30)
    assert fc.wilcoxon_test(d) == stats.wilcoxon(d).pvalue
    assert fc.wilcoxon_test(np.arange(1.0, 11.0)) == pytest.approx(2 / 2 ** 10, abs=1e-15)
    assert fc.wilcoxon_test(np.zeros(5)) == 1.0


def test_holm_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> running max
    np.testing.assert_allclose(fc.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    assert fc.holm([0.2])[0] == 0.2
    np.testing.assert_array_equal(fc.holm([0.4, 0.6, 0.9]), [1.0, 1.0, 1.0])


def test_holm_properties():
    p = np.random.default_rng(3).uniform(0, 0.2, 12)
    adjusted = fc.holm(p)
    assert np.all(adjusted >= p) and np.all(adjusted <= 1)
    assert adjusted[np.argmin(p)] == pytest.approx(12 * p.min())  # Bonferroni at the first step
    assert np.all(np.diff(adjusted[np.argsort(p)]) >= 0)           # order kept
    with pytest.raises(ValueError, match="pvalues"):
        fc.holm([0.5, 1.5])


# -- equivalence, power and proportions -------------------------------------------------

def test_equivalent_needs_the_whole_interval_inside_the_margin():
    assert fc.equivalent((-0.05, 0.08), 0.1)
    assert not fc.equivalent((-0.05, 0.12), 0.1)
    assert not fc.equivalent((-0.1, 0.0), 0.1)  # on the margin is not inside
    with pytest.raises(ValueError, match="margin"):
        fc.equivalent((-0.05, 0.05), 0.0)
    with pytest.raises(ValueError, match="interval"):
        fc.equivalent((0.05, -0.05), 0.1)


@pytest.mark.parametrize("n, sd, alpha", [(12, 1.0, 0.05), (30, 0.3, 0.05 / 4)])
def test_min_detectable_difference_has_80_percent_power_in_simulation(n, sd, alpha):
    delta = fc.min_detectable_difference(sd, n, alpha)
    d = np.random.default_rng(4).normal(delta, sd, size=(20_000, n))
    power = np.mean(stats.ttest_1samp(d, 0.0, axis=1).pvalue < alpha)
    assert power == pytest.approx(0.8, abs=0.015)


def test_min_detectable_difference_limits():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    assert fc.min_detectable_difference(1.0, 5000) == pytest.approx(z / np.sqrt(5000), rel=2e-3)
    assert fc.min_detectable_difference(2.0, 30) == pytest.approx(2 * fc.min_detectable_difference(1.0, 30))
    assert fc.min_detectable_difference(1.0, 30, alpha=0.01) > fc.min_detectable_difference(1.0, 30)
    with pytest.raises(ValueError, match="n must"):
        fc.min_detectable_difference(1.0, 1)


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (37, 40), (512, 1000)])
def test_wilson_interval_matches_scipy(k, n):
    ref = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    np.testing.assert_allclose(fc.wilson_interval(k, n), (ref.low, ref.high), rtol=0, atol=1e-12)
    ref90 = stats.binomtest(k, n).proportion_ci(0.9, method="wilson")
    np.testing.assert_allclose(fc.wilson_interval(k, n, 0.9), (ref90.low, ref90.high), rtol=0, atol=1e-12)


def test_wilson_interval_bad_input():
    with pytest.raises(ValueError, match="^k must"):
        fc.wilson_interval(11, 10)
    with pytest.raises(ValueError, match="^n must"):
        fc.wilson_interval(0, 0)


# -- the verdict sentence and the report of one figure ---------------------------------

def test_verdict_wording():
    assert fc.verdict((-0.3, -0.1), 0.01, 0.1, ("SH", "grid")) == \
        "SH better (interval [-0.300, -0.100], p_holm = 0.01)"
    assert fc.verdict((0.1, 0.3), 0.01, 0.1, ("SH", "grid")).startswith("grid better")
    assert fc.verdict((0.1, 0.3), 0.01, 0.1, ("SH", "grid"), lower_is_better=False).startswith("SH better")
    assert fc.verdict((-0.05, 0.04), 0.5, 0.1) == "equivalent within +-0.1 (interval [-0.050, 0.040])"
    assert fc.verdict((-0.3, 0.2), 0.5, 0.1) == "not resolved, interval [-0.300, 0.200]"
    # significant by the test but an interval that crosses 0: not resolved
    assert fc.verdict((-0.3, 0.01), 0.01, 0.1).startswith("not resolved")
    # significant and inside the margin
    assert fc.verdict((-0.08, -0.02), 0.001, 0.1).endswith("within +-0.1")
    # never "no effect"
    assert "no effect" not in fc.verdict((-0.3, 0.2), 0.9, 0.1)


def test_paired_comparisons_corrects_over_the_figure():
    rng = np.random.default_rng(6)
    base = rng.normal(0, 1, 30)
    pairs = {"clear": (base - 0.5 + rng.normal(0, 0.2, 30), base, ("new", "old")),
             "same": (base + rng.normal(0, 0.01, 30), base, ("copy", "old")),
             "noisy": (base + rng.normal(0.05, 1.0, 30), base, ("noisy", "old"))}
    rows = fc.paired_comparisons(pairs, margin=0.1, seed=0)
    assert [r["comparison"] for r in rows] == list(pairs)
    np.testing.assert_allclose([r["p_holm"] for r in rows], fc.holm([r["p_wilcoxon"] for r in rows]))
    assert rows[0]["verdict"].startswith("new better")
    assert rows[1]["verdict"].startswith("equivalent within +-0.1")
    assert rows[2]["verdict"].startswith("not resolved")
    d = pairs["clear"][0] - pairs["clear"][1]
    assert rows[0]["a_wins"] == np.sum(d < 0) and rows[0]["a_wins"] + rows[0]["b_wins"] == 30
    assert (rows[0]["low"], rows[0]["high"]) == fc.bootstrap_ci(d, seed=0)
    assert rows[0]["mdd"] == fc.min_detectable_difference(d.std(ddof=1), 30, 0.05 / 3)
