"""``trend``: is a metric drifting over runs, did it change at some run, and an interval valid at every look."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._array.compare_kernels import cusum_statistic, mann_kendall, normal_mixture_radius
from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    Interval,
    InvalidParameterError,
    check_random_state,
    validate_params,
)
from alignlab.results import Summary, TableResult

__all__ = ["trend", "TrendResult", "TIME_COLUMNS", "GROUP_COLUMNS"]

#: Default time/run columns, first present wins (the metrics store's history has run_date and run_id).
TIME_COLUMNS = ("run_date", "created_at", "time", "timestamp", "date", "run", "run_id")
#: Columns that name separate series when present with several values.
#: ``system`` is not one of them: in a release history each run is a new system version.
GROUP_COLUMNS = ("feature", "metric", "rater", "role", "segment")
ANYTIME_METHOD = "normal-mixture confidence sequence (Howard et al. 2021, eq. 14), precision-weighted running mean"
CHANGE_METHOD = "at-most-one-change standardised CUSUM, permutation null (false-alarm rate = alpha)"


@dataclass(frozen=True, kw_only=True)
class TrendResult(TableResult):
    """Result of :func:`trend`: one row per series.

    Attributes
    ----------
    table : DataFrame
        Per series (the ``by`` columns): ``n_runs``; Mann-Kendall ``mk_s``, ``mk_variance``, ``kendall_tau``,
        ``mk_p_value``; Sen's slope per run ``sen_slope`` with ``sen_ci_low``/``sen_ci_high``; the OLS slope
        with Newey-West HAC errors ``hac_slope``, ``hac_se``, ``hac_p_value``, ``hac_lags``; ``trend``
        (worsening / improving / no detectable trend, from the Mann-Kendall p); the change point
        ``change_detected``, ``change_run`` (first run after the change), ``change_index``,
        ``change_statistic``, ``change_threshold`` and ``change_p_value`` (permutation),
        ``false_alarm_rate`` (= 1 - confidence_level), ``mean_before``, ``mean_after``; the last run's
        always-valid interval ``anytime_estimate``, ``anytime_low``, ``anytime_high``; the method names.
    sequence : DataFrame
        Per run: the series keys, ``time``, ``estimate``, ``standard_error`` and the confidence sequence
        (``anytime_estimate``, ``anytime_low``, ``anytime_high``) as it stood after that run.
    """

    sequence: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    by: tuple[str, ...] = ()
    time_column: str = ""
    notes: tuple[str, ...] = ()

    def sentences(self) -> list[str]:
        out = []
        for row in self.table.itertuples(index=False):
            name = " / ".join(str(getattr(row, c)) for c in self.by) or "the metric"
            if row.trend == "no detectable trend":
                text = f"{name}: no monotone trend over {row.n_runs} runs (Mann-Kendall p = {row.mk_p_value:.2g})"
            else:
                text = (f"{name} is {row.trend} over {row.n_runs} runs (Sen slope {row.sen_slope:+.3g} per run, "
                        f"Mann-Kendall p = {row.mk_p_value:.2g})")
            if row.change_detected:
                text += (f"; it changed at run {row.change_run} (mean {row.mean_before:.3g} -> {row.mean_after:.3g}, "
                         f"permutation p = {row.change_p_value:.2g}, false-alarm rate {row.false_alarm_rate:.0%})")
            if np.isfinite(row.anytime_low):
                text += (f"; always-valid {self.confidence_level:.0%} interval of the running mean "
                         f"{row.anytime_low:.3g} to {row.anytime_high:.3g}")
            out.append(text + ".")
        return out

    def summary(self) -> Summary:
        return Summary(f"Trend over runs ({self.time_column})", lines=tuple(self.sentences()) + self.notes,
                       tables=(("Series", self.table),), warnings=self.warnings)


def _newey_west_lags(n: int) -> int:
    # Newey & West (1994) plug-in rule of thumb
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


@validate_params({
    "history": [pd.DataFrame],
    "time": [None, str],
    "estimate": [str],
    "standard_error": [None, str],
    "by": [None, "str-or-list"],
    "higher_is_better": [None, "boolean"],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "anytime_runs": [Interval("integral", 1, None)],
    "hac_lags": [None, Interval("integral", 0, None)],
    "random_state": RANDOM_STATE,
})
def trend(
    history: pd.DataFrame,
    *,
    time: str | None = None,
    estimate: str = "estimate",
    standard_error: str | None = "standard_error",
    by: str | Sequence[str] | None = None,
    higher_is_better: bool | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    anytime_runs: int = 10,
    hac_lags: int | None = None,
    random_state: int | np.random.Generator | None = None,
) -> TrendResult:
    """Trend test, change-point detection and an always-valid interval over a metric's runs.

    Parameters
    ----------
    history : DataFrame
        One row per run (and series): a time/run column, the run's ``estimate`` and its
        ``standard_error`` (or ``ci_low``/``ci_high`` with ``confidence_level``, from which the SE is
        recovered as a normal interval). :meth:`alignlab.metrics.Store.history` has these columns.
    time : str, optional
        Orders the runs (by its values' natural order). Default: the first of ``run_date, created_at, time,
        timestamp, date, run, run_id`` present without missing values.
    by : str or list of str, optional
        Columns naming separate series (default: those of ``feature, metric, rater, role, segment`` with
        several values).
    higher_is_better : bool, optional
        Direction for the trend wording (default: the ``higher_is_better`` column when present, else True).
    n_resamples : int
        Permutations of the change-point test.
    anytime_runs : int
        The confidence sequence is tuned to be tightest after this many runs of the first run's precision.
    hac_lags : int, optional
        Newey-West lags (default ``floor(4 (n / 100)^(2/9))``).

    Returns
    -------
    TrendResult

    Notes
    -----
    - **Mann-Kendall** (Mann 1945; Kendall 1975): ``S = sum_{i<j} sign(x_j - x_i)`` over runs in time
      order, tie-corrected variance, continuity-corrected normal p-value; **Sen's slope** with its
      interval from :func:`scipy.stats.theilslopes` (Sen 1968); the **OLS slope with HAC** (Newey-West)
      errors from statsmodels.
    - **Change point** (at most one change, AMOC): ``max_k |sum_{t<=k}(x_t - mean)| / sqrt(k(T-k)/T) / sd``
      (standardised CUSUM; Csorgo & Horvath 1997); its null distribution by permuting the runs, so the
      false-alarm rate is exactly ``1 - confidence_level`` when runs are exchangeable under no change.
    - **Always-valid interval**: runs ``x_t ~ N(mu_t, s_t^2)``; the precision-weighted running mean
      ``sum x_t/s_t^2 / V_t`` (``V_t = sum 1/s_t^2``) with the two-sided normal-mixture boundary
      ``sqrt((1 + rho V)/rho * log((1 + rho V)/alpha^2)) / V`` covers the running weighted mean of the
      ``mu_t`` at every run simultaneously with probability >= 1 - alpha (Robbins 1970; Howard, Ramdas,
      McAuliffe & Sekhon 2021), so a team may look after every run. ``rho = (-2 log alpha + log(1 - 2 log
      alpha)) / m`` with ``m = anytime_runs / s_1^2`` (Howard et al.'s tuning for intrinsic time m).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.compare import trend
    >>> history = pd.DataFrame({"run": np.arange(12), "estimate": 0.70 - 0.01 * np.arange(12),
    ...                         "standard_error": 0.005})
    >>> result = trend(history, random_state=0)
    >>> row = result.to_frame().iloc[0]
    >>> float(row["mk_s"]), row["trend"]
    (-66.0, 'worsening')
    """
    caller = "trend"
    frame = history
    notes: list[str] = []
    if time is None:
        # the first time column that is filled in (a store's run_date may be empty when runs had no date)
        time = next((c for c in TIME_COLUMNS if c in frame.columns and frame[c].notna().all()), None)
        if time is None:
            raise InvalidParameterError(f"{caller}: no time/run column; name it with time=... (looked for "
                                        f"{', '.join(TIME_COLUMNS)}). Columns are {list(frame.columns)}.")
    for name, col in (("time", time), ("estimate", estimate)):
        if col not in frame.columns:
            raise InvalidParameterError(f"The {name!r} parameter of {caller} names column {col!r}, which is not in "
                                        f"the history; columns are {list(frame.columns)}.")
    if by is None:
        by_cols = [c for c in GROUP_COLUMNS if c in frame.columns and frame[c].nunique(dropna=False) > 1]
    else:
        by_cols = [by] if isinstance(by, str) else list(by)
        missing = [c for c in by_cols if c not in frame.columns]
        if missing:
            raise InvalidParameterError(f"The 'by' parameter of {caller} names columns {missing} not in the history.")
    values = pd.to_numeric(frame[estimate], errors="coerce")
    bad = values.isna() | ~np.isfinite(values)
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy())[:5])
        raise InvalidParameterError(f"{caller}: column {estimate!r} has {int(bad.sum())} missing or non-numeric "
                                    f"values (rows {rows}); drop those runs or fill them.")
    se = None
    if standard_error is not None and standard_error in frame.columns:
        se = pd.to_numeric(frame[standard_error], errors="coerce")
    if (se is None or se.isna().all()) and {"ci_low", "ci_high"} <= set(frame.columns):
        level = frame["confidence_level"] if "confidence_level" in frame.columns else confidence_level
        z = stats.norm.ppf(0.5 + pd.Series(level, index=frame.index).astype(float) / 2)
        se = (pd.to_numeric(frame["ci_high"], errors="coerce") - pd.to_numeric(frame["ci_low"], errors="coerce")) / (2 * z)
        notes.append("Standard errors recovered from ci_low/ci_high as normal intervals.")
    rng = check_random_state(random_state)
    alpha = 1.0 - confidence_level
    rows, sequences = [], []
    groups = frame.groupby(by_cols, sort=True, dropna=False) if by_cols else [((), frame)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        part = part.sort_values(time, kind="stable")
        x = pd.to_numeric(part[estimate]).to_numpy(dtype=float)
        s = se.loc[part.index].to_numpy(dtype=float) if se is not None else np.full(x.size, np.nan)
        direction = higher_is_better
        if direction is None:
            direction = bool(part["higher_is_better"].iloc[0]) if "higher_is_better" in part.columns and \
                part["higher_is_better"].notna().any() else True
        row: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        row.update(_series_statistics(x, s, alpha, n_resamples, anytime_runs, hac_lags, direction, rng))
        times = part[time].to_numpy()
        idx = row.pop("_change_k")
        row["change_run"] = times[idx] if row["change_detected"] else None
        seq = row.pop("_sequence")
        rows.append(row)
        seq_frame = pd.DataFrame({**{c: v for c, v in zip(by_cols, key, strict=True)}, "time": times, "estimate": x,
                                  "standard_error": s, **seq})
        sequences.append(seq_frame)
    table = pd.DataFrame(rows)
    return TrendResult(table=table, method="trend", confidence_level=confidence_level, sequence=pd.concat(
        sequences, ignore_index=True), by=tuple(by_cols), time_column=time, notes=tuple(notes))


def _series_statistics(x: np.ndarray, s: np.ndarray, alpha: float, n_resamples: int, anytime_runs: int,
                       hac_lags: int | None, higher_is_better: bool, rng: np.random.Generator) -> dict[str, Any]:
    import statsmodels.api as sm

    n = x.size
    out: dict[str, Any] = {"n_runs": n}
    nan = math.nan
    if n >= 3:
        mk_s, mk_var, mk_p = mann_kendall(x)
        tau = stats.kendalltau(np.arange(n), x).statistic if np.ptp(x) > 0 else nan
        sen = stats.theilslopes(x, np.arange(n), alpha=1 - alpha)
        lags = _newey_west_lags(n) if hac_lags is None else hac_lags
        fit = sm.OLS(x, sm.add_constant(np.arange(n, dtype=float))).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        out.update(mk_s=mk_s, mk_variance=mk_var, kendall_tau=float(tau), mk_p_value=mk_p,
                   sen_slope=float(sen.slope), sen_ci_low=float(sen.low_slope), sen_ci_high=float(sen.high_slope),
                   hac_slope=float(fit.params[1]), hac_se=float(fit.bse[1]), hac_p_value=float(fit.pvalues[1]),
                   hac_lags=lags)
        worse = (mk_s < 0) if higher_is_better else (mk_s > 0)
        out["trend"] = ("worsening" if worse else "improving") if np.isfinite(mk_p) and mk_p <= alpha else \
            "no detectable trend"
    else:
        out.update(mk_s=nan, mk_variance=nan, kendall_tau=nan, mk_p_value=nan, sen_slope=nan, sen_ci_low=nan,
                   sen_ci_high=nan, hac_slope=nan, hac_se=nan, hac_p_value=nan, hac_lags=0,
                   trend="no detectable trend")
    out["trend_method"] = "Mann-Kendall (tie-corrected, continuity-corrected normal p)"
    # change point
    k_best = 0
    if n >= 4 and np.ptp(x) > 0:
        stat, k = cusum_statistic(x)
        permuted = rng.permuted(np.broadcast_to(x, (n_resamples, n)), axis=1)
        null, _ = cusum_statistic(permuted)
        p = (1 + np.sum(null >= stat[0] - 1e-12)) / (n_resamples + 1)
        k_best = int(k[0])
        out.update(change_statistic=float(stat[0]), change_threshold=float(np.quantile(null, 1 - alpha)),
                   change_p_value=float(p), change_detected=bool(p <= alpha), change_index=k_best,
                   mean_before=float(x[:k_best].mean()), mean_after=float(x[k_best:].mean()))
    else:
        out.update(change_statistic=nan, change_threshold=nan, change_p_value=nan, change_detected=False,
                   change_index=-1, mean_before=nan, mean_after=nan)
    out["false_alarm_rate"] = alpha
    out["change_method"] = CHANGE_METHOD
    out["_change_k"] = k_best
    # confidence sequence
    seq = {"anytime_estimate": np.full(n, nan), "anytime_low": np.full(n, nan), "anytime_high": np.full(n, nan)}
    if n and np.all(np.isfinite(s)) and np.all(s > 0):
        precision = 1.0 / s**2
        v = np.cumsum(precision)
        centre = np.cumsum(x * precision) / v
        rho = anytime_rho(alpha, anytime_runs * precision[0])
        radius = normal_mixture_radius(v, alpha, rho)
        seq = {"anytime_estimate": centre, "anytime_low": centre - radius, "anytime_high": centre + radius}
        out["anytime_method"] = ANYTIME_METHOD
    else:
        out["anytime_method"] = "not computed (standard errors missing or zero)"
    out.update(anytime_estimate=float(seq["anytime_estimate"][-1]) if n else nan,
               anytime_low=float(seq["anytime_low"][-1]) if n else nan,
               anytime_high=float(seq["anytime_high"][-1]) if n else nan)
    out["_sequence"] = seq
    return out


def anytime_rho(alpha: float, intrinsic_time: float) -> float:
    """Mixing precision making the normal-mixture boundary tightest at ``intrinsic_time`` (Howard et al. 2021)."""
    return (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / intrinsic_time
