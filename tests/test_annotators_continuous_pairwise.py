"""BradleyTerry: PandaLM system ordering against a plain Bradley–Terry fit, seeded recovery, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import alignlab
from alignlab.annotators import BradleyTerry


def simulate(seed: int = 0, n_items: int = 1500, n_systems: int = 6, n_raters: int = 8, per_item: int = 3,
             spammer: bool = True):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.7, n_systems)
    theta -= theta.mean()
    pair = np.array([rng.choice(n_systems, 2, replace=False) for _ in range(n_items)])
    pref = theta[pair[:, 0]] - theta[pair[:, 1]] + rng.normal(0, 1, n_items)
    disc = np.exp(rng.normal(1.0, 0.3, n_raters))
    pos = rng.normal(0, 0.2, n_raters)
    if spammer:
        disc[0] = 0.02
    item = np.repeat(np.arange(n_items), per_item)
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
    band = 0.3
    p_b = special.expit(disc[rater] * (-band + pos[rater] - pref[item]))
    p_le_tie = special.expit(disc[rater] * (band + pos[rater] - pref[item]))
    u = rng.random(len(item))
    value = np.where(u < p_b, "B", np.where(u < p_le_tie, "tie", "A"))
    frame = pd.DataFrame({"item_id": item, "rater_id": [f"r{j}" for j in rater], "value": value,
                          "system_a": [f"s{k}" for k in pair[item, 0]], "system_b": [f"s{k}" for k in pair[item, 1]]})
    return frame, {"theta": theta, "discrimination": disc, "position": pos}


def plain_bradley_terry(frame: pd.DataFrame) -> pd.Series:
    """Reference: pooled Bradley–Terry by binomial GLM (statsmodels), ties as half wins."""
    import statsmodels.api as sm

    systems = sorted(set(frame["system_a"]) | set(frame["system_b"]))
    x = np.zeros((len(frame), len(systems)))
    x[np.arange(len(frame)), [systems.index(s) for s in frame["system_a"]]] = 1.0
    x[np.arange(len(frame)), [systems.index(s) for s in frame["system_b"]]] = -1.0
    y = frame["value"].map({"A": 1.0, "B": 0.0, "tie": 0.5}).to_numpy(dtype=float)
    fit = sm.GLM(y, x[:, 1:], family=sm.families.Binomial()).fit()
    scores = np.r_[0.0, fit.params]
    return pd.Series(scores - scores.mean(), index=systems)


def test_pandalm_ordering_matches_plain_bradley_terry():
    judgments = alignlab.datasets.load("pandalm")
    model = BradleyTerry().fit(judgments)
    reference = plain_bradley_terry(judgments.frame)
    ours = model.systems_.set_index("system")["score"]
    # reference: same order as the plain (pooled) Bradley–Terry fit:
    # llama-7b > pythia-6.9b > bloom-7b > opt-7b > cerebras-gpt-6.7B
    assert list(ours.index) == list(reference.sort_values(ascending=False).index)
    assert list(ours.index) == ["llama-7b", "pythia-6.9b", "bloom-7b", "opt-7b", "cerebras-gpt-6.7B"]
    systems = model.systems_.set_index("system")
    # llama-7b is clearly best: its interval is above every other system's score
    assert systems.loc["llama-7b", "score_low"] > systems["score"].drop("llama-7b").max()
    raters = model.raters_.set_index("rater_id")
    # the human panel was filtered for agreement: humans are more reliable than either LLM judge
    assert raters.loc[["annotator1", "annotator2", "annotator3"], "reliability"].min() > raters.loc[
        ["gpt-3.5-turbo", "pandalm-7b"], "reliability"].max()
    assert set(model.groups_["level"]) == {"method", "vendor"}
    proba = model.predict_proba()
    assert list(proba.columns) == ["A", "B", "tie"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_recovery_spammer_and_coverage():
    hits = []
    for seed in range(3):
        frame, truth = simulate(seed=seed)
        model = BradleyTerry(confidence_level=0.9).fit(frame)
        systems = model.systems_.set_index("system").loc[[f"s{k}" for k in range(6)]]
        assert np.corrcoef(systems["score"], truth["theta"])[0, 1] >= 0.95
        hits.append((systems["score_low"] <= truth["theta"]) & (truth["theta"] <= systems["score_high"]))
        raters = model.raters_.set_index("rater_id").loc[[f"r{j}" for j in range(8)]]
        assert raters.loc["r0", "spammer_prob"] > 0.9
        assert (raters["spammer_prob"].drop("r0") < 0.05).all()
        ok = raters.index != "r0"
        assert stats.spearmanr(raters.loc[ok, "discrimination"], truth["discrimination"][1:])[0] > 0.8
    coverage = np.mean(np.concatenate(hits))
    assert 0.75 <= coverage <= 1.0, coverage  # 18 intervals: a loose check; the slow test uses more


@pytest.mark.slow
def test_coverage_many_seeds():
    hits = []
    for seed in range(20):
        frame, truth = simulate(seed=100 + seed, spammer=False)
        systems = BradleyTerry(confidence_level=0.9).fit(frame).systems_.set_index("system")
        systems = systems.loc[[f"s{k}" for k in range(6)]]
        hits.append((systems["score_low"] <= truth["theta"]) & (truth["theta"] <= systems["score_high"]))
    assert 0.85 <= np.mean(np.concatenate(hits)) <= 0.95


def test_errors():
    frame, _ = simulate(seed=1, n_items=50)
    with pytest.raises(ValueError, match="needs the columns 'system_a' and 'system_b'"):
        BradleyTerry().fit(frame.drop(columns=["system_a", "system_b"]))
    same = frame.assign(system_b=frame["system_a"])
    with pytest.raises(ValueError, match="compare a system with itself"):
        BradleyTerry().fit(same)
    with pytest.raises(ValueError, match="'prior_scale' parameter of BradleyTerry"):
        BradleyTerry(prior_scale=-1.0).fit(frame)
    ordinal = pd.DataFrame({"item_id": [0, 0, 1], "rater_id": ["a", "b", "a"], "value": [1, 2, 3]})
    with pytest.raises(ValueError, match="pairwise scales"):
        BradleyTerry().fit(ordinal)


def test_save_load_roundtrip(tmp_path):
    frame, _ = simulate(seed=2, n_items=200)
    model = BradleyTerry().fit(frame)
    loaded = BradleyTerry.load(model.save(tmp_path / "bt.zip"))
    pd.testing.assert_frame_equal(loaded.systems_, model.systems_, check_dtype=False)
