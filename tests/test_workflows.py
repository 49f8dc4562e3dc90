"""Workflows on seeded simulations with known answers and on bundled real data.

Simulation truths (set by the generator's arguments, see alignlab/workflows/simulate.py): a judge with
the humans' noise is as good as a human; a lenient judge adds +1 latent SD to every report; a useless
judge ignores the items; the "seg" judge is as good as a human except on topic == 'hard'; the cheapo
vendor's raters are pure noise; trust-weight sources have reliabilities 1 / (1 + sd^2).
Expected numbers are marked *known truth* (simulation), *reference* or *regression*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab._params import InvalidParameterError
from alignlab.results import EstimateResult, Summary
from alignlab.workflows import (
    VERDICTS,
    JudgeValidation,
    TrustWeights,
    VendorAudit,
    audit_vendors,
    metric_summary,
    trust_weights,
    validate_judge,
)
from alignlab.workflows.simulate import (
    RaterSpec,
    simulate_judge_study,
    simulate_signal_study,
    simulate_vendor_study,
    true_reliability,
)

JUDGES = {"as_good": 0.6, "lenient": {"bias": 1.0}, "useless": {"useless": True}, "seg": {"segment_noise_sd": 3.0}}


@pytest.fixture(scope="module")
def judge_study():
    return simulate_judge_study(n_items=300, scale="ordinal", judges=JUDGES, random_state=1)


@pytest.fixture(scope="module")
def validations(judge_study):
    out = {name: validate_judge(judge_study, raters=name, n_resamples=200, random_state=0)
           for name in ("lenient", "useless", "seg")}
    out["as_good"] = validate_judge(judge_study, raters="as_good", second_judge="useless", n_resamples=200,
                                    random_state=0)
    return out


@pytest.fixture(scope="module")
def pandalm():
    return alignlab.datasets.load("pandalm")


# -- simulations ----------------------------------------------------------------------------------
def test_simulations_are_seeded_and_shaped():
    a = simulate_judge_study(n_items=40, random_state=3).frame
    b = simulate_judge_study(n_items=40, random_state=3).frame
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_judge_study(n_items=40, random_state=4).frame)
    vendors = simulate_vendor_study(n_items=40, random_state=0)
    assert {"vendor", "timestamp", "gold", "cost"} <= set(vendors.frame.columns)
    signals = simulate_signal_study(n_items=40, random_state=0)
    assert set(signals.methods) == {"human", "llm_judge", "online"}
    assert true_reliability(RaterSpec(noise_sd=0.5)) == pytest.approx(0.8)  # 1 / (1 + 0.25)
    assert true_reliability(RaterSpec(useless=True)) == 0.0


def test_simulation_errors():
    with pytest.raises(ValueError, match="collides with a human rater id"):
        simulate_judge_study(n_items=40, judges={"human1": 0.5})
    with pytest.raises(InvalidParameterError, match="'scale' parameter of simulate_judge_study"):
        simulate_judge_study(scale="pairwise")


# -- validate_judge ------------------------------------------------------------------------------------
def test_known_verdicts(validations):
    # known truth: as good as a human -> replace; lenient (biased) -> not replace; useless -> do not use
    assert validations["as_good"].verdict == "replace"
    assert validations["lenient"].verdict == "assist"
    assert validations["useless"].verdict == "do_not_use"
    assert validations["seg"].verdict != "replace"
    for v in validations.values():
        assert isinstance(v, JudgeValidation)
        assert v.verdict in VERDICTS
        assert "replace:" in v.rule and "do_not_use:" in v.rule
        assert v.reasons


def test_evidence_has_intervals(validations):
    v = validations["as_good"]
    table = v.to_frame()
    assert list(table.columns) == ["evidence", "subject", "estimate", "ci_low", "ci_high", "ci_method", "n", "detail"]
    for name in ("judge_agreement", "human_ceiling", "item_correlation", "system_correlation", "reliability",
                 "mean_difference"):
        rows = v.evidence(name)
        assert len(rows), name
        assert (rows["ci_low"] <= rows["estimate"]).all() and (rows["estimate"] <= rows["ci_high"]).all(), name
    # known truth: the as-good judge's agreement interval overlaps the human ceiling's
    judge, ceiling = v.evidence("judge_agreement").iloc[0], v.evidence("human_ceiling").iloc[0]
    assert judge["ci_high"] >= ceiling["ci_low"]
    assert v.alt_test.passed and v.alt_test.winning_rate >= 0.5
    # known truth: the lenient judge rates higher than the humans (positive leniency)
    lenient = validations["lenient"].leniency
    overall = lenient[lenient["bias"] == "leniency"].iloc[0]
    assert overall["ci_low"] > 0
    diff = validations["lenient"].evidence("mean_difference").iloc[0]
    assert diff["ci_low"] > 0  # known truth: +1 latent SD before cutting into five levels
    assert any("more lenient" in r and "beyond" in r for r in validations["lenient"].reasons)
    same = validations["as_good"].evidence("mean_difference").iloc[0]
    assert abs(same["estimate"]) < 0.2
    # known truth: the useless judge has no item-level signal
    corr = validations["useless"].evidence("item_correlation").iloc[0]
    assert corr["ci_low"] <= 0 <= corr["ci_high"]


def test_failing_segment_found(validations):
    # known truth: the "seg" judge only fails on topic == 'hard'
    segments = validations["seg"].segments
    assert len(segments) >= 1
    assert "hard" in segments.iloc[0]["predicate"]
    assert segments.iloc[0]["effect"] > 0


def test_second_judge_comparison(validations):
    v = validations["as_good"]
    assert v.second_judge == "useless"
    assert v.comparison_conclusion == "better"  # known truth: a human-like judge beats a useless one
    assert len(v.evidence("judge_comparison"))
    rel = v.reliability.set_index("rater_id")["reliability"]
    assert rel["as_good"] > rel["useless"]


def test_summary_paragraph(validations):
    text = metric_summary(validations["useless"])
    assert "should not be used" in text and "95% CI" in text
    summary = validations["as_good"].summary()
    assert isinstance(summary, Summary) and summary.lines[0] == metric_summary(validations["as_good"])
    assert "Evidence" in summary.as_text() and "Evidence" in summary.as_html()
    assert "can replace the humans" in str(validations["as_good"])


def test_validate_judge_pandalm(pandalm):
    v = validate_judge(pandalm, raters="gpt-3.5-turbo", n_resamples=200, random_state=0)
    # regression: the judge tracks the humans (item-level tau ~0.54) but sits well below the human ceiling
    assert v.verdict == "assist"
    judge, ceiling = v.evidence("judge_agreement").iloc[0], v.evidence("human_ceiling").iloc[0]
    assert judge["ci_high"] < ceiling["ci_low"]
    assert judge["estimate"] == pytest.approx(0.768, abs=0.01)
    assert ceiling["estimate"] == pytest.approx(0.936, abs=0.01)
    assert not v.alt_test.passed
    assert set(v.humans) == {"annotator1", "annotator2", "annotator3"}
    assert "prefers_longer" in set(v.evidence("bias")["subject"])  # len_a/len_b enable the length probes


def test_validate_judge_one_human_cannot_replace():
    hanna = alignlab.datasets.load("hanna")
    small = hanna.subset(items=[f"{i}:Coherence" for i in range(400)])
    v = validate_judge(small, raters="Mistral-7B", n_resamples=200, random_state=0)
    assert v.verdict in ("assist", "do_not_use")
    assert v.alt_test is None
    assert any("at least 3 humans" in n for n in v.notes)


def test_binary_lenient_judge_is_not_a_replacement():
    # known truth: on binary labels a lenient judge can pass the item-wise alternative annotator test
    # (ties count for both sides); its shifted pass rate must still keep it from replacing the humans
    j = simulate_judge_study(n_items=300, scale="binary", random_state=0)
    lenient = validate_judge(j, raters="lenient", find_segments=False, n_resamples=200, random_state=0)
    assert lenient.alt_test.passed
    assert lenient.verdict == "assist"
    good = validate_judge(j, raters="as_good", find_segments=False, n_resamples=200, random_state=0)
    assert good.verdict == "replace"


def test_validate_judge_errors(judge_study, pandalm):
    with pytest.raises(ValueError, match="names 4 raters"):
        validate_judge(judge_study, raters="llm_judge")
    with pytest.raises(ValueError, match="neither a method"):
        validate_judge(judge_study, raters="nobody")
    with pytest.raises(ValueError, match="names no rater other than the judge"):
        validate_judge(judge_study, raters="as_good", reference=["as_good"])
    with pytest.raises(ValueError, match="must differ from the 'judge'"):
        validate_judge(judge_study, raters="as_good", second_judge="as_good")
    apart = judge_study.frame.drop(columns=["source_row"]).copy()
    is_judge = apart["rater_id"] == "as_good"
    apart.loc[is_judge, "item_id"] = "other-" + apart.loc[is_judge, "item_id"]
    with pytest.raises(ValueError, match="share 0 items"):
        validate_judge(alignlab.load_judgments(apart, scale=judge_study.scale), raters="as_good")
    with pytest.raises(InvalidParameterError, match="'epsilon' parameter of validate_judge"):
        validate_judge(judge_study, raters="as_good", epsilon=2.0)


# -- audit_vendors ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vendor_audit():
    return audit_vendors(simulate_vendor_study(n_items=300, random_state=0), random_state=0)


def test_spammer_vendor_ranked_worst(vendor_audit):
    a = vendor_audit
    assert isinstance(a, VendorAudit)
    assert a.worst_vendor == "cheapo"  # known truth: the planted spammer vendor
    table = a.to_frame()
    assert {"rater_id", "vendor", "reliability", "reliability_low", "reliability_high"} <= set(table.columns)
    assert len(table) == 12
    worst4 = table.sort_values("rank").head(4)
    assert set(worst4["vendor"]) == {"cheapo"}
    assert worst4["spammer"].all() and (worst4["action"] == "remove").all()
    assert not table.loc[table["vendor"] != "cheapo", "spammer"].any()
    assert list(a.vendors["vendor"]) == ["cheapo", "bestlabel", "acme"]  # known truth: noise 1.0+, 0.7, 0.4
    assert (a.vendors["reliability_low"] <= a.vendors["reliability"]).all()
    # gold accuracy: spammers near chance (0.5), good raters far above (known truth)
    gold = a.vendors.set_index("vendor")["gold_accuracy"]
    assert gold["cheapo"] < 0.65 < 0.85 < gold["acme"]
    # cost-adjusted quality: bestlabel (r ~0.67 at 0.6 per judgment) beats acme (r ~0.86 at 1.0)
    assert a.vendors.sort_values("quality_per_cost").iloc[-1]["vendor"] == "bestlabel"
    actions = a.actions
    assert list(actions["action"].head(4)) == ["remove"] * 4
    assert actions["evidence"].str.contains("spammer probability").all()
    assert "cheapo" in metric_summary(a)


def test_drift_detected_for_planted_rater():
    j = simulate_vendor_study(n_items=400, scale="continuous", random_state=0)
    a = audit_vendors(j, periods=2, random_state=0)
    row = a.to_frame().set_index("rater_id").loc["acme_r1"]
    # known truth: acme_r1's noise rises from 0.4 to 2.0 in the second half of the window
    assert row["drift_change"] < 0 and row["drift_q_value"] < 0.05 and row["action"] == "retrain"
    others = a.to_frame().set_index("rater_id").drop(index=["acme_r1"])
    assert (others.loc[others["vendor"] != "cheapo", "action"] == "keep").all()
    assert a.drift is not None and set(a.drift["period"]) == {0, 1}
    assert a.drift_tests is not None and set(a.drift_tests["vendor"]) == {"acme", "bestlabel", "cheapo"}
    assert a.worst_vendor == "cheapo"


def test_audit_vendors_pandalm(pandalm):
    a = audit_vendors(pandalm, random_state=0)
    # regression: the LLM-judge "vendors" sit far below the human annotators
    assert a.vendors.iloc[-1]["vendor"] == "pandalm-annotators"
    assert a.worst_vendor in {"pandalm", "openai"}
    assert a.vendors.set_index("vendor").loc["pandalm-annotators", "reliability_low"] > 0.85


def test_audit_vendors_errors(pandalm):
    with pytest.raises(ValueError, match="'vendor' argument names column 'supplier'"):
        audit_vendors(pandalm, vendor="supplier")
    with pytest.raises(ValueError, match="several values of 'comparison'"):
        audit_vendors(pandalm, vendor="comparison")
    with pytest.raises(InvalidParameterError, match="'periods' parameter of audit_vendors"):
        audit_vendors(pandalm, periods=1)


# -- trust_weights -------------------------------------------------------------------------------------
def test_weights_follow_true_reliability():
    tw = trust_weights(simulate_signal_study(n_items=600, random_state=0), random_state=0)
    assert isinstance(tw, TrustWeights)
    table = tw.to_frame().set_index("source")
    assert table["weight"].sum() == pytest.approx(1.0)
    # known truth: reliabilities 0.8 (judge_strong), 0.5 (thumbs_up), 0.31 (judge_weak)
    assert table.loc["judge_strong", "weight"] > table.loc["thumbs_up", "weight"] > table.loc["judge_weak", "weight"]
    for source, truth in (("judge_strong", 0.8), ("thumbs_up", 0.5), ("judge_weak", 1 / (1 + 1.5**2))):
        assert abs(table.loc[source, "reliability"] - truth) < 0.06, source
    assert (table["weight_low"] <= table["weight"]).all() and (table["weight"] <= table["weight_high"]).all()
    assert table.loc["human", "kind"] == "panel" and table.loc["human", "n_raters"] == 3
    # known truth: the latent quality has mean 0; the PPI++ interval covers it and beats the humans alone
    est = tw.estimate
    assert est.ci_low < 0 < est.ci_high
    assert "PPI++" in est.method


def test_online_aggregate_signal_is_a_source():
    # per-item successes/trials (Judgments.aggregates) enter through the continuous model's signals_
    j = simulate_signal_study(n_items=600, aggregate_signals={"ctr": 0.5}, random_state=0)
    tw = trust_weights(j, random_state=0)
    table = tw.to_frame().set_index("source")
    assert table.loc["ctr", "kind"] == "signal"
    assert table.loc["ctr", "reliability_low"] < table.loc["ctr", "reliability"] < table.loc["ctr", "reliability_high"]
    # known truth: logit noise sd 0.5 (+ binomial noise of 50 trials) tracks the quality better than
    # judge_weak (r = 0.31) and worse than judge_strong (r = 0.8)
    assert table.loc["judge_strong", "weight"] > table.loc["ctr", "weight"] > table.loc["judge_weak", "weight"]
    assert table["weight"].sum() == pytest.approx(1.0)
    assert tw.estimate.ci_low < 0 < tw.estimate.ci_high  # known truth: the latent mean is 0


def test_trust_weights_hanna_by_segment():
    hanna = alignlab.datasets.load("hanna")
    tw = trust_weights(hanna, random_state=0)
    # regression: Mistral-7B and Beluga-13B track the latent quality best; Llama-13B least of the judges
    top2 = set(tw.to_frame()["source"].head(2))
    assert top2 == {"Mistral-7B", "Beluga-13B"}
    assert tw.by_segment is not None
    assert set(tw.by_segment["level"]) == {"Coherence", "Complexity", "Empathy", "Engagement", "Relevance", "Surprise"}
    assert tw.by_segment.groupby("level")["weight"].sum().to_numpy() == pytest.approx(np.ones(6))


def test_trust_weights_errors(pandalm):
    with pytest.raises(ValueError, match="target='win_rate' needs pairwise"):
        trust_weights(simulate_signal_study(n_items=40, random_state=0), target="win_rate")
    with pytest.raises(ValueError, match="not segment columns"):
        trust_weights(pandalm, segments=["nope"])
    with pytest.raises(ValueError, match="at least two sources"):
        trust_weights(_one_source_table())


def _one_source_table():
    frame = pd.DataFrame({"item_id": np.repeat(np.arange(30), 1), "rater_id": "h1", "method": "human",
                          "value": np.arange(30) % 2})
    return alignlab.load_judgments(frame, scale="binary")


# -- metric_summary ----------------------------------------------------------------------------------
def test_metric_summary_estimate_and_errors():
    result = EstimateResult(estimate=0.5, ci_low=0.4, ci_high=0.6, method="kappa", ci_method="analytic", n_items=10)
    assert metric_summary(result) == "kappa on 10 items: 0.500 (95% CI 0.400 to 0.600), interval by analytic."
    with pytest.raises(TypeError, match="metric_summary expects"):
        metric_summary(3.0)


def test_trust_weights_estimate_stays_on_the_human_scale() -> None:
    """Regression: the humans' labels are the PPI reference on their own scale, never mapped through their fitted
    bias/scale (a human panel with scale near 0 blew the interval up 60-fold: 2.40, CI -3.07 to 7.87).

    On the metrics example's story release the weights give the judges lambda = 0, so the estimate must equal
    the classical mean of the human labels with its normal interval (reference: numpy / scipy).
    """
    from scipy import stats

    from alignlab.metrics.examples import load_release

    story = load_release("2025.3")["story"]
    tw = trust_weights(story, random_state=0)
    human = story.frame.loc[story.frame["method"] == "human"].groupby("item_id")["value"].mean().to_numpy()
    assert "lambda=0.00" in tw.estimate.method
    assert tw.estimate.estimate == pytest.approx(human.mean(), abs=1e-9)
    half = stats.norm.ppf(0.975) * human.std() / np.sqrt(len(human))
    assert tw.estimate.ci_high - tw.estimate.estimate == pytest.approx(half, rel=0.01)
