"""``alignlab compare``: did the candidate version regress against the baseline, on what and for whom?

(Two *methods* are correlated by ``alignlab correlate --raters JUDGE --reference human``.)
"""

from __future__ import annotations

import json
from pathlib import Path

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


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


@app.command("compare")
@with_judgments
def compare_command(
    judgments: Judgments,
    baseline: str = typer.Option(..., "--baseline", help="System (value of the system column) in production."),
    candidate: str = typer.Option(..., "--candidate", help="System proposed to replace it."),
    by: str = typer.Option(None, "--by", help="Comma-separated segment columns to compare (default: the table's "
                                              "segments; --segments chooses them at load)."),
    cluster: str = typer.Option(None, "--cluster", help="Column of the cluster (conversation, prompt, user): "
                                                        "cluster bootstrap and cluster-robust tests."),
    pair_on: str = typer.Option(None, "--pair-on", help="Column naming the input both versions were rated on "
                                                        "(default: input_id/prompt_id/prompt/source_id if present)."),
    metric_column: str = typer.Option(None, "--metric-column", help="One metric per value of this column "
                                                                    "(e.g. criterion)."),
    pass_threshold: float = typer.Option(None, "--pass-threshold", help="Compare pass rates (value >= T) "
                                                                        "instead of means."),
    lower_is_better: bool = typer.Option(False, "--lower-is-better", help="A higher value is worse (e.g. error "
                                                                          "counts)."),
    min_change: float = typer.Option(None, "--min-change", help="Minimum meaningful change (metric units; rates "
                                                                "as proportions)."),
    raters: str = typer.Option(None, "--raters", help="Comma-separated rater groups (method names or rater ids); "
                                                      "default: humans pooled, each LLM judge alone."),
    ci_method: str = typer.Option("auto", "--ci-method", help="auto, percentile, basic, bca, analytic, newcombe "
                                                              "or none."),
    correction: str = typer.Option("bh", "--correction", help="bh, holm or by."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval level; 1 - level is the "
                                                                            "significance threshold of q."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path = typer.Option(None, "--out", help="Directory for comparison.csv, comparison.json and index.html."),
    json_output: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    dataset_name: str | None = None,
) -> None:
    """Compare two versions (--baseline/--candidate) on every metric, rater group and segment: regressions with
    intervals, q-values, what is underpowered, mix shift, where methods disagree."""
    from alignlab.compare import Metric, compare_versions, metrics_from_column

    kind = "pass_rate" if pass_threshold is not None else "mean"
    if judgments.scale.kind == "pairwise":
        kind = "win_rate"
    if metric_column is not None:
        metrics = metrics_from_column(judgments, metric_column, statistic=kind, threshold=pass_threshold,
                                      higher_is_better=not lower_is_better, min_change=min_change)
    else:
        name = {"pass_rate": "pass rate", "win_rate": "win rate"}.get(kind, "score")
        if kind == "pass_rate" or judgments.scale.kind != "binary":
            metrics = [Metric(name, statistic=kind, threshold=pass_threshold, higher_is_better=not lower_is_better,
                              min_change=min_change)]
        else:
            metrics = [Metric("pass rate", statistic="pass_rate", higher_is_better=not lower_is_better,
                              min_change=min_change)]
    with progress("comparing versions"):
        result = compare_versions(judgments, baseline=baseline, candidate=candidate, metrics=metrics,
                                  segments=_split(by), raters=_split(raters), pair_on=pair_on, clusters=cluster,
                                  ci_method=ci_method, correction=correction, confidence_level=confidence_level,
                                  n_resamples=n_resamples, random_state=seed)
    table = result.to_frame()
    payload = clean_for_json({
        "baseline": str(result.baseline), "candidate": str(result.candidate), "paired": result.paired,
        "cluster": result.cluster, "correction": result.correction, "confidence_level": result.confidence_level,
        "sentences": result.sentences(), "notes": list(result.notes), "warnings": list(result.warnings),
        "comparisons": table.to_dict(orient="records"), "mix_shift": result.mix_shift.to_dict(orient="records"),
        "method_disagreement": result.method_disagreement.to_dict(orient="records"),
    })
    if out is not None:
        from alignlab.report import build_report

        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "comparison.csv", index=False)
        (out / "comparison.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
        options = {"compare.baseline": result.baseline, "compare.candidate": result.candidate,
                   "compare.metrics": metrics, "compare.segments": _split(by), "compare.raters": _split(raters),
                   "compare.clusters": cluster, "compare.n_resamples": n_resamples, "compare.pair_on": pair_on,
                   "compare.ci_method": ci_method, "compare.correction": correction,
                   "compare.confidence_level": confidence_level, "compare.result": result}
        build_report(judgments, out, sections=["data", "compare"], options=options, random_state=seed,
                     call=invocation(), title=f"alignlab compare: {candidate} vs {baseline}",
                     dataset_name=dataset_name, strict=True)
    if json_output:
        emit_json(payload)
        return
    for sentence in result.sentences():
        console.print(sentence, soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", soft_wrap=True)
    shown = table[["metric", "rater", "segment", "difference", "ci_low", "ci_high", "q_value", "mde", "verdict"]]
    changed = shown[shown["verdict"].isin(["regression", "improvement"])]
    console.print(frame_table(changed if len(changed) else shown, title="Detected changes" if len(changed) else
                              "Comparisons"))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if out is not None:
        console.print(f"wrote {out / 'comparison.csv'}, {out / 'comparison.json'} and {out / 'index.html'}")
