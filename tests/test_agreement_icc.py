"""ICC against pingouin (complete designs) and the mixed-model path; Kendall's W against scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

import alignlab
from alignlab import agreement as ag
from alignlab._params import InvalidParameterError
from alignlab.agreement._core import long_data
from alignlab.agreement.icc import _icc_from_components, _mixed_model_components

DATA = Path(__file__).parent / "data" / "agreement"
# pingouin 0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3: a reference-library warning
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.dropna:pandas.errors.Pandas4Warning")
PINGOUIN_TYPES = {"ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)", "ICC1k": "ICC(1,k)",
                  "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)"}


def wine() -> tuple[pd.DataFrame, alignlab.Judgments]:
    frame = pd.read_csv(DATA / "pingouin_icc_wine_judges.csv")
    return frame, alignlab.load_judgments(frame, item="Wine", rater="Judge", value="Scores", scale="continuous",
                                          segments=[])


def hanna(criterion: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / "hanna_human_ratings_long.csv.gz")
    return frame[frame["criterion"] == criterion]


@pytest.mark.parametrize("form", list(PINGOUIN_TYPES))
def test_icc_matches_pingouin_wine(form: str) -> None:
    frame, j = wine()
    ref = pg.intraclass_corr(frame, targets="Wine", raters="Judge", ratings="Scores").set_index("Type")
    row = ref.loc[PINGOUIN_TYPES[form]]
    result = ag.icc(j, form=form)
    assert result.estimate == pytest.approx(row["ICC"], abs=1e-9)  # reference: pingouin 0.7
    # pingouin rounds its CI to 2 decimals
    assert result.ci_low == pytest.approx(row["CI95"][0], abs=0.005)
    assert result.ci_high == pytest.approx(row["CI95"][1], abs=0.005)
    assert result.ci_method == "analytic(F)"


@pytest.mark.parametrize("criterion", ["Relevance", "Coherence", "Complexity"])
def test_icc_matches_pingouin_hanna_all_forms(criterion: str) -> None:
    frame = hanna(criterion)
    j = alignlab.load_judgments(frame, item="story_id", rater="rater_position", value="score",
                                scale="continuous", segments=[])
    ref = pg.intraclass_corr(frame, targets="story_id", raters="rater_position", ratings="score").set_index("Type")
    for form, name in PINGOUIN_TYPES.items():
        assert ag.icc(j, form=form, ci_method="none").estimate == pytest.approx(ref.loc[name, "ICC"], abs=1e-9)


def test_icc_aliases_name_the_same_form() -> None:
    _, j = wine()
    assert ag.icc(j, form="ICC(A,1)").estimate == ag.icc(j, form="ICC2").estimate == ag.icc(j, form="ICC(2,1)").estimate
    assert ag.icc(j, form="ICC(C,k)").estimate == ag.icc(j, form="ICC3k").estimate


@settings(max_examples=25, derandomize=True)  # the same examples every run (CI must not draw a new one)
@given(matrix=arrays(np.float64, st.tuples(st.integers(3, 15), st.integers(2, 5)),
                     elements=st.integers(1, 7).map(float)))
def test_icc_random_complete_matches_pingouin(matrix: np.ndarray) -> None:
    if np.unique(matrix).size < 2 or np.all(matrix.std(axis=1) == 0):
        return
    frame = pd.DataFrame(matrix).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value")
    frame["rater_id"] = "r" + frame["rater_id"].astype(str)
    j = alignlab.load_judgments(frame, scale="continuous", segments=[])
    with np.errstate(all="ignore"):
        ref = pg.intraclass_corr(frame, targets="item_id", raters="rater_id", ratings="value").set_index("Type")
    for form, name in PINGOUIN_TYPES.items():
        expected = ref.loc[name, "ICC"]
        got = ag.icc(j, form=form, ci_method="none").estimate
        # |ICC| ~ 1e16: a mean-square denominator that is 0 in exact arithmetic, so both libraries return
        # rounding noise of either sign (undefined ICC); only defined values are compared
        if np.isfinite(expected) and abs(expected) < 1e6:
            assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("form", list(PINGOUIN_TYPES))
def test_mixed_model_path_equals_anova_on_complete_design(form: str) -> None:
    # REML components equal the ANOVA estimates away from the boundary (optimizer tolerance)
    _, j = wine()
    comps = _mixed_model_components(long_data(j, "test"), form in ("ICC1", "ICC1k"))
    assert _icc_from_components(form, *comps, 4) == pytest.approx(ag.icc(j, form=form).estimate, abs=1e-4)


def test_icc_incomplete_design_uses_every_judgment() -> None:
    frame = hanna("Relevance")
    full = alignlab.load_judgments(frame, item="story_id", rater="rater_position", value="score",
                                   scale="continuous", segments=[])
    missing = frame.drop(frame.sample(300, random_state=0).index)
    j = alignlab.load_judgments(missing, item="story_id", rater="rater_position", value="score",
                                scale="continuous", segments=[])
    mixed = ag.icc(j, form="ICC3")
    dropped = ag.icc(j, form="ICC3", missing="drop_items")
    truth = ag.icc(full, form="ICC3").estimate
    assert mixed.n_items == 1056 and dropped.n_items < 1056
    assert any("MixedLM" in w for w in mixed.warnings)
    # reference: statsmodels MixedLM(y ~ 0 + C(rater), groups=item), REML, same data
    import warnings

    import statsmodels.formula.api as smf

    data = long_data(j, "test")
    frame_ld = pd.DataFrame({"y": data.values, "item": data.item_codes, "rater": data.rater_codes})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels convergence chatter on this reference fit
        fit = smf.mixedlm("y ~ 0 + C(rater)", frame_ld, groups="item").fit(reml=True)
    item_var, _, resid = _mixed_model_components(data, False)
    assert item_var == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-3)
    assert resid == pytest.approx(fit.scale, rel=1e-4)
    assert mixed.ci_method == "analytic(F, approximate: unbalanced design)"
    assert mixed.ci_low < mixed.estimate < mixed.ci_high
    # regression: both stay close to the complete-data value (0.1389, pingouin)
    assert mixed.estimate == pytest.approx(truth, abs=0.02)
    assert dropped.estimate == pytest.approx(truth, abs=0.03)


def test_icc_bootstrap_interval_is_close_to_f_interval() -> None:
    frame = hanna("Complexity")
    j = alignlab.load_judgments(frame, item="story_id", rater="rater_position", value="score",
                                scale="continuous", segments=[])
    f = ag.icc(j, form="ICC2")
    b = ag.icc(j, form="ICC2", ci_method="percentile", n_resamples=300, random_state=0)
    assert b.ci_low == pytest.approx(f.ci_low, abs=0.03)
    assert b.ci_high == pytest.approx(f.ci_high, abs=0.03)


def test_icc_errors() -> None:
    _, j = wine()
    with pytest.raises(InvalidParameterError, match="'form' parameter of icc"):
        ag.icc(j, form="ICC4")
    with pytest.raises(ValueError, match="at least two raters"):
        ag.icc(j, raters="A")
    cat = alignlab.load_judgments(pd.DataFrame({"item_id": [1, 1, 2, 2], "rater_id": list("abab"),
                                                "value": list("xyxx")}), scale="categorical")
    with pytest.raises(ValueError, match="needs numeric values.*fleiss_kappa"):
        ag.icc(cat)
    with pytest.raises(ValueError, match="ordered values"):
        ag.kendall_w(cat)


def test_kendall_w_matches_friedman_and_spearman() -> None:
    frame = hanna("Engagement")
    j = alignlab.load_judgments(frame, item="story_id", rater="rater_position", value="score",
                                scale="ordinal", segments=[])
    result = ag.kendall_w(j, n_resamples=200, random_state=0)
    m = j.matrix("value")
    chi2 = stats.friedmanchisquare(*m.T).statistic  # reference: scipy (tie-corrected Friedman)
    n_items, n_raters = m.shape
    # Friedman's chi2 = m (n - 1) W with the raters as blocks; here items are ranked within raters
    ranks_by_rater = stats.friedmanchisquare(*m).statistic
    assert result.estimate == pytest.approx(ranks_by_rater / (n_raters * (n_items - 1)), abs=1e-9)
    assert chi2 > 0
    assert result.ci_low < result.estimate < result.ci_high
    assert result.ci_method == "bootstrap-bca(items, 200)"


def test_kendall_w_without_ties_equals_mean_spearman() -> None:
    rng = np.random.default_rng(1)
    truth = rng.normal(size=30)
    matrix = truth[:, None] + rng.normal(size=(30, 4))
    frame = pd.DataFrame(matrix).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value")
    j = alignlab.load_judgments(frame, scale="continuous", segments=[])
    rho = stats.spearmanr(matrix).statistic
    mean_rho = rho[np.triu_indices(4, 1)].mean()
    m = 4
    # reference: W = ((m - 1) mean_rho + 1) / m (Kendall 1948)
    assert ag.kendall_w(j, ci_method="none").estimate == pytest.approx(((m - 1) * mean_rho + 1) / m, abs=1e-12)


def test_icc_incomplete_bootstrap_refits_per_resample() -> None:
    rng = np.random.default_rng(4)
    t = rng.normal(size=(80, 1))
    y = t + rng.normal(size=(80, 4))
    frame = pd.DataFrame(y).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value")
    frame = frame[rng.random(len(frame)) > 0.2]
    j = alignlab.load_judgments(frame, scale="continuous", segments=[])
    boot = ag.icc(j, form="ICC3", ci_method="percentile", n_resamples=40, random_state=0)
    analytic = ag.icc(j, form="ICC3")
    assert boot.estimate == analytic.estimate
    assert boot.ci_method == "bootstrap-percentile(items, 40)"
    assert boot.ci_low < boot.estimate < boot.ci_high
    # true ICC(3,1) = 0.5: both intervals are plausible (regression on a seeded sample)
    assert analytic.ci_low < 0.5 < analytic.ci_high
