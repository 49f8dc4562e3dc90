"""Sections "Decision" (verdicts first), "Vendors and raters" and "Trust weights" from alignlab.workflows.

The sections render the workflow results of the report context (``ctx.result``: given, or computed once
by :mod:`alignlab.report.compute`); a result that could not be computed is shown with its reason.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from alignlab.plot.workflows import ForestDisplay
from alignlab.report import html as h
from alignlab.report.compute import NotComputed
from alignlab.report.core import ReportContext, SectionContent, register_section
from alignlab.results import format_estimate
from alignlab.workflows import JudgeValidation, VendorAudit

_MAX_JUDGES = 4
_VERDICT_WORDS = {"replace": "can replace the humans", "assist": "assist only, not a replacement",
                  "do_not_use": "do not use"}
_RANK = {"replace": 0, "assist": 1, "do_not_use": 2}


def judge_validations(ctx: ReportContext) -> tuple[list[JudgeValidation], list[str]]:
    """The judge validations of this report and, for those that could not be computed, why."""
    results = ctx.result("judge_validations") or []
    return ([r for r in results if not isinstance(r, NotComputed)],
            [str(r) for r in results if isinstance(r, NotComputed)])


def _rendered(ctx: ReportContext, name: str) -> tuple[Any, list[str]]:
    """(result or None, [why it is missing]) for the vendor audit and the trust weights."""
    result = ctx.result(name)
    if isinstance(result, NotComputed):
        return None, [str(result)]
    return result, []


def _number(row: pd.Series | None, level: float) -> str:
    if row is None:
        return "n/a"
    return format_estimate(row["estimate"], row["ci_low"], row["ci_high"], level)


def _first(v: JudgeValidation, name: str) -> pd.Series | None:
    rows = v.evidence(name)
    return rows.iloc[0] if len(rows) else None


def _verdict_words(v: JudgeValidation) -> str:
    if getattr(v, "harmful", False):
        return "do not use: harmful (worse than chance)"
    return _VERDICT_WORDS[v.verdict]


def _judge_bullet(v: JudgeValidation) -> str:
    level = v.confidence_level
    agree, ceiling, corr = _first(v, "judge_agreement"), _first(v, "human_ceiling"), _first(v, "item_correlation")
    text = f"{v.judge}: {_verdict_words(v)}"
    if agree is not None and ceiling is not None:
        text += (f"; agreement with humans {agree['estimate']:.2f} ({agree['ci_low']:.2f} to {agree['ci_high']:.2f}) "
                 f"vs human ceiling {ceiling['estimate']:.2f} ({ceiling['ci_low']:.2f} to {ceiling['ci_high']:.2f})")
    elif corr is not None:
        text += f"; item-level Kendall tau with humans {_number(corr, level)}"
    if v.alt_test is not None:
        text += f"; alt-test {'passed' if v.alt_test.passed else 'failed'} (beats {v.alt_test.winning_rate:.0%} of humans)"
    return text + "."


def _summary_table(validations: list[JudgeValidation]) -> pd.DataFrame:
    rows = []
    for v in validations:
        row: dict[str, Any] = {"judge": v.judge, "verdict": v.verdict}
        for name, label in (("judge_agreement", "agreement"), ("human_ceiling", "human ceiling"),
                            ("item_correlation", "item tau"), ("system_correlation", "system tau")):
            r = _first(v, name)
            row[label] = math.nan if r is None else r["estimate"]
        row["winning rate"] = math.nan if v.alt_test is None else v.alt_test.winning_rate
        # the joint model's reliability: kappa with the latent truth for labels (0 = chance, < 0 = worse)
        rel = v.reliability[v.reliability["rater_id"].astype(str) == v.judge] if len(v.reliability) else v.reliability
        for column, label in (("reliability", "reliability"), ("reliability_low", "reliability low"),
                              ("reliability_high", "reliability high")):
            row[label] = float(rel[column].iloc[0]) if len(rel) else math.nan
        row["harmful"] = bool(getattr(v, "harmful", False))
        rows.append(row)
    return pd.DataFrame(rows)


def _model_choice(result: Any) -> list[str]:
    """One line: which joint annotator model the workflow fitted and why (``model_choice``; escaped)."""
    choice = getattr(result, "model_choice", "")
    return [h.callout("Annotator model: " + choice, kind="info")] if choice else []


def judge_body(v: JudgeValidation) -> str:
    """The evidence of one validation: summary, rule, cards, tables and the reliability plot."""
    level = v.confidence_level
    parts = [f'<h3>Judge {h.esc(v.judge)}: {h.esc(_verdict_words(v))}</h3>', h.paragraph(v.paragraph()),
             *_model_choice(v)]
    cards = [("verdict", v.verdict.replace("_", " ") + (" (harmful)" if getattr(v, "harmful", False) else ""),
              "see the rule below")]
    rel = v.reliability[v.reliability["rater_id"].astype(str) == v.judge] if len(v.reliability) else v.reliability
    if len(rel):
        r = rel.iloc[0]
        cards.append(("reliability", f"{r['reliability']:.3f}", f"{level:.0%} CI {r['reliability_low']:.3f} to "
                      f"{r['reliability_high']:.3f}; 0 = chance"))
    for name, label in (("judge_agreement", "agreement with humans"), ("human_ceiling", "human ceiling"),
                        ("item_correlation", "item-level Kendall tau"), ("system_correlation", "system-level Kendall tau"),
                        ("gold_accuracy", "accuracy vs gold (abstentions wrong)"), ("gold_kappa", "kappa with gold"),
                        ("abstention_rate", "abstention rate"), ("order_inconsistency", "order inconsistency")):
        r = _first(v, name)
        if r is not None:
            cards.append((label, f"{r['estimate']:.3f}", f"{level:.0%} CI {r['ci_low']:.3f} to {r['ci_high']:.3f}"))
    if v.alt_test is not None:
        cards.append(("alt-test winning rate", f"{v.alt_test.winning_rate:.2f}",
                      f"{'passed' if v.alt_test.passed else 'failed'}; needs 0.5 at epsilon {v.epsilon:g}"))
    parts.append(h.metric_cards(cards))
    parts.append(h.callout("Rule: " + v.rule, kind="info"))
    parts.append(h.bullet_list(v.reasons))
    if v.second_judge is not None:
        conclusion = v.comparison_conclusion or "not computed"
        parts.append(h.callout(f"Against {v.second_judge}: {conclusion}.", kind="info"))
    evidence = v.to_frame().drop(columns=["ci_method"])
    parts.append(h.table(evidence, caption=f"Evidence ({level:.0%} intervals)"))
    if len(v.segments):
        parts.append(h.table(v.segments, caption="Where the judge diverges most from the humans (slice search, "
                                                 "FDR-controlled)", max_rows=10))
    if len(v.reliability):
        parts.append(h.figure(ForestDisplay.from_judge_validation(v).plot().to_svg(),
                              caption="Reliability from the joint annotator model (for labels: Cohen's kappa with "
                                      "the latent truth, ties on a pairwise scale counting half; 0 = chance, "
                                      "below 0 = worse than chance)"))
    if v.notes:
        parts.append(h.bullet_list(v.notes))
    return "\n".join(parts)


def _vendor_bullets(audit: VendorAudit) -> list[str]:
    """Extra findings of a vendor audit for the decision summary (when no judge is validated)."""
    out = []
    table = audit.to_frame()
    adversarial = table.loc[table["adversarial"], "rater_id"].astype(str).tolist() if "adversarial" in table else []
    if adversarial:
        out.append(f"{len(adversarial)} adversarial rater(s), worse than chance: {', '.join(adversarial[:5])}"
                   f"{' ...' if len(adversarial) > 5 else ''}.")
    spammers = table.loc[table["spammer"], "rater_id"].astype(str).tolist()
    if spammers:
        out.append(f"{len(spammers)} likely spammer(s): {', '.join(spammers[:5])}"
                   f"{' ...' if len(spammers) > 5 else ''}.")
    best = audit.vendors.iloc[-1]
    out.append(f"Most reliable vendor: {best['vendor']}, {best['reliability']:.2f} "
               f"({best['reliability_low']:.2f} to {best['reliability_high']:.2f}).")
    if "quality_per_cost" in audit.vendors.columns and audit.vendors["quality_per_cost"].notna().any():
        value = audit.vendors.sort_values("quality_per_cost").iloc[-1]
        out.append(f"Best reliability per unit of cost: {value['vendor']} ({value['quality_per_cost']:.2f}).")
    if audit.drift_tests is not None:
        fell = audit.drift_tests[(audit.drift_tests["drift_q_value"] < 0.05) & (audit.drift_tests["drift_change"] < 0)]
        if len(fell):
            out.append(f"Agreement fell over time at {', '.join(map(str, fell['vendor']))}.")
    return out


@register_section("decision", title="Decision", order=5)
def decision_section(ctx: ReportContext) -> SectionContent | None:
    validations, warnings = judge_validations(ctx)
    audit, audit_missing = _rendered(ctx, "vendor_audit")
    weights, weights_missing = _rendered(ctx, "trust_weights")
    warnings += audit_missing + weights_missing
    if not validations and audit is None and weights is None and not warnings:
        return None
    verdicts: list[str] = []
    bullets: list[str] = []
    parts: list[str] = []
    status = "info"
    if validations:
        best = min(validations, key=lambda v: _RANK[v.verdict])
        status = best.status
        verdicts.append("; ".join(f"{v.judge}: {_verdict_words(v)}" for v in validations))
        bullets += [_judge_bullet(v) for v in validations[:3]]
        if len(best.segments):
            bullets.append(f"{best.judge} diverges most where {best.segments.iloc[0]['predicate']}.")
        if len(validations) > 1:
            parts.append(h.table(_summary_table(validations), caption="Judges at a glance", sortable=True))
        parts += [judge_body(v) for v in validations]
    if audit is not None and len(audit.vendors):
        worst = audit.vendors.iloc[0]
        tie = ""
        if len(audit.vendors) >= 2 and worst["reliability_high"] >= audit.vendors.iloc[1]["reliability_low"]:
            tie = f" (not clearly separated from {audit.vendors.iloc[1]['vendor']})"
        verdicts.append(f"worst vendor: {worst['vendor']}{tie}")
        n_remove = int((audit.table["action"] == "remove").sum())
        n_retrain = int((audit.table["action"] == "retrain").sum())
        bullets.append(f"Worst vendor {worst['vendor']}: reliability {worst['reliability']:.2f} "
                       f"({worst['reliability_low']:.2f} to {worst['reliability_high']:.2f}); "
                       f"{n_remove} rater(s) to remove, {n_retrain} to retrain.")
        if not validations:
            status = audit.status
            bullets += _vendor_bullets(audit)
            parts.append(h.paragraph(audit.paragraph()))
    if weights is not None and len(weights.table):
        top = weights.table.iloc[0]
        bullets.append(f"Highest trust weight: {top['source']} {top['weight']:.2f} "
                       f"({top['weight_low']:.2f} to {top['weight_high']:.2f}).")
        if not validations and audit is None:
            parts.append(h.paragraph(weights.paragraph()))
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets[:5]), status=status,
                          verdict=" · ".join(verdicts), warnings=tuple(warnings))


@register_section("vendors", title="Vendors and raters", order=45)
def vendors_section(ctx: ReportContext) -> SectionContent | None:
    audit, missing = _rendered(ctx, "vendor_audit")
    if audit is None:
        return SectionContent(body=h.callout(missing[0], kind="warn"), status="warn") if missing else None
    parts = [h.paragraph(audit.paragraph()), *_model_choice(audit)]
    parts.append(h.table(audit.vendors, caption="Vendors (rank 1 = worst)"))
    parts.append(h.figure(ForestDisplay.from_vendor_audit(audit).plot().to_svg(),
                          caption="Posterior reliability of each rater with its interval (for labels: kappa with "
                                  "the latent truth); dashed: median rater, red: chance (0)"))
    if len(audit.actions):
        parts.append(h.table(audit.actions, caption="Raters to remove or retrain, worst first, with the evidence"))
    parts.append(h.table(audit.to_frame(), caption="Raters (rank 1 = worst)", max_rows=100))
    if audit.drift_tests is not None:
        parts.append(h.table(audit.drift_tests, caption="Drift by vendor: last vs first period"))
    if audit.drift is not None:
        parts.append(h.table(audit.drift, caption="Agreement with the model consensus by vendor and period"))
    if audit.notes:
        parts.append(h.bullet_list(audit.notes))
    return SectionContent(body="\n".join(parts), status=audit.status)


@register_section("trust_weights", title="Trust weights", order=65)
def trust_weights_section(ctx: ReportContext) -> SectionContent | None:
    weights, missing = _rendered(ctx, "trust_weights")
    if weights is None:
        return SectionContent(body=h.callout(missing[0], kind="warn"), status="warn") if missing else None
    parts = [h.paragraph(weights.paragraph()), *_model_choice(weights)]
    est = weights.estimate
    if est is not None and not math.isnan(est.estimate):
        parts.append(h.metric_cards([(f"corrected {weights.target}", f"{est.estimate:.3f}",
                                      f"{weights.confidence_level:.0%} CI {est.ci_low:.3f} to {est.ci_high:.3f}"),
                                     ("how", est.method, est.ci_method)]))
    parts.append(h.figure(ForestDisplay.from_trust_weights(weights).plot().to_svg(),
                          caption="Weight of each source (inverse error variance against the latent quality)"))
    parts.append(h.table(weights.to_frame().drop(columns=["ci_method"]), caption="Weights per source"))
    if weights.by_segment is not None:
        parts.append(h.table(weights.by_segment, caption="Weights refitted within each segment", max_rows=60))
    if weights.notes:
        parts.append(h.bullet_list(weights.notes))
    return SectionContent(body="\n".join(parts), status="info")
