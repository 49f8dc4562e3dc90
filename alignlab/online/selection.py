"""Selection-aware online metrics: who leaves feedback, and the rate corrected for it.

Users who rate are not a random sample of exposures. :func:`feedback_rates` makes the feedback rate
(rated / exposed) an explicit quantity per segment; :func:`ipw_rate` estimates the success rate over
*all* exposures by inverse propensity weighting, with the propensity of leaving feedback modelled from
exposure features (scikit-learn's logistic regression by default), and reports the difference from the
naive rate among the rated.
"""

from __future__ import annotations

import hashlib
import math
import warnings as warnings_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    InvalidParameterError,
    Options,
    check_random_state,
    ci_method_constraint,
    validate_params,
)
from alignlab.online.events import OnlineJudgments
from alignlab.results import EstimateResult, Summary, TableResult, format_estimate

__all__ = ["feedback_rates", "ipw_rate", "FeedbackRates", "IPWRateResult"]


def _signal(judgments: OnlineJudgments, signal: str | None) -> str:
    if not isinstance(judgments, OnlineJudgments):
        raise TypeError("The 'judgments' argument must be an OnlineJudgments built by alignlab.online.events(...).")
    if signal is None:
        if len(judgments.signals) != 1:
            raise DataError(f"Several binary signals {list(judgments.signals)}; choose one with signal=...")
        return judgments.signals[0]
    if signal not in judgments.signals:
        raise DataError(f"signal={signal!r} is not among the binary signals {list(judgments.signals)}.")
    return signal


@dataclass(frozen=True, kw_only=True)
class FeedbackRates(TableResult):
    """Result of :func:`feedback_rates`: one row per level of ``by``.

    Columns: ``exposures``, ``trials`` (rated), ``feedback_rate`` = trials / exposures with its Wilson
    interval, ``rate`` = successes / trials among the rated with its Wilson interval. ``test`` holds the
    chi-square test that the feedback rate is the same in every level (a selection signal).
    """

    signal: str = ""
    by: tuple[str, ...] = ()
    chi2: float = math.nan
    dof: int = 0
    p_value: float = math.nan

    def summary(self) -> Summary:
        lines = [f"Feedback rate of {self.signal!r} by {', '.join(self.by) or 'overall'}; equal-rate chi-square "
                 f"{self.chi2:.1f} on {self.dof} df, p = {self.p_value:.3g}."]
        return Summary(self.method, lines=tuple(lines), tables=(("feedback rates", self.table),),
                       warnings=self.warnings)


@validate_params({
    "judgments": [OnlineJudgments],
    "signal": [str, None],
    "by": ["str-or-list", None],
    "confidence_level": CONFIDENCE_LEVEL,
})
def feedback_rates(
    judgments: OnlineJudgments,
    *,
    signal: str | None = None,
    by: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> FeedbackRates:
    """The feedback rate (rated / exposed) and the success rate among the rated, per segment level.

    Parameters
    ----------
    judgments : OnlineJudgments
        From :func:`alignlab.online.events`.
    signal : str, optional
        The binary signal (default: the only one).
    by : str or list of str, optional
        Cell columns to break down by (``"item_id"``, ``"system"``, segments); default: the segments,
        or overall when there are none.
    confidence_level : float, default 0.95

    Returns
    -------
    FeedbackRates

    Notes
    -----
    Wilson score intervals (``statsmodels.stats.proportion.proportion_confint(method="wilson")``);
    the test of equal feedback rates is Pearson's chi-square on the rated / not-rated x level table
    (``scipy.stats.chi2_contingency``).

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.online import events, feedback_rates
    >>> log = pd.DataFrame({"item_id": list("aabbcc"), "locale": ["en", "ja"] * 3,
    ...                     "thumbs_up": [1, None, 0, None, 1, 1]})
    >>> fr = feedback_rates(events(log, signal="thumbs_up", segments="locale", check_selection=False))
    >>> fr.to_frame()[["locale", "exposures", "trials", "feedback_rate"]]
      locale  exposures  trials  feedback_rate
    0     en          3       3       1.000000
    1     ja          3       1       0.333333
    """
    name = _signal(judgments, signal)
    columns = list(judgments.event_segments) if by is None else ([by] if isinstance(by, str) else list(by))
    allowed = ["item_id", *judgments.cell_columns]
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise InvalidParameterError(f"The 'by' argument names {unknown}, which are not cell columns ({allowed}).")
    cells = judgments.cells[judgments.cells["signal"] == name]
    if columns:
        table = cells.groupby(columns, dropna=False, sort=True)[["exposures", "trials", "successes"]].sum()
        table = table.reset_index()
    else:
        table = pd.DataFrame({"exposures": [cells["exposures"].sum()], "trials": [cells["trials"].sum()],
                              "successes": [cells["successes"].sum()]})
    alpha = 1 - confidence_level
    n, t, s = (table[c].to_numpy(np.int64) for c in ("exposures", "trials", "successes"))
    table["feedback_rate"] = t / n
    low, high = proportion_confint(t, n, alpha=alpha, method="wilson")
    table["feedback_low"], table["feedback_high"] = low, high
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rate"] = np.where(t > 0, s / np.maximum(t, 1), np.nan)
    low, high = proportion_confint(s, np.maximum(t, 1), alpha=alpha, method="wilson")
    table["rate_low"] = np.where(t > 0, low, np.nan)
    table["rate_high"] = np.where(t > 0, high, np.nan)
    table["ci_method"] = "wilson"
    chi2, p_value, dof = math.nan, math.nan, 0
    observed = np.vstack([t, n - t])
    observed = observed[:, n > 0]
    if observed.shape[1] > 1 and (observed.sum(axis=1) > 0).all():
        res = stats.chi2_contingency(observed, correction=False)
        chi2, p_value, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    return FeedbackRates(table=table, method=f"feedback_rates[{name}]", confidence_level=confidence_level,
                         signal=name, by=tuple(columns), chi2=chi2, dof=dof, p_value=p_value)


# -- inverse propensity weighting ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class IPWRateResult(EstimateResult):
    """Result of :func:`ipw_rate`: the selection-corrected success rate over all exposures.

    ``estimate`` (with ``ci_low``/``ci_high``, ``standard_error``) is the inverse-propensity-weighted
    rate; ``naive`` the rate among the rated with its Wilson interval; ``difference`` = estimate - naive
    with its interval. ``propensity`` has one row per feature cell: exposures, trials, successes, the
    fitted propensity and the IPW weight.
    """

    statistic = "ipw_rate"

    signal: str = ""
    naive: float = math.nan
    naive_low: float = math.nan
    naive_high: float = math.nan
    difference: float = math.nan
    difference_low: float = math.nan
    difference_high: float = math.nan
    difference_se: float = math.nan
    feedback_rate: float = math.nan
    n_exposures: int = 0
    n_rated: int = 0
    effective_n: float = math.nan
    features: tuple[str, ...] = ()
    propensity_model: str = ""
    excluded_exposures: int = 0
    propensity: pd.DataFrame = field(default=None, repr=False)  # type: ignore[assignment]

    def summary(self) -> Summary:
        cl = self.confidence_level
        lines = (
            f"Selection-corrected rate of {self.signal!r} over all {self.n_exposures:,} exposures: "
            + format_estimate(self.estimate, self.ci_low, self.ci_high, cl) + f" ({self.ci_method}).",
            f"Naive rate among the {self.n_rated:,} rated exposures ({self.feedback_rate:.2%} feedback rate): "
            + format_estimate(self.naive, self.naive_low, self.naive_high, cl) + " (Wilson).",
            "Difference (corrected - naive): "
            + format_estimate(self.difference, self.difference_low, self.difference_high, cl) + ".",
            f"Propensity of feedback: {self.propensity_model} on {', '.join(self.features) or 'no features'}; "
            f"effective number of rated exposures {self.effective_n:,.0f}.",
        )
        return Summary(f"IPW online rate [{self.signal}]", lines=lines,
                       tables=(("propensity by feature cell", self.propensity),), warnings=self.warnings)


def _design(frame: pd.DataFrame, features: list[str]) -> tuple[sp.csr_matrix, list[str]]:
    """Main-effects one-hot design (first level dropped; the model fits its own intercept)."""
    blocks, names = [], []
    n = len(frame)
    for column in features:
        codes, levels = pd.factorize(frame[column].astype(object).where(frame[column].notna(), "(missing)"),
                                     sort=True)
        if len(levels) < 2:
            continue
        keep = codes > 0
        blocks.append(sp.csr_matrix((np.ones(int(keep.sum())), (np.flatnonzero(keep), codes[keep] - 1)),
                                    shape=(n, len(levels) - 1)))
        names += [f"{column}={lv}" for lv in levels[1:]]
    if not blocks:
        return sp.csr_matrix((n, 0)), names
    return sp.hstack(blocks, format="csr"), names


def _fit_propensity(model: Any, x: sp.csr_matrix, n: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(rated | features) per feature cell, fitted on stacked (rated, not rated) rows weighted by counts:
    the row-level likelihood at the cost of the cells."""
    from sklearn.base import clone

    if x.shape[1] == 0:
        return np.full(len(n), t.sum() / n.sum())
    stacked = sp.vstack([x, x], format="csr")
    y = np.r_[np.ones(len(n)), np.zeros(len(n))]
    w = np.r_[t, n - t].astype(float)
    use = w > 0
    # rescaled to mean 1: the unpenalised optimum is unchanged and lbfgs converges in a few steps
    # instead of hundreds on counts in the millions
    fitted = clone(model).fit(stacked[use], y[use], sample_weight=w[use] / w[use].mean())
    classes = list(fitted.classes_)
    return fitted.predict_proba(x)[:, classes.index(1.0)]


def _sandwich(x: np.ndarray, n: np.ndarray, t: np.ndarray, s: np.ndarray, pi: np.ndarray, mu: float, nu: float,
              cluster: np.ndarray | None) -> np.ndarray:
    """Covariance of (beta, mu_ipw, mu_naive) by M-estimation (Lunceford & Davidian 2004), per cell counts.

    Estimating functions per exposure: psi_1 = x (R - pi(x)) (logistic score, intercept first),
    psi_2 = R (Y - mu) / pi(x) (Hajek IPW), psi_3 = R (Y - nu) (naive). Exposures within a cell share x,
    so every sum over exposures is a sum over cells of counts; with ``cluster`` (item codes per cell) the
    meat sums the scores within each item first (cluster-robust, Liang & Zeger 1986).
    """
    p = x.shape[1]
    k = p + 2
    a = np.zeros((k, k))
    a[:p, :p] = (x * (n * pi * (1 - pi))[:, None]).T @ x
    a[p, :p] = (((1 - pi) / pi) * (s - t * mu)) @ x
    a[p, p] = np.sum(t / pi)
    a[p + 1, p + 1] = np.sum(t)
    if cluster is None:
        b = np.zeros((k, k))
        b[:p, :p] = (x * (t * (1 - pi) ** 2 + (n - t) * pi**2)[:, None]).T @ x
        b[:p, p] = (((1 - pi) / pi) * (s - t * mu)) @ x
        b[:p, p + 1] = ((1 - pi) * (s - t * nu)) @ x
        b[p, p] = np.sum((s * (1 - mu) ** 2 + (t - s) * mu**2) / pi**2)
        b[p + 1, p + 1] = np.sum(s * (1 - nu) ** 2 + (t - s) * nu**2)
        b[p, p + 1] = np.sum((s * (1 - mu) * (1 - nu) + (t - s) * mu * nu) / pi)
        b = np.triu(b) + np.triu(b, 1).T
    else:
        scores = np.column_stack([x * (t - n * pi)[:, None], (s - t * mu) / pi, s - t * nu])
        n_clusters = int(cluster.max()) + 1
        summed = np.zeros((n_clusters, k))
        np.add.at(summed, cluster, scores)
        b = summed.T @ summed
    a_inv = np.linalg.pinv(a)
    return a_inv @ b @ a_inv.T


@validate_params({
    "judgments": [OnlineJudgments],
    "signal": [str, None],
    "features": ["str-or-list", None],
    "cluster": [Options(("item", "none"))],
    "ci_method": ci_method_constraint("analytic", "percentile", "bca", "basic"),
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def ipw_rate(
    judgments: OnlineJudgments,
    *,
    signal: str | None = None,
    features: str | Sequence[str] | None = None,
    propensity_model: Any = None,
    cluster: str = "item",
    ci_method: str = "analytic",
    confidence_level: float = 0.95,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
) -> IPWRateResult:
    """The success rate over all exposures, corrected for who left feedback, and the naive rate.

    Parameters
    ----------
    judgments : OnlineJudgments
        From :func:`alignlab.online.events`.
    signal : str, optional
        The binary signal (default: the only one).
    features : str or list of str, optional
        Exposure features of the propensity model: cell columns (``system``, segments). Default: all of
        them. Feedback must be missing at random given these features.
    propensity_model : scikit-learn classifier, optional
        Default ``LogisticRegression(C=inf)`` (unpenalised main effects). Any classifier with
        ``fit(X, y, sample_weight=)`` and ``predict_proba`` works; then use a bootstrap ``ci_method``.
    cluster : {"item", "none"}
        The unit of independence: exposures of one item may share more than the features explain
        (``"item"``: cluster-robust), or every exposure is independent (``"none"``).
    ci_method : {"analytic", "percentile", "bca", "basic"}
        ``"analytic"``: the M-estimation sandwich variance, which accounts for the estimated propensity
        (logistic model only); the others bootstrap items (or exposures' cells with ``cluster="none"``),
        refitting the propensity model in every resample.
    confidence_level, n_resamples, random_state

    Returns
    -------
    IPWRateResult

    Notes
    -----
    With R = 1 when an exposure carries the signal and Y its value, the Hajek estimator
    mu = sum(R Y / pi(x)) / sum(R / pi(x)) with pi(x) = P(R = 1 | x) estimates E[Y] over all exposures
    if R is independent of Y given x (missing at random; Rosenbaum & Rubin 1983; Horvitz & Thompson
    1952; Hajek 1971). The naive rate is sum(R Y) / sum(R). The analytic interval stacks the logistic
    score with both estimating equations (Lunceford & Davidian 2004), which also gives the
    difference's standard error; intervals are normal (Wald). Cells whose feature level was never rated
    have no propensity to invert: they are excluded and counted (positivity).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.online import events, ipw_rate
    >>> rng = np.random.default_rng(0)
    >>> n = 20_000
    >>> locale = rng.choice(["en", "ja"], size=n)
    >>> happy = rng.uniform(size=n) < np.where(locale == "en", 0.8, 0.4)
    >>> rated = rng.uniform(size=n) < np.where(locale == "en", 0.3, 0.05)   # the English rate more
    >>> log = pd.DataFrame({"item_id": rng.integers(0, 500, n), "locale": locale,
    ...                     "thumbs_up": np.where(rated, happy.astype(float), np.nan)})
    >>> res = ipw_rate(events(log, signal="thumbs_up", segments="locale", check_selection=False))
    >>> round(res.naive, 2), round(res.estimate, 2)   # truth: 0.6
    (0.74, 0.6)
    """
    name = _signal(judgments, signal)
    allowed = list(judgments.cell_columns)
    chosen = allowed if features is None else ([features] if isinstance(features, str) else list(features))
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise InvalidParameterError(f"The 'features' argument names {unknown}, which are not cell columns ({allowed}); "
                         "the propensity model can only use the columns the events were aggregated by.")
    analytic = ci_method == "analytic"
    if propensity_model is None:
        from sklearn.linear_model import LogisticRegression

        # unpenalised (the sandwich is for the MLE); Newton steps suit a few one-hot features
        propensity_model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=200)
        model_label = "LogisticRegression(C=inf, newton-cholesky)"
    else:
        model_label = type(propensity_model).__name__
        if analytic and model_label != "LogisticRegression":
            raise InvalidParameterError("ci_method='analytic' (the sandwich variance) holds for a logistic propensity model "
                             "only; pass ci_method='percentile' to bootstrap this model.")
    cells = judgments.cells[judgments.cells["signal"] == name].reset_index(drop=True)
    warnings: list[str] = []
    # positivity: a feature level never rated cannot be reweighted; its exposures leave the target
    excluded = np.zeros(len(cells), dtype=bool)
    for column in chosen:
        level = cells[column].astype(object).where(cells[column].notna(), "(missing)")
        excluded |= cells.groupby(level, sort=False)["trials"].transform("sum").to_numpy() == 0
    n_excluded = int(cells.loc[excluded, "exposures"].sum())
    if n_excluded:
        warnings.append(f"{n_excluded:,} exposures are in feature levels that were never rated (no propensity "
                        "to invert); the corrected rate is over the other exposures")
    cells = cells.loc[~excluded].reset_index(drop=True)
    if cells["trials"].sum() == 0:
        raise DataError(f"No exposure carries the signal {name!r}; nothing to estimate.")
    # feature cells: the propensity is a function of the features only
    if chosen:
        keyed = cells[chosen].astype(object).where(cells[chosen].notna(), "(missing)")
        feature_code, feature_frame = _factorize_rows(keyed)
    else:
        feature_code, feature_frame = np.zeros(len(cells), dtype=np.int64), pd.DataFrame(index=[0])
    n_all = cells["exposures"].to_numpy(float)
    t_all = cells["trials"].to_numpy(float)
    s_all = cells["successes"].to_numpy(float)
    items = pd.factorize(cells["item_id"])[0]
    fc, n, t, s = feature_code, n_all, t_all, s_all
    n_feature = int(feature_code.max()) + 1
    x_full, _names = _design(feature_frame, chosen)

    def estimate_from(weights: np.ndarray) -> tuple[float, float, np.ndarray]:
        nc = np.bincount(fc, weights=weights * n, minlength=n_feature)
        tc = np.bincount(fc, weights=weights * t, minlength=n_feature)
        sc = np.bincount(fc, weights=weights * s, minlength=n_feature)
        present = nc > 0
        pi = np.full(n_feature, np.nan)
        pi[present] = _fit_propensity(propensity_model, x_full[np.flatnonzero(present)], nc[present], tc[present])
        pi = np.clip(pi, 1e-12, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.nansum(sc / pi) / np.nansum(tc / pi)
            nu = sc.sum() / tc.sum()
        return float(mu), float(nu), pi

    mu, nu, pi_feature = estimate_from(np.ones(len(n)))
    pi = pi_feature[fc]
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    n_items = int(len(np.unique(items)))
    if analytic:
        x_cells = np.column_stack([np.ones(len(n)), x_full[fc].toarray()])
        cov = _sandwich(x_cells, n, t, s, pi, mu, nu, items if cluster == "item" else None)
        p = x_cells.shape[1]
        se = float(np.sqrt(max(cov[p, p], 0.0)))
        diff_se = float(np.sqrt(max(cov[p, p] + cov[p + 1, p + 1] - 2 * cov[p, p + 1], 0.0)))
        low, high = mu - z * se, mu + z * se
        d_low, d_high = (mu - nu) - z * diff_se, (mu - nu) + z * diff_se
        ci_label = f"analytic(M-estimation sandwich{', clustered by item' if cluster == 'item' else ''}; normal)"
    else:
        rng = check_random_state(random_state)
        units = items if cluster == "item" else np.arange(len(n))
        n_units = int(units.max()) + 1

        from scipy.linalg import LinAlgWarning
        from sklearn.exceptions import ConvergenceWarning

        done: dict[bytes, np.ndarray] = {}

        def stat(w: np.ndarray) -> np.ndarray:
            # both intervals use the same draws (same seed): each resample's refit is done once
            key = hashlib.sha1(w.tobytes()).digest() + str(w.shape).encode()
            if key not in done:
                out = np.empty((w.shape[0], 2))
                with warnings_module.catch_warnings():
                    # a resample can leave a feature level without ratings (separation): the solver's
                    # convergence / conditioning warnings are expected there, the replicate stays valid
                    warnings_module.simplefilter("ignore", category=ConvergenceWarning)
                    warnings_module.simplefilter("ignore", category=LinAlgWarning)
                    for r in range(w.shape[0]):  # one propensity refit per resample (a few cells each)
                        m, v, _ = estimate_from(w[r][units])
                        out[r] = (m, m - v)
                done[key] = out
            return done[key]

        seed = int(rng.integers(0, 2**63 - 1))
        first = bootstrap(lambda w: stat(w)[:, 0], n_units, estimate=mu, n_resamples=n_resamples,
                          confidence_level=confidence_level, method=ci_method, random_state=seed,
                          unit_name="items" if cluster == "item" else "cells")
        diff = bootstrap(lambda w: stat(w)[:, 1], n_units, estimate=mu - nu, n_resamples=n_resamples,
                         confidence_level=confidence_level, method=ci_method, random_state=seed,
                         unit_name="items" if cluster == "item" else "cells")
        se, low, high = first.standard_error, first.low, first.high
        diff_se, d_low, d_high = diff.standard_error, diff.low, diff.high
        ci_label = first.ci_method
    n_low, n_high = proportion_confint(int(s.sum()), int(t.sum()), alpha=1 - confidence_level, method="wilson")
    w_rated = t / pi
    effective = float(w_rated.sum() ** 2 / np.sum(t * (1 / pi) ** 2))
    prop = feature_frame.copy()
    prop["exposures"] = np.bincount(feature_code, weights=n_all, minlength=n_feature).astype(np.int64)
    prop["trials"] = np.bincount(feature_code, weights=t_all, minlength=n_feature).astype(np.int64)
    prop["successes"] = np.bincount(feature_code, weights=s_all, minlength=n_feature).astype(np.int64)
    prop["propensity"] = pi_feature
    prop["ipw_weight"] = 1 / pi_feature
    prop["observed_feedback_rate"] = prop["trials"] / prop["exposures"]
    if np.nanmax(prop["ipw_weight"]) > 100:
        warnings.append(f"largest IPW weight {np.nanmax(prop['ipw_weight']):.0f}: a few rated exposures stand for "
                        "many; the interval is wide for a reason")
    return IPWRateResult(
        estimate=mu, ci_low=float(low), ci_high=float(high), standard_error=se, confidence_level=confidence_level,
        method=f"ipw_rate[{name}; Hajek, propensity {model_label}]", ci_method=ci_label, n_items=n_items,
        n_raters=1, warnings=tuple(warnings), signal=name, naive=nu, naive_low=float(n_low),
        naive_high=float(n_high), difference=mu - nu, difference_low=float(d_low), difference_high=float(d_high),
        difference_se=diff_se, feedback_rate=float(t.sum() / n.sum()), n_exposures=int(n.sum()),
        n_rated=int(t.sum()), effective_n=effective, features=tuple(chosen), propensity_model=model_label,
        excluded_exposures=n_excluded, propensity=prop.reset_index(drop=True),
    )


def _factorize_rows(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """A code per row for its combination of values, and the distinct combinations (sorted)."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        c, levels = pd.factorize(frame[column].astype(str), sort=True)
        codes = codes * len(levels) + c
    uniq, inverse = np.unique(codes, return_inverse=True)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(codes))[::-1]
    return inverse.astype(np.int64), frame.iloc[first].reset_index(drop=True)
