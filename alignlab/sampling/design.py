"""Sampling design for the next data collection: how many items, in which segments."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower
from statsmodels.stats.proportion import proportion_effectsize

from alignlab._params import (
    CONFIDENCE_LEVEL,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    validate_params,
)
from alignlab.results import EstimateResult, TableResult

__all__ = [
    "plan_sample",
    "SamplePlan",
    "sample_size_difference",
    "SampleSizeResult",
    "expected_half_width",
    "segment_sample_size",
]

PLAN_COLUMNS = ["segment", "production_share", "rate", "sd", "cost", "current_n", "target_n", "to_collect",
                "expected_half_width", "ci_method"]
_SMALL_COUNT = 10  # "auto" switches from Wald to Wilson below n·min(p, 1 − p) = 10


# --------------------------------------------------------------------------------------------------
# per-segment precision
# --------------------------------------------------------------------------------------------------
def _fpc(n: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Finite-population factor (N − n)/(N − 1) applied to the variance (1 where N is unknown)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(np.isfinite(population) & (population > 1), (population - n) / (population - 1), 1.0)
    return np.clip(f, 0.0, 1.0)


def _resolve_method(ci_method: str, n: np.ndarray, rate: np.ndarray) -> np.ndarray:
    if ci_method != "auto":
        return np.full(n.shape, ci_method, dtype=object)
    small = n * np.minimum(rate, 1 - rate) < _SMALL_COUNT
    return np.where(small, "wilson", "wald").astype(object)


def expected_half_width(
    n: Any, rate: Any = None, *, sd: Any = None, confidence_level: float = 0.95, ci_method: str = "auto",
    population: Any = None,
) -> np.ndarray:
    """Expected half-width of a segment's interval with ``n`` items at the given rate (or SD).

    ``ci_method``: ``"wald"`` z√(p(1 − p)/n), ``"wilson"`` / ``"jeffreys"`` half the width of the
    interval at the expected count n·p, ``"auto"`` Wilson when n·min(p, 1 − p) < 10 else Wald. With
    ``sd`` (a continuous metric) the Wald form z·sd/√n is used. ``population`` applies the FPC.

    Examples
    --------
    >>> float(expected_half_width(350, 0.35, ci_method="wald").round(4))
    0.05
    """
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    pop = np.full(n.shape, np.inf) if population is None else np.broadcast_to(np.asarray(population, float), n.shape)
    fpc = _fpc(n, pop)
    if sd is not None:
        sd = np.broadcast_to(np.asarray(sd, dtype=float), n.shape)
        with np.errstate(divide="ignore"):
            return z * sd * np.sqrt(fpc / n)
    p = np.broadcast_to(np.asarray(rate, dtype=float), n.shape)
    methods = _resolve_method(ci_method, n, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        wald = z * np.sqrt(p * (1 - p) * fpc / n)
        denom = 1 + z**2 / n
        wilson = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) * np.sqrt(fpc)
        a, b = n * p + 0.5, n * (1 - p) + 0.5
        alpha = 1 - confidence_level
        jeffreys = 0.5 * (stats.beta.ppf(1 - alpha / 2, a, b) - stats.beta.ppf(alpha / 2, a, b)) * np.sqrt(fpc)
    out = np.where(methods == "wilson", wilson, np.where(methods == "jeffreys", jeffreys, wald))
    return np.where(n > 0, out, np.inf)


def segment_sample_size(
    half_width: float, rate: Any = None, *, sd: Any = None, confidence_level: float = 0.95,
    ci_method: str = "auto", population: Any = None,
) -> np.ndarray:
    """Smallest n per segment whose expected interval half-width is ≤ ``half_width``.

    Wald: n0 = z² p(1 − p)/e² (statsmodels ``samplesize_confint_proportion``), then the FPC
    n0/(1 + (n0 − 1)/N); Wilson/Jeffreys: the smallest integer n by bisection (Cochran 1977, §4.4).

    Examples
    --------
    >>> segment_sample_size(0.05, [0.05, 0.35], ci_method="wald").tolist()
    [73, 350]
    """
    rate_arr = None if rate is None else np.atleast_1d(np.asarray(rate, dtype=float))
    sd_arr = None if sd is None else np.atleast_1d(np.asarray(sd, dtype=float))
    shape = (rate_arr if rate_arr is not None else sd_arr).shape  # type: ignore[union-attr]
    pop = np.full(shape, np.inf) if population is None else np.broadcast_to(np.asarray(population, float), shape)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    variance = sd_arr**2 if sd_arr is not None else rate_arr * (1 - rate_arr)  # type: ignore[operator]
    n0 = z**2 * variance / half_width**2
    with np.errstate(divide="ignore", invalid="ignore"):
        wald = np.where(np.isfinite(pop), n0 / (1 + (n0 - 1) / pop), n0)
    wald_n = np.maximum(np.ceil(wald - 1e-9), 1)
    if sd_arr is not None or ci_method == "wald":
        return wald_n.astype(np.int64)
    # bisection on integers for Wilson / Jeffreys (monotone in n for fixed p)
    low = np.ones(shape)
    high = np.maximum(4 * wald_n + 100, 100.0)
    high = np.where(np.isfinite(pop), np.minimum(high, pop), high)
    for _ in range(64):
        mid = np.floor((low + high) / 2)
        ok = expected_half_width(mid, rate_arr, confidence_level=confidence_level, ci_method=ci_method,
                                 population=pop) <= half_width
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid + 1)
        if np.all(low >= high):
            break
    return high.astype(np.int64)


# --------------------------------------------------------------------------------------------------
# allocation
# --------------------------------------------------------------------------------------------------
def _allocate_continuous(total: float, shape: np.ndarray, cost: np.ndarray, floor: np.ndarray,
                         cap: np.ndarray) -> np.ndarray:
    """n_h = clip(λ a_h, floor, cap) with Σ c_h n_h = total: the KKT solution of the variance
    minimisation with box constraints when a_h is the optimum shape (Cochran 1977, §5.9)."""
    lo_cost, hi_cost = float(np.sum(cost * floor)), float(np.sum(cost * np.where(np.isfinite(cap), cap, np.inf)))
    if total <= lo_cost:
        return floor.astype(float)
    if total >= hi_cost:
        return cap.astype(float)
    if not np.any(shape > 0):
        shape = np.ones_like(shape)

    def spent(lam: float) -> float:
        return float(np.sum(cost * np.clip(lam * shape, floor, cap))) - total

    hi = 1.0
    while spent(hi) < 0:
        hi *= 2
    lam = optimize.brentq(spent, 0.0, hi, xtol=1e-14, rtol=1e-15, maxiter=500)
    return np.clip(lam * shape, floor, cap)


def _round_allocation(x: np.ndarray, total: int, floor: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding to integers summing to ``total`` within [floor, cap]."""
    upper = np.where(np.isfinite(cap), np.floor(cap), 1e18)
    lower = np.ceil(floor - 1e-9)
    base = np.clip(np.floor(x + 1e-9), lower, upper)
    remainder = x - base
    remaining = int(total - base.sum())
    for h in np.argsort(-remainder, kind="stable"):
        if remaining <= 0:
            break
        if base[h] + 1 <= upper[h]:
            base[h] += 1
            remaining -= 1
    for h in np.argsort(remainder, kind="stable"):
        if remaining >= 0:
            break
        if base[h] - 1 >= lower[h]:
            base[h] -= 1
            remaining += 1
    return base.astype(np.int64)


def _overall_variance(n: np.ndarray, weight: np.ndarray, variance: np.ndarray, population: np.ndarray) -> float:
    """Var(Σ W_h ȳ_h) = Σ W_h² (1 − f_h) S_h²/n_h (f_h = n_h/N_h where N_h is known)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(np.isfinite(population), n / population, 0.0)
        terms = np.where(n > 0, weight**2 * (1 - f) * variance / n, np.where(weight * variance > 0, np.inf, 0.0))
    return float(np.sum(terms))


@dataclass(frozen=True, kw_only=True)
class SamplePlan(TableResult):
    """Result of :func:`plan_sample`: the data collection requirements.

    ``to_frame()`` has one row per segment: ``segment``, ``production_share``, ``rate``/``sd``,
    ``cost``, ``current_n``, ``target_n``, ``to_collect`` (target − current, ≥ 0) and the
    ``expected_half_width`` of the segment's interval at ``target_n``.

    Attributes
    ----------
    total_n, total_to_collect : int
        Items in the plan and items to collect.
    total_cost : float
        Σ cost × to_collect (= ``total_to_collect`` without a cost column).
    overall_half_width : float
        Expected half-width of the production-weighted overall estimate at ``target_n``
        (× √deff for later reweighting).
    n_required : float
        For a ``half_width`` target: the continuous total n from the closed form (before rounding).
    n_simple_random : int
        Simple random sample size for the same overall half-width (or the budget).
    n_difference : int or None
        Items needed to detect ``detect_difference`` (see :func:`sample_size_difference`).
    """

    allocation: str = "neyman"
    total_n: int = 0
    total_to_collect: int = 0
    total_cost: float = math.nan
    overall_half_width: float = math.nan
    half_width_target: float | None = None
    budget: float | None = None
    n_required: float = math.nan
    n_simple_random: int = 0
    n_difference: int | None = None
    deff: float = 1.0

    def to_csv(self, path: str | Path) -> Path:
        """Write the requirements table as CSV; returns the path."""
        path = Path(path)
        self.table.to_csv(path, index=False)
        return path

    def __str__(self) -> str:
        head = (f"Sampling plan ({self.allocation}): {self.total_n:,} items, {self.total_to_collect:,} to collect; "
                f"overall ±{self.overall_half_width:.4f} at {self.confidence_level:.0%}")
        if self.deff != 1:
            head += f" (deff {self.deff:.3f})"
        with pd.option_context("display.width", 140, "display.precision", 4):
            body = self.table.to_string(index=False)
        lines = [head, body]
        if self.n_difference is not None:
            lines.append(f"items to detect the requested difference: {self.n_difference:,}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _check_segments_frame(frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        if hasattr(frame, "to_pandas"):
            frame = frame.to_pandas()
        elif isinstance(frame, dict):
            frame = pd.DataFrame(frame)
        else:
            raise TypeError(f"segments_frame must be a table (pandas, polars, dict). Got {type(frame).__name__}.")
    frame = frame.reset_index(drop=True)
    missing = [c for c in ("segment", "production_share") if c not in frame.columns]
    if missing:
        raise DataError(f"segments_frame lacks column(s) {missing} (columns: {list(map(str, frame.columns))}). "
                         "Fix: give one row per segment with 'segment', 'production_share' and 'rate' (or 'sd').")
    if len(frame) == 0:
        raise InvalidParameterError("segments_frame has no rows. Fix: give one row per segment.")
    if "rate" not in frame.columns and "sd" not in frame.columns:
        raise InvalidParameterError("segments_frame needs a 'rate' column (the metric's proportion in each segment) or an "
                         "'sd' column (its standard deviation). Fix: add one; use rate=0.5 when unknown "
                         "(the worst case).")

    def numeric(column: str, *, low: float, high: float = np.inf, closed_low: bool = True) -> np.ndarray:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < low if closed_low else values <= low) | (values > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            bound = f"in [{low:g}, {high:g}]" if np.isfinite(high) else (f">= {low:g}" if closed_low else f"> {low:g}")
            raise InvalidParameterError(f"Column {column!r} of segments_frame must be a number {bound}; row {row} "
                             f"(segment {frame['segment'].iloc[row]!r}) has {frame[column].iloc[row]!r}. "
                             f"Fix: correct the value.")
        return values

    out = pd.DataFrame({"segment": frame["segment"].astype(str)})
    share = numeric("production_share", low=0.0)
    if share.sum() <= 0:
        raise DataError("Column 'production_share' of segments_frame sums to 0. Fix: give each segment's share "
                         "of production traffic.")
    out["production_share"] = share / share.sum()
    out["rate"] = numeric("rate", low=0.0, high=1.0) if "rate" in frame.columns else np.nan
    out["sd"] = (numeric("sd", low=0.0) if "sd" in frame.columns
                 else np.sqrt(out["rate"] * (1 - out["rate"])))
    out["cost"] = numeric("cost", low=0.0, closed_low=False) if "cost" in frame.columns else 1.0
    current = numeric("current_n", low=0.0) if "current_n" in frame.columns else np.zeros(len(frame))
    out["current_n"] = np.round(current).astype(np.int64)
    out["population"] = numeric("population", low=1.0) if "population" in frame.columns else np.inf
    if out["segment"].duplicated().any():
        dup = out["segment"][out["segment"].duplicated()].iloc[0]
        raise DataError(f"Segment {dup!r} appears twice in segments_frame. Fix: one row per segment.")
    return out


@validate_params({
    "budget": [Interval("real", 0, None, closed="neither"), None],
    "half_width": [Interval("real", 0, None, closed="neither"), None],
    "segment_half_width": [Interval("real", 0, None, closed="neither"), None],
    "allocation": [Options(("neyman", "proportional", "power", "equal"))],
    "power_exponent": [Interval("real", 0, 1, closed="both")],
    "min_per_segment": [Interval("integral", 0, None)],
    "max_per_segment": [Interval("integral", 1, None), None],
    "population_size": [Interval("real", 1, None), None],
    "ci_method": [Options(("auto", "wald", "wilson", "jeffreys"))],
    "deff": [Interval("real", 1, None)],
    "detect_difference": [Interval("real", 0, 1, closed="neither"), None],
    "power": [Interval("real", 0, 1, closed="neither")],
    "paired": ["boolean"],
    "correlation": [Interval("real", -1, 1, closed="neither")],
    "confidence_level": CONFIDENCE_LEVEL,
})
def plan_sample(
    segments_frame: Any,
    *,
    budget: float | None = None,
    half_width: float | None = None,
    segment_half_width: float | None = None,
    allocation: str = "neyman",
    power_exponent: float = 0.5,
    min_per_segment: int = 2,
    max_per_segment: int | None = None,
    population_size: float | None = None,
    ci_method: str = "auto",
    deff: float = 1.0,
    detect_difference: float | None = None,
    power: float = 0.8,
    paired: bool = True,
    correlation: float = 0.5,
    confidence_level: float = 0.95,
) -> SamplePlan:
    """How many items to annotate in each segment.

    Parameters
    ----------
    segments_frame : table
        One row per segment: ``segment``, ``production_share`` (W_h, renormalised to sum to 1),
        ``rate`` (the metric's proportion, 0.5 if unknown) or ``sd``; optionally ``cost`` (per item),
        ``current_n`` (items already annotated) and ``population`` (N_h, for the FPC).
    budget : float, optional
        Items to collect now (in cost units when a ``cost`` column is given). Existing ``current_n``
        items are kept: the plan allocates ``budget + Σ current_n`` with floors at ``current_n``.
    half_width : float, optional
        Target half-width of the overall (production-weighted) estimate; the plan gives the
        smallest total meeting it (with ``deff``) under ``allocation``.
    segment_half_width : float, optional
        Target half-width in every segment (Wald/Wilson/Jeffreys per ``ci_method``, FPC). Combined
        with ``half_width`` the larger n per segment is kept.
    allocation : {"neyman", "proportional", "power", "equal"}
        n_h ∝ W_h S_h/√c_h (optimum; Neyman at equal cost), W_h, W_h^q S_h (q = ``power_exponent``,
        Bankier 1988) or equal.
    min_per_segment, max_per_segment : int
        Floor and cap per segment (caps also at ``population``); the allocation is renormalised
        to the budget under them.
    population_size : float, optional
        Production size N; N_h = W_h N enables the finite-population correction.
    ci_method : {"auto", "wald", "wilson", "jeffreys"}
        Per-segment interval used for the expected half-widths (``auto``: Wilson when
        n·min(p, 1 − p) < 10).
    deff : float
        Design effect of the later reweighting (e.g. ``audit.deff``): the overall variance is
        multiplied by it.
    detect_difference, power, paired, correlation
        Also size a comparison of two versions/methods (see :func:`sample_size_difference`) at the
        overall rate.
    confidence_level : float

    Returns
    -------
    SamplePlan

    Notes
    -----
    Var(Σ W_h ȳ_h) = Σ W_h²(1 − f_h)S_h²/n_h. For a half-width e the closed form is
    n = (Σ W_h² S_h²/a_h)/((e/z)²/deff + Σ W_h S_h²/N) with a_h the allocation shares, which gives
    (Σ W_h S_h)²/((e/z)² + Σ W_h S_h²/N) for Neyman (Cochran 1977, §5.5–5.9; Neyman 1934).

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.sampling import plan_sample
    >>> frame = pd.DataFrame({"segment": list("ABCDEF"),
    ...                       "production_share": [.40, .25, .05, .15, .03, .12],
    ...                       "rate": [.05, .10, .35, .08, .30, .06]})
    >>> plan = plan_sample(frame, budget=2000, allocation="neyman")
    >>> plan.to_frame()["target_n"].tolist()
    [648, 558, 177, 303, 102, 212]
    >>> round(plan.overall_half_width, 4)
    0.0118
    """
    if budget is None and half_width is None and segment_half_width is None:
        raise DataError("plan_sample needs budget=, half_width= or segment_half_width=: say how many items you "
                         "can annotate, or the precision you need.")
    if budget is not None and (half_width is not None or segment_half_width is not None):
        raise DataError("Give either budget= (allocate a fixed number of items) or a precision target "
                         "(half_width= / segment_half_width=), not both.")
    seg = _check_segments_frame(segments_frame)
    warnings: list[str] = []
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    weight = seg["production_share"].to_numpy()
    sd = seg["sd"].to_numpy(dtype=float)
    variance = sd**2
    cost = seg["cost"].to_numpy(dtype=float)
    current = seg["current_n"].to_numpy(dtype=float)
    population = seg["population"].to_numpy(dtype=float)
    if population_size is not None:
        population = np.where(np.isfinite(population), population, weight * population_size)
    has_cost = bool(np.any(cost != 1.0))
    rate = seg["rate"].to_numpy(dtype=float)

    if allocation == "neyman":
        shape = weight * sd / np.sqrt(cost)
    elif allocation == "proportional":
        shape = weight.copy()
    elif allocation == "power":
        shape = weight**power_exponent * sd
    else:
        shape = np.ones_like(weight)
    floor = np.maximum(float(min_per_segment), current)
    cap = np.full(weight.shape, np.inf) if max_per_segment is None else np.full(weight.shape, float(max_per_segment))
    cap = np.minimum(cap, population)
    cap = np.maximum(cap, floor)  # never ask to drop items already annotated
    n_required = math.nan
    p_overall = float(np.sum(weight * rate)) if np.isfinite(rate).all() else math.nan
    # variance of one item drawn at random from production (segment means unknown with sd= only)
    sigma2_overall = p_overall * (1 - p_overall) if np.isfinite(p_overall) else float(np.sum(weight * variance))

    if budget is not None:
        total_cost = budget + float(np.sum(cost * current))
        if float(np.sum(cost * floor)) > total_cost + 1e-9:
            raise DataError(f"The budget {budget:g} cannot cover the floors ({min_per_segment} per segment and "
                             "the items already annotated). Fix: raise budget= or lower min_per_segment=.")
        x = _allocate_continuous(total_cost, shape, cost, floor, cap)
        if has_cost:
            target = np.floor(x + 1e-9).astype(np.int64)
            # spend what is left greedily by largest remainder while it fits the budget
            left = total_cost - float(np.sum(cost * target))
            for h in np.argsort(-(x - target), kind="stable"):
                if cost[h] <= left + 1e-9 and target[h] + 1 <= cap[h]:
                    target[h] += 1
                    left -= cost[h]
        else:
            target = _round_allocation(x, int(round(total_cost)), floor, cap)
        if float(np.sum(cost * cap)) < total_cost - 1e-9:
            warnings.append("the caps (max_per_segment / population) are below the budget: every segment is at its cap")
        srs_n = float(np.sum(target))
    else:
        target = np.ceil(floor).astype(np.int64)
        srs_n = 0.0
        if half_width is not None:
            var_target = (half_width / z) ** 2 / deff

            def excess(total: float) -> float:
                alloc = _allocate_continuous(total, shape, cost, floor, cap)
                return _overall_variance(alloc, weight, variance, population) - var_target

            lo = float(np.sum(cost * floor))
            hi_limit = float(np.sum(cost * cap))
            if excess(lo) <= 0:
                total = lo
            elif np.isfinite(hi_limit) and excess(hi_limit) > 0:
                raise DataError(f"half_width={half_width:g} cannot be reached even with every segment at its cap. "
                                 "Fix: widen the target or raise max_per_segment=.")
            else:
                hi = max(2 * lo, 16.0)
                while excess(hi) > 0:
                    hi *= 2
                total = optimize.brentq(excess, lo, hi, xtol=1e-10, rtol=1e-14, maxiter=500)
            n_required = total
            x = _allocate_continuous(total, shape, cost, floor, cap)
            n_int = int(math.ceil(total - 1e-9))
            for _ in range(len(weight) + 5):  # rounding can leave the target a hair short: add items
                alloc = (_round_allocation(_allocate_continuous(n_int, shape, cost, floor, cap), n_int, floor, cap)
                         if not has_cost else np.ceil(x - 1e-9).astype(np.int64))
                if _overall_variance(alloc.astype(float), weight, variance, population) <= var_target * (1 + 1e-9) \
                        or has_cost:
                    break
                n_int += 1
            target = np.maximum(target, alloc)
            srs_n = (z / half_width) ** 2 * sigma2_overall * deff
            if population_size is not None:
                srs_n = srs_n / (1 + (srs_n - 1) / population_size)
        if segment_half_width is not None:
            per_segment = segment_sample_size(
                segment_half_width, None if not np.isfinite(rate).all() else rate,
                sd=None if np.isfinite(rate).all() else sd, confidence_level=confidence_level, ci_method=ci_method,
                population=population)
            per_segment = np.minimum(per_segment, np.where(np.isfinite(cap), cap, np.iinfo(np.int64).max))
            target = np.maximum(target, per_segment)
    target = np.asarray(target, dtype=np.int64)
    to_collect = np.maximum(target - current.astype(np.int64), 0)
    hw = (expected_half_width(target, rate, confidence_level=confidence_level, ci_method=ci_method,
                              population=population)
          if np.isfinite(rate).all() else
          expected_half_width(target, sd=sd, confidence_level=confidence_level, population=population))
    methods = (_resolve_method(ci_method, target.astype(float), rate) if np.isfinite(rate).all()
               else np.full(len(target), "wald", dtype=object))
    overall_hw = z * math.sqrt(deff * _overall_variance(target.astype(float), weight, variance, population))
    table = pd.DataFrame({
        "segment": seg["segment"], "production_share": weight, "rate": rate, "sd": sd, "cost": cost,
        "current_n": current.astype(np.int64), "target_n": target, "to_collect": to_collect,
        "expected_half_width": hw, "ci_method": methods,
    })[PLAN_COLUMNS]
    if budget is not None and np.isfinite(p_overall):
        srs_n = float(np.sum(target))
    n_difference = None
    if detect_difference is not None:
        base_rate = p_overall if np.isfinite(p_overall) else None
        diff = sample_size_difference(
            detect_difference, rate=base_rate, sd=None if base_rate is not None else math.sqrt(sigma2_overall),
            paired=paired, correlation=correlation, power=power, alpha=1 - confidence_level)
        n_difference = int(math.ceil(diff.total_n * deff))
    return SamplePlan(
        table=table, method=f"plan_sample[{allocation}]", confidence_level=confidence_level, warnings=tuple(warnings),
        allocation=allocation, total_n=int(target.sum()), total_to_collect=int(to_collect.sum()),
        total_cost=float(np.sum(cost * to_collect)), overall_half_width=overall_hw, half_width_target=half_width,
        budget=budget, n_required=n_required,
        n_simple_random=int(math.ceil(srs_n - 1e-9)) if srs_n else 0,
        n_difference=n_difference, deff=deff,
    )


# --------------------------------------------------------------------------------------------------
# comparing two versions / methods
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SampleSizeResult(EstimateResult):
    """Items needed to detect a difference: ``estimate`` is the total number of items to rate.

    ``n_per_group`` is the items per version (unpaired) or the shared items (paired);
    ``effect_size`` the standardised effect used by statsmodels' power solver.
    """

    statistic = "sample_size"
    n_per_group: int = 0
    total_n: int = 0
    effect_size: float = math.nan
    power: float = 0.8
    alpha: float = 0.05
    paired: bool = False


@validate_params({
    "difference": [Interval("real", 0, None, closed="neither")],
    "rate": [Interval("real", 0, 1, closed="neither"), None],
    "sd": [Interval("real", 0, None, closed="neither"), None],
    "paired": ["boolean"],
    "correlation": [Interval("real", -1, 1, closed="neither")],
    "power": [Interval("real", 0, 1, closed="neither")],
    "alpha": [Interval("real", 0, 1, closed="neither")],
})
def sample_size_difference(
    difference: float,
    *,
    rate: float | None = None,
    sd: float | None = None,
    paired: bool = False,
    correlation: float = 0.5,
    power: float = 0.8,
    alpha: float = 0.05,
) -> SampleSizeResult:
    """Items needed to detect a difference between two versions or methods with given power.

    Parameters
    ----------
    difference : float
        Smallest difference in the metric worth detecting (absolute, e.g. 0.03 in pass rate).
    rate, sd : float
        Baseline pass rate (binary metric) or the metric's SD (continuous). One is required.
    paired : bool
        The same items are rated under both versions: a paired t-test on per-item differences
        with SD √(σ_A² + σ_B² − 2ρσ_Aσ_B) (Miller 2024). Unpaired binary metrics use Cohen's h
        with ``NormalIndPower``; unpaired continuous ones ``TTestIndPower`` (statsmodels).
    correlation : float
        ρ between the two versions' per-item scores (paired only).
    power, alpha : float

    Returns
    -------
    SampleSizeResult

    Examples
    --------
    >>> from alignlab.sampling import sample_size_difference
    >>> sample_size_difference(0.05, rate=0.5).n_per_group
    1565
    """
    if (rate is None) == (sd is None):
        raise DataError("sample_size_difference needs exactly one of rate= (binary metric) or sd= (continuous).")
    if paired:
        if rate is not None:
            rate_b = min(max(rate + difference, 1e-9), 1 - 1e-9)
            var_a, var_b = rate * (1 - rate), rate_b * (1 - rate_b)
        else:
            var_a = var_b = float(sd) ** 2
        sd_diff = math.sqrt(max(var_a + var_b - 2 * correlation * math.sqrt(var_a * var_b), 1e-300))
        effect = difference / sd_diff
        n = TTestPower().solve_power(effect_size=effect, power=power, alpha=alpha, alternative="two-sided")
        method = "paired t-test on per-item differences (statsmodels TTestPower)"
        n_group = int(math.ceil(float(n) - 1e-9))
        total = n_group
    else:
        if rate is not None:
            rate_b = rate + difference
            if rate_b >= 1:
                raise DataError(f"rate + difference = {rate_b:g} is not a proportion below 1. Fix: lower the rate "
                                 "or the difference.")
            effect = abs(float(proportion_effectsize(rate_b, rate)))
            n = NormalIndPower().solve_power(effect_size=effect, power=power, alpha=alpha, ratio=1.0)
            method = "two independent proportions, Cohen's h (statsmodels NormalIndPower)"
        else:
            effect = difference / float(sd)
            n = TTestIndPower().solve_power(effect_size=effect, power=power, alpha=alpha, ratio=1.0)
            method = "two independent means (statsmodels TTestIndPower)"
        n_group = int(math.ceil(float(n) - 1e-9))
        total = 2 * n_group
    return SampleSizeResult(
        estimate=float(total), method=method, ci_method="none", n_per_group=n_group, total_n=total,
        effect_size=float(effect), power=power, alpha=alpha, paired=paired,
    )
