"""Correlations along the last axis of ``(..., k)`` arrays with NaN for missing cells.

Used for system-level statistics (k = systems), item-grouped statistics (k = systems within one input)
and permutation tests (one row per permutation). Pair-based statistics build ``(..., k, k)`` arrays, so
callers keep ``k`` small (systems) or batch the leading axes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rows_statistic", "pair_signs", "tie_sweep"]


def _ranks(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mid-ranks among the valid cells of each row (O(k^2) comparisons; k is small)."""
    xi, xj = x[..., :, None], x[..., None, :]
    vj = valid[..., None, :]
    less = ((xj < xi) & vj).sum(axis=-1)
    equal = ((xj == xi) & vj).sum(axis=-1)
    return np.where(valid, less + (equal + 1) / 2.0, np.nan)


def _pearson(x: np.ndarray, y: np.ndarray, valid: np.ndarray) -> np.ndarray:
    n = valid.sum(axis=-1)
    xv, yv = np.where(valid, x, 0.0), np.where(valid, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xv.sum(axis=-1) / n, yv.sum(axis=-1) / n
        dx = np.where(valid, x - mx[..., None], 0.0)
        dy = np.where(valid, y - my[..., None], 0.0)
        r = (dx * dy).sum(axis=-1) / np.sqrt((dx * dx).sum(axis=-1) * (dy * dy).sum(axis=-1))
    return np.where(n >= 2, np.clip(r, -1.0, 1.0), np.nan)


def pair_signs(x: np.ndarray, y: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sign(dx)``, ``sign(dy)`` over pairs i < j of the last axis and the validity of each pair."""
    k = x.shape[-1]
    iu, ju = np.triu_indices(k, 1)
    sx = np.sign(x[..., iu] - x[..., ju])
    sy = np.sign(y[..., iu] - y[..., ju])
    pv = valid[..., iu] & valid[..., ju]
    return np.where(pv, sx, 0.0), np.where(pv, sy, 0.0), pv


def rows_statistic(
    x: np.ndarray, y: np.ndarray, statistic: str, *, epsilon: float = 0.0
) -> np.ndarray:
    """``statistic`` between ``x`` and ``y`` along the last axis (NaN cells skipped pairwise).

    ``x`` is the method being assessed (its ties are thresholded by ``epsilon`` for ``acc_eq``), ``y``
    the reference.
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    valid = np.isfinite(x) & np.isfinite(y)
    if statistic == "pearson":
        return _pearson(x, y, valid)
    if statistic == "spearman":
        return _pearson(_ranks(x, valid), _ranks(y, valid), valid)
    k = x.shape[-1]
    iu, ju = np.triu_indices(k, 1)
    dx = x[..., iu] - x[..., ju]
    dy = y[..., iu] - y[..., ju]
    pv = valid[..., iu] & valid[..., ju]
    n_pairs = pv.sum(axis=-1)
    if statistic == "acc_eq":
        metric_tie = np.abs(dx) <= epsilon
        correct = np.where(metric_tie, dy == 0, np.sign(dx) == np.sign(dy)) & pv
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n_pairs > 0, correct.sum(axis=-1) / n_pairs, np.nan)
    if statistic == "pairwise_accuracy":
        correct = (np.sign(dx) == np.sign(dy)) & pv
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n_pairs > 0, correct.sum(axis=-1) / n_pairs, np.nan)
    sx, sy = np.where(pv, np.sign(dx), 0.0), np.where(pv, np.sign(dy), 0.0)
    s = (sx * sy).sum(axis=-1)
    if statistic == "kendall_b":
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / np.sqrt((sx != 0).sum(axis=-1) * (sy != 0).sum(axis=-1))
    if statistic == "kendall_c":
        n = valid.sum(axis=-1)
        xi, xj = x[..., :, None], x[..., None, :]
        yi, yj = y[..., :, None], y[..., None, :]
        vj = valid[..., None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            distinct_x = np.where(valid, 1.0 / ((xj == xi) & vj).sum(axis=-1), 0.0).sum(axis=-1)
            distinct_y = np.where(valid, 1.0 / ((yj == yi) & vj).sum(axis=-1), 0.0).sum(axis=-1)
            m = np.rint(np.minimum(distinct_x, distinct_y))
            out = 2.0 * s / (n**2 * (m - 1) / m)
        return np.where(m > 1, out, np.nan)
    raise ValueError(f"unknown statistic {statistic!r}")


def tie_sweep(abs_dx: np.ndarray, human_tie: np.ndarray, sign_agree: np.ndarray,
              pair_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """acc_eq for every tie threshold epsilon in the sorted distinct ``|dx|`` (Deutsch et al. 2023).

    Pairs with ``|dx| <= epsilon`` count as metric ties: correct when the humans tie too; the others are
    correct when the signs agree. ``pair_weight`` is ``(b, P)`` (one row per weighting, e.g. bootstrap
    resample), already normalised so a row's total is the denominator of acc_eq.

    Returns ``(epsilons, acc)`` with ``acc`` of shape ``(b, n_epsilons)``; epsilon 0 is always included.
    """
    order = np.argsort(abs_dx, kind="stable")
    d = abs_dx[order]
    tie_ok = human_tie[order].astype(float)
    sign_ok = sign_agree[order].astype(float)
    w = pair_weight[:, order]
    # acc(eps) = sum_{d <= eps} w * tie_ok + sum_{d > eps} w * sign_ok
    cum_tie = np.cumsum(w * tie_ok, axis=1)
    cum_sign = np.cumsum(w * sign_ok, axis=1)
    total_sign = cum_sign[:, -1:]
    ends = np.flatnonzero(np.r_[d[1:] != d[:-1], True])  # last pair of each distinct |dx|
    eps = d[ends]
    acc = cum_tie[:, ends] + (total_sign - cum_sign[:, ends])
    if eps[0] > 0:  # epsilon = 0 with no metric ties: every pair judged by its sign
        eps = np.r_[0.0, eps]
        acc = np.concatenate([total_sign, acc], axis=1)
    return eps, acc
