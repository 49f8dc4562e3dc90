"""Foundation commands: ``validate``, ``datasets``, ``report``."""

from __future__ import annotations

from pathlib import Path

import typer

from alignlab.cli._app import (
    app,
    clean_for_json,
    console,
    emit_json,
    frame_table,
    handle_errors,
    invocation,
    progress,
    with_judgments,
)
from alignlab.data import Judgments


@app.command("validate")
@with_judgments
def validate_command(
    judgments: Judgments,
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Validate a judgments table: print counts by method, rater, item and segment, or the failure
    table (exit code 2)."""
    summary = judgments.summary()
    if json_output:
        emit_json(clean_for_json({
            "scale": summary.scale.describe(),
            "n_judgments": summary.n_judgments,
            "n_items": summary.n_items,
            "n_raters": summary.n_raters,
            "n_aggregate_rows": summary.n_aggregate_rows,
            "by_method": summary.by_method.to_dict(orient="records"),
            "by_rater": summary.by_rater.to_dict(orient="records"),
            "by_segment": summary.by_segment.to_dict(orient="records"),
            "n_excluded": summary.n_excluded,
            "exclusions": summary.exclusions.astype(str).to_dict(orient="records"),
            "notes": list(summary.notes),
        }))
        return
    console.print(f"[bold green]valid[/]: {summary.n_judgments:,} judgments of {summary.n_items:,} items by "
                  f"{summary.n_raters:,} raters; scale: {summary.scale.describe()}")
    if summary.n_aggregate_rows:
        console.print(f"{summary.n_aggregate_rows:,} per-item online aggregate rows")
    console.print(frame_table(summary.by_method, title="By method"))
    console.print(frame_table(summary.by_rater, title="By rater (top 30)"))
    if not summary.by_segment.empty:
        console.print(frame_table(summary.by_segment, title="By segment", max_rows=40))
    if len(summary.exclusions):
        reasons = summary.exclusions.groupby(["column", "problem"]).size().rename("n_rows").reset_index()
        console.print(frame_table(reasons, title=f"Excluded rows ({summary.n_excluded:,})"))
    else:
        console.print("Excluded rows: none")
    for note in summary.notes:
        console.print(f"note: {note}")


@app.command("datasets")
@handle_errors
def datasets_command(
    json_output: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the bundled real datasets with their licence and citation."""
    from alignlab import datasets

    table = datasets.list()
    if json_output:
        emit_json(clean_for_json(table.to_dict(orient="records")))
        return
    console.print(frame_table(table[["name", "title", "scale", "n_judgments", "n_items", "n_raters", "license"]],
                              title="Bundled datasets"))
    console.print("Load one with alignlab.datasets.load(name); citations: `alignlab datasets --json`.")


@app.command("report")
@with_judgments
def report_command(
    judgments: Judgments,
    out: Path = typer.Option(Path("alignlab-report"), "--out", help="Directory to write index.html into."),
    sections: str = typer.Option(None, "--sections", help="Comma-separated section keys (default: all)."),
    seed: int = typer.Option(0, "--seed", help="Random seed for bootstraps and samplers."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary of the sections."),
    dataset_name: str | None = None,
) -> None:
    """Write the self-contained HTML report of everything the data supports."""
    from alignlab.report import build_report

    wanted = None if sections is None else [s.strip() for s in sections.split(",") if s.strip()]
    with progress("building report") as update:
        _, built = build_report(
            judgments, out, sections=wanted, random_state=seed, call=invocation(),
            title="alignlab report", dataset_name=dataset_name, progress=update,
        )
    path = Path(out) / "index.html"
    if json_output:
        emit_json({
            "report": str(path),
            "sections": [
                {"key": b.spec.key, "title": b.spec.title, "error": b.error,
                 "verdict": None if b.content is None else b.content.verdict,
                 "bullets": [] if b.content is None else list(b.content.bullets)}
                for b in built if b.content is not None or b.error is not None
            ],
        })
        return
    for b in built:
        if b.error:
            console.print(f"[yellow]section {b.spec.key} failed:[/] {b.error}")
    console.print(f"report written to [bold]{path}[/]")
