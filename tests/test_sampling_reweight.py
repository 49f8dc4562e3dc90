"""reweight / reweighted_metric: exact margins, deff = 1 + χ², Meta balance weights, coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlab import InvalidParameterError, load_judgments
from alignlab.sampling import audit_representativeness, reweight, reweighted_metric

DATA = Path(__file__).resolve().parent / "data" / "sampling"
COLUMNS = ["locale", "task", "length"]


@pytest.fixture(scope="module")
def balance_case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    inputs = pd.read_csv(DATA / "balance_inputs.csv")
    ev = inputs[inputs["side"] == "eval"].drop(columns="side").reset_index(drop=True)
    prod = inputs[inputs["side"] == "production"].drop(columns="side").reset_index(drop=True)
    return ev, prod, pd.read_csv(DATA / "balance_weights.csv")


def _shares(frame: pd.DataFrame, columns: list[str], weights: np.ndarray | None = None) -> pd.Series:
    w = np.ones(len(frame)) if weights is None else weights
    return pd.Series(w, index=pd.MultiIndex.from_frame(frame[columns])).groupby(level=list(range(len(columns)))).sum() / w.sum()


def test_poststratified_weights_reproduce_joint_cells_and_deff(balance_case) -> None:
    ev, prod, _ = balance_case
    result = reweight(ev, prod, segments=COLUMNS, method="poststratify")
    target = _shares(prod, COLUMNS)
    achieved = _shares(ev, COLUMNS, result.weights)
    covered = target.index.intersection(achieved.index)
    assert len(covered) == len(target) - 1  # one small production cell has no evaluation row
    uncovered = float(target.drop(covered).sum())
    assert result.uncovered_mass == pytest.approx(uncovered)
    target = target.loc[covered] / target.loc[covered].sum()  # covered production, renormalised
    np.testing.assert_allclose(achieved.loc[covered], target, atol=1e-12)
    # reference: Kish deff = 1 + chi2(p||q), computed directly from the two mixes
    q = _shares(ev, COLUMNS).loc[covered]
    chi2 = float(((target - q) ** 2 / q).sum())
    assert result.deff == pytest.approx(1 + chi2, rel=1e-12)
    audit = audit_representativeness(ev, prod, segments=COLUMNS, classifier=False, n_resamples=50, random_state=0)
    assert audit.deff == pytest.approx(1 + chi2, rel=1e-12)
    assert result.weights.mean() == pytest.approx(1.0)


def test_raked_weights_reproduce_margins(balance_case) -> None:
    ev, prod, _ = balance_case
    result = reweight(ev, prod, segments=COLUMNS, method="rake")
    assert result.converged
    for column in COLUMNS:
        target = prod[column].value_counts(normalize=True).sort_index()
        achieved = pd.Series(result.weights).groupby(ev[column].to_numpy()).sum().sort_index() / result.weights.sum()
        np.testing.assert_allclose(achieved.to_numpy(), target.to_numpy(), atol=1e-9)
    table = result.to_frame()
    assert np.abs(table["difference"]).max() < 1e-9
    assert (result.asmd["asmd_after"] < 1e-8).all() and (result.asmd["asmd_before"] > 0.05).any()


@pytest.mark.parametrize("method", ["rake", "poststratify"])
def test_weights_match_meta_balance(balance_case, method) -> None:
    ev, prod, reference = balance_case
    result = reweight(ev, prod, segments=COLUMNS, method=method)
    expected = reference[method].to_numpy()
    # reference: balance 0.23.0 (fixture made by tests/data/sampling/make_balance_fixture.py); balance
    # scales weights to the target total, alignlab to mean 1
    expected = expected / expected.mean()
    np.testing.assert_allclose(result.weights, expected, rtol=1e-7)


def test_production_counts_equal_request_rows(balance_case) -> None:
    ev, prod, _ = balance_case
    counts = prod.groupby(COLUMNS).size().rename("n").reset_index()
    by_rows = reweight(ev, prod, segments=COLUMNS, method="rake")
    by_counts = reweight(ev, counts, segments=COLUMNS, method="rake", production_weights="n")
    np.testing.assert_allclose(by_rows.weights, by_counts.weights, rtol=1e-12)


def test_ipw_balances_and_trimming_caps(balance_case) -> None:
    ev, prod, _ = balance_case
    ipw = reweight(ev, prod, segments=COLUMNS, method="ipw", regularization=100.0)
    assert (ipw.asmd["asmd_after"] < ipw.asmd["asmd_before"]).all()
    assert (ipw.asmd["asmd_after"] < 0.1).all()  # the usual "balanced" threshold (Austin 2009)
    raked = reweight(ev, prod, segments=COLUMNS, method="rake")
    # a main-effects logistic IPW is log-linear in the same dummies as raking: weights close, not equal
    assert np.corrcoef(np.log(ipw.weights), np.log(raked.weights))[0, 1] > 0.95
    trimmed = reweight(ev, prod, segments=COLUMNS, method="rake", trim=2.0)
    assert trimmed.weights.max() <= 2.0 + 1e-9 and trimmed.n_trimmed > 0
    assert trimmed.deff < raked.deff
    assert trimmed.weights.mean() == pytest.approx(1.0)


def test_judgments_input_gives_one_weight_per_item() -> None:
    rows = []
    for i in range(40):
        locale = "en" if i < 30 else "ja"
        rows += [{"item_id": f"i{i}", "rater_id": r, "value": int(i % 3 == 0 or (k == 1 and i % 4 == 0)),
                  "locale": locale}
                 for k, r in enumerate(["a", "b"])]
    judgments = load_judgments(pd.DataFrame(rows), scale="binary", segments=["locale"])
    prod = pd.DataFrame({"locale": ["en", "ja"], "n": [50, 50]})
    result = reweight(judgments, prod, segments="locale", production_weights="n")
    assert result.weights.size == judgments.n_items
    frame = result.weights_frame().set_index("item_id")
    assert frame.loc["i0", "weight"] == pytest.approx(0.5 / 0.75)
    assert frame.loc["i35", "weight"] == pytest.approx(0.5 / 0.25)
    metric = reweighted_metric(judgments, prod, segments="locale", production_weights="n")
    assert np.isfinite(metric.ci_low) and metric.ci_low < metric.estimate < metric.ci_high


def test_reweighted_metric_poststratified_formula() -> None:
    ev = pd.DataFrame({"g": ["a"] * 60 + ["b"] * 40, "y": np.r_[np.tile([1, 0, 1], 20), np.tile([0, 0, 1, 0], 10)]})
    prod = pd.DataFrame({"g": ["a", "b"], "n": [3000, 7000]})
    r = reweighted_metric(ev, prod, metric="y", segments="g", production_weights="n")
    ya, yb = ev.loc[ev.g == "a", "y"], ev.loc[ev.g == "b", "y"]
    est = 0.3 * ya.mean() + 0.7 * yb.mean()
    # reference: Cochran (5A.9) plus the production-share term Var(Σ p̂_s ȳ_s) from N = 10,000 requests
    var = 0.09 * ya.var(ddof=1) / 60 + 0.49 * yb.var(ddof=1) / 40
    var += (0.3 * ya.mean() ** 2 + 0.7 * yb.mean() ** 2 - est**2) / 10_000
    assert r.estimate == pytest.approx(est)
    assert r.standard_error == pytest.approx(np.sqrt(var))
    assert r.unweighted == pytest.approx(ev.y.mean())
    assert r.shift == pytest.approx(est - ev.y.mean())


def _coverage(n_reps: int, method: str, seed: int) -> float:
    """Share of intervals covering the production value, eval mix ≠ production mix."""
    rng = np.random.default_rng(seed)
    p_loc, p_task = np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4])
    q_loc, q_task = np.array([0.2, 0.3, 0.5]), np.array([0.3, 0.7])
    mu = np.array([[0.9, 0.7], [0.6, 0.4], [0.5, 0.2]])  # metric rate per (locale, task); additive-ish in logit
    truth = float(np.sum(np.outer(p_loc, p_task) * mu))
    n_eval, n_prod = 400, 20_000
    hits = 0
    for _ in range(n_reps):
        loc_e, task_e = rng.choice(3, n_eval, p=q_loc), rng.choice(2, n_eval, p=q_task)
        y = (rng.random(n_eval) < mu[loc_e, task_e]).astype(float)
        counts = rng.multinomial(n_prod, np.outer(p_loc, p_task).ravel())
        prod = pd.DataFrame({"locale": np.repeat(np.arange(3), 2), "task": np.tile(np.arange(2), 3), "n": counts})
        ev = pd.DataFrame({"locale": loc_e, "task": task_e, "y": y})
        r = reweighted_metric(ev, prod, metric="y", segments=["locale", "task"], production_weights="n",
                              method=method)
        hits += r.ci_low <= truth <= r.ci_high
    return hits / n_reps


@pytest.mark.parametrize("method", ["poststratify", "rake"])
def test_reweighted_metric_coverage_fast(method) -> None:
    # seeded simulation, known truth; 120 replicates: binomial SD of coverage ≈ 0.02
    assert 0.88 <= _coverage(120, method, seed=11) <= 0.995


@pytest.mark.slow
@pytest.mark.parametrize("method", ["poststratify", "rake", "ipw"])
def test_reweighted_metric_coverage_slow(method) -> None:
    # seeded simulation, known truth; 2,000 replicates: the 93–97 % band
    assert 0.93 <= _coverage(2000, method, seed=12) <= 0.97


def test_bad_input_errors(balance_case) -> None:
    ev, prod, _ = balance_case
    with pytest.raises(ValueError, match=r"Segment column 'task' missing from the production table.*Fix"):
        reweight(ev, prod.drop(columns="task"), segments=COLUMNS)
    with pytest.raises(ValueError, match=r"'lenght'.*did you mean 'length'.*eval_data"):
        reweight(ev, prod, segments=["locale", "lenght"])
    with pytest.raises(ValueError, match="production table has no rows.*Fix"):
        reweight(ev, prod.iloc[:0], segments=COLUMNS)
    counts = prod.groupby(COLUMNS).size().rename("n").reset_index()
    counts.loc[3, "n"] = -5
    with pytest.raises(ValueError, match=r"Column 'n' of the production table has 1 negative counts.*row 3"):
        reweight(ev, counts, segments=COLUMNS, production_weights="n")
    with pytest.raises(ValueError, match="weight column 'count' is not in the production table"):
        reweight(ev, counts, segments=COLUMNS, production_weights="count")
    with pytest.raises(InvalidParameterError, match="'method' parameter of reweight"):
        reweight(ev, prod, segments=COLUMNS, method="calibrate")
    with pytest.raises(ValueError, match="metric column 'score' is not in eval_data"):
        reweighted_metric(ev, prod, metric="score", segments=COLUMNS)
    with pytest.raises(ValueError, match="needs segments="):
        reweight(ev, prod)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_levels=st.tuples(st.integers(2, 5), st.integers(2, 4)))
def test_property_raking_and_poststratification_hit_targets(seed, n_levels) -> None:
    rng = np.random.default_rng(seed)
    a, b = n_levels
    prod = pd.DataFrame({"a": rng.integers(0, a, 3000), "b": rng.integers(0, b, 3000)})
    # every cell present in the eval set, with an arbitrary mix
    cells = pd.DataFrame([(i, j) for i in range(a) for j in range(b)], columns=["a", "b"])
    ev = cells.loc[np.repeat(cells.index, rng.integers(1, 30, len(cells)))].reset_index(drop=True)
    for method in ("rake", "poststratify"):
        w = reweight(ev, prod, segments=["a", "b"], method=method).weights
        for column in ("a", "b"):
            target = prod[column].value_counts(normalize=True).sort_index().to_numpy()
            achieved = pd.Series(w).groupby(ev[column].to_numpy()).sum().sort_index().to_numpy() / w.sum()
            np.testing.assert_allclose(achieved, target, atol=1e-9)
