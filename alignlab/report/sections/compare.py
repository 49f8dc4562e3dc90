"""Section "Version comparison": what regressed between two systems, where, and how sure.

Renders when the table has exactly two systems, or when the report options name them
(``compare.baseline`` / ``compare.candidate``, or a computed ``compare.result``; also ``compare.metrics``, ``compare.segments``,
``compare.clusters``, ``compare.raters``, ``compare.pair_on``, ``compare.ci_method``, ``compare.correction``,
``compare.confidence_level``, ``compare.n_resamples``, as :func:`alignlab.compare.compare_versions` takes them).
"""

from __future__ import annotations

import pandas as pd

from alignlab.compare import compare_versions
from alignlab.plot.compare import VersionComparisonDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section

_REPORT_RESAMPLES = 500
_TABLE_COLUMNS = ["metric", "rater", "segment", "n_baseline", "n_candidate", "baseline_value", "candidate_value",
                  "difference", "ci_low", "ci_high", "effect_size", "test", "q_value", "mde", "min_change", "verdict"]


def _pair(ctx: ReportContext) -> tuple[object, object] | None:
    baseline, candidate = ctx.option("compare.baseline"), ctx.option("compare.candidate")
    if baseline is not None and candidate is not None:
        return baseline, candidate
    j = ctx.judgments
    if not j.has("system") or j.scale.kind == "pairwise":
        return None
    systems = sorted(pd.unique(j.frame["system"].dropna()), key=str)
    return (systems[0], systems[1]) if len(systems) == 2 else None


@register_section("compare", title="Version comparison", order=55)
def compare_section(ctx: ReportContext) -> SectionContent | None:
    pair = _pair(ctx)
    if pair is None:
        return None
    baseline, candidate = pair
    # a caller that already computed the comparison (alignlab compare) hands it over: no second bootstrap
    result = ctx.option("compare.result") or ctx.cached("compare.versions", lambda: compare_versions(
        ctx.judgments, baseline=baseline, candidate=candidate, metrics=ctx.option("compare.metrics"),
        segments=ctx.option("compare.segments"), raters=ctx.option("compare.raters"),
        clusters=ctx.option("compare.clusters"), pair_on=ctx.option("compare.pair_on"),
        ci_method=ctx.option("compare.ci_method", "auto"), correction=ctx.option("compare.correction", "bh"),
        confidence_level=float(ctx.option("compare.confidence_level", 0.95)),
        n_resamples=int(ctx.option("compare.n_resamples", _REPORT_RESAMPLES)), random_state=ctx.random_state))
    table = result.to_frame()
    counts = table["verdict"].value_counts()
    cards = h.metric_cards([
        ("compared", f"{candidate} vs {baseline}", f"{'paired' if result.paired else 'unpaired'}"
                                                   f"{', clustered by ' + result.cluster if result.cluster else ''}"),
        ("regressions", f"{int(counts.get('regression', 0))}", f"{result.correction.upper()}-adjusted, "
                                                             f"{len(table)} comparisons"),
        ("improvements", f"{int(counts.get('improvement', 0))}", "same correction"),
        ("underpowered", f"{int(counts.get('underpowered', 0))}", "MDE at 80% power > minimum meaningful change"),
        ("no detectable change", f"{int(counts.get('no detectable change', 0))}", "powered, nothing found"),
    ])
    sentences = result.sentences()
    parts = [cards, h.bullet_list(sentences + list(result.notes))]
    svg = VersionComparisonDisplay.from_result(result).plot().to_svg()
    parts.append(h.figure(svg, caption="Candidate − baseline with its interval; colour = verdict (detected changes "
                                       "first, then the largest differences)"))
    parts.append(h.table(table[[c for c in _TABLE_COLUMNS if c in table.columns]],
                         caption=f"Every comparison ({result.confidence_level:.0%} intervals: "
                                 f"{', '.join(sorted(set(table['ci_method'])))}; q = adjusted over all rows)"))
    if not result.mix_shift.empty:
        parts.append(h.table(result.mix_shift, caption="Mix shift: overall change = within-segment change + "
                                                       "composition change (segment shares)"))
    if not result.method_disagreement.empty:
        parts.append(h.table(result.method_disagreement, caption="Disagreement between methods about the change "
                                                                 "(gap = rater − reference)"))
    n_reg = int(counts.get("regression", 0))
    status = "fail" if n_reg else ("warn" if counts.get("underpowered", 0) else "pass")
    # the decision goes above the fold only when the report was asked for this comparison (alignlab compare)
    explicit = ctx.option("compare.baseline") is not None
    verdict = sentences[0] if sentences and explicit else None
    return SectionContent(body="\n".join(parts), bullets=tuple(sentences[:3]), status=status, verdict=verdict,
                          warnings=tuple(result.warnings))
