"""Annotator defaults on every public gold set: alignlab's default and recommended model vs crowd-kit's best.

Run: ``.venv/bin/python -m benchmarks.annotators_defaults``. Writes ``benchmarks/results/annotators_defaults.md``.

Every set of ``benchmarks.annotators.SETS`` (Snow 2008 RTE/TEMP/WSD, bluebird, Zheng 2017 Product/Dog/Face,
medical safety queries/responses, DICES-350). All models are fitted without the gold labels. Columns:

- alignlab **default** = ``DawidSkene()`` (prior chosen by held-out log-likelihood), **old default** =
  ``DawidSkene(prior="fixed")`` (pooling_strength 2, prior_correct 2, prior_error 0.5), **recommended** =
  ``compare_models(judgments).recommended`` (gold in the table, so gold can override the held-out
  likelihood; the report fits it), **recommended, no gold** = the same on the table without its gold column,
  **workflow model** = what the workflows fit on that table (``choose_joint_model``), every model compare_models
  tries;
- crowd-kit 1.4.2 with its defaults: DawidSkene, OneCoinDawidSkene, GLAD, MACE, MMSR, Wawa, ZeroBasedSkill;
- majority vote (expected accuracy over random tie-breaks).

Paired intervals: accuracy difference on the same gold items, 95% percentile item bootstrap (2,000 resamples,
seed 0, the engine of ``alignlab._array.bootstrap``).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._common import write_section
from benchmarks.annotators import CACHE, SETS, _slug, load_set, paired_gap


def mv_correct(judgments) -> np.ndarray:
    """Per gold item: expected correctness of majority vote with random tie-breaks (1/c for a c-way tie)."""
    counts = judgments.counts()
    gold = judgments.scale.encode(judgments.item_info["gold"])
    has = gold >= 0
    top = counts == counts.max(axis=1, keepdims=True)
    return (top[np.arange(len(gold)), np.maximum(gold, 0)] / top.sum(axis=1))[has]


def correct_of(model, judgments) -> np.ndarray:
    gold = judgments.item_info.set_index("item_id")["gold"]
    has = gold.notna().to_numpy()
    return (model.predict()[has].to_numpy() == gold[has].to_numpy()).astype(float)


def crowdkit_correct(judgments) -> dict[str, np.ndarray]:
    from crowdkit.aggregation import GLAD, MACE, MMSR, DawidSkene, OneCoinDawidSkene, Wawa, ZeroBasedSkill

    frame = judgments.to_crowdkit()
    gold = judgments.item_info.set_index("item_id")["gold"].dropna()
    out = {}
    for name, agg in (("DawidSkene", DawidSkene(n_iter=100)), ("OneCoinDawidSkene", OneCoinDawidSkene(n_iter=100)),
                      ("GLAD", GLAD()), ("MACE", MACE(random_state=0)), ("MMSR", MMSR(random_state=0)),
                      ("Wawa", Wawa()), ("ZeroBasedSkill", ZeroBasedSkill())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                labels = agg.fit_predict(frame)
                out[name] = (labels.reindex(gold.index) == gold).to_numpy().astype(float)
            except Exception as exc:  # noqa: BLE001 - a crashing reference is reported, not fatal
                print(f"crowd-kit {name} failed on this set: {exc}", file=sys.stderr)
    return out


def set_row(name: str) -> dict:
    from alignlab.annotators import DawidSkene, compare_models
    from alignlab.annotators.compare import _without_gold
    from alignlab.data import load_judgments
    from alignlab.workflows._compose import choose_joint_model

    j = load_set(name)
    t0 = time.perf_counter()
    comparison = compare_models(j, random_state=0)
    compare_seconds = time.perf_counter() - t0
    plain = _without_gold(j)  # what a user without gold gets: the choice sees no gold at all
    nogold = compare_models(plain, random_state=0)
    t0 = time.process_time()
    _, workflow_model, workflow_reason = choose_joint_model(plain, random_state=0)
    workflow_seconds = time.process_time() - t0
    correct = {f"alignlab {m}": correct_of(model, j) for m, model in comparison.fitted.items()}
    correct["alignlab DawidSkene (old default)"] = correct_of(
        DawidSkene(prior="fixed", use_gold=False, ci_method="none").fit(j), j)
    correct.update({f"crowd-kit {m}": c for m, c in crowdkit_correct(j).items()})
    mv = mv_correct(j)
    default = correct["alignlab DawidSkene"]
    recommended = correct[f"alignlab {comparison.recommended}"]
    recommended_nogold = correct[f"alignlab {nogold.recommended}"]
    # cross-fitted: the gold items split in two halves; each half scored by the model compare_models recommends
    # with only the other half's gold in the table (the choice never sees the gold it is scored on)
    gold_items = np.asarray(j.item_info.loc[j.item_info["gold"].notna(), "item_id"])
    half = np.random.default_rng(0).permutation(len(gold_items)) % 2
    crossfit = np.zeros(len(gold_items))
    crossfit_models = []
    for h in (0, 1):
        frame = j.frame.drop(columns=[c for c in ("source_row",) if c in j.frame.columns]).copy()
        frame.loc[frame["item_id"].isin(set(gold_items[half == h])), "gold"] = np.nan
        chosen = compare_models(load_judgments(frame, scale=j.scale, segments=[]), random_state=0).recommended
        crossfit[half == h] = correct[f"alignlab {chosen}"][half == h]
        crossfit_models.append(chosen)
    workflow = correct[f"alignlab {workflow_model}"]
    accuracy = {k: float(v.mean()) for k, v in correct.items()}
    ours = max((k for k in accuracy if k.startswith("alignlab")), key=accuracy.get)
    theirs = max((k for k in accuracy if k.startswith("crowd-kit")), key=accuracy.get)
    best = max(accuracy, key=accuracy.get)
    row = {"dataset": name, "judgments": len(j), "items": j.n_items, "raters": j.n_raters, "gold": len(mv),
           "MV": float(mv.mean()), **accuracy, "recommended": comparison.recommended,
           "recommended_reason": comparison.reason, "recommended_nogold": nogold.recommended,
           "recommended_nogold_reason": nogold.reason, "nogold_warnings": list(nogold.warnings),
           "crossfit_models": crossfit_models, "crossfit_accuracy": float(crossfit.mean()),
           "workflow_model": workflow_model, "workflow_reason": workflow_reason, "workflow_seconds": workflow_seconds,
           "alignlab_best": ours, "crowdkit_best": theirs, "best": best,
           "compare_seconds": compare_seconds}
    for label, ours_c, ref in (("default_vs_best", default, correct[best]),
                               ("recommended_vs_best", recommended, correct[best]),
                               ("default_vs_crowdkit", default, correct[theirs]),
                               ("recommended_vs_crowdkit", recommended, correct[theirs]),
                               ("default_vs_mv", default, mv), ("recommended_vs_mv", recommended, mv),
                               ("nogold_vs_best", recommended_nogold, correct[best]),
                               ("nogold_vs_mv", recommended_nogold, mv),
                               ("workflow_vs_best", workflow, correct[best]), ("workflow_vs_mv", workflow, mv),
                               ("crossfit_vs_best", crossfit, correct[best]), ("crossfit_vs_mv", crossfit, mv)):
        gap = paired_gap(ours_c, ref)
        row.update({f"{label}_{k}": v for k, v in gap.items()})
    CACHE.mkdir(exist_ok=True)
    (CACHE / f".annotators_defaults_{_slug(name)}.json").write_text(json.dumps(row))
    print(name, "done", file=sys.stderr)
    return row


def _gap(row: dict, label: str) -> str:
    if row[label + "_only_ours"] == 0 and row[label + "_only_theirs"] == 0:
        return "0 (the same items right)"
    return f"{row[label + '_gap']:+.4f} ({row[label + '_gap_low']:+.4f}, {row[label + '_gap_high']:+.4f})"


def _within(row: dict, label: str) -> bool:
    """Within the paired interval of the reference: no worse, or the interval's upper end reaches 0."""
    return bool(row[label + "_gap"] >= 0 or row[label + "_gap_high"] >= 0)


def markdown(rows: list[dict]) -> str:
    lines = ["## Annotator defaults on every public gold set", "",
             "Accuracy of the consensus against expert gold, every model fitted without gold. *default* = "
             "`DawidSkene()` (prior chosen by held-out label log-likelihood), *old default* = "
             "`DawidSkene(prior=\"fixed\")`, *recommended* = `compare_models(judgments).recommended` (what the "
             "report fits). crowd-kit 1.4.2 defaults (DawidSkene, OneCoinDawidSkene, GLAD, MACE, MMSR, Wawa, "
             "ZeroBasedSkill). Differences are paired on the same gold items with 95% item-bootstrap intervals "
             "(percentile, 2,000 resamples). *best* = the most accurate column of either library.", ""]
    head = ["set", "gold items", "MV", "old default", "default", "recommended", "alignlab best", "crowd-kit best",
            "default − best (95% CI)", "recommended − best", "default − crowd-kit best", "default − MV",
            "recommended − MV"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        rec = f"alignlab {r['recommended']}"
        cells = [r["dataset"], str(r["gold"]), f"{r['MV']:.4f}", f"{r['alignlab DawidSkene (old default)']:.4f}",
                 f"{r['alignlab DawidSkene']:.4f}", f"{r[rec]:.4f} ({r['recommended']})",
                 f"{r[r['alignlab_best']]:.4f} ({r['alignlab_best'][9:]})",
                 f"{r[r['crowdkit_best']]:.4f} ({r['crowdkit_best'][10:]})",
                 _gap(r, "default_vs_best"), _gap(r, "recommended_vs_best"), _gap(r, "default_vs_crowdkit"),
                 _gap(r, "default_vs_mv"), _gap(r, "recommended_vs_mv")]
        lines.append("| " + " | ".join(cells) + " |")
    within_d = sum(_within(r, "default_vs_best") for r in rows)
    within_r = sum(_within(r, "recommended_vs_best") for r in rows)
    above_d = sum(r["default_vs_mv_gap"] >= 0 for r in rows)
    above_r = sum(r["recommended_vs_mv_gap"] >= 0 for r in rows)
    lines += ["", f"Within the paired interval of the best model (upper bound ≥ 0): default on {within_d} of "
              f"{len(rows)} sets, recommended on {within_r} of {len(rows)}. At or above majority vote: default on "
              f"{above_d} of {len(rows)}, recommended on {above_r} of {len(rows)}.", "",
              "crowd-kit's Wawa and ZeroBasedSkill raise an error with the installed scikit-learn "
              "(`'Wawa' object has no attribute '__sklearn_tags__'`) on every set and are left out; MMSR fails on "
              "Zheng Product (NaN)."]
    lines += ["", "Without gold in the table (the choice sees no gold; accuracy on the same gold items): "
              "*recommended, no gold* = `compare_models(judgments_without_gold).recommended` (5 item folds); "
              "*workflow model* = what `validate_judge`, `audit_vendors` and `trust_weights` fit on that table "
              "(`alignlab.workflows._compose.choose_joint_model`: compare_models with 3 item folds up to 20,000 "
              "judgments, the default DawidSkene above).", ""]
    head2 = ["set", "judgments", "MV", "default", "recommended, no gold", "− best (95% CI)", "− MV",
             "workflow model", "− best", "− MV", "choice CPU s"]
    lines += ["| " + " | ".join(head2) + " |", "|" + "---|" * len(head2)]
    for r in rows:
        cells = [r["dataset"], f"{r['judgments']:,}", f"{r['MV']:.4f}", f"{r['alignlab DawidSkene']:.4f}",
                 f"{r['alignlab ' + r['recommended_nogold']]:.4f} ({r['recommended_nogold']})",
                 _gap(r, "nogold_vs_best"), _gap(r, "nogold_vs_mv"),
                 f"{r['alignlab ' + r['workflow_model']]:.4f} ({r['workflow_model']})",
                 _gap(r, "workflow_vs_best"), _gap(r, "workflow_vs_mv"), f"{r['workflow_seconds']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    within_n = sum(_within(r, "nogold_vs_best") for r in rows)
    within_w = sum(_within(r, "workflow_vs_best") for r in rows)
    above_n = sum(r["nogold_vs_mv_gap"] >= 0 for r in rows)
    above_w = sum(r["workflow_vs_mv_gap"] >= 0 for r in rows)
    lines += ["", f"Without gold: recommended within the paired interval of the best on {within_n} of {len(rows)} sets, "
              f"at or above majority vote on {above_n} of {len(rows)}; workflow model within on {within_w}, at or "
              f"above majority vote on {above_w}.", ""]
    if all("crossfit_models" in r for r in rows):
        lines += ["*Recommended with gold, cross-fitted*: the gold items are split in two random halves; each half is "
                  "scored by the model `compare_models` recommends with only the other half's gold in the table, so "
                  "the choice never sees the gold it is scored on (the *recommended* column above is in-sample).", "",
                  "| set | MV | recommended, cross-fitted (models chosen per half) | − best (95% CI) | − MV |",
                  "|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['dataset']} | {r['MV']:.4f} | {r['crossfit_accuracy']:.4f} "
                         f"({' / '.join(r['crossfit_models'])}) | {_gap(r, 'crossfit_vs_best')} | "
                         f"{_gap(r, 'crossfit_vs_mv')} |")
        within_c = sum(_within(r, "crossfit_vs_best") for r in rows)
        above_c = sum(r["crossfit_vs_mv_gap"] >= 0 for r in rows)
        lines += ["", f"Cross-fitted: within the paired interval of the best on {within_c} of {len(rows)} sets, at or "
                  f"above majority vote on {above_c} of {len(rows)}.", ""]
    lines += ["Full accuracy table (every column):", ""]
    cols = [c for c in rows[0] if c.startswith(("alignlab ", "crowd-kit "))]
    table = pd.DataFrame([{"set": r["dataset"], "MV": r["MV"], **{c: r.get(c, np.nan) for c in cols}} for r in rows])
    lines.append(table.set_index("set").T.round(4).to_markdown())
    lines += ["", "Why the recommendation (gold in the table):", ""] + [
        f"- {r['dataset']}: {r['recommended']} — {r['recommended_reason']}" for r in rows]
    lines += ["", "Why the recommendation without gold:", ""] + [
        f"- {r['dataset']}: {r['recommended_nogold']} — {r['recommended_nogold_reason']}"
        + (" " + " ".join(r["nogold_warnings"]) if r["nogold_warnings"] else "") for r in rows]
    lines += ["", "compare_models time per set (5 item folds x 5 models, plus the prior selection of the default): "
              + ", ".join(f"{r['dataset']} {r['compare_seconds']:.1f} s" for r in rows) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=None, help="comma-separated set numbers (0-based) to (re)run, then stop")
    parser.add_argument("--assemble", action="store_true", help="write the results from the cached rows")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.sets is not None:
        for i in args.sets.split(","):
            set_row(list(SETS)[int(i)])
        return
    if args.assemble:
        rows = [json.loads((CACHE / f".annotators_defaults_{_slug(n)}.json").read_text()) for n in SETS
                if (CACHE / f".annotators_defaults_{_slug(n)}.json").exists()]
        text = markdown(rows)
    else:
        rows = [set_row(name) for name in SETS]
        text = markdown(rows) + f"\n\nTotal benchmark time {time.perf_counter() - start:.0f} s."
    path = write_section("annotators_defaults", text, "python -m benchmarks.annotators_defaults")
    print(path)
    print(text)


if __name__ == "__main__":
    main()
