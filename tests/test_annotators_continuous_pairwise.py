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
    return frame, {"theta": theta, "discrimination": disc, "position": pos, "preference": pref}


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


def _strong_first_position(seed: int, n_items: int):
    """Rater r1 prefers the first output (latent position bias -0.8 < 0) — history to carry over."""
    frame, truth = simulate(seed=seed, n_items=n_items, spammer=False)
    rng = np.random.default_rng(seed + 1)
    r1 = frame["rater_id"] == "r1"
    # re-draw r1's labels with position bias -0.8 (negative = prefers A) from the same latent model
    pref = truth["preference"][frame.loc[r1, "item_id"].to_numpy()]
    d, band, pos = truth["discrimination"][1], 0.3, -0.8
    p_b = special.expit(d * (-band + pos - pref))
    p_le_tie = special.expit(d * (band + pos - pref))
    u = rng.random(int(r1.sum()))
    frame.loc[r1, "value"] = np.where(u < p_b, "B", np.where(u < p_le_tie, "tie", "A"))
    return frame


def test_rater_history_carries_over_and_a_tight_prior_is_honoured():
    # reference (seeded truth): an earlier large batch pins r1's position bias; a small new batch alone
    # cannot, and passing the earlier fit's raters_ back brings the new estimate to it with a narrower interval
    history = BradleyTerry().fit(_strong_first_position(seed=5, n_items=3000)).raters_
    earlier = history.set_index("rater_id").loc["r1"]
    assert -1.1 < earlier["position_bias"] < -0.5
    small = _strong_first_position(seed=6, n_items=90)
    alone = BradleyTerry().fit(small).raters_.set_index("rater_id").loc["r1"]
    prior = history[["rater_id", "position_bias", "position_bias_se"]]
    helped = BradleyTerry(rater_priors=prior).fit(small).raters_.set_index("rater_id").loc["r1"]
    assert abs(helped["position_bias"] - earlier["position_bias"]) < abs(alone["position_bias"] - earlier["position_bias"])
    assert helped["position_bias_se"] < alone["position_bias_se"]
    # a (near-)certain history is kept as it is: the symmetric tie band is imposed in the fit, not by a shift
    fixed = pd.DataFrame({"rater_id": ["r2"], "position_bias": [0.5], "position_bias_sd": [0.005]})
    r2 = BradleyTerry(rater_priors=fixed).fit(small).raters_.set_index("rater_id").loc["r2"]
    assert abs(r2["position_bias"] - 0.5) < 0.02
    # without history the fit is the symmetric re-centred one: P(A) - P(B) at zero preference has r1's sign
    assert alone["bias"] > 0 and helped["bias"] > 0


def test_rater_history_errors():
    frame, _ = simulate(seed=1, n_items=50)
    with pytest.raises(ValueError, match=r"unknown columns \['severity'\]"):
        BradleyTerry(rater_priors=pd.DataFrame({"rater_id": ["r1"], "severity": [0.1]})).fit(frame)
    with pytest.raises(ValueError, match="'position_bias_sd' of BradleyTerry must be positive"):
        BradleyTerry(rater_priors=pd.DataFrame({"rater_id": ["r1"], "position_bias": [0.1],
                                                "position_bias_sd": [0.0]})).fit(frame)


def test_rater_history_in_the_pymc_engine():
    # reference: a near-certain history fixes r2's position bias in the posterior as in the EM engine
    small = _strong_first_position(seed=6, n_items=90)
    fixed = pd.DataFrame({"rater_id": ["r2"], "position_bias": [0.5], "position_bias_sd": [0.005]})
    model = BradleyTerry(engine="pymc", rater_priors=fixed, random_state=0,
                         sampler={"draws": 300, "tune": 300, "chains": 2}).fit(small)
    r2 = model.raters_.set_index("rater_id").loc["r2"]
    assert abs(r2["position_bias"] - 0.5) < 0.02
