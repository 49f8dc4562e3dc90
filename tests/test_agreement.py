"""Exactness of alignlab.agreement against the reference implementations and published values.

Expected numbers come from reference libraries (krippendorff, scikit-learn, statsmodels, irrCAC,
pingouin) computed in the test (*reference*) or from published tables (*reference*, cited).
irrCAC rounds to 5 decimals, so it is compared at 1e-5; the others at 1e-9.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

import alignlab
from alignlab import agreement as ag
from alignlab._params import InvalidParameterError

DATA = Path(__file__).parent / "data" / "agreement"
WEIGHT_SCHEMES = ["identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"]


# --------------------------------------------------------------------------------------------------
# data helpers
# --------------------------------------------------------------------------------------------------
def from_matrix(matrix: np.ndarray, scale: str | alignlab.Scale = "ordinal") -> alignlab.Judgments:
    """items x raters matrix (NaN = missing) -> Judgments."""
    frame = pd.DataFrame(matrix).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value").dropna()
    frame["rater_id"] = "r" + frame["rater_id"].astype(str)
    return alignlab.load_judgments(frame, scale=scale, segments=[])


@pytest.fixture(scope="module")
def convabuse() -> alignlab.Judgments:
    frame = pd.read_csv(DATA / "convabuse_long_labels.csv.gz")
    frame = frame[frame["repeat_index"] == 0]
    return alignlab.load_judgments(frame, item="item_idx", rater="annotator_id", value="abuse_level",
                                   scale="ordinal", segments=[])


@pytest.fixture(scope="module")
def dices350() -> alignlab.Judgments:
    frame = pd.read_csv(DATA / "dices350_crowd_long.csv.gz")
    return alignlab.load_judgments(frame, rater="rating_position", value="q_overall_rating",
                                   scale="categorical", segments=[])


@pytest.fixture(scope="module")
def hanna() -> pd.DataFrame:
    return pd.read_csv(DATA / "hanna_human_ratings_long.csv.gz")


def hanna_criterion(hanna: pd.DataFrame, criterion: str, scale: str = "ordinal") -> alignlab.Judgments:
    frame = hanna[hanna["criterion"] == criterion]
    return alignlab.load_judgments(frame, item="story_id", rater="rater_position", value="score", scale=scale,
                                   segments=[])


def sexual_fun() -> alignlab.Judgments:
    counts = pd.read_csv(DATA / "vcd_SexualFun.csv")
    order = ["Never Fun", "Fairly Often", "Very Often", "Always fun"]
    rows = counts.loc[counts.index.repeat(counts["Freq"])].reset_index(drop=True)
    long = pd.concat([
        pd.DataFrame({"item_id": rows.index, "rater_id": "husband", "value": rows["Husband"]}),
        pd.DataFrame({"item_id": rows.index, "rater_id": "wife", "value": rows["Wife"]}),
    ])
    return alignlab.load_judgments(long, scale=alignlab.Scale.ordinal(order), segments=[])


def irrcac(judgments: alignlab.Judgments, weights: str = "identity") -> dict:
    from irrCAC.raw import CAC

    levels = [float(v) for v in judgments.scale.numeric_levels()]
    wide = pd.DataFrame(judgments.matrix("value"))
    # irrCAC uses pandas idioms deprecated in pandas 3 (chained inplace replace); not ours to fix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cac = CAC(wide, weights=weights, categories=levels)
        return {"gwet": cac.gwet()["est"], "fleiss": cac.fleiss()["est"], "bp": cac.bp()["est"]}


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha vs the krippendorff package
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_convabuse(convabuse: alignlab.Judgments, level: str) -> None:
    # reference: krippendorff 0.9 on the raters x items matrix (8 raters, 2-7 per item)
    expected = krippendorff.alpha(reliability_data=convabuse.matrix("value").T, level_of_measurement=level)
    result = ag.krippendorff_alpha(convabuse, level=level, ci_method="none")
    assert result.estimate == pytest.approx(expected, abs=1e-9)
    assert result.statistic == "krippendorff_alpha"
    assert result.level == level
    assert 1 - result.observed_disagreement / result.expected_disagreement == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_hanna(hanna: pd.DataFrame, level: str) -> None:
    j = hanna_criterion(hanna, "Coherence")
    expected = krippendorff.alpha(reliability_data=j.matrix("value").T, level_of_measurement=level)
    assert ag.krippendorff_alpha(j, level=level, ci_method="none").estimate == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("n_distinct", [30, 400])
def test_alpha_continuous_matches_krippendorff(level: str, n_distinct: int) -> None:
    # 30 distinct values take the dense path, 400 the sparse / sum-of-squares path
    rng = np.random.default_rng(3)
    truth = rng.normal(size=(80, 1))
    matrix = np.round(truth + 0.6 * rng.normal(size=(80, 5)), 1 if n_distinct == 30 else 6) + 10.0
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    j = from_matrix(matrix, scale="continuous")
    expected = krippendorff.alpha(reliability_data=matrix.T, level_of_measurement=level)
    assert ag.krippendorff_alpha(j, level=level, ci_method="none").estimate == pytest.approx(expected, abs=1e-9)


@given(
    matrix=arrays(np.float64, st.tuples(st.integers(3, 25), st.integers(2, 6)),
                  elements=st.sampled_from([1.0, 2.0, 3.0, 4.0, np.nan])),
    level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_random_inputs_match_krippendorff(matrix: np.ndarray, level: str) -> None:
    counts = np.sum(~np.isnan(matrix), axis=1)
    values = matrix[~np.isnan(matrix)]
    # alpha needs at least one pairable unit and two distinct pairable values
    pairable = matrix[counts >= 2]
    pairable_values = pairable[~np.isnan(pairable)]
    if np.unique(values).size < 2 or np.unique(pairable_values).size < 2:
        return
    j = from_matrix(matrix, scale=alignlab.Scale.ordinal([1, 2, 3, 4]))
    expected = krippendorff.alpha(reliability_data=matrix.T, level_of_measurement=level)
    assert ag.krippendorff_alpha(j, level=level, ci_method="none").estimate == pytest.approx(expected, abs=1e-9)


def test_alpha_published_dices350(dices350: alignlab.Judgments) -> None:
    # reference: JUDGE-BENCH (Bavaresco et al., ACL 2025) human alpha on DICES-350 crowd ratings = 0.160860
    # (results/regular JSON); list position used as rater id, nominal level, "Unsure" kept as a category.
    result = ag.krippendorff_alpha(dices350, level="nominal", ci_method="none")
    assert result.estimate == pytest.approx(0.160860, abs=5e-7)
    assert round(result.estimate, 3) == 0.161


@pytest.mark.parametrize("file", ["newsroom_ratings_long.csv.gz", "recipe_generation_ratings_long.csv.gz"])
def test_alpha_published_judgebench(file: str) -> None:
    # reference: JUDGE-BENCH published human Krippendorff alpha per criterion (ordinal level)
    published = pd.read_csv(DATA / "judgebench_published_human_alpha.csv")
    dataset = "newsroom" if file.startswith("newsroom") else "recipe-crowd-sourcing-data"
    published = published[published["dataset"] == dataset].set_index("criterion")["first"]
    ratings = pd.read_csv(DATA / file)
    assert len(published) >= 4
    for criterion, expected in published.items():
        frame = ratings[ratings["criterion"] == criterion]
        j = alignlab.load_judgments(frame, rater="rating_position", value="rating", scale="ordinal", segments=[])
        got = ag.krippendorff_alpha(j, level="ordinal", ci_method="none").estimate
        assert got == pytest.approx(expected, abs=1e-6), criterion


def test_alpha_interval_on_large_continuous_without_value_matrix() -> None:
    # 20,000 distinct values: krippendorff would need a 20,000^2 matrix; the SS formula is linear
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(5000, 1))
    matrix = truth + rng.normal(size=(5000, 4))
    j = from_matrix(matrix, scale="continuous")
    result = ag.krippendorff_alpha(j, level="interval", ci_method="none")
    # regression against the closed form: true reliability of one rating = 1 / (1 + 1) = 0.5
    assert result.estimate == pytest.approx(0.5, abs=0.03)
    # exact check of the SS identity against a direct one-way ANOVA computation (reference: statsmodels-free
    # closed form, Hayes & Krippendorff 2007): alpha = 1 - (n-1) sum SS_u m/(m-1) / (n SS_tot)
    n = matrix.size
    ss_within = ((matrix - matrix.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) * 4 / 3
    ss_tot = ((matrix - matrix.mean()) ** 2).sum()
    assert result.estimate == pytest.approx(1 - (n - 1) * ss_within.sum() / (n * ss_tot), abs=1e-9)


# --------------------------------------------------------------------------------------------------
# kappa family vs scikit-learn, statsmodels, irrCAC
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn_and_statsmodels(weights: str | None) -> None:
    j = sexual_fun()
    m = j.matrix("code")
    first, second = m[:, 0], m[:, 1]  # raters sorted: husband, wife
    expected = cohen_kappa_score(first, second, weights=weights, labels=[0, 1, 2, 3])
    result = ag.cohen_kappa(j, weights=weights)
    assert result.estimate == pytest.approx(expected, abs=1e-9)  # reference: scikit-learn
    table = pd.crosstab(first, second).reindex(index=range(4), columns=range(4), fill_value=0).to_numpy()
    if weights is None:
        sm = inter_rater.cohens_kappa(table)
    else:
        sm = inter_rater.cohens_kappa(table, weights=np.arange(4), wt=weights)
    assert result.estimate == pytest.approx(sm["kappa"], abs=1e-9)  # reference: statsmodels
    assert result.standard_error == pytest.approx(sm["std_kappa"], abs=1e-9)
    assert result.ci_method == "analytic(fleiss-cohen-everitt)"
    assert result.ci_low == pytest.approx(sm["kappa_low"], abs=1e-9)
    assert result.ci_high == pytest.approx(sm["kappa_upp"], abs=1e-9)
    assert result.n_items == 91


@given(
    pair=arrays(np.int64, st.tuples(st.integers(4, 40), st.just(2)), elements=st.integers(0, 3)),
    weights=st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_kappa_random_inputs_match_sklearn(pair: np.ndarray, weights: str | None) -> None:
    expected_pe_one = np.unique(pair[:, 0]).size == 1 and np.unique(pair[:, 1]).size == 1 and \
        pair[0, 0] == pair[0, 1]
    if expected_pe_one:
        return
    j = from_matrix(pair.astype(float), scale=alignlab.Scale.ordinal([0, 1, 2, 3]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sklearn divides by zero when p_e = 1
        expected = cohen_kappa_score(pair[:, 0], pair[:, 1], weights=weights, labels=[0, 1, 2, 3])
    got = ag.cohen_kappa(j, weights=weights, ci_method="none").estimate
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


def test_fleiss_matches_statsmodels_complete_designs(hanna: pd.DataFrame, dices350: alignlab.Judgments) -> None:
    for j in (hanna_criterion(hanna, "Relevance"), dices350):
        table = j.counts()
        expected = inter_rater.fleiss_kappa(table, method="fleiss")  # reference: statsmodels
        assert ag.fleiss_kappa(j, ci_method="none").estimate == pytest.approx(expected, abs=1e-9)
        # Brennan-Prediger = statsmodels' "randolph" free-marginal kappa (unweighted)
        expected_bp = inter_rater.fleiss_kappa(table, method="randolph")
        assert ag.brennan_prediger(j, ci_method="none").estimate == pytest.approx(expected_bp, abs=1e-9)


@pytest.mark.parametrize("weights", WEIGHT_SCHEMES)
def test_gwet_fleiss_bp_match_irrcac_unequal_raters(convabuse: alignlab.Judgments, weights: str) -> None:
    scale = convabuse.scale
    j = convabuse
    if weights == "ratio":  # irrCAC refuses a 0 category for ratio weights: shift labels to 1..5
        frame = convabuse.frame.assign(value=convabuse.frame["value"].astype(int) + 4)
        j = alignlab.load_judgments(frame, scale=alignlab.Scale.ordinal([1, 2, 3, 4, 5]), segments=[])
        scale = j.scale
    assert scale.n_categories == 5
    ref = irrcac(j, weights)  # reference: irrCAC 0.4.4 (rounded to 5 decimals)
    spec = None if weights == "identity" else weights
    for function, key in ((ag.gwet_ac, "gwet"), (ag.fleiss_kappa, "fleiss"), (ag.brennan_prediger, "bp")):
        result = function(j, weights=spec)
        assert result.estimate == pytest.approx(ref[key]["coefficient_value"], abs=1e-5), key
        assert result.standard_error == pytest.approx(ref[key]["se"], abs=1e-5), key
        assert result.ci_low == pytest.approx(ref[key]["confidence_interval"][0], abs=1e-5), key
        assert result.ci_high == pytest.approx(ref[key]["confidence_interval"][1], abs=1e-5), key
        assert result.observed_agreement == pytest.approx(ref[key]["pa"], abs=1e-5), key
        assert result.expected_agreement == pytest.approx(ref[key]["pe"], abs=1e-5), key


@given(
    matrix=arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(2, 5)),
                  elements=st.sampled_from([1.0, 2.0, 3.0, np.nan])),
    weights=st.sampled_from(["identity", "linear", "quadratic", "ordinal"]),
)
def test_gwet_family_random_inputs_match_irrcac(matrix: np.ndarray, weights: str) -> None:
    counts = np.sum(~np.isnan(matrix), axis=1)
    matrix = matrix[counts >= 1]
    if (np.sum(~np.isnan(matrix), axis=1) >= 2).sum() < 2 or np.unique(matrix[~np.isnan(matrix)]).size < 2:
        return  # irrCAC divides by zero when every judgment is in one category (tested separately)
    j = from_matrix(matrix, scale=alignlab.Scale.ordinal([1, 2, 3]))
    ref = irrcac(j, weights)
    spec = None if weights == "identity" else weights
    for function, key in ((ag.gwet_ac, "gwet"), (ag.fleiss_kappa, "fleiss"), (ag.brennan_prediger, "bp")):
        result = function(j, weights=spec, ci_method="none")
        expected = ref[key]["coefficient_value"]
        if not np.isfinite(result.estimate):
            assert ref[key]["pe"] == pytest.approx(1.0, abs=1e-5)
            continue
        assert result.estimate == pytest.approx(expected, abs=1e-5), key
        assert result.observed_agreement == pytest.approx(ref[key]["pa"], abs=1e-5)


def test_percent_agreement_matches_irrcac_pa(convabuse: alignlab.Judgments) -> None:
    ref = irrcac(convabuse)
    result = ag.percent_agreement(convabuse)
    assert result.estimate == pytest.approx(ref["gwet"]["pa"], abs=1e-5)  # reference: irrCAC p_a
    # analytic SE: the standard error of the mean of per-item agreement (hand computation)
    counts = convabuse.counts()
    r = counts.sum(axis=1)
    per_item = (counts * (counts - 1)).sum(axis=1)[r >= 2] / (r * (r - 1))[r >= 2]
    assert result.estimate == pytest.approx(per_item.mean(), abs=1e-12)
    n = len(r)
    dev = (per_item - per_item.mean()) * n / per_item.size
    assert result.standard_error == pytest.approx(np.sqrt((dev**2).sum() / (n * (n - 1))), abs=1e-12)


def test_scott_pi_equals_fleiss_with_two_raters_and_hand_value() -> None:
    j = sexual_fun()
    pi = ag.scott_pi(j)
    fk = ag.fleiss_kappa(j)
    assert pi.estimate == pytest.approx(fk.estimate, abs=1e-12)
    # hand computation (Scott 1955): pooled marginals m_k, p_e = sum m_k^2
    m = j.matrix("code").astype(int)
    table = np.zeros((4, 4))
    np.add.at(table, (m[:, 0], m[:, 1]), 1)
    p = table / table.sum()
    pooled = (p.sum(axis=0) + p.sum(axis=1)) / 2
    p_o, p_e = np.trace(p), (pooled**2).sum()
    assert pi.estimate == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-12)
    assert pi.expected_agreement == pytest.approx(p_e, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# intervals, selection and errors
# --------------------------------------------------------------------------------------------------
def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate(convabuse: alignlab.Judgments) -> None:
    a = ag.krippendorff_alpha(convabuse, level="ordinal", n_resamples=300, random_state=1)
    b = ag.krippendorff_alpha(convabuse, level="ordinal", n_resamples=300, random_state=1)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert a.ci_low < a.estimate < a.ci_high
    assert a.ci_method == "bootstrap-bca(items, 300)"
    p = ag.krippendorff_alpha(convabuse, level="ordinal", n_resamples=300, random_state=1,
                              ci_method="percentile")
    assert p.ci_method == "bootstrap-percentile(items, 300)"
    assert p.ci_low < p.estimate < p.ci_high
    # the bootstrap SE agrees with Gwet's analytic SE for AC1 within sampling error
    analytic = ag.gwet_ac(convabuse)
    boot = ag.gwet_ac(convabuse, ci_method="percentile", n_resamples=400, random_state=2)
    assert boot.standard_error == pytest.approx(analytic.standard_error, rel=0.2)
    none = ag.krippendorff_alpha(convabuse, ci_method="none")
    assert np.isnan(none.ci_low) and none.ci_method == "none"


def test_clustered_bootstrap_is_wider_for_correlated_items() -> None:
    # items come in clusters of 10 sharing one true value: resampling items ignores the correlation
    rng = np.random.default_rng(5)
    cluster_truth = np.repeat(rng.normal(size=30), 10)
    matrix = cluster_truth[:, None] + 0.7 * rng.normal(size=(300, 3))
    frame = pd.DataFrame(matrix).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value")
    frame["conversation"] = frame["item_id"] // 10
    j = alignlab.load_judgments(frame, scale="continuous", segments=["conversation"])
    plain = ag.krippendorff_alpha(j, level="interval", n_resamples=400, random_state=0)
    clustered = ag.krippendorff_alpha(j, level="interval", n_resamples=400, random_state=0, clusters="conversation")
    assert clustered.ci_method == "bootstrap-bca(clusters, clustered, 400)"
    assert clustered.standard_error > 1.5 * plain.standard_error


def test_selection_by_method_and_rater(convabuse: alignlab.Judgments) -> None:
    two = ag.cohen_kappa(convabuse, raters=["Annotator1", "Annotator2"])
    sub = convabuse.subset(raters=["Annotator1", "Annotator2"])
    m = sub.matrix("code")
    both = ~np.isnan(m).any(axis=1)
    expected = cohen_kappa_score(m[both, 0], m[both, 1], labels=[0, 1, 2, 3, 4])
    assert two.estimate == pytest.approx(expected, abs=1e-9)
    assert two.n_items == both.sum()
    assert any("only one of the two raters" in w for w in two.warnings)
    assert ag.fleiss_kappa(convabuse, raters="human").estimate == ag.fleiss_kappa(convabuse).estimate


def test_result_frame_has_base_and_agreement_columns(convabuse: alignlab.Judgments) -> None:
    frame = ag.fleiss_kappa(convabuse).to_frame()
    assert list(frame.columns[:4]) == ["statistic", "estimate", "ci_low", "ci_high"]
    assert {"level", "observed_agreement", "expected_agreement", "n_judgments"} <= set(frame.columns)
    assert frame.loc[0, "statistic"] == "fleiss_kappa"
    assert "fleiss_kappa" in str(ag.fleiss_kappa(convabuse))


def test_errors_name_the_problem_and_the_fix(convabuse: alignlab.Judgments, hanna: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="exactly two raters.*fleiss_kappa"):
        ag.cohen_kappa(convabuse)
    with pytest.raises(ValueError, match="exactly two raters"):
        ag.scott_pi(convabuse)
    continuous = from_matrix(np.random.default_rng(0).normal(size=(10, 3)), scale="continuous")
    with pytest.raises(ValueError, match="continuous scale.*krippendorff_alpha"):
        ag.fleiss_kappa(continuous)
    with pytest.raises(ValueError, match="continuous scale"):
        ag.cohen_kappa(continuous.subset(raters=["r0", "r1"]))
    categorical = from_matrix(np.array([[0, 1], [1, 1], [2, 2.0]]), scale="categorical")
    with pytest.raises(ValueError, match="needs ordered values.*level='nominal'"):
        ag.krippendorff_alpha(categorical, level="interval")
    with pytest.raises(ValueError, match="needs ordered categories"):
        ag.gwet_ac(categorical, weights="linear")
    with pytest.raises(ValueError, match="needs ordered categories"):
        ag.cohen_kappa(categorical, weights="linear")
    with pytest.raises(ValueError, match="must be 3 x 3"):
        ag.gwet_ac(categorical, weights=np.eye(2))
    with pytest.raises(ValueError, match="category 0"):
        ag.gwet_ac(convabuse, weights="ratio")
    with pytest.raises(InvalidParameterError, match="'level' parameter of krippendorff_alpha"):
        ag.krippendorff_alpha(convabuse, level="metric")
    with pytest.raises(InvalidParameterError, match="'ci_method' parameter of krippendorff_alpha"):
        ag.krippendorff_alpha(convabuse, ci_method="analytic")
    with pytest.raises(InvalidParameterError, match="'confidence_level' parameter of fleiss_kappa"):
        ag.fleiss_kappa(convabuse, confidence_level=1.5)
    with pytest.raises(InvalidParameterError, match="'n_resamples' parameter of gwet_ac"):
        ag.gwet_ac(convabuse, n_resamples=0)
    with pytest.raises(ValueError, match="column 'conversation', which is not in the judgments"):
        ag.krippendorff_alpha(convabuse, clusters="conversation")
    with pytest.raises(ValueError, match="needs a bootstrap interval"):
        ag.fleiss_kappa(alignlab.load_judgments(hanna, item="story_id", rater="rater_position", value="score",
                                                scale="ordinal", segments=["criterion"], duplicates="keep_last"),
                        clusters="criterion")
    with pytest.raises(ValueError, match="neither a method"):
        ag.fleiss_kappa(convabuse, raters="nobody")
    single = from_matrix(np.array([[1.0, np.nan], [np.nan, 2.0]]), scale=alignlab.Scale.ordinal([1, 2]))
    with pytest.raises(ValueError, match="at least two judgments"):
        ag.krippendorff_alpha(single)
    with pytest.raises(ValueError, match="at least two raters"):
        ag.fleiss_kappa(single)
    with pytest.raises(ValueError, match="no item in common"):
        ag.cohen_kappa(single)


def test_cluster_column_must_be_item_level() -> None:
    frame = pd.DataFrame({"item_id": [1, 1, 2, 2], "rater_id": ["a", "b", "a", "b"], "value": [1, 1, 2, 2],
                          "batch": ["x", "y", "x", "x"]})
    j = alignlab.load_judgments(frame, scale="ordinal", segments=["batch"])
    with pytest.raises(ValueError, match="constant within an item"):
        ag.krippendorff_alpha(j, clusters="batch")


def test_degenerate_single_category_is_nan_with_warning() -> None:
    j = from_matrix(np.ones((5, 3)), scale=alignlab.Scale.ordinal([1, 2]))
    result = ag.fleiss_kappa(j)
    assert np.isnan(result.estimate)
    assert any("undefined" in w for w in result.warnings)
    alpha = ag.krippendorff_alpha(j)
    assert np.isnan(alpha.estimate) and np.isnan(alpha.ci_low)


def test_repeated_judgments_use_the_last_one() -> None:
    # unsorted table with repeats (duplicates="keep_all"): the long view keeps the last judgment per pair
    frame = pd.DataFrame({"item_id": [2, 1, 1, 2, 1, 3, 3], "rater_id": ["a", "b", "a", "b", "a", "a", "b"],
                          "value": [1, 2, 3, 1, 2, 3, 3]})
    j = alignlab.load_judgments(frame, scale=alignlab.Scale.ordinal([1, 2, 3]), duplicates="keep_all", segments=[])
    result = ag.krippendorff_alpha(j, level="nominal", ci_method="none")
    # last values: item1 a=2 b=2, item2 a=1 b=1, item3 a=3 b=3 -> perfect agreement (reference: hand)
    assert result.estimate == pytest.approx(1.0)
    assert any("repeated judgments" in w for w in result.warnings)
    sorted_table = alignlab.load_judgments(frame.drop(index=2), scale=alignlab.Scale.ordinal([1, 2, 3]),
                                           segments=[])
    assert ag.krippendorff_alpha(sorted_table, ci_method="none").estimate == pytest.approx(1.0)


def test_selection_and_clusters_together() -> None:
    # regression: the restricted table must stay available to the cluster lookup
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"item_id": np.repeat(np.arange(60), 3), "rater_id": np.tile(["a", "b", "c"], 60),
                          "value": rng.integers(1, 4, size=180)})
    frame["conversation"] = frame["item_id"] // 4
    j = alignlab.load_judgments(frame, scale="ordinal", segments=["conversation"])
    result = ag.krippendorff_alpha(j, raters=["a", "b"], clusters="conversation", n_resamples=100, random_state=0)
    assert result.n_raters == 2
    assert result.ci_method == "bootstrap-bca(clusters, clustered, 100)"
    direct = krippendorff.alpha(j.subset(raters=["a", "b"]).matrix("value").T, level_of_measurement="nominal")
    assert result.estimate == pytest.approx(direct, abs=1e-12)  # reference: krippendorff
