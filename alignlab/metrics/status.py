"""Status of a metric: did it move against the previous run, does it meet its target?

One function, :func:`change_status`, decides *better / worse / no detectable change* for every consumer
(the dashboard, :func:`~alignlab.metrics.metrics_summary`, the CLI), so a stronger regression test can
replace it in one place. Today it is the plain interval comparison of the difference of two independent
estimates: ``d = current - previous``, ``SE(d) = sqrt(SE_current^2 + SE_previous^2)`` and the normal
interval ``d +/- z SE(d)``. A change is called only when that interval excludes 0 *and* the difference is
at least the metric's minimum meaningful change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy import stats

__all__ = ["Change", "change_status", "target_status", "latest_status", "STATUSES"]

#: the three change statuses
STATUSES = ("better", "worse", "no detectable change")


@dataclass(frozen=True)
class Change:
    """The change of a metric between two runs.

    Attributes
    ----------
    status : {"better", "worse", "no detectable change"}
        ``"no detectable change"`` also when there is no previous run (``difference`` is NaN).
    difference, ci_low, ci_high, standard_error : float
        ``current - previous`` with its normal interval.
    detail : str
        Why, in words.
    """

    status: str
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    standard_error: float = math.nan
    detail: str = ""


def change_status(
    current: float,
    current_se: float,
    previous: float,
    previous_se: float,
    *,
    higher_is_better: bool = True,
    min_change: float | None = None,
    confidence_level: float = 0.95,
) -> Change:
    """Better, worse or no detectable change between two independent estimates.

    >>> change_status(0.60, 0.02, 0.70, 0.02).status
    'worse'
    >>> change_status(0.60, 0.02, 0.70, 0.02, higher_is_better=False).status
    'better'
    >>> change_status(0.69, 0.02, 0.70, 0.02).status
    'no detectable change'
    >>> change_status(0.60, 0.02, 0.70, 0.02, min_change=0.2).detail
    'the difference -0.100 is detectable but smaller than the minimum meaningful change 0.2'
    """
    values = (current, current_se, previous, previous_se)
    if any(v is None or not math.isfinite(float(v)) for v in (current, previous)):
        return Change("no detectable change", detail="no previous value to compare with")
    d = float(current) - float(previous)
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return Change("no detectable change", difference=d, detail="a standard error is missing; no test is possible")
    se = math.hypot(float(current_se), float(previous_se))
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    low, high = d - z * se, d + z * se
    if low <= 0 <= high:
        return Change("no detectable change", d, low, high, se,
                      f"the {confidence_level:.0%} interval of the difference ({low:.3f} to {high:.3f}) covers 0")
    if min_change is not None and abs(d) < min_change:
        return Change("no detectable change", d, low, high, se,
                      f"the difference {d:.3f} is detectable but smaller than the minimum meaningful change "
                      f"{min_change:g}")
    improved = (d > 0) == bool(higher_is_better)
    return Change("better" if improved else "worse", d, low, high, se,
                  f"difference {d:+.3f} ({confidence_level:.0%} CI {low:.3f} to {high:.3f}) excludes 0")


def target_status(estimate: float, ci_low: float, ci_high: float, target: float | None,
                  *, higher_is_better: bool = True) -> str:
    """``"meets target"`` (the whole interval on the good side), ``"misses target"`` (the whole interval on
    the bad side), ``"undetermined"`` (the interval covers the target) or ``"no target"``.

    >>> target_status(0.8, 0.75, 0.85, 0.7)
    'meets target'
    >>> target_status(0.8, 0.75, 0.85, 0.7, higher_is_better=False)
    'misses target'
    """
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return "no target"
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (estimate, ci_low, ci_high)):
        return "undetermined"
    if higher_is_better:
        return "meets target" if ci_low >= target else ("misses target" if ci_high < target else "undetermined")
    return "meets target" if ci_high <= target else ("misses target" if ci_low > target else "undetermined")


def latest_status(history: pd.DataFrame) -> dict[str, Any]:
    """The change of one series' last run against the run before it (``history``: one metric and
    segment, oldest first, as :meth:`Store.history` returns)."""
    if history.empty:
        return {"status": "no detectable change", "detail": "no run", "difference": math.nan}
    cur = history.iloc[-1]
    if len(history) < 2:
        return {"status": "no detectable change", "detail": "first run: nothing to compare with",
                "difference": math.nan}
    prev = history.iloc[-2]
    ch = change_status(cur["estimate"], cur["standard_error"], prev["estimate"], prev["standard_error"],
                       higher_is_better=bool(cur["higher_is_better"]),
                       min_change=None if pd.isna(cur["min_change"]) else float(cur["min_change"]),
                       confidence_level=float(cur["confidence_level"]))
    return {"status": ch.status, "detail": ch.detail, "difference": ch.difference, "previous": prev["run_label"]}
