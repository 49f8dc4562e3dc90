"""Judge bias probes: position, length/verbosity, self-preference, run-to-run instability, leniency."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from alignlab._params import CONFIDENCE_LEVEL, DataError, Interval, InvalidParameterError, validate_params
from alignlab.alignment._data import (
    has_weights,
    item_weights,
    numeric_values,
    per_item_scores,
    resolve,
    weights_ignored,
)
from alignlab.alignment._results import BiasResult
from alignlab.data.judgments import Judgments

__all__ = ["judge_biases"]

_COLUMNS = ["bias", "estimate", "ci_low", "ci_high", "n", "expected", "ci_method", "detail"]


def _wilson(successes: float, n: int, level: float) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    low, high = proportion_confint(successes, n, alpha=1 - level, method="wilson")
    return float(low), float(high)


def _rate_row(bias: str, hits: np.ndarray, level: float, expected: float, detail: str) -> dict[str, Any]:
    n = int(hits.size)
    est = float(hits.mean()) if n else math.nan
    low, high = _wilson(float(hits.sum()), n, level)
    return {"bias": bias, "estimate": est, "ci_low": low, "ci_high": high, "n": n, "expected": expected,
            "ci_method": "wilson", "detail": detail}


def _mean_row(bias: str, values: np.ndarray, level: float, expected: float, detail: str) -> dict[str, Any]:
    n = int(values.size)
    if n < 2:
        return {"bias": bias, "estimate": float(values.mean()) if n else math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "n": n, "expected": expected, "ci_method": "none", "detail": detail}
    se = float(values.std(ddof=1) / math.sqrt(n))
    t = stats.t.ppf(0.5 + level / 2, n - 1)
    est = float(values.mean())
    return {"bias": bias, "estimate": est, "ci_low": est - t * se, "ci_high": est + t * se, "n": n,
            "expected": expected, "ci_method": "t", "detail": detail}


def _weighted_mean_row(bias: str, values: np.ndarray, weights: np.ndarray, level: float, expected: float,
                       detail: str) -> dict[str, Any]:
    """Weighted mean with a t interval, weights as frequencies (statsmodels DescrStatsW): an integer weight
    k gives the interval of the item repeated k times."""
    n = int(values.size)
    if n < 2 or weights.sum() <= 1:
        return _mean_row(bias, values, level, expected, detail)
    described = DescrStatsW(values, weights=weights, ddof=1)
    low, high = described.tconfint_mean(alpha=1 - level)
    return {"bias": bias, "estimate": float(described.mean), "ci_low": float(low), "ci_high": float(high), "n": n,
            "expected": expected, "ci_method": "t(weighted, frequency weights)", "detail": detail}


def _leniency_row(bias: str, errors: np.ndarray, weights: np.ndarray | None, level: float,
                  detail: str) -> dict[str, Any]:
    """Mean signed error (expected 0) with its t interval, item-weighted when the table has weights."""
    if weights is None:
        return _mean_row(bias, errors, level, 0.0, detail)
    return _weighted_mean_row(bias, errors, weights, level, 0.0, f"weighted {detail}")


def _diff_row(bias: str, a: np.ndarray, b: np.ndarray, level: float, detail: str) -> dict[str, Any]:
    """Difference of two proportions / means (independent), Wald interval."""
    if a.size < 2 or b.size < 2:
        return {"bias": bias, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "n": int(a.size + b.size), "expected": 0.0, "ci_method": "none", "detail": detail}
    est = float(a.mean() - b.mean())
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    z = stats.norm.ppf(0.5 + level / 2)
    return {"bias": bias, "estimate": est, "ci_low": est - z * se, "ci_high": est + z * se,
            "n": int(a.size + b.size), "expected": 0.0, "ci_method": "normal(two-sample)", "detail": detail}


def _item_column(judgments: Judgments, column: str, argument: str) -> pd.Series:
    if column not in judgments.frame.columns:
        raise InvalidParameterError(f"The {argument!r} argument names column {column!r}, which is not in the table; columns "
                         f"are {list(judgments.frame.columns)}.")
    return judgments.frame.drop_duplicates("item_id").set_index("item_id")[column]


@validate_params({
    "judgments": [Judgments],
    "raters": [str],
    "reference": ["str-or-list"],
    "swap": [str, None],
    "length": [str, None],
    "length_a": [str, None],
    "length_b": [str, None],
    "min_length_difference": [Interval("real", 0, None)],
    "judge_family": [str, None],
    "system_family": [Mapping, None],
    "segments": [list, tuple, None],
    "confidence_level": CONFIDENCE_LEVEL,
})
def judge_biases(
    judgments: Judgments,
    *,
    raters: str,
    reference: str | Sequence[str] = "human",
    swap: str | None = None,
    length: str | None = None,
    length_a: str | None = None,
    length_b: str | None = None,
    min_length_difference: float = 30.0,
    judge_family: str | None = None,
    system_family: Mapping[str, str] | None = None,
    segments: Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> BiasResult:
    """Measure a judge's biases, each with an interval; only the probes the data supports are run.

    Parameters
    ----------
    raters : str
        The judge's rater id or method name.
    reference : str or list of str, default "human"
        The reference humans (their per-item mean; pairwise: P(A preferred) with ties = 0.5).
    swap : str, optional
        Pairwise only: column whose value is shared by the two items that show the same comparison in
        both orders (``"pair_id"`` for tables with the ``order``/``pair_id`` columns). Enables position
        consistency and flip rate. Position consistency is the share of pairs whose swapped verdict,
        mapped back (A <-> B, tie stays tie), equals the original verdict: the definition of
        :func:`alignlab.alignment.judges.judge_accuracy`, which also counts abstentions.
    length, length_a, length_b : str, optional
        Output length column (single outputs) or the lengths of the A and B outputs (pairwise), e.g.
        characters. Enables the verbosity probes.
    min_length_difference : float
        P(prefer longer) counts pairs whose lengths differ by more than this (30 characters).
    judge_family, system_family : optional
        The judge's model family and a mapping system -> family; enables self-preference.
    segments : list of str, optional
        Segment columns for leniency per segment (default: the table's segments with <= 20 levels).

    Returns
    -------
    BiasResult
        ``to_frame()``: one row per bias (``bias``, ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``expected``
        value for an unbiased judge, ``ci_method``, ``detail``).

    Notes
    -----
    Position: Zheng et al. 2023 (consistency under swap), Wang et al. 2023; verbosity: P(prefer longer)
    and an OLS of the judge - human error on the length difference with HC3 robust SEs (statsmodels),
    Dubois et al. 2024; self-preference: judge win rate for its own family minus the humans' on the same
    pairs; leniency: mean signed error judge - human (ordinal/continuous) or P(judge pass | human fail)
    (binary), Thakur et al. 2024; instability: agreement between repeated judgments of an item.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import judge_biases
    >>> j = alignlab.datasets.load("pandalm")
    >>> table = judge_biases(j, raters="gpt-3.5-turbo", length_a="len_a", length_b="len_b").to_frame()
    >>> "prefers_longer" in set(table["bias"])
    True
    """
    level = confidence_level
    judge_raters = resolve(judgments, raters, "raters")
    human_raters = [r for r in resolve(judgments, reference, "reference") if r not in judge_raters]
    if not human_raters:
        raise InvalidParameterError("judge_biases needs human raters besides the judge; check the 'reference' argument.")
    judge_scores = per_item_scores(judgments, judge_raters, label="judge")
    human_scores = per_item_scores(judgments, human_raters, label="humans")
    common = judge_scores.index.intersection(human_scores.index)
    js, hs = judge_scores.loc[common].to_numpy(float), human_scores.loc[common].to_numpy(float)
    rows: list[dict[str, Any]] = []
    pairwise = judgments.scale.kind == "pairwise"
    # item weights (mean 'weight' of the item's judgments) apply to the leniency of ordinal/continuous
    # scales (a weighted mean error); the rate and regression probes stay unweighted, and say so
    unit_weight = item_weights(judgments, common) if judgments.scale.kind in ("ordinal", "continuous") else None
    notes = []
    if has_weights(judgments):
        ignored = weights_ignored(
            judgments, "judge_biases", "the position, verbosity, self-preference, instability and binary-leniency probes "
            "are unweighted rates and regressions (only the ordinal/continuous leniency is weighted)")
        notes.append(ignored)

    if pairwise:
        decisive_j = judge_scores[judge_scores != 0.5]
        decisive_h = human_scores.loc[common][human_scores.loc[common] != 0.5]
        rows.append(_rate_row("first_position_rate", (decisive_j == 1.0).to_numpy(), level,
                              float((decisive_h == 1.0).mean()) if len(decisive_h) else math.nan,
                              "P(judge prefers the first output | not a tie); expected: the humans' rate"))
        if swap is not None:
            rows += _position_rows(judgments, judge_scores, swap, level)
        if length_a is not None and length_b is not None:
            la = _item_column(judgments, length_a, "length_a").loc[common].to_numpy(float)
            lb = _item_column(judgments, length_b, "length_b").loc[common].to_numpy(float)
            diff = la - lb
            clear = (np.abs(diff) > min_length_difference) & (js != 0.5)
            prefers_longer = (js[clear] == 1.0) == (diff[clear] > 0)
            h_clear = (np.abs(diff) > min_length_difference) & (hs != 0.5)
            h_longer = ((hs[h_clear] > 0.5) == (diff[h_clear] > 0)).mean() if h_clear.any() else math.nan
            rows.append(_rate_row("prefers_longer", prefers_longer, level, float(h_longer),
                                  f"P(judge prefers the longer output), |length difference| > "
                                  f"{min_length_difference:g}; expected: the humans' rate"))
            rows.append(_length_regression(js - hs, diff, level, "judge - human P(A preferred)"))
    else:
        if length is not None:
            lengths = _item_column(judgments, length, "length").loc[common].to_numpy(float)
            rows.append(_length_regression(js - hs, lengths - lengths.mean(), level, "judge - human score"))
    if judge_family is not None and system_family is not None:
        rows += _self_preference(judgments, common, js, hs, judge_family, system_family, level)
    rows += _instability(judgments, judge_raters, level)
    if judgments.scale.kind == "binary":
        positive = float(judgments.scale.numeric_levels()[1])
        human_fail = hs < 0.5 * (positive + float(judgments.scale.numeric_levels()[0]))
        judge_pass = js >= 0.5 * (positive + float(judgments.scale.numeric_levels()[0]))
        rows.append(_rate_row("leniency", judge_pass[human_fail], level, math.nan,
                              "P(judge pass | human majority fail)"))
    elif judgments.scale.kind in ("ordinal", "continuous"):
        rows.append(_leniency_row("leniency", js - hs, unit_weight, level, "mean signed error judge - human"))
        seg_cols = segments if segments is not None else [
            s for s in judgments.segments if judgments.frame[s].nunique() <= 20]
        for column in seg_cols:
            seg = _item_column(judgments, column, "segments").loc[common].astype(str).to_numpy()
            for value in np.unique(seg):
                mask = seg == value
                rows.append(_leniency_row(f"leniency[{column}={value}]", js[mask] - hs[mask],
                                          None if unit_weight is None else unit_weight[mask], level,
                                          "mean signed error judge - human in the segment"))
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return BiasResult(table=table, judge=raters, confidence_level=confidence_level,
                      method=f"judge_biases[{raters}]", warnings=tuple(notes))


def _position_rows(judgments: Judgments, judge_scores: pd.Series, swap: str, level: float) -> list[dict[str, Any]]:
    key = _item_column(judgments, swap, "swap").loc[judge_scores.index]
    frame = pd.DataFrame({"key": key.to_numpy(), "v": judge_scores.to_numpy()})
    sizes = frame.groupby("key")["v"].transform("size")
    both = frame[sizes == 2].sort_values("key")
    if both.empty:
        raise DataError(f"No value of the swap column {swap!r} has exactly two judged items (both orders).")
    first = both.groupby("key")["v"].first().to_numpy()
    second = both.groupby("key")["v"].last().to_numpy()
    # the same underlying winner after the swap: A then B, B then A, or tie both times
    consistent = np.isclose(first + second, 1.0) & ((first != 0.5) | (second == 0.5))
    flipped = (first != 0.5) & (second != 0.5) & (first == second)
    return [
        _rate_row("position_consistency", consistent, level, 1.0,
                  "P(same winner after swapping the order); expected 1"),
        _rate_row("position_flip_rate", flipped, level, 0.0,
                  "P(a decisive verdict picks the other output after the swap)"),
    ]


def _length_regression(error: np.ndarray, length_diff: np.ndarray, level: float, what: str) -> dict[str, Any]:
    ok = np.isfinite(error) & np.isfinite(length_diff)
    x = length_diff[ok] / 100.0
    if ok.sum() < 10 or np.ptp(x) == 0:
        return {"bias": "length_slope", "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "n": int(ok.sum()), "expected": 0.0, "ci_method": "none", "detail": "too few items"}
    fit = sm.OLS(error[ok], sm.add_constant(x)).fit(cov_type="HC3")
    low, high = fit.conf_int(alpha=1 - level)[1]
    return {"bias": "length_slope", "estimate": float(fit.params[1]), "ci_low": float(low), "ci_high": float(high),
            "n": int(ok.sum()), "expected": 0.0, "ci_method": "OLS with HC3 robust SE",
            "detail": f"change in ({what}) per 100 characters of length difference"}


def _self_preference(judgments: Judgments, common: pd.Index, js: np.ndarray, hs: np.ndarray, judge_family: str,
                     system_family: Mapping[str, str], level: float) -> list[dict[str, Any]]:
    info = judgments.item_info.set_index("item_id").loc[common]
    if judgments.scale.kind == "pairwise":
        if "system_a" not in info.columns or "system_b" not in info.columns:
            raise DataError("Self-preference on pairwise data needs system_a and system_b columns.")
        fam_a = info["system_a"].map(system_family).to_numpy()
        fam_b = info["system_b"].map(system_family).to_numpy()
        own_a = (fam_a == judge_family) & (fam_b != judge_family)
        own_b = (fam_b == judge_family) & (fam_a != judge_family)
        mask = own_a | own_b
        if not mask.any():
            return []
        judge_own = np.where(own_a, js, 1 - js)[mask]
        human_own = np.where(own_a, hs, 1 - hs)[mask]
        row = _mean_row("self_preference", judge_own - human_own, level, 0.0,
                        f"judge win rate of its own family ({judge_family}) minus the humans' on the same pairs")
        return [row]
    if "system" not in info.columns:
        raise DataError("Self-preference needs a 'system' (or system_a/system_b) column.")
    fam = info["system"].map(system_family).to_numpy()
    own = fam == judge_family
    if not own.any() or own.all():
        return []
    error = js - hs
    return [_diff_row("self_preference", error[own], error[~own], level,
                      f"mean (judge - human) on its own family ({judge_family}) minus on other systems")]


def _instability(judgments: Judgments, judge_raters: list[Any], level: float) -> list[dict[str, Any]]:
    mask = judgments.frame["rater_id"].isin(judge_raters).to_numpy()
    items = judgments.item_codes[mask]
    raters = judgments.rater_codes[mask]
    key = items * np.int64(judgments.n_raters) + raters
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    repeated = counts[inverse] >= 2
    if not repeated.any():
        return []
    values = numeric_values(judgments)[mask][repeated]
    groups = inverse[repeated]
    frame = pd.DataFrame({"g": groups, "v": values})
    if judgments.scale.is_discrete:
        stable = frame.groupby("g")["v"].nunique().to_numpy() == 1
        return [_rate_row("run_to_run_agreement", stable, level, 1.0,
                          "P(all repeated judgments of an item agree)")]
    sd = frame.groupby("g")["v"].std(ddof=1).to_numpy()
    return [_mean_row("run_to_run_sd", sd, level, 0.0, "mean SD of repeated judgments of an item")]
