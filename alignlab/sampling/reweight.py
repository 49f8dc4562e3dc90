"""Weights that make the evaluation data look like production, and the production-weighted metric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._params import (
    CONFIDENCE_LEVEL,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    validate_params,
)
from alignlab.data import Judgments
from alignlab.results import EstimateResult, TableResult
from alignlab.sampling._cells import Cells, build_cells, fitted_propensity
from alignlab.sampling._inputs import encode_segments, load_pair

__all__ = ["reweight", "reweighted_metric", "ReweightResult", "ReweightedMetricResult"]

_QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)


@dataclass(frozen=True, kw_only=True)
class ReweightResult(TableResult):
    """Result of :func:`reweight`.

    ``to_frame()`` is the balance table: one row per segment level with ``target_share``
    (production), ``eval_share`` (unweighted) and ``weighted_share``.

    Attributes
    ----------
    weights : numpy.ndarray
        One weight per evaluation row in row order (per item in ``Judgments.items`` order for a
        Judgments), scaled to mean 1. Rows in segments absent from production get 0.
    asmd : pandas.DataFrame
        Absolute standardised mean difference per segment column, before and after weighting
        (one-hot levels averaged; < 0.1 is the usual "balanced" threshold).
    deff, effective_n : float
        Kish design effect n Σw²/(Σw)² and n/deff.
    weight_quantiles : pandas.Series
        Quantiles of the normalised weights (min, 1%, 5%, ..., max).
    n_trimmed : int
        Rows whose weight was capped at ``trim`` × the mean weight.
    converged : bool
        Raking reached ``tol`` within ``max_iter`` sweeps (always True for the other methods).
    uncovered_mass : float
        Production share of cells with no evaluation row (weights cannot reach it).
    """

    weights: np.ndarray = field(repr=False)
    asmd: pd.DataFrame = field(repr=False)
    reweight_method: str = "poststratify"
    segments: tuple[str, ...] = ()
    deff: float = math.nan
    effective_n: float = math.nan
    weight_quantiles: pd.Series = field(repr=False, default_factory=lambda: pd.Series(dtype=float))
    n_trimmed: int = 0
    trim: float | None = None
    converged: bool = True
    n_iter: int = 0
    uncovered_mass: float = 0.0
    item_ids: pd.Index | None = field(default=None, repr=False)

    def weights_frame(self) -> pd.DataFrame:
        """``item_id`` (or ``row``) and ``weight``, to join onto other tables."""
        key = "row" if self.item_ids is None else "item_id"
        ids = np.arange(self.weights.size) if self.item_ids is None else self.item_ids.to_numpy()
        return pd.DataFrame({key: ids, "weight": self.weights})

    def __str__(self) -> str:
        lines = [
            f"{self.method}: {self.weights.size:,} weights, deff {self.deff:.3f}, effective n "
            f"{self.effective_n:,.0f}; weights min {self.weight_quantiles.iloc[0]:.3g}, "
            f"median {self.weight_quantiles.loc[0.5]:.3g}, max {self.weight_quantiles.iloc[-1]:.3g}; "
            f"{self.n_trimmed} trimmed",
        ]
        with pd.option_context("display.width", 120, "display.precision", 4):
            lines.append(self.asmd.to_string(index=False))
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _normalise(w: np.ndarray) -> np.ndarray:
    total = w.sum()
    return w * (w.size / total) if total > 0 else w


def _trim(w: np.ndarray, trim: float) -> tuple[np.ndarray, int]:
    """Cap weights at ``trim`` × mean, renormalise, repeat until no weight exceeds the cap."""
    capped = np.zeros(w.size, dtype=bool)
    for _ in range(50):
        w = _normalise(w)
        over = w > trim * (1 + 1e-12)
        if not over.any():
            break
        capped |= over
        w = np.minimum(w, trim)
    return w, int(capped.sum())


def _rake(cells: Cells, targets: list[np.ndarray], max_iter: int, tol: float) -> tuple[np.ndarray, bool, int]:
    """Iterative proportional fitting on cells (Deming & Stephan 1940): one bincount per margin."""
    cw = np.where(cells.eval_counts > 0, 1.0, 0.0)
    n = cells.n_eval
    for iteration in range(1, max_iter + 1):
        largest = 0.0
        for j, target in enumerate(targets):
            d = cells.digits[:, j]
            current = np.bincount(d, weights=cells.eval_counts * cw, minlength=target.size) / n
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(current > 0, target / current, 0.0)
            largest = max(largest, float(np.max(np.abs(ratio[current > 0] - 1.0), initial=0.0)))
            cw = cw * ratio[d]
        if largest < tol:
            return cw, True, iteration
    return cw, False, max_iter


def _cell_weights(
    cells: Cells, method: str, *, max_iter: int, tol: float, regularization: float, interactions: bool,
    warnings: list[str],
) -> tuple[np.ndarray, bool, int]:
    p = cells.prod_counts / cells.n_prod
    q = cells.eval_counts / cells.n_eval
    covered = cells.eval_counts > 0
    if method == "poststratify":
        mass = p[covered].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            cw = np.where(covered, (p / mass) / np.where(covered, q, 1.0), 0.0)
        return cw, True, 1
    if method == "rake":
        targets = []
        for j, column in enumerate(cells.codes.columns):
            x_e, x_p = cells.level_counts(j)
            t = x_p / x_p.sum()
            lost = t[(x_e == 0) & (t > 0)].sum()
            if lost > 0:
                warnings.append(f"{lost:.2%} of production in levels of {column!r} with no evaluation row: "
                                "its margin is matched over the covered levels only")
                t = np.where(x_e > 0, t, 0.0)
                t = t / t.sum()
            targets.append(t)
        return _rake(cells, targets, max_iter, tol)
    # ipw: odds of the balanced-class propensity; the constant class ratio cancels in normalisation
    prob = fitted_propensity(cells, interactions=interactions, regularization=regularization)
    prob = np.clip(prob, 1e-12, 1 - 1e-12)
    return np.where(covered, prob / (1 - prob), 0.0), True, 1


def _balance_tables(
    cells: Cells, row_weights: np.ndarray, numeric: dict[str, tuple[np.ndarray, np.ndarray]],
    prod_weights: np.ndarray | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-level shares and per-column ASMD (Austin 2009): |x̄_w − x̄_target| / s_target."""
    cell_w = np.bincount(cells.eval_cell, weights=row_weights, minlength=cells.n_cells)
    margins, asmd_rows = [], []
    for j, column in enumerate(cells.codes.columns):
        d = cells.digits[:, j]
        n_levels = len(cells.codes.levels[j])
        target = np.bincount(d, weights=cells.prod_counts, minlength=n_levels) / cells.n_prod
        before = np.bincount(d, weights=cells.eval_counts, minlength=n_levels) / cells.n_eval
        after = np.bincount(d, weights=cell_w, minlength=n_levels) / max(cell_w.sum(), 1e-300)
        margins.append(pd.DataFrame({"segment": column, "level": list(cells.codes.levels[j]),
                                     "target_share": target, "eval_share": before, "weighted_share": after}))
        sd = np.sqrt(target * (1 - target))
        ok = sd > 0
        row = {"segment": column, "kind": "levels",
               "asmd_before": float(np.mean(np.abs(before - target)[ok] / sd[ok])) if ok.any() else math.nan,
               "asmd_after": float(np.mean(np.abs(after - target)[ok] / sd[ok])) if ok.any() else math.nan}
        asmd_rows.append(row)
        if column in numeric:
            e_val, p_val = numeric[column]
            fe, fp = np.isfinite(e_val), np.isfinite(p_val)
            pw = None if prod_weights is None else prod_weights[fp]
            mean_t = np.average(p_val[fp], weights=pw)
            sd_t = math.sqrt(np.average((p_val[fp] - mean_t) ** 2, weights=pw))
            if sd_t > 0 and fe.any():
                mean_b = e_val[fe].mean()
                mean_a = np.average(e_val[fe], weights=row_weights[fe]) if row_weights[fe].sum() > 0 else math.nan
                asmd_rows.append({"segment": column, "kind": "numeric",
                                  "asmd_before": abs(mean_b - mean_t) / sd_t,
                                  "asmd_after": abs(mean_a - mean_t) / sd_t})
    table = pd.concat(margins, ignore_index=True)
    table["difference"] = table["weighted_share"] - table["target_share"]
    return table, pd.DataFrame(asmd_rows)


_REWEIGHT_PARAMS = {
    "method": [Options(("poststratify", "rake", "ipw"))],
    "production_weights": [str, "array-like", None],
    "n_bins": [Interval("integral", 2, 50)],
    "trim": [Interval("real", 1, None, closed="neither"), None],
    "max_iter": [Interval("integral", 1, None)],
    "tol": [Interval("real", 0, None, closed="neither")],
    "regularization": [Interval("real", 0, None, closed="neither")],
    "interactions": ["boolean"],
}


@validate_params(_REWEIGHT_PARAMS)
def reweight(
    eval_data: Any,
    production: Any,
    *,
    segments: str | Sequence[str] | None = None,
    method: str = "poststratify",
    production_weights: str | Sequence[float] | np.ndarray | None = None,
    n_bins: int = 5,
    trim: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-12,
    regularization: float = 1.0,
    interactions: bool = False,
) -> ReweightResult:
    """Per-row weights that make the evaluation data match production on the segment columns.

    Parameters
    ----------
    eval_data, production, segments, production_weights, n_bins
        As in :func:`audit_representativeness`.
    method : {"poststratify", "rake", "ipw"}
        ``"poststratify"``: w = p/q per joint cell (matches every joint cell); ``"rake"``: iterative
        proportional fitting to each column's margin (matches margins only, works when joint cells
        are sparse); ``"ipw"``: odds of an L2-regularised logistic P(production | segments)
        (scikit-learn) on the one-hot main effects; ``interactions=True`` refines each joint cell
        by shrinking its own production/eval odds towards the main-effects prediction.
    trim : float, optional
        Cap weights at ``trim`` × the mean weight (then renormalise); trimming trades exact margins
        for a smaller design effect. Reported in ``n_trimmed``.
    max_iter, tol : int, float
        Raking sweeps and the convergence tolerance on the largest relative margin change.
    regularization : float
        Inverse L2 strength (scikit-learn ``C``) of the IPW model.
    interactions : bool
        IPW per joint cell: beta-binomial shrinkage of the cell's odds towards the main-effects model.

    Returns
    -------
    ReweightResult

    Notes
    -----
    All three methods work on joint cells (with counts as weights), so cost is linear in rows and
    independent of the production size after one ``bincount``. Post-stratification's Kish deff is
    Σ p̃²/q = 1 + χ²(p̃‖q) (Kish 1992). Cells of production with no evaluation row cannot be
    reweighted; their share is ``uncovered_mass`` and the targets are renormalised over covered
    cells (a warning says so).

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.sampling import reweight
    >>> eval_set = pd.DataFrame({"locale": ["en"] * 80 + ["ja"] * 20})
    >>> prod = pd.DataFrame({"locale": ["en", "ja"], "n": [6000, 4000]})
    >>> result = reweight(eval_set, prod, segments="locale", production_weights="n")
    >>> sorted(set(result.weights.round(3).tolist()))
    [0.75, 2.0]
    >>> round(result.deff, 4)
    1.25
    """
    eval_table, item_ids, prod_table, weights, columns = load_pair(eval_data, production, segments,
                                                                   production_weights, "reweight")
    result, _ = _compute_weights(eval_table, item_ids, prod_table, weights, columns, method=method, n_bins=n_bins,
                                 trim=trim, max_iter=max_iter, tol=tol, regularization=regularization,
                                 interactions=interactions)
    return result


def _compute_weights(
    eval_table: pd.DataFrame, item_ids: pd.Index | None, prod_table: pd.DataFrame, weights: np.ndarray | None,
    columns: list[str], *, method: str, n_bins: int, trim: float | None, max_iter: int, tol: float,
    regularization: float, interactions: bool,
) -> tuple[ReweightResult, Cells]:
    codes = encode_segments(eval_table, prod_table, columns, prod_weights=weights, n_bins=n_bins)
    cells = build_cells(codes, weights)
    warnings: list[str] = []
    p = cells.prod_counts / cells.n_prod
    uncovered = float(p[cells.eval_counts == 0].sum())
    if uncovered > 0:
        warnings.append(f"{uncovered:.2%} of production falls in cells with no evaluation row; weights "
                        "represent the covered part of production only")
    cw, converged, n_iter = _cell_weights(cells, method, max_iter=max_iter, tol=tol, regularization=regularization,
                                          interactions=interactions, warnings=warnings)
    if not converged:
        warnings.append(f"raking did not converge in {max_iter} sweeps (tol={tol:g}); the margins may be "
                        "inconsistent (levels with no evaluation row) — check weighted_share")
    w = _normalise(cw[cells.eval_cell])
    n_trimmed = 0
    if trim is not None:
        w, n_trimmed = _trim(w, trim)
    table, asmd = _balance_tables(cells, w, codes.numeric, weights)
    n = w.size
    deff = float(n * np.sum(w**2) / np.sum(w) ** 2) if w.sum() > 0 else math.nan
    quantiles = pd.Series(np.quantile(w, _QUANTILES), index=list(_QUANTILES), name="weight")
    result = ReweightResult(
        table=table, method=f"reweight[{method}]", warnings=tuple(warnings), weights=w, asmd=asmd,
        reweight_method=method, segments=tuple(columns), deff=deff, effective_n=n / deff, weight_quantiles=quantiles,
        n_trimmed=n_trimmed, trim=trim, converged=converged, n_iter=n_iter, uncovered_mass=uncovered,
        item_ids=item_ids,
    )
    return result, cells


@dataclass(frozen=True, kw_only=True)
class ReweightedMetricResult(EstimateResult):
    """Production-weighted estimate of a metric (``estimate``) beside the unweighted one.

    Attributes
    ----------
    unweighted, unweighted_ci_low, unweighted_ci_high : float
        The plain mean over evaluation rows and its interval.
    shift : float
        ``estimate − unweighted``: how much the mix moved the metric.
    deff, effective_n : float
        Design effect and effective sample size of the weights.
    """

    statistic = "reweighted_metric"
    unweighted: float = math.nan
    unweighted_ci_low: float = math.nan
    unweighted_ci_high: float = math.nan
    shift: float = math.nan
    deff: float = math.nan
    effective_n: float = math.nan
    weights_method: str = ""


def _metric_values(eval_data: Any, eval_table: pd.DataFrame, metric: Any) -> np.ndarray:
    if metric is None:
        if not isinstance(eval_data, Judgments):
            raise InvalidParameterError("reweighted_metric needs metric=: a column of eval_data or one value per row.")
        # item mean of the numeric judgment values, in Judgments.items order (= item_info rows)
        totals = np.bincount(eval_data.item_codes, weights=eval_data.values, minlength=eval_data.n_items)
        counts = np.bincount(eval_data.item_codes, minlength=eval_data.n_items)
        return totals / np.maximum(counts, 1)
    if isinstance(metric, str):
        if metric not in eval_table.columns:
            raise DataError(f"The metric column {metric!r} is not in eval_data (columns: "
                             f"{[str(c) for c in eval_table.columns][:15]}). Fix: name a numeric column.")
        values = pd.to_numeric(eval_table[metric], errors="coerce").to_numpy(dtype=float)
        name = metric
    else:
        values = np.asarray(metric, dtype=float)
        name = "metric"
        if values.shape != (len(eval_table),):
            raise DataError(f"metric has {values.size} values but eval_data has {len(eval_table)} rows; "
                             "give one value per row (per item for a Judgments).")
    if not np.isfinite(values).all():
        raise DataError(f"{name!r} has {int((~np.isfinite(values)).sum())} missing or non-numeric values. "
                         "Fix: drop those rows from eval_data or fill them in.")
    return values


@validate_params({**_REWEIGHT_PARAMS, "confidence_level": CONFIDENCE_LEVEL})
def reweighted_metric(
    eval_data: Any,
    production: Any,
    *,
    metric: str | Sequence[float] | np.ndarray | None = None,
    segments: str | Sequence[str] | None = None,
    method: str = "poststratify",
    production_weights: str | Sequence[float] | np.ndarray | None = None,
    n_bins: int = 5,
    trim: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-12,
    regularization: float = 1.0,
    interactions: bool = False,
    confidence_level: float = 0.95,
) -> ReweightedMetricResult:
    """Production-weighted mean of a per-row metric, with a linearisation interval.

    Parameters
    ----------
    metric : str or array-like, optional
        A numeric column of ``eval_data`` or one value per row (e.g. 1 if the judge agreed with the
        human). For a Judgments, defaults to each item's mean judgment value.
    eval_data, production, segments, method, production_weights, n_bins, trim, max_iter, tol, regularization, interactions
        As in :func:`reweight`.
    confidence_level : float

    Returns
    -------
    ReweightedMetricResult

    Notes
    -----
    Post-stratification: ȳ = Σ_s p_s ȳ_s with Var = Σ_s p_s² s_s²/n_s + (Σ p_s ȳ_s² − ȳ²)/N, the second
    term for production shares estimated from N requests (Cochran 1977, §5A.9). Raking and IPW: the
    weighted mean with the linearised (sandwich) variance Σ w_i² e_i² /(Σw)², e_i the residuals of the
    weighted regression of y on the calibration variables (Deville & Särndal 1992), plus the same
    production term. Cells with one evaluation row use the pooled within-cell variance.

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.sampling import reweighted_metric
    >>> eval_set = pd.DataFrame({"locale": ["en"] * 80 + ["ja"] * 20,
    ...                          "correct": [1] * 72 + [0] * 8 + [1] * 10 + [0] * 10})
    >>> prod = pd.DataFrame({"locale": ["en", "ja"], "n": [5000, 5000]})
    >>> r = reweighted_metric(eval_set, prod, metric="correct", segments="locale", production_weights="n")
    >>> round(r.unweighted, 3), round(r.estimate, 3)
    (0.82, 0.7)
    """
    eval_table, item_ids, prod_table, weights, columns = load_pair(eval_data, production, segments,
                                                                   production_weights, "reweighted_metric")
    y = _metric_values(eval_data, eval_table, metric)
    result, cells = _compute_weights(eval_table, item_ids, prod_table, weights, columns, method=method,
                                     n_bins=n_bins, trim=trim, max_iter=max_iter, tol=tol,
                                     regularization=regularization, interactions=interactions)
    w = result.weights
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    n = y.size
    n_prod = cells.n_prod

    # unweighted mean and its SE
    mean_u = float(y.mean())
    se_u = float(y.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan

    estimate = float(np.sum(w * y) / np.sum(w))
    cell_n = np.bincount(cells.eval_cell, minlength=cells.n_cells).astype(float)
    cell_sum = np.bincount(cells.eval_cell, weights=y, minlength=cells.n_cells)
    cell_mean = np.divide(cell_sum, cell_n, out=np.zeros_like(cell_sum), where=cell_n > 0)
    resid_within = y - cell_mean[cells.eval_cell]
    cell_ss = np.bincount(cells.eval_cell, weights=resid_within**2, minlength=cells.n_cells)
    # pooled within-cell variance, for cells with a single row
    dof = float(np.sum(np.maximum(cell_n - 1, 0)))
    pooled = float(cell_ss.sum() / dof) if dof > 0 else float(np.var(y, ddof=1)) if n > 1 else 0.0
    cell_var = np.where(cell_n > 1, cell_ss / np.maximum(cell_n - 1, 1), pooled)
    cell_w = np.bincount(cells.eval_cell, weights=w, minlength=cells.n_cells) / w.sum()  # weighted shares

    if method == "poststratify" and result.n_trimmed == 0:
        covered = cell_n > 0
        var_sample = float(np.sum(np.where(covered, cell_w**2 * cell_var / np.maximum(cell_n, 1), 0.0)))
        fitted_cell = cell_mean
        ci_label = "linearization(post-stratified, normal)"
    else:
        # GREG residuals: weighted least squares of y on the calibration design (one-hot main effects,
        # or the IPW design); the sandwich variance of the weighted mean uses them.
        x = cells.design().toarray()
        sw = np.sqrt(w)
        xr = x[cells.eval_cell]
        beta, *_ = np.linalg.lstsq(xr * sw[:, None], y * sw, rcond=None)
        fitted_cell = x @ beta
        e = y - fitted_cell[cells.eval_cell]
        var_sample = float(np.sum((w * e) ** 2) / np.sum(w) ** 2 * n / max(n - 1, 1))
        ci_label = f"linearization({method}, GREG residuals, normal)"
    p = cells.prod_counts / n_prod
    covered_mass = float(p[cell_n > 0].sum())
    p_cov = np.where(cell_n > 0, p, 0.0) / covered_mass if covered_mass > 0 else p
    var_prod = float(np.sum(p_cov * fitted_cell**2) - np.sum(p_cov * fitted_cell) ** 2) / n_prod
    se = math.sqrt(max(var_sample + max(var_prod, 0.0), 0.0))
    warnings = list(result.warnings)
    return ReweightedMetricResult(
        estimate=estimate, ci_low=estimate - z * se, ci_high=estimate + z * se, confidence_level=confidence_level,
        method=f"reweighted_mean[{method}]", ci_method=ci_label, n_items=n, standard_error=se,
        warnings=tuple(warnings), unweighted=mean_u, unweighted_ci_low=mean_u - z * se_u,
        unweighted_ci_high=mean_u + z * se_u, shift=estimate - mean_u, deff=result.deff,
        effective_n=result.effective_n, weights_method=method,
    )
