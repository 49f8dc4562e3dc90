"""Seeded simulations with known truth: interval coverage and type-I error of the alignment family.

Slow tier (``-m slow``) runs enough replications for the 93-97 % coverage and <= 5.5 % type-I targets;
the fast tier runs small versions with bounds loose enough for their Monte-Carlo error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from statsmodels.stats.multitest import multipletests

from alignlab._array.alignment_rank import KendallKernel, weighted_pearson, weighted_spearman
from alignlab._array.alignment_rows import rows_statistic
from alignlab._array.bootstrap import bootstrap
from alignlab.alignment.calibration import calibration_arrays
from alignlab.alignment.ceiling import _one_sided_t
from alignlab.alignment.ppi import ppi_arrays
from alignlab.alignment.significance import _cell_statistic, perm_both

RHO = 0.5
TRUTH = {  # population values for a bivariate normal with correlation RHO
    "pearson": RHO,
    "spearman": 6 / math.pi * math.asin(RHO / 2),
    "kendall_b": 2 / math.pi * math.asin(RHO),
}


def _statistic(name: str, x: np.ndarray, y: np.ndarray):
    if name == "pearson":
        return lambda w: weighted_pearson(x, y, w)
    if name == "spearman":
        return lambda w: weighted_spearman(x, y, w)
    kernel = KendallKernel(x, y)
    return lambda w: KendallKernel.tau_b(kernel.counts(w))


def _correlation_coverage(name: str, reps: int, n: int, n_resamples: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    cov = np.array([[1, RHO], [RHO, 1]])
    hits = 0
    for _ in range(reps):
        x, y = rng.multivariate_normal([0, 0], cov, size=n).T
        out = bootstrap(_statistic(name, x, y), n, n_resamples=n_resamples, method="bca", random_state=rng)
        hits += out.low <= TRUTH[name] <= out.high
    return hits / reps


@pytest.mark.parametrize("name", ["pearson", "spearman", "kendall_b"])
def test_correlation_bootstrap_coverage_fast(name: str) -> None:
    coverage = _correlation_coverage(name, reps=60, n=150, n_resamples=300, seed=1)
    assert 0.85 <= coverage <= 1.0  # 60 replications: Monte-Carlo SE ~ 3 points


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pearson", "spearman", "kendall_b"])
def test_correlation_bootstrap_coverage(name: str) -> None:
    coverage = _correlation_coverage(name, reps=600, n=200, n_resamples=1000, seed=2)
    assert 0.93 <= coverage <= 0.97


# ECE: p ~ U(0, 1), P(y = 1 | p) = p ** 1.6, 10 equal-width bins; population binned ECE by quadrature
def _true_ece(n_bins: int = 10) -> float:
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        mean_y = integrate.quad(lambda p: p**1.6, lo, hi)[0] / (hi - lo)
        mean_p = (lo + hi) / 2
        total += (hi - lo) * abs(mean_y - mean_p)
    return total


def _ece_coverage(reps: int, n: int, n_resamples: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    truth = _true_ece()
    hits = 0
    for _ in range(reps):
        p = rng.uniform(size=n)
        y = (rng.uniform(size=n) < p**1.6).astype(float)
        metrics, _ = calibration_arrays(p, y, n_bins=10, n_resamples=n_resamples, random_state=rng)
        row = metrics.set_index("metric").loc["ece"]
        hits += row.ci_low <= truth <= row.ci_high
    return hits / reps


def test_ece_bootstrap_coverage_fast() -> None:
    assert 0.85 <= _ece_coverage(reps=60, n=3000, n_resamples=200, seed=3) <= 1.0


@pytest.mark.slow
def test_ece_bootstrap_coverage() -> None:
    assert 0.93 <= _ece_coverage(reps=500, n=3000, n_resamples=1000, seed=4) <= 0.97


def _ppi_coverage(reps: int, seed: int, lam: float | None) -> tuple[float, float]:
    """n = 100 labelled, N = 2,000 unlabelled; judge correlated 0.8 with the human score; true mean 0.3."""
    rng = np.random.default_rng(seed)
    hits, widths = 0, []
    for _ in range(reps):
        q = rng.normal(0.3, 1.0, 2100)
        f = 0.8 * (q - 0.3) + rng.normal(0, 0.6, 2100) + 0.5  # biased judge
        out = ppi_arrays(q[:100], f[:100], f[100:], lam=lam)
        hits += out["ci_low"] <= 0.3 <= out["ci_high"]
        widths.append(out["ci_high"] - out["ci_low"])
    return hits / reps, float(np.mean(widths))


def test_ppi_coverage_n100_N2000() -> None:
    coverage, width = _ppi_coverage(reps=1000, seed=5, lam=None)
    classical_cov, classical_width = _ppi_coverage(reps=1000, seed=5, lam=0.0)
    assert 0.93 <= coverage <= 0.97
    assert 0.93 <= classical_cov <= 0.97
    assert width < classical_width  # the judge helps despite its bias


@pytest.mark.slow
def test_ppi_coverage_n100_N2000_many() -> None:
    for lam in (None, 1.0):
        coverage, _ = _ppi_coverage(reps=4000, seed=6, lam=lam)
        assert 0.93 <= coverage <= 0.97


def _perm_both_type_one(reps: int, n: int, n_permutations: int, seed: int) -> float:
    """Two exchangeable judges (same noise): P(p <= 0.05 for 'M2 beats M1')."""
    rng = np.random.default_rng(seed)

    def stat(x: np.ndarray, h: np.ndarray) -> np.ndarray:
        return rows_statistic(x, np.broadcast_to(h, x.shape), "pearson")

    rejections = 0
    for _ in range(reps):
        truth = rng.normal(size=n)
        human = truth + rng.normal(0, 0.7, n)
        m1 = truth + rng.normal(0, 1.0, n)
        m2 = truth + rng.normal(0, 1.0, n)
        _, p = perm_both(m1, m2, human, stat, n_permutations=n_permutations, rng=rng)
        rejections += p <= 0.05
    return rejections / reps


def test_perm_both_type_one_error_fast() -> None:
    assert _perm_both_type_one(reps=300, n=100, n_permutations=199, seed=7) <= 0.08  # MC SE ~1.3 points


@pytest.mark.slow
def test_perm_both_type_one_error() -> None:
    assert _perm_both_type_one(reps=3000, n=100, n_permutations=199, seed=8) <= 0.055


def _perm_both_grouped_type_one(reps: int, n_sys: int, n_inputs: int, n_permutations: int, seed: int) -> float:
    """Item-grouped Kendall tau-b (the all-permutations evaluator), two exchangeable judges on rating-scale
    scores with ties: P(p <= 0.05 for 'M2 beats M1')."""
    rng = np.random.default_rng(seed)
    system = np.tile(np.arange(n_sys), n_inputs)
    group = np.repeat(np.arange(n_inputs), n_sys)
    rejections = 0
    for _ in range(reps):
        truth = rng.normal(size=n_sys)[system] + rng.normal(size=system.size)
        human = np.round(truth + rng.normal(0, 0.7, truth.size))
        m1, m2 = (np.round(2 * (truth + rng.normal(0, 1.0, truth.size))) for _ in range(2))
        evaluator = _cell_statistic("item_grouped", "kendall_b", system, group, n_sys, n_inputs, system.size)
        _, p = perm_both(m1, m2, human, evaluator, n_permutations=n_permutations, rng=rng)
        rejections += p <= 0.05
    return rejections / reps


def test_perm_both_grouped_kendall_type_one_error_fast() -> None:
    assert _perm_both_grouped_type_one(reps=200, n_sys=5, n_inputs=30, n_permutations=199, seed=13) <= 0.09


@pytest.mark.slow
def test_perm_both_grouped_kendall_type_one_error() -> None:
    assert _perm_both_grouped_type_one(reps=2000, n_sys=5, n_inputs=30, n_permutations=199, seed=14) <= 0.055


def _alt_test_type_one(reps: int, n_items: int, n_annotators: int, epsilon: float, seed: int) -> float:
    """At the boundary of H0 (E[W_h - W_f] = epsilon for every annotator): P(the judge passes).

    Per item, (W_h, W_f) is (1, 0) w.p. a, (0, 1) w.p. a - epsilon, (1, 1) otherwise (ties count for both),
    so E[d] = epsilon exactly; the decision rule is the one alt_test applies (t-test + BY, omega >= 0.5).
    """
    rng = np.random.default_rng(seed)
    a = 0.35
    probs = [a, a - epsilon, 1 - 2 * a + epsilon]
    passes = 0
    for _ in range(reps):
        p_values = []
        for _ in range(n_annotators):
            outcome = rng.choice(3, size=n_items, p=probs)
            d = np.select([outcome == 0, outcome == 1], [1.0, -1.0], 0.0)
            p_values.append(_one_sided_t(d, epsilon))
        reject = multipletests(p_values, alpha=0.05, method="fdr_by")[0]
        passes += reject.mean() >= 0.5
    return passes / reps


def test_alt_test_type_one_error_fast() -> None:
    assert _alt_test_type_one(reps=1000, n_items=60, n_annotators=3, epsilon=0.2, seed=9) <= 0.055


@pytest.mark.slow
def test_alt_test_type_one_error() -> None:
    for m in (3, 5):
        assert _alt_test_type_one(reps=10000, n_items=50, n_annotators=m, epsilon=0.15, seed=10) <= 0.055
