"""metric_summary: the decision-ready paragraph at the top of every workflow report."""

from __future__ import annotations

import math
from typing import Any

from alignlab.results import EstimateResult, format_estimate

__all__ = ["metric_summary"]

_ACTION = {
    "replace": ("Use the judge in place of the human raters for this task, and keep auditing it on a small "
                "random human-labelled sample so a drift would be caught."),
    "assist": ("Do not replace the humans: use the judge alongside them, with a trust weight "
               "(alignlab.workflows.trust_weights) and prediction-powered (PPI) estimates that a human-labelled "
               "sample corrects."),
    "do_not_use": ("Do not use this judge for this task: its judgments carry no reliable information about what "
                   "the humans think. Improve the prompt or the model and validate again."),
}


def _ci(estimate: float, low: float, high: float, level: float) -> str:
    return format_estimate(estimate, low, high, level)


def _judge_paragraph(result: Any) -> str:
    level = result.confidence_level
    parts = [f"We checked whether the LLM judge {result.judge!r} can stand in for {len(result.humans)} human "
             f"rater{'s' if len(result.humans) != 1 else ''} on {result.n_items:,} items."]
    agree = result.evidence("judge_agreement")
    ceiling = result.evidence("human_ceiling")
    corr = result.evidence("item_correlation")
    if len(agree) and len(ceiling):
        a, c = agree.iloc[0], ceiling.iloc[0]
        parts.append(f"Its agreement with the humans is {_ci(a.estimate, a.ci_low, a.ci_high, level)}, against a "
                     f"human-to-human ceiling of {_ci(c.estimate, c.ci_low, c.ci_high, level)}.")
    elif len(corr):
        r = corr.iloc[0]
        parts.append(f"Its item-level Kendall tau with the human consensus is {_ci(r.estimate, r.ci_low, r.ci_high, level)}.")
    if result.alt_test is not None:
        alt = result.alt_test
        parts.append(f"The alternative annotator test {'passed' if alt.passed else 'did not pass'}: the judge is at "
                     f"least as good as {alt.winning_rate:.0%} of the humans (50% needed).")
    if len(result.segments):
        worst = result.segments.iloc[0]
        parts.append(f"It diverges most from the humans where {worst['predicate']}.")
    verdict_text = {"replace": "can replace the humans", "assist": "can assist the humans but not replace them",
                    "do_not_use": "should not be used"}[result.verdict]
    if getattr(result, "harmful", False):
        parts.append("Verdict: the judge is harmful - it agrees with the truth less often than chance "
                     "(it systematically prefers the wrong answer). Do not use it; its labels would pull any "
                     "combined estimate the wrong way.")
    else:
        parts.append(f"Verdict: the judge {verdict_text}. {_ACTION[result.verdict]}")
    if result.second_judge is not None and result.comparison_conclusion:
        parts.append(f"Compared with {result.second_judge!r}, the judge tracks the humans "
                     f"{'significantly better' if result.comparison_conclusion == 'better' else 'significantly worse' if result.comparison_conclusion == 'worse' else 'neither significantly better nor worse'}.")
    return " ".join(parts)


def _vendor_paragraph(result: Any) -> str:
    level = result.confidence_level
    vendors = result.vendors
    table = result.table
    parts = [f"We audited {len(table):,} raters from {len(vendors):,} vendors on {result.n_items:,} items with "
             f"the {result.model}."]
    if len(vendors):
        worst = vendors.sort_values("rank").iloc[0]
        best = vendors.sort_values("rank").iloc[-1]
        parts.append(f"The worst vendor is {worst['vendor']!s}: reliability "
                     f"{_ci(worst['reliability'], worst['reliability_low'], worst['reliability_high'], level)}, "
                     f"against {_ci(best['reliability'], best['reliability_low'], best['reliability_high'], level)} "
                     f"for the best, {best['vendor']!s}.")
        ranked = vendors.sort_values("rank")
        if len(ranked) >= 2:
            runner_up = ranked.iloc[1]
            if worst["reliability_high"] >= runner_up["reliability_low"]:
                parts.append(f"Its interval overlaps that of {runner_up['vendor']!s} "
                             f"({runner_up['reliability']:.3f}), so the two are not clearly separated.")
    n_spam = int(table["spammer"].sum()) if "spammer" in table.columns else 0
    if n_spam:
        parts.append(f"{n_spam} rater{'s are likely spammers' if n_spam != 1 else ' is likely a spammer'} (answers "
                     "unrelated to the items).")
    n_adv = int(table["adversarial"].sum()) if "adversarial" in table.columns else 0
    if n_adv:
        parts.append(f"{n_adv} rater{'s are' if n_adv != 1 else ' is'} adversarial: reliability below 0, agreeing "
                     "with the truth less often than chance (e.g. swapping labels).")
    if "quality_per_cost" in vendors.columns and vendors["quality_per_cost"].notna().any():
        top = vendors.sort_values("quality_per_cost", ascending=False).iloc[0]
        parts.append(f"Per unit of cost, {top['vendor']!s} delivers the most reliability.")
    removes = result.actions[result.actions["action"] == "remove"] if len(result.actions) else result.actions
    retrains = result.actions[result.actions["action"] == "retrain"] if len(result.actions) else result.actions
    todo = []
    if len(removes):
        todo.append(f"remove {', '.join(map(str, removes['rater_id'].head(5)))}")
    if len(retrains):
        todo.append(f"retrain {', '.join(map(str, retrains['rater_id'].head(5)))}")
    if todo:
        parts.append("What to do: " + "; ".join(todo) + ", and re-check the worst vendor's contract and "
                     "qualification tests.")
    else:
        parts.append("What to do: no rater needs action; keep monitoring with gold questions.")
    return " ".join(parts)


def _weights_paragraph(result: Any) -> str:
    level = result.confidence_level
    t = result.table.sort_values("weight", ascending=False)
    parts = [f"We weighted {len(t)} evaluation sources by how closely each tracks the latent item quality "
             f"(inverse error variance from the {result.model})."]
    shown = ", ".join(f"{r.source} {r.weight:.2f} ({r.weight_low:.2f} to {r.weight_high:.2f})"
                      for r in t.head(4).itertuples(index=False))
    parts.append(f"Weights: {shown}.")
    est = result.estimate
    if est is not None and not math.isnan(est.estimate):
        if est.method.startswith("classical"):
            parts.append(f"Every item has human labels, so the {result.target} is the human panel's: "
                         f"{_ci(est.estimate, est.ci_low, est.ci_high, level)}.")
        else:
            parts.append(f"The weighted sources, corrected on the human-labelled items (PPI++), put the "
                         f"{result.target} at {_ci(est.estimate, est.ci_low, est.ci_high, level)}.")
    if result.by_segment is not None and "differs" in result.by_segment.columns and result.by_segment["differs"].any():
        rows = result.by_segment[result.by_segment["differs"]]
        parts.append(f"The weights differ by segment ({', '.join(sorted(set(map(str, rows['segment']))))}): use "
                     "per-segment weights there.")
    parts.append(f"What to do: combine the sources with these weights; lean on {t.iloc[0]['source']!s} and least "
                 f"on {t.iloc[-1]['source']!s}, and report the corrected estimate with its interval.")
    return " ".join(parts)


def metric_summary(result: Any) -> str:
    """One decision-ready paragraph: what was measured, the number with its interval, what it means, what to do.

    Parameters
    ----------
    result : JudgeValidation, VendorAudit, TrustWeights or EstimateResult
        A workflow result, or any alignlab estimate (then the paragraph states the number and its interval).

    Returns
    -------
    str

    Examples
    --------
    >>> from alignlab.results import EstimateResult
    >>> from alignlab.workflows import metric_summary
    >>> metric_summary(EstimateResult(estimate=0.71, ci_low=0.65, ci_high=0.77, method="krippendorff_alpha",
    ...                               ci_method="bootstrap-bca(items, 1000)", n_items=200))
    'krippendorff_alpha on 200 items: 0.710 (95% CI 0.650 to 0.770), interval by bootstrap-bca(items, 1000).'
    """
    from alignlab.workflows._results import JudgeValidation, TrustWeights, VendorAudit

    if isinstance(result, JudgeValidation):
        return _judge_paragraph(result)
    if isinstance(result, VendorAudit):
        return _vendor_paragraph(result)
    if isinstance(result, TrustWeights):
        return _weights_paragraph(result)
    if isinstance(result, EstimateResult):
        number = format_estimate(result.estimate, result.ci_low, result.ci_high, result.confidence_level)
        text = f"{result.method or result.statistic} on {result.n_items:,} items: {number}"
        if result.ci_method and result.ci_method != "none":
            text += f", interval by {result.ci_method}"
        return text + "."
    raise TypeError(
        "metric_summary expects a JudgeValidation, VendorAudit, TrustWeights or EstimateResult; "
        f"got {type(result).__name__}."
    )
