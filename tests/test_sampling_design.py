"""plan_sample, segment sizes and power: METHODS.md §5 worked example, statsmodels, brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import (
    proportion_confint,
    proportion_effectsize,
    samplesize_confint_proportion,
)

from alignlab import InvalidParameterError
from alignlab.sampling import expected_half_width, plan_sample, sample_size_difference, segment_sample_size

W = [0.40, 0.25, 0.05, 0.15, 0.03, 0.12]
P = [0.05, 0.10, 0.35, 0.08, 0.30, 0.06]


@pytest.fixture
def worked() -> pd.DataFrame:
    return pd.DataFrame({"segment": list("ABCDEF"), "production_share": W, "rate": P})


# reference: /work/shared/METHODS.md §5 worked example table (n = 2,000, 95 %)
WORKED_ROWS = [
    ("proportional", {}, [800, 500, 100, 300, 60, 240], 0.0122, 0.116),
    ("neyman", {}, [648, 558, 177, 303, 102, 212], 0.0118, 0.089),
    ("power", {"power_exponent": 0.5}, [417, 454, 323, 318, 240, 249], 0.0126, 0.058),
    ("power", {"power_exponent": 0.0}, [222, 306, 486, 277, 467, 242], 0.0156, 0.042),
    ("equal", {}, [333] * 6, 0.0138, 0.051),
]


@pytest.mark.parametrize(("allocation", "extra", "n_h", "overall", "worst"), WORKED_ROWS)
def test_worked_example_allocations(worked, allocation, extra, n_h, overall, worst) -> None:
    plan = plan_sample(worked, budget=2000, allocation=allocation, ci_method="wald", **extra)
    table = plan.to_frame()
    assert table["target_n"].sum() == 2000  # allocations sum to the budget
    if allocation == "neyman":
        assert table["target_n"].tolist() == n_h  # reference, exact
    else:
        # reference: the table rounds each n_h on its own (its rows can sum to 2,001); ours sums to 2,000
        assert np.abs(table["target_n"].to_numpy() - np.array(n_h)).max() <= 1
    assert round(plan.overall_half_width, 4) == overall
    assert round(float(table["expected_half_width"].max()), 3) == worst


def test_worked_example_half_width_targets(worked) -> None:
    # reference: METHODS.md §5 "overall ±0.01 needs 2,780 (Neyman), 2,958 (proportional), 3,169 (SRS)"
    neyman = plan_sample(worked, half_width=0.01, allocation="neyman")
    proportional = plan_sample(worked, half_width=0.01, allocation="proportional")
    assert int(np.ceil(neyman.n_required)) == 2780
    assert int(np.ceil(proportional.n_required)) == 2958
    assert neyman.n_simple_random == 3169
    assert neyman.total_n in (2780, 2781) and neyman.overall_half_width <= 0.01
    assert proportional.total_n in (2958, 2959) and proportional.overall_half_width <= 0.01
    # closed form (Cochran 1977, 5.26): n = (Σ W S)² / (e/z)²
    z = stats.norm.ppf(0.975)
    s = np.sqrt(np.array(P) * (1 - np.array(P)))
    assert neyman.n_required == pytest.approx((np.dot(W, s) / (0.01 / z)) ** 2, rel=1e-9)


def test_worked_example_segment_half_widths(worked) -> None:
    # reference: METHODS.md §5 "±0.05 in every segment needs 73–350 per segment"
    plan = plan_sample(worked, segment_half_width=0.05, ci_method="wald")
    n_h = plan.to_frame()["target_n"]
    assert n_h.min() == 73 and n_h.max() == 350


@pytest.mark.parametrize("half_width", [0.01, 0.03, 0.05, 0.1])
def test_segment_sizes_equal_statsmodels(half_width) -> None:
    rates = np.array([0.02, 0.05, 0.1, 0.3, 0.5, 0.8])
    ours = segment_sample_size(half_width, rates, ci_method="wald")
    # reference: statsmodels samplesize_confint_proportion (continuous n; we return the next integer)
    expected = np.ceil(samplesize_confint_proportion(rates, half_width) - 1e-9).astype(int)
    np.testing.assert_array_equal(ours, expected)


def test_finite_population_correction() -> None:
    n0 = samplesize_confint_proportion(0.3, 0.05)  # reference: statsmodels
    n = segment_sample_size(0.05, [0.3], ci_method="wald", population=[500])[0]
    assert n == int(np.ceil(n0 / (1 + (n0 - 1) / 500)))  # Cochran 1977, (4.2) as in METHODS.md


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
def test_expected_half_width_matches_statsmodels_intervals(method) -> None:
    # reference: statsmodels proportion_confint at the expected count n·p
    n, p = np.array([20.0, 60.0, 400.0]), np.array([0.05, 0.2, 0.5])
    low, high = proportion_confint(n * p, n, alpha=0.05, method=method)
    np.testing.assert_allclose(expected_half_width(n, p, ci_method=method), (high - low) / 2, rtol=1e-9)


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
def test_small_count_sizes_are_minimal(method) -> None:
    rates = np.array([0.01, 0.03, 0.05])
    n = segment_sample_size(0.03, rates, ci_method=method)
    assert np.all(expected_half_width(n, rates, ci_method=method) <= 0.03)
    assert np.all(expected_half_width(n - 1, rates, ci_method=method) > 0.03)


def _variance(n, w, s2):
    return float(np.sum(np.asarray(w) ** 2 * np.asarray(s2) / np.asarray(n)))


@pytest.mark.parametrize("seed", range(4))
def test_neyman_minimises_variance_brute_force(seed) -> None:
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(3))
    rate = rng.uniform(0.05, 0.6, 3)
    budget = 40
    frame = pd.DataFrame({"segment": ["a", "b", "c"], "production_share": w, "rate": rate})
    plan = plan_sample(frame, budget=budget, allocation="neyman", min_per_segment=2)
    ours = plan.to_frame()["target_n"].to_numpy()
    assert ours.sum() == budget
    s2 = rate * (1 - rate)
    best = min(_variance(n, w, s2) for n in itertools.product(range(2, budget), repeat=3) if sum(n) == budget)
    # reference: exhaustive search over every integer allocation with the same budget
    assert _variance(ours, w, s2) <= best * 1.002
    # the continuous Neyman allocation is a lower bound for every integer allocation
    continuous = budget * w * np.sqrt(s2) / np.sum(w * np.sqrt(s2))
    assert _variance(continuous, w, s2) <= best + 1e-12


@pytest.mark.parametrize("allocation", ["neyman", "proportional", "power", "equal"])
@pytest.mark.parametrize("budget", [50, 333, 1001])
def test_allocations_sum_to_budget_under_caps_floors_and_current(allocation, budget) -> None:
    rng = np.random.default_rng(budget)
    k = 7
    frame = pd.DataFrame({"segment": [f"s{i}" for i in range(k)], "production_share": rng.dirichlet(np.ones(k)),
                          "rate": rng.uniform(0.02, 0.5, k), "current_n": rng.integers(0, 6, k)})
    plan = plan_sample(frame, budget=budget, allocation=allocation, min_per_segment=3, max_per_segment=budget // 3)
    table = plan.to_frame()
    assert table["to_collect"].sum() == budget
    assert plan.total_to_collect == budget
    assert (table["target_n"] >= np.maximum(3, table["current_n"])).all()
    cap = np.maximum(budget // 3, np.maximum(3, table["current_n"]))
    assert (table["target_n"] <= cap).all()


def test_costs_give_optimum_allocation() -> None:
    frame = pd.DataFrame({"segment": ["cheap", "dear"], "production_share": [0.5, 0.5], "rate": [0.3, 0.3],
                          "cost": [1.0, 4.0]})
    plan = plan_sample(frame, budget=3000.0, allocation="neyman", min_per_segment=0)
    n = plan.to_frame()["target_n"].to_numpy()
    # reference: Cochran 1977 (5.24) n_h ∝ W_h S_h / √c_h → 2:1, and Σ c_h n_h = 3000 → 1000 / 500
    np.testing.assert_array_equal(n, [1000, 500])
    assert plan.total_cost == pytest.approx(3000.0)


def test_deff_of_reweighting_scales_sample_size(worked) -> None:
    base = plan_sample(worked, half_width=0.01)
    inflated = plan_sample(worked, half_width=0.01, deff=1.5)
    assert inflated.n_required == pytest.approx(1.5 * base.n_required, rel=1e-6)


def test_plan_to_csv_and_columns(worked, tmp_path) -> None:
    plan = plan_sample(worked.assign(current_n=[100, 0, 0, 50, 0, 0]), budget=500)
    path = plan.to_csv(tmp_path / "plan.csv")
    back = pd.read_csv(path)
    for column in ("segment", "production_share", "current_n", "target_n", "to_collect", "expected_half_width"):
        assert column in back.columns
    assert back["to_collect"].sum() == 500
    assert "Sampling plan" in str(plan)


def test_sd_instead_of_rate() -> None:
    frame = pd.DataFrame({"segment": ["a", "b"], "production_share": [0.7, 0.3], "sd": [1.0, 2.0]})
    plan = plan_sample(frame, segment_half_width=0.2)
    z = stats.norm.ppf(0.975)
    # reference: n = (z σ / e)² rounded up
    np.testing.assert_array_equal(plan.to_frame()["target_n"], np.ceil((z * np.array([1.0, 2.0]) / 0.2) ** 2))


def test_sample_size_difference_unpaired_matches_statsmodels() -> None:
    result = sample_size_difference(0.05, rate=0.7, power=0.9, alpha=0.05)
    # reference: statsmodels NormalIndPower on Cohen's h
    n = NormalIndPower().solve_power(effect_size=abs(proportion_effectsize(0.75, 0.7)), power=0.9, alpha=0.05)
    assert result.n_per_group == int(np.ceil(n))
    assert result.total_n == 2 * result.n_per_group


def test_sample_size_difference_paired_is_smaller_with_correlation() -> None:
    unpaired = sample_size_difference(0.05, rate=0.7)
    paired = sample_size_difference(0.05, rate=0.7, paired=True, correlation=0.6)
    var_a, var_b = 0.21, 0.75 * 0.25
    sd = np.sqrt(var_a + var_b - 2 * 0.6 * np.sqrt(var_a * var_b))
    # reference: statsmodels TTestPower on δ/σ_d (Miller 2024, paired variance)
    n = TTestPower().solve_power(effect_size=0.05 / sd, power=0.8, alpha=0.05)
    assert paired.n_per_group == int(np.ceil(n))
    assert paired.total_n < unpaired.total_n
    # normal approximation (z_α/2 + z_β)² σ_d²/δ² is within a couple of items of the t solution
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    assert abs(paired.n_per_group - (z * sd / 0.05) ** 2) < 4


def test_plan_with_difference(worked) -> None:
    plan = plan_sample(worked, budget=2000, detect_difference=0.03, paired=True, correlation=0.5)
    assert plan.n_difference is not None and plan.n_difference > 0


def test_errors_name_the_column_and_fix(worked) -> None:
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['production_share'\].*Fix"):
        plan_sample(worked.drop(columns="production_share"), budget=100)
    with pytest.raises(ValueError, match="'rate' column"):
        plan_sample(worked.drop(columns="rate"), budget=100)
    with pytest.raises(ValueError, match="Column 'rate' of segments_frame must be a number in \\[0, 1\\]"):
        plan_sample(worked.assign(rate=[0.1, 1.5, 0.1, 0.1, 0.1, 0.1]), budget=100)
    with pytest.raises(ValueError, match="Column 'production_share'.*row 0"):
        plan_sample(worked.assign(production_share=[-0.1, 0.5, 0.2, 0.2, 0.1, 0.1]), budget=100)
    with pytest.raises(ValueError, match="either budget= .* or a precision target"):
        plan_sample(worked, budget=100, half_width=0.01)
    with pytest.raises(ValueError, match="needs budget="):
        plan_sample(worked)
    with pytest.raises(ValueError, match="cannot cover the floors"):
        plan_sample(worked, budget=5, min_per_segment=2)
    with pytest.raises(ValueError, match="appears twice"):
        plan_sample(worked.assign(segment=list("AABCDE")), budget=100)
    with pytest.raises(InvalidParameterError, match="'allocation' parameter of plan_sample"):
        plan_sample(worked, budget=100, allocation="optimal")
    with pytest.raises(ValueError, match="exactly one of rate="):
        sample_size_difference(0.1)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    shares=st.lists(st.floats(0.001, 1.0), min_size=2, max_size=8),
    budget=st.integers(20, 5000),
    allocation=st.sampled_from(["neyman", "proportional", "power", "equal"]),
    seed=st.integers(0, 1000),
)
def test_property_allocation_sums_to_budget(shares, budget, allocation, seed) -> None:
    rng = np.random.default_rng(seed)
    k = len(shares)
    frame = pd.DataFrame({"segment": [f"s{i}" for i in range(k)], "production_share": shares,
                          "rate": rng.uniform(0.0, 1.0, k)})
    plan = plan_sample(frame, budget=budget, allocation=allocation, min_per_segment=1)
    table = plan.to_frame()
    assert table["target_n"].sum() == budget
    assert (table["target_n"] >= 1).all()
    assert np.isfinite(plan.overall_half_width)
