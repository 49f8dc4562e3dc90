"""alignment: the ``weight`` column (item sampling weights) and A/B comparisons with PPI.

Integer weights are checked against the same table with every item repeated ``weight`` times, and against
the weighted formulas of statsmodels / numpy / ppi_py (references); functions that cannot use weights must
warn, naming themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from alignlab import load_judgments
from alignlab._params import DegenerateDataWarning
from alignlab.alignment import (
    calibration,
    compare_judges,
    correlate,
    judge_biases,
    label_budget,
    ppi_arrays,
    ppi_estimate,
    ppi_mean,
    rogan_gladen,
)


def _weighted_and_repeated(a: np.ndarray, b: np.ndarray, k: np.ndarray, *, system: np.ndarray | None = None,
                           scale: object = "continuous") -> tuple:
    """The same two-method table twice: with a per-item ``weight`` column, and with item i repeated k_i times."""
    n = len(a)

    def frame(item: np.ndarray, av: np.ndarray, bv: np.ndarray, sys: np.ndarray | None, weight: np.ndarray | None):
        m = len(item)
        out = pd.DataFrame({"item": np.r_[item, item], "rater": ["judge"] * m + ["h"] * m,
                            "method": ["llm_judge"] * m + ["human"] * m, "value": np.r_[av, bv]})
        if sys is not None:
            out["system"] = np.r_[sys, sys].astype(str)
        if weight is not None:
            out["weight"] = np.r_[weight, weight]
        return out

    weighted = load_judgments(frame(np.arange(n), a, b, system, k.astype(float)), scale=scale)
    rep = np.repeat(np.arange(n), k)
    repeated = load_judgments(frame(np.arange(len(rep)), a[rep], b[rep], None if system is None else system[rep],
                                    None), scale=scale)
    return weighted, repeated, rep


@pytest.fixture(scope="module")
def pair() -> tuple:
    rng = np.random.default_rng(21)
    n = 150
    a = np.round(rng.normal(size=n) * 2) / 2
    b = np.round(0.6 * a + rng.normal(size=n))
    k = rng.integers(1, 4, size=n)
    return a, b, k


# ------------------------------------------------------------------------------------------------
# correlate
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("statistic", ["pearson", "spearman", "kendall_b", "kendall_c", "acc_eq"])
def test_correlate_item_weights_equal_repeated_items(pair: tuple, statistic: str) -> None:
    a, b, k = pair
    weighted, repeated, rep = _weighted_and_repeated(a, b, k)
    epsilon = 0.0 if statistic == "acc_eq" else None
    got = correlate(weighted, raters="judge", reference="human", statistic=statistic, epsilon=epsilon, n_resamples=200,
                    random_state=0)
    same = correlate(repeated, raters="judge", reference="human", statistic=statistic, epsilon=epsilon, ci_method="none")
    assert got.estimate == pytest.approx(same.estimate, abs=1e-12)
    # reference: scipy on the explicitly repeated data
    xe, ye = a[rep], b[rep]
    reference = {"pearson": lambda: stats.pearsonr(xe, ye).statistic,
                 "spearman": lambda: stats.spearmanr(xe, ye).statistic,
                 "kendall_b": lambda: stats.kendalltau(xe, ye).statistic,
                 "kendall_c": lambda: stats.kendalltau(xe, ye, variant="c").statistic,
                 "acc_eq": lambda: (np.sign(xe[:, None] - xe[None]) == np.sign(ye[:, None] - ye[None]))[
                     np.triu_indices(len(xe), 1)].mean()}[statistic]()
    assert got.estimate == pytest.approx(reference, abs=1e-12)
    assert got.ci_low < got.estimate < got.ci_high
    assert np.isnan(got.p_value) and any("weight" in w for w in got.warnings)


def test_correlate_calibrated_acc_eq_and_system_level_weights(pair: tuple) -> None:
    a, b, k = pair
    weighted, repeated, _ = _weighted_and_repeated(a[:60], b[:60], k[:60])
    got = correlate(weighted, raters="judge", statistic="acc_eq", ci_method="none")
    same = correlate(repeated, raters="judge", statistic="acc_eq", ci_method="none")
    assert (got.estimate, got.epsilon) == pytest.approx((same.estimate, same.epsilon), abs=1e-12)
    system = np.arange(len(a)) % 5
    weighted, repeated, rep = _weighted_and_repeated(a, b, k, system=system)
    got = correlate(weighted, raters="judge", level="system", n_resamples=100, random_state=0)
    same = correlate(repeated, raters="judge", level="system", ci_method="none")
    # reference: numpy weighted means per system, then scipy's Pearson
    means_a = [np.average(a[system == s], weights=k[system == s]) for s in range(5)]
    means_b = [np.average(b[system == s], weights=k[system == s]) for s in range(5)]
    assert got.estimate == pytest.approx(stats.pearsonr(means_a, means_b).statistic, abs=1e-12)
    assert got.estimate == pytest.approx(same.estimate, abs=1e-12)


def test_correlate_item_grouped_warns_that_weights_are_ignored(pair: tuple) -> None:
    a, b, k = pair
    frame = pd.DataFrame({"item": np.r_[np.arange(150), np.arange(150)], "rater": ["judge"] * 150 + ["h"] * 150,
                          "value": np.r_[a, b], "system": np.r_[np.arange(150) % 5, np.arange(150) % 5].astype(str),
                          "prompt": np.r_[np.arange(150) // 5, np.arange(150) // 5].astype(str),
                          "weight": np.r_[k, k].astype(float)})
    j = load_judgments(frame, scale="continuous", segments=["prompt"])
    with pytest.warns(UserWarning, match=r"correlate\(level='item_grouped'\) ignored the 'weight' column"):
        res = correlate(j, raters="judge", level="item_grouped", group="prompt", n_resamples=50, random_state=0)
    assert any("ignored the 'weight'" in w for w in res.warnings)
    # "h" against itself correlates exactly 1 in every resample: no interval, with a DegenerateDataWarning
    with pytest.warns(DegenerateDataWarning, match="zero width"), \
            pytest.warns(UserWarning, match="compare_judges ignored the 'weight' column: PERM-BOTH"):
        compare_judges(j.subset(), raters=["judge", "h"], reference=["h"], n_permutations=20, n_resamples=50,
                       random_state=0)


# ------------------------------------------------------------------------------------------------
# calibration, judge_biases, ppi
# ------------------------------------------------------------------------------------------------
def test_calibration_item_weights_equal_repeated_items() -> None:
    rng = np.random.default_rng(4)
    n = 300
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(float)
    k = rng.integers(1, 4, size=n)
    scale = "continuous"
    weighted, repeated, rep = _weighted_and_repeated(p, y, k, scale=scale)
    got = calibration(weighted, raters="judge", n_resamples=100, random_state=0)
    same = calibration(repeated, raters="judge", n_resamples=100, random_state=0)
    pd.testing.assert_series_equal(got.metrics["estimate"], same.metrics["estimate"], rtol=1e-12)
    pd.testing.assert_frame_equal(got.bins[["mean_predicted", "observed_rate"]],
                                  same.bins[["mean_predicted", "observed_rate"]], rtol=1e-12)
    brier = got.metrics.set_index("metric").loc["brier", "estimate"]
    assert brier == pytest.approx(np.average((p - y) ** 2, weights=k), abs=1e-12)  # reference: numpy
    assert any("weight" in w for w in got.warnings)


def test_judge_biases_weighted_leniency_and_warning(pair: tuple) -> None:
    a, b, k = pair
    weighted, repeated, rep = _weighted_and_repeated(a, b, k)
    with pytest.warns(UserWarning, match="judge_biases ignored the 'weight' column"):
        got = judge_biases(weighted, raters="judge").to_frame().set_index("bias").loc["leniency"]
    # reference: the t interval of the explicitly repeated errors (scipy), and statsmodels' weighted form
    errors = (a - b)[rep]
    low, high = stats.t.interval(0.95, len(errors) - 1, loc=errors.mean(), scale=stats.sem(errors))
    assert (got["estimate"], got["ci_low"], got["ci_high"]) == pytest.approx((errors.mean(), low, high), abs=1e-10)
    assert got["ci_low"] == pytest.approx(DescrStatsW(a - b, weights=k).tconfint_mean()[0], abs=1e-12)


@pytest.mark.parametrize("lam", [None, 1.0, 0.3])
def test_weighted_ppi_equals_ppi_py(lam: float | None) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    rng = np.random.default_rng(6)
    y = rng.normal(size=120)
    f = y + rng.normal(0, 0.6, 120)
    fu = rng.normal(size=1500) + rng.normal(0, 0.6, 1500)
    w, wu = rng.uniform(0.5, 3, 120), rng.uniform(0.5, 3, 1500)
    low, high = ppi_py.ppi_mean_ci(y, f, fu, alpha=0.05, lam=lam, w=w, w_unlabeled=wu)
    got = ppi_arrays(y, f, fu, lam=lam, weights=w, weights_unlabelled=wu)
    # reference: ppi_py with sample weights
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((float(np.ravel(low)[0]), float(np.ravel(high)[0])),
                                                            abs=1e-6)


def test_ppi_estimate_uses_item_weights_and_rogan_gladen_warns() -> None:
    rng = np.random.default_rng(7)
    n = 600
    q = rng.normal(size=n)
    weight = rng.uniform(0.5, 2.0, size=n)
    judge = q + rng.normal(0, 0.5, n)
    frame = pd.concat([
        pd.DataFrame({"item": np.arange(n), "rater": "judge", "method": "llm_judge", "value": judge,
                      "weight": weight}),
        pd.DataFrame({"item": np.arange(100), "rater": "h", "method": "human", "value": q[:100],
                      "weight": weight[:100]})])
    j = load_judgments(frame, scale="continuous")
    got = ppi_mean(j, raters="judge")
    expected = ppi_arrays(q[:100], judge[:100], judge[100:], weights=weight[:100], weights_unlabelled=weight[100:])
    assert got.estimate == pytest.approx(expected["estimate"], abs=1e-12)
    assert got.ci_high == pytest.approx(expected["ci_high"], abs=1e-12)
    with pytest.warns(UserWarning, match="label_budget ignored the 'weight' column"):
        label_budget(j, raters="judge", target_width=0.2)
    binary = load_judgments(frame.assign(value=(frame["value"] > 0).astype(float)), scale="binary")
    with pytest.warns(UserWarning, match="rogan_gladen ignored the 'weight' column"):
        res = rogan_gladen(binary, raters="judge")
    assert any("rogan_gladen ignored" in w for w in res.warnings)


# ------------------------------------------------------------------------------------------------
# A/B comparison with PPI
# ------------------------------------------------------------------------------------------------
def _ab_table(rng: np.random.Generator, n_inputs: int, n_labelled: int, effect: float) -> tuple:
    """Two systems answering the same inputs; the judge scores everything, humans the first inputs."""
    difficulty = rng.normal(size=n_inputs)
    quality = {"A": difficulty + effect + rng.normal(0, 0.5, n_inputs), "B": difficulty + rng.normal(0, 0.5, n_inputs)}
    rows = []
    for name, qual in quality.items():
        items = [f"{name}{i}" for i in range(n_inputs)]
        judge = qual + 0.3 + rng.normal(0, 0.5, n_inputs)  # a biased, noisy judge
        rows.append(pd.DataFrame({"item": items, "rater": "judge", "method": "llm_judge", "value": judge,
                                  "system": name, "prompt": np.arange(n_inputs).astype(str)}))
        rows.append(pd.DataFrame({"item": items[:n_labelled], "rater": "h", "method": "human",
                                  "value": qual[:n_labelled], "system": name,
                                  "prompt": np.arange(n_labelled).astype(str)}))
    frame = pd.concat(rows)
    return load_judgments(frame, scale="continuous", segments=["prompt"]), frame


def test_paired_contrast_equals_ppi_py_on_the_differences() -> None:
    ppi_py = pytest.importorskip("ppi_py")
    j, frame = _ab_table(np.random.default_rng(3), 800, 120, effect=0.2)
    res = ppi_estimate(j, raters="judge", contrast=("A", "B"), group="prompt", confidence_level=0.9)
    wide = frame.pivot_table(index="prompt", columns=["rater", "system"], values="value")
    wide = wide.loc[sorted(wide.index)]
    f_diff = (wide[("judge", "A")] - wide[("judge", "B")])
    y_diff = (wide[("h", "A")] - wide[("h", "B")]).dropna()
    unlabelled = f_diff.index.difference(y_diff.index)
    low, high = ppi_py.ppi_mean_ci(y_diff.to_numpy(), f_diff.loc[y_diff.index].to_numpy(),
                                   f_diff.loc[unlabelled].to_numpy(), alpha=0.1)
    # reference: ppi_py's ppi_mean_ci applied to the per-input differences
    assert (res.ci_low, res.ci_high) == pytest.approx((float(np.ravel(low)[0]), float(np.ravel(high)[0])), abs=1e-6)
    assert res.contrast == "A - B" and res.n_labelled == 120 and res.n_unlabelled == 680
    assert res.ci_high - res.ci_low < res.classical_ci_high - res.classical_ci_low


def test_independent_contrast_is_the_difference_of_two_ppi_means() -> None:
    j, _ = _ab_table(np.random.default_rng(4), 500, 80, effect=0.3)
    res = ppi_estimate(j, raters="judge", contrast=("A", "B"))
    a, b = (ppi_estimate(j, raters="judge", system=s) for s in ("A", "B"))
    assert res.estimate == pytest.approx(a.estimate - b.estimate, abs=1e-12)
    assert res.standard_error == pytest.approx(np.hypot(a.standard_error, b.standard_error), abs=1e-12)
    assert (res.lam, res.lam_b) == pytest.approx((a.lam, b.lam))
    assert res.classical_estimate == pytest.approx(a.classical_estimate - b.classical_estimate, abs=1e-12)


def test_contrast_errors() -> None:
    j, _ = _ab_table(np.random.default_rng(5), 60, 20, effect=0.0)
    with pytest.raises(ValueError, match="not both"):
        ppi_estimate(j, raters="judge", contrast=("A", "B"), system="A")
    with pytest.raises(ValueError, match="pass contrast as well"):
        ppi_estimate(j, raters="judge", group="prompt")
    with pytest.raises(ValueError, match="two different systems"):
        ppi_estimate(j, raters="judge", contrast=("A", "A"))
    with pytest.raises(ValueError, match="system 'C' has no items"):
        ppi_estimate(j, raters="judge", contrast=("A", "C"))
    with pytest.raises(ValueError, match="'nope', which is not in the table"):
        ppi_estimate(j, raters="judge", contrast=("A", "B"), group="nope")


def _contrast_coverage(reps: int, seed: int) -> float:
    """Share of paired-contrast PPI intervals (n = 100 labelled inputs, N = 2,000 more) holding the truth."""
    rng = np.random.default_rng(seed)
    effect = 0.25
    hits = 0
    for _ in range(reps):
        j, _ = _ab_table(rng, 2100, 100, effect=effect)
        res = ppi_estimate(j, raters="judge", contrast=("A", "B"), group="prompt")
        hits += res.ci_low <= effect <= res.ci_high
    return hits / reps


def test_paired_contrast_coverage_fast() -> None:
    assert 0.88 <= _contrast_coverage(reps=60, seed=11) <= 1.0  # MC SE ~2.8 points at 60 replications


@pytest.mark.slow
def test_paired_contrast_coverage() -> None:
    assert 0.93 <= _contrast_coverage(reps=1000, seed=12) <= 0.97
