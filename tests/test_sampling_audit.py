"""audit_representativeness: per-segment shifts, global effects, coverage gaps, classifier test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from alignlab import InvalidParameterError, load_judgments
from alignlab.sampling import audit_representativeness


def _make(seed: int, n_eval: int = 2000, n_prod: int = 50_000, shift: bool = True):
    rng = np.random.default_rng(seed)
    locales, tasks = np.array(["en", "de", "ja", "fr", "es"]), np.array(["qa", "code", "chat"])
    p_loc, p_task = [0.4, 0.2, 0.2, 0.1, 0.1], [0.3, 0.3, 0.4]
    q_loc, q_task = ([0.6, 0.1, 0.1, 0.1, 0.1], [0.5, 0.3, 0.2]) if shift else (p_loc, p_task)
    prod = pd.DataFrame({"locale": locales[rng.choice(5, n_prod, p=p_loc)],
                         "task": tasks[rng.choice(3, n_prod, p=p_task)],
                         "length": rng.lognormal(5, 1, n_prod)})
    ev = pd.DataFrame({"locale": locales[rng.choice(5, n_eval, p=q_loc)],
                       "task": tasks[rng.choice(3, n_eval, p=q_task)],
                       "length": rng.lognormal(5.3 if shift else 5, 1, n_eval)})
    return ev, prod


def test_per_segment_rows_match_direct_formulas() -> None:
    ev, prod = _make(0)
    audit = audit_representativeness(ev, prod, segments=["locale", "task"], classifier=False, n_resamples=100,
                                     random_state=0)
    table = audit.to_frame()
    rows = table[(table["segment"] == "locale")].set_index("level")
    n, big_n = len(ev), len(prod)
    for level in ["en", "de", "ja"]:
        x_e, x_p = int((ev.locale == level).sum()), int((prod.locale == level).sum())
        p, q = x_p / big_n, x_e / n
        assert rows.loc[level, "production_share"] == pytest.approx(p)
        assert rows.loc[level, "eval_share"] == pytest.approx(q)
        assert rows.loc[level, "log_ratio"] == pytest.approx(np.log(p / q))
        # reference: METHODS.md §5 delta variance (1 − p)/(N p) + (1 − q)/(n q)
        assert rows.loc[level, "log_ratio_se"] == pytest.approx(np.sqrt((1 - p) / (big_n * p) + (1 - q) / (n * q)))
        # reference: statsmodels pooled two-proportion z-test
        _, pval = proportions_ztest([x_p, x_e], [big_n, n])
        assert rows.loc[level, "p_value"] == pytest.approx(pval, rel=1e-9)
    # reference: statsmodels multipletests (BH) over every reported row
    np.testing.assert_allclose(table["q_value"], multipletests(table["p_value"], method="fdr_bh")[1])
    assert rows.loc["en", "status"] == "over-represented" and rows.loc["de", "status"] == "under-represented"
    joint = table[table["kind"] == "joint"]
    assert len(joint) == 15 and joint["production_share"].sum() == pytest.approx(1.0)


def test_global_effects_match_scipy() -> None:
    ev, prod = _make(1)
    audit = audit_representativeness(ev, prod, segments=["locale", "task", "length"], classifier=False,
                                      n_resamples=200, random_state=1)
    effects = audit.global_effects.set_index("statistic")
    joint = audit.to_frame().query("kind == 'joint'")
    p, q = joint["production_share"].to_numpy(), joint["eval_share"].to_numpy()
    # reference: direct TVD and scipy's Jensen–Shannon distance squared (base 2)
    assert audit.tvd == pytest.approx(0.5 * np.abs(p - q).sum())
    assert effects.loc["jensen_shannon", "estimate"] == pytest.approx(jensenshannon(p, q, base=2) ** 2)
    observed = np.vstack([joint["eval_n"], joint["production_n"]])
    observed = observed[:, observed.sum(axis=0) > 0]
    g = stats.chi2_contingency(observed, correction=False, lambda_="log-likelihood")  # reference: scipy
    assert effects.loc["g_test", "estimate"] == pytest.approx(g.statistic)
    assert effects.loc["g_test", "p_value"] == pytest.approx(g.pvalue)
    # reference: scipy.stats.wasserstein_distance on the raw numeric column
    w1 = stats.wasserstein_distance(ev["length"], prod["length"])
    assert effects.loc["wasserstein[length]", "estimate"] == pytest.approx(w1)
    low, high = effects.loc["wasserstein[length]", ["ci_low", "ci_high"]]
    assert low < w1 < high
    for name in ("total_variation", "jensen_shannon", "psi", "design_effect"):
        assert effects.loc[name, "ci_low"] <= effects.loc[name, "estimate"] <= effects.loc[name, "ci_high"]
    assert audit.bias_bound == audit.tvd
    assert audit.effective_n == pytest.approx(len(ev) / audit.deff)


def test_bias_bound_is_attained_and_never_exceeded() -> None:
    ev, prod = _make(2)
    audit = audit_representativeness(ev, prod, segments=["locale", "task"], classifier=False, n_resamples=50,
                                     random_state=0)
    joint = audit.to_frame().query("kind == 'joint'")
    p, q = joint["production_share"].to_numpy(), joint["eval_share"].to_numpy()
    rng = np.random.default_rng(0)
    mu = rng.random((500, p.size))  # any metric in [0, 1] per cell
    assert np.all(np.abs(mu @ p - mu @ q) <= audit.bias_bound + 1e-12)
    worst = (p > q).astype(float)  # Levin & Peres 2017: the bound is attained at 1[p > q]
    assert worst @ p - worst @ q == pytest.approx(audit.bias_bound)


@pytest.mark.parametrize("seed", range(3))
def test_coverage_gaps_simulation(seed) -> None:
    """Known production cells removed from the evaluation set: every one reported, none falsely."""
    rng = np.random.default_rng(seed)
    a_levels, b_levels = [f"a{i}" for i in range(6)], [f"b{i}" for i in range(4)]
    cells = [(a, b) for a in a_levels for b in b_levels]
    shares = rng.dirichlet(np.full(len(cells), 5.0))
    shares = 0.5 * shares + 0.5 / len(cells)  # every cell ≥ 2 % of production
    counts = rng.multinomial(200_000, shares)
    prod = pd.DataFrame({"a": [c[0] for c in cells], "b": [c[1] for c in cells], "n": counts})
    missing = {cells[i] for i in rng.choice(len(cells), 4, replace=False)}
    kept = [c for c in cells if c not in missing]
    per_cell = rng.integers(40, 120, len(kept))  # every covered cell has ≥ n_min items
    ev = pd.DataFrame({"a": np.repeat([c[0] for c in kept], per_cell), "b": np.repeat([c[1] for c in kept], per_cell)})
    audit = audit_representativeness(ev, prod, segments=["a", "b"], production_weights="n", n_min=30,
                                     coverage_threshold=0.01, classifier=False, n_resamples=50, random_state=seed)
    gaps = audit.coverage_gaps
    reported = {tuple(level.split(" | ")) for level in gaps.loc[gaps["kind"] == "joint", "level"]}
    assert reported == missing
    assert (gaps["status"] == "missing").all()
    assert (gaps.loc[gaps["kind"] == "column"].empty)  # every single level still has items
    expected_mass = sum(counts[cells.index(c)] for c in missing) / counts.sum()
    assert audit.uncovered_mass == pytest.approx(expected_mass)


def test_thin_segments_reported_with_shortfall() -> None:
    ev = pd.DataFrame({"locale": ["en"] * 95 + ["ja"] * 5})
    prod = pd.DataFrame({"locale": ["en", "ja", "xx"], "n": [700, 295, 5]})
    audit = audit_representativeness(ev, prod, segments="locale", production_weights="n", n_min=30,
                                     coverage_threshold=0.01, classifier=False, n_resamples=50, random_state=0)
    gaps = audit.coverage_gaps.set_index("level")
    assert list(gaps.index) == ["ja"]  # xx is 0.5 % of production: below the threshold
    assert gaps.loc["ja", "shortfall"] == 25 and gaps.loc["ja", "status"] == "thin"


def test_classifier_auc_detects_shift_and_not_absence() -> None:
    ev, prod = _make(3, n_eval=1500, n_prod=30_000, shift=True)
    shifted = audit_representativeness(ev, prod, segments=["locale", "task"], n_resamples=50, random_state=0)
    assert shifted.auc_ci_low > 0.55
    ev0, prod0 = _make(4, n_eval=1500, n_prod=30_000, shift=False)
    same = audit_representativeness(ev0, prod0, segments=["locale", "task"], n_resamples=50, random_state=0)
    assert same.auc_ci_low < 0.5 < same.auc_ci_high + 0.02
    assert same.auc < shifted.auc


def test_judgments_input_uses_items() -> None:
    rows = []
    for i in range(60):
        rows += [{"item_id": i, "rater_id": r, "value": (i * 7 + k) % 2, "locale": "en" if i < 45 else "ja"}
                 for k, r in enumerate("abc")]
    judgments = load_judgments(pd.DataFrame(rows), scale="binary", segments=["locale"])
    prod = pd.DataFrame({"locale": ["en", "ja"], "n": [500, 500]})
    audit = audit_representativeness(judgments, prod, segments="locale", production_weights="n",
                                     classifier=False, n_resamples=50, random_state=0)
    assert audit.n_eval == 60  # items, not judgments
    assert audit.tvd == pytest.approx(0.25)
    plan_input = audit.segments_frame(kind="column")
    assert set(plan_input.columns) == {"segment", "production_share", "current_n", "rate"}
    joint_default = audit.segments_frame(pd.Series({"en": 0.2}))  # one column: its levels are the cells
    assert joint_default["segment"].tolist() == ["en", "ja"]
    assert joint_default["current_n"].tolist() == [45, 15]
    assert joint_default["rate"].tolist() == [0.2, 0.5]  # unknown rates: the worst case 0.5


def test_random_state_reproducible() -> None:
    ev, prod = _make(5, n_eval=500, n_prod=5000)
    a = audit_representativeness(ev, prod, segments=["locale"], n_resamples=100, random_state=7)
    b = audit_representativeness(ev, prod, segments=["locale"], n_resamples=100, random_state=7)
    pd.testing.assert_frame_equal(a.global_effects, b.global_effects)
    assert "total variation distance" in str(a)


def test_bad_input_errors() -> None:
    ev, prod = _make(6, n_eval=100, n_prod=1000)
    with pytest.raises(ValueError, match=r"Segment column 'task' missing from the eval_data table.*Fix"):
        audit_representativeness(ev.drop(columns="task"), prod, segments=["locale", "task"])
    with pytest.raises(ValueError, match="production table has no rows"):
        audit_representativeness(ev, prod.iloc[:0], segments=["locale"])
    counts = prod.groupby("locale").size().rename("requests").reset_index()
    counts.loc[0, "requests"] = -1
    with pytest.raises(ValueError, match="Column 'requests' of the production table has 1 negative counts"):
        audit_representativeness(ev, counts, segments="locale", production_weights="requests")
    with pytest.raises(ValueError, match="sums to 0"):
        audit_representativeness(ev, counts.assign(requests=0), segments="locale", production_weights="requests")
    with pytest.raises(InvalidParameterError, match="'n_min' parameter of audit_representativeness"):
        audit_representativeness(ev, prod, segments="locale", n_min=0)
    with pytest.raises(ValueError, match="repeat a column"):
        audit_representativeness(ev, prod, segments=["locale", "locale"])


def test_slices_found_when_the_engine_is_present() -> None:
    pytest.importorskip("alignlab.slices")
    ev, prod = _make(7, n_eval=1500, n_prod=30_000)
    audit = audit_representativeness(ev, prod, segments=["locale", "task"], classifier=False, n_resamples=50,
                                     random_state=0)
    slices = audit.slices
    assert slices is not None and len(slices) > 0
    # the simulated eval set over-samples en and qa, and under-samples chat
    top = dict(zip(slices["predicate"], slices["direction"], strict=True))
    assert top.get("task == 'chat'") == "under-represented in eval"
    assert all(d == "over-represented in eval" for p, d in top.items() if p in ("locale == 'en'", "task == 'qa'"))
    assert "locale == 'en'" in top or "task == 'qa'" in top
    none = audit_representativeness(ev, prod, segments=["locale"], classifier=False, find_slices=False,
                                    n_resamples=50, random_state=0)
    assert none.slices is None


def test_integer_and_float_levels_are_the_same_segment() -> None:
    ev = pd.DataFrame({"turns": [1, 2, 3, 1, 2] * 20})
    prod = pd.DataFrame({"turns": [1.0, 2.0, 3.0, np.nan], "n": [400, 400, 150, 50]})
    audit = audit_representativeness(ev, prod, segments="turns", production_weights="n", classifier=False,
                                     n_resamples=50, random_state=0)
    levels = audit.to_frame()["level"].tolist()
    assert levels == ["1", "2", "3", "(missing)"]
    assert audit.uncovered_mass == pytest.approx(0.05)


def test_production_files_keep_ids_as_written(tmp_path) -> None:
    """Production tables read from files keep their id columns exactly as written (as load_judgments does):
    ``007`` and ``7`` are two requests, ``NA`` is an id; the other columns parse as pandas parses them."""
    from pathlib import Path

    from alignlab.sampling._inputs import read_table

    path = tmp_path / "production.csv"
    path.write_text("request_id,locale,tokens\n007,ja,12\n7,ja,30\nNA,en,\n")
    table = read_table(Path(path), "production")
    assert table["request_id"].tolist() == ["007", "7", "NA"]
    assert table["locale"].tolist() == ["ja", "ja", "en"]
    assert table["tokens"].iloc[:2].tolist() == [12, 30] and np.isnan(table["tokens"].iloc[2])
    with pytest.raises(FileNotFoundError, match="production file"):
        read_table(Path(tmp_path / "missing.csv"), "production")
