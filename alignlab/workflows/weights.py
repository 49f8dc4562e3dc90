"""trust_weights: a weight per evaluation source from its reliability against the latent quality."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment import ppi_arrays
from alignlab.data import Judgments
from alignlab.results import EstimateResult
from alignlab.workflows._compose import fit_joint_model, numeric_values, rater_table
from alignlab.workflows._results import TrustWeights

__all__ = ["trust_weights"]

_WEIGHT_SHIFT = 0.05  # a per-segment weight this far from the overall one is reported as different
_MAX_RELIABILITY = 0.999  # a perfectly reliable source would take all the weight; cap its precision


def _precision(reliability: np.ndarray) -> np.ndarray:
    """Inverse error variance in units of the latent quality's variance: r / (1 - r); 0 for r <= 0.

    A source at or below chance (reliability <= 0: for discrete labels a kappa with the latent truth
    at or below 0, i.e. a spammer or a judge that prefers the wrong answer) gets precision, and so
    weight, 0: it is never averaged in, and an inverted source is never flipped silently.
    """
    r = np.clip(np.asarray(reliability, dtype=float), 0.0, _MAX_RELIABILITY)
    return r / (1.0 - r)


def _signal_rows(model: Any, level: float) -> list[dict[str, Any]]:
    """Online aggregate signals (successes/trials) measured by the continuous model (``signals_``).

    The model gives a signal's reliability ``r`` and its slope ``s`` (with standard error) on the latent
    quality; with its noise fixed, ``r(s') = s'^2 / (s'^2 + s^2 (1 - r) / r)``, so the slope's normal
    interval carries over to a reliability interval.
    """
    signals = getattr(model, "signals_", None)
    if not isinstance(signals, pd.DataFrame) or signals.empty:
        return []
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for rec in signals.to_dict(orient="records"):
        r, slope, se = float(rec["reliability"]), float(rec["slope"]), float(rec.get("slope_se", np.nan))
        noise = slope**2 * (1 - r) / r if 0 < r < 1 else np.nan

        def rel(s: float, noise: float = noise) -> float:
            return s**2 / (s**2 + noise) if np.isfinite(noise) else np.nan

        ends = sorted([rel(slope - z * se), rel(slope + z * se)]) if abs(slope) > z * se else [0.0, rel(abs(slope) + z * se)]
        rows.append({"source": str(rec["signal"]), "kind": "signal", "method": "online", "n_raters": 1,
                     "n": int(rec.get("n_items", 0)), "reliability": r, "reliability_low": min(ends[0], r),
                     "reliability_high": max(ends[1], r), "members": (rec["signal"],)})
    return rows


def _source_table(judgments: Judgments, raters: pd.DataFrame, human_ids: list[Any],
                  model: Any = None, level: float = 0.95) -> pd.DataFrame:
    """One row per source: each non-human rater, each online aggregate signal, one panel per human method."""
    rows: list[dict[str, Any]] = _signal_rows(model, level)
    human_set = set(human_ids)
    others = raters[~raters["rater_id"].isin(human_set)]
    for rec in others.to_dict(orient="records"):
        rows.append({"source": str(rec["rater_id"]), "kind": "rater", "method": rec["method"], "n_raters": 1,
                     "n": rec["n"], "reliability": rec["reliability"], "reliability_low": rec["reliability_low"],
                     "reliability_high": rec["reliability_high"], "members": (rec["rater_id"],)})
    panel = raters[raters["rater_id"].isin(human_set)]
    for method, group in panel.groupby("method", sort=True):
        ids = list(group["rater_id"])
        sub = judgments.frame[judgments.frame["rater_id"].isin(ids)]
        per_item = sub.groupby("item_id").size()
        m_bar = float(per_item.mean())
        entry: dict[str, Any] = {"source": str(method), "kind": "panel", "method": method, "n_raters": len(ids),
                                 "n": int(group["n"].sum()), "members": tuple(ids), "raters_per_item": m_bar}
        # a panel averaging m raters: error variance mean(1/p_j)/m, so precision m / mean(1/p_j)
        for column in ("reliability", "reliability_low", "reliability_high"):
            p = _precision(group[column].to_numpy())
            with np.errstate(divide="ignore"):
                panel_precision = m_bar / np.mean(1.0 / np.maximum(p, 1e-12))
            entry[column] = panel_precision / (1.0 + panel_precision)
        rows.append(entry)
    table = pd.DataFrame(rows)
    if "raters_per_item" not in table.columns:
        table["raters_per_item"] = np.nan
    table["raters_per_item"] = table["raters_per_item"].fillna(1.0)
    return table


def _weights(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    p = _precision(out["reliability"].to_numpy())
    p_low = _precision(out["reliability_low"].to_numpy())
    p_high = _precision(out["reliability_high"].to_numpy())
    total = p.sum()
    out["precision"] = p
    out["weight"] = p / total if total > 0 else np.full(len(p), 1.0 / len(p))
    rest = total - p
    with np.errstate(divide="ignore", invalid="ignore"):
        out["weight_low"] = np.where(p_low + rest > 0, p_low / (p_low + rest), 0.0)
        out["weight_high"] = np.where(p_high + rest > 0, p_high / (p_high + rest), 1.0)
    return out


def _combined_estimate(judgments: Judgments, table: pd.DataFrame, human_ids: list[Any], target: str,
                       confidence_level: float, seed: int, notes: list[str], model: Any = None,
                       calibration: pd.DataFrame | None = None) -> EstimateResult | None:
    """PPI++ estimate of the human-scale mean from the weighted combination of the non-human sources.

    With the continuous model each source is first put on the latent quality's scale with its fitted
    bias and scale (and online rates through their logit intercept and slope), so the combination is
    the precision-weighted estimate of the item's quality; PPI++ then maps it to the human scale.
    """
    raters = table[table["kind"] != "panel"]
    if raters.empty:
        notes.append("corrected estimate: no judge or online signal besides the humans.")
        return None
    try:
        values = numeric_values(judgments)
    except ValueError as exc:
        notes.append(f"corrected estimate: not computed ({exc}).")
        return None
    frame = judgments.frame
    weight_of = dict(zip(raters["source"], raters["precision"], strict=True))
    source_weight = frame["rater_id"].astype(str).map(weight_of).fillna(0.0).to_numpy()
    human_values = values  # the reference stays on its own (human) scale: PPI maps the sources to it
    if calibration is not None:
        # each source on the latent quality's scale, (y - bias) / scale, before they are averaged
        bias = frame["rater_id"].astype(str).map(calibration["bias"]).fillna(0.0).to_numpy()
        slope = frame["rater_id"].astype(str).map(calibration["scale"]).fillna(1.0).to_numpy()
        values = (values - bias) / np.where(slope != 0, slope, 1.0)
    is_source = source_weight > 0
    codes = judgments.item_codes
    n_items = judgments.n_items
    w_sum = np.bincount(codes[is_source], weights=source_weight[is_source], minlength=n_items)
    f_sum = np.bincount(codes[is_source], weights=(source_weight * values)[is_source], minlength=n_items)
    signals = None if model is None else getattr(model, "signals_", None)
    if isinstance(signals, pd.DataFrame) and not signals.empty and judgments.aggregates is not None:
        # online rates: the empirical logit on the latent scale, (logit - intercept) / slope
        agg = judgments.aggregates
        item_index = pd.Index(judgments.items).get_indexer(agg["item_id"])
        params = signals.set_index(signals["signal"].astype(str))
        name = agg["rater_id"].astype(str)
        known = (item_index >= 0) & name.isin(params.index).to_numpy() & name.isin(list(weight_of)).to_numpy()
        succ, trials = agg["successes"].to_numpy(float)[known], agg["trials"].to_numpy(float)[known]
        logit = np.log((succ + 0.5) / (trials - succ + 0.5))
        sig = name[known]
        latent = (logit - params.loc[sig, "intercept"].to_numpy(float)) / params.loc[sig, "slope"].to_numpy(float)
        w = sig.map(weight_of).to_numpy(float)
        w_sum += np.bincount(item_index[known], weights=w, minlength=n_items)
        f_sum += np.bincount(item_index[known], weights=w * latent, minlength=n_items)
    is_human = frame["rater_id"].isin(human_ids).to_numpy()
    h_n = np.bincount(codes[is_human], minlength=n_items)
    h_sum = np.bincount(codes[is_human], weights=human_values[is_human], minlength=n_items)
    has_f = w_sum > 0
    labelled = has_f & (h_n > 0)
    unlabelled = has_f & (h_n == 0)
    if labelled.sum() < 10:
        notes.append(f"corrected estimate: only {int(labelled.sum())} items have human labels and source values; "
                     "PPI needs at least 10.")
        return None
    f = np.where(has_f, f_sum / np.where(has_f, w_sum, 1.0), np.nan)
    y = h_sum[labelled] / h_n[labelled]
    if unlabelled.any():
        out = ppi_arrays(y, f[labelled], f[unlabelled], confidence_level=confidence_level, random_state=seed)
        method = f"PPI++[{target}] of the weighted sources"
    else:
        notes.append("corrected estimate: every item has human labels, so the estimate is the human mean "
                     "(PPI adds nothing without unlabelled items).")
        out = ppi_arrays(y, f[labelled], f[labelled], lam=0.0, confidence_level=confidence_level)
        method = f"classical[{target}] (all items human-labelled)"
    return EstimateResult(
        estimate=float(out["estimate"]), ci_low=float(out["ci_low"]), ci_high=float(out["ci_high"]),
        standard_error=float(out["standard_error"]), confidence_level=confidence_level,
        method=method + f", lambda={out['lam']:.2f}", ci_method="normal(prediction-powered variance)",
        n_items=int(labelled.sum() + unlabelled.sum()), n_raters=len(raters),
    )


def _segment_weights(judgments: Judgments, overall: pd.DataFrame, human_ids: list[Any], segments: Sequence[str],
                     confidence_level: float, seed: int, notes: list[str]) -> pd.DataFrame | None:
    parts = []
    info = judgments.item_info
    for column in segments:
        levels = info[column].dropna()
        if levels.nunique() < 2 or levels.nunique() > 8:
            continue
        for level in sorted(levels.unique(), key=str):
            items = info.loc[info[column] == level, "item_id"]
            sub = judgments.subset(items=list(items))
            if sub.n_items < 30 or sub.n_raters < 2:
                continue
            try:
                model, _ = fit_joint_model(sub, confidence_level=confidence_level, random_state=seed)
            except ValueError as exc:
                notes.append(f"weights by {column}={level}: not fitted ({exc})")
                continue
            table = _weights(_source_table(sub, rater_table(model), [h for h in human_ids if h in set(sub.raters)],
                                           model, confidence_level))
            table.insert(0, "level", str(level))
            table.insert(0, "segment", column)
            parts.append(table)
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    ref = overall.set_index("source")["reliability"]
    r_all = ref.reindex(out["source"]).to_numpy()
    out["overall_weight"] = overall.set_index("source")["weight"].reindex(out["source"]).to_numpy()
    # a difference worth acting on: the segment's reliability interval excludes the overall estimate
    # and the weight moves by more than 0.05
    outside = (r_all < out["reliability_low"].to_numpy()) | (r_all > out["reliability_high"].to_numpy())
    out["differs"] = outside & (np.abs(out["weight"].to_numpy() - out["overall_weight"].to_numpy()) > _WEIGHT_SHIFT)
    return out.drop(columns=["members"])


@validate_params({
    "judgments": [Judgments],
    "target": [Options(("mean", "pass_rate", "win_rate"))],
    "reference": ["str-or-list"],
    "segments": ["str-or-list", None],
    "flip_inverted": ["boolean"],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def trust_weights(
    judgments: Judgments,
    *,
    target: str = "mean",
    reference: str | Sequence[str] = "human",
    segments: str | Sequence[str] | None = None,
    flip_inverted: bool = False,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> TrustWeights:
    """Weights for combining LLM judges, online signals and human panels into one quality metric.

    Parameters
    ----------
    judgments : Judgments
        Judgments of every source on shared items (humans may cover only a subset).
    target : {"mean", "pass_rate", "win_rate"}
        The metric to estimate on the human scale: the mean score, the pass rate (binary scales) or the
        win rate of ``system_a`` (pairwise preferences, A = 1, tie = 0.5, B = 0).
    reference : str or list of str, default "human"
        The human raters, combined into one panel per method.
    segments : str or list of str, optional
        Segment columns to refit the weights in (default: the table's segments with 2 to 8 levels).
    flip_inverted : bool, default False
        An *inverted* source (reliability below 0 with probability >= 0.95: it systematically prefers the
        wrong answer) gets weight 0. ``True`` is the explicit decision to use it mirrored: its labels are
        flipped (:func:`alignlab.alignment.judges.flip_labels`: pairwise A <-> B, binary/ordinal levels
        reversed), the model is refitted, and a note names the flipped sources. Never done silently.
    confidence_level : float, default 0.95
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    TrustWeights
        ``to_frame()`` one row per source with its reliability, ``precision`` and ``weight`` (summing to
        1) with intervals; ``estimate`` the corrected target; ``by_segment`` the per-segment weights.

    Notes
    -----
    The joint annotator model (hierarchical Dawid-Skene for labels, the continuous rater model for
    scores) gives each source's reliability ``r``: the share of its variance that is latent quality
    (scores), or the kappa of its label with the latent truth (labels); its error variance relative to
    the quality's is ``(1 - r) / r``, so the inverse-variance weight is ``r / (1 - r)`` (Raykar et al.
    2010), normalised to sum to 1. A source with ``r <= 0`` (chance level, or worse than chance)
    gets weight 0 and a note. A human panel averaging ``m`` raters per
    item has precision ``m / mean_j(1 / p_j)``. Weight intervals carry the source's reliability interval
    through with the other sources at their estimates. The corrected estimate is PPI++
    (:func:`alignlab.alignment.ppi` arrays) of the human mean, with the precision-weighted mean of the
    non-human sources as the prediction on every item.

    Examples
    --------
    >>> from alignlab.workflows import trust_weights
    >>> from alignlab.workflows.simulate import simulate_signal_study
    >>> tw = trust_weights(simulate_signal_study(n_items=300, random_state=0), random_state=0)
    >>> w = tw.weights
    >>> bool(w["judge_strong"] > w["thumbs_up"] > w["judge_weak"])
    True
    """
    rng = check_random_state(random_state)
    seed = int(rng.integers(0, 2**31 - 1))
    kind = judgments.scale.kind
    if target == "win_rate" and kind != "pairwise":
        raise InvalidParameterError("target='win_rate' needs pairwise preferences; use target='mean'.")
    if target == "pass_rate" and kind != "binary":
        raise InvalidParameterError("target='pass_rate' needs a binary scale; use target='mean'.")
    human_ids = judgments.resolve_raters(reference, argument="reference")
    notes: list[str] = []
    model, model_name = fit_joint_model(judgments, confidence_level=confidence_level, random_state=seed)
    if judgments.aggregates is not None and len(judgments.aggregates) and getattr(model, "signals_", None) is None:
        names = sorted(map(str, pd.unique(judgments.aggregates["rater_id"])))
        notes.append(f"online aggregates {names} not weighted: the {model_name} model takes individual labels only; "
                     "binomial online signals enter the continuous and ordinal models (load the scores as ordinal "
                     "or continuous to weight them)")
    raters = rater_table(model)
    if flip_inverted:
        from alignlab.alignment.judges import flip_labels
        from alignlab.annotators._reliability import ADVERSARIAL_PROB

        below = raters["adversarial_prob"].to_numpy(dtype=float) >= ADVERSARIAL_PROB
        inverted = [r for r in raters.loc[below, "rater_id"].tolist() if r not in set(human_ids)]
        if inverted:
            judgments = flip_labels(judgments, inverted)
            model, model_name = fit_joint_model(judgments, confidence_level=confidence_level, random_state=seed)
            raters = rater_table(model)
            notes.append(f"flip_inverted: the labels of {', '.join(map(str, inverted))} (reliability below 0) were "
                         "mirrored and the model refitted; their weights are those of the mirrored labels.")
    table = _weights(_source_table(judgments, raters, human_ids, model, confidence_level))
    at_chance = table.loc[~(table["reliability"] > 0), "source"].tolist()
    if at_chance:
        notes.append(f"weight 0 for {', '.join(map(str, at_chance))}: reliability <= 0 (no better than chance; below 0 "
                     "= agrees with the truth less often than chance), so it does not enter the combination.")
    if len(table) < 2:
        raise DataError("trust_weights needs at least two sources (e.g. a judge and a human panel); "
                         f"this table has {list(table['source'])}.")
    calibration = None
    if {"bias", "scale"} <= set(raters.columns) and judgments.scale.kind in ("ordinal", "continuous"):
        calibration = raters.set_index(raters["rater_id"].astype(str))[["bias", "scale"]]
    estimate = _combined_estimate(judgments, table, human_ids, target, confidence_level, seed, notes, model=model,
                                  calibration=calibration)
    segment_columns = list(judgments.segments) if segments is None else (
        [segments] if isinstance(segments, str) else list(segments))
    unknown = [c for c in segment_columns if c not in judgments.item_info.columns]
    if unknown:
        raise InvalidParameterError(f"The 'segments' argument names {unknown}, which are not segment columns of the table "
                         f"({list(judgments.segments)}).")
    by_segment = _segment_weights(judgments, table, human_ids, segment_columns, confidence_level, seed, notes)
    table = table.sort_values("weight", ascending=False).reset_index(drop=True)
    table["ci_method"] = "posterior reliability interval, other sources at their estimates"
    return TrustWeights(
        table=table.drop(columns=["members"]), method=f"trust_weights({model_name})", confidence_level=confidence_level,
        target=target, estimate=estimate, by_segment=by_segment, model=model_name,
        model_choice=getattr(model, "model_choice_", ""), n_items=judgments.n_items,
        notes=tuple(notes), data=judgments.summary(), data_hash=judgments.data_hash, random_state=random_state, warnings=tuple(notes),
    )


