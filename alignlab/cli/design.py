"""Commands ``plan-annotation`` (items x raters x gold from a pilot), ``plan-active`` (which items go to
humans when a judge rated them all) and ``active-estimate`` (the design-unbiased estimate afterwards)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer

from alignlab._params import InvalidParameterError
from alignlab.cli._app import (
    app,
    clean_for_json,
    console,
    emit_json,
    frame_table,
    handle_errors,
    with_judgments,
)
from alignlab.data import Judgments


def _read_table(path: Path) -> pd.DataFrame:
    suffix = "".join(path.suffixes).lower()
    if suffix.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    if suffix.endswith((".jsonl", ".jsonl.gz")):
        return pd.read_json(path, lines=True)
    if suffix.endswith((".tsv", ".tsv.gz")):
        return pd.read_csv(path, sep="\t")
    return pd.read_csv(path)


def _ints(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError as err:
        raise InvalidParameterError(f"--raters-per-item must be comma-separated integers such as 1,2,3,5; got {text!r}.") from err


@app.command("plan-annotation")
@with_judgments
def plan_annotation_command(
    judgments: Judgments,
    budget: float = typer.Option(None, "--budget", help="Money available, in cost units (ceiling)."),
    target: str = typer.Option("pass_rate", "--target", help="pass_rate (majority is positive) or mean."),
    half_width: float = typer.Option(None, "--half-width", help="Wanted half-width of the metric's interval."),
    positive: str = typer.Option(None, "--positive", help="The passing label for pass_rate (default: the last "
                                                          "label of the scale)."),
    agreement: str = typer.Option("krippendorff_alpha", "--agreement", help="krippendorff_alpha or fleiss_kappa."),
    agreement_half_width: float = typer.Option(None, "--agreement-half-width",
                                               help="Wanted half-width of the agreement interval."),
    gold_half_width: float = typer.Option(None, "--gold-half-width",
                                          help="Wanted half-width of each vendor's gold accuracy."),
    cost_judgment: float = typer.Option(1.0, "--cost-judgment", help="Cost of one judgment."),
    vendor_prices: str = typer.Option(None, "--vendor-prices", help="Price per judgment by vendor, e.g. "
                                                                    "'acme=0.12,beta=0.09' (replaces --cost-judgment)."),
    cost_item: float = typer.Option(0.0, "--cost-item", help="Cost per item sent (preparation)."),
    cost_gold: float = typer.Option(0.0, "--cost-gold", help="Cost of creating one gold item."),
    raters_per_item: str = typer.Option("1,2,3,5", "--raters-per-item", help="Options compared."),
    raters: str = typer.Option(None, "--raters", help="Rater pool: comma-separated rater ids or a method."),
    pool: Path = typer.Option(None, "--pool", help="Candidate items (table with item_id, optionally "
                                                   "inclusion_probability/selected from plan-active)."),
    pilot_items: int = typer.Option(None, "--pilot-items", help="Use a random subset of this many items as the "
                                                                "pilot (e.g. of a bundled dataset)."),
    simulations: int = typer.Option(200, "--simulations", help="Simulated data sets per design."),
    assurance: float = typer.Option(None, "--assurance", help="Meet the targets in this share of rater models "
                                                              "drawn around the pilot's fit (e.g. 0.8)."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval coverage."),
    out: Path = typer.Option(None, "--out", help="Directory for plan.json, assignment.csv, plan.csv, tradeoff.csv, "
                                                 "gold.csv and plan.html."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_output: bool = typer.Option(False, "--json", help="Print the plan's spec as JSON."),
) -> None:
    """What to annotate next: items, raters per item and gold from a pilot, with the precision it buys."""
    from alignlab.design import plan_annotation

    if pilot_items is not None:
        if pilot_items < 2:
            raise InvalidParameterError("--pilot-items must be at least 2.")
        rng = np.random.default_rng(seed)
        items = list(judgments.items)
        if pilot_items < len(items):
            chosen = [items[i] for i in np.sort(rng.choice(len(items), size=pilot_items, replace=False))]
            judgments = judgments.subset(items=chosen)
    rater_spec = None
    if raters is not None:
        parts = [s.strip() for s in raters.split(",") if s.strip()]
        rater_spec = parts[0] if len(parts) == 1 else parts
    pool_frame = _read_table(pool) if pool is not None else None
    judgment_cost: float | dict[str, float] = cost_judgment
    if vendor_prices is not None:
        judgment_cost = {}
        for part in (p.strip() for p in vendor_prices.split(",") if p.strip()):
            name, sep, price = part.rpartition("=")
            try:
                judgment_cost[name.strip()] = float(price)
            except ValueError:
                sep = ""
            if not sep or not name.strip():
                raise InvalidParameterError(f"--vendor-prices must look like 'vendor=0.12,other=0.09'; got {part!r}.")
    plan = plan_annotation(
        judgments, budget=budget, target=target, half_width=half_width, positive=positive, agreement=agreement,
        agreement_half_width=agreement_half_width, gold_half_width=gold_half_width,
        cost={"judgment": judgment_cost, "item": cost_item, "gold_item": cost_gold},
        raters_per_item=_ints(raters_per_item), raters=rater_spec, pool=pool_frame, n_simulations=simulations,
        assurance=assurance, confidence_level=confidence_level, random_state=seed)
    files = plan.write(out) if out is not None else {}
    if json_output:
        payload = plan.spec()
        payload["files"] = {k: str(v) for k, v in files.items()}
        emit_json(clean_for_json(payload))
        return
    for line in plan.requirement():
        console.print(line)
    console.print(frame_table(plan.to_frame(), title="Plan"))
    shown = ["raters_per_item", "items_needed", "gold_items", "cost_needed", "metric_half_width_at_400",
             "agreement_half_width_at_400", "deff"]
    if budget is not None:
        shown += ["items_affordable", "metric_half_width_affordable", "agreement_half_width_affordable"]
    console.print(frame_table(plan.tradeoff[shown], title="Items vs raters per item"))
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if files:
        console.print(f"plan written to [bold]{out}[/] (plan.json, assignment.csv, plan.html)")


@app.command("plan-active")
@handle_errors
def plan_active_command(
    predictions: Path = typer.Argument(..., help="One row per item: item_id and the judge's prediction."),
    budget: float = typer.Option(..., "--budget", help="Expected number of human labels."),
    prediction: str = typer.Option("prediction", "--prediction", help="Column with the judge's prediction."),
    uncertainty: str = typer.Option(None, "--uncertainty", help="Column with the judge's expected error "
                                                                "(default sqrt(f(1-f)))."),
    stratum: str = typer.Option(None, "--stratum", help="Column with strata (for --strategy stratified)."),
    strategy: str = typer.Option("active", "--strategy", help="active, stratified or uniform."),
    label: str = typer.Option(None, "--label", help="Column with human labels already collected (pilot); "
                                                    "the judge's error is learnt from them."),
    mix: float = typer.Option(0.1, "--mix", help="Share of uniform sampling mixed in."),
    draw: str = typer.Option("poisson", "--draw", help="poisson (random size) or systematic (exactly --budget)."),
    out: Path = typer.Option(None, "--out", help="Directory for sample.csv and sample.json."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the draw."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Which items go to humans when an LLM judge rated them all (active / stratified PPI sampling)."""
    from alignlab.design import plan_active_sample

    plan = plan_active_sample(_read_table(predictions), budget=budget, prediction=prediction, uncertainty=uncertainty,
                              stratum=stratum, label=label, strategy=strategy, mix=mix, draw=draw, random_state=seed)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        plan.to_csv(out / "sample.csv")
        plan.to_json(out / "sample.json")
    if json_output:
        emit_json(clean_for_json({"strategy": plan.strategy, "budget": plan.budget, "n_items": plan.n_items,
                                  "n_selected": plan.n_selected, "variance_reduction": plan.variance_reduction,
                                  "expected_half_width": plan.expected_half_width,
                                  "uniform_half_width": plan.uniform_half_width,
                                  "out": None if out is None else str(out)}))
        return
    for line in plan.summary().lines:
        console.print(line)
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if out is not None:
        console.print(f"sample written to [bold]{out}[/] (sample.csv with inclusion_probability and selected)")


@app.command("active-estimate")
@handle_errors
def active_estimate_command(
    sample: Path = typer.Argument(..., help="sample.csv from plan-active with a label column added."),
    label: str = typer.Option("label", "--label", help="Column with the human label (empty if not sampled)."),
    prediction: str = typer.Option("prediction", "--prediction", help="Column with the judge's prediction."),
    confidence_level: float = typer.Option(0.95, "--confidence-level", help="Interval coverage."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """The design-unbiased (Horvitz-Thompson PPI) mean of the human labels over all items."""
    from alignlab.design import active_ppi_estimate

    result = active_ppi_estimate(_read_table(sample), label=label, prediction=prediction,
                                 confidence_level=confidence_level)
    if json_output:
        emit_json(clean_for_json(result.to_dict()))
        return
    console.print(str(result))
