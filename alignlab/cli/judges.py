"""``alignlab compare-judges``: judge configurations (model x prompt strategy) against gold, paired tests."""

from __future__ import annotations

import typer

from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, with_judgments
from alignlab.data import Judgments


@app.command("compare-judges")
@with_judgments
def compare_judges_command(
    judgments: Judgments,
    raters: str = typer.Option("llm_judge", "--raters", "--judges",
                               help="Method name or comma-separated rater ids of the judge configurations."),
    reference: str | None = typer.Option(None, "--reference",
                                         help="'gold', a method name or comma-separated rater ids (default: gold "
                                              "when the table has it, else the human majority)."),
    by: str = typer.Option("strategy", "--by", help="strategy (strategies within a model and models within a "
                                                    "strategy), judge_model, or all (every pair)."),
    abstentions: str = typer.Option("wrong", "--abstentions", help="wrong (published convention) or exclude."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples (kappa, order-averaged)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Rank judge configurations by accuracy against gold, with paired McNemar tests (BH) and intervals."""
    from alignlab.alignment.judges import compare_judge_configs

    def spec(text: str | None) -> str | list[str] | None:
        return text if text is None or "," not in text else [t.strip() for t in text.split(",") if t.strip()]

    result = compare_judge_configs(judgments, raters=spec(raters) or "llm_judge", reference=spec(reference),
                                   by=by, abstentions=abstentions, n_resamples=n_resamples,  # type: ignore[arg-type]
                                   random_state=seed)
    if json_output:
        per_judge = result.accuracy.table if result.accuracy is not None else None
        emit_json(clean_for_json({
            "reference": result.reference,
            "configurations": result.table.astype(object).where(result.table.notna(), None).to_dict(orient="records"),
            "pairs": result.pairs.astype(object).where(result.pairs.notna(), None).to_dict(orient="records"),
            "accuracy": None if per_judge is None else
            per_judge.astype(object).where(per_judge.notna(), None).to_dict(orient="records"),
            "harmful": list(result.accuracy.harmful) if result.accuracy is not None else [],
        }))
        return
    console.print(frame_table(result.table, title=f"Judge configurations against {result.reference}"))
    console.print(frame_table(result.pairs.drop(columns=["test"]), title="Paired comparisons (BH q-values)"))
    for line in result.summary().lines:
        console.print(line)
