"""Section "Online signals": event-log aggregates, who left feedback, and the naive against the
selection-corrected rate side by side.

Shown when the report's judgments come from :func:`alignlab.online.events` (an ``OnlineJudgments``) or
when the report option ``online`` holds one (e.g. ``alignlab trust-weights --events``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section


def _online(ctx: ReportContext):  # noqa: ANN202 - OnlineJudgments, imported lazily
    from alignlab.online import OnlineJudgments

    candidate = ctx.option("online")
    if isinstance(candidate, OnlineJudgments):
        return candidate
    return ctx.judgments if isinstance(ctx.judgments, OnlineJudgments) else None


@register_section("online", title="Online signals: naive and selection-corrected", order=65)
def online_section(ctx: ReportContext) -> SectionContent | None:
    online = _online(ctx)
    if online is None:
        return None
    from alignlab.online import feedback_rates, ipw_rate

    totals = online.cells.groupby("signal", sort=False)[["exposures", "trials", "successes"]].sum()
    cards = [("events read", f"{online.n_events:,}", f"on {online.engine}"),
             ("exposures counted", f"{online.n_events_used:,}",
              f"{len(online.cells) // max(len(online.signals), 1):,} item × segment cells"),
             ("events excluded", f"{int(online.event_exclusions['n_events'].sum()):,}",
              ", ".join(online.event_exclusions["reason"].head(2)) or "none")]
    parts = [h.metric_cards(cards)]
    rows, bullets, warnings = [], [], []
    for signal in online.signals:
        t = totals.loc[signal]
        row = {"signal": signal, "exposures": int(t["exposures"]), "rated": int(t["trials"]),
               "feedback_rate": t["trials"] / t["exposures"] if t["exposures"] else np.nan}
        if online.cell_columns:
            res = ctx.cached(f"online.ipw.{signal}", lambda s=signal: ipw_rate(online, signal=s,
                                                                               random_state=ctx.random_state))
            row.update({"naive_rate": res.naive, "naive_low": res.naive_low, "naive_high": res.naive_high,
                        "corrected_rate": res.estimate, "corrected_low": res.ci_low, "corrected_high": res.ci_high,
                        "difference": res.difference, "difference_low": res.difference_low,
                        "difference_high": res.difference_high, "ci_method": res.ci_method})
            warnings += list(res.warnings)
            moved = not (res.difference_low <= 0 <= res.difference_high)
            bullets.append(f"{signal}: naive rate {res.naive:.3f}, selection-corrected {res.estimate:.3f} "
                           f"({res.confidence_level:.0%} CI {res.ci_low:.3f} to {res.ci_high:.3f})"
                           + ("; the correction matters." if moved else "; no detectable selection bias."))
        else:
            rate = t["successes"] / t["trials"] if t["trials"] else np.nan
            row.update({"naive_rate": rate})
            bullets.append(f"{signal}: rate {rate:.3f} among the rated (no exposure features to correct with).")
        rows.append(row)
    table = pd.DataFrame(rows)
    parts.append(h.table(table, caption="Naive rate among the rated exposures against the inverse-propensity-"
                                        "weighted rate over all exposures (propensity from the exposure features)"))
    if online.event_segments:
        fr = ctx.cached("online.feedback", lambda: feedback_rates(online, signal=online.signals[0]))
        parts.append(h.table(fr.to_frame().drop(columns=["ci_method"]), max_rows=60,
                             caption=f"Feedback rate of {online.signals[0]} by {', '.join(fr.by)} (Wilson "
                                     f"intervals); equal-rate chi-square p = {fr.p_value:.3g}"))
    if len(online.event_exclusions):
        parts.append(h.table(online.event_exclusions, caption="Events not counted, and why"))
    selection_notes = [n for n in online.notes if n.startswith("selection:")]
    for note in selection_notes:
        parts.append(h.callout(note, kind="warn"))
    if online.numeric_signals:
        summary = online.numeric.groupby("signal", sort=False).agg(n=("n", "sum"), total=("sum", "sum"))
        summary["mean"] = summary["total"] / summary["n"].where(summary["n"] > 0)
        parts.append(h.table(summary.reset_index(), caption="Numeric signals (sum and mean over the values present)"))
    moved_any = any("correction matters" in b for b in bullets)
    status = "warn" if selection_notes or moved_any else "pass"
    verdict = ("Feedback is selective: report the selection-corrected online rate." if status == "warn"
               else "No detectable selection in who left feedback on the exposure features.")
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status=status, verdict=verdict,
                          warnings=tuple(dict.fromkeys(warnings)))
