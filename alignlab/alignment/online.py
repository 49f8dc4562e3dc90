"""Online signals (thumbs up, edits, retention) against human and judge quality."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from alignlab._array.alignment_rank import weighted_pearson
from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment._data import per_item_scores, resolve, weights_ignored
from alignlab.alignment._results import OnlineAlignmentResult
from alignlab.data.judgments import Judgments

__all__ = ["online_alignment"]


def _reliability(rate: np.ndarray, trials: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Share of the (trial-weighted) variance of observed rates that is not binomial sampling noise."""
    weight = w * trials
    total = weight.sum(axis=1, keepdims=True)
    mean = (weight * rate).sum(axis=1, keepdims=True) / total
    observed = (weight * (rate - mean) ** 2).sum(axis=1) / total[:, 0]
    # E[sampling variance] of a rate from t trials: p(1 - p)/t, unbiased with t/(t - 1) on the plug-in
    noise_item = rate * (1 - rate) / np.maximum(trials - 1, 1)
    noise = (weight * noise_item).sum(axis=1) / total[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(1 - noise / observed, 1e-6, 1.0)


@validate_params({
    "judgments": [Judgments],
    "signal": [str, None],
    "raters": [list, tuple, None],
    "level": [Options(("item", "system", "both"))],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def online_alignment(
    judgments: Judgments,
    *,
    signal: str | None = None,
    raters: Sequence[str] | None = None,
    level: Literal["item", "system", "both"] = "both",
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> OnlineAlignmentResult:
    """Which method does online behaviour agree with most? Correlation of each method's per-item quality
    with an online rate, corrected for the rate's binomial sampling noise.

    Parameters
    ----------
    signal : str, optional
        The online signal (``rater_id`` of the aggregate rows in ``Judgments.aggregates``); default: the
        only one present.
    raters : list of str, optional
        Methods or rater ids to compare (default: every method of the judgments).
    level : {"item", "system", "both"}

    Returns
    -------
    OnlineAlignmentResult
        ``table``: one row per (method, level) with the trial-weighted Pearson correlation ``estimate``
        and its bootstrap interval, the ``reliability`` of the online rate (1 - mean binomial variance /
        observed variance) and the attenuation-corrected ``corrected`` = r / sqrt(reliability) with its
        interval; ``best_method``: highest corrected item-level correlation.

    Notes
    -----
    Spearman (1904) correction for attenuation, with the noise variance of a rate from t trials,
    p(1 - p)/(t - 1). Only the online rate's noise is corrected; the methods' own noise is not.

    Examples
    --------
    >>> import numpy as np, pandas as pd, alignlab
    >>> from alignlab.alignment import online_alignment
    >>> rng = np.random.default_rng(0)
    >>> q = rng.normal(size=300)
    >>> trials = rng.integers(5, 60, size=300)
    >>> rows = pd.DataFrame({"item": np.arange(300), "rater": "judge", "method": "llm_judge", "value": q})
    >>> agg = pd.DataFrame({"item": np.arange(300), "rater": "thumbs_up", "method": "online",
    ...                     "successes": rng.binomial(trials, 1 / (1 + np.exp(-q))), "trials": trials})
    >>> j = alignlab.load_judgments(pd.concat([rows, agg]), scale="continuous")
    >>> res = online_alignment(j, level="item", n_resamples=200, random_state=0)
    >>> res.best_method
    'llm_judge'
    """
    agg = judgments.aggregates
    if agg is None or agg.empty:
        raise DataError("No online aggregates: load the table with successes= and trials= columns "
                         "(per-item counts such as thumbs up out of impressions).")
    signals = list(pd.unique(agg["rater_id"]))
    if signal is None:
        if len(signals) > 1:
            raise DataError(f"Several online signals {signals}; choose one with signal=...")
        signal = signals[0]
    if signal not in signals:
        raise DataError(f"signal={signal!r} is not among the online signals {signals}.")
    sig = agg[agg["rater_id"] == signal].groupby("item_id")[["successes", "trials"]].sum()
    names = list(raters) if raters is not None else [m for m in judgments.methods if m != "online"]
    rng = check_random_state(random_state)
    rows = []
    for name in names:
        scores = per_item_scores(judgments, resolve(judgments, name, "methods"), label=str(name))
        common = scores.index.intersection(sig.index)
        if len(common) < 5:
            continue
        x = scores.loc[common].to_numpy(float)
        s = sig.loc[common, "successes"].to_numpy(float)
        t = sig.loc[common, "trials"].to_numpy(float)
        system = judgments.item_info.set_index("item_id").loc[common, "system"] if judgments.has("system") else None
        rows += _method_rows(str(name), x, s, t, system, level, rng, n_resamples, confidence_level)
    if not rows:
        raise DataError("No method shares at least 5 items with the online signal.")
    table = pd.DataFrame(rows)
    item_rows = table[table["level"] == "item"]
    ranked = item_rows if not item_rows.empty else table
    best = str(ranked.sort_values("corrected", ascending=False).iloc[0]["method"])
    ignored = weights_ignored(judgments, "online_alignment", "items are weighted by their online trials (binomial "
                              "precision) instead")
    return OnlineAlignmentResult(table=table, signal=str(signal), best_method=best,
                                 warnings=() if ignored is None else (ignored,),
                                 confidence_level=confidence_level,
                                 method=f"online_alignment[{signal}; trial-weighted Pearson, attenuation-corrected]")


def _method_rows(name: str, x: np.ndarray, s: np.ndarray, t: np.ndarray, system: pd.Series | None, level: str,
                 rng: np.random.Generator, n_resamples: int, confidence_level: float) -> list[dict]:
    rate = s / t
    n_items = len(x)
    out = []
    if level in ("item", "both"):
        def item_r(w: np.ndarray) -> np.ndarray:
            return weighted_pearson(x, rate, w * t)

        def item_corrected(w: np.ndarray) -> np.ndarray:
            return item_r(w) / np.sqrt(_reliability(rate, t, w))

        out.append(_row(name, "item", item_r, item_corrected, n_items, rate, t, rng, n_resamples, confidence_level))
    if level in ("system", "both") and system is not None:
        codes, uniq = pd.factorize(system, sort=True)
        if len(uniq) >= 3:
            onehot = np.zeros((n_items, len(uniq)))
            onehot[np.arange(n_items), codes] = 1.0

            def sys_parts(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                ws, wt = (w * s) @ onehot, (w * t) @ onehot
                mean_x = (w * x) @ onehot / (w @ onehot)
                return mean_x, ws / wt, wt

            def sys_r(w: np.ndarray) -> np.ndarray:
                mean_x, sys_rate, _ = sys_parts(w)
                return weighted_pearson(mean_x, sys_rate, np.ones_like(sys_rate))

            def sys_corrected(w: np.ndarray) -> np.ndarray:
                _, sys_rate, wt = sys_parts(w)
                return sys_r(w) / np.sqrt(_reliability(sys_rate, wt, np.ones_like(sys_rate)))

            out.append(_row(name, "system", sys_r, sys_corrected, n_items, rate, t, rng, n_resamples,
                            confidence_level, n_systems=len(uniq)))
    return out


def _row(name: str, level: str, stat, corrected, n_items: int, rate: np.ndarray, trials: np.ndarray,
         rng: np.random.Generator, n_resamples: int, confidence_level: float, n_systems: int = 0) -> dict:
    ones = np.ones((1, n_items))
    raw = bootstrap(stat, n_items, n_resamples=n_resamples, confidence_level=confidence_level,
                    method="percentile", random_state=rng)
    corr = bootstrap(corrected, n_items, n_resamples=n_resamples, confidence_level=confidence_level,
                     method="percentile", random_state=rng)
    reliability = float(_reliability(rate, trials, ones)[0])
    return {"method": name, "level": level, "estimate": float(stat(ones)[0]), "ci_low": raw.low,
            "ci_high": raw.high, "corrected": float(corrected(ones)[0]), "corrected_low": corr.low,
            "corrected_high": corr.high, "reliability": reliability if level == "item" else np.nan,
            "n_items": n_items, "n_systems": n_systems, "ci_method": raw.ci_method}
