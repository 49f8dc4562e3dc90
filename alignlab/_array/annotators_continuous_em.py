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

from dataclasses import dataclass, field

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
    n = y.shape[0]
    y = np.asarray(y, dtype=float)
    w0 = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    w = w0
    extra = np.zeros(n) if extra_var is None else np.asarray(extra_var, dtype=float)
    n_groups = int(group.max()) + 1 if n_raters else 0
    free = np.zeros(n_raters, bool) if free_scale is None else np.asarray(free_scale, bool)
    est = np.zeros(n_raters, bool) if estimate_scale is None else np.asarray(estimate_scale, bool)
    est = est & ~free
    anchor = ~free if anchor is None else np.asarray(anchor, bool)
    gold_mask = np.zeros(n_items, bool) if gold is None else np.isfinite(gold)
    has_gold = bool(gold_mask.any())
    gold_values = np.where(gold_mask, gold if gold is not None else 0.0, 0.0)

    n_j = _bc(rater, w, n_raters)
    # starting values: item means of the anchored raters, zero bias, pooled residual sd
    anchored_rows = anchor[rater]
    rows = anchored_rows if anchored_rows.any() else np.ones(n, bool)
    cnt = _bc(item[rows], w[rows], n_items)
    m = np.where(cnt > 0, _bc(item[rows], (w * y)[rows], n_items) / np.maximum(cnt, 1e-300), np.nan)
    m = np.where(np.isfinite(m), m, np.nanmean(m) if np.isfinite(m).any() else 0.0)
    m = np.where(gold_mask, gold_values, m)
    a = np.ones(n_raters)
    b = np.zeros(n_raters)
    if free.any():  # online signals: least-squares line on the starting quality
        fr = free[rater]
        mm, yy, ww = m[item[fr]], y[fr], w[fr]
        s1 = _bc(rater[fr], ww, n_raters)
        sx = _bc(rater[fr], ww * mm, n_raters)
        sy = _bc(rater[fr], ww * yy, n_raters)
        sxx = _bc(rater[fr], ww * mm * mm, n_raters)
        sxy = _bc(rater[fr], ww * mm * yy, n_raters)
        det = s1 * sxx - sx * sx
        ok = free & (det > 1e-12)
        a[ok] = ((s1 * sxy - sx * sy) / np.where(det > 1e-12, det, 1))[ok]
        b[ok] = ((sy - a * sx) / np.maximum(s1, 1e-300))[ok]
    resid = y - a[rater] * m[item] - b[rater]
    pooled = float(np.sqrt(np.average(resid[rows] ** 2, weights=w[rows]))) if rows.any() else 1.0
    pooled = max(pooled, 1e-6 * (np.std(y) + 1e-12), 1e-12)
    sigma2 = np.maximum(_bc(rater, w * resid**2, n_raters) / np.maximum(n_j, 1e-300), pooled**2 * 1e-4)
    sigma2 = np.where(n_j > 0, sigma2, pooled**2)
    mu = float(np.mean(m))
    tau2 = max(float(np.var(m)), pooled**2 * 1e-3)
    group_bias = np.zeros(n_groups)
    bias_var = max(pooled**2, 1e-12)
    group_s2 = np.full(n_groups, pooled**2)
    nu0 = float(noise_prior_df)

    pb_mean = np.full(n_raters, np.nan) if prior_bias_mean is None else np.asarray(prior_bias_mean, float)
    pb_sd = np.full(n_raters, np.nan) if prior_bias_sd is None else np.asarray(prior_bias_sd, float)
    pn_sd = np.full(n_raters, np.nan) if prior_noise_sd is None else np.asarray(prior_noise_sd, float)
    pn_df = np.full(n_raters, np.nan) if prior_noise_df is None else np.asarray(prior_noise_df, float)
    has_pb = np.isfinite(pb_mean) & np.isfinite(pb_sd)
    has_pn = np.isfinite(pn_sd)

    R, G = n_raters, n_groups
    robust = robust_df is not None

    def pack(b, a, sigma2, mu, tau2, group_bias, bias_var, group_s2, w):
        parts = [b, a, np.log(sigma2), [mu, np.log(tau2)], group_bias, [np.log(bias_var)], np.log(group_s2)]
        if robust:
            parts.append(np.log(w))
        return np.concatenate(parts)

    def unpack(theta):
        b, a, ls2 = theta[:R], theta[R:2 * R], theta[2 * R:3 * R]
        mu, ltau2 = theta[3 * R], theta[3 * R + 1]
        o = 3 * R + 2
        group_bias, lbv, lgs2 = theta[o:o + G], theta[o + G], theta[o + G + 1:o + 2 * G + 1]
        w = np.exp(theta[o + 2 * G + 1:]) if robust else w0
        return b, a, np.exp(ls2), mu, np.exp(ltau2), group_bias, np.exp(lbv), np.exp(lgs2), w

    def e_step(a, b, sigma2, mu, tau2, w):
        var = sigma2[rater] / w + extra
        prec = 1.0 / var
        ar = a[rater]
        post_prec = 1.0 / tau2 + _bc(item, ar * ar * prec, n_items)
        m = (mu / tau2 + _bc(item, ar * (y - b[rater]) * prec, n_items)) / post_prec
        v = 1.0 / post_prec
        return np.where(gold_mask, gold_values, m), np.where(gold_mask, 0.0, v), prec

    def em_step(theta):
        b, a, sigma2, mu, tau2, group_bias, bias_var, group_s2, w = unpack(theta)
        # ---- E-step: Gaussian posterior of every item's quality
        m, v, prec = e_step(a, b, sigma2, mu, tau2, w)
        # ---- M-step: rater bias (and scale), then noise
        mi, vi = m[item], v[item]
        s1 = _bc(rater, prec, R)
        sm = _bc(rater, prec * mi, R)
        smm = _bc(rater, prec * (mi * mi + vi), R)
        sy = _bc(rater, prec * y, R)
        sym = _bc(rater, prec * y * mi, R)
        bias_mean = np.where(has_pb, pb_mean, group_bias[group])
        bias_prec = np.where(has_pb, 1.0 / np.where(has_pb, pb_sd, 1.0) ** 2, 1.0 / bias_var)
        bias_prec = np.where(free, 0.0, bias_prec)
        a_prec = np.where(est, 1.0 / scale_prior_sd**2, 0.0)
        # solve [[smm + a_prec, sm], [sm, s1 + bias_prec]] [a, b] = [sym + a_prec, sy + bias_prec*mean]
        est_any = est | free
        A11, A12, A22 = smm + a_prec, sm, s1 + bias_prec
        r1, r2 = sym + a_prec, sy + bias_prec * bias_mean
        det = A11 * A22 - A12 * A12
        a = np.where(est_any & (det > 1e-12), (r1 * A22 - A12 * r2) / np.where(det > 1e-12, det, 1.0), a)
        a = np.where(est_any, a, 1.0)
        b = (r2 - A12 * a) / np.maximum(A22, 1e-300)
        ar = a[rater]
        r = y - ar * mi - b[rater]
        er2 = r * r + ar * ar * vi
        ss = _bc(rater, w * er2, R)
        # online signals: remove the known sampling variance (method of moments, floored)
        ss_extra = _bc(rater, w * extra, R)
        df = np.where(has_pn, np.where(np.isfinite(pn_df), pn_df, nu0), nu0)
        df = np.where(free, 0.0, df)  # online signals live on the logit scale: no rating-scale prior
        scale2 = np.where(has_pn, pn_sd**2, group_s2[group])
        sigma2 = (np.maximum(ss - ss_extra, 0.0) + df * scale2) / (n_j + df + 2.0)
        sigma2 = np.maximum(sigma2, pooled**2 * 1e-6)
        if robust:  # Student-t: latent precision weight of every judgment
            w = w0 * (robust_df + 1.0) / (robust_df + er2 / sigma2[rater])
        # ---- population and hyperparameters (empirical Bayes)
        mu = float(np.mean(m))
        tau2 = max(float(np.mean(v + (m - mu) ** 2)), pooled**2 * 1e-6)
        if flat_items:
            tau2 = 1e12 * max(pooled**2, 1.0)
        rated = (n_j > 0) & ~free & ~has_pb
        if rated.any():
            cnt_g = _bc(group[rated], None, G)
            group_bias = np.where(cnt_g > 0, _bc(group[rated], b[rated], G) / np.maximum(cnt_g, 1), 0.0)
            cond_var = 1.0 / (s1 + 1.0 / bias_var)
            dev = (b - group_bias[group]) ** 2 + cond_var
            bias_var = max(float(np.mean(dev[rated])), pooled**2 * 1e-6)
            inv = _bc(group[rated], 1.0 / sigma2[rated], G)
            group_s2 = np.where(cnt_g > 0, cnt_g / np.maximum(inv, 1e-300), pooled**2)
        # ---- identification: bias relative to the anchored raters' average (no gold)
        if not has_gold and anchor.any():
            # mean scale 1 (arithmetic: a rater who reverses the scale has a < 0)
            g = float(np.mean(a[anchor])) if est[anchor].any() else 1.0
            g = g if g > 1e-8 else 1.0
            a = a / g
            c = float(np.mean(b[anchor]) / np.mean(a[anchor]))
            b = b - a * c
            mu = g * mu + c
            tau2 = g * g * tau2
            group_bias = group_bias - c * (1.0 if not est.any() else float(np.mean(a[anchor])))
        return pack(b, a, sigma2, mu, tau2, group_bias, bias_var, group_s2, w)

    # the parameters compared for convergence, in units of the pooled noise sd (log units for variances)
    scaled = np.r_[np.full(R, 1.0 / pooled), np.ones(R), np.full(R, 0.5), 1.0 / pooled, 0.5]

    def distance(t1, t0):
        k = 3 * R + 2
        return float(np.max(np.abs((t1[:k] - t0[:k]) * scaled)))

    # SQUAREM (Varadhan & Roland 2008, scheme S3): two EM steps, one extrapolation, one stabilising
    # EM step. Plain EM crawls here (rate ~0.97 per iteration on crowd designs); SQUAREM needs a few
    # dozen EM steps instead of hundreds.
    theta = pack(b, a, sigma2, mu, tau2, group_bias, bias_var, group_s2, w0.copy())
    history: list[float] = []
    converged = False
    it = 0
    while it < max_iter:
        t1 = em_step(theta)
        t2 = em_step(t1)
        it += 2
        r = t1 - theta
        vv = t2 - t1 - r
        nr, nv = float(np.linalg.norm(r)), float(np.linalg.norm(vv))
        if nv > 0 and np.isfinite(nv):
            alpha = max(min(-nr / nv, -1.0), -50.0)
            candidate = theta - 2 * alpha * r + alpha * alpha * vv
            with np.errstate(all="ignore"):
                new = em_step(candidate)
            it += 1
            if not np.all(np.isfinite(new)):
                new = t2
        else:
            new = t2
        change = distance(new, theta)
        history.append(change)
        theta = new
        if change <= tol:
            converged = True
            break
    b, a, sigma2, mu, tau2, group_bias, bias_var, group_s2, w = unpack(theta)
    m, v, _ = e_step(a, b, sigma2, mu, tau2, w)

    # ---- observed information per rater (empirical, Fisher identity) + prior precision
    var = sigma2[rater] / w + extra
    prec = 1.0 / var
    mi, vi = m[item], v[item]
    ar = a[rater]
    r = y - ar * mi - b[rater]
    g_b = prec * r
    g_s = 0.5 * ((r * r + ar * ar * vi) * prec - 1.0) * (sigma2[rater] / w) * prec  # d/d log sigma^2
    g_a = prec * (r * mi - ar * vi)
    scores = [g_b, g_s, g_a]
    info = np.empty((n_raters, 3, 3))
    for p in range(3):
        for q in range(p, 3):
            info[:, p, q] = info[:, q, p] = _bc(rater, scores[p] * scores[q], n_raters)
    bias_prec = np.where(has_pb, 1.0 / np.where(has_pb, pb_sd, 1.0) ** 2, 1.0 / bias_var)
    info[:, 0, 0] += np.where(free, 0.0, bias_prec)
    info[:, 1, 1] += 0.5 * nu0 + 1e-9
    info[:, 2, 2] += np.where(est, 1.0 / scale_prior_sd**2, 0.0)
    # raters with a fixed scale: drop the third row/column
    fixed = ~(est | free)
    info[fixed, 2, :] = 0.0
    info[fixed, :, 2] = 0.0
    info[fixed, 2, 2] = 1.0
    cov = np.linalg.inv(info + np.eye(3) * 1e-12)
    bias_se = np.sqrt(np.maximum(cov[:, 0, 0], 0.0))
    lv_se = np.sqrt(np.maximum(cov[:, 1, 1], 0.0))
    scale_se = np.where(fixed, 0.0, np.sqrt(np.maximum(cov[:, 2, 2], 0.0)))
    return ContinuousFit(
        bias=b, scale=a, noise_sd=np.sqrt(sigma2), bias_se=bias_se, scale_se=scale_se,
        log_noise_var_se=lv_se, item_mean=m, item_sd=np.sqrt(v), mu=mu, tau=float(np.sqrt(tau2)),
        group_bias=group_bias, bias_prior_sd=float(np.sqrt(bias_var)), group_noise_sd=np.sqrt(group_s2),
        n_iter=it, converged=converged, history=history,
        log_likelihood=_continuous_loglik(item, rater, y, a, b, sigma2, w, extra, mu, tau2, n_items, gold_mask,
                                          gold_values),
    )


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
