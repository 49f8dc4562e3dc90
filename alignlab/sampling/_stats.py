"""Distribution-shift statistics on cell shares, vectorised over bootstrap replicates (last axis = cells)."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

PSI_FLOOR = 1e-4  # shares below this are floored in PSI (the usual convention; PSI is infinite at 0)


def tvd(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total variation distance ½ Σ|p − q|."""
    return 0.5 * np.abs(p - q).sum(axis=-1)


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence in bits (in [0, 1]); scipy's ``jensenshannon(base=2)`` squared."""
    m = 0.5 * (p + q)
    return 0.5 * (special.rel_entr(p, m).sum(axis=-1) + special.rel_entr(q, m).sum(axis=-1)) / np.log(2)


def psi(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Population stability index Σ (p − q) ln(p / q), shares floored at ``PSI_FLOOR``."""
    pf, qf = np.maximum(p, PSI_FLOOR), np.maximum(q, PSI_FLOOR)
    return ((pf - qf) * np.log(pf / qf)).sum(axis=-1)


def poststrat_deff(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Kish design effect of post-stratifying q to p over the covered cells: Σ p̃²/q = 1 + χ²(p̃‖q),
    p̃ = p renormalised over cells with q > 0 (uncovered cells cannot be reweighted)."""
    covered = q > 0
    mass = np.where(covered, p, 0.0).sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pt = np.where(covered, p, 0.0) / mass
        out = np.where(covered, pt**2 / np.where(covered, q, 1.0), 0.0).sum(axis=-1)
    return np.where(mass[..., 0] > 0, out, np.nan)


def delta_log_ratio(
    x_prod: np.ndarray, n_prod: float, x_eval: np.ndarray, n_eval: float, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log(p/q) with its delta-method SE and interval (Agresti 2013, §3.1.6).

    Var log(p/q) ≈ (1 − p)/(N p) + (1 − q)/(n q). A zero count gets the Haldane–Anscombe 0.5
    correction (both counts of that segment), so the estimate and interval stay finite.
    """
    zero = (x_prod <= 0) | (x_eval <= 0)
    xp = np.where(zero, x_prod + 0.5, x_prod)
    xe = np.where(zero, x_eval + 0.5, x_eval)
    p, q = xp / n_prod, xe / n_eval
    estimate = np.log(p / q)
    se = np.sqrt(np.clip((1 - p) / (n_prod * p), 0, None) + np.clip((1 - q) / (n_eval * q), 0, None))
    return estimate, se, estimate - z * se, estimate + z * se


def two_proportion_pvalue(x_prod: np.ndarray, n_prod: float, x_eval: np.ndarray, n_eval: float) -> np.ndarray:
    """Pooled two-proportion z-test of p = q (the 2×2 Pearson χ² without continuity correction)."""
    pooled = (x_prod + x_eval) / (n_prod + n_eval)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_prod + 1 / n_eval))
    with np.errstate(divide="ignore", invalid="ignore"):
        zstat = (x_prod / n_prod - x_eval / n_eval) / se
    return np.where(se > 0, 2 * stats.norm.sf(np.abs(zstat)), 1.0)


def hanley_mcneil_se(auc: float, n_pos: float, n_neg: float) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982, Radiology, eq. 2)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))
