"""Annotator defaults chosen by the data, no silent collapse, raw gold accuracy, compare_models (issue #12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab.annotators import GLAD, MACE, DawidSkene, OneCoin, compare_models


def sparse_binary_crowd(seed: int, n_items: int = 4000, n_raters: int = 700, per_item: int = 5,
                        spam: float = 0.2, prevalence: float = 0.3):
    """5 labels per item from 700 raters (heavy-tailed workloads), 20% spammers who favour label 1,
    lenient honest raters (sensitivity U(0.6, 0.95), specificity U(0.4, 0.8)), 30% positives."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_items) < prevalence).astype(int)
    is_spam = rng.random(n_raters) < spam
    sens, spec = rng.uniform(0.6, 0.95, n_raters), rng.uniform(0.4, 0.8, n_raters)
    spam_rate = rng.uniform(0.5, 1.0, n_raters)
    workload = rng.pareto(1.0, n_raters) + 0.05
    workload /= workload.sum()
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False, p=workload) for _ in range(n_items)])
    item = np.repeat(np.arange(n_items), per_item)
    p1 = np.where(truth[item] == 1, sens[rater], 1 - spec[rater])
    p1 = np.where(is_spam[rater], spam_rate[rater], p1)
    label = (rng.random(len(item)) < p1).astype(int)
    frame = pd.DataFrame({"item_id": item, "rater_id": rater, "value": label})
    return alignlab.load_judgments(frame, scale="binary", segments=[]), truth


def accuracy_vs_truth(model, j, truth) -> float:
    return float((model.predict().to_numpy().astype(int) == truth[j.items.to_numpy().astype(int)]).mean())


def mv_accuracy(j, truth) -> float:
    counts = j.counts()
    top = counts == counts.max(axis=1, keepdims=True)
    t = truth[j.items.to_numpy().astype(int)]
    return float((top[np.arange(len(t)), t] / top.sum(axis=1)).mean())


@pytest.fixture(scope="module")
def crowd():
    return sparse_binary_crowd(0)


def test_every_model_beats_majority_vote_on_a_sparse_binary_crowd(crowd):
    j, truth = crowd
    mv = mv_accuracy(j, truth)  # 0.668 (seeded truth)
    for cls in (DawidSkene, OneCoin, MACE, GLAD):
        model = cls(ci_method="none", random_state=0).fit(j)
        acc = accuracy_vs_truth(model, j, truth)
        assert acc > mv, (cls.__name__, acc, mv)
        share = model.prevalence_["prevalence"].to_numpy()
        assert share.min() > 0.2, (cls.__name__, share)  # no vertex: the true prevalence is (0.7, 0.3)


def test_symmetric_models_collapse_with_an_estimated_prevalence_and_say_so(crowd):
    """The degenerate fixed point the issue reports: with the prevalence estimated, one-coin and GLAD give
    (almost) every item label 1 (the maximum-likelihood solution of a symmetric-error model for raters who
    differ in how often they say 1); the fit warns. prevalence='auto' (default) refits with 1/K and says so."""
    j, truth = crowd
    for cls in (OneCoin, GLAD):
        collapsed = cls(prevalence="estimate", ci_method="none").fit(j)
        assert collapsed.predict().astype(int).mean() > 0.95
        assert accuracy_vs_truth(collapsed, j, truth) < mv_accuracy(j, truth)
        assert any("collapsed toward one label" in w for w in collapsed.warnings_), collapsed.warnings_
        assert collapsed.convergence_["collapsed"].iloc[0] == "0"  # the label that (nearly) vanished
        default = cls(ci_method="none").fit(j)
        assert default.convergence_["prevalence"].iloc[0] == "uniform"
        assert any("refitted with the prevalence fixed at 1/K" in w for w in default.warnings_)


def test_sound_fit_has_no_consensus_warning():
    j = alignlab.datasets.load("bluebird")
    model = DawidSkene(ci_method="none", use_gold=False).fit(j)
    assert not any("majority vote" in w or "collapsed" in w for w in model.warnings_)
    assert 0 < model.convergence_["mv_disagreement"].iloc[0] < 0.25


def test_raw_gold_accuracy_with_wilson_interval():
    from statsmodels.stats.proportion import proportion_confint

    j0, truth = sparse_binary_crowd(1, n_items=600, n_raters=40)
    frame = j0.frame[["item_id", "rater_id", "value"]].copy()
    gold_items = np.arange(0, 600, 3)
    frame["gold"] = np.where(frame["item_id"].astype(int).isin(gold_items), truth[frame["item_id"].astype(int)], np.nan)
    j = alignlab.load_judgments(frame, scale="binary", segments=[])
    raters = DawidSkene(ci_method="none").fit(j).raters_
    raters.index = raters["rater_id"].astype(str)
    # reference: counts by pandas, interval by statsmodels
    on_gold = frame.dropna(subset=["gold"])
    hits = (on_gold["value"] == on_gold["gold"]).groupby(on_gold["rater_id"].astype(str)).agg(["sum", "count"])
    for rater_id, (k, n) in hits.iterrows():
        row = raters.loc[rater_id]
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert row["n_gold"] == n and row["accuracy_raw"] == pytest.approx(k / n)
        assert (row["accuracy_raw_low"], row["accuracy_raw_high"]) == pytest.approx((low, high))
    assert {"accuracy", "accuracy_low", "accuracy_high"} <= set(raters.columns)  # the smoothed one stays


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_chosen_prior_fit_equals_plain_reference_on_dense_data():
    """With many labels per rater the data choose a weak prior and the fit equals plain (ML) Dawid–Skene:
    crowd-kit's DawidSkene (the reference) gives the same consensus, and both recover the seeded truth."""
    from crowdkit.aggregation import DawidSkene as CKDawidSkene

    rng = np.random.default_rng(3)
    n_items, n_raters, K = 1500, 8, 3
    truth = rng.choice(K, n_items, p=[0.5, 0.3, 0.2])
    conf = np.stack([0.1 * np.ones((K, K)) + np.diag(rng.uniform(0.6, 1.5, K)) for _ in range(n_raters)])
    conf /= conf.sum(-1, keepdims=True)
    item = np.repeat(np.arange(n_items), n_raters)
    rater = np.tile(np.arange(n_raters), n_items)
    u = rng.random(len(item))[:, None]
    label = (u > np.cumsum(conf[rater, truth[item]], axis=1)).sum(1)
    j = alignlab.load_judgments(pd.DataFrame({"item_id": item, "rater_id": rater, "value": label}),
                                scale=alignlab.Scale.categorical([0, 1, 2]), segments=[])
    ours = DawidSkene(ci_method="none").fit(j)
    theirs = CKDawidSkene(n_iter=500, tol=1e-10).fit(j.to_crowdkit())
    ck = theirs.labels_.reindex(ours.predict().index).to_numpy()
    assert (ours.predict().to_numpy() == ck).mean() >= 0.995
    t = truth[j.items.to_numpy().astype(int)]
    assert accuracy_vs_truth(ours, j, truth) == pytest.approx(float((ck == t).mean()), abs=0.005)
    np.testing.assert_allclose(ours.prevalence_["prevalence"], [0.5, 0.3, 0.2], atol=0.03)
    chosen = ours.prior_selection_.query("chosen").iloc[0]
    assert ours.convergence_["pooling_strength"].iloc[0] == chosen["pooling_strength"]


def ordinal_sparse_crowd(seed: int, n_items: int = 3000, n_raters: int = 400, per_item: int = 4, K: int = 4):
    """Many sparse raters, ordinal confusions (errors mostly one level off), lenient and harsh raters."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(K, n_items, p=[0.15, 0.35, 0.35, 0.15])
    levels = np.arange(K)
    conf = np.empty((n_raters, K, K))
    for r in range(n_raters):
        shift, spread = rng.normal(0, 0.4), rng.uniform(0.4, 1.0)
        logits = -((levels[None, :] - levels[:, None] - shift) ** 2) / (2 * spread**2)
        conf[r] = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
    item = np.repeat(np.arange(n_items), per_item)
    u = rng.random(len(item))[:, None]
    label = (u > np.cumsum(conf[rater, truth[item]], axis=1)).sum(1)
    frame = pd.DataFrame({"item_id": item, "rater_id": rater, "value": label})
    return alignlab.load_judgments(frame, scale=alignlab.Scale.ordinal(list(range(K))), segments=[]), truth


def test_data_chosen_prior_within_half_a_point_of_the_oracle_prior():
    """Oracle = the grid prior with the best accuracy against the (known) truth; the held-out choice,
    which never sees the truth, gets within 0.5 accuracy points of it."""
    j, truth = ordinal_sparse_crowd(11)
    chosen = DawidSkene(ci_method="none").fit(j)
    oracle = max(accuracy_vs_truth(DawidSkene(prior="fixed", pooling_strength=s, prior_correct=c, prior_error=e,
                                              ci_method="none").fit(j), j, truth)
                 for s, c, e in DawidSkene._PRIOR_GRID)
    assert accuracy_vs_truth(chosen, j, truth) >= oracle - 0.005
    assert accuracy_vs_truth(chosen, j, truth) > mv_accuracy(j, truth)


def test_compare_models_table_and_recommendation_on_bluebird():
    from statsmodels.stats.proportion import proportion_confint

    j = alignlab.datasets.load("bluebird")
    result = compare_models(j, cv=3, random_state=0)
    table = result.to_frame()
    assert set(table["model"]) == {"DawidSkene", "DawidSkene (flat)", "OneCoin", "MACE", "GLAD", "majority vote"}
    assert table["recommended"].sum() == 1 and result.recommended in set(table["model"])
    row = table.set_index("model").loc["DawidSkene"]
    low, high = proportion_confint(round(row["accuracy"] * row["n_gold"]), row["n_gold"], method="wilson")
    assert (row["accuracy_low"], row["accuracy_high"]) == pytest.approx((low, high))
    # a dense binary set: Dawid–Skene's rater-specific confusions predict held-out labels best
    assert result.recommended == "DawidSkene"
    assert table.set_index("model").loc[result.recommended, "accuracy"] > table.set_index("model").loc[
        "majority vote", "accuracy"]
    assert "held-out" in result.reason and result.summary().lines
    assert result.best_model().predict().shape[0] == j.n_items


def test_compare_models_rejects_continuous_scales():
    frame = pd.DataFrame({"item_id": [0, 0, 1, 1], "rater_id": ["a", "b", "a", "b"], "value": [0.1, 0.5, 0.3, 0.9]})
    with pytest.raises(ValueError, match="ContinuousRaters"):
        compare_models(alignlab.load_judgments(frame, scale="continuous"))


def simulate_family(family: str, seed: int, n_items: int = 600, n_raters: int = 30, per_item: int = 5, K: int = 3):
    """Seeded labels from one generating model: 'dawid-skene' (asymmetric full confusions), 'one-coin' or
    'mace' (competence Beta(2, 1), spamming strategy Dirichlet(0.5))."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(K, n_items, p=[0.5, 0.3, 0.2])
    if family == "glad":  # ability N(1.5, 1) x item inverse difficulty exp(N(0, 1)), errors uniform
        from scipy.special import expit

        ability, beta = rng.normal(1.5, 1.0, n_raters), np.exp(rng.normal(0, 1.0, n_items))
        rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
        item = np.repeat(np.arange(n_items), per_item)
        right = rng.random(len(item)) < expit(ability[rater] * beta[item])
        label = np.where(right, truth[item], (truth[item] + rng.integers(1, K, len(item))) % K)
        frame = pd.DataFrame({"item_id": item, "rater_id": rater, "value": label})
        return alignlab.load_judgments(frame, scale=alignlab.Scale.categorical(list(range(K))), segments=[])
    if family == "mace":
        competence, strategy = rng.beta(2, 1, n_raters), rng.dirichlet(np.full(K, 0.5), n_raters)
        conf = (1 - competence)[:, None, None] * strategy[:, None, :] + competence[:, None, None] * np.eye(K)[None]
    elif family == "one-coin":
        acc = rng.uniform(0.45, 0.9, n_raters)
        conf = np.stack([np.full((K, K), (1 - a) / (K - 1)) + np.eye(K) * (a - (1 - a) / (K - 1)) for a in acc])
    else:  # every rater confuses its own pair of classes: full, asymmetric confusion matrices
        conf = np.stack([rng.dirichlet(np.full(K, 0.3), size=K) * 0.6 + np.eye(K) * 0.4 for _ in range(n_raters)])
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
    item = np.repeat(np.arange(n_items), per_item)
    u = rng.random(len(item))[:, None]
    label = (u > np.cumsum(conf[rater, truth[item]], axis=1)).sum(1)
    frame = pd.DataFrame({"item_id": item, "rater_id": rater, "value": label})
    return alignlab.load_judgments(frame, scale=alignlab.Scale.categorical(list(range(K))), segments=[])


@pytest.mark.slow
@pytest.mark.parametrize(("family", "expected"), [("dawid-skene", {"DawidSkene", "DawidSkene (flat)"}),
                                                  ("one-coin", {"OneCoin"}), ("mace", {"MACE"})])
def test_compare_models_picks_the_generating_family(family, expected):
    """Measured: Dawid–Skene 10/10, one-coin 10/10, MACE 9/10 (item folds cannot use GLAD's item
    difficulties, which are unknown for held-out items: the GLAD family is tested with holdout="labels")."""
    models = {"DawidSkene": DawidSkene(ci_method="none"), "DawidSkene (flat)": DawidSkene(prior="flat", ci_method="none"),
              "OneCoin": OneCoin(ci_method="none"), "MACE": MACE(ci_method="none")}
    hits = sum(compare_models(simulate_family(family, seed), models, cv=5, random_state=seed).recommended in expected
               for seed in range(10))
    assert hits >= 9, hits


# -- ordinal prediction scale -------------------------------------------------------------------------
def lenient_ordinal_crowd(seed: int = 0, n_items: int = 1500, n_raters: int = 60, per_item: int = 5,
                          n_experts: int = 0, gold_every: int = 0):
    """Latent level on the reference scale (N(0, 1) cut at -1.5, -0.5, 0.5, 1.5 -> levels 1..5); every crowd
    rater labels round(level + 0.7 + N(0, 0.6)); the first ``n_experts`` raters (method "expert") are unbiased."""
    rng = np.random.default_rng(seed)
    level = np.searchsorted(np.array([-1.5, -0.5, 0.5, 1.5]), rng.normal(size=n_items))
    rater = np.concatenate([rng.choice(n_raters, per_item, replace=False) for _ in range(n_items)])
    item = np.repeat(np.arange(n_items), per_item)
    shift = np.where(np.arange(n_raters) < n_experts, 0.0, 0.7)
    label = np.clip(np.round(level[item] + shift[rater] + rng.normal(0, 0.6, len(item))), 0, 4).astype(int) + 1
    frame = pd.DataFrame({"item_id": item, "rater_id": [f"r{r}" for r in rater], "value": label,
                          "method": np.where(rater < n_experts, "expert", "crowd")})
    if gold_every:
        frame["gold"] = np.where(frame["item_id"] % gold_every == 0, level[item] + 1, np.nan)
    j = alignlab.load_judgments(frame, scale=alignlab.Scale.ordinal([1, 2, 3, 4, 5]), segments=[])
    return j, level[j.items.to_numpy().astype(int)] + 1


def test_ordinal_predictions_recover_the_latent_level_when_all_raters_are_lenient():
    from alignlab.annotators import OrdinalRaters

    j, level = lenient_ordinal_crowd(gold_every=10)  # every rater +0.7 levels; gold on 10% of items
    model = OrdinalRaters().fit(j)
    predicted = model.predict().to_numpy().astype(int)
    free = j.item_info["gold"].isna().to_numpy()  # items the gold does not give away
    assert (predicted == level)[free].mean() >= 0.85  # measured 0.88 (seeded truth)
    assert abs((predicted - level)[free].mean()) < 0.1  # no shift toward the raters' leniency
    assert model.prediction_scale_.startswith("gold")
    # right to differ from the lenient majority, and it says so (the user checks against gold)
    assert any("differs from majority vote" in w for w in model.warnings_)
    # without an anchor the model can only report the average rater's scale, and says so
    unanchored, level0 = lenient_ordinal_crowd()
    plain = OrdinalRaters().fit(unanchored)
    assert (plain.predict().to_numpy().astype(int) - level0).mean() > 0.5
    assert plain.prediction_scale_.startswith("the average rater's")


def test_ordinal_reference_raters_anchor_the_prediction_scale():
    from alignlab.annotators import OrdinalRaters

    j, level = lenient_ordinal_crowd(n_experts=6)  # the crowd is lenient by 0.7, six experts are not
    model = OrdinalRaters(reference="expert").fit(j)
    predicted = model.predict().to_numpy().astype(int)
    assert (predicted == level).mean() >= 0.85  # measured 0.888
    assert abs((predicted - level).mean()) < 0.1
    assert model.prediction_scale_.startswith("reference raters (6 raters")
    with pytest.raises(ValueError, match="reference"):
        OrdinalRaters(reference="nobody").fit(j)


def test_ordinal_raters_table_has_raw_gold_accuracy():
    from statsmodels.stats.proportion import proportion_confint

    from alignlab.annotators import OrdinalRaters

    j, _ = lenient_ordinal_crowd(n_items=400, n_raters=20, gold_every=4)
    raters = OrdinalRaters().fit(j).raters_.set_index("rater_id")
    frame = j.frame.dropna(subset=["gold"])
    right = (frame["value"].astype(int) == frame["gold"].astype(int)).groupby(frame["rater_id"]).agg(["sum", "count"])
    k, n = right.loc["r3"]
    assert raters.loc["r3", "n_gold"] == n and raters.loc["r3", "accuracy_raw"] == pytest.approx(k / n)
    assert raters.loc["r3", "accuracy_raw_low"] == pytest.approx(proportion_confint(k, n, method="wilson")[0])


def test_report_fits_the_recommended_model_and_says_why():
    from alignlab.report.sections.annotators import report_model

    j = alignlab.datasets.load("bluebird")
    model = report_model(j, random_state=0)
    choice = model.model_choice_
    assert choice.recommended in choice.to_frame()["model"].tolist()
    assert type(model).__name__ == type(choice.best_model()).__name__
    assert model.get_params()["use_gold"] is True  # the report's fit uses gold; the comparison does not
    assert "held-out" in choice.reason or "gold" in choice.reason


def test_cli_compare_models_and_recommended_model():
    import json

    from typer.testing import CliRunner

    from alignlab.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["compare-models", "--dataset", "bluebird", "--cv", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["recommended"] == "DawidSkene" and len(payload["models"]) == 6
    fitted = runner.invoke(app, ["raters", "--dataset", "bluebird", "--model", "recommended", "--no-gold"])
    assert fitted.exit_code == 0 and "model: DawidSkene" in fitted.output


def test_ordinal_held_out_likelihood_matches_numerical_integration():
    """The held-out score of OrdinalRaters (41-node grid) against scipy's quad over the N(0, 1) quality."""
    from scipy import integrate, stats
    from scipy.special import expit

    from alignlab.annotators import OrdinalRaters
    from alignlab.annotators.compare import _ordinal_item_loglik

    j, _ = lenient_ordinal_crowd(n_items=300, n_raters=20)
    items = list(j.items)
    model = OrdinalRaters()
    scores = _ordinal_item_loglik(model, j.subset(items=items[:240]), test := j.subset(items=items[240:]))
    raters = model.raters_.set_index("rater_id")
    cuts = np.concatenate([[-np.inf], model.thresholds_, [np.inf]])
    rows = test.frame[test.item_codes == 0]
    codes = test.scale.encode(rows["value"])

    def likelihood(q: float) -> float:
        out = 1.0
        for rater_id, c in zip(rows["rater_id"], codes, strict=True):
            d, s = raters.loc[rater_id, "discrimination"], raters.loc[rater_id, "severity"]
            out *= expit(d * (cuts[c + 1] + s - q)) - expit(d * (cuts[c] + s - q))
        return out * stats.norm.pdf(q)

    reference = np.log(integrate.quad(likelihood, -8, 8, limit=200)[0])
    assert scores[0] == pytest.approx(reference, abs=0.02)
    assert np.isfinite(scores).all() and len(scores) == 60


def test_default_prior_keeps_class_meaning_on_dices():
    """DICES-350 (123 rating positions x 350 items, expert gold): the best-scoring weak prior turns 'Unsure'
    into a 38% latent class (accuracy 0.49); the eligible choice keeps every class's label and beats
    majority vote (0.6543, regression: 0.6886)."""
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).parent / "data" / "annotators" / "dices350.csv.gz")
    j = alignlab.load_judgments(frame, scale="categorical", segments=[])
    model = DawidSkene(use_gold=False, ci_method="none").fit(j)
    table = model.prior_selection_
    assert not table.loc[table["prior_correct"] == 0.01, "classes_keep_labels"].iloc[0]  # the flat candidate
    assert table.loc[table["chosen"], "classes_keep_labels"].all()
    gold = j.item_info.set_index("item_id")["gold"]
    accuracy = float((model.predict() == gold.reindex(model.predict().index)).mean())
    assert accuracy == pytest.approx(0.6886, abs=0.003) and accuracy > 0.6543


@pytest.mark.slow
def test_compare_models_by_labels_picks_glad_on_glad_data():
    """Item difficulty only shows when single labels are held out (the item's other labels estimate it):
    with 12 labels per item, holdout="labels" picks GLAD; item folds pick OneCoin (measured 3/3)."""
    models = {"DawidSkene": DawidSkene(ci_method="none"), "OneCoin": OneCoin(ci_method="none"),
              "MACE": MACE(ci_method="none"), "GLAD": GLAD(ci_method="none")}
    hits = sum(compare_models(simulate_family("glad", seed, n_items=400, per_item=12), models, cv=5, holdout="labels",
                              random_state=seed).recommended == "GLAD" for seed in range(10))
    assert hits >= 9, hits


def test_compare_models_label_holdout_scores_every_judgment():
    j = simulate_family("dawid-skene", 0, n_items=200, n_raters=10)
    result = compare_models(j, {"DawidSkene": DawidSkene(ci_method="none"), "GLAD": GLAD(ci_method="none")}, cv=4,
                            holdout="labels", random_state=0)
    table = result.to_frame().set_index("model")
    assert np.isfinite(table["heldout_loglik"]).all() and (table["heldout_loglik"] < 0).all()
    assert "judgment folds" in result.reason and "by labels" in result.method
    from alignlab.annotators import OrdinalRaters

    ordinal = lenient_ordinal_crowd(n_items=100, n_raters=10)[0]
    with pytest.raises(ValueError, match="categorical models only"):
        compare_models(ordinal, [OrdinalRaters()], holdout="labels")


# -- the default workflow model: compare_models' recommendation (issue #12, "the workflows and the report use the
# recommended model and say which and why") ------------------------------------------------------------------------

def ambiguous_positions_crowd(seed: int, n_items: int = 900, ambiguous: float = 0.5,
                              prevalence: tuple[float, ...] = (0.03, 0.76, 0.15, 0.06)):
    """The failure mode of the medical-safety queries set: the "raters" are exchangeable rating positions (3 per
    item, a quarter of the items 3 more), and the noise is per item: half of the class-1 items look like class 3 to
    every rater (label 1 or 3, 65/35); every other item gets its true label w.p. 0.85, else a uniform label.
    Dawid–Skene explains the items' correlated labels with a latent class "split between 1 and 3", which scores
    well held out but is not class 3 (raters give its items label 1 most often)."""
    rng = np.random.default_rng(seed)
    K = len(prevalence)
    truth = rng.choice(K, n_items, p=prevalence)
    amb = (truth == 1) & (rng.random(n_items) < ambiguous)
    extra = np.flatnonzero(rng.random(n_items) < 0.25)
    item = np.concatenate([np.tile(np.arange(n_items), 3), np.tile(extra, 3)])
    rater = np.concatenate([np.repeat(np.arange(3), n_items), np.repeat(np.arange(3, 6), len(extra))])
    u = rng.random(len(item))
    label = np.where(amb[item], np.where(u < 0.65, 1, 3), np.where(u < 0.85, truth[item], rng.integers(0, K, len(item))))
    frame = pd.DataFrame({"item_id": item, "rater_id": [f"position_{r}" for r in rater], "value": label,
                          "vendor": np.where(rater < 3, "first", "second")})
    return alignlab.load_judgments(frame, scale="categorical", segments=[]), truth


def _paired_upper(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float:
    """Upper end of the 95% percentile item-bootstrap interval of mean(a - b) (reference: plain numpy)."""
    d = a.astype(float) - b.astype(float)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), (2000, len(d)))].mean(axis=1)
    return float(np.quantile(means, 0.975))


@pytest.fixture(scope="module")
def ambiguous_crowd():
    return ambiguous_positions_crowd(1)


def test_default_keeps_class_meaning_and_beats_majority_vote_on_a_medical_queries_like_crowd(ambiguous_crowd):
    """Seeded medical-queries failure: with each of the nine weaker priors some latent class of Dawid–Skene loses
    its meaning (the fit the old grid chose: 0.648 against majority vote's 0.896). The strongly diagonal
    candidates keep it; the default picks one and is above majority vote (0.942). (MACE reaches 0.973 here:
    the default is not within the paired interval of the best on this crowd, docs/annotators.md says so.)"""
    j, truth = ambiguous_crowd
    mv = mv_accuracy(j, truth)
    default = DawidSkene(ci_method="none").fit(j)
    table = default.prior_selection_
    weak = table["prior_correct"] < 8
    assert not table.loc[weak, "classes_keep_labels"].any()
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["prior_correct"] >= 8 and chosen["classes_keep_labels"]
    assert accuracy_vs_truth(default, j, truth) >= mv
    assert not any("lost their meaning" in w for w in default.warnings_)
    old = DawidSkene(prior="fixed", pooling_strength=32.0, prior_correct=0.01, prior_error=0.01, ci_method="none").fit(j)
    assert accuracy_vs_truth(old, j, truth) < mv - 0.1  # the old choice (best-scoring of the nine)


def test_compare_models_leaves_out_fits_that_lost_class_meaning(ambiguous_crowd):
    """Flat Dawid–Skene loses a class's meaning on the same crowd; compare_models does not recommend it, says so,
    and its recommendation is at or above majority vote."""
    j, truth = ambiguous_crowd
    t = truth[j.items.to_numpy().astype(int)]
    comparison = compare_models(j, random_state=0)
    table = comparison.to_frame().set_index("model")
    assert not table.loc["DawidSkene (flat)", "classes_keep_labels"]
    assert comparison.recommended != "DawidSkene (flat)"
    assert any("lost the labels' meaning" in w and w.endswith("were not considered: DawidSkene (flat).")
               for w in comparison.warnings), comparison.warnings
    chosen = comparison.fitted[comparison.recommended].predict().to_numpy().astype(int) == t
    assert chosen.mean() >= mv_accuracy(j, truth)


def test_classes_keep_labels_rule():
    from alignlab.annotators.compare import classes_keep_labels

    counts = np.array([[3, 0], [2, 1], [0, 3], [1, 2]], dtype=float)
    assert classes_keep_labels(counts, np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float))
    # class 1 holds the items labelled 0 most often: it lost its meaning
    assert not classes_keep_labels(counts, np.array([[0, 1], [0, 1], [1, 0], [1, 0]], dtype=float))


def test_workflows_fit_the_recommended_model_and_say_which_and_why(tmp_path):
    """On one-coin data (where compare_models recommends OneCoin, not Dawid–Skene) audit_vendors fits OneCoin,
    records it (model, model_choice, summary line) and its reliabilities equal OneCoin's own fit."""
    from alignlab._params import check_random_state
    from alignlab.workflows import audit_vendors

    frame = simulate_family("one-coin", 0).frame[["item_id", "rater_id", "value"]].copy()
    frame["vendor"] = np.where(frame["rater_id"].astype(int) % 2 == 0, "even", "odd")
    j = alignlab.load_judgments(frame, scale=alignlab.Scale.categorical([0, 1, 2]), segments=[])
    assert DawidSkene().get_params()["prior"] == "auto"
    audit = audit_vendors(j, random_state=0)
    assert audit.model == "one-coin Dawid-Skene (EM)"
    assert audit.model_choice.startswith("OneCoin: recommended by compare_models (3 item folds): largest held-out")
    assert "Annotator model: OneCoin: recommended by compare_models" in str(audit)  # the summary's line
    page = audit.to_html(tmp_path / "audit.html").read_text()
    assert "Annotator model: OneCoin: recommended by compare_models" in page  # the report's callout
    seed = int(check_random_state(0).integers(0, 2**31 - 1))  # audit_vendors' model seed
    reference = OneCoin(ci_method="conditional", n_resamples=200, random_state=seed).fit(j).raters_.set_index("rater_id")
    got = audit.to_frame().set_index("rater_id")
    for column in ("reliability", "reliability_low", "reliability_high"):
        np.testing.assert_allclose(got[column].to_numpy(), reference[column].reindex(got.index).to_numpy(), rtol=1e-9)
    plain = DawidSkene(ci_method="conditional", n_resamples=200, random_state=seed).fit(j).raters_.set_index("rater_id")
    assert not np.allclose(got["reliability"].to_numpy(), plain["reliability"].reindex(got.index).to_numpy())


def test_workflow_model_choice_above_the_comparison_limit(monkeypatch):
    """Above COMPARE_MAX_JUDGMENTS the workflows fit the default DawidSkene without a comparison, and say so."""
    from alignlab.workflows import _compose

    j = alignlab.datasets.load("bluebird")
    monkeypatch.setattr(_compose, "COMPARE_MAX_JUDGMENTS", 1000)
    model, name = _compose.fit_joint_model(j, confidence_level=0.95, random_state=0)
    assert isinstance(model, DawidSkene) and name == "hierarchical Dawid-Skene (EM)"
    assert "above the 1,000 up to which the workflows run compare_models" in model.model_choice_
    reference = DawidSkene(ci_method="conditional", random_state=0).fit(j)
    np.testing.assert_allclose(model.raters_["reliability"], reference.raters_["reliability"])
    monkeypatch.setattr(_compose, "COMPARE_MAX_JUDGMENTS", 20_000)
    small = j.subset(items=list(j.items[:30]))
    model, _ = _compose.fit_joint_model(small, confidence_level=0.95, random_state=0)
    assert isinstance(model, DawidSkene) and "30 items are too few" in model.model_choice_
