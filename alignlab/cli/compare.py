"""``alignlab compare``: did the candidate version regress against the baseline, on what and for whom?

The command name is shared with the method-alignment comparison of :mod:`alignlab.cli.alignment`
(``alignlab compare --a JUDGE --b human``, correlation with intervals): one ``compare`` command with two
modes. ``--baseline``/``--candidate`` compare two systems (this module); ``--a``/``--b`` compare two
methods and are handed, unchanged, to the alignment command's function, so its output stays the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alignlab.cli import alignment as alignment_cli  # registered first: this module's "compare" replaces it
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
    baseline: str = typer.Option(None, "--baseline", help="Version mode: system (value of the system column) in "
                                                          "production."),
    candidate: str = typer.Option(None, "--candidate", help="Version mode: system proposed to replace it."),
    a: str = typer.Option(None, "--a", help="Method mode: method name or rater id assessed (e.g. llm_judge); "
                                            "correlation with --b, as before."),
    b: str = typer.Option("human", "--b", help="Method mode: method name or rater id used as the reference."),
    statistics: str = typer.Option(alignment_cli._STATISTICS, "--statistics",
                                   help="Method mode: comma-separated correlation statistics."),
    levels: str = typer.Option("auto", "--levels", help="Method mode: item, item_grouped, system or auto."),
    group: str = typer.Option(None, "--group", help="Method mode: column of the input shared across systems."),
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
    intervals, q-values, what is underpowered, mix shift, where methods disagree. Or two methods (--a/--b):
    correlation with bootstrap intervals at item and system level."""
    from alignlab.compare import Metric, compare_versions, metrics_from_column

    if a is not None:
        if baseline is not None or candidate is not None:
            raise ValueError("Give --a/--b (compare two methods) or --baseline/--candidate (compare two versions), "
                             "not both.")
        alignment_cli.compare_command.__wrapped__(
            judgments, a=a, b=b, statistics=statistics, levels=levels, group=group, n_resamples=n_resamples,
            confidence_level=confidence_level, seed=seed, json_output=json_output)
        return
    if baseline is None or candidate is None:
        raise ValueError("Give --baseline V1 --candidate V2 (compare two versions) or --a METHOD [--b human] "
                         "(compare two methods).")

    kind = "pass_rate" if pass_threshold is not None else "mean"
    if judgments.scale.kind == "pairwise":
        kind = "win_rate"
    if metric_column is not None:
        metrics = metrics_from_column(judgments, metric_column, kind=kind, threshold=pass_threshold,
                                      higher_is_better=not lower_is_better, min_change=min_change)
    else:
        name = {"pass_rate": "pass rate", "win_rate": "win rate"}.get(kind, "score")
        if kind == "pass_rate" or judgments.scale.kind != "binary":
            metrics = [Metric(name, kind=kind, threshold=pass_threshold, higher_is_better=not lower_is_better,
                              min_change=min_change)]
        else:
            metrics = [Metric("pass rate", kind="pass_rate", higher_is_better=not lower_is_better,
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
