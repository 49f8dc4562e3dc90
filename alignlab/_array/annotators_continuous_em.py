"""Vectorised EM kernel of the continuous (Gaussian) rater model.

Plain numpy on integer-coded arrays (no pandas): ``item`` and ``rater`` codes per judgment, values,
group codes per rater. Every per-rater or per-item sum is one ``np.bincount``; memory is linear in the
number of judgments (the ordinal kernel keeps one ``(n_judgments, n_nodes)`` float array).

Intervals come from the observed information: per-rater blocks of the empirical (outer-product of
marginal scores, Fisher identity) information plus the prior precision. Cross-rater terms are ignored,
which is accurate when every rater shares items with many others (the usual crowd design); the
simulation tests check the coverage.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = ["ContinuousFit", "continuous_em"]


def _bc(index: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    return np.bincount(index, weights=weights, minlength=size)


# ==================================================================================================
# continuous: y_ij = a_j T_i + b_j + e_ij
# ==================================================================================================
@dataclass
class ContinuousFit:
    """Point estimates and observed-information standard errors of the continuous model."""

    bias: np.ndarray
    scale: np.ndarray
    noise_sd: np.ndarray
    bias_se: np.ndarray
    scale_se: np.ndarray
    log_noise_var_se: np.ndarray
    item_mean: np.ndarray
    item_sd: np.ndarray
    mu: float
    tau: float
    group_bias: np.ndarray
    bias_prior_sd: float
    group_noise_sd: np.ndarray
    n_iter: int
    converged: bool
    log_likelihood: float
    history: list[float] = field(default_factory=list)


def continuous_em(
    item: np.ndarray,
    rater: np.ndarray,
    y: np.ndarray,
    *,
    n_items: int,
    n_raters: int,
    group: np.ndarray,
    weight: np.ndarray | None = None,
    extra_var: np.ndarray | None = None,
    gold: np.ndarray | None = None,
    estimate_scale: np.ndarray | None = None,
    free_scale: np.ndarray | None = None,
    anchor: np.ndarray | None = None,
    scale_prior_sd: float = 0.5,
    noise_prior_df: float = 4.0,
    prior_bias_mean: np.ndarray | None = None,
    prior_bias_sd: np.ndarray | None = None,
    prior_noise_sd: np.ndarray | None = None,
    prior_noise_df: np.ndarray | None = None,
    robust_df: float | None = None,
    flat_items: bool = False,
    max_iter: int = 500,
    tol: float = 1e-5,
) -> ContinuousFit:
    """MAP/EM fit of the Gaussian rater model (Raykar et al. 2010, with hierarchical priors).

    Parameters
    ----------
    item, rater : int arrays (n,)
        Codes of each judgment.
    y : float array (n,)
    group : int array (n_raters,)
        Group (method x vendor) of each rater; bias and noise are shrunk to their group.
    weight : float array (n,), optional
        Precision multipliers (a weight of 2 counts like two judgments).
    extra_var : float array (n,), optional
        Known measurement variance added to the rater's noise (online signals: binomial sampling
        variance of the empirical logit).
    gold : float array (n_items,), optional
        Known quality (NaN where unknown): clamps those items.
    estimate_scale : bool array (n_raters,), optional
        Raters whose multiplicative scale ``a_j`` is estimated (ridge prior toward 1 with
        ``scale_prior_sd``); the others keep ``a_j = 1``.
    free_scale : bool array (n_raters,), optional
        Raters whose scale is estimated without prior and who do not enter the centring (online signals
        on another unit).
    anchor : bool array (n_raters,), optional
        Raters whose average bias is fixed at 0 (and whose geometric-mean scale is 1) when no gold is
        given; default all raters that are not ``free_scale``.
    prior_bias_mean, prior_bias_sd, prior_noise_sd, prior_noise_df : arrays (n_raters,), optional
        Rater-history priors (NaN = use the group prior).
    robust_df : float, optional
        Student-t noise with these degrees of freedom (EM on the normal scale mixture: every judgment
        gets a latent precision weight ``(df + 1) / (df + r^2 / sigma^2)``); ``None`` = Gaussian noise.
    flat_items : bool
        Flat prior on item quality (no shrinkage toward the population mean): the consensus is then the
        bias-corrected, precision-weighted mean on the raters' scale.
    """
    problem = _Problem.build(
        item, rater, y, n_items=n_items, n_raters=n_raters, group=group, weight=weight, extra_var=extra_var,
        gold=gold, estimate_scale=estimate_scale, free_scale=free_scale, anchor=anchor,
        scale_prior_sd=scale_prior_sd, noise_prior_df=noise_prior_df, prior_bias_mean=prior_bias_mean,
        prior_bias_sd=prior_bias_sd, prior_noise_sd=prior_noise_sd, prior_noise_df=prior_noise_df,
        robust_df=robust_df, flat_items=flat_items)
    start, pooled = _starting_values(problem)
    problem = dataclasses.replace(problem, pooled=pooled)
    theta, n_iter, converged, history = squarem(
        lambda t: problem.pack(_em_step(problem, problem.unpack(t))), problem.pack(start),
        lambda t1, t0: problem.distance(t1, t0), max_iter=max_iter, tol=tol)
    params = problem.unpack(theta)
    item_mean, item_var, _ = _e_step(problem, params)
    bias_se, log_noise_var_se, scale_se = _rater_standard_errors(problem, params, item_mean, item_var)
    return ContinuousFit(
        bias=params.bias, scale=params.scale, noise_sd=np.sqrt(params.sigma2), bias_se=bias_se,
        scale_se=scale_se, log_noise_var_se=log_noise_var_se, item_mean=item_mean, item_sd=np.sqrt(item_var),
        mu=params.mu, tau=float(np.sqrt(params.tau2)), group_bias=params.group_bias,
        bias_prior_sd=float(np.sqrt(params.bias_var)), group_noise_sd=np.sqrt(params.group_s2),
        n_iter=n_iter, converged=converged, history=history,
        log_likelihood=_continuous_loglik(
            problem.item, problem.rater, problem.y, params.scale, params.bias, params.sigma2, params.weight,
            problem.extra, params.mu, params.tau2, n_items, problem.gold_mask, problem.gold_values),
    )


# -- the steps of continuous_em ---------------------------------------------------------------------
class _Params(NamedTuple):
    """Everything the EM updates: rater bias/scale/noise, the item population, the group priors and (for
    Student-t noise) every judgment's latent precision weight."""

    bias: np.ndarray
    scale: np.ndarray
    sigma2: np.ndarray
    mu: float
    tau2: float
    group_bias: np.ndarray
    bias_var: float
    group_s2: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class _Problem:
    """The data and the fixed settings of one fit (nothing here changes between EM steps)."""

    item: np.ndarray
    rater: np.ndarray
    y: np.ndarray
    base_weight: np.ndarray
    extra: np.ndarray
    group: np.ndarray
    n_items: int
    n_raters: int
    n_groups: int
    free: np.ndarray  # raters on another unit (online signals): scale free, not in the centring
    estimate: np.ndarray  # raters whose scale is estimated under the ridge prior
    anchor: np.ndarray  # raters whose average bias (and mean scale) identifies the latent scale
    gold_mask: np.ndarray
    gold_values: np.ndarray
    judgments_per_rater: np.ndarray
    pooled: float  # pooled residual sd at the start: the unit of every floor and of convergence
    history_bias_mean: np.ndarray
    history_bias_sd: np.ndarray
    history_noise_sd: np.ndarray
    history_noise_df: np.ndarray
    scale_prior_sd: float
    noise_prior_df: float
    robust_df: float | None
    flat_items: bool

    @classmethod
    def build(cls, item, rater, y, *, n_items, n_raters, group, weight, extra_var, gold, estimate_scale,
              free_scale, anchor, scale_prior_sd, noise_prior_df, prior_bias_mean, prior_bias_sd,
              prior_noise_sd, prior_noise_df, robust_df, flat_items) -> _Problem:
        n = y.shape[0]
        y = np.asarray(y, dtype=float)
        base_weight = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
        free = np.zeros(n_raters, bool) if free_scale is None else np.asarray(free_scale, bool)
        estimate = np.zeros(n_raters, bool) if estimate_scale is None else np.asarray(estimate_scale, bool)
        gold_mask = np.zeros(n_items, bool) if gold is None else np.isfinite(gold)

        def history(values):
            return np.full(n_raters, np.nan) if values is None else np.asarray(values, float)
        return cls(
            item=item, rater=rater, y=y, base_weight=base_weight,
            extra=np.zeros(n) if extra_var is None else np.asarray(extra_var, dtype=float),
            group=group, n_items=n_items, n_raters=n_raters,
            n_groups=int(group.max()) + 1 if n_raters else 0,
            free=free, estimate=estimate & ~free, anchor=~free if anchor is None else np.asarray(anchor, bool),
            gold_mask=gold_mask, gold_values=np.where(gold_mask, gold if gold is not None else 0.0, 0.0),
            judgments_per_rater=_bc(rater, base_weight, n_raters), pooled=math.nan,  # set from the start
            history_bias_mean=history(prior_bias_mean), history_bias_sd=history(prior_bias_sd),
            history_noise_sd=history(prior_noise_sd), history_noise_df=history(prior_noise_df),
            scale_prior_sd=scale_prior_sd, noise_prior_df=float(noise_prior_df), robust_df=robust_df,
            flat_items=flat_items,
        )

    @property
    def has_gold(self) -> bool:
        return bool(self.gold_mask.any())

    @property
    def has_history_bias(self) -> np.ndarray:
        return np.isfinite(self.history_bias_mean) & np.isfinite(self.history_bias_sd)

    @property
    def has_history_noise(self) -> np.ndarray:
        return np.isfinite(self.history_noise_sd)

    def bias_precision(self, bias_var: float) -> np.ndarray:
        """Prior precision of each rater's bias: its history, else the group prior; none for online signals."""
        has = self.has_history_bias
        precision = np.where(has, 1.0 / np.where(has, self.history_bias_sd, 1.0) ** 2, 1.0 / bias_var)
        return np.where(self.free, 0.0, precision)

    # theta vector for the SQUAREM extrapolation (variances on the log scale)
    def pack(self, params: _Params) -> np.ndarray:
        parts = [params.bias, params.scale, np.log(params.sigma2), [params.mu, np.log(params.tau2)],
                 params.group_bias, [np.log(params.bias_var)], np.log(params.group_s2)]
        if self.robust_df is not None:
            parts.append(np.log(params.weight))
        return np.concatenate(parts)

    def unpack(self, theta: np.ndarray) -> _Params:
        n_raters, n_groups = self.n_raters, self.n_groups
        offset = 3 * n_raters + 2
        return _Params(
            bias=theta[:n_raters], scale=theta[n_raters:2 * n_raters],
            sigma2=np.exp(theta[2 * n_raters:3 * n_raters]), mu=float(theta[3 * n_raters]),
            tau2=float(np.exp(theta[3 * n_raters + 1])), group_bias=theta[offset:offset + n_groups],
            bias_var=float(np.exp(theta[offset + n_groups])),
            group_s2=np.exp(theta[offset + n_groups + 1:offset + 2 * n_groups + 1]),
            weight=np.exp(theta[offset + 2 * n_groups + 1:]) if self.robust_df is not None else self.base_weight,
        )

    def distance(self, theta_new: np.ndarray, theta_old: np.ndarray) -> float:
        """Largest change of the rater and population parameters, in units of the pooled noise sd (log
        units, halved, for variances)."""
        n_raters = self.n_raters
        units = np.r_[np.full(n_raters, 1.0 / self.pooled), np.ones(n_raters), np.full(n_raters, 0.5),
                      1.0 / self.pooled, 0.5]
        k = 3 * n_raters + 2
        return float(np.max(np.abs((theta_new[:k] - theta_old[:k]) * units)))


def _starting_values(problem: _Problem) -> tuple[_Params, float]:
    """Item means of the anchored raters, zero bias (a least-squares line for online signals); and the
    pooled residual sd at that start."""
    item, rater, y, w = problem.item, problem.rater, problem.y, problem.base_weight
    n_items, n_raters = problem.n_items, problem.n_raters
    anchored_rows = problem.anchor[rater]
    rows = anchored_rows if anchored_rows.any() else np.ones(len(y), bool)
    count = _bc(item[rows], w[rows], n_items)
    quality = np.where(count > 0, _bc(item[rows], (w * y)[rows], n_items) / np.maximum(count, 1e-300), np.nan)
    quality = np.where(np.isfinite(quality), quality, np.nanmean(quality) if np.isfinite(quality).any() else 0.0)
    quality = np.where(problem.gold_mask, problem.gold_values, quality)
    scale = np.ones(n_raters)
    bias = np.zeros(n_raters)
    free = problem.free
    if free.any():  # online signals: least-squares line on the starting quality
        rows_free = free[rater]
        x, target, weight = quality[item[rows_free]], y[rows_free], w[rows_free]
        codes = rater[rows_free]
        s1, sx, sy = _bc(codes, weight, n_raters), _bc(codes, weight * x, n_raters), _bc(codes, weight * target, n_raters)
        sxx, sxy = _bc(codes, weight * x * x, n_raters), _bc(codes, weight * x * target, n_raters)
        det = s1 * sxx - sx * sx
        ok = free & (det > 1e-12)
        scale[ok] = ((s1 * sxy - sx * sy) / np.where(det > 1e-12, det, 1))[ok]
        bias[ok] = ((sy - scale * sx) / np.maximum(s1, 1e-300))[ok]
    resid = y - scale[rater] * quality[item] - bias[rater]
    pooled = float(np.sqrt(np.average(resid[rows] ** 2, weights=w[rows]))) if rows.any() else 1.0
    pooled = max(pooled, 1e-6 * (np.std(y) + 1e-12), 1e-12)
    n_j = problem.judgments_per_rater
    sigma2 = np.maximum(_bc(rater, w * resid**2, n_raters) / np.maximum(n_j, 1e-300), pooled**2 * 1e-4)
    sigma2 = np.where(n_j > 0, sigma2, pooled**2)
    return _Params(bias=bias, scale=scale, sigma2=sigma2, mu=float(np.mean(quality)),
                   tau2=max(float(np.var(quality)), pooled**2 * 1e-3), group_bias=np.zeros(problem.n_groups),
                   bias_var=max(pooled**2, 1e-12), group_s2=np.full(problem.n_groups, pooled**2),
                   weight=w.copy()), pooled


def _e_step(problem: _Problem, params: _Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian posterior of every item's quality: (mean, variance, per-judgment precision)."""
    item, rater = problem.item, problem.rater
    precision = 1.0 / (params.sigma2[rater] / params.weight + problem.extra)
    scale = params.scale[rater]
    post_precision = 1.0 / params.tau2 + _bc(item, scale * scale * precision, problem.n_items)
    mean = (params.mu / params.tau2
            + _bc(item, scale * (problem.y - params.bias[rater]) * precision, problem.n_items)) / post_precision
    return (np.where(problem.gold_mask, problem.gold_values, mean),
            np.where(problem.gold_mask, 0.0, 1.0 / post_precision), precision)


def _em_step(problem: _Problem, params: _Params) -> _Params:
    item, rater, y, n_raters, n_groups = problem.item, problem.rater, problem.y, problem.n_raters, problem.n_groups
    pooled, free, estimate = problem.pooled, problem.free, problem.estimate
    has_bias, has_noise = problem.has_history_bias, problem.has_history_noise
    quality, quality_var, precision = _e_step(problem, params)
    # ---- M-step: rater bias and scale jointly (2x2 normal equations per rater), then noise
    q_row, v_row = quality[item], quality_var[item]
    s1 = _bc(rater, precision, n_raters)
    sq = _bc(rater, precision * q_row, n_raters)
    sqq = _bc(rater, precision * (q_row * q_row + v_row), n_raters)
    sy = _bc(rater, precision * y, n_raters)
    syq = _bc(rater, precision * y * q_row, n_raters)
    bias_mean = np.where(has_bias, problem.history_bias_mean, params.group_bias[problem.group])
    bias_precision = problem.bias_precision(params.bias_var)
    scale_precision = np.where(estimate, 1.0 / problem.scale_prior_sd**2, 0.0)
    # solve [[sqq + a_prec, sq], [sq, s1 + bias_prec]] [a, b] = [syq + a_prec, sy + bias_prec * mean]
    scale_free = estimate | free
    a11, a12, a22 = sqq + scale_precision, sq, s1 + bias_precision
    r1, r2 = syq + scale_precision, sy + bias_precision * bias_mean
    det = a11 * a22 - a12 * a12
    scale = np.where(scale_free & (det > 1e-12), (r1 * a22 - a12 * r2) / np.where(det > 1e-12, det, 1.0),
                     params.scale)
    scale = np.where(scale_free, scale, 1.0)
    bias = (r2 - a12 * scale) / np.maximum(a22, 1e-300)
    scale_row = scale[rater]
    resid = y - scale_row * q_row - bias[rater]
    expected_sq = resid * resid + scale_row * scale_row * v_row
    weight = params.weight
    ss = _bc(rater, weight * expected_sq, n_raters)
    # online signals: remove the known sampling variance (method of moments, floored)
    ss_extra = _bc(rater, weight * problem.extra, n_raters)
    nu0 = problem.noise_prior_df
    dof = np.where(has_noise, np.where(np.isfinite(problem.history_noise_df), problem.history_noise_df, nu0), nu0)
    dof = np.where(free, 0.0, dof)  # online signals live on the logit scale: no rating-scale prior
    prior_scale2 = np.where(has_noise, problem.history_noise_sd**2, params.group_s2[problem.group])
    sigma2 = (np.maximum(ss - ss_extra, 0.0) + dof * prior_scale2) / (problem.judgments_per_rater + dof + 2.0)
    sigma2 = np.maximum(sigma2, pooled**2 * 1e-6)
    if problem.robust_df is not None:  # Student-t: latent precision weight of every judgment
        weight = problem.base_weight * (problem.robust_df + 1.0) / (problem.robust_df + expected_sq / sigma2[rater])
    # ---- population and hyperparameters (empirical Bayes)
    mu = float(np.mean(quality))
    tau2 = max(float(np.mean(quality_var + (quality - mu) ** 2)), pooled**2 * 1e-6)
    if problem.flat_items:
        tau2 = 1e12 * max(pooled**2, 1.0)
    group_bias, bias_var, group_s2 = params.group_bias, params.bias_var, params.group_s2
    rated = (problem.judgments_per_rater > 0) & ~free & ~has_bias
    if rated.any():
        per_group = _bc(problem.group[rated], None, n_groups)
        group_bias = np.where(per_group > 0, _bc(problem.group[rated], bias[rated], n_groups)
                              / np.maximum(per_group, 1), 0.0)
        conditional_var = 1.0 / (s1 + 1.0 / params.bias_var)
        deviation = (bias - group_bias[problem.group]) ** 2 + conditional_var
        bias_var = max(float(np.mean(deviation[rated])), pooled**2 * 1e-6)
        inverse_noise = _bc(problem.group[rated], 1.0 / sigma2[rated], n_groups)
        group_s2 = np.where(per_group > 0, per_group / np.maximum(inverse_noise, 1e-300), pooled**2)
    params = _Params(bias, scale, sigma2, mu, tau2, group_bias, bias_var, group_s2, weight)
    return _identify(problem, params)


def _identify(problem: _Problem, params: _Params) -> _Params:
    """Without gold, fix the latent scale: the anchored raters' mean scale is 1 (arithmetic, so a rater who
    reverses the scale has a < 0) and their mean bias 0."""
    anchor = problem.anchor
    if problem.has_gold or not anchor.any():
        return params
    stretch = float(np.mean(params.scale[anchor])) if problem.estimate[anchor].any() else 1.0
    stretch = stretch if stretch > 1e-8 else 1.0
    scale = params.scale / stretch
    shift = float(np.mean(params.bias[anchor]) / np.mean(scale[anchor]))
    group_shift = shift * (1.0 if not problem.estimate.any() else float(np.mean(scale[anchor])))
    return params._replace(bias=params.bias - scale * shift, scale=scale, mu=stretch * params.mu + shift,
                           tau2=stretch * stretch * params.tau2, group_bias=params.group_bias - group_shift)


def squarem(step, theta: np.ndarray, distance, *, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool, list[float]]:
    """Accelerated fixed-point iteration of ``step`` (SQUAREM, Varadhan & Roland 2008, scheme S3).

    Two EM steps, one extrapolation, one stabilising EM step. Plain EM crawls on crowd designs (rate ~0.97
    per iteration); SQUAREM needs a few dozen EM steps instead of hundreds. Returns (theta, EM steps taken,
    converged, the change per cycle).
    """
    history: list[float] = []
    n_steps = 0
    while n_steps < max_iter:
        first = step(theta)
        second = step(first)
        n_steps += 2
        r = first - theta
        v = second - first - r
        r_norm, v_norm = float(np.linalg.norm(r)), float(np.linalg.norm(v))
        new = second
        if v_norm > 0 and np.isfinite(v_norm):
            alpha = max(min(-r_norm / v_norm, -1.0), -50.0)
            with np.errstate(all="ignore"):
                extrapolated = step(theta - 2 * alpha * r + alpha * alpha * v)
            n_steps += 1
            if np.all(np.isfinite(extrapolated)):
                new = extrapolated
        change = distance(new, theta)
        history.append(change)
        theta = new
        if change <= tol:
            return theta, n_steps, True, history
    return theta, n_steps, False, history


def _rater_standard_errors(problem: _Problem, params: _Params, quality: np.ndarray,
                           quality_var: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bias SE, log-noise-variance SE, scale SE) per rater from the observed information: the empirical
    outer product of marginal scores (Fisher identity) plus the prior precision, per-rater 3x3 blocks."""
    item, rater, n_raters = problem.item, problem.rater, problem.n_raters
    sigma2_row = params.sigma2[rater] / params.weight
    precision = 1.0 / (sigma2_row + problem.extra)
    q_row, v_row = quality[item], quality_var[item]
    scale_row = params.scale[rater]
    resid = problem.y - scale_row * q_row - params.bias[rater]
    scores = [
        precision * resid,  # d/d bias
        0.5 * ((resid * resid + scale_row * scale_row * v_row) * precision - 1.0) * sigma2_row * precision,
        precision * (resid * q_row - scale_row * v_row),  # d/d scale
    ]
    info = np.empty((n_raters, 3, 3))
    for p in range(3):
        for q in range(p, 3):
            info[:, p, q] = info[:, q, p] = _bc(rater, scores[p] * scores[q], n_raters)
    info[:, 0, 0] += problem.bias_precision(params.bias_var)
    info[:, 1, 1] += 0.5 * problem.noise_prior_df + 1e-9
    info[:, 2, 2] += np.where(problem.estimate, 1.0 / problem.scale_prior_sd**2, 0.0)
    fixed = ~(problem.estimate | problem.free)  # a fixed scale: drop the third row and column
    info[fixed, 2, :] = 0.0
    info[fixed, :, 2] = 0.0
    info[fixed, 2, 2] = 1.0
    cov = np.linalg.inv(info + np.eye(3) * 1e-12)
    return (np.sqrt(np.maximum(cov[:, 0, 0], 0.0)), np.sqrt(np.maximum(cov[:, 1, 1], 0.0)),
            np.where(fixed, 0.0, np.sqrt(np.maximum(cov[:, 2, 2], 0.0))))


def _continuous_loglik(item, rater, y, a, b, sigma2, w, extra, mu, tau2, n_items, gold_mask, gold_values):
    """Marginal log-likelihood (items integrated out), computed per item in closed form."""
    var = sigma2[rater] / w + extra
    prec = 1.0 / var
    ar = a[rater]
    z = y - b[rater]
    # log N(z_i | a_i mu, diag(var) + tau2 a a^T) via the matrix determinant lemma / Woodbury
    free_items = ~gold_mask
    resid0 = np.where(free_items[item], z - ar * mu, z - ar * gold_values[item])
    s_aa = _bc(item, ar * ar * prec, n_items)
    s_ar = _bc(item, ar * resid0 * prec, n_items)
    quad = _bc(item, resid0 * resid0 * prec, n_items)
    logdet = _bc(item, np.log(var), n_items)
    t2 = np.where(free_items, tau2, 0.0)
    denom = 1.0 + t2 * s_aa
    quad = quad - t2 * s_ar**2 / denom
    logdet = logdet + np.log(denom)
    n_i = _bc(item, None, n_items)
    return float(-0.5 * np.sum(quad + logdet + n_i * np.log(2 * np.pi)))
