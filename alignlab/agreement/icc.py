"""Intraclass correlations (six Shrout-Fleiss / McGraw-Wong forms) and Kendall's W."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    InvalidParameterError,
    Options,
    validate_params,
)
from alignlab.agreement._core import (
    AgreementResult,
    IntervalEstimate,
    LongData,
    bootstrap_interval,
    ci_options,
    cluster_codes,
    finish,
    long_data,
    select,
)
from alignlab.data.judgments import Judgments

__all__ = ["icc", "kendall_w", "ICC_FORMS"]

#: accepted ``form=`` names -> canonical Shrout-Fleiss name
ICC_FORMS: dict[str, str] = {
    "ICC1": "ICC1", "ICC2": "ICC2", "ICC3": "ICC3", "ICC1k": "ICC1k", "ICC2k": "ICC2k", "ICC3k": "ICC3k",
    "ICC(1,1)": "ICC1", "ICC(2,1)": "ICC2", "ICC(3,1)": "ICC3",
    "ICC(1,k)": "ICC1k", "ICC(2,k)": "ICC2k", "ICC(3,k)": "ICC3k",
    "ICC(A,1)": "ICC2", "ICC(C,1)": "ICC3", "ICC(A,k)": "ICC2k", "ICC(C,k)": "ICC3k",
}
_DESCRIPTION = {
    "ICC1": "one-way random, single rater",
    "ICC2": "two-way random, absolute agreement, single rater",
    "ICC3": "two-way mixed, consistency, single rater",
    "ICC1k": "one-way random, average of k raters",
    "ICC2k": "two-way random, absolute agreement, average of k raters",
    "ICC3k": "two-way mixed, consistency, average of k raters",
}


@dataclass(frozen=True)
class _MeanSquares:
    msr: float
    msc: float
    mse: float
    msw: float
    n: float
    k: float


def _icc_from_ms(form: str, ms: _MeanSquares) -> float:
    msr, msc, mse, msw, n, k = ms.msr, ms.msc, ms.mse, ms.msw, ms.n, ms.k
    with np.errstate(divide="ignore", invalid="ignore"):
        return float({
            "ICC1": (msr - msw) / (msr + (k - 1) * msw),
            "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
            "ICC3": (msr - mse) / (msr + (k - 1) * mse),
            "ICC1k": (msr - msw) / msr,
            "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
            "ICC3k": (msr - mse) / msr,
        }[form])


class _CompleteIcc:
    """Two-way ANOVA of a complete items x raters matrix, as a function of item weights.

    Per-item statistics (row mean, row sum of squares, the k values) are linear in the weights, so a
    bootstrap replicate is one matrix product.
    """

    def __init__(self, matrix: np.ndarray, form: str) -> None:
        x = matrix - matrix.mean()
        self.x = x
        self.k = x.shape[1]
        self.row = x.mean(axis=1)
        self.sq = (x**2).sum(axis=1)
        self.form = form

    def mean_squares(self, w: np.ndarray) -> tuple[np.ndarray, ...]:
        w = np.atleast_2d(w)
        k = self.k
        n = w.sum(axis=1)
        g = (w @ self.row) / n
        col = (w @ self.x) / n[:, None]
        ssr = k * (w @ self.row**2 - n * g**2)
        ssc = n * ((col - g[:, None]) ** 2).sum(axis=1)
        sst = w @ self.sq - n * k * g**2
        sse = sst - ssr - ssc
        with np.errstate(divide="ignore", invalid="ignore"):
            msr = ssr / (n - 1)
            msc = ssc / (k - 1)
            mse = sse / ((n - 1) * (k - 1))
            msw = (sst - ssr) / (n * (k - 1))
        return msr, msc, mse, msw, n

    def statistic(self, w: np.ndarray) -> np.ndarray:
        msr, msc, mse, msw, n = self.mean_squares(w)
        k = self.k
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                "ICC1": (msr - msw) / (msr + (k - 1) * msw),
                "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
                "ICC3": (msr - mse) / (msr + (k - 1) * mse),
                "ICC1k": (msr - msw) / msr,
                "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
                "ICC3k": (msr - mse) / msr,
            }[self.form]

    def ms(self) -> _MeanSquares:
        msr, msc, mse, msw, n = (float(v[0]) for v in self.mean_squares(np.ones((1, self.x.shape[0]))))
        return _MeanSquares(msr, msc, mse, msw, n, float(self.k))


def _f_interval(form: str, ms: _MeanSquares, confidence_level: float, label: str) -> IntervalEstimate:
    """F-based intervals of Shrout & Fleiss (1979) and McGraw & Wong (1996), as pingouin."""
    msr, msc, mse, msw, n, k = ms.msr, ms.msc, ms.mse, ms.msw, ms.n, ms.k
    a = 1 - confidence_level
    df1, df1kd, df2kd = n - 1, n * (k - 1), (n - 1) * (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if form in ("ICC1", "ICC1k"):
            f1 = msr / msw
            fl = f1 / stats.f.ppf(1 - a / 2, df1, df1kd)
            fu = f1 * stats.f.ppf(1 - a / 2, df1kd, df1)
            low, high = ((fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)) if form == "ICC1" else \
                (1 - 1 / fl, 1 - 1 / fu)
        elif form in ("ICC3", "ICC3k"):
            f3 = msr / mse
            fl = f3 / stats.f.ppf(1 - a / 2, df1, df2kd)
            fu = f3 * stats.f.ppf(1 - a / 2, df2kd, df1)
            low, high = ((fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)) if form == "ICC3" else \
                (1 - 1 / fl, 1 - 1 / fu)
        else:
            icc2 = _icc_from_ms("ICC2", ms)
            fj = msc / mse
            vn = df2kd * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            v = vn / vd
            f2u = stats.f.ppf(1 - a / 2, n - 1, v)
            f2l = stats.f.ppf(1 - a / 2, v, n - 1)
            low = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
            high = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
            if form == "ICC2k":
                low, high = low * k / (1 + low * (k - 1)), high * k / (1 + high * (k - 1))
    return IntervalEstimate(float(low), float(high), math.nan, label)


_COMPONENT_CACHE: dict[tuple[str, bool], tuple[float, float, float]] = {}
_COMPONENT_CACHE_SIZE = 8


def _cached_components(data: LongData, one_way: bool) -> tuple[float, float, float]:
    """The mixed-model fit is the slow step; the six forms of one table share it (bounded cache)."""
    key = (data.judgments.data_hash, one_way)
    if key not in _COMPONENT_CACHE:
        if len(_COMPONENT_CACHE) >= _COMPONENT_CACHE_SIZE:
            _COMPONENT_CACHE.pop(next(iter(_COMPONENT_CACHE)))
        _COMPONENT_CACHE[key] = _mixed_model_components(data, one_way)
    return _COMPONENT_CACHE[key]


def _mixed_model_components(data: LongData, one_way: bool) -> tuple[float, float, float]:
    """Variance components (items, raters, residual) of an incomplete design by REML.

    Model: ``y_ij = mu_j + t_i + e_ij`` with random item intercepts ``t_i ~ N(0, s2_t)`` and fixed rater
    effects ``mu_j`` (one common mean for the one-way forms); the rater variance is then the moment
    estimate ``(b' C b - tr(C V_b)) / (k - 1)`` from the rater effects ``b`` and their covariance
    ``V_b`` (``C`` centres), clipped at 0. On complete designs away from the boundary these equal the
    ANOVA estimates. This is the model of statsmodels ``MixedLM(y ~ 0 + C(rater), groups=item)`` (a test
    checks equality); it is re-implemented in closed form because MixedLM loops over groups in Python
    (40 s on 6,000 items) while the random-intercept likelihood reduces to per-item sums.
    """
    from scipy import optimize, sparse

    y = data.values - data.values.mean()
    items, raters = data.item_codes, data.rater_codes
    n_items = data.n_items
    k = 1 if one_way else data.n_raters
    x_cols = np.zeros_like(raters) if one_way else raters
    n_obs = y.size
    design = sparse.csr_matrix((np.ones(n_obs), (items, x_cols)), shape=(n_items, k))  # S: item x rater counts
    n_i = np.bincount(items, minlength=n_items).astype(float)
    xtx = np.bincount(x_cols, minlength=k).astype(float)
    xty = np.bincount(x_cols, weights=y, minlength=k)
    sum_y = np.bincount(items, weights=y, minlength=n_items)
    yty = float(y @ y)
    design_y = design.T  # k x items

    def solve(gamma: float) -> tuple[float, np.ndarray, np.ndarray, float, float]:
        c = gamma / (1.0 + n_i * gamma)
        a = np.diag(xtx) - (design_y @ sparse.diags(c) @ design).toarray()  # X' H^-1 X
        b = xty - design_y @ (c * sum_y)  # X' H^-1 y
        beta = np.linalg.solve(a, b)
        rss = yty - float(np.sum(c * sum_y**2)) - float(b @ beta)  # r' H^-1 r at beta
        logdet_h = float(np.sum(np.log1p(n_i * gamma)))
        sign, logdet_a = np.linalg.slogdet(a)
        return rss, beta, a, logdet_h, logdet_a

    dof = n_obs - k

    def criterion(log_gamma: float) -> float:
        rss, _, _, logdet_h, logdet_a = solve(float(np.exp(log_gamma)))
        return dof * np.log(max(rss, 1e-300) / dof) + logdet_h + logdet_a

    fit = optimize.minimize_scalar(criterion, bounds=(-25.0, 12.0), method="bounded",
                                   options={"xatol": 1e-10})
    gamma = float(np.exp(fit.x))
    # the boundary gamma -> 0 (no item variance) is a legitimate REML estimate
    if criterion(-25.0) <= fit.fun:
        gamma = 0.0
    rss, beta, a, _, _ = solve(gamma)
    resid = rss / dof
    item_var = gamma * resid
    if one_way:
        return item_var, 0.0, resid
    cov = resid * np.linalg.inv(a)
    centre = np.eye(k) - 1.0 / k
    rater_var = max(0.0, float(beta @ centre @ beta - np.trace(centre @ cov)) / (k - 1))
    return item_var, rater_var, resid


def _icc_from_components(form: str, item_var: float, rater_var: float, resid: float, k: float) -> float:
    return float({
        "ICC1": item_var / (item_var + resid),
        "ICC2": item_var / (item_var + rater_var + resid),
        "ICC3": item_var / (item_var + resid),
        "ICC1k": item_var / (item_var + resid / k),
        "ICC2k": item_var / (item_var + (rater_var + resid) / k),
        "ICC3k": item_var / (item_var + resid / k),
    }[form])


@validate_params({
    "raters": [None, "str-or-list"], "form": [Options(tuple(ICC_FORMS))],
    "confidence_level": CONFIDENCE_LEVEL, "ci_method": ci_options(True), "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE, "clusters": [None, str], "missing": [Options(("mixed_model", "drop_items"))],
})
def icc(
    judgments: Judgments,
    *,
    form: str = "ICC2",
    raters: str | Sequence[str] | None = None,
    missing: Literal["mixed_model", "drop_items"] = "mixed_model",
    confidence_level: float = 0.95,
    ci_method: Literal["analytic", "bca", "percentile", "none"] = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Intraclass correlation in one of the six Shrout–Fleiss / McGraw–Wong forms.

    Parameters
    ----------
    judgments : Judgments
        Numeric values (ordinal levels or continuous scores).
    form : str, default "ICC2"
        ``"ICC1"``/``"ICC(1,1)"`` one-way random; ``"ICC2"``/``"ICC(2,1)"``/``"ICC(A,1)"`` two-way random,
        absolute agreement; ``"ICC3"``/``"ICC(3,1)"``/``"ICC(C,1)"`` two-way mixed, consistency; and the
        average-of-k forms ``"ICC1k"``, ``"ICC2k"``/``"ICC(A,k)"``, ``"ICC3k"``/``"ICC(C,k)"``.
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    missing : {"mixed_model", "drop_items"}
        Incomplete designs: estimate the variance components by REML on every judgment (random item
        intercepts and rater effects, the model of statsmodels ``MixedLM``), or drop items that miss a
        rater (pingouin's behaviour). Complete designs use the two-way ANOVA either way.
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: the F-based interval (Shrout & Fleiss 1979; McGraw & Wong 1996). For incomplete
        designs the mean squares are rebuilt from the mixed-model components with k the harmonic mean
        of raters per item (an approximation, flagged in ``warnings``); bootstrap intervals refit the
        model per resample there, which is slow.
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    ICC(1,1) = (MSR - MSW)/(MSR + (k-1)MSW); ICC(2,1) = (MSR - MSE)/(MSR + (k-1)MSE + k(MSC - MSE)/n);
    ICC(3,1) = (MSR - MSE)/(MSR + (k-1)MSE); average forms divide the error terms by k. Equals pingouin
    ``intraclass_corr`` and R ``psych::ICC`` on complete designs.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> wine = pd.DataFrame({"item_id": [1, 2, 3, 4] * 3, "rater_id": list("aaaabbbbcccc"),
    ...                      "value": [1, 3, 6, 5, 2, 3, 6, 4, 1, 4, 7, 5]})
    >>> j = alignlab.load_judgments(wine, scale="continuous")
    >>> round(agreement.icc(j, form="ICC2").estimate, 3)
    0.929
    """
    caller = "icc"
    canonical = ICC_FORMS[form]
    data = long_data(select(judgments, raters), caller)
    warnings: list[str] = []
    matrix = np.full((data.n_items, data.n_raters), np.nan)
    matrix[data.item_codes, data.rater_codes] = data.values
    complete_rows = ~np.isnan(matrix).any(axis=1)
    if data.n_raters < 2:
        raise DataError(f"icc needs at least two raters; the selection has {data.n_raters}.")
    if data.scale.kind in ("categorical", "pairwise"):
        raise InvalidParameterError(
            f"icc needs numeric values, but the scale is {data.scale.kind} ({data.scale.describe()}). "
            "Use fleiss_kappa, gwet_ac or krippendorff_alpha(level='nominal') for unordered labels."
        )
    codes = cluster_codes(data, clusters, caller)
    label = f"icc[{canonical}: {_DESCRIPTION[canonical]}]"
    complete = bool(complete_rows.all())
    if not complete and missing == "drop_items":
        dropped = int((~complete_rows).sum())
        warnings.append(f"{dropped} items missing at least one rater were dropped (missing='drop_items')")
        matrix = matrix[complete_rows]
        if codes is not None:
            codes = codes[complete_rows]
        complete = True
    if complete:
        if matrix.shape[0] < 2:
            raise InvalidParameterError("icc needs at least two items rated by every rater; pass missing='mixed_model'.")
        kernel = _CompleteIcc(matrix, canonical)
        ms = kernel.ms()
        estimate = float(kernel.statistic(np.ones((1, matrix.shape[0])))[0])
        if ci_method == "analytic":
            if codes is not None:
                raise InvalidParameterError("clusters= needs a bootstrap interval in icc; pass ci_method='bca'.")
            interval = _f_interval(canonical, ms, confidence_level, "analytic(F)")
        else:
            interval = bootstrap_interval(kernel.statistic, matrix.shape[0], estimate, ci_method=ci_method,
                                          confidence_level=confidence_level, n_resamples=n_resamples,
                                          random_state=random_state, clusters=codes)
        return finish(statistic="icc", method=label, level=canonical, estimate=estimate, interval=interval,
                      confidence_level=confidence_level, n_items=matrix.shape[0], n_raters=matrix.shape[1],
                      n_judgments=matrix.size, warnings=warnings)

    # incomplete design: crossed random effects (pingouin#68 drops these items instead)
    one_way = canonical in ("ICC1", "ICC1k")
    per_item = np.bincount(data.item_codes, minlength=data.n_items)
    k_h = float(data.n_items / np.sum(1.0 / per_item))
    item_var, rater_var, resid = _cached_components(data, one_way)
    estimate = _icc_from_components(canonical, item_var, rater_var, resid, k_h)
    warnings.append(
        f"incomplete design ({int((~complete_rows).sum())} items miss a rater): variance components from "
        f"REML (random item intercepts as statsmodels MixedLM, rater variance by moments); average forms use k = {k_h:.3g} "
        "(harmonic mean of raters per item)"
    )
    n = float(data.n_items)
    if ci_method == "analytic":
        if codes is not None:
            raise InvalidParameterError("clusters= needs a bootstrap interval in icc; pass ci_method='bca'.")
        ms = _MeanSquares(msr=resid + k_h * item_var, msc=resid + n * rater_var, mse=resid,
                          msw=resid + rater_var, n=n, k=k_h)
        interval = _f_interval(canonical, ms, confidence_level, "analytic(F, approximate: unbalanced design)")
    else:
        def statistic(w: np.ndarray) -> np.ndarray:
            out = []
            for row in np.atleast_2d(w):
                reps = row.astype(np.int64)
                sub = _replicate(data, reps)
                comps = _mixed_model_components(sub, one_way)
                out.append(_icc_from_components(canonical, *comps, k_h))
            return np.array(out)

        interval = bootstrap_interval(statistic, data.n_items, estimate, ci_method=ci_method,
                                      confidence_level=confidence_level, n_resamples=n_resamples,
                                      random_state=random_state, clusters=codes)
    return finish(statistic="icc", method=label, level=canonical, estimate=estimate, interval=interval,
                  confidence_level=confidence_level, n_items=data.n_items, n_raters=data.n_raters,
                  n_judgments=len(data.item_codes), warnings=warnings)


def _replicate(data: LongData, reps: np.ndarray) -> LongData:
    """Judgments of items repeated ``reps[i]`` times, each copy a new item (a bootstrap resample)."""
    counts = reps[data.item_codes]
    rows = np.repeat(np.arange(data.item_codes.size), counts)
    copy_index = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    new_items = data.item_codes[rows] * np.int64(reps.max() + 1) + copy_index
    _, compact = np.unique(new_items, return_inverse=True)
    return LongData(data.judgments, compact.astype(np.int64), data.rater_codes[rows], None, data.values[rows],
                    data.items, data.raters, data.rows, 0)


def _kendall_w_of(matrix: np.ndarray) -> float:
    """W of an items x raters matrix (tie-corrected)."""
    n, m = matrix.shape
    ranks = stats.rankdata(matrix, axis=0)
    ties = sum(_tie_sum(col) for col in matrix.T)
    totals = ranks.sum(axis=1)
    s = float(((totals - totals.mean()) ** 2).sum())
    denom = m**2 * (n**3 - n) - m * ties
    return 12.0 * s / denom if denom > 0 else math.nan


@dataclass(frozen=True)
class _KendallW:
    matrix: np.ndarray  # items x raters, complete

    def statistic(self, w: np.ndarray) -> np.ndarray:
        # a resampled item is a new object to rank: expand, re-rank (duplicates tie), recompute.
        # Ranks are not linear in item weights, so replicates loop (each O(n m log n)).
        out = []
        for row in np.atleast_2d(w):
            reps = np.rint(row).astype(np.int64)
            out.append(_kendall_w_of(np.repeat(self.matrix, reps, axis=0)))
        return np.array(out)


@validate_params({
    "raters": [None, "str-or-list"], "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": ci_options(False), "n_resamples": N_RESAMPLES, "random_state": RANDOM_STATE,
    "clusters": [None, str],
})
def kendall_w(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    ci_method: Literal["bca", "percentile", "none"] = "bca",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Kendall's coefficient of concordance W of the raters' rankings of the items.

    Parameters
    ----------
    judgments : Judgments
        Ordered values (scores or ranks); each rater's values are ranked over the items (average ranks
        for ties). Only items judged by every selected rater are used.
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    confidence_level : float, default 0.95
    ci_method : {"bca", "percentile", "none"}
        Item bootstrap: each replicate re-ranks the resampled items (a repeated item ties with its
        copy). Resampling raters instead would make duplicated raters agree perfectly and inflate W.
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) whose levels the bootstrap resamples whole.

    Returns
    -------
    AgreementResult

    Notes
    -----
    ``W = 12 S / (m^2 (n^3 - n) - m sum_j T_j)`` with ``S`` the sum of squared deviations of the rank
    totals and ``T_j = sum (t^3 - t)`` over tie groups of rater j (Kendall & Babington Smith 1939).
    Friedman's statistic is ``m (n - 1) W``. R: ``irr::kendall(correct=TRUE)``.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 2, 3, 4] * 3, "rater_id": list("aaaabbbbcccc"),
    ...                       "value": [1, 2, 3, 4, 1, 3, 2, 4, 2, 1, 3, 4]})
    >>> j = alignlab.load_judgments(table, scale="ordinal")
    >>> round(agreement.kendall_w(j, ci_method="none").estimate, 3)
    0.778
    """
    caller = "kendall_w"
    data = long_data(select(judgments, raters), caller)
    if data.scale.kind in ("categorical", "pairwise"):
        raise InvalidParameterError(f"kendall_w needs ordered values, but the scale is {data.scale.kind}; "
                         "use fleiss_kappa or krippendorff_alpha(level='nominal').")
    matrix = np.full((data.n_items, data.n_raters), np.nan)
    matrix[data.item_codes, data.rater_codes] = data.values
    complete = ~np.isnan(matrix).any(axis=1)
    warnings = []
    if (~complete).any():
        warnings.append(f"{int((~complete).sum())} items not ranked by every rater were left out")
    matrix = matrix[complete]
    if matrix.shape[0] < 2 or data.n_raters < 2:
        raise DataError("kendall_w needs at least two raters who all judged at least two common items; "
                         f"found {matrix.shape[0]} common items and {data.n_raters} raters.")
    codes = cluster_codes(data, clusters, caller)
    kernel = _KendallW(matrix)
    m = matrix.shape[1]
    estimate = _kendall_w_of(matrix)
    interval = bootstrap_interval(kernel.statistic, matrix.shape[0], estimate, ci_method=ci_method,
                                  confidence_level=confidence_level, n_resamples=n_resamples,
                                  random_state=random_state, clusters=None if codes is None else codes[complete])
    return finish(statistic="kendall_w", method="kendall_w", level="ranks", estimate=estimate, interval=interval,
                  confidence_level=confidence_level, n_items=matrix.shape[0], n_raters=m, n_judgments=matrix.size,
                  warnings=warnings)


def _tie_sum(values: np.ndarray) -> float:
    _, counts = np.unique(values, return_counts=True)
    return float((counts**3 - counts).sum())
