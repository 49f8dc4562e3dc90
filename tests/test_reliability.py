"""Rater reliability = kappa with the latent truth (issue #20), the same in every discrete model.

Reference values: scikit-learn's ``cohen_kappa_score`` (plain and linearly weighted) on the rows of a
population with the model's prevalence and confusion matrix; seeded simulations with known accuracy
(ordering, an inverted rater, a spammer); the bundled PandaLM data (the two judges ordered as their
accuracy against the human majority).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

import alignlab
from alignlab.annotators import GLAD, MACE, DawidSkene, OneCoin
from alignlab.annotators import _reliability as rel
from alignlab.data import Scale

ACCURACIES = np.array([0.55, 0.65, 0.75, 0.85, 0.95])


def _population(pi: np.ndarray, theta: np.ndarray, size: int = 100_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(truth, label) rows whose empirical joint is exactly round(size * pi_k theta_kl)."""
    counts = np.rint(size * pi[:, None] * theta).astype(int)
    K = len(pi)
    truth = np.repeat(np.repeat(np.arange(K), K), counts.reshape(-1))
    label = np.repeat(np.tile(np.arange(K), K), counts.reshape(-1))
    return truth, label, counts


# -- the formula against scikit-learn ----------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_reliability_equals_sklearn_kappa_on_the_population(weighted):
    rng = np.random.default_rng(0)
    K = 4
    pi = rng.dirichlet(np.ones(K) * 2)
    theta = rng.dirichlet(np.ones(K), size=(3, K)) + 2 * np.eye(K)
    theta /= theta.sum(-1, keepdims=True)
    weights = rel.linear_weights(np.arange(K, dtype=float)) if weighted else np.eye(K)
    for j in range(3):
        truth, label, counts = _population(pi, theta[j])
        joint = counts / counts.sum()
        ours = rel.reliability((joint / joint.sum(1, keepdims=True))[None], joint.sum(1), weights)[0]
        # reference: scikit-learn's Cohen's kappa (weights="linear" is 1 - |i - j| / (K - 1))
        expected = cohen_kappa_score(truth, label, weights="linear" if weighted else None)
        assert float(ours) == pytest.approx(expected, abs=1e-12)


def test_pairwise_weights_give_ties_half_credit():
    scale = Scale.pairwise()
    w = rel.agreement_weights(scale)
    order = {label: i for i, label in enumerate(scale.labels)}
    assert w[order["A"], order["tie"]] == 0.5 and w[order["tie"], order["B"]] == 0.5
    assert w[order["A"], order["B"]] == 0.0
    # reference: on B < tie < A (codes 0, 1, 2) the pairwise kappa is sklearn's linearly weighted kappa
    pi = np.array([0.45, 0.45, 0.10])  # A, B, tie
    theta = np.array([[0.80, 0.10, 0.10], [0.15, 0.75, 0.10], [0.40, 0.40, 0.20]])
    truth, label, counts = _population(pi, theta)
    to_ordered = np.array([order["B"], order["tie"], order["A"]]).argsort()  # label code -> B/tie/A position
    joint = counts / counts.sum()
    ours = float(rel.reliability((joint / joint.sum(1, keepdims=True))[None], joint.sum(1), w)[0])
    assert ours == pytest.approx(cohen_kappa_score(to_ordered[truth], to_ordered[label], weights="linear"),
                                 abs=1e-12)


def test_rare_ties_do_not_dominate():
    # a judge perfect on clear preferences that never says tie: ties are 8% of the items, so its
    # reliability stays high; the unsigned row distance (mean over class pairs) gives the two tie pairs
    # two thirds of the weight and drops to 2/3
    pi = np.array([0.46, 0.46, 0.08])  # A, B, tie
    never_tie = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    w = rel.agreement_weights(Scale.pairwise())
    assert float(rel.informativeness(never_tie[None])[0]) == pytest.approx(2 / 3)
    # closed form of the weighted kappa: P_o = sum w pi theta, P_e = sum w pi q with q = pi theta
    q = pi @ never_tie
    p_o = float((pi[:, None] * never_tie * w).sum())
    p_e = float((np.outer(pi, q) * w).sum())
    assert float(rel.reliability(never_tie[None], pi, w)[0]) == pytest.approx((p_o - p_e) / (1 - p_e))
    assert float(rel.reliability(never_tie[None], pi, w)[0]) > 0.9
    # a tie for a clear preference costs half as much as the opposite preference
    tie_for_a = np.array([[0.9, 0.0, 0.1], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    b_for_a = np.array([[0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    perfect = np.eye(3)
    loss_tie = 1 - rel.reliability(tie_for_a[None], pi, w)[0]
    loss_b = 1 - rel.reliability(b_for_a[None], pi, w)[0]
    assert rel.reliability(perfect[None], pi, w)[0] == pytest.approx(1.0)
    assert 0 < loss_tie < loss_b


def test_sign_spammer_and_inverted():
    pi = np.array([0.3, 0.7])
    spammer = np.array([[0.6, 0.4], [0.6, 0.4]])
    inverted = np.array([[0.1, 0.9], [0.9, 0.1]])
    values = rel.reliability(np.stack([spammer, inverted]), pi, np.eye(2))
    assert values[0] == pytest.approx(0.0, abs=1e-15)
    assert values[1] < -0.5
    # the unsigned measure cannot tell the inverted rater from a good one
    assert rel.informativeness(inverted[None])[0] == pytest.approx(0.8)
    spam, adversarial = rel.rater_flags(np.array([[0.05, -0.6, 0.7], [-0.1, -0.5, 0.1]]))
    np.testing.assert_allclose(spam, [1.0, 0.0, 0.5])
    np.testing.assert_allclose(adversarial, [0.5, 1.0, 0.0])


@pytest.mark.parametrize("scale", [Scale.categorical([0, 1, 2, 3]), Scale.ordinal([1, 2, 3, 4, 5]), Scale.pairwise(),
                                   Scale.binary()])
def test_one_coin_accuracy_inverts_reliability(scale):
    from alignlab._array.annotators_em import onecoin_theta

    w = rel.agreement_weights(scale)
    K = scale.n_categories
    a = np.linspace(0.0, 1.0, 11)
    kappa = rel.reliability(onecoin_theta(a, K), np.full(K, 1.0 / K), w)
    np.testing.assert_allclose(rel.one_coin_accuracy(kappa, w), a, atol=1e-12)
    assert np.all(np.diff(kappa) > 0)  # increasing in accuracy


# -- seeded simulations: the fitted reliabilities follow the raters' accuracy -------------------------
def simulate_accuracy_raters(scale: str, seed: int, n_items: int = 500, accuracies=ACCURACIES,
                             extra: str | None = None) -> alignlab.Judgments:
    """Every rater labels every item; rater ``r<i>`` is right with probability ``accuracies[i]``.

    Errors: binary the other label; 4-class a uniformly chosen wrong class; pairwise (ties 10% of the
    items) a clear preference is mistaken for the opposite one (70%) or a tie (30%), a tie for A or B.
    ``extra="inverted"`` adds a rater who relabels systematically 85% of the time (binary: the other
    label; 4-class: the next class; pairwise: the opposite preference, a clear preference for a tie);
    ``extra="spammer"`` one whose labels ignore the truth.
    """
    rng = np.random.default_rng(seed)
    if scale == "binary":
        K, pi, labels = 2, np.array([0.4, 0.6]), [0, 1]
    elif scale == "categorical":
        K, pi, labels = 4, np.array([0.4, 0.3, 0.2, 0.1]), [0, 1, 2, 3]
    else:
        K, pi, labels = 3, np.array([0.45, 0.45, 0.10]), ["A", "B", "tie"]
    truth = rng.choice(K, n_items, p=pi)
    rows = []
    for r, acc in enumerate(accuracies):
        correct = rng.random(n_items) < acc
        if scale == "binary":
            wrong = 1 - truth
        elif scale == "categorical":
            wrong = (truth + rng.integers(1, K, n_items)) % K
        else:
            other = np.where(truth == 0, 1, 0)
            wrong = np.where(truth == 2, rng.integers(0, 2, n_items),
                             np.where(rng.random(n_items) < 0.7, other, 2))
        label = np.where(correct, truth, wrong)
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": f"r{r}", "value": np.asarray(labels,
                                  dtype=object)[label]}))
    if extra == "inverted":
        flipped = {2: 1 - truth, 4: (truth + 1) % K, 3: np.where(truth == 2, rng.integers(0, 2, n_items), 1 - truth)}[K]
        label = np.where(rng.random(n_items) < 0.85, flipped, truth)
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": "inverted",
                                  "value": np.asarray(labels, dtype=object)[label]}))
    if extra == "spammer":
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": "spammer",
                                  "value": np.asarray(labels, dtype=object)[rng.choice(K, n_items, p=pi)]}))
    kinds = {"binary": Scale.binary(), "categorical": Scale.categorical(labels), "pairwise": Scale.pairwise()}
    return alignlab.load_judgments(pd.concat(rows, ignore_index=True), scale=kinds[scale], segments=[])


@pytest.mark.parametrize("scale", ["binary", "categorical", "pairwise"])
def test_reliability_ranks_raters_as_their_accuracy(scale):
    """Spearman 1 between accuracy 0.55 ... 0.95 and the fitted reliability on each of 10 seeds."""
    for seed in range(10):
        j = simulate_accuracy_raters(scale, seed)
        raters = DawidSkene(ci_method="none").fit(j).raters_.set_index("rater_id")
        fitted = raters.loc[[f"r{i}" for i in range(len(ACCURACIES))], "reliability"].to_numpy()
        assert stats.spearmanr(ACCURACIES, fitted).statistic == pytest.approx(1.0), (scale, seed, fitted)


@pytest.mark.parametrize("scale", ["binary", "categorical", "pairwise"])
@pytest.mark.parametrize("model_class", [OneCoin, MACE, GLAD])
def test_reliability_ranks_raters_in_every_categorical_model(model_class, scale):
    for seed in range(10):
        j = simulate_accuracy_raters(scale, 100 + seed)
        raters = model_class(ci_method="none", random_state=0).fit(j).raters_.set_index("rater_id")
        fitted = raters.loc[[f"r{i}" for i in range(len(ACCURACIES))], "reliability"].to_numpy()
        assert stats.spearmanr(ACCURACIES, fitted).statistic == pytest.approx(1.0), (model_class.__name__, scale, seed,
                                                                                   fitted)


@pytest.mark.parametrize("scale", ["binary", "categorical", "pairwise"])
@pytest.mark.parametrize("model_class", [DawidSkene, OneCoin, GLAD])
def test_inverted_rater_is_below_zero_and_flagged(scale, model_class):
    j = simulate_accuracy_raters(scale, 7, extra="inverted")
    raters = model_class(ci_method="conditional", n_resamples=100, random_state=0).fit(j).raters_
    inverted = raters.set_index("rater_id").loc["inverted"]
    assert inverted["reliability_high"] < 0, inverted["reliability"]
    assert inverted["adversarial_prob"] >= rel.ADVERSARIAL_PROB
    if model_class is DawidSkene:  # its confusion matrix sees the systematic relabelling
        assert inverted["informativeness"] > 0.5  # informative, but the wrong way round
        if scale != "categorical":  # kappa cannot fall far below 0 with four classes
            assert inverted["spammer_prob"] < 0.1
    good = raters.set_index("rater_id").loc["r4"]
    assert good["adversarial_prob"] == 0.0 and good["reliability_low"] > 0.5


@pytest.mark.parametrize("scale", ["binary", "categorical", "pairwise"])
def test_spammer_is_within_its_interval_of_zero(scale):
    j = simulate_accuracy_raters(scale, 11, extra="spammer")
    raters = DawidSkene(ci_method="conditional", n_resamples=200, random_state=0).fit(j).raters_
    spammer = raters.set_index("rater_id").loc["spammer"]
    assert spammer["reliability_low"] <= 0 <= spammer["reliability_high"], spammer[["reliability", "reliability_low",
                                                                                      "reliability_high"]]
    assert spammer["spammer_prob"] > 0.9
    assert 0.05 < spammer["adversarial_prob"] < 0.95  # not called adversarial
    # raters right 75% of the time or more are not near chance (the 0.55 one may be)
    assert (raters.set_index("rater_id").loc[["r2", "r3", "r4"], "spammer_prob"] < 0.05).all()


def test_columns_and_intervals_come_from_the_same_draws():
    j = simulate_accuracy_raters("pairwise", 3)
    model = DawidSkene(ci_method="conditional", n_resamples=50, random_state=1).fit(j)
    raters = model.raters_
    assert {"reliability", "informativeness", "informativeness_low", "informativeness_high",
            "adversarial_prob"} <= set(raters.columns)
    assert (raters["reliability_low"] <= raters["reliability"]).all()
    assert (raters["reliability"] <= raters["reliability_high"]).all()
    # the point value is kappa of the point confusion matrix and prevalence (reported in confusion_)
    K = j.scale.n_categories
    theta = model.confusion_["prob"].to_numpy().reshape(j.n_raters, K, K)
    pi = model.prevalence_["prevalence"].to_numpy()
    np.testing.assert_allclose(raters["reliability"], rel.reliability(theta, pi, rel.agreement_weights(j.scale)),
                               rtol=1e-12)
    np.testing.assert_allclose(raters["informativeness"], rel.informativeness(theta), rtol=1e-12)


def test_pandalm_judges_ordered_as_their_accuracy_against_the_human_majority():
    j = alignlab.datasets.load("pandalm")
    frame = j.frame
    humans = frame[frame["method"] == "human"]
    counts = humans.groupby(["item_id", "value"]).size().unstack(fill_value=0)
    majority = counts.idxmax(axis=1)[counts.max(axis=1) >= 2]
    accuracy = {}
    for judge in ("gpt-3.5-turbo", "pandalm-7b"):
        said = frame[frame["rater_id"] == judge].set_index("item_id")["value"]
        shared = majority.index.intersection(said.index)
        accuracy[judge] = float((said.loc[shared] == majority.loc[shared]).mean())
    # regression: 0.7156 on 974 items vs 0.6677 on 999
    assert accuracy["gpt-3.5-turbo"] > accuracy["pandalm-7b"] + 0.03
    raters = DawidSkene(ci_method="conditional", random_state=0).fit(j).raters_.set_index("rater_id")
    r = raters["reliability"]
    assert r["gpt-3.5-turbo"] > r["pandalm-7b"] + 0.03  # regression: 0.558 vs 0.489
    assert r[["annotator1", "annotator2", "annotator3"]].min() > r[["gpt-3.5-turbo", "pandalm-7b"]].max()


# -- ordinal and pairwise latent-scale models: reliability from their implied confusion matrix -------
def test_latent_confusion_kappa_matches_a_simulated_population():
    """The implied-confusion kappa of ordered-logit raters equals sklearn's kappa on 400k simulated items."""
    from scipy import special

    thresholds = np.array([-1.0, 0.0, 1.2])
    severity = np.array([0.0, 0.6, -0.3])
    discrimination = np.array([0.5, 2.0, 6.0])
    nodes = np.linspace(-6, 6, 2401)
    node_weight = stats.norm.pdf(nodes)
    node_weight /= node_weight.sum()
    weights = rel.linear_weights(np.arange(4.0))
    th = thresholds[None]
    joint = rel.latent_confusion(nodes, node_weight, th, th, severity[None], discrimination[None], "logit")
    ours = rel.latent_summaries(joint, weights)["reliability"][0]
    rng = np.random.default_rng(0)
    quality = rng.normal(size=400_000)
    latent_class = (quality[:, None] > thresholds[None, :]).sum(axis=1)
    for j in range(3):
        eta = discrimination[j] * (thresholds[None, :] + severity[j] - quality[:, None])
        label = (rng.random(len(quality))[:, None] > special.expit(eta)).sum(axis=1)
        # reference: scikit-learn's linearly weighted kappa of the simulated labels with the latent class
        expected = cohen_kappa_score(latent_class, label, weights="linear")
        assert ours[j] == pytest.approx(expected, abs=0.005), j


def _ordinal_study(seed: int, discrimination=(0.4, 0.8, 1.6, 3.2, 6.4), n_items: int = 600) -> pd.DataFrame:
    from scipy import special

    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n_items)
    thresholds = np.array([-1.0, 0.0, 1.0])
    rows = []
    for r, d in enumerate(discrimination):
        eta = d * (thresholds[None, :] - quality[:, None])
        label = (rng.random(n_items)[:, None] > special.expit(eta)).sum(axis=1) + 1
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": f"r{r}", "value": label}))
    return pd.concat(rows, ignore_index=True)


def test_ordinal_raters_reliability_ranks_by_discrimination_with_intervals():
    from alignlab.annotators import OrdinalRaters

    for seed in range(3):
        raters = OrdinalRaters(random_state=0).fit(_ordinal_study(seed)).raters_.set_index("rater_id")
        fitted = raters.loc[[f"r{i}" for i in range(5)], "reliability"].to_numpy()
        assert np.all(np.diff(fitted) > 0), (seed, fitted)
        assert (raters["reliability_low"] <= raters["reliability"]).all()
        assert (raters["reliability"] <= raters["reliability_high"]).all()
        assert (raters["adversarial_prob"] == 0).all()  # positive discrimination: never below chance
        assert raters.loc["r4", "spammer_prob"] == 0.0


def test_bradley_terry_reliability_on_pandalm_follows_accuracy():
    from alignlab.annotators import BradleyTerry

    raters = BradleyTerry(random_state=0).fit(alignlab.datasets.load("pandalm")).raters_.set_index("rater_id")
    r = raters["reliability"]
    # direction of the judges' accuracy against the human majority (0.716 vs 0.668); regression 0.527 vs 0.519
    assert r["gpt-3.5-turbo"] > r["pandalm-7b"]
    assert r[["annotator1", "annotator2", "annotator3"]].min() > r[["gpt-3.5-turbo", "pandalm-7b"]].max()
    assert (raters["informativeness_low"] <= raters["informativeness"]).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # tiny chains: small-sample notices
def test_pymc_reliability_is_computed_draw_by_draw():
    from alignlab.annotators import _arviz

    j = simulate_accuracy_raters("pairwise", 5, n_items=150, extra="inverted")
    model = DawidSkene(engine="pymc", pooling=(), random_state=0, sampler={"draws": 200, "tune": 200}).fit(j)
    theta, pi = _arviz.draws(model.idata_, "theta"), _arviz.draws(model.idata_, "pi")
    per_draw = rel.reliability(theta, pi, rel.agreement_weights(j.scale))  # (draws, raters)
    raters = model.raters_
    np.testing.assert_allclose(raters["reliability"], per_draw.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(raters["reliability_low"], np.quantile(per_draw, 0.025, axis=0), rtol=1e-10)
    np.testing.assert_allclose(raters["adversarial_prob"], (per_draw < 0).mean(axis=0))
    assert raters.set_index("rater_id").loc["inverted", "reliability_high"] < 0


# -- consumers: vendor audit, trust weights, judge verdict ---------------------------------------------
def _labelled_study(seed: int = 0, n_items: int = 300) -> alignlab.Judgments:
    """Binary labels: four good humans (vendor acme), a good and an inverted judge, a spammer (vendor cheapo)."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_items) < 0.45).astype(int)
    specs = {"h1": ("human", "acme", 0.9), "h2": ("human", "acme", 0.88), "h3": ("human", "acme", 0.92),
             "h4": ("human", "acme", 0.86), "good_judge": ("llm_judge", "openai", 0.85),
             "inverted_judge": ("llm_judge", "flipco", 0.15), "spammer": ("human", "cheapo", None)}
    rows = []
    for rater, (method, vendor, acc) in specs.items():
        if acc is None:
            label = (rng.random(n_items) < 0.5).astype(int)
        else:
            label = np.where(rng.random(n_items) < acc, truth, 1 - truth)
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": rater, "method": method,
                                  "vendor": vendor, "value": label}))
    return alignlab.load_judgments(pd.concat(rows, ignore_index=True), scale="binary", segments=[])


def test_audit_vendors_flags_the_adversarial_rater_and_the_spammer():
    from alignlab.workflows import audit_vendors

    audit = audit_vendors(_labelled_study(), random_state=0)
    table = audit.to_frame().set_index("rater_id")
    assert table.loc["inverted_judge", "rank"] == 1  # worst: below chance
    assert table.loc["inverted_judge", "reliability_high"] < 0
    assert table.loc["inverted_judge", "adversarial"] and not table.loc["inverted_judge", "spammer"]
    assert table.loc["spammer", "spammer"] and not table.loc["spammer", "adversarial"]
    assert table.loc["spammer", "reliability_low"] <= 0 <= table.loc["spammer", "reliability_high"]
    assert not table.drop(index=["inverted_judge", "spammer"])[["spammer", "adversarial"]].any().any()
    actions = audit.actions.set_index("rater_id")
    assert actions.loc["inverted_judge", ["action", "reason"]].tolist() == ["remove", "adversarial"]
    assert actions.loc["spammer", ["action", "reason"]].tolist() == ["remove", "spammer"]
    assert "less often than chance" in actions.loc["inverted_judge", "evidence"]
    vendors = audit.vendors.set_index("vendor")
    assert audit.worst_vendor == "flipco" and vendors.loc["flipco", "adversarial_share"] == 1.0


def test_trust_weights_give_no_weight_to_a_judge_below_chance():
    from alignlab.workflows import trust_weights

    tw = trust_weights(_labelled_study(1), target="pass_rate", reference=["h1", "h2", "h3", "h4"], random_state=0)
    table = tw.to_frame().set_index("source")
    assert table.loc["inverted_judge", "reliability"] < 0
    assert table.loc["inverted_judge", "weight"] == 0.0
    assert table.loc["good_judge", "weight"] > 0.1
    assert any("weight 0 for" in n and "inverted_judge" in n for n in tw.notes)


def test_validate_judge_calls_an_inverted_judge_harmful():
    from alignlab.workflows import validate_judge

    j = _labelled_study(2)
    humans = ["h1", "h2", "h3", "h4"]
    bad = validate_judge(j, raters="inverted_judge", reference=humans, find_segments=False, n_resamples=200,
                         random_state=0)
    assert bad.verdict == "do_not_use" and bad.harmful
    assert bad.reasons[0].startswith("harmful")
    good = validate_judge(j, raters="good_judge", reference=humans, find_segments=False, n_resamples=200, random_state=0)
    assert not good.harmful and good.verdict in ("assist", "replace")


def _score_study(seed: int = 0, n_items: int = 300) -> alignlab.Judgments:
    """Continuous scores: four humans and a judge track the quality, an inverted judge scores against it."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(50, 10, n_items)
    rows = []
    for rater, (method, vendor, slope) in {"h1": ("human", "acme", 1.0), "h2": ("human", "acme", 1.0),
                                           "h3": ("human", "acme", 1.0), "h4": ("human", "acme", 1.0),
                                           "good_judge": ("llm_judge", "openai", 0.9),
                                           "inverted_judge": ("llm_judge", "flipco", -0.9)}.items():
        value = 50 + slope * (quality - 50) + rng.normal(0, 5, n_items)
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": rater, "method": method,
                                  "vendor": vendor, "value": value}))
    return alignlab.load_judgments(pd.concat(rows, ignore_index=True), scale="continuous", segments=[])


def test_workflows_sign_the_continuous_reliability_by_the_scale():
    """Scores: the variance-share reliability takes the sign of the rater's scale in every workflow."""
    from alignlab.annotators import ContinuousRaters
    from alignlab.workflows import audit_vendors, trust_weights, validate_judge
    from alignlab.workflows._compose import rater_table

    j = _score_study()
    model = ContinuousRaters(scale="rater", random_state=0).fit(j)
    plain = model.raters_.set_index("rater_id")
    signed = rater_table(model).set_index("rater_id")
    assert plain.loc["inverted_judge", "scale_high"] < 0 < plain.loc["inverted_judge", "reliability"]
    assert signed.loc["inverted_judge", "reliability"] == pytest.approx(-plain.loc["inverted_judge", "reliability"])
    assert signed.loc["inverted_judge", "reliability_high"] < 0
    assert signed.loc["inverted_judge", "adversarial_prob"] > 0.99
    assert signed.loc["good_judge", "reliability"] == plain.loc["good_judge", "reliability"]
    assert signed.loc["good_judge", "adversarial_prob"] < 0.01
    audit = audit_vendors(j, random_state=0)
    table = audit.to_frame().set_index("rater_id")
    assert table.loc["inverted_judge", "adversarial"] and table.loc["inverted_judge", "rank"] == 1
    assert audit.worst_vendor == "flipco"
    tw = trust_weights(j, reference=["h1", "h2", "h3", "h4"], random_state=0)
    assert tw.weights["inverted_judge"] == 0.0 and tw.weights["good_judge"] > 0
    v = validate_judge(j, raters="inverted_judge", reference=["h1", "h2", "h3", "h4"], find_segments=False,
                       n_resamples=200, random_state=0)
    assert v.harmful and v.verdict == "do_not_use"
