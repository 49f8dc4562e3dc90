"""Section "Agreement": the statistics for the scale, the rater x rater heatmap, the leave-one-out audit."""

from __future__ import annotations

from alignlab import agreement
from alignlab.plot.agreement import AgreementHeatmapDisplay, AgreementIntervalsDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section

# fewer resamples than the library default keep the section fast on the bundled datasets
_REPORT_RESAMPLES = 200
_MAX_HEATMAP_RATERS = 40


@register_section("agreement", title="Agreement", order=30)
def agreement_section(ctx: ReportContext) -> SectionContent | None:
    j = ctx.judgments
    if len(j.frame) == 0 or j.n_raters < 2:
        return None
    counts = j.item_info["n_raters"]
    if int((counts >= 2).sum()) == 0:
        return None
    seed = ctx.random_state
    summary = ctx.cached("agreement.summary", lambda: agreement.summary(
        j, n_resamples=_REPORT_RESAMPLES, random_state=seed)).to_frame()
    parts = []
    alphas = summary[summary["statistic"] == "krippendorff_alpha"]
    preferred = alphas[alphas["level"] == agreement.structure.default_level(j)]
    main = (preferred if len(preferred) else alphas).iloc[0]
    cards = [(f"Krippendorff's alpha ({main['level']})", h.fmt(main["estimate"]),
              f"{main['confidence_level']:.0%} CI {h.fmt(main['ci_low'])} to {h.fmt(main['ci_high'])}")]
    for _, row in summary.iterrows():
        if row["statistic"] in ("gwet_ac1", "icc") and len(cards) < 3:
            cards.append((f"{row['statistic']} ({row['level']})", h.fmt(row["estimate"]),
                          f"CI {h.fmt(row['ci_low'])} to {h.fmt(row['ci_high'])}"))
    parts.append(h.metric_cards(cards))
    shown = summary[["statistic", "level", "estimate", "ci_low", "ci_high", "ci_method", "n_items", "n_raters"]]
    parts.append(h.table(shown, caption="Agreement statistics for this scale (intervals as ci_method says)"))
    bullets = [f"Krippendorff's alpha ({main['level']}) = {h.fmt(main['estimate'])} "
               f"({main['confidence_level']:.0%} CI {h.fmt(main['ci_low'])} to {h.fmt(main['ci_high'])})."]
    if len(j.methods) > 1:
        by_method = ctx.cached("agreement.by_method_pair", lambda: agreement.by_group(
            j, n_resamples=_REPORT_RESAMPLES, random_state=seed)).to_frame()
        parts.append(h.table(by_method[["group", "estimate", "ci_low", "ci_high", "n_items", "n_raters"]],
                             caption="Krippendorff's alpha within and across methods (across: only pairs that "
                                     "cross the two methods)"))
        for _, row in by_method.iterrows():
            bullets.append(f"{row['group']}: alpha {h.fmt(row['estimate'])}.")
    if j.n_raters <= _MAX_HEATMAP_RATERS:
        pairs = ctx.cached("agreement.pairwise", lambda: agreement.pairwise(j, ci_method="none"))
        if pairs.to_frame()["estimate"].notna().any():
            parts.append(h.figure(AgreementHeatmapDisplay.from_result(pairs).plot().to_svg(),
                                  caption="Pairwise Krippendorff's alpha on the items both raters judged "
                                          "(tick colour = method)"))
    else:
        parts.append(h.callout(f"{j.n_raters} raters: the rater x rater heatmap is shown for at most "
                               f"{_MAX_HEATMAP_RATERS}; see agreement.pairwise().", kind="info"))
    status = "info"
    if j.n_raters >= 3:
        audit = ctx.cached("agreement.leave_one_out", lambda: agreement.leave_one_out(
            j, n_resamples=_REPORT_RESAMPLES, random_state=seed))
        frame = audit.to_frame()
        parts.append(h.figure(AgreementIntervalsDisplay.from_result(audit).plot().to_svg(),
                              caption="Each rater against the rest (dashed: alpha of all raters)"))
        parts.append(h.table(frame[["rater_id", "method_of_rater", "estimate", "ci_low", "ci_high", "n_items",
                                    "alpha_without", "change_if_removed"]],
                             caption="Leave-one-rater-out: agreement of each rater with the others; "
                                     "change_if_removed > 0 means the others agree better without this rater",
                             max_rows=60))
        worst = frame.iloc[0]
        if worst["change_if_removed"] > 0.02:
            status = "warn"
            bullets.append(f"Rater {worst['rater_id']} agrees least with the others (alpha "
                           f"{h.fmt(worst['estimate'])}); dropping them moves alpha by "
                           f"{h.fmt(worst['change_if_removed'])}.")
    notes = [w for w in summary["warnings"].dropna().unique() if w]
    if notes:
        parts.append(h.bullet_list(notes))
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status=status)
