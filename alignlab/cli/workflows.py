"""Workflow commands: ``validate-judge``, ``audit-vendors``, ``trust-weights``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import typer

from alignlab.cli._app import (
    app,
    clean_for_json,
    console,
    emit_json,
    frame_table,
    invocation,
    progress,
    with_judgments,
)
from alignlab.data import Judgments

_LIGHT = {"pass": "green", "warn": "yellow", "fail": "red", "info": "blue"}


def _records(frame: Any) -> list[dict[str, Any]]:
    return clean_for_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))


def _write(result: Any, out: Path | None) -> str | None:
    if out is None:
        return None
    result = dataclasses.replace(result, call=invocation())
    return str(result.to_html(out))


@app.command("validate-judge")
@with_judgments
def validate_judge_command(
    judgments: Judgments,
    judge: str = typer.Option(..., "--raters", "--judge", help="Rater id of the LLM judge to validate."),
    humans: str | None = typer.Option(None, "--reference", "--humans",
                                      help="Human method name, comma-separated rater ids, or 'gold' (default: "
                                           "the method 'human' if present, else gold)."),
    epsilon: float = typer.Option(0.15, "--epsilon", help="Alt-test margin (0.2 experts, 0.15 skilled, 0.1 crowd)."),
    second_judge: str | None = typer.Option(None, "--second-judge", help="Compare with this judge."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path | None = typer.Option(None, "--out", help="Directory to write the HTML report (index.html) into."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Can an LLM judge replace the humans, assist them, or not be used? Prints the verdict and evidence."""
    from alignlab.workflows import validate_judge

    human_spec: str | list[str] | None = (humans if humans is None or "," not in humans
                                          else [h.strip() for h in humans.split(",") if h.strip()])
    with progress("validating judge (alt-test, bootstraps, slice search, annotator model)") as update:
        update(judge)
        result = validate_judge(judgments, raters=judge, reference=human_spec, epsilon=epsilon, second_judge=second_judge,
                                n_resamples=n_resamples, random_state=seed)
    path = _write(result, out)
    if json_output:
        emit_json(clean_for_json({
            "judge": result.judge, "verdict": result.verdict, "harmful": result.harmful, "rule": result.rule,
            "reasons": list(result.reasons),
            "summary": result.paragraph(), "evidence": _records(result.to_frame()),
            "failing_segments": _records(result.segments), "second_judge": result.second_judge,
            "comparison": result.comparison_conclusion or None, "notes": list(result.notes), "report": path,
        }))
        return
    harmful = " (harmful: worse than chance)" if result.harmful else ""
    console.print(f"[bold {_LIGHT[result.status]}]verdict: {result.verdict}{harmful}[/]")
    console.print(result.paragraph(), markup=False)
    console.print(frame_table(result.to_frame().drop(columns=["ci_method"]), title="Evidence", max_rows=40))
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if path:
        console.print(f"report written to [bold]{path}[/]")


@app.command("audit-vendors")
@with_judgments
def audit_vendors_command(
    judgments: Judgments,
    vendor: str = typer.Option("vendor", "--vendor", help="Column naming each rater's vendor."),
    periods: int = typer.Option(4, "--periods", help="Time periods for the drift check (needs a timestamp)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path | None = typer.Option(None, "--out", help="Directory to write the HTML report (index.html) into."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Audit annotation vendors and raters: reliability, bias, agreement, gold, spam, drift, cost."""
    from alignlab.workflows import audit_vendors

    with progress("auditing vendors (annotator model)"):
        result = audit_vendors(judgments, vendor=vendor, periods=periods, random_state=seed)
    path = _write(result, out)
    if json_output:
        emit_json(clean_for_json({
            "worst_vendor": result.worst_vendor, "summary": result.paragraph(),
            "vendors": _records(result.vendors), "raters": _records(result.to_frame()),
            "actions": _records(result.actions),
            "drift_tests": None if result.drift_tests is None else _records(result.drift_tests),
            "notes": list(result.notes), "report": path,
        }))
        return
    console.print(f"[bold {_LIGHT[result.status]}]worst vendor: {result.worst_vendor}[/]", markup=True)
    console.print(result.paragraph(), markup=False)
    console.print(frame_table(result.vendors, title="Vendors (rank 1 = worst)"))
    if len(result.actions):
        console.print(frame_table(result.actions, title="Raters to act on"))
    if path:
        console.print(f"report written to [bold]{path}[/]")


@app.command("trust-weights")
@with_judgments
def trust_weights_command(
    judgments: Judgments,
    target: str = typer.Option("mean", "--target", help="mean, pass_rate (binary) or win_rate (pairwise)."),
    humans: str = typer.Option("human", "--reference", "--humans", help="Human method name or comma-separated "
                                                                        "rater ids."),
    events: str | None = typer.Option(None, "--events", help="Event log (path or quoted glob, e.g. 'logs/*.parquet') "
                                                             "aggregated in the engine into online signals."),
    signal: str | None = typer.Option(None, "--signal", help="With --events: comma-separated binary signal columns."),
    events_item: str = typer.Option("item_id", "--events-item", help="With --events: the events' item id column."),
    events_segments: str | None = typer.Option(None, "--events-segments", help="With --events: exposure segment "
                                                                               "columns (for the IPW rate)."),
    engine: str = typer.Option("duckdb", "--engine", help="With --events: duckdb or spark."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path | None = typer.Option(None, "--out", help="Directory to write the HTML report (index.html) into."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """A weight per judge, online signal and human panel, and the corrected metric they imply."""
    from alignlab.workflows import trust_weights

    online = None
    if events is not None:  # online signals from an event log (alignlab.online.events), added to the judgments
        from alignlab.cli.online import events_options, write_with_online
        from alignlab.online import with_online

        with progress(f"aggregating events on {engine}"):
            online = events_options(events, item=events_item, signal=signal, numeric=None, system=None,
                                    segments=events_segments, user=None, timestamp=None, start=None, end=None,
                                    dedup="none", bot_column=None, max_user_events=None, engine=engine, seed=seed)
        judgments = with_online(judgments, online)
    human_spec: str | list[str] = humans if "," not in humans else [h.strip() for h in humans.split(",") if h.strip()]
    with progress("estimating trust weights (annotator model)"):
        result = trust_weights(judgments, target=target, reference=human_spec, random_state=seed)
    path = _write(result, out) if online is None else write_with_online(result, online, out)
    est = result.estimate
    if json_output:
        emit_json(clean_for_json({
            "target": result.target, "summary": result.paragraph(),
            "weights": _records(result.to_frame()),
            "estimate": None if est is None else {"estimate": est.estimate, "ci_low": est.ci_low,
                                                  "ci_high": est.ci_high, "method": est.method,
                                                  "ci_method": est.ci_method},
            "by_segment": None if result.by_segment is None else _records(result.by_segment),
            "notes": list(result.notes), "report": path,
        }))
        return
    console.print(result.paragraph(), markup=False)
    console.print(frame_table(result.to_frame().drop(columns=["ci_method"]), title="Weights"))
    if path:
        console.print(f"report written to [bold]{path}[/]")
