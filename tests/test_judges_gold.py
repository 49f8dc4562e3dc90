"""Judges validated the way judge papers do (issue #13): gold as the reference, abstentions, both
presentation orders, paired comparisons of judge configurations.

References: statsmodels ``proportion_confint`` / ``mcnemar`` / ``multipletests``, sklearn
``cohen_kappa_score``, Newcombe (1998) example (a), hand counts, seeded simulations with known truth.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

import alignlab
from alignlab.alignment.judges import (
    clustered_mcnemar,
    compare_judge_configs,
    judge_accuracy,
    newcombe_paired_interval,
    unswap_pairwise,
)
from alignlab.data import JudgmentsValidationError
from alignlab.workflows.simulate_pairwise import (
    DEFAULT_JUDGES,
    expected_accuracy,
    simulate_pairwise_judge_study,
)


def _pairs_table(n_pairs: int = 4) -> pd.DataFrame:
    rows = []
    for p in range(n_pairs):
        for order, value, gold in (("original", "A", "A"), ("swapped", "B", "B")):
            rows.append({"item_id": f"p{p}-{order}", "pair_id": f"p{p}", "order": order, "rater_id": "judge",
                         "method": "llm_judge", "value": value, "gold": gold, "strategy": "cot"})
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------------------
# load_judgments: order, pair_id, strategy, abstain
# -------------------------------------------------------------------------------------------------
def test_order_pair_strategy_recognised_and_abstentions_kept_apart():
    table = _pairs_table()
    table.loc[1, "value"] = "None"  # would be read as a tie without abstain=
    table.loc[2, "value"] = "INVALID "
    j = alignlab.load_judgments(table, scale="pairwise", abstain=["invalid", "None"])
    assert len(j.frame) == 6 and len(j.abstentions) == 2
    assert list(j.abstentions["value"]) == ["None", "INVALID "]  # kept as written
    assert set(j.frame["order"]) == {"original", "swapped"} and "pair_id" in j.frame.columns
    assert j.rater_info.loc[0, "strategy"] == "cot"
    assert any("abstentions" in note for note in j.notes)
    assert len(j.subset(items=["p0-swapped", "p2-original"]).abstentions) == 1
    # without abstain=, "None" is a pairwise spelling of a tie
    plain = alignlab.load_judgments(table.drop(index=2), scale="pairwise")
    assert plain.frame.loc[plain.frame["item_id"] == "p0-swapped", "value"].iloc[0] == "tie"


def test_order_errors_name_row_value_and_fix():
    table = _pairs_table()
    table.loc[3, "order"] = "reversed"
    with pytest.raises(JudgmentsValidationError) as info:
        alignlab.load_judgments(table, scale="pairwise")
    assert "order must be 'original' or 'swapped'" in str(info.value) and "row 3" in str(info.value)
    twice = _pairs_table()
    twice.loc[2, "pair_id"] = "p0"  # p0 now has two originals for the judge
    with pytest.raises(JudgmentsValidationError, match="several items in the same order"):
        alignlab.load_judgments(twice, scale="pairwise")
    with pytest.raises(JudgmentsValidationError, match="needs a 'pair_id' column"):
        alignlab.load_judgments(_pairs_table().drop(columns="pair_id"), scale="pairwise", order="order")
    dropped = alignlab.load_judgments(table, scale="pairwise", on_invalid="drop")
    assert dropped.exclusions["row"].tolist() == [3]


def test_unswap_maps_a_and_b_back():
    labels = ("A", "B", "tie")
    assert unswap_pairwise(np.array([0, 1, 2, -1, -2]), labels).tolist() == [1, 0, 2, -1, -2]


# -------------------------------------------------------------------------------------------------
# accuracy against gold: hand counts and reference implementations
# -------------------------------------------------------------------------------------------------
def _small_gold_table(seed: int = 0, n: int = 60) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.choice(["A", "B", "tie"], n, p=[0.45, 0.45, 0.1])
    verdict = np.where(rng.random(n) < 0.7, gold, rng.choice(["A", "B", "tie"], n)).astype(object)
    verdict[rng.random(n) < 0.15] = "invalid"
    table = pd.DataFrame({"item_id": np.arange(n), "rater_id": "j", "method": "llm_judge", "value": verdict,
                          "gold": gold})
    return table, gold, verdict


def test_published_accuracy_reproduces_a_hand_count():
    table, gold, verdict = _small_gold_table()
    j = alignlab.load_judgments(table, scale="pairwise", abstain=["invalid"])
    res = judge_accuracy(j, raters="j", n_resamples=200, random_state=0)
    n, abst = len(gold), int((verdict == "invalid").sum())
    correct = int((verdict == gold).sum())
    acc = res.value("j", "accuracy")
    assert acc["estimate"] == pytest.approx(correct / n) and acc["n"] == n
    low, high = proportion_confint(correct, n, method="wilson")
    assert (acc["ci_low"], acc["ci_high"]) == pytest.approx((low, high))
    answered = res.value("j", "accuracy_answered")
    assert answered["estimate"] == pytest.approx(correct / (n - abst))
    rate = res.value("j", "abstention_rate")
    assert rate["estimate"] == pytest.approx(abst / n)
    assert (rate["ci_low"], rate["ci_high"]) == pytest.approx(proportion_confint(abst, n, method="wilson"))
    keep = verdict != "invalid"
    kappa = res.value("j", "kappa")
    assert kappa["estimate"] == pytest.approx(cohen_kappa_score(gold[keep], verdict[keep].astype(str)))
    assert kappa["ci_low"] < kappa["estimate"] < kappa["ci_high"]
    cp = judge_accuracy(j, raters="j", ci_method="clopper-pearson", n_resamples=200, random_state=0)
    assert cp.value("j", "accuracy")["ci_low"] == pytest.approx(proportion_confint(correct, n, method="beta")[0])


def test_clustered_accuracy_uses_the_effective_sample_size():
    # both presentations of every pair judged alike: the design effect is 2C / (C - 1)
    rng = np.random.default_rng(3)
    n_pairs = 50
    right = rng.random(n_pairs) < 0.7
    rows = []
    for p in range(n_pairs):
        for order, gold in (("original", "A"), ("swapped", "B")):
            value = gold if right[p] else ("B" if gold == "A" else "A")
            rows.append({"item_id": f"{p}{order[0]}", "pair_id": f"p{p}", "order": order, "rater_id": "j",
                         "value": value, "gold": gold})
    j = alignlab.load_judgments(pd.DataFrame(rows), scale="pairwise")
    acc = judge_accuracy(j, raters="j", n_resamples=200, random_state=0).value("j", "accuracy")
    p = right.mean()
    n_eff = 2 * n_pairs / (2 * n_pairs / (n_pairs - 1))
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert acc["estimate"] == pytest.approx(p)
    assert (acc["ci_low"], acc["ci_high"]) == pytest.approx((low, high))
    assert "clustered by pair_id" in acc["ci_method"]


def test_human_majority_reference_when_no_gold():
    rng = np.random.default_rng(1)
    truth = rng.choice(["A", "B"], 40)
    rows = []
    for h in range(3):
        noisy = np.where(rng.random(40) < 0.85, truth, np.where(truth == "A", "B", "A"))
        rows += [{"item_id": i, "rater_id": f"h{h}", "method": "human", "value": v} for i, v in enumerate(noisy)]
    rows += [{"item_id": i, "rater_id": "j", "method": "llm_judge", "value": v} for i, v in enumerate(truth)]
    table = pd.DataFrame(rows)
    j = alignlab.load_judgments(table, scale="pairwise")
    res = judge_accuracy(j, raters="j")
    majority = table[table["method"] == "human"].groupby("item_id")["value"].agg(lambda s: s.mode().iloc[0])
    expected = (majority.sort_index().to_numpy() == truth).mean()
    assert res.reference.startswith("human majority")
    assert res.value("j", "accuracy")["estimate"] == pytest.approx(expected)


# -------------------------------------------------------------------------------------------------
# the seeded study: inverted, position-biased, abstaining judges, gold on a subset
# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study() -> alignlab.Judgments:
    return simulate_pairwise_judge_study(300, gold_fraction=0.7, random_state=7)


@pytest.fixture(scope="module")
def accuracy(study):
    return judge_accuracy(study, raters="llm_judge", n_resamples=300, random_state=0)


def test_simulation_truth_is_recovered(study, accuracy):
    gold_items = int(study.item_info["gold"].notna().sum()) + int(
        study.abstentions.drop_duplicates("item_id").pipe(
            lambda a: a[~a["item_id"].isin(study.items) & a["gold"].notna()]).shape[0])
    assert gold_items < 2 * 300  # gold on a subset only
    for rater, spec in DEFAULT_JUDGES.items():
        acc = accuracy.value(rater, "accuracy")
        assert acc["n"] == gold_items
        assert acc["ci_low"] <= expected_accuracy(spec) + 0.03 and expected_accuracy(spec) - 0.03 <= acc["ci_high"]
        rate = accuracy.value(rater, "abstention_rate")
        assert rate["ci_low"] <= spec["abstain"] <= rate["ci_high"] or spec["abstain"] == rate["estimate"] == 0
    assert set(accuracy.harmful) == {"inverted/cot", "inverted/plain"}
    assert accuracy.value("inverted/cot", "kappa")["ci_high"] < 0
    # position-biased configurations: order inconsistency clearly above 0.2, first-position rate above 0.5
    for rater in ("biased/cot", "biased/plain"):
        assert accuracy.value(rater, "order_inconsistency")["ci_low"] > 0.2
        assert accuracy.value(rater, "first_position_rate")["ci_low"] > 0.5
    assert accuracy.value("strong/cot", "order_inconsistency")["ci_high"] < 0.2
    wide = accuracy.wide()
    assert bool(wide.set_index("rater_id").loc["inverted/plain", "harmful"])
    assert "HARMFUL" in accuracy.summary().as_text()


# -------------------------------------------------------------------------------------------------
# paired comparisons of configurations
# -------------------------------------------------------------------------------------------------
def test_newcombe_paired_interval_matches_the_published_example():
    # Newcombe (1998) Stat. Med. 17:2635, example (a): a=36, b=12, c=2, d=0 -> 0.0569 to 0.3404 (method 10)
    diff, low, high = newcombe_paired_interval(12, 2, 36, 0)
    assert diff == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0569, 0.3404)


def test_compare_configs_by_strategy_matches_statsmodels(study):
    unclustered = alignlab.load_judgments(study.to_frame().drop(columns=["pair_id", "order", "source_row"]),
                                          scale="pairwise", segments=[])
    res = compare_judge_configs(unclustered, raters="llm_judge", n_resamples=200, random_state=0)
    kinds = set(res.pairs["comparison"])
    assert "strategy within strong" in kinds and "model within cot" in kinds
    # every two strategies within a model (4 models) + every two models within a strategy (2 x 6)
    assert len(res.pairs) == 4 + 12
    rec = res.pairs[(res.pairs["rater_1"] == "strong/cot") & (res.pairs["rater_2"] == "strong/plain")].iloc[0]
    f = unclustered.frame
    gold = f.drop_duplicates("item_id").set_index("item_id")["gold"]
    v1 = f[f["rater_id"] == "strong/cot"].set_index("item_id")["value"].reindex(gold.index)
    v2 = f[f["rater_id"] == "strong/plain"].set_index("item_id")["value"].reindex(gold.index)
    keep = (gold.notna() & v1.notna() & v2.notna()).to_numpy()
    x1 = (v1.to_numpy() == gold.to_numpy())[keep]
    x2 = (v2.to_numpy() == gold.to_numpy())[keep]
    table = [[int((x1 & x2).sum()), int((x1 & ~x2).sum())], [int((~x1 & x2).sum()), int((~x1 & ~x2).sum())]]
    assert rec["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    assert rec["q_value"] == pytest.approx(
        multipletests(res.pairs["p_value"].to_numpy(), method="fdr_bh")[1][rec.name])
    assert res.table["accuracy"].is_monotonic_decreasing
    assert set(res.table.tail(2)["rater_id"]) == {"inverted/cot", "inverted/plain"}
    assert "beats" in res.summary().as_text()


def test_compare_judges_by_strategy_delegates(study):
    from alignlab.alignment import compare_judges

    res = compare_judges(study, raters=["llm_judge"], by="strategy", n_resamples=200, random_state=0)
    assert res.pairs["test"].str.contains("clustered McNemar").all()
    assert res.accuracy is not None and set(res.accuracy.harmful) == {"inverted/cot", "inverted/plain"}


def _null_rejections(n_reps: int, n_units: int, clustered: bool, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(n_reps):
        if clustered:  # two presentations per pair share the content judgment of each configuration
            base1 = np.repeat(rng.random(n_units // 2) < 0.7, 2)
            base2 = np.repeat(rng.random(n_units // 2) < 0.7, 2)
            flip = rng.random(n_units) < 0.1
            x1, x2 = base1 ^ flip, base2 ^ (rng.random(n_units) < 0.1)
            p = clustered_mcnemar(x1, x2, np.repeat(np.arange(n_units // 2), 2))
        else:
            x1, x2 = rng.random(n_units) < 0.7, rng.random(n_units) < 0.7
            table = [[int((x1 & x2).sum()), int((x1 & ~x2).sum())], [int((~x1 & x2).sum()), int((~x1 & ~x2).sum())]]
            p = mcnemar(table, exact=True).pvalue
        rejected += p <= 0.05
    return rejected / n_reps


def test_paired_tests_hold_type_one_error_under_the_null():
    n_reps = 500
    bound = 0.05 + 2.58 * math.sqrt(0.05 * 0.95 / n_reps)  # one-sided 99.5% binomial bound
    assert _null_rejections(n_reps, 200, clustered=False, seed=11) <= bound
    assert _null_rejections(n_reps, 400, clustered=True, seed=12) <= bound


@pytest.mark.slow
def test_clustered_paired_test_is_not_conservative_and_interval_covers():
    n_reps = 2000
    rate = _null_rejections(n_reps, 400, clustered=True, seed=13)
    half = 2.58 * math.sqrt(0.05 * 0.95 / n_reps)
    assert 0.05 - half <= rate <= 0.05 + half
    # coverage of the paired difference interval (clustered) on the simulated study
    hits = 0
    n_sims = 100
    for seed in range(n_sims):
        j = simulate_pairwise_judge_study(150, judges={"m/a": DEFAULT_JUDGES["strong/cot"],
                                                       "m/b": DEFAULT_JUDGES["strong/plain"]}, random_state=seed)
        rec = compare_judge_configs(j, raters="llm_judge", n_resamples=100, random_state=seed).pairs.iloc[0]
        truth = expected_accuracy(DEFAULT_JUDGES["strong/cot"]) - expected_accuracy(DEFAULT_JUDGES["strong/plain"])
        hits += rec["ci_low"] <= truth <= rec["ci_high"]
    assert hits / n_sims >= 0.89


def test_judge_biases_swap_on_pair_id_equals_judge_accuracy():
    from alignlab.alignment import judge_biases

    j = simulate_pairwise_judge_study(150, judges={"biased/cot": DEFAULT_JUDGES["biased/cot"]}, n_humans=2,
                                      random_state=4)
    biases = judge_biases(j, raters="biased/cot", swap="pair_id").to_frame().set_index("bias")
    acc = judge_accuracy(j, raters="biased/cot", reference="gold", n_resamples=100, random_state=0)
    row = acc.value("biased/cot", "position_consistency")
    assert biases.loc["position_consistency", "estimate"] == pytest.approx(row["estimate"])
    assert biases.loc["position_consistency", "n"] == row["n"]


def test_columns_named_like_judge_columns_but_holding_other_things_stay_ordinary():
    table = pd.DataFrame({"item_id": [1, 1, 2, 2], "rater_id": ["a", "b", "a", "b"], "value": [1, 2, 3, 2],
                          "order": [1, 2, 1, 2], "strategy": ["x", "y", "y", "x"]})
    j = alignlab.load_judgments(table, scale="ordinal")
    assert "order" in j.frame.columns and "strategy" in j.frame.columns  # kept as ordinary columns
    assert "strategy" not in j.rater_info.columns
    assert any("presentation order" in n for n in j.notes)
    with pytest.raises(JudgmentsValidationError, match="order must be"):
        alignlab.load_judgments(table.assign(pair_id=[1, 1, 2, 2]), scale="ordinal", order="order")


def test_abstain_accepts_one_value_as_text():
    table = _pairs_table()
    table.loc[1, "value"] = "invalid"
    j = alignlab.load_judgments(table, scale="pairwise", abstain="invalid")
    assert len(j.abstentions) == 1 and len(j.frame) == 7


def test_summary_counts_the_abstentions():
    table = _pairs_table()
    table.loc[[1, 3], "value"] = "invalid"
    text = str(alignlab.load_judgments(table, scale="pairwise", abstain=["invalid"]).summary())
    assert "2 abstentions kept apart" in text and "judge: 2" in text
