"""audit_vendors: per vendor and per rater quality, drift and cost; who to retrain or remove."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    check_random_state,
    validate_params,
)
from alignlab.data import Judgments
from alignlab.slices import divergence
from alignlab.workflows._compose import attempt, fit_joint_model, rater_table
from alignlab.workflows._results import VendorAudit

__all__ = ["audit_vendors"]


def _vendor_of_rater(judgments: Judgments, column: str) -> pd.Series:
    frame = judgments.frame
    if column not in frame.columns:
        raise InvalidParameterError(
            f"The 'vendor' argument names column {column!r}, which is not in the table; columns are "
            f"{[c for c in frame.columns if c != 'source_row']}. Load the table with vendor=<column> or pass "
            "the column that says who supplied each rater."
        )
    per_rater = frame.groupby("rater_id", sort=True)[column].agg(lambda s: s.dropna().unique().tolist())
    several = per_rater[per_rater.map(len) > 1]
    if len(several):
        example = several.index[0]
        raise DataError(
            f"Rater {example!r} has several values of {column!r} ({several.iloc[0]}); a rater belongs to one "
            "vendor: fix the column or split the rater id."
        )
    return per_rater.map(lambda v: v[0] if v else "(none)").astype(str)


def _proportion_ci(successes: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = proportion_confint(successes, np.maximum(n, 1), alpha=1 - level, method="wilson")
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _agreement_with_rest(judgments: Judgments, notes: list[str], level: float) -> pd.DataFrame | None:
    """Per judgment: agreement of each rater with the consensus of the other raters on the item."""
    discrete = judgments.scale.is_discrete
    div = attempt(notes, "agreement with the rest", divergence, judgments, raters=list(judgments.raters),
                  reference=list(judgments.raters), kind="disagree" if discrete else "absolute", level="judgment")
    if div is None:
        return None
    div = div[np.isfinite(div["divergence"].to_numpy(dtype=float))].copy()
    if discrete:
        div["agree"] = 1.0 - div["divergence"].to_numpy(dtype=float)
    else:
        # 1 - |error| / range of the scale's observed values: 1 = identical to the others' mean
        values = judgments.values
        spread = float(np.nanmax(values) - np.nanmin(values)) or 1.0
        div["agree"] = 1.0 - div["divergence"].to_numpy(dtype=float) / spread
    return div


def _per_rater_agreement(div: pd.DataFrame, discrete: bool, level: float) -> pd.DataFrame:
    grouped = div.groupby("rater_id", sort=True)["agree"]
    n = grouped.size().to_numpy()
    mean = grouped.mean().to_numpy()
    if discrete:
        low, high = _proportion_ci(np.round(mean * n), n, level)
        method = "wilson"
    else:
        se = grouped.std(ddof=1).to_numpy() / np.sqrt(np.maximum(n, 1))
        z = stats.norm.ppf(0.5 + level / 2)
        low, high = mean - z * se, mean + z * se
        method = "normal(se of mean)"
    return pd.DataFrame({"rater_id": grouped.size().index, "agreement": mean, "agreement_low": low,
                         "agreement_high": high, "agreement_n": n, "agreement_ci_method": method})


def _gold_accuracy(judgments: Judgments, level: float) -> pd.DataFrame | None:
    if not judgments.has("gold"):
        return None
    frame = judgments.frame
    has = frame["gold"].notna().to_numpy()
    if not has.any():
        return None
    if judgments.scale.is_discrete:
        gold_codes = judgments.scale.encode(frame["gold"].where(frame["gold"].notna(), None))
        correct = (judgments.label_codes == gold_codes).astype(float)
    else:
        spread = float(np.nanmax(judgments.values) - np.nanmin(judgments.values)) or 1.0
        correct = 1.0 - np.abs(judgments.values - pd.to_numeric(frame["gold"], errors="coerce").to_numpy()) / spread
    sub = pd.DataFrame({"rater_id": frame["rater_id"].to_numpy()[has], "correct": correct[has]})
    grouped = sub.groupby("rater_id", sort=True)["correct"]
    n = grouped.size().to_numpy()
    mean = grouped.mean().to_numpy()
    low, high = _proportion_ci(np.round(mean * n), n, level)
    return pd.DataFrame({"rater_id": grouped.size().index, "gold_accuracy": mean, "gold_accuracy_low": low,
                         "gold_accuracy_high": high, "gold_n": n})


def _model_agreement(judgments: Judgments, model: Any, notes: list[str]) -> pd.DataFrame | None:
    """Per judgment: agreement with the annotator model's posterior item value (spammers down-weighted)."""
    items = getattr(model, "items_", None)
    column = "prediction" if judgments.scale.is_discrete else "quality"
    if not isinstance(items, pd.DataFrame) or column not in items.columns:
        notes.append("drift: the annotator model gives no per-item consensus.")
        return None
    consensus = pd.DataFrame({"item_id": items["item_id"], "consensus": items[column]})
    discrete = judgments.scale.is_discrete
    div = attempt(notes, "drift", divergence, judgments, raters=list(judgments.raters), reference=None,
                  consensus=consensus, kind="disagree" if discrete else "absolute", level="judgment")
    if div is None:
        return None
    div = div[np.isfinite(div["divergence"].to_numpy(dtype=float))].copy()
    if discrete:
        div["agree"] = 1.0 - div["divergence"].to_numpy(dtype=float)
    else:
        spread = float(np.nanmax(judgments.values) - np.nanmin(judgments.values)) or 1.0
        div["agree"] = 1.0 - div["divergence"].to_numpy(dtype=float) / spread
    return div


def _drift(div: pd.DataFrame, judgments: Judgments, vendor_of: pd.Series, periods: int, discrete: bool,
           level: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Agreement with the model consensus by period; first-vs-last change per rater and per vendor, tested."""
    times = judgments.frame.groupby(["item_id", "rater_id"], sort=False)["timestamp"].last()
    stamp = times.reindex(pd.MultiIndex.from_arrays([div["item_id"], div["rater_id"]])).to_numpy()
    ok = ~pd.isna(stamp)
    div = div.loc[ok].copy()
    stamp = pd.to_datetime(stamp[ok], utc=True)
    codes, edges = pd.qcut(stamp.asi8 if hasattr(stamp, "asi8") else stamp.astype("int64"), periods, labels=False,
                           retbins=True, duplicates="drop")
    div["period"] = codes.astype(int)
    start = pd.to_datetime(edges[:-1].astype("int64"), utc=True)
    div["vendor"] = vendor_of.reindex(div["rater_id"].astype(str)).to_numpy()
    by_period = (div.groupby(["vendor", "period"], sort=True)["agree"].agg(["mean", "size"]).reset_index()
                 .rename(columns={"mean": "agreement", "size": "n"}))
    by_period["period_start"] = start[by_period["period"].to_numpy()]
    last = int(div["period"].max())

    def change(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        first_rows = frame[frame["period"] == 0].groupby(key)["agree"].agg(["sum", "size", "mean", "var"])
        last_rows = frame[frame["period"] == last].groupby(key)["agree"].agg(["sum", "size", "mean", "var"])
        both = first_rows.add_suffix("_first").join(last_rows.add_suffix("_last"), how="inner")
        delta = both["mean_last"] - both["mean_first"]
        se = np.sqrt(both["var_first"].fillna(0) / both["size_first"] + both["var_last"].fillna(0) / both["size_last"])
        z = stats.norm.ppf(0.5 + level / 2)
        if discrete:
            p = [proportions_ztest([r.sum_last, r.sum_first], [r.size_last, r.size_first])[1]
                 if 0 < r.sum_last + r.sum_first < r.size_last + r.size_first else 1.0
                 for r in both.itertuples()]
            test = "two-proportion z-test (last vs first period)"
        else:
            p = 2 * stats.norm.sf(np.abs(delta / se.replace(0, np.nan)))
            test = "Welch z-test (last vs first period)"
        p = np.asarray(p, dtype=float)
        # Benjamini-Hochberg over the raters (or vendors) tested, so one drifting rater is not drowned
        # out and twelve stable ones do not produce a false alarm
        q = multipletests(np.nan_to_num(p, nan=1.0), method="fdr_bh")[1] if len(p) else p
        return pd.DataFrame({key: both.index, "drift_change": delta.to_numpy(), "drift_low": (delta - z * se).to_numpy(),
                             "drift_high": (delta + z * se).to_numpy(), "drift_p_value": p, "drift_q_value": q,
                             "drift_test": test})

    return by_period, change(div, "rater_id"), change(div, "vendor")


_PARAMS = {
    "judgments": [Judgments],
    "vendor": [str],
    "gold": ["boolean"],
    "periods": [Interval("integral", 2, 12)],
    "spammer_threshold": [Interval("real", 0, 1, closed="neither")],
    "adversarial_threshold": [Interval("real", 0, 1, closed="neither")],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
}


@validate_params(_PARAMS)
def audit_vendors(
    judgments: Judgments,
    *,
    vendor: str = "vendor",
    gold: bool = True,
    periods: int = 4,
    spammer_threshold: float = 0.5,
    adversarial_threshold: float = 0.95,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> VendorAudit:
    """Audit annotation vendors and their raters: reliability, bias, agreement, gold, spam, drift and cost.

    Parameters
    ----------
    judgments : Judgments
        Judgments with a column saying which vendor supplied each rater.
    vendor : str, default "vendor"
        That column (the canonical ``vendor`` or any other column, e.g. a segment).
    gold : bool, default True
        Use the ``gold`` column, when present: gold-question accuracy per rater and vendor (the
        annotator model also clamps gold items).
    periods : int, default 4
        Equal-count time periods for the drift check (when ``timestamp`` is present).
    spammer_threshold : float, default 0.5
        A rater is flagged as a spammer when the model's ``spammer_prob`` (posterior probability that
        its reliability is near 0 either way, ``|reliability| < 0.2``: labels about as good as chance;
        for scores: signal share below 0.1) reaches this.
    adversarial_threshold : float, default 0.95
        A rater is flagged as adversarial when the model's ``adversarial_prob`` (posterior probability
        that its reliability is below 0: it agrees with the truth less often than chance, e.g. it
        systematically swaps labels) reaches this. For scores it is the probability that the rater's
        scale on the latent quality is below 0 (scores that run against the quality).
    confidence_level : float, default 0.95
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    VendorAudit
        ``to_frame()`` one row per rater, ``vendors`` one row per vendor, ``actions`` the raters to
        remove or retrain with the evidence, ``drift``/``drift_tests`` when timestamps exist.

    Notes
    -----
    Reliability and bias come from the hierarchical annotator model (raters pooled by method and
    vendor): Dawid-Skene for discrete labels, the continuous rater model for scores (EM engines,
    posterior intervals). For discrete labels reliability is the kappa of the rater's label with the
    latent class (:mod:`alignlab.annotators._reliability`): 0 = chance, 1 = perfect, below 0 = worse
    than chance, so the ranking puts adversarial raters last. Agreement with the rest is each judgment against the leave-one-out
    consensus of the other raters (:func:`alignlab.slices.divergence` at judgment level), with Wilson
    intervals (discrete) or normal intervals of the mean. Drift tracks each judgment's agreement with the
    model's posterior item value (which down-weights spammers) over equal-count time periods and tests
    the first against the last (two-proportion z-test, or Welch's z for scores; Benjamini-Hochberg
    over raters). Cost-adjusted quality is reliability per
    unit of the mean ``cost`` per judgment, when a numeric ``cost`` column is present.

    Actions: *remove* an adversarial rater (``adversarial_prob >= adversarial_threshold``) or a likely
    spammer (``spammer_prob >= spammer_threshold``); *retrain* a rater whose reliability interval lies
    wholly below the median rater's reliability, or whose agreement with the consensus dropped
    significantly over time (BH q < 0.05).

    Examples
    --------
    >>> from alignlab.workflows import audit_vendors
    >>> from alignlab.workflows.simulate import simulate_vendor_study
    >>> audit = audit_vendors(simulate_vendor_study(n_items=150, random_state=0), random_state=0)
    >>> audit.worst_vendor
    'cheapo'
    """
    rng = check_random_state(random_state)
    seed = int(rng.integers(0, 2**31 - 1))
    vendor_of = _vendor_of_rater(judgments, vendor)
    notes: list[str] = []
    model_input = judgments
    if not gold and judgments.has("gold"):
        model_input = type(judgments)(judgments.frame.drop(columns=["gold"]), judgments.scale,
                                      segments=judgments.segments, aggregates=judgments.aggregates)
    model, model_name = fit_joint_model(model_input, confidence_level=confidence_level, random_state=seed)
    raters = rater_table(model)
    raters["rater_id_key"] = raters["rater_id"].astype(str)
    raters["vendor"] = vendor_of.reindex(raters["rater_id_key"]).to_numpy()
    raters["adversarial"] = raters["adversarial_prob"].fillna(0).to_numpy() >= adversarial_threshold
    # an adversarial rater is not also called a spammer (with many classes kappa cannot fall far below 0,
    # so a reliably-worse-than-chance rater can still sit within the spammer band)
    raters["spammer"] = (raters["spammer_prob"].fillna(0).to_numpy() >= spammer_threshold) & ~raters["adversarial"]
    keep = ["rater_id", "vendor", "method", "n", "reliability", "reliability_low", "reliability_high", "bias",
            "bias_low", "bias_high", "spammer_prob", "spammer", "adversarial_prob", "adversarial"]
    table = raters[keep].copy()
    table["rater_key"] = table["rater_id"].astype(str)

    discrete = judgments.scale.is_discrete
    div = _agreement_with_rest(judgments, notes, confidence_level)
    if div is not None:
        agree = _per_rater_agreement(div, discrete, confidence_level)
        agree["rater_key"] = agree.pop("rater_id").astype(str)
        table = table.merge(agree.drop(columns=["agreement_ci_method"]), on="rater_key", how="left")
    gold_table = _gold_accuracy(judgments, confidence_level) if gold else None
    if gold_table is not None:
        gold_table["rater_key"] = gold_table.pop("rater_id").astype(str)
        table = table.merge(gold_table, on="rater_key", how="left")
    drift = drift_tests = None
    drift_div = None
    if judgments.has("timestamp") and judgments.frame["timestamp"].notna().any():
        drift_div = _model_agreement(judgments, model, notes)
    if drift_div is not None:
        drift, rater_drift, drift_tests = _drift(drift_div, judgments, vendor_of, periods, discrete, confidence_level)
        rater_drift["rater_key"] = rater_drift.pop("rater_id").astype(str)
        table = table.merge(rater_drift.drop(columns=["drift_test"]), on="rater_key", how="left")
    has_cost = "cost" in judgments.frame.columns and pd.api.types.is_numeric_dtype(judgments.frame["cost"])
    if has_cost:
        cost = judgments.frame.groupby("rater_id", sort=True)["cost"].mean()
        cost.index = cost.index.astype(str)
        table["cost_per_judgment"] = cost.reindex(table["rater_key"]).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table["quality_per_cost"] = table["reliability"] / table["cost_per_judgment"]

    # ranking and actions ------------------------------------------------------------------------
    median = float(np.nanmedian(table["reliability"]))
    order_cols = ["reliability"] + (["agreement"] if "agreement" in table.columns else [])
    table = table.sort_values(order_cols, na_position="first").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    actions: list[dict[str, Any]] = []
    action_col = []
    for rec in table.to_dict(orient="records"):
        evidence = [f"reliability {rec['reliability']:.2f} ({rec['reliability_low']:.2f} to "
                    f"{rec['reliability_high']:.2f}) vs median rater {median:.2f}"]
        if rec["adversarial"]:
            evidence.insert(0, f"adversarial: agrees with the truth less often than chance (probability "
                               f"{rec['adversarial_prob']:.2f} that reliability < 0)")
        if not math.isnan(rec.get("spammer_prob", math.nan)):
            evidence.append(f"spammer probability {rec['spammer_prob']:.2f}")
        if "agreement" in rec and not pd.isna(rec["agreement"]):
            evidence.append(f"agreement with the others {rec['agreement']:.2f}")
        if "gold_accuracy" in rec and not pd.isna(rec["gold_accuracy"]):
            evidence.append(f"gold accuracy {rec['gold_accuracy']:.2f} on {int(rec['gold_n'])} gold items")
        drifted = ("drift_q_value" in rec and not pd.isna(rec["drift_q_value"]) and rec["drift_q_value"] < 0.05
                   and rec["drift_change"] < 0)
        if drifted:
            evidence.append(f"agreement with the consensus fell by {-rec['drift_change']:.2f} from the first to the "
                            f"last period (q = {rec['drift_q_value']:.3g})")
        reason = ("adversarial" if rec["adversarial"] else "spammer" if rec["spammer"]
                  else "below the median rater" if rec["reliability_high"] < median else "drift" if drifted else "")
        action = {"adversarial": "remove", "spammer": "remove", "": "keep"}.get(reason, "retrain")
        action_col.append(action)
        if action != "keep":
            actions.append({"rater_id": rec["rater_id"], "vendor": rec["vendor"], "action": action,
                            "reason": reason, "rank": rec["rank"], "evidence": "; ".join(evidence)})
    table["action"] = action_col
    table = table.drop(columns=["rater_key"])
    action_frame = pd.DataFrame(actions, columns=["rater_id", "vendor", "action", "reason", "rank", "evidence"])
    action_frame = action_frame.sort_values(["action", "rank"], key=lambda s: s.map({"remove": 0, "retrain": 1})
                                            if s.name == "action" else s).reset_index(drop=True)

    vendors = _vendor_table(table, model, vendor, confidence_level, has_cost)
    return VendorAudit(
        table=table, method=f"audit_vendors({vendor!r}, {model_name})", confidence_level=confidence_level,
        vendor_column=vendor, vendors=vendors, actions=action_frame,
        worst_vendor=str(vendors.iloc[0]["vendor"]) if len(vendors) else "", drift=drift, drift_tests=drift_tests,
        model=model_name, model_choice=getattr(model, "model_choice_", ""), n_items=judgments.n_items, notes=tuple(notes), data=judgments.summary(), data_hash=judgments.data_hash,
        random_state=random_state, warnings=tuple(notes),
    )


def _vendor_table(table: pd.DataFrame, model: Any, vendor: str, level: float, has_cost: bool) -> pd.DataFrame:
    """One row per vendor: the model's vendor-level reliability when it pools by vendor, else rater means."""
    grouped = table.groupby("vendor", sort=True)
    out = pd.DataFrame({"vendor": list(grouped.groups)})
    out["n_raters"] = grouped.size().to_numpy()
    out["n"] = grouped["n"].sum().to_numpy()
    groups = getattr(model, "groups_", None)
    vendor_rows = None
    if vendor == "vendor" and isinstance(groups, pd.DataFrame) and {"level", "group"} <= set(groups.columns):
        vendor_rows = groups[groups["level"] == "vendor"].set_index(groups[groups["level"] == "vendor"]["group"]
                                                                    .astype(str))
    # the model's vendor level is unsigned for scores (a variance share): with a rater whose scores run against
    # the quality (signed reliability below 0, see rater_table) the signed rater rows are averaged instead
    unsigned = "adversarial_prob" not in model.raters_.columns and bool((table["reliability"] < 0).any())
    if vendor_rows is not None and {"reliability", "reliability_low", "reliability_high"} <= set(vendor_rows.columns) \
            and set(out["vendor"]) <= set(vendor_rows.index) and not unsigned:
        for column in ("reliability", "reliability_low", "reliability_high", "bias", "bias_low", "bias_high"):
            if column in vendor_rows.columns:
                out[column] = vendor_rows.loc[out["vendor"], column].to_numpy(dtype=float)
        out["reliability_source"] = "model vendor level"
    else:
        # judgment-weighted mean of the raters' reliability; the interval averages the raters' bounds
        # (conservative: it ignores that independent errors partly cancel)
        for column in ("reliability", "reliability_low", "reliability_high", "bias", "bias_low", "bias_high"):
            out[column] = grouped.apply(lambda g, c=column: np.average(g[c].fillna(0), weights=g["n"])
                                        if g[c].notna().any() else np.nan, include_groups=False).to_numpy()
        out["reliability_source"] = "weighted mean of raters"
    if "agreement" in table.columns:
        out["agreement"] = grouped.apply(lambda g: np.average(g["agreement"].fillna(0), weights=g["agreement_n"].fillna(0))
                                         if g["agreement_n"].fillna(0).sum() > 0 else np.nan,
                                         include_groups=False).to_numpy()
    out["spammer_share"] = grouped["spammer"].mean().to_numpy()
    out["adversarial_share"] = grouped["adversarial"].mean().to_numpy()
    if "gold_accuracy" in table.columns:
        out["gold_accuracy"] = grouped.apply(
            lambda g: np.average(g["gold_accuracy"].fillna(0), weights=g["gold_n"].fillna(0))
            if g["gold_n"].fillna(0).sum() > 0 else np.nan, include_groups=False).to_numpy()
    if has_cost:
        out["cost_per_judgment"] = grouped.apply(lambda g: np.average(g["cost_per_judgment"], weights=g["n"]),
                                                 include_groups=False).to_numpy()
        out["quality_per_cost"] = out["reliability"] / out["cost_per_judgment"]
    out = out.sort_values("reliability").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out
