"""OrdinalRaters: reference (statsmodels ordered logit on the wine data), seeded recovery, engines, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from alignlab import load_judgments
from alignlab._params import InvalidParameterError
from alignlab.annotators import OrdinalRaters


def simulate(seed: int = 0, n_items: int = 600, n_raters: int = 20, per_item: int = 5, spammer: bool = True):
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 1, n_items)
    severity = rng.normal(0, 0.5, n_raters)
    disc = np.exp(rng.normal(0.5, 0.3, n_raters))
    if spammer:
        disc[0] = 0.05
    thresholds = np.array([-1.5, -0.5, 0.5, 1.5])
    item = np.repeat(np.arange(n_items), per_item)
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
    eta = disc[rater][:, None] * (thresholds[None, :] + severity[rater][:, None] - quality[item][:, None])
    label = (rng.random(len(item))[:, None] > special.expit(eta)).sum(1) + 1
    frame = pd.DataFrame({"item_id": item, "rater_id": [f"r{j:02d}" for j in rater], "value": label})
    return frame, {"quality": quality, "severity": severity, "discrimination": disc}


def test_wine_judge_effects_match_ordered_logit(test_data):
    # reference: statsmodels OrderedModel (ordered logit with bottle and judge fixed effects), the
    # fixed-effect analogue of the clmm judge effects of Christensen's `ordinal` wine example
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    wine = pd.read_csv(test_data / "annotators_continuous" / "ordinal_wine.csv")
    design = pd.get_dummies(wine[["bottle", "judge"]].astype(str), drop_first=True).astype(float)
    ref = OrderedModel(wine["rating"].to_numpy(), design, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    judge_effect = np.r_[0.0, [ref.params[f"judge_{k}"] for k in range(2, 10)]]
    frame = pd.DataFrame({"item_id": wine["bottle"], "rater_id": wine["judge"].astype(str), "value": wine["rating"]})
    model = OrdinalRaters().fit(frame)
    raters = model.raters_.set_index("rater_id").loc[[str(k) for k in range(1, 10)]]
    # leniency (-severity) tracks the judge effects: regression r = 0.9997
    assert np.corrcoef(-raters["severity"], judge_effect)[0, 1] > 0.99
    # judge 1 is the most lenient, judge 7 the harshest, on the label scale too
    assert raters["bias"].idxmax() == "1"
    assert raters["bias"].idxmin() == "7"


def test_recovery_and_spammer():
    frame, truth = simulate(seed=1)
    model = OrdinalRaters().fit(frame)
    raters = model.raters_
    ok = np.arange(1, 20)  # the spammer's severity is not identified (it labels at random)
    centred = truth["severity"] - truth["severity"][ok].mean()
    assert np.corrcoef(raters.loc[ok, "severity"], centred[ok])[0, 1] >= 0.95
    assert np.corrcoef(np.log(raters.loc[ok, "discrimination"]), np.log(truth["discrimination"][ok]))[0, 1] >= 0.95
    assert raters.loc[0, "spammer_prob"] > 0.95
    assert (raters.loc[ok, "spammer_prob"] < 0.05).all()
    assert np.corrcoef(model.items_["quality"], truth["quality"])[0, 1] > 0.85
    # label-scale bias has the opposite sign of severity (harsh = lower labels)
    assert np.corrcoef(raters.loc[ok, "bias"], raters.loc[ok, "severity"])[0, 1] < -0.95
    proba = model.predict_proba()
    assert proba.shape == (600, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert model.predict().isin([1, 2, 3, 4, 5]).all()


def test_interval_coverage_em():
    hits_s, hits_d = [], []
    for seed in range(3):
        frame, truth = simulate(seed=20 + seed, n_items=800, n_raters=30, spammer=False)
        raters = OrdinalRaters(confidence_level=0.9).fit(frame).raters_
        centred = truth["severity"] - truth["severity"].mean()
        hits_s.append((raters["severity_low"] <= centred) & (centred <= raters["severity_high"]))
        d = truth["discrimination"]
        hits_d.append((raters["discrimination_low"] <= d) & (d <= raters["discrimination_high"]))
    cover_s, cover_d = np.mean(np.concatenate(hits_s)), np.mean(np.concatenate(hits_d))
    assert 0.8 <= cover_s <= 0.98, cover_s
    assert 0.8 <= cover_d <= 0.98, cover_d


def test_half_a_point_lenient_rater():
    # rater "c" adds 0.5 on the 1..5 scale before rounding: bias on the label scale is about +0.5
    rng = np.random.default_rng(3)
    quality = rng.normal(size=800)
    shift = {"a": 0.0, "b": 0.0, "c": 0.5, "d": 0.0}
    rows = [(i, r, int(np.clip(np.round(3 + 1.0 * quality[i] + shift[r] + rng.normal(0, 0.4)), 1, 5)))
            for i in range(800) for r in "abcd"]
    frame = pd.DataFrame(rows, columns=["item_id", "rater_id", "value"])
    raters = OrdinalRaters().fit(frame).raters_.set_index("rater_id")
    # the pool average includes c itself: c is 0.5 - 0.5/4 = 0.375 above the pool mean, a/b/d 0.125 below
    assert raters.loc["c", "bias"] == pytest.approx(0.375, abs=0.1)
    assert raters.loc["c", "bias_low"] > 0.2


def test_gold_and_online_signal():
    frame, truth = simulate(seed=4, spammer=False)
    rng = np.random.default_rng(4)
    trials = rng.integers(30, 100, 600)
    successes = rng.binomial(trials, special.expit(0.2 + 1.0 * truth["quality"]))
    online = pd.DataFrame({"item_id": np.arange(600), "rater_id": "clicks", "method": "online",
                           "successes": successes, "trials": trials})
    judgments = load_judgments(pd.concat([frame.assign(method="human"), online], ignore_index=True),
                               scale="ordinal")
    model = OrdinalRaters().fit(judgments)
    signal = model.signals_.set_index("signal").loc["clicks"]
    assert signal["slope_low"] < 1.0 < signal["slope_high"] or abs(signal["slope"] - 1.0) < 0.15
    alone = OrdinalRaters().fit(frame)
    assert np.corrcoef(model.items_["quality"], truth["quality"])[0, 1] > np.corrcoef(
        alone.items_["quality"], truth["quality"])[0, 1]


def test_rater_history_prior():
    frame, truth = simulate(seed=5, spammer=False)
    history = pd.DataFrame({"rater_id": ["r03"], "severity": [2.0], "severity_sd": [0.01]})
    raters = OrdinalRaters(rater_priors=history).fit(frame).raters_.set_index("rater_id")
    assert raters.loc["r03", "severity"] == pytest.approx(2.0, abs=0.05)


@pytest.mark.filterwarnings("ignore::UserWarning")  # tiny chains: small-sample notices
def test_rater_history_prior_pymc():
    # the history anchors the severity scale in the PyMC engine too (no re-centring of the severities)
    frame, _ = simulate(seed=5, n_items=120, n_raters=6, per_item=3, spammer=False)
    history = pd.DataFrame({"rater_id": ["r03"], "severity": [2.0], "severity_sd": [0.01]})
    model = OrdinalRaters(engine="pymc", rater_priors=history, random_state=0,
                          sampler={"draws": 200, "tune": 300, "chains": 2}).fit(frame)
    assert model.raters_.set_index("rater_id").loc["r03", "severity"] == pytest.approx(2.0, abs=0.05)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # tiny chains: small-sample notices
def test_pymc_agrees_with_em():
    frame, _ = simulate(seed=6, n_items=150, n_raters=6, per_item=3, spammer=False)
    em = OrdinalRaters().fit(frame)
    mc = OrdinalRaters(engine="pymc", sampler={"draws": 150, "tune": 200, "chains": 2}, random_state=0).fit(frame)
    assert mc.ci_method_.startswith("posterior-quantile")
    diff = np.abs(mc.raters_["severity"] - em.raters_["severity"])
    assert (diff < 2 * mc.raters_["severity_se"] + 0.1).all()


def test_errors():
    frame, _ = simulate(seed=7, n_items=40, n_raters=4, per_item=2)
    with pytest.raises(InvalidParameterError, match="'link' parameter of OrdinalRaters"):
        OrdinalRaters(link="cauchit").fit(frame)
    with pytest.raises(InvalidParameterError, match="'gold_discrimination' parameter"):
        OrdinalRaters(gold_discrimination=0).fit(frame)
    with pytest.raises(ValueError, match="unknown columns"):
        OrdinalRaters(rater_priors=pd.DataFrame({"rater_id": ["r00"], "bias": [1.0]})).fit(frame)
    continuous = pd.DataFrame({"item_id": [0, 0, 1], "rater_id": ["a", "b", "a"], "value": [0.5, 1.5, 2.25]})
    with pytest.raises(ValueError, match="ordinal, binary scales"):
        OrdinalRaters().fit(continuous)


def test_save_load_roundtrip(tmp_path):
    frame, _ = simulate(seed=8, n_items=100, n_raters=5, per_item=3, spammer=False)
    model = OrdinalRaters().fit(frame)
    loaded = OrdinalRaters.load(model.save(tmp_path / "ordinal.zip"))
    pd.testing.assert_frame_equal(loaded.raters_, model.raters_, check_dtype=False)
    np.testing.assert_allclose(loaded.thresholds_, model.thresholds_)
    pd.testing.assert_frame_equal(loaded.predict_proba(), model.predict_proba(), check_dtype=False)


def test_blocked_kernel_equals_one_block(monkeypatch):
    # the kernel walks the items in blocks; tiny blocks (7 items) with gold, online signals and the pairwise
    # prior give the same fit as one block (regression: equal to rounding)
    from alignlab._array import annotators_continuous_ordinal as kernel

    rng = np.random.default_rng(8)
    n_items, n_raters, C = 120, 8, 4
    item = np.repeat(np.arange(n_items), 3)
    rater = rng.integers(0, n_raters, len(item))
    quality = rng.normal(size=n_items)
    label = np.clip(np.round(quality[item] + rng.normal(0, 0.7, len(item)) + 1.5), 0, C - 1).astype(int)
    signals = {"item": np.arange(0, n_items, 5), "signal": np.zeros(n_items // 5, int),
               "successes": rng.integers(0, 30, n_items // 5).astype(float), "trials": np.full(n_items // 5, 30.0),
               "n_signals": 1}
    common = {"n_items": n_items, "n_raters": n_raters, "group": np.zeros(n_raters, int)}
    a, b = rng.integers(0, 5, n_items), rng.integers(0, 4, n_items)
    b = np.where(b >= a, b + 1, b)
    rows = np.r_[np.arange(n_items), np.arange(n_items)]
    import scipy.sparse as sp

    design = sp.csr_matrix((np.r_[np.ones(n_items), -np.ones(n_items)], (rows, np.r_[a, b])), shape=(n_items, 5))
    fits = {}
    for block in (10_000, 7):
        monkeypatch.setattr(kernel, "_BLOCK_ITEMS", block)
        fits[block] = (
            kernel.ordinal_map(item, rater, label, n_categories=C, signals=signals, gold_item=np.array([2, 50, 119]),
                               gold_label=np.array([0, 3, 1]), **common),
            kernel.ordinal_map(item, rater, np.minimum(label, 2), n_categories=3, design=design, **common),
        )
    for one, many in zip(fits[10_000], fits[7], strict=True):
        np.testing.assert_allclose(many.severity, one.severity, atol=1e-7)
        np.testing.assert_allclose(many.severity_se, one.severity_se, rtol=1e-6)
        np.testing.assert_allclose(many.item_posterior, one.item_posterior, atol=1e-7)
        np.testing.assert_allclose(many.theta, one.theta, atol=1e-7)
    assert fits[7][0].signal_slope[0] == pytest.approx(fits[10_000][0].signal_slope[0], abs=1e-7)
