"""``alignlab correlate``: correlation between two methods or raters, item and system level."""

from __future__ import annotations

import typer

from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, with_judgments
from alignlab.data import Judgments

_STATISTICS = "pearson,spearman,kendall_b"


@app.command("correlate")
@with_judgments
def correlate_command(
    judgments: Judgments,
    raters: str = typer.Option(..., "--raters", "--a", help="Method name or rater id assessed (e.g. llm_judge, "
                                                            "gpt-4o)."),
    reference: str = typer.Option("human", "--reference", "--b", help="Method name or rater id used as the "
                                                                      "reference."),
    statistics: str = typer.Option(_STATISTICS, "--statistics",
                                   help="Comma-separated: pearson, spearman, kendall_b, kendall_c, acc_eq, "
                                        "pairwise_accuracy, soft_pairwise_accuracy."),
    levels: str = typer.Option("auto", "--levels",
                               help="Comma-separated item, item_grouped, system; 'auto' = item (+ system when "
                                    "the table has >= 3 systems)."),
    group: str = typer.Option(None, "--group", help="Column of the input shared across systems (item_grouped)."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval coverage."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Correlate two methods (or raters) with bootstrap intervals, at item and system level."""
    from alignlab.alignment import correlate

    if levels == "auto":
        wanted_levels = ["item"]
        if judgments.has("system") and judgments.item_info["system"].nunique() >= 3:
            wanted_levels.append("system")
        if group is not None:
            wanted_levels.insert(1, "item_grouped")
    else:
        wanted_levels = [s.strip() for s in levels.split(",") if s.strip()]
    rows = []
    for level in wanted_levels:
        for statistic in [s.strip() for s in statistics.split(",") if s.strip()]:
            if level != "system" and statistic in ("pairwise_accuracy", "soft_pairwise_accuracy"):
                continue
            result = correlate(judgments, raters=raters, reference=reference, level=level, statistic=statistic, group=group,
                               n_resamples=n_resamples, confidence_level=confidence_level, random_state=seed)
            rows.append(result.to_dict())
    if json_output:
        emit_json(clean_for_json({"raters": raters, "reference": reference, "results": rows}))
        return
    import pandas as pd

    frame = pd.DataFrame(rows)
    table = frame[["method", "estimate", "ci_low", "ci_high", "n_items", "n_systems"]]
    console.print(frame_table(table, title=f"{raters} vs {reference} ({confidence_level:.0%} intervals)"))
    for method in sorted(set(frame["ci_method"])):
        console.print(f"interval: {method}")
