"""``alignlab agreement FILE``: the agreement statistics that suit the scale, with intervals."""

from __future__ import annotations

import typer

from alignlab._params import DEFAULT_N_RESAMPLES
from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, progress, with_judgments
from alignlab.data import Judgments

_SHOWN = ["statistic", "level", "estimate", "ci_low", "ci_high", "ci_method", "n_items", "n_raters"]


@app.command("agreement")
@with_judgments
def agreement_command(
    judgments: Judgments,
    raters: str | None = typer.Option(None, "--raters", help="Comma-separated rater ids or method names "
                                                           "(e.g. human)."),
    ci_method: str = typer.Option("analytic", "--ci-method",
                                  help="analytic, bca, percentile or none."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval coverage."),
    n_resamples: int = typer.Option(DEFAULT_N_RESAMPLES, "--n-resamples", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    clusters: str | None = typer.Option(
        None, "--clusters", help="Item-level column (e.g. conversation id, kept with --segments) resampled whole "
                                 "by the bootstrap; needs a bootstrap --ci-method."),
    pairwise: bool = typer.Option(False, "--pairwise", help="Also print the rater x rater alpha matrix."),
    json_output: bool = typer.Option(False, "--json", help="Print the tables as JSON."),
) -> None:
    """Inter-rater agreement: alpha, kappas, AC1/AC2 or ICC with intervals (agreement.summary), plus
    agreement by method pair and, with --pairwise, the rater x rater matrix."""
    from alignlab import agreement

    def split(text: str | None) -> list[str] | None:
        return None if text is None else [t.strip() for t in text.split(",") if t.strip()]

    selection = {"raters": split(raters)}
    options = {"confidence_level": confidence_level, "ci_method": ci_method, "n_resamples": n_resamples,
               "random_state": seed, "clusters": clusters}
    with progress("agreement") as update:
        update("summary")
        table = agreement.summary(judgments, **selection, **options).to_frame()
        sub = judgments if raters is None else judgments.subset(
            raters=judgments.resolve_raters(selection["raters"], argument="--raters"))
        by_method = None
        if len(sub.methods) > 1:
            update("by method pair")
            boot = {**options, "ci_method": "percentile" if ci_method == "analytic" else ci_method}
            by_method = agreement.by_group(sub, **boot).to_frame()
        matrix = None
        if pairwise:
            update("pairwise")
            boot = {**options, "ci_method": "none", "clusters": None}
            matrix = agreement.pairwise(sub, **boot).matrix()
    if json_output:
        payload = {"scale": judgments.scale.describe(), "summary": table.to_dict(orient="records")}
        if by_method is not None:
            payload["by_method_pair"] = by_method.to_dict(orient="records")
        if matrix is not None:
            payload["pairwise"] = matrix.reset_index().to_dict(orient="records")
        emit_json(clean_for_json(payload))
        return
    console.print(frame_table(table[_SHOWN], title=f"Agreement ({judgments.scale.describe()})"))
    for note in table["warnings"].dropna().unique():
        if note:
            console.print(f"note: {note}", markup=False)
    if by_method is not None:
        console.print(frame_table(by_method[["group", "estimate", "ci_low", "ci_high", "n_items", "n_raters"]],
                                  title="Krippendorff's alpha by method pair"))
    if matrix is not None:
        console.print(frame_table(matrix.reset_index(), title="Pairwise alpha (rater x rater)"))
