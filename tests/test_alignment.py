"""alignlab.alignment: reference implementations, published figures and error paths.

Expected numbers are marked *reference* (scipy, ppi_py, scikit-learn, statsmodels, a published value) or
*regression* (our own output, pinned).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import alignlab
from alignlab import InvalidParameterError, Scale, load_judgments
from alignlab._array.alignment_rank import (
    KendallKernel,
    SpearmanKernel,
    dense_codes,
    weighted_pearson,
    weighted_spearman,
)
from alignlab._array.alignment_rows import rows_statistic
from alignlab.alignment import (
    Recalibrator,
    alt_test,
    calibration,
    compare_judges,
    correlate,
    human_ceiling,
    judge_biases,
    label_budget,
    method_matrix,
    online_alignment,
    ppi_arrays,
    ppi_mean,
    recalibrate,
    rogan_gladen,
    williams_test,
)
from alignlab.alignment.calibration import calibration_arrays
from alignlab.alignment.significance import _grouped_generic, _GroupedPairs, _zscore, perm_both

DATA = Path(__file__).resolve().parent / "data" / "alignment"


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def _two_methods(a: np.ndarray, b: np.ndarray, system: np.ndarray | None = None,
                 group: np.ndarray | None = None, scale: object = "continuous") -> alignlab.Judgments:
    n = len(a)
    frame = pd.DataFrame({"item": np.r_[np.arange(n), np.arange(n)], "rater": ["judge"] * n + ["h"] * n,
                          "method": ["llm_judge"] * n + ["human"] * n, "value": np.r_[a, b]})
    if system is not None:
        frame["system"] = np.r_[system, system].astype(str)
    if group is not None:
        frame["prompt"] = np.r_[group, group].astype(str)
    return load_judgments(frame, scale=scale, segments=["prompt"] if group is not None else None)


def _expand(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.repeat(x, w.astype(int))


# ------------------------------------------------------------------------------------------------
# kernels: every resample equals scipy on the re-expanded data (reference)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "discrete", "swap"), [(60, False, False), (300, True, False), (400, False, True),
                                                     (250, True, True)])
def test_weighted_rank_kernels_equal_scipy_on_resamples(n: int, discrete: bool, swap: bool) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    y = 0.6 * x + rng.normal(size=n)
    if discrete:  # x with more distinct values than y; swap=True puts the tree over x's bits
        x, y = np.round(x * 2), np.round(y)
    if swap:
        x, y = y, x
    w = rng.multinomial(n, np.full(n, 1 / n), size=4).astype(float)
    w[0] = 1.0  # the full sample (all weights 1)
    counts = KendallKernel(x, y).counts(w)
    for r in range(4):
        xe, ye = _expand(x, w[r]), _expand(y, w[r])
        # reference: scipy.stats on the resample itself
        assert KendallKernel.tau_b(counts)[r] == pytest.approx(stats.kendalltau(xe, ye).statistic, abs=1e-12)
        assert KendallKernel.tau_c(counts)[r] == pytest.approx(
            stats.kendalltau(xe, ye, variant="c").statistic, abs=1e-12)
        assert weighted_spearman(x, y, w)[r] == pytest.approx(stats.spearmanr(xe, ye).statistic, abs=1e-12)
        assert weighted_pearson(x, y, w)[r] == pytest.approx(stats.pearsonr(xe, ye).statistic, abs=1e-12)
        # reference: acc_23 = (C + T_xy) / all pairs, brute force over pairs
        iu = np.triu_indices(len(xe), 1)
        agree = np.sign(xe[:, None] - xe[None])[iu] == np.sign(ye[:, None] - ye[None])[iu]
        assert KendallKernel.acc_eq(counts)[r] == pytest.approx(agree.mean(), abs=1e-12)


@pytest.mark.parametrize(("discrete", "swap"), [(False, False), (True, False), (True, True)])
def test_kendall_kernel_deletion_rows_equal_scipy(discrete: bool, swap: bool) -> None:
    # 0/1 rows with few zeros (BCa jackknife) take the deletion formula; reference: scipy on the kept units,
    # and the tree path on the same rows
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=500), rng.normal(size=500)
    if discrete:
        x, y = np.round(x * 2), np.round(y)
    if swap:
        x, y = y, x
    w = np.ones((6, 500))
    for r in range(1, 6):
        w[r, rng.choice(500, size=20 * r, replace=False)] = 0.0
    w = np.vstack([w, rng.multinomial(500, np.full(500, 1 / 500), size=2)])  # mixed with bootstrap rows
    kernel = KendallKernel(x, y)
    counts = kernel.counts(w)
    tree = kernel._tree_counts(w)
    for key in counts:
        np.testing.assert_array_equal(counts[key], tree[key])
    for r in range(6):
        keep = w[r] == 1
        assert KendallKernel.tau_b(counts)[r] == pytest.approx(stats.kendalltau(x[keep], y[keep]).statistic,
                                                               abs=1e-12)
        assert KendallKernel.tau_c(counts)[r] == pytest.approx(
            stats.kendalltau(x[keep], y[keep], variant="c").statistic, abs=1e-12)


@pytest.mark.parametrize("discrete", [False, True])
def test_kendall_kernel_float_and_int64_paths(discrete: bool) -> None:
    # S = sum_{i<j} w_i w_j sign(dx) sign(dy) is quadratic in w: the float64 path (non-integer weights) and
    # the int64 path (weights too large for int32 partial sums) must scale the int32 result exactly
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=300), rng.normal(size=300)
    if discrete:
        x, y = np.round(x * 3), np.round(y * 2)
    w = rng.multinomial(300, np.full(300, 1 / 300), size=3).astype(float)
    kernel = KendallKernel(x, y)
    base = kernel.counts(w)["S"]
    # reference: brute-force pair sum
    sign = np.sign(x[:, None] - x[None]) * np.sign(y[:, None] - y[None])
    brute = np.einsum("bi,ij,bj->b", w, np.triu(sign, 1), w)
    np.testing.assert_allclose(base, brute, atol=1e-9)
    np.testing.assert_allclose(kernel.counts(w * 0.37)["S"], base * 0.37**2, rtol=1e-12)
    np.testing.assert_array_equal(kernel.counts(w * 40_000)["S"], base * 40_000**2)


@pytest.mark.parametrize("discrete", [False, True])
def test_spearman_kernel_non_integer_weights(discrete: bool) -> None:
    # non-integer weights take the float64 path; reference: weighted Pearson of the weighted mid-ranks
    # (before + (W_g + 1) / 2) computed group by group with bincount
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=200), rng.normal(size=200)
    if discrete:
        x, y = np.round(x * 2), np.round(y)
    w = rng.gamma(2.0, size=(3, 200))
    cx, gx = dense_codes(x)
    cy, gy = dense_codes(y)
    expected = weighted_pearson(weighted_midranks(cx, gx, w), weighted_midranks(cy, gy, w), w)
    np.testing.assert_allclose(SpearmanKernel(x, y)(w), expected, rtol=0, atol=1e-12)


def weighted_midranks(codes: np.ndarray, n_groups: int, w: np.ndarray) -> np.ndarray:
    """Reference: mid-ranks (1-based, ties averaged) under multiplicities ``w`` ``(b, n)``, group by group
    with one bincount (the kernel before the sorted-order cumulative sums)."""
    b = w.shape[0]
    flat = (codes[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_groups).ravel()
    group_weight = np.bincount(flat, weights=w.ravel(), minlength=b * n_groups).reshape(b, n_groups)
    before = np.cumsum(group_weight, axis=1) - group_weight
    mid = before + (group_weight + 1.0) / 2.0
    return np.take_along_axis(mid, np.broadcast_to(codes, w.shape), axis=1)


def test_rows_statistic_equals_scipy_with_missing_cells() -> None:
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(5, 12)), 1)
    y = np.round(x + rng.normal(size=(5, 12)), 0)
    x[0, 3] = np.nan
    y[2, 5] = np.nan
    for name, ref in [("pearson", lambda a, b: stats.pearsonr(a, b).statistic),
                      ("spearman", lambda a, b: stats.spearmanr(a, b).statistic),
                      ("kendall_b", lambda a, b: stats.kendalltau(a, b).statistic),
                      ("kendall_c", lambda a, b: stats.kendalltau(a, b, variant="c").statistic)]:
        got = rows_statistic(x, y, name)
        for r in range(5):
            ok = np.isfinite(x[r]) & np.isfinite(y[r])
            assert got[r] == pytest.approx(ref(x[r, ok], y[r, ok]), abs=1e-12)  # reference: scipy


# ------------------------------------------------------------------------------------------------
# correlate
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hanna_official() -> dict[str, alignlab.Judgments]:
    """HANNA (Chhun et al. 2024): human mean vs each LLM's mean over its 4 prompt configurations."""
    table = pd.read_csv(DATA / "hanna_human_llm.csv.gz")
    out = {}
    for criterion, short in [("Relevance", "RE"), ("Coherence", "CH"), ("Complexity", "CX")]:
        rows = [pd.DataFrame({"item": table.story_id, "rater": "human_mean", "method": "human",
                              "value": table[criterion], "system": table.model, "prompt": table.story_id % 96})]
        for llm in ["Beluga-13B", "Mistral-7B", "Llama-13B", "ChatGPT"]:
            mean = table[[f"{llm} {short} {k}" for k in range(1, 5)]].mean(axis=1)
            rows.append(pd.DataFrame({"item": table.story_id, "rater": llm, "method": "llm_judge", "value": mean,
                                      "system": table.model, "prompt": table.story_id % 96}))
        out[criterion] = load_judgments(pd.concat(rows), scale="continuous", segments=["prompt"])
    return out


# reference: shared/data/hanna README (helper's recomputation of the HANNA per-story scores, 1,056 stories)
HANNA_SPEARMAN = {
    "Relevance": [0.476, 0.470, 0.364, 0.373],
    "Coherence": [0.522, 0.453, 0.430, 0.456],
    "Complexity": [0.553, 0.495, 0.405, 0.451],
}


@pytest.mark.parametrize("criterion", list(HANNA_SPEARMAN))
def test_hanna_human_vs_llm_spearman_range(hanna_official, criterion: str) -> None:
    j = hanna_official[criterion]
    got = [correlate(j, raters=llm, reference="human", statistic="spearman", ci_method="none").estimate
           for llm in ["Beluga-13B", "Mistral-7B", "Llama-13B", "ChatGPT"]]
    np.testing.assert_allclose(got, HANNA_SPEARMAN[criterion], atol=5e-4)
    assert min(got) >= 0.36 and max(got) <= 0.56  # reference: the published range 0.364-0.553


def test_correlate_item_level_equals_scipy_and_interval_brackets(hanna_official) -> None:
    j = hanna_official["Coherence"]
    m = j.matrix("value")
    x, y = m[:, list(j.raters).index("ChatGPT")], m[:, list(j.raters).index("human_mean")]
    for statistic, ref in [("pearson", stats.pearsonr(x, y)), ("spearman", stats.spearmanr(x, y)),
                           ("kendall_b", stats.kendalltau(x, y)),
                           ("kendall_c", stats.kendalltau(x, y, variant="c"))]:
        r = correlate(j, raters="ChatGPT", statistic=statistic, n_resamples=200, random_state=0)
        assert r.estimate == pytest.approx(ref.statistic, abs=1e-12)  # reference: scipy
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)  # reference: scipy
        assert r.ci_low < r.estimate < r.ci_high
        assert r.n_items == 1056 and "bootstrap-bca(items, 200)" == r.ci_method


def test_correlate_system_and_grouped_levels(hanna_official) -> None:
    j = hanna_official["Coherence"]
    sys_r = correlate(j, raters="Beluga-13B", level="system", statistic="kendall_b", n_resamples=200, random_state=0)
    means = j.frame.pivot_table(index="system", columns="rater_id", values="value")
    ref = stats.kendalltau(means["Beluga-13B"], means["human_mean"]).statistic  # reference: scipy on means
    assert sys_r.estimate == pytest.approx(ref, abs=1e-12)
    assert sys_r.n_systems == 11
    grouped = correlate(j, raters="Beluga-13B", level="item_grouped", group="prompt", statistic="pearson",
                        n_resamples=200, random_state=0)
    per_prompt = j.frame.pivot_table(index=["prompt", "system"], columns="rater_id", values="value")
    ref_grouped = np.mean([stats.pearsonr(g["Beluga-13B"], g["human_mean"]).statistic
                           for _, g in per_prompt.groupby(level=0)])
    assert grouped.estimate == pytest.approx(ref_grouped, abs=1e-12)  # reference: mean of per-input scipy r
    assert grouped.n_groups == 96
    both = correlate(j, raters="Beluga-13B", level="system", resample="items_and_systems", n_resamples=300,
                     random_state=0)
    items_only = correlate(j, raters="Beluga-13B", level="system", n_resamples=300, random_state=0)
    # resampling systems too widens the interval (11 systems)
    assert (both.ci_high - both.ci_low) > (items_only.ci_high - items_only.ci_low)


def test_pairwise_and_soft_pairwise_accuracy(hanna_official) -> None:
    j = hanna_official["Complexity"]
    pa = correlate(j, raters="ChatGPT", level="system", statistic="pairwise_accuracy", n_resamples=100, random_state=0)
    means = j.frame.pivot_table(index="system", columns="rater_id", values="value")
    pairs = list(itertools.combinations(range(11), 2))
    h, m = means["human_mean"].to_numpy(), means["ChatGPT"].to_numpy()
    ref = np.mean([np.sign(h[a] - h[b]) == np.sign(m[a] - m[b]) for a, b in pairs])  # reference: Kocmi et al.
    assert pa.estimate == pytest.approx(ref)
    spa = correlate(j, raters="ChatGPT", level="system", statistic="soft_pairwise_accuracy", group="prompt",
                    n_permutations=200, n_resamples=100, random_state=0)
    assert 0.0 <= spa.estimate <= 1.0
    # identical metric and human give SPA = 1 (shared permutation masks)
    same = correlate(j, raters="human_mean", reference="human_mean", level="system", statistic="soft_pairwise_accuracy",
                     group="prompt", n_permutations=100, ci_method="none")
    assert same.estimate == 1.0


def test_acc_eq_tie_calibration_brute_force() -> None:
    rng = np.random.default_rng(7)
    n_groups, n_sys = 30, 6
    human = rng.integers(0, 4, size=(n_groups, n_sys)).astype(float)
    metric = human + rng.normal(0, 0.8, size=human.shape)
    metric = np.round(metric, 1)
    j = _two_methods(metric.ravel(), human.ravel(), system=np.tile(np.arange(n_sys), n_groups),
                     group=np.repeat(np.arange(n_groups), n_sys))
    res = correlate(j, raters="judge", level="item_grouped", group="prompt", statistic="acc_eq", n_resamples=100,
                    random_state=0)
    # reference: brute force over every candidate epsilon (Deutsch et al. 2023, mean per-item acc_eq)
    iu = np.triu_indices(n_sys, 1)
    dm = (metric[:, :, None] - metric[:, None, :])[:, iu[0], iu[1]]
    dh = (human[:, :, None] - human[:, None, :])[:, iu[0], iu[1]]
    best, best_eps = -1.0, None
    for eps in np.unique(np.r_[0.0, np.abs(dm).ravel()]):
        correct = np.where(np.abs(dm) <= eps, dh == 0, np.sign(dm) == np.sign(dh))
        acc = correct.mean(axis=1).mean()
        if acc > best + 1e-12:
            best, best_eps = acc, eps
    assert res.estimate == pytest.approx(best, abs=1e-12)
    assert res.epsilon == pytest.approx(best_eps)
    fixed = correlate(j, raters="judge", level="item_grouped", group="prompt", statistic="acc_eq", epsilon=0.0,
                      ci_method="none")
    assert fixed.estimate <= res.estimate
    # item level with epsilon = 0 is acc_23 from the Kendall pair counts (equal to brute force)
    item = correlate(j, raters="judge", statistic="acc_eq", epsilon=0.0, ci_method="none")
    x, y = metric.ravel(), human.ravel()
    iu2 = np.triu_indices(len(x), 1)
    brute = np.mean(np.sign(x[:, None] - x[None])[iu2] == np.sign(y[:, None] - y[None])[iu2])
    assert item.estimate == pytest.approx(brute, abs=1e-12)
    calibrated_item = correlate(j, raters="judge", statistic="acc_eq", n_resamples=50, random_state=0)
    assert calibrated_item.estimate >= item.estimate


def test_binary_labels_pearson_spearman_kendall_identity_as_in_judge_bench() -> None:
    """JUDGE-BENCH publishes pearson = spearman = kendall for its binary categorical tasks (the per-item
    LLM outputs are not released, so the correlations themselves cannot be recomputed); the identity
    holds for any two binary variables."""
    published = pd.read_csv(DATA / "judgebench_published_results.csv.gz")
    binary = published[published["dataset"].isin(["toxic-chat", "llmbar-natural", "cola"])].dropna(
        subset=["pearson"])
    assert len(binary) >= 20
    np.testing.assert_allclose(binary["pearson"], binary["spearman"], atol=1e-9)  # reference: published
    np.testing.assert_allclose(binary["pearson"], binary["kendall"], atol=1e-9)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 500)
    b = np.where(rng.random(500) < 0.8, a, 1 - a)
    j = _two_methods(a, b, scale="binary")
    got = [correlate(j, raters="judge", statistic=s, ci_method="none").estimate
           for s in ("pearson", "spearman", "kendall_b")]
    np.testing.assert_allclose(got, got[0], atol=1e-12)


def test_correlate_consensus_frame_and_errors(hanna_official) -> None:
    j = hanna_official["Relevance"]
    cons = pd.DataFrame({"item_id": j.items, "consensus": np.linspace(1, 5, j.n_items)})
    r = correlate(j, raters="ChatGPT", consensus=cons, ci_method="none")
    assert r.n_items == 1056
    with pytest.raises(ValueError, match="neither a method"):
        correlate(j, raters="GPT-9")
    with pytest.raises(InvalidParameterError, match="'statistic' parameter of correlate"):
        correlate(j, raters="ChatGPT", statistic="tau")
    with pytest.raises(ValueError, match="needs group=COLUMN"):
        correlate(j, raters="ChatGPT", level="item_grouped")
    with pytest.raises(ValueError, match="use level='system'"):
        correlate(j, raters="ChatGPT", statistic="pairwise_accuracy")
    with pytest.raises(ValueError, match="no numeric 'consensus'"):
        correlate(j, raters="ChatGPT", consensus=pd.DataFrame({"item_id": j.items, "label": "x"}))
    no_system = _two_methods(np.arange(10.0), np.arange(10.0))
    with pytest.raises(ValueError, match="need a 'system' column"):
        correlate(no_system, raters="judge", level="system")
    categorical = load_judgments(pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "rater": ["a", "b"] * 3,
                                               "value": ["x", "y", "x", "x", "z", "y"]}), scale="categorical")
    with pytest.raises(ValueError, match="unordered categorical"):
        correlate(categorical, raters="a", reference="b")


# ------------------------------------------------------------------------------------------------
# compare_judges
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("statistic", ["kendall_b", "acc_eq", "pairwise_accuracy"])
def test_perm_both_grouped_pairs_equal_the_recomputed_statistic(statistic: str) -> None:
    # reference: the generic path re-computes the item-grouped statistic on every permuted array; the
    # all-permutations quadratic-form evaluator must give the same deltas (ties and missing cells included)
    rng = np.random.default_rng(11)
    n_sys, n_groups = 6, 40
    system = np.tile(np.arange(n_sys), n_groups)
    group = np.repeat(np.arange(n_groups), n_sys)
    keep = rng.random(system.size) < 0.85
    system, group = system[keep], group[keep]
    m1, m2, h = (np.round(rng.normal(size=system.size)) for _ in range(3))
    z1, z2 = _zscore(m1), _zscore(m2)
    swap = rng.random((60, system.size)) < 0.5
    swap[0] = False
    fast = _GroupedPairs(statistic, system, group, n_sys, n_groups).deltas(z1, z2, h, swap)
    slow = _grouped_generic(statistic, system, group, n_sys, n_groups).deltas(z1, z2, h, swap)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
    assert np.isfinite(fast).all() and np.ptp(fast) > 0
    # and through perm_both: the same p-value with the same seed
    p_fast = perm_both(m1, m2, h, _GroupedPairs(statistic, system, group, n_sys, n_groups), n_permutations=99,
                       rng=np.random.default_rng(1), batch=33)
    p_slow = perm_both(m1, m2, h, _grouped_generic(statistic, system, group, n_sys, n_groups), n_permutations=99,
                       rng=np.random.default_rng(1), batch=33)
    assert p_fast == pytest.approx(p_slow, abs=1e-12)


def test_williams_test_reference_value() -> None:
    # reference: Steiger (1980) eq. 6 worked by hand for r13 = .5, r23 = .3, r12 = .4, n = 100:
    # K = 1 - .16 - .25 - .09 + 2*.4*.5*.3 = .62; denominator = 2*.62*99/97 + (.8^2/4)*.6^3 = 1.30013;
    # t = .2 * sqrt(99 * 1.4) / sqrt(1.30013) = 2.35458 / 1.14024 = 2.0650
    t, p = williams_test(0.4, 0.5, 0.3, 100)
    assert t == pytest.approx(2.0650, abs=2e-4)
    assert p == pytest.approx(stats.t.sf(t, 97))


def test_compare_judges_clusters_separate_a_clearly_worse_judge() -> None:
    rng = np.random.default_rng(11)
    n = 600
    truth = rng.normal(size=n)
    frame = [pd.DataFrame({"item": np.arange(n), "rater": "h", "method": "human", "value": truth})]
    for name, noise in [("good_a", 0.5), ("good_b", 0.52), ("bad", 2.0)]:
        frame.append(pd.DataFrame({"item": np.arange(n), "rater": name, "method": "llm_judge",
                                   "value": truth + rng.normal(0, noise, n)}))
    j = load_judgments(pd.concat(frame), scale="continuous")
    res = compare_judges(j, raters=["good_a", "good_b", "bad"], n_permutations=300, n_resamples=200,
                         random_state=0)
    table = res.to_frame().set_index("judge")
    assert table.loc["bad", "cluster"] == 2
    assert table.loc["good_a", "cluster"] == table.loc["good_b", "cluster"] == 1
    pairs = res.pairs
    assert (pairs.loc[pairs["worse"] == "bad", "p_value"] < 0.01).all()
    assert (pairs.loc[pairs["worse"] == "bad", "p_value_williams"] < 0.01).all()
    with pytest.raises(ValueError, match="at least two judges"):
        compare_judges(j, raters=["good_a"])


# ------------------------------------------------------------------------------------------------
# alt-test and human ceiling
# ------------------------------------------------------------------------------------------------
def _alttest_judgments(name: str) -> alignlab.Judgments:
    human = pd.read_csv(DATA / f"alttest_{name}_human.csv.gz")
    llm = pd.read_csv(DATA / f"alttest_{name}_llm.csv.gz")
    frame = pd.concat([
        pd.DataFrame({"item": human.item_id, "rater": human.annotator_id, "method": "human",
                      "value": human.label.astype(str)}),
        pd.DataFrame({"item": llm.item_id, "rater": llm.llm, "method": "llm_judge", "value": llm.label.astype(str)}),
    ])
    scale = Scale.categorical(["model_a", "model_b", "tie"]) if name == "mtbench" else \
        Scale.ordinal(["1", "2", "3", "4", "5"])
    return load_judgments(frame, scale=scale)


def _alt_test_loops(human: pd.DataFrame, llm: dict, score, epsilon: float, q: float) -> tuple[float, float]:
    """Independent plain-Python implementation of the published procedure (Calderon et al. 2025, Alg. 1)."""
    by_item: dict = {}
    for row in human.itertuples(index=False):
        by_item.setdefault(row.item_id, {})[row.annotator_id] = row.label
    p_values, rhos = [], []
    for annotator in sorted(human.annotator_id.unique()):
        wf, wh = [], []
        for item, labels in by_item.items():
            if annotator not in labels or item not in llm or len(labels) < 2:
                continue
            others = [v for k, v in labels.items() if k != annotator]
            s_h, s_f = score(labels[annotator], others), score(llm[item], others)
            wf.append(float(s_f >= s_h))
            wh.append(float(s_h >= s_f))
        if len(wf) < 30:
            continue
        d = np.array(wh) - np.array(wf)
        p_values.append(stats.ttest_1samp(d, epsilon, alternative="less").pvalue)
        rhos.append(np.mean(wf))
    m = len(p_values)
    order = np.argsort(p_values)
    harmonic = np.sum(1 / np.arange(1, m + 1))
    passed = [p_values[i] <= (k + 1) / m * q / harmonic for k, i in enumerate(order)]
    n_reject = max([k + 1 for k, ok in enumerate(passed) if ok], default=0)
    return n_reject / m, float(np.mean(rhos))


def test_alt_test_matches_the_published_procedure_on_mtbench() -> None:
    j = _alttest_judgments("mtbench")
    human = pd.read_csv(DATA / "alttest_mtbench_human.csv.gz")
    llm = pd.read_csv(DATA / "alttest_mtbench_llm.csv.gz")
    for judge in ["gpt-4o", "gemini_pro", "mistral-v03"]:
        labels = dict(zip(llm.loc[llm.llm == judge, "item_id"], llm.loc[llm.llm == judge, "label"], strict=True))
        ref_omega, ref_rho = _alt_test_loops(human, labels, lambda p, o: np.mean([p == x for x in o]), 0.2, 0.05)
        res = alt_test(j, raters=judge, epsilon=0.2, n_resamples=100, random_state=0)
        assert res.winning_rate == pytest.approx(ref_omega)  # reference: the published algorithm
        assert res.advantage_probability == pytest.approx(ref_rho)
    # regression: at the experts' epsilon = 0.2 no LLM passes on MT-Bench; gpt-4o has the best rho
    res = alt_test(j, raters="gpt-4o", epsilon=0.2, n_resamples=200, random_state=0)
    assert not res.passed and res.advantage_probability == pytest.approx(0.7731, abs=1e-3)
    assert res.ci_low < res.advantage_probability < res.ci_high


def test_alt_test_summeval_neg_rmse_matches_the_published_procedure() -> None:
    j = _alttest_judgments("summeval")
    human = pd.read_csv(DATA / "alttest_summeval_human.csv.gz")
    llm = pd.read_csv(DATA / "alttest_summeval_llm.csv.gz")
    sub = llm[llm.llm == "mistral-v03"]
    labels = dict(zip(sub.item_id, sub.label.astype(float), strict=True))
    human = human.assign(label=human.label.astype(float))
    ref = _alt_test_loops(human, labels, lambda p, o: -math.sqrt(np.mean([(p - x) ** 2 for x in o])), 0.2, 0.05)
    res = alt_test(j, raters="mistral-v03", epsilon=0.2, metric="neg_rmse", n_resamples=100, random_state=0)
    assert (res.winning_rate, res.advantage_probability) == pytest.approx(ref)  # reference: published algorithm
    assert res.n_raters == 3 and not res.passed


# reference: the authors' own run on the paper's data (nitaytech/AltTest, alt_test_example.ipynb, printed
# to 2 decimals: "mtbench gpt-4o [FAILED]: Winning Rate=0.00 Advantage Probability=0.77", ...), epsilon 0.2
PUBLISHED_ALT_TEST = {
    "mtbench": ("accuracy", {"gemini_flash": 0.72, "gemini_pro": 0.76, "gpt-4o": 0.77, "llama-31": 0.69,
                             "gpt-4o-mini": 0.74, "mistral-v03": 0.68}),
    "summeval": ("neg_rmse", {"gemini_flash": 0.46, "gemini_pro": 0.44, "gpt-4o": 0.48, "llama-31": 0.58,
                              "gpt-4o-mini": 0.54, "mistral-v03": 0.62}),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_ALT_TEST))
def test_alt_test_reproduces_the_published_results(name: str) -> None:
    metric, published = PUBLISHED_ALT_TEST[name]
    j = _alttest_judgments(name)
    for judge, rho in published.items():
        res = alt_test(j, raters=judge, epsilon=0.2, metric=metric, n_resamples=10, random_state=0)
        assert round(res.winning_rate, 2) == 0.0 and not res.passed  # published: every LLM fails at 0.2
        assert round(res.advantage_probability, 2) == rho, judge


def test_alt_test_input_validation() -> None:
    j = _alttest_judgments("mtbench")
    with pytest.raises(ValueError, match="No human annotator has 100 items"):
        alt_test(j, raters="gpt-4o", min_items_per_human=100)
    with pytest.raises(ValueError, match="must name one rater"):
        alt_test(j, raters="llm_judge")
    with pytest.raises(ValueError, match="at least 2 human raters"):
        alt_test(j, raters="gpt-4o", reference=["author_0"])
    with pytest.raises(ValueError, match="needs ordered scores"):
        alt_test(j, raters="gpt-4o", metric="neg_rmse")
    with pytest.raises(InvalidParameterError, match="'epsilon' parameter of alt_test"):
        alt_test(j, raters="gpt-4o", epsilon=1.5)


def test_human_ceiling_pandalm() -> None:
    j = alignlab.datasets.load("pandalm")
    res = human_ceiling(j, raters="gpt-3.5-turbo", n_resamples=200)
    # regression: humans agree far better (the set was filtered for agreement) than gpt-3.5 does
    assert res.ceiling == pytest.approx(0.9383, abs=2e-3)
    assert res.estimate == pytest.approx(0.7716, abs=2e-3)
    assert res.gap_high < 0 and res.n_raters == 3
    assert set(res.per_rater.columns) >= {"rater_id", "human_agreement", "judge_agreement"}


# ------------------------------------------------------------------------------------------------
# PandaLM: Cohen's kappa between the annotators through method_matrix (reference: PandaLM README)
# ------------------------------------------------------------------------------------------------
def test_method_matrix_reproduces_pandalm_kappas() -> None:
    table = method_matrix(alignlab.datasets.load("pandalm"), n_resamples=50).to_frame()
    kappa = table[table.statistic == "cohen_kappa"].set_index(["unit_a", "unit_b"])["estimate"]
    # reference: PandaLM README table 0.85 / 0.88 / 0.86 (recomputed 0.852 / 0.879 / 0.862)
    assert kappa[("annotator1", "annotator2")] == pytest.approx(0.852, abs=5e-4)
    assert kappa[("annotator1", "annotator3")] == pytest.approx(0.879, abs=5e-4)
    assert kappa[("annotator2", "annotator3")] == pytest.approx(0.862, abs=5e-4)
    assert {"spearman", "cohen_kappa"} <= set(table.statistic)
    assert (table.ci_low <= table.estimate).all() and (table.estimate <= table.ci_high).all()


# ------------------------------------------------------------------------------------------------
# PPI (reference: ppi_py)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [None, 0.0, 0.5, 1.0])
def test_ppi_equals_ppi_py(lam: float | None) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    rng = np.random.default_rng(5)
    y = rng.binomial(1, 0.4, 100).astype(float)
    f = np.clip(y * 0.6 + rng.normal(0.2, 0.2, 100), 0, 1)
    fu = np.clip(rng.binomial(1, 0.4, 2000) * 0.6 + rng.normal(0.2, 0.2, 2000), 0, 1)
    low, high = ppi_py.ppi_mean_ci(y, f, fu, alpha=0.1, lam=lam)
    got = ppi_arrays(y, f, fu, lam=lam, confidence_level=0.9)
    assert got["ci_low"] == pytest.approx(float(np.ravel(low)[0]), abs=1e-6)  # reference: ppi_py
    assert got["ci_high"] == pytest.approx(float(np.ravel(high)[0]), abs=1e-6)
    est = ppi_py.ppi_mean_pointestimate(y, f, fu, lam=lam)
    assert got["estimate"] == pytest.approx(float(np.ravel(est)[0]), abs=1e-6)


def test_ppi_mean_on_judgments_and_errors() -> None:
    rng = np.random.default_rng(2)
    n = 800
    q = rng.normal(size=n)
    rows = [pd.DataFrame({"item": np.arange(n), "rater": "judge", "method": "llm_judge",
                          "value": q + rng.normal(0, 0.4, n)}),
            pd.DataFrame({"item": np.arange(120), "rater": "h", "method": "human", "value": q[:120]})]
    j = load_judgments(pd.concat(rows), scale="continuous")
    res = ppi_mean(j, raters="judge")
    assert res.n_labelled == 120 and res.n_unlabelled == 680
    assert res.ci_high - res.ci_low < res.classical_ci_high - res.classical_ci_low
    assert res.effective_n > 120
    crossfit = ppi_mean(j, raters="judge", cross_fit=5, random_state=0)
    assert 0 <= crossfit.lam <= 1 and crossfit.ci_low < crossfit.estimate < crossfit.ci_high
    with pytest.raises(ValueError, match="no unlabelled items"):
        ppi_mean(j.subset(items=list(range(120))), raters="judge")
    with pytest.raises(InvalidParameterError, match="'lam' parameter"):
        ppi_mean(j, raters="judge", lam=2.0)


def test_rogan_gladen_and_label_budget() -> None:
    rng = np.random.default_rng(4)
    n, n_cal = 4000, 400
    truth = rng.random(n) < 0.3
    judge = np.where(truth, rng.random(n) < 0.9, rng.random(n) < 0.2)  # sensitivity .9, specificity .8
    rows = [pd.DataFrame({"item": np.arange(n), "rater": "judge", "method": "llm_judge", "value": judge.astype(int)}),
            pd.DataFrame({"item": np.arange(n_cal), "rater": "h", "method": "human",
                          "value": truth[:n_cal].astype(int)})]
    j = load_judgments(pd.concat(rows), scale="binary")
    res = rogan_gladen(j, raters="judge")
    assert res.ci_low < 0.3 < res.ci_high  # truth 0.3, apparent rate ~0.41
    assert res.apparent > 0.35
    assert res.sensitivity == pytest.approx(0.9, abs=0.06) and res.specificity == pytest.approx(0.8, abs=0.06)
    plan = label_budget(j, raters="judge", target_width=0.05)
    rec = plan.recommended
    assert rec["n_labelled"] < rec["n_human_only"]
    assert rec["width"] <= 0.05 + 1e-9
    with pytest.raises(ValueError, match="binary scale"):
        rogan_gladen(_two_methods(np.arange(20.0), np.arange(20.0)), raters="judge")


# ------------------------------------------------------------------------------------------------
# calibration
# ------------------------------------------------------------------------------------------------
def test_calibration_matches_scikit_learn() -> None:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    rng = np.random.default_rng(9)
    p = rng.uniform(size=2000)
    y = (rng.uniform(size=2000) < p**1.3).astype(float)
    metrics, bins = calibration_arrays(p, y, n_bins=10, n_resamples=100, random_state=0)
    frac, mean_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    present = bins[bins.n > 0]
    np.testing.assert_allclose(present.observed_rate, frac, atol=1e-12)  # reference: scikit-learn
    np.testing.assert_allclose(present.mean_predicted, mean_pred, atol=1e-12)
    m = metrics.set_index("metric")["estimate"]
    assert m["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)  # reference: scikit-learn
    decomposition = m["brier_reliability"] - m["brier_resolution"] + m["brier_uncertainty"] + m["brier_within_bin"]
    assert decomposition == pytest.approx(m["brier"], abs=1e-12)
    ece = np.sum(bins.n[bins.n > 0] / 2000 * np.abs(present.observed_rate - present.mean_predicted))
    assert m["ece"] == pytest.approx(ece)
    assert m["mce"] >= m["ece"]
    assert (bins.ci_low[bins.n > 0] <= bins.observed_rate[bins.n > 0]).all()


def test_calibration_on_judgments_variants_and_errors() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(size=500)
    j = _two_methods(p, (rng.uniform(size=500) < p).astype(float), scale=Scale.continuous(0, 1))
    pos = calibration(j, raters="judge", n_resamples=100, random_state=0)
    top = calibration(j, raters="judge", variant="top-label", binning="equal-mass", n_resamples=100,
                      random_state=0)
    assert pos.method == "ece[positive-class, 15 equal-width bins]"
    assert top.method == "ece[top-label, 15 equal-mass bins]"
    assert pos.to_frame().metric.tolist()[:3] == ["ece", "debiased_l2_ce", "mce"]
    ordinal = _two_methods(np.arange(30.0) % 5 + 1, np.arange(30.0) % 5 + 1, scale=Scale.ordinal([1, 2, 3, 4, 5]))
    with pytest.raises(ValueError, match="binary human labels"):
        calibration(ordinal, raters="judge")


@pytest.mark.parametrize("method", ["platt", "isotonic", "temperature", "beta"])
def test_recalibrator_is_a_sklearn_transformer(method: str) -> None:
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    truth = rng.uniform(0.02, 0.98, size=1500)
    raw = 1 / (1 + np.exp(-2.5 * np.log(truth / (1 - truth))))  # overconfident
    y = (rng.uniform(size=1500) < truth).astype(float)
    model = clone(Recalibrator(method)).fit(raw, y)
    out = model.transform(raw)
    assert out.shape == (1500,) and (0 <= out).all() and (out <= 1).all()
    if method == "platt":  # reference: logistic regression on the logit
        ref = LogisticRegression(C=np.inf).fit(np.log(raw / (1 - raw))[:, None], y)
        np.testing.assert_allclose(out, ref.predict_proba(np.log(raw / (1 - raw))[:, None])[:, 1], atol=1e-4)
    if method == "temperature":
        assert model.temperature_ == pytest.approx(2.5, rel=0.15)
    j = _two_methods(raw, y, scale=Scale.continuous(0, 1))
    fitted = recalibrate(j, raters="judge", method=method, random_state=0)
    assert fitted.ece_after_ < fitted.ece_before_
    assert len(fitted.cross_fitted_) == 1500


# ------------------------------------------------------------------------------------------------
# judge biases, online signals
# ------------------------------------------------------------------------------------------------
def test_judge_biases_pandalm_length_and_position() -> None:
    j = alignlab.datasets.load("pandalm")
    table = judge_biases(j, raters="gpt-3.5-turbo", length_a="len_a", length_b="len_b").to_frame()
    assert list(table.columns[:5]) == ["bias", "estimate", "ci_low", "ci_high", "n"]
    rows = table.set_index("bias")
    assert {"first_position_rate", "prefers_longer", "length_slope"} <= set(rows.index)
    assert (rows.ci_low <= rows.estimate).all()


def test_judge_biases_recover_simulated_biases() -> None:
    rng = np.random.default_rng(8)
    # 300 comparisons, each shown in both orders (600 items)
    quality_diff = rng.normal(size=300)
    human = np.where(quality_diff > 0, "A", "B")
    # the judge picks the first position 30% of the time regardless of quality
    rows = []
    for k in range(300):
        for order in (0, 1):
            item = 2 * k + order
            truth_a = (quality_diff[k] > 0) if order == 0 else (quality_diff[k] <= 0)
            verdict = "A" if rng.random() < 0.3 else ("A" if truth_a else "B")
            rows.append({"item": item, "rater": "judge", "method": "llm_judge", "value": verdict, "pair": k})
            rows.append({"item": item, "rater": "h", "method": "human",
                         "value": ("A" if truth_a else "B"), "pair": k})
    j = load_judgments(pd.DataFrame(rows), scale="pairwise", segments=["pair"])
    table = judge_biases(j, raters="judge", swap="pair").to_frame().set_index("bias")
    # truth: first-position rate 0.3 + 0.7 * 0.5 = 0.65; in each pair one order has the true winner first
    # (always "A") and the other is right with probability 0.7, so consistency 0.7 and flip rate 0.3
    assert table.loc["first_position_rate", "ci_low"] < 0.65 < table.loc["first_position_rate", "ci_high"]
    assert table.loc["position_consistency", "ci_low"] < 0.7 < table.loc["position_consistency", "ci_high"]
    assert table.loc["position_flip_rate", "ci_low"] < 0.3 < table.loc["position_flip_rate", "ci_high"]
    assert human.size == 300
    lenient = _two_methods(np.arange(200.0) % 5 + 1.5, np.arange(200.0) % 5 + 1)
    table = judge_biases(lenient, raters="judge").to_frame().set_index("bias")
    assert table.loc["leniency", "estimate"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="not in the table"):
        judge_biases(j, raters="judge", swap="nope")


def test_online_alignment_attenuation_correction() -> None:
    rng = np.random.default_rng(12)
    n = 2000
    q = rng.normal(size=n)
    trials = rng.integers(3, 30, size=n)
    p = 1 / (1 + np.exp(-q))
    judged = pd.DataFrame({"item": np.arange(n), "rater": "judge", "method": "llm_judge", "value": q})
    agg = pd.DataFrame({"item": np.arange(n), "rater": "thumbs", "method": "online",
                        "successes": rng.binomial(trials, p), "trials": trials})
    j = load_judgments(pd.concat([judged, agg]), scale="continuous")
    res = online_alignment(j, level="item", n_resamples=200, random_state=0).to_frame().iloc[0]
    true_r = np.corrcoef(q, p)[0, 1]  # correlation with the noise-free rate
    assert res.estimate < true_r - 0.1  # attenuated by binomial noise
    assert res.corrected_low < true_r < res.corrected_high
    with pytest.raises(ValueError, match="No online aggregates"):
        online_alignment(_two_methods(np.arange(10.0), np.arange(10.0)))


def test_scale_mapping_ordinal_judge() -> None:
    from sklearn.isotonic import IsotonicRegression

    from alignlab.alignment import scale_mapping

    rng = np.random.default_rng(6)
    human = rng.integers(1, 6, 400).astype(float)
    judge = np.clip(np.round(human * 2 + rng.normal(0, 1.5, 400)), 1, 10)  # a 1-10 judge of 1-5 humans
    j = _two_methods(judge, human, scale=Scale.ordinal(list(range(1, 11))))
    table = scale_mapping(j, raters="judge").to_frame()
    means = pd.Series(human).groupby(judge).mean()
    np.testing.assert_allclose(table["human_mean"], means.to_numpy())  # reference: pandas groupby
    iso = IsotonicRegression(out_of_bounds="clip").fit(judge, human)  # reference: scikit-learn
    np.testing.assert_allclose(table["isotonic_human_score"], iso.predict(means.index.to_numpy(float)))
    assert table["n"].sum() == 400 and (table["ci_low"] <= table["human_mean"]).all()
