"""Section "Where methods diverge": the slices where two methods disagree most, with intervals."""

from __future__ import annotations

import pandas as pd

from alignlab.plot.slices import SlicesDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section
from alignlab.slices import divergence, find_slices, suggest_pair

_TABLE_COLUMNS = ["predicate", "size", "mean_in", "mean_out", "effect", "ci_low", "ci_high", "q_value",
                  "share_of_divergence"]


@register_section("slices", title="Where methods diverge", order=60)
def slices_section(ctx: ReportContext) -> SectionContent | None:
    judgments = ctx.judgments
    pair = ctx.option("slices.pair") or suggest_pair(judgments)
    if pair is None:
        return None
    target = ctx.cached("slices.divergence", lambda: divergence(judgments, random_state=ctx.random_state, **pair))
    segments = target.attrs["alignlab.slices"]["segments"]
    if not segments:
        return None  # nothing to slice on
    target_column = target.attrs["alignlab.slices"].get("target", "divergence")
    if target_column in target.columns and int(target[target_column].notna().sum()) < 20:
        return None  # too few items with both methods for a slice search to say anything
    result = ctx.cached("slices.result", lambda: find_slices(
        target, depth=int(ctx.option("slices.depth", 3)), fdr=float(ctx.option("slices.fdr", 0.05)),
        n_permutations=500, random_state=ctx.random_state))
    meta = target.attrs["alignlab.slices"]
    a, b = meta["a_label"], meta["b_label"]
    what = {"signed": f"{a} − {b}", "absolute": f"|{a} − {b}|", "disagree": f"{a} ≠ {b}"}[meta["kind"]]
    cards = h.metric_cards([
        ("compared", f"{a} vs {b}", f"per {meta['unit']}: {what}"),
        ("overall mean", f"{result.overall_mean:+.3f}", f"{result.n_rows:,} {meta['unit']}s"),
        ("slices tested", f"{result.n_tested:,}", f"depth ≤ {result.depth}, ≥ {result.min_support:,} {meta['unit']}s"),
        ("significant", f"{result.n_significant:,}", f"{result.correction.upper()} at {result.fdr:g}"),
        ("reported", f"{len(result.slices):,}", "after redundancy pruning"),
    ])
    parts = [cards, h.paragraph(
        f"Every conjunction of up to {result.depth} conditions on {', '.join(result.segments)} was tested "
        f"(mean of {what} inside vs outside the slice), p-values corrected over all {result.n_tested:,} slices; "
        "slices that add nothing over a parent, a sub-slice or a higher-ranked overlapping slice are dropped. "
        f"Intervals: {result.ci_method}.")]
    if result.slices.empty:
        parts.append(h.callout(f"No slice of the data differs from the rest in {what} after the correction.",
                               kind="pass"))
        return SectionContent(body="\n".join(parts), status="pass",
                              bullets=(f"No segment where {a} and {b} diverge more than elsewhere "
                                       f"({result.n_tested:,} slices tested).",))
    parts.append(h.bullet_list(result.slices["sentence"]))
    table = result.slices[_TABLE_COLUMNS].rename(columns={"share_of_divergence": "share"})
    parts.append(h.table(pd.DataFrame(table), caption=f"Reported slices ({result.confidence_level:.0%} intervals; "
                                                          "q = adjusted p-value over every slice tested)"))
    svg = SlicesDisplay.from_result(result).plot().to_svg()
    parts.append(h.figure(svg, caption="Effect (inside − outside) with its interval, and the slice's share of all "
                                       "divergence"))
    candidates = result.candidates
    if len(candidates) > len(result.slices):
        dropped = candidates[candidates["status"] != "reported"].head(30)[
            ["predicate", "size", "effect", "q_value", "status"]]
        parts.append(h.table(dropped, caption="Significant slices dropped as redundant (first 30) and why"))
    return SectionContent(body="\n".join(parts), status="warn", bullets=(result.slices["sentence"].iloc[0],),
                          warnings=tuple(result.warnings))
