"""alignlab.compare: version comparisons and trends.

Every test statistic is checked against its reference implementation (scipy / statsmodels; marked
*reference*); the intervals against the shared bootstrap engine; the verdicts, FDR, power, coverage and
the Simpson flag on seeded simulations with known truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

import alignlab
from alignlab import load_judgments
from alignlab._array.bootstrap import bootstrap
from alignlab._params import InvalidParameterError
from alignlab.compare import Metric, compare_versions, metrics_from_column


def _frame(n: int, *, paired: bool, shift: float = 0.0, seed: int = 0, binary: bool = False,
           segments: dict | None = None, clusters: int | None = None, cluster_sd: float = 0.0,
           interaction_sd: float = 0.0) -> pd.DataFrame:
    """One judgment per (input, system); candidate shifted by ``shift`` (or per-segment shifts)."""
    rng = np.random.default_rng(seed)
    items = np.arange(n)
    cluster = items % clusters if clusters else items
    cluster_effect = rng.normal(0, cluster_sd, size=(clusters or n))[cluster]
    base_item = rng.normal(0, 1, n) + cluster_effect
    rows = []
    for system, delta in (("v1", 0.0), ("v2", shift)):
        noise = rng.normal(0, 0.7 if paired else 1.2, n)
        value = base_item + delta + noise if paired else rng.normal(0, 1, n) + cluster_effect + delta
        if interaction_sd:  # a cluster x version effect: correlated errors within a cluster
            value = value + rng.normal(0, interaction_sd, clusters)[cluster]
        if binary:
            value = (value > 0).astype(float)
        prompt = items if paired else items + (0 if system == "v1" else n)
        frame = pd.DataFrame({"item_id": [f"{system}:{p}" for p in prompt], "prompt": prompt, "rater_id": "r1",
                              "method": "human", "value": value, "system": system})
        if clusters:
            frame["conv"] = cluster
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    if segments:
        for name, levels in segments.items():
            out[name] = np.asarray(levels)[out["prompt"].to_numpy() % len(levels)]
    return out


def _load(frame: pd.DataFrame, *, scale: str = "continuous", segments: list[str] | None = None):
    """Inputs are paired on the ``prompt`` column (an item has one system in a judgments table)."""
    extra = [c for c in ("prompt", "conv") if c in frame.columns]
    return load_judgments(frame, scale=scale, system="system", segments=(segments or []) + extra)


# -- reference: every test statistic ------------------------------------------------------------
def test_welch_unpaired_means_match_scipy() -> None:
    frame = _frame(80, paired=False, shift=0.4, seed=1)
    result = compare_versions(_load(frame), baseline="v1", candidate="v2", n_resamples=200, random_state=0)
    row = result.to_frame().iloc[0]
    a = frame.loc[frame.system == "v2", "value"].to_numpy()
    b = frame.loc[frame.system == "v1", "value"].to_numpy()
    ref = stats.ttest_ind(a, b, equal_var=False)  # reference
    ci = ref.confidence_interval(0.95)
    assert not row["paired"] and row["test"] == "Welch t"
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert row["test_statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert row["difference"] == pytest.approx(a.mean() - b.mean())
    # Cohen's d with the pooled SD (reference formula)
    pooled = np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
    assert row["effect_size"] == pytest.approx((a.mean() - b.mean()) / pooled)
    assert row["effect_ci_low"] < row["effect_size"] < row["effect_ci_high"]
    # Cliff's delta from its definition; interval = statsmodels' Brunner-Munzel interval of P(c > b)
    assert row["cliffs_delta"] == pytest.approx(np.sign(a[:, None] - b[None, :]).mean())
    from statsmodels.stats.nonparametric import rank_compare_2indep

    p_low, p_high = rank_compare_2indep(a, b).conf_int(alpha=0.05)  # reference
    assert (row["cliffs_ci_low"], row["cliffs_ci_high"]) == pytest.approx((2 * p_low - 1, 2 * p_high - 1))


def test_paired_scores_wilcoxon_and_t_match_scipy() -> None:
    frame = _frame(60, paired=True, shift=0.3, seed=2)
    j = _load(frame)
    d = frame.loc[frame.system == "v2", "value"].to_numpy() - frame.loc[frame.system == "v1", "value"].to_numpy()
    row = compare_versions(j, baseline="v1", candidate="v2", n_resamples=200, random_state=0).to_frame().iloc[0]
    assert row["paired"] and row["test"] == "Wilcoxon signed-rank"
    ref = stats.wilcoxon(d)  # reference
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert row["test_statistic"] == pytest.approx(ref.statistic)
    row_t = compare_versions(j, baseline="v1", candidate="v2", paired_test="t", ci_method="analytic",
                             n_resamples=200, random_state=0).to_frame().iloc[0]
    ref_t = stats.ttest_rel(frame.loc[frame.system == "v2", "value"], frame.loc[frame.system == "v1", "value"])
    assert row_t["p_value"] == pytest.approx(ref_t.pvalue, rel=1e-10)  # reference
    ci = ref_t.confidence_interval(0.95)
    assert (row_t["ci_low"], row_t["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_paired_pass_rate_mcnemar_matches_statsmodels() -> None:
    frame = _frame(150, paired=True, shift=-0.35, seed=3)
    j = _load(frame)
    metric = Metric("pass", statistic="pass_rate", threshold=0.0)
    row = compare_versions(j, baseline="v1", candidate="v2", metrics=[metric], n_resamples=200,
                           random_state=0).to_frame().iloc[0]
    yb = frame.loc[frame.system == "v1", "value"].to_numpy() >= 0
    yc = frame.loc[frame.system == "v2", "value"].to_numpy() >= 0
    table = [[np.sum(yb & yc), np.sum(yb & ~yc)], [np.sum(~yb & yc), np.sum(~yb & ~yc)]]
    ref = mcnemar(table, exact=True)  # reference
    assert row["test"].startswith("McNemar")
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert row["difference"] == pytest.approx(yc.mean() - yb.mean())
    h = 2 * np.arcsin(np.sqrt(yc.mean())) - 2 * np.arcsin(np.sqrt(yb.mean()))
    assert row["effect_size"] == pytest.approx(h) and row["effect_size_name"] == "cohen_h"


def test_unpaired_proportions_newcombe_and_score_test_match_statsmodels() -> None:
    frame = _frame(200, paired=False, shift=0.3, seed=4, binary=True)
    j = _load(frame, scale="binary")
    row = compare_versions(j, baseline="v1", candidate="v2", n_resamples=200, random_state=0).to_frame().iloc[0]
    c = frame.loc[frame.system == "v2", "value"].to_numpy()
    b = frame.loc[frame.system == "v1", "value"].to_numpy()
    low, high = sm_proportion.confint_proportions_2indep(c.sum(), c.size, b.sum(), b.size, method="newcombe")  # reference
    res = sm_proportion.test_proportions_2indep(c.sum(), c.size, b.sum(), b.size, method="score", return_results=True)
    assert row["ci_method"] == "newcombe"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert row["p_value"] == pytest.approx(res.pvalue, rel=1e-12)
    assert row["ratio"] == pytest.approx(c.mean() / b.mean())


def test_pairwise_preferences_sign_test_matches_binomtest() -> None:
    rng = np.random.default_rng(5)
    n = 120
    value = rng.choice(["A", "B", "tie"], size=n, p=[0.45, 0.35, 0.2])
    flip = rng.random(n) < 0.5
    frame = pd.DataFrame({"item_id": np.arange(n), "rater_id": "r1", "method": "human", "value": value,
                          "system_a": np.where(flip, "v1", "v2"), "system_b": np.where(flip, "v2", "v1")})
    j = load_judgments(frame, scale="pairwise", system_a="system_a", system_b="system_b")
    row = compare_versions(j, baseline="v1", candidate="v2", n_resamples=200, random_state=0).to_frame().iloc[0]
    cand_first = frame["system_a"] == "v2"
    wins = int(((value == "A") & cand_first).sum() + ((value == "B") & ~cand_first).sum())
    losses = int(((value == "B") & cand_first).sum() + ((value == "A") & ~cand_first).sum())
    assert row["test"].startswith("sign test")
    assert row["p_value"] == pytest.approx(stats.binomtest(wins, wins + losses).pvalue, rel=1e-12)  # reference
    assert row["difference"] == pytest.approx((wins - losses) / n)
    assert row["candidate_value"] == pytest.approx(wins / (wins + losses))


@pytest.mark.parametrize("paired", [True, False])
def test_cluster_robust_se_matches_statsmodels_ols(paired: bool) -> None:
    frame = _frame(120, paired=paired, shift=0.2, seed=6, clusters=15, cluster_sd=0.8)
    j = _load(frame)
    row = compare_versions(j, baseline="v1", candidate="v2", clusters="conv", n_resamples=300,
                           random_state=0).to_frame().iloc[0]
    if paired:
        wide = frame.pivot(index="prompt", columns="system", values="value")
        groups = frame.drop_duplicates("prompt").set_index("prompt").loc[wide.index, "conv"].to_numpy()
        y, x = (wide["v2"] - wide["v1"]).to_numpy(), np.ones((len(wide), 1))
    else:
        y = frame["value"].to_numpy()
        x = sm.add_constant((frame["system"] == "v2").to_numpy(dtype=float))
        groups = frame["conv"].to_numpy()
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})  # reference
    assert row["test"].startswith("cluster-robust")
    assert row["n_clusters"] == 15
    assert row["difference"] == pytest.approx(fit.params[-1])
    # statsmodels' cluster Wald uses the normal by default; ours the t with G-1 df: compare the SE and t
    t_stat = fit.params[-1] / fit.bse[-1]
    assert row["test_statistic"] == pytest.approx(t_stat, rel=1e-10)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t_stat), 14), rel=1e-10)
    assert row["ci_method"] == "analytic(cluster-robust CR1, t14)"  # auto: the CR1 t interval
    q = stats.t.ppf(0.975, 14)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((fit.params[-1] - q * fit.bse[-1],
                                                             fit.params[-1] + q * fit.bse[-1]), rel=1e-9)


@pytest.mark.parametrize("correction", ["bh", "holm", "by"])
def test_q_values_are_multipletests_over_all_rows(correction: str) -> None:
    frame = _frame(200, paired=True, shift=0.1, seed=7, segments={"locale": ["en", "ja", "de", "fr"]})
    j = _load(frame, segments=["locale"])
    table = compare_versions(j, baseline="v1", candidate="v2", correction=correction, n_resamples=100,
                             random_state=0).to_frame()
    assert len(table) == 5 and set(table["segment"]) == {"(all)", "locale=en", "locale=ja", "locale=de", "locale=fr"}
    method = {"bh": "fdr_bh", "holm": "holm", "by": "fdr_by"}[correction]
    np.testing.assert_allclose(table["q_value"], multipletests(table["p_value"], method=method)[1])  # reference


# -- intervals: the shared engine ---------------------------------------------------------------
@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_paired_interval_is_the_engine_bootstrap(method: str) -> None:
    frame = _frame(90, paired=True, shift=0.2, seed=8, clusters=30)
    j = _load(frame)
    row = compare_versions(j, baseline="v1", candidate="v2", ci_method=method, clusters="conv", n_resamples=400,
                           random_state=3).to_frame().iloc[0]
    wide = frame.pivot(index="prompt", columns="system", values="value")
    d = (wide["v2"] - wide["v1"]).to_numpy()
    conv = frame.drop_duplicates("prompt").set_index("prompt").loc[wide.index, "conv"].to_numpy()
    ref = bootstrap(lambda w: (w @ d) / w.sum(axis=1), d.size, n_resamples=400, method=method, random_state=3,
                    clusters=conv)  # reference: the engine on the same resamples
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref.low, ref.high), rel=1e-9)
    assert row["standard_error"] == pytest.approx(ref.standard_error, rel=1e-9)


# -- verdicts, mix shift, method disagreement ----------------------------------------------------
def test_planted_regression_in_one_segment_is_found_and_small_segments_are_underpowered() -> None:
    rng = np.random.default_rng(9)
    n = 3000
    locale = rng.choice(["en", "ja", "de", "xx"], size=n, p=[0.45, 0.3, 0.245, 0.005])
    base = rng.normal(3, 1, n)
    cand = base + rng.normal(0, 0.5, n) - np.where(locale == "ja", 0.4, 0.0)
    frame = pd.DataFrame({"item_id": np.arange(2 * n), "prompt": np.tile(np.arange(n), 2), "rater_id": "r1",
                          "method": "human", "value": np.concatenate([base, cand]),
                          "system": np.repeat(["v1", "v2"], n), "locale": np.tile(locale, 2)})
    j = _load(frame, segments=["locale"])
    result = compare_versions(j, baseline="v1", candidate="v2", metrics=[Metric("helpfulness", min_change=0.1)],
                              n_resamples=300, random_state=0)
    table = result.to_frame().set_index("segment")
    assert table.loc["locale=ja", "verdict"] == "regression"
    assert table.loc["locale=en", "verdict"] == "no detectable change"
    assert table.loc["locale=xx", "verdict"] == "underpowered"
    assert table.loc["locale=xx", "mde"] > 0.1 >= table.loc["locale=en", "mde"]
    text = result.summary().as_text()
    assert "Candidate v2 regresses helpfulness for locale=ja" in text
    assert "underpowered" in text


def test_underpowered_is_never_reported_as_no_change() -> None:
    frame = _frame(12, paired=False, shift=0.0, seed=10)
    table = compare_versions(_load(frame), baseline="v1", candidate="v2", metrics=[Metric("s", min_change=0.1)],
                             n_resamples=100, random_state=0).to_frame()
    assert table["verdict"].tolist() == ["underpowered"]


def test_planted_simpson_reversal_is_flagged_and_decomposition_is_exact() -> None:
    # within each segment the candidate is better by 0.3, but it was rated mostly on the hard segment
    rng = np.random.default_rng(11)
    parts = []
    for system, n_easy, n_hard, delta in (("v1", 800, 200, 0.0), ("v2", 200, 800, 0.3)):
        for seg, n, level in (("easy", n_easy, 4.0), ("hard", n_hard, 2.0)):
            parts.append(pd.DataFrame({"value": rng.normal(level + delta, 0.5, n), "system": system,
                                       "difficulty": seg}))
    frame = pd.concat(parts, ignore_index=True)
    frame["item_id"] = np.arange(len(frame))
    frame["rater_id"], frame["method"] = "r1", "human"
    result = compare_versions(_load(frame, segments=["difficulty"]), baseline="v1", candidate="v2",
                              n_resamples=300, random_state=0)
    mix = result.mix_shift.iloc[0]
    overall = result.to_frame().set_index("segment").loc["(all)"]
    assert overall["verdict"] == "regression"  # the naive overall comparison says worse
    assert mix["within"] == pytest.approx(0.3, abs=0.06) and mix["within_ci_low"] > 0
    assert mix["within"] + mix["composition"] == pytest.approx(overall["difference"], abs=1e-12)
    assert bool(mix["simpson_reversal"]) and mix["share_test_p"] < 1e-10
    assert "Simpson reversal" in result.summary().as_text()


def test_method_disagreement_flags_judge_against_humans() -> None:
    rng = np.random.default_rng(12)
    n = 400
    rows = []
    for system, human_delta, judge_delta in (("v1", 0.0, 0.0), ("v2", -0.4, 0.4)):
        truth = rng.normal(3, 1, n)
        ids = [f"{system}:{i}" for i in range(n)]
        rows.append(pd.DataFrame({"item_id": ids, "prompt": np.arange(n), "rater_id": "h", "method": "human",
                                  "system": system, "value": truth + human_delta + rng.normal(0, 0.3, n)}))
        rows.append(pd.DataFrame({"item_id": ids, "prompt": np.arange(n), "rater_id": "gpt", "method": "llm_judge",
                                  "system": system, "value": truth + judge_delta + rng.normal(0, 0.3, n)}))
    j = load_judgments(pd.concat(rows, ignore_index=True), scale="continuous", system="system", segments=["prompt"])
    result = compare_versions(j, baseline="v1", candidate="v2", n_resamples=300, random_state=0)
    table = result.to_frame().set_index("rater")
    assert table.loc["human", "verdict"] == "regression" and table.loc["gpt", "verdict"] == "improvement"
    gap = result.method_disagreement.iloc[0]
    assert gap["reference"] == "human" and gap["rater"] == "gpt"
    assert bool(gap["conflict"]) and bool(gap["gap_significant"])
    assert gap["gap"] == pytest.approx(table.loc["gpt", "difference"] - table.loc["human", "difference"])
    assert "alignlab.slices" in result.summary().as_text()


def test_hanna_real_data_names_regressions_with_intervals() -> None:
    j = alignlab.datasets.load("hanna")
    result = compare_versions(j, baseline="GPT-2", candidate="CTRL", metrics="criterion", raters="human",
                              n_resamples=200, random_state=0)
    table = result.to_frame()
    assert set(table["metric"]) == {m.name for m in metrics_from_column(j, "criterion")}
    assert (table["ci_low"] <= table["difference"]).all() and (table["difference"] <= table["ci_high"]).all()
    # CTRL's stories are rated lower than GPT-2's by the humans on coherence (regression, interval below 0)
    coherence = table.set_index("metric").loc["Coherence"]
    assert coherence["verdict"] == "regression" and coherence["ci_high"] < 0
    assert result.summary().lines[0].startswith("Candidate CTRL regresses")


# -- errors ------------------------------------------------------------------------------------------
def test_errors_name_the_problem() -> None:
    frame = _frame(20, paired=True, seed=13)
    j = _load(frame)
    with pytest.raises(InvalidParameterError, match="'baseline' parameter of compare_versions names system 'v9'"):
        compare_versions(j, baseline="v9", candidate="v2")
    with pytest.raises(InvalidParameterError, match="same system"):
        compare_versions(j, baseline="v1", candidate="v1")
    with pytest.raises(InvalidParameterError, match="'clusters' parameter of compare_versions names column 'nope'"):
        compare_versions(j, baseline="v1", candidate="v2", clusters="nope")
    with pytest.raises(InvalidParameterError, match="ci_method"):
        compare_versions(j, baseline="v1", candidate="v2", ci_method="wilson")
    with pytest.raises(InvalidParameterError, match="needs a threshold"):
        compare_versions(j, baseline="v1", candidate="v2", metrics=[Metric("p", statistic="pass_rate")])
    no_system = load_judgments(frame.drop(columns="system"), scale="continuous", segments=[])
    with pytest.raises(InvalidParameterError, match="needs a 'system' column"):
        compare_versions(no_system, baseline="v1", candidate="v2")
    bad = frame.assign(locale=np.where(frame["system"] == "v1", "en", "ja"))
    with pytest.raises(InvalidParameterError, match="Column 'locale' takes several values"):
        compare_versions(_load(bad, segments=["locale"]), baseline="v1", candidate="v2", paired=True)
    with pytest.raises(InvalidParameterError, match="min_change"):
        compare_versions(j, baseline="v1", candidate="v2", metrics=[Metric("x", min_change=-1)])


def test_paired_excludes_and_counts_lone_inputs() -> None:
    frame = _frame(50, paired=True, seed=14)
    frame = frame[~((frame["system"] == "v2") & (frame["prompt"] < 5))]
    result = compare_versions(_load(frame), baseline="v1", candidate="v2", n_resamples=100, random_state=0)
    assert result.paired and result.n_excluded == 5
    assert result.to_frame().iloc[0]["n_baseline"] == 45
    assert any("5 (metric, rater, input) units" in w for w in result.warnings)


# -- simulations: type-I error, FDR, power, coverage ------------------------------------------------
def _null_table(seed: int, n_per_segment: int = 40, n_segments: int = 10, n_metrics: int = 3,
                paired: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_per_segment * n_segments
    parts = []
    for m in range(n_metrics):
        base = rng.normal(0, 1, n)
        for system in ("v1", "v2"):
            value = base + rng.normal(0, 0.8, n) if paired else rng.normal(0, 1, n)
            prompt = np.arange(n) if paired else np.arange(n) + (system == "v2") * n
            parts.append(pd.DataFrame({"prompt": prompt, "value": value, "system": system, "metric": f"m{m}"}))
    frame = pd.concat(parts, ignore_index=True)
    frame["segment"] = "s" + (frame["prompt"] % n_segments).astype(str)
    frame["item_id"] = frame["metric"] + ":" + frame["system"] + ":" + frame["prompt"].astype(str)
    frame["rater_id"], frame["method"] = "r1", "human"
    j = load_judgments(frame, scale="continuous", system="system", segments=["segment", "metric", "prompt"])
    return compare_versions(j, baseline="v1", candidate="v2", metrics="metric", segments="segment",
                            ci_method="none", random_state=0).to_frame()


def _null_rates(n_sims: int, paired: bool) -> tuple[float, float]:
    rejections, rows, any_false = 0, 0, 0
    for seed in range(n_sims):
        table = _null_table(seed, paired=paired)
        rejections += int((table["p_value"] <= 0.05).sum())
        rows += len(table)
        any_false += int((table["q_value"] <= 0.05).any())
    return rejections / rows, any_false / n_sims


@pytest.mark.parametrize("paired", [True, False])
def test_type_one_error_and_fdr_under_the_null_fast(paired: bool) -> None:
    # 33 rows (3 metrics x (10 segments + overall)) per simulation; under the global null the FDR equals
    # the probability of any rejection (every discovery is false)
    per_row, fdr = _null_rates(12, paired)
    assert per_row <= 0.05 + 0.025  # 396 rows: 0.05 + 2.2 binomial SDs
    assert fdr <= 0.05 + 0.13  # 12 sims: loose, the slow test is tight


@pytest.mark.slow
@pytest.mark.parametrize("paired", [True, False])
def test_type_one_error_and_fdr_under_the_null(paired: bool) -> None:
    per_row, fdr = _null_rates(200, paired)
    assert per_row <= 0.05 + 0.005  # 6,600 rows: 0.05 + 1.9 SDs
    assert fdr <= 0.05 + 0.025  # 200 sims: 0.05 + 1.6 SDs


def _clustered_null_rejections(n_sims: int, paired: bool, clustered: bool = True) -> float:
    rejections = 0
    for seed in range(n_sims):
        frame = _frame(120, paired=paired, shift=0.0, seed=5000 + seed, clusters=12, cluster_sd=1.0,
                       interaction_sd=0.8)
        row = compare_versions(_load(frame), baseline="v1", candidate="v2", clusters="conv" if clustered else None,
                               ci_method="none", random_state=0).to_frame().iloc[0]
        rejections += int(row["p_value"] <= 0.05)
    return rejections / n_sims


@pytest.mark.parametrize("paired", [True, False])
def test_cluster_robust_test_holds_type_one_error_fast(paired: bool) -> None:
    # 12 clusters with a cluster x version effect: the tests that ignore the clusters reject far too often
    assert _clustered_null_rejections(80, paired) <= 0.05 + 0.06  # 80 sims: 0.05 + 2.5 SDs
    assert _clustered_null_rejections(80, paired, clustered=False) > 0.15  # measured 0.46 paired, 0.21 unpaired


@pytest.mark.slow
@pytest.mark.parametrize("paired", [True, False])
def test_cluster_robust_test_holds_type_one_error(paired: bool) -> None:
    assert _clustered_null_rejections(1000, paired) <= 0.05 + 0.017  # 1,000 sims: 0.05 + 2.5 SDs


def _coverage(n_sims: int, clustered: bool) -> float:
    hits = 0
    for seed in range(n_sims):
        frame = _frame(120, paired=True, shift=0.25, seed=1000 + seed, clusters=30 if clustered else None,
                       cluster_sd=1.0 if clustered else 0.0)
        if clustered:  # the true paired difference is 0.25 whatever the cluster effects
            pass
        row = compare_versions(_load(frame), baseline="v1", candidate="v2", clusters="conv" if clustered else None,
                               n_resamples=300, random_state=seed).to_frame().iloc[0]
        hits += int(row["ci_low"] <= 0.25 <= row["ci_high"])
    return hits / n_sims


@pytest.mark.parametrize("clustered", [False, True])
def test_interval_coverage_fast(clustered: bool) -> None:
    assert 0.85 <= _coverage(60, clustered) <= 1.0  # 60 sims: 0.95 - 3.5 SDs; the slow test is the 95 +- 2 % check


@pytest.mark.slow
@pytest.mark.parametrize("clustered", [False, True])
def test_interval_coverage(clustered: bool) -> None:
    assert abs(_coverage(1000, clustered) - 0.95) <= 0.02  # the 95 +- 2 %


def test_power_against_a_planted_regression_in_one_segment() -> None:
    found, false_changes = 0, 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        n = 1200
        segment = np.arange(n) % 6
        base = rng.normal(0, 1, n)
        cand = base + rng.normal(0, 0.6, n) - np.where(segment == 2, 0.35, 0.0)
        frame = pd.DataFrame({"item_id": np.arange(2 * n), "prompt": np.tile(np.arange(n), 2), "rater_id": "r",
                              "method": "human",
                              "value": np.concatenate([base, cand]), "system": np.repeat(["v1", "v2"], n),
                              "seg": np.tile(segment, 2).astype(str)})
        table = compare_versions(_load(frame, segments=["seg"]), baseline="v1", candidate="v2", ci_method="none",
                                 random_state=0).to_frame().set_index("segment")
        found += int(table.loc["seg=2", "verdict"] == "regression")
        false_changes += int(table.drop(index=["seg=2", "(all)"])["verdict"].isin(["regression", "improvement"]).sum())
    assert found >= 9  # design power ~ 0.99 at 200 pairs, effect 0.35 / SD 0.6 after BH over 7 rows
    assert false_changes <= 3  # 50 null segment rows; BH at 0.05 expects ~1


# -- trend ------------------------------------------------------------------------------------------
from alignlab._array.compare_kernels import cusum_statistic, mann_kendall, normal_mixture_radius  # noqa: E402
from alignlab.compare import trend  # noqa: E402
from alignlab.compare.trend import anytime_rho  # noqa: E402


def test_mann_kendall_s_matches_kendalltau_on_time() -> None:
    rng = np.random.default_rng(20)
    x = rng.normal(0, 1, 40) + 0.02 * np.arange(40)
    s, var, p = mann_kendall(x)
    n = x.size
    ref = stats.kendalltau(np.arange(n), x, method="asymptotic")  # reference
    assert s == pytest.approx(ref.statistic * n * (n - 1) / 2)
    assert var == pytest.approx(n * (n - 1) * (2 * n + 5) / 18)
    # scipy's asymptotic p has no continuity correction: same S/sqrt(var)
    assert stats.norm.isf(ref.pvalue / 2) == pytest.approx(abs(s) / np.sqrt(var), rel=1e-9)
    assert p == pytest.approx(2 * stats.norm.sf((abs(s) - 1) / np.sqrt(var)))
    # with ties in the values: tau-b = S / sqrt(n0 (n0 - n_ties))
    xt = np.round(x, 0)
    s_t, var_t, _ = mann_kendall(xt)
    n0 = n * (n - 1) / 2
    _, counts = np.unique(xt, return_counts=True)
    n2 = np.sum(counts * (counts - 1) / 2)
    assert s_t == pytest.approx(stats.kendalltau(np.arange(n), xt).statistic * np.sqrt(n0 * (n0 - n2)))
    assert var_t == pytest.approx((n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18)


def test_trend_on_a_history_table_matches_references() -> None:
    rng = np.random.default_rng(21)
    runs = 30
    history = pd.DataFrame({"run_id": [f"r{i:02d}" for i in range(runs)], "metric": "helpfulness",
                            "estimate": 0.8 - 0.004 * np.arange(runs) + rng.normal(0, 0.01, runs),
                            "standard_error": 0.01, "higher_is_better": True})
    result = trend(history, random_state=0)
    row = result.to_frame().iloc[0]
    assert result.time_column == "run_id" and row["trend"] == "worsening"
    sen = stats.theilslopes(history["estimate"], np.arange(runs))  # reference
    assert row["sen_slope"] == pytest.approx(sen.slope)
    fit = sm.OLS(history["estimate"].to_numpy(), sm.add_constant(np.arange(runs, dtype=float))).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3})  # reference: Newey-West lags floor(4 (30/100)^(2/9)) = 3
    assert row["hac_lags"] == 3 and row["hac_se"] == pytest.approx(fit.bse[1])
    assert "worsening" in result.summary().as_text()
    # the confidence sequence column equals the kernel formula
    seq = result.sequence
    v = np.arange(1, runs + 1) / 0.01**2
    centre = np.cumsum(history["estimate"]) / np.arange(1, runs + 1)
    radius = normal_mixture_radius(v, 0.05, anytime_rho(0.05, 10 / 0.01**2))
    np.testing.assert_allclose(seq["anytime_low"], centre - radius)


def test_trend_recovers_the_se_from_intervals_and_splits_series() -> None:
    history = pd.DataFrame({"run": np.tile(np.arange(8), 2), "metric": np.repeat(["a", "b"], 8),
                            "estimate": np.r_[np.arange(8) * 0.1, np.zeros(8) + np.arange(8) % 2 * 0.01],
                            "ci_low": -0.0196, "ci_high": 0.0196})
    result = trend(history, random_state=0)
    table = result.to_frame().set_index("metric")
    assert list(table.index) == ["a", "b"]
    assert result.sequence["standard_error"].to_numpy() == pytest.approx(np.full(16, 0.0196 / 1.959964), rel=1e-5)
    assert table.loc["a", "trend"] == "improving"
    with pytest.raises(InvalidParameterError, match="no time/run column"):
        trend(history.drop(columns="run"))


def test_change_point_found_where_planted() -> None:
    rng = np.random.default_rng(22)
    x = np.r_[rng.normal(0.8, 0.01, 25), rng.normal(0.77, 0.01, 15)]
    result = trend(pd.DataFrame({"run": np.arange(40), "estimate": x}), n_resamples=999, random_state=0)
    row = result.to_frame().iloc[0]
    assert row["change_detected"] and row["change_index"] == 25 and row["change_run"] == 25
    assert row["change_p_value"] <= 0.002


def test_change_point_false_alarm_rate_under_the_null() -> None:
    rng = np.random.default_rng(23)
    n_sims, runs, perms = 400, 20, 199
    alarms = 0
    series = rng.normal(0, 1, (n_sims, runs))
    stat, _ = cusum_statistic(series)
    for i in range(n_sims):  # the permutation test of trend(), vectorised over permutations
        null, _ = cusum_statistic(rng.permuted(np.broadcast_to(series[i], (perms, runs)), axis=1))
        alarms += int((1 + np.sum(null >= stat[i] - 1e-12)) / (perms + 1) <= 0.05)
    assert alarms / n_sims <= 0.05 + 0.027  # 400 sims: 0.05 + 2.5 SDs
    # trend() itself on a few null series agrees with the stated false-alarm rate in its output
    table = trend(pd.DataFrame({"run": np.tile(np.arange(runs), 20), "metric": np.repeat(np.arange(20), runs),
                                "estimate": rng.normal(0, 1, 20 * runs)}), n_resamples=199, random_state=0).to_frame()
    assert np.allclose(table["false_alarm_rate"], 0.05) and table["change_detected"].sum() <= 4


def test_anytime_interval_covers_under_continuous_monitoring() -> None:
    # 2,000 sequences of 200 runs with unequal SEs; a miss is ANY run whose interval excludes the truth
    rng = np.random.default_rng(24)
    n_seq, runs, alpha = 2000, 200, 0.05
    se = rng.uniform(0.5, 2.0, (n_seq, runs))
    x = 1.0 + se * rng.normal(size=(n_seq, runs))
    v = np.cumsum(1 / se**2, axis=1)
    centre = np.cumsum(x / se**2, axis=1) / v
    radius = normal_mixture_radius(v, alpha, anytime_rho(alpha, 10 / se[:, :1] ** 2))
    ever_missed = (np.abs(centre - 1.0) > radius).any(axis=1).mean()
    assert ever_missed <= alpha + 0.012  # 2,000 sequences: alpha + 2.5 SDs
    # a fixed-n interval looked at after every run misses far more often (why the option exists)
    naive = (np.abs(centre - 1.0) > 1.96 / np.sqrt(v)).any(axis=1).mean()
    assert naive > 0.2


# -- presentation: CLI, report section, plots ------------------------------------------------------
def test_cli_compare_on_wmt_names_regressions_and_underpowered_segments(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from alignlab.cli import app

    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", "--dataset", "wmt23_mqm_ende", "--baseline", "ONLINE-W",
                                      "--candidate", "NLLB_MBR_BLEU", "--cluster", "doc", "--lower-is-better",
                                      "--n-resamples", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Candidate NLLB_MBR_BLEU regresses score overall" in result.output
    assert "underpowered" in result.output
    table = pd.read_csv(out / "comparison.csv")
    overall = table.set_index("segment").loc["(all)"]
    assert overall["verdict"] == "regression" and overall["ci_low"] > 0  # MQM penalties: higher is worse
    assert (table["verdict"] == "underpowered").sum() >= 10
    payload = json.loads((out / "comparison.json").read_text())
    assert payload["cluster"] == "doc" and len(payload["comparisons"]) == len(table)
    page = (out / "index.html").read_text()
    assert "Version comparison" in page and "regresses" in page and "<svg" in page
    bad = CliRunner().invoke(app, ["compare", "--dataset", "wmt23_mqm_ende", "--baseline", "nope",
                                   "--candidate", "ONLINE-W"])
    assert bad.exit_code == 2 and "names system 'nope'" in bad.output
    neither = CliRunner().invoke(app, ["compare", "--dataset", "hanna"])
    assert neither.exit_code == 2 and "--baseline" in neither.output


def test_report_section_renders_for_two_systems_and_escapes() -> None:
    from alignlab.report import build_report

    frame = _frame(60, paired=True, shift=-0.5, seed=30, segments={"locale": ["en", "<b>ja</b>"]})
    page, built = build_report(_load(frame, segments=["locale"]), sections=["compare"], strict=True)
    section = next(b for b in built if b.spec.key == "compare")
    assert section.content is not None and section.content.status == "fail"
    assert "&lt;b&gt;ja&lt;/b&gt;" in page and "<b>ja</b>" not in page
    one_system = _load(frame[frame["system"] == "v1"])
    _, built = build_report(one_system, sections=["compare"], strict=True)
    assert built[0].content is None


def test_displays_draw_from_results() -> None:
    from alignlab.plot.compare import TrendDisplay, VersionComparisonDisplay

    frame = _frame(80, paired=True, shift=0.3, seed=31, segments={"locale": ["en", "ja"]})
    result = compare_versions(_load(frame, segments=["locale"]), baseline="v1", candidate="v2", n_resamples=100,
                              random_state=0)
    display = VersionComparisonDisplay.from_result(result).plot()
    assert len(display.ax_.get_yticklabels()) == 3
    assert "<svg" in display.to_svg()  # and closes the figure
    history = pd.DataFrame({"run": np.arange(10), "estimate": np.r_[np.zeros(5), np.ones(5)],
                            "standard_error": 0.1})
    trend_display = TrendDisplay.from_result(trend(history, n_resamples=99, random_state=0)).plot()
    assert trend_display.ax_.get_xlabel() == "run" and "<svg" in trend_display.to_svg()


def test_online_aggregates_are_compared_as_their_own_group() -> None:
    rng = np.random.default_rng(40)
    n = 300
    rows = []
    for system, p in (("v1", 0.30), ("v2", 0.22)):
        ids = [f"{system}:{i}" for i in range(n)]
        rows.append(pd.DataFrame({"item_id": ids, "prompt": np.arange(n), "rater_id": "h", "method": "human",
                                  "system": system, "value": rng.normal(3, 1, n)}))
        trials = rng.integers(5, 40, n)
        rows.append(pd.DataFrame({"item_id": ids, "prompt": np.arange(n), "rater_id": "thumbs_up", "method": "online",
                                  "system": system, "successes": rng.binomial(trials, p), "trials": trials}))
    frame = pd.concat(rows, ignore_index=True)
    j = load_judgments(frame, scale="continuous", system="system", successes="successes", trials="trials",
                       segments=["prompt"])
    table = compare_versions(j, baseline="v1", candidate="v2", n_resamples=200, random_state=0).to_frame()
    online = table.set_index("rater").loc["online"]
    agg = frame[frame["method"] == "online"]
    rate = (agg["successes"] / agg["trials"]).to_numpy()
    d = rate[agg["system"] == "v2"] - rate[agg["system"] == "v1"]
    assert online["metric"] == "thumbs_up" and online["verdict"] == "regression"
    assert online["difference"] == pytest.approx(d.mean())
    assert online["p_value"] == pytest.approx(stats.wilcoxon(d).pvalue)  # reference
    only_online = compare_versions(j, baseline="v1", candidate="v2", raters="online", ci_method="none").to_frame()
    assert only_online["rater"].tolist() == ["online"]


def test_trend_reads_a_metrics_store_history() -> None:
    store = pytest.importorskip("alignlab.metrics.store")
    rng = np.random.default_rng(41)
    runs = 14
    rows = []
    for feature, drift in (("chat", -0.01), ("story", 0.0)):
        for i in range(runs):
            rows.append({"run_id": f"run{i}", "run_label": f"2025.{i}", "system": f"v{i}", "feature": feature,
                         "run_date": pd.Timestamp("2025-01-01") + pd.Timedelta(days=7 * i), "created_at": None,
                         "metric": "helpfulness", "role": "north_star", "segment": "all",
                         "estimate": 0.7 + drift * i + rng.normal(0, 0.004), "standard_error": 0.004,
                         "higher_is_better": True})
    history = pd.DataFrame(rows).reindex(columns=list(store.HISTORY_COLUMNS))
    result = trend(history, random_state=0)
    table = result.to_frame().set_index("feature")
    assert result.time_column == "run_date" and result.by == ("feature",)
    assert table.loc["chat", "trend"] == "worsening" and table.loc["story", "trend"] == "no detectable trend"
    assert table.loc["chat", "n_runs"] == runs


def test_paired_permutation_test_matches_scipy_permutation_test() -> None:
    for n, n_resamples in ((8, 1000), (60, 4000)):
        frame = _frame(n, paired=True, shift=0.3, seed=42 + n)
        wide = frame.pivot(index="prompt", columns="system", values="value")
        d = (wide["v2"] - wide["v1"]).to_numpy()
        row = compare_versions(_load(frame), baseline="v1", candidate="v2", paired_test="permutation",
                               n_resamples=n_resamples, random_state=0).to_frame().iloc[0]
        ref = stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=20000,
                                     random_state=0)  # reference: exact (2^8 flips) for n = 8
        assert row["test"] == "paired permutation (sign flips)"
        if n == 8:
            assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
        else:
            assert row["p_value"] == pytest.approx(ref.pvalue, abs=0.015)  # two Monte Carlo p-values
