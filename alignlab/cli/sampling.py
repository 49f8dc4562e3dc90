"""Commands ``audit-data`` (evaluation mix vs production) and ``plan-sample`` (data collection plan)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, handle_errors


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


@app.command("audit-data")
@handle_errors
def audit_data_command(
    eval_file: Path = typer.Argument(..., help="Evaluation table (CSV, TSV, Parquet, JSONL) with the segment columns."),
    production: Path = typer.Option(..., "--production", help="Production log: one row per request, or per "
                                                                 "segment with --production-weights."),
    segments: str = typer.Option(..., "--segments", help="Comma-separated segment columns present in both tables."),
    production_weights: str = typer.Option(None, "--production-weights", help="Column of request counts."),
    coverage_threshold: float = typer.Option(0.01, "--coverage-threshold", help="Production share that must be "
                                                                                  "covered."),
    n_min: int = typer.Option(30, "--n-min", help="Evaluation items a covered segment needs."),
    method: str = typer.Option("rake", "--reweight", help="Weights written with --out: poststratify, rake or ipw."),
    out: Path = typer.Option(None, "--out", help="Directory for segments.csv, coverage_gaps.csv, "
                                                 "global_effects.csv and weights.csv."),
    seed: int = typer.Option(0, "--seed", help="Random seed (bootstrap, classifier folds)."),
    json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """How far is the evaluation data from production traffic? Shifts, coverage gaps, bias bound, deff."""
    from alignlab.sampling import audit_representativeness, reweight

    columns = _split(segments)
    audit = audit_representativeness(eval_file, production, segments=columns, production_weights=production_weights,
                                     coverage_threshold=coverage_threshold, n_min=n_min, random_state=seed)
    weights = reweight(eval_file, production, segments=columns, production_weights=production_weights, method=method)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        audit.to_frame().to_csv(out / "segments.csv", index=False)
        audit.coverage_gaps.to_csv(out / "coverage_gaps.csv", index=False)
        audit.global_effects.to_csv(out / "global_effects.csv", index=False)
        weights.weights_frame().to_csv(out / "weights.csv", index=False)
        weights.asmd.to_csv(out / "asmd.csv", index=False)
    if json_output:
        emit_json(clean_for_json({
            "segments": columns, "n_eval": audit.n_eval, "n_production": audit.n_production,
            "tvd": audit.tvd, "tvd_ci": [audit.tvd_ci_low, audit.tvd_ci_high], "bias_bound": audit.bias_bound,
            "deff": audit.deff, "effective_n": audit.effective_n, "uncovered_mass": audit.uncovered_mass,
            "auc": audit.auc, "auc_ci": [audit.auc_ci_low, audit.auc_ci_high],
            "coverage_gaps": audit.coverage_gaps.to_dict(orient="records"),
            "global_effects": audit.global_effects.to_dict(orient="records"),
            "reweight": {"method": method, "deff": weights.deff, "effective_n": weights.effective_n,
                         "asmd": weights.asmd.to_dict(orient="records")},
            "warnings": list(audit.warnings),
            "out": None if out is None else str(out),
        }))
        return
    console.print(str(audit).split("\n  ")[0])
    console.print(f"worst-case bias of an unweighted [0, 1] metric (TVD): {audit.tvd:.3f} "
                  f"({audit.confidence_level:.0%} CI {audit.tvd_ci_low:.3f}–{audit.tvd_ci_high:.3f})")
    console.print(f"design effect of post-stratifying: {audit.deff:.3f}; effective n {audit.effective_n:,.0f}")
    console.print(f"uncovered production mass: {audit.uncovered_mass:.2%}; classifier AUC {audit.auc:.3f}")
    if len(audit.coverage_gaps):
        console.print(frame_table(audit.coverage_gaps, title="Coverage gaps"))
    else:
        console.print("coverage gaps: none")
    shown = audit.shifts("column")[["segment", "level", "production_share", "eval_share", "log_ratio",
                                    "log_ratio_ci_low", "log_ratio_ci_high", "q_value", "status"]]
    console.print(frame_table(shown, title="Largest per-segment shifts"))
    console.print(frame_table(weights.asmd, title=f"Balance after {method} (ASMD)"))
    for warning in audit.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if out is not None:
        console.print(f"tables written to [bold]{out}[/]")


@app.command("plan-sample")
@handle_errors
def plan_sample_command(
    segments_csv: Path = typer.Argument(..., help="CSV with segment, production_share, rate (or sd), and optional "
                                                  "cost, current_n, population."),
    budget: float = typer.Option(None, "--budget", help="Items to collect (cost units with a cost column)."),
    half_width: float = typer.Option(None, "--half-width", help="Target half-width of the overall estimate."),
    segment_half_width: float = typer.Option(None, "--segment-half-width", help="Target half-width per segment."),
    allocation: str = typer.Option("neyman", "--allocation", help="neyman, proportional, power or equal."),
    power_exponent: float = typer.Option(0.5, "--power-exponent", help="q of the power allocation."),
    min_per_segment: int = typer.Option(2, "--min-per-segment", help="Floor per segment."),
    max_per_segment: int = typer.Option(None, "--max-per-segment", help="Cap per segment."),
    deff: float = typer.Option(1.0, "--deff", help="Design effect of the later reweighting."),
    ci_method: str = typer.Option("auto", "--ci-method", help="auto, wald, wilson or jeffreys."),
    confidence_level: float = typer.Option(0.95, "--confidence-level"),
    out: Path = typer.Option(None, "--out", help="Write the requirements table to this CSV."),
    json_output: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """How many items to annotate in each segment, for a budget or a target precision."""
    from alignlab.sampling import plan_sample

    if not segments_csv.exists():
        raise FileNotFoundError(f"The segments file {str(segments_csv)!r} does not exist; check the path.")
    frame = pd.read_csv(segments_csv)
    plan = plan_sample(frame, budget=budget, half_width=half_width, segment_half_width=segment_half_width,
                       allocation=allocation, power_exponent=power_exponent, min_per_segment=min_per_segment,
                       max_per_segment=max_per_segment, deff=deff, ci_method=ci_method,
                       confidence_level=confidence_level)
    if out is not None:
        plan.to_csv(out)
    if json_output:
        emit_json(clean_for_json({
            "allocation": allocation, "total_n": plan.total_n, "total_to_collect": plan.total_to_collect,
            "total_cost": plan.total_cost, "overall_half_width": plan.overall_half_width,
            "n_required": plan.n_required, "n_simple_random": plan.n_simple_random, "deff": plan.deff,
            "confidence_level": plan.confidence_level, "plan": plan.to_frame().to_dict(orient="records"),
            "warnings": list(plan.warnings), "out": None if out is None else str(out),
        }))
        return
    console.print(f"[bold]{plan.allocation}[/] allocation: {plan.total_n:,} items, {plan.total_to_collect:,} to "
                  f"collect; overall ±{plan.overall_half_width:.4f} at {plan.confidence_level:.0%}")
    console.print(frame_table(plan.to_frame(), title="Data collection requirements", max_rows=100))
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if out is not None:
        console.print(f"plan written to [bold]{out}[/]")
