"""Shared helpers of the continuous, ordinal and pairwise rater models (family ``annotators_continuous``).

Groups, online signals, rater-history priors and the per-group summaries are the same for the three
models, so they live here once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # the normal quantile by special.ndtri (scipy.stats costs ~0.5 s to import)

from alignlab._params import DataError, InvalidParameterError
from alignlab.data import Judgments

__all__ = [
    "rater_groups",
    "online_signals",
    "history_priors",
    "group_summary",
    "normal_interval",
    "z_value",
]


def z_value(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2.0))


def normal_interval(estimate: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = z_value(level)
    return estimate - z * se, estimate + z * se


def rater_groups(info: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Group code per rater: ``method`` or ``method/vendor`` when a vendor is given."""
    method = info["method"].astype(str)
    if "vendor" in info.columns and info["vendor"].notna().any():
        label = method + "/" + info["vendor"].astype(object).where(info["vendor"].notna(), "-").astype(str)
    else:
        label = method
    codes, uniques = pd.factorize(label, sort=True)
    return codes.astype(np.int64), pd.Index(uniques, name="group")


def online_signals(judgments: Judgments) -> pd.DataFrame | None:
    """Per-item online aggregates mapped onto the items of the judgments table (``None`` if absent).

    Returns ``item_code, signal, successes, trials, logit, logit_var`` (empirical logit with the
    0.5 continuity correction and its binomial sampling variance).
    """
    agg = judgments.aggregates
    if agg is None or len(agg) == 0:
        return None
    codes = judgments.items.get_indexer(agg["item_id"])
    keep = codes >= 0
    if not keep.any():
        return None
    agg = agg.loc[keep]
    s = agg["successes"].to_numpy(dtype=float)
    t = agg["trials"].to_numpy(dtype=float)
    logit = np.log((s + 0.5) / (t - s + 0.5))
    logit_var = 1.0 / (s + 0.5) + 1.0 / (t - s + 0.5)
    return pd.DataFrame({
        "item_code": codes[keep], "signal": agg["rater_id"].astype(str).to_numpy(),
        "method": agg["method"].astype(str).to_numpy() if "method" in agg.columns else "online",
        "successes": s, "trials": t, "logit": logit, "logit_var": logit_var,
    })


def history_priors(rater_priors: pd.DataFrame | None, raters: pd.Index, columns: tuple[str, ...],
                   caller: str) -> dict[str, np.ndarray]:
    """Per-rater prior arrays (NaN where a rater has no history) from a ``rater_priors`` frame."""
    out = {c: np.full(len(raters), np.nan) for c in columns}
    if rater_priors is None:
        return out
    if "rater_id" not in rater_priors.columns:
        raise DataError(f"The 'rater_priors' frame of {caller} needs a 'rater_id' column; it has "
                         f"{list(rater_priors.columns)}.")
    # an earlier fit's standard error is its estimate's sd: ``raters_[["rater_id", "bias", "bias_se"]]``
    # passes back as is (the normal approximation of that posterior becomes the new prior)
    aliases = {f"{c[:-3]}_se": c for c in columns
               if c.endswith("_sd") and c[:-3] in columns and c not in rater_priors.columns}
    rater_priors = rater_priors.rename(columns=aliases)
    unknown = [c for c in rater_priors.columns if c != "rater_id" and c not in columns]
    if unknown:
        raise InvalidParameterError(f"The 'rater_priors' frame of {caller} has unknown columns {unknown}; "
                         f"use {list(columns)}.")
    pos = raters.get_indexer(rater_priors["rater_id"])
    found = pos >= 0
    for c in columns:
        if c in rater_priors.columns:
            values = pd.to_numeric(rater_priors[c], errors="coerce").to_numpy(dtype=float)
            if c.endswith("_sd") and np.any(values[np.isfinite(values)] <= 0):
                raise InvalidParameterError(f"The 'rater_priors' column {c!r} of {caller} must be positive.")
            out[c][pos[found]] = values[found]
    return out


def group_summary(raters: pd.DataFrame, value_columns: tuple[str, ...], se_columns: tuple[str, ...],
                  level: float) -> pd.DataFrame:
    """Mean of the rater estimates per method and per vendor, with a normal interval.

    The interval is for the average of *these* raters (their estimation error only): SE =
    sqrt(sum of squared rater SEs) / n_raters.
    """
    rows: list[dict[str, Any]] = []
    levels = [("method", "method")]
    if "vendor" in raters.columns and raters["vendor"].notna().any():
        levels.append(("vendor", "vendor"))
    z = z_value(level)
    for level_name, column in levels:
        for key, grp in raters.groupby(column, sort=True):
            row: dict[str, Any] = {"level": level_name, "group": key, "n_raters": len(grp), "n": float(grp["n"].sum())}
            for value, se in zip(value_columns, se_columns, strict=True):
                est = float(grp[value].mean())
                s = float(np.sqrt(np.sum(grp[se].to_numpy(dtype=float) ** 2)) / len(grp))
                row[value], row[f"{value}_low"], row[f"{value}_high"] = est, est - z * s, est + z * s
            rows.append(row)
    return pd.DataFrame(rows)
