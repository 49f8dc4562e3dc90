"""Section "The data": counts by method, rater, segment; scale; exclusions."""

from __future__ import annotations

from alignlab.plot import CountsDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section


@register_section("data", title="The data", order=10)
def data_section(ctx: ReportContext) -> SectionContent | None:
    summary = ctx.data
    if summary is None:
        return None
    cards = h.metric_cards([
        ("judgments", f"{summary.n_judgments:,}", f"{summary.n_aggregate_rows:,} aggregate rows"),
        ("items", f"{summary.n_items:,}", ""),
        ("raters", f"{summary.n_raters:,}", f"{len(summary.by_method)} methods"),
        ("scale", summary.scale.kind, summary.scale.describe()),
        ("excluded rows", f"{summary.n_excluded:,}", "at load, with reasons below"),
    ])
    parts = [cards, h.table(summary.by_method, caption="By method")]
    parts.append(h.figure(CountsDisplay.from_summary(summary).plot().to_svg(),
                          caption="Judgments per rater, coloured by method"))
    parts.append(h.table(summary.by_rater, caption="By rater", max_rows=50))
    if not summary.by_segment.empty:
        parts.append(h.table(summary.by_segment, caption="By segment", max_rows=100))
    if len(summary.exclusions):
        reasons = summary.exclusions.groupby(["column", "problem"]).size().rename("n_rows").reset_index()
        parts.append(h.table(reasons, caption="Excluded rows by reason"))
    if summary.notes:
        parts.append(h.bullet_list(summary.notes))
    bullets = (f"{summary.n_judgments:,} judgments of {summary.n_items:,} items by {summary.n_raters:,} raters "
               f"({', '.join(map(str, summary.by_method['method']))}).",)
    return SectionContent(body="\n".join(parts), bullets=bullets, status="info")
