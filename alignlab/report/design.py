"""One self-contained HTML page for a data collection plan (:class:`alignlab.design.DataCollectionPlan`)."""

from __future__ import annotations

import math
from typing import Any

from alignlab.report.html import bullet_list, callout, esc, figure, metric_cards, page, paragraph, table

__all__ = ["render_plan"]


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def render_plan(plan: Any) -> str:
    """The requirement first (what to send, how many raters, how much gold), then the evidence."""
    parts = ["<header><h1>Data collection plan</h1>",
             f'<p class="sub">{esc(plan.method)}, {plan.n_simulations} simulations per design, '
             f"{plan.confidence_level:.0%} intervals</p></header>"]
    parts.append(metric_cards([
        ("items", f"{plan.n_items:,}", f"{plan.raters_per_item} rater(s) per item"),
        ("gold items", f"{plan.n_gold_items:,}", f"{plan.gold_rate:.1%} of items sent"),
        ("cost", f"{plan.total_cost:,.2f}", "budget " + (f"{plan.budget:,.2f}" if plan.budget is not None else "none")),
        (f"{plan.target} half-width", _fmt(plan.expected_half_width),
         f"MC error {plan.expected_half_width_mc_se:.2g}"),
        (f"{plan.agreement} half-width", _fmt(plan.agreement_half_width),
         f"MC error {plan.agreement_half_width_mc_se:.2g}" if math.isfinite(plan.agreement_half_width) else ""),
    ]))
    parts.append('<section class="decision"><h2>Requirement</h2>' + bullet_list(plan.requirement()) + "</section>")
    for warning in plan.warnings:
        parts.append(callout(f"warning: {warning}", kind="warn"))
    parts.append("<h2>Plan</h2>" + table(plan.table, caption="Items, raters per item, gold and cost"))
    try:
        from alignlab.plot._base import to_svg
        from alignlab.plot.design import TradeoffDisplay

        display = TradeoffDisplay.from_result(plan).plot()
        parts.append(figure(to_svg(display.figure_), caption="Expected half-width against cost for each number of "
                                                             "raters per item; the star is the plan."))
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        pass
    parts.append("<h2>Items against raters per item</h2>" + table(plan.tradeoff))
    if len(plan.gold):
        parts.append("<h2>Gold per vendor</h2>" + table(plan.gold))
    parts.append("<h2>Rater assignment</h2>" + paragraph(
        f"Rotating cyclic overlap design: {plan.connectivity.get('n_working_raters', 0)} raters in "
        f"{plan.connectivity.get('n_components', 0)} connected block(s); every rater shares items with at least "
        f"{plan.connectivity.get('min_partners', 0)} others. The full list is assignment.csv / plan.json.")
        + table(plan.assignment, max_rows=60))
    parts.append("<h2>Rater pool</h2>" + table(plan.raters))
    parts.append('<footer><p>Made with alignlab.design.plan_annotation.</p></footer>')
    return page(title="Data collection plan", body="\n".join(parts))
