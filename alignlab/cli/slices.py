"""``alignlab slices``: where two evaluation methods diverge, with false discoveries controlled."""

from __future__ import annotations

import typer

from alignlab._params import DataError
from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, with_judgments
from alignlab.data import Judgments


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


@app.command("slices")
@with_judgments
def slices_command(
    judgments: Judgments,
    a: str = typer.Option(None, "--raters", "--a", help="Method or rater id to explain (default: llm_judge, else the "
                                            "second most common method, else each rater)."),
    b: str = typer.Option(None, "--reference", "--b", help="Reference method, rater id or 'gold' (default: human / the most "
                                            "common method / the other raters)."),
    kind: str = typer.Option(None, "--kind", help="signed (a − b), absolute or disagree."),
    level: str = typer.Option(None, "--level", help="item (default) or judgment (one row per judgment of a)."),
    search: str = typer.Option(None, "--search", help="Comma-separated columns to slice on (default: system, "
                                                      "the segment columns, and rater_id/vendor at judgment "
                                                      "level); --segments chooses the table's segments at load."),
    depth: int = typer.Option(3, "--depth", help="Largest number of conditions in a slice."),
    fdr: float = typer.Option(0.05, "--fdr", help="False discovery rate (or FWER with --correction holm)."),
    correction: str = typer.Option("bh", "--correction", help="bh, by or holm."),
    min_support: int = typer.Option(30, "--min-support", help="Smallest slice (rows)."),
    top_k: int = typer.Option(10, "--top-k", help="Most slices reported."),
    split: bool = typer.Option(False, "--split", help="Search on one half, estimate on the other."),
    higher_is_better: str = typer.Option(None, "--higher-is-better",
                                         help="yes or no: orientation of the scale, for 'too lenient/harsh' "
                                              "wording (default: neutral wording)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (permutations, split, majority ties)."),
    json_output: bool = typer.Option(False, "--json", help="Print the slices as JSON."),
) -> None:
    """Find the segments where method A diverges from method B (BH-controlled, non-redundant, explained)."""
    from alignlab.slices import divergence, find_slices, suggest_pair

    pair = suggest_pair(judgments) or {}
    if a is not None or b is not None:
        if a is None or b is None:
            raise DataError("Give both --raters and --reference (or neither, to use the default pair).")
        pair = {"raters": a, "reference": b, "level": "item", "kind": pair.get("kind", "signed")}
    if not pair:
        raise DataError("Cannot choose a pair of methods to compare; pass --raters METHOD --reference METHOD.")
    if kind is not None:
        pair["kind"] = kind
    if level is not None:
        pair["level"] = level
    orientation = None
    if higher_is_better is not None:
        if higher_is_better.lower() not in ("yes", "no", "true", "false"):
            raise DataError("--higher-is-better takes yes or no.")
        orientation = higher_is_better.lower() in ("yes", "true")
    pair["higher_is_better"] = orientation
    target = divergence(judgments, random_state=seed, **pair)
    result = find_slices(target, segments=_split(search), depth=depth, fdr=fdr, correction=correction,
                         min_support=min_support, top_k=top_k, split=split, random_state=seed)
    meta = target.attrs["alignlab.slices"]
    if json_output:
        emit_json(clean_for_json({
            "a": meta["a_label"], "b": meta["b_label"], "kind": meta["kind"], "unit": meta["unit"],
            "target": result.target, "segments": list(result.segments), "n_rows": result.n_rows,
            "n_tested": result.n_tested, "n_significant": result.n_significant, "correction": result.correction,
            "fdr": result.fdr, "ci_method": result.ci_method, "overall_mean": result.overall_mean,
            "slices": result.slices.assign(segments=result.slices["segments"].map(list)).to_dict(orient="records"),
            "notes": list(result.notes), "warnings": list(result.warnings),
        }))
        return
    console.print(f"[bold]{meta['a_label']} vs {meta['b_label']}[/] ({meta['kind']}, per {meta['unit']}): "
                  f"{result.n_tested:,} slices tested, {result.n_significant:,} significant at "
                  f"{result.correction.upper()} {result.fdr:g}, {len(result.slices)} reported.")
    if result.slices.empty:
        console.print("No slice differs from the rest after the correction.")
        return
    shown = result.slices[["predicate", "size", "effect", "ci_low", "ci_high", "q_value", "share_of_divergence"]]
    console.print(frame_table(shown.rename(columns={"share_of_divergence": "share"}), title="Slices"))
    for i, sentence in enumerate(result.slices["sentence"], start=1):
        console.print(f"{i}. {sentence}", soft_wrap=True)
    console.print(f"intervals: {result.ci_method}")
