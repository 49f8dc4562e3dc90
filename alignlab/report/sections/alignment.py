"""Sections "Method agreement", "Calibration" and "Judge biases" (the alignment family)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlab.alignment import calibration, correlate, judge_biases, method_matrix
from alignlab.plot.alignment import BiasDisplay, MethodMatrixDisplay, ReliabilityDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section

_RESAMPLES = 100  # reports favour speed; the API default is 1,000
_MAX_JUDGES = 4


def _judges(ctx: ReportContext) -> list[str]:
    info = ctx.judgments.rater_info
    judges = info.loc[info["method"] != "human", "rater_id"]
    return [str(r) for r in judges.tolist()[:_MAX_JUDGES] if r in set(ctx.judgments.raters)]


def _has_humans(ctx: ReportContext) -> bool:
    return "human" in set(ctx.judgments.methods)


@register_section("method_agreement", title="Method agreement", order=50)
def method_agreement_section(ctx: ReportContext) -> SectionContent | None:
    j = ctx.judgments
    if len(j.methods) < 2 and j.n_raters < 2:
        return None
    matrix = ctx.cached("alignment.method_matrix",
                        lambda: method_matrix(j, n_resamples=_RESAMPLES, random_state=ctx.random_state))
    table = matrix.to_frame()
    if table.empty:
        return None
    parts = [h.figure(MethodMatrixDisplay.from_result(matrix).plot().to_svg(),
                      caption="Chance-corrected agreement between every pair (diagonal = 1)")]
    parts.append(h.table(table, caption="Every pair: agreement and correlation with intervals", max_rows=120))
    bullets = []
    levels = _levels_table(ctx) if _has_humans(ctx) and j.scale.kind != "categorical" else pd.DataFrame()
    if not levels.empty:
        parts.append(h.table(levels, caption="Judge vs human consensus: item level vs system level"))
        best = levels[levels["level"] == "item"].sort_values("estimate", ascending=False).head(1)
        if not best.empty:
            row = best.iloc[0]
            bullets.append(f"Best item-level alignment with humans: {row['judge']} "
                           f"({row['statistic']} {row['estimate']:.2f}, {row['ci_low']:.2f} to {row['ci_high']:.2f}).")
    agreement = table[table["statistic"].str.startswith(("cohen", "krippendorff"))]
    if not agreement.empty:
        lo = agreement.sort_values("estimate").iloc[0]
        bullets.append(f"Lowest agreement: {lo['unit_a']} vs {lo['unit_b']} ({lo['statistic']} {lo['estimate']:.2f}).")
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status="info")


def _levels_table(ctx: ReportContext) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        j = ctx.judgments
        rows = []
        levels = ["item"] + (["system"] if j.has("system") and j.item_info["system"].nunique() >= 3 else [])
        for judge in _judges(ctx):
            for level in levels:
                for statistic in ("pearson", "spearman"):
                    try:
                        r = correlate(j, raters=judge, reference="human", level=level, statistic=statistic,
                                      n_resamples=_RESAMPLES, random_state=ctx.random_state,
                                      ci_method="percentile")
                    except ValueError:
                        continue
                    rows.append({"judge": judge, "level": level, "statistic": statistic, "estimate": r.estimate,
                                 "ci_low": r.ci_low, "ci_high": r.ci_high, "n_items": r.n_items,
                                 "n_systems": r.n_systems})
        return pd.DataFrame(rows)

    return ctx.cached("alignment.levels", compute)


def _probability_judges(ctx: ReportContext) -> list[str]:
    """Judges whose outputs look like probabilities, scored against binary human labels."""
    j = ctx.judgments
    if j.scale.kind != "continuous" or not _has_humans(ctx):
        return []
    values = j.frame["value"].to_numpy(dtype=float)
    human = j.frame["method"].to_numpy() == "human"
    if not np.isin(values[human], (0.0, 1.0)).all():
        return []
    out = []
    for judge in _judges(ctx):
        v = values[j.frame["rater_id"].to_numpy() == judge]
        if v.size and v.min() >= 0 and v.max() <= 1 and not np.isin(v, (0.0, 1.0)).all():
            out.append(judge)
    return out


@register_section("calibration", title="Calibration", order=55)
def calibration_section(ctx: ReportContext) -> SectionContent | None:
    judges = _probability_judges(ctx)
    if not judges:
        return None
    parts, bullets = [], []
    for judge in judges:
        result = ctx.cached(f"alignment.calibration.{judge}", lambda judge=judge: calibration(
            ctx.judgments, raters=judge, n_resamples=_RESAMPLES, random_state=ctx.random_state))
        parts.append(h.figure(ReliabilityDisplay.from_result(result).plot().to_svg(),
                              caption=f"Reliability diagram of {judge} (bars: items per bin)"))
        parts.append(h.table(result.to_frame(), caption=f"{judge}: ECE, debiased l2, MCE, Brier decomposition"))
        bullets.append(f"{judge}: ECE {result.estimate:.3f} ({result.ci_low:.3f} to {result.ci_high:.3f}), "
                       f"{result.variant}, {result.n_bins} {result.binning} bins.")
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status="info")


def _length_columns(ctx: ReportContext) -> dict[str, str]:
    columns = set(ctx.judgments.frame.columns)
    for a, b in (("len_a", "len_b"), ("length_a", "length_b")):
        if a in columns and b in columns and ctx.judgments.scale.kind == "pairwise":
            return {"length_a": a, "length_b": b}
    for single in ("length", "response_len", "target_len"):
        if single in columns and ctx.judgments.scale.kind != "pairwise":
            return {"length": single}
    return {}


@register_section("judge_biases", title="Judge biases", order=58)
def judge_biases_section(ctx: ReportContext) -> SectionContent | None:
    if not _has_humans(ctx) or ctx.judgments.scale.kind == "categorical":
        return None
    judges = _judges(ctx)
    if not judges:
        return None
    parts, bullets = [], []
    status = "info"
    for judge in judges:
        result = ctx.cached(f"alignment.biases.{judge}",
                            lambda judge=judge: judge_biases(ctx.judgments, raters=judge, **_length_columns(ctx)))
        table = result.to_frame()
        if table.empty:
            continue
        parts.append(h.figure(BiasDisplay.from_result(result).plot().to_svg(),
                              caption=f"{judge}: each bias with its interval; red mark = the unbiased value"))
        parts.append(h.table(table, caption=f"Biases of {judge}"))
        flagged = table[(table["expected"].notna()) & ((table["ci_low"] > table["expected"])
                                                      | (table["ci_high"] < table["expected"]))]
        for row in flagged.itertuples(index=False):
            status = "warn"
            bullets.append(f"{judge}: {row.bias} {row.estimate:.3f} ({row.ci_low:.3f} to {row.ci_high:.3f}), "
                           f"unbiased value {row.expected:.3f}.")
    if not parts:
        return None
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets[:6]), status=status)
