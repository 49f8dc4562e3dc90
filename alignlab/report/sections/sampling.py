"""Section "Is the evaluation data representative?": the evaluation mix against production traffic.

It needs a production table, which a plain report does not have: pass it as the report option
``production`` (a DataFrame, one row per request or per segment with ``production_weights`` naming a
count column); optional options ``production_segments`` (default: the judgments' segments present in
production), ``production_weights``, ``target_half_width`` (default 0.03) for the data collection plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlab.plot.sampling import ShiftDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section

_MAX_PLAN_ROWS = 60


def _rates(ctx: ReportContext, kind_columns: list[str]) -> pd.Series | None:
    """Per-segment pass rate of the item consensus (binary scales), keyed like the audit's levels."""
    j = ctx.judgments
    if j.scale.kind != "binary":
        return None
    info = j.item_info
    totals = np.bincount(j.item_codes, weights=j.values, minlength=j.n_items)
    counts = np.bincount(j.item_codes, minlength=j.n_items)
    mean = totals / np.maximum(counts, 1)
    keys = info[kind_columns].astype(str).agg(" | ".join, axis=1)
    return pd.Series(mean).groupby(keys.to_numpy()).mean()


@register_section("sampling", title="Is the evaluation data representative?", order=70)
def sampling_section(ctx: ReportContext) -> SectionContent | None:
    production = ctx.option("production")
    if production is None:
        return None
    if not isinstance(production, pd.DataFrame):
        raise TypeError("The report option 'production' must be a pandas DataFrame of production traffic.")
    from alignlab.sampling import audit_representativeness, plan_sample

    j = ctx.judgments
    segments = ctx.option("production_segments") or [c for c in j.segments if c in production.columns]
    if not segments:
        return SectionContent(
            body=h.callout("No segment column is shared by the judgments and the production table; load the "
                           "judgments with segments=[...] that production also has.", kind="warn"),
            status="info")
    weights = ctx.option("production_weights")
    audit = ctx.cached("sampling.audit", lambda: audit_representativeness(
        j, production, segments=segments, production_weights=weights, n_resamples=500,
        random_state=ctx.random_state))

    cl = audit.confidence_level
    cards = h.metric_cards([
        ("worst-case bias (TVD)", f"{audit.tvd:.3f}", f"{cl:.0%} CI {audit.tvd_ci_low:.3f}–{audit.tvd_ci_high:.3f}"),
        ("design effect of reweighting", f"{audit.deff:.2f}",
         f"effective n {audit.effective_n:,.0f} of {audit.n_eval:,}"),
        ("uncovered production", f"{audit.uncovered_mass:.1%}", "no evaluation item in these cells"),
        ("classifier AUC", "n/a" if np.isnan(audit.auc) else f"{audit.auc:.3f}",
         "0.5 = indistinguishable from production"),
    ])
    parts = [cards, h.paragraph(
        f"Evaluation items ({audit.n_eval:,}) against {audit.n_production:,.0f} production requests on "
        f"{', '.join(segments)}. An unweighted metric in [0, 1] can be off by up to the total variation "
        f"distance ({audit.tvd:.3f}) because of the mix alone; post-stratifying to production removes that "
        f"bias at a design effect of {audit.deff:.2f}.")]
    gaps = audit.coverage_gaps
    if len(gaps):
        parts.append(h.table(gaps, caption=f"Coverage gaps: production share ≥ {audit.coverage_threshold:g} with "
                                           f"fewer than {audit.n_min} evaluation items", max_rows=50))
    else:
        parts.append(h.callout("No coverage gap: every segment with production share "
                               f"≥ {audit.coverage_threshold:g} has at least {audit.n_min} evaluation items.",
                               kind="pass"))
    parts.append(h.figure(ShiftDisplay.from_result(audit).plot().to_svg(),
                          caption="log(production share / evaluation share) per segment level with delta-method "
                                  "intervals; BH-significant shifts coloured"))
    shown = ["segment", "level", "production_share", "eval_share", "eval_n", "log_ratio", "log_ratio_ci_low",
             "log_ratio_ci_high", "q_value", "status"]
    parts.append(h.table(audit.shifts("column")[shown], caption="Per-segment shift (single columns)", max_rows=60))
    effects = audit.global_effects[["statistic", "estimate", "ci_low", "ci_high", "ci_method", "p_value", "note"]]
    parts.append(h.table(effects, caption="Global, size-free effects and tests"))
    if audit.slices is not None and len(audit.slices):
        columns = [c for c in ("predicate", "direction", "size", "mean_in", "effect", "ci_low", "ci_high", "q_value")
                   if c in audit.slices.columns]
        parts.append(h.table(audit.slices[columns], caption="Most under- and over-represented slices "
                                                            "(target: is production, stacked rows)"))

    # data collection requirements
    kind = "joint" if len(segments) > 1 and int((audit.to_frame()["kind"] == "joint").sum()) <= _MAX_PLAN_ROWS \
        else "column"
    key_columns = segments if kind == "joint" else segments[:1]
    frame = audit.segments_frame(_rates(ctx, key_columns), kind=kind)
    target = float(ctx.option("target_half_width", 0.03))
    plan = ctx.cached("sampling.plan", lambda: plan_sample(
        frame, half_width=target, allocation="neyman", deff=max(1.0, audit.deff) if np.isfinite(audit.deff) else 1.0,
        min_per_segment=2))
    parts.append(h.table(plan.to_frame().drop(columns=["sd", "cost"]),
                         caption=f"Data collection requirements: overall ±{target:g} at {plan.confidence_level:.0%} "
                                 f"(Neyman allocation, deff {plan.deff:.2f}); {plan.total_to_collect:,} items to "
                                 "collect", max_rows=_MAX_PLAN_ROWS))

    bullets = [f"Evaluation mix vs production: TVD {audit.tvd:.3f} (worst-case bias of an unweighted [0, 1] metric)."]
    if len(gaps):
        bullets.append(f"{len(gaps)} coverage gaps; {audit.uncovered_mass:.1%} of production traffic has no "
                       "evaluation item.")
    bullets.append(f"Reaching ±{target:g} on production needs {plan.total_to_collect:,} more items (Neyman).")
    if audit.uncovered_mass > 0.05 or audit.tvd > 0.2:
        status, verdict = "fail", "Not representative: reweight or collect data in the gaps before trusting metrics."
    elif audit.tvd > 0.05 or len(gaps):
        status, verdict = "warn", "Partly representative: report production-weighted metrics."
    else:
        status, verdict = "pass", "Representative of production traffic on the audited segments."
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status=status, verdict=verdict,
                          warnings=audit.warnings)
