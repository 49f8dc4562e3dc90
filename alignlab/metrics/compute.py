"""compute(spec, judgments): every feature's metrics for one evaluation run, each with a trust grade.

Each metric row is computed by the module that owns the method, on the same per-item values:

- ``combine="human"`` / ``"judge"``: the (weighted) mean of the per-item values of the sources
  (``alignlab.alignment``'s per-item scores: the mean over the sources' judgments of each item), with a
  Wilson interval for 0/1 outcomes (statsmodels), the normal linearisation interval otherwise, or the
  item bootstrap of :mod:`alignlab._array.bootstrap` (``ci_method="percentile"/"bca"/"basic"``);
  with a ``population``, :func:`alignlab.sampling.reweighted_metric`.
- ``combine="ppi"``: :func:`alignlab.alignment.ppi_arrays` (PPI++, the function behind
  :func:`~alignlab.alignment.ppi_estimate`) with the judge on every item and the humans on the labelled
  ones; a ``population`` enters as sampling weights from :func:`alignlab.sampling.reweight`.
- ``combine="trust_weighted"``: :func:`alignlab.workflows.trust_weights` (its PPI-corrected estimate
  and source weights).

Trust grades (one per metric, applied to its segment rows):

- **A**: humans only, or a judge that :func:`alignlab.workflows.validate_judge` says can *replace* them;
- **B**: judge(s) corrected with prediction-powered inference against human labels (``ppi``,
  ``trust_weighted``);
- **C**: a judge or online signal used alone that was not validated as ``replace`` (verdict ``assist`` or
  ``do_not_use``, or no human labels to validate it against).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    InvalidParameterError,
    check_random_state,
    ci_method_constraint,
    validate_params,
)
from alignlab._progress import report
from alignlab.alignment._data import item_weights, numeric_values
from alignlab.alignment.ppi import ppi_arrays
from alignlab.data import Judgments
from alignlab.metrics.spec import Feature, Metric, Spec, SpecError, SpecProblem, check_against_data
from alignlab.metrics.status import target_status
from alignlab.results import Summary, TableResult, format_estimate

__all__ = ["Run", "RunInfo", "MetricsResult", "compute", "metrics_summary", "METRIC_COLUMNS", "GRADES"]

GRADES = {
    "A": "humans, or a judge validated as 'replace' by validate_judge",
    "B": "judge corrected with prediction-powered inference (PPI) against human labels",
    "C": "judge or online signal not validated to replace the humans",
}

#: the columns of ``MetricsResult.to_frame()`` (and of the store's ``metric_rows`` table), in order
METRIC_COLUMNS = (
    "run_id", "feature", "metric", "role", "segment", "segment_column", "segment_level", "statistic",
    "combine", "estimate", "ci_low", "ci_high", "standard_error", "confidence_level", "n", "effective_n",
    "sources", "weights", "grade", "grade_reason", "target", "target_status", "min_change", "higher_is_better",
    "method", "ci_method", "warnings",
)
OVERALL = "all"


@dataclass(frozen=True)
class Run:
    """What identifies an evaluation run (the rest - hashes, version, time - is recorded by compute).

    Attributes
    ----------
    label : str
        The release or run name shown on the dashboard (e.g. ``"2025.4"``).
    system : str, optional
        The system / model version evaluated.
    date : str, optional
        ISO date of the run (default: today, UTC); the dashboard orders runs by it.
    notes : str
    """

    label: str
    system: str | None = None
    date: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class RunInfo:
    """The provenance of one computed run (the store's ``runs`` row)."""

    run_id: str
    label: str
    system: str | None
    date: str
    created_at: str
    spec_hash: str
    spec_name: str
    alignlab_version: str
    seed: int
    features: tuple[str, ...]
    data: tuple[tuple[str, str, int, int, int], ...]  # (key, data_hash, n_judgments, n_items, n_raters)
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "label": self.label, "system": self.system, "date": self.date,
                "created_at": self.created_at, "spec_hash": self.spec_hash, "spec_name": self.spec_name,
                "alignlab_version": self.alignlab_version, "seed": self.seed, "features": list(self.features),
                "data": [dict(zip(("key", "data_hash", "n_judgments", "n_items", "n_raters"), d, strict=True))
                         for d in self.data], "notes": self.notes}


@dataclass(frozen=True, kw_only=True)
class MetricsResult(TableResult):
    """Every feature's metrics for one run: ``to_frame()`` has a row per (feature, metric, segment).

    Columns (:data:`METRIC_COLUMNS`): ``run_id, feature, metric, role`` (north_star, diagnostic,
    guardrail), ``segment`` (``"all"`` or ``"column=level"``), ``segment_column, segment_level, statistic,
    combine, estimate, ci_low, ci_high, standard_error, confidence_level, n`` (items), ``effective_n``
    (human-label equivalent for PPI, Kish's n/deff with weights), ``sources`` (what entered),
    ``weights`` (how they were combined), ``grade`` (A/B/C) and ``grade_reason``, ``target``,
    ``target_status``, ``min_change``, ``higher_is_better``, ``method``, ``ci_method``, ``warnings``.

    Attributes
    ----------
    run : RunInfo
    spec : Spec
    validations : dict
        ``validate_judge`` verdicts used for the grades, by judge id.
    """

    run: RunInfo
    spec: Spec = field(repr=False)
    validations: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def north_stars(self) -> pd.DataFrame:
        """The overall north-star row of each feature."""
        t = self.table
        return t[(t["role"] == "north_star") & (t["segment"] == OVERALL)].reset_index(drop=True)

    def summary(self) -> Summary:
        """The decision-ready paragraph of each feature, then the overall rows."""
        overall = self.table[self.table["segment"] == OVERALL]
        cols = ["feature", "metric", "role", "estimate", "ci_low", "ci_high", "n", "grade", "target_status"]
        return Summary(
            f"Metrics of run {self.run.label} ({self.run.date})",
            lines=tuple(metrics_summary(self).split("\n")),
            tables=(("Overall metrics", overall[cols].reset_index(drop=True)),),
            warnings=self.warnings,
        )

    def __str__(self) -> str:
        return self.summary().as_text()


# -- per-item values --------------------------------------------------------------------------------------
def _group_values(j: Judgments, ids: Sequence[Any], m: Metric, flip: np.ndarray | None) -> np.ndarray:
    """Per-item value of one source group (NaN where the group did not judge the item), items order."""
    mask = j.frame["rater_id"].isin(list(ids)).to_numpy()
    codes = j.item_codes[mask]
    count = np.bincount(codes, minlength=j.n_items)
    if m.statistic == "label_rate":
        index = [str(v) for v in j.scale.labels].index(str(m.label))
        x = (j.label_codes[mask] == index).astype(float)
    else:
        x = numeric_values(j)[mask]
    total = np.bincount(codes, weights=x, minlength=j.n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if m.statistic == "win_rate" and flip is not None:
        out = np.where(flip, 1.0 - out, out)
    if m.statistic == "pass_rate":
        cut = m.threshold if m.threshold is not None else float(j.scale.numeric_levels()[1])
        passed = (out >= cut) if m.pass_if == ">=" else (out <= cut)
        out = np.where(np.isnan(out), np.nan, passed.astype(float))
    return out


def _resolve(j: Judgments, names: Sequence[str], argument: str) -> list[Any]:
    """Rater ids named by ``names`` (ids or methods, compared as text); names found only among the online
    aggregates are left to trust_weights."""
    by_text = {str(r): r for r in j.raters}
    methods = set(map(str, j.rater_info["method"]))
    wanted = [n if n in methods else by_text[n] for n in names if n in methods or n in by_text]
    return j.resolve_raters(wanted, argument=argument) if wanted else []


def _scope(j: Judgments, m: Metric) -> tuple[Judgments, np.ndarray | None, list[str]]:
    """The items the metric is about (``where``, the ``baseline`` comparisons) and the win-rate flips."""
    notes: list[str] = []
    info = j.item_info
    keep = np.ones(len(info), dtype=bool)
    for column, value in m.where.items():
        wanted = [str(v) for v in (value if isinstance(value, list) else [value])]
        keep &= info[column].astype(str).isin(wanted).to_numpy()
    if m.statistic == "win_rate" and m.baseline is not None:
        a, b = info["system_a"].astype(str).to_numpy(), info["system_b"].astype(str).to_numpy()
        involved = (a == m.baseline) | (b == m.baseline)
        if (keep & ~involved).any():
            notes.append(f"{int((keep & ~involved).sum())} items compare systems other than the baseline "
                         f"{m.baseline!r} and are not part of this win rate")
        keep &= involved
    if not keep.any():
        raise SpecError([SpecProblem("where", dict(m.where), f"metric {m.name!r} selects no item of the data",
                                     "check the where/baseline values against the data")])
    sub = j if keep.all() else j.subset(items=list(info.loc[keep, "item_id"]))
    flip = None
    if m.statistic == "win_rate" and m.baseline is not None:
        flip = sub.item_info["system_a"].astype(str).to_numpy() == m.baseline
    return sub, flip, notes


# -- intervals ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _mean_row(v: np.ndarray, w: np.ndarray | None, *, level: float, ci_method: str, n_resamples: int,
              seed: int) -> dict[str, Any]:
    """Mean of per-item values with its interval (weighted: the linearised ratio-mean variance)."""
    n = v.size
    if n == 0:
        return _empty("no item has a value from these sources")
    binary = bool(np.isin(v, (0.0, 1.0)).all())
    if w is None:
        est = float(v.mean())
        eff = float(n)
    else:
        est = float(np.sum(w * v) / np.sum(w))
        eff = float(np.sum(w) ** 2 / np.sum(w**2))
    if n < 2:
        return {**_empty("one item only: no interval"), "estimate": est, "n": n, "effective_n": eff}
    if ci_method in ("percentile", "bca", "basic"):
        ww = np.ones(n) if w is None else w

        def statistic(b: np.ndarray) -> np.ndarray:
            bw = b * ww
            return (bw @ v) / bw.sum(axis=1)

        boot = bootstrap(statistic, n, estimate=est, n_resamples=n_resamples, confidence_level=level,
                         method=ci_method, random_state=seed)
        return {"estimate": est, "ci_low": boot.low, "ci_high": boot.high, "standard_error": boot.standard_error,
                "n": n, "effective_n": eff, "ci_method": boot.ci_method}
    if w is None and binary and ci_method in ("auto", "wilson"):
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(int(v.sum()), n, alpha=1 - level, method="wilson")
        return {"estimate": est, "ci_low": float(low), "ci_high": float(high),
                "standard_error": math.sqrt(est * (1 - est) / n), "n": n, "effective_n": eff,
                "ci_method": "wilson (statsmodels proportion_confint)"}
    ww = np.ones(n) if w is None else w
    se = float(math.sqrt(np.sum((ww * (v - est)) ** 2) * n / (n - 1)) / np.sum(ww))
    z = _z(level)
    label = "normal(sample mean, SD/sqrt(n))" if w is None else "normal(linearised weighted mean)"
    return {"estimate": est, "ci_low": est - z * se, "ci_high": est + z * se, "standard_error": se, "n": n,
            "effective_n": eff, "ci_method": label}


def _empty(reason: str) -> dict[str, Any]:
    return {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan, "standard_error": math.nan, "n": 0,
            "effective_n": math.nan, "ci_method": "none", "warnings": [f"not computable: {reason}"]}


# -- the run --------------------------------------------------------------------------------------------
@dataclass
class _Context:
    level: float
    ci_method: str
    n_resamples: int
    seed: int
    production: Mapping[str, Any]
    spec_dir: Path | None
    validations: dict[tuple[str, str, tuple[str, ...]], Any] = field(default_factory=dict)
    given_validations: Mapping[str, Any] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    scopes: dict[tuple[Any, ...], tuple[Judgments, np.ndarray | None, list[str]]] = field(default_factory=dict)
    resolved: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    masks: dict[tuple[Any, ...], list[tuple[str, str | None, str | None, np.ndarray]]] = field(default_factory=dict)


def _production_table(ctx: _Context, name: str) -> pd.DataFrame:
    if name in ctx.production:
        value = ctx.production[name]
        return value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
    from alignlab.sampling._inputs import read_table

    path = Path(name)
    if not path.is_absolute() and ctx.spec_dir is not None:
        path = ctx.spec_dir / path
    return read_table(path, "production")


def _production_for(ctx: _Context, m: Metric, segment: tuple[str, str] | None) -> pd.DataFrame:
    """The production table of the metric; for a segment row, its traffic in that segment level (when the
    production table has the segment column), so the segment is weighted to its own production mix."""
    assert m.population is not None
    prod = _production_table(ctx, m.population.production)
    if segment is not None and segment[0] in prod.columns:
        prod = prod[prod[segment[0]].astype(str) == segment[1]]
        if prod.empty:
            raise DataError(f"the production table has no traffic with {segment[0]} = {segment[1]}")
    return prod


def _population_weights(ctx: _Context, m: Metric, table: pd.DataFrame,
                        segment: tuple[str, str] | None = None) -> tuple[np.ndarray, str, float]:
    """Per-item production weights (``alignlab.sampling.reweight``) for the rows of ``table``."""
    from alignlab.sampling import reweight

    assert m.population is not None
    prod = _production_for(ctx, m, segment)
    result = reweight(table, prod, segments=list(m.population.segments), method=m.population.method,
                      production_weights=m.population.weights)
    return result.weights, f"reweight[{m.population.method}] to {m.population.production}", result.deff


def _validation(ctx: _Context, j: Judgments, judge: Any, humans: list[Any]) -> tuple[str, str]:
    """(verdict, reason) of validate_judge for one judge, cached per data, judge and humans."""
    if str(judge) in ctx.given_validations:
        given = ctx.given_validations[str(judge)]
        verdict = given if isinstance(given, str) else given.verdict
        ctx.verdicts[str(judge)] = verdict
        return verdict, "validation given to compute()"
    if not humans:
        return "not validated", "no human sources named to validate it against"
    key = (j.data_hash, str(judge), tuple(map(str, humans)))
    if key not in ctx.validations:
        from alignlab.workflows import validate_judge

        try:
            result = validate_judge(j, raters=judge, reference=humans, find_segments=False,
                                    confidence_level=ctx.level, n_resamples=ctx.n_resamples, random_state=ctx.seed)
            ctx.validations[key] = (result.verdict, "; ".join(result.reasons[:2]))
        except ValueError as exc:
            ctx.validations[key] = ("not validated", f"validate_judge could not run ({exc})")
    verdict, why = ctx.validations[key]
    ctx.verdicts[str(judge)] = verdict
    return verdict, why


def _segment_masks(j: Judgments, m: Metric) -> list[tuple[str, str | None, str | None, np.ndarray]]:
    """(segment, column, level, item mask) for the overall row and each level of each segment column."""
    out = [(OVERALL, None, None, np.ones(j.n_items, dtype=bool))]
    info = j.item_info
    for column in m.segments:
        values = info[column]
        codes, levels = pd.factorize(values.astype(str).where(values.notna(), "(missing)"), sort=True)
        for k, level in enumerate(levels):
            out.append((f"{column}={level}", column, str(level), codes == k))
    return out


def _metric_rows(feature: Feature, role: str, m: Metric, j_all: Judgments, ctx: _Context) -> list[dict[str, Any]]:
    # metrics of a feature usually share their item selection: subset the table once per selection
    key = (id(j_all), repr(sorted(m.where.items())), m.baseline if m.statistic == "win_rate" else None)
    if key not in ctx.scopes:
        ctx.scopes[key] = _scope(j_all, m)
    j, flip, scope_notes = ctx.scopes[key]
    notes = list(scope_notes)
    for names in (m.humans, m.sources):  # resolved once per table and list of names
        if (id(j), names) not in ctx.resolved:
            ctx.resolved[(id(j), names)] = _resolve(j, names, "humans" if names is m.humans else "judges")
    human_ids, judge_ids = ctx.resolved[(id(j), m.humans)], ctx.resolved[(id(j), m.sources)]
    judge_ids = [r for r in judge_ids if r not in set(human_ids)]
    for name, ids in (("humans", human_ids), ("judges", judge_ids)):
        needed = m.humans if name == "humans" else m.judges
        if needed and not ids:
            raise SpecError([SpecProblem(name, list(needed), f"metric {m.name!r} has no {name} in its items",
                                         "check the sources against the where filter")])
    y = _group_values(j, human_ids, m, flip) if human_ids else np.full(j.n_items, np.nan)
    f = _group_values(j, judge_ids, m, flip) if judge_ids else np.full(j.n_items, np.nan)
    table_w = item_weights(j, j.items)
    base = {"feature": feature.name, "metric": m.name, "role": role, "statistic": m.statistic, "combine": m.combine,
            "confidence_level": ctx.level, "target": m.target, "min_change": m.min_change,
            "higher_is_better": m.higher_is_better}
    # the grade of the metric (segment rows inherit it)
    combine = m.combine
    if combine == "ppi" and not np.isnan(y).any() and np.isfinite(f).all():
        notes.append("every item has human labels: PPI adds nothing, the human mean is reported")
        combine = "human"
    if combine == "human":
        grade, reason = "A", f"human panel ({len(human_ids)} rater{'s' if len(human_ids) != 1 else ''})"
        sources = "humans: " + ", ".join(map(str, human_ids))
    elif combine == "judge":
        verdicts = [(jid, *_validation(ctx, j, jid, human_ids)) for jid in judge_ids]
        if all(v == "replace" for _, v, _ in verdicts):
            grade = "A"
            reason = "validated as 'replace' by validate_judge: " + "; ".join(f"{jid}" for jid, _, _ in verdicts)
        else:
            grade = "C"
            reason = "not validated to replace the humans: " + "; ".join(
                f"{jid}: {v} ({why})" for jid, v, why in verdicts if v != "replace")
        sources = "judges: " + ", ".join(map(str, judge_ids))
    elif combine == "ppi":
        grade = "B"
        reason = (f"judge{'s' if len(judge_ids) > 1 else ''} {', '.join(map(str, judge_ids))} corrected with PPI++ "
                  f"against {int(np.isfinite(y).sum())} human-labelled items")
        sources = "judges: " + ", ".join(map(str, judge_ids)) + "; humans: " + ", ".join(map(str, human_ids))
    else:
        grade = "B"
        reason = "reliability-weighted sources corrected with PPI++ against the human labels (trust_weights)"
        sources = "sources: " + ", ".join(map(str, [*judge_ids, *m.online])) + "; humans: " + \
            ", ".join(map(str, human_ids))
    rows = []
    if (id(j), m.segments) not in ctx.masks:
        ctx.masks[(id(j), m.segments)] = _segment_masks(j, m)
    for segment, column, level, mask in ctx.masks[(id(j), m.segments)]:
        try:
            out = _estimate(combine, m, j, mask, y, f, table_w, human_ids, judge_ids, ctx,
                            None if column is None else (column, str(level)))
        except (ValueError, np.linalg.LinAlgError) as exc:
            out = _empty(str(exc).split("\n")[0])
        warnings = list(notes) + list(out.pop("warnings", []))
        row = {**base, "segment": segment, "segment_column": column, "segment_level": level,
               "sources": sources, "grade": grade, "grade_reason": reason, **out,
               "warnings": "; ".join(warnings)}
        row.setdefault("weights", "")
        row.setdefault("method", f"{m.statistic}[{combine}]")
        row["target_status"] = target_status(row["estimate"], row["ci_low"], row["ci_high"], m.target,
                                             higher_is_better=m.higher_is_better)
        rows.append(row)
    return rows


def _estimate(combine: str, m: Metric, j: Judgments, mask: np.ndarray, y: np.ndarray, f: np.ndarray,
              table_w: np.ndarray | None, human_ids: list[Any], judge_ids: list[Any], ctx: _Context,
              segment: tuple[str, str] | None = None) -> dict[str, Any]:
    level = ctx.level
    if combine in ("human", "judge"):
        values = y if combine == "human" else f
        keep = mask & np.isfinite(values)
        ids = human_ids if combine == "human" else judge_ids
        weights_text = (f"{ids[0]}=1" if len(ids) == 1 else
                        f"per-item mean over the {len(ids)} sources' judgments of the item (each judgment equal)")
        if m.population is not None:
            from alignlab.sampling import reweighted_metric

            table = j.item_info.loc[keep]
            prod = _production_for(ctx, m, segment)
            r = reweighted_metric(table, prod, metric=values[keep], segments=list(m.population.segments),
                                  method=m.population.method, production_weights=m.population.weights,
                                  confidence_level=level)
            return {"estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "standard_error": r.standard_error,
                    "n": int(keep.sum()), "effective_n": r.effective_n, "ci_method": r.ci_method,
                    "method": f"{m.statistic}[{combine}], {r.method} to {m.population.production}",
                    "weights": weights_text, "warnings": list(r.warnings)}
        w = None if table_w is None else table_w[keep]
        out = _mean_row(values[keep], w, level=level, ci_method=ctx.ci_method, n_resamples=ctx.n_resamples,
                        seed=ctx.seed)
        return {**out, "weights": weights_text, "method": f"{m.statistic}[{combine}]"
                + (", weighted by the table's 'weight'" if w is not None else "")}
    if combine == "ppi":
        labelled = mask & np.isfinite(y) & np.isfinite(f)
        unlabelled = mask & np.isfinite(f) & ~np.isfinite(y)
        n, big_n = int(labelled.sum()), int(unlabelled.sum())
        if n < 10:
            return _empty(f"only {n} items have both human labels and judge outputs; PPI needs at least 10")
        warnings = []
        if big_n == 0:
            out = _mean_row(y[labelled], None if table_w is None else table_w[labelled], level=level,
                            ci_method=ctx.ci_method, n_resamples=ctx.n_resamples, seed=ctx.seed)
            out["warnings"] = ["every item in this segment has human labels: the human mean is reported"]
            return {**out, "weights": "humans=1", "method": f"{m.statistic}[human]"}
        w = wu = None
        method = f"PPI++[{m.statistic}]"
        if m.population is not None:
            rows = labelled | unlabelled
            weights, label, _ = _population_weights(ctx, m, j.item_info.loc[rows], segment)
            full = np.zeros(j.n_items)
            full[rows] = weights
            w, wu = full[labelled], full[unlabelled]
            method += f", {label}"
        elif table_w is not None:
            w, wu = table_w[labelled], table_w[unlabelled]
            method += ", weighted by the table's 'weight'"
        yy, ff, fu = y[labelled], f[labelled], f[unlabelled]
        r = ppi_arrays(yy, ff, fu, confidence_level=level, random_state=ctx.seed, weights=w, weights_unlabelled=wu)
        rho = float(np.corrcoef(yy, ff)[0, 1]) if np.ptp(yy) > 0 and np.ptp(ff) > 0 else 0.0
        eff = n * (n + big_n) / (n + (1 - rho**2) * big_n)
        return {"estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                "standard_error": r["standard_error"], "n": n + big_n, "effective_n": eff,
                "ci_method": "normal(prediction-powered variance)", "method": method, "warnings": warnings,
                "weights": f"lambda={r['lam']:.3f} on the judge ({n} labelled, {big_n} judge-only items)"}
    # trust_weighted
    from alignlab.workflows import trust_weights

    items = j.items[mask]
    sub = j.subset(raters=[*human_ids, *judge_ids], items=None if mask.all() else list(items))
    target = {"mean": "mean", "pass_rate": "pass_rate", "win_rate": "win_rate"}[m.statistic]
    tw = trust_weights(sub, target=target, reference=human_ids, segments=[], confidence_level=level,
                       random_state=ctx.seed)
    est = tw.estimate
    weights_text = "; ".join(f"{s}={w:.3f}" for s, w in zip(tw.table["source"], tw.table["weight"], strict=True))
    if est is None:
        return {**_empty("trust_weights gave no corrected estimate (" + "; ".join(tw.notes) + ")"),
                "weights": weights_text}
    warnings = list(tw.notes)
    # PPI++ with a tuned lambda is never much less precise than the human labels alone: a wider interval
    # says the combination went wrong (e.g. a source with a near-zero fitted scale), so the row says so
    humans_only = y[mask & np.isfinite(y)]
    if humans_only.size > 2 and np.isfinite(est.standard_error):
        classical_se = float(np.std(humans_only, ddof=1) / math.sqrt(humans_only.size))
        if est.standard_error > 1.5 * classical_se:
            warnings.append(f"the trust-weighted interval is {est.standard_error / classical_se:.1f} times wider than "
                            "the human labels' own interval; check trust_weights' source table before using it")
    return {"estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
            "standard_error": est.standard_error, "n": est.n_items, "effective_n": math.nan,
            "ci_method": est.ci_method, "method": f"trust_weights: {est.method}", "weights": weights_text,
            "warnings": warnings}


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("alignlab")
    except Exception:  # pragma: no cover - not installed as a distribution
        return "unknown"


@validate_params({
    "spec": [Spec],
    "judgments": [Judgments, "mapping"],
    "run": [Run, str, None],
    "production": ["mapping", None],
    "validations": ["mapping", None],
    "ci_method": ci_method_constraint("auto", "analytic", "wilson", "percentile", "bca", "basic"),
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def compute(
    spec: Spec,
    judgments: Judgments | Mapping[str, Judgments],
    *,
    run: Run | str | None = None,
    production: Mapping[str, Any] | None = None,
    validations: Mapping[str, Any] | None = None,
    ci_method: str = "auto",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = 0,
) -> MetricsResult:
    """Compute every feature's metrics of ``spec`` on the run's judgments.

    Parameters
    ----------
    spec : Spec
        From :func:`~alignlab.metrics.load_spec` or built in Python.
    judgments : Judgments or mapping of str to Judgments
        One table for every feature, or one per feature's ``data`` key (default: the feature name).
    run : Run or str, optional
        The run's label (a str) or a :class:`Run`; default label ``"run"`` dated today.
    production : mapping, optional
        Production tables named by the metrics' ``population.production`` (otherwise read as paths
        relative to the spec file).
    validations : mapping, optional
        ``judge id -> JudgeValidation`` (or its verdict) from an earlier validation study, used for the
        grade instead of validating on this run's data.
    ci_method : {"auto", "analytic", "wilson", "percentile", "bca", "basic"}
        Interval of the human- and judge-only means: ``auto`` is Wilson for 0/1 outcomes and the normal
        interval otherwise; bootstraps resample items. PPI and trust weights use their own intervals.
    n_resamples : int
        Bootstrap resamples (here and in validate_judge).
    random_state : int or numpy.random.Generator, default 0
        Recorded in the run as its seed.

    Returns
    -------
    MetricsResult

    Raises
    ------
    SpecError
        Listing every problem of the spec against the data (unknown sources, a statistic the scale does
        not support, a threshold outside the scale, missing columns or data).

    Examples
    --------
    >>> from alignlab.metrics import compute, load_spec
    >>> from alignlab.metrics.examples import load_release, spec_path
    >>> result = compute(load_spec(spec_path()), load_release("2025.1"), run="2025.1", n_resamples=200)
    >>> sorted(set(result.to_frame()["grade"]))
    ['A', 'B', 'C']
    """
    spec.validate()
    data = {f.data_key: judgments for f in spec.features} if isinstance(judgments, Judgments) else dict(judgments)
    bad = [k for k, v in data.items() if not isinstance(v, Judgments)]
    if bad:
        raise InvalidParameterError(f"The judgments given for {bad} are not Judgments; load them with alignlab.load_judgments.")
    problems = check_against_data(spec, data)
    if problems:
        raise SpecError(problems, context="The metrics spec does not fit the data")
    if isinstance(run, str) or run is None:
        run = Run(label=run or "run")
    if run.date is not None:
        try:
            _dt.date.fromisoformat(run.date)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"The run date {run.date!r} is not an ISO date; write it as YYYY-MM-DD, "
                                        "e.g. Run('2025.4', date='2025-10-15').") from None
    seed = int(random_state) if isinstance(random_state, int | np.integer) else int(
        check_random_state(random_state).integers(0, 2**31 - 1))
    spec_dir = Path(spec.source).parent if spec.source else None
    ctx = _Context(level=spec.confidence_level, ci_method="auto" if ci_method == "analytic" else ci_method,
                   n_resamples=n_resamples, seed=seed, production=production or {}, spec_dir=spec_dir,
                   given_validations=dict(validations or {}))
    if ci_method == "analytic":
        ctx.ci_method = "analytic"
    now = _dt.datetime.now(_dt.UTC)
    used = {f.data_key for f in spec.features}
    data_rows = tuple((k, data[k].data_hash, len(data[k].frame), data[k].n_items, data[k].n_raters)
                      for k in sorted(used))
    run_id = hashlib.sha256("|".join([run.label, spec.hash, *(d[1] for d in data_rows), now.isoformat(),
                                      str(seed)]).encode()).hexdigest()[:20]
    info = RunInfo(run_id=run_id, label=run.label, system=run.system, date=run.date or now.date().isoformat(),
                   created_at=now.isoformat(timespec="microseconds"), spec_hash=spec.hash, spec_name=spec.name,
                   alignlab_version=_version(), seed=seed, features=tuple(f.name for f in spec.features),
                   data=data_rows, notes=run.notes)
    rows: list[dict[str, Any]] = []
    total = sum(len(f.metrics()) for f in spec.features)
    done = 0
    for feature in spec.features:
        for role, metric in feature.metrics():
            rows += _metric_rows(feature, role, metric, data[feature.data_key], ctx)
            done += 1
            report("metrics", done, total)
    table = pd.DataFrame(rows)
    table.insert(0, "run_id", run_id)
    table = table.reindex(columns=list(METRIC_COLUMNS))
    for column in ("target", "min_change"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    table["n"] = table["n"].fillna(0).astype(int)
    return MetricsResult(table=table, method=f"alignlab.metrics.compute({spec.name or 'spec'})",
                         confidence_level=spec.confidence_level, run=info, spec=spec,
                         validations=dict(ctx.verdicts))


# -- the decision-ready paragraph --------------------------------------------------------------------------
def _number(row: Any, level: float) -> str:
    return format_estimate(float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"]), level)


def metrics_summary(result: MetricsResult, previous: MetricsResult | pd.DataFrame | None = None) -> str:
    """One decision-ready paragraph per feature: the north star with its interval and grade, target,
    the change against ``previous`` (a MetricsResult or its frame) and any diagnostic or guardrail that
    misses its target.

    Examples
    --------
    >>> from alignlab.metrics import compute, load_spec, metrics_summary
    >>> from alignlab.metrics.examples import load_release, spec_path
    >>> r = compute(load_spec(spec_path()), load_release("2025.1"), run="2025.1", n_resamples=200)
    >>> print(metrics_summary(r).split(":")[0])
    story
    """
    from alignlab.metrics.status import change_status

    t = result.table
    prev = previous.table if isinstance(previous, MetricsResult) else previous
    level = result.confidence_level
    paragraphs = []
    for feature in result.spec.features:
        rows = t[(t["feature"] == feature.name) & (t["segment"] == OVERALL)]
        north = rows[rows["role"] == "north_star"].iloc[0]
        parts = [f"{feature.name}: {north['metric']} = {_number(north, level)}, trust grade {north['grade']} "
                 f"({north['grade_reason']})."]
        if isinstance(north["target"], float) and math.isfinite(north["target"]):
            parts.append(f"Target {north['target']:g}: {north['target_status']}.")
        if prev is not None:
            old = prev[(prev["feature"] == feature.name) & (prev["metric"] == north["metric"])
                       & (prev["segment"] == OVERALL)]
            if len(old):
                ch = change_status(north["estimate"], north["standard_error"], float(old["estimate"].iloc[0]),
                                   float(old["standard_error"].iloc[0]), higher_is_better=bool(north["higher_is_better"]),
                                   min_change=None if pd.isna(north["min_change"]) else float(north["min_change"]),
                                   confidence_level=level)
                parts.append(f"Against the previous run: {ch.status} ({ch.detail}).")
        misses = rows[(rows["role"] != "north_star") & (rows["target_status"] == "misses target")]
        for rec in misses.itertuples(index=False):
            parts.append(f"{rec.role.capitalize()} {rec.metric} misses its target {rec.target:g} "
                         f"({_number(rec._asdict(), level)}, grade {rec.grade}).")
        weak = rows[rows["grade"] == "C"]
        if len(weak):
            parts.append("Grade C (not validated, read with care): " + ", ".join(weak["metric"]) + ".")
        empty = rows[rows["estimate"].isna()]
        if len(empty):
            parts.append("Not computable: " + ", ".join(empty["metric"]) + ".")
        paragraphs.append(" ".join(parts))
    return "\n".join(paragraphs)
