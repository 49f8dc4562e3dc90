"""``alignlab raters FILE``: fit an annotator model; write the per-rater table and print the findings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from alignlab._params import DataError, InvalidParameterError
from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, progress, with_judgments
from alignlab.data import Judgments

# CLI model name -> class name in alignlab.annotators (resolved at call time, so models added by other
# modules are picked up without editing this file)
_MODELS = {
    "auto": None,
    "recommended": None,  # binary/categorical: the model alignlab.annotators.compare_models recommends
    "dawid-skene": "DawidSkene",
    "one-coin": "OneCoin",
    "mace": "MACE",
    "glad": "GLAD",
    "ordinal": "OrdinalRaters",
    "continuous": "ContinuousRaters",
    "bradley-terry": "BradleyTerry",
}
_AUTO = {"binary": "DawidSkene", "categorical": "DawidSkene", "ordinal": "OrdinalRaters",
         "continuous": "ContinuousRaters", "pairwise": "BradleyTerry"}
_SHOWN = ["rater_id", "method", "n", "reliability", "reliability_low", "reliability_high", "bias", "spammer_prob",
          "adversarial_prob"]


def _model_class(name: str, judgments: Judgments) -> type:
    from alignlab import annotators

    if name not in _MODELS:
        raise InvalidParameterError(f"Unknown --model {name!r}; choose one of {', '.join(_MODELS)}.")
    class_name = _MODELS[name] or _AUTO[judgments.scale.kind]
    model_class = getattr(annotators, class_name, None)
    if model_class is None:
        raise DataError(f"--model {name} needs alignlab.annotators.{class_name}, which this installation lacks.")
    return model_class


@app.command("raters")
@with_judgments
def raters_command(
    judgments: Judgments,
    model: str = typer.Option("auto", "--model", help=f"One of {', '.join(_MODELS)} (auto: by the scale)."),
    engine: str = typer.Option("em", "--engine", help="em (fast MAP + intervals) or pymc (full posterior)."),
    out: Path | None = typer.Option(None, "--out", help="Write the per-rater table to this .csv or .json file."),
    items_out: Path | None = typer.Option(None, "--items-out", help="Write the per-item table (.csv or .json)."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval coverage."),
    seed: int = typer.Option(0, "--seed", help="Random seed (bootstrap / sampler)."),
    draws: int = typer.Option(1000, "--draws", help="Posterior draws per chain (pymc engine)."),
    use_gold: bool = typer.Option(True, "--use-gold/--no-gold", help="Clamp items with a gold label to it."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Rater reliability and bias with intervals, likely spammers, and per-method/vendor summaries."""
    model_class = _model_class(model, judgments)
    settings: dict = {"engine": engine, "confidence_level": confidence_level, "random_state": seed}
    if model == "recommended" and judgments.scale.kind in ("binary", "categorical"):
        from alignlab.annotators import compare_models

        with progress("comparing annotator models (held-out log-likelihood, 5 item folds)"):
            choice = compare_models(judgments, random_state=seed)
        chosen = choice.fitted[choice.recommended]
        model_class = type(chosen)
        settings = {**{k: v for k, v in chosen.get_params().items() if k not in ("use_gold", "ci_method")}, **settings}
        console.print(f"model: {choice.recommended} ({choice.reason})", markup=False)
    if engine == "pymc":
        settings["sampler"] = {"draws": draws, "tune": draws}
    if "use_gold" in model_class._param_names():
        settings["use_gold"] = use_gold
    for path in (out, items_out):
        if path is not None and path.suffix.lower() not in (".csv", ".json"):
            raise DataError(f"--out/--items-out must end in .csv or .json; got {str(path)!r}.")
    with progress(f"fitting {model_class.__name__} ({engine})"):
        fitted = model_class(**settings).fit(judgments)
    raters = fitted.raters_
    for path, frame in ((out, raters), (items_out, fitted.items_)):
        if path is None:
            continue
        if path.suffix.lower() == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_json(path, orient="records", indent=1)
    # adversarial_prob: the discrete models only (a continuous rater's reliability is never below 0)
    below = raters["adversarial_prob"] >= 0.95 if "adversarial_prob" in raters else pd.Series(False, raters.index)
    adversarial = raters[below].sort_values("reliability")
    flagged = raters[(raters["spammer_prob"] > 0.5) & ~below].sort_values("spammer_prob", ascending=False)
    groups = getattr(fitted, "groups_", None)
    if json_output:
        emit_json(clean_for_json({
            "model": model_class.__name__, "engine": engine, "ci_method": getattr(fitted, "ci_method_", None),
            "confidence_level": confidence_level, "raters": raters.to_dict(orient="records"),
            "groups": None if groups is None else groups.to_dict(orient="records"),
            "likely_spammers": flagged["rater_id"].tolist(), "worse_than_chance": adversarial["rater_id"].tolist(),
            "warnings": list(fitted.warnings_),
        }))
        return
    console.print(f"[bold]{model_class.__name__}[/] ({engine}): {len(judgments):,} judgments, {judgments.n_items:,} "
                  f"items, {judgments.n_raters:,} raters; {confidence_level:.0%} intervals: "
                  f"{getattr(fitted, 'ci_method_', 'n/a')}", markup=True)
    if judgments.scale.kind != "continuous":
        console.print("reliability = Cohen's kappa of the rater's label with the latent truth (0 = chance, "
                      "1 = perfect, below 0 = worse than chance)", markup=False)
    shown = [c for c in _SHOWN if c in raters.columns]
    console.print(frame_table(raters.sort_values("reliability")[shown], title="Least reliable raters", max_rows=15))
    if groups is not None and len(groups) > 1:
        console.print(frame_table(groups, title="By method and vendor"))
    if len(flagged):
        console.print(f"[yellow]likely spammers[/] (spammer_prob > 0.5): "
                      f"{', '.join(map(str, flagged['rater_id'].head(20)))}")
    else:
        console.print("likely spammers: none")
    if len(adversarial):
        console.print(f"[red]worse than chance[/] (P(reliability < 0) >= 0.95): "
                      f"{', '.join(map(str, adversarial['rater_id'].head(20)))}")
    for warning in fitted.warnings_:
        console.print(f"warning: {warning}", markup=False)
    if out is not None:
        console.print(f"per-rater table written to {out}")


@app.command("compare-models")
@with_judgments
def compare_models_command(
    judgments: Judgments,
    cv: int = typer.Option(5, "--cv", help="Item folds of the held-out label log-likelihood."),
    seed: int = typer.Option(0, "--seed", help="Random seed (fold assignment, MACE restarts)."),
    out: Path | None = typer.Option(None, "--out", help="Write the comparison table to this .csv or .json file."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Which annotator model fits these raters: held-out label log-likelihood, accuracy against gold."""
    from alignlab.annotators import compare_models

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise DataError(f"--out must end in .csv or .json; got {str(out)!r}.")
    with progress("comparing annotator models"):
        result = compare_models(judgments, cv=cv, random_state=seed)
    table = result.to_frame()
    if out is not None:
        table.to_csv(out, index=False) if out.suffix.lower() == ".csv" else table.to_json(out, orient="records",
                                                                                          indent=1)
    if json_output:
        emit_json(clean_for_json({"recommended": result.recommended, "reason": result.reason,
                                  "models": table.to_dict(orient="records"), "warnings": list(result.warnings)}))
        return
    shown = [c for c in ("model", "heldout_loglik_per_judgment", "delta_vs_best", "delta_se", "accuracy",
                         "accuracy_low", "accuracy_high", "collapsed", "recommended") if c in table.columns]
    console.print(frame_table(table[shown], title=result.method))
    console.print(f"recommended: {result.recommended} ({result.reason})", markup=False)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False)
